/*
 * executor.c: the agent's simulated command and default executors and its
 * status update manager (SPEC.md T1, T2, T4, T7, T8, T10, O5's LAUNCH_GROUP).
 *
 * Theory of operation. No process is ever started: a task's command
 * decides what its executor reports, as Mesos' command executor would
 * (src/launcher/executor.cpp): TASK_STARTING, then TASK_RUNNING, then
 *   "true"     TASK_FINISHED "Command exited with status 0" at once;
 *   "false"    TASK_FAILED "Command exited with status 1" at once;
 *   "sleep N"  TASK_FINISHED after N seconds (an rt timer);
 *   anything else runs until it is killed.
 * KILL_TASK (or SHUTDOWN_EXECUTOR) gives TASK_KILLING first when the
 * framework has TASK_KILLING_STATE, then TASK_KILLED "Command terminated
 * with signal Terminated". SHUTDOWN_FRAMEWORK drops the framework's tasks
 * without a word: the master has already forgotten them (L9).
 *
 * Task groups (RUN_TASK_GROUP, Mesos' default executor,
 * src/launcher/default_executor.cpp): the tasks of a group share their
 * DEFAULT executor and a group number; each runs its own command as above,
 * after TASK_STARTING for every task of the group, then TASK_RUNNING for
 * every task. When a task of a group is killed (KILL_TASK) or fails, the
 * other live tasks of its group are killed too (the default kill policy);
 * SHUTDOWN_EXECUTOR kills them all, with no cascade.
 *
 * Every status goes through the status update manager, as Mesos' agent
 * (src/slave/task_status_update_manager.cpp): each update gets a fresh
 * UUID and waits in its task's queue; only the head of a queue is sent
 * (STATUS_UPDATE), and it is resent after 10 s, then 20 s, 40 s ... up to
 * 10 min, until ACKNOWLEDGE_UPDATE with its uuid arrives; then the next one
 * is sent at once. A task whose terminal update is acknowledged is
 * forgotten. Pending heads are resent at once on RESEND_UPDATES (T10) and
 * after every (re-)registration.
 *
 * Checkpointing (SPEC A5; src/slave/slave.cpp `recover`, src/slave/state.hpp).
 * The tasks of frameworks with FrameworkInfo.checkpoint, with their
 * TaskInfo, latest state, unacknowledged updates and, for "sleep N", the
 * time they finish, are written to the durable store (AGENT_STORE_KEY_TASKS,
 * internal.proto Checkpoint) at the end of every event that changed one of
 * them, so a crash can only lose what had not happened yet. A restarted
 * agent reads them back: their executors kept running while it was down
 * (a "sleep N" that should have ended has finished), their pending updates
 * are resent once it is registered again, with their old uuids. Tasks of
 * other frameworks are never written: a restart loses them, and the master
 * learns it from the agent's re-registration (A5, A6). A write is put
 * together from bytes each framework and task keeps packed, and packs again
 * only the tasks that changed since the last one (checkpoint_pack): with
 * many tasks, an event that changed one costs one.
 *
 * Re-registration: every task but those the agent only answers for (below)
 * is listed in REREGISTER with its framework's FrameworkInfo (agent.c).
 * When the master asks about tasks it knows and the agent does not
 * (REGISTERED.reconciliations), each gets a status update of its own,
 * TASK_DROPPED for a PARTITION_AWARE framework and TASK_LOST otherwise,
 * SOURCE_AGENT, REASON_RECONCILIATION, "Reconciliation: task unknown to the
 * agent", through the same queue and acknowledgement as any update, and is
 * forgotten once acknowledged (Slave::reregistered).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent_internal.h"
#include "mc_assert.h"
#include "mc_buf.h"
#include "pbjson.h"

#define TASK_STATE(name) MESOS__V1__TASK_STATE__##name
#define SOURCE(name) MESOS__V1__TASK_STATUS__SOURCE__##name

/* A framework's FrameworkInfo or a task's Checkpoint.Task, packed, as the agent keeps them for
 * its checkpoint: each has to fit in it (and a FrameworkInfo recovered from it fits again). */
#define AGENT_CHECKPOINT_ITEM_BYTES_MAX MC_AGENT_CHECKPOINT_BYTES_MAX
/* The keys of Checkpoint's repeated fields, frameworks = 1 and tasks = 2, both messages
 * (protobuf wire type 2, length-delimited). */
#define CHECKPOINT_KEY_FRAMEWORK ((1u << 3) | 2u)
#define CHECKPOINT_KEY_TASK ((2u << 3) | 2u)

/* Every message an update of this agent carries (a checkpoint stores the text). */
static const char *const update_messages[] = {
    "Command exited with status 0",
    "Command exited with status 1",
    "Command terminated with signal Terminated",
    "Reconciliation: task unknown to the agent",
};

struct agent_update {
    Mesos__V1__TaskState state;
    const char *message; /* one of update_messages, or NULL */
    uint8_t uuid[16];
    double timestamp;
    Mesos__V1__TaskStatus__Source source;
    int has_reason;
    Mesos__V1__TaskStatus__Reason reason;
};

/* A framework the agent runs tasks of: its FrameworkInfo, kept while it has any. */
struct agent_framework {
    struct mc_list_node link; /* in agent.frameworks, first task first */
    char id[MC_TASK_ID_BYTES_MAX];
    Mesos__V1__FrameworkInfo *info; /* owned (agent.pb_alloc) */
    /* info packed: the next RUN_TASK's info is compared with it, and the checkpoint copies it. */
    struct mc_buf packed;
    uint32_t tasks; /* tasks that refer to it */
};

struct agent_task {
    struct mc_list_node link; /* in agent.tasks */
    /* What agent_invariants_check reads of every task after each event of the agent, next
     * to link rather than a kilobyte after it: one cache line a task, not two or three. */
    struct rt_timer retry_timer;
    uint32_t queue_count;
    uint32_t terminal_pushed; /* terminal states reported: at most one (invariant) */
    struct agent *agent;
    char framework_id[MC_TASK_ID_BYTES_MAX];
    char task_id[MC_TASK_ID_BYTES_MAX];
    char executor_id[MC_TASK_ID_BYTES_MAX];
    /* NULL only for a task the agent answers a reconciliation for and never ran. */
    struct agent_framework *framework;
    Mesos__V1__TaskInfo *info; /* owned (agent.pb_alloc); NULL with framework */
    int checkpoint;      /* its framework checkpoints: it is in the durable store (A5) */
    int killing_capable; /* the framework has TASK_KILLING_STATE */
    Mesos__V1__TaskState state; /* the latest state the executor reported */
    /* The state and uuid of the last update sent to a master (Mesos'
     * Task.status_update_state and status_update_uuid, set by Slave::forward). */
    int has_status_update_state;
    Mesos__V1__TaskState status_update_state;
    uint8_t status_update_uuid[16];
    struct rt_timer run_timer;  /* "sleep N": when it finishes */
    uint64_t end_ns;            /* that time; 0 when no run timer runs */
    struct agent_update queue[MC_AGENT_TASK_UPDATES_MAX]; /* unacknowledged, oldest first */
    uint32_t queue_head;
    uint64_t retry_ns; /* the wait after the next send */
    /* A task of a task group: the agent's number for its group (RUN_TASK_GROUP), else 0. */
    uint64_t task_group;
    /* Its Checkpoint.Task, packed when the checkpoint was last written (A5), so that a write
     * packs only the tasks that changed; stale once state, queue, end_ns or task_group (what
     * checkpoint_task_fill reads) changes: every change of those sets checkpoint_stale. */
    struct mc_buf checkpoint_packed;
    int checkpoint_stale;
};

