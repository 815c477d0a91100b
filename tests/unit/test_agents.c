/*
 * test_agents.c: the reference agent and the master's side of its agents
 * (SPEC.md A1, A2, A3, A5, A6, A9, M1, M2; tasks are test_tasks.c's), driven through the
 * simulator: a master, two agents and a scheduler client. Mesos' timing
 * rules come from src/master/master.cpp (SlaveObserver: a PING every
 * agent_ping_timeout, unreachable after max_agent_ping_timeouts unanswered
 * ones) and src/slave/slave.cpp (registration backoff); there is no
 * recorded exchange for agents in mesos-1.12/.
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
#include "mesos_conform/internal.pb-c.h"
#include "pbjson.h"
#include "recordio.h"
#include "sim.h"

#define SEC RT_NS_PER_SEC
#define MS RT_NS_PER_MS
#define MASTER "master:5050"
#define SCHED "s1:1"
#define SUBSCRIBE_BODY \
    "{\"type\":\"SUBSCRIBE\",\"subscribe\":{\"framework_info\":{\"user\":\"root\",\"name\":\"t\"}}}"

static const char *const agent_addrs[2] = {"a1:5051", "a2:5051"};
static const char *const agent_hosts[2] = {"a1", "a2"};

struct fixture {
    struct sim_world *world;
    struct master *master;
    struct agent *agents[2];
    struct client client;
    int sub; /* the scheduler's subscription exchange, -1 when none */
};

static struct fixture *fixture_make(uint64_t seed, uint32_t split_num)
{
    struct fixture *f = calloc(1, sizeof(*f));
    struct sim_options o;
    sim_options_default(&o);
    o.seed = seed;
    if (split_num > 0) {
        o.chunk_split_num = split_num;
        o.chunk_split_den = split_num;
    }
    assert_int_equal(sim_world_create(&o, NULL, &f->world, NULL), 0);
    struct master_config mc;
    master_config_init(&mc);
    struct rt *rt;
    assert_int_equal(sim_node_add(f->world, MASTER, &master_node_ops, NULL, &rt), 0);
    assert_int_equal(master_create(rt, &mc, &f->master), 0);
    assert_int_equal(sim_node_bind(f->world, MASTER, f->master), 0);
    client_init(&f->client, NULL);
    struct rt *crt;
    assert_int_equal(sim_node_add(f->world, SCHED, &client_node_ops, &f->client, &crt), 0);
    f->client.rt = crt;
    f->sub = -1;
    return f;
}

static struct agent *agent_make(struct rt *rt, int i)
{
    struct agent_config c;
    agent_config_init(&c);
    c.master = MASTER;
    c.hostname = agent_hosts[i];
    c.resources = "cpus:4;mem:8192;disk:65536;ports:[31000-32000]";
    struct agent *a = NULL;
    assert_int_equal(agent_create(rt, &c, &a), 0);
    return a;
}

/* Adds agent i (restart 1: brings its crashed node back as a new incarnation). */
static void agent_start(struct fixture *f, int i, int restart)
{
    struct rt *rt;
    if (restart)
        assert_int_equal(sim_node_restart(f->world, agent_addrs[i], &agent_node_ops, NULL, &rt), 0);
    else
        assert_int_equal(sim_node_add(f->world, agent_addrs[i], &agent_node_ops, NULL, &rt), 0);
    f->agents[i] = agent_make(rt, i);
    assert_int_equal(sim_node_bind(f->world, agent_addrs[i], f->agents[i]), 0);
}

static void agent_crash(struct fixture *f, int i)
{
    assert_int_equal(sim_node_crash(f->world, agent_addrs[i]), 0);
    agent_destroy(f->agents[i]);
    f->agents[i] = NULL;
}

static void fixture_free(struct fixture *f)
{
    for (int i = 0; i < 2; i++)
        agent_destroy(f->agents[i]);
    master_destroy(f->master);
    client_deinit(&f->client);
    assert_int_equal(sim_world_violations(f->world, NULL, NULL), 0);
    sim_world_destroy(f->world);
    free(f);
}

static void run(struct fixture *f, uint64_t ns)
{
    assert_int_equal(sim_world_run_for(f->world, ns), 0);
}

static int mstate(struct fixture *f, const char *id)
{
    return master_agent_state(f->master, id);
}

/* Both agents up and registered, in order: agent 1 first, then agent 2. */
static void agents_up(struct fixture *f)
{
    agent_start(f, 0, 0);
    run(f, 3 * SEC);
    agent_start(f, 1, 0);
    run(f, 3 * SEC);
    for (int i = 0; i < 2; i++)
        assert_int_equal(agent_state_get(f->agents[i]), AGENT_STATE_REGISTERED);
}

static void subscribe(struct fixture *f)
{
    const char *headers[] = {"Content-Type", "application/json", "Accept", "application/json", NULL};
    f->sub = client_call(&f->client, MASTER, "POST", "/api/v1/scheduler", headers, SUBSCRIBE_BODY,
                         strlen(SUBSCRIBE_BODY), "mesos.v1.scheduler.Event");
    assert_true(f->sub >= 0);
    run(f, SEC / 10);
    assert_int_equal(client_exchange_get(&f->client, f->sub)->status, 200);
}

/* How many records of the framework's stream have type FAILURE; the last one in *last. */
static uint32_t failures(struct fixture *f, const char **last)
{
    const struct client_exchange *x = client_exchange_get(&f->client, f->sub);
    uint32_t n = 0;
    for (uint32_t i = 0; i < x->records_count; i++) {
        if (strstr(x->records[i].json, "\"type\":\"FAILURE\"") != NULL) {
            n++;
            if (last != NULL)
                *last = x->records[i].json;
        }
    }
    return n;
}

/* A1: ids are "<master id>-S<n>" in registration order; the agents keep them in their stores. */
static void agents_register_in_order(void **state)
{
    (void)state;
    struct fixture *f = fixture_make(3, 0);
    agents_up(f);
    char want[128];
    for (int i = 0; i < 2; i++) {
        snprintf(want, sizeof(want), "%s-S%d", master_id(f->master), i);
        assert_string_equal(agent_id(f->agents[i]), want);
        assert_int_equal(mstate(f, want), MASTER_AGENT_REGISTERED);
    }
    assert_int_equal(mstate(f, "no-such-agent"), MC_ENOTFOUND);
    struct master_agent_stats ms;
    master_agent_stats_get(f->master, &ms);
    assert_int_equal(ms.count[MASTER_AGENT_REGISTERED], 2);
    assert_true(ms.pings_sent >= 2); /* a PING right after REGISTERED */
    struct agent_stats as;
    agent_stats_get(f->agents[0], &as);
    assert_int_equal(as.registrations, 1);
    assert_int_equal(as.attempts, 1);
    fixture_free(f);
}

/* Every stream chunk split at random places: the agent's RecordIO reading holds. */
static void registration_survives_any_split(void **state)
{
    (void)state;
    for (uint64_t seed = 1; seed <= 8; seed++) {
        struct fixture *f = fixture_make(seed, 1);
        agents_up(f);
        run(f, 60 * SEC);
        for (int i = 0; i < 2; i++) {
            assert_int_equal(agent_state_get(f->agents[i]), AGENT_STATE_REGISTERED);
            struct agent_stats as;
            agent_stats_get(f->agents[i], &as);
            assert_true(as.pings >= 4);
            assert_int_equal(as.streams_ended, 0);
        }
        fixture_free(f);
    }
}

/* A2: pings and pongs keep both agents REGISTERED; nobody hears a FAILURE. */
static void pings_keep_agents_registered(void **state)
{
    (void)state;
    struct fixture *f = fixture_make(5, 0);
    subscribe(f);
    agents_up(f);
    struct master_agent_stats before;
    master_agent_stats_get(f->master, &before);
    run(f, 600 * SEC);
    struct master_agent_stats after;
    master_agent_stats_get(f->master, &after);
    assert_int_equal(after.count[MASTER_AGENT_REGISTERED], 2);
    assert_int_equal(after.unreachable, 0);
    /* One PING per agent per 15 s: 40 each in 10 minutes. */
    assert_int_equal(after.pings_sent - before.pings_sent, 80);
    assert_true(after.pongs - before.pongs >= 79);
    for (int i = 0; i < 2; i++) {
        struct agent_stats as;
        agent_stats_get(f->agents[i], &as);
        assert_int_equal(as.masters_lost, 0);
        assert_int_equal(as.attempts, 1);
        assert_int_equal(agent_state_get(f->agents[i]), AGENT_STATE_REGISTERED);
    }
    assert_int_equal(failures(f, NULL), 0);
    fixture_free(f);
}

