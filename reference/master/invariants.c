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
 *
 * The check runs after many events of a simulation, so it is built to be
 * cheap: every held item and every agent is keyed by 64-bit hashes of its
 * agent id and resource name, both lists are sorted on those integers, and
 * one merge pass walks them together. Equal hashes of different strings
 * are told apart by comparing the strings where groups begin, so a hash
 * collision can never merge two agents.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "master_internal.h"

static uint64_t text_hash(const char *s)
{
    uint64_t h = UINT64_C(0xcbf29ce484222325);
    for (; *s != '\0'; s++) {
        h ^= (uint8_t)*s;
        h *= UINT64_C(0x100000001b3);
    }
    return h;
}

/* One scalar or one range held on an agent. */
struct held {
    uint64_t agent_key;
    uint64_t name_key;
    const char *agent_id;
    const char *name;
    int64_t milli;       /* scalars */
    uint64_t begin, end; /* ranges */
};

/* An agent's total, by key. */
struct total {
    uint64_t agent_key;
    const char *agent_id;
    const struct res_set *resources;
};

struct scratch {
    const struct mc_alloc *alloc;
    struct held *scalars, *ranges;
    size_t scalars_count, ranges_count, cap; /* cap: room in each array */
    int failed;                              /* out of memory: skipped, not failed */
};

static void held_push(struct scratch *k, int ranges, const struct held *h)
{
    struct held **items = ranges ? &k->ranges : &k->scalars;
    size_t *count = ranges ? &k->ranges_count : &k->scalars_count;
    if (k->failed)
        return;
    if (*count == k->cap) {
        size_t cap = k->cap ? k->cap * 2 : 256;
        struct held *s = mc_calloc(k->alloc, cap, sizeof(*s));
        struct held *r = mc_calloc(k->alloc, cap, sizeof(*r));
        if (s == NULL || r == NULL) {
            mc_free(k->alloc, s);
            mc_free(k->alloc, r);
            k->failed = 1;
            return;
        }
        if (k->scalars_count > 0)
            memcpy(s, k->scalars, k->scalars_count * sizeof(*s));
        if (k->ranges_count > 0)
            memcpy(r, k->ranges, k->ranges_count * sizeof(*r));
        mc_free(k->alloc, k->scalars);
        mc_free(k->alloc, k->ranges);
        k->scalars = s;
        k->ranges = r;
        k->cap = cap;
    }
    (*items)[(*count)++] = *h;
}

static void collect_fn(void *ctx, const char *agent_id, const struct res_set *r)
{
    struct scratch *k = ctx;
    uint64_t agent_key = text_hash(agent_id);
    for (uint32_t i = 0; i < r->count; i++) {
        const struct res_item *it = &r->items[i];
        struct held h = {agent_key, text_hash(it->name), agent_id, it->name, 0, 0, 0};
        if (it->type == RES_TYPE_SCALAR) {
            h.milli = it->scalar_milli;
            held_push(k, 0, &h);
        } else if (it->type == RES_TYPE_RANGES) {
            for (uint32_t n = 0; n < it->ranges_count; n++) {
                h.begin = it->ranges[n].begin;
                h.end = it->ranges[n].end;
                held_push(k, 1, &h);
            }
        }
    }
}

static int key_cmp(uint64_t a, uint64_t b)
{
    return a < b ? -1 : a > b;
}

static int held_cmp(const void *pa, const void *pb)
{
    const struct held *a = pa, *b = pb;
    int d = key_cmp(a->agent_key, b->agent_key);
    if (d == 0)
        d = key_cmp(a->name_key, b->name_key);
    if (d == 0)
        d = key_cmp(a->begin, b->begin);
    return d;
}

static int total_cmp(const void *pa, const void *pb)
{
    return key_cmp(((const struct total *)pa)->agent_key, ((const struct total *)pb)->agent_key);
}

/* Items i and j belong to the same agent and name (hashes, then strings). */
static int same_group(const struct held *a, const struct held *b)
{
    return a->agent_key == b->agent_key && a->name_key == b->name_key &&
           strcmp(a->agent_id, b->agent_id) == 0 && strcmp(a->name, b->name) == 0;
}

