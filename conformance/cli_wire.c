/*
 * cli_wire.c: `convert` and `decode`, the wire layer on the command line.
 *
 * convert reads one whole message from stdin and writes it in the other
 * encoding (or re-encodes it canonically in the same one). decode reads a
 * RecordIO stream from stdin as it arrives (e.g. from `curl -N`) and prints
 * each record as one line of JSON as soon as it is complete. Either way a
 * bad input stops with one line on stderr naming what and where, and exit
 * status 2; convert prints nothing at all then, decode nothing after the
 * last good record.
 */
#include "cli_wire.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "mc_buf.h"
#include "mc_diag.h"
#include "mc_limits.h"
#include "pbjson.h"
#include "recordio.h"
#include "registry.h"

enum wire_codec { WIRE_JSON, WIRE_PROTOBUF };

#define DECODE_DEFAULT_TYPE "mesos.v1.scheduler.Event"
#define STDIN_CHUNK_BYTES 65536

static const char convert_usage[] =
    "usage: mesos-conform convert --type NAME --from json|protobuf --to json|protobuf\n"
    "  Reads one message of type NAME (e.g. mesos.v1.scheduler.Call) from stdin\n"
    "  and writes it to stdout in the other encoding. JSON follows Mesos' rules.\n";

static const char decode_usage[] =
    "usage: mesos-conform decode [--type NAME] [--codec json|protobuf]\n"
    "  Reads a RecordIO stream (e.g. captured with curl -N) from stdin and prints\n"
    "  each record as one line of JSON. NAME defaults to " DECODE_DEFAULT_TYPE ",\n"
    "  the codec to json.\n";

static int fail(const char *cmd, const char *fmt, const char *a, const char *b)
{
    fprintf(stderr, "mesos-conform %s: ", cmd);
    fprintf(stderr, fmt, a, b);
    fputc('\n', stderr);
    return CLI_EXIT_USAGE;
}

static int codec_parse(const char *text, enum wire_codec *out)
{
    if (text != NULL && strcmp(text, "json") == 0)
        *out = WIRE_JSON;
    else if (text != NULL && strcmp(text, "protobuf") == 0)
        *out = WIRE_PROTOBUF;
    else
        return MC_EINVAL;
    return 0;
}

static const ProtobufCMessageDescriptor *type_find(const char *cmd, const char *name)
{
    const ProtobufCMessageDescriptor *desc = name ? proto_registry_find(name) : NULL;
    if (desc == NULL)
        fail(cmd, "unknown message type '%s' (give a full name like %s)", name ? name : "",
             "mesos.v1.scheduler.Call");
    return desc;
}

/* Reads all of stdin into in, up to MC_INPUT_BYTES_MAX. */
static int stdin_read_all(struct mc_buf *in)
{
    uint8_t chunk[STDIN_CHUNK_BYTES];
    for (;;) {
        ssize_t n = read(STDIN_FILENO, chunk, sizeof(chunk));
        if (n == 0)
            return 0;
        if (n < 0)
            return MC_EIO;
        int err = mc_buf_append(in, chunk, (size_t)n);
        if (err != 0)
            return err;
    }
}

/*
 * Appends to an error text. The text's buffer is generous; if it is full
 * anyway the message is cut, which is acceptable for a message.
 */
static void text_add(struct mc_buf *text, const char *fmt, const char *a, unsigned long long n)
{
    if (mc_buf_appendf(text, fmt, a, n) != 0)
        return;
}

/* Decodes one message from bytes in codec; on failure fills text. */
static int message_decode(const ProtobufCMessageDescriptor *desc, enum wire_codec codec,
                          const uint8_t *data, size_t len, ProtobufCMessage **out,
                          struct mc_buf *text)
{
    if (codec == WIRE_PROTOBUF) {
        struct mc_diag diag;
        mc_diag_clear(&diag);
        int err = pbjson_unpack(desc, data, len, NULL, out, &diag);
        if (err != 0)
        {
            text_add(text, "not a valid %s protobuf: ", desc->name, 0);
            text_add(text, "%s", diag.text, 0);
        }
        return err;
    }
    struct pbjson_error perr;
    int err = pbjson_decode(desc, (const char *)data, len, NULL, out, &perr);
    if (err == 0)
        return 0;
    if (perr.diag.has_offset)
        text_add(text, "%sbyte %llu: ", "", (unsigned long long)perr.diag.offset);
    if (perr.path[0] != '\0')
        text_add(text, "field %s: ", perr.path, 0);
    if (pbjson_error_text_append(&perr, (const char *)data, len, text) != 0)
        text_add(text, "%s", perr.mesos_text, 0);
    return err;
}