/* Runs in 1 s steps until agent id reaches want; returns the seconds taken (bounded). */
static uint64_t seconds_until(struct fixture *f, const char *id, int want, uint64_t max_s)
{
    for (uint64_t s = 1; s <= max_s; s++) {
        run(f, SEC);
        if (mstate(f, id) == want)
            return s;
    }
    fail_msg("agent %s never became %s in %llu s (it is %s)", id, master_agent_state_name(want),
             (unsigned long long)max_s, master_agent_state_name(mstate(f, id)));
    return 0;
}

/* A2, A3, A1: a partition makes agent 1 UNREACHABLE at about 75 s, one FAILURE; healed, it is back. */
static void partition_then_heal(void **state)
{
    (void)state;
    struct fixture *f = fixture_make(7, 0);
    subscribe(f);
    agents_up(f);
    char id1[128], id2[128];
    snprintf(id1, sizeof(id1), "%s", agent_id(f->agents[0]));
    snprintf(id2, sizeof(id2), "%s", agent_id(f->agents[1]));
    /* Cut half way between two PINGs (agent 1 registered within its first second). */
    run(f, 100 * SEC + 7 * SEC / 2);
    const char *side_a[] = {MASTER}, *side_b[] = {agent_addrs[0]};
    uint32_t cut;
    assert_int_equal(sim_partition(f->world, side_a, 1, side_b, 1, SIM_PARTITION_SYMMETRIC, &cut), 0);
    /*
     * The first PING after the cut goes unanswered; the 5th timeout after it
     * comes 5 x 15 s later: between 75 s and 90 s after the cut (A2).
     */
    uint64_t s = seconds_until(f, id1, MASTER_AGENT_UNREACHABLE, 120);
    assert_true(s >= 75 && s <= 90);
    assert_int_equal(mstate(f, id2), MASTER_AGENT_REGISTERED);
    const char *last = NULL;
    assert_int_equal(failures(f, &last), 1);
    char want[256];
    snprintf(want, sizeof(want), "{\"type\":\"FAILURE\",\"failure\":{\"agent_id\":{\"value\":\"%s\"}}}",
             id1);
    assert_string_equal(last, want);
    /* The agent, hearing no PING either, gave up its stream and keeps trying. */
    run(f, 60 * SEC);
    assert_int_not_equal(agent_state_get(f->agents[0]), AGENT_STATE_REGISTERED);
    struct agent_stats as;
    agent_stats_get(f->agents[0], &as);
    assert_int_equal(as.masters_lost, 1);
    assert_int_equal(sim_heal(f->world, cut), 0);
    seconds_until(f, id1, MASTER_AGENT_REGISTERED, 90); /* the next attempt gets through */
    assert_string_equal(agent_id(f->agents[0]), id1);   /* A1: the same id */
    run(f, 5 * SEC);
    assert_int_equal(agent_state_get(f->agents[0]), AGENT_STATE_REGISTERED);
    run(f, 300 * SEC); /* and it stays */
    assert_int_equal(mstate(f, id1), MASTER_AGENT_REGISTERED);
    assert_int_equal(failures(f, NULL), 1);
    fixture_free(f);
}

/* A6: a reset stream makes the agent DISCONNECTED at once (no FAILURE); it re-registers. */
static void reset_stream_reregisters(void **state)
{
    (void)state;
    struct fixture *f = fixture_make(9, 0);
    subscribe(f);
    agents_up(f);
    run(f, 20 * SEC);
    char id1[128];
    snprintf(id1, sizeof(id1), "%s", agent_id(f->agents[0]));
    assert_true(sim_node_reset_connections(f->world, agent_addrs[0]) >= 1);
    int seen_disconnected = 0;
    uint64_t end = sim_world_now_ns(f->world) + 10 * SEC;
    while (sim_world_now_ns(f->world) < end) {
        int r = sim_world_step(f->world);
        assert_true(r >= 0);
        if (mstate(f, id1) == MASTER_AGENT_DISCONNECTED)
            seen_disconnected = 1;
    }
    assert_true(seen_disconnected);
    assert_int_equal(mstate(f, id1), MASTER_AGENT_REGISTERED);
    assert_string_equal(agent_id(f->agents[0]), id1);
    assert_int_equal(failures(f, NULL), 0);
    struct agent_stats as;
    agent_stats_get(f->agents[0], &as);
    assert_int_equal(as.registrations, 2);
    assert_int_equal(as.streams_ended, 1);
    fixture_free(f);
}

/* A6: an agent that dies stays DISCONNECTED until its pings time out: UNREACHABLE, one FAILURE. */
static void dead_agent_becomes_unreachable(void **state)
{
    (void)state;
    struct fixture *f = fixture_make(11, 0);
    subscribe(f);
    agents_up(f);
    char id1[128];
    snprintf(id1, sizeof(id1), "%s", agent_id(f->agents[0]));
    run(f, 7 * SEC);
    agent_crash(f, 0);
    run(f, SEC);
    assert_int_equal(mstate(f, id1), MASTER_AGENT_DISCONNECTED);
    assert_int_equal(failures(f, NULL), 0);
    /* Counted from the crash, as A2 counts from the last PONG: 75 s to 90 s. */
    uint64_t s = 1 + seconds_until(f, id1, MASTER_AGENT_UNREACHABLE, 120);
    assert_true(s >= 75 && s <= 90);
    assert_int_equal(failures(f, NULL), 1);
    fixture_free(f);
}

/* A5: after a crash and restart the agent finds its id in the store and re-registers with it. */
static void restart_keeps_id(void **state)
{
    (void)state;
    struct fixture *f = fixture_make(13, 0);
    agents_up(f);
    char id1[128];
    snprintf(id1, sizeof(id1), "%s", agent_id(f->agents[0]));
    agent_crash(f, 0);
    run(f, 10 * SEC);
    assert_int_equal(mstate(f, id1), MASTER_AGENT_DISCONNECTED);
    agent_start(f, 0, 1);
    assert_string_equal(agent_id(f->agents[0]), id1); /* read back before any registration */
    run(f, 5 * SEC);
    assert_int_equal(agent_state_get(f->agents[0]), AGENT_STATE_REGISTERED);
    assert_string_equal(agent_id(f->agents[0]), id1);
    assert_int_equal(mstate(f, id1), MASTER_AGENT_REGISTERED);
    struct master_agent_stats ms;
    master_agent_stats_get(f->master, &ms);
    assert_int_equal(ms.count[MASTER_AGENT_REGISTERED], 2); /* no third agent */
    fixture_free(f);
}

/* M1: a new master takes the agents' old ids as they are; new agents still get fresh ones. */
static void master_restart_takes_known_ids(void **state)
{
    (void)state;
    struct fixture *f = fixture_make(15, 0);
    agents_up(f);
    char id1[128], id2[128];
    snprintf(id1, sizeof(id1), "%s", agent_id(f->agents[0]));
    snprintf(id2, sizeof(id2), "%s", agent_id(f->agents[1]));
    assert_int_equal(sim_node_crash(f->world, MASTER), 0);
    master_destroy(f->master);
    run(f, 5 * SEC);
    struct rt *rt;
    struct master_config mc;
    master_config_init(&mc);
    assert_int_equal(sim_node_restart(f->world, MASTER, &master_node_ops, NULL, &rt), 0);
    assert_int_equal(master_create(rt, &mc, &f->master), 0);
    assert_int_equal(sim_node_bind(f->world, MASTER, f->master), 0);
    run(f, 150 * SEC); /* the agents' backoff may have grown to a minute */
    assert_int_equal(mstate(f, id1), MASTER_AGENT_REGISTERED);
    assert_int_equal(mstate(f, id2), MASTER_AGENT_REGISTERED);
    assert_string_equal(agent_id(f->agents[0]), id1);
    assert_string_equal(agent_id(f->agents[1]), id2);
    assert_int_equal(agent_state_get(f->agents[0]), AGENT_STATE_REGISTERED);
    fixture_free(f);
}

