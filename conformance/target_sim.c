/*
 * target_sim.c: the simulated reference as a target. One world per target:
 * the reference master at "master:5050", each agent of the setup a
 * reference agent at "<agent>:5051" (hostname <agent>), each actor a client
 * node at "<actor>:1". Advancing runs the world event by event, so a `done`
 * predicate is checked after each event and time stops exactly there.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "master.h"
#include "mc_assert.h"
#include "sim.h"
#include "target_internal.h"

#define SIM_MASTER_ADDRESS "master:5050"

struct target_sim {
    struct target base; /* first: a struct target * is a struct target_sim * */
    struct sim_world *world;
    struct master *master;
    struct target_setup setup; /* agents' resources cleared: borrowed only at create */
    struct agent *agents[TARGET_AGENTS_MAX];
    uint32_t agents_count;
};

static int sim_actor_attach(struct target *t, struct target_actor *a)
{
    struct target_sim *s = (struct target_sim *)t;
    char address[TARGET_ACTOR_NAME_BYTES_MAX + 8];
    snprintf(address, sizeof(address), "%s:1", a->name);
    struct rt *rt;
    int err = sim_node_add(s->world, address, &client_node_ops, &a->client, &rt);
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
    for (uint32_t i = 0; i < s->agents_count; i++)
        agent_destroy(s->agents[i]);
    master_destroy(s->master);
    target__actors_deinit(t);
    sim_world_destroy(s->world);
    free(s);
}

/* A fault name as a node address: "master", an agent's or an actor's name. */
static int sim_address(const struct target_sim *s, const char *name, char *out, size_t out_bytes)
{
    if (strcmp(name, "master") == 0) {
        snprintf(out, out_bytes, "%s", SIM_MASTER_ADDRESS);
        return 0;
    }
    for (uint32_t i = 0; i < s->setup.agents_count; i++)
        if (strcmp(s->setup.agents[i].name, name) == 0) {
            snprintf(out, out_bytes, "%s:5051", name);
            return 0;
        }
    for (uint32_t i = 0; i < s->base.actors_count; i++)
        if (strcmp(s->base.actors[i].name, name) == 0) {
            snprintf(out, out_bytes, "%s:1", name);
            return 0;
        }
    return MC_ENOTFOUND;
}

#define SIM_SIDE_MAX 16

