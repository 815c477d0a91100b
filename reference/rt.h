/*
 * rt.h: the runtime interface, the one boundary between the reference cores
 * (master, agent, and the conformance suite's own clients) and the world.
 *
 * A core is a state machine. It never touches a socket, a clock, a thread,
 * the environment or rand(); everything it needs from outside comes through
 * a struct rt, and everything that happens to it comes in through the entry
 * points of its struct rt_node_ops. Two runtimes implement this interface:
 * the simulator (simulator/rt_sim.c, simulated time, seeded) and the libuv
 * runtime (reference/uv/, real sockets). Because the cores only see this
 * file, a protocol rule is written once and behaves the same in both.
 *
 * Model. HTTP travels as parsed messages (reference/http_msg.h):
 *  - Inbound: the runtime hands the core a request with an id. The core
 *    answers it exactly once, either with a whole response (respond) or with
 *    a stream head (stream_open), after which it appends records
 *    (stream_write, one HTTP chunk each, as libprocess writes them) until it
 *    closes the stream (stream_close) or the runtime reports the peer gone
 *    (rt_node_ops.stream_closed).
 *  - Outbound: the core starts a call to a peer address; the runtime reports
 *    the response head (call_response), then, for a streamed answer, its
 *    body bytes as they arrive in any split (call_data), and finally exactly
 *    one call_end, also when no response ever came.
 *
 * Rules both runtimes keep:
 *  1. A runtime never calls into a core while that core is inside a call to
 *     the runtime: deliveries are queued (events in the simulator, the next
 *     loop pass in libuv). A core may therefore close or answer anything
 *     from anywhere without re-entrancy hazards.
 *  2. Ids (requests, streams, calls) are never 0 and never reused in one
 *     runtime's life. Writing to or closing an id the runtime no longer
 *     knows (the peer went away) is harmless and returns MC_ECLOSED.
 *  3. Timers with equal deadlines fire in the order they were started; a
 *     timer started inside a timer callback never fires in the same pass.
 *  4. Time is uint64_t nanoseconds from an arbitrary origin, monotonic.
 */
#ifndef MC_RT_H
#define MC_RT_H

#include <stddef.h>
#include <stdint.h>

#include "mc_alloc.h"
#include "mc_err.h"

struct http_request;
struct http_response;
struct mc_buf;
struct rt_timer;

typedef void (*rt_timer_fn)(struct rt_timer *timer);

/*
 * A timer embedded in the core's own object (reach the object back with
 * MC_CONTAINER_OF). Zero-initialise it, then start it with rt_timer_start.
 * The fields are the runtime's; a core reads none of them but `active`.
 */
struct rt_timer {
    rt_timer_fn fn;
    uint64_t deadline_ns;
    uint64_t seq;       /* start order, breaks ties between equal deadlines */
    uint32_t heap_slot; /* the runtime's index; meaningless when inactive */
    int active;         /* 1 from start until it fires or is cancelled */
};

enum rt_log_level { RT_LOG_DEBUG, RT_LOG_INFO, RT_LOG_WARN, RT_LOG_ERROR };

struct rt_ops {
    uint64_t (*now_ns)(void *ctx);
    /* Starts (or restarts) timer to fire fn after delay_ns. */
    void (*timer_start)(void *ctx, struct rt_timer *timer, uint64_t delay_ns, rt_timer_fn fn);
    /* Stops a timer; harmless when it is not active. */
    void (*timer_cancel)(void *ctx, struct rt_timer *timer);

    /* Answers request req with a whole response; req is done afterwards. */
    void (*respond)(void *ctx, uint64_t req, const struct http_response *response);
    /* Answers req with a stream head; req then names the stream. */
    void (*stream_open)(void *ctx, uint64_t req, const struct http_response *head);
    /* Appends bytes to an open stream as one chunk. MC_ECLOSED if gone. */
    int (*stream_write)(void *ctx, uint64_t req, const void *bytes, size_t len);
    /* Ends a stream (terminating chunk); no stream_closed follows. */
    void (*stream_close)(void *ctx, uint64_t req);

    /*
     * Starts an outbound call to peer ("host:port"). Returns the call id,
     * or 0 when the call could not even start (then nothing is reported).
     * The request is copied; the caller keeps ownership of its own.
     */
    uint64_t (*call_start)(void *ctx, const char *peer, const struct http_request *request);
    /* Abandons a call (closes its connection); no call_end follows. */
    void (*call_cancel)(void *ctx, uint64_t call);

    /*
     * Durable storage that survives a crash and restart of this node (the
     * master's registry, an agent's checkpoints). put copies the bytes;
     * get appends the stored value to out, MC_ENOTFOUND if none.
     */
    int (*store_put)(void *ctx, const char *key, const void *bytes, size_t len);
    int (*store_get)(void *ctx, const char *key, struct mc_buf *out);
    int (*store_del)(void *ctx, const char *key);

    uint64_t (*rng_u64)(void *ctx);
    void (*log)(void *ctx, enum rt_log_level level, const char *text);
};

/* What a core holds: the runtime's table, its context and the allocator. */
struct rt {
    const struct rt_ops *ops;
    void *ctx;
    const struct mc_alloc *alloc;
};

/*
 * The entry points of a node (a core) that a runtime drives. `node` is the
 * core's own pointer as registered with the runtime. Borrowed arguments are
 * valid only during the call.
 */
struct rt_node_ops {
    void (*request)(void *node, uint64_t req, const struct http_request *request);
    /* The peer of stream req went away (closed, reset, timed out). */
    void (*stream_closed)(void *node, uint64_t req);
    /* The head of a call's answer; for a whole response, its body too. */
    void (*call_response)(void *node, uint64_t call, const struct http_response *response);
    /* Body bytes of a streamed answer, in any split. */
    void (*call_data)(void *node, uint64_t call, const uint8_t *bytes, size_t len);
    /* The call is over: 0 after a complete answer, else why (MC_ECLOSED...). */
    void (*call_end)(void *node, uint64_t call, int err);
};

/* Convenience wrappers, so cores read naturally. */
static inline uint64_t rt_now_ns(const struct rt *rt)
{
    return rt->ops->now_ns(rt->ctx);
}

static inline void rt_timer_start(const struct rt *rt, struct rt_timer *timer,
                                  uint64_t delay_ns, rt_timer_fn fn)
{
    rt->ops->timer_start(rt->ctx, timer, delay_ns, fn);
}

static inline void rt_timer_cancel(const struct rt *rt, struct rt_timer *timer)
{
    rt->ops->timer_cancel(rt->ctx, timer);
}

static inline uint64_t rt_rng_u64(const struct rt *rt)
{
    return rt->ops->rng_u64(rt->ctx);
}

#define RT_NS_PER_SEC UINT64_C(1000000000)
#define RT_NS_PER_MS UINT64_C(1000000)

#endif
