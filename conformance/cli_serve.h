/*
 * cli_serve.h: `mesos-conform serve`, the reference master on real HTTP.
 */
#ifndef MC_CLI_SERVE_H
#define MC_CLI_SERVE_H

/*
 * mesos-conform serve [--listen HOST:PORT] [--heartbeat SECONDS] [--seed N]
 *   [--log-level debug|info|warn|error] [--max-connections N]
 *   [--agents N [--resources SPEC]] [--agent-ping-timeout SECONDS]
 *
 * argv[0] is "serve". Starts the reference master on a libuv loop, prints
 * "mesos-conform serve: master listening on http://HOST:PORT" (the real
 * port when PORT is 0) on stdout, logs to stderr, and serves until SIGINT
 * or SIGTERM, then closes every connection, destroys the master and
 * returns 0. With --agents N (at most MC_SERVE_AGENTS_MAX) it also runs N
 * reference agents on the same loop, "agent1".."agentN" with AgentInfo
 * ports 5051..5050+N, each offering SPEC (Mesos' agent resource syntax),
 * that register with the master at its listen address over HTTP; a
 * second stdout line names them. --agent-ping-timeout goes to the master
 * and to the agents. Returns 2 for a usage error (one line on stderr,
 * nothing on stdout: a bad value, too many agents, --resources without
 * agents or a SPEC Mesos would not parse) and 1 when the address cannot
 * be listened on.
 */
int cli_serve(int argc, char **argv);

#endif
