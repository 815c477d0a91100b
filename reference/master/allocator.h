/*
 * allocator.h: the hierarchical DRF allocator of the reference master,
 * reduced to what SPEC O1-O3 and O6 need, as a pure data structure.
 *
 * The master tells it about agents and frameworks and calls
 * alloc_allocate(now_ns) every allocation interval; it answers with the
 * resources to offer, as (framework, agent, role, resources) entries. It has
 * no clock, no I/O and no globals: time comes only as now_ns arguments and
 * memory only from the struct mc_alloc given to alloc_init.
 *
 * What it does as Mesos' HierarchicalAllocatorProcess does
 * (src/master/allocator/mesos/hierarchical.cpp, sorter/drf/sorter.cpp):
 *   - Agent by agent, roles are sorted by dominant share, then within each
 *     role the active, unsuppressed frameworks; the first framework whose
 *     filters do not refuse them gets every available resource of the agent
 *     the role may use, and the next frameworks of that role get nothing
 *     from this agent. Shares are recomputed before each agent.
 *   - Dominant share = max over scalar names of allocated / cluster total;
 *     ties go to fewer allocations so far, then (our choice, Mesos compares
 *     ids) to the framework added first, or the role name for roles.
 *   - An offer lists non-scalar and reserved resources first, then the
 *     unreserved scalars (recorded: o.offers-shape gives ports, cpus, mem,
 *     disk for the agent flag cpus;mem;disk;ports).
 *   - Resources are offered only when they hold at least cpus 0.01 or mem 32
 *     (Mesos' default --min_allocatable_resources).
 *   - A filter from a DECLINE lasts max(refuse_seconds, allocation_interval)
 *     and refuses any offer it contains (the declined resources or a
 *     subset), for that framework, role and agent.
 *   - Offer operations (RESERVE, UNRESERVE, CREATE, DESTROY) convert what
 *     a framework holds and the agent's total alike (updateAllocation);
 *     resources with refined reservations are offered only to frameworks
 *     with RESERVATION_REFINEMENT (stripIncapableResources).
 * Where Mesos shuffles agents at random, agents are visited in the order
 * they were added, so that a run is deterministic.
 */
#ifndef MC_ALLOCATOR_H
#define MC_ALLOCATOR_H

#include <stdint.h>

#include "mc_alloc.h"
#include "mc_err.h"
#include "mc_limits.h"
#include "mc_strmap.h"
#include "resources.h"

struct alloc_options {
    uint64_t allocation_interval_ns; /* Mesos' default 1 s */
    int64_t min_cpus_milli;          /* 10 (0.01 cpus); negative: no minimum */
    int64_t min_mem_milli;           /* 32000 (32 MB) */
};

/* Fills opts with Mesos' defaults. */
void alloc_options_default(struct alloc_options *opts);

/* One entry of an allocation cycle's answer; resources are allocated to role. */
struct alloc_offer {
    char framework_id[MC_ALLOC_ID_BYTES_MAX];
    char agent_id[MC_ALLOC_ID_BYTES_MAX];
    char role[MC_RES_ROLE_BYTES_MAX];
    struct res_set resources;
};

/* The answer of alloc_allocate, owned by the caller. */
struct alloc_offers {
    const struct mc_alloc *alloc;
    struct alloc_offer *items;
    uint32_t count;
    uint32_t cap;
};

void alloc_offers_init(struct alloc_offers *offers, const struct mc_alloc *alloc);
/* Frees every entry; the container is empty and reusable after. */
void alloc_offers_deinit(struct alloc_offers *offers);

struct alloc_agent;
struct alloc_framework;
struct alloc_totals;

