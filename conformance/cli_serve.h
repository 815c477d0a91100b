/*
 * cli_serve.h: `mesos-conform serve`, the reference master on real HTTP.
 */
#ifndef MC_CLI_SERVE_H
#define MC_CLI_SERVE_H

/*
 * mesos-conform serve [--listen HOST:PORT] [--heartbeat SECONDS] [--seed N]
 *   [--log-level debug|info|warn|error] [--agents N] [--resources SPEC]
 *   [--agent-ping-timeout SECONDS]
 *
 * argv[0] is "serve". Starts the reference master on a libuv loop, prints
 * "mesos-conform serve: master listening on http://HOST:PORT" (the real
 * port when PORT is 0) on stdout, logs to stderr, and serves until SIGINT
 * or SIGTERM, then closes every connection, destroys the master and
 * returns 0. Returns 2 for a usage error (one line on stderr, nothing on
 * stdout; --agents above 0 is one until the in-process agents exist) and 1
 * when the address cannot be listened on.
 */
int cli_serve(int argc, char **argv);

#endif
