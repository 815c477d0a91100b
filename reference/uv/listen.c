/*
 * listen.c: the listener and the server connections of the libuv runtime:
 * requests in through http1_server, answers out through the http1 writers
 * (rt_uv.h; the states are described in rt_uv_internal.h).
 *
 * The transitions of a connection, all in this file:
 *   READING   --request parsed, handed to the node (drain)-->  PENDING
 *   PENDING   --respond-->                                     READING, or ended
 *   PENDING   --stream_open-->                                 STREAMING
 *   STREAMING --stream_close-->                                READING, or ended
 *   STREAMING --peer gone, reader stalled (notice, drain)-->   READING (closed)
 * "Ended" is a graceful end: the last answer is flushed, a FIN follows,
 * then the handle closes. A request that asked to close its connection,
 * a parser error, a request past its deadline (408) and a client that
 * half-closed while idle end this way. A reset, a write error, a stalled
 * stream, the idle timeout and shutdown close the handle at once.
 *
 * While READING, one timer per connection watches two clocks: the idle
 * timeout, restarted by every byte, and the deadline of the request being
 * read, which does not move: its head must be complete within
 * head_timeout_ns of its first byte (the first read while no request is
 * under way: a pipelined request's clock starts when the one before it is
 * answered), its body within body_timeout_ns of the head's end. The timer
 * is set for the earlier. Past the idle timeout the connection is closed
 * without a word; past the deadline the client is answered 408, as it is
 * still sending and will read an answer. Empty lines before a request
 * start the head's clock too (else a client could dribble them forever),
 * but a client that sent nothing else has not begun a request: it is
 * closed without a word, as an idle one (a 408 would greet the next
 * request it sends on a connection it believes idle).
 *
 * Lingering close (RFC 7230 6.6; nginx's and Apache's lingering close).
 * A server that closes a socket with unread bytes in it makes the kernel
 * send a reset; a client still sending a body it was refused then fails
 * in its send, and one that reads only once it has sent everything (as
 * many do) never sees the answer. So an ended connection whose client has
 * not closed its side keeps reading, and drops what it reads: from the
 * end on (a client blocked in its send can go on at once), and after the
 * FIN (once the last answer is flushed) for at most linger_ns, until the
 * client closes or sends more than linger_bytes_max. Only then does the
 * handle close. Flushing is bounded by the idle timeout as before, and a
 * lingering connection still counts against conns_max, so lingering can
 * hold a connection no longer than those bounds and keeps no memory: the
 * input and the half-read request are freed when the connection ends.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "mc_assert.h"
#include "mc_limits.h"
#include "rt_uv_internal.h"

/* One write in flight: libuv keeps req until write_done; data goes with it. */
struct conn_write {
    uv_write_t req;
    struct uvrt_conn *conn;
    uint8_t *data;
    size_t len;
};

/* Bytes an answer may take on the wire: the largest body and head, with room. */
#define ANSWER_BYTES_MAX (MC_HTTP_BODY_BYTES_MAX + 2u * MC_HTTP_HEAD_BYTES_MAX)

static void conn_timer_fire(struct rt_timer *timer);
static void conn_read_start(struct uvrt_conn *conn);

static int conn_queued(const struct uvrt_conn *conn)
{
    return conn->ready.next != &conn->ready;
}

/* Frees conn once nothing refers to it: no handle, no debt to the node, not queued. */
/* The home slot of a request id in u->req_index (ids grow by one: spread them). */
static uint32_t req_home(const struct uvrt *u, uint64_t req)
{
    return (uint32_t)((req * UINT64_C(0x9E3779B97F4A7C15)) >> 32) & u->req_index_mask;
}

static void req_index_put(struct uvrt *u, struct uvrt_conn *conn)
{
    uint32_t i = req_home(u, conn->req);
    while (u->req_index[i] != NULL)
        i = (i + 1) & u->req_index_mask;
    u->req_index[i] = conn;
}

/* Removes conn (by its current req) and closes the gap (backward shift). */
static void req_index_del(struct uvrt *u, struct uvrt_conn *conn)
{
    uint32_t i = req_home(u, conn->req);
    while (u->req_index[i] != conn) {
        MC_ASSERT(u->req_index[i] != NULL);
        i = (i + 1) & u->req_index_mask;
    }
    for (uint32_t j = (i + 1) & u->req_index_mask; u->req_index[j] != NULL;
         j = (j + 1) & u->req_index_mask) {
        uint32_t k = req_home(u, u->req_index[j]->req);
        /* Move j's entry into the gap when its home is not between the gap and j. */
        if (((i - k) & u->req_index_mask) < ((j - k) & u->req_index_mask)) {
            u->req_index[i] = u->req_index[j];
            i = j;
        }
    }
    u->req_index[i] = NULL;
}

