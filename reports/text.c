/*
 * text.c: the report a person reads in a terminal.
 *
 * One line per case, then the details of every failed or unknown case, then
 * a summary line and, last, the plain totals line CI systems look for
 * ("61 passed, 0 failed, 2 skipped"). Strings from a target are untrusted:
 * a control character could move the cursor or recolour the terminal, so
 * every C0 and C1 control except tab (and newline where a value may span
 * lines) is written as the text \xNN or \uNNNN.
 */
#include <inttypes.h>
#include <string.h>

#include "mc_assert.h"
#include "report_internal.h"

/* The verdict words of the case lines, all padded to the longest. */
static const char *const verdict_words[REPORT_VERDICT_COUNT] = {"PASS", "FAIL", "SKIP", "UNKNOWN"};
#define VERDICT_WORD_WIDTH 7
/* ANSI colours: green, red, yellow, magenta; and back to normal. */
static const char *const verdict_colours[REPORT_VERDICT_COUNT] = {"\033[32m", "\033[31m",
                                                                  "\033[33m", "\033[35m"};
#define COLOUR_RESET "\033[0m"

/* Width of the indent under a "  key: " prefix, so that continued lines align. */
#define FIELD_INDENT_BYTES_MAX 32

/* Whether a character is written as an escape rather than as itself. */
static int char_is_escaped(uint32_t cp)
{
    if (cp == '\t')
        return 0;
    return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F);
}

int report__text_escaped_put(struct mc_buf *out, const char *s, const char *indent)
{
    MC_ASSERT(out != NULL && s != NULL);
    size_t n = strlen(s);
    size_t plain_start = 0;
    size_t i = 0;
    int err = 0;
    while (i < n && err == 0) {
        uint32_t cp = 0;
        size_t len = report__utf8_decode(s + i, n - i, &cp);
        if (!char_is_escaped(cp)) {
            i += len;
            continue;
        }
        err = mc_buf_append(out, s + plain_start, i - plain_start);
        if (err == 0 && cp == '\n' && indent != NULL)
            err = mc_buf_appendf(out, "\n%s", indent);
        else if (err == 0 && cp == '\n')
            err = mc_buf_append_str(out, "\\n");
        else if (err == 0)
            err = mc_buf_appendf(out, cp < 0x80 ? "\\x%02" PRIx32 : "\\u%04" PRIx32, cp);
        i += len;
        plain_start = i;
    }
    if (err == 0)
        err = mc_buf_append(out, s + plain_start, n - plain_start);
    return err;
}

/* Appends "prefix" + value + newline; continued lines align under the value. */
static int field_put(struct mc_buf *out, const char *prefix, const char *value)
{
    char indent[FIELD_INDENT_BYTES_MAX];
    size_t width = strlen(prefix);
    MC_ASSERT(width < sizeof(indent));
    memset(indent, ' ', width);
    indent[width] = '\0';
    int err = mc_buf_append_str(out, prefix);
    if (err == 0)
        err = report__text_escaped_put(out, value, indent);
    if (err == 0)
        err = mc_buf_append_byte(out, '\n');
    return err;
}

/* The line "  at: file:line:col", the failing step's place or else the file. */
static int location_put(const struct report_case *c, struct mc_buf *out)
{
    const struct report_failure *f = c->failure;
    int err = mc_buf_append_str(out, "  at: ");
    if (f != NULL && f->file != NULL) {
        if (err == 0)
            err = report__text_escaped_put(out, f->file, NULL);
        if (err == 0 && f->line > 0)
            err = mc_buf_appendf(out, ":%" PRIu32 ":%" PRIu32, f->line, f->column);
    } else if (err == 0) {
        err = report__text_escaped_put(out, c->file, NULL);
    }
    if (err == 0)
        err = mc_buf_append_byte(out, '\n');
    return err;
}

/* The lines "  spec: S4, W8a" (when any) and "  level: must". */
static int spec_put(const struct report_case *c, struct mc_buf *out)
{
    int err = mc_buf_appendf(out, "  level: %s\n", report_level_name(c->level));
    for (uint32_t i = 0; i < c->spec_rows_count && err == 0; i++) {
        err = mc_buf_append_str(out, i == 0 ? "  spec: " : ", ");
        if (err == 0)
            err = report__text_escaped_put(out, c->spec_rows[i], NULL);
    }
    if (err == 0 && c->spec_rows_count > 0)
        err = mc_buf_append_byte(out, '\n');
    return err;
}

