/*
 * framework.c: the framework state machine (SPEC.md L, H).
 *
 * Theory of operation. A framework is CONNECTED while its subscription
 * stream lives, DISCONNECTED from the moment that stream ends until it
 * subscribes again or its failover timeout fires, and REMOVED after the
 * timeout or a TEARDOWN; a removed framework is only remembered by id, so
 * that a later SUBSCRIBE with that id is refused (L5). Every change of state
 * goes through fw_table below, indexed by (state, event): the table is the
 * one place to read what can happen to a framework. A NULL action marks an
 * event that cannot happen in that state; reaching one is a programmer
 * error.
 *
 * Subscription (src/master/master.cpp `subscribe`, `_subscribe`,
 * `failoverFramework`): a SUBSCRIBE first gets its 200 stream with a new
 * Mesos-Stream-Id; refusals found now (invalid FrameworkInfo, a removed id,
 * a changed principal) are an ERROR event on that stream and its end (S11).
 * Otherwise a new framework gets an id, a known one fails over: its old
 * stream, if any, gets ERROR "Framework failed over" and ends (L2), and the
 * new stream gets SUBSCRIBED followed at once by a HEARTBEAT, then one per
 * heartbeat interval (H1, H2).
 *
 * After a master failover (M1) the new master learns frameworks from two
 * sides, whichever comes first (Master::recoverFramework): an agent that
 * re-registers with tasks of a framework it does not know makes it
 * RECOVERED from the agent's FrameworkInfo (listed, inactive in the
 * allocator, holding its tasks' resources, no event to anybody), and a
 * SUBSCRIBE with an id it never saw makes it RECOVERED just before it
 * connects (L4). The first SUBSCRIBE adopts a RECOVERED framework with its
 * tasks (Master::connectAndActivateRecoveredFramework). Mesos never times
 * a RECOVERED framework out: it has no failover timer until it has
 * connected once and lost its stream.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "http_msg.h"
#include "master_internal.h"
#include "mc_assert.h"
#include "mc_limits.h"
#include "pbjson.h"

enum fw_event { FW_EVENT_SUBSCRIBE, FW_EVENT_STREAM_CLOSED, FW_EVENT_FAILOVER_TIMEOUT,
                FW_EVENT_TEARDOWN, FW_EVENT_COUNT };

/* The subscription a SUBSCRIBE brings: its request, codec, new stream id and suppressed roles. */
struct subscription {
    uint64_t req;
    enum media_codec codec;
    char stream_id[MASTER_UUID_TEXT_BYTES];
    char *const *suppressed; /* borrowed from the call */
    size_t suppressed_count;
};

typedef void (*fw_action_fn)(struct framework *fw, const struct subscription *sub);

static void fw_failover(struct framework *fw, const struct subscription *sub);
static void fw_reconnect(struct framework *fw, const struct subscription *sub);
static void fw_disconnect(struct framework *fw, const struct subscription *sub);
static void fw_remove(struct framework *fw, const struct subscription *sub);
static void fw_adopt(struct framework *fw, const struct subscription *sub);

