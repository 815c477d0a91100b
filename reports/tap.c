/*
 * tap.c: the report as TAP version 13 (testanything.org).
 *
 * "ok N - id title" per pass, "ok N - id title # SKIP reason" per skip,
 * "not ok N - id title" per fail or unknown followed by a YAML block ("---"
 * to "...") that holds the details. In a test line '#' and '\' are escaped
 * with '\' as TAP asks, and control characters are written as the text
 * \xNN (so the line holds "\\xNN"). In the YAML block every value is a
 * double-quoted scalar with YAML's own escapes, which can carry any string;
 * JSON string rules would also read it. The last line is a comment with the
 * plain totals, the same as the text report's.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "mc_assert.h"
#include "report_internal.h"

/* Appends s for a test line: '#' and '\' escaped, controls as \xNN text. */
static int tap_line_put(struct mc_buf *out, const char *s)
{
    size_t n = strlen(s);
    int err = 0;
    for (size_t i = 0; i < n && err == 0;) {
        uint32_t cp = 0;
        size_t len = report__utf8_decode(s + i, n - i, &cp);
        if (cp == '#' || cp == '\\')
            err = mc_buf_appendf(out, "\\%c", (char)cp);
        else if (cp < 0x20 || cp == 0x7F)
            err = mc_buf_appendf(out, "\\\\x%02" PRIx32, cp);
        else if (cp >= 0x80 && cp <= 0x9F)
            err = mc_buf_appendf(out, "\\\\u%04" PRIx32, cp);
        else
            err = mc_buf_append(out, s + i, len);
        i += len;
    }
    return err;
}

/* The YAML double-quoted escape of one character, or NULL for itself. */
static const char *yaml_char_escape(uint32_t cp, char *tmp)
{
    switch (cp) {
    case '"':
        return "\\\"";
    case '\\':
        return "\\\\";
    case '\n':
        return "\\n";
    case '\t':
        return "\\t";
    case '\r':
        return "\\r";
    default:
        break;
    }
    /* YAML allows only printable characters in a scalar; \x is U+00NN there. */
    if (cp < 0x20 || (cp >= 0x7F && cp <= 0x9F && cp != 0x85)) {
        snprintf(tmp, 16, "\\x%02" PRIx32, cp);
        return tmp;
    }
    if (cp == 0xFEFF || cp == 0xFFFE || cp == 0xFFFF) {
        snprintf(tmp, 16, "\\u%04" PRIx32, cp);
        return tmp;
    }
    return NULL;
}

/* Appends s as a YAML double-quoted scalar. */
static int yaml_quoted_put(struct mc_buf *out, const char *s)
{
    size_t n = strlen(s);
    size_t plain_start = 0;
    size_t i = 0;
    int err = mc_buf_append_byte(out, '"');
    while (i < n && err == 0) {
        uint32_t cp = 0;
        char tmp[16];
        size_t len = report__utf8_decode(s + i, n - i, &cp);
        const char *rep = yaml_char_escape(cp, tmp);
        if (rep != NULL) {
            err = mc_buf_append(out, s + plain_start, i - plain_start);
            if (err == 0)
                err = mc_buf_append_str(out, rep);
            plain_start = i + len;
        }
        i += len;
    }
    if (err == 0)
        err = mc_buf_append(out, s + plain_start, n - plain_start);
    if (err == 0)
        err = mc_buf_append_byte(out, '"');
    return err;
}

/* "<indent>key: "value"\n", skipped when value is NULL. */
static int yaml_field_put(struct mc_buf *out, const char *indent, const char *key,
                          const char *value)
{
    if (value == NULL)
        return 0;
    int err = mc_buf_appendf(out, "%s%s: ", indent, key);
    if (err == 0)
        err = yaml_quoted_put(out, value);
    if (err == 0)
        err = mc_buf_append_byte(out, '\n');
    return err;
}

/* "  spec:" with one "    - "row"" per row, when there is any. */
static int yaml_spec_put(struct mc_buf *out, const struct report_case *c)
{
    int err = 0;
    if (c->spec_rows_count > 0)
        err = mc_buf_append_str(out, "  spec:\n");
    for (uint32_t i = 0; i < c->spec_rows_count && err == 0; i++) {
        err = mc_buf_append_str(out, "    - ");
        if (err == 0)
            err = yaml_quoted_put(out, c->spec_rows[i]);
        if (err == 0)
            err = mc_buf_append_byte(out, '\n');
    }
    return err;
}

