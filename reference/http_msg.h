/*
 * http_msg.h: the HTTP message model shared by the cores, the simulator and
 * the runtimes.
 *
 * A request reaches a core as a parsed struct http_request (method, target,
 * headers, body); the core answers with a struct http_response that carries
 * either a whole body or, when is_stream is set, only the head of a stream
 * whose bytes follow separately. The simulator moves these structures
 * between nodes as they are; the libuv runtime and the fault proxy turn them
 * into HTTP/1.1 bytes and back (reference/uv/http1.h). Nothing here does
 * I/O or reads a clock.
 *
 * Memory: every string and buffer inside a message is owned by the message
 * and allocated through the struct mc_alloc given at init (NULL means the
 * system allocator). Arguments passed in are borrowed for the call and
 * copied when kept. Every header in a list is valid on the wire: its name
 * is an RFC 7230 token and its value holds no CR, LF, NUL or other control
 * byte but HTAB, so a writer never has to escape anything.
 *
 * The response helpers build the answers exactly as Mesos' libprocess puts
 * them on the wire (SPEC W8a, recorded in mesos-1.12/): an error is
 * `Content-Type: text/plain; charset=utf-8` with the text as the body and an
 * explicit Content-Length; an answer without a body (202, 307) has only
 * `Content-Length: 0` (plus Location for 307). The model keeps the framing
 * headers a real master sends, so that a response seen in the simulator has
 * the same headers as the one read off a socket. libprocess also adds a
 * Date header to every response; it depends on the clock, so the libuv
 * runtime adds it (http_date_format) and the cores never do.
 */
#ifndef MC_HTTP_MSG_H
#define MC_HTTP_MSG_H

#include <stddef.h>
#include <stdint.h>

#include "mc_alloc.h"
#include "mc_buf.h"
#include "mc_err.h"
#include "mc_limits.h"

/* One header field; both strings are owned by the list that holds it. */
struct http_header {
    char *name;  /* as given: the case is kept, lookups ignore it */
    char *value; /* the field value, without the CRLF */
};

/*
 * A list of header fields in insertion order, at most MC_HTTP_HEADERS_MAX,
 * each name and value at most MC_HTTP_HEADER_BYTES_MAX bytes. Read
 * items[0..count) directly; change the list only through the functions
 * below, which keep it valid.
 */
struct http_headers {
    struct http_header *items;
    uint32_t count;
    uint32_t cap;
    const struct mc_alloc *alloc;
};

/* Initializes an empty list that allocates through alloc (NULL: system). */
void http_headers_init(struct http_headers *h, const struct mc_alloc *alloc);

/* Frees every header; the list is empty and may be used again. */
void http_headers_deinit(struct http_headers *h);

/*
 * Appends a copy of name: value after the existing headers, even if a
 * header of that name is already present (HTTP allows repeated fields).
 * Errors, leaving the list unchanged: MC_EINVAL when name is not a token or
 * value holds a forbidden byte; MC_ELIMIT when the list is full or name or
 * value is longer than MC_HTTP_HEADER_BYTES_MAX; MC_ENOMEM.
 */
int http_headers_add(struct http_headers *h, const char *name, const char *value) MC_MUST_USE;

/*
 * As http_headers_add for a name and a value given with their lengths (not
 * NUL-terminated, as a parser sees them). A NUL byte in either is MC_EINVAL.
 */
int http_headers_add_n(struct http_headers *h, const char *name, size_t name_bytes,
                       const char *value, size_t value_bytes) MC_MUST_USE;

/*
 * Gives name the single value value: the first header of that name (any
 * case) takes the new value and keeps its place and spelling, later ones
 * are removed; without one, the header is appended. Errors as
 * http_headers_add, leaving the list unchanged.
 */
int http_headers_set(struct http_headers *h, const char *name, const char *value) MC_MUST_USE;

/* Removes every header named name (any case); returns how many went. */
uint32_t http_headers_remove(struct http_headers *h, const char *name);

