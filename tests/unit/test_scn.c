/*
 * test_scn.c: the scenario language (conformance/scn.h).
 *
 * Data cases, jansson style: every folder of MC_TEST_DATA_DIR/scn/valid
 * holds an input (a scenario) and the expected dump of its AST; every
 * folder of scn/invalid holds an input and the expected rendered error
 * (file:line:col: message, the line, the caret). The cases are named
 * "input" in the rendering, so the expected files hold no path. On a
 * mismatch the actual text is saved beside the test binary as
 * scn_<case>.actual, for review.
 *
 * Then: every example under scenarios/scheduler parses and the suite loads with
 * unique ids; duplicate ids across files report both places; variables
 * expand; diagnostics render with tabs and UTF-8 before the caret; every
 * allocation of a parse can fail without a leak or a crash.
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "mc_alloc.h"
#include "mc_buf.h"
#include "mc_diag.h"
#include "mc_err.h"
#include "scn.h"

#define DATA_DIR MC_TEST_DATA_DIR "/scn"
#define SCENARIOS_DIR MC_TEST_DATA_DIR "/../../scenarios"
#define FILE_BYTES_MAX (2u * 1024u * 1024u)
#define ROWS(a) (sizeof(a) / sizeof((a)[0]))

/* ---- helpers ---------------------------------------------------------- */

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

static void actual_save(const char *name, const char *text)
{
    char path[512];
    snprintf(path, sizeof(path), "scn_%s.actual", name);
    FILE *f = fopen(path, "wb");
    if (f != NULL) {
        fputs(text, f);
        fclose(f);
    }
}

/* Parses text as "input"; returns the dump, or the rendered error. */
static char *parse_render(const char *text, size_t len, int *rc_out)
{
    struct scn_case *c = NULL;
    struct mc_diag diag;
    mc_diag_clear(&diag);
    int rc = scn_parse_text("input", text, len, NULL, &c, &diag);
    struct mc_buf out;
    mc_buf_init(&out, FILE_BYTES_MAX, NULL);
    if (rc == 0) {
        assert_non_null(c);
        assert_int_equal(scn_case_dump(c, &out), 0);
        scn_case_free(c);
    } else {
        assert_null(c);
        assert_true(diag.text[0] != '\0');
        assert_int_equal(scn_diag_render(&diag, text, len, &out), 0);
    }
    *rc_out = rc;
    char *s = strdup(mc_buf_str(&out));
    assert_non_null(s);
    mc_buf_deinit(&out);
    return s;
}

