/*
 * test_resources.c: the resource model (reference/resources.h).
 *
 * Parser rows pin what Mesos' Resources::parse does with the agent flag
 * syntax (src/common/resources.cpp fromSimpleString, src/common/values.cpp
 * parse): the texts of its errors, read from its source, plus where we
 * point (the byte offset). Arithmetic rows follow values.cpp (three-decimal
 * fixed point, coalesced ranges, set difference). The protobuf rows write
 * offers' resources and compare them with what a real Mesos 1.12 master
 * sent (recorded: o.offers-shape, o.offers-shape-multi-role).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "mc_alloc.h"
#include "mc_diag.h"
#include "mc_err.h"
#include "pbjson.h"
#include "resources.h"

static void format_set(const struct res_set *set, char *out, size_t out_bytes)
{
    int n = res_set_format(set, out, out_bytes);
    assert_true(n >= 0);
}

/* ---- parsing ---- */

struct parse_row {
    const char *text;
    int rc;
    const char *expected; /* the set written back, or the diag text */
    uint64_t offset;      /* of the error */
};

static const struct parse_row parse_rows[] = {
    /* The agent flag of the recorded master (README of mesos-1.12). */
    {"cpus:2;mem:2048;disk:4096;ports:[31000-32000]", 0,
     "cpus:2;mem:2048;disk:4096;ports:[31000-32000]", 0},
    {"cpus:4;mem:8192;disk:65536;ports:[31000-32000]", 0,
     "cpus:4;mem:8192;disk:65536;ports:[31000-32000]", 0},
    /* Empty tokens are dropped, names trimmed, spaces in values removed. */
    {";; cpus : 1.5 ;;mem:1 024;", 0, "cpus:1.5;mem:1024", 0},
    {"", 0, "", 0},
    /* Ranges are coalesced: sorted, overlapping and adjacent ones merged. */
    {"ports:[33000-33010, 31000-32000]", 0, "ports:[31000-32000,33000-33010]", 0},
    {"ports:[1-2,3-4,10-20,15-30]", 0, "ports:[1-4,10-30]", 0},
    {"ports:[0x10-0x20]", 0, "ports:[16-32]", 0},
    /* stout's tokenize reads "1-2-3-4" as two ranges. */
    {"ports:[1-2-5-6]", 0, "ports:[1-2,5-6]", 0},
    {"disks:{a,b, c}", 0, "disks:{a,b,c}", 0},
    /* A static reservation; the role is trimmed. */
    {"cpus( prod ):2;cpus:1", 0, "cpus(prod):2;cpus:1", 0},
    {"cpus(*):2", 0, "cpus:2", 0},
    {"cpus(a/b):2", 0, "cpus(a/b):2", 0},
    /* The same key merges; zero is valid and empty. */
    {"cpus:1;cpus:0.5;mem:0", 0, "cpus:1.5", 0},
    /* Three decimals: 0.0005 rounds up to a thousandth, 1.2344 down. */
    {"cpus:0.0005;mem:1.2344;disk:1e3", 0, "cpus:0.001;mem:1.234;disk:1000", 0},
    {"mem:999999999999.999;cpus:0.05", 0, "mem:999999999999.999;cpus:0.05", 0},
    /* ':' pieces are tokens too: empty ones are dropped. */
    {"cpus::4", 0, "cpus:4", 0},
    {"cpus", MC_EPARSE, "Bad value for resources, missing or extra ':' in cpus", 0},
    {"mem:1;cpus:1:2", MC_EPARSE, "Bad value for resources, missing or extra ':' in cpus:1:2", 6},
    {"cpus(r:1", MC_EPARSE, "Bad value for resources, mismatched parentheses in cpus(r:1", 0},
    {"cpus)r(:1", MC_EPARSE, "Bad value for resources, mismatched parentheses in cpus)r(:1", 0},
    {"cpus:", MC_EPARSE, "Bad value for resources, missing or extra ':' in cpus:", 0},
    {"cpus: ", MC_EPARSE, "Failed to parse resource cpus value   error Expecting non-empty string", 5},
    {"cpus:abc", MC_EPARSE, "Bad type for resource cpus value abc type TEXT", 5},
    {"cpus:-1", MC_EPARSE, "Bad type for resource cpus value -1 type TEXT", 5},
    {"cpus:inf", MC_EPARSE, "Bad type for resource cpus value inf type TEXT", 5},
    {"cpus:1e-310", MC_EPARSE,
     "Failed to parse resource cpus value 1e-310 error Subnormal values not supported", 5},
    {"cpus:0.0001", MC_EPARSE, "Invalid scalar resource: value <= 0", 0},
    /* Past llround's range Mesos' fixed point turns negative; below it, our own limit. */
    {"cpus:1e20", MC_EPARSE, "Invalid scalar resource: value <= 0", 0},
    {"cpus:2000000000000", MC_ELIMIT, "scalar cpus above 10^12 is not supported", 5},
    /* Written exactly, with no loss past 15 digits. */
    {"ports:[1-2", MC_EPARSE, "Failed to parse resource ports value [1-2 error Mismatched brackets", 6},
    {"ports:[1-2,3]", MC_EPARSE,
     "Failed to parse resource ports value [1-2,3] error Expecting one or more \"ranges\"", 6},
    {"ports:[a-2]", MC_EPARSE,
     "Failed to parse resource ports value [a-2] error Expecting non-negative integers in 'a'", 6},
    {"ports:[99999999999999999999-1]", MC_EPARSE,
     "Failed to parse resource ports value [99999999999999999999-1] error Expecting "
     "non-negative integers in '99999999999999999999'", 6},
    {"ports:1[2]", MC_EPARSE, "Failed to parse resource ports value 1[2] error Unexpected '[' found", 6},
    {"d:a{b}", MC_EPARSE, "Failed to parse resource d value a{b} error Unexpected '{' found", 2},
    {"ports:[5-3]", MC_EPARSE, "Invalid ranges resource: begin > end", 0},
    {"d:{a,a}", MC_EPARSE, "Invalid set resource: duplicated elements", 0},
    {":4", MC_EPARSE, "Bad value for resources, missing or extra ':' in :4", 0},
    {" (r):4", MC_EPARSE, "Empty resource name", 0},
    {"cpus():4", MC_EPARSE, "Role names cannot be the empty string", 0},
    {"cpus(/a):4", MC_EPARSE, "Role '/a' cannot start with a slash", 0},
    {"cpus(a/):4", MC_EPARSE, "Role 'a/' cannot end with a slash", 0},
    {"cpus(a//b):4", MC_EPARSE, "Role 'a//b' cannot contain two adjacent slashes", 0},
    {"cpus(a/../b):4", MC_EPARSE, "Role 'a/../b' cannot include '..' as a component", 0},
    {"cpus(-a):4", MC_EPARSE, "Role component '-a' is invalid because it starts with a dash", 0},
    {"cpus(a\tb):4", MC_EPARSE,
     "Role component 'a\tb' is invalid because it contains backspace or whitespace", 0},
    /* Validation runs after every token parsed: the syntax error wins. */
    {"cpus:0.0001;mem", MC_EPARSE, "Bad value for resources, missing or extra ':' in mem", 12},
    {"x:1;x:[1-2]", MC_EPARSE,
     "Resources with the same name ('x') but different types are not allowed", 4},
    {"[{\"name\":\"cpus\"}]", MC_EUNSUPPORTED, "resources given as JSON are not supported", 0},
};

