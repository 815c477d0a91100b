/*
 * rt_uv.h: the libuv runtime, struct rt_ops over real sockets and timers.
 *
 * A struct uvrt drives one node (a core: the master, later an agent) on a
 * uv_loop_t that the caller owns and runs. It listens on a TCP address,
 * reads HTTP/1.1 requests with http1_server (keep-alive, pipelining,
 * Content-Length and chunked bodies), hands each to the node with a fresh
 * id and writes the node's answers back as libprocess writes them: a whole
 * response, or a stream head followed by one HTTP chunk per stream_write
 * and the terminating chunk on stream_close. Every response gets a Date
 * header (the wall clock is read here and nowhere in the cores). Outbound
 * calls (call_start) open one TCP connection each and report the answer
 * through the node's call_* entry points.
 *
 * The rules of reference/rt.h hold:
 *  1. The node is never called while it is inside a call to the runtime.
 *     Everything the runtime must tell the node because of something the
 *     node just did (the next pipelined request after an answer, a stream
 *     closed because its reader stalled) waits for the next loop pass
 *     (a uv_idle handle drains a ready list); everything else is delivered
 *     from libuv's own callbacks, where no node code is running.
 *  2. Ids (requests and calls) come from one counter, start at 1 and are
 *     never reused; answering or writing to an id the runtime no longer
 *     knows is harmless (stream_write returns MC_ECLOSED).
 *  3. Timers live in one (deadline, start order) heap (base/mc_heap.h)
 *     driven by one uv_timer: equal deadlines fire in start order, and a
 *     timer started by a timer callback never fires in the same pass (it
 *     waits at least 1 ms, for a later loop iteration, so that a core that
 *     keeps restarting a 0-delay timer cannot starve the sockets).
 *  4. now_ns is the loop's time (uv_now, read once per loop iteration) in
 *     nanoseconds: monotonic, from an arbitrary origin, millisecond steps.
 *
 * HTTP/1.1 rules: a connection's next request is read only after the
 * previous one is answered; an open stream occupies its connection until
 * it ends. A request that said "Connection: close" (or HTTP/1.0 without
 * keep-alive) has its connection closed after its answer. A request the
 * parser refuses gets the status http1 names (400, 413, 414, 431, 501,
 * 505) as a text/plain answer with Connection: close, and the connection
 * closes; the server keeps serving everyone else. A client that goes away
 * while its stream is open is reported as stream_closed; so is a client
 * that stops reading until its stream's unsent bytes pass the limit
 * (options.stream_queued_bytes_max), whose connection is then closed.
 * Timeouts (open streams and requests the node holds are never timed
 * out): a connection reading a request and receiving no byte for
 * options.idle_timeout_ns is closed without an answer; a request whose
 * head is not complete options.head_timeout_ns after its first byte, or
 * whose body is not complete options.body_timeout_ns after its head, is
 * answered 408 Request Time-out with Connection: close, however steadily
 * its bytes trickle in (slowloris); a client that sent only the empty
 * lines allowed before a request for that long is closed as an idle one.
 * The body's bound is generous (300 s: the largest body at about 0.5
 * Mbit/s) and the idle timeout still closes a body that stops.
 * Closing: the last answer is flushed and a FIN sent; then, unless the
 * client closed its side already, the connection lingers (as nginx's and
 * Apache's do): what the client still sends is read and dropped until it
 * closes, for at most options.linger_ns after the FIN and
 * options.linger_bytes_max bytes. A client still sending a
 * refused body thus reads its 413 instead of a reset that fails its send
 * first. A lingering connection holds no buffers, counts against
 * conns_max and never delays anyone else; it ends on its bounds.
 *
 * The process must ignore SIGPIPE (the runtime writes to sockets whose
 * peer may be gone); the library does not change signal dispositions.
 *
 * Lifetime: uvrt_create, then the core (which needs uvrt_rt), then
 * uvrt_node_bind and uvrt_listen; run the loop. To stop: uvrt_shutdown
 * (the node is never called again), destroy the core (its timer_cancel
 * calls are still served), run the loop until it has no more handles,
 * then uvrt_destroy.
 */
#ifndef MC_RT_UV_H
#define MC_RT_UV_H

#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "mc_alloc.h"
#include "mc_buf.h"
#include "mc_diag.h"
#include "mc_err.h"
#include "rt.h"

/* Where the runtime's and the node's log lines go; text is borrowed. */
typedef void (*uvrt_log_fn)(void *ctx, enum rt_log_level level, const char *text);

/* A connection with nothing under way is closed after this long (libprocess has none). */
#define UVRT_IDLE_TIMEOUT_NS_DEFAULT (60 * RT_NS_PER_SEC)

