/*
 * fixture.h: the simulated cluster the master's task and offer tests share:
 * a world with the reference master, two agents and two scheduler clients,
 * and small helpers to subscribe, post calls and read the events that came.
 * Test support only (cmocka asserts inside): linked into the unit tests.
 */
#ifndef MC_TEST_FIXTURE_H
#define MC_TEST_FIXTURE_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <jansson.h>

#include "agent.h"
#include "agents.h"
#include "client.h"
#include "master.h"
#include "sim.h"

#define SEC RT_NS_PER_SEC
#define MS RT_NS_PER_MS
#define MASTER "master:5050"
#define CLUSTER_AGENTS 2

extern const char *const agent_addrs[CLUSTER_AGENTS];
extern const char *const agent_hosts[CLUSTER_AGENTS];
extern const char *const agent_ips[CLUSTER_AGENTS];

struct fixture {
    struct sim_world *world;
    struct master *master;
    struct agent *agents[2];
    struct client clients[2];
    /* The log lines of the cores (the trace's "log" lines), one per line. */
    char *logs;
    size_t logs_len, logs_cap;
};

/* One scheduler's subscription: its exchange, framework id and stream id. */
struct sub {
    int client;
    int x;
    char fw[128];
    char stream[128];
};

struct fixture *fixture_make(uint64_t seed);
void fixture_free(struct fixture *f);
void run(struct fixture *f, uint64_t ns);
uint64_t now(struct fixture *f);
void agent_start(struct fixture *f, int i, const char *resources);
void agent_crash(struct fixture *f, int i);
void agent_restart(struct fixture *f, int i, const char *resources);
/* Brings crashed agent i back with an empty store: a new work dir, a new agent (A9). */
void agent_restart_fresh(struct fixture *f, int i, const char *resources);
void master_restart(struct fixture *f);
/* Drops everything the master sends to address to (borrowed, a constant) until called with NULL. */
void cut_from_master(struct fixture *f, const char *to);
/* Partitions agent i from the master, both ways; the partition's id, for sim_heal. */
uint32_t agent_partition(struct fixture *f, int i);
const struct client_exchange *ex(struct fixture *f, const struct sub *s);
int post(struct fixture *f, int c, const char *stream_id, const char *body);
json_t *record(const struct client_exchange *x, uint32_t i);
int record_is(const struct client_exchange *x, uint32_t i, const char *type);
void subscribe(struct fixture *f, int c, const char *body, struct sub *s);
int find(struct fixture *f, const struct sub *s, const char *type, uint32_t from);
uint32_t count(struct fixture *f, const struct sub *s, const char *type, uint32_t from);
int wait_offers(struct fixture *f, const struct sub *s, uint32_t from, uint64_t limit_ns);
void offer_field(struct fixture *f, const struct sub *s, int i, size_t k, const char *what,
                 char *out, size_t out_bytes);
/* Whether a core logged a line containing text (since the world began). */
int logged(struct fixture *f, const char *text);
/*
 * ACCEPT of offer_id by s with the operations (a JSON array) and filters
 * (a JSON object, NULL for none); runs 20 ms and checks the 202.
 */
void accept_ops(struct fixture *f, const struct sub *s, const char *offer_id,
                const char *operations, const char *filters);
/* Record i of s's stream as JSON (the caller decrefs); the event's index through *at. */
json_t *event_next(struct fixture *f, const struct sub *s, const char *type, uint32_t *from,
                   uint64_t limit_ns);

#endif
