/*
 * target.c: the part of a target that does not depend on its kind: the
 * actors, created on first use, in order (so traces do not depend on names).
 */
#include "target_internal.h"

#include <string.h>

#include "mc_assert.h"

static struct target_actor *actor_find(struct target *t, const char *name)
{
    for (uint32_t i = 0; i < t->actors_count; i++)
        if (strcmp(t->actors[i].name, name) == 0)
            return &t->actors[i];
    return NULL;
}

static int actor_get(struct target *t, const char *name, struct target_actor **out)
{
    struct target_actor *a = actor_find(t, name);
    if (a == NULL) {
        if (t->actors_count >= TARGET_ACTORS_MAX || strlen(name) >= TARGET_ACTOR_NAME_BYTES_MAX)
            return MC_ELIMIT;
        a = &t->actors[t->actors_count];
        memset(a, 0, sizeof(*a));
        strcpy(a->name, name);
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
    int err = actor_get(t, actor, &a);
    if (err != 0)
        return err;
    int x = client_call(&a->client, t->master_address, method, path, headers, body, body_len,
                        "mesos.v1.scheduler.Event");
    if (x < 0)
        return x;
    *exchange_out = x;
    return 0;
}

const struct client_exchange *target_exchange(struct target *t, const char *actor, int exchange)
{
    struct target_actor *a = actor_find(t, actor);
    return a == NULL ? NULL : client_exchange_get(&a->client, exchange);
}

void target_hang_up(struct target *t, const char *actor, int exchange)
{
    struct target_actor *a = actor_find(t, actor);
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

int target_partition(struct target *t, const char *const *a, uint32_t na, const char *const *b,
                     uint32_t nb)
{
    return t->ops->partition ? t->ops->partition(t, a, na, b, nb) : MC_EUNSUPPORTED;
}

int target_heal(struct target *t)
{
    return t->ops->heal ? t->ops->heal(t) : MC_EUNSUPPORTED;
}

int target_hold(struct target *t, const char *actor, int release)
{
    return t->ops->hold ? t->ops->hold(t, actor, release) : MC_EUNSUPPORTED;
}

int target_reset(struct target *t, const char *actor, int exchange)
{
    struct target_actor *a = actor_find(t, actor);
    if (t->ops->reset == NULL)
        return MC_EUNSUPPORTED;
    if (a == NULL || client_exchange_get(&a->client, exchange) == NULL)
        return MC_ENOTFOUND;
    return t->ops->reset(t, a, exchange);
}

int target_restart_master(struct target *t)
{
    return t->ops->restart_master ? t->ops->restart_master(t) : MC_EUNSUPPORTED;
}
