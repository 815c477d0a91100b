/*
 * test_tasks.c: tasks, status updates and reconciliation (SPEC.md T1-T11,
 * O5's LAUNCH, A3, A4, L9), driven through the simulator: a master, a
 * reference agent with its simulated command executor, and scheduler
 * clients. Texts, states, reasons and sources are Mesos' (src/master/
 * master.cpp, src/master/validation.cpp, src/launcher/executor.cpp).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "agent.h"
#include "agents.h"
#include "client.h"
#include "master.h"
#include "sim.h"
#include "fixture.h"

#define SUBSCRIBE_PLAIN "{\"type\":\"SUBSCRIBE\",\"subscribe\":{\"framework_info\":" \
                        "{\"user\":\"root\",\"name\":\"mesos-diff\"}}}"
#define SUBSCRIBE_AWARE "{\"type\":\"SUBSCRIBE\",\"subscribe\":{\"framework_info\":" \
    "{\"user\":\"root\",\"name\":\"mesos-diff\",\"capabilities\":[{\"type\":" \
    "\"PARTITION_AWARE\"},{\"type\":\"TASK_KILLING_STATE\"}]}}}"

/* Posts body (a scheduler call of s's framework) and checks the 202. */
static void call_202(struct fixture *f, const struct sub *s, const char *body)
{
    int x = post(f, s->client, s->stream, body);
    run(f, 20 * MS);
    assert_int_equal(client_exchange_get(&f->clients[s->client], x)->status, 202);
}

/* ACCEPT of offer_id with one LAUNCH of task_id running command on agent_id. */
static void launch(struct fixture *f, const struct sub *s, const char *offer_id,
                   const char *task_id, const char *agent_id, const char *command,
                   const char *resources)
{
    char body[2048];
    snprintf(body, sizeof(body),
             "{\"type\":\"ACCEPT\",\"framework_id\":{\"value\":\"%s\"},\"accept\":{\"offer_ids\":"
             "[{\"value\":\"%s\"}],\"operations\":[{\"type\":\"LAUNCH\",\"launch\":{\"task_infos\":"
             "[{\"name\":\"t\",\"task_id\":{\"value\":\"%s\"},\"agent_id\":{\"value\":\"%s\"},"
             "\"resources\":%s%s%s%s}]}}],\"filters\":{\"refuse_seconds\":0}}}",
             s->fw, offer_id, task_id, agent_id,
             resources != NULL ? resources
                               : "[{\"name\":\"cpus\",\"type\":\"SCALAR\",\"scalar\":{\"value\":0.1}},"
                                 "{\"name\":\"mem\",\"type\":\"SCALAR\",\"scalar\":{\"value\":32}}]",
             command != NULL ? ",\"command\":{\"shell\":true,\"value\":\"" : "",
             command != NULL ? command : "", command != NULL ? "\"}" : "");
    call_202(f, s, body);
}

/* A string field of UPDATE record i's status ("state", "message", "uuid"...), or NULL. */
static const char *status_str(json_t *j, const char *field)
{
    return json_string_value(json_object_get(json_object_get(json_object_get(j, "update"),
                                                             "status"), field));
}

struct update_want {
    const char *state, *reason, *source, *message; /* NULL: absent */
    int has_uuid;
};

/* Runs until an UPDATE at or after *from arrives (within limit_ns), checks it, moves *from past it. */
static json_t *update_expect(struct fixture *f, const struct sub *s, uint32_t *from,
                             uint64_t limit_ns, const char *task_id, const struct update_want *w)
{
    uint64_t end = now(f) + limit_ns;
    int i;
    while ((i = find(f, s, "UPDATE", *from)) < 0 && now(f) < end)
        run(f, 10 * MS);
    if (i < 0)
        fail_msg("no UPDATE %s for task %s", w->state, task_id);
    json_t *j = record(ex(f, s), (uint32_t)i);
    json_t *st = json_object_get(json_object_get(j, "update"), "status");
    const char *got = json_string_value(json_object_get(json_object_get(st, "task_id"), "value"));
    assert_string_equal(got, task_id);
    assert_string_equal(status_str(j, "state"), w->state);
    const char *fields[3] = {"reason", "source", "message"};
    const char *want[3] = {w->reason, w->source, w->message};
    for (int k = 0; k < 3; k++) {
        if (want[k] == NULL)
            assert_null(json_object_get(st, fields[k]));
        else if (status_str(j, fields[k]) == NULL || strcmp(status_str(j, fields[k]), want[k]) != 0)
            fail_msg("UPDATE %s: %s is '%s', want '%s'", w->state, fields[k],
                     status_str(j, fields[k]) ? status_str(j, fields[k]) : "(none)", want[k]);
    }
    assert_int_equal(json_object_get(st, "uuid") != NULL, w->has_uuid);
    *from = (uint32_t)i + 1;
    return j;
}

static void acknowledge(struct fixture *f, const struct sub *s, json_t *update)
{
    char body[1024];
    json_t *st = json_object_get(json_object_get(update, "update"), "status");
    snprintf(body, sizeof(body),
             "{\"type\":\"ACKNOWLEDGE\",\"framework_id\":{\"value\":\"%s\"},\"acknowledge\":{"
             "\"agent_id\":{\"value\":\"%s\"},\"task_id\":{\"value\":\"%s\"},\"uuid\":\"%s\"}}",
             s->fw, json_string_value(json_object_get(json_object_get(st, "agent_id"), "value")),
             json_string_value(json_object_get(json_object_get(st, "task_id"), "value")),
             json_string_value(json_object_get(st, "uuid")));
    call_202(f, s, body);
}

static const struct update_want want_starting = {"TASK_STARTING", NULL, "SOURCE_EXECUTOR", NULL, 1};
static const struct update_want want_running = {"TASK_RUNNING", NULL, "SOURCE_EXECUTOR", NULL, 1};

/* A world with one agent and s subscribed with body; the first offer's id in offer. */
static struct fixture *world_with_offer(uint64_t seed, const char *body, struct sub *s,
                                        char *offer, size_t offer_bytes, uint32_t *from)
{
    struct fixture *f = fixture_make(seed);
    subscribe(f, 0, body, s);
    agent_start(f, 0, NULL);
    int i = wait_offers(f, s, 0, 5 * SEC);
    offer_field(f, s, i, 0, "id", offer, offer_bytes);
    *from = (uint32_t)i + 1;
    return f;
}

/* Launches task_id with command and acknowledges STARTING and RUNNING. */
static void launch_running(struct fixture *f, const struct sub *s, const char *offer,
                           const char *task_id, const char *command, uint32_t *from)
{
    launch(f, s, offer, task_id, agent_id(f->agents[0]), command, NULL);
    json_t *u = update_expect(f, s, from, SEC, task_id, &want_starting);
    acknowledge(f, s, u);
    json_decref(u);
    u = update_expect(f, s, from, SEC, task_id, &want_running);
    acknowledge(f, s, u);
    json_decref(u);
}

/* T1, T2: "true" gives STARTING, RUNNING, FINISHED, each sent only after the previous ack. */
static void launch_true_in_order(void **state)
{
    (void)state;
    struct sub s;
    char offer[128];
    uint32_t from;
    struct fixture *f = world_with_offer(101, SUBSCRIBE_PLAIN, &s, offer, sizeof(offer), &from);
    launch(f, &s, offer, "t1", agent_id(f->agents[0]), "true", NULL);
    json_t *u = update_expect(f, &s, &from, SEC, "t1", &want_starting);
    json_t *st = json_object_get(json_object_get(u, "update"), "status");
    assert_string_equal(json_string_value(json_object_get(json_object_get(st, "agent_id"),
                                                          "value")), agent_id(f->agents[0]));
    assert_string_equal(json_string_value(json_object_get(json_object_get(st, "executor_id"),
                                                          "value")), "t1");
    assert_int_equal(strlen(status_str(u, "uuid")), 24); /* 16 bytes in base64 */
    run(f, 5 * SEC);
    assert_int_equal(count(f, &s, "UPDATE", from), 0); /* one outstanding update per task */
    acknowledge(f, &s, u);
    json_decref(u);
    u = update_expect(f, &s, &from, SEC, "t1", &want_running);
    acknowledge(f, &s, u);
    json_decref(u);
    const struct update_want fin = {"TASK_FINISHED", NULL, "SOURCE_EXECUTOR",
                                    "Command exited with status 0", 1};
    u = update_expect(f, &s, &from, SEC, "t1", &fin);
    acknowledge(f, &s, u);
    json_decref(u);
    run(f, 60 * SEC);
    assert_int_equal(count(f, &s, "UPDATE", from), 0); /* all acknowledged: no resend */
    struct agent_stats as;
    agent_stats_get(f->agents[0], &as);
    assert_int_equal(as.updates_acked, 3);
    fixture_free(f);
}

