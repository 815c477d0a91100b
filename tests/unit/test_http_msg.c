/*
 * test_http_msg.c: the HTTP message model (reference/http_msg.h): header
 * lists, requests and their paths, the response helpers that must match
 * what a real Mesos master sends, status phrases and HTTP dates.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "http_msg.h"
#include "mc_alloc.h"
#include "mc_err.h"

/* Renders a header list as "name: value\n" lines, for whole-list comparisons. */
static const char *headers_text(const struct http_headers *h, char *out, size_t out_bytes)
{
    size_t used = 0;
    out[0] = '\0';
    for (uint32_t i = 0; i < h->count; i++) {
        int n = snprintf(out + used, out_bytes - used, "%s: %s\n", h->items[i].name,
                         h->items[i].value);
        assert_true(n > 0 && (size_t)n < out_bytes - used);
        used += (size_t)n;
    }
    return out;
}

static void headers_keep_order_and_ignore_case(void **state)
{
    (void)state;
    struct http_headers h;
    char text[512];
    http_headers_init(&h, NULL);
    assert_int_equal(http_headers_add(&h, "Content-Type", "application/json"), 0);
    assert_int_equal(http_headers_add(&h, "Accept", "*/*"), 0);
    assert_int_equal(http_headers_add(&h, "X-Dup", "one"), 0);
    assert_int_equal(http_headers_add(&h, "x-dup", "two"), 0);
    assert_string_equal(headers_text(&h, text, sizeof(text)),
                        "Content-Type: application/json\nAccept: */*\nX-Dup: one\nx-dup: two\n");
    assert_string_equal(http_headers_get(&h, "content-type"), "application/json");
    assert_string_equal(http_headers_get(&h, "CONTENT-TYPE"), "application/json");
    assert_string_equal(http_headers_get(&h, "X-DUP"), "one");
    assert_string_equal(http_headers_get_last(&h, "X-DUP"), "two");
    assert_null(http_headers_get(&h, "Content-Typ"));
    assert_null(http_headers_get(&h, "Content-Type-X"));
    assert_null(http_headers_get_last(&h, "missing"));
    http_headers_deinit(&h);
    assert_int_equal(h.count, 0);
    assert_null(http_headers_get(&h, "accept"));
}

static void headers_set_replaces_first_and_drops_the_rest(void **state)
{
    (void)state;
    struct http_headers h;
    char text[512];
    http_headers_init(&h, NULL);
    assert_int_equal(http_headers_add(&h, "A", "1"), 0);
    assert_int_equal(http_headers_add(&h, "Transfer-Encoding", "gzip"), 0);
    assert_int_equal(http_headers_add(&h, "B", "2"), 0);
    assert_int_equal(http_headers_add(&h, "transfer-encoding", "identity"), 0);
    assert_int_equal(http_headers_set(&h, "TRANSFER-ENCODING", "chunked"), 0);
    assert_string_equal(headers_text(&h, text, sizeof(text)),
                        "A: 1\nTransfer-Encoding: chunked\nB: 2\n");
    assert_int_equal(http_headers_set(&h, "C", "3"), 0);
    assert_string_equal(headers_text(&h, text, sizeof(text)),
                        "A: 1\nTransfer-Encoding: chunked\nB: 2\nC: 3\n");
    /* A refused value leaves the list as it was. */
    assert_int_equal(http_headers_set(&h, "B", "x\r\nInjected: 1"), MC_EINVAL);
    assert_string_equal(http_headers_get(&h, "b"), "2");
    assert_int_equal(http_headers_remove(&h, "a"), 1);
    assert_int_equal(http_headers_remove(&h, "a"), 0);
    assert_string_equal(headers_text(&h, text, sizeof(text)),
                        "Transfer-Encoding: chunked\nB: 2\nC: 3\n");
    http_headers_deinit(&h);
}

struct header_row {
    const char *name;
    const char *value;
    int err;
};

