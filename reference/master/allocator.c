/*
 * allocator.c: the DRF allocator described in allocator.h.
 *
 * Theory of operation. Each agent keeps its total and what is available
 * (total minus everything offered or allocated), both unallocated. Each
 * framework keeps its holdings, one per (agent, role) with the resources
 * allocated to that role, and its offer filters. An allocation cycle builds
 * a table of "clients" (framework, role) with their scalar quantities per
 * cluster resource name, visits the agents in insertion order and, for
 * each, sorts roles and clients by dominant share and hands the agent's
 * available resources to the first client that takes them. Every container
 * is bounded by a limit of mc_limits.h.
 */
#include "allocator.h"

#include <math.h>
#include <stddef.h>
#include <string.h>

#include "mc_assert.h"

struct alloc_agent {
    char agent_id[MC_ALLOC_ID_BYTES_MAX];
    uint64_t serial; /* agents_gen when it was added: unique, later agents higher */
    struct res_set total;
    struct res_set available;
    int active;
    int reachable;
    /* Skipping an agent nobody will take (alloc_allocate): gen moves with
     * every change of its available resources or of its filters; when a
     * cycle offered nothing of it, idle records both generations. */
    uint64_t gen;
    int idle;
    uint64_t idle_gen;
    uint64_t idle_clients_gen;
};

/*
 * What a framework holds (offered or allocated) on one agent for one role.
 * A framework's holdings are sorted by agent serial, those of one agent in
 * the order they were made (the order they give resources back in).
 */
struct alloc_holding {
    struct alloc_agent *agent;
    uint64_t agent_serial;
    uint32_t role;
    struct res_set resources; /* allocated to the role */
};

/* A DECLINE filter: refuses offers that these resources contain. */
struct alloc_filter {
    struct alloc_agent *agent;
    uint32_t role;
    struct res_set resources; /* unallocated */
    uint64_t expires_ns;
};

/* What a framework holds of one scalar for one role, summed over its holdings. */
struct alloc_held {
    uint32_t role;
    int64_t milli;
    char name[MC_RES_NAME_BYTES_MAX];
};

/* (role, scalar name) sums a framework keeps; past it, cycles sum its holdings again. */
#define ALLOC_HELD_MAX MC_RES_ITEMS_MAX

struct alloc_framework {
    char framework_id[MC_ALLOC_ID_BYTES_MAX];
    char roles[MC_ALLOC_FRAMEWORK_ROLES_MAX][MC_RES_ROLE_BYTES_MAX];
    uint32_t roles_count;
    uint64_t suppressed; /* a bit per role index */
    uint64_t allocations[MC_ALLOC_FRAMEWORK_ROLES_MAX]; /* DRF tie-break counts */
    int multi_role;
    int active;
    int refinement; /* takes refined reservations (RESERVATION_REFINEMENT) */
    uint64_t seq;
    struct alloc_holding *holdings;
    uint32_t holdings_count;
    uint32_t holdings_cap;
    struct alloc_filter *filters;
    uint32_t filters_count;
    uint32_t filters_cap;
    uint64_t filters_expire_min; /* no filter expires before: a cycle before needs no look */
    /*
     * The scalars of the holdings summed per (role, name), none zero, kept
     * as holdings change so that a cycle need not read every holding. When
     * held_valid is 0 (ALLOC_HELD_MAX or memory ran out) they are not kept
     * and cycles sum the holdings.
     */
    struct alloc_held *held;
    uint32_t held_count;
    uint32_t held_cap;
    int held_valid;
};

static_assert(MC_ALLOC_FRAMEWORK_ROLES_MAX <= 64, "suppressed roles fit a 64-bit mask");

/* ---- options, offers ---- */

void alloc_options_default(struct alloc_options *opts)
{
    opts->allocation_interval_ns = 1000000000ull;
    opts->min_cpus_milli = 10;
    opts->min_mem_milli = 32000;
}

void alloc_offers_init(struct alloc_offers *offers, const struct mc_alloc *alloc)
{
    memset(offers, 0, sizeof(*offers));
    offers->alloc = alloc;
}

void alloc_offers_deinit(struct alloc_offers *offers)
{
    for (uint32_t i = 0; i < offers->count; i++)
        res_set_deinit(&offers->items[i].resources);
    mc_free(offers->alloc, offers->items);
    offers->items = NULL;
    offers->count = offers->cap = 0;
}

/* ---- lookups ---- */

static int id_ok(const char *id)
{
    return id != NULL && id[0] != '\0' && strlen(id) < MC_ALLOC_ID_BYTES_MAX;
}

/* The index of item in items[count], which holds it. */
static uint32_t index_of(void *const *items, uint32_t count, const void *item)
{
    uint32_t i = 0;
    while (items[i] != item)
        i++;
    MC_ASSERT(i < count);
    return i;
}

static struct alloc_agent *agent_find(const struct allocator *a, const char *agent_id, uint32_t *at)
{
    struct alloc_agent *ag = agent_id != NULL ? mc_strmap_get(&a->agents_by_id, agent_id) : NULL;
    if (ag != NULL && at != NULL)
        *at = index_of((void *const *)a->agents, a->agents_count, ag);
    return ag;
}

static struct alloc_framework *framework_find(const struct allocator *a, const char *framework_id,
                                              uint32_t *at)
{
    struct alloc_framework *f =
        framework_id != NULL ? mc_strmap_get(&a->frameworks_by_id, framework_id) : NULL;
    if (f != NULL && at != NULL)
        *at = index_of((void *const *)a->frameworks, a->frameworks_count, f);
    return f;
}

static int framework_role_index(const struct alloc_framework *f, const char *role)
{
    for (uint32_t i = 0; role != NULL && i < f->roles_count; i++)
        if (strcmp(f->roles[i], role) == 0)
            return (int)i;
    return -1;
}

/* Grows an array of elem_bytes elements to hold need; MC_ELIMIT past max. */
static int array_reserve(const struct mc_alloc *alloc, void **arr, uint32_t *cap, uint32_t need,
                         uint32_t max, size_t elem_bytes)
{
    if (need > max)
        return MC_ELIMIT;
    if (need <= *cap)
        return 0;
    uint32_t n = *cap ? *cap : 4;
    while (n < need)
        n = n > max / 2 ? max : n * 2;
    void *p = mc_realloc(alloc, *arr, (size_t)n * elem_bytes);
    if (p == NULL)
        return MC_ENOMEM;
    *arr = p;
    *cap = n;
    return 0;
}

/* ---- init ---- */