/* T2: an unacknowledged update is resent after 10 s, then 20 s later, with the same uuid. */
static void update_retried_with_backoff(void **state)
{
    (void)state;
    struct sub s;
    char offer[128];
    uint32_t from;
    struct fixture *f = world_with_offer(102, SUBSCRIBE_PLAIN, &s, offer, sizeof(offer), &from);
    launch(f, &s, offer, "t1", agent_id(f->agents[0]), "false", NULL);
    json_t *u0 = update_expect(f, &s, &from, SEC, "t1", &want_starting);
    uint64_t t0 = ex(f, &s)->records[from - 1].arrived_ns;
    json_t *u1 = update_expect(f, &s, &from, 11 * SEC, "t1", &want_starting);
    uint64_t t1 = ex(f, &s)->records[from - 1].arrived_ns;
    json_t *u2 = update_expect(f, &s, &from, 21 * SEC, "t1", &want_starting);
    uint64_t t2 = ex(f, &s)->records[from - 1].arrived_ns;
    /* Network delays differ by a few milliseconds from one call to the next. */
    if (!(t1 - t0 + 200 * MS >= 10 * SEC && t1 - t0 < 10 * SEC + 200 * MS) ||
        !(t2 - t1 + 200 * MS >= 20 * SEC && t2 - t1 < 20 * SEC + 200 * MS))
        fail_msg("resent after %.3f s, then %.3f s", (double)(t1 - t0) / 1e9, (double)(t2 - t1) / 1e9);
    assert_string_equal(status_str(u0, "uuid"), status_str(u1, "uuid"));
    assert_string_equal(status_str(u0, "uuid"), status_str(u2, "uuid"));
    acknowledge(f, &s, u2);
    json_t *r = update_expect(f, &s, &from, SEC, "t1", &want_running);
    assert_string_not_equal(status_str(r, "uuid"), status_str(u0, "uuid"));
    acknowledge(f, &s, r);
    const struct update_want failed = {"TASK_FAILED", NULL, "SOURCE_EXECUTOR",
                                       "Command exited with status 1", 1};
    json_t *fl = update_expect(f, &s, &from, SEC, "t1", &failed);
    json_decref(u0), json_decref(u1), json_decref(u2), json_decref(r), json_decref(fl);
    fixture_free(f);
}

/* O5: a LAUNCH on an offer that is not outstanding: TASK_LOST, or TASK_DROPPED when PARTITION_AWARE. */
static void launch_invalid_offer(void **state)
{
    (void)state;
    static const struct {
        const char *subscribe, *state;
    } rows[] = {{SUBSCRIBE_PLAIN, "TASK_LOST"}, {SUBSCRIBE_AWARE, "TASK_DROPPED"}};
    for (size_t r = 0; r < sizeof(rows) / sizeof(rows[0]); r++) {
        struct sub s;
        char offer[128];
        uint32_t from;
        struct fixture *f = world_with_offer(110 + r, rows[r].subscribe, &s, offer, sizeof(offer),
                                             &from);
        launch(f, &s, "no-such-offer", "t1", agent_id(f->agents[0]), "true", NULL);
        const struct update_want w = {rows[r].state, "REASON_INVALID_OFFERS", "SOURCE_MASTER",
                                      "Task launched with invalid offers: Offer no-such-offer is "
                                      "no longer valid", 0};
        json_decref(update_expect(f, &s, &from, SEC, "t1", &w));
        /* The offer actually held is untouched and still usable. */
        launch(f, &s, offer, "t2", agent_id(f->agents[0]), "sleep 100", NULL);
        json_decref(update_expect(f, &s, &from, SEC, "t2", &want_starting));
        fixture_free(f);
    }
}

/* O5: invalid tasks get TASK_ERROR, REASON_TASK_INVALID, with validation.cpp's text. */
static void launch_invalid_task(void **state)
{
    (void)state;
    static const struct {
        const char *task_id, *agent, *resources, *command, *message_prefix;
    } rows[] = {
        /* validateTaskID's text alone: Mesos' validateTask adds no prefix. */
        {"t/1", NULL, NULL, "true", "'t/1' contains invalid characters"},
        {"..", NULL, NULL, "true", "'..' is disallowed"},
        {"t1", "other-agent", NULL, "true", "Task uses invalid agent other-agent while agent "},
        {"t1", NULL, "[]", "true", "Task uses no resources"},
        {"t1", NULL, NULL, NULL,
         "Task should have at least one (but not both) of CommandInfo or ExecutorInfo present"},
        {"t1", NULL, "[{\"name\":\"cpus\",\"type\":\"SCALAR\",\"scalar\":{\"value\":64}}]", "true",
         "Total resources "},
    };
    for (size_t r = 0; r < sizeof(rows) / sizeof(rows[0]); r++) {
        struct sub s;
        char offer[128];
        uint32_t from;
        struct fixture *f = world_with_offer(120 + r, SUBSCRIBE_PLAIN, &s, offer, sizeof(offer),
                                             &from);
        launch(f, &s, offer, rows[r].task_id,
               rows[r].agent != NULL ? rows[r].agent : agent_id(f->agents[0]), rows[r].command,
               rows[r].resources);
        int i = -1;
        for (uint64_t end = now(f) + SEC; (i = find(f, &s, "UPDATE", from)) < 0 && now(f) < end;)
            run(f, 10 * MS);
        assert_true(i >= 0);
        json_t *j = record(ex(f, &s), (uint32_t)i);
        assert_string_equal(status_str(j, "state"), "TASK_ERROR");
        assert_string_equal(status_str(j, "reason"), "REASON_TASK_INVALID");
        assert_string_equal(status_str(j, "source"), "SOURCE_MASTER");
        const char *msg = status_str(j, "message");
        if (strncmp(msg, rows[r].message_prefix, strlen(rows[r].message_prefix)) != 0)
            fail_msg("row %zu: message '%s'", r, msg);
        json_decref(j);
        run(f, 3 * SEC);
        assert_int_equal(count(f, &s, "UPDATE", (uint32_t)i + 1), 0); /* nothing ran */
        fixture_free(f);
    }
}

/* A duplicate task id in the same framework is refused; the first task runs on. */
static void launch_duplicate_id(void **state)
{
    (void)state;
    struct sub s;
    char offer[128];
    uint32_t from;
    struct fixture *f = world_with_offer(130, SUBSCRIBE_PLAIN, &s, offer, sizeof(offer), &from);
    launch_running(f, &s, offer, "t1", "sleep 1000", &from);
    int i = wait_offers(f, &s, from, 5 * SEC);
    char offer2[128];
    offer_field(f, &s, i, 0, "id", offer2, sizeof(offer2));
    launch(f, &s, offer2, "t1", agent_id(f->agents[0]), "true", NULL);
    const struct update_want w = {"TASK_ERROR", "REASON_TASK_INVALID", "SOURCE_MASTER",
                                  "Task has duplicate ID: t1", 0};
    json_decref(update_expect(f, &s, &from, SEC, "t1", &w));
    fixture_free(f);
}

/* T4: KILL with TASK_KILLING_STATE: KILLING, then KILLED; T11: another agent named: nothing. */
static void kill_task(void **state)
{
    (void)state;
    struct sub s;
    char offer[128], body[512];
    uint32_t from;
    struct fixture *f = world_with_offer(140, SUBSCRIBE_AWARE, &s, offer, sizeof(offer), &from);
    launch_running(f, &s, offer, "t1", "sleep 1000", &from);
    snprintf(body, sizeof(body),
             "{\"type\":\"KILL\",\"framework_id\":{\"value\":\"%s\"},\"kill\":{\"task_id\":"
             "{\"value\":\"t1\"},\"agent_id\":{\"value\":\"elsewhere\"}}}", s.fw);
    call_202(f, &s, body);
    run(f, 2 * SEC);
    assert_int_equal(count(f, &s, "UPDATE", from), 0);
    snprintf(body, sizeof(body),
             "{\"type\":\"KILL\",\"framework_id\":{\"value\":\"%s\"},\"kill\":{\"task_id\":"
             "{\"value\":\"t1\"}}}", s.fw);
    call_202(f, &s, body);
    const struct update_want killing = {"TASK_KILLING", NULL, "SOURCE_EXECUTOR", NULL, 1};
    json_t *u = update_expect(f, &s, &from, SEC, "t1", &killing);
    acknowledge(f, &s, u);
    json_decref(u);
    const struct update_want killed = {"TASK_KILLED", NULL, "SOURCE_EXECUTOR",
                                       "Command terminated with signal Terminated", 1};
    u = update_expect(f, &s, &from, SEC, "t1", &killed);
    acknowledge(f, &s, u);
    json_decref(u);
    fixture_free(f);
}

/* T4: KILL of a task the master does not know answers as explicit reconciliation. */
static void kill_unknown_reconciles(void **state)
{
    (void)state;
    struct sub s;
    char offer[128], body[512];
    uint32_t from;
    struct fixture *f = world_with_offer(141, SUBSCRIBE_PLAIN, &s, offer, sizeof(offer), &from);
    snprintf(body, sizeof(body),
             "{\"type\":\"KILL\",\"framework_id\":{\"value\":\"%s\"},\"kill\":{\"task_id\":"
             "{\"value\":\"nope\"},\"agent_id\":{\"value\":\"%s\"}}}", s.fw, agent_id(f->agents[0]));
    call_202(f, &s, body);
    const struct update_want w = {"TASK_LOST", "REASON_RECONCILIATION", "SOURCE_MASTER",
                                  "Reconciliation: Task is unknown to the agent", 0};
    json_decref(update_expect(f, &s, &from, SEC, "nope", &w));
    fixture_free(f);
}

