/*
 * net.c: simulated connections and what travels on them.
 *
 * One outbound call is one connection with two ends: the client (the
 * incarnation that called) and the server (the incarnation that served the
 * address when the call started, or none: then the call is refused). Each
 * end has its own state (sim_internal.h), because each end learns about
 * the other only through deliveries, after a latency, exactly as over TCP.
 *
 * A delivery's way: created by an rt call of a core (or by a fault), it
 * enters the wire in sim__delivery_send (partitions, the filter, held
 * links), is queued by sim__delivery_schedule at max(now + latency, the
 * previous delivery's time on this connection and direction), and
 * arrives in sim__delivery_arrive, which either hands it to the core at
 * that end or discards it with a trace line saying why. Stream chunks are
 * cut into pieces only in sim__delivery_schedule, after every decision
 * about the chunk as a whole has been taken.
 */
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "mc_assert.h"
#include "sim_internal.h"

static uint64_t add_saturating(uint64_t a, uint64_t b)
{
    return a + b < a ? UINT64_MAX : a + b;
}

static const char *conn_from(const struct sim_conn *conn, enum sim_dir dir)
{
    return dir == SIM_DIR_TO_SERVER ? conn->client->node->address : conn->server_address;
}

static const char *conn_to(const struct sim_conn *conn, enum sim_dir dir)
{
    return dir == SIM_DIR_TO_SERVER ? conn->server_address : conn->client->node->address;
}

/*
 * The connection index: open addressing on the call id with linear probing
 * and backward-shift deletion, at most half full. A request id is its
 * connection's call id + 1 (calls.c takes both at once), so a lookup tries
 * id, then id - 1.
 */
static uint32_t slot_home(uint64_t call, uint32_t cap)
{
    return (uint32_t)((call * UINT64_C(0x9e3779b97f4a7c15)) >> 32) & (cap - 1);
}

static struct sim_conn *index_get(const struct sim_world *world, uint64_t call)
{
    if (world->conn_slots_cap == 0 || call == 0)
        return NULL;
    uint32_t mask = world->conn_slots_cap - 1;
    for (uint32_t i = slot_home(call, world->conn_slots_cap);; i = (i + 1) & mask) {
        struct sim_conn *c = world->conn_slots[i];
        if (c == NULL || c->call == call)
            return c;
    }
}

static void index_put(struct sim_conn **slots, uint32_t cap, struct sim_conn *conn)
{
    uint32_t i = slot_home(conn->call, cap);
    while (slots[i] != NULL)
        i = (i + 1) & (cap - 1);
    slots[i] = conn;
}

int sim__conn_index_add(struct sim_world *world, struct sim_conn *conn)
{
    static_assert(MC_SIM_CONNS_MAX <= (1u << 30), "twice the connections fit the index");
    if ((world->conns_count + 1u) * 2u > world->conn_slots_cap) {
        uint32_t cap = world->conn_slots_cap ? world->conn_slots_cap * 2u : 256u;
        struct sim_conn **slots = mc_calloc(world->alloc, cap, sizeof(*slots));
        if (slots == NULL)
            return MC_ENOMEM;
        for (uint32_t i = 0; i < world->conn_slots_cap; i++)
            if (world->conn_slots[i] != NULL)
                index_put(slots, cap, world->conn_slots[i]);
        mc_free(world->alloc, world->conn_slots);
        world->conn_slots = slots;
        world->conn_slots_cap = cap;
    }
    index_put(world->conn_slots, world->conn_slots_cap, conn);
    return 0;
}

static void index_del(struct sim_world *world, const struct sim_conn *conn)
{
    uint32_t mask = world->conn_slots_cap - 1;
    uint32_t i = slot_home(conn->call, world->conn_slots_cap);
    while (world->conn_slots[i] != conn) {
        MC_ASSERT(world->conn_slots[i] != NULL); /* every open connection is indexed */
        i = (i + 1) & mask;
    }
    /* Backward shift: pull later entries of the cluster into the hole when
     * their home does not lie cyclically in (hole, j]. */
    for (uint32_t j = (i + 1) & mask; world->conn_slots[j] != NULL; j = (j + 1) & mask) {
        uint32_t home = slot_home(world->conn_slots[j]->call, world->conn_slots_cap);
        if (((j - home) & mask) >= ((j - i) & mask)) {
            world->conn_slots[i] = world->conn_slots[j];
            i = j;
        }
    }
    world->conn_slots[i] = NULL;
}

