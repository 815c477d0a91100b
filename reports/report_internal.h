/*
 * report_internal.h: helpers shared by the files of the reports module
 * (names with a double underscore); not part of its public face.
 */
#ifndef REPORT_INTERNAL_H
#define REPORT_INTERNAL_H

#include <inttypes.h>
#include <stddef.h>
#include <stdint.h>

#include "report.h"

/* Room a cut string keeps for its marker " ... N more bytes" and the NUL. */
#define REPORT__CUT_MARKER_BYTES_MAX 40u

/*
 * Copies s as a model string (report.h, "Strings"): bytes that are not UTF-8
 * become U+FFFD, and a result longer than bytes_max is cut with a marker so
 * that it holds at most bytes_max bytes. s NULL gives *out NULL. On success
 * *out is owned by the caller (free with mc_free(alloc, ..)); MC_ENOMEM
 * leaves *out untouched.
 */
int report__str_copy(const struct mc_alloc *alloc, const char *s, size_t bytes_max,
                     char **out) MC_MUST_USE;

/*
 * Replaces *field by a copy of s (report__str_copy) and frees the old
 * string; on MC_ENOMEM *field is unchanged.
 */
int report__str_replace(const struct mc_alloc *alloc, char **field, const char *s,
                        size_t bytes_max) MC_MUST_USE;

/*
 * Decodes the character at s (n > 0 bytes left): returns its length in
 * bytes (1 to 4) and sets *cp. A byte that starts no valid UTF-8 sequence
 * gives length 1 and U+FFFD; model strings never have one.
 */
size_t report__utf8_decode(const char *s, size_t n, uint32_t *cp);

/* Puts the buffer back to len bytes (len <= b->len), for a writer's error path. */
void report__buf_truncate(struct mc_buf *b, size_t len);

/*
 * Formats ns as seconds with decimals (1 to 9) digits after the point,
 * cut toward zero, as "12.345"; out has at least 32 bytes. Returns out.
 */
char *report__seconds_format(uint64_t ns, unsigned decimals, char *out);

/* The sum of the cases' simulated time, saturating at UINT64_MAX. */
uint64_t report__run_sim_ns_sum(const struct report_run *run);

/*
 * Appends the detail lines of a failed or unknown case, as the text writer
 * shows them and the JUnit writer embeds them: indented "  key: value"
 * lines, the last events per actor, and "replay: COMMAND" unindented.
 * Control characters are escaped as \xNN (\uNNNN above 0x7F). Errors of
 * out (MC_ENOMEM, MC_ELIMIT) are returned; out may then hold part of it.
 */
int report__case_detail_write(const struct report_case *c, struct mc_buf *out) MC_MUST_USE;

/*
 * Appends s with control characters escaped as in report__case_detail_write;
 * a newline becomes a newline followed by indent, or the text \n when indent
 * is NULL.
 */
int report__text_escaped_put(struct mc_buf *out, const char *s, const char *indent) MC_MUST_USE;

/* Appends the plain totals line "N passed, N failed, N skipped[, N unknown]". */
int report__totals_line_put(struct mc_buf *out, const struct report_totals *totals) MC_MUST_USE;

/*
 * Adds dropped to the count of lines the log of actor lost (creating that
 * log, empty, if needed): the JSON reader's way to restore a "... N more
 * before" marker. The failure must be set. Errors as report_case_actor_log_append.
 */
int report__actor_log_dropped_add(struct report_case *c, const char *actor,
                                  uint64_t dropped) MC_MUST_USE;

/* The marker line of a log that lost lines: "... N more before". */
#define REPORT__DROPPED_MARKER_FMT "... %" PRIu64 " more before"

#endif
