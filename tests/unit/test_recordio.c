/*
 * test_recordio.c: the RecordIO encoder and incremental decoder (SPEC W5).
 *
 * Every decoding case is a row {input, limit, expected transcript}, and
 * every row is decoded several ways: the whole input at once, one byte at a
 * time, split at every position, and (for short inputs) split at every pair
 * of positions, as http-parser's test_scan does. All ways must give the same
 * transcript: the same records, then the same end or the same error at the
 * same stream offset. The cases under tests/data/recordio/ run the same way.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mc_alloc.h"
#include "mc_buf.h"
#include "mc_diag.h"
#include "mc_err.h"
#include "mc_limits.h"
#include "recordio.h"

/* Transcripts of the largest decodes (a few MiB of records) fit in this. */
#define TRANSCRIPT_BYTES_MAX (64u * 1024u * 1024u)
/* Records longer than this are written to a transcript as a hash. */
#define TRANSCRIPT_RECORD_BYTES_MAX 1024u
/* Inputs this short are also split at every pair of positions. */
#define PAIR_SPLIT_BYTES_MAX 48u
/* A data-file case is at most this long. */
#define DATA_FILE_BYTES_MAX (1024u * 1024u)

/* ---- the transcript of one decode ---------------------------------- */

static uint64_t fnv1a64(const uint8_t *p, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 0x100000001b3ull;
    }
    return h;
}

static void escape_append(struct mc_buf *t, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        int err;
        if (p[i] == '\\')
            err = mc_buf_append_str(t, "\\\\");
        else if (p[i] == '\n')
            err = mc_buf_append_str(t, "\\n");
        else if (p[i] >= 0x20 && p[i] <= 0x7e)
            err = mc_buf_append_byte(t, p[i]);
        else
            err = mc_buf_appendf(t, "\\x%02x", (unsigned)p[i]);
        assert_int_equal(err, 0);
    }
}

static void transcript_record(struct mc_buf *t, const struct rio_record *r)
{
    assert_non_null(r->data);
    if (r->bytes <= TRANSCRIPT_RECORD_BYTES_MAX) {
        assert_int_equal(mc_buf_appendf(t, "record %zu: ", r->bytes), 0);
        escape_append(t, r->data, r->bytes);
        assert_int_equal(mc_buf_append_str(t, "\n"), 0);
    } else {
        assert_int_equal(mc_buf_appendf(t, "record %zu fnv1a64=%016" PRIx64 "\n", r->bytes,
                                        fnv1a64(r->data, r->bytes)),
                         0);
    }
}

static void transcript_error(struct mc_buf *t, int err, const struct mc_diag *diag)
{
    char line[MC_DIAG_TEXT_BYTES_MAX + 64];
    assert_true(diag->has_offset);
    assert_int_equal(mc_buf_appendf(t, "error %s %s\n", mc_errname(err),
                                    mc_diag_format(diag, line, sizeof(line))),
                     0);
}

/*
 * Feeds one chunk until it is used up or an error comes. Returns 0 or the
 * error, which it has checked to be sticky.
 */
static int feed_chunk(struct rio_decoder *d, const uint8_t *p, size_t n, struct mc_buf *t)
{
    for (;;) {
        size_t consumed = (size_t)-1;
        struct rio_record r = {NULL, 0};
        struct mc_diag diag;
        mc_diag_clear(&diag);
        uint64_t offset_before = rio_decoder_offset(d);
        int rc = rio_decoder_feed(d, p, n, &consumed, &r, &diag);
        if (rc == 1) {
            assert_true(consumed >= 1 && consumed <= n);
            assert_int_equal(rio_decoder_offset(d), offset_before + consumed);
            transcript_record(t, &r);
            p += consumed;
            n -= consumed;
            if (n == 0)
                return 0;
            continue;
        }
        if (rc == 0) {
            assert_int_equal(consumed, n);
            assert_int_equal(rio_decoder_offset(d), offset_before + n);
            return 0;
        }
        assert_true(rc < 0);
        assert_true(consumed < n);
        /* The offset names the byte the decoder stopped at. */
        assert_int_equal(diag.offset, offset_before + consumed);
        assert_int_equal(rio_decoder_offset(d), diag.offset);
        transcript_error(t, rc, &diag);
        /* Sticky: the same error, the same diag, nothing consumed. */
        struct mc_diag again;
        mc_diag_clear(&again);
        size_t consumed_again = 99;
        assert_int_equal(rio_decoder_feed(d, p + consumed, n - consumed, &consumed_again, &r,
                                          &again),
                         rc);
        assert_int_equal(consumed_again, 0);
        assert_string_equal(again.text, diag.text);
        assert_int_equal(again.offset, diag.offset);
        mc_diag_clear(&again);
        assert_int_equal(rio_decoder_finish(d, &again), rc);
        assert_string_equal(again.text, diag.text);
        return rc;
    }
}

