/*
 * test_soak.c: the simulated cluster (simulator/cluster.h), its invariants,
 * the synthetic frameworks (synth.h) and the soak (soak.h).
 *
 * What could go wrong and is checked: a seed must give the same run (same
 * counts, same trace hash) every time and in every build type (a golden
 * hash); different seeds must give different runs; the synthetic
 * frameworks must actually launch and finish tasks; the invariants must
 * hold on healthy runs and must fire when the master's books are broken;
 * an agent crash and restart must keep the agent's id; and a sweep of
 * chaos seeds (crashes, restarts, partitions, resets) must end with no
 * violation.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "agent.h"
#include "agents.h"
#include "cluster.h"
#include "master.h"
#include "sim.h"
#include "sim_cluster_internal.h"
#include "soak.h"

#define SEC RT_NS_PER_SEC

/*
 * The trace hash of soak_golden's run. A change in any core's behaviour,
 * in the simulator or in the synthetic frameworks changes it: update it
 * then, after checking the new behaviour is the intended one.
 */
#define SOAK_GOLDEN_HASH UINT64_C(0x99065504cf6f437d)

static void soak_small(uint64_t seed, enum soak_faults faults, uint64_t duration_ns,
                       struct soak_result *r)
{
    struct soak_options o;
    memset(&o, 0, sizeof(o));
    o.seed = seed;
    o.agents = 5;
    o.frameworks = 4;
    o.duration_ns = duration_ns;
    o.faults = faults;
    struct mc_diag diag;
    mc_diag_clear(&diag);
    int err = soak_run(&o, r, &diag);
    if (err != 0)
        fail_msg("soak seed %llu: %s: %s", (unsigned long long)seed, mc_strerror(err), diag.text);
}

static void soak_repeats_itself(void **state)
{
    (void)state;
    struct soak_result a, b;
    soak_small(7, SOAK_FAULTS_CHAOS, 600 * SEC, &a);
    soak_small(7, SOAK_FAULTS_CHAOS, 600 * SEC, &b);
    assert_int_equal(a.trace_hash, b.trace_hash);
    assert_int_equal(a.events, b.events);
    assert_int_equal(a.tasks_launched, b.tasks_launched);
    assert_int_equal(a.tasks_finished, b.tasks_finished);
    assert_int_equal(a.simulated_ns, 600 * SEC);
}

static void soak_seeds_differ(void **state)
{
    (void)state;
    struct soak_result a, b;
    soak_small(1, SOAK_FAULTS_NONE, 300 * SEC, &a);
    soak_small(2, SOAK_FAULTS_NONE, 300 * SEC, &b);
    assert_true(a.trace_hash != b.trace_hash);
}

/* The frameworks do real work, and a healthy run breaks no invariant. */
static void soak_frameworks_work(void **state)
{
    (void)state;
    struct soak_result r;
    soak_small(3, SOAK_FAULTS_NONE, 600 * SEC, &r);
    assert_true(r.tasks_launched > 100);
    assert_true(r.tasks_finished > 50);
    assert_true(r.tasks_failed > 0); /* "false" tasks */
    assert_true(r.tasks_killed > 0); /* long tasks killed at heartbeats */
    assert_true(r.tasks_finished + r.tasks_failed + r.tasks_killed + r.tasks_lost <=
                r.tasks_launched);
    assert_int_equal(r.tasks_lost, 0); /* no fault, nothing lost */
    assert_int_equal(r.invariant_violations, 0);
    assert_true(r.messages > 1000);
}

/* Same seed, same hash in every build type (Debug, sanitizers, release). */
static void soak_golden(void **state)
{
    (void)state;
    struct soak_result r;
    soak_small(11, SOAK_FAULTS_PARTITIONS, 1800 * SEC, &r);
    if (SOAK_GOLDEN_HASH == 0)
        fail_msg("set SOAK_GOLDEN_HASH to %#llx", (unsigned long long)r.trace_hash);
    if (r.trace_hash != SOAK_GOLDEN_HASH)
        fail_msg("trace hash %#llx, golden %#llx", (unsigned long long)r.trace_hash,
                 (unsigned long long)SOAK_GOLDEN_HASH);
}

/* Many seeds of chaos (crashes, restarts, partitions, resets): no violation. */
static void soak_chaos_sweep(void **state)
{
    (void)state;
    /* 1,000 seeds; the sanitizer build, ten times slower, runs fewer (test_soak.cmake). */
    const char *env = getenv("MC_SOAK_SEEDS");
    uint64_t seeds = env != NULL ? strtoull(env, NULL, 10) : 1000;
    for (uint64_t seed = 1; seed <= seeds; seed++) {
        struct soak_result r;
        soak_small(seed, SOAK_FAULTS_CHAOS, 300 * SEC, &r);
        if (r.invariant_violations != 0)
            fail_msg("seed %llu: %llu violations, the first at %.9f s: %s (replay: mesos-conform "
                     "simulate --agents 5 --frameworks 4 --duration 300s --faults chaos --seed "
                     "%llu)",
                     (unsigned long long)seed, (unsigned long long)r.invariant_violations,
                     (double)r.first_violation_ns / 1e9, r.first_violation,
                     (unsigned long long)seed);
    }
}

/* ---- the cluster and its invariants ---- */

static struct sim_cluster *cluster_make(uint32_t agents)
{
    struct sim_cluster_agent_setup as[3] = {{"a1", "cpus:2;mem:1024;ports:[31000-31009]"},
                                           {"a2", NULL},
                                           {"a3", NULL}};
    assert_true(agents <= 3);
    struct sim_cluster_setup setup;
    sim_cluster_setup_init(&setup);
    setup.agents = as;
    setup.agents_count = agents;
    struct sim_cluster *c;
    struct mc_diag diag;
    mc_diag_clear(&diag);
    assert_int_equal(sim_cluster_create(&setup, NULL, &c, &diag), 0);
    return c;
}

