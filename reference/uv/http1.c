/*
 * http1.c: HTTP/1.1 glue over http-parser 2.9 (see http1.h).
 *
 * Theory of operation. http-parser is a push parser: it calls back for
 * every piece of a message, and a data callback may fire many times for
 * one token (a header name split across two reads arrives in two calls).
 * The callbacks here only accumulate: the request-target, header names and
 * values go into bounded buffers, a finished header into the message's
 * list, body bytes into the request (server) or straight out to the caller
 * (client). To hand the caller one result per call, a callback that
 * completes something pauses the parser (http_parser_pause): execute then
 * returns at exactly the byte after the event, and the caller's next feed
 * resumes there. The server pauses at the end of a request; the client at
 * the end of a head, at every body piece and at the end of a response.
 * Both also pause where the trailers of a chunked body begin, which the
 * feed only notes before it goes on.
 *
 * Limits are enforced before memory grows: the accumulating buffers refuse
 * to pass their maxima, and the span given to http-parser is cut so that a
 * head or the trailers can never run past MC_HTTP_HEAD_BYTES_MAX (nor a
 * request past MC_HTTP_REQUEST_WIRE_BYTES_MAX) unnoticed. Because every
 * limit is checked at an exact byte, the result of a feed does not depend
 * on how the input was split, errors and their offsets included; the unit
 * tests and the fuzz targets check exactly that.
 *
 * Two gaps of Debian's http-parser (2.9, built without strict mode) are
 * closed here: after a message that ends the connection it would read
 * another one (the feed refuses it), and it never clears its count of
 * header bytes between messages (the count is cleared at each message's
 * end).
 *
 * A callback that finds a problem records it (code, status, text, offset)
 * and returns non-zero; http-parser then stops with HPE_CB_*, and the feed
 * reports the recorded error. http-parser's own errors are reported with
 * its name and description and the offset of the offending byte.
 */
#include "http1.h"

#include <http_parser.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "mc_assert.h"
#include "mc_list.h"

static_assert(sizeof(http_parser) <= HTTP1_PARSER_STORAGE_BYTES,
              "http-parser's state fits in struct http1_parse");

/*
 * Where the header pieces of a head stand. A name, a value or a folded
 * line may arrive in many pieces; the piece that ends it is the one that
 * stops before the end of the span (http-parser saw the delimiter), and
 * only then is the token checked, whatever the split.
 */
enum {
    HEADER_NONE = 0,  /* between headers: the last value was stored */
    HEADER_NAME,      /* pieces of a name are arriving */
    HEADER_NAME_DONE, /* the name ended at its colon; its value comes next */
    HEADER_VALUE,     /* pieces of a value are arriving */
    HEADER_FOLD       /* pieces of a line that continues the last value */
};

enum { CONTINUE_NONE = 0, CONTINUE_PENDING, CONTINUE_TAKEN };

/* A callback asks http-parser to stop with this return value. */
#define CB_STOP (-1)

/*
 * The offset of an error found where http-parser stands when its callback
 * has no pointer (the end of a head): filled in from what execute returns.
 */
#define OFFSET_WHERE_STOPPED UINT64_MAX

static http_parser *parser_of(struct http1_parse *ps)
{
    return (http_parser *)(void *)ps->parser.bytes;
}

static struct http1_parse *parse_of(http_parser *p)
{
    return p->data;
}

void http1_error_clear(struct http1_error *err)
{
    MC_ASSERT(err != NULL);
    err->code = 0;
    err->status = 0;
    mc_diag_clear(&err->diag);
}

/* The connection offset of a pointer into the span being parsed. */
static uint64_t parse_offset_of(const struct http1_parse *ps, const char *at)
{
    MC_ASSERT(ps->exec_data != NULL);
    MC_ASSERT(at >= ps->exec_data);
    return ps->exec_offset + (uint64_t)(at - ps->exec_data);
}

/*
 * Records the first error of the connection; later calls return it. The
 * text is printf-style; offset is from the start of the connection.
 */
__attribute__((format(printf, 5, 6))) static void
parse_fail(struct http1_parse *ps, int code, int status, uint64_t offset, const char *fmt, ...)
{
    MC_ASSERT(code < 0);
    if (ps->failed)
        return;
    ps->failed = 1;
    ps->error.code = code;
    /* Only a server answers; a client just reports. */
    ps->error.status = ps->is_request ? status : 0;
    mc_diag_clear(&ps->error.diag);
    ps->error.diag.offset = offset;
    ps->error.diag.has_offset = 1;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ps->error.diag.text, sizeof(ps->error.diag.text), fmt, ap);
    va_end(ap);
}

static void parse_init(struct http1_parse *ps, enum http_parser_type type,
                       const struct mc_alloc *alloc)
{
    memset(ps, 0, sizeof(*ps));
    http_parser_init(parser_of(ps), type);
    parser_of(ps)->data = ps;
    ps->alloc = alloc;
    ps->is_request = type == HTTP_REQUEST;
    mc_buf_init(&ps->url, MC_HTTP_URL_BYTES_MAX, alloc);
    mc_buf_init(&ps->name, MC_HTTP_HEADER_BYTES_MAX, alloc);
    mc_buf_init(&ps->value, MC_HTTP_HEADER_BYTES_MAX, alloc);
    ps->content_length = UINT64_MAX;
    http1_error_clear(&ps->error);
}

static void parse_deinit(struct http1_parse *ps)
{
    mc_buf_deinit(&ps->url);
    mc_buf_deinit(&ps->name);
    mc_buf_deinit(&ps->value);
}

/* A new message begins: its head starts empty. */
static void parse_message_begin(struct http1_parse *ps, struct http_headers *headers)
{
    MC_ASSERT(!ps->in_message);
    ps->in_message = 1;
    ps->in_head = 1;
    ps->in_trailers = 0;
    ps->headers = headers;
    ps->header_state = HEADER_NONE;
    ps->overflow_offset = UINT64_MAX;
    ps->body_bytes = 0;
    ps->content_length = UINT64_MAX;
    ps->chunked = 0;
    mc_buf_reset(&ps->url);
    mc_buf_reset(&ps->name);
    mc_buf_reset(&ps->value);
}

