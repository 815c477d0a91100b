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
    placeholder_set(want, sizeof(want), "<ip>", "10.0.0.1"); /* the agent's pid's ip */
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
    uint32_t cut = agent_partition(f, 0);
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
 * A master with one subscribed framework offered the whole of one agent
 * (resources); its id in agent, the index of that OFFERS event returned,
 * r holding resources allocated to "*", and the invariants checked to hold.
 */
static int one_agent_offered(struct fixture *f, struct sub *s, const char *resources,
                             char *agent, size_t agent_bytes, struct res_set *r)
{
    subscribe(f, 0, SUBSCRIBE_PLAIN, s);
    agent_start(f, 0, resources);
    int i = wait_offers(f, s, 0, 5 * SEC);
    char text[256] = "";
    offer_field(f, s, i, 0, "agent_id", agent, agent_bytes);
    assert_int_equal(master_invariants_check(f->master, text, sizeof(text)), 0);
    res_set_init(r, NULL);
    assert_int_equal(res_parse(resources, r, NULL), 0);
    assert_int_equal(res_set_allocate(r, "*"), 0);
    return i;
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
    struct res_set r;
    char agent[128], text[256] = "";
    int i = one_agent_offered(f, &s, "cpus:2;mem:1024;ports:[31000-31004]", agent, sizeof(agent),
                              &r);
    master__offers_give_back(f->master, s.fw, agent, "*", &r, NULL);
    res_set_deinit(&r);
    simple_call(f, &s, "REVIVE");
    assert_true(wait_offers(f, &s, (uint32_t)i + 1, 5 * SEC) > i);
    assert_int_equal(master_invariants_check(f->master, text, sizeof(text)), 1);
    assert_non_null(strstr(text, agent));
    fixture_free(f);
}

/*
 * Checks between full ones recount only the agents whose holds changed,
 * from the index of holds (master__hold_start/end): a hold that does not
 * fit is caught by the very next check. A full one, every so many checks,
 * recounts from the offers' and tasks' own lists and finds a hold the
 * index has and they do not.
 */
static void invariants_recount_changed_agents_and_check_the_index(void **state)
{
    (void)state;
    struct fixture *f = fixture_make(43);
    struct sub s;
    struct res_set r;
    char agent[128], text[256] = "";
    one_agent_offered(f, &s, "cpus:2;mem:1024", agent, sizeof(agent), &r);
    /* A second hold of the whole agent while it is offered. */
    struct master_hold extra;
    master__hold_start(f->master, &extra, agent, &r);
    assert_int_equal(master_invariants_check(f->master, text, sizeof(text)), 1);
    assert_non_null(strstr(text, "more than its total"));
    master__hold_end(f->master, &extra);
    assert_int_equal(master_invariants_check(f->master, text, sizeof(text)), 0);
    /* A hold only the index has: harmless to the sums, caught by the next full check. */
    res_set_clear(&r);
    master__hold_start(f->master, &extra, agent, &r);
    int caught = 0;
    for (int n = 0; n < 200 && !caught; n++)
        caught = master_invariants_check(f->master, text, sizeof(text));
    assert_true(caught);
    assert_non_null(strstr(text, "index of holds lists 2"));
    master__hold_end(f->master, &extra);
    res_set_deinit(&r);
    fixture_free(f);
}

/* ---- offer operations: RESERVE, UNRESERVE, CREATE, DESTROY (O5) ---- */

/* A MULTI_ROLE framework in role "r" with principal "p" (and more capabilities after). */
#define SUBSCRIBE_ROLE_R(caps) "{\"type\":\"SUBSCRIBE\",\"subscribe\":{\"framework_info\":" \
    "{\"user\":\"root\",\"name\":\"ops\",\"principal\":\"p\",\"roles\":[\"r\"]," \
    "\"capabilities\":[{\"type\":\"MULTI_ROLE\"}" caps "]}}}"
#define CAP_REFINEMENT ",{\"type\":\"RESERVATION_REFINEMENT\"}"

/* A dynamic reservation of cpus for r by p, in the post-refinement format. */
#define CPUS_R(v) "{\"name\":\"cpus\",\"type\":\"SCALAR\",\"scalar\":{\"value\":" v "}," \
    "\"reservations\":[{\"type\":\"DYNAMIC\",\"role\":\"r\",\"principal\":\"p\"}]}"
#define DISK_R(v) "{\"name\":\"disk\",\"type\":\"SCALAR\",\"scalar\":{\"value\":" v "}," \
    "\"reservations\":[{\"type\":\"DYNAMIC\",\"role\":\"r\",\"principal\":\"p\"}]}"
#define VOLUME_R(v, id) "{\"name\":\"disk\",\"type\":\"SCALAR\",\"scalar\":{\"value\":" v "}," \
    "\"reservations\":[{\"type\":\"DYNAMIC\",\"role\":\"r\",\"principal\":\"p\"}]," \
    "\"disk\":{\"persistence\":{\"id\":\"" id "\",\"principal\":\"p\"},\"volume\":" \
    "{\"container_path\":\"data\",\"mode\":\"RW\"}}}"

