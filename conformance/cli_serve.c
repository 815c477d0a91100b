/*
 * cli_serve.c: `mesos-conform serve` (cli_serve.h).
 *
 * The command wires its nodes onto one uv loop: the libuv runtime
 * (reference/uv/rt_uv.h) that listens, the reference master driven by it,
 * the thin node that answers /version and /health in front of the master,
 * and with --agents N, N reference agents (reference/agent/agent.h), each
 * on a runtime of its own that never listens: an agent only makes calls,
 * and registers with the master at the master's real address over the
 * internal API (reference/agent/README.md), as an agent on another machine
 * would. A signal ends the run: every runtime shuts down first (no node is
 * ever called again), then the agents and the master are destroyed, the
 * signal handles close, and the loop runs dry before everything is freed,
 * so that the exit is clean under the sanitizers too.
 */
#include "cli_serve.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uv.h>

#include "agent.h"
#include "cli.h"
#include "master.h"
#include "mc_assert.h"
#include "mc_diag.h"
#include "mc_limits.h"
#include "resources.h"
#include "rt_uv.h"

/* The longest heartbeat or timeout the flags take: a day is plenty for a test bed. */
#define SERVE_SECONDS_MAX 86400.0

/* What each agent offers when --resources does not say (Mesos' agent flag syntax). */
#define SERVE_RESOURCES_DEFAULT "cpus:4;mem:8192;disk:65536;ports:[31000-32000]"

/* Agent i (from 1) is "agent<i>" with AgentInfo.port SERVE_AGENT_PORT_BASE + i. */
#define SERVE_AGENT_PORT_BASE (AGENT_PORT_DEFAULT - 1)
#define SERVE_AGENT_HOSTNAME_BYTES_MAX 16

/* The usage text and the errors spell these limits out. */
static_assert(MC_SERVE_AGENTS_MAX == 64u, "the usage text says 0 to 64 agents");
static_assert(MC_AGENT_RESOURCES_BYTES_MAX == 64u * 1024u, "the error says 64 KiB");
static_assert(SERVE_AGENT_PORT_BASE + MC_SERVE_AGENTS_MAX <= 65535u, "agent ports are ports");

static const char serve_usage[] =
    "usage: mesos-conform serve [--listen HOST:PORT] [--heartbeat SECONDS] [--seed N]\n"
    "                           [--log-level debug|info|warn|error] [--max-connections N]\n"
    "                           [--agents N [--resources SPEC]] [--agent-ping-timeout SECONDS]\n"
    "  Runs the reference master on HOST:PORT (default 127.0.0.1:5050; port 0 picks a\n"
    "  free one) until SIGINT or SIGTERM. --heartbeat sets the scheduler heartbeat\n"
    "  interval (Mesos: 15), --seed the generator behind ids (default 0).\n"
    "  --max-connections caps the connections served at once (default 1024; each\n"
    "  subscribed framework holds one); raise `ulimit -n` to match.\n"
    "  --agents N (0 to 64, default 0) runs N agents in the process, agent1:5051 to\n"
    "  agentN:5050+N, that register with the master over HTTP; each offers SPEC\n"
    "  (Mesos' agent syntax, default " SERVE_RESOURCES_DEFAULT ").\n"
    "  --agent-ping-timeout sets the master's agent ping interval and the agents'\n"
    "  ping timeout (Mesos: 15).\n";

struct serve_flags {
    const char *listen;
    uint64_t heartbeat_interval_ns;
    uint64_t agent_ping_timeout_ns;
    uint64_t seed;
    uint64_t agents;
    uint64_t conns_max;
    const char *resources;
    enum rt_log_level log_level;
};

/* One in-process agent: its own runtime (no listener) and the agent core on it. */
struct serve_agent {
    struct uvrt *runtime;
    struct agent *agent;
    char hostname[SERVE_AGENT_HOSTNAME_BYTES_MAX];
};