void alloc_init(struct allocator *a, const struct mc_alloc *alloc, const struct alloc_options *opts)
{
    MC_ASSERT(a != NULL);
    memset(a, 0, sizeof(*a));
    a->alloc = alloc;
    mc_strmap_init(&a->agents_by_id, MC_ALLOC_AGENTS_MAX, alloc);
    mc_strmap_init(&a->frameworks_by_id, MC_ALLOC_FRAMEWORKS_MAX, alloc);
    if (opts != NULL)
        a->opts = *opts;
    else
        alloc_options_default(&a->opts);
}

static void filter_deinit(struct alloc_filter *flt)
{
    res_set_deinit(&flt->resources);
}

static void framework_destroy(const struct mc_alloc *alloc, struct alloc_framework *f)
{
    for (uint32_t i = 0; i < f->holdings_count; i++)
        res_set_deinit(&f->holdings[i].resources);
    for (uint32_t i = 0; i < f->filters_count; i++)
        filter_deinit(&f->filters[i]);
    mc_free(alloc, f->holdings);
    mc_free(alloc, f->filters);
    mc_free(alloc, f->held);
    mc_free(alloc, f);
}

static void agent_destroy(const struct mc_alloc *alloc, struct alloc_agent *ag)
{
    res_set_deinit(&ag->total);
    res_set_deinit(&ag->available);
    mc_free(alloc, ag);
}

void alloc_deinit(struct allocator *a)
{
    for (uint32_t i = 0; i < a->frameworks_count; i++)
        framework_destroy(a->alloc, a->frameworks[i]);
    for (uint32_t i = 0; i < a->agents_count; i++)
        agent_destroy(a->alloc, a->agents[i]);
    mc_free(a->alloc, a->frameworks);
    mc_free(a->alloc, a->agents);
    mc_free(a->alloc, a->totals);
    mc_strmap_deinit(&a->agents_by_id);
    mc_strmap_deinit(&a->frameworks_by_id);
    memset(a, 0, sizeof(*a));
}

int alloc_cycle_wanted(const struct allocator *a)
{
    return a->cycle_wanted;
}

/* ---- agents ---- */

int alloc_agent_add(struct allocator *a, const char *agent_id, const struct res_set *total)
{
    if (!id_ok(agent_id))
        return MC_EINVAL;
    if (agent_find(a, agent_id, NULL) != NULL)
        return MC_EEXIST;
    int rc = array_reserve(a->alloc, (void **)&a->agents, &a->agents_cap, a->agents_count + 1,
                           MC_ALLOC_AGENTS_MAX, sizeof(*a->agents));
    if (rc != 0)
        return rc;
    struct alloc_agent *ag = mc_calloc(a->alloc, 1, sizeof(*ag));
    if (ag == NULL)
        return MC_ENOMEM;
    strcpy(ag->agent_id, agent_id);
    res_set_init(&ag->total, a->alloc);
    res_set_init(&ag->available, a->alloc);
    ag->active = ag->reachable = 1;
    rc = res_set_copy(&ag->total, total);
    if (rc == 0)
        rc = res_set_allocate(&ag->total, "");
    if (rc == 0)
        rc = res_set_copy(&ag->available, &ag->total);
    if (rc == 0)
        rc = mc_strmap_put(&a->agents_by_id, ag->agent_id, ag);
    if (rc != 0) {
        agent_destroy(a->alloc, ag);
        return rc;
    }
    a->agents[a->agents_count++] = ag;
    ag->serial = ++a->agents_gen;
    a->totals_gen++;
    a->cycle_wanted = 1;
    return 0;
}

static void holding_account(const struct mc_alloc *alloc, struct alloc_framework *f,
                            const struct alloc_holding *h, int sign);

/* Drops a framework's holdings and filters that refer to an agent. */
static void framework_forget_agent(const struct mc_alloc *alloc, struct alloc_framework *f,
                                   const struct alloc_agent *ag)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < f->holdings_count; i++) {
        if (f->holdings[i].agent == ag) {
            holding_account(alloc, f, &f->holdings[i], -1);
            res_set_deinit(&f->holdings[i].resources);
        } else {
            f->holdings[n++] = f->holdings[i];
        }
    }
    f->holdings_count = n;
    n = 0;
    for (uint32_t i = 0; i < f->filters_count; i++) {
        if (f->filters[i].agent == ag)
            filter_deinit(&f->filters[i]);
        else
            f->filters[n++] = f->filters[i];
    }
    f->filters_count = n;
}

int alloc_agent_remove(struct allocator *a, const char *agent_id)
{
    uint32_t at;
    struct alloc_agent *ag = agent_find(a, agent_id, &at);
    if (ag == NULL)
        return MC_ENOTFOUND;
    for (uint32_t i = 0; i < a->frameworks_count; i++)
        framework_forget_agent(a->alloc, a->frameworks[i], ag);
    memmove(&a->agents[at], &a->agents[at + 1], (a->agents_count - at - 1) * sizeof(*a->agents));
    a->agents_count--;
    a->agents_gen++;
    a->totals_gen++;
    mc_strmap_del(&a->agents_by_id, agent_id);
    agent_destroy(a->alloc, ag);
    return 0;
}

int alloc_agent_set_active(struct allocator *a, const char *agent_id, int active)
{
    struct alloc_agent *ag = agent_find(a, agent_id, NULL);
    if (ag == NULL)
        return MC_ENOTFOUND;
    ag->active = active != 0;
    ag->gen++;
    a->cycle_wanted |= ag->active;
    return 0;
}

int alloc_agent_set_reachable(struct allocator *a, const char *agent_id, int reachable)
{
    struct alloc_agent *ag = agent_find(a, agent_id, NULL);
    if (ag == NULL)
        return MC_ENOTFOUND;
    ag->reachable = reachable != 0;
    ag->gen++;
    a->totals_gen++;
    a->cycle_wanted |= ag->reachable;
    return 0;
}

int alloc_agent_available(const struct allocator *a, const char *agent_id, struct res_set *out)
{
    const struct alloc_agent *ag = agent_find(a, agent_id, NULL);
    if (ag == NULL)
        return MC_ENOTFOUND;
    return res_set_copy(out, &ag->available);
}

const struct res_set *alloc_agent_total(const struct allocator *a, const char *agent_id)
{
    const struct alloc_agent *ag = agent_find(a, agent_id, NULL);
    return ag != NULL ? &ag->total : NULL;
}