/*
 * The resource called name of offer k of an OFFERS event that has the
 * field key ("reservations", "disk", ...), or with key NULL the unreserved
 * one; NULL when there is none.
 */
static json_t *offer_resource(json_t *offers_ev, size_t k, const char *name, const char *key)
{
    json_t *res = json_object_get(
        json_array_get(json_object_get(json_object_get(offers_ev, "offers"), "offers"), k),
        "resources");
    for (size_t n = 0; n < json_array_size(res); n++) {
        json_t *r = json_array_get(res, n);
        const char *role = json_string_value(json_object_get(r, "role"));
        int plain = json_object_get(r, "reservations") == NULL &&
                    json_object_get(r, "reservation") == NULL &&
                    json_object_get(r, "disk") == NULL && (role == NULL || strcmp(role, "*") == 0);
        if (strcmp(json_string_value(json_object_get(r, "name")), name) == 0 &&
            (key == NULL ? plain : json_object_get(r, key) != NULL))
            return r;
    }
    return NULL;
}

/* Expects r to equal the JSON text want. */
static void json_expect(json_t *r, const char *want)
{
    json_t *w = json_loads(want, 0, NULL);
    assert_non_null(w);
    if (r == NULL || !json_equal(r, w)) {
        char *got = r != NULL ? json_dumps(r, JSON_SORT_KEYS) : NULL;
        fail_msg("got %s\n want %s", got != NULL ? got : "(none)", want);
    }
    json_decref(w);
}

/* A world with one agent (10.0.0.1) and s subscribed with body; the first offer's id. */
static struct fixture *ops_world(uint64_t seed, const char *body, struct sub *s, char *offer,
                                 uint32_t *from)
{
    struct fixture *f = fixture_make(seed);
    subscribe(f, 0, body, s);
    agent_start(f, 0, NULL);
    int i = wait_offers(f, s, 0, 5 * SEC);
    offer_field(f, s, i, 0, "id", offer, 128);
    *from = (uint32_t)i + 1;
    return f;
}

/*
 * RESERVE: the reserved cpus come back at the next cycle, without the
 * accept's filter, in the offer format the framework reads: pre-refinement
 * (role and reservation.principal) without RESERVATION_REFINEMENT, the
 * reservations stack with it (src/master/master.cpp `_accept`, `offer`).
 */
static void reserve_offered_back(void **state)
{
    (void)state;
    static const struct {
        const char *subscribe, *want;
    } rows[] = {
        {SUBSCRIBE_ROLE_R(""),
         "{\"name\":\"cpus\",\"type\":\"SCALAR\",\"scalar\":{\"value\":1.0},\"role\":\"r\","
         "\"reservation\":{\"principal\":\"p\"},\"allocation_info\":{\"role\":\"r\"}}"},
        {SUBSCRIBE_ROLE_R(CAP_REFINEMENT),
         "{\"name\":\"cpus\",\"type\":\"SCALAR\",\"scalar\":{\"value\":1.0},\"reservations\":"
         "[{\"type\":\"DYNAMIC\",\"role\":\"r\",\"principal\":\"p\"}],\"allocation_info\":"
         "{\"role\":\"r\"}}"},
    };
    for (size_t r = 0; r < sizeof(rows) / sizeof(rows[0]); r++) {
        struct sub s;
        char offer[128];
        uint32_t from;
        struct fixture *f = ops_world(301 + r, rows[r].subscribe, &s, offer, &from);
        accept_ops(f, &s, offer, "[{\"type\":\"RESERVE\",\"reserve\":{\"resources\":[" CPUS_R("1")
                   "]}}]", "{\"refuse_seconds\":30}");
        uint64_t t0 = now(f);
        json_t *ev = event_next(f, &s, "OFFERS", &from, 3 * SEC);
        assert_non_null(ev);
        assert_true(now(f) - t0 < 1100 * MS); /* the next cycle: the reserved part is unfiltered */
        json_expect(offer_resource(ev, 0, "cpus", r == 0 ? "reservation" : "reservations"),
                    rows[r].want);
        json_t *plain = offer_resource(ev, 0, "cpus", NULL);
        assert_non_null(plain);
        assert_true(json_real_value(json_object_get(json_object_get(plain, "scalar"), "value")) ==
                    1.0);
        assert_int_equal(count(f, &s, "UPDATE_OPERATION_STATUS", 0), 0); /* no id: no feedback */
        /* A decline filters the reserved resources like any others (O2). */
        char again[128];
        json_t *id = json_object_get(json_object_get(json_array_get(
            json_object_get(json_object_get(ev, "offers"), "offers"), 0), "id"), "value");
        snprintf(again, sizeof(again), "%s", json_string_value(id));
        json_decref(ev);
        decline(f, &s, "DECLINE", again, "{\"refuse_seconds\":10}");
        run(f, 9 * SEC);
        assert_int_equal(count(f, &s, "OFFERS", from), 0);
        ev = event_next(f, &s, "OFFERS", &from, 3 * SEC);
        assert_non_null(ev);
        assert_non_null(offer_resource(ev, 0, "cpus", r == 0 ? "reservation" : "reservations"));
        json_decref(ev);
        fixture_free(f);
    }
}

