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

/*
 * HTTP/1.1 message model and wire glue (reference/http_msg.h,
 * reference/uv/http1.h). A method is a short token; the longest one
 * http-parser knows is 11 bytes. The framing of one chunked body (size
 * lines, chunk extensions, the final CRLFs and trailers) is bounded apart
 * from its data, so that a peer cannot keep a request going forever with
 * extensions alone; one request may therefore take at most the sum of the
 * three on the wire.
 */
#define MC_HTTP_METHOD_BYTES_MAX 32
#define MC_HTTP_BODY_FRAMING_BYTES_MAX (1u * 1024u * 1024u)
#define MC_HTTP_REQUEST_WIRE_BYTES_MAX \
    (MC_HTTP_HEAD_BYTES_MAX + MC_HTTP_BODY_BYTES_MAX + MC_HTTP_BODY_FRAMING_BYTES_MAX)

static_assert(MC_HTTP_METHOD_BYTES_MAX <= MC_HTTP_HEAD_BYTES_MAX, "a method fits in a head");
static_assert(MC_HTTP_HEAD_BYTES_MAX < 80u * 1024u,
              "our head limit is reached before http-parser's own (80 KiB)");
static_assert(MC_HTTP_REQUEST_WIRE_BYTES_MAX > MC_HTTP_BODY_BYTES_MAX, "framing has room");

/*
 * Reports (reports/report.h): the result model of one run and its writers.
 * A string longer than its limit is cut with a visible marker, never lost
 * silently; a log longer than its limit keeps its last lines and counts the
 * rest.
 */
#define MC_REPORT_CASES_MAX 65536u             /* cases in one run */
#define MC_REPORT_SPEC_ROWS_MAX 32u            /* SPEC.md rows one case cites */
#define MC_REPORT_TAGS_MAX 32u                 /* tags of one case */
#define MC_REPORT_ACTORS_MAX 16u               /* actors with a log in one failure */
#define MC_REPORT_ACTOR_LINES_MAX 8u           /* last events kept per actor */
#define MC_REPORT_LINE_BYTES_MAX 4096u         /* id, title, path, tag, log line, command */
#define MC_REPORT_TEXT_BYTES_MAX (64u * 1024u) /* expected, observed, message, reason */
#define MC_REPORT_OUTPUT_BYTES_MAX MC_INPUT_BYTES_MAX /* one written report */
#define MC_REPORT_JSON_BYTES_MAX MC_INPUT_BYTES_MAX   /* a JSON report read back */

static_assert(MC_REPORT_LINE_BYTES_MAX <= MC_REPORT_TEXT_BYTES_MAX, "a line fits in a text");
static_assert(MC_REPORT_LINE_BYTES_MAX >= 64u, "a cut line has room for its marker");
static_assert(MC_REPORT_ACTOR_LINES_MAX >= 1u, "an actor log keeps its last line");
static_assert(MC_REPORT_OUTPUT_BYTES_MAX <= MC_REPORT_JSON_BYTES_MAX,
              "every JSON report written can be read back");

/*
 * JSON <-> protobuf (proto/pbjson.h). Mesos' parser (stout over picojson)
 * allows 200 levels of nested arrays and objects and answers a syntax error
 * past them; we allow exactly as many so that every body Mesos takes is
 * taken, and never encode deeper than we can read back. A JSON body is at
 * most an HTTP body. The reason texts Mesos gives are usually short, but a
 * syntax error quotes the rest of the failing line: the buffer keeps this
 * much and pbjson_error_text_append rebuilds the rest.
 */
#define MC_PBJSON_NESTING_MAX 200
#define MC_PBJSON_INPUT_BYTES_MAX MC_HTTP_BODY_BYTES_MAX
#define MC_PBJSON_MESOS_TEXT_BYTES_MAX 4096u

static_assert(MC_PBJSON_NESTING_MAX >= MC_JSON_DEPTH_MAX, "Mesos' nesting includes ours");
static_assert(MC_PBJSON_MESOS_TEXT_BYTES_MAX >= MC_DIAG_TEXT_BYTES_MAX, "a reason fits");

/*
 * The simulator (simulator/sim.h). A world's queue of pending events is
 * bounded by its options.events_max, itself at most MC_SIM_EVENTS_MAX; the
 * default of events_per_instant_max is how many events may run at one
 * simulated time before the world calls it a zero-delay loop. Incarnations
 * count every node added or restarted in one world (each keeps a small
 * record so that a crashed core's stale runtime calls stay harmless).
 */
#define MC_SIM_ADDRESS_BYTES_MAX 64u           /* "host:port" with its NUL */
#define MC_SIM_NODES_MAX 256u                  /* addresses in one world */
#define MC_SIM_PROCS_MAX 4096u                 /* incarnations in one world */
#define MC_SIM_EVENTS_MAX (1u << 20)           /* queued events, upper bound */
#define MC_SIM_EVENTS_DEFAULT (1u << 16)       /* queued events, default */
#define MC_SIM_EVENTS_PER_INSTANT_DEFAULT 100000u
#define MC_SIM_CONNS_MAX 65536u                /* open simulated connections */
#define MC_SIM_PARTITIONS_MAX 64u              /* partitions in force at once */
#define MC_SIM_PARTITION_SIDE_MAX 64u          /* addresses on one side */
#define MC_SIM_HOLDS_MAX 64u                   /* held links at once */
#define MC_SIM_CHECKS_MAX 32u                  /* registered checkers */
#define MC_SIM_CHUNK_PIECES_MAX 8u             /* pieces one stream chunk is cut into */
#define MC_SIM_STORE_KEYS_MAX 4096u            /* durable keys per address */
#define MC_SIM_STORE_KEY_BYTES_MAX 256u        /* one key, with its NUL */
#define MC_SIM_STORE_VALUE_BYTES_MAX MC_HTTP_BODY_BYTES_MAX /* one stored value */
#define MC_SIM_TRACE_LINE_BYTES_MAX 1024u      /* one trace line, with its NUL */

static_assert(MC_SIM_EVENTS_DEFAULT <= MC_SIM_EVENTS_MAX, "the default queue is allowed");
static_assert(MC_SIM_EVENTS_MAX < 0xffffffffu, "a queue position fits a heap slot");
static_assert(MC_SIM_NODES_MAX <= MC_SIM_PROCS_MAX, "every node has an incarnation");
static_assert(MC_SIM_CHUNK_PIECES_MAX >= 2u, "a split chunk has two pieces at least");
static_assert(2u * MC_SIM_ADDRESS_BYTES_MAX + 256u <= MC_SIM_TRACE_LINE_BYTES_MAX,
              "a trace line has room for both addresses and the head of a request line");


/* The reference master (reference/master/). */
#define MC_MASTER_FRAMEWORKS_MAX 65536u /* live frameworks, connected or not */

#endif
