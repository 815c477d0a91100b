/*
 * test_base.c: the shared toolkit (buffers with limits, base64, diagnostics,
 * the counting allocator, error names, the string map, the block pool).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "mc_alloc.h"
#include "mc_base64.h"
#include "mc_buf.h"
#include "mc_diag.h"
#include "mc_err.h"
#include "mc_list.h"
#include "mc_pool.h"
#include "mc_rng.h"
#include "mc_strmap.h"

static void buf_appends_and_keeps_nul(void **state)
{
    (void)state;
    struct mc_buf b;
    mc_buf_init(&b, 16, NULL);
    assert_string_equal(mc_buf_str(&b), "");
    assert_int_equal(mc_buf_append_str(&b, "abc"), 0);
    assert_int_equal(mc_buf_appendf(&b, "-%d-", 42), 0);
    assert_int_equal(b.len, 7);
    assert_string_equal(mc_buf_str(&b), "abc-42-");
    mc_buf_consume(&b, 4);
    assert_string_equal(mc_buf_str(&b), "42-");
    mc_buf_deinit(&b);
}

static void buf_refuses_past_its_limit_unchanged(void **state)
{
    (void)state;
    struct mc_buf b;
    mc_buf_init(&b, 8, NULL);
    assert_int_equal(mc_buf_append_str(&b, "12345678"), 0);
    assert_int_equal(mc_buf_append_byte(&b, '9'), MC_ELIMIT);
    assert_int_equal(mc_buf_appendf(&b, "%s", "x"), MC_ELIMIT);
    assert_int_equal(b.len, 8);
    assert_string_equal(mc_buf_str(&b), "12345678");
    mc_buf_deinit(&b);
}

static void buf_take_hands_over_the_data(void **state)
{
    (void)state;
    struct mc_buf b;
    mc_buf_init(&b, 64, NULL);
    assert_int_equal(mc_buf_append(&b, "a\0b", 3), 0);
    size_t len = 0;
    uint8_t *p = mc_buf_take(&b, &len);
    assert_int_equal(len, 3);
    assert_memory_equal(p, "a\0b", 3);
    assert_int_equal(b.len, 0);
    assert_null(b.data);
    mc_free(NULL, p);
}

static void buf_reports_allocation_failure(void **state)
{
    (void)state;
    struct mc_alloc_counting c;
    mc_alloc_counting_init(&c, 0);
    struct mc_buf b;
    mc_buf_init(&b, 64, &c.alloc);
    assert_int_equal(mc_buf_append_str(&b, "x"), MC_ENOMEM);
    assert_int_equal(b.len, 0);
    assert_int_equal(mc_buf_append_str(&b, "x"), 0);
    assert_int_equal(c.live, 1);
    mc_buf_deinit(&b);
    assert_int_equal(c.live, 0);
}

struct b64_row {
    const char *plain;
    size_t plain_bytes;
    const char *text;
};

static const struct b64_row b64_rows[] = {
    {"", 0, ""},
    {"f", 1, "Zg=="},
    {"fo", 2, "Zm8="},
    {"foo", 3, "Zm9v"},
    {"foobar", 6, "Zm9vYmFy"},
    {"\x8e\x19\x1b\x14\xc6\x4a\x4c\x7e\x8e\xc5\x13\x75\x51\xa4\xee\xbd", 16,
     "jhkbFMZKTH6OxRN1UaTuvQ=="}, /* the uuid of SPEC.md's ACKNOWLEDGE example */
};

static void base64_round_trips(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(b64_rows) / sizeof(b64_rows[0]); i++) {
        const struct b64_row *r = &b64_rows[i];
        struct mc_buf enc, dec;
        mc_buf_init(&enc, 1024, NULL);
        mc_buf_init(&dec, 1024, NULL);
        assert_int_equal(mc_base64_encode(&enc, (const uint8_t *)r->plain, r->plain_bytes), 0);
        assert_string_equal(mc_buf_str(&enc), r->text);
        assert_int_equal(mc_base64_decode(&dec, r->text, strlen(r->text), NULL), 0);
        assert_int_equal(dec.len, r->plain_bytes);
        if (r->plain_bytes > 0)
            assert_memory_equal(dec.data, r->plain, r->plain_bytes);
        mc_buf_deinit(&enc);
        mc_buf_deinit(&dec);
    }
}

