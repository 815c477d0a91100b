/*
 * test_reports.c: the result model of a run and its writers (reports/).
 *
 * One sample run holds a pass, a fail, a skip and an unknown case, with
 * awkward strings on purpose: quotes, <, &, "]]>", newlines, the control
 * byte 0x01, a C1 control (U+009B, which a terminal may take as an escape
 * sequence), a byte that is not UTF-8, and real UTF-8. Each writer's output
 * for it is compared byte for byte with a golden file under
 * MC_TEST_DATA_DIR/reports/golden; on a mismatch the actual output is saved
 * beside the test binary as reports_<name>.actual, for review. JUnit output
 * is also checked by xmllint against a schema of the JUnit shape Jenkins
 * and GitLab read; JSON output must read back into the same run.
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "mc_alloc.h"
#include "mc_buf.h"
#include "mc_diag.h"
#include "mc_err.h"
#include "mc_limits.h"
#include "report.h"

#define DATA_DIR MC_TEST_DATA_DIR "/reports"
#define FILE_BYTES_MAX (1024u * 1024u)

/* ---- helpers ---------------------------------------------------------- */

/* Reads a whole file into a NUL-terminated heap string; fails the test if it cannot. */
static char *file_read(const char *path, size_t *len_out)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        fail_msg("cannot open %s", path);
    char *data = malloc(FILE_BYTES_MAX + 1);
    assert_non_null(data);
    size_t len = fread(data, 1, FILE_BYTES_MAX + 1, f);
    fclose(f);
    assert_true(len <= FILE_BYTES_MAX);
    data[len] = '\0';
    if (len_out != NULL)
        *len_out = len;
    return data;
}

static void file_write(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

/* Compares out with a golden file; saves the actual output when they differ. */
static void golden_check(const char *name, const char *actual, size_t actual_len)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/golden/%s", DATA_DIR, name);
    size_t expected_len = 0;
    char *expected = file_read(path, &expected_len);
    if (expected_len != actual_len || memcmp(expected, actual, actual_len) != 0) {
        char saved[256];
        snprintf(saved, sizeof(saved), "reports_%s.actual", name);
        file_write(saved, actual, actual_len);
        free(expected);
        fail_msg("output differs from golden/%s; actual output saved as %s", name, saved);
    }
    free(expected);
}

/* ---- the sample run ----------------------------------------------------- */

#define TRY(expr)      \
    do {               \
        err = (expr);  \
        if (err != 0)  \
            goto fail; \
    } while (0)

#define SAMPLE_FILE "scenarios/scheduler/subscribe_json.scn"

static int sample_pass_add(struct report_run *run)
{
    struct report_case *c = NULL;
    int err;
    TRY(report_run_case_add(run, "scheduler/subscribe/1", "SUBSCRIBE over JSON gets SUBSCRIBED",
                            SAMPLE_FILE, &c));
    TRY(report_case_spec_add(c, "S4"));
    TRY(report_case_spec_add(c, "W8a"));
    TRY(report_case_tag_add(c, "json"));
    TRY(report_case_tag_add(c, "smoke"));
    report_case_seed_set(c, 42);
    report_case_trace_hash_set(c, 0x0123456789abcdefu);
    report_case_duration_set(c, 1500000000u, 3217000u);
    TRY(report_case_verdict_set(c, REPORT_PASS, NULL));
    TRY(report_case_replay_set(c, "mesos-conform run " SAMPLE_FILE " --target sim --seed 42"));
fail:
    return err;
}

/* The failing case: awkward strings everywhere, and an actor log that overflows. */
static int sample_fail_add(struct report_run *run)
{
    struct report_case *c = NULL;
    int err;
    TRY(report_run_case_add(run, "scheduler/subscribe/3",
                            "Quotes \"q\" 'a' <tag> & ]]> \xc3\xbcn\xc3\xaf"
                            "c\xc3\xb8"
                            "d\xc3\xa9 \xe2\x9c\x93",
                            SAMPLE_FILE, &c));
    report_case_level_set(c, REPORT_LEVEL_SHOULD);
    TRY(report_case_spec_add(c, "S11"));
    report_case_seed_set(c, UINT64_MAX);
    report_case_trace_hash_set(c, 0xfedcba9876543210u);
    report_case_duration_set(c, 250000001u, 12500000u);
    TRY(report_case_verdict_set(c, REPORT_FAIL, NULL));
    struct report_failure_desc desc = {
        .step = "expect s1 event ERROR",
        .file = SAMPLE_FILE,
        .line = 12,
        .column = 5,
        .expected = "ERROR \"Framework has been removed\"\nthen the end of the stream",
        .observed = "SUBSCRIBED\x01<bad>&\"]]>\tend",
        .message = "event type differs: expected ERROR, observed SUBSCRIBED",
    };
    TRY(report_case_failure_set(c, &desc));
    for (int i = 1; i <= 11; i++) {
        char line[64];
        snprintf(line, sizeof(line), "t=%d.000s event HEARTBEAT #%d", i, i);
        TRY(report_case_actor_log_append(c, "s1", line));
    }
    TRY(report_case_actor_log_append(c, "master", "POST /api/v1/scheduler -> 200\nsecond line"));
    TRY(report_case_actor_log_append(c, "master",
                                     "sent \x01 then \xc2\x9b[31m red, bad byte \xff"
                                     "end"));
    TRY(report_case_replay_set(c, "mesos-conform run " SAMPLE_FILE
                                  " --target sim --seed 18446744073709551615"));
fail:
    return err;
}

