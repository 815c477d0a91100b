/*
 * agents.c: the master's side of its agents: the internal API on
 * /api/v1/internal, agent liveness and partitions, and the registry that
 * outlives the master (SPEC.md A1-A7, A9, M1, M2).
 *
 * Theory of operation. An agent opens its event stream with a REGISTER
 * call (no id yet) or a REREGISTER call (with the id it keeps in its
 * durable store); either answer is 200 with a RecordIO stream whose first
 * event is REGISTERED {agent_id, master_info}. Every other call the agent
 * makes (PONG, later STATUS_UPDATE...) names that stream in
 * Mesos-Stream-Id and is answered 202, checked in the same order as the
 * scheduler API's calls (scheduler_api.c), with texts of the same style.
 *
 * Every agent the master knows is a struct agent_rec in one list, in
 * registration order, and every change of its state goes through
 * ag_table below, indexed by (state, event): the table is the one place to
 * read what can happen to an agent (agents.h names the states). A NULL
 * action marks an event that cannot happen in that state: the HTTP checks
 * never let one through, so reaching one is a programmer error.
 *
 * Liveness is Mesos' SlaveObserver (src/master/master.cpp): right after a
 * (re-)registration the master sends a PING, then one every
 * agent_ping_timeout. When the timer fires and the previous PING got no
 * PONG, that is one timeout; max_agent_ping_timeouts consecutive timeouts
 * make the agent UNREACHABLE (about 75 s with the defaults; A2). A PONG
 * clears the count. An agent whose stream is gone (DISCONNECTED, A6) is
 * still "pinged": with no stream the PING is lost, so it counts as
 * unanswered, and the agent becomes UNREACHABLE on the same schedule unless
 * it re-registers first. Becoming UNREACHABLE stops the pings, ends the
 * stream from the master's side (so an agent that still hears the master
 * learns it must re-register) and sends every connected framework a
 * FAILURE event with the agent_id alone, after its tasks' updates and its
 * offers' rescinds (A3). A RECOVERED agent is not pinged.
 *
 * Ids are Mesos' Master::newSlaveId, "<master id>-S<n>", n from 0 in
 * registration order. A re-registration keeps the id whatever the state
 * (A1, A5); an id the master never saw (one it removed before it
 * restarted) is taken as it is, as Mesos' MarkSlaveReachable admits an
 * agent missing from its unreachable list. A REGISTER from the address
 * ("hostname:port") of an agent that is still REGISTERED is a retry: it
 * gets the same id again.
 * From the address of a DISCONNECTED one it is a new agent, and the old one
 * is REMOVED at once: its tasks get TASK_LOST, then the frameworks FAILURE
 * (Mesos' "a new agent registered at the same address", A9). An UNREACHABLE agent at that
 * address simply stays UNREACHABLE under its old id.
 *
 * The registry (Mesos' Registrar, src/master/registry.proto): every
 * admitted agent (REGISTERED, DISCONNECTED, RECOVERED) with its AgentInfo,
 * and every UNREACHABLE one with the time it became so, written whole to
 * the durable store (MASTER_STORE_KEY_REGISTRY, internal.proto Registry)
 * after every transition that changes it. A restarted master reads it
 * back (Master::_recover): admitted agents become RECOVERED, unreachable
 * ones UNREACHABLE, and a timer of agent_reregister_timeout starts; each
 * agent still RECOVERED when it fires becomes UNREACHABLE with a FAILURE
 * to the frameworks and no task update, since the master never learned its
 * tasks (Master::recoveredSlavesTimeout, _markUnreachable with
 * duringMasterFailover: sendSlaveLost; M2).
 *
 * Tasks (A1, A4-A7, M1): a REREGISTER lists the agent's tasks and their
 * frameworks. What the master does with them depends on the state the
 * agent comes back from, as in Mesos' Master::_reregisterSlave: from
 * REGISTERED or DISCONNECTED it keeps its own tasks and asks the agent
 * about the ones missing from the list (reconcileKnownSlave, carried in
 * REGISTERED.reconciliations); from RECOVERED, UNREACHABLE or as an
 * unknown id it takes the agent's list (__reregisterSlave). tasks.c does
 * both (master__tasks_agent_readmitted).
 *
 * Resources: a (re-)registration's resources text (Register.resources_text,
 * AGENT_RESOURCES_DEFAULT when absent) is parsed before anything else
 * happens; a text Mesos would not parse refuses the call with 400. The
 * agent's checkpointed resources (dynamic reservations, persistent
 * volumes) are then applied to it (applyCheckpointedResources): the
 * master's own view for an agent it knew (REGISTERED or DISCONNECTED),
 * which it sends again after REGISTERED (CHECKPOINT_RESOURCES), the ones
 * a REREGISTER reports for any other. The total goes to the allocator
 * (offers.c) when the agent attaches; when it is disconnected, unreachable
 * or removed its offers are rescinded (RESCIND before the FAILURE of A3)
 * and it is no longer offered. Each registration also says the agent's
 * pid's ip (offers' url) and its capabilities (operations.c reads them).
 */
#include "agents.h"

#include <stdio.h>
#include <string.h>

#include "http_msg.h"
#include "master_internal.h"
#include "mc_assert.h"
#include "mc_limits.h"
#include "mc_strmap.h"
#include "mesos_conform/internal.pb-c.h"
#include "pbjson.h"
#include "recordio.h"

#include "resources.h"

/*
 * What an agent offers when it was configured with no resources. Mesos'
 * agent detects them from the machine; a fixed value keeps runs
 * reproducible, and this is what the recorded agent offered (recorded:
 * o.offers-shape).
 */
#define AGENT_RESOURCES_DEFAULT "cpus:2;mem:2048;disk:4096;ports:[31000-32000]"

/* What an agent that names no ip is taken to be at (internal.proto Register.ip). */
#define AGENT_IP_DEFAULT "127.0.0.1"
#define AGENT_IP_BYTES 16 /* "255.255.255.255" and its NUL */

#define ICALL(name) MESOS_CONFORM__INTERNAL__CALL__TYPE__##name
#define IEVENT(name) MESOS_CONFORM__INTERNAL__EVENT__TYPE__##name

static_assert(MC_AGENT_ID_BYTES_MAX <= MASTER_CLIENT_ID_BYTES_MAX,
              "an agent id is a client-given id");

struct agent_rec {
    struct mc_list_node link; /* in master_agents.list, in registration order */
    struct master *master;
    char id[MC_AGENT_ID_BYTES_MAX];
    char address[MC_AGENT_ADDRESS_BYTES_MAX]; /* "hostname:port" of its AgentInfo */
    Mesos__V1__AgentInfo *info;               /* owned; id set */
    char *resources_text;                     /* owned; NULL when none was given */
    char ip[AGENT_IP_BYTES];                  /* of its libprocess pid (offers' url) */
    uint32_t capabilities; /* a bit per AgentInfo.Capability.Type it declared */
    enum master_agent_state state;
    /* The current stream; stream_req is 0 when there is none. */
    uint64_t stream_req;
    char stream_id[MASTER_UUID_TEXT_BYTES];
    enum media_codec codec;
    struct rt_timer ping_timer;
    uint64_t ping_seq;      /* the seq of the last PING */
    uint32_t ping_timeouts; /* consecutive PINGs that got no PONG */
    int pinged;             /* a PING went out and no PONG came since */
    enum master_agent_state prev_state; /* before the last transition (A4 needs it) */
    uint64_t unreachable_ns;            /* when it last became UNREACHABLE */
    int admitted; /* it registered with this master, or came from its registry */
    /* The REREGISTER of the ATTACH being handled (borrowed for the action), or NULL. */
    const MesosConform__Internal__Call__Reregister *reregister;
};