/* T5, T6: implicit and explicit reconciliation, before and after the task is forgotten. */
static void reconcile_rules(void **state)
{
    (void)state;
    static const struct {
        const char *subscribe, *gone, *unknown;
    } rows[] = {{SUBSCRIBE_PLAIN, "TASK_LOST", "TASK_LOST"},
                {SUBSCRIBE_AWARE, "TASK_GONE", "TASK_UNKNOWN"}};
    for (size_t r = 0; r < sizeof(rows) / sizeof(rows[0]); r++) {
        struct sub s;
        char offer[128], body[1024];
        uint32_t from;
        struct fixture *f = world_with_offer(150 + r, rows[r].subscribe, &s, offer,
                                             sizeof(offer), &from);
        launch_running(f, &s, offer, "t1", "sleep 5", &from);
        snprintf(body, sizeof(body),
                 "{\"type\":\"RECONCILE\",\"framework_id\":{\"value\":\"%s\"},\"reconcile\":"
                 "{\"tasks\":null}}", s.fw);
        call_202(f, &s, body);
        const struct update_want latest = {"TASK_RUNNING", "REASON_RECONCILIATION",
                                           "SOURCE_MASTER", "Reconciliation: Latest task state", 0};
        json_decref(update_expect(f, &s, &from, SEC, "t1", &latest));
        const struct update_want fin = {"TASK_FINISHED", NULL, "SOURCE_EXECUTOR",
                                        "Command exited with status 0", 1};
        json_t *u = update_expect(f, &s, &from, 6 * SEC, "t1", &fin);
        acknowledge(f, &s, u); /* terminal and acknowledged: forgotten */
        json_decref(u);
        call_202(f, &s, body);
        run(f, SEC);
        assert_int_equal(count(f, &s, "UPDATE", from), 0); /* implicit: nothing left */
        snprintf(body, sizeof(body),
                 "{\"type\":\"RECONCILE\",\"framework_id\":{\"value\":\"%s\"},\"reconcile\":"
                 "{\"tasks\":[{\"task_id\":{\"value\":\"t1\"},\"agent_id\":{\"value\":\"%s\"}},"
                 "{\"task_id\":{\"value\":\"t9\"},\"agent_id\":{\"value\":\"no-agent\"}}]}}",
                 s.fw, agent_id(f->agents[0]));
        call_202(f, &s, body);
        const struct update_want gone = {rows[r].gone, "REASON_RECONCILIATION", "SOURCE_MASTER",
                                         "Reconciliation: Task is unknown to the agent", 0};
        json_decref(update_expect(f, &s, &from, SEC, "t1", &gone));
        const struct update_want unknown = {rows[r].unknown, "REASON_RECONCILIATION",
                                            "SOURCE_MASTER", "Reconciliation: Task is unknown", 0};
        json_decref(update_expect(f, &s, &from, SEC, "t9", &unknown));
        fixture_free(f);
    }
}

/* A3, A4: UPDATE (unreachable_time, no uuid) before FAILURE; back: the running state again. */
static void partition_then_reregistration(void **state)
{
    (void)state;
    static const struct {
        const char *subscribe, *state;
    } rows[] = {{SUBSCRIBE_PLAIN, "TASK_LOST"}, {SUBSCRIBE_AWARE, "TASK_UNREACHABLE"}};
    for (size_t r = 0; r < sizeof(rows) / sizeof(rows[0]); r++) {
        struct sub s;
        char offer[128], body[1024];
        uint32_t from;
        struct fixture *f = world_with_offer(160 + r, rows[r].subscribe, &s, offer,
                                             sizeof(offer), &from);
        launch_running(f, &s, offer, "t1", "sleep 100000", &from);
        uint32_t cut = agent_partition(f, 0);
        const struct update_want lost = {rows[r].state, "REASON_AGENT_REMOVED", "SOURCE_MASTER",
                                         "health check timed out", 0};
        json_t *u = update_expect(f, &s, &from, 100 * SEC, "t1", &lost);
        json_t *st = json_object_get(json_object_get(u, "update"), "status");
        assert_non_null(json_object_get(json_object_get(st, "unreachable_time"), "nanoseconds"));
        json_decref(u);
        run(f, SEC);
        int fl = find(f, &s, "FAILURE", 0);
        assert_true(fl >= (int)from); /* UPDATE, then FAILURE */
        snprintf(body, sizeof(body),
                 "{\"type\":\"RECONCILE\",\"framework_id\":{\"value\":\"%s\"},\"reconcile\":"
                 "{\"tasks\":[{\"task_id\":{\"value\":\"t1\"}}]}}", s.fw);
        call_202(f, &s, body);
        const struct update_want unr = {rows[r].state, "REASON_RECONCILIATION", "SOURCE_MASTER",
                                        "Reconciliation: Task is unreachable", 0};
        from = (uint32_t)fl + 1;
        json_decref(update_expect(f, &s, &from, SEC, "t1", &unr));
        assert_int_equal(sim_heal(f->world, cut), 0);
        const struct update_want back = {"TASK_RUNNING", "REASON_AGENT_REREGISTERED",
                                         "SOURCE_MASTER", "Unreachable agent re-reregistered", 0};
        json_decref(update_expect(f, &s, &from, 200 * SEC, "t1", &back));
        fixture_free(f);
    }
}

/* T7: MESSAGE reaches the executor, which echoes it back as a MESSAGE event. */
static void message_echoed(void **state)
{
    (void)state;
    struct sub s;
    char offer[128], body[1024];
    uint32_t from;
    struct fixture *f = world_with_offer(170, SUBSCRIBE_PLAIN, &s, offer, sizeof(offer), &from);
    launch_running(f, &s, offer, "t1", "sleep 1000", &from);
    snprintf(body, sizeof(body),
             "{\"type\":\"MESSAGE\",\"framework_id\":{\"value\":\"%s\"},\"message\":{\"agent_id\":"
             "{\"value\":\"%s\"},\"executor_id\":{\"value\":\"t1\"},\"data\":\"aGVsbG8=\"}}",
             s.fw, agent_id(f->agents[0]));
    call_202(f, &s, body);
    run(f, SEC);
    int i = find(f, &s, "MESSAGE", from);
    assert_true(i >= 0);
    json_t *j = record(ex(f, &s), (uint32_t)i);
    json_t *m = json_object_get(j, "message");
    assert_string_equal(json_string_value(json_object_get(m, "data")), "aGVsbG8=");
    assert_string_equal(json_string_value(json_object_get(json_object_get(m, "executor_id"),
                                                          "value")), "t1");
    json_decref(j);
    fixture_free(f);
}

/* L10, L9: TEARDOWN kills the tasks without UPDATE; the agent drops them. */
static void teardown_drops_tasks(void **state)
{
    (void)state;
    struct sub s;
    char offer[128], body[512];
    uint32_t from;
    struct fixture *f = world_with_offer(180, SUBSCRIBE_PLAIN, &s, offer, sizeof(offer), &from);
    launch_running(f, &s, offer, "t1", "sleep 1000", &from);
    snprintf(body, sizeof(body), "{\"type\":\"TEARDOWN\",\"framework_id\":{\"value\":\"%s\"}}",
             s.fw);
    call_202(f, &s, body);
    run(f, 2 * SEC);
    assert_int_equal(count(f, &s, "UPDATE", from), 0);
    /* A new framework is offered the whole agent again: the task's resources came back. */
    struct sub s2;
    subscribe(f, 1, SUBSCRIBE_PLAIN, &s2);
    int i = wait_offers(f, &s2, 0, 5 * SEC);
    json_t *j = record(ex(f, &s2), (uint32_t)i);
    json_t *res = json_object_get(json_array_get(json_object_get(json_object_get(j, "offers"),
                                                                 "offers"), 0), "resources");
    double cpus = 0;
    for (size_t k = 0; k < json_array_size(res); k++)
        if (strcmp(json_string_value(json_object_get(json_array_get(res, k), "name")), "cpus") == 0)
            cpus = json_real_value(json_object_get(json_object_get(json_array_get(res, k),
                                                                   "scalar"), "value"));
    assert_true(cpus == 2.0);
    json_decref(j);
    fixture_free(f);
}

/* ---- recovery: master failover, agent restarts, re-registration (M1, M2, A4-A7) ---- */

#define FW_INFO_CKPT "\"user\":\"root\",\"name\":\"mesos-diff\",\"checkpoint\":true," \
    "\"failover_timeout\":3600,\"capabilities\":[{\"type\":\"PARTITION_AWARE\"}," \
    "{\"type\":\"TASK_KILLING_STATE\"}]"
#define SUBSCRIBE_CKPT "{\"type\":\"SUBSCRIBE\",\"subscribe\":{\"framework_info\":{" \
    FW_INFO_CKPT "}}}"

/* SUBSCRIBE again with the framework id of s, as client c, into *out (L2, L4). */
static void resubscribe(struct fixture *f, const struct sub *s, int c, struct sub *out)
{
    char body[1024];
    snprintf(body, sizeof(body),
             "{\"type\":\"SUBSCRIBE\",\"framework_id\":{\"value\":\"%s\"},\"subscribe\":{"
             "\"framework_info\":{\"id\":{\"value\":\"%s\"}," FW_INFO_CKPT "}}}",
             s->fw, s->fw);
    subscribe(f, c, body, out);
    assert_string_equal(out->fw, s->fw);
}

