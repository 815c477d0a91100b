/*
 * report.h: the result model of one conformance run, and its writers.
 *
 * The runner records what happened: one struct report_run per run, one
 * struct report_case per scenario case, with its verdict (pass, fail, skip,
 * unknown), the SPEC.md rows it checks, its seed and trace hash, its
 * durations, the command that replays it, and for a failure the expected
 * and observed values, where in the scenario file the failing step is, and
 * the last events of each actor. The writers turn a finished run into text
 * for a terminal, JUnit XML and TAP for CI systems, and JSON for tools; the
 * JSON reader reads such a report back so that `mesos-conform replay` can
 * find a failure's seed and command.
 *
 * This module knows only its own model: it links base/ and jansson, never
 * the wire layer, the reference, the simulator or the runner. It never reads
 * a clock (times are given by the caller) and never prints: every writer
 * appends to a caller-owned struct mc_buf.
 *
 * Ownership. Every string argument is borrowed for the duration of the call
 * and copied in. The run owns its cases and every string; one call to
 * report_run_destroy frees them all. Pointers to cases stay valid until then.
 *
 * Strings. Every stored string is valid UTF-8 without NUL bytes: bytes that
 * are not UTF-8 are replaced by U+FFFD when they are copied in. A string
 * longer than its limit in mc_limits.h (MC_REPORT_LINE_BYTES_MAX or
 * MC_REPORT_TEXT_BYTES_MAX) is cut at a character boundary and ends with the
 * marker " ... N more bytes", so nothing is lost silently. Control characters
 * are kept in the model; each writer escapes them as its format needs.
 */
#ifndef REPORT_H
#define REPORT_H

#include <stddef.h>
#include <stdint.h>

#include "mc_alloc.h"
#include "mc_buf.h"
#include "mc_diag.h"
#include "mc_err.h"
#include "mc_limits.h"

enum report_verdict {
    REPORT_PASS,
    REPORT_FAIL,
    REPORT_SKIP,    /* the target lacks a need of the case; reason says which */
    REPORT_UNKNOWN, /* the target could not be reached or answered nothing attributable */
};
#define REPORT_VERDICT_COUNT 4

enum report_level {
    REPORT_LEVEL_MUST,
    REPORT_LEVEL_SHOULD,
    REPORT_LEVEL_INFO,
};
#define REPORT_LEVEL_COUNT 3

/*
 * The last events of one actor ("s1", "master", "agent1"): a ring of at most
 * MC_REPORT_ACTOR_LINES_MAX lines. When more are appended the oldest go, and
 * lines_dropped_count says how many went; writers show that as a first line
 * "... N more before". Read the lines with report_actor_log_line_get.
 */
struct report_actor_log {
    char *actor;
    char *lines_ring[MC_REPORT_ACTOR_LINES_MAX];
    uint32_t lines_head; /* index of the oldest line kept */
    uint32_t lines_count;
    uint64_t lines_dropped_count;
};

/* Why a case failed. Every string may be NULL (not known). */
struct report_failure {
    char *step;      /* the failing step as the scenario writes it */
    char *file;      /* scenario file of the failing step */
    uint32_t line;   /* 1-based; 0 when file is NULL */
    uint32_t column; /* 1-based; 0 when file is NULL */
    char *expected;
    char *observed;
    char *message;
    struct report_actor_log actors[MC_REPORT_ACTORS_MAX]; /* in first-append order */
    uint32_t actors_count;
};

/* What the runner knows about a failure, all borrowed; used to fill one. */
struct report_failure_desc {
    const char *step;
    const char *file;
    uint32_t line;
    uint32_t column;
    const char *expected;
    const char *observed;
    const char *message;
};

/*
 * A 307 that a real target answered and the runner followed, as clients
 * follow it (SPEC S2, M3): which actor's request, and where it went. At
 * most REPORT_REDIRECTS_MAX per case are kept.
 */
#define REPORT_REDIRECTS_MAX 64u

struct report_redirect {
    char *actor;   /* "s1" */
    char *step;    /* the request step as the scenario writes it; NULL if not known */
    uint32_t line; /* its line in the case's file; 0 when not known */
    char *to;      /* "host:port" the request was sent to next */
};

/*
 * One case. Read its fields directly; change them only through the
 * report_case_* functions, which copy strings and keep the limits.
 */
