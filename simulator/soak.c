/*
 * soak.c: the soak behind `mesos-conform simulate` (soak.h).
 *
 * The run alternates between the world and the fault schedule: the world
 * runs up to the next thing the schedule must do (inject a fault, or undo
 * one: heal, release, restart a crashed agent), the schedule does it, and
 * so on to the end. Undo actions wait in a small list in time order; when
 * it is full no new fault is injected until one is undone.
 */
#include "soak.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cluster.h"
#include "mc_assert.h"
#include "mc_pool.h"
#include "synth.h"

#define SOAK_AGENT_RESOURCES "cpus:4;mem:8192;disk:65536;ports:[31000-32000]"
#define SOAK_FAILOVER_TIMEOUT_S 120.0
/* Faults waiting to be undone at once. */
#define SOAK_PENDING_MAX 64u
#define SOAK_ADDRESS_BYTES_MAX 48u

#define SEC RT_NS_PER_SEC

enum undo_kind { UNDO_HEAL, UNDO_RELEASE, UNDO_AGENT_RESTART };

struct undo {
    uint64_t at_ns;
    enum undo_kind kind;
    uint32_t partition;                   /* UNDO_HEAL */
    char address[SOAK_ADDRESS_BYTES_MAX]; /* UNDO_RELEASE: the node whose links are held */
    uint32_t agent;                       /* UNDO_AGENT_RESTART */
};

struct soak {
    const struct soak_options *o;
    struct sim_cluster *cluster;
    struct sim_world *world;
    struct synth *frameworks[SOAK_FRAMEWORKS_MAX];
    char fw_addresses[SOAK_FRAMEWORKS_MAX][SOAK_ADDRESS_BYTES_MAX];
    uint64_t fw_violations[SOAK_FRAMEWORKS_MAX]; /* as last reported by the checker */
    struct undo pending[SOAK_PENDING_MAX];       /* in time order */
    uint32_t pending_count;
    uint64_t faults;
};

static const char *const faults_names[] = {"none", "partitions", "chaos"};

const char *soak_faults_name(enum soak_faults f)
{
    return (unsigned)f < 3 ? faults_names[f] : "?";
}

int soak_faults_parse(const char *text, enum soak_faults *out)
{
    for (unsigned i = 0; i < 3; i++)
        if (strcmp(text, faults_names[i]) == 0) {
            *out = (enum soak_faults)i;
            return 0;
        }
    return MC_EINVAL;
}

static uint64_t draw(struct soak *k, uint64_t lo, uint64_t hi)
{
    MC_ASSERT(hi >= lo);
    return mc_rng_between(sim_world_rng(k->world), lo, hi);
}

/* The synthetic frameworks' own invariant: reported once per new breach. */
static int frameworks_check(void *ctx, const struct sim_world *world, char *text, size_t n)
{
    struct soak *k = ctx;
    void *core = sim_world_stepped_core(world);
    for (uint32_t i = 0; core != NULL && i < k->o->frameworks; i++) {
        if (core != k->frameworks[i])
            continue;
        const char *first = NULL;
        uint64_t v = synth_violations(k->frameworks[i], &first);
        if (v == k->fw_violations[i])
            return 0;
        k->fw_violations[i] = v;
        snprintf(text, n, "%s", first != NULL ? first : "a framework saw a breach");
        return 1;
    }
    return 0;
}

static int frameworks_start(struct soak *k)
{
    for (uint32_t i = 0; i < k->o->frameworks; i++) {
        char name[32];
        snprintf(name, sizeof(name), "fw-%u", i + 1);
        snprintf(k->fw_addresses[i], sizeof(k->fw_addresses[i]), "%s:1", name);
        struct rt *rt;
        int err = sim_node_add(k->world, k->fw_addresses[i], &synth_node_ops, NULL, &rt);
        /* Half partition-aware and checkpointing (the watched ones), a quarter in JSON. */
        struct synth_config cfg = {name, SIM_CLUSTER_MASTER_ADDRESS, i % 2 == 0, i % 2 == 0,
                                   i % 4 == 3, SOAK_FAILOVER_TIMEOUT_S};
        if (err == 0)
            err = synth_create(rt, &cfg, &k->frameworks[i]);
        if (err == 0)
            err = sim_node_bind(k->world, k->fw_addresses[i], k->frameworks[i]);
        if (err != 0)
            return err;
    }
    return 0;
}

