/*
 * sim.h: the deterministic simulator, the public face of simulator/.
 *
 * A struct sim_world is one simulated cluster: a virtual clock, one event
 * queue, one seeded generator, the nodes (reference cores, or the suite's
 * own clients) registered under addresses such as "master:5050", the
 * simulated connections between them, and the faults injected into them.
 * It drives its nodes through reference/rt.h exactly as the libuv runtime
 * does, so a core cannot tell the two apart, except that here time only
 * moves when the world runs, and every run with one seed is the same run.
 * Nothing is global: any number of worlds may live in one process, each
 * allocating only through the struct mc_alloc it was created with.
 *
 * Time and events. The clock starts at 0 and jumps to the next event. The
 * queue (base/mc_heap.h) holds timers and network deliveries keyed by
 * (time, insertion order), so events due at the same time run in the order
 * they were queued; each step runs exactly one event. A timer started at
 * delay 0 from inside a callback is therefore queued behind everything
 * already due at this instant and runs later in the same instant, never
 * inside the callback that started it (rt.h rule 3: libuv's ready-queue
 * pass gives the same order). Time does not advance for a zero delay, so a
 * core that keeps restarting a zero-delay timer would spin at one instant
 * forever; the world counts the events of one instant and, past
 * options.events_per_instant_max, stops with MC_ELIMIT and a message that
 * says so (sim_world_error) instead of hanging.
 *
 * Network. Every outbound call (rt_ops.call_start) is one simulated
 * connection between the calling node and the node at the peer address.
 * HTTP travels as deep copies of the parsed messages of
 * reference/http_msg.h, never as bytes; only the bytes of a stream travel
 * as bytes. A delivery arrives after options.latency_ns_min plus a uniform
 * extra in [0, latency_ns_jitter] drawn from the world's generator, and
 * never before the previous delivery on the same connection and direction
 * (TCP never reorders). With probability chunk_split_num/chunk_split_den a
 * stream chunk arrives as several call_data pieces cut at random byte
 * boundaries; the bytes are always complete and in order. A call to an
 * address with no node, or to a crashed node, gets call_end(MC_ECLOSED)
 * with no response after a round trip: the connection was refused.
 * Which node and incarnation serves a call is fixed when the call starts.
 *
 * Faults (each also written to the trace):
 *  - Partitions blackhole traffic, as a real one does: connections stay
 *    open, and every delivery that would cross the cut is discarded whole
 *    (a request, a response head, a whole stream_write chunk, a close, never
 *    part of a chunk, so the reader's framing is intact after heal). A new
 *    call across it gets no answer at all: the caller must time out by
 *    itself. The decision is taken when the traffic enters the wire (when
 *    the core sends it, or when a held link releases it); traffic already
 *    in flight when a partition starts still arrives.
 *  - A held link queues its traffic in order and sends it at release.
 *  - A reset closes a connection at both ends: its side that the reset is
 *    aimed at learns at once (an event at the current time) and the far
 *    end after the latency (client: call_end(MC_ECLOSED); server:
 *    stream_closed if it was streaming; a request not yet answered is
 *    marked gone, so its answer is discarded and a stream opened on it is
 *    reported closed at once). Everything else in flight on the connection
 *    is discarded; until the server hears, its stream_write still succeeds
 *    and the bytes are discarded too. The far end's notice is traffic like
 *    any other: a partition swallows it, as it would swallow a TCP RST.
 *  - A crash drops the node's timers, resets its connections for the
 *    peers (not a call whose request was lost on the way: that server never
 *    had it), discards what is on its way to it and forgets the node pointer
 *    (the owner then frees the core). Calls to it are refused until
 *    restart. Durable storage (rt_ops.store_*) is kept per address and
 *    survives; nothing else does.
 *
 * Trace. Every event, and every fault or discarded delivery, becomes one
 * line "<seconds.nanoseconds> <from> <to> <what>", passed to an optional
 * sink (the world never prints) and folded into a 64-bit FNV-1a hash that
 * is always computed. The lines hold no pointer, no uninitialised byte and
 * no floating point, and the world iterates only in insertion order, so a
 * seed gives the same lines and hash in every build and on every machine.
 * Log lines of the cores (rt_ops.log) go to the sink too but are left out
 * of the hash, so rewording a log message does not change recorded hashes.
 *
 * Checks. After every event the world runs its own invariants (the clock
 * never goes back, each connection delivers in the order it sent, ids are
 * never reused) and the checkers registered with sim_world_check_add; it
 * counts violations and keeps the first message and its time.
 *
 * Errors: functions return 0 or a negative MC_E* code (base/mc_err.h).
 * An error of the world itself (the event queue full, a zero-delay loop,
 * memory exhausted inside a core's call) is sticky: the world stops, every
 * later run returns the same code, and sim_world_error says what happened.
 * Misuse (NULL where a pointer is required, running the world from inside
 * one of its own callbacks) is a programmer error caught by MC_ASSERT.
 *
 * Re-entrancy: the world calls a core only from sim_world_step (and the
 * run functions built on it), never from inside a call the core makes to
 * its struct rt (rt.h rule 1). The fault functions only queue events, so
 * they may be called from anywhere except that a node may not crash itself
 * from inside its own callback.
 */