/* RECONCILE of task_id, naming agent_id (NULL: none), or implicit when task_id is NULL. */
static void reconcile_call(struct fixture *f, const struct sub *s, const char *task_id,
                           const char *agent_id)
{
    char body[1024], agent[512] = "";
    if (agent_id != NULL)
        snprintf(agent, sizeof(agent), ",\"agent_id\":{\"value\":\"%s\"}", agent_id);
    if (task_id == NULL)
        snprintf(body, sizeof(body),
                 "{\"type\":\"RECONCILE\",\"framework_id\":{\"value\":\"%s\"},\"reconcile\":"
                 "{\"tasks\":[]}}", s->fw);
    else
        snprintf(body, sizeof(body),
                 "{\"type\":\"RECONCILE\",\"framework_id\":{\"value\":\"%s\"},\"reconcile\":"
                 "{\"tasks\":[{\"task_id\":{\"value\":\"%s\"}%s}]}}", s->fw, task_id, agent);
    call_202(f, s, body);
}

static const struct update_want want_latest_running = {"TASK_RUNNING", "REASON_RECONCILIATION",
                                                       "SOURCE_MASTER",
                                                       "Reconciliation: Latest task state", 0};

/* Runs until agent i is REGISTERED at the master (within limit_ns). */
static void wait_registered(struct fixture *f, int i, uint64_t limit_ns)
{
    uint64_t end = now(f) + limit_ns;
    while (master_agent_state(f->master, agent_id(f->agents[i])) != MASTER_AGENT_REGISTERED &&
           now(f) < end)
        run(f, 100 * MS);
    assert_int_equal(master_agent_state(f->master, agent_id(f->agents[i])),
                     MASTER_AGENT_REGISTERED);
}

/*
 * M1: after a master failover, a task of an agent that has not re-registered
 * gets no answer to RECONCILE, explicit (with or without its agent id) or
 * implicit (Master::reconcile case 2); once the agent re-registered with it,
 * the answer is its latest state, and the re-registration itself sent nothing.
 */
static void failover_reconcile_waits_for_agent(void **state)
{
    (void)state;
    struct sub s, s2;
    char offer[128], id[128];
    uint32_t from;
    struct fixture *f = world_with_offer(201, SUBSCRIBE_CKPT, &s, offer, sizeof(offer), &from);
    launch_running(f, &s, offer, "t1", "sleep 100000", &from);
    snprintf(id, sizeof(id), "%s", agent_id(f->agents[0]));
    uint32_t cut = agent_partition(f, 0);
    master_restart(f);
    run(f, SEC);
    assert_int_equal(master_agent_state(f->master, id), MASTER_AGENT_RECOVERED);
    resubscribe(f, &s, 1, &s2);
    uint32_t from2 = 1;
    reconcile_call(f, &s2, "t1", id);
    reconcile_call(f, &s2, "t1", NULL);
    reconcile_call(f, &s2, NULL, NULL);
    run(f, 5 * SEC);
    assert_int_equal(count(f, &s2, "UPDATE", from2), 0);
    struct master_stats ms;
    master_stats_get(f->master, &ms);
    assert_int_equal(ms.frameworks_connected, 1);
    assert_int_equal(ms.frameworks_recovered, 0);
    assert_int_equal(sim_heal(f->world, cut), 0);
    wait_registered(f, 0, 120 * SEC);
    run(f, SEC);
    assert_int_equal(count(f, &s2, "UPDATE", from2), 0); /* no word for the recovery */
    from2 = ex(f, &s2)->records_count;
    reconcile_call(f, &s2, "t1", id);
    json_t *u = update_expect(f, &s2, &from2, SEC, "t1", &want_latest_running);
    json_t *st = json_object_get(json_object_get(u, "update"), "status");
    json_t *aid = json_object_get(json_object_get(st, "agent_id"), "value");
    assert_string_equal(json_string_value(aid), id);
    json_decref(u);
    reconcile_call(f, &s2, NULL, NULL);
    json_decref(update_expect(f, &s2, &from2, SEC, "t1", &want_latest_running));
    fixture_free(f);
}

/* The cpus of the first offer of OFFERS record i. */
static double offer_cpus(struct fixture *f, const struct sub *s, int i)
{
    json_t *j = record(ex(f, s), (uint32_t)i);
    json_t *res = json_object_get(json_array_get(json_object_get(json_object_get(j, "offers"),
                                                                 "offers"), 0), "resources");
    double cpus = 0;
    for (size_t k = 0; k < json_array_size(res); k++)
        if (strcmp(json_string_value(json_object_get(json_array_get(res, k), "name")), "cpus") == 0)
            cpus = json_real_value(json_object_get(json_object_get(json_array_get(res, k),
                                                                   "scalar"), "value"));
    json_decref(j);
    return cpus;
}

/*
 * M1: an agent that re-registers with a new master before the framework
 * does makes it RECOVERED (listed, inactive, its task's resources held);
 * its SUBSCRIBE adopts the task, with no event for that; reconciliation
 * answers the latest state.
 */
static void failover_framework_recovered_from_agent(void **state)
{
    (void)state;
    struct sub s, s2;
    char offer[128];
    uint32_t from;
    struct fixture *f = world_with_offer(202, SUBSCRIBE_CKPT, &s, offer, sizeof(offer), &from);
    launch_running(f, &s, offer, "t1", "sleep 100000", &from);
    master_restart(f);
    wait_registered(f, 0, 120 * SEC);
    struct master_stats ms;
    master_stats_get(f->master, &ms);
    assert_int_equal(ms.frameworks_recovered, 1);
    assert_int_equal(ms.frameworks_connected, 0);
    resubscribe(f, &s, 1, &s2);
    master_stats_get(f->master, &ms);
    assert_int_equal(ms.frameworks_recovered, 0);
    assert_int_equal(ms.frameworks_connected, 1);
    /* The task holds 0.1 of the agent's 2 cpus: offers have the rest. */
    int i = wait_offers(f, &s2, 0, 5 * SEC);
    assert_true(offer_cpus(f, &s2, i) > 1.89 && offer_cpus(f, &s2, i) < 1.91);
    uint32_t from2 = 1;
    assert_int_equal(count(f, &s2, "UPDATE", from2), 0);
    reconcile_call(f, &s2, NULL, NULL);
    json_decref(update_expect(f, &s2, &from2, SEC, "t1", &want_latest_running));
    fixture_free(f);
}

/*
 * M2: an agent that does not re-register within agent_reregister_timeout
 * (10 min) of the failover becomes unreachable: the framework hears
 * FAILURE and no task UPDATE (the new master never learned the task);
 * reconciliation then answers TASK_UNREACHABLE (T6). When the agent comes
 * back, its task is announced again (A4).
 */
static void failover_agent_never_back(void **state)
{
    (void)state;
    struct sub s, s2;
    char offer[128], id[128];
    uint32_t from;
    struct fixture *f = world_with_offer(203, SUBSCRIBE_CKPT, &s, offer, sizeof(offer), &from);
    launch_running(f, &s, offer, "t1", "sleep 100000", &from);
    snprintf(id, sizeof(id), "%s", agent_id(f->agents[0]));
    uint32_t cut = agent_partition(f, 0);
    master_restart(f);
    uint64_t t0 = now(f);
    run(f, SEC);
    resubscribe(f, &s, 1, &s2);
    while (master_agent_state(f->master, id) == MASTER_AGENT_RECOVERED)
        run(f, SEC);
    uint64_t waited = now(f) - t0;
    assert_true(waited >= 600 * SEC && waited <= 601 * SEC);
    assert_int_equal(master_agent_state(f->master, id), MASTER_AGENT_UNREACHABLE);
    run(f, SEC);
    int fl = find(f, &s2, "FAILURE", 0);
    assert_true(fl >= 0);
    json_t *j = record(ex(f, &s2), (uint32_t)fl);
    char want[256];
    snprintf(want, sizeof(want), "{\"agent_id\": {\"value\": \"%s\"}}", id);
    json_t *w = json_loads(want, 0, NULL);
    assert_true(json_equal(json_object_get(j, "failure"), w));
    json_decref(w);
    json_decref(j);
    assert_int_equal(count(f, &s2, "FAILURE", 0), 1);
    assert_int_equal(count(f, &s2, "UPDATE", 0), 0);
    uint32_t from2 = ex(f, &s2)->records_count;
    reconcile_call(f, &s2, "t1", id);
    const struct update_want unr = {"TASK_UNREACHABLE", "REASON_RECONCILIATION", "SOURCE_MASTER",
                                    "Reconciliation: Task is unreachable", 0};
    json_decref(update_expect(f, &s2, &from2, SEC, "t1", &unr));
    assert_int_equal(sim_heal(f->world, cut), 0);
    const struct update_want back = {"TASK_RUNNING", "REASON_AGENT_REREGISTERED", "SOURCE_MASTER",
                                     "Unreachable agent re-reregistered", 0};
    json_decref(update_expect(f, &s2, &from2, 120 * SEC, "t1", &back));
    fixture_free(f);
}

/*
 * A7: a framework torn down while its agent was cut off: the agent comes
 * back with the task, which is not added again (a new framework is offered
 * the whole agent), and the agent is told to shut the framework down.
 */
