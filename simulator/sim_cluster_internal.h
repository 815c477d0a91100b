/*
 * sim_cluster_internal.h: what cluster.c and invariants.c share.
 */
#ifndef MC_SIM_CLUSTER_INTERNAL_H
#define MC_SIM_CLUSTER_INTERNAL_H

#include "cluster.h"

struct cluster_checker;

struct sim_cluster_node {
    char name[SIM_CLUSTER_AGENT_NAME_BYTES_MAX];
    char address[SIM_CLUSTER_AGENT_NAME_BYTES_MAX + 8];
    char *resources; /* owned; NULL: none */
    char ip[16];     /* its address in offers: 10.0.<n / 256>.<n % 256>, n from 1 */
    struct agent *agent; /* NULL while crashed */
};

struct sim_cluster {
    const struct mc_alloc *alloc;
    struct sim_cluster_setup setup; /* agents NULL: borrowed only at create */
    struct sim_world *world;
    struct master *master; /* NULL only inside a restart */
    struct sim_cluster_node *agents;
    uint32_t agents_count;
    uint64_t agents_changes;         /* moves whenever an agent's core comes or goes */
    struct cluster_checker *checker; /* invariants.c; NULL with checks off */
};

/* invariants.c: registers the cluster's invariants with its world. */
int sim__cluster_checks_add(struct sim_cluster *c) MC_MUST_USE;
/* The live agent whose core is core, as the checker finds it; else (or checks off) NULL. */
struct agent *sim__cluster_agent_of(struct sim_cluster *c, const void *core);

#endif