struct sim_conn *sim__conn_find(const struct sim_world *world, uint64_t id)
{
    struct sim_conn *conn = index_get(world, id);
    if (conn == NULL && id > 1) {
        conn = index_get(world, id - 1);
        if (conn != NULL && conn->req != id)
            conn = NULL;
    }
    return conn;
}

void sim__conn_free(struct sim_world *world, struct sim_conn *conn)
{
    index_del(world, conn);
    mc_list_remove(&conn->link);
    MC_ASSERT(world->conns_count > 0);
    world->conns_count--;
    mc_free(world->alloc, conn);
}

void sim__conn_release_maybe(struct sim_world *world, struct sim_conn *conn)
{
    if (conn->pending != 0 || conn->client_state != SIM_CLIENT_DONE)
        return;
    if (conn->server_state != SIM_SERVER_NONE && conn->server_state != SIM_SERVER_DONE)
        return;
    sim__conn_free(world, conn);
}

struct sim_delivery *sim__delivery_new(struct sim_world *world, struct sim_conn *conn,
                                       enum sim_delivery_kind kind)
{
    if (world->err != 0)
        return NULL;
    if (mc_heap_count(&world->events) + world->held_total >= world->options.events_max) {
        sim__world_fail(world, MC_ELIMIT,
                        "the event queue is full: %" PRIu32 " events (events_max)",
                        world->options.events_max);
        return NULL;
    }
    struct sim_delivery *d = world->delivery_spares;
    if (d != NULL) {
        world->delivery_spares = d->spare_next;
        world->delivery_spares_count--;
    } else {
        d = mc_malloc(world->alloc, sizeof(*d));
        if (d == NULL) {
            sim__world_fail(world, MC_ENOMEM, "out of memory for a delivery");
            return NULL;
        }
    }
    /* As calloc would, up to the parts that are read only once set (sim_internal.h). */
    memset(d, 0, offsetof(struct sim_delivery, request));
    mc_list_init(&d->link);
    d->conn = conn;
    d->kind = kind;
    d->dir = (kind == SIM_DELIVERY_REQUEST || kind == SIM_DELIVERY_CLOSE) ? SIM_DIR_TO_SERVER
                                                                          : SIM_DIR_TO_CLIENT;
    d->slot = MC_HEAP_SLOT_NONE;
    conn->pending++;
    return d;
}

int sim__delivery_bytes_alloc(struct sim_world *world, struct sim_delivery *d, size_t len)
{
    MC_ASSERT(d->bytes == NULL);
    if (len <= sizeof(d->inline_bytes)) {
        d->bytes = d->inline_bytes;
    } else {
        d->bytes = mc_malloc(world->alloc, len);
        if (d->bytes == NULL) {
            sim__world_fail(world, MC_ENOMEM, "out of memory for %zu bytes of a stream chunk", len);
            return MC_ENOMEM;
        }
    }
    d->len = len;
    return 0;
}

void sim__delivery_free(struct sim_world *world, struct sim_delivery *d)
{
    /* The request is a read-only copy in d->pack (calls.c), never http_request_deinit'ed. */
    if (d->has_response)
        http_response_deinit(&d->response);
    mc_free(world->alloc, d->pack);
    if (d->bytes != d->inline_bytes)
        mc_free(world->alloc, d->bytes);
    if (world->delivery_spares_count >= SIM_DELIVERY_SPARES_MAX) {
        mc_free(world->alloc, d);
        return;
    }
    d->spare_next = world->delivery_spares;
    world->delivery_spares = d;
    world->delivery_spares_count++;
}

void sim__delivery_spares_free(struct sim_world *world)
{
    while (world->delivery_spares != NULL) {
        struct sim_delivery *d = world->delivery_spares;
        world->delivery_spares = d->spare_next;
        mc_free(world->alloc, d);
    }
    world->delivery_spares_count = 0;
}

void sim__delivery_discard(struct sim_world *world, struct sim_delivery *d)
{
    struct sim_conn *conn = d->conn;
    MC_ASSERT(conn->pending > 0);
    conn->pending--;
    sim__delivery_free(world, d);
    sim__conn_release_maybe(world, conn);
}

