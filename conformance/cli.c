#include "cli.h"

#include <stdio.h>
#include <string.h>

static const char usage_text[] =
    "usage: mesos-conform [--version] [--help] COMMAND [ARGS]\n";

int cli_main(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "--version") == 0) {
        printf("mesos-conform %s\n", MC_VERSION);
        return 0;
    }
    fputs(usage_text, argc >= 2 && strcmp(argv[1], "--help") == 0 ? stdout : stderr);
    return argc >= 2 && strcmp(argv[1], "--help") == 0 ? 0 : 2;
}
