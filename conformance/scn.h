/*
 * scn.h: the scenario language of the conformance suite, the public face
 * of conformance/scn_*.c.
 *
 * A scenario file (scenarios/README.md defines the language) describes one
 * behaviour: metadata (id, title, SPEC.md rows, level, needs, versions,
 * tags), the simulated cluster it needs (master settings, agents), its
 * actors (schedulers), and a list of steps (requests, expectations,
 * captures, time, faults). The parser reads a whole file and builds a
 * struct scn_case, the AST the runner walks. Every step keeps the line and
 * column where it starts, so that a failure can point at it.
 *
 * The parser checks everything that can be known without running: unknown
 * keywords, missing or repeated metadata, bad durations, bad JSON (with the
 * place inside the block mapped back to the file), bad predicates, actors
 * and agents that were not declared, variables used before they are
 * defined, steps whose needs the metadata does not list, and every limit of
 * base/mc_limits.h (MC_SCN_*). The first error stops it and fills the
 * caller's struct mc_diag with the file, line, column and a message;
 * scn_diag_render adds the line and a caret under the column.
 *
 * Variables. Text in a step (words, strings, header values, JSON strings)
 * may hold ${NAME}, replaced when the step runs (scn_text_expand). "$${"
 * stands for a literal "${"; any other '$' is literal. The runner defines
 * NAME through capture and let steps, and the built-ins ${ACTOR.stream_id}
 * and ${ACTOR.framework_id} (the actor's current subscription).
 *
 * Ownership. A case owns everything it points to, JSON blocks included
 * (json_t references held by the case); scn_case_free releases it all.
 * Nothing here is global; all memory but jansson's comes from the struct
 * mc_alloc given to the parse call (jansson's allocator is process-wide).
 */
#ifndef SCN_H
#define SCN_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "mc_alloc.h"
#include "mc_buf.h"
#include "mc_diag.h"
#include "mc_err.h"
#include "mc_limits.h"
#include "mc_list.h"

enum scn_level { SCN_LEVEL_MUST, SCN_LEVEL_SHOULD, SCN_LEVEL_INFO };

/* What a case needs from its target; a target without one skips the case. */
enum scn_need {
    SCN_NEED_AGENTS = 1u << 0,         /* agent setup lines */
    SCN_NEED_PARTITIONS = 1u << 1,     /* partition, heal */
    SCN_NEED_HOLDS = 1u << 2,          /* hold, release */
    SCN_NEED_MASTER_RESTART = 1u << 3, /* restart master */
    SCN_NEED_AGENT_RESTART = 1u << 4,  /* crash AGENT, restart AGENT */
    SCN_NEED_DROPS = 1u << 5,          /* drop heartbeats */
    SCN_NEED_SPLITS = 1u << 6,         /* split */
    SCN_NEED_PROTOBUF = 1u << 7,       /* any request "as protobuf" */
};
#define SCN_NEED_COUNT 8

enum scn_codec { SCN_CODEC_JSON, SCN_CODEC_PROTOBUF };

