/*
 * proxy.c: the fault proxy's connections, queues and faults (proxy.h).
 *
 * Theory of operation. A pair joins one client connection to its own
 * upstream connection. It has two directions, each with a queue of pieces
 * waiting to be written and a timer for delayed pieces:
 *
 *   client --read--> http1_server --complete request--> queue[UP] --> upstream
 *   client <-- queue[DOWN] <--head/body/end-- http1_client <--read-- upstream
 *
 * A request is forwarded once it has been read whole (its bytes exactly as
 * they came), so that the proxy can decide whether to forward it, answer
 * it itself (the answer fault, the control channel) or count it. A
 * response is forwarded as it arrives; its raw bytes go out unchanged
 * unless a body fault (split, merge, drop heartbeats) was on when its
 * chunked head arrived: then its body is rebuilt from the de-chunked bytes
 * (proxy_body.c). A direction that stops parsing as HTTP becomes opaque and
 * forwards its bytes unchanged from there on, so nothing is ever lost.
 *
 * Every piece put in a queue passes through queue_put, where partition
 * drops it (and marks the pair as having lost data) and delay sets its due
 * time; queue_flush writes pieces in order while the proxy is not held or
 * partitioned and the piece is due and not stalled. Pieces the proxy
 * answers itself bypass hold and partition: the control channel must work
 * during both.
 */
#include <inttypes.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "mc_assert.h"
#include "mc_limits.h"
#include "proxy_internal.h"

/* ---- helpers ------------------------------------------------------------- */

/* Splits "host:port" at its last colon (brackets around IPv6 allowed) and resolves it. */
int proxy__address_resolve(const char *address, int passive, struct sockaddr_storage *out,
                           struct mc_diag *diag)
{
    char host[MC_PROXY_ADDRESS_BYTES_MAX];
    const char *colon = address != NULL ? strrchr(address, ':') : NULL;
    if (colon == NULL || colon == address || colon[1] == '\0' ||
        strlen(address) >= sizeof(host)) {
        mc_diag_set(diag, "'%s' is not host:port", address != NULL ? address : "(null)");
        return MC_EINVAL;
    }
    size_t host_bytes = (size_t)(colon - address);
    if (address[0] == '[' && host_bytes >= 2 && address[host_bytes - 1] == ']') {
        memcpy(host, address + 1, host_bytes - 2);
        host[host_bytes - 2] = '\0';
    } else {
        memcpy(host, address, host_bytes);
        host[host_bytes] = '\0';
    }
    char *end = NULL;
    unsigned long port = strtoul(colon + 1, &end, 10);
    if (*end != '\0' || port > 65535u || colon[1] < '0' || colon[1] > '9') {
        mc_diag_set(diag, "'%s': bad port", address);
        return MC_EINVAL;
    }
    struct addrinfo hints;
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV | (passive ? AI_PASSIVE : 0);
    struct addrinfo *res = NULL;
    int rc = getaddrinfo(host, colon + 1, &hints, &res);
    if (rc != 0 || res == NULL) {
        mc_diag_set(diag, "'%s': cannot resolve '%s': %s", address, host, gai_strerror(rc));
        return MC_EINVAL;
    }
    MC_ASSERT(res->ai_addrlen <= sizeof(*out));
    memset(out, 0, sizeof(*out));
    memcpy(out, res->ai_addr, res->ai_addrlen);
    freeaddrinfo(res);
    return 0;
}

/* ---- the queues ------------------------------------------------------------ */

static void pair_close(struct proxy_pair *pair, int rst);

static void item_free(struct proxy_pair *pair, struct proxy_item *item)
{
    MC_ASSERT(pair->buffered_bytes >= item->len);
    pair->buffered_bytes -= item->len;
    mc_free(pair->p->alloc, item);
}

static void queue_write_done(uv_write_t *req, int status)
{
    struct proxy_item *item = MC_CONTAINER_OF(req, struct proxy_item, req);
    struct proxy_dir *dir = item->dir;
    struct proxy_pair *pair = dir->pair;
    MC_ASSERT(dir->in_flight > 0);
    dir->in_flight--;
    item_free(pair, item);
    if (status < 0) {
        if (status != UV_ECANCELED && !pair->closing) {
            pair->p->stats.conns_failed++;
            pair_close(pair, 1);
        }
        proxy__pair_free_maybe(pair);
        return;
    }
    proxy__dir_read_resume_maybe(proxy__dir_other(dir));
    proxy__queue_flush(dir);
}

