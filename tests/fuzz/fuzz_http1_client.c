/*
 * fuzz_http1_client.c: arbitrary bytes from a server into the client side
 * of the HTTP/1.1 glue (reference/uv/http1.h).
 *
 * Besides "never crash, never leak", an oracle aborts on a difference: the
 * same bytes fed whole and fed in pieces (sizes drawn from the first byte)
 * give the same heads, the same body bytes in the same order, the same
 * ends and the same error, offset included.
 *
 * The first byte of an input is not part of the connection: its bit 0 says
 * whether the first response answers a HEAD request, and all of it seeds
 * the split run's piece sizes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http1.h"
#include "http_msg.h"
#include "mc_buf.h"

/* A summary of a run, compared between the whole and the split feed. */
#define SUMMARY_BYTES_MAX (1u << 22)

static void summary_event(struct mc_buf *sum, const struct http1_client_event *ev)
{
    int err = 0;
    if (ev->kind == HTTP1_CLIENT_HEAD) {
        const struct http_response *h = ev->head;
        err = mc_buf_appendf(sum, "H %d %d %d %d %u|", h->status, h->is_stream,
                             ev->version_minor, ev->keep_alive, h->headers.count);
        for (uint32_t i = 0; err == 0 && i < h->headers.count; i++)
            err = mc_buf_appendf(sum, "%s:%s|", h->headers.items[i].name,
                                 h->headers.items[i].value);
    } else if (ev->kind == HTTP1_CLIENT_BODY) {
        /* Pieces differ between runs; only the bytes, in order, must not. */
        if (ev->bytes == 0 || ev->data == NULL)
            abort();
        err = mc_buf_append(sum, ev->data, ev->bytes);
    } else if (ev->kind == HTTP1_CLIENT_END) {
        err = mc_buf_appendf(sum, "|E %d|", ev->keep_alive);
    } else {
        abort();
    }
    if (err != 0)
        abort();
}

static void summary_error(struct mc_buf *sum, const char *what, const struct http1_error *err)
{
    if (err->status != 0)
        abort();
    if (mc_buf_appendf(sum, "%s %d %llu %s|", what, err->code,
                       (unsigned long long)err->diag.offset, err->diag.text) != 0)
        abort();
}

static void run_eof(struct http1_client *c, struct mc_buf *sum)
{
    struct http1_client_event ev;
    struct http1_error err;
    int rc = http1_client_eof(c, &ev, &err);
    if (rc == 1)
        summary_event(sum, &ev);
    else if (rc < 0)
        summary_error(sum, "F", &err);
}

/* Feeds data[0..size) whole (seed 0) or in pieces drawn from seed into sum. */
static void run(const uint8_t *data, size_t size, int head, uint32_t seed, struct mc_buf *sum)
{
    struct http1_client c;
    http1_client_init(&c, NULL);
    if (head)
        http1_client_request_method_set(&c, "HEAD");
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
            struct http1_client_event ev;
            struct http1_error err;
            size_t consumed = 0;
            int rc = http1_client_feed(&c, data + pos + off, piece - off, &consumed, &ev, &err);
            if (rc < 0) {
                summary_error(sum, "E", &err);
                http1_client_deinit(&c);
                return;
            }
            if (consumed > piece - off)
                abort();
            off += consumed;
            if (rc == 1)
                summary_event(sum, &ev);
        }
        pos += piece;
    }
    run_eof(&c, sum);
    http1_client_deinit(&c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    struct mc_buf whole, split;
    mc_buf_init(&whole, SUMMARY_BYTES_MAX, NULL);
    mc_buf_init(&split, SUMMARY_BYTES_MAX, NULL);
    uint32_t seed = (uint32_t)data[0] * 2654435761u + 1;
    int head = data[0] & 1;
    run(data + 1, size - 1, head, 0, &whole);
    run(data + 1, size - 1, head, seed, &split);
    if (whole.len != split.len || (whole.len > 0 && memcmp(whole.data, split.data, whole.len) != 0))
        abort();
    mc_buf_deinit(&whole);
    mc_buf_deinit(&split);
    return 0;
}
