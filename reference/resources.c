/*
 * resources.c: the resource set model, its arithmetic and the agent flag
 * parser. The protobuf conversions are at the end of the file.
 *
 * The arithmetic follows Mesos' Resources (src/common/resources.cpp) and
 * Value arithmetic (src/common/values.cpp): items merge by key, scalars are
 * thousandths, ranges are coalesced interval lists, sets are element lists.
 */
#include "resources.h"

#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mc_assert.h"
#include "mesos_conform/internal.pb-c.h"
#include "pbjson.h"

/* ---- items ---- */

static void item_deinit(const struct mc_alloc *alloc, struct res_item *item)
{
    /* Most items own one array or none: the calls for the others are skipped. */
    if (item->elements != NULL) {
        for (uint32_t i = 0; i < item->elements_count; i++)
            mc_free(alloc, item->elements[i]);
        mc_free(alloc, item->elements);
    }
    if (item->ranges != NULL)
        mc_free(alloc, item->ranges);
    if (item->detail != NULL)
        mc_free(alloc, item->detail);
    item->elements = NULL;
    item->ranges = NULL;
    item->detail = NULL;
    item->detail_bytes = 0;
    item->elements_count = item->elements_cap = 0;
    item->ranges_count = item->ranges_cap = 0;
}

/*
 * Same key (Mesos' addable), b taken with the allocation role b_alloc
 * (b->allocation_role, or the role an operation allocates b to). The cheap
 * fields and the first bytes of the texts decide most pairs that differ.
 */
static inline int item_same_key_as(const struct res_item *a, const struct res_item *b,
                                   const char *b_alloc)
{
    return a->type == b->type && a->reservation == b->reservation &&
           a->detail_bytes == b->detail_bytes && a->name[0] == b->name[0] &&
           a->role[0] == b->role[0] && a->allocation_role[0] == b_alloc[0] &&
           res_text_equal(a->name, b->name) && res_text_equal(a->role, b->role) &&
           res_text_equal(a->allocation_role, b_alloc) &&
           (a->detail_bytes == 0 || memcmp(a->detail, b->detail, a->detail_bytes) == 0);
}

static int item_empty(const struct res_item *item)
{
    switch (item->type) {
    case RES_TYPE_SCALAR:
        return item->scalar_milli == 0;
    case RES_TYPE_RANGES:
        return item->ranges_count == 0;
    case RES_TYPE_SET:
        return item->elements_count == 0;
    }
    MC_UNREACHABLE();
}

static int ranges_reserve(const struct mc_alloc *alloc, struct res_item *item, uint64_t need)
{
    if (need > MC_RES_RANGES_MAX)
        return MC_ELIMIT;
    if (need <= item->ranges_cap)
        return 0;
    uint32_t cap = item->ranges_cap ? item->ranges_cap : 4;
    while (cap < need)
        cap *= 2;
    struct res_range *r = mc_realloc(alloc, item->ranges, cap * sizeof(*r));
    if (r == NULL)
        return MC_ENOMEM;
    item->ranges = r;
    item->ranges_cap = cap;
    return 0;
}

static int elements_reserve(const struct mc_alloc *alloc, struct res_item *item, uint64_t need)
{
    if (need > MC_RES_ELEMENTS_MAX)
        return MC_ELIMIT;
    if (need <= item->elements_cap)
        return 0;
    uint32_t cap = item->elements_cap ? item->elements_cap : 4;
    while (cap < need)
        cap *= 2;
    char **e = mc_realloc(alloc, item->elements, cap * sizeof(*e));
    if (e == NULL)
        return MC_ENOMEM;
    item->elements = e;
    item->elements_cap = cap;
    return 0;
}

/* strcpy for the short texts of a key, inline. */
static void text_copy(char *dst, const char *src)
{
    size_t i = 0;
    while ((dst[i] = src[i]) != '\0')
        i++;
}

/*
 * Copies src into dst (whose storage is not owned yet). On error dst is
 * empty. Only the bytes of the texts in use are copied (an item is mostly
 * the unused rest of its arrays), so dst's arrays hold nothing past them.
 */
static int item_copy(const struct mc_alloc *alloc, struct res_item *dst, const struct res_item *src)
{
    text_copy(dst->name, src->name);
    text_copy(dst->role, src->role);
    text_copy(dst->allocation_role, src->allocation_role);
    dst->reservation = src->reservation;
    dst->type = src->type;
    dst->scalar_milli = src->scalar_milli;
    dst->detail_flags = src->detail_flags;
    dst->ranges = NULL;
    dst->elements = NULL;
    dst->ranges_count = dst->ranges_cap = 0;
    dst->elements_count = dst->elements_cap = 0;
    dst->detail = NULL;
    dst->detail_bytes = 0;
    if (src->ranges_count > 0) {
        int rc = ranges_reserve(alloc, dst, src->ranges_count);
        if (rc != 0)
            return rc;
        memcpy(dst->ranges, src->ranges, src->ranges_count * sizeof(*src->ranges));
        dst->ranges_count = src->ranges_count;
    }
    if (src->elements_count > 0) {
        int rc = elements_reserve(alloc, dst, src->elements_count);
        if (rc != 0) {
            item_deinit(alloc, dst);
            return rc;
        }
    }
    for (uint32_t i = 0; i < src->elements_count; i++) {
        dst->elements[i] = mc_strdup(alloc, src->elements[i]);
        if (dst->elements[i] == NULL) {
            item_deinit(alloc, dst);
            return MC_ENOMEM;
        }
        dst->elements_count = i + 1;
    }
    if (src->detail_bytes > 0) {
        dst->detail = mc_malloc(alloc, src->detail_bytes);
        if (dst->detail == NULL) {
            item_deinit(alloc, dst);
            return MC_ENOMEM;
        }
        memcpy(dst->detail, src->detail, src->detail_bytes);
        dst->detail_bytes = src->detail_bytes;
    }
    return 0;
}

static int range_cmp(const void *a, const void *b)
{
    const struct res_range *x = a, *y = b;
    if (x->begin != y->begin)
        return x->begin < y->begin ? -1 : 1;
    if (x->end != y->end)
        return x->end < y->end ? -1 : 1;
    return 0;
}

/* Sorts and coalesces ranges in place (overlapping and adjacent ones merge). */
static uint32_t ranges_coalesce(struct res_range *r, uint32_t n)
{
    if (n == 0)
        return 0;
    qsort(r, n, sizeof(*r), range_cmp);
    uint32_t out = 0;
    for (uint32_t i = 1; i < n; i++) {
        /* An inverted range (begin > end) from the parser merges as Mesos merges it. */
        if (r[out].end == UINT64_MAX || r[i].begin <= r[out].end + 1) {
            if (r[i].end > r[out].end)
                r[out].end = r[i].end;
        } else {
            r[++out] = r[i];
        }
    }
    return out + 1;
}

/* 1 when every range of b lies inside a range of a (both coalesced). */
static int ranges_contain(const struct res_item *a, const struct res_item *b)
{
    uint32_t i = 0;
    for (uint32_t j = 0; j < b->ranges_count; j++) {
        while (i < a->ranges_count && a->ranges[i].end < b->ranges[j].begin)
            i++;
        if (i == a->ranges_count)
            return 0;
        if (a->ranges[i].begin > b->ranges[j].begin || a->ranges[i].end < b->ranges[j].end)
            return 0;
    }
    return 1;
}

static int elements_find(const struct res_item *item, const char *e)
{
    for (uint32_t i = 0; i < item->elements_count; i++)
        if (strcmp(item->elements[i], e) == 0)
            return (int)i;
    return -1;
}

/*
 * The item helpers below take two items of one key (but maybe for the
 * allocation role): their callers find one by the other's key just before,
 * so only the type the arithmetic switches on is checked again.
 */
static int item_contains(const struct res_item *a, const struct res_item *b)
{
    MC_ASSERT(a->type == b->type);
    switch (a->type) {
    case RES_TYPE_SCALAR:
        /* A persistent volume is used whole or not at all (Mesos' subtractable). */
        if (a->detail_flags & RES_DETAIL_VOLUME)
            return a->scalar_milli == b->scalar_milli;
        return a->scalar_milli >= b->scalar_milli;
    case RES_TYPE_RANGES:
        return ranges_contain(a, b);
    case RES_TYPE_SET:
        for (uint32_t i = 0; i < b->elements_count; i++)
            if (elements_find(a, b->elements[i]) < 0)
                return 0;
        return 1;
    }
    MC_UNREACHABLE();
}

/* dst += src for two items of the same key. On error dst is unchanged. */
static int item_add(const struct mc_alloc *alloc, struct res_item *dst, const struct res_item *src)
{
    MC_ASSERT(dst->type == src->type);
    if (dst->type == RES_TYPE_SCALAR) {
        int64_t sum = dst->scalar_milli + src->scalar_milli; /* both are bounded */
        if (sum > MC_RES_SCALAR_MILLI_MAX || sum < -MC_RES_SCALAR_MILLI_MAX)
            return MC_ELIMIT;
        dst->scalar_milli = sum;
        return 0;
    }
    if (dst->type == RES_TYPE_RANGES) {
        /* Coalesce the concatenation in a new array so that dst stays whole on error. */
        uint64_t need = (uint64_t)dst->ranges_count + src->ranges_count;
        struct res_range *r = mc_malloc(alloc, need * sizeof(*r));
        if (r == NULL)
            return MC_ENOMEM;
        memcpy(r, dst->ranges, dst->ranges_count * sizeof(*r));
        memcpy(r + dst->ranges_count, src->ranges, src->ranges_count * sizeof(*r));
        uint32_t n = ranges_coalesce(r, (uint32_t)need);
        if (n > MC_RES_RANGES_MAX) {
            mc_free(alloc, r);
            return MC_ELIMIT;
        }
        mc_free(alloc, dst->ranges);
        dst->ranges = r;
        dst->ranges_count = n;
        dst->ranges_cap = (uint32_t)need;
        return 0;
    }
    uint32_t missing = 0;
    for (uint32_t i = 0; i < src->elements_count; i++)
        missing += elements_find(dst, src->elements[i]) < 0;
    int rc = elements_reserve(alloc, dst, (uint64_t)dst->elements_count + missing);
    if (rc != 0)
        return rc;
    for (uint32_t i = 0; i < src->elements_count; i++) {
        if (elements_find(dst, src->elements[i]) >= 0)
            continue;
        char *e = mc_strdup(alloc, src->elements[i]);
        if (e == NULL)
            return MC_ENOMEM; /* the elements added so far stay: a union is idempotent */
        dst->elements[dst->elements_count++] = e;
    }
    return 0;
}

/* dst -= src (ranges): the interval difference, written into a new array. */
static int ranges_subtract(const struct mc_alloc *alloc, struct res_item *dst, const struct res_item *src)
{
    uint64_t cap = (uint64_t)dst->ranges_count + src->ranges_count;
    struct res_range *out = mc_malloc(alloc, (cap ? cap : 1) * sizeof(*out));
    if (out == NULL)
        return MC_ENOMEM;
    uint32_t n = 0, j = 0;
    for (uint32_t i = 0; i < dst->ranges_count; i++) {
        uint64_t begin = dst->ranges[i].begin, end = dst->ranges[i].end;
        int alive = 1;
        while (j < src->ranges_count && src->ranges[j].end < begin)
            j++;
        for (uint32_t k = j; alive && k < src->ranges_count && src->ranges[k].begin <= end; k++) {
            if (src->ranges[k].begin > begin)
                out[n++] = (struct res_range){begin, src->ranges[k].begin - 1};
            if (src->ranges[k].end >= end)
                alive = 0;
            else
                begin = src->ranges[k].end + 1;
        }
        if (alive)
            out[n++] = (struct res_range){begin, end};
    }
    if (n > MC_RES_RANGES_MAX) {
        mc_free(alloc, out);
        return MC_ELIMIT;
    }
    mc_free(alloc, dst->ranges);
    dst->ranges = out;
    dst->ranges_count = n;
    dst->ranges_cap = (uint32_t)(cap ? cap : 1);
    return 0;
}

