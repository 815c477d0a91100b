/*
 * synth.c: the synthetic framework (synth.h).
 *
 * States, and what moves between them (the table below is the only place
 * that changes s->state):
 *   WAITING     no subscription; the subscribe timer runs;
 *   SUBSCRIBING a SUBSCRIBE call is in flight;
 *   SUBSCRIBED  its stream is open and SUBSCRIBED arrived.
 * A stream that ends (or is refused) goes back to WAITING and tries again
 * after 1 to 3 s; an ERROR event means the master removed the framework, so
 * it also forgets its id and starts over as a new framework.
 *
 * Tasks are named "<name>-<n>", n counting from 0, so a task's number is
 * its index in s->seen, one byte per task ever launched: the first terminal
 * state it was told, for the PARTITION_AWARE check of synth.h.
 */
#include "synth.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http_msg.h"
#include "mc_assert.h"
#include "mc_buf.h"
#include "mc_diag.h"
#include "mc_limits.h"
#include "mc_list.h"
#include "media.h"
#include "mesos/v1/scheduler/scheduler.pb-c.h"
#include "msgstream.h"
#include "pbjson.h"
#include "recordio.h"

#define CALL(name) MESOS__V1__SCHEDULER__CALL__TYPE__##name
#define EVENT(name) MESOS__V1__SCHEDULER__EVENT__TYPE__##name
#define TASK_STATE(name) MESOS__V1__TASK_STATE__##name

#define SYNTH_PATH "/api/v1/scheduler"
#define SYNTH_NAME_BYTES_MAX 64u
#define SYNTH_ID_BYTES_MAX 128u
#define SYNTH_TEXT_BYTES_MAX 256u
/* Tasks launched on one offer at most. */
#define SYNTH_LAUNCH_BATCH_MAX 4u
/* Offers declined in one DECLINE call; more go in the next. */
#define SYNTH_DECLINE_BATCH_MAX 256u
/* Each task asks for this much: small enough that an agent runs several. */
#define SYNTH_TASK_CPUS 0.1
#define SYNTH_TASK_MEM 32.0
/* The decoding arena (below): its chunks, and how many it keeps through a reset. */
#define SYNTH_ARENA_CHUNK_BYTES (16u * 1024u)
#define SYNTH_ARENA_CHUNKS_KEPT 4u

enum synth_state { SYNTH_WAITING, SYNTH_SUBSCRIBING, SYNTH_SUBSCRIBED, SYNTH_STATE_COUNT };

enum synth_event {
    SYNTH_EV_TIMER,      /* the subscribe timer fired */
    SYNTH_EV_SUBSCRIBED, /* SUBSCRIBED arrived on the stream */
    SYNTH_EV_ENDED,      /* the subscription was refused, or its stream ended */
    SYNTH_EV_REMOVED,    /* an ERROR event: the master removed the framework */
    SYNTH_EV_HANGUP,     /* it decided to close its own stream */
    SYNTH_EV_COUNT
};

struct arena_chunk {
    struct arena_chunk *next;
    size_t size; /* bytes in data */
    size_t used;
    max_align_t data[]; /* max_align_t: every piece is aligned for any type */
};

/*
 * Where the events of the subscription are decoded. protobuf-c unpacks an
 * event into many small pieces (an offer is a dozen messages and strings)
 * and msgstream_feed frees them one by one right after event_take; here an
 * allocation only moves a pointer, a free does nothing, and node_call_data
 * empties the arena once msgstream_feed has read its chunk. Chunks come
 * from the framework's allocator, so a failure there is still MC_ENOMEM to
 * the decoder, as before.
 */
struct synth_arena {
    struct arena_chunk *chunks; /* in use, the newest first */
    struct arena_chunk *spare;  /* emptied, of SYNTH_ARENA_CHUNK_BYTES */
    uint32_t spare_count;       /* at most SYNTH_ARENA_CHUNKS_KEPT */
    const struct mc_alloc *alloc;
};

struct synth_task {
    char id[SYNTH_ID_BYTES_MAX];
    char agent_id[SYNTH_ID_BYTES_MAX];
    int kill_sent;
};

