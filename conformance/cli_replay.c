/*
 * cli_replay.c: reproduces the failures of a JSON report.
 *
 * Reads a report written by `run --report json:FILE`, takes each case that
 * failed or was unknown (or the one --case names), and runs it again with
 * its own file, target and seed, exactly as its replay command says. The
 * exit status is that of the new run: 1 when the failure is reproduced.
 */
#include "cli_replay.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_run.h"
#include "mc_limits.h"
#include "report.h"

static int file_read(const char *path, struct mc_buf *out)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return MC_EIO;
    char chunk[65536];
    size_t n;
    int err = 0;
    while (err == 0 && (n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        err = mc_buf_append(out, chunk, n);
    if (ferror(f))
        err = MC_EIO;
    fclose(f);
    return err;
}

/* Runs one case again, as its replay command says. */
static int case_replay(const struct report_run *run, const struct report_case *c)
{
    char seed[32];
    snprintf(seed, sizeof(seed), "%" PRIu64, c->seed);
    char *args[] = {"run", c->file, "--target", run->target, "--seed", seed, "--filter", c->id, NULL};
    printf("replay: mesos-conform run %s --target %s --seed %s --filter %s\n", c->file, run->target,
           seed, c->id);
    fflush(stdout);
    return cli_run(8, args);
}

int cli_replay(int argc, char **argv)
{
    const char *path = NULL, *only = NULL;
    for (int i = 1; i < argc; i++) {
        const char *v = NULL;
        if (cli_flag_value(argc, argv, &i, "--case", &v)) {
            if (v == NULL) {
                fprintf(stderr, "mesos-conform replay: --case needs a value\n");
                return CLI_EXIT_USAGE;
            }
            only = v;
        } else if (path == NULL && argv[i][0] != '-') {
            path = argv[i];
        } else {
            fprintf(stderr, "usage: mesos-conform replay REPORT.json [--case ID]\n");
            return CLI_EXIT_USAGE;
        }
    }
    if (path == NULL) {
        fprintf(stderr, "usage: mesos-conform replay REPORT.json [--case ID]\n");
        return CLI_EXIT_USAGE;
    }
    struct mc_buf text;
    mc_buf_init(&text, MC_REPORT_JSON_BYTES_MAX, NULL);
    struct report_run *run = NULL;
    struct mc_diag diag;
    mc_diag_clear(&diag);
    snprintf(diag.source, sizeof(diag.source), "%s", path);
    int err = file_read(path, &text);
    if (err != 0)
        fprintf(stderr, "mesos-conform replay: cannot read %s: %s\n", path, mc_strerror(err));
    else if ((err = report_read_json(mc_buf_str(&text), text.len, &run, &diag)) != 0) {
        char line[MC_DIAG_TEXT_BYTES_MAX + MC_DIAG_SOURCE_BYTES_MAX + 64];
        if (diag.source[0] == '\0')
            snprintf(diag.source, sizeof(diag.source), "%s", path);
        fprintf(stderr, "mesos-conform replay: %s\n", mc_diag_format(&diag, line, sizeof(line)));
    }
    mc_buf_deinit(&text);
    if (err != 0)
        return CLI_EXIT_USAGE;
    int status = CLI_EXIT_OK, replayed = 0;
    for (uint32_t i = 0; i < run->cases_count; i++) {
        const struct report_case *c = run->cases[i];
        int wanted = only ? strcmp(c->id, only) == 0
                          : c->verdict == REPORT_FAIL || c->verdict == REPORT_UNKNOWN;
        if (!wanted)
            continue;
        replayed++;
        int s = case_replay(run, c);
        if (s > status)
            status = s;
    }
    if (replayed == 0) {
        fprintf(stderr, "mesos-conform replay: %s\n",
                only ? "no case with that id in the report" : "the report has no failure to replay");
        status = only ? CLI_EXIT_USAGE : CLI_EXIT_OK;
    }
    report_run_destroy(run);
    return status;
}