static void headers_refuse_what_cannot_go_on_the_wire(void **state)
{
    (void)state;
    static const struct header_row rows[] = {
        {"X-Ok", "any printable value, with\ttab", 0},
        {"X-Ok", "", 0},
        {"!#$%&'*+-.^_`|~09azAZ", "v", 0},
        {"X-Obs-Text", "caf\xc3\xa9", 0},
        {"", "v", MC_EINVAL},
        {"Bad Name", "v", MC_EINVAL},
        {"Bad:Name", "v", MC_EINVAL},
        {"Bad(Name)", "v", MC_EINVAL},
        {"X", "line\nbreak", MC_EINVAL},
        {"X", "carriage\rreturn", MC_EINVAL},
        {"X", "bell\a", MC_EINVAL},
        {"X", "del\x7f", MC_EINVAL},
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        struct http_headers h;
        http_headers_init(&h, NULL);
        assert_int_equal(http_headers_add(&h, rows[i].name, rows[i].value), rows[i].err);
        assert_int_equal(h.count, rows[i].err == 0 ? 1 : 0);
        http_headers_deinit(&h);
    }
    struct http_headers h;
    http_headers_init(&h, NULL);
    assert_int_equal(http_headers_add_n(&h, "X\0Y", 3, "v", 1), MC_EINVAL);
    assert_int_equal(http_headers_add_n(&h, "X", 1, "a\0b", 3), MC_EINVAL);
    assert_int_equal(http_headers_add_n(&h, "Xyz", 1, "abc", 2), 0);
    assert_string_equal(h.items[0].name, "X");
    assert_string_equal(h.items[0].value, "ab");
    http_headers_deinit(&h);
}

static void headers_stop_at_their_limits(void **state)
{
    (void)state;
    struct http_headers h;
    char name[32];
    http_headers_init(&h, NULL);
    for (int i = 0; i < MC_HTTP_HEADERS_MAX; i++) {
        snprintf(name, sizeof(name), "H%d", i);
        assert_int_equal(http_headers_add(&h, name, "v"), 0);
    }
    assert_int_equal(http_headers_add(&h, "One-Too-Many", "v"), MC_ELIMIT);
    assert_int_equal(h.count, MC_HTTP_HEADERS_MAX);
    /* set of an existing name still works on a full list; a new one does not. */
    assert_int_equal(http_headers_set(&h, "h0", "w"), 0);
    assert_int_equal(http_headers_set(&h, "New", "w"), MC_ELIMIT);
    http_headers_deinit(&h);

    static char big[MC_HTTP_HEADER_BYTES_MAX + 2];
    memset(big, 'a', sizeof(big) - 1);
    http_headers_init(&h, NULL);
    big[MC_HTTP_HEADER_BYTES_MAX] = '\0';
    assert_int_equal(http_headers_add(&h, big, big), 0);
    big[MC_HTTP_HEADER_BYTES_MAX] = 'a';
    assert_int_equal(http_headers_add(&h, big, "v"), MC_ELIMIT);
    assert_int_equal(http_headers_add(&h, "X", big), MC_ELIMIT);
    assert_int_equal(h.count, 1);
    http_headers_deinit(&h);
}

static void headers_copy_is_deep(void **state)
{
    (void)state;
    struct http_headers a, b;
    char text[256];
    http_headers_init(&a, NULL);
    assert_int_equal(http_headers_add(&a, "A", "1"), 0);
    assert_int_equal(http_headers_add(&a, "B", "2"), 0);
    assert_int_equal(http_headers_copy(&b, &a, NULL), 0);
    assert_int_equal(http_headers_set(&a, "A", "changed"), 0);
    http_headers_deinit(&a);
    assert_string_equal(headers_text(&b, text, sizeof(text)), "A: 1\nB: 2\n");
    http_headers_deinit(&b);
}

struct path_row {
    const char *target;
    const char *path;
};