static void cluster_agent_restart_keeps_id(void **state)
{
    (void)state;
    struct sim_cluster *c = cluster_make(2);
    struct sim_world *w = sim_cluster_world(c);
    assert_int_equal(sim_world_run_for(w, 5 * SEC), 0);
    char id[128];
    snprintf(id, sizeof(id), "%s", agent_id(sim_cluster_agent(c, 0)));
    assert_true(id[0] != '\0');
    assert_int_equal(sim_cluster_agent_crash(c, 0), 0);
    assert_null(sim_cluster_agent(c, 0));
    assert_int_equal(sim_cluster_agent_crash(c, 0), MC_ESTATE);
    assert_int_equal(sim_world_run_for(w, 5 * SEC), 0);
    assert_int_equal(sim_cluster_agent_restart(c, 0), 0);
    assert_int_equal(sim_cluster_agent_restart(c, 0), MC_ESTATE);
    assert_int_equal(sim_world_run_for(w, 10 * SEC), 0);
    assert_string_equal(agent_id(sim_cluster_agent(c, 0)), id);
    assert_int_equal(agent_state_get(sim_cluster_agent(c, 0)), AGENT_STATE_REGISTERED);
    assert_int_equal(master_agent_state(sim_cluster_master(c), id), MASTER_AGENT_REGISTERED);
    assert_int_equal(sim_cluster_agent_find(c, "a2"), 1);
    assert_int_equal(sim_cluster_agent_find(c, "zz"), MC_ENOTFOUND);
    assert_string_equal(sim_cluster_agent_address(c, 1), "a2:5051");
    assert_int_equal(sim_world_violations(w, NULL, NULL), 0);
    sim_cluster_destroy(c);
}

/* The checker finds the agent a step ran, across a crash and a restart, and nothing else. */
static void checker_finds_agents_across_restarts(void **state)
{
    (void)state;
    struct sim_cluster *c = cluster_make(3);
    struct sim_world *w = sim_cluster_world(c);
    assert_int_equal(sim_world_run_for(w, 5 * SEC), 0);
    for (uint32_t i = 0; i < 3; i++)
        assert_ptr_equal(sim__cluster_agent_of(c, sim_cluster_agent(c, i)),
                         sim_cluster_agent(c, i));
    assert_null(sim__cluster_agent_of(c, sim_cluster_master(c)));
    assert_null(sim__cluster_agent_of(c, c));
    assert_int_equal(sim_cluster_agent_crash(c, 1), 0);
    assert_int_equal(sim_world_run_for(w, 2 * SEC), 0);
    assert_ptr_equal(sim__cluster_agent_of(c, sim_cluster_agent(c, 2)), sim_cluster_agent(c, 2));
    assert_int_equal(sim_cluster_agent_restart(c, 1), 0);
    for (uint32_t i = 0; i < 3; i++)
        assert_ptr_equal(sim__cluster_agent_of(c, sim_cluster_agent(c, i)),
                         sim_cluster_agent(c, i));
    assert_int_equal(sim_cluster_master_restart(c), 0);
    assert_null(sim__cluster_agent_of(c, sim_cluster_master(c)));
    assert_int_equal(sim_world_run_for(w, 10 * SEC), 0);
    assert_int_equal(sim_world_violations(w, NULL, NULL), 0);
    sim_cluster_destroy(c);
}

static void cluster_refuses_bad_setups(void **state)
{
    (void)state;
    struct sim_cluster_agent_setup as[2] = {{"a1", NULL}, {"a1", NULL}};
    struct sim_cluster_setup setup;
    sim_cluster_setup_init(&setup);
    setup.agents = as;
    setup.agents_count = 2;
    struct sim_cluster *c = NULL;
    struct mc_diag diag;
    mc_diag_clear(&diag);
    assert_int_equal(sim_cluster_create(&setup, NULL, &c, &diag), MC_EINVAL);
    assert_null(c);
    assert_non_null(strstr(diag.text, "taken"));
    as[1].name[0] = '\0';
    assert_int_equal(sim_cluster_create(&setup, NULL, &c, &diag), MC_EINVAL);
    setup.agents_count = SIM_CLUSTER_AGENTS_MAX + 1;
    assert_int_equal(sim_cluster_create(&setup, NULL, &c, &diag), MC_ELIMIT);
}

/* The master's invariant check sees what a healthy master holds, and passes. */
static void master_invariants_hold_on_a_live_cluster(void **state)
{
    (void)state;
    struct sim_cluster *c = cluster_make(3);
    assert_int_equal(sim_world_run_for(sim_cluster_world(c), 30 * SEC), 0);
    char text[256] = "";
    assert_int_equal(master_invariants_check(sim_cluster_master(c), text, sizeof(text)), 0);
    assert_string_equal(text, "");
    for (uint32_t i = 0; i < 3; i++)
        assert_int_equal(agent_invariants_check(sim_cluster_agent(c, i), text, sizeof(text)), 0);
    sim_cluster_destroy(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(cluster_refuses_bad_setups),
        cmocka_unit_test(cluster_agent_restart_keeps_id),
        cmocka_unit_test(checker_finds_agents_across_restarts),
        cmocka_unit_test(master_invariants_hold_on_a_live_cluster),
        cmocka_unit_test(soak_repeats_itself),
        cmocka_unit_test(soak_seeds_differ),
        cmocka_unit_test(soak_frameworks_work),
        cmocka_unit_test(soak_golden),
        cmocka_unit_test(soak_chaos_sweep),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