static void queue_timer_fire(uv_timer_t *timer)
{
    struct proxy_dir *dir = timer->data;
    proxy__queue_flush(dir);
}

/* 1 when the head piece may not be written yet for a reason other than time. */
static int queue_blocked(const struct proxy_dir *dir, const struct proxy_item *item)
{
    const struct proxy *p = dir->pair->p;
    if (item->bypass)
        return 0;
    if (p->partitioned || p->holding)
        return 1;
    return item->stall && p->stall;
}

static void queue_shutdown_done(uv_shutdown_t *req, int status)
{
    struct proxy_dir *dir = req->data;
    struct proxy_pair *pair = dir->pair;
    (void)status; /* a FIN that failed changes nothing: the pair ends either way */
    dir->shutdown_done = 1;
    if (pair->dir[0].shutdown_done && pair->dir[1].shutdown_done && !pair->closing)
        pair_close(pair, 0);
}

/*
 * Writes the due pieces of dir in order. Once its source has ended and the
 * queue is empty, sends a FIN to its destination (after the writes).
 */
void proxy__queue_flush(struct proxy_dir *dir)
{
    struct proxy_pair *pair = dir->pair;
    if (pair->closing || !pair->connected)
        return;
    uint64_t now_ms = uv_now(pair->p->loop);
    while (!mc_list_empty(&dir->items)) {
        struct proxy_item *item = MC_CONTAINER_OF(dir->items.next, struct proxy_item, link);
        if (queue_blocked(dir, item))
            return;
        if (item->due_ms > now_ms) {
            uv_timer_start(&dir->timer, queue_timer_fire, item->due_ms - now_ms, 0);
            return;
        }
        mc_list_remove(&item->link);
        uv_buf_t buf = uv_buf_init((char *)item->data, (unsigned)item->len);
        int err = uv_write(&item->req, (uv_stream_t *)dir->dst, &buf, 1, queue_write_done);
        if (err != 0) {
            item_free(pair, item);
            pair->p->stats.conns_failed++;
            pair_close(pair, 1);
            return;
        }
        dir->in_flight++;
    }
    if (dir->src_ended && !dir->shutdown_sent) {
        dir->shutdown_sent = 1;
        dir->shutdown_req.data = dir;
        if (uv_shutdown(&dir->shutdown_req, (uv_stream_t *)dir->dst, queue_shutdown_done) != 0)
            pair_close(pair, 0);
    }
}

/*
 * Queues len bytes for dir's destination. stall marks a response body's
 * piece (held while the stall fault is on); bypass marks the proxy's own
 * answers. A partition drops the bytes; past the pair's buffered-bytes
 * limit the pair is closed. Returns 0, or MC_ECLOSED when the pair closed.
 */
int proxy__queue_put(struct proxy_dir *dir, const uint8_t *data, size_t len, int stall,
                     int bypass)
{
    struct proxy_pair *pair = dir->pair;
    struct proxy *p = pair->p;
    if (pair->closing)
        return MC_ECLOSED;
    if (len == 0)
        return 0;
    if (p->partitioned && !bypass) {
        p->stats.bytes_dropped += len;
        pair->lost = 1;
        return 0;
    }
    if (pair->buffered_bytes + len > p->conn_buffered_bytes_max) {
        p->stats.conns_limit_closed++;
        pair_close(pair, 1);
        return MC_ECLOSED;
    }
    struct proxy_item *item = mc_malloc(p->alloc, sizeof(*item) + len);
    if (item == NULL) {
        p->stats.conns_failed++;
        pair_close(pair, 1);
        return MC_ECLOSED;
    }
    memset(item, 0, sizeof(*item));
    item->dir = dir;
    item->len = len;
    item->stall = stall;
    item->bypass = bypass;
    item->due_ms = uv_now(p->loop) + (bypass ? 0 : (p->delay_ns + 999999u) / 1000000u);
    memcpy(item->data, data, len);
    pair->buffered_bytes += len;
    mc_list_push_back(&dir->items, &item->link);
    proxy__queue_flush(dir);
    /* The destination reads slower than the source writes: let TCP push back. */
    if (uv_stream_get_write_queue_size((uv_stream_t *)dir->dst) > MC_PROXY_WRITE_QUEUE_BYTES_MARK)
        proxy__dir_read_stop(dir);
    return pair->closing ? MC_ECLOSED : 0;
}