static const struct fw_transition {
    enum fw_state next;
    fw_action_fn action;
} fw_table[FW_STATE_COUNT][FW_EVENT_COUNT] = {
    [FW_STATE_CONNECTED] = {
        [FW_EVENT_SUBSCRIBE] = {FW_STATE_CONNECTED, fw_failover},          /* L2 */
        [FW_EVENT_STREAM_CLOSED] = {FW_STATE_DISCONNECTED, fw_disconnect}, /* L7 */
        [FW_EVENT_FAILOVER_TIMEOUT] = {FW_STATE_CONNECTED, NULL},
        [FW_EVENT_TEARDOWN] = {FW_STATE_REMOVED, fw_remove},               /* L10 */
    },
    [FW_STATE_DISCONNECTED] = {
        [FW_EVENT_SUBSCRIBE] = {FW_STATE_CONNECTED, fw_reconnect},         /* L8 */
        [FW_EVENT_STREAM_CLOSED] = {FW_STATE_DISCONNECTED, NULL},
        [FW_EVENT_FAILOVER_TIMEOUT] = {FW_STATE_REMOVED, fw_remove},       /* L9 */
        [FW_EVENT_TEARDOWN] = {FW_STATE_REMOVED, fw_remove},               /* operator */
    },
    [FW_STATE_REMOVED] = {
        [FW_EVENT_SUBSCRIBE] = {FW_STATE_REMOVED, NULL},
        [FW_EVENT_STREAM_CLOSED] = {FW_STATE_REMOVED, NULL},
        [FW_EVENT_FAILOVER_TIMEOUT] = {FW_STATE_REMOVED, NULL},
        [FW_EVENT_TEARDOWN] = {FW_STATE_REMOVED, NULL},
    },
    [FW_STATE_RECOVERED] = {
        [FW_EVENT_SUBSCRIBE] = {FW_STATE_CONNECTED, fw_adopt},             /* L4, M1 */
        [FW_EVENT_STREAM_CLOSED] = {FW_STATE_RECOVERED, NULL},             /* it has none */
        [FW_EVENT_FAILOVER_TIMEOUT] = {FW_STATE_RECOVERED, NULL},          /* no timer */
        [FW_EVENT_TEARDOWN] = {FW_STATE_REMOVED, fw_remove},               /* operator */
    },
};

static void fw_fire(struct framework *fw, enum fw_event event, const struct subscription *sub)
{
    MC_ASSERT(fw->state < FW_STATE_COUNT);
    MC_ASSERT(event < FW_EVENT_COUNT);
    const struct fw_transition *t = &fw_table[fw->state][event];
    MC_ASSERT(t->action != NULL);
    fw->state = t->next;
    t->action(fw, sub); /* may free fw (a removed framework past the limit) */
}

/* Sends a one-field event (HEARTBEAT, or ERROR with its message). */
static void send_simple(struct master *m, struct framework *fw,
                        Mesos__V1__Scheduler__Event__Type type, const char *error_message)
{
    Mesos__V1__Scheduler__Event ev = MESOS__V1__SCHEDULER__EVENT__INIT;
    Mesos__V1__Scheduler__Event__Error error = MESOS__V1__SCHEDULER__EVENT__ERROR__INIT;
    ev.has_type = 1;
    ev.type = type;
    if (error_message != NULL) {
        error.message = (char *)error_message;
        ev.error = &error;
    }
    master__framework_send(m, fw, &ev);
}

static void send_subscribed(struct master *m, struct framework *fw)
{
    Mesos__V1__Scheduler__Event ev = MESOS__V1__SCHEDULER__EVENT__INIT;
    Mesos__V1__Scheduler__Event__Subscribed subscribed =
        MESOS__V1__SCHEDULER__EVENT__SUBSCRIBED__INIT;
    Mesos__V1__FrameworkID id = MESOS__V1__FRAMEWORK_ID__INIT;
    Mesos__V1__MasterInfo info;
    Mesos__V1__Address address;
    Mesos__V1__MasterInfo__Capability caps[3], *cap_ptrs[3];
    for (int i = 0; i < 3; i++) {
        mesos__v1__master_info__capability__init(&caps[i]);
        cap_ptrs[i] = &caps[i];
    }
    master__info_fill(m, &info, &address, cap_ptrs, 3);
    id.value = fw->id;
    subscribed.framework_id = &id;
    subscribed.has_heartbeat_interval_seconds = 1;
    subscribed.heartbeat_interval_seconds =
        (double)m->config.heartbeat_interval_ns / (double)RT_NS_PER_SEC;
    subscribed.master_info = &info;
    ev.has_type = 1;
    ev.type = MESOS__V1__SCHEDULER__EVENT__TYPE__SUBSCRIBED;
    ev.subscribed = &subscribed;
    master__framework_send(m, fw, &ev);
}

static void heartbeat_fire(struct rt_timer *timer)
{
    struct framework *fw = MC_CONTAINER_OF(timer, struct framework, heartbeat_timer);
    struct master *m = fw->master;
    MC_ASSERT(fw->state == FW_STATE_CONNECTED);
    send_simple(m, fw, MESOS__V1__SCHEDULER__EVENT__TYPE__HEARTBEAT, NULL);
    rt_timer_start(&m->rt, &fw->heartbeat_timer, m->config.heartbeat_interval_ns, heartbeat_fire);
}

