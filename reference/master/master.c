/*
 * master.c: the master's frame: creation, request routing, ids, MasterInfo
 * and the sending of events. The protocol itself lives in scheduler_api.c
 * (the HTTP checks), framework.c (the framework state machine), agents.c
 * (the agents and the registry), offers.c (the allocator and the offers)
 * and tasks.c (tasks, status updates, reconciliation).
 */
#include "master_internal.h"

#include <stdio.h>
#include <string.h>

#include "http_msg.h"
#include "mc_assert.h"
#include "mc_buf.h"
#include "mc_limits.h"
#include "pbjson.h"
#include "recordio.h"

/* The master's capabilities as Mesos 1.12 lists them (recorded: s.subscribe-null-fields). */
static const Mesos__V1__MasterInfo__Capability__Type master_capabilities[] = {
    MESOS__V1__MASTER_INFO__CAPABILITY__TYPE__AGENT_UPDATE,
    MESOS__V1__MASTER_INFO__CAPABILITY__TYPE__AGENT_DRAINING,
    MESOS__V1__MASTER_INFO__CAPABILITY__TYPE__QUOTA_V2,
};
#define MASTER_CAPABILITIES_COUNT \
    (sizeof(master_capabilities) / sizeof(master_capabilities[0]))

void master_config_init(struct master_config *c)
{
    memset(c, 0, sizeof(*c));
    c->heartbeat_interval_ns = MASTER_HEARTBEAT_INTERVAL_NS_DEFAULT;
    c->agent_ping_timeout_ns = MASTER_AGENT_PING_TIMEOUT_NS_DEFAULT;
    c->max_agent_ping_timeouts = MASTER_MAX_AGENT_PING_TIMEOUTS_DEFAULT;
    c->allocation_interval_ns = MASTER_ALLOCATION_INTERVAL_NS_DEFAULT;
    c->agent_reregister_timeout_ns = MASTER_AGENT_REREGISTER_TIMEOUT_NS_DEFAULT;
    c->max_completed_frameworks = MASTER_MAX_COMPLETED_FRAMEWORKS_DEFAULT;
    c->recovery_ns = 0;
    c->hostname = "localhost";
    c->ip = "127.0.0.1";
    c->port = 5050;
    c->frameworks_max = MC_MASTER_FRAMEWORKS_MAX;
}

static void recovery_done(struct rt_timer *timer)
{
    struct master *m = MC_CONTAINER_OF(timer, struct master, recovery_timer);
    MC_ASSERT(!m->recovered);
    m->recovered = 1;
}

static int config_copy(struct master *m, const struct master_config *cfg)
{
    if (cfg->heartbeat_interval_ns == 0 || cfg->frameworks_max == 0 ||
        cfg->hostname == NULL || cfg->ip == NULL)
        return MC_EINVAL;
    if (strlen(cfg->hostname) >= MASTER_CLIENT_ID_BYTES_MAX ||
        strlen(cfg->ip) >= MASTER_CLIENT_ID_BYTES_MAX)
        return MC_EINVAL;
    m->config = *cfg;
    m->config.hostname = mc_strdup(m->rt.alloc, cfg->hostname);
    m->config.ip = mc_strdup(m->rt.alloc, cfg->ip);
    if (m->config.hostname == NULL || m->config.ip == NULL)
        return MC_ENOMEM;
    return 0;
}

int master_create(const struct rt *rt, const struct master_config *cfg, struct master **out)
{
    MC_ASSERT(rt != NULL && rt->ops != NULL);
    *out = NULL;
    struct master *m = mc_calloc(rt->alloc, 1, sizeof(*m));
    if (m == NULL)
        return MC_ENOMEM;
    m->rt = *rt;
    int err = config_copy(m, cfg);
    if (err != 0) {
        master_destroy(m);
        return err;
    }
    pbjson_allocator_init(&m->pb_alloc, m->rt.alloc);
    mc_list_init(&m->frameworks);
    mc_strmap_init(&m->frameworks_by_id, MC_MASTER_FRAMEWORKS_MAX, m->rt.alloc);
    mc_list_init(&m->completed);
    mc_list_init(&m->executors);
    err = master__invariants_create(m);
    if (err == 0)
        err = master__agents_create(m);
    if (err == 0) {
        master__uuid_make(m, m->id); /* offer ids begin with it */
        err = master__offers_create(m);
    }
    if (err == 0)
        err = master__agents_recover(m); /* the registry a previous master left (M1) */
    if (err != 0) {
        master_destroy(m);
        return err;
    }
    snprintf(m->pid, sizeof(m->pid), "master@%s:%u", m->config.ip, (unsigned)m->config.port);
    m->leadership = MASTER_LEADING;
    if (cfg->recovery_ns == 0)
        m->recovered = 1;
    else
        rt_timer_start(&m->rt, &m->recovery_timer, cfg->recovery_ns, recovery_done);
    *out = m;
    return 0;
}

