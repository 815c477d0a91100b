/*
 * cli_serve.c: `mesos-conform serve` (cli_serve.h).
 *
 * The command wires three things onto one uv loop: the libuv runtime
 * (reference/uv/rt_uv.h), the reference master driven by it, and the thin
 * node that answers /version and /health in front of the master. A signal
 * ends the run: the runtime shuts down first (the master is never called
 * again), then the master is destroyed, the signal handles close, and the
 * loop runs dry before everything is freed, so that the exit is clean
 * under the sanitizers too.
 */
#include "cli_serve.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uv.h>

#include "cli.h"
#include "master.h"
#include "mc_assert.h"
#include "mc_diag.h"
#include "mc_limits.h"
#include "rt_uv.h"

/* The longest heartbeat or timeout the flags take: a day is plenty for a test bed. */
#define SERVE_SECONDS_MAX 86400.0

static const char serve_usage[] =
    "usage: mesos-conform serve [--listen HOST:PORT] [--heartbeat SECONDS] [--seed N]\n"
    "                           [--log-level debug|info|warn|error] [--max-connections N]\n"
    "                           [--agents N --resources SPEC --agent-ping-timeout SECONDS]\n"
    "  Runs the reference master on HOST:PORT (default 127.0.0.1:5050; port 0 picks a\n"
    "  free one) until SIGINT or SIGTERM. --heartbeat sets the scheduler heartbeat\n"
    "  interval (Mesos: 15), --seed the generator behind ids (default 0).\n"
    "  --max-connections caps the connections served at once (default 1024; each\n"
    "  subscribed framework holds one); raise `ulimit -n` to match.\n";

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

struct serve {
    uv_loop_t loop;
    struct uvrt *runtime;
    struct master *master;
    struct uvrt_routes routes;
    uv_signal_t sigint;
    uv_signal_t sigterm;
    int stopping;
};

static int usage_fail(const char *fmt, const char *a)
{
    fprintf(stderr, "mesos-conform serve: ");
    fprintf(stderr, fmt, a);
    fputc('\n', stderr);
    return CLI_EXIT_USAGE;
}

static int u64_parse(const char *s, uint64_t *out)
{
    if (s == NULL || *s < '0' || *s > '9')
        return MC_EINVAL;
    errno = 0;
    char *end = NULL;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno != 0 || *end != '\0')
        return MC_EINVAL;
    *out = v;
    return 0;
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
        bad = u64_parse(v, &f->seed);
    else if (cli_flag_value(argc, argv, i, "--agents", &v))
        bad = u64_parse(v, &f->agents);
    else if (cli_flag_value(argc, argv, i, "--max-connections", &v))
        bad = u64_parse(v, &f->conns_max) != 0 || f->conns_max == 0 ||
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
    if (f->agents > 0)
        return usage_fail("--agents: %s", "agents are not implemented yet");
    return -1;
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

static void serve_stop(uv_signal_t *handle, int signum)
{
    struct serve *s = handle->data;
    if (s->stopping)
        return;
    s->stopping = 1;
    fprintf(stderr, "mesos-conform serve: info: %s: shutting down\n",
            signum == SIGINT ? "SIGINT" : "SIGTERM");
    uvrt_shutdown(s->runtime);
    master_destroy(s->master);
    s->master = NULL;
    uv_close((uv_handle_t *)&s->sigint, signal_close_done);
    uv_close((uv_handle_t *)&s->sigterm, signal_close_done);
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
    return 0;
}

/* Closes what serve_start opened, whatever stage it reached, and runs the loop dry. */
static int serve_finish(struct serve *s)
{
    if (s->runtime != NULL)
        uvrt_shutdown(s->runtime);
    master_destroy(s->master);
    s->master = NULL;
    uv_run(&s->loop, UV_RUN_DEFAULT);
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
    status = serve_start(s, &f);
    if (status == 0) {
        uv_signal_init(&s->loop, &s->sigint);
        uv_signal_init(&s->loop, &s->sigterm);
        s->sigint.data = s;
        s->sigterm.data = s;
        uv_signal_start(&s->sigint, serve_stop, SIGINT);
        uv_signal_start(&s->sigterm, serve_stop, SIGTERM);
        uv_run(&s->loop, UV_RUN_DEFAULT);
    }
    if (serve_finish(s) != 0 && status == 0) {
        fprintf(stderr, "mesos-conform serve: handles were left open at exit\n");
        status = CLI_EXIT_FAIL;
    }
    free(s);
    return status;
}
