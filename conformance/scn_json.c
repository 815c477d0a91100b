/*
 * scn_json.c: JSON blocks inside scenario files, and the predicates of
 * expected values.
 *
 * A block is parsed by jansson from a copy of the file's own bytes, with
 * only the text before the block on its first line and the comment lines
 * inside it blanked (replaced by spaces, newlines kept). Every byte of the
 * copy is therefore at the same distance from the block's start as in the
 * file, and jansson's error position maps straight back to a file line and
 * column, which is what an author needs to find a missing comma.
 */
#include <regex.h>
#include <string.h>

#include "mc_assert.h"
#include "scn_internal.h"

static const char *const call_types[] = {
    "SUBSCRIBE", "TEARDOWN", "ACCEPT", "DECLINE", "ACCEPT_INVERSE_OFFERS",
    "DECLINE_INVERSE_OFFERS", "REVIVE", "KILL", "SHUTDOWN", "ACKNOWLEDGE",
    "ACKNOWLEDGE_OPERATION_STATUS", "RECONCILE", "RECONCILE_OPERATIONS", "MESSAGE", "REQUEST",
    "SUPPRESS", "UPDATE_FRAMEWORK", "UNKNOWN",
};

static const char *const event_types[] = {
    "SUBSCRIBED", "OFFERS", "INVERSE_OFFERS", "RESCIND", "RESCIND_INVERSE_OFFER", "UPDATE",
    "UPDATE_OPERATION_STATUS", "MESSAGE", "FAILURE", "ERROR", "HEARTBEAT", "UNKNOWN",
};

static int name_in(const char *s, const char *const *names, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        if (strcmp(s, names[i]) == 0)
            return 1;
    }
    return 0;
}

int scn__call_type_known(const char *s)
{
    return name_in(s, call_types, sizeof(call_types) / sizeof(call_types[0]));
}

int scn__event_type_known(const char *s)
{
    return name_in(s, event_types, sizeof(event_types) / sizeof(event_types[0]));
}

/* Blanks everything in the copy that is not JSON: comment lines. */
static void comments_blank(char *copy, size_t len)
{
    size_t i = 0;
    while (i < len) {
        size_t j = i;
        while (j < len && (copy[j] == ' ' || copy[j] == '\t'))
            j++;
        int comment = j < len && copy[j] == '#';
        while (j < len && copy[j] != '\n') {
            if (comment)
                copy[j] = ' ';
            j++;
        }
        i = j + 1;
    }
}

/*
 * The byte jansson's error is about: the start of the token it quotes
 * ("near 'tru'") when that token ends at its position, the end of the text
 * for "near end of file", else the byte before the position.
 */
static size_t error_offset(const json_error_t *e, const char *copy, size_t len)
{
    size_t pos = e->position > 0 ? (size_t)e->position : 0;
    if (pos > len)
        pos = len;
    if (strstr(e->text, "near end of file") != NULL)
        return pos;
    const char *near = strstr(e->text, "near '");
    if (near != NULL) {
        near += 6;
        size_t n = strlen(near);
        if (n > 0 && near[n - 1] == '\'')
            n--;
        if (n > 0 && n <= pos && memcmp(copy + pos - n, near, n) == 0)
            return pos - n;
    }
    return pos > 0 ? pos - 1 : 0;
}

static int depth_check(const json_t *j, uint32_t depth)
{
    if (depth > MC_SCN_JSON_DEPTH_MAX)
        return -1;
    if (json_is_object(j)) {
        const char *k;
        json_t *v;
        json_object_foreach((json_t *)j, k, v) {
            if (depth_check(v, depth + 1) != 0)
                return -1;
        }
    } else if (json_is_array(j)) {
        for (size_t i = 0; i < json_array_size(j); i++) {
            if (depth_check(json_array_get(j, i), depth + 1) != 0)
                return -1;
        }
    }
    return 0;
}

int scn__json_block_parse(struct scn__src *src, const char *start, const char *end,
                          json_t **out)
{
    MC_ASSERT(start >= src->text && end <= src->text + src->len && start <= end);
    *out = NULL;
    size_t len = (size_t)(end - start);
    char *copy = mc_malloc(src->alloc, len + 1);
    if (copy == NULL)
        return scn__fail_at(src, MC_ENOMEM, start, "out of memory");
    memcpy(copy, start, len);
    copy[len] = '\0';
    comments_blank(copy, len);
    json_error_t e;
    json_t *j = json_loadb(copy, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &e);
    if (j == NULL) {
        size_t off = error_offset(&e, copy, len);
        mc_free(src->alloc, copy);
        return scn__fail_at(src, MC_EPARSE, start + off, "bad JSON: %s", e.text);
    }
    mc_free(src->alloc, copy);
    if (depth_check(j, 1) != 0) {
        json_decref(j);
        return scn__fail_at(src, MC_EPARSE, start, "JSON nested deeper than %u levels",
                            MC_SCN_JSON_DEPTH_MAX);
    }
    *out = j;
    return 0;
}