#ifndef MC_SIM_H
#define MC_SIM_H

#include <stddef.h>
#include <stdint.h>

#include "mc_alloc.h"
#include "mc_diag.h"
#include "mc_err.h"
#include "mc_rng.h"
#include "rt.h"

struct http_request;
struct http_response;
struct sim_world;

/*
 * How a world behaves. Start from sim_options_default and change what the
 * run needs; every field is an integer so that the options, like the seed,
 * can be printed and replayed exactly.
 */
struct sim_options {
    uint64_t seed;
    uint64_t latency_ns_min;         /* every delivery takes at least this */
    uint64_t latency_ns_jitter;      /* plus a uniform extra in [0, jitter] */
    uint32_t chunk_split_num;        /* a stream chunk is split with   */
    uint32_t chunk_split_den;        /* probability num/den (den >= 1) */
    uint32_t events_max;             /* queued events at once, <= MC_SIM_EVENTS_MAX */
    uint32_t events_per_instant_max; /* events at one time before it is a loop */
    int checks_disabled;             /* 1 skips registered checkers (benchmarks) */
};

/* The defaults: seed 1, 0.5 ms + up to 0.5 ms latency, 1 chunk in 4 split. */
void sim_options_default(struct sim_options *options);

/*
 * Creates a world at time 0. options is copied. alloc (NULL: the system
 * allocator) must outlive the world; everything the world allocates goes
 * through it. Errors: MC_EINVAL for options out of range, with the field
 * named in diag (may be NULL); MC_ENOMEM. *world_out is set only on success.
 */
int sim_world_create(const struct sim_options *options, const struct mc_alloc *alloc,
                     struct sim_world **world_out, struct mc_diag *diag) MC_MUST_USE;

/*
 * Frees the world and everything it still holds (queued deliveries, copies
 * of messages, stores). The nodes' cores are the owner's and are not
 * touched; their timers simply never fire. Every struct rt handed out dies
 * with the world, so a core that cancels its timers or answers on its way
 * out must be destroyed first. NULL is harmless.
 */
void sim_world_destroy(struct sim_world *world);

/*
 * Runs the earliest event. Returns 1 when one ran, 0 when the queue is
 * empty, or the world's sticky error (MC_ELIMIT, MC_ENOMEM).
 */
int sim_world_step(struct sim_world *world) MC_MUST_USE;

/*
 * Runs every event due at or before t_ns, in order, then sets the clock to
 * t_ns (never backwards: a t_ns in the past runs only what is due now).
 * Returns 0 or the world's sticky error.
 */
int sim_world_run_until(struct sim_world *world, uint64_t t_ns) MC_MUST_USE;

/* sim_world_run_until(world, now + d_ns), saturating. */
int sim_world_run_for(struct sim_world *world, uint64_t d_ns) MC_MUST_USE;

/* The simulated time in nanoseconds since the world was created. */
uint64_t sim_world_now_ns(const struct sim_world *world);

/* The time of the earliest queued event in *t_ns_out; MC_ENOTFOUND when none. */
int sim_world_next_ns(const struct sim_world *world, uint64_t *t_ns_out);

/*
 * The world's sticky error: 0 while it runs, else the code, with the
 * message (what and when) copied into diag's text when diag is not NULL.
 */
int sim_world_error(const struct sim_world *world, struct mc_diag *diag);

/*
 * The world's generator, for a harness that makes its own choices (fault
 * schedules, swarm options) from the same seed. Borrowed for the world's life.
 */
struct mc_rng *sim_world_rng(struct sim_world *world);

