/*
 * json_read.c: reads a JSON report (README.md) back into a run, so that
 * `mesos-conform replay REPORT.json` can find a failure's seed and command.
 *
 * The input is a file someone may have edited, so nothing in it is trusted:
 * every field is checked for presence and type, lists are held to their
 * limits, and the totals must agree with the cases. An error names the
 * field by its path in the document ("cases[2].verdict"), since jansson
 * keeps no positions for values; text that is not JSON at all gets line,
 * column and byte offset from jansson's parser. Keys the schema does not
 * know are ignored, so that a newer writer's reports stay readable.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "mc_assert.h"
#include "report_internal.h"

/* A path in the document, as "cases[2].failure.actors.s1[0]". */
#define PATH_BYTES_MAX 160

/* Fills diag with "path: message" (no position) and returns err. */
static int field_error(struct mc_diag *diag, int err, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int field_error(struct mc_diag *diag, int err, const char *path, const char *fmt, ...)
{
    char message[MC_DIAG_TEXT_BYTES_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof(message), fmt, ap);
    va_end(ap);
    if (diag != NULL) {
        diag->line = 0;
        diag->column = 0;
        diag->offset = 0;
        diag->has_offset = 0;
    }
    mc_diag_set(diag, "%s: %s", path, message);
    return err;
}

/* The error of a model call that failed on the value at path; limit is of what. */
static int model_error(struct mc_diag *diag, int err, const char *path, unsigned limit,
                       const char *what)
{
    if (err == MC_ELIMIT)
        return field_error(diag, err, path, "more than %u %s, the limit", limit, what);
    return field_error(diag, err, path, "%s", mc_strerror(err));
}

static const char *json_type_name(const json_t *v)
{
    static const char *const names[] = {"an object", "an array", "a string", "an integer",
                                        "a number",  "true",     "false",    "null"};
    int type = json_typeof(v);
    return type >= 0 && type < 8 ? names[type] : "a value";
}

/*
 * Writes the path parent.key into out (PATH_BYTES_MAX bytes). A path longer
 * than that is cut: it only names a place in an error message.
 */
static void path_join(char *out, const char *parent, const char *key)
{
    int n = snprintf(out, PATH_BYTES_MAX, "%s%s%s", parent, parent[0] != '\0' ? "." : "", key);
    if (n < 0)
        out[0] = '\0';
}

/* The member key of object o at parent.key; an error when it is missing. */
static int member_get(const json_t *o, const char *parent, const char *key, json_t **out,
                      char *path, struct mc_diag *diag)
{
    path_join(path, parent, key);
    *out = json_object_get(o, key);
    if (*out == NULL)
        return field_error(diag, MC_EPARSE, path, "missing");
    return 0;
}

/* A string member; null gives NULL when nullable. */
static int string_get(const json_t *o, const char *parent, const char *key, int nullable,
                      const char **out, struct mc_diag *diag)
{
    char path[PATH_BYTES_MAX];
    json_t *v = NULL;
    int err = member_get(o, parent, key, &v, path, diag);
    if (err != 0)
        return err;
    if (nullable && json_is_null(v)) {
        *out = NULL;
        return 0;
    }
    if (!json_is_string(v))
        return field_error(diag, MC_EPARSE, path, "expected a string%s, got %s",
                           nullable ? " or null" : "", json_type_name(v));
    *out = json_string_value(v);
    return 0;
}

/* Parses 1 to 20 decimal digits without overflow; -1 if s is not that. */
static int u64_parse(const char *s, uint64_t *out)
{
    size_t n = strlen(s);
    if (n == 0 || n > 20)
        return -1;
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        uint64_t digit = (uint64_t)(s[i] - '0');
        if (v > (UINT64_MAX - digit) / 10)
            return -1;
        v = v * 10 + digit;
    }
    *out = v;
    return 0;
}

/* A uint64: a string of decimal digits (as written) or a non-negative integer. */
static int u64_get(const json_t *o, const char *parent, const char *key, uint64_t *out,
                   struct mc_diag *diag)
{
    char path[PATH_BYTES_MAX];
    json_t *v = NULL;
    int err = member_get(o, parent, key, &v, path, diag);
    if (err != 0)
        return err;
    if (json_is_integer(v) && json_integer_value(v) >= 0) {
        *out = (uint64_t)json_integer_value(v);
        return 0;
    }
    if (json_is_string(v) && u64_parse(json_string_value(v), out) == 0)
        return 0;
    return field_error(diag, MC_EPARSE, path,
                       "expected an unsigned 64-bit integer as a string of decimal digits");
}