struct serve {
    uv_loop_t loop;
    struct uvrt *runtime;
    struct master *master;
    struct uvrt_routes routes;
    struct serve_agent agents[MC_SERVE_AGENTS_MAX];
    uint32_t agents_count; /* runtimes created, from agents[0] on */
    uv_signal_t sigint;
    uv_signal_t sigterm;
    int stopping;
};

static int usage_fail(const char *fmt, const char *a)
{
    return cli_usage_fail("serve", fmt, a);
}

static int seconds_parse(const char *s, uint64_t *ns_out)
{
    if (s == NULL || *s == '\0' || *s == '-' || *s == '+')
        return MC_EINVAL;
    errno = 0;
    char *end = NULL;
    double v = strtod(s, &end);
    if (errno != 0 || *end != '\0' || !isfinite(v) || v <= 0.0 || v > SERVE_SECONDS_MAX)
        return MC_EINVAL;
    uint64_t ns = (uint64_t)(v * 1e9 + 0.5);
    *ns_out = ns > 0 ? ns : 1;
    return 0;
}

static int log_level_parse(const char *s, enum rt_log_level *out)
{
    static const char *const names[] = {"debug", "info", "warn", "error"};
    for (int i = 0; i < 4; i++) {
        if (s != NULL && strcmp(s, names[i]) == 0) {
            *out = (enum rt_log_level)i;
            return 0;
        }
    }
    return MC_EINVAL;
}

/* One flag with its value; returns 0 when it was not one of ours, 1 when taken, <0 bad. */
static int flag_take(struct serve_flags *f, int argc, char **argv, int *i)
{
    const char *v = NULL;
    int bad = 0;
    if (cli_flag_value(argc, argv, i, "--listen", &v))
        f->listen = v;
    else if (cli_flag_value(argc, argv, i, "--heartbeat", &v))
        bad = seconds_parse(v, &f->heartbeat_interval_ns);
    else if (cli_flag_value(argc, argv, i, "--agent-ping-timeout", &v))
        bad = seconds_parse(v, &f->agent_ping_timeout_ns);
    else if (cli_flag_value(argc, argv, i, "--seed", &v))
        bad = cli_u64_parse(v, UINT64_MAX, &f->seed);
    else if (cli_flag_value(argc, argv, i, "--agents", &v))
        bad = cli_u64_parse(v, UINT64_MAX, &f->agents);
    else if (cli_flag_value(argc, argv, i, "--max-connections", &v))
        bad = cli_u64_parse(v, UINT64_MAX, &f->conns_max) != 0 || f->conns_max == 0 ||
              f->conns_max > MC_UV_CONNS_FLAG_MAX;
    else if (cli_flag_value(argc, argv, i, "--resources", &v))
        f->resources = v;
    else if (cli_flag_value(argc, argv, i, "--log-level", &v))
        bad = log_level_parse(v, &f->log_level);
    else
        return 0;
    if (v == NULL)
        return usage_fail("%s needs a value", argv[*i]);
    if (bad != 0)
        return usage_fail("bad value '%s' (see mesos-conform serve --help)", v);
    return 1;
}

/*
 * Checks --resources as the master will read it (Mesos' agent syntax), so
 * that a bad text is a usage error now rather than agents refused later.
 */
static int resources_check(const char *text)
{
    if (text[0] == '\0')
        return usage_fail("--resources: %s", "empty (see mesos-conform serve --help)");
    if (strlen(text) >= MC_AGENT_RESOURCES_BYTES_MAX)
        return usage_fail("--resources: %s", "longer than 64 KiB");
    struct res_set set;
    res_set_init(&set, NULL);
    struct mc_diag diag;
    mc_diag_clear(&diag);
    int err = res_parse(text, &set, &diag);
    int empty = err == 0 && res_set_empty(&set);
    res_set_deinit(&set);
    if (err == MC_EUNSUPPORTED)
        return usage_fail("--resources: %s", "JSON resources are not supported; use "
                                             "\"cpus:4;mem:8192;ports:[31000-32000]\"");
    if (err != 0) {
        char text_at[MC_DIAG_TEXT_BYTES_MAX + 64];
        snprintf(text_at, sizeof(text_at), "%s (at byte %llu)", diag.text,
                 (unsigned long long)diag.offset);
        return usage_fail("--resources: %s", text_at);
    }
    if (empty)
        return usage_fail("--resources: %s", "no resources in it");
    return -1;
}

