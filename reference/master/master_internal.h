/*
 * master_internal.h: what the master's files share (not for other modules).
 *
 * Files: master.c (creation, request routing, ids, MasterInfo, sending
 * events), scheduler_api.c (/api/v1/scheduler: the order of checks and the
 * call handlers), framework.c (the framework state machine and its table),
 * agents.c (the agents' side and the registry: SPEC A, M1, M2), offers.c
 * (the allocator and the offers), tasks.c (tasks, task groups, status
 * updates, reconciliation, re-registration: SPEC T, O5, A3-A7, A9, L9, M1),
 * operations.c (ACCEPT and its offer operations, inverse offers,
 * RECONCILE_OPERATIONS: SPEC O5).
 */
#ifndef MC_MASTER_INTERNAL_H
#define MC_MASTER_INTERNAL_H

#include <protobuf-c/protobuf-c.h>

#include "agents.h"
#include "master.h"
#include "mc_limits.h"
#include "mc_list.h"
#include "mc_strmap.h"
#include "media.h"
#include "mesos/v1/scheduler/scheduler.pb-c.h"
#include "mesos_conform/internal.pb-c.h"
#include "resources.h"

/* A UUID as text, "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx", and its NUL. */
#define MASTER_UUID_TEXT_BYTES 37
/* Ids the master makes: "<uuid>-0001", "<uuid>-S12", "<uuid>-O345". */
#define MASTER_ID_BYTES_MAX 64
/* Ids the master is given by a client; longer ones are refused. */
#define MASTER_CLIENT_ID_BYTES_MAX 256

/*
 * A framework's states (framework.c holds the transitions):
 *  CONNECTED     subscribed, with a live event stream;
 *  DISCONNECTED  its stream is gone; the failover timer runs (L7);
 *  REMOVED       torn down or timed out; only its id is remembered (L5);
 *  RECOVERED     known to this master only from an agent's re-registration
 *                after a failover (M1), or about to subscribe under an id
 *                this master never saw (L4): listed, inactive, no timer.
 */
enum fw_state { FW_STATE_CONNECTED, FW_STATE_DISCONNECTED, FW_STATE_REMOVED, FW_STATE_RECOVERED,
                FW_STATE_COUNT };

struct framework {
    struct mc_list_node link; /* in master.frameworks or master.completed */
    struct master *master;
    char id[MASTER_CLIENT_ID_BYTES_MAX];
    Mesos__V1__FrameworkInfo *info; /* owned; id set */
    enum fw_state state;
    /* The current subscription; stream_req is 0 when there is none. */
    uint64_t stream_req;
    char stream_id[MASTER_UUID_TEXT_BYTES];
    enum media_codec codec;
    struct rt_timer heartbeat_timer;
    struct rt_timer failover_timer;
    /* Its tasks (tasks.c, struct master_task), in launch order, bounded by
     * MC_MASTER_TASKS_PER_FRAMEWORK_MAX; empty once it is REMOVED. */
    struct mc_list_node tasks;
    struct mc_strmap tasks_by_id; /* the same tasks, by id */
    uint32_t tasks_count;
};

struct master_agents; /* agents.c: registered agents, pings, partitions (SPEC A) */
struct master_holds;  /* invariants.c: the holds on one agent */

/*
 * An offer's, a task's or an executor's hold on an agent's resources, as
 * invariants.c indexes them (master__hold_start, master__hold_end).
 */
struct master_hold {
    struct mc_list_node link;    /* in its agent's list */
    struct master_holds *holds;  /* that agent's, or NULL when not listed */
    const struct res_set *resources; /* the holder's own, while it holds */
};

/*
 * How an agent that re-registers comes back, by the state it was in
 * (Mesos' Master::_reregisterSlave): it decides what tasks.c does with
 * the tasks it reports.
 *  KNOWN        REGISTERED or DISCONNECTED: the master keeps its own view
 *               and asks the agent about the tasks it left out
 *               (reconcileKnownSlave);
 *  RECOVERED    read from the registry after a failover: its tasks are
 *               added without a word (M1);
 *  UNREACHABLE  its tasks are added again, each with an UPDATE
 *               "Unreachable agent re-reregistered" (A4);
 *  UNKNOWN      an id this master never saw: as UNREACHABLE, with
 *               "Unknown agent reregistered".
 */
