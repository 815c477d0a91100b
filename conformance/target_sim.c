/*
 * target_sim.c: the simulated reference as a target. One simulated cluster
 * (simulator/cluster.h) per target: the reference master at "master:5050",
 * each agent of the setup a reference agent at "<agent>:5051" (hostname
 * <agent>), with the cluster's invariants checked after every event; each
 * actor is a client node at "<actor>:1". Advancing runs the world event by
 * event, so a `done` predicate is checked after each event and time stops
 * exactly there.
 *
 * Every fault exists here. Node faults are the cluster's (restart master,
 * crash and restart an agent), network faults the world's (partition,
 * hold, reset), and two act on one actor's stream: split cuts the bytes
 * the actor's client receives into pieces (target.c, at the receiving end,
 * on top of the world's own random splitting), and drop heartbeats is the
 * world's delivery filter, which discards the master's HEARTBEAT records to
 * that actor while the drop lasts (each stream_write is one chunk holding
 * one whole record when the filter sees it, before any splitting). Both
 * leave a note in the trace, and nothing here draws from the generator
 * or reads a clock, so a seed still gives one trace.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster.h"
#include "mc_assert.h"
#include "sim.h"
#include "target_internal.h"

#define SIM_ADDRESS_BYTES_MAX (TARGET_ACTOR_NAME_BYTES_MAX + 8)

struct target_sim {
    struct target base; /* first: a struct target * is a struct target_sim * */
    struct sim_cluster *cluster;
    struct sim_world *world; /* the cluster's */
};

static int sim_actor_attach(struct target *t, struct target_actor *a)
{
    struct target_sim *s = (struct target_sim *)t;
    char address[SIM_ADDRESS_BYTES_MAX];
    snprintf(address, sizeof(address), "%s:1", a->name);
    struct rt *rt;
    int err = sim_node_add(s->world, address, &target__actor_node_ops, a, &rt);
    if (err == 0)
        a->client.rt = rt;
    return err;
}

/* Runs events up to now + d_ns, stopping early once done() holds. */
static int sim_advance(struct target *t, uint64_t d_ns, int (*done)(void *), void *ctx,
                       int *stopped_early)
{
    struct target_sim *s = (struct target_sim *)t;
    uint64_t end = sim_world_now_ns(s->world) + d_ns;
    if (done != NULL && done(ctx)) {
        *stopped_early = 1;
        return 0;
    }
    for (;;) {
        uint64_t next;
        if (sim_world_next_ns(s->world, &next) != 0 || next > end)
            break;
        int r = sim_world_step(s->world);
        if (r < 0)
            return r;
        if (done != NULL && done(ctx)) {
            *stopped_early = 1;
            return 0;
        }
    }
    return sim_world_run_until(s->world, end);
}

static uint64_t sim_now(const struct target *t)
{
    return sim_world_now_ns(((const struct target_sim *)t)->world);
}

static uint64_t sim_hash(const struct target *t)
{
    return sim_world_trace_hash(((const struct target_sim *)t)->world);
}

static void sim_destroy(struct target *t)
{
    struct target_sim *s = (struct target_sim *)t;
    target__actors_deinit(t);
    sim_cluster_destroy(s->cluster);
    free(s);
}

/* Everything is possible here, for any agent of the setup. */
static int sim_can(const struct target *t, enum target_ability what, const char *name, char *why,
                   size_t why_bytes)
{
    const struct target_sim *s = (const struct target_sim *)t;
    int agent = what == TARGET_CAN_AGENT || what == TARGET_CAN_CRASH_AGENT ||
                what == TARGET_CAN_RESTART_AGENT;
    if (agent && sim_cluster_agent_find(s->cluster, name) < 0) {
        snprintf(why, why_bytes, "the simulated cluster has no agent %s", name);
        return 0;
    }
    return 1;
}

/* A fault name as a node address: "master", an agent's or an actor's name. */
static int sim_address(const struct target_sim *s, const char *name, char *out, size_t out_bytes)
{
    if (strcmp(name, "master") == 0) {
        snprintf(out, out_bytes, "%s", SIM_CLUSTER_MASTER_ADDRESS);
        return 0;
    }
    int i = sim_cluster_agent_find(s->cluster, name);
    if (i >= 0) {
        snprintf(out, out_bytes, "%s", sim_cluster_agent_address(s->cluster, (uint32_t)i));
        return 0;
    }
    /* An actor, maybe one that has sent nothing yet (the world takes addresses to come). */
    if (strlen(name) == 0 || strlen(name) >= TARGET_ACTOR_NAME_BYTES_MAX)
        return MC_ENOTFOUND;
    snprintf(out, out_bytes, "%s:1", name);
    return 0;
}

#define SIM_SIDE_MAX 16

