/*
 * offers.c: the master's offers (SPEC.md O1-O4, O6, O7, L7, L9, L13 and
 * A3's RESCIND): the allocator, the outstanding offers and the allocation
 * timer.
 *
 * Theory of operation. The master owns one DRF allocator (allocator.h) and
 * tells it about agents (added when they register, inactive while
 * disconnected, unreachable, gone when removed) and frameworks (added when
 * they subscribe, inactive while disconnected, gone when removed). Every
 * allocation interval, and right after an event after which Mesos
 * allocates at once (alloc_cycle_wanted: an agent or framework added or
 * reactivated, a REVIVE), a cycle turns the allocator's answer into offers:
 * each gets an id "<master id>-O<n>", n from 0, and every framework gets
 * one OFFERS event per cycle with all its new offers, as Mesos batches
 * them. Outstanding offers are kept in one list in the order they were
 * made, bounded by MC_MASTER_OFFERS_MAX.
 *
 * An offer ends in one of three ways, and each gives its resources back to
 * the allocator: declined (DECLINE, or an ACCEPT, with the call's filter),
 * rescinded (its agent is lost: RESCIND to the framework, no filter) or
 * discarded (its framework failed over or was removed: no event, no
 * filter; src/master/master.cpp `_failoverFramework`, `removeFramework`).
 * A framework whose stream is gone (L7) has its offers rescinded, but it
 * has no stream to hear the RESCIND on, so nothing is sent.
 *
 * Each framework the allocator knows has a small record here: the roles it
 * was added with (to tell a resubscription that changes them) and which of
 * them are suppressed, because the allocator answers neither question.
 */
#include <stdio.h>
#include <string.h>

#include "agents.h"
#include "allocator.h"
#include "master_internal.h"
#include "mc_assert.h"
#include "mc_limits.h"
#include "resources.h"

static_assert(MC_ALLOC_FRAMEWORK_ROLES_MAX <= 64, "a framework's suppressed roles fit a mask");

struct master_offer {
    struct mc_list_node link; /* in master_offers.list, oldest first */
    char id[MASTER_ID_BYTES_MAX];
    char framework_id[MC_ALLOC_ID_BYTES_MAX];
    char agent_id[MC_ALLOC_ID_BYTES_MAX];
    char role[MC_RES_ROLE_BYTES_MAX];
    struct res_set resources; /* allocated to role */
    struct master_hold hold;  /* on agent_id, while outstanding */
};

/* A framework as added to the allocator. */
struct offers_framework {
    struct mc_list_node link; /* in master_offers.frameworks, in the order added */
    char id[MC_ALLOC_ID_BYTES_MAX];
    char *roles_key;     /* owned: "<multi_role>\n<role>\n<role>..." as added */
    int in_allocator;    /* 0 for a MULTI_ROLE framework with no roles */
    uint64_t suppressed; /* a bit per role, in the order of roles_key */
};

struct master_offers {
    struct master *master;
    struct allocator allocator;
    struct mc_list_node list; /* struct master_offer */
    struct mc_strmap by_id;   /* the same offers, by id */
    uint32_t count;
    uint64_t next_number; /* n of the next "<master id>-O<n>" */
    struct mc_list_node frameworks; /* struct offers_framework */
    struct rt_timer interval_timer; /* every allocation interval */
    struct rt_timer soon_timer;     /* a cycle right after an event that wants one */
    uint64_t offers_made;
    uint64_t rescinds_sent;
};

/* A framework's roles as the allocator takes them. */
struct fw_roles {
    const char *roles[MC_ALLOC_FRAMEWORK_ROLES_MAX];
    uint32_t count;
    int multi_role;
    int refinement; /* RESERVATION_REFINEMENT: offered refined reservations */
    int too_many;
};

static void log_text(struct master *m, enum rt_log_level level, const char *fmt, const char *a,
                     const char *b)
{
    char text[MASTER_CLIENT_ID_BYTES_MAX * 2 + 128];
    snprintf(text, sizeof(text), fmt, a, b);
    m->rt.ops->log(m->rt.ctx, level, text);
}

static int info_has_capability(const Mesos__V1__FrameworkInfo *info,
                               Mesos__V1__FrameworkInfo__Capability__Type type)
{
    for (size_t i = 0; i < info->n_capabilities; i++)
        if (info->capabilities[i]->has_type && info->capabilities[i]->type == type)
            return 1;
    return 0;
}

/* FrameworkInfo.roles for MULTI_ROLE frameworks, else the one (deprecated) role or "*". */
static void roles_of(const Mesos__V1__FrameworkInfo *info, struct fw_roles *out)
{
    memset(out, 0, sizeof(*out));
    out->multi_role =
        info_has_capability(info, MESOS__V1__FRAMEWORK_INFO__CAPABILITY__TYPE__MULTI_ROLE);
    out->refinement = info_has_capability(
        info, MESOS__V1__FRAMEWORK_INFO__CAPABILITY__TYPE__RESERVATION_REFINEMENT);
    if (!out->multi_role) {
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
        const char *role = info->role;
#pragma GCC diagnostic pop
        out->roles[0] = role != NULL ? role : RES_ROLE_UNRESERVED;
        out->count = 1;
        return;
    }
    for (size_t i = 0; i < info->n_roles; i++) {
        if (out->count == MC_ALLOC_FRAMEWORK_ROLES_MAX) {
            out->too_many = 1;
            return;
        }
        out->roles[out->count++] = info->roles[i];
    }
}