/*
 * The message is over. Without keep-alive it was the connection's last:
 * http-parser (built without HTTP_PARSER_STRICT, as Debian's is) would go on
 * reading another message, so the feed refuses one itself.
 */
static void parse_message_end(struct http1_parse *ps, int keep_alive)
{
    MC_ASSERT(ps->in_message);
    MC_ASSERT(!ps->closing);
    ps->in_message = 0;
    ps->in_head = 0;
    ps->in_trailers = 0;
    ps->headers = NULL;
    ps->closing = !keep_alive;
    /*
     * http-parser keeps its header byte count in a local variable that a
     * pause does not save, and never clears it between messages: clear it
     * here so the next head is counted from its own first byte.
     */
    parser_of(ps)->nread = 0;
}

/*
 * Token checks and http-parser's own could meet in one token (a name that
 * is too long and also holds a byte http-parser refuses). http-parser
 * reports its error as soon as it meets the byte, but hands over a token's
 * pieces only at the end of the span or at the token's end; so to give the
 * same answer for every split, the checks here look at a token only once
 * it has ended. Until then a piece past the limit is only noted (and not
 * stored: memory stays bounded).
 */
static void token_begin(struct http1_parse *ps, const char *at)
{
    ps->token_offset = parse_offset_of(ps, at);
    ps->overflow_offset = UINT64_MAX;
}

/* Appends a piece of a token to buf, noting where it passes buf's limit. */
static int token_piece_append(struct http1_parse *ps, struct mc_buf *buf, const char *at,
                              size_t length)
{
    if (ps->overflow_offset != UINT64_MAX)
        return 0;
    size_t room = buf->len_max - buf->len;
    if (length > room) {
        ps->overflow_offset = parse_offset_of(ps, at) + room;
        return 0;
    }
    if (mc_buf_append(buf, at, length) != 0) {
        parse_fail(ps, MC_ENOMEM, 500, parse_offset_of(ps, at), "out of memory reading a head");
        return CB_STOP;
    }
    return 0;
}

/* 1 when this piece ends its token: it stops before the span does. */
static int token_piece_final(const struct http1_parse *ps, const char *at, size_t length)
{
    return parse_offset_of(ps, at) + length < ps->exec_end_offset;
}

/*
 * Fails at the first byte of the token s[0..bytes) that `valid` refuses;
 * what and name say where it was ("the name of header field 'X'").
 */
static int token_bytes_check(struct http1_parse *ps, const char *s, size_t bytes,
                             int (*valid)(const char *, size_t), const char *what)
{
    for (size_t i = 0; i < bytes; i++) {
        if (!valid(s + i, 1)) {
            parse_fail(ps, MC_EPARSE, 400, ps->token_offset + i,
                       "invalid byte 0x%02x in the %s of header field '%.64s'",
                       (unsigned char)s[i], what, mc_buf_str(&ps->name));
            return CB_STOP;
        }
    }
    return 0;
}

/* A name ended at its colon: it must be a token, within its limit and the count. */
static int header_name_end(struct http1_parse *ps)
{
    if (ps->headers->count == MC_HTTP_HEADERS_MAX) {
        parse_fail(ps, MC_ELIMIT, 431, ps->token_offset, "more than %d header fields",
                   MC_HTTP_HEADERS_MAX);
        return CB_STOP;
    }
    /* http-parser lets a space through in names (it is no token byte). */
    if (token_bytes_check(ps, mc_buf_str(&ps->name), ps->name.len, http_token_valid, "name") != 0)
        return CB_STOP;
    if (ps->overflow_offset != UINT64_MAX) {
        parse_fail(ps, MC_ELIMIT, 431, ps->overflow_offset, "header name longer than %u bytes",
                   MC_HTTP_HEADER_BYTES_MAX);
        return CB_STOP;
    }
    ps->header_state = HEADER_NAME_DONE;
    return 0;
}

/* A value ended at its line end: check it and store the header, trimmed. */
static int header_value_end(struct http1_parse *ps)
{
    /* http-parser does not check the first byte of a value. */
    if (token_bytes_check(ps, mc_buf_str(&ps->value), ps->value.len, http_header_value_valid,
                          "value") != 0)
        return CB_STOP;
    if (ps->overflow_offset != UINT64_MAX) {
        parse_fail(ps, MC_ELIMIT, 431, ps->overflow_offset, "header value longer than %u bytes",
                   MC_HTTP_HEADER_BYTES_MAX);
        return CB_STOP;
    }
    size_t value_bytes = ps->value.len;
    const char *value = mc_buf_str(&ps->value);
    /* http-parser skips the whitespace before a value but keeps the one after. */
    while (value_bytes > 0 && (value[value_bytes - 1] == ' ' || value[value_bytes - 1] == '\t'))
        value_bytes--;
    int err = http_headers_add_n(ps->headers, mc_buf_str(&ps->name), ps->name.len, value,
                                 value_bytes);
    if (err != 0) {
        /* Everything else was checked above, so only memory can be missing. */
        parse_fail(ps, err == MC_ENOMEM ? err : MC_EPARSE, 500, ps->token_offset,
                   "cannot store header '%.64s': %s", mc_buf_str(&ps->name), mc_strerror(err));
        return CB_STOP;
    }
    mc_buf_reset(&ps->name);
    mc_buf_reset(&ps->value);
    ps->header_state = HEADER_NONE;
    return 0;
}

/* A piece arrived where http-parser's order says it cannot; never expected. */
static int parse_out_of_step(struct http1_parse *ps, const char *at, const char *what)
{
    parse_fail(ps, MC_EPARSE, 400, parse_offset_of(ps, at),
               "HTTP parser out of step: %s piece in header state %d", what, ps->header_state);
    return CB_STOP;
}

static int on_url(http_parser *p, const char *at, size_t length)
{
    struct http1_parse *ps = parse_of(p);
    if (token_piece_append(ps, &ps->url, at, length) != 0)
        return CB_STOP;
    if (token_piece_final(ps, at, length) && ps->overflow_offset != UINT64_MAX) {
        parse_fail(ps, MC_ELIMIT, 414, ps->overflow_offset, "request-target longer than %u bytes",
                   MC_HTTP_URL_BYTES_MAX);
        return CB_STOP;
    }
    return 0;
}