/* Sets (req != 0) or clears (req == 0) the request a connection serves. */
static void conn_req_set(struct uvrt_conn *conn, uint64_t req)
{
    if (conn->req != 0)
        req_index_del(conn->u, conn);
    conn->req = req;
    if (req != 0)
        req_index_put(conn->u, conn);
}

static void conn_free_maybe(struct uvrt_conn *conn)
{
    struct uvrt *u = conn->u;
    if (!conn->handle_closed || conn->state != UVRT_CONN_READING || conn->notice_due ||
        conn_queued(conn))
        return;
    MC_ASSERT(conn->req == 0);
    MC_ASSERT(!conn->timer.active);
    mc_list_remove(&conn->link);
    http1_server_deinit(&conn->parser);
    mc_buf_deinit(&conn->input);
    mc_free(u->alloc, conn);
}

static void conn_close_done(uv_handle_t *handle)
{
    struct uvrt_conn *conn = handle->data;
    struct uvrt *u = conn->u;
    conn->handle_closed = 1;
    uvrt__handle_closed(u);
    MC_ASSERT(u->stats.conns_open > 0);
    u->stats.conns_open--;
    uvrt__timer_cancel(u, &conn->timer);
    conn_free_maybe(conn);
}

static void conn_handle_close(struct uvrt_conn *conn)
{
    if (!uv_is_closing((uv_handle_t *)&conn->tcp))
        uv_close((uv_handle_t *)&conn->tcp, conn_close_done);
}

static void conn_read_stop(struct uvrt_conn *conn)
{
    if (conn->reading)
        uv_read_stop((uv_stream_t *)&conn->tcp);
    conn->reading = 0;
}

/*
 * Closes the socket now (what is queued is dropped). An open stream's node
 * hears stream_closed on the next pass; a pending request's answer will go
 * nowhere.
 */
static void conn_abort(struct uvrt_conn *conn, const char *why)
{
    if (conn->closed) {
        conn_handle_close(conn); /* a graceful end that stalled: cut it short */
        return;
    }
    uvrt__logf(conn->u, RT_LOG_DEBUG, "connection closed: %s", why);
    conn->closed = 1;
    conn_read_stop(conn);
    uvrt__timer_cancel(conn->u, &conn->timer);
    if (conn->state == UVRT_CONN_STREAMING) {
        conn->notice_due = 1;
        uvrt__conn_schedule(conn);
    }
    conn_handle_close(conn);
}

static void conn_linger_fire(struct rt_timer *timer)
{
    struct uvrt_conn *conn = MC_CONTAINER_OF(timer, struct uvrt_conn, timer);
    MC_ASSERT(conn->lingering && conn->shut);
    conn->u->stats.lingers_cut++;
    uvrt__logf(conn->u, RT_LOG_DEBUG,
               "lingering close cut: the client still sends after %" PRIu64 " bytes",
               conn->linger_bytes);
    conn_handle_close(conn);
}

static void conn_shutdown_done(uv_shutdown_t *req, int status)
{
    struct uvrt_conn *conn = req->data;
    struct uvrt *u = conn->u;
    /* A failed FIN changes nothing: the handle closes either way. */
    if (status == 0 && conn->lingering && !conn->eof &&
        !uv_is_closing((uv_handle_t *)&conn->tcp)) {
        /* The answer is out: from now on the linger's time runs, not the flush's. */
        conn->shut = 1;
        uvrt__timer_start(u, &conn->timer, u->options.linger_ns, conn_linger_fire);
        return;
    }
    conn_handle_close(conn);
}

/* What an ended connection reads: dropped; the client's close ends the linger. */
static void conn_linger_read(struct uvrt_conn *conn, ssize_t nread)
{
    struct uvrt *u = conn->u;
    MC_ASSERT(conn->lingering && conn->closed);
    if (nread == 0)
        return;
    if (nread < 0) {
        conn_read_stop(conn);
        conn->eof = 1;
        /* Before the FIN is out, conn_shutdown_done closes (it sees eof). */
        if (nread != UV_EOF || conn->shut)
            conn_handle_close(conn);
        return;
    }
    conn->linger_bytes += (uint64_t)nread;
    if (conn->linger_bytes > u->options.linger_bytes_max) {
        u->stats.lingers_cut++;
        uvrt__logf(u, RT_LOG_DEBUG, "lingering close cut: the client sent over %" PRIu64 " bytes",
                   u->options.linger_bytes_max);
        conn_handle_close(conn);
    }
}