static char *roles_key_make(struct master *m, const struct fw_roles *r)
{
    size_t len = 2;
    for (uint32_t i = 0; i < r->count; i++)
        len += strlen(r->roles[i]) + 1;
    char *key = mc_malloc(m->rt.alloc, len + 1);
    if (key == NULL)
        return NULL;
    size_t o = (size_t)snprintf(key, len + 1, "%d\n", r->multi_role);
    for (uint32_t i = 0; i < r->count; i++)
        o += (size_t)snprintf(key + o, len + 1 - o, "%s\n", r->roles[i]);
    MC_ASSERT(o == len);
    return key;
}

static struct offers_framework *record_find(struct master *m, const char *framework_id)
{
    struct mc_list_node *it;
    MC_LIST_FOR_EACH(it, &m->offers->frameworks) {
        struct offers_framework *rec = MC_CONTAINER_OF(it, struct offers_framework, link);
        if (strcmp(rec->id, framework_id) == 0)
            return rec;
    }
    return NULL;
}

static void record_free(struct master *m, struct offers_framework *rec)
{
    mc_list_remove(&rec->link);
    mc_free(m->rt.alloc, rec->roles_key);
    mc_free(m->rt.alloc, rec);
}

/* ---- sending ---- */

static void rescind_send(struct master *m, const struct master_offer *o)
{
    struct framework *fw = master__framework_find(m, o->framework_id);
    if (fw == NULL || fw->state != FW_STATE_CONNECTED)
        return; /* no stream to hear it on (L7) */
    Mesos__V1__Scheduler__Event ev = MESOS__V1__SCHEDULER__EVENT__INIT;
    Mesos__V1__Scheduler__Event__Rescind rescind = MESOS__V1__SCHEDULER__EVENT__RESCIND__INIT;
    Mesos__V1__OfferID id = MESOS__V1__OFFER_ID__INIT;
    id.value = (char *)o->id;
    rescind.offer_id = &id;
    ev.has_type = 1;
    ev.type = MESOS__V1__SCHEDULER__EVENT__TYPE__RESCIND;
    ev.rescind = &rescind;
    master__framework_send(m, fw, &ev);
    m->offers->rescinds_sent++;
}

/* Removes an outstanding offer; its resources stay where they are in the allocator. */
static void offer_unlink(struct master *m, struct master_offer *o)
{
    mc_list_remove(&o->link);
    struct master_offer *indexed = mc_strmap_del(&m->offers->by_id, o->id);
    MC_ASSERT(indexed == o);
    m->offers->count--;
    master__hold_end(m, &o->hold);
    res_set_deinit(&o->resources);
    mc_free(m->rt.alloc, o);
}

/*
 * Ends an offer: its resources go back to the allocator (with the filter of
 * a decline when has_filter), RESCIND first when rescind is set.
 */
static void offer_end(struct master *m, struct master_offer *o, int rescind, int has_filter,
                      double refuse_seconds)
{
    struct master_offers *ofs = m->offers;
    MC_ASSERT(ofs->count > 0);
    if (rescind)
        rescind_send(m, o);
    int err = alloc_recover(&ofs->allocator, o->framework_id, o->agent_id, o->role, &o->resources,
                            has_filter, refuse_seconds, m->rt.ops->now_ns(m->rt.ctx));
    /* Gone agents or frameworks took their resources with them (MC_ENOTFOUND). */
    if (err != 0 && err != MC_ENOTFOUND)
        log_text(m, RT_LOG_ERROR, "offer %s: resources not recovered: %s", o->id, mc_strerror(err));
    offer_unlink(m, o);
}

enum offers_match { MATCH_AGENT, MATCH_FRAMEWORK };

/* Ends every offer on an agent or of a framework, oldest first. */
static void offers_end_all(struct master *m, enum offers_match by, const char *id, int rescind)
{
    struct mc_list_node *it, *tmp;
    MC_LIST_FOR_EACH_SAFE(it, tmp, &m->offers->list) {
        struct master_offer *o = MC_CONTAINER_OF(it, struct master_offer, link);
        const char *owner = by == MATCH_AGENT ? o->agent_id : o->framework_id;
        if (strcmp(owner, id) == 0)
            offer_end(m, o, rescind, 0, 0.0);
    }
}

/* ---- the allocation cycle ---- */

/* The pieces of one Offer message; strings point into the master's records. */
struct offer_msg {
    Mesos__V1__Offer offer;
    Mesos__V1__OfferID id;
    Mesos__V1__FrameworkID framework_id;
    Mesos__V1__AgentID agent_id;
    Mesos__V1__URL url;
    Mesos__V1__Address address;
    Mesos__V1__Resource__AllocationInfo allocation_info;
};

