/*
 * msgstream.c: RecordIO streams of messages (msgstream.h).
 */
#include "msgstream.h"

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