/* The allocator; fields are private to allocator.c. */
struct allocator {
    const struct mc_alloc *alloc;
    struct alloc_options opts;
    struct alloc_agent **agents; /* in the order added */
    uint32_t agents_count;
    uint32_t agents_cap;
    struct alloc_framework **frameworks; /* in the order added */
    uint32_t frameworks_count;
    uint32_t frameworks_cap;
    struct mc_strmap agents_by_id;     /* the same agents, by id */
    uint64_t agents_gen;               /* moves when an agent is added or removed */
    struct mc_strmap frameworks_by_id; /* the same frameworks, by id */
    uint64_t seq_next;  /* insertion numbers, for ties */
    uint64_t clients_gen; /* moves with every change of a framework's eligibility */
    int cycle_wanted;   /* set by events after which Mesos allocates at once */
    uint64_t totals_gen;         /* moves with every change of an agent's total or reachability */
    struct alloc_totals *totals; /* the cluster totals a cycle computed, for totals_gen */
};

/* opts NULL means alloc_options_default. alloc NULL means libc. */
void alloc_init(struct allocator *a, const struct mc_alloc *alloc, const struct alloc_options *opts);
void alloc_deinit(struct allocator *a);

/*
 * Adds an agent with its total resources (copied; allocation roles are
 * dropped). It starts active and reachable. Errors: MC_EEXIST, MC_EINVAL
 * (id empty or too long), MC_ELIMIT (MC_ALLOC_AGENTS_MAX), MC_ENOMEM.
 */
int alloc_agent_add(struct allocator *a, const char *agent_id, const struct res_set *total) MC_MUST_USE;

/* Removes an agent and everything offered or allocated on it. MC_ENOTFOUND. */
int alloc_agent_remove(struct allocator *a, const char *agent_id) MC_MUST_USE;

/*
 * An agent that is disconnected (active 0) or unreachable (reachable 0) is
 * not offered; an unreachable one also leaves the cluster totals that
 * shares are computed against, as Mesos removes it. MC_ENOTFOUND.
 */
int alloc_agent_set_active(struct allocator *a, const char *agent_id, int active) MC_MUST_USE;
int alloc_agent_set_reachable(struct allocator *a, const char *agent_id, int reachable) MC_MUST_USE;

/*
 * Records resources of an agent as allocated to a framework in role (used
 * by running tasks, e.g. after an agent reregisters). Errors: MC_ENOTFOUND
 * (agent or framework), MC_EINVAL (not available on the agent, or a role
 * the framework does not have), MC_ENOMEM, MC_ELIMIT.
 */
int alloc_allocation_add(struct allocator *a, const char *framework_id, const char *agent_id,
                         const char *role, const struct res_set *resources) MC_MUST_USE;

/*
 * Adds a framework with its roles (a framework without MULTI_ROLE passes
 * its one FrameworkInfo.role) and the roles it starts suppressed. The
 * strings are copied. Errors: MC_EEXIST, MC_EINVAL (no role, an empty or
 * too long id or role, a suppressed role not among roles), MC_ELIMIT,
 * MC_ENOMEM.
 */
int alloc_framework_add(struct allocator *a, const char *framework_id, const char *const *roles,
                        uint32_t roles_count, int multi_role, const char *const *suppressed,
                        uint32_t suppressed_count, int active) MC_MUST_USE;

/* Removes a framework; what it was offered or allocated goes back. MC_ENOTFOUND. */
int alloc_framework_remove(struct allocator *a, const char *framework_id) MC_MUST_USE;

/*
 * Deactivating (a disconnected framework) stops its offers and clears its
 * filters, as Mesos does; activating resumes them (suppression stays).
 * MC_ENOTFOUND.
 */
int alloc_framework_set_active(struct allocator *a, const char *framework_id, int active) MC_MUST_USE;

/*
 * SUPPRESS: no more offers for the roles given (all its roles when
 * roles_count is 0) until REVIVE. REVIVE: clears the filters of those roles
 * and unsuppresses them. Errors: MC_ENOTFOUND; MC_EINVAL for a role the
 * framework does not have (nothing is changed then).
 */
int alloc_framework_suppress(struct allocator *a, const char *framework_id,
                             const char *const *roles, uint32_t roles_count) MC_MUST_USE;