static int on_header_field(http_parser *p, const char *at, size_t length)
{
    struct http1_parse *ps = parse_of(p);
    /* Trailers of a chunked body arrive here too; they are read and dropped. */
    if (!ps->in_head)
        return 0;
    if (ps->header_state == HEADER_NONE) {
        token_begin(ps, at);
        ps->header_state = HEADER_NAME;
    }
    if (ps->header_state != HEADER_NAME)
        return parse_out_of_step(ps, at, "name");
    if (token_piece_append(ps, &ps->name, at, length) != 0)
        return CB_STOP;
    return token_piece_final(ps, at, length) ? header_name_end(ps) : 0;
}

/* The name of the header a folded line would continue. */
static const char *last_header_name(const struct http1_parse *ps)
{
    uint32_t count = ps->headers->count;
    return count > 0 ? ps->headers->items[count - 1].name : "";
}

static int on_header_value(http_parser *p, const char *at, size_t length)
{
    struct http1_parse *ps = parse_of(p);
    if (!ps->in_head)
        return 0;
    if (ps->header_state == HEADER_NAME_DONE || ps->header_state == HEADER_NONE) {
        /* A value piece with no name before it continues the last value on a new line. */
        token_begin(ps, at);
        ps->header_state = ps->header_state == HEADER_NONE ? HEADER_FOLD : HEADER_VALUE;
    }
    if (ps->header_state == HEADER_VALUE && token_piece_append(ps, &ps->value, at, length) != 0)
        return CB_STOP;
    if (ps->header_state != HEADER_VALUE && ps->header_state != HEADER_FOLD)
        return parse_out_of_step(ps, at, "value");
    if (!token_piece_final(ps, at, length))
        return 0;
    if (ps->header_state == HEADER_VALUE)
        return header_value_end(ps);
    /* Obsolete line folding, which RFC 7230 3.2.4 lets a server refuse. */
    parse_fail(ps, MC_EPARSE, 400, ps->token_offset,
               "obsolete line folding in header field '%.64s'", last_header_name(ps));
    return CB_STOP;
}

/*
 * The last chunk of a chunked body has been read; trailers follow. They
 * count toward http-parser's own 80 KiB limit only a header line at a time,
 * which would make the error's offset depend on how the input was split, so
 * the parser stops here: the feed notes where the trailers begin and holds
 * them to MC_HTTP_HEAD_BYTES_MAX itself, byte by byte.
 */
static int on_chunk_header(http_parser *p)
{
    struct http1_parse *ps = parse_of(p);
    if (p->content_length != 0)
        return 0;
    MC_ASSERT(ps->in_message && !ps->in_head);
    ps->in_trailers = 1;
    ps->trailers_begun = 1;
    http_parser_pause(p, 1);
    return 0;
}

/* Ends the head: every header is stored and trailers are no longer headers. */
static int parse_head_end(struct http1_parse *ps)
{
    MC_ASSERT(ps->in_head);
    if (ps->header_state != HEADER_NONE) {
        parse_fail(ps, MC_EPARSE, 400, OFFSET_WHERE_STOPPED,
                   "HTTP parser out of step: head ended in header state %d", ps->header_state);
        return CB_STOP;
    }
    ps->in_head = 0;
    http_parser *p = parser_of(ps);
    ps->chunked = (p->flags & F_CHUNKED) != 0;
    ps->content_length = (p->content_length == ULLONG_MAX || ps->chunked)
                             ? UINT64_MAX
                             : (uint64_t)p->content_length;
    return 0;
}

/* The connection offset where the parser stopped in the current span. */
static uint64_t parse_stop_offset(const struct http1_parse *ps, size_t parsed)
{
    return ps->exec_offset + parsed;
}

/*
 * Runs http-parser over data[0..bytes) (bytes > 0: zero would mean the end
 * of the connection). Returns how many bytes it used; the caller looks at
 * the parser's errno for a pause or an error.
 */
static size_t parse_execute(struct http1_parse *ps, const http_parser_settings *settings,
                            const uint8_t *data, size_t bytes, uint64_t offset)
{
    MC_ASSERT(bytes > 0);
    MC_ASSERT(!ps->failed);
    http_parser *p = parser_of(ps);
    http_parser_pause(p, 0);
    ps->exec_data = (const char *)data;
    ps->exec_offset = offset;
    ps->exec_end_offset = offset + bytes;
    size_t parsed = http_parser_execute(p, settings, (const char *)data, bytes);
    MC_ASSERT(parsed <= bytes);
    return parsed;
}

/*
 * Turns a stop of http-parser other than a pause into the connection's
 * error. A callback has already recorded its own; anything else is
 * http-parser's verdict on the byte at parsed.
 */
static void parse_stop_fail(struct http1_parse *ps, size_t parsed)
{
    enum http_errno e = HTTP_PARSER_ERRNO(parser_of(ps));
    uint64_t offset = parse_stop_offset(ps, parsed);
    if (ps->failed) {
        if (ps->error.diag.offset == OFFSET_WHERE_STOPPED)
            ps->error.diag.offset = offset;
        return;
    }
    if (e == HPE_OK) {
        /* http-parser used fewer bytes than it was given without saying why. */
        parse_fail(ps, MC_EPARSE, 400, offset, "HTTP parser stopped early");
        return;
    }
    /*
     * http-parser counts the bytes of each chunk size line (extensions
     * included) against its own limit, byte by byte. Heads and trailers
     * reach ours (MC_HTTP_HEAD_BYTES_MAX) first, so only a size line gets
     * here: framing too large to process, 413.
     */
    if (e == HPE_HEADER_OVERFLOW && !ps->in_head) {
        parse_fail(ps, MC_ELIMIT, 413, offset, "chunk size line longer than %u bytes",
                   HTTP_MAX_HEADER_SIZE);
        return;
    }
    int status = e == HPE_HEADER_OVERFLOW ? 431 : 400;
    int code = e == HPE_HEADER_OVERFLOW ? MC_ELIMIT : MC_EPARSE;
    parse_fail(ps, code, status, offset, "malformed HTTP %s: %s (%s)",
               ps->is_request ? "request" : "response", http_errno_description(e),
               http_errno_name(e));
}

/* Hands the stored error to the caller. */
static int parse_error_out(const struct http1_parse *ps, struct http1_error *err)
{
    MC_ASSERT(ps->failed);
    MC_ASSERT(ps->error.code < 0);
    *err = ps->error;
    return ps->error.code;
}