struct synth {
    struct rt rt;
    char name[SYNTH_NAME_BYTES_MAX];
    char master[SYNTH_NAME_BYTES_MAX];
    int partition_aware;
    int checkpoint;
    int json;
    double failover_timeout_s;
    ProtobufCAllocator pb_alloc; /* allocates from arena */
    struct synth_arena arena;
    enum synth_state state;
    char framework_id[SYNTH_ID_BYTES_MAX]; /* "" before the first SUBSCRIBED */
    char stream_id[SYNTH_ID_BYTES_MAX];
    uint64_t sub_call;
    int sub_streaming;
    struct rio_decoder decoder;
    /*
     * The request of every call but SUBSCRIBE, kept from call to call: its
     * line and headers change only with the stream id they name (copied in
     * call_req_stream_id once they are set), its body with every call.
     */
    struct http_request call_req;
    int call_req_ready;
    char call_req_stream_id[SYNTH_ID_BYTES_MAX];
    struct rt_timer subscribe_timer;
    struct synth_task live[SYNTH_TASKS_LIVE_MAX];
    uint32_t live_count;
    int suppressed; /* SUPPRESS sent, no REVIVE since (a new subscription clears it) */
    uint8_t *seen; /* per task number: 0, or 1 + its first terminal state */
    uint32_t seen_count, seen_cap;
    struct synth_stats stats;
    uint64_t violations;
    char violation_first[SYNTH_TEXT_BYTES_MAX];
};

/* ---- the state table ---- */

typedef void (*synth_action_fn)(struct synth *s);

static void act_subscribe(struct synth *s);
static void act_retry(struct synth *s);
static void act_forget(struct synth *s);
static void act_hangup(struct synth *s);
static void act_none(struct synth *s)
{
    (void)s;
}

static const struct synth_transition {
    enum synth_state next;
    synth_action_fn action;
} synth_table[SYNTH_STATE_COUNT][SYNTH_EV_COUNT] = {
    [SYNTH_WAITING] = {
        [SYNTH_EV_TIMER] = {SYNTH_SUBSCRIBING, act_subscribe},
    },
    [SYNTH_SUBSCRIBING] = {
        [SYNTH_EV_SUBSCRIBED] = {SYNTH_SUBSCRIBED, act_none},
        [SYNTH_EV_ENDED] = {SYNTH_WAITING, act_retry},
        [SYNTH_EV_REMOVED] = {SYNTH_WAITING, act_forget},
    },
    [SYNTH_SUBSCRIBED] = {
        [SYNTH_EV_ENDED] = {SYNTH_WAITING, act_retry},
        [SYNTH_EV_REMOVED] = {SYNTH_WAITING, act_forget},
        [SYNTH_EV_HANGUP] = {SYNTH_WAITING, act_hangup},
    },
};

static void synth_fire(struct synth *s, enum synth_event ev)
{
    const struct synth_transition *t = &synth_table[s->state][ev];
    if (t->action == NULL)
        return; /* cannot happen in this state (e.g. ENDED after a hang-up): ignored */
    s->state = t->next;
    t->action(s);
}

/* ---- the decoding arena ---- */

static void *arena_alloc(void *data, size_t size)
{
    struct synth_arena *a = data;
    const size_t align = _Alignof(max_align_t);
    if (size > SIZE_MAX - align)
        return NULL;
    size_t need = (size + align - 1) / align * align;
    struct arena_chunk *c = a->chunks;
    if (c == NULL || c->size - c->used < need) {
        if (need <= SYNTH_ARENA_CHUNK_BYTES && a->spare != NULL) {
            c = a->spare;
            a->spare = c->next;
            a->spare_count--;
        } else {
            size_t bytes = need > SYNTH_ARENA_CHUNK_BYTES ? need : SYNTH_ARENA_CHUNK_BYTES;
            if (bytes > SIZE_MAX - sizeof(*c))
                return NULL;
            c = mc_malloc(a->alloc, sizeof(*c) + bytes);
            if (c == NULL)
                return NULL;
            c->size = bytes;
        }
        c->used = 0;
        c->next = a->chunks;
        a->chunks = c;
    }
    void *p = (unsigned char *)c->data + c->used;
    c->used += need;
    return p;
}

static void arena_free(void *data, void *ptr)
{
    (void)data;
    (void)ptr; /* everything goes at the next arena_reset */
}

/* Empties the arena: keeps up to SYNTH_ARENA_CHUNKS_KEPT ordinary chunks, frees the rest. */
static void arena_reset(struct synth_arena *a)
{
    while (a->chunks != NULL) {
        struct arena_chunk *c = a->chunks;
        a->chunks = c->next;
        if (c->size == SYNTH_ARENA_CHUNK_BYTES && a->spare_count < SYNTH_ARENA_CHUNKS_KEPT) {
            c->next = a->spare;
            a->spare = c;
            a->spare_count++;
        } else {
            mc_free(a->alloc, c);
        }
    }
}

static void arena_deinit(struct synth_arena *a)
{
    arena_reset(a);
    while (a->spare != NULL) {
        struct arena_chunk *c = a->spare;
        a->spare = c->next;
        mc_free(a->alloc, c);
    }
    a->spare_count = 0;
}

