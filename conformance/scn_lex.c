/*
 * scn_lex.c: the lexical layer of the scenario language: lines, tokens,
 * comments, quoted strings, durations, names and variable references, and
 * the errors that point at a line and column.
 *
 * A scenario file is small and read whole, so the lexer works on the whole
 * text (STYLE.md's "incremental and callback-free" rule is for wire
 * parsers). It never allocates except for the array of lines.
 */
#include <stdio.h>
#include <string.h>

#include "mc_assert.h"
#include "scn_internal.h"

static void diag_place(struct scn__src *src, uint32_t line, uint32_t column)
{
    if (src->diag == NULL)
        return;
    mc_diag_clear(src->diag);
    snprintf(src->diag->source, sizeof(src->diag->source), "%s", src->name);
    src->diag->line = line;
    src->diag->column = column;
    if (line >= 1 && line <= src->lines_count) {
        const struct scn__line *l = &src->lines[line - 1];
        src->diag->offset = l->offset + (column > 0 ? column - 1 : 0);
        src->diag->has_offset = 1;
    }
}

int scn__fail(struct scn__src *src, int err, uint32_t line, uint32_t column, const char *fmt, ...)
{
    MC_ASSERT(err < 0);
    diag_place(src, line, column);
    if (src->diag != NULL) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(src->diag->text, sizeof(src->diag->text), fmt, ap);
        va_end(ap);
    }
    return err;
}

/* The line holding byte offset off (binary search; lines are in order). */
static const struct scn__line *line_of(const struct scn__src *src, size_t off)
{
    MC_ASSERT(src->lines_count > 0);
    uint32_t lo = 0, hi = src->lines_count;
    while (hi - lo > 1) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (src->lines[mid].offset <= off)
            lo = mid;
        else
            hi = mid;
    }
    return &src->lines[lo];
}

int scn__fail_at(struct scn__src *src, int err, const char *p, const char *fmt, ...)
{
    MC_ASSERT(err < 0);
    MC_ASSERT(p >= src->text && p <= src->text + src->len);
    uint32_t line = 1, column = 1;
    if (src->lines_count > 0) {
        const struct scn__line *l = line_of(src, (size_t)(p - src->text));
        line = l->no;
        size_t in = (size_t)(p - l->p);
        column = (uint32_t)(in > l->len ? l->len : in) + 1;
    }
    diag_place(src, line, column);
    if (src->diag != NULL) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(src->diag->text, sizeof(src->diag->text), fmt, ap);
        va_end(ap);
    }
    return err;
}

uint32_t scn__column(const struct scn__line *line, const char *p)
{
    MC_ASSERT(p >= line->p && p <= line->p + line->len);
    return (uint32_t)(p - line->p) + 1;
}

/* Counts lines and checks the bytes, before the array is made. */
static int lines_count(struct scn__src *src, uint32_t *count_out)
{
    uint32_t count = 0, no = 1;
    size_t start = 0;
    for (size_t i = 0; i < src->len; i++) {
        char ch = src->text[i];
        if (ch == '\0' || ch == '\r') {
            src->lines_count = 0; /* positions are computed by hand here */
            if (src->diag != NULL) {
                diag_place(src, no, (uint32_t)(i - start) + 1);
                snprintf(src->diag->text, sizeof(src->diag->text), "%s",
                         ch == '\0' ? "NUL byte in a scenario file"
                                    : "carriage return in a scenario file (use LF line ends)");
            }
            return MC_EPARSE;
        }
        if (i - start >= MC_SCN_LINE_BYTES_MAX && ch != '\n') {
            diag_place(src, no, MC_SCN_LINE_BYTES_MAX + 1);
            if (src->diag != NULL)
                snprintf(src->diag->text, sizeof(src->diag->text),
                         "line longer than %u bytes", MC_SCN_LINE_BYTES_MAX);
            return MC_ELIMIT;
        }
        if (ch == '\n') {
            count++;
            no++;
            start = i + 1;
        }
    }
    if (start < src->len)
        count++;
    *count_out = count;
    return 0;
}

int scn__lines_split(struct scn__src *src)
{
    MC_ASSERT(src->lines == NULL);
    if (src->len > MC_SCN_FILE_BYTES_MAX)
        return scn__fail(src, MC_ELIMIT, 0, 0, "file larger than %u bytes",
                         MC_SCN_FILE_BYTES_MAX);
    uint32_t count = 0;
    int err = lines_count(src, &count);
    if (err != 0)
        return err;
    src->lines_count = 0;
    if (count == 0)
        return 0;
    src->lines = mc_calloc(src->alloc, count, sizeof(src->lines[0]));
    if (src->lines == NULL)
        return scn__fail(src, MC_ENOMEM, 0, 0, "out of memory");
    size_t start = 0;
    uint32_t n = 0;
    for (size_t i = 0; i <= src->len && n < count; i++) {
        if (i == src->len || src->text[i] == '\n') {
            src->lines[n] = (struct scn__line){src->text + start, i - start, start, n + 1};
            n++;
            start = i + 1;
        }
    }
    MC_ASSERT(n == count);
    src->lines_count = count;
    return 0;
}