struct b64_bad_row {
    const char *text;
    size_t bad_offset;
};

static const struct b64_bad_row b64_bad_rows[] = {
    {"a!==", 1},     /* a character outside the alphabet */
    {"Zg=", 2},      /* padding without a whole quad */
    {"Z", 0},        /* one sextet cannot make a byte */
    {"Zh==", 1},     /* bits set after the last byte */
    {"Zm9v!", 4},
};

static void base64_rejects_with_offset(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(b64_bad_rows) / sizeof(b64_bad_rows[0]); i++) {
        struct mc_buf dec;
        mc_buf_init(&dec, 64, NULL);
        size_t at = 999;
        const char *t = b64_bad_rows[i].text;
        assert_int_equal(mc_base64_decode(&dec, t, strlen(t), &at), MC_EPARSE);
        assert_int_equal(at, b64_bad_rows[i].bad_offset);
        mc_buf_deinit(&dec);
    }
}

static void diag_formats_what_and_where(void **state)
{
    (void)state;
    struct mc_diag d;
    char out[600];
    mc_diag_clear(&d);
    mc_diag_set_at(&d, 17, "bad length '%s'", "x1");
    assert_string_equal(mc_diag_format(&d, out, sizeof(out)), "byte 17: bad length 'x1'");
    mc_diag_prefix(&d, "stdin");
    assert_string_equal(d.text, "stdin: bad length 'x1'");
    mc_diag_clear(&d);
    strcpy(d.source, "a.scn");
    d.line = 3;
    d.column = 9;
    mc_diag_set(&d, "unknown step");
    assert_string_equal(mc_diag_format(&d, out, sizeof(out)), "a.scn:3:9: unknown step");
    mc_diag_set(NULL, "ignored"); /* a NULL diag is allowed everywhere */
}

static void errors_have_names_and_messages(void **state)
{
    (void)state;
    assert_string_equal(mc_errname(MC_ELIMIT), "MC_ELIMIT");
    assert_string_equal(mc_strerror(MC_ELIMIT), "limit exceeded");
    assert_string_equal(mc_strerror(0), "success");
    assert_string_equal(mc_errname(12345), "MC_E?");
    assert_true(MC_ENOMEM < 0);
    assert_true(MC_ECLOSED < 0);
}

struct item {
    int value;
    struct mc_list_node node;
};

static void list_keeps_insertion_order(void **state)
{
    (void)state;
    struct mc_list_node head, *it, *tmp;
    struct item items[4] = {{1, {0}}, {2, {0}}, {3, {0}}, {4, {0}}};
    mc_list_init(&head);
    for (int i = 0; i < 4; i++)
        mc_list_push_back(&head, &items[i].node);
    mc_list_remove(&items[1].node);
    int seen[4], n = 0;
    MC_LIST_FOR_EACH_SAFE(it, tmp, &head) {
        seen[n++] = MC_CONTAINER_OF(it, struct item, node)->value;
    }
    assert_int_equal(n, 3);
    assert_int_equal(seen[0], 1);
    assert_int_equal(seen[1], 3);
    assert_int_equal(seen[2], 4);
}

/* Keys as the master makes them: one long prefix, a short number at the end. */
#define MAP_KEYS 600
static char map_keys[MAP_KEYS][64];

static void map_keys_make(void)
{
    for (int i = 0; i < MAP_KEYS; i++)
        snprintf(map_keys[i], sizeof(map_keys[i]), "5b3f2a1e-7c4d-4e8f-9a0b-1c2d3e4f5a6b-S%d", i);
}

