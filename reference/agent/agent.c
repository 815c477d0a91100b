/*
 * agent.c: the reference agent's registration and liveness (see agent.h).
 *
 * Theory of operation. The agent is DISCONNECTED, REGISTERING or
 * REGISTERED, and every change goes through ag_table below, indexed by
 * (state, event); NULL marks what cannot happen in a state (its trigger is
 * not armed there), while events that come from the network and may arrive
 * at any time have an action in every state where their call can be live.
 *
 * Registration follows Mesos' agent (src/slave/slave.cpp, `detected` and
 * `doReliableRegistration`): when it starts or loses the master, the agent
 * waits a random time in [0, factor], then sends REGISTER (no id yet) or
 * REREGISTER (with the id from its store) and schedules the next attempt
 * after a random time in [0, 2 x factor], the bound doubling at each
 * attempt up to one minute. An attempt that is still unanswered when the
 * next one is due is abandoned (call_cancel): a partition swallows calls
 * without an answer, so only the agent's own timer can end them.
 *
 * The answer is a 200 RecordIO stream of protobuf Events: REGISTERED with
 * the agent's id (kept in the store under "agent/id", so that a restarted
 * agent re-registers under it, A5), then PINGs. Each PING is answered with
 * a PONG call on the stream's Mesos-Stream-Id and restarts the watch: with
 * no PING for the total ping timeout (75 s by default, or what REGISTERED
 * says), the master is lost; the agent drops the stream and starts over
 * with REREGISTER, as it does when the stream ends or breaks (A1, A6).
 *
 * A REREGISTER lists every task the agent has and the FrameworkInfo of
 * their frameworks (executor.c builds the list); REGISTERED may then ask
 * about tasks the master has and the agent does not (reconciliations).
 * At creation the agent reads its id and its checkpointed tasks back from
 * the store (A5).
 */
#include "agent.h"
#include "agent_internal.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "http_msg.h"
#include "mc_assert.h"
#include "mc_buf.h"
#include "mc_list.h"
#include "mc_limits.h"
#include "media.h"
#include "mesos_conform/internal.pb-c.h"
#include "msgstream.h"
#include "pbjson.h"
#include "recordio.h"

#define AGENT_PATH "/api/v1/internal"
/* A total ping timeout the master may announce; longer ones are not believed. */
#define AGENT_MASTER_TIMEOUT_S_MAX (7.0 * 24.0 * 3600.0)


enum ag_event {
    AG_EVENT_RETRY,      /* the registration timer fired */
    AG_EVENT_REGISTERED, /* REGISTERED on the stream */
    AG_EVENT_PING,       /* PING on the stream */
    AG_EVENT_CALL_ENDED, /* the registration call ended, was refused or broke */
    AG_EVENT_MASTER_LOST, /* no PING for the total ping timeout */
    AG_EVENT_COUNT
};

typedef void (*ag_action_fn)(struct agent *a, const MesosConform__Internal__Event *ev);

static void ag_attempt(struct agent *a, const MesosConform__Internal__Event *ev);
static void ag_registered(struct agent *a, const MesosConform__Internal__Event *ev);
static void ag_pong(struct agent *a, const MesosConform__Internal__Event *ev);
static void ag_ignore(struct agent *a, const MesosConform__Internal__Event *ev);
static void ag_attempt_failed(struct agent *a, const MesosConform__Internal__Event *ev);
static void ag_master_lost(struct agent *a, const MesosConform__Internal__Event *ev);

