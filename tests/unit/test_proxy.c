/*
 * test_proxy.c: the fault proxy (conformance/proxy.h) over real loopback
 * sockets, in one thread.
 *
 * Each test runs a uv loop with three parties: a small upstream server of
 * the test's own (it answers by path: a whole body, a finished RecordIO
 * stream, or a stream left open), the proxy in front of it, and clients
 * that are libuv sockets keeping every byte they receive. wait_for runs
 * the loop until a condition holds or a generous deadline passes, so only
 * a failing test waits long. Every test ends by destroying the proxy,
 * closing its handles and checking that the loop closes clean.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <uv.h>

#include "http1.h"
#include "mc_buf.h"
#include "mc_list.h"
#include "proxy.h"
#include "recordio.h"

#define WAIT_MS_MAX 5000u
#define QUIET_MS 150u /* how long "nothing arrives" is watched */
#define CLIENTS_MAX 8
#define UP_CONNS_MAX 8

/* The records of the test streams: what the upstream sends, in order. */
static const char *const json_records[] = {
    "{\"type\":\"SUBSCRIBED\",\"subscribed\":{\"framework_id\":{\"value\":\"f1\"}}}",
    "{\"type\":\"HEARTBEAT\"}",
    "{\"type\":\"OFFERS\",\"offers\":{}}",
    "{\"type\":\"HEARTBEAT\"}",
    "{\"type\":\"MESSAGE\",\"message\":{\"data\":\"SEVBUlRCRUFU\"}}",
};
#define JSON_RECORDS 5

/* Protobuf Events: field 1 (type) varint; 8 is HEARTBEAT for the scheduler. */
static const uint8_t pb_subscribed[] = {0x08, 0x01, 0x12, 0x02, 0x0a, 0x00};
static const uint8_t pb_heartbeat[] = {0x08, 0x08};
static const uint8_t pb_update[] = {0x12, 0x01, 0x08, 0x08, 0x04}; /* type after a field */

struct up_conn {
    uv_tcp_t tcp;
    struct http1_server parser;
    int closed;   /* the handle has closed */
    int ended;    /* EOF or error read */
    int requests; /* complete requests read */
};

struct tclient {
    uv_tcp_t tcp;
    uv_connect_t connect;
    uv_write_t write;
    struct mc_buf in;
    char out[4096];
    int connected;
    int eof;
    int error; /* a read error (a reset) */
    int closed;
};

struct fx {
    uv_loop_t loop;
    uv_timer_t tick;
    uv_timer_t deadline;
    int expired;
    uv_tcp_t listener;
    uint16_t up_port;
    struct up_conn up[UP_CONNS_MAX];
    int up_count;
    struct proxy *proxy;
    struct tclient clients[CLIENTS_MAX];
    int client_count;
};

/* ---- the upstream ------------------------------------------------------------ */

static void buf_put(struct mc_buf *b, const char *s)
{
    assert_int_equal(mc_buf_append_str(b, s), 0);
}