int alloc_framework_revive(struct allocator *a, const char *framework_id,
                           const char *const *roles, uint32_t roles_count) MC_MUST_USE;

/*
 * Resources offered or allocated to a framework in role on an agent come
 * back (declined, the unused part of an accept, a rescinded offer, a
 * finished task). With has_filter, a filter is installed for
 * refuse_seconds as SPEC O2 says: 0 (or less than a nanosecond) is no
 * filter, a negative value or NaN means 5 s, more than 365 days is 365
 * days, and it lasts at least one allocation interval from now_ns.
 * Errors: MC_ENOTFOUND (agent or framework gone: nothing to do, as Mesos),
 * MC_EINVAL (not held by the framework there; nothing changes), MC_ELIMIT
 * (the framework has MC_ALLOC_FILTERS_MAX filters: the resources are
 * recovered, the filter is not installed), MC_ENOMEM.
 */
int alloc_recover(struct allocator *a, const char *framework_id, const char *agent_id,
                  const char *role, const struct res_set *resources, int has_filter,
                  double refuse_seconds, uint64_t now_ns) MC_MUST_USE;

/*
 * An offer operation (RESERVE, UNRESERVE, CREATE, DESTROY) changed what a
 * framework holds on an agent for role: consumed became converted (both
 * allocated to role, or unallocated; borrowed). The holding and the
 * agent's total change alike, what is available does not (Mesos'
 * updateAllocation). Errors: MC_ENOTFOUND (agent or framework), MC_EINVAL
 * (the holding or the total does not contain consumed; nothing changes),
 * MC_ENOMEM, MC_ELIMIT (the agent may then be left partly converted).
 */
int alloc_allocation_convert(struct allocator *a, const char *framework_id, const char *agent_id,
                             const char *role, const struct res_set *consumed,
                             const struct res_set *converted) MC_MUST_USE;

/*
 * The agent's total becomes total (borrowed; allocation roles dropped),
 * for a re-registration that brings other checkpointed resources: what is
 * available is the new total less everything offered or allocated there.
 * Errors: MC_ENOTFOUND; MC_EINVAL when the new total does not contain what
 * is held (nothing changes); MC_ENOMEM, MC_ELIMIT.
 */
int alloc_agent_total_set(struct allocator *a, const char *agent_id,
                          const struct res_set *total) MC_MUST_USE;

/*
 * Whether the framework takes refined reservations (RESERVATION_REFINEMENT):
 * a framework without it is never offered resources whose reservations are
 * refined (Mesos' stripIncapableResources). Off when a framework is added.
 * MC_ENOTFOUND.
 */
int alloc_framework_refinement_set(struct allocator *a, const char *framework_id,
                                   int capable) MC_MUST_USE;

/* 1 when an event happened after which Mesos allocates at once (agent or
 * framework added or activated, REVIVE); alloc_allocate clears it. */
int alloc_cycle_wanted(const struct allocator *a);

/*
 * Runs one allocation cycle at now_ns: expired filters are dropped, then
 * every available resource is offered as described at the top of this
 * file. Entries are appended to out in allocation order; the resources are
 * then offered (no longer available) until recovered. Errors: MC_ENOMEM,
 * MC_ELIMIT (the cycle stops; entries already in out stay offered).
 */
int alloc_allocate(struct allocator *a, uint64_t now_ns, struct alloc_offers *out) MC_MUST_USE;

/*
 * What is available (neither offered nor allocated) on an agent, copied
 * into out (unallocated form). For tests and the operator API. MC_ENOTFOUND.
 */
int alloc_agent_available(const struct allocator *a, const char *agent_id, struct res_set *out) MC_MUST_USE;

/* An agent's total (borrowed), or NULL when the allocator does not know it. */
const struct res_set *alloc_agent_total(const struct allocator *a, const char *agent_id);

/* The i-th agent in the order added (i < a->agents_count): its id and total, borrowed. */
void alloc_agent_at(const struct allocator *a, uint32_t i, const char **agent_id,
                    const struct res_set **total);

#endif
