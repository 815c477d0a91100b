/*
 * tasks.c: the master's tasks (SPEC.md T1-T11, O5's LAUNCH, A3-A7, L9, M1).
 *
 * Theory of operation. Each framework keeps its tasks in launch order
 * (struct framework.tasks). A LAUNCH that passes Mesos' checks
 * (src/master/master.cpp `_accept`, src/master/validation.cpp) makes a task
 * in TASK_STAGING whose resources stay held in the allocator for the
 * framework; the master sends RUN_TASK to the agent on its internal stream.
 * The agent's executor answers with status updates (STATUS_UPDATE calls,
 * each with a uuid): the master records the state, forwards the status as
 * an UPDATE event with that uuid, and gives the resources back when the
 * state is terminal. The scheduler's ACKNOWLEDGE goes to the agent as
 * ACKNOWLEDGE_UPDATE; an acknowledged terminal update makes the master
 * forget the task (Mesos' removeTask), so that reconciling it afterwards
 * answers as for an unknown task (T6).
 *
 * Updates the master makes itself (invalid launches, reconciliation,
 * partitions) carry no uuid and need no acknowledgement (T2). A task whose
 * agent became UNREACHABLE is marked unreachable: it keeps its resources
 * and its last known state, is left out of implicit reconciliation and is
 * reported TASK_UNREACHABLE (TASK_LOST for frameworks without
 * PARTITION_AWARE) until the agent re-registers (A3, A4).
 *
 * Task groups (LAUNCH_GROUP, `_accept`): the tasks run under one DEFAULT
 * executor, which the master records (struct master_executor) with its
 * resources, held apart from its tasks' from the launch that starts it
 * until none of its tasks is live, when Mesos' default executor exits;
 * a later group for the same executor joins it. Both LAUNCH and
 * LAUNCH_GROUP take their resources from what remains of the ACCEPT's
 * offers after the operations before them (operations.c).
 *
 * Re-registration (src/master/master.cpp `_reregisterSlave`): the agent
 * lists every task it has. An agent the master knew (REGISTERED or
 * DISCONNECTED) keeps the master's tasks; the ones it left out are sent
 * back to it in REGISTERED.reconciliations, and it answers each it does
 * not know with TASK_DROPPED or TASK_LOST (`reconcileKnownSlave`); a task
 * killed while the agent could not hear it is killed again. Any other
 * agent (RECOVERED after a failover, UNREACHABLE, or an id the master
 * never saw) brings its tasks back as they are (`__reregisterSlave`): each
 * is added again with its resources allocated, under a framework made
 * RECOVERED from the agent's FrameworkInfo when the master does not know
 * it (M1); the unreachable ones not listed are forgotten; and, unless the
 * agent was RECOVERED, each listed task's framework gets an UPDATE with the
 * task's state, REASON_AGENT_REREGISTERED (A4). Tasks of frameworks the
 * master removed are never added, and the agent is told to shut those
 * frameworks down (A7); the task group executors it lists come back with
 * their resources. An agent REMOVED for a new one at its address loses its
 * tasks: TASK_LOST, REASON_AGENT_REMOVED (A9, Mesos' _removeSlave).
 */
#include <stdio.h>
#include <string.h>

#include "agents.h"
#include "master_internal.h"
#include "mc_assert.h"
#include "mc_buf.h"
#include "mc_limits.h"
#include "pbjson.h"
#include "resources.h"

#define TASK_STATE(name) MESOS__V1__TASK_STATE__##name
#define REASON(name) MESOS__V1__TASK_STATUS__REASON__##name
#define IEVENT(name) MESOS_CONFORM__INTERNAL__EVENT__TYPE__##name

struct master_task {
    struct mc_list_node link; /* in framework.tasks, in launch order */
    char id[MC_TASK_ID_BYTES_MAX];
    char agent_id[MC_AGENT_ID_BYTES_MAX];
    char executor_id[MC_TASK_ID_BYTES_MAX]; /* the command executor's id is the task's */
    int has_executor; /* an ExecutorInfo (LAUNCH with one, LAUNCH_GROUP): Task.executor_id */
    char role[MC_RES_ROLE_BYTES_MAX];
    struct res_set resources; /* allocated to role; held until the task is terminal */
    int resources_held;
    struct master_hold hold; /* while resources_held */
    /* The latest state an agent reported, STAGING at launch; kept once terminal
     * (Mesos' Task.state, Master::updateTask). */
    Mesos__V1__TaskState state;
    int unreachable;            /* its agent is UNREACHABLE (A3) */
    uint64_t unreachable_ns;
    /* The state and uuid of the last update with a uuid forwarded to the
     * framework (Mesos' Task.status_update_state and status_update_uuid,
     * set by Master::forward): reconciliation answers it, and its
     * acknowledgement, when terminal, removes the task. */
    int has_status_update_state;
    Mesos__V1__TaskState status_update_state;
    uint8_t uuid[16];
    int has_uuid;
    int kill_requested; /* KILL reached the master: Mesos' Slave::killedTasks (T4) */
};

static void log_text(struct master *m, enum rt_log_level level, const char *what, const char *id)
{
    char text[MC_TASK_MESSAGE_BYTES_MAX + MC_TASK_ID_BYTES_MAX];
    snprintf(text, sizeof(text), "%s %s", what, id);
    m->rt.ops->log(m->rt.ctx, level, text);
}

static int fw_capable(const struct framework *fw, Mesos__V1__FrameworkInfo__Capability__Type type)
{
    for (size_t i = 0; fw->info != NULL && i < fw->info->n_capabilities; i++)
        if (fw->info->capabilities[i]->has_type && fw->info->capabilities[i]->type == type)
            return 1;
    return 0;
}

static int partition_aware(const struct framework *fw)
{
    return fw_capable(fw, MESOS__V1__FRAMEWORK_INFO__CAPABILITY__TYPE__PARTITION_AWARE);
}

/* Mesos' protobuf::isTerminalState. */
static int state_terminal(Mesos__V1__TaskState s)
{
    return s == TASK_STATE(TASK_FINISHED) || s == TASK_STATE(TASK_FAILED) ||
           s == TASK_STATE(TASK_KILLED) || s == TASK_STATE(TASK_ERROR) ||
           s == TASK_STATE(TASK_LOST) || s == TASK_STATE(TASK_DROPPED) ||
           s == TASK_STATE(TASK_GONE) || s == TASK_STATE(TASK_GONE_BY_OPERATOR);
}

/* What reconciliation answers for t: the state of the last update forwarded, else the latest. */
static Mesos__V1__TaskState task_reconciled_state(const struct master_task *t)
{
    return t->has_status_update_state ? t->status_update_state : t->state;
}

static struct master_task *task_find(struct framework *fw, const char *task_id)
{
    return mc_strmap_get(&fw->tasks_by_id, task_id);
}

/* Adds t to fw's tasks; 0 or MC_ENOMEM (MC_EEXIST cannot be: callers look the id up first). */
static int task_link(struct framework *fw, struct master_task *t)
{
    int err = mc_strmap_put(&fw->tasks_by_id, t->id, t);
    if (err != 0)
        return err;
    mc_list_push_back(&fw->tasks, &t->link);
    fw->tasks_count++;
    return 0;
}

static void task_unlink(struct framework *fw, struct master_task *t)
{
    mc_list_remove(&t->link);
    struct master_task *indexed = mc_strmap_del(&fw->tasks_by_id, t->id);
    MC_ASSERT(indexed == t);
    fw->tasks_count--;
}

/* Gives the task's resources back to the allocator, once. */
static void task_release(struct master *m, struct framework *fw, struct master_task *t)
{
    if (!t->resources_held)
        return;
    t->resources_held = 0;
    master__hold_end(m, &t->hold);
    master__offers_give_back(m, fw->id, t->agent_id, t->role, &t->resources, NULL);
}

static void task_forget(struct master *m, struct framework *fw, struct master_task *t)
{
    task_release(m, fw, t);
    task_unlink(fw, t);
    res_set_deinit(&t->resources);
    mc_free(m->rt.alloc, t);
}

/* ---- status updates to the scheduler ---- */

/* The parts of a TaskStatus the master writes; strings are borrowed. */
struct status_msg {
    Mesos__V1__TaskStatus status;
    Mesos__V1__TaskID task_id;
    Mesos__V1__AgentID agent_id;
    Mesos__V1__TimeInfo unreachable_time;
};

/* A SOURCE_MASTER status as Mesos' createStatusUpdate writes it (agent_id may be NULL). */
static void status_fill(struct master *m, struct status_msg *s, const char *task_id,
                        const char *agent_id, Mesos__V1__TaskState state,
                        Mesos__V1__TaskStatus__Reason reason, const char *message)
{
    mesos__v1__task_status__init(&s->status);
    mesos__v1__task_id__init(&s->task_id);
    mesos__v1__agent_id__init(&s->agent_id);
    mesos__v1__time_info__init(&s->unreachable_time);
    s->task_id.value = (char *)task_id;
    s->status.task_id = &s->task_id;
    s->status.state = state;
    s->status.message = (char *)message;
    s->status.has_source = 1;
    s->status.source = MESOS__V1__TASK_STATUS__SOURCE__SOURCE_MASTER;
    s->status.has_reason = 1;
    s->status.reason = reason;
    s->status.has_timestamp = 1;
    s->status.timestamp = (double)rt_now_ns(&m->rt) / (double)RT_NS_PER_SEC;
    if (agent_id != NULL) {
        s->agent_id.value = (char *)agent_id;
        s->status.agent_id = &s->agent_id;
    }
}

static void status_unreachable_time_set(struct status_msg *s, uint64_t ns)
{
    s->unreachable_time.nanoseconds = (int64_t)ns;
    s->status.unreachable_time = &s->unreachable_time;
}

/* UPDATE {status} on fw's stream (nothing when it has none). */
static void update_send(struct master *m, struct framework *fw, Mesos__V1__TaskStatus *status)
{
    Mesos__V1__Scheduler__Event ev = MESOS__V1__SCHEDULER__EVENT__INIT;
    Mesos__V1__Scheduler__Event__Update update = MESOS__V1__SCHEDULER__EVENT__UPDATE__INIT;
    update.status = status;
    ev.has_type = 1;
    ev.type = MESOS__V1__SCHEDULER__EVENT__TYPE__UPDATE;
    ev.update = &update;
    master__framework_send(m, fw, &ev);
}