void master_destroy(struct master *m)
{
    if (m == NULL)
        return;
    if (m->recovery_timer.active)
        rt_timer_cancel(&m->rt, &m->recovery_timer);
    master__invariants_free(m);
    master__offers_destroy(m); /* first: it refers to agents and frameworks by id only */
    if (m->frameworks.next != NULL)
        master__frameworks_free(m);
    master__tasks_executors_free(m); /* what no framework took with it */
    if (m->agents != NULL)
        master__agents_destroy(m);
    mc_free(m->rt.alloc, (void *)m->config.hostname);
    mc_free(m->rt.alloc, (void *)m->config.ip);
    mc_free(m->rt.alloc, m);
}

int master_leadership_set(struct master *m, enum master_leadership leadership, const char *leader)
{
    if (leadership == MASTER_FOLLOWING) {
        if (leader == NULL || strlen(leader) >= sizeof(m->leader))
            return MC_EINVAL;
        strcpy(m->leader, leader);
    } else {
        m->leader[0] = '\0';
    }
    m->leadership = leadership;
    return 0;
}

const char *master_id(const struct master *m)
{
    return m->id;
}

void master_stats_get(const struct master *m, struct master_stats *out)
{
    memset(out, 0, sizeof(*out));
    struct mc_list_node *it;
    MC_LIST_FOR_EACH(it, &m->frameworks) {
        const struct framework *fw = MC_CONTAINER_OF(it, struct framework, link);
        if (fw->state == FW_STATE_CONNECTED)
            out->frameworks_connected++;
        else if (fw->state == FW_STATE_RECOVERED)
            out->frameworks_recovered++;
        else
            out->frameworks_disconnected++;
    }
    out->frameworks_completed = m->completed_count;
    out->events_sent = m->events_sent;
}

void master__uuid_make(struct master *m, char out[MASTER_UUID_TEXT_BYTES])
{
    uint8_t b[16];
    uint64_t hi = rt_rng_u64(&m->rt), lo = rt_rng_u64(&m->rt);
    for (int i = 0; i < 8; i++) {
        b[i] = (uint8_t)(hi >> (56 - 8 * i));
        b[8 + i] = (uint8_t)(lo >> (56 - 8 * i));
    }
    b[6] = (uint8_t)((b[6] & 0x0f) | 0x40); /* version 4: random */
    b[8] = (uint8_t)((b[8] & 0x3f) | 0x80); /* the RFC 4122 variant */
    static const char hex[] = "0123456789abcdef";
    size_t o = 0;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            out[o++] = '-';
        out[o++] = hex[b[i] >> 4];
        out[o++] = hex[b[i] & 15];
    }
    out[o] = '\0';
    MC_ASSERT(o == MASTER_UUID_TEXT_BYTES - 1);
}

static void respond(struct master *m, uint64_t req, struct http_response *r, int err)
{
    /* Building a small answer fails only when memory runs out; say so plainly. */
    if (err != 0) {
        http_response_deinit(r);
        http_response_init(r, 503, m->rt.alloc);
    }
    m->rt.ops->respond(m->rt.ctx, req, r);
    http_response_deinit(r);
}

void master__respond_text(struct master *m, uint64_t req, int status, const char *text)
{
    struct http_response r;
    int err = http_response_text_init(&r, status, text, m->rt.alloc);
    respond(m, req, &r, err);
}

void master__respond_empty(struct master *m, uint64_t req, int status)
{
    struct http_response r;
    int err = http_response_empty_init(&r, status, m->rt.alloc);
    respond(m, req, &r, err);
}