static int name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Calls check(dir, name) on every case folder of DATA_DIR/which, in name order. */
static void data_cases_run(const char *which, void (*check)(const char *dir, const char *name))
{
    char root[512];
    snprintf(root, sizeof(root), "%s/%s", DATA_DIR, which);
    DIR *dir = opendir(root);
    if (dir == NULL)
        fail_msg("no case folder %s", root);
    char *names[512];
    size_t count = 0;
    struct dirent *e;
    while ((e = readdir(dir)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        assert_true(count < ROWS(names));
        names[count] = strdup(e->d_name);
        assert_non_null(names[count++]);
    }
    closedir(dir);
    assert_true(count > 0);
    qsort(names, count, sizeof(names[0]), name_cmp);
    for (size_t i = 0; i < count; i++) {
        char path[1024];
        snprintf(path, sizeof(path), "%s/%s", root, names[i]);
        check(path, names[i]);
        free(names[i]);
    }
}

static void case_check(const char *dir, const char *name, int want_ok)
{
    char path[1200];
    size_t in_len, exp_len;
    snprintf(path, sizeof(path), "%s/input", dir);
    char *input = file_read(path, &in_len);
    snprintf(path, sizeof(path), "%s/expected", dir);
    char *expected = file_read(path, &exp_len);
    int rc;
    char *got = parse_render(input, in_len, &rc);
    if ((rc == 0) != want_ok || strcmp(got, expected) != 0) {
        actual_save(name, got);
        fail_msg("%s: rc %d\n--- got\n%s--- expected\n%s", dir, rc, got, expected);
    }
    /* An error is also exit status 2 material: never MC_ENOMEM or an assert here. */
    assert_true(rc == 0 || rc == MC_EPARSE || rc == MC_ELIMIT);
    free(got);
    free(expected);
    free(input);
}

static void valid_check(const char *dir, const char *name)
{
    case_check(dir, name, 1);
}

static void invalid_check(const char *dir, const char *name)
{
    case_check(dir, name, 0);
}

static void test_valid_cases(void **state)
{
    (void)state;
    data_cases_run("valid", valid_check);
}

static void test_invalid_cases(void **state)
{
    (void)state;
    data_cases_run("invalid", invalid_check);
}

/* ---- the examples ---------------------------------------------------------- */

/* The examples of scenarios/scheduler load as one suite, with unique ids. */
static void test_examples_load(void **state)
{
    (void)state;
    const char *paths[] = {SCENARIOS_DIR "/scheduler"};
    struct scn_suite suite;
    struct mc_diag diag;
    struct mc_buf rendered;
    mc_buf_init(&rendered, FILE_BYTES_MAX, NULL);
    int rc = scn_suite_load(&suite, paths, 1, NULL, &diag, &rendered);
    if (rc != 0)
        fail_msg("%s", mc_buf_str(&rendered));
    assert_true(suite.cases_count >= 8);
    /* Sorted by path, every case has its metadata and at least one step. */
    for (uint32_t i = 0; i < suite.cases_count; i++) {
        const struct scn_case *c = suite.cases[i];
        assert_non_null(c->id);
        assert_non_null(c->title);
        assert_true(c->spec_rows_count > 0);
        assert_true(c->steps_count > 0);
        if (i > 0)
            assert_true(strcmp(suite.cases[i - 1]->file, c->file) < 0);
    }
    scn_suite_deinit(&suite);
    mc_buf_deinit(&rendered);
}

/* Every prefix of every example parses or fails cleanly, pointing inside the text. */
static void test_examples_prefixes(void **state)
{
    (void)state;
    DIR *dir = opendir(SCENARIOS_DIR "/scheduler");
    assert_non_null(dir);
    struct dirent *e;
    size_t files = 0;
    while ((e = readdir(dir)) != NULL) {
        if (strstr(e->d_name, ".scn") == NULL)
            continue;
        char path[1024];
        snprintf(path, sizeof(path), "%s/scheduler/%s", SCENARIOS_DIR, e->d_name);
        size_t len;
        char *text = file_read(path, &len);
        for (size_t cut = 0; cut <= len; cut++) {
            struct scn_case *c = NULL;
            struct mc_diag diag;
            int rc = scn_parse_text("input", text, cut, NULL, &c, &diag);
            assert_true(rc == 0 || rc == MC_EPARSE);
            if (rc == 0) {
                scn_case_free(c);
                continue;
            }
            assert_true(diag.line >= 1 && diag.column >= 1);
            uint32_t lines = 1;
            for (size_t i = 0; i < cut; i++)
                lines += text[i] == '\n';
            assert_true(diag.line <= lines);
        }
        free(text);
        files++;
    }
    closedir(dir);
    assert_true(files >= 8);
}

/* ---- suites ---------------------------------------------------------- */

static void file_write(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fputs(text, f);
    assert_int_equal(fclose(f), 0);
}

static const char minimal[] = "id: a/b/1\ntitle: t\nspec: S4\nlevel: must\n\n"
                              "scheduler s1\ns1 raw GET /api/v1/scheduler\n";

static void test_suite_duplicates(void **state)
{
    (void)state;
    char root[] = "scn_suite_XXXXXX";
    assert_non_null(mkdtemp(root));
    char a[128], b[128], sub[128], other[128];
    snprintf(sub, sizeof(sub), "%s/sub", root);
    assert_int_equal(mkdir(sub, 0700), 0);
    snprintf(a, sizeof(a), "%s/one.scn", root);
    snprintf(b, sizeof(b), "%s/sub/two.scn", root);
    snprintf(other, sizeof(other), "%s/notes.txt", root);
    file_write(a, minimal);
    file_write(other, "not a scenario");
    /* One file: loads, the .txt beside it is ignored, a path named twice is read once. */
    const char *paths[] = {root, a};
    struct scn_suite suite;
    struct mc_diag diag;
    assert_int_equal(scn_suite_load(&suite, paths, 2, NULL, &diag, NULL), 0);
    assert_int_equal(suite.cases_count, 1);
    scn_suite_deinit(&suite);
    /* Two files with one id: both places are named. */
    file_write(b, minimal);
    struct mc_buf r;
    mc_buf_init(&r, 65536, NULL);
    assert_int_equal(scn_suite_load(&suite, paths, 1, NULL, &diag, &r), MC_EEXIST);
    assert_int_equal(suite.cases_count, 0);
    char want[1024];
    snprintf(want, sizeof(want),
             "%s:1:5: duplicate id 'a/b/1' (first used at %s:1:5)\nid: a/b/1\n    ^\n", b, a);
    assert_string_equal(mc_buf_str(&r), want);
    mc_buf_reset(&r);
    /* A missing path is an error with its name. */
    const char *missing[] = {"scn_no_such_folder"};
    assert_int_equal(scn_suite_load(&suite, missing, 1, NULL, &diag, &r), MC_EIO);
    assert_string_equal(mc_buf_str(&r), "scn_no_such_folder: No such file or directory\n");
    mc_buf_deinit(&r);
    unlink(a);
    unlink(b);
    unlink(other);
    rmdir(sub);
    rmdir(root);
}

/* ---- expansion and rendering ------------------------------------------- */

static const char *lookup(void *ctx, const char *name)
{
    (void)ctx;
    if (strcmp(name, "fw") == 0)
        return "F-1";
    if (strcmp(name, "s1.stream_id") == 0)
        return "abc";
    return NULL;
}

static void test_expand(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        const char *out; /* NULL: error */
        int rc;
    } rows[] = {
        {"plain", "plain", 0},
        {"${fw}", "F-1", 0},
        {"a ${fw} b ${s1.stream_id}", "a F-1 b abc", 0},
        {"cost $5 and ^end$", "cost $5 and ^end$", 0},
        {"$${fw} is literal", "${fw} is literal", 0},
        {"$$${fw}", "$${fw}", 0}, /* "$" then the literal "$${" */
        {"${nope}", NULL, MC_ENOTFOUND},
        {"${fw", NULL, MC_EPARSE},
        {"${}", NULL, MC_EPARSE},
        {"${1x}", NULL, MC_EPARSE},
    };
    for (size_t i = 0; i < ROWS(rows); i++) {
        struct mc_buf out;
        mc_buf_init(&out, 1024, NULL);
        struct mc_diag diag;
        mc_diag_clear(&diag);
        int rc = scn_text_expand(rows[i].in, lookup, NULL, &out, &diag);
        if (rc != rows[i].rc)
            fail_msg("row %zu '%s': rc %d, want %d", i, rows[i].in, rc, rows[i].rc);
        if (rc == 0)
            assert_string_equal(mc_buf_str(&out), rows[i].out);
        else
            assert_true(diag.text[0] != '\0');
        mc_buf_deinit(&out);
    }
}

