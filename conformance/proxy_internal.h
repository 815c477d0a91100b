/*
 * proxy_internal.h: what proxy.c (connections, queues, faults) and
 * proxy_http.c (the HTTP view of each direction) share. Not a public
 * header: nothing outside the proxy's files includes it.
 */
#ifndef MC_PROXY_INTERNAL_H
#define MC_PROXY_INTERNAL_H

#include <sys/socket.h>

#include "http1.h"
#include "mc_buf.h"
#include "mc_limits.h"
#include "mc_list.h"
#include "mc_rng.h"
#include "proxy.h"
#include "recordio.h"

/* One piece waiting to be written, or being written (then libuv holds req). */
struct proxy_item {
    struct mc_list_node link;
    uv_write_t req;
    struct proxy_dir *dir;
    uint64_t due_ms; /* loop time at which it may go */
    int stall;       /* a response body's piece: held while the stall fault is on */
    int bypass;      /* the proxy's own answer: goes through hold and partition */
    size_t len;
    uint8_t data[];
};

/* One direction of a pair: from src to dst. */
struct proxy_dir {
    struct proxy_pair *pair;
    uv_tcp_t *src;
    uv_tcp_t *dst;
    int src_ref;               /* src->data points here while it is read */
    uv_timer_t timer;          /* the next delayed piece */
    struct mc_list_node items; /* proxy_item, in order */
    uint32_t in_flight;        /* pieces libuv is writing */
    int reading;
    int src_ended;             /* src sent its FIN: dst gets one once the queue is empty */
    int shutdown_sent;
    int shutdown_done;
    int opaque;                /* no longer parsed: bytes go through unchanged */
    uv_shutdown_t shutdown_req;
    uint8_t read_buf[MC_PROXY_READ_BYTES];
};

/* Which API a request went to, for the Event type of protobuf streams. */
enum proxy_api {
    PROXY_API_OTHER = 0,
    PROXY_API_SCHEDULER,
    PROXY_API_EXECUTOR,
    PROXY_API_OPERATOR
};

/* A request waiting for its answer, in the order they came. */
struct proxy_pending {
    enum proxy_api api;
    int is_head;
    uint8_t *answer; /* the proxy's own answer, or NULL: upstream answers */
    size_t answer_len;
};

/* How the body of the current response is rebuilt (body faults). */
struct proxy_rewrite {
    int active;             /* the body is rebuilt, its raw bytes are not sent */
    int protobuf;           /* records are protobuf Events, else JSON */
    enum proxy_api api;
    int records;            /* the body is read as RecordIO */
    int failed;             /* it was not RecordIO: the rest goes as it is */
    struct rio_decoder decoder;
    struct mc_buf merged;   /* records waiting to go out as one chunk */
    uint32_t merged_count;
    struct mc_buf scratch;  /* one framed record or chunk */
};

struct proxy_pair {
    struct mc_list_node link;
    struct proxy *p;
    uv_tcp_t client;
    uv_tcp_t upstream;
    uv_connect_t connect_req;
    int handle_ref; /* handle->data of the closing handles points here */
    int handles_open;
    int connected;
    int closing;
    int half_built; /* only the client handle was made */
    int lost;       /* a partition dropped some of its bytes */
    size_t buffered_bytes;
    struct proxy_dir dir[2]; /* [0] client to upstream, [1] upstream to client */
    /* Requests (proxy_http.c). */
    struct http1_server req_parser;
    struct mc_buf req_raw; /* the bytes of the request being read */
    struct proxy_pending pending[MC_PROXY_PIPELINE_MAX];
    uint32_t pending_first;
    uint32_t pending_count;
    /* Responses (proxy_http.c). */
    struct http1_client resp_parser;
    int resp_status;
    int resp_in_body;
    int resp_stall;
    uint8_t head_tail[4];    /* the last bytes of the response head forwarded */
    size_t head_missing;     /* bytes of its blank line that came after its HEAD event */
    struct proxy_rewrite rw;
};

/* A client refused past the connection limit, until its handle has closed. */
struct proxy_refused {
    struct proxy *p;
    uv_tcp_t tcp;
};

struct proxy {
    uv_loop_t *loop;
    const struct mc_alloc *alloc;
    uv_tcp_t listener;
    int listener_closed;
    int destroyed;
    uint16_t port;
    char address[MC_PROXY_ADDRESS_BYTES_MAX];
    char upstream[MC_PROXY_ADDRESS_BYTES_MAX];
    struct sockaddr_storage upstream_addr;
    uint32_t conns_max;
    size_t conn_buffered_bytes_max;
    struct mc_list_node pairs;
    uint32_t refused_open;
    struct mc_rng rng;
    struct proxy_stats stats;
    /* The faults in force. */
    int partitioned;
    int holding;
    int stall;
    int drop_heartbeats;
    int rebuild_streams; /* proxy_streams_rebuild_set: not a fault, kept by clear */
    uint64_t delay_ns;
    uint32_t split_bytes;   /* 0 off, PROXY_SPLIT_RANDOM, or a piece size */
    uint32_t merge_records; /* 0 off, else records per chunk */
    int answer_status;      /* 0, 307 or 503 */
    char leader[MC_PROXY_ADDRESS_BYTES_MAX];
};

/* proxy.c */
int proxy__address_resolve(const char *address, int passive, struct sockaddr_storage *out,
                           struct mc_diag *diag) MC_MUST_USE;
void proxy__queue_flush(struct proxy_dir *dir);
int proxy__queue_put(struct proxy_dir *dir, const uint8_t *data, size_t len, int stall,
                     int bypass);
struct proxy_dir *proxy__dir_other(struct proxy_dir *dir);
void proxy__dir_read_stop(struct proxy_dir *dir);
void proxy__dir_read_resume_maybe(struct proxy_dir *dir);
void proxy__pair_close(struct proxy_pair *pair, int rst);
void proxy__pair_free_maybe(struct proxy_pair *pair);
void proxy__free_maybe(struct proxy *p);

/* proxy_http.c */
void proxy__pair_parsers_init(struct proxy_pair *pair);
void proxy__pair_parsers_deinit(struct proxy_pair *pair);
void proxy__up_feed(struct proxy_pair *pair, const uint8_t *data, size_t len);
void proxy__up_eof(struct proxy_pair *pair);
void proxy__down_feed(struct proxy_pair *pair, const uint8_t *data, size_t len);
void proxy__down_eof(struct proxy_pair *pair);

#endif