static int sample_skip_add(struct report_run *run)
{
    struct report_case *c = NULL;
    int err;
    TRY(report_run_case_add(run, "operator/maintenance/1", "Maintenance schedule #1",
                            "scenarios/operator/maintenance.scn", &c));
    report_case_level_set(c, REPORT_LEVEL_INFO);
    TRY(report_case_spec_add(c, "O2"));
    TRY(report_case_verdict_set(c, REPORT_SKIP,
                                "target lacks: operator API (# and \\ too)\r\n\tsee \x01 <docs>"));
fail:
    return err;
}

static int sample_unknown_add(struct report_run *run)
{
    struct report_case *c = NULL;
    int err;
    TRY(report_run_case_add(run, "executor/launch/2", "Executor gets LAUNCH",
                            "scenarios/executor/launch.scn", &c));
    report_case_seed_set(c, 7);
    report_case_duration_set(c, 0, 10000000000u);
    TRY(report_case_verdict_set(c, REPORT_UNKNOWN,
                                "connection refused: http://127.0.0.1:5050/api/v1/scheduler"));
    struct report_failure_desc desc = {.message = "no answer within 10s"};
    TRY(report_case_failure_set(c, &desc));
    TRY(report_case_redirect_add(c, "s1", "s1 subscribe", 14, "10.0.0.2:5050"));
    TRY(report_case_redirect_add(c, "s2", NULL, 0, "<leader> & \"quoted\"\x01"));
    TRY(report_case_replay_set(c, "mesos-conform run scenarios/executor/launch.scn "
                                  "--target http://127.0.0.1:5050 --seed 7"));
fail:
    return err;
}

/* Builds the sample run; on error nothing is left allocated. */
static int sample_build(const struct mc_alloc *alloc, struct report_run **out)
{
    struct report_run *run = NULL;
    int err;
    TRY(report_run_create(alloc, "0.1.0", "sim", "2025-01-02T03:04:05Z", &run));
    report_run_seed_set(run, 42);
    report_run_wall_ns_set(run, 1234567891u);
    TRY(sample_pass_add(run));
    TRY(sample_fail_add(run));
    TRY(sample_skip_add(run));
    TRY(sample_unknown_add(run));
    *out = run;
    return 0;
fail:
    report_run_destroy(run);
    return err;
}

static struct report_run *sample(void)
{
    struct report_run *run = NULL;
    assert_int_equal(sample_build(NULL, &run), 0);
    return run;
}

/* ---- writers against golden files --------------------------------------- */

struct writer_row {
    enum report_format format;
    uint32_t flags;
    const char *golden;
};

static const struct writer_row writer_rows[] = {
    {REPORT_FORMAT_TEXT, 0, "text.txt"},
    {REPORT_FORMAT_TEXT, REPORT_TEXT_COLOUR, "text_colour.txt"},
    {REPORT_FORMAT_TEXT, REPORT_TEXT_VERBOSE, "text_verbose.txt"},
    {REPORT_FORMAT_JUNIT, 0, "junit.xml"},
    {REPORT_FORMAT_JSON, 0, "report.json"},
    {REPORT_FORMAT_TAP, 0, "tap.txt"},
};
#define WRITER_ROWS_COUNT (sizeof(writer_rows) / sizeof(writer_rows[0]))

static void writers_match_golden_files(void **state)
{
    (void)state;
    struct report_run *run = sample();
    for (size_t i = 0; i < WRITER_ROWS_COUNT; i++) {
        const struct writer_row *row = &writer_rows[i];
        struct mc_buf out;
        mc_buf_init(&out, MC_REPORT_OUTPUT_BYTES_MAX, NULL);
        assert_int_equal(report_write(run, row->format, &out, row->flags), 0);
        golden_check(row->golden, mc_buf_str(&out), out.len);
        /* The same run gives the same bytes: write again and compare. */
        struct mc_buf again;
        mc_buf_init(&again, MC_REPORT_OUTPUT_BYTES_MAX, NULL);
        assert_int_equal(report_write(run, row->format, &again, row->flags), 0);
        assert_int_equal(again.len, out.len);
        assert_memory_equal(again.data, out.data, out.len);
        mc_buf_deinit(&again);
        mc_buf_deinit(&out);
    }
    report_run_destroy(run);
}

/* The last line of text (without its newline), copied into line. */
static void last_line_get(const char *text, char *line, size_t line_bytes)
{
    size_t n = strlen(text);
    assert_true(n > 0 && text[n - 1] == '\n');
    size_t start = n - 1;
    while (start > 0 && text[start - 1] != '\n')
        start--;
    size_t len = n - 1 - start;
    assert_true(len < line_bytes);
    memcpy(line, text + start, len);
    line[len] = '\0';
}

struct totals_row {
    uint32_t counts[REPORT_VERDICT_COUNT]; /* pass, fail, skip, unknown */
    const char *line;
};

/* The plain line CI systems read: always passed, failed, skipped; unknown when any. */
static const struct totals_row totals_rows[] = {
    {{61, 0, 2, 0}, "61 passed, 0 failed, 2 skipped"},
    {{0, 0, 0, 0}, "0 passed, 0 failed, 0 skipped"},
    {{3, 2, 0, 0}, "3 passed, 2 failed, 0 skipped"},
    {{1, 1, 0, 1}, "1 passed, 1 failed, 0 skipped, 1 unknown"},
    {{0, 0, 1, 4}, "0 passed, 0 failed, 1 skipped, 4 unknown"},
};

