/*
 * recordio.c: RecordIO encoder and incremental decoder (see recordio.h).
 *
 * The decoder is a two-state machine, LENGTH and DATA, plus FAILED. In
 * LENGTH it accumulates digits until '\n'; in DATA it collects the record's
 * bytes. A record that lies wholly inside one fed chunk is returned in place
 * (no copy); only a record split across feeds is assembled in a buffer that
 * grows as its bytes arrive, so a peer that announces a large record but
 * sends little of it costs little memory.
 */
#include "recordio.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "mc_assert.h"
#include "mc_limits.h"

/* Room for the decimal text of any size_t plus the '\n'. */
#define RIO_PREFIX_BYTES_MAX (MC_RECORD_LENGTH_DIGITS_MAX + 2)

/* The first allocation for a record split across feeds. */
#define RIO_BUF_BYTES_MIN 256u

_Static_assert(sizeof(size_t) <= sizeof(uint64_t), "a record length fits in a uint64");
/* 2^64-1 has 20 digits: the limit must let every uint64 length through. */
_Static_assert(MC_RECORD_LENGTH_DIGITS_MAX >= 20, "a uint64 length fits in the prefix");

/* What an empty record points at, so that record data is never NULL. */
static const uint8_t rio_empty[1] = {0};

/*
 * The length prefix as "%zu\n" writes it, into out (RIO_PREFIX_BYTES_MAX);
 * returns its length. Every record is framed: printf was most of the cost.
 */
static int prefix_format(size_t record_bytes, char *out)
{
    char rev[RIO_PREFIX_BYTES_MAX];
    int n = 0;
    do {
        rev[n++] = (char)('0' + record_bytes % 10);
        record_bytes /= 10;
    } while (record_bytes != 0);
    for (int i = 0; i < n; i++)
        out[i] = rev[n - 1 - i];
    out[n] = '\n';
    return n + 1;
}

int rio_encode(struct mc_buf *out, const void *record, size_t record_bytes)
{
    MC_ASSERT(out != NULL);
    MC_ASSERT(record != NULL || record_bytes == 0);
    char prefix[RIO_PREFIX_BYTES_MAX];
    int n = prefix_format(record_bytes, prefix);
    MC_ASSERT(n > 1 && (size_t)n < sizeof(prefix));
    MC_ASSERT(out->len <= out->len_max);
    /* Check the whole frame first so that a failure leaves out untouched. */
    if ((size_t)n > out->len_max - out->len ||
        record_bytes > out->len_max - out->len - (size_t)n)
        return MC_ELIMIT;
    size_t len_before = out->len;
    int err = mc_buf_append(out, prefix, (size_t)n);
    if (err == 0 && record_bytes > 0)
        err = mc_buf_append(out, record, record_bytes);
    if (err != 0 && out->data != NULL) {
        /* Only the second append can fail after the first succeeded. */
        out->len = len_before;
        out->data[len_before] = '\0';
    }
    return err;
}

void rio_decoder_init(struct rio_decoder *d, size_t record_bytes_max, const struct mc_alloc *alloc)
{
    MC_ASSERT(d != NULL);
    memset(d, 0, sizeof(*d));
    d->_state = RIO_STATE_LENGTH;
    d->_record_bytes_max = record_bytes_max;
    d->_alloc = alloc;
}

void rio_decoder_deinit(struct rio_decoder *d)
{
    MC_ASSERT(d != NULL);
    mc_free(d->_alloc, d->_buf);
    d->_buf = NULL;
    d->_buf_cap = 0;
    d->_got = 0;
    d->_state = RIO_STATE_FAILED;
    d->_error = MC_ESTATE;
    mc_diag_clear(&d->_error_diag);
    mc_diag_set(&d->_error_diag, "RecordIO decoder used after deinit");
}

uint64_t rio_decoder_offset(const struct rio_decoder *d)
{
    MC_ASSERT(d != NULL);
    return d->_offset;
}