/*
 * Registers a node under address ("host:port": 1..MC_SIM_ADDRESS_BYTES_MAX-1
 * printable bytes, no space) and hands back its runtime in *rt_out: the
 * struct rt the core keeps and calls. ops and node are borrowed until the
 * node crashes or the world is destroyed; *rt_out stays valid for the
 * world's life (after a crash its calls do nothing). Errors: MC_EINVAL for
 * a bad address, MC_EEXIST when the address is taken, MC_ELIMIT past
 * MC_SIM_NODES_MAX nodes or MC_SIM_PROCS_MAX incarnations, MC_ENOMEM.
 */
int sim_node_add(struct sim_world *world, const char *address, const struct rt_node_ops *ops,
                 void *node, struct rt **rt_out) MC_MUST_USE;

/*
 * Gives the live incarnation at address its node pointer. A core that needs
 * its struct rt to be created is added (or restarted) with node NULL, made
 * with the rt handed back, then bound here before the world runs. Binding
 * again replaces the pointer. Errors: MC_ENOTFOUND for an unknown address,
 * MC_ESTATE while the node is crashed.
 */
int sim_node_bind(struct sim_world *world, const char *address, void *node) MC_MUST_USE;

/*
 * Crashes the node at address (see Faults above). Once this returns, the
 * world never calls the old node pointer again, so the owner may free the
 * core. Errors: MC_ENOTFOUND for an unknown address, MC_ESTATE when it is
 * already down.
 */
int sim_node_crash(struct sim_world *world, const char *address) MC_MUST_USE;

/*
 * Brings a crashed node back as a new incarnation (a new core, a new
 * struct rt in *rt_out) that finds the address's durable store as it was.
 * Errors: MC_ENOTFOUND, MC_ESTATE when it is up, MC_ELIMIT, MC_ENOMEM.
 */
int sim_node_restart(struct sim_world *world, const char *address, const struct rt_node_ops *ops,
                     void *node, struct rt **rt_out) MC_MUST_USE;

/* 1 when a node is registered at address and not crashed. */
int sim_node_is_up(const struct sim_world *world, const char *address);

enum sim_partition_mode {
    SIM_PARTITION_SYMMETRIC, /* nothing crosses in either direction */
    SIM_PARTITION_ONE_WAY    /* side a to side b is cut; b to a still flows */
};

/*
 * Cuts side_a (na addresses) from side_b (nb addresses); the addresses are
 * copied and need not be registered yet. *id_out gets the partition's id
 * (never 0) for sim_heal. Errors: MC_EINVAL for an empty side, a bad
 * address or one on both sides; MC_ELIMIT past MC_SIM_PARTITIONS_MAX or
 * MC_SIM_PARTITION_SIDE_MAX; MC_ENOMEM.
 */
int sim_partition(struct sim_world *world, const char *const side_a[], uint32_t na,
                  const char *const side_b[], uint32_t nb, enum sim_partition_mode mode,
                  uint32_t *id_out) MC_MUST_USE;

/* Removes one partition. MC_ENOTFOUND when no partition has that id. */
int sim_heal(struct sim_world *world, uint32_t id) MC_MUST_USE;

/* Removes every partition. */
void sim_heal_all(struct sim_world *world);

/*
 * Holds the directed link from -> to: deliveries that would enter it are
 * queued, in order, until sim_link_release sends them (each with a fresh
 * latency, still after anything earlier on its connection). Errors:
 * MC_EINVAL (bad address), MC_EEXIST (already held), MC_ELIMIT, MC_ENOMEM.
 */
int sim_link_hold(struct sim_world *world, const char *from, const char *to) MC_MUST_USE;

/* Releases a held link. MC_ENOTFOUND when it is not held. */
int sim_link_release(struct sim_world *world, const char *from, const char *to) MC_MUST_USE;

/*
 * Resets the connection of call id or request id `id` (either end's id).
 * The end that id names is the near end. MC_ENOTFOUND when no open
 * connection has that id.
 */
int sim_conn_reset(struct sim_world *world, uint64_t id) MC_MUST_USE;

/*
 * Resets every open connection of the node at address (the node is the
 * near end). Returns how many were reset (0 or more), or MC_ENOTFOUND.
 */
int sim_node_reset_connections(struct sim_world *world, const char *address) MC_MUST_USE;

