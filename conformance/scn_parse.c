/*
 * scn_parse.c: from the lines of a scenario file to a struct scn_case.
 *
 * Theory of operation. A file is read line by line. A line that starts at
 * column 1 is a head: metadata ("key: value"), a setup line (master, agent,
 * scheduler) or a step. The lines indented under a head, up to the next
 * line that starts at column 1, are its body: a JSON block, or items
 * (header, no-header, text, base64, json) for a request. Metadata comes
 * first, then setup, then steps; each phase is closed by the first line of
 * the next, which is where a missing id or title is reported. Every check
 * that needs no target is made here, in file order, so the first error is
 * the one reported: names of actors and agents must be declared before use,
 * a variable must be defined (let, capture) before a later line uses it,
 * an actor must have sent a request before its answer is checked, and a
 * step must be covered by the needs the metadata lists.
 */
#include <regex.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "mc_assert.h"
#include "mc_base64.h"
#include "scn_internal.h"

enum phase { PHASE_META, PHASE_SETUP, PHASE_STEPS };

enum meta_bit {
    META_ID = 1u << 0,
    META_TITLE = 1u << 1,
    META_SPEC = 1u << 2,
    META_LEVEL = 1u << 3,
    META_NEEDS = 1u << 4,
    META_SINCE = 1u << 5,
    META_UNTIL = 1u << 6,
    META_TAGS = 1u << 7,
};

/* What the body of a step may hold. */
enum body_mode { BODY_NONE, BODY_EXPECTED, BODY_REQUEST, BODY_RAW };

struct parser {
    struct scn__src src;
    struct scn_case *c;
    uint32_t i; /* the line being read, 0-based */
    enum phase phase;
    uint32_t meta_seen;
    char vars[MC_SCN_VARS_MAX][MC_SCN_NAME_BYTES_MAX];
    uint32_t vars_count;
    uint8_t requested[MC_SCN_ACTORS_MAX]; /* the actor has sent a request */
    uint8_t streamed[MC_SCN_ACTORS_MAX];  /* the actor may have a stream */
    struct scn__toks toks;
    struct scn__toks item_toks;
};

static const char *const need_names[SCN_NEED_COUNT] = {
    "agents", "partitions", "holds", "master-restart",
    "agent-restart", "drops", "splits", "protobuf",
};