enum master_readmission {
    MASTER_READMIT_KNOWN,
    MASTER_READMIT_RECOVERED,
    MASTER_READMIT_UNREACHABLE,
    MASTER_READMIT_UNKNOWN,
};
struct master_offers; /* offers.c: the allocator and the outstanding offers (SPEC O) */
struct res_set;

struct master {
    struct rt rt;
    struct master_config config;
    ProtobufCAllocator pb_alloc; /* over rt.alloc, for every message kept */
    char id[MASTER_UUID_TEXT_BYTES];
    char pid[MASTER_CLIENT_ID_BYTES_MAX * 2]; /* "master@ip:port", as libprocess names it */
    uint64_t framework_seq; /* the next framework id's number */
    struct mc_list_node frameworks; /* CONNECTED and DISCONNECTED, in creation order */
    struct mc_strmap frameworks_by_id; /* the same, by id */
    struct mc_list_node completed;  /* REMOVED, oldest first, bounded */
    uint32_t frameworks_count;
    uint32_t completed_count;
    enum master_leadership leadership;
    char leader[MASTER_CLIENT_ID_BYTES_MAX];
    int recovered;
    struct rt_timer recovery_timer;
    uint64_t events_sent;
    struct master_agents *agents;
    struct master_offers *offers;
    /* Bumped whenever an offer, a task's hold on resources or a stream starts or ends
     * (invariants.c rechecks only then). */
    uint64_t mutations;
    struct master_check *check; /* invariants.c's tables, kept between checks, or NULL */
    /* tasks.c: the executors of task groups (struct master_executor), in launch order. */
    struct mc_list_node executors;
    uint32_t executors_count;
};

/*
 * api.c: the first checks of every endpoint (S2-S7) and the answer they
 * build. A verdict's status 0 means "no answer yet, go on"; for 307 the text
 * is the Location, for 405 the method received, otherwise the reason.
 */
struct master_verdict {
    int status;
    /* Room for the longest reason: a stream id echoed back (S16). */
    char text[MC_HTTP_HEADER_BYTES_MAX + MC_PBJSON_MESOS_TEXT_BYTES_MAX];
};

/* Sets the verdict to status with the reason prefix+text; returns 1. */
int master__verdict_set(struct master_verdict *v, int status, const char *prefix,
                        const char *text);
/* Whether the message field `name` of msg is set (a sub-message pointer). */
int master__message_field_present(const ProtobufCMessage *msg, const char *name);
/* S2, S3: 1 with a verdict unless this master leads and has recovered; api is "api/v1/x". */
int master__check_leader(struct master *m, const char *api, struct master_verdict *v);
/* S4: 1 with a verdict unless the method is POST. */
int master__check_method(const struct http_request *request, struct master_verdict *v);
/* S5-S7: the body decoded as desc into *out (allocated with m->pb_alloc), or 1 and a verdict. */
int master__check_decode(struct master *m, const struct http_request *request,
                         const ProtobufCMessageDescriptor *desc, struct master_verdict *v,
                         ProtobufCMessage **out);
/*
 * Mesos' common::validation::validateID for an id (task, executor, agent,
 * volume): NULL when valid, else its reason, written into buf when it
 * quotes the id.
 */
const char *master__id_problem(const char *id, char *buf, size_t buf_bytes);
/* Answers req with the verdict (a redirect, a 405 with Allow, or a text). */
void master__verdict_respond(struct master *m, uint64_t req, const struct master_verdict *v);

/* master.c */

