/*
 * client.c: the simulated HTTP client node (see client.h).
 */
#include "client.h"

#include <stdio.h>
#include <string.h>

#include "mc_assert.h"
#include "mc_limits.h"
#include "pbjson.h"
#include "registry.h"

void client_init(struct client *c, const struct mc_alloc *alloc)
{
    memset(c, 0, sizeof(*c));
    c->alloc = alloc;
}

static void exchange_deinit(struct client *c, struct client_exchange *x)
{
    if (x->status != 0)
        http_response_deinit(&x->response);
    rio_decoder_deinit(&x->decoder);
    for (uint32_t i = 0; i < x->records_count; i++)
        mc_free(c->alloc, x->records[i].json);
    mc_free(c->alloc, x->records);
}

void client_deinit(struct client *c)
{
    for (uint32_t i = 0; i < c->exchanges_count; i++)
        exchange_deinit(c, &c->exchanges[i]);
    mc_free(c->alloc, c->exchanges);
    c->exchanges = NULL;
    c->exchanges_count = 0;
}

static int request_build(struct http_request *r, const char *method, const char *path,
                         const char *const *headers, const void *body, size_t body_len)
{
    int err = http_request_line_set(r, method, path);
    for (size_t i = 0; err == 0 && headers != NULL && headers[i] != NULL; i += 2)
        err = http_headers_add(&r->headers, headers[i], headers[i + 1]);
    if (err == 0 && body_len > 0)
        err = mc_buf_append(&r->body, body, body_len);
    return err;
}

int client_call(struct client *c, const char *peer, const char *method, const char *path,
                const char *const *headers, const void *body, size_t body_len,
                const char *event_type)
{
    if (c->exchanges_count >= CLIENT_EXCHANGES_MAX)
        return MC_ELIMIT;
    if (c->exchanges == NULL) {
        c->exchanges = mc_calloc(c->alloc, CLIENT_EXCHANGES_MAX, sizeof(*c->exchanges));
        if (c->exchanges == NULL)
            return MC_ENOMEM;
    }
    struct http_request r;
    http_request_init(&r, c->alloc);
    int err = request_build(&r, method, path, headers, body, body_len);
    uint64_t call = err == 0 ? c->rt->ops->call_start(c->rt->ctx, peer, &r) : 0;
    http_request_deinit(&r);
    if (err != 0)
        return err;
    if (call == 0)
        return MC_ECLOSED;
    struct client_exchange *x = &c->exchanges[c->exchanges_count];
    memset(x, 0, sizeof(*x));
    x->call = call;
    x->event_type = event_type;
    rio_decoder_init(&x->decoder, MC_RECORD_BYTES_MAX, c->alloc);
    return (int)c->exchanges_count++;
}

void client_hang_up(struct client *c, int exchange)
{
    MC_ASSERT(exchange >= 0 && (uint32_t)exchange < c->exchanges_count);
    struct client_exchange *x = &c->exchanges[exchange];
    if (!x->ended) {
        c->rt->ops->call_cancel(c->rt->ctx, x->call);
        x->ended = 1;
        x->end_err = MC_ECLOSED;
    }
}

const struct client_exchange *client_exchange_get(const struct client *c, int exchange)
{
    if (exchange < 0 || (uint32_t)exchange >= c->exchanges_count)
        return NULL;
    return &c->exchanges[exchange];
}

static struct client_exchange *exchange_find(struct client *c, uint64_t call)
{
    for (uint32_t i = 0; i < c->exchanges_count; i++)
        if (c->exchanges[i].call == call)
            return &c->exchanges[i];
    return NULL;
}

/* A record as JSON text: JSON records as they are, protobuf ones rendered. */
static char *record_render(struct client *c, struct client_exchange *x, const struct rio_record *rec)
{
    if (!x->protobuf)
        return mc_strndup(c->alloc, (const char *)rec->data, rec->bytes);
    const ProtobufCMessageDescriptor *desc = proto_registry_find(x->event_type);
    ProtobufCMessage *msg = NULL;
    if (desc == NULL || pbjson_unpack(desc, rec->data, rec->bytes, NULL, &msg, NULL) != 0)
        return NULL;
    struct mc_buf out;
    mc_buf_init(&out, MC_RECORD_BYTES_MAX * 2, c->alloc);
    int err = pbjson_encode(msg, &out);
    protobuf_c_message_free_unpacked(msg, NULL);
    if (err != 0) {
        mc_buf_deinit(&out);
        return NULL;
    }
    return (char *)mc_buf_take(&out, NULL);
}

void client_exchange_redirected(struct client *c, uint64_t call, const char *peer)
{
    struct client_exchange *x = exchange_find(c, call);
    if (x != NULL)
        snprintf(x->redirected_to, sizeof(x->redirected_to), "%s", peer);
}

static void node_call_response(void *node, uint64_t call, const struct http_response *response)
{
    struct client *c = node;
    struct client_exchange *x = exchange_find(c, call);
    if (x == NULL)
        return;
    if (x->status != 0)
        http_response_deinit(&x->response);
    if (http_response_copy(&x->response, response, c->alloc) != 0)
        http_response_init(&x->response, response->status, c->alloc);
    x->status = response->status;
    x->is_stream = response->is_stream;
    const char *ct = http_headers_get(&response->headers, "Content-Type");
    x->protobuf = ct != NULL && strcmp(ct, "application/x-protobuf") == 0;
}

static void node_call_data(void *node, uint64_t call, const uint8_t *bytes, size_t len)
{
    struct client *c = node;
    struct client_exchange *x = exchange_find(c, call);
    if (x == NULL || x->decode_err != 0)
        return;
    while (len > 0) {
        size_t used = 0;
        struct rio_record rec;
        int r = rio_decoder_feed(&x->decoder, bytes, len, &used, &rec, NULL);
        if (r < 0) {
            x->decode_err = r;
            return;
        }
        bytes += used;
        len -= used;
        if (r == 0)
            continue;
        if (x->records == NULL)
            x->records = mc_calloc(c->alloc, CLIENT_RECORDS_MAX, sizeof(*x->records));
        char *json = record_render(c, x, &rec);
        if (x->records == NULL || json == NULL || x->records_count >= CLIENT_RECORDS_MAX) {
            mc_free(c->alloc, json);
            x->decode_err = MC_ELIMIT;
            return;
        }
        x->records[x->records_count].json = json;
        x->records[x->records_count].arrived_ns = c->rt->ops->now_ns(c->rt->ctx);
        x->records_count++;
    }
}

static void node_call_end(void *node, uint64_t call, int err)
{
    struct client *c = node;
    struct client_exchange *x = exchange_find(c, call);
    if (x == NULL)
        return;
    x->ended = 1;
    x->end_err = err;
}

static void node_request(void *node, uint64_t req, const struct http_request *request)
{
    struct client *c = node;
    (void)request;
    struct http_response r;
    http_response_init(&r, 404, c->alloc);
    c->rt->ops->respond(c->rt->ctx, req, &r); /* a client serves nothing */
    http_response_deinit(&r);
}

static void node_stream_closed(void *node, uint64_t req)
{
    (void)node, (void)req;
}

const struct rt_node_ops client_node_ops = {
    node_request, node_stream_closed, node_call_response, node_call_data, node_call_end,
};
