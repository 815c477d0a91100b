/*
 * target_http.c: a real endpoint as a target, over libcurl (the only
 * libcurl user). Each actor's client node gets a runtime whose call_start
 * becomes a libcurl transfer on one multi handle; the transfer's head, body
 * bytes and end come back to the client exactly as simulated deliveries do,
 * so the runner reads both kinds of target the same way. Transfers are only
 * driven from target_advance, never from inside a client's call, which
 * keeps rt.h's rule 1.
 *
 * Faults. A real endpoint can do what its options give it: with via_proxy
 * each actor talks to the master through a fault proxy of its own
 * (target_proxy.c), whose loop this file polls together with libcurl's
 * sockets; hooks (target_hook.c) restart the master or crash and restart
 * agents by running the user's commands. The split fault needs neither:
 * it cuts what the actor's client receives (target.c). What is missing
 * makes target_can say which option would give it.
 */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "http_msg.h"
#include "mc_assert.h"
#include "mc_limits.h"
#include "target_internal.h"

/* How long one poll of the transfers may block while time advances. */
#define HTTP_POLL_MS_MAX 10

struct http_transfer {
    struct http_transfer *next;
    struct target_http *owner;
    struct target_actor *actor;
    uint64_t call;
    CURL *easy;
    struct curl_slist *headers;
    struct http_response head; /* built from the header callback */
    int head_started;
    int head_done;
    int is_stream;
    int delivered; /* call_response given to the client */
    struct http_request request; /* kept to send again after a 307 */
    int redirected;
};

struct actor_ctx {
    struct target_http *owner;
    struct target_actor *actor;
    struct rt rt;
};

struct target_http {
    struct target base; /* first */
    struct target_http_options options; /* strings copied below */
    char scheme[8];
    char *cacert, *principal, *secret, *case_id;
    struct target_hook hooks[TARGET_HOOKS_MAX]; /* commands copied */
    uint32_t hooks_count;
    char agents[TARGET_AGENTS_MAX][TARGET_ACTOR_NAME_BYTES_MAX];
    uint32_t agents_count;
    struct target_proxies *proxies; /* via_proxy; else NULL */
    CURLM *multi;
    uint64_t start_ns;
    uint64_t call_seq;
    struct http_transfer *transfers;
    struct actor_ctx ctx[TARGET_ACTORS_MAX];
};

static uint64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t actor_now_ns(void *ctx)
{
    struct actor_ctx *a = ctx;
    return mono_ns() - a->owner->start_ns;
}

/* Clients use none of the server side, timers or the store: reaching one is a bug. */
static void no_timer_start(void *ctx, struct rt_timer *t, uint64_t d, rt_timer_fn fn)
{
    (void)ctx, (void)t, (void)d, (void)fn;
    MC_UNREACHABLE();
}
static void no_timer_cancel(void *ctx, struct rt_timer *t) { (void)ctx, (void)t; }
static void no_respond(void *ctx, uint64_t req, const struct http_response *r)
{
    (void)ctx, (void)req, (void)r;
}
static void no_stream_open(void *ctx, uint64_t req, const struct http_response *r)
{
    (void)ctx, (void)req, (void)r;
}
static int no_stream_write(void *ctx, uint64_t req, const void *b, size_t n)
{
    (void)ctx, (void)req, (void)b, (void)n;
    return MC_ECLOSED;
}
static void no_stream_close(void *ctx, uint64_t req) { (void)ctx, (void)req; }
static int no_store_put(void *ctx, const char *k, const void *b, size_t n)
{
    (void)ctx, (void)k, (void)b, (void)n;
    return MC_EUNSUPPORTED;
}
static int no_store_get(void *ctx, const char *k, struct mc_buf *out)
{
    (void)ctx, (void)k, (void)out;
    return MC_ENOTFOUND;
}
static int no_store_del(void *ctx, const char *k)
{
    (void)ctx, (void)k;
    return MC_ENOTFOUND;
}
static uint64_t no_rng(void *ctx)
{
    (void)ctx;
    MC_UNREACHABLE();
}
static void quiet_log(void *ctx, enum rt_log_level l, const char *text)
{
    (void)ctx, (void)l, (void)text;
}

static uint64_t curl_call_start(void *ctx, const char *peer, const struct http_request *request);
static void curl_call_cancel(void *ctx, uint64_t call);

