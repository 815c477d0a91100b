/*
 * pbjson.h: JSON <-> protobuf for any protobuf-c message, by Mesos' rules.
 *
 * Mesos turns a JSON request body into a protobuf message in two steps:
 * stout's JSON::parse (picojson underneath) builds a JSON value, then
 * stout's protobuf::parse maps that value onto the message by reflection;
 * answers go the other way through stout's JSON::protobuf (rapidjson
 * underneath). This module does the same from the protobuf-c descriptors
 * alone, with no per-message code, and reproduces the texts Mesos answers
 * with (SPEC W7, W8):
 *
 * JSON -> message
 *  - The top level must be an object ("Expecting a JSON object"). Field
 *    names are exactly those of the .proto; unknown names are ignored; a
 *    `null` value leaves the field unset. A name given twice counts once,
 *    with its last value (stout keeps objects in a std::map), and fields are
 *    converted in byte order of their names, which decides which error is
 *    reported when there are several.
 *  - Enums by name only. An unknown name is dropped for an optional or
 *    repeated field and is "Failed to find enum for 'X'" for a required one.
 *  - A value of the wrong JSON type is "Not expecting a JSON <type> for
 *    field '<name>'" (string, number, object, array or boolean).
 *  - Numeric and bool fields also take strings, parsed again as JSON:
 *    "Failed to parse '<s>' as a JSON number for field '<name>': <why>";
 *    float and double take "Infinity" and "-Infinity". Numbers convert as
 *    C++'s static_cast does (integers wrap; a fraction is truncated). A
 *    floating value out of an integer field's range gives what a Mesos
 *    master built by gcc for x86-64 computes (cvttsd2si: the "integer
 *    indefinite" value), which keeps every input deterministic.
 *  - bytes are base64, decoded as leniently as stout (whitespace skipped,
 *    decoding stops at the first '=', a short final group is dropped); a
 *    character outside the alphabet is "Failed to base64 decode bytes field
 *    '<name>': Invalid character '<c>'".
 *  - A repeated field takes an array, or a single value as a one-element
 *    array; nested arrays are flattened and null elements skipped. A map
 *    field takes an object (or an array of objects); a repeated key keeps
 *    its first place and takes the last value.
 *  - Setting one member of a oneof clears the member set before it.
 *  - After the conversion, every required field left unset is listed as
 *    protobuf's InitializationErrorString does: "Missing required fields:
 *    a.b, c[1].d" (a message's own fields first, then its sub-messages, in
 *    field-number order, repeated elements with their index).
 *
 * JSON text -> JSON value: picojson's grammar and errors, reproduced here by
 * our own small parser rather than by jansson, because Mesos' exact answer
 * depends on where picojson stops: "syntax error at line N near: <the rest
 * of that line>", "Value out of range" (a number that overflows a double),
 * and "Parsed JSON included non-whitespace trailing characters: <rest>".
 * The parser accepts what picojson accepts (e.g. "01", "1.", "-.5", raw
 * control bytes above 0x1f and any byte >= 0x80 in strings) and allows
 * nesting up to MC_PBJSON_NESTING_MAX (stout's limit, 200) levels.
 *
 * Message -> JSON (stout JSON::protobuf): compact, fields in field-number
 * order (stout uses declaration order, which protobuf-c does not keep; JSON
 * objects are unordered). Set fields are written, and so are unset optional
 * fields that declare a [default = ...] (not deprecated), with that default
 * (so such a field reads back as set, in Mesos as here); empty repeated
 * fields are left out. A map is an object of its entries in the order the
 * message holds them (decoding holds them in key order); an entry's unset
 * value is written as its default. Strings are escaped as rapidjson does
 * (quote, backslash, control bytes; other bytes as they are). Numbers are
 * JSON numbers, 64-bit integers included. Doubles, and floats widened to
 * double, are written digit for digit as rapidjson writes them (Grisu2 and
 * its layout: "15.0", "0.1", "1e21", "1.5e-7", and 0.1 + 0.2 as
 * "0.30000000000000007"), which always reads back to the same value.
 * Infinities are the strings "Infinity" and "-Infinity", as Mesos' patched
 * rapidjson writes them and as decoding takes them. NaN is the string "NaN"
 * where Mesos writes a bare NaN token that no JSON parser accepts; neither
 * reads back. An enum value that has no name (protobuf-c keeps unknown
 * values when unpacking, C++ does not) is treated as unset.
 *
 * Deliberate differences from Mesos, each because protobuf-c or C cannot
 * hold what C++ holds, or because Mesos' result is undefined:
 *  - A uint64/fixed64 field given an integer above INT64_MAX (as a number
 *    or a string) keeps it exactly; Mesos goes through a double, losing the
 *    low bits, and gets 0 for values that round to 2^64. Every other field
 *    type gets the value Mesos gets.
 *  - A string field whose value contains a NUL character (from \u0000) is
 *    PBJSON_ERR_UNSUPPORTED, since a protobuf-c string ends at its first
 *    NUL; it is reported only when Mesos would have accepted the input, so
 *    that every error Mesos gives comes first, as Mesos gives it.
 *  - Map fields are recognised by the shape protoc gives their entries (a
 *    nested message "<FieldName>Entry" with fields key = 1 and value = 2).
 *
 * Memory: messages are built through the caller's ProtobufCAllocator laid
 * out exactly as protobuf_c_message_unpack lays them out, so the caller
 * frees them with protobuf_c_message_free_unpacked(msg, alloc). The parsed
 * JSON lives in an arena (a first chunk on the stack, the rest taken from
 * the same allocator) freed before the call returns. Packing uses up to
 * 32 KiB of stack. Nothing is global; every function is reentrant.
 */