/* What one flag cannot tell alone. Returns -1 to go on, or the exit status. */
static int flags_check(struct serve_flags *f)
{
    if (f->agents > MC_SERVE_AGENTS_MAX) {
        char text[96];
        snprintf(text, sizeof(text), "%llu agents, at most %u run in one serve",
                 (unsigned long long)f->agents, (unsigned)MC_SERVE_AGENTS_MAX);
        return usage_fail("--agents: %s", text);
    }
    if (f->resources != NULL && f->agents == 0)
        return usage_fail("--resources: %s", "needs --agents N with N above 0");
    if (f->agents > 0 && f->conns_max <= f->agents)
        return usage_fail("--max-connections: %s",
                          "must be above --agents (each agent's stream holds a connection)");
    if (f->resources == NULL)
        f->resources = SERVE_RESOURCES_DEFAULT;
    return f->agents > 0 ? resources_check(f->resources) : -1;
}

/* Parses argv into f. Returns -1 to go on, or the exit status to return. */
static int flags_parse(struct serve_flags *f, int argc, char **argv)
{
    memset(f, 0, sizeof(*f));
    f->listen = "127.0.0.1:5050";
    f->heartbeat_interval_ns = MASTER_HEARTBEAT_INTERVAL_NS_DEFAULT;
    f->agent_ping_timeout_ns = MASTER_AGENT_PING_TIMEOUT_NS_DEFAULT;
    f->log_level = RT_LOG_INFO;
    f->conns_max = MC_UV_CONNS_MAX;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0) {
            fputs(serve_usage, stdout);
            return CLI_EXIT_OK;
        }
        int r = flag_take(f, argc, argv, &i);
        if (r == 0)
            return usage_fail("unknown argument '%s' (see mesos-conform serve --help)", argv[i]);
        if (r != 1)
            return r;
    }
    return flags_check(f);
}

static void serve_log(void *ctx, enum rt_log_level level, const char *text)
{
    static const char *const names[] = {"debug", "info", "warn", "error"};
    (void)ctx;
    MC_ASSERT((unsigned)level < 4);
    fprintf(stderr, "mesos-conform serve: %s: %s\n", names[level], text);
}

static void signal_close_done(uv_handle_t *handle)
{
    (void)handle;
}

/*
 * Shuts every runtime down (no node is called again, no connection or call
 * stays open), then destroys the cores; their timer_cancel and call_cancel
 * calls on a shut-down runtime are harmless. Idempotent.
 */
static void nodes_stop(struct serve *s)
{
    if (s->runtime != NULL)
        uvrt_shutdown(s->runtime);
    for (uint32_t i = 0; i < s->agents_count; i++)
        uvrt_shutdown(s->agents[i].runtime);
    for (uint32_t i = 0; i < s->agents_count; i++) {
        agent_destroy(s->agents[i].agent);
        s->agents[i].agent = NULL;
    }
    master_destroy(s->master);
    s->master = NULL;
}

static void signals_close(struct serve *s)
{
    if (!uv_is_closing((uv_handle_t *)&s->sigint))
        uv_close((uv_handle_t *)&s->sigint, signal_close_done);
    if (!uv_is_closing((uv_handle_t *)&s->sigterm))
        uv_close((uv_handle_t *)&s->sigterm, signal_close_done);
}

static void serve_stop(uv_signal_t *handle, int signum)
{
    struct serve *s = handle->data;
    if (s->stopping)
        return;
    s->stopping = 1;
    fprintf(stderr, "mesos-conform serve: info: %s: shutting down\n",
            signum == SIGINT ? "SIGINT" : "SIGTERM");
    nodes_stop(s);
    signals_close(s);
}

