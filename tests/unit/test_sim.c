/*
 * test_sim.c: the deterministic simulator (simulator/sim.h).
 *
 * Two tiny cores live in this file and are driven through reference/rt.h
 * exactly as the master and agent will be:
 *  - an "echo" server: POST /accept gets 202; POST /stream opens a stream
 *    and a one-second timer writes a counted chunk to every open stream;
 *    POST /hang is never answered;
 *  - a "client" that starts calls and records everything it is told about
 *    each one (head, bytes, end, and when).
 * Each test builds a world, adds these nodes, runs simulated time and
 * checks what the cores saw, what the trace says, and the world's counters.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "http_msg.h"
#include "mc_alloc.h"
#include "mc_buf.h"
#include "mc_list.h"
#include "mc_rng.h"
#include "rt.h"
#include "sim.h"
#include "sim_internal.h"

#define MS RT_NS_PER_MS
#define SEC RT_NS_PER_SEC

/* ---------------------------------------------------------------- echo */

#define ECHO_STREAMS_MAX 16

struct echo {
    struct rt *rt;
    struct rt_timer tick;
    uint64_t streams[ECHO_STREAMS_MAX];
    uint32_t streams_count;
    uint64_t counter;
    uint32_t requests;
    uint32_t closed; /* stream_closed calls */
    uint64_t closed_ns;
    uint64_t last_req;
    /* 0: chunks are "tick N\n"; else chunks of varied sizes up to this many bytes. */
    size_t chunk_bytes_max;
    struct mc_buf sent; /* every byte written with success, all streams together */
    int write_closed;   /* stream_write calls that returned MC_ECLOSED */
    int write_failed;   /* stream_write calls that failed otherwise */
};

static void echo_tick(struct rt_timer *timer);

static void echo_stream_remove(struct echo *e, uint32_t i)
{
    e->streams[i] = e->streams[--e->streams_count];
}

static void echo_write_all(struct echo *e)
{
    e->counter++;
    uint8_t chunk[4096];
    size_t len;
    if (e->chunk_bytes_max == 0) {
        len = (size_t)snprintf((char *)chunk, sizeof(chunk), "tick %llu\n",
                               (unsigned long long)e->counter);
    } else {
        len = 1 + (size_t)(e->counter * 37 % e->chunk_bytes_max);
        for (size_t i = 0; i < len; i++)
            chunk[i] = (uint8_t)(e->counter * 7 + i);
    }
    for (uint32_t i = 0; i < e->streams_count;) {
        int err = e->rt->ops->stream_write(e->rt->ctx, e->streams[i], chunk, len);
        if (err == MC_ECLOSED) {
            e->write_closed++;
            echo_stream_remove(e, i);
            continue;
        }
        if (err != 0) {
            /* The world itself failed (allocation failure tests): it says why. */
            e->write_failed++;
            return;
        }
        assert_int_equal(mc_buf_append(&e->sent, chunk, len), 0);
        i++;
    }
}

static void echo_tick(struct rt_timer *timer)
{
    struct echo *e = MC_CONTAINER_OF(timer, struct echo, tick);
    echo_write_all(e);
    rt_timer_start(e->rt, &e->tick, SEC, echo_tick);
}

static void echo_request(void *node, uint64_t req, const struct http_request *request)
{
    struct echo *e = node;
    e->requests++;
    e->last_req = req;
    struct http_response response;
    if (strcmp(request->path, "/accept") == 0) {
        assert_int_equal(http_response_empty_init(&response, 202, NULL), 0);
        e->rt->ops->respond(e->rt->ctx, req, &response);
        http_response_deinit(&response);
    } else if (strcmp(request->path, "/stream") == 0) {
        assert_int_equal(http_response_stream_init(&response, "application/json", NULL), 0);
        e->rt->ops->stream_open(e->rt->ctx, req, &response);
        http_response_deinit(&response);
        assert_true(e->streams_count < ECHO_STREAMS_MAX);
        e->streams[e->streams_count++] = req;
        if (!e->tick.active)
            rt_timer_start(e->rt, &e->tick, SEC, echo_tick);
    } else if (strcmp(request->path, "/hang") != 0) {
        assert_int_equal(http_response_text_init(&response, 404, "no such path", NULL), 0);
        e->rt->ops->respond(e->rt->ctx, req, &response);
        http_response_deinit(&response);
    }
}

static void echo_stream_closed(void *node, uint64_t req)
{
    struct echo *e = node;
    e->closed++;
    e->closed_ns = rt_now_ns(e->rt);
    for (uint32_t i = 0; i < e->streams_count; i++) {
        if (e->streams[i] == req) {
            echo_stream_remove(e, i);
            return;
        }
    }
}

static void not_a_client_response(void *node, uint64_t call, const struct http_response *r)
{
    fail_msg("a server core was given a response");
}

static void not_a_client_data(void *node, uint64_t call, const uint8_t *bytes, size_t len)
{
    fail_msg("a server core was given call data");
}

static void not_a_client_end(void *node, uint64_t call, int err)
{
    fail_msg("a server core was given a call end");
}

static const struct rt_node_ops echo_ops = {
    .request = echo_request,
    .stream_closed = echo_stream_closed,
    .call_response = not_a_client_response,
    .call_data = not_a_client_data,
    .call_end = not_a_client_end,
};

static void echo_init(struct echo *e)
{
    memset(e, 0, sizeof(*e));
    mc_buf_init(&e->sent, 1u << 24, NULL);
}

static void echo_deinit(struct echo *e)
{
    mc_buf_deinit(&e->sent);
}

/* -------------------------------------------------------------- client */

#define CLIENT_CALLS_MAX 16

struct call_rec {
    uint64_t call;
    int status; /* 0 until call_response */
    int is_stream;
    int responses;
    int ends;
    int end_err;
    uint64_t response_ns;
    uint64_t end_ns;
    uint64_t first_data_ns;
    uint32_t pieces;
    struct mc_buf data;
};

struct client {
    struct rt *rt;
    struct call_rec calls[CLIENT_CALLS_MAX];
    uint32_t count;
};

static struct call_rec *client_rec(struct client *c, uint64_t call)
{
    for (uint32_t i = 0; i < c->count; i++) {
        if (c->calls[i].call == call)
            return &c->calls[i];
    }
    fail_msg("call %llu is unknown to the client", (unsigned long long)call);
    return NULL;
}

static void client_response(void *node, uint64_t call, const struct http_response *response)
{
    struct client *c = node;
    struct call_rec *r = client_rec(c, call);
    assert_int_equal(r->ends, 0);
    r->responses++;
    r->status = response->status;
    r->is_stream = response->is_stream;
    r->response_ns = rt_now_ns(c->rt);
}

static void client_data(void *node, uint64_t call, const uint8_t *bytes, size_t len)
{
    struct client *c = node;
    struct call_rec *r = client_rec(c, call);
    assert_int_equal(r->responses, 1);
    assert_int_equal(r->ends, 0);
    assert_true(len > 0);
    if (r->pieces == 0)
        r->first_data_ns = rt_now_ns(c->rt);
    r->pieces++;
    assert_int_equal(mc_buf_append(&r->data, bytes, len), 0);
}

static void client_end(void *node, uint64_t call, int err)
{
    struct client *c = node;
    struct call_rec *r = client_rec(c, call);
    r->ends++;
    r->end_err = err;
    r->end_ns = rt_now_ns(c->rt);
}

static void not_a_server_request(void *node, uint64_t req, const struct http_request *request)
{
    fail_msg("a client core was given a request");
}

static void not_a_server_closed(void *node, uint64_t req)
{
    fail_msg("a client core was given stream_closed");
}

static const struct rt_node_ops client_ops = {
    .request = not_a_server_request,
    .stream_closed = not_a_server_closed,
    .call_response = client_response,
    .call_data = client_data,
    .call_end = client_end,
};

static void client_init(struct client *c)
{
    memset(c, 0, sizeof(*c));
}

static void client_deinit(struct client *c)
{
    for (uint32_t i = 0; i < c->count; i++)
        mc_buf_deinit(&c->calls[i].data);
}

/* Starts POST path at peer; returns the record (its call is 0 when the call did not start). */
static struct call_rec *client_call(struct client *c, const char *peer, const char *path)
{
    assert_true(c->count < CLIENT_CALLS_MAX);
    struct http_request request;
    http_request_init(&request, NULL);
    assert_int_equal(http_request_line_set(&request, "POST", path), 0);
    assert_int_equal(http_headers_add(&request.headers, "Content-Type", "application/json"), 0);
    assert_int_equal(mc_buf_append_str(&request.body, "{}"), 0);
    struct call_rec *r = &c->calls[c->count++];
    memset(r, 0, sizeof(*r));
    mc_buf_init(&r->data, 1u << 24, NULL);
    r->call = c->rt->ops->call_start(c->rt->ctx, peer, &request);
    http_request_deinit(&request);
    return r;
}

/* ------------------------------------------------------------- helpers */

struct lines {
    struct mc_buf text;
    uint32_t count;
};

static void lines_sink(void *ctx, const char *line)
{
    struct lines *l = ctx;
    assert_null(strchr(line, '\n'));
    assert_int_equal(mc_buf_append_str(&l->text, line), 0);
    assert_int_equal(mc_buf_append_byte(&l->text, '\n'), 0);
    l->count++;
}

static void lines_init(struct lines *l)
{
    mc_buf_init(&l->text, 1u << 26, NULL);
    l->count = 0;
}

static struct sim_options options_fixed(uint64_t latency_ns)
{
    struct sim_options o;
    sim_options_default(&o);
    o.latency_ns_min = latency_ns;
    o.latency_ns_jitter = 0;
    o.chunk_split_num = 0;
    return o;
}

