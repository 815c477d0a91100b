/*
 * cli_run.c: `mesos-conform run [PATH...] [options]`.
 *
 * Loads the scenario files (scenarios/ by default), keeps the cases the
 * filters select, runs each on the target (once per seed of --seeds, twice
 * with --check-determinism), prints the text report and writes the others.
 * Exit status: 0 when every selected case passed or was skipped, 1 when one
 * failed (or was unknown, without --allow-unknown), 2 for a usage or
 * scenario-file error. Cases of level `info` fail the status only with
 * --strict.
 */
#include "cli_run.h"

#include <fnmatch.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "report.h"
#include "runner.h"
#include "scn.h"

#define RUN_PATHS_MAX 256
#define RUN_FILTERS_MAX 64
#define RUN_REPORTS_MAX 8
#define RUN_SEEDS_MAX 100000u
#define RUN_JOBS_MAX 64u

struct run_args {
    struct target_hook hooks[TARGET_HOOKS_MAX]; /* commands point into argv */
    uint32_t hooks_count;
    const char *agents[TARGET_AGENTS_MAX];
    uint32_t agents_count;
    char replay_flags[RUNNER_REPLAY_FLAGS_BYTES_MAX];
    const char *paths[RUN_PATHS_MAX];
    uint32_t paths_count;
    const char *filters[RUN_FILTERS_MAX];
    uint32_t filters_count;
    const char *excludes[RUN_FILTERS_MAX];
    uint32_t excludes_count;
    const char *reports[RUN_REPORTS_MAX];
    uint32_t reports_count;
    const char *target;
    uint64_t seed_first, seed_last;
    int check_determinism, allow_unknown, strict, verbose;
    uint32_t jobs;
    struct target_http_options http;
};

static const char run_usage[] =
    "usage: mesos-conform run [PATH...] [--target sim|http://HOST:PORT] [--seed N | --seeds A..B]\n"
    "                         [--filter GLOB]... [--exclude GLOB]... [--report FORMAT:FILE]...\n"
    "                         [--check-determinism] [--allow-unknown] [--strict] [--jobs N]\n"
    "                         [--verbose] [--cacert FILE] [--insecure] [--principal P --secret S]\n"
    "                         [--no-follow] [--via-proxy] [--agent NAME]... [--hook HOOK=CMD]...\n"
    "  Runs the scenarios under PATH (default: scenarios) and reports a verdict per case.\n"
    "  GLOBs match case ids and tags. FORMAT is text, junit, json or tap. Against a real\n"
    "  master a 307 is followed as clients follow it (--no-follow reports it as it is).\n"
    "  Faults against a real master: --via-proxy sends each actor's traffic through a\n"
    "  fault proxy of its own (partition, hold, reset, drop heartbeats); --hook runs CMD\n"
    "  with /bin/sh -c where a scenario restarts the master or crashes or restarts an\n"
    "  agent: restart-master=CMD, crash-agent:NAME=CMD, restart-agent:NAME=CMD; --agent\n"
    "  NAME says the cluster has the agent a scenario calls NAME. A case that needs\n"
    "  more is skipped, and its reason names the option that would run it.\n";

static int usage_error(const char *what, const char *arg)
{
    fprintf(stderr, "mesos-conform run: %s%s%s%s\n", what, arg ? " '" : "", arg ? arg : "",
            arg ? "'" : "");
    return CLI_EXIT_USAGE;
}

static int seeds_parse(const char *text, struct run_args *a, int range)
{
    char *end;
    a->seed_first = strtoull(text, &end, 10);
    a->seed_last = a->seed_first;
    if (range && end[0] == '.' && end[1] == '.')
        a->seed_last = strtoull(end + 2, &end, 10);
    if (*end != '\0' || end == text || a->seed_last < a->seed_first ||
        a->seed_last - a->seed_first >= RUN_SEEDS_MAX)
        return usage_error(range ? "--seeds wants A..B (A <= B, at most 100000 seeds), not"
                                 : "--seed wants a number, not", text);
    return 0;
}