static int state_terminal(Mesos__V1__TaskState s)
{
    return s == TASK_STATE(TASK_FINISHED) || s == TASK_STATE(TASK_FAILED) ||
           s == TASK_STATE(TASK_KILLED) || s == TASK_STATE(TASK_ERROR) ||
           s == TASK_STATE(TASK_LOST) || s == TASK_STATE(TASK_DROPPED) ||
           s == TASK_STATE(TASK_GONE) || s == TASK_STATE(TASK_GONE_BY_OPERATOR);
}

static struct agent_task *task_find(struct agent *a, const char *framework_id,
                                    const char *task_id)
{
    struct mc_list_node *it;
    MC_LIST_FOR_EACH(it, &a->tasks) {
        struct agent_task *t = MC_CONTAINER_OF(it, struct agent_task, link);
        /* The task id first: the framework's is the same for many tasks. */
        if (strcmp(t->task_id, task_id) == 0 && strcmp(t->framework_id, framework_id) == 0)
            return t;
    }
    return NULL;
}

static struct agent_framework *framework_find(struct agent *a, const char *id)
{
    struct mc_list_node *it;
    MC_LIST_FOR_EACH(it, &a->frameworks) {
        struct agent_framework *f = MC_CONTAINER_OF(it, struct agent_framework, link);
        if (strcmp(f->id, id) == 0)
            return f;
    }
    return NULL;
}

static void framework_unref(struct agent *a, struct agent_framework *f)
{
    MC_ASSERT(f->tasks > 0);
    if (--f->tasks > 0)
        return;
    mc_list_remove(&f->link);
    protobuf_c_message_free_unpacked(&f->info->base, &a->pb_alloc);
    mc_buf_deinit(&f->packed);
    mc_free(a->rt.alloc, f);
}

/* A deep copy of msg (of type desc) through the agent's allocator, or NULL. */
static ProtobufCMessage *message_copy(struct agent *a, const ProtobufCMessage *msg)
{
    struct mc_buf bytes;
    mc_buf_init(&bytes, MC_RECORD_BYTES_MAX, a->rt.alloc);
    ProtobufCMessage *copy = NULL;
    if (pbjson_pack(msg, &bytes) != 0 ||
        pbjson_unpack(msg->descriptor, bytes.data, bytes.len, &a->pb_alloc, &copy, NULL) != 0)
        copy = NULL;
    mc_buf_deinit(&bytes);
    return copy;
}

/*
 * The agent's record of framework info->id, with (a copy of) info
 * (borrowed) as its FrameworkInfo from now on, one more task referring to
 * it. The master sends the same info with every launch: one that packs to
 * the bytes the record has is not copied again. NULL without memory.
 */
static struct agent_framework *framework_ref(struct agent *a, const Mesos__V1__FrameworkInfo *info)
{
    struct agent_framework *f = framework_find(a, info->id->value);
    struct mc_buf packed;
    mc_buf_init(&packed, AGENT_CHECKPOINT_ITEM_BYTES_MAX, a->rt.alloc);
    int err = pbjson_pack(&info->base, &packed);
    if (err == 0 && f != NULL && f->packed.len == packed.len &&
        memcmp(f->packed.data, packed.data, packed.len) == 0) {
        mc_buf_deinit(&packed);
        f->tasks++;
        return f;
    }
    ProtobufCMessage *copy = NULL;
    if (err == 0)
        err = pbjson_unpack(info->base.descriptor, packed.data, packed.len, &a->pb_alloc, &copy,
                            NULL);
    if (err == 0 && f == NULL) {
        f = mc_calloc(a->rt.alloc, 1, sizeof(*f));
        if (f != NULL) {
            snprintf(f->id, sizeof(f->id), "%s", info->id->value);
            mc_list_push_back(&a->frameworks, &f->link);
        }
        err = f == NULL ? MC_ENOMEM : 0;
    } else if (err == 0) {
        protobuf_c_message_free_unpacked(&f->info->base, &a->pb_alloc);
        mc_buf_deinit(&f->packed);
    }
    if (err != 0) {
        if (copy != NULL)
            protobuf_c_message_free_unpacked(copy, &a->pb_alloc);
        mc_buf_deinit(&packed);
        return NULL;
    }
    f->info = (Mesos__V1__FrameworkInfo *)copy;
    f->packed = packed; /* taken */
    f->tasks++;
    return f;
}

static void task_free(struct agent *a, struct agent_task *t)
{
    a->mutations++;
    if (t->run_timer.active)
        rt_timer_cancel(&a->rt, &t->run_timer);
    if (t->retry_timer.active)
        rt_timer_cancel(&a->rt, &t->retry_timer);
    if (t->checkpoint)
        a->checkpoint_dirty = 1;
    mc_list_remove(&t->link);
    a->tasks_count--;
    mc_buf_deinit(&t->checkpoint_packed);
    if (t->info != NULL)
        protobuf_c_message_free_unpacked(&t->info->base, &a->pb_alloc);
    if (t->framework != NULL)
        framework_unref(a, t->framework);
    mc_free(a->rt.alloc, t);
}

/* ---- the status update manager ---- */

static void retry_fire(struct rt_timer *timer);