static struct sim_world *world_new(const struct sim_options *o)
{
    struct sim_world *w = NULL;
    struct mc_diag diag;
    mc_diag_clear(&diag);
    int err = sim_world_create(o, NULL, &w, &diag);
    if (err != 0)
        fail_msg("sim_world_create: %s", diag.text);
    return w;
}

/* Adds an echo at "echo:1" and a client at "client:1". */
static void world_pair(struct sim_world *w, struct echo *e, struct client *c)
{
    echo_init(e);
    client_init(c);
    assert_int_equal(sim_node_add(w, "echo:1", &echo_ops, e, &e->rt), 0);
    assert_int_equal(sim_node_add(w, "client:1", &client_ops, c, &c->rt), 0);
}

static void run_for(struct sim_world *w, uint64_t d_ns)
{
    assert_int_equal(sim_world_run_for(w, d_ns), 0);
}

/* "tick N" lines of a stream, checked whole and increasing; returns how many, last in *last. */
static uint32_t ticks_parse(const struct mc_buf *data, uint64_t *last)
{
    uint32_t count = 0;
    *last = 0;
    const char *p = mc_buf_str(data);
    while (*p != '\0') {
        char *end;
        assert_memory_equal(p, "tick ", 5);
        unsigned long long n = strtoull(p + 5, &end, 10);
        assert_true(*end == '\n');
        assert_true(n > *last);
        *last = n;
        count++;
        p = end + 1;
    }
    return count;
}

/* -------------------------------------------------------------- timers */

struct named_timer {
    struct rt_timer timer;
    struct ticker *owner;
    char name;
};

/* A core made only of timers; it writes each timer's name when it fires. */
struct ticker {
    struct rt *rt;
    struct named_timer timers[6];
    char order[64];
    uint32_t fired;
    uint64_t fired_ns[64];
    int spin; /* 1: timer 'z' restarts itself at delay 0 forever */
};

static void ticker_fire(struct rt_timer *timer)
{
    struct named_timer *t = MC_CONTAINER_OF(timer, struct named_timer, timer);
    struct ticker *k = t->owner;
    assert_false(timer->active);
    if (k->fired < sizeof(k->order) - 1) {
        k->order[k->fired] = t->name;
        k->fired_ns[k->fired] = rt_now_ns(k->rt);
    }
    k->fired++;
    /* B starts E at delay 0: E must run after everything already due now. */
    if (t->name == 'B')
        rt_timer_start(k->rt, &k->timers[4].timer, 0, ticker_fire);
    if (k->spin)
        rt_timer_start(k->rt, timer, 0, ticker_fire);
}

static const struct rt_node_ops ticker_ops = {
    .request = not_a_server_request,
    .stream_closed = not_a_server_closed,
    .call_response = not_a_client_response,
    .call_data = not_a_client_data,
    .call_end = not_a_client_end,
};

static void ticker_init(struct ticker *k)
{
    memset(k, 0, sizeof(*k));
    for (int i = 0; i < 6; i++) {
        k->timers[i].owner = k;
        k->timers[i].name = (char)('A' + i);
    }
}

static void timers_with_equal_deadlines_fire_in_start_order(void **state)
{
    (void)state;
    struct sim_options o = options_fixed(MS);
    struct sim_world *w = world_new(&o);
    struct ticker k;
    ticker_init(&k);
    assert_int_equal(sim_node_add(w, "ticker:1", &ticker_ops, &k, &k.rt), 0);
    /* A, B, C, D all due at 10 ms; A is restarted last, so it goes behind D. */
    for (int i = 0; i < 4; i++)
        rt_timer_start(k.rt, &k.timers[i].timer, 10 * MS, ticker_fire);
    rt_timer_start(k.rt, &k.timers[0].timer, 10 * MS, ticker_fire);
    /* F is due earlier although started later. */
    rt_timer_start(k.rt, &k.timers[5].timer, 5 * MS, ticker_fire);
    assert_true(k.timers[0].timer.active);
    assert_true(k.timers[0].timer.seq > k.timers[3].timer.seq);
    run_for(w, 9 * MS);
    assert_string_equal(k.order, "F");
    run_for(w, SEC);
    /* E was started by B at delay 0: after C, D and A, all due at the same instant. */
    assert_string_equal(k.order, "FBCDAE");
    assert_int_equal(k.fired_ns[1], 10 * MS);
    assert_int_equal(k.fired_ns[5], 10 * MS);
    assert_int_equal(sim_world_now_ns(w), 9 * MS + SEC);
    uint64_t next;
    assert_int_equal(sim_world_next_ns(w, &next), MC_ENOTFOUND);
    struct sim_stats st;
    sim_world_stats(w, &st);
    assert_int_equal(st.timers, 6);
    assert_int_equal(st.events, 6);
    sim_world_destroy(w);
}

static void timer_cancel_stops_it_and_is_harmless_twice(void **state)
{
    (void)state;
    struct sim_options o = options_fixed(MS);
    struct sim_world *w = world_new(&o);
    struct ticker k;
    ticker_init(&k);
    assert_int_equal(sim_node_add(w, "ticker:1", &ticker_ops, &k, &k.rt), 0);
    rt_timer_start(k.rt, &k.timers[0].timer, 10 * MS, ticker_fire);
    rt_timer_start(k.rt, &k.timers[2].timer, 20 * MS, ticker_fire);
    rt_timer_start(k.rt, &k.timers[3].timer, 30 * MS, ticker_fire);
    rt_timer_cancel(k.rt, &k.timers[2].timer);
    assert_false(k.timers[2].timer.active);
    rt_timer_cancel(k.rt, &k.timers[2].timer);
    rt_timer_cancel(k.rt, &k.timers[5].timer); /* never started */
    run_for(w, 15 * MS);
    assert_string_equal(k.order, "A");
    rt_timer_cancel(k.rt, &k.timers[0].timer); /* already fired */
    /* A cancelled timer may start again and then fires normally. */
    rt_timer_start(k.rt, &k.timers[2].timer, 1 * MS, ticker_fire);
    run_for(w, SEC);
    assert_string_equal(k.order, "ACD");
    assert_int_equal(k.fired_ns[1], 16 * MS);
    /* One step is one event: 1 while something ran, 0 once the queue is empty. */
    rt_timer_start(k.rt, &k.timers[1].timer, 5 * MS, ticker_fire);
    uint64_t next = 0;
    assert_int_equal(sim_world_next_ns(w, &next), 0);
    assert_int_equal(next, 15 * MS + SEC + 5 * MS);
    assert_int_equal(sim_world_step(w), 1);
    assert_int_equal(sim_world_now_ns(w), next);
    assert_int_equal(sim_world_step(w), 1); /* E, started by B at delay 0 */
    assert_int_equal(sim_world_step(w), 0);
    assert_string_equal(k.order, "ACDBE");
    sim_world_destroy(w);
}

static void zero_delay_timer_loop_is_a_reported_error(void **state)
{
    (void)state;
    struct sim_options o = options_fixed(MS);
    o.events_per_instant_max = 1000;
    struct sim_world *w = world_new(&o);
    struct ticker k;
    ticker_init(&k);
    k.spin = 1;
    assert_int_equal(sim_node_add(w, "spinner:1", &ticker_ops, &k, &k.rt), 0);
    rt_timer_start(k.rt, &k.timers[3].timer, 2 * MS, ticker_fire);
    assert_int_equal(sim_world_run_for(w, SEC), MC_ELIMIT);
    /* Exactly the allowed number ran, at the one instant, then the world stopped. */
    assert_int_equal(k.fired, 1000);
    assert_int_equal(sim_world_now_ns(w), 2 * MS);
    struct mc_diag diag;
    mc_diag_clear(&diag);
    assert_int_equal(sim_world_error(w, &diag), MC_ELIMIT);
    assert_non_null(strstr(diag.text, "zero-delay loop"));
    assert_non_null(strstr(diag.text, "a timer of spinner:1"));
    assert_non_null(strstr(diag.text, "0.002000000"));
    /* Sticky: nothing more runs. */
    assert_int_equal(sim_world_step(w), MC_ELIMIT);
    assert_int_equal(k.fired, 1000);
    sim_world_destroy(w);
}

/* ------------------------------------------------------ calls, streams */

static void request_and_answer_take_one_latency_each(void **state)
{
    (void)state;
    struct sim_options o = options_fixed(MS);
    struct sim_world *w = world_new(&o);
    struct lines l;
    lines_init(&l);
    sim_world_trace_set(w, lines_sink, &l);
    struct echo e;
    struct client c;
    world_pair(w, &e, &c);
    struct call_rec *r = client_call(&c, "echo:1", "/accept");
    assert_int_equal(r->call, 1);
    run_for(w, SEC);
    assert_int_equal(e.requests, 1);
    assert_int_equal(e.last_req, 2);
    assert_int_equal(r->status, 202);
    assert_int_equal(r->is_stream, 0);
    assert_int_equal(r->response_ns, 2 * MS);
    assert_int_equal(r->ends, 1);
    assert_int_equal(r->end_err, 0);
    assert_int_equal(r->end_ns, 2 * MS);
    /* The exact lines: time, from, to, what. */
    const char *expected = "0.000000000 - echo:1 node up #1\n"
                           "0.000000000 - client:1 node up #2\n"
                           "0.001000000 client:1 echo:1 request POST /accept call=1 req=2\n"
                           "0.002000000 echo:1 client:1 response 202 call=1\n"
                           "0.002000000 echo:1 client:1 end 0 call=1\n";
    assert_string_equal(mc_buf_str(&l.text), expected);
    /* Notes are hashed and made printable; logs reach the sink but not the hash. */
    uint64_t hash = sim_world_trace_hash(w);
    e.rt->ops->log(e.rt->ctx, RT_LOG_INFO, "hello\tworld");
    assert_int_equal(sim_world_trace_hash(w), hash);
    sim_world_trace_note(w, "two\nlines");
    assert_true(sim_world_trace_hash(w) != hash);
    assert_non_null(strstr(mc_buf_str(&l.text), "1.000000000 echo:1 - log info hello?world\n"
                                                "1.000000000 - - note two?lines\n"));
    struct sim_stats st;
    sim_world_stats(w, &st);
    assert_int_equal(st.requests, 1);
    assert_int_equal(st.responses, 1);
    assert_int_equal(st.messages, 2);
    assert_int_equal(st.bytes, 2); /* the request's "{}" */
    assert_int_equal(sim_world_violations(w, NULL, NULL), 0);
    sim_world_destroy(w);
    mc_buf_deinit(&l.text);
    echo_deinit(&e);
    client_deinit(&c);
}

