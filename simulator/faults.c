/*
 * faults.c: what a harness does to a world: partitions, held links,
 * connection resets, crashes and restarts, and the delivery filter.
 *
 * Every fault is one named function that changes the network's state and
 * queues what follows from it (notices to the ends of reset connections);
 * none calls into a core. Each writes a "fault ..." trace line, so a
 * trace shows when the world was changed and how, and a replay of the
 * same calls at the same times gives the same trace.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "mc_assert.h"
#include "sim_internal.h"

static int side_has(char (*side)[MC_SIM_ADDRESS_BYTES_MAX], uint32_t n, const char *address)
{
    for (uint32_t i = 0; i < n; i++) {
        if (strcmp(side[i], address) == 0)
            return 1;
    }
    return 0;
}

int sim__link_blocked(const struct sim_world *world, const char *from, const char *to)
{
    const struct mc_list_node *it;
    MC_LIST_FOR_EACH (it, &world->partitions) {
        const struct sim_partition *p = MC_CONTAINER_OF(it, struct sim_partition, link);
        if (side_has(p->side_a, p->na, from) && side_has(p->side_b, p->nb, to))
            return 1;
        if (p->mode == SIM_PARTITION_SYMMETRIC && side_has(p->side_b, p->nb, from) &&
            side_has(p->side_a, p->na, to))
            return 1;
    }
    return 0;
}

/* Checks one side of a partition: 0, or MC_EINVAL / MC_ELIMIT. */
static int side_check(const char *const side[], uint32_t n)
{
    if (n == 0)
        return MC_EINVAL;
    if (n > MC_SIM_PARTITION_SIDE_MAX)
        return MC_ELIMIT;
    for (uint32_t i = 0; i < n; i++) {
        if (!sim__address_valid(side[i]))
            return MC_EINVAL;
    }
    return 0;
}

static int side_copy(struct sim_world *world, const char *const side[], uint32_t n,
                     char (**out)[MC_SIM_ADDRESS_BYTES_MAX])
{
    *out = mc_calloc(world->alloc, n, sizeof(**out));
    if (*out == NULL)
        return MC_ENOMEM;
    for (uint32_t i = 0; i < n; i++)
        memcpy((*out)[i], side[i], strlen(side[i]) + 1);
    return 0;
}

static void partition_free(struct sim_world *world, struct sim_partition *p)
{
    mc_free(world->alloc, p->side_a);
    mc_free(world->alloc, p->side_b);
    mc_free(world->alloc, p);
}

/* Writes "a,b,c" (cut at out_bytes) for a trace line. */
static void side_format(char (*side)[MC_SIM_ADDRESS_BYTES_MAX], uint32_t n, char *out,
                        size_t out_bytes)
{
    size_t used = 0;
    out[0] = '\0';
    for (uint32_t i = 0; i < n && used + 1 < out_bytes; i++) {
        int w = snprintf(out + used, out_bytes - used, "%s%s", i == 0 ? "" : ",", side[i]);
        if (w < 0)
            break;
        used += (size_t)w;
    }
}

static void partition_trace(struct sim_world *world, const struct sim_partition *p)
{
    char a[MC_SIM_TRACE_LINE_BYTES_MAX / 2];
    char b[MC_SIM_TRACE_LINE_BYTES_MAX / 2];
    side_format(p->side_a, p->na, a, sizeof(a));
    side_format(p->side_b, p->nb, b, sizeof(b));
    sim__trace(world, "-", "-", "fault partition %" PRIu32 " %s a=%s b=%s", p->id,
               p->mode == SIM_PARTITION_SYMMETRIC ? "symmetric" : "one-way", a, b);
}

