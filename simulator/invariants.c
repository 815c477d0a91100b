/*
 * invariants.c: the cluster's invariants (cluster.h), checked by the world
 * after every event.
 *
 * A step runs one core, and only that core's state can have changed, so
 * the checker looks at the core the step called (sim_world_stepped_core):
 * the master's invariants when the master ran and its offers, holds or
 * frameworks' streams changed since the last check (master_mutations); an
 * agent's when that agent ran. A whole soak then costs a small part of its run time.
 */
#include <stdio.h>

#include "agent.h"
#include "master.h"
#include "sim_cluster_internal.h"

struct cluster_checker {
    struct sim_cluster *cluster;
    const struct master *checked_master; /* the incarnation last checked */
    uint64_t checked_mutations;
};

static int cluster_check(void *ctx, const struct sim_world *world, char *text, size_t text_bytes)
{
    struct cluster_checker *k = ctx;
    struct sim_cluster *c = k->cluster;
    void *core = sim_world_stepped_core(world);
    if (core == NULL)
        return 0;
    if (core == c->master) {
        uint64_t mutations = master_mutations(c->master);
        if (k->checked_master == c->master && k->checked_mutations == mutations)
            return 0;
        k->checked_master = c->master;
        k->checked_mutations = mutations;
        return master_invariants_check(c->master, text, text_bytes);
    }
    for (uint32_t i = 0; i < c->agents_count; i++)
        if (core == c->agents[i].agent)
            return agent_invariants_check(c->agents[i].agent, text, text_bytes);
    return 0;
}

int sim__cluster_checks_add(struct sim_cluster *c)
{
    struct cluster_checker *k = mc_calloc(c->alloc, 1, sizeof(*k));
    if (k == NULL)
        return MC_ENOMEM;
    k->cluster = c;
    c->checker = k;
    return sim_world_check_add(c->world, cluster_check, k);
}