/*
 * Decodes in[0..n) cut at cuts[0..cuts_count) (ascending) and writes the
 * transcript into t.
 */
static void decode_cut(const uint8_t *in, size_t n, const size_t *cuts, size_t cuts_count,
                       size_t limit, const struct mc_alloc *alloc, struct mc_buf *t)
{
    struct rio_decoder d;
    rio_decoder_init(&d, limit, alloc);
    mc_buf_reset(t);
    size_t start = 0;
    int rc = 0;
    for (size_t k = 0; k <= cuts_count && rc == 0; k++) {
        size_t stop = k < cuts_count ? cuts[k] : n;
        assert_true(stop >= start && stop <= n);
        rc = feed_chunk(&d, in + start, stop - start, t);
        start = stop;
    }
    if (rc == 0) {
        struct mc_diag diag;
        mc_diag_clear(&diag);
        rc = rio_decoder_finish(&d, &diag);
        if (rc == 0)
            assert_int_equal(mc_buf_append_str(t, "end\n"), 0);
        else
            transcript_error(t, rc, &diag);
    }
    rio_decoder_deinit(&d);
}

static void expect_transcript(const struct mc_buf *t, const char *expected, const char *name,
                              const char *way)
{
    if (strcmp(mc_buf_str(t), expected) != 0) {
        print_error("case %s, %s:\n--- expected\n%s--- got\n%s", name, way, expected,
                    mc_buf_str(t));
        fail();
    }
}

/* Runs every way of cutting in[0..n) and compares each with expected. */
static void decode_every_way(const uint8_t *in, size_t n, size_t limit, const char *expected,
                             const char *name)
{
    struct mc_buf t;
    mc_buf_init(&t, TRANSCRIPT_BYTES_MAX, NULL);
    decode_cut(in, n, NULL, 0, limit, NULL, &t);
    expect_transcript(&t, expected, name, "whole");

    size_t *cuts = calloc(n + 1, sizeof(*cuts));
    assert_non_null(cuts);
    for (size_t i = 1; i < n; i++)
        cuts[i - 1] = i;
    decode_cut(in, n, cuts, n > 0 ? n - 1 : 0, limit, NULL, &t);
    expect_transcript(&t, expected, name, "one byte at a time");

    for (size_t i = 0; i <= n; i++) {
        size_t cut[1] = {i};
        decode_cut(in, n, cut, 1, limit, NULL, &t);
        char way[64];
        snprintf(way, sizeof(way), "split at %zu", i);
        expect_transcript(&t, expected, name, way);
    }
    if (n <= PAIR_SPLIT_BYTES_MAX) {
        for (size_t i = 0; i <= n; i++) {
            for (size_t j = i; j <= n; j++) {
                size_t cut[2] = {i, j};
                decode_cut(in, n, cut, 2, limit, NULL, &t);
                char way[64];
                snprintf(way, sizeof(way), "split at %zu and %zu", i, j);
                expect_transcript(&t, expected, name, way);
            }
        }
    }
    free(cuts);
    mc_buf_deinit(&t);
}

/* ---- table of streams ------------------------------------------------ */

#define BYTES(s) (const uint8_t *)(s), sizeof(s) - 1
#define BAD(what)                                                                       \
    "invalid byte " what " in record length prefix (expected a decimal digit or a line " \
    "feed)"

struct decode_row {
    const char *name;
    const uint8_t *input;
    size_t input_bytes;
    size_t limit;
    const char *expected;
};

