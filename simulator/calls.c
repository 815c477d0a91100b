/*
 * calls.c: the connection half of a simulated node's runtime: a client's
 * call_start and call_cancel, a server's respond and stream_* (rt.h).
 *
 * Each of these only changes the state of its own end and queues
 * deliveries; none calls into a core (rt.h rule 1). Ids a core no longer
 * owns (the peer went away, the call is over) are harmless: answers to
 * them are dropped and writes return MC_ECLOSED (rule 2).
 *
 * Every function pins its connection (pending + 1) while it works, so
 * that a delivery dropped on the way (a partition, the filter) cannot free
 * the connection under its feet; sim__conn_release_maybe at the end lets
 * it go when nothing refers to it any more.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "mc_assert.h"
#include "sim_internal.h"

static void conn_pin(struct sim_conn *conn)
{
    conn->pending++;
}

static void conn_unpin(struct sim_world *world, struct sim_conn *conn)
{
    MC_ASSERT(conn->pending > 0);
    conn->pending--;
    sim__conn_release_maybe(world, conn);
}

/* The connection of a server's request id, as that incarnation knows it. */
static struct sim_conn *conn_of_req(const struct sim_proc *proc, uint64_t req)
{
    struct sim_conn *conn = sim__conn_find(proc->world, req);
    if (conn == NULL || conn->req != req || conn->server != proc)
        return NULL;
    return conn;
}

/* The connection of a client's call id, as that incarnation knows it. */
static struct sim_conn *conn_of_call(const struct sim_proc *proc, uint64_t call)
{
    struct sim_conn *conn = sim__conn_find(proc->world, call);
    if (conn == NULL || conn->call != call || conn->client != proc)
        return NULL;
    return conn;
}

static struct sim_conn *conn_new(struct sim_proc *proc, const char *peer)
{
    struct sim_world *world = proc->world;
    if (world->conns_count >= MC_SIM_CONNS_MAX) {
        sim__trace(world, proc->node->address, peer,
                   "call not started: %u connections open (MC_SIM_CONNS_MAX)", MC_SIM_CONNS_MAX);
        return NULL;
    }
    struct sim_conn *conn = mc_calloc(world->alloc, 1, sizeof(*conn));
    if (conn == NULL) {
        sim__trace(world, proc->node->address, peer, "call not started: out of memory");
        return NULL;
    }
    conn->call = sim__id_next(world);
    conn->req = sim__id_next(world); /* call + 1: sim__conn_find relies on it */
    if (sim__conn_index_add(world, conn) != 0) {
        sim__trace(world, proc->node->address, peer, "call not started: out of memory");
        mc_free(world->alloc, conn);
        return NULL;
    }
    conn->client = proc;
    memcpy(conn->server_address, peer, strlen(peer) + 1);
    const struct sim_node *node = sim__node_find(world, peer);
    /* The incarnation that serves the call is the one up now; none means refused. */
    conn->server = node != NULL ? node->proc : NULL;
    conn->client_state = SIM_CLIENT_OPEN;
    conn->server_state = SIM_SERVER_NONE;
    mc_list_push_back(&world->conns, &conn->link);
    world->conns_count++;
    return conn;
}

/* Copies the n bytes at src to *at, then a NUL, and moves *at past them. */
static char *pack_put(char **at, const void *src, size_t n)
{
    char *start = *at;
    memcpy(start, src, n);
    start[n] = '\0';
    *at = start + n + 1;
    return start;
}

/*
 * Copies a core's request for the wire into one allocation, d->pack: the
 * header array first (it needs a pointer's alignment, which the start of
 * an allocation has), then every string, then the body with the NUL an
 * mc_buf keeps after its bytes. http_request_copy would allocate each of
 * the 10 or so strings and check again what the http_* functions checked
 * when the core built the request (a request line and headers that are
 * valid on the wire), so there as here only memory can fail. The copy is
 * read-only: nothing appends to a request in flight, and
 * sim__delivery_free frees d->pack instead of calling http_request_deinit.
 */