#ifndef PBJSON_H
#define PBJSON_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <protobuf-c/protobuf-c.h>

#include "mc_alloc.h"
#include "mc_buf.h"
#include "mc_diag.h"
#include "mc_err.h"
#include "mc_limits.h"

/* What kind of failure a decode reports; decides Mesos' answer (W8). */
enum pbjson_err_kind {
    PBJSON_ERR_NONE = 0,
    /* Not JSON: Mesos answers 400 "Failed to parse body into JSON: <text>". */
    PBJSON_ERR_SYNTAX,
    /* JSON that does not map onto the message: Mesos answers 400
     * "Failed to convert JSON into <Call> protobuf: <text>". */
    PBJSON_ERR_CONVERT,
    /* Input Mesos would take but a protobuf-c message cannot hold. */
    PBJSON_ERR_UNSUPPORTED,
    /* Input over MC_PBJSON_INPUT_BYTES_MAX, or a jansson tree nested
     * deeper than MC_PBJSON_NESTING_MAX. */
    PBJSON_ERR_LIMIT,
    /* The allocator failed. */
    PBJSON_ERR_NOMEM,
};

/*
 * The details of a failed decode. mesos_text is the reason exactly as
 * Mesos words it (without the "Failed to ..." prefix the master adds) for
 * PBJSON_ERR_SYNTAX and PBJSON_ERR_CONVERT, and our own words for the other
 * kinds, which Mesos never gives. It is NUL-terminated but may also hold
 * NUL bytes where Mesos' text does (a NUL character quoted from the input),
 * so mesos_text_bytes is its length. A text longer than the buffer is cut
 * and mesos_text_truncated set; pbjson_error_text_append rebuilds the whole
 * text of a syntax error (other texts that long, such as a list of
 * hundreds of missing fields, stay cut). path is the dotted path of the
 * offending field ("subscribe.framework_info.user", "tasks[2].task_id"),
 * "" when none. diag carries our own one-line text (path included) and,
 * for input given as text, the byte offset, line and column of the
 * offending value or character.
 */
struct pbjson_error {
    int kind; /* enum pbjson_err_kind */
    char mesos_text[MC_PBJSON_MESOS_TEXT_BYTES_MAX];
    size_t mesos_text_bytes;
    int mesos_text_truncated;
    char path[MC_FIELD_PATH_BYTES_MAX];
    struct mc_diag diag;
    /* For PBJSON_ERR_SYNTAX, what the reason quotes from the input, so that
     * pbjson_error_text_append can rebuild it whole: picojson's "near: "
     * text starts at near_offset on line near_line; near_line 0 is stout's
     * "trailing characters" text, quoted from near_offset; near_offset
     * UINT64_MAX quotes nothing ("Value out of range"). */
    uint64_t near_offset;
    uint32_t near_line;
};

/*
 * Fills *pa with a ProtobufCAllocator that allocates through alloc (NULL
 * means the system allocator). alloc is borrowed and must outlive every
 * message allocated through *pa.
 */
void pbjson_allocator_init(ProtobufCAllocator *pa, const struct mc_alloc *alloc);

/*
 * Decodes JSON text (len bytes, need not be NUL-terminated) into a new
 * message of type desc, allocated through alloc (NULL: malloc). On success
 * returns 0 and sets *out; the caller frees it with
 * protobuf_c_message_free_unpacked(*out, alloc). On failure *out is NULL,
 * nothing is left allocated, err (if not NULL) says why, and the result is
 * MC_EPARSE (PBJSON_ERR_SYNTAX or PBJSON_ERR_CONVERT), MC_EUNSUPPORTED,
 * MC_ELIMIT or MC_ENOMEM.
 */