static int fail_tok(struct parser *p, int err, const struct scn__tok *t, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int fail_tok(struct parser *p, int err, const struct scn__tok *t, const char *fmt, ...)
{
    char text[MC_DIAG_TEXT_BYTES_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    return scn__fail_at(&p->src, err, t->raw, "%s", text);
}

static const struct scn__line *cur(const struct parser *p)
{
    MC_ASSERT(p->i < p->src.lines_count);
    return &p->src.lines[p->i];
}

static int nomem(struct parser *p)
{
    const struct scn__line *l = p->i < p->src.lines_count ? cur(p) : NULL;
    return scn__fail(&p->src, MC_ENOMEM, l ? l->no : 0, l ? 1 : 0, "out of memory");
}

static int tok_is(const struct scn__tok *t, const char *word)
{
    return t->kind == SCN__TOK_WORD && strcmp(t->value, word) == 0;
}

static char *dup_tok(struct parser *p, const struct scn__tok *t)
{
    return mc_strndup(p->c->alloc, t->value, t->value_len);
}

/* ---- variables ---------------------------------------------------------- */

static int var_defined(const struct parser *p, const char *name, size_t len)
{
    const char *dot = memchr(name, '.', len);
    if (dot != NULL) {
        size_t head = (size_t)(dot - name);
        const char *tail = dot + 1;
        size_t tail_len = len - head - 1;
        int builtin = (tail_len == 9 && memcmp(tail, "stream_id", 9) == 0) ||
                      (tail_len == 12 && memcmp(tail, "framework_id", 12) == 0);
        for (uint32_t a = 0; builtin && a < p->c->actors_count; a++) {
            if (strlen(p->c->actors[a].name) == head &&
                memcmp(p->c->actors[a].name, name, head) == 0)
                return 1;
        }
        return 0;
    }
    for (uint32_t v = 0; v < p->vars_count; v++) {
        if (strlen(p->vars[v]) == len && memcmp(p->vars[v], name, len) == 0)
            return 1;
    }
    return 0;
}

/*
 * Checks the variables of s (a decoded value); raw/raw_len is where it is
 * written in the file, to place the error on the reference itself.
 */
static int vars_check(struct parser *p, const char *s, size_t len, const char *raw,
                      size_t raw_len)
{
    size_t at = 0, ns, nl;
    int r;
    while ((r = scn__var_next(s, len, &at, &ns, &nl)) != 0) {
        if (r < 0) {
            ns = at;
            nl = 0;
        }
        char name[MC_SCN_NAME_BYTES_MAX * 2 + 4];
        snprintf(name, sizeof(name), "%.*s", (int)(nl < sizeof(name) - 4 ? nl : 16), s + ns);
        const char *place = raw;
        for (size_t k = 0; k + 2 <= raw_len; k++) {
            if (raw[k] == '$' && raw[k + 1] == '{' &&
                (r < 0 || strncmp(raw + k + 2, name, strlen(name)) == 0)) {
                place = raw + k;
                break;
            }
        }
        if (r < 0)
            return scn__fail_at(&p->src, MC_EPARSE, place,
                                "bad variable reference (write ${NAME}, or $${ for a literal)");
        if (!var_defined(p, s + ns, nl))
            return scn__fail_at(&p->src, MC_EPARSE, place,
                                "undefined variable ${%s} (define it with let or capture "
                                "before this line)",
                                name);
    }
    return 0;
}

static int tok_vars_check(struct parser *p, const struct scn__tok *t)
{
    return vars_check(p, t->value, t->value_len, t->raw, t->raw_len);
}

static int json_vars_check(struct parser *p, const json_t *j, const char *start, const char *end)
{
    if (json_is_string(j))
        return vars_check(p, json_string_value(j), json_string_length(j), start,
                          (size_t)(end - start));
    const char *k;
    json_t *v;
    if (json_is_object(j)) {
        json_object_foreach((json_t *)j, k, v) {
            int err = vars_check(p, k, strlen(k), start, (size_t)(end - start));
            if (err == 0)
                err = json_vars_check(p, v, start, end);
            if (err != 0)
                return err;
        }
    }
    for (size_t i = 0; json_is_array(j) && i < json_array_size(j); i++) {
        int err = json_vars_check(p, json_array_get(j, i), start, end);
        if (err != 0)
            return err;
    }
    return 0;
}

static int var_define(struct parser *p, const struct scn__tok *t)
{
    if (t->kind != SCN__TOK_WORD || !scn__name_valid(t->value, t->value_len) ||
        memchr(t->value, '-', t->value_len) != NULL)
        return fail_tok(p, MC_EPARSE, t, "bad variable name '%s' (letters, digits and _)",
                        t->value);
    if (var_defined(p, t->value, t->value_len))
        return 0;
    if (p->vars_count == MC_SCN_VARS_MAX)
        return fail_tok(p, MC_ELIMIT, t, "more than %u variables", MC_SCN_VARS_MAX);
    memcpy(p->vars[p->vars_count++], t->value, t->value_len + 1);
    return 0;
}

/* ---- names ---------------------------------------------------------- */

static int actor_find(const struct parser *p, const char *name)
{
    for (uint32_t a = 0; a < p->c->actors_count; a++) {
        if (strcmp(p->c->actors[a].name, name) == 0)
            return (int)a;
    }
    return -1;
}

static int agent_find(const struct parser *p, const char *name)
{
    for (uint32_t a = 0; a < p->c->agents_count; a++) {
        if (strcmp(p->c->agents[a].name, name) == 0)
            return (int)a;
    }
    return -1;
}

static int actor_ref(struct parser *p, const struct scn__tok *t, uint32_t *out)
{
    int a = actor_find(p, t->value);
    if (a < 0)
        return fail_tok(p, MC_EPARSE, t,
                        "unknown actor '%s' (declare it first: 'scheduler %s')", t->value,
                        scn__name_valid(t->value, t->value_len) ? t->value : "s1");
    *out = (uint32_t)a;
    return 0;
}

static int need_require(struct parser *p, enum scn_need need, const struct scn__tok *t,
                        const char *what)
{
    if ((p->c->needs & need) != 0)
        return 0;
    uint32_t bit = 0;
    while ((1u << bit) != (uint32_t)need)
        bit++;
    return fail_tok(p, MC_EPARSE, t, "%s needs '%s' in the case's needs: line", what,
                    need_names[bit]);
}

/* ---- steps ---------------------------------------------------------- */

static int step_new(struct parser *p, enum scn_step_kind kind, struct scn_step **out)
{
    const struct scn__line *l = cur(p);
    if (p->c->steps_count == MC_SCN_STEPS_MAX)
        return scn__fail(&p->src, MC_ELIMIT, l->no, 1, "more than %u steps in one case",
                         MC_SCN_STEPS_MAX);
    struct scn_step *s = mc_calloc(p->c->alloc, 1, sizeof(*s));
    if (s == NULL)
        return nomem(p);
    mc_list_init(&s->headers);
    s->kind = kind;
    s->actor = SCN_ACTOR_NONE;
    s->pos = (struct scn_pos){l->no, 1};
    const char *start;
    size_t len;
    scn__rest(l, 0, &start, &len);
    s->source = mc_strndup(p->c->alloc, start, len);
    if (s->source == NULL) {
        mc_free(p->c->alloc, s);
        return nomem(p);
    }
    mc_list_push_back(&p->c->steps, &s->node);
    p->c->steps_count++;
    *out = s;
    return 0;
}

static int extra_check(struct parser *p, uint32_t used, const char *after)
{
    if (p->toks.count > used)
        return fail_tok(p, MC_EPARSE, &p->toks.tok[used], "unexpected '%s' after %s",
                        p->toks.tok[used].value, after);
    return 0;
}

static int want(struct parser *p, uint32_t idx, const char *what)
{
    if (idx < p->toks.count)
        return 0;
    const struct scn__line *l = cur(p);
    const char *start;
    size_t len;
    scn__rest(l, 0, &start, &len);
    return scn__fail(&p->src, MC_EPARSE, l->no, scn__column(l, start + len) + 1, "expected %s",
                     what);
}

static int duration_tok(struct parser *p, uint32_t idx, uint64_t *ns)
{
    int err = want(p, idx, "a duration (e.g. 500ms, 15s, 2m, 1h, 2hb)");
    if (err != 0)
        return err;
    const struct scn__tok *t = &p->toks.tok[idx];
    if (t->kind != SCN__TOK_WORD || scn__duration_parse(t->value, t->value_len, ns) != 0)
        return fail_tok(p, MC_EPARSE, t,
                        "bad duration '%s' (an integer > 0 with ms, s, m, h or hb, at most 24h)",
                        t->value);
    return 0;
}

/* Reads an optional "within D" at idx; *next is the index after it. */
static int within_opt(struct parser *p, uint32_t idx, uint64_t *ns, uint32_t *next)
{
    *ns = SCN_WITHIN_NS_DEFAULT;
    *next = idx;
    if (idx < p->toks.count && tok_is(&p->toks.tok[idx], "within")) {
        int err = duration_tok(p, idx + 1, ns);
        if (err != 0)
            return err;
        *next = idx + 2;
    }
    return 0;
}

static int codec_opt(struct parser *p, struct scn_step *s, uint32_t idx, uint32_t *next)
{
    *next = idx;
    s->codec = SCN_CODEC_JSON;
    if (idx >= p->toks.count || !tok_is(&p->toks.tok[idx], "as"))
        return 0;
    int err = want(p, idx + 1, "'json' or 'protobuf' after 'as'");
    if (err != 0)
        return err;
    const struct scn__tok *t = &p->toks.tok[idx + 1];
    if (tok_is(t, "protobuf")) {
        s->codec = SCN_CODEC_PROTOBUF;
        err = need_require(p, SCN_NEED_PROTOBUF, t, "a request as protobuf");
        if (err != 0)
            return err;
    } else if (!tok_is(t, "json")) {
        return fail_tok(p, MC_EPARSE, t, "unknown encoding '%s' (json or protobuf)", t->value);
    }
    *next = idx + 2;
    return 0;
}


/* ---- bodies ---------------------------------------------------------- */

/*
 * The body of the head at line p->i: the following lines that are blank or
 * indented. Sets [*first, *end) to the lines up to the last non-blank one
 * (an empty range when there is none) and *next to the line after the body.
 */
static void body_extent(const struct parser *p, uint32_t *first, uint32_t *end, uint32_t *next)
{
    uint32_t j = p->i + 1;
    uint32_t last = p->i + 1;
    while (j < p->src.lines_count) {
        const struct scn__line *l = &p->src.lines[j];
        if (l->len > 0 && l->p[0] != ' ' && l->p[0] != '\t')
            break;
        j++;
        if (!scn__line_blank(l))
            last = j;
    }
    *first = p->i + 1;
    *end = last;
    *next = j;
}

static int header_item(struct parser *p, struct scn_step *s, const struct scn__line *l,
                       size_t from)
{
    const char *start;
    size_t len;
    scn__rest(l, from, &start, &len);
    const char *colon = memchr(start, ':', len);
    size_t name_len = colon != NULL ? (size_t)(colon - start) : 0;
    for (size_t k = 0; k < name_len; k++) {
        if (strchr("!#$%&'*+-.^_`|~", start[k]) == NULL && !(start[k] >= '0' && start[k] <= '9') &&
            !((start[k] | 0x20) >= 'a' && (start[k] | 0x20) <= 'z'))
            name_len = 0;
    }
    if (name_len == 0)
        return scn__fail_at(&p->src, MC_EPARSE, start,
                            "expected 'header NAME: VALUE' with a header name made of "
                            "letters, digits and -");
    if (s->headers_count == MC_SCN_HEADERS_MAX)
        return scn__fail_at(&p->src, MC_ELIMIT, start, "more than %u headers in one step",
                            MC_SCN_HEADERS_MAX);
    const char *value = colon + 1;
    size_t value_len = len - name_len - 1;
    while (value_len > 0 && (*value == ' ' || *value == '\t')) {
        value++;
        value_len--;
    }
    const char *raw = value;
    size_t raw_len = value_len;
    if (value_len > 0 && value[0] == '"') {
        int err = scn__tokenize(&p->src, l, (size_t)(value - l->p), &p->item_toks);
        if (err != 0)
            return err;
        if (p->item_toks.count != 1)
            return scn__fail_at(&p->src, MC_EPARSE, p->item_toks.tok[1].raw,
                                "unexpected text after the header's quoted value");
        value = p->item_toks.tok[0].value;
        value_len = p->item_toks.tok[0].value_len;
    }
    int err = vars_check(p, value, value_len, raw, raw_len);
    if (err != 0)
        return err;
    struct scn_header *h = mc_calloc(p->c->alloc, 1, sizeof(*h));
    if (h == NULL)
        return nomem(p);
    mc_list_push_back(&s->headers, &h->node);
    s->headers_count++;
    h->pos = (struct scn_pos){l->no, scn__column(l, start)};
    h->name = mc_strndup(p->c->alloc, start, name_len);
    h->value = mc_strndup(p->c->alloc, value, value_len);
    return h->name == NULL || h->value == NULL ? nomem(p) : 0;
}

static int no_header_item(struct parser *p, struct scn_step *s, const struct scn__line *l)
{
    const struct scn__toks *t = &p->item_toks;
    if (t->count != 2 || t->tok[1].kind != SCN__TOK_WORD)
        return scn__fail(&p->src, MC_EPARSE, l->no, t->tok[0].column,
                         "expected 'no-header NAME'");
    if (s->headers_count == MC_SCN_HEADERS_MAX)
        return scn__fail(&p->src, MC_ELIMIT, l->no, t->tok[0].column,
                         "more than %u headers in one step", MC_SCN_HEADERS_MAX);
    struct scn_header *h = mc_calloc(p->c->alloc, 1, sizeof(*h));
    if (h == NULL)
        return nomem(p);
    mc_list_push_back(&s->headers, &h->node);
    s->headers_count++;
    h->pos = (struct scn_pos){l->no, t->tok[1].column};
    h->name = mc_strndup(p->c->alloc, t->tok[1].value, t->tok[1].value_len);
    return h->name == NULL ? nomem(p) : 0;
}

/* text "..." or base64 "..." of a raw step. */
static int bytes_item(struct parser *p, struct scn_step *s, const struct scn__line *l, int b64)
{
    const struct scn__toks *t = &p->item_toks;
    if (t->count != 2 || (t->tok[1].kind != SCN__TOK_STRING && !b64))
        return scn__fail(&p->src, MC_EPARSE, l->no, t->tok[0].column,
                         b64 ? "expected 'base64 TEXT'" : "expected 'text \"...\"'");
    const struct scn__tok *v = &t->tok[1];
    struct mc_buf buf;
    mc_buf_init(&buf, MC_SCN_FILE_BYTES_MAX, p->c->alloc);
    size_t bad = 0;
    int err = b64 ? mc_base64_decode(&buf, v->value, v->value_len, &bad)
                  : mc_buf_append(&buf, v->value, v->value_len);
    if (err == MC_ENOMEM) {
        mc_buf_deinit(&buf);
        return nomem(p);
    }
    if (err != 0) {
        mc_buf_deinit(&buf);
        return scn__fail(&p->src, MC_EPARSE, l->no,
                         v->column + (uint32_t)bad + (v->kind == SCN__TOK_STRING),
                         "bad base64 in the body");
    }
    s->body_kind = SCN_BODY_BYTES;
    s->body_bytes = mc_buf_take(&buf, &s->body_len);
    return 0;
}

/* Parses the JSON that starts at start and ends with the body, and checks it. */
static int body_json(struct parser *p, struct scn_step *s, enum body_mode mode, const char *start,
                     const char *end)
{
    while (start < end && (*start == ' ' || *start == '\t' || *start == '\n'))
        start++;
    if (start == end)
        return scn__fail_at(&p->src, MC_EPARSE, end, "expected JSON after 'json'");
    int err = scn__json_block_parse(&p->src, start, end, &s->json);
    if (err != 0)
        return err;
    const struct scn__line *l = &p->src.lines[0];
    for (uint32_t k = 0; k < p->src.lines_count && p->src.lines[k].p <= start; k++)
        l = &p->src.lines[k];
    s->json_pos = (struct scn_pos){l->no, scn__column(l, start)};
    if ((mode == BODY_REQUEST || s->kind == SCN_STEP_EXPECT_EVENT ||
         s->kind == SCN_STEP_EXPECT_NEXT) && !json_is_object(s->json))
        return scn__fail_at(&p->src, MC_EPARSE, start, "expected a JSON object here");
    if (mode == BODY_RAW)
        s->body_kind = SCN_BODY_JSON;
    err = json_vars_check(p, s->json, start, end);
    if (err == 0 && mode == BODY_EXPECTED)
        err = scn__json_predicates_check(&p->src, s->json, start, end);
    return err;
}

/* Reads one item line of a request body; *json_at is set when JSON starts. */
static int body_item(struct parser *p, struct scn_step *s, enum body_mode mode,
                     const struct scn__line *l, size_t indent, const char **json_at)
{
    /* The first word picks the item; header and json take the raw rest of the line. */
    size_t w_end = indent;
    while (w_end < l->len && l->p[w_end] != ' ' && l->p[w_end] != '\t')
        w_end++;
    const char *w = l->p + indent;
    size_t w_len = w_end - indent;
#define WORD_IS(lit) (w_len == sizeof(lit) - 1 && memcmp(w, lit, w_len) == 0)
    if (s->body_kind != SCN_BODY_NONE)
        return scn__fail_at(&p->src, MC_EPARSE, w, "nothing may follow the body of a request");
    if (WORD_IS("header"))
        return header_item(p, s, l, w_end);
    if (WORD_IS("json")) {
        *json_at = l->p + w_end;
        return 0;
    }
    int text_item = mode == BODY_RAW && (WORD_IS("text") || WORD_IS("base64"));
    if (!WORD_IS("no-header") && !text_item)
        return scn__fail_at(&p->src, MC_EPARSE, w,
                            "unknown item '%.*s' in a request body (expected %s)",
                            (int)(w_len > 40 ? 40 : w_len), w,
                            mode == BODY_RAW ? "header, no-header, text, base64 or json"
                                             : "header, no-header, json or a JSON object");
    int err = scn__tokenize(&p->src, l, indent, &p->item_toks);
    if (err != 0)
        return err;
    if (WORD_IS("no-header"))
        return no_header_item(p, s, l);
    return bytes_item(p, s, l, WORD_IS("base64"));
#undef WORD_IS
}

/* Parses the body of step s (head at p->i) as mode allows; moves p->i past it. */
static int body_parse(struct parser *p, struct scn_step *s, enum body_mode mode, const char *what)
{
    uint32_t first, end, next;
    body_extent(p, &first, &end, &next);
    const char *json_at = NULL;
    for (uint32_t k = first; k < end && json_at == NULL; k++) {
        const struct scn__line *l = &p->src.lines[k];
        if (scn__line_blank(l))
            continue;
        size_t indent = scn__line_indent(l);
        p->i = k;
        if (l->p[0] == '\t')
            return scn__fail(&p->src, MC_EPARSE, l->no, 1,
                             "tab at the start of a line (indent with spaces)");
        if (mode == BODY_NONE)
            return scn__fail(&p->src, MC_EPARSE, l->no, (uint32_t)indent + 1,
                             "indented line, but %s takes no block (steps start at column 1)",
                             what);
        char ch = l->p[indent];
        if (ch == '{' || ch == '[' || (mode == BODY_EXPECTED && s->kind == SCN_STEP_EXPECT_BODY)) {
            json_at = l->p + indent;
        } else if (mode == BODY_EXPECTED) {
            return scn__fail(&p->src, MC_EPARSE, l->no, (uint32_t)indent + 1,
                             "expected a JSON object (starting with '{') under %s", what);
        } else {
            int err = body_item(p, s, mode, l, indent, &json_at);
            if (err != 0)
                return err;
        }
    }
    int err = 0;
    if (json_at != NULL) {
        const struct scn__line *last = &p->src.lines[end - 1];
        err = body_json(p, s, mode, json_at, last->p + last->len);
    }
    p->i = next;
    return err;
}

/* ---- actor steps: subscribe, call, raw ---------------------------------- */

static int step_subscribe(struct parser *p, uint32_t actor)
{
    struct scn_step *s;
    int err = step_new(p, SCN_STEP_SUBSCRIBE, &s);
    uint32_t next = 2;
    if (err == 0)
        err = codec_opt(p, s, 2, &next);
    if (err == 0)
        err = extra_check(p, next, "'subscribe [as json|protobuf]'");
    if (err != 0)
        return err;
    s->actor = actor;
    p->requested[actor] = 1;
    p->streamed[actor] = 1;
    return body_parse(p, s, BODY_REQUEST, "subscribe");
}

static int step_call(struct parser *p, uint32_t actor)
{
    int err = want(p, 2, "a call type after 'call' (e.g. TEARDOWN)");
    if (err != 0)
        return err;
    const struct scn__tok *t = &p->toks.tok[2];
    if (tok_is(t, "SUBSCRIBE"))
        return fail_tok(p, MC_EPARSE, t, "SUBSCRIBE is sent with 'subscribe', not 'call'");
    if (t->kind != SCN__TOK_WORD || !scn__call_type_known(t->value))
        return fail_tok(p, MC_EPARSE, t, "unknown call type '%s' (scheduler Call types as in "
                        "scheduler.proto, e.g. TEARDOWN, ACCEPT, DECLINE, KILL)", t->value);
    struct scn_step *s;
    err = step_new(p, SCN_STEP_CALL, &s);
    uint32_t next = 3;
    if (err == 0)
        err = codec_opt(p, s, 3, &next);
    if (err == 0)
        err = extra_check(p, next, "'call TYPE [as json|protobuf]'");
    if (err != 0)
        return err;
    s->actor = actor;
    s->name = dup_tok(p, t);
    if (s->name == NULL)
        return nomem(p);
    p->requested[actor] = 1;
    return body_parse(p, s, BODY_REQUEST, "call");
}

static int step_raw(struct parser *p, uint32_t actor)
{
    int err = want(p, 3, "'raw METHOD PATH' (e.g. raw GET /api/v1/scheduler)");
    if (err != 0)
        return err;
    const struct scn__tok *m = &p->toks.tok[2], *path = &p->toks.tok[3];
    for (size_t k = 0; k < m->value_len; k++) {
        if (m->value[k] < 'A' || m->value[k] > 'Z' || m->value_len > MC_HTTP_METHOD_BYTES_MAX)
            return fail_tok(p, MC_EPARSE, m, "bad HTTP method '%s' (upper-case letters)",
                            m->value);
    }
    if (path->value[0] != '/')
        return fail_tok(p, MC_EPARSE, path, "a request path starts with '/'");
    for (size_t k = 0; k < path->value_len; k++) {
        if ((unsigned char)path->value[k] <= ' ' || (unsigned char)path->value[k] >= 0x7f)
            return fail_tok(p, MC_EPARSE, path, "a request path has no blanks or control bytes");
    }
    err = tok_vars_check(p, path);
    struct scn_step *s = NULL;
    if (err == 0)
        err = extra_check(p, 4, "'raw METHOD PATH'");
    if (err == 0)
        err = step_new(p, SCN_STEP_RAW, &s);
    if (err != 0)
        return err;
    s->actor = actor;
    s->method = dup_tok(p, m);
    s->path = dup_tok(p, path);
    if (s->method == NULL || s->path == NULL)
        return nomem(p);
    p->requested[actor] = 1;
    p->streamed[actor] = 1;
    return body_parse(p, s, BODY_RAW, "raw");
}

static int step_actor(struct parser *p)
{
    uint32_t actor = 0; /* set by actor_ref when it succeeds */
    int err = actor_ref(p, &p->toks.tok[0], &actor);
    if (err == 0)
        err = want(p, 1, "subscribe, call or raw after the actor");
    if (err != 0)
        return err;
    const struct scn__tok *verb = &p->toks.tok[1];
    if (tok_is(verb, "subscribe"))
        return step_subscribe(p, actor);
    if (tok_is(verb, "call"))
        return step_call(p, actor);
    if (tok_is(verb, "raw"))
        return step_raw(p, actor);
    return fail_tok(p, MC_EPARSE, verb, "unknown request '%s' (subscribe, call or raw)",
                    verb->value);
}

/* ---- expectations ---------------------------------------------------------- */

static int event_type_tok(struct parser *p, uint32_t idx, struct scn_step *s)
{
    int err = want(p, idx, "an event type (e.g. SUBSCRIBED, HEARTBEAT)");
    if (err != 0)
        return err;
    const struct scn__tok *t = &p->toks.tok[idx];
    if (t->kind != SCN__TOK_WORD || !scn__event_type_known(t->value))
        return fail_tok(p, MC_EPARSE, t, "unknown event type '%s' (scheduler Event types as in "
                        "scheduler.proto, e.g. SUBSCRIBED, UPDATE, ERROR)", t->value);
    s->name = dup_tok(p, t);
    return s->name == NULL ? nomem(p) : 0;
}

static int expect_status(struct parser *p, struct scn_step *s)
{
    int err = want(p, 3, "a status code after 'status'");
    if (err != 0)
        return err;
    const struct scn__tok *t = &p->toks.tok[3];
    unsigned v = 0;
    int ok = t->kind == SCN__TOK_WORD && t->value_len == 3;
    for (size_t k = 0; ok && k < 3; k++) {
        ok = t->value[k] >= '0' && t->value[k] <= '9';
        v = v * 10 + (unsigned)(t->value[k] - '0');
    }
    if (!ok || v < 100 || v > 599)
        return fail_tok(p, MC_EPARSE, t, "bad status code '%s' (100 to 599)", t->value);
    s->status = v;
    err = extra_check(p, 4, "the status code");
    return err != 0 ? err : body_parse(p, s, BODY_NONE, "expect status");
}

/* Reads "OP [VALUE]" at idx for a header (exists/absent allowed) or a body. */
static int compare_tail(struct parser *p, struct scn_step *s, uint32_t idx, int header)
{
    int err = want(p, idx, header ? "==, !=, ~, exists or absent" : "==, !=, ~, contains or json");
    if (err != 0)
        return err;
    const struct scn__tok *op = &p->toks.tok[idx];
    static const struct {
        const char *word;
        enum scn_op op;
        int operand;
        int header_ok, body_ok;
    } ops[] = {{"==", SCN_OP_EQ, 1, 1, 1},      {"!=", SCN_OP_NE, 1, 1, 1},
               {"~", SCN_OP_MATCHES, 1, 1, 1},  {"contains", SCN_OP_CONTAINS, 1, 1, 1},
               {"exists", SCN_OP_EXISTS, 0, 1, 0}, {"absent", SCN_OP_ABSENT, 0, 1, 0},
               {"json", SCN_OP_JSON, 0, 0, 1}};
    for (size_t k = 0; k < sizeof(ops) / sizeof(ops[0]); k++) {
        if (!tok_is(op, ops[k].word) || !(header ? ops[k].header_ok : ops[k].body_ok))
            continue;
        s->op = ops[k].op;
        if (ops[k].operand) {
            err = want(p, idx + 1, "a value after the comparison");
            if (err != 0)
                return err;
            const struct scn__tok *v = &p->toks.tok[idx + 1];
            err = tok_vars_check(p, v);
            if (err != 0)
                return err;
            s->value = dup_tok(p, v);
            if (s->value == NULL)
                return nomem(p);
            if (s->op == SCN_OP_MATCHES && strstr(s->value, "${") == NULL) {
                regex_t re;
                if (regcomp(&re, s->value, REG_EXTENDED | REG_NOSUB) != 0)
                    return fail_tok(p, MC_EPARSE, v, "bad regular expression");
                regfree(&re);
            }
        }
        err = extra_check(p, idx + 1 + (uint32_t)ops[k].operand, "the comparison");
        if (err != 0)
            return err;
        if (s->op != SCN_OP_JSON)
            return body_parse(p, s, BODY_NONE, "this expect");
        err = body_parse(p, s, BODY_EXPECTED, "expect body json");
        if (err == 0 && s->json == NULL)
            return scn__fail(&p->src, MC_EPARSE, s->pos.line, op->column,
                             "'body json' needs an indented JSON block below it");
        return err;
    }
    return fail_tok(p, MC_EPARSE, op, "unknown comparison '%s' (expected %s)", op->value,
                    header ? "==, !=, ~, contains, exists or absent"
                           : "==, !=, ~, contains or json");
}

static int expect_header(struct parser *p, struct scn_step *s)
{
    int err = want(p, 3, "a header name after 'header'");
    if (err != 0)
        return err;
    s->name = dup_tok(p, &p->toks.tok[3]);
    if (s->name == NULL)
        return nomem(p);
    return compare_tail(p, s, 4, 1);
}

/* expect ACTOR event|next TYPE [within D], with an optional JSON subset. */
static int expect_event(struct parser *p, struct scn_step *s)
{
    int err = event_type_tok(p, 3, s);
    uint32_t next = 4;
    if (err == 0)
        err = within_opt(p, 4, &s->duration_ns, &next);
    if (err == 0)
        err = extra_check(p, next, "the event type and 'within D'");
    return err != 0 ? err : body_parse(p, s, BODY_EXPECTED, "expect event");
}

/* expect ACTOR no event [TYPE] for D */
static int expect_no_event(struct parser *p, struct scn_step *s)
{
    int err = want(p, 3, "'event' after 'no'");
    if (err == 0 && !tok_is(&p->toks.tok[3], "event"))
        err = fail_tok(p, MC_EPARSE, &p->toks.tok[3], "expected 'no event [TYPE] for D'");
    uint32_t idx = 4;
    if (err == 0 && idx < p->toks.count && !tok_is(&p->toks.tok[idx], "for")) {
        err = event_type_tok(p, idx, s);
        idx++;
    }
    if (err == 0)
        err = want(p, idx, "'for D' (how long no such event may arrive)");
    if (err == 0 && !tok_is(&p->toks.tok[idx], "for"))
        err = fail_tok(p, MC_EPARSE, &p->toks.tok[idx], "expected 'for D'");
    if (err == 0)
        err = duration_tok(p, idx + 1, &s->duration_ns);
    if (err == 0)
        err = extra_check(p, idx + 2, "'for D'");
    return err != 0 ? err : body_parse(p, s, BODY_NONE, "expect no event");
}

/* expect ACTOR order T1 T2 ... [within D] */
static int expect_order(struct parser *p, struct scn_step *s)
{
    uint32_t idx = 3;
    while (idx < p->toks.count && !tok_is(&p->toks.tok[idx], "within"))
        idx++;
    uint32_t n = idx - 3;
    if (n < 2)
        return scn__fail(&p->src, MC_EPARSE, cur(p)->no, p->toks.tok[2].column,
                         "'order' takes two event types or more");
    if (n > MC_SCN_ORDER_EVENTS_MAX)
        return fail_tok(p, MC_ELIMIT, &p->toks.tok[3 + MC_SCN_ORDER_EVENTS_MAX],
                        "more than %u event types in one order", MC_SCN_ORDER_EVENTS_MAX);
    s->names = mc_calloc(p->c->alloc, n, sizeof(s->names[0]));
    if (s->names == NULL)
        return nomem(p);
    for (uint32_t k = 0; k < n; k++) {
        const struct scn__tok *t = &p->toks.tok[3 + k];
        if (t->kind != SCN__TOK_WORD || !scn__event_type_known(t->value))
            return fail_tok(p, MC_EPARSE, t, "unknown event type '%s'", t->value);
        s->names[k] = dup_tok(p, t);
        if (s->names[k] == NULL)
            return nomem(p);
        s->names_count++;
    }
    uint32_t next;
    int err = within_opt(p, idx, &s->duration_ns, &next);
    if (err == 0)
        err = extra_check(p, next, "'within D'");
    return err != 0 ? err : body_parse(p, s, BODY_NONE, "expect order");
}

static int expect_closed(struct parser *p, struct scn_step *s)
{
    uint32_t next;
    int err = within_opt(p, 3, &s->duration_ns, &next);
    if (err == 0)
        err = extra_check(p, next, "'closed [within D]'");
    return err != 0 ? err : body_parse(p, s, BODY_NONE, "expect closed");
}

static const struct {
    const char *word;
    enum scn_step_kind kind;
    int stream; /* 1: needs a stream (subscribe or raw before); 0: a request */
    int (*parse)(struct parser *p, struct scn_step *s);
} expect_forms[] = {
    {"status", SCN_STEP_EXPECT_STATUS, 0, expect_status},
    {"header", SCN_STEP_EXPECT_HEADER, 0, expect_header},
    {"body", SCN_STEP_EXPECT_BODY, 0, NULL},
    {"event", SCN_STEP_EXPECT_EVENT, 1, expect_event},
    {"next", SCN_STEP_EXPECT_NEXT, 1, expect_event},
    {"no", SCN_STEP_EXPECT_NO_EVENT, 1, expect_no_event},
    {"order", SCN_STEP_EXPECT_ORDER, 1, expect_order},
    {"closed", SCN_STEP_EXPECT_CLOSED, 1, expect_closed},
};

static int step_expect(struct parser *p)
{
    int err = want(p, 1, "an actor after 'expect'");
    uint32_t actor = 0;
    if (err == 0)
        err = actor_ref(p, &p->toks.tok[1], &actor);
    if (err == 0)
        err = want(p, 2, "status, header, body, event, next, no event, order or closed");
    if (err != 0)
        return err;
    const struct scn__tok *w = &p->toks.tok[2];
    for (size_t k = 0; k < sizeof(expect_forms) / sizeof(expect_forms[0]); k++) {
        if (!tok_is(w, expect_forms[k].word))
            continue;
        if (!p->requested[actor] || (expect_forms[k].stream && !p->streamed[actor]))
            return fail_tok(p, MC_EPARSE, &p->toks.tok[1],
                            "'%s' has %s before this line, so there is nothing to expect",
                            p->toks.tok[1].value,
                            expect_forms[k].stream ? "no subscribe or raw request"
                                                   : "sent no request");
        struct scn_step *s;
        err = step_new(p, expect_forms[k].kind, &s);
        if (err != 0)
            return err;
        s->actor = actor;
        return expect_forms[k].parse != NULL ? expect_forms[k].parse(p, s)
                                             : compare_tail(p, s, 3, 0);
    }
    return fail_tok(p, MC_EPARSE, w, "unknown expectation '%s' (status, header, body, event, "
                    "next, no event, order or closed)", w->value);
}

/* ---- captures, variables, time ------------------------------------------ */

static int path_check(struct parser *p, const struct scn__tok *t)
{
    int ok = t->kind == SCN__TOK_WORD && t->value_len > 0;
    size_t seg = 0;
    for (size_t k = 0; ok && k < t->value_len; k++) {
        char ch = t->value[k];
        if (ch == '.') {
            ok = seg > 0;
            seg = 0;
        } else {
            ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                 (ch >= '0' && ch <= '9') || ch == '_';
            seg++;
        }
    }
    if (!ok || seg == 0)
        return fail_tok(p, MC_EPARSE, t, "bad JSON path '%s' (fields and array indexes "
                        "joined by dots, e.g. subscribed.framework_id.value or offers.0.id.value)",
                        t->value);
    return 0;
}

/* The source of a capture, at token 3 onwards: ACTOR header NAME | body PATH | event TYPE PATH. */
static int capture_source(struct parser *p, struct scn_step *s)
{
    int err = want(p, 3, "an actor after '='");
    if (err == 0)
        err = actor_ref(p, &p->toks.tok[3], &s->actor);
    if (err == 0)
        err = want(p, 4, "header, body or event after the actor");
    if (err != 0)
        return err;
    const struct scn__tok *w = &p->toks.tok[4];
    uint32_t path_idx;
    if (tok_is(w, "header")) {
        s->capture_from = SCN_CAPTURE_HEADER;
        err = want(p, 5, "a header name");
        if (err == 0 && (s->name = dup_tok(p, &p->toks.tok[5])) == NULL)
            err = nomem(p);
        return err != 0 ? err : extra_check(p, 6, "the header name");
    }
    if (tok_is(w, "body")) {
        s->capture_from = SCN_CAPTURE_BODY;
        path_idx = 5;
    } else if (tok_is(w, "event")) {
        s->capture_from = SCN_CAPTURE_EVENT;
        if (!p->streamed[s->actor])
            return fail_tok(p, MC_EPARSE, &p->toks.tok[3], "'%s' has no stream to capture from",
                            p->toks.tok[3].value);
        err = event_type_tok(p, 5, s);
        path_idx = 6;
    } else {
        return fail_tok(p, MC_EPARSE, w, "expected header, body or event, not '%s'", w->value);
    }
    if (err == 0)
        err = want(p, path_idx, "a JSON path (e.g. subscribed.framework_id.value)");
    if (err == 0)
        err = path_check(p, &p->toks.tok[path_idx]);
    if (err == 0 && (s->path = dup_tok(p, &p->toks.tok[path_idx])) == NULL)
        err = nomem(p);
    return err != 0 ? err : extra_check(p, path_idx + 1, "the JSON path");
}

static int step_capture(struct parser *p)
{
    int err = want(p, 2, "'capture NAME = ACTOR ...'");
    if (err == 0 && !tok_is(&p->toks.tok[2], "="))
        err = fail_tok(p, MC_EPARSE, &p->toks.tok[2], "expected '=' after the variable name");
    struct scn_step *s = NULL;
    if (err == 0)
        err = step_new(p, SCN_STEP_CAPTURE, &s);
    if (err == 0)
        err = capture_source(p, s);
    if (err == 0 && !p->requested[s->actor])
        err = fail_tok(p, MC_EPARSE, &p->toks.tok[3], "'%s' sent no request before this line",
                       p->toks.tok[3].value);
    if (err == 0)
        err = var_define(p, &p->toks.tok[1]);
    if (err == 0 && (s->var = dup_tok(p, &p->toks.tok[1])) == NULL)
        err = nomem(p);
    return err != 0 ? err : body_parse(p, s, BODY_NONE, "capture");
}

static int step_let(struct parser *p)
{
    int err = want(p, 3, "'let NAME = VALUE'");
    if (err == 0 && !tok_is(&p->toks.tok[2], "="))
        err = fail_tok(p, MC_EPARSE, &p->toks.tok[2], "expected '=' after the variable name");
    if (err == 0)
        err = tok_vars_check(p, &p->toks.tok[3]);
    if (err == 0)
        err = extra_check(p, 4, "the value");
    struct scn_step *s = NULL;
    if (err == 0)
        err = step_new(p, SCN_STEP_LET, &s);
    if (err == 0)
        err = var_define(p, &p->toks.tok[1]);
    if (err == 0 && ((s->var = dup_tok(p, &p->toks.tok[1])) == NULL ||
                     (s->value = dup_tok(p, &p->toks.tok[3])) == NULL))
        err = nomem(p);
    return err != 0 ? err : body_parse(p, s, BODY_NONE, "let");
}

static int step_advance(struct parser *p)
{
    struct scn_step *s = NULL;
    int err = step_new(p, SCN_STEP_ADVANCE, &s);
    if (err == 0)
        err = duration_tok(p, 1, &s->duration_ns);
    if (err == 0)
        err = extra_check(p, 2, "the duration");
    return err != 0 ? err : body_parse(p, s, BODY_NONE, "advance");
}

/* ---- faults ---------------------------------------------------------- */

/* A name a partition may cut: master, an agent or an actor. */
static int node_name_check(struct parser *p, const struct scn__tok *t)
{
    if (tok_is(t, "master") || agent_find(p, t->value) >= 0 || actor_find(p, t->value) >= 0)
        return 0;
    return fail_tok(p, MC_EPARSE, t, "unknown name '%s' (master, a declared agent or actor)",
                    t->value);
}

static int step_partition(struct parser *p)
{
    struct scn_step *s = NULL;
    int err = need_require(p, SCN_NEED_PARTITIONS, &p->toks.tok[0], "partition");
    if (err == 0)
        err = step_new(p, SCN_STEP_PARTITION, &s);
    if (err != 0)
        return err;
    uint32_t n = p->toks.count - 1, bar = 0;
    s->names = mc_calloc(p->c->alloc, n > 0 ? n : 1, sizeof(s->names[0]));
    if (s->names == NULL)
        return nomem(p);
    for (uint32_t k = 1; k < p->toks.count; k++) {
        const struct scn__tok *t = &p->toks.tok[k];
        if (tok_is(t, "|")) {
            if (bar != 0)
                return fail_tok(p, MC_EPARSE, t, "a partition has two sides: one '|' only");
            bar = k;
            s->side_a_count = s->names_count;
            continue;
        }
        err = node_name_check(p, t);
        for (uint32_t q = 0; err == 0 && q < s->names_count; q++) {
            if (strcmp(s->names[q], t->value) == 0)
                err = fail_tok(p, MC_EPARSE, t, "'%s' is named twice", t->value);
        }
        if (err != 0)
            return err;
        if ((s->names[s->names_count] = dup_tok(p, t)) == NULL)
            return nomem(p);
        s->names_count++;
    }
    uint32_t b = s->names_count - s->side_a_count;
    if (bar == 0 || s->side_a_count == 0 || b == 0)
        return scn__fail(&p->src, MC_EPARSE, cur(p)->no, bar ? p->toks.tok[bar].column : 1,
                         "expected 'partition A ... | B ...' with names on both sides");
    if (s->side_a_count > MC_SCN_SIDE_NAMES_MAX || b > MC_SCN_SIDE_NAMES_MAX)
        return scn__fail(&p->src, MC_ELIMIT, cur(p)->no, 1, "more than %u names on one side",
                         MC_SCN_SIDE_NAMES_MAX);
    return body_parse(p, s, BODY_NONE, "partition");
}

/* hold, release, reset, close, split and drop heartbeats: faults on one actor's link. */
static int step_actor_fault(struct parser *p, enum scn_step_kind kind, uint32_t actor_idx)
{
    static const struct {
        enum scn_step_kind kind;
        enum scn_need need;
    } needs[] = {{SCN_STEP_HOLD, SCN_NEED_HOLDS}, {SCN_STEP_RELEASE, SCN_NEED_HOLDS},
                 {SCN_STEP_SPLIT, SCN_NEED_SPLITS}, {SCN_STEP_DROP_HEARTBEATS, SCN_NEED_DROPS}};
    int err = 0;
    for (size_t k = 0; err == 0 && k < sizeof(needs) / sizeof(needs[0]); k++) {
        if (needs[k].kind == kind)
            err = need_require(p, needs[k].need, &p->toks.tok[0], p->toks.tok[0].value);
    }
    struct scn_step *s = NULL;
    if (err == 0)
        err = want(p, actor_idx, "an actor");
    if (err == 0)
        err = step_new(p, kind, &s);
    if (err == 0)
        err = actor_ref(p, &p->toks.tok[actor_idx], &s->actor);
    uint32_t used = actor_idx + 1;
    if (err == 0 && kind == SCN_STEP_SPLIT) {
        err = want(p, used, "the piece size in bytes (1 to 65536)");
        const struct scn__tok *t = err == 0 ? &p->toks.tok[used] : NULL;
        unsigned long v = 0;
        for (size_t k = 0; t != NULL && k < t->value_len && k < 6; k++)
            v = t->value[k] >= '0' && t->value[k] <= '9' ? v * 10 + (unsigned long)(t->value[k] - '0') : 0;
        if (err == 0 && (v == 0 || v > 65536 || t->value_len > 5 || t->value[0] == '0'))
            err = fail_tok(p, MC_EPARSE, t, "bad piece size '%s' (1 to 65536 bytes)", t->value);
        s->split_bytes = (uint32_t)v;
        used++;
    } else if (err == 0 && kind == SCN_STEP_DROP_HEARTBEATS) {
        err = want(p, used, "'for D'");
        if (err == 0 && !tok_is(&p->toks.tok[used], "for"))
            err = fail_tok(p, MC_EPARSE, &p->toks.tok[used], "expected 'for D'");
        if (err == 0)
            err = duration_tok(p, used + 1, &s->duration_ns);
        used += 2;
    }
    if (err == 0)
        err = extra_check(p, used, "the step");
    return err != 0 ? err : body_parse(p, s, BODY_NONE, p->toks.tok[0].value);
}

/* restart master | restart AGENT | crash AGENT */
static int step_node_fault(struct parser *p, enum scn_step_kind kind)
{
    int err = want(p, 1, kind == SCN_STEP_CRASH ? "an agent" : "master or an agent");
    if (err != 0)
        return err;
    const struct scn__tok *t = &p->toks.tok[1];
    int master = tok_is(t, "master");
    if (master && kind == SCN_STEP_CRASH)
        return fail_tok(p, MC_EPARSE, t, "the master is not crashed alone: 'restart master'");
    if (!master && agent_find(p, t->value) < 0)
        return fail_tok(p, MC_EPARSE, t, "unknown agent '%s' (declare it: 'agent %s')", t->value,
                        scn__name_valid(t->value, t->value_len) ? t->value : "agent1");
    err = need_require(p, master ? SCN_NEED_MASTER_RESTART : SCN_NEED_AGENT_RESTART,
                       &p->toks.tok[0], master ? "restart master" : p->toks.tok[0].value);
    struct scn_step *s = NULL;
    if (err == 0)
        err = extra_check(p, 2, "the name");
    if (err == 0)
        err = step_new(p, kind, &s);
    if (err == 0 && (s->name = dup_tok(p, t)) == NULL)
        err = nomem(p);
    return err != 0 ? err : body_parse(p, s, BODY_NONE, p->toks.tok[0].value);
}

static int step_heal(struct parser *p)
{
    struct scn_step *s = NULL;
    int err = need_require(p, SCN_NEED_PARTITIONS, &p->toks.tok[0], "heal");
    if (err == 0)
        err = extra_check(p, 1, "'heal'");
    if (err == 0)
        err = step_new(p, SCN_STEP_HEAL, &s);
    return err != 0 ? err : body_parse(p, s, BODY_NONE, "heal");
}

/* ---- metadata ---------------------------------------------------------- */

static int meta_id(struct parser *p, const struct scn__line *l, const char *v, size_t n)
{
    uint32_t slashes = 0;
    size_t seg = 0, last = 0;
    int ok = n > 0;
    for (size_t k = 0; ok && k < n; k++) {
        char ch = v[k];
        if (ch == '/') {
            ok = seg > 0;
            slashes++;
            seg = 0;
            last = k + 1;
        } else {
            ok = (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-' || ch == '_';
            seg++;
        }
    }
    for (size_t k = last; ok && k < n; k++)
        ok = v[k] >= '1' - (k > last) && v[k] <= '9';
    if (!ok || slashes != 2 || seg == 0)
        return scn__fail_at(&p->src, MC_EPARSE, v,
                            "bad id '%.*s' (area/section/n in lower case, n a number from 1, "
                            "e.g. scheduler/subscribe/3)",
                            (int)(n > 80 ? 80 : n), v);
    p->c->id = mc_strndup(p->c->alloc, v, n);
    p->c->id_pos = (struct scn_pos){l->no, scn__column(l, v)};
    return p->c->id == NULL ? nomem(p) : 0;
}

static int meta_spec(struct parser *p)
{
    for (uint32_t k = 0; k < p->toks.count; k++) {
        const struct scn__tok *t = &p->toks.tok[k];
        size_t i = 0;
        while (i < t->value_len && t->value[i] >= 'A' && t->value[i] <= 'Z')
            i++;
        size_t letters = i;
        while (i < t->value_len && t->value[i] >= '0' && t->value[i] <= '9')
            i++;
        if (i < t->value_len && t->value[i] >= 'a' && t->value[i] <= 'z')
            i++;
        if (t->kind != SCN__TOK_WORD || letters == 0 || letters == i || i != t->value_len ||
            t->value_len > 8)
            return fail_tok(p, MC_EPARSE, t, "bad SPEC.md row '%s' (e.g. S4, L2, W8a)", t->value);
        for (uint32_t q = 0; q < p->c->spec_rows_count; q++) {
            if (strcmp(p->c->spec_rows[q], t->value) == 0)
                return fail_tok(p, MC_EPARSE, t, "SPEC row '%s' listed twice", t->value);
        }
        if (p->c->spec_rows_count == MC_SCN_SPEC_ROWS_MAX)
            return fail_tok(p, MC_ELIMIT, t, "more than %u SPEC rows", MC_SCN_SPEC_ROWS_MAX);
        if ((p->c->spec_rows[p->c->spec_rows_count] = dup_tok(p, t)) == NULL)
            return nomem(p);
        p->c->spec_rows_count++;
    }
    return 0;
}

static int meta_needs(struct parser *p)
{
    if (p->toks.count == 1 && tok_is(&p->toks.tok[0], "-"))
        return 0;
    for (uint32_t k = 0; k < p->toks.count; k++) {
        const struct scn__tok *t = &p->toks.tok[k];
        uint32_t bit = 0;
        while (bit < SCN_NEED_COUNT && !tok_is(t, need_names[bit]))
            bit++;
        if (bit == SCN_NEED_COUNT)
            return fail_tok(p, MC_EPARSE, t, "unknown need '%s' (agents, partitions, holds, "
                            "master-restart, agent-restart, drops, splits, protobuf, or -)",
                            t->value);
        if ((p->c->needs & (1u << bit)) != 0)
            return fail_tok(p, MC_EPARSE, t, "need '%s' listed twice", t->value);
        p->c->needs |= 1u << bit;
    }
    return 0;
}

static int meta_version(struct parser *p, struct scn_version *out)
{
    const struct scn__tok *t = &p->toks.tok[0];
    uint32_t parts[3] = {0, 0, 0}, n = 0;
    size_t digits = 0;
    int ok = t->kind == SCN__TOK_WORD;
    for (size_t k = 0; ok && k < t->value_len; k++) {
        char ch = t->value[k];
        if (ch == '.') {
            ok = digits > 0 && ++n < 3;
            digits = 0;
        } else {
            ok = ch >= '0' && ch <= '9' && digits < 5;
            if (ok)
                parts[n] = parts[n] * 10 + (uint32_t)(ch - '0');
            digits++;
        }
    }
    if (!ok || n != 2 || digits == 0)
        return fail_tok(p, MC_EPARSE, t, "bad version '%s' (MAJOR.MINOR.PATCH, e.g. 1.12.0)",
                        t->value);
    *out = (struct scn_version){1, parts[0], parts[1], parts[2]};
    return 0;
}

static int meta_tags(struct parser *p)
{
    for (uint32_t k = 0; k < p->toks.count; k++) {
        const struct scn__tok *t = &p->toks.tok[k];
        if (t->kind != SCN__TOK_WORD || !scn__name_valid(t->value, t->value_len))
            return fail_tok(p, MC_EPARSE, t, "bad tag '%s' (letters, digits, - and _)", t->value);
        for (uint32_t q = 0; q < p->c->tags_count; q++) {
            if (strcmp(p->c->tags[q], t->value) == 0)
                return fail_tok(p, MC_EPARSE, t, "tag '%s' listed twice", t->value);
        }
        if (p->c->tags_count == MC_SCN_TAGS_MAX)
            return fail_tok(p, MC_ELIMIT, t, "more than %u tags", MC_SCN_TAGS_MAX);
        if ((p->c->tags[p->c->tags_count] = dup_tok(p, t)) == NULL)
            return nomem(p);
        p->c->tags_count++;
    }
    return 0;
}

static const char *const meta_keys[] = {"id", "title", "spec", "level",
                                        "needs", "since", "until", "tags"};

/* The value of a tokenized key: every key but id and title. */
static int meta_value(struct parser *p, uint32_t bit)
{
    switch (1u << bit) {
    case META_SPEC: return meta_spec(p);
    case META_NEEDS: return meta_needs(p);
    case META_SINCE: return meta_version(p, &p->c->since);
    case META_UNTIL: return meta_version(p, &p->c->until);
    case META_TAGS: return meta_tags(p);
    case META_LEVEL: {
        const struct scn__tok *t = &p->toks.tok[0];
        for (int lv = SCN_LEVEL_MUST; lv <= SCN_LEVEL_INFO; lv++) {
            if (tok_is(t, scn_level_name((enum scn_level)lv))) {
                p->c->level = (enum scn_level)lv;
                return 0;
            }
        }
        return fail_tok(p, MC_EPARSE, t, "bad level '%s' (must, should or info)", t->value);
    }
    default: MC_UNREACHABLE();
    }
}

/* "key: value" at column 1; key_len bytes of key, the colon right after. */
static int meta_line(struct parser *p, size_t key_len)
{
    const struct scn__line *l = cur(p);
    uint32_t bit = 0;
    while (bit < 8 && !(strlen(meta_keys[bit]) == key_len &&
                        memcmp(meta_keys[bit], l->p, key_len) == 0))
        bit++;
    if (bit == 8)
        return scn__fail(&p->src, MC_EPARSE, l->no, 1,
                         "unknown metadata '%.*s:' (id, title, spec, level, needs, since, until, "
                         "tags)",
                         (int)key_len, l->p);
    if (p->phase != PHASE_META)
        return scn__fail(&p->src, MC_EPARSE, l->no, 1,
                         "metadata '%s:' after setup or steps (metadata comes first)",
                         meta_keys[bit]);
    if ((p->meta_seen & (1u << bit)) != 0)
        return scn__fail(&p->src, MC_EPARSE, l->no, 1, "'%s:' given twice", meta_keys[bit]);
    p->meta_seen |= 1u << bit;
    const char *v;
    size_t n;
    scn__rest(l, key_len + 1, &v, &n);
    if (n == 0)
        return scn__fail(&p->src, MC_EPARSE, l->no, (uint32_t)key_len + 2,
                         "'%s:' needs a value", meta_keys[bit]);
    if (bit == 0)
        return meta_id(p, l, v, n);
    if (bit == 1) {
        p->c->title = mc_strndup(p->c->alloc, v, n);
        return p->c->title == NULL ? nomem(p) : 0;
    }
    int err = scn__tokenize(&p->src, l, key_len + 1, &p->toks);
    if (err != 0)
        return err;
    uint32_t single = META_LEVEL | META_SINCE | META_UNTIL;
    if ((single & (1u << bit)) != 0 && p->toks.count > 1)
        return fail_tok(p, MC_EPARSE, &p->toks.tok[1], "'%s:' takes one value", meta_keys[bit]);
    return meta_value(p, bit);
}

/* Leaves the metadata phase: the required keys must all be there. */
static int meta_close(struct parser *p, uint32_t line, uint32_t column)
{
    static const uint32_t required[] = {META_ID, META_TITLE, META_SPEC, META_LEVEL};
    for (size_t k = 0; k < sizeof(required) / sizeof(required[0]); k++) {
        if ((p->meta_seen & required[k]) == 0) {
            uint32_t bit = 0;
            while ((1u << bit) != required[k])
                bit++;
            return scn__fail(&p->src, MC_EPARSE, line, column,
                             "missing '%s:' (a case starts with id, title, spec and level)",
                             meta_keys[bit]);
        }
    }
    const struct scn_version *a = &p->c->since, *b = &p->c->until;
    if (a->set && b->set &&
        (a->major > b->major || (a->major == b->major && a->minor > b->minor) ||
         (a->major == b->major && a->minor == b->minor && a->patch > b->patch)))
        return scn__fail(&p->src, MC_EPARSE, line, column, "'until:' is before 'since:'");
    p->phase = PHASE_SETUP;
    return 0;
}

/* ---- setup ---------------------------------------------------------- */

static const char *const reserved_words[] = {
    "expect", "capture", "let",   "advance", "partition", "heal",      "hold",     "release",
    "reset",  "close",   "split", "restart", "crash",     "drop",      "master",   "agent",
    "scheduler", "executor", "operator",
};

/* A new actor or agent name: well formed, not a keyword, not taken. */
static int new_name_check(struct parser *p, const struct scn__tok *t)
{
    if (t->kind != SCN__TOK_WORD || !scn__name_valid(t->value, t->value_len))
        return fail_tok(p, MC_EPARSE, t, "bad name '%s' (a letter, then letters, digits, - or _)",
                        t->value);
    for (size_t k = 0; k < sizeof(reserved_words) / sizeof(reserved_words[0]); k++) {
        if (strcmp(t->value, reserved_words[k]) == 0)
            return fail_tok(p, MC_EPARSE, t, "'%s' is a keyword, not a name", t->value);
    }
    if (actor_find(p, t->value) >= 0 || agent_find(p, t->value) >= 0)
        return fail_tok(p, MC_EPARSE, t, "'%s' is declared twice", t->value);
    return 0;
}

static const struct {
    const char *key;
    size_t offset;
    int is_count; /* 1: a count (uint32), 0: a duration (uint64 ns) */
} master_keys[] = {
    {"heartbeat_interval", offsetof(struct scn_master, heartbeat_interval_ns), 0},
    {"agent_ping_timeout", offsetof(struct scn_master, agent_ping_timeout_ns), 0},
    {"max_agent_ping_timeouts", offsetof(struct scn_master, max_agent_ping_timeouts), 1},
    {"allocation_interval", offsetof(struct scn_master, allocation_interval_ns), 0},
    {"offer_timeout", offsetof(struct scn_master, offer_timeout_ns), 0},
    {"agent_reregister_timeout", offsetof(struct scn_master, agent_reregister_timeout_ns), 0},
    {"max_completed_frameworks", offsetof(struct scn_master, max_completed_frameworks), 1},
};

static int master_setting(struct parser *p, const struct scn__tok *t, uint32_t *seen)
{
    const char *eq = memchr(t->value, '=', t->value_len);
    size_t key_len = eq != NULL ? (size_t)(eq - t->value) : t->value_len;
    for (uint32_t k = 0; k < sizeof(master_keys) / sizeof(master_keys[0]); k++) {
        if (strlen(master_keys[k].key) != key_len || memcmp(master_keys[k].key, t->value, key_len))
            continue;
        if ((*seen & (1u << k)) != 0)
            return fail_tok(p, MC_EPARSE, t, "master setting '%s' given twice", master_keys[k].key);
        *seen |= 1u << k;
        const char *v = eq + 1;
        size_t n = t->value_len - key_len - 1;
        char *field = (char *)&p->c->master + master_keys[k].offset;
        if (!master_keys[k].is_count) {
            uint64_t ns;
            if (scn__duration_parse(v, n, &ns) != 0 || (ns & SCN_DURATION_HEARTBEATS))
                return fail_tok(p, MC_EPARSE, t, "bad duration in '%s' (e.g. 15s, 500ms)",
                                t->value);
            memcpy(field, &ns, sizeof(ns));
            return 0;
        }
        uint32_t count = 0;
        int ok = n > 0 && n <= 6 && v[0] != '0';
        for (size_t q = 0; ok && q < n; q++) {
            ok = v[q] >= '0' && v[q] <= '9';
            count = count * 10 + (uint32_t)(v[q] - '0');
        }
        if (!ok)
            return fail_tok(p, MC_EPARSE, t, "bad count in '%s' (1 to 999999)", t->value);
        memcpy(field, &count, sizeof(count));
        return 0;
    }
    return fail_tok(p, MC_EPARSE, t, "unknown master setting '%.*s' (heartbeat_interval, "
                    "agent_ping_timeout, max_agent_ping_timeouts, allocation_interval, "
                    "offer_timeout, agent_reregister_timeout, max_completed_frameworks)",
                    (int)key_len, t->value);
}

static int setup_master(struct parser *p)
{
    uint32_t seen = 0;
    if (p->toks.count < 2)
        return want(p, 1, "settings after 'master' (e.g. heartbeat_interval=5s)");
    for (uint32_t k = 1; k < p->toks.count; k++) {
        const struct scn__tok *t = &p->toks.tok[k];
        if (t->kind != SCN__TOK_WORD || memchr(t->value, '=', t->value_len) == NULL)
            return fail_tok(p, MC_EPARSE, t, "expected KEY=VALUE, not '%s'", t->value);
        int err = master_setting(p, t, &seen);
        if (err != 0)
            return err;
    }
    return 0;
}

static int setup_agent(struct parser *p)
{
    int err = need_require(p, SCN_NEED_AGENTS, &p->toks.tok[0], "an agent");
    if (err == 0)
        err = want(p, 1, "an agent name (e.g. agent1)");
    if (err == 0)
        err = new_name_check(p, &p->toks.tok[1]);
    if (err == 0 && p->c->agents_count == MC_SCN_AGENTS_MAX)
        err = fail_tok(p, MC_ELIMIT, &p->toks.tok[1], "more than %u agents", MC_SCN_AGENTS_MAX);
    if (err == 0)
        err = extra_check(p, 3, "the agent's resources");
    if (err != 0)
        return err;
    struct scn_agent *a = &p->c->agents[p->c->agents_count++];
    memcpy(a->name, p->toks.tok[1].value, p->toks.tok[1].value_len + 1);
    a->pos = (struct scn_pos){cur(p)->no, 1};
    if (p->toks.count == 3 && (a->resources = dup_tok(p, &p->toks.tok[2])) == NULL)
        return nomem(p);
    return 0;
}

static int setup_actor(struct parser *p)
{
    const struct scn__tok *kind = &p->toks.tok[0];
    if (!tok_is(kind, "scheduler"))
        return fail_tok(p, MC_EPARSE, kind, "'%s' actors are not in the language yet "
                        "(only scheduler)", kind->value);
    int err = want(p, 1, "an actor name (e.g. s1)");
    if (err == 0)
        err = new_name_check(p, &p->toks.tok[1]);
    if (err == 0 && p->c->actors_count == MC_SCN_ACTORS_MAX)
        err = fail_tok(p, MC_ELIMIT, &p->toks.tok[1], "more than %u actors", MC_SCN_ACTORS_MAX);
    if (err == 0)
        err = extra_check(p, 2, "the actor's name");
    if (err != 0)
        return err;
    struct scn_actor *a = &p->c->actors[p->c->actors_count++];
    memcpy(a->name, p->toks.tok[1].value, p->toks.tok[1].value_len + 1);
    a->kind = SCN_ACTOR_SCHEDULER;
    a->pos = (struct scn_pos){cur(p)->no, 1};
    return 0;
}

/* ---- heads and the main loop ------------------------------------------- */

/* A setup line (master, agent, scheduler and the kinds to come); 1 if it was one. */
static int head_setup(struct parser *p, int *err)
{
    const struct scn__tok *w = &p->toks.tok[0];
    int setup = tok_is(w, "master") || tok_is(w, "agent") || tok_is(w, "scheduler") ||
                tok_is(w, "executor") || tok_is(w, "operator");
    if (!setup)
        return 0;
    if (p->phase == PHASE_STEPS)
        *err = fail_tok(p, MC_EPARSE, w, "setup line '%s' after a step (setup comes first)",
                        w->value);
    else if (tok_is(w, "master"))
        *err = setup_master(p);
    else if (tok_is(w, "agent"))
        *err = setup_agent(p);
    else
        *err = setup_actor(p);
    if (*err == 0)
        *err = body_parse(p, NULL, BODY_NONE, w->value);
    return 1;
}

static int head_step(struct parser *p)
{
    const struct scn__tok *w = &p->toks.tok[0];
    p->phase = PHASE_STEPS;
    if (tok_is(w, "expect"))
        return step_expect(p);
    if (tok_is(w, "capture"))
        return step_capture(p);
    if (tok_is(w, "let"))
        return step_let(p);
    if (tok_is(w, "advance"))
        return step_advance(p);
    if (tok_is(w, "partition"))
        return step_partition(p);
    if (tok_is(w, "heal"))
        return step_heal(p);
    static const struct {
        const char *word;
        enum scn_step_kind kind;
    } actor_faults[] = {{"hold", SCN_STEP_HOLD},   {"release", SCN_STEP_RELEASE},
                        {"reset", SCN_STEP_RESET}, {"close", SCN_STEP_CLOSE},
                        {"split", SCN_STEP_SPLIT}};
    for (size_t k = 0; k < sizeof(actor_faults) / sizeof(actor_faults[0]); k++) {
        if (tok_is(w, actor_faults[k].word))
            return step_actor_fault(p, actor_faults[k].kind, 1);
    }
    if (tok_is(w, "drop")) {
        if (p->toks.count < 2 || !tok_is(&p->toks.tok[1], "heartbeats"))
            return want(p, p->toks.count < 2 ? 1 : UINT32_MAX, "'drop heartbeats ACTOR for D'");
        return step_actor_fault(p, SCN_STEP_DROP_HEARTBEATS, 2);
    }
    if (tok_is(w, "restart"))
        return step_node_fault(p, SCN_STEP_RESTART);
    if (tok_is(w, "crash"))
        return step_node_fault(p, SCN_STEP_CRASH);
    if (actor_find(p, w->value) >= 0)
        return step_actor(p);
    return fail_tok(p, MC_EPARSE, w, "unknown keyword or actor '%s' (see scenarios/README.md)",
                    w->value);
}

/* The length of "key" when the line starts with "key:" (lower case and _), else 0. */
static size_t meta_key_len(const struct scn__line *l)
{
    size_t k = 0;
    while (k < l->len && ((l->p[k] >= 'a' && l->p[k] <= 'z') || l->p[k] == '_'))
        k++;
    return k > 0 && k < l->len && l->p[k] == ':' ? k : 0;
}

/* One head line at p->i; every handler moves p->i past the head and its block. */
static int head_parse(struct parser *p)
{
    const struct scn__line *l = cur(p);
    size_t key_len = meta_key_len(l);
    if (key_len > 0) {
        int err = meta_line(p, key_len);
        if (err == 0)
            err = body_parse(p, NULL, BODY_NONE, "metadata");
        return err;
    }
    int err = scn__tokenize(&p->src, l, 0, &p->toks);
    if (err != 0)
        return err;
    MC_ASSERT(p->toks.count > 0);
    if (p->phase == PHASE_META && (err = meta_close(p, l->no, 1)) != 0)
        return err;
    if (head_setup(p, &err))
        return err;
    return head_step(p);
}

static int lines_parse(struct parser *p)
{
    p->i = 0;
    while (p->i < p->src.lines_count) {
        const struct scn__line *l = cur(p);
        if (scn__line_blank(l)) {
            p->i++;
            continue;
        }
        if (l->p[0] == '\t')
            return scn__fail(&p->src, MC_EPARSE, l->no, 1,
                             "tab at the start of a line (indent with spaces)");
        if (l->p[0] == ' ')
            return scn__fail(&p->src, MC_EPARSE, l->no, (uint32_t)scn__line_indent(l) + 1,
                             "indented line, but nothing above takes a block (steps start at "
                             "column 1)");
        int err = head_parse(p);
        if (err != 0)
            return err;
    }
    uint32_t end_line = p->src.lines_count > 0 ? p->src.lines_count : 1;
    int err = p->phase == PHASE_META ? meta_close(p, end_line, 1) : 0;
    if (err == 0 && p->c->steps_count == 0)
        err = scn__fail(&p->src, MC_EPARSE, end_line, 1, "the case has no steps");
    return err;
}

static void step_free(const struct mc_alloc *a, struct scn_step *s)
{
    while (!mc_list_empty(&s->headers)) {
        struct scn_header *h = MC_CONTAINER_OF(s->headers.next, struct scn_header, node);
        mc_list_remove(&h->node);
        mc_free(a, h->name);
        mc_free(a, h->value);
        mc_free(a, h);
    }
    for (uint32_t k = 0; k < s->names_count; k++)
        mc_free(a, s->names[k]);
    mc_free(a, s->names);
    json_decref(s->json);
    char *strings[] = {s->source, s->name, s->method, s->path, s->var, s->value};
    for (size_t k = 0; k < sizeof(strings) / sizeof(strings[0]); k++)
        mc_free(a, strings[k]);
    mc_free(a, s->body_bytes);
    mc_free(a, s);
}

void scn_case_free(struct scn_case *c)
{
    if (c == NULL)
        return;
    const struct mc_alloc *a = c->alloc;
    while (!mc_list_empty(&c->steps)) {
        struct scn_step *s = MC_CONTAINER_OF(c->steps.next, struct scn_step, node);
        mc_list_remove(&s->node);
        step_free(a, s);
    }
    for (uint32_t k = 0; k < c->spec_rows_count; k++)
        mc_free(a, c->spec_rows[k]);
    for (uint32_t k = 0; k < c->tags_count; k++)
        mc_free(a, c->tags[k]);
    for (uint32_t k = 0; k < c->agents_count; k++)
        mc_free(a, c->agents[k].resources);
    mc_free(a, c->file);
    mc_free(a, c->id);
    mc_free(a, c->title);
    mc_free(a, c);
}

int scn_parse_text(const char *name, const char *text, size_t len, const struct mc_alloc *alloc,
                   struct scn_case **out, struct mc_diag *diag)
{
    MC_ASSERT(name != NULL && out != NULL);
    MC_ASSERT(text != NULL || len == 0);
    *out = NULL;
    struct parser *p = mc_calloc(alloc, 1, sizeof(*p));
    if (p == NULL) {
        mc_diag_clear(diag);
        mc_diag_set(diag, "out of memory");
        return MC_ENOMEM;
    }
    p->src = (struct scn__src){name, text != NULL ? text : "", len, NULL, 0, alloc, diag};
    int err = scn__lines_split(&p->src);
    if (err == 0) {
        p->c = mc_calloc(alloc, 1, sizeof(*p->c));
        if (p->c == NULL)
            err = scn__fail(&p->src, MC_ENOMEM, 0, 0, "out of memory");
    }
    if (err == 0) {
        p->c->alloc = alloc;
        mc_list_init(&p->c->steps);
        p->c->file = mc_strdup(alloc, name);
        err = p->c->file == NULL ? scn__fail(&p->src, MC_ENOMEM, 0, 0, "out of memory")
                                 : lines_parse(p);
    }
    if (err == 0)
        *out = p->c;
    else
        scn_case_free(p->c);
    mc_free(alloc, p->src.lines);
    mc_free(alloc, p);
    return err;
}

const char *scn_level_name(enum scn_level level)
{
    static const char *const names[] = {"must", "should", "info"};
    MC_ASSERT((unsigned)level < 3);
    return names[level];
}

const char *scn_need_name(enum scn_need need)
{
    for (uint32_t bit = 0; bit < SCN_NEED_COUNT; bit++) {
        if ((1u << bit) == (uint32_t)need)
            return need_names[bit];
    }
    MC_UNREACHABLE();
}