static void text_and_tap_end_with_the_totals_line(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(totals_rows) / sizeof(totals_rows[0]); i++) {
        const struct totals_row *row = &totals_rows[i];
        struct report_run *run = NULL;
        assert_int_equal(report_run_create(NULL, "0.1.0", "sim", "now", &run), 0);
        for (int v = 0; v < REPORT_VERDICT_COUNT; v++) {
            for (uint32_t k = 0; k < row->counts[v]; k++) {
                struct report_case *c = NULL;
                assert_int_equal(report_run_case_add(run, "a/b/1", "t", "f.scn", &c), 0);
                assert_int_equal(report_case_verdict_set(c, (enum report_verdict)v, NULL), 0);
            }
        }
        char line[256];
        char tap_line[256];
        struct mc_buf out;
        mc_buf_init(&out, MC_REPORT_OUTPUT_BYTES_MAX, NULL);
        assert_int_equal(report_write_text(run, &out, REPORT_TEXT_COLOUR), 0);
        last_line_get(mc_buf_str(&out), line, sizeof(line));
        assert_string_equal(line, row->line);
        mc_buf_reset(&out);
        assert_int_equal(report_write_tap(run, &out), 0);
        last_line_get(mc_buf_str(&out), line, sizeof(line));
        snprintf(tap_line, sizeof(tap_line), "# %s", row->line);
        assert_string_equal(line, tap_line);
        mc_buf_deinit(&out);
        report_run_destroy(run);
    }
}

static void empty_run_writes_valid_reports(void **state)
{
    (void)state;
    struct report_run *run = NULL;
    assert_int_equal(report_run_create(NULL, "0.1.0", "sim", "", &run), 0);
    struct mc_buf out;
    mc_buf_init(&out, MC_REPORT_OUTPUT_BYTES_MAX, NULL);
    assert_int_equal(report_write_tap(run, &out), 0);
    assert_string_equal(mc_buf_str(&out),
                        "TAP version 13\n1..0\n# 0 passed, 0 failed, 0 skipped\n");
    mc_buf_reset(&out);
    assert_int_equal(report_write_text(run, &out, 0), 0);
    assert_string_equal(mc_buf_str(&out),
                        "\nsummary: 0 cases on target sim in 0.000s (simulated 0.000s), "
                        "mesos-conform 0.1.0, started \n0 passed, 0 failed, 0 skipped\n");
    mc_buf_deinit(&out);
    report_run_destroy(run);
}

/* ---- JUnit validity ------------------------------------------------------ */

static int xmllint_available(void)
{
    return system("xmllint --version >/dev/null 2>&1") == 0;
}

/*
 * Runs xmllint on xml against the JUnit schema; returns its exit status
 * and puts its messages into msgs.
 */
static int xmllint_run(const char *xml, size_t len, char *msgs, size_t msgs_bytes)
{
    char path[] = "/tmp/mc_test_reports_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, xml, len), (ssize_t)len);
    assert_int_equal(close(fd), 0);
    char command[1024];
    snprintf(command, sizeof(command), "xmllint --noout --schema '%s/junit.xsd' '%s' 2>&1",
             DATA_DIR, path);
    FILE *p = popen(command, "r");
    assert_non_null(p);
    size_t n = fread(msgs, 1, msgs_bytes - 1, p);
    msgs[n] = '\0';
    int status = pclose(p);
    unlink(path);
    return status;
}

struct junit_row {
    const char *name;
    const char *xml; /* NULL: the sample run's report */
    int valid;
};

/* The bad rows prove that the check can fail: a raw control byte, a bad count. */
static const struct junit_row junit_rows[] = {
    {"sample run", NULL, 1},
    {"raw control byte",
     "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites><testsuite name=\"x\">"
     "<testcase name=\"a\x01\" classname=\"a\"/></testsuite></testsuites>\n",
     0},
    {"count not a number",
     "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites tests=\"many\">"
     "<testsuite name=\"x\"/></testsuites>\n",
     0},
    {"testcase without classname",
     "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites><testsuite name=\"x\">"
     "<testcase name=\"a\"/></testsuite></testsuites>\n",
     0},
};

static void junit_is_valid_per_schema(void **state)
{
    (void)state;
    if (!xmllint_available())
        skip();
    struct report_run *run = sample();
    struct mc_buf out;
    mc_buf_init(&out, MC_REPORT_OUTPUT_BYTES_MAX, NULL);
    assert_int_equal(report_write_junit(run, &out), 0);
    for (size_t i = 0; i < sizeof(junit_rows) / sizeof(junit_rows[0]); i++) {
        const struct junit_row *row = &junit_rows[i];
        const char *xml = row->xml != NULL ? row->xml : mc_buf_str(&out);
        char msgs[4096];
        int status = xmllint_run(xml, strlen(xml), msgs, sizeof(msgs));
        if ((status == 0) != row->valid)
            fail_msg("%s: xmllint exit %d, expected %s:\n%s", row->name, status,
                     row->valid ? "valid" : "invalid", msgs);
    }
    /* A run with no case is a valid report too. */
    struct report_run *empty = NULL;
    assert_int_equal(report_run_create(NULL, "0.1.0", "sim", "", &empty), 0);
    mc_buf_reset(&out);
    assert_int_equal(report_write_junit(empty, &out), 0);
    char msgs[4096];
    assert_int_equal(xmllint_run(mc_buf_str(&out), out.len, msgs, sizeof(msgs)), 0);
    report_run_destroy(empty);
    mc_buf_deinit(&out);
    report_run_destroy(run);
}

