/*
 * junit.c: the report as JUnit XML, in the common form Jenkins and GitLab
 * read (testsuites > testsuite > testcase; failure, skipped, error).
 *
 * XML 1.0 cannot carry most control characters at all, not even as
 * character references, so they are written as the text \xNN (\uNNNN for
 * DEL, C1 controls and the non-characters U+FFFE and U+FFFF); the document
 * stays well formed whatever a target answered. In attribute values tab,
 * newline and carriage return are written as character references, because
 * a parser turns them into spaces otherwise. The output depends only on the
 * run (no timestamps, no host names), so it is stable byte for byte.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "mc_assert.h"
#include "report_internal.h"

/* The replacement of one character, or NULL when it is written as itself. */
static const char *xml_char_escape(uint32_t cp, int in_attr, char *tmp)
{
    switch (cp) {
    case '<':
        return "&lt;";
    case '>':
        return "&gt;"; /* also keeps "]]>" out of character data */
    case '&':
        return "&amp;";
    case '"':
        return in_attr ? "&quot;" : NULL;
    case '\t':
        return in_attr ? "&#9;" : NULL;
    case '\n':
        return in_attr ? "&#10;" : NULL;
    case '\r':
        return "&#13;"; /* a raw CR would be normalised away */
    default:
        break;
    }
    if (cp < 0x20 || cp == 0x7F) {
        snprintf(tmp, 16, "\\x%02" PRIx32, cp);
        return tmp;
    }
    if ((cp >= 0x80 && cp <= 0x9F) || cp == 0xFFFE || cp == 0xFFFF) {
        snprintf(tmp, 16, "\\u%04" PRIx32, cp);
        return tmp;
    }
    return NULL;
}

/* Appends s escaped for character data (in_attr 0) or an attribute value. */
static int xml_put(struct mc_buf *out, const char *s, int in_attr)
{
    size_t n = strlen(s);
    size_t plain_start = 0;
    size_t i = 0;
    int err = 0;
    while (i < n && err == 0) {
        uint32_t cp = 0;
        char tmp[16];
        size_t len = report__utf8_decode(s + i, n - i, &cp);
        const char *rep = xml_char_escape(cp, in_attr, tmp);
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
    return err;
}

/* Appends ` name="value"` with the value escaped. */
static int attr_put(struct mc_buf *out, const char *name, const char *value)
{
    int err = mc_buf_appendf(out, " %s=\"", name);
    if (err == 0)
        err = xml_put(out, value, 1);
    if (err == 0)
        err = mc_buf_append_byte(out, '"');
    return err;
}

/*
 * The classname: the id's area, the part before its last '/', with dots
 * for slashes so that Jenkins groups "scheduler.subscribe" under the
 * package "scheduler". An id without '/' is its own area.
 */
static int classname_put(struct mc_buf *out, const char *id)
{
    const char *last = strrchr(id, '/');
    size_t n = last != NULL && last != id ? (size_t)(last - id) : strlen(id);
    char area[MC_REPORT_LINE_BYTES_MAX + 1];
    MC_ASSERT(n < sizeof(area));
    for (size_t i = 0; i < n; i++)
        area[i] = id[i] == '/' ? '.' : id[i];
    area[n] = '\0';
    return attr_put(out, "classname", area);
}

/* Counts and time, shared by <testsuites> and <testsuite>. */
static int counts_put(struct mc_buf *out, const struct report_run *run)
{
    struct report_totals t;
    report_run_totals_count(run, &t);
    char seconds[32];
    return mc_buf_appendf(out,
                          " tests=\"%" PRIu32 "\" failures=\"%" PRIu32 "\" errors=\"%" PRIu32
                          "\" skipped=\"%" PRIu32 "\" time=\"%s\"",
                          t.cases_count, t.verdict_counts[REPORT_FAIL],
                          t.verdict_counts[REPORT_UNKNOWN], t.verdict_counts[REPORT_SKIP],
                          report__seconds_format(run->wall_ns, 3, seconds));
}

/* <properties> of the run: target, start, version and seed. */
static int properties_put(struct mc_buf *out, const struct report_run *run)
{
    const char *names[] = {"target", "started", "version"};
    const char *values[] = {run->target, run->started, run->version};
    int err = mc_buf_append_str(out, "    <properties>\n");
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]) && err == 0; i++) {
        err = mc_buf_append_str(out, "      <property");
        if (err == 0)
            err = attr_put(out, "name", names[i]);
        if (err == 0)
            err = attr_put(out, "value", values[i]);
        if (err == 0)
            err = mc_buf_append_str(out, "/>\n");
    }
    if (err == 0)
        err = mc_buf_appendf(out, "      <property name=\"seed\" value=\"%" PRIu64 "\"/>\n",
                             run->seed);
    if (err == 0)
        err = mc_buf_append_str(out, "    </properties>\n");
    return err;
}