static const struct ag_transition {
    enum agent_state next;
    ag_action_fn action;
} ag_table[AGENT_STATE_COUNT][AG_EVENT_COUNT] = {
    [AGENT_STATE_DISCONNECTED] = {
        [AG_EVENT_RETRY] = {AGENT_STATE_REGISTERING, ag_attempt},
        [AG_EVENT_REGISTERED] = {AGENT_STATE_DISCONNECTED, NULL}, /* no call, no stream */
        [AG_EVENT_PING] = {AGENT_STATE_DISCONNECTED, NULL},
        [AG_EVENT_CALL_ENDED] = {AGENT_STATE_DISCONNECTED, NULL},
        [AG_EVENT_MASTER_LOST] = {AGENT_STATE_DISCONNECTED, NULL},
    },
    [AGENT_STATE_REGISTERING] = {
        [AG_EVENT_RETRY] = {AGENT_STATE_REGISTERING, ag_attempt},
        [AG_EVENT_REGISTERED] = {AGENT_STATE_REGISTERED, ag_registered},
        [AG_EVENT_PING] = {AGENT_STATE_REGISTERING, ag_ignore}, /* before REGISTERED: a bad master */
        [AG_EVENT_CALL_ENDED] = {AGENT_STATE_DISCONNECTED, ag_attempt_failed},
        [AG_EVENT_MASTER_LOST] = {AGENT_STATE_REGISTERING, NULL},
    },
    [AGENT_STATE_REGISTERED] = {
        [AG_EVENT_RETRY] = {AGENT_STATE_REGISTERED, NULL},
        [AG_EVENT_REGISTERED] = {AGENT_STATE_REGISTERED, ag_registered},
        [AG_EVENT_PING] = {AGENT_STATE_REGISTERED, ag_pong},
        [AG_EVENT_CALL_ENDED] = {AGENT_STATE_DISCONNECTED, ag_master_lost},
        [AG_EVENT_MASTER_LOST] = {AGENT_STATE_DISCONNECTED, ag_master_lost},
    },
};

static const char *const state_names[AGENT_STATE_COUNT] = {
    "DISCONNECTED", "REGISTERING", "REGISTERED",
};

static void ag_fire(struct agent *a, enum ag_event event, const MesosConform__Internal__Event *ev)
{
    MC_ASSERT(a->state < AGENT_STATE_COUNT);
    MC_ASSERT(event < AG_EVENT_COUNT);
    const struct ag_transition *t = &ag_table[a->state][event];
    MC_ASSERT(t->action != NULL);
    a->state = t->next;
    t->action(a, ev);
}

void agent__log(struct agent *a, enum rt_log_level level, const char *fmt, const char *arg)
{
    char what[MC_DIAG_TEXT_BYTES_MAX];
    char text[sizeof(what) + MC_AGENT_ID_BYTES_MAX + 300];
    snprintf(what, sizeof(what), fmt, arg);
    snprintf(text, sizeof(text), "agent %.255s (%s): %s", a->config.hostname,
             a->id[0] != '\0' ? a->id : "no id", what);
    a->rt.ops->log(a->rt.ctx, level, text);
}

/* A uniform time in [0, bound_ns] from the runtime's generator (multiply-shift, no modulo). */
static uint64_t random_delay_ns(struct agent *a, uint64_t bound_ns)
{
    uint64_t r = rt_rng_u64(&a->rt);
    return (uint64_t)(((unsigned __int128)r * ((unsigned __int128)bound_ns + 1)) >> 64);
}

static void registration_timer_fire(struct rt_timer *timer)
{
    struct agent *a = MC_CONTAINER_OF(timer, struct agent, registration_timer);
    ag_fire(a, AG_EVENT_RETRY, NULL);
}

/* Starts registering from scratch, as Mesos' agent does on detecting a master. */
static void backoff_start(struct agent *a)
{
    uint64_t factor = a->config.registration_backoff_factor_ns;
    a->backoff_bound_ns = factor * 2;
    rt_timer_start(&a->rt, &a->registration_timer, random_delay_ns(a, factor),
                   registration_timer_fire);
}

/* Abandons the registration call, if any; no call_end follows. */
static void reg_call_drop(struct agent *a)
{
    if (a->reg_call != 0)
        a->rt.ops->call_cancel(a->rt.ctx, a->reg_call);
    a->reg_call = 0;
    a->reg_streaming = 0;
    a->stream_id[0] = '\0';
}

/* The call request's fixed part: its line and media types (the same for every call). */
static int call_request_start(struct http_request *r)
{
    int err = http_request_line_set(r, "POST", AGENT_PATH);
    if (err == 0)
        err = http_headers_add(&r->headers, "Content-Type", MEDIA_TYPE_PROTOBUF);
    if (err == 0)
        err = http_headers_add(&r->headers, "Accept", MEDIA_TYPE_PROTOBUF);
    return err;
}