/* Enters the FAILED state with err and the text, at stream offset where. */
static int decoder_fail(struct rio_decoder *d, int err, uint64_t where, struct mc_diag *diag)
{
    MC_ASSERT(err < 0);
    MC_ASSERT(d->_state != RIO_STATE_FAILED);
    d->_state = RIO_STATE_FAILED;
    d->_error = err;
    d->_error_diag.offset = where;
    d->_error_diag.has_offset = 1;
    if (diag != NULL)
        *diag = d->_error_diag;
    return err;
}

/* Printable form of a prefix byte for an error text: 'x' or \xNN. */
static void byte_describe(uint8_t c, char *out, size_t out_bytes)
{
    if (c >= 0x21 && c <= 0x7e && c != '\'' && c != '\\')
        snprintf(out, out_bytes, "'%c' (0x%02x)", (char)c, (unsigned)c);
    else
        snprintf(out, out_bytes, "0x%02x", (unsigned)c);
}

/*
 * Takes one byte of a length prefix. Returns 1 when the prefix ended with
 * this byte, 0 when more prefix is expected, or an error.
 */
static int prefix_take(struct rio_decoder *d, uint8_t c, struct mc_diag *diag)
{
    uint64_t where = d->_offset;
    if (d->_digits == 0)
        d->_record_start = where;
    if (c == '\n') {
        if (d->_digits == 0) {
            mc_diag_set(&d->_error_diag, "empty record length prefix (expected 1 to %d digits)",
                        MC_RECORD_LENGTH_DIGITS_MAX);
            return decoder_fail(d, MC_EPARSE, where, diag);
        }
        if (d->_length > d->_record_bytes_max) {
            mc_diag_set(&d->_error_diag,
                        "record length %" PRIu64 " exceeds the limit of %zu bytes", d->_length,
                        d->_record_bytes_max);
            return decoder_fail(d, MC_ELIMIT, where, diag);
        }
        return 1;
    }
    if (c < '0' || c > '9') {
        char what[24];
        byte_describe(c, what, sizeof(what));
        mc_diag_set(&d->_error_diag,
                    "invalid byte %s in record length prefix (expected a decimal digit or "
                    "a line feed)",
                    what);
        return decoder_fail(d, MC_EPARSE, where, diag);
    }
    if (d->_digits == MC_RECORD_LENGTH_DIGITS_MAX) {
        mc_diag_set(&d->_error_diag, "record length prefix longer than %d digits",
                    MC_RECORD_LENGTH_DIGITS_MAX);
        return decoder_fail(d, MC_EPARSE, where, diag);
    }
    uint64_t digit = (uint64_t)(c - '0');
    if (d->_length > (UINT64_MAX - digit) / 10) {
        mc_diag_set(&d->_error_diag, "record length %" PRIu64 "%c overflows a 64-bit unsigned "
                    "integer", d->_length, (char)c);
        return decoder_fail(d, MC_EPARSE, where, diag);
    }
    d->_length = d->_length * 10 + digit;
    d->_digits++;
    return 0;
}

/* Grows the assembly buffer to hold at least need bytes (need <= length). */
static int buf_reserve(struct rio_decoder *d, size_t need)
{
    MC_ASSERT(need <= d->_length);
    if (need <= d->_buf_cap)
        return 0;
    size_t cap = d->_buf_cap < RIO_BUF_BYTES_MIN ? RIO_BUF_BYTES_MIN : d->_buf_cap;
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    if (cap > d->_length)
        cap = (size_t)d->_length;
    uint8_t *p = mc_realloc(d->_alloc, d->_buf, cap);
    if (p == NULL)
        return MC_ENOMEM;
    d->_buf = p;
    d->_buf_cap = cap;
    return 0;
}

/* Clears the per-record fields after a record has been handed out. */
static void record_done(struct rio_decoder *d)
{
    d->_state = RIO_STATE_LENGTH;
    d->_length = 0;
    d->_digits = 0;
    d->_got = 0;
}