/* Answers sub's request with the 200 stream head (S11, L1). */
static int stream_open(struct master *m, const struct subscription *sub)
{
    struct http_response r;
    int err = http_response_stream_init(&r, media_codec_type(sub->codec), m->rt.alloc);
    if (err == 0)
        err = http_headers_add(&r.headers, "Mesos-Stream-Id", sub->stream_id);
    if (err == 0)
        m->rt.ops->stream_open(m->rt.ctx, sub->req, &r);
    http_response_deinit(&r);
    return err;
}

/* Gives fw the subscription's stream and greets it: SUBSCRIBED, then heartbeats. */
static void stream_attach(struct framework *fw, const struct subscription *sub)
{
    struct master *m = fw->master;
    MC_ASSERT(fw->stream_req == 0);
    fw->stream_req = sub->req;
    fw->codec = sub->codec;
    memcpy(fw->stream_id, sub->stream_id, sizeof(fw->stream_id));
    m->mutations++;
    send_subscribed(m, fw);
    heartbeat_fire(&fw->heartbeat_timer); /* the first HEARTBEAT at once (H1) */
    master__offers_framework_connected(m, fw, (const char *const *)sub->suppressed,
                                       sub->suppressed_count);
}

/* Ends fw's stream from the master's side (terminating chunk) if it has one. */
static void stream_detach(struct framework *fw, int close_it)
{
    struct master *m = fw->master;
    if (fw->heartbeat_timer.active)
        rt_timer_cancel(&m->rt, &fw->heartbeat_timer);
    if (fw->stream_req != 0 && close_it)
        m->rt.ops->stream_close(m->rt.ctx, fw->stream_req);
    fw->stream_req = 0;
    fw->stream_id[0] = '\0';
}

static void fw_failover(struct framework *fw, const struct subscription *sub)
{
    send_simple(fw->master, fw, MESOS__V1__SCHEDULER__EVENT__TYPE__ERROR, "Framework failed over");
    stream_detach(fw, 1);
    stream_attach(fw, sub);
    master__tasks_framework_resubscribed(fw->master, fw); /* T10 */
}

static void failover_timeout_fire(struct rt_timer *timer)
{
    struct framework *fw = MC_CONTAINER_OF(timer, struct framework, failover_timer);
    fw_fire(fw, FW_EVENT_FAILOVER_TIMEOUT, NULL);
}

static void fw_reconnect(struct framework *fw, const struct subscription *sub)
{
    if (fw->failover_timer.active)
        rt_timer_cancel(&fw->master->rt, &fw->failover_timer);
    stream_attach(fw, sub);
    master__tasks_framework_resubscribed(fw->master, fw); /* T10 */
}

/*
 * The first SUBSCRIBE of a RECOVERED framework (L4, M1): it takes the
 * stream and is activated with the tasks agents reported for it; agents
 * resend its pending updates at once, as Mesos' sendFrameworkUpdates makes
 * them do (T10).
 */
static void fw_adopt(struct framework *fw, const struct subscription *sub)
{
    MC_ASSERT(!fw->failover_timer.active && fw->stream_req == 0);
    stream_attach(fw, sub);
    master__tasks_framework_resubscribed(fw->master, fw); /* T10 */
}

/* failover_timeout in seconds as the delay of the timer (stout Duration). */
static uint64_t failover_delay_ns(const Mesos__V1__FrameworkInfo *info)
{
    double s = info->has_failover_timeout ? info->failover_timeout : 0.0;
    if (!(s > 0.0)) /* zero, negative: fire at once */
        return 0;
    double ns = s * (double)RT_NS_PER_SEC;
    return ns >= 9.2e18 ? UINT64_C(9200000000000000000) : (uint64_t)ns;
}

static void fw_disconnect(struct framework *fw, const struct subscription *sub)
{
    (void)sub;
    stream_detach(fw, 0); /* the stream is already gone */
    master__offers_framework_disconnected(fw->master, fw);
    rt_timer_start(&fw->master->rt, &fw->failover_timer, failover_delay_ns(fw->info),
                   failover_timeout_fire);
}

