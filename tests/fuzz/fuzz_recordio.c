/*
 * fuzz_recordio.c: the RecordIO decoder under arbitrary input.
 *
 * Input: one control byte, then the stream. The control byte picks the
 * record limit (bits 0-1: 4 MiB, 0, 16 or 255 bytes) and where the stream is
 * cut in two (bits 2-7, as a fraction of its length). The stream is decoded
 * whole, cut at that point, and one byte at a time; the three transcripts
 * (records, then the end or the error with its offset and text) must be
 * identical. When the stream decodes cleanly, its records are encoded again
 * and must decode to the same records, in no more bytes than the input.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mc_assert.h"
#include "mc_buf.h"
#include "mc_diag.h"
#include "mc_limits.h"
#include "recordio.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The transcript of a decode: per record "R<bytes>:" and the bytes. */
struct transcript {
    struct mc_buf text;
    int error;
};

static void transcript_add(struct transcript *t, const char *fmt_tag, uint64_t number,
                           const void *bytes, size_t len)
{
    /* Out of memory in the harness is no finding: give up on the input. */
    if (mc_buf_appendf(&t->text, "%s%llu:", fmt_tag, (unsigned long long)number) != 0 ||
        mc_buf_append(&t->text, bytes, len) != 0)
        abort();
}

/* Decodes stream[0..n) cut at every multiple of step (and at cut). */
static void decode(const uint8_t *stream, size_t n, size_t limit, size_t cut, size_t step,
                   struct transcript *t)
{
    struct rio_decoder d;
    rio_decoder_init(&d, limit, NULL);
    mc_buf_init(&t->text, 4 * n + 64 + MC_DIAG_TEXT_BYTES_MAX, NULL);
    t->error = 0;
    size_t pos = 0;
    while (pos < n && t->error == 0) {
        size_t end = pos + step;
        if (pos < cut && cut < end)
            end = cut;
        if (end > n)
            end = n;
        while (pos < end) {
            struct rio_record r;
            struct mc_diag diag;
            size_t consumed = 0;
            int rc = rio_decoder_feed(&d, stream + pos, end - pos, &consumed, &r, &diag);
            MC_ASSERT(consumed <= end - pos);
            pos += consumed;
            if (rc == 1) {
                MC_ASSERT(r.data != NULL && r.bytes <= limit);
                transcript_add(t, "R", r.bytes, r.data, r.bytes);
            } else if (rc < 0) {
                MC_ASSERT(diag.has_offset && diag.offset == pos);
                transcript_add(t, "E", diag.offset, diag.text, strlen(diag.text));
                t->error = rc;
                break;
            } else {
                MC_ASSERT(pos == end);
            }
        }
    }
    if (t->error == 0) {
        struct mc_diag diag;
        int rc = rio_decoder_finish(&d, &diag);
        if (rc != 0) {
            MC_ASSERT(rc == MC_EPARSE && diag.offset == n);
            transcript_add(t, "E", diag.offset, diag.text, strlen(diag.text));
            t->error = rc;
        }
    }
    rio_decoder_deinit(&d);
}

/* Encodes the records of a clean transcript again into out. */
static void reencode(const struct transcript *t, struct mc_buf *out)
{
    const char *p = (const char *)t->text.data;
    const char *end = p + t->text.len;
    while (p < end) {
        MC_ASSERT(*p == 'R');
        char *colon = NULL;
        unsigned long long bytes = strtoull(p + 1, &colon, 10);
        MC_ASSERT(colon != NULL && *colon == ':');
        if (rio_encode(out, colon + 1, (size_t)bytes) != 0)
            abort();
        p = colon + 1 + bytes;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    static const size_t limits[4] = {MC_RECORD_BYTES_MAX, 0, 16, 255};
    size_t limit = limits[data[0] & 3];
    const uint8_t *stream = data + 1;
    size_t n = size - 1;
    size_t cut = (size_t)(((uint64_t)n * (data[0] >> 2)) / 63);
    struct transcript whole, split, bytewise;
    decode(stream, n, limit, n, n > 0 ? n : 1, &whole);
    decode(stream, n, limit, cut, n > 0 ? n : 1, &split);
    decode(stream, n, limit, n, 1, &bytewise);
    MC_ASSERT(whole.error == split.error && whole.error == bytewise.error);
    MC_ASSERT(whole.text.len == split.text.len && whole.text.len == bytewise.text.len);
    MC_ASSERT(whole.text.len == 0 || memcmp(whole.text.data, split.text.data, whole.text.len) == 0);
    MC_ASSERT(whole.text.len == 0 ||
              memcmp(whole.text.data, bytewise.text.data, whole.text.len) == 0);
    if (whole.error == 0) {
        struct mc_buf again;
        mc_buf_init(&again, n + 1, NULL);
        reencode(&whole, &again);
        /* Only leading zeros make an input longer than its re-encoding. */
        MC_ASSERT(again.len <= n);
        struct transcript round;
        decode(again.data != NULL ? again.data : (const uint8_t *)"", again.len, limit,
               again.len, again.len > 0 ? again.len : 1, &round);
        MC_ASSERT(round.error == 0 && round.text.len == whole.text.len);
        MC_ASSERT(whole.text.len == 0 ||
                  memcmp(round.text.data, whole.text.data, whole.text.len) == 0);
        mc_buf_deinit(&round.text);
        mc_buf_deinit(&again);
    }
    mc_buf_deinit(&whole.text);
    mc_buf_deinit(&split.text);
    mc_buf_deinit(&bytewise.text);
    return 0;
}