/* STATUS_UPDATE with the head of t's queue; the retry timer starts either way. */
static void head_send(struct agent_task *t)
{
    struct agent *a = t->agent;
    MC_ASSERT(t->queue_count > 0);
    const struct agent_update *u = &t->queue[t->queue_head];
    MesosConform__Internal__Call call = MESOS_CONFORM__INTERNAL__CALL__INIT;
    MesosConform__Internal__Call__StatusUpdate su =
        MESOS_CONFORM__INTERNAL__CALL__STATUS_UPDATE__INIT;
    Mesos__V1__TaskStatus status = MESOS__V1__TASK_STATUS__INIT;
    Mesos__V1__FrameworkID fid = MESOS__V1__FRAMEWORK_ID__INIT;
    Mesos__V1__AgentID aid = MESOS__V1__AGENT_ID__INIT;
    Mesos__V1__TaskID tid = MESOS__V1__TASK_ID__INIT;
    Mesos__V1__ExecutorID eid = MESOS__V1__EXECUTOR_ID__INIT;
    fid.value = t->framework_id;
    aid.value = a->id;
    tid.value = t->task_id;
    eid.value = t->executor_id;
    status.task_id = &tid;
    status.state = u->state;
    status.message = (char *)u->message;
    status.has_source = 1;
    status.source = u->source;
    status.has_reason = u->has_reason;
    status.reason = u->reason;
    status.agent_id = &aid;
    /* The agent's own answer to a reconciliation names no executor (createStatusUpdate). */
    status.executor_id = t->framework != NULL ? &eid : NULL;
    status.has_timestamp = 1;
    status.timestamp = u->timestamp;
    status.has_uuid = 1;
    status.uuid.data = (uint8_t *)u->uuid;
    status.uuid.len = sizeof(u->uuid);
    su.framework_id = &fid;
    su.status = &status;
    su.has_uuid = 1;
    su.uuid = status.uuid;
    call.has_type = 1;
    call.type = ICALL(STATUS_UPDATE);
    call.agent_id = &aid;
    call.status_update = &su;
    /* Without a stream the update waits for its retry or the next registration. */
    if (a->state == AGENT_STATE_REGISTERED && a->stream_id[0] != '\0' &&
        agent__call_post(a, &call, a->stream_id) != 0) {
        a->stats.updates_sent++;
        t->has_status_update_state = 1; /* Slave::forward */
        t->status_update_state = u->state;
        memcpy(t->status_update_uuid, u->uuid, sizeof(t->status_update_uuid));
    }
    rt_timer_start(&a->rt, &t->retry_timer, t->retry_ns, retry_fire);
    a->mutations++;
}

static void retry_fire(struct rt_timer *timer)
{
    struct agent_task *t = MC_CONTAINER_OF(timer, struct agent_task, retry_timer);
    uint64_t next = t->retry_ns * 2;
    t->retry_ns = next < AGENT_STATUS_UPDATE_RETRY_NS_MAX ? next : AGENT_STATUS_UPDATE_RETRY_NS_MAX;
    head_send(t);
}

/* A version 4 UUID's 16 bytes from the runtime's generator. */
static void uuid_make(struct agent *a, uint8_t out[16])
{
    uint64_t hi = rt_rng_u64(&a->rt), lo = rt_rng_u64(&a->rt);
    for (int i = 0; i < 8; i++) {
        out[i] = (uint8_t)(hi >> (56 - 8 * i));
        out[8 + i] = (uint8_t)(lo >> (56 - 8 * i));
    }
    out[6] = (uint8_t)((out[6] & 0x0f) | 0x40);
    out[8] = (uint8_t)((out[8] & 0x3f) | 0x80);
}

/* An update from source with reason (has_reason 0: none): queued, sent at once when alone. */
static void update_push_from(struct agent_task *t, Mesos__V1__TaskState state, const char *message,
                             Mesos__V1__TaskStatus__Source source, int has_reason,
                             Mesos__V1__TaskStatus__Reason reason)
{
    struct agent *a = t->agent;
    a->mutations++;
    if (t->checkpoint)
        a->checkpoint_dirty = 1;
    t->checkpoint_stale = 1;
    t->state = state;
    if (state_terminal(state))
        t->terminal_pushed++;
    if (t->queue_count == MC_AGENT_TASK_UPDATES_MAX) {
        agent__log(a, RT_LOG_ERROR, "update queue full, state lost for task %s", t->task_id);
        a->updates_lost++;
        return;
    }
    struct agent_update *u =
        &t->queue[(t->queue_head + t->queue_count) % MC_AGENT_TASK_UPDATES_MAX];
    u->state = state;
    u->message = message;
    uuid_make(a, u->uuid);
    u->timestamp = (double)rt_now_ns(&a->rt) / (double)RT_NS_PER_SEC;
    u->source = source;
    u->has_reason = has_reason;
    u->reason = reason;
    t->queue_count++;
    if (t->queue_count == 1) {
        t->retry_ns = AGENT_STATUS_UPDATE_RETRY_NS_MIN;
        head_send(t);
    }
}

/* The executor reports state. */
static void update_push(struct agent_task *t, Mesos__V1__TaskState state, const char *message)
{
    update_push_from(t, state, message, SOURCE(SOURCE_EXECUTOR), 0, 0);
}

static void task_acknowledge(struct agent *a, const MesosConform__Internal__Event__AcknowledgeUpdate *ack)
{
    struct agent_task *t = task_find(a, ack->framework_id->value, ack->task_id->value);
    if (t == NULL || t->queue_count == 0 || ack->uuid.len != 16 ||
        memcmp(t->queue[t->queue_head].uuid, ack->uuid.data, 16) != 0) {
        agent__log(a, RT_LOG_INFO, "acknowledgement ignored for task %s", ack->task_id->value);
        return; /* unknown task or uuid: Mesos' agent ignores it too (T3) */
    }
    a->stats.updates_acked++;
    a->mutations++;
    if (t->checkpoint)
        a->checkpoint_dirty = 1;
    t->checkpoint_stale = 1;
    t->queue_head = (t->queue_head + 1) % MC_AGENT_TASK_UPDATES_MAX;
    t->queue_count--;
    if (t->retry_timer.active)
        rt_timer_cancel(&a->rt, &t->retry_timer);
    if (t->queue_count > 0) {
        t->retry_ns = AGENT_STATUS_UPDATE_RETRY_NS_MIN;
        head_send(t);
    } else if (state_terminal(t->state)) {
        task_free(a, t); /* its terminal update is acknowledged */
    }
}

void agent__tasks_resend(struct agent *a, const char *framework_id)
{
    struct mc_list_node *it;
    MC_LIST_FOR_EACH(it, &a->tasks) {
        struct agent_task *t = MC_CONTAINER_OF(it, struct agent_task, link);
        if (t->queue_count > 0 &&
            (framework_id == NULL || strcmp(framework_id, t->framework_id) == 0))
            head_send(t);
    }
}

/* ---- the simulated command executor ---- */

static void run_fire(struct rt_timer *timer)
{
    struct agent_task *t = MC_CONTAINER_OF(timer, struct agent_task, run_timer);
    struct agent *a = t->agent;
    t->end_ns = 0;
    t->checkpoint_stale = 1;
    update_push(t, TASK_STATE(TASK_FINISHED), update_messages[0]);
    agent__tasks_checkpoint(a);
}

/* "sleep N": the task finishes at end_ns (now or later: at once). */
static void run_until(struct agent_task *t, uint64_t end_ns)
{
    struct agent *a = t->agent;
    uint64_t now = rt_now_ns(&a->rt);
    t->end_ns = end_ns > 0 ? end_ns : 1; /* 0 means "no timer" */
    t->checkpoint_stale = 1;
    rt_timer_start(&a->rt, &t->run_timer, end_ns > now ? end_ns - now : 0, run_fire);
}

/* "sleep N" with N a whole or decimal number of seconds: N in ns, else -1. */
static int64_t sleep_ns(const char *command)
{
    if (strncmp(command, "sleep ", 6) != 0)
        return -1;
    char *end = NULL;
    double s = strtod(command + 6, &end);
    while (end != NULL && *end == ' ')
        end++;
    if (end == command + 6 || end == NULL || *end != '\0' || !(s >= 0.0) || s > 1e9)
        return -1;
    return (int64_t)(s * (double)RT_NS_PER_SEC);
}

