/*
 * store.c: durable storage of a simulated node (rt_ops.store_*).
 *
 * The store belongs to the address (struct sim_node), not to an
 * incarnation, so it survives a crash and restart: this is the master's
 * registry (Mesos keeps it in a replicated log) and an agent's checkpoints.
 * Entries are kept in the order of their first put, in a list, so nothing
 * about them depends on hashing or addresses. A crashed incarnation may
 * no longer write: its calls return MC_ECLOSED, as a dead process cannot
 * reach its disk.
 */
#include <string.h>

#include "mc_assert.h"
#include "sim_internal.h"

static struct sim_store_entry *entry_find(const struct sim_node *node, const char *key)
{
    const struct mc_list_node *it;
    MC_LIST_FOR_EACH (it, &node->store) {
        struct sim_store_entry *e = MC_CONTAINER_OF(it, struct sim_store_entry, link);
        if (strcmp(e->key, key) == 0)
            return e;
    }
    return NULL;
}

/* 0 for a usable key; MC_EINVAL when empty, MC_ELIMIT when too long. */
static int key_check(const char *key)
{
    MC_ASSERT(key != NULL);
    if (key[0] == '\0')
        return MC_EINVAL;
    if (strnlen(key, MC_SIM_STORE_KEY_BYTES_MAX) >= MC_SIM_STORE_KEY_BYTES_MAX)
        return MC_ELIMIT;
    return 0;
}

static void entry_free(struct sim_world *world, struct sim_store_entry *e)
{
    mc_free(world->alloc, e->key);
    mc_free(world->alloc, e->bytes);
    mc_free(world->alloc, e);
}

int sim__store_put(struct sim_proc *proc, const char *key, const void *bytes, size_t len)
{
    struct sim_world *world = proc->world;
    MC_ASSERT(bytes != NULL || len == 0);
    if (!proc->alive)
        return MC_ECLOSED;
    int err = key_check(key);
    if (err != 0)
        return err;
    if (len > MC_SIM_STORE_VALUE_BYTES_MAX)
        return MC_ELIMIT;
    struct sim_node *node = proc->node;
    struct sim_store_entry *e = entry_find(node, key);
    if (e == NULL && node->store_count >= MC_SIM_STORE_KEYS_MAX)
        return MC_ELIMIT;
    /* The new value is made first, so a failure leaves the old one as it was. */
    uint8_t *copy = mc_malloc(world->alloc, len);
    if (copy == NULL)
        return MC_ENOMEM;
    if (len > 0)
        memcpy(copy, bytes, len);
    if (e == NULL) {
        e = mc_calloc(world->alloc, 1, sizeof(*e));
        char *key_copy = mc_strdup(world->alloc, key);
        if (e == NULL || key_copy == NULL) {
            mc_free(world->alloc, e);
            mc_free(world->alloc, key_copy);
            mc_free(world->alloc, copy);
            return MC_ENOMEM;
        }
        e->key = key_copy;
        mc_list_push_back(&node->store, &e->link);
        node->store_count++;
    }
    mc_free(world->alloc, e->bytes);
    e->bytes = copy;
    e->len = len;
    return 0;
}

int sim__store_get(struct sim_proc *proc, const char *key, struct mc_buf *out)
{
    MC_ASSERT(out != NULL);
    if (!proc->alive)
        return MC_ECLOSED;
    int err = key_check(key);
    if (err != 0)
        return err;
    const struct sim_store_entry *e = entry_find(proc->node, key);
    if (e == NULL)
        return MC_ENOTFOUND;
    return mc_buf_append(out, e->bytes, e->len);
}

int sim__store_del(struct sim_proc *proc, const char *key)
{
    if (!proc->alive)
        return MC_ECLOSED;
    int err = key_check(key);
    if (err != 0)
        return err;
    struct sim_store_entry *e = entry_find(proc->node, key);
    if (e == NULL)
        return MC_ENOTFOUND;
    mc_list_remove(&e->link);
    MC_ASSERT(proc->node->store_count > 0);
    proc->node->store_count--;
    entry_free(proc->world, e);
    return 0;
}

void sim__store_deinit(struct sim_world *world, struct sim_node *node)
{
    struct mc_list_node *it, *tmp;
    MC_LIST_FOR_EACH_SAFE (it, tmp, &node->store) {
        mc_list_remove(it);
        entry_free(world, MC_CONTAINER_OF(it, struct sim_store_entry, link));
    }
    node->store_count = 0;
}