/*
 * Collects record bytes from data[0..bytes). Returns 1 with the record when
 * it is complete, 0 when all bytes went into the buffer, or an error; *used
 * says how many bytes were taken.
 */
static int data_take(struct rio_decoder *d, const uint8_t *data, size_t bytes, size_t *used,
                     struct rio_record *record_out, struct mc_diag *diag)
{
    MC_ASSERT(d->_length <= d->_record_bytes_max);
    MC_ASSERT(d->_got < d->_length);
    size_t want = (size_t)d->_length - d->_got;
    *used = 0;
    if (d->_got == 0 && bytes >= want) {
        /* The whole record is in this chunk: hand it out in place. */
        record_out->data = data;
        record_out->bytes = want;
        *used = want;
        d->_offset += want;
        record_done(d);
        return 1;
    }
    size_t take = bytes < want ? bytes : want;
    if (buf_reserve(d, d->_got + take) != 0) {
        mc_diag_set(&d->_error_diag, "out of memory buffering a record of %" PRIu64 " bytes",
                    d->_length);
        return decoder_fail(d, MC_ENOMEM, d->_offset, diag);
    }
    memcpy(d->_buf + d->_got, data, take);
    d->_got += take;
    d->_offset += take;
    *used = take;
    if (d->_got < d->_length)
        return 0;
    record_out->data = d->_buf;
    record_out->bytes = d->_got;
    record_done(d);
    return 1;
}

int rio_decoder_feed(struct rio_decoder *d, const uint8_t *data, size_t bytes, size_t *consumed,
                     struct rio_record *record_out, struct mc_diag *diag)
{
    MC_ASSERT(d != NULL && consumed != NULL && record_out != NULL);
    MC_ASSERT(data != NULL || bytes == 0);
    *consumed = 0;
    if (d->_state == RIO_STATE_FAILED) {
        if (diag != NULL)
            *diag = d->_error_diag;
        return d->_error;
    }
    size_t i = 0;
    while (i < bytes) {
        if (d->_state == RIO_STATE_LENGTH) {
            int r = prefix_take(d, data[i], diag);
            if (r < 0) {
                *consumed = i;
                return r;
            }
            i++;
            d->_offset++;
            if (r == 0)
                continue;
            if (d->_length == 0) {
                /* An empty record is complete at its line feed. */
                record_out->data = rio_empty;
                record_out->bytes = 0;
                record_done(d);
                *consumed = i;
                return 1;
            }
            d->_state = RIO_STATE_DATA;
            continue;
        }
        MC_ASSERT(d->_state == RIO_STATE_DATA);
        size_t used = 0;
        int r = data_take(d, data + i, bytes - i, &used, record_out, diag);
        i += used;
        *consumed = i;
        if (r != 0)
            return r;
    }
    MC_ASSERT(i == bytes);
    *consumed = bytes;
    return 0;
}

int rio_decoder_finish(const struct rio_decoder *d, struct mc_diag *diag)
{
    MC_ASSERT(d != NULL);
    if (d->_state == RIO_STATE_FAILED) {
        if (diag != NULL)
            *diag = d->_error_diag;
        return d->_error;
    }
    if (d->_state == RIO_STATE_DATA) {
        mc_diag_clear(diag);
        mc_diag_set_at(diag, d->_offset,
                       "stream ended inside a record: %zu of %" PRIu64 " bytes (its length "
                       "prefix starts at byte %" PRIu64 ")",
                       d->_got, d->_length, d->_record_start);
        return MC_EPARSE;
    }
    if (d->_digits > 0) {
        mc_diag_clear(diag);
        mc_diag_set_at(diag, d->_offset,
                       "stream ended inside the length prefix that starts at byte %" PRIu64,
                       d->_record_start);
        return MC_EPARSE;
    }
    return 0;
}