/* The exact bytes the upstream answers to path with. */
static void upstream_answer(const char *path, struct mc_buf *out)
{
    if (strcmp(path, "/plain") == 0) {
        buf_put(out, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello");
        return;
    }
    int pb = strcmp(path, "/api/v1/scheduler?pb") == 0;
    buf_put(out, pb ? "HTTP/1.1 200 OK\r\nContent-Type: application/x-protobuf\r\n"
                    : "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n");
    buf_put(out, "Mesos-Stream-Id: s-1\r\nTransfer-Encoding: chunked\r\n\r\n");
    struct mc_buf rec;
    mc_buf_init(&rec, 1 << 20, NULL);
    if (pb) {
        const uint8_t *recs[] = {pb_subscribed, pb_heartbeat, pb_update, pb_heartbeat};
        size_t lens[] = {sizeof(pb_subscribed), sizeof(pb_heartbeat), sizeof(pb_update),
                         sizeof(pb_heartbeat)};
        for (int i = 0; i < 4; i++) {
            mc_buf_reset(&rec);
            assert_int_equal(rio_encode(&rec, recs[i], lens[i]), 0);
            assert_int_equal(http1_chunk_write(out, rec.data, rec.len), 0);
        }
    } else {
        int records = strcmp(path, "/open") == 0 ? 1 : JSON_RECORDS;
        for (int i = 0; i < records; i++) {
            mc_buf_reset(&rec);
            assert_int_equal(rio_encode(&rec, json_records[i], strlen(json_records[i])), 0);
            assert_int_equal(http1_chunk_write(out, rec.data, rec.len), 0);
        }
    }
    if (strcmp(path, "/open") != 0)
        assert_int_equal(http1_chunk_end_write(out), 0);
    mc_buf_deinit(&rec);
}

/* The de-chunked body of what upstream_answer writes for path (JSON streams). */
static void upstream_body(const char *path, struct mc_buf *out)
{
    int pb = strcmp(path, "/api/v1/scheduler?pb") == 0;
    const uint8_t *recs[] = {pb_subscribed, pb_heartbeat, pb_update, pb_heartbeat};
    size_t lens[] = {sizeof(pb_subscribed), sizeof(pb_heartbeat), sizeof(pb_update),
                     sizeof(pb_heartbeat)};
    for (int i = 0; i < (pb ? 4 : JSON_RECORDS); i++) {
        const void *d = pb ? (const void *)recs[i] : (const void *)json_records[i];
        size_t n = pb ? lens[i] : strlen(json_records[i]);
        assert_int_equal(rio_encode(out, d, n), 0);
    }
}

static void up_write_done(uv_write_t *req, int status)
{
    (void)status;
    free(req->data);
    free(req);
}

static void up_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    (void)h;
    buf->base = malloc(suggested);
    buf->len = suggested;
}

static void up_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
    struct up_conn *c = s->data;
    if (nread < 0)
        c->ended = 1;
    size_t pos = 0;
    while (nread > 0 && pos < (size_t)nread) {
        size_t consumed = 0;
        struct http_request req;
        struct http1_error err;
        int r = http1_server_feed(&c->parser, (const uint8_t *)buf->base + pos,
                                  (size_t)nread - pos, &consumed, &req, &err);
        pos += consumed;
        if (r != 1)
            break;
        c->requests++;
        struct mc_buf out;
        mc_buf_init(&out, 1 << 20, NULL);
        upstream_answer(req.target, &out);
        http_request_deinit(&req);
        uv_write_t *w = malloc(sizeof(*w));
        size_t len = 0;
        w->data = mc_buf_take(&out, &len);
        uv_buf_t b = uv_buf_init(w->data, (unsigned)len);
        assert_int_equal(uv_write(w, s, &b, 1, up_write_done), 0);
    }
    free(buf->base);
}

static void up_connection(uv_stream_t *server, int status)
{
    struct fx *f = server->data;
    assert_int_equal(status, 0);
    assert_true(f->up_count < UP_CONNS_MAX);
    struct up_conn *c = &f->up[f->up_count++];
    uv_tcp_init(&f->loop, &c->tcp);
    c->tcp.data = c;
    http1_server_init(&c->parser, NULL);
    assert_int_equal(uv_accept(server, (uv_stream_t *)&c->tcp), 0);
    assert_int_equal(uv_read_start((uv_stream_t *)&c->tcp, up_alloc, up_read), 0);
}

/* ---- clients ------------------------------------------------------------------- */

static void client_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    (void)h;
    buf->base = malloc(suggested);
    buf->len = suggested;
}

static void client_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
    struct tclient *c = s->data;
    if (nread == UV_EOF)
        c->eof = 1;
    else if (nread < 0)
        c->error = 1;
    else if (nread > 0)
        assert_int_equal(mc_buf_append(&c->in, buf->base, (size_t)nread), 0);
    if (nread < 0)
        uv_read_stop(s);
    free(buf->base);
}

static void client_write_done(uv_write_t *req, int status)
{
    (void)req;
    (void)status;
}

static void client_connected(uv_connect_t *req, int status)
{
    struct tclient *c = req->data;
    assert_int_equal(status, 0);
    c->connected = 1;
    assert_int_equal(uv_read_start((uv_stream_t *)&c->tcp, client_alloc, client_read), 0);
    if (c->out[0] != '\0') {
        uv_buf_t b = uv_buf_init(c->out, (unsigned)strlen(c->out));
        assert_int_equal(uv_write(&c->write, (uv_stream_t *)&c->tcp, &b, 1, client_write_done), 0);
    }
}

