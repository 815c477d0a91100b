/*
 * world.c: a world's life (create, destroy), its nodes, and the event loop.
 *
 * The loop is deliberately plain: take the earliest entry of the queue,
 * move the clock to it, run it, run the checks. One entry is one event
 * (a timer or a delivery), so the order of everything a world does is the
 * order of (time, insertion) keys, and nothing else: not pointer values,
 * not the order of a hash table, not the wall clock.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "mc_assert.h"
#include "sim_internal.h"

void sim_options_default(struct sim_options *options)
{
    MC_ASSERT(options != NULL);
    memset(options, 0, sizeof(*options));
    options->seed = 1;
    options->latency_ns_min = 500 * UINT64_C(1000);
    options->latency_ns_jitter = 500 * UINT64_C(1000);
    options->chunk_split_num = 1;
    options->chunk_split_den = 4;
    options->events_max = MC_SIM_EVENTS_DEFAULT;
    options->events_per_instant_max = MC_SIM_EVENTS_PER_INSTANT_DEFAULT;
    options->checks_disabled = 0;
}

static int options_check(const struct sim_options *o, struct mc_diag *diag)
{
    if (o->chunk_split_den < 1) {
        mc_diag_set(diag, "sim options: chunk_split_den must be at least 1");
        return MC_EINVAL;
    }
    if (o->chunk_split_num > o->chunk_split_den) {
        mc_diag_set(diag,
                    "sim options: chunk_split_num (%" PRIu32 ") is above chunk_split_den (%" PRIu32
                    ")",
                    o->chunk_split_num, o->chunk_split_den);
        return MC_EINVAL;
    }
    if (o->events_max < 1 || o->events_max > MC_SIM_EVENTS_MAX) {
        mc_diag_set(diag, "sim options: events_max (%" PRIu32 ") must be in 1..%u", o->events_max,
                    MC_SIM_EVENTS_MAX);
        return MC_EINVAL;
    }
    if (o->events_per_instant_max < 1) {
        mc_diag_set(diag, "sim options: events_per_instant_max must be at least 1");
        return MC_EINVAL;
    }
    return 0;
}

int sim_world_create(const struct sim_options *options, const struct mc_alloc *alloc,
                     struct sim_world **world_out, struct mc_diag *diag)
{
    MC_ASSERT(options != NULL);
    MC_ASSERT(world_out != NULL);
    int err = options_check(options, diag);
    if (err != 0)
        return err;
    if (alloc == NULL)
        alloc = mc_alloc_system();
    struct sim_world *world = mc_calloc(alloc, 1, sizeof(*world));
    if (world == NULL) {
        mc_diag_set(diag, "sim: out of memory for a world");
        return MC_ENOMEM;
    }
    world->alloc = alloc;
    world->options = *options;
    mc_rng_init(&world->rng, options->seed);
    mc_heap_init(&world->events, options->events_max, alloc);
    mc_list_init(&world->nodes);
    mc_list_init(&world->procs);
    mc_list_init(&world->conns);
    mc_list_init(&world->partitions);
    mc_list_init(&world->holds);
    /* FNV-1a 64 offset basis: the hash of no lines at all. */
    world->trace_hash = UINT64_C(0xcbf29ce484222325);
    *world_out = world;
    return 0;
}

/* Frees whatever is still queued. Timers live in the cores' memory and are not touched. */
static void world_events_free(struct sim_world *world)
{
    struct mc_heap_entry e;
    while (mc_heap_pop(&world->events, &e) == 0) {
        if (e.tag == SIM_TAG_DELIVERY)
            sim__delivery_free(world, e.item);
    }
    mc_heap_deinit(&world->events);
}