static void update_master_send(struct master *m, struct framework *fw, const char *task_id,
                               const char *agent_id, Mesos__V1__TaskState state,
                               Mesos__V1__TaskStatus__Reason reason, const char *message)
{
    struct status_msg s;
    status_fill(m, &s, task_id, agent_id, state, reason, message);
    update_send(m, fw, &s.status);
}

/* ---- task group executors ---- */

/*
 * The DEFAULT executor of a task group (LAUNCH_GROUP) on one agent: the
 * master holds its resources apart from its tasks', from the launch that
 * starts it until none of its tasks is live any more, which is when
 * Mesos' default executor exits and the agent reports it gone
 * (Master::removeExecutor). Tasks of LAUNCH keep their executor's
 * resources with their own, as before.
 */
struct master_executor {
    struct mc_list_node link; /* in master.executors, in launch order */
    char framework_id[MASTER_CLIENT_ID_BYTES_MAX];
    char id[MC_TASK_ID_BYTES_MAX];
    char agent_id[MC_AGENT_ID_BYTES_MAX];
    char role[MC_RES_ROLE_BYTES_MAX];
    Mesos__V1__ExecutorInfo *info; /* owned (pb_alloc): what later groups must match */
    struct res_set resources;      /* allocated to role */
    int resources_held;
    struct master_hold hold; /* while resources_held */
};

static struct master_executor *executor_find(struct master *m, const char *framework_id,
                                             const char *agent_id, const char *executor_id)
{
    struct mc_list_node *it;
    MC_LIST_FOR_EACH(it, &m->executors) {
        struct master_executor *e = MC_CONTAINER_OF(it, struct master_executor, link);
        if (strcmp(e->framework_id, framework_id) == 0 && strcmp(e->agent_id, agent_id) == 0 &&
            strcmp(e->id, executor_id) == 0)
            return e;
    }
    return NULL;
}

/* A deep copy of msg through the master's allocator, or NULL. */
static ProtobufCMessage *message_copy(struct master *m, const ProtobufCMessage *msg)
{
    struct mc_buf bytes;
    mc_buf_init(&bytes, MC_RECORD_BYTES_MAX, m->rt.alloc);
    ProtobufCMessage *copy = NULL;
    if (pbjson_pack(msg, &bytes) != 0 ||
        pbjson_unpack(msg->descriptor, bytes.data, bytes.len, &m->pb_alloc, &copy, NULL) != 0)
        copy = NULL;
    mc_buf_deinit(&bytes);
    return copy;
}

/* Whether a and b pack to the same bytes (protobuf equality for what we compare). */
static int message_equal(struct master *m, const ProtobufCMessage *a, const ProtobufCMessage *b)
{
    struct mc_buf x, y;
    mc_buf_init(&x, MC_RECORD_BYTES_MAX, m->rt.alloc);
    mc_buf_init(&y, MC_RECORD_BYTES_MAX, m->rt.alloc);
    int equal = pbjson_pack(a, &x) == 0 && pbjson_pack(b, &y) == 0 && x.len == y.len &&
                (x.len == 0 || memcmp(x.data, y.data, x.len) == 0);
    mc_buf_deinit(&x);
    mc_buf_deinit(&y);
    return equal;
}

static void executor_free(struct master *m, struct master_executor *e)
{
    if (e->resources_held) {
        e->resources_held = 0;
        master__hold_end(m, &e->hold);
        master__offers_give_back(m, e->framework_id, e->agent_id, e->role, &e->resources, NULL);
    }
    mc_list_remove(&e->link);
    m->executors_count--;
    res_set_deinit(&e->resources);
    if (e->info != NULL)
        protobuf_c_message_free_unpacked(&e->info->base, &m->pb_alloc);
    mc_free(m->rt.alloc, e);
}

/* Whether fw has a live (not terminal) task under executor e. */
static int executor_live(struct framework *fw, const struct master_executor *e)
{
    struct mc_list_node *it;
    MC_LIST_FOR_EACH(it, &fw->tasks) {
        const struct master_task *t = MC_CONTAINER_OF(it, struct master_task, link);
        if (strcmp(t->agent_id, e->agent_id) == 0 && strcmp(t->executor_id, e->id) == 0 &&
            !state_terminal(t->state))
            return 1;
    }
    return 0;
}

/* The executors with no live task left are gone (of framework_id, or all when NULL). */
static void executors_reap(struct master *m, const char *framework_id)
{
    struct mc_list_node *it, *tmp;
    MC_LIST_FOR_EACH_SAFE(it, tmp, &m->executors) {
        struct master_executor *e = MC_CONTAINER_OF(it, struct master_executor, link);
        if (framework_id != NULL && strcmp(e->framework_id, framework_id) != 0)
            continue;
        struct framework *fw = master__framework_find(m, e->framework_id);
        if (fw == NULL || !executor_live(fw, e))
            executor_free(m, e);
    }
}

/* A new record for executor info of fw on agent_id holding resources (allocated to role). */
static struct master_executor *executor_new(struct master *m, struct framework *fw,
                                            const char *agent_id, const char *role,
                                            const Mesos__V1__ExecutorInfo *info,
                                            const struct res_set *resources)
{
    if (m->executors_count >= MC_MASTER_EXECUTORS_MAX)
        return NULL;
    struct master_executor *e = mc_calloc(m->rt.alloc, 1, sizeof(*e));
    if (e == NULL)
        return NULL;
    snprintf(e->framework_id, sizeof(e->framework_id), "%s", fw->id);
    snprintf(e->id, sizeof(e->id), "%s", info->executor_id->value);
    snprintf(e->agent_id, sizeof(e->agent_id), "%s", agent_id);
    snprintf(e->role, sizeof(e->role), "%s", role);
    res_set_init(&e->resources, m->rt.alloc);
    e->info = (Mesos__V1__ExecutorInfo *)message_copy(m, &info->base);
    if (e->info == NULL || res_set_copy(&e->resources, resources) != 0) {
        res_set_deinit(&e->resources);
        if (e->info != NULL)
            protobuf_c_message_free_unpacked(&e->info->base, &m->pb_alloc);
        mc_free(m->rt.alloc, e);
        return NULL;
    }
    e->resources_held = !res_set_empty(resources);
    if (e->resources_held)
        master__hold_start(m, &e->hold, e->agent_id, &e->resources);
    mc_list_push_back(&m->executors, &e->link);
    m->executors_count++;
    return e;
}

void master__tasks_executors_free(struct master *m)
{
    struct mc_list_node *it, *tmp;
    if (m->executors.next == NULL)
        return; /* master_create failed before the list was made */
    MC_LIST_FOR_EACH_SAFE(it, tmp, &m->executors) {
        struct master_executor *e = MC_CONTAINER_OF(it, struct master_executor, link);
        e->resources_held = 0; /* the allocator is gone with the master */
        executor_free(m, e);
    }
}

/* ---- LAUNCH and LAUNCH_GROUP (O5, T1) ---- */

void master__tasks_update_master(struct master *m, struct framework *fw, const char *task_id,
                                 const char *agent_id, Mesos__V1__TaskState state,
                                 Mesos__V1__TaskStatus__Reason reason, const char *message)
{
    update_master_send(m, fw, task_id, agent_id, state, reason, message);
}

/* A negative DurationInfo (kill policy, completion time, grace period). */
static int duration_negative(const Mesos__V1__DurationInfo *d)
{
    return d != NULL && d->nanoseconds < 0;
}

/*
 * Resources of a task or executor (arr) as the master holds them: added
 * to *out allocated to the offers' role unless they name theirs; then
 * validateUniquePersistenceID and validateAllocatedToSingleRole. NULL or
 * the reason (with what's prefixes for the three kinds of failure).
 */
static const char *resources_take(struct master *m, Mesos__V1__Resource *const *arr, size_t n,
                                  const char *role, const char *invalid, const char *duplicate,
                                  const char *single, struct res_set *out, char *why,
                                  size_t why_bytes)
{
    char inner[MC_TASK_MESSAGE_BYTES_MAX];
    const char *bad = master__resources_validate(m, arr, n, inner, sizeof(inner));
    if (bad != NULL)
        return snprintf(why, why_bytes, "%s%s", invalid, bad), why;
    for (size_t i = 0; i < n; i++) {
        const Mesos__V1__Resource__DiskInfo *d = arr[i]->disk;
        for (size_t k = 0; d != NULL && d->persistence != NULL && k < i; k++) {
            const Mesos__V1__Resource__DiskInfo *e = arr[k]->disk;
            if (e != NULL && e->persistence != NULL &&
                strcmp(d->persistence->id, e->persistence->id) == 0)
                return snprintf(why, why_bytes, "%sPersistence ID '%s' is not unique", duplicate,
                                d->persistence->id), why;
        }
    }
    const char *first = NULL;
    for (size_t i = 0; i < n; i++) {
        const char *r = arr[i]->allocation_info != NULL && arr[i]->allocation_info->role != NULL
                            ? arr[i]->allocation_info->role
                            : role;
        if (first != NULL && strcmp(first, r) != 0)
            return snprintf(why, why_bytes, "%sThe resources have multiple allocation roles ('%s'"
                            " and '%s') but only one allocation role is allowed", single, r,
                            first), why;
        first = r;
    }
    struct mc_diag diag;
    mc_diag_clear(&diag);
    if (master__resources_from_op(m, arr, n, role, out, &diag) != 0)
        return snprintf(why, why_bytes, "%s%s", invalid, diag.text), why;
    return NULL;
}

/* "Total resources <need> required by <what> <is|are> more than available <have>". */
static const char *total_check(struct master *m, const struct res_set *need,
                               const struct res_set *have, const char *what, char *why,
                               size_t why_bytes)
{
    if (res_set_contains(have, need))
        return NULL;
    char a[MC_OPS_RESOURCES_TEXT_BYTES_MAX], b[MC_OPS_RESOURCES_TEXT_BYTES_MAX];
    master__resources_text(m, need, a, sizeof(a));
    master__resources_text(m, have, b, sizeof(b));
    snprintf(why, why_bytes, "Total resources %s required by %s more than available %s", a, what,
             b);
    return why;
}

/*
 * validation::task::internal::validateTask in Mesos' order (the checks of
 * health checks, command and container infos are not modelled). *need
 * gets the task's resources as the master holds them.
 */