/* Answers req with a text/plain error (W8a). */
void master__respond_text(struct master *m, uint64_t req, int status, const char *text);
/* Answers req with an empty body (202, 200) and no Content-Type (W8a). */
void master__respond_empty(struct master *m, uint64_t req, int status);
/* Writes a fresh UUID text from the runtime's generator. */
void master__uuid_make(struct master *m, char out[MASTER_UUID_TEXT_BYTES]);
/* Fills *info with this master's MasterInfo; strings point into m. */
void master__info_fill(struct master *m, Mesos__V1__MasterInfo *info, Mesos__V1__Address *address,
                       Mesos__V1__MasterInfo__Capability **caps, size_t caps_count);
/*
 * Sends ev on the framework's stream, encoded in the stream's codec and
 * framed as one RecordIO record in one chunk. A framework without a stream
 * gets nothing.
 */
void master__framework_send(struct master *m, struct framework *fw,
                            const Mesos__V1__Scheduler__Event *ev);

/* scheduler_api.c */
void master__scheduler_request(struct master *m, uint64_t req, const struct http_request *request);

/* framework.c: the state machine's entry points. */

/*
 * SUBSCRIBE that passed the HTTP checks (S11); takes ownership of info.
 * suppressed (Subscribe.suppressed_roles) is borrowed for the call.
 */
void master__framework_subscribe(struct master *m, uint64_t req, enum media_codec codec,
                                 Mesos__V1__FrameworkInfo *info, char *const *suppressed,
                                 size_t suppressed_count);
/* The stream req ended from the scheduler's side (L7). */
void master__framework_stream_closed(struct master *m, uint64_t req);
/* TEARDOWN (L10). */
void master__framework_teardown(struct master *m, struct framework *fw);
/* A live (CONNECTED, DISCONNECTED or RECOVERED) framework by id, or NULL. */
struct framework *master__framework_find(struct master *m, const char *id);
/* Whether id is one of the removed frameworks the master remembers (L5, A7). */
int master__framework_completed(const struct master *m, const char *id);
/*
 * A framework an agent runs tasks of and this master does not know, made
 * RECOVERED from the FrameworkInfo the agent sent (borrowed, copied; id
 * set): Mesos' Master::recoverFramework (M1). It is added to the
 * allocator inactive; no event is sent. NULL past frameworks_max or
 * without memory (logged).
 */
struct framework *master__framework_recover(struct master *m, const Mesos__V1__FrameworkInfo *info);
/* Frees every framework (master_destroy). */
void master__frameworks_free(struct master *m);
/* Whether req is a framework's current stream; then it is handled. */
int master__framework_stream_owned(struct master *m, uint64_t req);
/* Sends ev to every CONNECTED framework, in subscription order. */
void master__frameworks_broadcast(struct master *m, const Mesos__V1__Scheduler__Event *ev);

/*
 * agents.c: the internal master<->agent API (/api/v1/internal) and the
 * agents' liveness. master.c routes to these and nothing else.
 */
int master__agents_create(struct master *m) MC_MUST_USE;
void master__agents_destroy(struct master *m);
void master__agents_request(struct master *m, uint64_t req, const struct http_request *request);
/* The peer of stream req went away; 1 when req was an agent's stream. */
int master__agents_stream_closed(struct master *m, uint64_t req);
/*
 * Reads the registry from the durable store (a restarted master, M1):
 * its admitted agents become RECOVERED, its unreachable ones UNREACHABLE,
 * and agent_reregister_timeout starts when any is RECOVERED (M2). 0 also
 * when there is none; MC_EINVAL for a damaged registry, MC_ENOMEM.
 */
int master__agents_recover(struct master *m) MC_MUST_USE;
/* Whether any agent is still RECOVERED (Mesos' slaves.recovered is not empty). */
int master__agents_recovered_any(const struct master *m);
/* The AgentInfo of a known agent (borrowed, valid until it changes), or NULL. */
const Mesos__V1__AgentInfo *master__agent_info(struct master *m, const char *agent_id);
/*
 * Writes ev on the stream of agent agent_id. MC_ENOTFOUND when the agent is
 * unknown or not REGISTERED (nothing is sent: Mesos drops messages to
 * disconnected agents too).
 */
