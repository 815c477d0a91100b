/*
 * fuzz_media.c: Accept and Content-Type handling under arbitrary input.
 *
 * Input: one control byte, then up to three strings separated by NUL
 * bytes: the Accept value, the Message-Accept value and a Content-Type
 * value (also used as a media type to ask about). Control bit 0 makes
 * Accept absent, bit 1 makes Message-Accept absent.
 *
 * Besides "never crash", it checks media.c against a model: a plain
 * transcription of libprocess' Request::_acceptsMediaType (remove, then
 * tokenize, then pairs, then numify<double>) that copies strings around as
 * the C++ does and reads numbers with strtod, so that it shares as little
 * as possible with the parser under test. test_media.c includes this file
 * to run the same model over generated headers.
 */
#include <ctype.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mc_assert.h"
#include "media.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The model runs on values up to this long (libFuzzer's default is 4096). */
#define MODEL_BYTES_MAX 8192u

/* A vector of malloc'd strings, as std::vector<std::string>. */
struct model_strings {
    char **items;
    size_t count;
};

static void model_strings_free(struct model_strings *v)
{
    for (size_t i = 0; i < v->count; i++)
        free(v->items[i]);
    free(v->items);
    v->items = NULL;
    v->count = 0;
}

/* stout strings::tokenize: the non-empty pieces of s between delimiters. */
static struct model_strings model_tokenize(const char *s, const char *delims)
{
    struct model_strings v = {NULL, 0};
    size_t len = strlen(s), i = 0;
    v.items = malloc((len + 1) * sizeof(*v.items));
    MC_ASSERT(v.items != NULL);
    while (i < len) {
        if (strchr(delims, s[i]) != NULL) {
            i++;
            continue;
        }
        size_t j = i;
        while (j < len && strchr(delims, s[j]) == NULL)
            j++;
        v.items[v.count] = strndup(s + i, j - i);
        MC_ASSERT(v.items[v.count] != NULL);
        v.count++;
        i = j;
    }
    return v;
}

static void model_lower(char *s)
{
    for (; *s != '\0'; s++) {
        if (*s >= 'A' && *s <= 'Z')
            *s = (char)(*s - 'A' + 'a');
    }
}

/* numify<double>(s) > 0, as boost::lexical_cast and libstdc++ read it. */
static int model_q_positive(const char *s)
{
    const char *p = s;
    int negative = 0;
    if (*p == '+' || *p == '-')
        negative = *p++ == '-';
    size_t rest = strlen(p);
    if (rest >= 3 && strncasecmp(p, "nan", 3) == 0 &&
        (rest == 3 || (rest >= 5 && p[3] == '(' && p[rest - 1] == ')')))
        return 0;
    if ((rest == 3 && strncasecmp(p, "inf", 3) == 0) ||
        (rest == 8 && strncasecmp(p, "infinity", 8) == 0))
        return !negative;
    /* strtod reads more than libstdc++ does: hex, inf, nan, spaces. */
    for (const char *c = s; *c != '\0'; c++) {
        if (strchr("0123456789.eE+-", *c) == NULL)
            return 0;
    }
    size_t len = strlen(s);
    if (len == 0 || strchr("eE+-", s[len - 1]) != NULL)
        return 0;
    char *end = NULL;
    double v = strtod(s, &end);
    if (end != s + len || isinf(v))
        return 0;
    return v > 0;
}

/* The verdict of one Accept entry, through strings::pairs. */
static int model_entry_accepts(const char *entry)
{
    struct model_strings parts = model_tokenize(entry, ";");
    size_t q_count = 0;
    char *q_value = NULL;
    for (size_t i = 0; i < parts.count; i++) {
        struct model_strings kv = model_tokenize(parts.items[i], "=");
        if (kv.count == 2 && strcmp(kv.items[0], "q") == 0) {
            q_count++;
            free(q_value);
            q_value = strdup(kv.items[1]);
            MC_ASSERT(q_value != NULL);
        }
        model_strings_free(&kv);
    }
    model_strings_free(&parts);
    int accepts = q_count != 1 ? 1 : model_q_positive(q_value);
    free(q_value);
    return accepts;
}

/* Request::_acceptsMediaType(header, type); header NULL when absent. */
static int model_accepts(const char *header, const char *type)
{
    struct model_strings pieces = model_tokenize(type, "/");
    if (pieces.count != 2) {
        model_strings_free(&pieces);
        return 0;
    }
    if (header == NULL) {
        model_strings_free(&pieces);
        return 1;
    }
    char *name = strdup(header);
    MC_ASSERT(name != NULL);
    size_t n = 0;
    for (const char *c = header; *c != '\0'; c++) {
        if (*c != ' ' && *c != '\t' && *c != '\n')
            name[n++] = *c;
    }
    name[n] = '\0';
    char *candidates[3];
    candidates[0] = strdup(type);
    candidates[1] = malloc(strlen(pieces.items[0]) + 3);
    candidates[2] = strdup("*/*");
    MC_ASSERT(candidates[0] != NULL && candidates[1] != NULL && candidates[2] != NULL);
    strcpy(candidates[1], pieces.items[0]);
    strcat(candidates[1], "/*");
    struct model_strings entries = model_tokenize(name, ",");
    int verdict = 0, found = 0;
    for (int c = 0; c < 3 && !found; c++) {
        model_lower(candidates[c]);
        for (size_t e = 0; e < entries.count && !found; e++) {
            struct model_strings tokens = model_tokenize(entries.items[e], ";");
            if (tokens.count > 0) {
                model_lower(tokens.items[0]);
                if (strcmp(tokens.items[0], candidates[c]) == 0) {
                    found = 1;
                    verdict = model_entry_accepts(entries.items[e]);
                }
            }
            model_strings_free(&tokens);
        }
    }
    model_strings_free(&entries);
    for (int c = 0; c < 3; c++)
        free(candidates[c]);
    free(name);
    model_strings_free(&pieces);
    return verdict;
}