static int is_blank(char ch)
{
    return ch == ' ' || ch == '\t';
}

size_t scn__line_indent(const struct scn__line *line)
{
    size_t i = 0;
    while (i < line->len && is_blank(line->p[i]))
        i++;
    return i;
}

int scn__line_blank(const struct scn__line *line)
{
    size_t i = scn__line_indent(line);
    return i == line->len || line->p[i] == '#';
}

void scn__rest(const struct scn__line *line, size_t from, const char **start, size_t *len)
{
    size_t i = from;
    while (i < line->len && is_blank(line->p[i]))
        i++;
    size_t end = i;
    while (end < line->len && !(line->p[end] == '#' && (end == i || is_blank(line->p[end - 1]))))
        end++;
    while (end > i && is_blank(line->p[end - 1]))
        end--;
    *start = line->p + i;
    *len = end - i;
}

static int hex_value(char ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F')
        return ch - 'A' + 10;
    return -1;
}

/* Decodes one escape at p[i] (after the backslash); returns the byte or -1. */
static int escape_decode(const char *p, size_t n, size_t *i)
{
    if (*i >= n)
        return -1;
    char ch = p[(*i)++];
    switch (ch) {
    case '"': return '"';
    case '\\': return '\\';
    case 'n': return '\n';
    case 'r': return '\r';
    case 't': return '\t';
    case 'x': {
        if (*i + 2 > n)
            return -1;
        int hi = hex_value(p[*i]), lo = hex_value(p[*i + 1]);
        if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
            return -1;
        *i += 2;
        return hi * 16 + lo;
    }
    default: return -1;
    }
}

/* Reads a quoted string starting at line->p[*i] == '"' into the scratch. */
static int string_read(struct scn__src *src, const struct scn__line *line, size_t *i,
                       struct scn__toks *out, struct scn__tok *tok)
{
    const char *p = line->p;
    size_t start = *i;
    char *dst = out->scratch + out->scratch_used;
    size_t n = 0;
    (*i)++;
    for (;;) {
        if (*i >= line->len)
            return scn__fail(src, MC_EPARSE, line->no, scn__column(line, p + start),
                             "unterminated string (a string ends on its own line)");
        char ch = p[*i];
        if (ch == '"') {
            (*i)++;
            break;
        }
        if (ch == '\\') {
            size_t at = *i;
            (*i)++;
            int b = escape_decode(p, line->len, i);
            if (b < 0)
                return scn__fail(src, MC_EPARSE, line->no, scn__column(line, p + at),
                                 "bad escape in a string (use \\\" \\\\ \\n \\r \\t or \\xHH, "
                                 "not \\x00)");
            dst[n++] = (char)b;
            continue;
        }
        dst[n++] = ch;
        (*i)++;
    }
    if (*i < line->len && !is_blank(p[*i]))
        return scn__fail(src, MC_EPARSE, line->no, scn__column(line, p + *i),
                         "expected a blank after the closing quote");
    dst[n] = '\0';
    tok->kind = SCN__TOK_STRING;
    tok->value = dst;
    tok->value_len = n;
    out->scratch_used += n + 1;
    return 0;
}

static int word_read(struct scn__src *src, const struct scn__line *line, size_t *i,
                     struct scn__toks *out, struct scn__tok *tok)
{
    const char *p = line->p;
    size_t start = *i;
    while (*i < line->len && !is_blank(p[*i])) {
        if (p[*i] == '"')
            return scn__fail(src, MC_EPARSE, line->no, scn__column(line, p + *i),
                             "unexpected '\"' inside a word (a string starts a token)");
        (*i)++;
    }
    char *dst = out->scratch + out->scratch_used;
    size_t n = *i - start;
    memcpy(dst, p + start, n);
    dst[n] = '\0';
    tok->kind = SCN__TOK_WORD;
    tok->value = dst;
    tok->value_len = n;
    out->scratch_used += n + 1;
    return 0;
}