static void conn_read_alloc(uv_handle_t *handle, size_t suggested_bytes, uv_buf_t *buf);
static void conn_read(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf);

/*
 * Starts lingering (the theory at the top): frees what was read and the
 * half-read request, and reads on. 0 when the client's bytes cannot be
 * read any more (it closed, or reading fails): then there is no linger.
 */
static int conn_linger_start(struct uvrt_conn *conn)
{
    struct uvrt *u = conn->u;
    MC_ASSERT(conn->closed && !conn->lingering);
    if (conn->eof || u->options.linger_ns == 0)
        return 0;
    mc_buf_deinit(&conn->input);
    http1_server_deinit(&conn->parser);
    http1_server_init(&conn->parser, u->alloc);
    if (!conn->reading) {
        if (uv_read_start((uv_stream_t *)&conn->tcp, conn_read_alloc, conn_read) != 0)
            return 0;
        conn->reading = 1;
    }
    conn->lingering = 1;
    u->stats.conns_lingered++;
    return 1;
}

/*
 * Ends the connection gracefully once what is queued is written (uv_shutdown
 * waits for the writes), lingering when the client may still send. Only
 * with no request under way. The idle timer bounds the flush, so that a
 * peer that never reads cannot hold the connection forever; the linger
 * has its own bound, from the FIN on.
 */
static void conn_end(struct uvrt_conn *conn)
{
    MC_ASSERT(conn->state == UVRT_CONN_READING);
    if (conn->closed)
        return;
    struct uvrt *u = conn->u;
    conn->closed = 1;
    conn->phase = HTTP1_SERVER_BETWEEN;
    conn->request_deadline_ns = 0;
    if (!conn_linger_start(conn))
        conn_read_stop(conn);
    if (u->options.idle_timeout_ns != 0)
        uvrt__timer_start(u, &conn->timer, u->options.idle_timeout_ns, conn_timer_fire);
    else
        uvrt__timer_cancel(u, &conn->timer);
    conn->shutdown_req.data = conn;
    if (uv_shutdown(&conn->shutdown_req, (uv_stream_t *)&conn->tcp, conn_shutdown_done) != 0)
        conn_handle_close(conn);
}

/*
 * (Re)starts the timer of a connection that reads a request: the idle
 * timeout from now, or the request's deadline when that comes first.
 */
static void conn_timer_arm(struct uvrt_conn *conn)
{
    struct uvrt *u = conn->u;
    if (conn->closed)
        return;
    MC_ASSERT(conn->state == UVRT_CONN_READING);
    uint64_t delay_ns = u->options.idle_timeout_ns != 0 ? u->options.idle_timeout_ns : UINT64_MAX;
    if (conn->request_deadline_ns != 0) {
        uint64_t now_ns = rt_now_ns(&u->rt);
        uint64_t left_ns =
            conn->request_deadline_ns > now_ns ? conn->request_deadline_ns - now_ns : 0;
        if (left_ns < delay_ns)
            delay_ns = left_ns;
    }
    if (delay_ns == UINT64_MAX)
        uvrt__timer_cancel(u, &conn->timer);
    else
        uvrt__timer_start(u, &conn->timer, delay_ns, conn_timer_fire);
}

/* The request being read enters phase: its deadline is set from now. */
static void conn_phase_set(struct uvrt_conn *conn, enum http1_server_phase phase)
{
    struct uvrt *u = conn->u;
    uint64_t timeout_ns = phase == HTTP1_SERVER_HEAD   ? u->options.head_timeout_ns
                          : phase == HTTP1_SERVER_BODY ? u->options.body_timeout_ns
                                                       : 0;
    conn->phase = phase;
    conn->request_deadline_ns = 0;
    if (timeout_ns != 0) {
        uint64_t now_ns = rt_now_ns(&u->rt);
        conn->request_deadline_ns = now_ns + timeout_ns < now_ns ? UINT64_MAX : now_ns + timeout_ns;
    }
    conn_timer_arm(conn);
}

static void conn_answer_write(struct uvrt_conn *conn, const struct http_response *response,
                              int close);