static const struct decode_row decode_rows[] = {
    /* Valid streams. */
    {"empty stream", BYTES(""), MC_RECORD_BYTES_MAX, "end\n"},
    {"one record", BYTES("5\nhello"), MC_RECORD_BYTES_MAX, "record 5: hello\nend\n"},
    {"two records", BYTES("5\nhello6\nworld!"), MC_RECORD_BYTES_MAX,
     "record 5: hello\nrecord 6: world!\nend\n"},
    /* The first two records a scheduler reads, as docs/recordio.md shows them. */
    {"heartbeats", BYTES("20\n{\"type\":\"HEARTBEAT\"}20\n{\"type\":\"HEARTBEAT\"}"),
     MC_RECORD_BYTES_MAX,
     "record 20: {\"type\":\"HEARTBEAT\"}\nrecord 20: {\"type\":\"HEARTBEAT\"}\nend\n"},
    /* Mesos' decoder yields an empty record at once (stout recordio.hpp). */
    {"empty record", BYTES("0\n"), MC_RECORD_BYTES_MAX, "record 0: \nend\n"},
    {"empty records around one", BYTES("0\n1\nx0\n"), MC_RECORD_BYTES_MAX,
     "record 0: \nrecord 1: x\nrecord 0: \nend\n"},
    /* Record bytes are opaque: digits, line feeds and NULs are data. */
    {"binary record", BYTES("4\n\n\0" "12"), MC_RECORD_BYTES_MAX, "record 4: \\n\\x0012\nend\n"},
    {"record of digits", BYTES("3\n1233\n456"), MC_RECORD_BYTES_MAX,
     "record 3: 123\nrecord 3: 456\nend\n"},
    /* boost::lexical_cast, behind stout's numify, reads leading zeros. */
    {"leading zeros", BYTES("007\nbondage"), MC_RECORD_BYTES_MAX, "record 7: bondage\nend\n"},
    {"twenty digits of zeros", BYTES("00000000000000000005\nhello"), MC_RECORD_BYTES_MAX,
     "record 5: hello\nend\n"},
    {"record at the limit", BYTES("10\n0123456789"), 10, "record 10: 0123456789\nend\n"},
    {"limit zero, empty record", BYTES("0\n0\n"), 0, "record 0: \nrecord 0: \nend\n"},

    /* Bad length prefixes: MC_EPARSE at the offending byte. */
    {"empty prefix", BYTES("\n"), MC_RECORD_BYTES_MAX,
     "error MC_EPARSE byte 0: empty record length prefix (expected 1 to 20 digits)\n"},
    {"empty prefix after a record", BYTES("5\nhello\n5\nworld"), MC_RECORD_BYTES_MAX,
     "record 5: hello\n"
     "error MC_EPARSE byte 7: empty record length prefix (expected 1 to 20 digits)\n"},
    {"plus sign", BYTES("+5\nhello"), MC_RECORD_BYTES_MAX,
     "error MC_EPARSE byte 0: " BAD("'+' (0x2b)") "\n"},
    {"minus sign", BYTES("-1\n"), MC_RECORD_BYTES_MAX,
     "error MC_EPARSE byte 0: " BAD("'-' (0x2d)") "\n"},
    {"leading space", BYTES(" 5\nhello"), MC_RECORD_BYTES_MAX,
     "error MC_EPARSE byte 0: " BAD("0x20") "\n"},
    {"trailing space", BYTES("5 \nhello"), MC_RECORD_BYTES_MAX,
     "error MC_EPARSE byte 1: " BAD("0x20") "\n"},
    {"carriage return", BYTES("5\r\nhello"), MC_RECORD_BYTES_MAX,
     "error MC_EPARSE byte 1: " BAD("0x0d") "\n"},
    {"hex prefix", BYTES("0x5\nhello"), MC_RECORD_BYTES_MAX,
     "error MC_EPARSE byte 1: " BAD("'x' (0x78)") "\n"},
    {"letter", BYTES("abc"), MC_RECORD_BYTES_MAX,
     "error MC_EPARSE byte 0: " BAD("'a' (0x61)") "\n"},
    {"quote", BYTES("'\n"), MC_RECORD_BYTES_MAX,
     "error MC_EPARSE byte 0: " BAD("0x27") "\n"},
    {"nul byte", BYTES("1\0\n"), MC_RECORD_BYTES_MAX,
     "error MC_EPARSE byte 1: " BAD("0x00") "\n"},
    {"high byte", BYTES("2\na\xff" "b"), MC_RECORD_BYTES_MAX,
     "record 2: a\\xff\nerror MC_EPARSE byte 4: " BAD("'b' (0x62)") "\n"},
    {"garbage after a record", BYTES("5\nhelloX"), MC_RECORD_BYTES_MAX,
     "record 5: hello\nerror MC_EPARSE byte 7: " BAD("'X' (0x58)") "\n"},
    {"json without framing", BYTES("{\"type\":\"HEARTBEAT\"}"), MC_RECORD_BYTES_MAX,
     "error MC_EPARSE byte 0: " BAD("'{' (0x7b)") "\n"},
    {"21 digits", BYTES("000000000000000000005\nhello"), MC_RECORD_BYTES_MAX,
     "error MC_EPARSE byte 20: record length prefix longer than 20 digits\n"},
    {"uint64 overflow", BYTES("18446744073709551616\n"), MC_RECORD_BYTES_MAX,
     "error MC_EPARSE byte 19: record length 18446744073709551616 overflows a 64-bit "
     "unsigned integer\n"},
    {"uint64 overflow early", BYTES("99999999999999999999\n"), MC_RECORD_BYTES_MAX,
     "error MC_EPARSE byte 19: record length 99999999999999999999 overflows a 64-bit "
     "unsigned integer\n"},

    /* Over the record limit: MC_ELIMIT at the prefix's line feed. */
    {"uint64 max", BYTES("18446744073709551615\n"), MC_RECORD_BYTES_MAX,
     "error MC_ELIMIT byte 20: record length 18446744073709551615 exceeds the limit of "
     "4194304 bytes\n"},
    {"one over the limit", BYTES("11\nhello world"), 10,
     "error MC_ELIMIT byte 2: record length 11 exceeds the limit of 10 bytes\n"},
    {"limit zero", BYTES("0\n1\nx"), 0,
     "record 0: \nerror MC_ELIMIT byte 3: record length 1 exceeds the limit of 0 bytes\n"},
    {"mesos-go limit plus one", BYTES("4194305\n"), MC_RECORD_BYTES_MAX,
     "error MC_ELIMIT byte 7: record length 4194305 exceeds the limit of 4194304 bytes\n"},

    /* Streams that end inside a record: no data is lost silently. */
    {"truncated record", BYTES("5\nhel"), MC_RECORD_BYTES_MAX,
     "error MC_EPARSE byte 5: stream ended inside a record: 3 of 5 bytes (its length prefix "
     "starts at byte 0)\n"},
    {"truncated after the line feed", BYTES("5\nhello3\n"), MC_RECORD_BYTES_MAX,
     "record 5: hello\nerror MC_EPARSE byte 9: stream ended inside a record: 0 of 3 bytes "
     "(its length prefix starts at byte 7)\n"},
    {"truncated prefix", BYTES("5"), MC_RECORD_BYTES_MAX,
     "error MC_EPARSE byte 1: stream ended inside the length prefix that starts at byte 0\n"},
    {"truncated second prefix", BYTES("5\nhello12"), MC_RECORD_BYTES_MAX,
     "record 5: hello\nerror MC_EPARSE byte 9: stream ended inside the length prefix that "
     "starts at byte 7\n"},
};