void alloc_agent_at(const struct allocator *a, uint32_t i, const char **agent_id,
                    const struct res_set **total)
{
    MC_ASSERT(i < a->agents_count);
    *agent_id = a->agents[i]->agent_id;
    *total = &a->agents[i]->total;
}

/* ---- holdings ---- */

/* f's held sum of (role, name) += delta; a sum that comes to zero goes. */
static void held_add(const struct mc_alloc *alloc, struct alloc_framework *f, uint32_t role,
                     const char *name, int64_t delta)
{
    for (uint32_t i = 0; i < f->held_count; i++) {
        struct alloc_held *e = &f->held[i];
        if (e->role != role || !res_text_equal(e->name, name))
            continue;
        e->milli += delta;
        if (e->milli == 0)
            *e = f->held[--f->held_count];
        return;
    }
    if (array_reserve(alloc, (void **)&f->held, &f->held_cap, f->held_count + 1, ALLOC_HELD_MAX,
                      sizeof(*f->held)) != 0) {
        f->held_valid = 0; /* cycles sum the holdings from now on */
        return;
    }
    struct alloc_held *e = &f->held[f->held_count++];
    e->role = role;
    e->milli = delta;
    strcpy(e->name, name);
}

/*
 * Adds (sign 1) or takes away (sign -1) what h holds from f's held sums. A
 * change of a holding's resources is bracketed by the two, so the sums stay
 * exact whatever the change did, errors included.
 */
static void holding_account(const struct mc_alloc *alloc, struct alloc_framework *f,
                            const struct alloc_holding *h, int sign)
{
    for (uint32_t i = 0; f->held_valid && i < h->resources.count; i++) {
        const struct res_item *it = &h->resources.items[i];
        if (it->type == RES_TYPE_SCALAR && it->scalar_milli != 0)
            held_add(alloc, f, h->role, it->name, sign * it->scalar_milli);
    }
}

