/*
 * mc_strmap.h: a hash map from strings to pointers, for the cores' lookups
 * by id (agents, frameworks, offers, tasks).
 *
 * The key is borrowed: it is usually the id inside the value itself, and
 * must stay unchanged while the entry is in the map. Open addressing with
 * linear probing; a removal shifts the following entries back, so there are
 * no tombstones and a lookup never walks more than the run it hashes into.
 * Each entry keeps its key's full hash, so a probe compares strings only
 * when the hashes are equal.
 *
 * Every map has a maximum count set at init; a put past it is MC_ELIMIT.
 * The table grows (doubling, kept at most half full) through the map's
 * allocator. Iteration order is not defined: callers that need an order
 * keep their own list beside the map.
 */
#ifndef MC_STRMAP_H
#define MC_STRMAP_H

#include <stdint.h>

#include "mc_alloc.h"
#include "mc_err.h"

struct mc_strmap_slot {
    uint64_t hash;
    const char *key; /* NULL: an empty slot */
    void *value;
    size_t len; /* strlen(key): a probe compares lengths and bytes, not strings */
};

struct mc_strmap {
    struct mc_strmap_slot *slots;
    uint32_t cap; /* 0 or a power of two */
    uint32_t count;
    uint32_t count_max;
    const struct mc_alloc *alloc;
};

/* The hash of a string (len bytes) as the map computes it. */
uint64_t mc_strhash(const char *s, size_t len);

void mc_strmap_init(struct mc_strmap *map, uint32_t count_max, const struct mc_alloc *alloc);
void mc_strmap_deinit(struct mc_strmap *map);

/* Room for count entries without growing; MC_ELIMIT past count_max, MC_ENOMEM. */
int mc_strmap_reserve(struct mc_strmap *map, uint32_t count) MC_MUST_USE;

/* The value put under key, or NULL. */
void *mc_strmap_get(const struct mc_strmap *map, const char *key);

/* Adds key -> value (value not NULL). MC_EEXIST, MC_ELIMIT (count_max), MC_ENOMEM. */
int mc_strmap_put(struct mc_strmap *map, const char *key, void *value) MC_MUST_USE;

/* Removes key; returns its value, or NULL when it was not there. */
void *mc_strmap_del(struct mc_strmap *map, const char *key);

#endif
