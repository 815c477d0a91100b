/*
 * test_msgstream.c: RecordIO streams of messages (proto/msgstream.h):
 * every message comes out once and in order however the bytes are cut, in
 * JSON and protobuf; a reader can stop in the middle; a record that is not
 * a message of the type, and bad framing, are errors with a text.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "mc_buf.h"
#include "mesos/v1/scheduler/scheduler.pb-c.h"
#include "msgstream.h"
#include "pbjson.h"
#include "recordio.h"

#define TYPES_MAX 8

struct seen {
    int types[TYPES_MAX];
    int count;
    int stop_after; /* 0: never */
};

static int take(void *ctx, const ProtobufCMessage *msg)
{
    struct seen *s = ctx;
    const Mesos__V1__Scheduler__Event *ev = (const Mesos__V1__Scheduler__Event *)msg;
    assert_true(s->count < TYPES_MAX);
    s->types[s->count++] = ev->type;
    return s->stop_after != 0 && s->count == s->stop_after ? 7 : 0;
}

static const int types[3] = {MESOS__V1__SCHEDULER__EVENT__TYPE__HEARTBEAT,
                             MESOS__V1__SCHEDULER__EVENT__TYPE__ERROR,
                             MESOS__V1__SCHEDULER__EVENT__TYPE__HEARTBEAT};

/* Three events (HEARTBEAT, ERROR "gone", HEARTBEAT) framed in RecordIO. */
static void stream_make(enum media_codec codec, struct mc_buf *out)
{
    for (int i = 0; i < 3; i++) {
        Mesos__V1__Scheduler__Event ev = MESOS__V1__SCHEDULER__EVENT__INIT;
        Mesos__V1__Scheduler__Event__Error err = MESOS__V1__SCHEDULER__EVENT__ERROR__INIT;
        ev.has_type = 1;
        ev.type = types[i];
        if (types[i] == MESOS__V1__SCHEDULER__EVENT__TYPE__ERROR) {
            err.message = "gone";
            ev.error = &err;
        }
        struct mc_buf rec;
        mc_buf_init(&rec, 1 << 16, NULL);
        assert_int_equal(codec == MEDIA_CODEC_JSON ? pbjson_encode(&ev.base, &rec)
                                                   : pbjson_pack(&ev.base, &rec),
                         0);
        assert_int_equal(rio_encode(out, rec.data, rec.len), 0);
        mc_buf_deinit(&rec);
    }
}

static void every_cut_gives_every_message(void **state)
{
    (void)state;
    const enum media_codec codecs[2] = {MEDIA_CODEC_JSON, MEDIA_CODEC_PROTOBUF};
    for (int c = 0; c < 2; c++) {
        struct mc_buf b;
        mc_buf_init(&b, 1 << 16, NULL);
        stream_make(codecs[c], &b);
        for (size_t cut = 0; cut <= b.len; cut++) {
            struct rio_decoder d;
            rio_decoder_init(&d, 1 << 16, NULL);
            struct seen s = {{0}, 0, 0};
            assert_int_equal(msgstream_feed(&d, b.data, cut, &mesos__v1__scheduler__event__descriptor,
                                            codecs[c], NULL, take, &s, NULL), 0);
            assert_int_equal(msgstream_feed(&d, b.data + cut, b.len - cut,
                                            &mesos__v1__scheduler__event__descriptor, codecs[c],
                                            NULL, take, &s, NULL), 0);
            assert_int_equal(s.count, 3);
            assert_memory_equal(s.types, types, sizeof(types));
            rio_decoder_deinit(&d);
        }
        mc_buf_deinit(&b);
    }
}

static void reader_stops(void **state)
{
    (void)state;
    struct mc_buf b;
    mc_buf_init(&b, 1 << 16, NULL);
    stream_make(MEDIA_CODEC_PROTOBUF, &b);
    struct rio_decoder d;
    rio_decoder_init(&d, 1 << 16, NULL);
    struct seen s = {{0}, 0, 2};
    assert_int_equal(msgstream_feed(&d, b.data, b.len, &mesos__v1__scheduler__event__descriptor,
                                    MEDIA_CODEC_PROTOBUF, NULL, take, &s, NULL), 7);
    assert_int_equal(s.count, 2); /* the third is never read */
    rio_decoder_deinit(&d);
    mc_buf_deinit(&b);
}

