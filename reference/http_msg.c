/*
 * http_msg.c: the HTTP message model (see http_msg.h).
 *
 * Header lists grow through the message's allocator up to
 * MC_HTTP_HEADERS_MAX entries. Every change is all or nothing: the new
 * strings are allocated before anything in the list moves, so a failed
 * call leaves the list as it was. A header's name and value share one
 * allocation, the value right after the name's NUL; the name owns it.
 */
#include "http_msg.h"

#include <stdio.h>
#include <string.h>

#include "mc_assert.h"

/* The largest unix time whose year still has four digits (9999-12-31T23:59:59Z). */
#define HTTP_DATE_UNIX_S_MAX 253402300799ull

static int ascii_lower(int c)
{
    return (c >= 'A' && c <= 'Z') ? c + ('a' - 'A') : c;
}

int http_name_equal(const char *a, const char *b)
{
    MC_ASSERT(a != NULL);
    MC_ASSERT(b != NULL);
    while (*a != '\0' && ascii_lower((unsigned char)*a) == ascii_lower((unsigned char)*b)) {
        a++;
        b++;
    }
    return *a == '\0' && *b == '\0';
}

/* RFC 7230 tchar: the bytes a token (header name, method) is made of. */
static int is_tchar(unsigned char c)
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
        return 1;
    if (c == '-') /* the one in most names ("Content-Type"): no call */
        return 1;
    return c != '\0' && strchr("!#$%&'*+.^_`|~", c) != NULL;
}

int http_token_valid(const char *s, size_t bytes)
{
    if (bytes == 0)
        return 0;
    for (size_t i = 0; i < bytes; i++) {
        if (!is_tchar((unsigned char)s[i]))
            return 0;
    }
    return 1;
}

int http_header_value_valid(const char *s, size_t bytes)
{
    for (size_t i = 0; i < bytes; i++) {
        unsigned char c = (unsigned char)s[i];
        if ((c < 0x20 && c != '\t') || c == 0x7f)
            return 0;
    }
    return 1;
}

void http_headers_init(struct http_headers *h, const struct mc_alloc *alloc)
{
    MC_ASSERT(h != NULL);
    h->items = NULL;
    h->count = 0;
    h->cap = 0;
    h->alloc = alloc;
}

void http_headers_deinit(struct http_headers *h)
{
    MC_ASSERT(h != NULL);
    MC_ASSERT(h->count <= h->cap);
    for (uint32_t i = 0; i < h->count; i++)
        mc_free(h->alloc, h->items[i].name);
    mc_free(h->alloc, h->items);
    h->items = NULL;
    h->count = 0;
    h->cap = 0;
}

/* Checks a name and a value before they enter a list. */
static int header_check(const char *name, size_t name_bytes, const char *value,
                        size_t value_bytes)
{
    if (name_bytes > MC_HTTP_HEADER_BYTES_MAX || value_bytes > MC_HTTP_HEADER_BYTES_MAX)
        return MC_ELIMIT;
    if (!http_token_valid(name, name_bytes))
        return MC_EINVAL;
    if (!http_header_value_valid(value, value_bytes))
        return MC_EINVAL;
    return 0;
}

/* "name\0value\0" in one allocation, or NULL. */
static char *header_make(const struct mc_alloc *alloc, const char *name, size_t name_bytes,
                         const char *value, size_t value_bytes)
{
    char *n = mc_malloc(alloc, name_bytes + value_bytes + 2);
    if (n == NULL)
        return NULL;
    memcpy(n, name, name_bytes);
    n[name_bytes] = '\0';
    memcpy(n + name_bytes + 1, value, value_bytes);
    n[name_bytes + 1 + value_bytes] = '\0';
    return n;
}

/* Makes room for one more item, within MC_HTTP_HEADERS_MAX. */
static int headers_reserve(struct http_headers *h)
{
    if (h->count == MC_HTTP_HEADERS_MAX)
        return MC_ELIMIT;
    if (h->count < h->cap)
        return 0;
    uint32_t cap = h->cap == 0 ? 8 : h->cap * 2;
    if (cap > MC_HTTP_HEADERS_MAX)
        cap = MC_HTTP_HEADERS_MAX;
    struct http_header *items = mc_realloc(h->alloc, h->items, cap * sizeof(*items));
    if (items == NULL)
        return MC_ENOMEM;
    h->items = items;
    h->cap = cap;
    return 0;
}

