/*
 * cli_wire.h: the wire-layer subcommands, `convert` and `decode`.
 */
#ifndef MC_CLI_WIRE_H
#define MC_CLI_WIRE_H

/* mesos-conform convert --type NAME --from json|protobuf --to json|protobuf */
int cli_convert(int argc, char **argv);

/* mesos-conform decode [--type NAME] [--codec json|protobuf] */
int cli_decode(int argc, char **argv);

#endif
