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

static void set_parse_into(struct res_set *set, const char *text)
{
    struct mc_diag diag;
    if (res_parse(text, set, &diag) != 0)
        fail_msg("parse %s: %s", text, diag.text);
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

/* ---- the in-place operations against the compositions they stand for ---- */

static uint64_t splitmix64(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* A reservation for a resource message; principal and labels make a detail. */
static Mesos__V1__Resource__ReservationInfo *
pool_reservation(Mesos__V1__Resource__ReservationInfo *ri, int dynamic, const char *role,
                 const char *principal, Mesos__V1__Labels *labels)
{
    mesos__v1__resource__reservation_info__init(ri);
    ri->has_type = 1;
    ri->type = dynamic ? MESOS__V1__RESOURCE__RESERVATION_INFO__TYPE__DYNAMIC
                       : MESOS__V1__RESOURCE__RESERVATION_INFO__TYPE__STATIC;
    ri->role = (char *)role;
    ri->principal = (char *)principal;
    ri->labels = labels;
    return ri;
}

/*
 * The items random sets are drawn from: unreserved, statically reserved
 * (to a role and a sub-role), ranges and set items, and, from messages,
 * a dynamic reservation with a principal and labels, a refined one and a
 * persistent volume (items with a detail).
 */
static void pool_make(struct res_set *pool)
{
    struct mc_diag diag;
    set_parse_into(pool, "cpus:8;mem:1024;disk:100;ports:[1000-1099,1200-1299];d:{a,b,c,e};"
                         "cpus(r1):4;mem(r1/x):64;ports(r1):[5000-5049]");
    Mesos__V1__Label label = MESOS__V1__LABEL__INIT, *labelp = &label;
    Mesos__V1__Labels labels = MESOS__V1__LABELS__INIT;
    label.key = (char *)"k";
    label.value = (char *)"v";
    labels.n_labels = 1;
    labels.labels = &labelp;
    Mesos__V1__Resource__ReservationInfo dyn, st, refined, vol_ri;
    Mesos__V1__Resource__ReservationInfo *one[1], *two[2], *vol_one[1];
    Mesos__V1__Value__Scalar four = MESOS__V1__VALUE__SCALAR__INIT, ten = four, vol = four;
    four.value = 4;
    ten.value = 10;
    vol.value = 50;
    Mesos__V1__Resource r[3];
    Mesos__V1__Resource *rp[3] = {&r[0], &r[1], &r[2]};
    for (int i = 0; i < 3; i++)
        mesos__v1__resource__init(&r[i]);
    /* cpus dynamically reserved to r1 by p, labelled. */
    one[0] = pool_reservation(&dyn, 1, "r1", "p", &labels);
    r[0].name = (char *)"cpus";
    r[0].type = MESOS__V1__VALUE__TYPE__SCALAR;
    r[0].scalar = &four;
    r[0].n_reservations = 1;
    r[0].reservations = one;
    /* mem reserved to r1, refined to r1/x. */
    two[0] = pool_reservation(&st, 0, "r1", NULL, NULL);
    two[1] = pool_reservation(&refined, 1, "r1/x", NULL, NULL);
    r[1].name = (char *)"mem";
    r[1].type = MESOS__V1__VALUE__TYPE__SCALAR;
    r[1].scalar = &ten;
    r[1].n_reservations = 2;
    r[1].reservations = two;
    /* A persistent volume reserved to r1. */
    Mesos__V1__Resource__DiskInfo disk = MESOS__V1__RESOURCE__DISK_INFO__INIT;
    Mesos__V1__Resource__DiskInfo__Persistence pers =
        MESOS__V1__RESOURCE__DISK_INFO__PERSISTENCE__INIT;
    Mesos__V1__Volume volume = MESOS__V1__VOLUME__INIT;
    pers.id = (char *)"vol1";
    volume.container_path = (char *)"data";
    volume.mode = MESOS__V1__VOLUME__MODE__RW;
    disk.persistence = &pers;
    disk.volume = &volume;
    vol_one[0] = pool_reservation(&vol_ri, 1, "r1", NULL, NULL);
    r[2].name = (char *)"disk";
    r[2].type = MESOS__V1__VALUE__TYPE__SCALAR;
    r[2].scalar = &vol;
    r[2].n_reservations = 1;
    r[2].reservations = vol_one;
    r[2].disk = &disk;
    assert_int_equal(res_set_from_proto_full(pool, rp, 3, NULL, &diag), 0);
    assert_int_equal(pool->count, 11);
    assert_true(pool->items[8].detail_bytes > 0);
    assert_true(pool->items[9].detail_flags & RES_DETAIL_REFINED);
    assert_true(pool->items[10].detail_flags & RES_DETAIL_VOLUME);
}

static const char *const alloc_roles[] = {"", "*", "r1", "r1/x"};

/*
 * Adds to out a random part of item (all of a volume, some of a scalar,
 * some ranges or elements), allocated to alloc (NULL: as item is).
 */
static void random_part(struct res_set *out, const struct res_item *item, uint64_t *seed,
                        const char *alloc)
{
    struct res_item it = *item; /* borrowed storage: res_set_add_item copies it */
    struct res_range ranges[8];
    char *elements[8];
    uint64_t r = splitmix64(seed);
    if (alloc != NULL)
        snprintf(it.allocation_role, sizeof(it.allocation_role), "%s", alloc);
    if (it.type == RES_TYPE_SCALAR && !(it.detail_flags & RES_DETAIL_VOLUME)) {
        it.scalar_milli = 1 + (int64_t)(r % (uint64_t)item->scalar_milli);
    } else if (it.type == RES_TYPE_RANGES) {
        /* A piece of each range: [begin + a, begin + a + b], or the whole. */
        it.ranges = ranges;
        it.ranges_count = 0;
        for (uint32_t i = 0; i < item->ranges_count && i < 8; i++) {
            uint64_t len = item->ranges[i].end - item->ranges[i].begin;
            uint64_t a = (r >> (8 * i)) % 3 == 0 ? 0 : (r >> (4 * i)) % (len + 1);
            uint64_t b = (r >> (8 * i)) % 3 == 0 ? len : (r >> (6 * i)) % (len - a + 1);
            ranges[it.ranges_count++] =
                (struct res_range){item->ranges[i].begin + a, item->ranges[i].begin + a + b};
        }
    } else if (it.type == RES_TYPE_SET) {
        it.elements = elements;
        it.elements_count = 0;
        for (uint32_t i = 0; i < item->elements_count && i < 8; i++)
            if ((r >> i) & 1)
                elements[it.elements_count++] = item->elements[i];
    }
    assert_int_equal(res_set_add_item(out, &it), 0);
}

/* A random set from the pool, each item in one of the allocation roles (or all in one). */
static void random_set(struct res_set *out, const struct res_set *pool, uint64_t *seed,
                       int one_role)
{
    res_set_clear(out);
    uint64_t r = splitmix64(seed);
    const char *role = alloc_roles[r % 4];
    for (uint32_t i = 0; i < pool->count; i++) {
        r = splitmix64(seed);
        if (r % 3 == 0)
            continue;
        random_part(out, &pool->items[(i + (uint32_t)(r >> 32)) % pool->count], seed,
                    one_role ? role : alloc_roles[(r >> 8) % 4]);
    }
}

/* A random part of set: what it contains, mostly (whole items, or parts of them). */
static void random_sub(struct res_set *out, const struct res_set *set, uint64_t *seed)
{
    res_set_clear(out);
    for (uint32_t i = 0; i < set->count; i++) {
        uint64_t r = splitmix64(seed);
        if (r % 4 == 0)
            continue;
        if (r % 4 == 1)
            assert_int_equal(res_set_add_item(out, &set->items[i]), 0);
        else
            random_part(out, &set->items[i], seed, NULL);
    }
}

/* 1 when a and b hold the same items, in the same order, alike in every member. */
static int sets_identical(const struct res_set *a, const struct res_set *b)
{
    if (a->count != b->count)
        return 0;
    for (uint32_t i = 0; i < a->count; i++) {
        const struct res_item *x = &a->items[i], *y = &b->items[i];
        if (strcmp(x->name, y->name) != 0 || strcmp(x->role, y->role) != 0 ||
            strcmp(x->allocation_role, y->allocation_role) != 0 || x->type != y->type ||
            x->reservation != y->reservation || x->detail_bytes != y->detail_bytes ||
            x->detail_flags != y->detail_flags ||
            (x->detail_bytes > 0 && memcmp(x->detail, y->detail, x->detail_bytes) != 0))
            return 0;
        if (x->type == RES_TYPE_SCALAR && x->scalar_milli != y->scalar_milli)
            return 0;
        if (x->type == RES_TYPE_RANGES &&
            (x->ranges_count != y->ranges_count ||
             memcmp(x->ranges, y->ranges, x->ranges_count * sizeof(*x->ranges)) != 0))
            return 0;
        if (x->type == RES_TYPE_SET && x->elements_count != y->elements_count)
            return 0;
        for (uint32_t k = 0; x->type == RES_TYPE_SET && k < x->elements_count; k++)
            if (strcmp(x->elements[k], y->elements[k]) != 0)
                return 0;
    }
    return 1;
}

static void copy_allocated(struct res_set *out, const struct res_set *src, const char *role)
{
    res_set_init(out, NULL);
    assert_int_equal(res_set_copy(out, src), 0);
    assert_int_equal(res_set_allocate(out, role), 0);
}

/*
 * set -= other one item at a time: with one item each, dropping dead items
 * at once or at the end are the same, so this is res_set_subtract as it
 * was before it deferred the drops.
 */
static void subtract_one_by_one(struct res_set *set, const struct res_set *other)
{
    for (uint32_t i = 0; i < other->count; i++) {
        struct res_set one;
        res_set_init(&one, NULL);
        assert_int_equal(res_set_add_item(&one, &other->items[i]), 0);
        assert_int_equal(res_set_subtract(set, &one), 0);
        res_set_deinit(&one);
    }
}

static void fail_row(const char *what, int round, const struct res_set *got,
                     const struct res_set *expected)
{
    char x[2048], y[2048];
    assert_true(res_set_format(got, x, sizeof(x)) >= 0);
    assert_true(res_set_format(expected, y, sizeof(y)) >= 0);
    fail_msg("%s, round %d: got %s, expected %s", what, round, x, y);
}

/*
 * res_set_subtract, res_set_take, res_set_add_allocated and res_set_move
 * against copy + res_set_allocate + res_set_contains / res_set_subtract /
 * res_set_add on random sets: the same result, member by member and in the
 * same order. Sets and parts mix allocation roles (then the operations copy
 * as the composition does) or keep one (then they work in place).
 */
static void test_in_place_operations(void **state)
{
    (void)state;
    struct res_set pool, a, b, other, ra, rb, alloc_other;
    res_set_init(&pool, NULL);
    pool_make(&pool);
    res_set_init(&a, NULL);
    res_set_init(&b, NULL);
    res_set_init(&other, NULL);
    res_set_init(&ra, NULL);
    res_set_init(&rb, NULL);
    uint64_t seed = 42;
    int contained = 0, moved_whole = 0;
    for (int round = 0; round < 4000; round++) {
        uint64_t r = splitmix64(&seed);
        const char *role_a = alloc_roles[r % 4], *role_b = alloc_roles[(r >> 8) % 4];
        random_set(&a, &pool, &seed, (r >> 16) % 4 != 0);
        random_set(&b, &pool, &seed, (r >> 18) % 4 != 0);
        if ((r >> 20) % 4 == 0)
            random_set(&other, &pool, &seed, (r >> 22) % 2);
        else
            random_sub(&other, &a, &seed);

        /* subtract */
        assert_int_equal(res_set_copy(&ra, &a), 0);
        assert_int_equal(res_set_copy(&rb, &a), 0);
        subtract_one_by_one(&ra, &other);
        assert_int_equal(res_set_subtract(&rb, &other), 0);
        if (!sets_identical(&rb, &ra))
            fail_row("subtract", round, &rb, &ra);

        /* take: other allocated to role_a (or as it is) */
        const char *take_role = (r >> 24) % 5 == 0 ? NULL : role_a;
        if (take_role != NULL) {
            copy_allocated(&alloc_other, &other, take_role);
        } else {
            res_set_init(&alloc_other, NULL);
            assert_int_equal(res_set_copy(&alloc_other, &other), 0);
        }
        assert_int_equal(res_set_copy(&ra, &a), 0);
        assert_int_equal(res_set_copy(&rb, &a), 0);
        int holds = res_set_contains(&ra, &alloc_other);
        contained += holds;
        if (holds)
            subtract_one_by_one(&ra, &alloc_other);
        assert_int_equal(res_set_take(&rb, &other, take_role), holds ? 0 : MC_EINVAL);
        if (!sets_identical(&rb, &ra))
            fail_row("take", round, &rb, &ra);
        res_set_deinit(&alloc_other);

        /* add_allocated */
        copy_allocated(&alloc_other, &other, role_b);
        assert_int_equal(res_set_copy(&ra, &b), 0);
        assert_int_equal(res_set_copy(&rb, &b), 0);
        assert_int_equal(res_set_add(&ra, &alloc_other), 0);
        assert_int_equal(res_set_add_allocated(&rb, &other, role_b), 0);
        if (!sets_identical(&rb, &ra))
            fail_row("add_allocated", round, &rb, &ra);
        res_set_deinit(&alloc_other);

        /* move from a (other as role_a) to b (other as role_b) */
        struct res_set ma, mb, src_other, dst_other;
        res_set_init(&ma, NULL);
        res_set_init(&mb, NULL);
        copy_allocated(&src_other, &other, role_a);
        copy_allocated(&dst_other, &other, role_b);
        assert_int_equal(res_set_copy(&ra, &a), 0);
        assert_int_equal(res_set_copy(&rb, &b), 0);
        assert_int_equal(res_set_copy(&ma, &a), 0);
        assert_int_equal(res_set_copy(&mb, &b), 0);
        holds = res_set_contains(&ra, &src_other);
        if (holds) {
            subtract_one_by_one(&ra, &src_other);
            assert_int_equal(res_set_add(&rb, &dst_other), 0);
            moved_whole += ra.count < a.count;
        }
        assert_int_equal(res_set_move(&mb, role_b, &ma, role_a, &other), holds ? 0 : MC_EINVAL);
        if (!sets_identical(&ma, &ra))
            fail_row("move (source)", round, &ma, &ra);
        if (!sets_identical(&mb, &rb))
            fail_row("move (destination)", round, &mb, &rb);
        res_set_deinit(&src_other);
        res_set_deinit(&dst_other);
        res_set_deinit(&ma);
        res_set_deinit(&mb);
    }
    /* Both outcomes and the moves of whole items were exercised. */
    assert_true(contained > 400 && contained < 3600);
    assert_true(moved_whole > 100);
    res_set_deinit(&pool);
    res_set_deinit(&a);
    res_set_deinit(&b);
    res_set_deinit(&other);
    res_set_deinit(&ra);
    res_set_deinit(&rb);
}

/* An item's allocatability is res_set_allocatable_to's. */
static void test_item_allocatable_to(void **state)
{
    (void)state;
    struct res_set pool, d;
    res_set_init(&pool, NULL);
    res_set_init(&d, NULL);
    pool_make(&pool);
    const char *roles[] = {"*", "r1", "r1/x", "r1/x/y", "r2", "r"};
    for (size_t k = 0; k < sizeof(roles) / sizeof(roles[0]); k++) {
        assert_int_equal(res_set_allocatable_to(&d, &pool, roles[k]), 0);
        uint32_t kept = 0;
        for (uint32_t i = 0; i < pool.count; i++) {
            if (!res_item_allocatable_to(&pool.items[i], roles[k]))
                continue;
            assert_true(kept < d.count);
            assert_string_equal(d.items[kept].name, pool.items[i].name);
            assert_string_equal(d.items[kept].role, pool.items[i].role);
            kept++;
        }
        assert_int_equal(kept, d.count);
    }
    res_set_deinit(&pool);
    res_set_deinit(&d);
}

/*
 * res_set_to_proto builds most messages in one block: every format reads
 * back to the same set (refined reservations need the post-refinement
 * format), and each allocation failure gives MC_ENOMEM and leaks nothing.
 */
static void test_proto_block(void **state)
{
    (void)state;
    struct res_set pool, s, back;
    struct mc_diag diag;
    res_set_init(&pool, NULL);
    res_set_init(&s, NULL);
    res_set_init(&back, NULL);
    pool_make(&pool);
    uint64_t seed = 7;
    for (int round = 0; round < 300; round++) {
        random_set(&s, &pool, &seed, round % 2);
        unsigned flags = (unsigned)(round % 4);
        int refined = 0;
        for (uint32_t i = 0; i < s.count; i++)
            refined |= (s.items[i].detail_flags & RES_DETAIL_REFINED) != 0;
        Mesos__V1__Resource **arr = NULL;
        size_t n = 0;
        assert_int_equal(res_set_to_proto(&s, flags, NULL, &arr, &n), 0);
        assert_int_equal(n, s.count);
        res_set_clear(&back);
        assert_int_equal(res_set_from_proto_full(&back, arr, n, NULL, &diag), 0);
        if (!(flags & RES_PROTO_ALLOCATION_INFO))
            assert_int_equal(res_set_allocate(&s, ""), 0);
        if ((flags & RES_PROTO_RESERVATIONS) || !refined)
            if (!sets_identical(&back, &s))
                fail_row("proto round trip", round, &back, &s);
        res_proto_free(NULL, arr, n);
    }
    random_set(&s, &pool, &seed, 0);
    for (uint64_t fail = 0;; fail++) {
        struct mc_alloc_counting c;
        mc_alloc_counting_init(&c, fail);
        Mesos__V1__Resource **arr = NULL;
        size_t n = 0;
        int rc = res_set_to_proto(&pool, RES_PROTO_RESERVATIONS, &c.alloc, &arr, &n);
        res_proto_free(&c.alloc, arr, n);
        assert_int_equal(c.live, 0);
        if (rc == 0)
            break;
        assert_int_equal(rc, MC_ENOMEM);
        assert_null(arr);
        assert_true(fail < 1000);
    }
    Mesos__V1__Resource **arr = NULL;
    size_t n = 99;
    res_set_clear(&s);
    assert_int_equal(res_set_to_proto(&s, 0, NULL, &arr, &n), 0);
    assert_non_null(arr);
    assert_int_equal(n, 0);
    res_proto_free(NULL, arr, n);
    res_proto_free(NULL, NULL, 0);
    res_set_deinit(&pool);
    res_set_deinit(&s);
    res_set_deinit(&back);
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
        cmocka_unit_test(test_in_place_operations),
        cmocka_unit_test(test_item_allocatable_to),
        cmocka_unit_test(test_proto_block),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
