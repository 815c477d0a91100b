/*
 * test_offers.c: the master's offers (SPEC.md O1-O4, O6, O7, L7, L9, L13
 * and A3's RESCIND), driven through the simulator: a master, one or two
 * reference agents and scheduler clients. Expected shapes and timings come
 * from the recorded Mesos 1.12 master (mesos-1.12/scheduler-wire.jsonl,
 * cited by case id); the agents here offer what the recorded agent offered,
 * cpus:2;mem:2048;disk:4096;ports:[31000-32000] (the default of an agent
 * configured with no resources).
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
#include "master_internal.h"
#include "resources.h"

#define SUBSCRIBE_PLAIN "{\"type\":\"SUBSCRIBE\",\"subscribe\":{\"framework_info\":" \
                        "{\"user\":\"root\",\"name\":\"mesos-diff\"}}}"
#define SUBSCRIBE_MULTI_ROLE "{\"type\":\"SUBSCRIBE\",\"subscribe\":{\"framework_info\":" \
    "{\"user\":\"root\",\"name\":\"mesos-diff\",\"capabilities\":[{\"type\":\"MULTI_ROLE\"}]," \
    "\"roles\":[\"*\"]}}}"

static size_t offers_in(struct fixture *f, const struct sub *s, int i)
{
    json_t *j = record(ex(f, s), (uint32_t)i);
    size_t n = json_array_size(json_object_get(json_object_get(j, "offers"), "offers"));
    json_decref(j);
    return n;
}

/* Declines (or accepts with no operations) offer_id; filters NULL leaves them out. */
static void decline(struct fixture *f, const struct sub *s, const char *type,
                    const char *offer_id, const char *filters)
{
    char body[1024];
    const char *field = strcmp(type, "ACCEPT") == 0 ? "accept" : "decline";
    snprintf(body, sizeof(body),
             "{\"type\":\"%s\",\"framework_id\":{\"value\":\"%s\"},\"%s\":{\"offer_ids\":"
             "[{\"value\":\"%s\"}]%s%s%s}}",
             type, s->fw, field, offer_id, strcmp(type, "ACCEPT") == 0 ? ",\"operations\":[]" : "",
             filters ? ",\"filters\":" : "", filters ? filters : "");
    int x = post(f, s->client, s->stream, body);
    run(f, 20 * MS);
    assert_int_equal(client_exchange_get(&f->clients[s->client], x)->status, 202);
}

static void simple_call(struct fixture *f, const struct sub *s, const char *type)
{
    char body[512];
    snprintf(body, sizeof(body), "{\"type\":\"%s\",\"framework_id\":{\"value\":\"%s\"}}", type,
             s->fw);
    int x = post(f, s->client, s->stream, body);
    run(f, 20 * MS);
    assert_int_equal(client_exchange_get(&f->clients[s->client], x)->status, 202);
}

/* Replaces every "<name>" placeholder (with its quotes when quoted) in text. */
static void placeholder_set(char *text, size_t bytes, const char *name, const char *value)
{
    char *p;
    while ((p = strstr(text, name)) != NULL) {
        size_t name_len = strlen(name), value_len = strlen(value);
        size_t tail = strlen(p + name_len) + 1;
        assert_true(strlen(text) - name_len + value_len < bytes);
        memmove(p + value_len, p + name_len, tail);
        memcpy(p, value, value_len);
    }
}

/* The recorded OFFERS event of o.offers-shape (plain) or o.offers-shape-multi-role. */
static const char recorded_plain[] =
    "{\"type\": \"OFFERS\", \"offers\": {\"offers\": [{\"id\": {\"value\": \"<offer1>\"}, "
    "\"framework_id\": {\"value\": \"<fw1>\"}, \"agent_id\": {\"value\": \"<agent1>\"}, "
    "\"hostname\": \"<host>\", \"url\": {\"scheme\": \"http\", \"address\": {\"hostname\": "
    "\"<host>\", \"ip\": \"<ip>\", \"port\": \"<port>\"}, \"path\": \"/slave(1)\"}, "
    "\"resources\": [{\"name\": \"ports\", \"type\": \"RANGES\", \"ranges\": {\"range\": "
    "[{\"begin\": 31000, \"end\": 32000}]}, \"role\": \"*\"}, {\"name\": \"cpus\", \"type\": "
    "\"SCALAR\", \"scalar\": {\"value\": 2.0}, \"role\": \"*\"}, {\"name\": \"mem\", \"type\": "
    "\"SCALAR\", \"scalar\": {\"value\": 2048.0}, \"role\": \"*\"}, {\"name\": \"disk\", "
    "\"type\": \"SCALAR\", \"scalar\": {\"value\": 4096.0}, \"role\": \"*\"}]}]}}";
