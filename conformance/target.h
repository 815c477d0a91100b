/*
 * target.h: where a scenario runs.
 *
 * A target hosts the scenario's actors (s1, s2, ...), each a client node
 * (client.h) that makes HTTP calls and records what comes back, and moves
 * time forward. Two kinds exist, and the runner sees no difference:
 *  - sim: the reference master (and agents) in a simulated world; time
 *    jumps, everything is seeded and deterministic, faults can be injected;
 *  - http: a real endpoint ("http://host:port") reached over libcurl; time
 *    is real, and advancing it means waiting while traffic flows.
 */
#ifndef MC_TARGET_H
#define MC_TARGET_H

#include <stdint.h>

#include "client.h"
#include "mc_diag.h"
#include "mc_err.h"

/* Actors per target, and the length of an actor's name. */
#define TARGET_ACTORS_MAX 16u
#define TARGET_ACTOR_NAME_BYTES_MAX 32u

/* Agents of a simulated cluster, and one agent's setup. */
#define TARGET_AGENTS_MAX 16u

struct target_agent_setup {
    char name[TARGET_ACTOR_NAME_BYTES_MAX]; /* the node is "<name>:5051", hostname <name> */
    const char *resources; /* Mesos' resource text, borrowed for the create call; NULL: default */
};

/* What a scenario's setup asks of a simulated cluster. */
struct target_setup {
    uint64_t seed;
    uint64_t heartbeat_interval_ns;  /* 0: Mesos' default (15 s) */
    uint64_t agent_ping_timeout_ns;  /* 0: default */
    uint64_t master_recovery_ns;     /* 0: recovered at once */
    uint64_t latency_ns_min;         /* 0: the simulator's default */
    uint64_t latency_ns_jitter;
    uint64_t allocation_interval_ns; /* 0: default (1 s) */
    struct target_agent_setup agents[TARGET_AGENTS_MAX]; /* started with the master */
    uint32_t agents_count;
};

/* What a target can do; a scenario that needs more is skipped. */
struct target_caps {
    int time_jumps;   /* advance is instant (sim) */
    int faults;       /* partitions, resets, crashes */
    int trace_hash;   /* a deterministic trace hash exists */
};

struct target;

/* The simulated reference. Errors: MC_ENOMEM, MC_EINVAL with diag. */
int target_sim_create(const struct target_setup *setup, struct target **out,
                      struct mc_diag *diag) MC_MUST_USE;

/* How to reach a real endpoint; zero values are the defaults. */
struct target_http_options {
    const char *cacert;    /* CA bundle for https (NULL: the system's) */
    int insecure;          /* 1: do not verify the server's certificate */
    const char *principal; /* HTTP Basic credentials (NULL: none) */
    const char *secret;
    int redirects_ignored; /* 1: report a 307 as it is; 0: follow it as clients do */
};

/*
 * A real endpoint; url is "http://host:port" or "https://host:port" (a
 * path after it is ignored); options may be NULL. A 307 from a master that
 * does not lead is followed as real clients follow it (S2, M3: the
 * Location's host and port, the request's own scheme and path), once per
 * call, and the exchange records where it went (client_exchange
 * .redirected_to). Errors: MC_EINVAL for a URL it cannot use, with diag.
 */
int target_http_create(const char *url, const struct target_http_options *options,
                       struct target **out, struct mc_diag *diag) MC_MUST_USE;

void target_destroy(struct target *t);

/*
 * Starts a call by actor (created on first use). headers are name/value
 * pairs ending in NULL. Returns 0 with *exchange_out set, MC_ELIMIT past
 * TARGET_ACTORS_MAX actors or the client's exchange limit, or MC_ECLOSED
 * when the call could not start.
 */
int target_call(struct target *t, const char *actor, const char *method, const char *path,
                const char *const *headers, const void *body, size_t body_len,
                int *exchange_out) MC_MUST_USE;

/* An actor's exchange, or NULL. */
const struct client_exchange *target_exchange(struct target *t, const char *actor, int exchange);

/* Closes the actor's connection for an exchange from the client's side. */
void target_hang_up(struct target *t, const char *actor, int exchange);

/*
 * Moves time forward by d_ns: in simulation every event due runs; against
 * a real endpoint traffic is processed while the time passes. If done is
 * not NULL it is asked after every bit of progress and the advance stops as
 * soon as it returns 1 (then *stopped_early is 1). Returns 0 or an error.
 */
int target_advance(struct target *t, uint64_t d_ns, int (*done)(void *ctx), void *ctx,
                   int *stopped_early) MC_MUST_USE;

/* Time since the target started, in ns (simulated or real). */
uint64_t target_now_ns(const struct target *t);

const struct target_caps *target_caps_get(const struct target *t);

/* The trace hash (sim); 0 where there is none. */
uint64_t target_trace_hash(const struct target *t);

/*
 * Faults. Names are "master" or an actor's name. A target without faults
 * (caps.faults 0) answers MC_EUNSUPPORTED; an unknown name is MC_ENOTFOUND.
 *  partition: traffic between every name of a and every name of b is lost
 *    (connections stay open), until heal;
 *  hold/release: the actor's traffic with the master waits, then flows;
 *  reset: the actor's subscription connection is reset under both ends;
 *  restart_master: the master crashes and a new one starts (recovering
 *    for a moment, SPEC S3), as after a failover.
 */
int target_partition(struct target *t, const char *const *a, uint32_t na, const char *const *b,
                     uint32_t nb) MC_MUST_USE;
int target_heal(struct target *t) MC_MUST_USE;
int target_hold(struct target *t, const char *actor, int release) MC_MUST_USE;
int target_reset(struct target *t, const char *actor, int exchange) MC_MUST_USE;
int target_restart_master(struct target *t) MC_MUST_USE;

/* The master's address as actors call it ("master:5050", "127.0.0.1:5050"). */
const char *target_master_address(const struct target *t);

#endif