int sim_partition(struct sim_world *world, const char *const side_a[], uint32_t na,
                  const char *const side_b[], uint32_t nb, enum sim_partition_mode mode,
                  uint32_t *id_out)
{
    MC_ASSERT(world != NULL);
    MC_ASSERT(id_out != NULL);
    MC_ASSERT(mode == SIM_PARTITION_SYMMETRIC || mode == SIM_PARTITION_ONE_WAY);
    int err = side_check(side_a, na);
    if (err == 0)
        err = side_check(side_b, nb);
    if (err != 0)
        return err;
    for (uint32_t i = 0; i < na; i++) {
        for (uint32_t j = 0; j < nb; j++) {
            if (strcmp(side_a[i], side_b[j]) == 0)
                return MC_EINVAL;
        }
    }
    if (world->partitions_count >= MC_SIM_PARTITIONS_MAX)
        return MC_ELIMIT;
    struct sim_partition *p = mc_calloc(world->alloc, 1, sizeof(*p));
    if (p == NULL)
        return MC_ENOMEM;
    if (side_copy(world, side_a, na, &p->side_a) != 0 ||
        side_copy(world, side_b, nb, &p->side_b) != 0) {
        partition_free(world, p);
        return MC_ENOMEM;
    }
    p->na = na;
    p->nb = nb;
    p->mode = mode;
    p->id = ++world->partition_id_last;
    mc_list_push_back(&world->partitions, &p->link);
    world->partitions_count++;
    world->stats.faults++;
    partition_trace(world, p);
    *id_out = p->id;
    return 0;
}

int sim_heal(struct sim_world *world, uint32_t id)
{
    MC_ASSERT(world != NULL);
    struct mc_list_node *it;
    MC_LIST_FOR_EACH (it, &world->partitions) {
        struct sim_partition *p = MC_CONTAINER_OF(it, struct sim_partition, link);
        if (p->id == id) {
            mc_list_remove(&p->link);
            world->partitions_count--;
            world->stats.faults++;
            sim__trace(world, "-", "-", "fault heal %" PRIu32, id);
            partition_free(world, p);
            return 0;
        }
    }
    return MC_ENOTFOUND;
}

void sim_heal_all(struct sim_world *world)
{
    MC_ASSERT(world != NULL);
    struct mc_list_node *it, *tmp;
    MC_LIST_FOR_EACH_SAFE (it, tmp, &world->partitions) {
        struct sim_partition *p = MC_CONTAINER_OF(it, struct sim_partition, link);
        mc_list_remove(&p->link);
        partition_free(world, p);
    }
    world->partitions_count = 0;
    world->stats.faults++;
    sim__trace(world, "-", "-", "fault heal all");
}

struct sim_hold *sim__hold_find(const struct sim_world *world, const char *from, const char *to)
{
    const struct mc_list_node *it;
    MC_LIST_FOR_EACH (it, &world->holds) {
        struct sim_hold *h = MC_CONTAINER_OF(it, struct sim_hold, link);
        if (strcmp(h->from, from) == 0 && strcmp(h->to, to) == 0)
            return h;
    }
    return NULL;
}

int sim_link_hold(struct sim_world *world, const char *from, const char *to)
{
    MC_ASSERT(world != NULL);
    if (!sim__address_valid(from) || !sim__address_valid(to))
        return MC_EINVAL;
    if (sim__hold_find(world, from, to) != NULL)
        return MC_EEXIST;
    if (world->holds_count >= MC_SIM_HOLDS_MAX)
        return MC_ELIMIT;
    struct sim_hold *h = mc_calloc(world->alloc, 1, sizeof(*h));
    if (h == NULL)
        return MC_ENOMEM;
    memcpy(h->from, from, strlen(from) + 1);
    memcpy(h->to, to, strlen(to) + 1);
    mc_list_init(&h->queue);
    mc_list_push_back(&world->holds, &h->link);
    world->holds_count++;
    world->stats.faults++;
    sim__trace(world, from, to, "fault hold");
    return 0;
}

/*
 * Sends what a hold kept, in the order it came. Each delivery enters the
 * wire now: a partition in force now swallows it, as it would any traffic.
 */
static void hold_flush(struct sim_world *world, struct sim_hold *h)
{
    struct mc_list_node *it, *tmp;
    MC_LIST_FOR_EACH_SAFE (it, tmp, &h->queue) {
        struct sim_delivery *d = MC_CONTAINER_OF(it, struct sim_delivery, link);
        mc_list_remove(&d->link);
        h->count--;
        world->held_total--;
        if (sim__link_blocked(world, h->from, h->to))
            sim__delivery_drop(world, d, "blackhole");
        else
            sim__delivery_schedule(world, d);
    }
    MC_ASSERT(h->count == 0);
}

