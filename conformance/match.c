/*
 * match.c: JSON subset matching with predicates (see match.h).
 */
#include "match.h"

#include <regex.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "mc_limits.h"

/* Longest rendering of a value in a mismatch text. */
#define MATCH_VALUE_TEXT_BYTES_MAX 120

static void value_text(const json_t *v, char *out, size_t out_bytes)
{
    if (v == NULL) {
        snprintf(out, out_bytes, "nothing");
        return;
    }
    char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY | JSON_SORT_KEYS);
    snprintf(out, out_bytes, "%s", s != NULL ? s : "?");
    if (s != NULL && strlen(s) >= out_bytes && out_bytes > 4)
        strcpy(out + out_bytes - 4, "...");
    free(s);
}

static int mismatch(struct mc_buf *why, const char *path, const char *what, const json_t *expected,
                    const json_t *actual)
{
    char e[MATCH_VALUE_TEXT_BYTES_MAX], a[MATCH_VALUE_TEXT_BYTES_MAX];
    value_text(expected, e, sizeof(e));
    value_text(actual, a, sizeof(a));
    if (why != NULL && mc_buf_appendf(why, "%s: %s %s, got %s", path[0] ? path : "(top)", what,
                                      e, a) != 0) {
        /* The reason is cut; the verdict stands. */
    }
    return 0;
}

static const char *type_name(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "object";
    case JSON_ARRAY: return "array";
    case JSON_STRING: return "string";
    case JSON_INTEGER:
    case JSON_REAL: return "number";
    case JSON_TRUE:
    case JSON_FALSE: return "boolean";
    default: return "null";
    }
}

static int at(const json_t *expected, const json_t *actual, const char *path, struct mc_buf *why,
              int depth);

/* Whether expected is a predicate: an object whose keys all start with '$'. */
static int is_predicate(const json_t *expected)
{
    if (!json_is_object(expected) || json_object_size(expected) == 0)
        return 0;
    const char *key;
    json_t *value;
    json_object_foreach((json_t *)expected, key, value) {
        if (key[0] != '$')
            return 0;
    }
    return 1;
}

static int regex_matches(const char *pattern, const char *text, int *bad)
{
    regex_t re;
    *bad = regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB) != 0;
    if (*bad)
        return 0;
    int ok = regexec(&re, text, 0, NULL, 0) == 0;
    regfree(&re);
    return ok;
}

static int type_holds(const char *want, const json_t *actual)
{
    if (strcmp(want, "integer") == 0)
        return json_is_integer(actual);
    if (strcmp(want, "real") == 0)
        return json_is_real(actual);
    return strcmp(type_name(actual), want) == 0;
}

static size_t length_of(const json_t *v)
{
    if (json_is_array(v))
        return json_array_size(v);
    if (json_is_object(v))
        return json_object_size(v);
    return json_is_string(v) ? json_string_length(v) : (size_t)-1;
}

/* $contains: every alternative matches some element of the array. */
static int contains_holds(const json_t *arg, const json_t *actual, const char *path, int depth)
{
    if (!json_is_array(actual))
        return 0;
    size_t n = json_is_array(arg) ? json_array_size(arg) : 1;
    for (size_t k = 0; k < n; k++) {
        const json_t *want = json_is_array(arg) ? json_array_get(arg, k) : arg;
        int found = 0;
        for (size_t i = 0; i < json_array_size(actual) && !found; i++)
            found = at(want, json_array_get(actual, i), path, NULL, depth + 1);
        if (!found)
            return 0;
    }
    return 1;
}