/* A request past its deadline: 408 with Connection: close, then a lingering end. */
static void conn_timeout_answer(struct uvrt_conn *conn)
{
    struct uvrt *u = conn->u;
    int head = conn->phase == HTTP1_SERVER_HEAD;
    uint64_t timeout_ns = head ? u->options.head_timeout_ns : u->options.body_timeout_ns;
    char text[128];
    snprintf(text, sizeof(text), "The request %s did not arrive within %" PRIu64 " ms",
             head ? "head" : "body", timeout_ns / RT_NS_PER_MS);
    u->stats.requests_timed_out++;
    uvrt__logf(u, RT_LOG_INFO, "request timed out (408): %s", text);
    struct http_response r;
    if (http_response_text_init(&r, 408, text, u->alloc) == 0)
        conn_answer_write(conn, &r, 1);
    http_response_deinit(&r);
    conn_end(conn);
}

static void conn_timer_fire(struct rt_timer *timer)
{
    struct uvrt_conn *conn = MC_CONTAINER_OF(timer, struct uvrt_conn, timer);
    struct uvrt *u = conn->u;
    MC_ASSERT(conn->state == UVRT_CONN_READING);
    if (conn->closed) {
        conn_abort(conn, "the last answer was not taken in time");
        return;
    }
    int past_deadline =
        conn->request_deadline_ns != 0 && rt_now_ns(&u->rt) >= conn->request_deadline_ns;
    if (past_deadline && http1_server_phase(&conn->parser) != HTTP1_SERVER_BETWEEN) {
        conn_timeout_answer(conn);
        return;
    }
    u->stats.conns_idle_closed++;
    conn_abort(conn, past_deadline ? "empty lines and no request" : "idle timeout");
}

/* ---- writing ---------------------------------------------------------- */

static void conn_write_done(uv_write_t *req, int status)
{
    struct conn_write *w = MC_CONTAINER_OF(req, struct conn_write, req);
    struct uvrt_conn *conn = w->conn;
    struct uvrt *u = conn->u;
    mc_free(u->alloc, w->data);
    mc_free(u->alloc, w);
    if (status < 0 && status != UV_ECANCELED)
        conn_abort(conn, uv_strerror(status));
}

/* Sends out's bytes (taken from it). A failure closes the connection. */
static void conn_write(struct uvrt_conn *conn, struct mc_buf *out)
{
    struct uvrt *u = conn->u;
    MC_ASSERT(!conn->closed);
    size_t len = 0;
    uint8_t *data = mc_buf_take(out, &len);
    if (data == NULL)
        return;
    struct conn_write *w = mc_calloc(u->alloc, 1, sizeof(*w));
    if (w == NULL) {
        mc_free(out->alloc, data);
        conn_abort(conn, "out of memory writing an answer");
        return;
    }
    w->conn = conn;
    w->data = data;
    w->len = len;
    uv_buf_t buf = uv_buf_init((char *)data, (unsigned)len);
    int err = uv_write(&w->req, (uv_stream_t *)&conn->tcp, &buf, 1, conn_write_done);
    if (err != 0) {
        mc_free(u->alloc, data);
        mc_free(u->alloc, w);
        conn_abort(conn, uv_strerror(err));
        return;
    }
    /* libuv wrote what the kernel took at once; the rest waits in its queue. */
    size_t queued_bytes = uv_stream_get_write_queue_size((uv_stream_t *)&conn->tcp);
    if (queued_bytes > u->stats.queued_bytes_max)
        u->stats.queued_bytes_max = queued_bytes;
}

/*
 * Appends response (a whole one, or a stream head) to out as the wire
 * shows it, with the Date header libprocess adds to every answer and, when
 * close is set, "Connection: close". The model's headers are copied into a
 * scratch list; the body is only read.
 */
static int answer_format(struct uvrt *u, const struct http_response *response, int close,
                         struct mc_buf *out)
{
    struct http_response scratch = *response;
    int err = http_headers_copy(&scratch.headers, &response->headers, u->alloc);
    if (err != 0)
        return err;
    char date[HTTP_DATE_BYTES];
    time_t now_s = time(NULL);
    if (http_headers_get(&scratch.headers, "Date") == NULL && now_s > 0 &&
        http_date_format((uint64_t)now_s, date, sizeof(date)) == 0)
        err = http_headers_add(&scratch.headers, "Date", date);
    if (err == 0 && close)
        err = http_headers_set(&scratch.headers, "Connection", "close");
    if (err == 0)
        err = response->is_stream ? http1_stream_head_write(out, &scratch)
                                  : http1_response_write(out, &scratch);
    http_headers_deinit(&scratch.headers);
    return err;
}