static const char *task_check(struct master *m, struct framework *fw, const Mesos__V1__TaskInfo *ti,
                              const struct offers_taken *taken, struct res_set *need, char *why,
                              size_t why_bytes)
{
    const char *id = ti->task_id->value;
    const char *bad = master__id_problem(id, why, why_bytes);
    if (bad != NULL)
        return bad;
    const struct master_task *t = task_find(fw, id);
    if (t != NULL && t->unreachable)
        return snprintf(why, why_bytes, "Task reuses the ID of an unreachable task: %s", id), why;
    if (t != NULL)
        return snprintf(why, why_bytes, "Task has duplicate ID: %s", id), why;
    if (strcmp(ti->agent_id->value, taken->agent_id) != 0)
        return snprintf(why, why_bytes, "Task uses invalid agent %s while agent %s is expected",
                        ti->agent_id->value, taken->agent_id), why;
    if (ti->kill_policy != NULL && duration_negative(ti->kill_policy->grace_period))
        return "Task's 'kill_policy.grace_period' must be non-negative";
    if (duration_negative(ti->max_completion_time))
        return "Task's `max_completion_time` must be non-negative";
    if (ti->n_resources == 0)
        return "Task uses no resources";
    bad = resources_take(m, ti->resources, ti->n_resources, taken->role,
                         "Task uses invalid resources: ", "Task uses duplicate persistence ID: ",
                         "Invalid task resources: ", need, why, why_bytes);
    if (bad != NULL)
        return bad;
    if (ti->n_limits > 0) /* the reference agent has no TASK_RESOURCE_LIMITS */
        return "Agent is not capable of handling task resource limits";
    return NULL;
}

/*
 * validation::executor::internal::validate: the ExecutorInfo's own checks
 * (type, id, grace period), its framework id (framework_id_missing: what
 * to answer when it is not set; LAUNCH fills it in, LAUNCH_GROUP does
 * not), its resources into *need.
 */
static const char *executor_check(struct master *m, struct framework *fw,
                                  const Mesos__V1__ExecutorInfo *e, const char *role,
                                  int framework_id_filled, struct res_set *need, char *why,
                                  size_t why_bytes)
{
    int type = e->has_type ? (int)e->type : MESOS__V1__EXECUTOR_INFO__TYPE__UNKNOWN;
    if (type == MESOS__V1__EXECUTOR_INFO__TYPE__DEFAULT) {
        if (e->command != NULL)
            return "'ExecutorInfo.command' must not be set for 'DEFAULT' executor";
        if (e->container != NULL && e->container->type != MESOS__V1__CONTAINER_INFO__TYPE__MESOS)
            return "'ExecutorInfo.container.type' must be 'MESOS' for 'DEFAULT' executor";
        if (e->container != NULL && e->container->mesos != NULL &&
            e->container->mesos->image != NULL)
            return "'ExecutorInfo.container.mesos.image' must not be set for 'DEFAULT' executor";
    } else if (type == MESOS__V1__EXECUTOR_INFO__TYPE__CUSTOM && e->command == NULL) {
        return "'ExecutorInfo.command' must be set for 'CUSTOM' executor";
    }
    const char *bad = master__id_problem(e->executor_id->value, why, why_bytes);
    if (bad != NULL)
        return bad;
    if (duration_negative(e->shutdown_grace_period))
        return "ExecutorInfo's 'shutdown_grace_period' must be non-negative";
    if (e->framework_id == NULL && !framework_id_filled)
        return "'ExecutorInfo.framework_id' must be set";
    if (e->framework_id != NULL && strcmp(e->framework_id->value, fw->id) != 0)
        return snprintf(why, why_bytes, "ExecutorInfo has an invalid FrameworkID (Actual: %.255s "
                        "vs Expected: %s)", e->framework_id->value, fw->id), why;
    return resources_take(m, e->resources, e->n_resources, role,
                          "Executor uses invalid resources: ",
                          "Executor uses duplicate persistence ID: ",
                          "Invalid executor resources: ", need, why, why_bytes);
}

/*
 * Mesos' task checks (validation::task::validate) that the reference
 * models, in Mesos' order; NULL when the task may run, else the reason in
 * why. available is what is left of the offers (allocated to their role);
 * *need gets the task's resources (with its executor's) allocated to it.
 */
static const char *task_validate(struct master *m, struct framework *fw, const Mesos__V1__TaskInfo *ti,
                                 const struct offers_taken *taken, const struct res_set *available,
                                 struct res_set *need, char *why, size_t why_bytes)
{
    const char *bad = task_check(m, fw, ti, taken, need, why, why_bytes);
    if (bad != NULL)
        return bad;
    if ((ti->executor != NULL) == (ti->command != NULL))
        return "Task should have at least one (but not both) of CommandInfo or ExecutorInfo "
               "present";
    if (ti->executor != NULL) {
        const Mesos__V1__ExecutorInfo *e = ti->executor;
        bad = executor_check(m, fw, e, taken->role, 1, need, why, why_bytes);
        if (bad != NULL)
            return bad;
        if (e->has_type && e->type != MESOS__V1__EXECUTOR_INFO__TYPE__CUSTOM)
            return "'ExecutorInfo.type' must be 'CUSTOM'";
        if (e->command == NULL)
            return "'ExecutorInfo.command' must be set";
    }
    bad = total_check(m, need, available, "task and its executor is", why, why_bytes);
    if (bad != NULL)
        return bad;
    if (fw->tasks_count >= MC_MASTER_TASKS_PER_FRAMEWORK_MAX)
        return "Too many tasks for one framework"; /* the reference's own limit */
    return NULL;
}

/* RUN_TASK {framework_info, task} to the task's agent. */
static void run_task_send(struct master *m, struct framework *fw, const Mesos__V1__TaskInfo *ti)
{
    MesosConform__Internal__Event ev = MESOS_CONFORM__INTERNAL__EVENT__INIT;
    MesosConform__Internal__Event__RunTask run = MESOS_CONFORM__INTERNAL__EVENT__RUN_TASK__INIT;
    run.framework_info = fw->info;
    run.task = (Mesos__V1__TaskInfo *)ti;
    ev.has_type = 1;
    ev.type = IEVENT(RUN_TASK);
    ev.run_task = &run;
    if (master__agent_send(m, ti->agent_id->value, &ev) != 0)
        log_text(m, RT_LOG_WARN, "RUN_TASK not sent: agent not registered, task", ti->task_id->value);
}

/*
 * A valid task: recorded in STAGING with its resources held (none when
 * need is NULL: its executor holds them), under executor_id.
 */
static int task_record(struct master *m, struct framework *fw, const Mesos__V1__TaskInfo *ti,
                       const struct offers_taken *taken, const char *executor_id,
                       const struct res_set *need)
{
    struct master_task *t = mc_calloc(m->rt.alloc, 1, sizeof(*t));
    if (t == NULL)
        return MC_ENOMEM;
    snprintf(t->id, sizeof(t->id), "%s", ti->task_id->value);
    snprintf(t->agent_id, sizeof(t->agent_id), "%s", taken->agent_id);
    snprintf(t->role, sizeof(t->role), "%s", taken->role);
    snprintf(t->executor_id, sizeof(t->executor_id), "%s", executor_id);
    t->has_executor = ti->executor != NULL || strcmp(executor_id, ti->task_id->value) != 0;
    res_set_init(&t->resources, m->rt.alloc);
    int err = res_set_copy(&t->resources, need);
    if (err != 0) {
        res_set_deinit(&t->resources);
        mc_free(m->rt.alloc, t);
        return err;
    }
    t->state = TASK_STATE(TASK_STAGING);
    err = task_link(fw, t);
    if (err != 0) {
        res_set_deinit(&t->resources);
        mc_free(m->rt.alloc, t);
        return err;
    }
    t->resources_held = !res_set_empty(need);
    if (t->resources_held)
        master__hold_start(m, &t->hold, t->agent_id, &t->resources);
    return 0;
}

void master__tasks_launch(struct master *m, struct framework *fw,
                          const Mesos__V1__Offer__Operation__Launch *launch,
                          struct offers_taken *taken)
{
    for (size_t i = 0; launch != NULL && i < launch->n_task_infos; i++) {
        const Mesos__V1__TaskInfo *ti = launch->task_infos[i];
        char why[MC_TASK_MESSAGE_BYTES_MAX];
        struct res_set need;
        res_set_init(&need, m->rt.alloc);
        const char *bad = task_validate(m, fw, ti, taken, &taken->resources, &need, why,
                                        sizeof(why));
        const char *executor = ti->executor != NULL ? ti->executor->executor_id->value
                                                    : ti->task_id->value;
        int err = bad == NULL ? task_record(m, fw, ti, taken, executor, &need) : 0;
        if (bad == NULL && err == 0)
            err = master__resources_subtract_mesos(&taken->resources, &need);
        if (bad == NULL && err == 0)
            run_task_send(m, fw, ti);
        if (err != 0) {
            snprintf(why, sizeof(why), "%s", mc_strerror(err));
            bad = why;
        }
        res_set_deinit(&need);
        if (bad != NULL)
            update_master_send(m, fw, ti->task_id->value, ti->agent_id->value,
                               TASK_STATE(TASK_ERROR), REASON(REASON_TASK_INVALID), bad);
    }
}

/* Mesos' Resources::cpus(), mem() and disk(): the sum of the scalars of that name, or none. */
static int scalar_of(const struct res_set *set, const char *name, int64_t *milli)
{
    int found = 0;
    *milli = 0;
    for (uint32_t i = 0; i < set->count; i++) {
        if (set->items[i].type == RES_TYPE_SCALAR && strcmp(set->items[i].name, name) == 0) {
            found = 1;
            *milli += set->items[i].scalar_milli;
        }
    }
    return found;
}

/* stout's operator<< for Bytes, of a mem value in megabytes (thousandths). */
static void bytes_text(int64_t mem_milli, char *out, size_t out_bytes)
{
    /* Bytes(mem * 1 MiB), truncated as Megabytes(double) is. */
    uint64_t bytes = (uint64_t)(((double)mem_milli / 1000.0) * 1048576.0);
    static const char *const units[] = {"B", "KB", "MB", "GB", "TB"};
    int u = 0;
    uint64_t v = bytes;
    while (u < 4 && v != 0 && v % 1024 == 0) {
        v /= 1024;
        u++;
    }
    snprintf(out, out_bytes, "%llu%s", (unsigned long long)v, bytes == 0 ? "B" : units[u]);
}

/* Values of ranges and sets of one name across sets (ResourceQuantities of non-scalars). */
static uint64_t values_of(const struct res_set *set, const char *name)
{
    uint64_t n = 0;
    for (uint32_t i = 0; i < set->count; i++) {
        const struct res_item *it = &set->items[i];
        if (strcmp(it->name, name) != 0)
            continue;
        for (uint32_t k = 0; it->type == RES_TYPE_RANGES && k < it->ranges_count; k++)
            n += it->ranges[k].end - it->ranges[k].begin + 1;
        if (it->type == RES_TYPE_SET)
            n += it->elements_count;
    }
    return n;
}