/* The call request's Mesos-Stream-Id: stream_id, or none when NULL; the last header either way. */
static int call_request_stream_set(struct http_request *r, const char *stream_id)
{
    const char *now = http_headers_get(&r->headers, "Mesos-Stream-Id");
    if (stream_id == NULL) {
        if (now != NULL)
            (void)http_headers_remove(&r->headers, "Mesos-Stream-Id");
        return 0;
    }
    if (now != NULL && strcmp(now, stream_id) == 0)
        return 0;
    return http_headers_set(&r->headers, "Mesos-Stream-Id", stream_id);
}

uint64_t agent__call_post(struct agent *a, const MesosConform__Internal__Call *call,
                          const char *stream_id)
{
    /* One request serves every call, as the runtime copies it: only its stream id and body
     * change, so a PONG or an update does not build the same line and headers again. */
    struct http_request *r = &a->call_request;
    int err = r->method == NULL ? call_request_start(r) : 0;
    if (err == 0)
        err = call_request_stream_set(r, stream_id);
    mc_buf_reset(&r->body);
    if (err == 0)
        err = pbjson_pack(&call->base, &r->body);
    uint64_t id = err == 0 ? a->rt.ops->call_start(a->rt.ctx, a->config.master, r) : 0;
    if (err != 0) {
        agent__log(a, RT_LOG_ERROR, "call not sent: %s", mc_strerror(err));
        http_request_deinit(r); /* built again from scratch by the next call */
    } else if (r->body.cap > AGENT_BUFFER_KEPT_BYTES_MAX) {
        mc_buf_deinit(&r->body);
    }
    return id;
}

/*
 * What the reference agent can do, as Mesos' agent_capabilities: not
 * RESOURCE_PROVIDER or AGENT_OPERATION_FEEDBACK (no operation feedback),
 * not RESIZE_VOLUME, AGENT_DRAINING or TASK_RESOURCE_LIMITS.
 */
static const Mesos__V1__AgentInfo__Capability__Type agent_capabilities[] = {
    MESOS__V1__AGENT_INFO__CAPABILITY__TYPE__MULTI_ROLE,
    MESOS__V1__AGENT_INFO__CAPABILITY__TYPE__HIERARCHICAL_ROLE,
    MESOS__V1__AGENT_INFO__CAPABILITY__TYPE__RESERVATION_REFINEMENT,
};
#define AGENT_CAPABILITIES_COUNT (sizeof(agent_capabilities) / sizeof(agent_capabilities[0]))

/* REGISTER, or REREGISTER when the agent has an id. */
static uint64_t registration_post(struct agent *a)
{
    MesosConform__Internal__Call call = MESOS_CONFORM__INTERNAL__CALL__INIT;
    MesosConform__Internal__Call__Register reg = MESOS_CONFORM__INTERNAL__CALL__REGISTER__INIT;
    MesosConform__Internal__Call__Reregister rereg =
        MESOS_CONFORM__INTERNAL__CALL__REREGISTER__INIT;
    Mesos__V1__AgentInfo info = MESOS__V1__AGENT_INFO__INIT;
    Mesos__V1__AgentID id = MESOS__V1__AGENT_ID__INIT;
    Mesos__V1__AgentInfo__Capability caps[AGENT_CAPABILITIES_COUNT];
    Mesos__V1__AgentInfo__Capability *cap_ptrs[AGENT_CAPABILITIES_COUNT];
    for (size_t i = 0; i < AGENT_CAPABILITIES_COUNT; i++) {
        mesos__v1__agent_info__capability__init(&caps[i]);
        caps[i].has_type = 1;
        caps[i].type = agent_capabilities[i];
        cap_ptrs[i] = &caps[i];
    }
    info.hostname = (char *)a->config.hostname;
    info.has_port = 1;
    info.port = a->config.port;
    call.has_type = 1;
    if (a->id[0] == '\0') {
        call.type = ICALL(REGISTER);
        reg.agent_info = &info;
        reg.resources_text = (char *)a->config.resources;
        reg.ip = (char *)a->config.ip;
        reg.n_capabilities = AGENT_CAPABILITIES_COUNT;
        reg.capabilities = cap_ptrs;
        call.register_ = &reg;
        return agent__call_post(a, &call, NULL);
    }
    id.value = a->id;
    info.id = &id;
    call.type = ICALL(REREGISTER);
    call.agent_id = &id;
    rereg.agent_info = &info;
    rereg.resources_text = (char *)a->config.resources;
    rereg.ip = (char *)a->config.ip;
    rereg.n_capabilities = AGENT_CAPABILITIES_COUNT;
    rereg.capabilities = cap_ptrs;
    call.reregister = &rereg;
    /* Every task it still has, their frameworks and executors, and its checkpointed
     * resources (Slave::doReliableRegistration). */
    struct agent_report report;
    uint64_t posted = 0;
    ProtobufCMessage *ck = NULL;
    if (a->checkpointed.len > 0 &&
        pbjson_unpack(&mesos_conform__internal__checkpointed_resources__descriptor,
                      a->checkpointed.data, a->checkpointed.len, &a->pb_alloc, &ck, NULL) != 0)
        ck = NULL; /* our own bytes: only memory can fail */
    if (agent__tasks_report(a, &report, &id) != 0 || (a->checkpointed.len > 0 && ck == NULL)) {
        agent__log(a, RT_LOG_ERROR, "%s", "re-registration not sent: out of memory");
    } else {
        rereg.n_tasks = report.n_tasks;
        rereg.tasks = report.tasks;
        rereg.n_frameworks = report.n_frameworks;
        rereg.frameworks = report.frameworks;
        rereg.n_executors = report.n_executors;
        rereg.executors = report.executors;
        if (ck != NULL) {
            const MesosConform__Internal__CheckpointedResources *cr =
                (const MesosConform__Internal__CheckpointedResources *)ck;
            rereg.n_checkpointed_resources = cr->n_resources;
            rereg.checkpointed_resources = cr->resources;
        }
        posted = agent__call_post(a, &call, NULL);
    }
    agent__report_deinit(a, &report);
    if (ck != NULL)
        protobuf_c_message_free_unpacked(ck, &a->pb_alloc);
    return posted;
}