/* Keeps a removed framework's id, forgetting the oldest past the limit (L5). */
static void completed_push(struct master *m, struct framework *fw)
{
    mc_list_remove(&fw->link);
    struct framework *indexed = mc_strmap_del(&m->frameworks_by_id, fw->id);
    MC_ASSERT(indexed == fw);
    m->frameworks_count--;
    mc_list_push_back(&m->completed, &fw->link);
    m->completed_count++;
    while (m->completed_count > m->config.max_completed_frameworks) {
        struct framework *old = MC_CONTAINER_OF(m->completed.next, struct framework, link);
        mc_list_remove(&old->link);
        m->completed_count--;
        protobuf_c_message_free_unpacked(&old->info->base, &m->pb_alloc);
        mc_strmap_deinit(&old->tasks_by_id);
        mc_free(m->rt.alloc, old);
    }
}

static void fw_remove(struct framework *fw, const struct subscription *sub)
{
    (void)sub;
    struct master *m = fw->master;
    stream_detach(fw, 1); /* no ERROR event: the stream just ends (L9, L10) */
    master__tasks_framework_removed(m, fw); /* killed without UPDATE (L9) */
    master__offers_framework_removed(m, fw);
    if (fw->failover_timer.active)
        rt_timer_cancel(&m->rt, &fw->failover_timer);
    completed_push(m, fw);
}

/* common::validation::validateID (src/common/validation.cpp). */
static const char *id_validate(const char *id, char *buf, size_t buf_bytes)
{
    size_t len = strlen(id);
    if (len == 0)
        return "ID must not be empty";
    if (len > 255) /* NAME_MAX */
        return "ID must not be greater than 255 characters";
    if (strcmp(id, ".") == 0 || strcmp(id, "..") == 0) {
        snprintf(buf, buf_bytes, "'%s' is disallowed", id);
        return buf;
    }
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)id[i];
        if (c < 0x20 || c == 0x7f || c == '/' || c == '\\') {
            snprintf(buf, buf_bytes, "'%s' contains invalid characters", id);
            return buf;
        }
    }
    return NULL;
}