/* The trace hash: exactly 16 hexadecimal digits. */
static int hex16_get(const json_t *o, const char *parent, const char *key, uint64_t *out,
                     struct mc_diag *diag)
{
    const char *s = NULL;
    int err = string_get(o, parent, key, 0, &s, diag);
    if (err != 0)
        return err;
    uint64_t v = 0;
    size_t n = 0;
    for (; n <= 16 && s[n] != '\0'; n++) {
        char ch = s[n];
        int digit = ch >= '0' && ch <= '9'   ? ch - '0'
                    : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10
                    : ch >= 'A' && ch <= 'F' ? ch - 'A' + 10
                                             : -1;
        if (digit < 0)
            break;
        v = (v << 4) | (uint64_t)digit;
    }
    if (n != 16 || s[n] != '\0') {
        char path[PATH_BYTES_MAX];
        path_join(path, parent, key);
        return field_error(diag, MC_EPARSE, path, "expected 16 hexadecimal digits");
    }
    *out = v;
    return 0;
}

/* A duration in units of ns_per_unit nanoseconds (named unit), as a non-negative number. */
static int duration_get(const json_t *o, const char *parent, const char *key, double ns_per_unit,
                        const char *unit, uint64_t *out_ns, struct mc_diag *diag)
{
    char path[PATH_BYTES_MAX];
    json_t *v = NULL;
    int err = member_get(o, parent, key, &v, path, diag);
    if (err != 0)
        return err;
    double ns = json_is_number(v) ? json_number_value(v) * ns_per_unit : -1.0;
    /* 1.8e19 is just under 2^64: the largest count of ns that converts. */
    if (!(ns >= 0.0 && ns < 1.8e19))
        return field_error(diag, MC_EPARSE, path, "expected a number of %s from 0 to below %g",
                           unit, 1.8e19 / ns_per_unit);
    *out_ns = (uint64_t)(ns + 0.5); /* to the nearest ns; ns >= 0 */
    return 0;
}

/* The verdict or level member: one of the names of its enum. */
static int enum_get(const json_t *o, const char *parent, const char *key, int is_verdict, int *out,
                    struct mc_diag *diag)
{
    const char *name = NULL;
    int err = string_get(o, parent, key, 0, &name, diag);
    if (err != 0)
        return err;
    enum report_verdict verdict = REPORT_PASS;
    enum report_level level = REPORT_LEVEL_MUST;
    err = is_verdict ? report_verdict_parse(name, &verdict) : report_level_parse(name, &level);
    if (err != 0) {
        char path[PATH_BYTES_MAX];
        path_join(path, parent, key);
        return field_error(diag, MC_EPARSE, path, "expected %s, got \"%.64s\"",
                           is_verdict ? "pass, fail, skip or unknown" : "must, should or info",
                           name);
    }
    *out = is_verdict ? (int)verdict : (int)level;
    return 0;
}

/* A list of strings (spec rows or tags), each handed to add. */
static int strings_read(const json_t *o, const char *parent, const char *key, struct report_case *c,
                        int (*add)(struct report_case *, const char *), unsigned limit,
                        struct mc_diag *diag)
{
    char path[PATH_BYTES_MAX];
    json_t *a = NULL;
    int err = member_get(o, parent, key, &a, path, diag);
    if (err != 0)
        return err;
    if (!json_is_array(a))
        return field_error(diag, MC_EPARSE, path, "expected an array, got %s", json_type_name(a));
    for (size_t i = 0; i < json_array_size(a); i++) {
        json_t *item = json_array_get(a, i);
        if (!json_is_string(item))
            return field_error(diag, MC_EPARSE, path, "item %zu: expected a string, got %s", i,
                               json_type_name(item));
        err = add(c, json_string_value(item));
        if (err != 0)
            return model_error(diag, err, path, limit, "items");
    }
    return 0;
}

