/*
 * agent.h: the reference Mesos agent, a sans-I/O core: registration and
 * liveness (SPEC.md A1, A2, A5, A6), and a simulated command executor with
 * Mesos' status update manager (T1, T2, T4, T7, T8, T10; executor.c).
 *
 * The agent registers with the master over mesos-conform's internal API
 * (POST /api/v1/internal, reference/agent/README.md), keeps the AgentID the
 * master gives it in its durable store (key "agent/id") so that it survives
 * a restart, answers the master's PINGs, and re-registers with that id and
 * the tasks it runs whenever it loses the master: its stream ended, or no
 * PING came for the total ping timeout. The tasks of checkpointing
 * frameworks and their unacknowledged updates are kept in the store too
 * (key "agent/tasks"), so that a restarted agent recovers them (A5), and
 * so are the dynamic reservations and persistent volumes the master sends
 * it (CHECKPOINT_RESOURCES, key "agent/resources"), which it reports when
 * it re-registers. Task groups (RUN_TASK_GROUP) run under a simulated
 * default executor.
 * Like the master it is driven only through a struct rt
 * (reference/rt.h): the simulator and the libuv runtime both drive it
 * through agent_node_ops.
 */
#ifndef MC_AGENT_H
#define MC_AGENT_H

#include <stddef.h>
#include <stdint.h>

#include "mc_err.h"
#include "rt.h"

/* Mesos' defaults (src/slave/constants.hpp, src/master/constants.hpp). */
#define AGENT_REGISTRATION_BACKOFF_FACTOR_NS_DEFAULT (1 * RT_NS_PER_SEC)
#define AGENT_REGISTER_RETRY_INTERVAL_NS_MAX (60 * RT_NS_PER_SEC)
/* An unacknowledged status update is resent after 10 s, the wait doubling
 * up to 10 min (src/slave/constants.hpp STATUS_UPDATE_RETRY_INTERVAL_*). */
#define AGENT_STATUS_UPDATE_RETRY_NS_MIN (10 * RT_NS_PER_SEC)
#define AGENT_STATUS_UPDATE_RETRY_NS_MAX (600 * RT_NS_PER_SEC)
#define AGENT_PING_TIMEOUT_NS_DEFAULT (15 * RT_NS_PER_SEC)
#define AGENT_MAX_PING_TIMEOUTS_DEFAULT 5
#define AGENT_PORT_DEFAULT 5051
/* The durable keys of the agent's id and of its checkpointed tasks (internal.proto Checkpoint). */
#define AGENT_STORE_KEY_ID "agent/id"
#define AGENT_STORE_KEY_TASKS "agent/tasks"

struct agent_config {
    const char *master;   /* the master's "host:port" */
    const char *hostname; /* AgentInfo.hostname */
    uint16_t port;        /* AgentInfo.port */
    /* The dotted IPv4 of the agent's libprocess pid, which Mesos puts in offers'
     * url.address.ip (sent in REGISTER and REREGISTER); "127.0.0.1" by default. */
    const char *ip;
    /* The resources as configured ("cpus:4;mem:8192;disk:65536;ports:[31000-32000]"),
     * sent to the master as text (Register.resources_text); NULL for none. */
    const char *resources;
    /* The first attempt waits a random time in [0, factor]; each retry
     * doubles the bound, up to AGENT_REGISTER_RETRY_INTERVAL_NS_MAX
     * (Mesos' --registration_backoff_factor). */
    uint64_t registration_backoff_factor_ns;
    /* With no PING for ping_timeout_ns * max_ping_timeouts, the master is
     * lost; REGISTERED's total_ping_timeout_seconds overrides it, as Mesos'
     * MasterSlaveConnection does. */
    uint64_t ping_timeout_ns;
    uint32_t max_ping_timeouts;
};

/* Fills c with Mesos' defaults: master "master:5050", agent "agent:5051" at 127.0.0.1, no
 * resources. */
void agent_config_init(struct agent_config *c);

struct agent;

/*
 * Creates an agent driven by rt (copied; rt->alloc is used for everything)
 * and starts it: it reads its id from the store and schedules its first
 * (re-)registration. cfg is copied, strings included. Returns 0, MC_EINVAL
 * (a missing master or hostname, a zero timeout or factor, a hostname
 * longer than 255 bytes, an ip that is not a dotted IPv4 address,
 * resources longer than MC_AGENT_RESOURCES_BYTES_MAX, a stored id that is
 * not a valid id, or a damaged checkpoint or checkpointed resources) or
 * MC_ENOMEM. *out is set only on success.
 */
int agent_create(const struct rt *rt, const struct agent_config *cfg,
                 struct agent **out) MC_MUST_USE;

/* Frees the agent, cancelling its timers and its calls. NULL is harmless. */
void agent_destroy(struct agent *a);

/* The entry points a runtime drives an agent through (node = the agent). */
extern const struct rt_node_ops agent_node_ops;

/*
 * The agent's states:
 *  DISCONNECTED  no registration in flight; the next attempt is scheduled;
 *  REGISTERING   a REGISTER or REREGISTER call is in flight (and the next
 *                attempt scheduled, in case it never answers);
 *  REGISTERED    the master answered REGISTERED; PINGs are awaited.
 */
enum agent_state { AGENT_STATE_DISCONNECTED, AGENT_STATE_REGISTERING, AGENT_STATE_REGISTERED,
                   AGENT_STATE_COUNT };

enum agent_state agent_state_get(const struct agent *a);

/* The name of a state, "REGISTERED" ...; never NULL. */
const char *agent_state_name(enum agent_state state);

/* The agent's id, "" before it has one. Valid until the agent changes it or is destroyed. */
const char *agent_id(const struct agent *a);

/* Counts for tests and reports. */
struct agent_stats {
    uint64_t attempts;       /* REGISTER and REREGISTER calls started */
    uint64_t registrations;  /* REGISTERED events taken */
    uint64_t pings;          /* PING events taken */
    uint64_t pongs_sent;     /* PONG calls started */
    uint64_t masters_lost;   /* no PING for the total ping timeout */
    uint64_t streams_ended;  /* the registration call ended or was refused */
    uint64_t refusals;       /* non-200 answers to a registration */
    uint64_t tasks_launched; /* RUN_TASK events that started a task */
    uint64_t updates_sent;   /* STATUS_UPDATE calls started, resends included */
    uint64_t updates_acked;  /* updates removed by their ACKNOWLEDGE_UPDATE */
    uint64_t checkpoints;    /* writes (or removals) of the checkpoint */
    uint64_t tasks_recovered; /* tasks read back from the checkpoint at creation (A5) */
    uint64_t reconciliations_answered; /* tasks the master asked about and the agent did not know */
    uint32_t tasks;          /* tasks it has now (running, or waiting for an acknowledgement) */
};

void agent_stats_get(const struct agent *a, struct agent_stats *out);

/*
 * The agent's invariants, for the simulator's checkers: every task has at
 * most one terminal state, every unacknowledged update has its retry timer
 * armed (it is retried until acknowledged), no update was lost. Returns 0
 * when they hold, else 1 with a one-line message in text.
 */
int agent_invariants_check(const struct agent *a, char *text, size_t text_bytes);

/* A counter that moves whenever a task's updates, retries or terminal states change,
 * so that a checker can skip the check when nothing changed. */
uint64_t agent_mutations(const struct agent *a);

#endif