int master__agent_send(struct master *m, const char *agent_id,
                       const MesosConform__Internal__Event *ev) MC_MUST_USE;
/* Writes ev on the stream of every REGISTERED agent, in registration order. */
void master__agents_send_all(struct master *m, const MesosConform__Internal__Event *ev);
/*
 * The agent as Mesos prints a Slave: "<id> at slave(1)@<ip>:<port>
 * (<hostname>)" (the id alone for an agent without AgentInfo).
 */
void master__agent_describe(struct master *m, const char *agent_id, char *out, size_t out_bytes);
/* The dotted IPv4 of the agent's pid (offers' url.address.ip), "127.0.0.1" when unknown. */
const char *master__agent_ip(struct master *m, const char *agent_id);
/* Whether the agent declared the capability at its last (re-)registration. */
int master__agent_capable(struct master *m, const char *agent_id,
                          Mesos__V1__AgentInfo__Capability__Type type);
/*
 * CHECKPOINT_RESOURCES to the agent with its checkpointed resources (the
 * dynamic reservations and persistent volumes of its total in the
 * allocator), as Mesos' _apply sends CheckpointResourcesMessage. Nothing
 * when the agent is not REGISTERED.
 */
void master__agent_checkpoint_send(struct master *m, const char *agent_id);
/* When agent_id became UNREACHABLE (rt time, ns); 0 when it is not UNREACHABLE. */
uint64_t master__agent_unreachable_ns(struct master *m, const char *agent_id);

/*
 * offers.c: the allocator, the outstanding offers and the allocation timer
 * (SPEC O1-O4, O6, O7). The other files call these at the events that
 * change what may be offered; none of them fails the caller's event.
 */
int master__offers_create(struct master *m) MC_MUST_USE;
void master__offers_destroy(struct master *m);
/*
 * An agent (re-)registered with its total resources (borrowed): added to
 * the allocator, or made active and reachable again. Errors of the
 * allocator (MC_ELIMIT, MC_ENOMEM, MC_EINVAL) are returned.
 */
int master__offers_agent_attached(struct master *m, const char *agent_id,
                                  const struct res_set *total) MC_MUST_USE;
/*
 * An agent went DISCONNECTED (A6), UNREACHABLE (A3) or REMOVED (A9): its
 * offers are rescinded (RESCIND to each owner), then it is not offered.
 */
void master__offers_agent_lost(struct master *m, const char *agent_id,
                               enum master_agent_state state);
/*
 * fw (CONNECTED, with its new FrameworkInfo) subscribed: new, reconnected
 * (L8) or failed over (L2, L13: its offers are discarded without RESCIND).
 * suppressed is borrowed.
 */
void master__offers_framework_connected(struct master *m, struct framework *fw,
                                        const char *const *suppressed, size_t suppressed_count);
/* fw's stream is gone (L7): its offers are taken back and it gets none. */
void master__offers_framework_disconnected(struct master *m, struct framework *fw);
/* fw is removed (L9, L10): its offers are discarded without RESCIND. */
void master__offers_framework_removed(struct master *m, struct framework *fw);
/* fw was just made RECOVERED (M1): added to the allocator, inactive, with no role suppressed. */
void master__offers_framework_recovered(struct master *m, struct framework *fw);
/*
 * A task an agent reported at its re-registration holds resources
 * (allocated to role, borrowed) on agent_id for framework_id (M1, A4):
 * recorded as allocated in the allocator. Errors of alloc_allocation_add
 * (MC_ENOTFOUND, MC_EINVAL: not available or not one of its roles).
 */
int master__offers_allocation_add(struct master *m, const char *framework_id,
                                  const char *agent_id, const char *role,
                                  const struct res_set *resources) MC_MUST_USE;
/*
 * An offer operation converted consumed into converted (both allocated to
 * role, borrowed) in what fw holds on agent_id: the allocator's holding
 * and the agent's total change alike (alloc_allocation_convert).
 */
int master__offers_convert(struct master *m, const char *framework_id, const char *agent_id,
                           const char *role, const struct res_set *consumed,
                           const struct res_set *converted) MC_MUST_USE;
