/*
 * report.c: the result model of a run (report.h). A run is an array of
 * pointers to cases, grown by doubling up to MC_REPORT_CASES_MAX, so a case
 * never moves once added. Every setter copies its strings through the
 * module's string rules (str.c) and either succeeds or leaves the model as
 * it was, so a caller may ignore a failed setter without a broken model.
 */
#include <string.h>

#include "mc_assert.h"
#include "report_internal.h"

static const char *const verdict_names[REPORT_VERDICT_COUNT] = {"pass", "fail", "skip", "unknown"};
static const char *const level_names[REPORT_LEVEL_COUNT] = {"must", "should", "info"};
static const char *const format_names[] = {"text", "junit", "json", "tap"};

static_assert(REPORT_UNKNOWN + 1 == REPORT_VERDICT_COUNT, "one name per verdict");
static_assert(REPORT_LEVEL_INFO + 1 == REPORT_LEVEL_COUNT, "one name per level");
static_assert(REPORT_FORMAT_TAP + 1 == sizeof(format_names) / sizeof(format_names[0]),
              "one name per format");

const char *report_verdict_name(enum report_verdict verdict)
{
    MC_ASSERT((unsigned)verdict < REPORT_VERDICT_COUNT);
    return verdict_names[verdict];
}

/* Finds name in a table of count names; the index or -1. */
static int name_find(const char *const *names, unsigned count, const char *name)
{
    MC_ASSERT(names != NULL);
    if (name == NULL)
        return -1;
    for (unsigned i = 0; i < count; i++) {
        if (strcmp(names[i], name) == 0)
            return (int)i;
    }
    return -1;
}

int report_verdict_parse(const char *name, enum report_verdict *out)
{
    MC_ASSERT(out != NULL);
    int i = name_find(verdict_names, REPORT_VERDICT_COUNT, name);
    if (i < 0)
        return MC_EINVAL;
    *out = (enum report_verdict)i;
    return 0;
}

const char *report_level_name(enum report_level level)
{
    MC_ASSERT((unsigned)level < REPORT_LEVEL_COUNT);
    return level_names[level];
}

int report_level_parse(const char *name, enum report_level *out)
{
    MC_ASSERT(out != NULL);
    int i = name_find(level_names, REPORT_LEVEL_COUNT, name);
    if (i < 0)
        return MC_EINVAL;
    *out = (enum report_level)i;
    return 0;
}

int report_format_parse(const char *name, enum report_format *out)
{
    MC_ASSERT(out != NULL);
    int i = name_find(format_names, sizeof(format_names) / sizeof(format_names[0]), name);
    if (i < 0)
        return MC_EINVAL;
    *out = (enum report_format)i;
    return 0;
}

int report_run_create(const struct mc_alloc *alloc, const char *version, const char *target,
                      const char *started, struct report_run **out)
{
    MC_ASSERT(version != NULL && target != NULL && started != NULL);
    MC_ASSERT(out != NULL);
    if (alloc == NULL)
        alloc = mc_alloc_system();
    struct report_run *run = mc_calloc(alloc, 1, sizeof(*run));
    if (run == NULL)
        return MC_ENOMEM;
    run->alloc = alloc;
    int err = report__str_copy(alloc, version, MC_REPORT_LINE_BYTES_MAX, &run->version);
    if (err == 0)
        err = report__str_copy(alloc, target, MC_REPORT_LINE_BYTES_MAX, &run->target);
    if (err == 0)
        err = report__str_copy(alloc, started, MC_REPORT_LINE_BYTES_MAX, &run->started);
    if (err != 0) {
        report_run_destroy(run);
        return err;
    }
    *out = run;
    return 0;
}

static void actor_log_deinit(const struct mc_alloc *alloc, struct report_actor_log *log)
{
    mc_free(alloc, log->actor);
    for (uint32_t i = 0; i < log->lines_count; i++)
        mc_free(alloc, log->lines_ring[(log->lines_head + i) % MC_REPORT_ACTOR_LINES_MAX]);
    memset(log, 0, sizeof(*log));
}

static void failure_destroy(const struct mc_alloc *alloc, struct report_failure *f)
{
    if (f == NULL)
        return;
    MC_ASSERT(f->actors_count <= MC_REPORT_ACTORS_MAX);
    mc_free(alloc, f->step);
    mc_free(alloc, f->file);
    mc_free(alloc, f->expected);
    mc_free(alloc, f->observed);
    mc_free(alloc, f->message);
    for (uint32_t i = 0; i < f->actors_count; i++)
        actor_log_deinit(alloc, &f->actors[i]);
    mc_free(alloc, f);
}