static void pending_add(struct soak *k, const struct undo *u)
{
    MC_ASSERT(k->pending_count < SOAK_PENDING_MAX);
    uint32_t at = k->pending_count;
    while (at > 0 && k->pending[at - 1].at_ns > u->at_ns) {
        k->pending[at] = k->pending[at - 1];
        at--;
    }
    k->pending[at] = *u;
    k->pending_count++;
}

/* Cuts address from the master for 10 s to 3 min. */
static void partition_from_master(struct soak *k, const char *address)
{
    const char *a[1] = {address};
    const char *b[1] = {SIM_CLUSTER_MASTER_ADDRESS};
    uint32_t id;
    if (sim_partition(k->world, a, 1, b, 1, SIM_PARTITION_SYMMETRIC, &id) != 0)
        return;
    struct undo u = {sim_world_now_ns(k->world) + draw(k, 10 * SEC, 180 * SEC), UNDO_HEAL, id, "",
                     0};
    pending_add(k, &u);
    k->faults++;
}

static void hold_with_master(struct soak *k, const char *address)
{
    if (sim_link_hold(k->world, address, SIM_CLUSTER_MASTER_ADDRESS) != 0)
        return;
    if (sim_link_hold(k->world, SIM_CLUSTER_MASTER_ADDRESS, address) != 0) {
        int err = sim_link_release(k->world, address, SIM_CLUSTER_MASTER_ADDRESS);
        MC_ASSERT(err == 0); /* it was held just above */
        return;
    }
    struct undo u = {sim_world_now_ns(k->world) + draw(k, 1 * SEC, 20 * SEC), UNDO_RELEASE, 0, "",
                     0};
    snprintf(u.address, sizeof(u.address), "%s", address);
    pending_add(k, &u);
    k->faults++;
}

static int agent_crash(struct soak *k, uint32_t i)
{
    if (sim_cluster_agent(k->cluster, i) == NULL)
        return 0;
    int err = sim_cluster_agent_crash(k->cluster, i);
    if (err != 0)
        return err;
    struct undo u = {sim_world_now_ns(k->world) + draw(k, 1 * SEC, 60 * SEC), UNDO_AGENT_RESTART,
                     0, "", i};
    pending_add(k, &u);
    k->faults++;
    return 0;
}

/* One fault of the mode's mix. */
static int fault_inject(struct soak *k)
{
    uint32_t agents = k->o->agents, fws = k->o->frameworks;
    uint64_t r = draw(k, 0, 99);
    if (k->o->faults == SOAK_FAULTS_PARTITIONS)
        r = r < 80 ? 0 : 45;
    if (r < 40 && agents > 0) {
        partition_from_master(
            k, sim_cluster_agent_address(k->cluster, (uint32_t)draw(k, 0, agents - 1)));
    } else if (r < 55 && fws > 0) {
        partition_from_master(k, k->fw_addresses[draw(k, 0, fws - 1)]);
    } else if (r < 70 && fws > 0) {
        if (sim_node_reset_connections(k->world, k->fw_addresses[draw(k, 0, fws - 1)]) >= 0)
            k->faults++;
    } else if (r < 80 && fws > 0) {
        hold_with_master(k, k->fw_addresses[draw(k, 0, fws - 1)]);
    } else if (r < 92 && agents > 0) {
        return agent_crash(k, (uint32_t)draw(k, 0, agents - 1));
    } else if (r >= 92) {
        k->faults++;
        return sim_cluster_master_restart(k->cluster);
    }
    return 0;
}

static int undo_run(struct soak *k, const struct undo *u)
{
    switch (u->kind) {
    case UNDO_HEAL:
        return sim_heal(k->world, u->partition);
    case UNDO_RELEASE:
    {
        int err = sim_link_release(k->world, u->address, SIM_CLUSTER_MASTER_ADDRESS);
        int err2 = sim_link_release(k->world, SIM_CLUSTER_MASTER_ADDRESS, u->address);
        return err != 0 ? err : err2;
    }
    case UNDO_AGENT_RESTART:
        return sim_cluster_agent_restart(k->cluster, u->agent);
    }
    return 0;
}