/* Random puts and removals against a plain array: the map must agree after every step. */
static void strmap_agrees_with_a_plain_array(void **state)
{
    (void)state;
    map_keys_make();
    struct mc_strmap map;
    mc_strmap_init(&map, MAP_KEYS, NULL);
    int present[MAP_KEYS] = {0};
    uint32_t count = 0;
    struct mc_rng rng;
    mc_rng_init(&rng, 42);
    for (int step = 0; step < 20000; step++) {
        int k = (int)mc_rng_below(&rng, MAP_KEYS);
        if (mc_rng_below(&rng, 3) != 0) {
            int err = mc_strmap_put(&map, map_keys[k], map_keys[k]);
            assert_int_equal(err, present[k] ? MC_EEXIST : 0);
            count += !present[k];
            present[k] = 1;
        } else {
            void *v = mc_strmap_del(&map, map_keys[k]);
            assert_ptr_equal(v, present[k] ? map_keys[k] : NULL);
            count -= present[k] != 0;
            present[k] = 0;
        }
        assert_int_equal(map.count, count);
        if (step % 97 == 0)
            for (int i = 0; i < MAP_KEYS; i++)
                assert_ptr_equal(mc_strmap_get(&map, map_keys[i]), present[i] ? map_keys[i] : NULL);
    }
    /* The key is compared, not its pointer. */
    char copy[64];
    for (int i = 0; i < MAP_KEYS; i++) {
        memcpy(copy, map_keys[i], sizeof(copy));
        assert_ptr_equal(mc_strmap_get(&map, copy), present[i] ? map_keys[i] : NULL);
    }
    mc_strmap_deinit(&map);
}

static void strmap_refuses_past_its_limit(void **state)
{
    (void)state;
    map_keys_make();
    struct mc_strmap map;
    mc_strmap_init(&map, 3, NULL);
    assert_null(mc_strmap_get(&map, map_keys[0]));
    assert_null(mc_strmap_del(&map, map_keys[0]));
    for (int i = 0; i < 3; i++)
        assert_int_equal(mc_strmap_put(&map, map_keys[i], map_keys[i]), 0);
    assert_int_equal(mc_strmap_put(&map, map_keys[3], map_keys[3]), MC_ELIMIT);
    assert_int_equal(mc_strmap_put(&map, map_keys[1], map_keys[1]), MC_EEXIST);
    assert_ptr_equal(mc_strmap_del(&map, map_keys[1]), map_keys[1]);
    assert_int_equal(mc_strmap_put(&map, map_keys[3], map_keys[3]), 0);
    assert_ptr_equal(mc_strmap_get(&map, map_keys[3]), map_keys[3]);
    assert_int_equal(mc_strmap_put(&map, "", map_keys[4]), MC_ELIMIT);
    assert_int_equal(mc_strmap_reserve(&map, 4), MC_ELIMIT);
    mc_strmap_deinit(&map);
    /* Reserved room: the table does not move while it fills up to the reservation. */
    mc_strmap_init(&map, MAP_KEYS, NULL);
    assert_int_equal(mc_strmap_reserve(&map, 100), 0);
    const struct mc_strmap_slot *table = map.slots;
    for (int i = 0; i < 100; i++)
        assert_int_equal(mc_strmap_put(&map, map_keys[i], map_keys[i]), 0);
    assert_ptr_equal(map.slots, table);
    for (int i = 0; i < 100; i++)
        assert_ptr_equal(mc_strmap_get(&map, map_keys[i]), map_keys[i]);
    mc_strmap_deinit(&map);
}

/* A failed growth leaves the map as it was. */
static void strmap_survives_allocation_failure(void **state)
{
    (void)state;
    map_keys_make();
    for (uint64_t fail = 0; fail < 5; fail++) { /* 100 puts grow the table 5 times */
        struct mc_alloc_counting c;
        mc_alloc_counting_init(&c, fail);
        struct mc_strmap map;
        mc_strmap_init(&map, MAP_KEYS, &c.alloc);
        int i = 0, err = 0;
        for (; i < 100 && err == 0; i++)
            err = mc_strmap_put(&map, map_keys[i], map_keys[i]);
        assert_int_equal(err, MC_ENOMEM);
        for (int k = 0; k < 100; k++)
            assert_ptr_equal(mc_strmap_get(&map, map_keys[k]), k < i - 1 ? map_keys[k] : NULL);
        mc_strmap_deinit(&map);
        assert_int_equal(c.live, 0);
    }
}

