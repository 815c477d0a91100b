/*
 * client.h: an HTTP client node for the simulator, the suite's stand-in for
 * a scheduler (or any caller of the v1 API).
 *
 * A client is a core like the master: it lives behind a struct rt and is
 * driven through client_node_ops. Each call it makes is an exchange that
 * records what came back: the status and headers, the body of a whole
 * response, and, for a stream, every RecordIO record decoded as it arrives
 * (in any split), kept as JSON text whatever the stream's codec. Tests and
 * the scenario runner read exchanges to check expectations.
 */
#ifndef MC_CLIENT_H
#define MC_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "http_msg.h"
#include "mc_buf.h"
#include "recordio.h"
#include "rt.h"

/* An exchange's limits: records kept per stream, exchanges per client. */
#define CLIENT_RECORDS_MAX 4096u
#define CLIENT_EXCHANGES_MAX 1024u

struct client_record {
    char *json;          /* the record as JSON text (owned) */
    uint64_t arrived_ns; /* when its last byte arrived */
};

struct client_exchange {
    uint64_t call;      /* the runtime's call id */
    int status;         /* 0 until the head arrived */
    struct http_response response; /* head and whole body; valid once status != 0 */
    int is_stream;
    int protobuf;       /* the stream's records are protobuf */
    const char *event_type; /* registry name used to render protobuf records */
    struct rio_decoder decoder;
    struct client_record *records;
    uint32_t records_count;
    int ended;          /* call_end came */
    int end_err;        /* its error (0 for a clean end) */
    int decode_err;     /* a record did not decode: the stream is broken */
    char redirected_to[128]; /* "host:port" a 307 was followed to, "" if none */
};

struct client {
    struct rt *rt;
    const struct mc_alloc *alloc;
    struct client_exchange *exchanges;
    uint32_t exchanges_count;
};

extern const struct rt_node_ops client_node_ops;

/* Initialises c; rt is borrowed (the runtime hands it over at node add). */
void client_init(struct client *c, const struct mc_alloc *alloc);
void client_deinit(struct client *c);

/*
 * Starts a call: method and path to peer with the given headers (pairs of
 * name, value; NULL-terminated) and body. Returns the exchange index, or a
 * negative MC_E* (MC_ELIMIT past CLIENT_EXCHANGES_MAX). event_type is the
 * message type (e.g. "mesos.v1.scheduler.Event") a protobuf stream's
 * records are rendered as.
 */
int client_call(struct client *c, const char *peer, const char *method, const char *path,
                const char *const *headers, const void *body, size_t body_len,
                const char *event_type) MC_MUST_USE;

/* Closes a call's connection from the client's side (no call_end follows). */
void client_hang_up(struct client *c, int exchange);

/* Notes that call's request was redirected (307) to peer and sent there. */
void client_exchange_redirected(struct client *c, uint64_t call, const char *peer);

/* The exchange at index, or NULL. */
const struct client_exchange *client_exchange_get(const struct client *c, int exchange);

#endif