struct uvrt_options {
    uint64_t seed;                    /* seeds rng_u64 (base/mc_rng.h) */
    uint32_t conns_max;               /* server connections; more are refused */
    uint32_t calls_max;               /* outbound calls at once */
    size_t stream_queued_bytes_max;   /* a stream's unsent bytes before it is cut */
    uint64_t idle_timeout_ns;         /* 0: never */
    uint64_t head_timeout_ns;         /* a request head, from its first byte (408); 0: never */
    uint64_t body_timeout_ns;         /* a request body, from its head's end (408); 0: never */
    uint64_t linger_ns;               /* reading after a closing answer; 0: close at once */
    uint64_t linger_bytes_max;        /* ... and discarding at most this many bytes */
    enum rt_log_level log_level_min;  /* lines below it are dropped */
    uvrt_log_fn log_fn;               /* NULL: no logging */
    void *log_ctx;
    const struct mc_alloc *alloc;     /* NULL: the system allocator; outlives the runtime */
};

/*
 * Fills o with the limits of mc_limits.h (MC_UV_*: 30 s for a head, 300 s
 * for a body, lingering 2 s or 128 MiB), seed 0, info logging to nowhere.
 */
void uvrt_options_default(struct uvrt_options *o);

struct uvrt;

/*
 * Creates a runtime on loop (borrowed; it must outlive the runtime). o is
 * copied. Nothing listens yet and no node is bound. Errors: MC_EINVAL for
 * a zero limit (diag says which; diag may be NULL), MC_ENOMEM.
 */
int uvrt_create(uv_loop_t *loop, const struct uvrt_options *o, struct uvrt **out,
                struct mc_diag *diag) MC_MUST_USE;

/*
 * The runtime to hand to a core (master_create copies it). Valid until
 * uvrt_destroy.
 */
const struct rt *uvrt_rt(struct uvrt *u);

/*
 * Binds the node the runtime drives: ops and node are borrowed until
 * uvrt_shutdown. Requests that arrive while no node is bound are answered
 * 503 "No node is serving". Binding twice is a programmer error.
 */
void uvrt_node_bind(struct uvrt *u, const struct rt_node_ops *ops, void *node);

/*
 * Listens on address, "a.b.c.d:port" or "[v6]:port" (port 0 picks a free
 * one; uvrt_listen_port tells which). One listener per runtime. Errors:
 * MC_EINVAL for an address that is not numeric host:port, MC_EIO when
 * binding or listening fails (diag holds the address and libuv's reason),
 * MC_ESTATE when already listening or shut down.
 */
int uvrt_listen(struct uvrt *u, const char *address, struct mc_diag *diag) MC_MUST_USE;

/* The port the listener is bound to, 0 when not listening. */
uint16_t uvrt_listen_port(const struct uvrt *u);

/*
 * Stops everything: unbinds the node (it is never called again), closes
 * the listener, every connection (no terminating chunk) and every call (no
 * call_end), and the runtime's own handles. The handles close on the next
 * loop passes. Later runtime calls from a core stay harmless: timers still
 * start and cancel (and never fire), answers go nowhere. Idempotent.
 */
void uvrt_shutdown(struct uvrt *u);

/*
 * Frees the runtime. It must be shut down and the loop run until every
 * handle of the runtime closed (uv_run returns when nothing is left); a
 * core still holding the runtime must be destroyed first. u may be NULL.
 */
void uvrt_destroy(struct uvrt *u);

/* Counts, for tests and logs. */
struct uvrt_stats {
    uint32_t conns_open;        /* server connections now */
    uint32_t conns_open_max;    /* the most at once */
    uint64_t conns_accepted;
    uint64_t conns_refused;     /* past conns_max */
    uint64_t conns_idle_closed; /* closed by the idle timeout */
    uint64_t requests_timed_out; /* answered 408: a head or body past its deadline */
    uint64_t conns_lingered;    /* ended with a lingering close */
    uint64_t lingers_cut;       /* ... whose client sent past the linger's time or bytes */
    uint64_t streams_cut;       /* closed because the reader stalled */
    uint64_t requests;          /* handed to the node */
    uint64_t parse_errors;      /* requests refused by the parser */
    uint32_t calls_open;
    uint32_t handles_open;      /* libuv handles not yet closed */
    size_t queued_bytes_max;    /* the most unsent bytes one stream ever held */
};

void uvrt_stats_get(const struct uvrt *u, struct uvrt_stats *out);

/*
 * A node that answers what Mesos answers outside the master's own API and
 * forwards everything else to the node it wraps: GET /version (libprocess'
 * VersionProcess: 200 JSON {"build_date", "build_time", "build_user",
 * "version": "1.12.0"}) and /health, /master/health (the master's health
 * route: 200 with an empty body). In Mesos /health belongs to the master
 * process; it lives here for now so the master core stays the scheduler API.
 */
struct uvrt_routes {
    const struct rt *rt;               /* borrowed, to answer through */
    const struct rt_node_ops *inner_ops;
    void *inner;
};

/* The entry points of a struct uvrt_routes (node = the struct). */
extern const struct rt_node_ops uvrt_routes_node_ops;

/* Builds the /version body into out (MC_ELIMIT, MC_ENOMEM as mc_buf). */
int uvrt_version_json(struct mc_buf *out) MC_MUST_USE;

#endif