static void case_destroy(struct report_case *c)
{
    const struct mc_alloc *alloc = c->alloc;
    MC_ASSERT(c->spec_rows_count <= MC_REPORT_SPEC_ROWS_MAX);
    MC_ASSERT(c->tags_count <= MC_REPORT_TAGS_MAX);
    mc_free(alloc, c->id);
    mc_free(alloc, c->title);
    mc_free(alloc, c->file);
    for (uint32_t i = 0; i < c->spec_rows_count; i++)
        mc_free(alloc, c->spec_rows[i]);
    for (uint32_t i = 0; i < c->tags_count; i++)
        mc_free(alloc, c->tags[i]);
    mc_free(alloc, c->reason);
    mc_free(alloc, c->replay);
    failure_destroy(alloc, c->failure);
    MC_ASSERT(c->redirects_count <= REPORT_REDIRECTS_MAX);
    for (uint32_t i = 0; i < c->redirects_count; i++) {
        mc_free(alloc, c->redirects[i].actor);
        mc_free(alloc, c->redirects[i].step);
        mc_free(alloc, c->redirects[i].to);
    }
    mc_free(alloc, c);
}

void report_run_destroy(struct report_run *run)
{
    if (run == NULL)
        return;
    MC_ASSERT(run->cases_count <= run->cases_cap);
    for (uint32_t i = 0; i < run->cases_count; i++)
        case_destroy(run->cases[i]);
    mc_free(run->alloc, run->cases);
    mc_free(run->alloc, run->version);
    mc_free(run->alloc, run->target);
    mc_free(run->alloc, run->started);
    mc_free(run->alloc, run);
}

void report_run_seed_set(struct report_run *run, uint64_t seed)
{
    MC_ASSERT(run != NULL);
    run->seed = seed;
}

void report_run_wall_ns_set(struct report_run *run, uint64_t wall_ns)
{
    MC_ASSERT(run != NULL);
    run->wall_ns = wall_ns;
}

/* Makes room for one more case pointer. */
static int run_cases_reserve(struct report_run *run)
{
    if (run->cases_count < run->cases_cap)
        return 0;
    if (run->cases_count >= MC_REPORT_CASES_MAX)
        return MC_ELIMIT;
    uint32_t cap = run->cases_cap == 0 ? 16 : run->cases_cap * 2;
    if (cap > MC_REPORT_CASES_MAX)
        cap = MC_REPORT_CASES_MAX;
    struct report_case **p = mc_realloc(run->alloc, run->cases, cap * sizeof(*p));
    if (p == NULL)
        return MC_ENOMEM;
    run->cases = p;
    run->cases_cap = cap;
    return 0;
}

int report_run_case_add(struct report_run *run, const char *id, const char *title, const char *file,
                        struct report_case **out)
{
    MC_ASSERT(run != NULL && out != NULL);
    MC_ASSERT(id != NULL && title != NULL && file != NULL);
    int err = run_cases_reserve(run);
    if (err != 0)
        return err;
    struct report_case *c = mc_calloc(run->alloc, 1, sizeof(*c));
    if (c == NULL)
        return MC_ENOMEM;
    c->alloc = run->alloc;
    c->level = REPORT_LEVEL_MUST;
    c->verdict = REPORT_UNKNOWN;
    err = report__str_copy(c->alloc, id, MC_REPORT_LINE_BYTES_MAX, &c->id);
    if (err == 0)
        err = report__str_copy(c->alloc, title, MC_REPORT_LINE_BYTES_MAX, &c->title);
    if (err == 0)
        err = report__str_copy(c->alloc, file, MC_REPORT_LINE_BYTES_MAX, &c->file);
    if (err != 0) {
        case_destroy(c);
        return err;
    }
    run->cases[run->cases_count++] = c;
    *out = c;
    return 0;
}

void report_run_totals_count(const struct report_run *run, struct report_totals *out)
{
    MC_ASSERT(run != NULL && out != NULL);
    memset(out, 0, sizeof(*out));
    for (uint32_t i = 0; i < run->cases_count; i++) {
        enum report_verdict v = run->cases[i]->verdict;
        MC_ASSERT((unsigned)v < REPORT_VERDICT_COUNT);
        out->verdict_counts[v]++;
    }
    out->cases_count = run->cases_count;
}

int report_run_exit_status(const struct report_run *run, int allow_unknown)
{
    struct report_totals totals;
    report_run_totals_count(run, &totals);
    if (totals.verdict_counts[REPORT_FAIL] > 0)
        return 1;
    if (totals.verdict_counts[REPORT_UNKNOWN] > 0 && !allow_unknown)
        return 1;
    return 0;
}

