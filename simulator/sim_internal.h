/*
 * sim_internal.h: the simulator's own structures, shared by its files and
 * by nothing else (functions here are sim__*, per STYLE.md).
 *
 * Files: world.c (create, destroy, nodes, the event loop), rt_sim.c
 * (struct rt_ops for simulated nodes, and their timers), calls.c (what a
 * core's call_start, call_cancel, respond and stream_* do to a
 * connection), net.c (connections, latency, FIFO, splitting, arrival),
 * faults.c (partitions, holds, resets, crash and restart, the filter),
 * store.c (durable storage per address), trace.c (lines and their hash),
 * checks.c (invariants and violations).
 *
 * Lifetimes. A struct sim_node lives as long as the world: it is the
 * address, with its durable store. Each incarnation of the node (added or
 * restarted) is a struct sim_proc, also kept until the world goes, so that
 * a stale struct rt held by a crashed core stays a valid, harmless pointer.
 * A struct sim_conn lives from call_start until both ends are done and no
 * delivery refers to it. A struct sim_delivery is one message in flight:
 * in the event queue, or in a held link's queue; once freed it waits among
 * the world's spares (net.c) to carry a later message.
 */
#ifndef MC_SIM_INTERNAL_H
#define MC_SIM_INTERNAL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "http_msg.h"
#include "mc_alloc.h"
#include "mc_heap.h"
#include "mc_limits.h"
#include "mc_list.h"
#include "mc_rng.h"
#include "rt.h"
#include "sim.h"

/* The heap tag of a delivery; a timer's tag is its incarnation's number (>= 1). */
#define SIM_TAG_DELIVERY 0u

/*
 * A stream chunk of up to this many bytes travels inside its delivery
 * (most do: an event of the scheduler or agent API is a few dozen to a few
 * hundred bytes); a longer one gets a buffer of its own.
 */
#define SIM_DELIVERY_INLINE_BYTES 256u
/*
 * Freed deliveries a world keeps for its next ones, so that a message in
 * flight costs no allocation and no free. Far more than a soak has in
 * flight at once; a burst past it frees the surplus.
 */
#define SIM_DELIVERY_SPARES_MAX 1024u

struct sim_store_entry {
    struct mc_list_node link; /* in the node's store, in order of first put */
    char *key;
    uint8_t *bytes;
    size_t len;
};

struct sim_node {
    struct mc_list_node link; /* world->nodes, in order of addition */
    char address[MC_SIM_ADDRESS_BYTES_MAX];
    struct sim_proc *proc;     /* the live incarnation, NULL while crashed */
    struct mc_list_node store; /* struct sim_store_entry */
    uint32_t store_count;
};

struct sim_proc {
    struct mc_list_node link; /* world->procs, in order of creation */
    struct sim_world *world;
    struct sim_node *node;
    const struct rt_node_ops *ops;
    void *core;
    struct rt rt; /* ops = the simulator's table, ctx = this proc */
    uint32_t number;
    int alive;
    uint32_t timers_active;
};

/* The two directions of a connection. */
enum sim_dir { SIM_DIR_TO_SERVER = 0, SIM_DIR_TO_CLIENT = 1 };

/* The client's view of a call. */
enum sim_client_state {
    SIM_CLIENT_OPEN,    /* waiting for the answer, or reading a stream */
    SIM_CLIENT_CLOSING, /* reset: only the call_end(MC_ECLOSED) notice is left */
    SIM_CLIENT_DONE     /* call_end delivered, or the call cancelled */
};

/* The server's view of the request. */
enum sim_server_state {
    SIM_SERVER_NONE,      /* the request has not arrived (or never will) */
    SIM_SERVER_PENDING,   /* delivered, not answered yet */
    SIM_SERVER_STREAMING, /* answered with a stream head, stream open */
    SIM_SERVER_CLOSING,   /* reset while streaming: only the stream_closed notice is left */
    SIM_SERVER_DONE       /* answered and over, or the server is gone */
};

struct sim_conn {
    struct mc_list_node link; /* world->conns, in order of creation */
    uint64_t call;            /* the client's id */
    uint64_t req;             /* the server's id */
    struct sim_proc *client;
    struct sim_proc *server; /* bound at call_start; NULL: refused */
    char server_address[MC_SIM_ADDRESS_BYTES_MAX];
    enum sim_client_state client_state;
    enum sim_server_state server_state;
    int peer_gone;        /* the client went away while the request was pending */
    int reset;            /* in-flight traffic is discarded, notices excepted */
    int request_dropped;  /* the request never left (blackhole, filter): the server cannot know */
    uint64_t last_ns[2];  /* per direction: time of the last scheduled delivery */
    uint64_t sent_ord[2]; /* per direction: ordinal of the last scheduled delivery */
    uint64_t arrived_ord[2];
    uint32_t pending; /* deliveries (queued or held) that point here */
};

