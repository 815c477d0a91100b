/*
 * str.c: the module's string rules (report.h, "Strings"): every string the
 * model stores is valid UTF-8 and bounded, so each writer only has to escape
 * what its own format forbids. Also small formatting helpers the writers
 * share.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "mc_assert.h"
#include "report_internal.h"

/* U+FFFD REPLACEMENT CHARACTER, the stand-in for a byte that is not UTF-8. */
static const uint8_t replacement_utf8[3] = {0xEF, 0xBF, 0xBD};

/*
 * The length of the well-formed UTF-8 sequence that starts at s (RFC 3629,
 * table 3-7 of Unicode: no overlong forms, no surrogates, nothing above
 * U+10FFFF), or 0 when none starts there.
 */
static size_t utf8_valid_bytes(const uint8_t *s, size_t n)
{
    MC_ASSERT(n > 0);
    uint8_t b0 = s[0];
    if (b0 < 0x80)
        return 1;
    size_t len;
    uint8_t second_lo = 0x80;
    uint8_t second_hi = 0xBF;
    if (b0 >= 0xC2 && b0 <= 0xDF) {
        len = 2;
    } else if (b0 >= 0xE0 && b0 <= 0xEF) {
        len = 3;
        second_lo = b0 == 0xE0 ? 0xA0 : 0x80; /* no overlong form */
        second_hi = b0 == 0xED ? 0x9F : 0xBF; /* no surrogate */
    } else if (b0 >= 0xF0 && b0 <= 0xF4) {
        len = 4;
        second_lo = b0 == 0xF0 ? 0x90 : 0x80; /* no overlong form */
        second_hi = b0 == 0xF4 ? 0x8F : 0xBF; /* nothing above U+10FFFF */
    } else {
        return 0;
    }
    if (n < len || s[1] < second_lo || s[1] > second_hi)
        return 0;
    for (size_t i = 2; i < len; i++) {
        if (s[i] < 0x80 || s[i] > 0xBF)
            return 0;
    }
    return len;
}

size_t report__utf8_decode(const char *s, size_t n, uint32_t *cp)
{
    MC_ASSERT(s != NULL);
    MC_ASSERT(n > 0);
    const uint8_t *u = (const uint8_t *)s;
    size_t len = utf8_valid_bytes(u, n);
    if (len == 0) {
        *cp = 0xFFFD;
        return 1;
    }
    static const uint8_t lead_mask[5] = {0, 0x7F, 0x1F, 0x0F, 0x07};
    uint32_t v = u[0] & lead_mask[len];
    for (size_t i = 1; i < len; i++)
        v = (v << 6) | (u[i] & 0x3Fu);
    *cp = v;
    return len;
}

/*
 * Walks s[0..n) as a model string: valid sequences are kept, other bytes
 * become U+FFFD. Stops before the character that would pass keep_max output
 * bytes. Writes into out when it is not NULL; returns the output length.
 */
static size_t utf8_sanitize(const uint8_t *s, size_t n, char *out, size_t keep_max)
{
    size_t in = 0;
    size_t len_out = 0;
    while (in < n) {
        size_t len = utf8_valid_bytes(s + in, n - in);
        size_t piece = len == 0 ? sizeof(replacement_utf8) : len;
        if (piece > keep_max - len_out)
            break;
        if (out != NULL)
            memcpy(out + len_out, len == 0 ? replacement_utf8 : s + in, piece);
        len_out += piece;
        in += len == 0 ? 1 : len;
    }
    return len_out;
}

int report__str_copy(const struct mc_alloc *alloc, const char *s, size_t bytes_max, char **out)
{
    MC_ASSERT(out != NULL);
    MC_ASSERT(bytes_max > REPORT__CUT_MARKER_BYTES_MAX);
    if (s == NULL) {
        *out = NULL;
        return 0;
    }
    const uint8_t *u = (const uint8_t *)s;
    size_t n = strlen(s);
    size_t full = utf8_sanitize(u, n, NULL, SIZE_MAX);
    size_t keep = full;
    char marker[REPORT__CUT_MARKER_BYTES_MAX];
    size_t marker_len = 0;
    if (full > bytes_max) {
        /* Cut at a character boundary, leaving room for the marker. */
        keep = utf8_sanitize(u, n, NULL, bytes_max - REPORT__CUT_MARKER_BYTES_MAX);
        int m = snprintf(marker, sizeof(marker), " ... %zu more bytes", full - keep);
        MC_ASSERT(m > 0 && (size_t)m < sizeof(marker));
        marker_len = (size_t)m;
    }
    char *p = mc_malloc(alloc, keep + marker_len + 1);
    if (p == NULL)
        return MC_ENOMEM;
    size_t written = utf8_sanitize(u, n, p, keep);
    MC_ASSERT(written == keep);
    memcpy(p + keep, marker, marker_len);
    p[keep + marker_len] = '\0';
    MC_ASSERT(keep + marker_len <= bytes_max);
    *out = p;
    return 0;
}

int report__str_replace(const struct mc_alloc *alloc, char **field, const char *s, size_t bytes_max)
{
    MC_ASSERT(field != NULL);
    char *copy = NULL;
    int err = report__str_copy(alloc, s, bytes_max, &copy);
    if (err != 0)
        return err;
    mc_free(alloc, *field);
    *field = copy;
    return 0;
}

void report__buf_truncate(struct mc_buf *b, size_t len)
{
    MC_ASSERT(b != NULL);
    MC_ASSERT(len <= b->len);
    b->len = len;
    if (b->data != NULL)
        b->data[len] = '\0';
}

char *report__seconds_format(uint64_t ns, unsigned decimals, char *out)
{
    MC_ASSERT(decimals >= 1 && decimals <= 9);
    MC_ASSERT(out != NULL);
    uint64_t scale = 1;
    for (unsigned i = decimals; i < 9; i++)
        scale *= 10;
    uint64_t fraction = (ns % 1000000000u) / scale;
    snprintf(out, 32, "%" PRIu64 ".%0*" PRIu64, ns / 1000000000u, (int)decimals, fraction);
    return out;
}