/* Waits for the next offer of s and writes its id; the OFFERS event is returned. */
static json_t *next_offer(struct fixture *f, const struct sub *s, uint32_t *from, char *offer,
                          uint64_t limit_ns)
{
    json_t *ev = event_next(f, s, "OFFERS", from, limit_ns);
    assert_non_null(ev);
    json_t *id = json_object_get(json_object_get(json_array_get(
        json_object_get(json_object_get(ev, "offers"), "offers"), 0), "id"), "value");
    snprintf(offer, 128, "%s", json_string_value(id));
    return ev;
}

/* UNRESERVE pops the reservation: the next offer has the cpus unreserved again. */
static void unreserve_offered_back(void **state)
{
    (void)state;
    struct sub s;
    char offer[128];
    uint32_t from;
    struct fixture *f = ops_world(311, SUBSCRIBE_ROLE_R(CAP_REFINEMENT), &s, offer, &from);
    accept_ops(f, &s, offer, "[{\"type\":\"RESERVE\",\"reserve\":{\"resources\":[" CPUS_R("1")
               "]}}]", "{\"refuse_seconds\":0}");
    json_decref(next_offer(f, &s, &from, offer, 3 * SEC));
    accept_ops(f, &s, offer, "[{\"type\":\"UNRESERVE\",\"unreserve\":{\"resources\":["
               CPUS_R("1") "]}}]", "{\"refuse_seconds\":0}");
    json_t *ev = next_offer(f, &s, &from, offer, 3 * SEC);
    assert_null(offer_resource(ev, 0, "cpus", "reservations"));
    json_expect(offer_resource(ev, 0, "cpus", NULL),
                "{\"name\":\"cpus\",\"type\":\"SCALAR\",\"scalar\":{\"value\":2.0},"
                "\"allocation_info\":{\"role\":\"r\"}}");
    json_decref(ev);
    fixture_free(f);
}

/*
 * CREATE turns reserved disk into a persistent volume, offered with its
 * DiskInfo; DESTROY turns it back (validation.cpp validate(Create),
 * validate(Destroy); resources_utils.cpp getResourceConversions).
 */
static void create_then_destroy_volume(void **state)
{
    (void)state;
    struct sub s;
    char offer[128];
    uint32_t from;
    struct fixture *f = ops_world(321, SUBSCRIBE_ROLE_R(CAP_REFINEMENT), &s, offer, &from);
    /* RESERVE and CREATE in one ACCEPT: the CREATE finds the reserved disk. */
    accept_ops(f, &s, offer, "[{\"type\":\"RESERVE\",\"reserve\":{\"resources\":[" DISK_R("64")
               "]}},{\"type\":\"CREATE\",\"create\":{\"volumes\":[" VOLUME_R("64", "v1") "]}}]",
               "{\"refuse_seconds\":0}");
    json_t *ev = next_offer(f, &s, &from, offer, 3 * SEC);
    json_expect(offer_resource(ev, 0, "disk", "disk"),
                "{\"name\":\"disk\",\"type\":\"SCALAR\",\"scalar\":{\"value\":64.0},"
                "\"reservations\":[{\"type\":\"DYNAMIC\",\"role\":\"r\",\"principal\":\"p\"}],"
                "\"disk\":{\"persistence\":{\"id\":\"v1\",\"principal\":\"p\"},\"volume\":"
                "{\"container_path\":\"data\",\"mode\":\"RW\"}},\"allocation_info\":"
                "{\"role\":\"r\"}}");
    json_decref(ev);
    /* The same id again on this agent and role: refused (validateUniquePersistenceID). */
    accept_ops(f, &s, offer, "[{\"type\":\"CREATE\",\"create\":{\"volumes\":["
               VOLUME_R("1", "v1") "]}}]", "{\"refuse_seconds\":0}");
    char text[512];
    snprintf(text, sizeof(text), "Dropping CREATE operation from framework %s: Persistence ID "
             "'v1' is not unique; on agent %s at slave(1)@10.0.0.1:5051 (a1)", s.fw,
             agent_id(f->agents[0]));
    assert_true(logged(f, text));
    json_decref(next_offer(f, &s, &from, offer, 3 * SEC));
    accept_ops(f, &s, offer, "[{\"type\":\"DESTROY\",\"destroy\":{\"volumes\":["
               VOLUME_R("64", "v1") "]}}]", "{\"refuse_seconds\":0}");
    ev = next_offer(f, &s, &from, offer, 3 * SEC);
    assert_null(offer_resource(ev, 0, "disk", "disk"));
    json_expect(offer_resource(ev, 0, "disk", "reservations"),
                "{\"name\":\"disk\",\"type\":\"SCALAR\",\"scalar\":{\"value\":64.0},"
                "\"reservations\":[{\"type\":\"DYNAMIC\",\"role\":\"r\",\"principal\":\"p\"}],"
                "\"allocation_info\":{\"role\":\"r\"}}");
    json_decref(ev);
    fixture_free(f);
}