int sim_link_release(struct sim_world *world, const char *from, const char *to)
{
    MC_ASSERT(world != NULL);
    if (!sim__address_valid(from) || !sim__address_valid(to))
        return MC_ENOTFOUND;
    struct sim_hold *h = sim__hold_find(world, from, to);
    if (h == NULL)
        return MC_ENOTFOUND;
    mc_list_remove(&h->link);
    world->holds_count--;
    world->stats.faults++;
    sim__trace(world, from, to, "fault release %" PRIu32 " held", h->count);
    hold_flush(world, h);
    mc_free(world->alloc, h);
    return 0;
}

/* 1 while either end of conn may still hear from the other. */
static int conn_open(const struct sim_conn *conn)
{
    return conn->client_state == SIM_CLIENT_OPEN || conn->server_state == SIM_SERVER_PENDING ||
           conn->server_state == SIM_SERVER_STREAMING;
}

/*
 * 1 when proc's end of conn exists as far as proc's host knows. A server
 * whose request was lost on the way never had the connection, so its
 * crash or reset cannot touch it: the client goes on waiting, as it would.
 */
static int conn_known_to(const struct sim_conn *conn, const struct sim_proc *proc)
{
    if (conn->client == proc)
        return 1;
    if (conn->server != proc)
        return 0;
    return !(conn->server_state == SIM_SERVER_NONE && conn->request_dropped);
}

/* Resets conn with a trace line; pinned, so the connection outlives the reset itself. */
static void conn_reset_traced(struct sim_world *world, struct sim_conn *conn,
                              const struct sim_proc *near, const char *why)
{
    sim__trace(world, conn->client->node->address, conn->server_address,
               "fault reset call=%" PRIu64 " req=%" PRIu64 " (%s)", conn->call, conn->req, why);
    conn->pending++;
    sim__conn_reset(world, conn, near);
    conn->pending--;
    sim__conn_release_maybe(world, conn);
}

int sim_conn_reset(struct sim_world *world, uint64_t id)
{
    MC_ASSERT(world != NULL);
    struct sim_conn *conn = sim__conn_find(world, id);
    if (conn == NULL || conn->reset || !conn_open(conn))
        return MC_ENOTFOUND;
    world->stats.faults++;
    const struct sim_proc *near = id == conn->call ? conn->client : conn->server;
    conn_reset_traced(world, conn, near, id == conn->call ? "at the client" : "at the server");
    return 0;
}

/* Resets every open connection with an end at proc; returns how many. */
static int proc_conns_reset(struct sim_world *world, struct sim_proc *proc, const char *why)
{
    int count = 0;
    struct mc_list_node *it, *tmp;
    MC_LIST_FOR_EACH_SAFE (it, tmp, &world->conns) {
        struct sim_conn *conn = MC_CONTAINER_OF(it, struct sim_conn, link);
        if (!conn_known_to(conn, proc) || conn->reset || !conn_open(conn))
            continue;
        conn_reset_traced(world, conn, proc, why);
        count++;
    }
    return count;
}

int sim_node_reset_connections(struct sim_world *world, const char *address)
{
    MC_ASSERT(world != NULL);
    if (!sim__address_valid(address))
        return MC_ENOTFOUND;
    struct sim_node *node = sim__node_find(world, address);
    if (node == NULL)
        return MC_ENOTFOUND;
    world->stats.faults++;
    sim__trace(world, "-", address, "fault reset connections");
    if (node->proc == NULL)
        return 0;
    return proc_conns_reset(world, node->proc, "node reset");
}

/*
 * Takes a crashed incarnation's timers out of the queue. Removing reorders
 * the heap, so each search starts over; crashes are rare and queues small.
 */