static void test_parse_rows(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(parse_rows) / sizeof(parse_rows[0]); i++) {
        const struct parse_row *row = &parse_rows[i];
        struct res_set set;
        struct mc_diag diag;
        char out[512];
        res_set_init(&set, NULL);
        mc_diag_clear(&diag);
        int rc = res_parse(row->text, &set, &diag);
        if (rc != row->rc)
            fail_msg("row %zu %s: rc %d, expected %d (%s)", i, row->text, rc, row->rc, diag.text);
        if (rc == 0) {
            format_set(&set, out, sizeof(out));
            if (strcmp(out, row->expected) != 0)
                fail_msg("row %zu %s: got %s", i, row->text, out);
            /* What we write reads back to the same set. */
            struct res_set back;
            res_set_init(&back, NULL);
            assert_int_equal(res_parse(out, &back, &diag), 0);
            assert_true(res_set_equal(&set, &back));
            res_set_deinit(&back);
        } else {
            if (strcmp(diag.text, row->expected) != 0)
                fail_msg("row %zu %s: diag '%s'", i, row->text, diag.text);
            assert_int_equal(diag.offset, row->offset);
            assert_true(diag.has_offset);
        }
        res_set_deinit(&set);
    }
}

static void test_parse_limits(void **state)
{
    (void)state;
    struct res_set set;
    struct mc_diag diag;
    char text[400];
    res_set_init(&set, NULL);
    memset(text, 'n', sizeof(text));
    memcpy(text + 200, ":1", 3);
    assert_int_equal(res_parse(text, &set, &diag), MC_ELIMIT);
    assert_non_null(strstr(diag.text, "resource name longer than 63 bytes"));
    /* Too many items: one more than the limit, each a distinct name. */
    size_t cap = (MC_RES_ITEMS_MAX + 1) * 16, len = 0;
    char *many = malloc(cap);
    for (unsigned i = 0; i <= MC_RES_ITEMS_MAX; i++)
        len += (size_t)snprintf(many + len, cap - len, "r%u:1;", i);
    res_set_clear(&set);
    assert_int_equal(res_parse(many, &set, &diag), MC_ELIMIT);
    assert_int_equal(set.count, MC_RES_ITEMS_MAX);
    free(many);
    res_set_deinit(&set);
}

