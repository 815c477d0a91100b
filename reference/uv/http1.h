/*
 * http1.h: HTTP/1.1 bytes <-> the message model of http_msg.h.
 *
 * The libuv runtime (serve) and the fault proxy move real HTTP/1.1 bytes;
 * the cores and the simulator see only struct http_request and struct
 * http_response. This module converts between the two, in both directions
 * and for both ends of a connection:
 *
 *  - struct http1_server reads the bytes a client sends and yields complete
 *    requests, one per call, with keep-alive and pipelining, Content-Length
 *    and chunked request bodies, and every size limit of mc_limits.h;
 *  - struct http1_client reads the bytes a server answers and yields, one
 *    per call, the response head, body bytes as they arrive (already
 *    de-chunked, never held back: a stream lives as long as its
 *    subscription, SPEC W6), then the end of the response;
 *  - the writers turn requests, responses, stream heads and chunks into
 *    bytes appended to a struct mc_buf, as libprocess writes them: status
 *    line "HTTP/1.1 <code> <reason>", headers in the model's order,
 *    Content-Length last when the model has none, one chunk per stream
 *    record in lowercase hexadecimal ("1a\r\n...\r\n"), "0\r\n\r\n" at the
 *    end of a stream.
 *
 * Both parsers are sans-I/O and callback-free for the caller: feed bytes
 * in any split, get one result back. They use http-parser underneath (this
 * module's .c file is the only place that includes <http_parser.h>), whose
 * callbacks stay inside. Offsets in diagnostics count bytes from the start
 * of the connection (the first byte ever fed is byte 0).
 *
 * Choices that differ from libprocess, which closes the connection without
 * an answer on any request it cannot decode: the server parser says which
 * status a server should answer with before closing (400, 413, 414, 431,
 * 501, 505), so the runtime can explain itself to the peer. Obsolete line
 * folding in headers is refused (400) rather than passed on, a
 * Transfer-Encoding other than plain "chunked" is refused (501) rather
 * than passed on still encoded, and trailers of a chunked request are read
 * and dropped where libprocess fails the request.
 */
#ifndef MC_HTTP1_H
#define MC_HTTP1_H

#include <stddef.h>
#include <stdint.h>

#include "http_msg.h"
#include "mc_buf.h"
#include "mc_diag.h"
#include "mc_err.h"

/* Room for http-parser's state inside our structs (checked in http1.c). */
#define HTTP1_PARSER_STORAGE_BYTES 64

/* What went wrong, for the caller to report and, on a server, to answer. */
struct http1_error {
    int code;            /* 0, or a negative MC_E* */
    int status;          /* the status a server answers with before it closes; 0: none */
    struct mc_diag diag; /* what, and the byte offset from the start of the connection */
};

/* Clears an error to "no error". */
void http1_error_clear(struct http1_error *err);

/*
 * The state of one direction of one connection, shared by both parsers.
 * Private: read and change it only through the functions below.
 */
struct http1_parse {
    union {
        max_align_t align;
        unsigned char bytes[HTTP1_PARSER_STORAGE_BYTES];
    } parser;
    const struct mc_alloc *alloc;
    int is_request;               /* the server side (reads requests) */
    struct http_headers *headers; /* where the current head's headers go */
    struct mc_buf url;            /* the request-target, while it arrives */
    struct mc_buf name;           /* the header name being read */
    struct mc_buf value;          /* the header value being read */
    int header_state;             /* where the head's header pieces stand */
    int in_message;               /* a message has begun and not ended */
    int in_head;                  /* ... and its head has not ended */
    int in_trailers;              /* ... and its last chunk has been read */
    int trailers_begun;           /* the parser stopped where trailers begin */
    int closing;                  /* the last message ended the connection */
    uint64_t token_offset;        /* where the name, value or line being read began */
    uint64_t overflow_offset;     /* where it passed its limit; UINT64_MAX: it has not */
    uint64_t offset;              /* bytes consumed since init */
    uint64_t message_offset;      /* where the current message's bytes began */
    uint64_t trailers_offset;     /* where its trailers began */
    uint64_t body_bytes;          /* body bytes of the current message so far */
    uint64_t content_length;      /* its Content-Length, UINT64_MAX when none */
    int chunked;                  /* its body is chunked */
    const char *exec_data;        /* the span being parsed, for offsets */
    uint64_t exec_offset;         /* the connection offset of exec_data[0] */
    uint64_t exec_end_offset;     /* the connection offset just past the span */
    int failed;                   /* error holds the error every later call returns */
    struct http1_error error;
};

/*
 * The server side: parses what a client sends into requests.
 * Private fields; use the functions below.
 */