struct master_agents {
    struct master *master;
    struct mc_list_node list;
    struct mc_strmap by_id; /* the same records by id */
    uint32_t count;
    uint64_t next_number; /* n of the next "<master id>-S<n>" */
    uint64_t pings_sent;
    uint64_t pongs;
    uint64_t unreachable;
    uint64_t registry_writes;
    uint64_t registry_hash; /* of the bytes last written */
    int registry_written;
    /* After a restart with agents in the registry: agent_reregister_timeout (M2). */
    struct rt_timer reregister_timer;
};

/* The stream a (re-)registration brings, and the agent's resources (borrowed). */
struct attachment {
    uint64_t req;
    enum media_codec codec;
    char stream_id[MASTER_UUID_TEXT_BYTES];
    const struct res_set *resources; /* the agent's total, checkpointed resources applied */
    const MesosConform__Internal__Call__Reregister *reregister; /* NULL for a REGISTER */
};

enum ag_event {
    AG_EVENT_ATTACH,          /* REGISTER or REREGISTER brought a stream */
    AG_EVENT_STREAM_CLOSED,   /* the agent's stream went away */
    AG_EVENT_PONG,            /* the agent answered a PING */
    AG_EVENT_PINGS_EXHAUSTED, /* max_agent_ping_timeouts in a row */
    AG_EVENT_REPLACED,        /* a new agent registered at its address */
    AG_EVENT_REREGISTER_TIMEOUT, /* agent_reregister_timeout after a master restart (M2) */
    AG_EVENT_COUNT
};

typedef void (*ag_action_fn)(struct agent_rec *a, const struct attachment *att);

static void ag_attach(struct agent_rec *a, const struct attachment *att);
static void ag_disconnect(struct agent_rec *a, const struct attachment *att);
static void ag_pong(struct agent_rec *a, const struct attachment *att);
static void ag_unreachable(struct agent_rec *a, const struct attachment *att);
static void ag_remove(struct agent_rec *a, const struct attachment *att);
static void ag_recovered_timeout(struct agent_rec *a, const struct attachment *att);

static const struct ag_transition {
    enum master_agent_state next;
    ag_action_fn action;
} ag_table[MASTER_AGENT_STATE_COUNT][AG_EVENT_COUNT] = {
    [MASTER_AGENT_REGISTERED] = {
        [AG_EVENT_ATTACH] = {MASTER_AGENT_REGISTERED, ag_attach},            /* retry, A1 */
        [AG_EVENT_STREAM_CLOSED] = {MASTER_AGENT_DISCONNECTED, ag_disconnect}, /* A6 */
        [AG_EVENT_PONG] = {MASTER_AGENT_REGISTERED, ag_pong},                /* A2 */
        [AG_EVENT_PINGS_EXHAUSTED] = {MASTER_AGENT_UNREACHABLE, ag_unreachable}, /* A2, A3 */
        [AG_EVENT_REPLACED] = {MASTER_AGENT_REGISTERED, NULL},
        [AG_EVENT_REREGISTER_TIMEOUT] = {MASTER_AGENT_REGISTERED, NULL},
    },
    [MASTER_AGENT_DISCONNECTED] = {
        [AG_EVENT_ATTACH] = {MASTER_AGENT_REGISTERED, ag_attach},            /* A1, A5 */
        [AG_EVENT_STREAM_CLOSED] = {MASTER_AGENT_DISCONNECTED, NULL},
        [AG_EVENT_PONG] = {MASTER_AGENT_DISCONNECTED, NULL},
        [AG_EVENT_PINGS_EXHAUSTED] = {MASTER_AGENT_UNREACHABLE, ag_unreachable}, /* A6 */
        [AG_EVENT_REPLACED] = {MASTER_AGENT_REMOVED, ag_remove},             /* A9 */
        [AG_EVENT_REREGISTER_TIMEOUT] = {MASTER_AGENT_DISCONNECTED, NULL},
    },
    [MASTER_AGENT_UNREACHABLE] = {
        [AG_EVENT_ATTACH] = {MASTER_AGENT_REGISTERED, ag_attach},            /* A1 */
        [AG_EVENT_STREAM_CLOSED] = {MASTER_AGENT_UNREACHABLE, NULL},
        [AG_EVENT_PONG] = {MASTER_AGENT_UNREACHABLE, NULL},
        [AG_EVENT_PINGS_EXHAUSTED] = {MASTER_AGENT_UNREACHABLE, NULL},
        [AG_EVENT_REPLACED] = {MASTER_AGENT_UNREACHABLE, NULL},
        [AG_EVENT_REREGISTER_TIMEOUT] = {MASTER_AGENT_UNREACHABLE, NULL},
    },
    [MASTER_AGENT_REMOVED] = {
        [AG_EVENT_ATTACH] = {MASTER_AGENT_REMOVED, NULL},
        [AG_EVENT_STREAM_CLOSED] = {MASTER_AGENT_REMOVED, NULL},
        [AG_EVENT_PONG] = {MASTER_AGENT_REMOVED, NULL},
        [AG_EVENT_PINGS_EXHAUSTED] = {MASTER_AGENT_REMOVED, NULL},
        [AG_EVENT_REPLACED] = {MASTER_AGENT_REMOVED, NULL},
        [AG_EVENT_REREGISTER_TIMEOUT] = {MASTER_AGENT_REMOVED, NULL},
    },
    /* Not pinged, no stream, not at any address: only a REREGISTER or the timeout. */
    [MASTER_AGENT_RECOVERED] = {
        [AG_EVENT_ATTACH] = {MASTER_AGENT_REGISTERED, ag_attach},            /* M1 */
        [AG_EVENT_STREAM_CLOSED] = {MASTER_AGENT_RECOVERED, NULL},
        [AG_EVENT_PONG] = {MASTER_AGENT_RECOVERED, NULL},
        [AG_EVENT_PINGS_EXHAUSTED] = {MASTER_AGENT_RECOVERED, NULL},
        [AG_EVENT_REPLACED] = {MASTER_AGENT_RECOVERED, NULL},
        [AG_EVENT_REREGISTER_TIMEOUT] = {MASTER_AGENT_UNREACHABLE, ag_recovered_timeout}, /* M2 */
    },
};

static const char *const state_names[MASTER_AGENT_STATE_COUNT] = {
    "REGISTERED", "DISCONNECTED", "UNREACHABLE", "REMOVED", "RECOVERED",
};

static void registry_save(struct master *m);

static void ag_fire(struct agent_rec *a, enum ag_event event, const struct attachment *att)
{
    MC_ASSERT(a->state < MASTER_AGENT_STATE_COUNT);
    MC_ASSERT(event < AG_EVENT_COUNT);
    const struct ag_transition *t = &ag_table[a->state][event];
    MC_ASSERT(t->action != NULL);
    a->prev_state = a->state;
    a->state = t->next;
    struct master *m = a->master; /* the action may not free a, but keep it simple */
    t->action(a, att);
    /* A stream closing or a PONG changes nothing the registry holds (M1);
     * the re-registration timeout saves once for all its agents. */
    if (event != AG_EVENT_STREAM_CLOSED && event != AG_EVENT_PONG &&
        event != AG_EVENT_REREGISTER_TIMEOUT)
        registry_save(m);
}

static void log_agent(struct master *m, enum rt_log_level level, const struct agent_rec *a,
                      const char *what)
{
    char text[MC_AGENT_ID_BYTES_MAX + MC_AGENT_ADDRESS_BYTES_MAX + 128];
    snprintf(text, sizeof(text), "agent %s at %s: %s", a->id, a->address, what);
    m->rt.ops->log(m->rt.ctx, level, text);
}

