/*
 * mc_pool.c: size classes, free lists and slabs (see mc_pool.h).
 */
#include "mc_pool.h"

#include <assert.h>
#include <string.h>

#include "mc_assert.h"

#if defined(__SANITIZE_ADDRESS__)
#define POOL_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define POOL_SANITIZED 1
#endif
#endif
#ifndef POOL_SANITIZED
#define POOL_SANITIZED 0
#endif

/* The class of a block the backing allocator holds. */
#define POOL_CLASS_LARGE UINT32_MAX
#define POOL_MAGIC 0x6d63706fu

/* Before every block; 16 bytes, so blocks keep malloc's alignment. */
struct pool_header {
    uint32_t cls;
    uint32_t magic;
    uint64_t bytes; /* the block's capacity */
};
static_assert(sizeof(struct pool_header) == 16, "a header keeps 16-byte alignment");

struct mc_pool_slab {
    struct mc_pool_slab *next;
    uint64_t pad; /* the blocks after it stay 16-byte aligned */
};
static_assert(sizeof(struct mc_pool_slab) == 16, "a slab's blocks keep 16-byte alignment");
static_assert(MC_POOL_BLOCK_BYTES_MAX + sizeof(struct pool_header) + sizeof(struct mc_pool_slab) <=
                  MC_POOL_SLAB_BYTES,
              "a slab holds the largest block");

/* The class of a request of bytes (1 ... MC_POOL_BLOCK_BYTES_MAX). */
static uint32_t class_of(size_t bytes)
{
    if (bytes <= 256)
        return (uint32_t)((bytes + 15) / 16) - 1;
    uint32_t cls = 16;
    for (size_t cap = 512; cap < bytes; cap *= 2)
        cls++;
    return cls;
}

static size_t class_bytes(uint32_t cls)
{
    return cls < 16 ? 16u * (cls + 1) : (size_t)512 << (cls - 16);
}

static_assert(MC_POOL_CLASSES == 20, "16 steps of 16 bytes, then 512, 1024, 2048, 4096");

static struct pool_header *header_of(void *ptr)
{
    struct pool_header *h = (struct pool_header *)ptr - 1;
    MC_ASSERT(h->magic == POOL_MAGIC);
    return h;
}

static void *large_alloc(struct mc_pool *pool, size_t bytes)
{
    if (bytes > SIZE_MAX - sizeof(struct pool_header))
        return NULL;
    struct pool_header *h = mc_malloc(pool->backing, sizeof(*h) + bytes);
    if (h == NULL)
        return NULL;
    *h = (struct pool_header){POOL_CLASS_LARGE, POOL_MAGIC, bytes};
    return h + 1;
}

static void *pool_alloc(void *ctx, size_t bytes)
{
    struct mc_pool *pool = ctx;
    if (bytes > MC_POOL_BLOCK_BYTES_MAX)
        return large_alloc(pool, bytes);
    uint32_t cls = class_of(bytes);
    void *p = pool->free_list[cls];
    if (p != NULL) {
        memcpy(&pool->free_list[cls], p, sizeof(void *)); /* the next free block */
        return p;
    }
    size_t need = sizeof(struct pool_header) + class_bytes(cls);
    if (pool->carve_left < need) {
        struct mc_pool_slab *slab = mc_malloc(pool->backing, MC_POOL_SLAB_BYTES);
        if (slab == NULL)
            return NULL;
        slab->next = pool->slabs;
        pool->slabs = slab;
        pool->slab_bytes += MC_POOL_SLAB_BYTES;
        pool->carve = (uint8_t *)(slab + 1);
        pool->carve_left = MC_POOL_SLAB_BYTES - sizeof(*slab);
    }
    struct pool_header *h = (struct pool_header *)pool->carve;
    *h = (struct pool_header){cls, POOL_MAGIC, class_bytes(cls)};
    pool->carve += need;
    pool->carve_left -= need;
    return h + 1;
}

static void pool_free(void *ctx, void *ptr)
{
    struct mc_pool *pool = ctx;
    struct pool_header *h = header_of(ptr);
    if (h->cls == POOL_CLASS_LARGE) {
        mc_free(pool->backing, h);
        return;
    }
    MC_ASSERT(h->cls < MC_POOL_CLASSES);
    memcpy(ptr, &pool->free_list[h->cls], sizeof(void *));
    pool->free_list[h->cls] = ptr;
}

static void *pool_realloc(void *ctx, void *ptr, size_t bytes)
{
    if (ptr == NULL)
        return pool_alloc(ctx, bytes);
    struct pool_header *h = header_of(ptr);
    if (bytes <= h->bytes && (h->cls == POOL_CLASS_LARGE || bytes > h->bytes / 2 || h->cls == 0))
        return ptr; /* it fits, and shrinking it would not free much */
    void *p = pool_alloc(ctx, bytes);
    if (p == NULL)
        return NULL;
    memcpy(p, ptr, bytes < h->bytes ? bytes : h->bytes);
    pool_free(ctx, ptr);
    return p;
}

void mc_pool_init(struct mc_pool *pool, const struct mc_alloc *backing)
{
    MC_ASSERT(pool != NULL);
    memset(pool, 0, sizeof(*pool));
    pool->backing = backing != NULL ? backing : mc_alloc_system();
    pool->passthrough = POOL_SANITIZED;
    if (pool->passthrough)
        pool->alloc = *pool->backing;
    else
        pool->alloc = (struct mc_alloc){pool_alloc, pool_realloc, pool_free, pool};
}

void mc_pool_deinit(struct mc_pool *pool)
{
    MC_ASSERT(pool != NULL);
    while (pool->slabs != NULL) {
        struct mc_pool_slab *next = pool->slabs->next;
        mc_free(pool->backing, pool->slabs);
        pool->slabs = next;
    }
    memset(pool->free_list, 0, sizeof(pool->free_list));
    pool->carve = NULL;
    pool->carve_left = 0;
}