/*
 * The value of the first header named name (ASCII case-insensitive), or
 * NULL. The string belongs to the list: valid until the list changes.
 */
const char *http_headers_get(const struct http_headers *h, const char *name);

/*
 * The value of the last header named name, or NULL. libprocess keeps only
 * the last of repeated request headers (its header map is overwritten as it
 * parses), so code that must decide as Mesos does reads this one.
 */
const char *http_headers_get_last(const struct http_headers *h, const char *name);

/*
 * Initializes dst as a deep copy of src that allocates through alloc. On
 * MC_ENOMEM dst is left empty (deinit is harmless). src is not changed.
 */
int http_headers_copy(struct http_headers *dst, const struct http_headers *src,
                      const struct mc_alloc *alloc) MC_MUST_USE;

/* 1 when s[0..bytes) is a non-empty RFC 7230 token (a valid name or method). */
int http_token_valid(const char *s, size_t bytes);

/* 1 when s[0..bytes) may be a header value: no control byte but HTAB, no DEL. */
int http_header_value_valid(const char *s, size_t bytes);

/* ASCII case-insensitive equality of two NUL-terminated strings. */
int http_name_equal(const char *a, const char *b);

/*
 * A request as a core sees it. method, target and path are NULL until
 * http_request_line_set. target is the request-target as sent (origin form
 * "/api/v1/scheduler?x=1" or absolute form "http://host/..."); path is its
 * path alone, without query or fragment and without percent-decoding, as
 * libprocess routes it. The body holds at most MC_HTTP_BODY_BYTES_MAX bytes.
 */
struct http_request {
    char *method;
    char *target;
    char *path;
    struct http_headers headers;
    struct mc_buf body;
    int version_minor; /* HTTP/1.<version_minor>; 1 unless a parser says otherwise */
    int keep_alive;    /* 1 when the connection stays open after the answer */
    const struct mc_alloc *alloc;
};

/* Initializes an empty HTTP/1.1 keep-alive request (no method or target yet). */
void http_request_init(struct http_request *r, const struct mc_alloc *alloc);

/* Frees everything the request owns; it is left as after init. */
void http_request_deinit(struct http_request *r);

/*
 * Sets the method and the target (both copied) and derives the path.
 * Errors, leaving the request unchanged: MC_EINVAL when method is not a
 * token or target is empty or holds a space or control byte; MC_ELIMIT
 * past MC_HTTP_METHOD_BYTES_MAX or MC_HTTP_URL_BYTES_MAX; MC_ENOMEM.
 */
int http_request_line_set(struct http_request *r, const char *method,
                          const char *target) MC_MUST_USE;

/*
 * Initializes dst as a deep copy of src that allocates through alloc. On
 * MC_ENOMEM dst is left empty (deinit is harmless).
 */
int http_request_copy(struct http_request *dst, const struct http_request *src,
                      const struct mc_alloc *alloc) MC_MUST_USE;

/*
 * A response. With is_stream 0 it is whole: status, headers and body. With
 * is_stream 1 it is the head of a stream (status 200 and headers); the
 * stream's bytes travel separately and body stays empty.
 */
struct http_response {
    int status; /* 100..999 */
    struct http_headers headers;
    struct mc_buf body; /* at most MC_HTTP_BODY_BYTES_MAX bytes */
    int is_stream;
    const struct mc_alloc *alloc;
};

/* Initializes a whole response with the status, no headers and no body. */
void http_response_init(struct http_response *r, int status, const struct mc_alloc *alloc);

/* Frees everything the response owns; it is left empty with its status. */
void http_response_deinit(struct http_response *r);

/*
 * Initializes dst as a deep copy of src that allocates through alloc. On
 * MC_ENOMEM dst is left empty (deinit is harmless).
 */
int http_response_copy(struct http_response *dst, const struct http_response *src,
                       const struct mc_alloc *alloc) MC_MUST_USE;