/* roles::validate (src/common/roles.cpp): NULL, or why the role is invalid. */
static const char *role_validate(const char *role, char *buf, size_t buf_bytes)
{
    size_t len = strlen(role);
    if (strcmp(role, "*") == 0)
        return NULL;
    const char *why = NULL;
    if (len > 0 && role[0] == '/')
        why = "cannot start with a slash";
    else if (len > 0 && role[len - 1] == '/')
        why = "cannot end with a slash";
    else if (strstr(role, "//") != NULL)
        why = "cannot contain two adjacent slashes";
    if (why != NULL) {
        snprintf(buf, buf_bytes, "Role '%s' %s", role, why);
        return buf;
    }
    if (len == 0)
        return "Role names cannot be the empty string";
    for (const char *c = role; *c != '\0';) {
        size_t n = strcspn(c, "/");
        if ((n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.') ||
            (n == 1 && c[0] == '*')) {
            snprintf(buf, buf_bytes, "Role '%s' cannot include '%.*s' as a component", role,
                     (int)n, c);
            return buf;
        }
        if (c[0] == '-') {
            snprintf(buf, buf_bytes, "Role component '%.*s' is invalid because it starts with a dash",
                     (int)n, c);
            return buf;
        }
        if (strcspn(c, "\b\t\n\v\f\r ") < n) {
            snprintf(buf, buf_bytes,
                     "Role component '%.*s' is invalid because it contains backspace or whitespace",
                     (int)n, c);
            return buf;
        }
        c += n + (c[n] == '/');
    }
    return NULL;
}

static int has_capability(const Mesos__V1__FrameworkInfo *info,
                          Mesos__V1__FrameworkInfo__Capability__Type type)
{
    for (size_t i = 0; i < info->n_capabilities; i++)
        if (info->capabilities[i]->has_type && info->capabilities[i]->type == type)
            return 1;
    return 0;
}

/*
 * The deprecated single role (FrameworkInfo.role): Mesos still checks it,
 * so do we. NULL when it was not given (it then reads as the default "*").
 */
static const char *info_role_given(const Mesos__V1__FrameworkInfo *info)
{
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
    const char *role = info->role;
#pragma GCC diagnostic pop
    return role == mesos__v1__framework_info__role__default_value ? NULL : role;
}

/* validation::framework::internal::validateRoles. */
static const char *roles_validate(const Mesos__V1__FrameworkInfo *info, char *buf,
                                  size_t buf_bytes)
{
    char inner[512];
    if (!has_capability(info, MESOS__V1__FRAMEWORK_INFO__CAPABILITY__TYPE__MULTI_ROLE)) {
        if (info->n_roles > 0)
            return "'FrameworkInfo.roles' must not be set when the framework is not MULTI_ROLE "
                   "capable";
        const char *role = info_role_given(info);
        const char *bad = role_validate(role != NULL ? role : "*", inner, sizeof(inner));
        if (bad == NULL)
            return NULL;
        snprintf(buf, buf_bytes, "'FrameworkInfo.role' is not a valid role: %s", bad);
        return buf;
    }
    if (info_role_given(info) != NULL)
        return "'FrameworkInfo.role' must not be set when the framework is MULTI_ROLE capable";
    for (size_t i = 0; i < info->n_roles; i++) {
        for (size_t j = 0; j < i; j++)
            if (strcmp(info->roles[i], info->roles[j]) == 0) {
                snprintf(buf, buf_bytes,
                         "'FrameworkInfo.roles' contains duplicate items: { %s }", info->roles[i]);
                return buf;
            }
        const char *bad = role_validate(info->roles[i], inner, sizeof(inner));
        if (bad != NULL) {
            snprintf(buf, buf_bytes, "'FrameworkInfo.roles' contains invalid role: %s", bad);
            return buf;
        }
    }
    return NULL;
}

static int completed_contains(const struct master *m, const char *id)
{
    const struct mc_list_node *it;
    MC_LIST_FOR_EACH(it, &m->completed) {
        if (strcmp(MC_CONTAINER_OF(it, struct framework, link)->id, id) == 0)
            return 1;
    }
    return 0;
}

/* Master::validateFramework (src/master/master.cpp); NULL when acceptable. */
static const char *info_validate(const struct master *m, const Mesos__V1__FrameworkInfo *info,
                                 char *buf, size_t buf_bytes)
{
    const char *bad = roles_validate(info, buf, buf_bytes);
    if (bad != NULL)
        return bad;
    if (info->id != NULL && info->id->value[0] != '\0') {
        bad = id_validate(info->id->value, buf, buf_bytes);
        if (bad != NULL)
            return bad;
    }
    double s = info->failover_timeout;
    if (!(s * 1e9 >= -9.223372036854775807e18 && s * 1e9 <= 9.223372036854775807e18)) {
        snprintf(buf, buf_bytes, "The framework failover_timeout (%g) is invalid", s);
        return buf;
    }
    if (info->id != NULL && completed_contains(m, info->id->value))
        return "Framework has been removed";
    return NULL;
}

static int role_listed(const Mesos__V1__FrameworkInfo *info, const char *role)
{
    if (!has_capability(info, MESOS__V1__FRAMEWORK_INFO__CAPABILITY__TYPE__MULTI_ROLE)) {
        const char *own = info_role_given(info);
        return strcmp(role, own != NULL ? own : "*") == 0;
    }
    for (size_t i = 0; i < info->n_roles; i++)
        if (strcmp(info->roles[i], role) == 0)
            return 1;
    return 0;
}

/*
 * validation::framework::validateSuppressedRoles: every suppressed role is
 * one of the framework's; the others are named as stout prints a set
 * ("{ a, b }", sorted, without repeats).
 */
static const char *suppressed_validate(const Mesos__V1__FrameworkInfo *info,
                                       char *const *suppressed, size_t count, char *buf,
                                       size_t buf_bytes)
{
    const char *bad[MC_ALLOC_FRAMEWORK_ROLES_MAX];
    size_t n = 0;
    for (size_t i = 0; i < count && n < MC_ALLOC_FRAMEWORK_ROLES_MAX; i++) {
        if (role_listed(info, suppressed[i]))
            continue;
        size_t at = 0; /* insertion sort, skipping repeats */
        while (at < n && strcmp(bad[at], suppressed[i]) < 0)
            at++;
        if (at < n && strcmp(bad[at], suppressed[i]) == 0)
            continue;
        memmove(&bad[at + 1], &bad[at], (n - at) * sizeof(bad[0]));
        bad[at] = suppressed[i];
        n++;
    }
    if (n == 0)
        return NULL;
    size_t o = (size_t)snprintf(buf, buf_bytes, "Suppressed roles { ");
    for (size_t i = 0; i < n && o < buf_bytes; i++)
        o += (size_t)snprintf(buf + o, buf_bytes - o, "%s%s", i > 0 ? ", " : "", bad[i]);
    if (o < buf_bytes)
        snprintf(buf + o, buf_bytes - o, " } are not contained in the set of roles");
    return buf;
}

/* validation::framework::validateUpdate, the part a resubscription can trip (L12). */
static const char *update_validate(const Mesos__V1__FrameworkInfo *old,
                                   const Mesos__V1__FrameworkInfo *new_info)
{
    const char *a = old->principal, *b = new_info->principal;
    if ((a == NULL) != (b == NULL) || (a != NULL && strcmp(a, b) != 0))
        return "Changing framework's principal is not allowed.";
    return NULL;
}

/* The immutable fields keep their old values (preserveImmutableFields). */
static int immutable_preserve(struct master *m, const Mesos__V1__FrameworkInfo *old,
                              Mesos__V1__FrameworkInfo *new_info)
{
    if (strcmp(old->user, new_info->user) != 0) {
        char *user = mc_strdup(m->rt.alloc, old->user);
        if (user == NULL)
            return MC_ENOMEM;
        mc_free(m->rt.alloc, new_info->user);
        new_info->user = user;
    }
    new_info->has_checkpoint = old->has_checkpoint;
    new_info->checkpoint = old->checkpoint;
    return 0;
}

/* A stream that only says why it was refused, then ends (S11). */
static void subscription_refuse(struct master *m, const struct subscription *sub, const char *why)
{
    struct framework tmp;
    memset(&tmp, 0, sizeof(tmp));
    tmp.master = m;
    tmp.stream_req = sub->req;
    tmp.codec = sub->codec;
    send_simple(m, &tmp, MESOS__V1__SCHEDULER__EVENT__TYPE__ERROR, why);
    m->rt.ops->stream_close(m->rt.ctx, sub->req);
}

static struct framework *framework_new(struct master *m, const char *id, enum fw_state state)
{
    if (m->frameworks_count >= m->config.frameworks_max)
        return NULL;
    struct framework *fw = mc_calloc(m->rt.alloc, 1, sizeof(*fw));
    if (fw == NULL)
        return NULL;
    fw->master = m;
    snprintf(fw->id, sizeof(fw->id), "%s", id);
    fw->state = state; /* DISCONNECTED or RECOVERED: a SUBSCRIBE event connects it */
    mc_list_init(&fw->tasks);
    mc_strmap_init(&fw->tasks_by_id, MC_MASTER_TASKS_PER_FRAMEWORK_MAX, m->rt.alloc);
    if (mc_strmap_put(&m->frameworks_by_id, fw->id, fw) != 0) { /* MC_ENOMEM: ids are new */
        mc_free(m->rt.alloc, fw);
        return NULL;
    }
    mc_list_push_back(&m->frameworks, &fw->link);
    m->frameworks_count++;
    return fw;
}

/* Sets info->id to id, allocating it through the master's allocator. */
static int info_id_set(struct master *m, Mesos__V1__FrameworkInfo *info, const char *id)
{
    if (info->id == NULL) {
        info->id = mc_malloc(m->rt.alloc, sizeof(*info->id));
        if (info->id == NULL)
            return MC_ENOMEM;
        mesos__v1__framework_id__init(info->id);
        info->id->value = NULL;
    }
    char *value = mc_strdup(m->rt.alloc, id);
    if (value == NULL)
        return MC_ENOMEM;
    mc_free(m->rt.alloc, info->id->value);
    info->id->value = value;
    return 0;
}

/*
 * A new framework (L1): a fresh id "<master id>-NNNN", past the ids this
 * master already knows. Mesos' master id is a new UUID at every start; ours
 * comes from the seed, so a master restarted with the same seed (serve) has
 * the id of the one before, and frameworks that resubscribed to it (L4)
 * may hold the next numbers already.
 */
static struct framework *subscribe_new(struct master *m, Mesos__V1__FrameworkInfo *info)
{
    char id[MASTER_ID_BYTES_MAX];
    for (;;) {
        snprintf(id, sizeof(id), "%s-%04llu", m->id, (unsigned long long)m->framework_seq);
        if (master__framework_find(m, id) == NULL && !master__framework_completed(m, id))
            break;
        m->framework_seq++;
    }
    struct framework *fw = framework_new(m, id, FW_STATE_DISCONNECTED);
    if (fw == NULL || info_id_set(m, info, id) != 0)
        return NULL;
    m->framework_seq++;
    fw->info = info;
    return fw;
}

/* A known id (L2, L8) or one the master never saw (L4, after a master failover). */
static const char *subscribe_known(struct master *m, Mesos__V1__FrameworkInfo *info,
                                   struct framework **out)
{
    struct framework *fw = master__framework_find(m, info->id->value);
    if (fw == NULL) {
        /* Recovered from its own FrameworkInfo, then connected (Mesos' _subscribe). */
        fw = framework_new(m, info->id->value, FW_STATE_RECOVERED);
        if (fw == NULL)
            return "Too many frameworks";
        fw->info = info;
        *out = fw;
        return NULL;
    }
    const char *bad = update_validate(fw->info, info);
    if (bad != NULL)
        return bad; /* the old stream stays as it is (L12a) */
    if (immutable_preserve(m, fw->info, info) != 0)
        return "Out of memory";
    protobuf_c_message_free_unpacked(&fw->info->base, &m->pb_alloc);
    fw->info = info; /* name, failover_timeout, roles, capabilities: the new ones (L12) */
    *out = fw;
    return NULL;
}

void master__framework_subscribe(struct master *m, uint64_t req, enum media_codec codec,
                                 Mesos__V1__FrameworkInfo *info, char *const *suppressed,
                                 size_t suppressed_count)
{
    struct subscription sub = {req, codec, "", suppressed, suppressed_count};
    master__uuid_make(m, sub.stream_id);
    if (stream_open(m, &sub) != 0) {
        protobuf_c_message_free_unpacked(&info->base, &m->pb_alloc);
        return;
    }
    char buf[1024];
    struct framework *fw = NULL;
    const char *refusal = info_validate(m, info, buf, sizeof(buf));
    if (refusal == NULL)
        refusal = suppressed_validate(info, suppressed, suppressed_count, buf, sizeof(buf));
    if (refusal == NULL && (info->id == NULL || info->id->value[0] == '\0')) {
        fw = subscribe_new(m, info);
        if (fw == NULL)
            refusal = "Too many frameworks";
    } else if (refusal == NULL) {
        refusal = subscribe_known(m, info, &fw);
    }
    if (refusal != NULL) {
        subscription_refuse(m, &sub, refusal);
        if (fw == NULL || fw->info != info)
            protobuf_c_message_free_unpacked(&info->base, &m->pb_alloc);
        return;
    }
    fw_fire(fw, FW_EVENT_SUBSCRIBE, &sub);
}

void master__framework_stream_closed(struct master *m, uint64_t req)
{
    struct mc_list_node *it;
    MC_LIST_FOR_EACH(it, &m->frameworks) {
        struct framework *fw = MC_CONTAINER_OF(it, struct framework, link);
        if (fw->stream_req == req) {
            fw_fire(fw, FW_EVENT_STREAM_CLOSED, NULL);
            return;
        }
    }
    /* A refused or failed-over stream: nobody's any more (Master::exited). */
}

int master__framework_stream_owned(struct master *m, uint64_t req)
{
    struct mc_list_node *it;
    MC_LIST_FOR_EACH(it, &m->frameworks) {
        if (MC_CONTAINER_OF(it, struct framework, link)->stream_req == req)
            return 1;
    }
    return 0;
}

void master__frameworks_broadcast(struct master *m, const Mesos__V1__Scheduler__Event *ev)
{
    struct mc_list_node *it;
    MC_LIST_FOR_EACH(it, &m->frameworks) {
        struct framework *fw = MC_CONTAINER_OF(it, struct framework, link);
        if (fw->state == FW_STATE_CONNECTED)
            master__framework_send(m, fw, ev);
    }
}

int master__framework_completed(const struct master *m, const char *id)
{
    return completed_contains(m, id);
}

/* A deep copy of info through the master's allocator, or NULL. */
static Mesos__V1__FrameworkInfo *info_copy(struct master *m, const Mesos__V1__FrameworkInfo *info)
{
    struct mc_buf bytes;
    mc_buf_init(&bytes, MC_RECORD_BYTES_MAX, m->rt.alloc);
    ProtobufCMessage *copy = NULL;
    if (pbjson_pack(&info->base, &bytes) != 0 ||
        pbjson_unpack(&mesos__v1__framework_info__descriptor, bytes.data, bytes.len, &m->pb_alloc,
                      &copy, NULL) != 0)
        copy = NULL;
    mc_buf_deinit(&bytes);
    return (Mesos__V1__FrameworkInfo *)copy;
}

struct framework *master__framework_recover(struct master *m, const Mesos__V1__FrameworkInfo *info)
{
    MC_ASSERT(info->id != NULL);
    MC_ASSERT(master__framework_find(m, info->id->value) == NULL);
    MC_ASSERT(!completed_contains(m, info->id->value));
    char buf[512];
    const char *bad = id_validate(info->id->value, buf, sizeof(buf));
    Mesos__V1__FrameworkInfo *copy = bad == NULL ? info_copy(m, info) : NULL;
    struct framework *fw = copy != NULL ? framework_new(m, info->id->value, FW_STATE_RECOVERED)
                                        : NULL;
    if (fw == NULL) {
        char text[MASTER_CLIENT_ID_BYTES_MAX + 600];
        snprintf(text, sizeof(text), "framework %.255s not recovered: %s", info->id->value,
                 bad != NULL ? bad : copy == NULL ? "out of memory" : "too many frameworks");
        m->rt.ops->log(m->rt.ctx, RT_LOG_WARN, text);
        if (copy != NULL)
            protobuf_c_message_free_unpacked(&copy->base, &m->pb_alloc);
        return NULL;
    }
    fw->info = copy;
    master__offers_framework_recovered(m, fw);
    return fw;
}

void master__framework_teardown(struct master *m, struct framework *fw)
{
    (void)m;
    fw_fire(fw, FW_EVENT_TEARDOWN, NULL);
}

struct framework *master__framework_find(struct master *m, const char *id)
{
    return mc_strmap_get(&m->frameworks_by_id, id);
}

static void list_free(struct master *m, struct mc_list_node *head)
{
    struct mc_list_node *it, *tmp;
    MC_LIST_FOR_EACH_SAFE(it, tmp, head) {
        struct framework *fw = MC_CONTAINER_OF(it, struct framework, link);
        if (fw->heartbeat_timer.active)
            rt_timer_cancel(&m->rt, &fw->heartbeat_timer);
        if (fw->failover_timer.active)
            rt_timer_cancel(&m->rt, &fw->failover_timer);
        mc_list_remove(&fw->link);
        master__tasks_free(m, fw);
        mc_strmap_deinit(&fw->tasks_by_id);
        if (fw->info != NULL)
            protobuf_c_message_free_unpacked(&fw->info->base, &m->pb_alloc);
        mc_free(m->rt.alloc, fw);
    }
}

void master__frameworks_free(struct master *m)
{
    list_free(m, &m->frameworks);
    list_free(m, &m->completed);
    mc_strmap_deinit(&m->frameworks_by_id);
    m->frameworks_count = 0;
    m->completed_count = 0;
}
