/*
 * test_media.c: Content-Type and Accept handling (SPEC W2, W3, W4, S7, S9).
 *
 * Rows cite the recorded answers of a real Mesos 1.12 master ("recorded:
 * <case id>") where one exists; the other rows pin what libprocess'
 * Request::_acceptsMediaType (3rdparty/libprocess/src/http.cpp) does with
 * odd input, read from its source, or what src/slave/http.cpp `Http::api`
 * does for the agent. A seeded generator then builds thousands of Accept
 * values from tricky pieces and compares media.c with the model of
 * libprocess kept in the fuzz target (included below).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "mc_buf.h"
#include "mc_diag.h"
#include "mc_err.h"
#include "mc_limits.h"
#include "media.h"

/* The libprocess model and the fuzz checks, shared with fuzz.media. */
#include "../fuzz/fuzz_media.c"

#define NONE MEDIA_CODEC_NONE
#define JSON MEDIA_CODEC_JSON
#define PB MEDIA_CODEC_PROTOBUF

/* ---- Content-Type ---------------------------------------------------- */

struct content_type_row {
    const char *value;
    enum media_codec codec;
};

static const struct content_type_row content_type_rows[] = {
    {"application/json", JSON},
    {"application/x-protobuf", PB},
    {"application/json; charset=utf-8", NONE}, /* recorded: s.json-charset */
    {"APPLICATION/JSON", NONE},                /* recorded: s.content-type-uppercase */
    {"text/plain", NONE},                      /* recorded: s.text-plain */
    {"", NONE},
    {NULL, NONE},
    {" application/json", NONE},
    {"application/json ", NONE},
    {"application/json;", NONE},
    {"application/jsonx", NONE},
    {"application/jso", NONE},
    {"application/x-protobuf;q=1", NONE},
    {"Application/x-protobuf", NONE},
    {"application/protobuf", NONE},
    {"application/recordio", NONE}, /* the master takes no streaming request */
    {"*/*", NONE},
};

static void test_content_type(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(content_type_rows) / sizeof(content_type_rows[0]); i++) {
        const struct content_type_row *row = &content_type_rows[i];
        if (media_content_type_codec(row->value) != row->codec) {
            print_error("Content-Type '%s'\n", row->value ? row->value : "(absent)");
            fail();
        }
    }
    assert_string_equal(media_codec_type(JSON), "application/json");
    assert_string_equal(media_codec_type(PB), "application/x-protobuf");
    /* A codec's type reads back as that codec. */
    assert_int_equal(media_content_type_codec(media_codec_type(JSON)), JSON);
    assert_int_equal(media_content_type_codec(media_codec_type(PB)), PB);
}

/* ---- Accept ----------------------------------------------------------- */

struct accept_row {
    const char *accept; /* NULL: no Accept header */
    int json, protobuf, recordio;
    enum media_codec negotiated;
};