static const struct rt_ops curl_rt_ops = {
    actor_now_ns, no_timer_start, no_timer_cancel, no_respond, no_stream_open, no_stream_write,
    no_stream_close, curl_call_start, curl_call_cancel, no_store_put, no_store_get, no_store_del,
    no_rng, quiet_log,
};

/* Header lines: a status line starts a new head (a 100 Continue came first). */
static size_t on_header(char *data, size_t size, size_t n, void *userdata)
{
    struct http_transfer *x = userdata;
    size_t len = size * n;
    if (len >= 5 && memcmp(data, "HTTP/", 5) == 0) {
        if (x->head_started)
            http_response_deinit(&x->head);
        int status = 0;
        const char *sp = memchr(data, ' ', len);
        if (sp != NULL)
            status = atoi(sp + 1);
        http_response_init(&x->head, status >= 100 && status <= 999 ? status : 999, NULL);
        x->head_started = 1;
        x->head_done = 0;
        return len;
    }
    if (!x->head_started)
        return len;
    if (len <= 2) { /* the empty line ends the head */
        x->head_done = x->head.status >= 200;
        return len;
    }
    const char *colon = memchr(data, ':', len);
    if (colon == NULL)
        return len;
    size_t name_len = (size_t)(colon - data);
    const char *v = colon + 1, *end = data + len;
    while (v < end && (*v == ' ' || *v == '\t'))
        v++;
    while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' '))
        end--;
    if (http_headers_add_n(&x->head.headers, data, name_len, v, (size_t)(end - v)) != 0)
        return 0; /* too many or too long: abort the transfer (CURLE_WRITE_ERROR) */
    if (name_len == 17 && strncasecmp(data, "Transfer-Encoding", 17) == 0 && end - v >= 7 &&
        memcmp(v, "chunked", 7) == 0)
        x->is_stream = 1;
    return len;
}

static void deliver_head(struct http_transfer *x)
{
    if (x->delivered || !x->head_started)
        return;
    x->head.is_stream = x->is_stream;
    x->delivered = 1;
    target__actor_node_ops.call_response(x->actor, x->call, &x->head);
}

static size_t on_body(char *data, size_t size, size_t n, void *userdata)
{
    struct http_transfer *x = userdata;
    size_t len = size * n;
    if (x->is_stream) {
        deliver_head(x);
        target__actor_node_ops.call_data(x->actor, x->call, (const uint8_t *)data, len);
        return len;
    }
    return mc_buf_append(&x->head.body, data, len) == 0 ? len : 0;
}

static void transfer_free(struct target_http *h, struct http_transfer *x)
{
    struct http_transfer **p = &h->transfers;
    while (*p != x)
        p = &(*p)->next;
    *p = x->next;
    curl_multi_remove_handle(h->multi, x->easy);
    curl_easy_cleanup(x->easy);
    curl_slist_free_all(x->headers);
    if (x->head_started)
        http_response_deinit(&x->head);
    http_request_deinit(&x->request);
    free(x);
}

/* Request headers, with libcurl's own defaults taken out so only ours go. */
static struct curl_slist *headers_build(const struct http_request *r)
{
    struct curl_slist *list = NULL;
    char line[MC_HTTP_HEADER_BYTES_MAX * 2 + 4];
    int has_accept = 0, has_type = 0;
    for (uint32_t i = 0; i < r->headers.count; i++) {
        const struct http_header *hd = &r->headers.items[i];
        has_accept |= http_name_equal(hd->name, "Accept");
        has_type |= http_name_equal(hd->name, "Content-Type");
        if (hd->value[0] == '\0')
            snprintf(line, sizeof(line), "%s;", hd->name); /* libcurl's way to send it empty */
        else
            snprintf(line, sizeof(line), "%s: %s", hd->name, hd->value);
        list = curl_slist_append(list, line);
    }
    if (!has_accept)
        list = curl_slist_append(list, "Accept:");
    if (!has_type)
        list = curl_slist_append(list, "Content-Type:");
    return curl_slist_append(list, "Expect:");
}