static const char recorded_multi_role[] =
    "{\"type\": \"OFFERS\", \"offers\": {\"offers\": [{\"id\": {\"value\": \"<offer1>\"}, "
    "\"framework_id\": {\"value\": \"<fw1>\"}, \"agent_id\": {\"value\": \"<agent1>\"}, "
    "\"hostname\": \"<host>\", \"url\": {\"scheme\": \"http\", \"address\": {\"hostname\": "
    "\"<host>\", \"ip\": \"<ip>\", \"port\": \"<port>\"}, \"path\": \"/slave(1)\"}, "
    "\"resources\": [{\"name\": \"ports\", \"type\": \"RANGES\", \"ranges\": {\"range\": "
    "[{\"begin\": 31000, \"end\": 32000}]}, \"role\": \"*\", \"allocation_info\": {\"role\": "
    "\"*\"}}, {\"name\": \"cpus\", \"type\": \"SCALAR\", \"scalar\": {\"value\": 2.0}, \"role\": "
    "\"*\", \"allocation_info\": {\"role\": \"*\"}}, {\"name\": \"mem\", \"type\": \"SCALAR\", "
    "\"scalar\": {\"value\": 2048.0}, \"role\": \"*\", \"allocation_info\": {\"role\": \"*\"}}, "
    "{\"name\": \"disk\", \"type\": \"SCALAR\", \"scalar\": {\"value\": 4096.0}, \"role\": "
    "\"*\", \"allocation_info\": {\"role\": \"*\"}}], \"allocation_info\": {\"role\": \"*\"}}]}}";

/* The first OFFERS equals the recorded one with the placeholders filled in. */
static void shape_check(const char *subscribe_body, const char *recorded)
{
    struct fixture *f = fixture_make(11);
    struct sub s;
    subscribe(f, 0, subscribe_body, &s);
    agent_start(f, 0, NULL);
    int i = wait_offers(f, &s, 0, 5 * SEC);
    assert_int_equal(offers_in(f, &s, i), 1);
    char offer[128], want[4096];
    offer_field(f, &s, i, 0, "id", offer, sizeof(offer));
    char prefix[128];
    snprintf(prefix, sizeof(prefix), "%s-O0", master_id(f->master)); /* the first offer's id */
    assert_string_equal(offer, prefix);
    snprintf(want, sizeof(want), "%s", recorded);
    placeholder_set(want, sizeof(want), "<offer1>", offer);
    placeholder_set(want, sizeof(want), "<fw1>", s.fw);
    placeholder_set(want, sizeof(want), "<agent1>", agent_id(f->agents[0]));
    placeholder_set(want, sizeof(want), "<host>", "a1");
    placeholder_set(want, sizeof(want), "<ip>", "a1");
    placeholder_set(want, sizeof(want), "\"<port>\"", "5051");
    json_t *expected = json_loads(want, 0, NULL), *got = record(ex(f, &s), (uint32_t)i);
    assert_non_null(expected);
    if (!json_equal(expected, got))
        fail_msg("OFFERS differ:\n got  %s\n want %s", ex(f, &s)->records[i].json, want);
    json_decref(expected);
    json_decref(got);
    fixture_free(f);
}

/* O7 (recorded: o.offers-shape): no allocation_info, role "*". */
static void offers_shape_plain(void **state)
{
    (void)state;
    shape_check(SUBSCRIBE_PLAIN, recorded_plain);
}

/* O7 (recorded: o.offers-shape-multi-role): allocation_info on the offer and each resource. */
static void offers_shape_multi_role(void **state)
{
    (void)state;
    shape_check(SUBSCRIBE_MULTI_ROLE, recorded_multi_role);
}

/*
 * O2, O6: after a decline (or an ACCEPT with no operations) with filters,
 * the next offer of that agent comes no sooner than the filter allows and
 * within one more allocation interval plus a little.
 */
struct reoffer_row {
    const char *type;    /* DECLINE or ACCEPT */
    const char *filters; /* NULL: none */
    uint64_t min_ns, max_ns;
};

