/*
 * bench_codec.c: throughput of the wire layer (make bench).
 *
 * Decodes and encodes a scheduler ACCEPT call (SPEC.md's example) in JSON
 * and in protobuf, and frames and unframes RecordIO records, for a fixed
 * number of rounds each, and prints operations per second and the ratio
 * of JSON to protobuf cost. Wall-clock figures depend on the machine;
 * compare ratios, or runs on the same machine.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "mesos/v1/scheduler/scheduler.pb-c.h"
#include "mc_buf.h"
#include "pbjson.h"
#include "recordio.h"

#define ROUNDS 200000

static const char accept_json[] =
    "{\"framework_id\":{\"value\":\"F\"},\"type\":\"ACCEPT\",\"accept\":{\"offer_ids\":[{\"value\":"
    "\"O\"}],\"operations\":[{\"type\":\"LAUNCH\",\"launch\":{\"task_infos\":[{\"name\":\"t\","
    "\"task_id\":{\"value\":\"t1\"},\"agent_id\":{\"value\":\"A\"},\"resources\":[{\"name\":\"cpus\","
    "\"type\":\"SCALAR\",\"scalar\":{\"value\":0.1}},{\"name\":\"mem\",\"type\":\"SCALAR\",\"scalar\":"
    "{\"value\":32}}],\"command\":{\"shell\":true,\"value\":\"sleep 5\"}}]}}],\"filters\":"
    "{\"refuse_seconds\":5.0}}}";

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static const ProtobufCMessageDescriptor *call_desc = &mesos__v1__scheduler__call__descriptor;

static double bench_json_decode(void)
{
    double t0 = now_s();
    for (int i = 0; i < ROUNDS; i++) {
        ProtobufCMessage *m = NULL;
        if (pbjson_decode(call_desc, accept_json, sizeof(accept_json) - 1, NULL, &m, NULL) != 0)
            return -1;
        protobuf_c_message_free_unpacked(m, NULL);
    }
    return now_s() - t0;
}

static double bench_encode(const ProtobufCMessage *m, int json)
{
    struct mc_buf out;
    mc_buf_init(&out, 1 << 20, NULL);
    double t0 = now_s();
    for (int i = 0; i < ROUNDS; i++) {
        mc_buf_reset(&out);
        if ((json ? pbjson_encode(m, &out) : pbjson_pack(m, &out)) != 0)
            return -1;
    }
    double t = now_s() - t0;
    mc_buf_deinit(&out);
    return t;
}

static double bench_pb_decode(const uint8_t *data, size_t len)
{
    double t0 = now_s();
    for (int i = 0; i < ROUNDS; i++) {
        ProtobufCMessage *m = NULL;
        if (pbjson_unpack(call_desc, data, len, NULL, &m, NULL) != 0)
            return -1;
        protobuf_c_message_free_unpacked(m, NULL);
    }
    return now_s() - t0;
}

/* Frames ROUNDS records of len bytes into one stream, then decodes it in 4 KiB reads. */
static double bench_recordio(size_t len, size_t *stream_bytes)
{
    static uint8_t record[512];
    memset(record, 'x', sizeof(record));
    struct mc_buf stream;
    mc_buf_init(&stream, (size_t)ROUNDS * (len + 8), NULL);
    double t0 = now_s();
    for (int i = 0; i < ROUNDS; i++)
        if (rio_encode(&stream, record, len) != 0)
            return -1;
    struct rio_decoder d;
    rio_decoder_init(&d, 1 << 20, NULL);
    size_t at = 0, records = 0;
    while (at < stream.len) {
        size_t n = stream.len - at < 4096 ? stream.len - at : 4096;
        const uint8_t *p = stream.data + at;
        while (n > 0) {
            size_t used = 0;
            struct rio_record rec;
            int r = rio_decoder_feed(&d, p, n, &used, &rec, NULL);
            if (r < 0)
                return -1;
            records += (size_t)r;
            p += used;
            n -= used;
            at += used;
        }
    }
    double t = now_s() - t0;
    *stream_bytes = stream.len;
    rio_decoder_deinit(&d);
    mc_buf_deinit(&stream);
    return records == ROUNDS ? t : -1;
}

int main(void)
{
    ProtobufCMessage *m = NULL;
    struct mc_buf pb;
    mc_buf_init(&pb, 1 << 20, NULL);
    if (pbjson_decode(call_desc, accept_json, sizeof(accept_json) - 1, NULL, &m, NULL) != 0 ||
        pbjson_pack(m, &pb) != 0) {
        fprintf(stderr, "bench_codec: the sample call does not convert\n");
        return 1;
    }
    double jd = bench_json_decode(), je = bench_encode(m, 1);
    double pd = bench_pb_decode(pb.data, pb.len), pe = bench_encode(m, 0);
    size_t stream_bytes = 0;
    double rio = bench_recordio(200, &stream_bytes);
    if (jd < 0 || je < 0 || pd < 0 || pe < 0 || rio < 0) {
        fprintf(stderr, "bench_codec: a round failed\n");
        return 1;
    }
    printf("codec: ACCEPT call, %d rounds each (JSON %zu bytes, protobuf %zu bytes)\n", ROUNDS,
           sizeof(accept_json) - 1, pb.len);
    printf("  json decode      %10.0f calls/s\n", ROUNDS / jd);
    printf("  json encode      %10.0f calls/s\n", ROUNDS / je);
    printf("  protobuf decode  %10.0f calls/s\n", ROUNDS / pd);
    printf("  protobuf encode  %10.0f calls/s\n", ROUNDS / pe);
    printf("  ratio json/protobuf time: decode %.1fx, encode %.1fx\n", jd / pd, je / pe);
    printf("  recordio         %10.0f records/s (200-byte records, %.0f MB/s)\n", ROUNDS / rio,
           (double)stream_bytes / rio / 1e6);
    protobuf_c_message_free_unpacked(m, NULL);
    mc_buf_deinit(&pb);
    return 0;
}