/*
 * CHECKPOINT_RESOURCES: the agent keeps what the master sent, durably,
 * and reports it when it re-registers (Mesos' Slave::checkpointResources).
 */
static void resources_checkpoint(struct agent *a,
                                 const MesosConform__Internal__Event__CheckpointResources *cr)
{
    MesosConform__Internal__CheckpointedResources msg =
        MESOS_CONFORM__INTERNAL__CHECKPOINTED_RESOURCES__INIT;
    msg.n_resources = cr->n_resources;
    msg.resources = cr->resources;
    mc_buf_reset(&a->checkpointed);
    int err = cr->n_resources > 0 ? pbjson_pack(&msg.base, &a->checkpointed) : 0;
    if (err == 0 && cr->n_resources > 0)
        err = a->rt.ops->store_put(a->rt.ctx, AGENT_STORE_KEY_RESOURCES, a->checkpointed.data,
                                   a->checkpointed.len);
    else if (err == 0)
        err = a->rt.ops->store_del(a->rt.ctx, AGENT_STORE_KEY_RESOURCES);
    if (err != 0 && err != MC_ENOTFOUND)
        agent__log(a, RT_LOG_ERROR, "checkpointed resources not stored: %s", mc_strerror(err));
}

/* Reads the checkpointed resources a previous incarnation stored; a damaged value is MC_EINVAL. */
static int resources_recover(struct agent *a)
{
    int err = a->rt.ops->store_get(a->rt.ctx, AGENT_STORE_KEY_RESOURCES, &a->checkpointed);
    if (err == MC_ENOTFOUND) {
        mc_buf_reset(&a->checkpointed);
        return 0;
    }
    ProtobufCMessage *msg = NULL;
    if (err == 0 && pbjson_unpack(&mesos_conform__internal__checkpointed_resources__descriptor,
                                  a->checkpointed.data, a->checkpointed.len, &a->pb_alloc, &msg,
                                  NULL) != 0)
        err = MC_EINVAL;
    if (msg != NULL)
        protobuf_c_message_free_unpacked(msg, &a->pb_alloc);
    return err == MC_ELIMIT ? MC_EINVAL : err;
}

/*
 * One attempt (doReliableRegistration): a new call replaces one still
 * unanswered, and the next attempt is scheduled in case this one gets no
 * answer either. A call that cannot even start leaves the agent
 * REGISTERING with no call, waiting for that next attempt.
 */