static void calls_to_nothing_are_refused_after_a_round_trip(void **state)
{
    (void)state;
    struct sim_options o = options_fixed(MS);
    struct sim_world *w = world_new(&o);
    struct echo e;
    struct client c;
    world_pair(w, &e, &c);
    struct call_rec *ghost = client_call(&c, "ghost:1", "/accept");
    struct call_rec *bad = client_call(&c, "bad address", "/accept");
    assert_true(ghost->call != 0);
    assert_int_equal(bad->call, 0); /* could not even start: nothing will be reported */
    struct http_request no_line;
    http_request_init(&no_line, NULL);
    assert_int_equal(c.rt->ops->call_start(c.rt->ctx, "echo:1", &no_line), 0);
    http_request_deinit(&no_line);
    run_for(w, SEC);
    assert_int_equal(ghost->responses, 0);
    assert_int_equal(ghost->ends, 1);
    assert_int_equal(ghost->end_err, MC_ECLOSED);
    assert_int_equal(ghost->end_ns, 2 * MS);
    sim_world_destroy(w);
    echo_deinit(&e);
    client_deinit(&c);
}

static void connection_keeps_fifo_under_jitter(void **state)
{
    (void)state;
    struct sim_options o = options_fixed(MS);
    o.latency_ns_jitter = 3 * SEC; /* far more than the 1 s between chunks */
    o.chunk_split_num = 1;
    o.chunk_split_den = 2;
    struct sim_world *w = world_new(&o);
    struct echo e;
    struct client c;
    world_pair(w, &e, &c);
    struct call_rec *r = client_call(&c, "echo:1", "/stream");
    run_for(w, 200 * SEC);
    uint64_t last = 0;
    uint32_t count = ticks_parse(&r->data, &last);
    assert_true(count > 150);
    assert_int_equal(count, last);  /* 1..last, none missing, none out of order */
    assert_true(r->pieces > count); /* some chunks did arrive in pieces */
    assert_int_equal(r->ends, 0);
    assert_int_equal(sim_world_violations(w, NULL, NULL), 0);
    sim_world_destroy(w);
    echo_deinit(&e);
    client_deinit(&c);
}

static void split_chunks_reassemble_byte_identical(void **state)
{
    (void)state;
    static const uint32_t dens[] = {1, 3};
    for (size_t i = 0; i < sizeof(dens) / sizeof(dens[0]); i++) {
        struct sim_options o = options_fixed(MS);
        o.seed = 77 + i;
        o.latency_ns_jitter = 20 * MS;
        o.chunk_split_num = 1;
        o.chunk_split_den = dens[i];
        struct sim_world *w = world_new(&o);
        struct echo e;
        struct client c;
        world_pair(w, &e, &c);
        e.chunk_bytes_max = 3000;
        struct call_rec *r = client_call(&c, "echo:1", "/stream");
        run_for(w, 100 * SEC + 500 * MS);
        assert_int_equal(e.counter, 100);
        assert_int_equal(r->data.len, e.sent.len);
        assert_memory_equal(r->data.data, e.sent.data, e.sent.len);
        /* Every chunk of 2 bytes or more is split when the ratio is 1/1. */
        if (dens[i] == 1)
            assert_true(r->pieces >= 2 * 99);
        else
            assert_true(r->pieces > 100);
        sim_world_destroy(w);
        echo_deinit(&e);
        client_deinit(&c);
    }
}

static void cancel_tells_a_streaming_server_after_latency(void **state)
{
    (void)state;
    struct sim_options o = options_fixed(MS);
    struct sim_world *w = world_new(&o);
    struct echo e;
    struct client c;
    world_pair(w, &e, &c);
    struct call_rec *r = client_call(&c, "echo:1", "/stream");
    run_for(w, 1500 * MS);
    assert_int_equal(r->status, 200);
    assert_int_equal(r->is_stream, 1);
    c.rt->ops->call_cancel(c.rt->ctx, r->call);
    c.rt->ops->call_cancel(c.rt->ctx, r->call); /* harmless twice */
    run_for(w, 3 * SEC);
    assert_int_equal(e.closed, 1);
    assert_int_equal(e.closed_ns, 1500 * MS + MS);
    assert_int_equal(e.streams_count, 0);
    assert_int_equal(r->ends, 0); /* no call_end after a cancel */
    /* The server's writes to the gone stream now fail cleanly. */
    assert_int_equal(e.rt->ops->stream_write(e.rt->ctx, e.last_req, "x", 1), MC_ECLOSED);
    sim_world_destroy(w);
    echo_deinit(&e);
    client_deinit(&c);
}

/* -------------------------------------------------------------- faults */

static void partition_blackholes_then_heals_with_whole_chunks(void **state)
{
    (void)state;
    struct sim_options o = options_fixed(MS);
    o.latency_ns_jitter = 5 * MS;
    o.chunk_split_num = 1;
    o.chunk_split_den = 1;
    struct sim_world *w = world_new(&o);
    struct lines l;
    lines_init(&l);
    sim_world_trace_set(w, lines_sink, &l);
    struct echo e;
    struct client c;
    world_pair(w, &e, &c);
    struct call_rec *s = client_call(&c, "echo:1", "/stream");
    run_for(w, 3500 * MS);
    uint64_t last = 0;
    assert_int_equal(ticks_parse(&s->data, &last), 3);

    const char *a[] = {"client:1"};
    const char *b[] = {"echo:1"};
    uint32_t id = 0;
    assert_int_equal(sim_partition(w, a, 1, b, 1, SIM_PARTITION_SYMMETRIC, &id), 0);
    assert_true(id != 0);
    struct call_rec *lost = client_call(&c, "echo:1", "/accept");
    assert_true(lost->call != 0);
    run_for(w, 5 * SEC);
    /* Nothing crossed: no new request, no bytes, and no end for anyone. */
    assert_int_equal(e.requests, 1);
    assert_int_equal(ticks_parse(&s->data, &last), 3);
    assert_int_equal(lost->responses + lost->ends, 0);
    assert_int_equal(s->ends, 0);
    assert_true(e.counter >= 8); /* the server kept writing into the void */

    assert_int_equal(sim_heal(w, id), 0);
    assert_int_equal(sim_heal(w, id), MC_ENOTFOUND);
    run_for(w, 3 * SEC);
    /* The same stream carries new ticks: whole lines, with a gap where the cut was. */
    uint32_t count = ticks_parse(&s->data, &last);
    assert_true(count >= 5 && count < last);
    assert_int_equal(s->ends, 0);
    assert_int_equal(lost->responses + lost->ends, 0); /* its request is gone for good */
    struct call_rec *after = client_call(&c, "echo:1", "/accept");
    run_for(w, SEC);
    assert_int_equal(after->status, 202);
    assert_non_null(strstr(mc_buf_str(&l.text), "fault partition 1 symmetric a=client:1 b=echo:1"));
    assert_non_null(strstr(mc_buf_str(&l.text), "client:1 echo:1 blackhole request POST /accept"));
    assert_non_null(strstr(mc_buf_str(&l.text), "echo:1 client:1 blackhole data 7 bytes"));
    struct sim_stats st;
    sim_world_stats(w, &st);
    assert_true(st.dropped >= 6);
    sim_world_destroy(w);
    mc_buf_deinit(&l.text);
    echo_deinit(&e);
    client_deinit(&c);
}

static void one_way_partition_cuts_one_direction_only(void **state)
{
    (void)state;
    struct sim_options o = options_fixed(MS);
    struct sim_world *w = world_new(&o);
    struct echo e;
    struct client c;
    world_pair(w, &e, &c);
    struct call_rec *s = client_call(&c, "echo:1", "/stream");
    run_for(w, 1500 * MS);

    /* client -> echo cut: new requests vanish, the stream still flows to the client. */
    const char *a[] = {"client:1"};
    const char *b[] = {"echo:1", "other:1"};
    uint32_t id;
    assert_int_equal(sim_partition(w, a, 1, b, 2, SIM_PARTITION_ONE_WAY, &id), 0);
    struct call_rec *up = client_call(&c, "echo:1", "/accept");
    run_for(w, 3 * SEC);
    uint64_t last;
    assert_int_equal(ticks_parse(&s->data, &last), 4);
    assert_int_equal(e.requests, 1);
    assert_int_equal(up->responses + up->ends, 0);
    sim_heal_all(w);

    /* echo -> client cut: the request arrives, its answer and the ticks do not. */
    assert_int_equal(sim_partition(w, b, 2, a, 1, SIM_PARTITION_ONE_WAY, &id), 0);
    struct call_rec *down = client_call(&c, "echo:1", "/accept");
    run_for(w, 3 * SEC);
    assert_int_equal(e.requests, 2);
    assert_int_equal(down->responses + down->ends, 0);
    assert_int_equal(ticks_parse(&s->data, &last), 4);
    sim_heal_all(w);
    run_for(w, 2 * SEC);
    assert_true(ticks_parse(&s->data, &last) >= 5);
    assert_int_equal(s->ends, 0);
    sim_world_destroy(w);
    echo_deinit(&e);
    client_deinit(&c);
}