void sim_world_destroy(struct sim_world *world)
{
    if (world == NULL)
        return;
    MC_ASSERT(!world->running);
    world_events_free(world);
    sim__faults_deinit(world);
    struct mc_list_node *it, *tmp;
    MC_LIST_FOR_EACH_SAFE (it, tmp, &world->conns) {
        sim__conn_free(world, MC_CONTAINER_OF(it, struct sim_conn, link));
    }
    mc_free(world->alloc, world->conn_slots);
    MC_LIST_FOR_EACH_SAFE (it, tmp, &world->procs) {
        mc_list_remove(it);
        mc_free(world->alloc, MC_CONTAINER_OF(it, struct sim_proc, link));
    }
    MC_LIST_FOR_EACH_SAFE (it, tmp, &world->nodes) {
        struct sim_node *node = MC_CONTAINER_OF(it, struct sim_node, link);
        sim__store_deinit(world, node);
        mc_list_remove(it);
        mc_free(world->alloc, node);
    }
    mc_free(world->alloc, world->procs_by_number);
    sim__delivery_spares_free(world); /* last: the frees above may add to them */
    const struct mc_alloc *alloc = world->alloc;
    mc_free(alloc, world);
}

void sim__world_fail(struct sim_world *world, int err, const char *fmt, ...)
{
    MC_ASSERT(err < 0);
    if (world->err != 0)
        return; /* the first failure is the one worth reporting */
    world->err = err;
    int n = snprintf(world->err_text, sizeof(world->err_text),
                     "sim: at %" PRIu64 ".%09" PRIu64 " s: ", world->now_ns / RT_NS_PER_SEC,
                     world->now_ns % RT_NS_PER_SEC);
    MC_ASSERT(n > 0 && (size_t)n < sizeof(world->err_text));
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(world->err_text + n, sizeof(world->err_text) - (size_t)n, fmt, ap);
    va_end(ap);
    sim__trace(world, "-", "-", "error %s: %s", mc_errname(err), world->err_text + n);
}

int sim__address_valid(const char *address)
{
    if (address == NULL || address[0] == '\0')
        return 0;
    size_t len = strnlen(address, MC_SIM_ADDRESS_BYTES_MAX);
    if (len >= MC_SIM_ADDRESS_BYTES_MAX)
        return 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)address[i];
        /* Printable and without spaces: a trace line splits on spaces. */
        if (c <= 0x20 || c >= 0x7f)
            return 0;
    }
    /* "-" stands for "no node" in trace lines. */
    return strcmp(address, "-") != 0;
}

/* Where address's search starts in world->node_slots (FNV-1a of the address). */
static uint32_t node_slot_home(const char *address)
{
    uint64_t h = UINT64_C(0xcbf29ce484222325);
    for (const char *p = address; *p != '\0'; p++)
        h = (h ^ (uint8_t)*p) * UINT64_C(0x100000001b3);
    return (uint32_t)(h >> 32) & (2u * MC_SIM_NODES_MAX - 1u);
}

struct sim_node *sim__node_find(const struct sim_world *world, const char *address)
{
    static_assert((MC_SIM_NODES_MAX & (MC_SIM_NODES_MAX - 1u)) == 0, "a power of two");
    uint32_t mask = 2u * MC_SIM_NODES_MAX - 1u;
    for (uint32_t i = node_slot_home(address);; i = (i + 1) & mask) {
        struct sim_node *node = world->node_slots[i];
        if (node == NULL || strcmp(node->address, address) == 0)
            return node;
    }
}

/* Indexes a new node; the table is never more than half full. */
static void node_index(struct sim_world *world, struct sim_node *node)
{
    uint32_t mask = 2u * MC_SIM_NODES_MAX - 1u;
    uint32_t i = node_slot_home(node->address);
    while (world->node_slots[i] != NULL)
        i = (i + 1) & mask;
    world->node_slots[i] = node;
}

/* Grows the number -> incarnation index, within MC_SIM_PROCS_MAX. */
static int procs_reserve(struct sim_world *world)
{
    if (world->procs_count < world->procs_cap)
        return 0;
    if (world->procs_count >= MC_SIM_PROCS_MAX)
        return MC_ELIMIT;
    uint32_t cap = world->procs_cap == 0 ? 8 : world->procs_cap * 2;
    if (cap > MC_SIM_PROCS_MAX)
        cap = MC_SIM_PROCS_MAX;
    struct sim_proc **grown =
        mc_realloc(world->alloc, world->procs_by_number, cap * sizeof(*grown));
    if (grown == NULL)
        return MC_ENOMEM;
    world->procs_by_number = grown;
    world->procs_cap = cap;
    return 0;
}