static void ag_attempt(struct agent *a, const MesosConform__Internal__Event *ev)
{
    (void)ev;
    MC_ASSERT(a->state == AGENT_STATE_REGISTERING);
    reg_call_drop(a);
    rio_decoder_deinit(&a->decoder);
    rio_decoder_init(&a->decoder, MC_RECORD_BYTES_MAX, a->rt.alloc);
    a->reg_call = registration_post(a);
    a->stats.attempts++;
    uint64_t bound = a->backoff_bound_ns < AGENT_REGISTER_RETRY_INTERVAL_NS_MAX
                         ? a->backoff_bound_ns
                         : AGENT_REGISTER_RETRY_INTERVAL_NS_MAX;
    a->backoff_bound_ns = bound * 2;
    rt_timer_start(&a->rt, &a->registration_timer, random_delay_ns(a, bound),
                   registration_timer_fire);
}

static void master_timer_fire(struct rt_timer *timer)
{
    struct agent *a = MC_CONTAINER_OF(timer, struct agent, master_timer);
    a->stats.masters_lost++;
    agent__log(a, RT_LOG_WARN, "%s", "no ping from the master: re-registering");
    ag_fire(a, AG_EVENT_MASTER_LOST, NULL);
}

/* The id a REGISTERED brings must be usable as a directory name, as Mesos' validateID demands. */
static int id_valid(const char *id)
{
    size_t len = strlen(id);
    if (len == 0 || len >= MC_AGENT_ID_BYTES_MAX || strcmp(id, ".") == 0 || strcmp(id, "..") == 0)
        return 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)id[i];
        if (c < 0x20 || c == 0x7f || c == '/' || c == '\\')
            return 0;
    }
    return 1;
}

static void ag_registered(struct agent *a, const MesosConform__Internal__Event *ev)
{
    const MesosConform__Internal__Event__Registered *reg = ev->registered;
    MC_ASSERT(reg != NULL && id_valid(reg->agent_id->value)); /* checked on arrival */
    if (strcmp(a->id, reg->agent_id->value) != 0) {
        snprintf(a->id, sizeof(a->id), "%s", reg->agent_id->value);
        int err = a->rt.ops->store_put(a->rt.ctx, AGENT_STORE_KEY_ID, a->id, strlen(a->id));
        if (err != 0)
            agent__log(a, RT_LOG_ERROR, "id not stored: %s", mc_strerror(err));
    }
    double total_s = reg->has_total_ping_timeout_seconds ? reg->total_ping_timeout_seconds : 0.0;
    a->master_timeout_ns = isfinite(total_s) && total_s > 0.0 && total_s <= AGENT_MASTER_TIMEOUT_S_MAX
                               ? (uint64_t)(total_s * (double)RT_NS_PER_SEC)
                               : a->config.ping_timeout_ns * a->config.max_ping_timeouts;
    if (a->registration_timer.active)
        rt_timer_cancel(&a->rt, &a->registration_timer);
    rt_timer_start(&a->rt, &a->master_timer, a->master_timeout_ns, master_timer_fire);
    a->stats.registrations++;
    agent__log(a, RT_LOG_INFO, "%s", "registered");
    agent__tasks_resend(a, NULL); /* pending updates go at once to the (new) master */
    /* Tasks the master has and this agent does not (Slave::reregistered). */
    agent__tasks_reconcile(a, reg->reconciliations, reg->n_reconciliations);
}

static void ag_pong(struct agent *a, const MesosConform__Internal__Event *ev)
{
    rt_timer_start(&a->rt, &a->master_timer, a->master_timeout_ns, master_timer_fire);
    MesosConform__Internal__Call call = MESOS_CONFORM__INTERNAL__CALL__INIT;
    MesosConform__Internal__Call__Pong pong = MESOS_CONFORM__INTERNAL__CALL__PONG__INIT;
    Mesos__V1__AgentID id = MESOS__V1__AGENT_ID__INIT;
    id.value = a->id;
    call.has_type = 1;
    call.type = ICALL(PONG);
    call.agent_id = &id;
    pong.has_seq = ev->ping != NULL && ev->ping->has_seq;
    pong.seq = pong.has_seq ? ev->ping->seq : 0;
    call.pong = &pong;
    /* The answer (202) is not waited for: a lost PONG is what the master counts. */
    if (agent__call_post(a, &call, a->stream_id) != 0)
        a->stats.pongs_sent++;
}