static void request_path_is_the_target_without_query(void **state)
{
    (void)state;
    /* libprocess routes on the URL's path as sent, without percent-decoding. */
    static const struct path_row rows[] = {
        {"/api/v1/scheduler", "/api/v1/scheduler"},
        {"/api/v1/scheduler?x=1&y=2", "/api/v1/scheduler"},
        {"/api/v1/scheduler#frag", "/api/v1/scheduler"},
        {"/a%20b?q", "/a%20b"},
        {"/", "/"},
        {"/?", "/"},
        {"http://master:5050/api/v1?x", "/api/v1"},
        {"http://master:5050", "/"},
        {"http://master:5050?q", "/"},
        {"https://user@h/p/q#f", "/p/q"},
        {"*", "*"},
        {"master:5050", "master:5050"},
        {"relative/path?q", "relative/path"},
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        struct http_request r;
        http_request_init(&r, NULL);
        assert_int_equal(http_request_line_set(&r, "POST", rows[i].target), 0);
        assert_string_equal(r.method, "POST");
        assert_string_equal(r.target, rows[i].target);
        assert_string_equal(r.path, rows[i].path);
        http_request_deinit(&r);
        assert_null(r.method);
    }
}

struct line_row {
    const char *method;
    const char *target;
    int err;
};

static void request_line_refuses_bad_parts(void **state)
{
    (void)state;
    static char long_target[MC_HTTP_URL_BYTES_MAX + 2];
    memset(long_target, 'a', sizeof(long_target) - 1);
    long_target[0] = '/';
    static const struct line_row rows[] = {
        {"GET", "/", 0},
        {"M-SEARCH", "*", 0},
        {"", "/", MC_EINVAL},
        {"G T", "/", MC_EINVAL},
        {"GET", "", MC_EINVAL},
        {"GET", "/a b", MC_EINVAL},
        {"GET", "/a\tb", MC_EINVAL},
        {"GET", "/a\x7f", MC_EINVAL},
        {"ABCDEFGHIJABCDEFGHIJABCDEFGHIJABC", "/", MC_ELIMIT},
        {"GET", long_target, MC_ELIMIT},
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        struct http_request r;
        http_request_init(&r, NULL);
        assert_int_equal(http_request_line_set(&r, "PUT", "/before"), 0);
        assert_int_equal(http_request_line_set(&r, rows[i].method, rows[i].target), rows[i].err);
        /* A refused line leaves the previous one in place. */
        if (rows[i].err != 0)
            assert_string_equal(r.target, "/before");
        http_request_deinit(&r);
    }
}

static void request_copy_is_deep(void **state)
{
    (void)state;
    struct http_request a, b;
    http_request_init(&a, NULL);
    assert_int_equal(a.version_minor, 1);
    assert_int_equal(a.keep_alive, 1);
    assert_int_equal(http_request_line_set(&a, "POST", "/api/v1/scheduler?x"), 0);
    assert_int_equal(http_headers_add(&a.headers, "Content-Type", "application/json"), 0);
    assert_int_equal(mc_buf_append_str(&a.body, "{\"type\":\"SUBSCRIBE\"}"), 0);
    a.version_minor = 0;
    a.keep_alive = 0;
    assert_int_equal(http_request_copy(&b, &a, NULL), 0);
    http_request_deinit(&a);
    assert_string_equal(b.method, "POST");
    assert_string_equal(b.target, "/api/v1/scheduler?x");
    assert_string_equal(b.path, "/api/v1/scheduler");
    assert_string_equal(http_headers_get(&b.headers, "content-type"), "application/json");
    assert_string_equal(mc_buf_str(&b.body), "{\"type\":\"SUBSCRIBE\"}");
    assert_int_equal(b.version_minor, 0);
    assert_int_equal(b.keep_alive, 0);
    http_request_deinit(&b);
}