static void removed_framework_shut_down_on_return(void **state)
{
    (void)state;
    struct sub s;
    char offer[128], body[512];
    uint32_t from;
    struct fixture *f = world_with_offer(204, SUBSCRIBE_CKPT, &s, offer, sizeof(offer), &from);
    launch_running(f, &s, offer, "t1", "sleep 100000", &from);
    uint32_t cut = agent_partition(f, 0);
    const char *id = agent_id(f->agents[0]);
    while (master_agent_state(f->master, id) != MASTER_AGENT_UNREACHABLE)
        run(f, SEC);
    snprintf(body, sizeof(body), "{\"type\":\"TEARDOWN\",\"framework_id\":{\"value\":\"%s\"}}",
             s.fw);
    call_202(f, &s, body);
    struct agent_stats as;
    agent_stats_get(f->agents[0], &as);
    assert_int_equal(as.tasks, 1); /* it heard nothing */
    assert_int_equal(sim_heal(f->world, cut), 0);
    wait_registered(f, 0, 120 * SEC);
    run(f, SEC);
    agent_stats_get(f->agents[0], &as);
    assert_int_equal(as.tasks, 0); /* SHUTDOWN_FRAMEWORK */
    struct sub s2;
    subscribe(f, 1, SUBSCRIBE_PLAIN, &s2);
    int i = wait_offers(f, &s2, 0, 5 * SEC);
    assert_true(offer_cpus(f, &s2, i) == 2.0);
    fixture_free(f);
}

/*
 * A5: an agent restarted with its store recovers the tasks of a
 * checkpointing framework: a "sleep" whose end passed while it was down
 * has finished, a long one runs on, and an update that was not
 * acknowledged is sent again with its uuid; a new master hears of both.
 */
static void agent_restart_recovers_checkpointed(void **state)
{
    (void)state;
    struct sub s;
    char offer[128], offer2[128];
    uint32_t from;
    struct fixture *f = world_with_offer(205, SUBSCRIBE_CKPT, &s, offer, sizeof(offer), &from);
    launch_running(f, &s, offer, "long", "sleep 100000", &from);
    int i = wait_offers(f, &s, from, 5 * SEC);
    offer_field(f, &s, i, 0, "id", offer2, sizeof(offer2));
    launch(f, &s, offer2, "short", agent_id(f->agents[0]), "sleep 20", NULL);
    json_t *u = update_expect(f, &s, &from, SEC, "short", &want_starting);
    acknowledge(f, &s, u);
    json_decref(u);
    json_t *running = update_expect(f, &s, &from, SEC, "short", &want_running);
    /* RUNNING is not acknowledged: the agent must send it again after its restart. */
    struct agent_stats as;
    agent_stats_get(f->agents[0], &as);
    assert_true(as.checkpoints >= 2);
    agent_crash(f, 0);
    run(f, 40 * SEC);
    agent_restart(f, 0, NULL);
    agent_stats_get(f->agents[0], &as);
    assert_int_equal(as.tasks_recovered, 2);
    json_t *again = update_expect(f, &s, &from, 30 * SEC, "short", &want_running);
    assert_string_equal(status_str(again, "uuid"), status_str(running, "uuid"));
    acknowledge(f, &s, again);
    json_decref(running);
    json_decref(again);
    const struct update_want fin = {"TASK_FINISHED", NULL, "SOURCE_EXECUTOR",
                                    "Command exited with status 0", 1};
    u = update_expect(f, &s, &from, SEC, "short", &fin);
    acknowledge(f, &s, u);
    json_decref(u);
    reconcile_call(f, &s, "long", agent_id(f->agents[0]));
    json_decref(update_expect(f, &s, &from, SEC, "long", &want_latest_running));
    fixture_free(f);
}

/*
 * A5, A6: a framework without checkpoint loses its task when the agent
 * crashes (TASK_LOST at once); the restarted agent does not have it, and
 * nothing more is said of it.
 */
static void agent_restart_loses_uncheckpointed(void **state)
{
    (void)state;
    struct sub s;
    char offer[128];
    uint32_t from;
    struct fixture *f = world_with_offer(206, SUBSCRIBE_AWARE, &s, offer, sizeof(offer), &from);
    launch_running(f, &s, offer, "t1", "sleep 100000", &from);
    char id[128];
    snprintf(id, sizeof(id), "%s", agent_id(f->agents[0]));
    agent_crash(f, 0);
    char text[256];
    snprintf(text, sizeof(text), "Agent %s disconnected", agent_hosts[0]);
    const struct update_want lost = {"TASK_LOST", "REASON_AGENT_DISCONNECTED", "SOURCE_MASTER",
                                     text, 0};
    json_decref(update_expect(f, &s, &from, SEC, "t1", &lost));
    agent_restart(f, 0, NULL);
    struct agent_stats as;
    agent_stats_get(f->agents[0], &as);
    assert_int_equal(as.tasks_recovered, 0);
    assert_int_equal(as.checkpoints, 0); /* nothing was ever written for it */
    wait_registered(f, 0, 30 * SEC);
    run(f, 5 * SEC);
    assert_int_equal(count(f, &s, "UPDATE", from), 0);
    reconcile_call(f, &s, "t1", id);
    const struct update_want gone = {"TASK_GONE", "REASON_RECONCILIATION", "SOURCE_MASTER",
                                     "Reconciliation: Task is unknown to the agent", 0};
    json_decref(update_expect(f, &s, &from, SEC, "t1", &gone));
    fixture_free(f);
}

/*
 * A1, A6 (reconcileKnownSlave): the agent never received a task's launch;
 * when it re-registers with the same master it is asked about the task and
 * answers TASK_DROPPED itself (SOURCE_AGENT, with a uuid), after which the
 * master forgets the task.
 */
static void known_agent_answers_missing_task(void **state)
{
    (void)state;
    struct sub s;
    char offer[128];
    uint32_t from;
    struct fixture *f = world_with_offer(207, SUBSCRIBE_CKPT, &s, offer, sizeof(offer), &from);
    cut_from_master(f, agent_addrs[0]);
    launch(f, &s, offer, "t1", agent_id(f->agents[0]), "sleep 100000", NULL);
    run(f, SEC);
    cut_from_master(f, NULL);
    assert_true(sim_node_reset_connections(f->world, agent_addrs[0]) >= 1);
    const struct update_want dropped = {"TASK_DROPPED", "REASON_RECONCILIATION", "SOURCE_AGENT",
                                        "Reconciliation: task unknown to the agent", 1};
    json_t *u = update_expect(f, &s, &from, 30 * SEC, "t1", &dropped);
    json_t *st = json_object_get(json_object_get(u, "update"), "status");
    assert_null(json_object_get(st, "executor_id"));
    acknowledge(f, &s, u);
    json_decref(u);
    struct agent_stats as;
    agent_stats_get(f->agents[0], &as);
    assert_int_equal(as.reconciliations_answered, 1);
    assert_int_equal(as.tasks, 0);
    reconcile_call(f, &s, "t1", agent_id(f->agents[0]));
    const struct update_want gone = {"TASK_GONE", "REASON_RECONCILIATION", "SOURCE_MASTER",
                                     "Reconciliation: Task is unknown to the agent", 0};
    json_decref(update_expect(f, &s, &from, SEC, "t1", &gone));
    fixture_free(f);
}

/*
 * A5: an agent restarts before the master noticed it was gone (its crash
 * was lost in a partition), without the task of a framework that does not
 * checkpoint: the master still has the task, asks about it when the agent
 * re-registers, and the agent answers TASK_LOST itself (the framework is
 * not PARTITION_AWARE) (Master::reconcileKnownSlave, Slave::reregistered).
 */
static void agent_restart_unnoticed_task_lost(void **state)
{
    (void)state;
    struct sub s;
    char offer[128];
    uint32_t from;
    struct fixture *f = world_with_offer(209, SUBSCRIBE_PLAIN, &s, offer, sizeof(offer), &from);
    launch_running(f, &s, offer, "t1", "sleep 100000", &from);
    char id[128];
    snprintf(id, sizeof(id), "%s", agent_id(f->agents[0]));
    uint32_t cut = agent_partition(f, 0);
    agent_crash(f, 0);
    run(f, 5 * SEC);
    assert_int_equal(master_agent_state(f->master, id), MASTER_AGENT_REGISTERED);
    agent_restart(f, 0, NULL);
    assert_int_equal(sim_heal(f->world, cut), 0);
    const struct update_want lost = {"TASK_LOST", "REASON_RECONCILIATION", "SOURCE_AGENT",
                                     "Reconciliation: task unknown to the agent", 1};
    json_t *u = update_expect(f, &s, &from, 30 * SEC, "t1", &lost);
    acknowledge(f, &s, u);
    json_decref(u);
    run(f, SEC);
    struct agent_stats as;
    agent_stats_get(f->agents[0], &as);
    assert_int_equal(as.tasks, 0);
    assert_int_equal(count(f, &s, "UPDATE", from), 0);
    fixture_free(f);
}

/* T4 (killedTasks): a KILL the agent could not hear is sent again when it re-registers. */
static void kill_resent_on_reregistration(void **state)
{
    (void)state;
    struct sub s;
    char offer[128], body[512];
    uint32_t from;
    struct fixture *f = world_with_offer(208, SUBSCRIBE_CKPT, &s, offer, sizeof(offer), &from);
    launch_running(f, &s, offer, "t1", "sleep 100000", &from);
    cut_from_master(f, agent_addrs[0]);
    snprintf(body, sizeof(body),
             "{\"type\":\"KILL\",\"framework_id\":{\"value\":\"%s\"},\"kill\":{\"task_id\":"
             "{\"value\":\"t1\"}}}", s.fw);
    call_202(f, &s, body);
    run(f, 2 * SEC);
    assert_int_equal(count(f, &s, "UPDATE", from), 0);
    cut_from_master(f, NULL);
    assert_true(sim_node_reset_connections(f->world, agent_addrs[0]) >= 1);
    const struct update_want killing = {"TASK_KILLING", NULL, "SOURCE_EXECUTOR", NULL, 1};
    json_t *u = update_expect(f, &s, &from, 30 * SEC, "t1", &killing);
    acknowledge(f, &s, u);
    json_decref(u);
    const struct update_want killed = {"TASK_KILLED", NULL, "SOURCE_EXECUTOR",
                                       "Command terminated with signal Terminated", 1};
    json_decref(update_expect(f, &s, &from, SEC, "t1", &killed));
    fixture_free(f);
}