/*
 * Fills msg for offer o to a framework (multi_role: allocation_info on the
 * offer and its resources, O7; refinement: resources in the
 * post-reservation-refinement format, `reservations` and no `role`, as
 * Master::offer writes them for a RESERVATION_REFINEMENT framework). The
 * url is the agent's libprocess address, its pid's ip (the internal
 * REGISTER's ip) and AgentInfo's port (recorded: o.offers-shape, path
 * "/slave(1)").
 */
static int offer_msg_fill(struct master *m, struct offer_msg *msg, const struct master_offer *o,
                          int multi_role, int refinement, Mesos__V1__Resource ***res,
                          size_t *res_count)
{
    const Mesos__V1__AgentInfo *info = master__agent_info(m, o->agent_id);
    MC_ASSERT(info != NULL); /* only registered agents are offered */
    mesos__v1__offer__init(&msg->offer);
    mesos__v1__offer_id__init(&msg->id);
    mesos__v1__framework_id__init(&msg->framework_id);
    mesos__v1__agent_id__init(&msg->agent_id);
    mesos__v1__url__init(&msg->url);
    mesos__v1__address__init(&msg->address);
    mesos__v1__resource__allocation_info__init(&msg->allocation_info);
    msg->id.value = (char *)o->id;
    msg->framework_id.value = (char *)o->framework_id;
    msg->agent_id.value = (char *)o->agent_id;
    msg->address.hostname = info->hostname;
    msg->address.ip = (char *)master__agent_ip(m, o->agent_id);
    msg->address.port = info->has_port ? info->port : 5051;
    msg->url.scheme = (char *)"http";
    msg->url.address = &msg->address;
    msg->url.path = (char *)"/slave(1)";
    msg->offer.id = &msg->id;
    msg->offer.framework_id = &msg->framework_id;
    msg->offer.agent_id = &msg->agent_id;
    msg->offer.hostname = info->hostname;
    msg->offer.url = &msg->url;
    if (multi_role) {
        msg->allocation_info.role = (char *)o->role;
        msg->offer.allocation_info = &msg->allocation_info;
    }
    unsigned flags = (multi_role ? RES_PROTO_ALLOCATION_INFO : 0u) |
                     (refinement ? RES_PROTO_RESERVATIONS : 0u);
    int err = res_set_to_proto(&o->resources, flags, m->rt.alloc, res, res_count);
    msg->offer.resources = *res;
    msg->offer.n_resources = *res_count;
    return err;
}

/* An allocation that did not become an offer goes straight back, without a filter. */
static void entry_give_back(struct master *m, const struct alloc_offer *entry)
{
    int err = alloc_recover(&m->offers->allocator, entry->framework_id, entry->agent_id,
                            entry->role, &entry->resources, 0, 0.0, 0);
    if (err != 0)
        log_text(m, RT_LOG_ERROR, "agent %s: resources not recovered: %s", entry->agent_id,
                 mc_strerror(err));
}

/* src into dst[bytes], cut to fit; the allocator's ids and roles fit ours (same limits). */
static void text_copy(char *dst, size_t bytes, const char *src)
{
    size_t n = strlen(src);
    if (n >= bytes)
        n = bytes - 1;
    memcpy(dst, src, n);
    dst[n] = '\0';
}

/*
 * A new outstanding offer from an allocator entry, whose resources it takes
 * (the entry is left empty); NULL past the limit or without memory (the
 * entry keeps its resources then).
 */
static struct master_offer *offer_new(struct master *m, struct alloc_offer *entry)
{
    struct master_offers *ofs = m->offers;
    if (ofs->count >= MC_MASTER_OFFERS_MAX)
        return NULL;
    struct master_offer *o = mc_calloc(m->rt.alloc, 1, sizeof(*o));
    if (o == NULL)
        return NULL;
    snprintf(o->id, sizeof(o->id), "%s-O%llu", m->id, (unsigned long long)ofs->next_number);
    text_copy(o->framework_id, sizeof(o->framework_id), entry->framework_id);
    text_copy(o->agent_id, sizeof(o->agent_id), entry->agent_id);
    text_copy(o->role, sizeof(o->role), entry->role);
    if (mc_strmap_put(&ofs->by_id, o->id, o) != 0) { /* MC_ENOMEM: ids are unique */
        mc_free(m->rt.alloc, o);
        return NULL;
    }
    o->resources = entry->resources;
    res_set_init(&entry->resources, o->resources.alloc);
    ofs->next_number++;
    mc_list_push_back(&ofs->list, &o->link);
    ofs->count++;
    ofs->offers_made++;
    master__hold_start(m, &o->hold, o->agent_id, &o->resources);
    return o;
}

/*
 * Sends fw one OFFERS event with the offers made from entries [from, to)
 * that belong to it; taken[i] marks the entries handled. An entry that
 * cannot become an offer gives its resources straight back.
 */
