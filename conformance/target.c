/*
 * target.c: the part of a target that does not depend on its kind: the
 * actors, created on first use, in order (so traces do not depend on
 * names), the cutting of their stream bytes (split), what the faults ask
 * of the kinds, and the hooks' syntax.
 */
#include "target_internal.h"

#include <stdio.h>
#include <string.h>

#include "mc_assert.h"
#include "mesos/v1/scheduler/scheduler.pb-c.h"
#include "msgstream.h"

/* ---- actors ---------------------------------------------------------------- */

static void actor_request(void *node, uint64_t req, const struct http_request *request)
{
    struct target_actor *a = node;
    client_node_ops.request(&a->client, req, request);
}

static void actor_stream_closed(void *node, uint64_t req)
{
    struct target_actor *a = node;
    client_node_ops.stream_closed(&a->client, req);
}

static void actor_call_response(void *node, uint64_t call, const struct http_response *response)
{
    struct target_actor *a = node;
    client_node_ops.call_response(&a->client, call, response);
}

/* The split fault: the client gets the bytes in pieces of at most split_bytes. */
static void actor_call_data(void *node, uint64_t call, const uint8_t *bytes, size_t len)
{
    struct target_actor *a = node;
    if (a->split_bytes == 0) {
        client_node_ops.call_data(&a->client, call, bytes, len);
        return;
    }
    for (size_t at = 0; at < len; at += a->split_bytes) {
        size_t piece = len - at < a->split_bytes ? len - at : a->split_bytes;
        client_node_ops.call_data(&a->client, call, bytes + at, piece);
    }
}

static void actor_call_end(void *node, uint64_t call, int err)
{
    struct target_actor *a = node;
    client_node_ops.call_end(&a->client, call, err);
}

const struct rt_node_ops target__actor_node_ops = {
    actor_request, actor_stream_closed, actor_call_response, actor_call_data, actor_call_end,
};

struct target_actor *target__actor_find(struct target *t, const char *name)
{
    for (uint32_t i = 0; i < t->actors_count; i++)
        if (strcmp(t->actors[i].name, name) == 0)
            return &t->actors[i];
    return NULL;
}

int target__actor_get(struct target *t, const char *name, struct target_actor **out)
{
    struct target_actor *a = target__actor_find(t, name);
    if (a == NULL) {
        if (t->actors_count >= TARGET_ACTORS_MAX || strlen(name) >= TARGET_ACTOR_NAME_BYTES_MAX)
            return MC_ELIMIT;
        a = &t->actors[t->actors_count];
        memset(a, 0, sizeof(*a));
        strcpy(a->name, name);
        snprintf(a->peer, sizeof(a->peer), "%s", t->master_address);
        client_init(&a->client, NULL);
        int err = t->ops->actor_attach(t, a);
        if (err != 0) {
            client_deinit(&a->client);
            return err;
        }
        t->actors_count++;
    }
    *out = a;
    return 0;
}

int target_call(struct target *t, const char *actor, const char *method, const char *path,
                const char *const *headers, const void *body, size_t body_len, int *exchange_out)
{
    struct target_actor *a;
    int err = target__actor_get(t, actor, &a);
    if (err != 0)
        return err;
    int x = client_call(&a->client, a->peer, method, path, headers, body, body_len,
                        "mesos.v1.scheduler.Event");
    if (x < 0)
        return x;
    *exchange_out = x;
    return 0;
}

const struct client_exchange *target_exchange(struct target *t, const char *actor, int exchange)
{
    struct target_actor *a = target__actor_find(t, actor);
    return a == NULL ? NULL : client_exchange_get(&a->client, exchange);
}

void target_hang_up(struct target *t, const char *actor, int exchange)
{
    struct target_actor *a = target__actor_find(t, actor);
    if (a != NULL && client_exchange_get(&a->client, exchange) != NULL)
        client_hang_up(&a->client, exchange);
}

int target_advance(struct target *t, uint64_t d_ns, int (*done)(void *ctx), void *ctx,
                   int *stopped_early)
{
    int early = 0;
    int err = t->ops->advance(t, d_ns, done, ctx, &early);
    if (stopped_early != NULL)
        *stopped_early = early;
    return err;
}