/* The index of f's first holding whose agent serial is not below serial. */
static uint32_t holding_lower(const struct alloc_framework *f, uint64_t serial)
{
    uint32_t lo = 0, hi = f->holdings_count;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (f->holdings[mid].agent_serial < serial)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static struct alloc_holding *holding_find(struct alloc_framework *f, const struct alloc_agent *ag,
                                          uint32_t role)
{
    for (uint32_t i = holding_lower(f, ag->serial);
         i < f->holdings_count && f->holdings[i].agent == ag; i++)
        if (f->holdings[i].role == role)
            return &f->holdings[i];
    return NULL;
}

/*
 * Moves resources (unallocated, or allocated to role) from the agent's
 * available to the framework's holding for role. The caller has checked
 * availability (and res_set_move checks it again).
 */
static int holding_take(const struct allocator *a, struct alloc_framework *f,
                        struct alloc_agent *ag, uint32_t role, const struct res_set *resources)
{
    struct alloc_holding *h = holding_find(f, ag, role);
    if (h == NULL) {
        int rc = array_reserve(a->alloc, (void **)&f->holdings, &f->holdings_cap,
                               f->holdings_count + 1, MC_ALLOC_AGENTS_MAX * MC_ALLOC_FRAMEWORK_ROLES_MAX,
                               sizeof(*f->holdings));
        if (rc != 0)
            return rc;
        uint32_t at = holding_lower(f, ag->serial + 1); /* after the agent's others */
        h = &f->holdings[at];
        memmove(h + 1, h, (f->holdings_count - at) * sizeof(*h));
        h->agent = ag;
        h->agent_serial = ag->serial;
        h->role = role;
        res_set_init(&h->resources, a->alloc);
        f->holdings_count++;
    }
    holding_account(a->alloc, f, h, -1);
    int rc = res_set_move(&h->resources, f->roles[role], &ag->available, "", resources);
    MC_ASSERT(rc != MC_EINVAL); /* not available: the caller's check is broken */
    holding_account(a->alloc, f, h, 1);
    ag->gen++;
    return rc;
}

int alloc_allocation_add(struct allocator *a, const char *framework_id, const char *agent_id,
                         const char *role, const struct res_set *resources)
{
    struct alloc_framework *f = framework_find(a, framework_id, NULL);
    struct alloc_agent *ag = agent_find(a, agent_id, NULL);
    if (f == NULL || ag == NULL)
        return MC_ENOTFOUND;
    int r = framework_role_index(f, role);
    if (r < 0)
        return MC_EINVAL;
    struct res_set unallocated;
    res_set_init(&unallocated, a->alloc);
    int rc = res_set_copy(&unallocated, resources);
    if (rc == 0)
        rc = res_set_allocate(&unallocated, "");
    if (rc == 0 && !res_set_contains(&ag->available, &unallocated))
        rc = MC_EINVAL;
    if (rc == 0)
        rc = holding_take(a, f, ag, (uint32_t)r, &unallocated);
    res_set_deinit(&unallocated);
    return rc;
}

/* The unallocated copy of resources into out (initialised by the caller). */
static int unallocated_copy(struct res_set *out, const struct res_set *resources)
{
    int rc = res_set_copy(out, resources);
    if (rc == 0)
        rc = res_set_allocate(out, "");
    return rc;
}

int alloc_allocation_convert(struct allocator *a, const char *framework_id, const char *agent_id,
                             const char *role, const struct res_set *consumed,
                             const struct res_set *converted)
{
    struct alloc_framework *f = framework_find(a, framework_id, NULL);
    struct alloc_agent *ag = agent_find(a, agent_id, NULL);
    if (f == NULL || ag == NULL)
        return MC_ENOTFOUND;
    int r = framework_role_index(f, role);
    struct alloc_holding *h = r < 0 ? NULL : holding_find(f, ag, (uint32_t)r);
    if (h == NULL)
        return MC_EINVAL;
    struct res_set c_alloc, v_alloc, c_un, v_un;
    res_set_init(&c_alloc, a->alloc);
    res_set_init(&v_alloc, a->alloc);
    res_set_init(&c_un, a->alloc);
    res_set_init(&v_un, a->alloc);
    int rc = res_set_copy(&c_alloc, consumed);
    if (rc == 0)
        rc = res_set_allocate(&c_alloc, role);
    if (rc == 0)
        rc = res_set_copy(&v_alloc, converted);
    if (rc == 0)
        rc = res_set_allocate(&v_alloc, role);
    if (rc == 0)
        rc = unallocated_copy(&c_un, consumed);
    if (rc == 0)
        rc = unallocated_copy(&v_un, converted);
    if (rc == 0 && (!res_set_contains(&h->resources, &c_alloc) ||
                    !res_set_contains(&ag->total, &c_un)))
        rc = MC_EINVAL;
    if (rc == 0) {
        holding_account(a->alloc, f, h, -1);
        rc = res_set_subtract(&h->resources, &c_alloc);
        if (rc == 0)
            rc = res_set_add(&h->resources, &v_alloc);
        holding_account(a->alloc, f, h, 1);
    }
    if (rc == 0)
        rc = res_set_subtract(&ag->total, &c_un);
    if (rc == 0)
        rc = res_set_add(&ag->total, &v_un);
    ag->gen++;
    a->totals_gen++;
    res_set_deinit(&c_alloc);
    res_set_deinit(&v_alloc);
    res_set_deinit(&c_un);
    res_set_deinit(&v_un);
    return rc;
}

int alloc_agent_total_set(struct allocator *a, const char *agent_id, const struct res_set *total)
{
    struct alloc_agent *ag = agent_find(a, agent_id, NULL);
    if (ag == NULL)
        return MC_ENOTFOUND;
    struct res_set held, next, avail;
    res_set_init(&held, a->alloc);
    res_set_init(&next, a->alloc);
    res_set_init(&avail, a->alloc);
    int rc = unallocated_copy(&next, total);
    for (uint32_t i = 0; rc == 0 && i < a->frameworks_count; i++) {
        const struct alloc_framework *f = a->frameworks[i];
        for (uint32_t k = 0; rc == 0 && k < f->holdings_count; k++) {
            if (f->holdings[k].agent != ag)
                continue;
            struct res_set un;
            res_set_init(&un, a->alloc);
            rc = unallocated_copy(&un, &f->holdings[k].resources);
            if (rc == 0)
                rc = res_set_add(&held, &un);
            res_set_deinit(&un);
        }
    }
    if (rc == 0 && !res_set_contains(&next, &held))
        rc = MC_EINVAL;
    if (rc == 0)
        rc = res_set_copy(&avail, &next);
    if (rc == 0)
        rc = res_set_subtract(&avail, &held);
    if (rc == 0) {
        res_set_deinit(&ag->total);
        res_set_deinit(&ag->available);
        ag->total = next;
        ag->available = avail;
        ag->gen++;
        a->totals_gen++;
        a->cycle_wanted = 1;
    } else {
        res_set_deinit(&next);
        res_set_deinit(&avail);
    }
    res_set_deinit(&held);
    return rc;
}

/* ---- frameworks ---- */

int alloc_framework_refinement_set(struct allocator *a, const char *framework_id, int capable)
{
    struct alloc_framework *f = framework_find(a, framework_id, NULL);
    if (f == NULL)
        return MC_ENOTFOUND;
    f->refinement = capable != 0;
    a->clients_gen++;
    return 0;
}

/* Sets f's roles and suppressed mask from the caller's lists. */
static int framework_roles_set(struct alloc_framework *f, const char *const *roles,
                               uint32_t roles_count, const char *const *suppressed,
                               uint32_t suppressed_count)
{
    if (roles_count == 0 || roles == NULL)
        return MC_EINVAL;
    if (roles_count > MC_ALLOC_FRAMEWORK_ROLES_MAX)
        return MC_ELIMIT;
    for (uint32_t i = 0; i < roles_count; i++) {
        if (roles[i] == NULL || roles[i][0] == '\0' || strlen(roles[i]) >= MC_RES_ROLE_BYTES_MAX)
            return MC_EINVAL;
        if (framework_role_index(f, roles[i]) >= 0)
            continue; /* a repeated role counts once */
        strcpy(f->roles[f->roles_count++], roles[i]);
    }
    for (uint32_t i = 0; i < suppressed_count; i++) {
        int r = framework_role_index(f, suppressed[i]);
        if (r < 0)
            return MC_EINVAL;
        f->suppressed |= 1ull << r;
    }
    return 0;
}

int alloc_framework_add(struct allocator *a, const char *framework_id, const char *const *roles,
                        uint32_t roles_count, int multi_role, const char *const *suppressed,
                        uint32_t suppressed_count, int active)
{
    if (!id_ok(framework_id))
        return MC_EINVAL;
    if (framework_find(a, framework_id, NULL) != NULL)
        return MC_EEXIST;
    int rc = array_reserve(a->alloc, (void **)&a->frameworks, &a->frameworks_cap,
                           a->frameworks_count + 1, MC_ALLOC_FRAMEWORKS_MAX, sizeof(*a->frameworks));
    if (rc != 0)
        return rc;
    struct alloc_framework *f = mc_calloc(a->alloc, 1, sizeof(*f));
    if (f == NULL)
        return MC_ENOMEM;
    rc = framework_roles_set(f, roles, roles_count, suppressed, suppressed_count);
    if (rc != 0) {
        framework_destroy(a->alloc, f);
        return rc;
    }
    strcpy(f->framework_id, framework_id);
    rc = mc_strmap_put(&a->frameworks_by_id, f->framework_id, f);
    if (rc != 0) {
        framework_destroy(a->alloc, f);
        return rc;
    }
    f->multi_role = multi_role != 0;
    f->active = active != 0;
    f->held_valid = 1;
    f->seq = a->seq_next++;
    a->frameworks[a->frameworks_count++] = f;
    a->cycle_wanted |= f->active;
    a->clients_gen++;
    return 0;
}

int alloc_framework_remove(struct allocator *a, const char *framework_id)
{
    uint32_t at;
    struct alloc_framework *f = framework_find(a, framework_id, &at);
    if (f == NULL)
        return MC_ENOTFOUND;
    int failed = 0;
    for (uint32_t i = 0; i < f->holdings_count; i++) {
        struct alloc_holding *h = &f->holdings[i];
        /* Giving back cannot exceed the total, so only memory can fail here. */
        failed |= res_set_allocate(&h->resources, "") != 0;
        failed |= res_set_add(&h->agent->available, &h->resources) != 0;
        h->agent->gen++;
    }
    a->clients_gen++;
    memmove(&a->frameworks[at], &a->frameworks[at + 1],
            (a->frameworks_count - at - 1) * sizeof(*a->frameworks));
    a->frameworks_count--;
    mc_strmap_del(&a->frameworks_by_id, framework_id);
    framework_destroy(a->alloc, f);
    return failed ? MC_ENOMEM : 0;
}

/* Drops the filters of the roles in mask (all roles: ~0). */
static void framework_filters_clear(struct alloc_framework *f, uint64_t mask)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < f->filters_count; i++) {
        if (mask & (1ull << f->filters[i].role))
            filter_deinit(&f->filters[i]);
        else
            f->filters[n++] = f->filters[i];
    }
    f->filters_count = n;
}