enum scn_step_kind {
    SCN_STEP_SUBSCRIBE,       /* ACTOR subscribe [as CODEC] */
    SCN_STEP_CALL,            /* ACTOR call TYPE [as CODEC] */
    SCN_STEP_RAW,             /* ACTOR raw METHOD PATH */
    SCN_STEP_EXPECT_STATUS,   /* expect ACTOR status N */
    SCN_STEP_EXPECT_HEADER,   /* expect ACTOR header NAME OP [VALUE] */
    SCN_STEP_EXPECT_BODY,     /* expect ACTOR body OP VALUE | body json */
    SCN_STEP_EXPECT_EVENT,    /* expect ACTOR event TYPE [within D]: first such event */
    SCN_STEP_EXPECT_NEXT,     /* expect ACTOR next TYPE [within D]: the very next event */
    SCN_STEP_EXPECT_NO_EVENT, /* expect ACTOR no event [TYPE] for D */
    SCN_STEP_EXPECT_ORDER,    /* expect ACTOR order T1 T2 ... [within D] */
    SCN_STEP_EXPECT_CLOSED,   /* expect ACTOR closed [within D] */
    SCN_STEP_CAPTURE,         /* capture VAR = ACTOR (header NAME | body PATH | event TYPE PATH) */
    SCN_STEP_LET,             /* let VAR = STRING */
    SCN_STEP_ADVANCE,         /* advance D */
    SCN_STEP_PARTITION,       /* partition A ... | B ... */
    SCN_STEP_HEAL,            /* heal */
    SCN_STEP_HOLD,            /* hold ACTOR */
    SCN_STEP_RELEASE,         /* release ACTOR */
    SCN_STEP_RESET,           /* reset ACTOR */
    SCN_STEP_CLOSE,           /* close ACTOR */
    SCN_STEP_SPLIT,           /* split ACTOR N */
    SCN_STEP_RESTART,         /* restart master | restart AGENT */
    SCN_STEP_CRASH,           /* crash AGENT */
    SCN_STEP_DROP_HEARTBEATS, /* drop heartbeats ACTOR for D */
};
#define SCN_STEP_KIND_COUNT 24

/* Comparisons of expect header / expect body. */
enum scn_op {
    SCN_OP_NONE,
    SCN_OP_EQ,       /* == VALUE: equal, byte for byte */
    SCN_OP_NE,       /* != VALUE */
    SCN_OP_MATCHES,  /* ~ REGEX: POSIX extended regex, unanchored */
    SCN_OP_CONTAINS, /* contains VALUE */
    SCN_OP_EXISTS,   /* exists (headers only) */
    SCN_OP_ABSENT,   /* absent (headers only) */
    SCN_OP_JSON,     /* json BLOCK: the body parses as JSON and matches the subset */
};

enum scn_capture_from { SCN_CAPTURE_HEADER, SCN_CAPTURE_BODY, SCN_CAPTURE_EVENT };

/* The request body of a raw step. */
enum scn_body_kind { SCN_BODY_NONE, SCN_BODY_BYTES, SCN_BODY_JSON };

struct scn_pos {
    uint32_t line;   /* 1-based */
    uint32_t column; /* 1-based, in bytes */
};

/* One request header a step sets (value NULL: the step removes it). */
struct scn_header {
    struct mc_list_node node;
    char *name;
    char *value; /* may hold ${VAR}; NULL for "no-header NAME" */
    struct scn_pos pos;
};

#define SCN_ACTOR_NONE UINT32_MAX

/*
 * One step. Which fields apply depends on kind; the others stay zero/NULL.
 *  SUBSCRIBE: actor, codec, headers, json (the Subscribe message, or NULL
 *    for the default {"framework_info": {"user": "root", "name":
 *    "mesos-conform"}}).
 *  CALL: actor, codec, name (the Call type), headers, json (the whole Call
 *    object, or NULL for {}; the runner fills "type" and, when absent,
 *    "framework_id", and sends Mesos-Stream-Id unless a header says not).
 *  RAW: actor, method, path, headers, body_kind with body_bytes/body_len
 *    (text or base64, decoded) or json (sent as its compact text).
 *  EXPECT_STATUS: actor, status.
 *  EXPECT_HEADER: actor, name (header name), op, value (EQ, NE, MATCHES).
 *  EXPECT_BODY: actor, op (EQ, NE, MATCHES, CONTAINS with value; JSON with json).
 *  EXPECT_EVENT, EXPECT_NEXT: actor, name (event type), json (subset or NULL), duration_ns.
 *  EXPECT_NO_EVENT: actor, name (event type or NULL for any), duration_ns.
 *  EXPECT_ORDER: actor, names/names_count (event types), duration_ns.
 *  EXPECT_CLOSED: actor, duration_ns.
 *  CAPTURE: var, actor, capture_from, name (header name or event type), path.
 *  LET: var, value.
 *  ADVANCE: duration_ns.
 *  PARTITION: names[0 .. side_a_count) against names[side_a_count .. names_count).
 *  HOLD, RELEASE, RESET, CLOSE: actor. SPLIT: actor, split_bytes.
 *  RESTART: name ("master" or an agent). CRASH: name (an agent).
 *  DROP_HEARTBEATS: actor, duration_ns.
 * duration_ns is the deadline ("within", default SCN_WITHIN_NS_DEFAULT) or
 * the length ("for", advance); on sim it is simulated time. It may count
 * heartbeats (SCN_DURATION_HEARTBEATS): read it through scn_duration_ns.
 */