/* Every allocation failure during a parse gives MC_ENOMEM and leaks nothing. */
static void test_parse_alloc_failures(void **state)
{
    (void)state;
    for (uint64_t fail = 0;; fail++) {
        struct mc_alloc_counting c;
        mc_alloc_counting_init(&c, fail);
        struct res_set set;
        struct mc_diag diag;
        res_set_init(&set, &c.alloc);
        int rc = res_parse("cpus:1;ports:[1-5,7-9];d:{a,b};mem(r):2", &set, &diag);
        res_set_deinit(&set);
        assert_int_equal(c.live, 0);
        if (rc == 0)
            break;
        assert_int_equal(rc, MC_ENOMEM);
        assert_true(fail < 1000);
    }
}

/* ---- arithmetic ---- */

enum op { OP_ADD, OP_SUB };

struct arith_row {
    const char *a;
    enum op op;
    const char *b;
    const char *expected;
    int a_contains_b;
};

static const struct arith_row arith_rows[] = {
    {"cpus:1;mem:10", OP_ADD, "cpus:0.5;disk:3", "cpus:1.5;mem:10;disk:3", 0},
    {"cpus:1.5;mem:10", OP_SUB, "cpus:0.5", "cpus:1;mem:10", 1},
    /* A scalar going negative is dropped, as is an empty one. */
    {"cpus:1;mem:10", OP_SUB, "cpus:2;mem:10", "", 0},
    /* Fixed point: 0.1 + 0.2 is exactly 0.3; 0.3 - 0.1 - 0.2 leaves nothing. */
    {"cpus:0.1", OP_ADD, "cpus:0.2", "cpus:0.3", 0},
    {"cpus:0.3", OP_SUB, "cpus:0.1;cpus:0.2", "", 1},
    {"cpus:0.333", OP_ADD, "cpus:0.333;cpus:0.334", "cpus:1", 0},
    /* Ranges: split, trim, merge. */
    {"ports:[31000-32000]", OP_SUB, "ports:[31000-31000,31500-31600,32000-32000]",
     "ports:[31001-31499,31601-31999]", 1},
    {"ports:[1-10]", OP_SUB, "ports:[5-20]", "ports:[1-4]", 0},
    {"ports:[1-10]", OP_ADD, "ports:[11-20,30-40]", "ports:[1-20,30-40]", 0},
    {"ports:[1-10,20-30]", OP_SUB, "ports:[1-30]", "", 0},
    /* Sets: union and difference. */
    {"d:{a,b}", OP_ADD, "d:{b,c}", "d:{a,b,c}", 0},
    {"d:{a,b,c}", OP_SUB, "d:{b}", "d:{a,c}", 1},
    /* Reserved and unreserved resources are different keys. */
    {"cpus:1;cpus(r):1", OP_SUB, "cpus(r):1", "cpus:1", 1},
    {"cpus:1", OP_SUB, "cpus(r):1", "cpus:1", 0},
};

static void test_arith_rows(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(arith_rows) / sizeof(arith_rows[0]); i++) {
        const struct arith_row *row = &arith_rows[i];
        struct res_set a, b, e;
        struct mc_diag diag;
        char out[256];
        res_set_init(&a, NULL);
        res_set_init(&b, NULL);
        res_set_init(&e, NULL);
        assert_int_equal(res_parse(row->a, &a, &diag), 0);
        assert_int_equal(res_parse(row->b, &b, &diag), 0);
        assert_int_equal(res_parse(row->expected, &e, &diag), 0);
        if (res_set_contains(&a, &b) != row->a_contains_b)
            fail_msg("row %zu: contains", i);
        if (row->op == OP_ADD) {
            assert_int_equal(res_set_add(&a, &b), 0);
            assert_true(res_set_contains(&a, &b));
        } else {
            assert_int_equal(res_set_subtract(&a, &b), 0);
        }
        format_set(&a, out, sizeof(out));
        if (!res_set_equal(&a, &e))
            fail_msg("row %zu: got %s, expected %s", i, out, row->expected);
        res_set_deinit(&a);
        res_set_deinit(&b);
        res_set_deinit(&e);
    }
}