static const char *const type_names[] = {"string", "number", "integer", "real", "boolean",
                                         "null",   "object", "array"};

/* A block's span in the file, to place an error on the text it is about. */
struct block {
    struct scn__src *src;
    const char *start;
    const char *end;
};

/* The first place in the block where "key" is written, else its start. */
static const char *block_find(const struct block *b, const char *key)
{
    size_t n = strlen(key);
    for (const char *p = b->start; p + n + 2 <= b->end; p++) {
        if (p[0] == '"' && memcmp(p + 1, key, n) == 0 && p[n + 1] == '"')
            return p;
    }
    return b->start;
}

static int predicate_check(const struct block *b, const char *key, const json_t *arg,
                           uint32_t depth);

static int subset_check(const struct block *b, const json_t *j, uint32_t depth)
{
    struct scn__src *src = b->src;
    if (json_is_array(j)) {
        for (size_t i = 0; i < json_array_size(j); i++) {
            int err = subset_check(b, json_array_get(j, i), depth + 1);
            if (err != 0)
                return err;
        }
        return 0;
    }
    if (!json_is_object(j))
        return 0;
    const char *k;
    json_t *v;
    size_t dollars = 0;
    json_object_foreach((json_t *)j, k, v) {
        if (k[0] == '$')
            dollars++;
    }
    const char *first = NULL;
    json_object_foreach((json_t *)j, k, v) {
        if (k[0] == '$' && first == NULL)
            first = k;
    }
    if (dollars > 0 && dollars != json_object_size(j))
        return scn__fail_at(src, MC_EPARSE, block_find(b, first),
                            "a JSON object mixes predicates ($...) and fields; put the "
                            "predicate in the field's value");
    json_object_foreach((json_t *)j, k, v) {
        int err = k[0] == '$' ? predicate_check(b, k, v, depth) : subset_check(b, v, depth + 1);
        if (err != 0)
            return err;
    }
    return 0;
}

static int regex_check(struct scn__src *src, const json_t *arg, const char *at)
{
    if (!json_is_string(arg))
        return scn__fail_at(src, MC_EPARSE, at, "\"$regex\" takes a string");
    const char *re = json_string_value(arg);
    if (strstr(re, "${") != NULL)
        return 0; /* checked when the variables are known */
    regex_t compiled;
    if (regcomp(&compiled, re, REG_EXTENDED | REG_NOSUB) != 0)
        return scn__fail_at(src, MC_EPARSE, at, "\"$regex\": bad regular expression \"%s\"", re);
    regfree(&compiled);
    return 0;
}

static int predicate_check(const struct block *b, const char *key, const json_t *arg,
                           uint32_t depth)
{
    struct scn__src *src = b->src;
    const char *at = block_find(b, key);
    if (strcmp(key, "$exists") == 0) {
        if (!json_is_boolean(arg))
            return scn__fail_at(src, MC_EPARSE, at, "\"$exists\" takes true or false");
        return 0;
    }
    if (strcmp(key, "$type") == 0) {
        if (!json_is_string(arg) ||
            !name_in(json_string_value(arg), type_names, sizeof(type_names) / sizeof(type_names[0])))
            return scn__fail_at(src, MC_EPARSE, at,
                                "\"$type\" takes one of \"string\", \"number\", \"integer\", "
                                "\"real\", \"boolean\", \"null\", \"object\", \"array\"");
        return 0;
    }
    if (strcmp(key, "$regex") == 0)
        return regex_check(src, arg, at);
    if (strcmp(key, "$len") == 0) {
        if (!json_is_integer(arg) || json_integer_value(arg) < 0)
            return scn__fail_at(src, MC_EPARSE, at, "\"$len\" takes an integer >= 0");
        return 0;
    }
    if (strcmp(key, "$any") == 0 || strcmp(key, "$contains") == 0) {
        if (!json_is_array(arg) || json_array_size(arg) == 0)
            return scn__fail_at(src, MC_EPARSE, at, "\"%s\" takes a non-empty array", key);
        return subset_check(b, arg, depth + 1);
    }
    if (strcmp(key, "$eq") == 0)
        return 0; /* any literal value */
    return scn__fail_at(src, MC_EPARSE, at,
                        "unknown predicate \"%s\" (known: $exists $type $regex $len $any "
                        "$contains $eq)",
                        key);
}

int scn__json_predicates_check(struct scn__src *src, const json_t *j, const char *block_start,
                               const char *block_end)
{
    struct block b = {src, block_start, block_end};
    return subset_check(&b, j, 1);
}