/* detectOverlappingSetAndRangeResources: the parts' values add to more than their union's. */
static int overlapping(struct res_set *const *parts, size_t n, const struct res_set *sum)
{
    for (uint32_t i = 0; i < sum->count; i++) {
        if (sum->items[i].type == RES_TYPE_SCALAR)
            continue;
        uint64_t total = 0;
        for (size_t k = 0; k < n; k++)
            total += values_of(parts[k], sum->items[i].name);
        if (total != values_of(sum, sum->items[i].name))
            return 1;
    }
    return 0;
}

/* The state of one LAUNCH_GROUP while it is validated. */
struct group_check {
    struct res_set *tasks;   /* each task's resources, as held */
    struct res_set executor; /* the executor's */
    struct res_set total;    /* what the launch takes: tasks, and the executor if it starts */
    int launch_executor;
};

/* validation::task::group::internal::validateTask for every task, in order. */
static const char *group_tasks_check(struct master *m, struct framework *fw,
                                     const Mesos__V1__Offer__Operation__LaunchGroup *lg,
                                     const struct offers_taken *taken, struct group_check *g,
                                     char *why, size_t why_bytes)
{
    const Mesos__V1__TaskGroupInfo *tg = lg->task_group;
    for (size_t i = 0; i < tg->n_tasks; i++) {
        const Mesos__V1__TaskInfo *ti = tg->tasks[i];
        char inner[MC_TASK_MESSAGE_BYTES_MAX];
        const char *bad = task_check(m, fw, ti, taken, &g->tasks[i], inner, sizeof(inner));
        for (size_t k = 0; bad == NULL && k < i; k++) { /* Mesos would CHECK-fail on these */
            if (strcmp(tg->tasks[k]->task_id->value, ti->task_id->value) == 0) {
                snprintf(inner, sizeof(inner), "Task has duplicate ID: %s", ti->task_id->value);
                bad = inner;
            }
        }
        if (bad == NULL && ti->container != NULL &&
            ti->container->type == MESOS__V1__CONTAINER_INFO__TYPE__DOCKER)
            bad = "Docker ContainerInfo is not supported on the task";
        if (bad != NULL)
            return snprintf(why, why_bytes, "Task '%.255s' is invalid: %.7000s", ti->task_id->value,
                            bad), why;
    }
    return NULL;
}

/* validation::task::group::internal::validateExecutor, in Mesos' order. */
static const char *group_executor_check(struct master *m, struct framework *fw,
                                        const Mesos__V1__Offer__Operation__LaunchGroup *lg,
                                        const struct offers_taken *taken, struct group_check *g,
                                        char *why, size_t why_bytes)
{
    const Mesos__V1__ExecutorInfo *e = lg->executor;
    const Mesos__V1__TaskGroupInfo *tg = lg->task_group;
    const char *bad = executor_check(m, fw, e, taken->role, 0, &g->executor, why, why_bytes);
    if (bad != NULL)
        return bad;
    struct master_executor *running = executor_find(m, fw->id, taken->agent_id,
                                                    e->executor_id->value);
    if (running != NULL && !message_equal(m, &running->info->base, &e->base))
        return "ExecutorInfo is not compatible with existing ExecutorInfo with same ExecutorID";
    g->launch_executor = running == NULL;
    if (!e->has_type)
        return "'ExecutorInfo.type' must be set";
    if (e->type == MESOS__V1__EXECUTOR_INFO__TYPE__UNKNOWN)
        return "Unknown executor type";
    if (e->container != NULL && e->container->type == MESOS__V1__CONTAINER_INFO__TYPE__DOCKER)
        return "Docker ContainerInfo is not supported on the executor";
    for (size_t i = 0; i < tg->n_tasks; i++)
        if (tg->tasks[i]->executor != NULL && !message_equal(m, &tg->tasks[i]->executor->base,
                                                             &e->base))
            return snprintf(why, why_bytes, "The `ExecutorInfo` of task '%s' is different from "
                            "executor '%s'", tg->tasks[i]->task_id->value,
                            e->executor_id->value), why;
    int64_t cpus, mem, disk;
    const char *id = e->executor_id->value;
    if (!scalar_of(&g->executor, "cpus", &cpus) || cpus < 10) {
        char v[64];
        if (scalar_of(&g->executor, "cpus", &cpus))
            snprintf(v, sizeof(v), "%g", res_scalar_to_double(cpus));
        else
            snprintf(v, sizeof(v), "None");
        return snprintf(why, why_bytes, "Executor '%s' uses less CPUs (%s) than the minimum "
                        "required (0.01)", id, v), why;
    }
    if (!scalar_of(&g->executor, "mem", &mem) || mem < 32000) {
        char v[64];
        if (scalar_of(&g->executor, "mem", &mem))
            bytes_text(mem, v, sizeof(v));
        else
            snprintf(v, sizeof(v), "None");
        return snprintf(why, why_bytes, "Executor '%s' uses less memory (%s) than the minimum "
                        "required (32MB)", id, v), why;
    }
    if (!scalar_of(&g->executor, "disk", &disk))
        return snprintf(why, why_bytes, "Executor '%s' uses no disk", id), why;
    return NULL;
}

/* The group's resources together: overlaps, then the total against what remains. */
static const char *group_total_check(struct master *m, const Mesos__V1__TaskGroupInfo *tg,
                                     const struct res_set *available, struct group_check *g,
                                     char *why, size_t why_bytes)
{
    size_t n = tg->n_tasks;
    struct res_set **parts = mc_calloc(m->rt.alloc, n + 1, sizeof(*parts));
    struct res_set all;
    res_set_init(&all, m->rt.alloc);
    int err = parts == NULL ? MC_ENOMEM : 0;
    for (size_t i = 0; err == 0 && i < n; i++) {
        parts[i] = &g->tasks[i];
        err = res_set_add(&all, &g->tasks[i]);
        if (err == 0)
            err = res_set_add(&g->total, &g->tasks[i]);
    }
    if (err == 0) {
        parts[n] = &g->executor;
        err = res_set_add(&all, &g->executor);
    }
    if (err == 0 && g->launch_executor)
        err = res_set_add(&g->total, &g->executor);
    const char *bad = NULL;
    if (err != 0) {
        bad = mc_strerror(err);
    } else if (overlapping(parts, n + 1, &all)) {
        char tasks[MC_OPS_RESOURCES_TEXT_BYTES_MAX], exec[MC_OPS_RESOURCES_TEXT_BYTES_MAX];
        size_t len = 0;
        tasks[0] = '\0';
        for (size_t i = 0; i < n; i++) {
            char one[MC_OPS_RESOURCES_TEXT_BYTES_MAX];
            master__resources_text(m, &g->tasks[i], one, sizeof(one));
            len += (size_t)snprintf(tasks + len, len < sizeof(tasks) ? sizeof(tasks) - len : 0,
                                    "%s%s", i > 0 ? ", " : "[ ", one);
        }
        if (len < sizeof(tasks))
            snprintf(tasks + len, sizeof(tasks) - len, " ]");
        master__resources_text(m, &g->executor, exec, sizeof(exec));
        snprintf(why, why_bytes, "There are overlapping resources in the task group's task "
                 "resources %s and/or executor resources %s", tasks, exec);
        bad = why;
    } else {
        bad = total_check(m, &g->total, available, "task group and its executor are", why,
                          why_bytes);
    }
    res_set_deinit(&all);
    mc_free(m->rt.alloc, parts);
    return bad;
}

/* RUN_TASK_GROUP {framework_info, executor, task_group} to the agent. */
static void run_task_group_send(struct master *m, struct framework *fw, const char *agent_id,
                                const Mesos__V1__Offer__Operation__LaunchGroup *lg)
{
    MesosConform__Internal__Event ev = MESOS_CONFORM__INTERNAL__EVENT__INIT;
    MesosConform__Internal__Event__RunTaskGroup run =
        MESOS_CONFORM__INTERNAL__EVENT__RUN_TASK_GROUP__INIT;
    run.framework_info = fw->info;
    run.executor = lg->executor;
    run.task_group = lg->task_group;
    ev.has_type = 1;
    ev.type = IEVENT(RUN_TASK_GROUP);
    ev.run_task_group = &run;
    if (master__agent_send(m, agent_id, &ev) != 0)
        log_text(m, RT_LOG_WARN, "RUN_TASK_GROUP not sent: agent not registered:", agent_id);
}

/* Records the group's tasks (and its executor when it starts); MC_ENOMEM or MC_ELIMIT. */
static int group_record(struct master *m, struct framework *fw,
                        const Mesos__V1__Offer__Operation__LaunchGroup *lg,
                        const struct offers_taken *taken, const struct group_check *g)
{
    const Mesos__V1__TaskGroupInfo *tg = lg->task_group;
    if (fw->tasks_count + tg->n_tasks > MC_MASTER_TASKS_PER_FRAMEWORK_MAX)
        return MC_ELIMIT;
    if (g->launch_executor &&
        executor_new(m, fw, taken->agent_id, taken->role, lg->executor, &g->executor) == NULL)
        return MC_ENOMEM;
    for (size_t i = 0; i < tg->n_tasks; i++) {
        int err = task_record(m, fw, tg->tasks[i], taken, lg->executor->executor_id->value,
                              &g->tasks[i]);
        if (err != 0)
            return err; /* the tasks recorded so far run; the others are lost with the agent's */
    }
    return 0;
}