/* ---- JSON: round trip and the reader's errors ------------------------------ */

static void json_reads_back_into_the_same_run(void **state)
{
    (void)state;
    struct report_run *run = sample();
    struct mc_buf first;
    mc_buf_init(&first, MC_REPORT_OUTPUT_BYTES_MAX, NULL);
    assert_int_equal(report_write_json(run, &first), 0);
    /* The text need not end with NUL: pass it with garbage after it. */
    char *text = malloc(first.len + 4);
    assert_non_null(text);
    memcpy(text, first.data, first.len);
    memcpy(text + first.len, "}}}x", 4);
    struct report_run *back = NULL;
    struct mc_diag diag;
    mc_diag_clear(&diag);
    int err = report_read_json(text, first.len, &back, &diag);
    if (err != 0)
        fail_msg("read back: %s: %s", mc_errname(err), diag.text);
    free(text);
    struct mc_buf second;
    mc_buf_init(&second, MC_REPORT_OUTPUT_BYTES_MAX, NULL);
    assert_int_equal(report_write_json(back, &second), 0);
    assert_string_equal(mc_buf_str(&second), mc_buf_str(&first));
    /* The values a replay needs came back exactly. */
    assert_int_equal(back->cases_count, 4);
    const struct report_case *c = back->cases[1];
    assert_true(c->seed == UINT64_MAX);
    assert_true(c->trace_hash == 0xfedcba9876543210u);
    assert_int_equal(c->sim_ns, 250000001u);
    assert_int_equal(c->wall_ns, 12500000u);
    assert_int_equal(c->level, REPORT_LEVEL_SHOULD);
    assert_string_equal(c->failure->file, SAMPLE_FILE);
    assert_int_equal(c->failure->line, 12);
    assert_int_equal(c->failure->column, 5);
    assert_int_equal(c->failure->actors[0].lines_dropped_count, 3);
    assert_int_equal(c->failure->actors[0].lines_count, MC_REPORT_ACTOR_LINES_MAX);
    assert_string_equal(c->replay, "mesos-conform run " SAMPLE_FILE
                                   " --target sim --seed 18446744073709551615");
    assert_null(back->cases[3]->failure->file);
    assert_int_equal(back->wall_ns, 1234567891u);
    mc_buf_deinit(&second);
    mc_buf_deinit(&first);
    report_run_destroy(back);
    report_run_destroy(run);
}

/* Names of the entries of dir (no dot files), sorted; count into *count. */
static char **dir_list(const char *dir, size_t *count)
{
    DIR *d = opendir(dir);
    if (d == NULL)
        fail_msg("cannot open %s", dir);
    char **names = NULL;
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        names = realloc(names, (n + 1) * sizeof(*names));
        assert_non_null(names);
        names[n] = strdup(e->d_name);
        assert_non_null(names[n]);
        n++;
    }
    closedir(d);
    for (size_t i = 1; i < n; i++) {
        for (size_t j = i; j > 0 && strcmp(names[j - 1], names[j]) > 0; j--) {
            char *t = names[j];
            names[j] = names[j - 1];
            names[j - 1] = t;
        }
    }
    *count = n;
    return names;
}

static void dir_list_free(char **names, size_t count)
{
    for (size_t i = 0; i < count; i++)
        free(names[i]);
    free(names);
}

/*
 * Every directory under read_invalid/ holds an input and the expected
 * result: the error's name on the first line, then the diagnostic as
 * mc_diag_format prints it with the source name "input".
 */
static void json_reader_rejects_bad_reports(void **state)
{
    (void)state;
    size_t count = 0;
    char **names = dir_list(DATA_DIR "/read_invalid", &count);
    assert_true(count >= 20);
    for (size_t i = 0; i < count; i++) {
        char path[512];
        snprintf(path, sizeof(path), "%s/read_invalid/%s/input", DATA_DIR, names[i]);
        size_t len = 0;
        char *input = file_read(path, &len);
        snprintf(path, sizeof(path), "%s/read_invalid/%s/expected", DATA_DIR, names[i]);
        char *expected = file_read(path, NULL);
        struct mc_diag diag;
        mc_diag_clear(&diag);
        snprintf(diag.source, sizeof(diag.source), "input");
        struct report_run *run = NULL;
        int err = report_read_json(input, len, &run, &diag);
        char where[1024];
        char actual[1200];
        snprintf(actual, sizeof(actual), "%s\n%s\n", mc_errname(err),
                 mc_diag_format(&diag, where, sizeof(where)));
        if (strcmp(actual, expected) != 0)
            fail_msg("read_invalid/%s:\nexpected: %sactual:   %s", names[i], expected, actual);
        assert_null(run);
        free(expected);
        free(input);
    }
    dir_list_free(names, count);
}

/*
 * Every directory under read_valid/ holds an input the reader accepts and
 * the report the JSON writer makes of what it read: the rules for lenient
 * input (numbers for seeds, upper-case hex, unknown keys, a location
 * without line) are visible there.
 */
