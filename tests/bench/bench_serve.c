/*
 * bench_serve.c: the reference master on real sockets (make bench).
 *
 * Two measurements of what `serve` runs (the libuv runtime of reference/uv
 * driving the master core behind the /version and /health routes). Each
 * server runs in a child process of its own, forked before this process
 * opens any loop: the server's memory can then be read apart from the load
 * generator's, each side gets its own descriptor limit, and the two share
 * the machine's cores as a real client and master would. All traffic stays
 * on 127.0.0.1.
 *
 *  1. Scheduler calls per second. CALL_FRAMEWORKS frameworks SUBSCRIBE on
 *     streaming connections of their own; then CALL_CONNS keep-alive
 *     connections send REVIVE with the right Mesos-Stream-Id (which Mesos
 *     answers 202 with an empty body; recorded: s.valid-revive), one at a
 *     time per connection, each as soon as the previous answer came, and
 *     the answers that arrive during CALL_WINDOW_NS (after a warm-up of
 *     CALL_WARMUP_NS) are counted. Any answer but a 202 that keeps the
 *     connection open fails the benchmark. The same requests then go, in
 *     the same way, to a bare libuv server of this file that parses them
 *     with reference/uv/http1.h and answers 202 without any master logic;
 *     the ratio reference/bare is what the master and the runtime cost on
 *     top of HTTP parsing and the sockets (target CALL_RATIO_TARGET).
 *  2. Many subscribed frameworks. SCALE_FRAMEWORKS streaming SUBSCRIBEs
 *     (fewer if RLIMIT_NOFILE cannot be raised that far; the output says
 *     so) on one master with 1 s heartbeats. Once all are subscribed, every
 *     HEARTBEAT that arrives in the next SCALE_WINDOW_NS is compared with
 *     the ideal schedule, the k-th heartbeat of a stream (k = 0, 1, ...)
 *     being due at the arrival of its SUBSCRIBED plus k intervals; and the
 *     server process' VmRSS is read before the subscriptions, after them
 *     and at the end of the window.
 *
 * The run bounds itself: every wait has a deadline, alarm() ends a run
 * that hangs anyway, and a server child dies with this process
 * (PR_SET_PDEATHSIG). Wall-clock figures depend on the machine and its
 * load (scripts/bench names the machine); compare ratios, or runs on the
 * same machine. tests/bench/README.md says how to read the output.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <uv.h>

#include "http1.h"
#include "master.h"
#include "mc_assert.h"
#include "mc_err.h"
#include "mc_limits.h"
#include "recordio.h"
#include "rt_uv.h"

#define NS_PER_SEC 1000000000ull
#define NS_PER_MS 1000000ull

/* Part 1: scheduler calls per second. */
#define CALL_FRAMEWORKS 16u
#define CALL_CONNS 32u
#define CALL_WARMUP_NS (NS_PER_SEC / 2)
#define CALL_WINDOW_NS (5 * NS_PER_SEC)
#define CALL_RATIO_TARGET 0.7
#define CALL_HEARTBEAT_NS (15 * NS_PER_SEC) /* Mesos' default: no heartbeat in the way */
#define CALL_TEXT_BYTES_MAX 640u            /* one REVIVE request on the wire */
#define CALL_ANSWER_BYTES_MAX 4096u         /* one answer, head and body */

/* Part 2: many subscribed frameworks. */
#define SCALE_FRAMEWORKS 10000u
#define SCALE_HEARTBEAT_NS NS_PER_SEC
#define SCALE_WINDOW_NS (10 * NS_PER_SEC)
#define SCALE_SUBSCRIBE_NS (25 * NS_PER_SEC) /* to subscribe them all */
#define SCALE_OPENING_MAX 256u               /* subscriptions under way at once */
#define SCALE_FRAMEWORKS_MAX 60000u          /* --frameworks accepts no more */

/* Both. */
#define FDS_SPARE 64u                 /* descriptors for everything but the connections */
#define SERVER_START_MS 10000         /* for a server child to say its port */
#define SERVER_STOP_NS (10 * NS_PER_SEC)
#define SETTLE_NS (5 * NS_PER_SEC)    /* for connections to open, last answers to come */
#define TICK_MS 10u                   /* the load loop wakes at least this often */
#define RUN_SECONDS_MAX 150u          /* alarm(): a run that hangs ends here */
#define REQUEST_BYTES_MAX 512u        /* one SUBSCRIBE request on the wire */
#define ID_BYTES_MAX 256u             /* a framework id, with its NUL */
#define FAILURE_BYTES 256u            /* one failure text, with its NUL */

_Static_assert(CALL_CONNS >= CALL_FRAMEWORKS, "every framework has a call connection");
_Static_assert(CALL_FRAMEWORKS + CALL_CONNS + FDS_SPARE < MC_UV_CONNS_MAX,
               "part 1 fits in the runtime's default connection limit");
_Static_assert(SCALE_FRAMEWORKS <= SCALE_FRAMEWORKS_MAX, "the default is allowed");

/* ==== the server child ================================================= */

struct server_options {
    int bare;                       /* the bare HTTP server, not the master */
    uint64_t heartbeat_interval_ns; /* the master's */
    uint32_t conns_max;             /* the runtime's connection limit */
};

/* What a server child's loop serves; lives in the child only. */
struct server {
    uv_loop_t loop;
    uv_pipe_t control; /* the parent closes its end to stop us */
    const struct server_options *options;
    struct uvrt *runtime; /* the reference server ... */
    struct master *master;
    struct uvrt_routes routes;
    uv_tcp_t listener; /* ... or the bare one */
    uint8_t read_buf[MC_UV_READ_BYTES];
};

/* One connection of the bare server. */
struct bare_conn {
    uv_tcp_t tcp;
    struct server *server;
    struct http1_server parser;
};

/* The bare server's only answer: what the master answers REVIVE, without Date. */
static const char bare_answer[] = "HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n";

static void bare_conn_close_done(uv_handle_t *handle)
{
    struct bare_conn *c = handle->data;
    http1_server_deinit(&c->parser);
    free(c);
}

static void bare_conn_close(struct bare_conn *c)
{
    if (!uv_is_closing((uv_handle_t *)&c->tcp))
        uv_close((uv_handle_t *)&c->tcp, bare_conn_close_done);
}

/* A closed connection's writes are cancelled before its close callback, so c is valid. */
static void bare_write_done(uv_write_t *req, int status)
{
    struct bare_conn *c = req->data;
    free(req);
    if (status < 0 && status != UV_ECANCELED)
        bare_conn_close(c);
}

static void bare_read_alloc(uv_handle_t *handle, size_t suggested_bytes, uv_buf_t *buf)
{
    struct bare_conn *c = handle->data;
    (void)suggested_bytes;
    *buf = uv_buf_init((char *)c->server->read_buf, sizeof(c->server->read_buf));
}

/*
 * Answers every request complete in data[0..bytes), pipelined ones too.
 * The connection stays open whatever the request asked: the load of this
 * benchmark always keeps it alive. Returns 0 when the connection must close.
 */
