/*
 * scn_dump.c: a canonical text form of a parsed case (what the tests
 * compare with their expected files, and what a reader can check a
 * scenario against), the names of step kinds, and variable expansion.
 *
 * The dump has one line per metadata field, setup line and step, then the
 * step's details indented below it; JSON is written compact with sorted
 * keys, and bytes and strings are written with C-like escapes, so that the
 * same case always gives the same text.
 */
#include <stdlib.h>
#include <string.h>

#include "mc_assert.h"
#include "scn_internal.h"

static const char *const step_kind_names[SCN_STEP_KIND_COUNT] = {
    "subscribe",      "call",          "raw",           "expect status",  "expect header",
    "expect body",    "expect event",  "expect next",   "expect no event", "expect order",
    "expect closed",  "capture",       "let",           "advance",        "partition",
    "heal",           "hold",          "release",       "reset",          "close",
    "split",          "restart",       "crash",         "drop heartbeats",
};

const char *scn_step_kind_name(enum scn_step_kind kind)
{
    MC_ASSERT((unsigned)kind < SCN_STEP_KIND_COUNT);
    return step_kind_names[kind];
}

/* Appends bytes as a quoted string, escaping quotes, backslashes and non-printables. */
static int quoted_append(struct mc_buf *out, const void *data, size_t len)
{
    const uint8_t *b = data;
    int err = mc_buf_append_byte(out, '"');
    for (size_t i = 0; err == 0 && i < len; i++) {
        if (b[i] == '"' || b[i] == '\\')
            err = mc_buf_appendf(out, "\\%c", b[i]);
        else if (b[i] == '\n')
            err = mc_buf_append_str(out, "\\n");
        else if (b[i] < 0x20 || b[i] >= 0x7f)
            err = mc_buf_appendf(out, "\\x%02x", b[i]);
        else
            err = mc_buf_append_byte(out, b[i]);
    }
    return err != 0 ? err : mc_buf_append_byte(out, '"');
}

static int version_append(struct mc_buf *out, const char *key, const struct scn_version *v)
{
    if (!v->set)
        return mc_buf_appendf(out, "%s: -\n", key);
    return mc_buf_appendf(out, "%s: %u.%u.%u\n", key, v->major, v->minor, v->patch);
}

static int list_append(struct mc_buf *out, const char *key, char *const *items, uint32_t n)
{
    int err = mc_buf_appendf(out, "%s:", key);
    for (uint32_t i = 0; err == 0 && i < n; i++)
        err = mc_buf_appendf(out, " %s", items[i]);
    if (err == 0 && n == 0)
        err = mc_buf_append_str(out, " -");
    return err != 0 ? err : mc_buf_append_byte(out, '\n');
}

static int meta_append(const struct scn_case *c, struct mc_buf *out)
{
    int err = mc_buf_appendf(out, "file: %s\nid: %s (%u:%u)\ntitle: %s\n", c->file, c->id,
                             c->id_pos.line, c->id_pos.column, c->title);
    if (err == 0)
        err = list_append(out, "spec", c->spec_rows, c->spec_rows_count);
    if (err == 0)
        err = mc_buf_appendf(out, "level: %s\nneeds:", scn_level_name(c->level));
    for (uint32_t bit = 0; err == 0 && bit < SCN_NEED_COUNT; bit++) {
        if ((c->needs & (1u << bit)) != 0)
            err = mc_buf_appendf(out, " %s", scn_need_name((enum scn_need)(1u << bit)));
    }
    if (err == 0)
        err = mc_buf_append_str(out, c->needs == 0 ? " -\n" : "\n");
    if (err == 0)
        err = version_append(out, "since", &c->since);
    if (err == 0)
        err = version_append(out, "until", &c->until);
    if (err == 0)
        err = list_append(out, "tags", c->tags, c->tags_count);
    return err;
}