/*
 * Operations that fail stage 3 are dropped with Mesos' text (Master::drop
 * logs it; without an `id` the framework hears nothing), the ACCEPT
 * still answers 202, and the offer's resources all come back.
 */
static void operations_refused_texts(void **state)
{
    (void)state;
    static const struct {
        const char *type, *operations, *message;
        int on_agent; /* the text ends with "; on agent <agent>" */
    } rows[] = {
        {"RESERVE",
         "[{\"type\":\"RESERVE\",\"reserve\":{\"resources\":[{\"name\":\"cpus\",\"type\":"
         "\"SCALAR\",\"scalar\":{\"value\":1},\"reservations\":[{\"type\":\"STATIC\",\"role\":"
         "\"r\"}]}]}}]",
         "Resource cpus(allocated: r)(reservations: [(STATIC,r)]):1 is not dynamically reserved", 1},
        {"RESERVE",
         "[{\"type\":\"RESERVE\",\"reserve\":{\"resources\":[{\"name\":\"cpus\",\"type\":"
         "\"SCALAR\",\"scalar\":{\"value\":1},\"reservations\":[{\"type\":\"DYNAMIC\",\"role\":"
         "\"r\",\"principal\":\"q\"}]}]}}]",
         "A reserve operation was attempted by authenticated principal 'p', which does not match "
         "a reserved resource in the request with principal 'q'", 1},
        {"RESERVE",
         "[{\"type\":\"RESERVE\",\"reserve\":{\"resources\":[{\"name\":\"cpus\",\"type\":"
         "\"SCALAR\",\"scalar\":{\"value\":1},\"reservations\":[{\"type\":\"DYNAMIC\",\"role\":"
         "\"r\"}]}]}}]",
         "A reserve operation was attempted by principal 'p', but there is a reserved resource "
         "in the request with no principal set", 1},
        {"RESERVE",
         "[{\"type\":\"RESERVE\",\"reserve\":{\"resources\":[{\"name\":\"cpus\",\"type\":"
         "\"SCALAR\",\"scalar\":{\"value\":1},\"reservations\":[{\"type\":\"DYNAMIC\",\"role\":"
         "\"other\",\"principal\":\"p\"}]}]}}]",
         "A reserve operation was attempted for a resource with role 'other', but the resource "
         "was allocated to role 'r'", 1},
        {"RESERVE", "[{\"type\":\"RESERVE\",\"reserve\":{\"resources\":[]}}]",
         "Invalid resources: The resources have multiple resource providers: ", 1},
        {"RESERVE", "[{\"type\":\"RESERVE\",\"reserve\":{\"resources\":[" CPUS_R("3") "]}}]",
         "ports(allocated: r):[31000-32000]; cpus(allocated: r):2; mem(allocated: r):2048; "
         "disk(allocated: r):4096 does not contain cpus(allocated: r):3", 0},
        {"RESERVE",
         "[{\"type\":\"RESERVE\",\"reserve\":{\"resources\":[" CPUS_R("1") "],\"source\":["
         "{\"name\":\"cpus\",\"type\":\"SCALAR\",\"scalar\":{\"value\":1}}]}}]",
         "Operation attempted with invalid resources: Reservation updates are not yet "
         "implemented for the scheduler API.", 0},
        {"RESERVE",
         "[{\"type\":\"RESERVE\",\"reserve\":{\"resources\":[{\"name\":\"cpus\",\"type\":"
         "\"SCALAR\",\"scalar\":{\"value\":-1},\"role\":\"r\",\"reservation\":{}}]}}]",
         "Operation attempted with invalid resources: Resource 'cpus:-1' is invalid: Invalid "
         "scalar resource: value <= 0", 0},
        {"RESERVE", "[{\"type\":\"RESERVE\"}]",
         "Operation attempted with invalid resources: A RESERVE offer operation must have the "
         "Offer.Operation.reserve field set.", 0},
        {"UNRESERVE",
         "[{\"type\":\"UNRESERVE\",\"unreserve\":{\"resources\":[{\"name\":\"cpus\",\"type\":"
         "\"SCALAR\",\"scalar\":{\"value\":1}}]}}]",
         "Resource cpus(allocated: r):1 is not dynamically reserved", 1},
        {"UNRESERVE", "[{\"type\":\"UNRESERVE\",\"unreserve\":{\"resources\":[" CPUS_R("1") "]}}]",
         "ports(allocated: r):[31000-32000]; cpus(allocated: r):2; mem(allocated: r):2048; "
         "disk(allocated: r):4096 does not contain cpus(allocated: r)(reservations: "
         "[(DYNAMIC,r,p)]):1", 0},
        {"UNRESERVE", "[{\"type\":\"UNRESERVE\",\"unreserve\":{\"resources\":["
         VOLUME_R("1", "v") "]}}]",
         "A dynamically reserved persistent volume disk(allocated: r)(reservations: "
         "[(DYNAMIC,r,p)])[v:data]:1 cannot be unreserved directly. Please destroy the "
         "persistent volume first then unreserve the resource", 1},
        {"CREATE", "[{\"type\":\"CREATE\",\"create\":{\"volumes\":[" CPUS_R("1") "]}}]",
         "Not a persistent volume: Resource cpus(allocated: r)(reservations: [(DYNAMIC,r,p)]):1 "
         "does not have DiskInfo", 1},
        {"CREATE",
         "[{\"type\":\"CREATE\",\"create\":{\"volumes\":[{\"name\":\"disk\",\"type\":\"SCALAR\","
         "\"scalar\":{\"value\":1},\"disk\":{\"persistence\":{\"id\":\"v\"},\"volume\":"
         "{\"container_path\":\"d\",\"mode\":\"RW\"}}}]}}]",
         "Invalid resources: Invalid DiskInfo: Persistent volumes cannot be created from "
         "unreserved resources", 1},
        {"CREATE",
         "[{\"type\":\"CREATE\",\"create\":{\"volumes\":[{\"name\":\"disk\",\"type\":\"SCALAR\","
         "\"scalar\":{\"value\":1},\"reservations\":[{\"type\":\"DYNAMIC\",\"role\":\"r\","
         "\"principal\":\"p\"}],\"disk\":{\"persistence\":{\"id\":\"v\"},\"volume\":"
         "{\"container_path\":\"d\",\"mode\":\"RW\"}}}]}}]",
         "Create volume operation attempted by principal 'p', but there is a volume in the "
         "operation with no principal set in 'disk.persistence'", 1},
        {"CREATE", "[{\"type\":\"CREATE\",\"create\":{\"volumes\":[" VOLUME_R("1", "v") "]}}]",
         "ports(allocated: r):[31000-32000]; cpus(allocated: r):2; mem(allocated: r):2048; "
         "disk(allocated: r):4096 does not contain disk(allocated: r)(reservations: "
         "[(DYNAMIC,r,p)]):1", 0},
        {"DESTROY", "[{\"type\":\"DESTROY\",\"destroy\":{\"volumes\":[" VOLUME_R("1", "v") "]}}]",
         "Persistent volumes not found", 1},
        {"GROW_VOLUME",
         "[{\"type\":\"GROW_VOLUME\",\"grow_volume\":{\"volume\":" VOLUME_R("1", "v") ","
         "\"addition\":" DISK_R("1") "}}]",
         "Volume disk(allocated: r)(reservations: [(DYNAMIC,r,p)])[v:data]:1 cannot be grown on "
         "an agent without RESIZE_VOLUME capability", 1},
        {"CREATE_DISK",
         "[{\"type\":\"CREATE_DISK\",\"create_disk\":{\"source\":{\"name\":\"disk\",\"type\":"
         "\"SCALAR\",\"scalar\":{\"value\":1}},\"target_type\":\"MOUNT\"}}]",
         "Not supported on agent %s at slave(1)@10.0.0.1:5051 (a1) because it does not have "
         "RESOURCE_PROVIDER capability", 0},
    };
    for (size_t r = 0; r < sizeof(rows) / sizeof(rows[0]); r++) {
        struct sub s;
        char offer[128], want[2048], message[1024];
        uint32_t from;
        struct fixture *f = ops_world(331 + r, SUBSCRIBE_ROLE_R(CAP_REFINEMENT), &s, offer, &from);
        const char *agent = agent_id(f->agents[0]);
        snprintf(message, sizeof(message), rows[r].message, agent);
        snprintf(want, sizeof(want), "Dropping %s operation from framework %s: %s%s%s%s",
                 rows[r].type, s.fw, message, rows[r].on_agent ? "; on agent " : "",
                 rows[r].on_agent ? agent : "",
                 rows[r].on_agent ? " at slave(1)@10.0.0.1:5051 (a1)" : "");
        accept_ops(f, &s, offer, rows[r].operations, "{\"refuse_seconds\":0}");
        if (!logged(f, want))
            fail_msg("row %zu: no log line\n %s\nlogs:\n%s", r, want, f->logs);
        /* The whole offer comes back, nothing reserved. */
        json_t *ev = next_offer(f, &s, &from, offer, 3 * SEC);
        assert_null(offer_resource(ev, 0, "cpus", "reservations"));
        assert_null(offer_resource(ev, 0, "disk", "reservations"));
        json_decref(ev);
        assert_int_equal(count(f, &s, "UPDATE_OPERATION_STATUS", 0), 0);
        fixture_free(f);
    }
}