static int schedule_run(struct soak *k)
{
    uint64_t end = k->o->duration_ns;
    int faults = k->o->faults != SOAK_FAULTS_NONE;
    uint64_t next_fault = faults ? draw(k, 30 * SEC, 300 * SEC) : UINT64_MAX;
    for (;;) {
        uint64_t t = end;
        if (next_fault < t)
            t = next_fault;
        if (k->pending_count > 0 && k->pending[0].at_ns < t)
            t = k->pending[0].at_ns;
        int err = sim_world_run_until(k->world, t);
        if (err != 0)
            return err;
        uint64_t now = sim_world_now_ns(k->world);
        if (now >= end)
            return 0;
        while (k->pending_count > 0 && k->pending[0].at_ns <= now) {
            struct undo u = k->pending[0];
            memmove(&k->pending[0], &k->pending[1], (k->pending_count - 1) * sizeof(u));
            k->pending_count--;
            err = undo_run(k, &u);
            if (err != 0)
                return err;
        }
        if (now >= next_fault) {
            /* Room for the undo of any fault: otherwise this one waits. */
            if (k->pending_count < SOAK_PENDING_MAX) {
                err = fault_inject(k);
                if (err != 0)
                    return err;
            }
            next_fault = now + draw(k, 30 * SEC, 300 * SEC);
        }
    }
}

static void result_fill(struct soak *k, struct soak_result *out)
{
    struct sim_stats st;
    sim_world_stats(k->world, &st);
    out->simulated_ns = sim_world_now_ns(k->world);
    out->events = st.events;
    out->messages = st.messages;
    out->faults = k->faults;
    for (uint32_t i = 0; i < k->o->frameworks; i++) {
        struct synth_stats s;
        synth_stats_get(k->frameworks[i], &s);
        out->tasks_launched += s.tasks_launched;
        out->tasks_finished += s.tasks_finished;
        out->tasks_failed += s.tasks_failed;
        out->tasks_killed += s.tasks_killed;
        out->tasks_lost += s.tasks_lost;
        out->subscribes += s.subscribes;
        out->offers += s.offers;
        out->updates += s.updates;
    }
    const char *first = NULL;
    out->invariant_violations = sim_world_violations(k->world, &out->first_violation_ns, &first);
    if (first != NULL)
        snprintf(out->first_violation, sizeof(out->first_violation), "%s", first);
    out->trace_hash = sim_world_trace_hash(k->world);
}

int soak_run(const struct soak_options *o, struct soak_result *out, struct mc_diag *diag)
{
    memset(out, 0, sizeof(*out));
    if (o->agents > SIM_CLUSTER_AGENTS_MAX || o->frameworks > SOAK_FRAMEWORKS_MAX) {
        mc_diag_set(diag, "at most %u agents and %u frameworks", SIM_CLUSTER_AGENTS_MAX,
                    SOAK_FRAMEWORKS_MAX);
        return MC_ELIMIT;
    }
    struct sim_cluster_agent_setup agents[SIM_CLUSTER_AGENTS_MAX];
    for (uint32_t i = 0; i < o->agents; i++) {
        snprintf(agents[i].name, sizeof(agents[i].name), "agent-%u", i + 1);
        agents[i].resources = SOAK_AGENT_RESOURCES;
    }
    struct sim_cluster_setup setup;
    sim_cluster_setup_init(&setup);
    setup.sim.seed = o->seed;
    setup.sim.events_max = MC_SIM_EVENTS_MAX;
    setup.checks_off = o->checks_off;
    setup.agents = agents;
    setup.agents_count = o->agents;
    struct soak k;
    memset(&k, 0, sizeof(k));
    k.o = o;
    /* Every core, message and framework of the soak allocates from one pool (mc_pool.h). */
    struct mc_pool pool;
    mc_pool_init(&pool, NULL);
    int err = sim_cluster_create(&setup, &pool.alloc, &k.cluster, diag);
    if (err != 0) {
        mc_pool_deinit(&pool);
        return err;
    }
    k.world = sim_cluster_world(k.cluster);
    if (o->trace != NULL)
        sim_world_trace_set(k.world, o->trace, o->trace_ctx);
    err = frameworks_start(&k);
    if (err == 0 && !o->checks_off)
        err = sim_world_check_add(k.world, frameworks_check, &k);
    if (err == 0)
        err = schedule_run(&k);
    if (err != 0)
        (void)sim_world_error(k.world, diag);
    result_fill(&k, out);
    for (uint32_t i = 0; i < o->frameworks; i++)
        synth_destroy(k.frameworks[i]);
    sim_cluster_destroy(k.cluster);
    mc_pool_deinit(&pool);
    return err;
}
