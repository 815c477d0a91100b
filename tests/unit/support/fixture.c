/*
 * fixture.c: the shared simulated cluster of the task and offer tests (see
 * fixture.h).
 */
#include "fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const agent_addrs[CLUSTER_AGENTS] = {"a1:5051", "a2:5051"};
const char *const agent_hosts[CLUSTER_AGENTS] = {"a1", "a2"};
/* The agents' pids' addresses, which offers carry in url.address.ip. */
const char *const agent_ips[CLUSTER_AGENTS] = {"10.0.0.1", "10.0.0.2"};





/* The trace sink: keeps the cores' log lines ("<time> <node> - log <level> <text>"). */
static void logs_keep(void *ctx, const char *line)
{
    struct fixture *f = ctx;
    if (strstr(line, " - log ") == NULL)
        return;
    size_t n = strlen(line);
    if (f->logs_len + n + 2 > f->logs_cap) {
        size_t cap = f->logs_cap ? f->logs_cap * 2 : 65536;
        while (cap < f->logs_len + n + 2)
            cap *= 2;
        f->logs = realloc(f->logs, cap);
        assert_non_null(f->logs);
        f->logs_cap = cap;
    }
    memcpy(f->logs + f->logs_len, line, n);
    f->logs_len += n;
    f->logs[f->logs_len++] = '\n';
    f->logs[f->logs_len] = '\0';
}

int logged(struct fixture *f, const char *text)
{
    return f->logs != NULL && strstr(f->logs, text) != NULL;
}

struct fixture *fixture_make(uint64_t seed)
{
    struct fixture *f = calloc(1, sizeof(*f));
    struct sim_options o;
    sim_options_default(&o);
    o.seed = seed;
    assert_int_equal(sim_world_create(&o, NULL, &f->world, NULL), 0);
    sim_world_trace_set(f->world, logs_keep, f);
    struct master_config mc;
    master_config_init(&mc);
    struct rt *rt;
    assert_int_equal(sim_node_add(f->world, MASTER, &master_node_ops, NULL, &rt), 0);
    assert_int_equal(master_create(rt, &mc, &f->master), 0);
    assert_int_equal(sim_node_bind(f->world, MASTER, f->master), 0);
    static const char *const names[2] = {"s1:1", "s2:1"};
    for (int i = 0; i < 2; i++) {
        client_init(&f->clients[i], NULL);
        struct rt *crt;
        assert_int_equal(sim_node_add(f->world, names[i], &client_node_ops, &f->clients[i], &crt),
                         0);
        f->clients[i].rt = crt;
    }
    return f;
}

void fixture_free(struct fixture *f)
{
    for (int i = 0; i < 2; i++)
        agent_destroy(f->agents[i]);
    master_destroy(f->master);
    for (int i = 0; i < 2; i++)
        client_deinit(&f->clients[i]);
    assert_int_equal(sim_world_violations(f->world, NULL, NULL), 0);
    sim_world_destroy(f->world);
    free(f->logs);
    free(f);
}

void run(struct fixture *f, uint64_t ns)
{
    assert_int_equal(sim_world_run_for(f->world, ns), 0);
}

uint64_t now(struct fixture *f)
{
    return sim_world_now_ns(f->world);
}

/* Agent i's core on its node rt, configured as every fixture agent, bound to the node. */
static void agent_bring_up(struct fixture *f, int i, const struct rt *rt, const char *resources)
{
    struct agent_config c;
    agent_config_init(&c);
    c.master = MASTER;
    c.hostname = agent_hosts[i];
    c.ip = agent_ips[i];
    c.resources = resources;
    assert_int_equal(agent_create(rt, &c, &f->agents[i]), 0);
    assert_int_equal(sim_node_bind(f->world, agent_addrs[i], f->agents[i]), 0);
}