/* ---- reading ----------------------------------------------------------------- */

struct proxy_dir *proxy__dir_other(struct proxy_dir *dir)
{
    return dir == &dir->pair->dir[0] ? &dir->pair->dir[1] : &dir->pair->dir[0];
}

static void dir_alloc(uv_handle_t *handle, size_t suggested, uv_buf_t *buf)
{
    struct proxy_dir *dir = MC_CONTAINER_OF(handle->data, struct proxy_dir, src_ref);
    (void)suggested;
    *buf = uv_buf_init((char *)dir->read_buf, sizeof(dir->read_buf));
}

static void dir_read(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf);

void proxy__dir_read_stop(struct proxy_dir *dir)
{
    if (dir->reading)
        uv_read_stop((uv_stream_t *)dir->src);
    dir->reading = 0;
}

/* Reads again once the destination's queue has drained below the mark. */
void proxy__dir_read_resume_maybe(struct proxy_dir *dir)
{
    struct proxy_pair *pair = dir->pair;
    if (dir->reading || dir->src_ended || pair->closing || !pair->connected)
        return;
    if (uv_stream_get_write_queue_size((uv_stream_t *)dir->dst) > MC_PROXY_WRITE_QUEUE_BYTES_MARK)
        return;
    dir->src->data = &dir->src_ref;
    if (uv_read_start((uv_stream_t *)dir->src, dir_alloc, dir_read) == 0)
        dir->reading = 1;
}

static void dir_read(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf)
{
    struct proxy_dir *dir = MC_CONTAINER_OF(stream->data, struct proxy_dir, src_ref);
    struct proxy_pair *pair = dir->pair;
    if (nread == 0 || pair->closing)
        return;
    if (nread == UV_EOF) {
        proxy__dir_read_stop(dir);
        dir->src_ended = 1;
        if (dir == &pair->dir[1])
            proxy__down_eof(pair);
        else
            proxy__up_eof(pair);
        if (!pair->closing)
            proxy__queue_flush(dir);
        return;
    }
    if (nread < 0) {
        /* A reset or an error on one side is passed on as a reset to the other. */
        pair->p->stats.conns_failed++;
        pair_close(pair, 1);
        return;
    }
    const uint8_t *data = (const uint8_t *)buf->base;
    if (dir == &pair->dir[0])
        proxy__up_feed(pair, data, (size_t)nread);
    else
        proxy__down_feed(pair, data, (size_t)nread);
}

/* ---- pairs ----------------------------------------------------------------------- */

void proxy__pair_free_maybe(struct proxy_pair *pair)
{
    if (pair->handles_open != 0 || pair->dir[0].in_flight != 0 || pair->dir[1].in_flight != 0)
        return;
    struct proxy *p = pair->p;
    for (int i = 0; i < 2 && !pair->half_built; i++) {
        while (!mc_list_empty(&pair->dir[i].items)) {
            struct proxy_item *item =
                MC_CONTAINER_OF(pair->dir[i].items.next, struct proxy_item, link);
            mc_list_remove(&item->link);
            item_free(pair, item);
        }
    }
    MC_ASSERT(pair->buffered_bytes == 0);
    if (!pair->half_built)
        proxy__pair_parsers_deinit(pair);
    mc_list_remove(&pair->link);
    mc_free(p->alloc, pair);
    proxy__free_maybe(p);
}

static void pair_handle_closed(uv_handle_t *handle)
{
    struct proxy_pair *pair = MC_CONTAINER_OF(handle->data, struct proxy_pair, handle_ref);
    MC_ASSERT(pair->handles_open > 0);
    pair->handles_open--;
    proxy__pair_free_maybe(pair);
}

static void pair_handle_close(struct proxy_pair *pair, uv_handle_t *handle, int rst)
{
    handle->data = &pair->handle_ref;
    if (uv_is_closing(handle))
        return;
    if (rst && handle->type == UV_TCP &&
        uv_tcp_close_reset((uv_tcp_t *)handle, pair_handle_closed) == 0)
        return;
    uv_close(handle, pair_handle_closed);
}

