/*
 * invariants.c: the cluster's invariants (cluster.h), checked by the world
 * after every event.
 *
 * A step runs one core, and only that core's state can have changed, so
 * the checker looks at the core the step called (sim_world_stepped_core):
 * the master's invariants when the master ran and its offers, holds or
 * frameworks' streams changed since the last check (master_mutations); an
 * agent's when that agent ran and its tasks' updates changed (agent_mutations).
 * A whole soak then costs a small part of its run time.
 */
#include <assert.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "agent.h"
#include "master.h"
#include "mc_assert.h"
#include "sim_cluster_internal.h"

/* Slots of the core -> agent table: a power of two, at least twice the agents. */
#define CHECKER_SLOTS 512u
static_assert(CHECKER_SLOTS >= 2u * SIM_CLUSTER_AGENTS_MAX, "the table stays at most half full");
static_assert((CHECKER_SLOTS & (CHECKER_SLOTS - 1u)) == 0, "a power of two");

struct checker_slot {
    const void *core; /* NULL: empty */
    uint32_t agent;
};

struct cluster_checker {
    struct sim_cluster *cluster;
    const struct master *checked_master; /* the incarnation last checked */
    uint64_t checked_mutations;
    /*
     * Which agent a stepped core is, without comparing it with every agent
     * after every event: open addressing on the core's address, rebuilt
     * when the cluster's agents_changes moves. Only lookups use it (a hit is
     * the same agent a scan would find); nothing iterates over it, so
     * addresses never decide an order.
     */
    struct checker_slot slots[CHECKER_SLOTS];
    uint64_t slots_changes; /* the cluster's agents_changes the table was built at */
    /* Each agent's agent_mutations when it was last checked; +1, 0 for never (these
     * incarnations: the table is built again, and these cleared, after a crash). */
    uint64_t agent_checked[SIM_CLUSTER_AGENTS_MAX];
};

static uint32_t slot_home(const void *core)
{
    uint64_t h = (uint64_t)(uintptr_t)core * UINT64_C(0x9e3779b97f4a7c15);
    return (uint32_t)(h >> 32) & (CHECKER_SLOTS - 1u);
}

static void slots_build(struct cluster_checker *k)
{
    const struct sim_cluster *c = k->cluster;
    memset(k->slots, 0, sizeof(k->slots));
    memset(k->agent_checked, 0, sizeof(k->agent_checked));
    for (uint32_t i = 0; i < c->agents_count; i++) {
        const void *core = c->agents[i].agent;
        if (core == NULL)
            continue;
        uint32_t s = slot_home(core);
        while (k->slots[s].core != NULL)
            s = (s + 1) & (CHECKER_SLOTS - 1u);
        k->slots[s].core = core;
        k->slots[s].agent = i;
    }
    k->slots_changes = c->agents_changes;
}

/* The number of the live agent whose core is core, or -1. */
static int64_t agent_index(struct cluster_checker *k, const void *core)
{
    const struct sim_cluster *c = k->cluster;
    if (k->slots_changes != c->agents_changes)
        slots_build(k);
    for (uint32_t s = slot_home(core);; s = (s + 1) & (CHECKER_SLOTS - 1u)) {
        if (k->slots[s].core == NULL)
            return -1;
        if (k->slots[s].core == core) {
            MC_ASSERT(c->agents[k->slots[s].agent].agent == core);
            return k->slots[s].agent;
        }
    }
}

/* The live agent whose core is core, or NULL. */
static struct agent *agent_of(struct cluster_checker *k, const void *core)
{
    int64_t i = agent_index(k, core);
    return i >= 0 ? k->cluster->agents[i].agent : NULL;
}

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
    int64_t i = agent_index(k, core);
    if (i < 0)
        return 0;
    const struct agent *agent = c->agents[i].agent;
    uint64_t mutations = agent_mutations(agent) + 1;
    if (k->agent_checked[i] == mutations)
        return 0; /* nothing it checks changed since */
    k->agent_checked[i] = mutations;
    return agent_invariants_check(agent, text, text_bytes);
}

struct agent *sim__cluster_agent_of(struct sim_cluster *c, const void *core)
{
    return c->checker != NULL ? agent_of(c->checker, core) : NULL;
}

int sim__cluster_checks_add(struct sim_cluster *c)
{
    struct cluster_checker *k = mc_calloc(c->alloc, 1, sizeof(*k));
    if (k == NULL)
        return MC_ENOMEM;
    k->cluster = c;
    k->slots_changes = c->agents_changes - 1; /* built at the first check */
    c->checker = k;
    return sim_world_check_add(c->world, cluster_check, k);
}