/* ---- small helpers ---- */

static uint64_t rnd(struct synth *s, uint64_t n)
{
    return n == 0 ? 0 : rt_rng_u64(&s->rt) % n;
}

static void violation(struct synth *s, const char *task, int first, int second)
{
    if (s->violations == 0)
        snprintf(
            s->violation_first, sizeof(s->violation_first),
            "framework %s: task %s was told %s, then %s", s->name, task,
            protobuf_c_enum_descriptor_get_value(&mesos__v1__task_state__descriptor, first)->name,
            protobuf_c_enum_descriptor_get_value(&mesos__v1__task_state__descriptor, second)->name);
    s->violations++;
}

static int state_terminal(Mesos__V1__TaskState st)
{
    return st == TASK_STATE(TASK_FINISHED) || st == TASK_STATE(TASK_FAILED) ||
           st == TASK_STATE(TASK_KILLED) || st == TASK_STATE(TASK_ERROR) ||
           st == TASK_STATE(TASK_LOST) || st == TASK_STATE(TASK_DROPPED) ||
           st == TASK_STATE(TASK_GONE) || st == TASK_STATE(TASK_GONE_BY_OPERATOR);
}

/* Sets r's line and headers for a call in the framework's codec; stream_id NULL: none. */
static int request_head_set(struct synth *s, struct http_request *r, const char *stream_id)
{
    const char *type = s->json ? MEDIA_TYPE_JSON : MEDIA_TYPE_PROTOBUF;
    int err = http_request_line_set(r, "POST", SYNTH_PATH);
    if (err == 0)
        err = http_headers_add(&r->headers, "Host", s->master);
    if (err == 0)
        err = http_headers_add(&r->headers, "Content-Type", type);
    if (err == 0)
        err = http_headers_add(&r->headers, "Accept", type);
    if (err == 0 && stream_id != NULL)
        err = http_headers_add(&r->headers, "Mesos-Stream-Id", stream_id);
    return err;
}

/*
 * The kept request for a call on the stream s->stream_id names, its body
 * empty; err as request_head_set (the kept request is then rebuilt next time).
 */
static struct http_request *call_req_get(struct synth *s, int *err)
{
    struct http_request *r = &s->call_req;
    *err = 0;
    if (!s->call_req_ready || strcmp(s->call_req_stream_id, s->stream_id) != 0) {
        http_request_deinit(r);
        s->call_req_ready = 0;
        *err = request_head_set(s, r, s->stream_id);
        if (*err != 0)
            return r;
        memcpy(s->call_req_stream_id, s->stream_id, sizeof(s->stream_id));
        s->call_req_ready = 1;
    }
    mc_buf_reset(&r->body);
    return r;
}

/* POSTs a call (borrowed) in the framework's codec; returns the call id or 0. */
static uint64_t call_post(struct synth *s, const Mesos__V1__Scheduler__Call *call)
{
    struct http_request sub;
    struct http_request *r;
    int err;
    if (call->type == CALL(SUBSCRIBE)) {
        /* Rare, and without a stream id: a request of its own. */
        r = &sub;
        http_request_init(r, s->rt.alloc);
        err = request_head_set(s, r, NULL);
    } else {
        r = call_req_get(s, &err);
    }
    if (err == 0)
        err = s->json ? pbjson_encode(&call->base, &r->body) : pbjson_pack(&call->base, &r->body);
    uint64_t id = err == 0 ? s->rt.ops->call_start(s->rt.ctx, s->master, r) : 0;
    if (r == &sub)
        http_request_deinit(r);
    return id;
}

/* A call of type with the framework's id set; fid is the caller's storage. */
static void call_init(struct synth *s, Mesos__V1__Scheduler__Call *call,
                      Mesos__V1__FrameworkID *fid, Mesos__V1__Scheduler__Call__Type type)
{
    mesos__v1__scheduler__call__init(call);
    mesos__v1__framework_id__init(fid);
    fid->value = s->framework_id;
    call->framework_id = fid;
    call->has_type = 1;
    call->type = type;
}

/* ---- subscription ---- */

static void subscribe_fire(struct rt_timer *timer)
{
    struct synth *s = MC_CONTAINER_OF(timer, struct synth, subscribe_timer);
    synth_fire(s, SYNTH_EV_TIMER);
}

static void sub_drop(struct synth *s)
{
    if (s->sub_call != 0)
        s->rt.ops->call_cancel(s->rt.ctx, s->sub_call);
    s->sub_call = 0;
    s->sub_streaming = 0;
    s->stream_id[0] = '\0';
}