static void partition_rejects_bad_sides(void **state)
{
    (void)state;
    struct sim_options o = options_fixed(MS);
    struct sim_world *w = world_new(&o);
    const char *a[] = {"x:1"};
    const char *both[] = {"x:1", "y:1"};
    const char *bad[] = {"has space"};
    uint32_t id = 0;
    /* Rows: {side a, na, side b, nb, expected error}. */
    struct {
        const char *const *a;
        uint32_t na;
        const char *const *b;
        uint32_t nb;
        int err;
    } rows[] = {
        {a, 0, both, 2, MC_EINVAL}, {a, 1, both, 0, MC_EINVAL}, {a, 1, both, 2, MC_EINVAL},
        {bad, 1, a, 1, MC_EINVAL},  {a, 1, bad, 1, MC_EINVAL},  {a, 1, both + 1, 1, 0},
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        assert_int_equal(sim_partition(w, rows[i].a, rows[i].na, rows[i].b, rows[i].nb,
                                       SIM_PARTITION_SYMMETRIC, &id),
                         rows[i].err);
    }
    assert_int_equal(id, 1);
    sim_world_destroy(w);
}

static void held_link_delivers_in_order_at_release(void **state)
{
    (void)state;
    struct sim_options o = options_fixed(MS);
    o.latency_ns_jitter = 50 * MS;
    o.chunk_split_num = 1;
    o.chunk_split_den = 2;
    struct sim_world *w = world_new(&o);
    struct lines l;
    lines_init(&l);
    sim_world_trace_set(w, lines_sink, &l);
    struct echo e;
    struct client c;
    world_pair(w, &e, &c);
    struct call_rec *s = client_call(&c, "echo:1", "/stream");
    run_for(w, 1500 * MS);
    assert_int_equal(sim_link_hold(w, "echo:1", "client:1"), 0);
    assert_int_equal(sim_link_hold(w, "echo:1", "client:1"), MC_EEXIST);
    struct call_rec *r = client_call(&c, "echo:1", "/accept");
    run_for(w, 5 * SEC);
    uint64_t last;
    assert_int_equal(ticks_parse(&s->data, &last), 1);
    assert_int_equal(e.requests, 2); /* the other direction flows */
    assert_int_equal(r->responses, 0);
    assert_int_equal(sim_link_release(w, "echo:1", "client:1"), 0);
    assert_int_equal(sim_link_release(w, "echo:1", "client:1"), MC_ENOTFOUND);
    run_for(w, 200 * MS);
    assert_int_equal(ticks_parse(&s->data, &last), 6);
    assert_int_equal(last, 6);
    assert_int_equal(r->status, 202);
    assert_int_equal(r->ends, 1);
    assert_non_null(strstr(mc_buf_str(&l.text), "fault release 7 held"));
    assert_int_equal(sim_world_violations(w, NULL, NULL), 0);
    sim_world_destroy(w);
    mc_buf_deinit(&l.text);
    echo_deinit(&e);
    client_deinit(&c);
}

static void reset_tells_both_ends(void **state)
{
    (void)state;
    struct sim_options o = options_fixed(MS);
    struct sim_world *w = world_new(&o);
    struct echo e;
    struct client c;
    world_pair(w, &e, &c);
    struct call_rec *s = client_call(&c, "echo:1", "/stream");
    run_for(w, 1500 * MS);
    uint64_t req = e.last_req;
    /* Aimed at the client: it learns at once, the server one latency later. */
    assert_int_equal(sim_conn_reset(w, s->call), 0);
    assert_int_equal(sim_conn_reset(w, s->call), MC_ENOTFOUND);
    run_for(w, 3 * SEC);
    assert_int_equal(s->ends, 1);
    assert_int_equal(s->end_err, MC_ECLOSED);
    assert_int_equal(s->end_ns, 1500 * MS);
    assert_int_equal(e.closed, 1);
    assert_int_equal(e.closed_ns, 1501 * MS);
    assert_int_equal(e.rt->ops->stream_write(e.rt->ctx, req, "x", 1), MC_ECLOSED);

    /* Aimed at the server, by its request id. */
    struct call_rec *s2 = client_call(&c, "echo:1", "/stream");
    run_for(w, 500 * MS);
    assert_int_equal(sim_conn_reset(w, e.last_req), 0);
    run_for(w, SEC);
    assert_int_equal(e.closed, 2);
    assert_int_equal(e.closed_ns, 5000 * MS);
    assert_int_equal(s2->end_ns, 5001 * MS);

    /* Every connection of a node, one of them still unanswered. */
    struct call_rec *s3 = client_call(&c, "echo:1", "/stream");
    struct call_rec *h = client_call(&c, "echo:1", "/hang");
    run_for(w, 500 * MS);
    assert_int_equal(sim_node_reset_connections(w, "echo:1"), 2);
    assert_int_equal(sim_node_reset_connections(w, "ghost:1"), MC_ENOTFOUND);
    run_for(w, SEC);
    assert_int_equal(s3->end_err, MC_ECLOSED);
    assert_int_equal(h->end_err, MC_ECLOSED);
    assert_int_equal(h->responses, 0);
    assert_int_equal(e.closed, 3);
    sim_world_destroy(w);
    echo_deinit(&e);
    client_deinit(&c);
}

/* A crashed core's runtime is still a valid pointer, and does nothing. */
static void dead_runtime_does_nothing(struct echo *e)
{
    struct rt *rt = e->rt;
    assert_int_equal(rt->ops->stream_write(rt->ctx, e->last_req, "x", 1), MC_ECLOSED);
    assert_int_equal(rt->ops->store_put(rt->ctx, "registry", "late", 4), MC_ECLOSED);
    struct mc_buf got;
    mc_buf_init(&got, 64, NULL);
    assert_int_equal(rt->ops->store_get(rt->ctx, "registry", &got), MC_ECLOSED);
    mc_buf_deinit(&got);
    struct http_request req;
    http_request_init(&req, NULL);
    assert_int_equal(http_request_line_set(&req, "POST", "/x"), 0);
    assert_int_equal(rt->ops->call_start(rt->ctx, "client:1", &req), 0);
    http_request_deinit(&req);
    rt_timer_start(rt, &e->tick, SEC, echo_tick);
    assert_false(e->tick.active);
}

static void crash_drops_timers_refuses_calls_and_restart_keeps_the_store(void **state)
{
    (void)state;
    struct sim_options o = options_fixed(MS);
    struct sim_world *w = world_new(&o);
    struct echo e;
    struct client c;
    world_pair(w, &e, &c);
    struct rt *old_rt = e.rt;
    assert_int_equal(old_rt->ops->store_put(old_rt->ctx, "registry", "v1", 2), 0);
    assert_int_equal(old_rt->ops->store_put(old_rt->ctx, "registry", "v2!", 3), 0);
    assert_int_equal(old_rt->ops->store_put(old_rt->ctx, "gone", "x", 1), 0);
    assert_int_equal(old_rt->ops->store_del(old_rt->ctx, "gone"), 0);
    assert_int_equal(old_rt->ops->store_del(old_rt->ctx, "gone"), MC_ENOTFOUND);
    struct call_rec *s = client_call(&c, "echo:1", "/stream");
    /* A request lost on the way: the server never knew it, so its crash cannot end it. */
    const char *a[] = {"client:1"};
    const char *b[] = {"echo:1"};
    uint32_t id;
    assert_int_equal(sim_partition(w, a, 1, b, 1, SIM_PARTITION_ONE_WAY, &id), 0);
    struct call_rec *lost = client_call(&c, "echo:1", "/accept");
    sim_heal_all(w);
    run_for(w, 1500 * MS);
    assert_true(e.tick.active);

    assert_int_equal(sim_node_crash(w, "echo:1"), 0);
    assert_int_equal(sim_node_crash(w, "echo:1"), MC_ESTATE);
    assert_int_equal(sim_node_crash(w, "ghost:1"), MC_ENOTFOUND);
    assert_false(sim_node_is_up(w, "echo:1"));
    assert_false(e.tick.active);
    uint64_t counter = e.counter;
    struct call_rec *refused = client_call(&c, "echo:1", "/accept");
    run_for(w, 5 * SEC);
    assert_int_equal(e.counter, counter); /* its timer never fired again */
    assert_int_equal(s->end_err, MC_ECLOSED);
    assert_int_equal(s->end_ns, 1501 * MS);
    assert_int_equal(refused->responses, 0);
    assert_int_equal(refused->end_err, MC_ECLOSED);
    assert_int_equal(lost->responses + lost->ends, 0);
    dead_runtime_does_nothing(&e);
    echo_deinit(&e);

    /* Restarted without a pointer, bound once the core exists (as a core that needs its rt). */
    struct echo e2;
    echo_init(&e2);
    assert_int_equal(sim_node_bind(w, "echo:1", &e2), MC_ESTATE);
    assert_int_equal(sim_node_restart(w, "echo:1", &echo_ops, NULL, &e2.rt), 0);
    assert_int_equal(sim_node_restart(w, "echo:1", &echo_ops, &e2, &e2.rt), MC_ESTATE);
    assert_int_equal(sim_node_bind(w, "echo:1", &e2), 0);
    assert_int_equal(sim_node_bind(w, "ghost:1", &e2), MC_ENOTFOUND);
    assert_true(sim_node_is_up(w, "echo:1"));
    struct mc_buf got;
    mc_buf_init(&got, 64, NULL);
    assert_int_equal(e2.rt->ops->store_get(e2.rt->ctx, "registry", &got), 0);
    assert_string_equal(mc_buf_str(&got), "v2!");
    assert_int_equal(e2.rt->ops->store_get(e2.rt->ctx, "gone", &got), MC_ENOTFOUND);
    mc_buf_deinit(&got);
    struct call_rec *again = client_call(&c, "echo:1", "/stream");
    run_for(w, 2500 * MS);
    uint64_t last;
    assert_int_equal(ticks_parse(&again->data, &last), 2);
    assert_int_equal(again->ends, 0);
    sim_world_destroy(w);
    echo_deinit(&e2);
    client_deinit(&c);
}

