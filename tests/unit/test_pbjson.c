/*
 * test_pbjson.c: the JSON <-> protobuf codec (proto/pbjson.h).
 *
 * Rows of {input, expected output} and {input, expected error} over the
 * test proto (pbjson_test.proto, every field type and label) and over the
 * Mesos protos: the SPEC's examples and the request bodies recorded from a
 * real Mesos 1.12 master (cited by case id). Then the properties: every
 * prefix of a valid text is a clean syntax error, every allocation failure
 * is a clean MC_ENOMEM with nothing leaked, and seeded random messages of
 * every registered type survive message -> JSON -> message and
 * message -> protobuf -> message unchanged.
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mc_alloc.h"
#include "mc_buf.h"
#include "pbjson.h"
#include "pbjson_test.pb-c.h"
#include "registry.h"

#include "mesos/v1/scheduler/scheduler.pb-c.h"

#define ALL (&mc__test__all__descriptor)
#define DEFAULTS (&mc__test__defaults__descriptor)
#define REQ (&mc__test__req__descriptor)
#define TREE (&mc__test__tree__descriptor)
#define CALL (&mesos__v1__scheduler__call__descriptor)
#define EVENT (&mesos__v1__scheduler__event__descriptor)

#define ROWS(a) (sizeof(a) / sizeof((a)[0]))
#define NO_OFFSET (-1)

/* ---- helpers ---- */

static char *encode_text(const ProtobufCMessage *m)
{
    struct mc_buf b;
    mc_buf_init(&b, MC_PBJSON_INPUT_BYTES_MAX, NULL);
    int rc = pbjson_encode(m, &b);
    assert_int_equal(rc, 0);
    char *s = strdup(mc_buf_str(&b));
    assert_non_null(s);
    mc_buf_deinit(&b);
    return s;
}

static ProtobufCMessage *decode_ok(const ProtobufCMessageDescriptor *d, const char *text,
                                   size_t len)
{
    struct pbjson_error err;
    ProtobufCMessage *m = NULL;
    int rc = pbjson_decode(d, text, len, NULL, &m, &err);
    if (rc != 0)
        fail_msg("decoding %.*s: %s / %s", (int)len, text, err.mesos_text, err.diag.text);
    assert_non_null(m);
    return m;
}

static void pack_into(const ProtobufCMessage *m, struct mc_buf *b)
{
    mc_buf_init(b, MC_PBJSON_INPUT_BYTES_MAX, NULL);
    int rc = pbjson_pack(m, b);
    assert_int_equal(rc, 0);
}

/* protobuf-c packs equal messages to equal bytes: that is our equality. */
static void assert_same_message(const ProtobufCMessage *a, const ProtobufCMessage *b)
{
    struct mc_buf pa, pb;
    assert_ptr_equal(a->descriptor, b->descriptor);
    pack_into(a, &pa);
    pack_into(b, &pb);
    assert_int_equal(pa.len, pb.len);
    assert_memory_equal(pa.data == NULL ? (uint8_t *)"" : pa.data,
                        pb.data == NULL ? (uint8_t *)"" : pb.data, pa.len);
    mc_buf_deinit(&pa);
    mc_buf_deinit(&pb);
}

static int same_message(const ProtobufCMessage *a, const ProtobufCMessage *b)
{
    struct mc_buf pa, pb;
    pack_into(a, &pa);
    pack_into(b, &pb);
    int same = pa.len == pb.len && (pa.len == 0 || memcmp(pa.data, pb.data, pa.len) == 0);
    mc_buf_deinit(&pa);
    mc_buf_deinit(&pb);
    return same;
}

/* message -> protobuf -> message gives the same message. */
static void assert_pack_round_trip(const ProtobufCMessage *m)
{
    struct mc_buf b;
    pack_into(m, &b);
    ProtobufCMessage *back = NULL;
    struct mc_diag diag;
    int rc = pbjson_unpack(m->descriptor, b.data, b.len, NULL, &back, &diag);
    if (rc != 0)
        fail_msg("unpack of %s: %s", m->descriptor->name, diag.text);
    assert_same_message(m, back);
    protobuf_c_message_free_unpacked(back, NULL);
    mc_buf_deinit(&b);
}

/* message -> jansson -> message gives the same message. */
static void assert_jansson_round_trip(const ProtobufCMessage *m)
{
    json_t *j = pbjson_to_json(m);
    assert_non_null(j);
    ProtobufCMessage *back = NULL;
    struct pbjson_error err;
    int rc = pbjson_from_json(m->descriptor, j, NULL, &back, &err);
    if (rc != 0)
        fail_msg("from_json of %s: %s", m->descriptor->name, err.diag.text);
    assert_same_message(m, back);
    protobuf_c_message_free_unpacked(back, NULL);
    json_decref(j);
}

static void property_check(const ProtobufCMessage *m);

/* ---- valid rows: input -> canonical output ---- */

struct valid_row {
    const ProtobufCMessageDescriptor *desc;
    const char *input;
    const char *expected;
};

static const struct valid_row valid_rows[] = {
    {ALL, "{}", "{}"},
    {ALL, " \t\r\n{ } \n", "{}"},
    /* Every scalar type, as a number. */
    {ALL, "{\"i32\":-5,\"i64\":-9223372036854775808,\"u32\":4294967295,"
          "\"u64\":18446744073709551615,\"s32\":-2147483648,\"s64\":9223372036854775807,"
          "\"f32\":7,\"f64\":8,\"sf32\":-9,\"sf64\":-10,\"fl\":1.5,\"db\":-2.25,\"b\":true}",
     "{\"i32\":-5,\"i64\":-9223372036854775808,\"u32\":4294967295,"
     "\"u64\":18446744073709551615,\"s32\":-2147483648,\"s64\":9223372036854775807,"
     "\"f32\":7,\"f64\":8,\"sf32\":-9,\"sf64\":-10,\"fl\":1.5,\"db\":-2.25,\"b\":true}"},
    /* Numbers given as strings are parsed again as JSON (W7: 64-bit as strings). */
    {ALL, "{\"i64\":\"-42\",\"u64\":\"18446744073709551615\",\"i32\":\" 7\",\"db\":\"1e3\","
          "\"b\":\" false\"}",
     "{\"i32\":7,\"i64\":-42,\"u64\":18446744073709551615,\"db\":1000.0,\"b\":false}"},
    /* picojson pushes back the character after a number and stout counts it as
     * read: "12x" is 12 (one stray character is swallowed). */
    {ALL, "{\"i32\":\"12x\"}", "{\"i32\":12}"},
    /* Conversions as static_cast: wrap, truncate, x86 out-of-range results. */
    {ALL, "{\"i32\":4294967297,\"u32\":-1,\"u64\":-1,\"s32\":-1.9}",
     "{\"i32\":1,\"u32\":4294967295,\"u64\":18446744073709551615,\"s32\":-1}"},
    {ALL, "{\"i32\":3e9,\"i64\":1e19,\"u32\":1e10,\"u64\":1e19,\"f32\":-1e30}",
     "{\"i32\":-2147483648,\"i64\":-9223372036854775808,\"u32\":1410065408,"
     "\"u64\":10000000000000000000,\"f32\":0}"},
    {ALL, "{\"u64\":-1.5,\"r_f64\":[1e3,-1e300],\"fl\":3.4028235e38,\"r_fl\":[-3.4028235e38]}",
     "{\"u64\":18446744073709551615,\"fl\":3.4028234663852887e38,\"r_f64\":[1000,"
     "9223372036854775808],\"r_fl\":[-3.4028234663852887e38]}"},
    /* An integer above INT64_MAX: exact for uint64, Mesos' double elsewhere. */
    {ALL, "{\"u64\":9223372036854775809,\"i64\":9223372036854775809,\"db\":9223372036854775809}",
     "{\"i64\":-9223372036854775808,\"u64\":9223372036854775809,\"db\":9223372036854776000.0}"},
    /* Number syntax picojson accepts beyond JSON's. */
    {ALL, "{\"i32\":01,\"db\":1.,\"fl\":-.5,\"i64\":1E2,\"sf64\":-0}",
     "{\"i32\":1,\"i64\":100,\"sf64\":0,\"fl\":-0.5,\"db\":1.0}"},
    /* Floats are written as the double they widen to (stout's set(float)). */
    {ALL, "{\"fl\":0.1}", "{\"fl\":0.10000000149011612}"},
    {ALL, "{\"fl\":1e300}", "{\"fl\":\"Infinity\"}"},
    {ALL, "{\"db\":\"Infinity\",\"fl\":\"-Infinity\"}",
     "{\"fl\":\"-Infinity\",\"db\":\"Infinity\"}"},
    {ALL, "{\"db\":-0.0}", "{\"db\":-0.0}"},
    {ALL, "{\"db\":1e-400}", "{\"db\":0.0}"},
    /* Enums by name; unknown names dropped for optional and repeated fields. */
    {ALL, "{\"color\":\"BLUE\",\"shade\":\"DARK\"}", "{\"color\":\"BLUE\",\"shade\":\"DARK\"}"},
    {ALL, "{\"color\":\"PURPLE\",\"shade\":\"RED\"}", "{}"},
    {ALL, "{\"r_color\":[\"RED\",\"PURPLE\",\"BLUE\"]}", "{\"r_color\":[\"RED\",\"BLUE\"]}"},
    {ALL, "{\"r_color\":[\"PURPLE\"]}", "{}"},
    /* null is unset, wherever it is (mesos-go sends "tasks": null). */
    {ALL, "{\"i32\":null,\"r_i32\":null,\"inner\":null,\"m_si\":null,\"s\":null,\"pick_s\":null}",
     "{}"},
    {ALL, "{\"r_i32\":[1,null,2],\"r_inner\":[null,{\"id\":\"a\"}]}",
     "{\"r_i32\":[1,2],\"r_inner\":[{\"id\":\"a\"}]}"},
    /* A repeated field takes one value as one element, and flattens arrays. */
    {ALL, "{\"r_i32\":5,\"r_s\":\"x\",\"r_inner\":{\"id\":\"q\"}}",
     "{\"r_i32\":[5],\"r_s\":[\"x\"],\"r_inner\":[{\"id\":\"q\"}]}"},
    {ALL, "{\"r_i32\":[[1,[2]],[],3]}", "{\"r_i32\":[1,2,3]}"},
    {ALL, "{\"r_i64\":[\"1\",2],\"r_u64\":[\"18446744073709551615\"],\"r_s32\":[-1],"
          "\"r_f64\":[1],\"r_fl\":[0.5],\"r_db\":[0.25],\"r_b\":[true,\"false\"],"
          "\"r_by\":[\"AA==\",\"\"]}",
     "{\"r_i64\":[1,2],\"r_u64\":[18446744073709551615],\"r_s32\":[-1],\"r_f64\":[1],"
     "\"r_fl\":[0.5],\"r_db\":[0.25],\"r_b\":[true,false],\"r_by\":[\"AA==\",\"\"]}"},
    /* bytes: base64 decoded as leniently as stout. */
    {ALL, "{\"by\":\"aGVsbG8=\"}", "{\"by\":\"aGVsbG8=\"}"},
    {ALL, "{\"by\":\"aGVs\\nbG8\"}", "{\"by\":\"aGVsbG8=\"}"},
    {ALL, "{\"by\":\"aGk=!!garbage\"}", "{\"by\":\"aGk=\"}"},
    {ALL, "{\"by\":\"a\"}", "{\"by\":\"\"}"},
    {ALL, "{\"by\":\"\"}", "{\"by\":\"\"}"},
    /* Strings: every escape; control bytes written back as rapidjson does. */
    {ALL, "{\"s\":\"q\\\"b\\\\s\\/\\b\\f\\n\\r\\t\\u0001\\u001f\\u00e9\\u20ac\\ud83d\\ude00\"}",
     "{\"s\":\"q\\\"b\\\\s/\\b\\f\\n\\r\\t\\u0001\\u001F\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"}"},
    {ALL, "{\"s\":\"raw \x7f \xff bytes\"}", "{\"s\":\"raw \x7f \xff bytes\"}"},
    /* Unknown fields are ignored; a repeated name keeps its last value. */
    {ALL, "{\"zzz\":[1,{\"a\":2}],\"i32\":2,\"force\":true,\"i32 \":3}", "{\"i32\":2}"},
    {ALL, "{\"i32\":1,\"i32\":2}", "{\"i32\":2}"},
    {ALL, "{\"inner\":{\"id\":\"a\"},\"inner\":{\"n\":1,\"id\":\"b\"}}",
     "{\"inner\":{\"id\":\"b\",\"n\":1}}"},
    /* Nested messages and nested enums. */
    {ALL, "{\"nested\":{\"shade\":\"LIGHT\",\"again\":{\"label\":\"l\",\"again\":{}}}}",
     "{\"nested\":{\"shade\":\"LIGHT\",\"again\":{\"label\":\"l\",\"again\":{}}}}"},
    /* Maps: objects, entries in key order; keys parsed for their type. */
    {ALL, "{\"m_si\":{\"b\":2,\"a\":1}}", "{\"m_si\":{\"a\":1,\"b\":2}}"},
    {ALL, "{\"m_li\":{\"5\":{\"id\":\"x\"},\"05\":{\"id\":\"y\"},\"-1\":{\"id\":\"z\"}}}",
     "{\"m_li\":{\"-1\":{\"id\":\"z\"},\"5\":{\"id\":\"x\"}}}"},
    {ALL, "{\"m_bs\":{\"true\":\"t\",\"false\":\"f\"}}",
     "{\"m_bs\":{\"false\":\"f\",\"true\":\"t\"}}"},
    {ALL, "{\"m_uc\":{\"1\":\"BLUE\",\"2\":\"NOPE\",\"3\":null}}",
     "{\"m_uc\":{\"1\":\"BLUE\",\"2\":\"RED\",\"3\":\"RED\"}}"},
    {ALL, "{\"m_si\":{\"a\":null}}", "{\"m_si\":{\"a\":0}}"},
    {ALL, "{\"m_si\":[{\"a\":1},{\"a\":2,\"b\":3}]}", "{\"m_si\":{\"a\":2,\"b\":3}}"},
    {ALL, "{\"m_si\":{}}", "{}"},
    {ALL, "{\"m_si\":[{\"a\":1,\"b\":1},{\"a\":2},[{\"a\":3}]]}", "{\"m_si\":{\"a\":3,\"b\":1}}"},
    {ALL, "{\"m_bs\":{\"true\":null}}", "{\"m_bs\":{\"true\":\"\"}}"},
    {ALL,
     "{\"m_ib\":{\"-2\":\"AA==\",\"1\":null},\"m_fn\":{\"18446744073709551615\":{},"
     "\"7\":null}}",
     "{\"m_ib\":{\"-2\":\"AA==\",\"1\":\"\"},\"m_fn\":{\"18446744073709551615\":{},\"7\":{}}}"},
    /* oneof: the member set last (in key order) wins. */
    {ALL, "{\"pick_i\":5,\"pick_s\":\"x\"}", "{\"pick_s\":\"x\"}"},
    {ALL, "{\"pick_m\":{\"id\":\"q\"},\"pick_s\":\"x\"}", "{\"pick_s\":\"x\"}"},
    {ALL, "{\"pick_i\":5,\"pick_m\":{\"id\":\"q\"}}", "{\"pick_m\":{\"id\":\"q\"}}"},
    /* Declared defaults are written for unset fields, deprecated ones not. */
    {DEFAULTS, "{}",
     "{\"i32\":-7,\"u64\":18446744073709551615,\"db\":15.0,\"fl\":0.5,\"b\":true,"
     "\"s\":\"hello\",\"by\":\"AQL/\",\"mode\":\"MODE_B\",\"s64\":-9000000000}"},
    {DEFAULTS, "{\"i32\":1,\"s\":\"\",\"by\":\"\",\"mode\":\"MODE_A\",\"plain\":\"MODE_A\","
               "\"old\":4,\"no_default\":\"n\",\"b\":false,\"mode\":\"MODE_X\"}",
     "{\"i32\":1,\"u64\":18446744073709551615,\"db\":15.0,\"fl\":0.5,\"b\":false,\"s\":\"\","
     "\"by\":\"\",\"mode\":\"MODE_B\",\"plain\":\"MODE_A\",\"old\":4,\"no_default\":\"n\","
     "\"s64\":-9000000000}"},
    /* Required fields present. */
    {REQ, "{\"a\":\"x\",\"b\":\"2\",\"must\":{\"id\":\"m\"},\"color\":\"GREEN\",\"raw\":\"\"}",
     "{\"a\":\"x\",\"b\":2,\"must\":{\"id\":\"m\"},\"color\":\"GREEN\",\"raw\":\"\"}"},
    /* Recursion. */
    {TREE, "{\"kids\":[{\"kids\":[{\"label\":\"x\"}]},{}],\"next\":{\"next\":{}}}",
     "{\"kids\":[{\"kids\":[{\"label\":\"x\"}]},{}],\"next\":{\"next\":{}}}"},
};

