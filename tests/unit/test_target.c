/*
 * test_target.c: the two kinds of target behave alike to the runner: calls,
 * exchanges, advancing time with an early stop.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "target.h"

#define SEC UINT64_C(1000000000)
#define SUBSCRIBE_BODY \
    "{\"type\":\"SUBSCRIBE\",\"subscribe\":{\"framework_info\":{\"user\":\"root\",\"name\":\"t\"}}}"

static const char *const json_headers[] = {"Content-Type", "application/json", "Accept",
                                           "application/json", NULL};

struct wait_records {
    struct target *t;
    int exchange;
    uint32_t count;
};

static int has_records(void *ctx)
{
    struct wait_records *w = ctx;
    const struct client_exchange *x = target_exchange(w->t, "s1", w->exchange);
    return x != NULL && x->records_count >= w->count;
}

static void sim_subscribe_and_wait(void **state)
{
    (void)state;
    struct target_setup setup = {0};
    setup.seed = 3;
    setup.heartbeat_interval_ns = 2 * SEC;
    struct target *t;
    assert_int_equal(target_sim_create(&setup, &t, NULL), 0);
    assert_true(target_caps_get(t)->time_jumps);
    int x;
    assert_int_equal(target_call(t, "s1", "POST", "/api/v1/scheduler", json_headers,
                                 SUBSCRIBE_BODY, strlen(SUBSCRIBE_BODY), &x), 0);
    struct wait_records w = {t, x, 2};
    int early = 0;
    assert_int_equal(target_advance(t, 10 * SEC, has_records, &w, &early), 0);
    assert_true(early); /* SUBSCRIBED and the first HEARTBEAT come at once */
    assert_true(target_now_ns(t) < SEC / 10);
    const struct client_exchange *e = target_exchange(t, "s1", x);
    assert_int_equal(e->status, 200);
    assert_non_null(strstr(e->records[0].json, "\"SUBSCRIBED\""));
    /* The next heartbeat is 2 s later: advancing stops right when it arrives. */
    w.count = 3;
    assert_int_equal(target_advance(t, 10 * SEC, has_records, &w, &early), 0);
    assert_true(early);
    assert_true(target_now_ns(t) >= 2 * SEC && target_now_ns(t) < 2 * SEC + SEC / 10);
    /* Without a predicate, time moves by exactly what was asked. */
    uint64_t before = target_now_ns(t);
    assert_int_equal(target_advance(t, SEC, NULL, NULL, &early), 0);
    assert_false(early);
    assert_int_equal(target_now_ns(t), before + SEC);
    assert_int_not_equal(target_trace_hash(t), 0);
    target_destroy(t);
}

static void http_target_refuses_bad_urls(void **state)
{
    (void)state;
    struct target *t;
    struct mc_diag d;
    mc_diag_clear(&d);
    assert_int_equal(target_http_create("ftp://x", &t, &d), MC_EINVAL);
    assert_string_equal(d.text, "target 'ftp://x' is not http://HOST:PORT");
    assert_int_equal(target_http_create("http://", &t, NULL), MC_EINVAL);
}

static int ended(void *ctx)
{
    struct wait_records *w = ctx;
    const struct client_exchange *x = target_exchange(w->t, "s1", w->exchange);
    return x != NULL && x->ended;
}

static void http_target_reports_a_refused_connection(void **state)
{
    (void)state;
    struct target *t;
    /* Port 1 on loopback: nothing listens there, so the connection is refused at once. */
    assert_int_equal(target_http_create("http://127.0.0.1:1", &t, NULL), 0);
    assert_false(target_caps_get(t)->time_jumps);
    assert_string_equal(target_master_address(t), "127.0.0.1:1");
    int x;
    assert_int_equal(target_call(t, "s1", "POST", "/api/v1/scheduler", json_headers,
                                 SUBSCRIBE_BODY, strlen(SUBSCRIBE_BODY), &x), 0);
    struct wait_records w = {t, x, 0};
    int early = 0;
    assert_int_equal(target_advance(t, 5 * SEC, ended, &w, &early), 0);
    assert_true(early);
    const struct client_exchange *e = target_exchange(t, "s1", x);
    assert_int_equal(e->status, 0);
    assert_int_equal(e->end_err, MC_ECLOSED);
    target_destroy(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sim_subscribe_and_wait),
        cmocka_unit_test(http_target_refuses_bad_urls),
        cmocka_unit_test(http_target_reports_a_refused_connection),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