/* The total of the agent of h, found in the sorted totals; NULL when none. */
static const struct res_set *total_of(const struct total *totals, size_t n, const struct held *h)
{
    size_t lo = 0, hi = n;
    while (lo < hi) { /* the first total with a key >= h's */
        size_t mid = lo + (hi - lo) / 2;
        if (totals[mid].agent_key < h->agent_key)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (; lo < n && totals[lo].agent_key == h->agent_key; lo++)
        if (strcmp(totals[lo].agent_id, h->agent_id) == 0)
            return totals[lo].resources;
    return NULL;
}

static int64_t total_scalar(const struct res_set *total, const char *name)
{
    return total != NULL ? res_set_scalar_milli(total, name) : 0;
}

/* 1 when [begin, end] of name lies within one range of the total. */
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

static int scalars_check(struct held *l, size_t n, const struct total *totals, size_t tn,
                         char *text, size_t text_bytes)
{
    if (n > 0) /* qsort(NULL, 0, ...) is undefined behaviour */
        qsort(l, n, sizeof(*l), held_cmp);
    for (size_t i = 0; i < n;) {
        const struct held *h = &l[i];
        int64_t sum = 0;
        size_t j = i;
        while (j < n && same_group(h, &l[j]))
            sum += l[j++].milli;
        int64_t total = total_scalar(total_of(totals, tn, h), h->name);
        if (sum > total) {
            snprintf(text, text_bytes,
                     "agent %s: offers and tasks hold %s %.3f, more than its total %.3f",
                     h->agent_id, h->name, (double)sum / 1000.0, (double)total / 1000.0);
            return 1;
        }
        i = j;
    }
    return 0;
}

static int ranges_check(struct held *l, size_t n, const struct total *totals, size_t tn,
                        char *text, size_t text_bytes)
{
    if (n > 0)
        qsort(l, n, sizeof(*l), held_cmp);
    for (size_t i = 0; i < n; i++) {
        const struct held *h = &l[i];
        if (i > 0 && same_group(&l[i - 1], h) && l[i - 1].end >= h->begin) {
            snprintf(text, text_bytes, "agent %s: %s %llu is in two offers or tasks at once",
                     h->agent_id, h->name, (unsigned long long)h->begin);
            return 1;
        }
        if (!total_has_range(total_of(totals, tn, h), h->name, h->begin, h->end)) {
            snprintf(text, text_bytes, "agent %s: %s [%llu-%llu] is held but not in its total",
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

/* The allocator's agents' totals, sorted by key; NULL (check skipped) without memory. */
static struct total *totals_make(const struct master *m, size_t *n_out)
{
    size_t n = master__offers_agents(m);
    struct total *t = mc_calloc(m->rt.alloc, n > 0 ? n : 1, sizeof(*t));
    if (t == NULL)
        return NULL;
    for (uint32_t i = 0; i < n; i++) {
        master__offers_agent_at(m, i, &t[i].agent_id, &t[i].resources);
        t[i].agent_key = text_hash(t[i].agent_id);
    }
    qsort(t, n, sizeof(*t), total_cmp);
    *n_out = n;
    return t;
}

int master_invariants_check(const struct master *m, char *text, size_t text_bytes)
{
    struct scratch k = {m->rt.alloc, NULL, NULL, 0, 0, 0, 0};
    master__offers_each(m, collect_fn, &k);
    master__tasks_each_held(m, collect_fn, &k);
    size_t tn = 0;
    struct total *totals = k.failed ? NULL : totals_make(m, &tn);
    int bad = 0;
    if (totals != NULL)
        bad = scalars_check(k.scalars, k.scalars_count, totals, tn, text, text_bytes) ||
              ranges_check(k.ranges, k.ranges_count, totals, tn, text, text_bytes);
    mc_free(m->rt.alloc, totals);
    mc_free(m->rt.alloc, k.scalars);
    mc_free(m->rt.alloc, k.ranges);
    return bad || streams_check(m, text, text_bytes);
}

uint64_t master_mutations(const struct master *m)
{
    return m->mutations;
}
