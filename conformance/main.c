/*
 * main.c: the mesos-conform command line. It sets up the two process-wide
 * libraries once, before any thread starts (libcurl's global state, and
 * jansson's hash seed, fixed so that nothing depends on a random seed),
 * then hands over to cli.c.
 */
#include <curl/curl.h>
#include <jansson.h>
#include <stdio.h>

#include "cli.h"

int main(int argc, char **argv)
{
    json_object_seed(1);
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        fprintf(stderr, "mesos-conform: libcurl could not start\n");
        return CLI_EXIT_USAGE;
    }
    int status = cli_main(argc, argv);
    curl_global_cleanup();
    return status;
}