int alloc_framework_set_active(struct allocator *a, const char *framework_id, int active)
{
    struct alloc_framework *f = framework_find(a, framework_id, NULL);
    if (f == NULL)
        return MC_ENOTFOUND;
    f->active = active != 0;
    a->clients_gen++;
    if (!f->active)
        framework_filters_clear(f, ~0ull);
    a->cycle_wanted |= f->active;
    return 0;
}

/* The mask of the roles named (every role when roles_count is 0); 0 with MC_EINVAL. */
static int roles_mask(const struct alloc_framework *f, const char *const *roles,
                      uint32_t roles_count, uint64_t *mask)
{
    *mask = 0;
    if (roles_count == 0) {
        *mask = f->roles_count == 64 ? ~0ull : (1ull << f->roles_count) - 1;
        return 0;
    }
    for (uint32_t i = 0; i < roles_count; i++) {
        int r = framework_role_index(f, roles[i]);
        if (r < 0)
            return MC_EINVAL;
        *mask |= 1ull << r;
    }
    return 0;
}

int alloc_framework_suppress(struct allocator *a, const char *framework_id,
                             const char *const *roles, uint32_t roles_count)
{
    struct alloc_framework *f = framework_find(a, framework_id, NULL);
    if (f == NULL)
        return MC_ENOTFOUND;
    uint64_t mask;
    int rc = roles_mask(f, roles, roles_count, &mask);
    if (rc != 0)
        return rc;
    f->suppressed |= mask;
    a->clients_gen++;
    return 0;
}

int alloc_framework_revive(struct allocator *a, const char *framework_id,
                           const char *const *roles, uint32_t roles_count)
{
    struct alloc_framework *f = framework_find(a, framework_id, NULL);
    if (f == NULL)
        return MC_ENOTFOUND;
    uint64_t mask;
    int rc = roles_mask(f, roles, roles_count, &mask);
    if (rc != 0)
        return rc;
    framework_filters_clear(f, mask);
    f->suppressed &= ~mask;
    a->clients_gen++;
    a->cycle_wanted = 1;
    return 0;
}

/* ---- recovering resources and filters ---- */

/*
 * The filter's duration as hierarchical.cpp's recoverResources computes it;
 * 0 means no filter. Durations are whole nanoseconds, as Mesos' Duration.
 */
static uint64_t refuse_ns(const struct alloc_options *opts, double refuse_seconds)
{
    double seconds = refuse_seconds;
    if (isnan(seconds) || seconds < 0)
        seconds = 5.0; /* Filters.refuse_seconds' default */
    else if (seconds > MC_ALLOC_REFUSE_SECONDS_MAX)
        seconds = MC_ALLOC_REFUSE_SECONDS_MAX;
    uint64_t ns = (uint64_t)(seconds * 1e9);
    if (ns == 0)
        return 0;
    return ns > opts->allocation_interval_ns ? ns : opts->allocation_interval_ns;
}

/* Installs a filter for resources (in any allocation role: the filter keeps them unallocated). */
static int filter_install(struct allocator *a, struct alloc_framework *f, struct alloc_agent *ag,
                          uint32_t role, const struct res_set *resources, uint64_t expires_ns)
{
    int rc = array_reserve(a->alloc, (void **)&f->filters, &f->filters_cap, f->filters_count + 1,
                           MC_ALLOC_FILTERS_MAX, sizeof(*f->filters));
    if (rc != 0)
        return rc;
    struct alloc_filter *flt = &f->filters[f->filters_count];
    flt->agent = ag;
    flt->role = role;
    flt->expires_ns = expires_ns;
    if (expires_ns < f->filters_expire_min)
        f->filters_expire_min = expires_ns;
    res_set_init(&flt->resources, a->alloc);
    rc = unallocated_copy(&flt->resources, resources);
    if (rc != 0) {
        filter_deinit(flt);
        return rc;
    }
    f->filters_count++;
    ag->gen++;
    return 0;
}

int alloc_recover(struct allocator *a, const char *framework_id, const char *agent_id,
                  const char *role, const struct res_set *resources, int has_filter,
                  double refuse_seconds, uint64_t now_ns)
{
    struct alloc_framework *f = framework_find(a, framework_id, NULL);
    struct alloc_agent *ag = agent_find(a, agent_id, NULL);
    if (f == NULL || ag == NULL)
        return MC_ENOTFOUND;
    int r = framework_role_index(f, role);
    struct alloc_holding *h = r < 0 ? NULL : holding_find(f, ag, (uint32_t)r);
    if (h == NULL)
        return MC_EINVAL;
    /* resources come back allocated to role; what returns to the agent is unallocated. */
    holding_account(a->alloc, f, h, -1);
    int rc = res_set_move(&ag->available, "", &h->resources, role, resources);
    holding_account(a->alloc, f, h, 1);
    ag->gen++;
    uint64_t ns = has_filter ? refuse_ns(&a->opts, refuse_seconds) : 0;
    if (rc == 0 && ns > 0 && !res_set_empty(resources))
        rc = filter_install(a, f, ag, (uint32_t)r, resources, now_ns + ns);
    return rc;
}

/* ---- the allocation cycle ---- */

/* One (framework, role) pair of a cycle, with its scalar quantities. */
struct cycle_client {
    struct alloc_framework *f;
    uint32_t role;      /* index in f->roles */
    uint32_t role_slot; /* index in the cycle's role table */
    double share;
};

/* The working tables of one cycle, freed at its end. */
struct cycle {
    uint32_t names_count;
    uint32_t roles_count;
    const char **roles;         /* role names, first seen first */
    int64_t *role_qty;          /* roles_count x names_count */
    uint64_t *role_count;       /* allocations made to the role */
    double *role_share;
    uint32_t *role_order;       /* role slots, sorted per agent */
    uint32_t clients_count;
    struct cycle_client *clients;
    int64_t *client_qty;        /* clients_count x names_count */
    uint32_t *client_order;     /* eligible clients grouped by role slot */
    uint32_t *role_first;       /* per role slot: start in client_order */
    uint32_t *role_clients;     /* per role slot: eligible clients */
    /* Last, not cleared: the first names_count are filled by cycle_totals. */
    const char *names[MC_RES_ITEMS_MAX];
    int64_t totals[MC_RES_ITEMS_MAX];
};

static int name_slot(const struct cycle *c, const char *name)
{
    for (uint32_t i = 0; i < c->names_count; i++)
        if (res_text_equal(c->names[i], name))
            return (int)i;
    return -1;
}