static int framework_capable(const Mesos__V1__FrameworkInfo *info,
                             Mesos__V1__FrameworkInfo__Capability__Type type)
{
    for (size_t i = 0; i < info->n_capabilities; i++)
        if (info->capabilities[i]->has_type && info->capabilities[i]->type == type)
            return 1;
    return 0;
}

static int framework_killing_capable(const Mesos__V1__FrameworkInfo *info)
{
    return framework_capable(info, MESOS__V1__FRAMEWORK_INFO__CAPABILITY__TYPE__TASK_KILLING_STATE);
}

static int framework_checkpoints(const Mesos__V1__FrameworkInfo *info)
{
    return info->has_checkpoint && info->checkpoint;
}

/*
 * The command a task runs ("" when none): its own (a command task, or a
 * task of a task group, which the default executor runs as a nested
 * container), else its custom executor's.
 */
static const char *task_command(const Mesos__V1__TaskInfo *ti)
{
    const Mesos__V1__CommandInfo *cmd = ti->command != NULL ? ti->command
                                        : ti->executor != NULL ? ti->executor->command
                                                               : NULL;
    return cmd != NULL && cmd->value != NULL ? cmd->value : "";
}

/*
 * A task record for ti (taken) of framework f (its reference taken), in
 * the agent's list; its executor's id is the task's for a command task.
 * NULL past MC_AGENT_TASKS_MAX or without memory (both freed then).
 */
static struct agent_task *task_new(struct agent *a, struct agent_framework *f,
                                   Mesos__V1__TaskInfo *ti)
{
    struct agent_task *t = a->tasks_count < MC_AGENT_TASKS_MAX
                               ? mc_calloc(a->rt.alloc, 1, sizeof(*t))
                               : NULL;
    if (t == NULL) {
        protobuf_c_message_free_unpacked(&ti->base, &a->pb_alloc);
        framework_unref(a, f);
        return NULL;
    }
    a->mutations++;
    t->agent = a;
    t->framework = f;
    t->info = ti;
    mc_buf_init(&t->checkpoint_packed, AGENT_CHECKPOINT_ITEM_BYTES_MAX, a->rt.alloc);
    t->checkpoint_stale = 1;
    snprintf(t->framework_id, sizeof(t->framework_id), "%s", f->id);
    snprintf(t->task_id, sizeof(t->task_id), "%s", ti->task_id->value);
    if (ti->executor != NULL)
        snprintf(t->executor_id, sizeof(t->executor_id), "%s",
                 ti->executor->executor_id != NULL ? ti->executor->executor_id->value : "");
    else
        snprintf(t->executor_id, sizeof(t->executor_id), "%s", ti->task_id->value);
    t->killing_capable = framework_killing_capable(f->info);
    t->checkpoint = framework_checkpoints(f->info);
    mc_list_push_back(&a->tasks, &t->link);
    a->tasks_count++;
    return t;
}

/* What the command of a running task does next (T1): finishes, fails, sleeps or runs on. */
static void task_start_command(struct agent *a, struct agent_task *t)
{
    const char *value = task_command(t->info);
    int64_t ns = sleep_ns(value);
    if (strcmp(value, "true") == 0)
        update_push(t, TASK_STATE(TASK_FINISHED), update_messages[0]);
    else if (strcmp(value, "false") == 0)
        update_push(t, TASK_STATE(TASK_FAILED), update_messages[1]);
    else if (ns >= 0)
        run_until(t, rt_now_ns(&a->rt) + (uint64_t)ns);
}

static void task_run(struct agent *a, const MesosConform__Internal__Event__RunTask *run)
{
    const Mesos__V1__TaskInfo *ti = run->task;
    const char *fw_id = run->framework_info->id != NULL ? run->framework_info->id->value : "";
    if (fw_id[0] == '\0' || task_find(a, fw_id, ti->task_id->value) != NULL ||
        a->tasks_count >= MC_AGENT_TASKS_MAX || strlen(fw_id) >= MC_TASK_ID_BYTES_MAX ||
        strlen(ti->task_id->value) >= MC_TASK_ID_BYTES_MAX) {
        agent__log(a, RT_LOG_WARN, "RUN_TASK refused (duplicate, too long or too many): %s",
                   ti->task_id->value);
        return;
    }
    Mesos__V1__TaskInfo *copy = (Mesos__V1__TaskInfo *)message_copy(a, &ti->base);
    /* The framework's info as the master sends it now (Mesos' runTask updates it too). */
    struct agent_framework *f = copy != NULL ? framework_ref(a, run->framework_info) : NULL;
    struct agent_task *t = f != NULL ? task_new(a, f, copy) : NULL;
    if (t == NULL) {
        if (f == NULL && copy != NULL)
            protobuf_c_message_free_unpacked(&copy->base, &a->pb_alloc);
        agent__log(a, RT_LOG_ERROR, "RUN_TASK %s: out of memory", ti->task_id->value);
        return;
    }
    a->stats.tasks_launched++;
    update_push(t, TASK_STATE(TASK_STARTING), NULL);
    update_push(t, TASK_STATE(TASK_RUNNING), NULL);
    task_start_command(a, t);
}

static void group_kill_rest(struct agent_task *t);

/*
 * RUN_TASK_GROUP: the tasks run under their group's DEFAULT executor,
 * each its own command, as the default executor runs them
 * (src/launcher/default_executor.cpp `_launchGroup`, `__launchGroup`):
 * TASK_STARTING for each task, then TASK_RUNNING for each, then what each
 * command does; a task that fails takes its group down (group_kill_rest).
 */