/* Writes a whole answer; one that cannot be framed becomes a 500 (and is logged). */
static void conn_answer_write(struct uvrt_conn *conn, const struct http_response *response,
                              int close)
{
    struct uvrt *u = conn->u;
    struct mc_buf out;
    mc_buf_init(&out, ANSWER_BYTES_MAX, u->alloc);
    int err = answer_format(u, response, close, &out);
    if (err != 0) {
        uvrt__logf(u, RT_LOG_ERROR, "answer %d cannot be written: %s; sending 500",
                   response->status, mc_strerror(err));
        struct http_response fallback;
        mc_buf_reset(&out);
        if (http_response_text_init(&fallback, 500, "The answer could not be framed", u->alloc) ==
                0 &&
            answer_format(u, &fallback, close, &out) != 0)
            mc_buf_reset(&out);
        http_response_deinit(&fallback);
    }
    conn_write(conn, &out);
    mc_buf_deinit(&out);
}

/* ---- reading and handing requests over -------------------------------- */

static void conn_refuse(struct uvrt_conn *conn, const struct http1_error *err)
{
    struct uvrt *u = conn->u;
    char text[MC_DIAG_TEXT_BYTES_MAX + 64];
    mc_diag_format(&err->diag, text, sizeof(text));
    u->stats.parse_errors++;
    uvrt__logf(u, RT_LOG_INFO, "request refused (%d): %s", err->status, text);
    if (err->status != 0) {
        struct http_response r;
        if (http_response_text_init(&r, err->status, text, u->alloc) == 0)
            conn_answer_write(conn, &r, 1);
        http_response_deinit(&r);
    }
    conn_end(conn);
}

/* Hands a parsed request to the node (or answers 503 when there is none). */
static void conn_request_deliver(struct uvrt_conn *conn, struct http_request *request)
{
    struct uvrt *u = conn->u;
    uint64_t req = uvrt__id_next(u);
    conn->state = UVRT_CONN_PENDING;
    conn_req_set(conn, req);
    conn->keep_alive = request->keep_alive;
    conn->phase = HTTP1_SERVER_BETWEEN;
    conn->request_deadline_ns = 0;
    uvrt__timer_cancel(u, &conn->timer);
    u->stats.requests++;
    uvrt__logf(u, RT_LOG_DEBUG, "req=%" PRIu64 " %s %s", req, request->method, request->target);
    if (u->node_ops == NULL) {
        struct http_response r;
        if (http_response_text_init(&r, 503, "No node is serving", u->alloc) == 0)
            uvrt__respond(u, req, &r);
        http_response_deinit(&r);
        return;
    }
    /* conn may not be touched after this: the node's answer may have ended it. */
    uvrt__node_enter(u);
    u->node_ops->request(u->node, req, request);
    uvrt__node_leave(u);
}

static void conn_eof_handle(struct uvrt_conn *conn)
{
    struct http1_error err;
    if (http1_server_eof(&conn->parser, &err) != 0) {
        char text[MC_DIAG_TEXT_BYTES_MAX + 64];
        uvrt__logf(conn->u, RT_LOG_DEBUG, "client left: %s",
                   mc_diag_format(&err.diag, text, sizeof(text)));
    }
    conn_end(conn);
}

/* Parses what conn holds: at most one request is handed over per pass. */
static void conn_parse(struct uvrt_conn *conn)
{
    struct uvrt *u = conn->u;
    size_t consumed = 0;
    struct http_request request;
    struct http1_error err;
    if (conn->phase == HTTP1_SERVER_BETWEEN && conn->input.len > 0)
        conn_phase_set(conn, HTTP1_SERVER_HEAD);
    int r = http1_server_feed(&conn->parser, conn->input.data, conn->input.len, &consumed,
                              &request, &err);
    mc_buf_consume(&conn->input, consumed);
    if (!conn->reading && !conn->eof && conn->input.len < MC_UV_CONN_INPUT_BYTES_MAX)
        conn_read_start(conn);
    if (r < 0) {
        conn_refuse(conn, &err);
        return;
    }
    if (r == 1) {
        conn_request_deliver(conn, &request);
        http_request_deinit(&request);
        return;
    }
    if (conn->phase != HTTP1_SERVER_BODY && http1_server_phase(&conn->parser) == HTTP1_SERVER_BODY)
        conn_phase_set(conn, HTTP1_SERVER_BODY);
    if (http1_server_continue_take(&conn->parser)) {
        struct mc_buf out;
        mc_buf_init(&out, 64, u->alloc);
        if (http1_continue_write(&out) == 0)
            conn_write(conn, &out);
        mc_buf_deinit(&out);
    }
    if (conn->eof && !conn->closed)
        conn_eof_handle(conn);
}