static const struct accept_row accept_rows[] = {
    /* Recorded answers of Mesos 1.12 to SUBSCRIBE. */
    {NULL, 1, 1, 1, JSON},                                  /* recorded: s.accept-none */
    {"*/*", 1, 1, 1, JSON},                                 /* recorded: s.accept-star */
    {"application/*", 1, 1, 1, JSON},                       /* recorded: s.accept-app-star */
    {"application/x-protobuf", 0, 1, 0, PB},                /* recorded: s.accept-protobuf */
    {"text/html", 0, 0, 0, NONE},                           /* recorded: s.accept-text-html,
                                                               s.reconcile-operations-accept-html */
    {"application/json;q=0, */*", 0, 1, 1, PB},             /* recorded: s.accept-json-q0-star */
    {"", 0, 0, 0, NONE},                                    /* recorded: s.accept-empty */
    {"application/recordio", 0, 0, 1, NONE},                /* recorded: s.accept-recordio */
    {"APPLICATION/JSON", 1, 0, 0, JSON},                    /* recorded: s.accept-upper-json */
    {"application/json;q=0", 0, 0, 0, NONE},                /* recorded: s.accept-json-q0 */
    {"application/x-protobuf, application/json", 1, 1, 0, JSON}, /* recorded:
                                                                    s.accept-pb-and-json */
    {"application/json; charset=utf-8", 1, 0, 0, JSON},     /* recorded: s.accept-json-param */

    /* q is read by numify<double>: only "greater than zero" matters. */
    {"application/json;q=0.0", 0, 0, 0, NONE},
    {"application/json;q=-0", 0, 0, 0, NONE},
    {"application/json;q=-1", 0, 0, 0, NONE},
    {"application/json;q=0.001", 1, 0, 0, JSON},
    {"application/json;q=1.5", 1, 0, 0, JSON},
    {"application/json;q=00.5", 1, 0, 0, JSON},
    {"application/json;q=+.5", 1, 0, 0, JSON},
    {"application/json;q=5.", 1, 0, 0, JSON},
    {"application/json;q=1e2", 1, 0, 0, JSON},
    {"application/json;q=1E-2", 1, 0, 0, JSON},
    {"application/json;q=1e-310", 1, 0, 0, JSON}, /* a denormal, still > 0 */
    {"application/json;q=1e-400", 0, 0, 0, NONE}, /* underflows to 0 */
    {"application/json;q=1e999", 0, 0, 0, NONE},  /* overflow fails the cast */
    {"application/json;q=inf", 1, 0, 0, JSON},
    {"application/json;q=INFINITY", 1, 0, 0, JSON},
    {"application/json;q=-inf", 0, 0, 0, NONE},
    {"application/json;q=nan", 0, 0, 0, NONE},
    {"application/json;q=nan(1)", 0, 0, 0, NONE},
    {"application/json;q=abc", 0, 0, 0, NONE}, /* not a number refuses */
    {"application/json;q=0x1", 0, 0, 0, NONE},
    {"application/json;q=.", 0, 0, 0, NONE},
    {"application/json;q=1e", 0, 0, 0, NONE},
    {"application/json;q=1e+", 0, 0, 0, NONE},
    {"application/json;q=.e1", 0, 0, 0, NONE},
    {"application/json;q=1.0.0", 0, 0, 0, NONE},
    {"application/json;q=1,application/x-protobuf;q=0.5", 1, 1, 0, JSON},
    /* strings::pairs: "q=" is no pair, so there is no q at all. */
    {"application/json;q=", 1, 0, 0, JSON},
    /* The key is case-sensitive: "Q" is some other parameter. */
    {"application/json;Q=0", 1, 0, 0, JSON},
    /* Two q values are "malformed", which libprocess reads as accepting. */
    {"application/json;q=0;q=0", 1, 0, 0, JSON},
    {"application/json;q=0;q=", 0, 0, 0, NONE},
    /* Pieces are split on '=' with empty ones skipped. */
    {"application/json;q==0", 0, 0, 0, NONE},
    {"application/json;=q=0", 0, 0, 0, NONE},
    {"application/json;q=0=", 0, 0, 0, NONE},
    {"application/json;q=0=1", 1, 0, 0, JSON},
    {"application/json;charset=utf-8;q=0", 0, 0, 0, NONE},
    {"application/json;q=0;charset=utf-8", 0, 0, 0, NONE},
    {"application/json;level=1;q=0.5", 1, 0, 0, JSON},

    /* The first matching entry decides; duplicates after it are ignored. */
    {"application/json;q=0, application/json", 0, 0, 0, NONE},
    {"application/json, application/json;q=0", 1, 0, 0, JSON},
    /* Most specific first: exact, then type wildcard, then full wildcard. */
    {"*/*, application/json;q=0", 0, 1, 1, PB},
    {"application/*;q=0, application/x-protobuf", 0, 1, 0, PB},
    {"*/*;q=0, application/json", 1, 0, 0, JSON},
    {"application/*, */*;q=0", 1, 1, 1, JSON},
    {"*/*;q=0, application/*", 1, 1, 1, JSON},
    {"*/*;q=0", 0, 0, 0, NONE},
    {"application/json;q=0, application/*", 0, 1, 1, PB},
    {"application/x-protobuf;q=0, application/json;q=0", 0, 0, 0, NONE},
    /* q is never a preference: JSON wins whenever it is acceptable. */
    {"application/x-protobuf;q=1, application/json;q=0.1", 1, 1, 0, JSON},
    {"application/recordio, application/json", 1, 0, 1, JSON},
    /* A browser's Accept gets JSON through its wildcard. */
    {"text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", 1, 1, 1, JSON},

    /* Spaces, tabs and line feeds are removed everywhere; CR is not. */
    {"application / json", 1, 0, 0, JSON},
    {"\tapplication/json\n", 1, 0, 0, JSON},
    {"application/json ; q = 0", 0, 0, 0, NONE},
    {"application/json\r", 0, 0, 0, NONE},
    {"APPLICATION/*", 1, 1, 1, JSON},
    {"Application/X-Protobuf", 0, 1, 0, PB},
    /* Empty entries and parts are skipped, as strings::tokenize skips them. */
    {",,application/json,,", 1, 0, 0, JSON},
    {";application/json", 1, 0, 0, JSON},
    {";;application/x-protobuf;;q=1;;", 0, 1, 0, PB},
    {";", 0, 0, 0, NONE},
    {" , ; ,", 0, 0, 0, NONE},
    /* Ranges that name nothing we serve. */
    {"application", 0, 0, 0, NONE},
    {"application/jsonp", 0, 0, 0, NONE},
    {"*/json", 0, 0, 0, NONE},
    {"*", 0, 0, 0, NONE},
    {"json", 0, 0, 0, NONE},
    {"q=0", 0, 0, 0, NONE},
    {"application/json/", 0, 0, 0, NONE},
};

