/*
 * cli_list.c: `mesos-conform list`: what a suite holds, one line per case.
 *
 * The columns are fixed so that the list reads as a table and can be cut
 * or grepped: id, level, needs (comma-separated, "-" for none), SPEC rows
 * (comma-separated), then the title. A value longer than its column pushes
 * the rest right by one space rather than being cut. Output is built in a
 * buffer and printed only when the whole suite loaded, so a bad file never
 * leaves half a list.
 */
#include "cli_list.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "mc_buf.h"
#include "mc_limits.h"
#include "scn.h"

#define LIST_DEFAULT_PATH "scenarios"
#define LIST_OUTPUT_BYTES_MAX (16u * 1024u * 1024u)

static int case_id_cmp(const void *a, const void *b)
{
    const struct scn_case *x = *(const struct scn_case *const *)a;
    const struct scn_case *y = *(const struct scn_case *const *)b;
    return strcmp(x->id, y->id);
}

static int line_append(struct mc_buf *out, const struct scn_case *c)
{
    char needs[256] = "", spec[512] = "";
    size_t n = 0;
    for (uint32_t bit = 0; bit < SCN_NEED_COUNT; bit++) {
        if ((c->needs & (1u << bit)) != 0)
            n += (size_t)snprintf(needs + n, n < sizeof(needs) ? sizeof(needs) - n : 0, "%s%s",
                                  n > 0 ? "," : "", scn_need_name((enum scn_need)(1u << bit)));
    }
    n = 0;
    for (uint32_t i = 0; i < c->spec_rows_count; i++)
        n += (size_t)snprintf(spec + n, n < sizeof(spec) ? sizeof(spec) - n : 0, "%s%s",
                              i > 0 ? "," : "", c->spec_rows[i]);
    return mc_buf_appendf(out, "%-28s %-6s %-16s %-14s %s\n", c->id, scn_level_name(c->level),
                          needs[0] != '\0' ? needs : "-", spec, c->title);
}

static void usage_print(FILE *to)
{
    fprintf(to, "usage: mesos-conform list [PATH...]\n\n"
                "Lists the cases of the scenario files under each PATH (files or folders;\n"
                "default: ./" LIST_DEFAULT_PATH "), sorted by id: id, level, needs, SPEC rows, "
                "title.\n");
}

int cli_list(int argc, char **argv)
{
    const char *default_path[] = {LIST_DEFAULT_PATH};
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0) {
            usage_print(stdout);
            return CLI_EXIT_OK;
        }
        if (argv[i][0] == '-' && argv[i][1] != '\0') {
            fprintf(stderr, "mesos-conform list: unknown option '%s'\n", argv[i]);
            usage_print(stderr);
            return CLI_EXIT_USAGE;
        }
    }
    const char *const *paths = argc > 1 ? (const char *const *)(argv + 1) : default_path;
    uint32_t paths_count = argc > 1 ? (uint32_t)(argc - 1) : 1;
    struct scn_suite suite;
    struct mc_diag diag;
    struct mc_buf out;
    mc_buf_init(&out, LIST_OUTPUT_BYTES_MAX, NULL);
    int err = scn_suite_load(&suite, paths, paths_count, NULL, &diag, &out);
    if (err != 0) {
        fprintf(stderr, "mesos-conform list: %s", mc_buf_str(&out));
        mc_buf_deinit(&out);
        scn_suite_deinit(&suite);
        return CLI_EXIT_USAGE;
    }
    if (suite.cases_count > 0)
        qsort(suite.cases, suite.cases_count, sizeof(suite.cases[0]), case_id_cmp);
    for (uint32_t i = 0; err == 0 && i < suite.cases_count; i++)
        err = line_append(&out, suite.cases[i]);
    scn_suite_deinit(&suite);
    if (err == 0)
        err = cli_write_all(stdout, out.data != NULL ? out.data : (uint8_t *)"", out.len);
    mc_buf_deinit(&out);
    if (err != 0) {
        fprintf(stderr, "mesos-conform list: %s\n", mc_strerror(err));
        return CLI_EXIT_USAGE;
    }
    return CLI_EXIT_OK;
}