static int list_add(const char **list, uint32_t *count, uint32_t max, const char *v,
                    const char *what)
{
    if (*count >= max)
        return usage_error("too many", what);
    list[(*count)++] = v;
    return 0;
}

/* --hook KIND[:AGENT]=COMMAND: what is wrong and where, on one line. */
static int hook_add(struct run_args *a, const char *spec)
{
    struct target_hook h;
    struct mc_diag diag;
    mc_diag_clear(&diag);
    if (target_hook_parse(spec, &h, &diag) != 0) {
        fprintf(stderr, "mesos-conform run: --hook '%s': byte %" PRIu64 ": %s\n", spec,
                diag.offset + 1, diag.text);
        return CLI_EXIT_USAGE;
    }
    for (uint32_t i = 0; i < a->hooks_count; i++)
        if (a->hooks[i].kind == h.kind && strcmp(a->hooks[i].agent, h.agent) == 0) {
            fprintf(stderr, "mesos-conform run: --hook '%s': %s%s%s is given twice\n", spec,
                    target_hook_kind_name(h.kind), h.agent[0] ? ":" : "", h.agent);
            return CLI_EXIT_USAGE;
        }
    if (a->hooks_count >= TARGET_HOOKS_MAX)
        return usage_error("too many", "--hook");
    a->hooks[a->hooks_count++] = h;
    return 0;
}

/* --agent NAME: a name as scenarios write agents' names. */
static int agent_add(struct run_args *a, const char *name)
{
    struct target_hook probe;
    char spec[TARGET_ACTOR_NAME_BYTES_MAX + 32];
    snprintf(spec, sizeof(spec), "crash-agent:%.40s=x", name);
    if (strlen(name) >= TARGET_ACTOR_NAME_BYTES_MAX || target_hook_parse(spec, &probe, NULL) != 0 ||
        strcmp(probe.agent, name) != 0)
        return usage_error("--agent wants a name (a letter or '_', then letters, digits, '_' "
                           "and '-', at most 31 bytes), not", name);
    for (uint32_t i = 0; i < a->agents_count; i++)
        if (strcmp(a->agents[i], name) == 0)
            return usage_error("--agent given twice:", name);
    return list_add(a->agents, &a->agents_count, TARGET_AGENTS_MAX, name, "--agent");
}

static int flag_value(int argc, char **argv, int *i, struct run_args *a)
{
    const char *v = NULL;
    if (cli_flag_value(argc, argv, i, "--target", &v))
        return v ? (a->target = v, 0) : usage_error("--target needs a value", NULL);
    if (cli_flag_value(argc, argv, i, "--seed", &v))
        return v ? seeds_parse(v, a, 0) : usage_error("--seed needs a value", NULL);
    if (cli_flag_value(argc, argv, i, "--seeds", &v))
        return v ? seeds_parse(v, a, 1) : usage_error("--seeds needs a value", NULL);
    if (cli_flag_value(argc, argv, i, "--filter", &v))
        return v ? list_add(a->filters, &a->filters_count, RUN_FILTERS_MAX, v, "--filter")
                 : usage_error("--filter needs a value", NULL);
    if (cli_flag_value(argc, argv, i, "--exclude", &v))
        return v ? list_add(a->excludes, &a->excludes_count, RUN_FILTERS_MAX, v, "--exclude")
                 : usage_error("--exclude needs a value", NULL);
    if (cli_flag_value(argc, argv, i, "--report", &v))
        return v ? list_add(a->reports, &a->reports_count, RUN_REPORTS_MAX, v, "--report")
                 : usage_error("--report needs a value", NULL);
    if (cli_flag_value(argc, argv, i, "--cacert", &v))
        return v ? (a->http.cacert = v, 0) : usage_error("--cacert needs a file", NULL);
    if (cli_flag_value(argc, argv, i, "--principal", &v))
        return v ? (a->http.principal = v, 0) : usage_error("--principal needs a value", NULL);
    if (cli_flag_value(argc, argv, i, "--secret", &v))
        return v ? (a->http.secret = v, 0) : usage_error("--secret needs a value", NULL);
    if (cli_flag_value(argc, argv, i, "--hook", &v))
        return v ? hook_add(a, v) : usage_error("--hook needs KIND=COMMAND", NULL);
    if (cli_flag_value(argc, argv, i, "--agent", &v))
        return v ? agent_add(a, v) : usage_error("--agent needs a name", NULL);
    if (cli_flag_value(argc, argv, i, "--jobs", &v)) {
        a->jobs = v ? (uint32_t)strtoul(v, NULL, 10) : 0;
        return a->jobs >= 1 && a->jobs <= RUN_JOBS_MAX
                   ? 0 : usage_error("--jobs wants a number from 1 to 64, not", v ? v : "");
    }
    return 1; /* not a flag with a value */
}