/* dst -= src for two items of the same key; a negative scalar is left for the caller to drop. */
static int item_subtract(const struct mc_alloc *alloc, struct res_item *dst, const struct res_item *src)
{
    MC_ASSERT(dst->type == src->type);
    if (dst->type == RES_TYPE_SCALAR) {
        if ((dst->detail_flags & RES_DETAIL_VOLUME) && dst->scalar_milli != src->scalar_milli)
            return 0; /* a part of a volume is not taken from it (Mesos' subtractable) */
        dst->scalar_milli -= src->scalar_milli;
        return 0;
    }
    if (dst->type == RES_TYPE_RANGES)
        return ranges_subtract(alloc, dst, src);
    uint32_t n = 0;
    for (uint32_t i = 0; i < dst->elements_count; i++) {
        if (elements_find(src, dst->elements[i]) >= 0)
            mc_free(alloc, dst->elements[i]);
        else
            dst->elements[n++] = dst->elements[i];
    }
    dst->elements_count = n;
    return 0;
}

/* ---- sets ---- */

void res_set_init(struct res_set *set, const struct mc_alloc *alloc)
{
    MC_ASSERT(set != NULL);
    set->alloc = alloc;
    set->items = NULL;
    set->count = 0;
    set->cap = 0;
}

void res_set_clear(struct res_set *set)
{
    MC_ASSERT(set != NULL);
    for (uint32_t i = 0; i < set->count; i++)
        item_deinit(set->alloc, &set->items[i]);
    set->count = 0;
}

void res_set_deinit(struct res_set *set)
{
    res_set_clear(set);
    mc_free(set->alloc, set->items);
    set->items = NULL;
    set->cap = 0;
}

/* The index of the item of key's key, key taken with the allocation role key_alloc; or -1. */
static int set_find_as(const struct res_set *set, const struct res_item *key, const char *key_alloc)
{
    for (uint32_t i = 0; i < set->count; i++)
        if (item_same_key_as(&set->items[i], key, key_alloc))
            return (int)i;
    return -1;
}

static int set_find(const struct res_set *set, const struct res_item *key)
{
    return set_find_as(set, key, key->allocation_role);
}

/*
 * set_find_as looking from index from on, then from the start: a set's keys
 * are distinct, so the item found is the same. Sets taken one from another
 * mostly keep their order, so the next item is mostly the one after the
 * last found.
 */
static int set_find_from(const struct res_set *set, const struct res_item *key,
                         const char *key_alloc, uint32_t from)
{
    for (uint32_t i = from; i < set->count; i++)
        if (item_same_key_as(&set->items[i], key, key_alloc))
            return (int)i;
    for (uint32_t i = 0; i < from && i < set->count; i++)
        if (item_same_key_as(&set->items[i], key, key_alloc))
            return (int)i;
    return -1;
}

/* 1 when role fits an item's allocation_role. */
static int role_fits(const char *role)
{
    return memchr(role, '\0', MC_RES_ROLE_BYTES_MAX) != NULL;
}

/*
 * 1 when every item of set has the allocation role of the first. Items of
 * one allocation role keep distinct keys under another: allocating such a
 * set merges nothing.
 */
static int set_one_allocation_role(const struct res_set *set)
{
    for (uint32_t i = 1; i < set->count; i++)
        if (!res_text_equal(set->items[i].allocation_role, set->items[0].allocation_role))
            return 0;
    return 1;
}


/* Room for one more item in set: 0, MC_ELIMIT (MC_RES_ITEMS_MAX) or MC_ENOMEM. */
static int set_room(struct res_set *set)
{
    if (set->count >= MC_RES_ITEMS_MAX)
        return MC_ELIMIT;
    if (set->count == set->cap) {
        uint32_t cap = set->cap ? set->cap * 2 : 4;
        struct res_item *items = mc_realloc(set->alloc, set->items, cap * sizeof(*items));
        if (items == NULL)
            return MC_ENOMEM;
        set->items = items;
        set->cap = cap;
    }
    return 0;
}

/* res_set_add_item with item taken as allocated to alloc (a role that fits). */
static int set_add_item_as(struct res_set *set, const struct res_item *item, const char *alloc)
{
    if (item_empty(item))
        return 0;
    int at = set_find_as(set, item, alloc);
    if (at >= 0)
        return item_add(set->alloc, &set->items[at], item);
    int room = set_room(set);
    if (room != 0)
        return room;
    struct res_item *added = &set->items[set->count];
    int rc = item_copy(set->alloc, added, item);
    if (rc != 0)
        return rc;
    if (alloc != item->allocation_role)
        text_copy(added->allocation_role, alloc);
    set->count++;
    return 0;
}

int res_set_add_item(struct res_set *set, const struct res_item *item)
{
    MC_ASSERT(set != NULL && item != NULL);
    return set_add_item_as(set, item, item->allocation_role);
}

int res_set_add(struct res_set *set, const struct res_set *other)
{
    MC_ASSERT(set != other);
    for (uint32_t i = 0; i < other->count; i++) {
        int rc = res_set_add_item(set, &other->items[i]);
        if (rc != 0)
            return rc;
    }
    return 0;
}

/*
 * A set's items have distinct keys (res_set_add_item keeps it so), so a
 * copy takes them one by one, with no merging.
 */
int res_set_copy(struct res_set *dst, const struct res_set *src)
{
    MC_ASSERT(dst != src);
    res_set_clear(dst);
    if (src->count > dst->cap) {
        struct res_item *items = mc_realloc(dst->alloc, dst->items, src->count * sizeof(*items));
        if (items == NULL)
            return MC_ENOMEM;
        dst->items = items;
        dst->cap = src->count;
    }
    for (uint32_t i = 0; i < src->count; i++) {
        if (item_empty(&src->items[i]))
            continue; /* as res_set_add_item would */
        int rc = item_copy(dst->alloc, &dst->items[dst->count], &src->items[i]);
        if (rc != 0) {
            res_set_clear(dst);
            return rc;
        }
        dst->count++;
    }
    return 0;
}

/* 1 when an item is dead after a subtraction: a scalar gone negative, or nothing left. */
static int item_dead(const struct res_item *item)
{
    return item_empty(item) || (item->type == RES_TYPE_SCALAR && item->scalar_milli < 0);
}

/* The items a subtraction touched, a bit per index, so that only they may be dropped. */
struct touched {
    uint64_t bits[(MC_RES_ITEMS_MAX + 63) / 64];
};

static void touched_set(struct touched *t, uint32_t i)
{
    MC_ASSERT(i < MC_RES_ITEMS_MAX);
    t->bits[i / 64] |= 1ull << (i % 64);
}

/* Drops the touched items that are dead, keeping the order of the others. */
static void set_compact(struct res_set *set, const struct touched *t)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < set->count; i++) {
        if (((t->bits[i / 64] >> (i % 64)) & 1) && item_dead(&set->items[i]))
            item_deinit(set->alloc, &set->items[i]);
        else if (n++ != i)
            set->items[n - 1] = set->items[i];
    }
    set->count = n;
}

/*
 * Dead items are dropped once, at the end. Other's keys are distinct, so a
 * dead item is not looked for again (and one that were would stay dead): the
 * result is that of dropping each as it dies.
 */
int res_set_subtract(struct res_set *set, const struct res_set *other)
{
    MC_ASSERT(set != other);
    struct touched t = {{0}};
    int rc = 0;
    for (uint32_t j = 0; rc == 0 && j < other->count; j++) {
        int at = set_find(set, &other->items[j]);
        if (at < 0)
            continue;
        touched_set(&t, (uint32_t)at);
        rc = item_subtract(set->alloc, &set->items[at], &other->items[j]);
    }
    set_compact(set, &t);
    return rc;
}

int res_set_contains(const struct res_set *a, const struct res_set *b)
{
    for (uint32_t j = 0; j < b->count; j++) {
        int at = set_find(a, &b->items[j]);
        if (at < 0 || !item_contains(&a->items[at], &b->items[j]))
            return 0;
    }
    return 1;
}

/* out = a copy of src allocated to role, for the operations that cannot do without it. */
static int allocated_copy(struct res_set *out, const struct res_set *src, const char *role)
{
    int rc = res_set_copy(out, src);
    if (rc == 0)
        rc = res_set_allocate(out, role);
    return rc;
}

/*
 * Where each item of other is in set, as at[j] (-1 for an empty one, when
 * skip_empty: an allocated copy would not have it), each looked for as
 * allocated to role (NULL: its own allocation role). MC_EINVAL unless set
 * contains every one. Both sets keep one order of keys, so each search
 * starts after the item found before.
 */
static int items_locate(const struct res_set *set, const struct res_set *other, const char *role,
                        int skip_empty, int *at)
{
    MC_ASSERT(other->count <= MC_RES_ITEMS_MAX);
    uint32_t from = 0;
    for (uint32_t j = 0; j < other->count; j++) {
        const struct res_item *o = &other->items[j];
        at[j] = -1;
        if (skip_empty && item_empty(o))
            continue;
        at[j] = set_find_from(set, o, role != NULL ? role : o->allocation_role, from);
        if (at[j] < 0 || !item_contains(&set->items[at[j]], o))
            return MC_EINVAL;
        from = (uint32_t)at[j] + 1;
    }
    return 0;
}

/*
 * One search per item of other: all are found (and checked) before any is
 * subtracted, and the dead ones are dropped at the end. Other's keys are
 * distinct, so each item of set is subtracted from at most once, and the
 * result is res_set_subtract's, items removed as they die.
 */
int res_set_take(struct res_set *set, const struct res_set *other, const char *role)
{
    MC_ASSERT(set != other);
    if (role != NULL && !role_fits(role))
        return MC_EINVAL;
    if (role != NULL && !set_one_allocation_role(other)) {
        struct res_set allocated;
        res_set_init(&allocated, set->alloc);
        int rc = allocated_copy(&allocated, other, role);
        if (rc == 0)
            rc = res_set_take(set, &allocated, NULL);
        res_set_deinit(&allocated);
        return rc;
    }
    int at[MC_RES_ITEMS_MAX];
    if (items_locate(set, other, role, role != NULL, at) != 0)
        return MC_EINVAL;
    struct touched t = {{0}};
    int rc = 0;
    for (uint32_t j = 0; rc == 0 && j < other->count; j++) {
        if (at[j] < 0)
            continue;
        touched_set(&t, (uint32_t)at[j]);
        rc = item_subtract(set->alloc, &set->items[at[j]], &other->items[j]);
    }
    set_compact(set, &t);
    return rc;
}

int res_set_add_allocated(struct res_set *set, const struct res_set *other, const char *role)
{
    MC_ASSERT(set != other && role != NULL);
    if (!role_fits(role))
        return MC_EINVAL;
    if (!set_one_allocation_role(other)) {
        struct res_set allocated;
        res_set_init(&allocated, set->alloc);
        int rc = allocated_copy(&allocated, other, role);
        if (rc == 0)
            rc = res_set_add(set, &allocated);
        res_set_deinit(&allocated);
        return rc;
    }
    for (uint32_t i = 0; i < other->count; i++) {
        int rc = set_add_item_as(set, &other->items[i], role);
        if (rc != 0)
            return rc;
    }
    return 0;
}

/*
 * 1 when taking o from s (which contains it) leaves nothing of s, and s is
 * what adding o to a set without its key would make: then s itself can
 * move. Set items are left out: their element order may differ from o's.
 */
static int item_moves_whole(const struct res_item *s, const struct res_item *o)
{
    if (s->detail_flags != o->detail_flags)
        return 0;
    switch (s->type) {
    case RES_TYPE_SCALAR:
        return s->scalar_milli == o->scalar_milli;
    case RES_TYPE_RANGES:
        return s->ranges_count == o->ranges_count &&
               memcmp(s->ranges, o->ranges, s->ranges_count * sizeof(*s->ranges)) == 0;
    case RES_TYPE_SET:
        return 0;
    }
    MC_UNREACHABLE();
}