struct http1_server {
    struct http1_parse parse;
    struct http_request request; /* the request being read */
    int continue_state;          /* Expect: 100-continue not seen, pending, answered */
};

/* Initializes a server parser for a new connection; alloc NULL is the system's. */
void http1_server_init(struct http1_server *s, const struct mc_alloc *alloc);

/* Frees what the parser holds, including a half-read request. */
void http1_server_deinit(struct http1_server *s);

/*
 * Parses bytes[0..bytes) of the connection. Returns:
 *   1  a request is complete: it is moved into *request_out, which the
 *      caller then owns (http_request_deinit); *consumed bytes were used
 *      and the rest, data + *consumed on, belongs to the next request
 *      (pipelining): feed it again;
 *   0  every byte was used (*consumed == bytes) and more are needed;
 *  <0  the connection is unusable: err says why, where, and which status
 *      to answer with (err->status) before closing:
 *        MC_EPARSE 400: bad syntax (request line, header, chunk size), a
 *          byte a name or value may not hold, obsolete line folding,
 *          Content-Length with Transfer-Encoding, two Transfer-Encodings;
 *        MC_EPARSE 0: bytes after a request that closes the connection
 *          (Connection: close, HTTP/1.0): nothing more is answered;
 *        MC_ELIMIT 414: a target over MC_HTTP_URL_BYTES_MAX;
 *        MC_ELIMIT 431: a head or the trailers over MC_HTTP_HEAD_BYTES_MAX,
 *          a header name or value over MC_HTTP_HEADER_BYTES_MAX, more than
 *          MC_HTTP_HEADERS_MAX headers;
 *        MC_ELIMIT 413: a body over MC_HTTP_BODY_BYTES_MAX (refused from
 *          its Content-Length before any of it is read), a chunk size line
 *          over http-parser's 80 KiB, a request over
 *          MC_HTTP_REQUEST_WIRE_BYTES_MAX on the wire;
 *        MC_EUNSUPPORTED 505: a version other than HTTP/1.x;
 *        MC_EUNSUPPORTED 501: CONNECT, a Transfer-Encoding but "chunked";
 *        MC_ENOMEM 500.
 *      Every later call returns the same error.
 * No more than the limits is ever buffered. request_out is only written
 * when 1 is returned. An Upgrade header is ignored (RFC 7230 6.7): the
 * request is served over HTTP/1.1. Trailers are read and dropped.
 */
int http1_server_feed(struct http1_server *s, const uint8_t *data, size_t bytes,
                      size_t *consumed, struct http_request *request_out,
                      struct http1_error *err) MC_MUST_USE;

/*
 * 1 once per request whose head asked for "Expect: 100-continue" and whose
 * body has not fully arrived: the runtime then writes http1_continue_write
 * so that the client sends the body (curl waits for it). 0 otherwise.
 */
int http1_server_continue_take(struct http1_server *s);

/* Where the request being read stands, for a server that times heads and bodies. */
enum http1_server_phase {
    HTTP1_SERVER_BETWEEN = 0, /* between requests: nothing of the next one read yet, or
                                 only the empty lines that may come before it */
    HTTP1_SERVER_HEAD,        /* its request line or headers are being read */
    HTTP1_SERVER_BODY         /* its head is complete: body, chunk framing or trailers */
};

/*
 * The phase of the request being read. BETWEEN after a request was handed
 * out (pipelined bytes not fed yet do not count). After an error, the phase
 * the error stopped in.
 */
enum http1_server_phase http1_server_phase(const struct http1_server *s);

/*
 * The client closed its end. 0 when no request was under way; MC_ECLOSED
 * (err says how far the request had come, status 0) when one was cut off.
 */
int http1_server_eof(struct http1_server *s, struct http1_error *err) MC_MUST_USE;

enum http1_client_event_kind {
    HTTP1_CLIENT_HEAD = 1, /* the status line and headers of a response */
    HTTP1_CLIENT_BODY,     /* some body bytes, de-chunked */
    HTTP1_CLIENT_END       /* the response is complete */
};

/*
 * One thing that happened on the client side. Pointers are borrowed:
 * head points into the parser and is valid until the next call on it;
 * data points into the bytes the caller fed and is valid while they are.
 */
struct http1_client_event {
    enum http1_client_event_kind kind;
    const struct http_response *head; /* HEAD: status and headers; is_stream
                                         when the body is chunked or runs to
                                         the connection's close */
    int version_minor;                /* HEAD: HTTP/1.<version_minor> */
    const uint8_t *data;              /* BODY */
    size_t bytes;                     /* BODY: at least 1 */
    int keep_alive;                   /* HEAD, END: 1 when the connection stays usable */
};