static void act_subscribe(struct synth *s)
{
    Mesos__V1__Scheduler__Call call;
    Mesos__V1__FrameworkID fid;
    call_init(s, &call, &fid, CALL(SUBSCRIBE));
    Mesos__V1__Scheduler__Call__Subscribe sub = MESOS__V1__SCHEDULER__CALL__SUBSCRIBE__INIT;
    Mesos__V1__FrameworkInfo info;
    mesos__v1__framework_info__init(&info); /* the macro names a deprecated field (clang warns) */
    Mesos__V1__FrameworkInfo__Capability pa = MESOS__V1__FRAMEWORK_INFO__CAPABILITY__INIT;
    Mesos__V1__FrameworkInfo__Capability *caps[1] = {&pa};
    info.user = "sim";
    info.name = s->name;
    info.has_failover_timeout = 1;
    info.failover_timeout = s->failover_timeout_s;
    info.has_checkpoint = s->checkpoint;
    info.checkpoint = s->checkpoint;
    if (s->partition_aware) {
        pa.has_type = 1;
        pa.type = MESOS__V1__FRAMEWORK_INFO__CAPABILITY__TYPE__PARTITION_AWARE;
        info.n_capabilities = 1;
        info.capabilities = caps;
    }
    if (s->framework_id[0] != '\0')
        info.id = &fid;
    else
        call.framework_id = NULL;
    sub.framework_info = &info;
    call.subscribe = &sub;
    rio_decoder_deinit(&s->decoder);
    rio_decoder_init(&s->decoder, MC_RECORD_BYTES_MAX, s->rt.alloc);
    s->stats.subscribes++;
    s->sub_call = call_post(s, &call);
    if (s->sub_call == 0)
        synth_fire(s, SYNTH_EV_ENDED);
}

/* Tries again after 1 to 3 s. */
static void act_retry(struct synth *s)
{
    sub_drop(s);
    rt_timer_start(&s->rt, &s->subscribe_timer, RT_NS_PER_SEC + rnd(s, 2 * RT_NS_PER_SEC),
                   subscribe_fire);
}

/* The master removed the framework: its tasks are gone with it; start over. */
static void act_forget(struct synth *s)
{
    s->framework_id[0] = '\0';
    s->live_count = 0;
    act_retry(s);
}

static void act_hangup(struct synth *s)
{
    s->stats.hangups++;
    act_retry(s);
}

/* ---- calls made on events ---- */

static void acknowledge(struct synth *s, const Mesos__V1__TaskStatus *st)
{
    Mesos__V1__Scheduler__Call call;
    Mesos__V1__FrameworkID fid;
    call_init(s, &call, &fid, CALL(ACKNOWLEDGE));
    Mesos__V1__Scheduler__Call__Acknowledge ack = MESOS__V1__SCHEDULER__CALL__ACKNOWLEDGE__INIT;
    ack.agent_id = st->agent_id;
    ack.task_id = st->task_id;
    ack.uuid = st->uuid;
    call.acknowledge = &ack;
    if (call_post(s, &call) != 0)
        s->stats.acks++;
}

/* RECONCILE: implicit (no task named) or of every live task. */
static void reconcile(struct synth *s, int explicit_tasks)
{
    Mesos__V1__Scheduler__Call call;
    Mesos__V1__FrameworkID fid;
    call_init(s, &call, &fid, CALL(RECONCILE));
    Mesos__V1__Scheduler__Call__Reconcile rec = MESOS__V1__SCHEDULER__CALL__RECONCILE__INIT;
    Mesos__V1__Scheduler__Call__Reconcile__Task items[SYNTH_TASKS_LIVE_MAX];
    Mesos__V1__Scheduler__Call__Reconcile__Task *ptrs[SYNTH_TASKS_LIVE_MAX];
    Mesos__V1__TaskID tids[SYNTH_TASKS_LIVE_MAX];
    Mesos__V1__AgentID aids[SYNTH_TASKS_LIVE_MAX];
    for (uint32_t i = 0; explicit_tasks && i < s->live_count; i++) {
        mesos__v1__scheduler__call__reconcile__task__init(&items[i]);
        mesos__v1__task_id__init(&tids[i]);
        mesos__v1__agent_id__init(&aids[i]);
        tids[i].value = s->live[i].id;
        aids[i].value = s->live[i].agent_id;
        items[i].task_id = &tids[i];
        items[i].agent_id = &aids[i];
        ptrs[i] = &items[i];
    }
    if (explicit_tasks) {
        rec.n_tasks = s->live_count;
        rec.tasks = ptrs;
    }
    call.reconcile = &rec;
    (void)call_post(s, &call);
}