static void test_render(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        uint32_t line, column;
        const char *want;
    } rows[] = {
        {"abc\ndef\n", 2, 3, "f:2:3: m\ndef\n  ^\n"},
        {"\tx = 1\n", 1, 2, "f:1:2: m\n\tx = 1\n\t^\n"},
        {"\xc3\xa9t\xc3\xa9 x\n", 1, 6, "f:1:6: m\n\xc3\xa9t\xc3\xa9 x\n   ^\n"},
        {"ab", 1, 3, "f:1:3: m\nab\n  ^\n"},
        {"ab\n", 5, 1, "f:5:1: m\n"},
        {"", 0, 0, "f: m\n"},
    };
    for (size_t i = 0; i < ROWS(rows); i++) {
        struct mc_diag diag;
        mc_diag_clear(&diag);
        snprintf(diag.source, sizeof(diag.source), "f");
        diag.line = rows[i].line;
        diag.column = rows[i].column;
        mc_diag_set(&diag, "m");
        struct mc_buf out;
        mc_buf_init(&out, 1024, NULL);
        assert_int_equal(scn_diag_render(&diag, rows[i].text, strlen(rows[i].text), &out), 0);
        if (strcmp(mc_buf_str(&out), rows[i].want) != 0)
            fail_msg("row %zu:\n%s---\n%s", i, mc_buf_str(&out), rows[i].want);
        mc_buf_deinit(&out);
    }
}