static void group_run(struct agent *a, const MesosConform__Internal__Event__RunTaskGroup *run)
{
    const Mesos__V1__TaskGroupInfo *tg = run->task_group;
    const char *fw_id = run->framework_info->id != NULL ? run->framework_info->id->value : "";
    int ok = fw_id[0] != '\0' && strlen(fw_id) < MC_TASK_ID_BYTES_MAX && tg->n_tasks > 0 &&
             a->tasks_count + tg->n_tasks <= MC_AGENT_TASKS_MAX &&
             strlen(run->executor->executor_id->value) < MC_TASK_ID_BYTES_MAX;
    for (size_t i = 0; ok && i < tg->n_tasks; i++) {
        const char *id = tg->tasks[i]->task_id->value;
        ok = strlen(id) < MC_TASK_ID_BYTES_MAX && task_find(a, fw_id, id) == NULL;
        for (size_t k = 0; ok && k < i; k++)
            ok = strcmp(tg->tasks[k]->task_id->value, id) != 0;
    }
    if (!ok) {
        agent__log(a, RT_LOG_WARN, "RUN_TASK_GROUP refused (duplicate, too long or too many): %s",
                   run->executor->executor_id->value);
        return;
    }
    uint64_t group = ++a->task_group_next;
    struct agent_task *first = NULL;
    for (size_t i = 0; i < tg->n_tasks; i++) {
        Mesos__V1__TaskInfo *copy = (Mesos__V1__TaskInfo *)message_copy(a, &tg->tasks[i]->base);
        if (copy != NULL && copy->executor == NULL) /* the group's, as Mesos' master sets it */
            copy->executor = (Mesos__V1__ExecutorInfo *)message_copy(a, &run->executor->base);
        struct agent_framework *f =
            copy != NULL && copy->executor != NULL ? framework_ref(a, run->framework_info) : NULL;
        struct agent_task *t = f != NULL ? task_new(a, f, copy) : NULL;
        if (t == NULL) {
            if (f == NULL && copy != NULL)
                protobuf_c_message_free_unpacked(&copy->base, &a->pb_alloc);
            agent__log(a, RT_LOG_ERROR, "RUN_TASK_GROUP %s: out of memory",
                       tg->tasks[i]->task_id->value);
            continue;
        }
        t->task_group = group;
        t->checkpoint_stale = 1;
        first = first != NULL ? first : t;
        a->stats.tasks_launched++;
        update_push(t, TASK_STATE(TASK_STARTING), NULL);
    }
    struct mc_list_node *it;
    for (int pass = 0; first != NULL && pass < 2; pass++) {
        for (it = &first->link; it != &a->tasks; it = it->next) {
            struct agent_task *t = MC_CONTAINER_OF(it, struct agent_task, link);
            if (t->task_group != group || strcmp(t->framework_id, fw_id) != 0 ||
                state_terminal(t->state))
                continue;
            if (pass == 0) {
                update_push(t, TASK_STATE(TASK_RUNNING), NULL);
                continue;
            }
            task_start_command(a, t);
            if (t->state == TASK_STATE(TASK_FAILED))
                group_kill_rest(t);
        }
    }
}

/* KILL_TASK and SHUTDOWN_EXECUTOR: KILLING (when the framework knows it), then KILLED (T4, T8). */
static void task_kill(struct agent_task *t)
{
    if (state_terminal(t->state) || t->framework == NULL)
        return;
    if (t->run_timer.active)
        rt_timer_cancel(&t->agent->rt, &t->run_timer);
    t->end_ns = 0;
    t->checkpoint_stale = 1;
    if (t->killing_capable && t->state != TASK_STATE(TASK_KILLING))
        update_push(t, TASK_STATE(TASK_KILLING), NULL);
    update_push(t, TASK_STATE(TASK_KILLED), update_messages[2]);
}

/*
 * The default executor's kill policy (src/launcher/default_executor.cpp
 * `waited`): when a task of a group ends FAILED or KILLED, other than by
 * the executor's shutdown, every other live task of that group is killed,
 * in launch order (KILLING when the framework knows it, then KILLED).
 */
static void group_kill_rest(struct agent_task *t)
{
    if (t->task_group == 0)
        return;
    struct mc_list_node *it;
    MC_LIST_FOR_EACH(it, &t->agent->tasks) {
        struct agent_task *o = MC_CONTAINER_OF(it, struct agent_task, link);
        if (o != t && o->task_group == t->task_group &&
            strcmp(o->framework_id, t->framework_id) == 0)
            task_kill(o);
    }
}

/* KILL_TASK: the task, and with it the rest of its task group. */
static void task_kill_policy(struct agent_task *t)
{
    int live = !state_terminal(t->state) && t->framework != NULL;
    task_kill(t);
    if (live)
        group_kill_rest(t);
}

/* Calls fn on each task of framework_id (and executor_id, when not NULL). */
static void tasks_each(struct agent *a, const char *framework_id, const char *executor_id,
                       void (*fn)(struct agent *, struct agent_task *))
{
    struct mc_list_node *it, *tmp;
    MC_LIST_FOR_EACH_SAFE(it, tmp, &a->tasks) {
        struct agent_task *t = MC_CONTAINER_OF(it, struct agent_task, link);
        if (strcmp(t->framework_id, framework_id) == 0 &&
            (executor_id == NULL || strcmp(t->executor_id, executor_id) == 0))
            fn(a, t);
    }
}

static void each_kill(struct agent *a, struct agent_task *t)
{
    (void)a;
    task_kill(t);
}

/* FRAMEWORK_MESSAGE: the executor echoes the bytes back (T7). */
static void message_echo(struct agent *a, const MesosConform__Internal__Event__FrameworkMessage *fm)
{
    struct mc_list_node *it;
    int found = 0;
    MC_LIST_FOR_EACH(it, &a->tasks) {
        const struct agent_task *t = MC_CONTAINER_OF(it, struct agent_task, link);
        found |= t->framework != NULL && strcmp(t->framework_id, fm->framework_id->value) == 0 &&
                 strcmp(t->executor_id, fm->executor_id->value) == 0 && !state_terminal(t->state);
    }
    if (!found) {
        agent__log(a, RT_LOG_INFO, "message for an unknown executor dropped: %s",
                   fm->executor_id->value);
        return;
    }
    MesosConform__Internal__Call call = MESOS_CONFORM__INTERNAL__CALL__INIT;
    MesosConform__Internal__Call__ExecutorMessage em =
        MESOS_CONFORM__INTERNAL__CALL__EXECUTOR_MESSAGE__INIT;
    Mesos__V1__AgentID aid = MESOS__V1__AGENT_ID__INIT;
    aid.value = a->id;
    em.framework_id = fm->framework_id;
    em.executor_id = fm->executor_id;
    em.data = fm->data;
    call.has_type = 1;
    call.type = ICALL(EXECUTOR_MESSAGE);
    call.agent_id = &aid;
    call.executor_message = &em;
    (void)agent__call_post(a, &call, a->stream_id); /* a message is sent at most once */
}

void agent__tasks_event(struct agent *a, const MesosConform__Internal__Event *ev)
{
    if (ev->has_type && ev->type == IEVENT(RUN_TASK) && ev->run_task != NULL) {
        task_run(a, ev->run_task);
    } else if (ev->has_type && ev->type == IEVENT(RUN_TASK_GROUP) && ev->run_task_group != NULL) {
        group_run(a, ev->run_task_group);
    } else if (ev->has_type && ev->type == IEVENT(KILL_TASK) && ev->kill_task != NULL) {
        struct agent_task *t =
            task_find(a, ev->kill_task->framework_id->value, ev->kill_task->task_id->value);
        if (t != NULL)
            task_kill_policy(t);
    } else if (ev->has_type && ev->type == IEVENT(ACKNOWLEDGE_UPDATE) &&
               ev->acknowledge_update != NULL) {
        task_acknowledge(a, ev->acknowledge_update);
    } else if (ev->has_type && ev->type == IEVENT(SHUTDOWN_FRAMEWORK) &&
               ev->shutdown_framework != NULL) {
        tasks_each(a, ev->shutdown_framework->framework_id->value, NULL, task_free);
    } else if (ev->has_type && ev->type == IEVENT(SHUTDOWN_EXECUTOR) &&
               ev->shutdown_executor != NULL) {
        tasks_each(a, ev->shutdown_executor->framework_id->value,
                   ev->shutdown_executor->executor_id->value, each_kill);
    } else if (ev->has_type && ev->type == IEVENT(FRAMEWORK_MESSAGE) &&
               ev->framework_message != NULL) {
        message_echo(a, ev->framework_message);
    } else if (ev->has_type && ev->type == IEVENT(RESEND_UPDATES) && ev->resend_updates != NULL) {
        agent__tasks_resend(a, ev->resend_updates->framework_id->value);
    } else {
        agent__log(a, RT_LOG_WARN, "%s", "an event the agent does not know, ignored");
    }
    agent__tasks_checkpoint(a); /* before anything else can happen (A5) */
}