int sim__proc_create(struct sim_world *world, struct sim_node *node, const struct rt_node_ops *ops,
                     void *core, struct sim_proc **proc_out)
{
    MC_ASSERT(ops != NULL);
    MC_ASSERT(node->proc == NULL);
    int err = procs_reserve(world);
    if (err != 0)
        return err;
    struct sim_proc *proc = mc_calloc(world->alloc, 1, sizeof(*proc));
    if (proc == NULL)
        return MC_ENOMEM;
    proc->world = world;
    proc->node = node;
    proc->ops = ops;
    proc->core = core;
    proc->rt.ops = &sim__rt_ops;
    proc->rt.ctx = proc;
    proc->rt.alloc = world->alloc;
    proc->alive = 1;
    world->procs_by_number[world->procs_count++] = proc;
    proc->number = world->procs_count;
    mc_list_push_back(&world->procs, &proc->link);
    node->proc = proc;
    *proc_out = proc;
    return 0;
}

int sim_node_add(struct sim_world *world, const char *address, const struct rt_node_ops *ops,
                 void *node, struct rt **rt_out)
{
    MC_ASSERT(world != NULL);
    MC_ASSERT(ops != NULL);
    MC_ASSERT(rt_out != NULL);
    if (!sim__address_valid(address))
        return MC_EINVAL;
    if (sim__node_find(world, address) != NULL)
        return MC_EEXIST;
    if (world->nodes_count >= MC_SIM_NODES_MAX)
        return MC_ELIMIT;
    struct sim_node *n = mc_calloc(world->alloc, 1, sizeof(*n));
    if (n == NULL)
        return MC_ENOMEM;
    memcpy(n->address, address, strlen(address) + 1);
    mc_list_init(&n->store);
    struct sim_proc *proc;
    int err = sim__proc_create(world, n, ops, node, &proc);
    if (err != 0) {
        mc_free(world->alloc, n);
        return err;
    }
    mc_list_push_back(&world->nodes, &n->link);
    world->nodes_count++;
    node_index(world, n);
    sim__trace(world, "-", address, "node up #%" PRIu32, proc->number);
    *rt_out = &proc->rt;
    return 0;
}

int sim_node_bind(struct sim_world *world, const char *address, void *node)
{
    MC_ASSERT(world != NULL);
    if (!sim__address_valid(address))
        return MC_ENOTFOUND;
    struct sim_node *n = sim__node_find(world, address);
    if (n == NULL)
        return MC_ENOTFOUND;
    if (n->proc == NULL)
        return MC_ESTATE;
    /* Rebinding from inside the node's own callback would swap the core under itself. */
    MC_ASSERT(world->inside != n->proc);
    n->proc->core = node;
    return 0;
}

int sim_node_is_up(const struct sim_world *world, const char *address)
{
    MC_ASSERT(world != NULL);
    if (!sim__address_valid(address))
        return 0;
    const struct sim_node *node = sim__node_find(world, address);
    return node != NULL && node->proc != NULL;
}

void sim__world_enter(struct sim_world *world, struct sim_proc *proc)
{
    /* Rule 1 of rt.h: one core at a time, and never one inside itself. */
    MC_ASSERT(world->inside == NULL);
    MC_ASSERT(proc->alive);
    world->inside = proc;
    world->stepped_core = proc->core;
}

void sim__world_leave(struct sim_world *world, struct sim_proc *proc)
{
    MC_ASSERT(world->inside == proc);
    world->inside = NULL;
}

/* Moves the clock to an event's time and counts the events of one instant. */
static int clock_advance(struct sim_world *world, const struct mc_heap_entry *next)
{
    MC_ASSERT(next->time_ns >= world->now_ns);
    if (next->time_ns > world->now_ns) {
        world->now_ns = next->time_ns;
        world->instant_events = 0;
    }
    world->instant_events++;
    if (world->instant_events <= world->options.events_per_instant_max)
        return 0;
    char what[MC_SIM_TRACE_LINE_BYTES_MAX];
    if (next->tag == SIM_TAG_DELIVERY) {
        sim__delivery_describe(next->item, what, sizeof(what));
    } else {
        snprintf(what, sizeof(what), "a timer of %s",
                 world->procs_by_number[next->tag - 1]->node->address);
    }
    sim__world_fail(world, MC_ELIMIT,
                    "more than %" PRIu32 " events at one instant without the clock moving"
                    " (events_per_instant_max): a zero-delay loop? The next one is %s",
                    world->options.events_per_instant_max, what);
    return world->err;
}