uint64_t report__run_sim_ns_sum(const struct report_run *run)
{
    uint64_t sum = 0;
    for (uint32_t i = 0; i < run->cases_count; i++) {
        uint64_t ns = run->cases[i]->sim_ns;
        sum = ns > UINT64_MAX - sum ? UINT64_MAX : sum + ns;
    }
    return sum;
}

void report_case_level_set(struct report_case *c, enum report_level level)
{
    MC_ASSERT(c != NULL);
    MC_ASSERT((unsigned)level < REPORT_LEVEL_COUNT);
    c->level = level;
}

void report_case_seed_set(struct report_case *c, uint64_t seed)
{
    MC_ASSERT(c != NULL);
    c->seed = seed;
}

void report_case_trace_hash_set(struct report_case *c, uint64_t trace_hash)
{
    MC_ASSERT(c != NULL);
    c->trace_hash = trace_hash;
}

void report_case_duration_set(struct report_case *c, uint64_t sim_ns, uint64_t wall_ns)
{
    MC_ASSERT(c != NULL);
    c->sim_ns = sim_ns;
    c->wall_ns = wall_ns;
}

/* Appends a copy of s to a bounded list of strings. */
static int list_add(const struct mc_alloc *alloc, char **items, uint32_t *count, uint32_t max,
                    const char *s)
{
    MC_ASSERT(s != NULL);
    MC_ASSERT(*count <= max);
    if (*count == max)
        return MC_ELIMIT;
    int err = report__str_copy(alloc, s, MC_REPORT_LINE_BYTES_MAX, &items[*count]);
    if (err != 0)
        return err;
    (*count)++;
    return 0;
}

int report_case_spec_add(struct report_case *c, const char *row)
{
    MC_ASSERT(c != NULL);
    return list_add(c->alloc, c->spec_rows, &c->spec_rows_count, MC_REPORT_SPEC_ROWS_MAX, row);
}

int report_case_tag_add(struct report_case *c, const char *tag)
{
    MC_ASSERT(c != NULL);
    return list_add(c->alloc, c->tags, &c->tags_count, MC_REPORT_TAGS_MAX, tag);
}

int report_case_verdict_set(struct report_case *c, enum report_verdict verdict, const char *reason)
{
    MC_ASSERT(c != NULL);
    MC_ASSERT((unsigned)verdict < REPORT_VERDICT_COUNT);
    int err = report__str_replace(c->alloc, &c->reason, reason, MC_REPORT_TEXT_BYTES_MAX);
    if (err != 0)
        return err;
    c->verdict = verdict;
    return 0;
}

int report_case_replay_set(struct report_case *c, const char *command)
{
    MC_ASSERT(c != NULL);
    return report__str_replace(c->alloc, &c->replay, command, MC_REPORT_LINE_BYTES_MAX);
}

int report_case_failure_set(struct report_case *c, const struct report_failure_desc *desc)
{
    MC_ASSERT(c != NULL && desc != NULL);
    MC_ASSERT(desc->file != NULL || (desc->line == 0 && desc->column == 0));
    struct report_failure *f = mc_calloc(c->alloc, 1, sizeof(*f));
    if (f == NULL)
        return MC_ENOMEM;
    const size_t text_max = MC_REPORT_TEXT_BYTES_MAX;
    int err = report__str_copy(c->alloc, desc->step, MC_REPORT_LINE_BYTES_MAX, &f->step);
    if (err == 0)
        err = report__str_copy(c->alloc, desc->file, MC_REPORT_LINE_BYTES_MAX, &f->file);
    if (err == 0)
        err = report__str_copy(c->alloc, desc->expected, text_max, &f->expected);
    if (err == 0)
        err = report__str_copy(c->alloc, desc->observed, text_max, &f->observed);
    if (err == 0)
        err = report__str_copy(c->alloc, desc->message, text_max, &f->message);
    if (err != 0) {
        failure_destroy(c->alloc, f);
        return err;
    }
    f->line = desc->line;
    f->column = desc->column;
    failure_destroy(c->alloc, c->failure);
    c->failure = f;
    return 0;
}

/*
 * The log of actor in the case's failure, created empty if new. The actor
 * name is compared after the string rules apply, so a name with bad bytes
 * finds the log it made before. MC_ELIMIT when all slots are taken.
 */
