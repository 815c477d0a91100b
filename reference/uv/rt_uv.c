/*
 * rt_uv.c: the libuv runtime's object, its struct rt_ops table, the timer
 * heap, the ready list, the in-memory store and logging (rt_uv.h).
 *
 * Timers. Every active timer, the core's and the runtime's own (a
 * connection's timer), sits in one mc_heap keyed by (deadline, start
 * order); one uv_timer is armed for the earliest. When it fires, the pass
 * runs every timer due at the pass' start whose sequence number is older
 * than the pass: a timer started or restarted during the pass gets a newer
 * number and waits for the next pass even when it is already due (rt.h
 * rule 3). Deadlines are never earlier than the time they were started at,
 * so a new timer can never sort before one the pass still has to run.
 *
 * Time is libuv's loop time (uv_now, milliseconds, read once per loop
 * iteration) in nanoseconds: one "now" per pass, as curl's TIME-KEEPING
 * asks, the very clock the uv_timer counts in (so it never fires before a
 * deadline is due by our own reading), and equal deadlines are common,
 * which makes the start order visible.
 *
 * The ready list. What the runtime owes the node because of a runtime call
 * the node just made (the next pipelined request once an answer went out,
 * the news that a stream was cut) may not be delivered inside that call
 * (rule 1). The connection is put on the ready list instead, and a uv_idle
 * handle, active only while the list is not empty, drains it on the next
 * loop pass. Reads schedule their connection the same way, so every
 * request reaches the node from the drain and nowhere else.
 */
#include "rt_uv_internal.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "mc_assert.h"
#include "mc_limits.h"

/* The heap tags: whose timer an entry is. */
enum { TIMER_TAG_RUNTIME = 0, TIMER_TAG_NODE = 1 };

void uvrt_options_default(struct uvrt_options *o)
{
    memset(o, 0, sizeof(*o));
    o->seed = 0;
    o->conns_max = MC_UV_CONNS_MAX;
    o->calls_max = MC_UV_CALLS_MAX;
    o->stream_queued_bytes_max = MC_UV_STREAM_QUEUED_BYTES_MAX;
    o->idle_timeout_ns = UVRT_IDLE_TIMEOUT_NS_DEFAULT;
    o->head_timeout_ns = MC_UV_HEAD_TIMEOUT_NS;
    o->body_timeout_ns = MC_UV_BODY_TIMEOUT_NS;
    o->linger_ns = MC_UV_LINGER_NS;
    o->linger_bytes_max = MC_UV_LINGER_BYTES_MAX;
    o->log_level_min = RT_LOG_INFO;
    o->log_fn = NULL;
    o->log_ctx = NULL;
    o->alloc = NULL;
}

uint64_t uvrt__id_next(struct uvrt *u)
{
    u->id_last++;
    MC_ASSERT(u->id_last != 0);
    return u->id_last;
}

