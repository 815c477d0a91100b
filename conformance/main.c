/*
 * main.c: the mesos-conform command line. It only parses the subcommand and
 * hands over to cli.c; it is one of the few places that print.
 */
#include "cli.h"

int main(int argc, char **argv)
{
    return cli_main(argc, argv);
}
