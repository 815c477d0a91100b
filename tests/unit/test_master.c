/*
 * test_master.c: the reference master's scheduler API, driven through the
 * simulator by a client node (SPEC.md S, L, H). Expected texts are Mesos
 * 1.12's, from the recorded exchanges named beside each row.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "client.h"
#include "master.h"
#include "sim.h"

#define SEC RT_NS_PER_SEC
#define MASTER "master:5050"
#define SUBSCRIBE_BODY \
    "{\"type\":\"SUBSCRIBE\",\"subscribe\":{\"framework_info\":{\"user\":\"root\",\"name\":\"t\"}}}"

struct fixture {
    struct sim_world *world;
    struct master *master;
    struct client client;
    struct rt *client_rt;
};

static struct fixture *fixture_make(uint64_t seed, const struct master_config *cfg)
{
    struct fixture *f = calloc(1, sizeof(*f));
    struct sim_options o;
    sim_options_default(&o);
    o.seed = seed;
    assert_int_equal(sim_world_create(&o, NULL, &f->world, NULL), 0);
    struct master_config defaults;
    master_config_init(&defaults);
    struct rt *master_rt;
    assert_int_equal(sim_node_add(f->world, MASTER, &master_node_ops, NULL, &master_rt), 0);
    assert_int_equal(master_create(master_rt, cfg ? cfg : &defaults, &f->master), 0);
    /* The node needs its runtime before the master exists: bind the master afterwards. */
    assert_int_equal(sim_node_bind(f->world, MASTER, f->master), 0);
    client_init(&f->client, NULL);
    assert_int_equal(sim_node_add(f->world, "s1:1", &client_node_ops, &f->client, &f->client_rt), 0);
    f->client.rt = f->client_rt;
    return f;
}

static void fixture_free(struct fixture *f)
{
    master_destroy(f->master);
    client_deinit(&f->client);
    sim_world_destroy(f->world);
    free(f);
}

static void run(struct fixture *f, uint64_t ns)
{
    assert_int_equal(sim_world_run_for(f->world, ns), 0);
}

/* Posts body with the given Content-Type/Accept/stream id (NULL: left out). */
static int post(struct fixture *f, const char *content_type, const char *accept,
                const char *stream_id, const char *body)
{
    const char *headers[8];
    int n = 0;
    if (content_type) { headers[n++] = "Content-Type"; headers[n++] = content_type; }
    if (accept) { headers[n++] = "Accept"; headers[n++] = accept; }
    if (stream_id) { headers[n++] = "Mesos-Stream-Id"; headers[n++] = stream_id; }
    headers[n] = NULL;
    int x = client_call(&f->client, MASTER, "POST", "/api/v1/scheduler", headers, body,
                        body ? strlen(body) : 0, "mesos.v1.scheduler.Event");
    assert_true(x >= 0);
    return x;
}

static const struct client_exchange *ex(struct fixture *f, int x)
{
    return client_exchange_get(&f->client, x);
}

static const char *header(struct fixture *f, int x, const char *name)
{
    return http_headers_get(&ex(f, x)->response.headers, name);
}

static const char *body(struct fixture *f, int x)
{
    return mc_buf_str(&ex(f, x)->response.body);
}

/* The type of the record at index i of exchange x ("" when absent). */
static const char *record_type(struct fixture *f, int x, uint32_t i, char *out, size_t out_bytes)
{
    out[0] = '\0';
    if (i >= ex(f, x)->records_count)
        return out;
    json_t *j = json_loads(ex(f, x)->records[i].json, 0, NULL);
    assert_non_null(j);
    snprintf(out, out_bytes, "%s", json_string_value(json_object_get(j, "type")));
    json_decref(j);
    return out;
}

/* A string at a dotted path inside record i of exchange x, copied to out. */
static const char *record_str(struct fixture *f, int x, uint32_t i, const char *path, char *out,
                              size_t out_bytes)
{
    assert_true(i < ex(f, x)->records_count);
    json_t *j = json_loads(ex(f, x)->records[i].json, 0, NULL);
    assert_non_null(j);
    json_t *v = j;
    char buf[256];
    snprintf(buf, sizeof(buf), "%s", path);
    for (char *part = strtok(buf, "."); part != NULL && v != NULL; part = strtok(NULL, "."))
        v = json_object_get(v, part);
    snprintf(out, out_bytes, "%s", v && json_is_string(v) ? json_string_value(v) : "");
    if (v && json_is_number(v))
        snprintf(out, out_bytes, "%g", json_number_value(v));
    json_decref(j);
    return out;
}