static void test_accept_rows(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(accept_rows) / sizeof(accept_rows[0]); i++) {
        const struct accept_row *row = &accept_rows[i];
        struct media_accept a;
        struct mc_diag diag;
        mc_diag_clear(&diag);
        assert_int_equal(media_accept_parse(row->accept, &a, &diag), 0);
        int json = media_accepts(&a, MEDIA_TYPE_JSON);
        int pb = media_accepts(&a, MEDIA_TYPE_PROTOBUF);
        int rio = media_accepts(&a, MEDIA_TYPE_RECORDIO);
        enum media_codec codec = media_negotiate(row->accept);
        if (json != row->json || pb != row->protobuf || rio != row->recordio ||
            codec != row->negotiated) {
            print_error("Accept '%s': json %d pb %d recordio %d codec %d\n",
                        row->accept ? row->accept : "(absent)", json, pb, rio, (int)codec);
            fail();
        }
        /* The model of libprocess agrees with every row. */
        assert_int_equal(model_accepts(row->accept, MEDIA_TYPE_JSON), row->json);
        assert_int_equal(model_accepts(row->accept, MEDIA_TYPE_PROTOBUF), row->protobuf);
        assert_int_equal(model_accepts(row->accept, MEDIA_TYPE_RECORDIO), row->recordio);
    }
}

/* ---- media types asked about ------------------------------------------ */

struct type_row {
    const char *accept;
    const char *type;
    int accepts;
};

static const struct type_row type_rows[] = {
    /* libprocess wants exactly two non-empty pieces around '/' ... */
    {NULL, "application", 0},
    {NULL, "a/b/c", 0},
    {NULL, "", 0},
    {NULL, "/", 0},
    {"*/*", "application", 0},
    /* ... skipping empty ones, and matches the type as given. */
    {NULL, "application//json", 1},
    {NULL, "/application/json", 1},
    {"*/*", "application//json", 1},
    {"application/*", "application//json", 1},
    {"application//json", "application//json", 1},
    {"application/json", "application//json", 0},
    {"application/json", "APPLICATION/JSON", 1},
    {"text/*", "text/html", 1},
    {"text/*;q=0, */*", "text/html", 0},
    {"text/*;q=0, */*", "image/png", 1},
};