/* "host:port" -> host without brackets, for the master's own address. */
static void host_of(const char *listen, char *host, size_t host_bytes)
{
    const char *colon = strrchr(listen, ':');
    size_t n = colon != NULL ? (size_t)(colon - listen) : strlen(listen);
    if (n >= 2 && listen[0] == '[' && listen[n - 1] == ']') {
        listen++;
        n -= 2;
    }
    if (n >= host_bytes)
        n = host_bytes - 1;
    memcpy(host, listen, n);
    host[n] = '\0';
}

/*
 * Where the agents reach the master: its listen address, with the wildcard
 * addresses (which a socket cannot connect to) replaced by loopback.
 */
static void master_address_for_agents(const char *host, uint16_t port, char *out,
                                      size_t out_bytes)
{
    int v6 = strchr(host, ':') != NULL;
    if (strcmp(host, "0.0.0.0") == 0)
        host = "127.0.0.1";
    else if (v6 && strspn(host, ":0") == strlen(host))
        host = "::1";
    snprintf(out, out_bytes, "%s%s%s:%u", v6 ? "[" : "", host, v6 ? "]" : "", (unsigned)port);
}

/* Creates agent i (from 0) on a runtime of its own, registering with master. 0 or MC_E*. */
static int agent_start(struct serve *s, const struct serve_flags *f, uint32_t i,
                       const char *master)
{
    struct serve_agent *sa = &s->agents[i];
    struct uvrt_options o;
    uvrt_options_default(&o);
    o.seed = f->seed + i + 1; /* the master's runtime has f->seed */
    o.log_level_min = f->log_level;
    o.conns_max = 1; /* it never listens */
    o.log_fn = serve_log;
    int err = uvrt_create(&s->loop, &o, &sa->runtime, NULL);
    if (err != 0)
        return err;
    s->agents_count++;
    snprintf(sa->hostname, sizeof(sa->hostname), "agent%u", (unsigned)(i + 1));
    struct agent_config cfg;
    agent_config_init(&cfg);
    cfg.master = master;
    cfg.hostname = sa->hostname;
    cfg.port = (uint16_t)(SERVE_AGENT_PORT_BASE + i + 1);
    cfg.resources = f->resources;
    cfg.ping_timeout_ns = f->agent_ping_timeout_ns;
    err = agent_create(uvrt_rt(sa->runtime), &cfg, &sa->agent);
    if (err != 0)
        return err;
    uvrt_node_bind(sa->runtime, &agent_node_ops, sa->agent);
    return 0;
}

/* Starts f->agents agents and says so on stdout. 0 or the exit status. */
static int agents_start(struct serve *s, const struct serve_flags *f, const char *host)
{
    MC_ASSERT(f->agents >= 1 && f->agents <= MC_SERVE_AGENTS_MAX);
    MC_ASSERT(s->agents_count == 0);
    char master[MC_UV_ADDRESS_BYTES_MAX + 8];
    master_address_for_agents(host, uvrt_listen_port(s->runtime), master, sizeof(master));
    for (uint32_t i = 0; i < (uint32_t)f->agents; i++) {
        int err = agent_start(s, f, i, master);
        if (err != 0) {
            fprintf(stderr, "mesos-conform serve: cannot create agent%u: %s\n",
                    (unsigned)(i + 1), mc_strerror(err));
            return CLI_EXIT_FAIL;
        }
    }
    unsigned n = (unsigned)f->agents;
    if (n == 1)
        printf("mesos-conform serve: 1 agent (agent1:%u) registering with %s, offering %s\n",
               (unsigned)SERVE_AGENT_PORT_BASE + 1, master, f->resources);
    else
        printf("mesos-conform serve: %u agents (agent1:%u to agent%u:%u) registering with %s,"
               " each offering %s\n",
               n, (unsigned)SERVE_AGENT_PORT_BASE + 1, n, (unsigned)SERVE_AGENT_PORT_BASE + n,
               master, f->resources);
    fflush(stdout);
    return 0;
}