/* Random sizes, kept, grown, shrunk and freed: every block keeps its bytes and its alignment. */
static void pool_keeps_every_block_intact(void **state)
{
    (void)state;
    struct mc_alloc_counting backing;
    mc_alloc_counting_init(&backing, UINT64_MAX);
    struct mc_pool pool;
    mc_pool_init(&pool, &backing.alloc);
    enum { BLOCKS = 300 };
    uint8_t *blocks[BLOCKS] = {0};
    size_t sizes[BLOCKS] = {0};
    struct mc_rng rng;
    mc_rng_init(&rng, 7);
    for (int step = 0; step < 30000; step++) {
        int i = (int)mc_rng_below(&rng, BLOCKS);
        if (blocks[i] != NULL) {
            for (size_t n = 0; n < sizes[i]; n++)
                assert_int_equal(blocks[i][n], (uint8_t)(i + n));
        }
        size_t size = 1 + mc_rng_below(&rng, mc_rng_below(&rng, 8) == 0 ? 9000 : 300);
        switch (mc_rng_below(&rng, 3)) {
        case 0:
            mc_free(&pool.alloc, blocks[i]);
            blocks[i] = mc_malloc(&pool.alloc, size);
            sizes[i] = 0; /* nothing kept */
            break;
        case 1:
            blocks[i] = mc_realloc(&pool.alloc, blocks[i], size);
            break;
        default:
            mc_free(&pool.alloc, blocks[i]);
            blocks[i] = NULL;
            sizes[i] = 0;
            continue;
        }
        assert_non_null(blocks[i]);
        assert_int_equal((uintptr_t)blocks[i] % 16, 0);
        size_t kept = sizes[i] < size ? sizes[i] : size; /* what a realloc keeps */
        for (size_t n = 0; n < kept; n++)
            assert_int_equal(blocks[i][n], (uint8_t)(i + n));
        for (size_t n = 0; n < size; n++)
            blocks[i][n] = (uint8_t)(i + n);
        sizes[i] = size;
    }
    for (int i = 0; i < BLOCKS; i++)
        mc_free(&pool.alloc, blocks[i]);
    mc_pool_deinit(&pool);
    assert_int_equal(backing.live, 0);
}

/* A freed small block is the next one of its class; large blocks go to the backing allocator. */
static void pool_reuses_small_blocks(void **state)
{
    (void)state;
    struct mc_alloc_counting backing;
    mc_alloc_counting_init(&backing, UINT64_MAX);
    struct mc_pool pool;
    mc_pool_init(&pool, &backing.alloc);
    void *a = mc_malloc(&pool.alloc, 40);
    void *big = mc_malloc(&pool.alloc, MC_POOL_BLOCK_BYTES_MAX + 1);
    assert_non_null(a);
    assert_non_null(big);
    uint64_t calls = backing.calls;
    mc_free(&pool.alloc, a);
    void *b = mc_malloc(&pool.alloc, 33); /* the same 48-byte class */
    if (!pool.passthrough) {
        assert_ptr_equal(a, b);
        assert_int_equal(backing.calls, calls); /* no call to the backing allocator */
        assert_int_equal(pool.slab_bytes, MC_POOL_SLAB_BYTES);
    }
    mc_free(&pool.alloc, b);
    mc_free(&pool.alloc, big);
    mc_pool_deinit(&pool);
    assert_int_equal(backing.live, 0);
}

/* A slab the backing allocator refuses is a NULL block, and the pool goes on afterwards. */
static void pool_reports_allocation_failure(void **state)
{
    (void)state;
    struct mc_alloc_counting backing;
    mc_alloc_counting_init(&backing, 0);
    struct mc_pool pool;
    mc_pool_init(&pool, &backing.alloc);
    assert_null(mc_malloc(&pool.alloc, 24));
    void *p = mc_malloc(&pool.alloc, 24);
    assert_non_null(p);
    mc_free(&pool.alloc, p);
    mc_pool_deinit(&pool);
    assert_int_equal(backing.live, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(buf_appends_and_keeps_nul),
        cmocka_unit_test(buf_refuses_past_its_limit_unchanged),
        cmocka_unit_test(buf_take_hands_over_the_data),
        cmocka_unit_test(buf_reports_allocation_failure),
        cmocka_unit_test(base64_round_trips),
        cmocka_unit_test(base64_rejects_with_offset),
        cmocka_unit_test(diag_formats_what_and_where),
        cmocka_unit_test(errors_have_names_and_messages),
        cmocka_unit_test(list_keeps_insertion_order),
        cmocka_unit_test(strmap_agrees_with_a_plain_array),
        cmocka_unit_test(strmap_refuses_past_its_limit),
        cmocka_unit_test(strmap_survives_allocation_failure),
        cmocka_unit_test(pool_keeps_every_block_intact),
        cmocka_unit_test(pool_reuses_small_blocks),
        cmocka_unit_test(pool_reports_allocation_failure),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
