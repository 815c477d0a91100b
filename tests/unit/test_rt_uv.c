/*
 * test_rt_uv.c: the libuv runtime (reference/uv/rt_uv.h) over real
 * sockets on loopback, in one thread.
 *
 * Each test runs a uv loop in-process with either the reference master
 * (behind the /version and /health routes) or a small test node whose
 * behaviour is chosen by the request path, on port 0. Clients are raw
 * non-blocking sockets, so the exact bytes (status lines, headers, chunk
 * framing) can be checked; fx_wait runs the loop and reads every client
 * until a condition holds or a generous deadline (WAIT_MS_MAX) passes, so
 * no test depends on tight timing: only a failing test waits that long.
 * The robustness tests hold the server to its promise to keep serving:
 * 64 MiB bodies, clients that dribble, stall or reset, and 2000 at once.
 * Expected texts of the master are Mesos 1.12's, from the recorded
 * exchanges named beside them.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>
#include <uv.h>

#include "http1.h"
#include "master.h"
#include "mc_buf.h"
#include "mc_list.h"
#include "mc_rng.h"
#include "rt_uv.h"

/* How long a condition may take before the test fails; only failures wait this long. */
#define WAIT_MS_MAX 5000u
/* The most a client reads and keeps. */
#define CLIENT_INPUT_BYTES_MAX (64u * 1024u * 1024u)
/* Responses one client's bytes are parsed into. */
#define RESPONSES_MAX 16
#define MANY_CLIENTS 500
/* The robustness tests: a body far past MC_HTTP_BODY_BYTES_MAX, and a crowd. */
#define HUGE_BODY_BYTES (64u * 1024u * 1024u)
#define HUGE_PIECE_BYTES (1024u * 1024u)
#define CROWD_CLIENTS 2000u
/* Waits of the crowd test: thousands of sockets take longer than one (bounded all the same). */
#define CROWD_WAIT_MS_MAX 60000u
#define BIG_CHUNK_BYTES (256u * 1024u)

#define SUBSCRIBE_BODY \
    "{\"type\":\"SUBSCRIBE\",\"subscribe\":{\"framework_info\":{\"user\":\"root\",\"name\":\"t\"}}}"
#define SUBSCRIBE_FAILOVER_BODY                                                         \
    "{\"type\":\"SUBSCRIBE\",\"subscribe\":{\"framework_info\":{\"user\":\"root\","    \
    "\"name\":\"t\",\"failover_timeout\":60.0}}}"

struct tnode;

/* The loop, the runtime and what it drives. */
struct fx {
    uv_loop_t loop;
    uv_check_t check;
    uint64_t passes; /* loop iterations so far */
    struct uvrt *u;
    struct master *master;
    struct uvrt_routes routes;
    uint16_t port;
    struct mc_buf log;
};

/* ---- the test node ------------------------------------------------------ */

struct ttimer {
    struct rt_timer t;
    struct tnode *n;
    char name;
    uint64_t pass;
};

struct tnode {
    const struct rt *rt;
    struct fx *f;
    char paths[64][32]; /* the paths of the requests seen, in order */
    uint64_t reqs[64];
    size_t req_count;
    uint64_t defer_req;  /* a request left unanswered until the test answers it */
    uint64_t stream_req; /* the last stream opened */
    uint64_t closed[16]; /* stream_closed, in order */
    size_t closed_count;
    int write_err;       /* the first failed stream_write's result */
    struct rt_timer big_timer;
    uint64_t big_req;
    size_t big_written;
    struct ttimer tt[8];
    char fired[32];
    uint64_t fired_pass[32];
    size_t fired_count;
    /* An outbound call. */
    uint64_t call;
    int responses;
    int status;
    int is_stream;
    struct mc_buf data;
    int ends;
    int end_err;
};

static void stream_head_open(struct tnode *n, uint64_t req)
{
    struct http_response head;
    assert_int_equal(http_response_stream_init(&head, "application/json", NULL), 0);
    n->rt->ops->stream_open(n->rt->ctx, req, &head);
    http_response_deinit(&head);
    n->stream_req = req;
}

static void big_write(struct rt_timer *timer)
{
    struct tnode *n = MC_CONTAINER_OF(timer, struct tnode, big_timer);
    static uint8_t chunk[BIG_CHUNK_BYTES];
    memset(chunk, 'x', sizeof(chunk));
    int err = n->rt->ops->stream_write(n->rt->ctx, n->big_req, chunk, sizeof(chunk));
    if (err != 0) {
        n->write_err = err;
        return;
    }
    n->big_written += sizeof(chunk);
    rt_timer_start(n->rt, &n->big_timer, RT_NS_PER_MS, big_write);
}

static void tnode_request(void *node, uint64_t req, const struct http_request *r)
{
    struct tnode *n = node;
    assert_true(n->req_count < 64);
    snprintf(n->paths[n->req_count], sizeof(n->paths[0]), "%s", r->path);
    n->reqs[n->req_count++] = req;
    struct http_response resp;
    if (strcmp(r->path, "/whole") == 0) {
        assert_int_equal(http_response_text_init(&resp, 200, "hello", NULL), 0);
        n->rt->ops->respond(n->rt->ctx, req, &resp);
        http_response_deinit(&resp);
    } else if (strcmp(r->path, "/echo") == 0) {
        http_response_init(&resp, 200, NULL);
        assert_int_equal(mc_buf_append(&resp.body, r->body.data, r->body.len), 0);
        n->rt->ops->respond(n->rt->ctx, req, &resp);
        http_response_deinit(&resp);
    } else if (strcmp(r->path, "/stream") == 0) {
        stream_head_open(n, req);
        assert_int_equal(n->rt->ops->stream_write(n->rt->ctx, req, "one", 3), 0);
        assert_int_equal(n->rt->ops->stream_write(n->rt->ctx, req, "two", 3), 0);
    } else if (strcmp(r->path, "/big") == 0) {
        stream_head_open(n, req);
        n->big_req = req;
        rt_timer_start(n->rt, &n->big_timer, 0, big_write);
    } else if (strcmp(r->path, "/defer") == 0) {
        n->defer_req = req;
    } else {
        assert_int_equal(http_response_empty_init(&resp, 404, NULL), 0);
        n->rt->ops->respond(n->rt->ctx, req, &resp);
        http_response_deinit(&resp);
    }
}

static void tnode_stream_closed(void *node, uint64_t req)
{
    struct tnode *n = node;
    assert_true(n->closed_count < 16);
    n->closed[n->closed_count++] = req;
    if (req == n->big_req && n->big_timer.active)
        rt_timer_cancel(n->rt, &n->big_timer);
}

static void tnode_call_response(void *node, uint64_t call, const struct http_response *r)
{
    struct tnode *n = node;
    assert_int_equal(call, n->call);
    assert_int_equal(n->ends, 0);
    n->responses++;
    n->status = r->status;
    n->is_stream = r->is_stream;
    assert_int_equal(mc_buf_append(&n->data, r->body.data, r->body.len), 0);
}

static void tnode_call_data(void *node, uint64_t call, const uint8_t *bytes, size_t len)
{
    struct tnode *n = node;
    assert_int_equal(call, n->call);
    assert_int_equal(n->responses, 1);
    assert_int_equal(n->ends, 0);
    assert_true(len > 0);
    assert_int_equal(mc_buf_append(&n->data, bytes, len), 0);
}

static void tnode_call_end(void *node, uint64_t call, int err)
{
    struct tnode *n = node;
    assert_int_equal(call, n->call);
    n->ends++;
    n->end_err = err;
}

static const struct rt_node_ops tnode_ops = {
    tnode_request, tnode_stream_closed, tnode_call_response, tnode_call_data, tnode_call_end,
};

/* ---- the fixture -------------------------------------------------------- */

static void log_collect(void *ctx, enum rt_log_level level, const char *text)
{
    struct fx *f = ctx;
    /* A full log drops lines: it is only there to read when a test fails. */
    if (mc_buf_appendf(&f->log, "%d %s\n", (int)level, text) != 0)
        return;
}

static void pass_count(uv_check_t *handle)
{
    struct fx *f = handle->data;
    f->passes++;
}

static void fx_init(struct fx *f, const struct uvrt_options *o)
{
    memset(f, 0, sizeof(*f));
    mc_buf_init(&f->log, 1u << 20, NULL);
    assert_int_equal(uv_loop_init(&f->loop), 0);
    assert_int_equal(uv_check_init(&f->loop, &f->check), 0);
    f->check.data = f;
    assert_int_equal(uv_check_start(&f->check, pass_count), 0);
    struct uvrt_options opts;
    if (o != NULL)
        opts = *o;
    else
        uvrt_options_default(&opts);
    opts.log_fn = log_collect;
    opts.log_ctx = f;
    opts.log_level_min = RT_LOG_DEBUG;
    struct mc_diag diag;
    mc_diag_clear(&diag);
    assert_int_equal(uvrt_create(&f->loop, &opts, &f->u, &diag), 0);
    assert_int_equal(uvrt_listen(f->u, "127.0.0.1:0", &diag), 0);
    f->port = uvrt_listen_port(f->u);
    assert_true(f->port != 0);
}

static void fx_master(struct fx *f, uint64_t heartbeat_ns, const struct uvrt_options *o)
{
    fx_init(f, o);
    struct master_config cfg;
    master_config_init(&cfg);
    cfg.heartbeat_interval_ns = heartbeat_ns;
    cfg.port = f->port;
    assert_int_equal(master_create(uvrt_rt(f->u), &cfg, &f->master), 0);
    f->routes.rt = uvrt_rt(f->u);
    f->routes.inner_ops = &master_node_ops;
    f->routes.inner = f->master;
    uvrt_node_bind(f->u, &uvrt_routes_node_ops, &f->routes);
}

static void fx_node(struct fx *f, struct tnode *n, const struct uvrt_options *o)
{
    fx_init(f, o);
    memset(n, 0, sizeof(*n));
    n->rt = uvrt_rt(f->u);
    n->f = f;
    mc_buf_init(&n->data, CLIENT_INPUT_BYTES_MAX, NULL);
    uvrt_node_bind(f->u, &tnode_ops, n);
}

static void check_close(uv_handle_t *handle)
{
    (void)handle;
}

/* Shuts everything down and checks that no handle and no memory is left. */
static void fx_fini(struct fx *f, struct tnode *n)
{
    uvrt_shutdown(f->u);
    master_destroy(f->master);
    if (n != NULL && n->big_timer.active)
        rt_timer_cancel(n->rt, &n->big_timer);
    uv_close((uv_handle_t *)&f->check, check_close);
    uv_run(&f->loop, UV_RUN_DEFAULT);
    struct uvrt_stats st;
    uvrt_stats_get(f->u, &st);
    assert_int_equal(st.handles_open, 0);
    assert_int_equal(st.conns_open, 0);
    assert_int_equal(st.calls_open, 0);
    uvrt_destroy(f->u);
    assert_int_equal(uv_loop_close(&f->loop), 0);
    mc_buf_deinit(&f->log);
    if (n != NULL)
        mc_buf_deinit(&n->data);
}

