/*
 * cli.h: the mesos-conform command line (subcommand parsing and dispatch).
 */
#ifndef MC_CLI_H
#define MC_CLI_H

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

#endif
