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
 * The check runs after many events of a simulation, so it costs one pass
 * over what is held: the allocator's agents go into a map by id, each
 * held scalar is added to its agent's sum for that name, and each held
 * range is listed under its agent; only the ranges are sorted, agent by
 * agent, to find overlaps.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "master_internal.h"
#include "mc_strmap.h"

/* One agent of the allocator, and what is held on it. */
struct agent_sums {
    const char *agent_id;
    const struct res_set *total;
    uint32_t scalars; /* its first held scalar name: an index + 1 in scalars, 0 none */
};

/* The sum of one scalar name held on an agent; an agent's sums form a list. */
struct held_scalar {
    const char *name;
    int64_t milli;
    uint32_t next; /* the agent's next name: an index + 1, 0 at the end */
};

/* One held range, under its agent's number. */
struct held_range {
    uint32_t agent;
    const char *name;
    uint64_t begin, end;
};

/*
 * The checker's tables, kept by the master between checks (master.check)
 * so that a check allocates nothing: the allocator's agents and the map to
 * them by id, built again only when that list changes (agents_gen), and
 * the lists of held scalars and ranges, emptied at each check. The lists
 * grow by doubling, bounded by what the master holds (MC_MASTER_OFFERS_MAX
 * offers, its tasks).
 */
struct master_check {
    const struct mc_alloc *alloc;
    int agents_valid;
    uint64_t agents_gen;
    struct agent_sums *agents; /* the allocator's, in its order */
    uint32_t agents_count, agents_cap;
    struct mc_strmap by_id; /* the same, by id */
    struct held_scalar *scalars;
    uint32_t scalars_count, scalars_cap;
    struct held_range *ranges;
    uint32_t ranges_count, ranges_cap;
    /* This check's outcome. */
    int failed; /* out of memory: the check is skipped, not failed */
    char *text; /* the first violation found while collecting */
    size_t text_bytes;
    int bad;
};

static void violation(struct master_check *k, const char *fmt, const char *agent_id,
                      const char *name)
{
    if (!k->bad)
        snprintf(k->text, k->text_bytes, fmt, agent_id, name);
    k->bad = 1;
}

/*
 * Room for need elements of size bytes in *items (*cap of them now),
 * doubled from 64; 0 when there is none (k->failed is set). The elements
 * are kept.
 */
static int room(struct master_check *k, void **items, uint32_t *cap, uint32_t need, size_t size)
{
    if (k->failed)
        return 0;
    if (need <= *cap)
        return 1;
    uint32_t more = *cap ? *cap : 64;
    while (more < need && more <= UINT32_MAX / 2)
        more *= 2;
    void *p = more >= need ? mc_realloc(k->alloc, *items, (size_t)more * size) : NULL;
    if (p == NULL) {
        k->failed = 1;
        return 0;
    }
    *items = p;
    *cap = more;
    return 1;
}

static void scalar_add(struct master_check *k, struct agent_sums *a, const char *name,
                       int64_t milli)
{
    for (uint32_t i = a->scalars; i != 0; i = k->scalars[i - 1].next)
        if (k->scalars[i - 1].name[0] == name[0] && strcmp(k->scalars[i - 1].name, name) == 0) {
            k->scalars[i - 1].milli += milli;
            return;
        }
    if (!room(k, (void **)&k->scalars, &k->scalars_cap, k->scalars_count + 1,
              sizeof(*k->scalars)))
        return;
    k->scalars[k->scalars_count] = (struct held_scalar){name, milli, a->scalars};
    a->scalars = ++k->scalars_count;
}

static void range_push(struct master_check *k, uint32_t agent, const char *name, uint64_t begin,
                       uint64_t end)
{
    if (room(k, (void **)&k->ranges, &k->ranges_cap, k->ranges_count + 1, sizeof(*k->ranges)))
        k->ranges[k->ranges_count++] = (struct held_range){agent, name, begin, end};
}

static void collect_fn(void *ctx, const char *agent_id, const struct res_set *r)
{
    struct master_check *k = ctx;
    struct agent_sums *a = mc_strmap_get(&k->by_id, agent_id);
    if (a == NULL) {
        violation(k, "agent %s holds offers or tasks but the allocator does not know it%s",
                  agent_id, "");
        return;
    }
    for (uint32_t i = 0; i < r->count; i++) {
        const struct res_item *it = &r->items[i];
        if (it->type == RES_TYPE_SCALAR)
            scalar_add(k, a, it->name, it->scalar_milli);
        else if (it->type == RES_TYPE_RANGES)
            for (uint32_t n = 0; n < it->ranges_count; n++)
                range_push(k, (uint32_t)(a - k->agents), it->name, it->ranges[n].begin,
                           it->ranges[n].end);
    }
}

static int range_cmp(const void *pa, const void *pb)
{
    const struct held_range *a = pa, *b = pb;
    if (a->agent != b->agent)
        return a->agent < b->agent ? -1 : 1;
    int d = strcmp(a->name, b->name);
    if (d == 0)
        d = a->begin < b->begin ? -1 : a->begin > b->begin;
    return d;
}