struct sim_delivery {
    struct mc_list_node link; /* in a held link's queue */
    struct sim_delivery *spare_next; /* in world->delivery_spares, once freed */
    struct sim_conn *conn;
    enum sim_delivery_kind kind;
    enum sim_dir dir;
    uint32_t slot;     /* position in the event queue */
    int notice;        /* a reset or refusal notice: survives conn->reset */
    int local;         /* delivered at its own end: no wire, no partition */
    int err;           /* END: the code for call_end */
    uint64_t ord;      /* per connection and direction, from 1 (0: local) */
    uint64_t delay_ns; /* extra delay a filter asked for */
    int has_request;   /* request below is set: a read-only copy that lives in pack */
    int has_response;  /* response below is initialised */
    void *pack;        /* REQUEST: the one allocation request points into (calls.c) */
    uint8_t *bytes;    /* DATA: inline_bytes, or an allocation of its own */
    size_t len;
    /*
     * From here on a new delivery is not zeroed (sim__delivery_new): the
     * request and the response are read only once has_request or
     * has_response says they are set, the inline bytes once written.
     */
    struct http_request request;
    struct http_response response;
    uint8_t inline_bytes[SIM_DELIVERY_INLINE_BYTES];
};

struct sim_partition {
    struct mc_list_node link;
    uint32_t id;
    enum sim_partition_mode mode;
    uint32_t na;
    uint32_t nb;
    char (*side_a)[MC_SIM_ADDRESS_BYTES_MAX];
    char (*side_b)[MC_SIM_ADDRESS_BYTES_MAX];
};

struct sim_hold {
    struct mc_list_node link;
    char from[MC_SIM_ADDRESS_BYTES_MAX];
    char to[MC_SIM_ADDRESS_BYTES_MAX];
    struct mc_list_node queue; /* struct sim_delivery, in order */
    uint32_t count;
};

struct sim_checker {
    sim_check_fn fn;
    void *ctx;
};

struct sim_world {
    const struct mc_alloc *alloc;
    struct sim_options options;
    struct mc_rng rng;
    struct mc_heap events;
    uint64_t now_ns;
    uint64_t instant_events; /* events run at now_ns so far */
    struct sim_proc *inside; /* the incarnation in a callback, else NULL */
    void *stepped_core;      /* the core the current step called, NULL when none */
    int running;             /* 1 inside sim_world_step */

    struct mc_list_node nodes;
    uint32_t nodes_count;
    /* The nodes by address (open addressing on a hash of it, for lookups;
     * nodes are never removed). The list above keeps their order. */
    struct sim_node *node_slots[2u * MC_SIM_NODES_MAX];
    struct mc_list_node procs;
    struct sim_proc **procs_by_number; /* index number - 1 */
    uint32_t procs_count;
    uint32_t procs_cap;

    struct mc_list_node conns;
    uint32_t conns_count;
    /* The open connections by call id, for lookups (net.c); the list above
     * keeps their order, which is the only order the world iterates in. */
    struct sim_conn **conn_slots;
    uint32_t conn_slots_cap; /* a power of two, or 0 */
    uint64_t id_last; /* ids are handed out above it */
    /* Freed deliveries for reuse, at most SIM_DELIVERY_SPARES_MAX (net.c). */
    struct sim_delivery *delivery_spares;
    uint32_t delivery_spares_count;

    struct mc_list_node partitions;
    uint32_t partitions_count;
    uint32_t partition_id_last;
    struct mc_list_node holds;
    uint32_t holds_count;
    uint32_t held_total; /* deliveries waiting in held links */

    sim_filter_fn filter_fn;
    void *filter_ctx;

    sim_trace_fn trace_fn;
    void *trace_ctx;
    uint64_t trace_hash;
    char line[MC_SIM_TRACE_LINE_BYTES_MAX];

    struct sim_checker checkers[MC_SIM_CHECKS_MAX];
    uint32_t checkers_count;
    uint64_t violations;
    uint64_t violation_first_ns;
    char violation_first[MC_DIAG_TEXT_BYTES_MAX];
    uint64_t checked_now_ns; /* the clock when the checks last ran */

    int err; /* sticky */
    char err_text[MC_DIAG_TEXT_BYTES_MAX];

    struct sim_stats stats;
};

/* rt_sim.c */
extern const struct rt_ops sim__rt_ops;