/* Appends word to the replay flags, in single quotes when the shell needs them. */
static int replay_word_put(struct run_args *a, const char *word)
{
    size_t len = strlen(a->replay_flags);
    char *out = a->replay_flags + len;
    size_t room = sizeof(a->replay_flags) - len;
    int quote = word[0] == '\0' || strpbrk(word, " \t\n'\"\\$`!*?[]{}()<>|&;~#=") != NULL;
    size_t need = (len > 0) + strlen(word) * 4 + 3;
    if (need >= room)
        return usage_error("the options are too long to repeat in a replay command", NULL);
    if (len > 0)
        *out++ = ' ';
    if (quote)
        *out++ = '\'';
    for (const char *p = word; *p != '\0'; p++) {
        if (*p == '\'' && quote) {
            memcpy(out, "'\\''", 4);
            out += 4;
        } else {
            *out++ = *p;
        }
    }
    if (quote)
        *out++ = '\'';
    *out = '\0';
    return 0;
}

/* The options of a real target that the replay command must repeat. */
static int replay_flags_build(struct run_args *a)
{
    int err = 0;
    a->replay_flags[0] = '\0';
    if (a->http.redirects_ignored)
        err = replay_word_put(a, "--no-follow");
    if (err == 0 && a->http.via_proxy)
        err = replay_word_put(a, "--via-proxy");
    for (uint32_t i = 0; err == 0 && i < a->agents_count; i++) {
        err = replay_word_put(a, "--agent");
        if (err == 0)
            err = replay_word_put(a, a->agents[i]);
    }
    for (uint32_t i = 0; err == 0 && i < a->hooks_count; i++) {
        char spec[TARGET_HOOK_COMMAND_BYTES_MAX + 64];
        const struct target_hook *h = &a->hooks[i];
        snprintf(spec, sizeof(spec), "%s%s%s=%s", target_hook_kind_name(h->kind),
                 h->agent[0] ? ":" : "", h->agent, h->command);
        err = replay_word_put(a, "--hook");
        if (err == 0)
            err = replay_word_put(a, spec);
    }
    return err;
}

