/*
 * invariants.c: the master's invariants, for the simulator's checkers
 * (master.h master_invariants_check), and the index of holds they use.
 *
 * What is held on an agent is recounted from the outstanding offers and the
 * tasks' holds, not read from the allocator's own bookkeeping, so that a
 * mistake in either shows:
 *  - per agent and resource name, the scalars of its offers and tasks sum
 *    to no more than the agent's total;
 *  - no port (range value) is in two offers or tasks, nor outside the total;
 *  - the stream ids of the subscribed frameworks are unique.
 *
 * The check runs after every event of a simulation that changed a hold, so
 * it recounts only the agents whose holds changed since the last check.
 * Offers, tasks and executors tell this file when their hold on an agent
 * starts or ends (master__hold_start, master__hold_end, in master_hold),
 * and it keeps them listed per agent (struct master_holds), the agents with
 * a change marked dirty. A check recounts each dirty agent from its list.
 * Every MASTER_CHECK_FULL_EVERY checks, and whenever the allocator's agents
 * change, a full check recounts every agent from the offers' and tasks' own
 * lists instead, and also checks the index against them: an offer or a task
 * that holds resources but never said so is a violation of its own.
 *
 * Recounting: the allocator's agents go into a map by id, each held scalar
 * is added to its agent's sum for that name, and each held range is listed
 * under its agent; only the ranges are sorted, agent by agent, to find
 * overlaps.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "master_internal.h"
#include "mc_assert.h"
#include "mc_strmap.h"

/* A full check, with the index checked too, after this many checks of dirty agents. */
#define MASTER_CHECK_FULL_EVERY 64u

/* One agent of the allocator, and what is held on it. */
struct agent_sums {
    const char *agent_id;
    const struct res_set *total;
    uint32_t scalars; /* its first held scalar name: an index + 1 in scalars, 0 none */
    int touched;      /* in this check's touched list */
};