static void kill_one(struct synth *s)
{
    if (s->live_count == 0)
        return;
    struct synth_task *t = &s->live[rnd(s, s->live_count)];
    Mesos__V1__Scheduler__Call call;
    Mesos__V1__FrameworkID fid;
    call_init(s, &call, &fid, CALL(KILL));
    Mesos__V1__Scheduler__Call__Kill kill = MESOS__V1__SCHEDULER__CALL__KILL__INIT;
    Mesos__V1__TaskID tid = MESOS__V1__TASK_ID__INIT;
    Mesos__V1__AgentID aid = MESOS__V1__AGENT_ID__INIT;
    tid.value = t->id;
    aid.value = t->agent_id;
    kill.task_id = &tid;
    kill.agent_id = &aid;
    call.kill = &kill;
    t->kill_sent = 1;
    (void)call_post(s, &call);
}

static void decline(struct synth *s, Mesos__V1__OfferID *const *ids, size_t n)
{
    if (n == 0)
        return;
    Mesos__V1__Scheduler__Call call;
    Mesos__V1__FrameworkID fid;
    call_init(s, &call, &fid, CALL(DECLINE));
    Mesos__V1__Scheduler__Call__Decline d = MESOS__V1__SCHEDULER__CALL__DECLINE__INIT;
    Mesos__V1__Filters filters = MESOS__V1__FILTERS__INIT;
    filters.has_refuse_seconds = 1;
    filters.refuse_seconds = (double)(5 + rnd(s, 26));
    d.n_offer_ids = n;
    d.offer_ids = (Mesos__V1__OfferID **)ids;
    d.filters = &filters;
    call.decline = &d;
    (void)call_post(s, &call);
}

/* The command of a new task: mostly short, sometimes failing, sometimes long (killed later). */
static void command_pick(struct synth *s, char *out, size_t out_bytes)
{
    uint64_t r = rnd(s, 20);
    if (r < 2)
        snprintf(out, out_bytes, "true");
    else if (r < 3)
        snprintf(out, out_bytes, "false");
    else if (r < 5)
        snprintf(out, out_bytes, "run-until-killed");
    else
        snprintf(out, out_bytes, "sleep %u", (unsigned)(1 + rnd(s, 60)));
}

/* Remembers a new task number; 0 or MC_ELIMIT/MC_ENOMEM. */
static int seen_add(struct synth *s)
{
    if (s->seen_count >= SYNTH_TASKS_MAX)
        return MC_ELIMIT;
    if (s->seen_count == s->seen_cap) {
        uint32_t cap = s->seen_cap ? s->seen_cap * 2 : 1024;
        uint8_t *n = mc_calloc(s->rt.alloc, cap, 1);
        if (n == NULL)
            return MC_ENOMEM;
        if (s->seen_count > 0)
            memcpy(n, s->seen, s->seen_count);
        mc_free(s->rt.alloc, s->seen);
        s->seen = n;
        s->seen_cap = cap;
    }
    s->seen[s->seen_count++] = 0;
    return 0;
}

/* How many of our tasks fit in offer o's cpus and mem. */
static uint32_t tasks_fitting(const Mesos__V1__Offer *o)
{
    double cpus = 0.0, mem = 0.0;
    for (size_t i = 0; i < o->n_resources; i++) {
        const Mesos__V1__Resource *r = o->resources[i];
        if (r->scalar == NULL)
            continue;
        if (strcmp(r->name, "cpus") == 0)
            cpus += r->scalar->value;
        else if (strcmp(r->name, "mem") == 0)
            mem += r->scalar->value;
    }
    double by_cpus = cpus / SYNTH_TASK_CPUS + 1e-9, by_mem = mem / SYNTH_TASK_MEM + 1e-9;
    double n = by_cpus < by_mem ? by_cpus : by_mem;
    return n < 1.0 ? 0 : n > SYNTH_TASKS_LIVE_MAX ? SYNTH_TASKS_LIVE_MAX : (uint32_t)n;
}

/* The parts of one TaskInfo; everything points into it or into the offer. */
struct task_msg {
    Mesos__V1__Value__Scalar scalars[2];
    Mesos__V1__Resource res[2];
    Mesos__V1__Resource *res_ptrs[2];
    Mesos__V1__TaskID tid;
    Mesos__V1__AgentID aid;
    Mesos__V1__CommandInfo cmd;
    char command[32];
    Mesos__V1__TaskInfo task;
};