static int sim_side(const struct target_sim *s, const char *const *names, uint32_t n,
                    char addresses[][TARGET_ACTOR_NAME_BYTES_MAX + 8], const char **out)
{
    if (n > SIM_SIDE_MAX)
        return MC_ELIMIT;
    for (uint32_t i = 0; i < n; i++) {
        int err = sim_address(s, names[i], addresses[i], TARGET_ACTOR_NAME_BYTES_MAX + 8);
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
    char aa[SIM_SIDE_MAX][TARGET_ACTOR_NAME_BYTES_MAX + 8], bb[SIM_SIDE_MAX][TARGET_ACTOR_NAME_BYTES_MAX + 8];
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

static int sim_hold_names(struct target *t, const char *actor, int release)
{
    struct target_sim *s = (struct target_sim *)t;
    char addr[TARGET_ACTOR_NAME_BYTES_MAX + 8];
    int err = sim_address(s, actor, addr, sizeof(addr));
    if (err != 0)
        return err;
    if (release) {
        err = sim_link_release(s->world, addr, SIM_MASTER_ADDRESS);
        int err2 = sim_link_release(s->world, SIM_MASTER_ADDRESS, addr);
        return err != 0 ? err : err2;
    }
    err = sim_link_hold(s->world, addr, SIM_MASTER_ADDRESS);
    int err2 = sim_link_hold(s->world, SIM_MASTER_ADDRESS, addr);
    return err != 0 ? err : err2;
}

static int sim_reset_exchange(struct target *t, struct target_actor *a, int exchange)
{
    const struct client_exchange *x = client_exchange_get(&a->client, exchange);
    return sim_conn_reset(((struct target_sim *)t)->world, x->call);
}

static int master_start(struct target_sim *s, const struct target_setup *setup,
                        struct mc_diag *diag, int restart);

/* The master crashes; a new one starts at the same address and recovers (S3, M1). */
static int sim_restart_master(struct target *t)
{
    struct target_sim *s = (struct target_sim *)t;
    int err = sim_node_crash(s->world, SIM_MASTER_ADDRESS);
    if (err != 0)
        return err;
    master_destroy(s->master);
    s->master = NULL;
    return master_start(s, &s->setup, NULL, 1);
}

static const struct target_ops sim_ops = {
    sim_actor_attach, sim_advance,         sim_now,          sim_hash,
    sim_destroy,      sim_partition_names, sim_heal_names,   sim_hold_names,
    sim_reset_exchange, sim_restart_master,
};

/* How long a restarted master answers 503 (SPEC S3: about 20 ms in a real failover). */
#define SIM_MASTER_RESTART_RECOVERY_NS (20u * 1000000u)

static int master_start(struct target_sim *s, const struct target_setup *setup,
                        struct mc_diag *diag, int restart)
{
    struct master_config cfg;
    master_config_init(&cfg);
    if (setup->heartbeat_interval_ns != 0)
        cfg.heartbeat_interval_ns = setup->heartbeat_interval_ns;
    if (setup->agent_ping_timeout_ns != 0)
        cfg.agent_ping_timeout_ns = setup->agent_ping_timeout_ns;
    if (setup->allocation_interval_ns != 0)
        cfg.allocation_interval_ns = setup->allocation_interval_ns;
    cfg.recovery_ns = restart ? SIM_MASTER_RESTART_RECOVERY_NS : setup->master_recovery_ns;
    struct rt *rt;
    int err = restart ? sim_node_restart(s->world, SIM_MASTER_ADDRESS, &master_node_ops, NULL, &rt)
                      : sim_node_add(s->world, SIM_MASTER_ADDRESS, &master_node_ops, NULL, &rt);
    if (err == 0)
        err = master_create(rt, &cfg, &s->master);
    if (err == 0)
        err = sim_node_bind(s->world, SIM_MASTER_ADDRESS, s->master);
    if (err != 0)
        mc_diag_set(diag, "cannot start the simulated master: %s", mc_strerror(err));
    return err;
}

/* Starts the setup's agents, each pointed at the master (they register on their own). */
static int agents_start(struct target_sim *s, const struct target_setup *setup,
                        struct mc_diag *diag)
{
    MC_ASSERT(setup->agents_count <= TARGET_AGENTS_MAX);
    for (uint32_t i = 0; i < setup->agents_count; i++) {
        const struct target_agent_setup *as = &setup->agents[i];
        char address[TARGET_ACTOR_NAME_BYTES_MAX + 8];
        snprintf(address, sizeof(address), "%s:5051", as->name);
        struct agent_config cfg;
        agent_config_init(&cfg);
        cfg.master = SIM_MASTER_ADDRESS;
        cfg.hostname = as->name;
        cfg.port = 5051;
        cfg.resources = as->resources;
        if (setup->agent_ping_timeout_ns != 0)
            cfg.ping_timeout_ns = setup->agent_ping_timeout_ns;
        struct rt *rt;
        int err = sim_node_add(s->world, address, &agent_node_ops, NULL, &rt);
        if (err == 0)
            err = agent_create(rt, &cfg, &s->agents[s->agents_count]);
        if (err == 0) {
            s->agents_count++;
            err = sim_node_bind(s->world, address, s->agents[s->agents_count - 1]);
        }
        if (err != 0) {
            mc_diag_set(diag, "cannot start the simulated agent %s: %s", as->name,
                        mc_strerror(err));
            return err;
        }
    }
    for (uint32_t i = 0; i < s->setup.agents_count; i++)
        s->setup.agents[i].resources = NULL; /* borrowed for this call only */
    return 0;
}

int target_sim_create(const struct target_setup *setup, struct target **out, struct mc_diag *diag)
{
    *out = NULL;
    struct target_sim *s = calloc(1, sizeof(*s));
    if (s == NULL)
        return MC_ENOMEM;
    s->base.ops = &sim_ops;
    s->setup = *setup;
    s->base.caps = (struct target_caps){1, 1, 1};
    snprintf(s->base.master_address, sizeof(s->base.master_address), "%s", SIM_MASTER_ADDRESS);
    struct sim_options o;
    sim_options_default(&o);
    o.seed = setup->seed;
    if (setup->latency_ns_min != 0 || setup->latency_ns_jitter != 0) {
        o.latency_ns_min = setup->latency_ns_min;
        o.latency_ns_jitter = setup->latency_ns_jitter;
    }
    int err = sim_world_create(&o, NULL, &s->world, diag);
    if (err == 0)
        err = master_start(s, setup, diag, 0);
    if (err == 0)
        err = agents_start(s, setup, diag);
    if (err != 0) {
        sim_destroy(&s->base);
        return err;
    }
    *out = &s->base;
    return 0;
}