/* Closes both connections (with an RST when rst) and the timers; frees later. */
static void pair_close(struct proxy_pair *pair, int rst)
{
    if (pair->closing)
        return;
    pair->closing = 1;
    struct proxy *p = pair->p;
    MC_ASSERT(p->stats.conns_open > 0);
    p->stats.conns_open--;
    pair_handle_close(pair, (uv_handle_t *)&pair->client, rst);
    pair_handle_close(pair, (uv_handle_t *)&pair->upstream, rst && pair->connected);
    pair_handle_close(pair, (uv_handle_t *)&pair->dir[0].timer, 0);
    pair_handle_close(pair, (uv_handle_t *)&pair->dir[1].timer, 0);
}

void proxy__pair_close(struct proxy_pair *pair, int rst)
{
    pair_close(pair, rst);
}

static void pair_connected(uv_connect_t *req, int status)
{
    struct proxy_pair *pair = req->data;
    pair->handles_open--; /* the connect request held the pair like a handle */
    if (pair->closing) {
        proxy__pair_free_maybe(pair);
        return;
    }
    if (status < 0) {
        pair->p->stats.conns_failed++;
        pair_close(pair, 0);
        return;
    }
    pair->connected = 1;
    proxy__dir_read_resume_maybe(&pair->dir[1]);
    proxy__queue_flush(&pair->dir[0]);
    proxy__queue_flush(&pair->dir[1]);
}

static void dir_init(struct proxy_pair *pair, struct proxy_dir *dir, uv_tcp_t *src, uv_tcp_t *dst)
{
    dir->pair = pair;
    dir->src = src;
    dir->dst = dst;
    mc_list_init(&dir->items);
    uv_timer_init(pair->p->loop, &dir->timer);
    dir->timer.data = dir;
    pair->handles_open++;
}

/* Starts a pair for a client the listener has accepted into pair->client. */
static void pair_start(struct proxy_pair *pair)
{
    struct proxy *p = pair->p;
    uv_tcp_init(p->loop, &pair->upstream);
    pair->handles_open++;
    dir_init(pair, &pair->dir[0], &pair->client, &pair->upstream);
    dir_init(pair, &pair->dir[1], &pair->upstream, &pair->client);
    proxy__pair_parsers_init(pair);
    uv_tcp_nodelay(&pair->client, 1);
    pair->connect_req.data = pair;
    pair->handles_open++;
    int err = uv_tcp_connect(&pair->connect_req, &pair->upstream,
                             (const struct sockaddr *)&p->upstream_addr, pair_connected);
    if (err != 0) {
        pair->handles_open--;
        p->stats.conns_failed++;
        pair_close(pair, 0);
        return;
    }
    uv_tcp_nodelay(&pair->upstream, 1);
    /* The client is read at once; its bytes wait in the queue until the connect ends. */
    pair->dir[0].src->data = &pair->dir[0].src_ref;
    if (uv_read_start((uv_stream_t *)&pair->client, dir_alloc, dir_read) == 0)
        pair->dir[0].reading = 1;
}

static void refused_closed(uv_handle_t *handle)
{
    struct proxy_refused *r = handle->data;
    struct proxy *p = r->p;
    mc_free(p->alloc, r);
    MC_ASSERT(p->refused_open > 0);
    p->refused_open--;
    proxy__free_maybe(p);
}

/* Past the connection limit a client is accepted and closed at once. */
static void listener_refuse(struct proxy *p, uv_stream_t *server)
{
    struct proxy_refused *r = mc_calloc(p->alloc, 1, sizeof(*r));
    if (r == NULL)
        return;
    r->p = p;
    uv_tcp_init(p->loop, &r->tcp);
    r->tcp.data = r;
    p->refused_open++;
    if (uv_accept(server, (uv_stream_t *)&r->tcp) == 0)
        p->stats.conns_refused++;
    uv_close((uv_handle_t *)&r->tcp, refused_closed);
}

static void listener_connection(uv_stream_t *server, int status)
{
    struct proxy *p = server->data;
    if (status < 0 || p->destroyed)
        return;
    if (p->stats.conns_open >= p->conns_max) {
        listener_refuse(p, server);
        return;
    }
    struct proxy_pair *pair = mc_calloc(p->alloc, 1, sizeof(*pair));
    if (pair == NULL) {
        listener_refuse(p, server);
        return;
    }
    pair->p = p;
    uv_tcp_init(p->loop, &pair->client);
    pair->client.data = &pair->handle_ref;
    pair->handles_open = 1;
    mc_list_push_back(&p->pairs, &pair->link);
    p->stats.conns_open++;
    if (uv_accept(server, (uv_stream_t *)&pair->client) != 0) {
        /* Nothing to proxy: only the client handle exists, close it alone. */
        pair->closing = 1;
        p->stats.conns_open--;
        pair->half_built = 1;
        uv_close((uv_handle_t *)&pair->client, pair_handle_closed);
        return;
    }
    p->stats.conns_accepted++;
    pair_start(pair);
}