void uvrt__conn_ready(struct uvrt_conn *conn)
{
    struct uvrt *u = conn->u;
    MC_ASSERT(!conn_queued(conn));
    if (conn->notice_due) {
        MC_ASSERT(conn->state == UVRT_CONN_STREAMING && conn->closed);
        uint64_t req = conn->req;
        conn->notice_due = 0;
        conn->state = UVRT_CONN_READING;
        conn_req_set(conn, 0);
        if (u->node_ops != NULL) {
            uvrt__node_enter(u);
            u->node_ops->stream_closed(u->node, req);
            uvrt__node_leave(u);
        }
        conn_free_maybe(conn);
        return;
    }
    if (conn->closed) {
        conn_free_maybe(conn);
        return;
    }
    if (conn->state == UVRT_CONN_READING)
        conn_parse(conn);
}

static void conn_read_alloc(uv_handle_t *handle, size_t suggested_bytes, uv_buf_t *buf)
{
    struct uvrt_conn *conn = handle->data;
    (void)suggested_bytes;
    /* One shared buffer: libuv hands every read to conn_read before the next alloc. */
    *buf = uv_buf_init((char *)conn->u->read_buf, sizeof(conn->u->read_buf));
}

static void conn_read(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf)
{
    struct uvrt_conn *conn = stream->data;
    (void)buf;
    if (conn->lingering) {
        conn_linger_read(conn, nread);
        return;
    }
    if (nread == 0 || conn->closed)
        return;
    if (nread == UV_EOF) {
        conn->eof = 1;
        conn_read_stop(conn);
        if (conn->state == UVRT_CONN_STREAMING)
            conn_abort(conn, "the client closed its stream");
        else
            uvrt__conn_schedule(conn);
        return;
    }
    if (nread < 0) {
        conn_abort(conn, uv_strerror((int)nread));
        return;
    }
    if (mc_buf_append(&conn->input, conn->u->read_buf, (size_t)nread) != 0) {
        conn_abort(conn, "out of memory reading a request");
        return;
    }
    /* Pipelined bytes wait while a request is under way; past the limit TCP pushes back. */
    if (conn->input.len >= MC_UV_CONN_INPUT_BYTES_MAX)
        conn_read_stop(conn);
    if (conn->state == UVRT_CONN_READING) {
        conn_timer_arm(conn);
        uvrt__conn_schedule(conn);
    }
}

static void conn_read_start(struct uvrt_conn *conn)
{
    if (conn->reading || conn->closed)
        return;
    if (uv_read_start((uv_stream_t *)&conn->tcp, conn_read_alloc, conn_read) != 0) {
        conn_abort(conn, "cannot read");
        return;
    }
    conn->reading = 1;
}

/* ---- accepting -------------------------------------------------------- */

static void refused_close_done(uv_handle_t *handle)
{
    struct uvrt *u = handle->data;
    uvrt__handle_closed(u);
    mc_free(u->alloc, handle);
}

/* Past conns_max: accept the connection and close it at once. */
static void conn_refuse_over_limit(struct uvrt *u, uv_stream_t *server)
{
    uv_tcp_t *tcp = mc_calloc(u->alloc, 1, sizeof(*tcp));
    if (tcp == NULL)
        return; /* it stays in the backlog; the next accept will try again */
    int err = uv_tcp_init(u->loop, tcp);
    MC_ASSERT(err == 0);
    tcp->data = u;
    uvrt__handle_opened(u);
    (void)uv_accept(server, (uv_stream_t *)tcp);
    uv_close((uv_handle_t *)tcp, refused_close_done);
    u->stats.conns_refused++;
    uvrt__logf(u, RT_LOG_WARN, "connection refused: %u open (conns_max)",
               (unsigned)u->stats.conns_open);
}