/* qty[name] += sign * scalars of set (names outside the table are ignored). */
static void qty_add(const struct cycle *c, int64_t *qty, const struct res_set *set, int sign)
{
    for (uint32_t i = 0; i < set->count; i++) {
        if (set->items[i].type != RES_TYPE_SCALAR)
            continue;
        int n = name_slot(c, set->items[i].name);
        if (n >= 0)
            qty[n] += sign * set->items[i].scalar_milli;
    }
}

static double qty_share(const struct cycle *c, const int64_t *qty)
{
    double share = 0.0;
    for (uint32_t i = 0; i < c->names_count; i++) {
        if (c->totals[i] <= 0)
            continue;
        double s = (double)qty[i] / (double)c->totals[i];
        if (s > share)
            share = s;
    }
    return share;
}

static void cycle_free(const struct mc_alloc *alloc, struct cycle *c)
{
    mc_free(alloc, c->roles);
    mc_free(alloc, c->role_qty);
    mc_free(alloc, c->role_count);
    mc_free(alloc, c->role_share);
    mc_free(alloc, c->role_order);
    mc_free(alloc, c->clients);
    mc_free(alloc, c->client_qty);
    mc_free(alloc, c->client_order);
    mc_free(alloc, c->role_first);
    mc_free(alloc, c->role_clients);
}

/*
 * The cluster totals of the last cycle that computed them, while
 * totals_gen stays: names point into the agents' totals, which stay too.
 */
struct alloc_totals {
    uint64_t gen;
    uint32_t names_count;
    const char *names[MC_RES_ITEMS_MAX];
    int64_t totals[MC_RES_ITEMS_MAX];
};

/* The cluster totals: scalar names of every reachable agent (kept; see struct alloc_totals). */
static void cycle_totals(struct allocator *a, struct cycle *c)
{
    struct alloc_totals *t = a->totals;
    if (t != NULL && t->gen == a->totals_gen) {
        c->names_count = t->names_count;
        memcpy(c->names, t->names, t->names_count * sizeof(t->names[0]));
        memcpy(c->totals, t->totals, t->names_count * sizeof(t->totals[0]));
        return;
    }
    for (uint32_t i = 0; i < a->agents_count; i++) {
        const struct alloc_agent *ag = a->agents[i];
        for (uint32_t k = 0; ag->reachable && k < ag->total.count; k++) {
            const struct res_item *it = &ag->total.items[k];
            if (it->type != RES_TYPE_SCALAR)
                continue;
            int n = name_slot(c, it->name);
            if (n < 0 && c->names_count < MC_RES_ITEMS_MAX) {
                n = (int)c->names_count++;
                c->names[n] = it->name;
                c->totals[n] = 0;
            }
            if (n >= 0)
                c->totals[n] += it->scalar_milli;
        }
    }
    if (t == NULL)
        t = a->totals = mc_malloc(a->alloc, sizeof(*t)); /* without it, the next cycle sums again */
    if (t != NULL) {
        t->gen = a->totals_gen;
        t->names_count = c->names_count;
        memcpy(t->names, c->names, c->names_count * sizeof(c->names[0]));
        memcpy(t->totals, c->totals, c->names_count * sizeof(c->totals[0]));
    }
}

static int role_slot(struct cycle *c, const char *role)
{
    for (uint32_t i = 0; i < c->roles_count; i++)
        if (strcmp(c->roles[i], role) == 0)
            return (int)i;
    if (c->roles_count >= MC_ALLOC_ROLES_MAX)
        return MC_ELIMIT;
    c->roles[c->roles_count] = role;
    return (int)c->roles_count++;
}

/* Allocates the tables; sizes come from the frameworks' role counts. */
static int cycle_alloc(const struct allocator *a, struct cycle *c)
{
    uint32_t pairs = 0;
    for (uint32_t i = 0; i < a->frameworks_count; i++)
        pairs += a->frameworks[i]->roles_count;
    uint32_t roles_max = pairs < MC_ALLOC_ROLES_MAX ? pairs : MC_ALLOC_ROLES_MAX;
    size_t n = c->names_count ? c->names_count : 1, p = pairs ? pairs : 1, r = roles_max ? roles_max : 1;
    const struct mc_alloc *m = a->alloc;
    c->roles = mc_calloc(m, r, sizeof(*c->roles));
    c->role_qty = mc_calloc(m, r * n, sizeof(*c->role_qty));
    c->role_count = mc_calloc(m, r, sizeof(*c->role_count));
    c->role_share = mc_calloc(m, r, sizeof(*c->role_share));
    c->role_order = mc_calloc(m, r, sizeof(*c->role_order));
    c->clients = mc_calloc(m, p, sizeof(*c->clients));
    c->client_qty = mc_calloc(m, p * n, sizeof(*c->client_qty));
    c->client_order = mc_calloc(m, p, sizeof(*c->client_order));
    c->role_first = mc_calloc(m, r, sizeof(*c->role_first));
    c->role_clients = mc_calloc(m, r, sizeof(*c->role_clients));
    if (!c->roles || !c->role_qty || !c->role_count || !c->role_share || !c->role_order ||
        !c->clients || !c->client_qty || !c->client_order || !c->role_first || !c->role_clients)
        return MC_ENOMEM;
    return 0;
}

/*
 * Fills clients, quantities and the per-role lists of eligible clients. A
 * framework's clients are consecutive, one per role in role order: its
 * held sums give every role's quantities (or, when it does not keep them,
 * one pass over its holdings).
 */