/* Starts agent i with the given resources text (NULL: none, the master's default). */
void agent_start(struct fixture *f, int i, const char *resources)
{
    struct rt *rt;
    assert_int_equal(sim_node_add(f->world, agent_addrs[i], &agent_node_ops, NULL, &rt), 0);
    agent_bring_up(f, i, rt, resources);
}

/* Crashes agent i: its node and connections go, its durable store stays (A5). */
void agent_crash(struct fixture *f, int i)
{
    assert_int_equal(sim_node_crash(f->world, agent_addrs[i]), 0);
    agent_destroy(f->agents[i]);
    f->agents[i] = NULL;
}

/* Brings crashed agent i back with its store (its id and checkpoint), as it was configured. */
void agent_restart(struct fixture *f, int i, const char *resources)
{
    struct rt *rt;
    assert_int_equal(sim_node_restart(f->world, agent_addrs[i], &agent_node_ops, NULL, &rt), 0);
    agent_bring_up(f, i, rt, resources);
}

void agent_restart_fresh(struct fixture *f, int i, const char *resources)
{
    struct rt *rt;
    assert_int_equal(sim_node_restart(f->world, agent_addrs[i], &agent_node_ops, NULL, &rt), 0);
    static const char *const keys[] = {AGENT_STORE_KEY_ID, AGENT_STORE_KEY_TASKS,
                                       "agent/resources"};
    for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
        int err = rt->ops->store_del(rt->ctx, keys[k]);
        assert_true(err == 0 || err == MC_ENOTFOUND);
    }
    struct agent_config c;
    agent_config_init(&c);
    c.master = MASTER;
    c.hostname = agent_hosts[i];
    c.ip = agent_ips[i];
    c.resources = resources;
    assert_int_equal(agent_create(rt, &c, &f->agents[i]), 0);
    assert_int_equal(sim_node_bind(f->world, agent_addrs[i], f->agents[i]), 0);
}

/* Crashes the master and starts a new one at its address with its store (M1). */
void master_restart(struct fixture *f)
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
}

/* The delivery filter of cut_from_master: drops what the master sends to one address. */
static enum sim_filter_verdict cut_filter(void *ctx, const struct sim_delivery_info *info,
                                          uint64_t *delay_ns)
{
    (void)delay_ns;
    const char *to = ctx;
    return strcmp(info->from, MASTER) == 0 && strcmp(info->to, to) == 0 ? SIM_FILTER_DROP
                                                                         : SIM_FILTER_PASS;
}

void cut_from_master(struct fixture *f, const char *to)
{
    sim_world_filter_set(f->world, to != NULL ? cut_filter : NULL, (void *)to);
}

const struct client_exchange *ex(struct fixture *f, const struct sub *s)
{
    return client_exchange_get(&f->clients[s->client], s->x);
}

/* Posts a scheduler call as client c; returns the exchange. */
int post(struct fixture *f, int c, const char *stream_id, const char *body)
{
    const char *headers[8] = {"Content-Type", "application/json", "Accept", "application/json"};
    int n = 4;
    if (stream_id != NULL) {
        headers[n++] = "Mesos-Stream-Id";
        headers[n++] = stream_id;
    }
    headers[n] = NULL;
    int x = client_call(&f->clients[c], MASTER, "POST", "/api/v1/scheduler", headers, body,
                        strlen(body), "mesos.v1.scheduler.Event");
    assert_true(x >= 0);
    return x;
}

json_t *record(const struct client_exchange *x, uint32_t i)
{
    assert_true(i < x->records_count);
    json_t *j = json_loads(x->records[i].json, 0, NULL);
    assert_non_null(j);
    return j;
}

int record_is(const struct client_exchange *x, uint32_t i, const char *type)
{
    json_t *j = record(x, i);
    int is = strcmp(json_string_value(json_object_get(j, "type")), type) == 0;
    json_decref(j);
    return is;
}