/* ---- raw clients -------------------------------------------------------- */

struct tc {
    int fd;
    struct mc_buf in;
    int eof; /* the server closed (or reset) the connection */
};

static void tc_open_with(struct tc *c, uint16_t port, int rcvbuf_bytes)
{
    memset(c, 0, sizeof(*c));
    c->fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(c->fd >= 0);
    if (rcvbuf_bytes > 0)
        assert_int_equal(setsockopt(c->fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf_bytes,
                                    sizeof(rcvbuf_bytes)),
                         0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    /* The kernel completes the handshake from the listen backlog: no loop pass needed. */
    assert_int_equal(connect(c->fd, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(fcntl(c->fd, F_SETFL, fcntl(c->fd, F_GETFL) | O_NONBLOCK), 0);
    mc_buf_init(&c->in, CLIENT_INPUT_BYTES_MAX, NULL);
}

static void tc_open(struct tc *c, uint16_t port)
{
    tc_open_with(c, port, 0);
}

static void tc_close(struct tc *c)
{
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
    mc_buf_deinit(&c->in);
}

static void tc_pull(struct tc *c)
{
    uint8_t buf[65536];
    while (c->fd >= 0 && !c->eof) {
        ssize_t r = recv(c->fd, buf, sizeof(buf), 0);
        if (r > 0) {
            assert_int_equal(mc_buf_append(&c->in, buf, (size_t)r), 0);
        } else if (r == 0) {
            c->eof = 1;
        } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
            return;
        } else {
            c->eof = 1; /* reset */
        }
    }
}

/* One loop pass, then a short wait on the loop and the clients. */
static void fx_step(struct fx *f, struct tc **cs, size_t n)
{
    uv_run(&f->loop, UV_RUN_NOWAIT);
    for (size_t i = 0; i < n; i++)
        tc_pull(cs[i]);
    struct pollfd p = {.fd = uv_backend_fd(&f->loop), .events = POLLIN};
    int timeout_ms = uv_backend_timeout(&f->loop);
    (void)poll(&p, 1, timeout_ms < 0 || timeout_ms > 1 ? 1 : timeout_ms);
}

typedef int (*cond_fn)(void *ctx);

/* Runs the loop until cond(ctx) holds (1) or wait_ms passed (0). */
static int fx_wait_ms(struct fx *f, struct tc **cs, size_t n, cond_fn cond, void *ctx,
                      unsigned wait_ms)
{
    uint64_t start_ns = uv_hrtime();
    for (;;) {
        fx_step(f, cs, n);
        if (cond(ctx))
            return 1;
        if (uv_hrtime() - start_ns > (uint64_t)wait_ms * RT_NS_PER_MS)
            return 0;
    }
}

/* Runs the loop until cond(ctx) holds (1) or WAIT_MS_MAX passed (0). */
static int fx_wait(struct fx *f, struct tc **cs, size_t n, cond_fn cond, void *ctx)
{
    return fx_wait_ms(f, cs, n, cond, ctx, WAIT_MS_MAX);
}

/* Runs the loop for about ms milliseconds, whatever happens. */
static void fx_pump(struct fx *f, struct tc **cs, size_t n, unsigned ms)
{
    uint64_t start_ns = uv_hrtime();
    while (uv_hrtime() - start_ns < (uint64_t)ms * RT_NS_PER_MS)
        fx_step(f, cs, n);
}

static void tc_send(struct fx *f, struct tc *c, const void *p, size_t n)
{
    const uint8_t *b = p;
    while (n > 0) {
        ssize_t r = send(c->fd, b, n, MSG_NOSIGNAL);
        if (r > 0) {
            b += r;
            n -= (size_t)r;
        } else {
            assert_true(errno == EAGAIN || errno == EWOULDBLOCK);
            fx_step(f, &c, 1);
        }
    }
}

static void tc_send_str(struct fx *f, struct tc *c, const char *s)
{
    tc_send(f, c, s, strlen(s));
}

/* ---- reading answers back ------------------------------------------------ */

struct tresp {
    int status;
    struct http_headers headers;
    struct mc_buf body;
    int is_stream;
    int complete;
};

struct tresps {
    struct tresp r[RESPONSES_MAX];
    size_t count;
    int err; /* the parser's error, 0 when none */
};

static void tresps_free(struct tresps *rs)
{
    for (size_t i = 0; i < rs->count; i++) {
        http_headers_deinit(&rs->r[i].headers);
        mc_buf_deinit(&rs->r[i].body);
    }
    rs->count = 0;
}

/* Parses a client's bytes (all of them, from the start) into responses. */
static void tresps_parse(const struct tc *c, struct tresps *rs)
{
    memset(rs, 0, sizeof(*rs));
    struct http1_client p;
    http1_client_init(&p, NULL);
    size_t pos = 0;
    for (;;) {
        struct http1_client_event ev;
        struct http1_error err;
        size_t used = 0;
        int r = http1_client_feed(&p, c->in.data + pos, c->in.len - pos, &used, &ev, &err);
        pos += used;
        if (r <= 0) {
            rs->err = r;
            break;
        }
        struct tresp *t = rs->count > 0 ? &rs->r[rs->count - 1] : NULL;
        if (ev.kind == HTTP1_CLIENT_HEAD && ev.head->status >= 200) {
            assert_true(rs->count < RESPONSES_MAX);
            t = &rs->r[rs->count++];
            t->status = ev.head->status;
            t->is_stream = ev.head->is_stream;
            assert_int_equal(http_headers_copy(&t->headers, &ev.head->headers, NULL), 0);
            mc_buf_init(&t->body, CLIENT_INPUT_BYTES_MAX, NULL);
        } else if (ev.kind == HTTP1_CLIENT_BODY && t != NULL) {
            assert_int_equal(mc_buf_append(&t->body, ev.data, ev.bytes), 0);
        } else if (ev.kind == HTTP1_CLIENT_END && t != NULL) {
            t->complete = 1;
        }
    }
    http1_client_deinit(&p);
}

struct responses_want {
    struct tc *c;
    size_t complete; /* complete responses wanted */
};

static int responses_complete(void *ctx)
{
    struct responses_want *w = ctx;
    struct tresps rs;
    tresps_parse(w->c, &rs);
    size_t n = 0;
    for (size_t i = 0; i < rs.count; i++)
        n += rs.r[i].complete;
    tresps_free(&rs);
    return n >= w->complete;
}

/* Waits for n complete responses on c and parses them into rs. */
static void responses_wait(struct fx *f, struct tc *c, size_t n, struct tresps *rs)
{
    struct responses_want w = {c, n};
    assert_true(fx_wait(f, &c, 1, responses_complete, &w));
    tresps_parse(c, rs);
    assert_true(rs->count >= n);
}

static int client_eof(void *ctx)
{
    return ((struct tc *)ctx)->eof;
}

static int bytes_contain(void *ctx)
{
    struct tc *c = ((void **)ctx)[0];
    const char *s = ((void **)ctx)[1];
    return c->in.len > 0 && strstr(mc_buf_str(&c->in), s) != NULL;
}

static void wait_for_text(struct fx *f, struct tc *c, const char *s)
{
    void *ctx[2] = {c, (void *)s};
    assert_true(fx_wait(f, &c, 1, bytes_contain, ctx));
}

static void header_check(const struct tresp *t, const char *name, const char *value)
{
    const char *got = http_headers_get(&t->headers, name);
    if (value == NULL) {
        assert_null(got);
        return;
    }
    assert_non_null(got);
    assert_string_equal(got, value);
}

/* The Date header libprocess adds: an IMF-fixdate, "Sun, 06 Nov 1994 08:49:37 GMT". */
static void date_check(const struct tresp *t)
{
    const char *d = http_headers_get(&t->headers, "Date");
    assert_non_null(d);
    assert_int_equal(strlen(d), HTTP_DATE_BYTES - 1);
    assert_int_equal(d[3], ',');
    assert_string_equal(d + strlen(d) - 4, " GMT");
}

static void post_format(struct mc_buf *out, const char *path, const char *stream_id,
                        const char *body)
{
    mc_buf_reset(out);
    assert_int_equal(mc_buf_appendf(out,
                                    "POST %s HTTP/1.1\r\nHost: m\r\nContent-Type: "
                                    "application/json\r\nAccept: application/json\r\n",
                                    path),
                     0);
    if (stream_id != NULL)
        assert_int_equal(mc_buf_appendf(out, "Mesos-Stream-Id: %s\r\n", stream_id), 0);
    assert_int_equal(mc_buf_appendf(out, "Content-Length: %zu\r\n\r\n%s", strlen(body), body), 0);
}

/* ---- raw chunk framing --------------------------------------------------- */

struct chunk {
    const uint8_t *data;
    size_t len;
};

/*
 * Splits the bytes after a stream head into its chunks, as they are on the
 * wire; returns how many complete chunks there are (the last one, "0", ends).
 */
static size_t chunks_split(const struct tc *c, struct chunk *out, size_t out_max)
{
    const char *all = mc_buf_str(&c->in);
    const char *p = strstr(all, "\r\n\r\n");
    assert_non_null(p);
    p += 4;
    const char *end = all + c->in.len;
    size_t n = 0;
    while (n < out_max && p < end) {
        char *line_end = NULL;
        unsigned long size = strtoul(p, &line_end, 16);
        if (line_end == NULL || line_end + 2 > end || memcmp(line_end, "\r\n", 2) != 0)
            break;
        const char *data = line_end + 2;
        if (data + size + 2 > end)
            break;
        assert_memory_equal(data + size, "\r\n", 2);
        out[n].data = (const uint8_t *)data;
        out[n].len = size;
        n++;
        p = data + size + 2;
    }
    return n;
}

struct chunks_want {
    struct tc *c;
    size_t n;
};

static int chunks_arrived(void *ctx)
{
    struct chunks_want *w = ctx;
    if (strstr(mc_buf_str(&w->c->in), "\r\n\r\n") == NULL)
        return 0;
    struct chunk ch[16];
    return chunks_split(w->c, ch, 16) >= w->n;
}

/* The one RecordIO record a chunk must hold: "<len>\n<len bytes>", nothing more. */
static void chunk_record_check(const struct chunk *ch, const char *payload_prefix)
{
    const char *nl = memchr(ch->data, '\n', ch->len);
    assert_non_null(nl);
    size_t prefix = (size_t)(nl - (const char *)ch->data) + 1;
    unsigned long len = strtoul((const char *)ch->data, NULL, 10);
    assert_int_equal(len, ch->len - prefix);
    assert_memory_equal(nl + 1, payload_prefix, strlen(payload_prefix));
}

/* Subscribes on c and waits for SUBSCRIBED and the first HEARTBEAT; returns the stream id. */
static void subscribe(struct fx *f, struct tc *c, const char *body, char *stream_id,
                      char *framework_id)
{
    struct mc_buf req;
    mc_buf_init(&req, 1 << 16, NULL);
    post_format(&req, "/api/v1/scheduler", NULL, body);
    tc_send(f, c, req.data, req.len);
    mc_buf_deinit(&req);
    struct chunks_want w = {c, 2};
    assert_true(fx_wait(f, &c, 1, chunks_arrived, &w));
    struct tresps rs;
    tresps_parse(c, &rs);
    assert_int_equal(rs.count, 1);
    assert_int_equal(rs.r[0].status, 200);
    const char *sid = http_headers_get(&rs.r[0].headers, "Mesos-Stream-Id");
    assert_non_null(sid);
    snprintf(stream_id, 64, "%s", sid);
    const char *fid = strstr(mc_buf_str(&c->in), "\"framework_id\":{\"value\":\"");
    assert_non_null(fid);
    fid += strlen("\"framework_id\":{\"value\":\"");
    size_t n = strcspn(fid, "\"");
    assert_true(n < 128);
    memcpy(framework_id, fid, n);
    framework_id[n] = '\0';
    tresps_free(&rs);
}

/* ---- the master over real HTTP ------------------------------------------- */

/*
 * SUBSCRIBE over a socket: 200, chunked, Mesos-Stream-Id, and each event in
 * its own chunk as one RecordIO record (recorded: st.subscribe-json, whose
 * chunk layout is one record per chunk), then HEARTBEATs keep coming (H1).
 */
static void test_subscribe_stream_framing(void **state)
{
    (void)state;
    struct fx f;
    fx_master(&f, 200 * RT_NS_PER_MS, NULL);
    struct tc c;
    tc_open(&c, f.port);
    char sid[64], fid[128];
    subscribe(&f, &c, SUBSCRIBE_BODY, sid, fid);
    assert_memory_equal(c.in.data, "HTTP/1.1 200 OK\r\n", 17);
    struct tresps rs;
    tresps_parse(&c, &rs);
    assert_true(rs.r[0].is_stream);
    assert_false(rs.r[0].complete);
    header_check(&rs.r[0], "Content-Type", "application/json");
    header_check(&rs.r[0], "Transfer-Encoding", "chunked");
    header_check(&rs.r[0], "Content-Length", NULL);
    assert_int_equal(strlen(sid), 36); /* a UUID (recorded: st.subscribe-json, stream id shape) */
    date_check(&rs.r[0]);
    tresps_free(&rs);
    /* The heartbeat timer keeps writing: wait for a third chunk. */
    struct chunks_want w = {&c, 3};
    struct tc *cs[] = {&c};
    assert_true(fx_wait(&f, cs, 1, chunks_arrived, &w));
    struct chunk ch[8];
    size_t n = chunks_split(&c, ch, 8);
    assert_true(n >= 3);
    chunk_record_check(&ch[0], "{\"type\":\"SUBSCRIBED\"");
    assert_int_equal(ch[1].len, 23);
    assert_memory_equal(ch[1].data, "20\n{\"type\":\"HEARTBEAT\"}", 23);
    assert_int_equal(ch[2].len, 23);
    assert_memory_equal(ch[2].data, "20\n{\"type\":\"HEARTBEAT\"}", 23);
    assert_false(c.eof);
    tc_close(&c);
    fx_fini(&f, NULL);
}

/*
 * A call on a second connection: 202 with Content-Length: 0 and no
 * Content-Type (recorded: s.valid-revive); without the stream id, 400
 * (recorded: s.missing-stream-id).
 */
static void test_call_202_and_400(void **state)
{
    (void)state;
    struct fx f;
    fx_master(&f, 15 * RT_NS_PER_SEC, NULL);
    struct tc s, c;
    tc_open(&s, f.port);
    char sid[64], fid[128], body[512];
    subscribe(&f, &s, SUBSCRIBE_BODY, sid, fid);
    tc_open(&c, f.port);
    snprintf(body, sizeof(body), "{\"type\":\"REVIVE\",\"framework_id\":{\"value\":\"%s\"}}", fid);
    struct mc_buf req;
    mc_buf_init(&req, 1 << 16, NULL);
    post_format(&req, "/api/v1/scheduler", sid, body);
    tc_send(&f, &c, req.data, req.len);
    post_format(&req, "/api/v1/scheduler", NULL, body);
    tc_send(&f, &c, req.data, req.len);
    struct tresps rs;
    responses_wait(&f, &c, 2, &rs);
    assert_int_equal(rs.r[0].status, 202);
    header_check(&rs.r[0], "Content-Length", "0");
    header_check(&rs.r[0], "Content-Type", NULL);
    date_check(&rs.r[0]);
    assert_int_equal(rs.r[0].body.len, 0);
    assert_int_equal(rs.r[1].status, 400);
    header_check(&rs.r[1], "Content-Type", "text/plain; charset=utf-8");
    assert_string_equal(mc_buf_str(&rs.r[1].body),
                        "All non-subscribe calls should include the 'Mesos-Stream-Id' header");
    assert_false(c.eof);
    tresps_free(&rs);
    mc_buf_deinit(&req);
    tc_close(&c);
    tc_close(&s);
    fx_fini(&f, NULL);
}

/*
 * Two requests in one write are answered in order on the same connection:
 * GET is 405 with Allow (recorded: s.get-405), a POST without Content-Type
 * is 400 (recorded: s.no-content-type).
 */
static void test_pipelined_in_order(void **state)
{
    (void)state;
    struct fx f;
    fx_master(&f, 15 * RT_NS_PER_SEC, NULL);
    struct tc c;
    tc_open(&c, f.port);
    tc_send_str(&f, &c,
                "GET /api/v1/scheduler HTTP/1.1\r\nHost: m\r\n\r\n"
                "POST /api/v1/scheduler HTTP/1.1\r\nHost: m\r\nAccept: application/json\r\n"
                "Content-Length: 2\r\n\r\n{}"
                "GET /master/health HTTP/1.1\r\nHost: m\r\n\r\n");
    struct tresps rs;
    responses_wait(&f, &c, 3, &rs);
    assert_int_equal(rs.count, 3);
    assert_int_equal(rs.r[0].status, 405);
    header_check(&rs.r[0], "Allow", "POST");
    assert_string_equal(mc_buf_str(&rs.r[0].body),
                        "405 Method Not Allowed. Expecting one of { 'POST' }, but received 'GET'.");
    assert_int_equal(rs.r[1].status, 400);
    assert_string_equal(mc_buf_str(&rs.r[1].body), "Expecting 'Content-Type' to be present");
    assert_int_equal(rs.r[2].status, 200);
    tresps_free(&rs);
    tc_close(&c);
    fx_fini(&f, NULL);
}

/* A SUBSCRIBE whose body comes chunked, in pieces (npm mesos-framework does this). */
static void test_chunked_request_body(void **state)
{
    (void)state;
    struct fx f;
    fx_master(&f, 15 * RT_NS_PER_SEC, NULL);
    struct tc c;
    tc_open(&c, f.port);
    const char *body = SUBSCRIBE_BODY;
    size_t len = strlen(body), third = len / 3;
    char piece[256];
    tc_send_str(&f, &c,
                "POST /api/v1/scheduler HTTP/1.1\r\nHost: m\r\nContent-Type: application/json\r\n"
                "Transfer-Encoding: chunked\r\n\r\n");
    for (size_t off = 0; off < len; off += third) {
        size_t n = len - off < third ? len - off : third;
        snprintf(piece, sizeof(piece), "%zx\r\n%.*s\r\n", n, (int)n, body + off);
        tc_send_str(&f, &c, piece);
        fx_pump(&f, NULL, 0, 5); /* let the server read each piece on its own */
    }
    tc_send_str(&f, &c, "0\r\n\r\n");
    wait_for_text(&f, &c, "\"type\":\"SUBSCRIBED\"");
    struct tresps rs;
    tresps_parse(&c, &rs);
    assert_int_equal(rs.r[0].status, 200);
    assert_true(rs.r[0].is_stream);
    tresps_free(&rs);
    tc_close(&c);
    fx_fini(&f, NULL);
}

static int master_disconnected(void *ctx)
{
    struct master_stats st;
    master_stats_get(ctx, &st);
    return st.frameworks_disconnected == 1 && st.frameworks_connected == 0;
}

/* The scheduler closes its stream: the framework is disconnected, its calls get 403 (S14). */
static void test_client_close_disconnects(void **state)
{
    (void)state;
    struct fx f;
    fx_master(&f, 15 * RT_NS_PER_SEC, NULL);
    struct tc s, c;
    tc_open(&s, f.port);
    char sid[64], fid[128], body[512];
    subscribe(&f, &s, SUBSCRIBE_FAILOVER_BODY, sid, fid);
    tc_close(&s);
    assert_true(fx_wait(&f, NULL, 0, master_disconnected, f.master));
    tc_open(&c, f.port);
    snprintf(body, sizeof(body), "{\"type\":\"REVIVE\",\"framework_id\":{\"value\":\"%s\"}}", fid);
    struct mc_buf req;
    mc_buf_init(&req, 1 << 16, NULL);
    post_format(&req, "/api/v1/scheduler", sid, body);
    tc_send(&f, &c, req.data, req.len);
    struct tresps rs;
    responses_wait(&f, &c, 1, &rs);
    assert_int_equal(rs.r[0].status, 403);
    assert_string_equal(mc_buf_str(&rs.r[0].body), "Framework is not subscribed");
    tresps_free(&rs);
    mc_buf_deinit(&req);
    tc_close(&c);
    fx_fini(&f, NULL);
}

/* Bad requests get the parser's status and a closed connection; everyone else is served. */
static void test_bad_requests(void **state)
{
    (void)state;
    static const struct {
        const char *input;
        int status;
    } rows[] = {
        {"GARBAGE\r\n\r\n", 400},
        {"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 400}, /* a TLS client hello */
        {"POST /api/v1/scheduler HTTP/1.1\r\nHost: m\r\nContent-Length: 16777217\r\n\r\n", 413},
        {"GET /api/v1/scheduler HTTP/2.0\r\n\r\n", 505},
        {"POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n", 501},
        {"GET / HTTP/1.1\r\nBad Name: x\r\n\r\n", 400},
    };
    struct fx f;
    fx_master(&f, 15 * RT_NS_PER_SEC, NULL);
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        struct tc c, ok;
        tc_open(&c, f.port);
        tc_send_str(&f, &c, rows[i].input);
        assert_true(fx_wait(&f, (struct tc *[]){&c}, 1, client_eof, &c));
        struct tresps rs;
        tresps_parse(&c, &rs);
        assert_int_equal(rs.count, 1);
        assert_int_equal(rs.r[0].status, rows[i].status);
        assert_true(rs.r[0].complete);
        header_check(&rs.r[0], "Connection", "close");
        header_check(&rs.r[0], "Content-Type", "text/plain; charset=utf-8");
        date_check(&rs.r[0]);
        tresps_free(&rs);
        tc_close(&c);
        /* The server keeps serving. */
        tc_open(&ok, f.port);
        tc_send_str(&f, &ok, "GET /health HTTP/1.1\r\nHost: m\r\n\r\n");
        responses_wait(&f, &ok, 1, &rs);
        assert_int_equal(rs.r[0].status, 200);
        tresps_free(&rs);
        tc_close(&ok);
    }
    struct uvrt_stats st;
    uvrt_stats_get(f.u, &st);
    assert_int_equal(st.parse_errors, sizeof(rows) / sizeof(rows[0]));
    fx_fini(&f, NULL);
}

/* GET /version as VersionProcess answers (V1); /health and /master/health 200 empty. */
static void test_version_and_health(void **state)
{
    (void)state;
    struct fx f;
    fx_master(&f, 15 * RT_NS_PER_SEC, NULL);
    struct tc c;
    tc_open(&c, f.port);
    tc_send_str(&f, &c,
                "GET /version HTTP/1.1\r\nHost: m\r\n\r\nGET /health HTTP/1.1\r\nHost: m\r\n\r\n"
                "GET /master/health HTTP/1.1\r\nHost: m\r\n\r\nGET /nowhere HTTP/1.1\r\n\r\n");
    struct tresps rs;
    responses_wait(&f, &c, 4, &rs);
    assert_int_equal(rs.r[0].status, 200);
    header_check(&rs.r[0], "Content-Type", "application/json");
    assert_non_null(strstr(mc_buf_str(&rs.r[0].body), "\"version\":\"1.12.0\""));
    assert_non_null(strstr(mc_buf_str(&rs.r[0].body), "\"build_date\":"));
    for (int i = 1; i <= 2; i++) {
        assert_int_equal(rs.r[i].status, 200);
        header_check(&rs.r[i], "Content-Length", "0");
        header_check(&rs.r[i], "Content-Type", NULL);
    }
    assert_int_equal(rs.r[3].status, 404);
    tresps_free(&rs);
    tc_close(&c);
    fx_fini(&f, NULL);
}

/* "Connection: close" and HTTP/1.0: the answer, then the connection ends. */
static void test_connection_close(void **state)
{
    (void)state;
    static const char *const rows[] = {
        "GET /health HTTP/1.1\r\nHost: m\r\nConnection: close\r\n\r\n",
        "GET /health HTTP/1.0\r\n\r\n",
    };
    struct fx f;
    fx_master(&f, 15 * RT_NS_PER_SEC, NULL);
    for (size_t i = 0; i < 2; i++) {
        struct tc c;
        tc_open(&c, f.port);
        tc_send_str(&f, &c, rows[i]);
        assert_true(fx_wait(&f, (struct tc *[]){&c}, 1, client_eof, &c));
        struct tresps rs;
        tresps_parse(&c, &rs);
        assert_int_equal(rs.count, 1);
        assert_int_equal(rs.r[0].status, 200);
        assert_true(rs.r[0].complete);
        header_check(&rs.r[0], "Connection", "close");
        tresps_free(&rs);
        tc_close(&c);
    }
    fx_fini(&f, NULL);
}

struct many {
    struct tc *cs;
    size_t n;
};

static int many_answered(void *ctx)
{
    struct many *m = ctx;
    for (size_t i = 0; i < m->n; i++) {
        const struct mc_buf *in = &m->cs[i].in;
        if (in->len < 4 || memcmp(in->data + in->len - 4, "\r\n\r\n", 4) != 0)
            return 0;
    }
    return 1;
}

/* 500 connections open at once, each answered. */
static void test_many_connections(void **state)
{
    (void)state;
    struct rlimit rl;
    assert_int_equal(getrlimit(RLIMIT_NOFILE, &rl), 0);
    if (rl.rlim_cur < 4 * MANY_CLIENTS && rl.rlim_max >= 4 * MANY_CLIENTS) {
        rl.rlim_cur = 4 * MANY_CLIENTS;
        assert_int_equal(setrlimit(RLIMIT_NOFILE, &rl), 0);
    }
    if (rl.rlim_cur < 4 * MANY_CLIENTS)
        skip();
    struct fx f;
    fx_master(&f, 15 * RT_NS_PER_SEC, NULL);
    struct tc *cs = calloc(MANY_CLIENTS, sizeof(*cs));
    struct tc **ps = calloc(MANY_CLIENTS, sizeof(*ps));
    assert_non_null(cs);
    assert_non_null(ps);
    for (size_t i = 0; i < MANY_CLIENTS; i++) {
        tc_open(&cs[i], f.port);
        ps[i] = &cs[i];
        tc_send_str(&f, &cs[i], "GET /health HTTP/1.1\r\nHost: m\r\n\r\n");
    }
    struct many m = {cs, MANY_CLIENTS};
    assert_true(fx_wait(&f, ps, MANY_CLIENTS, many_answered, &m));
    for (size_t i = 0; i < MANY_CLIENTS; i++) {
        assert_memory_equal(cs[i].in.data, "HTTP/1.1 200 OK\r\n", 17);
        assert_false(cs[i].eof);
    }
    struct uvrt_stats st;
    uvrt_stats_get(f.u, &st);
    assert_int_equal(st.conns_open, MANY_CLIENTS);
    assert_int_equal(st.conns_refused, 0);
    for (size_t i = 0; i < MANY_CLIENTS; i++)
        tc_close(&cs[i]);
    free(cs);
    free(ps);
    fx_fini(&f, NULL);
}

/* ---- robustness: huge bodies, slow, stalled and reset clients, a crowd ---- */

/* A /health round trip on a fresh connection: the server still serves. */
static void health_check(struct fx *f)
{
    struct tc ok;
    tc_open(&ok, f->port);
    tc_send_str(f, &ok, "GET /health HTTP/1.1\r\nHost: m\r\n\r\n");
    struct tresps rs;
    responses_wait(f, &ok, 1, &rs);
    assert_int_equal(rs.r[0].status, 200);
    tresps_free(&rs);
    tc_close(&ok);
}

/*
 * Sends what it can of p (non-blocking, reading c's answers in between) until
 * all of it went out (1), the server cut the connection (0), or a bounded
 * wait passed (a failure).
 */
static int tc_send_until_cut(struct fx *f, struct tc *c, const void *p, size_t n)
{
    const uint8_t *b = p;
    uint64_t start_ns = uv_hrtime();
    while (n > 0) {
        ssize_t r = send(c->fd, b, n, MSG_NOSIGNAL);
        if (r > 0) {
            b += r;
            n -= (size_t)r;
            continue;
        }
        if (errno != EAGAIN && errno != EWOULDBLOCK)
            return 0; /* EPIPE, ECONNRESET: the server closed */
        fx_step(f, &c, 1);
        if (c->eof)
            return 0;
        assert_true(uv_hrtime() - start_ns < (uint64_t)WAIT_MS_MAX * 4 * RT_NS_PER_MS);
    }
    return 1;
}

/*
 * Sends p as a client that reads nothing until it has sent its whole
 * request: 1 when all of it went out, 0 when the send failed (the server
 * reset the connection), a failure after a bounded wait.
 */
static int tc_send_blind(struct fx *f, struct tc *c, const void *p, size_t n)
{
    const uint8_t *b = p;
    uint64_t start_ns = uv_hrtime();
    while (n > 0) {
        ssize_t r = send(c->fd, b, n, MSG_NOSIGNAL);
        if (r > 0) {
            b += r;
            n -= (size_t)r;
            continue;
        }
        if (errno != EAGAIN && errno != EWOULDBLOCK)
            return 0; /* EPIPE, ECONNRESET */
        fx_step(f, NULL, 0);
        assert_true(uv_hrtime() - start_ns < (uint64_t)WAIT_MS_MAX * 4 * RT_NS_PER_MS);
    }
    return 1;
}

/* How huge_body_send sends: reading as it goes and stopping at the server's FIN, or blind. */
enum send_mode { SEND_READING, SEND_BLIND };

static int huge_piece_send(struct fx *f, struct tc *c, const void *p, size_t n,
                           enum send_mode mode)
{
    return mode == SEND_BLIND ? tc_send_blind(f, c, p, n) : tc_send_until_cut(f, c, p, n);
}

/*
 * Streams a 64 MiB body after head, with Content-Length (the head says it
 * all) or chunked in 1 MiB chunks (the server must count), as mode says.
 * Returns the body bytes that went out before the server cut it.
 */
static size_t huge_body_send(struct fx *f, struct tc *c, int chunked, enum send_mode mode)
{
    static uint8_t piece[HUGE_PIECE_BYTES];
    memset(piece, 'x', sizeof(piece));
    char head[256];
    snprintf(head, sizeof(head),
             "POST /api/v1/scheduler HTTP/1.1\r\nHost: m\r\nContent-Type: application/json\r\n"
             "Content-Length: %u\r\n\r\n",
             HUGE_BODY_BYTES);
    tc_send_str(f, c,
                chunked ? "POST /api/v1/scheduler HTTP/1.1\r\nHost: m\r\nContent-Type: "
                          "application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
                        : head);
    size_t sent = 0;
    char size_line[32];
    snprintf(size_line, sizeof(size_line), "%x\r\n", HUGE_PIECE_BYTES);
    while (sent < HUGE_BODY_BYTES) {
        if (chunked && !huge_piece_send(f, c, size_line, strlen(size_line), mode))
            break;
        if (!huge_piece_send(f, c, piece, sizeof(piece), mode))
            break;
        sent += sizeof(piece);
        if (chunked && !huge_piece_send(f, c, "\r\n", 2, mode))
            break;
    }
    if (sent == HUGE_BODY_BYTES && chunked && !huge_piece_send(f, c, "0\r\n\r\n", 5, mode))
        sent--; /* the last chunk did not go out */
    return sent;
}

/*
 * A 64 MiB body, declared or chunked, gets 413 with Connection: close and
 * the connection ends; the server read at most about MC_HTTP_BODY_BYTES_MAX
 * of it and keeps serving.
 */
static void test_huge_bodies_413(void **state)
{
    (void)state;
    struct fx f;
    fx_master(&f, 15 * RT_NS_PER_SEC, NULL);
    for (int chunked = 0; chunked <= 1; chunked++) {
        struct tc c;
        tc_open(&c, f.port);
        size_t sent = huge_body_send(&f, &c, chunked, SEND_READING);
        assert_true(sent < HUGE_BODY_BYTES);
        assert_true(fx_wait(&f, (struct tc *[]){&c}, 1, client_eof, &c));
        struct tresps rs;
        tresps_parse(&c, &rs);
        assert_int_equal(rs.count, 1);
        assert_int_equal(rs.r[0].status, 413);
        assert_true(rs.r[0].complete);
        header_check(&rs.r[0], "Connection", "close");
        tresps_free(&rs);
        tc_close(&c);
        health_check(&f);
    }
    struct uvrt_stats st;
    uvrt_stats_get(f.u, &st);
    assert_int_equal(st.parse_errors, 2);
    assert_int_equal(st.requests, 2); /* the two health checks, nothing else */
    fx_fini(&f, NULL);
}

/*
 * A client that dribbles its SUBSCRIBE one byte per loop pass is served in
 * the end, and meanwhile another client's requests are answered one after
 * another: a slow reader of the request holds nobody else up.
 */
static void test_slow_client_byte_by_byte(void **state)
{
    (void)state;
    struct fx f;
    fx_master(&f, 15 * RT_NS_PER_SEC, NULL);
    struct tc slow, fast;
    tc_open(&slow, f.port);
    tc_open(&fast, f.port);
    struct mc_buf req;
    mc_buf_init(&req, 1 << 16, NULL);
    post_format(&req, "/api/v1/scheduler", NULL, SUBSCRIBE_BODY);
    struct tc *both[] = {&slow, &fast};
    size_t fast_answered = 0;
    for (size_t i = 0; i < req.len; i++) {
        tc_send(&f, &slow, req.data + i, 1);
        fx_step(&f, both, 2);
        if (i % 16 != 0)
            continue;
        tc_send_str(&f, &fast, "GET /health HTTP/1.1\r\nHost: m\r\n\r\n");
        struct tresps rs;
        responses_wait(&f, &fast, fast_answered + 1, &rs);
        assert_int_equal(rs.r[fast_answered].status, 200);
        tresps_free(&rs);
        fast_answered++;
        assert_int_equal(slow.in.len, 0); /* its request is not complete yet */
    }
    assert_true(fast_answered >= req.len / 16);
    wait_for_text(&f, &slow, "\"type\":\"SUBSCRIBED\"");
    struct tresps rs;
    tresps_parse(&slow, &rs);
    assert_int_equal(rs.r[0].status, 200);
    assert_true(rs.r[0].is_stream);
    tresps_free(&rs);
    struct master_stats ms;
    master_stats_get(f.master, &ms);
    assert_int_equal(ms.frameworks_connected, 1);
    mc_buf_deinit(&req);
    tc_close(&slow);
    tc_close(&fast);
    fx_fini(&f, NULL);
}

/* Half a head and half a body, then nothing more. */
static const char *const stalled_inputs[] = {
    "GET /health HTTP/1.1\r\nHo",
    "POST /api/v1/scheduler HTTP/1.1\r\nHost: m\r\nContent-Type: application/json\r\n"
    "Content-Length: 100\r\n\r\n{\"type\":",
    "POST /api/v1/scheduler HTTP/1.1\r\nHost: m\r\nContent-Type: application/json\r\n"
    "Transfer-Encoding: chunked\r\n\r\n10\r\n{\"ty",
};
#define STALLED_COUNT (sizeof(stalled_inputs) / sizeof(stalled_inputs[0]))

static int all_eof(void *ctx)
{
    struct many *m = ctx;
    for (size_t i = 0; i < m->n; i++) {
        if (!m->cs[i].eof)
            return 0;
    }
    return 1;
}

/*
 * Clients that send part of a request and stall: with no idle timeout they
 * hold their connections and everyone else is served all the same; with
 * one, they are closed when it passes (no answer: the request never came).
 */
static void test_stalled_clients(void **state)
{
    (void)state;
    for (int timed = 0; timed <= 1; timed++) {
        struct uvrt_options o;
        uvrt_options_default(&o);
        o.idle_timeout_ns = timed ? 300 * RT_NS_PER_MS : 0;
        struct fx f;
        fx_master(&f, 15 * RT_NS_PER_SEC, &o);
        struct tc cs[STALLED_COUNT];
        struct tc *ps[STALLED_COUNT];
        for (size_t i = 0; i < STALLED_COUNT; i++) {
            tc_open(&cs[i], f.port);
            ps[i] = &cs[i];
            tc_send_str(&f, &cs[i], stalled_inputs[i]);
        }
        fx_pump(&f, ps, STALLED_COUNT, 20); /* the server has read every part */
        if (!timed) {
            for (int i = 0; i < 3; i++)
                health_check(&f);
            fx_pump(&f, ps, STALLED_COUNT, 20);
            for (size_t i = 0; i < STALLED_COUNT; i++)
                assert_false(cs[i].eof);
        } else {
            struct many m = {cs, STALLED_COUNT};
            assert_true(fx_wait(&f, ps, STALLED_COUNT, all_eof, &m));
            struct uvrt_stats st;
            uvrt_stats_get(f.u, &st);
            assert_int_equal(st.conns_idle_closed, STALLED_COUNT);
            health_check(&f);
        }
        struct uvrt_stats st;
        uvrt_stats_get(f.u, &st);
        assert_int_equal(st.requests, timed ? 1 : 3);
        for (size_t i = 0; i < STALLED_COUNT; i++) {
            assert_int_equal(cs[i].in.len, 0);
            tc_close(&cs[i]);
        }
        fx_fini(&f, NULL);
    }
}

static int conns_none(void *ctx)
{
    struct uvrt_stats st;
    uvrt_stats_get(ctx, &st);
    return st.conns_open == 0;
}

/* c's one answer: complete, with status and Connection: close, and the server's FIN. */
static void closing_answer_check(struct tc *c, int status)
{
    assert_true(c->eof);
    struct tresps rs;
    tresps_parse(c, &rs);
    assert_int_equal(rs.count, 1);
    assert_int_equal(rs.r[0].status, status);
    assert_true(rs.r[0].complete);
    header_check(&rs.r[0], "Connection", "close");
    tresps_free(&rs);
}

/*
 * Lingering close: a client that sends a 64 MiB body (declared, then
 * chunked) and reads only after it sent everything gets its 413. The
 * server reads and drops the rest of the body instead of closing on it,
 * which would reset the connection and fail the client's send before it
 * ever read. With lingering off (linger_ns 0) that is what happens: the
 * send fails, which shows the test can tell the two apart.
 */
static void test_refused_body_answer_survives(void **state)
{
    (void)state;
    for (int linger = 1; linger >= 0; linger--) {
        struct uvrt_options o;
        uvrt_options_default(&o);
        o.linger_ns = linger ? 60 * RT_NS_PER_SEC : 0; /* only a failure would wait */
        struct fx f;
        fx_master(&f, 15 * RT_NS_PER_SEC, &o);
        for (int chunked = 0; chunked <= linger; chunked++) {
            struct tc c;
            tc_open(&c, f.port);
            size_t sent = huge_body_send(&f, &c, chunked, SEND_BLIND);
            if (!linger) {
                assert_true(sent < HUGE_BODY_BYTES); /* reset: the client may never read */
                tc_close(&c);
                break;
            }
            assert_int_equal(sent, HUGE_BODY_BYTES);
            assert_true(fx_wait(&f, (struct tc *[]){&c}, 1, client_eof, &c));
            closing_answer_check(&c, 413);
            tc_close(&c); /* the server sees the close: its linger ends */
            assert_true(fx_wait(&f, NULL, 0, conns_none, f.u));
            health_check(&f);
        }
        struct uvrt_stats st;
        uvrt_stats_get(f.u, &st);
        assert_int_equal(st.parse_errors, linger ? 2 : 1);
        assert_int_equal(st.conns_lingered, linger ? 2 : 0);
        assert_int_equal(st.lingers_cut, 0);
        fx_fini(&f, NULL);
    }
}

/* A refused request whose client goes on sending part of its body, then stalls. */
#define REFUSED_HEAD                                                                   \
    "POST /api/v1/scheduler HTTP/1.1\r\nHost: m\r\nContent-Type: application/json\r\n" \
    "Content-Length: 67108864\r\n\r\n{\"type\":"

/*
 * Lingering is bounded and costs nobody else: a lingering connection
 * counts against conns_max (a connection past it is refused) while others
 * are served; a client that sends past the linger's bytes is cut off, one
 * that stalls is closed when the linger's time passes, and neither ever
 * closed its socket.
 */
static void test_linger_bounded(void **state)
{
    (void)state;
    /* Counted, and no delay to others: two connections allowed, one lingers. */
    struct uvrt_options o;
    uvrt_options_default(&o);
    o.conns_max = 2;
    o.linger_ns = 60 * RT_NS_PER_SEC;
    struct fx f;
    fx_master(&f, 15 * RT_NS_PER_SEC, &o);
    struct tc l, ok, over;
    tc_open(&l, f.port);
    tc_send_str(&f, &l, REFUSED_HEAD);
    assert_true(fx_wait(&f, (struct tc *[]){&l}, 1, client_eof, &l));
    closing_answer_check(&l, 413);
    tc_open(&ok, f.port);
    tc_send_str(&f, &ok, "GET /health HTTP/1.1\r\nHost: m\r\n\r\n");
    struct tresps rs;
    responses_wait(&f, &ok, 1, &rs);
    assert_int_equal(rs.r[0].status, 200);
    tresps_free(&rs);
    tc_open(&over, f.port); /* the third: past conns_max while l lingers */
    assert_true(fx_wait(&f, (struct tc *[]){&over}, 1, client_eof, &over));
    assert_int_equal(over.in.len, 0);
    struct uvrt_stats st;
    uvrt_stats_get(f.u, &st);
    assert_int_equal(st.conns_refused, 1);
    assert_int_equal(st.conns_open, 2);
    assert_int_equal(st.conns_lingered, 1);
    tc_close(&over);
    tc_close(&ok);
    tc_close(&l);
    assert_true(fx_wait(&f, NULL, 0, conns_none, f.u));
    health_check(&f);
    fx_fini(&f, NULL);

    /* Bytes: past linger_bytes_max the connection is cut, and the send fails. */
    uvrt_options_default(&o);
    o.linger_ns = 60 * RT_NS_PER_SEC;
    o.linger_bytes_max = 1024 * 1024;
    fx_master(&f, 15 * RT_NS_PER_SEC, &o);
    tc_open(&l, f.port);
    assert_true(huge_body_send(&f, &l, 0, SEND_BLIND) < HUGE_BODY_BYTES);
    assert_true(fx_wait(&f, NULL, 0, conns_none, f.u));
    uvrt_stats_get(f.u, &st);
    assert_int_equal(st.lingers_cut, 1);
    tc_close(&l);
    health_check(&f);
    fx_fini(&f, NULL);

    /* Time: a client that stalls and never closes is closed after linger_ns. */
    uvrt_options_default(&o);
    o.linger_ns = 200 * RT_NS_PER_MS;
    fx_master(&f, 15 * RT_NS_PER_SEC, &o);
    tc_open(&l, f.port);
    tc_send_str(&f, &l, REFUSED_HEAD);
    assert_true(fx_wait(&f, (struct tc *[]){&l}, 1, client_eof, &l));
    closing_answer_check(&l, 413);
    assert_true(fx_wait(&f, NULL, 0, conns_none, f.u));
    uvrt_stats_get(f.u, &st);
    assert_int_equal(st.conns_lingered, 1);
    assert_int_equal(st.lingers_cut, 1);
    tc_close(&l);
    health_check(&f);
    fx_fini(&f, NULL);
}

/* The status line c's answer begins with. */
static void status_line_check(const struct tc *c, const char *line)
{
    assert_true(c->in.len >= strlen(line));
    assert_memory_equal(c->in.data, line, strlen(line));
}

/* A client that dribbles a request, one byte per step, until the server closes. */
struct dribbler {
    struct tc c;
    const char *start; /* sent at once */
    const char *byte;  /* then this, a byte at a time, over and over */
};

/*
 * Slowloris: clients that dribble a request head (a header that never
 * ends) or a body one byte at a time get 408 Request Time-out with
 * Connection: close once the head or body deadline passes, though every
 * byte restarted the idle timer; one that dribbles the empty lines allowed
 * before a request is closed at the head's deadline without an answer (it
 * never began a request). All the while a well-behaved client on a
 * keep-alive connection is served, and its connection, idle between
 * requests, is not timed out.
 */
static void test_slow_head_408(void **state)
{
    (void)state;
    struct uvrt_options o;
    uvrt_options_default(&o);
    o.head_timeout_ns = 300 * RT_NS_PER_MS;
    o.body_timeout_ns = 300 * RT_NS_PER_MS;
    struct fx f;
    fx_master(&f, 15 * RT_NS_PER_SEC, &o);
    struct dribbler d[] = {
        {.start = "GET /health HTTP/1.1\r\nHost: m\r\nX-Slow: ", .byte = "a"},
        {.start = "", .byte = "\r\n"},
        {.start = "POST /api/v1/scheduler HTTP/1.1\r\nHost: m\r\nContent-Type: "
                  "application/json\r\nContent-Length: 100000\r\n\r\n",
         .byte = " "},
    };
    enum { N = sizeof(d) / sizeof(d[0]) };
    struct tc fast;
    tc_open(&fast, f.port);
    struct tc *all[N + 1];
    for (size_t i = 0; i < N; i++) {
        tc_open(&d[i].c, f.port);
        all[i] = &d[i].c;
        tc_send_str(&f, &d[i].c, d[i].start);
    }
    all[N] = &fast;
    size_t fast_answered = 0;
    uint64_t start_ns = uv_hrtime();
    for (size_t step = 0;; step++) {
        size_t open = 0;
        for (size_t i = 0; i < N; i++) {
            if (d[i].c.eof)
                continue;
            open++;
            (void)tc_send_blind(&f, &d[i].c, d[i].byte + step % strlen(d[i].byte), 1);
        }
        if (open == 0)
            break;
        fx_pump(&f, all, N + 1, 10);
        if (step % 8 == 0) {
            tc_send_str(&f, &fast, "GET /health HTTP/1.1\r\nHost: m\r\n\r\n");
            struct tresps rs;
            responses_wait(&f, &fast, 1, &rs);
            assert_int_equal(rs.r[0].status, 200);
            tresps_free(&rs);
            mc_buf_reset(&fast.in); /* the next answer is parsed from the start */
            fast_answered++;
        }
        assert_true(uv_hrtime() - start_ns < (uint64_t)WAIT_MS_MAX * RT_NS_PER_MS);
    }
    for (size_t i = 0; i < N; i++) {
        if (i == 1) {
            assert_int_equal(d[i].c.in.len, 0); /* empty lines only: no request, no answer */
            continue;
        }
        closing_answer_check(&d[i].c, 408);
        status_line_check(&d[i].c, "HTTP/1.1 408 Request Time-out\r\n");
    }
    assert_non_null(
        strstr(mc_buf_str(&d[0].c.in), "The request head did not arrive within 300 ms"));
    assert_non_null(
        strstr(mc_buf_str(&d[2].c.in), "The request body did not arrive within 300 ms"));
    assert_false(fast.eof);
    struct uvrt_stats st;
    uvrt_stats_get(f.u, &st);
    assert_int_equal(st.requests_timed_out, N - 1);
    assert_int_equal(st.requests, fast_answered);
    assert_int_equal(st.conns_idle_closed, 1);
    for (size_t i = 0; i < N; i++)
        tc_close(&d[i].c);
    tc_close(&fast);
    fx_fini(&f, NULL);
}

/*
 * A slow client that finishes in time is served: its head and body arrive
 * in pieces, a pause after each, well within generous deadlines, and the
 * deadlines of one request do not carry over to the next on the same
 * connection.
 */
static void test_slow_in_time_served(void **state)
{
    (void)state;
    struct uvrt_options o;
    uvrt_options_default(&o);
    o.head_timeout_ns = 10 * RT_NS_PER_SEC;
    o.body_timeout_ns = 10 * RT_NS_PER_SEC;
    struct fx f;
    struct tnode n;
    fx_node(&f, &n, &o);
    struct tc c;
    tc_open(&c, f.port);
    static const char req[] = "\r\nPOST /echo HTTP/1.1\r\nHost: m\r\nContent-Length: 10\r\n\r\n"
                              "0123456789";
    for (int round = 0; round < 2; round++) {
        for (size_t i = 0; i < sizeof(req) - 1; i += 4) {
            size_t len = sizeof(req) - 1 - i < 4 ? sizeof(req) - 1 - i : 4;
            tc_send(&f, &c, req + i, len);
            fx_pump(&f, (struct tc *[]){&c}, 1, 10);
        }
        struct tresps rs;
        responses_wait(&f, &c, (size_t)round + 1, &rs);
        assert_int_equal(rs.r[round].status, 200);
        assert_string_equal(mc_buf_str(&rs.r[round].body), "0123456789");
        tresps_free(&rs);
    }
    assert_false(c.eof);
    struct uvrt_stats st;
    uvrt_stats_get(f.u, &st);
    assert_int_equal(st.requests_timed_out, 0);
    assert_int_equal(st.requests, 2);
    tc_close(&c);
    fx_fini(&f, &n);
}

/* Closes c with a reset (RST) instead of a FIN. */
static void tc_reset(struct tc *c)
{
    struct linger l = {.l_onoff = 1, .l_linger = 0};
    assert_int_equal(setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l)), 0);
    tc_close(c);
}