/* "  actors:" with a list of lines per actor, the lost-lines marker first. */
static int yaml_actors_put(struct mc_buf *out, const struct report_failure *f)
{
    int err = f->actors_count > 0 ? mc_buf_append_str(out, "  actors:\n") : 0;
    for (uint32_t i = 0; i < f->actors_count && err == 0; i++) {
        const struct report_actor_log *log = &f->actors[i];
        err = mc_buf_append_str(out, "    ");
        if (err == 0)
            err = yaml_quoted_put(out, log->actor);
        if (err == 0)
            err = mc_buf_append_str(
                out, log->lines_count + log->lines_dropped_count > 0 ? ":\n" : ": []\n");
        if (err == 0 && log->lines_dropped_count > 0)
            err = mc_buf_appendf(out, "      - \"" REPORT__DROPPED_MARKER_FMT "\"\n",
                                 log->lines_dropped_count);
        for (uint32_t j = 0; j < log->lines_count && err == 0; j++) {
            err = mc_buf_append_str(out, "      - ");
            if (err == 0)
                err = yaml_quoted_put(out, report_actor_log_line_get(log, j));
            if (err == 0)
                err = mc_buf_append_byte(out, '\n');
        }
    }
    return err;
}

/* The "at" field: "file:line:col" of the failing step, or the case's file. */
static int yaml_at_put(struct mc_buf *out, const struct report_case *c)
{
    const struct report_failure *f = c->failure;
    if (f == NULL || f->file == NULL)
        return yaml_field_put(out, "  ", "at", c->file);
    char at[MC_REPORT_LINE_BYTES_MAX + 32];
    if (f->line > 0)
        snprintf(at, sizeof(at), "%s:%" PRIu32 ":%" PRIu32, f->file, f->line, f->column);
    else
        snprintf(at, sizeof(at), "%s", f->file);
    return yaml_field_put(out, "  ", "at", at);
}

/* The YAML block of a failed or unknown case. */
static int yaml_block_put(struct mc_buf *out, const struct report_case *c)
{
    const struct report_failure *f = c->failure;
    int err = mc_buf_appendf(out, "  ---\n  verdict: %s\n  level: %s\n",
                             report_verdict_name(c->verdict), report_level_name(c->level));
    if (err == 0)
        err = yaml_spec_put(out, c);
    if (err == 0)
        err = yaml_at_put(out, c);
    if (err == 0)
        err = yaml_field_put(out, "  ", "reason", c->reason);
    if (err == 0 && f != NULL) {
        err = yaml_field_put(out, "  ", "step", f->step);
        if (err == 0)
            err = yaml_field_put(out, "  ", "message", f->message);
        if (err == 0)
            err = yaml_field_put(out, "  ", "expected", f->expected);
        if (err == 0)
            err = yaml_field_put(out, "  ", "observed", f->observed);
        if (err == 0)
            err = yaml_actors_put(out, f);
    }
    if (err == 0)
        err = mc_buf_appendf(out, "  seed: \"%" PRIu64 "\"\n  trace_hash: \"%016" PRIx64 "\"\n",
                             c->seed, c->trace_hash);
    if (err == 0)
        err = yaml_field_put(out, "  ", "replay", c->replay);
    if (err == 0)
        err = mc_buf_append_str(out, "  ...\n");
    return err;
}

/* "ok N - id title" (with "# SKIP reason") or "not ok N - ..." and its block. */
static int tap_case_put(struct mc_buf *out, const struct report_case *c, uint32_t number)
{
    int ok = c->verdict == REPORT_PASS || c->verdict == REPORT_SKIP;
    int err = mc_buf_appendf(out, "%sok %" PRIu32 " - ", ok ? "" : "not ", number);
    if (err == 0)
        err = tap_line_put(out, c->id);
    if (err == 0)
        err = mc_buf_append_byte(out, ' ');
    if (err == 0)
        err = tap_line_put(out, c->title);
    if (err == 0 && c->verdict == REPORT_SKIP) {
        err = mc_buf_append_str(out, " # SKIP");
        if (err == 0 && c->reason != NULL)
            err = mc_buf_append_byte(out, ' ');
        if (err == 0 && c->reason != NULL)
            err = tap_line_put(out, c->reason);
    }
    if (err == 0)
        err = mc_buf_append_byte(out, '\n');
    if (err == 0 && !ok)
        err = yaml_block_put(out, c);
    return err;
}

int report_write_tap(const struct report_run *run, struct mc_buf *out)
{
    MC_ASSERT(run != NULL && out != NULL);
    size_t len_before = out->len;
    int err = mc_buf_appendf(out, "TAP version 13\n1..%" PRIu32 "\n", run->cases_count);
    for (uint32_t i = 0; i < run->cases_count && err == 0; i++)
        err = tap_case_put(out, run->cases[i], i + 1);
    struct report_totals totals;
    report_run_totals_count(run, &totals);
    if (err == 0)
        err = mc_buf_append_str(out, "# ");
    if (err == 0)
        err = report__totals_line_put(out, &totals);
    if (err == 0)
        err = mc_buf_append_byte(out, '\n');
    if (err != 0)
        report__buf_truncate(out, len_before);
    return err;
}