void sim__delivery_drop(struct sim_world *world, struct sim_delivery *d, const char *why)
{
    sim__trace_delivery(world, conn_from(d->conn, d->dir), conn_to(d->conn, d->dir), why, d, NULL);
    world->stats.dropped++;
    if (d->kind == SIM_DELIVERY_REQUEST)
        d->conn->request_dropped = 1;
    sim__delivery_discard(world, d);
}

static uint64_t latency_draw(struct sim_world *world)
{
    uint64_t jitter = world->options.latency_ns_jitter;
    uint64_t extra = jitter == 0 ? 0 : mc_rng_between(&world->rng, 0, jitter);
    return add_saturating(world->options.latency_ns_min, extra);
}

/* Queues one delivery: after its latency, and never before the one sent before it. */
static void delivery_queue(struct sim_world *world, struct sim_delivery *d)
{
    struct sim_conn *conn = d->conn;
    uint64_t t_ns = world->now_ns;
    if (!d->local) {
        t_ns = add_saturating(add_saturating(t_ns, latency_draw(world)), d->delay_ns);
        if (t_ns < conn->last_ns[d->dir])
            t_ns = conn->last_ns[d->dir];
        conn->last_ns[d->dir] = t_ns;
        d->ord = ++conn->sent_ord[d->dir];
    }
    int err = mc_heap_push(&world->events, t_ns, d, &d->slot, SIM_TAG_DELIVERY, NULL);
    if (err != 0) {
        sim__world_fail(world, err, "cannot queue a delivery: %s", mc_strerror(err));
        sim__delivery_discard(world, d);
    }
}

/* Where to cut a chunk of len >= 2 bytes: sorted, distinct offsets in [1, len). */
static uint32_t split_points(struct sim_world *world, size_t len, size_t *at)
{
    uint64_t cuts_max =
        len - 1 < MC_SIM_CHUNK_PIECES_MAX - 1 ? len - 1 : MC_SIM_CHUNK_PIECES_MAX - 1;
    uint64_t cuts = 1 + mc_rng_below(&world->rng, cuts_max);
    uint32_t n = 0;
    for (uint64_t i = 0; i < cuts; i++) {
        size_t cut = 1 + (size_t)mc_rng_below(&world->rng, len - 1);
        uint32_t pos = n;
        while (pos > 0 && at[pos - 1] > cut)
            pos--;
        if (pos > 0 && at[pos - 1] == cut)
            continue; /* drawn twice: one cut fewer */
        memmove(&at[pos + 1], &at[pos], (n - pos) * sizeof(*at));
        at[pos] = cut;
        n++;
    }
    MC_ASSERT(n >= 1 && n < MC_SIM_CHUNK_PIECES_MAX);
    return n;
}

/* Queues the chunk of d as several pieces, in order, and frees d. */
static void delivery_split(struct sim_world *world, struct sim_delivery *d)
{
    size_t at[MC_SIM_CHUNK_PIECES_MAX];
    uint32_t cuts = split_points(world, d->len, at);
    at[cuts] = d->len;
    size_t start = 0;
    for (uint32_t i = 0; i <= cuts; i++) {
        struct sim_delivery *piece = sim__delivery_new(world, d->conn, SIM_DELIVERY_DATA);
        if (piece == NULL)
            break;
        if (sim__delivery_bytes_alloc(world, piece, at[i] - start) != 0) {
            sim__delivery_discard(world, piece);
            break;
        }
        memcpy(piece->bytes, d->bytes + start, piece->len);
        piece->delay_ns = d->delay_ns;
        delivery_queue(world, piece);
        start = at[i];
    }
    sim__delivery_discard(world, d);
}

void sim__delivery_schedule(struct sim_world *world, struct sim_delivery *d)
{
    MC_ASSERT(d->slot == MC_HEAP_SLOT_NONE);
    if (d->kind == SIM_DELIVERY_DATA && !d->local && d->len >= 2 &&
        mc_rng_ratio(&world->rng, world->options.chunk_split_num, world->options.chunk_split_den)) {
        delivery_split(world, d);
        return;
    }
    delivery_queue(world, d);
}