/* Opens a client to the proxy that sends request (may be "") once connected. */
static struct tclient *client_open(struct fx *f, const char *request)
{
    assert_true(f->client_count < CLIENTS_MAX);
    struct tclient *c = &f->clients[f->client_count++];
    mc_buf_init(&c->in, 1 << 22, NULL);
    snprintf(c->out, sizeof(c->out), "%s", request);
    uv_tcp_init(&f->loop, &c->tcp);
    c->tcp.data = c;
    c->connect.data = c;
    struct sockaddr_in addr;
    uv_ip4_addr("127.0.0.1", proxy_port(f->proxy), &addr);
    assert_int_equal(uv_tcp_connect(&c->connect, &c->tcp, (const struct sockaddr *)&addr,
                                    client_connected), 0);
    return c;
}

/* ---- the fixture ------------------------------------------------------------------ */

static void tick_fire(uv_timer_t *t)
{
    (void)t;
}

static void deadline_fire(uv_timer_t *t)
{
    struct fx *f = t->data;
    f->expired = 1;
}

/* Runs the loop until pred(f, arg) holds (1) or ms pass (0). */
static int wait_for(struct fx *f, int (*pred)(struct fx *, const void *), const void *arg,
                    unsigned ms)
{
    f->expired = 0;
    uv_timer_start(&f->deadline, deadline_fire, ms, 0);
    while (!pred(f, arg) && !f->expired)
        uv_run(&f->loop, UV_RUN_ONCE);
    uv_timer_stop(&f->deadline);
    return pred(f, arg);
}

static int never(struct fx *f, const void *arg)
{
    (void)f;
    (void)arg;
    return 0;
}

static void quiet(struct fx *f)
{
    (void)wait_for(f, never, NULL, QUIET_MS);
}

static int has_bytes(struct fx *f, const void *arg)
{
    (void)f;
    const struct tclient *c = arg;
    return c->in.len > 0;
}

static int bytes_contain(const uint8_t *data, size_t len, const char *needle)
{
    size_t n = strlen(needle);
    for (size_t i = 0; i + n <= len; i++) {
        if (memcmp(data + i, needle, n) == 0)
            return 1;
    }
    return 0;
}

/* The client has received a whole response (a Content-Length one or a finished stream). */
static int has_end(struct fx *f, const void *arg)
{
    (void)f;
    const struct tclient *c = arg;
    const char *s = mc_buf_str(&c->in);
    return bytes_contain(c->in.data, c->in.len, "\r\n0\r\n\r\n") || (strstr(s, "hello") != NULL) ||
           (strstr(s, "Content-Length: 0\r\n\r\n") != NULL) ||
           (c->in.len > 0 && s[c->in.len - 1] != '\n' && strstr(s, "text/plain") != NULL &&
            strstr(s, "\r\n\r\n") != NULL && strstr(s, "\r\n\r\n")[4] != '\0');
}

static int has_gone(struct fx *f, const void *arg)
{
    (void)f;
    const struct tclient *c = arg;
    return c->eof || c->error;
}

static void fx_open(struct fx *f, const struct proxy_options *extra)
{
    memset(f, 0, sizeof(*f));
    assert_int_equal(uv_loop_init(&f->loop), 0);
    uv_timer_init(&f->loop, &f->tick);
    uv_timer_start(&f->tick, tick_fire, 10, 10);
    uv_timer_init(&f->loop, &f->deadline);
    f->deadline.data = f;
    uv_tcp_init(&f->loop, &f->listener);
    f->listener.data = f;
    struct sockaddr_in addr;
    uv_ip4_addr("127.0.0.1", 0, &addr);
    assert_int_equal(uv_tcp_bind(&f->listener, (const struct sockaddr *)&addr, 0), 0);
    assert_int_equal(uv_listen((uv_stream_t *)&f->listener, 16, up_connection), 0);
    struct sockaddr_in bound;
    int len = sizeof(bound);
    assert_int_equal(uv_tcp_getsockname(&f->listener, (struct sockaddr *)&bound, &len), 0);
    f->up_port = ntohs(bound.sin_port);
    char upstream[64];
    snprintf(upstream, sizeof(upstream), "127.0.0.1:%u", (unsigned)f->up_port);
    struct proxy_options o;
    memset(&o, 0, sizeof(o));
    if (extra != NULL)
        o = *extra;
    o.listen_address = "127.0.0.1:0";
    o.upstream_address = upstream;
    o.seed = 7;
    struct mc_diag diag;
    mc_diag_clear(&diag);
    assert_int_equal(proxy_create(&f->loop, &o, &f->proxy, &diag), 0);
    assert_true(proxy_port(f->proxy) != 0);
}