void agent__tasks_free(struct agent *a)
{
    struct mc_list_node *it, *tmp;
    MC_LIST_FOR_EACH_SAFE(it, tmp, &a->tasks) {
        task_free(a, MC_CONTAINER_OF(it, struct agent_task, link));
    }
    MC_ASSERT(mc_list_empty(&a->frameworks));
}

uint64_t agent_mutations(const struct agent *a)
{
    return a->mutations;
}

int agent_invariants_check(const struct agent *a, char *text, size_t text_bytes)
{
    if (a->updates_lost > 0) {
        snprintf(text, text_bytes, "agent %s: %llu status updates lost to a full queue", a->id,
                 (unsigned long long)a->updates_lost);
        return 1;
    }
    const struct mc_list_node *it;
    MC_LIST_FOR_EACH(it, &a->tasks) {
        const struct agent_task *t = MC_CONTAINER_OF(it, const struct agent_task, link);
        if (t->terminal_pushed > 1) {
            snprintf(text, text_bytes, "agent %s: task %s of %s reported %u terminal states",
                     a->id, t->task_id, t->framework_id, t->terminal_pushed);
            return 1;
        }
        if (t->queue_count > 0 && !t->retry_timer.active) {
            snprintf(text, text_bytes,
                     "agent %s: task %s has an unacknowledged update and no retry armed", a->id,
                     t->task_id);
            return 1;
        }
    }
    return 0;
}

/* ---- checkpointing (A5) ---- */

/* The constant of update_messages equal to text, or NULL for any other text. */
static const char *message_intern(const char *text)
{
    size_t n = sizeof(update_messages) / sizeof(update_messages[0]);
    for (size_t i = 0; text != NULL && i < n; i++)
        if (strcmp(text, update_messages[i]) == 0)
            return update_messages[i];
    return NULL;
}

/* The parts of one checkpointed task; they point into the task's record. */
struct checkpoint_task {
    MesosConform__Internal__Checkpoint__Task task;
    Mesos__V1__FrameworkID framework_id;
    MesosConform__Internal__Checkpoint__Update updates[MC_AGENT_TASK_UPDATES_MAX];
    MesosConform__Internal__Checkpoint__Update *update_ptrs[MC_AGENT_TASK_UPDATES_MAX];
};

static void checkpoint_task_fill(struct checkpoint_task *c, struct agent_task *t)
{
    mesos_conform__internal__checkpoint__task__init(&c->task);
    mesos__v1__framework_id__init(&c->framework_id);
    c->framework_id.value = t->framework_id;
    c->task.framework_id = &c->framework_id;
    c->task.task = t->info;
    c->task.state = t->state;
    for (uint32_t i = 0; i < t->queue_count; i++) {
        struct agent_update *u = &t->queue[(t->queue_head + i) % MC_AGENT_TASK_UPDATES_MAX];
        MesosConform__Internal__Checkpoint__Update *cu = &c->updates[i];
        mesos_conform__internal__checkpoint__update__init(cu);
        cu->state = u->state;
        cu->message = (char *)u->message;
        cu->uuid.data = u->uuid;
        cu->uuid.len = sizeof(u->uuid);
        cu->has_timestamp = 1;
        cu->timestamp = u->timestamp;
        cu->has_source = 1;
        cu->source = u->source;
        cu->has_reason = u->has_reason;
        cu->reason = u->reason;
        c->update_ptrs[i] = cu;
    }
    c->task.n_updates = t->queue_count;
    c->task.updates = c->update_ptrs;
    c->task.has_end_ns = t->end_ns != 0;
    c->task.end_ns = t->end_ns;
    c->task.has_task_group = t->task_group != 0;
    c->task.task_group = t->task_group;
}

/* t's Checkpoint.Task, packed again from its record. */
static int task_pack(struct agent_task *t)
{
    struct checkpoint_task c;
    checkpoint_task_fill(&c, t);
    mc_buf_reset(&t->checkpoint_packed);
    int err = pbjson_pack(&c.task.base, &t->checkpoint_packed);
    t->checkpoint_stale = err != 0;
    return err;
}

/* The bytes of a varint of v: 7 bits a byte. */
static size_t varint_bytes(size_t v)
{
    size_t n = 1;
    for (; v >= 0x80; v >>= 7)
        n++;
    return n;
}

/* Writes one element of a repeated message field at at: its key, its length, its bytes. */
static uint8_t *element_put(uint8_t *at, uint8_t key, const struct mc_buf *bytes)
{
    *at++ = key;
    size_t v = bytes->len;
    for (; v >= 0x80; v >>= 7)
        *at++ = (uint8_t)(v | 0x80);
    *at++ = (uint8_t)v;
    if (bytes->len > 0)
        memcpy(at, bytes->data, bytes->len);
    return at + bytes->len;
}

/*
 * The checkpoint's bytes: the checkpointed tasks and their frameworks, in
 * the agent's order; *tasks gets their number. protobuf-c packs a repeated
 * message field as one (key, length, message) element after another, and
 * Checkpoint's fields in their order (frameworks, then tasks), so the
 * elements put together from each one's own bytes are the very bytes it
 * would pack for the whole Checkpoint. Each framework keeps its bytes
 * (framework_ref) and each task the bytes of its last write, packed again
 * only when it changed: a write costs what changed, not every task.
 */
static int checkpoint_pack(struct agent *a, struct mc_buf *out, uint32_t *tasks)
{
    size_t size = 0;
    *tasks = 0;
    struct mc_list_node *it;
    MC_LIST_FOR_EACH(it, &a->tasks) {
        struct agent_task *t = MC_CONTAINER_OF(it, struct agent_task, link);
        if (!t->checkpoint)
            continue;
        int err = t->checkpoint_stale ? task_pack(t) : 0;
        if (err != 0)
            return err;
        size += 1 + varint_bytes(t->checkpoint_packed.len) + t->checkpoint_packed.len;
        (*tasks)++;
    }
    if (*tasks == 0)
        return 0;
    MC_LIST_FOR_EACH(it, &a->frameworks) {
        struct agent_framework *f = MC_CONTAINER_OF(it, struct agent_framework, link);
        if (framework_checkpoints(f->info))
            size += 1 + varint_bytes(f->packed.len) + f->packed.len;
    }
    uint8_t *at;
    int err = mc_buf_grow(out, size, &at);
    if (err != 0)
        return err;
    MC_LIST_FOR_EACH(it, &a->frameworks) {
        struct agent_framework *f = MC_CONTAINER_OF(it, struct agent_framework, link);
        if (framework_checkpoints(f->info))
            at = element_put(at, CHECKPOINT_KEY_FRAMEWORK, &f->packed);
    }
    MC_LIST_FOR_EACH(it, &a->tasks) {
        struct agent_task *t = MC_CONTAINER_OF(it, struct agent_task, link);
        if (t->checkpoint)
            at = element_put(at, CHECKPOINT_KEY_TASK, &t->checkpoint_packed);
    }
    MC_ASSERT(at == out->data + out->len);
    return 0;
}