/* ---- the proxy ------------------------------------------------------------------------- */

void proxy__free_maybe(struct proxy *p)
{
    if (!p->destroyed || !p->listener_closed || !mc_list_empty(&p->pairs) || p->refused_open != 0)
        return;
    mc_free(p->alloc, p);
}

static void listener_closed(uv_handle_t *handle)
{
    struct proxy *p = handle->data;
    p->listener_closed = 1;
    proxy__free_maybe(p);
}

static int proxy_listen(struct proxy *p, const char *address, struct mc_diag *diag)
{
    struct sockaddr_storage addr;
    int err = proxy__address_resolve(address, 1, &addr, diag);
    if (err != 0)
        return err;
    uv_tcp_init(p->loop, &p->listener);
    p->listener.data = p;
    int uerr = uv_tcp_bind(&p->listener, (const struct sockaddr *)&addr, 0);
    if (uerr == 0)
        uerr = uv_listen((uv_stream_t *)&p->listener, MC_UV_LISTEN_BACKLOG, listener_connection);
    struct sockaddr_storage bound;
    int bound_bytes = (int)sizeof(bound);
    if (uerr == 0)
        uerr = uv_tcp_getsockname(&p->listener, (struct sockaddr *)&bound, &bound_bytes);
    if (uerr != 0) {
        mc_diag_set(diag, "cannot listen on %s: %s", address, uv_strerror(uerr));
        return MC_EIO;
    }
    char host[64] = "";
    if (bound.ss_family == AF_INET6) {
        const struct sockaddr_in6 *a6 = (const struct sockaddr_in6 *)&bound;
        uv_ip6_name(a6, host, sizeof(host));
        p->port = ntohs(a6->sin6_port);
        snprintf(p->address, sizeof(p->address), "[%s]:%u", host, (unsigned)p->port);
    } else {
        const struct sockaddr_in *a4 = (const struct sockaddr_in *)&bound;
        uv_ip4_name(a4, host, sizeof(host));
        p->port = ntohs(a4->sin_port);
        snprintf(p->address, sizeof(p->address), "%s:%u", host, (unsigned)p->port);
    }
    return 0;
}

int proxy_create(uv_loop_t *loop, const struct proxy_options *o, struct proxy **out,
                 struct mc_diag *diag)
{
    MC_ASSERT(loop != NULL && o != NULL && out != NULL);
    *out = NULL;
    if (o->listen_address == NULL || o->upstream_address == NULL) {
        mc_diag_set(diag, "both a listen and an upstream address are needed");
        return MC_EINVAL;
    }
    struct proxy *p = mc_calloc(o->alloc, 1, sizeof(*p));
    if (p == NULL) {
        mc_diag_set(diag, "out of memory");
        return MC_ENOMEM;
    }
    p->loop = loop;
    p->alloc = o->alloc;
    p->conns_max = o->conns_max != 0 ? o->conns_max : MC_PROXY_CONNS_MAX;
    p->conn_buffered_bytes_max =
        o->conn_buffered_bytes_max != 0 ? o->conn_buffered_bytes_max : MC_PROXY_CONN_BUFFERED_BYTES_MAX;
    mc_rng_init(&p->rng, o->seed);
    mc_list_init(&p->pairs);
    snprintf(p->upstream, sizeof(p->upstream), "%s", o->upstream_address);
    int err = proxy__address_resolve(o->upstream_address, 0, &p->upstream_addr, diag);
    if (err != 0) {
        mc_diag_prefix(diag, "upstream");
        mc_free(p->alloc, p);
        return err;
    }
    err = proxy_listen(p, o->listen_address, diag);
    if (err != 0) {
        if (err == MC_EIO) {
            /* The listener handle exists: it is freed by its close callback. */
            p->destroyed = 1;
            uv_close((uv_handle_t *)&p->listener, listener_closed);
        } else {
            mc_free(p->alloc, p);
        }
        return err;
    }
    *out = p;
    return 0;
}