/* Writes ev on a's stream as one RecordIO record; an agent without a stream gets nothing. */
static void agent_send(struct agent_rec *a, const MesosConform__Internal__Event *ev)
{
    struct master *m = a->master;
    if (a->stream_req == 0)
        return;
    struct mc_buf payload, framed;
    mc_buf_init(&payload, MC_RECORD_BYTES_MAX, m->rt.alloc);
    mc_buf_init(&framed, MC_RECORD_BYTES_MAX + MC_RECORD_LENGTH_DIGITS_MAX + 1, m->rt.alloc);
    int err = a->codec == MEDIA_CODEC_PROTOBUF ? pbjson_pack(&ev->base, &payload)
                                               : pbjson_encode(&ev->base, &payload);
    if (err == 0)
        err = rio_encode(&framed, payload.data, payload.len);
    if (err == 0) {
        m->events_sent++;
        (void)m->rt.ops->stream_write(m->rt.ctx, a->stream_req, framed.data, framed.len);
    } else {
        log_agent(m, RT_LOG_ERROR, a, mc_strerror(err));
    }
    mc_buf_deinit(&payload);
    mc_buf_deinit(&framed);
}

/* REGISTERED, with the reconciliations (borrowed; may be none) a known agent is asked for. */
static void send_registered(struct agent_rec *a,
                            MesosConform__Internal__Event__ReconcileTasks **recs, size_t recs_count)
{
    struct master *m = a->master;
    MesosConform__Internal__Event ev = MESOS_CONFORM__INTERNAL__EVENT__INIT;
    MesosConform__Internal__Event__Registered registered =
        MESOS_CONFORM__INTERNAL__EVENT__REGISTERED__INIT;
    Mesos__V1__AgentID id = MESOS__V1__AGENT_ID__INIT;
    Mesos__V1__MasterInfo info;
    Mesos__V1__Address address;
    Mesos__V1__MasterInfo__Capability caps[3], *cap_ptrs[3];
    for (int i = 0; i < 3; i++) {
        mesos__v1__master_info__capability__init(&caps[i]);
        cap_ptrs[i] = &caps[i];
    }
    master__info_fill(m, &info, &address, cap_ptrs, 3);
    id.value = a->id;
    registered.agent_id = &id;
    registered.master_info = &info;
    registered.has_total_ping_timeout_seconds = 1;
    registered.total_ping_timeout_seconds = (double)m->config.agent_ping_timeout_ns *
                                            (double)m->config.max_agent_ping_timeouts /
                                            (double)RT_NS_PER_SEC;
    registered.n_reconciliations = recs_count;
    registered.reconciliations = recs;
    ev.has_type = 1;
    ev.type = IEVENT(REGISTERED);
    ev.registered = &registered;
    agent_send(a, &ev);
}

static void ping_timer_fire(struct rt_timer *timer);

/* Sends the next PING (lost when there is no stream) and waits one ping timeout for its PONG. */
static void ping_send(struct agent_rec *a)
{
    struct master *m = a->master;
    MesosConform__Internal__Event ev = MESOS_CONFORM__INTERNAL__EVENT__INIT;
    MesosConform__Internal__Event__Ping ping = MESOS_CONFORM__INTERNAL__EVENT__PING__INIT;
    a->ping_seq++;
    a->pinged = 1;
    if (a->stream_req != 0) {
        ping.has_seq = 1;
        ping.seq = a->ping_seq;
        ev.has_type = 1;
        ev.type = IEVENT(PING);
        ev.ping = &ping;
        agent_send(a, &ev);
        m->agents->pings_sent++;
    }
    rt_timer_start(&m->rt, &a->ping_timer, m->config.agent_ping_timeout_ns, ping_timer_fire);
}

static void ping_timer_fire(struct rt_timer *timer)
{
    struct agent_rec *a = MC_CONTAINER_OF(timer, struct agent_rec, ping_timer);
    MC_ASSERT(a->state == MASTER_AGENT_REGISTERED || a->state == MASTER_AGENT_DISCONNECTED);
    if (a->pinged) {
        a->ping_timeouts++; /* no PONG came for the last PING */
        if (a->ping_timeouts >= a->master->config.max_agent_ping_timeouts) {
            ag_fire(a, AG_EVENT_PINGS_EXHAUSTED, NULL);
            return;
        }
    }
    ping_send(a);
}

/* Ends a's stream from the master's side if it has one (terminating chunk). */
static void stream_detach(struct agent_rec *a, int close_it)
{
    struct master *m = a->master;
    if (a->stream_req != 0 && close_it)
        m->rt.ops->stream_close(m->rt.ctx, a->stream_req);
    a->stream_req = 0;
    a->stream_id[0] = '\0';
}

/*
 * How the agent comes back, by the state it was in (Mesos'
 * Master::_reregisterSlave: slaves.registered, slaves.recovered, or
 * neither: MarkSlaveReachable).
 */
static enum master_readmission readmission_of(const struct agent_rec *a)
{
    if (!a->admitted)
        return MASTER_READMIT_UNKNOWN;
    switch (a->prev_state) {
    case MASTER_AGENT_RECOVERED:
        return MASTER_READMIT_RECOVERED;
    case MASTER_AGENT_UNREACHABLE:
        return MASTER_READMIT_UNREACHABLE;
    default:
        return MASTER_READMIT_KNOWN;
    }
}

static void ag_attach(struct agent_rec *a, const struct attachment *att)
{
    struct master *m = a->master;
    MC_ASSERT(att != NULL && att->req != 0 && att->req != a->stream_req);
    MC_ASSERT(a->prev_state != MASTER_AGENT_REMOVED);
    enum master_readmission how = readmission_of(a);
    a->admitted = 1;
    stream_detach(a, 1); /* an older stream of this agent is replaced, not kept */
    a->stream_req = att->req;
    a->codec = att->codec;
    memcpy(a->stream_id, att->stream_id, sizeof(a->stream_id));
    /* A known agent is asked about the tasks its REREGISTER left out (reconcileKnownSlave). */
    MesosConform__Internal__Event__ReconcileTasks **recs = NULL;
    size_t recs_count = 0;
    if (att->reregister != NULL && how == MASTER_READMIT_KNOWN &&
        master__tasks_reconciliations(m, a->id, att->reregister, &recs, &recs_count) != 0)
        log_agent(m, RT_LOG_ERROR, a, "reconciliation not asked: out of memory");
    send_registered(a, recs, recs_count);
    master__tasks_reconciliations_free(m, recs, recs_count);
    /* A (re-)registration starts the observer afresh: PING at once, no timeouts counted. */
    if (a->ping_timer.active)
        rt_timer_cancel(&m->rt, &a->ping_timer);
    a->ping_timeouts = 0;
    a->pinged = 0;
    ping_send(a);
    int err = master__offers_agent_attached(m, a->id, att->resources);
    if (err != 0)
        log_agent(m, RT_LOG_ERROR, a, mc_strerror(err)); /* registered, but not offered */
    /* A known agent is told the master's view of its checkpointed resources, which may
     * hold operations it never heard of (Mesos' ___reregisterSlave). */
    if (att->reregister != NULL && how == MASTER_READMIT_KNOWN)
        master__agent_checkpoint_send(m, a->id);
    /* Its tasks: kept, re-added or announced again (A4, A5, A7, M1). */
    if (att->reregister != NULL)
        master__tasks_agent_readmitted(m, a->id, how, att->reregister);
}

static void ag_disconnect(struct agent_rec *a, const struct attachment *att)
{
    (void)att;
    stream_detach(a, 0); /* already gone; the pings go on and will time out (A6) */
    log_agent(a->master, RT_LOG_INFO, a, "disconnected");
    master__offers_agent_lost(a->master, a->id, MASTER_AGENT_DISCONNECTED); /* RESCIND first */
    master__tasks_agent_disconnected(a->master, a->id);                     /* A6 */
}

static void ag_pong(struct agent_rec *a, const struct attachment *att)
{
    (void)att;
    a->ping_timeouts = 0;
    a->pinged = 0;
    a->master->agents->pongs++;
}