/* An IPv4 text as the uint32 Mesos puts in MasterInfo.ip (network order read as host). */
static uint32_t ip_number(const char *ip)
{
    unsigned a, b, c, d;
    if (sscanf(ip, "%u.%u.%u.%u", &a, &b, &c, &d) != 4 || a > 255 || b > 255 || c > 255 ||
        d > 255)
        return 0;
    return (uint32_t)a | (uint32_t)b << 8 | (uint32_t)c << 16 | (uint32_t)d << 24;
}

void master__info_fill(struct master *m, Mesos__V1__MasterInfo *info, Mesos__V1__Address *address,
                       Mesos__V1__MasterInfo__Capability **caps, size_t caps_count)
{
    MC_ASSERT(caps_count == MASTER_CAPABILITIES_COUNT);
    mesos__v1__master_info__init(info);
    mesos__v1__address__init(address);
    info->id = m->id;
    info->ip = ip_number(m->config.ip);
    info->port = m->config.port;
    info->hostname = (char *)m->config.hostname;
    info->version = (char *)MASTER_VERSION;
    info->pid = m->pid;
    address->hostname = (char *)m->config.hostname;
    address->ip = (char *)m->config.ip;
    address->port = m->config.port;
    info->address = address;
    for (size_t i = 0; i < caps_count; i++) {
        caps[i]->has_type = 1;
        caps[i]->type = master_capabilities[i];
    }
    info->n_capabilities = caps_count;
    info->capabilities = caps;
}

void master__framework_send(struct master *m, struct framework *fw,
                            const Mesos__V1__Scheduler__Event *ev)
{
    if (fw->stream_req == 0)
        return;
    struct mc_buf payload, framed;
    mc_buf_init(&payload, MC_RECORD_BYTES_MAX, m->rt.alloc);
    mc_buf_init(&framed, MC_RECORD_BYTES_MAX + MC_RECORD_LENGTH_DIGITS_MAX + 1, m->rt.alloc);
    int err = fw->codec == MEDIA_CODEC_PROTOBUF
                  ? pbjson_pack(&ev->base, &payload)
                  : pbjson_encode(&ev->base, &payload);
    if (err == 0)
        err = rio_encode(&framed, payload.data, payload.len);
    if (err == 0) {
        m->events_sent++;
        (void)m->rt.ops->stream_write(m->rt.ctx, fw->stream_req, framed.data, framed.len);
    } else {
        char text[MASTER_CLIENT_ID_BYTES_MAX + 128];
        snprintf(text, sizeof(text), "event for framework %s not sent: %s", fw->id,
                 mc_strerror(err));
        m->rt.ops->log(m->rt.ctx, RT_LOG_ERROR, text);
    }
    mc_buf_deinit(&payload);
    mc_buf_deinit(&framed);
}

static int path_is(const char *path, const char *want)
{
    /* libprocess routes both "/api/v1/x" and "/master/api/v1/x" to the master. */
    if (strcmp(path, want) == 0)
        return 1;
    return strncmp(path, "/master", 7) == 0 && strcmp(path + 7, want) == 0;
}

static void node_request(void *node, uint64_t req, const struct http_request *request)
{
    struct master *m = node;
    if (path_is(request->path, "/api/v1/scheduler"))
        master__scheduler_request(m, req, request);
    else if (path_is(request->path, "/api/v1/internal"))
        master__agents_request(m, req, request);
    else
        master__respond_empty(m, req, 404);
}

static void node_stream_closed(void *node, uint64_t req)
{
    struct master *m = node;
    if (master__framework_stream_owned(m, req))
        master__framework_stream_closed(m, req);
    else
        (void)master__agents_stream_closed(m, req);
}

static void node_call_response(void *node, uint64_t call, const struct http_response *response)
{
    (void)node, (void)call, (void)response; /* the master makes no calls yet */
}

static void node_call_data(void *node, uint64_t call, const uint8_t *bytes, size_t len)
{
    (void)node, (void)call, (void)bytes, (void)len;
}

static void node_call_end(void *node, uint64_t call, int err)
{
    (void)node, (void)call, (void)err;
}

const struct rt_node_ops master_node_ops = {
    node_request, node_stream_closed, node_call_response, node_call_data, node_call_end,
};