/* ---- offer operations with tasks: RESERVE then LAUNCH, LAUNCH_GROUP (O5, T1) ---- */

#define SUBSCRIBE_ROLE_R "{\"type\":\"SUBSCRIBE\",\"subscribe\":{\"framework_info\":{\"user\":" \
    "\"root\",\"name\":\"ops\",\"principal\":\"p\",\"roles\":[\"r\"],\"capabilities\":[{\"type\":" \
    "\"MULTI_ROLE\"},{\"type\":\"RESERVATION_REFINEMENT\"}]}}}"
#define RES_CPUS_MEM(c, m) "[{\"name\":\"cpus\",\"type\":\"SCALAR\",\"scalar\":{\"value\":" c "}}," \
    "{\"name\":\"mem\",\"type\":\"SCALAR\",\"scalar\":{\"value\":" m "}}]"
#define EXECUTOR_RES "[{\"name\":\"cpus\",\"type\":\"SCALAR\",\"scalar\":{\"value\":0.1}}," \
    "{\"name\":\"mem\",\"type\":\"SCALAR\",\"scalar\":{\"value\":32}},{\"name\":\"disk\"," \
    "\"type\":\"SCALAR\",\"scalar\":{\"value\":32}}]"

/* ACCEPT of offer with the operations of text (a JSON array, "%s" for the agent id). */
static void accept_text(struct fixture *f, const struct sub *s, const char *offer,
                        const char *operations_fmt)
{
    char ops[8192];
    snprintf(ops, sizeof(ops), operations_fmt, agent_id(f->agents[0]), agent_id(f->agents[0]),
             agent_id(f->agents[0]));
    accept_ops(f, s, offer, ops, "{\"refuse_seconds\":0}");
}

/* A task of a group: id, command, cpus 0.1 and mem 32 on agent (a JSON object). */
static void group_task(char *out, size_t n, const char *id, const char *agent, const char *cmd)
{
    snprintf(out, n,
             "{\"name\":\"%s\",\"task_id\":{\"value\":\"%s\"},\"agent_id\":{\"value\":\"%s\"},"
             "\"resources\":" RES_CPUS_MEM("0.1", "32") ",\"command\":{\"value\":\"%s\"}}",
             id, id, agent, cmd);
}

/* ACCEPT with one LAUNCH_GROUP of executor e1 (DEFAULT; extra: more fields) running two tasks. */
static void launch_group2(struct fixture *f, const struct sub *s, const char *offer,
                          const char *executor_extra, const char *id1, const char *cmd1,
                          const char *id2, const char *cmd2)
{
    char t1[1024], t2[1024], ops[4096];
    group_task(t1, sizeof(t1), id1, agent_id(f->agents[0]), cmd1);
    group_task(t2, sizeof(t2), id2, agent_id(f->agents[0]), cmd2);
    snprintf(ops, sizeof(ops),
             "[{\"type\":\"LAUNCH_GROUP\",\"launch_group\":{\"executor\":{\"executor_id\":"
             "{\"value\":\"e1\"},\"type\":\"DEFAULT\",\"framework_id\":{\"value\":\"%s\"},"
             "\"resources\":" EXECUTOR_RES "%s},\"task_group\":{\"tasks\":[%s,%s]}}}]",
             s->fw, executor_extra != NULL ? executor_extra : "", t1, t2);
    accept_ops(f, s, offer, ops, "{\"refuse_seconds\":0}");
}

/*
 * The next UPDATE of task_id at or after *from (updates of other tasks are
 * skipped: each task's updates are ordered, different tasks' are not),
 * checked against w; *from moves past it. The caller decrefs it.
 */
static json_t *update_of(struct fixture *f, const struct sub *s, uint32_t *from,
                         const char *task_id, const struct update_want *w)
{
    uint64_t end = now(f) + 2 * SEC;
    for (;;) {
        int i = find(f, s, "UPDATE", *from);
        if (i < 0 && now(f) < end) {
            run(f, 10 * MS);
            continue;
        }
        if (i < 0)
            fail_msg("no UPDATE %s for task %s", w->state, task_id);
        json_t *j = record(ex(f, s), (uint32_t)i);
        json_t *st = json_object_get(json_object_get(j, "update"), "status");
        int mine = strcmp(json_string_value(json_object_get(json_object_get(st, "task_id"),
                                                            "value")), task_id) == 0;
        json_decref(j);
        if (mine)
            break;
        *from = (uint32_t)i + 1;
    }
    return update_expect(f, s, from, 2 * SEC, task_id, w);
}

/* update_of, then the update is acknowledged when it has a uuid. */
static void expect_ack(struct fixture *f, const struct sub *s, uint32_t *from, const char *task_id,
                       const struct update_want *w)
{
    json_t *u = update_of(f, s, from, task_id, w);
    if (w->has_uuid)
        acknowledge(f, s, u);
    json_decref(u);
}

/*
 * RESERVE then LAUNCH in one ACCEPT: the task runs on the reservation just
 * made (the operations apply in order to what the offers hold); the
 * rest of the offer comes back. A LAUNCH with an `id` is refused with
 * TASK_ERROR (Mesos' `accept`).
 */
static void reserve_then_launch(void **state)
{
    (void)state;
    struct sub s;
    char offer[128];
    uint32_t from;
    struct fixture *f = world_with_offer(401, SUBSCRIBE_ROLE_R, &s, offer, sizeof(offer), &from);
    accept_text(f, &s, offer,
                "[{\"type\":\"RESERVE\",\"reserve\":{\"resources\":[{\"name\":\"cpus\",\"type\":"
                "\"SCALAR\",\"scalar\":{\"value\":1},\"reservations\":[{\"type\":\"DYNAMIC\","
                "\"role\":\"r\",\"principal\":\"p\"}]}]}},"
                "{\"type\":\"LAUNCH\",\"launch\":{\"task_infos\":[{\"name\":\"t\",\"task_id\":"
                "{\"value\":\"t1\"},\"agent_id\":{\"value\":\"%s\"},\"resources\":[{\"name\":"
                "\"cpus\",\"type\":\"SCALAR\",\"scalar\":{\"value\":1},\"reservations\":[{\"type\":"
                "\"DYNAMIC\",\"role\":\"r\",\"principal\":\"p\"}]},{\"name\":\"mem\",\"type\":"
                "\"SCALAR\",\"scalar\":{\"value\":32}}],\"command\":{\"value\":\"sleep 1000\"}}]}}]");
    json_decref(update_expect(f, &s, &from, SEC, "t1", &want_starting));
    /* The task holds the reserved cpus: the next offer has only the unreserved one left. */
    int i = wait_offers(f, &s, from, 3 * SEC);
    assert_true(offer_cpus(f, &s, i) == 1.0);
    json_t *j = record(ex(f, &s), (uint32_t)i);
    assert_null(strstr(ex(f, &s)->records[i].json, "\"reservations\""));
    json_decref(j);
    char offer2[128];
    offer_field(f, &s, i, 0, "id", offer2, sizeof(offer2));
    accept_text(f, &s, offer2,
                "[{\"type\":\"LAUNCH\",\"id\":{\"value\":\"op\"},\"launch\":{\"task_infos\":[{"
                "\"name\":\"t\",\"task_id\":{\"value\":\"t2\"},\"agent_id\":{\"value\":\"%s\"},"
                "\"resources\":" RES_CPUS_MEM("0.1", "32") ",\"command\":{\"value\":\"true\"}}]}}]");
    const struct update_want err = {"TASK_ERROR", "REASON_TASK_INVALID", "SOURCE_MASTER",
                                    "The `id` field cannot be set on LAUNCH operations", 0};
    from = (uint32_t)i + 1;
    json_decref(update_expect(f, &s, &from, SEC, "t2", &err));
    fixture_free(f);
}

/*
 * LAUNCH_GROUP: the default executor reports TASK_STARTING then
 * TASK_RUNNING for each task (src/launcher/default_executor.cpp), each
 * task runs its command; the executor's resources are held apart from its
 * tasks' until its last task is done, when they come back.
 */