struct round_row {
    double value;
    int64_t milli;
    double back;
};

/* back is written as Mesos converts: whole part plus thousandths / 1000. */
static const struct round_row round_rows[] = {
    {2.0, 2000, 2.0},
    {0.5, 500, 0.5},
    {1.2344, 1234, 1.0 + 0.234},
    {1.2346, 1235, 1.0 + 0.235},
    {1.2345, 1235, 1.0 + 0.235}, /* 1234.5 after scaling: a half rounds away from zero */
    {0.0004, 0, 0.0},
    {2048.0, 2048000, 2048.0},
    {0.1, 100, 0.1},
    {123456.789, 123456789, 123456.0 + 0.789},
};

static void test_scalar_rounding(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(round_rows) / sizeof(round_rows[0]); i++) {
        int64_t milli = -1;
        assert_int_equal(res_scalar_from_double(round_rows[i].value, &milli), 0);
        assert_int_equal(milli, round_rows[i].milli);
        assert_true(res_scalar_to_double(milli) == round_rows[i].back);
    }
    int64_t milli;
    assert_int_equal(res_scalar_from_double(1e300, &milli), MC_EINVAL);
    assert_int_equal(res_scalar_from_double(NAN, &milli), MC_EINVAL);
}

static void test_allocate_and_allocatable(void **state)
{
    (void)state;
    struct res_set s, d;
    struct mc_diag diag;
    char out[256];
    res_set_init(&s, NULL);
    res_set_init(&d, NULL);
    assert_int_equal(res_parse("cpus:1;cpus(a):2;cpus(b):3;cpus(a/x):4;mem:5", &s, &diag), 0);
    assert_int_equal(res_set_allocatable_to(&d, &s, "a/x"), 0);
    format_set(&d, out, sizeof(out));
    assert_string_equal(out, "cpus:1;cpus(a):2;cpus(a/x):4;mem:5");
    assert_int_equal(res_set_allocatable_to(&d, &s, "ab"), 0);
    format_set(&d, out, sizeof(out));
    assert_string_equal(out, "cpus:1;mem:5");
    assert_int_equal(res_set_allocate(&d, "ab"), 0);
    assert_string_equal(d.items[0].allocation_role, "ab");
    /* Allocated and unallocated resources are different keys. */
    assert_false(res_set_contains(&s, &d));
    assert_int_equal(res_set_allocate(&d, ""), 0);
    assert_true(res_set_contains(&s, &d));
    assert_int_equal(res_set_scalar_milli(&s, "cpus"), 10000);
    res_set_deinit(&s);
    res_set_deinit(&d);
}

/* ---- protobuf ---- */

static char *to_json(const struct res_set *set, unsigned flags)
{
    Mesos__V1__Resource **arr = NULL;
    size_t n = 0;
    assert_int_equal(res_set_to_proto(set, flags, NULL, &arr, &n), 0);
    json_t *all = json_array();
    for (size_t i = 0; i < n; i++) {
        json_t *j = pbjson_to_json(&arr[i]->base);
        assert_non_null(j);
        json_array_append_new(all, j);
    }
    char *s = json_dumps(all, JSON_COMPACT);
    json_decref(all);
    res_proto_free(NULL, arr, n);
    return s;
}

/* recorded: o.offers-shape: the agent cpus:2;mem:2048;disk:4096;ports:[31000-32000]
 * offered to a framework without MULTI_ROLE, in the allocator's order (ports first). */
static const char offers_shape[] =
    "[{\"name\":\"ports\",\"type\":\"RANGES\",\"ranges\":{\"range\":[{\"begin\":31000,\"end\":32000}]},"
    "\"role\":\"*\"},"
    "{\"name\":\"cpus\",\"type\":\"SCALAR\",\"scalar\":{\"value\":2.0},\"role\":\"*\"},"
    "{\"name\":\"mem\",\"type\":\"SCALAR\",\"scalar\":{\"value\":2048.0},\"role\":\"*\"},"
    "{\"name\":\"disk\",\"type\":\"SCALAR\",\"scalar\":{\"value\":4096.0},\"role\":\"*\"}]";