/*
 * Resets at every stage: mid-head, mid-body, mid-chunk, after pipelined
 * requests whose answers are on their way, and on an open stream (the
 * framework is disconnected). The server drops each connection and keeps
 * serving.
 */
static void test_resets(void **state)
{
    (void)state;
    struct fx f;
    fx_master(&f, 15 * RT_NS_PER_SEC, NULL);
    for (size_t i = 0; i <= STALLED_COUNT; i++) {
        struct tc c;
        tc_open(&c, f.port);
        if (i < STALLED_COUNT)
            tc_send_str(&f, &c, stalled_inputs[i]);
        else
            for (int k = 0; k < 8; k++)
                tc_send_str(&f, &c, "GET /version HTTP/1.1\r\nHost: m\r\n\r\n");
        fx_pump(&f, NULL, 0, 10);
        tc_reset(&c);
        assert_true(fx_wait(&f, NULL, 0, conns_none, f.u));
        health_check(&f);
    }
    struct tc s;
    tc_open(&s, f.port);
    char sid[64], fid[128];
    subscribe(&f, &s, SUBSCRIBE_FAILOVER_BODY, sid, fid);
    tc_reset(&s);
    assert_true(fx_wait(&f, NULL, 0, master_disconnected, f.master));
    health_check(&f);
    assert_true(fx_wait(&f, NULL, 0, conns_none, f.u));
    fx_fini(&f, NULL);
}