static void delivery_info_fill(const struct sim_delivery *d, struct sim_delivery_info *info)
{
    memset(info, 0, sizeof(*info));
    info->kind = d->kind;
    info->from = conn_from(d->conn, d->dir);
    info->to = conn_to(d->conn, d->dir);
    info->call = d->conn->call;
    info->req = d->conn->req;
    info->request = d->has_request ? &d->request : NULL;
    info->response = d->has_response ? &d->response : NULL;
    info->bytes = d->bytes;
    info->len = d->len;
    info->err = d->err;
}

void sim__delivery_send(struct sim_world *world, struct sim_delivery *d)
{
    if (d->local) {
        delivery_queue(world, d);
        return;
    }
    const char *from = conn_from(d->conn, d->dir);
    const char *to = conn_to(d->conn, d->dir);
    if (sim__link_blocked(world, from, to)) {
        sim__delivery_drop(world, d, "blackhole");
        return;
    }
    if (world->filter_fn != NULL) {
        struct sim_delivery_info info;
        delivery_info_fill(d, &info);
        uint64_t delay_ns = 0;
        enum sim_filter_verdict verdict = world->filter_fn(world->filter_ctx, &info, &delay_ns);
        if (verdict == SIM_FILTER_DROP) {
            sim__delivery_drop(world, d, "filter-drop");
            return;
        }
        if (verdict == SIM_FILTER_DELAY)
            d->delay_ns = delay_ns;
    }
    struct sim_hold *hold = sim__hold_find(world, from, to);
    if (hold != NULL) {
        mc_list_push_back(&hold->queue, &d->link);
        hold->count++;
        world->held_total++;
        sim__trace_delivery(world, from, to, "held", d, NULL);
        return;
    }
    sim__delivery_schedule(world, d);
}

/* Sends a notice of a reset (END to the client, CLOSE to the server). */
static void notice_send(struct sim_world *world, struct sim_conn *conn, enum sim_delivery_kind kind,
                        int local)
{
    struct sim_delivery *d = sim__delivery_new(world, conn, kind);
    if (d == NULL)
        return;
    d->notice = 1;
    d->local = local;
    d->err = kind == SIM_DELIVERY_END ? MC_ECLOSED : 0;
    sim__delivery_send(world, d);
}

void sim__conn_reset(struct sim_world *world, struct sim_conn *conn, const struct sim_proc *near)
{
    conn->reset = 1;
    if (conn->client_state == SIM_CLIENT_OPEN && conn->client->alive) {
        conn->client_state = SIM_CLIENT_CLOSING;
        notice_send(world, conn, SIM_DELIVERY_END, near == conn->client);
    }
    if (conn->server_state == SIM_SERVER_PENDING) {
        /* Not a stream yet: the answer, when it comes, goes nowhere. */
        conn->peer_gone = 1;
    } else if (conn->server_state == SIM_SERVER_STREAMING && conn->server->alive) {
        conn->server_state = SIM_SERVER_CLOSING;
        notice_send(world, conn, SIM_DELIVERY_CLOSE, near == conn->server);
    }
}

/*
 * Why d cannot be handed to the core at its end, or NULL when it can. A
 * request to no node is handled by the caller (it is refused, not lost).
 */
static const char *arrival_refusal(const struct sim_delivery *d, const struct sim_proc *target)
{
    const struct sim_conn *conn = d->conn;
    if (target == NULL || !target->alive)
        return "(node down)";
    if (conn->reset && !d->notice)
        return "(connection reset)";
    if (d->dir == SIM_DIR_TO_CLIENT) {
        if (conn->client_state == SIM_CLIENT_DONE)
            return "(call over)";
        if (conn->client_state == SIM_CLIENT_CLOSING && !d->notice)
            return "(connection reset)";
        return NULL;
    }
    if (d->kind == SIM_DELIVERY_REQUEST)
        return conn->server_state == SIM_SERVER_NONE ? NULL : "(request already delivered)";
    if (conn->server_state == SIM_SERVER_PENDING)
        return NULL; /* a close before the answer: marks the request gone */
    if (conn->server_state != SIM_SERVER_STREAMING && conn->server_state != SIM_SERVER_CLOSING)
        return "(request over)";
    return NULL;
}