static int actor_log_find(struct report_case *c, const char *actor, struct report_actor_log **out,
                          int *created)
{
    MC_ASSERT(c->failure != NULL); /* report_case_failure_set comes first */
    MC_ASSERT(actor != NULL);
    struct report_failure *f = c->failure;
    char *name = NULL;
    int err = report__str_copy(c->alloc, actor, MC_REPORT_LINE_BYTES_MAX, &name);
    if (err != 0)
        return err;
    for (uint32_t i = 0; i < f->actors_count; i++) {
        if (strcmp(f->actors[i].actor, name) == 0) {
            mc_free(c->alloc, name);
            *out = &f->actors[i];
            *created = 0;
            return 0;
        }
    }
    if (f->actors_count == MC_REPORT_ACTORS_MAX) {
        mc_free(c->alloc, name);
        return MC_ELIMIT;
    }
    struct report_actor_log *log = &f->actors[f->actors_count++];
    memset(log, 0, sizeof(*log));
    log->actor = name;
    *out = log;
    *created = 1;
    return 0;
}

/* Forgets the log that actor_log_find just created, when its first use failed. */
static void actor_log_forget_new(struct report_case *c, struct report_actor_log *log)
{
    struct report_failure *f = c->failure;
    MC_ASSERT(log == &f->actors[f->actors_count - 1]); /* a new log is the last one */
    MC_ASSERT(log->lines_count == 0 && log->lines_dropped_count == 0);
    actor_log_deinit(c->alloc, log);
    f->actors_count--;
}

int report_case_actor_log_append(struct report_case *c, const char *actor, const char *line)
{
    MC_ASSERT(c != NULL && line != NULL);
    struct report_actor_log *log = NULL;
    int created = 0;
    int err = actor_log_find(c, actor, &log, &created);
    if (err != 0)
        return err;
    char *copy = NULL;
    err = report__str_copy(c->alloc, line, MC_REPORT_LINE_BYTES_MAX, &copy);
    if (err != 0) {
        if (created)
            actor_log_forget_new(c, log);
        return err;
    }
    MC_ASSERT(log->lines_count <= MC_REPORT_ACTOR_LINES_MAX);
    if (log->lines_count == MC_REPORT_ACTOR_LINES_MAX) {
        /* The ring is full: the oldest line makes room and is counted. */
        mc_free(c->alloc, log->lines_ring[log->lines_head]);
        log->lines_ring[log->lines_head] = copy;
        log->lines_head = (log->lines_head + 1) % MC_REPORT_ACTOR_LINES_MAX;
        log->lines_dropped_count++;
        return 0;
    }
    log->lines_ring[(log->lines_head + log->lines_count) % MC_REPORT_ACTOR_LINES_MAX] = copy;
    log->lines_count++;
    return 0;
}

int report__actor_log_dropped_add(struct report_case *c, const char *actor, uint64_t dropped)
{
    MC_ASSERT(c != NULL);
    struct report_actor_log *log = NULL;
    int created = 0;
    int err = actor_log_find(c, actor, &log, &created);
    if (err != 0)
        return err;
    log->lines_dropped_count = dropped > UINT64_MAX - log->lines_dropped_count
                                   ? UINT64_MAX
                                   : log->lines_dropped_count + dropped;
    return 0;
}

const char *report_actor_log_line_get(const struct report_actor_log *log, uint32_t index)
{
    MC_ASSERT(log != NULL);
    MC_ASSERT(index < log->lines_count);
    return log->lines_ring[(log->lines_head + index) % MC_REPORT_ACTOR_LINES_MAX];
}

int report_write(const struct report_run *run, enum report_format format, struct mc_buf *out,
                 uint32_t flags)
{
    switch (format) {
    case REPORT_FORMAT_TEXT:
        return report_write_text(run, out, flags);
    case REPORT_FORMAT_JUNIT:
        return report_write_junit(run, out);
    case REPORT_FORMAT_JSON:
        return report_write_json(run, out);
    case REPORT_FORMAT_TAP:
        return report_write_tap(run, out);
    }
    MC_UNREACHABLE();
}

int report_case_redirect_add(struct report_case *c, const char *actor, const char *step,
                             uint32_t line, const char *to)
{
    MC_ASSERT(c != NULL && actor != NULL && to != NULL);
    MC_ASSERT(c->redirects_count <= REPORT_REDIRECTS_MAX);
    if (c->redirects_count == REPORT_REDIRECTS_MAX)
        return MC_ELIMIT;
    struct report_redirect r = {NULL, NULL, line, NULL};
    int err = report__str_copy(c->alloc, actor, MC_REPORT_LINE_BYTES_MAX, &r.actor);
    if (err == 0)
        err = report__str_copy(c->alloc, step, MC_REPORT_LINE_BYTES_MAX, &r.step);
    if (err == 0)
        err = report__str_copy(c->alloc, to, MC_REPORT_LINE_BYTES_MAX, &r.to);
    if (err != 0) {
        mc_free(c->alloc, r.actor);
        mc_free(c->alloc, r.step);
        mc_free(c->alloc, r.to);
        return err;
    }
    c->redirects[c->redirects_count++] = r;
    return 0;
}