static void ag_ignore(struct agent *a, const MesosConform__Internal__Event *ev)
{
    (void)ev;
    agent__log(a, RT_LOG_WARN, "%s", "event before REGISTERED ignored");
}

/* The attempt got no stream; the next attempt is already scheduled. */
static void ag_attempt_failed(struct agent *a, const MesosConform__Internal__Event *ev)
{
    (void)ev;
    reg_call_drop(a);
    a->stats.streams_ended++;
}

/* The stream ended or went quiet: start over, with REREGISTER (A1, A6). */
static void ag_master_lost(struct agent *a, const MesosConform__Internal__Event *ev)
{
    (void)ev;
    if (a->master_timer.active)
        rt_timer_cancel(&a->rt, &a->master_timer);
    reg_call_drop(a);
    a->stats.streams_ended++;
    backoff_start(a);
}

/* ---- creation ---- */

void agent_config_init(struct agent_config *c)
{
    memset(c, 0, sizeof(*c));
    c->master = "master:5050";
    c->hostname = "agent";
    c->port = AGENT_PORT_DEFAULT;
    c->ip = "127.0.0.1";
    c->resources = NULL;
    c->registration_backoff_factor_ns = AGENT_REGISTRATION_BACKOFF_FACTOR_NS_DEFAULT;
    c->ping_timeout_ns = AGENT_PING_TIMEOUT_NS_DEFAULT;
    c->max_ping_timeouts = AGENT_MAX_PING_TIMEOUTS_DEFAULT;
}

/* A dotted IPv4 address: four decimal numbers up to 255, no leading zeros. */
static int ip_valid(const char *ip)
{
    const char *p = ip;
    for (int part = 0; part < 4; part++) {
        if (part > 0 && *p++ != '.')
            return 0;
        unsigned v = 0, digits = 0;
        const char *start = p;
        while (*p >= '0' && *p <= '9' && digits < 4) {
            v = v * 10 + (unsigned)(*p++ - '0');
            digits++;
        }
        if (digits == 0 || digits > 3 || v > 255 || (digits > 1 && *start == '0'))
            return 0;
    }
    return *p == '\0';
}

static int config_copy(struct agent *a, const struct agent_config *cfg)
{
    if (cfg->master == NULL || cfg->hostname == NULL || cfg->hostname[0] == '\0' ||
        strlen(cfg->hostname) > 255 || cfg->port == 0 || cfg->ping_timeout_ns == 0 ||
        cfg->max_ping_timeouts == 0 || cfg->registration_backoff_factor_ns == 0 ||
        cfg->registration_backoff_factor_ns > AGENT_REGISTER_RETRY_INTERVAL_NS_MAX)
        return MC_EINVAL;
    if (cfg->resources != NULL && strlen(cfg->resources) >= MC_AGENT_RESOURCES_BYTES_MAX)
        return MC_EINVAL;
    if (cfg->ip == NULL || !ip_valid(cfg->ip))
        return MC_EINVAL;
    if (cfg->ping_timeout_ns > UINT64_MAX / cfg->max_ping_timeouts)
        return MC_EINVAL;
    a->config = *cfg;
    a->config.master = mc_strdup(a->rt.alloc, cfg->master);
    a->config.hostname = mc_strdup(a->rt.alloc, cfg->hostname);
    a->config.resources = cfg->resources ? mc_strdup(a->rt.alloc, cfg->resources) : NULL;
    a->config.ip = mc_strdup(a->rt.alloc, cfg->ip);
    if (a->config.master == NULL || a->config.hostname == NULL || a->config.ip == NULL ||
        (cfg->resources != NULL && a->config.resources == NULL))
        return MC_ENOMEM;
    return 0;
}

/* Reads the id a previous incarnation stored (A5); none is fine. */
static int id_recover(struct agent *a)
{
    struct mc_buf value;
    mc_buf_init(&value, MC_AGENT_ID_BYTES_MAX - 1, a->rt.alloc);
    int err = a->rt.ops->store_get(a->rt.ctx, AGENT_STORE_KEY_ID, &value);
    if (err == MC_ENOTFOUND) {
        err = 0;
    } else if (err == 0 && (memchr(value.data, '\0', value.len) != NULL ||
                            !id_valid(mc_buf_str(&value)))) {
        err = MC_EINVAL; /* a damaged store: Mesos' agent also refuses to start */
    } else if (err == 0) {
        snprintf(a->id, sizeof(a->id), "%s", mc_buf_str(&value));
    } else if (err == MC_ELIMIT) {
        err = MC_EINVAL;
    }
    mc_buf_deinit(&value);
    return err;
}