/* The holds on one agent (struct master_hold.link); dirty when one started or ended. */
struct master_holds {
    char agent_id[MC_AGENT_ID_BYTES_MAX];
    struct mc_list_node items;
    uint32_t count;
    struct mc_list_node dirty_link; /* in master_check.dirty */
    int dirty;
    struct mc_list_node all_link; /* in master_check.all */
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
 * The checker's state, made with the master (master.check): the index of
 * holds, and tables kept between checks so that a check allocates nothing:
 * the allocator's agents and the map to them by id, built again only when
 * that list changes (agents_gen), and the lists of held scalars and ranges,
 * emptied at each check. The lists grow by doubling, bounded by what the
 * master holds (MC_MASTER_OFFERS_MAX offers, its tasks).
 */
struct master_check {
    const struct mc_alloc *alloc;
    /* The index: every hold, by agent. */
    struct mc_strmap holds_by_agent; /* struct master_holds */
    struct mc_list_node all;         /* the same */
    struct mc_list_node dirty;       /* those with a change */
    uint64_t index_count;            /* holds listed */
    int index_broken;                /* a hold could not be listed: only full checks */
    uint32_t since_full;             /* checks since the last full one */
    int full_next;                   /* the next check is a full one */
    /* The allocator's agents. */
    int agents_valid;
    uint64_t agents_gen;
    struct agent_sums *agents; /* the allocator's, in its order */
    uint32_t agents_count, agents_cap;
    struct mc_strmap by_id; /* the same, by id */
    uint32_t *touched;      /* agents with something held in this check */
    uint32_t touched_count, touched_cap;
    /* This check's count. */
    struct held_scalar *scalars;
    uint32_t scalars_count, scalars_cap;
    struct held_range *ranges;
    uint32_t ranges_count, ranges_cap;
    uint64_t items; /* offers and holds counted */
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

/* The allocator's record of agent_id, or NULL after reporting the violation. */
static struct agent_sums *agent_of(struct master_check *k, const char *agent_id)
{
    struct agent_sums *a = mc_strmap_get(&k->by_id, agent_id);
    if (a == NULL)
        violation(k, "agent %s holds offers or tasks but the allocator does not know it%s",
                  agent_id, "");
    else if (!a->touched &&
             room(k, (void **)&k->touched, &k->touched_cap, k->touched_count + 1,
                  sizeof(*k->touched))) {
        a->touched = 1;
        k->touched[k->touched_count++] = (uint32_t)(a - k->agents);
    }
    return a;
}

static void collect_into(struct master_check *k, struct agent_sums *a, const struct res_set *r)
{
    k->items++;
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

static void collect_fn(void *ctx, const char *agent_id, const struct res_set *r)
{
    struct master_check *k = ctx;
    struct agent_sums *a = agent_of(k, agent_id);
    if (a != NULL)
        collect_into(k, a, r);
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
    for (uint32_t n = 0; n < k->touched_count && !k->bad; n++) {
        const struct agent_sums *a = &k->agents[k->touched[n]];
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
    k->touched_count = 0;
    mc_strmap_deinit(&k->by_id);
    mc_strmap_init(&k->by_id, n > 0 ? n : 1, k->alloc);
    if (!room(k, (void **)&k->agents, &k->agents_cap, n, sizeof(*k->agents)) ||
        mc_strmap_reserve(&k->by_id, n) != 0)
        return MC_ENOMEM;
    for (uint32_t i = 0; i < n; i++) {
        struct agent_sums *a = &k->agents[i];
        master__offers_agent_at(m, i, &a->agent_id, &a->total);
        a->scalars = 0;
        a->touched = 0;
        int err = mc_strmap_put(&k->by_id, a->agent_id, a);
        if (err != 0)
            return err; /* MC_ENOMEM; the allocator's ids are distinct */
    }
    k->agents_count = n;
    k->agents_gen = master__offers_agents_gen(m);
    k->agents_valid = 1;
    return 0;
}

static void dirty_clear(struct master_check *k, struct master_holds *h)
{
    if (h->dirty) {
        mc_list_remove(&h->dirty_link);
        h->dirty = 0;
    }
}

/* Every agent, from the offers' and tasks' own lists; the index must list as many holds. */
static void check_full(struct master *m, struct master_check *k)
{
    master__offers_each(m, collect_fn, k);
    master__tasks_each_held(m, collect_fn, k);
    if (!k->bad && !k->failed && !k->index_broken && k->items != k->index_count) {
        snprintf(k->text, k->text_bytes,
                 "offers and tasks hold resources %llu times, the master's index of holds "
                 "lists %llu",
                 (unsigned long long)k->items, (unsigned long long)k->index_count);
        k->bad = 1;
    }
    while (!mc_list_empty(&k->dirty))
        dirty_clear(k, MC_CONTAINER_OF(k->dirty.next, struct master_holds, dirty_link));
    k->since_full = 0;
}

/* The agents whose holds changed, from the index. */
static void check_dirty(struct master_check *k)
{
    while (!mc_list_empty(&k->dirty) && !k->bad) {
        struct master_holds *h = MC_CONTAINER_OF(k->dirty.next, struct master_holds, dirty_link);
        dirty_clear(k, h);
        struct agent_sums *a = agent_of(k, h->agent_id);
        struct mc_list_node *it;
        MC_LIST_FOR_EACH(it, &h->items) {
            if (a != NULL)
                collect_into(k, a, MC_CONTAINER_OF(it, struct master_hold, link)->resources);
        }
    }
    k->since_full++;
}

int master_invariants_check(struct master *m, char *text, size_t text_bytes)
{
    struct master_check *k = m->check;
    MC_ASSERT(k != NULL);
    k->text = text;
    k->text_bytes = text_bytes;
    k->failed = 0;
    k->bad = 0;
    k->scalars_count = 0;
    k->ranges_count = 0;
    k->items = 0;
    int full = k->full_next || k->index_broken || k->since_full >= MASTER_CHECK_FULL_EVERY;
    int ready = 1;
    if (!k->agents_valid || k->agents_gen != master__offers_agents_gen(m)) {
        ready = agents_make(m, k) == 0;
        full = 1;
    }
    if (ready) {
        if (full)
            check_full(m, k);
        else
            check_dirty(k);
        if (!k->failed && !k->bad)
            scalars_check(k);
        if (!k->failed && !k->bad)
            ranges_check(k);
    }
    for (uint32_t i = 0; i < k->touched_count; i++) {
        k->agents[k->touched[i]].scalars = 0;
        k->agents[k->touched[i]].touched = 0;
    }
    k->touched_count = 0;
    /* After a failure or a violation, what was dirty may not all have been seen. */
    k->full_next = k->failed || k->bad || !ready;
    if (k->failed || !ready)
        k->agents_valid = 0; /* built again next time */
    return (!k->failed && k->bad) || streams_check(m, text, text_bytes);
}

int master__invariants_create(struct master *m)
{
    struct master_check *k = mc_calloc(m->rt.alloc, 1, sizeof(*k));
    if (k == NULL)
        return MC_ENOMEM;
    k->alloc = m->rt.alloc;
    mc_strmap_init(&k->holds_by_agent, MC_MASTER_AGENTS_MAX, k->alloc);
    mc_list_init(&k->all);
    mc_list_init(&k->dirty);
    mc_strmap_init(&k->by_id, 1, k->alloc);
    m->check = k;
    return 0;
}

void master__invariants_free(struct master *m)
{
    struct master_check *k = m->check;
    if (k == NULL)
        return;
    struct mc_list_node *it, *tmp;
    MC_LIST_FOR_EACH_SAFE(it, tmp, &k->all) {
        mc_free(k->alloc, MC_CONTAINER_OF(it, struct master_holds, all_link));
    }
    mc_strmap_deinit(&k->holds_by_agent);
    mc_strmap_deinit(&k->by_id);
    mc_free(k->alloc, k->agents);
    mc_free(k->alloc, k->touched);
    mc_free(k->alloc, k->scalars);
    mc_free(k->alloc, k->ranges);
    mc_free(k->alloc, k);
    m->check = NULL;
}

/* ---- the index of holds ---- */

static void dirty_mark(struct master_check *k, struct master_holds *h)
{
    if (!h->dirty) {
        mc_list_push_back(&k->dirty, &h->dirty_link);
        h->dirty = 1;
    }
}

void master__hold_start(struct master *m, struct master_hold *hold, const char *agent_id,
                        const struct res_set *resources)
{
    m->mutations++;
    hold->holds = NULL;
    hold->resources = resources;
    struct master_check *k = m->check;
    if (k == NULL)
        return; /* the master is going */
    struct master_holds *h = mc_strmap_get(&k->holds_by_agent, agent_id);
    if (h == NULL) {
        h = mc_calloc(k->alloc, 1, sizeof(*h));
        if (h != NULL) {
            snprintf(h->agent_id, sizeof(h->agent_id), "%s", agent_id);
            mc_list_init(&h->items);
        }
        if (h == NULL || mc_strmap_put(&k->holds_by_agent, h->agent_id, h) != 0) {
            mc_free(k->alloc, h);
            k->index_broken = 1; /* out of memory: every check is a full one from now on */
            return;
        }
        mc_list_push_back(&k->all, &h->all_link);
    }
    mc_list_push_back(&h->items, &hold->link);
    h->count++;
    k->index_count++;
    hold->holds = h;
    dirty_mark(k, h);
}

void master__hold_end(struct master *m, struct master_hold *hold)
{
    m->mutations++;
    struct master_check *k = m->check;
    struct master_holds *h = hold->holds;
    if (k == NULL || h == NULL)
        return;
    mc_list_remove(&hold->link);
    hold->holds = NULL;
    h->count--;
    k->index_count--;
    if (h->count > 0) {
        dirty_mark(k, h);
        return;
    }
    /* Nothing held there any more: nothing to check. */
    dirty_clear(k, h);
    mc_list_remove(&h->all_link);
    struct master_holds *indexed = mc_strmap_del(&k->holds_by_agent, h->agent_id);
    MC_ASSERT(indexed == h);
    mc_free(k->alloc, h);
}

void master__hold_touch(struct master *m, const char *agent_id)
{
    m->mutations++;
    struct master_check *k = m->check;
    struct master_holds *h = k != NULL ? mc_strmap_get(&k->holds_by_agent, agent_id) : NULL;
    if (h != NULL)
        dirty_mark(k, h);
}

uint64_t master_mutations(const struct master *m)
{
    return m->mutations;
}