/* Appends "key: value\n" to a plain-text buffer, escaping as the text report does. */
static int line_put(struct mc_buf *out, const char *key, const char *value)
{
    int err = mc_buf_appendf(out, "%s: ", key);
    if (err == 0)
        err = report__text_escaped_put(out, value, NULL);
    if (err == 0)
        err = mc_buf_append_byte(out, '\n');
    return err;
}

/* The case's metadata as lines of text, for <system-out>. */
static int case_meta_text(const struct report_case *c, struct mc_buf *tmp)
{
    int err = line_put(tmp, "title", c->title);
    if (err == 0)
        err = line_put(tmp, "file", c->file);
    if (err == 0)
        err = mc_buf_appendf(tmp, "level: %s\n", report_level_name(c->level));
    for (uint32_t i = 0; i < c->spec_rows_count && err == 0; i++)
        err = line_put(tmp, "spec", c->spec_rows[i]);
    for (uint32_t i = 0; i < c->tags_count && err == 0; i++)
        err = line_put(tmp, "tag", c->tags[i]);
    if (err == 0)
        err = mc_buf_appendf(tmp, "seed: %" PRIu64 "\ntrace hash: %016" PRIx64 "\n", c->seed,
                             c->trace_hash);
    char sim[32];
    if (err == 0)
        err = mc_buf_appendf(tmp, "simulated: %ss\n", report__seconds_format(c->sim_ns, 9, sim));
    if (err == 0 && c->replay != NULL)
        err = line_put(tmp, "replay", c->replay);
    return err;
}

/*
 * The case's redirects as <properties>, one <property name="redirect"> each
 * ("s1 (line 12, s1 subscribe) to HOST:PORT"), before its outcome, as
 * pytest writes a test case's properties; nothing when there are none.
 */
static int case_properties_put(struct mc_buf *out, const struct report_case *c,
                               struct mc_buf *tmp)
{
    if (c->redirects_count == 0)
        return 0;
    int err = mc_buf_append_str(out, "      <properties>\n");
    for (uint32_t i = 0; i < c->redirects_count && err == 0; i++) {
        const struct report_redirect *r = &c->redirects[i];
        mc_buf_reset(tmp);
        err = mc_buf_append_str(tmp, r->actor);
        if (err == 0 && (r->line > 0 || r->step != NULL)) {
            err = mc_buf_append_str(tmp, " (");
            if (err == 0 && r->line > 0)
                err = mc_buf_appendf(tmp, "line %" PRIu32 "%s", r->line, r->step ? ", " : "");
            if (err == 0 && r->step != NULL)
                err = mc_buf_append_str(tmp, r->step);
            if (err == 0)
                err = mc_buf_append_byte(tmp, ')');
        }
        if (err == 0)
            err = mc_buf_appendf(tmp, " to %s", r->to);
        if (err == 0)
            err = mc_buf_append_str(out, "        <property name=\"redirect\"");
        if (err == 0)
            err = attr_put(out, "value", mc_buf_str(tmp));
        if (err == 0)
            err = mc_buf_append_str(out, "/>\n");
    }
    if (err == 0)
        err = mc_buf_append_str(out, "      </properties>\n");
    return err;
}