/* Tells every connected framework that the agent is lost: FAILURE with agent_id alone (A3). */
static void failure_broadcast(struct agent_rec *a)
{
    Mesos__V1__Scheduler__Event ev = MESOS__V1__SCHEDULER__EVENT__INIT;
    Mesos__V1__Scheduler__Event__Failure failure = MESOS__V1__SCHEDULER__EVENT__FAILURE__INIT;
    Mesos__V1__AgentID id = MESOS__V1__AGENT_ID__INIT;
    id.value = a->id;
    failure.agent_id = &id;
    ev.has_type = 1;
    ev.type = MESOS__V1__SCHEDULER__EVENT__TYPE__FAILURE;
    ev.failure = &failure;
    master__frameworks_broadcast(a->master, &ev);
}

/* Stops pinging and ends the stream; the agent keeps its record and id. */
static void observer_stop(struct agent_rec *a)
{
    if (a->ping_timer.active)
        rt_timer_cancel(&a->master->rt, &a->ping_timer);
    a->pinged = 0;
    stream_detach(a, 1);
}

static void ag_unreachable(struct agent_rec *a, const struct attachment *att)
{
    (void)att;
    observer_stop(a);
    a->master->agents->unreachable++;
    a->unreachable_ns = rt_now_ns(&a->master->rt);
    log_agent(a->master, RT_LOG_WARN, a, "unreachable: health check timed out");
    master__tasks_agent_unreachable(a->master, a->id); /* UPDATE before RESCIND (A3) */
    master__offers_agent_lost(a->master, a->id, MASTER_AGENT_UNREACHABLE); /* RESCIND first */
    failure_broadcast(a);
}

/*
 * M2: not back within agent_reregister_timeout of the master's restart.
 * The master never learned its tasks, so the frameworks hear only FAILURE
 * (Master::_markUnreachable with duringMasterFailover: sendSlaveLost).
 */
static void ag_recovered_timeout(struct agent_rec *a, const struct attachment *att)
{
    (void)att;
    MC_ASSERT(a->stream_req == 0 && !a->ping_timer.active);
    a->master->agents->unreachable++;
    a->unreachable_ns = rt_now_ns(&a->master->rt);
    log_agent(a->master, RT_LOG_WARN, a,
              "unreachable: did not reregister within agent_reregister_timeout after master "
              "failover");
    failure_broadcast(a);
}

/*
 * A9 (Mesos' _removeSlave): its tasks are lost, then its offers go, then
 * every framework hears FAILURE.
 */
static void ag_remove(struct agent_rec *a, const struct attachment *att)
{
    (void)att;
    observer_stop(a);
    log_agent(a->master, RT_LOG_WARN, a, "removed: a new agent registered at the same address");
    master__tasks_agent_removed(a->master, a->id,
                                a->info != NULL ? a->info->hostname : a->address);
    master__offers_agent_lost(a->master, a->id, MASTER_AGENT_REMOVED);
    failure_broadcast(a);
}

static void agent_free(struct master *m, struct agent_rec *a)
{
    if (a->ping_timer.active)
        rt_timer_cancel(&m->rt, &a->ping_timer);
    mc_list_remove(&a->link);
    struct agent_rec *indexed = mc_strmap_del(&m->agents->by_id, a->id);
    MC_ASSERT(indexed == a);
    m->agents->count--;
    if (a->info != NULL)
        protobuf_c_message_free_unpacked(&a->info->base, &m->pb_alloc);
    mc_free(m->rt.alloc, a->resources_text);
    mc_free(m->rt.alloc, a);
}

static struct agent_rec *agent_find(const struct master *m, const char *id)
{
    return mc_strmap_get(&m->agents->by_id, id);
}

/* The REGISTERED or DISCONNECTED agent at address, or NULL (Mesos' slaves.registered by pid). */
static struct agent_rec *agent_find_live_at(const struct master *m, const char *address)
{
    struct mc_list_node *it;
    MC_LIST_FOR_EACH(it, &m->agents->list) {
        struct agent_rec *a = MC_CONTAINER_OF(it, struct agent_rec, link);
        if ((a->state == MASTER_AGENT_REGISTERED || a->state == MASTER_AGENT_DISCONNECTED) &&
            strcmp(a->address, address) == 0)
            return a;
    }
    return NULL;
}

/* A new record in DISCONNECTED (an ATTACH registers it); NULL past the limit or without memory. */
static struct agent_rec *agent_new(struct master *m, const char *id)
{
    struct master_agents *ags = m->agents;
    if (ags->count >= MC_MASTER_AGENTS_MAX) {
        struct mc_list_node *it;
        MC_LIST_FOR_EACH(it, &ags->list) {
            struct agent_rec *old = MC_CONTAINER_OF(it, struct agent_rec, link);
            if (old->state == MASTER_AGENT_REMOVED) {
                agent_free(m, old); /* the oldest removed one is forgotten first */
                break;
            }
        }
        if (ags->count >= MC_MASTER_AGENTS_MAX)
            return NULL;
    }
    struct agent_rec *a = mc_calloc(m->rt.alloc, 1, sizeof(*a));
    if (a == NULL)
        return NULL;
    a->master = m;
    snprintf(a->id, sizeof(a->id), "%s", id);
    a->state = MASTER_AGENT_DISCONNECTED;
    if (mc_strmap_put(&ags->by_id, a->id, a) != 0) { /* MC_ENOMEM (callers look ids up first) */
        mc_free(m->rt.alloc, a);
        return NULL;
    }
    mc_list_push_back(&ags->list, &a->link);
    ags->count++;
    return a;
}

/* ---- the registry (M1, M2) ---- */

static uint64_t bytes_hash(const uint8_t *p, size_t n)
{
    uint64_t h = UINT64_C(0xcbf29ce484222325);
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= UINT64_C(0x100000001b3);
    }
    return h;
}

/*
 * Writes the registry whole when it changed: every admitted agent
 * (REGISTERED, DISCONNECTED, RECOVERED) and every UNREACHABLE one, in
 * registration order. A write that fails is logged: the master goes on
 * with what it has in memory, as the next write will carry it.
 */
static void registry_save(struct master *m)
{
    struct master_agents *ags = m->agents;
    MesosConform__Internal__Registry reg = MESOS_CONFORM__INTERNAL__REGISTRY__INIT;
    MesosConform__Internal__Registry__Agent *items =
        ags->count > 0 ? mc_calloc(m->rt.alloc, ags->count, sizeof(*items)) : NULL;
    MesosConform__Internal__Registry__Agent **ptrs =
        ags->count > 0 ? mc_calloc(m->rt.alloc, ags->count, sizeof(*ptrs)) : NULL;
    struct mc_buf bytes;
    mc_buf_init(&bytes, MC_MASTER_REGISTRY_BYTES_MAX, m->rt.alloc);
    int err = ags->count > 0 && (items == NULL || ptrs == NULL) ? MC_ENOMEM : 0;
    size_t n = 0;
    struct mc_list_node *it;
    MC_LIST_FOR_EACH(it, &ags->list) {
        const struct agent_rec *a = MC_CONTAINER_OF(it, struct agent_rec, link);
        if (err != 0 || a->state == MASTER_AGENT_REMOVED || a->info == NULL)
            continue;
        MC_ASSERT(n < ags->count);
        mesos_conform__internal__registry__agent__init(&items[n]);
        items[n].info = a->info;
        if (a->state == MASTER_AGENT_UNREACHABLE) {
            items[n].has_unreachable = items[n].unreachable = 1;
            items[n].has_unreachable_ns = 1;
            items[n].unreachable_ns = a->unreachable_ns;
        }
        ptrs[n] = &items[n];
        n++;
    }
    reg.n_agents = n;
    reg.agents = ptrs;
    if (err == 0)
        err = pbjson_pack(&reg.base, &bytes);
    uint64_t h = err == 0 ? bytes_hash(bytes.data, bytes.len) : 0;
    if (err == 0 && (h != ags->registry_hash || !ags->registry_written)) {
        err = m->rt.ops->store_put(m->rt.ctx, MASTER_STORE_KEY_REGISTRY, bytes.data, bytes.len);
        if (err == 0) {
            ags->registry_hash = h;
            ags->registry_written = 1;
            ags->registry_writes++;
        }
    }
    if (err != 0) {
        char text[128];
        snprintf(text, sizeof(text), "registry not written: %s", mc_strerror(err));
        m->rt.ops->log(m->rt.ctx, RT_LOG_ERROR, text);
    }
    mc_buf_deinit(&bytes);
    mc_free(m->rt.alloc, items);
    mc_free(m->rt.alloc, ptrs);
}