static void test_type_rows(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(type_rows) / sizeof(type_rows[0]); i++) {
        const struct type_row *row = &type_rows[i];
        struct media_accept a;
        assert_int_equal(media_accept_parse(row->accept, &a, NULL), 0);
        if (media_accepts(&a, row->type) != row->accepts) {
            print_error("Accept '%s', type '%s'\n", row->accept ? row->accept : "(absent)",
                        row->type);
            fail();
        }
        assert_int_equal(model_accepts(row->accept, row->type), row->accepts);
    }
}

/* ---- what the parser keeps ---------------------------------------------- */

struct parse_row {
    const char *accept;
    const char *ranges; /* "type q-verdict" for each range, ',' separated */
};

static const char *q_name(enum media_q q)
{
    switch (q) {
    case MEDIA_Q_ABSENT:
        return "absent";
    case MEDIA_Q_REPEATED:
        return "repeated";
    case MEDIA_Q_POSITIVE:
        return "positive";
    case MEDIA_Q_NOT_POSITIVE:
        return "not-positive";
    case MEDIA_Q_MALFORMED:
        return "malformed";
    }
    return "?";
}

static const struct parse_row parse_rows[] = {
    {NULL, ""},
    {"", ""},
    {"application/json", "application/json absent"},
    {"Application/JSON;q=0.5;Q=0", "application/json positive"},
    {"a/b;q=0, c/d;q=abc, e/f;q=1;q=0, g/h;q=nan", "a/b not-positive,c/d malformed,"
                                                   "e/f repeated,g/h not-positive"},
    {"a/b;q=nan(), c/d;q=nan(, e/f;q=-INF, g/h;q=+Infinity",
     "a/b not-positive,c/d malformed,e/f not-positive,g/h positive"},
    {",, ;x/y; ,", "x/y absent"},
    {"q=0", "q=0 not-positive"},
    {"Q=0", "q=0 absent"}, /* the range is lowered after its parameters are read */
    {" A / B ; q = 1 ", "a/b positive"},
};

static void test_parse_rows(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(parse_rows) / sizeof(parse_rows[0]); i++) {
        const struct parse_row *row = &parse_rows[i];
        struct media_accept a;
        assert_int_equal(media_accept_parse(row->accept, &a, NULL), 0);
        assert_int_equal(a.present, row->accept != NULL);
        char got[512] = "";
        for (size_t k = 0; k < a.ranges_count; k++) {
            const struct media_range *r = &a.ranges[k];
            size_t used = strlen(got);
            snprintf(got + used, sizeof(got) - used, "%s%.*s %s", k ? "," : "",
                     (int)r->type_bytes, a.text + r->type_offset, q_name(r->q));
            assert_int_equal(r->accepts, r->q == MEDIA_Q_ABSENT || r->q == MEDIA_Q_REPEATED ||
                                             r->q == MEDIA_Q_POSITIVE);
        }
        if (strcmp(got, row->ranges) != 0) {
            print_error("Accept '%s': got '%s', expected '%s'\n",
                        row->accept ? row->accept : "(absent)", got, row->ranges);
            fail();
        }
    }
}

/* ---- limits ---------------------------------------------------------------- */

static void test_ranges_limit(void **state)
{
    (void)state;
    struct mc_buf v;
    mc_buf_init(&v, 4096, NULL);
    size_t offset_last = 0;
    /* MC_MEDIA_RANGES_MAX entries, then one more (application/json). */
    for (int i = 0; i < MC_MEDIA_RANGES_MAX; i++)
        assert_int_equal(mc_buf_appendf(&v, "text/x%d, ,", i), 0);
    struct media_accept a;
    struct mc_diag diag;
    mc_diag_clear(&diag);
    assert_int_equal(media_accept_parse(mc_buf_str(&v), &a, &diag), 0);
    assert_int_equal(a.ranges_count, MC_MEDIA_RANGES_MAX);
    offset_last = v.len + 1;
    assert_int_equal(mc_buf_append_str(&v, " application/json"), 0);
    mc_diag_clear(&diag);
    assert_int_equal(media_accept_parse(mc_buf_str(&v), &a, &diag), MC_ELIMIT);
    assert_true(diag.has_offset);
    assert_int_equal(diag.offset, offset_last);
    assert_string_equal(diag.text, "more than 32 media ranges in an Accept value");
    /* A refused value accepts nothing, and the callers answer 406. */
    assert_int_equal(media_accepts(&a, MEDIA_TYPE_JSON), 0);
    assert_int_equal(media_negotiate(mc_buf_str(&v)), NONE);
    struct media_stream_choice c;
    assert_int_equal(media_negotiate_stream(mc_buf_str(&v), NULL, 0, &c), MC_EUNSUPPORTED);
    assert_string_equal(c.refusal, MEDIA_REFUSAL_MASTER);
    mc_buf_deinit(&v);
}