int agent_create(const struct rt *rt, const struct agent_config *cfg, struct agent **out)
{
    MC_ASSERT(rt != NULL && rt->ops != NULL && cfg != NULL && out != NULL);
    *out = NULL;
    struct agent *a = mc_calloc(rt->alloc, 1, sizeof(*a));
    if (a == NULL)
        return MC_ENOMEM;
    a->rt = *rt;
    pbjson_allocator_init(&a->pb_alloc, a->rt.alloc);
    rio_decoder_init(&a->decoder, MC_RECORD_BYTES_MAX, a->rt.alloc);
    mc_buf_init(&a->checkpointed, MC_AGENT_CHECKPOINT_BYTES_MAX, a->rt.alloc);
    http_request_init(&a->call_request, a->rt.alloc);
    mc_buf_init(&a->checkpoint_bytes, MC_AGENT_CHECKPOINT_BYTES_MAX, a->rt.alloc);
    mc_list_init(&a->tasks);
    mc_list_init(&a->frameworks);
    a->state = AGENT_STATE_DISCONNECTED;
    int err = config_copy(a, cfg);
    if (err == 0)
        err = id_recover(a);
    if (err == 0)
        err = resources_recover(a); /* its dynamic reservations and volumes */
    if (err == 0)
        err = agent__tasks_recover(a); /* checkpointed tasks of a previous incarnation (A5) */
    if (err != 0) {
        agent_destroy(a);
        return err;
    }
    a->master_timeout_ns = a->config.ping_timeout_ns * a->config.max_ping_timeouts;
    backoff_start(a);
    *out = a;
    return 0;
}

void agent_destroy(struct agent *a)
{
    if (a == NULL)
        return;
    if (a->registration_timer.active)
        rt_timer_cancel(&a->rt, &a->registration_timer);
    if (a->master_timer.active)
        rt_timer_cancel(&a->rt, &a->master_timer);
    reg_call_drop(a);
    agent__tasks_free(a);
    rio_decoder_deinit(&a->decoder);
    mc_buf_deinit(&a->checkpointed);
    http_request_deinit(&a->call_request);
    mc_buf_deinit(&a->checkpoint_bytes);
    mc_free(a->rt.alloc, (void *)a->config.master);
    mc_free(a->rt.alloc, (void *)a->config.hostname);
    mc_free(a->rt.alloc, (void *)a->config.resources);
    mc_free(a->rt.alloc, (void *)a->config.ip);
    mc_free(a->rt.alloc, a);
}

enum agent_state agent_state_get(const struct agent *a)
{
    return a->state;
}

const char *agent_state_name(enum agent_state state)
{
    return state < AGENT_STATE_COUNT ? state_names[state] : "UNKNOWN";
}

const char *agent_id(const struct agent *a)
{
    return a->id;
}

void agent_stats_get(const struct agent *a, struct agent_stats *out)
{
    *out = a->stats;
    out->tasks = a->tasks_count;
}

/* ---- the runtime's entry points ---- */

/* The master broke the protocol on the stream: drop it, as if it had ended. */
static void stream_broken(struct agent *a, const char *why)
{
    agent__log(a, RT_LOG_WARN, "stream dropped: %s", why);
    reg_call_drop(a);
    ag_fire(a, AG_EVENT_CALL_ENDED, NULL);
}

