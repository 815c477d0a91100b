/*
 * agent_internal.h: what the agent's files share (not for other modules).
 *
 * Files: agent.c (registration, liveness, the stream of events),
 * executor.c (the simulated command executor and the status update
 * manager: SPEC.md T1, T2, T4, T7, T8, T10).
 */
#ifndef MC_AGENT_INTERNAL_H
#define MC_AGENT_INTERNAL_H

#include <protobuf-c/protobuf-c.h>

#include "agent.h"
#include "http_msg.h"
#include "mc_buf.h"
#include "mc_limits.h"
#include "mc_list.h"
#include "mesos_conform/internal.pb-c.h"
#include "recordio.h"

/* The memory a buffer the agent reuses from one call or checkpoint write to the next keeps
 * in between: a PONG, a status update or a checkpoint of a few tasks takes a few kilobytes,
 * a REREGISTER or a checkpoint of many tasks can take megabytes, freed after their use. */
#define AGENT_BUFFER_KEPT_BYTES_MAX (64u * 1024u)

#define ICALL(name) MESOS_CONFORM__INTERNAL__CALL__TYPE__##name
#define IEVENT(name) MESOS_CONFORM__INTERNAL__EVENT__TYPE__##name

struct agent {
    struct rt rt;
    struct agent_config config; /* strings owned */
    ProtobufCAllocator pb_alloc;
    char id[MC_AGENT_ID_BYTES_MAX]; /* "" until the master gives one or the store has one */
    enum agent_state state;
    /* The registration call (in flight, or the live stream); 0 when none. */
    uint64_t reg_call;
    int reg_streaming; /* its 200 stream head arrived */
    char stream_id[MC_AGENT_STREAM_ID_BYTES_MAX];
    struct rio_decoder decoder;
    struct rt_timer registration_timer;
    uint64_t backoff_bound_ns; /* the bound of the delay after the next attempt */
    struct rt_timer master_timer; /* no PING for master_timeout_ns: the master is lost */
    uint64_t master_timeout_ns;
    struct agent_stats stats;
    /* executor.c: struct agent_task, in launch order, at most MC_AGENT_TASKS_MAX. */
    struct mc_list_node tasks;
    uint32_t tasks_count;
    /* executor.c: struct agent_framework, the frameworks those tasks belong to. */
    struct mc_list_node frameworks;
    int checkpoint_dirty; /* a checkpointed task changed since the last write (A5) */
    uint64_t mutations;   /* what agent_invariants_check looks at changed (agent_mutations) */
    struct mc_buf checkpoint_bytes; /* where each write puts the checkpoint together */
    uint64_t updates_lost; /* updates dropped because a task's queue was full */
    uint64_t task_group_next; /* the number of the last task group launched or recovered */
    /* The checkpointed resources the master sent (CHECKPOINT_RESOURCES), packed as an
     * internal.proto CheckpointedResources; empty when there are none. */
    struct mc_buf checkpointed;
    /* The request of every call to the master (agent__call_post): its line and headers are
     * kept from one call to the next; its Mesos-Stream-Id and body are each call's. */
    struct http_request call_request;
};

/* One task of a REREGISTER, pointing into the agent's records. */
struct agent_report_task {
    Mesos__V1__Task task;
    Mesos__V1__FrameworkID framework_id;
    Mesos__V1__Resource **resources; /* owned array; the resources are the TaskInfo's */
};

/* What a REREGISTER tells of the agent's tasks (agent__tasks_report). */
struct agent_report {
    struct agent_report_task *items;
    Mesos__V1__Task **tasks;
    size_t n_tasks;
    Mesos__V1__FrameworkInfo **frameworks; /* borrowed from the agent's records */
    size_t n_frameworks;
    Mesos__V1__ExecutorInfo **executors; /* task group executors, borrowed from their tasks */
    size_t n_executors;
};

/* agent.c */

/* The durable key of the agent's checkpointed resources (internal.proto CheckpointedResources). */
#define AGENT_STORE_KEY_RESOURCES "agent/resources"

/* Logs "agent <host> (<id>): <fmt with arg>" at level. */
void agent__log(struct agent *a, enum rt_log_level level, const char *fmt, const char *arg);
/*
 * POSTs call (borrowed) to the master's /api/v1/internal as protobuf;
 * stream_id NULL for a registration. Returns the call id, or 0 when it
 * could not start (logged).
 */
uint64_t agent__call_post(struct agent *a, const MesosConform__Internal__Call *call,
                          const char *stream_id);

/* executor.c */

/*
 * A task event from the master's stream (RUN_TASK, KILL_TASK,
 * ACKNOWLEDGE_UPDATE, SHUTDOWN_FRAMEWORK, SHUTDOWN_EXECUTOR,
 * FRAMEWORK_MESSAGE, RESEND_UPDATES); ev is borrowed. Other types are
 * logged and ignored.
 */
void agent__tasks_event(struct agent *a, const MesosConform__Internal__Event *ev);
/* Sends the pending update of every task (of framework_id; NULL: all) now (T10). */
void agent__tasks_resend(struct agent *a, const char *framework_id);
/* Frees every task and cancels their timers, sending nothing; the checkpoint is not touched. */
void agent__tasks_free(struct agent *a);
/* Drops every task and the checkpoint: the master removed this agent's id. */
void agent__tasks_forget_all(struct agent *a);
/*
 * Reads the checkpoint (AGENT_STORE_KEY_TASKS) of a previous incarnation
 * at creation (A5): its tasks run again, their pending updates wait for
 * the registration. 0 also when there is none; MC_EINVAL for a damaged
 * checkpoint, MC_ENOMEM.
 */
int agent__tasks_recover(struct agent *a) MC_MUST_USE;
/* Writes the checkpoint when a checkpointed task changed since the last write. */
void agent__tasks_checkpoint(struct agent *a);
/*
 * Fills r with every task for REREGISTER (agent_id borrowed into each),
 * and the FrameworkInfo of their frameworks; valid until the tasks change.
 * Free with agent__report_deinit, also on error (MC_ENOMEM).
 */
void agent__report_init(struct agent_report *r);
int agent__tasks_report(struct agent *a, struct agent_report *r,
                        Mesos__V1__AgentID *agent_id) MC_MUST_USE;
void agent__report_deinit(struct agent *a, struct agent_report *r);
/* REGISTERED.reconciliations (borrowed): each task the agent does not know is answered. */
void agent__tasks_reconcile(struct agent *a,
                            MesosConform__Internal__Event__ReconcileTasks *const *recs, size_t n);

#endif