/* Copies fail cleanly at every allocation, and leak nothing (ASan checks). */
static void copies_survive_every_allocation_failure(void **state)
{
    (void)state;
    struct http_request a;
    http_request_init(&a, NULL);
    assert_int_equal(http_request_line_set(&a, "POST", "/p"), 0);
    assert_int_equal(http_headers_add(&a.headers, "A", "1"), 0);
    assert_int_equal(http_headers_add(&a.headers, "B", "2"), 0);
    assert_int_equal(mc_buf_append_str(&a.body, "body"), 0);
    uint64_t fail_at = 0;
    for (;; fail_at++) {
        struct mc_alloc_counting c;
        mc_alloc_counting_init(&c, fail_at);
        struct http_request b;
        int err = http_request_copy(&b, &a, &c.alloc);
        if (err == 0) {
            assert_string_equal(http_headers_get(&b.headers, "b"), "2");
            http_request_deinit(&b);
            assert_int_equal(c.live, 0);
            break;
        }
        assert_int_equal(err, MC_ENOMEM);
        assert_int_equal(b.headers.count, 0);
        http_request_deinit(&b);
        assert_int_equal(c.live, 0);
    }
    assert_true(fail_at >= 6);
    http_request_deinit(&a);
}

/* Renders a response head as Mesos' recordings show one: "status\nname: value\n...". */
static const char *response_text(const struct http_response *r, char *out, size_t out_bytes)
{
    char headers[1024];
    snprintf(out, out_bytes, "%d\n%s%s", r->status,
             headers_text(&r->headers, headers, sizeof(headers)), mc_buf_str(&r->body));
    return out;
}

static void text_response_is_what_mesos_sends(void **state)
{
    (void)state;
    struct http_response r;
    char text[1024];
    /* recorded: s.no-content-type (400, content-type, content-length 38). */
    assert_int_equal(
        http_response_text_init(&r, 400, "Expecting 'Content-Type' to be present", NULL), 0);
    assert_string_equal(response_text(&r, text, sizeof(text)),
                        "400\n"
                        "Content-Type: text/plain; charset=utf-8\n"
                        "Content-Length: 38\n"
                        "Expecting 'Content-Type' to be present");
    assert_int_equal(r.is_stream, 0);
    http_response_deinit(&r);
}

static void empty_and_redirect_responses_have_no_content_type(void **state)
{
    (void)state;
    struct http_response r;
    char text[1024];
    /* recorded: s.valid-kill, s.accept-non-subscribe-text-html (202, content-length 0). */
    assert_int_equal(http_response_empty_init(&r, 202, NULL), 0);
    assert_string_equal(response_text(&r, text, sizeof(text)), "202\nContent-Length: 0\n");
    http_response_deinit(&r);
    /* SPEC S2: a protocol-relative Location, an empty body, no Content-Type. */
    assert_int_equal(
        http_response_redirect_init(&r, "//leader:5050/master/api/v1/scheduler", NULL), 0);
    assert_string_equal(response_text(&r, text, sizeof(text)),
                        "307\nLocation: //leader:5050/master/api/v1/scheduler\n"
                        "Content-Length: 0\n");
    http_response_deinit(&r);
    assert_int_equal(http_response_redirect_init(&r, "//x\r\nSet-Cookie: y", NULL), MC_EINVAL);
    assert_int_equal(r.headers.count, 0);
    http_response_deinit(&r);
}

static void method_not_allowed_is_what_mesos_sends(void **state)
{
    (void)state;
    static const char *const post[] = {"POST"};
    static const char *const two[] = {"GET", "POST"};
    struct http_response r;
    char text[1024];
    /* recorded: s.get-405 (content-type, allow, content-length 72, this body). */
    assert_int_equal(http_response_method_not_allowed_init(&r, post, 1, "GET", NULL), 0);
    assert_string_equal(response_text(&r, text, sizeof(text)),
                        "405\n"
                        "Content-Type: text/plain; charset=utf-8\n"
                        "Allow: POST\n"
                        "Content-Length: 72\n"
                        "405 Method Not Allowed. Expecting one of { 'POST' }, but received 'GET'.");
    http_response_deinit(&r);
    /* recorded: s.put-405. */
    assert_int_equal(http_response_method_not_allowed_init(&r, post, 1, "PUT", NULL), 0);
    assert_string_equal(mc_buf_str(&r.body),
                        "405 Method Not Allowed. Expecting one of { 'POST' }, but received 'PUT'.");
    assert_string_equal(http_headers_get(&r.headers, "content-length"), "72");
    http_response_deinit(&r);
    assert_int_equal(http_response_method_not_allowed_init(&r, two, 2, NULL, NULL), 0);
    assert_string_equal(http_headers_get(&r.headers, "allow"), "GET, POST");
    assert_string_equal(mc_buf_str(&r.body),
                        "405 Method Not Allowed. Expecting one of { 'GET', 'POST' }.");
    http_response_deinit(&r);
}