/* Appends s to set, allocated to alloc, taking over its storage; s is left empty (dead). */
static int set_append_moved(struct res_set *set, struct res_item *s, const char *alloc)
{
    int room = set_room(set);
    if (room != 0)
        return room;
    struct res_item *d = &set->items[set->count++];
    text_copy(d->name, s->name);
    text_copy(d->role, s->role);
    text_copy(d->allocation_role, alloc);
    d->reservation = s->reservation;
    d->type = s->type;
    d->scalar_milli = s->scalar_milli;
    d->detail_flags = s->detail_flags;
    d->ranges = s->ranges;
    d->ranges_count = s->ranges_count;
    d->ranges_cap = s->ranges_cap;
    d->elements = s->elements;
    d->elements_count = s->elements_count;
    d->elements_cap = s->elements_cap;
    d->detail = s->detail;
    d->detail_bytes = s->detail_bytes;
    s->scalar_milli = 0;
    s->ranges = NULL;
    s->ranges_count = s->ranges_cap = 0;
    s->elements = NULL;
    s->elements_count = s->elements_cap = 0;
    s->detail = NULL;
    return 0;
}

/*
 * Every item of other is found in src first (none moves unless all are
 * there). Then each goes to dst (merged, or appended in other's order, as
 * res_set_add_allocated) and leaves src (as res_set_take); an item of src
 * that other takes whole, for a key dst does not have, moves as it is.
 */
int res_set_move(struct res_set *dst, const char *dst_role, struct res_set *src,
                 const char *src_role, const struct res_set *other)
{
    MC_ASSERT(dst != src && dst != other && src != other && dst_role != NULL && src_role != NULL);
    if (!role_fits(dst_role) || !role_fits(src_role))
        return MC_EINVAL;
    if (!set_one_allocation_role(other)) {
        int rc = res_set_take(src, other, src_role);
        return rc != 0 ? rc : res_set_add_allocated(dst, other, dst_role);
    }
    int at[MC_RES_ITEMS_MAX];
    if (items_locate(src, other, src_role, 1, at) != 0)
        return MC_EINVAL;
    struct touched t = {{0}};
    int rc = 0;
    for (uint32_t j = 0; rc == 0 && j < other->count; j++) {
        if (at[j] < 0)
            continue;
        const struct res_item *o = &other->items[j];
        struct res_item *s = &src->items[at[j]];
        touched_set(&t, (uint32_t)at[j]);
        if (set_find_as(dst, o, dst_role) < 0 && item_moves_whole(s, o)) {
            rc = set_append_moved(dst, s, dst_role);
            continue;
        }
        rc = set_add_item_as(dst, o, dst_role);
        if (rc == 0)
            rc = item_subtract(src->alloc, s, o);
    }
    set_compact(src, &t);
    return rc;
}

int res_set_equal(const struct res_set *a, const struct res_set *b)
{
    return res_set_contains(a, b) && res_set_contains(b, a);
}

int res_set_empty(const struct res_set *set)
{
    return set->count == 0;
}

int64_t res_set_scalar_milli(const struct res_set *set, const char *name)
{
    int64_t sum = 0;
    for (const struct res_item *it = set->items, *end = it + set->count; it < end; it++)
        if (it->name[0] == name[0] && it->type == RES_TYPE_SCALAR && res_text_equal(it->name, name))
            sum += it->scalar_milli;
    return sum;
}

int res_set_allocate(struct res_set *set, const char *role)
{
    MC_ASSERT(role != NULL);
    if (!role_fits(role))
        return MC_EINVAL;
    if (set_one_allocation_role(set)) {
        for (uint32_t i = 0; i < set->count; i++)
            text_copy(set->items[i].allocation_role, role);
        return 0;
    }
    struct res_set merged;
    res_set_init(&merged, set->alloc);
    for (uint32_t i = 0; i < set->count; i++)
        strcpy(set->items[i].allocation_role, role);
    /* Items that differed only by allocation role now share a key: merge them. */
    int rc = res_set_add(&merged, set);
    if (rc == 0) {
        res_set_deinit(set);
        *set = merged;
        return 0;
    }
    res_set_deinit(&merged);
    return rc;
}

/* 1 when a resource reserved to reserved_role may go to role (itself or a descendant). */
static int role_is_self_or_descendant(const char *role, const char *reserved_role)
{
    size_t n = strlen(reserved_role);
    return strncmp(role, reserved_role, n) == 0 && (role[n] == '\0' || role[n] == '/');
}

int res_item_allocatable_to(const struct res_item *item, const char *role)
{
    return item->reservation == RES_RESERVATION_NONE ||
           role_is_self_or_descendant(role, item->role);
}

int res_set_allocatable_to(struct res_set *dst, const struct res_set *src, const char *role)
{
    MC_ASSERT(dst != src && role != NULL);
    res_set_clear(dst);
    for (uint32_t i = 0; i < src->count; i++) {
        const struct res_item *item = &src->items[i];
        if (!res_item_allocatable_to(item, role))
            continue;
        int rc = res_set_add_item(dst, item);
        if (rc != 0)
            return rc;
    }
    return 0;
}

static int item_key_init(struct res_item *item, const char *name, const char *role, enum res_type type)
{
    memset(item, 0, sizeof(*item));
    if (strlen(name) >= MC_RES_NAME_BYTES_MAX || (role && strlen(role) >= MC_RES_ROLE_BYTES_MAX))
        return MC_EINVAL;
    strcpy(item->name, name);
    int reserved = role != NULL && strcmp(role, RES_ROLE_UNRESERVED) != 0;
    strcpy(item->role, reserved ? role : RES_ROLE_UNRESERVED);
    item->reservation = reserved ? RES_RESERVATION_STATIC : RES_RESERVATION_NONE;
    item->type = type;
    return 0;
}

int res_set_add_scalar(struct res_set *set, const char *name, const char *role, int64_t milli)
{
    struct res_item item;
    int rc = item_key_init(&item, name, role, RES_TYPE_SCALAR);
    if (rc != 0)
        return rc;
    if (milli < 0 || milli > MC_RES_SCALAR_MILLI_MAX)
        return MC_EINVAL;
    item.scalar_milli = milli;
    return res_set_add_item(set, &item);
}

int res_set_add_range(struct res_set *set, const char *name, const char *role, uint64_t begin,
                      uint64_t end)
{
    struct res_item item;
    int rc = item_key_init(&item, name, role, RES_TYPE_RANGES);
    if (rc != 0)
        return rc;
    if (begin > end)
        return MC_EINVAL;
    struct res_range range = {begin, end};
    item.ranges = &range;
    item.ranges_count = item.ranges_cap = 1;
    return res_set_add_item(set, &item);
}

/* ---- scalars ---- */

/*
 * llround without libm: the fraction x - trunc(x) is exact for the |x| we
 * accept (below 2^63 thousandths are checked first), so halves round away
 * from zero exactly as llround does.
 */
static int64_t round_half_away(double x)
{
    int64_t t = (int64_t)x;
    double frac = x - (double)t;
    if (frac >= 0.5)
        t++;
    else if (frac <= -0.5)
        t--;
    return t;
}

int res_scalar_from_double(double value, int64_t *milli_out)
{
    MC_ASSERT(milli_out != NULL);
    if (!isfinite(value))
        return MC_EINVAL;
    double scaled = value * 1000.0;
    if (scaled > (double)MC_RES_SCALAR_MILLI_MAX || scaled < -(double)MC_RES_SCALAR_MILLI_MAX)
        return MC_EINVAL;
    *milli_out = round_half_away(scaled);
    return 0;
}

double res_scalar_to_double(int64_t milli)
{
    /* Integer division first keeps the floating division to [0, 999]. */
    double quotient = (double)(milli / 1000);
    double remainder = (double)(milli % 1000) / 1000.0;
    return quotient + remainder;
}

/* ---- the agent flag syntax (Mesos' Resources::fromSimpleString) ---- */

/* A piece of the input text: its start offset and its length. */
struct piece {
    size_t at;
    size_t len;
};

/*
 * The next piece of text[from, end) between delimiters, skipping empty ones
 * as stout's strings::tokenize does. Returns 0 when there is none left.
 */
static int piece_next(const char *text, size_t end, size_t *from, const char *delims,
                      struct piece *out)
{
    size_t i = *from;
    while (i < end && strchr(delims, text[i]) != NULL)
        i++;
    if (i >= end)
        return 0;
    size_t j = i;
    while (j < end && strchr(delims, text[j]) == NULL)
        j++;
    out->at = i;
    out->len = j - i;
    *from = j;
    return 1;
}

/* Trims stout's whitespace (" \t\n\r") from both ends of a piece. */
static struct piece piece_trim(const char *text, struct piece p)
{
    while (p.len > 0 && strchr(" \t\n\r", text[p.at]) != NULL) {
        p.at++;
        p.len--;
    }
    while (p.len > 0 && strchr(" \t\n\r", text[p.at + p.len - 1]) != NULL)
        p.len--;
    return p;
}

/* What one token parses into, before validation. */
struct parsed {
    struct res_item item;
    struct piece token;
    struct piece value;
};

/* 1 when the brackets open/close match as stout's checkBracketsMatching says. */
static int brackets_match(const char *s, char open, char close)
{
    long depth = 0;
    for (; *s; s++) {
        if (*s == open)
            depth++;
        else if (*s == close && --depth < 0)
            return 0;
    }
    return depth == 0;
}

/* Parses an unsigned 64-bit number: decimal, or hexadecimal after "0x". */
static int parse_u64(const char *s, size_t len, uint64_t *out)
{
    int base = 10;
    if (len > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        base = 16;
        s += 2;
        len -= 2;
    }
    if (len == 0)
        return -1;
    uint64_t v = 0;
    for (size_t i = 0; i < len; i++) {
        int d;
        if (s[i] >= '0' && s[i] <= '9')
            d = s[i] - '0';
        else if (base == 16 && s[i] >= 'a' && s[i] <= 'f')
            d = s[i] - 'a' + 10;
        else if (base == 16 && s[i] >= 'A' && s[i] <= 'F')
            d = s[i] - 'A' + 10;
        else
            return -1;
        if (v > (UINT64_MAX - (uint64_t)d) / (uint64_t)base)
            return -1;
        v = v * (uint64_t)base + (uint64_t)d;
    }
    *out = v;
    return 0;
}

/* Ranges "[a-b,c-d]" (already without spaces). Fills err on a parse error. */
static int parse_ranges(const struct mc_alloc *alloc, const char *v, struct res_item *item,
                        char *err, size_t err_bytes)
{
    struct piece tok[2];
    size_t pos = 0, len = strlen(v), n = 0;
    item->type = RES_TYPE_RANGES;
    while (piece_next(v, len, &pos, "[]-,\n", &tok[n % 2])) {
        n++;
        if (n % 2 == 1)
            continue;
        uint64_t begin, end;
        if (parse_u64(v + tok[0].at, tok[0].len, &begin) != 0 ||
            parse_u64(v + tok[1].at, tok[1].len, &end) != 0) {
            snprintf(err, err_bytes, "Expecting non-negative integers in '%.*s'",
                     (int)tok[0].len, v + tok[0].at);
            return MC_EPARSE;
        }
        int rc = ranges_reserve(alloc, item, (uint64_t)item->ranges_count + 1);
        if (rc != 0)
            return rc;
        item->ranges[item->ranges_count++] = (struct res_range){begin, end};
    }
    if (n % 2 != 0) {
        snprintf(err, err_bytes, "Expecting one or more \"ranges\"");
        return MC_EPARSE;
    }
    return 0;
}

/* A set "{a,b}" (already without spaces). */
static int parse_elements(const struct mc_alloc *alloc, const char *v, struct res_item *item,
                          char *err, size_t err_bytes)
{
    struct piece tok;
    size_t pos = 0, len = strlen(v);
    item->type = RES_TYPE_SET;
    while (piece_next(v, len, &pos, "{},\n", &tok)) {
        if (tok.len >= MC_RES_ELEMENT_BYTES_MAX) {
            snprintf(err, err_bytes, "set element longer than %u bytes",
                     MC_RES_ELEMENT_BYTES_MAX - 1u);
            return MC_ELIMIT;
        }
        int rc = elements_reserve(alloc, item, (uint64_t)item->elements_count + 1);
        if (rc != 0)
            return rc;
        item->elements[item->elements_count] = mc_strndup(alloc, v + tok.at, tok.len);
        if (item->elements[item->elements_count] == NULL)
            return MC_ENOMEM;
        item->elements_count++;
    }
    return 0;
}

/*
 * A scalar as stout's numify<double> and values::parse read it. Returns 1
 * for a scalar, 0 for a text (Mesos then calls the type TEXT), or MC_EPARSE.
 */