static int message_encode(const ProtobufCMessage *msg, enum wire_codec codec, struct mc_buf *out)
{
    return codec == WIRE_PROTOBUF ? pbjson_pack(msg, out) : pbjson_encode(msg, out);
}

struct convert_args {
    const char *type;
    const char *from;
    const char *to;
};

static int convert_args_parse(int argc, char **argv, struct convert_args *a)
{
    for (int i = 1; i < argc; i++) {
        const char **slot = NULL;
        const char *value = NULL;
        if (cli_flag_value(argc, argv, &i, "--type", &value))
            slot = &a->type;
        else if (cli_flag_value(argc, argv, &i, "--from", &value))
            slot = &a->from;
        else if (cli_flag_value(argc, argv, &i, "--to", &value))
            slot = &a->to;
        else if (strcmp(argv[i], "--help") == 0) {
            fputs(convert_usage, stdout);
            return 1;
        } else
            return fail("convert", "unknown argument '%s'%s", argv[i], "");
        if (value == NULL)
            return fail("convert", "%s needs a value%s", argv[i], "");
        *slot = value;
    }
    return 0;
}

int cli_convert(int argc, char **argv)
{
    struct convert_args a = {NULL, NULL, NULL};
    int r = convert_args_parse(argc, argv, &a);
    if (r == 1)
        return CLI_EXIT_OK;
    if (r != 0)
        return r;
    enum wire_codec from, to;
    if (a.type == NULL || codec_parse(a.from, &from) != 0 || codec_parse(a.to, &to) != 0) {
        fputs(convert_usage, stderr);
        return CLI_EXIT_USAGE;
    }
    const ProtobufCMessageDescriptor *desc = type_find("convert", a.type);
    if (desc == NULL)
        return CLI_EXIT_USAGE;

    struct mc_buf in, out, text;
    mc_buf_init(&in, MC_INPUT_BYTES_MAX, NULL);
    mc_buf_init(&out, MC_INPUT_BYTES_MAX, NULL);
    mc_buf_init(&text, MC_DIAG_TEXT_BYTES_MAX * 4, NULL);
    ProtobufCMessage *msg = NULL;
    int status = CLI_EXIT_USAGE;
    int err = stdin_read_all(&in);
    if (err != 0)
        fail("convert", "stdin: %s%s", err == MC_ELIMIT ? "input larger than the limit"
                                                        : mc_strerror(err), "");
    else if (message_decode(desc, from, in.data ? in.data : (const uint8_t *)"", in.len, &msg,
                            &text) != 0)
        fail("convert", "stdin: %s%s", mc_buf_str(&text), "");
    else if ((err = message_encode(msg, to, &out)) != 0)
        fail("convert", "cannot encode %s: %s", desc->name, mc_strerror(err));
    else if (to == WIRE_JSON && mc_buf_append_byte(&out, '\n') != 0)
        fail("convert", "output larger than the limit%s%s", "", "");
    else if (cli_write_all(stdout, out.data, out.len) != 0)
        fail("convert", "cannot write to stdout%s%s", "", "");
    else
        status = CLI_EXIT_OK;
    if (msg != NULL)
        protobuf_c_message_free_unpacked(msg, NULL);
    mc_buf_deinit(&in);
    mc_buf_deinit(&out);
    mc_buf_deinit(&text);
    return status;
}

struct decode_state {
    const ProtobufCMessageDescriptor *desc;
    enum wire_codec codec;
    struct rio_decoder rio;
    struct mc_buf line;
    struct mc_buf text;
    uint64_t records;
};

