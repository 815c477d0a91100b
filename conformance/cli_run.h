/*
 * cli_run.h: `mesos-conform run`, the conformance suite on a target.
 */
#ifndef MC_CLI_RUN_H
#define MC_CLI_RUN_H

int cli_run(int argc, char **argv);

#endif