static void json_reader_accepts_and_normalises(void **state)
{
    (void)state;
    size_t count = 0;
    char **names = dir_list(DATA_DIR "/read_valid", &count);
    assert_true(count >= 2);
    for (size_t i = 0; i < count; i++) {
        char path[512];
        snprintf(path, sizeof(path), "%s/read_valid/%s/input", DATA_DIR, names[i]);
        size_t len = 0;
        char *input = file_read(path, &len);
        snprintf(path, sizeof(path), "%s/read_valid/%s/expected", DATA_DIR, names[i]);
        char *expected = file_read(path, NULL);
        struct mc_diag diag;
        mc_diag_clear(&diag);
        struct report_run *run = NULL;
        int err = report_read_json(input, len, &run, &diag);
        if (err != 0)
            fail_msg("read_valid/%s: %s: %s", names[i], mc_errname(err), diag.text);
        struct mc_buf out;
        mc_buf_init(&out, MC_REPORT_OUTPUT_BYTES_MAX, NULL);
        assert_int_equal(report_write_json(run, &out), 0);
        if (strcmp(mc_buf_str(&out), expected) != 0)
            fail_msg("read_valid/%s: written back:\n%s", names[i], mc_buf_str(&out));
        mc_buf_deinit(&out);
        report_run_destroy(run);
        free(expected);
        free(input);
    }
    dir_list_free(names, count);
}

static void json_reader_refuses_input_over_its_limit(void **state)
{
    (void)state;
    /* The length is checked before a byte is read, so a short buffer suffices. */
    static const char text[] = "{}";
    struct report_run *run = NULL;
    struct mc_diag diag;
    mc_diag_clear(&diag);
    assert_int_equal(report_read_json(text, (size_t)MC_REPORT_JSON_BYTES_MAX + 1, &run, &diag),
                     MC_ELIMIT);
    assert_null(run);
    assert_non_null(strstr(diag.text, "more than the limit"));
    assert_int_equal(report_read_json(text, 0, &run, &diag), MC_EPARSE);
    assert_int_equal(diag.line, 1);
    assert_true(diag.has_offset);
    assert_int_equal(diag.offset, 0);
}

/* ---- the model: names, exit status, limits, strings ------------------------ */

static void names_parse_back(void **state)
{
    (void)state;
    for (int v = 0; v < REPORT_VERDICT_COUNT; v++) {
        enum report_verdict back = REPORT_PASS;
        assert_int_equal(report_verdict_parse(report_verdict_name((enum report_verdict)v), &back),
                         0);
        assert_int_equal(back, v);
    }
    for (int l = 0; l < REPORT_LEVEL_COUNT; l++) {
        enum report_level back = REPORT_LEVEL_MUST;
        assert_int_equal(report_level_parse(report_level_name((enum report_level)l), &back), 0);
        assert_int_equal(back, l);
    }
    struct {
        const char *name;
        int err;
        enum report_format format;
    } rows[] = {
        {"text", 0, REPORT_FORMAT_TEXT}, {"junit", 0, REPORT_FORMAT_JUNIT},
        {"json", 0, REPORT_FORMAT_JSON}, {"tap", 0, REPORT_FORMAT_TAP},
        {"JSON", MC_EINVAL, 0},          {"", MC_EINVAL, 0},
        {"xml", MC_EINVAL, 0},
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        enum report_format f = REPORT_FORMAT_TEXT;
        assert_int_equal(report_format_parse(rows[i].name, &f), rows[i].err);
        if (rows[i].err == 0)
            assert_int_equal(f, rows[i].format);
    }
    enum report_verdict v = REPORT_PASS;
    assert_int_equal(report_verdict_parse("PASS", &v), MC_EINVAL);
    assert_int_equal(report_verdict_parse("passed", &v), MC_EINVAL);
    enum report_level l = REPORT_LEVEL_MUST;
    assert_int_equal(report_level_parse("may", &l), MC_EINVAL);
}

struct exit_row {
    const char *verdicts; /* one letter per case: P F S U */
    int allow_unknown;
    int status;
};

static const struct exit_row exit_rows[] = {
    {"", 0, 0},   {"P", 0, 0},  {"PS", 0, 0}, {"SS", 0, 0}, {"PF", 0, 1},  {"F", 1, 1},
    {"PU", 0, 1}, {"PU", 1, 0}, {"FU", 1, 1}, {"U", 1, 0},  {"PSU", 0, 1}, {"PSSP", 1, 0},
};

static void exit_status_follows_the_verdicts(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(exit_rows) / sizeof(exit_rows[0]); i++) {
        const struct exit_row *row = &exit_rows[i];
        struct report_run *run = NULL;
        assert_int_equal(report_run_create(NULL, "0.1.0", "sim", "", &run), 0);
        for (const char *p = row->verdicts; *p != '\0'; p++) {
            enum report_verdict v = *p == 'P'   ? REPORT_PASS
                                    : *p == 'F' ? REPORT_FAIL
                                    : *p == 'S' ? REPORT_SKIP
                                                : REPORT_UNKNOWN;
            struct report_case *c = NULL;
            assert_int_equal(report_run_case_add(run, "a/b/1", "t", "f.scn", &c), 0);
            assert_int_equal(report_case_verdict_set(c, v, NULL), 0);
        }
        if (report_run_exit_status(run, row->allow_unknown) != row->status)
            fail_msg("verdicts \"%s\", allow_unknown %d: expected %d", row->verdicts,
                     row->allow_unknown, row->status);
        report_run_destroy(run);
    }
}

static void new_case_is_unknown_until_decided(void **state)
{
    (void)state;
    struct report_run *run = NULL;
    assert_int_equal(report_run_create(NULL, "0.1.0", "sim", "", &run), 0);
    struct report_case *c = NULL;
    assert_int_equal(report_run_case_add(run, "a/b/1", "t", "f.scn", &c), 0);
    assert_int_equal(c->verdict, REPORT_UNKNOWN);
    assert_int_equal(report_run_exit_status(run, 0), 1);
    struct report_totals t;
    report_run_totals_count(run, &t);
    assert_int_equal(t.cases_count, 1);
    assert_int_equal(t.verdict_counts[REPORT_UNKNOWN], 1);
    report_run_destroy(run);
}