static void offers_send(struct master *m, struct framework *fw, struct alloc_offers *out,
                        uint32_t from, uint8_t *taken)
{
    uint32_t n = 0;
    for (uint32_t i = from; i < out->count; i++)
        n += strcmp(out->items[i].framework_id, fw->id) == 0;
    struct offer_msg *msgs = mc_calloc(m->rt.alloc, n, sizeof(*msgs));
    Mesos__V1__Offer **ptrs = mc_calloc(m->rt.alloc, n, sizeof(*ptrs));
    Mesos__V1__Resource ***res = mc_calloc(m->rt.alloc, n, sizeof(*res));
    size_t *res_counts = mc_calloc(m->rt.alloc, n, sizeof(*res_counts));
    int multi_role = fw->info != NULL &&
                     info_has_capability(fw->info,
                                         MESOS__V1__FRAMEWORK_INFO__CAPABILITY__TYPE__MULTI_ROLE);
    int refinement =
        fw->info != NULL &&
        info_has_capability(fw->info,
                            MESOS__V1__FRAMEWORK_INFO__CAPABILITY__TYPE__RESERVATION_REFINEMENT);
    uint32_t made = 0;
    for (uint32_t i = from; i < out->count; i++) {
        struct alloc_offer *entry = &out->items[i];
        if (strcmp(entry->framework_id, fw->id) != 0)
            continue;
        taken[i] = 1;
        struct master_offer *o = msgs == NULL || ptrs == NULL || res == NULL ||
                                         res_counts == NULL
                                     ? NULL
                                     : offer_new(m, entry);
        if (o != NULL && offer_msg_fill(m, &msgs[made], o, multi_role, refinement, &res[made],
                                        &res_counts[made]) != 0) {
            offer_end(m, o, 0, 0, 0.0);
            o = NULL;
        }
        if (o == NULL) {
            log_text(m, RT_LOG_ERROR, "framework %s: an offer on agent %s was not made", fw->id,
                     entry->agent_id);
            entry_give_back(m, entry);
            continue;
        }
        ptrs[made] = &msgs[made].offer;
        made++;
    }
    if (made > 0) {
        Mesos__V1__Scheduler__Event ev = MESOS__V1__SCHEDULER__EVENT__INIT;
        Mesos__V1__Scheduler__Event__Offers offers = MESOS__V1__SCHEDULER__EVENT__OFFERS__INIT;
        offers.n_offers = made;
        offers.offers = ptrs;
        ev.has_type = 1;
        ev.type = MESOS__V1__SCHEDULER__EVENT__TYPE__OFFERS;
        ev.offers = &offers;
        master__framework_send(m, fw, &ev);
    }
    for (uint32_t i = 0; i < made; i++)
        res_proto_free(m->rt.alloc, res[i], res_counts[i]);
    mc_free(m->rt.alloc, msgs);
    mc_free(m->rt.alloc, ptrs);
    mc_free(m->rt.alloc, res);
    mc_free(m->rt.alloc, res_counts);
}

/* One allocation cycle: offers made, one OFFERS event per framework, in allocation order. */
static void cycle_run(struct master *m)
{
    struct master_offers *ofs = m->offers;
    struct alloc_offers out;
    alloc_offers_init(&out, m->rt.alloc);
    int err = alloc_allocate(&ofs->allocator, m->rt.ops->now_ns(m->rt.ctx), &out);
    if (err != 0) /* the entries made before the error are still offered */
        log_text(m, RT_LOG_ERROR, "allocation cycle stopped: %s%s", mc_strerror(err), "");
    uint8_t *taken = out.count > 0 ? mc_calloc(m->rt.alloc, out.count, 1) : NULL;
    for (uint32_t i = 0; i < out.count; i++) {
        const struct alloc_offer *entry = &out.items[i];
        if (taken != NULL && taken[i])
            continue;
        struct framework *fw = master__framework_find(m, entry->framework_id);
        if (taken == NULL || fw == NULL || fw->state != FW_STATE_CONNECTED) {
            /* The allocator offers only to active frameworks: give it back, loudly. */
            log_text(m, RT_LOG_ERROR, "framework %s: offer on agent %s dropped",
                     entry->framework_id, entry->agent_id);
            entry_give_back(m, entry);
            continue;
        }
        offers_send(m, fw, &out, i, taken);
    }
    mc_free(m->rt.alloc, taken);
    alloc_offers_deinit(&out);
}

static void interval_fire(struct rt_timer *timer)
{
    struct master_offers *ofs = MC_CONTAINER_OF(timer, struct master_offers, interval_timer);
    struct master *m = ofs->master;
    MC_ASSERT(m->offers == ofs);
    rt_timer_start(&m->rt, &ofs->interval_timer, m->config.allocation_interval_ns, interval_fire);
    cycle_run(m);
}