/* Creates the runtime, listens, creates the master behind the routes. 0 or the exit status. */
static int serve_start(struct serve *s, const struct serve_flags *f)
{
    struct uvrt_options o;
    uvrt_options_default(&o);
    o.seed = f->seed;
    o.log_level_min = f->log_level;
    o.conns_max = (uint32_t)f->conns_max;
    o.log_fn = serve_log;
    struct mc_diag diag;
    mc_diag_clear(&diag);
    if (uvrt_create(&s->loop, &o, &s->runtime, &diag) != 0)
        return usage_fail("%s", diag.text);
    int err = uvrt_listen(s->runtime, f->listen, &diag);
    if (err != 0) {
        fprintf(stderr, "mesos-conform serve: %s\n", diag.text);
        return err == MC_EINVAL ? CLI_EXIT_USAGE : CLI_EXIT_FAIL;
    }
    char host[MC_UV_ADDRESS_BYTES_MAX];
    host_of(f->listen, host, sizeof(host));
    struct master_config cfg;
    master_config_init(&cfg);
    cfg.heartbeat_interval_ns = f->heartbeat_interval_ns;
    cfg.agent_ping_timeout_ns = f->agent_ping_timeout_ns;
    cfg.hostname = host;
    if (strchr(host, ':') == NULL)
        cfg.ip = host; /* MasterInfo.ip is IPv4; an IPv6 master keeps the default */
    cfg.port = uvrt_listen_port(s->runtime);
    err = master_create(uvrt_rt(s->runtime), &cfg, &s->master);
    if (err != 0) {
        fprintf(stderr, "mesos-conform serve: cannot create the master: %s\n",
                mc_strerror(err));
        return CLI_EXIT_FAIL;
    }
    s->routes.rt = uvrt_rt(s->runtime);
    s->routes.inner_ops = &master_node_ops;
    s->routes.inner = s->master;
    uvrt_node_bind(s->runtime, &uvrt_routes_node_ops, &s->routes);
    int v6 = strchr(host, ':') != NULL;
    printf("mesos-conform serve: master listening on http://%s%s%s:%u\n", v6 ? "[" : "", host,
           v6 ? "]" : "", (unsigned)cfg.port);
    fflush(stdout);
    return f->agents > 0 ? agents_start(s, f, host) : 0;
}

/* Closes what serve_start opened, whatever stage it reached, and runs the loop dry. */
static int serve_finish(struct serve *s)
{
    nodes_stop(s);
    uv_run(&s->loop, UV_RUN_DEFAULT);
    for (uint32_t i = 0; i < s->agents_count; i++) {
        uvrt_destroy(s->agents[i].runtime);
        s->agents[i].runtime = NULL;
    }
    s->agents_count = 0;
    uvrt_destroy(s->runtime);
    s->runtime = NULL;
    return uv_loop_close(&s->loop) == 0 ? 0 : MC_ESTATE;
}

int cli_serve(int argc, char **argv)
{
    struct serve_flags f;
    int status = flags_parse(&f, argc, argv);
    if (status >= 0)
        return status;
    /* Writes to a peer that left must fail with EPIPE, not kill the process. */
    signal(SIGPIPE, SIG_IGN);
    struct serve *s = calloc(1, sizeof(*s));
    if (s == NULL || uv_loop_init(&s->loop) != 0) {
        free(s);
        fprintf(stderr, "mesos-conform serve: cannot start the event loop\n");
        return CLI_EXIT_FAIL;
    }
    /*
     * The signals are caught before the listening line is printed, so that a
     * script that stops serve as soon as it reads the line gets a clean exit;
     * they are handled once the loop runs.
     */
    uv_signal_init(&s->loop, &s->sigint);
    uv_signal_init(&s->loop, &s->sigterm);
    s->sigint.data = s;
    s->sigterm.data = s;
    uv_signal_start(&s->sigint, serve_stop, SIGINT);
    uv_signal_start(&s->sigterm, serve_stop, SIGTERM);
    status = serve_start(s, &f);
    if (status == 0)
        uv_run(&s->loop, UV_RUN_DEFAULT);
    signals_close(s);
    if (serve_finish(s) != 0 && status == 0) {
        fprintf(stderr, "mesos-conform serve: handles were left open at exit\n");
        status = CLI_EXIT_FAIL;
    }
    free(s);
    return status;
}