static const char *agent_id_validate(const char *id);

/* One agent of a registry read back: RECOVERED, or UNREACHABLE as it was (M1). */
static int registry_agent_take(struct master *m, MesosConform__Internal__Registry__Agent *item)
{
    Mesos__V1__AgentInfo *info = item->info;
    if (info->id == NULL || agent_id_validate(info->id->value) != NULL ||
        info->hostname[0] == '\0' || agent_find(m, info->id->value) != NULL)
        return MC_EINVAL; /* a damaged registry: Mesos' master does not recover either */
    struct agent_rec *a = agent_new(m, info->id->value);
    if (a == NULL)
        return MC_ENOMEM;
    item->info = NULL; /* taken over by the agent */
    a->info = info;
    snprintf(a->address, sizeof(a->address), "%s:%d", info->hostname,
             info->has_port ? (int)info->port : 5051);
    a->admitted = 1;
    if (item->has_unreachable && item->unreachable) {
        a->state = MASTER_AGENT_UNREACHABLE;
        a->unreachable_ns = item->unreachable_ns;
    } else {
        a->state = MASTER_AGENT_RECOVERED;
    }
    a->prev_state = a->state;
    return 0;
}

static void reregister_timer_fire(struct rt_timer *timer)
{
    struct master_agents *ags = MC_CONTAINER_OF(timer, struct master_agents, reregister_timer);
    struct master *m = ags->master;
    struct mc_list_node *it;
    MC_LIST_FOR_EACH(it, &ags->list) {
        struct agent_rec *a = MC_CONTAINER_OF(it, struct agent_rec, link);
        if (a->state == MASTER_AGENT_RECOVERED)
            ag_fire(a, AG_EVENT_REREGISTER_TIMEOUT, NULL);
    }
    registry_save(m);
}

int master__agents_recover(struct master *m)
{
    struct mc_buf bytes;
    mc_buf_init(&bytes, MC_MASTER_REGISTRY_BYTES_MAX, m->rt.alloc);
    int err = m->rt.ops->store_get(m->rt.ctx, MASTER_STORE_KEY_REGISTRY, &bytes);
    ProtobufCMessage *msg = NULL;
    if (err == 0)
        err = pbjson_unpack(&mesos_conform__internal__registry__descriptor, bytes.data, bytes.len,
                            &m->pb_alloc, &msg, NULL) != 0 ? MC_EINVAL : 0;
    else if (err == MC_ELIMIT)
        err = MC_EINVAL;
    mc_buf_deinit(&bytes);
    if (err == MC_ENOTFOUND)
        return 0; /* a master that never ran here */
    uint32_t recovered = 0;
    MesosConform__Internal__Registry *reg = (MesosConform__Internal__Registry *)msg;
    for (size_t i = 0; err == 0 && i < reg->n_agents; i++) {
        err = registry_agent_take(m, reg->agents[i]);
        recovered += err == 0 && !(reg->agents[i]->has_unreachable && reg->agents[i]->unreachable);
    }
    if (msg != NULL)
        protobuf_c_message_free_unpacked(msg, &m->pb_alloc);
    if (err != 0)
        return err;
    m->agents->registry_written = 1; /* what is stored is what was just read */
    m->agents->registry_hash = 0;    /* but rewrite it at the first change */
    if (recovered > 0)
        rt_timer_start(&m->rt, &m->agents->reregister_timer,
                       m->config.agent_reregister_timeout_ns, reregister_timer_fire);
    return 0;
}

int master__agents_recovered_any(const struct master *m)
{
    const struct mc_list_node *it;
    MC_LIST_FOR_EACH(it, &m->agents->list) {
        if (MC_CONTAINER_OF(it, const struct agent_rec, link)->state == MASTER_AGENT_RECOVERED)
            return 1;
    }
    return 0;
}

int master__agents_create(struct master *m)
{
    if (m->config.agent_ping_timeout_ns == 0 || m->config.max_agent_ping_timeouts == 0)
        return MC_EINVAL; /* pings would spin at one instant, or never count */
    m->agents = mc_calloc(m->rt.alloc, 1, sizeof(*m->agents));
    if (m->agents == NULL)
        return MC_ENOMEM;
    m->agents->master = m;
    mc_list_init(&m->agents->list);
    mc_strmap_init(&m->agents->by_id, MC_MASTER_AGENTS_MAX, m->rt.alloc);
    return 0;
}

void master__agents_destroy(struct master *m)
{
    if (m->agents == NULL)
        return;
    if (m->agents->reregister_timer.active)
        rt_timer_cancel(&m->rt, &m->agents->reregister_timer);
    struct mc_list_node *it, *tmp;
    MC_LIST_FOR_EACH_SAFE(it, tmp, &m->agents->list) {
        agent_free(m, MC_CONTAINER_OF(it, struct agent_rec, link));
    }
    MC_ASSERT(m->agents->count == 0);
    mc_strmap_deinit(&m->agents->by_id);
    mc_free(m->rt.alloc, m->agents);
    m->agents = NULL;
}

int master__agents_stream_closed(struct master *m, uint64_t req)
{
    MC_ASSERT(req != 0);
    struct mc_list_node *it;
    MC_LIST_FOR_EACH(it, &m->agents->list) {
        struct agent_rec *a = MC_CONTAINER_OF(it, struct agent_rec, link);
        if (a->stream_req == req) {
            ag_fire(a, AG_EVENT_STREAM_CLOSED, NULL);
            return 1;
        }
    }
    return 0; /* a stream the master already replaced or ended */
}

int master_agent_state(const struct master *m, const char *agent_id)
{
    MC_ASSERT(m != NULL && agent_id != NULL);
    const struct agent_rec *a = agent_find(m, agent_id);
    return a == NULL ? MC_ENOTFOUND : (int)a->state;
}

const Mesos__V1__AgentInfo *master__agent_info(struct master *m, const char *agent_id)
{
    const struct agent_rec *a = agent_find(m, agent_id);
    return a == NULL ? NULL : a->info;
}

int master__agent_send(struct master *m, const char *agent_id,
                       const MesosConform__Internal__Event *ev)
{
    struct agent_rec *a = agent_find(m, agent_id);
    if (a == NULL || a->state != MASTER_AGENT_REGISTERED)
        return MC_ENOTFOUND;
    agent_send(a, ev);
    return 0;
}

void master__agents_send_all(struct master *m, const MesosConform__Internal__Event *ev)
{
    struct mc_list_node *it;
    MC_LIST_FOR_EACH(it, &m->agents->list) {
        struct agent_rec *a = MC_CONTAINER_OF(it, struct agent_rec, link);
        if (a->state == MASTER_AGENT_REGISTERED)
            agent_send(a, ev);
    }
}

uint64_t master__agent_unreachable_ns(struct master *m, const char *agent_id)
{
    const struct agent_rec *a = agent_find(m, agent_id);
    return a != NULL && a->state == MASTER_AGENT_UNREACHABLE ? a->unreachable_ns : 0;
}

void master__agent_describe(struct master *m, const char *agent_id, char *out, size_t out_bytes)
{
    const struct agent_rec *a = agent_find(m, agent_id);
    if (a == NULL || a->info == NULL) {
        snprintf(out, out_bytes, "%s", agent_id);
        return;
    }
    snprintf(out, out_bytes, "%s at slave(1)@%s:%d (%s)", a->id,
             a->ip[0] != '\0' ? a->ip : AGENT_IP_DEFAULT,
             a->info->has_port ? (int)a->info->port : 5051, a->info->hostname);
}