/* Subscribes (JSON) and returns the exchange, with its framework id in fw. */
static int subscribe(struct fixture *f, const char *body_json, char *fw, size_t fw_bytes)
{
    int x = post(f, "application/json", "application/json", NULL, body_json);
    run(f, SEC / 10);
    assert_int_equal(ex(f, x)->status, 200);
    if (fw != NULL)
        record_str(f, x, 0, "subscribed.framework_id.value", fw, fw_bytes);
    return x;
}

/* One row of the order of checks: a request and Mesos' exact answer. */
struct check_row {
    const char *recorded; /* the mesos-1.12 case it comes from */
    const char *content_type, *accept, *stream_id, *body;
    int status;
    const char *text; /* the whole body; NULL: not checked */
};

static const struct check_row check_rows[] = {
    {"s.no-content-type", NULL, "application/json", NULL, SUBSCRIBE_BODY, 400,
     "Expecting 'Content-Type' to be present"},
    {"s.text-plain", "text/plain", "application/json", NULL, SUBSCRIBE_BODY, 415,
     "Expecting 'Content-Type' of application/json or application/x-protobuf"},
    {"s.json-charset", "application/json; charset=utf-8", "application/json", NULL,
     SUBSCRIBE_BODY, 415, "Expecting 'Content-Type' of application/json or application/x-protobuf"},
    {"s.content-type-uppercase", "APPLICATION/JSON", "application/json", NULL, SUBSCRIBE_BODY, 415,
     "Expecting 'Content-Type' of application/json or application/x-protobuf"},
    {"s.malformed-json", "application/json", "application/json", NULL, "{\"type\": \"SUBSCRIBE\", ",
     400, "Failed to parse body into JSON: syntax error at line 1 near: "},
    {"s.json-array", "application/json", "application/json", NULL, "[" SUBSCRIBE_BODY "]", 400,
     "Failed to convert JSON into Call protobuf: Expecting a JSON object"},
    {"s.garbage-protobuf", "application/x-protobuf", "application/x-protobuf", NULL,
     "\xff\xff\xff\xff\x0f", 400, "Failed to parse body into Call protobuf"},
    {"s.convert-wrong-type", "application/json", "application/json", NULL,
     "{\"type\":\"SUBSCRIBE\",\"subscribe\":{\"framework_info\":{\"user\":5,\"name\":\"mesos-diff\"}}}",
     400, "Failed to convert JSON into Call protobuf: Not expecting a JSON number for field 'user'"},
    {"s.enum-as-number", "application/json", "application/json", NULL,
     "{\"type\":1,\"subscribe\":{\"framework_info\":{\"user\":\"root\",\"name\":\"mesos-diff\"}}}", 400,
     "Failed to convert JSON into Call protobuf: Not expecting a JSON number for field 'type'"},
    {"s.unknown-call-type", "application/json", "application/json", NULL,
     "{\"type\":\"NO_SUCH_CALL\"}", 400,
     "Failed to validate scheduler::Call: Expecting 'type' to be present"},
    {"s.type-unknown-no-framework", "application/json", "application/json", NULL,
     "{\"type\":\"UNKNOWN\"}", 400,
     "Failed to validate scheduler::Call: Expecting 'framework_id' to be present"},
    {"s.subscribe-without-subscribe", "application/json", "application/json", NULL,
     "{\"type\":\"SUBSCRIBE\"}", 400,
     "Failed to validate scheduler::Call: Expecting 'subscribe' to be present"},
    {"s.subscribe-missing-user", "application/json", "application/json", NULL,
     "{\"type\":\"SUBSCRIBE\",\"subscribe\":{\"framework_info\":{\"name\":\"mesos-diff\"}}}", 400,
     "Failed to convert JSON into Call protobuf: Missing required fields: "
     "subscribe.framework_info.user"},
    {"s.accept-text-html", "application/json", "text/html", NULL, SUBSCRIBE_BODY, 406,
     "Expecting 'Accept' to allow 'application/x-protobuf' or 'application/json'"},
    {"s.accept-recordio", "application/json", "application/recordio", NULL, SUBSCRIBE_BODY, 406,
     "Expecting 'Accept' to allow 'application/x-protobuf' or 'application/json'"},
    {"s.subscribe-with-stream-id", "application/json", "application/json", "x", SUBSCRIBE_BODY,
     400, "Subscribe calls should not include the 'Mesos-Stream-Id' header"},
    {"s.no-framework-id", "application/json", "application/json", NULL,
     "{\"type\":\"TEARDOWN\"}", 400,
     "Failed to validate scheduler::Call: Expecting 'framework_id' to be present"},
    {"s.missing-call-field", "application/json", "application/json", NULL,
     "{\"type\":\"KILL\",\"framework_id\":{\"value\":\"f\"}}", 400,
     "Failed to validate scheduler::Call: Expecting 'kill' to be present"},
    {"s.unknown-framework", "application/json", "application/json", NULL,
     "{\"type\":\"TEARDOWN\",\"framework_id\":{\"value\":\"nope\"}}", 400,
     "Framework cannot be found"},
    {"s.fwid-mismatch", "application/json", "application/json", NULL,
     "{\"type\":\"SUBSCRIBE\",\"framework_id\":{\"value\":\"a\"},\"subscribe\":{\"framework_info\":"
     "{\"user\":\"root\",\"name\":\"n\",\"id\":{\"value\":\"b\"}}}}", 400,
     "Failed to validate scheduler::Call: 'framework_id' differs from 'subscribe.framework_info.id'"},
    {"s.ack-bad-uuid", "application/json", "application/json", NULL,
     "{\"type\":\"ACKNOWLEDGE\",\"framework_id\":{\"value\":\"f\"},\"acknowledge\":{\"agent_id\":"
     "{\"value\":\"a\"},\"task_id\":{\"value\":\"t\"},\"uuid\":\"AAAA\"}}", 400,
     "Failed to validate scheduler::Call: Not a valid UUID"},
};