static int sim_side(const struct target_sim *s, const char *const *names, uint32_t n,
                    char addresses[][SIM_ADDRESS_BYTES_MAX], const char **out)
{
    if (n > SIM_SIDE_MAX)
        return MC_ELIMIT;
    for (uint32_t i = 0; i < n; i++) {
        int err = sim_address(s, names[i], addresses[i], SIM_ADDRESS_BYTES_MAX);
        if (err != 0)
            return err;
        out[i] = addresses[i];
    }
    return 0;
}

static int sim_partition_names(struct target *t, const char *const *a, uint32_t na,
                               const char *const *b, uint32_t nb)
{
    struct target_sim *s = (struct target_sim *)t;
    char aa[SIM_SIDE_MAX][SIM_ADDRESS_BYTES_MAX], bb[SIM_SIDE_MAX][SIM_ADDRESS_BYTES_MAX];
    const char *pa[SIM_SIDE_MAX], *pb[SIM_SIDE_MAX];
    int err = sim_side(s, a, na, aa, pa);
    if (err == 0)
        err = sim_side(s, b, nb, bb, pb);
    uint32_t id;
    return err != 0 ? err : sim_partition(s->world, pa, na, pb, nb, SIM_PARTITION_SYMMETRIC, &id);
}

static int sim_heal_names(struct target *t)
{
    sim_heal_all(((struct target_sim *)t)->world);
    return 0;
}

static int sim_hold_actor(struct target *t, struct target_actor *a, int release)
{
    struct target_sim *s = (struct target_sim *)t;
    char addr[SIM_ADDRESS_BYTES_MAX];
    snprintf(addr, sizeof(addr), "%s:1", a->name);
    if (release) {
        int err = sim_link_release(s->world, addr, SIM_CLUSTER_MASTER_ADDRESS);
        int err2 = sim_link_release(s->world, SIM_CLUSTER_MASTER_ADDRESS, addr);
        return err != 0 ? err : err2;
    }
    int err = sim_link_hold(s->world, addr, SIM_CLUSTER_MASTER_ADDRESS);
    int err2 = sim_link_hold(s->world, SIM_CLUSTER_MASTER_ADDRESS, addr);
    return err != 0 ? err : err2;
}

static int sim_reset_exchange(struct target *t, struct target_actor *a, int exchange)
{
    const struct client_exchange *x = client_exchange_get(&a->client, exchange);
    return sim_conn_reset(((struct target_sim *)t)->world, x->call);
}

static void sim_note(struct target *t, const char *text)
{
    sim_world_trace_note(((struct target_sim *)t)->world, text);
}

static int sim_split_actor(struct target *t, struct target_actor *a)
{
    char note[96];
    snprintf(note, sizeof(note), "split %s %" PRIu32, a->name, a->split_bytes);
    sim_note(t, note);
    return 0;
}

/*
 * The world's one delivery filter: drops a HEARTBEAT record the master
 * sends an actor whose drop lasts. It reads the clock but changes nothing.
 */
static enum sim_filter_verdict heartbeat_filter(void *ctx, const struct sim_delivery_info *info,
                                                uint64_t *delay_ns)
{
    struct target_sim *s = ctx;
    (void)delay_ns;
    if (info->kind != SIM_DELIVERY_DATA || strcmp(info->from, SIM_CLUSTER_MASTER_ADDRESS) != 0)
        return SIM_FILTER_PASS;
    uint64_t now = sim_world_now_ns(s->world);
    for (uint32_t i = 0; i < s->base.actors_count; i++) {
        const struct target_actor *a = &s->base.actors[i];
        size_t n = strlen(a->name);
        if (a->drop_until_ns > now && strncmp(info->to, a->name, n) == 0 &&
            strcmp(info->to + n, ":1") == 0)
            return target__chunk_is_heartbeat(info->bytes, info->len) ? SIM_FILTER_DROP
                                                                       : SIM_FILTER_PASS;
    }
    return SIM_FILTER_PASS;
}

static int sim_drop_heartbeats(struct target *t, struct target_actor *a, uint64_t d_ns)
{
    struct target_sim *s = (struct target_sim *)t;
    uint64_t now = sim_world_now_ns(s->world);
    a->drop_until_ns = d_ns > UINT64_MAX - now ? UINT64_MAX : now + d_ns;
    char note[128];
    snprintf(note, sizeof(note), "drop heartbeats %s for %" PRIu64 " ns", a->name, d_ns);
    sim_note(t, note);
    return 0;
}

/* The master crashes; a new one starts at the same address and recovers (S3, M1). */
static int sim_restart_master(struct target *t)
{
    return sim_cluster_master_restart(((struct target_sim *)t)->cluster);
}

static int sim_crash_agent(struct target *t, const char *agent)
{
    struct target_sim *s = (struct target_sim *)t;
    int i = sim_cluster_agent_find(s->cluster, agent);
    return i < 0 ? i : sim_cluster_agent_crash(s->cluster, (uint32_t)i);
}