/* Crashes the master and starts a new one at its address; its rt in *rt_out when asked. */
static void master_restart(struct fixture *f, struct rt **rt_out)
{
    assert_int_equal(sim_node_crash(f->world, MASTER), 0);
    master_destroy(f->master);
    f->master = NULL;
    struct rt *rt;
    struct master_config mc;
    master_config_init(&mc);
    assert_int_equal(sim_node_restart(f->world, MASTER, &master_node_ops, NULL, &rt), 0);
    assert_int_equal(master_create(rt, &mc, &f->master), 0);
    assert_int_equal(sim_node_bind(f->world, MASTER, f->master), 0);
    if (rt_out != NULL)
        *rt_out = rt;
}

/*
 * M1: the registry outlives the master: a new master knows the admitted
 * agents as RECOVERED (not offered, not pinged) and the unreachable ones as
 * UNREACHABLE, before any of them comes back; then they re-register.
 */
static void registry_survives_master_restart(void **state)
{
    (void)state;
    struct fixture *f = fixture_make(25, 0);
    agents_up(f);
    char id1[128], id2[128];
    snprintf(id1, sizeof(id1), "%s", agent_id(f->agents[0]));
    snprintf(id2, sizeof(id2), "%s", agent_id(f->agents[1]));
    struct master_agent_stats ms;
    master_agent_stats_get(f->master, &ms);
    assert_int_equal(ms.registry_writes, 2); /* one per admitted agent */
    const char *side_a[] = {MASTER}, *side_b[] = {agent_addrs[1]};
    uint32_t cut;
    assert_int_equal(
        sim_partition(f->world, side_a, 1, side_b, 1, SIM_PARTITION_SYMMETRIC, &cut), 0);
    seconds_until(f, id2, MASTER_AGENT_UNREACHABLE, 120);
    master_agent_stats_get(f->master, &ms);
    assert_int_equal(ms.registry_writes, 3);
    struct rt *rt;
    master_restart(f, &rt);
    assert_int_equal(mstate(f, id1), MASTER_AGENT_RECOVERED);
    assert_int_equal(mstate(f, id2), MASTER_AGENT_UNREACHABLE);
    assert_string_equal(master_agent_state_name(MASTER_AGENT_RECOVERED), "RECOVERED");
    master_agent_stats_get(f->master, &ms);
    assert_int_equal(ms.count[MASTER_AGENT_RECOVERED], 1);
    assert_int_equal(ms.count[MASTER_AGENT_UNREACHABLE], 1);
    assert_int_equal(ms.pings_sent, 0);
    struct mc_buf bytes;
    mc_buf_init(&bytes, MC_MASTER_REGISTRY_BYTES_MAX, NULL);
    assert_int_equal(rt->ops->store_get(rt->ctx, MASTER_STORE_KEY_REGISTRY, &bytes), 0);
    ProtobufCMessage *msg = NULL;
    assert_int_equal(pbjson_unpack(&mesos_conform__internal__registry__descriptor, bytes.data,
                                   bytes.len, NULL, &msg, NULL), 0);
    const MesosConform__Internal__Registry *reg = (const MesosConform__Internal__Registry *)msg;
    assert_int_equal(reg->n_agents, 2);
    assert_string_equal(reg->agents[0]->info->id->value, id1);
    assert_string_equal(reg->agents[0]->info->hostname, agent_hosts[0]);
    assert_false(reg->agents[0]->has_unreachable && reg->agents[0]->unreachable);
    assert_string_equal(reg->agents[1]->info->id->value, id2);
    assert_true(reg->agents[1]->unreachable);
    protobuf_c_message_free_unpacked(msg, NULL);
    mc_buf_deinit(&bytes);
    seconds_until(f, id1, MASTER_AGENT_REGISTERED, 90);
    assert_int_equal(sim_heal(f->world, cut), 0);
    seconds_until(f, id2, MASTER_AGENT_REGISTERED, 120);
    /* Both back: nothing times out after 10 minutes. */
    run(f, 700 * SEC);
    master_agent_stats_get(f->master, &ms);
    assert_int_equal(ms.count[MASTER_AGENT_REGISTERED], 2);
    fixture_free(f);
}

/* M2: a recovered agent that does not come back is UNREACHABLE 10 min after the restart. */
static void recovered_agent_times_out(void **state)
{
    (void)state;
    struct fixture *f = fixture_make(27, 0);
    agents_up(f);
    char id1[128];
    snprintf(id1, sizeof(id1), "%s", agent_id(f->agents[0]));
    agent_crash(f, 0);
    master_restart(f, NULL);
    subscribe(f);
    assert_int_equal(mstate(f, id1), MASTER_AGENT_RECOVERED);
    uint64_t s = seconds_until(f, id1, MASTER_AGENT_UNREACHABLE, 700);
    assert_true(s >= 599 && s <= 601);
    const char *last = NULL;
    assert_int_equal(failures(f, &last), 1); /* and no task update: it knew none */
    char want[256];
    snprintf(want, sizeof(want),
             "{\"type\":\"FAILURE\",\"failure\":{\"agent_id\":{\"value\":\"%s\"}}}", id1);
    assert_string_equal(last, want);
    /* Restarted, it is unreachable no more. */
    agent_start(f, 0, 1);
    seconds_until(f, id1, MASTER_AGENT_REGISTERED, 90);
    fixture_free(f);
}

/* A damaged registry: the master does not start (Mesos' master does not recover either). */
static void damaged_registry_refused(void **state)
{
    (void)state;
    struct sim_options o;
    sim_options_default(&o);
    struct sim_world *w;
    assert_int_equal(sim_world_create(&o, NULL, &w, NULL), 0);
    struct rt *rt;
    assert_int_equal(sim_node_add(w, MASTER, &master_node_ops, NULL, &rt), 0);
    struct master_config mc;
    master_config_init(&mc);
    struct master *m = NULL;
    assert_int_equal(rt->ops->store_put(rt->ctx, MASTER_STORE_KEY_REGISTRY, "\xff\xff", 2), 0);
    assert_int_equal(master_create(rt, &mc, &m), MC_EINVAL);
    assert_null(m);
    assert_int_equal(rt->ops->store_put(rt->ctx, MASTER_STORE_KEY_REGISTRY, "", 0), 0);
    assert_int_equal(master_create(rt, &mc, &m), 0); /* an empty registry */
    master_destroy(m);
    sim_world_destroy(w);
}

/* The trace of a partition and heal, as a hash. */
static uint64_t partition_trace_hash(uint64_t seed)
{
    struct fixture *f = fixture_make(seed, 0);
    subscribe(f);
    agents_up(f);
    const char *side_a[] = {MASTER}, *side_b[] = {agent_addrs[1]};
    uint32_t cut;
    assert_int_equal(sim_partition(f->world, side_a, 1, side_b, 1, SIM_PARTITION_SYMMETRIC, &cut), 0);
    run(f, 120 * SEC);
    assert_int_equal(sim_heal(f->world, cut), 0);
    run(f, 120 * SEC);
    uint64_t h = sim_world_trace_hash(f->world);
    fixture_free(f);
    return h;
}

static void same_seed_same_trace(void **state)
{
    (void)state;
    uint64_t a = partition_trace_hash(21), b = partition_trace_hash(21);
    uint64_t c = partition_trace_hash(22);
    assert_true(a == b);
    assert_true(a != c);
}

/* ---- /api/v1/internal as a client sees it ---- */

static int post(struct fixture *f, const char *method, const char *content_type,
                const char *stream_id, const char *body)
{
    const char *headers[8];
    int n = 0;
    if (content_type) { headers[n++] = "Content-Type"; headers[n++] = content_type; }
    if (stream_id) { headers[n++] = "Mesos-Stream-Id"; headers[n++] = stream_id; }
    headers[n] = NULL;
    int x = client_call(&f->client, MASTER, method, "/api/v1/internal", headers, body,
                        body ? strlen(body) : 0, "mesos_conform.internal.Event");
    assert_true(x >= 0);
    run(f, SEC / 10);
    return x;
}

struct check_row {
    const char *method, *content_type, *stream_id, *body;
    int status;
    const char *text; /* the whole body, or its start when prefix is 1 */
    int prefix;
};

#define REG_INFO "\"agent_info\":{\"hostname\":\"h\"}"