/*
 * The helpers below initialize r (any previous content is not freed) and
 * on error leave it empty, so that deinit is always harmless. Errors:
 * MC_ENOMEM, MC_ELIMIT when the text is longer than a body may be,
 * MC_EINVAL for a string that may not go into a header.
 */

/*
 * An error answer as Mesos writes one: Content-Type: text/plain;
 * charset=utf-8, Content-Length, and text as the body (SPEC W8a; recorded:
 * s.no-content-type and every other `s.*` error).
 */
int http_response_text_init(struct http_response *r, int status, const char *text,
                            const struct mc_alloc *alloc) MC_MUST_USE;

/*
 * An answer without a body: only Content-Length: 0, no Content-Type (202
 * Accepted, SPEC S17; recorded: s.valid-kill, s.accept-non-subscribe-text-html).
 */
int http_response_empty_init(struct http_response *r, int status,
                             const struct mc_alloc *alloc) MC_MUST_USE;

/*
 * 307 Temporary Redirect to location (stored as given, e.g. the
 * protocol-relative "//host:port/master/api/v1/scheduler" of SPEC S2): a
 * Location header, Content-Length: 0, no body, no Content-Type.
 */
int http_response_redirect_init(struct http_response *r, const char *location,
                                const struct mc_alloc *alloc) MC_MUST_USE;

/*
 * 405 Method Not Allowed as libprocess builds it: Allow lists the allowed
 * methods joined by ", ", and the body reads "405 Method Not Allowed.
 * Expecting one of { 'POST' }, but received 'GET'." (the "but received"
 * part only when method is not NULL). Recorded: s.get-405, s.put-405.
 * allowed holds allowed_count >= 1 method names.
 */
int http_response_method_not_allowed_init(struct http_response *r, const char *const *allowed,
                                          size_t allowed_count, const char *method,
                                          const struct mc_alloc *alloc) MC_MUST_USE;

/*
 * The head of a 200 stream with the given Content-Type (SPEC W6). The core
 * adds its own headers (Mesos-Stream-Id) after it; the writer adds
 * Transfer-Encoding: chunked (http_response_framing_headers_add shows it in
 * the model too). Recorded order on the wire: content-type, mesos-stream-id,
 * transfer-encoding (s.subscribe-null-fields).
 */
int http_response_stream_init(struct http_response *r, const char *content_type,
                              const struct mc_alloc *alloc) MC_MUST_USE;

/*
 * Adds to r the framing headers the HTTP/1.1 writer puts on the wire and
 * the model may lack: for a stream, Transfer-Encoding: chunked (replacing
 * another value, as libprocess does); for a whole response that may carry a
 * body and has no Content-Length, Content-Length: <body bytes>. The
 * simulator calls it so its responses show what a socket would. Errors as
 * http_headers_add; MC_EINVAL for a stream head with a Content-Length.
 */
int http_response_framing_headers_add(struct http_response *r) MC_MUST_USE;

/* 1 when a response of this status may carry a body: not 1xx, 204 or 304. */
int http_status_body_allowed(int status);

/*
 * The reason phrase of a status as libprocess writes it ("OK", "Request
 * Entity Too Large", "Request Time-out"), the RFC phrase for the few codes
 * libprocess lacks (429, 431), "" for any other code. Never NULL.
 */
const char *http_status_reason(int status);

/* The bytes of an HTTP date, "Sun, 06 Nov 1994 08:49:37 GMT", with its NUL. */
#define HTTP_DATE_BYTES 30

/*
 * Writes the IMF-fixdate of unix_time_s (seconds since 1970-01-01 UTC) into
 * out, as libprocess writes its Date header. The caller supplies the time:
 * this never reads a clock. MC_EINVAL when out_bytes < HTTP_DATE_BYTES or
 * the year would pass 9999.
 */
int http_date_format(uint64_t unix_time_s, char *out, size_t out_bytes) MC_MUST_USE;

#endif
