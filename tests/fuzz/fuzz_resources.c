/*
 * fuzz_resources.c: the agent flag parser and the resource arithmetic under
 * arbitrary input.
 *
 * Input: one or two resource texts separated by a NUL byte. Besides "never
 * crash, never leak", it checks properties that hold for every text the
 * parser accepts: what res_set_format writes parses back to an equal set;
 * the protobuf messages written read back to an equal set; a set contains
 * itself and minus itself is empty; a + b contains a and b.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mc_assert.h"
#include "mc_diag.h"
#include "resources.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Inputs past the parser's limit are refused before any work; keep runs fast. */
#define FUZZ_TEXT_BYTES_MAX 8192u

static void check_one(const struct res_set *set)
{
    static char text[MC_RES_TEXT_BYTES_MAX];
    struct mc_diag diag;
    struct res_set back;
    res_set_init(&back, NULL);
    int n = res_set_format(set, text, sizeof(text));
    if (n >= 0) {
        int rc = res_parse(text, &back, &diag);
        MC_ASSERT(rc == 0);
        MC_ASSERT(res_set_equal(set, &back));
    }
    res_set_clear(&back);
    Mesos__V1__Resource **arr = NULL;
    size_t count = 0;
    if (res_set_to_proto(set, 0, NULL, &arr, &count) == 0) {
        MC_ASSERT(res_set_from_proto(&back, arr, count, NULL, &diag) == 0);
        MC_ASSERT(res_set_equal(set, &back));
        res_proto_free(NULL, arr, count);
    }
    MC_ASSERT(res_set_contains(set, set));
    res_set_clear(&back);
    MC_ASSERT(res_set_copy(&back, set) == 0);
    MC_ASSERT(res_set_subtract(&back, set) == 0);
    MC_ASSERT(res_set_empty(&back));
    res_set_deinit(&back);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > FUZZ_TEXT_BYTES_MAX)
        return 0;
    char *text = malloc(size + 2);
    MC_ASSERT(text != NULL);
    memcpy(text, data, size);
    text[size] = '\0';
    text[size + 1] = '\0';
    const char *second = text + strlen(text) + 1; /* "" when there is no NUL */
    struct res_set a, b;
    struct mc_diag diag;
    res_set_init(&a, NULL);
    res_set_init(&b, NULL);
    mc_diag_clear(&diag);
    int rc = res_parse(text, &a, &diag);
    /* An error always says what, and where inside the input. */
    MC_ASSERT(rc == 0 || diag.text[0] != '\0');
    MC_ASSERT(rc == 0 || !diag.has_offset || diag.offset <= size);
    if (rc == 0)
        check_one(&a);
    if (rc == 0 && (size_t)(second - text) <= size && res_parse(second, &b, &diag) == 0) {
        check_one(&b);
        struct res_set sum;
        res_set_init(&sum, NULL);
        MC_ASSERT(res_set_copy(&sum, &a) == 0);
        if (res_set_add(&sum, &b) == 0) {
            MC_ASSERT(res_set_contains(&sum, &a));
            MC_ASSERT(res_set_contains(&sum, &b));
        }
        res_set_deinit(&sum);
    }
    res_set_deinit(&a);
    res_set_deinit(&b);
    free(text);
    return 0;
}