static const struct check_row check_rows[] = {
    {"GET", NULL, NULL, NULL, 405,
     "405 Method Not Allowed. Expecting one of { 'POST' }, but received 'GET'.", 0},
    {"POST", NULL, NULL, "{}", 400, "Expecting 'Content-Type' to be present", 0},
    {"POST", "text/plain", NULL, "{}", 415,
     "Expecting 'Content-Type' of application/json or application/x-protobuf", 0},
    {"POST", "application/json", NULL, "{\"type\":", 400, "Failed to parse body into JSON: ", 1},
    {"POST", "application/json", NULL, "[]", 400,
     "Failed to convert JSON into Call protobuf: Expecting a JSON object", 0},
    {"POST", "application/x-protobuf", NULL, "\xff\xff\xff", 400,
     "Failed to parse body into Call protobuf", 0},
    {"POST", "application/json", NULL, "{}", 400,
     "Failed to validate internal::Call: Expecting 'type' to be present", 0},
    {"POST", "application/json", NULL, "{\"type\":\"REGISTER\"}", 400,
     "Failed to validate internal::Call: Expecting 'register' to be present", 0},
    {"POST", "application/json", NULL,
     "{\"type\":\"REGISTER\",\"register\":{\"agent_info\":{}}}", 400,
     "Failed to convert JSON into Call protobuf: Missing required fields: "
     "register.agent_info.hostname", 0},
    {"POST", "application/json", NULL,
     "{\"type\":\"REGISTER\",\"register\":{\"agent_info\":{\"hostname\":\"\"}}}", 400,
     "Failed to validate internal::Call: 'hostname' must not be empty", 0},
    {"POST", "application/json", NULL,
     "{\"type\":\"REGISTER\",\"register\":{\"agent_info\":{\"hostname\":\"h\",\"port\":70000}}}",
     400, "Failed to validate internal::Call: 'port' must be between 1 and 65535", 0},
    /* The agent's pid's ip (offers' url.address.ip): a dotted IPv4 address. */
    {"POST", "application/json", NULL,
     "{\"type\":\"REGISTER\",\"register\":{" REG_INFO ",\"ip\":\"10.0.0.256\"}}", 400,
     "Failed to validate internal::Call: 'ip' must be an IPv4 address in dotted decimal", 0},
    {"POST", "application/json", NULL,
     "{\"type\":\"REREGISTER\",\"agent_id\":{\"value\":\"x\"},\"reregister\":{" REG_INFO
     ",\"ip\":\"01.2.3.4\"}}", 400,
     "Failed to validate internal::Call: 'ip' must be an IPv4 address in dotted decimal", 0},
    /* Checkpointed resources that the agent's own do not hold (applyCheckpointedResources). */
    {"POST", "application/json", NULL,
     "{\"type\":\"REREGISTER\",\"agent_id\":{\"value\":\"x\"},\"reregister\":{" REG_INFO
     ",\"resources_text\":\"cpus:1\",\"checkpointed_resources\":[{\"name\":\"cpus\",\"type\":"
     "\"SCALAR\",\"scalar\":{\"value\":2},\"reservations\":[{\"type\":\"DYNAMIC\",\"role\":"
     "\"r\"}]}]}}", 400,
     "Failed to validate internal::Call: Incompatible agent resources: cpus:1 does not contain "
     "cpus:2", 0},
    {"POST", "application/json", NULL,
     "{\"type\":\"REREGISTER\",\"agent_id\":{\"value\":\"x\"},\"reregister\":{" REG_INFO
     ",\"resources_text\":\"cpus:1\",\"checkpointed_resources\":[{\"name\":\"cpus\",\"type\":"
     "\"SCALAR\",\"scalar\":{\"value\":1}}]}}", 400,
     "Failed to validate internal::Call: Unexpected checkpointed resources cpus:1", 0},
    {"POST", "application/json", NULL, "{\"type\":\"REREGISTER\",\"reregister\":{" REG_INFO "}}",
     400, "Failed to validate internal::Call: Expecting 'agent_id' to be present", 0},
    {"POST", "application/json", NULL,
     "{\"type\":\"REREGISTER\",\"agent_id\":{\"value\":\"a/b\"},\"reregister\":{" REG_INFO "}}",
     400, "Failed to validate internal::Call: 'agent_id' contains invalid characters", 0},
    {"POST", "application/json", NULL,
     "{\"type\":\"REREGISTER\",\"agent_id\":{\"value\":\"x\"},\"reregister\":{\"agent_info\":"
     "{\"hostname\":\"h\",\"id\":{\"value\":\"y\"}}}}",
     400, "Failed to validate internal::Call: 'agent_id' differs from 'reregister.agent_info.id'",
     0},
    {"POST", "application/json", "s", "{\"type\":\"REGISTER\",\"register\":{" REG_INFO "}}", 400,
     "Register calls should not include the 'Mesos-Stream-Id' header", 0},
    {"POST", "application/json", NULL, "{\"type\":\"PONG\",\"agent_id\":{\"value\":\"x\"}}", 400,
     "Failed to validate internal::Call: Expecting 'pong' to be present", 0},
    {"POST", "application/json", "s", "{\"type\":\"PONG\",\"agent_id\":{\"value\":\"x\"},\"pong\":{}}",
     400, "Agent cannot be found", 0},
    /* A REREGISTER's tasks and frameworks (validation::master::message::reregisterSlave). */
    {"POST", "application/json", NULL,
     "{\"type\":\"REREGISTER\",\"agent_id\":{\"value\":\"x\"},\"reregister\":{" REG_INFO ","
     "\"tasks\":[{\"name\":\"t\",\"task_id\":{\"value\":\"t1\"},\"framework_id\":{\"value\":\"f\"},"
     "\"agent_id\":{\"value\":\"x\"},\"state\":\"TASK_RUNNING\"}]}}",
     400, "Failed to validate internal::Call: Task has an invalid FrameworkID 'f'", 0},
    {"POST", "application/json", NULL,
     "{\"type\":\"REREGISTER\",\"agent_id\":{\"value\":\"x\"},\"reregister\":{" REG_INFO ","
     "\"frameworks\":[{\"id\":{\"value\":\"f\"},\"user\":\"u\",\"name\":\"n\"}],"
     "\"tasks\":[{\"name\":\"t\",\"task_id\":{\"value\":\"t1\"},\"framework_id\":{\"value\":\"f\"},"
     "\"agent_id\":{\"value\":\"y\"},\"state\":\"TASK_RUNNING\"}]}}",
     400, "Failed to validate internal::Call: Task has an invalid SlaveID 'y'", 0},
    {"POST", "application/json", NULL,
     "{\"type\":\"REREGISTER\",\"agent_id\":{\"value\":\"x\"},\"reregister\":{" REG_INFO ","
     "\"frameworks\":[{\"id\":{\"value\":\"f\"},\"user\":\"u\",\"name\":\"n\"}],"
     "\"tasks\":[{\"name\":\"t\",\"task_id\":{\"value\":\"a/b\"},\"framework_id\":{\"value\":\"f\"},"
     "\"agent_id\":{\"value\":\"x\"},\"state\":\"TASK_RUNNING\"}]}}",
     400, "Failed to validate internal::Call: Task has an invalid TaskID: 'a/b' contains invalid "
     "characters", 0},
    {"POST", "application/json", NULL,
     "{\"type\":\"REREGISTER\",\"agent_id\":{\"value\":\"x\"},\"reregister\":{" REG_INFO ","
     "\"frameworks\":[{\"id\":{\"value\":\"f\"},\"user\":\"u\",\"name\":\"n\"},"
     "{\"id\":{\"value\":\"f\"},\"user\":\"u\",\"name\":\"n\"}]}}",
     400, "Failed to validate internal::Call: Framework has a duplicate FrameworkID: 'f'", 0},
};

static void internal_checks(void **state)
{
    (void)state;
    struct fixture *f = fixture_make(17, 0);
    for (size_t i = 0; i < sizeof(check_rows) / sizeof(check_rows[0]); i++) {
        const struct check_row *r = &check_rows[i];
        int x = post(f, r->method, r->content_type, r->stream_id, r->body);
        const struct client_exchange *e = client_exchange_get(&f->client, x);
        const char *got = mc_buf_str(&e->response.body);
        int ok = e->status == r->status &&
                 (r->prefix ? strncmp(got, r->text, strlen(r->text)) == 0
                            : strcmp(got, r->text) == 0);
        if (!ok)
            fail_msg("row %zu: got %d '%s', want %d '%s'", i, e->status, got, r->status, r->text);
    }
    fixture_free(f);
}