int scn__tokenize(struct scn__src *src, const struct scn__line *line, size_t from,
                  struct scn__toks *out)
{
    MC_ASSERT(from <= line->len);
    MC_ASSERT(line->len <= MC_SCN_LINE_BYTES_MAX);
    out->count = 0;
    out->scratch_used = 0;
    size_t i = from;
    for (;;) {
        while (i < line->len && is_blank(line->p[i]))
            i++;
        if (i >= line->len || line->p[i] == '#')
            return 0;
        if (out->count == MC_SCN_LINE_TOKENS_MAX)
            return scn__fail(src, MC_ELIMIT, line->no, scn__column(line, line->p + i),
                             "more than %u words on one line", MC_SCN_LINE_TOKENS_MAX);
        struct scn__tok *tok = &out->tok[out->count];
        size_t start = i;
        tok->raw = line->p + i;
        tok->column = scn__column(line, line->p + i);
        int err = line->p[i] == '"' ? string_read(src, line, &i, out, tok)
                                    : word_read(src, line, &i, out, tok);
        if (err != 0)
            return err;
        tok->raw_len = i - start;
        out->count++;
    }
}

int scn__duration_parse(const char *s, size_t len, uint64_t *ns_out)
{
    size_t i = 0;
    uint64_t v = 0;
    while (i < len && s[i] >= '0' && s[i] <= '9') {
        if (i >= 9) /* more digits than any allowed duration needs */
            return -1;
        v = v * 10 + (uint64_t)(s[i] - '0');
        i++;
    }
    if (i == 0 || (s[0] == '0' && i > 1) || v == 0)
        return -1;
    const char *unit = s + i;
    size_t unit_len = len - i;
    uint64_t scale;
    if (unit_len == 2 && memcmp(unit, "ms", 2) == 0)
        scale = 1000000ull;
    else if (unit_len == 1 && unit[0] == 's')
        scale = 1000000000ull;
    else if (unit_len == 1 && unit[0] == 'm')
        scale = 60ull * 1000000000ull;
    else if (unit_len == 1 && unit[0] == 'h')
        scale = 3600ull * 1000000000ull;
    else if (unit_len == 2 && memcmp(unit, "hb", 2) == 0 && v <= SCN_DURATION_HEARTBEATS_MAX) {
        *ns_out = SCN_DURATION_HEARTBEATS | v; /* resolved when the step runs */
        return 0;
    } else
        return -1;
    if (v > MC_SCN_DURATION_NS_MAX / scale)
        return -1;
    *ns_out = v * scale;
    return 0;
}

int scn__duration_append(struct mc_buf *out, uint64_t ns)
{
    if (ns & SCN_DURATION_HEARTBEATS)
        return mc_buf_appendf(out, "%lluhb", (unsigned long long)(ns & ~SCN_DURATION_HEARTBEATS));
    static const struct {
        uint64_t scale;
        const char *unit;
    } units[] = {{3600000000000ull, "h"}, {60000000000ull, "m"}, {1000000000ull, "s"},
                 {1000000ull, "ms"}};
    for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
        if (ns % units[i].scale == 0)
            return mc_buf_appendf(out, "%llu%s", (unsigned long long)(ns / units[i].scale),
                                  units[i].unit);
    }
    return mc_buf_appendf(out, "%lluns", (unsigned long long)ns);
}

static int name_char(char ch, int first)
{
    if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || ch == '_')
        return 1;
    return !first && ((ch >= '0' && ch <= '9') || ch == '-');
}

int scn__name_valid(const char *s, size_t len)
{
    if (len == 0 || len >= MC_SCN_NAME_BYTES_MAX)
        return 0;
    for (size_t i = 0; i < len; i++) {
        if (!name_char(s[i], i == 0))
            return 0;
    }
    return 1;
}

int scn__var_next(const char *s, size_t len, size_t *at, size_t *name_start, size_t *name_len)
{
    size_t i = *at;
    while (i + 1 < len) {
        if (s[i] == '$' && s[i + 1] == '$' && i + 2 < len && s[i + 2] == '{') {
            i += 3; /* "$${" is a literal "${" */
            continue;
        }
        if (s[i] == '$' && s[i + 1] == '{') {
            size_t j = i + 2;
            while (j < len && s[j] != '}')
                j++;
            *at = i;
            if (j >= len)
                return -1;
            *name_start = i + 2;
            *name_len = j - (i + 2);
            /* A built-in is ACTOR.stream_id or ACTOR.framework_id. */
            const char *dot = memchr(s + i + 2, '.', *name_len);
            size_t head = dot != NULL ? (size_t)(dot - (s + i + 2)) : *name_len;
            if (!scn__name_valid(s + i + 2, head))
                return -1;
            if (dot != NULL && !scn__name_valid(dot + 1, *name_len - head - 1))
                return -1;
            *at = j + 1;
            return 1;
        }
        i++;
    }
    *at = len;
    return 0;
}

uint64_t scn_duration_ns(uint64_t duration, uint64_t heartbeat_ns)
{
    if (!(duration & SCN_DURATION_HEARTBEATS))
        return duration;
    return (duration & ~SCN_DURATION_HEARTBEATS) * heartbeat_ns;
}
