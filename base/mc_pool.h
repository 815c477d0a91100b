/*
 * mc_pool.h: a small-block allocator for one simulated world.
 *
 * A soak allocates and frees a few million small blocks per simulated hour
 * (messages, headers, unpacked protobufs, resource sets), and libc's
 * malloc and free were a sixth of its time. A pool keeps one free list per
 * size class: a block of up to MC_POOL_BLOCK_BYTES_MAX comes from the list
 * of its class, or is carved from a slab of MC_POOL_SLAB_BYTES taken from
 * the backing allocator; a freed block goes back on its list. Larger
 * blocks go to the backing allocator. Slabs are returned only when the
 * pool is destroyed, so the pool's footprint is the world's peak.
 *
 * Every block carries a 16-byte header with its class, so mc_free needs no
 * size and blocks stay aligned as malloc's. A pool belongs to one world
 * and one thread; it has no locks and nothing global.
 *
 * Under AddressSanitizer every block goes to the backing allocator, so
 * that use after free and overflows are still caught where they happen.
 */
#ifndef MC_POOL_H
#define MC_POOL_H

#include <stddef.h>
#include <stdint.h>

#include "mc_alloc.h"

/* Blocks up to this size are pooled; the classes are 16-byte steps to 256, then powers of two. */
#define MC_POOL_BLOCK_BYTES_MAX 4096u
#define MC_POOL_SLAB_BYTES (256u * 1024u)
#define MC_POOL_CLASSES 20u

struct mc_pool_slab;

struct mc_pool {
    struct mc_alloc alloc; /* hand &pool->alloc to whoever allocates */
    const struct mc_alloc *backing;
    void *free_list[MC_POOL_CLASSES];
    struct mc_pool_slab *slabs; /* newest first */
    uint8_t *carve;             /* the unused rest of the newest slab */
    size_t carve_left;
    uint64_t slab_bytes; /* taken from the backing allocator, for reports */
    int passthrough;     /* every block to the backing allocator (sanitizers) */
};

/* backing NULL means the system allocator. */
void mc_pool_init(struct mc_pool *pool, const struct mc_alloc *backing);

/* Returns every slab; blocks still out become invalid. Large blocks must have been freed. */
void mc_pool_deinit(struct mc_pool *pool);

#endif