/* A registration by hand: the stream's shape, then the calls on it. */
static void internal_stream_and_calls(void **state)
{
    (void)state;
    struct fixture *f = fixture_make(19, 0);
    int x = post(f, "POST", "application/json", NULL,
                 "{\"type\":\"REGISTER\",\"register\":{" REG_INFO ",\"resources_text\":\"cpus:1\"}}");
    const struct client_exchange *e = client_exchange_get(&f->client, x);
    assert_int_equal(e->status, 200);
    assert_true(e->is_stream);
    assert_string_equal(http_headers_get(&e->response.headers, "Content-Type"), "application/json");
    char sid[64], id[128], want[512];
    snprintf(sid, sizeof(sid), "%s", http_headers_get(&e->response.headers, "Mesos-Stream-Id"));
    assert_int_equal(strlen(sid), 36);
    snprintf(id, sizeof(id), "%s-S0", master_id(f->master));
    assert_int_equal(e->records_count, 2);
    json_t *j = json_loads(e->records[0].json, 0, NULL);
    assert_non_null(j);
    assert_string_equal(json_string_value(json_object_get(j, "type")), "REGISTERED");
    json_t *reg = json_object_get(j, "registered");
    assert_string_equal(json_string_value(json_object_get(json_object_get(reg, "agent_id"), "value")),
                        id);
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(reg, "master_info"), "id")),
        master_id(f->master));
    assert_true(json_real_value(json_object_get(reg, "total_ping_timeout_seconds")) == 75.0);
    json_decref(j);
    assert_string_equal(e->records[1].json, "{\"type\":\"PING\",\"ping\":{\"seq\":1}}");
    /* Calls on the stream: the stream id is required and checked, then 202. */
    char pong[512];
    snprintf(pong, sizeof(pong),
             "{\"type\":\"PONG\",\"agent_id\":{\"value\":\"%s\"},\"pong\":{\"seq\":1}}", id);
    int c = post(f, "POST", "application/json", NULL, pong);
    assert_int_equal(client_exchange_get(&f->client, c)->status, 400);
    assert_string_equal(mc_buf_str(&client_exchange_get(&f->client, c)->response.body),
                        "All non-register calls should include the 'Mesos-Stream-Id' header");
    c = post(f, "POST", "application/json", "other", pong);
    snprintf(want, sizeof(want),
             "The stream ID 'other' included in this request didn't match the stream ID currently "
             "associated with agent ID %s", id);
    assert_string_equal(mc_buf_str(&client_exchange_get(&f->client, c)->response.body), want);
    c = post(f, "POST", "application/json", sid, pong);
    assert_int_equal(client_exchange_get(&f->client, c)->status, 202);
    assert_null(http_headers_get(&client_exchange_get(&f->client, c)->response.headers,
                                 "Content-Type"));
    char update[512];
    snprintf(update, sizeof(update),
             "{\"type\":\"STATUS_UPDATE\",\"agent_id\":{\"value\":\"%s\"},\"status_update\":{"
             "\"framework_id\":{\"value\":\"f\"},\"status\":{\"task_id\":{\"value\":\"t\"},"
             "\"state\":\"TASK_RUNNING\"}}}", id);
    c = post(f, "POST", "application/json", sid, update);
    /* A status update is accepted for processing like any call (S17). */
    assert_int_equal(client_exchange_get(&f->client, c)->status, 202);
    assert_string_equal(mc_buf_str(&client_exchange_get(&f->client, c)->response.body), "");
    assert_null(http_headers_get(&client_exchange_get(&f->client, c)->response.headers,
                                 "Content-Type"));
    /* A REGISTER again from the same address is a retry: the same id on a new stream. */
    int x2 = post(f, "POST", "application/json", NULL,
                  "{\"type\":\"REGISTER\",\"register\":{" REG_INFO "}}");
    assert_int_equal(client_exchange_get(&f->client, x2)->status, 200);
    assert_non_null(strstr(client_exchange_get(&f->client, x2)->records[0].json, id));
    assert_true(client_exchange_get(&f->client, x)->ended); /* the old stream was ended */
    fixture_free(f);
}

/* A9: a new agent at the address of a DISCONNECTED one replaces it; the old id is refused. */
static void new_agent_at_same_address_replaces(void **state)
{
    (void)state;
    struct fixture *f = fixture_make(23, 0);
    subscribe(f);
    const char *reg = "{\"type\":\"REGISTER\",\"register\":{" REG_INFO "}}";
    int x = post(f, "POST", "application/json", NULL, reg);
    char id0[128], id1[128], body[512];
    snprintf(id0, sizeof(id0), "%s-S0", master_id(f->master));
    snprintf(id1, sizeof(id1), "%s-S1", master_id(f->master));
    client_hang_up(&f->client, x);
    run(f, SEC);
    assert_int_equal(mstate(f, id0), MASTER_AGENT_DISCONNECTED);
    x = post(f, "POST", "application/json", NULL, reg);
    assert_int_equal(client_exchange_get(&f->client, x)->status, 200);
    assert_non_null(strstr(client_exchange_get(&f->client, x)->records[0].json, id1));
    assert_int_equal(mstate(f, id0), MASTER_AGENT_REMOVED);
    assert_int_equal(mstate(f, id1), MASTER_AGENT_REGISTERED);
    assert_int_equal(failures(f, NULL), 1);
    snprintf(body, sizeof(body),
             "{\"type\":\"REREGISTER\",\"agent_id\":{\"value\":\"%s\"},\"reregister\":{" REG_INFO
             "}}", id0);
    int y = post(f, "POST", "application/json", NULL, body);
    assert_int_equal(client_exchange_get(&f->client, y)->status, 403);
    assert_string_equal(mc_buf_str(&client_exchange_get(&f->client, y)->response.body),
                        "Agent has been removed");
    fixture_free(f);
}

/* ---- the agent against a misbehaving master ---- */

enum fake_mode { FAKE_503, FAKE_TEXT_STREAM, FAKE_NO_STREAM_ID, FAKE_GARBAGE_RECORD,
                 FAKE_BAD_LENGTH, FAKE_BAD_ID, FAKE_PING_FIRST, FAKE_GOOD };

struct fake_master {
    struct rt *rt;
    enum fake_mode mode;
    uint32_t requests;
};

static void event_write(struct rt *rt, uint64_t req, const MesosConform__Internal__Event *ev)
{
    struct mc_buf payload, framed;
    mc_buf_init(&payload, MC_RECORD_BYTES_MAX, NULL);
    mc_buf_init(&framed, MC_RECORD_BYTES_MAX * 2, NULL);
    assert_int_equal(pbjson_pack(&ev->base, &payload), 0);
    assert_int_equal(rio_encode(&framed, payload.data, payload.len), 0);
    (void)rt->ops->stream_write(rt->ctx, req, framed.data, framed.len);
    mc_buf_deinit(&payload);
    mc_buf_deinit(&framed);
}

static void fake_write_event(struct fake_master *fm, uint64_t req,
                             const MesosConform__Internal__Event *ev)
{
    event_write(fm->rt, req, ev);
}