/* Whether line is the marker "... N more before"; N into *dropped. */
static int dropped_marker_parse(const char *line, uint64_t *dropped)
{
    static const char prefix[] = "... ";
    static const char suffix[] = " more before";
    size_t n = strlen(line);
    size_t fixed = sizeof(prefix) - 1 + sizeof(suffix) - 1;
    if (n <= fixed || strncmp(line, prefix, sizeof(prefix) - 1) != 0 ||
        strcmp(line + n - (sizeof(suffix) - 1), suffix) != 0)
        return 0;
    char digits[24];
    size_t digits_len = n - fixed;
    if (digits_len >= sizeof(digits))
        return 0;
    memcpy(digits, line + sizeof(prefix) - 1, digits_len);
    digits[digits_len] = '\0';
    return u64_parse(digits, dropped) == 0;
}

/* The lines of one actor; a first line that is the marker restores the count. */
static int actor_read(struct report_case *c, const char *actor, const json_t *lines,
                      const char *path, struct mc_diag *diag)
{
    if (!json_is_array(lines))
        return field_error(diag, MC_EPARSE, path, "expected an array of lines, got %s",
                           json_type_name(lines));
    uint64_t dropped = 0;
    size_t first = 0;
    json_t *line0 = json_array_get(lines, 0);
    if (line0 != NULL && json_is_string(line0) &&
        dropped_marker_parse(json_string_value(line0), &dropped))
        first = 1;
    int err = report__actor_log_dropped_add(c, actor, dropped);
    if (err != 0)
        return model_error(diag, err, path, MC_REPORT_ACTORS_MAX, "actors");
    for (size_t i = first; i < json_array_size(lines); i++) {
        json_t *line = json_array_get(lines, i);
        if (!json_is_string(line))
            return field_error(diag, MC_EPARSE, path, "line %zu: expected a string, got %s", i,
                               json_type_name(line));
        err = report_case_actor_log_append(c, actor, json_string_value(line));
        if (err != 0)
            return model_error(diag, err, path, MC_REPORT_ACTORS_MAX, "actors");
    }
    return 0;
}

static int actors_read(struct report_case *c, const json_t *f, const char *parent,
                       struct mc_diag *diag)
{
    char path[PATH_BYTES_MAX];
    json_t *actors = NULL;
    int err = member_get(f, parent, "actors", &actors, path, diag);
    if (err != 0)
        return err;
    if (!json_is_object(actors))
        return field_error(diag, MC_EPARSE, path, "expected an object, got %s",
                           json_type_name(actors));
    const char *actor = NULL;
    json_t *lines = NULL;
    json_object_foreach(actors, actor, lines) {
        char actor_path[PATH_BYTES_MAX];
        path_join(actor_path, path, actor);
        err = actor_read(c, actor, lines, actor_path, diag);
        if (err != 0)
            return err;
    }
    return 0;
}

/*
 * Splits "file:line:col" into desc; a location whose last two parts are
 * not line and column numbers is taken whole as the file (line 0), which
 * is how the writer puts a location whose line is not known.
 */
static int location_split(const char *location, struct report_failure_desc *desc, char **file)
{
    desc->line = 0;
    desc->column = 0;
    *file = NULL;
    if (location == NULL)
        return 0;
    const char *col = strrchr(location, ':');
    const char *line = NULL;
    for (const char *p = col; p != NULL && p > location; p--) {
        if (p[-1] == ':') {
            line = p - 1;
            break;
        }
    }
    uint64_t line_no = 0;
    uint64_t col_no = 0;
    char digits[24];
    size_t line_len = line != NULL ? (size_t)(col - line - 1) : 0;
    int ok = line != NULL && line > location && line_len < sizeof(digits);
    if (ok) {
        memcpy(digits, line + 1, line_len);
        digits[line_len] = '\0';
        ok = u64_parse(digits, &line_no) == 0 && u64_parse(col + 1, &col_no) == 0 && line_no > 0 &&
             line_no <= UINT32_MAX && col_no <= UINT32_MAX;
    }
    size_t file_len = ok ? (size_t)(line - location) : strlen(location);
    *file = mc_strndup(NULL, location, file_len);
    if (*file == NULL)
        return MC_ENOMEM;
    desc->line = ok ? (uint32_t)line_no : 0;
    desc->column = ok ? (uint32_t)col_no : 0;
    return 0;
}