/* The agent's total in the allocator (unallocated, borrowed), or NULL when it has none. */
const struct res_set *master__offers_agent_total(struct master *m, const char *agent_id);
/* DECLINE, or ACCEPT (O6): fw's named offers go back with the filter (O2). */
void master__offers_decline(struct master *m, struct framework *fw,
                            Mesos__V1__OfferID *const *offer_ids, size_t offer_ids_count,
                            const Mesos__V1__Filters *filters);
/* SUPPRESS and REVIVE of the roles named, or all (roles_count 0) (O3). */
void master__offers_suppress(struct master *m, struct framework *fw, char *const *roles,
                             size_t roles_count);
void master__offers_revive(struct master *m, struct framework *fw, char *const *roles,
                           size_t roles_count);
/*
 * ACCEPT with operations (O5): validates the offers named as Mesos does
 * (no duplicate, each outstanding, fw's, one role, one agent) and takes
 * them: they are no longer outstanding, and their resources (allocated to
 * their role, still held in the allocator for fw) are added to
 * out->resources (initialised by the caller). Returns 0, or MC_EINVAL with
 * Mesos' reason in why: then every named offer that exists is discarded
 * (its resources go back without a filter, no RESCIND).
 */
struct offers_taken {
    char agent_id[MC_AGENT_ID_BYTES_MAX];
    char role[MC_RES_ROLE_BYTES_MAX];
    struct res_set resources;
};
int master__offers_take(struct master *m, struct framework *fw,
                        Mesos__V1__OfferID *const *offer_ids, size_t offer_ids_count,
                        struct offers_taken *out, char *why, size_t why_bytes) MC_MUST_USE;
/*
 * Resources held for framework_id on agent_id in role (the unused part of
 * an accept, a finished task) go back to the allocator; with filters (may
 * be NULL: no filter) as a decline's (O2). Errors are logged.
 */
void master__offers_give_back(struct master *m, const char *framework_id, const char *agent_id,
                              const char *role, const struct res_set *resources,
                              const Mesos__V1__Filters *filters);

/*
 * tasks.c: the tasks of every framework (SPEC T1-T11, O5's LAUNCH, A3-A7,
 * L9, M1). Scheduler calls that passed the checks of scheduler_api.c, agent
 * calls that passed those of agents.c, and the events of agents and
 * frameworks that change tasks. None of them fails the caller's event:
 * what cannot be done is answered with a status update or logged.
 */
/*
 * LAUNCH and LAUNCH_GROUP of an ACCEPT (operations.c's stage 3): each task
 * (each group) is validated as validation::task::validate
 * (task::group::validate) does against taken->resources, what remains of
 * the offers (allocated to taken->role), and either gets TASK_ERROR or is
 * launched, its resources then taken out of taken->resources.
 */
void master__tasks_launch(struct master *m, struct framework *fw,
                          const Mesos__V1__Offer__Operation__Launch *launch,
                          struct offers_taken *taken);
void master__tasks_launch_group(struct master *m, struct framework *fw,
                                const Mesos__V1__Offer__Operation__LaunchGroup *group,
                                struct offers_taken *taken);
/* An UPDATE the master makes (SOURCE_MASTER, no uuid) for task_id on agent_id (may be NULL). */
void master__tasks_update_master(struct master *m, struct framework *fw, const char *task_id,
                                 const char *agent_id, Mesos__V1__TaskState state,
                                 Mesos__V1__TaskStatus__Reason reason, const char *message);
/* Whether a task or executor on agent_id holds resources (unallocated) containing used. */
int master__tasks_agent_uses(struct master *m, const char *agent_id, const struct res_set *used);
/*
 * A9: agent_id was removed for a new agent at its address: each task
 * still on it gets TASK_LOST, REASON_AGENT_REMOVED, "Agent <hostname>
 * removed: a new agent registered at the same address", and is forgotten
 * (Mesos' _removeSlave), with its executors.
 */
