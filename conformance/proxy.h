/*
 * proxy.h: the fault proxy, an in-process HTTP/1.1 proxy on libuv.
 *
 * The proxy sits between clients (the runner, a framework, the agents of a
 * real cluster) and an external master, so that the faults the simulator
 * injects (partitions, held links, resets, re-chunked streams) also work
 * against a real endpoint. Each client connection gets its own TCP
 * connection to the upstream "host:port". By default every byte is
 * forwarded unchanged in both directions; both directions are also parsed
 * (reference/uv/http1.h) so that faults can act per request, per response
 * and per RecordIO record of an event stream. conformance/PROXY.md
 * describes the faults, the control channel and how to put a cluster
 * behind the proxy.
 *
 * Faults apply to every current and future connection until cleared:
 *  - partition: traffic in both directions is read and thrown away; the
 *    connections stay open and new ones are accepted. A real partition
 *    loses what was sent, so heal delivers nothing that was lost: a
 *    connection that lost bytes can no longer carry a valid HTTP stream,
 *    and heal resets it (as a TCP timeout eventually would). Connections
 *    that lost nothing carry on;
 *  - hold/release: traffic is queued (bounded) and delivered in order on
 *    release;
 *  - reset: every open connection is closed at once with a TCP RST on
 *    both sides (an action, not a state);
 *  - delay: every forwarded piece waits delay_ns longer (order is kept);
 *  - split: each chunk of a chunked response is re-sent as several chunks,
 *    of a fixed size or at seeded random points;
 *  - merge: several RecordIO records go out in one chunk;
 *  - drop heartbeats: HEARTBEAT records of event streams are removed (JSON
 *    by their "type", protobuf by the Event type field) and the chunked
 *    framing rebuilt;
 *  - stall: responses whose head arrives while it is on get their head
 *    forwarded and their body held until the fault is cleared;
 *  - answer: new requests are answered by the proxy itself with 307 (to
 *    "//LEADER/master/api/v1/scheduler") or 503 "No leader elected", as a
 *    non-leading master would (SPEC S2).
 *
 * Requests to paths under /__mesos_conform/ are never forwarded: they are
 * the control channel (PROXY.md), answered whatever the faults.
 *
 * Memory and handles: the proxy and its connections are allocated through
 * options.alloc and live on the caller's loop. Everything is bounded by the
 * limits of mc_limits.h (MC_PROXY_*): past the connection limit a new
 * connection is accepted and closed; past the buffered-bytes limit the
 * connection that holds them is closed. Randomness comes only from a
 * generator seeded by options.seed. Nothing here prints.
 */
#ifndef MC_PROXY_H
#define MC_PROXY_H

#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "mc_alloc.h"
#include "mc_diag.h"
#include "mc_err.h"

struct proxy;

struct proxy_options {
    const char *listen_address;     /* "host:port"; port 0 picks a free one */
    const char *upstream_address;   /* "host:port", resolved once at create */
    uint64_t seed;                  /* for split points */
    uint32_t conns_max;             /* 0: MC_PROXY_CONNS_MAX */
    size_t conn_buffered_bytes_max; /* 0: MC_PROXY_CONN_BUFFERED_BYTES_MAX */
    const struct mc_alloc *alloc;   /* NULL: the system allocator */
};

/* What the proxy has done so far; counters only grow (but conns_open). */
struct proxy_stats {
    uint64_t conns_accepted;     /* connections proxied */
    uint64_t conns_open;         /* proxied connections not yet closed */
    uint64_t conns_refused;      /* closed at accept: past conns_max */
    uint64_t conns_reset;        /* closed by reset or by heal after losing bytes */
    uint64_t conns_limit_closed; /* closed for holding too many bytes */
    uint64_t conns_failed;       /* upstream unreachable, socket errors */
    uint64_t requests;           /* complete requests read from clients */
    uint64_t answered_locally;   /* by the answer fault or the control channel */
    uint64_t bytes_dropped;      /* thrown away by a partition */
    uint64_t heartbeats_dropped; /* HEARTBEAT records removed */
    uint64_t rewrite_errors;     /* streams that were not RecordIO after all */
};