static int args_parse(int argc, char **argv, struct run_args *a)
{
    memset(a, 0, sizeof(*a));
    a->target = "sim";
    a->seed_first = a->seed_last = 1;
    a->jobs = 1;
    for (int i = 1; i < argc; i++) {
        int r = flag_value(argc, argv, &i, a);
        if (r != 1) {
            if (r != 0)
                return r;
            continue;
        }
        if (strcmp(argv[i], "--check-determinism") == 0)
            a->check_determinism = 1;
        else if (strcmp(argv[i], "--allow-unknown") == 0)
            a->allow_unknown = 1;
        else if (strcmp(argv[i], "--strict") == 0)
            a->strict = 1;
        else if (strcmp(argv[i], "--verbose") == 0)
            a->verbose = 1;
        else if (strcmp(argv[i], "--insecure") == 0)
            a->http.insecure = 1;
        else if (strcmp(argv[i], "--no-follow") == 0)
            a->http.redirects_ignored = 1;
        else if (strcmp(argv[i], "--via-proxy") == 0)
            a->http.via_proxy = 1;
        else if (strcmp(argv[i], "--help") == 0)
            return fputs(run_usage, stdout), -1;
        else if (argv[i][0] == '-')
            return usage_error("unknown option", argv[i]);
        else if (list_add(a->paths, &a->paths_count, RUN_PATHS_MAX, argv[i], "paths") != 0)
            return CLI_EXIT_USAGE;
    }
    if (strcmp(a->target, "sim") != 0 && strncmp(a->target, "http://", 7) != 0 &&
        strncmp(a->target, "https://", 8) != 0)
        return usage_error("--target must be sim, http://HOST:PORT or https://HOST:PORT, not",
                           a->target);
    int real = strcmp(a->target, "sim") != 0;
    if (!real && (a->http.via_proxy || a->hooks_count > 0 || a->agents_count > 0))
        return usage_error("--via-proxy, --hook and --agent need a real target "
                           "(--target http://HOST:PORT); the sim target has every fault", NULL);
    if (a->http.via_proxy && strncmp(a->target, "https://", 8) == 0)
        return usage_error("--via-proxy works with http:// targets only (the proxy does not "
                           "speak TLS), not", a->target);
    if (a->paths_count == 0)
        a->paths[a->paths_count++] = "scenarios";
    a->http.hooks = a->hooks;
    a->http.hooks_count = a->hooks_count;
    a->http.agents = a->agents;
    a->http.agents_count = a->agents_count;
    return replay_flags_build(a);
}

static int glob_hits(const char *const *globs, uint32_t n, const struct scn_case *c)
{
    for (uint32_t i = 0; i < n; i++) {
        if (fnmatch(globs[i], c->id, 0) == 0)
            return 1;
        for (uint32_t t = 0; t < c->tags_count; t++)
            if (fnmatch(globs[i], c->tags[t], 0) == 0)
                return 1;
    }
    return 0;
}

static int selected(const struct run_args *a, const struct scn_case *c)
{
    if (a->filters_count > 0 && !glob_hits(a->filters, a->filters_count, c))
        return 0;
    return !glob_hits(a->excludes, a->excludes_count, c);
}

/* Runs c once more with the same seed; a different trace hash fails the case. */
static int determinism_check(const struct scn_case *c, const struct runner_options *o,
                             struct report_case *rc)
{
    struct report_run *again_run;
    struct report_case *again;
    int err = report_run_create(NULL, MC_VERSION, o->target, "", &again_run);
    if (err != 0)
        return err;
    err = report_run_case_add(again_run, c->id, c->title, c->file, &again);
    if (err == 0)
        err = runner_case_run(c, o, again);
    if (err == 0 && again->trace_hash != rc->trace_hash) {
        char text[160];
        snprintf(text, sizeof(text), "trace hash %016" PRIx64 " then %016" PRIx64
                 " with the same seed", rc->trace_hash, again->trace_hash);
        struct report_failure_desc d = {NULL, c->file, 0, 0, "the same trace twice", text,
                                        "the run is not deterministic"};
        err = report_case_failure_set(rc, &d);
        if (err == 0)
            err = report_case_verdict_set(rc, REPORT_FAIL, "not deterministic");
    }
    report_run_destroy(again_run);
    return err;
}

/* One unit of work: a case on a seed, with its slot in the report. */
struct job {
    const struct scn_case *c;
    uint64_t seed;
    struct report_case *rc;
};

struct job_queue {
    const struct run_args *a;
    const char *program;
    struct job *jobs;
    uint32_t count;
    uint32_t next; /* taken under lock */
    int err;
    pthread_mutex_t lock;
};