static void checks_answer_as_mesos(void **state)
{
    (void)state;
    struct fixture *f = fixture_make(7, NULL);
    for (size_t i = 0; i < sizeof(check_rows) / sizeof(check_rows[0]); i++) {
        const struct check_row *r = &check_rows[i];
        int x = post(f, r->content_type, r->accept, r->stream_id, r->body);
        run(f, SEC / 10);
        if (ex(f, x)->status != r->status || strcmp(body(f, x), r->text) != 0)
            fail_msg("%s: got %d '%s', want %d '%s'", r->recorded, ex(f, x)->status, body(f, x),
                     r->status, r->text);
        assert_string_equal(header(f, x, "Content-Type"), "text/plain; charset=utf-8");
    }
    fixture_free(f);
}

static void get_is_405_with_allow(void **state)
{
    (void)state;
    struct fixture *f = fixture_make(7, NULL);
    int x = client_call(&f->client, MASTER, "GET", "/api/v1/scheduler", NULL, NULL, 0, NULL);
    run(f, SEC / 10);
    assert_int_equal(ex(f, x)->status, 405); /* recorded: s.get-405 */
    assert_string_equal(header(f, x, "Allow"), "POST");
    assert_string_equal(body(f, x),
                        "405 Method Not Allowed. Expecting one of { 'POST' }, but received 'GET'.");
    fixture_free(f);
}

