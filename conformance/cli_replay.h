/*
 * cli_replay.h: `mesos-conform replay REPORT.json [--case ID]`.
 */
#ifndef MC_CLI_REPLAY_H
#define MC_CLI_REPLAY_H

int cli_replay(int argc, char **argv);

#endif