void uvrt__logf(struct uvrt *u, enum rt_log_level level, const char *fmt, ...)
{
    if (u->options.log_fn == NULL || level < u->options.log_level_min)
        return;
    char line[MC_UV_LOG_LINE_BYTES_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    u->options.log_fn(u->options.log_ctx, level, line);
}

void uvrt__node_enter(struct uvrt *u)
{
    /* Rule 1: a delivery never starts while the node is inside a runtime call. */
    MC_ASSERT(u->in_node == 0);
    u->in_node++;
}

void uvrt__node_leave(struct uvrt *u)
{
    MC_ASSERT(u->in_node == 1);
    u->in_node--;
}

void uvrt__handle_opened(struct uvrt *u)
{
    u->stats.handles_open++;
}

void uvrt__handle_closed(struct uvrt *u)
{
    MC_ASSERT(u->stats.handles_open > 0);
    u->stats.handles_open--;
}

/* ---- timers ----------------------------------------------------------- */

static uint64_t now_ns_get(const struct uvrt *u)
{
    return (uint64_t)uv_now(u->loop) * RT_NS_PER_MS;
}

static void timer_fire(uv_timer_t *handle);

/*
 * Points the uv_timer at the earliest deadline, or stops it. During a pass
 * nothing is armed (the pass arms once at its end). A timer already due at
 * the end of a pass was started during it: it waits at least 1 ms, so that
 * it fires in a later loop iteration, after I/O had its turn. (libuv 1.44
 * runs a 0 ms uv_timer started in a timer callback in the same iteration,
 * so a core restarting a 0-delay timer forever would starve every socket.)
 */
static void timer_arm(struct uvrt *u)
{
    if (u->shut_down || u->timers_firing)
        return; /* closing: nothing fires any more; firing: armed at the end */
    const struct mc_heap_entry *top = mc_heap_peek(&u->timers);
    if (top == NULL) {
        if (u->timer_armed)
            uv_timer_stop(&u->timer);
        u->timer_armed = 0;
        return;
    }
    if (u->timer_armed && u->timer_armed_ns == top->time_ns)
        return;
    uint64_t now_ns = now_ns_get(u);
    uint64_t wait_ms = 0;
    if (top->time_ns > now_ns)
        wait_ms = (top->time_ns - now_ns + RT_NS_PER_MS - 1) / RT_NS_PER_MS;
    int err = uv_timer_start(&u->timer, timer_fire, wait_ms, 0);
    MC_ASSERT(err == 0); /* only fails for a closing handle, excluded above */
    u->timer_armed = 1;
    u->timer_armed_ns = top->time_ns;
}

static void timer_fire(uv_timer_t *handle)
{
    struct uvrt *u = handle->data;
    MC_ASSERT(u != NULL && u->in_node == 0 && !u->timers_firing);
    u->timer_armed = 0;
    uint64_t now_ns = now_ns_get(u);
    uint64_t seq_pass = u->timers.seq_next;
    u->timers_firing = 1;
    while (!u->shut_down) {
        const struct mc_heap_entry *top = mc_heap_peek(&u->timers);
        if (top == NULL || top->time_ns > now_ns || top->seq >= seq_pass)
            break;
        struct mc_heap_entry e;
        int err = mc_heap_pop(&u->timers, &e);
        MC_ASSERT(err == 0);
        struct rt_timer *t = e.item;
        MC_ASSERT(t->active && t->fn != NULL);
        t->active = 0;
        if (e.tag == TIMER_TAG_NODE) {
            uvrt__node_enter(u);
            t->fn(t);
            uvrt__node_leave(u);
        } else {
            t->fn(t);
        }
    }
    u->timers_firing = 0;
    const struct mc_heap_entry *top = mc_heap_peek(&u->timers);
    if (u->shut_down || top == NULL || top->time_ns > now_ns) {
        timer_arm(u);
        return;
    }
    int err = uv_timer_start(&u->timer, timer_fire, 1, 0);
    MC_ASSERT(err == 0);
    u->timer_armed = 1;
    u->timer_armed_ns = top->time_ns;
}

static void timer_cancel(struct uvrt *u, struct rt_timer *timer)
{
    MC_ASSERT(timer != NULL);
    if (!timer->active)
        return;
    const struct mc_heap_entry *e = mc_heap_at(&u->timers, timer->heap_slot);
    MC_ASSERT(e->item == timer);
    mc_heap_remove(&u->timers, timer->heap_slot, NULL);
    timer->active = 0;
    timer_arm(u);
}

static void timer_start(struct uvrt *u, struct rt_timer *timer, uint64_t delay_ns, rt_timer_fn fn,
                        uint32_t tag)
{
    MC_ASSERT(timer != NULL && fn != NULL);
    timer_cancel(u, timer);
    timer->fn = fn;
    uint64_t now_ns = now_ns_get(u);
    uint64_t deadline_ns = now_ns + delay_ns;
    if (deadline_ns < now_ns)
        deadline_ns = UINT64_MAX;
    int err = mc_heap_push(&u->timers, deadline_ns, timer, &timer->heap_slot, tag, &timer->seq);
    if (err != 0) {
        /* The interface has no error path: say it loudly; the timer stays inactive. */
        uvrt__logf(u, RT_LOG_ERROR, "cannot start a timer: %s (%u timers, MC_UV_TIMERS_MAX)",
                   mc_strerror(err), (unsigned)mc_heap_count(&u->timers));
        return;
    }
    timer->deadline_ns = deadline_ns;
    timer->active = 1;
    timer_arm(u);
}

void uvrt__timer_start(struct uvrt *u, struct rt_timer *timer, uint64_t delay_ns, rt_timer_fn fn)
{
    timer_start(u, timer, delay_ns, fn, TIMER_TAG_RUNTIME);
}

void uvrt__timer_cancel(struct uvrt *u, struct rt_timer *timer)
{
    timer_cancel(u, timer);
}

/* ---- the ready list --------------------------------------------------- */

static void idle_run(uv_idle_t *handle)
{
    struct uvrt *u = handle->data;
    MC_ASSERT(u != NULL && u->in_node == 0);
    /* This pass takes what is ready now; what it makes ready waits for the next. */
    struct mc_list_node pass;
    mc_list_init(&pass);
    if (!mc_list_empty(&u->ready)) {
        pass.next = u->ready.next;
        pass.prev = u->ready.prev;
        pass.next->prev = &pass;
        pass.prev->next = &pass;
        mc_list_init(&u->ready);
    }
    while (!mc_list_empty(&pass)) {
        struct mc_list_node *n = pass.next;
        mc_list_remove(n);
        uvrt__conn_ready(MC_CONTAINER_OF(n, struct uvrt_conn, ready));
    }
    if (mc_list_empty(&u->ready) && u->idle_active && !u->shut_down) {
        uv_idle_stop(&u->idle);
        u->idle_active = 0;
    }
}

void uvrt__conn_schedule(struct uvrt_conn *conn)
{
    struct uvrt *u = conn->u;
    if (u->shut_down || conn->ready.next != &conn->ready)
        return; /* nothing drains any more, or it is queued already */
    mc_list_push_back(&u->ready, &conn->ready);
    if (!u->idle_active) {
        int err = uv_idle_start(&u->idle, idle_run);
        MC_ASSERT(err == 0);
        u->idle_active = 1;
    }
}

/* ---- the store -------------------------------------------------------- */

static struct uvrt_store_entry *store_find(struct uvrt *u, const char *key)
{
    struct mc_list_node *it;
    MC_LIST_FOR_EACH(it, &u->store) {
        struct uvrt_store_entry *e = MC_CONTAINER_OF(it, struct uvrt_store_entry, link);
        if (strcmp(e->key, key) == 0)
            return e;
    }
    return NULL;
}

static int rt_store_put(void *ctx, const char *key, const void *bytes, size_t len)
{
    struct uvrt *u = ctx;
    MC_ASSERT(key != NULL && (bytes != NULL || len == 0));
    if (strlen(key) >= MC_UV_STORE_KEY_BYTES_MAX || len > MC_UV_STORE_VALUE_BYTES_MAX)
        return MC_ELIMIT;
    struct uvrt_store_entry *e = store_find(u, key);
    if (e != NULL) {
        struct mc_buf value;
        mc_buf_init(&value, MC_UV_STORE_VALUE_BYTES_MAX, u->alloc);
        int err = mc_buf_append(&value, bytes, len);
        if (err != 0) {
            mc_buf_deinit(&value);
            return err;
        }
        mc_buf_deinit(&e->value);
        e->value = value;
        return 0;
    }
    if (u->store_count >= MC_UV_STORE_KEYS_MAX)
        return MC_ELIMIT;
    e = mc_calloc(u->alloc, 1, sizeof(*e));
    if (e == NULL)
        return MC_ENOMEM;
    memcpy(e->key, key, strlen(key) + 1);
    mc_buf_init(&e->value, MC_UV_STORE_VALUE_BYTES_MAX, u->alloc);
    int err = mc_buf_append(&e->value, bytes, len);
    if (err != 0) {
        mc_buf_deinit(&e->value);
        mc_free(u->alloc, e);
        return err;
    }
    mc_list_push_back(&u->store, &e->link);
    u->store_count++;
    return 0;
}

static int rt_store_get(void *ctx, const char *key, struct mc_buf *out)
{
    struct uvrt *u = ctx;
    MC_ASSERT(key != NULL && out != NULL);
    const struct uvrt_store_entry *e = store_find(u, key);
    if (e == NULL)
        return MC_ENOTFOUND;
    return mc_buf_append(out, e->value.data, e->value.len);
}

static void store_entry_free(struct uvrt *u, struct uvrt_store_entry *e)
{
    mc_list_remove(&e->link);
    mc_buf_deinit(&e->value);
    mc_free(u->alloc, e);
    MC_ASSERT(u->store_count > 0);
    u->store_count--;
}

static int rt_store_del(void *ctx, const char *key)
{
    struct uvrt *u = ctx;
    MC_ASSERT(key != NULL);
    struct uvrt_store_entry *e = store_find(u, key);
    if (e == NULL)
        return MC_ENOTFOUND;
    store_entry_free(u, e);
    return 0;
}

/* ---- the rt_ops table ------------------------------------------------- */

static struct uvrt *runtime_of(void *ctx)
{
    struct uvrt *u = ctx;
    MC_ASSERT(u != NULL && u->loop != NULL);
    return u;
}

static uint64_t rt_now_ns_get(void *ctx)
{
    return now_ns_get(runtime_of(ctx));
}

static void rt_timer_start_op(void *ctx, struct rt_timer *timer, uint64_t delay_ns, rt_timer_fn fn)
{
    timer_start(runtime_of(ctx), timer, delay_ns, fn, TIMER_TAG_NODE);
}

static void rt_timer_cancel_op(void *ctx, struct rt_timer *timer)
{
    timer_cancel(runtime_of(ctx), timer);
}

static void rt_respond(void *ctx, uint64_t req, const struct http_response *response)
{
    uvrt__respond(runtime_of(ctx), req, response);
}

static void rt_stream_open(void *ctx, uint64_t req, const struct http_response *head)
{
    uvrt__stream_open(runtime_of(ctx), req, head);
}

static int rt_stream_write(void *ctx, uint64_t req, const void *bytes, size_t len)
{
    return uvrt__stream_write(runtime_of(ctx), req, bytes, len);
}

static void rt_stream_close(void *ctx, uint64_t req)
{
    uvrt__stream_close(runtime_of(ctx), req);
}

static uint64_t rt_call_start(void *ctx, const char *peer, const struct http_request *request)
{
    return uvrt__call_start(runtime_of(ctx), peer, request);
}

static void rt_call_cancel(void *ctx, uint64_t call)
{
    uvrt__call_cancel(runtime_of(ctx), call);
}

static uint64_t rt_rng_u64_op(void *ctx)
{
    return mc_rng_u64(&runtime_of(ctx)->rng);
}

static void rt_log(void *ctx, enum rt_log_level level, const char *text)
{
    uvrt__logf(runtime_of(ctx), level, "%s", text != NULL ? text : "");
}

static const struct rt_ops uvrt_ops = {
    .now_ns = rt_now_ns_get,
    .timer_start = rt_timer_start_op,
    .timer_cancel = rt_timer_cancel_op,
    .respond = rt_respond,
    .stream_open = rt_stream_open,
    .stream_write = rt_stream_write,
    .stream_close = rt_stream_close,
    .call_start = rt_call_start,
    .call_cancel = rt_call_cancel,
    .store_put = rt_store_put,
    .store_get = rt_store_get,
    .store_del = rt_store_del,
    .rng_u64 = rt_rng_u64_op,
    .log = rt_log,
};

/* ---- addresses -------------------------------------------------------- */

static int port_parse(const char *s, uint16_t *out)
{
    if (*s == '\0' || strlen(s) > 5)
        return MC_EINVAL;
    unsigned long v = 0;
    for (const char *p = s; *p != '\0'; p++) {
        if (*p < '0' || *p > '9')
            return MC_EINVAL;
        v = v * 10 + (unsigned long)(*p - '0');
    }
    if (v > 65535)
        return MC_EINVAL;
    *out = (uint16_t)v;
    return 0;
}

int uvrt__address_parse(const char *address, struct sockaddr_storage *out)
{
    MC_ASSERT(address != NULL && out != NULL);
    size_t n = strlen(address);
    const char *colon = strrchr(address, ':');
    if (n >= MC_UV_ADDRESS_BYTES_MAX || colon == NULL || colon == address)
        return MC_EINVAL;
    char host[MC_UV_ADDRESS_BYTES_MAX];
    size_t host_bytes = (size_t)(colon - address);
    memcpy(host, address, host_bytes);
    host[host_bytes] = '\0';
    uint16_t port;
    if (port_parse(colon + 1, &port) != 0)
        return MC_EINVAL;
    memset(out, 0, sizeof(*out));
    if (host[0] == '[' && host_bytes > 2 && host[host_bytes - 1] == ']') {
        host[host_bytes - 1] = '\0';
        return uv_ip6_addr(host + 1, port, (struct sockaddr_in6 *)out) == 0 ? 0 : MC_EINVAL;
    }
    if (strcmp(host, "localhost") == 0)
        strcpy(host, "127.0.0.1");
    /* inet_pton refuses what uv_ip4_addr's older versions let through ("1.2.3"). */
    struct in_addr probe;
    if (inet_pton(AF_INET, host, &probe) != 1)
        return MC_EINVAL;
    return uv_ip4_addr(host, port, (struct sockaddr_in *)out) == 0 ? 0 : MC_EINVAL;
}

/* ---- the runtime's life ----------------------------------------------- */

static void own_handle_closed(uv_handle_t *handle)
{
    uvrt__handle_closed(handle->data);
}

int uvrt_create(uv_loop_t *loop, const struct uvrt_options *o, struct uvrt **out,
                struct mc_diag *diag)
{
    MC_ASSERT(loop != NULL && o != NULL && out != NULL);
    *out = NULL;
    if (o->conns_max == 0 || o->calls_max == 0 || o->stream_queued_bytes_max == 0) {
        mc_diag_set(diag, "uvrt: conns_max, calls_max and stream_queued_bytes_max must be > 0");
        return MC_EINVAL;
    }
    struct uvrt *u = mc_calloc(o->alloc, 1, sizeof(*u));
    if (u == NULL)
        return MC_ENOMEM;
    uint32_t slots = 16;
    while (slots < 2u * o->conns_max)
        slots *= 2;
    u->req_index = mc_calloc(o->alloc, slots, sizeof(*u->req_index));
    if (u->req_index == NULL) {
        mc_free(o->alloc, u);
        return MC_ENOMEM;
    }
    u->req_index_mask = slots - 1;
    u->loop = loop;
    u->options = *o;
    u->alloc = o->alloc;
    u->rt.ops = &uvrt_ops;
    u->rt.ctx = u;
    u->rt.alloc = o->alloc != NULL ? o->alloc : mc_alloc_system();
    mc_rng_init(&u->rng, o->seed);
    mc_heap_init(&u->timers, MC_UV_TIMERS_MAX, o->alloc);
    mc_list_init(&u->conns);
    mc_list_init(&u->ready);
    mc_list_init(&u->calls);
    mc_list_init(&u->store);
    /* Both always succeed on a live loop (libuv only fills the structs in). */
    int err = uv_timer_init(loop, &u->timer);
    MC_ASSERT(err == 0);
    err = uv_idle_init(loop, &u->idle);
    MC_ASSERT(err == 0);
    u->timer.data = u;
    uvrt__handle_opened(u);
    u->idle.data = u;
    uvrt__handle_opened(u);
    *out = u;
    return 0;
}

const struct rt *uvrt_rt(struct uvrt *u)
{
    MC_ASSERT(u != NULL);
    return &u->rt;
}

void uvrt_node_bind(struct uvrt *u, const struct rt_node_ops *ops, void *node)
{
    MC_ASSERT(u != NULL && ops != NULL);
    MC_ASSERT(u->node_ops == NULL && !u->shut_down);
    u->node_ops = ops;
    u->node = node;
}

int uvrt_listen(struct uvrt *u, const char *address, struct mc_diag *diag)
{
    MC_ASSERT(u != NULL && address != NULL);
    if (u->listening || u->shut_down) {
        mc_diag_set(diag, "uvrt: already listening or shut down");
        return MC_ESTATE;
    }
    return uvrt__listen(u, address, diag);
}

uint16_t uvrt_listen_port(const struct uvrt *u)
{
    return u->listening ? u->listen_port : 0;
}

void uvrt_shutdown(struct uvrt *u)
{
    MC_ASSERT(u != NULL);
    if (u->shut_down)
        return;
    MC_ASSERT(u->in_node == 0);
    u->node_ops = NULL;
    u->node = NULL;
    u->shut_down = 1;
    while (!mc_list_empty(&u->ready))
        mc_list_remove(u->ready.next);
    uvrt__conns_shutdown(u);
    uvrt__calls_shutdown(u);
    if (u->listening) {
        uv_close((uv_handle_t *)&u->listener, own_handle_closed);
        u->listening = 0;
    }
    uv_close((uv_handle_t *)&u->timer, own_handle_closed);
    uv_close((uv_handle_t *)&u->idle, own_handle_closed);
    u->timer_armed = 0;
    u->idle_active = 0;
}

void uvrt_destroy(struct uvrt *u)
{
    if (u == NULL)
        return;
    /* The loop must have run after uvrt_shutdown until every handle closed. */
    MC_ASSERT(u->shut_down);
    MC_ASSERT(u->stats.handles_open == 0);
    MC_ASSERT(mc_list_empty(&u->conns));
    MC_ASSERT(mc_list_empty(&u->calls));
    while (!mc_list_empty(&u->store))
        store_entry_free(u, MC_CONTAINER_OF(u->store.next, struct uvrt_store_entry, link));
    /* Timers still in the heap belong to a core that was not destroyed: forget them. */
    mc_heap_deinit(&u->timers);
    mc_free(u->alloc, u->req_index);
    mc_free(u->alloc, u);
}

void uvrt_stats_get(const struct uvrt *u, struct uvrt_stats *out)
{
    MC_ASSERT(u != NULL && out != NULL);
    *out = u->stats;
}