static void soon_fire(struct rt_timer *timer)
{
    struct master_offers *ofs = MC_CONTAINER_OF(timer, struct master_offers, soon_timer);
    MC_ASSERT(ofs->master->offers == ofs);
    cycle_run(ofs->master);
}

/*
 * Mesos allocates at once after some events (an agent or framework added
 * or reactivated, REVIVE), not at the next interval: a cycle runs as soon
 * as the current event is handled, so that its events come after the
 * call's answer or the SUBSCRIBED that caused it.
 */
static void cycle_soon(struct master *m)
{
    struct master_offers *ofs = m->offers;
    if (alloc_cycle_wanted(&ofs->allocator) && !ofs->soon_timer.active)
        rt_timer_start(&m->rt, &ofs->soon_timer, 0, soon_fire);
}

/* ---- the master's entry points (master_internal.h) ---- */

int master__offers_create(struct master *m)
{
    MC_ASSERT(m->offers == NULL);
    if (m->config.allocation_interval_ns == 0)
        return MC_EINVAL; /* cycles would spin at one instant */
    struct master_offers *ofs = mc_calloc(m->rt.alloc, 1, sizeof(*ofs));
    if (ofs == NULL)
        return MC_ENOMEM;
    ofs->master = m;
    mc_strmap_init(&ofs->by_id, MC_MASTER_OFFERS_MAX, m->rt.alloc);
    struct alloc_options opts;
    alloc_options_default(&opts);
    opts.allocation_interval_ns = m->config.allocation_interval_ns;
    alloc_init(&ofs->allocator, m->rt.alloc, &opts);
    mc_list_init(&ofs->list);
    mc_list_init(&ofs->frameworks);
    m->offers = ofs;
    rt_timer_start(&m->rt, &ofs->interval_timer, m->config.allocation_interval_ns, interval_fire);
    return 0;
}

void master__offers_destroy(struct master *m)
{
    struct master_offers *ofs = m->offers;
    if (ofs == NULL)
        return;
    if (ofs->interval_timer.active)
        rt_timer_cancel(&m->rt, &ofs->interval_timer);
    if (ofs->soon_timer.active)
        rt_timer_cancel(&m->rt, &ofs->soon_timer);
    struct mc_list_node *it, *tmp;
    MC_LIST_FOR_EACH_SAFE(it, tmp, &ofs->list) {
        struct master_offer *o = MC_CONTAINER_OF(it, struct master_offer, link);
        mc_list_remove(&o->link);
        res_set_deinit(&o->resources);
        mc_free(m->rt.alloc, o);
    }
    mc_strmap_deinit(&ofs->by_id);
    MC_LIST_FOR_EACH_SAFE(it, tmp, &ofs->frameworks) {
        record_free(m, MC_CONTAINER_OF(it, struct offers_framework, link));
    }
    alloc_deinit(&ofs->allocator);
    mc_free(m->rt.alloc, ofs);
    m->offers = NULL;
}

int master__offers_agent_attached(struct master *m, const char *agent_id,
                                  const struct res_set *total)
{
    struct allocator *al = &m->offers->allocator;
    int err = alloc_agent_set_active(al, agent_id, 1);
    if (err == 0)
        err = alloc_agent_set_reachable(al, agent_id, 1);
    else if (err == MC_ENOTFOUND)
        err = alloc_agent_add(al, agent_id, total);
    /* Back with other checkpointed resources (an unreachable agent's own view wins). */
    const struct res_set *now = master__offers_agent_total(m, agent_id);
    if (err == 0 && now != NULL && !res_set_equal(now, total)) {
        err = alloc_agent_total_set(al, agent_id, total);
        master__hold_touch(m, agent_id); /* what it holds is checked against the new total */
    }
    if (err == 0)
        cycle_soon(m);
    return err;
}

void master__offers_agent_lost(struct master *m, const char *agent_id,
                               enum master_agent_state state)
{
    struct allocator *al = &m->offers->allocator;
    offers_end_all(m, MATCH_AGENT, agent_id, 1); /* RESCIND first (A3, A6) */
    int err;
    if (state == MASTER_AGENT_DISCONNECTED)
        err = alloc_agent_set_active(al, agent_id, 0);
    else if (state == MASTER_AGENT_UNREACHABLE)
        err = alloc_agent_set_reachable(al, agent_id, 0);
    else
        err = alloc_agent_remove(al, agent_id);
    if (err != 0 && err != MC_ENOTFOUND)
        log_text(m, RT_LOG_ERROR, "agent %s: allocator: %s", agent_id, mc_strerror(err));
}

/* The bit of each suppressed role among r's roles; unknown ones were refused at SUBSCRIBE. */
static uint64_t suppressed_mask(const struct fw_roles *r, const char *const *suppressed,
                                size_t suppressed_count)
{
    uint64_t mask = 0;
    for (size_t i = 0; i < suppressed_count; i++)
        for (uint32_t k = 0; k < r->count; k++)
            if (strcmp(suppressed[i], r->roles[k]) == 0)
                mask |= 1ull << k;
    return mask;
}

