/*
 * synth.h: a synthetic framework, the scheduler `mesos-conform simulate`
 * runs by the dozen against the simulated cluster.
 *
 * It speaks the v1 scheduler API through a struct rt like any node:
 * subscribes (again with its id after its stream ends, from scratch after
 * an ERROR), reconciles implicitly after each SUBSCRIBED, accepts offers to
 * launch short tasks ("true", "false", "sleep N", or a long one it kills
 * later) and declines the rest with a filter, acknowledges every update
 * that carries a uuid, and now and then reconciles its tasks explicitly,
 * kills one, or hangs up its stream and resubscribes, as real frameworks
 * fail over. Every choice comes from the runtime's generator, so a world's
 * seed fixes the framework's whole life.
 *
 * It also watches what it is told: a PARTITION_AWARE framework that
 * checkpoints must never see two different terminal states for one task.
 * For the others Mesos itself reports TASK_LOST for a task that may still
 * run and finish (SPEC A3 without PARTITION_AWARE; A6 without checkpoint),
 * so they may.
 * A breach is counted (synth_violations), never asserted.
 */
#ifndef MC_SIM_SYNTH_H
#define MC_SIM_SYNTH_H

#include <stddef.h>
#include <stdint.h>

#include "mc_err.h"
#include "rt.h"

/* Live tasks of one synthetic framework, and tasks it remembers at all. */
#define SYNTH_TASKS_LIVE_MAX 32u
#define SYNTH_TASKS_MAX (1u << 20)

struct synth_config {
    const char *name;   /* the framework's name and task id prefix, copied */
    const char *master; /* "host:port", copied */
    int partition_aware;
    int checkpoint;     /* FrameworkInfo.checkpoint: its tasks survive a broken agent link (A6) */
    int json;           /* 1: JSON calls and events; 0: protobuf */
    double failover_timeout_s;
};

struct synth_stats {
    uint64_t subscribes;      /* SUBSCRIBE calls started */
    uint64_t subscribed;      /* SUBSCRIBED events */
    uint64_t offers;          /* offers received */
    uint64_t tasks_launched;  /* tasks sent in LAUNCH operations */
    uint64_t tasks_finished;  /* first terminal state TASK_FINISHED */
    uint64_t tasks_failed;    /* ... TASK_FAILED */
    uint64_t tasks_killed;    /* ... TASK_KILLED */
    uint64_t tasks_lost;      /* ... any other (LOST, DROPPED, GONE, ERROR) */
    uint64_t updates;         /* UPDATE events */
    uint64_t acks;            /* ACKNOWLEDGE calls */
    uint64_t hangups;         /* streams it closed on purpose */
    uint64_t errors;          /* ERROR events (the framework was removed) */
    uint64_t refused;         /* calls answered other than 202 (or 200 for SUBSCRIBE) */
};

struct synth;

/* Creates a framework driven by rt (copied) that subscribes shortly. MC_EINVAL, MC_ENOMEM. */
int synth_create(const struct rt *rt, const struct synth_config *cfg,
                 struct synth **out) MC_MUST_USE;
/* Frees it, cancelling its timers and calls. NULL is harmless. */
void synth_destroy(struct synth *s);

extern const struct rt_node_ops synth_node_ops;

void synth_stats_get(const struct synth *s, struct synth_stats *out);

/* Breaches seen so far; *first (may be NULL) gets the first one's text, valid for s's life. */
uint64_t synth_violations(const struct synth *s, const char **first);

#endif