/* "  last events of ACTOR:" and its lines, after a marker for lost ones. */
static int actor_log_put(const struct report_actor_log *log, struct mc_buf *out)
{
    int err = mc_buf_append_str(out, "  last events of ");
    if (err == 0)
        err = report__text_escaped_put(out, log->actor, NULL);
    if (err == 0)
        err = mc_buf_append_str(out, ":\n");
    if (err == 0 && log->lines_dropped_count > 0)
        err = mc_buf_appendf(out, "    " REPORT__DROPPED_MARKER_FMT "\n", log->lines_dropped_count);
    for (uint32_t i = 0; i < log->lines_count && err == 0; i++) {
        err = mc_buf_append_str(out, "    ");
        if (err == 0)
            err = report__text_escaped_put(out, report_actor_log_line_get(log, i), NULL);
        if (err == 0)
            err = mc_buf_append_byte(out, '\n');
    }
    return err;
}

/* "PREFIXredirected: s1 (line 12, s1 subscribe) to 10.0.0.2:5050", one per redirect. */
static int redirects_put(const struct report_case *c, const char *prefix, struct mc_buf *out)
{
    int err = 0;
    for (uint32_t i = 0; i < c->redirects_count && err == 0; i++) {
        const struct report_redirect *r = &c->redirects[i];
        err = mc_buf_appendf(out, "%sredirected: ", prefix);
        if (err == 0)
            err = report__text_escaped_put(out, r->actor, NULL);
        if (err == 0 && (r->line > 0 || r->step != NULL)) {
            err = mc_buf_append_str(out, " (");
            if (err == 0 && r->line > 0)
                err = mc_buf_appendf(out, "line %" PRIu32 "%s", r->line, r->step ? ", " : "");
            if (err == 0 && r->step != NULL)
                err = report__text_escaped_put(out, r->step, NULL);
            if (err == 0)
                err = mc_buf_append_byte(out, ')');
        }
        if (err == 0)
            err = mc_buf_append_str(out, " to ");
        if (err == 0)
            err = report__text_escaped_put(out, r->to, NULL);
        if (err == 0)
            err = mc_buf_append_byte(out, '\n');
    }
    return err;
}

/* The failure's own lines: step, message, expected, observed, actor logs. */
static int failure_put(const struct report_failure *f, struct mc_buf *out)
{
    int err = 0;
    if (f->step != NULL)
        err = field_put(out, "  step: ", f->step);
    if (err == 0 && f->message != NULL)
        err = field_put(out, "  message: ", f->message);
    if (err == 0 && f->expected != NULL)
        err = field_put(out, "  expected: ", f->expected);
    if (err == 0 && f->observed != NULL)
        err = field_put(out, "  observed: ", f->observed);
    for (uint32_t i = 0; i < f->actors_count && err == 0; i++)
        err = actor_log_put(&f->actors[i], out);
    return err;
}

int report__case_detail_write(const struct report_case *c, struct mc_buf *out)
{
    MC_ASSERT(c != NULL && out != NULL);
    int err = location_put(c, out);
    if (err == 0)
        err = spec_put(c, out);
    if (err == 0 && c->reason != NULL)
        err = field_put(out, "  reason: ", c->reason);
    if (err == 0 && c->failure != NULL)
        err = failure_put(c->failure, out);
    if (err == 0)
        err = redirects_put(c, "  ", out);
    if (err == 0)
        err = mc_buf_appendf(out, "  seed: %" PRIu64 ", trace hash: %016" PRIx64 "\n", c->seed,
                             c->trace_hash);
    /* Unindented, so that `grep '^replay: '` finds every command to rerun. */
    if (err == 0 && c->replay != NULL) {
        err = mc_buf_append_str(out, "replay: ");
        if (err == 0)
            err = report__text_escaped_put(out, c->replay, NULL);
        if (err == 0)
            err = mc_buf_append_byte(out, '\n');
    }
    return err;
}

/* The verdict word, coloured when asked, followed by pad spaces up to width. */
static int verdict_word_put(struct mc_buf *out, enum report_verdict v, uint32_t flags, int pad)
{
    const char *word = verdict_words[v];
    int err = 0;
    if (flags & REPORT_TEXT_COLOUR)
        err = mc_buf_appendf(out, "%s%s" COLOUR_RESET, verdict_colours[v], word);
    else
        err = mc_buf_append_str(out, word);
    if (err == 0 && pad)
        err = mc_buf_appendf(out, "%*s", (int)(VERDICT_WORD_WIDTH - strlen(word)), "");
    return err;
}

