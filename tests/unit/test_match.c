/*
 * test_match.c: JSON subset matching with predicates, row by row.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "match.h"

struct row {
    const char *expected;
    const char *actual; /* NULL: absent */
    int matches;
    const char *why; /* the mismatch text; NULL when it matches */
};

static const struct row rows[] = {
    {"{\"type\":\"SUBSCRIBED\"}", "{\"type\":\"SUBSCRIBED\",\"x\":1}", 1, NULL},
    {"{\"subscribed\":{\"heartbeat_interval_seconds\":15}}",
     "{\"subscribed\":{\"heartbeat_interval_seconds\":15.0}}", 1, NULL},
    {"{\"subscribed\":{\"heartbeat_interval_seconds\":15}}",
     "{\"subscribed\":{\"heartbeat_interval_seconds\":30.0}}", 0,
     "subscribed.heartbeat_interval_seconds: expected 15, got 30.0"},
    {"{\"a\":{\"b\":\"x\"}}", "{\"a\":7}", 0, "a: expected an object like {\"b\":\"x\"}, got 7"},
    {"{\"a\":[1,2]}", "{\"a\":[1,2]}", 1, NULL},
    {"{\"a\":[1,2]}", "{\"a\":[1]}", 0, "a: expected [1,2], got [1]"},
    {"{\"a\":[{\"v\":1}]}", "{\"a\":[{\"v\":2}]}", 0, "a[0].v: expected 1, got 2"},
    {"{\"a\":{\"$exists\":true}}", "{\"a\":null}", 1, NULL},
    {"{\"a\":{\"$exists\":false}}", "{}", 1, NULL},
    {"{\"a\":{\"$exists\":false}}", "{\"a\":1}", 0, "a: expected no value, not false, got 1"},
    {"{\"a\":{\"$type\":\"number\"}}", "{\"a\":1.5}", 1, NULL},
    {"{\"a\":{\"$type\":\"string\"}}", "{\"a\":1}", 0,
     "a: expected a value of type \"string\", got 1"},
    {"{\"id\":{\"$regex\":\"^[0-9a-f-]{36}$\"}}",
     "{\"id\":\"1b4e28ba-2fa1-41d2-883f-0016d3cca427\"}", 1, NULL},
    {"{\"id\":{\"$regex\":\"^x\"}}", "{\"id\":\"y\"}", 0,
     "id: expected a string matching \"^x\", got \"y\""},
    {"{\"id\":{\"$regex\":\"(\"}}", "{\"id\":\"y\"}", 0, "id: has a bad regex \"(\", got \"y\""},
    {"{\"s\":{\"$any\":[\"TASK_LOST\",\"TASK_UNREACHABLE\"]}}", "{\"s\":\"TASK_LOST\"}", 1, NULL},
    {"{\"c\":{\"$contains\":{\"type\":\"QUOTA_V2\"}}}",
     "{\"c\":[{\"type\":\"AGENT_UPDATE\"},{\"type\":\"QUOTA_V2\"}]}", 1, NULL},
    {"{\"c\":{\"$contains\":[1]}}", "{\"c\":[2,3]}", 0, "c: expected an array containing [1], got [2,3]"},
    {"{\"c\":{\"$contains\":[3,2]}}", "{\"c\":[2,3]}", 1, NULL},
    {"{\"c\":{\"$len\":2}}", "{\"c\":[2,3]}", 1, NULL},
    {"{\"c\":{\"$len\":1}}", "{\"c\":\"ab\"}", 0, "c: expected a length of 1, got \"ab\""},
    {"{\"n\":{\"$type\":\"integer\"}}", "{\"n\":15.0}", 0, "n: expected a value of type \"integer\", got 15.0"},
    {"{\"n\":{\"$eq\":{\"a\":1}}}", "{\"n\":{\"a\":1,\"b\":2}}", 0, "n: expected exactly {\"a\":1}, got {\"a\":1,\"b\":2}"},
    {"{\"s\":{\"$type\":\"string\",\"$regex\":\"^a\"}}", "{\"s\":\"abc\"}", 1, NULL},
    {"{\"s\":{\"$type\":\"string\",\"$regex\":\"^b\"}}", "{\"s\":\"abc\"}", 0, "s: expected a string matching \"^b\", got \"abc\""},
    {"{\"m\":{\"$frob\":1}}", "{\"m\":1}", 0, "m: has an unknown or malformed predicate 1, got nothing"},
    {"\"x\"", NULL, 0, "(top): expected \"x\", got nothing"},
};

static void rows_match_as_documented(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        json_t *e = json_loads(rows[i].expected, JSON_DECODE_ANY, NULL);
        json_t *a = rows[i].actual ? json_loads(rows[i].actual, JSON_DECODE_ANY, NULL) : NULL;
        assert_non_null(e);
        struct mc_buf why;
        mc_buf_init(&why, 1024, NULL);
        int m = match_json(e, a, &why);
        if (m != rows[i].matches || (rows[i].why && strcmp(mc_buf_str(&why), rows[i].why) != 0))
            fail_msg("row %zu: got %d '%s'", i, m, mc_buf_str(&why));
        if (m)
            assert_int_equal(why.len, 0);
        mc_buf_deinit(&why);
        json_decref(e);
        json_decref(a);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(rows_match_as_documented)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
