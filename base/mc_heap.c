/*
 * mc_heap.c: an array 4-ary heap ordered by (time_ns, seq).
 *
 * Position i has children 4i+1 .. 4i+4. Every time an entry lands in a new
 * position, the position is written back through the entry's slot pointer,
 * so the owner can always remove its item without searching.
 *
 * Why 4 children rather than 2: the simulator pops or removes an entry for
 * nearly every event, and each level an entry moves through costs a write
 * through its slot pointer into the owner's memory (a timer in a core, a
 * delivery), mostly a cache miss. Four children halve the levels; the four
 * keys compared at each level sit side by side in the array. The order the
 * entries come out in is the same: keys are unique, so any heap pops them
 * in (time_ns, seq) order.
 */
#include "mc_heap.h"

#include <string.h>

#include "mc_assert.h"

/* The first allocation; the array doubles from there up to count_max. */
#define HEAP_CAP_INITIAL 16u
/* Children per position (the comment at the top says why 4). */
#define HEAP_ARITY 4u

void mc_heap_init(struct mc_heap *heap, uint32_t count_max, const struct mc_alloc *alloc)
{
    MC_ASSERT(heap != NULL);
    MC_ASSERT(count_max >= 1);
    MC_ASSERT(count_max < MC_HEAP_SLOT_NONE);
    memset(heap, 0, sizeof(*heap));
    heap->count_max = count_max;
    heap->seq_next = 1;
    heap->alloc = alloc;
}

void mc_heap_deinit(struct mc_heap *heap)
{
    MC_ASSERT(heap != NULL);
    mc_free(heap->alloc, heap->entries);
    heap->entries = NULL;
    heap->count = 0;
    heap->cap = 0;
}

/* 1 when a must come out before b. Sequence numbers are unique, so no tie remains. */
static int entry_before(const struct mc_heap_entry *a, const struct mc_heap_entry *b)
{
    if (a->time_ns != b->time_ns)
        return a->time_ns < b->time_ns;
    MC_ASSERT(a->seq != b->seq);
    return a->seq < b->seq;
}

static void entry_place(struct mc_heap *heap, uint32_t pos, const struct mc_heap_entry *entry)
{
    heap->entries[pos] = *entry;
    *entry->slot = pos;
}

/*
 * Fills the hole at pos with moving, first moving the hole up while moving
 * is earlier than the hole's parent. moving must not live in the array.
 */
static void sift_up(struct mc_heap *heap, uint32_t pos, const struct mc_heap_entry *moving)
{
    while (pos > 0) {
        uint32_t parent = (pos - 1) / HEAP_ARITY;
        if (!entry_before(moving, &heap->entries[parent]))
            break;
        entry_place(heap, pos, &heap->entries[parent]);
        pos = parent;
    }
    entry_place(heap, pos, moving);
}

/* Fills the hole at pos with moving, first moving the hole down while a child is earlier. */
static void sift_down(struct mc_heap *heap, uint32_t pos, const struct mc_heap_entry *moving)
{
    uint32_t count = heap->count;
    for (;;) {
        /* pos < count < MC_HEAP_SLOT_NONE: 4 * pos + 4 needs 64 bits. */
        uint64_t first = (uint64_t)pos * HEAP_ARITY + 1;
        if (first >= count)
            break;
        uint32_t child = (uint32_t)first;
        uint32_t end = count - child > HEAP_ARITY ? child + HEAP_ARITY : count;
        /*
         * The earliest child, without a branch: which one it is, is a coin
         * toss that a branch would mispredict at every level. The best key
         * so far stays in registers, so the children's loads do not wait on
         * each other. Sequence numbers are unique, so no two keys tie.
         */
        uint64_t best_time = heap->entries[child].time_ns;
        uint64_t best_seq = heap->entries[child].seq;
        for (uint32_t c = child + 1; c < end; c++) {
            uint64_t time = heap->entries[c].time_ns;
            uint64_t seq = heap->entries[c].seq;
            uint64_t take =
                0u - (uint64_t)((time < best_time) | ((time == best_time) & (seq < best_seq)));
            child ^= (child ^ c) & (uint32_t)take;
            best_time ^= (best_time ^ time) & take;
            best_seq ^= (best_seq ^ seq) & take;
        }
        if (!entry_before(&heap->entries[child], moving))
            break;
        entry_place(heap, pos, &heap->entries[child]);
        pos = child;
    }
    entry_place(heap, pos, moving);
}

static int heap_grow(struct mc_heap *heap)
{
    uint64_t cap = heap->cap == 0 ? HEAP_CAP_INITIAL : (uint64_t)heap->cap * 2;
    if (cap > heap->count_max)
        cap = heap->count_max;
    MC_ASSERT(cap > heap->cap);
    struct mc_heap_entry *grown =
        mc_realloc(heap->alloc, heap->entries, (size_t)cap * sizeof(*grown));
    if (grown == NULL)
        return MC_ENOMEM;
    heap->entries = grown;
    heap->cap = (uint32_t)cap;
    return 0;
}

int mc_heap_push(struct mc_heap *heap, uint64_t time_ns, void *item, uint32_t *slot, uint32_t tag,
                 uint64_t *seq_out)
{
    MC_ASSERT(heap != NULL);
    MC_ASSERT(slot != NULL);
    if (heap->count >= heap->count_max)
        return MC_ELIMIT;
    if (heap->count == heap->cap) {
        int err = heap_grow(heap);
        if (err != 0)
            return err;
    }
    MC_ASSERT(heap->count < heap->cap);
    struct mc_heap_entry entry = {time_ns, heap->seq_next++, item, slot, tag};
    sift_up(heap, heap->count++, &entry);
    if (seq_out != NULL)
        *seq_out = entry.seq;
    return 0;
}

const struct mc_heap_entry *mc_heap_peek(const struct mc_heap *heap)
{
    MC_ASSERT(heap != NULL);
    return heap->count == 0 ? NULL : &heap->entries[0];
}

int mc_heap_pop(struct mc_heap *heap, struct mc_heap_entry *out)
{
    MC_ASSERT(out != NULL);
    if (heap->count == 0)
        return MC_ENOTFOUND;
    mc_heap_remove(heap, 0, out);
    return 0;
}

void mc_heap_remove(struct mc_heap *heap, uint32_t slot, struct mc_heap_entry *out)
{
    MC_ASSERT(heap != NULL);
    MC_ASSERT(slot < heap->count);
    MC_ASSERT(*heap->entries[slot].slot == slot);
    struct mc_heap_entry removed = heap->entries[slot];
    uint32_t last = --heap->count;
    if (slot != last) {
        /* The last entry fills the hole; it may belong above or below it: try both ways. */
        struct mc_heap_entry moving = heap->entries[last];
        if (slot > 0 && entry_before(&moving, &heap->entries[(slot - 1) / HEAP_ARITY]))
            sift_up(heap, slot, &moving);
        else
            sift_down(heap, slot, &moving);
    }
    *removed.slot = MC_HEAP_SLOT_NONE;
    if (out != NULL)
        *out = removed;
}

const struct mc_heap_entry *mc_heap_at(const struct mc_heap *heap, uint32_t slot)
{
    MC_ASSERT(heap != NULL);
    MC_ASSERT(slot < heap->count);
    return &heap->entries[slot];
}

uint32_t mc_heap_count(const struct mc_heap *heap)
{
    MC_ASSERT(heap != NULL);
    return heap->count;
}