static void closed_cb(uv_handle_t *h)
{
    (void)h;
}

static void fx_close(struct fx *f)
{
    proxy_destroy(f->proxy);
    for (int i = 0; i < f->client_count; i++) {
        uv_close((uv_handle_t *)&f->clients[i].tcp, closed_cb);
    }
    for (int i = 0; i < f->up_count; i++)
        uv_close((uv_handle_t *)&f->up[i].tcp, closed_cb);
    uv_close((uv_handle_t *)&f->listener, closed_cb);
    uv_close((uv_handle_t *)&f->tick, closed_cb);
    uv_close((uv_handle_t *)&f->deadline, closed_cb);
    uv_run(&f->loop, UV_RUN_DEFAULT);
    for (int i = 0; i < f->client_count; i++)
        mc_buf_deinit(&f->clients[i].in);
    for (int i = 0; i < f->up_count; i++)
        http1_server_deinit(&f->up[i].parser);
    assert_int_equal(uv_loop_close(&f->loop), 0);
}

/* ---- reading what a client got --------------------------------------------------- */

struct got {
    int status;
    char location[256];
    struct mc_buf body;   /* de-chunked */
    int chunks;           /* chunks of a chunked body */
    int ended;
};

/* Parses a client's bytes as one response, checking the chunk framing on the way. */
static void got_parse(const struct tclient *c, struct got *g)
{
    memset(g, 0, sizeof(*g));
    mc_buf_init(&g->body, 1 << 22, NULL);
    struct http1_client p;
    http1_client_init(&p, NULL);
    size_t pos = 0;
    while (pos < c->in.len && !g->ended) {
        size_t consumed = 0;
        struct http1_client_event ev;
        struct http1_error err;
        int r = http1_client_feed(&p, c->in.data + pos, c->in.len - pos, &consumed, &ev, &err);
        assert_true(r >= 0);
        pos += consumed;
        if (r == 0)
            break;
        if (ev.kind == HTTP1_CLIENT_HEAD) {
            g->status = ev.head->status;
            const char *loc = http_headers_get(&ev.head->headers, "Location");
            snprintf(g->location, sizeof(g->location), "%s", loc != NULL ? loc : "");
        } else if (ev.kind == HTTP1_CLIENT_BODY) {
            assert_int_equal(mc_buf_append(&g->body, ev.data, ev.bytes), 0);
        } else {
            g->ended = 1;
        }
    }
    http1_client_deinit(&p);
    /* Count the chunks on the wire: walk the size lines after the head. */
    const char *s = strstr(mc_buf_str(&c->in), "\r\n\r\n");
    if (s != NULL && strstr(mc_buf_str(&c->in), "chunked") != NULL) {
        s += 4;
        for (;;) {
            char *end = NULL;
            unsigned long n = strtoul(s, &end, 16);
            if (end == s || n == 0)
                break;
            g->chunks++;
            s = end + 2 + n + 2;
        }
    }
}

static void got_deinit(struct got *g)
{
    mc_buf_deinit(&g->body);
}

/* The records of a RecordIO body, decoded at once, one byte at a time and split anywhere. */
static int records_count(const struct mc_buf *body, const char *must_not)
{
    int counts[3] = {0, 0, 0};
    for (int mode = 0; mode < 3; mode++) {
        struct rio_decoder d;
        rio_decoder_init(&d, 1 << 20, NULL);
        size_t step = mode == 0 ? body->len : mode == 1 ? 1 : 7;
        for (size_t pos = 0; pos < body->len;) {
            size_t n = body->len - pos < step ? body->len - pos : step;
            size_t off = 0;
            while (off < n) {
                size_t consumed = 0;
                struct rio_record rec;
                int r = rio_decoder_feed(&d, body->data + pos + off, n - off, &consumed, &rec, NULL);
                assert_true(r >= 0);
                off += consumed;
                if (r == 1) {
                    counts[mode]++;
                    if (must_not != NULL)
                        assert_false(bytes_contain(rec.data, rec.bytes, must_not));
                }
            }
            pos += n;
        }
        assert_int_equal(rio_decoder_finish(&d, NULL), 0);
        rio_decoder_deinit(&d);
    }
    assert_int_equal(counts[0], counts[1]);
    assert_int_equal(counts[0], counts[2]);
    return counts[0];
}

