/*
 * test_target.c: the two kinds of target behave alike to the runner: calls,
 * exchanges, advancing time with an early stop.
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sim_subscribe_and_wait),
        cmocka_unit_test(http_target_refuses_bad_urls),
        cmocka_unit_test(http_target_reports_a_refused_connection),
        cmocka_unit_test(http_target_sends_basic_credentials),
        cmocka_unit_test(http_target_follows_a_redirect),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