int master__agent_capable(struct master *m, const char *agent_id,
                          Mesos__V1__AgentInfo__Capability__Type type)
{
    const struct agent_rec *a = agent_find(m, agent_id);
    return a != NULL && (int)type > 0 && (int)type < 32 && (a->capabilities & (1u << (int)type));
}

const char *master__agent_ip(struct master *m, const char *agent_id)
{
    const struct agent_rec *a = agent_find(m, agent_id);
    return a != NULL && a->ip[0] != '\0' ? a->ip : AGENT_IP_DEFAULT;
}

void master__agent_checkpoint_send(struct master *m, const char *agent_id)
{
    const struct res_set *total = master__offers_agent_total(m, agent_id);
    struct res_set ck;
    res_set_init(&ck, m->rt.alloc);
    Mesos__V1__Resource **arr = NULL;
    size_t n = 0;
    int err = total != NULL ? master__resources_checkpointed(total, &ck) : 0;
    if (err == 0)
        err = res_set_to_proto(&ck, RES_PROTO_RESERVATIONS, m->rt.alloc, &arr, &n);
    if (err == 0) {
        MesosConform__Internal__Event ev = MESOS_CONFORM__INTERNAL__EVENT__INIT;
        MesosConform__Internal__Event__CheckpointResources cr =
            MESOS_CONFORM__INTERNAL__EVENT__CHECKPOINT_RESOURCES__INIT;
        cr.n_resources = n;
        cr.resources = arr;
        ev.has_type = 1;
        ev.type = IEVENT(CHECKPOINT_RESOURCES);
        ev.checkpoint_resources = &cr;
        if (master__agent_send(m, agent_id, &ev) != 0) /* it hears when it re-registers */
            m->rt.ops->log(m->rt.ctx, RT_LOG_INFO, "checkpointed resources wait for the agent");
    } else {
        char text[128];
        snprintf(text, sizeof(text), "checkpointed resources not sent to agent: %s",
                 mc_strerror(err));
        m->rt.ops->log(m->rt.ctx, RT_LOG_ERROR, text);
    }
    res_proto_free(m->rt.alloc, arr, n);
    res_set_deinit(&ck);
}

const char *master_agent_state_name(int state)
{
    if (state < 0 || state >= MASTER_AGENT_STATE_COUNT)
        return "UNKNOWN";
    return state_names[state];
}

void master_agent_stats_get(const struct master *m, struct master_agent_stats *out)
{
    memset(out, 0, sizeof(*out));
    struct mc_list_node *it;
    MC_LIST_FOR_EACH(it, &m->agents->list) {
        const struct agent_rec *a = MC_CONTAINER_OF(it, struct agent_rec, link);
        out->count[a->state]++;
    }
    out->pings_sent = m->agents->pings_sent;
    out->pongs = m->agents->pongs;
    out->unreachable = m->agents->unreachable;
    out->registry_writes = m->agents->registry_writes;
}

/* ---- /api/v1/internal: the order of checks, as scheduler_api.c's ---- */

/* The call types whose arguments must be present, by the name of their field. */
static const struct {
    MesosConform__Internal__Call__Type type;
    const char *field;
    int needs_agent_id;
} call_fields[] = {
    {ICALL(REGISTER), "register", 0},
    {ICALL(REREGISTER), "reregister", 1},
    {ICALL(PONG), "pong", 1},
    {ICALL(STATUS_UPDATE), "status_update", 1},
    {ICALL(EXECUTOR_MESSAGE), "executor_message", 1},
};

static const char *agent_id_validate(const char *id)
{
    size_t len = strlen(id);
    if (len == 0)
        return "'agent_id' must not be empty";
    if (len >= MC_AGENT_ID_BYTES_MAX)
        return "'agent_id' must not be greater than 255 characters";
    if (strcmp(id, ".") == 0 || strcmp(id, "..") == 0)
        return "'agent_id' must not be '.' or '..'";
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)id[i];
        if (c < 0x20 || c == 0x7f || c == '/' || c == '\\')
            return "'agent_id' contains invalid characters";
    }
    return NULL;
}

/* A dotted IPv4 address: four decimal numbers up to 255, no leading zeros. */
static int ip_valid(const char *ip)
{
    const char *p = ip;
    for (int part = 0; part < 4; part++) {
        if (part > 0 && *p++ != '.')
            return 0;
        unsigned v = 0, digits = 0;
        while (*p >= '0' && *p <= '9' && digits < 4) {
            v = v * 10 + (unsigned)(*p++ - '0');
            digits++;
        }
        if (digits == 0 || digits > 3 || v > 255 || (digits > 1 && p[-(int)digits] == '0'))
            return 0;
    }
    return *p == '\0';
}

static const char *ip_validate(const char *ip)
{
    return ip == NULL || ip_valid(ip) ? NULL : "'ip' must be an IPv4 address in dotted decimal";
}

static const char *agent_info_validate(const Mesos__V1__AgentInfo *info)
{
    if (info->hostname[0] == '\0')
        return "'hostname' must not be empty";
    if (strlen(info->hostname) > 255)
        return "'hostname' must not be greater than 255 characters";
    if (info->has_port && (info->port < 1 || info->port > 65535))
        return "'port' must be between 1 and 65535";
    return NULL;
}

/*
 * The tasks and frameworks a REREGISTER reports, as Mesos'
 * validation::master::message::reregisterSlave checks them (the parts the
 * internal API carries); NULL when they are valid.
 */
static const char *report_validate(const MesosConform__Internal__Call *call, char *buf,
                                   size_t buf_bytes)
{
    const MesosConform__Internal__Call__Reregister *rr = call->reregister;
    char inner[300];
    for (size_t i = 0; i < rr->n_frameworks; i++) {
        const Mesos__V1__FrameworkID *id = rr->frameworks[i]->id;
        if (id == NULL)
            return "Framework has no FrameworkID"; /* Mesos CHECKs it (updateSlaveFrameworks) */
        const char *bad = master__id_problem(id->value, inner, sizeof(inner));
        if (bad != NULL) {
            snprintf(buf, buf_bytes, "'FrameworkInfo.id' is invalid: %s", bad);
            return buf;
        }
        for (size_t k = 0; k < i; k++)
            if (strcmp(rr->frameworks[k]->id->value, id->value) == 0) {
                snprintf(buf, buf_bytes, "Framework has a duplicate FrameworkID: '%s'", id->value);
                return buf;
            }
    }
    for (size_t i = 0; i < rr->n_tasks; i++) {
        const Mesos__V1__Task *t = rr->tasks[i];
        const char *bad = master__id_problem(t->task_id->value, inner, sizeof(inner));
        if (bad != NULL) {
            snprintf(buf, buf_bytes, "Task has an invalid TaskID: %s", bad);
            return buf;
        }
        if (strcmp(t->agent_id->value, call->agent_id->value) != 0) {
            snprintf(buf, buf_bytes, "Task has an invalid SlaveID '%.255s'", t->agent_id->value);
            return buf;
        }
        size_t k = 0;
        while (k < rr->n_frameworks && strcmp(rr->frameworks[k]->id->value,
                                              t->framework_id->value) != 0)
            k++;
        if (k == rr->n_frameworks) {
            snprintf(buf, buf_bytes, "Task has an invalid FrameworkID '%.255s'",
                     t->framework_id->value);
            return buf;
        }
    }
    return NULL;
}