struct scn_step {
    struct mc_list_node node;
    enum scn_step_kind kind;
    struct scn_pos pos; /* where the step's first line starts */
    char *source;       /* that line as written, for reports */
    uint32_t actor;     /* index into case->actors, or SCN_ACTOR_NONE */
    enum scn_codec codec;
    char *name;
    char *method;
    char *path;
    char *var;
    char *value;
    struct mc_list_node headers; /* struct scn_header, in file order */
    uint32_t headers_count;
    enum scn_body_kind body_kind;
    uint8_t *body_bytes;
    size_t body_len;
    json_t *json;            /* owned reference, or NULL */
    struct scn_pos json_pos; /* where the JSON block starts */
    uint32_t status;
    enum scn_op op;
    enum scn_capture_from capture_from;
    uint64_t duration_ns;
    char **names;
    uint32_t names_count;
    uint32_t side_a_count;
    uint32_t split_bytes;
};

/*
 * A duration may count heartbeat intervals ("2hb"), so that one scenario
 * fits a master with any heartbeat interval: such a value has
 * SCN_DURATION_HEARTBEATS set and the count in its low bits, and the runner
 * turns it into time with scn_duration_ns once it knows the interval (from
 * SUBSCRIBED's heartbeat_interval_seconds). Other durations are plain ns.
 */
#define SCN_DURATION_HEARTBEATS (1ull << 63)
#define SCN_DURATION_HEARTBEATS_MAX 1000u

/* A step's duration in ns, heartbeats counted at heartbeat_ns each. */
uint64_t scn_duration_ns(uint64_t duration, uint64_t heartbeat_ns);

/* The default deadline of an expectation that gives no "within". */
#define SCN_WITHIN_NS_DEFAULT (5ull * 1000000000ull)

struct scn_version {
    int set; /* 0: not given */
    uint32_t major, minor, patch;
};

/* Master settings; 0 means "not given: the target's default" (SPEC defaults). */
struct scn_master {
    uint64_t heartbeat_interval_ns;
    uint64_t agent_ping_timeout_ns;
    uint32_t max_agent_ping_timeouts;
    uint64_t allocation_interval_ns;
    uint64_t offer_timeout_ns;
    uint64_t agent_reregister_timeout_ns;
    uint32_t max_completed_frameworks;
};

struct scn_agent {
    char name[MC_SCN_NAME_BYTES_MAX];
    char *resources; /* Mesos resource text; NULL: the target's default */
    struct scn_pos pos;
};

enum scn_actor_kind { SCN_ACTOR_SCHEDULER };

struct scn_actor {
    char name[MC_SCN_NAME_BYTES_MAX];
    enum scn_actor_kind kind;
    struct scn_pos pos;
};

struct scn_case {
    const struct mc_alloc *alloc; /* borrowed; frees everything below */
    char *file;                   /* the name given to the parse call */
    char *id;                     /* "scheduler/subscribe/1" */
    struct scn_pos id_pos;
    char *title;
    char *spec_rows[MC_SCN_SPEC_ROWS_MAX];
    uint32_t spec_rows_count;
    enum scn_level level;
    uint32_t needs; /* enum scn_need bits */
    struct scn_version since;
    struct scn_version until; /* inclusive */
    char *tags[MC_SCN_TAGS_MAX];
    uint32_t tags_count;
    struct scn_master master;
    struct scn_agent agents[MC_SCN_AGENTS_MAX];
    uint32_t agents_count;
    struct scn_actor actors[MC_SCN_ACTORS_MAX];
    uint32_t actors_count;
    struct mc_list_node steps; /* struct scn_step, in file order */
    uint32_t steps_count;
};

