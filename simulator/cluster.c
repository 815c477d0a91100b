/*
 * cluster.c: the reference master and agents in one simulated world
 * (cluster.h). The cluster keeps each core's configuration so that a
 * restart brings back the same node: only what the core stored durably
 * (the agent's id) survives, as on a real machine.
 */
#include "cluster.h"

#include <stdio.h>
#include <string.h>

#include "agent.h"
#include "master.h"
#include "mc_assert.h"
#include "sim_cluster_internal.h"

void sim_cluster_setup_init(struct sim_cluster_setup *setup)
{
    memset(setup, 0, sizeof(*setup));
    sim_options_default(&setup->sim);
}

static int master_start(struct sim_cluster *c, int restart)
{
    struct master_config cfg;
    master_config_init(&cfg);
    if (c->setup.heartbeat_interval_ns != 0)
        cfg.heartbeat_interval_ns = c->setup.heartbeat_interval_ns;
    if (c->setup.agent_ping_timeout_ns != 0)
        cfg.agent_ping_timeout_ns = c->setup.agent_ping_timeout_ns;
    if (c->setup.allocation_interval_ns != 0)
        cfg.allocation_interval_ns = c->setup.allocation_interval_ns;
    cfg.recovery_ns = restart ? (c->setup.recovery_restart_ns != 0 ? c->setup.recovery_restart_ns
                                                                   : SIM_CLUSTER_RECOVERY_NS)
                              : c->setup.recovery_ns;
    struct rt *rt;
    int err = restart ? sim_node_restart(c->world, SIM_CLUSTER_MASTER_ADDRESS, &master_node_ops,
                                         NULL, &rt)
                      : sim_node_add(c->world, SIM_CLUSTER_MASTER_ADDRESS, &master_node_ops, NULL,
                                     &rt);
    if (err == 0)
        err = master_create(rt, &cfg, &c->master);
    if (err == 0)
        err = sim_node_bind(c->world, SIM_CLUSTER_MASTER_ADDRESS, c->master);
    return err;
}

static int agent_start(struct sim_cluster *c, uint32_t i, int restart)
{
    struct sim_cluster_node *n = &c->agents[i];
    struct agent_config cfg;
    agent_config_init(&cfg);
    cfg.master = SIM_CLUSTER_MASTER_ADDRESS;
    cfg.hostname = n->name;
    cfg.port = SIM_CLUSTER_AGENT_PORT;
    cfg.ip = n->ip;
    cfg.resources = n->resources;
    if (c->setup.agent_ping_timeout_ns != 0)
        cfg.ping_timeout_ns = c->setup.agent_ping_timeout_ns;
    struct rt *rt;
    int err = restart ? sim_node_restart(c->world, n->address, &agent_node_ops, NULL, &rt)
                      : sim_node_add(c->world, n->address, &agent_node_ops, NULL, &rt);
    if (err == 0)
        err = agent_create(rt, &cfg, &n->agent);
    c->agents_changes++;
    if (err == 0)
        err = sim_node_bind(c->world, n->address, n->agent);
    return err;
}

/* Copies agent i's name and resources; the name must be new and fit. */
static int agent_setup_copy(struct sim_cluster *c, uint32_t i,
                            const struct sim_cluster_agent_setup *as, struct mc_diag *diag)
{
    struct sim_cluster_node *n = &c->agents[i];
    size_t len = strnlen(as->name, sizeof(as->name));
    if (len == 0 || len >= sizeof(as->name)) {
        mc_diag_set(diag, "agent %u: a name of 1 to %zu bytes is needed", i + 1,
                    sizeof(as->name) - 1);
        return MC_EINVAL;
    }
    for (uint32_t j = 0; j < i; j++)
        if (strcmp(c->agents[j].name, as->name) == 0) {
            mc_diag_set(diag, "agent %u: the name '%s' is taken", i + 1, as->name);
            return MC_EINVAL;
        }
    memcpy(n->name, as->name, len + 1);
    snprintf(n->address, sizeof(n->address), "%s:%d", n->name, SIM_CLUSTER_AGENT_PORT);
    snprintf(n->ip, sizeof(n->ip), "10.0.%u.%u", (i + 1) / 256u % 256u, (i + 1) % 256u);
    if (as->resources != NULL) {
        n->resources = mc_strdup(c->alloc, as->resources);
        if (n->resources == NULL)
            return MC_ENOMEM;
    }
    return 0;
}