/*
 * Starts listening on o->listen_address and proxying to
 * o->upstream_address (both resolved here, once). The options are copied.
 * On success *out is the proxy, already accepting. Errors (nothing is left
 * behind, diag says what): MC_EINVAL for an address that cannot be parsed
 * or resolved, MC_EIO when listening fails (the port is taken), MC_ENOMEM.
 */
int proxy_create(uv_loop_t *loop, const struct proxy_options *o, struct proxy **out,
                 struct mc_diag *diag) MC_MUST_USE;

/*
 * Stops listening and closes every connection. The memory is freed by the
 * handles' close callbacks: the caller runs the loop until they have run
 * (uv_run(loop, UV_RUN_DEFAULT) returns once nothing else is active).
 * p must not be used after this call.
 */
void proxy_destroy(struct proxy *p);

/* The port listened on (the real one when 0 was asked). */
uint16_t proxy_port(const struct proxy *p);

/* The address listened on, "127.0.0.1:40123"; owned by p. */
const char *proxy_address(const struct proxy *p);

/* The counters; owned by p, valid until proxy_destroy. */
const struct proxy_stats *proxy_stats_get(const struct proxy *p);

/* The faults. Each applies at once to every connection, open or future. */
void proxy_partition(struct proxy *p);
void proxy_heal(struct proxy *p);
void proxy_hold(struct proxy *p);
void proxy_release(struct proxy *p);
void proxy_reset(struct proxy *p);

/* Extra delay of every forwarded piece; MC_EINVAL past MC_PROXY_DELAY_NS_MAX. */
int proxy_delay_set(struct proxy *p, uint64_t delay_ns) MC_MUST_USE;

/* Re-chunking of chunked responses into pieces of piece_bytes; 0 is off. */
#define PROXY_SPLIT_RANDOM UINT32_MAX /* 2..MC_PROXY_SPLIT_PIECES_MAX random pieces */
void proxy_split_set(struct proxy *p, uint32_t piece_bytes);

/* records (2..MC_PROXY_MERGE_RECORDS_MAX) per chunk; 0 or 1 is off; MC_EINVAL past. */
int proxy_merge_set(struct proxy *p, uint32_t records) MC_MUST_USE;

void proxy_drop_heartbeats_set(struct proxy *p, int on);
void proxy_stall_set(struct proxy *p, int on);

/*
 * With on, every chunked response whose head arrives from now on is
 * rebuilt record by record (one RecordIO record per chunk, as libprocess
 * writes them) whatever faults are on, so that body faults switched on
 * later (split, drop heartbeats) act on a stream already under way, and a
 * partition drops whole records of such a stream instead of bytes: its
 * framing stays intact, and heal does not reset it (the simulator's
 * partitions behave the same). The scenario runner's --via-proxy uses it.
 * Off (the default) forwards bodies as they came unless a body fault is on.
 */
void proxy_streams_rebuild_set(struct proxy *p, int on);

/*
 * Answers new requests locally: status 307 (leader is "host:port", put in
 * Location as "//leader/master/api/v1/scheduler"), 503 ("No leader
 * elected"), or 0 (off, leader ignored). MC_EINVAL for another status or a
 * missing or too long leader.
 */
int proxy_answer_set(struct proxy *p, int status, const char *leader) MC_MUST_USE;

/* Heals, releases and switches every fault off. */
void proxy_faults_clear(struct proxy *p);

/*
 * Applies one fault given as text, as the command line and the control
 * channel spell it: partition, heal, hold, release, reset, clear,
 * delay=MS, split=BYTES|random|off, merge=N|off, drop-heartbeats[=on|off],
 * stall[=on|off], answer=307:HOST:PORT|503|off. Errors: MC_EINVAL with
 * diag naming the bad word.
 */
int proxy_fault_apply(struct proxy *p, const char *spec, struct mc_diag *diag) MC_MUST_USE;

/*
 * Writes the faults in force as one line of the words above ("none" when
 * there are none) into out (always NUL-terminated when out_bytes > 0).
 * Returns out.
 */
char *proxy_faults_describe(const struct proxy *p, char *out, size_t out_bytes);

#endif