static int failure_read(struct report_case *c, const json_t *o, const char *parent,
                        struct mc_diag *diag)
{
    char path[PATH_BYTES_MAX];
    json_t *f = NULL;
    int err = member_get(o, parent, "failure", &f, path, diag);
    if (err != 0 || json_is_null(f))
        return err;
    if (!json_is_object(f))
        return field_error(diag, MC_EPARSE, path, "expected an object or null, got %s",
                           json_type_name(f));
    struct report_failure_desc desc = {0};
    const char *location = NULL;
    err = string_get(f, path, "step", 1, &desc.step, diag);
    if (err == 0)
        err = string_get(f, path, "location", 1, &location, diag);
    if (err == 0)
        err = string_get(f, path, "expected", 1, &desc.expected, diag);
    if (err == 0)
        err = string_get(f, path, "observed", 1, &desc.observed, diag);
    if (err == 0)
        err = string_get(f, path, "message", 1, &desc.message, diag);
    if (err != 0)
        return err;
    char *file = NULL;
    err = location_split(location, &desc, &file);
    desc.file = file;
    if (err == 0)
        err = report_case_failure_set(c, &desc);
    mc_free(NULL, file);
    if (err != 0)
        return model_error(diag, err, path, 0, "values");
    return actors_read(c, f, path, diag);
}

/* One item of "redirects": {"actor", "step", "line", "to"}. */
static int redirect_read(struct report_case *c, const json_t *r, const char *path,
                         struct mc_diag *diag)
{
    if (!json_is_object(r))
        return field_error(diag, MC_EPARSE, path, "expected an object, got %s", json_type_name(r));
    const char *actor = NULL, *step = NULL, *to = NULL;
    int err = string_get(r, path, "actor", 0, &actor, diag);
    if (err == 0)
        err = string_get(r, path, "step", 1, &step, diag);
    if (err == 0)
        err = string_get(r, path, "to", 0, &to, diag);
    if (err != 0)
        return err;
    char line_path[PATH_BYTES_MAX];
    json_t *line = NULL;
    err = member_get(r, path, "line", &line, line_path, diag);
    if (err != 0)
        return err;
    if (!json_is_null(line) && !(json_is_integer(line) && json_integer_value(line) >= 1 &&
                                 json_integer_value(line) <= UINT32_MAX))
        return field_error(diag, MC_EPARSE, line_path, "expected a line number or null, got %s",
                           json_type_name(line));
    uint32_t line_no = json_is_null(line) ? 0 : (uint32_t)json_integer_value(line);
    err = report_case_redirect_add(c, actor, step, line_no, to);
    if (err != 0)
        return model_error(diag, err, path, REPORT_REDIRECTS_MAX, "redirects");
    return 0;
}

/* "redirects", optional: reports written before it existed have none. */
static int redirects_read(struct report_case *c, const json_t *o, const char *parent,
                          struct mc_diag *diag)
{
    json_t *a = json_object_get(o, "redirects");
    if (a == NULL)
        return 0;
    char path[PATH_BYTES_MAX];
    path_join(path, parent, "redirects");
    if (!json_is_array(a))
        return field_error(diag, MC_EPARSE, path, "expected an array, got %s", json_type_name(a));
    for (size_t i = 0; i < json_array_size(a); i++) {
        char item_path[PATH_BYTES_MAX];
        snprintf(item_path, sizeof(item_path), "%.100s[%zu]", path, i);
        int err = redirect_read(c, json_array_get(a, i), item_path, diag);
        if (err != 0)
            return err;
    }
    return 0;
}

/* The scalar members of a case, read before the case is added. */
struct case_fields {
    const char *id;
    const char *title;
    const char *file;
    const char *reason;
    const char *replay;
    int level;
    int verdict;
    uint64_t seed;
    uint64_t trace_hash;
    uint64_t wall_ns;
    uint64_t sim_ns;
};