void agent__tasks_checkpoint(struct agent *a)
{
    if (!a->checkpoint_dirty)
        return;
    a->checkpoint_dirty = 0;
    struct mc_buf *bytes = &a->checkpoint_bytes;
    mc_buf_reset(bytes);
    uint32_t tasks;
    int err = checkpoint_pack(a, bytes, &tasks);
    if (err == 0 && tasks == 0) {
        err = a->rt.ops->store_del(a->rt.ctx, AGENT_STORE_KEY_TASKS);
        err = err == MC_ENOTFOUND ? 0 : err;
    } else if (err == 0) {
        err = a->rt.ops->store_put(a->rt.ctx, AGENT_STORE_KEY_TASKS, bytes->data, bytes->len);
    }
    if (bytes->cap > AGENT_BUFFER_KEPT_BYTES_MAX)
        mc_buf_deinit(bytes);
    if (err == 0)
        a->stats.checkpoints++;
    else
        agent__log(a, RT_LOG_ERROR, "tasks not checkpointed: %s", mc_strerror(err));
}

/* One checkpointed task back in the agent's list, its updates queued again (uuids kept). */
static int task_recover(struct agent *a, MesosConform__Internal__Checkpoint__Task *ct)
{
    Mesos__V1__TaskInfo *ti = ct->task;
    const char *fid = ct->framework_id->value;
    struct agent_framework *f = framework_find(a, fid);
    if (f == NULL || ct->n_updates > MC_AGENT_TASK_UPDATES_MAX ||
        strlen(ti->task_id->value) >= MC_TASK_ID_BYTES_MAX ||
        task_find(a, fid, ti->task_id->value) != NULL)
        return MC_EINVAL;
    f->tasks++;
    ct->task = NULL; /* taken over by the task */
    struct agent_task *t = task_new(a, f, ti);
    if (t == NULL)
        return MC_ENOMEM;
    t->state = ct->state;
    t->terminal_pushed = state_terminal(t->state);
    t->task_group = ct->has_task_group ? ct->task_group : 0;
    if (t->task_group > a->task_group_next)
        a->task_group_next = t->task_group; /* new groups get numbers of their own */
    for (size_t i = 0; i < ct->n_updates; i++) {
        const MesosConform__Internal__Checkpoint__Update *cu = ct->updates[i];
        struct agent_update *u = &t->queue[i];
        if (cu->uuid.len != sizeof(u->uuid))
            return MC_EINVAL;
        u->state = cu->state;
        u->message = message_intern(cu->message);
        memcpy(u->uuid, cu->uuid.data, sizeof(u->uuid));
        u->timestamp = cu->timestamp;
        u->source = cu->has_source ? cu->source : SOURCE(SOURCE_EXECUTOR);
        u->has_reason = cu->has_reason;
        u->reason = cu->reason;
        t->queue_count++;
    }
    if (t->queue_count > 0) {
        t->retry_ns = AGENT_STATUS_UPDATE_RETRY_NS_MIN;
        head_send(t); /* not registered yet: this arms its retry */
    }
    /* The executor kept running while the agent was down: a "sleep N" that should
     * have ended has finished by now. */
    if (ct->has_end_ns && ct->end_ns != 0 && !state_terminal(t->state))
        run_until(t, ct->end_ns);
    a->stats.tasks_recovered++;
    return 0;
}

int agent__tasks_recover(struct agent *a)
{
    struct mc_buf bytes;
    mc_buf_init(&bytes, MC_AGENT_CHECKPOINT_BYTES_MAX, a->rt.alloc);
    int err = a->rt.ops->store_get(a->rt.ctx, AGENT_STORE_KEY_TASKS, &bytes);
    ProtobufCMessage *msg = NULL;
    if (err == 0 && pbjson_unpack(&mesos_conform__internal__checkpoint__descriptor, bytes.data,
                                  bytes.len, &a->pb_alloc, &msg, NULL) != 0)
        err = MC_EINVAL; /* a damaged checkpoint: Mesos' agent refuses to recover too */
    mc_buf_deinit(&bytes);
    if (err == MC_ENOTFOUND)
        return 0;
    if (err == MC_ELIMIT)
        err = MC_EINVAL;
    MesosConform__Internal__Checkpoint *cp = (MesosConform__Internal__Checkpoint *)msg;
    for (size_t i = 0; err == 0 && i < cp->n_frameworks; i++) {
        Mesos__V1__FrameworkInfo *info = cp->frameworks[i];
        if (info->id == NULL || info->id->value[0] == '\0' ||
            strlen(info->id->value) >= MC_TASK_ID_BYTES_MAX ||
            framework_find(a, info->id->value) != NULL) {
            err = MC_EINVAL;
            break;
        }
        struct agent_framework *f = framework_ref(a, info);
        if (f == NULL)
            err = MC_ENOMEM;
        else
            f->tasks--; /* no task refers to it yet */
    }
    for (size_t i = 0; err == 0 && i < cp->n_tasks; i++)
        err = task_recover(a, cp->tasks[i]);
    /* Frameworks no task refers to are not kept. */
    struct mc_list_node *it, *tmp;
    MC_LIST_FOR_EACH_SAFE(it, tmp, &a->frameworks) {
        struct agent_framework *f = MC_CONTAINER_OF(it, struct agent_framework, link);
        if (f->tasks == 0) {
            f->tasks = 1;
            framework_unref(a, f);
        }
    }
    if (msg != NULL)
        protobuf_c_message_free_unpacked(msg, &a->pb_alloc);
    agent__tasks_checkpoint(a); /* what finished while the agent was down */
    return err;
}

/* ---- re-registration (A1, A5, A6) ---- */

void agent__report_init(struct agent_report *r)
{
    memset(r, 0, sizeof(*r));
}

/*
 * The executors of task groups that still run a task, once each, in the
 * order of their first task (Mesos' executor_infos): the master holds
 * their resources apart from their tasks'.
 */