uint64_t target_now_ns(const struct target *t)
{
    return t->ops->now_ns(t);
}

const struct target_caps *target_caps_get(const struct target *t)
{
    return &t->caps;
}

uint64_t target_trace_hash(const struct target *t)
{
    return t->ops->trace_hash(t);
}

const char *target_master_address(const struct target *t)
{
    return t->master_address;
}

void target__actors_deinit(struct target *t)
{
    for (uint32_t i = 0; i < t->actors_count; i++)
        client_deinit(&t->actors[i].client);
    t->actors_count = 0;
}

void target_destroy(struct target *t)
{
    if (t != NULL)
        t->ops->destroy(t);
}

/* ---- faults ------------------------------------------------------------------ */

int target_can(const struct target *t, enum target_ability what, const char *name, char *why,
               size_t why_bytes)
{
    MC_ASSERT(why != NULL && why_bytes >= 1);
    why[0] = '\0';
    return t->ops->can(t, what, name, why, why_bytes);
}

const char *target_fault_error(const struct target *t)
{
    return t->fault_error;
}

int target_partition(struct target *t, const char *const *a, uint32_t na, const char *const *b,
                     uint32_t nb)
{
    return t->ops->partition ? t->ops->partition(t, a, na, b, nb) : MC_EUNSUPPORTED;
}

int target_heal(struct target *t)
{
    return t->ops->heal ? t->ops->heal(t) : MC_EUNSUPPORTED;
}

/* A fault on one actor: the actor is created now if it has sent nothing yet. */
static int fault_actor(struct target *t, const char *actor, struct target_actor **out)
{
    if (strcmp(actor, "master") == 0)
        return MC_ENOTFOUND;
    return target__actor_get(t, actor, out);
}

int target_hold(struct target *t, const char *actor, int release)
{
    struct target_actor *a;
    if (t->ops->hold == NULL)
        return MC_EUNSUPPORTED;
    int err = fault_actor(t, actor, &a);
    return err != 0 ? err : t->ops->hold(t, a, release);
}

int target_reset(struct target *t, const char *actor, int exchange)
{
    struct target_actor *a = target__actor_find(t, actor);
    if (t->ops->reset == NULL)
        return MC_EUNSUPPORTED;
    if (a == NULL || client_exchange_get(&a->client, exchange) == NULL)
        return MC_ENOTFOUND;
    return t->ops->reset(t, a, exchange);
}

int target_split(struct target *t, const char *actor, uint32_t piece_bytes)
{
    struct target_actor *a;
    if (piece_bytes == 0)
        return MC_EINVAL;
    int err = fault_actor(t, actor, &a);
    if (err != 0)
        return err;
    a->split_bytes = piece_bytes;
    return t->ops->split != NULL ? t->ops->split(t, a) : 0;
}

int target_drop_heartbeats(struct target *t, const char *actor, uint64_t d_ns)
{
    struct target_actor *a;
    if (t->ops->drop_heartbeats == NULL)
        return MC_EUNSUPPORTED;
    int err = fault_actor(t, actor, &a);
    return err != 0 ? err : t->ops->drop_heartbeats(t, a, d_ns);
}

int target_restart_master(struct target *t)
{
    return t->ops->restart_master ? t->ops->restart_master(t) : MC_EUNSUPPORTED;
}

int target_crash_agent(struct target *t, const char *agent)
{
    return t->ops->crash_agent ? t->ops->crash_agent(t, agent) : MC_EUNSUPPORTED;
}

int target_restart_agent(struct target *t, const char *agent)
{
    return t->ops->restart_agent ? t->ops->restart_agent(t, agent) : MC_EUNSUPPORTED;
}

uint64_t target_violations(const struct target *t, uint64_t *first_ns, const char **first_text)
{
    if (t->ops->violations != NULL)
        return t->ops->violations(t, first_ns, first_text);
    return 0;
}

void target_note(struct target *t, const char *text)
{
    if (t->ops->note != NULL)
        t->ops->note(t, text);
}

/* ---- heartbeats on the wire ---------------------------------------------------- */