/* The feedback an operation with an `id` gets: OPERATION_ERROR, its id, Mesos' text. */
static void expect_operation_error(struct fixture *f, const struct sub *s, uint32_t *from,
                                   const char *id, const char *message)
{
    json_t *ev = event_next(f, s, "UPDATE_OPERATION_STATUS", from, SEC);
    assert_non_null(ev);
    char want[2048];
    snprintf(want, sizeof(want),
             "{\"type\":\"UPDATE_OPERATION_STATUS\",\"update_operation_status\":{\"status\":"
             "{\"operation_id\":{\"value\":\"%s\"},\"state\":\"OPERATION_ERROR\",\"message\":"
             "\"%s\"}}}", id, message);
    json_expect(ev, want);
    json_decref(ev);
}

/*
 * Operation feedback (Offer.Operation.id): the reference agent has neither
 * RESOURCE_PROVIDER nor AGENT_OPERATION_FEEDBACK, so Mesos' `accept`
 * drops every operation that asks for it with OPERATION_ERROR; invalid
 * offers and invalid resources are answered the same way first.
 */
static void operation_feedback_refused(void **state)
{
    (void)state;
    struct sub s;
    char offer[128], text[1024];
    uint32_t from;
    struct fixture *f = ops_world(361, SUBSCRIBE_ROLE_R(CAP_REFINEMENT), &s, offer, &from);
    accept_ops(f, &s, offer, "[{\"type\":\"RESERVE\",\"id\":{\"value\":\"op1\"},\"reserve\":"
               "{\"resources\":[" CPUS_R("1") "]}}]", "{\"refuse_seconds\":0}");
    snprintf(text, sizeof(text), "Operation requested feedback, but agent %s does not have the "
             "required RESOURCE_PROVIDER capability", agent_id(f->agents[0]));
    uint32_t at = 0;
    expect_operation_error(f, &s, &at, "op1", text);
    /* Not applied: the next offer has nothing reserved. */
    json_t *ev = next_offer(f, &s, &from, offer, 3 * SEC);
    assert_null(offer_resource(ev, 0, "cpus", "reservations"));
    json_decref(ev);
    accept_ops(f, &s, offer, "[{\"type\":\"CREATE\",\"id\":{\"value\":\"op2\"},\"create\":"
               "{\"volumes\":[{\"name\":\"disk\",\"type\":\"SCALAR\",\"scalar\":{\"value\":-1}}]}}]",
               "{\"refuse_seconds\":0}");
    expect_operation_error(f, &s, &at, "op2", "Operation attempted with invalid resources: "
                           "Resource 'disk:-1' is invalid: Invalid scalar resource: value <= 0");
    accept_ops(f, &s, "gone-offer", "[{\"type\":\"UNRESERVE\",\"id\":{\"value\":\"op3\"},"
               "\"unreserve\":{\"resources\":[" CPUS_R("1") "]}}]", NULL);
    expect_operation_error(f, &s, &at, "op3", "Operation attempted with invalid offers: Offer "
                           "gone-offer is no longer valid");
    fixture_free(f);
}

