/*
 * msgstream.c: RecordIO streams of messages (msgstream.h).
 */
#include "msgstream.h"

#include <string.h>

#include <jansson.h>

#include "mc_assert.h"
#include "pbjson.h"

int msgstream_feed(struct rio_decoder *d, const uint8_t *bytes, size_t len,
                   const ProtobufCMessageDescriptor *desc, enum media_codec codec,
                   ProtobufCAllocator *pb_alloc, msgstream_fn fn, void *ctx,
                   struct mc_diag *diag)
{
    MC_ASSERT(d != NULL && desc != NULL && fn != NULL);
    MC_ASSERT(codec == MEDIA_CODEC_JSON || codec == MEDIA_CODEC_PROTOBUF);
    while (len > 0) {
        size_t used = 0;
        struct rio_record rec;
        int r = rio_decoder_feed(d, bytes, len, &used, &rec, diag);
        if (r < 0)
            return r;
        bytes += used;
        len -= used;
        if (r == 0)
            continue;
        ProtobufCMessage *msg = NULL;
        int err = codec == MEDIA_CODEC_JSON
                      ? pbjson_decode(desc, (const char *)rec.data, rec.bytes, pb_alloc, &msg, NULL)
                      : pbjson_unpack(desc, rec.data, rec.bytes, pb_alloc, &msg, NULL);
        if (err != 0) {
            mc_diag_set(diag, "a record that is not a %s", desc->name);
            return err == MC_ENOMEM ? MC_ENOMEM : MC_EPARSE;
        }
        int stop = fn(ctx, msg);
        protobuf_c_message_free_unpacked(msg, pb_alloc);
        if (stop != 0)
            return stop;
    }
    return 0;
}

/* Reads a varint at *pos; 0, or -1 when the bytes end inside it. */
static int varint_read(const uint8_t *data, size_t len, size_t *pos, uint64_t *out)
{
    uint64_t v = 0;
    for (unsigned shift = 0; *pos < len && shift < 64; shift += 7) {
        uint8_t b = data[(*pos)++];
        v |= (uint64_t)(b & 0x7f) << shift;
        if ((b & 0x80) == 0) {
            *out = v;
            return 0;
        }
    }
    return -1;
}

int msgstream_record_is_event(const uint8_t *data, size_t len, enum media_codec codec,
                              const char *name, uint64_t number)
{
    if (codec == MEDIA_CODEC_JSON) {
        json_t *root = json_loadb((const char *)data, len, 0, NULL);
        const char *type = json_string_value(json_object_get(root, "type"));
        int yes = type != NULL && strcmp(type, name) == 0;
        json_decref(root);
        return yes;
    }
    size_t pos = 0;
    while (pos < len) {
        uint64_t key, value;
        if (varint_read(data, len, &pos, &key) != 0)
            return 0;
        switch (key & 7u) {
        case 0: /* varint */
            if (varint_read(data, len, &pos, &value) != 0)
                return 0;
            if ((key >> 3) == 1u)
                return value == number;
            break;
        case 2: /* length-delimited */
            if (varint_read(data, len, &pos, &value) != 0 || value > len - pos)
                return 0;
            pos += (size_t)value;
            break;
        case 1: /* 64-bit */
            pos += 8;
            break;
        case 5: /* 32-bit */
            pos += 4;
            break;
        default:
            return 0;
        }
    }
    return 0;
}
