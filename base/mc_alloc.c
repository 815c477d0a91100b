#include "mc_alloc.h"

#include <stdlib.h>
#include <string.h>

static void *sys_alloc(void *ctx, size_t bytes)
{
    (void)ctx;
    return malloc(bytes);
}

static void *sys_realloc(void *ctx, void *ptr, size_t bytes)
{
    (void)ctx;
    return realloc(ptr, bytes);
}

static void sys_free(void *ctx, void *ptr)
{
    (void)ctx;
    free(ptr);
}

static const struct mc_alloc system_alloc = {sys_alloc, sys_realloc, sys_free, NULL};

const struct mc_alloc *mc_alloc_system(void)
{
    return &system_alloc;
}

void *mc_malloc(const struct mc_alloc *a, size_t bytes)
{
    if (a == NULL)
        a = &system_alloc;
    return a->alloc_fn(a->ctx, bytes == 0 ? 1 : bytes);
}

void *mc_calloc(const struct mc_alloc *a, size_t count, size_t bytes)
{
    if (bytes != 0 && count > SIZE_MAX / bytes)
        return NULL;
    void *p = mc_malloc(a, count * bytes);
    if (p != NULL)
        memset(p, 0, count * bytes);
    return p;
}

void *mc_realloc(const struct mc_alloc *a, void *ptr, size_t bytes)
{
    if (a == NULL)
        a = &system_alloc;
    return a->realloc_fn(a->ctx, ptr, bytes == 0 ? 1 : bytes);
}

void mc_free(const struct mc_alloc *a, void *ptr)
{
    if (ptr == NULL)
        return;
    if (a == NULL)
        a = &system_alloc;
    a->free_fn(a->ctx, ptr);
}

char *mc_strndup(const struct mc_alloc *a, const char *s, size_t n)
{
    char *p = mc_malloc(a, n + 1);
    if (p == NULL)
        return NULL;
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *mc_strdup(const struct mc_alloc *a, const char *s)
{
    return mc_strndup(a, s, strlen(s));
}

static int counting_should_fail(struct mc_alloc_counting *c)
{
    return c->calls++ == c->fail_at;
}

static void *counting_alloc(void *ctx, size_t bytes)
{
    struct mc_alloc_counting *c = ctx;
    if (counting_should_fail(c))
        return NULL;
    void *p = malloc(bytes);
    if (p != NULL)
        c->live++;
    return p;
}

static void *counting_realloc(void *ctx, void *ptr, size_t bytes)
{
    struct mc_alloc_counting *c = ctx;
    if (counting_should_fail(c))
        return NULL;
    void *p = realloc(ptr, bytes);
    if (p != NULL && ptr == NULL)
        c->live++;
    return p;
}

static void counting_free(void *ctx, void *ptr)
{
    struct mc_alloc_counting *c = ctx;
    if (ptr != NULL)
        c->live--;
    free(ptr);
}

void mc_alloc_counting_init(struct mc_alloc_counting *c, uint64_t fail_at)
{
    c->alloc.alloc_fn = counting_alloc;
    c->alloc.realloc_fn = counting_realloc;
    c->alloc.free_fn = counting_free;
    c->alloc.ctx = c;
    c->calls = 0;
    c->fail_at = fail_at;
    c->live = 0;
}