static int case_fields_read(const json_t *o, const char *path, struct case_fields *cf,
                            struct mc_diag *diag)
{
    int err = string_get(o, path, "id", 0, &cf->id, diag);
    if (err == 0)
        err = string_get(o, path, "title", 0, &cf->title, diag);
    if (err == 0)
        err = string_get(o, path, "file", 0, &cf->file, diag);
    if (err == 0)
        err = enum_get(o, path, "level", 0, &cf->level, diag);
    if (err == 0)
        err = enum_get(o, path, "verdict", 1, &cf->verdict, diag);
    if (err == 0)
        err = string_get(o, path, "reason", 1, &cf->reason, diag);
    if (err == 0)
        err = u64_get(o, path, "seed", &cf->seed, diag);
    if (err == 0)
        err = hex16_get(o, path, "trace_hash", &cf->trace_hash, diag);
    if (err == 0)
        err = duration_get(o, path, "duration_ms", 1e6, "milliseconds", &cf->wall_ns, diag);
    if (err == 0)
        err = duration_get(o, path, "sim_seconds", 1e9, "seconds", &cf->sim_ns, diag);
    if (err == 0)
        err = string_get(o, path, "replay", 1, &cf->replay, diag);
    return err;
}

static int case_read(struct report_run *run, const json_t *o, size_t index, struct mc_diag *diag)
{
    char path[PATH_BYTES_MAX];
    snprintf(path, sizeof(path), "cases[%zu]", index);
    if (!json_is_object(o))
        return field_error(diag, MC_EPARSE, path, "expected an object, got %s", json_type_name(o));
    struct case_fields cf = {0};
    int err = case_fields_read(o, path, &cf, diag);
    if (err != 0)
        return err;
    struct report_case *c = NULL;
    err = report_run_case_add(run, cf.id, cf.title, cf.file, &c);
    if (err == 0)
        err = report_case_verdict_set(c, (enum report_verdict)cf.verdict, cf.reason);
    if (err == 0)
        err = report_case_replay_set(c, cf.replay);
    if (err != 0)
        return model_error(diag, err, path, MC_REPORT_CASES_MAX, "cases");
    report_case_level_set(c, (enum report_level)cf.level);
    report_case_seed_set(c, cf.seed);
    report_case_trace_hash_set(c, cf.trace_hash);
    report_case_duration_set(c, cf.sim_ns, cf.wall_ns);
    err = strings_read(o, path, "spec", c, report_case_spec_add, MC_REPORT_SPEC_ROWS_MAX, diag);
    if (err == 0)
        err = strings_read(o, path, "tags", c, report_case_tag_add, MC_REPORT_TAGS_MAX, diag);
    if (err == 0)
        err = redirects_read(c, o, path, diag);
    if (err == 0)
        err = failure_read(c, o, path, diag);
    return err;
}

/* The totals must say what the cases say: a hand-edited report is caught. */
static int totals_check(const struct report_run *run, const json_t *root, struct mc_diag *diag)
{
    static const char *const keys[] = {"cases", "passed", "failed", "skipped", "unknown"};
    struct report_totals t;
    report_run_totals_count(run, &t);
    const uint32_t counts[] = {t.cases_count, t.verdict_counts[REPORT_PASS],
                               t.verdict_counts[REPORT_FAIL], t.verdict_counts[REPORT_SKIP],
                               t.verdict_counts[REPORT_UNKNOWN]};
    char path[PATH_BYTES_MAX];
    json_t *totals = NULL;
    int err = member_get(root, "", "totals", &totals, path, diag);
    if (err == 0 && !json_is_object(totals))
        err = field_error(diag, MC_EPARSE, path, "expected an object, got %s",
                          json_type_name(totals));
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]) && err == 0; i++) {
        json_t *v = NULL;
        err = member_get(totals, "totals", keys[i], &v, path, diag);
        if (err == 0 && !json_is_integer(v))
            err = field_error(diag, MC_EPARSE, path, "expected an integer, got %s",
                              json_type_name(v));
        if (err == 0 && json_integer_value(v) != (json_int_t)counts[i])
            err = field_error(diag, MC_EPARSE, path,
                              "says %" JSON_INTEGER_FORMAT ", but the cases give %" PRIu32,
                              json_integer_value(v), counts[i]);
    }
    return err;
}