/* Raises the soft limit on open files to want; 0 when it cannot be had. */
static int nofile_raise(rlim_t want)
{
    struct rlimit rl;
    assert_int_equal(getrlimit(RLIMIT_NOFILE, &rl), 0);
    if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < want) {
        if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < want)
            return 0;
        rl.rlim_cur = want;
        if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
            return 0;
    }
    return 1;
}

struct crowd {
    struct fx *f;
    struct tc *cs;
    struct tc **ps;
    size_t n;
    uint64_t accepted_want;
};

static int crowd_accepted(void *ctx)
{
    const struct crowd *w = ctx;
    struct uvrt_stats st;
    uvrt_stats_get(w->f->u, &st);
    return st.conns_accepted >= w->accepted_want;
}

static int crowd_subscribed(void *ctx)
{
    const struct crowd *w = ctx;
    for (size_t i = 0; i < w->n; i++) {
        if (w->cs[i].in.len == 0 || strstr(mc_buf_str(&w->cs[i].in), "\"SUBSCRIBED\"") == NULL)
            return 0;
    }
    return 1;
}

/* Opens the crowd's clients, letting the server accept as they come (the backlog is finite). */
static void crowd_open(struct crowd *w)
{
    for (size_t i = 0; i < w->n; i++) {
        tc_open(&w->cs[i], w->f->port);
        w->ps[i] = &w->cs[i];
        if (i % 128 == 127 || i + 1 == w->n) {
            w->accepted_want = i + 1;
            assert_true(fx_wait_ms(w->f, NULL, 0, crowd_accepted, w, CROWD_WAIT_MS_MAX));
        }
    }
}

