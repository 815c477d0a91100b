/*
 * mc_limits.h: every named limit in one place.
 *
 * Each buffer, queue and loop over external data has its maximum here, so
 * that all of them can be read and reviewed together. The static assertions
 * at the end check how they relate.
 */
#ifndef MC_LIMITS_H
#define MC_LIMITS_H

#include <assert.h>

/* Diagnostics (mc_diag.h). */
#define MC_DIAG_SOURCE_BYTES_MAX 256
#define MC_DIAG_TEXT_BYTES_MAX 512

/* RecordIO: one record, as mesos-go caps it (W5). */
#define MC_RECORD_BYTES_MAX (4u * 1024u * 1024u)
/* Digits of a record's length prefix: an unsigned 64-bit decimal. */
#define MC_RECORD_LENGTH_DIGITS_MAX 20

/* JSON <-> protobuf: nesting of JSON containers and of messages. */
#define MC_JSON_DEPTH_MAX 64
/* A field path in an error text, "subscribe.framework_info.user". */
#define MC_FIELD_PATH_BYTES_MAX 256

/* HTTP/1.1 messages. */
#define MC_HTTP_HEADERS_MAX 64
#define MC_HTTP_HEADER_BYTES_MAX (8u * 1024u)     /* one name or value */
#define MC_HTTP_HEAD_BYTES_MAX (64u * 1024u)      /* request line + all headers */
#define MC_HTTP_URL_BYTES_MAX (8u * 1024u)
#define MC_HTTP_BODY_BYTES_MAX (16u * 1024u * 1024u)

/* Media types: entries of one Accept header. */
#define MC_MEDIA_RANGES_MAX 32

/* Whole inputs read by the CLI from stdin or a file. */
#define MC_INPUT_BYTES_MAX (64u * 1024u * 1024u)

static_assert(MC_RECORD_BYTES_MAX <= MC_INPUT_BYTES_MAX, "a record fits in an input");
static_assert(MC_HTTP_HEADER_BYTES_MAX <= MC_HTTP_HEAD_BYTES_MAX, "a header fits in a head");
static_assert(MC_HTTP_URL_BYTES_MAX <= MC_HTTP_HEAD_BYTES_MAX, "a URL fits in a head");
static_assert(MC_RECORD_BYTES_MAX <= MC_HTTP_BODY_BYTES_MAX, "a record fits in a body");
static_assert(MC_FIELD_PATH_BYTES_MAX < MC_DIAG_TEXT_BYTES_MAX, "a path fits in a diag");

#endif