static void fake_request(void *node, uint64_t req, const struct http_request *request)
{
    struct fake_master *fm = node;
    (void)request;
    fm->requests++;
    struct http_response r;
    if (fm->mode == FAKE_503) {
        assert_int_equal(http_response_text_init(&r, 503, "busy", NULL), 0);
        fm->rt->ops->respond(fm->rt->ctx, req, &r);
        http_response_deinit(&r);
        return;
    }
    assert_int_equal(http_response_stream_init(&r, fm->mode == FAKE_TEXT_STREAM
                                                       ? "text/plain"
                                                       : "application/x-protobuf", NULL), 0);
    if (fm->mode != FAKE_NO_STREAM_ID)
        assert_int_equal(http_headers_add(&r.headers, "Mesos-Stream-Id", "sid"), 0);
    fm->rt->ops->stream_open(fm->rt->ctx, req, &r);
    http_response_deinit(&r);
    MesosConform__Internal__Event ev = MESOS_CONFORM__INTERNAL__EVENT__INIT;
    MesosConform__Internal__Event__Registered reg = MESOS_CONFORM__INTERNAL__EVENT__REGISTERED__INIT;
    MesosConform__Internal__Event__Ping ping = MESOS_CONFORM__INTERNAL__EVENT__PING__INIT;
    Mesos__V1__AgentID id = MESOS__V1__AGENT_ID__INIT;
    id.value = fm->mode == FAKE_BAD_ID ? "../up" : "fake-S0";
    reg.agent_id = &id;
    ev.has_type = 1;
    if (fm->mode == FAKE_GARBAGE_RECORD) {
        (void)fm->rt->ops->stream_write(fm->rt->ctx, req, "3\n\xff\xff\xff", 5);
    } else if (fm->mode == FAKE_BAD_LENGTH) {
        (void)fm->rt->ops->stream_write(fm->rt->ctx, req, "x\n", 2);
    } else if (fm->mode == FAKE_PING_FIRST) {
        ev.type = MESOS_CONFORM__INTERNAL__EVENT__TYPE__PING;
        ev.ping = &ping;
        fake_write_event(fm, req, &ev);
    } else {
        ev.type = MESOS_CONFORM__INTERNAL__EVENT__TYPE__REGISTERED;
        ev.registered = &reg;
        fake_write_event(fm, req, &ev);
    }
}

static void fake_stream_closed(void *node, uint64_t req) { (void)node, (void)req; }
static void fake_call_response(void *n, uint64_t c, const struct http_response *r)
{
    (void)n, (void)c, (void)r;
}
static void fake_call_data(void *n, uint64_t c, const uint8_t *b, size_t l)
{
    (void)n, (void)c, (void)b, (void)l;
}
static void fake_call_end(void *n, uint64_t c, int e) { (void)n, (void)c, (void)e; }

static const struct rt_node_ops fake_ops = {fake_request, fake_stream_closed, fake_call_response,
                                            fake_call_data, fake_call_end};

static const struct fake_row {
    enum fake_mode mode;
    enum agent_state state; /* after 30 s */
    int refused;            /* the answers count as refusals */
} fake_rows[] = {
    {FAKE_503, AGENT_STATE_DISCONNECTED, 1},
    {FAKE_TEXT_STREAM, AGENT_STATE_DISCONNECTED, 0},
    {FAKE_NO_STREAM_ID, AGENT_STATE_DISCONNECTED, 0},
    {FAKE_GARBAGE_RECORD, AGENT_STATE_DISCONNECTED, 0},
    {FAKE_BAD_LENGTH, AGENT_STATE_DISCONNECTED, 0},
    {FAKE_BAD_ID, AGENT_STATE_DISCONNECTED, 0},
    {FAKE_PING_FIRST, AGENT_STATE_REGISTERING, 0},
    {FAKE_GOOD, AGENT_STATE_REGISTERED, 0},
};

static void agent_against_bad_masters(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(fake_rows) / sizeof(fake_rows[0]); i++) {
        const struct fake_row *row = &fake_rows[i];
        struct sim_options o;
        sim_options_default(&o);
        o.seed = 31 + i;
        struct sim_world *w;
        assert_int_equal(sim_world_create(&o, NULL, &w, NULL), 0);
        struct fake_master fm = {NULL, row->mode, 0};
        assert_int_equal(sim_node_add(w, MASTER, &fake_ops, &fm, &fm.rt), 0);
        struct rt *rt;
        assert_int_equal(sim_node_add(w, agent_addrs[0], &agent_node_ops, NULL, &rt), 0);
        struct agent *a = agent_make(rt, 0);
        assert_int_equal(sim_node_bind(w, agent_addrs[0], a), 0);
        assert_int_equal(sim_world_run_for(w, 30 * SEC), 0);
        struct agent_stats as;
        agent_stats_get(a, &as);
        /* Bounds 1, 2, 4, 8, 16 s: at least three attempts in 30 s unless one succeeded. */
        if (agent_state_get(a) != row->state || (row->mode != FAKE_GOOD && as.attempts < 3) ||
            (row->refused != 0) != (as.refusals > 0))
            fail_msg("row %zu: state %s, %llu attempts, %llu refusals", i,
                     agent_state_name(agent_state_get(a)), (unsigned long long)as.attempts,
                     (unsigned long long)as.refusals);
        assert_int_equal(fm.requests, as.attempts);
        if (row->mode == FAKE_GOOD)
            assert_string_equal(agent_id(a), "fake-S0");
        else
            assert_string_equal(agent_id(a), "");
        agent_destroy(a);
        sim_world_destroy(w);
    }
}

/* ---- the agent's checkpoint, step by step (A5) ---- */

/* A master that registers the agent and keeps what it says: its status updates, its REREGISTER. */
struct script_master {
    struct rt *rt;
    uint64_t stream; /* the request of the live registration stream */
    /* The last REREGISTER, or NULL. */
    MesosConform__Internal__Call *reregister;
    struct script_update {
        char task_id[32];
        Mesos__V1__TaskState state;
        uint8_t uuid[16];
    } updates[64];
    uint32_t updates_count;
};

static void script_request(void *node, uint64_t req, const struct http_request *request)
{
    struct script_master *sm = node;
    ProtobufCMessage *msg = NULL;
    assert_int_equal(pbjson_unpack(&mesos_conform__internal__call__descriptor, request->body.data,
                                   request->body.len, NULL, &msg, NULL),
                     0);
    MesosConform__Internal__Call *call = (MesosConform__Internal__Call *)msg;
    struct http_response r;
    if (call->type != MESOS_CONFORM__INTERNAL__CALL__TYPE__REGISTER &&
        call->type != MESOS_CONFORM__INTERNAL__CALL__TYPE__REREGISTER) {
        if (call->type == MESOS_CONFORM__INTERNAL__CALL__TYPE__STATUS_UPDATE) {
            const Mesos__V1__TaskStatus *st = call->status_update->status;
            assert_true(sm->updates_count < 64 && st->uuid.len == 16);
            struct script_update *u = &sm->updates[sm->updates_count++];
            snprintf(u->task_id, sizeof(u->task_id), "%s", st->task_id->value);
            u->state = st->state;
            memcpy(u->uuid, st->uuid.data, 16);
        }
        protobuf_c_message_free_unpacked(msg, NULL);
        assert_int_equal(http_response_empty_init(&r, 202, NULL), 0);
        sm->rt->ops->respond(sm->rt->ctx, req, &r);
        http_response_deinit(&r);
        return;
    }
    if (call->type == MESOS_CONFORM__INTERNAL__CALL__TYPE__REREGISTER) {
        if (sm->reregister != NULL)
            protobuf_c_message_free_unpacked(&sm->reregister->base, NULL);
        sm->reregister = call;
    } else {
        protobuf_c_message_free_unpacked(msg, NULL);
    }
    assert_int_equal(http_response_stream_init(&r, "application/x-protobuf", NULL), 0);
    assert_int_equal(http_headers_add(&r.headers, "Mesos-Stream-Id", "sid"), 0);
    sm->rt->ops->stream_open(sm->rt->ctx, req, &r);
    http_response_deinit(&r);
    sm->stream = req;
    MesosConform__Internal__Event ev = MESOS_CONFORM__INTERNAL__EVENT__INIT;
    MesosConform__Internal__Event__Registered reg =
        MESOS_CONFORM__INTERNAL__EVENT__REGISTERED__INIT;
    Mesos__V1__AgentID id = MESOS__V1__AGENT_ID__INIT;
    id.value = "fake-S0";
    reg.agent_id = &id;
    ev.has_type = 1;
    ev.type = MESOS_CONFORM__INTERNAL__EVENT__TYPE__REGISTERED;
    ev.registered = &reg;
    event_write(sm->rt, req, &ev);
}

static const struct rt_node_ops script_ops = {script_request, fake_stream_closed,
                                              fake_call_response, fake_call_data, fake_call_end};

