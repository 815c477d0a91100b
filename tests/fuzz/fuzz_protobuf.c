/*
 * fuzz_protobuf.c: protobuf bytes -> our message types under arbitrary
 * input, as a master reads a protobuf body or a client a protobuf stream.
 *
 * The first byte picks the message type among the ones that cross the wire
 * (scheduler and executor Call and Event, operator Call, Response and
 * Event); the rest is unpacked as that type. An unpack either fails cleanly
 * or gives a message that packs, unpacks again to the same bytes, and
 * converts to JSON and back to the same bytes (a fixed point once defaults
 * are written out). And pbjson_unpack, which decodes the bytes itself, must
 * end as protobuf-c's unpacker followed by C++'s rules does
 * (pbjson_unpack_protobuf_c): the same error and text, or messages that
 * pack to the same bytes and encode to the same JSON.
 */
#include <stdint.h>
#include <string.h>

#include "mc_assert.h"
#include "mc_buf.h"
#include "mc_limits.h"
#include "pbjson.h"
#include "registry.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const wire_types[] = {
    "mesos.v1.scheduler.Call",   "mesos.v1.scheduler.Event", "mesos.v1.executor.Call",
    "mesos.v1.executor.Event",   "mesos.v1.master.Call",     "mesos.v1.master.Response",
    "mesos.v1.master.Event",     "mesos.v1.agent.Call",
};
#define WIRE_TYPES_COUNT (sizeof(wire_types) / sizeof(wire_types[0]))

static void pack(const ProtobufCMessage *m, struct mc_buf *out)
{
    mc_buf_init(out, 4 * MC_PBJSON_INPUT_BYTES_MAX, NULL);
    int rc = pbjson_pack(m, out);
    MC_ASSERT(rc == 0);
}

static ProtobufCMessage *unpack(const ProtobufCMessageDescriptor *desc, const struct mc_buf *b)
{
    ProtobufCMessage *m = NULL;
    int rc = pbjson_unpack(desc, b->data ? b->data : (const uint8_t *)"", b->len, NULL, &m, NULL);
    MC_ASSERT(rc == 0 && m != NULL);
    return m;
}

static void assert_same_bytes(const struct mc_buf *a, const struct mc_buf *b)
{
    MC_ASSERT(a->len == b->len);
    MC_ASSERT(a->len == 0 || memcmp(a->data, b->data, a->len) == 0);
}

/* message -> JSON -> message -> JSON must be stable after the first pass. */
static void check_json(const ProtobufCMessageDescriptor *desc, const ProtobufCMessage *m)
{
    struct mc_buf j1, j2;
    mc_buf_init(&j1, 16 * MC_PBJSON_INPUT_BYTES_MAX, NULL);
    mc_buf_init(&j2, 16 * MC_PBJSON_INPUT_BYTES_MAX, NULL);
    if (pbjson_encode(m, &j1) == 0) {
        ProtobufCMessage *back = NULL;
        struct pbjson_error err;
        int rc = pbjson_decode(desc, mc_buf_str(&j1), j1.len, NULL, &back, &err);
        /* A string holding NUL cannot travel through JSON into protobuf-c, and
         * a NaN is written as "NaN", which no JSON reader takes back (pbjson.h). */
        MC_ASSERT(rc == 0 || rc == MC_EUNSUPPORTED || rc == MC_ELIMIT ||
                  (rc == MC_EPARSE && strstr(mc_buf_str(&j1), "\"NaN\"") != NULL));
        if (rc == 0) {
            MC_ASSERT(pbjson_encode(back, &j2) == 0);
            MC_ASSERT(j1.len == j2.len && memcmp(j1.data, j2.data, j1.len) == 0);
            protobuf_c_message_free_unpacked(back, NULL);
        }
    }
    mc_buf_deinit(&j1);
    mc_buf_deinit(&j2);
}

/* JSON text of m, or its encoder's error code as text. */
static void encode(const ProtobufCMessage *m, struct mc_buf *out)
{
    mc_buf_init(out, 16 * MC_PBJSON_INPUT_BYTES_MAX, NULL);
    int rc = pbjson_encode(m, out);
    if (rc != 0) {
        mc_buf_reset(out);
        MC_ASSERT(mc_buf_appendf(out, "error %d", rc) == 0);
    }
}

/* pbjson_unpack's outcome (rc, diag, m) against protobuf-c's on the same bytes. */
static void check_like_protobuf_c(const ProtobufCMessageDescriptor *desc, const uint8_t *data,
                                  size_t size, int rc, const struct mc_diag *diag,
                                  const ProtobufCMessage *m)
{
    /* Past MC_PBJSON_NESTING_MAX protobuf-c recurses as deep as the bytes go (ContainerID
     * nests), which could overflow the stack: only pbjson_unpack is asked there. */
    if (rc == MC_ELIMIT)
        return;
    ProtobufCMessage *ref = NULL;
    struct mc_diag dref;
    int rc_ref = pbjson_unpack_protobuf_c(desc, data, size, NULL, &ref, &dref);
    MC_ASSERT(rc == rc_ref);
    MC_ASSERT(strcmp(diag->text, dref.text) == 0);
    if (rc == 0) {
        struct mc_buf b1, b2, j1, j2;
        pack(m, &b1);
        pack(ref, &b2);
        assert_same_bytes(&b1, &b2);
        encode(m, &j1);
        encode(ref, &j2);
        assert_same_bytes(&j1, &j2);
        mc_buf_deinit(&b1);
        mc_buf_deinit(&b2);
        mc_buf_deinit(&j1);
        mc_buf_deinit(&j2);
    }
    protobuf_c_message_free_unpacked(ref, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    const ProtobufCMessageDescriptor *desc = proto_registry_find(wire_types[data[0] % WIRE_TYPES_COUNT]);
    MC_ASSERT(desc != NULL);
    ProtobufCMessage *m = NULL;
    struct mc_diag diag;
    int rc = pbjson_unpack(desc, data + 1, size - 1, NULL, &m, &diag);
    check_like_protobuf_c(desc, data + 1, size - 1, rc, &diag, m);
    if (rc != 0) {
        MC_ASSERT(m == NULL);
        return 0;
    }
    struct mc_buf b1, b2;
    pack(m, &b1);
    ProtobufCMessage *again = unpack(desc, &b1);
    pack(again, &b2);
    assert_same_bytes(&b1, &b2);
    check_json(desc, again);
    protobuf_c_message_free_unpacked(again, NULL);
    protobuf_c_message_free_unpacked(m, NULL);
    mc_buf_deinit(&b1);
    mc_buf_deinit(&b2);
    return 0;
}