/*
 * After a message that closed the connection only empty lines may follow
 * (as http-parser's strict mode has it). Returns how many of data[0..bytes)
 * are such line ends, or fails the connection at the first other byte.
 */
static size_t parse_closing_skip(struct http1_parse *ps, const uint8_t *data, size_t bytes,
                                 uint64_t offset)
{
    MC_ASSERT(ps->closing);
    size_t i = 0;
    while (i < bytes && (data[i] == '\r' || data[i] == '\n'))
        i++;
    if (i < bytes)
        parse_fail(ps, MC_EPARSE, 0, offset + i, "data after a %s that closes the connection",
                   ps->is_request ? "request" : "response");
    return i;
}

static uint64_t room_left(uint64_t used, uint64_t max)
{
    return used >= max ? 0 : max - used;
}

/*
 * How many more bytes the current message may take before a limit is
 * passed: its head within MC_HTTP_HEAD_BYTES_MAX while it lasts (empty
 * lines before a message count toward its head), then the whole message
 * within wire_max (UINT64_MAX: no limit) and its trailers, once they begin,
 * within MC_HTTP_HEAD_BYTES_MAX.
 */
static uint64_t parse_room(const struct http1_parse *ps, uint64_t at, uint64_t wire_max)
{
    MC_ASSERT(at >= ps->message_offset);
    if (ps->in_head || !ps->in_message)
        return room_left(at - ps->message_offset, MC_HTTP_HEAD_BYTES_MAX);
    uint64_t room = room_left(at - ps->message_offset, wire_max);
    if (ps->in_trailers) {
        MC_ASSERT(at >= ps->trailers_offset);
        uint64_t trailers_room = room_left(at - ps->trailers_offset, MC_HTTP_HEAD_BYTES_MAX);
        room = trailers_room < room ? trailers_room : room;
    }
    return room;
}

/* Fails the connection at the byte that would pass a limit of parse_room. */
static void parse_room_fail(struct http1_parse *ps, uint64_t at)
{
    const char *what = ps->is_request ? "request" : "response";
    if (ps->in_head || !ps->in_message) {
        parse_fail(ps, MC_ELIMIT, 431, at, "%s head longer than %u bytes", what,
                   MC_HTTP_HEAD_BYTES_MAX);
    } else if (ps->in_trailers && at - ps->trailers_offset >= MC_HTTP_HEAD_BYTES_MAX) {
        parse_fail(ps, MC_ELIMIT, 431, at, "%s trailers longer than %u bytes", what,
                   MC_HTTP_HEAD_BYTES_MAX);
    } else {
        parse_fail(ps, MC_ELIMIT, 413, at, "%s longer than %llu bytes on the wire", what,
                   (unsigned long long)MC_HTTP_REQUEST_WIRE_BYTES_MAX);
    }
}

/*
 * After a pause: 1 when it only marked where trailers begin (the feed goes
 * on), 0 when a callback has an event for the caller.
 */
static int parse_pause_internal(struct http1_parse *ps, uint64_t at)
{
    if (!ps->trailers_begun)
        return 0;
    ps->trailers_begun = 0;
    ps->trailers_offset = at;
    return 1;
}

/* ---- the server side ---------------------------------------------------- */

static struct http1_server *parse_server(struct http1_parse *ps)
{
    return MC_CONTAINER_OF(ps, struct http1_server, parse);
}

static int server_on_message_begin(http_parser *p)
{
    struct http1_parse *ps = parse_of(p);
    struct http1_server *s = parse_server(ps);
    http_request_deinit(&s->request);
    s->continue_state = CONTINUE_NONE;
    parse_message_begin(ps, &s->request.headers);
    return 0;
}

/*
 * The transfer codings a request may use: none, or exactly "chunked"
 * (case-insensitive) in one Transfer-Encoding header. Any other coding
 * would reach the core still encoded: 501 (RFC 7230 3.3.1). A second
 * header applies chunked twice or after something else: 400.
 */
static int server_transfer_encoding_check(struct http1_parse *ps, const struct http_headers *h)
{
    uint32_t seen = 0;
    for (uint32_t i = 0; i < h->count; i++) {
        if (!http_name_equal(h->items[i].name, "Transfer-Encoding"))
            continue;
        if (seen++ > 0) {
            parse_fail(ps, MC_EPARSE, 400, OFFSET_WHERE_STOPPED,
                       "more than one Transfer-Encoding header");
            return CB_STOP;
        }
        if (!http_name_equal(h->items[i].value, "chunked")) {
            parse_fail(ps, MC_EUNSUPPORTED, 501, OFFSET_WHERE_STOPPED,
                       "Transfer-Encoding '%.64s' is not supported", h->items[i].value);
            return CB_STOP;
        }
    }
    return 0;
}

/* Checks the head against what this server accepts; fails the connection if not. */
static int server_head_check(struct http1_parse *ps, const struct http_headers *h)
{
    http_parser *p = parser_of(ps);
    /* Reported at the byte http-parser is on: the line feed that ends the head. */
    uint64_t at = OFFSET_WHERE_STOPPED;
    if (p->http_major != 1) {
        parse_fail(ps, MC_EUNSUPPORTED, 505, at, "HTTP version %u.%u is not supported",
                   p->http_major, p->http_minor);
        return CB_STOP;
    }
    if (p->method == HTTP_CONNECT) {
        parse_fail(ps, MC_EUNSUPPORTED, 501, at, "method CONNECT is not supported");
        return CB_STOP;
    }
    if (server_transfer_encoding_check(ps, h) != 0)
        return CB_STOP;
    if (ps->content_length != UINT64_MAX && ps->content_length > MC_HTTP_BODY_BYTES_MAX) {
        parse_fail(ps, MC_ELIMIT, 413, at, "body of %" PRIu64 " bytes is over the limit of %u",
                   ps->content_length, MC_HTTP_BODY_BYTES_MAX);
        return CB_STOP;
    }
    return 0;
}