/* recorded: o.offers-shape-multi-role: the same with allocation_info and role "*". */
static const char offers_shape_multi_role[] =
    "[{\"name\":\"ports\",\"type\":\"RANGES\",\"ranges\":{\"range\":[{\"begin\":31000,\"end\":32000}]},"
    "\"role\":\"*\",\"allocation_info\":{\"role\":\"*\"}},"
    "{\"name\":\"cpus\",\"type\":\"SCALAR\",\"scalar\":{\"value\":2.0},\"role\":\"*\","
    "\"allocation_info\":{\"role\":\"*\"}},"
    "{\"name\":\"mem\",\"type\":\"SCALAR\",\"scalar\":{\"value\":2048.0},\"role\":\"*\","
    "\"allocation_info\":{\"role\":\"*\"}},"
    "{\"name\":\"disk\",\"type\":\"SCALAR\",\"scalar\":{\"value\":4096.0},\"role\":\"*\","
    "\"allocation_info\":{\"role\":\"*\"}}]";

static void test_proto_recorded_shapes(void **state)
{
    (void)state;
    struct res_set s;
    struct mc_diag diag;
    res_set_init(&s, NULL);
    assert_int_equal(res_parse("ports:[31000-32000];cpus:2;mem:2048;disk:4096", &s, &diag), 0);
    assert_int_equal(res_set_allocate(&s, "*"), 0);
    char *j = to_json(&s, 0);
    assert_string_equal(j, offers_shape);
    free(j);
    j = to_json(&s, RES_PROTO_ALLOCATION_INFO);
    assert_string_equal(j, offers_shape_multi_role);
    free(j);
    res_set_deinit(&s);
}

struct proto_row {
    const char *json; /* an array of Resource */
    int rc;
    const char *expected; /* flag syntax or the error text */
    size_t bad_index;
};

static const struct proto_row proto_rows[] = {
    {"[{\"name\":\"cpus\",\"type\":\"SCALAR\",\"scalar\":{\"value\":0.5}},"
     "{\"name\":\"cpus\",\"type\":\"SCALAR\",\"scalar\":{\"value\":0.25},\"role\":\"*\"}]",
     0, "cpus:0.75", 0},
    {"[{\"name\":\"ports\",\"type\":\"RANGES\",\"ranges\":{\"range\":[{\"begin\":5,\"end\":6},"
     "{\"begin\":1,\"end\":4}]}}]",
     0, "ports:[1-6]", 0},
    {"[{\"name\":\"cpus\",\"type\":\"SCALAR\",\"scalar\":{\"value\":1},\"role\":\"r\"},"
     "{\"name\":\"mem\",\"type\":\"SCALAR\",\"scalar\":{\"value\":1},"
     "\"reservations\":[{\"type\":\"STATIC\",\"role\":\"r\"}]}]",
     0, "cpus(r):1;mem(r):1", 0},
    {"[{\"name\":\"cpus\",\"type\":\"SCALAR\",\"scalar\":{\"value\":1}},"
     "{\"name\":\"\",\"type\":\"SCALAR\",\"scalar\":{\"value\":1}}]",
     MC_EINVAL, "Empty resource name", 1},
    {"[{\"name\":\"cpus\",\"type\":\"SCALAR\"}]", MC_EINVAL, "Invalid scalar resource", 0},
    {"[{\"name\":\"cpus\",\"type\":\"SCALAR\",\"scalar\":{\"value\":-1}}]", MC_EINVAL,
     "Invalid scalar resource: value <= 0", 0},
    {"[{\"name\":\"cpus\",\"type\":\"SCALAR\",\"scalar\":{\"value\":0.0001}}]", MC_EINVAL,
     "Invalid scalar resource: value <= 0", 0},
    {"[{\"name\":\"cpus\",\"type\":\"RANGES\",\"scalar\":{\"value\":1}}]", MC_EINVAL,
     "Invalid ranges resource", 0},
    {"[{\"name\":\"p\",\"type\":\"RANGES\",\"ranges\":{\"range\":[{\"begin\":6,\"end\":5}]}}]",
     MC_EINVAL, "Invalid ranges resource: begin > end", 0},
    {"[{\"name\":\"p\",\"type\":\"RANGES\",\"ranges\":{\"range\":[{\"begin\":1,\"end\":5},"
     "{\"begin\":5,\"end\":8}]}}]",
     MC_EINVAL, "Invalid ranges resource: overlapping ranges", 0},
    {"[{\"name\":\"d\",\"type\":\"SET\",\"set\":{\"item\":[\"a\",\"a\"]}}]", MC_EINVAL,
     "Invalid set resource: duplicated elements", 0},
    {"[{\"name\":\"t\",\"type\":\"TEXT\"}]", MC_EINVAL, "Unsupported resource type", 0},
    {"[{\"name\":\"cpus\",\"type\":\"SCALAR\",\"scalar\":{\"value\":1},\"role\":\"/x\"}]",
     MC_EINVAL, "Role '/x' cannot start with a slash", 0},
    {"[{\"name\":\"cpus\",\"type\":\"SCALAR\",\"scalar\":{\"value\":1},\"role\":\"a\","
     "\"reservations\":[{\"type\":\"STATIC\",\"role\":\"b\"}]}]",
     MC_EINVAL,
     "Invalid resource format: 'Resource.role' field with 'a' does not match the role 'b' in "
     "'Resource.reservations'", 0},
    {"[{\"name\":\"cpus\",\"type\":\"SCALAR\",\"scalar\":{\"value\":1},"
     "\"reservation\":{}}]",
     MC_EINVAL, "Invalid reservation: role \"*\" cannot be dynamically reserved", 0},
    {"[{\"name\":\"cpus\",\"type\":\"SCALAR\",\"scalar\":{\"value\":1},"
     "\"reservations\":[{\"role\":\"r\"}]}]",
     MC_EINVAL, "Invalid reservation: 'Resource.ReservationInfo.type' field must be set.", 0},
    {"[{\"name\":\"disk\",\"type\":\"SCALAR\",\"scalar\":{\"value\":1},\"disk\":{}}]",
     MC_EUNSUPPORTED,
     "resource disk: disk info, revocable, shared and resource provider resources are not "
     "supported", 0},
};