static const struct reoffer_row reoffer_rows[] = {
    /* recorded: o.decline-refuse-2, "re-offer delay" bucket 2-4 s */
    {"DECLINE", "{\"refuse_seconds\":2}", 2 * SEC, 4 * SEC},
    /* recorded: o.accept-no-operations, "re-offer delay" bucket 2-4 s */
    {"ACCEPT", "{\"refuse_seconds\":2}", 2 * SEC, 4 * SEC},
    /* 0: no filter, the next cycle (O2) */
    {"DECLINE", "{\"refuse_seconds\":0}", 0, 1100 * MS},
    /* no filters: Filters' default 5 s (O2) */
    {"DECLINE", NULL, 5 * SEC, 6100 * MS},
    {"DECLINE", "{}", 5 * SEC, 6100 * MS},
    /* negative: 5 s (O2) */
    {"DECLINE", "{\"refuse_seconds\":-1}", 5 * SEC, 6100 * MS},
    /* below one allocation interval: one interval */
    {"ACCEPT", "{\"refuse_seconds\":0.2}", 1 * SEC, 2100 * MS},
};

static void reoffer_after_decline(void **state)
{
    (void)state;
    for (size_t r = 0; r < sizeof(reoffer_rows) / sizeof(reoffer_rows[0]); r++) {
        const struct reoffer_row *row = &reoffer_rows[r];
        struct fixture *f = fixture_make(20 + r);
        struct sub s;
        subscribe(f, 0, SUBSCRIBE_PLAIN, &s);
        agent_start(f, 0, NULL);
        int i = wait_offers(f, &s, 0, 5 * SEC);
        char offer[128], next[128];
        offer_field(f, &s, i, 0, "id", offer, sizeof(offer));
        uint64_t t0 = now(f);
        decline(f, &s, row->type, offer, row->filters);
        int k = wait_offers(f, &s, (uint32_t)i + 1, 10 * SEC);
        uint64_t dt = ex(f, &s)->records[k].arrived_ns - t0;
        if (dt < row->min_ns || dt > row->max_ns)
            fail_msg("row %zu (%s %s): re-offered after %.3f s", r, row->type,
                     row->filters ? row->filters : "no filters", (double)dt / 1e9);
        offer_field(f, &s, k, 0, "id", next, sizeof(next));
        assert_string_not_equal(offer, next); /* a new offer, a new id */
        fixture_free(f);
    }
}

/* Declining an unknown id, or one twice, changes nothing and is still 202. */
static void decline_unknown_ignored(void **state)
{
    (void)state;
    struct fixture *f = fixture_make(31);
    struct sub s;
    subscribe(f, 0, SUBSCRIBE_PLAIN, &s);
    agent_start(f, 0, NULL);
    int i = wait_offers(f, &s, 0, 5 * SEC);
    decline(f, &s, "DECLINE", "no-such-offer", "{\"refuse_seconds\":0}");
    run(f, 10 * SEC);
    assert_int_equal(count(f, &s, "OFFERS", (uint32_t)i + 1), 0); /* still held, not re-offered */
    fixture_free(f);
}

/* O3 (recorded: o.suppress-revive): no offers while suppressed, even after a decline with 0. */
static void suppress_then_revive(void **state)
{
    (void)state;
    struct fixture *f = fixture_make(41);
    struct sub s;
    subscribe(f, 0, SUBSCRIBE_PLAIN, &s);
    agent_start(f, 0, NULL);
    int i = wait_offers(f, &s, 0, 5 * SEC);
    char offer[128];
    offer_field(f, &s, i, 0, "id", offer, sizeof(offer));
    simple_call(f, &s, "SUPPRESS");
    decline(f, &s, "DECLINE", offer, "{\"refuse_seconds\":0}");
    run(f, 30 * SEC);
    assert_int_equal(count(f, &s, "OFFERS", (uint32_t)i + 1), 0);
    uint64_t t0 = now(f);
    simple_call(f, &s, "REVIVE");
    int k = wait_offers(f, &s, (uint32_t)i + 1, 5 * SEC);
    assert_true(ex(f, &s)->records[k].arrived_ns - t0 < SEC); /* at once, not at an interval */
    fixture_free(f);
}