int http_headers_add_n(struct http_headers *h, const char *name, size_t name_bytes,
                       const char *value, size_t value_bytes)
{
    MC_ASSERT(h != NULL);
    MC_ASSERT(name != NULL && value != NULL);
    int err = header_check(name, name_bytes, value, value_bytes);
    if (err != 0)
        return err;
    err = headers_reserve(h);
    if (err != 0)
        return err;
    char *n = header_make(h->alloc, name, name_bytes, value, value_bytes);
    if (n == NULL)
        return MC_ENOMEM;
    h->items[h->count].name = n;
    h->items[h->count].value = n + name_bytes + 1;
    h->count++;
    MC_ASSERT(h->count <= h->cap);
    return 0;
}

int http_headers_add(struct http_headers *h, const char *name, const char *value)
{
    MC_ASSERT(name != NULL && value != NULL);
    return http_headers_add_n(h, name, strlen(name), value, strlen(value));
}

/* The index of the first header named name at or after from, or -1. */
static int64_t headers_find(const struct http_headers *h, const char *name, uint32_t from)
{
    for (uint32_t i = from; i < h->count; i++) {
        if (http_name_equal(h->items[i].name, name))
            return i;
    }
    return -1;
}

int http_headers_set(struct http_headers *h, const char *name, const char *value)
{
    MC_ASSERT(h != NULL);
    MC_ASSERT(name != NULL && value != NULL);
    int64_t first = headers_find(h, name, 0);
    if (first < 0)
        return http_headers_add(h, name, value);
    size_t value_bytes = strlen(value);
    int err = header_check(name, strlen(name), value, value_bytes);
    if (err != 0)
        return err;
    size_t name_bytes = strlen(h->items[first].name);
    char *n = header_make(h->alloc, h->items[first].name, name_bytes, value, value_bytes);
    if (n == NULL)
        return MC_ENOMEM;
    mc_free(h->alloc, h->items[first].name);
    h->items[first].name = n;
    h->items[first].value = n + name_bytes + 1;
    /* Later headers of the same name would contradict the single value. */
    uint32_t kept = (uint32_t)first + 1;
    for (uint32_t i = kept; i < h->count; i++) {
        if (http_name_equal(h->items[i].name, name)) {
            mc_free(h->alloc, h->items[i].name);
        } else {
            h->items[kept++] = h->items[i];
        }
    }
    h->count = kept;
    return 0;
}

uint32_t http_headers_remove(struct http_headers *h, const char *name)
{
    MC_ASSERT(h != NULL);
    MC_ASSERT(name != NULL);
    uint32_t kept = 0;
    uint32_t removed = 0;
    for (uint32_t i = 0; i < h->count; i++) {
        if (http_name_equal(h->items[i].name, name)) {
            mc_free(h->alloc, h->items[i].name);
            removed++;
        } else {
            h->items[kept++] = h->items[i];
        }
    }
    h->count = kept;
    return removed;
}

const char *http_headers_get(const struct http_headers *h, const char *name)
{
    MC_ASSERT(h != NULL);
    MC_ASSERT(name != NULL);
    int64_t i = headers_find(h, name, 0);
    return i < 0 ? NULL : h->items[i].value;
}

const char *http_headers_get_last(const struct http_headers *h, const char *name)
{
    MC_ASSERT(h != NULL);
    MC_ASSERT(name != NULL);
    for (uint32_t i = h->count; i > 0; i--) {
        if (http_name_equal(h->items[i - 1].name, name))
            return h->items[i - 1].value;
    }
    return NULL;
}

int http_headers_copy(struct http_headers *dst, const struct http_headers *src,
                      const struct mc_alloc *alloc)
{
    MC_ASSERT(dst != NULL && src != NULL);
    MC_ASSERT(dst != src);
    http_headers_init(dst, alloc);
    for (uint32_t i = 0; i < src->count; i++) {
        int err = http_headers_add(dst, src->items[i].name, src->items[i].value);
        if (err != 0) {
            /* src was valid, so only memory can be missing here. */
            MC_ASSERT(err == MC_ENOMEM);
            http_headers_deinit(dst);
            return err;
        }
    }
    MC_ASSERT(dst->count == src->count);
    return 0;
}

void http_request_init(struct http_request *r, const struct mc_alloc *alloc)
{
    MC_ASSERT(r != NULL);
    r->method = NULL;
    r->target = NULL;
    r->path = NULL;
    http_headers_init(&r->headers, alloc);
    mc_buf_init(&r->body, MC_HTTP_BODY_BYTES_MAX, alloc);
    r->version_minor = 1;
    r->keep_alive = 1;
    r->alloc = alloc;
}