/* Back with its id (A1); an agent still up crashes first, as restart master does. */
static int sim_restart_agent(struct target *t, const char *agent)
{
    struct target_sim *s = (struct target_sim *)t;
    int i = sim_cluster_agent_find(s->cluster, agent);
    if (i < 0)
        return i;
    if (sim_cluster_agent(s->cluster, (uint32_t)i) != NULL) {
        int err = sim_cluster_agent_crash(s->cluster, (uint32_t)i);
        if (err != 0)
            return err;
    }
    return sim_cluster_agent_restart(s->cluster, (uint32_t)i);
}

static uint64_t sim_violations(const struct target *t, uint64_t *first_ns, const char **first_text)
{
    return sim_world_violations(((const struct target_sim *)t)->world, first_ns, first_text);
}

static const struct target_ops sim_ops = {
    .actor_attach = sim_actor_attach,
    .advance = sim_advance,
    .now_ns = sim_now,
    .trace_hash = sim_hash,
    .destroy = sim_destroy,
    .can = sim_can,
    .partition = sim_partition_names,
    .heal = sim_heal_names,
    .hold = sim_hold_actor,
    .reset = sim_reset_exchange,
    .split = sim_split_actor,
    .drop_heartbeats = sim_drop_heartbeats,
    .restart_master = sim_restart_master,
    .crash_agent = sim_crash_agent,
    .restart_agent = sim_restart_agent,
    .violations = sim_violations,
    .note = sim_note,
};

/* The scenario's setup as the cluster's. */
static void cluster_setup_fill(const struct target_setup *setup, struct sim_cluster_setup *cs,
                               struct sim_cluster_agent_setup *agents)
{
    sim_cluster_setup_init(cs);
    cs->sim.seed = setup->seed;
    if (setup->latency_ns_min != 0 || setup->latency_ns_jitter != 0) {
        cs->sim.latency_ns_min = setup->latency_ns_min;
        cs->sim.latency_ns_jitter = setup->latency_ns_jitter;
    }
    cs->heartbeat_interval_ns = setup->heartbeat_interval_ns;
    cs->agent_ping_timeout_ns = setup->agent_ping_timeout_ns;
    cs->allocation_interval_ns = setup->allocation_interval_ns;
    cs->recovery_ns = setup->master_recovery_ns;
    for (uint32_t i = 0; i < setup->agents_count; i++) {
        _Static_assert(sizeof(agents[i].name) >= sizeof(setup->agents[i].name),
                       "a scenario's agent name fits the cluster's");
        snprintf(agents[i].name, sizeof(agents[i].name), "%s", setup->agents[i].name);
        agents[i].resources = setup->agents[i].resources;
    }
    cs->agents = agents;
    cs->agents_count = setup->agents_count;
}

int target_sim_create(const struct target_setup *setup, struct target **out, struct mc_diag *diag)
{
    *out = NULL;
    if (setup->agents_count > TARGET_AGENTS_MAX) {
        mc_diag_set(diag, "%u agents: the sim target takes at most %u", setup->agents_count,
                    TARGET_AGENTS_MAX);
        return MC_ELIMIT;
    }
    struct target_sim *s = calloc(1, sizeof(*s));
    if (s == NULL)
        return MC_ENOMEM;
    s->base.ops = &sim_ops;
    s->base.caps.time_jumps = 1;
    s->base.caps.trace_hash = 1;
    s->base.caps.faults = TARGET_FAULT_PARTITION | TARGET_FAULT_PARTITION_AGENTS |
                          TARGET_FAULT_HOLD | TARGET_FAULT_RESET | TARGET_FAULT_SPLIT |
                          TARGET_FAULT_DROP_HEARTBEATS | TARGET_FAULT_RESTART_MASTER |
                          TARGET_FAULT_AGENTS;
    snprintf(s->base.master_address, sizeof(s->base.master_address), "%s",
             SIM_CLUSTER_MASTER_ADDRESS);
    struct sim_cluster_setup cs;
    struct sim_cluster_agent_setup agents[TARGET_AGENTS_MAX];
    memset(agents, 0, sizeof(agents));
    cluster_setup_fill(setup, &cs, agents);
    int err = sim_cluster_create(&cs, NULL, &s->cluster, diag);
    if (err != 0) {
        free(s);
        return err;
    }
    s->world = sim_cluster_world(s->cluster);
    sim_world_filter_set(s->world, heartbeat_filter, s);
    if (setup->check != NULL && (err = sim_world_check_add(s->world, setup->check,
                                                           setup->check_ctx)) != 0) {
        sim_cluster_destroy(s->cluster);
        free(s);
        return err;
    }
    *out = &s->base;
    return 0;
}