/*
 * Checkpointed resources outlive a master failover: the agent keeps what
 * the master sent (CHECKPOINT_RESOURCES), reports it when it re-registers
 * with the new master, which offers the reservation again (M1).
 */
static void reservation_survives_master_failover(void **state)
{
    (void)state;
    struct sub s;
    char offer[128];
    uint32_t from;
    struct fixture *f = ops_world(371, SUBSCRIBE_ROLE_R(CAP_REFINEMENT), &s, offer, &from);
    accept_ops(f, &s, offer, "[{\"type\":\"RESERVE\",\"reserve\":{\"resources\":[" CPUS_R("1")
               "]}}]", "{\"refuse_seconds\":0}");
    run(f, SEC);
    master_restart(f);
    run(f, 60 * SEC); /* the agent notices the master is gone and re-registers */
    struct sub n;
    subscribe(f, 1, SUBSCRIBE_ROLE_R(CAP_REFINEMENT), &n);
    uint32_t k = 0;
    json_t *ev = next_offer(f, &n, &k, offer, 10 * SEC);
    json_expect(offer_resource(ev, 0, "cpus", "reservations"),
                "{\"name\":\"cpus\",\"type\":\"SCALAR\",\"scalar\":{\"value\":1.0},"
                "\"reservations\":[{\"type\":\"DYNAMIC\",\"role\":\"r\",\"principal\":\"p\"}],"
                "\"allocation_info\":{\"role\":\"r\"}}");
    json_decref(ev);
    fixture_free(f);
}

/*
 * Refinement: resources statically reserved to "a" are offered to "a/b";
 * a RESERVE pushes a dynamic reservation for "a/b" on top (the stack
 * [(STATIC,a),(DYNAMIC,a/b,p)]), which only a RESERVATION_REFINEMENT
 * framework is offered (Mesos' stripIncapableResources).
 */