/* Sets up x's easy handle to send its request to peer. */
static void transfer_configure(struct http_transfer *x, const char *peer)
{
    const struct target_http *h = x->owner;
    const struct http_request *request = &x->request;
    char url[MC_HTTP_URL_BYTES_MAX + 256];
    snprintf(url, sizeof(url), "%s://%s%s", h->scheme, peer, request->target);
    curl_slist_free_all(x->headers);
    x->headers = headers_build(request);
    curl_easy_setopt(x->easy, CURLOPT_URL, url);
    curl_easy_setopt(x->easy, CURLOPT_CUSTOMREQUEST, request->method);
    if (request->body.len > 0 || strcmp(request->method, "POST") == 0) {
        curl_easy_setopt(x->easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)request->body.len);
        curl_easy_setopt(x->easy, CURLOPT_COPYPOSTFIELDS,
                         request->body.data ? (char *)request->body.data : "");
    }
    curl_easy_setopt(x->easy, CURLOPT_HTTPHEADER, x->headers);
    curl_easy_setopt(x->easy, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(x->easy, CURLOPT_HEADERDATA, x);
    curl_easy_setopt(x->easy, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(x->easy, CURLOPT_WRITEDATA, x);
    curl_easy_setopt(x->easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(x->easy, CURLOPT_PRIVATE, (char *)x);
    curl_easy_setopt(x->easy, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
    if (h->cacert != NULL)
        curl_easy_setopt(x->easy, CURLOPT_CAINFO, h->cacert);
    if (h->options.insecure) {
        curl_easy_setopt(x->easy, CURLOPT_SSL_VERIFYPEER, 0L);
        curl_easy_setopt(x->easy, CURLOPT_SSL_VERIFYHOST, 0L);
    }
    if (h->principal != NULL) {
        curl_easy_setopt(x->easy, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
        curl_easy_setopt(x->easy, CURLOPT_USERNAME, h->principal);
        curl_easy_setopt(x->easy, CURLOPT_PASSWORD, h->secret != NULL ? h->secret : "");
    }
}

static uint64_t curl_call_start(void *ctx, const char *peer, const struct http_request *request)
{
    struct actor_ctx *a = ctx;
    struct target_http *h = a->owner;
    struct http_transfer *x = calloc(1, sizeof(*x));
    if (x == NULL || (x->easy = curl_easy_init()) == NULL) {
        free(x);
        return 0;
    }
    x->owner = h;
    x->actor = a->actor;
    x->call = ++h->call_seq;
    http_request_init(&x->request, NULL);
    x->next = h->transfers;
    h->transfers = x;
    if (http_request_copy(&x->request, request, NULL) != 0) {
        transfer_free(h, x);
        return 0;
    }
    transfer_configure(x, peer);
    if (curl_multi_add_handle(h->multi, x->easy) != CURLM_OK) {
        transfer_free(h, x);
        return 0;
    }
    return x->call;
}

/*
 * A 307 from a master that does not lead: real clients keep the Location's
 * host and port and their own scheme and path (mesos-go), and so do we,
 * once per call. Returns 1 when x went out again.
 */
static int transfer_redirect(struct target_http *h, struct http_transfer *x)
{
    if (h->options.redirects_ignored || x->redirected || !x->head_started ||
        x->head.status != 307)
        return 0;
    const char *loc = http_headers_get(&x->head.headers, "Location");
    const char *host = loc == NULL                  ? NULL
                       : strncmp(loc, "//", 2) == 0 ? loc + 2
                       : strstr(loc, "://") != NULL ? strstr(loc, "://") + 3
                                                    : NULL;
    size_t n = host != NULL ? strcspn(host, "/") : 0;
    if (n == 0 || n >= 128)
        return 0;
    char peer[128];
    memcpy(peer, host, n);
    peer[n] = '\0';
    curl_multi_remove_handle(h->multi, x->easy);
    curl_easy_reset(x->easy);
    http_response_deinit(&x->head);
    x->head_started = x->head_done = x->is_stream = 0;
    x->redirected = 1;
    transfer_configure(x, peer);
    client_exchange_redirected(&x->actor->client, x->call, peer);
    return curl_multi_add_handle(h->multi, x->easy) == CURLM_OK;
}

static void curl_call_cancel(void *ctx, uint64_t call)
{
    struct actor_ctx *a = ctx;
    for (struct http_transfer *x = a->owner->transfers; x != NULL; x = x->next)
        if (x->call == call) {
            transfer_free(a->owner, x);
            return;
        }
}

/* Hands finished transfers to their clients: the whole answer, then the end. */
static void transfers_reap(struct target_http *h)
{
    CURLMsg *msg;
    int left;
    while ((msg = curl_multi_info_read(h->multi, &left)) != NULL) {
        if (msg->msg != CURLMSG_DONE)
            continue;
        struct http_transfer *x = NULL;
        curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&x);
        MC_ASSERT(x != NULL);
        int ok = msg->data.result == CURLE_OK;
        if (ok && transfer_redirect(h, x))
            continue;
        if (ok || x->head_done)
            deliver_head(x);
        target__actor_node_ops.call_end(x->actor, x->call, ok ? 0 : MC_ECLOSED);
        transfer_free(h, x);
    }
}

/* One pass: libcurl's transfers, then the proxies' loop (when there are proxies). */
static int http_pass(struct target_http *h)
{
    int running = 0;
    if (curl_multi_perform(h->multi, &running) != CURLM_OK)
        return MC_EIO;
    transfers_reap(h);
    if (h->proxies != NULL)
        target__proxies_run(h->proxies, mono_ns() - h->start_ns);
    return 0;
}

/* Waits up to wait_ms for libcurl's sockets or the proxies' loop to have work. */
static int http_wait(struct target_http *h, int wait_ms)
{
    struct curl_waitfd extra = {0};
    unsigned extra_count = 0;
    if (h->proxies != NULL) {
        int timeout = target__proxies_timeout_ms(h->proxies);
        if (timeout >= 0 && timeout < wait_ms)
            wait_ms = timeout;
        extra.fd = target__proxies_fd(h->proxies);
        extra.events = CURL_WAIT_POLLIN;
        extra_count = 1;
    }
    if (curl_multi_poll(h->multi, extra_count ? &extra : NULL, extra_count,
                        wait_ms > 0 ? wait_ms : 0, NULL) != CURLM_OK)
        return MC_EIO;
    return 0;
}

static int http_advance(struct target *t, uint64_t d_ns, int (*done)(void *), void *ctx,
                        int *stopped_early)
{
    struct target_http *h = (struct target_http *)t;
    uint64_t end = mono_ns() + d_ns;
    for (;;) {
        int err = http_pass(h);
        if (err != 0)
            return err;
        if (done != NULL && done(ctx)) {
            *stopped_early = 1;
            return 0;
        }
        uint64_t now = mono_ns();
        if (now >= end)
            return 0;
        uint64_t left_ms = (end - now + 999999u) / 1000000u;
        err = http_wait(h, left_ms < HTTP_POLL_MS_MAX ? (int)left_ms : HTTP_POLL_MS_MAX);
        if (err != 0)
            return err;
    }
}

static uint64_t http_now(const struct target *t)
{
    return mono_ns() - ((const struct target_http *)t)->start_ns;
}

static uint64_t http_hash(const struct target *t)
{
    (void)t;
    return 0;
}

static int http_actor_attach(struct target *t, struct target_actor *a)
{
    struct target_http *h = (struct target_http *)t;
    struct actor_ctx *c = &h->ctx[t->actors_count];
    c->owner = h;
    c->actor = a;
    c->rt.ops = &curl_rt_ops;
    c->rt.ctx = c;
    c->rt.alloc = NULL;
    a->client.rt = &c->rt;
    if (h->proxies == NULL)
        return 0;
    struct mc_diag diag;
    mc_diag_clear(&diag);
    int err = target__proxies_add(h->proxies, t->actors_count, a->peer, sizeof(a->peer), &diag);
    if (err != 0)
        snprintf(t->fault_error, sizeof(t->fault_error), "the proxy of %s: %.400s", a->name,
                 diag.text);
    return err;
}

static void http_destroy(struct target *t)
{
    struct target_http *h = (struct target_http *)t;
    while (h->transfers != NULL)
        transfer_free(h, h->transfers);
    if (h->multi != NULL)
        curl_multi_cleanup(h->multi);
    target__proxies_destroy(h->proxies);
    target__actors_deinit(t);
    free(h->cacert);
    free(h->principal);
    free(h->secret);
    free(h->case_id);
    for (uint32_t i = 0; i < h->hooks_count; i++)
        free((char *)h->hooks[i].command);
    free(h);
}

/* ---- what it can do -------------------------------------------------------------- */

static const struct target_hook *hook_find(const struct target_http *h, enum target_hook_kind kind,
                                           const char *agent)
{
    for (uint32_t i = 0; i < h->hooks_count; i++)
        if (h->hooks[i].kind == kind && (agent == NULL || strcmp(h->hooks[i].agent, agent) == 0))
            return &h->hooks[i];
    return NULL;
}

static int agent_known(const struct target_http *h, const char *name)
{
    for (uint32_t i = 0; i < h->agents_count; i++)
        if (strcmp(h->agents[i], name) == 0)
            return 1;
    return 0;
}

static int http_can_hook(const struct target_http *h, enum target_hook_kind kind,
                         const char *agent, char *why, size_t why_bytes)
{
    if (hook_find(h, kind, agent) != NULL)
        return 1;
    if (kind == TARGET_HOOK_RESTART_MASTER)
        snprintf(why, why_bytes, "the http target cannot restart the master without "
                                 "--hook restart-master=CMD");
    else
        snprintf(why, why_bytes, "the http target cannot %s agent %s without --hook %s:%s=CMD",
                 kind == TARGET_HOOK_CRASH_AGENT ? "crash" : "restart", agent,
                 target_hook_kind_name(kind), agent);
    return 0;
}

static int http_can(const struct target *t, enum target_ability what, const char *name, char *why,
                    size_t why_bytes)
{
    const struct target_http *h = (const struct target_http *)t;
    static const char *const proxied[] = {
        [TARGET_CAN_PARTITION] = "partition actors from the master",
        [TARGET_CAN_HOLD] = "hold an actor's traffic",
        [TARGET_CAN_RESET] = "reset an actor's connections",
        [TARGET_CAN_DROP_HEARTBEATS] = "drop heartbeats",
    };
    switch (what) {
    case TARGET_CAN_AGENT:
        if (agent_known(h, name))
            return 1;
        snprintf(why, why_bytes, "the http target has no agent %s (name the real cluster's "
                                 "agents with --agent NAME)", name);
        return 0;
    case TARGET_CAN_PARTITION:
        if (name != NULL && agent_known(h, name)) {
            snprintf(why, why_bytes, "the http target cannot cut agent %s off the master "
                                     "(its traffic does not pass the suite's proxies)", name);
            return 0;
        }
        /* fall through */
    case TARGET_CAN_HOLD:
    case TARGET_CAN_RESET:
    case TARGET_CAN_DROP_HEARTBEATS:
        if (h->proxies != NULL)
            return 1;
        snprintf(why, why_bytes, "the http target cannot %s without --via-proxy", proxied[what]);
        return 0;
    case TARGET_CAN_SPLIT:
        return 1;
    case TARGET_CAN_RESTART_MASTER:
        return http_can_hook(h, TARGET_HOOK_RESTART_MASTER, NULL, why, why_bytes);
    case TARGET_CAN_CRASH_AGENT:
        return http_can_hook(h, TARGET_HOOK_CRASH_AGENT, name, why, why_bytes);
    case TARGET_CAN_RESTART_AGENT:
        return http_can_hook(h, TARGET_HOOK_RESTART_AGENT, name, why, why_bytes);
    }
    return 0;
}

/* ---- faults through the proxies ----------------------------------------------------- */

/*
 * Cuts every actor on one side off the master on the other: each actor's
 * proxy is its link to the master. Actors never talk to each other, so a
 * cut between two actors changes nothing. An actor that has sent nothing
 * yet gets its proxy now, cut from the start.
 */
static int http_partition(struct target *t, const char *const *a, uint32_t na,
                          const char *const *b, uint32_t nb)
{
    struct target_http *h = (struct target_http *)t;
    if (h->proxies == NULL)
        return MC_EUNSUPPORTED;
    for (int side = 0; side < 2; side++) {
        const char *const *mine = side == 0 ? a : b, *const *other = side == 0 ? b : a;
        uint32_t n_mine = side == 0 ? na : nb, n_other = side == 0 ? nb : na;
        int master_there = 0;
        for (uint32_t i = 0; i < n_other; i++)
            master_there |= strcmp(other[i], "master") == 0;
        for (uint32_t i = 0; master_there && i < n_mine; i++) {
            if (strcmp(mine[i], "master") == 0)
                continue;
            if (agent_known(h, mine[i]))
                return MC_EUNSUPPORTED;
            struct target_actor *actor;
            int err = target__actor_get(t, mine[i], &actor);
            if (err != 0)
                return err;
            target__proxies_partition(h->proxies, (uint32_t)(actor - t->actors));
        }
    }
    return 0;
}

static int http_heal(struct target *t)
{
    struct target_http *h = (struct target_http *)t;
    if (h->proxies == NULL)
        return MC_EUNSUPPORTED;
    target__proxies_heal_all(h->proxies);
    return 0;
}

static int http_hold(struct target *t, struct target_actor *a, int release)
{
    struct target_http *h = (struct target_http *)t;
    if (h->proxies == NULL)
        return MC_EUNSUPPORTED;
    target__proxies_hold(h->proxies, (uint32_t)(a - t->actors), release);
    return 0;
}

/* Every connection of the actor's proxy is reset under both ends (TCP RST). */
static int http_reset(struct target *t, struct target_actor *a, int exchange)
{
    struct target_http *h = (struct target_http *)t;
    (void)exchange;
    if (h->proxies == NULL)
        return MC_EUNSUPPORTED;
    target__proxies_reset(h->proxies, (uint32_t)(a - t->actors));
    return 0;
}

/* The client already gets its pieces (target.c); the proxy re-chunks the stream too. */
static int http_split(struct target *t, struct target_actor *a)
{
    struct target_http *h = (struct target_http *)t;
    if (h->proxies != NULL)
        target__proxies_split(h->proxies, (uint32_t)(a - t->actors), a->split_bytes);
    return 0;
}

static int http_drop_heartbeats(struct target *t, struct target_actor *a, uint64_t d_ns)
{
    struct target_http *h = (struct target_http *)t;
    if (h->proxies == NULL)
        return MC_EUNSUPPORTED;
    uint64_t now = http_now(t);
    target__proxies_drop_heartbeats(h->proxies, (uint32_t)(a - t->actors),
                                    d_ns > UINT64_MAX - now ? UINT64_MAX : now + d_ns);
    return 0;
}

/* ---- faults through hooks ------------------------------------------------------------- */

/* While a hook runs: traffic flows for a moment. */
static int hook_wait_step(void *ctx)
{
    struct target_http *h = ctx;
    int err = http_pass(h);
    return err == 0 ? http_wait(h, HTTP_POLL_MS_MAX) : err;
}

static int hook_fault(struct target_http *h, enum target_hook_kind kind, const char *agent)
{
    const struct target_hook *hook = hook_find(h, kind, agent);
    if (hook == NULL)
        return MC_EUNSUPPORTED;
    struct target_hook_env env = {target_hook_kind_name(kind), agent, h->base.master_address,
                                  h->case_id};
    char why[TARGET_ERROR_BYTES_MAX - 64];
    why[0] = '\0';
    int err = target__hook_run(hook->command, &env, hook_wait_step, h, why, sizeof(why));
    if (err != 0)
        snprintf(h->base.fault_error, sizeof(h->base.fault_error), "hook %s%s%s: %s",
                 target_hook_kind_name(kind), agent != NULL ? ":" : "", agent != NULL ? agent : "",
                 why[0] != '\0' ? why : mc_strerror(err));
    return err != 0 ? MC_EIO : 0;
}

static int http_restart_master(struct target *t)
{
    return hook_fault((struct target_http *)t, TARGET_HOOK_RESTART_MASTER, NULL);
}

static int http_crash_agent(struct target *t, const char *agent)
{
    return hook_fault((struct target_http *)t, TARGET_HOOK_CRASH_AGENT, agent);
}

static int http_restart_agent(struct target *t, const char *agent)
{
    return hook_fault((struct target_http *)t, TARGET_HOOK_RESTART_AGENT, agent);
}

static const struct target_ops http_ops = {
    .actor_attach = http_actor_attach,
    .advance = http_advance,
    .now_ns = http_now,
    .trace_hash = http_hash,
    .destroy = http_destroy,
    .can = http_can,
    .partition = http_partition,
    .heal = http_heal,
    .hold = http_hold,
    .reset = http_reset,
    .split = http_split,
    .drop_heartbeats = http_drop_heartbeats,
    .restart_master = http_restart_master,
    .crash_agent = http_crash_agent,
    .restart_agent = http_restart_agent,
};

static char *opt_dup(const char *s)
{
    return s != NULL ? strdup(s) : NULL;
}

/* Copies the options' hooks and agents; MC_EINVAL past their limits, MC_ENOMEM. */
static int options_copy(struct target_http *h, const struct target_http_options *o,
                        struct mc_diag *diag)
{
    if (o->hooks_count > TARGET_HOOKS_MAX || o->agents_count > TARGET_AGENTS_MAX) {
        mc_diag_set(diag, "at most %u hooks and %u agents", TARGET_HOOKS_MAX, TARGET_AGENTS_MAX);
        return MC_EINVAL;
    }
    for (uint32_t i = 0; i < o->agents_count; i++) {
        if (strlen(o->agents[i]) >= sizeof(h->agents[i])) {
            mc_diag_set(diag, "agent name '%s' is too long", o->agents[i]);
            return MC_EINVAL;
        }
        snprintf(h->agents[h->agents_count++], sizeof(h->agents[i]), "%s", o->agents[i]);
    }
    for (uint32_t i = 0; i < o->hooks_count; i++) {
        h->hooks[i] = o->hooks[i];
        h->hooks[i].command = strdup(o->hooks[i].command);
        if (h->hooks[i].command == NULL)
            return MC_ENOMEM;
        h->hooks_count++;
    }
    h->principal = opt_dup(o->principal);
    h->secret = opt_dup(o->secret);
    h->cacert = opt_dup(o->cacert);
    h->case_id = opt_dup(o->case_id);
    if ((o->cacert && !h->cacert) || (o->principal && !h->principal) ||
        (o->secret && !h->secret) || (o->case_id && !h->case_id))
        return MC_ENOMEM;
    return 0;
}

/* The faults its options give it. */
static uint32_t http_faults(const struct target_http *h)
{
    uint32_t f = TARGET_FAULT_SPLIT;
    if (h->proxies != NULL)
        f |= TARGET_FAULT_PARTITION | TARGET_FAULT_HOLD | TARGET_FAULT_RESET |
             TARGET_FAULT_DROP_HEARTBEATS;
    if (hook_find(h, TARGET_HOOK_RESTART_MASTER, NULL) != NULL)
        f |= TARGET_FAULT_RESTART_MASTER;
    if (hook_find(h, TARGET_HOOK_CRASH_AGENT, NULL) != NULL ||
        hook_find(h, TARGET_HOOK_RESTART_AGENT, NULL) != NULL)
        f |= TARGET_FAULT_AGENTS;
    return f;
}

int target_http_create(const char *url, const struct target_http_options *options,
                       struct target **out, struct mc_diag *diag)
{
    *out = NULL;
    int https = strncmp(url, "https://", 8) == 0;
    const char *hostport = https ? url + 8 : strncmp(url, "http://", 7) == 0 ? url + 7 : NULL;
    size_t n = hostport ? strcspn(hostport, "/") : 0;
    if (hostport == NULL || n == 0 || n >= sizeof(((struct target *)0)->master_address)) {
        mc_diag_set(diag, "target '%s' is not http://HOST:PORT or https://HOST:PORT", url);
        return MC_EINVAL;
    }
    struct target_http *h = calloc(1, sizeof(*h));
    if (h == NULL)
        return MC_ENOMEM;
    h->base.ops = &http_ops;
    if (options != NULL)
        h->options = *options;
    h->options.hooks = NULL; /* copied below; the caller's are borrowed for this call */
    h->options.agents = NULL;
    snprintf(h->scheme, sizeof(h->scheme), "%s", https ? "https" : "http");
    memcpy(h->base.master_address, hostport, n);
    h->base.master_address[n] = '\0';
    h->multi = curl_multi_init();
    h->start_ns = mono_ns();
    int err = h->multi == NULL ? MC_ENOMEM : 0;
    if (err == 0 && options != NULL)
        err = options_copy(h, options, diag);
    if (err == 0 && h->options.via_proxy && https) {
        mc_diag_set(diag, "--via-proxy works with http:// targets only (the proxy does not "
                          "speak TLS)");
        err = MC_EINVAL;
    }
    if (err == 0 && h->options.via_proxy)
        err = target__proxies_create(h->base.master_address, h->options.seed, &h->proxies, diag);
    if (err != 0) {
        http_destroy(&h->base);
        return err;
    }
    h->base.caps.faults = http_faults(h);
    *out = &h->base;
    return 0;
}
