/*
 * media.c: Content-Type and Accept handling (see media.h).
 *
 * The Accept parser mirrors libprocess step by step rather than RFC 7231,
 * because the reference must answer what Mesos answers: it removes the
 * same whitespace, skips empty pieces as stout's strings::tokenize does,
 * finds parameters as strings::pairs does, and reads a q value as
 * boost::lexical_cast<double> does (Boost 1.81, the version Mesos bundles:
 * parse_inf_nan first, then an istream without skipws that must use up the
 * text, then a refusal of text ending in 'e', 'E', '+' or '-'; libstdc++'s
 * num_get fails on overflow but not on underflow). Each entry's verdict
 * (accepts or not) does not depend on the candidate, so it is computed once
 * at parse time; media_accepts then only searches.
 */
#include "media.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "mc_assert.h"

_Static_assert(MC_HTTP_HEADER_BYTES_MAX < UINT32_MAX, "range offsets fit in 32 bits");
_Static_assert(MC_MEDIA_RANGES_MAX > 0, "an Accept header can name one range");

enum media_codec media_content_type_codec(const char *value)
{
    if (value == NULL)
        return MEDIA_CODEC_NONE;
    if (strcmp(value, MEDIA_TYPE_JSON) == 0)
        return MEDIA_CODEC_JSON;
    if (strcmp(value, MEDIA_TYPE_PROTOBUF) == 0)
        return MEDIA_CODEC_PROTOBUF;
    return MEDIA_CODEC_NONE;
}

const char *media_codec_type(enum media_codec codec)
{
    MC_ASSERT(codec == MEDIA_CODEC_JSON || codec == MEDIA_CODEC_PROTOBUF);
    return codec == MEDIA_CODEC_JSON ? MEDIA_TYPE_JSON : MEDIA_TYPE_PROTOBUF;
}

/* The bytes libprocess strips from the whole value before reading it. */
static int is_stripped(char c)
{
    return c == ' ' || c == '\t' || c == '\n';
}

/* ASCII lower case, as ::tolower in the C locale that Mesos runs in. */
static char ascii_lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

static int ascii_ieq(const char *a, const char *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (ascii_lower(a[i]) != ascii_lower(b[i]))
            return 0;
    }
    return 1;
}

/*
 * boost's parse_inf_nan, on s[0..len) with any sign already removed:
 * returns 1 for "nan" or "nan(...)", 2 for "inf" or "infinity" (any case),
 * 0 otherwise.
 */
static int q_inf_nan(const char *s, size_t len)
{
    if (len >= 3 && ascii_ieq(s, "nan", 3)) {
        if (len == 3)
            return 1;
        return len >= 5 && s[3] == '(' && s[len - 1] == ')' ? 1 : 0;
    }
    if ((len == 3 && ascii_ieq(s, "inf", 3)) || (len == 8 && ascii_ieq(s, "infinity", 8)))
        return 2;
    return 0;
}

/*
 * Whether s[0..len) (sign removed) is a whole decimal number as libstdc++'s
 * num_get reads one and strtod then takes in full: digits with an optional
 * '.', at least one digit, then optionally e or E, an optional sign and at
 * least one digit.
 */
static int q_is_decimal(const char *s, size_t len)
{
    size_t i = 0, mantissa_digits = 0;
    while (i < len && s[i] >= '0' && s[i] <= '9') {
        i++;
        mantissa_digits++;
    }
    if (i < len && s[i] == '.') {
        i++;
        while (i < len && s[i] >= '0' && s[i] <= '9') {
            i++;
            mantissa_digits++;
        }
    }
    if (mantissa_digits == 0)
        return 0;
    if (i < len && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < len && (s[i] == '+' || s[i] == '-'))
            i++;
        size_t exponent_digits = 0;
        while (i < len && s[i] >= '0' && s[i] <= '9') {
            i++;
            exponent_digits++;
        }
        if (exponent_digits == 0)
            return 0;
    }
    return i == len;
}

/*
 * The verdict of one q value, s[0..len), as libprocess reaches it through
 * stout's numify<double> (boost::lexical_cast): a number > 0 accepts, any
 * other number (NaN included) refuses, and so does anything else. s is
 * followed in memory by a byte that ends a number (';', ',', '=' or NUL).
 */