int sim_cluster_create(const struct sim_cluster_setup *setup, const struct mc_alloc *alloc,
                       struct sim_cluster **out, struct mc_diag *diag)
{
    MC_ASSERT(setup != NULL && out != NULL);
    *out = NULL;
    if (alloc == NULL)
        alloc = mc_alloc_system();
    if (setup->agents_count > SIM_CLUSTER_AGENTS_MAX) {
        mc_diag_set(diag, "%u agents: a simulated cluster takes at most %u", setup->agents_count,
                    SIM_CLUSTER_AGENTS_MAX);
        return MC_ELIMIT;
    }
    struct sim_cluster *c = mc_calloc(alloc, 1, sizeof(*c));
    if (c == NULL)
        return MC_ENOMEM;
    c->alloc = alloc;
    c->setup = *setup;
    c->setup.agents = NULL; /* borrowed for this call only */
    c->agents_count = setup->agents_count;
    int err = 0;
    if (c->agents_count > 0) {
        c->agents = mc_calloc(alloc, c->agents_count, sizeof(*c->agents));
        err = c->agents == NULL ? MC_ENOMEM : 0;
    }
    for (uint32_t i = 0; err == 0 && i < c->agents_count; i++)
        err = agent_setup_copy(c, i, &setup->agents[i], diag);
    if (err == 0)
        err = sim_world_create(&setup->sim, alloc, &c->world, diag);
    if (err == 0 && !setup->checks_off)
        err = sim__cluster_checks_add(c);
    if (err == 0) {
        err = master_start(c, 0);
        if (err != 0)
            mc_diag_set(diag, "cannot start the simulated master: %s", mc_strerror(err));
    }
    for (uint32_t i = 0; err == 0 && i < c->agents_count; i++) {
        err = agent_start(c, i, 0);
        if (err != 0)
            mc_diag_set(diag, "cannot start the simulated agent %s: %s", c->agents[i].name,
                        mc_strerror(err));
    }
    if (err != 0) {
        sim_cluster_destroy(c);
        return err;
    }
    *out = c;
    return 0;
}

void sim_cluster_destroy(struct sim_cluster *c)
{
    if (c == NULL)
        return;
    for (uint32_t i = 0; c->agents != NULL && i < c->agents_count; i++) {
        agent_destroy(c->agents[i].agent);
        mc_free(c->alloc, c->agents[i].resources);
    }
    master_destroy(c->master);
    sim_world_destroy(c->world);
    mc_free(c->alloc, c->checker);
    mc_free(c->alloc, c->agents);
    mc_free(c->alloc, c);
}

struct sim_world *sim_cluster_world(struct sim_cluster *c)
{
    return c->world;
}

struct master *sim_cluster_master(struct sim_cluster *c)
{
    return c->master;
}

uint32_t sim_cluster_agents_count(const struct sim_cluster *c)
{
    return c->agents_count;
}

struct agent *sim_cluster_agent(struct sim_cluster *c, uint32_t i)
{
    MC_ASSERT(i < c->agents_count);
    return c->agents[i].agent;
}

const char *sim_cluster_agent_name(const struct sim_cluster *c, uint32_t i)
{
    MC_ASSERT(i < c->agents_count);
    return c->agents[i].name;
}

const char *sim_cluster_agent_address(const struct sim_cluster *c, uint32_t i)
{
    MC_ASSERT(i < c->agents_count);
    return c->agents[i].address;
}

int sim_cluster_agent_find(const struct sim_cluster *c, const char *name)
{
    for (uint32_t i = 0; i < c->agents_count; i++)
        if (strcmp(c->agents[i].name, name) == 0)
            return (int)i;
    return MC_ENOTFOUND;
}

int sim_cluster_master_restart(struct sim_cluster *c)
{
    int err = sim_node_crash(c->world, SIM_CLUSTER_MASTER_ADDRESS);
    if (err != 0)
        return err;
    master_destroy(c->master);
    c->master = NULL;
    return master_start(c, 1);
}

int sim_cluster_agent_crash(struct sim_cluster *c, uint32_t i)
{
    MC_ASSERT(i < c->agents_count);
    int err = sim_node_crash(c->world, c->agents[i].address);
    if (err != 0)
        return err;
    agent_destroy(c->agents[i].agent);
    c->agents[i].agent = NULL;
    c->agents_changes++;
    return 0;
}

int sim_cluster_agent_restart(struct sim_cluster *c, uint32_t i)
{
    MC_ASSERT(i < c->agents_count);
    if (c->agents[i].agent != NULL)
        return MC_ESTATE;
    return agent_start(c, i, 1);
}