static int bare_conn_feed(struct bare_conn *c, const uint8_t *data, size_t bytes)
{
    while (bytes > 0) {
        size_t used = 0;
        struct http_request request;
        struct http1_error err;
        http1_error_clear(&err);
        int r = http1_server_feed(&c->parser, data, bytes, &used, &request, &err);
        if (r < 0)
            return 0;
        MC_ASSERT(used <= bytes);
        data += used;
        bytes -= used;
        if (r == 0)
            break;
        http_request_deinit(&request);
        uv_write_t *req = malloc(sizeof(*req));
        if (req == NULL)
            return 0;
        req->data = c;
        uv_buf_t buf = uv_buf_init((char *)bare_answer, sizeof(bare_answer) - 1);
        if (uv_write(req, (uv_stream_t *)&c->tcp, &buf, 1, bare_write_done) != 0) {
            free(req);
            return 0;
        }
    }
    return 1;
}

static void bare_conn_read(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf)
{
    struct bare_conn *c = stream->data;
    if (nread < 0 || (nread > 0 && !bare_conn_feed(c, (const uint8_t *)buf->base, (size_t)nread)))
        bare_conn_close(c);
}

static void bare_connection(uv_stream_t *listener, int status)
{
    struct server *s = listener->data;
    if (status < 0)
        return;
    struct bare_conn *c = calloc(1, sizeof(*c));
    if (c == NULL)
        return; /* it stays in the backlog */
    int err = uv_tcp_init(&s->loop, &c->tcp);
    MC_ASSERT(err == 0);
    c->tcp.data = c;
    c->server = s;
    http1_server_init(&c->parser, NULL);
    if (uv_accept(listener, (uv_stream_t *)&c->tcp) != 0) {
        bare_conn_close(c);
        return;
    }
    /* As the runtime does (reference/uv/listen.c), so both answer alike. */
    (void)uv_tcp_nodelay(&c->tcp, 1);
    if (uv_read_start((uv_stream_t *)&c->tcp, bare_read_alloc, bare_conn_read) != 0)
        bare_conn_close(c);
}

/* Listens on 127.0.0.1 at a free port, which goes to *port. MC_EIO when it cannot. */
static int bare_start(struct server *s, uint16_t *port)
{
    struct sockaddr_in addr;
    int err = uv_ip4_addr("127.0.0.1", 0, &addr);
    MC_ASSERT(err == 0);
    err = uv_tcp_init(&s->loop, &s->listener);
    MC_ASSERT(err == 0);
    s->listener.data = s;
    if (uv_tcp_bind(&s->listener, (const struct sockaddr *)&addr, 0) != 0 ||
        uv_listen((uv_stream_t *)&s->listener, MC_UV_LISTEN_BACKLOG, bare_connection) != 0)
        return MC_EIO;
    struct sockaddr_storage bound;
    int bound_bytes = (int)sizeof(bound);
    if (uv_tcp_getsockname(&s->listener, (struct sockaddr *)&bound, &bound_bytes) != 0)
        return MC_EIO;
    *port = ntohs(((const struct sockaddr_in *)&bound)->sin_port);
    return 0;
}

/* Closes every handle of the bare server's loop: the listener, the pipe, the connections. */
static void bare_walk_close(uv_handle_t *handle, void *arg)
{
    struct server *s = arg;
    if (uv_is_closing(handle))
        return;
    if (handle == (uv_handle_t *)&s->listener || handle == (uv_handle_t *)&s->control)
        uv_close(handle, NULL);
    else
        bare_conn_close(handle->data);
}

static void server_log(void *ctx, enum rt_log_level level, const char *text)
{
    (void)ctx;
    (void)level;
    fprintf(stderr, "bench_serve: server: %s\n", text);
}

/* As `serve` starts (conformance/cli_serve.c), on 127.0.0.1 at a free port. */
static int reference_start(struct server *s, uint16_t *port)
{
    struct uvrt_options o;
    uvrt_options_default(&o);
    o.conns_max = s->options->conns_max;
    o.log_level_min = RT_LOG_WARN;
    o.log_fn = server_log;
    struct mc_diag diag;
    mc_diag_clear(&diag);
    if (uvrt_create(&s->loop, &o, &s->runtime, &diag) != 0 ||
        uvrt_listen(s->runtime, "127.0.0.1:0", &diag) != 0) {
        fprintf(stderr, "bench_serve: server: %s\n", diag.text);
        return MC_EIO;
    }
    struct master_config cfg;
    master_config_init(&cfg);
    cfg.heartbeat_interval_ns = s->options->heartbeat_interval_ns;
    cfg.hostname = "127.0.0.1";
    cfg.ip = "127.0.0.1";
    cfg.port = uvrt_listen_port(s->runtime);
    int err = master_create(uvrt_rt(s->runtime), &cfg, &s->master);
    if (err != 0) {
        fprintf(stderr, "bench_serve: server: no master: %s\n", mc_strerror(err));
        return err;
    }
    s->routes.rt = uvrt_rt(s->runtime);
    s->routes.inner_ops = &master_node_ops;
    s->routes.inner = s->master;
    uvrt_node_bind(s->runtime, &uvrt_routes_node_ops, &s->routes);
    *port = cfg.port;
    return 0;
}

static void control_alloc(uv_handle_t *handle, size_t suggested_bytes, uv_buf_t *buf)
{
    struct server *s = handle->data;
    (void)suggested_bytes;
    *buf = uv_buf_init((char *)s->read_buf, sizeof(s->read_buf));
}

/* The parent writes nothing; its end closing (EOF) or any error means stop. */
static void control_read(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf)
{
    struct server *s = stream->data;
    (void)buf;
    if (nread >= 0)
        return;
    if (s->options->bare) {
        uv_walk(&s->loop, bare_walk_close, s);
        return;
    }
    uv_close((uv_handle_t *)&s->control, NULL);
    uvrt_shutdown(s->runtime);
    master_destroy(s->master);
    s->master = NULL;
}

/*
 * The whole life of a server child: start, say the port on report_fd, serve
 * until control_fd reports EOF, shut down. Returns the exit status. A start
 * that fails returns at once: the process exits and the system frees the rest.
 */
static int server_main(const struct server_options *o, int control_fd, int report_fd)
{
    struct server *s = calloc(1, sizeof(*s));
    if (s == NULL || uv_loop_init(&s->loop) != 0)
        return 1;
    s->options = o;
    uint16_t port = 0;
    int err = o->bare ? bare_start(s, &port) : reference_start(s, &port);
    if (err == 0 && (uv_pipe_init(&s->loop, &s->control, 0) != 0 ||
                     uv_pipe_open(&s->control, control_fd) != 0))
        err = MC_EIO;
    s->control.data = s;
    if (err == 0 && uv_read_start((uv_stream_t *)&s->control, control_alloc, control_read) != 0)
        err = MC_EIO;
    if (err == 0 && write(report_fd, &port, sizeof(port)) != (ssize_t)sizeof(port))
        err = MC_EIO;
    close(report_fd);
    if (err != 0)
        return 1;
    uv_run(&s->loop, UV_RUN_DEFAULT);
    uvrt_destroy(s->runtime);
    int status = uv_loop_close(&s->loop) == 0 ? 0 : 1;
    free(s);
    return status;
}