/* NULL when the call is valid, else why (Failed to validate internal::Call: <why>). */
static const char *call_validate(const MesosConform__Internal__Call *call, char *buf,
                                 size_t buf_bytes)
{
    if (!call->has_type)
        return "Expecting 'type' to be present";
    for (size_t i = 0; i < sizeof(call_fields) / sizeof(call_fields[0]); i++) {
        if (call_fields[i].type != call->type)
            continue;
        if (call_fields[i].needs_agent_id && call->agent_id == NULL)
            return "Expecting 'agent_id' to be present";
        if (!master__message_field_present(&call->base, call_fields[i].field)) {
            snprintf(buf, buf_bytes, "Expecting '%s' to be present", call_fields[i].field);
            return buf;
        }
    }
    if (call->agent_id != NULL && call->type != ICALL(REGISTER)) {
        const char *bad = agent_id_validate(call->agent_id->value);
        if (bad != NULL)
            return bad;
    }
    if (call->type == ICALL(STATUS_UPDATE) && call->status_update->has_uuid &&
        call->status_update->uuid.len != 16)
        return "Not a valid UUID";
    if (call->type == ICALL(REGISTER)) {
        const char *bad = agent_info_validate(call->register_->agent_info);
        return bad != NULL ? bad : ip_validate(call->register_->ip);
    }
    if (call->type == ICALL(REREGISTER)) {
        const Mesos__V1__AgentID *inner = call->reregister->agent_info->id;
        if (inner != NULL && strcmp(inner->value, call->agent_id->value) != 0)
            return "'agent_id' differs from 'reregister.agent_info.id'";
        const char *bad = agent_info_validate(call->reregister->agent_info);
        if (bad == NULL)
            bad = ip_validate(call->reregister->ip);
        return bad != NULL ? bad : report_validate(call, buf, buf_bytes);
    }
    return NULL;
}

/* The call itself, and what a (re-)registration asks of the headers (S8-S10 for agents). */
static int check_call(const struct http_request *request,
                      const MesosConform__Internal__Call *call, struct master_verdict *v,
                      enum media_codec *accept_codec)
{
    char buf[MC_TASK_ID_BYTES_MAX + 600];
    const char *invalid = call_validate(call, buf, sizeof(buf));
    if (invalid != NULL)
        return master__verdict_set(v, 400, "Failed to validate internal::Call: ", invalid);
    if (call->type == ICALL(REGISTER) || call->type == ICALL(REREGISTER)) {
        *accept_codec = media_negotiate(http_headers_get(&request->headers, "Accept"));
        if (*accept_codec == MEDIA_CODEC_NONE)
            return master__verdict_set(v, 406, "", MEDIA_REFUSAL_MASTER);
        if (http_headers_get(&request->headers, "Mesos-Stream-Id") != NULL)
            return master__verdict_set(v, 400, "",
                               "Register calls should not include the 'Mesos-Stream-Id' header");
    }
    return 0;
}

/* The agent named by a call on an open stream, and that stream (S12-S16 for agents). */
static struct agent_rec *check_agent(struct master *m, const struct http_request *request,
                                     const MesosConform__Internal__Call *call, struct master_verdict *v)
{
    struct agent_rec *a = agent_find(m, call->agent_id->value);
    if (a == NULL) {
        master__verdict_set(v, 400, "", "Agent cannot be found");
        return NULL;
    }
    if (a->state != MASTER_AGENT_REGISTERED) {
        master__verdict_set(v, 403, "", "Agent is not registered");
        return NULL;
    }
    const char *stream_id = http_headers_get(&request->headers, "Mesos-Stream-Id");
    if (stream_id == NULL) {
        master__verdict_set(v, 400, "",
                    "All non-register calls should include the 'Mesos-Stream-Id' header");
        return NULL;
    }
    if (strcmp(stream_id, a->stream_id) != 0) {
        v->status = 400;
        snprintf(v->text, sizeof(v->text),
                 "The stream ID '%s' included in this request didn't match the stream ID "
                 "currently associated with agent ID %s",
                 stream_id, a->id);
        return NULL;
    }
    return a;
}

/* Gives a the AgentInfo (taken) and resources text (copied) of a (re-)registration. */
static int agent_info_take(struct master *m, struct agent_rec *a, Mesos__V1__AgentInfo *info,
                           const char *resources_text)
{
    char *value = mc_strdup(m->rt.alloc, a->id);
    char *text = resources_text != NULL ? mc_strdup(m->rt.alloc, resources_text) : NULL;
    if (value == NULL || (resources_text != NULL && text == NULL)) {
        mc_free(m->rt.alloc, value);
        mc_free(m->rt.alloc, text);
        protobuf_c_message_free_unpacked(&info->base, &m->pb_alloc);
        return MC_ENOMEM;
    }
    if (info->id == NULL) {
        info->id = mc_malloc(m->rt.alloc, sizeof(*info->id));
        if (info->id == NULL) {
            mc_free(m->rt.alloc, value);
            mc_free(m->rt.alloc, text);
            protobuf_c_message_free_unpacked(&info->base, &m->pb_alloc);
            return MC_ENOMEM;
        }
        mesos__v1__agent_id__init(info->id);
        info->id->value = NULL;
    }
    mc_free(m->rt.alloc, info->id->value);
    info->id->value = value;
    if (a->info != NULL)
        protobuf_c_message_free_unpacked(&a->info->base, &m->pb_alloc);
    a->info = info;
    mc_free(m->rt.alloc, a->resources_text);
    a->resources_text = text;
    snprintf(a->address, sizeof(a->address), "%s:%d", info->hostname,
             info->has_port ? (int)info->port : 5051);
    return 0;
}

/* Keeps new ids clear of one this master issued before it restarted with the same id (M1). */
static void number_reserve(struct master *m, const char *id)
{
    size_t n = strlen(m->id);
    if (strncmp(id, m->id, n) != 0 || strncmp(id + n, "-S", 2) != 0)
        return;
    unsigned long long number = 0;
    const char *p = id + n + 2;
    if (*p == '\0')
        return;
    for (; *p != '\0'; p++) {
        if (*p < '0' || *p > '9' || number > UINT64_MAX / 10 - 1)
            return;
        number = number * 10 + (unsigned long long)(*p - '0');
    }
    if (number >= m->agents->next_number)
        m->agents->next_number = number + 1;
}

/*
 * The agent a (re-)registration is for, made if needed; NULL with the
 * answer in v when it is refused.
 */
static struct agent_rec *registration_target(struct master *m,
                                             const MesosConform__Internal__Call *call,
                                             struct master_verdict *v)
{
    struct agent_rec *a;
    if (call->type == ICALL(REREGISTER)) {
        a = agent_find(m, call->agent_id->value);
        if (a != NULL && a->state == MASTER_AGENT_REMOVED) {
            master__verdict_set(v, 403, "", "Agent has been removed");
            return NULL;
        }
        if (a == NULL) { /* an id from before a master restart: taken as it is (M1) */
            number_reserve(m, call->agent_id->value);
            a = agent_new(m, call->agent_id->value);
        }
    } else {
        char address[MC_AGENT_ADDRESS_BYTES_MAX];
        const Mesos__V1__AgentInfo *info = call->register_->agent_info;
        snprintf(address, sizeof(address), "%s:%d", info->hostname,
                 info->has_port ? (int)info->port : 5051);
        a = agent_find_live_at(m, address);
        if (a != NULL && a->state == MASTER_AGENT_REGISTERED)
            return a; /* a retry: the same id again (Mesos "resending acknowledgement") */
        if (a != NULL)
            ag_fire(a, AG_EVENT_REPLACED, NULL); /* A9 */
        char id[MASTER_ID_BYTES_MAX];
        snprintf(id, sizeof(id), "%s-S%llu", m->id, (unsigned long long)m->agents->next_number);
        a = agent_new(m, id);
        if (a != NULL)
            m->agents->next_number++;
    }
    if (a == NULL)
        master__verdict_set(v, 503, "", "Too many agents");
    return a;
}

/*
 * The resources of a (re-)registration into *out; 0, or 1 with the answer
 * in v (400 with the parse error and where it is, 503 without memory).
 */