static void task_msg_fill(struct synth *s, struct task_msg *m, struct synth_task *t,
                          Mesos__V1__Resource__AllocationInfo *alloc_info)
{
    static const char *const names[2] = {"cpus", "mem"};
    const double amounts[2] = {SYNTH_TASK_CPUS, SYNTH_TASK_MEM};
    for (int i = 0; i < 2; i++) {
        mesos__v1__value__scalar__init(&m->scalars[i]);
        mesos__v1__resource__init(&m->res[i]);
        m->scalars[i].value = amounts[i];
        m->res[i].name = (char *)names[i];
        m->res[i].type = MESOS__V1__VALUE__TYPE__SCALAR;
        m->res[i].scalar = &m->scalars[i];
        /* Offers to a framework without MULTI_ROLE carry no allocation info, nor do its tasks. */
        m->res[i].allocation_info = alloc_info;
        m->res_ptrs[i] = &m->res[i];
    }
    mesos__v1__task_id__init(&m->tid);
    mesos__v1__agent_id__init(&m->aid);
    mesos__v1__command_info__init(&m->cmd);
    mesos__v1__task_info__init(&m->task);
    command_pick(s, m->command, sizeof(m->command));
    m->tid.value = t->id;
    m->aid.value = t->agent_id;
    m->cmd.value = m->command;
    m->task.name = t->id;
    m->task.task_id = &m->tid;
    m->task.agent_id = &m->aid;
    m->task.n_resources = 2;
    m->task.resources = m->res_ptrs;
    m->task.command = &m->cmd;
}

/* Launches 1 to SYNTH_LAUNCH_BATCH_MAX tasks on offer o, as room allows; 1 when any. */
static int launch(struct synth *s, const Mesos__V1__Offer *o)
{
    uint32_t room = SYNTH_TASKS_LIVE_MAX - s->live_count;
    uint32_t fit = tasks_fitting(o);
    uint32_t n = 1 + (uint32_t)rnd(s, SYNTH_LAUNCH_BATCH_MAX);
    n = n < room ? n : room;
    n = n < fit ? n : fit;
    if (n == 0 || o->n_resources == 0)
        return 0;
    struct task_msg msgs[SYNTH_LAUNCH_BATCH_MAX];
    Mesos__V1__TaskInfo *tasks[SYNTH_LAUNCH_BATCH_MAX];
    uint32_t made = 0;
    for (; made < n && seen_add(s) == 0; made++) {
        struct synth_task *t = &s->live[s->live_count + made];
        snprintf(t->id, sizeof(t->id), "%s-%u", s->name, s->seen_count - 1);
        snprintf(t->agent_id, sizeof(t->agent_id), "%s", o->agent_id->value);
        t->kill_sent = 0;
        task_msg_fill(s, &msgs[made], t, o->resources[0]->allocation_info);
        tasks[made] = &msgs[made].task;
    }
    if (made == 0)
        return 0;
    Mesos__V1__Offer__Operation__Launch l = MESOS__V1__OFFER__OPERATION__LAUNCH__INIT;
    l.n_task_infos = made;
    l.task_infos = tasks;
    Mesos__V1__Offer__Operation op = MESOS__V1__OFFER__OPERATION__INIT;
    Mesos__V1__Offer__Operation *ops[1] = {&op};
    op.has_type = 1;
    op.type = MESOS__V1__OFFER__OPERATION__TYPE__LAUNCH;
    op.launch = &l;
    Mesos__V1__Scheduler__Call call;
    Mesos__V1__FrameworkID fid;
    call_init(s, &call, &fid, CALL(ACCEPT));
    Mesos__V1__Scheduler__Call__Accept acc = MESOS__V1__SCHEDULER__CALL__ACCEPT__INIT;
    Mesos__V1__OfferID *offer_ids[1] = {o->id};
    Mesos__V1__Filters filters = MESOS__V1__FILTERS__INIT;
    filters.has_refuse_seconds = 1;
    filters.refuse_seconds = 1.0;
    acc.n_offer_ids = 1;
    acc.offer_ids = offer_ids;
    acc.n_operations = 1;
    acc.operations = ops;
    acc.filters = &filters;
    call.accept = &acc;
    if (call_post(s, &call) == 0)
        return 0;
    s->live_count += made;
    s->stats.tasks_launched += made;
    return 1;
}

/* SUPPRESS at capacity, REVIVE once half the room is free again (O3). */
static void capacity_update(struct synth *s)
{
    int want = s->live_count >= SYNTH_TASKS_LIVE_MAX ? 1
               : s->live_count <= SYNTH_TASKS_LIVE_MAX / 2 ? 0 : s->suppressed;
    if (want == s->suppressed || s->state != SYNTH_SUBSCRIBED)
        return;
    Mesos__V1__Scheduler__Call call;
    Mesos__V1__FrameworkID fid;
    call_init(s, &call, &fid, want ? CALL(SUPPRESS) : CALL(REVIVE));
    if (call_post(s, &call) != 0)
        s->suppressed = want;
}

