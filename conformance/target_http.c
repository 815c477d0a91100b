/*
 * target_http.c: a real endpoint as a target, over libcurl (the only
 * libcurl user). Each actor's client node gets a runtime whose call_start
 * becomes a libcurl transfer on one multi handle; the transfer's head, body
 * bytes and end come back to the client exactly as simulated deliveries do,
 * so the runner reads both kinds of target the same way. Transfers are only
 * driven from target_advance, never from inside a client's call, which
 * keeps rt.h's rule 1.
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
    char *cacert, *principal, *secret;
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
    client_node_ops.call_response(&x->actor->client, x->call, &x->head);
}

static size_t on_body(char *data, size_t size, size_t n, void *userdata)
{
    struct http_transfer *x = userdata;
    size_t len = size * n;
    if (x->is_stream) {
        deliver_head(x);
        client_node_ops.call_data(&x->actor->client, x->call, (const uint8_t *)data, len);
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
        client_node_ops.call_end(&x->actor->client, x->call, ok ? 0 : MC_ECLOSED);
        transfer_free(h, x);
    }
}

static int http_advance(struct target *t, uint64_t d_ns, int (*done)(void *), void *ctx,
                        int *stopped_early)
{
    struct target_http *h = (struct target_http *)t;
    uint64_t end = mono_ns() + d_ns;
    for (;;) {
        int running = 0;
        if (curl_multi_perform(h->multi, &running) != CURLM_OK)
            return MC_EIO;
        transfers_reap(h);
        if (done != NULL && done(ctx)) {
            *stopped_early = 1;
            return 0;
        }
        uint64_t now = mono_ns();
        if (now >= end)
            return 0;
        uint64_t left_ms = (end - now) / 1000000u;
        int wait_ms = left_ms < HTTP_POLL_MS_MAX ? (int)left_ms : HTTP_POLL_MS_MAX;
        if (curl_multi_poll(h->multi, NULL, 0, wait_ms > 0 ? wait_ms : 1, NULL) != CURLM_OK)
            return MC_EIO;
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
    return 0;
}

static void http_destroy(struct target *t)
{
    struct target_http *h = (struct target_http *)t;
    while (h->transfers != NULL)
        transfer_free(h, h->transfers);
    if (h->multi != NULL)
        curl_multi_cleanup(h->multi);
    target__actors_deinit(t);
    free(h->cacert);
    free(h->principal);
    free(h->secret);
    free(h);
}

static const struct target_ops http_ops = {
    http_actor_attach, http_advance, http_now, http_hash, http_destroy, NULL, NULL, NULL, NULL, NULL,
};

static char *opt_dup(const char *s)
{
    return s != NULL ? strdup(s) : NULL;
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
    h->base.caps = (struct target_caps){0, 0, 0};
    if (options != NULL)
        h->options = *options;
    snprintf(h->scheme, sizeof(h->scheme), "%s", https ? "https" : "http");
    h->cacert = opt_dup(h->options.cacert);
    h->principal = opt_dup(h->options.principal);
    h->secret = opt_dup(h->options.secret);
    memcpy(h->base.master_address, hostport, n);
    h->base.master_address[n] = '\0';
    h->multi = curl_multi_init();
    h->start_ns = mono_ns();
    if (h->multi == NULL || (h->options.cacert && !h->cacert) ||
        (h->options.principal && !h->principal) || (h->options.secret && !h->secret)) {
        http_destroy(&h->base);
        return MC_ENOMEM;
    }
    *out = &h->base;
    return 0;
}