static void stream_head_gets_chunked_framing(void **state)
{
    (void)state;
    struct http_response r;
    char text[1024];
    assert_int_equal(http_response_stream_init(&r, "application/json", NULL), 0);
    assert_int_equal(r.status, 200);
    assert_int_equal(r.is_stream, 1);
    assert_int_equal(http_headers_add(&r.headers, "Mesos-Stream-Id", "s-1"), 0);
    assert_int_equal(http_response_framing_headers_add(&r), 0);
    /* recorded: s.subscribe-null-fields (content-type, mesos-stream-id, transfer-encoding). */
    assert_string_equal(response_text(&r, text, sizeof(text)),
                        "200\nContent-Type: application/json\nMesos-Stream-Id: s-1\n"
                        "Transfer-Encoding: chunked\n");
    /* Adding the framing twice changes nothing. */
    assert_int_equal(http_response_framing_headers_add(&r), 0);
    assert_int_equal(r.headers.count, 3);
    assert_int_equal(http_headers_add(&r.headers, "Content-Length", "5"), 0);
    assert_int_equal(http_response_framing_headers_add(&r), MC_EINVAL);
    http_response_deinit(&r);
}

struct framing_row {
    int status;
    const char *body;
    const char *content_length; /* present before, or NULL */
    const char *expected;       /* Content-Length after, or NULL */
};

static void framing_adds_content_length_only_where_a_body_may_be(void **state)
{
    (void)state;
    static const struct framing_row rows[] = {
        {200, "abc", NULL, "3"},
        {200, "", NULL, "0"},
        {400, "bad", "3", "3"},
        {204, "", NULL, NULL},
        {304, "", NULL, NULL},
        {101, "", NULL, NULL},
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        struct http_response r;
        http_response_init(&r, rows[i].status, NULL);
        assert_int_equal(mc_buf_append_str(&r.body, rows[i].body), 0);
        if (rows[i].content_length != NULL)
            assert_int_equal(http_headers_add(&r.headers, "Content-Length", rows[i].content_length),
                             0);
        assert_int_equal(http_response_framing_headers_add(&r), 0);
        const char *after = http_headers_get(&r.headers, "Content-Length");
        if (rows[i].expected == NULL)
            assert_null(after);
        else
            assert_string_equal(after, rows[i].expected);
        assert_int_equal(r.headers.count, rows[i].expected == NULL ? 0 : 1);
        http_response_deinit(&r);
    }
}

static void response_helpers_survive_every_allocation_failure(void **state)
{
    (void)state;
    static const char *const post[] = {"POST"};
    for (int helper = 0; helper < 4; helper++) {
        uint64_t fail_at = 0;
        for (;; fail_at++) {
            struct mc_alloc_counting c;
            mc_alloc_counting_init(&c, fail_at);
            struct http_response r;
            int err = 0;
            if (helper == 0)
                err = http_response_text_init(&r, 503, "No leader elected", &c.alloc);
            else if (helper == 1)
                err = http_response_method_not_allowed_init(&r, post, 1, "GET", &c.alloc);
            else if (helper == 2)
                err = http_response_redirect_init(&r, "//h:1/p", &c.alloc);
            else
                err = http_response_stream_init(&r, "application/x-protobuf", &c.alloc);
            if (err == 0) {
                struct http_response copy;
                assert_int_equal(http_response_copy(&copy, &r, NULL), 0);
                assert_int_equal(copy.headers.count, r.headers.count);
                assert_int_equal(copy.is_stream, r.is_stream);
                http_response_deinit(&copy);
                http_response_deinit(&r);
                assert_int_equal(c.live, 0);
                break;
            }
            assert_int_equal(err, MC_ENOMEM);
            assert_int_equal(r.headers.count, 0);
            assert_int_equal(r.body.len, 0);
            http_response_deinit(&r);
            assert_int_equal(c.live, 0);
        }
        assert_true(fail_at >= 2);
    }
}