static int registration_resources(const MesosConform__Internal__Call *call, struct res_set *out,
                                  struct master_verdict *v)
{
    const char *text = call->type == ICALL(REREGISTER) ? call->reregister->resources_text
                                                       : call->register_->resources_text;
    struct mc_diag diag;
    mc_diag_clear(&diag);
    int err = res_parse(text != NULL ? text : AGENT_RESOURCES_DEFAULT, out, &diag);
    if (err == MC_ENOMEM)
        return master__verdict_set(v, 503, "", "Service Unavailable");
    if (err != 0) {
        char where[MC_DIAG_TEXT_BYTES_MAX + 64];
        snprintf(where, sizeof(where), "%s (at byte %llu of 'resources_text')", diag.text,
                 (unsigned long long)diag.offset);
        return master__verdict_set(v, 400, "Failed to validate internal::Call: ", where);
    }
    return 0;
}

/* Opens the 200 stream of a (re-)registration and attaches it (with resources) to a. */
static void registration_attach(struct master *m, uint64_t req, enum media_codec codec,
                                MesosConform__Internal__Call *call, struct agent_rec *a,
                                const struct res_set *resources, struct master_verdict *v)
{
    int rereg = call->type == ICALL(REREGISTER);
    Mesos__V1__AgentInfo *info = rereg ? call->reregister->agent_info
                                       : call->register_->agent_info;
    const char *text = rereg ? call->reregister->resources_text : call->register_->resources_text;
    if (rereg)
        call->reregister->agent_info = NULL; /* taken over by the agent */
    else
        call->register_->agent_info = NULL;
    if (agent_info_take(m, a, info, text) != 0) {
        master__verdict_set(v, 503, "", "Service Unavailable");
        return;
    }
    const char *ip = rereg ? call->reregister->ip : call->register_->ip;
    snprintf(a->ip, sizeof(a->ip), "%s", ip != NULL ? ip : AGENT_IP_DEFAULT);
    Mesos__V1__AgentInfo__Capability *const *caps =
        rereg ? call->reregister->capabilities : call->register_->capabilities;
    size_t caps_n = rereg ? call->reregister->n_capabilities : call->register_->n_capabilities;
    a->capabilities = 0;
    for (size_t i = 0; i < caps_n; i++)
        if (caps[i]->has_type && (int)caps[i]->type > 0 && (int)caps[i]->type < 32)
            a->capabilities |= 1u << (int)caps[i]->type;
    struct attachment att = {req, codec, "", resources, rereg ? call->reregister : NULL};
    master__uuid_make(m, att.stream_id);
    struct http_response r;
    int err = http_response_stream_init(&r, media_codec_type(codec), m->rt.alloc);
    if (err == 0)
        err = http_headers_add(&r.headers, "Mesos-Stream-Id", att.stream_id);
    if (err == 0)
        m->rt.ops->stream_open(m->rt.ctx, req, &r);
    http_response_deinit(&r);
    if (err != 0) {
        master__verdict_set(v, 503, "", "Service Unavailable");
        return;
    }
    ag_fire(a, AG_EVENT_ATTACH, &att);
}

/*
 * The agent's total: its configured resources with its checkpointed ones
 * applied (applyCheckpointedResources). A known agent (REGISTERED or
 * DISCONNECTED) gets the master's view of them, any other the one its
 * REREGISTER reports (Mesos' Slave::update and new Slave). 0, or 1 with
 * the answer in v (400 for resources that do not fit, 503 without memory).
 */
static int registration_total(struct master *m, const MesosConform__Internal__Call *call,
                              const struct res_set *base, struct res_set *total,
                              struct master_verdict *v)
{
    if (call->type != ICALL(REREGISTER)) {
        if (res_set_copy(total, base) != 0)
            return master__verdict_set(v, 503, "", "Service Unavailable");
        return 0;
    }
    const MesosConform__Internal__Call__Reregister *rr = call->reregister;
    Mesos__V1__Resource **arr = rr->checkpointed_resources, **mine = NULL;
    size_t n = rr->n_checkpointed_resources, mine_n = 0;
    const struct agent_rec *a = agent_find(m, call->agent_id->value);
    const struct res_set *known = a != NULL && (a->state == MASTER_AGENT_REGISTERED ||
                                                a->state == MASTER_AGENT_DISCONNECTED)
                                      ? master__offers_agent_total(m, a->id)
                                      : NULL;
    int err = 0;
    if (known != NULL) {
        struct res_set ck;
        res_set_init(&ck, m->rt.alloc);
        err = master__resources_checkpointed(known, &ck);
        if (err == 0)
            err = res_set_to_proto(&ck, RES_PROTO_RESERVATIONS, m->rt.alloc, &mine, &mine_n);
        res_set_deinit(&ck);
        arr = mine;
        n = mine_n;
    }
    char why[2 * MC_OPS_RESOURCES_TEXT_BYTES_MAX + 256];
    if (err == 0)
        err = master__resources_checkpointed_apply(m, base, arr, n, total, why, sizeof(why));
    res_proto_free(m->rt.alloc, mine, mine_n);
    if (err == MC_ENOMEM)
        return master__verdict_set(v, 503, "", "Service Unavailable");
    if (err != 0)
        return master__verdict_set(v, 400, "Failed to validate internal::Call: ", why);
    return 0;
}

/* A (re-)registration: its resources, the agent it is for, then its stream. */
static void registration_accept(struct master *m, uint64_t req, enum media_codec codec,
                                MesosConform__Internal__Call *call, struct master_verdict *v)
{
    struct res_set base, total;
    res_set_init(&base, m->rt.alloc);
    res_set_init(&total, m->rt.alloc);
    struct agent_rec *a = NULL;
    if (registration_resources(call, &base, v) == 0 &&
        registration_total(m, call, &base, &total, v) == 0)
        a = registration_target(m, call, v);
    if (a != NULL)
        registration_attach(m, req, codec, call, a, &total, v);
    res_set_deinit(&base);
    res_set_deinit(&total);
}

/* Every call on an open stream that passed the checks. */
static void call_dispatch(struct master *m, uint64_t req, struct agent_rec *a,
                          const MesosConform__Internal__Call *call)
{
    switch (call->type) {
    case ICALL(PONG):
        ag_fire(a, AG_EVENT_PONG, NULL);
        master__respond_empty(m, req, 202);
        return;
    case ICALL(STATUS_UPDATE):
        master__respond_empty(m, req, 202);
        master__tasks_status_update(m, a->id, call->status_update);
        return;
    case ICALL(EXECUTOR_MESSAGE):
        master__respond_empty(m, req, 202);
        master__tasks_executor_message(m, a->id, call->executor_message);
        return;
    default: {
        /* Tasks are the next step: say so rather than lose the call silently. */
        const ProtobufCEnumValue *name = protobuf_c_enum_descriptor_get_value(
            &mesos_conform__internal__call__type__descriptor, (int)call->type);
        char text[128];
        snprintf(text, sizeof(text), "Not implemented: %s", name ? name->name : "UNKNOWN");
        master__respond_text(m, req, 501, text);
        return;
    }
    }
}

void master__agents_request(struct master *m, uint64_t req, const struct http_request *request)
{
    struct master_verdict v;
    v.status = 0;
    v.text[0] = '\0'; /* no more: the text is a few KiB */
    ProtobufCMessage *msg = NULL;
    enum media_codec accept_codec = MEDIA_CODEC_NONE;
    if (!master__check_leader(m, "api/v1/internal", &v) && !master__check_method(request, &v) &&
        !master__check_decode(m, request, &mesos_conform__internal__call__descriptor, &v, &msg)) {
        MesosConform__Internal__Call *call = (MesosConform__Internal__Call *)msg;
        if (check_call(request, call, &v, &accept_codec) == 0) {
            if (call->type == ICALL(REGISTER) || call->type == ICALL(REREGISTER)) {
                registration_accept(m, req, accept_codec, call, &v);
            } else {
                struct agent_rec *a = check_agent(m, request, call, &v);
                if (a != NULL)
                    call_dispatch(m, req, a, call);
            }
        }
    }
    if (v.status != 0)
        master__verdict_respond(m, req, &v);
    if (msg != NULL)
        protobuf_c_message_free_unpacked(msg, &m->pb_alloc);
}