/*
 * 2000 connections at once (conns_max raised to let them in; the soft limit
 * on open files too, or the test is skipped): each gets /health answered,
 * then each subscribes a framework on the same connection and gets its
 * SUBSCRIBED, and nobody is refused.
 */
static void test_crowd_2000_connections(void **state)
{
    (void)state;
    if (!nofile_raise(2 * CROWD_CLIENTS + 64)) {
        print_message("skipped: RLIMIT_NOFILE cannot be raised to %u\n", 2 * CROWD_CLIENTS + 64);
        skip();
    }
    struct uvrt_options o;
    uvrt_options_default(&o);
    o.conns_max = 2 * CROWD_CLIENTS;
    struct fx f;
    fx_master(&f, 15 * RT_NS_PER_SEC, &o);
    struct crowd w = {&f, calloc(CROWD_CLIENTS, sizeof(struct tc)),
                      calloc(CROWD_CLIENTS, sizeof(struct tc *)), CROWD_CLIENTS, 0};
    assert_non_null(w.cs);
    assert_non_null(w.ps);
    crowd_open(&w);
    for (size_t i = 0; i < w.n; i++)
        tc_send_str(&f, &w.cs[i], "GET /health HTTP/1.1\r\nHost: m\r\n\r\n");
    struct many m = {w.cs, w.n};
    assert_true(fx_wait_ms(&f, w.ps, w.n, many_answered, &m, CROWD_WAIT_MS_MAX));
    struct mc_buf req;
    mc_buf_init(&req, 1 << 16, NULL);
    post_format(&req, "/api/v1/scheduler", NULL, SUBSCRIBE_BODY);
    for (size_t i = 0; i < w.n; i++) {
        assert_memory_equal(w.cs[i].in.data, "HTTP/1.1 200 OK\r\n", 17);
        tc_send(&f, &w.cs[i], req.data, req.len);
    }
    assert_true(fx_wait_ms(&f, w.ps, w.n, crowd_subscribed, &w, CROWD_WAIT_MS_MAX));
    struct uvrt_stats st;
    uvrt_stats_get(f.u, &st);
    assert_int_equal(st.conns_open, CROWD_CLIENTS);
    assert_int_equal(st.conns_refused, 0);
    assert_int_equal(st.requests, 2 * CROWD_CLIENTS);
    struct master_stats ms;
    master_stats_get(f.master, &ms);
    assert_int_equal(ms.frameworks_connected, CROWD_CLIENTS);
    for (size_t i = 0; i < w.n; i++) {
        assert_false(w.cs[i].eof);
        tc_close(&w.cs[i]);
    }
    mc_buf_deinit(&req);
    free(w.cs);
    free(w.ps);
    fx_fini(&f, NULL);
}