/* L1, H1: SUBSCRIBED with the framework id, 15 s heartbeats, MasterInfo, then HEARTBEAT at once. */
static void subscribe_opens_a_stream(void **state)
{
    (void)state;
    struct fixture *f = fixture_make(7, NULL);
    char fw[128], t[64], v[256];
    int x = subscribe(f, SUBSCRIBE_BODY, fw, sizeof(fw));
    assert_string_equal(header(f, x, "Content-Type"), "application/json"); /* s.subscribe-null-fields */
    const char *sid = header(f, x, "Mesos-Stream-Id");
    assert_non_null(sid);
    assert_int_equal(strlen(sid), 36);
    assert_true(ex(f, x)->is_stream);
    assert_string_equal(record_type(f, x, 0, t, sizeof(t)), "SUBSCRIBED");
    assert_true(strncmp(fw, master_id(f->master), 36) == 0);
    assert_string_equal(fw + 36, "-0000");
    assert_string_equal(record_str(f, x, 0, "subscribed.heartbeat_interval_seconds", v, sizeof(v)), "15");
    assert_string_equal(record_str(f, x, 0, "subscribed.master_info.id", v, sizeof(v)),
                        master_id(f->master));
    assert_string_equal(record_type(f, x, 1, t, sizeof(t)), "HEARTBEAT");
    assert_int_equal(ex(f, x)->records_count, 2);
    /* H1: one more every 15 s, idle or not. */
    run(f, 15 * SEC);
    assert_int_equal(ex(f, x)->records_count, 3);
    run(f, 30 * SEC);
    assert_int_equal(ex(f, x)->records_count, 5);
    assert_string_equal(record_type(f, x, 4, t, sizeof(t)), "HEARTBEAT");
    assert_false(ex(f, x)->ended); /* W6: a stream never ends on its own */
    fixture_free(f);
}

static char *resubscribe_body(const char *fw, const char *extra, char *out, size_t out_bytes);

/*
 * A new framework's id skips ids the master already knows: a master whose
 * id repeats the one before it (serve restarted with the same seed) meets
 * frameworks resubscribing (L4) with ids it would make next.
 */
static void new_ids_skip_ids_already_known(void **state)
{
    (void)state;
    struct fixture *f = fixture_make(8, NULL);
    char taken[128], fw[128], b[1024];
    snprintf(taken, sizeof(taken), "%s-0000", master_id(f->master));
    subscribe(f, resubscribe_body(taken, "", b, sizeof(b)), fw, sizeof(fw));
    assert_string_equal(fw, taken);
    subscribe(f, SUBSCRIBE_BODY, fw, sizeof(fw));
    assert_true(strncmp(fw, master_id(f->master), 36) == 0);
    assert_string_equal(fw + 36, "-0001");
    fixture_free(f);
}

static void subscribe_in_protobuf(void **state)
{
    (void)state;
    struct fixture *f = fixture_make(9, NULL);
    char t[64];
    int x = post(f, "application/json", "application/x-protobuf", NULL, SUBSCRIBE_BODY);
    run(f, SEC / 10);
    assert_int_equal(ex(f, x)->status, 200);
    assert_string_equal(header(f, x, "Content-Type"), "application/x-protobuf");
    assert_int_equal(ex(f, x)->decode_err, 0);
    assert_string_equal(record_type(f, x, 0, t, sizeof(t)), "SUBSCRIBED");
    assert_string_equal(record_type(f, x, 1, t, sizeof(t)), "HEARTBEAT");
    fixture_free(f);
}

static char *resubscribe_body(const char *fw, const char *extra, char *out, size_t out_bytes)
{
    snprintf(out, out_bytes,
             "{\"type\":\"SUBSCRIBE\",\"framework_id\":{\"value\":\"%s\"},\"subscribe\":{"
             "\"framework_info\":{\"user\":\"root\",\"name\":\"t\",\"id\":{\"value\":\"%s\"}%s}}}",
             fw, fw, extra);
    return out;
}

static char *teardown_body(const char *fw, char *out, size_t out_bytes)
{
    snprintf(out, out_bytes, "{\"type\":\"TEARDOWN\",\"framework_id\":{\"value\":\"%s\"}}", fw);
    return out;
}