/* ---- tests --------------------------------------------------------------------------- */

static void expect_identical(const char *path)
{
    struct fx f;
    fx_open(&f, NULL);
    char req[256];
    snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: x\r\n\r\n", path);
    struct tclient *c = client_open(&f, req);
    assert_true(wait_for(&f, has_end, c, WAIT_MS_MAX));
    struct mc_buf want;
    mc_buf_init(&want, 1 << 20, NULL);
    upstream_answer(path, &want);
    assert_int_equal(c->in.len, want.len);
    assert_memory_equal(c->in.data, want.data, want.len);
    assert_int_equal(f.up[0].requests, 1);
    mc_buf_deinit(&want);
    fx_close(&f);
}

static void transparent_plain(void **state)
{
    (void)state;
    expect_identical("/plain");
}

static void transparent_stream(void **state)
{
    (void)state;
    expect_identical("/api/v1/scheduler");
}

/* A body fault: the body is identical after de-chunking, with the chunk count given. */
static void expect_rechunked(const char *fault, const char *path, int chunks_min, int chunks_max,
                             int records)
{
    struct fx f;
    fx_open(&f, NULL);
    struct mc_diag diag;
    assert_int_equal(proxy_fault_apply(f.proxy, fault, &diag), 0);
    char req[256];
    snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: x\r\n\r\n", path);
    struct tclient *c = client_open(&f, req);
    assert_true(wait_for(&f, has_end, c, WAIT_MS_MAX));
    struct got g;
    got_parse(c, &g);
    assert_int_equal(g.status, 200);
    assert_true(g.ended);
    assert_true(g.chunks >= chunks_min);
    assert_true(g.chunks <= chunks_max);
    if (records < 0) {
        struct mc_buf want;
        mc_buf_init(&want, 1 << 20, NULL);
        upstream_body(path, &want);
        assert_int_equal(g.body.len, want.len);
        assert_memory_equal(g.body.data, want.data, want.len);
        mc_buf_deinit(&want);
    } else {
        assert_int_equal(records_count(&g.body, "HEARTBEAT"), records);
    }
    got_deinit(&g);
    fx_close(&f);
}

static void split_fixed(void **state)
{
    (void)state;
    /* Every record is over 20 bytes framed, so 3-byte pieces make many more chunks. */
    expect_rechunked("split=3", "/api/v1/scheduler", 5 * 7, 100000, -1);
}

static void split_random(void **state)
{
    (void)state;
    expect_rechunked("split=random", "/api/v1/scheduler", 5 * 2, 5 * 8, -1);
}

static void merge_three(void **state)
{
    (void)state;
    /* Five records, three to a chunk: two chunks. */
    expect_rechunked("merge=3", "/api/v1/scheduler", 2, 2, -1);
}

static void drop_heartbeats_json(void **state)
{
    (void)state;
    /* The MESSAGE record's data decodes to "HEARTBEAT" in base64 only: it stays. */
    expect_rechunked("drop-heartbeats", "/api/v1/scheduler", 3, 3, 3);
}

static void drop_heartbeats_protobuf(void **state)
{
    (void)state;
    struct fx f;
    fx_open(&f, NULL);
    proxy_drop_heartbeats_set(f.proxy, 1);
    struct tclient *c = client_open(&f, "GET /api/v1/scheduler?pb HTTP/1.1\r\nHost: x\r\n\r\n");
    assert_true(wait_for(&f, has_end, c, WAIT_MS_MAX));
    struct got g;
    got_parse(c, &g);
    /* SUBSCRIBED and UPDATE stay; the UPDATE's nested 08 08 is not its type. */
    assert_int_equal(g.chunks, 2);
    assert_int_equal(records_count(&g.body, NULL), 2);
    assert_int_equal(proxy_stats_get(f.proxy)->heartbeats_dropped, 2);
    got_deinit(&g);
    fx_close(&f);
}