struct report_case {
    const struct mc_alloc *alloc; /* the run's, borrowed */
    char *id;                     /* "scheduler/subscribe/3" */
    char *title;
    char *file; /* the scenario file */
    enum report_level level;
    char *spec_rows[MC_REPORT_SPEC_ROWS_MAX]; /* "S4", "W8a" in the order added */
    uint32_t spec_rows_count;
    char *tags[MC_REPORT_TAGS_MAX];
    uint32_t tags_count;
    uint64_t seed;
    uint64_t trace_hash;
    uint64_t sim_ns;  /* simulated time the case took */
    uint64_t wall_ns; /* wall-clock time, as measured by the caller */
    enum report_verdict verdict;
    char *reason;                   /* why skip or unknown; NULL if none */
    char *replay;                   /* the command that replays the case; NULL if none */
    struct report_failure *failure; /* NULL unless report_case_failure_set was called */
    struct report_redirect redirects[REPORT_REDIRECTS_MAX]; /* in the order followed */
    uint32_t redirects_count;
};

/* The run: what ran against what, and its cases in the order added. */
struct report_run {
    const struct mc_alloc *alloc;
    char *version; /* of the tool */
    char *target;  /* "sim" or a URL */
    char *started; /* as given by the caller; the module never reads a clock */
    uint64_t seed;
    uint64_t wall_ns;
    struct report_case **cases;
    uint32_t cases_count;
    uint32_t cases_cap;
};

/* Counts per verdict, indexed by enum report_verdict. */
struct report_totals {
    uint32_t cases_count;
    uint32_t verdict_counts[REPORT_VERDICT_COUNT];
};

/* The formats a run can be written in. */
enum report_format {
    REPORT_FORMAT_TEXT,
    REPORT_FORMAT_JUNIT,
    REPORT_FORMAT_JSON,
    REPORT_FORMAT_TAP,
};

/* Flags of report_write_text and report_write. */
#define REPORT_TEXT_COLOUR 0x1u  /* ANSI colours on verdict words; the caller asks isatty */
#define REPORT_TEXT_VERBOSE 0x2u /* also each case's redirects, under its line */

/* "pass", "fail", "skip", "unknown"; never NULL (asserts a valid verdict). */
const char *report_verdict_name(enum report_verdict verdict);

/* The verdict named name (exact, lower case); MC_EINVAL if none is. */
int report_verdict_parse(const char *name, enum report_verdict *out) MC_MUST_USE;

/* "must", "should", "info"; never NULL (asserts a valid level). */
const char *report_level_name(enum report_level level);

/* The level named name (exact, lower case); MC_EINVAL if none is. */
int report_level_parse(const char *name, enum report_level *out) MC_MUST_USE;

/* The format named "text", "junit", "json" or "tap"; MC_EINVAL otherwise. */
int report_format_parse(const char *name, enum report_format *out) MC_MUST_USE;

/*
 * Creates an empty run. alloc (NULL means the system allocator) must outlive
 * the run; every allocation of the run goes through it. The strings are
 * copied. On success *out owns the run (free it with report_run_destroy);
 * on MC_ENOMEM *out is untouched and nothing is left allocated.
 */
int report_run_create(const struct mc_alloc *alloc, const char *version, const char *target,
                      const char *started, struct report_run **out) MC_MUST_USE;

/* Frees the run, its cases and every string. run may be NULL. */
void report_run_destroy(struct report_run *run);

/* The seed the run was started with (cases may each have their own). */
void report_run_seed_set(struct report_run *run, uint64_t seed);

/* The wall-clock duration of the whole run, as measured by the caller. */
void report_run_wall_ns_set(struct report_run *run, uint64_t wall_ns);

/*
 * Appends a case with its id, title and scenario file (copied). The new case
 * is REPORT_UNKNOWN with no reason and level must, until set otherwise: a
 * case the runner never finished is not a pass. *out points to the case,
 * owned by the run. Errors: MC_ELIMIT past MC_REPORT_CASES_MAX cases,
 * MC_ENOMEM; on error the run is unchanged. Ids are not checked for
 * uniqueness: the runner makes them.
 */
int report_run_case_add(struct report_run *run, const char *id, const char *title, const char *file,
                        struct report_case **out) MC_MUST_USE;

/* Counts the cases per verdict. */
void report_run_totals_count(const struct report_run *run, struct report_totals *out);

/*
 * The process exit status the run deserves: 1 if a case failed, or if a case
 * is unknown and allow_unknown is 0; else 0 (all passed or skipped, or no
 * case at all: choosing no case is the caller's error to report).
 */
int report_run_exit_status(const struct report_run *run, int allow_unknown);

/*
 * Plain values of a case; they cannot fail. Durations are nanoseconds:
 * sim_ns of simulated time, wall_ns as the caller measured it.
 */
void report_case_level_set(struct report_case *c, enum report_level level);
void report_case_seed_set(struct report_case *c, uint64_t seed);
void report_case_trace_hash_set(struct report_case *c, uint64_t trace_hash);
void report_case_duration_set(struct report_case *c, uint64_t sim_ns, uint64_t wall_ns);

