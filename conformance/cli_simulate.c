/*
 * cli_simulate.c: `mesos-conform simulate` (cli_simulate.h), the soak of
 * simulator/soak.h with a summary for people and one for machines.
 */
#include "cli_simulate.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "cluster.h"
#include "soak.h"

/* The longest soak the flag takes: a simulated year. */
#define SIMULATE_DURATION_S_MAX (366.0 * 86400.0)

static const char simulate_usage[] =
    "usage: mesos-conform simulate [--agents N] [--frameworks M] [--duration D] [--seed S]\n"
    "                              [--faults none|partitions|chaos] [--trace FILE] [--json]\n"
    "                              [--no-checks]\n"
    "  Runs M synthetic frameworks (default 10) against the reference master and N agents\n"
    "  (default 100) in the simulator for D of simulated time (default 1h; units ms, s, m,\n"
    "  h; a bare number is seconds), injecting the faults named (default partitions), and\n"
    "  checks the cluster's invariants after every event. Prints a summary, or one JSON\n"
    "  object with --json. --trace writes every simulator event to FILE. --no-checks\n"
    "  turns the invariants off (to measure what they cost). Exit status 1 when an\n"
    "  invariant was violated, 2 for bad flags.\n";

struct simulate_flags {
    struct soak_options soak;
    const char *trace_path;
    int json;
};

static int usage_fail(const char *fmt, const char *a)
{
    return cli_usage_fail("simulate", fmt, a);
}

/* "90", "90s", "1.5m", "1h", "250ms" as nanoseconds; more than zero. */
static int duration_parse(const char *s, uint64_t *ns_out)
{
    if (s == NULL || *s < '0' || *s > '9')
        return MC_EINVAL;
    errno = 0;
    char *end = NULL;
    double v = strtod(s, &end);
    double unit = 1.0;
    if (strcmp(end, "ms") == 0)
        unit = 1e-3;
    else if (strcmp(end, "m") == 0)
        unit = 60.0;
    else if (strcmp(end, "h") == 0)
        unit = 3600.0;
    else if (strcmp(end, "s") != 0 && *end != '\0')
        return MC_EINVAL;
    double seconds = v * unit;
    if (errno != 0 || !isfinite(seconds) || seconds <= 0.0 || seconds > SIMULATE_DURATION_S_MAX)
        return MC_EINVAL;
    *ns_out = (uint64_t)(seconds * 1e9 + 0.5);
    return 0;
}

static int flags_parse(int argc, char **argv, struct simulate_flags *f)
{
    memset(f, 0, sizeof(*f));
    f->soak.seed = 1;
    f->soak.agents = 100;
    f->soak.frameworks = 10;
    f->soak.duration_ns = 3600 * RT_NS_PER_SEC;
    f->soak.faults = SOAK_FAULTS_PARTITIONS;
    for (int i = 1; i < argc; i++) {
        const char *v = NULL;
        uint64_t n = 0;
        int bad = 0;
        if (strcmp(argv[i], "--json") == 0) {
            f->json = 1;
            continue;
        }
        if (strcmp(argv[i], "--no-checks") == 0) {
            f->soak.checks_off = 1;
            continue;
        }
        if (cli_flag_value(argc, argv, &i, "--agents", &v)) {
            bad = cli_u64_parse(v, SIM_CLUSTER_AGENTS_MAX, &n);
            f->soak.agents = (uint32_t)n;
        } else if (cli_flag_value(argc, argv, &i, "--frameworks", &v)) {
            bad = cli_u64_parse(v, SOAK_FRAMEWORKS_MAX, &n);
            f->soak.frameworks = (uint32_t)n;
        } else if (cli_flag_value(argc, argv, &i, "--duration", &v)) {
            bad = duration_parse(v, &f->soak.duration_ns);
        } else if (cli_flag_value(argc, argv, &i, "--seed", &v)) {
            bad = cli_u64_parse(v, UINT64_MAX, &f->soak.seed);
        } else if (cli_flag_value(argc, argv, &i, "--faults", &v)) {
            bad = v == NULL ? 0 : soak_faults_parse(v, &f->soak.faults);
        } else if (cli_flag_value(argc, argv, &i, "--trace", &v)) {
            f->trace_path = v;
        } else if (strcmp(argv[i], "--help") == 0) {
            fputs(simulate_usage, stdout);
            return -1;
        } else {
            return usage_fail("unknown argument '%s' (see mesos-conform simulate --help)", argv[i]);
        }
        if (v == NULL)
            return usage_fail("%s needs a value", argv[i]);
        if (bad != 0)
            return usage_fail("bad value '%s' (see mesos-conform simulate --help)", v);
    }
    return 0;
}

static void trace_write(void *ctx, const char *line)
{
    FILE *to = ctx;
    fputs(line, to);
    fputc('\n', to);
}