void master__tasks_agent_removed(struct master *m, const char *agent_id, const char *hostname);
/* Frees every task group executor record without a word (master_destroy). */
void master__tasks_executors_free(struct master *m);
void master__tasks_kill(struct master *m, struct framework *fw,
                        const Mesos__V1__Scheduler__Call__Kill *kill);
void master__tasks_acknowledge(struct master *m, struct framework *fw,
                               const Mesos__V1__Scheduler__Call__Acknowledge *ack);
void master__tasks_reconcile(struct master *m, struct framework *fw,
                             const Mesos__V1__Scheduler__Call__Reconcile *reconcile);
void master__tasks_shutdown(struct master *m, struct framework *fw,
                            const Mesos__V1__Scheduler__Call__Shutdown *shutdown);
void master__tasks_message(struct master *m, struct framework *fw,
                           const Mesos__V1__Scheduler__Call__Message *message);
/* An agent's STATUS_UPDATE and EXECUTOR_MESSAGE calls (agent_id borrowed). */
void master__tasks_status_update(struct master *m, const char *agent_id,
                                 const MesosConform__Internal__Call__StatusUpdate *update);
void master__tasks_executor_message(struct master *m, const char *agent_id,
                                    const MesosConform__Internal__Call__ExecutorMessage *msg);
/* Agent transitions: UNREACHABLE (A3, before RESCIND and FAILURE), DISCONNECTED (A6). */
void master__tasks_agent_unreachable(struct master *m, const char *agent_id);
void master__tasks_agent_disconnected(struct master *m, const char *agent_id);
/*
 * A REREGISTER's report (rr, borrowed) of a known agent (READMIT_KNOWN):
 * for each framework that has tasks on agent_id the agent left out, one
 * ReconcileTasks for REGISTERED.reconciliations (Mesos'
 * reconcileKnownSlave). *out is an array the caller frees with
 * master__tasks_reconciliations_free (also on error). 0 or MC_ENOMEM.
 */
int master__tasks_reconciliations(struct master *m, const char *agent_id,
                                  const MesosConform__Internal__Call__Reregister *rr,
                                  MesosConform__Internal__Event__ReconcileTasks ***out,
                                  size_t *count) MC_MUST_USE;
void master__tasks_reconciliations_free(struct master *m,
                                        MesosConform__Internal__Event__ReconcileTasks **recs,
                                        size_t count);
/*
 * An agent re-registered (after REGISTERED was sent on its new stream, and
 * after it was attached to the allocator) with the report rr (borrowed):
 * its tasks are reconciled, re-added or announced as `how` says, frameworks
 * it names that the master does not know are recovered, and frameworks the
 * master removed are shut down on it (A4, A5, A7, M1; Mesos'
 * Master::__reregisterSlave and ___reregisterSlave).
 */
void master__tasks_agent_readmitted(struct master *m, const char *agent_id,
                                    enum master_readmission how,
                                    const MesosConform__Internal__Call__Reregister *rr);
/* fw is being removed (L9, L10): its tasks are killed without UPDATE and forgotten. */
void master__tasks_framework_removed(struct master *m, struct framework *fw);
/* fw subscribed again (L2, L8): agents resend its pending updates now (T10). */
void master__tasks_framework_resubscribed(struct master *m, struct framework *fw);
/* Frees fw's tasks without any event (master_destroy). */
void master__tasks_free(struct master *m, struct framework *fw);

/*
 * invariants.c's view of what is held on agents: fn gets each outstanding
 * offer (offers.c) or each task holding resources (tasks.c), with its
 * agent and resources (allocated to a role), all borrowed for the call.
 */
typedef void (*master_held_fn)(void *ctx, const char *agent_id, const struct res_set *resources);
void master__offers_each(const struct master *m, master_held_fn fn, void *ctx);
void master__tasks_each_held(const struct master *m, master_held_fn fn, void *ctx);
/* The allocator's agents: how many, and the i-th one's id and total (unallocated), borrowed. */
uint32_t master__offers_agents(const struct master *m);
/* A number that moves whenever the allocator's list of agents changes. */
uint64_t master__offers_agents_gen(const struct master *m);
void master__offers_agent_at(const struct master *m, uint32_t i, const char **agent_id,
                             const struct res_set **total);

