/*
 * master_internal.h: what the master's files share (not for other modules).
 *
 * Files: master.c (creation, request routing, ids, MasterInfo, sending
 * events), scheduler_api.c (/api/v1/scheduler: the order of checks and the
 * call handlers), framework.c (the framework state machine and its table),
 * agents.c (the agents' side), offers.c (the allocator and the offers).
 */
#ifndef MC_MASTER_INTERNAL_H
#define MC_MASTER_INTERNAL_H

#include <protobuf-c/protobuf-c.h>

#include "agents.h"
#include "master.h"
#include "mc_list.h"
#include "media.h"
#include "mesos/v1/scheduler/scheduler.pb-c.h"

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
 *  REMOVED       torn down or timed out; only its id is remembered (L5).
 */
enum fw_state { FW_STATE_CONNECTED, FW_STATE_DISCONNECTED, FW_STATE_REMOVED, FW_STATE_COUNT };

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
};

struct master_agents; /* agents.c: registered agents, pings, partitions (SPEC A) */
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
};

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
/* A live (CONNECTED or DISCONNECTED) framework by id, or NULL. */
struct framework *master__framework_find(struct master *m, const char *id);
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
/* The AgentInfo of a known agent (borrowed, valid until it changes), or NULL. */
const Mesos__V1__AgentInfo *master__agent_info(struct master *m, const char *agent_id);

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
/* DECLINE, or ACCEPT (O6): fw's named offers go back with the filter (O2). */
void master__offers_decline(struct master *m, struct framework *fw,
                            Mesos__V1__OfferID *const *offer_ids, size_t offer_ids_count,
                            const Mesos__V1__Filters *filters);
/* SUPPRESS and REVIVE of the roles named, or all (roles_count 0) (O3). */
void master__offers_suppress(struct master *m, struct framework *fw, char *const *roles,
                             size_t roles_count);
void master__offers_revive(struct master *m, struct framework *fw, char *const *roles,
                           size_t roles_count);
/* Outstanding offers now; offers made and RESCIND events sent so far (either may be NULL). */
uint32_t master__offers_outstanding(const struct master *m, uint64_t *made,
                                    uint64_t *rescinds_sent);

#endif