void master__tasks_launch_group(struct master *m, struct framework *fw,
                                const Mesos__V1__Offer__Operation__LaunchGroup *lg,
                                struct offers_taken *taken)
{
    const Mesos__V1__TaskGroupInfo *tg = lg->task_group;
    if (tg->n_tasks == 0) { /* Mesos' agent refuses an empty group ("Ignoring run task group") */
        log_text(m, RT_LOG_WARN, "LAUNCH_GROUP without tasks ignored, framework", fw->id);
        return;
    }
    struct group_check g;
    memset(&g, 0, sizeof(g));
    g.tasks = mc_calloc(m->rt.alloc, tg->n_tasks, sizeof(*g.tasks));
    res_set_init(&g.executor, m->rt.alloc);
    res_set_init(&g.total, m->rt.alloc);
    for (size_t i = 0; g.tasks != NULL && i < tg->n_tasks; i++)
        res_set_init(&g.tasks[i], m->rt.alloc);
    char why[MC_TASK_MESSAGE_BYTES_MAX];
    const char *bad = g.tasks == NULL ? mc_strerror(MC_ENOMEM) : NULL;
    if (bad == NULL)
        bad = group_tasks_check(m, fw, lg, taken, &g, why, sizeof(why));
    if (bad == NULL)
        bad = group_executor_check(m, fw, lg, taken, &g, why, sizeof(why));
    if (bad == NULL)
        bad = group_total_check(m, tg, &taken->resources, &g, why, sizeof(why));
    if (bad == NULL) {
        int err = group_record(m, fw, lg, taken, &g);
        if (err == 0)
            err = master__resources_subtract_mesos(&taken->resources, &g.total);
        if (err == 0)
            run_task_group_send(m, fw, taken->agent_id, lg);
        else
            bad = mc_strerror(err);
    }
    for (size_t i = 0; bad != NULL && i < tg->n_tasks; i++)
        update_master_send(m, fw, tg->tasks[i]->task_id->value, tg->tasks[i]->agent_id->value,
                           TASK_STATE(TASK_ERROR), REASON(REASON_TASK_GROUP_INVALID), bad);
    for (size_t i = 0; g.tasks != NULL && i < tg->n_tasks; i++)
        res_set_deinit(&g.tasks[i]);
    mc_free(m->rt.alloc, g.tasks);
    res_set_deinit(&g.executor);
    res_set_deinit(&g.total);
}

/* ---- updates from agents (T1, T2) ---- */

void master__tasks_status_update(struct master *m, const char *agent_id,
                                 const MesosConform__Internal__Call__StatusUpdate *update)
{
    struct framework *fw = master__framework_find(m, update->framework_id->value);
    if (fw == NULL) { /* removed: Mesos drops the update, the agent shut it down (L9) */
        log_text(m, RT_LOG_INFO, "update dropped for unknown framework", update->framework_id->value);
        return;
    }
    Mesos__V1__TaskStatus status = *update->status;
    Mesos__V1__AgentID agent = MESOS__V1__AGENT_ID__INIT;
    agent.value = (char *)agent_id;
    status.agent_id = &agent; /* the agent's own id, whatever the executor wrote */
    if (update->has_uuid) {
        status.has_uuid = 1;
        status.uuid = update->uuid;
    }
    struct master_task *t = task_find(fw, status.task_id->value);
    if (t != NULL && strcmp(t->agent_id, agent_id) != 0)
        t = NULL;
    /* Master::statusUpdate: forwarded first, which records what the framework was
     * told (Master::forward, only to a connected framework); a task the master
     * does not know is still forwarded. */
    if (t != NULL && fw->state == FW_STATE_CONNECTED && update->has_uuid &&
        update->uuid.len == sizeof(t->uuid)) {
        t->has_status_update_state = 1;
        t->status_update_state = status.state;
        t->has_uuid = 1;
        memcpy(t->uuid, update->uuid.data, sizeof(t->uuid));
    }
    update_send(m, fw, &status);
    /* Then Master::updateTask: a terminal task keeps its state (an update after a
     * terminal one is out of order), and the first terminal one frees its resources. */
    if (t != NULL && !state_terminal(t->state)) {
        t->state = status.state;
        if (state_terminal(t->state)) {
            task_release(m, fw, t);
            executors_reap(m, fw->id); /* its last task done: the executor exits */
        }
    }
}

void master__tasks_executor_message(struct master *m, const char *agent_id,
                                    const MesosConform__Internal__Call__ExecutorMessage *msg)
{
    struct framework *fw = master__framework_find(m, msg->framework_id->value);
    if (fw == NULL)
        return;
    Mesos__V1__Scheduler__Event ev = MESOS__V1__SCHEDULER__EVENT__INIT;
    Mesos__V1__Scheduler__Event__Message message = MESOS__V1__SCHEDULER__EVENT__MESSAGE__INIT;
    Mesos__V1__AgentID agent = MESOS__V1__AGENT_ID__INIT;
    agent.value = (char *)agent_id;
    message.agent_id = &agent;
    message.executor_id = msg->executor_id;
    message.data = msg->data;
    ev.has_type = 1;
    ev.type = MESOS__V1__SCHEDULER__EVENT__TYPE__MESSAGE;
    ev.message = &message;
    master__framework_send(m, fw, &ev);
}

/* ---- scheduler calls ---- */

void master__tasks_acknowledge(struct master *m, struct framework *fw,
                               const Mesos__V1__Scheduler__Call__Acknowledge *ack)
{
    MesosConform__Internal__Event ev = MESOS_CONFORM__INTERNAL__EVENT__INIT;
    MesosConform__Internal__Event__AcknowledgeUpdate a =
        MESOS_CONFORM__INTERNAL__EVENT__ACKNOWLEDGE_UPDATE__INIT;
    Mesos__V1__FrameworkID fid = MESOS__V1__FRAMEWORK_ID__INIT;
    fid.value = fw->id;
    a.framework_id = &fid;
    a.task_id = ack->task_id;
    a.uuid = ack->uuid;
    ev.has_type = 1;
    ev.type = IEVENT(ACKNOWLEDGE_UPDATE);
    ev.acknowledge_update = &a;
    /* Forwarded even for a task the master does not know (T3); the agent ignores it then. */
    if (master__agent_send(m, ack->agent_id->value, &ev) != 0)
        log_text(m, RT_LOG_INFO, "ACKNOWLEDGE dropped: agent not registered:", ack->agent_id->value);
    struct master_task *t = task_find(fw, ack->task_id->value);
    if (t != NULL && t->has_status_update_state && state_terminal(t->status_update_state) &&
        t->has_uuid && ack->uuid.len == 16 && memcmp(t->uuid, ack->uuid.data, 16) == 0)
        task_forget(m, fw, t); /* the terminal update is acknowledged: removeTask (T6) */
}

/* Reconciliation of a task the master tracks (T5, T6). */
static void reconcile_known(struct master *m, struct framework *fw, const struct master_task *t)
{
    struct status_msg s;
    if (t->unreachable) {
        status_fill(m, &s, t->id, t->agent_id,
                    partition_aware(fw) ? TASK_STATE(TASK_UNREACHABLE) : TASK_STATE(TASK_LOST),
                    REASON(REASON_RECONCILIATION), "Reconciliation: Task is unreachable");
        status_unreachable_time_set(&s, t->unreachable_ns);
    } else {
        status_fill(m, &s, t->id, t->agent_id, task_reconciled_state(t),
                    REASON(REASON_RECONCILIATION), "Reconciliation: Latest task state");
    }
    update_send(m, fw, &s.status);
}

/* Reconciliation of a task the master does not track, by its agent's state (T6 cases 2-6). */
static void reconcile_unknown(struct master *m, struct framework *fw, const char *task_id,
                              const Mesos__V1__AgentID *agent)
{
    int aware = partition_aware(fw);
    int state = agent != NULL ? master_agent_state(m, agent->value) : MC_ENOTFOUND;
    struct status_msg s;
    const char *agent_id = agent != NULL ? agent->value : NULL;
    /* (2) The agent is recovered, or none is named while any is: no answer (M1). The
     * framework asks again; the agent re-registers or is marked unreachable (M2). */
    if (state == MASTER_AGENT_RECOVERED || (agent == NULL && master__agents_recovered_any(m)))
        return;
    if (state == MASTER_AGENT_REGISTERED || state == MASTER_AGENT_DISCONNECTED) {
        status_fill(m, &s, task_id, agent_id, aware ? TASK_STATE(TASK_GONE) : TASK_STATE(TASK_LOST),
                    REASON(REASON_RECONCILIATION), "Reconciliation: Task is unknown to the agent");
    } else if (state == MASTER_AGENT_UNREACHABLE) {
        status_fill(m, &s, task_id, agent_id,
                    aware ? TASK_STATE(TASK_UNREACHABLE) : TASK_STATE(TASK_LOST),
                    REASON(REASON_RECONCILIATION), "Reconciliation: Task is unreachable");
        status_unreachable_time_set(&s, master__agent_unreachable_ns(m, agent_id));
    } else {
        /* Unknown agent, or one removed for a new one at its address (A9). */
        status_fill(m, &s, task_id, agent_id,
                    aware ? TASK_STATE(TASK_UNKNOWN) : TASK_STATE(TASK_LOST),
                    REASON(REASON_RECONCILIATION), "Reconciliation: Task is unknown");
    }
    update_send(m, fw, &s.status);
}

void master__tasks_reconcile(struct master *m, struct framework *fw,
                             const Mesos__V1__Scheduler__Call__Reconcile *reconcile)
{
    struct mc_list_node *it;
    if (reconcile->n_tasks == 0) { /* implicit: every task but the unreachable ones (T5) */
        MC_LIST_FOR_EACH(it, &fw->tasks) {
            const struct master_task *t = MC_CONTAINER_OF(it, struct master_task, link);
            if (!t->unreachable)
                reconcile_known(m, fw, t);
        }
        return;
    }
    for (size_t i = 0; i < reconcile->n_tasks; i++) {
        const Mesos__V1__Scheduler__Call__Reconcile__Task *rt = reconcile->tasks[i];
        const struct master_task *t = task_find(fw, rt->task_id->value);
        if (t != NULL)
            reconcile_known(m, fw, t);
        else
            reconcile_unknown(m, fw, rt->task_id->value, rt->agent_id);
    }
}

void master__tasks_kill(struct master *m, struct framework *fw,
                        const Mesos__V1__Scheduler__Call__Kill *kill)
{
    struct master_task *t = task_find(fw, kill->task_id->value);
    if (t == NULL || t->unreachable) {
        /* Mesos reconciles an unknown task explicitly instead (T4). */
        if (t != NULL)
            reconcile_known(m, fw, t);
        else
            reconcile_unknown(m, fw, kill->task_id->value, kill->agent_id);
        return;
    }
    if (kill->agent_id != NULL && strcmp(kill->agent_id->value, t->agent_id) != 0)
        return; /* another agent named: nothing happens (T11) */
    /* Remembered, in case the agent cannot hear it now: killed again when it
     * re-registers with the task still running (Mesos' killedTasks). */
    t->kill_requested = 1;
    MesosConform__Internal__Event ev = MESOS_CONFORM__INTERNAL__EVENT__INIT;
    MesosConform__Internal__Event__KillTask k = MESOS_CONFORM__INTERNAL__EVENT__KILL_TASK__INIT;
    Mesos__V1__FrameworkID fid = MESOS__V1__FRAMEWORK_ID__INIT;
    fid.value = fw->id;
    k.framework_id = &fid;
    k.task_id = kill->task_id;
    ev.has_type = 1;
    ev.type = IEVENT(KILL_TASK);
    ev.kill_task = &k;
    if (master__agent_send(m, t->agent_id, &ev) != 0)
        log_text(m, RT_LOG_INFO, "KILL not sent, the agent is not registered: task", t->id);
}