static void test_decode_rows(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(decode_rows) / sizeof(decode_rows[0]); i++) {
        const struct decode_row *row = &decode_rows[i];
        decode_every_way(row->input, row->input_bytes, row->limit, row->expected, row->name);
    }
}

/* ---- the decoder's contract, beyond the transcript ------------------- */

static void test_record_in_place(void **state)
{
    (void)state;
    /* A record wholly inside the chunk points into it: no copy was made. */
    static const uint8_t in[] = "5\nhello2\nab";
    struct rio_decoder d;
    rio_decoder_init(&d, MC_RECORD_BYTES_MAX, NULL);
    struct rio_record r;
    size_t consumed;
    assert_int_equal(rio_decoder_feed(&d, in, sizeof(in) - 1, &consumed, &r, NULL), 1);
    assert_int_equal(consumed, 7);
    assert_ptr_equal(r.data, in + 2);
    assert_int_equal(r.bytes, 5);
    assert_int_equal(rio_decoder_feed(&d, in + 7, sizeof(in) - 8, &consumed, &r, NULL), 1);
    assert_ptr_equal(r.data, in + 9);
    assert_int_equal(rio_decoder_offset(&d), sizeof(in) - 1);
    assert_int_equal(rio_decoder_finish(&d, NULL), 0);
    /* A zero-byte feed is allowed and changes nothing. */
    assert_int_equal(rio_decoder_feed(&d, NULL, 0, &consumed, &r, NULL), 0);
    assert_int_equal(consumed, 0);
    rio_decoder_deinit(&d);
}

