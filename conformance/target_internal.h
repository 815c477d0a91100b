/*
 * target_internal.h: what the two kinds of target share (target.c holds the
 * actors; target_sim.c and target_http.c the rest).
 */
#ifndef MC_TARGET_INTERNAL_H
#define MC_TARGET_INTERNAL_H

#include "target.h"

struct target_actor {
    char name[TARGET_ACTOR_NAME_BYTES_MAX];
    struct client client;
};

struct target_ops {
    /* Gives a new actor's client its runtime (a simulated node, or libcurl). */
    int (*actor_attach)(struct target *t, struct target_actor *a);
    int (*advance)(struct target *t, uint64_t d_ns, int (*done)(void *), void *ctx,
                   int *stopped_early);
    uint64_t (*now_ns)(const struct target *t);
    uint64_t (*trace_hash)(const struct target *t);
    void (*destroy)(struct target *t);
    /* Faults; NULL where the kind has none. */
    int (*partition)(struct target *t, const char *const *a, uint32_t na, const char *const *b,
                     uint32_t nb);
    int (*heal)(struct target *t);
    int (*hold)(struct target *t, const char *actor, int release);
    int (*reset)(struct target *t, struct target_actor *a, int exchange);
    int (*restart_master)(struct target *t);
};

struct target {
    const struct target_ops *ops;
    struct target_caps caps;
    char master_address[128];
    struct target_actor actors[TARGET_ACTORS_MAX];
    uint32_t actors_count;
};

/* Frees the actors' clients (the kinds call it from their destroy). */
void target__actors_deinit(struct target *t);

#endif