static enum media_q q_classify(const char *s, size_t len)
{
    MC_ASSERT(len > 0);
    size_t i = 0;
    int negative = 0;
    if (s[0] == '+' || s[0] == '-') {
        negative = s[0] == '-';
        i = 1;
    }
    int special = q_inf_nan(s + i, len - i);
    if (special == 1)
        return MEDIA_Q_NOT_POSITIVE;
    if (special == 2)
        return negative ? MEDIA_Q_NOT_POSITIVE : MEDIA_Q_POSITIVE;
    if (!q_is_decimal(s + i, len - i))
        return MEDIA_Q_MALFORMED;
    /*
     * strtod stops at the delimiter after s; the syntax is already known.
     * The program never calls setlocale, so the decimal point is '.'.
     */
    char *end = NULL;
    double value = strtod(s, &end);
    if (end != s + len || isinf(value))
        return MEDIA_Q_MALFORMED; /* libstdc++ fails on overflow */
    return value > 0 ? MEDIA_Q_POSITIVE : MEDIA_Q_NOT_POSITIVE;
}

/*
 * The q verdict of the entry text[begin..end), from every ';' part of it
 * that splits on '=' (skipping empty pieces) into exactly a key and a value,
 * as strings::pairs finds parameters.
 */
static enum media_q entry_q(const char *text, size_t begin, size_t end)
{
    size_t q_count = 0, q_begin = 0, q_len = 0;
    size_t part = begin;
    while (part < end) {
        size_t part_end = part;
        while (part_end < end && text[part_end] != ';')
            part_end++;
        size_t pieces = 0, piece_begin[2] = {0, 0}, piece_len[2] = {0, 0};
        size_t i = part;
        while (i < part_end) {
            if (text[i] == '=') {
                i++;
                continue;
            }
            size_t j = i;
            while (j < part_end && text[j] != '=')
                j++;
            if (pieces < 2) {
                piece_begin[pieces] = i;
                piece_len[pieces] = j - i;
            }
            pieces++;
            i = j;
        }
        if (pieces == 2 && piece_len[0] == 1 && text[piece_begin[0]] == 'q') {
            q_count++;
            q_begin = piece_begin[1];
            q_len = piece_len[1];
        }
        part = part_end + 1;
    }
    if (q_count == 0)
        return MEDIA_Q_ABSENT;
    if (q_count > 1)
        return MEDIA_Q_REPEATED;
    return q_classify(text + q_begin, q_len);
}

/* The offset in the original value of the normalized byte at index k. */
static size_t value_offset(const char *value, size_t k)
{
    size_t i = 0;
    for (;; i++) {
        MC_ASSERT(value[i] != '\0');
        if (is_stripped(value[i]))
            continue;
        if (k == 0)
            return i;
        k--;
    }
}

/*
 * Adds the entry text[begin..end) (no ',' inside) to out. An entry with no
 * non-empty ';' part is skipped, as libprocess skips it.
 */
static int entry_add(struct media_accept *out, size_t begin, size_t end, const char *value,
                     struct mc_diag *diag)
{
    size_t type_begin = begin;
    while (type_begin < end && out->text[type_begin] == ';')
        type_begin++;
    if (type_begin == end)
        return 0;
    size_t type_end = type_begin;
    while (type_end < end && out->text[type_end] != ';')
        type_end++;
    if (out->ranges_count == MC_MEDIA_RANGES_MAX) {
        mc_diag_clear(diag);
        mc_diag_set_at(diag, value_offset(value, type_begin),
                       "more than %d media ranges in an Accept value", MC_MEDIA_RANGES_MAX);
        return MC_ELIMIT;
    }
    struct media_range *r = &out->ranges[out->ranges_count++];
    /* q first: parameter keys are case-sensitive, and the range may be one. */
    r->q = entry_q(out->text, begin, end);
    r->accepts = r->q == MEDIA_Q_ABSENT || r->q == MEDIA_Q_REPEATED || r->q == MEDIA_Q_POSITIVE;
    r->type_offset = (uint32_t)type_begin;
    r->type_bytes = (uint32_t)(type_end - type_begin);
    for (size_t i = type_begin; i < type_end; i++)
        out->text[i] = ascii_lower(out->text[i]);
    return 0;
}

int media_accept_parse(const char *value, struct media_accept *out, struct mc_diag *diag)
{
    MC_ASSERT(out != NULL);
    out->present = value != NULL;
    out->ranges_count = 0;
    out->text[0] = '\0';
    if (value == NULL)
        return 0;
    size_t value_bytes = strnlen(value, MC_HTTP_HEADER_BYTES_MAX + 1);
    if (value_bytes > MC_HTTP_HEADER_BYTES_MAX) {
        mc_diag_clear(diag);
        mc_diag_set_at(diag, MC_HTTP_HEADER_BYTES_MAX,
                       "Accept value longer than %u bytes", MC_HTTP_HEADER_BYTES_MAX);
        return MC_ELIMIT;
    }
    size_t n = 0;
    for (size_t i = 0; i < value_bytes; i++) {
        if (!is_stripped(value[i]))
            out->text[n++] = value[i];
    }
    out->text[n] = '\0';
    size_t pos = 0;
    while (pos < n) {
        size_t end = pos;
        while (end < n && out->text[end] != ',')
            end++;
        int err = entry_add(out, pos, end, value, diag);
        if (err != 0) {
            out->ranges_count = 0;
            return err;
        }
        pos = end + 1;
    }
    MC_ASSERT(out->ranges_count <= MC_MEDIA_RANGES_MAX);
    return 0;
}