static void test_proto_rows(void **state)
{
    (void)state;
    const ProtobufCMessageDescriptor *desc = &mesos__v1__resource__descriptor;
    for (size_t i = 0; i < sizeof(proto_rows) / sizeof(proto_rows[0]); i++) {
        const struct proto_row *row = &proto_rows[i];
        json_error_t jerr;
        json_t *arr = json_loads(row->json, 0, &jerr);
        assert_non_null(arr);
        size_t n = json_array_size(arr);
        Mesos__V1__Resource **msgs = calloc(n, sizeof(*msgs));
        for (size_t k = 0; k < n; k++) {
            struct pbjson_error perr;
            ProtobufCMessage *m = NULL;
            assert_int_equal(pbjson_from_json(desc, json_array_get(arr, k), NULL, &m, &perr), 0);
            msgs[k] = (Mesos__V1__Resource *)m;
        }
        struct res_set s;
        struct mc_diag diag;
        size_t bad = 999;
        res_set_init(&s, NULL);
        mc_diag_clear(&diag);
        int rc = res_set_from_proto(&s, msgs, n, &bad, &diag);
        if (rc != row->rc)
            fail_msg("row %zu: rc %d (%s)", i, rc, diag.text);
        if (rc == 0) {
            char out[256];
            format_set(&s, out, sizeof(out));
            assert_string_equal(out, row->expected);
            /* Round trip: the messages we write read back to the same set. */
            Mesos__V1__Resource **back = NULL;
            size_t bn = 0;
            struct res_set again;
            res_set_init(&again, NULL);
            assert_int_equal(res_set_to_proto(&s, 0, NULL, &back, &bn), 0);
            assert_int_equal(res_set_from_proto(&again, back, bn, NULL, &diag), 0);
            assert_true(res_set_equal(&s, &again));
            res_set_deinit(&again);
            res_proto_free(NULL, back, bn);
        } else {
            assert_string_equal(diag.text, row->expected);
            assert_int_equal(bad, row->bad_index);
        }
        res_set_deinit(&s);
        for (size_t k = 0; k < n; k++)
            protobuf_c_message_free_unpacked(&msgs[k]->base, NULL);
        free(msgs);
        json_decref(arr);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_rows),
        cmocka_unit_test(test_parse_limits),
        cmocka_unit_test(test_parse_alloc_failures),
        cmocka_unit_test(test_arith_rows),
        cmocka_unit_test(test_scalar_rounding),
        cmocka_unit_test(test_allocate_and_allocatable),
        cmocka_unit_test(test_proto_recorded_shapes),
        cmocka_unit_test(test_proto_rows),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