/* ---- the runtime, with the test node ------------------------------------ */

/* Past conns_max a connection is accepted and closed at once; the others are served. */
static void test_conns_max(void **state)
{
    (void)state;
    struct uvrt_options o;
    uvrt_options_default(&o);
    o.conns_max = 3;
    struct fx f;
    struct tnode n;
    fx_node(&f, &n, &o);
    struct tc c[4];
    for (int i = 0; i < 4; i++) {
        tc_open(&c[i], f.port);
        fx_pump(&f, NULL, 0, 5); /* accepted in order */
    }
    assert_true(fx_wait(&f, (struct tc *[]){&c[3]}, 1, client_eof, &c[3]));
    assert_int_equal(c[3].in.len, 0);
    for (int i = 0; i < 3; i++) {
        tc_send_str(&f, &c[i], "GET /whole HTTP/1.1\r\n\r\n");
        struct tresps rs;
        responses_wait(&f, &c[i], 1, &rs);
        assert_int_equal(rs.r[0].status, 200);
        assert_string_equal(mc_buf_str(&rs.r[0].body), "hello");
        tresps_free(&rs);
    }
    struct uvrt_stats st;
    uvrt_stats_get(f.u, &st);
    assert_int_equal(st.conns_refused, 1);
    assert_int_equal(st.conns_open_max, 3);
    for (int i = 0; i < 4; i++)
        tc_close(&c[i]);
    fx_fini(&f, &n);
}