/* Whether a Connection header lists token (comma-separated, whitespace around each ignored). */
static int connection_has(const struct http_headers *h, const char *token)
{
    size_t n = strlen(token);
    for (uint32_t i = 0; i < h->count; i++) {
        if (!http_name_equal(h->items[i].name, "Connection"))
            continue;
        for (const char *c = h->items[i].value; *c != '\0';) {
            while (*c == ' ' || *c == '\t' || *c == ',')
                c++;
            const char *start = c;
            while (*c != '\0' && *c != ',')
                c++;
            const char *end = c;
            while (end > start && (end[-1] == ' ' || end[-1] == '\t'))
                end--;
            size_t k = 0;
            while (start + k < end && k < n &&
                   (start[k] == token[k] || (start[k] | 0x20) == token[k])) /* token: lower */
                k++;
            if (k == n && start + k == end)
                return 1;
        }
    }
    return 0;
}

/*
 * Whether the headers keep the connection open after this message, as
 * http_should_keep_alive decides (the version's default, changed by a
 * Connection token), but from the headers as stored: http-parser misses
 * "keep-alive" or "close" with whitespace after it ("keep-alive\t"),
 * which a field value may have. A response read until the close does not
 * keep it either (the caller's part).
 */
static int keep_alive_of(const http_parser *p, const struct http_headers *h)
{
    if (p->http_major > 0 && p->http_minor > 0)
        return !connection_has(h, "close");
    return connection_has(h, "keep-alive");
}

static int server_on_headers_complete(http_parser *p)
{
    struct http1_parse *ps = parse_of(p);
    struct http1_server *s = parse_server(ps);
    if (parse_head_end(ps) != 0 || server_head_check(ps, &s->request.headers) != 0)
        return CB_STOP;
    int err = http_request_line_set(&s->request, http_method_str((enum http_method)p->method),
                                    mc_buf_str(&ps->url));
    if (err == MC_ENOMEM) {
        parse_fail(ps, err, 500, OFFSET_WHERE_STOPPED, "out of memory storing the request line");
        return CB_STOP;
    }
    if (err != 0) {
        /* http-parser lets a few bytes through in a target (DEL) that may not be there. */
        parse_fail(ps, MC_EPARSE, 400, OFFSET_WHERE_STOPPED, "invalid request-target '%.64s'",
                   mc_buf_str(&ps->url));
        return CB_STOP;
    }
    s->request.version_minor = p->http_minor;
    s->request.keep_alive = keep_alive_of(p, &s->request.headers);
    const char *expect = http_headers_get(&s->request.headers, "Expect");
    if (expect != NULL && p->http_minor >= 1 && http_name_equal(expect, "100-continue"))
        s->continue_state = CONTINUE_PENDING;
    /* Upgrade is ignored: 0 tells http-parser to read a body, if any, as usual. */
    return 0;
}

static int server_on_body(http_parser *p, const char *at, size_t length)
{
    struct http1_parse *ps = parse_of(p);
    struct http1_server *s = parse_server(ps);
    struct mc_buf *body = &s->request.body;
    int err = mc_buf_append(body, at, length);
    if (err == MC_ELIMIT) {
        uint64_t offset = parse_offset_of(ps, at) + (body->len_max - body->len);
        parse_fail(ps, MC_ELIMIT, 413, offset, "body longer than %zu bytes", body->len_max);
        return CB_STOP;
    }
    if (err != 0) {
        parse_fail(ps, err, 500, parse_offset_of(ps, at), "out of memory reading the body");
        return CB_STOP;
    }
    ps->body_bytes += length;
    return 0;
}

static int server_on_message_complete(http_parser *p)
{
    struct http1_parse *ps = parse_of(p);
    struct http1_server *s = parse_server(ps);
    parse_message_end(ps, s->request.keep_alive);
    s->continue_state = CONTINUE_NONE;
    http_parser_pause(p, 1);
    return 0;
}

static const http_parser_settings server_settings = {
    .on_message_begin = server_on_message_begin,
    .on_url = on_url,
    .on_header_field = on_header_field,
    .on_header_value = on_header_value,
    .on_headers_complete = server_on_headers_complete,
    .on_body = server_on_body,
    .on_message_complete = server_on_message_complete,
    .on_chunk_header = on_chunk_header,
};

void http1_server_init(struct http1_server *s, const struct mc_alloc *alloc)
{
    MC_ASSERT(s != NULL);
    parse_init(&s->parse, HTTP_REQUEST, alloc);
    http_request_init(&s->request, alloc);
    s->continue_state = CONTINUE_NONE;
}

void http1_server_deinit(struct http1_server *s)
{
    MC_ASSERT(s != NULL);
    http_request_deinit(&s->request);
    parse_deinit(&s->parse);
}

/* Hands the finished request over and starts counting the next one. */
static void server_request_take(struct http1_server *s, struct http_request *request_out)
{
    MC_ASSERT(!s->parse.in_message);
    MC_ASSERT(s->request.method != NULL);
    *request_out = s->request;
    http_request_init(&s->request, s->parse.alloc);
}

int http1_server_feed(struct http1_server *s, const uint8_t *data, size_t bytes,
                      size_t *consumed, struct http_request *request_out,
                      struct http1_error *err)
{
    MC_ASSERT(s != NULL && consumed != NULL && request_out != NULL && err != NULL);
    MC_ASSERT(data != NULL || bytes == 0);
    struct http1_parse *ps = &s->parse;
    *consumed = 0;
    http1_error_clear(err);
    if (ps->failed)
        return parse_error_out(ps, err);
    size_t pos = 0;
    while (pos < bytes) {
        if (ps->closing) {
            pos += parse_closing_skip(ps, data + pos, bytes - pos, ps->offset + pos);
            if (ps->failed)
                return parse_error_out(ps, err);
            MC_ASSERT(pos == bytes);
            break;
        }
        uint64_t room = parse_room(ps, ps->offset + pos, MC_HTTP_REQUEST_WIRE_BYTES_MAX);
        if (room == 0) {
            parse_room_fail(ps, ps->offset + pos);
            return parse_error_out(ps, err);
        }
        size_t span = bytes - pos < room ? bytes - pos : (size_t)room;
        size_t parsed = parse_execute(ps, &server_settings, data + pos, span, ps->offset + pos);
        pos += parsed;
        enum http_errno e = HTTP_PARSER_ERRNO(parser_of(ps));
        if (e == HPE_PAUSED && !ps->failed && parse_pause_internal(ps, ps->offset + pos))
            continue;
        if (e == HPE_PAUSED && !ps->failed) {
            *consumed = pos;
            ps->offset += pos;
            ps->message_offset = ps->offset;
            server_request_take(s, request_out);
            return 1;
        }
        if (e != HPE_OK || parsed != span) {
            parse_stop_fail(ps, parsed);
            return parse_error_out(ps, err);
        }
    }
    *consumed = bytes;
    ps->offset += bytes;
    return 0;
}