static void actor_log_keeps_the_last_lines_and_counts_the_rest(void **state)
{
    (void)state;
    struct report_run *run = sample();
    const struct report_failure *f = run->cases[1]->failure;
    assert_int_equal(f->actors_count, 2);
    const struct report_actor_log *s1 = &f->actors[0];
    assert_string_equal(s1->actor, "s1");
    assert_int_equal(s1->lines_count, MC_REPORT_ACTOR_LINES_MAX);
    assert_int_equal(s1->lines_dropped_count, 11 - MC_REPORT_ACTOR_LINES_MAX);
    assert_string_equal(report_actor_log_line_get(s1, 0), "t=4.000s event HEARTBEAT #4");
    assert_string_equal(report_actor_log_line_get(s1, MC_REPORT_ACTOR_LINES_MAX - 1),
                        "t=11.000s event HEARTBEAT #11");
    /* Every writer shows the loss; none drops it silently. */
    for (size_t i = 0; i < WRITER_ROWS_COUNT; i++) {
        struct mc_buf out;
        mc_buf_init(&out, MC_REPORT_OUTPUT_BYTES_MAX, NULL);
        assert_int_equal(report_write(run, writer_rows[i].format, &out, 0), 0);
        if (strstr(mc_buf_str(&out), "... 3 more before") == NULL)
            fail_msg("%s: no marker for the lost lines", writer_rows[i].golden);
        assert_null(strstr(mc_buf_str(&out), "HEARTBEAT #3\""));
        mc_buf_deinit(&out);
    }
    report_run_destroy(run);
}

struct limit_row {
    const char *name;
    uint32_t ok_count; /* calls that succeed before the limit */
    int (*call)(struct report_case *c, uint32_t i);
};

static int spec_row_add(struct report_case *c, uint32_t i)
{
    char row[16];
    snprintf(row, sizeof(row), "S%u", (unsigned)i);
    return report_case_spec_add(c, row);
}

static int tag_add(struct report_case *c, uint32_t i)
{
    char tag[16];
    snprintf(tag, sizeof(tag), "t%u", (unsigned)i);
    return report_case_tag_add(c, tag);
}

static int actor_add(struct report_case *c, uint32_t i)
{
    char actor[16];
    snprintf(actor, sizeof(actor), "a%u", (unsigned)i);
    return report_case_actor_log_append(c, actor, "line");
}

static const struct limit_row limit_rows[] = {
    {"spec rows", MC_REPORT_SPEC_ROWS_MAX, spec_row_add},
    {"tags", MC_REPORT_TAGS_MAX, tag_add},
    {"actors", MC_REPORT_ACTORS_MAX, actor_add},
};

static void lists_stop_at_their_limits(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(limit_rows) / sizeof(limit_rows[0]); i++) {
        const struct limit_row *row = &limit_rows[i];
        struct report_run *run = NULL;
        assert_int_equal(report_run_create(NULL, "0.1.0", "sim", "", &run), 0);
        struct report_case *c = NULL;
        assert_int_equal(report_run_case_add(run, "a/b/1", "t", "f.scn", &c), 0);
        struct report_failure_desc desc = {0};
        assert_int_equal(report_case_failure_set(c, &desc), 0);
        for (uint32_t k = 0; k < row->ok_count; k++)
            assert_int_equal(row->call(c, k), 0);
        if (row->call(c, row->ok_count) != MC_ELIMIT)
            fail_msg("%s: no MC_ELIMIT past %u", row->name, (unsigned)row->ok_count);
        /* An actor that already has a log still takes lines at the limit. */
        if (row->call == actor_add)
            assert_int_equal(row->call(c, 0), 0);
        report_run_destroy(run);
    }
}

static void cases_stop_at_their_limit(void **state)
{
    (void)state;
    struct report_run *run = NULL;
    assert_int_equal(report_run_create(NULL, "0.1.0", "sim", "", &run), 0);
    struct report_case *c = NULL;
    for (uint32_t i = 0; i < MC_REPORT_CASES_MAX; i++)
        assert_int_equal(report_run_case_add(run, "a/b/1", "t", "f.scn", &c), 0);
    assert_int_equal(report_run_case_add(run, "a/b/2", "t", "f.scn", &c), MC_ELIMIT);
    assert_int_equal(run->cases_count, MC_REPORT_CASES_MAX);
    report_run_destroy(run);
}

struct string_row {
    const char *name;
    const char *input;
    const char *stored;
};