/* Subscribes as client c with body; fills s. */
void subscribe(struct fixture *f, int c, const char *body, struct sub *s)
{
    s->client = c;
    s->x = post(f, c, NULL, body);
    run(f, SEC / 10);
    const struct client_exchange *x = ex(f, s);
    assert_int_equal(x->status, 200);
    snprintf(s->stream, sizeof(s->stream), "%s",
             http_headers_get(&x->response.headers, "Mesos-Stream-Id"));
    json_t *j = record(x, 0);
    json_t *id = json_object_get(json_object_get(json_object_get(j, "subscribed"),
                                                 "framework_id"), "value");
    assert_non_null(id);
    snprintf(s->fw, sizeof(s->fw), "%s", json_string_value(id));
    json_decref(j);
}

/* Index of the first record of type at or after from, or -1. */
int find(struct fixture *f, const struct sub *s, const char *type, uint32_t from)
{
    const struct client_exchange *x = ex(f, s);
    for (uint32_t i = from; i < x->records_count; i++)
        if (record_is(x, i, type))
            return (int)i;
    return -1;
}

uint32_t count(struct fixture *f, const struct sub *s, const char *type, uint32_t from)
{
    uint32_t n = 0;
    for (int i = find(f, s, type, from); i >= 0; i = find(f, s, type, (uint32_t)i + 1))
        n++;
    return n;
}

/* Runs until an OFFERS record at or after from arrives (at most limit_ns); its index. */
int wait_offers(struct fixture *f, const struct sub *s, uint32_t from, uint64_t limit_ns)
{
    uint64_t end = now(f) + limit_ns;
    int i;
    while ((i = find(f, s, "OFFERS", from)) < 0 && now(f) < end)
        run(f, 10 * MS);
    assert_true(i >= 0);
    return i;
}

/* The k-th offer's id (or agent id with what "agent_id") in OFFERS record i. */
void offer_field(struct fixture *f, const struct sub *s, int i, size_t k, const char *what,
                        char *out, size_t out_bytes)
{
    json_t *j = record(ex(f, s), (uint32_t)i);
    json_t *offers = json_object_get(json_object_get(j, "offers"), "offers");
    json_t *v = json_object_get(json_object_get(json_array_get(offers, k), what), "value");
    assert_non_null(v);
    snprintf(out, out_bytes, "%s", json_string_value(v));
    json_decref(j);
}

void accept_ops(struct fixture *f, const struct sub *s, const char *offer_id,
                const char *operations, const char *filters)
{
    size_t n = strlen(operations) + 1024;
    char *body = malloc(n);
    assert_non_null(body);
    snprintf(body, n,
             "{\"type\":\"ACCEPT\",\"framework_id\":{\"value\":\"%s\"},\"accept\":{\"offer_ids\":"
             "[{\"value\":\"%s\"}],\"operations\":%s%s%s}}",
             s->fw, offer_id, operations, filters != NULL ? ",\"filters\":" : "",
             filters != NULL ? filters : "");
    int x = post(f, s->client, s->stream, body);
    free(body);
    run(f, 20 * MS);
    assert_int_equal(client_exchange_get(&f->clients[s->client], x)->status, 202);
}

json_t *event_next(struct fixture *f, const struct sub *s, const char *type, uint32_t *from,
                   uint64_t limit_ns)
{
    uint64_t end = now(f) + limit_ns;
    int i;
    while ((i = find(f, s, type, *from)) < 0 && now(f) < end)
        run(f, 10 * MS);
    if (i < 0)
        return NULL;
    *from = (uint32_t)i + 1;
    return record(ex(f, s), (uint32_t)i);
}

uint32_t agent_partition(struct fixture *f, int i)
{
    const char *side_a[] = {MASTER}, *side_b[] = {agent_addrs[i]};
    uint32_t cut;
    assert_int_equal(sim_partition(f->world, side_a, 1, side_b, 1, SIM_PARTITION_SYMMETRIC, &cut),
                     0);
    return cut;
}