/* Prints one record as a JSON line; on failure reports it and returns 2. */
static int decode_record(struct decode_state *s, const struct rio_record *rec,
                         uint64_t record_end_offset)
{
    ProtobufCMessage *msg = NULL;
    s->records++;
    mc_buf_reset(&s->line);
    mc_buf_reset(&s->text);
    if (message_decode(s->desc, s->codec, rec->data, rec->bytes, &msg, &s->text) != 0) {
        fprintf(stderr, "mesos-conform decode: stdin: record %llu (ending at byte %llu): %s\n",
                (unsigned long long)s->records, (unsigned long long)record_end_offset,
                mc_buf_str(&s->text));
        return CLI_EXIT_USAGE;
    }
    int err = pbjson_encode(msg, &s->line);
    protobuf_c_message_free_unpacked(msg, NULL);
    if (err == 0)
        err = mc_buf_append_byte(&s->line, '\n');
    if (err != 0) {
        fprintf(stderr, "mesos-conform decode: record %llu: cannot encode as JSON: %s\n",
                (unsigned long long)s->records, mc_strerror(err));
        return CLI_EXIT_USAGE;
    }
    if (cli_write_all(stdout, s->line.data, s->line.len) != 0) {
        fprintf(stderr, "mesos-conform decode: cannot write to stdout\n");
        return CLI_EXIT_USAGE;
    }
    return CLI_EXIT_OK;
}

/* Feeds one chunk of stdin to the decoder, printing every record it completes. */
static int decode_chunk(struct decode_state *s, const uint8_t *data, size_t len)
{
    while (len > 0) {
        size_t used = 0;
        struct rio_record rec;
        struct mc_diag diag;
        mc_diag_clear(&diag);
        int r = rio_decoder_feed(&s->rio, data, len, &used, &rec, &diag);
        if (r < 0) {
            fprintf(stderr, "mesos-conform decode: stdin: byte %llu: %s\n",
                    (unsigned long long)diag.offset, diag.text);
            return CLI_EXIT_USAGE;
        }
        data += used;
        len -= used;
        if (r == 1 && decode_record(s, &rec, rio_decoder_offset(&s->rio)) != 0)
            return CLI_EXIT_USAGE;
    }
    return CLI_EXIT_OK;
}

static int decode_stream(struct decode_state *s)
{
    uint8_t chunk[STDIN_CHUNK_BYTES];
    for (;;) {
        ssize_t n = read(STDIN_FILENO, chunk, sizeof(chunk));
        if (n < 0) {
            fprintf(stderr, "mesos-conform decode: cannot read stdin\n");
            return CLI_EXIT_USAGE;
        }
        if (n == 0)
            break;
        int status = decode_chunk(s, chunk, (size_t)n);
        if (status != CLI_EXIT_OK)
            return status;
    }
    struct mc_diag diag;
    mc_diag_clear(&diag);
    if (rio_decoder_finish(&s->rio, &diag) != 0) {
        fprintf(stderr, "mesos-conform decode: stdin: byte %llu: %s\n",
                (unsigned long long)diag.offset, diag.text);
        return CLI_EXIT_USAGE;
    }
    return CLI_EXIT_OK;
}

int cli_decode(int argc, char **argv)
{
    const char *type = DECODE_DEFAULT_TYPE, *codec = "json";
    for (int i = 1; i < argc; i++) {
        const char *value = NULL;
        const char **slot;
        if (cli_flag_value(argc, argv, &i, "--type", &value))
            slot = &type;
        else if (cli_flag_value(argc, argv, &i, "--codec", &value))
            slot = &codec;
        else if (strcmp(argv[i], "--help") == 0) {
            fputs(decode_usage, stdout);
            return CLI_EXIT_OK;
        } else
            return fail("decode", "unknown argument '%s'%s", argv[i], "");
        if (value == NULL)
            return fail("decode", "%s needs a value%s", argv[i], "");
        *slot = value;
    }
    struct decode_state s;
    memset(&s, 0, sizeof(s));
    if (codec_parse(codec, &s.codec) != 0)
        return fail("decode", "--codec must be json or protobuf, not '%s'%s", codec, "");
    s.desc = type_find("decode", type);
    if (s.desc == NULL)
        return CLI_EXIT_USAGE;
    rio_decoder_init(&s.rio, MC_RECORD_BYTES_MAX, NULL);
    mc_buf_init(&s.line, MC_INPUT_BYTES_MAX, NULL);
    mc_buf_init(&s.text, MC_DIAG_TEXT_BYTES_MAX * 4, NULL);
    int status = decode_stream(&s);
    rio_decoder_deinit(&s.rio);
    mc_buf_deinit(&s.line);
    mc_buf_deinit(&s.text);
    return status;
}