/* ---- limits and allocation failures ------------------------------------- */

static void test_limits(void **state)
{
    (void)state;
    struct mc_buf t;
    mc_buf_init(&t, 4u * 1024u * 1024u, NULL);
    /* A file over the limit. */
    for (size_t i = 0; i < MC_SCN_FILE_BYTES_MAX / 8 + 1; i++)
        assert_int_equal(mc_buf_append_str(&t, "#......\n"), 0);
    struct scn_case *c = NULL;
    struct mc_diag diag;
    assert_int_equal(scn_parse_text("f", mc_buf_str(&t), t.len, NULL, &c, &diag), MC_ELIMIT);
    assert_null(c);
    /* Too many steps. */
    mc_buf_reset(&t);
    assert_int_equal(mc_buf_append_str(&t, "id: a/b/1\ntitle: t\nspec: S4\nlevel: must\n"), 0);
    for (size_t i = 0; i <= MC_SCN_STEPS_MAX; i++)
        assert_int_equal(mc_buf_append_str(&t, "advance 1s\n"), 0);
    assert_int_equal(scn_parse_text("f", mc_buf_str(&t), t.len, NULL, &c, &diag), MC_ELIMIT);
    assert_int_equal(diag.line, 5 + MC_SCN_STEPS_MAX);
    assert_string_equal(diag.text, "more than 1024 steps in one case");
    /* Deep JSON. */
    mc_buf_reset(&t);
    assert_int_equal(mc_buf_append_str(&t, minimal), 0);
    assert_int_equal(mc_buf_append_str(&t, "s1 subscribe\n  {\"a\":"), 0);
    for (size_t i = 0; i < MC_SCN_JSON_DEPTH_MAX; i++)
        assert_int_equal(mc_buf_append_str(&t, "["), 0);
    for (size_t i = 0; i < MC_SCN_JSON_DEPTH_MAX; i++)
        assert_int_equal(mc_buf_append_str(&t, "]"), 0);
    assert_int_equal(mc_buf_append_str(&t, "}\n"), 0);
    assert_int_equal(scn_parse_text("f", mc_buf_str(&t), t.len, NULL, &c, &diag), MC_EPARSE);
    assert_string_equal(diag.text, "JSON nested deeper than 64 levels");
    mc_buf_deinit(&t);
}

static void test_alloc_failures(void **state)
{
    (void)state;
    size_t len;
    char *text = file_read(SCENARIOS_DIR "/scheduler/failover-force-true.scn", &len);
    for (uint64_t fail_at = 0;; fail_at++) {
        struct mc_alloc_counting counting;
        mc_alloc_counting_init(&counting, fail_at);
        struct scn_case *c = NULL;
        struct mc_diag diag;
        int rc = scn_parse_text("input", text, len, &counting.alloc, &c, &diag);
        if (rc == 0) {
            scn_case_free(c);
            assert_int_equal(counting.live, 0);
            assert_true(fail_at > 10);
            break;
        }
        assert_int_equal(rc, MC_ENOMEM);
        assert_null(c);
        assert_int_equal(counting.live, 0);
        assert_string_equal(diag.text, "out of memory");
    }
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_cases),     cmocka_unit_test(test_invalid_cases),
        cmocka_unit_test(test_examples_load),   cmocka_unit_test(test_examples_prefixes),
        cmocka_unit_test(test_suite_duplicates), cmocka_unit_test(test_expand),
        cmocka_unit_test(test_render),          cmocka_unit_test(test_limits),
        cmocka_unit_test(test_alloc_failures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