static void report_executors(struct agent *a, struct agent_report *r)
{
    struct mc_list_node *it, *jt;
    MC_LIST_FOR_EACH(it, &a->tasks) {
        const struct agent_task *t = MC_CONTAINER_OF(it, struct agent_task, link);
        if (t->task_group == 0 || t->framework == NULL || state_terminal(t->state))
            continue;
        int first = 1;
        for (jt = a->tasks.next; first && jt != it; jt = jt->next) {
            const struct agent_task *o = MC_CONTAINER_OF(jt, struct agent_task, link);
            first = !(o->task_group != 0 && o->framework != NULL && !state_terminal(o->state) &&
                      strcmp(o->framework_id, t->framework_id) == 0 &&
                      strcmp(o->executor_id, t->executor_id) == 0);
        }
        if (first)
            r->executors[r->n_executors++] = t->info->executor;
    }
}

int agent__tasks_report(struct agent *a, struct agent_report *r, Mesos__V1__AgentID *agent_id)
{
    agent__report_init(r);
    uint32_t n = 0, nf = 0;
    struct mc_list_node *it;
    MC_LIST_FOR_EACH(it, &a->tasks) {
        n += MC_CONTAINER_OF(it, struct agent_task, link)->framework != NULL;
    }
    MC_LIST_FOR_EACH(it, &a->frameworks) {
        nf++;
    }
    if (n == 0 && nf == 0)
        return 0;
    r->items = mc_calloc(a->rt.alloc, n > 0 ? n : 1, sizeof(*r->items));
    r->tasks = mc_calloc(a->rt.alloc, n > 0 ? n : 1, sizeof(*r->tasks));
    r->frameworks = mc_calloc(a->rt.alloc, nf > 0 ? nf : 1, sizeof(*r->frameworks));
    r->executors = mc_calloc(a->rt.alloc, n > 0 ? n : 1, sizeof(*r->executors));
    if (r->items == NULL || r->tasks == NULL || r->frameworks == NULL || r->executors == NULL)
        return MC_ENOMEM;
    report_executors(a, r);
    MC_LIST_FOR_EACH(it, &a->frameworks) {
        r->frameworks[r->n_frameworks++] = MC_CONTAINER_OF(it, struct agent_framework, link)->info;
    }
    MC_LIST_FOR_EACH(it, &a->tasks) {
        struct agent_task *t = MC_CONTAINER_OF(it, struct agent_task, link);
        if (t->framework == NULL)
            continue; /* only a reconciliation's answer: Mesos has no task for it */
        struct agent_report_task *rt = &r->items[r->n_tasks];
        const Mesos__V1__TaskInfo *ti = t->info;
        /* A task group's executor is reported apart (report_executors). */
        size_t nres = ti->n_resources +
                      (ti->executor != NULL && t->task_group == 0 ? ti->executor->n_resources : 0);
        rt->resources = nres > 0 ? mc_calloc(a->rt.alloc, nres, sizeof(*rt->resources)) : NULL;
        if (nres > 0 && rt->resources == NULL)
            return MC_ENOMEM;
        /* The executor's resources go with its task: the master holds them for it. */
        for (size_t i = 0; i < ti->n_resources; i++)
            rt->resources[i] = ti->resources[i];
        for (size_t i = 0; ti->n_resources + i < nres; i++)
            rt->resources[ti->n_resources + i] = ti->executor->resources[i];
        mesos__v1__task__init(&rt->task);
        mesos__v1__framework_id__init(&rt->framework_id);
        rt->framework_id.value = t->framework_id;
        rt->task.name = ti->name;
        rt->task.task_id = ti->task_id;
        rt->task.framework_id = &rt->framework_id;
        rt->task.agent_id = agent_id;
        rt->task.state = t->state;
        rt->task.n_resources = nres;
        rt->task.resources = rt->resources;
        if (ti->executor != NULL)
            rt->task.executor_id = ti->executor->executor_id;
        rt->task.has_status_update_state = t->has_status_update_state;
        rt->task.status_update_state = t->status_update_state;
        rt->task.has_status_update_uuid = t->has_status_update_state;
        rt->task.status_update_uuid.data = t->status_update_uuid;
        rt->task.status_update_uuid.len = sizeof(t->status_update_uuid);
        r->tasks[r->n_tasks++] = &rt->task;
    }
    return 0;
}

void agent__report_deinit(struct agent *a, struct agent_report *r)
{
    for (size_t i = 0; r->items != NULL && i < r->n_tasks; i++)
        mc_free(a->rt.alloc, r->items[i].resources);
    mc_free(a->rt.alloc, r->items);
    mc_free(a->rt.alloc, r->tasks);
    mc_free(a->rt.alloc, r->frameworks);
    mc_free(a->rt.alloc, r->executors);
    agent__report_init(r);
}

/* One task the master knows and this agent does not: a terminal update of its own. */
static void reconcile_unknown(struct agent *a, const char *framework_id, const char *task_id,
                              int partition_aware)
{
    if (a->tasks_count >= MC_AGENT_TASKS_MAX || strlen(framework_id) >= MC_TASK_ID_BYTES_MAX ||
        strlen(task_id) >= MC_TASK_ID_BYTES_MAX) {
        agent__log(a, RT_LOG_WARN, "reconciliation of task %s not answered (limit)", task_id);
        return;
    }
    struct agent_task *t = mc_calloc(a->rt.alloc, 1, sizeof(*t));
    if (t == NULL) {
        agent__log(a, RT_LOG_ERROR, "reconciliation of task %s: out of memory", task_id);
        return;
    }
    t->agent = a;
    mc_buf_init(&t->checkpoint_packed, AGENT_CHECKPOINT_ITEM_BYTES_MAX, a->rt.alloc);
    snprintf(t->framework_id, sizeof(t->framework_id), "%s", framework_id);
    snprintf(t->task_id, sizeof(t->task_id), "%s", task_id);
    mc_list_push_back(&a->tasks, &t->link);
    a->tasks_count++;
    a->stats.reconciliations_answered++;
    agent__log(a, RT_LOG_WARN, "reconciling task %s: task unknown to the agent", task_id);
    update_push_from(t, partition_aware ? TASK_STATE(TASK_DROPPED) : TASK_STATE(TASK_LOST),
                     update_messages[3], SOURCE(SOURCE_AGENT), 1,
                     MESOS__V1__TASK_STATUS__REASON__REASON_RECONCILIATION);
}

void agent__tasks_reconcile(struct agent *a,
                            MesosConform__Internal__Event__ReconcileTasks *const *recs, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const MesosConform__Internal__Event__ReconcileTasks *rec = recs[i];
        int aware = rec->framework != NULL &&
                    framework_capable(rec->framework,
                                      MESOS__V1__FRAMEWORK_INFO__CAPABILITY__TYPE__PARTITION_AWARE);
        for (size_t k = 0; k < rec->n_statuses; k++) {
            const char *task_id = rec->statuses[k]->task_id->value;
            /* A task the agent has needs no answer: its own updates go on. */
            if (task_find(a, rec->framework_id->value, task_id) == NULL)
                reconcile_unknown(a, rec->framework_id->value, task_id, aware);
        }
    }
}

void agent__tasks_forget_all(struct agent *a)
{
    agent__tasks_free(a);
    a->checkpoint_dirty = 1;
    agent__tasks_checkpoint(a);
}
