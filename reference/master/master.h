/*
 * master.h: the reference Mesos master, a sans-I/O core.
 *
 * The master serves the scheduler API (/api/v1/scheduler) exactly as Mesos
 * 1.12 does (SPEC.md S, L, H), driven through a struct rt (reference/rt.h):
 * it never touches a socket or a clock. The simulator and the libuv runtime
 * both drive it through master_node_ops.
 */
#ifndef MC_MASTER_H
#define MC_MASTER_H

#include <stddef.h>
#include <stdint.h>

#include "mc_err.h"
#include "rt.h"

/* Mesos' defaults (SPEC.md, "Defaults used everywhere"). */
#define MASTER_HEARTBEAT_INTERVAL_NS_DEFAULT (15 * RT_NS_PER_SEC)
#define MASTER_AGENT_PING_TIMEOUT_NS_DEFAULT (15 * RT_NS_PER_SEC)
#define MASTER_MAX_AGENT_PING_TIMEOUTS_DEFAULT 5
#define MASTER_ALLOCATION_INTERVAL_NS_DEFAULT (1 * RT_NS_PER_SEC)
#define MASTER_AGENT_REREGISTER_TIMEOUT_NS_DEFAULT (600 * RT_NS_PER_SEC)
#define MASTER_MAX_COMPLETED_FRAMEWORKS_DEFAULT 50
#define MASTER_VERSION "1.12.0"

struct master_config {
    uint64_t heartbeat_interval_ns;
    uint64_t agent_ping_timeout_ns;
    uint32_t max_agent_ping_timeouts;
    uint64_t allocation_interval_ns;
    uint64_t agent_reregister_timeout_ns;
    uint32_t max_completed_frameworks;
    /* How long the master answers 503 after it starts (S3); 0: at once. */
    uint64_t recovery_ns;
    /* Where the master says it is (MasterInfo, the stream's pid). */
    const char *hostname;
    const char *ip; /* dotted IPv4 */
    uint16_t port;
    /* Limits (mc_limits.h style): live frameworks, remembered removed ones. */
    uint32_t frameworks_max;
};

/* Fills c with Mesos' defaults and the address 127.0.0.1:5050. */
void master_config_init(struct master_config *c);

struct master;

/*
 * Creates a master driven by rt (copied; rt->alloc is used for everything).
 * cfg is copied, strings included. Returns 0, MC_EINVAL (a bad config, or
 * a damaged registry in the durable store) or MC_ENOMEM. The master is the
 * leader and starts recovering at once: it reads its registry of agents
 * from the durable store (agents.h, M1) before it answers anything.
 */
int master_create(const struct rt *rt, const struct master_config *cfg,
                  struct master **out) MC_MUST_USE;

/* Frees the master and everything it holds; it cancels its own timers. */
void master_destroy(struct master *m);

/* The entry points a runtime drives a master through (node = the master). */
extern const struct rt_node_ops master_node_ops;

/* Who leads (S2): this master, another one at leader ("host:port"), or none. */
enum master_leadership { MASTER_LEADING, MASTER_FOLLOWING, MASTER_NO_LEADER };

/* Sets who leads; leader is copied and used only with MASTER_FOLLOWING. */
int master_leadership_set(struct master *m, enum master_leadership leadership,
                          const char *leader) MC_MUST_USE;

/* The master's id (a UUID text, drawn from the runtime's generator). */
const char *master_id(const struct master *m);

/* Counts for tests and reports. */
struct master_stats {
    uint32_t frameworks_connected;
    uint32_t frameworks_disconnected;
    uint32_t frameworks_recovered; /* known from agents after a failover, not subscribed yet (M1) */
    uint32_t frameworks_completed;
    uint64_t events_sent;
};

void master_stats_get(const struct master *m, struct master_stats *out);

/*
 * The master's invariants, for the simulator's checkers (invariants.c):
 * per agent, outstanding offers plus tasks' resources fit its total and no
 * port is in two of them; subscribed frameworks' stream ids are unique.
 * Returns 0 when they hold, else 1 with a one-line message in text.
 */
int master_invariants_check(struct master *m, char *text, size_t text_bytes);

/* A counter that moves whenever an offer, a task's hold or a framework's stream starts or ends,
 * so that a checker can skip the check when nothing changed. */
uint64_t master_mutations(const struct master *m);

#endif
