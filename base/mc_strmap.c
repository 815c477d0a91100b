/*
 * mc_strmap.c: open addressing with linear probing and backward-shift
 * removal (see mc_strmap.h).
 */
#include "mc_strmap.h"

#include <string.h>

#include "mc_assert.h"

/* The first table; it doubles whenever it would be more than half full. */
#define STRMAP_CAP_INITIAL 16u

/*
 * Eight bytes at a time, each word folded in with a multiply, then
 * splitmix64's finalizer so that the low bits used as an index depend on
 * every byte. Ids that differ only in their last characters (the master's
 * "<uuid>-S12", "-S13") land far apart.
 */
uint64_t mc_strhash(const char *s, size_t len)
{
    uint64_t h = UINT64_C(0x9e3779b97f4a7c15) ^ len;
    size_t i = 0;
    for (; i + 8 <= len; i += 8) {
        uint64_t w;
        memcpy(&w, s + i, sizeof(w));
        h = (h ^ w) * UINT64_C(0xff51afd7ed558ccd);
        h ^= h >> 32;
    }
    uint64_t w = 0;
    if (len >= 8) /* the last 8 bytes, overlapping the words above: one load */
        memcpy(&w, s + len - 8, sizeof(w));
    else
        for (size_t n = 0; n < len; n++)
            w |= (uint64_t)(uint8_t)s[n] << (8 * n);
    h = (h ^ w) * UINT64_C(0xbf58476d1ce4e5b9);
    h = (h ^ (h >> 27)) * UINT64_C(0x94d049bb133111eb);
    return h ^ (h >> 31);
}

void mc_strmap_init(struct mc_strmap *map, uint32_t count_max, const struct mc_alloc *alloc)
{
    MC_ASSERT(map != NULL);
    MC_ASSERT(count_max >= 1 && count_max <= UINT32_MAX / 4);
    memset(map, 0, sizeof(*map));
    map->count_max = count_max;
    map->alloc = alloc;
}

void mc_strmap_deinit(struct mc_strmap *map)
{
    MC_ASSERT(map != NULL);
    mc_free(map->alloc, map->slots);
    map->slots = NULL;
    map->cap = 0;
    map->count = 0;
}

/* The slot holding key (len bytes), or the empty slot where it would go. */
static uint32_t slot_of(const struct mc_strmap *map, const char *key, size_t len, uint64_t hash)
{
    uint32_t mask = map->cap - 1;
    for (uint32_t i = (uint32_t)hash & mask;; i = (i + 1) & mask) {
        const struct mc_strmap_slot *s = &map->slots[i];
        if (s->key == NULL ||
            (s->hash == hash && s->len == len && memcmp(s->key, key, len) == 0))
            return i;
    }
}

void *mc_strmap_get(const struct mc_strmap *map, const char *key)
{
    MC_ASSERT(map != NULL && key != NULL);
    if (map->count == 0)
        return NULL;
    size_t len = strlen(key);
    const struct mc_strmap_slot *s = &map->slots[slot_of(map, key, len, mc_strhash(key, len))];
    return s->key != NULL ? s->value : NULL;
}

/* Moves every entry into a table of cap slots (a power of two, more than twice count). */
static int rehash(struct mc_strmap *map, uint32_t cap)
{
    struct mc_strmap_slot *slots = mc_calloc(map->alloc, cap, sizeof(*slots));
    if (slots == NULL)
        return MC_ENOMEM;
    struct mc_strmap old = *map;
    map->slots = slots;
    map->cap = cap;
    for (uint32_t i = 0; i < old.cap; i++)
        if (old.slots[i].key != NULL)
            map->slots[slot_of(map, old.slots[i].key, old.slots[i].len, old.slots[i].hash)] =
                old.slots[i];
    mc_free(map->alloc, old.slots);
    return 0;
}

int mc_strmap_reserve(struct mc_strmap *map, uint32_t count)
{
    MC_ASSERT(map != NULL);
    if (count > map->count_max)
        return MC_ELIMIT;
    uint32_t cap = map->cap ? map->cap : STRMAP_CAP_INITIAL;
    while (2 * (uint64_t)count > cap)
        cap *= 2;
    return cap != map->cap ? rehash(map, cap) : 0;
}

int mc_strmap_put(struct mc_strmap *map, const char *key, void *value)
{
    MC_ASSERT(map != NULL && key != NULL && value != NULL);
    size_t len = strlen(key);
    uint64_t hash = mc_strhash(key, len);
    if (map->count > 0 && map->slots[slot_of(map, key, len, hash)].key != NULL)
        return MC_EEXIST;
    if (map->count >= map->count_max)
        return MC_ELIMIT;
    if (2 * (map->count + 1) > map->cap) {
        int err = rehash(map, map->cap ? map->cap * 2 : STRMAP_CAP_INITIAL);
        if (err != 0)
            return err;
    }
    map->slots[slot_of(map, key, len, hash)] = (struct mc_strmap_slot){hash, key, value, len};
    map->count++;
    return 0;
}

void *mc_strmap_del(struct mc_strmap *map, const char *key)
{
    MC_ASSERT(map != NULL && key != NULL);
    if (map->count == 0)
        return NULL;
    uint32_t mask = map->cap - 1;
    size_t len = strlen(key);
    uint32_t hole = slot_of(map, key, len, mc_strhash(key, len));
    if (map->slots[hole].key == NULL)
        return NULL;
    void *value = map->slots[hole].value;
    /* Move back every later entry of the run that may sit at the hole, so no probe breaks. */
    for (uint32_t i = (hole + 1) & mask; map->slots[i].key != NULL; i = (i + 1) & mask) {
        uint32_t home = (uint32_t)map->slots[i].hash & mask;
        if (((i - home) & mask) >= ((i - hole) & mask)) {
            map->slots[hole] = map->slots[i];
            hole = i;
        }
    }
    map->slots[hole] = (struct mc_strmap_slot){0, NULL, NULL, 0};
    map->count--;
    return value;
}