static int request_pack(struct sim_world *world, struct sim_delivery *d,
                        const struct http_request *src)
{
    MC_ASSERT(src->method != NULL && src->target != NULL && src->path != NULL);
    const struct http_headers *h = &src->headers;
    size_t method_len = strlen(src->method);
    size_t target_len = strlen(src->target);
    size_t path_len = strlen(src->path);
    size_t bytes = (size_t)h->count * sizeof(struct http_header) + method_len + target_len +
                   path_len + 3 + src->body.len + 1;
    for (uint32_t i = 0; i < h->count; i++)
        bytes += strlen(h->items[i].name) + strlen(h->items[i].value) + 2;
    d->pack = mc_malloc(world->alloc, bytes);
    if (d->pack == NULL)
        return MC_ENOMEM;
    struct http_request *r = &d->request;
    http_request_init(r, world->alloc);
    struct http_header *items = d->pack;
    char *at = (char *)(items + h->count);
    r->method = pack_put(&at, src->method, method_len);
    r->target = pack_put(&at, src->target, target_len);
    r->path = pack_put(&at, src->path, path_len);
    for (uint32_t i = 0; i < h->count; i++) {
        items[i].name = pack_put(&at, h->items[i].name, strlen(h->items[i].name));
        items[i].value = pack_put(&at, h->items[i].value, strlen(h->items[i].value));
    }
    if (h->count > 0) {
        r->headers.items = items;
        r->headers.count = h->count;
        r->headers.cap = h->count;
    }
    if (src->body.len > 0) {
        r->body.data = (uint8_t *)pack_put(&at, src->body.data, src->body.len);
        r->body.len = src->body.len;
        r->body.cap = src->body.len + 1;
    }
    MC_ASSERT(at <= (char *)d->pack + bytes);
    r->version_minor = src->version_minor;
    r->keep_alive = src->keep_alive;
    d->has_request = 1;
    return 0;
}

uint64_t sim__call_start(struct sim_proc *proc, const char *peer,
                         const struct http_request *request)
{
    struct sim_world *world = proc->world;
    MC_ASSERT(request != NULL);
    if (!proc->alive || world->err != 0)
        return 0;
    if (!sim__address_valid(peer)) {
        sim__trace(world, proc->node->address, "-", "call not started: bad peer address");
        return 0;
    }
    if (request->method == NULL || request->path == NULL) {
        /* A server core may rely on a request line; a request without one never leaves. */
        sim__trace(world, proc->node->address, peer, "call not started: no request line");
        return 0;
    }
    struct sim_conn *conn = conn_new(proc, peer);
    if (conn == NULL)
        return 0;
    struct sim_delivery *d = sim__delivery_new(world, conn, SIM_DELIVERY_REQUEST);
    int err = d != NULL ? request_pack(world, d, request) : 0;
    if (err != 0) {
        sim__trace(world, proc->node->address, peer,
                   "call not started: cannot copy the request: %s", mc_strerror(err));
        sim__delivery_discard(world, d);
        d = NULL;
    }
    if (d == NULL) {
        sim__conn_free(world, conn);
        return 0;
    }
    uint64_t call = conn->call;
    conn_pin(conn);
    sim__delivery_send(world, d);
    conn_unpin(world, conn);
    return call;
}

void sim__call_cancel(struct sim_proc *proc, uint64_t call)
{
    struct sim_world *world = proc->world;
    struct sim_conn *conn = conn_of_call(proc, call);
    if (conn == NULL || conn->client_state == SIM_CLIENT_DONE)
        return;
    conn_pin(conn);
    conn->client_state = SIM_CLIENT_DONE;
    int server_open = conn->server_state == SIM_SERVER_NONE ||
                      conn->server_state == SIM_SERVER_PENDING ||
                      conn->server_state == SIM_SERVER_STREAMING;
    /*
     * The server learns through a close that follows the request on the wire;
     * a server that the request never reached has nothing to learn.
     */
    if (conn->server != NULL && conn->server->alive && server_open && !conn->reset &&
        !conn->request_dropped) {
        struct sim_delivery *d = sim__delivery_new(world, conn, SIM_DELIVERY_CLOSE);
        if (d != NULL)
            sim__delivery_send(world, d);
    }
    conn_unpin(world, conn);
}

/*
 * Copies a core's response for the wire. A stream head is marked as one
 * and may not carry a body; both get the framing headers a socket would
 * show (http_response_framing_headers_add). A core's mistake here is a
 * violation (counted, traced), not a crash: the answer still goes out.
 */
static int response_copy(struct sim_world *world, struct sim_delivery *d,
                         const struct http_response *response, int is_stream)
{
    int err = http_response_copy(&d->response, response, world->alloc);
    if (err != 0)
        return err;
    d->has_response = 1;
    d->response.is_stream = is_stream;
    if (is_stream && d->response.body.len != 0) {
        sim__violation(world, "stream head of req=%" PRIu64 " carries %zu body bytes (dropped)",
                       d->conn->req, d->response.body.len);
        mc_buf_reset(&d->response.body);
    }
    err = http_response_framing_headers_add(&d->response);
    if (err == MC_ENOMEM)
        return err;
    if (err != 0) {
        sim__violation(world, "response of req=%" PRIu64 " has bad framing headers: %s",
                       d->conn->req, mc_strerror(err));
    }
    return 0;
}

/* Queues an answer (a response or a stream head) to the client. */
static void answer_send(struct sim_world *world, struct sim_conn *conn,
                        const struct http_response *response, enum sim_delivery_kind kind)
{
    struct sim_delivery *d = sim__delivery_new(world, conn, kind);
    if (d == NULL)
        return;
    int err = response_copy(world, d, response, kind == SIM_DELIVERY_HEAD);
    if (err != 0) {
        sim__world_fail(world, err == MC_ENOMEM ? MC_ENOMEM : MC_EINVAL,
                        "cannot copy the response of req=%" PRIu64 ": %s", conn->req,
                        mc_strerror(err));
        sim__delivery_discard(world, d);
        return;
    }
    sim__delivery_send(world, d);
}