/* ==== the server child, seen from the parent ============================ */

struct server_child {
    pid_t pid;
    int control_fd; /* our end of the control pipe; -1 once closed */
    uint16_t port;
};

/*
 * Stops a server child: closes the control pipe, waits SERVER_STOP_NS for
 * it to exit, kills it (by its pid, which we started) if it did not.
 * Returns its exit status, or -1 when it had to be killed or died of a signal.
 */
static int server_reap(struct server_child *child)
{
    if (child->control_fd >= 0)
        close(child->control_fd);
    child->control_fd = -1;
    uint64_t deadline_ns = uv_hrtime() + SERVER_STOP_NS;
    int wstatus = 0;
    while (waitpid(child->pid, &wstatus, WNOHANG) == 0) {
        if (uv_hrtime() >= deadline_ns) {
            fprintf(stderr, "bench_serve: the server did not stop; killing it\n");
            kill(child->pid, SIGKILL);
            (void)waitpid(child->pid, &wstatus, 0);
            return -1;
        }
        struct timespec pause = {0, 10 * (long)NS_PER_MS};
        nanosleep(&pause, NULL);
    }
    return WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : -1;
}

/* Forks a server child and waits for its port. 0, or MC_EIO (said on stderr). */
static int server_spawn(const struct server_options *o, struct server_child *out)
{
    int control[2], report[2];
    if (pipe(control) != 0)
        return MC_EIO;
    if (pipe(report) != 0) {
        close(control[0]);
        close(control[1]);
        return MC_EIO;
    }
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid == 0) {
        close(control[1]);
        close(report[0]);
        (void)prctl(PR_SET_PDEATHSIG, SIGKILL);
        _exit(server_main(o, control[0], report[1]));
    }
    close(control[0]);
    close(report[1]);
    out->pid = pid;
    out->control_fd = control[1];
    out->port = 0;
    struct pollfd p = {.fd = report[0], .events = POLLIN};
    int ok = pid > 0 && poll(&p, 1, SERVER_START_MS) == 1 &&
             read(report[0], &out->port, sizeof(out->port)) == (ssize_t)sizeof(out->port) &&
             out->port != 0;
    close(report[0]);
    if (pid < 0)
        close(out->control_fd);
    else if (!ok)
        (void)server_reap(out);
    if (!ok)
        fprintf(stderr, "bench_serve: the %s server did not start\n", o->bare ? "bare" : "reference");
    return ok ? 0 : MC_EIO;
}

/* The VmRSS of process pid in KiB (/proc/<pid>/status), or -1. */
static long rss_kib_read(pid_t pid)
{
    char path[64];
    snprintf(path, sizeof(path), "/proc/%ld/status", (long)pid);
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return -1;
    char line[256];
    long kib = -1;
    while (fgets(line, sizeof(line), f) != NULL) {
        if (strncmp(line, "VmRSS:", 6) == 0) {
            kib = strtol(line + 6, NULL, 10);
            break;
        }
    }
    fclose(f);
    return kib;
}

/* ==== the load generator ================================================ */

/* Bounded samples of a signed duration. */
struct samples {
    int64_t *ns;
    size_t count;
    size_t max;
    uint64_t dropped; /* arrived with the array full */
};

enum sub_state { SUB_CONNECTING = 1, SUB_WAITING, SUB_SUBSCRIBED, SUB_GONE };

/* One framework's subscription stream. */
struct sub {
    uv_tcp_t tcp;
    uv_connect_t connect;
    uv_write_t write;
    struct load *load;
    enum sub_state state; /* 0: never started */
    struct http1_client http;
    struct rio_decoder records;
    char request[REQUEST_BYTES_MAX];
    size_t request_bytes;
    char stream_id[MC_AGENT_STREAM_ID_BYTES_MAX];
    char framework_id[ID_BYTES_MAX];
    uint64_t subscribed_ns;    /* when SUBSCRIBED arrived */
    uint64_t heartbeat_last_ns;
    uint32_t heartbeats;       /* received since SUBSCRIBED */
    uint32_t heartbeats_window; /* of them, inside the window */
};

/* One REVIVE request, ready for the wire. */
struct call_text {
    char bytes[CALL_TEXT_BYTES_MAX];
    size_t len;
};

/* One keep-alive connection sending calls. */
struct caller {
    uv_tcp_t tcp;
    uv_connect_t connect;
    struct load *load;
    int started;
    const struct call_text *text; /* borrowed */
    uint8_t input[CALL_ANSWER_BYTES_MAX];
    size_t input_bytes;
};

struct load {
    uv_loop_t loop;
    uv_timer_t tick;
    struct sockaddr_in addr;
    uint16_t port;
    int closing;                 /* tearing down: callbacks report nothing */
    int failed;                  /* a wrong answer or a broken stream */
    char failure[FAILURE_BYTES]; /* the first one */
    uint8_t read_buf[MC_UV_READ_BYTES];
    /* Subscriptions. */
    struct sub *subs; /* subs_max of them, owned */
    uint32_t subs_max;
    uint32_t subs_started;
    uint32_t subs_opening;   /* started, neither subscribed nor lost */
    uint32_t subs_subscribed;
    int subs_stopped;        /* a lost subscription stopped further ones */
    char subs_stop_reason[FAILURE_BYTES];
    uint64_t heartbeat_interval_ns;
    uint64_t window_start_ns; /* heartbeats arriving in [start, end) are sampled */
    uint64_t window_end_ns;
    uint64_t heartbeats_window;
    struct samples lateness; /* arrival - (SUBSCRIBED + k intervals) */
    struct samples gaps;     /* arrival - previous arrival - interval */
    /* Calls. */
    struct caller *callers; /* callers_count of them, owned */
    uint32_t callers_count;
    uint32_t callers_connected;
    uint64_t calls_count_from_ns; /* answers in [from, until) are counted */
    uint64_t calls_count_until_ns; /* no call is sent after it */
    uint64_t calls_in_flight;
    uint64_t calls_answered;
    uint64_t calls_counted;
};

