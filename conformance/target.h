/*
 * target.h: where a scenario runs.
 *
 * A target hosts the scenario's actors (s1, s2, ...), each a client node
 * (client.h) that makes HTTP calls and records what comes back, and moves
 * time forward. Two kinds exist, and the runner sees no difference:
 *  - sim: a simulated cluster (simulator/cluster.h: the reference master
 *    and agents, its invariants checked after every event); time jumps,
 *    everything is seeded and deterministic, every fault can be injected;
 *  - http: a real endpoint ("http://host:port") reached over libcurl; time
 *    is real, and advancing it means waiting while traffic flows. It can
 *    inject the faults its options give it (a fault proxy per actor, hook
 *    commands) and says which option would give the others (target_can).
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

/* Agents of a scenario's cluster (the scenario limit, MC_SCN_AGENTS_MAX), and one agent's setup. */
#define TARGET_AGENTS_MAX 16u

struct target_agent_setup {
    char name[TARGET_ACTOR_NAME_BYTES_MAX]; /* the node is "<name>:5051", hostname <name> */
    const char *resources; /* Mesos' resource text, borrowed for the create call; NULL: default */
};

struct sim_world;

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
    /* One more invariant the world checks after every event (sim.h's
     * sim_check_fn; tests use it to make a violation); NULL: none. */
    int (*check)(void *ctx, const struct sim_world *world, char *text, size_t text_bytes);
    void *check_ctx;
};

/*
 * The faults a target can inject (struct target_caps.faults). The sim
 * target has them all; a real endpoint has those its options give it:
 * the fault proxy (--via-proxy) puts each actor's traffic through a proxy
 * of its own, which makes the faults between actors and the master; hook
 * commands restart the master and crash or restart agents.
 */
enum target_fault {
    TARGET_FAULT_PARTITION = 1u << 0,        /* partition, heal: actors and the master */
    TARGET_FAULT_PARTITION_AGENTS = 1u << 1, /* partitions that name an agent */
    TARGET_FAULT_HOLD = 1u << 2,             /* hold, release */
    TARGET_FAULT_RESET = 1u << 3,            /* reset */
    TARGET_FAULT_SPLIT = 1u << 4,            /* split */
    TARGET_FAULT_DROP_HEARTBEATS = 1u << 5,  /* drop heartbeats */
    TARGET_FAULT_RESTART_MASTER = 1u << 6,   /* restart master */
    TARGET_FAULT_AGENTS = 1u << 7, /* crash and restart agents (per agent: target_can) */
};

/* What a target can do; a scenario that needs more is skipped. */
struct target_caps {
    int time_jumps; /* advance is instant (sim) */
    uint32_t faults; /* enum target_fault bits */
    int trace_hash; /* a deterministic trace hash exists */
};

/* What target_can is asked about. */
enum target_ability {
    TARGET_CAN_AGENT,         /* name: the cluster has an agent by that name */
    TARGET_CAN_PARTITION,     /* name: master, an agent or an actor, on one side */
    TARGET_CAN_HOLD,          /* name: an actor */
    TARGET_CAN_RESET,
    TARGET_CAN_SPLIT,
    TARGET_CAN_DROP_HEARTBEATS,
    TARGET_CAN_RESTART_MASTER,
    TARGET_CAN_CRASH_AGENT,   /* name: the agent */
    TARGET_CAN_RESTART_AGENT, /* name: the agent */
};

struct target;

/* The simulated reference. Errors: MC_ENOMEM, MC_EINVAL with diag. */
int target_sim_create(const struct target_setup *setup, struct target **out,
                      struct mc_diag *diag) MC_MUST_USE;

/*
 * A hook: a shell command the user gives for a fault that a real cluster
 * must make itself (restart its master, crash or restart an agent). The
 * target runs it with /bin/sh -c when a scenario's step asks for that
 * fault, its stdout sent to stderr, and waits for it (at most
 * TARGET_HOOK_NS_MAX) while the actors' traffic keeps flowing; an exit
 * status other than 0 fails the step. The command finds in its
 * environment MESOS_CONFORM_HOOK (restart-master, crash-agent or
 * restart-agent), MESOS_CONFORM_AGENT (the agent's name, for agent hooks),
 * MESOS_CONFORM_TARGET (host:port of the master) and MESOS_CONFORM_CASE
 * (the case id, when known).
 */
enum target_hook_kind {
    TARGET_HOOK_RESTART_MASTER,
    TARGET_HOOK_CRASH_AGENT,
    TARGET_HOOK_RESTART_AGENT,
};

#define TARGET_HOOKS_MAX 64u
#define TARGET_HOOK_COMMAND_BYTES_MAX 4096u
#define TARGET_HOOK_NS_MAX (120ull * 1000000000ull)

struct target_hook {
    enum target_hook_kind kind;
    char agent[TARGET_ACTOR_NAME_BYTES_MAX]; /* agent hooks: the agent's name; else "" */
    const char *command;                     /* borrowed: the text after '=' */
};