void http_request_deinit(struct http_request *r)
{
    MC_ASSERT(r != NULL);
    mc_free(r->alloc, r->method);
    mc_free(r->alloc, r->target);
    mc_free(r->alloc, r->path);
    http_headers_deinit(&r->headers);
    mc_buf_deinit(&r->body);
    http_request_init(r, r->alloc);
}

/*
 * Where the path of a request-target starts and how long it is. Origin
 * form ("/a?q") starts at 0; absolute form ("http://h:1/a?q") after the
 * authority, and a missing path there means "/" (RFC 7230 5.3.2), reported
 * as length 0. Anything else ("*", "host:443") is taken up to '?' or '#'.
 */
static size_t target_path_span(const char *target, size_t *start_out)
{
    size_t start = 0;
    if (target[0] != '/') {
        const char *sep = strstr(target, "://");
        size_t scheme_bytes = sep != NULL ? (size_t)(sep - target) : 0;
        /* A scheme is a token followed by "://" before any '/', '?' or '#'. */
        if (scheme_bytes > 0 && http_token_valid(target, scheme_bytes) &&
            strcspn(target, "/?#") > scheme_bytes) {
            start = scheme_bytes + 3;
            start += strcspn(target + start, "/?#");
            if (target[start] != '/') {
                *start_out = start;
                return 0;
            }
        }
    }
    *start_out = start;
    return strcspn(target + start, "?#");
}

int http_request_line_set(struct http_request *r, const char *method, const char *target)
{
    MC_ASSERT(r != NULL);
    MC_ASSERT(method != NULL && target != NULL);
    size_t method_bytes = strlen(method);
    size_t target_bytes = strlen(target);
    if (method_bytes > MC_HTTP_METHOD_BYTES_MAX || target_bytes > MC_HTTP_URL_BYTES_MAX)
        return MC_ELIMIT;
    if (!http_token_valid(method, method_bytes) || target_bytes == 0)
        return MC_EINVAL;
    for (size_t i = 0; i < target_bytes; i++) {
        unsigned char c = (unsigned char)target[i];
        if (c <= 0x20 || c == 0x7f)
            return MC_EINVAL;
    }
    size_t start = 0;
    size_t path_bytes = target_path_span(target, &start);
    char *m = mc_strndup(r->alloc, method, method_bytes);
    char *t = mc_strndup(r->alloc, target, target_bytes);
    char *p = path_bytes > 0 ? mc_strndup(r->alloc, target + start, path_bytes)
                             : mc_strdup(r->alloc, "/");
    if (m == NULL || t == NULL || p == NULL) {
        mc_free(r->alloc, m);
        mc_free(r->alloc, t);
        mc_free(r->alloc, p);
        return MC_ENOMEM;
    }
    mc_free(r->alloc, r->method);
    mc_free(r->alloc, r->target);
    mc_free(r->alloc, r->path);
    r->method = m;
    r->target = t;
    r->path = p;
    return 0;
}

int http_request_copy(struct http_request *dst, const struct http_request *src,
                      const struct mc_alloc *alloc)
{
    MC_ASSERT(dst != NULL && src != NULL);
    MC_ASSERT(dst != src);
    http_request_init(dst, alloc);
    int err = 0;
    if (src->method != NULL)
        err = http_request_line_set(dst, src->method, src->target);
    if (err == 0) {
        http_headers_deinit(&dst->headers);
        err = http_headers_copy(&dst->headers, &src->headers, alloc);
    }
    if (err == 0 && src->body.len > 0)
        err = mc_buf_append(&dst->body, src->body.data, src->body.len);
    if (err != 0) {
        http_request_deinit(dst);
        return err;
    }
    dst->version_minor = src->version_minor;
    dst->keep_alive = src->keep_alive;
    return 0;
}

void http_response_init(struct http_response *r, int status, const struct mc_alloc *alloc)
{
    MC_ASSERT(r != NULL);
    MC_ASSERT(status >= 100 && status <= 999);
    r->status = status;
    http_headers_init(&r->headers, alloc);
    mc_buf_init(&r->body, MC_HTTP_BODY_BYTES_MAX, alloc);
    r->is_stream = 0;
    r->alloc = alloc;
}

void http_response_deinit(struct http_response *r)
{
    MC_ASSERT(r != NULL);
    http_headers_deinit(&r->headers);
    mc_buf_deinit(&r->body);
    r->is_stream = 0;
}