int http1_server_continue_take(struct http1_server *s)
{
    MC_ASSERT(s != NULL);
    if (s->continue_state != CONTINUE_PENDING || s->parse.failed)
        return 0;
    MC_ASSERT(s->parse.in_message && !s->parse.in_head);
    s->continue_state = CONTINUE_TAKEN;
    return 1;
}

enum http1_server_phase http1_server_phase(const struct http1_server *s)
{
    MC_ASSERT(s != NULL);
    if (!s->parse.in_message)
        return HTTP1_SERVER_BETWEEN;
    return s->parse.in_head ? HTTP1_SERVER_HEAD : HTTP1_SERVER_BODY;
}

int http1_server_eof(struct http1_server *s, struct http1_error *err)
{
    MC_ASSERT(s != NULL && err != NULL);
    struct http1_parse *ps = &s->parse;
    http1_error_clear(err);
    if (ps->failed)
        return parse_error_out(ps, err);
    if (!ps->in_message)
        return 0;
    if (ps->in_head)
        parse_fail(ps, MC_ECLOSED, 0, ps->offset, "connection closed inside a request head");
    else
        parse_fail(ps, MC_ECLOSED, 0, ps->offset,
                   "connection closed after %" PRIu64 " bytes of a request body", ps->body_bytes);
    return parse_error_out(ps, err);
}

/* ---- the client side ---------------------------------------------------- */

static struct http1_client *parse_client(struct http1_parse *ps)
{
    return MC_CONTAINER_OF(ps, struct http1_client, parse);
}

static int client_on_message_begin(http_parser *p)
{
    struct http1_parse *ps = parse_of(p);
    struct http1_client *c = parse_client(ps);
    http_response_deinit(&c->head);
    http_response_init(&c->head, 200, ps->alloc);
    parse_message_begin(ps, &c->head.headers);
    return 0;
}

/* Checks a response head; fails the connection if it cannot be used. */
static int client_head_check(struct http1_parse *ps)
{
    http_parser *p = parser_of(ps);
    uint64_t at = OFFSET_WHERE_STOPPED;
    if (p->http_major != 1) {
        parse_fail(ps, MC_EUNSUPPORTED, 0, at, "HTTP version %u.%u is not supported",
                   p->http_major, p->http_minor);
        return CB_STOP;
    }
    if (p->status_code < 100) {
        parse_fail(ps, MC_EPARSE, 0, at, "invalid status code %u", p->status_code);
        return CB_STOP;
    }
    return 0;
}

/* Whether a response body runs until the connection closes (RFC 7230 3.3.3). */
static int client_body_until_close(const http_parser *p, int skip_body)
{
    if (skip_body || (p->flags & F_CHUNKED) || p->content_length != ULLONG_MAX)
        return 0;
    return http_status_body_allowed(p->status_code);
}

static int client_on_headers_complete(http_parser *p)
{
    struct http1_parse *ps = parse_of(p);
    struct http1_client *c = parse_client(ps);
    if (parse_head_end(ps) != 0 || client_head_check(ps) != 0)
        return CB_STOP;
    /* A HEAD answer and 1xx, 204, 304 have no body, whatever Content-Length says. */
    int skip_body = c->skip_body_next || !http_status_body_allowed(p->status_code);
    c->skip_body_next = 0;
    c->head.status = p->status_code;
    c->head.is_stream = ps->chunked || client_body_until_close(p, skip_body);
    c->version_minor = p->http_minor;
    c->keep_alive =
        keep_alive_of(p, &c->head.headers) && !client_body_until_close(p, skip_body);
    c->event.kind = HTTP1_CLIENT_HEAD;
    c->event.head = &c->head;
    c->event.version_minor = c->version_minor;
    c->event.keep_alive = c->keep_alive;
    http_parser_pause(p, 1);
    /* 1 tells http-parser that this response has no body. */
    return skip_body ? 1 : 0;
}

static int client_on_body(http_parser *p, const char *at, size_t length)
{
    struct http1_parse *ps = parse_of(p);
    struct http1_client *c = parse_client(ps);
    if (length == 0)
        return 0;
    ps->body_bytes += length;
    c->event.kind = HTTP1_CLIENT_BODY;
    c->event.data = (const uint8_t *)at;
    c->event.bytes = length;
    http_parser_pause(p, 1);
    return 0;
}

static int client_on_message_complete(http_parser *p)
{
    struct http1_parse *ps = parse_of(p);
    struct http1_client *c = parse_client(ps);
    parse_message_end(ps, c->keep_alive);
    c->event.kind = HTTP1_CLIENT_END;
    c->event.keep_alive = c->keep_alive;
    http_parser_pause(p, 1);
    return 0;
}

static const http_parser_settings client_settings = {
    .on_message_begin = client_on_message_begin,
    .on_header_field = on_header_field,
    .on_header_value = on_header_value,
    .on_headers_complete = client_on_headers_complete,
    .on_body = client_on_body,
    .on_message_complete = client_on_message_complete,
    .on_chunk_header = on_chunk_header,
};

void http1_client_init(struct http1_client *c, const struct mc_alloc *alloc)
{
    MC_ASSERT(c != NULL);
    parse_init(&c->parse, HTTP_RESPONSE, alloc);
    http_response_init(&c->head, 200, alloc);
    c->version_minor = 1;
    c->keep_alive = 1;
    c->skip_body_next = 0;
    memset(&c->event, 0, sizeof(c->event));
}

void http1_client_deinit(struct http1_client *c)
{
    MC_ASSERT(c != NULL);
    http_response_deinit(&c->head);
    parse_deinit(&c->parse);
}

void http1_client_request_method_set(struct http1_client *c, const char *method)
{
    MC_ASSERT(c != NULL && method != NULL);
    MC_ASSERT(method[0] != '\0');
    c->skip_body_next = strcmp(method, "HEAD") == 0;
}

