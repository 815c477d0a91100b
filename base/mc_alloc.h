/*
 * mc_alloc.h: the allocator a world (or a codec call) allocates through.
 *
 * Cores, the simulator and the codecs never call malloc directly: they go
 * through a struct mc_alloc handed to them, so that tests can count
 * allocations and fail the Nth one (curl's torture test, jansson's chaos
 * test). mc_alloc_system() is the plain libc allocator.
 */
#ifndef MC_ALLOC_H
#define MC_ALLOC_H

#include <stddef.h>
#include <stdint.h>

struct mc_alloc {
    void *(*alloc_fn)(void *ctx, size_t bytes);
    void *(*realloc_fn)(void *ctx, void *ptr, size_t bytes);
    void (*free_fn)(void *ctx, void *ptr);
    void *ctx;
};

/* The libc allocator; a shared, immutable instance. */
const struct mc_alloc *mc_alloc_system(void);

/* Allocate, reallocate and free through an allocator; NULL means system. */
void *mc_malloc(const struct mc_alloc *a, size_t bytes);
void *mc_calloc(const struct mc_alloc *a, size_t count, size_t bytes);
void *mc_realloc(const struct mc_alloc *a, void *ptr, size_t bytes);
void mc_free(const struct mc_alloc *a, void *ptr);
char *mc_strdup(const struct mc_alloc *a, const char *s);
char *mc_strndup(const struct mc_alloc *a, const char *s, size_t n);

/*
 * A counting allocator for tests: counts calls and fails the call whose
 * 0-based index is fail_at (never when fail_at is UINT64_MAX). It allocates
 * through libc underneath.
 */
struct mc_alloc_counting {
    struct mc_alloc alloc;
    uint64_t calls;
    uint64_t fail_at;
    uint64_t live;
};

void mc_alloc_counting_init(struct mc_alloc_counting *c, uint64_t fail_at);

#endif
