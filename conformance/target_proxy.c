/*
 * target_proxy.c: the fault proxies of the http target (--via-proxy).
 *
 * Each actor gets a proxy of its own (proxy.h) in front of the real
 * master, so that a fault aimed at one actor (a partition from the master,
 * a hold, a reset, a split, dropped heartbeats) touches only its traffic.
 * The proxies share one libuv loop that lives on the target's thread: the
 * http target polls the loop's descriptor together with libcurl's sockets
 * and runs the loop without blocking whenever it advances time, so there
 * is no second thread and no lock, and a fault applies the moment the
 * runner asks for it.
 *
 * Every proxy rebuilds the chunked streams it forwards record by record
 * (proxy_streams_rebuild_set): the body faults then act on a subscription
 * already under way, and a partition drops whole records of a stream, so
 * that after heal the stream carries on, as on the simulated target.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uv.h>

#include "mc_assert.h"
#include "proxy.h"
#include "target_internal.h"

struct target_proxies {
    uv_loop_t loop;
    char upstream[TARGET_ADDRESS_BYTES_MAX];
    uint64_t seed;
    struct proxy *proxies[TARGET_ACTORS_MAX];
    uint64_t drop_until_ns[TARGET_ACTORS_MAX]; /* 0: no drop of heartbeats */
};

int target__proxies_create(const char *upstream, uint64_t seed, struct target_proxies **out,
                           struct mc_diag *diag)
{
    *out = NULL;
    struct target_proxies *ps = calloc(1, sizeof(*ps));
    if (ps == NULL)
        return MC_ENOMEM;
    if (strlen(upstream) >= sizeof(ps->upstream)) {
        free(ps);
        mc_diag_set(diag, "the upstream '%s' is too long for the proxy", upstream);
        return MC_EINVAL;
    }
    if (uv_loop_init(&ps->loop) != 0) {
        free(ps);
        mc_diag_set(diag, "cannot start the proxies' event loop");
        return MC_EIO;
    }
    snprintf(ps->upstream, sizeof(ps->upstream), "%s", upstream);
    ps->seed = seed;
    *out = ps;
    return 0;
}

void target__proxies_destroy(struct target_proxies *ps)
{
    if (ps == NULL)
        return;
    for (uint32_t i = 0; i < TARGET_ACTORS_MAX; i++)
        if (ps->proxies[i] != NULL)
            proxy_destroy(ps->proxies[i]);
    /* The close callbacks free the proxies' memory: run until nothing is left. */
    uv_run(&ps->loop, UV_RUN_DEFAULT);
    int err = uv_loop_close(&ps->loop);
    MC_ASSERT(err == 0); /* every handle was closed */
    free(ps);
}

int target__proxies_add(struct target_proxies *ps, uint32_t i, char *address, size_t address_bytes,
                        struct mc_diag *diag)
{
    MC_ASSERT(i < TARGET_ACTORS_MAX && ps->proxies[i] == NULL);
    struct proxy_options o;
    memset(&o, 0, sizeof(o));
    o.listen_address = "127.0.0.1:0";
    o.upstream_address = ps->upstream;
    o.seed = ps->seed + i;
    int err = proxy_create(&ps->loop, &o, &ps->proxies[i], diag);
    if (err != 0)
        return err;
    proxy_streams_rebuild_set(ps->proxies[i], 1);
    snprintf(address, address_bytes, "%s", proxy_address(ps->proxies[i]));
    return 0;
}

int target__proxies_fd(const struct target_proxies *ps)
{
    return uv_backend_fd(&ps->loop);
}

int target__proxies_timeout_ms(const struct target_proxies *ps)
{
    return uv_backend_timeout(&ps->loop);
}

void target__proxies_run(struct target_proxies *ps, uint64_t now_ns)
{
    uv_run(&ps->loop, UV_RUN_NOWAIT);
    for (uint32_t i = 0; i < TARGET_ACTORS_MAX; i++)
        if (ps->drop_until_ns[i] != 0 && now_ns >= ps->drop_until_ns[i]) {
            ps->drop_until_ns[i] = 0;
            proxy_drop_heartbeats_set(ps->proxies[i], 0);
        }
}

void target__proxies_partition(struct target_proxies *ps, uint32_t i)
{
    MC_ASSERT(i < TARGET_ACTORS_MAX && ps->proxies[i] != NULL);
    proxy_partition(ps->proxies[i]);
}

void target__proxies_heal_all(struct target_proxies *ps)
{
    for (uint32_t i = 0; i < TARGET_ACTORS_MAX; i++)
        if (ps->proxies[i] != NULL)
            proxy_heal(ps->proxies[i]);
}

void target__proxies_hold(struct target_proxies *ps, uint32_t i, int release)
{
    MC_ASSERT(i < TARGET_ACTORS_MAX && ps->proxies[i] != NULL);
    if (release)
        proxy_release(ps->proxies[i]);
    else
        proxy_hold(ps->proxies[i]);
}

void target__proxies_reset(struct target_proxies *ps, uint32_t i)
{
    MC_ASSERT(i < TARGET_ACTORS_MAX && ps->proxies[i] != NULL);
    proxy_reset(ps->proxies[i]);
}

void target__proxies_split(struct target_proxies *ps, uint32_t i, uint32_t piece_bytes)
{
    MC_ASSERT(i < TARGET_ACTORS_MAX && ps->proxies[i] != NULL);
    proxy_split_set(ps->proxies[i], piece_bytes);
}

void target__proxies_drop_heartbeats(struct target_proxies *ps, uint32_t i, uint64_t until_ns)
{
    MC_ASSERT(i < TARGET_ACTORS_MAX && ps->proxies[i] != NULL);
    ps->drop_until_ns[i] = until_ns != 0 ? until_ns : 1;
    proxy_drop_heartbeats_set(ps->proxies[i], 1);
}