static void proc_timers_drop(struct sim_world *world, struct sim_proc *proc)
{
    while (proc->timers_active > 0) {
        uint32_t count = mc_heap_count(&world->events);
        uint32_t slot = 0;
        while (slot < count && mc_heap_at(&world->events, slot)->tag != proc->number)
            slot++;
        MC_ASSERT(slot < count);
        struct mc_heap_entry e;
        mc_heap_remove(&world->events, slot, &e);
        struct rt_timer *timer = e.item;
        timer->active = 0;
        proc->timers_active--;
    }
}

int sim_node_crash(struct sim_world *world, const char *address)
{
    MC_ASSERT(world != NULL);
    if (!sim__address_valid(address))
        return MC_ENOTFOUND;
    struct sim_node *node = sim__node_find(world, address);
    if (node == NULL)
        return MC_ENOTFOUND;
    struct sim_proc *proc = node->proc;
    if (proc == NULL)
        return MC_ESTATE;
    /* The owner frees the core after this returns: it must not be running now. */
    MC_ASSERT(world->inside != proc);
    world->stats.faults++;
    sim__trace(world, "-", address, "fault crash #%" PRIu32, proc->number);
    proc->alive = 0;
    node->proc = NULL;
    proc_timers_drop(world, proc);
    struct mc_list_node *it, *tmp;
    MC_LIST_FOR_EACH_SAFE (it, tmp, &world->conns) {
        struct sim_conn *conn = MC_CONTAINER_OF(it, struct sim_conn, link);
        if (!conn_known_to(conn, proc)) {
            /* Its end is gone all the same: nothing will ever be delivered to it. */
            if (conn->server == proc)
                conn->server_state = SIM_SERVER_DONE;
            continue;
        }
        /* The dead end is over at once; the live end hears a reset from the dead host. */
        if (conn->client == proc)
            conn->client_state = SIM_CLIENT_DONE;
        if (conn->server == proc)
            conn->server_state = SIM_SERVER_DONE;
        if (conn->reset)
            continue;
        conn_reset_traced(world, conn, proc, "crash");
    }
    return 0;
}

int sim_node_restart(struct sim_world *world, const char *address, const struct rt_node_ops *ops,
                     void *node_ptr, struct rt **rt_out)
{
    MC_ASSERT(world != NULL);
    MC_ASSERT(ops != NULL);
    MC_ASSERT(rt_out != NULL);
    if (!sim__address_valid(address))
        return MC_ENOTFOUND;
    struct sim_node *node = sim__node_find(world, address);
    if (node == NULL)
        return MC_ENOTFOUND;
    if (node->proc != NULL)
        return MC_ESTATE;
    struct sim_proc *proc;
    int err = sim__proc_create(world, node, ops, node_ptr, &proc);
    if (err != 0)
        return err;
    world->stats.faults++;
    sim__trace(world, "-", address, "fault restart #%" PRIu32, proc->number);
    *rt_out = &proc->rt;
    return 0;
}

void sim_world_filter_set(struct sim_world *world, sim_filter_fn fn, void *ctx)
{
    MC_ASSERT(world != NULL);
    world->filter_fn = fn;
    world->filter_ctx = fn != NULL ? ctx : NULL;
}

void sim__faults_deinit(struct sim_world *world)
{
    struct mc_list_node *it, *tmp;
    MC_LIST_FOR_EACH_SAFE (it, tmp, &world->partitions) {
        mc_list_remove(it);
        partition_free(world, MC_CONTAINER_OF(it, struct sim_partition, link));
    }
    MC_LIST_FOR_EACH_SAFE (it, tmp, &world->holds) {
        struct sim_hold *h = MC_CONTAINER_OF(it, struct sim_hold, link);
        struct mc_list_node *d_it, *d_tmp;
        MC_LIST_FOR_EACH_SAFE (d_it, d_tmp, &h->queue) {
            mc_list_remove(d_it);
            sim__delivery_free(world, MC_CONTAINER_OF(d_it, struct sim_delivery, link));
        }
        mc_list_remove(it);
        mc_free(world->alloc, h);
    }
    world->partitions_count = 0;
    world->holds_count = 0;
    world->held_total = 0;
}