static void test_record_split_is_copied(void **state)
{
    (void)state;
    /* A record split across feeds is assembled and outlives the first chunk. */
    uint8_t first[4] = {'5', '\n', 'h', 'e'};
    uint8_t second[3] = {'l', 'l', 'o'};
    struct rio_decoder d;
    rio_decoder_init(&d, MC_RECORD_BYTES_MAX, NULL);
    struct rio_record r;
    size_t consumed;
    assert_int_equal(rio_decoder_feed(&d, first, sizeof(first), &consumed, &r, NULL), 0);
    memset(first, 'X', sizeof(first));
    assert_int_equal(rio_decoder_feed(&d, second, sizeof(second), &consumed, &r, NULL), 1);
    assert_int_equal(consumed, 3);
    assert_int_equal(r.bytes, 5);
    assert_memory_equal(r.data, "hello", 5);
    assert_true(r.data < second || r.data >= second + sizeof(second));
    rio_decoder_deinit(&d);
}

static void test_deinit_then_feed(void **state)
{
    (void)state;
    struct rio_decoder d;
    rio_decoder_init(&d, MC_RECORD_BYTES_MAX, NULL);
    struct rio_record r;
    size_t consumed;
    assert_int_equal(rio_decoder_feed(&d, (const uint8_t *)"3\nab", 4, &consumed, &r, NULL), 0);
    rio_decoder_deinit(&d);
    struct mc_diag diag;
    mc_diag_clear(&diag);
    assert_int_equal(rio_decoder_feed(&d, (const uint8_t *)"c", 1, &consumed, &r, &diag),
                     MC_ESTATE);
    assert_int_equal(consumed, 0);
    assert_non_null(strstr(diag.text, "after deinit"));
    /* Initialising again starts a fresh stream at offset 0. */
    rio_decoder_init(&d, MC_RECORD_BYTES_MAX, NULL);
    assert_int_equal(rio_decoder_feed(&d, (const uint8_t *)"1\nc", 3, &consumed, &r, NULL), 1);
    assert_memory_equal(r.data, "c", 1);
    rio_decoder_deinit(&d);
}

/* ---- the encoder ------------------------------------------------------ */

struct encode_row {
    const uint8_t *record;
    size_t record_bytes;
    const uint8_t *framed;
    size_t framed_bytes;
};

static const struct encode_row encode_rows[] = {
    {BYTES(""), BYTES("0\n")},
    {BYTES("hello"), BYTES("5\nhello")},
    {BYTES("{\"type\":\"HEARTBEAT\"}"), BYTES("20\n{\"type\":\"HEARTBEAT\"}")},
    {BYTES("\n\0\n"), BYTES("3\n\n\0\n")},
};

static void test_encode_rows(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(encode_rows) / sizeof(encode_rows[0]); i++) {
        const struct encode_row *row = &encode_rows[i];
        struct mc_buf b;
        mc_buf_init(&b, 1024, NULL);
        assert_int_equal(rio_encode(&b, row->record, row->record_bytes), 0);
        assert_int_equal(b.len, row->framed_bytes);
        assert_memory_equal(b.data, row->framed, row->framed_bytes);
        /* Appending keeps what was there. */
        assert_int_equal(rio_encode(&b, row->record, row->record_bytes), 0);
        assert_int_equal(b.len, 2 * row->framed_bytes);
        assert_memory_equal(b.data + row->framed_bytes, row->framed, row->framed_bytes);
        mc_buf_deinit(&b);
    }
    /* A NULL record of no bytes is an empty record. */
    struct mc_buf b;
    mc_buf_init(&b, 16, NULL);
    assert_int_equal(rio_encode(&b, NULL, 0), 0);
    assert_string_equal(mc_buf_str(&b), "0\n");
    mc_buf_deinit(&b);
}

