/*
 * cli.c: the mesos-conform command line.
 *
 * Each subcommand is a row of one table (name, one-line summary, handler).
 * Handlers parse their own flags, do their work into buffers, and print only
 * at the end, so that a failure never leaves half an answer on stdout: a bad
 * input gives one line on stderr that says what and where, and exit status
 * 2 (usage and input errors), as DESIGN.md's exit statuses say.
 */
#include "cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mc_err.h"

#include "cli_list.h"
#include "cli_proxy.h"
#include "cli_replay.h"
#include "cli_run.h"
#include "cli_serve.h"
#include "cli_simulate.h"
#include "cli_wire.h"

struct cli_command {
    const char *name;
    const char *summary;
    int (*run)(int argc, char **argv);
};

static const struct cli_command commands[] = {
    {"run", "run scenarios against the simulated reference or a real master", cli_run},
    {"list", "list scenario cases: id, level, needs, SPEC rows, title", cli_list},
    {"replay", "run the failures of a JSON report again (REPORT.json [--case ID])", cli_replay},
    {"simulate", "soak the simulated cluster with synthetic frameworks and faults", cli_simulate},
    {"serve", "serve the reference master over real HTTP until SIGINT/SIGTERM", cli_serve},
    {"proxy", "a fault-injecting HTTP proxy in front of a master (see conformance/PROXY.md)", cli_proxy},
    {"convert", "convert one message between JSON and protobuf (stdin to stdout)", cli_convert},
    {"decode", "print the records of a RecordIO stream as JSON lines", cli_decode},
};

#define COMMANDS_COUNT (sizeof(commands) / sizeof(commands[0]))

static void usage_print(FILE *to)
{
    fprintf(to, "usage: mesos-conform [--version] [--help] COMMAND [ARGS]\n\ncommands:\n");
    for (size_t i = 0; i < COMMANDS_COUNT; i++)
        fprintf(to, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(to, "\n'mesos-conform COMMAND --help' describes a command.\n");
}

int cli_main(int argc, char **argv)
{
    if (argc < 2) {
        usage_print(stderr);
        return CLI_EXIT_USAGE;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("mesos-conform %s\n", MC_VERSION);
        return CLI_EXIT_OK;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "help") == 0) {
        usage_print(stdout);
        return CLI_EXIT_OK;
    }
    for (size_t i = 0; i < COMMANDS_COUNT; i++) {
        if (strcmp(argv[1], commands[i].name) == 0)
            return commands[i].run(argc - 1, argv + 1);
    }
    fprintf(stderr, "mesos-conform: unknown command '%s' (mesos-conform --help lists them)\n",
            argv[1]);
    return CLI_EXIT_USAGE;
}

int cli_flag_value(int argc, char **argv, int *i, const char *flag, const char **value)
{
    size_t n = strlen(flag);
    const char *arg = argv[*i];
    if (strncmp(arg, flag, n) != 0)
        return 0;
    if (arg[n] == '=') {
        *value = arg + n + 1;
        return 1;
    }
    if (arg[n] != '\0')
        return 0;
    if (*i + 1 >= argc) {
        *value = NULL; /* the caller reports the missing value */
        return 1;
    }
    *value = argv[++*i];
    return 1;
}

int cli_write_all(FILE *to, const void *data, size_t len)
{
    if (len > 0 && fwrite(data, 1, len, to) != len)
        return MC_EIO;
    if (fflush(to) != 0)
        return MC_EIO;
    return 0;
}

int cli_usage_fail(const char *command, const char *fmt, const char *arg)
{
    fprintf(stderr, "mesos-conform %s: ", command);
    fprintf(stderr, fmt, arg);
    fputc('\n', stderr);
    return CLI_EXIT_USAGE;
}

int cli_u64_parse(const char *text, uint64_t max, uint64_t *out)
{
    if (text == NULL || *text < '0' || *text > '9')
        return MC_EINVAL;
    errno = 0;
    char *end = NULL;
    unsigned long long v = strtoull(text, &end, 10);
    if (errno != 0 || *end != '\0' || v > max)
        return MC_EINVAL;
    *out = v;
    return 0;
}
