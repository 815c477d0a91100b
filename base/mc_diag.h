/*
 * mc_diag.h: what went wrong and where, for parsers and decoders.
 *
 * The caller owns a struct mc_diag and passes it in; the callee fills it on
 * error (jansson's json_error_t pattern). Library code never prints: the
 * caller decides where the text goes. Positions that do not apply stay 0;
 * lines and columns count from 1, byte offsets from 0.
 */
#ifndef MC_DIAG_H
#define MC_DIAG_H

#include <stdint.h>

#include "mc_limits.h"

struct mc_diag {
    char source[MC_DIAG_SOURCE_BYTES_MAX]; /* file name or stream, "" if none */
    uint32_t line;                         /* 1-based, 0 when not a text */
    uint32_t column;                       /* 1-based, 0 when not a text */
    uint64_t offset;                       /* byte offset into the input */
    int has_offset;                        /* 1 when offset is meaningful */
    char text[MC_DIAG_TEXT_BYTES_MAX];     /* one line, no trailing newline */
};

/* Clears everything. diag may be NULL (then every mc_diag_* call is a no-op). */
void mc_diag_clear(struct mc_diag *diag);

/* Sets the text (printf-style); keeps source and positions. */
void mc_diag_set(struct mc_diag *diag, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Sets the text and the byte offset. */
void mc_diag_set_at(struct mc_diag *diag, uint64_t offset, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Prepends "prefix: " to the existing text (used to add context outward). */
void mc_diag_prefix(struct mc_diag *diag, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/*
 * Formats the diagnostic as one line: "source:line:col: text",
 * "source: byte N: text" or just the text, whatever applies. Returns out.
 */
char *mc_diag_format(const struct mc_diag *diag, char *out, uint32_t out_bytes);

#endif