/* Suppresses (suppress 1) or revives the roles of r in mask, one by one. */
static void roles_apply(struct master *m, const char *framework_id, const struct fw_roles *r,
                        uint64_t mask, int suppress)
{
    struct allocator *al = &m->offers->allocator;
    for (uint32_t k = 0; k < r->count; k++) {
        if (!(mask & (1ull << k)))
            continue;
        const char *role = r->roles[k];
        int err = suppress ? alloc_framework_suppress(al, framework_id, &role, 1)
                           : alloc_framework_revive(al, framework_id, &role, 1);
        MC_ASSERT(err == 0); /* the framework and its role are known */
    }
}

/* Adds fw to the allocator with roles r (none: a MULTI_ROLE framework without roles). */
static int framework_add(struct master *m, struct offers_framework *rec, const struct fw_roles *r,
                         uint64_t mask)
{
    const char *suppressed[MC_ALLOC_FRAMEWORK_ROLES_MAX];
    uint32_t n = 0;
    for (uint32_t k = 0; k < r->count; k++)
        if (mask & (1ull << k))
            suppressed[n++] = r->roles[k];
    rec->in_allocator = 0;
    if (r->count == 0)
        return 0;
    int err = alloc_framework_add(&m->offers->allocator, rec->id, r->roles, r->count,
                                  r->multi_role, suppressed, n, 1);
    rec->in_allocator = err == 0;
    if (err == 0)
        err = alloc_framework_refinement_set(&m->offers->allocator, rec->id, r->refinement);
    return err;
}

void master__offers_framework_connected(struct master *m, struct framework *fw,
                                        const char *const *suppressed, size_t suppressed_count)
{
    MC_ASSERT(fw->state == FW_STATE_CONNECTED && fw->info != NULL);
    offers_end_all(m, MATCH_FRAMEWORK, fw->id, 0); /* a failover discards them (L13) */
    struct fw_roles r;
    roles_of(fw->info, &r);
    uint64_t mask = suppressed_mask(&r, suppressed, suppressed_count);
    char *key = r.too_many ? NULL : roles_key_make(m, &r);
    struct offers_framework *rec = record_find(m, fw->id);
    if (rec == NULL && key != NULL) {
        rec = mc_calloc(m->rt.alloc, 1, sizeof(*rec));
        if (rec != NULL) {
            snprintf(rec->id, sizeof(rec->id), "%s", fw->id);
            mc_list_push_back(&m->offers->frameworks, &rec->link);
        }
    }
    int err = key == NULL || rec == NULL ? (r.too_many ? MC_ELIMIT : MC_ENOMEM) : 0;
    if (err == 0 && rec->in_allocator && strcmp(rec->roles_key, key) == 0) {
        /* Same roles: reactivate, and change only what the new suppression changes. */
        err = alloc_framework_set_active(&m->offers->allocator, fw->id, 1);
        if (err == 0) /* capabilities may change with a resubscription (L12) */
            err = alloc_framework_refinement_set(&m->offers->allocator, fw->id, r.refinement);
        roles_apply(m, fw->id, &r, mask & ~rec->suppressed, 1);
        roles_apply(m, fw->id, &r, rec->suppressed & ~mask, 0);
    } else if (err == 0) {
        if (rec->in_allocator)
            err = alloc_framework_remove(&m->offers->allocator, fw->id);
        if (err == 0)
            err = framework_add(m, rec, &r, mask);
    }
    if (err != 0) {
        log_text(m, RT_LOG_ERROR, "framework %s gets no offers: %s", fw->id, mc_strerror(err));
        mc_free(m->rt.alloc, key);
        if (rec != NULL) {
            if (rec->in_allocator && alloc_framework_remove(&m->offers->allocator, fw->id) != 0)
                log_text(m, RT_LOG_ERROR, "framework %s: %s", fw->id, "not removed");
            record_free(m, rec);
        }
        return;
    }
    mc_free(m->rt.alloc, rec->roles_key);
    rec->roles_key = key;
    rec->suppressed = mask;
    cycle_soon(m);
}

void master__offers_framework_disconnected(struct master *m, struct framework *fw)
{
    MC_ASSERT(fw->stream_req == 0);
    offers_end_all(m, MATCH_FRAMEWORK, fw->id, 1); /* rescinded, but nobody hears it (L7) */
    struct offers_framework *rec = record_find(m, fw->id);
    if (rec != NULL && rec->in_allocator) {
        int err = alloc_framework_set_active(&m->offers->allocator, fw->id, 0);
        MC_ASSERT(err == 0);
    }
}

void master__offers_framework_removed(struct master *m, struct framework *fw)
{
    offers_end_all(m, MATCH_FRAMEWORK, fw->id, 0); /* discarded, no RESCIND (L9, L10) */
    struct offers_framework *rec = record_find(m, fw->id);
    if (rec == NULL)
        return;
    if (rec->in_allocator) {
        int err = alloc_framework_remove(&m->offers->allocator, fw->id);
        if (err != 0)
            log_text(m, RT_LOG_ERROR, "framework %s: allocator: %s", fw->id, mc_strerror(err));
    }
    record_free(m, rec);
}