static void test_encode_limit(void **state)
{
    (void)state;
    struct mc_buf b;
    /* "5\nhello" is 7 bytes: 6 is too few, 7 is enough. */
    mc_buf_init(&b, 6, NULL);
    assert_int_equal(rio_encode(&b, "hello", 5), MC_ELIMIT);
    assert_int_equal(b.len, 0);
    mc_buf_deinit(&b);
    mc_buf_init(&b, 7, NULL);
    assert_int_equal(rio_encode(&b, "hello", 5), 0);
    assert_int_equal(rio_encode(&b, "", 0), MC_ELIMIT);
    assert_string_equal(mc_buf_str(&b), "5\nhello");
    mc_buf_deinit(&b);
    /* A frame that would pass the limit leaves earlier content alone. */
    mc_buf_init(&b, 9, NULL);
    assert_int_equal(mc_buf_append_str(&b, "abc"), 0);
    assert_int_equal(rio_encode(&b, "hello", 5), MC_ELIMIT);
    assert_string_equal(mc_buf_str(&b), "abc");
    mc_buf_deinit(&b);
}

static void test_encode_nomem(void **state)
{
    (void)state;
    static uint8_t big[1000];
    memset(big, 'z', sizeof(big));
    /* Fail the first allocation (the prefix), then the second (the record). */
    for (uint64_t fail_at = 0;; fail_at++) {
        struct mc_alloc_counting c;
        mc_alloc_counting_init(&c, fail_at);
        struct mc_buf b;
        mc_buf_init(&b, 4096, &c.alloc);
        int rc = rio_encode(&b, big, sizeof(big));
        if (c.calls <= fail_at) {
            assert_int_equal(rc, 0);
            assert_int_equal(b.len, 5 + sizeof(big));
            assert_memory_equal(b.data, "1000\n", 5);
            assert_true(fail_at >= 2);
            mc_buf_deinit(&b);
            assert_int_equal(c.live, 0);
            break;
        }
        assert_int_equal(rc, MC_ENOMEM);
        assert_int_equal(b.len, 0);
        assert_string_equal(mc_buf_str(&b), "");
        mc_buf_deinit(&b);
        assert_int_equal(c.live, 0);
    }
}

/* ---- allocation failures while decoding ------------------------------ */

static void test_decode_nomem(void **state)
{
    (void)state;
    /* Records of growing size, fed one byte at a time, grow the buffer. */
    struct mc_buf in, want, t;
    mc_buf_init(&in, 1u << 20, NULL);
    mc_buf_init(&want, TRANSCRIPT_BYTES_MAX, NULL);
    mc_buf_init(&t, TRANSCRIPT_BYTES_MAX, NULL);
    static const size_t sizes[] = {10, 300, 1000, 5000, 2, 0, 700};
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        uint8_t rec[5000];
        for (size_t k = 0; k < sizes[i]; k++)
            rec[k] = (uint8_t)('a' + (i + k) % 26);
        assert_int_equal(rio_encode(&in, rec, sizes[i]), 0);
    }
    size_t n = in.len;
    size_t *cuts = calloc(n, sizeof(*cuts));
    assert_non_null(cuts);
    for (size_t i = 1; i < n; i++)
        cuts[i - 1] = i;
    decode_cut(in.data, n, cuts, n - 1, MC_RECORD_BYTES_MAX, NULL, &want);
    assert_null(strstr(mc_buf_str(&want), "error"));

    uint64_t failures = 0;
    for (uint64_t fail_at = 0;; fail_at++) {
        struct mc_alloc_counting c;
        mc_alloc_counting_init(&c, fail_at);
        decode_cut(in.data, n, cuts, n - 1, MC_RECORD_BYTES_MAX, &c.alloc, &t);
        assert_int_equal(c.live, 0);
        if (c.calls <= fail_at) {
            assert_string_equal(mc_buf_str(&t), mc_buf_str(&want));
            break;
        }
        failures++;
        /* The records before the failure came out; then a clear ENOMEM. */
        const char *e = strstr(mc_buf_str(&t), "error MC_ENOMEM byte ");
        assert_non_null(e);
        assert_non_null(strstr(e, "out of memory buffering a record of "));
        assert_memory_equal(mc_buf_str(&t), mc_buf_str(&want), (size_t)(e - mc_buf_str(&t)));
    }
    assert_true(failures >= 3);
    free(cuts);
    mc_buf_deinit(&in);
    mc_buf_deinit(&want);
    mc_buf_deinit(&t);
}

/* ---- the largest record mesos-go reads ------------------------------- */

