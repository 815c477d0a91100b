/*
 * media.h: Content-Type and Accept handling of the Mesos v1 HTTP API
 * (SPEC W2, W3, W4, S5, S7, S9).
 *
 * Requests: a body's Content-Type is compared byte for byte with
 * "application/json" and "application/x-protobuf", as Mesos does
 * (src/master/http.cpp `Master::Http::scheduler`): "application/json;
 * charset=utf-8" and "APPLICATION/JSON" are refused (recorded:
 * s.json-charset, s.content-type-uppercase).
 *
 * Responses: the Accept header is read exactly as libprocess reads it
 * (3rdparty/libprocess/src/http.cpp `Request::_acceptsMediaType`):
 *   - no Accept header accepts everything; an empty one accepts nothing;
 *   - spaces, tabs and line feeds are removed from the whole value first;
 *   - entries are separated by ',' and their parts by ';', and empty
 *     entries and parts are skipped (",,application/json" and
 *     ";application/json" both name application/json);
 *   - an entry's first part is its media range, compared with the
 *     candidate ignoring ASCII case;
 *   - for a candidate such as application/json, the entries are searched
 *     for the candidate itself, then for its type's wildcard
 *     ("application/" and a star), then for the full wildcard (a star, '/'
 *     and a star); the first entry found, in header order, decides, and a
 *     later duplicate of it is never looked at;
 *   - that entry refuses the candidate only through its q parameter: every
 *     part of the entry (the media range included) of the form "key=value"
 *     after splitting on '=' and skipping empty pieces is a parameter; the
 *     key "q" is matched case-sensitively ("Q=0" is not a q); no q, or more
 *     than one q, accepts; one q accepts when its value reads as a number
 *     greater than 0 (as boost::lexical_cast<double> reads it: "0.001",
 *     "1e2", "+.5", "inf" accept) and refuses otherwise ("0", "0.0", "-1",
 *     "nan", "abc", "0x1", "1e999");
 *   - so q is never a preference: "application/x-protobuf;q=1,
 *     application/json;q=0.1" still gets JSON.
 * Mesos asks for JSON first and protobuf second (W3); the agent's operator
 * API then also for application/recordio (W4, src/slave/http.cpp).
 */
#ifndef MC_MEDIA_H
#define MC_MEDIA_H

#include <stddef.h>
#include <stdint.h>

#include "mc_diag.h"
#include "mc_err.h"
#include "mc_limits.h"

#define MEDIA_TYPE_JSON "application/json"
#define MEDIA_TYPE_PROTOBUF "application/x-protobuf"
#define MEDIA_TYPE_RECORDIO "application/recordio"

/* The encodings of a message body. */
enum media_codec { MEDIA_CODEC_NONE, MEDIA_CODEC_JSON, MEDIA_CODEC_PROTOBUF };

/*
 * The codec named by a request's Content-Type value, compared exactly;
 * MEDIA_CODEC_NONE for anything else, "" and NULL included. The caller
 * tells a missing header (400, S5) from an unsupported one (415, S7).
 */
enum media_codec media_content_type_codec(const char *value);

/*
 * The media type of a codec, a static string: "application/json" or
 * "application/x-protobuf". codec must not be MEDIA_CODEC_NONE.
 */
const char *media_codec_type(enum media_codec codec);

/* How an Accept entry's q parameter came out (see the top of this file). */
enum media_q {
    MEDIA_Q_ABSENT,       /* no q parameter: accepts */
    MEDIA_Q_REPEATED,     /* more than one q parameter: accepts */
    MEDIA_Q_POSITIVE,     /* a number greater than 0: accepts */
    MEDIA_Q_NOT_POSITIVE, /* a number not greater than 0, or NaN: refuses */
    MEDIA_Q_MALFORMED     /* not a number at all: refuses */
};

/* One entry of an Accept header. */
struct media_range {
    uint32_t type_offset; /* its media range, lower case, in text[] */
    uint32_t type_bytes;
    enum media_q q;
    int accepts; /* 1 when q lets this entry accept its candidates */
};

/*
 * A parsed Accept header. Caller-owned and self-contained (it points into
 * nothing else); about 9 KiB, so it may live on the stack.
 */