static void load_fail(struct load *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Records the first failure; the run stops at its next check. */
static void load_fail(struct load *l, const char *fmt, ...)
{
    if (l->closing || l->failed)
        return;
    l->failed = 1;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(l->failure, sizeof(l->failure), fmt, ap);
    va_end(ap);
}

static void samples_add(struct samples *s, int64_t ns)
{
    if (s->count == s->max) {
        s->dropped++;
        return;
    }
    s->ns[s->count++] = ns;
}

static int i64_compare(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Sorts the samples and prints p50, p99 and max in ms. */
static void samples_print(struct samples *s, const char *label)
{
    if (s->count == 0) {
        printf("  %-18s no samples\n", label);
        return;
    }
    qsort(s->ns, s->count, sizeof(s->ns[0]), i64_compare);
    printf("  %-18s p50 %.1f ms, p99 %.1f ms, max %.1f ms (%zu samples)\n", label,
           (double)s->ns[(s->count - 1) * 50 / 100] / 1e6,
           (double)s->ns[(s->count - 1) * 99 / 100] / 1e6, (double)s->ns[s->count - 1] / 1e6,
           s->count);
    if (s->dropped > 0)
        printf("  %-18s %" PRIu64 " samples dropped (array full)\n", "", s->dropped);
}

/* ---- subscriptions ---------------------------------------------------- */

static void load_subs_pump(struct load *l);

/*
 * A subscription is gone. Before SUBSCRIBED it is a limit of the setup
 * (the server refused, descriptors ran out): no more are opened and the
 * reason is kept. After SUBSCRIBED a stream must never end: a failure.
 */
static void sub_lost(struct sub *s, const char *why)
{
    struct load *l = s->load;
    if (s->state == SUB_GONE || l->closing)
        return;
    if (s->state == SUB_SUBSCRIBED) {
        load_fail(l, "the stream of framework %s ended: %s", s->framework_id, why);
    } else {
        MC_ASSERT(l->subs_opening > 0);
        l->subs_opening--;
        if (!l->subs_stopped)
            snprintf(l->subs_stop_reason, sizeof(l->subs_stop_reason),
                     "subscription %u: %s", (unsigned)(s - l->subs), why);
        l->subs_stopped = 1;
    }
    s->state = SUB_GONE;
    (void)uv_read_stop((uv_stream_t *)&s->tcp);
}

static void sub_subscribed(struct sub *s, json_t *event, uint64_t now_ns)
{
    struct load *l = s->load;
    if (s->state != SUB_WAITING) {
        sub_lost(s, "SUBSCRIBED twice");
        return;
    }
    json_t *id = json_object_get(json_object_get(event, "subscribed"), "framework_id");
    const char *value = json_string_value(json_object_get(id, "value"));
    if (value == NULL || strlen(value) >= sizeof(s->framework_id)) {
        sub_lost(s, "SUBSCRIBED without a usable framework_id");
        return;
    }
    snprintf(s->framework_id, sizeof(s->framework_id), "%s", value);
    s->state = SUB_SUBSCRIBED;
    s->subscribed_ns = now_ns;
    MC_ASSERT(l->subs_opening > 0);
    l->subs_opening--;
    l->subs_subscribed++;
    load_subs_pump(l);
}

/* The k-th heartbeat of a stream is due k intervals after its SUBSCRIBED. */
static void sub_heartbeat(struct sub *s, uint64_t now_ns)
{
    struct load *l = s->load;
    if (s->state != SUB_SUBSCRIBED) {
        sub_lost(s, "a HEARTBEAT before SUBSCRIBED");
        return;
    }
    uint64_t k = s->heartbeats++;
    uint64_t last_ns = s->heartbeat_last_ns;
    s->heartbeat_last_ns = now_ns;
    if (now_ns < l->window_start_ns || now_ns >= l->window_end_ns)
        return;
    uint64_t due_ns = s->subscribed_ns + k * l->heartbeat_interval_ns;
    samples_add(&l->lateness, (int64_t)(now_ns - due_ns));
    if (k > 0)
        samples_add(&l->gaps, (int64_t)(now_ns - last_ns) - (int64_t)l->heartbeat_interval_ns);
    s->heartbeats_window++;
    l->heartbeats_window++;
}

/* One RecordIO record of the stream: a JSON event. Other types are ignored. */
static void sub_event(struct sub *s, const uint8_t *data, size_t bytes)
{
    uint64_t now_ns = uv_hrtime();
    json_error_t jerr;
    json_t *event = json_loadb((const char *)data, bytes, 0, &jerr);
    const char *type = json_string_value(json_object_get(event, "type"));
    if (type == NULL)
        sub_lost(s, "an event that is not a JSON object with a type");
    else if (strcmp(type, "SUBSCRIBED") == 0)
        sub_subscribed(s, event, now_ns);
    else if (strcmp(type, "HEARTBEAT") == 0)
        sub_heartbeat(s, now_ns);
    json_decref(event);
}

static void sub_body(struct sub *s, const uint8_t *data, size_t bytes)
{
    while (bytes > 0 && s->state != SUB_GONE) {
        size_t used = 0;
        struct rio_record record;
        struct mc_diag diag;
        mc_diag_clear(&diag);
        int r = rio_decoder_feed(&s->records, data, bytes, &used, &record, &diag);
        if (r < 0) {
            sub_lost(s, diag.text);
            return;
        }
        MC_ASSERT(used <= bytes);
        data += used;
        bytes -= used;
        if (r == 1)
            sub_event(s, record.data, record.bytes);
    }
}

static void sub_head(struct sub *s, const struct http_response *head)
{
    char why[FAILURE_BYTES];
    if (head->status != 200 || !head->is_stream) {
        snprintf(why, sizeof(why), "SUBSCRIBE answered %d%s", head->status,
                 head->is_stream ? "" : " (not a stream)");
        sub_lost(s, why);
        return;
    }
    const char *id = http_headers_get(&head->headers, "Mesos-Stream-Id");
    if (id == NULL || strlen(id) >= sizeof(s->stream_id)) {
        sub_lost(s, "SUBSCRIBE answered without a usable Mesos-Stream-Id");
        return;
    }
    snprintf(s->stream_id, sizeof(s->stream_id), "%s", id);
}

static void sub_feed(struct sub *s, const uint8_t *data, size_t bytes)
{
    while (bytes > 0 && s->state != SUB_GONE) {
        size_t used = 0;
        struct http1_client_event ev;
        struct http1_error err;
        http1_error_clear(&err);
        int r = http1_client_feed(&s->http, data, bytes, &used, &ev, &err);
        if (r < 0) {
            sub_lost(s, err.diag.text);
            return;
        }
        MC_ASSERT(used <= bytes);
        data += used;
        bytes -= used;
        if (r == 0)
            return;
        if (ev.kind == HTTP1_CLIENT_HEAD)
            sub_head(s, ev.head);
        else if (ev.kind == HTTP1_CLIENT_BODY)
            sub_body(s, ev.data, ev.bytes);
        else
            sub_lost(s, "the server ended the stream");
    }
}

static void load_read_alloc(uv_handle_t *handle, size_t suggested_bytes, uv_buf_t *buf)
{
    struct sub *s = handle->data;
    (void)suggested_bytes;
    *buf = uv_buf_init((char *)s->load->read_buf, sizeof(s->load->read_buf));
}

static void sub_read(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf)
{
    struct sub *s = stream->data;
    if (nread > 0)
        sub_feed(s, (const uint8_t *)buf->base, (size_t)nread);
    else if (nread < 0)
        sub_lost(s, nread == UV_EOF ? "the server closed the connection" : uv_strerror((int)nread));
}

static void sub_written(uv_write_t *req, int status)
{
    struct sub *s = req->data;
    if (status < 0 && status != UV_ECANCELED)
        sub_lost(s, uv_strerror(status));
}

static void sub_connected(uv_connect_t *req, int status)
{
    struct sub *s = req->data;
    if (status < 0) {
        sub_lost(s, uv_strerror(status));
        return;
    }
    if (s->state != SUB_CONNECTING)
        return;
    (void)uv_tcp_nodelay(&s->tcp, 1);
    s->state = SUB_WAITING;
    s->write.data = s;
    uv_buf_t buf = uv_buf_init(s->request, (unsigned)s->request_bytes);
    int err = uv_read_start((uv_stream_t *)&s->tcp, load_read_alloc, sub_read);
    if (err == 0)
        err = uv_write(&s->write, (uv_stream_t *)&s->tcp, &buf, 1, sub_written);
    if (err != 0)
        sub_lost(s, uv_strerror(err));
}

/* A SUBSCRIBE in JSON, as the recorded cases send one (recorded: s.valid-revive). */
static size_t subscribe_format(char *out, size_t out_bytes, uint16_t port, uint32_t index)
{
    char body[192];
    int body_bytes = snprintf(body, sizeof(body),
                              "{\"type\":\"SUBSCRIBE\",\"subscribe\":{\"framework_info\":"
                              "{\"user\":\"bench\",\"name\":\"bench-%u\"}}}",
                              (unsigned)index);
    MC_ASSERT(body_bytes > 0 && (size_t)body_bytes < sizeof(body));
    int n = snprintf(out, out_bytes,
                     "POST /api/v1/scheduler HTTP/1.1\r\nHost: 127.0.0.1:%u\r\n"
                     "Content-Type: application/json\r\nAccept: application/json\r\n"
                     "Content-Length: %d\r\n\r\n%s",
                     (unsigned)port, body_bytes, body);
    MC_ASSERT(n > 0 && (size_t)n < out_bytes);
    return (size_t)n;
}

static void sub_start(struct load *l, struct sub *s)
{
    MC_ASSERT(s->state == 0);
    s->load = l;
    s->state = SUB_CONNECTING;
    http1_client_init(&s->http, NULL);
    rio_decoder_init(&s->records, MC_RECORD_BYTES_MAX, NULL);
    s->request_bytes = subscribe_format(s->request, sizeof(s->request), l->port,
                                        (uint32_t)(s - l->subs));
    int err = uv_tcp_init(&l->loop, &s->tcp);
    MC_ASSERT(err == 0);
    s->tcp.data = s;
    s->connect.data = s;
    l->subs_started++;
    l->subs_opening++;
    err = uv_tcp_connect(&s->connect, &s->tcp, (const struct sockaddr *)&l->addr, sub_connected);
    if (err != 0)
        sub_lost(s, uv_strerror(err));
}

/* Starts subscriptions until all are started or SCALE_OPENING_MAX are under way. */
static void load_subs_pump(struct load *l)
{
    while (!l->subs_stopped && !l->closing && l->subs_started < l->subs_max &&
           l->subs_opening < SCALE_OPENING_MAX)
        sub_start(l, &l->subs[l->subs_started]);
}

/* ---- calls ------------------------------------------------------------ */

/* What answer_parse found: a whole answer is head_bytes + body_bytes long. */
struct answer {
    int status;
    size_t head_bytes;
    size_t body_bytes;
};

/* 1 when s[0..bytes) is lit, ignoring ASCII case. */
static int text_ieq(const uint8_t *s, size_t bytes, const char *lit)
{
    return strlen(lit) == bytes && strncasecmp((const char *)s, lit, bytes) == 0;
}

/* Looks at one header line "name: value" of an answer. 0, or MC_EPARSE with why. */
static int answer_header(const uint8_t *line, size_t bytes, long *length, char *why,
                         size_t why_bytes)
{
    const uint8_t *colon = memchr(line, ':', bytes);
    if (colon == NULL) {
        snprintf(why, why_bytes, "an answer header without ':'");
        return MC_EPARSE;
    }
    size_t name_bytes = (size_t)(colon - line);
    const uint8_t *v = colon + 1, *end = line + bytes;
    while (v < end && (*v == ' ' || *v == '\t'))
        v++;
    while (end > v && (end[-1] == ' ' || end[-1] == '\t'))
        end--;
    if (text_ieq(line, name_bytes, "Transfer-Encoding") ||
        (text_ieq(line, name_bytes, "Connection") && text_ieq(v, (size_t)(end - v), "close"))) {
        snprintf(why, why_bytes, "an answer with %.*s: %.*s", (int)name_bytes, (const char *)line,
                 (int)(end - v), (const char *)v);
        return MC_EPARSE;
    }
    if (!text_ieq(line, name_bytes, "Content-Length"))
        return 0;
    long n = 0;
    for (const uint8_t *p = v; p < end; p++) {
        if (*p < '0' || *p > '9' || n > (long)CALL_ANSWER_BYTES_MAX) {
            snprintf(why, why_bytes, "an answer with a bad Content-Length");
            return MC_EPARSE;
        }
        n = n * 10 + (*p - '0');
    }
    *length = v < end ? n : -1;
    return 0;
}

/*
 * Parses one answer at the start of data[0..bytes): the status line, the
 * headers (Content-Length required; chunked or "Connection: close" refused,
 * as a REVIVE answer has neither) and the body's length. Returns 1 when the
 * whole answer is there, 0 when more is needed, MC_EPARSE or MC_ELIMIT (an
 * answer over CALL_ANSWER_BYTES_MAX) with why.
 */
static int answer_parse(const uint8_t *data, size_t bytes, struct answer *out, char *why,
                        size_t why_bytes)
{
    size_t head = 0;
    for (size_t i = 3; i < bytes && head == 0; i++)
        if (memcmp(data + i - 3, "\r\n\r\n", 4) == 0)
            head = i + 1;
    if (head == 0) {
        if (bytes < CALL_ANSWER_BYTES_MAX)
            return 0;
        snprintf(why, why_bytes, "an answer head over %u bytes", CALL_ANSWER_BYTES_MAX);
        return MC_ELIMIT;
    }
    if (head < 16 || memcmp(data, "HTTP/1.1 ", 9) != 0 || data[9] < '1' || data[9] > '9' ||
        data[10] < '0' || data[10] > '9' || data[11] < '0' || data[11] > '9' || data[12] != ' ') {
        snprintf(why, why_bytes, "an answer that does not start with an HTTP/1.1 status line");
        return MC_EPARSE;
    }
    out->status = (data[9] - '0') * 100 + (data[10] - '0') * 10 + (data[11] - '0');
    long length = -1;
    const uint8_t *line = (const uint8_t *)memchr(data, '\n', head) + 1;
    while (line < data + head - 2) {
        const uint8_t *nl = memchr(line, '\n', (size_t)(data + head - line));
        MC_ASSERT(nl != NULL && nl > line);
        if (answer_header(line, (size_t)(nl - 1 - line), &length, why, why_bytes) != 0)
            return MC_EPARSE;
        line = nl + 1;
    }
    if (length < 0) {
        snprintf(why, why_bytes, "an answer (%d) without Content-Length", out->status);
        return MC_EPARSE;
    }
    if (head + (size_t)length > CALL_ANSWER_BYTES_MAX) {
        snprintf(why, why_bytes, "an answer over %u bytes", CALL_ANSWER_BYTES_MAX);
        return MC_ELIMIT;
    }
    out->head_bytes = head;
    out->body_bytes = (size_t)length;
    return bytes >= head + (size_t)length;
}

static void caller_written(uv_write_t *req, int status)
{
    struct caller *c = req->data;
    free(req);
    if (status < 0 && status != UV_ECANCELED)
        load_fail(c->load, "sending a call: %s", uv_strerror(status));
}

static void caller_send(struct caller *c)
{
    struct load *l = c->load;
    uv_write_t *req = malloc(sizeof(*req));
    if (req == NULL) {
        load_fail(l, "out of memory sending a call");
        return;
    }
    req->data = c;
    uv_buf_t buf = uv_buf_init((char *)c->text->bytes, (unsigned)c->text->len);
    int err = uv_write(req, (uv_stream_t *)&c->tcp, &buf, 1, caller_written);
    if (err != 0) {
        free(req);
        load_fail(l, "sending a call: %s", uv_strerror(err));
        return;
    }
    l->calls_in_flight++;
}

/* A whole answer is in c->input: check it, count it, send the next call. */
static void caller_answered(struct caller *c, const struct answer *a)
{
    struct load *l = c->load;
    uint64_t now_ns = uv_hrtime();
    if (a->status != 202) {
        int shown = a->body_bytes < 160 ? (int)a->body_bytes : 160;
        load_fail(l, "a call was answered %d: %.*s", a->status, shown,
                  (const char *)c->input + a->head_bytes);
        return;
    }
    if (c->input_bytes != a->head_bytes + a->body_bytes) {
        load_fail(l, "bytes after an answer that nothing asked for");
        return;
    }
    c->input_bytes = 0;
    MC_ASSERT(l->calls_in_flight > 0);
    l->calls_in_flight--;
    l->calls_answered++;
    if (now_ns >= l->calls_count_from_ns && now_ns < l->calls_count_until_ns)
        l->calls_counted++;
    if (now_ns < l->calls_count_until_ns && !l->failed)
        caller_send(c);
}

static void caller_read_alloc(uv_handle_t *handle, size_t suggested_bytes, uv_buf_t *buf)
{
    struct caller *c = handle->data;
    (void)suggested_bytes;
    MC_ASSERT(c->input_bytes <= sizeof(c->input));
    *buf = uv_buf_init((char *)c->input + c->input_bytes,
                       (unsigned)(sizeof(c->input) - c->input_bytes));
}

static void caller_read(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf)
{
    struct caller *c = stream->data;
    (void)buf;
    if (nread == 0)
        return;
    if (nread < 0) {
        load_fail(c->load, "a call connection ended: %s",
                  nread == UV_EOF ? "the server closed it" : uv_strerror((int)nread));
        (void)uv_read_stop(stream);
        return;
    }
    c->input_bytes += (size_t)nread;
    struct answer a;
    char why[FAILURE_BYTES];
    int r = answer_parse(c->input, c->input_bytes, &a, why, sizeof(why));
    if (r < 0)
        load_fail(c->load, "%s", why);
    else if (r == 1)
        caller_answered(c, &a);
}

static void caller_connected(uv_connect_t *req, int status)
{
    struct caller *c = req->data;
    if (status < 0) {
        load_fail(c->load, "a call connection: %s", uv_strerror(status));
        return;
    }
    (void)uv_tcp_nodelay(&c->tcp, 1);
    if (uv_read_start((uv_stream_t *)&c->tcp, caller_read_alloc, caller_read) != 0) {
        load_fail(c->load, "a call connection cannot read");
        return;
    }
    c->load->callers_connected++;
}

static void caller_start(struct load *l, struct caller *c, const struct call_text *text)
{
    c->load = l;
    c->text = text;
    c->started = 1;
    int err = uv_tcp_init(&l->loop, &c->tcp);
    MC_ASSERT(err == 0);
    c->tcp.data = c;
    c->connect.data = c;
    err = uv_tcp_connect(&c->connect, &c->tcp, (const struct sockaddr *)&l->addr,
                         caller_connected);
    if (err != 0)
        load_fail(l, "a call connection: %s", uv_strerror(err));
}

/* ---- the load loop ---------------------------------------------------- */

/* Only wakes the loop, so that the waits below see their deadlines. */
static void load_tick(uv_timer_t *timer)
{
    (void)timer;
}

/* Initializes l (zeroed by the caller) for a server on 127.0.0.1:port. */
static int load_init(struct load *l, uint16_t port)
{
    if (uv_loop_init(&l->loop) != 0)
        return MC_EIO;
    int err = uv_ip4_addr("127.0.0.1", port, &l->addr);
    MC_ASSERT(err == 0);
    l->port = port;
    err = uv_timer_init(&l->loop, &l->tick);
    MC_ASSERT(err == 0);
    err = uv_timer_start(&l->tick, load_tick, TICK_MS, TICK_MS);
    MC_ASSERT(err == 0);
    return 0;
}

/* Runs l's loop until done(l), a failure or deadline_ns. 1 when done. */
static int load_run_until(struct load *l, int (*done)(const struct load *), uint64_t deadline_ns)
{
    while (!l->failed && !done(l) && uv_hrtime() < deadline_ns)
        uv_run(&l->loop, UV_RUN_ONCE);
    return !l->failed && done(l);
}

static void sub_close_done(uv_handle_t *handle)
{
    struct sub *s = handle->data;
    http1_client_deinit(&s->http);
    rio_decoder_deinit(&s->records);
}

/* Closes every connection, runs the loop dry and frees what l holds (not l). */
static void load_fini(struct load *l)
{
    l->closing = 1;
    uv_close((uv_handle_t *)&l->tick, NULL);
    for (uint32_t i = 0; i < l->subs_started; i++)
        uv_close((uv_handle_t *)&l->subs[i].tcp, sub_close_done);
    for (uint32_t i = 0; i < l->callers_count; i++)
        if (l->callers[i].started)
            uv_close((uv_handle_t *)&l->callers[i].tcp, NULL);
    uv_run(&l->loop, UV_RUN_DEFAULT);
    int err = uv_loop_close(&l->loop);
    MC_ASSERT(err == 0);
    free(l->subs);
    free(l->callers);
    free(l->lateness.ns);
    free(l->gaps.ns);
}

static int subs_settled(const struct load *l)
{
    return l->subs_opening == 0 && (l->subs_stopped || l->subs_started == l->subs_max);
}

/* ==== part 1: scheduler calls per second ================================ */

static int callers_connected_all(const struct load *l)
{
    return l->callers_connected == l->callers_count;
}

static int calls_over(const struct load *l)
{
    return l->calls_in_flight == 0 && uv_hrtime() >= l->calls_count_until_ns;
}

/* A REVIVE of the framework of s, with its stream id (recorded: s.valid-revive). */
static void revive_format(struct call_text *t, const struct sub *s, uint16_t port)
{
    char body[ID_BYTES_MAX + 64];
    int body_bytes = snprintf(body, sizeof(body),
                              "{\"type\":\"REVIVE\",\"framework_id\":{\"value\":\"%s\"}}",
                              s->framework_id);
    MC_ASSERT(body_bytes > 0 && (size_t)body_bytes < sizeof(body));
    int n = snprintf(t->bytes, sizeof(t->bytes),
                     "POST /api/v1/scheduler HTTP/1.1\r\nHost: 127.0.0.1:%u\r\n"
                     "Content-Type: application/json\r\nAccept: application/json\r\n"
                     "Mesos-Stream-Id: %s\r\nContent-Length: %d\r\n\r\n%s",
                     (unsigned)port, s->stream_id, body_bytes, body);
    MC_ASSERT(n > 0 && (size_t)n < sizeof(t->bytes));
    t->len = (size_t)n;
}

/* Subscribes CALL_FRAMEWORKS frameworks and writes one REVIVE per framework into texts. */
static int calls_subscribe(struct load *l, struct call_text *texts)
{
    l->subs = calloc(CALL_FRAMEWORKS, sizeof(*l->subs));
    if (l->subs == NULL)
        return MC_ENOMEM;
    l->subs_max = CALL_FRAMEWORKS;
    load_subs_pump(l);
    load_run_until(l, subs_settled, uv_hrtime() + SETTLE_NS);
    if (l->subs_subscribed != CALL_FRAMEWORKS) {
        fprintf(stderr, "bench_serve: %u of %u frameworks subscribed: %s\n",
                (unsigned)l->subs_subscribed, CALL_FRAMEWORKS,
                l->failed ? l->failure : l->subs_stopped ? l->subs_stop_reason : "timed out");
        return MC_ESTATE;
    }
    for (uint32_t i = 0; i < CALL_FRAMEWORKS; i++)
        revive_format(&texts[i], &l->subs[i], l->port);
    return 0;
}

/* Drives CALL_CONNS connections with texts for the warm-up and the window; counts answers. */
static int calls_drive(struct load *l, const struct call_text *texts, uint64_t *counted)
{
    l->callers = calloc(CALL_CONNS, sizeof(*l->callers));
    if (l->callers == NULL)
        return MC_ENOMEM;
    l->callers_count = CALL_CONNS;
    for (uint32_t i = 0; i < CALL_CONNS && !l->failed; i++)
        caller_start(l, &l->callers[i], &texts[i % CALL_FRAMEWORKS]);
    if (!load_run_until(l, callers_connected_all, uv_hrtime() + SETTLE_NS)) {
        fprintf(stderr, "bench_serve: %u of %u call connections opened: %s\n",
                (unsigned)l->callers_connected, CALL_CONNS, l->failed ? l->failure : "timed out");
        return MC_ESTATE;
    }
    l->calls_count_from_ns = uv_hrtime() + CALL_WARMUP_NS;
    l->calls_count_until_ns = l->calls_count_from_ns + CALL_WINDOW_NS;
    for (uint32_t i = 0; i < CALL_CONNS && !l->failed; i++)
        caller_send(&l->callers[i]);
    if (!load_run_until(l, calls_over, l->calls_count_until_ns + SETTLE_NS)) {
        fprintf(stderr, "bench_serve: the calls failed after %" PRIu64 " answers: %s\n",
                l->calls_answered, l->failed ? l->failure : "answers stopped coming");
        return MC_ESTATE;
    }
    *counted = l->calls_counted;
    return 0;
}

/*
 * One server under the call load: the reference master (which first gets
 * its frameworks, whose REVIVEs go into texts) or the bare server (which
 * gets the same texts). *rate is answers per second in the window.
 */
static int calls_measure(int bare, struct call_text *texts, double *rate)
{
    struct server_options o = {bare, CALL_HEARTBEAT_NS, MC_UV_CONNS_MAX};
    struct server_child child;
    if (server_spawn(&o, &child) != 0)
        return MC_EIO;
    struct load *l = calloc(1, sizeof(*l));
    int err = l == NULL ? MC_ENOMEM : load_init(l, child.port);
    int inited = err == 0;
    uint64_t counted = 0;
    if (err == 0 && !bare)
        err = calls_subscribe(l, texts);
    if (err == 0)
        err = calls_drive(l, texts, &counted);
    if (inited)
        load_fini(l);
    free(l);
    int status = server_reap(&child);
    if (status != 0) {
        fprintf(stderr, "bench_serve: the %s server exited with status %d\n",
                bare ? "bare" : "reference", status);
        err = err != 0 ? err : MC_EIO;
    }
    *rate = (double)counted / ((double)CALL_WINDOW_NS / (double)NS_PER_SEC);
    return err;
}

static int bench_calls(void)
{
    struct call_text *texts = calloc(CALL_FRAMEWORKS, sizeof(*texts));
    if (texts == NULL)
        return 1;
    printf("serve: scheduler calls (REVIVE, JSON) over %u keep-alive connections, %u frameworks,"
           " %.1f s after %.1f s of warm-up\n",
           CALL_CONNS, CALL_FRAMEWORKS, (double)CALL_WINDOW_NS / 1e9, (double)CALL_WARMUP_NS / 1e9);
    fflush(stdout);
    double reference = 0, bare = 0;
    int err = calls_measure(0, texts, &reference);
    if (err == 0)
        err = calls_measure(1, texts, &bare);
    free(texts);
    if (err != 0) {
        printf("  FAILED (see above)\n");
        return 1;
    }
    double ratio = reference / bare;
    printf("  reference master   %10.0f calls/s (every answer 202)\n", reference);
    printf("  bare http1 server  %10.0f calls/s\n", bare);
    printf("  ratio reference/bare %.2f (target %.2f: %s)\n", ratio, CALL_RATIO_TARGET,
           ratio >= CALL_RATIO_TARGET ? "met" : "NOT met");
    return 0;
}

/* ==== part 2: many subscribed frameworks ================================ */

/*
 * Raises RLIMIT_NOFILE's soft limit towards wanted, as far as the hard
 * limit allows. Returns the soft limit in force afterwards.
 */
static uint64_t fds_raise(uint64_t wanted)
{
    struct rlimit r;
    if (getrlimit(RLIMIT_NOFILE, &r) != 0)
        return 0;
    if (r.rlim_cur != RLIM_INFINITY && r.rlim_cur < wanted) {
        rlim_t v = (rlim_t)wanted;
        if (r.rlim_max != RLIM_INFINITY && v > r.rlim_max)
            v = r.rlim_max;
        r.rlim_cur = v;
        (void)setrlimit(RLIMIT_NOFILE, &r);
        if (getrlimit(RLIMIT_NOFILE, &r) != 0)
            return 0;
    }
    return r.rlim_cur == RLIM_INFINITY ? wanted : (uint64_t)r.rlim_cur;
}

static int window_over(const struct load *l)
{
    return uv_hrtime() >= l->window_end_ns;
}

/* Opens l->subs_max subscriptions; prints how many and how long it took. */
static void frameworks_subscribe(struct load *l, uint32_t target)
{
    uint64_t start_ns = uv_hrtime();
    load_subs_pump(l);
    load_run_until(l, subs_settled, start_ns + SCALE_SUBSCRIBE_NS);
    double seconds = (double)(uv_hrtime() - start_ns) / 1e9;
    printf("  subscribed         %u of %u in %.1f s (%.0f/s)\n", (unsigned)l->subs_subscribed,
           (unsigned)target, seconds, (double)l->subs_subscribed / seconds);
    if (l->subs_subscribed < l->subs_max)
        printf("  stopped early:     %s\n",
               l->failed ? l->failure
               : l->subs_stopped ? l->subs_stop_reason
                                 : "the subscriptions timed out");
}

/* The heartbeat window: samples, then the figures. */
static void frameworks_window(struct load *l, pid_t server, long rss_before_kib)
{
    long rss_subscribed_kib = rss_kib_read(server);
    l->window_start_ns = uv_hrtime();
    l->window_end_ns = l->window_start_ns + SCALE_WINDOW_NS;
    load_run_until(l, window_over, l->window_end_ns + NS_PER_SEC);
    long rss_end_kib = rss_kib_read(server);
    uint32_t silent = 0;
    for (uint32_t i = 0; i < l->subs_started; i++)
        if (l->subs[i].state == SUB_SUBSCRIBED && l->subs[i].heartbeats_window == 0)
            silent++;
    uint32_t n = l->subs_subscribed > 0 ? l->subs_subscribed : 1;
    printf("  server RSS         %.1f MiB before, %.1f MiB subscribed (+%.1f MiB, %.1f KiB per"
           " framework), %.1f MiB after the window\n",
           rss_before_kib / 1024.0, rss_subscribed_kib / 1024.0,
           (rss_subscribed_kib - rss_before_kib) / 1024.0,
           (double)(rss_subscribed_kib - rss_before_kib) / n, rss_end_kib / 1024.0);
    printf("  heartbeats         %" PRIu64 " in %.0f s (about %.0f due), %u streams silent\n",
           l->heartbeats_window, (double)SCALE_WINDOW_NS / 1e9,
           (double)l->subs_subscribed * (double)SCALE_WINDOW_NS / (double)SCALE_HEARTBEAT_NS,
           (unsigned)silent);
    samples_print(&l->lateness, "lateness");
    samples_print(&l->gaps, "gap - interval");
    if (l->failed)
        printf("  FAILED: %s\n", l->failure);
}

static int frameworks_load(struct load *l, uint32_t count, pid_t server)
{
    size_t samples_max = (size_t)count * (SCALE_WINDOW_NS / SCALE_HEARTBEAT_NS + 2);
    l->subs = calloc(count, sizeof(*l->subs));
    l->lateness.ns = calloc(samples_max, sizeof(int64_t));
    l->gaps.ns = calloc(samples_max, sizeof(int64_t));
    if (l->subs == NULL || l->lateness.ns == NULL || l->gaps.ns == NULL)
        return MC_ENOMEM;
    l->lateness.max = samples_max;
    l->gaps.max = samples_max;
    l->subs_max = count;
    l->heartbeat_interval_ns = SCALE_HEARTBEAT_NS;
    long rss_before_kib = rss_kib_read(server);
    frameworks_subscribe(l, count);
    if (l->subs_subscribed == 0)
        return MC_ESTATE;
    frameworks_window(l, server, rss_before_kib);
    return l->failed ? MC_ESTATE : 0;
}

static int bench_frameworks(uint32_t target)
{
    uint64_t fds = fds_raise((uint64_t)target + FDS_SPARE);
    uint32_t count = target;
    printf("serve: %u subscribed frameworks, %.0f s heartbeats, %.0f s window\n",
           (unsigned)target, (double)SCALE_HEARTBEAT_NS / 1e9, (double)SCALE_WINDOW_NS / 1e9);
    if (fds < (uint64_t)target + FDS_SPARE) {
        count = fds > 2 * FDS_SPARE ? (uint32_t)(fds - FDS_SPARE) : FDS_SPARE;
        printf("  RLIMIT_NOFILE allows %" PRIu64 " descriptors per process: %u frameworks only\n",
               fds, (unsigned)count);
    }
    fflush(stdout);
    struct server_options o = {0, SCALE_HEARTBEAT_NS, count + FDS_SPARE};
    struct server_child child;
    if (server_spawn(&o, &child) != 0)
        return 1;
    struct load *l = calloc(1, sizeof(*l));
    int err = l == NULL ? MC_ENOMEM : load_init(l, child.port);
    int inited = err == 0;
    if (err == 0)
        err = frameworks_load(l, count, child.pid);
    uint64_t fini_ns = uv_hrtime();
    if (inited)
        load_fini(l);
    free(l);
    int status = server_reap(&child);
    printf("  teardown           %.1f s (all connections closed, server shut down)\n",
           (double)(uv_hrtime() - fini_ns) / 1e9);
    if (status != 0)
        printf("  FAILED: the server exited with status %d\n", status);
    if (err == MC_ENOMEM)
        printf("  FAILED: out of memory\n");
    return err != 0 || status != 0;
}

/* ==== main ============================================================== */

static int usage(void)
{
    fprintf(stderr, "usage: bench_serve [--only calls|frameworks] [--frameworks N]\n"
                    "  N: 1..%u subscribed frameworks for the second part (default %u)\n",
                    SCALE_FRAMEWORKS_MAX, SCALE_FRAMEWORKS);
    return 2;
}

int main(int argc, char **argv)
{
    int calls = 1, frameworks = 1;
    unsigned long target = SCALE_FRAMEWORKS;
    for (int i = 1; i < argc; i++) {
        char *end = NULL;
        if (strcmp(argv[i], "--only") == 0 && i + 1 < argc) {
            calls = strcmp(argv[++i], "calls") == 0;
            frameworks = strcmp(argv[i], "frameworks") == 0;
            if (!calls && !frameworks)
                return usage();
        } else if (strcmp(argv[i], "--frameworks") == 0 && i + 1 < argc) {
            target = strtoul(argv[++i], &end, 10);
            if (*argv[i] == '\0' || *end != '\0' || target == 0 || target > SCALE_FRAMEWORKS_MAX)
                return usage();
        } else {
            return usage();
        }
    }
    /* Writes to a peer that left must fail with EPIPE, not end the process. */
    signal(SIGPIPE, SIG_IGN);
    alarm(RUN_SECONDS_MAX);
    int failed = 0;
    if (calls)
        failed |= bench_calls();
    if (frameworks)
        failed |= bench_frameworks((uint32_t)target);
    return failed;
}