/* RUN_TASK of task_id ("sleep <seconds>") for framework "fw", which checkpoints, named fw_name. */
static void script_run(struct script_master *sm, const char *task_id, const char *command,
                       const char *fw_name)
{
    MesosConform__Internal__Event ev = MESOS_CONFORM__INTERNAL__EVENT__INIT;
    MesosConform__Internal__Event__RunTask run = MESOS_CONFORM__INTERNAL__EVENT__RUN_TASK__INIT;
    Mesos__V1__FrameworkInfo fi;
    mesos__v1__framework_info__init(&fi); /* the macro names a deprecated field (clang warns) */
    Mesos__V1__FrameworkID fid = MESOS__V1__FRAMEWORK_ID__INIT;
    Mesos__V1__TaskInfo ti = MESOS__V1__TASK_INFO__INIT;
    Mesos__V1__TaskID tid = MESOS__V1__TASK_ID__INIT;
    Mesos__V1__AgentID aid = MESOS__V1__AGENT_ID__INIT;
    Mesos__V1__CommandInfo cmd = MESOS__V1__COMMAND_INFO__INIT;
    fid.value = "fw";
    fi.user = "root";
    fi.name = (char *)fw_name;
    fi.id = &fid;
    fi.has_checkpoint = 1;
    fi.checkpoint = 1;
    tid.value = (char *)task_id;
    aid.value = "fake-S0";
    cmd.value = (char *)command;
    ti.name = "t";
    ti.task_id = &tid;
    ti.agent_id = &aid;
    ti.command = &cmd;
    run.framework_info = &fi;
    run.task = &ti;
    ev.has_type = 1;
    ev.type = MESOS_CONFORM__INTERNAL__EVENT__TYPE__RUN_TASK;
    ev.run_task = &run;
    event_write(sm->rt, sm->stream, &ev);
}

/* KILL_TASK (kill 1) or ACKNOWLEDGE_UPDATE of the last update of task_id in state (kill 0). */
static void script_task_event(struct script_master *sm, const char *task_id, int kill, int state)
{
    MesosConform__Internal__Event ev = MESOS_CONFORM__INTERNAL__EVENT__INIT;
    MesosConform__Internal__Event__KillTask kt = MESOS_CONFORM__INTERNAL__EVENT__KILL_TASK__INIT;
    MesosConform__Internal__Event__AcknowledgeUpdate ack =
        MESOS_CONFORM__INTERNAL__EVENT__ACKNOWLEDGE_UPDATE__INIT;
    Mesos__V1__FrameworkID fid = MESOS__V1__FRAMEWORK_ID__INIT;
    Mesos__V1__TaskID tid = MESOS__V1__TASK_ID__INIT;
    fid.value = "fw";
    tid.value = (char *)task_id;
    ev.has_type = 1;
    if (kill) {
        kt.framework_id = &fid;
        kt.task_id = &tid;
        ev.type = MESOS_CONFORM__INTERNAL__EVENT__TYPE__KILL_TASK;
        ev.kill_task = &kt;
    } else {
        const struct script_update *u = NULL;
        for (uint32_t i = 0; i < sm->updates_count; i++)
            if (strcmp(sm->updates[i].task_id, task_id) == 0 && (int)sm->updates[i].state == state)
                u = &sm->updates[i];
        assert_non_null(u);
        ack.framework_id = &fid;
        ack.task_id = &tid;
        ack.uuid.data = (uint8_t *)u->uuid;
        ack.uuid.len = 16;
        ev.type = MESOS_CONFORM__INTERNAL__EVENT__TYPE__ACKNOWLEDGE_UPDATE;
        ev.acknowledge_update = &ack;
    }
    event_write(sm->rt, sm->stream, &ev);
}

/*
 * The agent's checkpoint as stored now, which must be the very bytes protobuf-c packs for
 * it, and say what want says: per task "<id>:<state>:<states of its unacknowledged updates>"
 * (states as numbers), in order, then "fw=<framework name>".
 */
static void checkpoint_expect(struct rt *rt, const char *want)
{
    struct mc_buf bytes, again;
    mc_buf_init(&bytes, MC_AGENT_CHECKPOINT_BYTES_MAX, NULL);
    mc_buf_init(&again, MC_AGENT_CHECKPOINT_BYTES_MAX, NULL);
    assert_int_equal(rt->ops->store_get(rt->ctx, AGENT_STORE_KEY_TASKS, &bytes), 0);
    ProtobufCMessage *msg = NULL;
    assert_int_equal(pbjson_unpack(&mesos_conform__internal__checkpoint__descriptor, bytes.data,
                                   bytes.len, NULL, &msg, NULL),
                     0);
    assert_int_equal(pbjson_pack(msg, &again), 0);
    assert_int_equal(again.len, bytes.len);
    assert_memory_equal(again.data, bytes.data, bytes.len);
    const MesosConform__Internal__Checkpoint *cp = (const MesosConform__Internal__Checkpoint *)msg;
    char got[512] = "";
    size_t at = 0;
    for (size_t i = 0; i < cp->n_tasks; i++) {
        const MesosConform__Internal__Checkpoint__Task *t = cp->tasks[i];
        at += (size_t)snprintf(got + at, sizeof(got) - at, "%s:%d:", t->task->task_id->value,
                               (int)t->state);
        for (size_t k = 0; k < t->n_updates; k++)
            at += (size_t)snprintf(got + at, sizeof(got) - at, "%d", (int)t->updates[k]->state);
        at += (size_t)snprintf(got + at, sizeof(got) - at, "%s", t->has_end_ns ? "+end " : " ");
    }
    assert_int_equal(cp->n_frameworks, 1);
    snprintf(got + at, sizeof(got) - at, "fw=%s", cp->frameworks[0]->name);
    assert_string_equal(got, want);
    protobuf_c_message_free_unpacked(msg, NULL);
    mc_buf_deinit(&bytes);
    mc_buf_deinit(&again);
}

/* A world (seed) with a scripted master and one agent registered with it, 5 s in. */
static struct agent *script_agent(uint64_t seed, struct sim_world **w, struct script_master *sm,
                                  struct rt **rt)
{
    struct sim_options o;
    sim_options_default(&o);
    o.seed = seed;
    assert_int_equal(sim_world_create(&o, NULL, w, NULL), 0);
    memset(sm, 0, sizeof(*sm));
    assert_int_equal(sim_node_add(*w, MASTER, &script_ops, sm, &sm->rt), 0);
    assert_int_equal(sim_node_add(*w, agent_addrs[0], &agent_node_ops, NULL, rt), 0);
    struct agent *a = agent_make(*rt, 0);
    assert_int_equal(sim_node_bind(*w, agent_addrs[0], a), 0);
    assert_int_equal(sim_world_run_for(*w, 5 * SEC), 0);
    return a;
}

/*
 * agent_mutations moves with every change the agent's invariants look at
 * (a task's updates pushed, acknowledged or retried), so that the
 * simulator checks an agent only then; and it stands still while the agent
 * only deals with the master about itself.
 */
static void mutations_follow_what_the_invariants_check(void **state)
{
    (void)state;
    enum { S = MESOS__V1__TASK_STATE__TASK_STARTING, R = MESOS__V1__TASK_STATE__TASK_RUNNING };
    struct sim_world *w;
    struct script_master sm;
    struct rt *rt;
    struct agent *a = script_agent(38, &w, &sm, &rt);
    uint64_t before = agent_mutations(a);
    script_run(&sm, "a", "sleep 1000", "f");
    assert_int_equal(sim_world_run_for(w, SEC), 0);
    uint64_t launched = agent_mutations(a);
    assert_true(launched > before);
    script_task_event(&sm, "a", 0, S);
    assert_int_equal(sim_world_run_for(w, SEC), 0);
    uint64_t acked = agent_mutations(a);
    assert_true(acked > launched);
    /* RUNNING unacknowledged: its retry after 10 s moves the counter. */
    assert_int_equal(sim_world_run_for(w, 11 * SEC), 0);
    uint64_t retried = agent_mutations(a);
    assert_true(retried > acked);
    script_task_event(&sm, "a", 0, R);
    assert_int_equal(sim_world_run_for(w, SEC), 0);
    uint64_t quiet = agent_mutations(a);
    assert_true(quiet > retried);
    /* Nothing unacknowledged: a minute of the agent's own business with the master (this
     * master never pings, so the agent registers again) changes nothing it checks. */
    assert_int_equal(sim_world_run_for(w, 60 * SEC), 0);
    assert_int_equal(agent_mutations(a), quiet);
    char text[256];
    assert_int_equal(agent_invariants_check(a, text, sizeof(text)), 0);
    agent_destroy(a);
    if (sm.reregister != NULL)
        protobuf_c_message_free_unpacked(&sm.reregister->base, NULL);
    sim_world_destroy(w);
}