struct media_accept {
    int present; /* 0 when the request had no such header */
    size_t ranges_count;
    struct media_range ranges[MC_MEDIA_RANGES_MAX];
    char text[MC_HTTP_HEADER_BYTES_MAX + 1]; /* the value without spaces; ranges lower case */
};

/*
 * Parses an Accept (or Message-Accept) header value into out. value is
 * borrowed; NULL means the header is absent, which accepts everything.
 * Errors, with diag (may be NULL) giving the text and the byte offset in
 * value:
 *   MC_ELIMIT  value longer than MC_HTTP_HEADER_BYTES_MAX bytes, or more
 *              than MC_MEDIA_RANGES_MAX entries (libprocess has no limit;
 *              a header that long is no real client's, and callers answer
 *              it 406 like any Accept they cannot honour).
 * Nothing else is an error: an entry libprocess cannot use is kept and
 * matches nothing, as there. On error out is left as "accepts nothing".
 */
int media_accept_parse(const char *value, struct media_accept *out, struct mc_diag *diag)
    MC_MUST_USE;

/*
 * 1 when accept allows the media type, 0 when not (libprocess
 * `_acceptsMediaType`). type is borrowed; as in libprocess, a type that is
 * not two non-empty pieces around '/' is never accepted, not even when the
 * header is absent.
 */
int media_accepts(const struct media_accept *accept, const char *type);

/*
 * The codec of a response on the master's APIs (and the agent's executor
 * API) for an Accept value (NULL when absent): JSON when application/json
 * is acceptable at all, else protobuf when application/x-protobuf is, else
 * MEDIA_CODEC_NONE, which the caller answers 406 (S9). An Accept value
 * over the limits of media_accept_parse also gives MEDIA_CODEC_NONE.
 */
enum media_codec media_negotiate(const char *accept_value);

/* The 406 texts, exactly as Mesos words them. */
#define MEDIA_REFUSAL_MASTER \
    "Expecting 'Accept' to allow 'application/x-protobuf' or 'application/json'"
#define MEDIA_REFUSAL_AGENT                                                            \
    "Expecting 'Accept' to allow application/json or application/x-protobuf or " \
    "application/recordio"
#define MEDIA_REFUSAL_MESSAGE_ACCEPT \
    "Expecting 'Message-Accept' to allow application/json or application/x-protobuf"
#define MEDIA_REFUSAL_MESSAGE_ACCEPT_SET \
    "Expecting 'Message-Accept' to be not set for non-streaming responses"

/* How a response is to be encoded (media_negotiate_stream). */
struct media_stream_choice {
    enum media_codec codec;           /* the messages' codec; NONE when refused */
    int recordio;                     /* 1: Content-Type application/recordio */
    const char *content_type;         /* the response's Content-Type; NULL when refused */
    const char *message_content_type; /* Message-Content-Type when recordio, else NULL */
    const char *refusal;              /* the 406 text when refused, else NULL */
};

/*
 * Chooses the encoding of a response from the Accept and Message-Accept
 * values (each NULL when absent; both borrowed).
 *
 * recordio_allowed = 0 (the master's scheduler and operator APIs, the
 * agent's executor API): as media_negotiate; Message-Accept is ignored; a
 * stream's Content-Type is the codec's type, RecordIO framing being implied
 * (W4); "Accept: application/recordio" alone is refused (recorded:
 * s.accept-recordio) with MEDIA_REFUSAL_MASTER.
 *
 * recordio_allowed = 1 (the agent's operator API, src/slave/http.cpp
 * `Http::api`): JSON, then protobuf, then application/recordio are tried
 * against Accept, else MEDIA_REFUSAL_AGENT. For recordio the messages'
 * codec is JSON, then protobuf, as Message-Accept allows (absent allows
 * all), else MEDIA_REFUSAL_MESSAGE_ACCEPT. For JSON or protobuf a
 * Message-Accept header, whatever its value, is refused with
 * MEDIA_REFUSAL_MESSAGE_ACCEPT_SET. (Whether the call may stream at all is
 * the caller's check, made later in Mesos.)
 *
 * Returns 0 with the choice in out, or MC_EUNSUPPORTED (answer 406 with
 * out->refusal) with out->codec MEDIA_CODEC_NONE.
 */
int media_negotiate_stream(const char *accept, const char *message_accept, int recordio_allowed,
                           struct media_stream_choice *out) MC_MUST_USE;

#endif