/* ---- events ---- */

static void on_offers(struct synth *s, const Mesos__V1__Scheduler__Event__Offers *ev)
{
    Mesos__V1__OfferID *declined[SYNTH_DECLINE_BATCH_MAX];
    size_t n = 0;
    for (size_t i = 0; i < ev->n_offers; i++) {
        s->stats.offers++;
        if (launch(s, ev->offers[i]))
            continue;
        declined[n++] = ev->offers[i]->id;
        if (n == SYNTH_DECLINE_BATCH_MAX) {
            decline(s, declined, n);
            n = 0;
        }
    }
    decline(s, declined, n);
    capacity_update(s);
}

/* The task's number from its id "<name>-<n>", or -1 when it is not one of ours. */
static int64_t task_number(const struct synth *s, const char *id)
{
    size_t len = strlen(s->name);
    if (strncmp(id, s->name, len) != 0 || id[len] != '-')
        return -1;
    char *end = NULL;
    unsigned long long n = strtoull(id + len + 1, &end, 10);
    if (end == id + len + 1 || *end != '\0' || n >= s->seen_count)
        return -1;
    return (int64_t)n;
}

static void live_remove(struct synth *s, const char *id)
{
    for (uint32_t i = 0; i < s->live_count; i++)
        if (strcmp(s->live[i].id, id) == 0) {
            s->live[i] = s->live[--s->live_count];
            return;
        }
}

static void on_update(struct synth *s, const Mesos__V1__TaskStatus *st)
{
    s->stats.updates++;
    if (st->has_uuid && st->agent_id != NULL)
        acknowledge(s, st);
    if (!state_terminal(st->state))
        return;
    live_remove(s, st->task_id->value);
    capacity_update(s);
    int64_t n = task_number(s, st->task_id->value);
    if (n < 0)
        return;
    uint8_t first = s->seen[n];
    if (first == 0) {
        s->seen[n] = (uint8_t)(1 + st->state);
        if (st->state == TASK_STATE(TASK_FINISHED))
            s->stats.tasks_finished++;
        else if (st->state == TASK_STATE(TASK_FAILED))
            s->stats.tasks_failed++;
        else if (st->state == TASK_STATE(TASK_KILLED))
            s->stats.tasks_killed++;
        else
            s->stats.tasks_lost++;
    } else if (s->partition_aware && s->checkpoint && first != 1 + st->state &&
               !(st->has_reason &&
                 st->reason == MESOS__V1__TASK_STATUS__REASON__REASON_RECONCILIATION)) {
        /* A reconciliation answer may name a task that ended and was
         * acknowledged in between (an explicit RECONCILE then gets TASK_GONE,
         * Master::reconcile case 3): it is not a second terminal state. */
        violation(s, st->task_id->value, first - 1, st->state);
    }
}

/* A heartbeat is the framework's chance to act on its own. */
static void on_heartbeat(struct synth *s)
{
    uint64_t r = rnd(s, 100);
    if (r < 20)
        kill_one(s);
    else if (r < 25)
        reconcile(s, 1);
    else if (r < 27)
        synth_fire(s, SYNTH_EV_HANGUP);
}

static void event_take(struct synth *s, const Mesos__V1__Scheduler__Event *ev)
{
    switch (ev->type) {
    case EVENT(SUBSCRIBED):
        s->stats.subscribed++;
        if (ev->subscribed != NULL && ev->subscribed->framework_id != NULL)
            snprintf(s->framework_id, sizeof(s->framework_id), "%s",
                     ev->subscribed->framework_id->value);
        synth_fire(s, SYNTH_EV_SUBSCRIBED);
        s->suppressed = 0; /* a subscription starts unsuppressed */
        reconcile(s, 0);
        capacity_update(s);
        break;
    case EVENT(OFFERS):
        if (ev->offers != NULL)
            on_offers(s, ev->offers);
        break;
    case EVENT(UPDATE):
        if (ev->update != NULL && ev->update->status != NULL)
            on_update(s, ev->update->status);
        break;
    case EVENT(HEARTBEAT):
        on_heartbeat(s);
        break;
    case EVENT(ERROR):
        s->stats.errors++;
        synth_fire(s, SYNTH_EV_REMOVED);
        break;
    default: /* RESCIND, FAILURE, MESSAGE: nothing to do */
        break;
    }
}

/* ---- node entry points ---- */