/* Whether r's media range is candidate[0..len) followed by suffix. */
static int range_is(const struct media_accept *a, const struct media_range *r,
                    const char *candidate, size_t len, const char *suffix)
{
    size_t suffix_len = strlen(suffix);
    if (r->type_bytes != len + suffix_len)
        return 0;
    const char *t = a->text + r->type_offset;
    return ascii_ieq(t, candidate, len) && memcmp(t + len, suffix, suffix_len) == 0;
}

int media_accepts(const struct media_accept *accept, const char *type)
{
    MC_ASSERT(accept != NULL && type != NULL);
    /* libprocess tokenizes the type on '/' and wants exactly two pieces. */
    size_t pieces = 0, first_begin = 0, first_len = 0, i = 0, len = strlen(type);
    while (i < len) {
        if (type[i] == '/') {
            i++;
            continue;
        }
        size_t j = i;
        while (j < len && type[j] != '/')
            j++;
        if (pieces == 0) {
            first_begin = i;
            first_len = j - i;
        }
        pieces++;
        i = j;
    }
    if (pieces != 2)
        return 0;
    if (!accept->present)
        return 1;
    /* The exact type, then "type/" and a star, then the full wildcard. */
    for (int pass = 0; pass < 3; pass++) {
        for (size_t k = 0; k < accept->ranges_count; k++) {
            const struct media_range *r = &accept->ranges[k];
            int hit = pass == 0   ? range_is(accept, r, type, len, "")
                      : pass == 1 ? range_is(accept, r, type + first_begin, first_len, "/*")
                                  : range_is(accept, r, "", 0, "*/*");
            if (hit)
                return r->accepts;
        }
    }
    return 0;
}

/* JSON first, then protobuf, as every Mesos handler asks. */
static enum media_codec codec_pick(const struct media_accept *a)
{
    if (media_accepts(a, MEDIA_TYPE_JSON))
        return MEDIA_CODEC_JSON;
    if (media_accepts(a, MEDIA_TYPE_PROTOBUF))
        return MEDIA_CODEC_PROTOBUF;
    return MEDIA_CODEC_NONE;
}

enum media_codec media_negotiate(const char *accept_value)
{
    struct media_accept a;
    /* A value over the limits is answered as one that accepts nothing: 406. */
    if (media_accept_parse(accept_value, &a, NULL) != 0)
        return MEDIA_CODEC_NONE;
    return codec_pick(&a);
}

static int stream_refuse(struct media_stream_choice *out, const char *text)
{
    out->codec = MEDIA_CODEC_NONE;
    out->recordio = 0;
    out->content_type = NULL;
    out->message_content_type = NULL;
    out->refusal = text;
    return MC_EUNSUPPORTED;
}

int media_negotiate_stream(const char *accept, const char *message_accept, int recordio_allowed,
                           struct media_stream_choice *out)
{
    MC_ASSERT(out != NULL);
    memset(out, 0, sizeof(*out));
    struct media_accept a;
    /* A value over the limits leaves a accepting nothing: 406, as above. */
    enum media_codec codec = MEDIA_CODEC_NONE;
    if (media_accept_parse(accept, &a, NULL) == 0)
        codec = codec_pick(&a);
    if (codec != MEDIA_CODEC_NONE) {
        /* The agent refuses Message-Accept on a response that is not RecordIO. */
        if (recordio_allowed && message_accept != NULL)
            return stream_refuse(out, MEDIA_REFUSAL_MESSAGE_ACCEPT_SET);
        out->codec = codec;
        out->content_type = media_codec_type(codec);
        return 0;
    }
    if (!recordio_allowed)
        return stream_refuse(out, MEDIA_REFUSAL_MASTER);
    if (!media_accepts(&a, MEDIA_TYPE_RECORDIO))
        return stream_refuse(out, MEDIA_REFUSAL_AGENT);
    if (media_accept_parse(message_accept, &a, NULL) == 0)
        codec = codec_pick(&a);
    if (codec == MEDIA_CODEC_NONE)
        return stream_refuse(out, MEDIA_REFUSAL_MESSAGE_ACCEPT);
    out->codec = codec;
    out->recordio = 1;
    out->content_type = MEDIA_TYPE_RECORDIO;
    out->message_content_type = media_codec_type(codec);
    MC_ASSERT(out->refusal == NULL);
    return 0;
}