/* Appends a SPEC.md row ("S4") or a tag. MC_ELIMIT past the limit, MC_ENOMEM. */
int report_case_spec_add(struct report_case *c, const char *row) MC_MUST_USE;
int report_case_tag_add(struct report_case *c, const char *tag) MC_MUST_USE;

/*
 * Sets the verdict and its reason (copied; NULL for none). MC_ENOMEM leaves
 * the case unchanged.
 */
int report_case_verdict_set(struct report_case *c, enum report_verdict verdict,
                            const char *reason) MC_MUST_USE;

/* Sets the replay command (copied; NULL for none). MC_ENOMEM leaves it unchanged. */
int report_case_replay_set(struct report_case *c, const char *command) MC_MUST_USE;

/*
 * Records why the case failed (every string of desc copied; NULL ones stay
 * unknown). A second call replaces the first, actor logs included. The
 * verdict is set separately. MC_ENOMEM leaves the case unchanged.
 */
int report_case_failure_set(struct report_case *c,
                            const struct report_failure_desc *desc) MC_MUST_USE;

/*
 * Appends one event line to the log of actor (both copied) of the case's
 * failure, which must have been set first. A line with a newline is kept
 * whole; writers escape it. Past MC_REPORT_ACTOR_LINES_MAX lines the oldest
 * line goes and is counted (see struct report_actor_log). Errors: MC_ELIMIT
 * when the actor is new and MC_REPORT_ACTORS_MAX actors already have a log,
 * MC_ENOMEM; on error the log is unchanged.
 */
int report_case_actor_log_append(struct report_case *c, const char *actor,
                                 const char *line) MC_MUST_USE;

/*
 * Notes a redirect the case's run followed (every string copied; step may
 * be NULL, line 0). Errors: MC_ELIMIT past REPORT_REDIRECTS_MAX, MC_ENOMEM;
 * on error the case is unchanged.
 */
int report_case_redirect_add(struct report_case *c, const char *actor, const char *step,
                             uint32_t line, const char *to) MC_MUST_USE;

/* The index-th oldest line kept (index < log->lines_count). */
const char *report_actor_log_line_get(const struct report_actor_log *log, uint32_t index);

/*
 * The writers. Each appends one whole report to out and returns 0, or
 * returns MC_ENOMEM or MC_ELIMIT (out's own len_max; MC_REPORT_OUTPUT_BYTES_MAX
 * is the limit meant for a report) and leaves out as it was before the call.
 * Output depends only on the run: the same run gives the same bytes.
 *
 * text: one line per case, the details of each failed or unknown case
 * (where, expected and observed, the redirects followed, the last events
 * per actor, the line "replay: COMMAND"), a summary line, and last the line
 * CI systems read, "N passed, N failed, N skipped" (", N unknown" added
 * when N > 0). flags: REPORT_TEXT_COLOUR, REPORT_TEXT_VERBOSE (each case's
 * redirects under its line, whatever its verdict).
 */
int report_write_text(const struct report_run *run, struct mc_buf *out, uint32_t flags) MC_MUST_USE;

/*
 * JUnit XML as Jenkins and GitLab read it: one testsuite; testcase name is
 * the id, classname the id's area with dots ("scheduler.subscribe" for
 * "scheduler/subscribe/3"); a fail is <failure>, a skip <skipped>, an unknown
 * <error>. Characters XML 1.0 forbids are written as the text \xNN.
 */
int report_write_junit(const struct report_run *run, struct mc_buf *out) MC_MUST_USE;

/* JSON, one object in the schema of reports/README.md, keys in fixed order. */
int report_write_json(const struct report_run *run, struct mc_buf *out) MC_MUST_USE;

/* TAP version 13, with a YAML block for each failed or unknown case. */
int report_write_tap(const struct report_run *run, struct mc_buf *out) MC_MUST_USE;

/* Writes the run in format (flags apply to text only). */
int report_write(const struct report_run *run, enum report_format format, struct mc_buf *out,
                 uint32_t flags) MC_MUST_USE;

/*
 * Reads a JSON report (the text of len bytes; it need not end with NUL)
 * back into a new run allocated with the system allocator. On success *out
 * owns the run. Errors, with diag (may be NULL) saying what and where:
 * MC_ELIMIT for an input over MC_REPORT_JSON_BYTES_MAX or a list over its
 * limit, MC_EPARSE for text that is not JSON (diag has line, column and
 * byte offset) or does not follow the schema (the text names the field, as
 * "cases[2].verdict: ..."), MC_ENOMEM; on error *out is untouched. Keys the
 * schema does not know are ignored, so newer reports stay readable.
 */
int report_read_json(const char *text, size_t len, struct report_run **out,
                     struct mc_diag *diag) MC_MUST_USE;

#endif