static int master_append(const struct scn_master *m, struct mc_buf *out)
{
    const struct {
        const char *key;
        uint64_t ns;
    } durations[] = {{"heartbeat_interval", m->heartbeat_interval_ns},
                     {"agent_ping_timeout", m->agent_ping_timeout_ns},
                     {"allocation_interval", m->allocation_interval_ns},
                     {"offer_timeout", m->offer_timeout_ns},
                     {"agent_reregister_timeout", m->agent_reregister_timeout_ns}};
    int err = mc_buf_append_str(out, "master:");
    for (size_t i = 0; err == 0 && i < sizeof(durations) / sizeof(durations[0]); i++) {
        if (durations[i].ns == 0)
            continue;
        err = mc_buf_appendf(out, " %s=", durations[i].key);
        if (err == 0)
            err = scn__duration_append(out, durations[i].ns);
    }
    if (err == 0 && m->max_agent_ping_timeouts != 0)
        err = mc_buf_appendf(out, " max_agent_ping_timeouts=%u", m->max_agent_ping_timeouts);
    if (err == 0 && m->max_completed_frameworks != 0)
        err = mc_buf_appendf(out, " max_completed_frameworks=%u", m->max_completed_frameworks);
    if (err == 0 && out->len > 0 && out->data[out->len - 1] == ':')
        err = mc_buf_append_str(out, " -");
    return err != 0 ? err : mc_buf_append_byte(out, '\n');
}

static int setup_append(const struct scn_case *c, struct mc_buf *out)
{
    int err = master_append(&c->master, out);
    for (uint32_t i = 0; err == 0 && i < c->agents_count; i++) {
        const struct scn_agent *a = &c->agents[i];
        err = mc_buf_appendf(out, "agent %s (%u:%u) resources=", a->name, a->pos.line,
                             a->pos.column);
        if (err == 0)
            err = a->resources != NULL ? quoted_append(out, a->resources, strlen(a->resources))
                                       : mc_buf_append_str(out, "default");
        if (err == 0)
            err = mc_buf_append_byte(out, '\n');
    }
    for (uint32_t i = 0; err == 0 && i < c->actors_count; i++)
        err = mc_buf_appendf(out, "scheduler %s (%u:%u)\n", c->actors[i].name,
                             c->actors[i].pos.line, c->actors[i].pos.column);
    return err;
}

static const char *op_name(enum scn_op op)
{
    static const char *const names[] = {"none",     "eq",     "ne",     "matches",
                                        "contains", "exists", "absent", "json"};
    MC_ASSERT((unsigned)op < sizeof(names) / sizeof(names[0]));
    return names[op];
}

/* The fields of a step that apply to its kind, one " key=value" each. */
static int step_fields_append(const struct scn_case *c, const struct scn_step *s,
                              struct mc_buf *out)
{
    int err = 0;
    if (s->actor != SCN_ACTOR_NONE)
        err = mc_buf_appendf(out, " actor=%s", c->actors[s->actor].name);
    if (err == 0 && (s->kind == SCN_STEP_SUBSCRIBE || s->kind == SCN_STEP_CALL))
        err = mc_buf_appendf(out, " codec=%s", s->codec == SCN_CODEC_JSON ? "json" : "protobuf");
    const struct {
        const char *key;
        const char *value;
    } strings[] = {{"var", s->var}, {"name", s->name}, {"method", s->method},
                   {"path", s->path}};
    for (size_t i = 0; err == 0 && i < sizeof(strings) / sizeof(strings[0]); i++) {
        if (strings[i].value != NULL)
            err = mc_buf_appendf(out, " %s=%s", strings[i].key, strings[i].value);
    }
    if (err == 0 && s->kind == SCN_STEP_CAPTURE)
        err = mc_buf_appendf(out, " from=%s",
                             s->capture_from == SCN_CAPTURE_HEADER ? "header"
                             : s->capture_from == SCN_CAPTURE_BODY ? "body"
                                                                    : "event");
    if (err == 0 && s->status != 0)
        err = mc_buf_appendf(out, " status=%u", s->status);
    if (err == 0 && s->op != SCN_OP_NONE)
        err = mc_buf_appendf(out, " op=%s", op_name(s->op));
    if (err == 0 && s->value != NULL) {
        err = mc_buf_append_str(out, " value=");
        if (err == 0)
            err = quoted_append(out, s->value, strlen(s->value));
    }
    if (err == 0 && s->duration_ns != 0) {
        err = mc_buf_append_str(out, " duration=");
        if (err == 0)
            err = scn__duration_append(out, s->duration_ns);
    }
    if (err == 0 && s->split_bytes != 0)
        err = mc_buf_appendf(out, " bytes=%u", s->split_bytes);
    for (uint32_t i = 0; err == 0 && i < s->names_count; i++) {
        if (s->kind == SCN_STEP_PARTITION && i == s->side_a_count)
            err = mc_buf_append_str(out, " |");
        if (err == 0)
            err = mc_buf_appendf(out, " %s", s->names[i]);
    }
    return err;
}

