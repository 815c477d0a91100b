/*
 * msgstream.h: an event stream as its readers see it, a RecordIO stream
 * (recordio.h) whose every record is one message of a known type, encoded
 * in the stream's codec (JSON or protobuf, pbjson.h). The reference agent
 * reads the master's internal events this way and the simulator's
 * synthetic frameworks read scheduler events.
 */
#ifndef MC_MSGSTREAM_H
#define MC_MSGSTREAM_H

#include <protobuf-c/protobuf-c.h>

#include "mc_diag.h"
#include "mc_err.h"
#include "media.h"
#include "recordio.h"

/*
 * Called with each message decoded (borrowed, freed after the call).
 * Returns 0 to go on, or anything else to stop reading at once (the
 * reader's state changed: its stream was replaced, it hung up).
 */
typedef int (*msgstream_fn)(void *ctx, const ProtobufCMessage *msg);

/*
 * Feeds bytes to d and calls fn for every message completed, in order.
 * Returns 0 when every byte was used, fn's value when it stopped (the rest
 * of the bytes is not read), or a negative code with diag (may be NULL):
 * a framing error of d (sticky), or MC_EPARSE for a record that is not a
 * desc in codec. Messages are allocated through pb_alloc.
 */
int msgstream_feed(struct rio_decoder *d, const uint8_t *bytes, size_t len,
                   const ProtobufCMessageDescriptor *desc, enum media_codec codec,
                   ProtobufCAllocator *pb_alloc, msgstream_fn fn, void *ctx,
                   struct mc_diag *diag) MC_MUST_USE;

/*
 * 1 when a record (one event, in codec) is an event of the given type:
 * for JSON its "type" is name, for protobuf its field 1 (every API's
 * Event.type) is number. The protobuf record is scanned, not unpacked, so
 * any Event type of any API can be asked about; a record that does not
 * parse is not one.
 */
int msgstream_record_is_event(const uint8_t *data, size_t len, enum media_codec codec,
                              const char *name, uint64_t number);

#endif
