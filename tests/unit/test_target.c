/*
 * test_target.c: the two kinds of target behave alike to the runner: calls,
 * exchanges, advancing time with an early stop; what each can do and why
 * not; the hooks' syntax; the sim target's agent faults; and the runner
 * failing a case whose simulated world broke an invariant.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

#include "report.h"
#include "runner.h"
#include "scn.h"
#include "target_internal.h"

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
    assert_int_equal(target_http_create("ftp://x", NULL, &t, &d), MC_EINVAL);
    assert_string_equal(d.text, "target 'ftp://x' is not http://HOST:PORT or https://HOST:PORT");
    assert_int_equal(target_http_create("http://", NULL, &t, NULL), MC_EINVAL);
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
    assert_int_equal(target_http_create("http://127.0.0.1:1", NULL, &t, NULL), 0);
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

/*
 * A one-shot HTTP server on loopback, polled from the advance predicate (so
 * no thread is needed): it accepts one connection, reads one request head
 * and answers with a fixed text.
 */
struct raw_server {
    int listen_fd, conn_fd, port;
    char got[8192];
    size_t got_len;
    const char *answer;
    int answered;
};

static void raw_server_open(struct raw_server *s, const char *answer)
{
    memset(s, 0, sizeof(*s));
    s->conn_fd = -1;
    s->answer = answer;
    s->listen_fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(s->listen_fd >= 0);
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(s->listen_fd, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(listen(s->listen_fd, 4), 0);
    socklen_t len = sizeof(a);
    assert_int_equal(getsockname(s->listen_fd, (struct sockaddr *)&a, &len), 0);
    s->port = ntohs(a.sin_port);
    fcntl(s->listen_fd, F_SETFL, O_NONBLOCK);
}

static void raw_server_poll(struct raw_server *s)
{
    if (s->conn_fd < 0) {
        s->conn_fd = accept(s->listen_fd, NULL, NULL);
        if (s->conn_fd >= 0)
            fcntl(s->conn_fd, F_SETFL, O_NONBLOCK);
    }
    if (s->conn_fd < 0 || s->answered)
        return;
    ssize_t n = read(s->conn_fd, s->got + s->got_len, sizeof(s->got) - 1 - s->got_len);
    if (n > 0)
        s->got_len += (size_t)n;
    s->got[s->got_len] = '\0';
    const char *end = strstr(s->got, "\r\n\r\n");
    const char *cl = strstr(s->got, "Content-Length: ");
    size_t body = cl ? (size_t)atoi(cl + 16) : 0;
    if (end != NULL && s->got_len >= (size_t)(end + 4 - s->got) + body) {
        s->answered = write(s->conn_fd, s->answer, strlen(s->answer)) > 0;
    }
}

static void raw_server_close(struct raw_server *s)
{
    if (s->conn_fd >= 0)
        close(s->conn_fd);
    close(s->listen_fd);
}

struct two_servers {
    struct raw_server *a, *b;
    struct target *t;
    int exchange;
};

static int servers_done(void *ctx)
{
    struct two_servers *w = ctx;
    raw_server_poll(w->a);
    if (w->b != NULL)
        raw_server_poll(w->b);
    const struct client_exchange *x = target_exchange(w->t, "s1", w->exchange);
    return x != NULL && x->ended;
}

static const char answer_202[] = "HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n";

static void http_target_sends_basic_credentials(void **state)
{
    (void)state;
    struct raw_server srv;
    raw_server_open(&srv, answer_202);
    char url[64];
    snprintf(url, sizeof(url), "http://127.0.0.1:%d", srv.port);
    struct target_http_options o = {0};
    o.principal = "p";
    o.secret = "s";
    struct target *t;
    assert_int_equal(target_http_create(url, &o, &t, NULL), 0);
    struct two_servers w = {&srv, NULL, t, 0};
    assert_int_equal(target_call(t, "s1", "POST", "/api/v1/scheduler", json_headers, "{}", 2,
                                 &w.exchange), 0);
    assert_int_equal(target_advance(t, 5 * SEC, servers_done, &w, NULL), 0);
    assert_int_equal(target_exchange(t, "s1", w.exchange)->status, 202);
    assert_non_null(strstr(srv.got, "Authorization: Basic cDpz\r\n")); /* base64("p:s") */
    assert_non_null(strstr(srv.got, "Accept: application/json\r\n"));
    target_destroy(t);
    raw_server_close(&srv);
}

/* S2, M3: a 307 is followed to the Location's host and port, keeping our own path. */
static void http_target_follows_a_redirect(void **state)
{
    (void)state;
    for (int follow = 1; follow >= 0; follow--) {
        struct raw_server leader, standby;
        raw_server_open(&leader, answer_202);
        char redirect[256];
        snprintf(redirect, sizeof(redirect),
                 "HTTP/1.1 307 Temporary Redirect\r\nLocation: //127.0.0.1:%d/master/api/v1/"
                 "scheduler\r\nContent-Length: 0\r\n\r\n", leader.port);
        raw_server_open(&standby, redirect);
        char url[64], leader_at[64];
        snprintf(url, sizeof(url), "http://127.0.0.1:%d", standby.port);
        snprintf(leader_at, sizeof(leader_at), "127.0.0.1:%d", leader.port);
        struct target_http_options o = {0};
        o.redirects_ignored = !follow;
        struct target *t;
        assert_int_equal(target_http_create(url, &o, &t, NULL), 0);
        struct two_servers w = {&standby, &leader, t, 0};
        assert_int_equal(target_call(t, "s1", "POST", "/api/v1/scheduler", json_headers, "{}", 2,
                                     &w.exchange), 0);
        assert_int_equal(target_advance(t, 5 * SEC, servers_done, &w, NULL), 0);
        const struct client_exchange *x = target_exchange(t, "s1", w.exchange);
        if (follow) {
            assert_int_equal(x->status, 202);
            assert_string_equal(x->redirected_to, leader_at);
            assert_true(strncmp(leader.got, "POST /api/v1/scheduler HTTP/1.1", 31) == 0);
        } else {
            assert_int_equal(x->status, 307);
            assert_string_equal(x->redirected_to, "");
            assert_int_equal(leader.got_len, 0);
        }
        target_destroy(t);
        raw_server_close(&leader);
        raw_server_close(&standby);
    }
}

/* ---- what a target can do ----------------------------------------------------- */

static void sim_target_can_everything(void **state)
{
    (void)state;
    struct target_setup setup = {0};
    setup.seed = 1;
    setup.agents_count = 1;
    snprintf(setup.agents[0].name, sizeof(setup.agents[0].name), "a1");
    struct target *t;
    assert_int_equal(target_sim_create(&setup, &t, NULL), 0);
    char why[256];
    assert_true(target_can(t, TARGET_CAN_PARTITION, "a1", why, sizeof(why)));
    assert_true(target_can(t, TARGET_CAN_DROP_HEARTBEATS, NULL, why, sizeof(why)));
    assert_true(target_can(t, TARGET_CAN_RESTART_MASTER, NULL, why, sizeof(why)));
    assert_true(target_can(t, TARGET_CAN_CRASH_AGENT, "a1", why, sizeof(why)));
    assert_false(target_can(t, TARGET_CAN_CRASH_AGENT, "a2", why, sizeof(why)));
    assert_string_equal(why, "the simulated cluster has no agent a2");
    assert_int_equal(target_caps_get(t)->faults & TARGET_FAULT_AGENTS, TARGET_FAULT_AGENTS);
    target_destroy(t);
}

static void http_target_says_which_option_is_missing(void **state)
{
    (void)state;
    struct target *t;
    assert_int_equal(target_http_create("http://127.0.0.1:1", NULL, &t, NULL), 0);
    char why[256];
    assert_true(target_can(t, TARGET_CAN_SPLIT, NULL, why, sizeof(why)));
    assert_false(target_can(t, TARGET_CAN_PARTITION, "s1", why, sizeof(why)));
    assert_string_equal(why, "the http target cannot partition actors from the master without "
                             "--via-proxy");
    assert_false(target_can(t, TARGET_CAN_RESTART_MASTER, NULL, why, sizeof(why)));
    assert_string_equal(why, "the http target cannot restart the master without "
                             "--hook restart-master=CMD");
    assert_false(target_can(t, TARGET_CAN_AGENT, "a1", why, sizeof(why)));
    assert_int_equal(target_partition(t, (const char *[]){"s1"}, 1, (const char *[]){"master"}, 1),
                     MC_EUNSUPPORTED);
    assert_int_equal(target_restart_master(t), MC_EUNSUPPORTED);
    target_destroy(t);

    struct target_hook hooks[2];
    assert_int_equal(target_hook_parse("restart-master=true", &hooks[0], NULL), 0);
    assert_int_equal(target_hook_parse("crash-agent:a1=exit 3", &hooks[1], NULL), 0);
    const char *agents[] = {"a1"};
    struct target_http_options o = {0};
    o.hooks = hooks;
    o.hooks_count = 2;
    o.agents = agents;
    o.agents_count = 1;
    o.via_proxy = 1;
    assert_int_equal(target_http_create("http://127.0.0.1:1", &o, &t, NULL), 0);
    assert_true(target_can(t, TARGET_CAN_PARTITION, "s1", why, sizeof(why)));
    assert_true(target_can(t, TARGET_CAN_AGENT, "a1", why, sizeof(why)));
    assert_true(target_can(t, TARGET_CAN_CRASH_AGENT, "a1", why, sizeof(why)));
    assert_false(target_can(t, TARGET_CAN_RESTART_AGENT, "a1", why, sizeof(why)));
    assert_string_equal(why, "the http target cannot restart agent a1 without "
                             "--hook restart-agent:a1=CMD");
    assert_false(target_can(t, TARGET_CAN_PARTITION, "a1", why, sizeof(why)));
    /* The hooks run: 0 is fine, another status fails with it. */
    assert_int_equal(target_restart_master(t), 0);
    assert_int_equal(target_crash_agent(t, "a1"), MC_EIO);
    assert_string_equal(target_fault_error(t), "hook crash-agent:a1: exit status 3");
    assert_int_equal(target_restart_agent(t, "a1"), MC_EUNSUPPORTED);
    target_destroy(t);
}

/* ---- hooks' syntax ----------------------------------------------------------------- */

static void hooks_parse_and_say_what_and_where(void **state)
{
    (void)state;
    static const struct {
        const char *spec;
        int err;
        uint64_t offset;
        const char *text; /* a part of the message, or the agent on success */
    } rows[] = {
        {"restart-master=./restart.sh a=b", 0, 0, ""},
        {"crash-agent:agent1=kill -9 x", 0, 0, "agent1"},
        {"restart-agent:_a-2=x", 0, 0, "_a-2"},
        {"restart-master", MC_EINVAL, 14, "expected KIND=COMMAND"},
        {"reboot=x", MC_EINVAL, 0, "unknown hook"},
        {"restart-master:a1=x", MC_EINVAL, 14, "takes no agent name"},
        {"crash-agent=x", MC_EINVAL, 11, "crash-agent needs an agent"},
        {"restart-agent:=x", MC_EINVAL, 13, "restart-agent needs an agent"},
        {"crash-agent:1a=x", MC_EINVAL, 12, "bad agent name"},
        {"crash-agent:a b=x", MC_EINVAL, 12, "bad agent name"},
        {"crash-agent:a1=", MC_EINVAL, 15, "the command is empty"},
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        struct target_hook h;
        struct mc_diag d;
        mc_diag_clear(&d);
        int err = target_hook_parse(rows[i].spec, &h, &d);
        if (err != rows[i].err)
            fail_msg("%s: %d, wanted %d", rows[i].spec, err, rows[i].err);
        if (err == 0) {
            assert_string_equal(h.agent, rows[i].text);
            assert_string_equal(h.command, strchr(rows[i].spec, '=') + 1);
            continue;
        }
        if (d.offset != rows[i].offset || strstr(d.text, rows[i].text) == NULL)
            fail_msg("%s: byte %u '%s'", rows[i].spec, (unsigned)d.offset, d.text);
    }
}

/* ---- heartbeats on the wire ------------------------------------------------------------ */

static void chunks_are_heartbeats_only_when_whole(void **state)
{
    (void)state;
    static const char hb[] = "20\n{\"type\":\"HEARTBEAT\"}";
    assert_true(target__chunk_is_heartbeat((const uint8_t *)hb, strlen(hb)));
    static const char sub[] = "21\n{\"type\":\"SUBSCRIBED\"}";
    assert_false(target__chunk_is_heartbeat((const uint8_t *)sub, strlen(sub)));
    assert_false(target__chunk_is_heartbeat((const uint8_t *)hb, strlen(hb) - 1)); /* cut */
    assert_false(target__chunk_is_heartbeat((const uint8_t *)"x", 1));
    /* Protobuf: Event{type: HEARTBEAT (8)} is the bytes 08 08; SUBSCRIBED (1) 08 01. */
    static const uint8_t pb_hb[] = {'2', '\n', 0x08, 0x08};
    static const uint8_t pb_sub[] = {'2', '\n', 0x08, 0x01};
    assert_true(target__chunk_is_heartbeat(pb_hb, sizeof(pb_hb)));
    assert_false(target__chunk_is_heartbeat(pb_sub, sizeof(pb_sub)));
}

/* ---- the sim target's agent faults --------------------------------------------------------- */

static void sim_agent_crash_and_restart(void **state)
{
    (void)state;
    struct target_setup setup = {0};
    setup.seed = 5;
    setup.agents_count = 1;
    snprintf(setup.agents[0].name, sizeof(setup.agents[0].name), "a1");
    struct target *t;
    assert_int_equal(target_sim_create(&setup, &t, NULL), 0);
    assert_int_equal(target_advance(t, 2 * SEC, NULL, NULL, NULL), 0);
    assert_int_equal(target_crash_agent(t, "a1"), 0);
    assert_int_equal(target_crash_agent(t, "a1"), MC_ESTATE); /* already down */
    assert_int_equal(target_crash_agent(t, "a2"), MC_ENOTFOUND);
    assert_int_equal(target_restart_agent(t, "a1"), 0);
    assert_int_equal(target_restart_agent(t, "a1"), 0); /* up: crashes, then comes back */
    assert_int_equal(target_advance(t, 2 * SEC, NULL, NULL, NULL), 0);
    assert_int_equal(target_violations(t, NULL, NULL), 0);
    target_destroy(t);
}

/* ---- invariants fail a case --------------------------------------------------------------- */

/* An invariant that breaks once, at the 5th event. */
static int broken_at_5th(void *ctx, const struct sim_world *world, char *text, size_t bytes)
{
    (void)world;
    int *calls = ctx;
    (*calls)++;
    if (*calls != 5)
        return 0;
    snprintf(text, bytes, "the test's invariant broke");
    return 1;
}

static void runner_fails_a_case_that_broke_an_invariant(void **state)
{
    (void)state;
    static const char text[] = "id: test/invariant/1\n"
                               "title: t\n"
                               "spec: H1\n"
                               "level: must\n"
                               "needs: -\n"
                               "scheduler s1\n"
                               "s1 subscribe\n"
                               "expect s1 next SUBSCRIBED within 1s\n"
                               "advance 10s\n";
    struct scn_case *c;
    struct mc_diag diag;
    mc_diag_clear(&diag);
    assert_int_equal(scn_parse_text("t.scn", text, strlen(text), NULL, &c, &diag), 0);
    for (int broken = 0; broken <= 1; broken++) {
        int calls = 0;
        struct target_setup setup = {0};
        setup.seed = 1;
        setup.check = broken ? broken_at_5th : NULL;
        setup.check_ctx = &calls;
        struct target *t;
        assert_int_equal(target_sim_create(&setup, &t, NULL), 0);
        struct report_run *run;
        struct report_case *rc;
        assert_int_equal(report_run_create(NULL, "0", "sim", "", &run), 0);
        assert_int_equal(report_run_case_add(run, c->id, c->title, c->file, &rc), 0);
        struct runner_options o = {"sim", NULL, 1, "mesos-conform", NULL};
        assert_int_equal(runner_case_run_on(c, &o, t, rc), 0);
        if (!broken) {
            assert_int_equal(rc->verdict, REPORT_PASS);
        } else {
            assert_int_equal(rc->verdict, REPORT_FAIL);
            assert_non_null(rc->failure);
            assert_null(rc->failure->step);
            assert_string_equal(rc->failure->message,
                                "the simulated cluster broke an invariant (1 violation)");
            assert_non_null(strstr(rc->failure->observed, "s: the test's invariant broke"));
            assert_true(strncmp(rc->failure->observed, "at 0.", 5) == 0);
        }
        report_run_destroy(run);
        target_destroy(t);
    }
    scn_case_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sim_subscribe_and_wait),
        cmocka_unit_test(http_target_refuses_bad_urls),
        cmocka_unit_test(http_target_reports_a_refused_connection),
        cmocka_unit_test(http_target_sends_basic_credentials),
        cmocka_unit_test(http_target_follows_a_redirect),
        cmocka_unit_test(sim_target_can_everything),
        cmocka_unit_test(http_target_says_which_option_is_missing),
        cmocka_unit_test(hooks_parse_and_say_what_and_where),
        cmocka_unit_test(chunks_are_heartbeats_only_when_whole),
        cmocka_unit_test(sim_agent_crash_and_restart),
        cmocka_unit_test(runner_fails_a_case_that_broke_an_invariant),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