/*
 * Parses a scenario held in memory. name is what errors call the file;
 * text need not be NUL-terminated. On success *out is a new case that the
 * caller frees with scn_case_free. On failure *out is NULL, nothing is
 * left allocated, diag holds name:line:col and the message, and the result
 * is MC_EPARSE (the text breaks the language), MC_ELIMIT (a limit of
 * mc_limits.h) or MC_ENOMEM.
 */
int scn_parse_text(const char *name, const char *text, size_t len, const struct mc_alloc *alloc,
                   struct scn_case **out, struct mc_diag *diag) MC_MUST_USE;

/*
 * Reads path whole and parses it as scn_parse_text does. An unreadable
 * file is MC_EIO, a file over MC_SCN_FILE_BYTES_MAX MC_ELIMIT. When
 * text_out is not NULL it receives the file's text (the caller frees it
 * with mc_free(alloc, ..)) on success and on a parse error, so that the
 * caller can render the diag; it is NULL otherwise.
 */
int scn_parse_file(const char *path, const struct mc_alloc *alloc, struct scn_case **out,
                   char **text_out, size_t *len_out, struct mc_diag *diag) MC_MUST_USE;

/* Frees a case and all it owns; NULL is allowed. */
void scn_case_free(struct scn_case *c);

/*
 * Appends "file:line:col: message\n<the line>\n<caret>\n" to out, the line
 * being line diag->line of text (tabs kept in the caret line so that it
 * lines up; the caret counts UTF-8 characters). Without a line, or when the
 * line is not in text, only the first line is written. MC_ELIMIT or
 * MC_ENOMEM from the buffer.
 */
int scn_diag_render(const struct mc_diag *diag, const char *text, size_t len,
                    struct mc_buf *out) MC_MUST_USE;

/*
 * Appends a canonical text dump of the case to out (one line per field and
 * step, JSON with sorted keys): what the tests compare with expected files.
 */
int scn_case_dump(const struct scn_case *c, struct mc_buf *out) MC_MUST_USE;

/* The text of a level ("must"), a need ("partitions"), a step kind ("expect event"). */
const char *scn_level_name(enum scn_level level);
const char *scn_need_name(enum scn_need need);
const char *scn_step_kind_name(enum scn_step_kind kind);

/*
 * Looks a variable up for scn_text_expand: returns its value (borrowed, kept
 * valid until scn_text_expand returns) or NULL when it is not defined.
 */
typedef const char *(*scn_var_lookup_fn)(void *ctx, const char *name);

/*
 * Appends s to out with every ${NAME} replaced by lookup's value and "$${"
 * by "${". An undefined variable or an unterminated "${" is MC_ENOTFOUND or
 * MC_EPARSE with diag naming it; MC_ELIMIT or MC_ENOMEM from the buffer.
 */
int scn_text_expand(const char *s, scn_var_lookup_fn lookup, void *ctx, struct mc_buf *out,
                    struct mc_diag *diag) MC_MUST_USE;

/* A set of cases loaded from files and folders, sorted by path. */
struct scn_suite {
    const struct mc_alloc *alloc;
    struct scn_case **cases; /* owned */
    uint32_t cases_count;
};

/*
 * Loads every *.scn file named by paths (files, or folders searched to
 * MC_SCN_DIR_DEPTH_MAX levels; names starting with '.' are skipped), in
 * sorted path order, at most MC_SCN_FILES_MAX. A path given twice is read
 * once. Ids must be unique across the suite: a duplicate is MC_EEXIST, with
 * the second place in diag and the first in its message. On any error the
 * suite is left empty, diag says what, and when rendered is not NULL the
 * full rendering (scn_diag_render) is appended to it. The caller frees the
 * suite with scn_suite_deinit on success or failure.
 */
int scn_suite_load(struct scn_suite *suite, const char *const *paths, uint32_t paths_count,
                   const struct mc_alloc *alloc, struct mc_diag *diag,
                   struct mc_buf *rendered) MC_MUST_USE;

void scn_suite_deinit(struct scn_suite *suite);

#endif
