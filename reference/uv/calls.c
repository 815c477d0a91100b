/*
 * calls.c: outbound calls of the libuv runtime (rt.h call_start,
 * call_cancel; the node's call_response, call_data, call_end).
 *
 * One call is one TCP connection: connect, write the request (framed by
 * http1_request_write, with a Host header when the core gave none), read
 * the answer with http1_client, close. A whole answer reaches the node as
 * one call_response with its body; a streamed one (chunked, or running to
 * the close) as call_response with the head, then call_data as bytes
 * arrive, in whatever split the socket gives. Interim 1xx answers are
 * skipped. Exactly one call_end follows every call that started, unless
 * the node cancels it first (then nothing more is said); it carries 0
 * after a complete answer, MC_ECLOSED when the connection failed or was
 * cut, or the parser's code for a malformed answer.
 *
 * Every delivery happens from a libuv callback, never inside a runtime
 * call (rt.h rule 1); after each, the call is looked at again, since the
 * node may have cancelled it meanwhile.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "mc_assert.h"
#include "mc_limits.h"
#include "rt_uv_internal.h"

struct uvrt_call {
    uv_tcp_t tcp;
    uv_connect_t connect_req;
    uv_write_t write_req;
    struct uvrt *u;
    struct mc_list_node link; /* in u->calls */
    uint64_t id;
    char peer[MC_UV_ADDRESS_BYTES_MAX];
    struct mc_buf request;    /* the request's bytes, until written */
    struct http1_client parser;
    struct http_response response; /* the head (and a whole answer's body) */
    int head_seen;            /* a final (non-1xx) head arrived */
    int interim;              /* inside a 1xx answer */
    int done;                 /* ended or cancelled: the node hears nothing more */
};

static void call_close_done(uv_handle_t *handle)
{
    struct uvrt_call *call = handle->data;
    struct uvrt *u = call->u;
    uvrt__handle_closed(u);
    MC_ASSERT(u->stats.calls_open > 0);
    u->stats.calls_open--;
    mc_list_remove(&call->link);
    mc_buf_deinit(&call->request);
    http1_client_deinit(&call->parser);
    http_response_deinit(&call->response);
    mc_free(u->alloc, call);
}

static void call_close(struct uvrt_call *call)
{
    call->done = 1;
    if (!uv_is_closing((uv_handle_t *)&call->tcp))
        uv_close((uv_handle_t *)&call->tcp, call_close_done);
}

/* Ends the call: one call_end(err), then the connection closes. */
static void call_end(struct uvrt_call *call, int err)
{
    struct uvrt *u = call->u;
    if (call->done)
        return;
    call->done = 1;
    uvrt__logf(u, RT_LOG_DEBUG, "call=%" PRIu64 " to %s ended: %s", call->id, call->peer,
               err == 0 ? "complete" : mc_strerror(err));
    if (u->node_ops != NULL) {
        uvrt__node_enter(u);
        u->node_ops->call_end(u->node, call->id, err);
        uvrt__node_leave(u);
    }
    call_close(call);
}

static void call_response_deliver(struct uvrt_call *call)
{
    struct uvrt *u = call->u;
    if (call->done || u->node_ops == NULL)
        return;
    uvrt__node_enter(u);
    u->node_ops->call_response(u->node, call->id, &call->response);
    uvrt__node_leave(u);
}

static void call_data_deliver(struct uvrt_call *call, const uint8_t *bytes, size_t len)
{
    struct uvrt *u = call->u;
    if (call->done || u->node_ops == NULL)
        return;
    uvrt__node_enter(u);
    u->node_ops->call_data(u->node, call->id, bytes, len);
    uvrt__node_leave(u);
}

static void call_head(struct uvrt_call *call, const struct http1_client_event *ev)
{
    if (ev->head->status < 200) {
        call->interim = 1;
        return;
    }
    http_response_deinit(&call->response);
    int err = http_response_copy(&call->response, ev->head, call->u->alloc);
    if (err != 0) {
        call_end(call, err);
        return;
    }
    call->head_seen = 1;
    if (call->response.is_stream)
        call_response_deliver(call);
}