/* Hands the event the callbacks left to the caller. */
static int client_event_out(struct http1_client *c, size_t consumed_bytes,
                            struct http1_client_event *ev)
{
    struct http1_parse *ps = &c->parse;
    MC_ASSERT(c->event.kind != 0);
    ps->offset += consumed_bytes;
    if (c->event.kind == HTTP1_CLIENT_END)
        ps->message_offset = ps->offset;
    *ev = c->event;
    memset(&c->event, 0, sizeof(c->event));
    return 1;
}

int http1_client_feed(struct http1_client *c, const uint8_t *data, size_t bytes,
                      size_t *consumed, struct http1_client_event *ev, struct http1_error *err)
{
    MC_ASSERT(c != NULL && consumed != NULL && ev != NULL && err != NULL);
    MC_ASSERT(data != NULL || bytes == 0);
    struct http1_parse *ps = &c->parse;
    *consumed = 0;
    http1_error_clear(err);
    if (ps->failed)
        return parse_error_out(ps, err);
    size_t pos = 0;
    while (pos < bytes) {
        if (ps->closing) {
            pos += parse_closing_skip(ps, data + pos, bytes - pos, ps->offset + pos);
            if (ps->failed)
                return parse_error_out(ps, err);
            MC_ASSERT(pos == bytes);
            break;
        }
        uint64_t room = parse_room(ps, ps->offset + pos, UINT64_MAX);
        if (room == 0) {
            parse_room_fail(ps, ps->offset + pos);
            return parse_error_out(ps, err);
        }
        size_t span = bytes - pos < room ? bytes - pos : (size_t)room;
        size_t parsed = parse_execute(ps, &client_settings, data + pos, span, ps->offset + pos);
        pos += parsed;
        enum http_errno e = HTTP_PARSER_ERRNO(parser_of(ps));
        if (e == HPE_PAUSED && !ps->failed && parse_pause_internal(ps, ps->offset + pos))
            continue;
        if (e == HPE_PAUSED && !ps->failed) {
            *consumed = pos;
            return client_event_out(c, pos, ev);
        }
        if (e != HPE_OK || parsed != span) {
            parse_stop_fail(ps, parsed);
            return parse_error_out(ps, err);
        }
    }
    *consumed = bytes;
    ps->offset += bytes;
    return 0;
}

/* Says how far a response had come when its connection closed under it. */
static void client_cut_fail(struct http1_parse *ps)
{
    if (ps->in_head) {
        parse_fail(ps, MC_ECLOSED, 0, ps->offset, "connection closed inside a response head");
    } else if (ps->chunked) {
        parse_fail(ps, MC_ECLOSED, 0, ps->offset,
                   "connection closed inside a chunked body after %" PRIu64 " bytes",
                   ps->body_bytes);
    } else {
        parse_fail(ps, MC_ECLOSED, 0, ps->offset,
                   "connection closed after %" PRIu64 " of %" PRIu64 " body bytes",
                   ps->body_bytes, ps->content_length);
    }
}

int http1_client_eof(struct http1_client *c, struct http1_client_event *ev,
                     struct http1_error *err)
{
    MC_ASSERT(c != NULL && ev != NULL && err != NULL);
    struct http1_parse *ps = &c->parse;
    http1_error_clear(err);
    if (ps->failed)
        return parse_error_out(ps, err);
    if (!ps->in_message)
        return 0;
    http_parser *p = parser_of(ps);
    http_parser_pause(p, 0);
    ps->exec_data = NULL;
    ps->exec_offset = ps->offset;
    ps->exec_end_offset = ps->offset;
    /* Zero bytes tell http-parser the connection ended. */
    http_parser_execute(p, &client_settings, NULL, 0);
    if (HTTP_PARSER_ERRNO(p) == HPE_PAUSED && !ps->failed)
        return client_event_out(c, 0, ev);
    client_cut_fail(ps);
    return parse_error_out(ps, err);
}

/* ---- the writers -------------------------------------------------------- */

/* Puts out back to len bytes after a failed write. */
static int out_restore(struct mc_buf *out, size_t len, int err)
{
    MC_ASSERT(err < 0);
    MC_ASSERT(len <= out->len);
    out->len = len;
    if (out->data != NULL)
        out->data[len] = '\0';
    return err;
}

/* Appends "name: value\r\n" after checking both may go on the wire. */
static int header_write(struct mc_buf *out, const char *name, const char *value)
{
    if (!http_token_valid(name, strlen(name)) || !http_header_value_valid(value, strlen(value)))
        return MC_EINVAL;
    return mc_buf_appendf(out, "%s: %s\r\n", name, value);
}

/*
 * 1 when value is a decimal number equal to bytes. Leading zeros are
 * allowed, as http-parser reads them, so that a parsed message can be
 * written back.
 */
static int content_length_matches(const char *value, size_t bytes)
{
    uint64_t n = 0;
    if (*value == '\0')
        return 0;
    for (; *value != '\0'; value++) {
        if (*value < '0' || *value > '9' || n > (UINT64_MAX - 9) / 10)
            return 0;
        n = n * 10 + (uint64_t)(*value - '0');
    }
    return n == bytes;
}

/*
 * Writes every header in order. When a body follows (has_body), each
 * Content-Length must agree with body_bytes; without one (1xx, 204, 304) a
 * Content-Length describes another answer and is written as it is. Counts
 * the Content-Length headers into *content_lengths.
 */
static int headers_write(struct mc_buf *out, const struct http_headers *h, int has_body,
                         size_t body_bytes, uint32_t *content_lengths)
{
    *content_lengths = 0;
    for (uint32_t i = 0; i < h->count; i++) {
        const struct http_header *x = &h->items[i];
        if (http_name_equal(x->name, "Content-Length")) {
            if (has_body && !content_length_matches(x->value, body_bytes))
                return MC_EINVAL;
            (*content_lengths)++;
        }
        int err = header_write(out, x->name, x->value);
        if (err != 0)
            return err;
    }
    return 0;
}

/*
 * 1 when the request's headers ask for a chunked body, 0 for none, -1 for
 * codings the writer cannot produce (anything but one "chunked").
 */
static int request_chunked(const struct http_headers *h)
{
    const char *first = http_headers_get(h, "Transfer-Encoding");
    if (first == NULL)
        return 0;
    /* The same pointer from both ends means a single header. */
    if (http_headers_get_last(h, "Transfer-Encoding") != first ||
        !http_name_equal(first, "chunked"))
        return -1;
    return 1;
}