static void launch_group_runs(void **state)
{
    (void)state;
    struct sub s;
    char offer[128];
    uint32_t from;
    struct fixture *f = world_with_offer(411, SUBSCRIBE_AWARE, &s, offer, sizeof(offer), &from);
    launch_group2(f, &s, offer, NULL, "g1", "sleep 1000", "g2", "true");
    uint32_t c1 = from, c2 = from;
    json_t *u = update_of(f, &s, &c1, "g1", &want_starting);
    json_t *st = json_object_get(json_object_get(u, "update"), "status");
    assert_string_equal(json_string_value(json_object_get(json_object_get(st, "executor_id"),
                                                          "value")), "e1");
    acknowledge(f, &s, u);
    json_decref(u);
    expect_ack(f, &s, &c2, "g2", &want_starting);
    expect_ack(f, &s, &c1, "g1", &want_running);
    expect_ack(f, &s, &c2, "g2", &want_running);
    const struct update_want fin = {"TASK_FINISHED", NULL, "SOURCE_EXECUTOR",
                                    "Command exited with status 0", 1};
    expect_ack(f, &s, &c2, "g2", &fin);
    from = c1 > c2 ? c1 : c2;
    /* g1 and the executor hold 0.1 cpus each. */
    int i = wait_offers(f, &s, from, 3 * SEC);
    assert_true(offer_cpus(f, &s, i) == 1.8);
    char body[512];
    snprintf(body, sizeof(body), "{\"type\":\"KILL\",\"framework_id\":{\"value\":\"%s\"},"
             "\"kill\":{\"task_id\":{\"value\":\"g1\"}}}", s.fw);
    call_202(f, &s, body);
    const struct update_want killing = {"TASK_KILLING", NULL, "SOURCE_EXECUTOR", NULL, 1};
    const struct update_want killed = {"TASK_KILLED", NULL, "SOURCE_EXECUTOR",
                                       "Command terminated with signal Terminated", 1};
    uint32_t at = (uint32_t)i + 1;
    expect_ack(f, &s, &at, "g1", &killing);
    expect_ack(f, &s, &at, "g1", &killed);
    /* The last task is done: the executor is gone and its resources come back too. */
    char o[128];
    offer_field(f, &s, i, 0, "id", o, sizeof(o));
    accept_ops(f, &s, o, "[]", "{\"refuse_seconds\":0}");
    int k = wait_offers(f, &s, at, 3 * SEC);
    assert_true(offer_cpus(f, &s, k) == 2.0);
    fixture_free(f);
}

/*
 * The default executor's kill policy: a task of a group that is killed or
 * fails takes the other tasks of its group with it (TASK_KILLING when the
 * framework has TASK_KILLING_STATE, then TASK_KILLED).
 */
static void launch_group_kill_policy(void **state)
{
    (void)state;
    const struct update_want killing = {"TASK_KILLING", NULL, "SOURCE_EXECUTOR", NULL, 1};
    const struct update_want killed = {"TASK_KILLED", NULL, "SOURCE_EXECUTOR",
                                       "Command terminated with signal Terminated", 1};
    const struct update_want failed = {"TASK_FAILED", NULL, "SOURCE_EXECUTOR",
                                       "Command exited with status 1", 1};
    /* KILL of one task (TASK_KILLING_STATE). */
    struct sub s;
    char offer[128], body[512];
    uint32_t from;
    struct fixture *f = world_with_offer(421, SUBSCRIBE_AWARE, &s, offer, sizeof(offer), &from);
    launch_group2(f, &s, offer, NULL, "k1", "sleep 1000", "k2", "sleep 1000");
    uint32_t c1 = from, c2 = from;
    expect_ack(f, &s, &c1, "k1", &want_starting);
    expect_ack(f, &s, &c2, "k2", &want_starting);
    expect_ack(f, &s, &c1, "k1", &want_running);
    expect_ack(f, &s, &c2, "k2", &want_running);
    snprintf(body, sizeof(body), "{\"type\":\"KILL\",\"framework_id\":{\"value\":\"%s\"},"
             "\"kill\":{\"task_id\":{\"value\":\"k1\"}}}", s.fw);
    call_202(f, &s, body);
    expect_ack(f, &s, &c1, "k1", &killing);
    expect_ack(f, &s, &c2, "k2", &killing);
    expect_ack(f, &s, &c1, "k1", &killed);
    expect_ack(f, &s, &c2, "k2", &killed);
    fixture_free(f);
    /* A task that fails (no TASK_KILLING_STATE: straight to KILLED). */
    f = world_with_offer(422, SUBSCRIBE_PLAIN, &s, offer, sizeof(offer), &from);
    launch_group2(f, &s, offer, NULL, "f1", "false", "f2", "sleep 1000");
    c1 = c2 = from;
    expect_ack(f, &s, &c1, "f1", &want_starting);
    expect_ack(f, &s, &c2, "f2", &want_starting);
    expect_ack(f, &s, &c1, "f1", &want_running);
    expect_ack(f, &s, &c2, "f2", &want_running);
    expect_ack(f, &s, &c1, "f1", &failed);
    expect_ack(f, &s, &c2, "f2", &killed);
    fixture_free(f);
}

/* LAUNCH_GROUP refused: every task gets TASK_ERROR, REASON_TASK_GROUP_INVALID, Mesos' text. */
static void launch_group_invalid(void **state)
{
    (void)state;
    static const struct {
        const char *operations; /* %s: the framework id, then the agent id twice */
        const char *message;
    } rows[] = {
        /* validation::executor::internal::validateFrameworkID (LAUNCH_GROUP does not fill it). */
        {"[{\"type\":\"LAUNCH_GROUP\",\"launch_group\":{\"executor\":{\"executor_id\":{\"value\":"
         "\"e1\"},\"type\":\"DEFAULT\",\"resources\":" EXECUTOR_RES "},\"task_group\":{\"tasks\":["
         "{\"name\":\"a\",\"task_id\":{\"value\":\"a\"},\"agent_id\":{\"value\":\"%s\"},"
         "\"resources\":" RES_CPUS_MEM("0.1", "32") ",\"command\":{\"value\":\"true\"}}]}}}]",
         "'ExecutorInfo.framework_id' must be set"},
        {"[{\"type\":\"LAUNCH_GROUP\",\"launch_group\":{\"executor\":{\"executor_id\":{\"value\":"
         "\"e1\"},\"framework_id\":{\"value\":\"%s\"},\"resources\":" EXECUTOR_RES "},"
         "\"task_group\":{\"tasks\":[{\"name\":\"a\",\"task_id\":{\"value\":\"a\"},\"agent_id\":"
         "{\"value\":\"%s\"},\"resources\":" RES_CPUS_MEM("0.1", "32") ",\"command\":{\"value\":"
         "\"true\"}}]}}}]",
         "'ExecutorInfo.type' must be set"},
        {"[{\"type\":\"LAUNCH_GROUP\",\"launch_group\":{\"executor\":{\"executor_id\":{\"value\":"
         "\"e1\"},\"type\":\"DEFAULT\",\"command\":{\"value\":\"x\"},\"framework_id\":{\"value\":"
         "\"%s\"},\"resources\":" EXECUTOR_RES "},\"task_group\":{\"tasks\":[{\"name\":\"a\","
         "\"task_id\":{\"value\":\"a\"},\"agent_id\":{\"value\":\"%s\"},\"resources\":"
         RES_CPUS_MEM("0.1", "32") ",\"command\":{\"value\":\"true\"}}]}}}]",
         "'ExecutorInfo.command' must not be set for 'DEFAULT' executor"},
        {"[{\"type\":\"LAUNCH_GROUP\",\"launch_group\":{\"executor\":{\"executor_id\":{\"value\":"
         "\"e1\"},\"type\":\"DEFAULT\",\"framework_id\":{\"value\":\"%s\"},\"resources\":"
         RES_CPUS_MEM("0.1", "32") "},\"task_group\":{\"tasks\":[{\"name\":\"a\",\"task_id\":"
         "{\"value\":\"a\"},\"agent_id\":{\"value\":\"%s\"},\"resources\":" RES_CPUS_MEM("0.1", "32")
         ",\"command\":{\"value\":\"true\"}}]}}}]",
         "Executor 'e1' uses no disk"},
        {"[{\"type\":\"LAUNCH_GROUP\",\"launch_group\":{\"executor\":{\"executor_id\":{\"value\":"
         "\"e1\"},\"type\":\"DEFAULT\",\"framework_id\":{\"value\":\"%s\"},\"resources\":["
         "{\"name\":\"mem\",\"type\":\"SCALAR\",\"scalar\":{\"value\":16}}]},\"task_group\":{"
         "\"tasks\":[{\"name\":\"a\",\"task_id\":{\"value\":\"a\"},\"agent_id\":{\"value\":\"%s\"},"
         "\"resources\":" RES_CPUS_MEM("0.1", "32") ",\"command\":{\"value\":\"true\"}}]}}}]",
         "Executor 'e1' uses less CPUs (None) than the minimum required (0.01)"},
        {"[{\"type\":\"LAUNCH_GROUP\",\"launch_group\":{\"executor\":{\"executor_id\":{\"value\":"
         "\"e1\"},\"type\":\"DEFAULT\",\"framework_id\":{\"value\":\"%s\"},\"resources\":["
         "{\"name\":\"cpus\",\"type\":\"SCALAR\",\"scalar\":{\"value\":0.1}},{\"name\":\"mem\","
         "\"type\":\"SCALAR\",\"scalar\":{\"value\":16}}]},\"task_group\":{\"tasks\":[{\"name\":"
         "\"a\",\"task_id\":{\"value\":\"a\"},\"agent_id\":{\"value\":\"%s\"},\"resources\":"
         RES_CPUS_MEM("0.1", "32") ",\"command\":{\"value\":\"true\"}}]}}}]",
         "Executor 'e1' uses less memory (16MB) than the minimum required (32MB)"},
        {"[{\"type\":\"LAUNCH_GROUP\",\"launch_group\":{\"executor\":{\"executor_id\":{\"value\":"
         "\"e1\"},\"type\":\"DEFAULT\",\"framework_id\":{\"value\":\"%s\"},\"resources\":"
         EXECUTOR_RES "},\"task_group\":{\"tasks\":[{\"name\":\"a\",\"task_id\":{\"value\":\"a\"},"
         "\"agent_id\":{\"value\":\"%s\"},\"resources\":" RES_CPUS_MEM("4", "32") ",\"command\":"
         "{\"value\":\"true\"}}]}}}]",
         "Total resources cpus(allocated: *):4.1; mem(allocated: *):64; disk(allocated: *):32 "
         "required by task group and its executor are more than available ports(allocated: *):"
         "[31000-32000]; cpus(allocated: *):2; mem(allocated: *):2048; disk(allocated: *):4096"},
        {"[{\"type\":\"LAUNCH_GROUP\",\"launch_group\":{\"executor\":{\"executor_id\":{\"value\":"
         "\"e1\"},\"type\":\"DEFAULT\",\"framework_id\":{\"value\":\"%s\"},\"resources\":"
         EXECUTOR_RES "},\"task_group\":{\"tasks\":[{\"name\":\"a\",\"task_id\":{\"value\":\"a/1\"},"
         "\"agent_id\":{\"value\":\"%s\"},\"resources\":" RES_CPUS_MEM("0.1", "32") ",\"command\":"
         "{\"value\":\"true\"}}]}}}]",
         "Task 'a/1' is invalid: 'a/1' contains invalid characters"},
        {"[{\"type\":\"LAUNCH_GROUP\",\"id\":{\"value\":\"op\"},\"launch_group\":{\"executor\":{"
         "\"executor_id\":{\"value\":\"e1\"},\"type\":\"DEFAULT\",\"framework_id\":{\"value\":"
         "\"%s\"},\"resources\":" EXECUTOR_RES "},\"task_group\":{\"tasks\":[{\"name\":\"a\","
         "\"task_id\":{\"value\":\"a\"},\"agent_id\":{\"value\":\"%s\"},\"resources\":"
         RES_CPUS_MEM("0.1", "32") ",\"command\":{\"value\":\"true\"}}]}}}]",
         "The `id` field cannot be set on LAUNCH_GROUP operations"},
    };
    for (size_t r = 0; r < sizeof(rows) / sizeof(rows[0]); r++) {
        struct sub s;
        char offer[128], ops[4096];
        uint32_t from;
        struct fixture *f = world_with_offer(431 + r, SUBSCRIBE_PLAIN, &s, offer, sizeof(offer),
                                             &from);
        int takes_fw = strstr(rows[r].operations, "framework_id\\\":{\\\"value\\\":\\\"%s") != NULL ||
                       strstr(rows[r].operations, "\"framework_id\":{\"value\":\"%s\"}") != NULL;
        if (takes_fw)
            snprintf(ops, sizeof(ops), rows[r].operations, s.fw, agent_id(f->agents[0]));
        else
            snprintf(ops, sizeof(ops), rows[r].operations, agent_id(f->agents[0]));
        accept_ops(f, &s, offer, ops, "{\"refuse_seconds\":0}");
        const char *task = strstr(rows[r].operations, "a/1") != NULL ? "a/1" : "a";
        const struct update_want w = {"TASK_ERROR", "REASON_TASK_GROUP_INVALID", "SOURCE_MASTER",
                                      rows[r].message, 0};
        json_decref(update_expect(f, &s, &from, SEC, task, &w));
        run(f, 2 * SEC);
        assert_int_equal(count(f, &s, "UPDATE", from), 0); /* nothing ran */
        fixture_free(f);
    }
}

