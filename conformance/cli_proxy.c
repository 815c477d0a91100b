/*
 * cli_proxy.c: `mesos-conform proxy` (cli_proxy.h): the fault proxy on a
 * libuv loop of its own until a signal stops it.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uv.h>

#include "cli.h"
#include "cli_proxy.h"
#include "mc_limits.h"
#include "proxy.h"

/* --fault options one command line may give. */
#define CLI_PROXY_FAULTS_MAX 32

static const char proxy_usage[] =
    "usage: mesos-conform proxy --upstream HOST:PORT [--listen HOST:PORT]\n"
    "                           [--fault NAME[=ARG]]... [--seed N]\n"
    "faults: partition hold stall drop-heartbeats delay=MS split=BYTES|random merge=N\n"
    "        answer=307:HOST:PORT|503 (see conformance/PROXY.md)\n";

struct proxy_flags {
    const char *listen;
    const char *upstream;
    const char *faults[CLI_PROXY_FAULTS_MAX];
    int faults_count;
    uint64_t seed;
};

struct proxy_cli {
    uv_loop_t loop;
    uv_signal_t sigint;
    uv_signal_t sigterm;
    struct proxy *proxy;
};

static int usage_fail(const char *fmt, const char *a)
{
    return cli_usage_fail("proxy", fmt, a);
}

/* Fills f from argv; -1 to go on, else the exit status. */
static int flags_parse(struct proxy_flags *f, int argc, char **argv)
{
    memset(f, 0, sizeof(*f));
    f->listen = "127.0.0.1:0";
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            fputs(proxy_usage, stdout);
            return CLI_EXIT_OK;
        }
        int takes = strcmp(a, "--listen") == 0 || strcmp(a, "--upstream") == 0 ||
                    strcmp(a, "--fault") == 0 || strcmp(a, "--seed") == 0;
        if (!takes)
            return usage_fail("unknown argument '%s' (see mesos-conform proxy --help)", a);
        if (i + 1 >= argc)
            return usage_fail("%s needs a value", a);
        const char *v = argv[++i];
        if (strcmp(a, "--listen") == 0) {
            f->listen = v;
        } else if (strcmp(a, "--upstream") == 0) {
            f->upstream = v;
        } else if (strcmp(a, "--fault") == 0) {
            if (f->faults_count >= CLI_PROXY_FAULTS_MAX)
                return usage_fail("more than %s --fault options", "32");
            f->faults[f->faults_count++] = v;
        } else {
            char *end = NULL;
            f->seed = strtoull(v, &end, 10);
            if (v[0] < '0' || v[0] > '9' || *end != '\0')
                return usage_fail("bad --seed '%s'", v);
        }
    }
    if (f->upstream == NULL)
        return usage_fail("%s is required (see mesos-conform proxy --help)", "--upstream");
    return -1;
}

static void signal_closed(uv_handle_t *handle)
{
    (void)handle;
}

static void proxy_stop(uv_signal_t *handle, int signum)
{
    struct proxy_cli *c = handle->data;
    if (c->proxy == NULL)
        return;
    fprintf(stderr, "mesos-conform proxy: %s: shutting down\n",
            signum == SIGINT ? "SIGINT" : "SIGTERM");
    proxy_destroy(c->proxy);
    c->proxy = NULL;
    uv_close((uv_handle_t *)&c->sigint, signal_closed);
    uv_close((uv_handle_t *)&c->sigterm, signal_closed);
}

/* Creates the proxy and applies the faults; 0 or the exit status. */
static int proxy_start(struct proxy_cli *c, const struct proxy_flags *f)
{
    struct proxy_options o;
    memset(&o, 0, sizeof(o));
    o.listen_address = f->listen;
    o.upstream_address = f->upstream;
    o.seed = f->seed;
    struct mc_diag diag;
    mc_diag_clear(&diag);
    int err = proxy_create(&c->loop, &o, &c->proxy, &diag);
    if (err != 0) {
        fprintf(stderr, "mesos-conform proxy: %s\n", diag.text);
        return err == MC_EINVAL ? CLI_EXIT_USAGE : CLI_EXIT_FAIL;
    }
    for (int i = 0; i < f->faults_count; i++) {
        if (proxy_fault_apply(c->proxy, f->faults[i], &diag) != 0) {
            fprintf(stderr, "mesos-conform proxy: --fault: %s\n", diag.text);
            return CLI_EXIT_USAGE;
        }
    }
    printf("mesos-conform proxy: listening on http://%s, upstream %s\n",
           proxy_address(c->proxy), f->upstream);
    fflush(stdout);
    return 0;
}

int cli_proxy(int argc, char **argv)
{
    struct proxy_flags f;
    int status = flags_parse(&f, argc, argv);
    if (status >= 0)
        return status;
    /* Writes to a peer that left must fail with EPIPE, not kill the process. */
    signal(SIGPIPE, SIG_IGN);
    struct proxy_cli *c = calloc(1, sizeof(*c));
    if (c == NULL || uv_loop_init(&c->loop) != 0) {
        free(c);
        fprintf(stderr, "mesos-conform proxy: cannot start the event loop\n");
        return CLI_EXIT_FAIL;
    }
    status = proxy_start(c, &f);
    if (status == 0) {
        uv_signal_init(&c->loop, &c->sigint);
        uv_signal_init(&c->loop, &c->sigterm);
        c->sigint.data = c;
        c->sigterm.data = c;
        uv_signal_start(&c->sigint, proxy_stop, SIGINT);
        uv_signal_start(&c->sigterm, proxy_stop, SIGTERM);
    } else if (c->proxy != NULL) {
        proxy_destroy(c->proxy);
        c->proxy = NULL;
    }
    uv_run(&c->loop, UV_RUN_DEFAULT);
    if (uv_loop_close(&c->loop) != 0 && status == 0) {
        fprintf(stderr, "mesos-conform proxy: handles were left open at exit\n");
        status = CLI_EXIT_FAIL;
    }
    free(c);
    return status;
}