static void call_event(struct uvrt_call *call, const struct http1_client_event *ev)
{
    switch (ev->kind) {
    case HTTP1_CLIENT_HEAD:
        call_head(call, ev);
        break;
    case HTTP1_CLIENT_BODY:
        if (call->interim)
            break;
        if (call->response.is_stream) {
            call_data_deliver(call, ev->data, ev->bytes);
        } else if (mc_buf_append(&call->response.body, ev->data, ev->bytes) != 0) {
            call_end(call, MC_ELIMIT); /* a whole body past MC_HTTP_BODY_BYTES_MAX */
        }
        break;
    case HTTP1_CLIENT_END:
        if (call->interim) {
            call->interim = 0;
            break;
        }
        if (!call->response.is_stream)
            call_response_deliver(call);
        call_end(call, 0);
        break;
    }
}

static void call_read_alloc(uv_handle_t *handle, size_t suggested_bytes, uv_buf_t *buf)
{
    struct uvrt_call *call = handle->data;
    (void)suggested_bytes;
    *buf = uv_buf_init((char *)call->u->read_buf, sizeof(call->u->read_buf));
}

static void call_eof(struct uvrt_call *call)
{
    struct http1_client_event ev;
    struct http1_error err;
    int r = http1_client_eof(&call->parser, &ev, &err);
    if (r == 1)
        call_event(call, &ev);
    /* Whatever did not end the call above was cut off (or never answered). */
    call_end(call, MC_ECLOSED);
}

static void call_read(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf)
{
    struct uvrt_call *call = stream->data;
    if (nread == 0 || call->done)
        return;
    if (nread == UV_EOF) {
        call_eof(call);
        return;
    }
    if (nread < 0) {
        call_end(call, MC_ECLOSED);
        return;
    }
    const uint8_t *data = (const uint8_t *)buf->base;
    size_t len = (size_t)nread, pos = 0;
    while (!call->done) {
        size_t consumed = 0;
        struct http1_client_event ev;
        struct http1_error err;
        int r = http1_client_feed(&call->parser, data + pos, len - pos, &consumed, &ev, &err);
        pos += consumed;
        if (r == 0)
            break;
        if (r < 0) {
            char text[MC_DIAG_TEXT_BYTES_MAX + 64];
            uvrt__logf(call->u, RT_LOG_WARN, "call=%" PRIu64 " to %s: bad answer: %s", call->id,
                       call->peer, mc_diag_format(&err.diag, text, sizeof(text)));
            call_end(call, err.code);
            break;
        }
        call_event(call, &ev);
    }
}

static void call_write_done(uv_write_t *req, int status)
{
    struct uvrt_call *call = req->data;
    mc_buf_deinit(&call->request);
    if (status < 0 && status != UV_ECANCELED)
        call_end(call, MC_ECLOSED);
}

static void call_connect_done(uv_connect_t *req, int status)
{
    struct uvrt_call *call = req->data;
    if (call->done)
        return; /* cancelled (status UV_ECANCELED) or shut down */
    if (status < 0) {
        uvrt__logf(call->u, RT_LOG_INFO, "call=%" PRIu64 " to %s: %s", call->id, call->peer,
                   uv_strerror(status));
        call_end(call, MC_ECLOSED);
        return;
    }
    uv_buf_t buf = uv_buf_init((char *)call->request.data, (unsigned)call->request.len);
    call->write_req.data = call;
    int err = uv_write(&call->write_req, (uv_stream_t *)&call->tcp, &buf, 1, call_write_done);
    if (err == 0)
        err = uv_read_start((uv_stream_t *)&call->tcp, call_read_alloc, call_read);
    if (err != 0)
        call_end(call, MC_ECLOSED);
}

