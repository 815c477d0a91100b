/*
 * cli_list.h: `mesos-conform list [PATH...]`, the cases of a suite.
 */
#ifndef MC_CLI_LIST_H
#define MC_CLI_LIST_H

/*
 * Loads every scenario under PATH... (default: "scenarios" in the current
 * folder) and prints one line per case, sorted by id, in fixed columns:
 * id, level, needs, SPEC rows, title. argv[0] is "list". Returns the exit
 * status: 0, or 2 for a usage error or any scenario-file error (the error
 * rendered with its line and caret on stderr, nothing on stdout).
 */
int cli_list(int argc, char **argv);

#endif
