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

/* Words of a replay command, and its length. */
#define REPLAY_WORDS_MAX 64
#define REPLAY_BYTES_MAX 4096

/*
 * Splits a replay command as the shell would the words run's replay line
 * writes (cli_run.c replay_word_put): words between spaces, '...' quoted
 * without escapes inside, a backslash taking the next byte as it is.
 * words[] point into buf. Returns the number of words, or -1 when the
 * command does not fit or has an open quote.
 */
static int words_split(const char *cmd, char *buf, size_t buf_bytes, char **words,
                       int words_max)
{
    size_t n = 0;
    int count = 0;
    const char *p = cmd;
    for (;;) {
        while (*p == ' ')
            p++;
        if (*p == '\0')
            return count;
        if (count == words_max)
            return -1;
        words[count++] = buf + n;
        while (*p != '\0' && *p != ' ') {
            if (*p == '\'') {
                const char *end = strchr(p + 1, '\'');
                if (end == NULL || n + (size_t)(end - p) >= buf_bytes)
                    return -1;
                memcpy(buf + n, p + 1, (size_t)(end - p - 1));
                n += (size_t)(end - p - 1);
                p = end + 1;
                continue;
            }
            if (*p == '\\' && p[1] != '\0')
                p++;
            if (n + 1 >= buf_bytes)
                return -1;
            buf[n++] = *p++;
        }
        if (n + 1 >= buf_bytes)
            return -1;
        buf[n++] = '\0';
    }
}

/*
 * Runs one case again, as its replay command says: the command the report
 * holds (with the options of a real target: --via-proxy, --hook, --agent,
 * ...), or, for a report without one, its file, target, seed and id.
 */
static int case_replay(const struct report_run *run, const struct report_case *c)
{
    char buf[REPLAY_BYTES_MAX];
    char *words[REPLAY_WORDS_MAX + 1];
    int n = c->replay != NULL ? words_split(c->replay, buf, sizeof(buf), words, REPLAY_WORDS_MAX)
                              : -1;
    if (n >= 2 && strcmp(words[1], "run") == 0) {
        printf("replay: %s\n", c->replay);
        fflush(stdout);
        words[n] = NULL;
        return cli_run(n - 1, words + 1);
    }
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