static void store_checks_keys_and_limits(void **state)
{
    (void)state;
    struct sim_options o = options_fixed(MS);
    struct sim_world *w = world_new(&o);
    struct echo e;
    struct client c;
    world_pair(w, &e, &c);
    char long_key[MC_SIM_STORE_KEY_BYTES_MAX + 1];
    memset(long_key, 'k', sizeof(long_key) - 1);
    long_key[sizeof(long_key) - 1] = '\0';
    /* Rows: {key, expected error of put}. */
    struct {
        const char *key;
        int err;
    } rows[] = {{"", MC_EINVAL}, {long_key, MC_ELIMIT}, {"ok", 0}};
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
        assert_int_equal(e.rt->ops->store_put(e.rt->ctx, rows[i].key, "v", 1), rows[i].err);
    /* Stores are per address: the client's is its own. */
    struct mc_buf got;
    mc_buf_init(&got, 1, NULL);
    assert_int_equal(c.rt->ops->store_get(c.rt->ctx, "ok", &got), MC_ENOTFOUND);
    assert_int_equal(e.rt->ops->store_put(e.rt->ctx, "ok", "too long", 8), 0);
    /* The caller's buffer limit holds: MC_ELIMIT, buffer unchanged. */
    assert_int_equal(e.rt->ops->store_get(e.rt->ctx, "ok", &got), MC_ELIMIT);
    assert_int_equal(got.len, 0);
    mc_buf_deinit(&got);
    sim_world_destroy(w);
    echo_deinit(&e);
    client_deinit(&c);
}

/* Drops every chunk that starts "tick 2" and holds 202 answers back by 3 s. */
static enum sim_filter_verdict filter_ticks(void *ctx, const struct sim_delivery_info *info,
                                            uint64_t *delay_ns)
{
    uint32_t *seen = ctx;
    (*seen)++;
    assert_non_null(info->from);
    assert_non_null(info->to);
    if (info->kind == SIM_DELIVERY_DATA && info->len >= 6 && memcmp(info->bytes, "tick 2", 6) == 0)
        return SIM_FILTER_DROP;
    if (info->kind == SIM_DELIVERY_RESPONSE && info->response->status == 202) {
        *delay_ns = 3 * SEC;
        return SIM_FILTER_DELAY;
    }
    if (info->kind == SIM_DELIVERY_REQUEST)
        assert_string_equal(info->request->method, "POST");
    return SIM_FILTER_PASS;
}

static void filter_drops_and_delays_whole_deliveries(void **state)
{
    (void)state;
    struct sim_options o = options_fixed(MS);
    o.chunk_split_num = 1;
    o.chunk_split_den = 1;
    struct sim_world *w = world_new(&o);
    uint32_t seen = 0;
    sim_world_filter_set(w, filter_ticks, &seen);
    struct echo e;
    struct client c;
    world_pair(w, &e, &c);
    struct call_rec *s = client_call(&c, "echo:1", "/stream");
    struct call_rec *r = client_call(&c, "echo:1", "/accept");
    run_for(w, 3500 * MS);
    assert_string_equal(mc_buf_str(&s->data), "tick 1\ntick 3\n");
    assert_int_equal(r->response_ns, 3 * SEC + 2 * MS);
    /* FIFO holds behind a delayed delivery: the end comes after its response. */
    assert_int_equal(r->end_ns, 3 * SEC + 2 * MS);
    assert_true(seen >= 8);
    sim_world_filter_set(w, NULL, NULL);
    run_for(w, 2 * SEC);
    assert_non_null(strstr(mc_buf_str(&s->data), "tick 5\n"));
    sim_world_destroy(w);
    echo_deinit(&e);
    client_deinit(&c);
}

/* --------------------------------------------------------- determinism */

/*
 * A scripted run touching every kind of event and fault, written as a list
 * of phases so that two worlds can be advanced alternately, slice by
 * slice, to show that they share nothing.
 */
struct scenario {
    struct sim_world *world;
    struct echo echo;
    struct echo echo2;
    struct client client;
    struct lines lines;
    uint32_t phase;
    uint64_t phase_end_ns;
    uint32_t partition;
    int done;
};

#define SCENARIO_SLICE_NS (100 * MS)

static void scenario_start(struct scenario *s, uint64_t seed, uint64_t jitter_ns)
{
    memset(s, 0, sizeof(*s));
    struct sim_options o;
    sim_options_default(&o);
    o.seed = seed;
    o.latency_ns_min = MS;
    o.latency_ns_jitter = jitter_ns;
    o.chunk_split_num = 1;
    o.chunk_split_den = 3;
    s->world = world_new(&o);
    lines_init(&s->lines);
    sim_world_trace_set(s->world, lines_sink, &s->lines);
    world_pair(s->world, &s->echo, &s->client);
    echo_init(&s->echo2);
}

/* Runs the action of phase s->phase and returns how long the phase lasts. */
static uint64_t scenario_action(struct scenario *s)
{
    struct sim_world *w = s->world;
    struct client *c = &s->client;
    const char *a[] = {"client:1"};
    const char *b[] = {"echo:1"};
    switch (s->phase) {
    case 0:
        (void)client_call(c, "echo:1", "/stream");
        (void)client_call(c, "echo:1", "/accept");
        (void)client_call(c, "ghost:1", "/accept");
        (void)client_call(c, "echo:1", "/nope");
        return 3500 * MS;
    case 1:
        assert_int_equal(sim_partition(w, a, 1, b, 1, SIM_PARTITION_SYMMETRIC, &s->partition), 0);
        (void)client_call(c, "echo:1", "/accept");
        return 2 * SEC;
    case 2:
        assert_int_equal(sim_heal(w, s->partition), 0);
        sim_world_trace_note(w, "healed");
        return 2 * SEC;
    case 3:
        assert_int_equal(sim_link_hold(w, "echo:1", "client:1"), 0);
        return 1500 * MS;
    case 4:
        /* The held ticks of this stream will be discarded when they arrive. */
        assert_int_equal(sim_conn_reset(w, c->calls[0].call), 0);
        (void)client_call(c, "echo:1", "/stream");
        return 500 * MS;
    case 5:
        assert_int_equal(sim_link_release(w, "echo:1", "client:1"), 0);
        return 2 * SEC;
    case 6:
        assert_int_equal(sim_node_crash(w, "echo:1"), 0);
        return SEC;
    case 7:
        assert_int_equal(sim_node_restart(w, "echo:1", &echo_ops, &s->echo2, &s->echo2.rt), 0);
        (void)client_call(c, "echo:1", "/stream");
        (void)rt_rng_u64(s->echo2.rt); /* a core's draw shifts everything after it */
        return 3 * SEC;
    default:
        s->done = 1;
        return 0;
    }
}

/* Advances the scenario by one slice; returns 0 when it is over. */
static int scenario_tick(struct scenario *s)
{
    if (s->done)
        return 0;
    if (sim_world_now_ns(s->world) >= s->phase_end_ns) {
        uint64_t d = scenario_action(s);
        s->phase++;
        s->phase_end_ns = sim_world_now_ns(s->world) + d;
        if (s->done)
            return 0;
    }
    run_for(s->world, SCENARIO_SLICE_NS);
    return 1;
}

static void scenario_finish(struct scenario *s, uint64_t *hash)
{
    *hash = sim_world_trace_hash(s->world);
    assert_int_equal(sim_world_violations(s->world, NULL, NULL), 0);
    assert_int_equal(sim_world_error(s->world, NULL), 0);
    sim_world_destroy(s->world);
    echo_deinit(&s->echo);
    echo_deinit(&s->echo2);
    client_deinit(&s->client);
}

static uint64_t scenario_run(uint64_t seed, uint64_t jitter_ns, struct mc_buf *text_out)
{
    struct scenario s;
    scenario_start(&s, seed, jitter_ns);
    while (scenario_tick(&s))
        ;
    uint64_t hash;
    *text_out = s.lines.text;
    scenario_finish(&s, &hash);
    return hash;
}

/*
 * The hash of scenario_run(42, 3 ms). It must be the same in Debug,
 * Release and sanitizer builds and on every machine; it changes only when
 * the simulator's behaviour or trace format changes on purpose (then
 * update it, and say why in the commit).
 */
#define SCENARIO_GOLDEN_HASH UINT64_C(0x86d484d84b440dd6)