/* A request reached an address where nothing listens: refuse the connection. */
static void arrival_refused(struct sim_world *world, struct sim_delivery *d)
{
    struct sim_conn *conn = d->conn;
    sim__trace_delivery(world, conn_from(conn, d->dir), conn_to(conn, d->dir), NULL, d, "refused");
    world->stats.discarded++;
    if (conn->client_state != SIM_CLIENT_OPEN)
        return;
    conn->client_state = SIM_CLIENT_CLOSING;
    notice_send(world, conn, SIM_DELIVERY_END, 0);
}

/* Hands d to the core of the server end. */
static void arrival_server(struct sim_world *world, struct sim_delivery *d, struct sim_proc *server)
{
    struct sim_conn *conn = d->conn;
    if (d->kind == SIM_DELIVERY_REQUEST) {
        conn->server_state = SIM_SERVER_PENDING;
        world->stats.requests++;
        world->stats.bytes += d->request.body.len;
        MC_ASSERT(server->ops->request != NULL);
        sim__world_enter(world, server);
        server->ops->request(server->core, conn->req, &d->request);
        sim__world_leave(world, server);
        return;
    }
    MC_ASSERT(d->kind == SIM_DELIVERY_CLOSE);
    if (conn->server_state == SIM_SERVER_PENDING) {
        conn->peer_gone = 1;
        return;
    }
    conn->server_state = SIM_SERVER_DONE;
    MC_ASSERT(server->ops->stream_closed != NULL);
    sim__world_enter(world, server);
    server->ops->stream_closed(server->core, conn->req);
    sim__world_leave(world, server);
}

/* Hands d to the core of the client end. */
static void arrival_client(struct sim_world *world, struct sim_delivery *d, struct sim_proc *client)
{
    struct sim_conn *conn = d->conn;
    const struct rt_node_ops *ops = client->ops;
    sim__world_enter(world, client);
    switch (d->kind) {
    case SIM_DELIVERY_RESPONSE:
    case SIM_DELIVERY_HEAD:
        world->stats.responses++;
        world->stats.bytes += d->response.body.len;
        MC_ASSERT(ops->call_response != NULL);
        ops->call_response(client->core, conn->call, &d->response);
        break;
    case SIM_DELIVERY_DATA:
        world->stats.chunks++;
        world->stats.bytes += d->len;
        MC_ASSERT(ops->call_data != NULL);
        ops->call_data(client->core, conn->call, d->bytes, d->len);
        break;
    case SIM_DELIVERY_END:
        conn->client_state = SIM_CLIENT_DONE;
        MC_ASSERT(ops->call_end != NULL);
        ops->call_end(client->core, conn->call, d->err);
        break;
    default:
        MC_UNREACHABLE();
    }
    sim__world_leave(world, client);
}

/* The world's own FIFO invariant: per connection and direction, arrivals keep sending order. */
static void arrival_order_check(struct sim_world *world, const struct sim_delivery *d)
{
    struct sim_conn *conn = d->conn;
    if (d->ord == 0)
        return; /* a local notice never crossed the wire */
    if (d->ord <= conn->arrived_ord[d->dir]) {
        sim__violation(world, "connection call=%" PRIu64 " delivered #%" PRIu64 " after #%" PRIu64,
                       conn->call, d->ord, conn->arrived_ord[d->dir]);
    }
    conn->arrived_ord[d->dir] = d->ord;
}

void sim__delivery_arrive(struct sim_world *world, struct sim_delivery *d)
{
    struct sim_conn *conn = d->conn;
    MC_ASSERT(conn->pending > 0);
    arrival_order_check(world, d);
    const char *from = conn_from(conn, d->dir);
    const char *to = conn_to(conn, d->dir);
    struct sim_proc *target = d->dir == SIM_DIR_TO_SERVER ? conn->server : conn->client;
    if (d->kind == SIM_DELIVERY_REQUEST && target == NULL && !conn->reset) {
        arrival_refused(world, d);
    } else {
        const char *why = arrival_refusal(d, target);
        if (why != NULL) {
            sim__trace_delivery(world, from, to, "discard", d, why);
            world->stats.discarded++;
        } else if (d->dir == SIM_DIR_TO_SERVER) {
            sim__trace_delivery(world, from, to, NULL, d, NULL);
            arrival_server(world, d, target);
        } else {
            sim__trace_delivery(world, from, to, NULL, d, NULL);
            arrival_client(world, d, target);
        }
    }
    conn->pending--;
    sim__delivery_free(world, d);
    sim__conn_release_maybe(world, conn);
}