static void hold_then_release(void **state)
{
    (void)state;
    struct fx f;
    fx_open(&f, NULL);
    proxy_hold(f.proxy);
    struct tclient *c = client_open(&f, "GET /plain HTTP/1.1\r\nHost: x\r\n\r\n");
    struct tclient *d = client_open(&f, "GET /api/v1/scheduler HTTP/1.1\r\nHost: x\r\n\r\n");
    quiet(&f);
    assert_int_equal(c->in.len, 0);
    assert_int_equal(d->in.len, 0);
    assert_int_equal(f.up[0].requests + (f.up_count > 1 ? f.up[1].requests : 0), 0);
    proxy_release(f.proxy);
    assert_true(wait_for(&f, has_end, c, WAIT_MS_MAX));
    assert_true(wait_for(&f, has_end, d, WAIT_MS_MAX));
    struct mc_buf want;
    mc_buf_init(&want, 1 << 20, NULL);
    upstream_answer("/api/v1/scheduler", &want);
    assert_int_equal(d->in.len, want.len);
    assert_memory_equal(d->in.data, want.data, want.len);
    mc_buf_deinit(&want);
    fx_close(&f);
}

static void partition_blackholes_then_heal_resets(void **state)
{
    (void)state;
    struct fx f;
    fx_open(&f, NULL);
    proxy_partition(f.proxy);
    struct tclient *c = client_open(&f, "GET /plain HTTP/1.1\r\nHost: x\r\n\r\n");
    quiet(&f);
    assert_true(c->connected);
    assert_int_equal(c->in.len, 0);
    assert_false(c->eof || c->error); /* the connection stays open */
    assert_int_equal(f.up_count, 1);
    assert_int_equal(f.up[0].requests, 0);
    assert_true(proxy_stats_get(f.proxy)->bytes_dropped > 0);
    /* A new connection is accepted too; it sends nothing, so loses nothing. */
    struct tclient *idle = client_open(&f, "");
    quiet(&f);
    assert_true(idle->connected);
    proxy_heal(f.proxy);
    assert_true(wait_for(&f, has_gone, c, WAIT_MS_MAX));
    assert_int_equal(c->in.len, 0);
    assert_int_equal(proxy_stats_get(f.proxy)->conns_reset, 1);
    quiet(&f);
    assert_false(idle->eof || idle->error);
    fx_close(&f);
}

static int up_ended(struct fx *f, const void *arg)
{
    (void)arg;
    return f->up_count == 1 && f->up[0].ended;
}

static void reset_closes_both_sides(void **state)
{
    (void)state;
    struct fx f;
    fx_open(&f, NULL);
    struct tclient *c = client_open(&f, "GET /open HTTP/1.1\r\nHost: x\r\n\r\n");
    assert_true(wait_for(&f, has_bytes, c, WAIT_MS_MAX));
    proxy_reset(f.proxy);
    assert_true(wait_for(&f, has_gone, c, WAIT_MS_MAX));
    assert_true(c->error); /* an RST, not a FIN */
    assert_true(wait_for(&f, up_ended, NULL, WAIT_MS_MAX));
    assert_int_equal(proxy_stats_get(f.proxy)->conns_open, 0);
    fx_close(&f);
}

static void stall_holds_the_body(void **state)
{
    (void)state;
    struct fx f;
    fx_open(&f, NULL);
    proxy_stall_set(f.proxy, 1);
    struct tclient *c = client_open(&f, "GET /plain HTTP/1.1\r\nHost: x\r\n\r\n");
    assert_true(wait_for(&f, has_bytes, c, WAIT_MS_MAX));
    quiet(&f);
    assert_string_equal(mc_buf_str(&c->in),
                        "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\n");
    proxy_stall_set(f.proxy, 0);
    assert_true(wait_for(&f, has_end, c, WAIT_MS_MAX));
    assert_string_equal(mc_buf_str(&c->in) + c->in.len - 5, "hello");
    fx_close(&f);
}