int http_response_copy(struct http_response *dst, const struct http_response *src,
                       const struct mc_alloc *alloc)
{
    MC_ASSERT(dst != NULL && src != NULL);
    MC_ASSERT(dst != src);
    http_response_init(dst, src->status, alloc);
    http_headers_deinit(&dst->headers);
    int err = http_headers_copy(&dst->headers, &src->headers, alloc);
    if (err == 0 && src->body.len > 0)
        err = mc_buf_append(&dst->body, src->body.data, src->body.len);
    if (err != 0) {
        http_response_deinit(dst);
        return err;
    }
    dst->is_stream = src->is_stream;
    return 0;
}

/* Appends Content-Length: <body bytes>. */
static int content_length_add(struct http_response *r)
{
    char digits[24];
    snprintf(digits, sizeof(digits), "%zu", r->body.len);
    return http_headers_add(&r->headers, "Content-Length", digits);
}

int http_response_text_init(struct http_response *r, int status, const char *text,
                            const struct mc_alloc *alloc)
{
    MC_ASSERT(text != NULL);
    http_response_init(r, status, alloc);
    int err = http_headers_add(&r->headers, "Content-Type", "text/plain; charset=utf-8");
    if (err == 0)
        err = mc_buf_append_str(&r->body, text);
    if (err == 0)
        err = content_length_add(r);
    if (err != 0)
        http_response_deinit(r);
    MC_ASSERT(err != 0 || r->headers.count == 2);
    return err;
}

int http_response_empty_init(struct http_response *r, int status, const struct mc_alloc *alloc)
{
    http_response_init(r, status, alloc);
    int err = content_length_add(r);
    if (err != 0)
        http_response_deinit(r);
    MC_ASSERT(r->body.len == 0);
    return err;
}

int http_response_redirect_init(struct http_response *r, const char *location,
                                const struct mc_alloc *alloc)
{
    MC_ASSERT(location != NULL);
    http_response_init(r, 307, alloc);
    int err = http_headers_add(&r->headers, "Location", location);
    if (err == 0)
        err = content_length_add(r);
    if (err != 0)
        http_response_deinit(r);
    MC_ASSERT(r->body.len == 0);
    return err;
}

/* Builds the Allow value and the body text of a 405 into allow and body. */
static int method_not_allowed_texts(struct mc_buf *allow, struct mc_buf *body,
                                    const char *const *allowed, size_t allowed_count,
                                    const char *method)
{
    int err = mc_buf_append_str(body, "405 Method Not Allowed. Expecting one of { '");
    for (size_t i = 0; err == 0 && i < allowed_count; i++) {
        MC_ASSERT(allowed[i] != NULL);
        if (i > 0) {
            err = mc_buf_append_str(allow, ", ");
            if (err == 0)
                err = mc_buf_append_str(body, "', '");
        }
        if (err == 0)
            err = mc_buf_append_str(allow, allowed[i]);
        if (err == 0)
            err = mc_buf_append_str(body, allowed[i]);
    }
    if (err == 0)
        err = mc_buf_append_str(body, "' }");
    if (err == 0 && method != NULL)
        err = mc_buf_appendf(body, ", but received '%s'", method);
    if (err == 0)
        err = mc_buf_append_str(body, ".");
    return err;
}

int http_response_method_not_allowed_init(struct http_response *r, const char *const *allowed,
                                          size_t allowed_count, const char *method,
                                          const struct mc_alloc *alloc)
{
    MC_ASSERT(allowed != NULL);
    MC_ASSERT(allowed_count >= 1);
    struct mc_buf allow;
    mc_buf_init(&allow, MC_HTTP_HEADER_BYTES_MAX, alloc);
    http_response_init(r, 405, alloc);
    int err = method_not_allowed_texts(&allow, &r->body, allowed, allowed_count, method);
    /* The recorded order is content-type, allow, content-length (s.get-405). */
    if (err == 0)
        err = http_headers_add(&r->headers, "Content-Type", "text/plain; charset=utf-8");
    if (err == 0)
        err = http_headers_add(&r->headers, "Allow", mc_buf_str(&allow));
    if (err == 0)
        err = content_length_add(r);
    mc_buf_deinit(&allow);
    if (err != 0)
        http_response_deinit(r);
    return err;
}

int http_response_stream_init(struct http_response *r, const char *content_type,
                              const struct mc_alloc *alloc)
{
    MC_ASSERT(content_type != NULL);
    http_response_init(r, 200, alloc);
    r->is_stream = 1;
    int err = http_headers_add(&r->headers, "Content-Type", content_type);
    if (err != 0) {
        http_response_deinit(r);
        return err;
    }
    MC_ASSERT(r->headers.count == 1);
    return 0;
}

/* 1xx, 204 and 304 answers never carry a body (RFC 7230 3.3.3). */
int http_status_body_allowed(int status)
{
    return !(status < 200 || status == 204 || status == 304);
}