static int cycle_build(const struct allocator *a, struct cycle *c)
{
    size_t n = c->names_count;
    for (uint32_t i = 0; i < a->frameworks_count; i++) {
        struct alloc_framework *f = a->frameworks[i];
        int64_t *f_qty = &c->client_qty[c->clients_count * n];
        for (uint32_t k = 0; f->held_valid && k < f->held_count; k++) {
            int slot = name_slot(c, f->held[k].name);
            if (slot >= 0)
                f_qty[f->held[k].role * n + (uint32_t)slot] += f->held[k].milli;
        }
        const struct alloc_holding *hs = f->holdings;
        for (uint32_t h = 0, hn = f->held_valid ? 0 : f->holdings_count; h < hn; h++)
            if (hs[h].resources.count > 0)
                qty_add(c, &f_qty[hs[h].role * n], &hs[h].resources, 1);
        for (uint32_t r = 0; r < f->roles_count; r++) {
            int slot = role_slot(c, f->roles[r]);
            if (slot < 0)
                return slot;
            struct cycle_client *cl = &c->clients[c->clients_count];
            *cl = (struct cycle_client){f, r, (uint32_t)slot, 0.0};
            const int64_t *qty = &c->client_qty[c->clients_count * n];
            for (size_t k = 0; k < n; k++)
                c->role_qty[(size_t)slot * n + k] += qty[k];
            c->role_count[slot] += f->allocations[r];
            if (f->active && !(f->suppressed & (1ull << r)))
                c->role_clients[slot]++;
            c->clients_count++;
        }
    }
    uint32_t at = 0;
    for (uint32_t s = 0; s < c->roles_count; s++) {
        c->role_first[s] = at;
        at += c->role_clients[s];
        c->role_clients[s] = 0;
        c->role_order[s] = s;
    }
    for (uint32_t i = 0; i < c->clients_count; i++) {
        const struct cycle_client *cl = &c->clients[i];
        if (!cl->f->active || (cl->f->suppressed & (1ull << cl->role)))
            continue;
        c->client_order[c->role_first[cl->role_slot] + c->role_clients[cl->role_slot]++] = i;
    }
    return 0;
}

/* DRF order of roles: share, then allocations made, then name. */
static int role_before(const struct cycle *c, uint32_t x, uint32_t y)
{
    if (c->role_share[x] != c->role_share[y])
        return c->role_share[x] < c->role_share[y];
    if (c->role_count[x] != c->role_count[y])
        return c->role_count[x] < c->role_count[y];
    return strcmp(c->roles[x], c->roles[y]) < 0;
}

/* DRF order of clients: share, then allocations made, then the framework added first. */
static int client_before(const struct cycle *c, uint32_t x, uint32_t y)
{
    const struct cycle_client *p = &c->clients[x], *q = &c->clients[y];
    if (p->share != q->share)
        return p->share < q->share;
    if (p->f->allocations[p->role] != q->f->allocations[q->role])
        return p->f->allocations[p->role] < q->f->allocations[q->role];
    return p->f->seq < q->f->seq;
}

/* Sorts a list of indices with a stable insertion sort (the lists are short and nearly sorted). */
static void order_sort(const struct cycle *c, uint32_t *v, uint32_t n,
                       int (*before)(const struct cycle *, uint32_t, uint32_t))
{
    for (uint32_t i = 1; i < n; i++) {
        uint32_t x = v[i], j = i;
        while (j > 0 && before(c, x, v[j - 1])) {
            v[j] = v[j - 1];
            j--;
        }
        v[j] = x;
    }
}

/* Mesos' default --min_allocatable_resources: cpus:0.01|mem:32. */
static int allocatable(const struct allocator *a, const struct res_set *avail)
{
    if (res_set_empty(avail))
        return 0;
    if (a->opts.min_cpus_milli < 0)
        return 1;
    return res_set_scalar_milli(avail, "cpus") >= a->opts.min_cpus_milli ||
           res_set_scalar_milli(avail, "mem") >= a->opts.min_mem_milli;
}

/* 1 when a live filter of f for (role, agent) contains the offer. */
static int filtered(const struct alloc_framework *f, uint32_t role, const struct alloc_agent *ag,
                    const struct res_set *offer)
{
    for (uint32_t i = 0; i < f->filters_count; i++) {
        const struct alloc_filter *flt = &f->filters[i];
        if (flt->agent == ag && flt->role == role && res_set_contains(&flt->resources, offer))
            return 1;
    }
    return 0;
}

/*
 * dst = what a framework in role may be offered of avail (Mesos'
 * allocatableTo), with non-scalar and reserved items first, as Mesos builds
 * an offer.
 */
static int offer_build(struct res_set *dst, const struct res_set *avail, const char *role)
{
    res_set_clear(dst);
    for (int pass = 0; pass < 2; pass++) {
        for (uint32_t i = 0; i < avail->count; i++) {
            const struct res_item *it = &avail->items[i];
            int first = it->type != RES_TYPE_SCALAR || it->reservation != RES_RESERVATION_NONE;
            if (first != (pass == 0) || !res_item_allocatable_to(it, role))
                continue;
            int rc = res_set_add_item(dst, it);
            if (rc != 0)
                return rc;
        }
    }
    return 0;
}

/*
 * Appends an entry for (f, role, ag) with the resources of offer allocated
 * to the role. The offer is built anew after a take, so its storage moves
 * into the entry when both allocate alike; offer is left empty then.
 */
static int offers_append(struct alloc_offers *out, const struct alloc_framework *f, uint32_t role,
                         const struct alloc_agent *ag, struct res_set *offer)
{
    int rc = array_reserve(out->alloc, (void **)&out->items, &out->cap, out->count + 1,
                           MC_ALLOC_AGENTS_MAX * MC_ALLOC_FRAMEWORK_ROLES_MAX, sizeof(*out->items));
    if (rc != 0)
        return rc;
    struct alloc_offer *o = &out->items[out->count];
    strcpy(o->framework_id, f->framework_id);
    strcpy(o->agent_id, ag->agent_id);
    strcpy(o->role, f->roles[role]);
    if (offer->alloc == out->alloc) {
        o->resources = *offer;
        res_set_init(offer, out->alloc);
    } else {
        res_set_init(&o->resources, out->alloc);
        rc = res_set_copy(&o->resources, offer);
    }
    if (rc == 0)
        rc = res_set_allocate(&o->resources, f->roles[role]);
    if (rc != 0) {
        res_set_deinit(&o->resources);
        return rc;
    }
    out->count++;
    return 0;
}

/* 1 when some item of set has refined reservations. */
static int has_refined(const struct res_set *set)
{
    for (uint32_t i = 0; i < set->count; i++)
        if (set->items[i].detail_flags & RES_DETAIL_REFINED)
            return 1;
    return 0;
}

/* dst = set without the items whose reservations are refined. */
static int strip_refined(struct res_set *dst, const struct res_set *set)
{
    res_set_clear(dst);
    for (uint32_t i = 0; i < set->count; i++) {
        if (set->items[i].detail_flags & RES_DETAIL_REFINED)
            continue;
        int rc = res_set_add_item(dst, &set->items[i]);
        if (rc != 0)
            return rc;
    }
    return 0;
}

/*
 * What client cl is offered of offer: all of it, or, for a framework
 * without RESERVATION_REFINEMENT, all but the refined reservations
 * (Mesos' stripIncapableResources); scratch holds the stripped copy.
 */