static void answers_307_and_503(void **state)
{
    (void)state;
    struct fx f;
    fx_open(&f, NULL);
    assert_int_equal(proxy_answer_set(f.proxy, 307, "10.0.0.2:5050"), 0);
    struct tclient *c = client_open(&f, "POST /api/v1/scheduler HTTP/1.1\r\nHost: x\r\n"
                                        "Content-Length: 2\r\n\r\n{}");
    assert_true(wait_for(&f, has_end, c, WAIT_MS_MAX));
    struct got g;
    got_parse(c, &g);
    /* SPEC S2: protocol-relative Location, empty body (recorded: m.non-leader-307). */
    assert_int_equal(g.status, 307);
    assert_string_equal(g.location, "//10.0.0.2:5050/master/api/v1/scheduler");
    assert_int_equal(g.body.len, 0);
    got_deinit(&g);
    assert_int_equal(proxy_answer_set(f.proxy, 503, NULL), 0);
    struct tclient *d = client_open(&f, "GET /api/v1/scheduler HTTP/1.1\r\nHost: x\r\n\r\n");
    assert_true(wait_for(&f, has_end, d, WAIT_MS_MAX));
    got_parse(d, &g);
    assert_int_equal(g.status, 503);
    assert_string_equal(mc_buf_str(&g.body), "No leader elected");
    got_deinit(&g);
    for (int i = 0; i < f.up_count; i++)
        assert_int_equal(f.up[i].requests, 0);
    assert_int_equal(proxy_answer_set(f.proxy, 307, NULL), MC_EINVAL);
    assert_int_equal(proxy_answer_set(f.proxy, 404, "a:1"), MC_EINVAL);
    fx_close(&f);
}

static void control_channel(void **state)
{
    (void)state;
    struct fx f;
    fx_open(&f, NULL);
    proxy_partition(f.proxy);
    struct tclient *c = client_open(&f, "GET /__mesos_conform/fault?heal&hold&delay=0 HTTP/1.1\r\n"
                                        "Host: x\r\n\r\n");
    assert_true(wait_for(&f, has_end, c, WAIT_MS_MAX));
    struct got g;
    got_parse(c, &g);
    assert_int_equal(g.status, 200);
    assert_string_equal(mc_buf_str(&g.body), "hold");
    got_deinit(&g);
    struct tclient *d = client_open(&f, "GET /__mesos_conform/fault?release&bogus HTTP/1.1\r\n"
                                        "Host: x\r\n\r\n");
    assert_true(wait_for(&f, has_end, d, WAIT_MS_MAX));
    got_parse(d, &g);
    assert_int_equal(g.status, 400);
    assert_non_null(strstr(mc_buf_str(&g.body), "unknown fault 'bogus'"));
    got_deinit(&g);
    char text[256];
    assert_string_equal(proxy_faults_describe(f.proxy, text, sizeof(text)), "none");
    for (int i = 0; i < f.up_count; i++)
        assert_int_equal(f.up[i].requests, 0); /* control requests never go upstream */
    fx_close(&f);
}

static void limit_connections(void **state)
{
    (void)state;
    struct proxy_options o;
    memset(&o, 0, sizeof(o));
    o.conns_max = 1;
    struct fx f;
    fx_open(&f, &o);
    struct tclient *a = client_open(&f, "");
    struct tclient *b = client_open(&f, "");
    assert_true(wait_for(&f, has_gone, b, WAIT_MS_MAX));
    assert_int_equal(proxy_stats_get(f.proxy)->conns_refused, 1);
    assert_false(a->eof || a->error);
    fx_close(&f);
}

static void limit_buffered_bytes(void **state)
{
    (void)state;
    struct proxy_options o;
    memset(&o, 0, sizeof(o));
    o.conn_buffered_bytes_max = 256;
    struct fx f;
    fx_open(&f, &o);
    char req[1024];
    snprintf(req, sizeof(req), "POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 400\r\n\r\n%0400d", 0);
    struct tclient *c = client_open(&f, req);
    assert_true(wait_for(&f, has_gone, c, WAIT_MS_MAX));
    assert_int_equal(proxy_stats_get(f.proxy)->conns_limit_closed, 1);
    fx_close(&f);
}