/* <failure>, <error> or <skipped>, as the verdict asks; nothing for a pass. */
static int outcome_put(struct mc_buf *out, const struct report_case *c, struct mc_buf *tmp)
{
    const char *element = NULL;
    const char *message = c->reason;
    if (c->verdict == REPORT_PASS)
        return 0;
    if (c->verdict == REPORT_SKIP) {
        int err = mc_buf_append_str(out, "      <skipped");
        if (err == 0)
            err = attr_put(out, "message", message != NULL ? message : "skipped");
        return err != 0 ? err : mc_buf_append_str(out, "/>\n");
    }
    if (c->verdict == REPORT_FAIL) {
        element = "failure";
        if (c->failure != NULL && c->failure->message != NULL)
            message = c->failure->message;
    } else {
        element = "error"; /* unknown: the target did not let the case decide */
    }
    mc_buf_reset(tmp);
    int err = report__case_detail_write(c, tmp);
    if (err == 0)
        err = mc_buf_appendf(out, "      <%s", element);
    if (err == 0)
        err = attr_put(out, "message", message != NULL ? message : report_verdict_name(c->verdict));
    if (err == 0)
        err = mc_buf_appendf(out, " type=\"%s\">", report_verdict_name(c->verdict));
    if (err == 0)
        err = xml_put(out, mc_buf_str(tmp), 0);
    if (err == 0)
        err = mc_buf_appendf(out, "</%s>\n", element);
    return err;
}

/* One <testcase>; tmp is scratch space for the texts that get escaped. */
static int case_put(struct mc_buf *out, const struct report_case *c, struct mc_buf *tmp)
{
    char seconds[32];
    int err = mc_buf_append_str(out, "    <testcase");
    if (err == 0)
        err = attr_put(out, "name", c->id);
    if (err == 0)
        err = classname_put(out, c->id);
    if (err == 0)
        err =
            mc_buf_appendf(out, " time=\"%s\">\n", report__seconds_format(c->wall_ns, 3, seconds));
    if (err == 0)
        err = case_properties_put(out, c, tmp);
    if (err == 0)
        err = outcome_put(out, c, tmp);
    if (err == 0) {
        mc_buf_reset(tmp);
        err = case_meta_text(c, tmp);
    }
    if (err == 0)
        err = mc_buf_append_str(out, "      <system-out>");
    if (err == 0)
        err = xml_put(out, mc_buf_str(tmp), 0);
    if (err == 0)
        err = mc_buf_append_str(out, "</system-out>\n    </testcase>\n");
    return err;
}

static int junit_put(const struct report_run *run, struct mc_buf *out, struct mc_buf *tmp)
{
    int err = mc_buf_append_str(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                                     "<testsuites name=\"mesos-conform\"");
    if (err == 0)
        err = counts_put(out, run);
    if (err == 0)
        err = mc_buf_append_str(out, ">\n  <testsuite name=\"mesos-conform\"");
    if (err == 0)
        err = counts_put(out, run);
    if (err == 0)
        err = mc_buf_append_str(out, ">\n");
    if (err == 0)
        err = properties_put(out, run);
    for (uint32_t i = 0; i < run->cases_count && err == 0; i++)
        err = case_put(out, run->cases[i], tmp);
    if (err == 0)
        err = mc_buf_append_str(out, "  </testsuite>\n</testsuites>\n");
    return err;
}

int report_write_junit(const struct report_run *run, struct mc_buf *out)
{
    MC_ASSERT(run != NULL && out != NULL);
    size_t len_before = out->len;
    struct mc_buf tmp;
    mc_buf_init(&tmp, out->len_max, out->alloc);
    int err = junit_put(run, out, &tmp);
    mc_buf_deinit(&tmp);
    if (err != 0)
        report__buf_truncate(out, len_before);
    return err;
}