/*
 * A5: each write of the checkpoint has every task's latest state and queue and the
 * framework's latest FrameworkInfo, also for the tasks the event did not touch, and a
 * restarted agent recovers exactly that: the agent keeps each task's packed record between
 * writes, and a record it failed to pack again would show here as an older state.
 */
static void checkpoint_follows_every_change(void **state)
{
    (void)state;
    enum {
        S = MESOS__V1__TASK_STATE__TASK_STARTING,
        R = MESOS__V1__TASK_STATE__TASK_RUNNING,
        K = MESOS__V1__TASK_STATE__TASK_KILLED,
        F = MESOS__V1__TASK_STATE__TASK_FINISHED
    };
    struct sim_world *w;
    struct script_master sm;
    struct rt *rt;
    struct agent *a = script_agent(37, &w, &sm, &rt);
    assert_int_equal(agent_state_get(a), AGENT_STATE_REGISTERED);
    char want[256];
    script_run(&sm, "a", "sleep 1000", "f");
    script_run(&sm, "b", "sleep 1000", "f");
    assert_int_equal(sim_world_run_for(w, SEC), 0);
    snprintf(want, sizeof(want), "a:%d:%d%d+end b:%d:%d%d+end fw=f", R, S, R, R, S, R);
    checkpoint_expect(rt, want);
    script_task_event(&sm, "a", 0, S); /* a changes, b does not */
    assert_int_equal(sim_world_run_for(w, SEC), 0);
    snprintf(want, sizeof(want), "a:%d:%d+end b:%d:%d%d+end fw=f", R, R, R, S, R);
    checkpoint_expect(rt, want);
    script_task_event(&sm, "b", 1, 0); /* b changes, a does not */
    assert_int_equal(sim_world_run_for(w, SEC), 0);
    snprintf(want, sizeof(want), "a:%d:%d+end b:%d:%d%d%d fw=f", R, R, K, S, R, K);
    checkpoint_expect(rt, want);
    /* The framework's info changes with a launch; c finishes on its own (its timer). */
    script_run(&sm, "c", "sleep 3", "f2");
    script_task_event(&sm, "a", 0, R);
    assert_int_equal(sim_world_run_for(w, 5 * SEC), 0);
    snprintf(want, sizeof(want), "a:%d:+end b:%d:%d%d%d c:%d:%d%d%d fw=f2", R, K, S, R, K, F, S, R,
             F);
    checkpoint_expect(rt, want);
    /* A restart recovers the latest of everything, and goes on from there. */
    assert_int_equal(sim_node_crash(w, agent_addrs[0]), 0);
    agent_destroy(a);
    assert_int_equal(sim_node_restart(w, agent_addrs[0], &agent_node_ops, NULL, &rt), 0);
    a = agent_make(rt, 0);
    assert_int_equal(sim_node_bind(w, agent_addrs[0], a), 0);
    struct agent_stats as;
    agent_stats_get(a, &as);
    assert_int_equal(as.tasks_recovered, 3);
    checkpoint_expect(rt, want);
    assert_int_equal(sim_world_run_for(w, 5 * SEC), 0);
    assert_int_equal(agent_state_get(a), AGENT_STATE_REGISTERED);
    const MesosConform__Internal__Call__Reregister *rr = sm.reregister->reregister;
    assert_int_equal(rr->n_tasks, 3);
    assert_string_equal(rr->tasks[0]->task_id->value, "a");
    assert_int_equal(rr->tasks[0]->state, R);
    assert_int_equal(rr->tasks[1]->state, K);
    assert_int_equal(rr->tasks[2]->state, F);
    assert_int_equal(rr->n_frameworks, 1);
    assert_string_equal(rr->frameworks[0]->name, "f2");
    script_task_event(&sm, "b", 0, S); /* its uuid from before the crash */
    assert_int_equal(sim_world_run_for(w, SEC), 0);
    snprintf(want, sizeof(want), "a:%d:+end b:%d:%d%d c:%d:%d%d%d fw=f2", R, K, R, K, F, S, R, F);
    checkpoint_expect(rt, want);
    agent_destroy(a);
    protobuf_c_message_free_unpacked(&sm.reregister->base, NULL);
    sim_world_destroy(w);
}

/* Bad configurations and a damaged store are refused at creation. */
static void agent_create_refuses(void **state)
{
    (void)state;
    struct sim_options o;
    sim_options_default(&o);
    struct sim_world *w;
    assert_int_equal(sim_world_create(&o, NULL, &w, NULL), 0);
    struct rt *rt;
    assert_int_equal(sim_node_add(w, agent_addrs[0], &agent_node_ops, NULL, &rt), 0);
    char long_host[300];
    memset(long_host, 'h', sizeof(long_host) - 1);
    long_host[sizeof(long_host) - 1] = '\0';
    for (int row = 0; row < 8; row++) {
        struct agent_config c;
        agent_config_init(&c);
        switch (row) {
        case 0: c.master = NULL; break;
        case 1: c.hostname = ""; break;
        case 2: c.hostname = long_host; break;
        case 3: c.ping_timeout_ns = 0; break;
        case 4: c.registration_backoff_factor_ns = 0; break;
        case 5: c.port = 0; break;
        case 6: c.ip = "10.0.0"; break;
        case 7: c.ip = NULL; break;
        }
        struct agent *a = (struct agent *)&row; /* must be reset to NULL */
        assert_int_equal(agent_create(rt, &c, &a), MC_EINVAL);
        assert_null(a);
    }
    struct agent_config c;
    agent_config_init(&c);
    struct agent *a = NULL;
    assert_int_equal(rt->ops->store_put(rt->ctx, AGENT_STORE_KEY_ID, "../x", 4), 0);
    assert_int_equal(agent_create(rt, &c, &a), MC_EINVAL);
    assert_int_equal(rt->ops->store_put(rt->ctx, AGENT_STORE_KEY_ID, "m-S7", 4), 0);
    assert_int_equal(agent_create(rt, &c, &a), 0);
    assert_string_equal(agent_id(a), "m-S7");
    agent_destroy(a);
    /* A5: a checkpoint that does not parse is a damaged work dir too. */
    assert_int_equal(rt->ops->store_put(rt->ctx, AGENT_STORE_KEY_TASKS, "\xff\xff", 2), 0);
    assert_int_equal(agent_create(rt, &c, &a), MC_EINVAL);
    assert_null(a);
    assert_int_equal(rt->ops->store_put(rt->ctx, AGENT_STORE_KEY_TASKS, "", 0), 0);
    assert_int_equal(agent_create(rt, &c, &a), 0); /* an empty one: nothing to recover */
    struct agent_stats as;
    agent_stats_get(a, &as);
    assert_int_equal(as.tasks_recovered, 0);
    agent_destroy(a);
    /* So are checkpointed resources that do not parse (the agent's meta/resources). */
    assert_int_equal(rt->ops->store_put(rt->ctx, "agent/resources", "\xff\xff", 2), 0);
    assert_int_equal(agent_create(rt, &c, &a), MC_EINVAL);
    assert_null(a);
    sim_world_destroy(w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(agents_register_in_order),
        cmocka_unit_test(registration_survives_any_split),
        cmocka_unit_test(pings_keep_agents_registered),
        cmocka_unit_test(partition_then_heal),
        cmocka_unit_test(reset_stream_reregisters),
        cmocka_unit_test(dead_agent_becomes_unreachable),
        cmocka_unit_test(restart_keeps_id),
        cmocka_unit_test(master_restart_takes_known_ids),
        cmocka_unit_test(registry_survives_master_restart),
        cmocka_unit_test(recovered_agent_times_out),
        cmocka_unit_test(damaged_registry_refused),
        cmocka_unit_test(same_seed_same_trace),
        cmocka_unit_test(internal_checks),
        cmocka_unit_test(internal_stream_and_calls),
        cmocka_unit_test(new_agent_at_same_address_replaces),
        cmocka_unit_test(agent_against_bad_masters),
        cmocka_unit_test(checkpoint_follows_every_change),
        cmocka_unit_test(mutations_follow_what_the_invariants_check),
        cmocka_unit_test(agent_create_refuses),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