static void test_record_at_mesos_go_limit(void **state)
{
    (void)state;
    struct mc_buf in, t;
    mc_buf_init(&in, MC_RECORD_BYTES_MAX + 64, NULL);
    mc_buf_init(&t, TRANSCRIPT_BYTES_MAX, NULL);
    uint8_t *rec = malloc(MC_RECORD_BYTES_MAX);
    assert_non_null(rec);
    for (size_t i = 0; i < MC_RECORD_BYTES_MAX; i++)
        rec[i] = (uint8_t)(i * 31u + 7u);
    assert_int_equal(rio_encode(&in, rec, MC_RECORD_BYTES_MAX), 0);
    assert_int_equal(rio_encode(&in, "x", 1), 0);
    char expected[128];
    snprintf(expected, sizeof(expected), "record %u fnv1a64=%016" PRIx64 "\nrecord 1: x\nend\n",
             MC_RECORD_BYTES_MAX, fnv1a64(rec, MC_RECORD_BYTES_MAX));

    decode_cut(in.data, in.len, NULL, 0, MC_RECORD_BYTES_MAX, NULL, &t);
    expect_transcript(&t, expected, "4 MiB record", "whole");
    size_t cuts[] = {1, 8, 9, 4096, 1000000, MC_RECORD_BYTES_MAX + 7, MC_RECORD_BYTES_MAX + 9};
    decode_cut(in.data, in.len, cuts, sizeof(cuts) / sizeof(cuts[0]), MC_RECORD_BYTES_MAX, NULL,
               &t);
    expect_transcript(&t, expected, "4 MiB record", "cut in pieces");
    size_t *every = calloc(in.len, sizeof(*every));
    assert_non_null(every);
    for (size_t i = 1; i < in.len; i++)
        every[i - 1] = i;
    decode_cut(in.data, in.len, every, in.len - 1, MC_RECORD_BYTES_MAX, NULL, &t);
    expect_transcript(&t, expected, "4 MiB record", "one byte at a time");

    /* One byte less of limit and the same stream is refused at its prefix. */
    decode_cut(in.data, in.len, NULL, 0, MC_RECORD_BYTES_MAX - 1, NULL, &t);
    expect_transcript(&t,
                      "error MC_ELIMIT byte 7: record length 4194304 exceeds the limit of "
                      "4194303 bytes\n",
                      "4 MiB record", "limit minus one");
    free(every);
    free(rec);
    mc_buf_deinit(&in);
    mc_buf_deinit(&t);
}

/* ---- seeded random round trips -------------------------------------- */

/* splitmix64: a small, seedable generator, so that a failure replays. */
static uint64_t splitmix64(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static size_t random_record_bytes(uint64_t *s)
{
    uint64_t pick = splitmix64(s) % 16;
    if (pick < 2)
        return 0;
    if (pick < 12)
        return (size_t)(splitmix64(s) % 64);
    if (pick < 15)
        return (size_t)(splitmix64(s) % 4096);
    return (size_t)(splitmix64(s) % 70000);
}

/* Encodes random records, decodes them under random cuts, compares. */
static void round_trip(uint64_t seed)
{
    uint64_t s = seed;
    size_t count = (size_t)(splitmix64(&s) % 40);
    size_t *lens = calloc(count + 1, sizeof(*lens));
    struct mc_buf in, records;
    mc_buf_init(&in, 8u << 20, NULL);
    mc_buf_init(&records, 8u << 20, NULL);
    size_t longest = 0;
    for (size_t i = 0; i < count; i++) {
        lens[i] = random_record_bytes(&s);
        longest = lens[i] > longest ? lens[i] : longest;
        size_t at = records.len;
        for (size_t k = 0; k < lens[i]; k++)
            assert_int_equal(mc_buf_append_byte(&records, (uint8_t)splitmix64(&s)), 0);
        assert_int_equal(rio_encode(&in, records.data + at, lens[i]), 0);
    }
    struct rio_decoder d;
    rio_decoder_init(&d, longest, NULL);
    size_t pos = 0, got = 0, record_at = 0;
    while (pos < in.len) {
        /* Mostly tiny chunks, sometimes large ones. */
        uint64_t chunk_max = splitmix64(&s) % 2 ? 8 : 9000;
        size_t chunk = 1 + (size_t)(splitmix64(&s) % chunk_max);
        chunk = chunk > in.len - pos ? in.len - pos : chunk;
        size_t used_total = 0;
        while (used_total < chunk) {
            struct rio_record r;
            size_t consumed;
            int rc = rio_decoder_feed(&d, in.data + pos + used_total, chunk - used_total,
                                      &consumed, &r, NULL);
            assert_true(rc == 0 || rc == 1);
            used_total += consumed;
            if (rc == 1) {
                if (r.bytes != lens[got])
                    print_error("seed %" PRIu64 ": record %zu\n", seed, got);
                assert_int_equal(r.bytes, lens[got]);
                assert_memory_equal(r.data, records.data + record_at, r.bytes);
                record_at += r.bytes;
                got++;
            }
        }
        pos += chunk;
    }
    assert_int_equal(got, count);
    assert_int_equal(rio_decoder_finish(&d, NULL), 0);
    rio_decoder_deinit(&d);
    free(lens);
    mc_buf_deinit(&in);
    mc_buf_deinit(&records);
}

static void test_random_round_trips(void **state)
{
    (void)state;
    for (uint64_t seed = 1; seed <= 200; seed++)
        round_trip(seed);
}

/* ---- cases in tests/data/recordio ------------------------------------ */

/* Reads a whole small file into a malloc'd, NUL-terminated buffer. */
static uint8_t *file_read(const char *path, size_t *bytes)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    uint8_t *p = malloc(DATA_FILE_BYTES_MAX + 1);
    assert_non_null(p);
    size_t n = fread(p, 1, DATA_FILE_BYTES_MAX + 1, f);
    fclose(f);
    assert_true(n <= DATA_FILE_BYTES_MAX);
    p[n] = '\0';
    *bytes = n;
    return p;
}