static void node_call_response(void *node, uint64_t call, const struct http_response *response)
{
    struct agent *a = node;
    if (call != a->reg_call) {
        if (response->status != 202)
            agent__log(a, RT_LOG_WARN, "call refused: %s", mc_buf_str(&response->body));
        return;
    }
    if (response->status != 200 || !response->is_stream) {
        a->stats.refusals++;
        agent__log(a, RT_LOG_WARN, "registration refused: %s", mc_buf_str(&response->body));
        if (response->status == 403 && a->id[0] != '\0') {
            /* The master removed this id (A9): register anew under a new one, with
             * nothing of the old one (Mesos' agent shuts everything down on the
             * master's ShutdownMessage). */
            a->id[0] = '\0';
            (void)a->rt.ops->store_del(a->rt.ctx, AGENT_STORE_KEY_ID);
            (void)a->rt.ops->store_del(a->rt.ctx, AGENT_STORE_KEY_RESOURCES);
            mc_buf_reset(&a->checkpointed);
            agent__tasks_forget_all(a);
        }
        return; /* call_end follows */
    }
    const char *type = http_headers_get(&response->headers, "Content-Type");
    const char *sid = http_headers_get(&response->headers, "Mesos-Stream-Id");
    if (type == NULL || strcmp(type, MEDIA_TYPE_PROTOBUF) != 0)
        stream_broken(a, "the stream is not application/x-protobuf");
    else if (sid == NULL || sid[0] == '\0' || strlen(sid) >= sizeof(a->stream_id))
        stream_broken(a, "the stream has no usable Mesos-Stream-Id");
    else {
        snprintf(a->stream_id, sizeof(a->stream_id), "%s", sid);
        a->reg_streaming = 1;
    }
}

/* Checks one decoded event and hands it to the state machine. */
static void event_take(struct agent *a, const MesosConform__Internal__Event *ev)
{
    if (ev->has_type && ev->type == IEVENT(REGISTERED)) {
        if (ev->registered == NULL || !id_valid(ev->registered->agent_id->value))
            stream_broken(a, "REGISTERED without a valid agent_id");
        else
            ag_fire(a, AG_EVENT_REGISTERED, ev);
    } else if (ev->has_type && ev->type == IEVENT(PING)) {
        a->stats.pings++;
        ag_fire(a, AG_EVENT_PING, ev);
    } else if (a->state == AGENT_STATE_REGISTERED && ev->has_type &&
               ev->type == IEVENT(CHECKPOINT_RESOURCES) && ev->checkpoint_resources != NULL) {
        resources_checkpoint(a, ev->checkpoint_resources);
    } else if (a->state == AGENT_STATE_REGISTERED) {
        agent__tasks_event(a, ev); /* tasks, kills, acknowledgements (executor.c) */
    } else {
        agent__log(a, RT_LOG_WARN, "%s", "task event before REGISTERED ignored");
    }
}

/* One event of the registration stream; 1 stops the reading when the stream changed. */
static int event_fn(void *ctx, const ProtobufCMessage *msg)
{
    struct agent *a = ctx;
    uint64_t call = a->reg_call;
    event_take(a, (const MesosConform__Internal__Event *)msg);
    return call != a->reg_call || !a->reg_streaming;
}

static void node_call_data(void *node, uint64_t call, const uint8_t *bytes, size_t len)
{
    struct agent *a = node;
    if (call != a->reg_call || !a->reg_streaming)
        return;
    struct mc_diag diag;
    mc_diag_clear(&diag);
    int r = msgstream_feed(&a->decoder, bytes, len, &mesos_conform__internal__event__descriptor,
                           MEDIA_CODEC_PROTOBUF, &a->pb_alloc, event_fn, a, &diag);
    if (r < 0)
        stream_broken(a, diag.text); /* bad framing, or a record that is not an Event */
}

static void node_call_end(void *node, uint64_t call, int err)
{
    struct agent *a = node;
    if (call != a->reg_call)
        return; /* a PONG's answer, or a call the agent already dropped */
    agent__log(a, RT_LOG_INFO, "registration call ended: %s", err == 0 ? "end of stream"
                                                                      : mc_strerror(err));
    a->reg_call = 0; /* over: nothing to cancel */
    a->reg_streaming = 0;
    ag_fire(a, AG_EVENT_CALL_ENDED, NULL);
}

static void node_request(void *node, uint64_t req, const struct http_request *request)
{
    struct agent *a = node;
    (void)request;
    struct http_response r;
    int err = http_response_empty_init(&r, 404, a->rt.alloc); /* no endpoint served yet */
    if (err != 0)
        http_response_init(&r, 503, a->rt.alloc);
    a->rt.ops->respond(a->rt.ctx, req, &r);
    http_response_deinit(&r);
}

static void node_stream_closed(void *node, uint64_t req)
{
    (void)node, (void)req; /* the agent opens no streams yet */
}

const struct rt_node_ops agent_node_ops = {
    node_request, node_stream_closed, node_call_response, node_call_data, node_call_end,
};