void master__tasks_shutdown(struct master *m, struct framework *fw,
                            const Mesos__V1__Scheduler__Call__Shutdown *shutdown)
{
    MesosConform__Internal__Event ev = MESOS_CONFORM__INTERNAL__EVENT__INIT;
    MesosConform__Internal__Event__ShutdownExecutor se =
        MESOS_CONFORM__INTERNAL__EVENT__SHUTDOWN_EXECUTOR__INIT;
    Mesos__V1__FrameworkID fid = MESOS__V1__FRAMEWORK_ID__INIT;
    fid.value = fw->id;
    se.framework_id = &fid;
    se.executor_id = shutdown->executor_id;
    ev.has_type = 1;
    ev.type = IEVENT(SHUTDOWN_EXECUTOR);
    ev.shutdown_executor = &se;
    if (master__agent_send(m, shutdown->agent_id->value, &ev) != 0)
        log_text(m, RT_LOG_INFO, "SHUTDOWN dropped, agent not registered:", shutdown->agent_id->value);
}

void master__tasks_message(struct master *m, struct framework *fw,
                           const Mesos__V1__Scheduler__Call__Message *message)
{
    MesosConform__Internal__Event ev = MESOS_CONFORM__INTERNAL__EVENT__INIT;
    MesosConform__Internal__Event__FrameworkMessage fm =
        MESOS_CONFORM__INTERNAL__EVENT__FRAMEWORK_MESSAGE__INIT;
    Mesos__V1__FrameworkID fid = MESOS__V1__FRAMEWORK_ID__INIT;
    fid.value = fw->id;
    fm.framework_id = &fid;
    fm.executor_id = message->executor_id;
    fm.data = message->data;
    ev.has_type = 1;
    ev.type = IEVENT(FRAMEWORK_MESSAGE);
    ev.framework_message = &fm;
    if (master__agent_send(m, message->agent_id->value, &ev) != 0)
        log_text(m, RT_LOG_INFO, "MESSAGE dropped, agent not registered:", message->agent_id->value);
}

/* ---- agents and frameworks ---- */

/* Calls fn on every task on agent_id, framework by framework, in order. */
static void agent_tasks_each(struct master *m, const char *agent_id,
                             void (*fn)(struct master *, struct framework *, struct master_task *))
{
    struct mc_list_node *fit, *it, *tmp;
    MC_LIST_FOR_EACH(fit, &m->frameworks) {
        struct framework *fw = MC_CONTAINER_OF(fit, struct framework, link);
        MC_LIST_FOR_EACH_SAFE(it, tmp, &fw->tasks) {
            struct master_task *t = MC_CONTAINER_OF(it, struct master_task, link);
            if (strcmp(t->agent_id, agent_id) == 0)
                fn(m, fw, t);
        }
    }
}

/* A3: TASK_UNREACHABLE (TASK_LOST) "health check timed out", no uuid. */
static void task_unreachable(struct master *m, struct framework *fw, struct master_task *t)
{
    if (t->unreachable || state_terminal(t->state))
        return;
    t->unreachable = 1;
    t->unreachable_ns = master__agent_unreachable_ns(m, t->agent_id);
    struct status_msg s;
    status_fill(m, &s, t->id, t->agent_id,
                partition_aware(fw) ? TASK_STATE(TASK_UNREACHABLE) : TASK_STATE(TASK_LOST),
                REASON(REASON_AGENT_REMOVED), "health check timed out");
    status_unreachable_time_set(&s, t->unreachable_ns);
    update_send(m, fw, &s.status);
}

void master__tasks_agent_unreachable(struct master *m, const char *agent_id)
{
    agent_tasks_each(m, agent_id, task_unreachable);
}

/*
 * A6: a framework without checkpointing loses its tasks on a broken agent
 * connection, PARTITION_AWARE or not, with the text of Mesos'
 * Master::removeFramework(Slave*, Framework*): "Agent <hostname> disconnected".
 */
static void task_disconnected(struct master *m, struct framework *fw, struct master_task *t)
{
    if (fw->info->has_checkpoint && fw->info->checkpoint)
        return;
    if (!state_terminal(t->state)) {
        const Mesos__V1__AgentInfo *info = master__agent_info(m, t->agent_id);
        char text[MC_AGENT_ADDRESS_BYTES_MAX + 32];
        snprintf(text, sizeof(text), "Agent %s disconnected",
                 info != NULL && info->hostname != NULL ? info->hostname : t->agent_id);
        update_master_send(m, fw, t->id, t->agent_id, TASK_STATE(TASK_LOST),
                           REASON(REASON_AGENT_DISCONNECTED), text);
    }
    task_forget(m, fw, t);
}

void master__tasks_agent_disconnected(struct master *m, const char *agent_id)
{
    agent_tasks_each(m, agent_id, task_disconnected);
    executors_reap(m, NULL);
}

/* A9 (Mesos' _removeSlave): TASK_LOST whatever the framework's capabilities, then forgotten. */
void master__tasks_agent_removed(struct master *m, const char *agent_id, const char *hostname)
{
    struct mc_list_node *fit, *it, *tmp;
    char text[MC_AGENT_ADDRESS_BYTES_MAX + 96];
    snprintf(text, sizeof(text), "Agent %s removed: a new agent registered at the same address",
             hostname);
    MC_LIST_FOR_EACH(fit, &m->frameworks) {
        struct framework *fw = MC_CONTAINER_OF(fit, struct framework, link);
        MC_LIST_FOR_EACH_SAFE(it, tmp, &fw->tasks) {
            struct master_task *t = MC_CONTAINER_OF(it, struct master_task, link);
            if (strcmp(t->agent_id, agent_id) != 0)
                continue;
            /* Every task the agent had, terminal ones waiting for their acknowledgement too. */
            struct status_msg sm;
            status_fill(m, &sm, t->id, t->agent_id, TASK_STATE(TASK_LOST),
                        REASON(REASON_AGENT_REMOVED), text);
            Mesos__V1__ExecutorID eid = MESOS__V1__EXECUTOR_ID__INIT;
            if (t->has_executor) { /* Task.executor_id: not for a command task */
                eid.value = t->executor_id;
                sm.status.executor_id = &eid;
            }
            t->state = TASK_STATE(TASK_LOST);
            update_send(m, fw, &sm.status);
            task_forget(m, fw, t);
        }
    }
    executors_reap(m, NULL);
}

/* ---- re-registration (A1, A4-A7, M1) ---- */

/* The task of framework_id the report lists as task_id, or NULL. */
static const Mesos__V1__Task *report_find(const MesosConform__Internal__Call__Reregister *rr,
                                          const char *framework_id, const char *task_id)
{
    for (size_t i = 0; i < rr->n_tasks; i++) {
        const Mesos__V1__Task *rt = rr->tasks[i];
        if (strcmp(rt->framework_id->value, framework_id) == 0 &&
            strcmp(rt->task_id->value, task_id) == 0)
            return rt;
    }
    return NULL;
}

/* One ReconcileTasks and the storage its statuses point into (freed as one). */
struct reconcile_block {
    MesosConform__Internal__Event__ReconcileTasks rec; /* first: the block is found from it */
    Mesos__V1__FrameworkID framework_id;
    struct status_msg *msgs;
    Mesos__V1__TaskStatus **statuses;
};

/* Appends fw's block to out if any of its tasks on agent_id is missing from rr. */
static int reconciliation_add(struct master *m, struct framework *fw, const char *agent_id,
                              const MesosConform__Internal__Call__Reregister *rr,
                              MesosConform__Internal__Event__ReconcileTasks **out, size_t *count)
{
    uint32_t n = 0;
    struct mc_list_node *it;
    MC_LIST_FOR_EACH(it, &fw->tasks) {
        const struct master_task *t = MC_CONTAINER_OF(it, struct master_task, link);
        n += strcmp(t->agent_id, agent_id) == 0 && report_find(rr, fw->id, t->id) == NULL;
    }
    if (n == 0)
        return 0;
    struct reconcile_block *b = mc_calloc(m->rt.alloc, 1, sizeof(*b));
    if (b == NULL)
        return MC_ENOMEM;
    b->msgs = mc_calloc(m->rt.alloc, n, sizeof(*b->msgs));
    b->statuses = mc_calloc(m->rt.alloc, n, sizeof(*b->statuses));
    mesos_conform__internal__event__reconcile_tasks__init(&b->rec);
    out[(*count)++] = &b->rec; /* freed with the others, even when incomplete */
    if (b->msgs == NULL || b->statuses == NULL)
        return MC_ENOMEM;
    mesos__v1__framework_id__init(&b->framework_id);
    b->framework_id.value = fw->id;
    b->rec.framework_id = &b->framework_id;
    b->rec.framework = fw->info;
    uint32_t k = 0;
    MC_LIST_FOR_EACH(it, &fw->tasks) {
        const struct master_task *t = MC_CONTAINER_OF(it, struct master_task, link);
        if (strcmp(t->agent_id, agent_id) != 0 || report_find(rr, fw->id, t->id) != NULL)
            continue;
        status_fill(m, &b->msgs[k], t->id, t->agent_id, task_reconciled_state(t),
                    REASON(REASON_RECONCILIATION), "Reconciliation request");
        b->statuses[k] = &b->msgs[k].status;
        k++;
    }
    MC_ASSERT(k == n);
    b->rec.n_statuses = n;
    b->rec.statuses = b->statuses;
    return 0;
}

int master__tasks_reconciliations(struct master *m, const char *agent_id,
                                  const MesosConform__Internal__Call__Reregister *rr,
                                  MesosConform__Internal__Event__ReconcileTasks ***out,
                                  size_t *count)
{
    *out = NULL;
    *count = 0;
    if (m->frameworks_count == 0)
        return 0;
    MesosConform__Internal__Event__ReconcileTasks **recs =
        mc_calloc(m->rt.alloc, m->frameworks_count, sizeof(*recs));
    if (recs == NULL)
        return MC_ENOMEM;
    *out = recs;
    int err = 0;
    struct mc_list_node *it;
    MC_LIST_FOR_EACH(it, &m->frameworks) {
        struct framework *fw = MC_CONTAINER_OF(it, struct framework, link);
        MC_ASSERT(*count < m->frameworks_count);
        if (err == 0)
            err = reconciliation_add(m, fw, agent_id, rr, recs, count);
    }
    return err;
}

