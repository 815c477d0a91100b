/*
 * executor.c: the agent's simulated command executor and its status update
 * manager (SPEC.md T1, T2, T4, T7, T8, T10).
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
 * Every status goes through the status update manager, as Mesos' agent
 * (src/slave/task_status_update_manager.cpp): each update gets a fresh
 * UUID and waits in its task's queue; only the head of a queue is sent
 * (STATUS_UPDATE), and it is resent after 10 s, then 20 s, 40 s ... up to
 * 10 min, until ACKNOWLEDGE_UPDATE with its uuid arrives; then the next one
 * is sent at once. A task whose terminal update is acknowledged is
 * forgotten. Pending heads are resent at once on RESEND_UPDATES (T10) and
 * after every (re-)registration.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent_internal.h"
#include "mc_assert.h"

#define TASK_STATE(name) MESOS__V1__TASK_STATE__##name

struct agent_update {
    Mesos__V1__TaskState state;
    const char *message; /* a constant, or NULL */
    uint8_t uuid[16];
    double timestamp;
};

struct agent_task {
    struct mc_list_node link; /* in agent.tasks */
    struct agent *agent;
    char framework_id[MC_TASK_ID_BYTES_MAX];
    char task_id[MC_TASK_ID_BYTES_MAX];
    char executor_id[MC_TASK_ID_BYTES_MAX];
    int killing_capable; /* the framework has TASK_KILLING_STATE */
    Mesos__V1__TaskState state; /* the latest state the executor reported */
    struct rt_timer run_timer;  /* "sleep N": when it finishes */
    struct agent_update queue[MC_AGENT_TASK_UPDATES_MAX]; /* unacknowledged, oldest first */
    uint32_t queue_head;
    uint32_t queue_count;
    struct rt_timer retry_timer;
    uint64_t retry_ns; /* the wait after the next send */
    uint32_t terminal_pushed; /* terminal states reported: at most one (invariant) */
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
        if (strcmp(t->framework_id, framework_id) == 0 && strcmp(t->task_id, task_id) == 0)
            return t;
    }
    return NULL;
}

static void task_free(struct agent *a, struct agent_task *t)
{
    if (t->run_timer.active)
        rt_timer_cancel(&a->rt, &t->run_timer);
    if (t->retry_timer.active)
        rt_timer_cancel(&a->rt, &t->retry_timer);
    mc_list_remove(&t->link);
    a->tasks_count--;
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
    status.source = MESOS__V1__TASK_STATUS__SOURCE__SOURCE_EXECUTOR;
    status.agent_id = &aid;
    status.executor_id = &eid;
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
        agent__call_post(a, &call, a->stream_id) != 0)
        a->stats.updates_sent++;
    rt_timer_start(&a->rt, &t->retry_timer, t->retry_ns, retry_fire);
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

/* The executor reports state: queued, and sent at once when nothing is pending. */
static void update_push(struct agent_task *t, Mesos__V1__TaskState state, const char *message)
{
    struct agent *a = t->agent;
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
    t->queue_count++;
    if (t->queue_count == 1) {
        t->retry_ns = AGENT_STATUS_UPDATE_RETRY_NS_MIN;
        head_send(t);
    }
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
    update_push(t, TASK_STATE(TASK_FINISHED), "Command exited with status 0");
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

static int framework_killing_capable(const Mesos__V1__FrameworkInfo *info)
{
    for (size_t i = 0; i < info->n_capabilities; i++)
        if (info->capabilities[i]->has_type &&
            info->capabilities[i]->type ==
                MESOS__V1__FRAMEWORK_INFO__CAPABILITY__TYPE__TASK_KILLING_STATE)
            return 1;
    return 0;
}

static void task_run(struct agent *a, const MesosConform__Internal__Event__RunTask *run)
{
    const Mesos__V1__TaskInfo *ti = run->task;
    const char *fw_id = run->framework_info->id != NULL ? run->framework_info->id->value : "";
    if (task_find(a, fw_id, ti->task_id->value) != NULL || a->tasks_count >= MC_AGENT_TASKS_MAX ||
        strlen(fw_id) >= MC_TASK_ID_BYTES_MAX || strlen(ti->task_id->value) >= MC_TASK_ID_BYTES_MAX) {
        agent__log(a, RT_LOG_WARN, "RUN_TASK refused (duplicate, too long or too many): %s",
                   ti->task_id->value);
        return;
    }
    struct agent_task *t = mc_calloc(a->rt.alloc, 1, sizeof(*t));
    if (t == NULL) {
        agent__log(a, RT_LOG_ERROR, "RUN_TASK %s: out of memory", ti->task_id->value);
        return;
    }
    t->agent = a;
    snprintf(t->framework_id, sizeof(t->framework_id), "%s", fw_id);
    snprintf(t->task_id, sizeof(t->task_id), "%s", ti->task_id->value);
    const Mesos__V1__CommandInfo *cmd = ti->command;
    if (ti->executor != NULL) {
        cmd = ti->executor->command;
        snprintf(t->executor_id, sizeof(t->executor_id), "%s",
                 ti->executor->executor_id != NULL ? ti->executor->executor_id->value : "");
    } else {
        snprintf(t->executor_id, sizeof(t->executor_id), "%s", ti->task_id->value);
    }
    t->killing_capable = framework_killing_capable(run->framework_info);
    mc_list_push_back(&a->tasks, &t->link);
    a->tasks_count++;
    a->stats.tasks_launched++;
    const char *value = cmd != NULL && cmd->value != NULL ? cmd->value : "";
    update_push(t, TASK_STATE(TASK_STARTING), NULL);
    update_push(t, TASK_STATE(TASK_RUNNING), NULL);
    int64_t ns = sleep_ns(value);
    if (strcmp(value, "true") == 0)
        update_push(t, TASK_STATE(TASK_FINISHED), "Command exited with status 0");
    else if (strcmp(value, "false") == 0)
        update_push(t, TASK_STATE(TASK_FAILED), "Command exited with status 1");
    else if (ns >= 0)
        rt_timer_start(&a->rt, &t->run_timer, (uint64_t)ns, run_fire);
}

/* KILL_TASK and SHUTDOWN_EXECUTOR: KILLING (when the framework knows it), then KILLED (T4, T8). */
static void task_kill(struct agent_task *t)
{
    if (state_terminal(t->state))
        return;
    if (t->run_timer.active)
        rt_timer_cancel(&t->agent->rt, &t->run_timer);
    if (t->killing_capable && t->state != TASK_STATE(TASK_KILLING))
        update_push(t, TASK_STATE(TASK_KILLING), NULL);
    update_push(t, TASK_STATE(TASK_KILLED), "Command terminated with signal Terminated");
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
        found |= strcmp(t->framework_id, fm->framework_id->value) == 0 &&
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
    } else if (ev->has_type && ev->type == IEVENT(KILL_TASK) && ev->kill_task != NULL) {
        struct agent_task *t =
            task_find(a, ev->kill_task->framework_id->value, ev->kill_task->task_id->value);
        if (t != NULL)
            task_kill(t);
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
}

void agent__tasks_free(struct agent *a)
{
    struct mc_list_node *it, *tmp;
    MC_LIST_FOR_EACH_SAFE(it, tmp, &a->tasks) {
        task_free(a, MC_CONTAINER_OF(it, struct agent_task, link));
    }
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