int http_response_framing_headers_add(struct http_response *r)
{
    MC_ASSERT(r != NULL);
    if (r->is_stream) {
        MC_ASSERT(r->body.len == 0);
        if (http_headers_get(&r->headers, "Content-Length") != NULL)
            return MC_EINVAL;
        return http_headers_set(&r->headers, "Transfer-Encoding", "chunked");
    }
    if (!http_status_body_allowed(r->status) || http_headers_get(&r->headers, "Content-Length") != NULL)
        return 0;
    return content_length_add(r);
}

struct status_reason {
    int status;
    const char *reason;
};

/*
 * libprocess' phrases (3rdparty/libprocess/src/http.cpp, `statuses`), which
 * keep some RFC 2616 spellings ("Request Time-out"), then the RFC 6585
 * phrases of the two codes it lacks.
 */
static const struct status_reason status_reasons[] = {
    {100, "Continue"},
    {101, "Switching Protocols"},
    {200, "OK"},
    {201, "Created"},
    {202, "Accepted"},
    {203, "Non-Authoritative Information"},
    {204, "No Content"},
    {205, "Reset Content"},
    {206, "Partial Content"},
    {300, "Multiple Choices"},
    {301, "Moved Permanently"},
    {302, "Found"},
    {303, "See Other"},
    {304, "Not Modified"},
    {305, "Use Proxy"},
    {307, "Temporary Redirect"},
    {400, "Bad Request"},
    {401, "Unauthorized"},
    {402, "Payment Required"},
    {403, "Forbidden"},
    {404, "Not Found"},
    {405, "Method Not Allowed"},
    {406, "Not Acceptable"},
    {407, "Proxy Authentication Required"},
    {408, "Request Time-out"},
    {409, "Conflict"},
    {410, "Gone"},
    {411, "Length Required"},
    {412, "Precondition Failed"},
    {413, "Request Entity Too Large"},
    {414, "Request-URI Too Large"},
    {415, "Unsupported Media Type"},
    {416, "Requested range not satisfiable"},
    {417, "Expectation Failed"},
    {429, "Too Many Requests"},
    {431, "Request Header Fields Too Large"},
    {500, "Internal Server Error"},
    {501, "Not Implemented"},
    {502, "Bad Gateway"},
    {503, "Service Unavailable"},
    {504, "Gateway Time-out"},
    {505, "HTTP Version not supported"},
};

const char *http_status_reason(int status)
{
    size_t count = sizeof(status_reasons) / sizeof(status_reasons[0]);
    for (size_t i = 0; i < count; i++) {
        if (status_reasons[i].status == status)
            return status_reasons[i].reason;
    }
    return "";
}

/*
 * The proleptic Gregorian date of a day count since 1970-01-01, computed
 * in 400-year eras of 146097 days, with years starting on March 1 so that
 * the leap day falls at the end of a year.
 */
static void civil_from_days(uint64_t days, unsigned *year, unsigned *month, unsigned *day)
{
    uint64_t z = days + 719468; /* days from 0000-03-01 */
    uint64_t era = z / 146097;
    uint64_t doe = z - era * 146097;
    uint64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    uint64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    uint64_t mp = (5 * doy + 2) / 153;
    unsigned m = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
    *day = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
    *month = m;
    *year = (unsigned)(yoe + era * 400 + (m <= 2 ? 1 : 0));
    MC_ASSERT(*month >= 1 && *month <= 12);
    MC_ASSERT(*day >= 1 && *day <= 31);
}

int http_date_format(uint64_t unix_time_s, char *out, size_t out_bytes)
{
    static const char weekdays[7][4] = {"Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"};
    static const char months[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                       "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    MC_ASSERT(out != NULL);
    if (out_bytes < HTTP_DATE_BYTES || unix_time_s > HTTP_DATE_UNIX_S_MAX)
        return MC_EINVAL;
    uint64_t days = unix_time_s / 86400;
    uint64_t secs = unix_time_s % 86400;
    unsigned year, month, day;
    civil_from_days(days, &year, &month, &day);
    /* 1970-01-01 was a Thursday, the first entry of weekdays. */
    int n = snprintf(out, out_bytes, "%s, %02u %s %04u %02u:%02u:%02u GMT", weekdays[days % 7],
                     day, months[month - 1], year, (unsigned)(secs / 3600),
                     (unsigned)(secs / 60 % 60), (unsigned)(secs % 60));
    MC_ASSERT(n == HTTP_DATE_BYTES - 1);
    return 0;
}