static void timer_fire(struct sim_world *world, const struct mc_heap_entry *e)
{
    MC_ASSERT(e->tag >= 1 && e->tag <= world->procs_count);
    struct sim_proc *proc = world->procs_by_number[e->tag - 1];
    struct rt_timer *timer = e->item;
    /* A crash removes its node's timers, so only live ones are ever due. */
    MC_ASSERT(proc->alive);
    MC_ASSERT(timer->active);
    timer->active = 0;
    proc->timers_active--;
    world->stats.timers++;
    sim__trace_text(world, "-", proc->node->address, "timer");
    sim__world_enter(world, proc);
    timer->fn(timer);
    sim__world_leave(world, proc);
}

int sim_world_step(struct sim_world *world)
{
    MC_ASSERT(world != NULL);
    /* Running a world from inside one of its own callbacks would re-enter a core. */
    MC_ASSERT(!world->running);
    if (world->err != 0)
        return world->err;
    const struct mc_heap_entry *next = mc_heap_peek(&world->events);
    if (next == NULL)
        return 0;
    if (clock_advance(world, next) != 0)
        return world->err;
    struct mc_heap_entry e;
    int popped = mc_heap_pop(&world->events, &e);
    MC_ASSERT(popped == 0);
    world->running = 1;
    world->stepped_core = NULL;
    if (e.tag == SIM_TAG_DELIVERY)
        sim__delivery_arrive(world, e.item);
    else
        timer_fire(world, &e);
    world->running = 0;
    world->stats.events++;
    sim__checks_run(world);
    return world->err != 0 ? world->err : 1;
}

void *sim_world_stepped_core(const struct sim_world *world)
{
    MC_ASSERT(world != NULL);
    return world->stepped_core;
}

int sim_world_run_until(struct sim_world *world, uint64_t t_ns)
{
    MC_ASSERT(world != NULL);
    for (;;) {
        if (world->err != 0)
            return world->err;
        const struct mc_heap_entry *next = mc_heap_peek(&world->events);
        if (next == NULL || next->time_ns > t_ns)
            break;
        int ran = sim_world_step(world);
        if (ran < 0)
            return ran;
    }
    if (t_ns > world->now_ns) {
        world->now_ns = t_ns;
        world->instant_events = 0;
    }
    return 0;
}

int sim_world_run_for(struct sim_world *world, uint64_t d_ns)
{
    MC_ASSERT(world != NULL);
    uint64_t t_ns = world->now_ns + d_ns;
    if (t_ns < world->now_ns)
        t_ns = UINT64_MAX;
    return sim_world_run_until(world, t_ns);
}

uint64_t sim_world_now_ns(const struct sim_world *world)
{
    MC_ASSERT(world != NULL);
    return world->now_ns;
}

int sim_world_next_ns(const struct sim_world *world, uint64_t *t_ns_out)
{
    MC_ASSERT(world != NULL);
    MC_ASSERT(t_ns_out != NULL);
    const struct mc_heap_entry *next = mc_heap_peek(&world->events);
    if (next == NULL)
        return MC_ENOTFOUND;
    *t_ns_out = next->time_ns;
    return 0;
}

int sim_world_error(const struct sim_world *world, struct mc_diag *diag)
{
    MC_ASSERT(world != NULL);
    if (world->err != 0 && diag != NULL)
        mc_diag_set(diag, "%s", world->err_text);
    return world->err;
}

struct mc_rng *sim_world_rng(struct sim_world *world)
{
    MC_ASSERT(world != NULL);
    return &world->rng;
}

void sim_world_stats(const struct sim_world *world, struct sim_stats *out)
{
    MC_ASSERT(world != NULL);
    MC_ASSERT(out != NULL);
    *out = world->stats;
    out->messages = out->requests + out->responses + out->chunks;
}