static void test_value_length_limit(void **state)
{
    (void)state;
    static char value[MC_HTTP_HEADER_BYTES_MAX + 2];
    /* Padding of spaces: the longest value still parses. */
    memset(value, ' ', MC_HTTP_HEADER_BYTES_MAX);
    memcpy(value, "application/json", 16);
    value[MC_HTTP_HEADER_BYTES_MAX] = '\0';
    struct media_accept a;
    struct mc_diag diag;
    assert_int_equal(media_accept_parse(value, &a, &diag), 0);
    assert_int_equal(media_accepts(&a, MEDIA_TYPE_JSON), 1);
    value[MC_HTTP_HEADER_BYTES_MAX] = ' ';
    value[MC_HTTP_HEADER_BYTES_MAX + 1] = '\0';
    mc_diag_clear(&diag);
    assert_int_equal(media_accept_parse(value, &a, &diag), MC_ELIMIT);
    assert_int_equal(diag.offset, MC_HTTP_HEADER_BYTES_MAX);
    assert_string_equal(diag.text, "Accept value longer than 8192 bytes");
    assert_int_equal(media_accepts(&a, MEDIA_TYPE_JSON), 0);
    assert_int_equal(media_negotiate(value), NONE);
}

/* ---- stream negotiation ------------------------------------------------- */

struct stream_row {
    const char *accept;
    const char *message_accept;
    int recordio_allowed;
    enum media_codec codec;
    int recordio;
    const char *content_type;
    const char *message_content_type;
    const char *refusal;
};

#define RIO MEDIA_TYPE_RECORDIO
#define TJSON MEDIA_TYPE_JSON
#define TPB MEDIA_TYPE_PROTOBUF