/* The client side: parses what a server answers. Private fields. */
struct http1_client {
    struct http1_parse parse;
    struct http_response head;  /* the head of the response being read */
    int version_minor;
    int keep_alive;
    int skip_body_next;         /* the next response answers a HEAD request */
    struct http1_client_event event; /* filled by the callbacks */
};

/* Initializes a client parser for a new connection. */
void http1_client_init(struct http1_client *c, const struct mc_alloc *alloc);

/* Frees what the parser holds. */
void http1_client_deinit(struct http1_client *c);

/*
 * Tells the parser the method of the request that the next response
 * (the one whose head has not begun yet) answers. Only "HEAD" changes
 * anything: such a response has headers but never a body.
 */
void http1_client_request_method_set(struct http1_client *c, const char *method);

/*
 * Parses bytes[0..bytes) of the connection. Returns 1 with one event in *ev
 * (*consumed bytes used; feed the rest again), 0 when every byte was used
 * and more are needed, <0 when the connection is unusable: MC_EPARSE for
 * bad syntax, a status under 100 or bytes after a response that closed the
 * connection, MC_ELIMIT for a head or trailers over MC_HTTP_HEAD_BYTES_MAX
 * or a header over its limits, MC_EUNSUPPORTED for a version other than
 * HTTP/1.x, MC_ENOMEM; err->status is 0. Every later call returns the same
 * error. Body bytes are handed out as they arrive, never buffered: a
 * response has no size limit here, its consumer has one. A 1xx, 204 or 304
 * response has no body whatever its Content-Length says; trailers are
 * dropped.
 */
int http1_client_feed(struct http1_client *c, const uint8_t *data, size_t bytes,
                      size_t *consumed, struct http1_client_event *ev,
                      struct http1_error *err) MC_MUST_USE;

/*
 * The server closed the connection. Returns 1 with an END event when that
 * ends a body that runs until the close; 0 when no response was under way;
 * MC_ECLOSED when a response was cut off (in its head, before its
 * Content-Length was reached, or inside a chunked body: no data is lost
 * silently), err saying how far it had come.
 */
int http1_client_eof(struct http1_client *c, struct http1_client_event *ev,
                     struct http1_error *err) MC_MUST_USE;

/*
 * The writers append to out and leave it unchanged on error: MC_EINVAL for
 * a message that cannot be framed as it stands (a header the model would
 * not hold, a Content-Length that disagrees with the body, a body where
 * the status allows none, a Transfer-Encoding the writer cannot produce),
 * MC_ELIMIT past out's limit, MC_ENOMEM.
 */

/*
 * A whole request: "<method> <target> HTTP/1.<0|1>", the headers in order,
 * then the body. A body is framed by the request's own Content-Length
 * (which must match), by Transfer-Encoding: chunked (one chunk and the last
 * chunk), or by a Content-Length the writer appends (for a non-empty body
 * and for POST, PUT and PATCH). "Connection: close" (HTTP/1.1) or
 * "Connection: keep-alive" (HTTP/1.0) is appended when keep_alive says
 * other than the version's default and no Connection header is present.
 */
int http1_request_write(struct mc_buf *out, const struct http_request *r) MC_MUST_USE;

/*
 * A response. A whole one gets its headers in order, Content-Length
 * appended when absent (none for 1xx, 204 and 304, which carry no body),
 * and the body. A stream head (is_stream) is written as
 * http1_stream_head_write does.
 */
int http1_response_write(struct mc_buf *out, const struct http_response *r) MC_MUST_USE;

/*
 * The head of a chunked stream: status line, headers in order with
 * Transfer-Encoding: chunked in place of any Transfer-Encoding header or
 * after the others (libprocess overwrites the header the same way). The
 * body must be empty and there must be no Content-Length.
 */
int http1_stream_head_write(struct mc_buf *out, const struct http_response *r) MC_MUST_USE;

/*
 * One chunk holding bytes[0..bytes): "<hex size>\r\n<bytes>\r\n". libprocess
 * writes each RecordIO record as its own chunk, and some clients depend on
 * that (SPEC "What real clients need"), so call it once per record. Zero
 * bytes write nothing: an empty chunk would end the stream.
 */
int http1_chunk_write(struct mc_buf *out, const void *data, size_t bytes) MC_MUST_USE;

/* The last chunk that ends a stream: "0\r\n\r\n". */
int http1_chunk_end_write(struct mc_buf *out) MC_MUST_USE;

/* The interim answer to Expect: 100-continue: "HTTP/1.1 100 Continue\r\n\r\n". */
int http1_continue_write(struct mc_buf *out) MC_MUST_USE;

#endif