int target__chunk_is_heartbeat(const uint8_t *chunk, size_t len)
{
    size_t i = 0;
    uint64_t n = 0;
    while (i < len && i < 20 && chunk[i] >= '0' && chunk[i] <= '9')
        n = n * 10 + (uint64_t)(chunk[i++] - '0');
    if (i == 0 || i >= len || chunk[i] != '\n' || n != len - i - 1)
        return 0; /* not exactly one record */
    const uint8_t *data = chunk + i + 1;
    enum media_codec codec = n > 0 && data[0] == '{' ? MEDIA_CODEC_JSON : MEDIA_CODEC_PROTOBUF;
    return msgstream_record_is_event(data, (size_t)n, codec, "HEARTBEAT",
                                     MESOS__V1__SCHEDULER__EVENT__TYPE__HEARTBEAT);
}

/* ---- hooks ----------------------------------------------------------------------- */

static const char *const hook_names[] = {"restart-master", "crash-agent", "restart-agent"};

const char *target_hook_kind_name(enum target_hook_kind kind)
{
    MC_ASSERT((size_t)kind < sizeof(hook_names) / sizeof(hook_names[0]));
    return hook_names[kind];
}

static int hook_fail(struct mc_diag *diag, size_t offset, const char *text)
{
    if (diag != NULL) {
        mc_diag_set(diag, "%s", text);
        diag->offset = offset;
        diag->has_offset = 1;
    }
    return MC_EINVAL;
}

/* A name as scenarios write them: a letter or '_', then letters, digits, '_' and '-'. */
static int name_ok(const char *s, size_t n)
{
    if (n == 0 || n >= TARGET_ACTOR_NAME_BYTES_MAX)
        return 0;
    if (!((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z') || s[0] == '_'))
        return 0;
    for (size_t i = 1; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-'))
            return 0;
    }
    return 1;
}

int target_hook_parse(const char *spec, struct target_hook *out, struct mc_diag *diag)
{
    memset(out, 0, sizeof(*out));
    const char *eq = strchr(spec, '=');
    if (eq == NULL)
        return hook_fail(diag, strlen(spec), "expected KIND=COMMAND (restart-master=CMD, "
                                             "crash-agent:NAME=CMD or restart-agent:NAME=CMD)");
    size_t key_len = (size_t)(eq - spec);
    const char *colon = memchr(spec, ':', key_len);
    size_t kind_len = colon != NULL ? (size_t)(colon - spec) : key_len;
    size_t k = 0;
    while (k < 3 &&
           !(strlen(hook_names[k]) == kind_len && memcmp(spec, hook_names[k], kind_len) == 0))
        k++;
    if (k == 3)
        return hook_fail(diag, 0, "unknown hook (restart-master, crash-agent:NAME or "
                                  "restart-agent:NAME)");
    out->kind = (enum target_hook_kind)k;
    if (out->kind == TARGET_HOOK_RESTART_MASTER && colon != NULL)
        return hook_fail(diag, kind_len, "restart-master takes no agent name");
    if (out->kind != TARGET_HOOK_RESTART_MASTER) {
        size_t name_len = colon != NULL ? key_len - kind_len - 1 : 0;
        if (colon == NULL || name_len == 0)
            return hook_fail(diag, kind_len,
                             out->kind == TARGET_HOOK_CRASH_AGENT
                                 ? "crash-agent needs an agent: crash-agent:NAME=CMD"
                                 : "restart-agent needs an agent: restart-agent:NAME=CMD");
        if (!name_ok(colon + 1, name_len))
            return hook_fail(diag, kind_len + 1, "bad agent name (a letter or '_', then letters, "
                                                 "digits, '_' and '-', at most 31 bytes)");
        memcpy(out->agent, colon + 1, name_len);
        out->agent[name_len] = '\0';
    }
    if (eq[1] == '\0')
        return hook_fail(diag, key_len + 1, "the command is empty");
    if (strlen(eq + 1) >= TARGET_HOOK_COMMAND_BYTES_MAX)
        return hook_fail(diag, key_len + 1, "the command is longer than 4095 bytes");
    out->command = eq + 1;
    return 0;
}