struct reason_row {
    int status;
    const char *reason;
};

static void status_reasons_are_libprocess_phrases(void **state)
{
    (void)state;
    /* 3rdparty/libprocess/src/http.cpp `statuses`; 429 and 431 from RFC 6585. */
    static const struct reason_row rows[] = {
        {200, "OK"},
        {202, "Accepted"},
        {307, "Temporary Redirect"},
        {400, "Bad Request"},
        {401, "Unauthorized"},
        {403, "Forbidden"},
        {404, "Not Found"},
        {405, "Method Not Allowed"},
        {406, "Not Acceptable"},
        {408, "Request Time-out"},
        {409, "Conflict"},
        {413, "Request Entity Too Large"},
        {414, "Request-URI Too Large"},
        {415, "Unsupported Media Type"},
        {416, "Requested range not satisfiable"},
        {429, "Too Many Requests"},
        {431, "Request Header Fields Too Large"},
        {500, "Internal Server Error"},
        {501, "Not Implemented"},
        {503, "Service Unavailable"},
        {504, "Gateway Time-out"},
        {505, "HTTP Version not supported"},
        {299, ""},
        {0, ""},
        {-1, ""},
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
        assert_string_equal(http_status_reason(rows[i].status), rows[i].reason);
}

struct date_row {
    uint64_t unix_time_s;
    const char *text; /* NULL: MC_EINVAL */
};

static void dates_are_imf_fixdate(void **state)
{
    (void)state;
    static const struct date_row rows[] = {
        {0, "Thu, 01 Jan 1970 00:00:00 GMT"},
        {784111777, "Sun, 06 Nov 1994 08:49:37 GMT"}, /* RFC 7231's example */
        {951782400, "Tue, 29 Feb 2000 00:00:00 GMT"},
        {951868799, "Tue, 29 Feb 2000 23:59:59 GMT"},
        {4107542400ull, "Mon, 01 Mar 2100 00:00:00 GMT"}, /* 2100 is not a leap year */
        {1704067199, "Sun, 31 Dec 2023 23:59:59 GMT"},
        {253402300799ull, "Fri, 31 Dec 9999 23:59:59 GMT"},
        {253402300800ull, NULL},
        {UINT64_MAX, NULL},
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        char out[HTTP_DATE_BYTES];
        int err = http_date_format(rows[i].unix_time_s, out, sizeof(out));
        if (rows[i].text == NULL) {
            assert_int_equal(err, MC_EINVAL);
        } else {
            assert_int_equal(err, 0);
            assert_string_equal(out, rows[i].text);
        }
    }
    char small[HTTP_DATE_BYTES - 1];
    assert_int_equal(http_date_format(0, small, sizeof(small)), MC_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(headers_keep_order_and_ignore_case),
        cmocka_unit_test(headers_set_replaces_first_and_drops_the_rest),
        cmocka_unit_test(headers_refuse_what_cannot_go_on_the_wire),
        cmocka_unit_test(headers_stop_at_their_limits),
        cmocka_unit_test(headers_copy_is_deep),
        cmocka_unit_test(request_path_is_the_target_without_query),
        cmocka_unit_test(request_line_refuses_bad_parts),
        cmocka_unit_test(request_copy_is_deep),
        cmocka_unit_test(copies_survive_every_allocation_failure),
        cmocka_unit_test(text_response_is_what_mesos_sends),
        cmocka_unit_test(empty_and_redirect_responses_have_no_content_type),
        cmocka_unit_test(method_not_allowed_is_what_mesos_sends),
        cmocka_unit_test(stream_head_gets_chunked_framing),
        cmocka_unit_test(framing_adds_content_length_only_where_a_body_may_be),
        cmocka_unit_test(response_helpers_survive_every_allocation_failure),
        cmocka_unit_test(status_reasons_are_libprocess_phrases),
        cmocka_unit_test(dates_are_imf_fixdate),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