/* Whether a header value is in the model's (and the parser's) range. */
static int model_applies(const char *header)
{
    if (header == NULL)
        return 1;
    struct media_accept a;
    return strlen(header) <= MODEL_BYTES_MAX && media_accept_parse(header, &a, NULL) == 0;
}

/* Checks one stream choice for consistency with its return code. */
static void stream_choice_check(int rc, const struct media_stream_choice *c)
{
    if (rc == 0) {
        MC_ASSERT(c->codec != MEDIA_CODEC_NONE && c->content_type != NULL);
        MC_ASSERT(c->refusal == NULL);
        MC_ASSERT((c->message_content_type != NULL) == (c->recordio != 0));
    } else {
        MC_ASSERT(rc == MC_EUNSUPPORTED);
        MC_ASSERT(c->codec == MEDIA_CODEC_NONE && c->content_type == NULL);
        MC_ASSERT(c->refusal != NULL && c->refusal[0] != '\0');
    }
}

/* Runs every media.c entry point on the three values and checks them. */
static void media_check(const char *accept, const char *message_accept, const char *other)
{
    static struct media_accept a, b;
    struct mc_diag diag;
    int rc = media_accept_parse(accept, &a, &diag);
    MC_ASSERT(rc == 0 || rc == MC_ELIMIT);
    /* Deterministic: a second parse gives the same ranges. */
    MC_ASSERT(media_accept_parse(accept, &b, NULL) == rc);
    MC_ASSERT(a.ranges_count == b.ranges_count && a.present == b.present);
    MC_ASSERT(memcmp(a.ranges, b.ranges, a.ranges_count * sizeof(a.ranges[0])) == 0);
    const char *types[] = {MEDIA_TYPE_JSON, MEDIA_TYPE_PROTOBUF, MEDIA_TYPE_RECORDIO, other};
    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
        int got = media_accepts(&a, types[i]);
        MC_ASSERT(got == 0 || got == 1);
        if (rc == 0 && model_applies(accept) && strlen(types[i]) <= MODEL_BYTES_MAX)
            MC_ASSERT(got == model_accepts(accept, types[i]));
        if (rc != 0)
            MC_ASSERT(got == 0);
    }
    enum media_codec codec = media_negotiate(accept);
    MC_ASSERT(codec == (media_accepts(&a, MEDIA_TYPE_JSON)       ? MEDIA_CODEC_JSON
                        : media_accepts(&a, MEDIA_TYPE_PROTOBUF) ? MEDIA_CODEC_PROTOBUF
                                                                 : MEDIA_CODEC_NONE));
    for (int allowed = 0; allowed <= 1; allowed++) {
        struct media_stream_choice c1, c2;
        int rc1 = media_negotiate_stream(accept, message_accept, allowed, &c1);
        int rc2 = media_negotiate_stream(accept, message_accept, allowed, &c2);
        MC_ASSERT(rc1 == rc2 && memcmp(&c1, &c2, sizeof(c1)) == 0);
        stream_choice_check(rc1, &c1);
        if (!allowed)
            MC_ASSERT(c1.codec == codec && c1.recordio == 0);
        if (allowed && codec != MEDIA_CODEC_NONE && message_accept == NULL)
            MC_ASSERT(c1.codec == codec && c1.recordio == 0);
    }
    enum media_codec ct = media_content_type_codec(other);
    MC_ASSERT(ct == (strcmp(other, MEDIA_TYPE_JSON) == 0       ? MEDIA_CODEC_JSON
                     : strcmp(other, MEDIA_TYPE_PROTOBUF) == 0 ? MEDIA_CODEC_PROTOBUF
                                                               : MEDIA_CODEC_NONE));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    uint8_t control = data[0];
    char *copy = malloc(size + 1);
    if (copy == NULL)
        return 0;
    memcpy(copy, data + 1, size - 1);
    copy[size - 1] = '\0';
    copy[size] = '\0';
    /* Up to three NUL-separated strings; missing ones are "". */
    const char *strings[3] = {"", "", ""};
    size_t at = 0;
    for (int i = 0; i < 3 && at < size; i++) {
        strings[i] = copy + at;
        at += strlen(copy + at) + 1;
    }
    media_check((control & 1) ? NULL : strings[0], (control & 2) ? NULL : strings[1], strings[2]);
    free(copy);
    return 0;
}