/* L2, S16: a second SUBSCRIBE with the id takes over; the old stream is told and ends. */
static void second_subscribe_takes_over(void **state)
{
    (void)state;
    struct fixture *f = fixture_make(11, NULL);
    char fw[128], fw2[128], t[64], v[256], b[1024];
    int x1 = subscribe(f, SUBSCRIBE_BODY, fw, sizeof(fw));
    char old_sid[64];
    snprintf(old_sid, sizeof(old_sid), "%s", header(f, x1, "Mesos-Stream-Id"));
    int x2 = subscribe(f, resubscribe_body(fw, ",\"force\":true", b, sizeof(b)), fw2, sizeof(fw2));
    assert_string_equal(fw, fw2);
    assert_string_not_equal(header(f, x2, "Mesos-Stream-Id"), old_sid);
    uint32_t n = ex(f, x1)->records_count;
    assert_string_equal(record_type(f, x1, n - 1, t, sizeof(t)), "ERROR");
    assert_string_equal(record_str(f, x1, n - 1, "error.message", v, sizeof(v)),
                        "Framework failed over");
    assert_true(ex(f, x1)->ended);
    assert_int_equal(ex(f, x1)->end_err, 0);
    /* The old stream id is refused, the new one accepted. */
    int c1 = post(f, "application/json", NULL, old_sid, teardown_body(fw, b, sizeof(b)));
    run(f, SEC / 10);
    assert_int_equal(ex(f, c1)->status, 400);
    char want[512];
    snprintf(want, sizeof(want),
             "The stream ID '%s' included in this request didn't match the stream ID currently "
             "associated with framework ID %s", old_sid, fw);
    assert_string_equal(body(f, c1), want);
    int c2 = post(f, "application/json", NULL, header(f, x2, "Mesos-Stream-Id"),
                  teardown_body(fw, b, sizeof(b)));
    run(f, SEC / 10);
    assert_int_equal(ex(f, c2)->status, 202);
    assert_int_equal(header(f, c2, "Content-Type") == NULL, 1); /* W8a */
    assert_true(ex(f, x2)->ended); /* L10: TEARDOWN ends the stream */
    fixture_free(f);
}

/* L7, S14, L8: a closed stream disconnects; calls get 403; resubscribing in time keeps the id. */
static void disconnect_then_reconnect(void **state)
{
    (void)state;
    struct fixture *f = fixture_make(13, NULL);
    char fw[128], b[1024], fw2[128];
    int x = subscribe(f, "{\"type\":\"SUBSCRIBE\",\"subscribe\":{\"framework_info\":{\"user\":"
                         "\"root\",\"name\":\"t\",\"failover_timeout\":60}}}", fw, sizeof(fw));
    char sid[64];
    snprintf(sid, sizeof(sid), "%s", header(f, x, "Mesos-Stream-Id"));
    client_hang_up(&f->client, x);
    run(f, SEC);
    int c = post(f, "application/json", NULL, sid, teardown_body(fw, b, sizeof(b)));
    run(f, SEC / 10);
    assert_int_equal(ex(f, c)->status, 403);
    assert_string_equal(body(f, c), "Framework is not subscribed");
    run(f, 30 * SEC); /* within the 60 s failover timeout */
    int x2 = subscribe(f, resubscribe_body(fw, ",\"failover_timeout\":60", b, sizeof(b)), fw2,
                       sizeof(fw2));
    assert_string_equal(fw, fw2);
    run(f, 120 * SEC); /* the void timer must not remove it */
    assert_false(ex(f, x2)->ended);
    fixture_free(f);
}

/* L9, L5, S12: past the failover timeout the framework is removed and refused. */
static void failover_timeout_removes(void **state)
{
    (void)state;
    struct fixture *f = fixture_make(17, NULL);
    char fw[128], b[1024], t[64], v[256];
    int x = subscribe(f, "{\"type\":\"SUBSCRIBE\",\"subscribe\":{\"framework_info\":{\"user\":"
                         "\"root\",\"name\":\"t\",\"failover_timeout\":5}}}", fw, sizeof(fw));
    client_hang_up(&f->client, x);
    run(f, 4 * SEC);
    struct master_stats st;
    master_stats_get(f->master, &st);
    assert_int_equal(st.frameworks_disconnected, 1);
    run(f, 2 * SEC);
    master_stats_get(f->master, &st);
    assert_int_equal(st.frameworks_disconnected, 0);
    assert_int_equal(st.frameworks_completed, 1);
    int c = post(f, "application/json", NULL, "x", teardown_body(fw, b, sizeof(b)));
    run(f, SEC / 10);
    assert_int_equal(ex(f, c)->status, 400);
    assert_string_equal(body(f, c), "Framework cannot be found");
    int x2 = subscribe(f, resubscribe_body(fw, "", b, sizeof(b)), NULL, 0);
    assert_string_equal(record_type(f, x2, 0, t, sizeof(t)), "ERROR");
    assert_string_equal(record_str(f, x2, 0, "error.message", v, sizeof(v)),
                        "Framework has been removed");
    assert_true(ex(f, x2)->ended);
    assert_int_equal(ex(f, x2)->records_count, 1);
    fixture_free(f);
}

