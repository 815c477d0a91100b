/*
 * soak.h: `mesos-conform simulate`, a long run of synthetic frameworks
 * (synth.h) on a simulated cluster (cluster.h) under a fault schedule.
 *
 * Nodes: the master, agents "agent-1".."agent-N" (cpus:4;mem:8192;
 * disk:65536;ports:[31000-32000] each), frameworks "fw-1".."fw-M" (every
 * other one PARTITION_AWARE and checkpointing, every fourth one speaking JSON, the rest
 * protobuf). Faults, all drawn from the world's generator:
 *   none        nothing goes wrong;
 *   partitions  every 30 s to 5 min (uniform) an agent, or now and then a
 *               framework, is cut from the master for 10 s to 3 min (long
 *               enough, often, to make an agent unreachable), then healed;
 *   chaos       partitions as above, plus connection resets of frameworks,
 *               held links released after up to 20 s, agent crashes with a
 *               restart 1 to 60 s later, and master restarts.
 * The run never reads a clock: wall time is the caller's to measure.
 */
#ifndef MC_SIM_SOAK_H
#define MC_SIM_SOAK_H

#include <stdint.h>

#include "mc_diag.h"
#include "mc_err.h"
#include "sim.h"

enum soak_faults { SOAK_FAULTS_NONE, SOAK_FAULTS_PARTITIONS, SOAK_FAULTS_CHAOS };

/* Frameworks of one soak (agents: SIM_CLUSTER_AGENTS_MAX). */
#define SOAK_FRAMEWORKS_MAX 100u

struct soak_options {
    uint64_t seed;
    uint32_t agents;
    uint32_t frameworks;
    uint64_t duration_ns;
    enum soak_faults faults;
    int checks_off;       /* 1: no invariant is checked (for measuring their cost) */
    sim_trace_fn trace;   /* every trace line, or NULL */
    void *trace_ctx;
};

struct soak_result {
    uint64_t simulated_ns;
    uint64_t events;
    uint64_t messages;
    uint64_t faults;          /* faults injected by the schedule */
    uint64_t tasks_launched;
    uint64_t tasks_finished;
    uint64_t tasks_failed;
    uint64_t tasks_killed;
    uint64_t tasks_lost;
    uint64_t subscribes;
    uint64_t offers;          /* offers the frameworks received */
    uint64_t updates;         /* UPDATE events they received */
    uint64_t invariant_violations;
    uint64_t first_violation_ns;
    char first_violation[MC_DIAG_TEXT_BYTES_MAX]; /* "" when none */
    uint64_t trace_hash;
};

/* The name of a fault mode ("none", ...), and back: 0 or MC_EINVAL. */
const char *soak_faults_name(enum soak_faults f);
int soak_faults_parse(const char *text, enum soak_faults *out) MC_MUST_USE;

/*
 * Runs the soak to its end. Returns 0 (violations are in the result, not
 * an error), MC_EINVAL/MC_ELIMIT for options out of range (diag says which)
 * or the world's own error (MC_ENOMEM, MC_ELIMIT) with diag.
 */
int soak_run(const struct soak_options *o, struct soak_result *out,
             struct mc_diag *diag) MC_MUST_USE;

#endif
