/*
 * target_internal.h: what the kinds of target share (target.c holds the
 * actors and the hooks' parsing; target_sim.c, target_http.c,
 * target_proxy.c and target_hook.c the rest).
 */
#ifndef MC_TARGET_INTERNAL_H
#define MC_TARGET_INTERNAL_H

#include "target.h"

#define TARGET_ADDRESS_BYTES_MAX 128u
#define TARGET_ERROR_BYTES_MAX 512u

struct target_actor {
    char name[TARGET_ACTOR_NAME_BYTES_MAX];
    char peer[TARGET_ADDRESS_BYTES_MAX]; /* where its calls go: the master, or its proxy */
    struct client client;
    uint32_t split_bytes;   /* stream bytes reach the client in pieces of at most this; 0: whole */
    uint64_t drop_until_ns; /* HEARTBEATs sent to it before this are dropped (sim) */
};

/*
 * The actors' clients are driven through these ops (node: the struct
 * target_actor), which hand everything to client_node_ops and cut stream
 * bytes into pieces of at most split_bytes.
 */
extern const struct rt_node_ops target__actor_node_ops;

struct target_ops {
    /* Gives a new actor's client its runtime (a simulated node, or libcurl) and its peer. */
    int (*actor_attach)(struct target *t, struct target_actor *a);
    int (*advance)(struct target *t, uint64_t d_ns, int (*done)(void *), void *ctx,
                   int *stopped_early);
    uint64_t (*now_ns)(const struct target *t);
    uint64_t (*trace_hash)(const struct target *t);
    void (*destroy)(struct target *t);
    /* 1 when it can; else 0 with why (see target_can). */
    int (*can)(const struct target *t, enum target_ability what, const char *name, char *why,
               size_t why_bytes);
    /* Faults; NULL where the kind has none. */
    int (*partition)(struct target *t, const char *const *a, uint32_t na, const char *const *b,
                     uint32_t nb);
    int (*heal)(struct target *t);
    int (*hold)(struct target *t, struct target_actor *a, int release);
    int (*reset)(struct target *t, struct target_actor *a, int exchange);
    /* Called after the actor's split_bytes changed (NULL: nothing more to do). */
    int (*split)(struct target *t, struct target_actor *a);
    int (*drop_heartbeats)(struct target *t, struct target_actor *a, uint64_t d_ns);
    int (*restart_master)(struct target *t);
    int (*crash_agent)(struct target *t, const char *agent);
    int (*restart_agent)(struct target *t, const char *agent);
    uint64_t (*violations)(const struct target *t, uint64_t *first_ns, const char **first_text);
    void (*note)(struct target *t, const char *text);
};

struct target {
    const struct target_ops *ops;
    struct target_caps caps;
    char master_address[TARGET_ADDRESS_BYTES_MAX];
    struct target_actor actors[TARGET_ACTORS_MAX];
    uint32_t actors_count;
    char fault_error[TARGET_ERROR_BYTES_MAX]; /* why the last fault failed with MC_EIO */
};

/* Frees the actors' clients (the kinds call it from their destroy). */
void target__actors_deinit(struct target *t);

/* The actor called name, or NULL. */
struct target_actor *target__actor_find(struct target *t, const char *name);

/* The actor called name, created (and attached) when it is new; MC_ELIMIT past the limit. */
int target__actor_get(struct target *t, const char *name, struct target_actor **out) MC_MUST_USE;

/*
 * 1 when a RecordIO chunk holding exactly one record is a scheduler Event
 * of type HEARTBEAT (JSON or protobuf); 0 for anything else.
 */
int target__chunk_is_heartbeat(const uint8_t *chunk, size_t len);

/* target_hook.c: runs a hook to its end (see struct target_hook). */
struct target_hook_env {
    const char *kind;   /* MESOS_CONFORM_HOOK */
    const char *agent;  /* MESOS_CONFORM_AGENT, or NULL */
    const char *target; /* MESOS_CONFORM_TARGET */
    const char *case_id; /* MESOS_CONFORM_CASE, or NULL */
};

/*
 * Starts command with /bin/sh -c, its stdout on our stderr, and waits for
 * it, calling wait_step(ctx) (which lets traffic flow for a moment) while
 * it runs. Returns 0 when it exited with status 0; MC_EIO otherwise, with
 * why ("exit status 3", "killed by signal 9", "still running after 120 s:
 * killed") in error; MC_ENOMEM or MC_EIO when it cannot start.
 */
int target__hook_run(const char *command, const struct target_hook_env *env,
                     int (*wait_step)(void *ctx), void *ctx, char *error, size_t error_bytes);

/* target_proxy.c: one fault proxy per actor on a libuv loop the http target polls. */
struct target_proxies;

int target__proxies_create(const char *upstream, uint64_t seed, struct target_proxies **out,
                           struct mc_diag *diag) MC_MUST_USE;
void target__proxies_destroy(struct target_proxies *ps);
/* Starts actor i's proxy; its address ("127.0.0.1:PORT") goes into address. */
int target__proxies_add(struct target_proxies *ps, uint32_t i, char *address, size_t address_bytes,
                        struct mc_diag *diag) MC_MUST_USE;
/* The loop's descriptor to poll (readable when it has work); its next timer in ms (-1: none). */
int target__proxies_fd(const struct target_proxies *ps);
int target__proxies_timeout_ms(const struct target_proxies *ps);
/* Runs what is ready, without blocking; then ends drops of heartbeats whose time is over. */
void target__proxies_run(struct target_proxies *ps, uint64_t now_ns);
/* Faults on actor i's proxy. */
void target__proxies_partition(struct target_proxies *ps, uint32_t i);
void target__proxies_heal_all(struct target_proxies *ps);
void target__proxies_hold(struct target_proxies *ps, uint32_t i, int release);
void target__proxies_reset(struct target_proxies *ps, uint32_t i);
void target__proxies_split(struct target_proxies *ps, uint32_t i, uint32_t piece_bytes);
void target__proxies_drop_heartbeats(struct target_proxies *ps, uint32_t i, uint64_t until_ns);

#endif
