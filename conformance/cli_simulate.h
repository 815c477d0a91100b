/*
 * cli_simulate.h: `mesos-conform simulate`, the soak of simulator/soak.h.
 */
#ifndef MC_CLI_SIMULATE_H
#define MC_CLI_SIMULATE_H

/*
 * Parses the flags (see the usage text in cli_simulate.c), runs the soak
 * and prints its summary (text, or one JSON object with --json). argv[0] is
 * "simulate". Returns the exit status: 0, 1 when an invariant was violated
 * or the world stopped, 2 for bad flags (one line on stderr).
 */
int cli_simulate(int argc, char **argv);

#endif