static int name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Runs every case folder of kind ("valid" or "invalid"); returns the count. */
static size_t data_cases_run(const char *kind)
{
    char dir_path[1024];
    snprintf(dir_path, sizeof(dir_path), "%s/recordio/%s", MC_TEST_DATA_DIR, kind);
    DIR *dir = opendir(dir_path);
    assert_non_null(dir);
    char *names[256];
    size_t count = 0;
    struct dirent *e;
    while ((e = readdir(dir)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        assert_true(count < sizeof(names) / sizeof(names[0]));
        names[count] = strdup(e->d_name);
        assert_non_null(names[count]);
        count++;
    }
    closedir(dir);
    qsort(names, count, sizeof(names[0]), name_cmp);
    for (size_t i = 0; i < count; i++) {
        char path[1400];
        size_t input_bytes = 0, expected_bytes = 0, limit_bytes = 0;
        snprintf(path, sizeof(path), "%s/%s/input", dir_path, names[i]);
        uint8_t *input = file_read(path, &input_bytes);
        assert_non_null(input);
        snprintf(path, sizeof(path), "%s/%s/expected", dir_path, names[i]);
        uint8_t *expected = file_read(path, &expected_bytes);
        assert_non_null(expected);
        snprintf(path, sizeof(path), "%s/%s/limit", dir_path, names[i]);
        uint8_t *limit_text = file_read(path, &limit_bytes);
        size_t limit = MC_RECORD_BYTES_MAX;
        if (limit_text != NULL) {
            limit = (size_t)strtoull((const char *)limit_text, NULL, 10);
            free(limit_text);
        }
        int has_error = strstr((const char *)expected, "\nerror ") != NULL ||
                        strncmp((const char *)expected, "error ", 6) == 0;
        assert_int_equal(has_error, strcmp(kind, "invalid") == 0);
        char name[600];
        snprintf(name, sizeof(name), "%s/%s", kind, names[i]);
        decode_every_way(input, input_bytes, limit, (const char *)expected, name);
        free(input);
        free(expected);
        free(names[i]);
    }
    return count;
}

static void test_data_cases(void **state)
{
    (void)state;
    assert_true(data_cases_run("valid") >= 1);
    assert_true(data_cases_run("invalid") >= 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_decode_rows),
        cmocka_unit_test(test_record_in_place),
        cmocka_unit_test(test_record_split_is_copied),
        cmocka_unit_test(test_deinit_then_feed),
        cmocka_unit_test(test_encode_rows),
        cmocka_unit_test(test_encode_limit),
        cmocka_unit_test(test_encode_nomem),
        cmocka_unit_test(test_decode_nomem),
        cmocka_unit_test(test_record_at_mesos_go_limit),
        cmocka_unit_test(test_random_round_trips),
        cmocka_unit_test(test_data_cases),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