/*
 * Parses a hook as the command line gives it: "restart-master=CMD",
 * "crash-agent:NAME=CMD" or "restart-agent:NAME=CMD" (NAME as scenarios
 * name agents). out->command points into spec. Errors: MC_EINVAL with diag
 * saying what is wrong and at which byte of spec (diag.offset, from 0).
 */
int target_hook_parse(const char *spec, struct target_hook *out, struct mc_diag *diag) MC_MUST_USE;

/* "restart-master", "crash-agent", "restart-agent". */
const char *target_hook_kind_name(enum target_hook_kind kind);

/* How to reach a real endpoint; zero values are the defaults. */
struct target_http_options {
    const char *cacert;    /* CA bundle for https (NULL: the system's) */
    int insecure;          /* 1: do not verify the server's certificate */
    const char *principal; /* HTTP Basic credentials (NULL: none) */
    const char *secret;
    int redirects_ignored; /* 1: report a 307 as it is; 0: follow it as clients do */
    /*
     * 1: each actor's traffic goes through a fault proxy of its own
     * (proxy.h), run in-process on the target's thread, which makes the
     * faults between actors and the master: partition, heal, hold,
     * release, reset, split and drop heartbeats.
     */
    int via_proxy;
    uint64_t seed; /* the proxies' generator */
    const struct target_hook *hooks; /* copied at create */
    uint32_t hooks_count;            /* at most TARGET_HOOKS_MAX */
    /* The agents the real cluster has, by the names scenarios give them;
     * a case whose agents are not all here is skipped. Copied at create. */
    const char *const *agents;
    uint32_t agents_count; /* at most TARGET_AGENTS_MAX */
    const char *case_id;   /* for the hooks' environment; NULL: none */
};

/*
 * A real endpoint; url is "http://host:port" or "https://host:port" (a
 * path after it is ignored); options may be NULL. A 307 from a master that
 * does not lead is followed as real clients follow it (S2, M3: the
 * Location's host and port, the request's own scheme and path), once per
 * call, and the exchange records where it went (client_exchange
 * .redirected_to); through the proxy, the followed request leaves the
 * proxy (it goes to the leader directly). Errors: MC_EINVAL for a URL it
 * cannot use or options out of range, MC_EIO when a proxy cannot listen,
 * with diag; MC_ENOMEM.
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
 * Whether the target can do what a case asks (an ability, for a name where
 * it says so). Returns 1, or 0 with why (a sentence fragment such as "the
 * http target cannot partition s1 from the master without --via-proxy")
 * written into why (why_bytes >= 1).
 */
int target_can(const struct target *t, enum target_ability what, const char *name, char *why,
               size_t why_bytes);

/*
 * Faults. Names are "master", an agent's or an actor's name. A fault the
 * target cannot inject answers MC_EUNSUPPORTED; an unknown name is
 * MC_ENOTFOUND; a fault that was tried and failed (a hook that exited with
 * another status than 0) answers MC_EIO, and target_fault_error says why.
 *  partition: traffic between every name of a and every name of b is lost
 *    (connections stay open), until heal;
 *  hold/release: the actor's traffic with the master waits, then flows;
 *  reset: the actor's subscription connection is reset under both ends;
 *  split: the bytes of the actor's streams reach it in pieces of at most
 *    piece_bytes (>= 1), from now on;
 *  drop_heartbeats: HEARTBEAT events the master sends the actor during
 *    the next d_ns are dropped (the stream carries on without them);
 *  restart_master: the master crashes and a new one starts (recovering
 *    for a moment, SPEC S3), as after a failover;
 *  crash_agent: the agent crashes (its connections reset); restart_agent:
 *    it comes back with its work dir and its id (crashing first if up).
 */
int target_partition(struct target *t, const char *const *a, uint32_t na, const char *const *b,
                     uint32_t nb) MC_MUST_USE;
int target_heal(struct target *t) MC_MUST_USE;
int target_hold(struct target *t, const char *actor, int release) MC_MUST_USE;
int target_reset(struct target *t, const char *actor, int exchange) MC_MUST_USE;
int target_split(struct target *t, const char *actor, uint32_t piece_bytes) MC_MUST_USE;
int target_drop_heartbeats(struct target *t, const char *actor, uint64_t d_ns) MC_MUST_USE;
int target_restart_master(struct target *t) MC_MUST_USE;
int target_crash_agent(struct target *t, const char *agent) MC_MUST_USE;
int target_restart_agent(struct target *t, const char *agent) MC_MUST_USE;

/* Why the last fault failed with MC_EIO ("" when none did); owned by t. */
const char *target_fault_error(const struct target *t);

/*
 * The invariant violations the target saw (sim: the world's checks, see
 * sim.h; 0 elsewhere). When there was one, *first_ns and *first_text (each
 * may be NULL) get the time and text of the first, valid for t's life.
 */
uint64_t target_violations(const struct target *t, uint64_t *first_ns, const char **first_text);

/* Adds a note to the trace (sim; nothing elsewhere). */
void target_note(struct target *t, const char *text);

/* The master's address as actors call it ("master:5050", "127.0.0.1:5050"). */
const char *target_master_address(const struct target *t);

#endif