/* 1 when [begin, end] of name lies within one range of the total. */
static int total_has_range(const struct res_set *total, const char *name, uint64_t begin,
                           uint64_t end)
{
    for (uint32_t i = 0; i < total->count; i++) {
        const struct res_item *it = &total->items[i];
        if (it->type != RES_TYPE_RANGES || strcmp(it->name, name) != 0)
            continue;
        for (uint32_t n = 0; n < it->ranges_count; n++)
            if (it->ranges[n].begin <= begin && end <= it->ranges[n].end)
                return 1;
    }
    return 0;
}

static void scalars_check(struct master_check *k)
{
    for (uint32_t n = 0; n < k->agents_count && !k->bad; n++) {
        const struct agent_sums *a = &k->agents[n];
        for (uint32_t i = a->scalars; i != 0; i = k->scalars[i - 1].next) {
            const struct held_scalar *h = &k->scalars[i - 1];
            int64_t total = res_set_scalar_milli(a->total, h->name);
            if (h->milli > total) {
                snprintf(k->text, k->text_bytes,
                         "agent %s: offers and tasks hold %s %.3f, more than its total %.3f",
                         a->agent_id, h->name, (double)h->milli / 1000.0, (double)total / 1000.0);
                k->bad = 1;
                return;
            }
        }
    }
}

static void ranges_check(struct master_check *k)
{
    if (k->ranges_count > 0) /* qsort(NULL, 0, ...) is undefined behaviour */
        qsort(k->ranges, k->ranges_count, sizeof(*k->ranges), range_cmp);
    for (uint32_t i = 0; i < k->ranges_count && !k->bad; i++) {
        const struct held_range *h = &k->ranges[i];
        const struct agent_sums *a = &k->agents[h->agent];
        if (i > 0 && h[-1].agent == h->agent && strcmp(h[-1].name, h->name) == 0 &&
            h[-1].end >= h->begin) {
            snprintf(k->text, k->text_bytes, "agent %s: %s %llu is in two offers or tasks at once",
                     a->agent_id, h->name, (unsigned long long)h->begin);
            k->bad = 1;
        } else if (!total_has_range(a->total, h->name, h->begin, h->end)) {
            snprintf(k->text, k->text_bytes,
                     "agent %s: %s [%llu-%llu] is held but not in its total", a->agent_id, h->name,
                     (unsigned long long)h->begin, (unsigned long long)h->end);
            k->bad = 1;
        }
    }
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

/* The allocator's agents, and the map to them by id; 0, or MC_ENOMEM. */
static int agents_make(const struct master *m, struct master_check *k)
{
    uint32_t n = master__offers_agents(m);
    k->agents_valid = 0;
    k->agents_count = 0;
    mc_strmap_deinit(&k->by_id);
    mc_strmap_init(&k->by_id, n > 0 ? n : 1, k->alloc);
    if (!room(k, (void **)&k->agents, &k->agents_cap, n, sizeof(*k->agents)) ||
        mc_strmap_reserve(&k->by_id, n) != 0)
        return MC_ENOMEM;
    for (uint32_t i = 0; i < n; i++) {
        struct agent_sums *a = &k->agents[i];
        master__offers_agent_at(m, i, &a->agent_id, &a->total);
        a->scalars = 0;
        int err = mc_strmap_put(&k->by_id, a->agent_id, a);
        if (err != 0)
            return err; /* MC_ENOMEM; the allocator's ids are distinct */
    }
    k->agents_count = n;
    k->agents_gen = master__offers_agents_gen(m);
    k->agents_valid = 1;
    return 0;
}

int master_invariants_check(struct master *m, char *text, size_t text_bytes)
{
    struct master_check *k = m->check;
    if (k == NULL) {
        k = mc_calloc(m->rt.alloc, 1, sizeof(*k));
        if (k == NULL)
            return streams_check(m, text, text_bytes); /* no memory: the rest is skipped */
        k->alloc = m->rt.alloc;
        mc_strmap_init(&k->by_id, 1, k->alloc);
        m->check = k;
    }
    k->text = text;
    k->text_bytes = text_bytes;
    k->failed = 0;
    k->bad = 0;
    k->scalars_count = 0;
    k->ranges_count = 0;
    int ready = 1;
    if (!k->agents_valid || k->agents_gen != master__offers_agents_gen(m))
        ready = agents_make(m, k) == 0;
    else
        for (uint32_t i = 0; i < k->agents_count; i++)
            k->agents[i].scalars = 0;
    if (ready) {
        master__offers_each(m, collect_fn, k);
        master__tasks_each_held(m, collect_fn, k);
        if (!k->failed && !k->bad)
            scalars_check(k);
        if (!k->failed && !k->bad)
            ranges_check(k);
    }
    if (k->failed)
        k->agents_valid = 0; /* built again next time */
    return (!k->failed && k->bad) || streams_check(m, text, text_bytes);
}

void master__invariants_free(struct master *m)
{
    struct master_check *k = m->check;
    if (k == NULL)
        return;
    mc_strmap_deinit(&k->by_id);
    mc_free(k->alloc, k->agents);
    mc_free(k->alloc, k->scalars);
    mc_free(k->alloc, k->ranges);
    mc_free(k->alloc, k);
    m->check = NULL;
}

uint64_t master_mutations(const struct master *m)
{
    return m->mutations;
}