/* One predicate key; 1 when it holds, else a mismatch. */
static int predicate(const char *key, const json_t *arg, const json_t *actual, const char *path,
                     struct mc_buf *why, int depth)
{
    if (strcmp(key, "$exists") == 0 && json_is_boolean(arg))
        return (actual != NULL) == json_is_true(arg)
                   ? 1
                   : mismatch(why, path, json_is_true(arg) ? "expected a value, like" : "expected no value, not", arg, actual);
    if (actual == NULL)
        return mismatch(why, path, "expected", arg, actual);
    if (strcmp(key, "$type") == 0 && json_is_string(arg))
        return type_holds(json_string_value(arg), actual) ? 1 : mismatch(why, path, "expected a value of type", arg, actual);
    if (strcmp(key, "$regex") == 0 && json_is_string(arg)) {
        int bad = 0;
        if (json_is_string(actual) && regex_matches(json_string_value(arg), json_string_value(actual), &bad))
            return 1;
        return mismatch(why, path, bad ? "has a bad regex" : "expected a string matching", arg, actual);
    }
    if (strcmp(key, "$len") == 0 && json_is_integer(arg))
        return length_of(actual) == (size_t)json_integer_value(arg) ? 1 : mismatch(why, path, "expected a length of", arg, actual);
    if (strcmp(key, "$eq") == 0)
        return json_equal((json_t *)arg, (json_t *)actual) ? 1 : mismatch(why, path, "expected exactly", arg, actual);
    if (strcmp(key, "$any") == 0 && json_is_array(arg)) {
        for (size_t i = 0; i < json_array_size(arg); i++)
            if (at(json_array_get(arg, i), actual, path, NULL, depth + 1))
                return 1;
        return mismatch(why, path, "expected one of", arg, actual);
    }
    if (strcmp(key, "$contains") == 0)
        return contains_holds(arg, actual, path, depth) ? 1 : mismatch(why, path, "expected an array containing", arg, actual);
    return mismatch(why, path, "has an unknown or malformed predicate", arg, NULL);
}

/* Every key of a predicate object must hold. */
static int predicates(const json_t *expected, const json_t *actual, const char *path,
                      struct mc_buf *why, int depth)
{
    const char *key;
    json_t *arg;
    json_object_foreach((json_t *)expected, key, arg) {
        if (!predicate(key, arg, actual, path, why, depth))
            return 0;
    }
    return 1;
}

static int at_object(const json_t *expected, const json_t *actual, const char *path,
                     struct mc_buf *why, int depth)
{
    if (!json_is_object(actual))
        return mismatch(why, path, "expected an object like", expected, actual);
    const char *key;
    json_t *value;
    json_object_foreach((json_t *)expected, key, value) {
        char sub[MC_FIELD_PATH_BYTES_MAX];
        snprintf(sub, sizeof(sub), "%s%s%s", path, path[0] ? "." : "", key);
        if (!at(value, json_object_get(actual, key), sub, why, depth + 1))
            return 0;
    }
    return 1;
}

static int at(const json_t *expected, const json_t *actual, const char *path, struct mc_buf *why,
              int depth)
{
    if (depth > MC_JSON_DEPTH_MAX)
        return mismatch(why, path, "is nested too deep:", expected, NULL);
    if (is_predicate(expected))
        return predicates(expected, actual, path, why, depth);
    if (json_is_object(expected))
        return at_object(expected, actual, path, why, depth);
    if (actual == NULL)
        return mismatch(why, path, "expected", expected, actual);
    if (json_is_array(expected)) {
        if (!json_is_array(actual) || json_array_size(actual) != json_array_size(expected))
            return mismatch(why, path, "expected", expected, actual);
        for (size_t i = 0; i < json_array_size(expected); i++) {
            char sub[MC_FIELD_PATH_BYTES_MAX];
            snprintf(sub, sizeof(sub), "%s[%zu]", path, i);
            if (!at(json_array_get(expected, i), json_array_get(actual, i), sub, why, depth + 1))
                return 0;
        }
        return 1;
    }
    if (json_is_number(expected))
        return json_is_number(actual) && json_number_value(expected) == json_number_value(actual)
                   ? 1 : mismatch(why, path, "expected", expected, actual);
    return json_equal((json_t *)expected, (json_t *)actual) ? 1
           : mismatch(why, path, "expected", expected, actual);
}

int match_json(const json_t *expected, const json_t *actual, struct mc_buf *why)
{
    return at(expected, actual, "", why, 0);
}