static void same_seed_same_trace_other_seed_other_trace(void **state)
{
    (void)state;
    struct mc_buf t1, t2, t3;
    uint64_t h1 = scenario_run(42, 3 * MS, &t1);
    uint64_t h2 = scenario_run(42, 3 * MS, &t2);
    uint64_t h3 = scenario_run(43, 3 * MS, &t3);
    assert_int_equal(h1, h2);
    assert_string_equal(mc_buf_str(&t1), mc_buf_str(&t2));
    assert_true(h1 != h3);
    assert_true(strcmp(mc_buf_str(&t1), mc_buf_str(&t3)) != 0);
    /* The scenario did what it claims: every kind of line is in the trace. */
    static const char *const kinds[] = {
        " request POST /stream ",
        " response 200 stream ",
        " response 202 ",
        " response 404 ",
        " data ",
        " end 0 ",
        " end MC_ECLOSED ",
        " refused",
        " blackhole ",
        " held ",
        "fault partition",
        "fault heal",
        "fault hold",
        "fault release",
        "fault reset",
        "fault crash",
        "fault restart",
        " note healed",
        " timer",
        " discard ",
    };
    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
        if (strstr(mc_buf_str(&t1), kinds[i]) == NULL)
            fail_msg("no \"%s\" in the trace", kinds[i]);
    }
    if (SCENARIO_GOLDEN_HASH != 0 && h1 != SCENARIO_GOLDEN_HASH)
        fail_msg("trace hash %#llx, golden %#llx", (unsigned long long)h1,
                 (unsigned long long)SCENARIO_GOLDEN_HASH);
    print_message("scenario hash %#llx, %zu trace bytes\n", (unsigned long long)h1, t1.len);
    mc_buf_deinit(&t1);
    mc_buf_deinit(&t2);
    mc_buf_deinit(&t3);
}

static void worlds_interleaved_match_worlds_alone(void **state)
{
    (void)state;
    struct mc_buf alone_a, alone_b;
    uint64_t ha = scenario_run(7, 10 * MS, &alone_a);
    uint64_t hb = scenario_run(8, 10 * MS, &alone_b);
    struct scenario *a = malloc(sizeof(*a));
    struct scenario *b = malloc(sizeof(*b));
    assert_non_null(a);
    assert_non_null(b);
    scenario_start(a, 7, 10 * MS);
    scenario_start(b, 8, 10 * MS);
    int more_a = 1, more_b = 1;
    while (more_a || more_b) {
        if (more_a)
            more_a = scenario_tick(a);
        if (more_b)
            more_b = scenario_tick(b);
    }
    struct mc_buf text_a = a->lines.text, text_b = b->lines.text;
    uint64_t ia, ib;
    scenario_finish(a, &ia);
    scenario_finish(b, &ib);
    assert_int_equal(ia, ha);
    assert_int_equal(ib, hb);
    assert_string_equal(mc_buf_str(&text_a), mc_buf_str(&alone_a));
    assert_string_equal(mc_buf_str(&text_b), mc_buf_str(&alone_b));
    mc_buf_deinit(&alone_a);
    mc_buf_deinit(&alone_b);
    mc_buf_deinit(&text_a);
    mc_buf_deinit(&text_b);
    free(a);
    free(b);
}

/* ------------------------------------------- trace lines, copies (internals) */

/* What snprintf writes for a format into a buffer of cap bytes (the reference). */
static void snprintf_ref(char *out, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void snprintf_ref(char *out, size_t cap, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(out, cap, fmt, ap);
    va_end(ap);
}

static void text_writer_matches_snprintf(void **state)
{
    (void)state;
    /* Every count of digits: each power of ten and its neighbours, and the extremes. */
    uint64_t u[64];
    size_t nu = 0;
    for (uint64_t p = 1;; p *= 10) {
        u[nu++] = p - 1;
        u[nu++] = p;
        u[nu++] = p + 1;
        if (p > UINT64_MAX / 10)
            break;
    }
    u[nu++] = UINT64_MAX - 1;
    u[nu++] = UINT64_MAX;
    static const unsigned widths[] = {1, 2, 9, 19, 20, 21, 23, 24};
    char got[64], want[64];
    struct sim_text t;
    for (size_t i = 0; i < nu; i++) {
        for (size_t j = 0; j < sizeof(widths) / sizeof(widths[0]); j++) {
            sim__text_init(&t, got, sizeof(got));
            sim__text_put_u64(&t, u[i], widths[j]);
            snprintf_ref(want, sizeof(want), "%0*llu", (int)widths[j], (unsigned long long)u[i]);
            assert_string_equal(got, want);
            assert_int_equal(t.n, strlen(want));
        }
        /* The same count of digits, negative; INT64_MIN and INT64_MAX below. */
        int64_t v = u[i] <= (uint64_t)INT64_MAX ? (int64_t)u[i] : INT64_MAX;
        for (int sign = -1; sign <= 1; sign += 2) {
            sim__text_init(&t, got, sizeof(got));
            sim__text_put_i64(&t, sign * v);
            snprintf_ref(want, sizeof(want), "%lld", (long long)(sign * v));
            assert_string_equal(got, want);
        }
    }
    sim__text_init(&t, got, sizeof(got));
    sim__text_put_i64(&t, INT64_MIN);
    snprintf_ref(want, sizeof(want), "%lld", (long long)INT64_MIN);
    assert_string_equal(got, want);
    /* Every pair of digits in every place (the writer takes two digits at a time). */
    for (uint64_t v = 0; v < 100000; v++) {
        uint64_t w = v * UINT64_C(184467440737) + v; /* spreads v's digits over 20 places */
        sim__text_init(&t, got, sizeof(got));
        sim__text_put_u64(&t, w, 1);
        snprintf_ref(want, sizeof(want), "%llu", (unsigned long long)w);
        assert_string_equal(got, want);
    }
    /* Pieces past the end are cut where snprintf cuts the whole, for every size. */
    char longer[300];
    memset(longer, 'x', sizeof(longer) - 1);
    longer[sizeof(longer) - 1] = '\0';
    for (size_t cap = 1; cap <= 40; cap++) {
        char small[40], ref[40];
        sim__text_init(&t, small, cap);
        sim__text_put(&t, "ab ");
        sim__text_put_u64(&t, UINT64_MAX, 1);
        sim__text_put(&t, " ");
        sim__text_put_i64(&t, INT64_MIN);
        sim__text_put(&t, "");
        sim__text_put(&t, longer);
        snprintf_ref(ref, cap, "ab %llu %lld%s%s", (unsigned long long)UINT64_MAX,
                     (long long)INT64_MIN, "", longer);
        assert_string_equal(small, ref);
        assert_int_equal(t.n, strlen(ref));
    }
}

/* The descriptions as the simulator wrote them with snprintf (the reference). */
static void describe_ref(const struct sim_delivery *d, char *out, size_t cap)
{
    const struct sim_conn *conn = d->conn;
    unsigned long long call = conn->call, req = conn->req;
    switch (d->kind) {
    case SIM_DELIVERY_REQUEST:
        snprintf_ref(out, cap, "request %s %s call=%llu req=%llu",
                     d->request.method != NULL ? d->request.method : "-",
                     d->request.path != NULL ? d->request.path : "-", call, req);
        break;
    case SIM_DELIVERY_RESPONSE:
        snprintf_ref(out, cap, "response %d call=%llu", d->response.status, call);
        break;
    case SIM_DELIVERY_HEAD:
        snprintf_ref(out, cap, "response %d stream call=%llu", d->response.status, call);
        break;
    case SIM_DELIVERY_DATA:
        snprintf_ref(out, cap, "data %zu bytes call=%llu", d->len, call);
        break;
    case SIM_DELIVERY_END:
        snprintf_ref(out, cap, "end %s call=%llu", d->err == 0 ? "0" : mc_errname(d->err), call);
        break;
    case SIM_DELIVERY_CLOSE:
        snprintf_ref(out, cap, "close req=%llu", req);
        break;
    default:
        fail_msg("no such kind");
    }
}

static void delivery_descriptions_match_snprintf(void **state)
{
    (void)state;
    static char long_path[1500];
    memset(long_path, 'p', sizeof(long_path) - 1);
    long_path[0] = '/';
    static const uint64_t ids[][2] = {{1, 2}, {0, 0}, {UINT64_MAX - 1, UINT64_MAX}};
    static const int statuses[] = {200, 100, 999, 0, -1, INT32_MIN, INT32_MAX};
    static const size_t lens[] = {0, 1, 256, 257, SIZE_MAX};
    static const int errs[] = {0, MC_ECLOSED, MC_ENOMEM};
    static const size_t caps[] = {1, 5, 17, 64, MC_SIM_TRACE_LINE_BYTES_MAX};
    for (size_t k = 0; k < sizeof(ids) / sizeof(ids[0]); k++) {
        struct sim_conn conn;
        memset(&conn, 0, sizeof(conn));
        conn.call = ids[k][0];
        conn.req = ids[k][1];
        for (int kind = SIM_DELIVERY_REQUEST; kind <= SIM_DELIVERY_CLOSE; kind++) {
            for (size_t v = 0; v < 7; v++) {
                struct sim_delivery d;
                memset(&d, 0, sizeof(d));
                d.conn = &conn;
                d.kind = (enum sim_delivery_kind)kind;
                d.request.method = v % 3 == 0 ? NULL : "POST";
                d.request.path = v % 3 == 1 ? NULL : v % 3 == 2 ? long_path : "/api/v1/scheduler";
                d.response.status = statuses[v];
                d.len = lens[v % 5];
                d.err = errs[v % 3];
                for (size_t c = 0; c < sizeof(caps) / sizeof(caps[0]); c++) {
                    char got[MC_SIM_TRACE_LINE_BYTES_MAX], want[MC_SIM_TRACE_LINE_BYTES_MAX];
                    sim__delivery_describe(&d, got, caps[c]);
                    describe_ref(&d, want, caps[c]);
                    assert_string_equal(got, want);
                }
            }
        }
    }
}

static uint64_t fnv1a(uint64_t h, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        h = (h ^ (uint8_t)s[i]) * UINT64_C(0x100000001b3);
    return h;
}

/* A line longer than the line buffer is cut as snprintf cut it, made printable, then hashed. */
static void long_trace_lines_are_cut_and_cleaned(void **state)
{
    (void)state;
    struct sim_options o = options_fixed(MS);
    struct sim_world *w = world_new(&o);
    struct lines l;
    lines_init(&l);
    sim_world_trace_set(w, lines_sink, &l);
    static char text[3000];
    for (size_t i = 0; i < sizeof(text) - 1; i++)
        text[i] = (char)(i % 97 == 5 ? '\t' : i % 89 == 3 ? 0x7f : 'a' + (int)(i % 26));
    static const size_t lens[] = {0, 1, 998, 999, 1000, 1001, sizeof(text) - 1};
    assert_int_equal(sim_world_run_for(w, 12345 * SEC + 678), 0);
    uint64_t hash = sim_world_trace_hash(w);
    for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
        char piece[sizeof(text)];
        memcpy(piece, text, lens[i]);
        piece[lens[i]] = '\0';
        mc_buf_reset(&l.text);
        sim_world_trace_note(w, piece);
        char want[MC_SIM_TRACE_LINE_BYTES_MAX];
        snprintf_ref(want, sizeof(want), "%llu.%09llu - - note %s", 12345ULL, 678ULL, piece);
        for (char *p = want; *p != '\0'; p++)
            if ((unsigned char)*p < 0x20 || (unsigned char)*p == 0x7f)
                *p = '?';
        assert_int_equal(l.text.len, strlen(want) + 1);
        assert_memory_equal(l.text.data, want, strlen(want));
        hash = fnv1a(fnv1a(hash, want, strlen(want)), "\n", 1);
        assert_int_equal(sim_world_trace_hash(w), hash);
    }
    sim_world_destroy(w);
    mc_buf_deinit(&l.text);
}

