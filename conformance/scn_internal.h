/*
 * scn_internal.h: what the files of the scenario parser share (scn_lex.c,
 * scn_parse.c, scn_json.c, scn_dump.c, scn_load.c). Not a public face:
 * only scn_*.c include it, and every name here starts with scn__.
 */
#ifndef SCN_INTERNAL_H
#define SCN_INTERNAL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "scn.h"

/* One line of the file, without its newline. */
struct scn__line {
    const char *p;
    size_t len;
    size_t offset; /* of p in the text */
    uint32_t no;   /* 1-based */
};

/* The text being parsed, its lines, and where errors go. */
struct scn__src {
    const char *name;
    const char *text;
    size_t len;
    struct scn__line *lines; /* owned, through alloc */
    uint32_t lines_count;
    const struct mc_alloc *alloc;
    struct mc_diag *diag;
};

enum scn__tok_kind { SCN__TOK_WORD, SCN__TOK_STRING };

/* A token of a line: its raw span, its column and its decoded value. */
struct scn__tok {
    enum scn__tok_kind kind;
    const char *raw;
    size_t raw_len;
    uint32_t column;
    const char *value; /* NUL-terminated, in the owning scn__toks' scratch */
    size_t value_len;
};

/* The tokens of one line; the decoded values live in scratch. */
struct scn__toks {
    struct scn__tok tok[MC_SCN_LINE_TOKENS_MAX];
    uint32_t count;
    char scratch[MC_SCN_LINE_BYTES_MAX + MC_SCN_LINE_TOKENS_MAX];
    size_t scratch_used;
};

/*
 * Splits src->text into src->lines, rejecting NUL bytes, carriage returns,
 * lines over MC_SCN_LINE_BYTES_MAX and files over MC_SCN_FILE_BYTES_MAX.
 */
int scn__lines_split(struct scn__src *src) MC_MUST_USE;

/* Fills diag with src->name, line, column and the message; returns err. */
int scn__fail(struct scn__src *src, int err, uint32_t line, uint32_t column, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* As scn__fail, at the byte p of src->text. */
int scn__fail_at(struct scn__src *src, int err, const char *p, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* The column of the byte p of line (1-based). */
uint32_t scn__column(const struct scn__line *line, const char *p);

/*
 * Tokenizes line from byte offset from: words and "quoted strings"
 * (escapes \" \\ \n \r \t \xHH), up to the end or a '#' that starts a token
 * (a comment). MC_EPARSE or MC_ELIMIT with diag set.
 */
int scn__tokenize(struct scn__src *src, const struct scn__line *line, size_t from,
                  struct scn__toks *out) MC_MUST_USE;

/*
 * The rest of line from offset from, trimmed, without a trailing comment
 * (a '#' at the start or after a blank). Sets *start and *len.
 */
void scn__rest(const struct scn__line *line, size_t from, const char **start, size_t *len);

/* Parses "15s", "1500ms", "2m", "1h" (an integer > 0 and a unit); 0 or -1. */
int scn__duration_parse(const char *s, size_t len, uint64_t *ns_out);

/* 1 when s (len bytes) is a name: [A-Za-z_][A-Za-z0-9_-]*, shorter than the limit. */
int scn__name_valid(const char *s, size_t len);

/* 1 when the line has only blanks or a comment. */
int scn__line_blank(const struct scn__line *line);

/* Index of the first non-blank byte of line (line->len when none). */
size_t scn__line_indent(const struct scn__line *line);

/*
 * Finds the next variable reference in s from *at: returns 1 with the
 * name's span, 0 when there is none, -1 for an unterminated "${" or a bad
 * name (*at then points at the '$').
 */
int scn__var_next(const char *s, size_t len, size_t *at, size_t *name_start, size_t *name_len);

/*
 * Parses the JSON block that starts at byte start of src->text and ends at
 * byte end (the end of the step's last indented line). Comment lines in it
 * are blanked first, so jansson's positions map back onto the file. A
 * syntax error, a duplicate key or nesting over MC_SCN_JSON_DEPTH_MAX is
 * MC_EPARSE with diag at the place in the file. *out is a new reference.
 */
int scn__json_block_parse(struct scn__src *src, const char *start, const char *end,
                          json_t **out) MC_MUST_USE;

/*
 * Checks the predicates of an expected-value JSON block ($exists, $type,
 * $regex, $any, $len, $contains, $eq); an error points at the predicate's
 * key in the block [block_start, block_end), else at its start.
 */
int scn__json_predicates_check(struct scn__src *src, const json_t *j, const char *block_start,
                               const char *block_end) MC_MUST_USE;

/* The names of the scheduler Call and Event types; 1 when s is one. */
int scn__call_type_known(const char *s);
int scn__event_type_known(const char *s);

/* Appends a duration in its largest exact unit ("15s", "1500ms"). */
int scn__duration_append(struct mc_buf *out, uint64_t ns) MC_MUST_USE;

#endif