void master__tasks_reconciliations_free(struct master *m,
                                        MesosConform__Internal__Event__ReconcileTasks **recs,
                                        size_t count)
{
    for (size_t i = 0; i < count; i++) {
        struct reconcile_block *b = MC_CONTAINER_OF(recs[i], struct reconcile_block, rec);
        mc_free(m->rt.alloc, b->msgs);
        mc_free(m->rt.alloc, b->statuses);
        mc_free(m->rt.alloc, b);
    }
    mc_free(m->rt.alloc, recs);
}

/* An internal event with one framework id (SHUTDOWN_FRAMEWORK) to agent_id. */
static void shutdown_framework_send(struct master *m, const char *agent_id,
                                    const char *framework_id)
{
    MesosConform__Internal__Event ev = MESOS_CONFORM__INTERNAL__EVENT__INIT;
    MesosConform__Internal__Event__ShutdownFramework sf =
        MESOS_CONFORM__INTERNAL__EVENT__SHUTDOWN_FRAMEWORK__INIT;
    Mesos__V1__FrameworkID fid = MESOS__V1__FRAMEWORK_ID__INIT;
    fid.value = (char *)framework_id;
    sf.framework_id = &fid;
    ev.has_type = 1;
    ev.type = IEVENT(SHUTDOWN_FRAMEWORK);
    ev.shutdown_framework = &sf;
    log_text(m, RT_LOG_INFO, "shutting down a removed framework on a re-registered agent:",
             framework_id);
    if (master__agent_send(m, agent_id, &ev) != 0)
        log_text(m, RT_LOG_WARN, "SHUTDOWN_FRAMEWORK not sent to agent", agent_id);
}

/* Whether framework_id appears in rr (frameworks, or a task's) before index `before` of kind. */
static int report_names_framework(const MesosConform__Internal__Call__Reregister *rr,
                                  const char *framework_id, size_t frameworks_before,
                                  size_t tasks_before)
{
    for (size_t i = 0; i < frameworks_before; i++)
        if (rr->frameworks[i]->id != NULL &&
            strcmp(rr->frameworks[i]->id->value, framework_id) == 0)
            return 1;
    for (size_t i = 0; i < tasks_before; i++)
        if (strcmp(rr->tasks[i]->framework_id->value, framework_id) == 0)
            return 1;
    return 0;
}

/*
 * A7: every removed framework the report names (by its FrameworkInfo or
 * one of its tasks) is shut down on the agent, once (Mesos' __reregisterSlave
 * and reconcileKnownSlave).
 */
static void completed_shutdown(struct master *m, const char *agent_id,
                               const MesosConform__Internal__Call__Reregister *rr)
{
    for (size_t i = 0; i < rr->n_frameworks; i++) {
        const Mesos__V1__FrameworkID *id = rr->frameworks[i]->id;
        if (id != NULL && master__framework_completed(m, id->value) &&
            !report_names_framework(rr, id->value, i, 0))
            shutdown_framework_send(m, agent_id, id->value);
    }
    for (size_t i = 0; i < rr->n_tasks; i++) {
        const char *id = rr->tasks[i]->framework_id->value;
        if (master__framework_completed(m, id) &&
            !report_names_framework(rr, id, rr->n_frameworks, i))
            shutdown_framework_send(m, agent_id, id);
    }
}

/* M1: the frameworks the report names that this master does not know (updateSlaveFrameworks). */
static void frameworks_recover(struct master *m, const MesosConform__Internal__Call__Reregister *rr)
{
    for (size_t i = 0; i < rr->n_frameworks; i++) {
        const Mesos__V1__FrameworkInfo *info = rr->frameworks[i];
        if (info->id == NULL || info->id->value[0] == '\0' ||
            master__framework_find(m, info->id->value) != NULL ||
            master__framework_completed(m, info->id->value))
            continue;
        (void)master__framework_recover(m, info); /* NULL is logged */
    }
}

/* The role a reported task's resources are allocated to: theirs, or the framework's one role. */
static void report_role(const struct framework *fw, const Mesos__V1__Task *rt, char *out,
                        size_t out_bytes)
{
    for (size_t i = 0; i < rt->n_resources; i++) {
        const Mesos__V1__Resource__AllocationInfo *ai = rt->resources[i]->allocation_info;
        if (ai != NULL && ai->role != NULL) {
            snprintf(out, out_bytes, "%s", ai->role);
            return;
        }
    }
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
    /* Mesos injects the one role of a framework without MULTI_ROLE. */
    const char *role = fw->info->role;
#pragma GCC diagnostic pop
    if (fw_capable(fw, MESOS__V1__FRAMEWORK_INFO__CAPABILITY__TYPE__MULTI_ROLE))
        role = fw->info->n_roles > 0 ? fw->info->roles[0] : NULL;
    snprintf(out, out_bytes, "%s", role != NULL ? role : RES_ROLE_UNRESERVED);
}

/* A reported task the master does not have: a new record, holding its resources when it runs. */
static struct master_task *report_task_add(struct master *m, struct framework *fw,
                                           const char *agent_id, const Mesos__V1__Task *rt)
{
    if (fw->tasks_count >= MC_MASTER_TASKS_PER_FRAMEWORK_MAX ||
        strlen(rt->task_id->value) >= MC_TASK_ID_BYTES_MAX ||
        (rt->executor_id != NULL && strlen(rt->executor_id->value) >= MC_TASK_ID_BYTES_MAX)) {
        log_text(m, RT_LOG_WARN, "reported task not added (limit):", rt->task_id->value);
        return NULL;
    }
    struct master_task *t = mc_calloc(m->rt.alloc, 1, sizeof(*t));
    if (t == NULL) {
        log_text(m, RT_LOG_ERROR, "reported task not added (out of memory):", rt->task_id->value);
        return NULL;
    }
    snprintf(t->id, sizeof(t->id), "%s", rt->task_id->value);
    snprintf(t->agent_id, sizeof(t->agent_id), "%s", agent_id);
    snprintf(t->executor_id, sizeof(t->executor_id), "%s",
             rt->executor_id != NULL ? rt->executor_id->value : rt->task_id->value);
    t->has_executor = rt->executor_id != NULL;
    report_role(fw, rt, t->role, sizeof(t->role));
    res_set_init(&t->resources, m->rt.alloc);
    struct mc_diag diag;
    mc_diag_clear(&diag);
    if (res_set_from_proto_full(&t->resources, rt->resources, rt->n_resources, NULL, &diag) != 0 ||
        res_set_allocate(&t->resources, t->role) != 0) {
        log_text(m, RT_LOG_WARN, "reported task's resources not understood, task",
                 rt->task_id->value);
        res_set_clear(&t->resources);
    }
    if (task_link(fw, t) != 0) {
        log_text(m, RT_LOG_ERROR, "reported task not added (out of memory):", rt->task_id->value);
        res_set_deinit(&t->resources);
        mc_free(m->rt.alloc, t);
        return NULL;
    }
    return t;
}

/*
 * One task of a report from an agent that was RECOVERED, UNREACHABLE or
 * unknown (Mesos' __reregisterSlave): added again (or kept) with the
 * agent's states, its resources allocated while it runs, and announced
 * with an UPDATE unless the agent was RECOVERED. rt->state is the latest
 * state; status_update_state and status_update_uuid, when present, those
 * of the last update the agent sent to a master, which reconciliation
 * answers and whose acknowledgement removes a terminal task.
 */
static void report_task_take(struct master *m, const char *agent_id, enum master_readmission how,
                             const Mesos__V1__Task *rt)
{
    const char *fid = rt->framework_id->value;
    if (master__framework_completed(m, fid))
        return; /* A7: not added; the agent shuts the framework down */
    struct framework *fw = master__framework_find(m, fid);
    if (fw == NULL) { /* no FrameworkInfo came for it (Mesos CHECKs there is one) */
        log_text(m, RT_LOG_WARN, "reported task of an unknown framework ignored:",
                 rt->task_id->value);
        return;
    }
    struct master_task *t = task_find(fw, rt->task_id->value);
    if (t != NULL && strcmp(t->agent_id, agent_id) != 0) {
        log_text(m, RT_LOG_WARN, "reported task is known on another agent, ignored:", t->id);
        return;
    }
    if (t == NULL)
        t = report_task_add(m, fw, agent_id, rt);
    if (t == NULL)
        return;
    /* The agent's Task replaces the master's (Mesos makes a new Slave with it). */
    t->unreachable = 0;
    t->state = rt->state;
    t->has_status_update_state = rt->has_status_update_state;
    t->status_update_state = rt->status_update_state;
    t->has_uuid = rt->has_status_update_uuid && rt->status_update_uuid.len == sizeof(t->uuid);
    if (t->has_uuid)
        memcpy(t->uuid, rt->status_update_uuid.data, sizeof(t->uuid));
    if (state_terminal(rt->state)) {
        task_release(m, fw, t);
    } else if (!t->resources_held && !res_set_empty(&t->resources)) {
        int err = master__offers_allocation_add(m, fw->id, agent_id, t->role, &t->resources);
        t->resources_held = err == 0;
        if (t->resources_held)
            master__hold_start(m, &t->hold, t->agent_id, &t->resources);
        if (err != 0)
            log_text(m, RT_LOG_WARN, "reported task's resources not allocated, task", t->id);
    }
    if (how == MASTER_READMIT_RECOVERED)
        return; /* after a failover: no word to anybody (M1) */
    /* A4: with the agent's latest state; dropped for a framework without a stream. */
    update_master_send(m, fw, t->id, agent_id, rt->state, REASON(REASON_AGENT_REREGISTERED),
                       how == MASTER_READMIT_UNREACHABLE ? "Unreachable agent re-reregistered"
                                                         : "Unknown agent reregistered");
}

/* The report is the truth now: the agent's tasks it does not list are forgotten. */
static void unlisted_forget(struct master *m, const char *agent_id,
                            const MesosConform__Internal__Call__Reregister *rr)
{
    struct mc_list_node *fit, *it, *tmp;
    MC_LIST_FOR_EACH(fit, &m->frameworks) {
        struct framework *fw = MC_CONTAINER_OF(fit, struct framework, link);
        MC_LIST_FOR_EACH_SAFE(it, tmp, &fw->tasks) {
            struct master_task *t = MC_CONTAINER_OF(it, struct master_task, link);
            if (strcmp(t->agent_id, agent_id) == 0 && report_find(rr, fw->id, t->id) == NULL) {
                log_text(m, RT_LOG_INFO, "task not reported by its re-registered agent, forgotten:",
                         t->id);
                task_forget(m, fw, t);
            }
        }
    }
}

