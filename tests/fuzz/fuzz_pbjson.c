/*
 * fuzz_pbjson.c: JSON -> protobuf under arbitrary input, as a master reads
 * a scheduler Call body (mesos.v1.scheduler.Call).
 *
 * A decode either fails with a reason (a kind, a non-empty Mesos text that
 * pbjson_error_text_append rebuilds whole, nothing allocated), or gives a
 * message. A message's encoding must decode again, and that second message
 * must be a fixed point: its encoding is the same text, and it survives
 * message -> protobuf -> message and message -> jansson -> message. (The
 * first message need not equal the second: an unset optional field with a
 * declared default is written with its default and reads back as set, as
 * in Mesos.) The only encoding failure allowed is the nesting limit, which
 * a repeated field given as one object can reach on the way out.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mc_assert.h"
#include "mc_buf.h"
#include "mc_limits.h"
#include "pbjson.h"
#include "registry.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_failure(int rc, const struct pbjson_error *err, const uint8_t *data,
                          size_t size)
{
    MC_ASSERT(rc == MC_EPARSE || rc == MC_EUNSUPPORTED || rc == MC_ELIMIT);
    MC_ASSERT(rc != MC_EPARSE ||
              err->kind == PBJSON_ERR_SYNTAX || err->kind == PBJSON_ERR_CONVERT);
    MC_ASSERT(err->mesos_text_bytes > 0 && err->diag.text[0] != '\0');
    struct mc_buf whole;
    mc_buf_init(&whole, size + MC_PBJSON_MESOS_TEXT_BYTES_MAX, NULL);
    int append = pbjson_error_text_append(err, (const char *)data, size, &whole);
    MC_ASSERT(append == 0);
    MC_ASSERT(whole.len >= err->mesos_text_bytes);
    MC_ASSERT(memcmp(mc_buf_str(&whole), err->mesos_text, err->mesos_text_bytes) == 0);
    MC_ASSERT(err->mesos_text_truncated || whole.len == err->mesos_text_bytes);
    mc_buf_deinit(&whole);
}

/* Appends the protobuf bytes of m; packing a decoded message cannot fail. */
static void pack(const ProtobufCMessage *m, struct mc_buf *out)
{
    mc_buf_init(out, 2 * MC_PBJSON_INPUT_BYTES_MAX, NULL);
    int rc = pbjson_pack(m, out);
    MC_ASSERT(rc == 0);
}

static void assert_same(const ProtobufCMessage *a, const ProtobufCMessage *b)
{
    struct mc_buf pa, pb;
    pack(a, &pa);
    pack(b, &pb);
    MC_ASSERT(pa.len == pb.len && memcmp(mc_buf_str(&pa), mc_buf_str(&pb), pa.len) == 0);
    mc_buf_deinit(&pa);
    mc_buf_deinit(&pb);
}

/* The fixed point: protobuf and jansson round trips give it back unchanged. */
static void check_fixed_point(const ProtobufCMessage *m)
{
    struct mc_buf packed;
    pack(m, &packed);
    ProtobufCMessage *back = NULL;
    struct mc_diag diag;
    int rc = pbjson_unpack(m->descriptor, (const uint8_t *)mc_buf_str(&packed), packed.len, NULL,
                           &back, &diag);
    MC_ASSERT(rc == 0);
    assert_same(m, back);
    protobuf_c_message_free_unpacked(back, NULL);
    mc_buf_deinit(&packed);
    json_t *j = pbjson_to_json(m);
    MC_ASSERT(j != NULL);
    struct pbjson_error err;
    rc = pbjson_from_json(m->descriptor, j, NULL, &back, &err);
    MC_ASSERT(rc == 0);
    assert_same(m, back);
    protobuf_c_message_free_unpacked(back, NULL);
    json_decref(j);
}

static void check_message(const ProtobufCMessage *m)
{
    struct mc_buf text1, text2;
    mc_buf_init(&text1, 4 * MC_PBJSON_INPUT_BYTES_MAX, NULL);
    mc_buf_init(&text2, 4 * MC_PBJSON_INPUT_BYTES_MAX, NULL);
    int rc = pbjson_encode(m, &text1);
    MC_ASSERT(rc == 0 || (rc == MC_ELIMIT && text1.len == 0));
    if (rc == 0) {
        ProtobufCMessage *m2 = NULL;
        struct pbjson_error err;
        rc = pbjson_decode(m->descriptor, mc_buf_str(&text1), text1.len, NULL, &m2, &err);
        MC_ASSERT(rc == 0);
        rc = pbjson_encode(m2, &text2);
        MC_ASSERT(rc == 0);
        MC_ASSERT(text1.len == text2.len &&
                  memcmp(mc_buf_str(&text1), mc_buf_str(&text2), text1.len) == 0);
        check_fixed_point(m2);
        protobuf_c_message_free_unpacked(m2, NULL);
    }
    mc_buf_deinit(&text1);
    mc_buf_deinit(&text2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const ProtobufCMessageDescriptor *call = proto_registry_find("mesos.v1.scheduler.Call");
    MC_ASSERT(call != NULL);
    struct pbjson_error err;
    ProtobufCMessage *m = NULL;
    int rc = pbjson_decode(call, (const char *)data, size, NULL, &m, &err);
    if (rc != 0) {
        MC_ASSERT(m == NULL);
        check_failure(rc, &err, data, size);
        return 0;
    }
    check_message(m);
    protobuf_c_message_free_unpacked(m, NULL);
    return 0;
}