static int parse_scalar(const char *v, struct res_item *item, char *err, size_t err_bytes)
{
    const char *digits = (v[0] == '+' || v[0] == '-') ? v + 1 : v;
    if (v[0] == '\0' || strchr(" \t\n\v\f\r", v[0]) != NULL ||
        (digits[0] == '0' && (digits[1] == 'x' || digits[1] == 'X')))
        return 0;
    char *end = NULL;
    double d = strtod(v, &end);
    if (end == NULL || *end != '\0' || !isfinite(d))
        return 0;
    if (fpclassify(d) == FP_SUBNORMAL) {
        snprintf(err, err_bytes, "Subnormal values not supported");
        return MC_EPARSE;
    }
    if (d < 0)
        return 0; /* Mesos turns a negative number into a text. */
    item->type = RES_TYPE_SCALAR;
    /*
     * A positive value that rounds to 0 thousandths, or one whose thousandths
     * overflow Mesos' llround (to a negative number), is marked -1: the
     * validation then fails it with "value <= 0" as Mesos does. One that
     * Mesos would take but is past our fixed-point limit is marked -2.
     */
    if (d * 1000.0 >= 9.2e18)
        item->scalar_milli = -1;
    else if (res_scalar_from_double(d, &item->scalar_milli) != 0)
        item->scalar_milli = -2;
    else if (d != 0 && item->scalar_milli <= 0)
        item->scalar_milli = -1;
    return 1;
}

/* values::parse on the space-free value v; err gets values::parse's text. */
static int parse_value(const struct mc_alloc *alloc, const char *v, struct res_item *item,
                       char *err, size_t err_bytes)
{
    if (v[0] == '\0') {
        snprintf(err, err_bytes, "Expecting non-empty string");
        return MC_EPARSE;
    }
    if (!brackets_match(v, '{', '}') || !brackets_match(v, '[', ']') ||
        !brackets_match(v, '(', ')')) {
        snprintf(err, err_bytes, "Mismatched brackets");
        return MC_EPARSE;
    }
    const char *bracket = strchr(v, '[');
    if (bracket == v)
        return parse_ranges(alloc, v, item, err, err_bytes);
    if (bracket != NULL) {
        snprintf(err, err_bytes, "Unexpected '[' found");
        return MC_EPARSE;
    }
    const char *brace = strchr(v, '{');
    if (brace == v)
        return parse_elements(alloc, v, item, err, err_bytes);
    if (brace != NULL) {
        snprintf(err, err_bytes, "Unexpected '{' found");
        return MC_EPARSE;
    }
    int rc = parse_scalar(v, item, err, err_bytes);
    if (rc < 0)
        return rc;
    if (rc == 0) {
        err[0] = '\0'; /* a text: the caller reports the bad type */
        return MC_EUNSUPPORTED;
    }
    return 0;
}

/* Copies a piece into a fixed array; MC_ELIMIT when it does not fit. */
static int piece_copy(const char *text, struct piece p, char *out, size_t out_bytes)
{
    if (p.len >= out_bytes)
        return MC_ELIMIT;
    memcpy(out, text + p.at, p.len);
    out[p.len] = '\0';
    return 0;
}

/* Splits "name(role)" as Mesos does: text after ')' is ignored. */
static int parse_name_role(const char *text, struct piece token, struct piece key,
                           struct res_item *item, struct mc_diag *diag)
{
    const char *open = memchr(text + key.at, '(', key.len);
    struct piece name = key, role = {0, 0};
    if (open != NULL) {
        const char *close = memchr(text + key.at, ')', key.len);
        if (close == NULL || close < open) {
            mc_diag_set_at(diag, token.at, "Bad value for resources, mismatched parentheses in %.*s",
                           (int)token.len, text + token.at);
            return MC_EPARSE;
        }
        name.len = (size_t)(open - (text + key.at));
        role.at = (size_t)(open - text) + 1;
        role.len = (size_t)(close - open) - 1;
        role = piece_trim(text, role);
    }
    name = piece_trim(text, name);
    if (piece_copy(text, name, item->name, sizeof(item->name)) != 0) {
        mc_diag_set_at(diag, name.at, "resource name longer than %u bytes in %.*s",
                       MC_RES_NAME_BYTES_MAX - 1u, (int)token.len, text + token.at);
        return MC_ELIMIT;
    }
    if (open == NULL) {
        strcpy(item->role, RES_ROLE_UNRESERVED);
    } else if (piece_copy(text, role, item->role, sizeof(item->role)) != 0) {
        mc_diag_set_at(diag, role.at, "role longer than %u bytes in %.*s",
                       MC_RES_ROLE_BYTES_MAX - 1u, (int)token.len, text + token.at);
        return MC_ELIMIT;
    }
    /* Mesos reserves statically whenever the role is not "*", even "". */
    item->reservation = (open != NULL && strcmp(item->role, RES_ROLE_UNRESERVED) != 0)
                            ? RES_RESERVATION_STATIC
                            : RES_RESERVATION_NONE;
    return 0;
}

/* Parses one ';'-token into out (syntax only, as Mesos' first pass). */
static int parse_token(const struct mc_alloc *alloc, const char *text, struct piece token,
                       struct parsed *out, struct mc_diag *diag)
{
    struct piece parts[3];
    size_t pos = token.at, n = 0;
    while (n < 3 && piece_next(text, token.at + token.len, &pos, ":", &parts[n]))
        n++;
    if (n != 2) {
        mc_diag_set_at(diag, token.at, "Bad value for resources, missing or extra ':' in %.*s",
                       (int)token.len, text + token.at);
        return MC_EPARSE;
    }
    memset(out, 0, sizeof(*out));
    out->token = token;
    out->value = parts[1];
    int rc = parse_name_role(text, token, parts[0], &out->item, diag);
    if (rc != 0)
        return rc;
    char *v = mc_malloc(alloc, parts[1].len + 1);
    if (v == NULL)
        return MC_ENOMEM;
    size_t vl = 0;
    for (size_t i = 0; i < parts[1].len; i++)
        if (text[parts[1].at + i] != ' ')
            v[vl++] = text[parts[1].at + i];
    v[vl] = '\0';
    char err[MC_DIAG_TEXT_BYTES_MAX];
    rc = parse_value(alloc, v, &out->item, err, sizeof(err));
    mc_free(alloc, v);
    if (rc == MC_EUNSUPPORTED) {
        mc_diag_set_at(diag, parts[1].at, "Bad type for resource %s value %.*s type TEXT",
                       out->item.name, (int)parts[1].len, text + parts[1].at);
        return MC_EPARSE;
    }
    if (rc == MC_EPARSE || rc == MC_ELIMIT)
        mc_diag_set_at(diag, parts[1].at, "Failed to parse resource %s value %.*s error %s",
                       out->item.name, (int)parts[1].len, text + parts[1].at, err);
    return rc;
}