static double clock_seconds(clockid_t clock)
{
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Wall time, and this process's CPU time: on a shared machine the second
 * says what the run cost even when other work took the core. */
struct run_time {
    double wall;
    double cpu;
};

static void summary_print(const struct simulate_flags *f, const struct soak_result *r,
                          const struct run_time *t)
{
    double sim_s = (double)r->simulated_ns / 1e9;
    double wall = t->wall, speedup = wall > 0.0 ? sim_s / wall : 0.0;
    double cpu_speedup = t->cpu > 0.0 ? sim_s / t->cpu : 0.0;
    const struct soak_options *o = &f->soak;
    if (f->json) {
        printf("{\"seed\":%" PRIu64 ",\"agents\":%u,\"frameworks\":%u,\"faults\":\"%s\","
               "\"checks\":%s,\"simulated_seconds\":%.3f,\"wall_seconds\":%.3f,"
               "\"speedup\":%.1f,\"cpu_seconds\":%.3f,\"cpu_speedup\":%.1f,\"events\":%" PRIu64
               ",\"messages\":%" PRIu64 ",\"faults_injected\":%" PRIu64 ",\"subscribes\":%" PRIu64
               ",\"offers\":%" PRIu64 ",\"updates\":%" PRIu64 ",\"tasks_launched\":%" PRIu64
               ",\"tasks_finished\":%" PRIu64 ",\"tasks_failed\":%" PRIu64
               ",\"tasks_killed\":%" PRIu64 ",\"tasks_lost\":%" PRIu64
               ",\"invariant_violations\":%" PRIu64,
               o->seed, o->agents, o->frameworks, soak_faults_name(o->faults),
               o->checks_off ? "false" : "true", sim_s, wall, speedup, t->cpu, cpu_speedup,
               r->events, r->messages, r->faults, r->subscribes, r->offers, r->updates,
               r->tasks_launched, r->tasks_finished, r->tasks_failed, r->tasks_killed,
               r->tasks_lost, r->invariant_violations);
        if (r->invariant_violations > 0) {
            printf(",\"first_violation\":{\"at_seconds\":%.9f,\"text\":\"",
                   (double)r->first_violation_ns / 1e9);
            for (const char *p = r->first_violation; *p != '\0'; p++)
                if (*p == '"' || *p == '\\')
                    printf("\\%c", *p);
                else if ((unsigned char)*p >= ' ')
                    putchar(*p);
            printf("\"}");
        }
        printf(",\"trace_hash\":\"%016" PRIx64 "\"}\n", r->trace_hash);
        return;
    }
    printf("simulate: seed %" PRIu64 ", %u agents, %u frameworks, faults %s%s\n", o->seed,
           o->agents, o->frameworks, soak_faults_name(o->faults),
           o->checks_off ? ", invariants off" : "");
    printf("  %.0f s simulated in %.3f s: %.0fx real time (CPU %.3f s: %.0fx)\n", sim_s, wall,
           speedup, t->cpu, cpu_speedup);
    printf("  %" PRIu64 " events, %" PRIu64 " messages, %" PRIu64 " faults, %" PRIu64
           " subscribes, %" PRIu64 " offers, %" PRIu64 " updates\n",
           r->events, r->messages, r->faults, r->subscribes, r->offers, r->updates);
    printf("  tasks: %" PRIu64 " launched, %" PRIu64 " finished, %" PRIu64 " failed, %" PRIu64
           " killed, %" PRIu64 " lost\n",
           r->tasks_launched, r->tasks_finished, r->tasks_failed, r->tasks_killed, r->tasks_lost);
    if (r->invariant_violations > 0)
        printf("  INVARIANT VIOLATIONS: %" PRIu64 ", the first at %.9f s: %s\n",
               r->invariant_violations, (double)r->first_violation_ns / 1e9, r->first_violation);
    else
        printf("  invariants: %s\n", o->checks_off ? "not checked" : "all held");
    printf("  trace hash %016" PRIx64 "\n", r->trace_hash);
    if (r->invariant_violations > 0)
        printf("  replay: mesos-conform simulate --agents %u --frameworks %u --duration %.3fs"
               " --seed %" PRIu64 " --faults %s --trace trace.txt\n",
               o->agents, o->frameworks, (double)o->duration_ns / 1e9, o->seed,
               soak_faults_name(o->faults));
}

int cli_simulate(int argc, char **argv)
{
    struct simulate_flags f;
    int rc = flags_parse(argc, argv, &f);
    if (rc != 0)
        return rc < 0 ? CLI_EXIT_OK : rc;
    FILE *trace = NULL;
    if (f.trace_path != NULL) {
        trace = fopen(f.trace_path, "w");
        if (trace == NULL) {
            fprintf(stderr, "mesos-conform simulate: cannot write '%s': %s\n", f.trace_path,
                    strerror(errno));
            return CLI_EXIT_USAGE;
        }
        f.soak.trace = trace_write;
        f.soak.trace_ctx = trace;
    }
    struct soak_result r;
    struct mc_diag diag;
    mc_diag_clear(&diag);
    struct run_time t = {clock_seconds(CLOCK_MONOTONIC), clock_seconds(CLOCK_PROCESS_CPUTIME_ID)};
    int err = soak_run(&f.soak, &r, &diag);
    t.wall = clock_seconds(CLOCK_MONOTONIC) - t.wall;
    t.cpu = clock_seconds(CLOCK_PROCESS_CPUTIME_ID) - t.cpu;
    if (trace != NULL && fclose(trace) != 0)
        err = err != 0 ? err : MC_EIO;
    if (err != 0) {
        fprintf(stderr, "mesos-conform simulate: the run stopped at %.3f s: %s\n",
                (double)r.simulated_ns / 1e9, diag.text[0] ? diag.text : mc_strerror(err));
        return CLI_EXIT_FAIL;
    }
    summary_print(&f, &r, &t);
    return r.invariant_violations > 0 ? CLI_EXIT_FAIL : CLI_EXIT_OK;
}