/* Bytes that are not UTF-8 become U+FFFD (EF BF BD), each byte on its own. */
static const struct string_row string_rows[] = {
    {"plain", "plain text", "plain text"},
    {"controls kept", "a\x01\n\tb", "a\x01\n\tb"},
    {"two- and three-byte", "\xc3\xbc \xe2\x9c\x93", "\xc3\xbc \xe2\x9c\x93"},
    {"four-byte", "\xf0\x9f\x98\x80", "\xf0\x9f\x98\x80"},
    {"stray byte",
     "a\xff"
     "b",
     "a\xef\xbf\xbd"
     "b"},
    {"lone continuation", "\x80", "\xef\xbf\xbd"},
    {"overlong slash", "\xc0\xaf", "\xef\xbf\xbd\xef\xbf\xbd"},
    {"overlong three-byte", "\xe0\x80\xaf", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"},
    {"surrogate", "\xed\xa0\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"},
    {"above U+10FFFF", "\xf4\x90\x80\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"},
    {"cut short at the end", "x\xe2\x9c", "x\xef\xbf\xbd\xef\xbf\xbd"},
    {"largest code point", "\xf4\x8f\xbf\xbf", "\xf4\x8f\xbf\xbf"},
};

static void strings_are_stored_as_utf8(void **state)
{
    (void)state;
    struct report_run *run = NULL;
    assert_int_equal(report_run_create(NULL, "0.1.0", "sim", "", &run), 0);
    for (size_t i = 0; i < sizeof(string_rows) / sizeof(string_rows[0]); i++) {
        const struct string_row *row = &string_rows[i];
        struct report_case *c = NULL;
        assert_int_equal(report_run_case_add(run, "a/b/1", row->input, "f.scn", &c), 0);
        if (strcmp(c->title, row->stored) != 0)
            fail_msg("%s: stored differently", row->name);
    }
    report_run_destroy(run);
}

static void long_strings_are_cut_with_a_marker(void **state)
{
    (void)state;
    struct report_run *run = NULL;
    assert_int_equal(report_run_create(NULL, "0.1.0", "sim", "", &run), 0);
    struct report_case *c = NULL;
    assert_int_equal(report_run_case_add(run, "a/b/1", "t", "f.scn", &c), 0);
    /* 70000 ASCII bytes: 65496 are kept, then the marker counts the rest. */
    size_t n = 70000;
    char *big = malloc(n + 1);
    assert_non_null(big);
    memset(big, 'a', n);
    big[n] = '\0';
    assert_int_equal(report_case_verdict_set(c, REPORT_SKIP, big), 0);
    size_t kept = MC_REPORT_TEXT_BYTES_MAX - 40;
    assert_true(strlen(c->reason) <= MC_REPORT_TEXT_BYTES_MAX);
    assert_memory_equal(c->reason, big, kept);
    assert_string_equal(c->reason + kept, " ... 4504 more bytes");
    /* A cut never splits a character: 3-byte ones straddle the cut here. */
    memset(big, 'b', kept - 1);
    for (size_t i = kept - 1; i + 3 <= n; i += 3)
        memcpy(big + i, "\xe2\x9c\x93", 3);
    big[n - (n - (kept - 1)) % 3] = '\0';
    assert_int_equal(report_case_verdict_set(c, REPORT_SKIP, big), 0);
    assert_int_equal(c->reason[kept - 2], 'b');
    assert_string_equal(c->reason + kept - 1, " ... 4503 more bytes");
    /* A stored string read back through the limit is not cut again. */
    char *again = strdup(c->reason);
    assert_int_equal(report_case_verdict_set(c, REPORT_SKIP, again), 0);
    assert_string_equal(c->reason, again);
    free(again);
    free(big);
    report_run_destroy(run);
}

/* ---- allocation failures and output limits -------------------------------- */

static void building_survives_every_allocation_failure(void **state)
{
    (void)state;
    uint64_t fail_at = 0;
    for (;; fail_at++) {
        assert_true(fail_at < 100000);
        struct mc_alloc_counting counting;
        mc_alloc_counting_init(&counting, fail_at);
        struct report_run *run = NULL;
        int err = sample_build(&counting.alloc, &run);
        if (err == 0) {
            assert_true(counting.calls <= fail_at); /* no failure was injected */
            report_run_destroy(run);
            assert_int_equal(counting.live, 0);
            break;
        }
        assert_int_equal(err, MC_ENOMEM);
        assert_null(run);
        assert_int_equal(counting.live, 0);
    }
    assert_true(fail_at > 50);
}

/* A failed setter leaves the case as it was. */
static void failed_setters_change_nothing(void **state)
{
    (void)state;
    struct mc_alloc_counting counting;
    mc_alloc_counting_init(&counting, UINT64_MAX);
    struct report_run *run = NULL;
    assert_int_equal(report_run_create(&counting.alloc, "0.1.0", "sim", "", &run), 0);
    struct report_case *c = NULL;
    assert_int_equal(report_run_case_add(run, "a/b/1", "t", "f.scn", &c), 0);
    assert_int_equal(report_case_verdict_set(c, REPORT_SKIP, "old"), 0);
    struct report_failure_desc desc = {.message = "first"};
    assert_int_equal(report_case_failure_set(c, &desc), 0);
    assert_int_equal(report_case_actor_log_append(c, "s1", "kept"), 0);

    counting.fail_at = counting.calls;
    assert_int_equal(report_case_verdict_set(c, REPORT_FAIL, "new"), MC_ENOMEM);
    assert_int_equal(c->verdict, REPORT_SKIP);
    assert_string_equal(c->reason, "old");
    counting.fail_at = counting.calls + 1; /* the second copy of the desc */
    desc.message = "second";
    desc.step = "step";
    assert_int_equal(report_case_failure_set(c, &desc), MC_ENOMEM);
    assert_string_equal(c->failure->message, "first");
    assert_int_equal(c->failure->actors_count, 1);
    counting.fail_at = counting.calls + 1; /* the line, after the actor's name */
    assert_int_equal(report_case_actor_log_append(c, "s2", "lost"), MC_ENOMEM);
    assert_int_equal(c->failure->actors_count, 1);
    counting.fail_at = counting.calls;
    assert_int_equal(report_case_spec_add(c, "S1"), MC_ENOMEM);
    assert_int_equal(c->spec_rows_count, 0);
    counting.fail_at = UINT64_MAX;
    report_run_destroy(run);
    assert_int_equal(counting.live, 0);
}

static void writers_survive_every_allocation_failure(void **state)
{
    (void)state;
    struct report_run *run = sample();
    for (size_t i = 0; i < WRITER_ROWS_COUNT; i++) {
        const struct writer_row *row = &writer_rows[i];
        char path[512];
        snprintf(path, sizeof(path), "%s/golden/%s", DATA_DIR, row->golden);
        size_t golden_len = 0;
        char *golden = file_read(path, &golden_len);
        for (uint64_t k = 0;; k++) {
            assert_true(k < 10000);
            struct mc_alloc_counting counting;
            mc_alloc_counting_init(&counting, UINT64_MAX);
            struct mc_buf out;
            mc_buf_init(&out, MC_REPORT_OUTPUT_BYTES_MAX, &counting.alloc);
            assert_int_equal(mc_buf_append_str(&out, "before|"), 0);
            counting.fail_at = counting.calls + k;
            int err = report_write(run, row->format, &out, row->flags);
            if (err == 0) {
                assert_int_equal(out.len, 7 + golden_len);
                assert_memory_equal(out.data + 7, golden, golden_len);
                mc_buf_deinit(&out);
                assert_int_equal(counting.live, 0);
                break;
            }
            assert_int_equal(err, MC_ENOMEM);
            assert_string_equal(mc_buf_str(&out), "before|"); /* put back as it was */
            mc_buf_deinit(&out);
            assert_int_equal(counting.live, 0);
        }
        free(golden);
    }
    report_run_destroy(run);
}

static void writers_stop_at_the_buffer_limit(void **state)
{
    (void)state;
    struct report_run *run = sample();
    for (size_t i = 0; i < WRITER_ROWS_COUNT; i++) {
        const struct writer_row *row = &writer_rows[i];
        struct mc_buf full;
        mc_buf_init(&full, MC_REPORT_OUTPUT_BYTES_MAX, NULL);
        assert_int_equal(report_write(run, row->format, &full, row->flags), 0);
        /* One byte short fails and leaves the buffer as it was; exact room succeeds. */
        struct mc_buf out;
        mc_buf_init(&out, 3 + full.len - 1, NULL);
        assert_int_equal(mc_buf_append_str(&out, "ab|"), 0);
        assert_int_equal(report_write(run, row->format, &out, row->flags), MC_ELIMIT);
        assert_string_equal(mc_buf_str(&out), "ab|");
        mc_buf_deinit(&out);
        mc_buf_init(&out, 3 + full.len, NULL);
        assert_int_equal(mc_buf_append_str(&out, "ab|"), 0);
        assert_int_equal(report_write(run, row->format, &out, row->flags), 0);
        assert_memory_equal(out.data + 3, full.data, full.len);
        mc_buf_deinit(&out);
        mc_buf_deinit(&full);
    }
    report_run_destroy(run);
}

/* Redirects are kept in order up to their limit; the next is refused and changes nothing. */
static void redirects_have_a_limit(void **state)
{
    (void)state;
    struct report_run *run = NULL;
    struct report_case *c = NULL;
    assert_int_equal(report_run_create(NULL, "0", "http://h:1", "", &run), 0);
    assert_int_equal(report_run_case_add(run, "a/b/1", "t", "f.scn", &c), 0);
    for (uint32_t i = 0; i < REPORT_REDIRECTS_MAX; i++) {
        char to[32];
        snprintf(to, sizeof(to), "h%u:5050", i);
        assert_int_equal(report_case_redirect_add(c, "s1", "s1 subscribe", i + 1, to), 0);
    }
    assert_int_equal(report_case_redirect_add(c, "s1", NULL, 0, "x:1"), MC_ELIMIT);
    assert_int_equal(c->redirects_count, REPORT_REDIRECTS_MAX);
    assert_string_equal(c->redirects[0].to, "h0:5050");
    assert_int_equal(c->redirects[REPORT_REDIRECTS_MAX - 1].line, REPORT_REDIRECTS_MAX);
    report_run_destroy(run);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(writers_match_golden_files),
        cmocka_unit_test(text_and_tap_end_with_the_totals_line),
        cmocka_unit_test(empty_run_writes_valid_reports),
        cmocka_unit_test(junit_is_valid_per_schema),
        cmocka_unit_test(json_reads_back_into_the_same_run),
        cmocka_unit_test(json_reader_rejects_bad_reports),
        cmocka_unit_test(json_reader_accepts_and_normalises),
        cmocka_unit_test(json_reader_refuses_input_over_its_limit),
        cmocka_unit_test(names_parse_back),
        cmocka_unit_test(exit_status_follows_the_verdicts),
        cmocka_unit_test(new_case_is_unknown_until_decided),
        cmocka_unit_test(actor_log_keeps_the_last_lines_and_counts_the_rest),
        cmocka_unit_test(lists_stop_at_their_limits),
        cmocka_unit_test(cases_stop_at_their_limit),
        cmocka_unit_test(strings_are_stored_as_utf8),
        cmocka_unit_test(long_strings_are_cut_with_a_marker),
        cmocka_unit_test(building_survives_every_allocation_failure),
        cmocka_unit_test(failed_setters_change_nothing),
        cmocka_unit_test(writers_survive_every_allocation_failure),
        cmocka_unit_test(writers_stop_at_the_buffer_limit),
        cmocka_unit_test(redirects_have_a_limit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