/* Subscribe.suppressed_roles: suppressed from the start; an unknown role is an ERROR. */
static void subscribe_suppressed(void **state)
{
    (void)state;
    struct fixture *f = fixture_make(43);
    struct sub s;
    subscribe(f, 0,
              "{\"type\":\"SUBSCRIBE\",\"subscribe\":{\"framework_info\":{\"user\":\"root\","
              "\"name\":\"x\"},\"suppressed_roles\":[\"*\"]}}",
              &s);
    agent_start(f, 0, NULL);
    run(f, 20 * SEC);
    assert_int_equal(count(f, &s, "OFFERS", 0), 0);
    simple_call(f, &s, "REVIVE");
    wait_offers(f, &s, 0, 2 * SEC);
    int x = post(f, 1, NULL,
                 "{\"type\":\"SUBSCRIBE\",\"subscribe\":{\"framework_info\":{\"user\":\"root\","
                 "\"name\":\"x\"},\"suppressed_roles\":[\"b\",\"a\",\"b\"]}}");
    run(f, SEC / 10);
    const struct client_exchange *e = client_exchange_get(&f->clients[1], x);
    assert_int_equal(e->status, 200);
    assert_int_equal(e->records_count, 1);
    json_t *j = record(e, 0);
    assert_string_equal(json_string_value(json_object_get(json_object_get(j, "error"), "message")),
                        "Suppressed roles { a, b } are not contained in the set of roles");
    json_decref(j);
    assert_true(e->ended);
    fixture_free(f);
}

/* O1: two frameworks and two agents: each framework gets one agent's offer. */
static void two_frameworks_share(void **state)
{
    (void)state;
    struct fixture *f = fixture_make(51);
    struct sub s1, s2;
    subscribe(f, 0, SUBSCRIBE_PLAIN, &s1);
    subscribe(f, 1, SUBSCRIBE_PLAIN, &s2);
    /* The agents come after: each goes to the framework with the lower share (DRF). */
    agent_start(f, 0, NULL);
    agent_start(f, 1, NULL);
    run(f, 3 * SEC);
    /* Each holds the offer of one agent, and not the same one. */
    assert_int_equal(count(f, &s1, "OFFERS", 0), 1);
    assert_int_equal(count(f, &s2, "OFFERS", 0), 1);
    int i1 = find(f, &s1, "OFFERS", 0), i2 = find(f, &s2, "OFFERS", 0);
    assert_int_equal(offers_in(f, &s1, i1), 1);
    assert_int_equal(offers_in(f, &s2, i2), 1);
    char a1[128], a2[128];
    offer_field(f, &s1, i1, 0, "agent_id", a1, sizeof(a1));
    offer_field(f, &s2, i2, 0, "agent_id", a2, sizeof(a2));
    assert_string_not_equal(a1, a2);
    fixture_free(f);
}

/* One OFFERS event per framework per cycle, with all its offers (both agents at once). */
static void offers_are_batched(void **state)
{
    (void)state;
    struct fixture *f = fixture_make(53);
    agent_start(f, 0, NULL);
    agent_start(f, 1, "cpus:4;mem:1024");
    run(f, 3 * SEC);
    struct sub s;
    subscribe(f, 0, SUBSCRIBE_PLAIN, &s);
    int i = wait_offers(f, &s, 0, 2 * SEC);
    assert_int_equal(offers_in(f, &s, i), 2);
    char o0[128], o1[128];
    offer_field(f, &s, i, 0, "id", o0, sizeof(o0));
    offer_field(f, &s, i, 1, "id", o1, sizeof(o1));
    assert_string_not_equal(o0, o1);
    fixture_free(f);
}

