/*
 * agents.h: what the master tells about its agents, for tests and reports.
 *
 * The agent side of the master lives in agents.c (the internal API on
 * /api/v1/internal, pings, partitions, the registry; SPEC.md A, M1, M2).
 * Its state table is described at the top of that file. These functions
 * only read it.
 */
#ifndef MC_MASTER_AGENTS_H
#define MC_MASTER_AGENTS_H

#include <stdint.h>

#include "master.h"

/*
 * An agent's state as the master sees it:
 *  REGISTERED    registered, with a live event stream, pinged;
 *  DISCONNECTED  its stream is gone (A6); still pinged, so that it becomes
 *                UNREACHABLE when it does not come back;
 *  UNREACHABLE   too many pings went unanswered (A2, A3); it keeps its id
 *                and becomes REGISTERED again when it re-registers (A1);
 *  REMOVED       replaced by a new agent at the same address (A9); only its
 *                id is kept, and a re-registration with it is refused;
 *  RECOVERED     read from the registry by a restarted master (M1): known by
 *                id and AgentInfo only (its tasks are not), not offered, not
 *                pinged, until it re-registers; UNREACHABLE when it does not
 *                within agent_reregister_timeout (M2).
 */
enum master_agent_state {
    MASTER_AGENT_REGISTERED,
    MASTER_AGENT_DISCONNECTED,
    MASTER_AGENT_UNREACHABLE,
    MASTER_AGENT_REMOVED,
    MASTER_AGENT_RECOVERED,
    MASTER_AGENT_STATE_COUNT
};

/*
 * The state of the agent agent_id (borrowed) as an enum master_agent_state
 * (0 or more), or MC_ENOTFOUND when the master never knew that id (or
 * forgot it as the oldest removed one past MC_MASTER_AGENTS_MAX).
 */
int master_agent_state(const struct master *m, const char *agent_id) MC_MUST_USE;

/* The key of the master's registry in its durable store (internal.proto Registry). */
#define MASTER_STORE_KEY_REGISTRY "master/registry"

/* The name of a state, "REGISTERED" ..., for messages; never NULL. */
const char *master_agent_state_name(int state);

/* Counts of the master's agents by state. */
struct master_agent_stats {
    uint32_t count[MASTER_AGENT_STATE_COUNT];
    uint64_t pings_sent;   /* PING events written to agents' streams */
    uint64_t pongs;        /* PONG calls accepted */
    uint64_t unreachable;  /* transitions to UNREACHABLE */
    uint64_t registry_writes; /* the registry written to the durable store */
};

void master_agent_stats_get(const struct master *m, struct master_agent_stats *out);

#endif