int pbjson_decode(const ProtobufCMessageDescriptor *desc, const char *text, size_t len,
                  ProtobufCAllocator *alloc, ProtobufCMessage **out,
                  struct pbjson_error *err) MC_MUST_USE;

/*
 * As pbjson_decode, from a JSON value already parsed by jansson (borrowed).
 * There is no syntax step and no byte offset. jansson cannot hold integers
 * above INT64_MAX as numbers; give those as strings.
 */
int pbjson_from_json(const ProtobufCMessageDescriptor *desc, const json_t *json,
                     ProtobufCAllocator *alloc, ProtobufCMessage **out,
                     struct pbjson_error *err) MC_MUST_USE;

/*
 * Appends to out the whole reason of err as Mesos words it. For a syntax
 * error it rebuilds picojson's "near: " text from text/len (the input given
 * to pbjson_decode, borrowed), so it is exact even when err->mesos_text was
 * cut; for other kinds it copies err->mesos_text. Returns 0, MC_ENOMEM or
 * MC_ELIMIT (out full); on error out keeps what it had.
 */
int pbjson_error_text_append(const struct pbjson_error *err, const char *text, size_t len,
                             struct mc_buf *out) MC_MUST_USE;

/*
 * Appends msg (borrowed) as compact JSON text to out. A required message or
 * string field left NULL is left out, as stout leaves out unset fields.
 * Returns 0, MC_ENOMEM, or MC_ELIMIT (out full, or JSON nested deeper than
 * MC_PBJSON_NESTING_MAX, which Mesos could not read back); on error out
 * keeps what it had.
 */
int pbjson_encode(const ProtobufCMessage *msg, struct mc_buf *out) MC_MUST_USE;

/*
 * msg (borrowed) as a new jansson value (a new reference the caller
 * decrefs), with the same content as pbjson_encode. Integers above
 * INT64_MAX become decimal strings and non-finite doubles the strings
 * "Infinity", "-Infinity" and "NaN", since jansson holds neither as a
 * number. Returns NULL when memory runs out or msg cannot be encoded (see
 * pbjson_encode).
 */
json_t *pbjson_to_json(const ProtobufCMessage *msg);

/*
 * Appends the protobuf wire bytes of msg (borrowed) to out. Returns 0,
 * MC_EINVAL (a required field is unset, which protobuf-c cannot pack),
 * MC_ELIMIT or MC_ENOMEM; on error out keeps what it had.
 */
int pbjson_pack(const ProtobufCMessage *msg, struct mc_buf *out) MC_MUST_USE;

/*
 * Unpacks protobuf wire bytes (borrowed) into a new message of type desc
 * allocated through alloc (NULL: malloc); the caller frees it with
 * protobuf_c_message_free_unpacked(*out, alloc). The message is the one
 * protobuf-c's protobuf_c_message_unpack makes, with C++ protobuf's rules
 * applied where the two differ: an enum value its enum does not name is
 * dropped (refused in a required field), a field numbered 0 is refused, a
 * map keeps the last entry of each key, and a map entry must have its value
 * when that value's type has required fields. Returns 0, MC_EPARSE (not a
 * valid message of that type, required fields included; Mesos then answers
 * "Failed to parse body into <Call> protobuf"), MC_ELIMIT (more than
 * MC_PBJSON_INPUT_BYTES_MAX bytes, or messages nested more than
 * MC_PBJSON_NESTING_MAX levels below the top one) or MC_ENOMEM; *out is
 * NULL on error and diag (may be NULL) says why.
 */
int pbjson_unpack(const ProtobufCMessageDescriptor *desc, const uint8_t *data, size_t len,
                  ProtobufCAllocator *alloc, ProtobufCMessage **out,
                  struct mc_diag *diag) MC_MUST_USE;

/*
 * As pbjson_unpack, through protobuf_c_message_unpack followed by a walk of
 * its result for C++'s rules: the slower way pbjson_unpack used to work,
 * kept as the reference the unit tests and the protobuf fuzz target compare
 * it with. It has no nesting limit (protobuf-c recurses as deep as the
 * input goes, and C++'s rules are left unchecked below that limit), and when
 * input is both invalid and short of memory, either error may come first.
 */
int pbjson_unpack_protobuf_c(const ProtobufCMessageDescriptor *desc, const uint8_t *data,
                             size_t len, ProtobufCAllocator *alloc, ProtobufCMessage **out,
                             struct mc_diag *diag) MC_MUST_USE;

#endif