/* The request's bytes, with a Host header naming peer when the core gave none. */
static int call_request_format(struct uvrt *u, const char *peer,
                               const struct http_request *request, struct mc_buf *out)
{
    struct http_request scratch = *request;
    int err = http_headers_copy(&scratch.headers, &request->headers, u->alloc);
    if (err != 0)
        return err;
    if (http_headers_get(&scratch.headers, "Host") == NULL)
        err = http_headers_add(&scratch.headers, "Host", peer);
    if (err == 0)
        err = http1_request_write(out, &scratch);
    http_headers_deinit(&scratch.headers);
    return err;
}

static struct uvrt_call *call_new(struct uvrt *u, const char *peer)
{
    struct uvrt_call *call = mc_calloc(u->alloc, 1, sizeof(*call));
    if (call == NULL)
        return NULL;
    call->u = u;
    memcpy(call->peer, peer, strlen(peer) + 1);
    mc_buf_init(&call->request, MC_HTTP_REQUEST_WIRE_BYTES_MAX, u->alloc);
    http1_client_init(&call->parser, u->alloc);
    http_response_init(&call->response, 200, u->alloc); /* replaced by the head */
    return call;
}

static void call_free_unstarted(struct uvrt *u, struct uvrt_call *call)
{
    mc_buf_deinit(&call->request);
    http1_client_deinit(&call->parser);
    http_response_deinit(&call->response);
    mc_free(u->alloc, call);
}

uint64_t uvrt__call_start(struct uvrt *u, const char *peer, const struct http_request *request)
{
    MC_ASSERT(peer != NULL && request != NULL);
    struct sockaddr_storage addr;
    if (u->shut_down || request->method == NULL || uvrt__address_parse(peer, &addr) != 0) {
        uvrt__logf(u, RT_LOG_WARN, "call to '%s' not started: %s", peer,
                   u->shut_down ? "shut down" : "bad address or no request line");
        return 0;
    }
    if (u->stats.calls_open >= u->options.calls_max) {
        uvrt__logf(u, RT_LOG_WARN, "call to %s not started: %u calls open (calls_max)", peer,
                   (unsigned)u->stats.calls_open);
        return 0;
    }
    struct uvrt_call *call = call_new(u, peer);
    if (call == NULL)
        return 0;
    int err = call_request_format(u, peer, request, &call->request);
    if (err != 0) {
        uvrt__logf(u, RT_LOG_WARN, "call to %s not started: the request cannot be framed: %s",
                   peer, mc_strerror(err));
        call_free_unstarted(u, call);
        return 0;
    }
    http1_client_request_method_set(&call->parser, request->method);
    err = uv_tcp_init(u->loop, &call->tcp);
    MC_ASSERT(err == 0);
    call->tcp.data = call;
    call->id = uvrt__id_next(u);
    mc_list_push_back(&u->calls, &call->link);
    uvrt__handle_opened(u);
    u->stats.calls_open++;
    call->connect_req.data = call;
    err = uv_tcp_connect(&call->connect_req, &call->tcp, (const struct sockaddr *)&addr,
                         call_connect_done);
    if (err != 0) {
        /* Refused before it began: the id is spent, nothing is reported (rt.h). */
        uvrt__logf(u, RT_LOG_WARN, "call to %s not started: %s", peer, uv_strerror(err));
        call_close(call);
        return 0;
    }
    return call->id;
}

void uvrt__call_cancel(struct uvrt *u, uint64_t id)
{
    struct mc_list_node *it;
    MC_LIST_FOR_EACH(it, &u->calls) {
        struct uvrt_call *call = MC_CONTAINER_OF(it, struct uvrt_call, link);
        if (call->id == id) {
            call_close(call);
            return;
        }
    }
}

void uvrt__calls_shutdown(struct uvrt *u)
{
    struct mc_list_node *it;
    MC_LIST_FOR_EACH(it, &u->calls)
        call_close(MC_CONTAINER_OF(it, struct uvrt_call, link));
}