void proxy_destroy(struct proxy *p)
{
    MC_ASSERT(p != NULL);
    MC_ASSERT(!p->destroyed);
    p->destroyed = 1;
    struct mc_list_node *it;
    struct mc_list_node *tmp;
    MC_LIST_FOR_EACH_SAFE(it, tmp, &p->pairs)
    {
        pair_close(MC_CONTAINER_OF(it, struct proxy_pair, link), 0);
    }
    uv_close((uv_handle_t *)&p->listener, listener_closed);
}

uint16_t proxy_port(const struct proxy *p)
{
    return p->port;
}

const char *proxy_address(const struct proxy *p)
{
    return p->address;
}

const struct proxy_stats *proxy_stats_get(const struct proxy *p)
{
    return &p->stats;
}

/* ---- faults ------------------------------------------------------------------------------ */

/* Runs every queue again: a fault that held pieces back was cleared. */
static void proxy_flush_all(struct proxy *p)
{
    struct mc_list_node *it;
    struct mc_list_node *tmp;
    MC_LIST_FOR_EACH_SAFE(it, tmp, &p->pairs)
    {
        struct proxy_pair *pair = MC_CONTAINER_OF(it, struct proxy_pair, link);
        proxy__queue_flush(&pair->dir[0]);
        if (!pair->closing)
            proxy__queue_flush(&pair->dir[1]);
    }
}

void proxy_partition(struct proxy *p)
{
    p->partitioned = 1;
}

void proxy_heal(struct proxy *p)
{
    p->partitioned = 0;
    struct mc_list_node *it;
    struct mc_list_node *tmp;
    MC_LIST_FOR_EACH_SAFE(it, tmp, &p->pairs)
    {
        struct proxy_pair *pair = MC_CONTAINER_OF(it, struct proxy_pair, link);
        if (pair->lost && !pair->closing) {
            /* Bytes were lost in the middle of its stream: it cannot go on. */
            p->stats.conns_reset++;
            pair_close(pair, 1);
        }
    }
    proxy_flush_all(p);
}

void proxy_hold(struct proxy *p)
{
    p->holding = 1;
}

void proxy_release(struct proxy *p)
{
    p->holding = 0;
    proxy_flush_all(p);
}

void proxy_reset(struct proxy *p)
{
    struct mc_list_node *it;
    struct mc_list_node *tmp;
    MC_LIST_FOR_EACH_SAFE(it, tmp, &p->pairs)
    {
        struct proxy_pair *pair = MC_CONTAINER_OF(it, struct proxy_pair, link);
        if (!pair->closing) {
            p->stats.conns_reset++;
            pair_close(pair, 1);
        }
    }
}

int proxy_delay_set(struct proxy *p, uint64_t delay_ns)
{
    if (delay_ns > MC_PROXY_DELAY_NS_MAX)
        return MC_EINVAL;
    p->delay_ns = delay_ns;
    return 0;
}

void proxy_split_set(struct proxy *p, uint32_t piece_bytes)
{
    p->split_bytes = piece_bytes;
}

int proxy_merge_set(struct proxy *p, uint32_t records)
{
    if (records > MC_PROXY_MERGE_RECORDS_MAX)
        return MC_EINVAL;
    p->merge_records = records < 2 ? 0 : records;
    return 0;
}

void proxy_drop_heartbeats_set(struct proxy *p, int on)
{
    p->drop_heartbeats = on != 0;
}

void proxy_streams_rebuild_set(struct proxy *p, int on)
{
    p->rebuild_streams = on != 0;
}

void proxy_stall_set(struct proxy *p, int on)
{
    p->stall = on != 0;
    if (!p->stall)
        proxy_flush_all(p);
}

int proxy_answer_set(struct proxy *p, int status, const char *leader)
{
    if (status == 0) {
        p->answer_status = 0;
        p->leader[0] = '\0';
        return 0;
    }
    if (status == 503) {
        p->answer_status = 503;
        return 0;
    }
    if (status != 307 || leader == NULL || leader[0] == '\0' ||
        strlen(leader) >= sizeof(p->leader) || strpbrk(leader, "/ \t\r\n") != NULL)
        return MC_EINVAL;
    p->answer_status = 307;
    snprintf(p->leader, sizeof(p->leader), "%s", leader);
    return 0;
}

void proxy_faults_clear(struct proxy *p)
{
    p->delay_ns = 0;
    p->split_bytes = 0;
    p->merge_records = 0;
    p->drop_heartbeats = 0;
    p->answer_status = 0;
    p->leader[0] = '\0';
    p->holding = 0;
    p->stall = 0;
    proxy_heal(p);
}
