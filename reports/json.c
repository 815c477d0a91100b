/*
 * json.c: the report as one JSON object, for tools (schema in README.md).
 *
 * The object is built as a jansson tree and dumped with its keys in the
 * order they were inserted (JSON_PRESERVE_ORDER), so the output never
 * depends on hash order. Every case has every key, null when a value is
 * absent, so readers need no guessing. 64-bit values (seeds, trace hashes)
 * are strings: a JSON number cannot hold every uint64 in JavaScript or in
 * jansson. Durations are numbers written with 15 significant digits, which
 * gives each nanosecond back when read (up to about 11 days).
 */
#include <inttypes.h>
#include <stdio.h>

#include <jansson.h>

#include "mc_assert.h"
#include "report_internal.h"

#define JSON_DUMP_FLAGS (JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(15))

/*
 * Every builder below returns a new reference, or NULL when jansson could
 * not allocate; json_object_set_new and json_array_append_new accept NULL
 * (and fail), so one check at the end of each builder is enough.
 */

static json_t *str_or_null(const char *s)
{
    return s != NULL ? json_string(s) : json_null();
}

static json_t *u64_decimal(uint64_t v)
{
    char text[24];
    snprintf(text, sizeof(text), "%" PRIu64, v);
    return json_string(text);
}

static json_t *u64_hex16(uint64_t v)
{
    char text[24];
    snprintf(text, sizeof(text), "%016" PRIx64, v);
    return json_string(text);
}

/* Drops o and returns NULL when bad says a part of it could not be made. */
static json_t *built(json_t *o, int bad)
{
    if (o != NULL && bad == 0)
        return o;
    json_decref(o);
    return NULL;
}

static json_t *string_array(char *const *items, uint32_t count)
{
    json_t *a = json_array();
    int bad = a == NULL;
    for (uint32_t i = 0; i < count && !bad; i++)
        bad |= json_array_append_new(a, json_string(items[i]));
    return built(a, bad);
}

/* An actor's lines, after the marker "... N more before" when some were lost. */
static json_t *actor_lines(const struct report_actor_log *log)
{
    json_t *a = json_array();
    int bad = a == NULL;
    if (!bad && log->lines_dropped_count > 0) {
        char marker[64];
        snprintf(marker, sizeof(marker), REPORT__DROPPED_MARKER_FMT, log->lines_dropped_count);
        bad |= json_array_append_new(a, json_string(marker));
    }
    for (uint32_t i = 0; i < log->lines_count && !bad; i++)
        bad |= json_array_append_new(a, json_string(report_actor_log_line_get(log, i)));
    return built(a, bad);
}

/* "file:line:col", or "file" when the line is not known, or null. */
static json_t *location(const struct report_failure *f)
{
    if (f->file == NULL)
        return json_null();
    if (f->line == 0)
        return json_string(f->file);
    char text[MC_REPORT_LINE_BYTES_MAX + 32]; /* a file name and two numbers */
    int n = snprintf(text, sizeof(text), "%s:%" PRIu32 ":%" PRIu32, f->file, f->line, f->column);
    MC_ASSERT(n > 0 && (size_t)n < sizeof(text));
    return json_string(text);
}

static json_t *failure_object(const struct report_failure *f)
{
    if (f == NULL)
        return json_null();
    json_t *o = json_object();
    json_t *actors = json_object();
    int bad = o == NULL || actors == NULL;
    bad |= json_object_set_new(o, "step", str_or_null(f->step));
    bad |= json_object_set_new(o, "location", location(f));
    bad |= json_object_set_new(o, "expected", str_or_null(f->expected));
    bad |= json_object_set_new(o, "observed", str_or_null(f->observed));
    bad |= json_object_set_new(o, "message", str_or_null(f->message));
    for (uint32_t i = 0; i < f->actors_count && !bad; i++)
        bad |= json_object_set_new(actors, f->actors[i].actor, actor_lines(&f->actors[i]));
    bad |= json_object_set_new(o, "actors", actors);
    return built(o, bad);
}

static json_t *redirects_array(const struct report_case *c)
{
    json_t *a = json_array();
    int bad = a == NULL;
    for (uint32_t i = 0; i < c->redirects_count && !bad; i++) {
        const struct report_redirect *r = &c->redirects[i];
        json_t *o = json_object();
        bad |= o == NULL;
        bad |= json_object_set_new(o, "actor", json_string(r->actor));
        bad |= json_object_set_new(o, "step", str_or_null(r->step));
        bad |= json_object_set_new(o, "line", r->line > 0 ? json_integer(r->line) : json_null());
        bad |= json_object_set_new(o, "to", json_string(r->to));
        bad |= json_array_append_new(a, built(o, bad));
    }
    return built(a, bad);
}

