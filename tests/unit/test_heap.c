/*
 * test_heap.c: the (time_ns, seq) heap of base/mc_heap.h and the seeded
 * generator of base/mc_rng.h that the simulator builds on.
 *
 * The heap is checked against a plain reference: an array kept in the
 * order the heap must produce, driven by thousands of random pushes,
 * removals and pops drawn from mc_rng (never the C library generator).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "mc_alloc.h"
#include "mc_heap.h"
#include "mc_rng.h"

/* An item as an owner would embed it: a payload and the slot the heap keeps. */
struct item {
    uint32_t id;
    uint32_t slot;
    uint64_t time_ns;
    uint64_t seq;
};

static void heap_pops_equal_times_in_insertion_order(void **state)
{
    (void)state;
    struct mc_heap heap;
    mc_heap_init(&heap, 64, NULL);
    /* Rows: {time_ns} pushed in this order; the expected pop order by id. */
    static const uint64_t times[] = {5, 3, 5, 3, 0, 5, 3, 0};
    static const uint32_t expected[] = {4, 7, 1, 3, 6, 0, 2, 5};
    struct item items[8];
    for (uint32_t i = 0; i < 8; i++) {
        items[i] = (struct item){.id = i, .time_ns = times[i]};
        assert_int_equal(mc_heap_push(&heap, times[i], &items[i], &items[i].slot, 7, &items[i].seq),
                         0);
        assert_int_equal(items[i].seq, i + 1);
    }
    assert_int_equal(mc_heap_count(&heap), 8);
    for (uint32_t i = 0; i < 8; i++) {
        struct mc_heap_entry e;
        assert_int_equal(mc_heap_pop(&heap, &e), 0);
        struct item *it = e.item;
        assert_int_equal(it->id, expected[i]);
        assert_int_equal(e.time_ns, it->time_ns);
        assert_int_equal(e.seq, it->seq);
        assert_int_equal(e.tag, 7);
        assert_int_equal(it->slot, MC_HEAP_SLOT_NONE);
    }
    struct mc_heap_entry e;
    assert_int_equal(mc_heap_pop(&heap, &e), MC_ENOTFOUND);
    assert_null(mc_heap_peek(&heap));
    mc_heap_deinit(&heap);
}

static void heap_refuses_past_its_limit_unchanged(void **state)
{
    (void)state;
    struct mc_heap heap;
    mc_heap_init(&heap, 3, NULL);
    struct item items[4];
    memset(items, 0, sizeof(items));
    for (uint32_t i = 0; i < 3; i++)
        assert_int_equal(mc_heap_push(&heap, 10 - i, &items[i], &items[i].slot, 0, NULL), 0);
    items[3].slot = 12345;
    assert_int_equal(mc_heap_push(&heap, 0, &items[3], &items[3].slot, 0, NULL), MC_ELIMIT);
    assert_int_equal(items[3].slot, 12345);
    assert_int_equal(mc_heap_count(&heap), 3);
    assert_ptr_equal(mc_heap_peek(&heap)->item, &items[2]);
    mc_heap_deinit(&heap);
}

static void heap_reports_allocation_failure_unchanged(void **state)
{
    (void)state;
    struct mc_alloc_counting c;
    mc_alloc_counting_init(&c, 0);
    struct mc_heap heap;
    mc_heap_init(&heap, 100, &c.alloc);
    struct item it = {.slot = 99};
    assert_int_equal(mc_heap_push(&heap, 1, &it, &it.slot, 0, NULL), MC_ENOMEM);
    assert_int_equal(it.slot, 99);
    assert_int_equal(mc_heap_count(&heap), 0);
    assert_int_equal(mc_heap_push(&heap, 1, &it, &it.slot, 0, NULL), 0);
    assert_int_equal(it.slot, 0);
    mc_heap_deinit(&heap);
    assert_int_equal(c.live, 0);
}

/*
 * The reference: the live items, kept sorted by (time_ns, seq). Small enough
 * that insertion by shifting is fine.
 */
struct reference {
    struct item *sorted[512];
    uint32_t count;
};

static int item_before(const struct item *a, const struct item *b)
{
    return a->time_ns != b->time_ns ? a->time_ns < b->time_ns : a->seq < b->seq;
}

static void reference_insert(struct reference *ref, struct item *it)
{
    uint32_t pos = ref->count;
    while (pos > 0 && item_before(it, ref->sorted[pos - 1])) {
        ref->sorted[pos] = ref->sorted[pos - 1];
        pos--;
    }
    ref->sorted[pos] = it;
    ref->count++;
}