static void bad_records_are_errors(void **state)
{
    (void)state;
    struct rio_decoder d;
    struct mc_diag diag;
    struct seen s = {{0}, 0, 0};
    rio_decoder_init(&d, 1 << 16, NULL);
    mc_diag_clear(&diag);
    static const char not_event[] = "3\n[1]";
    assert_int_equal(msgstream_feed(&d, (const uint8_t *)not_event, strlen(not_event),
                                    &mesos__v1__scheduler__event__descriptor, MEDIA_CODEC_JSON,
                                    NULL, take, &s, &diag),
                     MC_EPARSE);
    assert_string_equal(diag.text, "a record that is not a mesos.v1.scheduler.Event");
    rio_decoder_deinit(&d);
    rio_decoder_init(&d, 1 << 16, NULL);
    mc_diag_clear(&diag);
    static const char bad_frame[] = "1x\n{}";
    assert_true(msgstream_feed(&d, (const uint8_t *)bad_frame, strlen(bad_frame),
                               &mesos__v1__scheduler__event__descriptor, MEDIA_CODEC_JSON, NULL,
                               take, &s, &diag) < 0);
    assert_true(diag.text[0] != '\0');
    assert_int_equal(s.count, 0);
    rio_decoder_deinit(&d);
}

/* The type of an event record, in either codec, read without unpacking it. */
static void record_types(void **state)
{
    (void)state;
    const uint64_t heartbeat = MESOS__V1__SCHEDULER__EVENT__TYPE__HEARTBEAT;
    const uint64_t error = MESOS__V1__SCHEDULER__EVENT__TYPE__ERROR;
    static const char hb_json[] = "{\"type\":\"HEARTBEAT\"}";
    assert_true(msgstream_record_is_event((const uint8_t *)hb_json, strlen(hb_json),
                                          MEDIA_CODEC_JSON, "HEARTBEAT", heartbeat));
    assert_false(msgstream_record_is_event((const uint8_t *)hb_json, strlen(hb_json),
                                           MEDIA_CODEC_JSON, "ERROR", error));
    assert_false(msgstream_record_is_event((const uint8_t *)"{\"type\"", 7, MEDIA_CODEC_JSON,
                                           "HEARTBEAT", heartbeat));
    struct mc_buf b;
    mc_buf_init(&b, 1 << 16, NULL);
    stream_make(MEDIA_CODEC_PROTOBUF, &b); /* HEARTBEAT, ERROR "gone", HEARTBEAT */
    struct rio_decoder d;
    rio_decoder_init(&d, 1 << 16, NULL);
    size_t used;
    struct rio_record rec;
    assert_int_equal(rio_decoder_feed(&d, b.data, b.len, &used, &rec, NULL), 1);
    assert_true(msgstream_record_is_event(rec.data, rec.bytes, MEDIA_CODEC_PROTOBUF, "HEARTBEAT",
                                          heartbeat));
    size_t off = used;
    assert_int_equal(rio_decoder_feed(&d, b.data + off, b.len - off, &used, &rec, NULL), 1);
    assert_false(msgstream_record_is_event(rec.data, rec.bytes, MEDIA_CODEC_PROTOBUF, "HEARTBEAT",
                                           heartbeat));
    assert_true(msgstream_record_is_event(rec.data, rec.bytes, MEDIA_CODEC_PROTOBUF, "ERROR",
                                          error));
    /* A field longer than the record, or a varint that never ends: no type. */
    static const uint8_t overlong[] = {0x12, 0x05, 0x01, 0x08, 0x08};
    assert_false(msgstream_record_is_event(overlong, sizeof(overlong), MEDIA_CODEC_PROTOBUF,
                                           "HEARTBEAT", heartbeat));
    static const uint8_t endless[] = {0x08, 0x80, 0x80, 0x80};
    assert_false(msgstream_record_is_event(endless, sizeof(endless), MEDIA_CODEC_PROTOBUF,
                                           "HEARTBEAT", heartbeat));
    rio_decoder_deinit(&d);
    mc_buf_deinit(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_cut_gives_every_message),
        cmocka_unit_test(reader_stops),
        cmocka_unit_test(bad_records_are_errors),
        cmocka_unit_test(record_types),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