static int offer_for(const struct allocator *a, const struct cycle_client *cl,
                     struct res_set *offer, struct res_set *scratch, struct res_set **out)
{
    *out = offer;
    if (cl->f->refinement || !has_refined(offer))
        return 0;
    int rc = strip_refined(scratch, offer);
    if (rc == 0 && allocatable(a, scratch))
        *out = scratch;
    else if (rc == 0)
        *out = NULL; /* nothing worth offering to it */
    return rc;
}

/* Offers what is left on ag to the clients of one role, in DRF order. */
static int allocate_role(struct allocator *a, struct cycle *c, struct alloc_agent *ag,
                         uint32_t slot, struct res_set *offer, struct alloc_offers *out)
{
    uint32_t *v = &c->client_order[c->role_first[slot]];
    uint32_t n = c->role_clients[slot];
    for (uint32_t i = 0; i < n; i++)
        c->clients[v[i]].share = qty_share(c, &c->client_qty[(size_t)v[i] * c->names_count]);
    order_sort(c, v, n, client_before);
    /* What the role may be offered here changes only when a client takes it. */
    int stale = 1;
    for (uint32_t i = 0; i < n; i++) {
        struct cycle_client *cl = &c->clients[v[i]];
        if (stale) {
            int rc = offer_build(offer, &ag->available, c->roles[slot]);
            if (rc != 0)
                return rc;
            if (res_set_empty(offer) || !allocatable(a, offer))
                break; /* nothing (worth offering) left for the role */
            stale = 0;
        }
        struct res_set *mine = offer;
        struct res_set scratch;
        res_set_init(&scratch, a->alloc);
        int rc = offer_for(a, cl, offer, &scratch, &mine);
        if (rc != 0 || mine == NULL || filtered(cl->f, cl->role, ag, mine)) {
            res_set_deinit(&scratch);
            if (rc != 0)
                return rc;
            continue;
        }
        stale = 1;
        rc = offers_append(out, cl->f, cl->role, ag, mine); /* mine may be emptied */
        if (rc == 0) {
            const struct res_set *taken = &out->items[out->count - 1].resources;
            rc = holding_take(a, cl->f, ag, cl->role, taken);
            if (rc != 0) { /* not taken, so not offered: the entry goes */
                res_set_deinit(&out->items[--out->count].resources);
            } else {
                qty_add(c, &c->client_qty[(size_t)v[i] * c->names_count], taken, 1);
                qty_add(c, &c->role_qty[(size_t)slot * c->names_count], taken, 1);
            }
        }
        res_set_deinit(&scratch);
        if (rc != 0)
            return rc;
        cl->f->allocations[cl->role]++;
        c->role_count[slot]++;
    }
    return 0;
}

static int allocate_agent(struct allocator *a, struct cycle *c, struct alloc_agent *ag,
                          struct res_set *offer, struct alloc_offers *out)
{
    for (uint32_t s = 0; s < c->roles_count; s++)
        c->role_share[s] = qty_share(c, &c->role_qty[(size_t)s * c->names_count]);
    order_sort(c, c->role_order, c->roles_count, role_before);
    for (uint32_t i = 0; i < c->roles_count && !res_set_empty(&ag->available); i++) {
        uint32_t slot = c->role_order[i];
        if (c->role_clients[slot] == 0)
            continue;
        int rc = allocate_role(a, c, ag, slot, offer, out);
        if (rc != 0)
            return rc;
    }
    return 0;
}

/* Drops the filters whose time has come (a filter lives while now < expires). */
static void filters_expire(struct allocator *a, uint64_t now_ns)
{
    for (uint32_t i = 0; i < a->frameworks_count; i++) {
        struct alloc_framework *f = a->frameworks[i];
        if (now_ns < f->filters_expire_min)
            continue; /* a lower bound: filters dropped otherwise leave it so */
        uint32_t n = 0;
        uint64_t min = UINT64_MAX;
        for (uint32_t k = 0; k < f->filters_count; k++) {
            if (f->filters[k].expires_ns <= now_ns) {
                f->filters[k].agent->gen++;
                filter_deinit(&f->filters[k]);
                continue;
            }
            if (f->filters[k].expires_ns < min)
                min = f->filters[k].expires_ns;
            if (n++ != k)
                f->filters[n - 1] = f->filters[k];
        }
        f->filters_count = n;
        f->filters_expire_min = min;
    }
}

/* Builds the cycle's tables from the allocator as it is. */
static int cycle_prepare(struct allocator *a, struct cycle *c)
{
    cycle_totals(a, c);
    int rc = cycle_alloc(a, c);
    if (rc == 0)
        rc = cycle_build(a, c);
    return rc;
}

int alloc_allocate(struct allocator *a, uint64_t now_ns, struct alloc_offers *out)
{
    MC_ASSERT(a != NULL && out != NULL);
    a->cycle_wanted = 0;
    filters_expire(a, now_ns);
    struct cycle c;
    memset(&c, 0, offsetof(struct cycle, names)); /* names and totals are filled as counted */
    /*
     * The tables are built when the first agent is visited: nothing changes
     * before, and a cycle that visits none (every agent idle) needs none.
     * Only with more (framework, role) pairs than MC_ALLOC_ROLES_MAX can
     * building fail other than for memory (too many roles); that is
     * reported by every cycle, so such a cycle builds them first, as always.
     */
    uint32_t pairs = 0;
    for (uint32_t i = 0; i < a->frameworks_count; i++)
        pairs += a->frameworks[i]->roles_count;
    int built = pairs > MC_ALLOC_ROLES_MAX;
    int rc = built ? cycle_prepare(a, &c) : 0;
    struct res_set offer;
    res_set_init(&offer, a->alloc);
    for (uint32_t i = 0; rc == 0 && i < a->agents_count; i++) {
        struct alloc_agent *ag = a->agents[i];
        if (!ag->active || !ag->reachable || res_set_empty(&ag->available))
            continue;
        /* Nothing changed since a cycle offered nothing of it: nor will this one. */
        if (ag->idle && ag->idle_gen == ag->gen && ag->idle_clients_gen == a->clients_gen)
            continue;
        if (!built) {
            built = 1;
            rc = cycle_prepare(a, &c);
            if (rc != 0)
                break;
        }
        uint32_t before = out->count;
        rc = allocate_agent(a, &c, ag, &offer, out);
        ag->idle = rc == 0 && out->count == before;
        ag->idle_gen = ag->gen;
        ag->idle_clients_gen = a->clients_gen;
    }
    res_set_deinit(&offer);
    cycle_free(a->alloc, &c);
    return rc;
}