static struct uvrt_conn *conn_new(struct uvrt *u)
{
    struct uvrt_conn *conn = mc_calloc(u->alloc, 1, sizeof(*conn));
    if (conn == NULL)
        return NULL;
    int err = uv_tcp_init(u->loop, &conn->tcp);
    MC_ASSERT(err == 0);
    conn->tcp.data = conn;
    conn->u = u;
    conn->state = UVRT_CONN_READING;
    mc_list_init(&conn->ready);
    http1_server_init(&conn->parser, u->alloc);
    mc_buf_init(&conn->input, MC_UV_CONN_INPUT_BYTES_MAX + MC_UV_READ_BYTES, u->alloc);
    mc_list_push_back(&u->conns, &conn->link);
    uvrt__handle_opened(u);
    u->stats.conns_open++;
    if (u->stats.conns_open > u->stats.conns_open_max)
        u->stats.conns_open_max = u->stats.conns_open;
    return conn;
}

static void listener_connection(uv_stream_t *server, int status)
{
    struct uvrt *u = server->data;
    if (status < 0) {
        uvrt__logf(u, RT_LOG_WARN, "accept failed: %s", uv_strerror(status));
        return;
    }
    if (u->shut_down)
        return;
    if (u->stats.conns_open >= u->options.conns_max) {
        conn_refuse_over_limit(u, server);
        return;
    }
    struct uvrt_conn *conn = conn_new(u);
    if (conn == NULL) {
        uvrt__logf(u, RT_LOG_ERROR, "out of memory accepting a connection");
        return;
    }
    if (uv_accept(server, (uv_stream_t *)&conn->tcp) != 0) {
        conn_abort(conn, "accept failed");
        return;
    }
    u->stats.conns_accepted++;
    /* Small records go out at once, as a stream's reader expects them. */
    (void)uv_tcp_nodelay(&conn->tcp, 1);
    conn_timer_arm(conn);
    conn_read_start(conn);
}

static void listener_close_done(uv_handle_t *handle)
{
    uvrt__handle_closed(handle->data);
}

int uvrt__listen(struct uvrt *u, const char *address, struct mc_diag *diag)
{
    struct sockaddr_storage addr;
    if (uvrt__address_parse(address, &addr) != 0) {
        mc_diag_set(diag, "bad listen address '%s': expected a.b.c.d:port or [v6]:port",
                    address);
        return MC_EINVAL;
    }
    int err = uv_tcp_init(u->loop, &u->listener);
    MC_ASSERT(err == 0);
    u->listener.data = u;
    uvrt__handle_opened(u);
    err = uv_tcp_bind(&u->listener, (const struct sockaddr *)&addr, 0);
    if (err == 0)
        err = uv_listen((uv_stream_t *)&u->listener, MC_UV_LISTEN_BACKLOG, listener_connection);
    struct sockaddr_storage bound;
    int bound_bytes = (int)sizeof(bound);
    if (err == 0)
        err = uv_tcp_getsockname(&u->listener, (struct sockaddr *)&bound, &bound_bytes);
    if (err != 0) {
        mc_diag_set(diag, "cannot listen on %s: %s", address, uv_strerror(err));
        uv_close((uv_handle_t *)&u->listener, listener_close_done);
        return MC_EIO;
    }
    u->listen_port = ntohs(bound.ss_family == AF_INET6
                               ? ((const struct sockaddr_in6 *)&bound)->sin6_port
                               : ((const struct sockaddr_in *)&bound)->sin_port);
    u->listening = 1;
    uvrt__logf(u, RT_LOG_INFO, "listening on %s (port %u)", address, (unsigned)u->listen_port);
    return 0;
}

void uvrt__conns_shutdown(struct uvrt *u)
{
    struct mc_list_node *it, *tmp;
    MC_LIST_FOR_EACH_SAFE(it, tmp, &u->conns) {
        struct uvrt_conn *conn = MC_CONTAINER_OF(it, struct uvrt_conn, link);
        /* The node is gone: it owes nothing and hears nothing. */
        conn->state = UVRT_CONN_READING;
        conn_req_set(conn, 0);
        conn->notice_due = 0;
        mc_list_remove(&conn->ready);
        conn->closed = 1;
        conn_read_stop(conn);
        uvrt__timer_cancel(u, &conn->timer);
        conn_handle_close(conn);
    }
}

/* ---- the node's answers ----------------------------------------------- */

/* The connection whose request req is in state, or NULL (rule 2: harmless). */
static struct uvrt_conn *conn_of_req(struct uvrt *u, uint64_t req, enum uvrt_conn_state state)
{
    if (req == 0)
        return NULL;
    for (uint32_t i = req_home(u, req); u->req_index[i] != NULL; i = (i + 1) & u->req_index_mask) {
        struct uvrt_conn *conn = u->req_index[i];
        if (conn->req == req)
            return conn->state == state ? conn : NULL;
    }
    return NULL;
}