static void refined_reservation(void **state)
{
    (void)state;
    struct fixture *f = fixture_make(381);
    struct sub s, old;
    subscribe(f, 0, "{\"type\":\"SUBSCRIBE\",\"subscribe\":{\"framework_info\":{\"user\":\"root\","
              "\"name\":\"ops\",\"principal\":\"p\",\"roles\":[\"a/b\"],\"capabilities\":"
              "[{\"type\":\"MULTI_ROLE\"},{\"type\":\"RESERVATION_REFINEMENT\"}]}}}", &s);
    agent_start(f, 0, "cpus(a):2;mem(a):1024");
    uint32_t from = 0;
    char offer[128];
    json_decref(next_offer(f, &s, &from, offer, 5 * SEC));
    accept_ops(f, &s, offer, "[{\"type\":\"RESERVE\",\"reserve\":{\"resources\":[{\"name\":"
               "\"cpus\",\"type\":\"SCALAR\",\"scalar\":{\"value\":1},\"reservations\":["
               "{\"type\":\"STATIC\",\"role\":\"a\"},{\"type\":\"DYNAMIC\",\"role\":\"a/b\","
               "\"principal\":\"p\"}]}]}}]", "{\"refuse_seconds\":0}");
    json_t *ev = next_offer(f, &s, &from, offer, 3 * SEC);
    json_t *refined = NULL;
    json_t *res = json_object_get(json_array_get(json_object_get(json_object_get(ev, "offers"),
                                                                 "offers"), 0), "resources");
    for (size_t i = 0; i < json_array_size(res); i++)
        if (json_array_size(json_object_get(json_array_get(res, i), "reservations")) == 2)
            refined = json_array_get(res, i);
    json_expect(refined, "{\"name\":\"cpus\",\"type\":\"SCALAR\",\"scalar\":{\"value\":1.0},"
                "\"reservations\":[{\"type\":\"STATIC\",\"role\":\"a\"},{\"type\":\"DYNAMIC\","
                "\"role\":\"a/b\",\"principal\":\"p\"}],\"allocation_info\":{\"role\":\"a/b\"}}");
    json_decref(ev);
    /* Without the capability, a framework of a/b is offered the rest, never the refinement. */
    simple_call(f, &s, "TEARDOWN");
    subscribe(f, 1, "{\"type\":\"SUBSCRIBE\",\"subscribe\":{\"framework_info\":{\"user\":"
              "\"root\",\"name\":\"old\",\"roles\":[\"a/b\"],\"capabilities\":[{\"type\":"
              "\"MULTI_ROLE\"}]}}}", &old);
    uint32_t k = 0;
    ev = next_offer(f, &old, &k, offer, 5 * SEC);
    json_expect(offer_resource(ev, 0, "cpus", "role"),
                "{\"name\":\"cpus\",\"type\":\"SCALAR\",\"scalar\":{\"value\":1.0},\"role\":"
                "\"a\",\"allocation_info\":{\"role\":\"a/b\"}}");
    json_t *all = json_object_get(json_array_get(json_object_get(json_object_get(ev, "offers"),
                                                                 "offers"), 0), "resources");
    size_t cpus = 0;
    for (size_t i = 0; i < json_array_size(all); i++)
        cpus += strcmp(json_string_value(json_object_get(json_array_get(all, i), "name")),
                       "cpus") == 0;
    assert_int_equal(cpus, 1); /* the refined cpus are not in it */
    json_decref(ev);
    fixture_free(f);
}

/* RECONCILE_OPERATIONS: no known operation; each one named is answered by its agent's state. */
static void reconcile_operations_answers(void **state)
{
    (void)state;
    struct sub s;
    char offer[128], body[1024];
    uint32_t from;
    struct fixture *f = ops_world(391, SUBSCRIBE_PLAIN, &s, offer, &from);
    snprintf(body, sizeof(body),
             "{\"type\":\"RECONCILE_OPERATIONS\",\"framework_id\":{\"value\":\"%s\"},"
             "\"reconcile_operations\":{\"operations\":[]}}", s.fw);
    int x = post(f, 0, s.stream, body);
    run(f, SEC);
    assert_int_equal(client_exchange_get(&f->clients[0], x)->status, 202);
    assert_int_equal(count(f, &s, "UPDATE_OPERATION_STATUS", 0), 0); /* implicit: none known */
    snprintf(body, sizeof(body),
             "{\"type\":\"RECONCILE_OPERATIONS\",\"framework_id\":{\"value\":\"%s\"},"
             "\"reconcile_operations\":{\"operations\":[{\"operation_id\":{\"value\":\"a\"},"
             "\"agent_id\":{\"value\":\"%s\"}},{\"operation_id\":{\"value\":\"b\"},\"agent_id\":"
             "{\"value\":\"nope\"}},{\"operation_id\":{\"value\":\"c\"}}]}}",
             s.fw, agent_id(f->agents[0]));
    x = post(f, 0, s.stream, body);
    run(f, SEC);
    assert_int_equal(client_exchange_get(&f->clients[0], x)->status, 202);
    static const char *const want[3][2] = {
        {"OPERATION_UNKNOWN", "Reconciliation: Operation is unknown"},
        {"OPERATION_UNKNOWN", "Reconciliation: Both operation and agent are unknown"},
        {"OPERATION_UNKNOWN", "Reconciliation: Operation is unknown and no 'agent_id' was "
                              "provided"},
    };
    uint32_t at = 0;
    for (int i = 0; i < 3; i++) {
        json_t *ev = event_next(f, &s, "UPDATE_OPERATION_STATUS", &at, SEC);
        assert_non_null(ev);
        json_t *st = json_object_get(json_object_get(ev, "update_operation_status"), "status");
        assert_string_equal(json_string_value(json_object_get(st, "state")), want[i][0]);
        assert_string_equal(json_string_value(json_object_get(st, "message")), want[i][1]);
        assert_null(json_object_get(st, "uuid"));
        json_decref(ev);
    }
    fixture_free(f);
}