static int job_run(const struct job_queue *q, const struct job *j)
{
    struct runner_options o = {q->a->target, &q->a->http, j->seed, q->program,
                               q->a->replay_flags};
    int err = runner_case_run(j->c, &o, j->rc);
    if (err == 0 && q->a->check_determinism && strcmp(q->a->target, "sim") == 0 &&
        j->rc->verdict != REPORT_SKIP)
        err = determinism_check(j->c, &o, j->rc);
    return err;
}

/*
 * A worker takes jobs in order until none is left. Each job writes only its
 * own report case (slots were added in order beforehand), and every case
 * runs in its own world, so workers share nothing else.
 */
static void *worker(void *arg)
{
    struct job_queue *q = arg;
    for (;;) {
        pthread_mutex_lock(&q->lock);
        uint32_t i = q->err == 0 ? q->next++ : q->count;
        pthread_mutex_unlock(&q->lock);
        if (i >= q->count)
            return NULL;
        int err = job_run(q, &q->jobs[i]);
        if (q->a->verbose)
            fprintf(stderr, "%s %s (seed %" PRIu64 ")\n",
                    report_verdict_name(q->jobs[i].rc->verdict), q->jobs[i].c->id,
                    q->jobs[i].seed);
        if (err != 0) {
            pthread_mutex_lock(&q->lock);
            q->err = err;
            pthread_mutex_unlock(&q->lock);
        }
    }
}

/* Adds a report slot per selected case and seed, in order; the jobs list them. */
static int jobs_prepare(const struct run_args *a, const struct scn_suite *suite,
                        struct report_run *run, struct job_queue *q)
{
    uint64_t seeds = a->seed_last - a->seed_first + 1;
    q->jobs = calloc(seeds * (suite->cases_count ? suite->cases_count : 1), sizeof(*q->jobs));
    if (q->jobs == NULL)
        return MC_ENOMEM;
    for (uint64_t seed = a->seed_first; seed <= a->seed_last; seed++) {
        for (uint32_t i = 0; i < suite->cases_count; i++) {
            const struct scn_case *c = suite->cases[i];
            if (!selected(a, c))
                continue;
            struct job *j = &q->jobs[q->count];
            int err = report_run_case_add(run, c->id, c->title, c->file, &j->rc);
            if (err != 0)
                return err;
            j->c = c;
            j->seed = seed;
            q->count++;
        }
    }
    return 0;
}

static int cases_run(const struct run_args *a, const struct scn_suite *suite,
                     struct report_run *run, const char *program, uint32_t *selected_count)
{
    struct job_queue q = {a, program, NULL, 0, 0, 0, PTHREAD_MUTEX_INITIALIZER};
    int err = jobs_prepare(a, suite, run, &q);
    *selected_count = q.count;
    pthread_t threads[RUN_JOBS_MAX];
    uint32_t started = 0;
    if (err == 0 && a->jobs > 1) {
        for (; started < a->jobs && started < q.count; started++)
            if (pthread_create(&threads[started], NULL, worker, &q) != 0)
                break;
    }
    if (err == 0)
        worker(&q); /* this thread works too (alone when --jobs is 1) */
    for (uint32_t t = 0; t < started; t++)
        pthread_join(threads[t], NULL);
    free(q.jobs);
    return err != 0 ? err : q.err;
}

/* Writes the report named by spec ("json:reports/latest.json") to its file. */
static int report_file_write(const struct report_run *run, const char *spec)
{
    const char *colon = strchr(spec, ':');
    char format[16];
    enum report_format f;
    if (colon == NULL || (size_t)(colon - spec) >= sizeof(format) || colon[1] == '\0')
        return usage_error("--report wants FORMAT:FILE, not", spec);
    memcpy(format, spec, (size_t)(colon - spec));
    format[colon - spec] = '\0';
    if (report_format_parse(format, &f) != 0)
        return usage_error("unknown report format (text, junit, json, tap):", format);
    struct mc_buf out;
    mc_buf_init(&out, MC_REPORT_OUTPUT_BYTES_MAX, NULL);
    int err = report_write(run, f, &out, 0);
    FILE *file = err == 0 ? fopen(colon + 1, "wb") : NULL;
    int ok = file != NULL && cli_write_all(file, out.data, out.len) == 0;
    if (file != NULL && fclose(file) != 0)
        ok = 0;
    mc_buf_deinit(&out);
    if (!ok) {
        fprintf(stderr, "mesos-conform run: cannot write the report %s\n", colon + 1);
        return CLI_EXIT_USAGE;
    }
    return 0;
}

