/*
 * rt_uv_internal.h: what the files of the libuv runtime share.
 *
 * Files: rt_uv.c (the runtime object, its rt_ops table, timers, the ready
 * list, the store, logging), listen.c (the listener and server
 * connections: requests in, answers out), calls.c (outbound calls),
 * routes.c (/version and /health).
 *
 * A server connection's states (listen.c holds the transitions):
 *  READING    no request under way: bytes are parsed as they come;
 *  PENDING    a request was handed to the node, which has not answered;
 *  STREAMING  the node answered with a stream, which is open.
 * Independently its socket is open, or closed (peer gone, cut, error,
 * shutdown): a closed connection's struct lives on while the node still
 * owes it something (an answer, or the news that its stream is gone) or
 * while it sits in the ready list, and is freed when neither holds and
 * libuv has closed its handle.
 */
#ifndef MC_RT_UV_INTERNAL_H
#define MC_RT_UV_INTERNAL_H

#include "http1.h"
#include "mc_buf.h"
#include "mc_heap.h"
#include "mc_list.h"
#include "mc_rng.h"
#include "rt_uv.h"

enum uvrt_conn_state { UVRT_CONN_READING, UVRT_CONN_PENDING, UVRT_CONN_STREAMING };

struct uvrt_conn {
    uv_tcp_t tcp;                 /* first: the handle's data is the conn too */
    struct uvrt *u;
    struct mc_list_node link;     /* in u->conns */
    struct mc_list_node ready;    /* in u->ready (or a pass' list); self-linked when not */
    enum uvrt_conn_state state;
    uint64_t req;                 /* the request under way (PENDING, STREAMING); 0 if none */
    int keep_alive;               /* that request's: the connection stays open after it */
    struct http1_server parser;
    struct mc_buf input;          /* bytes read and not yet parsed */
    int reading;                  /* uv_read_start is in force */
    int eof;                      /* the client closed its sending side */
    int closed;                   /* the socket is closing or closed: nothing goes out */
    int handle_closed;            /* libuv's close callback ran */
    int notice_due;               /* the node must hear stream_closed(req) */
    int lingering;                /* ended: what the client still sends is read and dropped */
    int shut;                     /* uv_shutdown completed: our FIN is out */
    uint64_t linger_bytes;        /* bytes dropped while lingering */
    enum http1_server_phase phase; /* of the request being read, as its deadline knows it */
    uint64_t request_deadline_ns; /* that phase's deadline (loop time); 0: none */
    struct rt_timer timer;        /* while READING: idle timeout or request deadline, the
                                     earlier; once ended: the flush, then the linger */
    uv_shutdown_t shutdown_req;
};

/* A store entry: key and value, in insertion order. */
struct uvrt_store_entry {
    struct mc_list_node link;
    char key[MC_UV_STORE_KEY_BYTES_MAX];
    struct mc_buf value;
};

struct uvrt {
    uv_loop_t *loop;
    struct uvrt_options options;
    const struct mc_alloc *alloc;
    struct rt rt;
    const struct rt_node_ops *node_ops; /* NULL: no node (not bound, or shut down) */
    void *node;
    int in_node;                  /* > 0 while the node is being called (rule 1) */
    int shut_down;
    uint64_t id_last;             /* ids are id_last + 1, never reused */
    struct mc_rng rng;
    /* Timers: the core's and the runtime's own, in one heap, one uv_timer. */
    struct mc_heap timers;
    uv_timer_t timer;
    int timers_firing;            /* a timer pass is running */
    int timer_armed;              /* the uv_timer is set ... */
    uint64_t timer_armed_ns;      /* ... for this deadline */
    /* Connections and the deliveries that wait for the next loop pass. */
    uv_tcp_t listener;
    int listening;
    uint16_t listen_port;
    struct mc_list_node conns;
    /* Connections by their request under way (open addressing, linear
     * probing, at most half full): a stream write finds its connection
     * without walking all of them. */
    struct uvrt_conn **req_index;
    uint32_t req_index_mask;
    struct mc_list_node ready;
    uv_idle_t idle;
    int idle_active;
    struct mc_list_node calls;
    struct mc_list_node store;
    uint32_t store_count;
    struct uvrt_stats stats;
    uint8_t read_buf[MC_UV_READ_BYTES]; /* every read lands here and is used at once */
};

/* rt_uv.c */

/* The next id (rule 2). */
uint64_t uvrt__id_next(struct uvrt *u);
/* A log line through the sink, when level passes the minimum. */
void uvrt__logf(struct uvrt *u, enum rt_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Puts conn on the ready list, to be looked at in the next loop pass. */
void uvrt__conn_schedule(struct uvrt_conn *conn);
/* Marks the start and end of a call into the node (rule 1 is asserted). */
void uvrt__node_enter(struct uvrt *u);
void uvrt__node_leave(struct uvrt *u);
/* Counts a libuv handle of the runtime as open, or as closed. */
void uvrt__handle_opened(struct uvrt *u);
void uvrt__handle_closed(struct uvrt *u);
/* The runtime's own timers (a connection's timer): never a node call. */
void uvrt__timer_start(struct uvrt *u, struct rt_timer *timer, uint64_t delay_ns, rt_timer_fn fn);
void uvrt__timer_cancel(struct uvrt *u, struct rt_timer *timer);
/* Parses "a.b.c.d:port", "[v6]:port" or "localhost:port"; MC_EINVAL if not. */
int uvrt__address_parse(const char *address, struct sockaddr_storage *out);

/* listen.c */

int uvrt__listen(struct uvrt *u, const char *address, struct mc_diag *diag);
/* Parses, delivers or closes: what a ready connection needs this pass. */
void uvrt__conn_ready(struct uvrt_conn *conn);
void uvrt__conns_shutdown(struct uvrt *u);
void uvrt__respond(struct uvrt *u, uint64_t req, const struct http_response *response);
void uvrt__stream_open(struct uvrt *u, uint64_t req, const struct http_response *head);
int uvrt__stream_write(struct uvrt *u, uint64_t req, const void *bytes, size_t len);
void uvrt__stream_close(struct uvrt *u, uint64_t req);

/* calls.c */

uint64_t uvrt__call_start(struct uvrt *u, const char *peer, const struct http_request *request);
void uvrt__call_cancel(struct uvrt *u, uint64_t call);
void uvrt__calls_shutdown(struct uvrt *u);

#endif
