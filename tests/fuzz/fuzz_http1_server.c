/*
 * fuzz_http1_server.c: arbitrary bytes from a client into the server side
 * of the HTTP/1.1 glue (reference/uv/http1.h).
 *
 * Besides "never crash, never leak", two oracles abort on a difference:
 *  - the same bytes fed whole and fed in pieces (sizes drawn from the
 *    first byte) give the same requests and the same error, offset
 *    included;
 *  - a request that was read, written back with http1_request_write and
 *    read again is the same request (or, when the writer's framing pushed
 *    it over a limit, an MC_ELIMIT).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http1.h"
#include "http_msg.h"
#include "mc_buf.h"

/* A summary of a run, compared between the whole and the split feed. */
#define SUMMARY_BYTES_MAX (1u << 22)

static void summary_request(struct mc_buf *sum, const struct http_request *r)
{
    if (mc_buf_appendf(sum, "R %s %s %s %d %d %u %zu|", r->method, r->target, r->path,
                       r->version_minor, r->keep_alive, r->headers.count, r->body.len) != 0)
        abort();
    for (uint32_t i = 0; i < r->headers.count; i++) {
        if (mc_buf_appendf(sum, "%s:%s|", r->headers.items[i].name, r->headers.items[i].value) != 0)
            abort();
    }
    if (r->body.len > 0 && mc_buf_append(sum, r->body.data, r->body.len) != 0)
        abort();
}

static void summary_error(struct mc_buf *sum, const char *what, const struct http1_error *err)
{
    if (mc_buf_appendf(sum, "%s %d %d %llu %s|", what, err->code, err->status,
                       (unsigned long long)err->diag.offset, err->diag.text) != 0)
        abort();
}

/* Writes a request back and reads it again: it must come back the same. */
static void round_trip(const struct http_request *r)
{
    struct mc_buf wire;
    mc_buf_init(&wire, MC_INPUT_BYTES_MAX, NULL);
    if (http1_request_write(&wire, r) != 0)
        abort();
    struct http1_server s;
    struct http_request again;
    struct http1_error err;
    size_t consumed = 0;
    http1_server_init(&s, NULL);
    int rc = http1_server_feed(&s, wire.data, wire.len, &consumed, &again, &err);
    if (rc == 1) {
        if (strcmp(again.method, r->method) != 0 || strcmp(again.target, r->target) != 0 ||
            again.body.len != r->body.len || again.keep_alive != r->keep_alive ||
            (r->body.len > 0 && memcmp(again.body.data, r->body.data, r->body.len) != 0))
            abort();
        http_request_deinit(&again);
    } else if (rc != MC_ELIMIT) {
        abort();
    }
    http1_server_deinit(&s);
    mc_buf_deinit(&wire);
}

/* Feeds data[0..size) in pieces of the given sizes (0: whole) into sum. */
static void run(const uint8_t *data, size_t size, uint32_t seed, int check, struct mc_buf *sum)
{
    struct http1_server s;
    http1_server_init(&s, NULL);
    size_t pos = 0;
    uint32_t x = seed | 1;
    while (pos < size) {
        size_t piece = size - pos;
        if (seed != 0) {
            x ^= x << 13, x ^= x >> 17, x ^= x << 5;
            size_t max = (seed & 0x3f) + 1;
            piece = 1 + x % max < piece ? 1 + x % max : piece;
        }
        size_t off = 0;
        while (off < piece) {
            struct http_request r;
            struct http1_error err;
            size_t consumed = 0;
            int rc = http1_server_feed(&s, data + pos + off, piece - off, &consumed, &r, &err);
            if (rc < 0) {
                summary_error(sum, "E", &err);
                http1_server_deinit(&s);
                return;
            }
            off += consumed;
            if (rc == 1) {
                summary_request(sum, &r);
                if (check)
                    round_trip(&r);
                http_request_deinit(&r);
            }
        }
        pos += piece;
    }
    struct http1_error err;
    if (http1_server_eof(&s, &err) != 0)
        summary_error(sum, "F", &err);
    http1_server_deinit(&s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct mc_buf whole, split;
    mc_buf_init(&whole, SUMMARY_BYTES_MAX, NULL);
    mc_buf_init(&split, SUMMARY_BYTES_MAX, NULL);
    uint32_t seed = size > 0 ? (uint32_t)data[0] * 2654435761u + 1 : 1;
    run(data, size, 0, 1, &whole);
    run(data, size, seed, 0, &split);
    if (whole.len != split.len || (whole.len > 0 && memcmp(whole.data, split.data, whole.len) != 0))
        abort();
    mc_buf_deinit(&whole);
    mc_buf_deinit(&split);
    return 0;
}