/* A server that keeps a copy of every request it is given, and answers 202. */
struct recorder {
    struct rt *rt;
    struct http_request got[4];
    int body_nul[4]; /* the body was followed by a NUL byte, as an mc_buf's is */
    uint32_t count;
};

static void recorder_request(void *node, uint64_t req, const struct http_request *request)
{
    struct recorder *k = node;
    assert_true(k->count < 4);
    k->body_nul[k->count] = request->body.len == 0 || request->body.data[request->body.len] == 0;
    assert_int_equal(http_request_copy(&k->got[k->count++], request, NULL), 0);
    struct http_response response;
    assert_int_equal(http_response_empty_init(&response, 202, NULL), 0);
    k->rt->ops->respond(k->rt->ctx, req, &response);
    http_response_deinit(&response);
}

static const struct rt_node_ops recorder_ops = {
    .request = recorder_request,
    .stream_closed = not_a_server_closed,
    .call_response = not_a_client_response,
    .call_data = not_a_client_data,
    .call_end = not_a_client_end,
};

static void request_equal(const struct http_request *a, const struct http_request *b)
{
    assert_string_equal(a->method, b->method);
    assert_string_equal(a->target, b->target);
    assert_string_equal(a->path, b->path);
    assert_int_equal(a->headers.count, b->headers.count);
    for (uint32_t i = 0; i < a->headers.count; i++) {
        assert_string_equal(a->headers.items[i].name, b->headers.items[i].name);
        assert_string_equal(a->headers.items[i].value, b->headers.items[i].value);
    }
    assert_int_equal(a->body.len, b->body.len);
    if (a->body.len > 0)
        assert_memory_equal(a->body.data, b->body.data, a->body.len);
    assert_int_equal(a->version_minor, b->version_minor);
    assert_int_equal(a->keep_alive, b->keep_alive);
}

/* The server is given the request the client sent: line, headers in order, body, flags. */
static void requests_arrive_as_sent(void **state)
{
    (void)state;
    struct sim_options o = options_fixed(MS);
    struct sim_world *w = world_new(&o);
    struct recorder k;
    memset(&k, 0, sizeof(k));
    struct client c;
    client_init(&c);
    assert_int_equal(sim_node_add(w, "rec:1", &recorder_ops, &k, &k.rt), 0);
    assert_int_equal(sim_node_add(w, "client:1", &client_ops, &c, &c.rt), 0);
    struct http_request sent[3];
    /* Headers (one name twice) and a body with NUL and high bytes. */
    http_request_init(&sent[0], NULL);
    assert_int_equal(http_request_line_set(&sent[0], "POST", "/api/v1/scheduler?x=1#f"), 0);
    assert_int_equal(http_headers_add(&sent[0].headers, "Host", "master:5050"), 0);
    assert_int_equal(http_headers_add(&sent[0].headers, "X-Twice", "one"), 0);
    assert_int_equal(http_headers_add(&sent[0].headers, "Empty", ""), 0);
    assert_int_equal(http_headers_add(&sent[0].headers, "x-twice", "two\tvalues"), 0);
    static const uint8_t body[] = {0, 1, 'a', 0, 0xff, 0x80, '\n', 0};
    assert_int_equal(mc_buf_append(&sent[0].body, body, sizeof(body)), 0);
    /* Nothing but a request line, HTTP/1.0, not kept alive. */
    http_request_init(&sent[1], NULL);
    assert_int_equal(http_request_line_set(&sent[1], "GET", "/"), 0);
    sent[1].version_minor = 0;
    sent[1].keep_alive = 0;
    /* A body and no header; an absolute target. */
    http_request_init(&sent[2], NULL);
    assert_int_equal(http_request_line_set(&sent[2], "PUT", "http://h:1/a/b?q"), 0);
    assert_int_equal(mc_buf_append_str(&sent[2].body, "{\"type\":\"TEARDOWN\"}"), 0);
    for (int i = 0; i < 3; i++) {
        struct call_rec *r = &c.calls[c.count++];
        mc_buf_init(&r->data, 1024, NULL);
        r->call = c.rt->ops->call_start(c.rt->ctx, "rec:1", &sent[i]);
        assert_true(r->call != 0);
    }
    run_for(w, SEC);
    assert_int_equal(k.count, 3);
    for (int i = 0; i < 3; i++) {
        request_equal(&k.got[i], &sent[i]);
        assert_true(k.body_nul[i]);
        assert_int_equal(c.calls[i].status, 202);
        http_request_deinit(&sent[i]);
        http_request_deinit(&k.got[i]);
    }
    struct sim_stats st;
    sim_world_stats(w, &st);
    assert_int_equal(st.bytes, sizeof(body) + strlen("{\"type\":\"TEARDOWN\"}"));
    sim_world_destroy(w);
    client_deinit(&c);
}

/* A streaming server that writes chunks of the sizes listed, one per millisecond. */
struct sizer {
    struct rt *rt;
    struct rt_timer tick;
    uint64_t req;
    const size_t *sizes;
    size_t count, next;
    struct mc_buf sent;
};

static void sizer_tick(struct rt_timer *timer)
{
    struct sizer *z = MC_CONTAINER_OF(timer, struct sizer, tick);
    static uint8_t chunk[5000];
    size_t len = z->sizes[z->next++];
    assert_true(len <= sizeof(chunk));
    for (size_t i = 0; i < len; i++)
        chunk[i] = (uint8_t)(z->next * 31 + i * 7);
    assert_int_equal(z->rt->ops->stream_write(z->rt->ctx, z->req, chunk, len), 0);
    assert_int_equal(mc_buf_append(&z->sent, chunk, len), 0);
    if (z->next < z->count)
        rt_timer_start(z->rt, &z->tick, MS, sizer_tick);
}

static void sizer_request(void *node, uint64_t req, const struct http_request *request)
{
    struct sizer *z = node;
    struct http_response response;
    assert_int_equal(http_response_stream_init(&response, "application/json", NULL), 0);
    z->rt->ops->stream_open(z->rt->ctx, req, &response);
    http_response_deinit(&response);
    z->req = req;
    rt_timer_start(z->rt, &z->tick, MS, sizer_tick);
}

static const struct rt_node_ops sizer_ops = {
    .request = sizer_request,
    .stream_closed = not_a_server_closed,
    .call_response = not_a_client_response,
    .call_data = not_a_client_data,
    .call_end = not_a_client_end,
};

/*
 * Chunks on both sides of the size kept inside a delivery, whole or cut in
 * pieces, arrive byte for byte; so do more chunks in flight at once than a
 * world keeps spare deliveries, and nothing is left allocated afterwards.
 */
static void chunks_of_every_size_arrive_whole(void **state)
{
    (void)state;
    static size_t sizes[2 * SIM_DELIVERY_SPARES_MAX];
    enum { INLINE = SIM_DELIVERY_INLINE_BYTES };
    static const size_t edges[] = {1, 2, INLINE - 1, INLINE, INLINE + 1, 4999};
    size_t n = sizeof(sizes) / sizeof(sizes[0]);
    for (size_t i = 0; i < n; i++)
        sizes[i] = edges[i % (sizeof(edges) / sizeof(edges[0]))];
    for (uint32_t split = 0; split <= 1; split++) {
        struct mc_alloc_counting counting;
        mc_alloc_counting_init(&counting, UINT64_MAX);
        struct sim_options o = options_fixed(MS);
        /* Latency far above the 1 ms between chunks: they pile up on the wire. */
        o.latency_ns_min = 5 * SEC;
        o.chunk_split_num = split;
        o.chunk_split_den = 1;
        struct sim_world *w = NULL;
        assert_int_equal(sim_world_create(&o, &counting.alloc, &w, NULL), 0);
        struct sizer z;
        memset(&z, 0, sizeof(z));
        z.sizes = sizes;
        z.count = n;
        mc_buf_init(&z.sent, 1u << 24, NULL);
        struct client c;
        client_init(&c);
        assert_int_equal(sim_node_add(w, "sizer:1", &sizer_ops, &z, &z.rt), 0);
        assert_int_equal(sim_node_add(w, "client:1", &client_ops, &c, &c.rt), 0);
        struct call_rec *r = client_call(&c, "sizer:1", "/stream");
        run_for(w, 20 * SEC);
        assert_int_equal(z.next, n);
        assert_int_equal(r->data.len, z.sent.len);
        assert_memory_equal(r->data.data, z.sent.data, z.sent.len);
        if (split)
            assert_true(r->pieces > n);
        else
            assert_int_equal(r->pieces, n);
        sim_world_destroy(w);
        assert_int_equal(counting.live, 0);
        mc_buf_deinit(&z.sent);
        client_deinit(&c);
    }
}