/* The framing headers a request may lack: Content-Length and Connection. */
static int request_framing_write(struct mc_buf *out, const struct http_request *r,
                                 int chunked, uint32_t content_lengths)
{
    int err = 0;
    int body_method = strcmp(r->method, "POST") == 0 || strcmp(r->method, "PUT") == 0 ||
                      strcmp(r->method, "PATCH") == 0;
    if (!chunked && content_lengths == 0 && (r->body.len > 0 || body_method))
        err = mc_buf_appendf(out, "Content-Length: %zu\r\n", r->body.len);
    if (err == 0 && http_headers_get(&r->headers, "Connection") == NULL) {
        if (r->version_minor >= 1 && !r->keep_alive)
            err = mc_buf_append_str(out, "Connection: close\r\n");
        else if (r->version_minor == 0 && r->keep_alive)
            err = mc_buf_append_str(out, "Connection: keep-alive\r\n");
    }
    return err;
}

/* The body of a chunked request: one chunk for all of it, then the last chunk. */
static int request_chunked_body_write(struct mc_buf *out, const struct http_request *r)
{
    int err = http1_chunk_write(out, r->body.data, r->body.len);
    if (err == 0)
        err = http1_chunk_end_write(out);
    return err;
}

int http1_request_write(struct mc_buf *out, const struct http_request *r)
{
    MC_ASSERT(out != NULL && r != NULL);
    size_t start = out->len;
    if (r->method == NULL || r->target == NULL)
        return MC_EINVAL;
    int chunked = request_chunked(&r->headers);
    if (chunked < 0)
        return MC_EINVAL;
    if (chunked && http_headers_get(&r->headers, "Content-Length") != NULL)
        return MC_EINVAL;
    uint32_t content_lengths = 0;
    int err = mc_buf_appendf(out, "%s %s HTTP/1.%d\r\n", r->method, r->target,
                             r->version_minor == 0 ? 0 : 1);
    if (err == 0)
        err = headers_write(out, &r->headers, 1, r->body.len, &content_lengths);
    if (err == 0)
        err = request_framing_write(out, r, chunked, content_lengths);
    if (err == 0)
        err = mc_buf_append_str(out, "\r\n");
    if (err == 0 && chunked)
        err = request_chunked_body_write(out, r);
    else if (err == 0 && r->body.len > 0)
        err = mc_buf_append(out, r->body.data, r->body.len);
    return err == 0 ? 0 : out_restore(out, start, err);
}

static int status_line_write(struct mc_buf *out, int status)
{
    if (status < 100 || status > 999)
        return MC_EINVAL;
    return mc_buf_appendf(out, "HTTP/1.1 %d %s\r\n", status, http_status_reason(status));
}

/* The head and body of a whole response. */
static int whole_response_write(struct mc_buf *out, const struct http_response *r)
{
    int body_allowed = http_status_body_allowed(r->status);
    if (http_headers_get(&r->headers, "Transfer-Encoding") != NULL)
        return MC_EINVAL;
    if (!body_allowed && r->body.len > 0)
        return MC_EINVAL;
    uint32_t content_lengths = 0;
    int err = status_line_write(out, r->status);
    if (err == 0)
        err = headers_write(out, &r->headers, body_allowed, r->body.len, &content_lengths);
    if (err == 0 && body_allowed && content_lengths == 0)
        err = mc_buf_appendf(out, "Content-Length: %zu\r\n", r->body.len);
    if (err == 0)
        err = mc_buf_append_str(out, "\r\n");
    if (err == 0 && r->body.len > 0)
        err = mc_buf_append(out, r->body.data, r->body.len);
    return err;
}

int http1_response_write(struct mc_buf *out, const struct http_response *r)
{
    MC_ASSERT(out != NULL && r != NULL);
    if (r->is_stream)
        return http1_stream_head_write(out, r);
    size_t start = out->len;
    int err = whole_response_write(out, r);
    return err == 0 ? 0 : out_restore(out, start, err);
}

/* The headers of a stream head, Transfer-Encoding: chunked in place of any other. */
static int stream_headers_write(struct mc_buf *out, const struct http_headers *h)
{
    int written = 0;
    for (uint32_t i = 0; i < h->count; i++) {
        const struct http_header *x = &h->items[i];
        int err = 0;
        if (!http_name_equal(x->name, "Transfer-Encoding"))
            err = header_write(out, x->name, x->value);
        else if (!written++)
            err = header_write(out, x->name, "chunked");
        if (err != 0)
            return err;
    }
    return written ? 0 : mc_buf_append_str(out, "Transfer-Encoding: chunked\r\n");
}

int http1_stream_head_write(struct mc_buf *out, const struct http_response *r)
{
    MC_ASSERT(out != NULL && r != NULL);
    size_t start = out->len;
    if (r->body.len > 0 || !http_status_body_allowed(r->status) ||
        http_headers_get(&r->headers, "Content-Length") != NULL)
        return MC_EINVAL;
    int err = status_line_write(out, r->status);
    if (err == 0)
        err = stream_headers_write(out, &r->headers);
    if (err == 0)
        err = mc_buf_append_str(out, "\r\n");
    return err == 0 ? 0 : out_restore(out, start, err);
}

int http1_chunk_write(struct mc_buf *out, const void *data, size_t bytes)
{
    MC_ASSERT(out != NULL);
    MC_ASSERT(data != NULL || bytes == 0);
    if (bytes == 0)
        return 0;
    size_t start = out->len;
    int err = mc_buf_appendf(out, "%zx\r\n", bytes);
    if (err == 0)
        err = mc_buf_append(out, data, bytes);
    if (err == 0)
        err = mc_buf_append_str(out, "\r\n");
    return err == 0 ? 0 : out_restore(out, start, err);
}

int http1_chunk_end_write(struct mc_buf *out)
{
    MC_ASSERT(out != NULL);
    return mc_buf_append_str(out, "0\r\n\r\n");
}

int http1_continue_write(struct mc_buf *out)
{
    MC_ASSERT(out != NULL);
    return mc_buf_append_str(out, "HTTP/1.1 100 Continue\r\n\r\n");
}
