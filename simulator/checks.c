/*
 * checks.c: invariants, checked from outside the code under test.
 *
 * As TigerBeetle's state checker does, the world looks at itself after
 * every event: its own invariants (the clock never goes back; ids only go
 * up and are never 0; per connection and direction, arrivals keep the
 * order of sending, checked in net.c) and those of the checkers a harness
 * registers. A violation is counted, not asserted: a run goes on, so a
 * sweep can report the seed and the first message with its time.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "mc_assert.h"
#include "sim_internal.h"

void sim__violation(struct sim_world *world, const char *fmt, ...)
{
    char text[MC_DIAG_TEXT_BYTES_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    if (world->violations == 0) {
        world->violation_first_ns = world->now_ns;
        memcpy(world->violation_first, text, sizeof(text));
    }
    world->violations++;
    sim__trace(world, "-", "-", "violation %s", text);
}

void sim__checks_run(struct sim_world *world)
{
    if (world->now_ns < world->checked_now_ns) {
        sim__violation(world, "the clock went back from %" PRIu64 " ns to %" PRIu64 " ns",
                       world->checked_now_ns, world->now_ns);
    }
    world->checked_now_ns = world->now_ns;
    if (world->options.checks_disabled)
        return;
    for (uint32_t i = 0; i < world->checkers_count; i++) {
        char text[MC_DIAG_TEXT_BYTES_MAX];
        text[0] = '\0';
        const struct sim_checker *c = &world->checkers[i];
        if (c->fn(c->ctx, world, text, sizeof(text)) != 0) {
            text[sizeof(text) - 1] = '\0';
            sim__violation(world, "%s", text[0] != '\0' ? text : "(the checker gave no message)");
        }
    }
}

uint64_t sim__id_next(struct sim_world *world)
{
    uint64_t id = world->id_last + 1;
    /* rt.h rule 2: never 0, never reused. A counter keeps both unless it wraps. */
    if (id <= world->id_last)
        sim__violation(world, "ids wrapped after %" PRIu64, world->id_last);
    world->id_last = id;
    return id;
}

int sim_world_check_add(struct sim_world *world, sim_check_fn fn, void *ctx)
{
    MC_ASSERT(world != NULL);
    MC_ASSERT(fn != NULL);
    if (world->checkers_count >= MC_SIM_CHECKS_MAX)
        return MC_ELIMIT;
    world->checkers[world->checkers_count].fn = fn;
    world->checkers[world->checkers_count].ctx = ctx;
    world->checkers_count++;
    return 0;
}

uint64_t sim_world_violations(const struct sim_world *world, uint64_t *first_ns,
                              const char **first_text)
{
    MC_ASSERT(world != NULL);
    if (world->violations > 0) {
        if (first_ns != NULL)
            *first_ns = world->violation_first_ns;
        if (first_text != NULL)
            *first_text = world->violation_first;
    }
    return world->violations;
}
