/*
 * cli.h: the mesos-conform command line (subcommand parsing and dispatch).
 */
#ifndef MC_CLI_H
#define MC_CLI_H

/* Runs the command line; returns the process exit status (0, 1 or 2). */
int cli_main(int argc, char **argv);

#endif