/*
 * A9 (Mesos' registerSlave, _removeSlave): an agent back with a new work
 * dir at the address of its DISCONNECTED old self replaces it at once: the
 * old one's tasks get TASK_LOST, REASON_AGENT_REMOVED, "Agent <hostname>
 * removed: a new agent registered at the same address" (whatever the
 * framework's capabilities), then FAILURE; reconciling them with the old
 * id answers TASK_UNKNOWN (TASK_LOST without PARTITION_AWARE).
 */
static void agent_replaced_tasks_lost(void **state)
{
    (void)state;
    struct sub s;
    char offer[128], old[128];
    uint32_t from;
    struct fixture *f = world_with_offer(441, SUBSCRIBE_CKPT, &s, offer, sizeof(offer), &from);
    launch_running(f, &s, offer, "t1", "sleep 100000", &from);
    snprintf(old, sizeof(old), "%s", agent_id(f->agents[0]));
    agent_crash(f, 0);
    run(f, SEC);
    assert_int_equal(master_agent_state(f->master, old), MASTER_AGENT_DISCONNECTED);
    assert_int_equal(count(f, &s, "UPDATE", from), 0); /* a checkpointing framework's task waits */
    agent_restart_fresh(f, 0, NULL);
    const struct update_want lost = {"TASK_LOST", "REASON_AGENT_REMOVED", "SOURCE_MASTER",
                                     "Agent a1 removed: a new agent registered at the same "
                                     "address", 0};
    json_decref(update_expect(f, &s, &from, 10 * SEC, "t1", &lost));
    run(f, SEC);
    int fl = find(f, &s, "FAILURE", from - 1);
    assert_true(fl >= (int)from);
    assert_int_equal(master_agent_state(f->master, old), MASTER_AGENT_REMOVED);
    assert_string_not_equal(agent_id(f->agents[0]), old);
    from = (uint32_t)fl + 1;
    reconcile_call(f, &s, "t1", old);
    const struct update_want unknown = {"TASK_UNKNOWN", "REASON_RECONCILIATION", "SOURCE_MASTER",
                                        "Reconciliation: Task is unknown", 0};
    json_decref(update_expect(f, &s, &from, SEC, "t1", &unknown));
    fixture_free(f);
}

/*
 * A5 for task groups: a checkpointing framework's group survives the
 * agent's restart with its executor and its kill policy; a new master
 * learns the executor from the re-registration and holds its resources.
 */
static void launch_group_recovered(void **state)
{
    (void)state;
    struct sub s;
    char offer[128], body[512];
    uint32_t from;
    struct fixture *f = world_with_offer(451, SUBSCRIBE_CKPT, &s, offer, sizeof(offer), &from);
    launch_group2(f, &s, offer, NULL, "c1", "sleep 1000", "c2", "sleep 1000");
    uint32_t c1 = from, c2 = from;
    expect_ack(f, &s, &c1, "c1", &want_starting);
    expect_ack(f, &s, &c2, "c2", &want_starting);
    expect_ack(f, &s, &c1, "c1", &want_running);
    expect_ack(f, &s, &c2, "c2", &want_running);
    agent_crash(f, 0);
    run(f, 5 * SEC);
    agent_restart(f, 0, NULL);
    master_restart(f);
    wait_registered(f, 0, 120 * SEC);
    struct sub s2;
    resubscribe(f, &s, 1, &s2);
    uint32_t from2 = 1;
    /* Two tasks and the executor: 0.3 cpus held, 1.7 offered. */
    int i = wait_offers(f, &s2, from2, 5 * SEC);
    assert_true(offer_cpus(f, &s2, i) == 1.7);
    from2 = (uint32_t)i + 1;
    snprintf(body, sizeof(body), "{\"type\":\"KILL\",\"framework_id\":{\"value\":\"%s\"},"
             "\"kill\":{\"task_id\":{\"value\":\"c2\"}}}", s2.fw);
    call_202(f, &s2, body);
    const struct update_want killing = {"TASK_KILLING", NULL, "SOURCE_EXECUTOR", NULL, 1};
    c1 = c2 = from2;
    expect_ack(f, &s2, &c2, "c2", &killing);
    expect_ack(f, &s2, &c1, "c1", &killing); /* the group goes with it */
    fixture_free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(launch_true_in_order),
        cmocka_unit_test(update_retried_with_backoff),
        cmocka_unit_test(launch_invalid_offer),
        cmocka_unit_test(launch_invalid_task),
        cmocka_unit_test(launch_duplicate_id),
        cmocka_unit_test(kill_task),
        cmocka_unit_test(kill_unknown_reconciles),
        cmocka_unit_test(reconcile_rules),
        cmocka_unit_test(partition_then_reregistration),
        cmocka_unit_test(message_echoed),
        cmocka_unit_test(teardown_drops_tasks),
        cmocka_unit_test(failover_reconcile_waits_for_agent),
        cmocka_unit_test(failover_framework_recovered_from_agent),
        cmocka_unit_test(failover_agent_never_back),
        cmocka_unit_test(removed_framework_shut_down_on_return),
        cmocka_unit_test(agent_restart_recovers_checkpointed),
        cmocka_unit_test(agent_restart_loses_uncheckpointed),
        cmocka_unit_test(known_agent_answers_missing_task),
        cmocka_unit_test(agent_restart_unnoticed_task_lost),
        cmocka_unit_test(kill_resent_on_reregistration),
        cmocka_unit_test(reserve_then_launch),
        cmocka_unit_test(launch_group_runs),
        cmocka_unit_test(launch_group_kill_policy),
        cmocka_unit_test(launch_group_invalid),
        cmocka_unit_test(agent_replaced_tasks_lost),
        cmocka_unit_test(launch_group_recovered),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
