/*
 * mc_base64.h: standard base64 (RFC 4648, with padding), as Mesos writes
 * `bytes` fields in JSON.
 */
#ifndef MC_BASE64_H
#define MC_BASE64_H

#include <stddef.h>
#include <stdint.h>

#include "mc_buf.h"

/* Appends the base64 text of data to out. */
int mc_base64_encode(struct mc_buf *out, const uint8_t *data, size_t bytes) MC_MUST_USE;

/*
 * Appends the decoded bytes of text to out. Accepts padded input and input
 * without its trailing padding; anything else (bad characters, bad length,
 * bits after the end) is MC_EPARSE with *bad_offset (if not NULL) set to
 * the offset of the first bad character.
 */
int mc_base64_decode(struct mc_buf *out, const char *text, size_t text_bytes,
                     size_t *bad_offset) MC_MUST_USE;

#endif