/* invariants.c: its state, made with the master (MC_ENOMEM) and freed with it. */
int master__invariants_create(struct master *m);
void master__invariants_free(struct master *m);
/*
 * A hold on agent_id's resources starts or ends (each counts as a mutation).
 * resources are the holder's own: unchanged and alive while it holds.
 */
void master__hold_start(struct master *m, struct master_hold *hold, const char *agent_id,
                        const struct res_set *resources);
void master__hold_end(struct master *m, struct master_hold *hold);
/* Something else changed what agent_id's holds are checked against (its total, a conversion). */
void master__hold_touch(struct master *m, const char *agent_id);

/* operations.c */

/* ACCEPT with operations (O5): see the top of operations.c. Never fails the call (202). */
void master__operations_accept(struct master *m, struct framework *fw,
                               const Mesos__V1__Scheduler__Call__Accept *accept);
/* ACCEPT_INVERSE_OFFERS, DECLINE_INVERSE_OFFERS: validated and logged, as Mesos (no event). */
void master__operations_accept_inverse(struct master *m, struct framework *fw,
                                       const Mesos__V1__Scheduler__Call__AcceptInverseOffers *a);
void master__operations_decline_inverse(struct master *m, struct framework *fw,
                                        const Mesos__V1__Scheduler__Call__DeclineInverseOffers *d);
/* RECONCILE_OPERATIONS: an UPDATE_OPERATION_STATUS per operation named (none when implicit). */
void master__operations_reconcile(struct master *m, struct framework *fw,
                                  const Mesos__V1__Scheduler__Call__ReconcileOperations *r);
/* Whether fw's FrameworkInfo has the capability. */
int master__fw_capable(const struct framework *fw, Mesos__V1__FrameworkInfo__Capability__Type type);
/* Mesos' text of a Resources (operator<<), "{}" for none, cut to out_bytes. */
void master__resources_text(struct master *m, const struct res_set *set, char *out,
                            size_t out_bytes);
/*
 * Resources of an operation as the master reads them: res_set_from_proto_full
 * of arr added to out, each allocated to role unless it names its own
 * allocation (injectAllocationInfo). Errors as res_set_from_proto_full.
 */
int master__resources_from_op(struct master *m, Mesos__V1__Resource *const *arr, size_t n,
                              const char *role, struct res_set *out,
                              struct mc_diag *diag) MC_MUST_USE;
/*
 * resource::validate of src/master/validation.cpp (Resources::validate,
 * DiskInfo, ReservationInfo): NULL, or the reason with Mesos' prefixes
 * ("Invalid resources: ...", "Invalid DiskInfo: ...") written to why.
 */
const char *master__resources_validate(struct master *m, Mesos__V1__Resource *const *arr,
                                       size_t n, char *why, size_t why_bytes);
/* set -= other, leaving the items in the order Mesos' Resources would (swap-and-pop). */
int master__resources_subtract_mesos(struct res_set *set, const struct res_set *other) MC_MUST_USE;
/* out = the items of total Mesos checkpoints: dynamically reserved ones, persistent volumes. */
int master__resources_checkpointed(const struct res_set *total, struct res_set *out) MC_MUST_USE;
/*
 * applyCheckpointedResources: *total (initialised by the caller) = base
 * with each checkpointed resource (messages) in place of what it was made
 * from. 0, or MC_EINVAL / MC_ENOMEM with Mesos' reason in why.
 */
int master__resources_checkpointed_apply(struct master *m, const struct res_set *base,
                                         Mesos__V1__Resource *const *arr, size_t n,
                                         struct res_set *total, char *why,
                                         size_t why_bytes) MC_MUST_USE;

/* Outstanding offers now; offers made and RESCIND events sent so far (either may be NULL). */
uint32_t master__offers_outstanding(const struct master *m, uint64_t *made,
                                    uint64_t *rescinds_sent);

#endif