/* world.c */
void sim__world_fail(struct sim_world *world, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
struct sim_node *sim__node_find(const struct sim_world *world, const char *address);
int sim__address_valid(const char *address);
int sim__proc_create(struct sim_world *world, struct sim_node *node, const struct rt_node_ops *ops,
                     void *core, struct sim_proc **proc_out);
/* Bracket every call into a core: the re-entrancy guard of rt.h rule 1. */
void sim__world_enter(struct sim_world *world, struct sim_proc *proc);
void sim__world_leave(struct sim_world *world, struct sim_proc *proc);

/* net.c */
struct sim_conn *sim__conn_find(const struct sim_world *world, uint64_t id);
/* Indexes a new connection by its call id: 0 or MC_ENOMEM. */
int sim__conn_index_add(struct sim_world *world, struct sim_conn *conn) MC_MUST_USE;
uint64_t sim__call_start(struct sim_proc *proc, const char *peer,
                         const struct http_request *request);
void sim__call_cancel(struct sim_proc *proc, uint64_t call);
void sim__respond(struct sim_proc *proc, uint64_t req, const struct http_response *response);
void sim__stream_open(struct sim_proc *proc, uint64_t req, const struct http_response *head);
int sim__stream_write(struct sim_proc *proc, uint64_t req, const void *bytes, size_t len);
void sim__stream_close(struct sim_proc *proc, uint64_t req);
/*
 * A new delivery on conn, counted in conn->pending. NULL when the world's
 * queue is full or memory ran out; the world has then failed and says why.
 */
struct sim_delivery *sim__delivery_new(struct sim_world *world, struct sim_conn *conn,
                                       enum sim_delivery_kind kind);
/* Forgets d, which is neither queued nor held, and lets its connection go if it may. */
void sim__delivery_discard(struct sim_world *world, struct sim_delivery *d);
/*
 * Room for len bytes of DATA in d (d->bytes; inline when they fit), with
 * d->len set. 0, or MC_ENOMEM (the world has then failed and says why).
 */
int sim__delivery_bytes_alloc(struct sim_world *world, struct sim_delivery *d, size_t len);
void sim__delivery_arrive(struct sim_world *world, struct sim_delivery *d);
void sim__delivery_free(struct sim_world *world, struct sim_delivery *d);
/* Frees the spare deliveries; only when the world goes. */
void sim__delivery_spares_free(struct sim_world *world);
/* Puts d on the wire now: partitions, the filter, holds, then the queue. */
void sim__delivery_send(struct sim_world *world, struct sim_delivery *d);
/* Discards d before it reaches the wire, with a trace line saying why. */
void sim__delivery_drop(struct sim_world *world, struct sim_delivery *d, const char *why);
/* Queues d with a fresh latency behind its connection's earlier traffic. */
void sim__delivery_schedule(struct sim_world *world, struct sim_delivery *d);
/* Resets conn; near is the incarnation that learns at once (may be NULL). */
void sim__conn_reset(struct sim_world *world, struct sim_conn *conn, const struct sim_proc *near);
void sim__conn_release_maybe(struct sim_world *world, struct sim_conn *conn);
void sim__conn_free(struct sim_world *world, struct sim_conn *conn);

/* faults.c */
int sim__link_blocked(const struct sim_world *world, const char *from, const char *to);
struct sim_hold *sim__hold_find(const struct sim_world *world, const char *from, const char *to);
void sim__faults_deinit(struct sim_world *world);

/* store.c */
int sim__store_put(struct sim_proc *proc, const char *key, const void *bytes, size_t len);
int sim__store_get(struct sim_proc *proc, const char *key, struct mc_buf *out);
int sim__store_del(struct sim_proc *proc, const char *key);
void sim__store_deinit(struct sim_world *world, struct sim_node *node);

/* trace.c */
/*
 * A text written into buf[0..cap) piece by piece: n bytes so far, always
 * NUL-terminated, cut at cap - 1 as snprintf cuts. The hot trace lines are
 * built with it instead of a format (what each put writes is noted).
 */
struct sim_text {
    char *buf;
    size_t cap; /* at least 1 */
    size_t n;
};
void sim__text_init(struct sim_text *t, char *buf, size_t cap);
void sim__text_put(struct sim_text *t, const char *s); /* "%s" */
/* "%.*s" of n bytes (s holds no NUL in them), and of a string literal. */
void sim__text_put_n(struct sim_text *t, const char *s, size_t n);
#define SIM_TEXT_PUT_LIT(t, lit) sim__text_put_n((t), "" lit, sizeof(lit) - 1)
/* "%0<digits>llu": v in decimal, at least digits wide with leading zeros (at most 24). */
void sim__text_put_u64(struct sim_text *t, uint64_t v, unsigned digits);
void sim__text_put_i64(struct sim_text *t, int64_t v); /* "%lld" */
void sim__trace(struct sim_world *world, const char *from, const char *to, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* sim__trace(world, from, to, "%s", text), without the format. */
void sim__trace_text(struct sim_world *world, const char *from, const char *to, const char *text);
/* "log <level> <text>", to the sink only (not hashed). */
void sim__trace_log(struct sim_world *world, const char *from, const char *level, const char *text);
/* Describes a delivery ("request POST /api/v1/scheduler call=1 req=2") into out. */
void sim__delivery_describe(const struct sim_delivery *d, char *out, size_t out_bytes);
/* The line "[<before> ]<d described>[ <after>]"; before and after may be NULL. */
void sim__trace_delivery(struct sim_world *world, const char *from, const char *to,
                         const char *before, const struct sim_delivery *d, const char *after);

/* checks.c */
void sim__violation(struct sim_world *world, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void sim__checks_run(struct sim_world *world);
uint64_t sim__id_next(struct sim_world *world);

#endif