/* L12a: a changed principal is refused on the new stream; the old one lives on. */
static void changed_principal_is_refused(void **state)
{
    (void)state;
    struct fixture *f = fixture_make(19, NULL);
    char fw[128], b[1024], t[64], v[256];
    int x1 = subscribe(f, SUBSCRIBE_BODY, fw, sizeof(fw));
    int x2 = subscribe(f, resubscribe_body(fw, ",\"principal\":\"other\"", b, sizeof(b)), NULL, 0);
    assert_string_equal(record_type(f, x2, 0, t, sizeof(t)), "ERROR");
    assert_string_equal(record_str(f, x2, 0, "error.message", v, sizeof(v)),
                        "Changing framework's principal is not allowed.");
    assert_true(ex(f, x2)->ended);
    assert_false(ex(f, x1)->ended);
    fixture_free(f);
}

/* S2, S3: a follower redirects, no leader is 503, a recovering master is 503. */
static void leadership_and_recovery(void **state)
{
    (void)state;
    struct master_config cfg;
    master_config_init(&cfg);
    cfg.recovery_ns = SEC / 50; /* about what a real failover takes (SPEC S3) */
    struct fixture *f = fixture_make(23, &cfg);
    int x = post(f, "application/json", "application/json", NULL, SUBSCRIBE_BODY);
    run(f, SEC / 100); /* a round trip: < 3 ms */
    assert_int_equal(ex(f, x)->status, 503);
    assert_string_equal(body(f, x), "Master has not finished recovery"); /* m.recovering-503 */
    run(f, SEC);
    assert_int_equal(master_leadership_set(f->master, MASTER_FOLLOWING, "10.0.0.2:5050"), 0);
    x = client_call(&f->client, MASTER, "GET", "/api/v1/scheduler", NULL, NULL, 0, NULL);
    run(f, SEC / 10);
    assert_int_equal(ex(f, x)->status, 307); /* before the method check (S2) */
    assert_string_equal(header(f, x, "Location"), "//10.0.0.2:5050/master/api/v1/scheduler");
    assert_null(header(f, x, "Content-Type"));
    assert_int_equal(master_leadership_set(f->master, MASTER_NO_LEADER, NULL), 0);
    x = post(f, "application/json", "application/json", NULL, SUBSCRIBE_BODY);
    run(f, SEC / 10);
    assert_int_equal(ex(f, x)->status, 503);
    assert_string_equal(body(f, x), "No leader elected");
    fixture_free(f);
}

/* The same seed gives the same trace, a different one another. */
static uint64_t lifecycle_hash(uint64_t seed)
{
    struct fixture *f = fixture_make(seed, NULL);
    char fw[128], b[1024];
    int x = subscribe(f, SUBSCRIBE_BODY, fw, sizeof(fw));
    run(f, 40 * SEC);
    subscribe(f, resubscribe_body(fw, "", b, sizeof(b)), NULL, 0);
    client_hang_up(&f->client, x);
    run(f, 40 * SEC);
    uint64_t h = sim_world_trace_hash(f->world);
    fixture_free(f);
    return h;
}

static void lifecycle_is_deterministic(void **state)
{
    (void)state;
    assert_int_equal(lifecycle_hash(5), lifecycle_hash(5));
    assert_int_not_equal(lifecycle_hash(5), lifecycle_hash(6));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(checks_answer_as_mesos),
        cmocka_unit_test(get_is_405_with_allow),
        cmocka_unit_test(subscribe_opens_a_stream),
        cmocka_unit_test(new_ids_skip_ids_already_known),
        cmocka_unit_test(subscribe_in_protobuf),
        cmocka_unit_test(second_subscribe_takes_over),
        cmocka_unit_test(disconnect_then_reconnect),
        cmocka_unit_test(failover_timeout_removes),
        cmocka_unit_test(changed_principal_is_refused),
        cmocka_unit_test(leadership_and_recovery),
        cmocka_unit_test(lifecycle_is_deterministic),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