/* The request is over: end the connection or read the next one (next pass). */
static void conn_request_done(struct uvrt_conn *conn)
{
    conn->state = UVRT_CONN_READING;
    conn_req_set(conn, 0);
    conn->notice_due = 0;
    if (conn->closed) {
        conn_free_maybe(conn);
        return;
    }
    if (!conn->keep_alive) {
        conn_end(conn);
        return;
    }
    conn_timer_arm(conn);
    uvrt__conn_schedule(conn);
}

void uvrt__respond(struct uvrt *u, uint64_t req, const struct http_response *response)
{
    MC_ASSERT(response != NULL);
    struct uvrt_conn *conn = conn_of_req(u, req, UVRT_CONN_PENDING);
    if (conn == NULL) {
        uvrt__logf(u, RT_LOG_DEBUG, "answer to req=%" PRIu64 " dropped: no such request", req);
        return;
    }
    if (!conn->closed)
        conn_answer_write(conn, response, !conn->keep_alive);
    conn_request_done(conn);
}

void uvrt__stream_open(struct uvrt *u, uint64_t req, const struct http_response *head)
{
    MC_ASSERT(head != NULL);
    struct uvrt_conn *conn = conn_of_req(u, req, UVRT_CONN_PENDING);
    if (conn == NULL) {
        uvrt__logf(u, RT_LOG_DEBUG, "stream head of req=%" PRIu64 " dropped: no such request",
                   req);
        return;
    }
    conn->state = UVRT_CONN_STREAMING;
    if (conn->closed) {
        /* The client left before the head: the node hears it on the next pass. */
        conn->notice_due = 1;
        uvrt__conn_schedule(conn);
        return;
    }
    struct http_response scratch = *head;
    scratch.is_stream = 1;
    struct mc_buf out;
    mc_buf_init(&out, ANSWER_BYTES_MAX, u->alloc);
    int err = answer_format(u, &scratch, 0, &out);
    if (err == 0)
        conn_write(conn, &out);
    mc_buf_deinit(&out);
    if (err != 0) {
        uvrt__logf(u, RT_LOG_ERROR, "stream head of req=%" PRIu64 " cannot be written: %s", req,
                   mc_strerror(err));
        conn_abort(conn, "bad stream head");
    } else if (conn->eof) {
        conn_abort(conn, "the client closed before its stream opened");
    }
}

int uvrt__stream_write(struct uvrt *u, uint64_t req, const void *bytes, size_t len)
{
    MC_ASSERT(bytes != NULL || len == 0);
    struct uvrt_conn *conn = conn_of_req(u, req, UVRT_CONN_STREAMING);
    if (conn == NULL || conn->closed)
        return MC_ECLOSED;
    if (len == 0)
        return 0; /* an empty chunk would end the stream */
    if (len > MC_HTTP_BODY_BYTES_MAX)
        return MC_ELIMIT;
    /*
     * What the kernel has not taken yet waits in libuv's queue; the chunk's
     * framing is at most 16 hex digits and two CRLFs.
     */
    size_t queued_bytes = uv_stream_get_write_queue_size((uv_stream_t *)&conn->tcp);
    if (queued_bytes + len + 20 > u->options.stream_queued_bytes_max) {
        u->stats.streams_cut++;
        uvrt__logf(u, RT_LOG_WARN,
                   "stream req=%" PRIu64 " cut: its reader stalled with %zu bytes unsent", req,
                   queued_bytes);
        conn_abort(conn, "stalled reader");
        return MC_ECLOSED;
    }
    struct mc_buf out;
    mc_buf_init(&out, len + 32, u->alloc);
    int err = http1_chunk_write(&out, bytes, len);
    if (err == 0)
        conn_write(conn, &out);
    mc_buf_deinit(&out);
    if (err != 0)
        return err;
    return conn->closed ? MC_ECLOSED : 0;
}

void uvrt__stream_close(struct uvrt *u, uint64_t req)
{
    struct uvrt_conn *conn = conn_of_req(u, req, UVRT_CONN_STREAMING);
    if (conn == NULL)
        return;
    if (!conn->closed) {
        struct mc_buf out;
        mc_buf_init(&out, 16, u->alloc);
        if (http1_chunk_end_write(&out) == 0)
            conn_write(conn, &out);
        mc_buf_deinit(&out);
    }
    conn_request_done(conn);
}