void master__offers_framework_recovered(struct master *m, struct framework *fw)
{
    MC_ASSERT(fw->state == FW_STATE_RECOVERED && fw->info != NULL);
    MC_ASSERT(record_find(m, fw->id) == NULL);
    struct fw_roles r;
    roles_of(fw->info, &r);
    char *key = r.too_many ? NULL : roles_key_make(m, &r);
    struct offers_framework *rec = key != NULL ? mc_calloc(m->rt.alloc, 1, sizeof(*rec)) : NULL;
    int err = rec == NULL ? (r.too_many ? MC_ELIMIT : MC_ENOMEM) : 0;
    if (err == 0) {
        snprintf(rec->id, sizeof(rec->id), "%s", fw->id);
        rec->roles_key = key;
        mc_list_push_back(&m->offers->frameworks, &rec->link);
        /* Mesos' recoverFramework: addFramework with active false and empty options. */
        if (r.count > 0) {
            err = alloc_framework_add(&m->offers->allocator, rec->id, r.roles, r.count,
                                      r.multi_role, NULL, 0, 0);
            rec->in_allocator = err == 0;
            if (err == 0)
                err = alloc_framework_refinement_set(&m->offers->allocator, rec->id,
                                                     r.refinement);
        }
    }
    if (err != 0) {
        log_text(m, RT_LOG_ERROR, "recovered framework %s not in the allocator: %s", fw->id,
                 mc_strerror(err));
        if (rec != NULL)
            record_free(m, rec);
        else
            mc_free(m->rt.alloc, key);
    }
}

int master__offers_allocation_add(struct master *m, const char *framework_id,
                                  const char *agent_id, const char *role,
                                  const struct res_set *resources)
{
    int err = alloc_allocation_add(&m->offers->allocator, framework_id, agent_id, role, resources);
    if (err == 0)
        m->mutations++;
    return err;
}

int master__offers_convert(struct master *m, const char *framework_id, const char *agent_id,
                           const char *role, const struct res_set *consumed,
                           const struct res_set *converted)
{
    int err = alloc_allocation_convert(&m->offers->allocator, framework_id, agent_id, role,
                                       consumed, converted);
    master__hold_touch(m, agent_id);
    return err;
}

const struct res_set *master__offers_agent_total(struct master *m, const char *agent_id)
{
    return alloc_agent_total(&m->offers->allocator, agent_id);
}

static struct master_offer *offer_find(struct master *m, const char *offer_id)
{
    return mc_strmap_get(&m->offers->by_id, offer_id);
}

void master__offers_decline(struct master *m, struct framework *fw,
                            Mesos__V1__OfferID *const *offer_ids, size_t offer_ids_count,
                            const Mesos__V1__Filters *filters)
{
    /* No filters, or filters without refuse_seconds: Filters' default, 5 s (O2). */
    double refuse_seconds = 5.0;
    if (filters != NULL && filters->has_refuse_seconds)
        refuse_seconds = filters->refuse_seconds;
    for (size_t i = 0; i < offer_ids_count; i++) {
        struct master_offer *o = offer_find(m, offer_ids[i]->value);
        /* Unknown, gone or another framework's offers are ignored, as Mesos does. */
        if (o != NULL && strcmp(o->framework_id, fw->id) == 0)
            offer_end(m, o, 0, 1, refuse_seconds);
    }
}

/* Mesos' offer checks (src/master/validation.cpp offer::validate), in its order. */
static int take_check(struct master *m, struct framework *fw, Mesos__V1__OfferID *const *ids,
                      size_t n, char *why, size_t why_bytes)
{
    if (n == 0)
        return snprintf(why, why_bytes, "No offers specified"), MC_EINVAL;
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < i; k++)
            if (strcmp(ids[i]->value, ids[k]->value) == 0)
                return snprintf(why, why_bytes, "Duplicate offer %s in offer list",
                                ids[i]->value), MC_EINVAL;
    for (size_t i = 0; i < n; i++)
        if (offer_find(m, ids[i]->value) == NULL)
            return snprintf(why, why_bytes, "Offer %s is no longer valid", ids[i]->value),
                   MC_EINVAL;
    for (size_t i = 0; i < n; i++) {
        const struct master_offer *o = offer_find(m, ids[i]->value);
        if (strcmp(o->framework_id, fw->id) != 0)
            return snprintf(why, why_bytes,
                            "Offer %s has invalid framework %s while framework %s is expected",
                            o->id, o->framework_id, fw->id), MC_EINVAL;
    }
    const struct master_offer *first = offer_find(m, ids[0]->value);
    for (size_t i = 1; i < n; i++) {
        const struct master_offer *o = offer_find(m, ids[i]->value);
        if (strcmp(o->role, first->role) != 0)
            return snprintf(why, why_bytes,
                            "Aggregated offers must be allocated to the same role. Offer %s "
                            "uses role '%s but another is using role '%s",
                            o->id, o->role, first->role), MC_EINVAL;
    }
    for (size_t i = 1; i < n; i++) {
        const struct master_offer *o = offer_find(m, ids[i]->value);
        if (strcmp(o->agent_id, first->agent_id) != 0)
            return snprintf(why, why_bytes,
                            "Aggregated offers must belong to one single agent. Offer %s uses "
                            "agent %s and agent %s",
                            o->id, o->agent_id, first->agent_id), MC_EINVAL;
    }
    return 0;
}