static void bad_addresses(void **state)
{
    (void)state;
    uv_loop_t loop;
    assert_int_equal(uv_loop_init(&loop), 0);
    static const struct {
        const char *listen;
        const char *upstream;
        int err;
    } rows[] = {
        {"127.0.0.1:0", "nocolon", MC_EINVAL},
        {"127.0.0.1:0", "127.0.0.1:99999", MC_EINVAL},
        {"127.0.0.1:0", ":5050", MC_EINVAL},
        {"127.0.0.1:x", "127.0.0.1:5050", MC_EINVAL},
        {"127.0.0.1:0", "127.0.0.1:", MC_EINVAL},
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        struct proxy_options o;
        memset(&o, 0, sizeof(o));
        o.listen_address = rows[i].listen;
        o.upstream_address = rows[i].upstream;
        struct proxy *p = NULL;
        struct mc_diag diag;
        mc_diag_clear(&diag);
        assert_int_equal(proxy_create(&loop, &o, &p, &diag), rows[i].err);
        assert_null(p);
        assert_true(diag.text[0] != '\0');
    }
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&loop), 0);
}

static void fault_words(void **state)
{
    (void)state;
    struct fx f;
    fx_open(&f, NULL);
    static const struct {
        const char *word;
        int err;
        const char *after;
    } rows[] = {
        {"hold", 0, "hold"},
        {"release", 0, "none"},
        {"delay=250", 0, "delay=250"},
        {"delay=0", 0, "none"},
        {"delay=", MC_EINVAL, "none"},
        {"delay=-1", MC_EINVAL, "none"},
        {"delay=99999999999", MC_EINVAL, "none"},
        {"split=random", 0, "split=random"},
        {"split=16", 0, "split=16"},
        {"split=off", 0, "none"},
        {"split=abc", MC_EINVAL, "none"},
        {"merge=4", 0, "merge=4"},
        {"merge=1", MC_EINVAL, "merge=4"},
        {"merge=65", MC_EINVAL, "merge=4"},
        {"merge=off", 0, "none"},
        {"drop-heartbeats", 0, "drop-heartbeats"},
        {"drop-heartbeats=off", 0, "none"},
        {"stall=on", 0, "stall"},
        {"stall=maybe", MC_EINVAL, "stall"},
        {"stall=off", 0, "none"},
        {"answer=503", 0, "answer=503"},
        {"answer=307:m2:5050", 0, "answer=307:m2:5050"},
        {"answer=307:", MC_EINVAL, "answer=307:m2:5050"},
        {"answer=off", 0, "none"},
        {"answer", MC_EINVAL, "none"},
        {"partition", 0, "partition"},
        {"heal", 0, "none"},
        {"partition=1", MC_EINVAL, "none"},
        {"", MC_EINVAL, "none"},
        {"nonsense", MC_EINVAL, "none"},
        {"hold", 0, "hold"},
        {"stall", 0, "hold stall"},
        {"clear", 0, "none"},
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        struct mc_diag diag;
        mc_diag_clear(&diag);
        int err = proxy_fault_apply(f.proxy, rows[i].word, &diag);
        if (err != rows[i].err)
            fail_msg("row %zu '%s': %d, want %d", i, rows[i].word, err, rows[i].err);
        if (err != 0)
            assert_true(diag.text[0] != '\0');
        char text[256];
        assert_string_equal(proxy_faults_describe(f.proxy, text, sizeof(text)), rows[i].after);
    }
    fx_close(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(transparent_plain),
        cmocka_unit_test(transparent_stream),
        cmocka_unit_test(split_fixed),
        cmocka_unit_test(split_random),
        cmocka_unit_test(merge_three),
        cmocka_unit_test(drop_heartbeats_json),
        cmocka_unit_test(drop_heartbeats_protobuf),
        cmocka_unit_test(hold_then_release),
        cmocka_unit_test(partition_blackholes_then_heal_resets),
        cmocka_unit_test(reset_closes_both_sides),
        cmocka_unit_test(stall_holds_the_body),
        cmocka_unit_test(answers_307_and_503),
        cmocka_unit_test(control_channel),
        cmocka_unit_test(limit_connections),
        cmocka_unit_test(limit_buffered_bytes),
        cmocka_unit_test(bad_addresses),
        cmocka_unit_test(fault_words),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