static json_t *case_object(const struct report_case *c)
{
    json_t *o = json_object();
    int bad = o == NULL;
    bad |= json_object_set_new(o, "id", json_string(c->id));
    bad |= json_object_set_new(o, "title", json_string(c->title));
    bad |= json_object_set_new(o, "file", json_string(c->file));
    bad |= json_object_set_new(o, "level", json_string(report_level_name(c->level)));
    bad |= json_object_set_new(o, "spec", string_array(c->spec_rows, c->spec_rows_count));
    bad |= json_object_set_new(o, "tags", string_array(c->tags, c->tags_count));
    bad |= json_object_set_new(o, "verdict", json_string(report_verdict_name(c->verdict)));
    bad |= json_object_set_new(o, "reason", str_or_null(c->reason));
    bad |= json_object_set_new(o, "seed", u64_decimal(c->seed));
    bad |= json_object_set_new(o, "trace_hash", u64_hex16(c->trace_hash));
    bad |= json_object_set_new(o, "duration_ms", json_real((double)c->wall_ns / 1e6));
    bad |= json_object_set_new(o, "sim_seconds", json_real((double)c->sim_ns / 1e9));
    bad |= json_object_set_new(o, "replay", str_or_null(c->replay));
    bad |= json_object_set_new(o, "redirects", redirects_array(c));
    bad |= json_object_set_new(o, "failure", failure_object(c->failure));
    return built(o, bad);
}

static json_t *totals_object(const struct report_run *run)
{
    struct report_totals t;
    report_run_totals_count(run, &t);
    json_t *o = json_object();
    int bad = o == NULL;
    bad |= json_object_set_new(o, "cases", json_integer(t.cases_count));
    bad |= json_object_set_new(o, "passed", json_integer(t.verdict_counts[REPORT_PASS]));
    bad |= json_object_set_new(o, "failed", json_integer(t.verdict_counts[REPORT_FAIL]));
    bad |= json_object_set_new(o, "skipped", json_integer(t.verdict_counts[REPORT_SKIP]));
    bad |= json_object_set_new(o, "unknown", json_integer(t.verdict_counts[REPORT_UNKNOWN]));
    return built(o, bad);
}

static json_t *run_object(const struct report_run *run)
{
    json_t *o = json_object();
    json_t *cases = json_array();
    int bad = o == NULL || cases == NULL;
    bad |= json_object_set_new(o, "tool", json_string("mesos-conform"));
    bad |= json_object_set_new(o, "version", json_string(run->version));
    bad |= json_object_set_new(o, "target", json_string(run->target));
    bad |= json_object_set_new(o, "started", json_string(run->started));
    bad |= json_object_set_new(o, "duration_ms", json_real((double)run->wall_ns / 1e6));
    bad |= json_object_set_new(o, "seed", u64_decimal(run->seed));
    bad |= json_object_set_new(o, "totals", totals_object(run));
    for (uint32_t i = 0; i < run->cases_count && !bad; i++)
        bad |= json_array_append_new(cases, case_object(run->cases[i]));
    bad |= json_object_set_new(o, "cases", cases);
    return built(o, bad);
}

/* Where json_dump_callback sends its text: the caller's buffer. */
struct json_sink {
    struct mc_buf *out;
    int err;
};

/*
 * The first error sticks: jansson does not stop at every failed write, and
 * a later write must not land after a gap in the text.
 */
static int json_sink_write(const char *buffer, size_t size, void *data)
{
    struct json_sink *sink = data;
    if (sink->err == 0)
        sink->err = mc_buf_append(sink->out, buffer, size);
    return sink->err == 0 ? 0 : -1;
}

int report_write_json(const struct report_run *run, struct mc_buf *out)
{
    MC_ASSERT(run != NULL && out != NULL);
    size_t len_before = out->len;
    json_t *root = run_object(run);
    if (root == NULL)
        return MC_ENOMEM;
    struct json_sink sink = {out, 0};
    int err = 0;
    int dumped = json_dump_callback(root, json_sink_write, &sink, JSON_DUMP_FLAGS);
    if (sink.err != 0)
        err = sink.err;
    else if (dumped != 0)
        err = MC_ENOMEM; /* jansson's own allocation failed */
    json_decref(root);
    if (err == 0)
        err = mc_buf_append_byte(out, '\n');
    if (err != 0)
        report__buf_truncate(out, len_before);
    return err;
}
