/*
 * cluster.h: a simulated Mesos cluster, the reference master and agents in
 * one world (sim.h), with the faults that need to know what a node is:
 * restarting the master, crashing and restarting an agent.
 *
 * The master lives at "master:5050"; agent i (0-based) at "<name>:5051"
 * with hostname <name> and the ip 10.0.x.y of its number i + 1 (offers
 * carry it in url.address.ip, as Mesos' carry the agent's libprocess ip).
 * The cluster owns the world and the cores; a harness (the scenario
 * target, `mesos-conform simulate`, the tests) adds its own client nodes
 * to sim_cluster_world and injects the plain network faults there. A restarted master comes back as a new core that recovers
 * from the durable store for recovery_restart_ns (SPEC S3) and finds its
 * agents and frameworks again as they re-register and resubscribe (M1); a
 * restarted agent comes back with its id from its store (A1).
 *
 * With checks on (the default), sim_cluster_create registers the cluster's
 * invariants (invariants.c) with the world, run after every event:
 *  - per agent, the resources in outstanding offers plus those of live
 *    tasks fit in the agent's total, and no resource is in two offers;
 *  - a task the master saw terminal never changes state again;
 *  - the stream ids of subscribed frameworks are unique;
 *  - every status update an agent holds unacknowledged has its retry
 *    timer armed (it is retried until acknowledged);
 *  - an agent sends at most one terminal state per task.
 */
#ifndef MC_SIM_CLUSTER_H
#define MC_SIM_CLUSTER_H

#include <stdint.h>

#include "mc_alloc.h"
#include "mc_diag.h"
#include "mc_err.h"
#include "sim.h"

struct master;
struct agent;

#define SIM_CLUSTER_MASTER_ADDRESS "master:5050"
#define SIM_CLUSTER_AGENT_PORT 5051
/* Agents of one cluster, and an agent's name ("a1", "agent-17"). */
#define SIM_CLUSTER_AGENTS_MAX 200u
#define SIM_CLUSTER_AGENT_NAME_BYTES_MAX 32u

struct sim_cluster_agent_setup {
    char name[SIM_CLUSTER_AGENT_NAME_BYTES_MAX];
    const char *resources; /* Mesos' resource text, borrowed for create; NULL: none */
};

struct sim_cluster_setup {
    struct sim_options sim;
    uint64_t heartbeat_interval_ns;  /* 0: Mesos' default (15 s) */
    uint64_t agent_ping_timeout_ns;  /* 0: default (15 s) */
    uint64_t allocation_interval_ns; /* 0: default (1 s) */
    uint64_t recovery_ns;            /* how long the first master answers 503; 0: none */
    uint64_t recovery_restart_ns;    /* the same after a restart; 0: SIM_CLUSTER_RECOVERY_NS */
    int checks_off;                  /* 1: register no invariant */
    const struct sim_cluster_agent_setup *agents; /* agents_count of them, borrowed */
    uint32_t agents_count;
};

/* How long a restarted master recovers (SPEC S3: about 20 ms in a real failover). */
#define SIM_CLUSTER_RECOVERY_NS (20u * 1000000u)

/* Zeroes setup and fills sim with sim_options_default. */
void sim_cluster_setup_init(struct sim_cluster_setup *setup);

struct sim_cluster;

/*
 * Creates the world, the master and the agents (each starts registering on
 * its own). alloc may be NULL (the system's). Errors: MC_EINVAL (an agent
 * name too long or repeated, bad options; diag says which), MC_ELIMIT past
 * SIM_CLUSTER_AGENTS_MAX, MC_ENOMEM.
 */
int sim_cluster_create(const struct sim_cluster_setup *setup, const struct mc_alloc *alloc,
                       struct sim_cluster **out, struct mc_diag *diag) MC_MUST_USE;

/* Destroys the cores, then the world. NULL is harmless. */
void sim_cluster_destroy(struct sim_cluster *c);

struct sim_world *sim_cluster_world(struct sim_cluster *c);
/* The live master, or NULL between a crash and its restart. */
struct master *sim_cluster_master(struct sim_cluster *c);
uint32_t sim_cluster_agents_count(const struct sim_cluster *c);
/* Agent i's core, NULL while it is crashed. */
struct agent *sim_cluster_agent(struct sim_cluster *c, uint32_t i);
/* Agent i's name and address ("<name>:5051"). */
const char *sim_cluster_agent_name(const struct sim_cluster *c, uint32_t i);
const char *sim_cluster_agent_address(const struct sim_cluster *c, uint32_t i);
/* The index of the agent called name, or MC_ENOTFOUND. */
int sim_cluster_agent_find(const struct sim_cluster *c, const char *name) MC_MUST_USE;

/* The master crashes and a new one starts at once (recovering, S3). */
int sim_cluster_master_restart(struct sim_cluster *c) MC_MUST_USE;
/* Agent i crashes (MC_ESTATE if it is down); restart brings it back with its id. */
int sim_cluster_agent_crash(struct sim_cluster *c, uint32_t i) MC_MUST_USE;
int sim_cluster_agent_restart(struct sim_cluster *c, uint32_t i) MC_MUST_USE;

#endif