/* ---------------------------------------------- checks, limits, errors */

/* Flags a violation at every event from 2 s on. */
static int check_before_two_seconds(void *ctx, const struct sim_world *world, char *text,
                                    size_t text_bytes)
{
    uint32_t *calls = ctx;
    (*calls)++;
    if (sim_world_now_ns(world) < 2 * SEC)
        return 0;
    snprintf(text, text_bytes, "it is %llu ns", (unsigned long long)sim_world_now_ns(world));
    return 1;
}

static void checker_violations_are_counted_with_the_first(void **state)
{
    (void)state;
    struct sim_options o = options_fixed(MS);
    struct sim_world *w = world_new(&o);
    uint32_t calls = 0;
    assert_int_equal(sim_world_check_add(w, check_before_two_seconds, &calls), 0);
    struct echo e;
    struct client c;
    world_pair(w, &e, &c);
    (void)client_call(&c, "echo:1", "/stream");
    run_for(w, 4500 * MS);
    uint64_t first_ns = 0;
    const char *first = NULL;
    /* Events at or after 2 s: ticks 2..4 (timer and data each). */
    assert_int_equal(sim_world_violations(w, &first_ns, &first), 6);
    assert_int_equal(first_ns, 2001 * MS);
    assert_string_equal(first, "it is 2001000000 ns");
    struct sim_stats st;
    sim_world_stats(w, &st);
    assert_int_equal(calls, st.events);
    sim_world_destroy(w);
    echo_deinit(&e);
    client_deinit(&c);

    /* Switched off for benchmarks: registered checkers do not run. */
    o.checks_disabled = 1;
    w = world_new(&o);
    calls = 0;
    assert_int_equal(sim_world_check_add(w, check_before_two_seconds, &calls), 0);
    world_pair(w, &e, &c);
    (void)client_call(&c, "echo:1", "/stream");
    run_for(w, 4500 * MS);
    assert_int_equal(calls, 0);
    assert_int_equal(sim_world_violations(w, NULL, NULL), 0);
    for (uint32_t i = 1; i < MC_SIM_CHECKS_MAX; i++)
        assert_int_equal(sim_world_check_add(w, check_before_two_seconds, &calls), 0);
    assert_int_equal(sim_world_check_add(w, check_before_two_seconds, &calls), MC_ELIMIT);
    sim_world_destroy(w);
    echo_deinit(&e);
    client_deinit(&c);
}

static void options_out_of_range_are_refused_with_the_field(void **state)
{
    (void)state;
    /* Rows: {field changed, value, words expected in the message}. */
    struct {
        int field;
        uint32_t value;
        const char *words;
    } rows[] = {
        {0, 0, "chunk_split_den must be at least 1"},
        {1, 5, "chunk_split_num (5) is above chunk_split_den (4)"},
        {2, 0, "events_max (0) must be in 1.."},
        {2, MC_SIM_EVENTS_MAX + 1, "events_max"},
        {3, 0, "events_per_instant_max must be at least 1"},
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        struct sim_options o;
        sim_options_default(&o);
        if (rows[i].field == 0)
            o.chunk_split_den = rows[i].value;
        else if (rows[i].field == 1)
            o.chunk_split_num = rows[i].value;
        else if (rows[i].field == 2)
            o.events_max = rows[i].value;
        else
            o.events_per_instant_max = rows[i].value;
        struct sim_world *w = NULL;
        struct mc_diag diag;
        mc_diag_clear(&diag);
        assert_int_equal(sim_world_create(&o, NULL, &w, &diag), MC_EINVAL);
        assert_null(w);
        if (strstr(diag.text, rows[i].words) == NULL)
            fail_msg("row %zu: \"%s\" lacks \"%s\"", i, diag.text, rows[i].words);
    }
}

static void full_event_queue_stops_the_world_with_a_message(void **state)
{
    (void)state;
    struct sim_options o = options_fixed(MS);
    o.events_max = 8;
    struct sim_world *w = world_new(&o);
    struct echo e;
    struct client c;
    world_pair(w, &e, &c);
    for (int i = 0; i < 9; i++)
        (void)client_call(&c, "echo:1", "/accept");
    assert_int_equal(c.calls[7].call != 0, 1);
    assert_int_equal(c.calls[8].call, 0);
    struct mc_diag diag;
    assert_int_equal(sim_world_error(w, &diag), MC_ELIMIT);
    assert_non_null(strstr(diag.text, "event queue is full: 8 events (events_max)"));
    assert_int_equal(sim_world_run_for(w, SEC), MC_ELIMIT);
    sim_world_destroy(w);
    echo_deinit(&e);
    client_deinit(&c);
}

static void node_addresses_are_checked(void **state)
{
    (void)state;
    struct sim_options o = options_fixed(MS);
    struct sim_world *w = world_new(&o);
    struct client c;
    client_init(&c);
    char long_address[MC_SIM_ADDRESS_BYTES_MAX + 1];
    memset(long_address, 'a', sizeof(long_address) - 1);
    long_address[sizeof(long_address) - 1] = '\0';
    /* Rows: {address, expected error}. */
    struct {
        const char *address;
        int err;
    } rows[] = {
        {"", MC_EINVAL},           {"a b", MC_EINVAL}, {"tab\t1", MC_EINVAL}, {"-", MC_EINVAL},
        {long_address, MC_EINVAL}, {"ok:1", 0},        {"ok:1", MC_EEXIST},
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
        assert_int_equal(sim_node_add(w, rows[i].address, &client_ops, &c, &c.rt), rows[i].err);
    assert_true(sim_node_is_up(w, "ok:1"));
    assert_false(sim_node_is_up(w, "a b"));
    sim_world_destroy(w);
}

/*
 * Allocation failure: the Nth allocation of the world fails, for every N
 * until a run needs no more. Whatever fails must be reported (an error
 * code, a call that does not start, a world that stops with ENOMEM), never
 * crash or leak.
 */
static void allocation_failures_are_clean(void **state)
{
    (void)state;
    for (uint64_t fail_at = 0;; fail_at++) {
        struct mc_alloc_counting counting;
        mc_alloc_counting_init(&counting, fail_at);
        struct sim_options o = options_fixed(MS);
        o.chunk_split_num = 1;
        o.chunk_split_den = 2;
        struct sim_world *w = NULL;
        if (sim_world_create(&o, &counting.alloc, &w, NULL) != 0) {
            assert_int_equal(counting.live, 0);
            continue;
        }
        struct echo e;
        struct client c;
        echo_init(&e);
        client_init(&c);
        int ok = sim_node_add(w, "echo:1", &echo_ops, &e, &e.rt) == 0 &&
                 sim_node_add(w, "client:1", &client_ops, &c, &c.rt) == 0;
        if (ok) {
            (void)client_call(&c, "echo:1", "/stream");
            (void)client_call(&c, "echo:1", "/accept");
            int err = sim_world_run_for(w, 3500 * MS);
            assert_true(err == 0 || err == MC_ENOMEM);
            ok = err == 0 && c.calls[0].call != 0 && c.calls[1].call != 0;
        }
        sim_world_destroy(w);
        assert_int_equal(counting.live, 0);
        echo_deinit(&e);
        client_deinit(&c);
        if (ok && counting.calls <= fail_at) {
            print_message("allocation failure: %llu runs\n", (unsigned long long)fail_at + 1);
            break;
        }
        assert_true(fail_at < 10000);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(timers_with_equal_deadlines_fire_in_start_order),
        cmocka_unit_test(timer_cancel_stops_it_and_is_harmless_twice),
        cmocka_unit_test(zero_delay_timer_loop_is_a_reported_error),
        cmocka_unit_test(request_and_answer_take_one_latency_each),
        cmocka_unit_test(calls_to_nothing_are_refused_after_a_round_trip),
        cmocka_unit_test(connection_keeps_fifo_under_jitter),
        cmocka_unit_test(split_chunks_reassemble_byte_identical),
        cmocka_unit_test(cancel_tells_a_streaming_server_after_latency),
        cmocka_unit_test(partition_blackholes_then_heals_with_whole_chunks),
        cmocka_unit_test(one_way_partition_cuts_one_direction_only),
        cmocka_unit_test(partition_rejects_bad_sides),
        cmocka_unit_test(held_link_delivers_in_order_at_release),
        cmocka_unit_test(reset_tells_both_ends),
        cmocka_unit_test(crash_drops_timers_refuses_calls_and_restart_keeps_the_store),
        cmocka_unit_test(store_checks_keys_and_limits),
        cmocka_unit_test(filter_drops_and_delays_whole_deliveries),
        cmocka_unit_test(same_seed_same_trace_other_seed_other_trace),
        cmocka_unit_test(worlds_interleaved_match_worlds_alone),
        cmocka_unit_test(text_writer_matches_snprintf),
        cmocka_unit_test(delivery_descriptions_match_snprintf),
        cmocka_unit_test(long_trace_lines_are_cut_and_cleaned),
        cmocka_unit_test(requests_arrive_as_sent),
        cmocka_unit_test(chunks_of_every_size_arrive_whole),
        cmocka_unit_test(checker_violations_are_counted_with_the_first),
        cmocka_unit_test(options_out_of_range_are_refused_with_the_field),
        cmocka_unit_test(full_event_queue_stops_the_world_with_a_message),
        cmocka_unit_test(node_addresses_are_checked),
        cmocka_unit_test(allocation_failures_are_clean),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