/* Queues call_end(err) to the client. */
static void end_send(struct sim_world *world, struct sim_conn *conn, int err)
{
    struct sim_delivery *d = sim__delivery_new(world, conn, SIM_DELIVERY_END);
    if (d == NULL)
        return;
    d->err = err;
    sim__delivery_send(world, d);
}

/* A request that may still be answered, or NULL (with a trace line) when it may not. */
static struct sim_conn *pending_req(struct sim_proc *proc, uint64_t req, const char *what)
{
    if (!proc->alive)
        return NULL;
    struct sim_conn *conn = conn_of_req(proc, req);
    if (conn == NULL || conn->server_state != SIM_SERVER_PENDING) {
        sim__trace(proc->world, proc->node->address, "-",
                   "discard %s req=%" PRIu64 " (no pending request)", what, req);
        return NULL;
    }
    return conn;
}

void sim__respond(struct sim_proc *proc, uint64_t req, const struct http_response *response)
{
    struct sim_world *world = proc->world;
    MC_ASSERT(response != NULL);
    struct sim_conn *conn = pending_req(proc, req, "response");
    if (conn == NULL)
        return;
    conn_pin(conn);
    conn->server_state = SIM_SERVER_DONE;
    if (conn->peer_gone) {
        sim__trace(world, proc->node->address, conn->client->node->address,
                   "discard response %d req=%" PRIu64 " (client gone)", response->status, req);
    } else {
        answer_send(world, conn, response, SIM_DELIVERY_RESPONSE);
        end_send(world, conn, 0);
    }
    conn_unpin(world, conn);
}

void sim__stream_open(struct sim_proc *proc, uint64_t req, const struct http_response *head)
{
    struct sim_world *world = proc->world;
    MC_ASSERT(head != NULL);
    struct sim_conn *conn = pending_req(proc, req, "stream head");
    if (conn == NULL)
        return;
    conn_pin(conn);
    conn->server_state = SIM_SERVER_STREAMING;
    if (conn->peer_gone) {
        /* The client left before the head: tell the core at once (an event, not a call). */
        struct sim_delivery *d = sim__delivery_new(world, conn, SIM_DELIVERY_CLOSE);
        if (d != NULL) {
            d->notice = 1;
            d->local = 1;
            sim__delivery_send(world, d);
        }
    } else {
        answer_send(world, conn, head, SIM_DELIVERY_HEAD);
    }
    conn_unpin(world, conn);
}

int sim__stream_write(struct sim_proc *proc, uint64_t req, const void *bytes, size_t len)
{
    struct sim_world *world = proc->world;
    MC_ASSERT(bytes != NULL || len == 0);
    if (!proc->alive)
        return MC_ECLOSED;
    struct sim_conn *conn = conn_of_req(proc, req);
    /*
     * CLOSING: the connection was reset but the server has not heard yet, so
     * its writes still succeed, as they would over TCP; the bytes are
     * discarded on arrival.
     */
    if (conn == NULL ||
        (conn->server_state != SIM_SERVER_STREAMING && conn->server_state != SIM_SERVER_CLOSING))
        return MC_ECLOSED;
    if (world->err != 0)
        return world->err;
    if (len > MC_HTTP_BODY_BYTES_MAX)
        return MC_ELIMIT;
    /* An empty chunk would end an HTTP/1.1 chunked body: there is nothing to send. */
    if (len == 0)
        return 0;
    struct sim_delivery *d = sim__delivery_new(world, conn, SIM_DELIVERY_DATA);
    if (d == NULL)
        return world->err;
    if (sim__delivery_bytes_alloc(world, d, len) != 0) {
        sim__delivery_discard(world, d);
        return MC_ENOMEM;
    }
    memcpy(d->bytes, bytes, len);
    conn_pin(conn);
    sim__delivery_send(world, d);
    conn_unpin(world, conn);
    return 0;
}

void sim__stream_close(struct sim_proc *proc, uint64_t req)
{
    struct sim_world *world = proc->world;
    if (!proc->alive)
        return;
    struct sim_conn *conn = conn_of_req(proc, req);
    if (conn == NULL)
        return;
    conn_pin(conn);
    if (conn->server_state == SIM_SERVER_CLOSING) {
        /* Reset meanwhile: the stream is over either way, and no stream_closed follows. */
        conn->server_state = SIM_SERVER_DONE;
    } else if (conn->server_state == SIM_SERVER_STREAMING) {
        conn->server_state = SIM_SERVER_DONE;
        end_send(world, conn, 0);
    }
    conn_unpin(world, conn);
}