/* "PASS    id  title  (sim 1.500s, wall 0.003s)", plus a skip's reason. */
static int case_line_put(const struct report_case *c, struct mc_buf *out, uint32_t flags)
{
    char sim[32];
    char wall[32];
    int err = verdict_word_put(out, c->verdict, flags, 1);
    if (err == 0)
        err = mc_buf_append_byte(out, ' ');
    if (err == 0)
        err = report__text_escaped_put(out, c->id, NULL);
    if (err == 0)
        err = mc_buf_append_str(out, "  ");
    if (err == 0)
        err = report__text_escaped_put(out, c->title, NULL);
    if (err == 0)
        err = mc_buf_appendf(out, "  (sim %ss, wall %ss)\n",
                             report__seconds_format(c->sim_ns, 3, sim),
                             report__seconds_format(c->wall_ns, 3, wall));
    if (err == 0 && c->verdict == REPORT_SKIP && c->reason != NULL)
        err = field_put(out, "        reason: ", c->reason);
    if (err == 0 && (flags & REPORT_TEXT_VERBOSE))
        err = redirects_put(c, "        ", out);
    return err;
}

/* A blank line, "FAIL id: title", then the case's details. */
static int case_details_put(const struct report_case *c, struct mc_buf *out, uint32_t flags)
{
    int err = mc_buf_append_byte(out, '\n');
    if (err == 0)
        err = verdict_word_put(out, c->verdict, flags, 0);
    if (err == 0)
        err = mc_buf_append_byte(out, ' ');
    if (err == 0)
        err = report__text_escaped_put(out, c->id, NULL);
    if (err == 0)
        err = mc_buf_append_str(out, ": ");
    if (err == 0)
        err = report__text_escaped_put(out, c->title, NULL);
    if (err == 0)
        err = mc_buf_append_byte(out, '\n');
    if (err == 0)
        err = report__case_detail_write(c, out);
    return err;
}

int report__totals_line_put(struct mc_buf *out, const struct report_totals *totals)
{
    MC_ASSERT(out != NULL && totals != NULL);
    const uint32_t *n = totals->verdict_counts;
    int err = mc_buf_appendf(out, "%" PRIu32 " passed, %" PRIu32 " failed, %" PRIu32 " skipped",
                             n[REPORT_PASS], n[REPORT_FAIL], n[REPORT_SKIP]);
    if (err == 0 && n[REPORT_UNKNOWN] > 0)
        err = mc_buf_appendf(out, ", %" PRIu32 " unknown", n[REPORT_UNKNOWN]);
    return err;
}

/* "summary: ..." and the plain totals line. */
static int summary_put(const struct report_run *run, struct mc_buf *out)
{
    struct report_totals totals;
    report_run_totals_count(run, &totals);
    char wall[32];
    char sim[32];
    int err = mc_buf_appendf(out, "\nsummary: %" PRIu32 " cases on target ", totals.cases_count);
    if (err == 0)
        err = report__text_escaped_put(out, run->target, NULL);
    if (err == 0)
        err = mc_buf_appendf(out, " in %ss (simulated %ss), mesos-conform ",
                             report__seconds_format(run->wall_ns, 3, wall),
                             report__seconds_format(report__run_sim_ns_sum(run), 3, sim));
    if (err == 0)
        err = report__text_escaped_put(out, run->version, NULL);
    if (err == 0)
        err = mc_buf_append_str(out, ", started ");
    if (err == 0)
        err = report__text_escaped_put(out, run->started, NULL);
    if (err == 0)
        err = mc_buf_append_byte(out, '\n');
    if (err == 0)
        err = report__totals_line_put(out, &totals);
    if (err == 0)
        err = mc_buf_append_byte(out, '\n');
    return err;
}

int report_write_text(const struct report_run *run, struct mc_buf *out, uint32_t flags)
{
    MC_ASSERT(run != NULL && out != NULL);
    MC_ASSERT((flags & ~(REPORT_TEXT_COLOUR | REPORT_TEXT_VERBOSE)) == 0);
    size_t len_before = out->len;
    int err = 0;
    for (uint32_t i = 0; i < run->cases_count && err == 0; i++)
        err = case_line_put(run->cases[i], out, flags);
    for (uint32_t i = 0; i < run->cases_count && err == 0; i++) {
        const struct report_case *c = run->cases[i];
        if (c->verdict == REPORT_FAIL || c->verdict == REPORT_UNKNOWN)
            err = case_details_put(c, out, flags);
    }
    if (err == 0)
        err = summary_put(run, out);
    if (err != 0)
        report__buf_truncate(out, len_before);
    return err;
}