/* A3: an agent cut off: RESCIND of its offer, then FAILURE, in that order. */
static void partition_rescinds_then_failure(void **state)
{
    (void)state;
    struct fixture *f = fixture_make(61);
    struct sub s;
    subscribe(f, 0, SUBSCRIBE_PLAIN, &s);
    agent_start(f, 0, NULL);
    int i = wait_offers(f, &s, 0, 5 * SEC);
    char offer[128];
    offer_field(f, &s, i, 0, "id", offer, sizeof(offer));
    const char *side_a[] = {MASTER}, *side_b[] = {agent_addrs[0]};
    uint32_t cut;
    assert_int_equal(
        sim_partition(f->world, side_a, 1, side_b, 1, SIM_PARTITION_SYMMETRIC, &cut), 0);
    run(f, 100 * SEC);
    int r = find(f, &s, "RESCIND", 0), fl = find(f, &s, "FAILURE", 0);
    assert_true(r > i);
    assert_true(fl > r);
    json_t *j = record(ex(f, &s), (uint32_t)r);
    assert_string_equal(
        json_string_value(json_object_get(
            json_object_get(json_object_get(j, "rescind"), "offer_id"), "value")),
        offer);
    json_decref(j);
    assert_int_equal(count(f, &s, "RESCIND", 0), 1);
    assert_int_equal(count(f, &s, "OFFERS", (uint32_t)i + 1), 0); /* unreachable: not offered */
    /* Healed, the agent re-registers and is offered again. */
    assert_int_equal(sim_heal(f->world, cut), 0);
    wait_offers(f, &s, (uint32_t)fl + 1, 120 * SEC);
    fixture_free(f);
}

/* L2, L13: a failover discards the offers: no RESCIND on the new stream, new offers come. */
static void failover_discards_offers(void **state)
{
    (void)state;
    struct fixture *f = fixture_make(71);
    struct sub s;
    subscribe(f, 0, SUBSCRIBE_PLAIN, &s);
    agent_start(f, 0, NULL);
    int i = wait_offers(f, &s, 0, 5 * SEC);
    char old_offer[128], body[512];
    offer_field(f, &s, i, 0, "id", old_offer, sizeof(old_offer));
    snprintf(body, sizeof(body),
             "{\"type\":\"SUBSCRIBE\",\"framework_id\":{\"value\":\"%s\"},\"subscribe\":"
             "{\"framework_info\":{\"user\":\"root\",\"name\":\"mesos-diff\",\"id\":"
             "{\"value\":\"%s\"}}}}",
             s.fw, s.fw);
    struct sub n;
    subscribe(f, 1, body, &n);
    assert_string_equal(n.fw, s.fw);
    int k = wait_offers(f, &n, 0, 2 * SEC);
    char new_offer[128];
    offer_field(f, &n, k, 0, "id", new_offer, sizeof(new_offer));
    assert_string_not_equal(old_offer, new_offer);
    assert_int_equal(count(f, &n, "RESCIND", 0), 0);
    assert_int_equal(count(f, &s, "RESCIND", 0), 0);
    /* The old id is invalid: declining it on the new stream changes nothing. */
    decline(f, &n, "DECLINE", old_offer, "{\"refuse_seconds\":0}");
    run(f, 5 * SEC);
    assert_int_equal(count(f, &n, "OFFERS", (uint32_t)k + 1), 0);
    /* The new one is valid: declined with 0, it comes back at the next cycle. */
    decline(f, &n, "DECLINE", new_offer, "{\"refuse_seconds\":0}");
    wait_offers(f, &n, (uint32_t)k + 1, 2 * SEC);
    fixture_free(f);
}

/* L7, L8: a disconnected framework gets no offers; resubscribed, it gets them again. */
static void disconnect_takes_offers_back(void **state)
{
    (void)state;
    struct fixture *f = fixture_make(81);
    struct sub s, other;
    subscribe(f, 0,
              "{\"type\":\"SUBSCRIBE\",\"subscribe\":{\"framework_info\":{\"user\":\"root\","
              "\"name\":\"x\",\"failover_timeout\":60}}}",
              &s);
    agent_start(f, 0, NULL);
    wait_offers(f, &s, 0, 5 * SEC);
    client_hang_up(&f->clients[0], s.x);
    run(f, SEC / 10);
    /* The resources are free again: a second framework gets them at the next cycle. */
    subscribe(f, 1, SUBSCRIBE_PLAIN, &other);
    wait_offers(f, &other, 0, 2 * SEC);
    fixture_free(f);
}

/* L10: TEARDOWN discards the offers; another framework gets the agent. */
static void teardown_gives_back(void **state)
{
    (void)state;
    struct fixture *f = fixture_make(83);
    struct sub s, other;
    subscribe(f, 0, SUBSCRIBE_PLAIN, &s);
    agent_start(f, 0, NULL);
    wait_offers(f, &s, 0, 5 * SEC);
    subscribe(f, 1, SUBSCRIBE_PLAIN, &other);
    run(f, 3 * SEC);
    assert_int_equal(count(f, &other, "OFFERS", 0), 0); /* all held by the first */
    simple_call(f, &s, "TEARDOWN");
    wait_offers(f, &other, 0, 2 * SEC);
    assert_int_equal(count(f, &s, "RESCIND", 0), 0);
    fixture_free(f);
}