/* 1 when a case fails the run: fail (info only with --strict), or unknown unless allowed. */
static int exit_status(const struct report_run *run, const struct run_args *a)
{
    for (uint32_t i = 0; i < run->cases_count; i++) {
        const struct report_case *c = run->cases[i];
        if (c->verdict == REPORT_FAIL && (a->strict || c->level != REPORT_LEVEL_INFO))
            return CLI_EXIT_FAIL;
        if (c->verdict == REPORT_UNKNOWN && !a->allow_unknown)
            return CLI_EXIT_FAIL;
    }
    return CLI_EXIT_OK;
}

static int outputs_write(const struct report_run *run, const struct run_args *a)
{
    struct mc_buf text;
    mc_buf_init(&text, MC_REPORT_OUTPUT_BYTES_MAX, NULL);
    uint32_t flags = (isatty(STDOUT_FILENO) ? REPORT_TEXT_COLOUR : 0) |
                     (a->verbose ? REPORT_TEXT_VERBOSE : 0);
    int err = report_write_text(run, &text, flags);
    if (err == 0)
        err = cli_write_all(stdout, text.data, text.len);
    mc_buf_deinit(&text);
    for (uint32_t i = 0; err == 0 && i < a->reports_count; i++)
        err = report_file_write(run, a->reports[i]);
    return err;
}

static void started_now(char *out, size_t out_bytes)
{
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(out, out_bytes, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int cli_run(int argc, char **argv)
{
    struct run_args a;
    int r = args_parse(argc, argv, &a);
    if (r != 0)
        return r < 0 ? CLI_EXIT_OK : r;
    if (a.http.via_proxy)
        signal(SIGPIPE, SIG_IGN); /* the proxies write to peers that may have left */
    struct scn_suite suite;
    struct mc_diag diag;
    struct mc_buf rendered;
    mc_buf_init(&rendered, 64 * 1024, NULL);
    if (scn_suite_load(&suite, a.paths, a.paths_count, NULL, &diag, &rendered) != 0) {
        fprintf(stderr, "%s", rendered.len ? mc_buf_str(&rendered) : diag.text);
        scn_suite_deinit(&suite);
        mc_buf_deinit(&rendered);
        return CLI_EXIT_USAGE;
    }
    mc_buf_deinit(&rendered);
    char started[32];
    started_now(started, sizeof(started));
    struct report_run *run = NULL;
    uint32_t count = 0;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int err = report_run_create(NULL, MC_VERSION, a.target, started, &run);
    if (err == 0) {
        report_run_seed_set(run, a.seed_first);
        err = cases_run(&a, &suite, run, "mesos-conform", &count);
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    int status = CLI_EXIT_USAGE;
    if (err != 0) {
        fprintf(stderr, "mesos-conform run: %s\n", mc_strerror(err));
    } else if (count == 0) {
        fprintf(stderr, "mesos-conform run: no case matches the filters\n");
    } else {
        report_run_wall_ns_set(run, (uint64_t)(t1.tv_sec - t0.tv_sec) * 1000000000u +
                                        (uint64_t)t1.tv_nsec - (uint64_t)t0.tv_nsec);
        status = outputs_write(run, &a) == 0 ? exit_status(run, &a) : CLI_EXIT_USAGE;
    }
    report_run_destroy(run);
    scn_suite_deinit(&suite);
    return status;
}