/* Mesos' roles::validate; writes its text into err. */
static int role_validate(const char *role, char *err, size_t err_bytes)
{
    if (strcmp(role, RES_ROLE_UNRESERVED) == 0)
        return 0;
    size_t len = strlen(role);
    if (len > 0 && role[0] == '/')
        return snprintf(err, err_bytes, "Role '%s' cannot start with a slash", role), -1;
    if (len > 0 && role[len - 1] == '/')
        return snprintf(err, err_bytes, "Role '%s' cannot end with a slash", role), -1;
    if (strstr(role, "//") != NULL)
        return snprintf(err, err_bytes, "Role '%s' cannot contain two adjacent slashes", role), -1;
    if (len == 0)
        return snprintf(err, err_bytes, "Role names cannot be the empty string"), -1;
    for (const char *c = role; *c;) {
        size_t n = strcspn(c, "/");
        if ((n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.'))
            return snprintf(err, err_bytes, "Role '%s' cannot include '%.*s' as a component",
                            role, (int)n, c), -1;
        if (n == 1 && c[0] == '*')
            return snprintf(err, err_bytes, "Role '%s' cannot include '*' as a component", role), -1;
        if (c[0] == '-')
            return snprintf(err, err_bytes,
                            "Role component '%.*s' is invalid because it starts with a dash",
                            (int)n, c), -1;
        for (size_t i = 0; i < n; i++)
            if (strchr("\x09\x0a\x0b\x0c\x0d\x20\x7f", c[i]) != NULL)
                return snprintf(err, err_bytes,
                                "Role component '%.*s' is invalid because it contains "
                                "backspace or whitespace", (int)n, c), -1;
        c += n;
        c += *c == '/';
    }
    return 0;
}

/* The value checks of Mesos' Resources::validate on one parsed item. */
static const char *item_validate_value(const struct res_item *item)
{
    if (item->name[0] == '\0')
        return "Empty resource name";
    if (item->type == RES_TYPE_SCALAR && item->scalar_milli == -1)
        return "Invalid scalar resource: value <= 0";
    for (uint32_t i = 0; item->type == RES_TYPE_RANGES && i < item->ranges_count; i++)
        if (item->ranges[i].begin > item->ranges[i].end)
            return "Invalid ranges resource: begin > end";
    for (uint32_t i = 0; item->type == RES_TYPE_SET && i < item->elements_count; i++)
        for (uint32_t j = i + 1; j < item->elements_count; j++)
            if (strcmp(item->elements[i], item->elements[j]) == 0)
                return "Invalid set resource: duplicated elements";
    return NULL;
}

/* Validates a parsed token as Resources::parse does after the syntax pass. */
static int parsed_validate(const char *text, struct parsed *p, struct mc_diag *diag)
{
    p->item.ranges_count = ranges_coalesce(p->item.ranges, p->item.ranges_count);
    if (p->item.type == RES_TYPE_SCALAR && p->item.scalar_milli == -2) {
        mc_diag_set_at(diag, p->value.at, "scalar %s above 10^12 is not supported", p->item.name);
        return MC_ELIMIT;
    }
    const char *bad = item_validate_value(&p->item);
    if (bad != NULL) {
        mc_diag_set_at(diag, p->token.at, "%s", bad);
        return MC_EPARSE;
    }
    char err[MC_DIAG_TEXT_BYTES_MAX];
    if (p->item.reservation != RES_RESERVATION_NONE &&
        role_validate(p->item.role, err, sizeof(err)) != 0) {
        mc_diag_set_at(diag, p->token.at, "%s", err);
        return MC_EPARSE;
    }
    if (p->item.ranges_count > MC_RES_RANGES_MAX) {
        mc_diag_set_at(diag, p->value.at, "more than %u ranges in %s", MC_RES_RANGES_MAX,
                       p->item.name);
        return MC_ELIMIT;
    }
    (void)text;
    return 0;
}

/*
 * Mesos' validateCommandLineResources, run after every token is valid: one
 * name may not have two types. It looks at the merged result, so empty
 * items (dropped there) take no part.
 */
static int parsed_check_types(const struct parsed *p, size_t count, struct mc_diag *diag)
{
    for (size_t k = 0; k < count; k++) {
        for (size_t i = 0; !item_empty(&p[k].item) && i < k; i++) {
            if (!item_empty(&p[i].item) && p[i].item.type != p[k].item.type &&
                strcmp(p[i].item.name, p[k].item.name) == 0) {
                mc_diag_set_at(diag, p[k].token.at,
                               "Resources with the same name ('%s') but different types are "
                               "not allowed", p[k].item.name);
                return MC_EPARSE;
            }
        }
    }
    return 0;
}

static void parsed_free(const struct mc_alloc *alloc, struct parsed *p, size_t count)
{
    for (size_t i = 0; i < count; i++)
        item_deinit(alloc, &p[i].item);
    mc_free(alloc, p);
}

/* Mesos' first pass: every token is parsed before any is validated. */
static int parse_all(const struct mc_alloc *alloc, const char *text, size_t len,
                     struct parsed **out, size_t *out_count, struct mc_diag *diag)
{
    size_t cap = 1, pos = 0, n = 0;
    struct piece token;
    for (size_t i = 0; i < len; i++)
        cap += text[i] == ';';
    struct parsed *p = mc_calloc(alloc, cap, sizeof(*p));
    if (p == NULL)
        return MC_ENOMEM;
    while (piece_next(text, len, &pos, ";", &token)) {
        MC_ASSERT(n < cap);
        int rc = parse_token(alloc, text, token, &p[n], diag);
        n++; /* the item may own storage even on error */
        if (rc != 0) {
            parsed_free(alloc, p, n);
            return rc;
        }
    }
    *out = p;
    *out_count = n;
    return 0;
}

int res_parse(const char *text, struct res_set *out, struct mc_diag *diag)
{
    MC_ASSERT(text != NULL && out != NULL);
    size_t len = strnlen(text, MC_RES_TEXT_BYTES_MAX + 1);
    if (len > MC_RES_TEXT_BYTES_MAX) {
        mc_diag_set_at(diag, MC_RES_TEXT_BYTES_MAX, "resources text longer than %u bytes",
                       MC_RES_TEXT_BYTES_MAX);
        return MC_ELIMIT;
    }
    /* Mesos reads the text as a JSON array when it is one, else as flag syntax. */
    size_t first = strspn(text, " \t\n\r");
    if (text[first] == '[') {
        json_t *json = json_loadb(text, len, JSON_DECODE_ANY, NULL);
        int is_array = json_is_array(json);
        json_decref(json);
        if (is_array) {
            mc_diag_set_at(diag, first, "resources given as JSON are not supported");
            return MC_EUNSUPPORTED;
        }
    }
    struct parsed *p = NULL;
    size_t n = 0;
    int rc = parse_all(out->alloc, text, len, &p, &n, diag);
    if (rc != 0)
        return rc;
    for (size_t i = 0; i < n && rc == 0; i++) {
        rc = parsed_validate(text, &p[i], diag);
        if (rc == 0) {
            rc = res_set_add_item(out, &p[i].item);
            if (rc == MC_ELIMIT)
                mc_diag_set_at(diag, p[i].token.at,
                               "resources past a limit (%u items, %u ranges, or a scalar "
                               "above 10^12)", MC_RES_ITEMS_MAX, MC_RES_RANGES_MAX);
        }
    }
    if (rc == 0)
        rc = parsed_check_types(p, n, diag);
    parsed_free(out->alloc, p, n);
    return rc;
}

/* ---- writing the flag syntax ---- */

/* Appends printf output at *len; returns -1 once out is full. */
static int fmt_append(char *out, size_t out_bytes, size_t *len, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int fmt_append(char *out, size_t out_bytes, size_t *len, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(out + *len, out_bytes - *len, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= out_bytes - *len) {
        *len = out_bytes - 1;
        return -1;
    }
    *len += (size_t)n;
    return 0;
}

/* Writes thousandths exactly: the whole part, then up to three decimals. */
static int format_scalar(int64_t milli, char *out, size_t out_bytes, size_t *len)
{
    MC_ASSERT(milli >= 0);
    int64_t frac = milli % 1000;
    if (frac == 0)
        return fmt_append(out, out_bytes, len, "%lld", (long long)(milli / 1000));
    char digits[4];
    snprintf(digits, sizeof(digits), "%03lld", (long long)frac);
    for (int i = 2; i > 0 && digits[i] == '0'; i--)
        digits[i] = '\0';
    return fmt_append(out, out_bytes, len, "%lld.%s", (long long)(milli / 1000), digits);
}

static int format_item(const struct res_item *item, char *out, size_t out_bytes, size_t *len)
{
    int bad = fmt_append(out, out_bytes, len, "%s", item->name);
    if (item->reservation != RES_RESERVATION_NONE)
        bad |= fmt_append(out, out_bytes, len, "(%s)", item->role);
    bad |= fmt_append(out, out_bytes, len, ":");
    switch (item->type) {
    case RES_TYPE_SCALAR:
        return bad | format_scalar(item->scalar_milli, out, out_bytes, len);
    case RES_TYPE_RANGES:
        bad |= fmt_append(out, out_bytes, len, "[");
        for (uint32_t i = 0; i < item->ranges_count; i++)
            bad |= fmt_append(out, out_bytes, len, "%s%llu-%llu", i ? "," : "",
                              (unsigned long long)item->ranges[i].begin,
                              (unsigned long long)item->ranges[i].end);
        return bad | fmt_append(out, out_bytes, len, "]");
    case RES_TYPE_SET:
        bad |= fmt_append(out, out_bytes, len, "{");
        for (uint32_t i = 0; i < item->elements_count; i++)
            bad |= fmt_append(out, out_bytes, len, "%s%s", i ? "," : "", item->elements[i]);
        return bad | fmt_append(out, out_bytes, len, "}");
    }
    MC_UNREACHABLE();
}

int res_set_format(const struct res_set *set, char *out, size_t out_bytes)
{
    MC_ASSERT(out != NULL && out_bytes > 0);
    size_t len = 0;
    int bad = 0;
    out[0] = '\0';
    for (uint32_t i = 0; i < set->count && !bad; i++) {
        if (i > 0)
            bad |= fmt_append(out, out_bytes, &len, ";");
        bad |= format_item(&set->items[i], out, out_bytes, &len);
    }
    if (bad || len > (size_t)INT32_MAX)
        return MC_ELIMIT;
    return (int)len;
}

/* ---- protobuf-c Resource messages ---- */

/*
 * Resource.role is deprecated in the proto, yet Mesos still writes it to
 * frameworks without RESERVATION_REFINEMENT (recorded: o.offers-shape) and
 * still reads it; only these two helpers touch it.
 */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
static const char *resource_role_get(const Mesos__V1__Resource *r)
{
    int has = r->role != NULL && r->role != mesos__v1__resource__role__default_value;
    return has ? r->role : NULL;
}

static void resource_role_set(Mesos__V1__Resource *r, char *role)
{
    r->role = role;
}
#pragma GCC diagnostic pop

/* Builds the value part of one message; every allocation is reachable from r. */
static int to_proto_value(const struct res_item *item, const struct mc_alloc *alloc,
                          Mesos__V1__Resource *r)
{
    if (item->type == RES_TYPE_SCALAR) {
        r->type = MESOS__V1__VALUE__TYPE__SCALAR;
        r->scalar = mc_malloc(alloc, sizeof(*r->scalar));
        if (r->scalar == NULL)
            return MC_ENOMEM;
        mesos__v1__value__scalar__init(r->scalar);
        r->scalar->value = res_scalar_to_double(item->scalar_milli);
        return 0;
    }
    if (item->type == RES_TYPE_RANGES) {
        r->type = MESOS__V1__VALUE__TYPE__RANGES;
        r->ranges = mc_malloc(alloc, sizeof(*r->ranges));
        if (r->ranges == NULL)
            return MC_ENOMEM;
        mesos__v1__value__ranges__init(r->ranges);
        r->ranges->range = mc_calloc(alloc, item->ranges_count, sizeof(*r->ranges->range));
        if (r->ranges->range == NULL)
            return MC_ENOMEM;
        for (uint32_t i = 0; i < item->ranges_count; i++) {
            Mesos__V1__Value__Range *range = mc_malloc(alloc, sizeof(*range));
            if (range == NULL)
                return MC_ENOMEM;
            mesos__v1__value__range__init(range);
            range->begin = item->ranges[i].begin;
            range->end = item->ranges[i].end;
            r->ranges->range[r->ranges->n_range++] = range;
        }
        return 0;
    }
    r->type = MESOS__V1__VALUE__TYPE__SET;
    r->set = mc_malloc(alloc, sizeof(*r->set));
    if (r->set == NULL)
        return MC_ENOMEM;
    mesos__v1__value__set__init(r->set);
    r->set->item = mc_calloc(alloc, item->elements_count, sizeof(*r->set->item));
    if (r->set->item == NULL)
        return MC_ENOMEM;
    for (uint32_t i = 0; i < item->elements_count; i++) {
        r->set->item[i] = mc_strdup(alloc, item->elements[i]);
        if (r->set->item[i] == NULL)
            return MC_ENOMEM;
        r->set->n_item = i + 1;
    }
    return 0;
}

static int detail_to_proto(const struct res_item *item, unsigned flags,
                           const struct mc_alloc *alloc, Mesos__V1__Resource *r);

/* The reservation part: the old role field, or reservations[] when asked. */
static int to_proto_role(const struct res_item *item, unsigned flags, const struct mc_alloc *alloc,
                         Mesos__V1__Resource *r)
{
    if (item->detail_bytes > 0)
        return detail_to_proto(item, flags, alloc, r); /* at the end of this file */
    if ((flags & RES_PROTO_RESERVATIONS) == 0) {
        /* A pointer of our own, never the default's, so that "*" is written. */
        char *role = mc_strdup(alloc, item->role);
        if (role == NULL)
            return MC_ENOMEM;
        resource_role_set(r, role);
        if (item->reservation == RES_RESERVATION_DYNAMIC) {
            r->reservation = mc_malloc(alloc, sizeof(*r->reservation));
            if (r->reservation == NULL)
                return MC_ENOMEM;
            mesos__v1__resource__reservation_info__init(r->reservation);
        }
        return 0;
    }
    if (item->reservation == RES_RESERVATION_NONE)
        return 0;
    r->reservations = mc_calloc(alloc, 1, sizeof(*r->reservations));
    if (r->reservations == NULL)
        return MC_ENOMEM;
    Mesos__V1__Resource__ReservationInfo *ri = mc_malloc(alloc, sizeof(*ri));
    if (ri == NULL)
        return MC_ENOMEM;
    mesos__v1__resource__reservation_info__init(ri);
    r->reservations[0] = ri;
    r->n_reservations = 1;
    ri->has_type = 1;
    ri->type = item->reservation == RES_RESERVATION_STATIC
                   ? MESOS__V1__RESOURCE__RESERVATION_INFO__TYPE__STATIC
                   : MESOS__V1__RESOURCE__RESERVATION_INFO__TYPE__DYNAMIC;
    ri->role = mc_strdup(alloc, item->role);
    return ri->role == NULL ? MC_ENOMEM : 0;
}

static int to_proto_item(const struct res_item *item, unsigned flags, const struct mc_alloc *alloc,
                         Mesos__V1__Resource *r)
{
    r->name = mc_strdup(alloc, item->name);
    if (r->name == NULL)
        return MC_ENOMEM;
    int rc = to_proto_value(item, alloc, r);
    if (rc == 0)
        rc = to_proto_role(item, flags, alloc, r);
    if (rc != 0 || (flags & RES_PROTO_ALLOCATION_INFO) == 0 || item->allocation_role[0] == '\0')
        return rc;
    r->allocation_info = mc_malloc(alloc, sizeof(*r->allocation_info));
    if (r->allocation_info == NULL)
        return MC_ENOMEM;
    mesos__v1__resource__allocation_info__init(r->allocation_info);
    r->allocation_info->role = mc_strdup(alloc, item->allocation_role);
    return r->allocation_info->role == NULL ? MC_ENOMEM : 0;
}

/*
 * res_set_to_proto carves the messages of items without detail, their
 * sub-messages, arrays and strings, from one block that starts with the
 * array of pointers, then a byte per resource: 1 for one built on its own
 * (an item with detail, whose parts protobuf-c unpacked), freed with
 * protobuf_c_message_free_unpacked. Every piece is aligned as malloc aligns.
 */
#define PROTO_ALIGN _Alignof(max_align_t)

struct proto_block {
    char *at;
    char *end;
};

static size_t proto_round(size_t bytes)
{
    return (bytes + PROTO_ALIGN - 1) / PROTO_ALIGN * PROTO_ALIGN;
}

static size_t proto_text_bytes(const char *s)
{
    return proto_round(strlen(s) + 1);
}

static void *block_take(struct proto_block *b, size_t bytes)
{
    void *p = b->at;
    b->at += proto_round(bytes);
    MC_ASSERT(b->at <= b->end); /* block_item_bytes counted it */
    return p;
}

static char *block_text(struct proto_block *b, const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = block_take(b, n);
    memcpy(p, s, n);
    return p;
}

/* What block_item takes for item, which has no detail. */
static size_t block_item_bytes(const struct res_item *item, unsigned flags)
{
    size_t n = proto_round(sizeof(Mesos__V1__Resource)) + proto_text_bytes(item->name);
    switch (item->type) {
    case RES_TYPE_SCALAR:
        n += proto_round(sizeof(Mesos__V1__Value__Scalar));
        break;
    case RES_TYPE_RANGES:
        n += proto_round(sizeof(Mesos__V1__Value__Ranges)) +
             proto_round(item->ranges_count * sizeof(Mesos__V1__Value__Range *)) +
             item->ranges_count * proto_round(sizeof(Mesos__V1__Value__Range));
        break;
    case RES_TYPE_SET:
        n += proto_round(sizeof(Mesos__V1__Value__Set)) +
             proto_round(item->elements_count * sizeof(char *));
        for (uint32_t i = 0; i < item->elements_count; i++)
            n += proto_text_bytes(item->elements[i]);
        break;
    }
    if ((flags & RES_PROTO_RESERVATIONS) == 0) {
        n += proto_text_bytes(item->role);
        if (item->reservation == RES_RESERVATION_DYNAMIC)
            n += proto_round(sizeof(Mesos__V1__Resource__ReservationInfo));
    } else if (item->reservation != RES_RESERVATION_NONE) {
        n += proto_round(sizeof(Mesos__V1__Resource__ReservationInfo *)) +
             proto_round(sizeof(Mesos__V1__Resource__ReservationInfo)) +
             proto_text_bytes(item->role);
    }
    if ((flags & RES_PROTO_ALLOCATION_INFO) && item->allocation_role[0] != '\0')
        n += proto_round(sizeof(Mesos__V1__Resource__AllocationInfo)) +
             proto_text_bytes(item->allocation_role);
    return n;
}

/* The message of an item without detail, as to_proto_item writes it, from the block. */
static Mesos__V1__Resource *block_item(const struct res_item *item, unsigned flags,
                                       struct proto_block *b)
{
    Mesos__V1__Resource *r = block_take(b, sizeof(*r));
    mesos__v1__resource__init(r);
    r->name = block_text(b, item->name);
    if (item->type == RES_TYPE_SCALAR) {
        r->type = MESOS__V1__VALUE__TYPE__SCALAR;
        r->scalar = block_take(b, sizeof(*r->scalar));
        mesos__v1__value__scalar__init(r->scalar);
        r->scalar->value = res_scalar_to_double(item->scalar_milli);
    } else if (item->type == RES_TYPE_RANGES) {
        r->type = MESOS__V1__VALUE__TYPE__RANGES;
        r->ranges = block_take(b, sizeof(*r->ranges));
        mesos__v1__value__ranges__init(r->ranges);
        r->ranges->range = block_take(b, item->ranges_count * sizeof(*r->ranges->range));
        for (uint32_t i = 0; i < item->ranges_count; i++) {
            Mesos__V1__Value__Range *range = block_take(b, sizeof(*range));
            mesos__v1__value__range__init(range);
            range->begin = item->ranges[i].begin;
            range->end = item->ranges[i].end;
            r->ranges->range[i] = range;
        }
        r->ranges->n_range = item->ranges_count;
    } else {
        r->type = MESOS__V1__VALUE__TYPE__SET;
        r->set = block_take(b, sizeof(*r->set));
        mesos__v1__value__set__init(r->set);
        r->set->item = block_take(b, item->elements_count * sizeof(*r->set->item));
        for (uint32_t i = 0; i < item->elements_count; i++)
            r->set->item[i] = block_text(b, item->elements[i]);
        r->set->n_item = item->elements_count;
    }
    if ((flags & RES_PROTO_RESERVATIONS) == 0) {
        /* A pointer of our own, never the default's, so that "*" is written. */
        resource_role_set(r, block_text(b, item->role));
        if (item->reservation == RES_RESERVATION_DYNAMIC) {
            r->reservation = block_take(b, sizeof(*r->reservation));
            mesos__v1__resource__reservation_info__init(r->reservation);
        }
    } else if (item->reservation != RES_RESERVATION_NONE) {
        r->reservations = block_take(b, sizeof(*r->reservations));
        Mesos__V1__Resource__ReservationInfo *ri = block_take(b, sizeof(*ri));
        mesos__v1__resource__reservation_info__init(ri);
        r->reservations[0] = ri;
        r->n_reservations = 1;
        ri->has_type = 1;
        ri->type = item->reservation == RES_RESERVATION_STATIC
                       ? MESOS__V1__RESOURCE__RESERVATION_INFO__TYPE__STATIC
                       : MESOS__V1__RESOURCE__RESERVATION_INFO__TYPE__DYNAMIC;
        ri->role = block_text(b, item->role);
    }
    if ((flags & RES_PROTO_ALLOCATION_INFO) && item->allocation_role[0] != '\0') {
        r->allocation_info = block_take(b, sizeof(*r->allocation_info));
        mesos__v1__resource__allocation_info__init(r->allocation_info);
        r->allocation_info->role = block_text(b, item->allocation_role);
    }
    return r;
}

/* The byte per resource after the array of pointers: 1 for one built on its own. */
static uint8_t *proto_separate(Mesos__V1__Resource **arr, size_t count)
{
    return (uint8_t *)(arr + count);
}

void res_proto_free(const struct mc_alloc *alloc, Mesos__V1__Resource **arr, size_t count)
{
    if (arr == NULL)
        return;
    /* protobuf-c frees a message tree through an allocator, skipping default strings. */
    ProtobufCAllocator pa;
    pbjson_allocator_init(&pa, alloc);
    const uint8_t *separate = proto_separate(arr, count);
    for (size_t i = 0; i < count; i++)
        if (separate[i] && arr[i] != NULL)
            protobuf_c_message_free_unpacked(&arr[i]->base, &pa);
    mc_free(alloc, arr);
}

int res_set_to_proto(const struct res_set *set, unsigned flags, const struct mc_alloc *alloc,
                     Mesos__V1__Resource ***out, size_t *out_count)
{
    MC_ASSERT(out != NULL && out_count != NULL);
    *out = NULL;
    *out_count = 0;
    size_t count = set->count;
    size_t head = proto_round(count * sizeof(Mesos__V1__Resource *)) + proto_round(count);
    size_t bytes = head ? head : PROTO_ALIGN;
    for (uint32_t i = 0; i < set->count; i++)
        if (set->items[i].detail_bytes == 0)
            bytes += block_item_bytes(&set->items[i], flags);
    Mesos__V1__Resource **arr = mc_malloc(alloc, bytes);
    if (arr == NULL)
        return MC_ENOMEM;
    uint8_t *separate = proto_separate(arr, count);
    for (size_t i = 0; i < count; i++) {
        arr[i] = NULL;
        separate[i] = set->items[i].detail_bytes > 0;
    }
    struct proto_block b = {(char *)arr + head, (char *)arr + bytes};
    for (uint32_t i = 0; i < set->count; i++) {
        const struct res_item *item = &set->items[i];
        if (!separate[i]) {
            arr[i] = block_item(item, flags, &b);
            continue;
        }
        arr[i] = mc_malloc(alloc, sizeof(*arr[i]));
        if (arr[i] != NULL)
            mesos__v1__resource__init(arr[i]);
        if (arr[i] == NULL || to_proto_item(item, flags, alloc, arr[i]) != 0) {
            res_proto_free(alloc, arr, count);
            return MC_ENOMEM;
        }
    }
    *out = arr;
    *out_count = count;
    return 0;
}

/* The value checks of Resources::validate on a message; NULL when fine. */
static const char *from_proto_value_check(const Mesos__V1__Resource *r)
{
    if (r->name == NULL || r->name[0] == '\0')
        return "Empty resource name";
    switch ((int)r->type) {
    case MESOS__V1__VALUE__TYPE__SCALAR: {
        if (r->scalar == NULL || r->ranges != NULL || r->set != NULL)
            return "Invalid scalar resource";
        int64_t milli = 0;
        double v = r->scalar->value;
        /* Past llround's range Mesos' fixed point goes negative: "<= 0" too. */
        if (v != 0 && (!isfinite(v) || v * 1000.0 >= 9.2e18 || v * 1000.0 <= -9.2e18))
            return "Invalid scalar resource: value <= 0";
        if (res_scalar_from_double(v, &milli) == 0 && v != 0 && milli <= 0)
            return "Invalid scalar resource: value <= 0";
        return NULL;
    }
    case MESOS__V1__VALUE__TYPE__RANGES:
        if (r->scalar != NULL || r->ranges == NULL || r->set != NULL)
            return "Invalid ranges resource";
        for (size_t i = 0; i < r->ranges->n_range; i++) {
            const Mesos__V1__Value__Range *a = r->ranges->range[i];
            if (a->begin > a->end)
                return "Invalid ranges resource: begin > end";
            /* Mesos looks only forward from each range; so do we, to agree with it. */
            for (size_t j = i + 1; j < r->ranges->n_range; j++)
                if (a->begin <= r->ranges->range[j]->begin && r->ranges->range[j]->begin <= a->end)
                    return "Invalid ranges resource: overlapping ranges";
        }
        return NULL;
    case MESOS__V1__VALUE__TYPE__SET:
        if (r->scalar != NULL || r->ranges != NULL || r->set == NULL)
            return "Invalid set resource";
        for (size_t i = 0; i < r->set->n_item; i++)
            for (size_t j = i + 1; j < r->set->n_item; j++)
                if (strcmp(r->set->item[i], r->set->item[j]) == 0)
                    return "Invalid set resource: duplicated elements";
        return NULL;
    case MESOS__V1__VALUE__TYPE__TEXT:
        return "Unsupported resource type";
    default:
        return "Invalid resource type";
    }
}

/* Resources::validate of one ReservationInfo (type and role set, a valid role, not "*"). */
static int reservation_info_check(const Mesos__V1__Resource__ReservationInfo *ri, char *err,
                                  size_t err_bytes)
{
    if (!ri->has_type)
        return snprintf(err, err_bytes, "Invalid reservation: 'Resource.ReservationInfo.type'"
                        " field must be set."), MC_EINVAL;
    if (ri->role == NULL)
        return snprintf(err, err_bytes, "Invalid reservation: 'Resource.ReservationInfo.role'"
                        " field must be set."), MC_EINVAL;
    if (role_validate(ri->role, err, err_bytes) != 0)
        return MC_EINVAL;
    if (strcmp(ri->role, RES_ROLE_UNRESERVED) == 0)
        return snprintf(err, err_bytes, "Invalid reservation: role \"*\" cannot be reserved"),
               MC_EINVAL;
    return 0;
}

/* Resources::validate for the pre-refinement format (no `reservations`). */
static int old_format_check(const Mesos__V1__Resource *r, char *err, size_t err_bytes)
{
    const char *old_role = resource_role_get(r);
    const char *role = old_role != NULL ? old_role : RES_ROLE_UNRESERVED;
    if (role_validate(role, err, err_bytes) != 0)
        return MC_EINVAL;
    if (r->reservation == NULL)
        return 0;
    if (r->reservation->has_type)
        return snprintf(err, err_bytes, "'Resource.ReservationInfo.type' must not be set for the "
                        "'Resource.reservation' field"), MC_EINVAL;
    if (r->reservation->role != NULL)
        return snprintf(err, err_bytes, "'Resource.ReservationInfo.role' must not be set for the "
                        "'Resource.reservation' field"), MC_EINVAL;
    if (strcmp(role, RES_ROLE_UNRESERVED) == 0)
        return snprintf(err, err_bytes, "Invalid reservation: role \"*\" cannot be dynamically "
                        "reserved"), MC_EINVAL;
    return 0;
}

/* The reservation checks of Resources::validate for the formats we keep. */
static int from_proto_role(const Mesos__V1__Resource *r, struct res_item *item, char *err,
                           size_t err_bytes)
{
    const char *old_role = resource_role_get(r);
    int has_role = old_role != NULL;
    const char *role = has_role ? old_role : RES_ROLE_UNRESERVED;
    if (r->n_reservations == 0) {
        if (old_format_check(r, err, err_bytes) != 0)
            return MC_EINVAL;
        item->reservation = strcmp(role, RES_ROLE_UNRESERVED) == 0 ? RES_RESERVATION_NONE
                            : r->reservation != NULL              ? RES_RESERVATION_DYNAMIC
                                                                   : RES_RESERVATION_STATIC;
    } else {
        const Mesos__V1__Resource__ReservationInfo *ri = r->reservations[0];
        int rc = reservation_info_check(ri, err, err_bytes);
        if (rc != 0)
            return rc;
        if (r->n_reservations > 1)
            return snprintf(err, err_bytes, "refined reservations are not supported"),
                   MC_EUNSUPPORTED;
        if (has_role && strcmp(old_role, ri->role) != 0)
            return snprintf(err, err_bytes, "Invalid resource format: 'Resource.role' field with "
                            "'%s' does not match the role '%s' in 'Resource.reservations'",
                            old_role, ri->role), MC_EINVAL;
        if (ri->type == MESOS__V1__RESOURCE__RESERVATION_INFO__TYPE__STATIC)
            item->reservation = RES_RESERVATION_STATIC;
        else if (ri->type == MESOS__V1__RESOURCE__RESERVATION_INFO__TYPE__DYNAMIC)
            item->reservation = RES_RESERVATION_DYNAMIC;
        else
            return snprintf(err, err_bytes, "Unsupported 'Resource.ReservationInfo.Type'"),
                   MC_EINVAL;
        role = ri->role;
    }
    if (strlen(role) >= sizeof(item->role))
        return snprintf(err, err_bytes, "role longer than %u bytes", MC_RES_ROLE_BYTES_MAX - 1u),
               MC_ELIMIT;
    strcpy(item->role, role);
    return 0;
}

/* Fills item's value from a message already checked by from_proto_value_check. */
static int from_proto_fill(const struct mc_alloc *alloc, const Mesos__V1__Resource *r,
                           struct res_item *item, char *err, size_t err_bytes)
{
    if (r->type == MESOS__V1__VALUE__TYPE__SCALAR) {
        item->type = RES_TYPE_SCALAR;
        if (res_scalar_from_double(r->scalar->value, &item->scalar_milli) != 0)
            return snprintf(err, err_bytes, "scalar %s above 10^12 is not supported", r->name),
                   MC_ELIMIT;
        return 0;
    }
    if (r->type == MESOS__V1__VALUE__TYPE__RANGES) {
        item->type = RES_TYPE_RANGES;
        if (r->ranges->n_range > MC_RES_RANGES_MAX)
            return snprintf(err, err_bytes, "more than %u ranges", MC_RES_RANGES_MAX), MC_ELIMIT;
        int rc = ranges_reserve(alloc, item, r->ranges->n_range);
        if (rc != 0)
            return rc;
        for (size_t i = 0; i < r->ranges->n_range; i++)
            item->ranges[i] = (struct res_range){r->ranges->range[i]->begin, r->ranges->range[i]->end};
        item->ranges_count = ranges_coalesce(item->ranges, (uint32_t)r->ranges->n_range);
        return 0;
    }
    item->type = RES_TYPE_SET;
    if (r->set->n_item > MC_RES_ELEMENTS_MAX)
        return snprintf(err, err_bytes, "more than %u set elements", MC_RES_ELEMENTS_MAX), MC_ELIMIT;
    int rc = elements_reserve(alloc, item, r->set->n_item);
    for (size_t i = 0; rc == 0 && i < r->set->n_item; i++) {
        if (strlen(r->set->item[i]) >= MC_RES_ELEMENT_BYTES_MAX)
            return snprintf(err, err_bytes, "set element longer than %u bytes",
                            MC_RES_ELEMENT_BYTES_MAX - 1u), MC_ELIMIT;
        item->elements[i] = mc_strdup(alloc, r->set->item[i]);
        if (item->elements[i] == NULL)
            return MC_ENOMEM;
        item->elements_count = (uint32_t)i + 1;
    }
    return rc;
}

/* The item's allocation role (from allocation_info), then its value. */
static int from_proto_allocation_fill(const struct mc_alloc *alloc, const Mesos__V1__Resource *r,
                                      struct res_item *item, char *err, size_t err_bytes)
{
    if (r->allocation_info != NULL && r->allocation_info->role != NULL) {
        if (role_validate(r->allocation_info->role, err, err_bytes) != 0)
            return MC_EINVAL;
        if (strlen(r->allocation_info->role) >= sizeof(item->allocation_role))
            return snprintf(err, err_bytes, "role longer than %u bytes",
                            MC_RES_ROLE_BYTES_MAX - 1u), MC_ELIMIT;
        strcpy(item->allocation_role, r->allocation_info->role);
    }
    return from_proto_fill(alloc, r, item, err, err_bytes);
}

/* Converts one message into item (which then owns storage to free). */
static int from_proto_one(const struct mc_alloc *alloc, const Mesos__V1__Resource *r,
                          struct res_item *item, char *err, size_t err_bytes)
{
    const char *bad = from_proto_value_check(r);
    if (bad != NULL)
        return snprintf(err, err_bytes, "%s", bad), MC_EINVAL;
    if (r->disk != NULL || r->revocable != NULL || r->shared != NULL || r->provider_id != NULL)
        return snprintf(err, err_bytes, "resource %s: disk info, revocable, shared and resource "
                        "provider resources are not supported", r->name), MC_EUNSUPPORTED;
    if (strlen(r->name) >= sizeof(item->name))
        return snprintf(err, err_bytes, "resource name longer than %u bytes",
                        MC_RES_NAME_BYTES_MAX - 1u), MC_ELIMIT;
    strcpy(item->name, r->name);
    int rc = from_proto_role(r, item, err, err_bytes);
    if (rc != 0)
        return rc;
    return from_proto_allocation_fill(alloc, r, item, err, err_bytes);
}

typedef int (*from_proto_fn)(const struct mc_alloc *alloc, const Mesos__V1__Resource *r,
                             struct res_item *item, char *err, size_t err_bytes);

/* Adds each resource of arr to out as one() reads it; the first failure is reported. */
static int from_proto_each(struct res_set *out, Mesos__V1__Resource *const *arr, size_t count,
                           size_t *bad_index, struct mc_diag *diag, from_proto_fn one)
{
    MC_ASSERT(out != NULL && (arr != NULL || count == 0));
    for (size_t i = 0; i < count; i++) {
        struct res_item item;
        char err[MC_DIAG_TEXT_BYTES_MAX] = "";
        memset(&item, 0, sizeof(item));
        int rc = one(out->alloc, arr[i], &item, err, sizeof(err));
        if (rc == 0)
            rc = res_set_add_item(out, &item);
        item_deinit(out->alloc, &item);
        if (rc != 0) {
            if (err[0] == '\0')
                snprintf(err, sizeof(err), "%s", mc_strerror(rc));
            mc_diag_set(diag, "%s", err);
            if (bad_index != NULL)
                *bad_index = i;
            return rc;
        }
    }
    return 0;
}

int res_set_from_proto(struct res_set *out, Mesos__V1__Resource *const *arr, size_t count,
                       size_t *bad_index, struct mc_diag *diag)
{
    return from_proto_each(out, arr, count, bad_index, diag, from_proto_one);
}

/* ---- resources of offer operations: detail (reservation stacks, volumes) ---- */

/*
 * Added for the offer operations (RESERVE, UNRESERVE, CREATE, DESTROY):
 * what Mesos' Resource carries beyond this model's key is packed into the
 * item's detail (an internal.proto ResourceDetail) by
 * res_set_from_proto_full and unpacked again by detail_to_proto. Only the
 * fields that make two resources different in Mesos go in, so that equal
 * resources pack to equal bytes.
 */

#define RES_RESERVATIONS_MAX 16u /* reservations in one stack (refinements) */

static int label_set_equal(const Mesos__V1__Labels *a, const Mesos__V1__Labels *b)
{
    size_t na = a != NULL ? a->n_labels : 0, nb = b != NULL ? b->n_labels : 0;
    if (na != nb)
        return 0;
    for (size_t i = 0; i < na; i++) {
        const Mesos__V1__Label *x = a->labels[i], *y = b->labels[i];
        if (strcmp(x->key, y->key) != 0 || (x->value == NULL) != (y->value == NULL) ||
            (x->value != NULL && strcmp(x->value, y->value) != 0))
            return 0;
    }
    return 1;
}

/* Mesos' roles::isStrictSubroleOf. */
static int role_strict_sub(const char *sub, const char *parent)
{
    size_t n = strlen(parent);
    return strncmp(sub, parent, n) == 0 && sub[n] == '/';
}

/* Mesos' operator<< for Labels: "{k: v, k2}". */
static void labels_text(const Mesos__V1__Labels *l, char *out, size_t n)
{
    size_t len = 0;
    out[0] = '\0';
    (void)fmt_append(out, n, &len, "{");
    for (size_t i = 0; l != NULL && i < l->n_labels; i++)
        (void)fmt_append(out, n, &len, "%s%s%s%s", l->labels[i]->key,
                         l->labels[i]->value != NULL ? ": " : "",
                         l->labels[i]->value != NULL ? l->labels[i]->value : "",
                         i + 1 < l->n_labels ? ", " : "");
    (void)fmt_append(out, n, &len, "}");
}

/* Resources::validate of the `reservations` stack: each entry, then the refinements. */
static int full_stack_check(const Mesos__V1__Resource *r, char *err, size_t err_bytes)
{
    for (size_t i = 0; i < r->n_reservations; i++) {
        const Mesos__V1__Resource__ReservationInfo *ri = r->reservations[i];
        int rc = reservation_info_check(ri, err, err_bytes);
        if (rc != 0)
            return rc;
    }
    for (size_t i = 1; i < r->n_reservations; i++) {
        const Mesos__V1__Resource__ReservationInfo *ri = r->reservations[i];
        if (ri->type == MESOS__V1__RESOURCE__RESERVATION_INFO__TYPE__STATIC)
            return snprintf(err, err_bytes, "Invalid refined reservation: A refined reservation"
                            " cannot be STATIC"), MC_EINVAL;
        if (!role_strict_sub(ri->role, r->reservations[i - 1]->role))
            return snprintf(err, err_bytes, "Invalid refined reservation: role '%s' is not a "
                            "refinement of '%s'", ri->role, r->reservations[i - 1]->role),
                   MC_EINVAL;
    }
    return 0;
}

/* Resources::validate of one reservation given in both formats: they must agree. */
static int full_single_check(const Mesos__V1__Resource *r, char *err, size_t err_bytes)
{
    const char *old_role = resource_role_get(r);
    const Mesos__V1__Resource__ReservationInfo *ri = r->reservations[0];
    if (old_role != NULL && strcmp(old_role, ri->role) != 0)
        return snprintf(err, err_bytes, "Invalid resource format: 'Resource.role' field with "
                        "'%s' does not match the role '%s' in 'Resource.reservations'",
                        old_role, ri->role), MC_EINVAL;
    if (ri->type == MESOS__V1__RESOURCE__RESERVATION_INFO__TYPE__STATIC) {
        if (r->reservation != NULL)
            return snprintf(err, err_bytes, "Invalid resource format: 'Resource.reservation' must"
                            " not be set if the single reservation in 'Resource.reservations' is"
                            " STATIC"), MC_EINVAL;
        return 0;
    }
    if (ri->type != MESOS__V1__RESOURCE__RESERVATION_INFO__TYPE__DYNAMIC)
        return snprintf(err, err_bytes, "Unsupported 'Resource.ReservationInfo.Type'"), MC_EINVAL;
    if ((old_role != NULL) != (r->reservation != NULL))
        return snprintf(err, err_bytes, "Invalid resource format: 'Resource.role' and "
                        "'Resource.reservation' must either be both set or both not set if the "
                        "single reservation in 'Resource.reservations' is DYNAMIC"), MC_EINVAL;
    if (r->reservation == NULL)
        return 0;
    const char *p1 = r->reservation->principal != NULL ? r->reservation->principal : "";
    const char *p2 = ri->principal != NULL ? ri->principal : "";
    if (strcmp(p1, p2) != 0)
        return snprintf(err, err_bytes, "Invalid resource format: 'Resource.reservation.principal'"
                        " field with '%s' does not match the principal '%s' in "
                        "'Resource.reservations'", p1, p2), MC_EINVAL;
    if (!label_set_equal(r->reservation->labels, ri->labels)) {
        char a[160], b[160]; /* two of them fit a diag's text */
        labels_text(r->reservation->labels, a, sizeof(a));
        labels_text(ri->labels, b, sizeof(b));
        return snprintf(err, err_bytes, "Invalid resource format: 'Resource.reservation.labels' "
                        "field with '%s' does not match the labels '%s' in "
                        "'Resource.reservations'", a, b), MC_EINVAL;
    }
    return 0;
}

/* The reservation checks of Resources::validate, both formats, in Mesos' order. */
static int full_reservations_check(const Mesos__V1__Resource *r, char *err, size_t err_bytes)
{
    if (r->n_reservations == 0)
        return old_format_check(r, err, err_bytes);
    int rc = full_stack_check(r, err, err_bytes);
    if (rc != 0 || r->n_reservations == 1)
        return rc != 0 ? rc : full_single_check(r, err, err_bytes);
    if (resource_role_get(r) != NULL)
        return snprintf(err, err_bytes, "Invalid resource format: 'Resource.role' must not be set"
                        " if there is more than one reservation in 'Resource.reservations'"),
               MC_EINVAL;
    if (r->reservation != NULL)
        return snprintf(err, err_bytes, "Invalid resource format: 'Resource.reservation' must not"
                        " be set if there is more than one reservation in "
                        "'Resource.reservations'"), MC_EINVAL;
    return 0;
}

/* The DiskInfo checks of Resources::validate. */
static int full_disk_check(const Mesos__V1__Resource *r, char *err, size_t err_bytes)
{
    if (r->disk != NULL && strcmp(r->name, "disk") != 0)
        return snprintf(err, err_bytes, "DiskInfo should not be set for %s resource", r->name),
               MC_EINVAL;
    const Mesos__V1__Resource__DiskInfo__Source *src = r->disk != NULL ? r->disk->source : NULL;
    if (src == NULL)
        return 0;
    static const char *const names[] = {"UNKNOWN", "PATH", "MOUNT", "BLOCK", "RAW"};
    int t = (int)src->type;
    if (t <= MESOS__V1__RESOURCE__DISK_INFO__SOURCE__TYPE__UNKNOWN ||
        t > MESOS__V1__RESOURCE__DISK_INFO__SOURCE__TYPE__RAW)
        return snprintf(err, err_bytes, "Unsupported 'DiskInfo.Source.Type' in 'UNKNOWN'"),
               MC_EINVAL;
    int raw = t == MESOS__V1__RESOURCE__DISK_INFO__SOURCE__TYPE__BLOCK ||
              t == MESOS__V1__RESOURCE__DISK_INFO__SOURCE__TYPE__RAW;
    if (raw && src->mount != NULL)
        return snprintf(err, err_bytes, "Mount should not be set for %s disk source", names[t]),
               MC_EINVAL;
    if (raw && src->path != NULL)
        return snprintf(err, err_bytes, "Path should not be set for %s disk source", names[t]),
               MC_EINVAL;
    return 0;
}

/* The sharing checks of Resources::validate, then what the model does not keep. */
static int full_shared_check(const Mesos__V1__Resource *r, char *err, size_t err_bytes)
{
    if (r->shared != NULL && strcmp(r->name, "disk") != 0)
        return snprintf(err, err_bytes, "Resource %s cannot be shared", r->name), MC_EINVAL;
    if (r->shared != NULL && (r->disk == NULL || r->disk->persistence == NULL))
        return snprintf(err, err_bytes, "Only persistent volumes can be shared"), MC_EINVAL;
    if ((r->disk != NULL && r->disk->source != NULL) || r->revocable != NULL ||
        r->shared != NULL || r->provider_id != NULL ||
        (r->disk != NULL && r->disk->persistence == NULL))
        return snprintf(err, err_bytes, "resource %s: disk sources, non-persistent volumes, "
                        "revocable, shared and resource provider resources are not supported",
                        r->name), MC_EUNSUPPORTED;
    return 0;
}

/*
 * The reservation stack of r in post-refinement order, one entry per
 * reservation, pointing into r (or into one as pre-refinement gives it);
 * 0 entries for an unreserved resource.
 */
static size_t full_stack(const Mesos__V1__Resource *r, Mesos__V1__Resource__ReservationInfo *one,
                         const Mesos__V1__Resource__ReservationInfo **stack)
{
    if (r->n_reservations > 0) {
        for (size_t i = 0; i < r->n_reservations; i++)
            stack[i] = r->reservations[i];
        return r->n_reservations;
    }
    const char *role = resource_role_get(r);
    if (role == NULL || strcmp(role, RES_ROLE_UNRESERVED) == 0)
        return 0;
    mesos__v1__resource__reservation_info__init(one);
    one->role = (char *)role;
    one->has_type = 1;
    one->type = r->reservation != NULL ? MESOS__V1__RESOURCE__RESERVATION_INFO__TYPE__DYNAMIC
                                       : MESOS__V1__RESOURCE__RESERVATION_INFO__TYPE__STATIC;
    if (r->reservation != NULL) {
        one->principal = r->reservation->principal;
        one->labels = r->reservation->labels;
    }
    stack[0] = one;
    return 1;
}

/* Packs what r has beyond the model's key into item->detail (nothing when it has none). */
static int full_detail(const struct mc_alloc *alloc, const Mesos__V1__Resource *r,
                       struct res_item *item, char *err, size_t err_bytes)
{
    Mesos__V1__Resource__ReservationInfo one;
    const Mesos__V1__Resource__ReservationInfo *stack[RES_RESERVATIONS_MAX];
    if (r->n_reservations > RES_RESERVATIONS_MAX)
        return snprintf(err, err_bytes, "more than %u reservations", RES_RESERVATIONS_MAX),
               MC_ELIMIT;
    size_t n = full_stack(r, &one, stack);
    int needed = n > 1 || r->disk != NULL;
    for (size_t i = 0; i < n; i++)
        needed |= stack[i]->principal != NULL || stack[i]->labels != NULL;
    if (n > 0) {
        const Mesos__V1__Resource__ReservationInfo *last = stack[n - 1];
        if (strlen(last->role) >= sizeof(item->role))
            return snprintf(err, err_bytes, "role longer than %u bytes",
                            MC_RES_ROLE_BYTES_MAX - 1u), MC_ELIMIT;
        strcpy(item->role, last->role);
        item->reservation = last->type == MESOS__V1__RESOURCE__RESERVATION_INFO__TYPE__STATIC
                                ? RES_RESERVATION_STATIC
                                : RES_RESERVATION_DYNAMIC;
    } else {
        strcpy(item->role, RES_ROLE_UNRESERVED);
        item->reservation = RES_RESERVATION_NONE;
    }
    if (!needed)
        return 0;
    /* Canonical copies: only the fields that make resources differ. */
    Mesos__V1__Resource__ReservationInfo infos[RES_RESERVATIONS_MAX], *ptrs[RES_RESERVATIONS_MAX];
    for (size_t i = 0; i < n; i++) {
        mesos__v1__resource__reservation_info__init(&infos[i]);
        infos[i].principal = stack[i]->principal;
        infos[i].labels = stack[i]->labels;
        infos[i].role = stack[i]->role;
        infos[i].has_type = 1;
        infos[i].type = stack[i]->type;
        ptrs[i] = &infos[i];
    }
    MesosConform__Internal__ResourceDetail d = MESOS_CONFORM__INTERNAL__RESOURCE_DETAIL__INIT;
    Mesos__V1__Resource__DiskInfo disk = MESOS__V1__RESOURCE__DISK_INFO__INIT;
    Mesos__V1__Resource__DiskInfo__Persistence pers =
        MESOS__V1__RESOURCE__DISK_INFO__PERSISTENCE__INIT;
    Mesos__V1__Volume volume = MESOS__V1__VOLUME__INIT;
    d.n_reservations = n;
    d.reservations = ptrs;
    if (r->disk != NULL) {
        pers.id = r->disk->persistence->id;
        pers.principal = r->disk->persistence->principal;
        disk.persistence = &pers;
        if (r->disk->volume != NULL) {
            volume.container_path = r->disk->volume->container_path;
            volume.host_path = r->disk->volume->host_path;
            volume.mode = r->disk->volume->mode;
            disk.volume = &volume;
        }
        d.disk = &disk;
        item->detail_flags |= RES_DETAIL_VOLUME;
    }
    if (n > 1)
        item->detail_flags |= RES_DETAIL_REFINED;
    size_t bytes = protobuf_c_message_get_packed_size(&d.base);
    if (bytes == 0 || bytes > UINT32_MAX)
        return snprintf(err, err_bytes, "resource %s: detail too large", r->name), MC_ELIMIT;
    item->detail = mc_malloc(alloc, bytes);
    if (item->detail == NULL)
        return MC_ENOMEM;
    item->detail_bytes = (uint32_t)protobuf_c_message_pack(&d.base, item->detail);
    MC_ASSERT(item->detail_bytes == bytes);
    return 0;
}

/* One message into item, as from_proto_one with the reservation and disk forms above. */
static int from_proto_full_one(const struct mc_alloc *alloc, const Mesos__V1__Resource *r,
                               struct res_item *item, char *err, size_t err_bytes)
{
    const char *bad = from_proto_value_check(r);
    if (bad != NULL)
        return snprintf(err, err_bytes, "%s", bad), MC_EINVAL;
    int rc = full_disk_check(r, err, err_bytes);
    if (rc == 0)
        rc = full_reservations_check(r, err, err_bytes);
    if (rc == 0)
        rc = full_shared_check(r, err, err_bytes);
    if (rc != 0)
        return rc;
    if (strlen(r->name) >= sizeof(item->name))
        return snprintf(err, err_bytes, "resource name longer than %u bytes",
                        MC_RES_NAME_BYTES_MAX - 1u), MC_ELIMIT;
    strcpy(item->name, r->name);
    rc = full_detail(alloc, r, item, err, err_bytes);
    if (rc != 0)
        return rc;
    return from_proto_allocation_fill(alloc, r, item, err, err_bytes);
}

int res_set_from_proto_full(struct res_set *out, Mesos__V1__Resource *const *arr, size_t count,
                            size_t *bad_index, struct mc_diag *diag)
{
    return from_proto_each(out, arr, count, bad_index, diag, from_proto_full_one);
}

/*
 * The reservations and the disk of an item with a detail: reservations[]
 * with RES_PROTO_RESERVATIONS, else the old role and, for a dynamic last
 * reservation, `reservation` with its principal and labels (Mesos'
 * PRE_RESERVATION_REFINEMENT format, which keeps only the last one).
 */
static int detail_to_proto(const struct res_item *item, unsigned flags,
                           const struct mc_alloc *alloc, Mesos__V1__Resource *r)
{
    ProtobufCAllocator pa;
    pbjson_allocator_init(&pa, alloc);
    MesosConform__Internal__ResourceDetail *d = mesos_conform__internal__resource_detail__unpack(
        &pa, item->detail_bytes, item->detail);
    if (d == NULL)
        return MC_ENOMEM; /* our own bytes: only memory can fail */
    int rc = 0;
    if (flags & RES_PROTO_RESERVATIONS) {
        r->n_reservations = d->n_reservations; /* taken over by r */
        r->reservations = d->reservations;
        d->n_reservations = 0;
        d->reservations = NULL;
    } else if (d->n_reservations > 0) {
        Mesos__V1__Resource__ReservationInfo *last = d->reservations[d->n_reservations - 1];
        char *role = mc_strdup(alloc, item->role);
        if (role == NULL)
            rc = MC_ENOMEM;
        else
            resource_role_set(r, role);
        if (rc == 0 && last->type == MESOS__V1__RESOURCE__RESERVATION_INFO__TYPE__DYNAMIC) {
            r->reservation = mc_malloc(alloc, sizeof(*r->reservation));
            if (r->reservation == NULL) {
                rc = MC_ENOMEM;
            } else {
                mesos__v1__resource__reservation_info__init(r->reservation);
                r->reservation->principal = last->principal; /* taken over by r */
                r->reservation->labels = last->labels;
                last->principal = NULL;
                last->labels = NULL;
            }
        }
    } else {
        char *role = mc_strdup(alloc, RES_ROLE_UNRESERVED);
        if (role == NULL)
            rc = MC_ENOMEM;
        else
            resource_role_set(r, role);
    }
    r->disk = d->disk; /* taken over by r */
    d->disk = NULL;
    protobuf_c_message_free_unpacked(&d->base, &pa);
    return rc;
}