/*
 * HTTP/1.1 order: the second pipelined request reaches the node only after
 * the first was answered, and the answers come back in order.
 */
static void test_pipelining_waits_for_answer(void **state)
{
    (void)state;
    struct fx f;
    struct tnode n;
    fx_node(&f, &n, NULL);
    struct tc c;
    tc_open(&c, f.port);
    tc_send_str(&f, &c, "GET /defer HTTP/1.1\r\n\r\nGET /whole HTTP/1.1\r\n\r\n");
    fx_pump(&f, (struct tc *[]){&c}, 1, 50);
    assert_int_equal(n.req_count, 1);
    assert_int_equal(c.in.len, 0);
    struct http_response r;
    assert_int_equal(http_response_text_init(&r, 201, "first", NULL), 0);
    n.rt->ops->respond(n.rt->ctx, n.defer_req, &r);
    /* Answering twice, or an id never given, is harmless (rt.h rule 2). */
    n.rt->ops->respond(n.rt->ctx, n.defer_req, &r);
    n.rt->ops->respond(n.rt->ctx, 987654, &r);
    http_response_deinit(&r);
    struct tresps rs;
    responses_wait(&f, &c, 2, &rs);
    assert_int_equal(n.req_count, 2);
    assert_string_equal(n.paths[1], "/whole");
    assert_true(n.reqs[1] > n.reqs[0]);
    assert_int_equal(rs.r[0].status, 201);
    assert_string_equal(mc_buf_str(&rs.r[0].body), "first");
    assert_int_equal(rs.r[1].status, 200);
    tresps_free(&rs);
    tc_close(&c);
    fx_fini(&f, &n);
}

/* A stream: one chunk per write, the terminating chunk on close, then keep-alive. */
static void test_stream_chunks_and_close(void **state)
{
    (void)state;
    struct fx f;
    struct tnode n;
    fx_node(&f, &n, NULL);
    struct tc c;
    tc_open(&c, f.port);
    tc_send_str(&f, &c, "GET /stream HTTP/1.1\r\n\r\nGET /whole HTTP/1.1\r\n\r\n");
    struct chunks_want w = {&c, 2};
    assert_true(fx_wait(&f, (struct tc *[]){&c}, 1, chunks_arrived, &w));
    /* The open stream occupies the connection: the next request waits. */
    fx_pump(&f, (struct tc *[]){&c}, 1, 30);
    assert_int_equal(n.req_count, 1);
    assert_int_equal(n.rt->ops->stream_write(n.rt->ctx, n.stream_req, "", 0), 0);
    n.rt->ops->stream_close(n.rt->ctx, n.stream_req);
    assert_int_equal(n.rt->ops->stream_write(n.rt->ctx, n.stream_req, "x", 1), MC_ECLOSED);
    n.rt->ops->stream_close(n.rt->ctx, n.stream_req); /* harmless */
    struct tresps rs;
    responses_wait(&f, &c, 2, &rs);
    assert_true(rs.r[0].is_stream);
    assert_string_equal(mc_buf_str(&rs.r[0].body), "onetwo");
    assert_int_equal(rs.r[1].status, 200);
    assert_non_null(strstr(mc_buf_str(&c.in), "\r\n\r\n3\r\none\r\n3\r\ntwo\r\n0\r\n\r\nHTTP/1.1"));
    assert_int_equal(n.closed_count, 0); /* the node closed it: no stream_closed */
    tresps_free(&rs);
    tc_close(&c);
    fx_fini(&f, &n);
}

static int node_stream_closed(void *ctx)
{
    return ((struct tnode *)ctx)->closed_count > 0;
}

/* The client of a stream goes away: stream_closed once, writes then fail. */
static void test_stream_client_gone(void **state)
{
    (void)state;
    struct fx f;
    struct tnode n;
    fx_node(&f, &n, NULL);
    struct tc c;
    tc_open(&c, f.port);
    tc_send_str(&f, &c, "GET /stream HTTP/1.1\r\n\r\n");
    struct chunks_want w = {&c, 2};
    assert_true(fx_wait(&f, (struct tc *[]){&c}, 1, chunks_arrived, &w));
    tc_close(&c);
    assert_true(fx_wait(&f, NULL, 0, node_stream_closed, &n));
    assert_int_equal(n.closed[0], n.stream_req);
    assert_int_equal(n.rt->ops->stream_write(n.rt->ctx, n.stream_req, "x", 1), MC_ECLOSED);
    n.rt->ops->stream_close(n.rt->ctx, n.stream_req); /* harmless */
    fx_pump(&f, NULL, 0, 20);
    assert_int_equal(n.closed_count, 1);
    fx_fini(&f, &n);
}

static int big_cut(void *ctx)
{
    struct tnode *n = ctx;
    return n->closed_count > 0 && n->write_err != 0;
}

/* A reader that stalls: past the bound its stream is cut, memory stays bounded. */
static void test_stalled_reader_cut(void **state)
{
    (void)state;
    struct uvrt_options o;
    uvrt_options_default(&o);
    o.stream_queued_bytes_max = 1u << 20;
    struct fx f;
    struct tnode n;
    fx_node(&f, &n, &o);
    struct tc c;
    tc_open_with(&c, f.port, 4096);
    tc_send_str(&f, &c, "GET /big HTTP/1.1\r\n\r\n");
    /* The client never reads: no tc in the wait list. */
    assert_true(fx_wait(&f, NULL, 0, big_cut, &n));
    assert_int_equal(n.write_err, MC_ECLOSED);
    assert_int_equal(n.closed[0], n.big_req);
    struct uvrt_stats st;
    uvrt_stats_get(f.u, &st);
    assert_int_equal(st.streams_cut, 1);
    assert_true(st.queued_bytes_max <= o.stream_queued_bytes_max);
    assert_true(n.big_written >= 4 * BIG_CHUNK_BYTES);
    tc_close(&c);
    fx_fini(&f, &n);
}

/* An idle connection is closed after the timeout; an open stream is not. */
static void test_idle_timeout(void **state)
{
    (void)state;
    struct uvrt_options o;
    uvrt_options_default(&o);
    o.idle_timeout_ns = 300 * RT_NS_PER_MS;
    struct fx f;
    struct tnode n;
    fx_node(&f, &n, &o);
    struct tc idle, streaming;
    tc_open(&idle, f.port);
    tc_open(&streaming, f.port);
    tc_send_str(&f, &streaming, "GET /stream HTTP/1.1\r\n\r\n");
    struct tc *cs[] = {&idle, &streaming};
    assert_true(fx_wait(&f, cs, 2, client_eof, &idle));
    fx_pump(&f, cs, 2, 400); /* past the timeout again: the stream stays */
    assert_false(streaming.eof);
    assert_int_equal(idle.in.len, 0);
    struct uvrt_stats st;
    uvrt_stats_get(f.u, &st);
    assert_int_equal(st.conns_idle_closed, 1);
    assert_int_equal(n.closed_count, 0);
    tc_close(&idle);
    tc_close(&streaming);
    fx_fini(&f, &n);
}

/* Expect: 100-continue gets its interim answer before the body is sent. */
static void test_expect_continue(void **state)
{
    (void)state;
    struct fx f;
    struct tnode n;
    fx_node(&f, &n, NULL);
    struct tc c;
    tc_open(&c, f.port);
    tc_send_str(&f, &c, "POST /echo HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n");
    wait_for_text(&f, &c, "HTTP/1.1 100 Continue\r\n\r\n");
    tc_send_str(&f, &c, "{}");
    struct tresps rs;
    responses_wait(&f, &c, 1, &rs);
    assert_int_equal(rs.r[0].status, 200);
    assert_string_equal(mc_buf_str(&rs.r[0].body), "{}");
    tresps_free(&rs);
    tc_close(&c);
    fx_fini(&f, &n);
}

static void ttimer_fire(struct rt_timer *timer)
{
    struct ttimer *t = MC_CONTAINER_OF(timer, struct ttimer, t);
    struct tnode *n = t->n;
    assert_false(timer->active);
    n->fired[n->fired_count] = t->name;
    n->fired_pass[n->fired_count++] = n->f->passes;
    if (t->name == 'B') /* started inside a timer: never in the same pass */
        rt_timer_start(n->rt, &n->tt[5].t, 0, ttimer_fire);
}

static int timers_done(void *ctx)
{
    return ((struct tnode *)ctx)->fired_count >= 6;
}

