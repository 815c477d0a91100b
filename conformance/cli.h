/*
 * cli.h: the mesos-conform command line (subcommand parsing and dispatch).
 */
#ifndef MC_CLI_H
#define MC_CLI_H

#include <stdint.h>
#include <stdio.h>

/* Exit statuses (DESIGN.md): all passed, some failed, usage or input error. */
enum cli_exit { CLI_EXIT_OK = 0, CLI_EXIT_FAIL = 1, CLI_EXIT_USAGE = 2 };

/* Runs the command line; returns the process exit status. */
int cli_main(int argc, char **argv);

/*
 * Matches argv[*i] against a flag taking a value, as "--flag VALUE" or
 * "--flag=VALUE". Returns 1 on a match (advancing *i past a separate value)
 * with *value set, or NULL when the value is missing; 0 when it is another
 * argument.
 */
int cli_flag_value(int argc, char **argv, int *i, const char *flag, const char **value);

/* Writes and flushes; MC_EIO when the output is gone (a closed pipe). */
int cli_write_all(FILE *to, const void *data, size_t len);

/*
 * A usage error of COMMAND: one line "mesos-conform COMMAND: <fmt with arg>"
 * on stderr. Returns CLI_EXIT_USAGE, for `return cli_usage_fail(...)`.
 */
int cli_usage_fail(const char *command, const char *fmt, const char *arg);

/* A flag's decimal integer in [0, max], digits only: 0, or MC_EINVAL. */
int cli_u64_parse(const char *text, uint64_t max, uint64_t *out);

#endif