/* KNOWN: tasks killed while the agent could not hear it, still running there, are killed again. */
static void kills_resend(struct master *m, const char *agent_id,
                         const MesosConform__Internal__Call__Reregister *rr)
{
    for (size_t i = 0; i < rr->n_tasks; i++) {
        const Mesos__V1__Task *rt = rr->tasks[i];
        struct framework *fw = master__framework_find(m, rt->framework_id->value);
        const struct master_task *t = fw != NULL ? task_find(fw, rt->task_id->value) : NULL;
        if (t == NULL || !t->kill_requested || state_terminal(rt->state) ||
            strcmp(t->agent_id, agent_id) != 0)
            continue;
        MesosConform__Internal__Event ev = MESOS_CONFORM__INTERNAL__EVENT__INIT;
        MesosConform__Internal__Event__KillTask k = MESOS_CONFORM__INTERNAL__EVENT__KILL_TASK__INIT;
        k.framework_id = rt->framework_id;
        k.task_id = rt->task_id;
        ev.has_type = 1;
        ev.type = IEVENT(KILL_TASK);
        ev.kill_task = &k;
        if (master__agent_send(m, agent_id, &ev) != 0)
            log_text(m, RT_LOG_WARN, "KILL not resent, agent not registered: task", t->id);
    }
}

/* The role of a reported executor's resources: theirs, or its framework's one role. */
static void executor_role(const struct framework *fw, const Mesos__V1__ExecutorInfo *ei, char *out,
                          size_t out_bytes)
{
    Mesos__V1__Task t = MESOS__V1__TASK__INIT;
    t.n_resources = ei->n_resources;
    t.resources = ei->resources;
    report_role(fw, &t, out, out_bytes);
}

/* A task group executor the agent runs (Mesos' executor_infos): recorded, its resources held. */
static void report_executor_take(struct master *m, const char *agent_id,
                                 const Mesos__V1__ExecutorInfo *ei)
{
    if (ei->framework_id == NULL || master__framework_completed(m, ei->framework_id->value))
        return; /* A7: the agent shuts that framework down */
    struct framework *fw = master__framework_find(m, ei->framework_id->value);
    if (fw == NULL)
        return;
    struct master_executor *e = executor_find(m, fw->id, agent_id, ei->executor_id->value);
    if (e != NULL && e->resources_held)
        return;
    char role[MC_RES_ROLE_BYTES_MAX];
    executor_role(fw, ei, role, sizeof(role));
    struct res_set res;
    struct mc_diag diag;
    res_set_init(&res, m->rt.alloc);
    mc_diag_clear(&diag);
    int err = master__resources_from_op(m, ei->resources, ei->n_resources, role, &res, &diag);
    if (err == 0 && e != NULL)
        err = res_set_copy(&e->resources, &res);
    if (err == 0)
        err = master__offers_allocation_add(m, fw->id, agent_id, role, &res);
    if (err != 0) {
        log_text(m, RT_LOG_WARN, "reported executor's resources not allocated:",
                 ei->executor_id->value);
        res_set_clear(&res);
    }
    if (e != NULL) {
        e->resources_held = !res_set_empty(&res);
        if (e->resources_held)
            master__hold_start(m, &e->hold, e->agent_id, &e->resources);
    } else if (executor_new(m, fw, agent_id, role, ei, &res) == NULL) {
        log_text(m, RT_LOG_WARN, "reported executor not added:", ei->executor_id->value);
        if (!res_set_empty(&res))
            master__offers_give_back(m, fw->id, agent_id, role, &res, NULL);
    }
    res_set_deinit(&res);
}

/* The agent's executors its report does not list are gone. */
static void unlisted_executors_forget(struct master *m, const char *agent_id,
                                      const MesosConform__Internal__Call__Reregister *rr)
{
    struct mc_list_node *it, *tmp;
    MC_LIST_FOR_EACH_SAFE(it, tmp, &m->executors) {
        struct master_executor *e = MC_CONTAINER_OF(it, struct master_executor, link);
        int listed = 0;
        for (size_t i = 0; !listed && i < rr->n_executors; i++) {
            const Mesos__V1__ExecutorInfo *ei = rr->executors[i];
            listed = ei->framework_id != NULL &&
                     strcmp(ei->framework_id->value, e->framework_id) == 0 &&
                     strcmp(ei->executor_id->value, e->id) == 0;
        }
        if (strcmp(e->agent_id, agent_id) == 0 && !listed)
            executor_free(m, e);
    }
}

void master__tasks_agent_readmitted(struct master *m, const char *agent_id,
                                    enum master_readmission how,
                                    const MesosConform__Internal__Call__Reregister *rr)
{
    MC_ASSERT(master_agent_state(m, agent_id) == MASTER_AGENT_REGISTERED);
    frameworks_recover(m, rr);
    if (how == MASTER_READMIT_KNOWN) {
        kills_resend(m, agent_id, rr); /* reconcileKnownSlave, after REGISTERED */
    } else {
        for (size_t i = 0; i < rr->n_tasks; i++)
            report_task_take(m, agent_id, how, rr->tasks[i]);
        for (size_t i = 0; i < rr->n_executors; i++)
            report_executor_take(m, agent_id, rr->executors[i]);
        unlisted_forget(m, agent_id, rr);
        unlisted_executors_forget(m, agent_id, rr);
        executors_reap(m, NULL);
    }
    completed_shutdown(m, agent_id, rr);
}

void master__tasks_framework_removed(struct master *m, struct framework *fw)
{
    MesosConform__Internal__Event ev = MESOS_CONFORM__INTERNAL__EVENT__INIT;
    MesosConform__Internal__Event__ShutdownFramework sf =
        MESOS_CONFORM__INTERNAL__EVENT__SHUTDOWN_FRAMEWORK__INIT;
    Mesos__V1__FrameworkID fid = MESOS__V1__FRAMEWORK_ID__INIT;
    fid.value = fw->id;
    sf.framework_id = &fid;
    ev.has_type = 1;
    ev.type = IEVENT(SHUTDOWN_FRAMEWORK);
    ev.shutdown_framework = &sf;
    master__agents_send_all(m, &ev);
    /* Killed (REASON_FRAMEWORK_REMOVED) without an UPDATE, then forgotten (L9). */
    struct mc_list_node *it, *tmp;
    MC_LIST_FOR_EACH_SAFE(it, tmp, &fw->tasks) {
        struct master_task *t = MC_CONTAINER_OF(it, struct master_task, link);
        t->state = TASK_STATE(TASK_KILLED);
        task_forget(m, fw, t);
    }
    executors_reap(m, fw->id); /* no task left: its executors are gone too */
}

void master__tasks_framework_resubscribed(struct master *m, struct framework *fw)
{
    MesosConform__Internal__Event ev = MESOS_CONFORM__INTERNAL__EVENT__INIT;
    MesosConform__Internal__Event__ResendUpdates ru =
        MESOS_CONFORM__INTERNAL__EVENT__RESEND_UPDATES__INIT;
    Mesos__V1__FrameworkID fid = MESOS__V1__FRAMEWORK_ID__INIT;
    fid.value = fw->id;
    ru.framework_id = &fid;
    ev.has_type = 1;
    ev.type = IEVENT(RESEND_UPDATES);
    ev.resend_updates = &ru;
    master__agents_send_all(m, &ev);
}

void master__tasks_free(struct master *m, struct framework *fw)
{
    struct mc_list_node *it, *tmp;
    MC_LIST_FOR_EACH_SAFE(it, tmp, &fw->tasks) {
        struct master_task *t = MC_CONTAINER_OF(it, struct master_task, link);
        task_unlink(fw, t);
        res_set_deinit(&t->resources);
        mc_free(m->rt.alloc, t);
    }
    MC_LIST_FOR_EACH_SAFE(it, tmp, &m->executors) {
        struct master_executor *e = MC_CONTAINER_OF(it, struct master_executor, link);
        if (strcmp(e->framework_id, fw->id) == 0) {
            e->resources_held = 0; /* nothing goes back: the master is going */
            executor_free(m, e);
        }
    }
}

void master__tasks_each_held(const struct master *m, master_held_fn fn, void *ctx)
{
    const struct mc_list_node *fit;
    MC_LIST_FOR_EACH(fit, &m->frameworks) {
        const struct framework *fw = MC_CONTAINER_OF(fit, const struct framework, link);
        const struct mc_list_node *it;
        MC_LIST_FOR_EACH(it, &fw->tasks) {
            const struct master_task *t = MC_CONTAINER_OF(it, const struct master_task, link);
            if (t->resources_held)
                fn(ctx, t->agent_id, &t->resources);
        }
    }
    MC_LIST_FOR_EACH(fit, &m->executors) {
        const struct master_executor *e = MC_CONTAINER_OF(fit, const struct master_executor, link);
        if (e->resources_held)
            fn(ctx, e->agent_id, &e->resources);
    }
}

/* Whether held (allocated) contains used (unallocated). */
static int held_uses(struct master *m, const struct res_set *held, const struct res_set *used)
{
    struct res_set un;
    res_set_init(&un, m->rt.alloc);
    int uses = res_set_copy(&un, held) == 0 && res_set_allocate(&un, "") == 0 &&
               res_set_contains(&un, used);
    res_set_deinit(&un);
    return uses;
}

int master__tasks_agent_uses(struct master *m, const char *agent_id, const struct res_set *used)
{
    struct mc_list_node *fit, *it;
    MC_LIST_FOR_EACH(fit, &m->frameworks) {
        struct framework *fw = MC_CONTAINER_OF(fit, struct framework, link);
        MC_LIST_FOR_EACH(it, &fw->tasks) {
            const struct master_task *t = MC_CONTAINER_OF(it, const struct master_task, link);
            if (t->resources_held && strcmp(t->agent_id, agent_id) == 0 &&
                held_uses(m, &t->resources, used))
                return 1;
        }
    }
    MC_LIST_FOR_EACH(it, &m->executors) {
        const struct master_executor *e = MC_CONTAINER_OF(it, const struct master_executor, link);
        if (e->resources_held && strcmp(e->agent_id, agent_id) == 0 &&
            held_uses(m, &e->resources, used))
            return 1;
    }
    return 0;
}