static int step_block_append(const struct scn_step *s, struct mc_buf *out)
{
    int err = 0;
    struct mc_list_node *n;
    for (n = s->headers.next; err == 0 && n != &s->headers; n = n->next) {
        const struct scn_header *h = MC_CONTAINER_OF(n, struct scn_header, node);
        if (h->value == NULL) {
            err = mc_buf_appendf(out, "  no-header %s\n", h->name);
            continue;
        }
        err = mc_buf_appendf(out, "  header %s: ", h->name);
        if (err == 0)
            err = quoted_append(out, h->value, strlen(h->value));
        if (err == 0)
            err = mc_buf_append_byte(out, '\n');
    }
    if (err == 0 && s->body_kind == SCN_BODY_BYTES) {
        err = mc_buf_append_str(out, "  bytes ");
        if (err == 0)
            err = quoted_append(out, s->body_bytes, s->body_len);
        if (err == 0)
            err = mc_buf_append_byte(out, '\n');
    }
    if (err == 0 && s->json != NULL) {
        char *text = json_dumps(s->json, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
        if (text == NULL)
            return MC_ENOMEM;
        err = mc_buf_appendf(out, "  json (%u:%u) %s\n", s->json_pos.line, s->json_pos.column,
                             text);
        free(text);
    }
    return err;
}

int scn_case_dump(const struct scn_case *c, struct mc_buf *out)
{
    int err = meta_append(c, out);
    if (err == 0)
        err = setup_append(c, out);
    struct mc_list_node *n;
    for (n = c->steps.next; err == 0 && n != &c->steps; n = n->next) {
        const struct scn_step *s = MC_CONTAINER_OF(n, struct scn_step, node);
        err = mc_buf_appendf(out, "%u:%u %s", s->pos.line, s->pos.column,
                             scn_step_kind_name(s->kind));
        if (err == 0)
            err = step_fields_append(c, s, out);
        if (err == 0)
            err = mc_buf_append_byte(out, '\n');
        if (err == 0)
            err = step_block_append(s, out);
    }
    return err;
}

int scn_text_expand(const char *s, scn_var_lookup_fn lookup, void *ctx, struct mc_buf *out,
                    struct mc_diag *diag)
{
    size_t len = strlen(s), at = 0, copied = 0, ns, nl;
    int r;
    while ((r = scn__var_next(s, len, &at, &ns, &nl)) > 0) {
        /* Copy the text before the reference, turning "$${" into "${". */
        size_t ref = ns - 2;
        for (size_t i = copied; i < ref; i++) {
            if (s[i] == '$' && i + 2 < ref + 2 && s[i + 1] == '$' && s[i + 2] == '{')
                continue;
            int err = mc_buf_append_byte(out, (uint8_t)s[i]);
            if (err != 0)
                return err;
        }
        char name[MC_SCN_NAME_BYTES_MAX * 2];
        if (nl >= sizeof(name))
            nl = sizeof(name) - 1;
        memcpy(name, s + ns, nl);
        name[nl] = '\0';
        const char *value = lookup(ctx, name);
        if (value == NULL) {
            mc_diag_set(diag, "undefined variable ${%s}", name);
            return MC_ENOTFOUND;
        }
        int err = mc_buf_append_str(out, value);
        if (err != 0)
            return err;
        copied = at;
    }
    if (r < 0) {
        mc_diag_set_at(diag, at, "bad variable reference (write ${NAME}, or $${ for a literal)");
        return MC_EPARSE;
    }
    for (size_t i = copied; i < len; i++) {
        if (s[i] == '$' && i + 2 < len && s[i + 1] == '$' && s[i + 2] == '{')
            continue;
        int err = mc_buf_append_byte(out, (uint8_t)s[i]);
        if (err != 0)
            return err;
    }
    return 0;
}