/* The run's own members; creates *run. */
static int run_head_read(const json_t *root, struct report_run **run, struct mc_diag *diag)
{
    const char *tool = NULL;
    const char *version = NULL;
    const char *target = NULL;
    const char *started = NULL;
    uint64_t wall_ns = 0;
    uint64_t seed = 0;
    int err = string_get(root, "", "tool", 0, &tool, diag);
    if (err == 0 && strcmp(tool, "mesos-conform") != 0)
        err =
            field_error(diag, MC_EPARSE, "tool", "expected \"mesos-conform\", got \"%.64s\"", tool);
    if (err == 0)
        err = string_get(root, "", "version", 0, &version, diag);
    if (err == 0)
        err = string_get(root, "", "target", 0, &target, diag);
    if (err == 0)
        err = string_get(root, "", "started", 0, &started, diag);
    if (err == 0)
        err = duration_get(root, "", "duration_ms", 1e6, "milliseconds", &wall_ns, diag);
    if (err == 0)
        err = u64_get(root, "", "seed", &seed, diag);
    if (err == 0 && (err = report_run_create(NULL, version, target, started, run)) != 0)
        return model_error(diag, err, "report", 0, "values");
    if (err == 0) {
        report_run_seed_set(*run, seed);
        report_run_wall_ns_set(*run, wall_ns);
    }
    return err;
}

static int run_read(const json_t *root, struct report_run **run, struct mc_diag *diag)
{
    if (!json_is_object(root))
        return field_error(diag, MC_EPARSE, "report", "expected an object, got %s",
                           json_type_name(root));
    int err = run_head_read(root, run, diag);
    if (err != 0)
        return err;
    char path[PATH_BYTES_MAX];
    json_t *cases = NULL;
    err = member_get(root, "", "cases", &cases, path, diag);
    if (err == 0 && !json_is_array(cases))
        err =
            field_error(diag, MC_EPARSE, path, "expected an array, got %s", json_type_name(cases));
    if (err == 0 && json_array_size(cases) > MC_REPORT_CASES_MAX)
        err = field_error(diag, MC_ELIMIT, path, "%zu cases, more than the limit of %u",
                          json_array_size(cases), MC_REPORT_CASES_MAX);
    for (size_t i = 0; err == 0 && i < json_array_size(cases); i++)
        err = case_read(*run, json_array_get(cases, i), i, diag);
    if (err == 0)
        err = totals_check(*run, root, diag);
    return err;
}

/* Fills diag from jansson's error: where its parser stopped, and why. */
static int syntax_error(struct mc_diag *diag, const json_error_t *jerr)
{
    if (json_error_code(jerr) == json_error_out_of_memory) {
        mc_diag_set(diag, "out of memory while parsing JSON");
        return MC_ENOMEM;
    }
    if (diag != NULL) {
        diag->line = jerr->line > 0 ? (uint32_t)jerr->line : 1;
        diag->column = jerr->column > 0 ? (uint32_t)jerr->column : 1;
    }
    /* jansson counts the bytes it read, up to and including the bad one. */
    uint64_t offset = jerr->position > 0 ? (uint64_t)jerr->position - 1 : 0;
    mc_diag_set_at(diag, offset, "invalid JSON: %s", jerr->text);
    return MC_EPARSE;
}

int report_read_json(const char *text, size_t len, struct report_run **out, struct mc_diag *diag)
{
    MC_ASSERT(text != NULL || len == 0);
    MC_ASSERT(out != NULL);
    if (diag != NULL) {
        /* The caller's source name stays; positions and text are ours. */
        diag->line = 0;
        diag->column = 0;
        diag->offset = 0;
        diag->has_offset = 0;
        diag->text[0] = '\0';
    }
    if (len > MC_REPORT_JSON_BYTES_MAX) {
        mc_diag_set(diag, "report is %zu bytes, more than the limit of %zu", len,
                    (size_t)MC_REPORT_JSON_BYTES_MAX);
        return MC_ELIMIT;
    }
    json_error_t jerr;
    json_t *root = json_loadb(text != NULL ? text : "", len, JSON_REJECT_DUPLICATES, &jerr);
    if (root == NULL)
        return syntax_error(diag, &jerr);
    struct report_run *run = NULL;
    int err = run_read(root, &run, diag);
    json_decref(root);
    if (err != 0) {
        report_run_destroy(run);
        return err;
    }
    *out = run;
    return 0;
}