int master__offers_take(struct master *m, struct framework *fw,
                        Mesos__V1__OfferID *const *offer_ids, size_t offer_ids_count,
                        struct offers_taken *out, char *why, size_t why_bytes)
{
    int err = take_check(m, fw, offer_ids, offer_ids_count, why, why_bytes);
    if (err != 0) {
        /* Mesos discards every named offer that exists, whoever holds it (`accept`). */
        for (size_t i = 0; i < offer_ids_count; i++) {
            struct master_offer *o = offer_find(m, offer_ids[i]->value);
            if (o != NULL)
                offer_end(m, o, 0, 0, 0.0);
        }
        return MC_EINVAL;
    }
    const struct master_offer *first = offer_find(m, offer_ids[0]->value);
    snprintf(out->agent_id, sizeof(out->agent_id), "%s", first->agent_id);
    snprintf(out->role, sizeof(out->role), "%s", first->role);
    for (size_t i = 0; i < offer_ids_count; i++) {
        struct master_offer *o = offer_find(m, offer_ids[i]->value);
        if (err == 0)
            err = res_set_add(&out->resources, &o->resources);
        if (err != 0) /* without memory: what is not taken goes back */
            offer_end(m, o, 0, 0, 0.0);
        else
            offer_unlink(m, o);
    }
    if (err != 0)
        snprintf(why, why_bytes, "%s", mc_strerror(err));
    return err;
}

void master__offers_give_back(struct master *m, const char *framework_id, const char *agent_id,
                              const char *role, const struct res_set *resources,
                              const Mesos__V1__Filters *filters)
{
    if (res_set_empty(resources))
        return;
    double refuse_seconds = 5.0;
    if (filters != NULL && filters->has_refuse_seconds)
        refuse_seconds = filters->refuse_seconds;
    int err = alloc_recover(&m->offers->allocator, framework_id, agent_id, role, resources,
                            filters != NULL, refuse_seconds, m->rt.ops->now_ns(m->rt.ctx));
    if (err != 0 && err != MC_ENOTFOUND)
        log_text(m, RT_LOG_ERROR, "agent %s: resources not recovered: %s", agent_id,
                 mc_strerror(err));
}

/* SUPPRESS (suppress 1) or REVIVE of the roles named, or of all of them (O3). */
static void roles_call(struct master *m, struct framework *fw, char *const *roles,
                       size_t roles_count, int suppress)
{
    struct offers_framework *rec = record_find(m, fw->id);
    if (rec == NULL || !rec->in_allocator)
        return;
    struct fw_roles r;
    roles_of(fw->info, &r);
    uint64_t mask = roles_count == 0
                        ? (r.count == 64 ? ~0ull : (1ull << r.count) - 1)
                        : suppressed_mask(&r, (const char *const *)roles, roles_count);
    /* Roles the framework is not subscribed to are ignored (Mesos logs and drops them). */
    roles_apply(m, fw->id, &r, mask, suppress);
    if (suppress)
        rec->suppressed |= mask;
    else
        rec->suppressed &= ~mask;
    cycle_soon(m);
}

void master__offers_suppress(struct master *m, struct framework *fw, char *const *roles,
                             size_t roles_count)
{
    roles_call(m, fw, roles, roles_count, 1);
}

void master__offers_revive(struct master *m, struct framework *fw, char *const *roles,
                           size_t roles_count)
{
    roles_call(m, fw, roles, roles_count, 0);
}

uint32_t master__offers_outstanding(const struct master *m, uint64_t *made, uint64_t *rescinds_sent)
{
    if (made != NULL)
        *made = m->offers->offers_made;
    if (rescinds_sent != NULL)
        *rescinds_sent = m->offers->rescinds_sent;
    return m->offers->count;
}

void master__offers_each(const struct master *m, master_held_fn fn, void *ctx)
{
    const struct mc_list_node *it;
    MC_LIST_FOR_EACH(it, &m->offers->list) {
        const struct master_offer *o = MC_CONTAINER_OF(it, const struct master_offer, link);
        fn(ctx, o->agent_id, &o->resources);
    }
}

uint32_t master__offers_agents(const struct master *m)
{
    return m->offers->allocator.agents_count;
}

uint64_t master__offers_agents_gen(const struct master *m)
{
    return m->offers->allocator.agents_gen;
}

void master__offers_agent_at(const struct master *m, uint32_t i, const char **agent_id,
                             const struct res_set **total)
{
    alloc_agent_at(&m->offers->allocator, i, agent_id, total);
}
