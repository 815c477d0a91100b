/*
 * recordio.h: the RecordIO framing of Mesos streams (SPEC W5).
 *
 * A stream is a sequence of records, each written as its length in bytes in
 * decimal, a line feed, then exactly that many bytes:
 *
 *     20\n{"type":"HEARTBEAT"}
 *
 * (docs/recordio.md and 3rdparty/stout/include/stout/recordio.hpp in the
 * Mesos source). Proxies may re-chunk a stream anywhere, so the decoder is
 * incremental: it accepts any split of its input, keeps only the part of a
 * record that has arrived so far, and never calls back into the caller.
 *
 * What the decoder accepts, and why:
 *   - The length prefix is 1 to MC_RECORD_LENGTH_DIGITS_MAX ASCII digits,
 *     the grammar of docs/recordio.md (`record-size = 1*DIGIT`).
 *   - Leading zeros are accepted ("007\n" is a record of 7 bytes), because
 *     Mesos' own decoder (stout `numify`, i.e. boost::lexical_cast) accepts
 *     them. They still count towards the digit limit.
 *   - A zero-length record ("0\n") is a valid, empty record: Mesos' decoder
 *     yields it at once.
 *   - An empty prefix ("\n"), whitespace (" 5", "5\r\n"), a sign ("+5",
 *     "-1") or hex ("0x10") are errors. Mesos' decoder also rejects the
 *     first two; it lets boost/stout read a sign or a hex prefix (and wraps
 *     "-1" round to 2^64-1), which the documented grammar does not allow and
 *     no Mesos encoder produces, so we reject them.
 *   - Unlike Mesos, the decoder enforces a record size limit (mesos-go caps
 *     a record at 4 MiB, MC_RECORD_BYTES_MAX) and reports a stream that ends
 *     inside a record (rio_decoder_finish) instead of dropping it silently.
 */
#ifndef MC_RECORDIO_H
#define MC_RECORDIO_H

#include <stddef.h>
#include <stdint.h>

#include "mc_alloc.h"
#include "mc_buf.h"
#include "mc_diag.h"
#include "mc_err.h"

/*
 * Appends one framed record (its decimal length, '\n', then the bytes) to
 * out. record may be NULL only when record_bytes is 0. On error out is left
 * exactly as it was.
 * Errors: MC_ELIMIT when the framed record does not fit under out's
 * len_max, MC_ENOMEM when growing out fails.
 */
int rio_encode(struct mc_buf *out, const void *record, size_t record_bytes) MC_MUST_USE;

/* One decoded record; the bytes are borrowed (see rio_decoder_feed). */
struct rio_record {
    const uint8_t *data; /* never NULL, even for an empty record */
    size_t bytes;
};

enum rio_state {
    RIO_STATE_LENGTH, /* reading a length prefix (maybe none of it yet) */
    RIO_STATE_DATA,   /* reading the bytes of a record */
    RIO_STATE_FAILED  /* an error happened; only re-initialising helps */
};

/*
 * The decoder. All fields are private to recordio.c; the struct is public
 * only so that callers can embed it. Its memory is bounded: it buffers at
 * most one record (never more than record_bytes_max bytes), and only the
 * part of it that has arrived.
 */
struct rio_decoder {
    enum rio_state _state;
    size_t _record_bytes_max;
    const struct mc_alloc *_alloc;
    uint64_t _offset;       /* stream bytes consumed so far, across feeds */
    uint64_t _length;       /* the length prefix read so far, or the record's */
    uint32_t _digits;       /* digits of the current length prefix */
    uint64_t _record_start; /* stream offset of the current record's prefix */
    uint8_t *_buf;          /* a record that spans feeds is assembled here */
    size_t _buf_cap;
    size_t _got;            /* bytes of the current record assembled in _buf */
    int _error;             /* the sticky error once _state is FAILED */
    struct mc_diag _error_diag;
};

/*
 * Initialises d to read a stream from its first byte. Records longer than
 * record_bytes_max bytes are refused (MC_ELIMIT); pass MC_RECORD_BYTES_MAX
 * for the usual limit. alloc is borrowed for the life of d (NULL means the
 * system allocator). Nothing is allocated until a record spans two feeds.
 */
void rio_decoder_init(struct rio_decoder *d, size_t record_bytes_max, const struct mc_alloc *alloc);

/* Frees what d holds. d may be initialised again afterwards. */
void rio_decoder_deinit(struct rio_decoder *d);

/*
 * Decodes from the next bytes of the stream, stopping at the end of the
 * first record completed. data may be NULL only when bytes is 0. Returns:
 *   1  a record is complete: *record_out holds it and *consumed says how
 *      many of these bytes were used (at least 1); feed the rest next;
 *   0  all bytes were used (*consumed == bytes) and no record completed;
 *   <0 an error, and *consumed is the number of bytes used before the one
 *      at which the error was found:
 *      MC_EPARSE  a bad length prefix: a byte that is neither a digit nor
 *                 '\n' (signs and whitespace included), an empty prefix,
 *                 more than MC_RECORD_LENGTH_DIGITS_MAX digits, or a value
 *                 past 2^64-1;
 *      MC_ELIMIT  a length greater than record_bytes_max (found at the
 *                 prefix's '\n');
 *      MC_ENOMEM  buffering a record that spans feeds failed.
 *      diag (may be NULL) gets a one-line text and the absolute offset in
 *      the stream, counted across feeds, of the byte at which the error was
 *      found. Every error is sticky: each later feed (and finish) returns
 *      the same code and diag and consumes nothing.
 * The record's bytes are borrowed: they point either into data (when the
 * whole record lay inside this call's bytes) or into d's own buffer, so they
 * are valid until the next call on d and, in the first case, only while the
 * caller keeps data.
 */
int rio_decoder_feed(struct rio_decoder *d, const uint8_t *data, size_t bytes, size_t *consumed,
                     struct rio_record *record_out, struct mc_diag *diag) MC_MUST_USE;

/*
 * Says whether the stream may end here. Returns 0 when it ended on a record
 * boundary, MC_EPARSE when it ended inside a length prefix or inside a
 * record ("stream ended inside a record: 3 of 5 bytes"), with diag's offset
 * at the end of the stream, or the sticky error of an earlier feed. It does
 * not change d.
 */
int rio_decoder_finish(const struct rio_decoder *d, struct mc_diag *diag) MC_MUST_USE;

/* The number of stream bytes d has consumed so far. */
uint64_t rio_decoder_offset(const struct rio_decoder *d);

#endif