/* A bad resources text refuses the registration (the agent keeps trying). */
static void bad_resources_refused(void **state)
{
    (void)state;
    struct fixture *f = fixture_make(91);
    struct sub s;
    subscribe(f, 0, SUBSCRIBE_PLAIN, &s);
    agent_start(f, 0, "cpus:abc;mem:10");
    run(f, 10 * SEC);
    struct agent_stats as;
    agent_stats_get(f->agents[0], &as);
    assert_true(as.refusals >= 1);
    assert_int_equal(as.registrations, 0);
    assert_int_equal(agent_state_get(f->agents[0]) == AGENT_STATE_REGISTERED, 0);
    assert_int_equal(count(f, &s, "OFFERS", 0), 0);
    fixture_free(f);
}

static uint64_t offers_trace_hash(uint64_t seed)
{
    struct fixture *f = fixture_make(seed);
    struct sub s;
    subscribe(f, 0, SUBSCRIBE_PLAIN, &s);
    agent_start(f, 0, NULL);
    agent_start(f, 1, NULL);
    int i = wait_offers(f, &s, 0, 5 * SEC);
    char offer[128];
    offer_field(f, &s, i, 0, "id", offer, sizeof(offer));
    decline(f, &s, "DECLINE", offer, "{\"refuse_seconds\":2}");
    run(f, 30 * SEC);
    uint64_t h = sim_world_trace_hash(f->world);
    fixture_free(f);
    return h;
}

/* The same seed gives the same trace, another seed another. */
static void same_seed_same_trace(void **state)
{
    (void)state;
    assert_int_equal(offers_trace_hash(5), offers_trace_hash(5));
    assert_int_not_equal(offers_trace_hash(5), offers_trace_hash(6));
}

/*
 * The invariant checker (master_invariants_check) recounts offers against
 * agents' totals: it passes on a healthy master, and catches resources
 * that the allocator was given back while still in an outstanding offer
 * (a bookkeeping bug), once they are offered a second time.
 */
static void invariants_catch_a_double_offer(void **state)
{
    (void)state;
    struct fixture *f = fixture_make(41);
    struct sub s;
    subscribe(f, 0, SUBSCRIBE_PLAIN, &s);
    agent_start(f, 0, "cpus:2;mem:1024;ports:[31000-31004]");
    int i = wait_offers(f, &s, 0, 5 * SEC);
    char agent[128], text[256] = "";
    offer_field(f, &s, i, 0, "agent_id", agent, sizeof(agent));
    assert_int_equal(master_invariants_check(f->master, text, sizeof(text)), 0);
    struct res_set r;
    res_set_init(&r, NULL);
    assert_int_equal(res_parse("cpus:2;mem:1024;ports:[31000-31004]", &r, NULL), 0);
    assert_int_equal(res_set_allocate(&r, "*"), 0);
    master__offers_give_back(f->master, s.fw, agent, "*", &r, NULL);
    res_set_deinit(&r);
    simple_call(f, &s, "REVIVE");
    assert_true(wait_offers(f, &s, (uint32_t)i + 1, 5 * SEC) > i);
    assert_int_equal(master_invariants_check(f->master, text, sizeof(text)), 1);
    assert_non_null(strstr(text, agent));
    fixture_free(f);
}

int main(void)
{
    json_object_seed(1);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(offers_shape_plain),
        cmocka_unit_test(offers_shape_multi_role),
        cmocka_unit_test(reoffer_after_decline),
        cmocka_unit_test(decline_unknown_ignored),
        cmocka_unit_test(suppress_then_revive),
        cmocka_unit_test(subscribe_suppressed),
        cmocka_unit_test(two_frameworks_share),
        cmocka_unit_test(offers_are_batched),
        cmocka_unit_test(partition_rescinds_then_failure),
        cmocka_unit_test(failover_discards_offers),
        cmocka_unit_test(disconnect_takes_offers_back),
        cmocka_unit_test(teardown_gives_back),
        cmocka_unit_test(bad_resources_refused),
        cmocka_unit_test(same_seed_same_trace),
        cmocka_unit_test(invariants_catch_a_double_offer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