/*
 * ACCEPT_INVERSE_OFFERS and DECLINE_INVERSE_OFFERS: the master makes no
 * inverse offers (no maintenance), so Mesos logs the ids as invalid and
 * answers 202 with no event (recorded: s.valid-accept-inverse-offers).
 */
static void inverse_offers_logged(void **state)
{
    (void)state;
    struct sub s;
    char offer[128], body[1024], text[256];
    uint32_t from;
    struct fixture *f = ops_world(395, SUBSCRIBE_PLAIN, &s, offer, &from);
    uint32_t before = ex(f, &s)->records_count;
    snprintf(body, sizeof(body),
             "{\"type\":\"ACCEPT_INVERSE_OFFERS\",\"framework_id\":{\"value\":\"%s\"},"
             "\"accept_inverse_offers\":{\"inverse_offer_ids\":[{\"value\":\"io-1\"}]}}", s.fw);
    int x = post(f, 0, s.stream, body);
    snprintf(body, sizeof(body),
             "{\"type\":\"DECLINE_INVERSE_OFFERS\",\"framework_id\":{\"value\":\"%s\"},"
             "\"decline_inverse_offers\":{\"inverse_offer_ids\":[{\"value\":\"io-2\"}]}}", s.fw);
    int y = post(f, 0, s.stream, body);
    run(f, SEC / 2);
    assert_int_equal(client_exchange_get(&f->clients[0], x)->status, 202);
    assert_int_equal(client_exchange_get(&f->clients[0], y)->status, 202);
    snprintf(text, sizeof(text), "ACCEPT_INVERSE_OFFERS call used invalid offers: Inverse offer "
             "io-1 is no longer valid");
    assert_true(logged(f, text));
    assert_true(logged(f, "Ignoring decline of inverse offer io-2 since it is no longer valid"));
    for (uint32_t i = before; i < ex(f, &s)->records_count; i++)
        assert_true(record_is(ex(f, &s), i, "HEARTBEAT") || record_is(ex(f, &s), i, "OFFERS"));
    fixture_free(f);
}

/* A volume a task uses cannot be destroyed: "Persistent volumes in use" (validate(Destroy)). */
static void destroy_volume_in_use(void **state)
{
    (void)state;
    struct sub s;
    char offer[128], ops[4096], text[512];
    uint32_t from;
    struct fixture *f = ops_world(399, SUBSCRIBE_ROLE_R(CAP_REFINEMENT), &s, offer, &from);
    accept_ops(f, &s, offer, "[{\"type\":\"RESERVE\",\"reserve\":{\"resources\":[" DISK_R("64")
               "]}},{\"type\":\"CREATE\",\"create\":{\"volumes\":[" VOLUME_R("64", "v1") "]}}]",
               "{\"refuse_seconds\":0}");
    json_decref(next_offer(f, &s, &from, offer, 3 * SEC));
    snprintf(ops, sizeof(ops),
             "[{\"type\":\"LAUNCH\",\"launch\":{\"task_infos\":[{\"name\":\"t\",\"task_id\":"
             "{\"value\":\"t1\"},\"agent_id\":{\"value\":\"%s\"},\"resources\":[{\"name\":\"cpus\","
             "\"type\":\"SCALAR\",\"scalar\":{\"value\":0.1}}," VOLUME_R("64", "v1") "],"
             "\"command\":{\"value\":\"sleep 1000\"}}]}}]", agent_id(f->agents[0]));
    accept_ops(f, &s, offer, ops, "{\"refuse_seconds\":0}");
    uint32_t u = 0;
    json_t *ev = event_next(f, &s, "UPDATE", &u, SEC);
    assert_non_null(ev);
    assert_string_equal(json_string_value(json_object_get(json_object_get(json_object_get(ev,
                        "update"), "status"), "state")), "TASK_STARTING");
    json_decref(ev);
    ev = next_offer(f, &s, &from, offer, 3 * SEC);
    assert_null(offer_resource(ev, 0, "disk", "disk")); /* the task holds it */
    json_decref(ev);
    accept_ops(f, &s, offer, "[{\"type\":\"DESTROY\",\"destroy\":{\"volumes\":["
               VOLUME_R("64", "v1") "]}}]", "{\"refuse_seconds\":0}");
    snprintf(text, sizeof(text), "Dropping DESTROY operation from framework %s: Persistent "
             "volumes in use; on agent %s at slave(1)@10.0.0.1:5051 (a1)", s.fw,
             agent_id(f->agents[0]));
    assert_true(logged(f, text));
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
        cmocka_unit_test(invariants_recount_changed_agents_and_check_the_index),
        cmocka_unit_test(reserve_offered_back),
        cmocka_unit_test(unreserve_offered_back),
        cmocka_unit_test(create_then_destroy_volume),
        cmocka_unit_test(operations_refused_texts),
        cmocka_unit_test(operation_feedback_refused),
        cmocka_unit_test(reservation_survives_master_failover),
        cmocka_unit_test(refined_reservation),
        cmocka_unit_test(reconcile_operations_answers),
        cmocka_unit_test(inverse_offers_logged),
        cmocka_unit_test(destroy_volume_in_use),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
