/*
 * mc_heap.h: a min-heap (4-ary) of timed items, keyed by (time_ns, seq).
 *
 * The event queue of the simulator and the timer queue of a runtime both
 * need the same thing: take out the earliest item, remove any item early
 * (a cancelled timer), and, between items due at the same time, keep the
 * order in which they were inserted. The heap gives every push a sequence
 * number from its own counter and orders by (time_ns, seq), as libuv orders
 * its timers by (timeout, start_id); equal times therefore come out first
 * in, first out, and the order never depends on pointer values.
 *
 * Intrusive by index: the heap stores the key and a pointer to the item in
 * one array and keeps the item informed of where it sits by writing its
 * position into a uint32_t that the item provides (struct rt_timer's
 * heap_slot, for instance). Removing an item is then O(log n) with no
 * search and no allocation per item. An item that is not in the heap has
 * MC_HEAP_SLOT_NONE in its slot after a pop or a remove.
 *
 * Every heap has a maximum count set at init; a push past it is MC_ELIMIT,
 * never silent growth. The array grows through the heap's allocator.
 */
#ifndef MC_HEAP_H
#define MC_HEAP_H

#include <stddef.h>
#include <stdint.h>

#include "mc_alloc.h"
#include "mc_err.h"

/* The slot value of an item that is not in a heap. */
#define MC_HEAP_SLOT_NONE UINT32_MAX

struct mc_heap_entry {
    uint64_t time_ns;
    uint64_t seq;   /* insertion order; breaks ties between equal times */
    void *item;     /* the owner's pointer, carried untouched */
    uint32_t *slot; /* where the item's current position is kept */
    uint32_t tag;   /* the owner's word (for instance the item's kind) */
};

struct mc_heap {
    struct mc_heap_entry *entries; /* entries[0] is the earliest */
    uint32_t count;
    uint32_t cap;
    uint32_t count_max;
    uint64_t seq_next; /* the seq of the next push */
    const struct mc_alloc *alloc;
};

/*
 * Initializes an empty heap that holds at most count_max items (at least 1,
 * below MC_HEAP_SLOT_NONE). alloc may be NULL for the system allocator; it
 * must outlive the heap. Nothing is allocated until the first push.
 */
void mc_heap_init(struct mc_heap *heap, uint32_t count_max, const struct mc_alloc *alloc);

/* Frees the array. The items are the owner's; their slots are not touched. */
void mc_heap_deinit(struct mc_heap *heap);

/*
 * Inserts item due at time_ns. slot must point into the item and stays
 * borrowed while the item is in the heap; the heap writes the item's
 * position there on every move. *seq_out (if not NULL) gets the sequence
 * number given to the entry. Errors: MC_ELIMIT when count_max items are
 * already in, MC_ENOMEM when the array cannot grow; the heap is then
 * unchanged and *slot is not written.
 */
int mc_heap_push(struct mc_heap *heap, uint64_t time_ns, void *item, uint32_t *slot, uint32_t tag,
                 uint64_t *seq_out) MC_MUST_USE;

/* The earliest entry, or NULL when the heap is empty. Valid until the next change. */
const struct mc_heap_entry *mc_heap_peek(const struct mc_heap *heap);

/*
 * Removes the earliest entry and copies it to *out; returns 0, or MC_ENOTFOUND
 * when the heap is empty (then *out is untouched). The item's slot is set to
 * MC_HEAP_SLOT_NONE.
 */
int mc_heap_pop(struct mc_heap *heap, struct mc_heap_entry *out);

/*
 * Removes the entry at position slot (the value the heap wrote into the
 * item), copying it to *out when out is not NULL. A slot that is not a live
 * position is a programmer error. The item's slot becomes MC_HEAP_SLOT_NONE.
 */
void mc_heap_remove(struct mc_heap *heap, uint32_t slot, struct mc_heap_entry *out);

/* The entry at position slot (0 <= slot < count), for scans by the owner. */
const struct mc_heap_entry *mc_heap_at(const struct mc_heap *heap, uint32_t slot);

/* How many entries the heap holds. */
uint32_t mc_heap_count(const struct mc_heap *heap);

#endif