static const struct stream_row stream_rows[] = {
    /* The master: RecordIO framing is implied, Content-Type is the codec. */
    {NULL, NULL, 0, JSON, 0, TJSON, NULL, NULL},                 /* recorded: s.accept-none */
    {"application/x-protobuf", NULL, 0, PB, 0, TPB, NULL, NULL}, /* recorded: s.accept-protobuf */
    {"application/json;q=0, */*", NULL, 0, PB, 0, TPB, NULL, NULL}, /* recorded:
                                                                      s.accept-json-q0-star */
    {"application/recordio", NULL, 0, NONE, 0, NULL, NULL,
     MEDIA_REFUSAL_MASTER}, /* recorded: s.accept-recordio */
    {"text/html", NULL, 0, NONE, 0, NULL, NULL,
     MEDIA_REFUSAL_MASTER}, /* recorded: s.accept-text-html */
    {"", NULL, 0, NONE, 0, NULL, NULL, MEDIA_REFUSAL_MASTER}, /* recorded: s.accept-empty */
    /* The master never reads Message-Accept. */
    {"application/recordio", "application/json", 0, NONE, 0, NULL, NULL, MEDIA_REFUSAL_MASTER},
    {"application/json", "text/html", 0, JSON, 0, TJSON, NULL, NULL},

    /* The agent's operator API (src/slave/http.cpp Http::api). */
    {NULL, NULL, 1, JSON, 0, TJSON, NULL, NULL},
    {"*/*", NULL, 1, JSON, 0, TJSON, NULL, NULL},
    {"application/x-protobuf", NULL, 1, PB, 0, TPB, NULL, NULL},
    {"application/recordio", NULL, 1, JSON, 1, RIO, TJSON, NULL},
    {"application/recordio", "application/x-protobuf", 1, PB, 1, RIO, TPB, NULL},
    {"application/recordio", "application/json;q=0, */*", 1, PB, 1, RIO, TPB, NULL},
    {"application/recordio", "*/*", 1, JSON, 1, RIO, TJSON, NULL},
    {"application/*;q=0, application/recordio", NULL, 1, JSON, 1, RIO, TJSON, NULL},
    {"application/recordio", "", 1, NONE, 0, NULL, NULL, MEDIA_REFUSAL_MESSAGE_ACCEPT},
    {"application/recordio", "text/html", 1, NONE, 0, NULL, NULL, MEDIA_REFUSAL_MESSAGE_ACCEPT},
    {"application/recordio", "application/recordio", 1, NONE, 0, NULL, NULL,
     MEDIA_REFUSAL_MESSAGE_ACCEPT},
    {"text/html", NULL, 1, NONE, 0, NULL, NULL, MEDIA_REFUSAL_AGENT},
    {"", NULL, 1, NONE, 0, NULL, NULL, MEDIA_REFUSAL_AGENT},
    {"application/recordio;q=0", "application/json", 1, NONE, 0, NULL, NULL,
     MEDIA_REFUSAL_AGENT},
    /* JSON is tried before RecordIO, and then Message-Accept must be absent. */
    {"application/recordio, application/json", "application/x-protobuf", 1, NONE, 0, NULL, NULL,
     MEDIA_REFUSAL_MESSAGE_ACCEPT_SET},
    {"application/json", "application/json", 1, NONE, 0, NULL, NULL,
     MEDIA_REFUSAL_MESSAGE_ACCEPT_SET},
    {NULL, "", 1, NONE, 0, NULL, NULL, MEDIA_REFUSAL_MESSAGE_ACCEPT_SET},
};

static void expect_str(const char *got, const char *want, size_t row, const char *what)
{
    if (got == NULL && want == NULL)
        return;
    if (got == NULL || want == NULL || strcmp(got, want) != 0) {
        print_error("stream row %zu, %s: got '%s', expected '%s'\n", row, what,
                    got ? got : "(null)", want ? want : "(null)");
        fail();
    }
}

static void test_stream_rows(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(stream_rows) / sizeof(stream_rows[0]); i++) {
        const struct stream_row *row = &stream_rows[i];
        struct media_stream_choice c;
        memset(&c, 0xa5, sizeof(c));
        int rc = media_negotiate_stream(row->accept, row->message_accept, row->recordio_allowed,
                                        &c);
        assert_int_equal(rc, row->refusal == NULL ? 0 : MC_EUNSUPPORTED);
        if (c.codec != row->codec || c.recordio != row->recordio) {
            print_error("stream row %zu: codec %d recordio %d\n", i, (int)c.codec, c.recordio);
            fail();
        }
        expect_str(c.content_type, row->content_type, i, "content type");
        expect_str(c.message_content_type, row->message_content_type, i, "message content type");
        expect_str(c.refusal, row->refusal, i, "refusal");
    }
}

static void test_refusal_texts(void **state)
{
    (void)state;
    /* recorded: s.accept-text-html (74 bytes, content-length 74). */
    assert_string_equal(MEDIA_REFUSAL_MASTER,
                        "Expecting 'Accept' to allow 'application/x-protobuf' or "
                        "'application/json'");
    assert_int_equal(strlen(MEDIA_REFUSAL_MASTER), 74);
    /* src/slave/http.cpp builds these from APPLICATION_* constants. */
    assert_string_equal(MEDIA_REFUSAL_AGENT, "Expecting 'Accept' to allow application/json or "
                                             "application/x-protobuf or application/recordio");
    assert_string_equal(MEDIA_REFUSAL_MESSAGE_ACCEPT,
                        "Expecting 'Message-Accept' to allow application/json or "
                        "application/x-protobuf");
    assert_string_equal(MEDIA_REFUSAL_MESSAGE_ACCEPT_SET,
                        "Expecting 'Message-Accept' to be not set for non-streaming responses");
}