static void reference_erase(struct reference *ref, const struct item *it)
{
    for (uint32_t i = 0; i < ref->count; i++) {
        if (ref->sorted[i] == it) {
            memmove(&ref->sorted[i], &ref->sorted[i + 1],
                    (ref->count - i - 1) * sizeof(ref->sorted[0]));
            ref->count--;
            return;
        }
    }
    fail_msg("item %u not in the reference", it->id);
}

/* Every live item's slot names its own entry. */
static void heap_check_slots(const struct mc_heap *heap)
{
    for (uint32_t s = 0; s < mc_heap_count(heap); s++) {
        const struct mc_heap_entry *e = mc_heap_at(heap, s);
        assert_int_equal(*e->slot, s);
        assert_int_equal(((struct item *)e->item)->slot, s);
    }
}

/* One random operation: push (often), remove a random live item, or pop. */
static void heap_random_step(struct mc_heap *heap, struct reference *ref, struct item *pool,
                             uint32_t pool_count, struct mc_rng *rng)
{
    uint64_t op = mc_rng_below(rng, 10);
    if (op < 5 && ref->count < pool_count) {
        struct item *it = NULL;
        for (uint32_t i = 0; i < pool_count; i++) {
            if (pool[i].slot == MC_HEAP_SLOT_NONE) {
                it = &pool[i];
                break;
            }
        }
        assert_non_null(it);
        /* A narrow range of times, so ties are common. */
        it->time_ns = mc_rng_below(rng, 8);
        assert_int_equal(mc_heap_push(heap, it->time_ns, it, &it->slot, it->id, &it->seq), 0);
        reference_insert(ref, it);
    } else if (op < 8 && ref->count > 0) {
        struct item *it = ref->sorted[mc_rng_below(rng, ref->count)];
        struct mc_heap_entry e;
        mc_heap_remove(heap, it->slot, &e);
        assert_ptr_equal(e.item, it);
        assert_int_equal(e.tag, it->id);
        assert_int_equal(it->slot, MC_HEAP_SLOT_NONE);
        reference_erase(ref, it);
    } else if (ref->count > 0) {
        struct mc_heap_entry e;
        assert_int_equal(mc_heap_pop(heap, &e), 0);
        assert_ptr_equal(e.item, ref->sorted[0]);
        reference_erase(ref, ref->sorted[0]);
    }
    assert_int_equal(mc_heap_count(heap), ref->count);
    if (ref->count > 0)
        assert_ptr_equal(mc_heap_peek(heap)->item, ref->sorted[0]);
}

static void heap_matches_a_sorted_reference(void **state)
{
    (void)state;
    enum { POOL = 200 };
    static const uint64_t seeds[] = {0, 1, 42, UINT64_C(0xdeadbeefcafef00d)};
    for (size_t s = 0; s < sizeof(seeds) / sizeof(seeds[0]); s++) {
        struct mc_rng rng;
        mc_rng_init(&rng, seeds[s]);
        struct mc_heap heap;
        mc_heap_init(&heap, POOL, NULL);
        struct item pool[POOL];
        for (uint32_t i = 0; i < POOL; i++)
            pool[i] = (struct item){.id = i, .slot = MC_HEAP_SLOT_NONE};
        struct reference ref = {.count = 0};
        for (int step = 0; step < 20000; step++) {
            heap_random_step(&heap, &ref, pool, POOL, &rng);
            if (step % 97 == 0)
                heap_check_slots(&heap);
        }
        /* Drain: what is left comes out in the reference's order. */
        for (uint32_t i = 0; ref.count > 0; i++) {
            struct mc_heap_entry e;
            assert_int_equal(mc_heap_pop(&heap, &e), 0);
            assert_ptr_equal(e.item, ref.sorted[0]);
            reference_erase(&ref, ref.sorted[0]);
        }
        assert_int_equal(mc_heap_count(&heap), 0);
        mc_heap_deinit(&heap);
    }
}

/*
 * Generator vectors. splitmix64 from seed 0 is the widely published
 * sequence; the xoshiro256** rows pin our seeding (splitmix64 fills the
 * state) so that any change to it shows up here before it changes traces.
 */