/* Whether jansson reads text the way picojson does (it refuses some). */
static json_t *jansson_load(const char *text)
{
    json_error_t jerr;
    return json_loads(text, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
}

static void valid_row_check(const struct valid_row *row)
{
    ProtobufCMessage *m = decode_ok(row->desc, row->input, strlen(row->input));
    char *out = encode_text(m);
    if (strcmp(out, row->expected) != 0)
        fail_msg("%s\n  gave     %s\n  expected %s", row->input, out, row->expected);
    assert_pack_round_trip(m);
    /* The canonical text is a fixed point; the message it gives has every
     * defaulted field set (an unset one was written with its default), so
     * it survives every round trip unchanged. */
    ProtobufCMessage *again = decode_ok(row->desc, out, strlen(out));
    char *out2 = encode_text(again);
    assert_string_equal(out, out2);
    property_check(again);
    /* The same input through jansson, where jansson accepts it. */
    json_t *j = jansson_load(row->input);
    if (j != NULL) {
        ProtobufCMessage *viaj = NULL;
        struct pbjson_error err;
        int rc = pbjson_from_json(row->desc, j, NULL, &viaj, &err);
        if (rc != 0)
            fail_msg("from_json %s: %s", row->input, err.diag.text);
        char *outj = encode_text(viaj);
        /* jansson reads 1.5 and 1e3 as reals, as picojson; only integers
         * above INT64_MAX and picojson's extra number syntax differ, and
         * jansson refuses those. */
        assert_string_equal(outj, row->expected);
        free(outj);
        protobuf_c_message_free_unpacked(viaj, NULL);
        json_decref(j);
    }
    free(out2);
    free(out);
    protobuf_c_message_free_unpacked(again, NULL);
    protobuf_c_message_free_unpacked(m, NULL);
}

static void test_valid_rows(void **state)
{
    (void)state;
    for (size_t i = 0; i < ROWS(valid_rows); i++)
        valid_row_check(&valid_rows[i]);
}

/* ---- error rows ---- */

struct error_row {
    const ProtobufCMessageDescriptor *desc;
    const char *input;
    int rc;
    int kind;
    const char *mesos_text;
    const char *path;
    int64_t offset; /* of the offending value or character; NO_OFFSET if none */
};

static const struct error_row error_rows[] = {
    /* The top level must be an object (recorded: s.json-array, s.json-string). */
    {ALL, "[{\"i32\":1}]", MC_EPARSE, PBJSON_ERR_CONVERT, "Expecting a JSON object", "", 0},
    {ALL, " \"SUBSCRIBE\"", MC_EPARSE, PBJSON_ERR_CONVERT, "Expecting a JSON object", "", 1},
    {ALL, "12", MC_EPARSE, PBJSON_ERR_CONVERT, "Expecting a JSON object", "", 0},
    {ALL, "null", MC_EPARSE, PBJSON_ERR_CONVERT, "Expecting a JSON object", "", 0},
    /* Wrong JSON types (recorded: s.convert-wrong-type, s.enum-as-number). */
    {ALL, "{\"s\":5}", MC_EPARSE, PBJSON_ERR_CONVERT, "Not expecting a JSON number for field 's'",
     "s", 5},
    {ALL, "{\"color\":1}", MC_EPARSE, PBJSON_ERR_CONVERT,
     "Not expecting a JSON number for field 'color'", "color", 9},
    {ALL, "{\"b\":1}", MC_EPARSE, PBJSON_ERR_CONVERT, "Not expecting a JSON number for field 'b'",
     "b", 5},
    {ALL, "{\"inner\":\"x\"}", MC_EPARSE, PBJSON_ERR_CONVERT,
     "Not expecting a JSON string for field 'inner'", "inner", 9},
    {ALL, "{\"i32\":{}}", MC_EPARSE, PBJSON_ERR_CONVERT,
     "Not expecting a JSON object for field 'i32'", "i32", 7},
    {ALL, "{\"i32\":[1]}", MC_EPARSE, PBJSON_ERR_CONVERT,
     "Not expecting a JSON array for field 'i32'", "i32", 7},
    {ALL, "{\"i32\":true}", MC_EPARSE, PBJSON_ERR_CONVERT,
     "Not expecting a JSON boolean for field 'i32'", "i32", 7},
    {ALL, "{\"s\":false}", MC_EPARSE, PBJSON_ERR_CONVERT,
     "Not expecting a JSON boolean for field 's'", "s", 5},
    {ALL, "{\"m_si\":\"x\"}", MC_EPARSE, PBJSON_ERR_CONVERT,
     "Not expecting a JSON string for field 'm_si'", "m_si", 8},
    {ALL, "{\"r_i32\":[1,{}]}", MC_EPARSE, PBJSON_ERR_CONVERT,
     "Not expecting a JSON object for field 'r_i32'", "r_i32", 12},
    /* Strings for numbers and bools, parsed again as a JSON text. */
    {ALL, "{\"i32\":\"abc\"}", MC_EPARSE, PBJSON_ERR_CONVERT,
     "Failed to parse 'abc' as a JSON number for field 'i32': syntax error at line 1 near: abc",
     "i32", 7},
    {ALL, "{\"i32\":\"\"}", MC_EPARSE, PBJSON_ERR_CONVERT,
     "Failed to parse '' as a JSON number for field 'i32': syntax error at line 1 near: ", "i32",
     7},
    {ALL, "{\"i32\":\" 12 \"}", MC_EPARSE, PBJSON_ERR_CONVERT,
     "Failed to parse ' 12 ' as a JSON number for field 'i32': Parsed JSON included "
     "non-whitespace trailing characters: ",
     "i32", 7},
    {ALL, "{\"i32\":\"12xy\"}", MC_EPARSE, PBJSON_ERR_CONVERT,
     "Failed to parse '12xy' as a JSON number for field 'i32': Parsed JSON included "
     "non-whitespace trailing characters: y",
     "i32", 7},
    {ALL, "{\"i64\":\"true\"}", MC_EPARSE, PBJSON_ERR_CONVERT,
     "Failed to parse 'true' as a JSON number for field 'i64': Unexpected JSON type parsed",
     "i64", 7},
    {ALL, "{\"u64\":\"[1]\"}", MC_EPARSE, PBJSON_ERR_CONVERT,
     "Failed to parse '[1]' as a JSON number for field 'u64': Unexpected JSON type parsed",
     "u64", 7},
    {ALL, "{\"db\":\"1e400\"}", MC_EPARSE, PBJSON_ERR_CONVERT,
     "Failed to parse '1e400' as a JSON number for field 'db': Value out of range", "db", 6},
    {ALL, "{\"db\":\"NaN\"}", MC_EPARSE, PBJSON_ERR_CONVERT,
     "Failed to parse 'NaN' as a JSON number for field 'db': syntax error at line 1 near: NaN",
     "db", 6},
    {ALL, "{\"fl\":\"infinity\"}", MC_EPARSE, PBJSON_ERR_CONVERT,
     "Failed to parse 'infinity' as a JSON number for field 'fl': syntax error at line 1 near: "
     "infinity",
     "fl", 6},
    {ALL, "{\"b\":\"yes\"}", MC_EPARSE, PBJSON_ERR_CONVERT,
     "Failed to parse 'yes' as a JSON boolean for field 'b': syntax error at line 1 near: yes",
     "b", 5},
    {ALL, "{\"b\":\"1\"}", MC_EPARSE, PBJSON_ERR_CONVERT,
     "Failed to parse '1' as a JSON boolean for field 'b': Unexpected JSON type parsed", "b", 5},
    {ALL, "{\"i32\":\"1\\n2\"}", MC_EPARSE, PBJSON_ERR_CONVERT,
     "Failed to parse '1\n2' as a JSON number for field 'i32': Parsed JSON included "
     "non-whitespace trailing characters: 2",
     "i32", 7},
    {ALL, "{\"i32\":\"[\\n\\nx\"}", MC_EPARSE, PBJSON_ERR_CONVERT,
     "Failed to parse '[\n\nx' as a JSON number for field 'i32': syntax error at line 3 near: x",
     "i32", 7},
    /* bytes (recorded: s.ack-bad-uuid). */
    {ALL, "{\"by\":\"!!!\"}", MC_EPARSE, PBJSON_ERR_CONVERT,
     "Failed to base64 decode bytes field 'by': Invalid character '!'", "by", 6},
    {ALL, "{\"r_by\":[\"aGk=\",\"a b\",\"x-y\"]}", MC_EPARSE, PBJSON_ERR_CONVERT,
     "Failed to base64 decode bytes field 'r_by': Invalid character '-'", "r_by[2]", 22},
    {ALL, "{\"by\":\"\xc3\xa9\"}", MC_EPARSE, PBJSON_ERR_CONVERT,
     "Failed to base64 decode bytes field 'by': Invalid character '\xc3'", "by", 6},
    /* Paths into repeated fields, messages and maps. */
    {ALL, "{\"r_inner\":[{\"id\":\"a\"},{\"id\":5}]}", MC_EPARSE, PBJSON_ERR_CONVERT,
     "Not expecting a JSON number for field 'id'", "r_inner[1].id", 29},
    {ALL, "{\"r_i32\":[1,\"x\"]}", MC_EPARSE, PBJSON_ERR_CONVERT,
     "Failed to parse 'x' as a JSON number for field 'r_i32': syntax error at line 1 near: x",
     "r_i32[1]", 12},
    {ALL, "{\"nested\":{\"again\":{\"shade\":7}}}", MC_EPARSE, PBJSON_ERR_CONVERT,
     "Not expecting a JSON number for field 'shade'", "nested.again.shade", 28},
    {ALL, "{\"m_li\":{\"k\":{\"id\":\"x\"}}}", MC_EPARSE, PBJSON_ERR_CONVERT,
     "Failed to parse 'k' as a JSON number for field 'key': syntax error at line 1 near: k",
     "m_li[0].key", 8},
    {ALL, "{\"m_bs\":{\"yes\":\"x\"}}", MC_EPARSE, PBJSON_ERR_CONVERT,
     "Failed to parse 'yes' as a JSON boolean for field 'key': syntax error at line 1 near: yes",
     "m_bs[0].key", 8},
    {ALL, "{\"m_si\":{\"a\":1,\"b\":\"z\"}}", MC_EPARSE, PBJSON_ERR_CONVERT,
     "Failed to parse 'z' as a JSON number for field 'value': syntax error at line 1 near: z",
     "m_si[1].value", 19},
    {ALL, "{\"m_li\":{\"1\":{}}}", MC_EPARSE, PBJSON_ERR_CONVERT,
     "Missing required fields: m_li[0].value.id", "m_li[0].value.id", NO_OFFSET},
    /* The first error in key order is the one reported. */
    {ALL, "{\"s\":5,\"i32\":\"x\"}", MC_EPARSE, PBJSON_ERR_CONVERT,
     "Failed to parse 'x' as a JSON number for field 'i32': syntax error at line 1 near: x",
     "i32", 13},
    /* A NUL inside a string field cannot be held by protobuf-c. */
    {ALL, "{\"s\":\"a\\u0000b\",\"r_s\":[\"\\u0000\"]}", MC_EUNSUPPORTED,
     PBJSON_ERR_UNSUPPORTED,
     "String field 'r_s' holds a NUL character, which a protobuf-c string cannot", "r_s[0]", 23},
    /* ... but only where Mesos would have taken the rest. */
    {ALL, "{\"s\":\"a\\u0000b\",\"u32\":true}", MC_EPARSE, PBJSON_ERR_CONVERT,
     "Not expecting a JSON boolean for field 'u32'", "u32", 22},
    {REQ, "{\"a\":\"\\u0000\"}", MC_EPARSE, PBJSON_ERR_CONVERT,
     "Missing required fields: b, must, color, raw", "b", NO_OFFSET},
    /* Required fields (recorded: s.subscribe-missing-user for the wording). */
    {REQ, "{}", MC_EPARSE, PBJSON_ERR_CONVERT, "Missing required fields: a, b, must, color, raw",
     "a", NO_OFFSET},
    {REQ, "{\"a\":\"x\",\"b\":1,\"must\":{},\"color\":\"RED\",\"raw\":\"\"}", MC_EPARSE,
     PBJSON_ERR_CONVERT, "Missing required fields: must.id", "must.id", NO_OFFSET},
    {REQ, "{\"a\":\"x\",\"b\":1,\"must\":{\"id\":\"m\"},\"color\":\"RED\",\"raw\":\"\","
          "\"one\":{},\"many\":[{\"id\":\"1\"},{}],\"by_name\":{\"k\":{}},\"sub\":{\"a\":\"y\"}}",
     MC_EPARSE, PBJSON_ERR_CONVERT,
     "Missing required fields: one.id, many[1].id, by_name[0].value.id, sub.b, sub.must, "
     "sub.color, sub.raw",
     "one.id", NO_OFFSET},
    {REQ, "{\"a\":null,\"b\":1,\"must\":null,\"color\":\"RED\",\"raw\":\"\"}", MC_EPARSE,
     PBJSON_ERR_CONVERT, "Missing required fields: a, must", "a", NO_OFFSET},
    /* An unknown name for a required enum is an error (stout). */
    {REQ, "{\"color\":\"PURPLE\"}", MC_EPARSE, PBJSON_ERR_CONVERT,
     "Failed to find enum for 'PURPLE'", "color", 9},
    /* Syntax errors, as picojson words them (recorded: s.malformed-json). */
    {ALL, "{\"type\": \"SUBSCRIBE\", ", MC_EPARSE, PBJSON_ERR_SYNTAX,
     "syntax error at line 1 near: ", "", 22},
    {ALL, "", MC_EPARSE, PBJSON_ERR_SYNTAX, "syntax error at line 1 near: ", "", 0},
    {ALL, " \n ", MC_EPARSE, PBJSON_ERR_SYNTAX, "syntax error at line 2 near: ", "", 3},
    {ALL, "{\"a\":tru}", MC_EPARSE, PBJSON_ERR_SYNTAX, "syntax error at line 1 near: }", "", 8},
    {ALL, "{\"a\":1,}", MC_EPARSE, PBJSON_ERR_SYNTAX, "syntax error at line 1 near: }", "", 7},
    {ALL, "{\n\"a\":\n1,\n\"b\" x}", MC_EPARSE, PBJSON_ERR_SYNTAX,
     "syntax error at line 4 near: x}", "", 14},
    {ALL, "{\"a\":\r\n x}\nmore", MC_EPARSE, PBJSON_ERR_SYNTAX, "syntax error at line 2 near: x}",
     "", 8},
    {ALL, "{\"a\":\"\x01\"}", MC_EPARSE, PBJSON_ERR_SYNTAX, "syntax error at line 1 near: \"}", "",
     6},
    {ALL, "{\"a\":\"\\q\"}", MC_EPARSE, PBJSON_ERR_SYNTAX, "syntax error at line 1 near: \"}", "",
     8},
    {ALL, "{\"a\":\"\\ud800x\"}", MC_EPARSE, PBJSON_ERR_SYNTAX, "syntax error at line 1 near: x\"}",
     "", 12},
    {ALL, "{\"a\":\"\\udc00\"}", MC_EPARSE, PBJSON_ERR_SYNTAX, "syntax error at line 1 near: \"}",
     "", 12},
    {ALL, "{\"a\":\"\\u12g4\"}", MC_EPARSE, PBJSON_ERR_SYNTAX, "syntax error at line 1 near: g4\"}",
     "", 10},
    {ALL, "{\"a\":\"unterminated", MC_EPARSE, PBJSON_ERR_SYNTAX, "syntax error at line 1 near: ",
     "", 18},
    {ALL, "{\"a\":-}", MC_EPARSE, PBJSON_ERR_SYNTAX, "syntax error at line 1 near: }", "", 6},
    {ALL, "{\"a\":1e5e5}", MC_EPARSE, PBJSON_ERR_SYNTAX, "syntax error at line 1 near: }", "", 10},
    {ALL, "{\"a\":.5}", MC_EPARSE, PBJSON_ERR_SYNTAX, "syntax error at line 1 near: .5}", "", 5},
    {ALL, "{\"a\":\xc3\xa9}", MC_EPARSE, PBJSON_ERR_SYNTAX,
     "syntax error at line 1 near: \xc3\xa9}", "", 5},
    {ALL, "{a:1}", MC_EPARSE, PBJSON_ERR_SYNTAX, "syntax error at line 1 near: a:1}", "", 1},
    {ALL, "{\"a\" 1}", MC_EPARSE, PBJSON_ERR_SYNTAX, "syntax error at line 1 near: 1}", "", 5},
    {ALL, "{\"a\":[1 2]}", MC_EPARSE, PBJSON_ERR_SYNTAX, "syntax error at line 1 near: 2]}", "", 8},
    {ALL, "{\"a\":1e400}", MC_EPARSE, PBJSON_ERR_SYNTAX, "Value out of range", "", 5},
    {ALL, "{\"a\":1}x", MC_EPARSE, PBJSON_ERR_SYNTAX,
     "Parsed JSON included non-whitespace trailing characters: x", "", 7},
    {ALL, "{\"a\":1} x \n", MC_EPARSE, PBJSON_ERR_SYNTAX,
     "Parsed JSON included non-whitespace trailing characters:  x", "", 7},
    {ALL, "{}{}", MC_EPARSE, PBJSON_ERR_SYNTAX,
     "Parsed JSON included non-whitespace trailing characters: {}", "", 2},
};

static void error_row_check(const struct error_row *row, size_t len)
{
    struct pbjson_error err;
    ProtobufCMessage *m = (ProtobufCMessage *)1;
    int rc = pbjson_decode(row->desc, row->input, len, NULL, &m, &err);
    if (rc != row->rc || err.kind != row->kind || strcmp(err.mesos_text, row->mesos_text) != 0 ||
        strcmp(err.path, row->path) != 0)
        fail_msg("%s\n  gave     rc %d kind %d [%s] path [%s]\n  expected rc %d kind %d [%s] "
                 "path [%s]",
                 row->input, rc, err.kind, err.mesos_text, err.path, row->rc, row->kind,
                 row->mesos_text, row->path);
    assert_null(m);
    assert_int_equal(err.mesos_text_bytes, strlen(row->mesos_text));
    assert_int_equal(err.mesos_text_truncated, 0);
    if (row->offset == NO_OFFSET) {
        assert_int_equal(err.diag.has_offset, 0);
    } else {
        if (!err.diag.has_offset || err.diag.offset != (uint64_t)row->offset)
            fail_msg("%s: offset %d %llu, expected %lld", row->input, err.diag.has_offset,
                     (unsigned long long)err.diag.offset, (long long)row->offset);
        assert_true(err.diag.line >= 1 && err.diag.column >= 1);
    }
    /* Our own text names the path and carries the reason. */
    assert_non_null(strstr(err.diag.text, row->path));
    /* The rebuilt text is the same as the kept one when nothing was cut. */
    struct mc_buf b;
    mc_buf_init(&b, 1u << 20, NULL);
    assert_int_equal(pbjson_error_text_append(&err, row->input, len, &b), 0);
    assert_int_equal(b.len, err.mesos_text_bytes);
    assert_memory_equal(mc_buf_str(&b), err.mesos_text, b.len);
    mc_buf_deinit(&b);
}

static void test_error_rows(void **state)
{
    (void)state;
    for (size_t i = 0; i < ROWS(error_rows); i++)
        error_row_check(&error_rows[i], strlen(error_rows[i].input));
}

/* Inputs with NUL bytes, which C string rows cannot hold. */
static void test_nul_bytes(void **state)
{
    (void)state;
    struct pbjson_error err;
    ProtobufCMessage *m;
    /* A NUL after the value is not whitespace to stout: it is quoted raw. */
    static const char trailing[] = "{\"i32\":1}\0";
    assert_int_equal(pbjson_decode(ALL, trailing, sizeof(trailing) - 1, NULL, &m, &err),
                     MC_EPARSE);
    assert_int_equal(err.kind, PBJSON_ERR_SYNTAX);
    static const char want1[] = "Parsed JSON included non-whitespace trailing characters: \0";
    assert_int_equal(err.mesos_text_bytes, sizeof(want1) - 1);
    assert_memory_equal(err.mesos_text, want1, sizeof(want1) - 1);
    /* A NUL decoded from \u0000 in base64 is quoted by stout as it is. */
    static const char b64[] = "{\"by\":\"\\u0000\"}";
    assert_int_equal(pbjson_decode(ALL, b64, sizeof(b64) - 1, NULL, &m, &err), MC_EPARSE);
    static const char want2[] = "Failed to base64 decode bytes field 'by': Invalid character '\0'";
    assert_int_equal(err.mesos_text_bytes, sizeof(want2) - 1);
    assert_memory_equal(err.mesos_text, want2, sizeof(want2) - 1);
    /* A NUL in a key never matches a field; in a raw string it is an error. */
    static const char key[] = "{\"i32\\u0000\":1,\"i32\":2}";
    m = decode_ok(ALL, key, sizeof(key) - 1);
    assert_int_equal(((Mc__Test__All *)m)->i32, 2);
    protobuf_c_message_free_unpacked(m, NULL);
    static const char raw[] = "{\"s\":\"a\0b\"}";
    assert_int_equal(pbjson_decode(ALL, raw, sizeof(raw) - 1, NULL, &m, &err), MC_EPARSE);
    assert_string_equal(err.mesos_text, "syntax error at line 1 near: b\"}");
    assert_int_equal(err.diag.offset, 7);
}

/* Texts longer than the kept reason: the flag is set and the rebuild is whole. */
static void test_long_reason(void **state)
{
    (void)state;
    size_t pad = 3 * MC_PBJSON_MESOS_TEXT_BYTES_MAX;
    char *text = malloc(pad + 64);
    assert_non_null(text);
    int n = sprintf(text, "{\"a\":tru, \"pad\":\"");
    memset(text + n, 'p', pad);
    strcpy(text + n + pad, "\"}\n{\"next\":1}");
    size_t len = strlen(text);
    struct pbjson_error err;
    ProtobufCMessage *m;
    assert_int_equal(pbjson_decode(ALL, text, len, NULL, &m, &err), MC_EPARSE);
    assert_int_equal(err.kind, PBJSON_ERR_SYNTAX);
    assert_int_equal(err.mesos_text_truncated, 1);
    assert_int_equal(err.mesos_text_bytes, MC_PBJSON_MESOS_TEXT_BYTES_MAX - 1);
    struct mc_buf b;
    mc_buf_init(&b, 1u << 20, NULL);
    assert_int_equal(pbjson_error_text_append(&err, text, len, &b), 0);
    /* picojson quotes from the ',' it stopped at to the end of that line. */
    const char *rest = strchr(text, ',');
    size_t rest_len = (size_t)(strchr(text, '\n') - rest);
    assert_int_equal(b.len, strlen("syntax error at line 1 near: ") + rest_len);
    assert_memory_equal(mc_buf_str(&b) + strlen("syntax error at line 1 near: "), rest, rest_len);
    assert_memory_equal(mc_buf_str(&b), err.mesos_text, err.mesos_text_bytes);
    /* The buffer's limit is honoured and leaves it as it was. */
    struct mc_buf small;
    mc_buf_init(&small, 100, NULL);
    assert_int_equal(mc_buf_append_str(&small, "keep"), 0);
    assert_int_equal(pbjson_error_text_append(&err, text, len, &small), MC_ELIMIT);
    assert_string_equal(mc_buf_str(&small), "keep");
    mc_buf_deinit(&small);
    mc_buf_deinit(&b);
    /* Trailing characters are quoted whole as well. */
    memcpy(text, "{}  ", 4);
    assert_int_equal(pbjson_decode(ALL, text, len, NULL, &m, &err), MC_EPARSE);
    assert_int_equal(err.mesos_text_truncated, 1);
    mc_buf_init(&b, 1u << 20, NULL);
    assert_int_equal(pbjson_error_text_append(&err, text, len, &b), 0);
    const char *prefix = "Parsed JSON included non-whitespace trailing characters: ";
    assert_int_equal(b.len, strlen(prefix) + len - 2);
    assert_memory_equal(mc_buf_str(&b) + strlen(prefix), text + 2, len - 2);
    mc_buf_deinit(&b);
    free(text);
}

/* Every proper prefix of a valid object text is a clean syntax error. */
static void test_prefixes(void **state)
{
    (void)state;
    for (size_t r = 0; r < ROWS(valid_rows); r++) {
        const char *input = valid_rows[r].input;
        size_t len = strlen(input);
        while (len > 0 && strchr(" \t\r\n", input[len - 1]) != NULL)
            len--;
        for (size_t cut = 0; cut < len; cut++) {
            struct pbjson_error err;
            ProtobufCMessage *m = NULL;
            int rc = pbjson_decode(valid_rows[r].desc, input, cut, NULL, &m, &err);
            if (rc != MC_EPARSE || err.kind != PBJSON_ERR_SYNTAX)
                fail_msg("prefix %zu of %s: rc %d kind %d", cut, input, rc, err.kind);
            assert_null(m);
            assert_true(err.diag.has_offset && err.diag.offset <= cut);
        }
    }
}

/* ---- numbers written as rapidjson writes them ---- */

struct number_row {
    double value;
    const char *text;
};

static const struct number_row double_rows[] = {
    {15.0, "15.0"},
    {0.1, "0.1"},
    {-2.5, "-2.5"},
    {1e21, "1e21"},
    {1e20, "100000000000000000000.0"},
    {123456789012345678.0, "123456789012345680.0"},
    {1.5e-7, "1.5e-7"},
    {1e-6, "0.000001"},
    {1.25e-5, "0.0000125"},
    {123456.789, "123456.789"},
    {5e-324, "5e-324"},
    {1.7976931348623157e308, "1.7976931348623157e308"},
    {0.0, "0.0"},
    {-0.0, "-0.0"},
    {2.0 / 3.0, "0.6666666666666666"},
    {1e100, "1e100"},
    {1.23e-18, "1.23e-18"},
    {-1e-7, "-1e-7"},
    {4096.0, "4096.0"},
    /* Grisu2's digits read back exactly but are not always the closest. */
    {18446744073709551616.0, "18446744073709553000.0"},
    {279088.29329264956, "279088.29329264958"},
    {0.30000000000000004, "0.30000000000000007"}, /* 0.1 + 0.2 */
};

static void test_number_format(void **state)
{
    (void)state;
    for (size_t i = 0; i < ROWS(double_rows); i++) {
        Mc__Test__All m = MC__TEST__ALL__INIT;
        m.has_db = 1;
        m.db = double_rows[i].value;
        char *out = encode_text(&m.base);
        char want[64];
        snprintf(want, sizeof(want), "{\"db\":%s}", double_rows[i].text);
        assert_string_equal(out, want);
        ProtobufCMessage *back = decode_ok(ALL, out, strlen(out));
        assert_memory_equal(&((Mc__Test__All *)back)->db, &m.db, sizeof(double));
        protobuf_c_message_free_unpacked(back, NULL);
        free(out);
    }
    /* A float is written as the double it widens to, and reads back exactly. */
    static const float floats[] = {0.1f, 1.0f, 3.4028235e38f, 1e-45f, -7.25f};
    static const char *const float_texts[] = {"0.10000000149011612", "1.0",
                                              "3.4028234663852887e38", "1.401298464324817e-45",
                                              "-7.25"};
    for (size_t i = 0; i < ROWS(floats); i++) {
        Mc__Test__All m = MC__TEST__ALL__INIT;
        m.has_fl = 1;
        m.fl = floats[i];
        char *out = encode_text(&m.base);
        char want[64];
        snprintf(want, sizeof(want), "{\"fl\":%s}", float_texts[i]);
        assert_string_equal(out, want);
        ProtobufCMessage *back = decode_ok(ALL, out, strlen(out));
        assert_memory_equal(&((Mc__Test__All *)back)->fl, &m.fl, sizeof(float));
        protobuf_c_message_free_unpacked(back, NULL);
        free(out);
    }
}

/* Non-finite values: infinities as Mesos quotes them, NaN quoted by us. */
static void test_non_finite(void **state)
{
    (void)state;
    Mc__Test__All m = MC__TEST__ALL__INIT;
    double r_db[] = {1.0 / 0.0, -1.0 / 0.0, 0.0 / 0.0};
    m.n_r_db = 3;
    m.r_db = r_db;
    char *out = encode_text(&m.base);
    assert_string_equal(out, "{\"r_db\":[\"Infinity\",\"-Infinity\",\"NaN\"]}");
    /* NaN does not read back, exactly as in Mesos. */
    struct pbjson_error err;
    ProtobufCMessage *back;
    assert_int_equal(pbjson_decode(ALL, out, strlen(out), NULL, &back, &err), MC_EPARSE);
    assert_string_equal(err.mesos_text, "Failed to parse 'NaN' as a JSON number for field "
                                        "'r_db': syntax error at line 1 near: NaN");
    assert_string_equal(err.path, "r_db[2]");
    free(out);
    json_t *j = pbjson_to_json(&m.base);
    assert_non_null(j);
    char *dumped = json_dumps(j, JSON_COMPACT);
    assert_string_equal(dumped, "{\"r_db\":[\"Infinity\",\"-Infinity\",\"NaN\"]}");
    free(dumped);
    json_decref(j);
}

/* jansson input: integers above INT64_MAX as strings; nesting bounded. */
static void test_from_json(void **state)
{
    (void)state;
    json_t *j = json_pack("{s:s, s:[i, s], s:n}", "u64", "18446744073709551615", "r_i64", 1,
                          "-2", "inner");
    ProtobufCMessage *m = NULL;
    struct pbjson_error err;
    assert_int_equal(pbjson_from_json(ALL, j, NULL, &m, &err), 0);
    char *out = encode_text(m);
    assert_string_equal(out, "{\"u64\":18446744073709551615,\"r_i64\":[1,-2]}");
    json_t *back = pbjson_to_json(m);
    assert_string_equal(json_string_value(json_object_get(back, "u64")), "18446744073709551615");
    json_decref(back);
    free(out);
    protobuf_c_message_free_unpacked(m, NULL);
    json_decref(j);
    /* A conversion error has a path but no offset. */
    j = json_pack("{s:{s:i}}", "inner", "id", 5);
    assert_int_equal(pbjson_from_json(ALL, j, NULL, &m, &err), MC_EPARSE);
    assert_string_equal(err.mesos_text, "Not expecting a JSON number for field 'id'");
    assert_string_equal(err.path, "inner.id");
    assert_int_equal(err.diag.has_offset, 0);
    json_decref(j);
    /* Nesting past the limit is our limit error, not a crash. */
    j = json_array();
    for (int i = 0; i < MC_PBJSON_NESTING_MAX + 5; i++) {
        json_t *outer = json_array();
        json_array_append_new(outer, j);
        j = outer;
    }
    json_t *top = json_pack("{s:o}", "zzz", j);
    assert_int_equal(pbjson_from_json(ALL, top, NULL, &m, &err), MC_ELIMIT);
    assert_int_equal(err.kind, PBJSON_ERR_LIMIT);
    assert_null(m);
    json_decref(top);
}

/* ---- nesting ---- */

static char *nested_text(int levels)
{
    /* {"next":{"next":...{}...}}: one JSON object per level. */
    size_t cap = (size_t)levels * 10 + 8;
    char *t = malloc(cap);
    assert_non_null(t);
    size_t n = 0;
    for (int i = 1; i < levels; i++)
        n += (size_t)sprintf(t + n, "{\"next\":");
    t[n++] = '{';
    t[n++] = '}';
    for (int i = 1; i < levels; i++)
        t[n++] = '}';
    t[n] = '\0';
    return t;
}

static void test_nesting(void **state)
{
    (void)state;
    /* Mesos takes 200 levels of nesting and refuses the 201st. */
    char *ok = nested_text(MC_PBJSON_NESTING_MAX);
    ProtobufCMessage *m = decode_ok(TREE, ok, strlen(ok));
    char *out = encode_text(m);
    assert_string_equal(out, ok);
    free(out);
    /* One level more, built in memory, is refused by the encoder. */
    Mc__Test__Tree extra = MC__TEST__TREE__INIT;
    extra.next = (Mc__Test__Tree *)m;
    struct mc_buf b;
    mc_buf_init(&b, MC_PBJSON_INPUT_BYTES_MAX, NULL);
    assert_int_equal(mc_buf_append_str(&b, "x"), 0);
    assert_int_equal(pbjson_encode(&extra.base, &b), MC_ELIMIT);
    assert_string_equal(mc_buf_str(&b), "x");
    assert_null(pbjson_to_json(&extra.base));
    mc_buf_deinit(&b);
    protobuf_c_message_free_unpacked(m, NULL);
    free(ok);
    char *deep = nested_text(MC_PBJSON_NESTING_MAX + 1);
    struct pbjson_error err;
    assert_int_equal(pbjson_decode(TREE, deep, strlen(deep), NULL, &m, &err), MC_EPARSE);
    assert_int_equal(err.kind, PBJSON_ERR_SYNTAX);
    /* picojson stops just inside the 201st '{' and quotes the rest. */
    const char *at = deep + 8 * MC_PBJSON_NESTING_MAX + 1;
    char want[1024];
    snprintf(want, sizeof(want), "syntax error at line 1 near: %s", at);
    assert_string_equal(err.mesos_text, want);
    assert_int_equal(err.diag.offset, (uint64_t)(at - deep));
    assert_non_null(strstr(err.diag.text, "deeper"));
    free(deep);
    /* Arrays count too, even under a field nobody knows. */
    char arrays[2 * MC_PBJSON_NESTING_MAX + 16];
    int n = sprintf(arrays, "{\"x\":");
    for (int i = 0; i < MC_PBJSON_NESTING_MAX - 1; i++)
        arrays[n++] = '[';
    for (int i = 0; i < MC_PBJSON_NESTING_MAX - 1; i++)
        arrays[n++] = ']';
    strcpy(arrays + n, "}");
    m = decode_ok(ALL, arrays, strlen(arrays));
    protobuf_c_message_free_unpacked(m, NULL);
    memmove(arrays + 6, arrays + 5, strlen(arrays + 5) + 1);
    arrays[5] = '[';
    assert_int_equal(pbjson_decode(ALL, arrays, strlen(arrays), NULL, &m, &err), MC_EPARSE);
    assert_int_equal(err.kind, PBJSON_ERR_SYNTAX);
}

/* ---- oneof and memory layout ---- */

static void test_layout(void **state)
{
    (void)state;
    /* Fields are laid out as protobuf-c's unpacker lays them out. */
    const char *text = "{\"pick_m\":{\"id\":\"a\"},\"by\":\"\",\"s\":\"x\",\"r_s\":[],"
                       "\"color\":\"BLUE\",\"i32\":0}";
    Mc__Test__All *m = (Mc__Test__All *)decode_ok(ALL, text, strlen(text));
    assert_int_equal(m->pick_case, MC__TEST__ALL__PICK_PICK_M);
    assert_string_equal(m->pick_m->id, "a");
    assert_int_equal(m->has_by, 1);
    assert_int_equal(m->by.len, 0);
    assert_null(m->by.data);
    assert_int_equal(m->has_i32, 1);
    assert_int_equal(m->has_color, 1);
    assert_int_equal(m->color, MC__TEST__COLOR__BLUE);
    assert_int_equal(m->n_r_s, 0);
    assert_null(m->r_s);
    assert_int_equal(m->has_u32, 0);
    assert_null(m->inner);
    protobuf_c_message_free_unpacked(&m->base, NULL);
    /* Defaults stay in place when unset, and are replaced when set. */
    Mc__Test__Defaults *d = (Mc__Test__Defaults *)decode_ok(DEFAULTS, "{\"s\":\"hello\"}", 13);
    assert_string_equal(d->s, "hello");
    assert_ptr_not_equal(d->s, mc__test__defaults__s__default_value);
    assert_int_equal(d->has_i32, 0);
    assert_int_equal(d->i32, -7);
    protobuf_c_message_free_unpacked(&d->base, NULL);
}

/* Messages built by hand that decoding never makes: encoding still copes. */
static void test_encode_by_hand(void **state)
{
    (void)state;
    Mc__Test__All m = MC__TEST__ALL__INIT;
    Mc__Test__All__MUcEntry e1 = MC__TEST__ALL__MUC_ENTRY__INIT;
    Mc__Test__All__MLiEntry e2 = MC__TEST__ALL__MLI_ENTRY__INIT;
    Mc__Test__All__MUcEntry *uc[] = {&e1};
    Mc__Test__All__MLiEntry *li[] = {&e2};
    e1.key = 3;
    e1.has_value = 1;
    e1.value = (Mc__Test__Color)99; /* no name: written as the enum's default */
    e2.key = -4;                    /* no value message: written as {} */
    m.n_m_uc = 1;
    m.m_uc = uc;
    m.n_m_li = 1;
    m.m_li = li;
    Mc__Test__Color colors[] = {MC__TEST__COLOR__GREEN, (Mc__Test__Color)77, MC__TEST__COLOR__BLUE};
    m.n_r_color = 3;
    m.r_color = colors;
    m.has_color = 1;
    m.color = (Mc__Test__Color)42;
    char *out = encode_text(&m.base);
    assert_string_equal(out, "{\"r_color\":[\"GREEN\",\"BLUE\"],\"m_li\":{\"-4\":{}},"
                             "\"m_uc\":{\"3\":\"RED\"}}");
    free(out);
    /* Only unknown values: the field is left out, as if empty. */
    m.n_r_color = 1;
    m.r_color = colors + 1;
    m.n_m_uc = 0;
    m.n_m_li = 0;
    out = encode_text(&m.base);
    assert_string_equal(out, "{}");
    free(out);
    /* A NULL error pointer is allowed; the limits on input size hold. */
    ProtobufCMessage *msg = (ProtobufCMessage *)1;
    assert_int_equal(pbjson_decode(ALL, "[", 1, NULL, &msg, NULL), MC_EPARSE);
    assert_null(msg);
    json_t *j = json_array();
    assert_int_equal(pbjson_from_json(ALL, j, NULL, &msg, NULL), MC_EPARSE);
    json_decref(j);
    size_t big = (size_t)MC_PBJSON_INPUT_BYTES_MAX + 1;
    char *huge = calloc(1, big);
    assert_non_null(huge);
    struct pbjson_error err;
    assert_int_equal(pbjson_decode(ALL, huge, big, NULL, &msg, &err), MC_ELIMIT);
    assert_int_equal(err.kind, PBJSON_ERR_LIMIT);
    struct mc_diag diag;
    assert_int_equal(pbjson_unpack(ALL, (const uint8_t *)huge, big, NULL, &msg, &diag), MC_ELIMIT);
    free(huge);
}

/* ---- protobuf bytes ---- */

static void test_pack_unpack(void **state)
{
    (void)state;
    struct mc_diag diag;
    ProtobufCMessage *m = (ProtobufCMessage *)1;
    /* recorded: s.garbage-protobuf sent these bytes as a Call. */
    static const uint8_t garbage[] = {0xff, 0xff, 0xff, 0xff, 0x0f};
    assert_int_equal(pbjson_unpack(CALL, garbage, sizeof(garbage), NULL, &m, &diag), MC_EPARSE);
    assert_null(m);
    assert_non_null(strstr(diag.text, "mesos.v1.scheduler.Call"));
    /* A message without its required fields neither unpacks nor packs. */
    static const uint8_t only_b[] = {0x10, 0x01};
    assert_int_equal(pbjson_unpack(REQ, only_b, sizeof(only_b), NULL, &m, &diag), MC_EPARSE);
    Mc__Test__Req req = MC__TEST__REQ__INIT;
    struct mc_buf b;
    mc_buf_init(&b, 1024, NULL);
    assert_int_equal(pbjson_pack(&req.base, &b), MC_EINVAL);
    assert_int_equal(b.len, 0);
    /* An empty input is the empty message; a full buffer is MC_ELIMIT. */
    assert_int_equal(pbjson_unpack(ALL, NULL, 0, NULL, &m, &diag), 0);
    assert_non_null(m);
    protobuf_c_message_free_unpacked(m, NULL);
    Mc__Test__All all = MC__TEST__ALL__INIT;
    all.s = "0123456789";
    struct mc_buf tiny;
    mc_buf_init(&tiny, 5, NULL);
    assert_int_equal(pbjson_pack(&all.base, &tiny), MC_ELIMIT);
    assert_int_equal(tiny.len, 0);
    mc_buf_deinit(&tiny);
    mc_buf_deinit(&b);
}

/*
 * A map's key twice in protobuf bytes: C++ protobuf, and so Mesos, keeps
 * the last value; protobuf-c would keep both entries, which no JSON object
 * can hold (the protobuf fuzz target's round trip found it).
 */
static void test_unpack_map_keeps_the_last_value_of_a_key(void **state)
{
    (void)state;
    Mc__Test__All all = MC__TEST__ALL__INIT;
    Mc__Test__All__MSiEntry si[4];
    Mc__Test__All__MSiEntry *si_ptrs[4];
    const char *keys[4] = {"a", "b", "a", "c"};
    for (int i = 0; i < 4; i++) {
        mc__test__all__msi_entry__init(&si[i]);
        si[i].key = (char *)keys[i];
        si[i].has_value = 1;
        si[i].value = i + 1;
        si_ptrs[i] = &si[i];
    }
    all.n_m_si = 4;
    all.m_si = si_ptrs;
    Mc__Test__All__MBsEntry bs[3];
    Mc__Test__All__MBsEntry *bs_ptrs[3];
    for (int i = 0; i < 3; i++) {
        mc__test__all__mbs_entry__init(&bs[i]);
        bs[i].has_key = 1;
        bs[i].key = 1;
        bs[i].value = i == 2 ? "last" : "first";
        bs_ptrs[i] = &bs[i];
    }
    all.n_m_bs = 3;
    all.m_bs = bs_ptrs;
    struct mc_buf bytes, json;
    mc_buf_init(&bytes, 4096, NULL);
    mc_buf_init(&json, 4096, NULL);
    assert_int_equal(pbjson_pack(&all.base, &bytes), 0);
    ProtobufCMessage *m = NULL;
    struct mc_diag diag;
    assert_int_equal(pbjson_unpack(ALL, bytes.data, bytes.len, NULL, &m, &diag), 0);
    assert_int_equal(pbjson_encode(m, &json), 0);
    assert_non_null(strstr(mc_buf_str(&json), "\"m_si\":{\"b\":2,\"a\":3,\"c\":4}"));
    assert_non_null(strstr(mc_buf_str(&json), "\"m_bs\":{\"true\":\"last\"}"));
    protobuf_c_message_free_unpacked(m, NULL);
    /* Out of memory while at it: MC_ENOMEM, nothing leaked. */
    int failed = 0;
    for (uint64_t n = 0; n < 200; n++) {
        struct mc_alloc_counting counting;
        mc_alloc_counting_init(&counting, n);
        ProtobufCAllocator pa;
        pbjson_allocator_init(&pa, &counting.alloc);
        int rc = pbjson_unpack(ALL, bytes.data, bytes.len, &pa, &m, &diag);
        if (rc == 0)
            protobuf_c_message_free_unpacked(m, &pa);
        else
            failed++, assert_int_equal(rc, MC_ENOMEM);
        assert_int_equal(counting.live, 0);
    }
    assert_true(failed > 0);
    mc_buf_deinit(&bytes);
    mc_buf_deinit(&json);
}

/* ---- allocation failures ---- */

static const char alloc_text[] =
    "{\"i32\":1,\"s\":\"str\",\"by\":\"aGVsbG8=\",\"r_s\":[\"a\",\"b\",\"c\"],"
    "\"r_inner\":[{\"id\":\"x\"},{\"id\":\"y\",\"n\":2}],\"nested\":{\"again\":{\"label\":\"l\"}},"
    "\"m_li\":{\"1\":{\"id\":\"p\"},\"01\":{\"id\":\"q\"}},\"m_si\":[{\"a\":1},{\"a\":2}],"
    "\"pick_m\":{\"id\":\"z\"},\"pick_s\":\"w\",\"u64\":\"5\",\"r_by\":[\"AA==\"],"
    "\"r_color\":[\"RED\",\"X\"]}";

static void test_alloc_failures_decode(void **state)
{
    (void)state;
    int succeeded = 0;
    for (uint64_t n = 0; n < 10000 && !succeeded; n++) {
        struct mc_alloc_counting counting;
        mc_alloc_counting_init(&counting, n);
        ProtobufCAllocator pa;
        pbjson_allocator_init(&pa, &counting.alloc);
        struct pbjson_error err;
        ProtobufCMessage *m = NULL;
        int rc = pbjson_decode(ALL, alloc_text, sizeof(alloc_text) - 1, &pa, &m, &err);
        if (rc == 0) {
            succeeded = 1;
            char *out = encode_text(m);
            ProtobufCMessage *plain = decode_ok(ALL, alloc_text, sizeof(alloc_text) - 1);
            assert_same_message(m, plain);
            protobuf_c_message_free_unpacked(plain, NULL);
            free(out);
            protobuf_c_message_free_unpacked(m, &pa);
        } else {
            assert_int_equal(rc, MC_ENOMEM);
            assert_int_equal(err.kind, PBJSON_ERR_NOMEM);
            assert_null(m);
        }
        assert_int_equal(counting.live, 0);
    }
    assert_true(succeeded);
}

/*
 * Runs op with the Nth allocation failing, for N = 0, 1, 2, ... until it
 * succeeds; every failure must be MC_ENOMEM with nothing left allocated.
 */
struct alloc_case {
    ProtobufCMessage *src;
    json_t *json;
    struct mc_buf packed;
};

typedef int (*alloc_op_fn)(struct alloc_case *ac, struct mc_alloc_counting *counting);

static int op_from_json(struct alloc_case *ac, struct mc_alloc_counting *counting)
{
    ProtobufCAllocator pa;
    pbjson_allocator_init(&pa, &counting->alloc);
    struct pbjson_error err;
    ProtobufCMessage *m = NULL;
    int rc = pbjson_from_json(ALL, ac->json, &pa, &m, &err);
    if (rc == 0) {
        assert_same_message(m, ac->src);
        protobuf_c_message_free_unpacked(m, &pa);
    } else {
        assert_int_equal(err.kind, PBJSON_ERR_NOMEM);
        assert_null(m);
    }
    return rc;
}

static int op_unpack(struct alloc_case *ac, struct mc_alloc_counting *counting)
{
    ProtobufCAllocator pa;
    pbjson_allocator_init(&pa, &counting->alloc);
    struct mc_diag diag;
    ProtobufCMessage *m = NULL;
    int rc = pbjson_unpack(ALL, ac->packed.data, ac->packed.len, &pa, &m, &diag);
    if (rc == 0) {
        assert_same_message(m, ac->src);
        protobuf_c_message_free_unpacked(m, &pa);
    } else {
        assert_null(m);
    }
    return rc;
}

/* Encoding and packing into a buffer whose allocator fails keep the buffer. */
static int op_encode(struct alloc_case *ac, struct mc_alloc_counting *counting)
{
    struct mc_buf b;
    mc_buf_init(&b, MC_PBJSON_INPUT_BYTES_MAX, &counting->alloc);
    int rc = mc_buf_append_str(&b, "k");
    if (rc == 0) {
        rc = pbjson_encode(ac->src, &b);
        assert_true(rc == 0 || strcmp(mc_buf_str(&b), "k") == 0);
    }
    if (rc == 0) {
        size_t before = b.len;
        rc = pbjson_pack(ac->src, &b);
        assert_true(rc == 0 || b.len == before);
        assert_true(rc != 0 || b.len == before + ac->packed.len);
    }
    mc_buf_deinit(&b);
    return rc;
}

static void alloc_loop(struct alloc_case *ac, alloc_op_fn op)
{
    for (uint64_t n = 0; n < 100000; n++) {
        struct mc_alloc_counting counting;
        mc_alloc_counting_init(&counting, n);
        int rc = op(ac, &counting);
        assert_int_equal(counting.live, 0);
        if (rc == 0)
            return;
        assert_int_equal(rc, MC_ENOMEM);
    }
    fail_msg("never succeeded");
}

static void test_alloc_failures_other(void **state)
{
    (void)state;
    struct alloc_case ac;
    ac.src = decode_ok(ALL, alloc_text, sizeof(alloc_text) - 1);
    ac.json = pbjson_to_json(ac.src);
    assert_non_null(ac.json);
    pack_into(ac.src, &ac.packed);
    alloc_loop(&ac, op_from_json);
    alloc_loop(&ac, op_unpack);
    alloc_loop(&ac, op_encode);
    mc_buf_deinit(&ac.packed);
    json_decref(ac.json);
    protobuf_c_message_free_unpacked(ac.src, NULL);
}

/* ---- seeded random messages ---- */

struct rng {
    uint64_t state;
};

/* splitmix64: a fixed, portable sequence for a fixed seed. */
static uint64_t rng_next(struct rng *r)
{
    uint64_t z = (r->state += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

static uint64_t rng_below(struct rng *r, uint64_t n)
{
    return rng_next(r) % n;
}

/* Integers biased to the edges, where conversions go wrong. */
static uint64_t gen_bits(struct rng *r)
{
    static const uint64_t edges[] = {0,
                                     1,
                                     UINT64_MAX,
                                     0x7fffffffu,
                                     0x80000000u,
                                     0xffffffffu,
                                     0x7fffffffffffffffu,
                                     0x8000000000000000u,
                                     (uint64_t)-1000};
    if (rng_below(r, 3) == 0)
        return edges[rng_below(r, sizeof(edges) / sizeof(edges[0]))];
    return rng_next(r) >> rng_below(r, 64);
}

static double gen_double(struct rng *r)
{
    static const double edges[] = {0.0, -0.0, 1.0, 0.1, 1e21, 1e-7, 5e-324, 1.0 / 0.0, -1.0 / 0.0};
    if (rng_below(r, 3) == 0)
        return edges[rng_below(r, sizeof(edges) / sizeof(edges[0]))];
    for (;;) {
        uint64_t bits = rng_next(r);
        double d;
        memcpy(&d, &bits, sizeof(d));
        if (d == d) /* not NaN, which no JSON carries back */
            return d;
    }
}

static char *gen_string(struct rng *r)
{
    static const char *const pieces[] = {"a", "Z", " ", "\"", "\\", "/", "\x01", "\x1f", "\n",
                                         "\x7f", "\xc3\xa9", "\xf0\x9f\x98\x80", "\xff", "{"};
    size_t count = rng_below(r, 8);
    char *s = malloc(count * 4 + 1);
    assert_non_null(s);
    s[0] = '\0';
    for (size_t i = 0; i < count; i++)
        strcat(s, pieces[rng_below(r, sizeof(pieces) / sizeof(pieces[0]))]);
    return s;
}

static ProtobufCMessage *gen_message(struct rng *r, const ProtobufCMessageDescriptor *d,
                                     int depth);

static int test_is_map(const ProtobufCFieldDescriptor *f)
{
    if (f->label != PROTOBUF_C_LABEL_REPEATED || f->type != PROTOBUF_C_TYPE_MESSAGE)
        return 0;
    const ProtobufCMessageDescriptor *e = f->descriptor;
    size_t n = strlen(e->short_name);
    return e->n_fields == 2 && n > 5 && strcmp(e->short_name + n - 5, "Entry") == 0 &&
           strcmp(e->fields[0].name, "key") == 0 && strcmp(e->fields[1].name, "value") == 0;
}

/* One random value of f's type into slot, as protobuf-c stores it. */
static void gen_value(struct rng *r, const ProtobufCFieldDescriptor *f, void *slot, int depth)
{
    uint64_t bits = gen_bits(r);
    switch (f->type) {
    case PROTOBUF_C_TYPE_INT32:
    case PROTOBUF_C_TYPE_SINT32:
    case PROTOBUF_C_TYPE_SFIXED32:
    case PROTOBUF_C_TYPE_UINT32:
    case PROTOBUF_C_TYPE_FIXED32: {
        uint32_t v = (uint32_t)bits;
        memcpy(slot, &v, 4);
        break;
    }
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64:
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64:
        memcpy(slot, &bits, 8);
        break;
    case PROTOBUF_C_TYPE_FLOAT:
        *(float *)slot = (float)gen_double(r);
        break;
    case PROTOBUF_C_TYPE_DOUBLE:
        *(double *)slot = gen_double(r);
        break;
    case PROTOBUF_C_TYPE_BOOL:
        *(protobuf_c_boolean *)slot = (protobuf_c_boolean)(bits & 1);
        break;
    case PROTOBUF_C_TYPE_ENUM: {
        const ProtobufCEnumDescriptor *ed = f->descriptor;
        *(int *)slot = ed->values[rng_below(r, ed->n_values)].value;
        break;
    }
    case PROTOBUF_C_TYPE_STRING:
        *(char **)slot = gen_string(r);
        break;
    case PROTOBUF_C_TYPE_BYTES: {
        ProtobufCBinaryData *bd = slot;
        bd->len = rng_below(r, 6);
        bd->data = bd->len == 0 ? NULL : malloc(bd->len);
        for (size_t i = 0; i < bd->len; i++)
            bd->data[i] = (uint8_t)rng_next(r);
        break;
    }
    case PROTOBUF_C_TYPE_MESSAGE:
        *(ProtobufCMessage **)slot = gen_message(r, f->descriptor, depth + 1);
        break;
    }
}

static size_t type_size(ProtobufCType t)
{
    switch (t) {
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64:
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64:
    case PROTOBUF_C_TYPE_DOUBLE:
        return 8;
    case PROTOBUF_C_TYPE_STRING:
    case PROTOBUF_C_TYPE_MESSAGE:
        return sizeof(void *);
    case PROTOBUF_C_TYPE_BYTES:
        return sizeof(ProtobufCBinaryData);
    default:
        return 4;
    }
}

/* Map keys must differ, as protobuf keeps one entry per key. */
static int entry_key_taken(ProtobufCMessage **entries, size_t n, const ProtobufCMessage *e)
{
    const ProtobufCFieldDescriptor *kf = &e->descriptor->fields[0];
    for (size_t i = 0; i < n; i++) {
        const void *a = (const char *)entries[i] + kf->offset;
        const void *b = (const char *)e + kf->offset;
        if (kf->type == PROTOBUF_C_TYPE_STRING ? strcmp(*(char *const *)a, *(char *const *)b) == 0
                                               : memcmp(a, b, type_size(kf->type)) == 0)
            return 1;
    }
    return 0;
}

/* A map key as its JSON object key text (the decoder orders entries by it). */
static const char *entry_key_text(const ProtobufCMessage *e, char *buf)
{
    const ProtobufCFieldDescriptor *kf = &e->descriptor->fields[0];
    const void *k = (const char *)e + kf->offset;
    switch (kf->type) {
    case PROTOBUF_C_TYPE_STRING:
        return *(char *const *)k;
    case PROTOBUF_C_TYPE_BOOL:
        return *(const protobuf_c_boolean *)k ? "true" : "false";
    case PROTOBUF_C_TYPE_INT32:
    case PROTOBUF_C_TYPE_SINT32:
    case PROTOBUF_C_TYPE_SFIXED32:
        sprintf(buf, "%d", *(const int32_t *)k);
        return buf;
    case PROTOBUF_C_TYPE_UINT32:
    case PROTOBUF_C_TYPE_FIXED32:
        sprintf(buf, "%u", *(const uint32_t *)k);
        return buf;
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64:
        sprintf(buf, "%llu", (unsigned long long)*(const uint64_t *)k);
        return buf;
    default:
        sprintf(buf, "%lld", (long long)*(const int64_t *)k);
        return buf;
    }
}

static int entry_cmp(const void *pa, const void *pb)
{
    char ba[32], bb[32];
    return strcmp(entry_key_text(*(ProtobufCMessage *const *)pa, ba),
                  entry_key_text(*(ProtobufCMessage *const *)pb, bb));
}

/* A map entry with both key and value present, as the decoder leaves it. */
static ProtobufCMessage *gen_entry(struct rng *r, const ProtobufCMessageDescriptor *d, int depth)
{
    ProtobufCMessage *e = calloc(1, d->sizeof_message);
    assert_non_null(e);
    protobuf_c_message_init(d, e);
    for (unsigned i = 0; i < 2; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields[i];
        gen_value(r, f, (char *)e + f->offset, depth);
        if (f->type != PROTOBUF_C_TYPE_STRING && f->type != PROTOBUF_C_TYPE_MESSAGE)
            *(protobuf_c_boolean *)((char *)e + f->quantifier_offset) = 1;
    }
    return e;
}

static void gen_repeated(struct rng *r, const ProtobufCFieldDescriptor *f, ProtobufCMessage *m,
                         int depth)
{
    size_t max = depth >= 2 ? 2 : 4;
    size_t n = f->type == PROTOBUF_C_TYPE_MESSAGE && depth >= 3 ? 0 : rng_below(r, max);
    if (n == 0)
        return;
    size_t size = type_size(f->type);
    char *arr = calloc(n, size);
    assert_non_null(arr);
    size_t kept = 0;
    for (size_t i = 0; i < n; i++) {
        if (test_is_map(f)) {
            ProtobufCMessage *e = gen_entry(r, f->descriptor, depth);
            if (entry_key_taken((ProtobufCMessage **)arr, kept, e))
                protobuf_c_message_free_unpacked(e, NULL);
            else
                ((ProtobufCMessage **)arr)[kept++] = e;
        } else {
            gen_value(r, f, arr + kept++ * size, depth);
        }
    }
    if (test_is_map(f))
        qsort(arr, kept, sizeof(ProtobufCMessage *), entry_cmp);
    *(size_t *)((char *)m + f->quantifier_offset) = kept;
    *(void **)((char *)m + f->offset) = arr;
}

/*
 * A random message: required fields always, optional ones with a declared
 * default always (an unset one would be written with its default and read
 * back as set, by Mesos' rules), other optional ones at random, at most one
 * member per oneof, and message fields only down to a bounded depth.
 */
static ProtobufCMessage *gen_message(struct rng *r, const ProtobufCMessageDescriptor *d, int depth)
{
    ProtobufCMessage *m = calloc(1, d->sizeof_message);
    assert_non_null(m);
    protobuf_c_message_init(d, m);
    for (unsigned i = 0; i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields[i];
        void *member = (char *)m + f->offset;
        if (f->label == PROTOBUF_C_LABEL_REPEATED) {
            gen_repeated(r, f, m, depth);
            continue;
        }
        int deep = f->type == PROTOBUF_C_TYPE_MESSAGE && depth >= 3;
        if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
            uint32_t *which = (uint32_t *)((char *)m + f->quantifier_offset);
            if (*which != 0 || deep || rng_below(r, 3) != 0)
                continue;
            *which = f->id;
            gen_value(r, f, member, depth);
            continue;
        }
        int set = f->label == PROTOBUF_C_LABEL_REQUIRED ||
                  (f->default_value != NULL && !(f->flags & PROTOBUF_C_FIELD_FLAG_DEPRECATED)) ||
                  (!deep && rng_below(r, 2) == 0);
        if (!set)
            continue;
        gen_value(r, f, member, depth);
        if (f->label == PROTOBUF_C_LABEL_OPTIONAL && f->type != PROTOBUF_C_TYPE_STRING &&
            f->type != PROTOBUF_C_TYPE_MESSAGE)
            *(protobuf_c_boolean *)((char *)m + f->quantifier_offset) = 1;
    }
    return m;
}

/* The properties, for one random message. */
static void property_check(const ProtobufCMessage *m)
{
    char *text = encode_text(m);
    struct pbjson_error err;
    ProtobufCMessage *back = NULL;
    int rc = pbjson_decode(m->descriptor, text, strlen(text), NULL, &back, &err);
    if (rc != 0)
        fail_msg("%s: %s does not read back: %s", m->descriptor->name, text, err.diag.text);
    char *again = encode_text(back);
    if (!same_message(m, back) || strcmp(text, again) != 0)
        fail_msg("%s: %s read back differently: %s", m->descriptor->name, text, again);
    assert_pack_round_trip(m);
    assert_jansson_round_trip(m);
    free(again);
    free(text);
    protobuf_c_message_free_unpacked(back, NULL);
}

static void property_run(const ProtobufCMessageDescriptor *d, uint64_t seed, int rounds)
{
    struct rng r = {seed};
    for (int i = 0; i < rounds; i++) {
        ProtobufCMessage *m = gen_message(&r, d, 0);
        property_check(m);
        protobuf_c_message_free_unpacked(m, NULL);
    }
}

static void test_property_test_proto(void **state)
{
    (void)state;
    const ProtobufCMessageDescriptor *const descs[] = {
        ALL, DEFAULTS, REQ, TREE, &mc__test__inner__descriptor, &mc__test__all__nested__descriptor,
    };
    for (size_t i = 0; i < ROWS(descs); i++)
        property_run(descs[i], 0x5eed0000u + i, 300);
}

static void test_property_registry(void **state)
{
    (void)state;
    size_t count = proto_registry_count();
    assert_true(count > 100);
    for (size_t i = 0; i < count; i++)
        property_run(proto_registry_at(i), 0xc0ffee00u + i, 25);
}

/* ---- pbjson_pack against protobuf-c ---- */

/*
 * pbjson_pack writes the bytes itself, in one walk from the end; they must
 * be protobuf-c's, byte for byte, and it must refuse exactly what
 * protobuf_c_message_check refuses. pack_reference packs as protobuf-c
 * does: check, measure, pack.
 */
static int pack_reference(const ProtobufCMessage *m, struct mc_buf *out)
{
    mc_buf_init(out, 1u << 30, NULL);
    if (!protobuf_c_message_check(m))
        return MC_EINVAL;
    size_t size = protobuf_c_message_get_packed_size(m);
    uint8_t *at;
    assert_int_equal(mc_buf_grow(out, size, &at), 0);
    assert_int_equal(protobuf_c_message_pack(m, at), size);
    return 0;
}

/* Packs after what out holds: our bytes must be protobuf-c's; returns their count. */
static size_t assert_packs_like_protobuf_c(const ProtobufCMessage *m)
{
    struct mc_buf ours, ref;
    assert_int_equal(pack_reference(m, &ref), 0);
    mc_buf_init(&ours, 1u << 30, NULL);
    assert_int_equal(mc_buf_append_str(&ours, "head"), 0);
    assert_int_equal(pbjson_pack(m, &ours), 0);
    if (ours.len != ref.len + 4 || (ref.len > 0 && memcmp(ours.data + 4, ref.data, ref.len) != 0))
        fail_msg("%s: %zu bytes packed where protobuf-c packs %zu, or other bytes",
                 m->descriptor->name, ours.len - 4, ref.len);
    assert_memory_equal(ours.data, "head", 4);
    size_t n = ref.len;
    mc_buf_deinit(&ours);
    mc_buf_deinit(&ref);
    return n;
}

/* A message protobuf-c refuses to pack: MC_EINVAL, and out as it was. */
static void assert_pack_refused(const ProtobufCMessage *m)
{
    assert_false(protobuf_c_message_check(m));
    struct mc_buf b;
    mc_buf_init(&b, 1u << 30, NULL);
    assert_int_equal(mc_buf_append_str(&b, "head"), 0);
    assert_int_equal(pbjson_pack(m, &b), MC_EINVAL);
    assert_int_equal(b.len, 4);
    assert_string_equal(mc_buf_str(&b), "head");
    mc_buf_deinit(&b);
}

/* A copy of a descriptor whose fields may be changed, for what no .proto of ours declares. */
struct desc_copy {
    ProtobufCMessageDescriptor d;
    ProtobufCFieldDescriptor fields[64];
};

static void desc_copy_init(struct desc_copy *c, const ProtobufCMessageDescriptor *d)
{
    assert_true(d->n_fields <= ROWS(c->fields));
    c->d = *d;
    memcpy(c->fields, d->fields, d->n_fields * sizeof(c->fields[0]));
    c->d.fields = c->fields;
}

/* m packed as if its type were c's (the same layout), by both packers. */
static void assert_packs_like_protobuf_c_as(ProtobufCMessage *m, const struct desc_copy *c)
{
    const ProtobufCMessageDescriptor *real = m->descriptor;
    m->descriptor = &c->d;
    assert_packs_like_protobuf_c(m);
    m->descriptor = real;
}

static void test_pack_like_protobuf_c(void **state)
{
    (void)state;
    /* Random messages of every type: every field type, label and nesting. */
    for (size_t i = 0; i < proto_registry_count(); i++) {
        struct rng r = {0xbade0000u + i};
        for (int k = 0; k < 20; k++) {
            ProtobufCMessage *m = gen_message(&r, proto_registry_at(i), 0);
            assert_packs_like_protobuf_c(m);
            protobuf_c_message_free_unpacked(m, NULL);
        }
    }
    /* Packed repeated fields and proto3 fields without presence, which no
     * .proto of ours has: the same messages, under changed descriptors. */
    struct desc_copy packed, plain;
    desc_copy_init(&packed, ALL);
    desc_copy_init(&plain, ALL);
    for (unsigned f = 0; f < ALL->n_fields; f++) {
        ProtobufCType t = ALL->fields[f].type;
        int numeric = t != PROTOBUF_C_TYPE_STRING && t != PROTOBUF_C_TYPE_BYTES &&
                      t != PROTOBUF_C_TYPE_MESSAGE;
        if (ALL->fields[f].label == PROTOBUF_C_LABEL_REPEATED && numeric)
            packed.fields[f].flags |= PROTOBUF_C_FIELD_FLAG_PACKED;
        if (ALL->fields[f].label == PROTOBUF_C_LABEL_OPTIONAL &&
            !(ALL->fields[f].flags & PROTOBUF_C_FIELD_FLAG_ONEOF))
            plain.fields[f].label = PROTOBUF_C_LABEL_NONE;
    }
    const ProtobufCMessageDescriptor *const descs[] = {
        ALL, DEFAULTS, REQ, TREE, &mc__test__inner__descriptor, &mc__test__all__nested__descriptor,
    };
    for (size_t i = 0; i < ROWS(descs); i++) {
        struct rng r = {0xfeed0000u + i};
        for (int k = 0; k < 300; k++) {
            ProtobufCMessage *m = gen_message(&r, descs[i], 0);
            assert_packs_like_protobuf_c(m);
            if (descs[i] == ALL) {
                assert_packs_like_protobuf_c_as(m, &packed);
                assert_packs_like_protobuf_c_as(m, &plain);
            }
            protobuf_c_message_free_unpacked(m, NULL);
        }
    }
    /* Zeros of fields without presence are left out (-0.0 too, as protobuf-c
     * judges it); negative int32 and enum values take ten bytes. */
    Mc__Test__All a = MC__TEST__ALL__INIT;
    a.has_i32 = a.has_db = a.has_fl = a.has_color = a.has_b = a.has_by = 1;
    a.i32 = -1;
    a.db = -0.0;
    a.color = (Mc__Test__Color)-5;
    a.s = "";
    int32_t ints[] = {-1, INT32_MIN, 0, INT32_MAX, 127, 128};
    a.n_r_i32 = ROWS(ints);
    a.r_i32 = ints;
    assert_packs_like_protobuf_c(&a.base);
    assert_packs_like_protobuf_c_as(&a.base, &packed);
    assert_packs_like_protobuf_c_as(&a.base, &plain);
    /* Unknown fields come back after the known ones, in the order they came. */
    static const char unknown[] = "\xb8\x06\x96\x01"          /* field 103, varint 150 */
                                  "\x08\x05"                  /* i32 = 5 */
                                  "\x99\x06\1\2\3\4\5\6\7\10" /* field 99, 64-bit */
                                  "\xa2\x06\x03"
                                  "abc"                       /* field 100, length-delimited */
                                  "\xad\x06\x09\x08\x07\x06"; /* field 101, 32-bit */
    ProtobufCMessage *u = NULL;
    struct mc_diag diag;
    assert_int_equal(
        pbjson_unpack(ALL, (const uint8_t *)unknown, sizeof(unknown) - 1, NULL, &u, &diag), 0);
    assert_int_equal(u->n_unknown_fields, 4);
    assert_packs_like_protobuf_c(u);
    protobuf_c_message_free_unpacked(u, NULL);
}

/* A Tree of kids labelled at length, past what pbjson_pack packs on its stack. */
static Mc__Test__Tree *big_tree(size_t kids, size_t label_len)
{
    Mc__Test__Tree *t = calloc(1, sizeof(*t));
    assert_non_null(t);
    mc__test__tree__init(t);
    t->kids = calloc(kids, sizeof(*t->kids));
    assert_non_null(t->kids);
    for (size_t i = 0; i < kids; i++) {
        Mc__Test__Tree *k = calloc(1, sizeof(*k));
        assert_non_null(k);
        mc__test__tree__init(k);
        k->label = malloc(label_len + 1);
        assert_non_null(k->label);
        memset(k->label, 'a' + (int)(i % 26), label_len);
        k->label[label_len] = '\0';
        t->kids[t->n_kids++] = k;
    }
    return t;
}

static void test_pack_big(void **state)
{
    (void)state;
    /* Measured first, then written: whole, nested, and with a sub-message
     * longer than 16383 bytes (a three-byte length). */
    Mc__Test__Tree *t = big_tree(3000, 20);
    assert_true(assert_packs_like_protobuf_c(&t->base) > 65536);
    Mc__Test__Tree *top = calloc(1, sizeof(*top));
    assert_non_null(top);
    mc__test__tree__init(top);
    top->next = t;
    top->label = strdup("top");
    assert_packs_like_protobuf_c(&top->base);
    protobuf_c_message_free_unpacked(&top->base, NULL);
    for (size_t kids = 1; kids < 2000; kids = kids * 3 + 1) {
        Mc__Test__Tree *s = big_tree(kids, kids % 300);
        assert_packs_like_protobuf_c(&s->base);
        protobuf_c_message_free_unpacked(&s->base, NULL);
    }
    /* Sizes around the stack buffer's, one byte at a time. */
    Mc__Test__All a = MC__TEST__ALL__INIT;
    static uint8_t blob[70000];
    for (size_t i = 0; i < sizeof(blob); i++)
        blob[i] = (uint8_t)(i * 7);
    a.has_by = 1;
    a.by.data = blob;
    for (size_t len = 32700; len < 32800; len++) {
        a.by.len = len;
        assert_packs_like_protobuf_c(&a.base);
    }
    /* Random messages grown past the stack buffer with a big field. */
    struct rng r = {0xb16b16u};
    for (int k = 0; k < 200; k++) {
        Mc__Test__All *m = (Mc__Test__All *)gen_message(&r, ALL, 0);
        uint8_t *small = m->by.data;
        size_t small_len = m->by.len;
        protobuf_c_boolean had = m->has_by;
        m->has_by = 1;
        m->by.data = blob;
        m->by.len = 33000 + (size_t)k * 150;
        assert_packs_like_protobuf_c(&m->base);
        m->has_by = had;
        m->by.data = small;
        m->by.len = small_len;
        protobuf_c_message_free_unpacked(&m->base, NULL);
    }
    /* The limit is checked on the exact size, big or small. */
    a.by.len = 40000;
    struct mc_buf tight;
    size_t exact = assert_packs_like_protobuf_c(&a.base);
    mc_buf_init(&tight, exact, NULL);
    assert_int_equal(pbjson_pack(&a.base, &tight), 0);
    assert_int_equal(tight.len, exact);
    mc_buf_deinit(&tight);
    mc_buf_init(&tight, exact - 1, NULL);
    assert_int_equal(pbjson_pack(&a.base, &tight), MC_ELIMIT);
    assert_int_equal(tight.len, 0);
    mc_buf_deinit(&tight);
}

/*
 * Every way a message can be incomplete for protobuf-c, at the top and
 * below, each small and again behind a field big enough that the message is
 * measured first (the walk then meets the field before or after the fault).
 */
static void test_pack_refused(void **state)
{
    (void)state;
    static uint8_t blob[40000];
    for (int big = 0; big < 2; big++) {
        /* Req's fields are written from the last (sub) to the first (a). */
        Mc__Test__Inner in_ok = MC__TEST__INNER__INIT, in_bad = MC__TEST__INNER__INIT;
        in_ok.id = "i";
        Mc__Test__Req r = MC__TEST__REQ__INIT, sub = MC__TEST__REQ__INIT;
        r.a = "a";
        r.must = &in_ok;
        if (big) {
            r.raw.len = sizeof(blob);
            r.raw.data = blob;
        }
        assert_packs_like_protobuf_c(&r.base);
        r.a = NULL; /* a required string */
        assert_pack_refused(&r.base);
        r.a = "a";
        r.must = NULL; /* a required message */
        assert_pack_refused(&r.base);
        r.must = &in_bad; /* a required string below */
        assert_pack_refused(&r.base);
        r.must = &in_ok;
        r.one = &in_bad; /* below an optional message */
        assert_pack_refused(&r.base);
        r.one = NULL;
        Mc__Test__Inner *many[] = {&in_ok, &in_bad};
        r.n_many = 2; /* in an element of a repeated message */
        r.many = many;
        assert_pack_refused(&r.base);
        many[1] = NULL; /* an element that is not there */
        assert_pack_refused(&r.base);
        r.many = NULL; /* elements counted but not there */
        assert_pack_refused(&r.base);
        r.n_many = 0;
        Mc__Test__Req__ByNameEntry e = MC__TEST__REQ__BY_NAME_ENTRY__INIT;
        Mc__Test__Req__ByNameEntry *entries[] = {&e};
        e.key = "k";
        e.value = &in_bad; /* in a map's value */
        r.n_by_name = 1;
        r.by_name = entries;
        assert_pack_refused(&r.base);
        e.value = NULL; /* a map value left out is fine */
        assert_packs_like_protobuf_c(&r.base);
        r.n_by_name = 0;
        sub.a = "s"; /* in a sub-message of the same type, written first */
        r.sub = &sub;
        assert_pack_refused(&r.base);
        sub.must = &in_ok;
        assert_packs_like_protobuf_c(&r.base);
        sub.raw.len = 3; /* required bytes with a length but no data */
        assert_pack_refused(&r.base);
        sub.raw.len = 0;
        if (!big) {
            r.raw.len = 2;
            assert_pack_refused(&r.base);
            r.raw.len = 0;
        }
        assert_packs_like_protobuf_c(&r.base);
        /* A descriptor that is not one. */
        struct desc_copy broken;
        desc_copy_init(&broken, &mc__test__inner__descriptor);
        broken.d.magic = 0;
        in_ok.base.descriptor = &broken.d;
        assert_pack_refused(&r.base);
        in_ok.base.descriptor = &mc__test__inner__descriptor;

        /* All's fields: repeated strings and bytes, optional bytes. */
        Mc__Test__All a = MC__TEST__ALL__INIT;
        if (big) { /* by (15) is written after the repeated fields (20 on) */
            a.has_by = 1;
            a.by.len = sizeof(blob);
            a.by.data = blob;
        }
        char *strs[] = {"x", NULL};
        a.n_r_s = 2;
        a.r_s = strs;
        assert_pack_refused(&a.base);
        a.r_s = NULL;
        assert_pack_refused(&a.base);
        a.n_r_s = 0;
        ProtobufCBinaryData bds[] = {{1, blob}, {2, NULL}};
        a.n_r_by = 2;
        a.r_by = bds;
        assert_pack_refused(&a.base);
        bds[1].len = 0; /* empty bytes need no data */
        assert_packs_like_protobuf_c(&a.base);
        a.n_r_by = 0;
        a.n_r_i32 = 1;
        assert_pack_refused(&a.base);
        a.n_r_i32 = 0;
        a.has_by = 1;
        a.by.len = 5;
        a.by.data = NULL;
        assert_pack_refused(&a.base);
        a.has_by = 0; /* not set: not packed, not checked */
        assert_packs_like_protobuf_c(&a.base);
        Mc__Test__Inner pick = MC__TEST__INNER__INIT;
        a.pick_case = MC__TEST__ALL__PICK_PICK_M;
        a.pick_m = &pick; /* a oneof's message */
        assert_pack_refused(&a.base);
        a.pick_case = MC__TEST__ALL__PICK_PICK_I; /* not chosen: not looked at */
        assert_packs_like_protobuf_c(&a.base);
    }
}

/* ---- pbjson_unpack against protobuf-c ---- */

/*
 * pbjson_unpack decodes the wire format itself, in one pass; it must give
 * what protobuf-c's unpacker followed by C++'s rules gives
 * (pbjson_unpack_protobuf_c): the same refusals with the same texts, and
 * messages alike field for field, set or not. Compared on random messages
 * of every type, on seeded mutations of their bytes and with every
 * allocation failing in turn.
 */

static int tree_same(const ProtobufCMessage *a, const ProtobufCMessage *b, char *where, size_t cap);

/* Whether two values of f's type are alike, as protobuf-c holds them. */
static int value_same(const ProtobufCFieldDescriptor *f, const void *a, const void *b, char *where,
                      size_t cap)
{
    switch (f->type) {
    case PROTOBUF_C_TYPE_STRING: {
        const char *sa = *(char *const *)a, *sb = *(char *const *)b;
        if (sa == f->default_value || sb == f->default_value || sa == NULL || sb == NULL)
            return sa == sb;
        return strcmp(sa, sb) == 0;
    }
    case PROTOBUF_C_TYPE_BYTES: {
        const ProtobufCBinaryData *ba = a, *bb = b;
        const ProtobufCBinaryData *def = f->default_value;
        if (ba->len != bb->len || (ba->data == NULL) != (bb->data == NULL))
            return 0;
        if (def != NULL && (ba->data == def->data || bb->data == def->data))
            return ba->data == bb->data;
        return ba->len == 0 || memcmp(ba->data, bb->data, ba->len) == 0;
    }
    case PROTOBUF_C_TYPE_MESSAGE:
        return tree_same(*(ProtobufCMessage *const *)a, *(ProtobufCMessage *const *)b, where, cap);
    default:
        return memcmp(a, b, type_size(f->type)) == 0;
    }
}

/* Whether a and b hold the same, field by field (unset values too); else where says which. */
static int tree_same(const ProtobufCMessage *a, const ProtobufCMessage *b, char *where, size_t cap)
{
    if (a == NULL || b == NULL)
        return a == b;
    const ProtobufCMessageDescriptor *d = a->descriptor;
    if (b->descriptor != d)
        return snprintf(where, cap, "descriptor"), 0;
    for (unsigned i = 0; i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields[i];
        const char *ma = (const char *)a + f->offset, *mb = (const char *)b + f->offset;
        const void *qa = (const char *)a + f->quantifier_offset;
        const void *qb = (const char *)b + f->quantifier_offset;
        int same = 1;
        if (f->label == PROTOBUF_C_LABEL_REPEATED) {
            size_t n = *(const size_t *)qa;
            same = n == *(const size_t *)qb;
            for (size_t k = 0; same && k < n; k++) {
                size_t size = type_size(f->type);
                same = value_same(f, *(char *const *)ma + k * size, *(char *const *)mb + k * size,
                                  where, cap);
            }
        } else if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
            uint32_t which = *(const uint32_t *)qa;
            same = which == *(const uint32_t *)qb &&
                   (which != f->id || value_same(f, ma, mb, where, cap));
        } else {
            same = value_same(f, ma, mb, where, cap) &&
                   (f->quantifier_offset == 0 || f->type == PROTOBUF_C_TYPE_STRING ||
                    f->type == PROTOBUF_C_TYPE_MESSAGE ||
                    *(const protobuf_c_boolean *)qa == *(const protobuf_c_boolean *)qb);
        }
        if (!same) {
            if (where[0] == '\0')
                snprintf(where, cap, "%s.%s", d->name, f->name);
            return 0;
        }
    }
    if (a->n_unknown_fields != b->n_unknown_fields)
        return snprintf(where, cap, "%s: unknown fields", d->name), 0;
    for (unsigned u = 0; u < a->n_unknown_fields; u++) {
        const ProtobufCMessageUnknownField *ua = &a->unknown_fields[u], *ub = &b->unknown_fields[u];
        if (ua->tag != ub->tag || ua->wire_type != ub->wire_type || ua->len != ub->len ||
            memcmp(ua->data, ub->data, ua->len) != 0)
            return snprintf(where, cap, "%s: unknown field %u", d->name, u), 0;
    }
    return 1;
}

static void hex_into(char *out, size_t cap, const uint8_t *data, size_t len)
{
    size_t n = 0;
    for (size_t i = 0; i < len && n + 4 < cap; i++)
        n += (size_t)snprintf(out + n, cap - n, "%02x", data[i]);
    if (n + 4 >= cap)
        snprintf(out + n, cap - n, "...");
}

/* How the compared unpacks ended, to show that every path was taken. */
struct unpack_tally {
    size_t ok, parse, field_zero, unnamed, no_value;
};

/* data unpacked both ways must agree; returns the outcome. */
static int assert_unpacks_like_protobuf_c(const ProtobufCMessageDescriptor *d, const uint8_t *data,
                                          size_t len, struct unpack_tally *tally)
{
    ProtobufCMessage *ours = NULL, *ref = NULL;
    struct mc_diag dours, dref;
    int rc = pbjson_unpack(d, data, len, NULL, &ours, &dours);
    int rc_ref = pbjson_unpack_protobuf_c(d, data, len, NULL, &ref, &dref);
    char where[256] = "";
    if (rc != rc_ref || strcmp(dours.text, dref.text) != 0 ||
        (rc == 0 && (!tree_same(ours, ref, where, sizeof(where)) || !same_message(ours, ref)))) {
        char hex[1024];
        hex_into(hex, sizeof(hex), data, len);
        fail_msg("%s from %zu bytes %s:\n  ours %d [%s]\n  protobuf-c %d [%s]\n  differ at %s",
                 d->name, len, hex, rc, dours.text, rc_ref, dref.text, where);
    }
    if (tally != NULL) {
        tally->ok += rc == 0;
        tally->parse += rc == MC_EPARSE;
        tally->field_zero += strstr(dours.text, "numbered 0") != NULL;
        tally->unnamed += strstr(dours.text, "does not name") != NULL;
        tally->no_value += strstr(dours.text, "without its value") != NULL;
    }
    protobuf_c_message_free_unpacked(ours, NULL);
    protobuf_c_message_free_unpacked(ref, NULL);
    return rc;
}

/* Bytes being mutated. */
struct mutant {
    uint8_t *p;
    size_t len;
};

static void mutant_insert(struct mutant *m, size_t at, const uint8_t *src, size_t n)
{
    uint8_t *grown = realloc(m->p, m->len + n + 1);
    assert_non_null(grown);
    m->p = grown;
    memmove(m->p + at + n, m->p + at, m->len - at);
    memcpy(m->p + at, src, n);
    m->len += n;
}

static void mutant_erase(struct mutant *m, size_t at, size_t n)
{
    memmove(m->p + at, m->p + at + n, m->len - at - n);
    m->len -= n;
}

static size_t put_varint(uint8_t *out, uint64_t v)
{
    size_t n = 0;
    for (; v >= 0x80; v >>= 7)
        out[n++] = (uint8_t)(v | 0x80);
    out[n++] = (uint8_t)v;
    return n;
}

/* Where a top-level field of well-formed bytes lies: key, length prefix, value. */
struct field_at {
    size_t start, key, pref, end;
    uint64_t number;
    unsigned wire;
};

/* The top-level fields of p, as far as they parse. */
static size_t fields_of(const uint8_t *p, size_t len, struct field_at *out, size_t max)
{
    size_t n = 0, at = 0;
    while (at < len && n < max) {
        struct field_at f = {at, 0, 0, 0, 0, 0};
        uint64_t v = 0;
        size_t i = 0;
        for (; at + i < len && i < 10; i++) {
            v |= (uint64_t)(p[at + i] & 0x7f) << (7 * i);
            if (p[at + i] < 0x80)
                break;
        }
        if (at + i >= len || i == 10)
            break;
        f.key = i + 1;
        f.number = v >> 3;
        f.wire = (unsigned)(v & 7);
        size_t body = at + f.key;
        if (f.wire == 0) {
            for (i = 0; body + i < len && p[body + i] >= 0x80; i++)
                ;
            f.end = body + i + 1;
        } else if (f.wire == 1 || f.wire == 5) {
            f.end = body + (f.wire == 1 ? 8 : 4);
        } else if (f.wire == 2) {
            uint64_t l = 0;
            for (i = 0; body + i < len && i < 5; i++) {
                l |= (uint64_t)(p[body + i] & 0x7f) << (7 * i);
                if (p[body + i] < 0x80)
                    break;
            }
            if (body + i >= len || i == 5)
                break;
            f.pref = i + 1;
            f.end = body + f.pref + l;
        } else {
            break;
        }
        if (f.end > len)
            break;
        out[n++] = f;
        at = f.end;
    }
    return n;
}

/* A random value of wire type wire (a bad one at times). */
static size_t random_value(struct rng *r, unsigned wire, uint8_t *out)
{
    size_t n = 0;
    switch (wire) {
    case 0:
        if (rng_below(r, 8) == 0) { /* eleven bytes: too long */
            memset(out, 0xff, 10);
            out[10] = 1;
            return 11;
        }
        return put_varint(out, gen_bits(r));
    case 1:
    case 5:
        n = wire == 1 ? 8 : 4;
        for (size_t i = 0; i < n; i++)
            out[i] = (uint8_t)rng_next(r);
        return n;
    case 2: {
        /* A short payload: bytes, a packed run of varints, or a small message. */
        size_t body = rng_below(r, 9);
        n = put_varint(out, body);
        for (size_t i = 0; i < body; i++)
            out[n++] = (uint8_t)(rng_below(r, 2) ? rng_next(r) : 0x08 | rng_below(r, 3));
        return n;
    }
    default: /* groups and undefined wire types carry nothing we know */
        return 0;
    }
}

/* The field numbers mutations like best: d's own, 0, and the edges of keys. */
static uint64_t random_number(struct rng *r, const ProtobufCMessageDescriptor *d)
{
    static const uint64_t edges[] = {0, 1, 15, 16, 2047, 2048, 536870911, 1u << 28, 99};
    if (d != NULL && d->n_fields > 0 && rng_below(r, 2) == 0)
        return d->fields[rng_below(r, d->n_fields)].id;
    return edges[rng_below(r, sizeof(edges) / sizeof(edges[0]))];
}

/* The wire type field number of d is written with (0 for no field of d); packed at times. */
static unsigned wire_for(struct rng *r, const ProtobufCMessageDescriptor *d, uint64_t number)
{
    const ProtobufCFieldDescriptor *f =
        d != NULL && number < 1u << 29
            ? protobuf_c_message_descriptor_get_field(d, (unsigned)number)
            : NULL;
    if (f == NULL)
        return 0;
    switch (f->type) {
    case PROTOBUF_C_TYPE_SFIXED32:
    case PROTOBUF_C_TYPE_FIXED32:
    case PROTOBUF_C_TYPE_FLOAT:
        return 5;
    case PROTOBUF_C_TYPE_SFIXED64:
    case PROTOBUF_C_TYPE_FIXED64:
    case PROTOBUF_C_TYPE_DOUBLE:
        return 1;
    case PROTOBUF_C_TYPE_STRING:
    case PROTOBUF_C_TYPE_BYTES:
    case PROTOBUF_C_TYPE_MESSAGE:
        return 2;
    default:
        return f->label == PROTOBUF_C_LABEL_REPEATED && rng_below(r, 2) == 0 ? 2 : 0;
    }
}

/* A key for number and wire; at times longer than it needs to be (as protobuf-c reads them). */
static size_t put_key(struct rng *r, uint8_t *out, uint64_t number, unsigned wire)
{
    size_t n = put_varint(out, number << 3 | wire);
    if (n < 5 && rng_below(r, 8) == 0) { /* padded with a continuation byte */
        out[n - 1] |= 0x80;
        out[n++] = 0;
    }
    return n;
}

/*
 * One random change to the bytes of a message of type d (NULL: not a
 * message, or unknown): truncations, flipped bytes, inserted fields of every
 * wire type and number (0 included), fields given twice, swapped or
 * dropped, wrong wire types, lengths too big, and the same below, in the
 * value of a length-delimited field.
 */
static void mutate(struct rng *r, const ProtobufCMessageDescriptor *d, struct mutant *m, int depth)
{
    struct field_at fs[256];
    size_t n = fields_of(m->p, m->len, fs, sizeof(fs) / sizeof(fs[0]));
    uint8_t buf[64];
    size_t at = n == 0 ? m->len : rng_below(r, 2) ? fs[rng_below(r, n)].start : m->len;
    const struct field_at *f = n == 0 ? NULL : &fs[rng_below(r, n)];
    switch (rng_below(r, 13)) {
    case 0: /* truncated */
        if (m->len > 0)
            m->len = rng_below(r, m->len);
        break;
    case 1: /* a byte flipped, or set to an edge */
        if (m->len > 0) {
            static const uint8_t edges[] = {0x00, 0x7f, 0x80, 0xff, 0x08, 0x0a, 0x12};
            size_t i = rng_below(r, m->len);
            m->p[i] = rng_below(r, 2) ? (uint8_t)(m->p[i] ^ (1u + rng_below(r, 255)))
                                      : edges[rng_below(r, sizeof(edges))];
        }
        break;
    case 2:
    case 3: { /* a field inserted, of a number d knows or not, of its wire type or another */
        uint64_t number = random_number(r, d);
        unsigned wire = rng_below(r, 3) ? wire_for(r, d, number) : (unsigned)rng_below(r, 8);
        size_t k = put_key(r, buf, number, wire);
        k += random_value(r, wire, buf + k);
        mutant_insert(m, at, buf, k);
        break;
    }
    case 4: /* a field given again: a singular one replaced or merged, a map key twice */
        if (f != NULL) {
            size_t len = f->end - f->start;
            uint8_t *copy = malloc(len);
            assert_non_null(copy);
            memcpy(copy, m->p + f->start, len);
            mutant_insert(m, rng_below(r, 2) ? f->end : m->len, copy, len);
            free(copy);
        }
        break;
    case 5: /* the whole message twice: everything merged */
        if (m->len > 0 && m->len < 4096) {
            uint8_t *copy = malloc(m->len);
            assert_non_null(copy);
            memcpy(copy, m->p, m->len);
            mutant_insert(m, m->len, copy, m->len);
            free(copy);
        }
        break;
    case 6: /* a field's wire type changed */
        if (f != NULL)
            m->p[f->start] = (uint8_t)((m->p[f->start] & ~7u) | rng_below(r, 8));
        break;
    case 7: /* a length prefix too big, or too long */
        if (f != NULL && f->wire == 2) {
            static const uint8_t bad[][6] = {
                {5, 0xff, 0xff, 0xff, 0xff, 0x07}, /* INT_MAX */
                {5, 0x80, 0x80, 0x80, 0x80, 0x08}, /* INT_MAX + 1 */
                {5, 0xff, 0xff, 0xff, 0xff, 0xff}, /* no end in five bytes */
                {5, 0xff, 0xff, 0xff, 0xff, 0x0f},
            };
            size_t len = f->end - f->start - f->key - f->pref;
            mutant_erase(m, f->start + f->key, f->pref);
            if (rng_below(r, 2)) {
                const uint8_t *b = bad[rng_below(r, 4)];
                mutant_insert(m, f->start + f->key, b + 1, b[0]);
            } else {
                size_t k = put_varint(buf, len + 1 + rng_below(r, 3));
                mutant_insert(m, f->start + f->key, buf, k);
            }
        }
        break;
    case 8:
    case 9: /* the value of a length-delimited field changed likewise */
        if (f != NULL && f->wire == 2 && depth < 8) {
            const ProtobufCFieldDescriptor *fd =
                d != NULL && f->number < 1u << 29
                    ? protobuf_c_message_descriptor_get_field(d, (unsigned)f->number)
                    : NULL;
            const ProtobufCMessageDescriptor *sub =
                fd != NULL && fd->type == PROTOBUF_C_TYPE_MESSAGE ? fd->descriptor : NULL;
            size_t body = f->start + f->key + f->pref;
            struct mutant inner = {malloc(f->end - body + 1), f->end - body};
            assert_non_null(inner.p);
            memcpy(inner.p, m->p + body, inner.len);
            mutate(r, sub, &inner, depth + 1);
            size_t k = put_varint(buf, inner.len);
            size_t start = f->start + f->key, end = f->end;
            mutant_erase(m, start, end - start);
            mutant_insert(m, start, inner.p, inner.len);
            mutant_insert(m, start, buf, k);
            free(inner.p);
        }
        break;
    case 10: { /* field number 0, which protobuf-c refuses in one byte and keeps in two */
        unsigned wire = rng_below(r, 2) ? 0 : (unsigned)rng_below(r, 6);
        size_t k = 0;
        buf[k++] = (uint8_t)(rng_below(r, 3) ? 0x80 | wire : wire);
        if (buf[0] & 0x80)
            buf[k++] = 0;
        k += random_value(r, wire, buf + k);
        mutant_insert(m, at, buf, k);
        break;
    }
    case 11: /* a field dropped */
        if (f != NULL)
            mutant_erase(m, f->start, f->end - f->start);
        break;
    default: /* a field moved to the end: the order of oneof members and map keys */
        if (f != NULL && f->end < m->len) {
            size_t len = f->end - f->start;
            uint8_t *copy = malloc(len);
            assert_non_null(copy);
            memcpy(copy, m->p + f->start, len);
            mutant_erase(m, f->start, len);
            mutant_insert(m, m->len, copy, len);
            free(copy);
        }
        break;
    }
}

/* rounds random messages of type d, each unpacked as it is and as mutants, both ways. */
static void unpack_compare_run(const ProtobufCMessageDescriptor *d, const struct desc_copy *as,
                               uint64_t seed, int rounds, int mutants, struct unpack_tally *t)
{
    struct rng r = {seed};
    for (int i = 0; i < rounds; i++) {
        ProtobufCMessage *msg = gen_message(&r, d, 0);
        struct mc_buf b;
        if (as != NULL) /* packed as if of that type (packed repeated fields, say) */
            msg->descriptor = &as->d;
        pack_into(msg, &b);
        msg->descriptor = d;
        assert_int_equal(assert_unpacks_like_protobuf_c(d, b.data, b.len, t), 0);
        for (int k = 0; k < mutants; k++) {
            struct mutant mu = {malloc(b.len + 1), b.len};
            assert_non_null(mu.p);
            if (b.len > 0)
                memcpy(mu.p, b.data, b.len);
            for (uint64_t times = 1 + rng_below(&r, 3); times-- > 0;)
                mutate(&r, d, &mu, 0);
            assert_unpacks_like_protobuf_c(d, mu.p, mu.len, t);
            free(mu.p);
        }
        mc_buf_deinit(&b);
        protobuf_c_message_free_unpacked(msg, NULL);
    }
}

static void test_unpack_like_protobuf_c(void **state)
{
    (void)state;
    struct unpack_tally t = {0};
    /* Every registered type. */
    for (size_t i = 0; i < proto_registry_count(); i++)
        unpack_compare_run(proto_registry_at(i), NULL, 0xd1ff0000u + i, 4, 40, &t);
    /* The test proto's, harder: every field type and label, maps, a oneof, recursion; and
     * All with its numeric repeated fields packed, which no .proto of ours does. */
    const ProtobufCMessageDescriptor *const descs[] = {
        ALL, DEFAULTS, REQ, TREE, &mc__test__inner__descriptor, &mc__test__all__nested__descriptor,
    };
    for (size_t i = 0; i < ROWS(descs); i++)
        unpack_compare_run(descs[i], NULL, 0xd1ff1000u + i, 200, 40, &t);
    struct desc_copy packed;
    desc_copy_init(&packed, ALL);
    for (unsigned f = 0; f < ALL->n_fields; f++) {
        ProtobufCType ty = ALL->fields[f].type;
        if (ALL->fields[f].label == PROTOBUF_C_LABEL_REPEATED && ty != PROTOBUF_C_TYPE_STRING &&
            ty != PROTOBUF_C_TYPE_BYTES && ty != PROTOBUF_C_TYPE_MESSAGE)
            packed.fields[f].flags |= PROTOBUF_C_FIELD_FLAG_PACKED;
    }
    unpack_compare_run(ALL, &packed, 0xd1ff2000u, 200, 40, &t);
    unpack_compare_run(&packed.d, NULL, 0xd1ff3000u, 100, 40, &t);
    /* Every way of ending was met, C++'s refusals included. */
    assert_true(t.ok > 1000 && t.parse > 1000);
    assert_true(t.field_zero > 0 && t.unnamed > 0 && t.no_value > 0);
}

/* Each allocation failing in turn: MC_ENOMEM and nothing left, until the result is protobuf-c's. */
static void assert_unpack_alloc_failures(const ProtobufCMessageDescriptor *d, const uint8_t *data,
                                         size_t len)
{
    ProtobufCMessage *ref = NULL;
    struct mc_diag dref;
    int rc_ref = pbjson_unpack_protobuf_c(d, data, len, NULL, &ref, &dref);
    for (uint64_t n = 0;; n++) {
        struct mc_alloc_counting counting;
        mc_alloc_counting_init(&counting, n);
        ProtobufCAllocator pa;
        pbjson_allocator_init(&pa, &counting.alloc);
        ProtobufCMessage *m = NULL;
        struct mc_diag diag;
        int rc = pbjson_unpack(d, data, len, &pa, &m, &diag);
        char where[256] = "";
        if (counting.calls > n) {
            assert_int_equal(rc, MC_ENOMEM);
            assert_null(m);
            assert_non_null(strstr(diag.text, "out of memory"));
        } else if (rc != rc_ref || (rc == 0 && !tree_same(m, ref, where, sizeof(where)))) {
            fail_msg("%s: %d [%s] where protobuf-c gives %d [%s], differ at %s", d->name, rc,
                     diag.text, rc_ref, dref.text, where);
        }
        protobuf_c_message_free_unpacked(m, &pa);
        assert_int_equal(counting.live, 0);
        if (counting.calls <= n)
            break;
    }
    protobuf_c_message_free_unpacked(ref, NULL);
}

static void test_unpack_alloc_failures(void **state)
{
    (void)state;
    /* Strings, bytes, repeated fields of each kind, maps, a oneof, nested messages. */
    ProtobufCMessage *src = decode_ok(ALL, alloc_text, sizeof(alloc_text) - 1);
    struct mc_buf b;
    pack_into(src, &b);
    assert_unpack_alloc_failures(ALL, b.data, b.len);
    /* Twice over: singular fields replaced, messages merged, arrays joined, keys twice. */
    struct mutant twice = {malloc(2 * b.len + 64), 2 * b.len};
    assert_non_null(twice.p);
    memcpy(twice.p, b.data, b.len);
    memcpy(twice.p + b.len, b.data, b.len);
    assert_unpack_alloc_failures(ALL, twice.p, twice.len);
    /* Unknown fields, more than the first room for them; a oneof member replaced by another. */
    static const char extra[] = "\xb8\x06\x01"             /* field 103, varint */
                                "\xc2\x06\x02hi"           /* field 104, length-delimited */
                                "\xc5\x06\x01\x02\x03\x04" /* field 104, 32-bit */
                                "\xb8\x06\x02\xb8\x06\x03" /* field 103 twice more */
                                "\xa2\x02\x01x"            /* pick_s */
                                "\xb2\x02\x02\x0a\x00";    /* pick_m, id "" */
    mutant_insert(&twice, twice.len, (const uint8_t *)extra, sizeof(extra) - 1);
    assert_unpack_alloc_failures(ALL, twice.p, twice.len);
    free(twice.p);
    mc_buf_deinit(&b);
    protobuf_c_message_free_unpacked(src, NULL);
    /* Mutants, valid or not, of random messages of the test types. */
    const ProtobufCMessageDescriptor *const descs[] = {ALL, REQ, TREE};
    for (size_t i = 0; i < ROWS(descs); i++) {
        struct rng r = {0xa110c000u + i};
        for (int k = 0; k < 30; k++) {
            ProtobufCMessage *m = gen_message(&r, descs[i], 0);
            pack_into(m, &b);
            struct mutant mu = {malloc(b.len + 1), b.len};
            assert_non_null(mu.p);
            if (b.len > 0)
                memcpy(mu.p, b.data, b.len);
            if (k % 3 != 0)
                mutate(&r, descs[i], &mu, 0);
            assert_unpack_alloc_failures(descs[i], mu.p, mu.len);
            free(mu.p);
            mc_buf_deinit(&b);
            protobuf_c_message_free_unpacked(m, NULL);
        }
    }
}

/* A chain of levels Trees, each the next of the one before, as bytes. */
static uint8_t *tree_chain(size_t levels, size_t *len)
{
    /* Built from the innermost out: each level is its key and its length before the rest. */
    size_t cap = levels * 8 + 16, start = cap;
    uint8_t *p = malloc(cap);
    assert_non_null(p);
    p[--start] = 'x';
    p[--start] = 1;
    p[--start] = 0x0a; /* the innermost has a label */
    for (size_t i = 1; i < levels; i++) {
        uint8_t v[10];
        size_t k = put_varint(v, cap - start);
        start -= k;
        memcpy(p + start, v, k);
        p[--start] = 0x1a; /* next = 3 */
    }
    memmove(p, p + start, cap - start);
    *len = cap - start;
    return p;
}

static void test_unpack_nesting(void **state)
{
    (void)state;
    /* The top message and MC_PBJSON_NESTING_MAX levels below it unpack, as with protobuf-c. */
    size_t len;
    uint8_t *chain = tree_chain(MC_PBJSON_NESTING_MAX + 1, &len);
    assert_int_equal(assert_unpacks_like_protobuf_c(TREE, chain, len, NULL), 0);
    free(chain);
    /* One more is refused (protobuf-c recursed on, as deep as the input went). */
    struct mc_diag diag;
    ProtobufCMessage *m = (ProtobufCMessage *)1;
    chain = tree_chain(MC_PBJSON_NESTING_MAX + 2, &len);
    assert_int_equal(pbjson_unpack(TREE, chain, len, NULL, &m, &diag), MC_ELIMIT);
    assert_null(m);
    assert_non_null(strstr(diag.text, "nested deeper"));
    free(chain);
    chain = tree_chain(500000, &len);
    assert_int_equal(pbjson_unpack(TREE, chain, len, NULL, &m, &diag), MC_ELIMIT);
    free(chain);
}

/* Cases by hand: protobuf-c's reading of keys, lengths and bools, and C++'s rules. */
static void test_unpack_rows(void **state)
{
    (void)state;
    static const struct {
        const ProtobufCMessageDescriptor *desc;
        const char *bytes;
        size_t len;
        int rc;
        const char *diag; /* a piece of the diag text */
    } rows[] = {
#define ROW(d, b, rc, diag) {d, b, sizeof(b) - 1, rc, diag}
        ROW(ALL, "", 0, ""),
        /* A one-byte key of field 0 is refused by protobuf-c; a longer one by C++'s rule. */
        ROW(ALL, "\x00\x01", MC_EPARSE, "not a valid"),
        ROW(ALL, "\x80\x00\x01", MC_EPARSE, "numbered 0"),
        /* Keys of five bytes, the last without its high bit; numbers past 2^29 are unknown. */
        ROW(ALL, "\x88\x80\x80\x80\x00\x05", 0, ""),
        ROW(ALL, "\xf8\xff\xff\xff\x7f\x05", 0, ""),
        ROW(ALL, "\x88\x80\x80\x80\x80\x00\x05", MC_EPARSE, "not a valid"),
        /* Varints of ten bytes at most; the bits past 64 are dropped. */
        ROW(ALL, "\x08\xff\xff\xff\xff\xff\xff\xff\xff\xff\x7f", 0, ""),
        ROW(ALL, "\x08\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", MC_EPARSE, "not a valid"),
        /* Length prefixes: five bytes at most, INT_MAX at most, within the input. */
        ROW(ALL, "\x72\x80\x80\x80\x80\x00", 0, ""),
        ROW(ALL, "\x72\xff\xff\xff\xff\x07", MC_EPARSE, "not a valid"),
        ROW(ALL, "\x72\x02x", MC_EPARSE, "not a valid"),
        /* A wire type other than the field's, or one that is not one. */
        ROW(ALL, "\x0d\x01\x02\x03\x04", MC_EPARSE, "not a valid"),
        ROW(ALL, "\x0b\x0c", MC_EPARSE, "not a valid"),
        ROW(ALL, "\xbe\x06", MC_EPARSE, "not a valid"),
        /* bool takes any wire type, true if any bit is (a length prefix's too). */
        ROW(ALL, "\x6a\x00", 0, ""),
        ROW(ALL, "\x6a\x01\x00", 0, ""),
        ROW(ALL, "\x6d\x00\x00\x00\x80", 0, ""),
        ROW(ALL, "\x68\x80\x80\x80\x80\x80\x80\x80\x80\x80\x02", 0, ""),
        /* Numeric repeated fields take packed runs and single values, mixed. */
        ROW(ALL, "\xa0\x01\x01\xa2\x01\x03\x02\x83\x01\xa0\x01\x04", 0, ""),
        ROW(ALL, "\xc2\x01\x08\x01\x00\x00\x00\x00\x00\x00\x00", 0, ""),
        ROW(ALL, "\xc2\x01\x07\x01\x00\x00\x00\x00\x00\x00", MC_EPARSE, "not a valid"),
        ROW(ALL, "\xa2\x01\x02\x01\x80", MC_EPARSE, "not a valid"),
        ROW(ALL, "\xda\x01\x03\x00\x81\x00", 0, ""),
        /* Unnamed enum values: dropped where optional or repeated, refused where required. */
        ROW(ALL, "\x80\x01\x07\xf0\x01\x01\xf0\x01\x09\xf2\x01\x02\x02\x63", 0, ""),
        ROW(REQ,
            "\x0a\x01"
            "a\x10\x01\x2a\x03\x0a\x01i\x38\x09\x42\x00",
            MC_EPARSE, "does not name"),
        ROW(REQ,
            "\x0a\x01"
            "a\x10\x01\x2a\x03\x0a\x01i\x38\x02\x42\x00",
            0, ""),
        /* A required field missing, in the message or in a second occurrence of a part. */
        ROW(REQ,
            "\x0a\x01"
            "a\x10\x01\x2a\x03\x0a\x01i\x38\x02",
            MC_EPARSE, "not a valid"),
        ROW(REQ,
            "\x0a\x01"
            "a\x10\x01\x2a\x03\x0a\x01i\x38\x02\x42\x00\x2a\x02\x10\x01",
            MC_EPARSE, "not a valid"),
        ROW(REQ,
            "\x0a\x01"
            "a\x10\x01\x2a\x03\x0a\x01i\x38\x02\x42\x00\x2a\x05\x10\x01\x0a\x01j",
            0, ""),
        /* A map entry whose value must have required fields, without it. */
        ROW(REQ,
            "\x0a\x01"
            "a\x10\x01\x2a\x03\x0a\x01i\x38\x02\x42\x00\x32\x03\x0a\x01k",
            MC_EPARSE, "without its value"),
        /* oneof: the last member wins, whatever the types. */
        ROW(ALL, "\xa2\x02\x01x\xa8\x02\x05\xb2\x02\x03\x0a\x01q\xa2\x02\x02yz", 0, ""),
        /* Two map entries, one without its key, which is the empty one (this crashed). */
        ROW(&mesos__v1__task_info__descriptor,
            "\x0a\x01n\x12\x03\x0a\x01t\x1a\x03\x0a\x01"
            "a\x7a\x0b\x12\x09\x09\x00\x00\x00"
            "\x00\x00\x00\xf0\x3f\x7a\x0e\x0a\x01k\x12\x09\x09\x00\x00\x00\x00\x00\x00\xf0\x3f",
            0, ""),
        /* A message given twice: the second, merged into, keeps the first's label. */
        ROW(TREE,
            "\x1a\x03\x0a\x01"
            "a\x1a\x05\x12\x03\x0a\x01"
            "b",
            0, ""),
#undef ROW
    };
    for (size_t i = 0; i < ROWS(rows); i++) {
        struct unpack_tally t = {0};
        int rc = assert_unpacks_like_protobuf_c(rows[i].desc, (const uint8_t *)rows[i].bytes,
                                                rows[i].len, &t);
        if (rc != rows[i].rc)
            fail_msg("row %zu: %d where %d was expected", i, rc, rows[i].rc);
        struct mc_diag diag;
        ProtobufCMessage *m = NULL;
        assert_int_equal(pbjson_unpack(rows[i].desc, (const uint8_t *)rows[i].bytes, rows[i].len,
                                       NULL, &m, &diag),
                         rc);
        if (strstr(diag.text, rows[i].diag) == NULL)
            fail_msg("row %zu: [%s] does not say [%s]", i, diag.text, rows[i].diag);
        protobuf_c_message_free_unpacked(m, NULL);
    }
    /* protobuf-c refuses to merge two messages that both leave a oneof unset (it looks up the
     * field of case 0), and so do we: a Nested whose again is an All, given twice. */
    struct desc_copy nested;
    desc_copy_init(&nested, &mc__test__all__nested__descriptor);
    nested.fields[2].descriptor = ALL;
    static const uint8_t twice[] = {0x1a, 0x00, 0x1a, 0x00};
    assert_int_equal(assert_unpacks_like_protobuf_c(&nested.d, twice, 4, NULL), MC_EPARSE);
    static const uint8_t once[] = {0x1a, 0x00, 0x1a, 0x03, 0xa8, 0x02, 0x05};
    assert_int_equal(assert_unpacks_like_protobuf_c(&nested.d, once, 7, NULL), 0);
}

/* ---- required fields, wherever they are missing ---- */

/* Removes the member at a dotted path ("sub.must.id", "many.1.id") from a jansson tree. */
static void json_remove_path(json_t *root, const char *path)
{
    char buf[128];
    snprintf(buf, sizeof(buf), "%s", path);
    json_t *at = root;
    char *save = NULL;
    char *part = strtok_r(buf, ".", &save);
    for (;;) {
        char *next = strtok_r(NULL, ".", &save);
        if (next == NULL) {
            assert_int_equal(json_object_del(at, part), 0);
            return;
        }
        at = json_is_array(at) ? json_array_get(at, (size_t)atoi(part)) : json_object_get(at, part);
        assert_non_null(at);
        part = next;
    }
}

static void assert_missing(const char *json_text, const char *mesos_text, const char *path)
{
    struct pbjson_error err;
    ProtobufCMessage *m = (ProtobufCMessage *)1;
    int rc = pbjson_decode(REQ, json_text, strlen(json_text), NULL, &m, &err);
    if (rc != MC_EPARSE || err.kind != PBJSON_ERR_CONVERT ||
        strcmp(err.mesos_text, mesos_text) != 0 || strcmp(err.path, path) != 0)
        fail_msg("%s\n  gave     rc %d [%s] path [%s]\n  expected [%s] path [%s]", json_text, rc,
                 err.mesos_text, err.path, mesos_text, path);
    assert_null(m);
    assert_int_equal(err.diag.has_offset, 0);
}

static void test_required_everywhere(void **state)
{
    (void)state;
    static const char whole[] =
        "{\"a\":\"x\",\"b\":1,\"must\":{\"id\":\"m\"},\"color\":\"RED\",\"raw\":\"\","
        "\"one\":{\"id\":\"o\"},\"many\":[{\"id\":\"p\"},{\"id\":\"q\"}],"
        "\"by_name\":{\"k\":{\"id\":\"v\"},\"l\":{\"id\":\"w\"}},"
        "\"sub\":{\"a\":\"y\",\"b\":2,\"must\":{\"id\":\"n\"},\"color\":\"BLUE\",\"raw\":\"\","
        "\"many\":[{\"id\":\"r\"}],\"sub\":{\"a\":\"z\",\"b\":3,\"must\":{\"id\":\"u\"},"
        "\"color\":\"GREEN\",\"raw\":\"AA==\"}}}";
    ProtobufCMessage *m = decode_ok(REQ, whole, strlen(whole));
    protobuf_c_message_free_unpacked(m, NULL);
    /* Each required field left out, at every depth: its path, and nothing else. */
    static const struct {
        const char *remove; /* in the jansson tree */
        const char *path;   /* in Mesos' text */
    } cases[] = {
        {"a", "a"},
        {"b", "b"},
        {"must", "must"},
        {"color", "color"},
        {"raw", "raw"},
        {"must.id", "must.id"},
        {"one.id", "one.id"},
        {"many.0.id", "many[0].id"},
        {"many.1.id", "many[1].id"},
        {"by_name.k.id", "by_name[0].value.id"},
        {"by_name.l.id", "by_name[1].value.id"},
        {"sub.a", "sub.a"},
        {"sub.b", "sub.b"},
        {"sub.must", "sub.must"},
        {"sub.color", "sub.color"},
        {"sub.raw", "sub.raw"},
        {"sub.must.id", "sub.must.id"},
        {"sub.many.0.id", "sub.many[0].id"},
        {"sub.sub.a", "sub.sub.a"},
        {"sub.sub.raw", "sub.sub.raw"},
        {"sub.sub.must.id", "sub.sub.must.id"},
    };
    for (size_t i = 0; i < ROWS(cases); i++) {
        json_t *j = json_loads(whole, 0, NULL);
        assert_non_null(j);
        json_remove_path(j, cases[i].remove);
        char *text = json_dumps(j, JSON_COMPACT);
        assert_non_null(text);
        char want[128];
        snprintf(want, sizeof(want), "Missing required fields: %s", cases[i].path);
        assert_missing(text, want, cases[i].path);
        /* null is the same as left out; through jansson too. */
        ProtobufCMessage *viaj = (ProtobufCMessage *)1;
        struct pbjson_error err;
        assert_int_equal(pbjson_from_json(REQ, j, NULL, &viaj, &err), MC_EPARSE);
        assert_string_equal(err.mesos_text, want);
        assert_null(viaj);
        free(text);
        json_decref(j);
    }
    /* Several at once: a message's own first, then its sub-messages, in
     * field-number order. */
    json_t *j = json_loads(whole, 0, NULL);
    json_remove_path(j, "sub.sub.b");
    json_remove_path(j, "many.1.id");
    json_remove_path(j, "raw");
    json_remove_path(j, "sub.must.id");
    json_remove_path(j, "a");
    char *text = json_dumps(j, JSON_COMPACT);
    assert_missing(text, "Missing required fields: a, raw, many[1].id, sub.must.id, sub.sub.b",
                   "a");
    free(text);
    json_decref(j);
    /* A message dropped on the way (the oneof member replaced, the map entry
     * whose key came again) misses nothing, whatever it lacked. */
    ProtobufCMessage *a = decode_ok(ALL, "{\"pick_m\":{},\"pick_s\":\"x\"}", 26);
    char *out = encode_text(a);
    assert_string_equal(out, "{\"pick_s\":\"x\"}");
    free(out);
    protobuf_c_message_free_unpacked(a, NULL);
    static const char again[] =
        "{\"a\":\"x\",\"b\":1,\"must\":{\"id\":\"m\"},\"color\":\"RED\",\"raw\":\"\","
        "\"by_name\":[{\"k\":{}},{\"k\":{\"id\":\"v\"}}]}";
    m = decode_ok(REQ, again, strlen(again));
    out = encode_text(m);
    assert_non_null(strstr(out, "\"by_name\":{\"k\":{\"id\":\"v\"}}"));
    free(out);
    protobuf_c_message_free_unpacked(m, NULL);
    /* ... but the entry kept is the last one given. */
    static const char again_bad[] =
        "{\"a\":\"x\",\"b\":1,\"must\":{\"id\":\"m\"},\"color\":\"RED\",\"raw\":\"\","
        "\"by_name\":[{\"k\":{\"id\":\"v\"}},{\"k\":{}}]}";
    assert_missing(again_bad, "Missing required fields: by_name[0].value.id",
                   "by_name[0].value.id");
    /* A map value given as null is an empty message, which misses its id. */
    static const char null_value[] =
        "{\"a\":\"x\",\"b\":1,\"must\":{\"id\":\"m\"},\"color\":\"RED\",\"raw\":\"\","
        "\"by_name\":{\"k\":null}}";
    assert_missing(null_value, "Missing required fields: by_name[0].value.id",
                   "by_name[0].value.id");
}

/* ---- the parser's runs of plain bytes ---- */

static void test_parser_runs(void **state)
{
    (void)state;
    /* Strings and keys with and without escapes, escapes after plain bytes,
     * long runs; numbers of every length, before every kind of separator. */
    static const struct valid_row rows[] = {
        {ALL, "{\"s\":\"plain\"}", "{\"s\":\"plain\"}"},
        {ALL, "{\"s\":\"\"}", "{\"s\":\"\"}"},
        {ALL, "{\"s\":\"ab\\ncd\\\"ef\"}", "{\"s\":\"ab\\ncd\\\"ef\"}"},
        {ALL, "{\"s\":\"\\u0041BC\"}", "{\"s\":\"ABC\"}"},
        {ALL, "{\"\\u0073\":\"k\",\"i\\u0033\\u0032\":7}", "{\"i32\":7,\"s\":\"k\"}"},
        {ALL, "{\"r_s\":[\"a\",\"bc\\t\",\"\",\"\\\\\"]}",
         "{\"r_s\":[\"a\",\"bc\\t\",\"\",\"\\\\\"]}"},
        {ALL, "{\"i32\":12345\n,\"i64\":-9\r,\"db\":1.5e3\t}",
         "{\"i32\":12345,\"i64\":-9,\"db\":1500.0}"},
        {ALL, "{\"r_i32\":[1,22,333,-4444]}", "{\"r_i32\":[1,22,333,-4444]}"},
        {ALL, "{\"i32\":0}", "{\"i32\":0}"},
    };
    for (size_t i = 0; i < ROWS(rows); i++)
        valid_row_check(&rows[i]);
    /* Where a run stops decides the error's place and line. */
    static const struct error_row errors[] = {
        {ALL, "{\"s\":\"abc\x01xyz\"}", MC_EPARSE, PBJSON_ERR_SYNTAX,
         "syntax error at line 1 near: xyz\"}", "", 9},
        {ALL, "{\"s\":\"abc\ndef\"}", MC_EPARSE, PBJSON_ERR_SYNTAX,
         "syntax error at line 1 near: ", "", 9},
        {ALL, "{\"s\":\"abc\\x\"}", MC_EPARSE, PBJSON_ERR_SYNTAX,
         "syntax error at line 1 near: \"}", "", 11},
        {ALL, "{\"s\":\"abc", MC_EPARSE, PBJSON_ERR_SYNTAX, "syntax error at line 1 near: ", "", 9},
        {ALL, "{\"ab\\", MC_EPARSE, PBJSON_ERR_SYNTAX, "syntax error at line 1 near: ", "", 5},
        {ALL, "{\"abc\"", MC_EPARSE, PBJSON_ERR_SYNTAX, "syntax error at line 1 near: ", "", 6},
        {ALL, "{\"i32\":12", MC_EPARSE, PBJSON_ERR_SYNTAX, "syntax error at line 1 near: ", "", 9},
        {ALL, "{\"i32\":12\n\nx}", MC_EPARSE, PBJSON_ERR_SYNTAX, "syntax error at line 3 near: x}",
         "", 11},
        {ALL, "{\"i32\":1-2}", MC_EPARSE, PBJSON_ERR_SYNTAX, "syntax error at line 1 near: }", "",
         10},
        {ALL, "{\"i32\":\"1\"\n}x", MC_EPARSE, PBJSON_ERR_SYNTAX,
         "Parsed JSON included non-whitespace trailing characters: x", "", 12},
        {ALL, "12", MC_EPARSE, PBJSON_ERR_CONVERT, "Expecting a JSON object", "", 0},
        {ALL, "\"str\"", MC_EPARSE, PBJSON_ERR_CONVERT, "Expecting a JSON object", "", 0},
    };
    for (size_t i = 0; i < ROWS(errors); i++)
        error_row_check(&errors[i], strlen(errors[i].input));
}

/* ---- Mesos messages: SPEC's examples and recorded requests ---- */

struct mesos_row {
    const char *id; /* SPEC section or recorded case id */
    const ProtobufCMessageDescriptor *desc;
    const char *input;
    const char *expected; /* our encoding of what was decoded */
};

static const struct mesos_row mesos_rows[] = {
    /* SPEC Examples: the seed's SUBSCRIBE; "force" is unknown in v1 (L3). The
     * output carries FrameworkInfo's declared defaults, deprecated role not. */
    {"SPEC Examples SUBSCRIBE", CALL,
     "{\"type\":\"SUBSCRIBE\",\"subscribe\":{\"framework_info\":{\"user\":\"foo\",\"name\":"
     "\"Example HTTP Framework\"},\"force\":true}}",
     "{\"type\":\"SUBSCRIBE\",\"subscribe\":{\"framework_info\":{\"user\":\"foo\",\"name\":"
     "\"Example HTTP Framework\",\"failover_timeout\":0.0,\"checkpoint\":false}}}"},
    {"SPEC Examples SUBSCRIBED", EVENT,
     "{\"type\":\"SUBSCRIBED\",\"subscribed\":{\"framework_id\":{\"value\":"
     "\"12220-3440-12532-2345\"},\"heartbeat_interval_seconds\":15.0}}",
     "{\"type\":\"SUBSCRIBED\",\"subscribed\":{\"framework_id\":{\"value\":"
     "\"12220-3440-12532-2345\"},\"heartbeat_interval_seconds\":15.0}}"},
    {"SPEC Examples KILL", CALL,
     "{\"framework_id\":{\"value\":\"12220-3440-12532-2345\"},\"type\":\"KILL\",\"kill\":{"
     "\"task_id\":{\"value\":\"12220-3440-12532-my-task\"},\"agent_id\":{\"value\":"
     "\"12220-3440-12532-S123345\"}}}",
     "{\"framework_id\":{\"value\":\"12220-3440-12532-2345\"},\"type\":\"KILL\",\"kill\":{"
     "\"task_id\":{\"value\":\"12220-3440-12532-my-task\"},\"agent_id\":{\"value\":"
     "\"12220-3440-12532-S123345\"}}}"},
    {"SPEC Examples ACCEPT", CALL,
     "{\"framework_id\":{\"value\":\"F\"},\"type\":\"ACCEPT\",\"accept\":{\"offer_ids\":[{"
     "\"value\":\"O\"}],\"operations\":[{\"type\":\"LAUNCH\",\"launch\":{\"task_infos\":[{"
     "\"name\":\"t\",\"task_id\":{\"value\":\"t1\"},\"agent_id\":{\"value\":\"A\"},"
     "\"resources\":[{\"name\":\"cpus\",\"type\":\"SCALAR\",\"scalar\":{\"value\":0.1}},{"
     "\"name\":\"mem\",\"type\":\"SCALAR\",\"scalar\":{\"value\":32}}],\"command\":{"
     "\"shell\":true,\"value\":\"sleep 5\"}}]}}],\"filters\":{\"refuse_seconds\":5.0}}}",
     NULL},
    {"SPEC Examples ACKNOWLEDGE", CALL,
     "{\"framework_id\":{\"value\":\"F\"},\"type\":\"ACKNOWLEDGE\",\"acknowledge\":{"
     "\"agent_id\":{\"value\":\"A\"},\"task_id\":{\"value\":\"t1\"},\"uuid\":"
     "\"jhkbFMZKTH6OxRN1UaTuvQ==\"}}",
     "{\"framework_id\":{\"value\":\"F\"},\"type\":\"ACKNOWLEDGE\",\"acknowledge\":{"
     "\"agent_id\":{\"value\":\"A\"},\"task_id\":{\"value\":\"t1\"},\"uuid\":"
     "\"jhkbFMZKTH6OxRN1UaTuvQ==\"}}"},
    {"SPEC Examples RECONCILE (mesos-go)", CALL,
     "{\"framework_id\":{\"value\":\"F\"},\"type\":\"RECONCILE\",\"reconcile\":{\"tasks\":null}}",
     "{\"framework_id\":{\"value\":\"F\"},\"type\":\"RECONCILE\",\"reconcile\":{}}"},
    /* recorded: s.unknown-call-type: an unknown type name leaves type unset. */
    {"s.unknown-call-type", CALL, "{\"type\":\"NO_SUCH_CALL\"}", "{}"},
    /* recorded: s.ack-bad-uuid: "YmFk" is base64 (3 bytes); validation refuses it later. */
    {"s.ack-bad-uuid", CALL,
     "{\"type\":\"ACKNOWLEDGE\",\"acknowledge\":{\"agent_id\":{\"value\":\"<agent1>\"},"
     "\"task_id\":{\"value\":\"<task1>\"},\"uuid\":\"YmFk\"},\"framework_id\":{\"value\":"
     "\"<fw1>\"}}",
     "{\"framework_id\":{\"value\":\"<fw1>\"},\"type\":\"ACKNOWLEDGE\",\"acknowledge\":{"
     "\"agent_id\":{\"value\":\"<agent1>\"},\"task_id\":{\"value\":\"<task1>\"},\"uuid\":"
     "\"YmFk\"}}"},
    /* recorded: s.subscribe-without-subscribe decodes; validation refuses it. */
    {"s.subscribe-without-subscribe", CALL, "{\"type\":\"SUBSCRIBE\"}",
     "{\"type\":\"SUBSCRIBE\"}"},
    /* mesos-go sends null for unset fields (SPEC "What real clients need"). */
    {"SPEC clients null", CALL,
     "{\"type\":\"SUBSCRIBE\",\"subscribe\":{\"framework_info\":{\"user\":\"u\",\"name\":\"n\","
     "\"capabilities\":null,\"roles\":null,\"labels\":null,\"id\":null}}}",
     "{\"type\":\"SUBSCRIBE\",\"subscribe\":{\"framework_info\":{\"user\":\"u\",\"name\":\"n\","
     "\"failover_timeout\":0.0,\"checkpoint\":false}}}"},
};

static void test_mesos_rows(void **state)
{
    (void)state;
    for (size_t i = 0; i < ROWS(mesos_rows); i++) {
        const struct mesos_row *row = &mesos_rows[i];
        ProtobufCMessage *m = decode_ok(row->desc, row->input, strlen(row->input));
        char *out = encode_text(m);
        if (row->expected != NULL && strcmp(out, row->expected) != 0)
            fail_msg("%s\n  gave     %s\n  expected %s", row->id, out, row->expected);
        ProtobufCMessage *again = decode_ok(row->desc, out, strlen(out));
        char *out2 = encode_text(again);
        assert_string_equal(out, out2);
        free(out2);
        property_check(again);
        assert_pack_round_trip(m);
        free(out);
        protobuf_c_message_free_unpacked(again, NULL);
        protobuf_c_message_free_unpacked(m, NULL);
    }
}

/* Field by field, what the SPEC's examples carry. */
static void test_mesos_fields(void **state)
{
    (void)state;
    const struct mesos_row *accept = &mesos_rows[3];
    Mesos__V1__Scheduler__Call *call =
        (Mesos__V1__Scheduler__Call *)decode_ok(CALL, accept->input, strlen(accept->input));
    assert_int_equal(call->type, MESOS__V1__SCHEDULER__CALL__TYPE__ACCEPT);
    assert_int_equal(call->accept->n_offer_ids, 1);
    assert_string_equal(call->accept->offer_ids[0]->value, "O");
    Mesos__V1__Offer__Operation *op = call->accept->operations[0];
    assert_int_equal(op->type, MESOS__V1__OFFER__OPERATION__TYPE__LAUNCH);
    Mesos__V1__TaskInfo *task = op->launch->task_infos[0];
    assert_int_equal(task->n_resources, 2);
    assert_true(task->resources[0]->scalar->value == 0.1);
    assert_true(task->resources[1]->scalar->value == 32.0);
    assert_true(task->command->has_shell && task->command->shell);
    assert_true(call->accept->filters->refuse_seconds == 5.0);
    protobuf_c_message_free_unpacked(&call->base, NULL);
    /* The uuid is the 16 bytes its base64 names. */
    const struct mesos_row *ack = &mesos_rows[4];
    call = (Mesos__V1__Scheduler__Call *)decode_ok(CALL, ack->input, strlen(ack->input));
    static const uint8_t uuid[] = {0x8e, 0x19, 0x1b, 0x14, 0xc6, 0x4a, 0x4c, 0x7e,
                                   0x8e, 0xc5, 0x13, 0x75, 0x51, 0xa4, 0xee, 0xbd};
    assert_int_equal(call->acknowledge->uuid.len, 16);
    assert_memory_equal(call->acknowledge->uuid.data, uuid, 16);
    protobuf_c_message_free_unpacked(&call->base, NULL);
}

/* The request bodies a real master refused while converting them. */
static const struct error_row recorded_rows[] = {
    /* recorded: s.malformed-json */
    {CALL, "{\"type\": \"SUBSCRIBE\", ", MC_EPARSE, PBJSON_ERR_SYNTAX,
     "syntax error at line 1 near: ", "", 22},
    /* recorded: s.json-array */
    {CALL,
     "[{\"type\": \"SUBSCRIBE\", \"subscribe\": {\"framework_info\": {\"user\": \"root\", "
     "\"name\": "
     "\"mesos-diff\"}}}]",
     MC_EPARSE, PBJSON_ERR_CONVERT, "Expecting a JSON object", "", 0},
    /* recorded: s.json-string */
    {CALL, "\"SUBSCRIBE\"", MC_EPARSE, PBJSON_ERR_CONVERT, "Expecting a JSON object", "", 0},
    /* recorded: s.convert-wrong-type */
    {CALL,
     "{\"type\": \"SUBSCRIBE\", \"subscribe\": {\"framework_info\": {\"user\": 5, \"name\": "
     "\"mesos-diff\"}}}",
     MC_EPARSE, PBJSON_ERR_CONVERT, "Not expecting a JSON number for field 'user'",
     "subscribe.framework_info.user", 63},
    /* recorded: s.enum-as-number */
    {CALL,
     "{\"type\": 1, \"subscribe\": {\"framework_info\": {\"user\": \"root\", \"name\": "
     "\"mesos-diff\"}}}",
     MC_EPARSE, PBJSON_ERR_CONVERT, "Not expecting a JSON number for field 'type'", "type", 9},
    /* recorded: s.subscribe-missing-user */
    {CALL,
     "{\"type\": \"SUBSCRIBE\", \"subscribe\": {\"framework_info\": {\"name\": "
     "\"mesos-diff\"}}}",
     MC_EPARSE, PBJSON_ERR_CONVERT, "Missing required fields: subscribe.framework_info.user",
     "subscribe.framework_info.user", NO_OFFSET},
    /* recorded: s.subscribe-missing-name */
    {CALL, "{\"type\": \"SUBSCRIBE\", \"subscribe\": {\"framework_info\": {\"user\": \"root\"}}}",
     MC_EPARSE, PBJSON_ERR_CONVERT, "Missing required fields: subscribe.framework_info.name",
     "subscribe.framework_info.name", NO_OFFSET},
    /* recorded: s.ack-bad-uuid */
    {CALL,
     "{\"type\": \"ACKNOWLEDGE\", \"acknowledge\": {\"agent_id\": {\"value\": \"<agent1>\"}, "
     "\"task_id\": {\"value\": \"<task1>\"}, \"uuid\": \"!!!\"}, \"framework_id\": {\"value\": "
     "\"<fw1>\"}}",
     MC_EPARSE, PBJSON_ERR_CONVERT,
     "Failed to base64 decode bytes field 'uuid': Invalid character '!'", "acknowledge.uuid",
     116},
};

static void test_mesos_recorded(void **state)
{
    (void)state;
    for (size_t i = 0; i < ROWS(recorded_rows); i++)
        error_row_check(&recorded_rows[i], strlen(recorded_rows[i].input));
}

/* ---- cases as data: tests/data/pbjson/{valid,invalid}/<case>/ ---- */

/* The whole file, NUL-terminated (it may hold NULs too); *len its length. */
static char *read_file(const char *dir, const char *name, size_t *len)
{
    char path[1024];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        fail_msg("cannot open %s", path);
    size_t cap = 1 << 16;
    char *buf = malloc(cap + 1);
    assert_non_null(buf);
    *len = fread(buf, 1, cap, f);
    assert_true(*len < cap);
    buf[*len] = '\0';
    fclose(f);
    return buf;
}

/* A type named in a case: the test proto's, or any registered message. */
static const ProtobufCMessageDescriptor *case_type(const char *dir)
{
    size_t len;
    char *name = read_file(dir, "type", &len);
    name[strcspn(name, "\n")] = '\0';
    const ProtobufCMessageDescriptor *const local[] = {ALL, DEFAULTS, REQ, TREE};
    const ProtobufCMessageDescriptor *d = proto_registry_find(name);
    for (size_t i = 0; d == NULL && i < ROWS(local); i++) {
        if (strcmp(local[i]->name, name) == 0)
            d = local[i];
    }
    if (d == NULL)
        fail_msg("%s: unknown type %s", dir, name);
    free(name);
    return d;
}

static const char *kind_name(int kind)
{
    switch (kind) {
    case PBJSON_ERR_SYNTAX:
        return "syntax";
    case PBJSON_ERR_CONVERT:
        return "convert";
    case PBJSON_ERR_UNSUPPORTED:
        return "unsupported";
    default:
        return "other";
    }
}

/*
 * invalid/<case>/expected: one line "<kind> <path|-> <offset|-> <line:col|->"
 * (where the error is, jansson style), then Mesos' reason, byte for byte.
 */
static void invalid_case_check(const char *dir)
{
    const ProtobufCMessageDescriptor *d = case_type(dir);
    size_t in_len, exp_len;
    char *input = read_file(dir, "input", &in_len);
    char *expected = read_file(dir, "expected", &exp_len);
    struct pbjson_error err;
    ProtobufCMessage *m = NULL;
    int rc = pbjson_decode(d, input, in_len, NULL, &m, &err);
    assert_null(m);
    assert_int_not_equal(rc, 0);
    char head[512], where[64] = "-", at[32] = "-";
    if (err.diag.has_offset) {
        snprintf(where, sizeof(where), "%llu", (unsigned long long)err.diag.offset);
        snprintf(at, sizeof(at), "%u:%u", err.diag.line, err.diag.column);
    }
    int n = snprintf(head, sizeof(head), "%s %s %s %s\n", kind_name(err.kind),
                     err.path[0] != '\0' ? err.path : "-", where, at);
    struct mc_buf got;
    mc_buf_init(&got, 1u << 20, NULL);
    assert_int_equal(mc_buf_append(&got, head, (size_t)n), 0);
    assert_int_equal(pbjson_error_text_append(&err, input, in_len, &got), 0);
    if (got.len != exp_len || memcmp(mc_buf_str(&got), expected, exp_len) != 0)
        fail_msg("%s\n  gave     [%s]\n  expected [%s]", dir, mc_buf_str(&got), expected);
    mc_buf_deinit(&got);
    free(expected);
    free(input);
}

/* valid/<case>/expected: the canonical encoding of what input decodes to. */
static void valid_case_check(const char *dir)
{
    const ProtobufCMessageDescriptor *d = case_type(dir);
    size_t in_len, exp_len;
    char *input = read_file(dir, "input", &in_len);
    char *expected = read_file(dir, "expected", &exp_len);
    ProtobufCMessage *m = decode_ok(d, input, in_len);
    char *out = encode_text(m);
    if (strlen(out) != exp_len || memcmp(out, expected, exp_len) != 0)
        fail_msg("%s\n  gave     %s\n  expected %s", dir, out, expected);
    ProtobufCMessage *again = decode_ok(d, out, strlen(out));
    property_check(again);
    protobuf_c_message_free_unpacked(again, NULL);
    protobuf_c_message_free_unpacked(m, NULL);
    free(out);
    free(expected);
    free(input);
}

static int dir_name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Runs check on every case folder of MC_TEST_DATA_DIR/pbjson/<which>, in name order. */
static void data_cases_run(const char *which, void (*check)(const char *dir))
{
    char root[512];
    snprintf(root, sizeof(root), "%s/pbjson/%s", MC_TEST_DATA_DIR, which);
    DIR *dir = opendir(root);
    if (dir == NULL)
        fail_msg("no case folder %s", root);
    char *names[256];
    size_t count = 0;
    struct dirent *e;
    while ((e = readdir(dir)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        assert_true(count < ROWS(names));
        names[count] = strdup(e->d_name);
        assert_non_null(names[count]);
        count++;
    }
    closedir(dir);
    assert_true(count > 0);
    qsort(names, count, sizeof(names[0]), dir_name_cmp);
    for (size_t i = 0; i < count; i++) {
        char path[1024];
        snprintf(path, sizeof(path), "%s/%s", root, names[i]);
        check(path);
        free(names[i]);
    }
}

static void test_data_cases(void **state)
{
    (void)state;
    data_cases_run("valid", valid_case_check);
    data_cases_run("invalid", invalid_case_check);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_rows),
        cmocka_unit_test(test_error_rows),
        cmocka_unit_test(test_nul_bytes),
        cmocka_unit_test(test_long_reason),
        cmocka_unit_test(test_prefixes),
        cmocka_unit_test(test_number_format),
        cmocka_unit_test(test_non_finite),
        cmocka_unit_test(test_from_json),
        cmocka_unit_test(test_nesting),
        cmocka_unit_test(test_layout),
        cmocka_unit_test(test_encode_by_hand),
        cmocka_unit_test(test_pack_unpack),
        cmocka_unit_test(test_unpack_map_keeps_the_last_value_of_a_key),
        cmocka_unit_test(test_alloc_failures_decode),
        cmocka_unit_test(test_alloc_failures_other),
        cmocka_unit_test(test_property_test_proto),
        cmocka_unit_test(test_property_registry),
        cmocka_unit_test(test_pack_like_protobuf_c),
        cmocka_unit_test(test_pack_big),
        cmocka_unit_test(test_pack_refused),
        cmocka_unit_test(test_unpack_like_protobuf_c),
        cmocka_unit_test(test_unpack_alloc_failures),
        cmocka_unit_test(test_unpack_nesting),
        cmocka_unit_test(test_unpack_rows),
        cmocka_unit_test(test_required_everywhere),
        cmocka_unit_test(test_parser_runs),
        cmocka_unit_test(test_mesos_rows),
        cmocka_unit_test(test_mesos_fields),
        cmocka_unit_test(test_mesos_recorded),
        cmocka_unit_test(test_data_cases),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
