/*
 * mc_buf.h: a growable byte buffer with a size limit.
 *
 * Every buffer is created with its own maximum (curl's dynbuf): an append
 * that would pass it fails with MC_ELIMIT and leaves the buffer unchanged.
 * The data is always followed by a NUL byte (not counted in len), so a
 * buffer of text can be used as a C string, yet it may hold any bytes.
 */
#ifndef MC_BUF_H
#define MC_BUF_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "mc_alloc.h"
#include "mc_err.h"

struct mc_buf {
    uint8_t *data; /* NULL until the first append */
    size_t len;
    size_t cap;
    size_t len_max;
    const struct mc_alloc *alloc; /* NULL means the system allocator */
};

/* Initializes an empty buffer that may hold up to len_max bytes. */
void mc_buf_init(struct mc_buf *b, size_t len_max, const struct mc_alloc *alloc);

/* Frees the data; the buffer is empty and may be used again. */
void mc_buf_deinit(struct mc_buf *b);

/* Empties the buffer, keeping its memory. */
void mc_buf_reset(struct mc_buf *b);

/* Appends bytes; MC_ELIMIT past len_max, MC_ENOMEM if allocation fails. */
int mc_buf_append(struct mc_buf *b, const void *data, size_t bytes) MC_MUST_USE;
int mc_buf_append_str(struct mc_buf *b, const char *s) MC_MUST_USE;
int mc_buf_append_byte(struct mc_buf *b, uint8_t byte) MC_MUST_USE;
/*
 * Grows the buffer by bytes and sets *at to the new region (its content
 * unset, a NUL after it), for a writer that fills it in place. MC_ENOMEM or
 * MC_ELIMIT leave the buffer as it was.
 */
int mc_buf_grow(struct mc_buf *b, size_t bytes, uint8_t **at) MC_MUST_USE;
int mc_buf_appendf(struct mc_buf *b, const char *fmt, ...) MC_MUST_USE
    __attribute__((format(printf, 2, 3)));
int mc_buf_vappendf(struct mc_buf *b, const char *fmt, va_list ap) MC_MUST_USE;

/* Removes the first bytes (bytes <= len), moving the rest to the front. */
void mc_buf_consume(struct mc_buf *b, size_t bytes);

/*
 * Hands the data over to the caller, who frees it with mc_free(b->alloc, ..);
 * the buffer is left empty. Returns NULL for an empty buffer; *len_out (if
 * not NULL) gets the length.
 */
uint8_t *mc_buf_take(struct mc_buf *b, size_t *len_out);

/* The contents as a C string ("" when empty). */
const char *mc_buf_str(const struct mc_buf *b);

#endif