static void rng_matches_the_published_sequences(void **state)
{
    (void)state;
    uint64_t sm = 0;
    assert_int_equal(mc_rng_splitmix64(&sm), UINT64_C(0xe220a8397b1dcdaf));
    assert_int_equal(mc_rng_splitmix64(&sm), UINT64_C(0x6e789e6aa1b965f4));
    assert_int_equal(mc_rng_splitmix64(&sm), UINT64_C(0x06c45d188009454f));

    struct {
        uint64_t seed;
        uint64_t first[3];
    } rows[] = {
        {0,
         {UINT64_C(0x99ec5f36cb75f2b4), UINT64_C(0xbf6e1f784956452a),
          UINT64_C(0x1a5f849d4933e6e0)}},
        {1,
         {UINT64_C(0xb3f2af6d0fc710c5), UINT64_C(0x853b559647364cea),
          UINT64_C(0x92f89756082a4514)}},
    };
    for (size_t r = 0; r < sizeof(rows) / sizeof(rows[0]); r++) {
        struct mc_rng rng;
        mc_rng_init(&rng, rows[r].seed);
        for (int i = 0; i < 3; i++)
            assert_int_equal(mc_rng_u64(&rng), rows[r].first[i]);
    }
}

static void rng_below_stays_in_range_and_covers_it(void **state)
{
    (void)state;
    struct mc_rng rng;
    mc_rng_init(&rng, 7);
    static const uint64_t bounds[] = {1, 2, 3, 7, 10, 1000};
    for (size_t b = 0; b < sizeof(bounds) / sizeof(bounds[0]); b++) {
        uint64_t n = bounds[b];
        uint32_t seen[1000] = {0};
        for (uint64_t i = 0; i < n * 50; i++) {
            uint64_t x = mc_rng_below(&rng, n);
            assert_true(x < n);
            seen[x]++;
        }
        /* With 50 draws per value, a value never drawn means a broken range. */
        for (uint64_t v = 0; v < n; v++)
            assert_true(seen[v] > 0);
    }
    /* A bound just above 2^63 rejects about half the draws and must still end. */
    uint64_t big = (UINT64_C(1) << 63) + 1;
    for (int i = 0; i < 100; i++)
        assert_true(mc_rng_below(&rng, big) < big);
    for (int i = 0; i < 100; i++) {
        uint64_t x = mc_rng_between(&rng, 5, 9);
        assert_true(x >= 5 && x <= 9);
    }
    assert_int_equal(mc_rng_between(&rng, 3, 3), 3);
    (void)mc_rng_between(&rng, 0, UINT64_MAX);
}

static void rng_ratio_edges_do_not_draw(void **state)
{
    (void)state;
    struct mc_rng a, b;
    mc_rng_init(&a, 99);
    mc_rng_init(&b, 99);
    for (int i = 0; i < 10; i++) {
        assert_int_equal(mc_rng_ratio(&a, 0, 5), 0);
        assert_int_equal(mc_rng_ratio(&a, 5, 5), 1);
    }
    /* Neither edge consumed a draw: the two generators are still in step. */
    assert_int_equal(mc_rng_u64(&a), mc_rng_u64(&b));
    int hits = 0;
    for (int i = 0; i < 10000; i++)
        hits += mc_rng_ratio(&a, 1, 4);
    /* 2500 expected; the bounds are over 10 standard deviations wide. */
    assert_true(hits > 2000 && hits < 3000);
}

static void rng_same_seed_same_sequence(void **state)
{
    (void)state;
    struct mc_rng a, b, c;
    mc_rng_init(&a, 12345);
    mc_rng_init(&b, 12345);
    mc_rng_init(&c, 12346);
    int differs = 0;
    for (int i = 0; i < 1000; i++) {
        uint64_t x = mc_rng_u64(&a);
        assert_int_equal(x, mc_rng_u64(&b));
        differs |= x != mc_rng_u64(&c);
    }
    assert_true(differs);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(heap_pops_equal_times_in_insertion_order),
        cmocka_unit_test(heap_refuses_past_its_limit_unchanged),
        cmocka_unit_test(heap_reports_allocation_failure_unchanged),
        cmocka_unit_test(heap_matches_a_sorted_reference),
        cmocka_unit_test(rng_matches_the_published_sequences),
        cmocka_unit_test(rng_below_stays_in_range_and_covers_it),
        cmocka_unit_test(rng_ratio_edges_do_not_draw),
        cmocka_unit_test(rng_same_seed_same_sequence),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