static void node_request(void *node, uint64_t req, const struct http_request *request)
{
    struct synth *s = node;
    (void)request;
    struct http_response r;
    http_response_init(&r, 404, s->rt.alloc);
    s->rt.ops->respond(s->rt.ctx, req, &r);
    http_response_deinit(&r);
}

static void node_stream_closed(void *node, uint64_t req)
{
    (void)node;
    (void)req;
}

static void node_call_response(void *node, uint64_t call, const struct http_response *response)
{
    struct synth *s = node;
    if (call != s->sub_call) {
        if (response->status != 202)
            s->stats.refused++;
        return;
    }
    const char *sid = http_headers_get(&response->headers, "Mesos-Stream-Id");
    if (response->status != 200 || sid == NULL) {
        s->stats.refused++;
        synth_fire(s, SYNTH_EV_ENDED);
        return;
    }
    snprintf(s->stream_id, sizeof(s->stream_id), "%s", sid);
    s->sub_streaming = 1;
}

/* One event of the subscription stream; 1 stops the reading when it ended the stream. */
static int event_fn(void *ctx, const ProtobufCMessage *msg)
{
    struct synth *s = ctx;
    uint64_t call = s->sub_call;
    event_take(s, (const Mesos__V1__Scheduler__Event *)msg);
    return call != s->sub_call || !s->sub_streaming;
}

static void node_call_data(void *node, uint64_t call, const uint8_t *bytes, size_t len)
{
    struct synth *s = node;
    if (call != s->sub_call || !s->sub_streaming)
        return;
    int r = msgstream_feed(&s->decoder, bytes, len, &mesos__v1__scheduler__event__descriptor,
                           s->json ? MEDIA_CODEC_JSON : MEDIA_CODEC_PROTOBUF, &s->pb_alloc,
                           event_fn, s, NULL);
    arena_reset(&s->arena); /* every event of the chunk is freed by now */
    if (r < 0)
        synth_fire(s, SYNTH_EV_ENDED);
}

static void node_call_end(void *node, uint64_t call, int err)
{
    struct synth *s = node;
    (void)err;
    if (call != s->sub_call)
        return;
    s->sub_call = 0; /* ended: nothing to cancel */
    synth_fire(s, SYNTH_EV_ENDED);
}

const struct rt_node_ops synth_node_ops = {
    node_request, node_stream_closed, node_call_response, node_call_data, node_call_end,
};

/* ---- life ---- */

int synth_create(const struct rt *rt, const struct synth_config *cfg, struct synth **out)
{
    MC_ASSERT(rt != NULL && cfg != NULL && out != NULL);
    *out = NULL;
    if (cfg->name == NULL || cfg->master == NULL || strlen(cfg->name) == 0 ||
        strlen(cfg->name) >= SYNTH_NAME_BYTES_MAX || strlen(cfg->master) >= SYNTH_NAME_BYTES_MAX)
        return MC_EINVAL;
    struct synth *s = mc_calloc(rt->alloc, 1, sizeof(*s));
    if (s == NULL)
        return MC_ENOMEM;
    s->rt = *rt;
    memcpy(s->name, cfg->name, strlen(cfg->name) + 1);
    memcpy(s->master, cfg->master, strlen(cfg->master) + 1);
    s->partition_aware = cfg->partition_aware;
    s->checkpoint = cfg->checkpoint;
    s->json = cfg->json;
    s->failover_timeout_s = cfg->failover_timeout_s;
    s->arena.alloc = rt->alloc;
    s->pb_alloc.alloc = arena_alloc;
    s->pb_alloc.free = arena_free;
    s->pb_alloc.allocator_data = &s->arena;
    rio_decoder_init(&s->decoder, MC_RECORD_BYTES_MAX, rt->alloc);
    http_request_init(&s->call_req, rt->alloc);
    s->state = SYNTH_WAITING;
    rt_timer_start(&s->rt, &s->subscribe_timer, rnd(s, RT_NS_PER_SEC), subscribe_fire);
    *out = s;
    return 0;
}

void synth_destroy(struct synth *s)
{
    if (s == NULL)
        return;
    rt_timer_cancel(&s->rt, &s->subscribe_timer);
    sub_drop(s);
    rio_decoder_deinit(&s->decoder);
    http_request_deinit(&s->call_req);
    arena_deinit(&s->arena);
    mc_free(s->rt.alloc, s->seen);
    mc_free(s->rt.alloc, s);
}

void synth_stats_get(const struct synth *s, struct synth_stats *out)
{
    *out = s->stats;
}

uint64_t synth_violations(const struct synth *s, const char **first)
{
    if (s->violations > 0 && first != NULL)
        *first = s->violation_first;
    return s->violations;
}