/* What travels on a simulated connection. */
enum sim_delivery_kind {
    SIM_DELIVERY_REQUEST,  /* client -> server: rt_node_ops.request */
    SIM_DELIVERY_RESPONSE, /* server -> client: a whole response (call_response) */
    SIM_DELIVERY_HEAD,     /* server -> client: a stream head (call_response) */
    SIM_DELIVERY_DATA,     /* server -> client: stream bytes (call_data) */
    SIM_DELIVERY_END,      /* server -> client: call_end */
    SIM_DELIVERY_CLOSE     /* client -> server: the client went away (stream_closed) */
};

/* A delivery as a filter sees it; everything is borrowed for the call. */
struct sim_delivery_info {
    enum sim_delivery_kind kind;
    const char *from;
    const char *to;
    uint64_t call;                        /* the client's id */
    uint64_t req;                         /* the server's id */
    const struct http_request *request;   /* REQUEST, else NULL */
    const struct http_response *response; /* RESPONSE and HEAD, else NULL */
    const uint8_t *bytes;                 /* DATA: the whole chunk; else NULL */
    size_t len;
    int err; /* END: the code call_end will report */
};

enum sim_filter_verdict {
    SIM_FILTER_PASS, /* deliver as usual */
    SIM_FILTER_DROP, /* discard it whole (traced) */
    SIM_FILTER_DELAY /* deliver *delay_ns later than usual (FIFO still holds) */
};

/*
 * Looks at a delivery as it enters the wire (after partitions, before
 * holds and splitting). It may keep its own state ("drop the next three
 * heartbeats") but must not call into the world.
 */
typedef enum sim_filter_verdict (*sim_filter_fn)(void *ctx, const struct sim_delivery_info *info,
                                                 uint64_t *delay_ns);

/* Sets (or with fn NULL removes) the world's one delivery filter. */
void sim_world_filter_set(struct sim_world *world, sim_filter_fn fn, void *ctx);

/*
 * Receives each trace line (NUL-terminated, printable, no newline), borrowed
 * for the call. A sink stores or prints; it must not call into the world.
 */
typedef void (*sim_trace_fn)(void *ctx, const char *line);

/* Sets (or with fn NULL removes) the trace sink. The hash is kept either way. */
void sim_world_trace_set(struct sim_world *world, sim_trace_fn fn, void *ctx);

/* The FNV-1a 64 hash of every hashed trace line so far, each with a '\n'. */
uint64_t sim_world_trace_hash(const struct sim_world *world);

/*
 * Adds a line "<time> - - note <text>" to the trace (and the hash), for a
 * harness to mark its own steps. text is cut at the line limit.
 */
void sim_world_trace_note(struct sim_world *world, const char *text);

/*
 * A checker: returns 0 when its invariant holds, else writes a one-line
 * message (what is wrong) into text (text_bytes >= 1) and returns non-zero.
 * It must not change the world.
 */
typedef int (*sim_check_fn)(void *ctx, const struct sim_world *world, char *text,
                            size_t text_bytes);

/*
 * The node pointer of the core the last step called (the one a timer or a
 * delivery was for), NULL when it called none (a discarded delivery). A
 * checker may look only at what that step could have changed.
 */
void *sim_world_stepped_core(const struct sim_world *world);

/* Registers a checker, run after every event. MC_ELIMIT past MC_SIM_CHECKS_MAX. */
int sim_world_check_add(struct sim_world *world, sim_check_fn fn, void *ctx) MC_MUST_USE;

/*
 * How many violations were found (the world's own invariants and the
 * checkers'). When there was one, *first_ns and *first_text (each may be
 * NULL) get the time and message of the first; the text is the world's,
 * valid for its life.
 */
uint64_t sim_world_violations(const struct sim_world *world, uint64_t *first_ns,
                              const char **first_text);

/* Counters for `mesos-conform simulate` and benchmarks. */
struct sim_stats {
    uint64_t events;    /* events run (timers and deliveries) */
    uint64_t timers;    /* timer callbacks run */
    uint64_t requests;  /* requests delivered to a server */
    uint64_t responses; /* whole responses and stream heads delivered */
    uint64_t chunks;    /* call_data pieces delivered */
    uint64_t messages;  /* requests + responses + chunks */
    uint64_t bytes;     /* body and stream bytes delivered */
    uint64_t dropped;   /* deliveries blackholed or dropped by the filter */
    uint64_t discarded; /* deliveries that arrived to a closed connection or a crashed node */
    uint64_t faults;    /* fault operations applied */
};

/* Copies the world's counters into *out. */
void sim_world_stats(const struct sim_world *world, struct sim_stats *out);

#endif