/* rt.h rule 3: equal deadlines in start order, restarts reorder, new ones wait a pass. */
static void test_timers_order(void **state)
{
    (void)state;
    struct fx f;
    struct tnode n;
    fx_node(&f, &n, NULL);
    const char names[] = "ABCDEFG";
    for (int i = 0; i < 7; i++) {
        n.tt[i].n = &n;
        n.tt[i].name = names[i];
    }
    const struct rt *rt = n.rt;
    uint64_t t0 = rt_now_ns(rt);
    rt_timer_start(rt, &n.tt[0].t, 40 * RT_NS_PER_MS, ttimer_fire); /* A */
    rt_timer_start(rt, &n.tt[1].t, 40 * RT_NS_PER_MS, ttimer_fire); /* B */
    rt_timer_start(rt, &n.tt[2].t, 40 * RT_NS_PER_MS, ttimer_fire); /* C */
    rt_timer_start(rt, &n.tt[3].t, 20 * RT_NS_PER_MS, ttimer_fire); /* D: earlier */
    rt_timer_start(rt, &n.tt[4].t, 40 * RT_NS_PER_MS, ttimer_fire); /* E */
    rt_timer_start(rt, &n.tt[0].t, 40 * RT_NS_PER_MS, ttimer_fire); /* A again: after E */
    rt_timer_start(rt, &n.tt[6].t, 30 * RT_NS_PER_MS, ttimer_fire); /* G: cancelled */
    rt_timer_cancel(rt, &n.tt[6].t);
    rt_timer_cancel(rt, &n.tt[6].t); /* harmless */
    assert_int_equal(n.tt[0].t.deadline_ns, n.tt[1].t.deadline_ns);
    assert_true(fx_wait(&f, NULL, 0, timers_done, &n));
    fx_pump(&f, NULL, 0, 40);
    assert_int_equal(n.fired_count, 6);
    assert_memory_equal(n.fired, "DBCEAF", 6);
    assert_int_equal(n.fired_pass[1], n.fired_pass[4]); /* B .. A: one pass */
    assert_true(n.fired_pass[5] > n.fired_pass[1]);     /* F: a later one */
    assert_true(rt_now_ns(rt) >= t0 + 40 * RT_NS_PER_MS);
    fx_fini(&f, &n);
}

static int call_ended(void *ctx)
{
    return ((struct tnode *)ctx)->ends > 0;
}

static uint64_t call_get(struct tnode *n, const char *peer, const char *path)
{
    struct http_request r;
    http_request_init(&r, NULL);
    assert_int_equal(http_request_line_set(&r, "GET", path), 0);
    n->responses = n->ends = n->status = 0;
    n->end_err = 1;
    mc_buf_reset(&n->data);
    n->call = n->rt->ops->call_start(n->rt->ctx, peer, &r);
    http_request_deinit(&r);
    return n->call;
}

/* Outbound calls: a whole answer, a stream, a refused peer, a cancel. */
static void test_calls(void **state)
{
    (void)state;
    struct fx f;
    struct tnode n;
    fx_node(&f, &n, NULL);
    char peer[64];
    snprintf(peer, sizeof(peer), "127.0.0.1:%u", (unsigned)f.port);
    /* Whole: one call_response with the body, then call_end(0). */
    assert_true(call_get(&n, peer, "/whole") != 0);
    assert_true(fx_wait(&f, NULL, 0, call_ended, &n));
    assert_int_equal(n.responses, 1);
    assert_int_equal(n.status, 200);
    assert_false(n.is_stream);
    assert_string_equal(mc_buf_str(&n.data), "hello");
    assert_int_equal(n.end_err, 0);
    /* Stream: head, data in any split, call_end(0) after the server closes it. */
    assert_true(call_get(&n, peer, "/stream") != 0);
    fx_pump(&f, NULL, 0, 50);
    assert_int_equal(n.responses, 1);
    assert_true(n.is_stream);
    assert_string_equal(mc_buf_str(&n.data), "onetwo");
    assert_int_equal(n.ends, 0);
    n.rt->ops->stream_close(n.rt->ctx, n.stream_req);
    assert_true(fx_wait(&f, NULL, 0, call_ended, &n));
    assert_int_equal(n.end_err, 0);
    /* Cancel: no call_end; the server's stream is reported closed. */
    assert_true(call_get(&n, peer, "/stream") != 0);
    fx_pump(&f, NULL, 0, 50);
    assert_int_equal(n.responses, 1);
    n.rt->ops->call_cancel(n.rt->ctx, n.call);
    assert_true(fx_wait(&f, NULL, 0, node_stream_closed, &n));
    fx_pump(&f, NULL, 0, 20);
    assert_int_equal(n.ends, 0);
    /* A port nobody listens on: exactly one call_end, no response. */
    uv_tcp_t probe;
    assert_int_equal(uv_tcp_init(&f.loop, &probe), 0);
    struct sockaddr_in a;
    uv_ip4_addr("127.0.0.1", 0, &a);
    assert_int_equal(uv_tcp_bind(&probe, (struct sockaddr *)&a, 0), 0);
    int len = sizeof(a);
    assert_int_equal(uv_tcp_getsockname(&probe, (struct sockaddr *)&a, &len), 0);
    snprintf(peer, sizeof(peer), "127.0.0.1:%u", (unsigned)ntohs(a.sin_port));
    uv_close((uv_handle_t *)&probe, check_close);
    fx_pump(&f, NULL, 0, 5);
    assert_true(call_get(&n, peer, "/whole") != 0);
    assert_true(fx_wait(&f, NULL, 0, call_ended, &n));
    fx_pump(&f, NULL, 0, 20);
    assert_int_equal(n.ends, 1);
    assert_int_equal(n.responses, 0);
    assert_int_equal(n.end_err, MC_ECLOSED);
    /* Bad peers never start. */
    assert_int_equal(call_get(&n, "nohost", "/whole"), 0);
    assert_int_equal(call_get(&n, "example.com:80", "/whole"), 0);
    assert_int_equal(call_get(&n, "127.0.0.1:99999", "/whole"), 0);
    fx_fini(&f, &n);
}

/* Ids are never 0 and never reused; the store honours its interface; rng is seeded. */
static void test_ids_store_rng(void **state)
{
    (void)state;
    struct uvrt_options o;
    uvrt_options_default(&o);
    o.seed = 42;
    struct fx f;
    struct tnode n;
    fx_node(&f, &n, &o);
    const struct rt *rt = n.rt;
    struct mc_buf out;
    mc_buf_init(&out, 1024, NULL);
    assert_int_equal(rt->ops->store_get(rt->ctx, "k", &out), MC_ENOTFOUND);
    assert_int_equal(rt->ops->store_put(rt->ctx, "k", "v1", 2), 0);
    assert_int_equal(rt->ops->store_put(rt->ctx, "k", "value2", 6), 0);
    assert_int_equal(rt->ops->store_get(rt->ctx, "k", &out), 0);
    assert_string_equal(mc_buf_str(&out), "value2");
    assert_int_equal(rt->ops->store_del(rt->ctx, "k"), 0);
    assert_int_equal(rt->ops->store_del(rt->ctx, "k"), MC_ENOTFOUND);
    assert_int_equal(rt->ops->store_put(rt->ctx, "kept", "x", 1), 0); /* freed at destroy */
    mc_buf_deinit(&out);
    struct mc_rng want;
    mc_rng_init(&want, 42);
    assert_int_equal(rt_rng_u64(rt), mc_rng_u64(&want));
    struct tc c;
    tc_open(&c, f.port);
    tc_send_str(&f, &c, "GET /whole HTTP/1.1\r\n\r\nGET /whole HTTP/1.1\r\n\r\n");
    struct tresps rs;
    responses_wait(&f, &c, 2, &rs);
    tresps_free(&rs);
    assert_int_equal(n.req_count, 2);
    assert_true(n.reqs[0] != 0);
    assert_true(n.reqs[1] > n.reqs[0]);
    tc_close(&c);
    fx_fini(&f, &n);
}

/* Bad addresses are refused with a clear text; a taken port is MC_EIO. */
static void test_listen_errors(void **state)
{
    (void)state;
    static const char *const bad[] = {"", "127.0.0.1", "127.0.0.1:", "1.2.3:80",
                                      "127.0.0.1:65536", "host:80", "127.0.0.1:8x", "[::1:80"};
    struct fx f;
    struct tnode n;
    fx_node(&f, &n, NULL);
    struct uvrt_options o;
    uvrt_options_default(&o);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct uvrt *u;
        struct mc_diag diag;
        mc_diag_clear(&diag);
        assert_int_equal(uvrt_create(&f.loop, &o, &u, &diag), 0);
        assert_int_equal(uvrt_listen(u, bad[i], &diag), MC_EINVAL);
        assert_non_null(strstr(diag.text, "bad listen address"));
        uvrt_shutdown(u);
        uv_run(&f.loop, UV_RUN_NOWAIT);
        uvrt_destroy(u);
    }
    struct uvrt *u;
    struct mc_diag diag;
    char taken[64];
    snprintf(taken, sizeof(taken), "127.0.0.1:%u", (unsigned)f.port);
    assert_int_equal(uvrt_create(&f.loop, &o, &u, &diag), 0);
    assert_int_equal(uvrt_listen(u, taken, &diag), MC_EIO);
    assert_non_null(strstr(diag.text, "cannot listen on"));
    uvrt_shutdown(u);
    uv_run(&f.loop, UV_RUN_NOWAIT);
    uvrt_destroy(u);
    o.conns_max = 0;
    assert_int_equal(uvrt_create(&f.loop, &o, &u, &diag), MC_EINVAL);
    fx_fini(&f, &n);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_subscribe_stream_framing),
        cmocka_unit_test(test_call_202_and_400),
        cmocka_unit_test(test_pipelined_in_order),
        cmocka_unit_test(test_chunked_request_body),
        cmocka_unit_test(test_client_close_disconnects),
        cmocka_unit_test(test_bad_requests),
        cmocka_unit_test(test_version_and_health),
        cmocka_unit_test(test_connection_close),
        cmocka_unit_test(test_many_connections),
        cmocka_unit_test(test_huge_bodies_413),
        cmocka_unit_test(test_slow_client_byte_by_byte),
        cmocka_unit_test(test_stalled_clients),
        cmocka_unit_test(test_refused_body_answer_survives),
        cmocka_unit_test(test_linger_bounded),
        cmocka_unit_test(test_slow_head_408),
        cmocka_unit_test(test_slow_in_time_served),
        cmocka_unit_test(test_resets),
        cmocka_unit_test(test_crowd_2000_connections),
        cmocka_unit_test(test_conns_max),
        cmocka_unit_test(test_pipelining_waits_for_answer),
        cmocka_unit_test(test_stream_chunks_and_close),
        cmocka_unit_test(test_stream_client_gone),
        cmocka_unit_test(test_stalled_reader_cut),
        cmocka_unit_test(test_idle_timeout),
        cmocka_unit_test(test_expect_continue),
        cmocka_unit_test(test_timers_order),
        cmocka_unit_test(test_calls),
        cmocka_unit_test(test_ids_store_rng),
        cmocka_unit_test(test_listen_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
