/*
 * cli_proxy.h: `mesos-conform proxy`, the fault proxy on its own
 * (conformance/proxy.h, conformance/PROXY.md).
 */
#ifndef MC_CLI_PROXY_H
#define MC_CLI_PROXY_H

/*
 * mesos-conform proxy --listen HOST:PORT --upstream HOST:PORT
 *   [--fault NAME[=ARG]]... [--seed N]
 *
 * argv[0] is "proxy". Listens on HOST:PORT (default 127.0.0.1:0), forwards
 * every connection to the upstream with the given faults in force, prints
 * "mesos-conform proxy: listening on http://ADDR, upstream HOST:PORT" (the
 * real port when 0 was asked) on stdout, and runs until SIGINT or SIGTERM;
 * then it closes every connection and returns 0. Faults can be changed
 * while it runs through the control channel (/__mesos_conform/fault?...).
 * Returns 2 for a usage error (one line on stderr, nothing on stdout) and
 * 1 when the address cannot be listened on.
 */
int cli_proxy(int argc, char **argv);

#endif
