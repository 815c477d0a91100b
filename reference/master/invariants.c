/*
 * invariants.c: the master's invariants, for the simulator's checkers
 * (master.h master_invariants_check).
 *
 * What is held on an agent is recounted from the outstanding offers and the
 * tasks' holds, not read from the allocator's own bookkeeping, so that a
 * mistake in either shows:
 *  - per agent and resource name, the scalars of its offers and tasks sum
 *    to no more than the agent's total;
 *  - no port (range value) is in two offers or tasks, nor outside the total;
 *  - the stream ids of the subscribed frameworks are unique.
 * Items are collected into arrays sized by the counts, sorted, and compared
 * in one pass, so a check costs O(n log n) in the offers and tasks.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "master_internal.h"

/* One scalar or one range held on an agent. */
struct held {
    const char *agent_id;
    const char *name;
    int64_t milli;        /* scalars */
    uint64_t begin, end;  /* ranges */
};

struct held_list {
    const struct mc_alloc *alloc;
    struct held *items;
    size_t count, cap;
    int failed; /* out of memory: the check is skipped, not failed */
};

static void held_push(struct held_list *l, const struct held *h)
{
    if (l->failed)
        return;
    if (l->count == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 256;
        struct held *n = mc_calloc(l->alloc, cap, sizeof(*n));
        if (n == NULL) {
            l->failed = 1;
            return;
        }
        if (l->count > 0)
            memcpy(n, l->items, l->count * sizeof(*n));
        mc_free(l->alloc, l->items);
        l->items = n;
        l->cap = cap;
    }
    l->items[l->count++] = *h;
}

struct collect {
    struct held_list scalars;
    struct held_list ranges;
};

static void collect_set(struct collect *c, const char *agent_id, const struct res_set *r)
{
    for (uint32_t i = 0; i < r->count; i++) {
        const struct res_item *it = &r->items[i];
        if (it->type == RES_TYPE_SCALAR) {
            held_push(&c->scalars, &(struct held){agent_id, it->name, it->scalar_milli, 0, 0});
        } else if (it->type == RES_TYPE_RANGES) {
            for (uint32_t k = 0; k < it->ranges_count; k++)
                held_push(&c->ranges, &(struct held){agent_id, it->name, 0, it->ranges[k].begin,
                                                     it->ranges[k].end});
        }
    }
}

static void collect_fn(void *ctx, const char *agent_id, const struct res_set *resources)
{
    collect_set(ctx, agent_id, resources);
}

static int held_cmp(const void *pa, const void *pb)
{
    const struct held *a = pa, *b = pb;
    int d = strcmp(a->agent_id, b->agent_id);
    if (d == 0)
        d = strcmp(a->name, b->name);
    if (d == 0)
        d = a->begin < b->begin ? -1 : a->begin > b->begin;
    return d;
}

/* The agent's total of scalar name, in thousandths. */
static int64_t total_scalar(const struct res_set *total, const char *name)
{
    return total != NULL ? res_set_scalar_milli(total, name) : 0;
}

/* 1 when [begin, end] of name lies within one range of the agent's total. */
static int total_has_range(const struct res_set *total, const char *name, uint64_t begin,
                           uint64_t end)
{
    for (uint32_t i = 0; total != NULL && i < total->count; i++) {
        const struct res_item *it = &total->items[i];
        if (it->type != RES_TYPE_RANGES || strcmp(it->name, name) != 0)
            continue;
        for (uint32_t k = 0; k < it->ranges_count; k++)
            if (it->ranges[k].begin <= begin && end <= it->ranges[k].end)
                return 1;
    }
    return 0;
}

static int scalars_check(const struct master *m, struct held_list *l, char *text, size_t n)
{
    qsort(l->items, l->count, sizeof(*l->items), held_cmp);
    for (size_t i = 0; i < l->count;) {
        size_t j = i;
        int64_t sum = 0;
        while (j < l->count && held_cmp(&l->items[i], &l->items[j]) == 0)
            sum += l->items[j++].milli;
        const struct held *h = &l->items[i];
        int64_t total = total_scalar(master__offers_agent_total(m, h->agent_id), h->name);
        if (sum > total) {
            snprintf(text, n, "agent %s: offers and tasks hold %s %.3f, more than its total %.3f",
                     h->agent_id, h->name, (double)sum / 1000.0, (double)total / 1000.0);
            return 1;
        }
        i = j;
    }
    return 0;
}

static int ranges_check(const struct master *m, struct held_list *l, char *text, size_t n)
{
    qsort(l->items, l->count, sizeof(*l->items), held_cmp);
    for (size_t i = 0; i < l->count; i++) {
        const struct held *h = &l->items[i];
        if (i > 0 && strcmp(h[-1].agent_id, h->agent_id) == 0 &&
            strcmp(h[-1].name, h->name) == 0 && h[-1].end >= h->begin) {
            snprintf(text, n, "agent %s: %s %llu is in two offers or tasks at once", h->agent_id,
                     h->name, (unsigned long long)h->begin);
            return 1;
        }
        if (!total_has_range(master__offers_agent_total(m, h->agent_id), h->name, h->begin,
                             h->end)) {
            snprintf(text, n, "agent %s: %s [%llu-%llu] is held but not in its total",
                     h->agent_id, h->name, (unsigned long long)h->begin,
                     (unsigned long long)h->end);
            return 1;
        }
    }
    return 0;
}

static int streams_check(const struct master *m, char *text, size_t n)
{
    const struct mc_list_node *a, *b;
    MC_LIST_FOR_EACH(a, &m->frameworks) {
        const struct framework *fa = MC_CONTAINER_OF(a, const struct framework, link);
        if (fa->stream_req == 0)
            continue;
        for (b = a->next; b != &m->frameworks; b = b->next) {
            const struct framework *fb = MC_CONTAINER_OF(b, const struct framework, link);
            if (fb->stream_req != 0 && strcmp(fa->stream_id, fb->stream_id) == 0) {
                snprintf(text, n, "frameworks %s and %s share the stream id %s", fa->id, fb->id,
                         fa->stream_id);
                return 1;
            }
        }
    }
    return 0;
}

int master_invariants_check(const struct master *m, char *text, size_t text_bytes)
{
    struct collect c = {{m->rt.alloc, NULL, 0, 0, 0}, {m->rt.alloc, NULL, 0, 0, 0}};
    master__offers_each(m, collect_fn, &c);
    master__tasks_each_held(m, collect_fn, &c);
    int bad = 0;
    if (!c.scalars.failed && !c.ranges.failed)
        bad = scalars_check(m, &c.scalars, text, text_bytes) ||
              ranges_check(m, &c.ranges, text, text_bytes);
    mc_free(m->rt.alloc, c.scalars.items);
    mc_free(m->rt.alloc, c.ranges.items);
    return bad || streams_check(m, text, text_bytes);
}

uint64_t master_mutations(const struct master *m)
{
    return m->mutations;
}
