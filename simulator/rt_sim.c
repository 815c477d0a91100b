/*
 * rt_sim.c: struct rt_ops for simulated nodes (reference/rt.h).
 *
 * The context of every entry is the struct sim_proc of one incarnation, so
 * a core that outlived its crash (its owner has not freed it yet) reaches
 * a record that knows it is dead: its timers do not start, its answers go
 * nowhere, its writes return MC_ECLOSED and its calls do not start.
 *
 * Timers sit in the world's event queue beside the deliveries, keyed by
 * (deadline, insertion order) with the heap position kept in the timer's
 * own heap_slot, and tagged with the incarnation's number so that a crash
 * can find and drop them. Restarting an active timer removes it first, so
 * a restarted timer is ordered by its latest start (libuv's rule).
 */
#include <inttypes.h>
#include <stdio.h>

#include "mc_assert.h"
#include "sim_internal.h"

static struct sim_proc *proc_of(void *ctx)
{
    struct sim_proc *proc = ctx;
    MC_ASSERT(proc != NULL);
    MC_ASSERT(proc->world != NULL);
    return proc;
}

static uint64_t rt_sim_now_ns(void *ctx)
{
    return proc_of(ctx)->world->now_ns;
}

static void rt_sim_timer_cancel(void *ctx, struct rt_timer *timer)
{
    struct sim_proc *proc = proc_of(ctx);
    struct sim_world *world = proc->world;
    MC_ASSERT(timer != NULL);
    if (!timer->active)
        return;
    /* An active timer is in the queue, where its slot says, tagged with its owner. */
    const struct mc_heap_entry *e = mc_heap_at(&world->events, timer->heap_slot);
    MC_ASSERT(e->item == timer);
    MC_ASSERT(e->tag == proc->number);
    mc_heap_remove(&world->events, timer->heap_slot, NULL);
    timer->active = 0;
    MC_ASSERT(proc->timers_active > 0);
    proc->timers_active--;
}

static void rt_sim_timer_start(void *ctx, struct rt_timer *timer, uint64_t delay_ns, rt_timer_fn fn)
{
    struct sim_proc *proc = proc_of(ctx);
    struct sim_world *world = proc->world;
    MC_ASSERT(timer != NULL);
    MC_ASSERT(fn != NULL);
    rt_sim_timer_cancel(ctx, timer);
    timer->fn = fn;
    if (!proc->alive || world->err != 0)
        return;
    if (mc_heap_count(&world->events) + world->held_total >= world->options.events_max) {
        sim__world_fail(world, MC_ELIMIT,
                        "the event queue is full: %" PRIu32 " events (events_max) starting a "
                        "timer of %s",
                        world->options.events_max, proc->node->address);
        return;
    }
    uint64_t deadline_ns = world->now_ns + delay_ns;
    if (deadline_ns < world->now_ns)
        deadline_ns = UINT64_MAX;
    int err = mc_heap_push(&world->events, deadline_ns, timer, &timer->heap_slot, proc->number,
                           &timer->seq);
    if (err != 0) {
        sim__world_fail(world, err, "cannot start a timer of %s: %s", proc->node->address,
                        mc_strerror(err));
        return;
    }
    timer->deadline_ns = deadline_ns;
    timer->active = 1;
    proc->timers_active++;
}

static void rt_sim_respond(void *ctx, uint64_t req, const struct http_response *response)
{
    sim__respond(proc_of(ctx), req, response);
}

static void rt_sim_stream_open(void *ctx, uint64_t req, const struct http_response *head)
{
    sim__stream_open(proc_of(ctx), req, head);
}

static int rt_sim_stream_write(void *ctx, uint64_t req, const void *bytes, size_t len)
{
    return sim__stream_write(proc_of(ctx), req, bytes, len);
}

static void rt_sim_stream_close(void *ctx, uint64_t req)
{
    sim__stream_close(proc_of(ctx), req);
}

static uint64_t rt_sim_call_start(void *ctx, const char *peer, const struct http_request *request)
{
    return sim__call_start(proc_of(ctx), peer, request);
}

static void rt_sim_call_cancel(void *ctx, uint64_t call)
{
    sim__call_cancel(proc_of(ctx), call);
}

static int rt_sim_store_put(void *ctx, const char *key, const void *bytes, size_t len)
{
    return sim__store_put(proc_of(ctx), key, bytes, len);
}

static int rt_sim_store_get(void *ctx, const char *key, struct mc_buf *out)
{
    return sim__store_get(proc_of(ctx), key, out);
}

static int rt_sim_store_del(void *ctx, const char *key)
{
    return sim__store_del(proc_of(ctx), key);
}

static uint64_t rt_sim_rng_u64(void *ctx)
{
    return mc_rng_u64(&proc_of(ctx)->world->rng);
}

static void rt_sim_log(void *ctx, enum rt_log_level level, const char *text)
{
    struct sim_proc *proc = proc_of(ctx);
    static const char *const names[] = {"debug", "info", "warn", "error"};
    MC_ASSERT((unsigned)level < sizeof(names) / sizeof(names[0]));
    sim__trace_log(proc->world, proc->node->address, names[level], text != NULL ? text : "");
}

const struct rt_ops sim__rt_ops = {
    .now_ns = rt_sim_now_ns,
    .timer_start = rt_sim_timer_start,
    .timer_cancel = rt_sim_timer_cancel,
    .respond = rt_sim_respond,
    .stream_open = rt_sim_stream_open,
    .stream_write = rt_sim_stream_write,
    .stream_close = rt_sim_stream_close,
    .call_start = rt_sim_call_start,
    .call_cancel = rt_sim_call_cancel,
    .store_put = rt_sim_store_put,
    .store_get = rt_sim_store_get,
    .store_del = rt_sim_store_del,
    .rng_u64 = rt_sim_rng_u64,
    .log = rt_sim_log,
};