/* ---- generated Accept values against the model ------------------------- */

static uint64_t splitmix64(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

#define PICK(s, table) (table)[splitmix64(s) % (sizeof(table) / sizeof((table)[0]))]

static const char *const gen_types[] = {
    "application/json", "APPLICATION/JSON", "application/x-protobuf", "application/*",
    "*/*", "text/html", "application/recordio", "application", "*", "", "q=0", "Application/*",
};
static const char *const gen_params[] = {
    "", "", ";q=0", ";q=1", ";q=0.0", ";q=abc", ";q=", ";Q=0", ";q=0;q=1", ";charset=utf-8",
    ";q=1e999", ";q=inf", ";q=-0", ";=q=0", ";q==0.5", ";q=0=1", ";;", ";q=.5", ";q=1e-400",
    ";q=nan", ";q=+1", ";q=0x1",
};
static const char *const gen_separators[] = {",", ", ", ",,", " , ", ",\t"};
static const char *const gen_noise[] = {"", "", "", " ", "\t", "\n", "\r", ";"};

/* Builds a random Accept value from the pieces above. */
static void accept_generate(uint64_t *s, struct mc_buf *v)
{
    mc_buf_reset(v);
    size_t entries = (size_t)(splitmix64(s) % 6);
    for (size_t i = 0; i < entries; i++) {
        if (i > 0)
            assert_int_equal(mc_buf_append_str(v, PICK(s, gen_separators)), 0);
        assert_int_equal(mc_buf_append_str(v, PICK(s, gen_noise)), 0);
        assert_int_equal(mc_buf_append_str(v, PICK(s, gen_types)), 0);
        assert_int_equal(mc_buf_append_str(v, PICK(s, gen_params)), 0);
        assert_int_equal(mc_buf_append_str(v, PICK(s, gen_noise)), 0);
    }
}

static void test_generated_against_model(void **state)
{
    (void)state;
    struct mc_buf v;
    mc_buf_init(&v, 4096, NULL);
    uint64_t s = 20240601;
    size_t json_hits = 0, pb_only = 0, none = 0;
    for (int i = 0; i < 20000; i++) {
        accept_generate(&s, &v);
        const char *accept = mc_buf_str(&v);
        struct media_accept a;
        assert_int_equal(media_accept_parse(accept, &a, NULL), 0);
        const char *types[] = {MEDIA_TYPE_JSON, MEDIA_TYPE_PROTOBUF, MEDIA_TYPE_RECORDIO,
                               "text/html", "application", "Application//X-Protobuf"};
        for (size_t t = 0; t < sizeof(types) / sizeof(types[0]); t++) {
            if (media_accepts(&a, types[t]) != model_accepts(accept, types[t])) {
                print_error("Accept '%s', type '%s': media %d, model %d\n", accept, types[t],
                            media_accepts(&a, types[t]), model_accepts(accept, types[t]));
                fail();
            }
        }
        /* The fuzz target's consistency checks, on the same value. */
        media_check(accept, i % 3 ? NULL : accept, types[i % 6]);
        enum media_codec c = media_negotiate(accept);
        json_hits += c == JSON;
        pb_only += c == PB;
        none += c == NONE;
    }
    /* The generator reaches every outcome often. */
    assert_true(json_hits > 1000 && pb_only > 100 && none > 1000);
    mc_buf_deinit(&v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_content_type),
        cmocka_unit_test(test_accept_rows),
        cmocka_unit_test(test_type_rows),
        cmocka_unit_test(test_parse_rows),
        cmocka_unit_test(test_ranges_limit),
        cmocka_unit_test(test_value_length_limit),
        cmocka_unit_test(test_stream_rows),
        cmocka_unit_test(test_refusal_texts),
        cmocka_unit_test(test_generated_against_model),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
