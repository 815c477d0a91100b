/*
 * trace.c: the world's trace lines and their hash.
 *
 * A line is "<seconds>.<9 digits> <from> <to> <what>", written into the
 * world's one line buffer, made printable (control bytes become '?', so
 * a sink can print it as is), handed to the sink and folded into a 64-bit
 * FNV-1a hash with a trailing '\n'. Only integers and strings the world
 * controls go into a line: never a pointer, a float or a byte of padding,
 * which is what makes the hash the same in every build and on every host.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "mc_assert.h"
#include "sim_internal.h"

#define FNV64_PRIME UINT64_C(0x100000001b3)

/* Appends s to the line at *n, as far as it fits (the line keeps its NUL). */
static void line_put(struct sim_world *world, size_t *n, const char *s)
{
    size_t room = sizeof(world->line) - 1 - *n;
    size_t len = strnlen(s, room);
    memcpy(world->line + *n, s, len);
    *n += len;
    world->line[*n] = '\0';
}

/* Appends v in decimal, at least `digits` wide with leading zeros. */
static void line_put_u64(struct sim_world *world, size_t *n, uint64_t v, int digits)
{
    char buf[24];
    int i = (int)sizeof(buf) - 1;
    buf[i] = '\0';
    do {
        buf[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v != 0 || (int)sizeof(buf) - 1 - i < digits);
    line_put(world, n, buf + i);
}

/*
 * Writes "<s>.<ns> <from> <to> " (what "%llu.%09llu %s %s " would write,
 * without printf: this runs for every event) and returns its length.
 */
static size_t line_start(struct sim_world *world, const char *from, const char *to)
{
    size_t n = 0;
    world->line[0] = '\0';
    line_put_u64(world, &n, world->now_ns / RT_NS_PER_SEC, 1);
    line_put(world, &n, ".");
    line_put_u64(world, &n, world->now_ns % RT_NS_PER_SEC, 9);
    line_put(world, &n, " ");
    line_put(world, &n, from);
    line_put(world, &n, " ");
    line_put(world, &n, to);
    line_put(world, &n, " ");
    return n;
}

/*
 * Sends the line (len bytes) out: control bytes become '?', and a hashed
 * line is folded into the trace hash with its '\n', in the same pass.
 */
static void line_emit(struct sim_world *world, size_t len, int hashed)
{
    uint64_t hash = world->trace_hash;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)world->line[i];
        if (c < 0x20 || c == 0x7f) {
            c = '?';
            world->line[i] = '?';
        }
        hash = (hash ^ c) * FNV64_PRIME;
    }
    if (hashed)
        world->trace_hash = (hash ^ (uint8_t)'\n') * FNV64_PRIME;
    if (world->trace_fn != NULL)
        world->trace_fn(world->trace_ctx, world->line);
}

/* The line's length after vsnprintf or snprintf wrote r at n (cut at the line's end). */
static size_t line_len(const struct sim_world *world, size_t n, int r)
{
    size_t len = r > 0 ? n + (size_t)r : n;
    return len < sizeof(world->line) ? len : sizeof(world->line) - 1;
}

void sim__trace(struct sim_world *world, const char *from, const char *to, const char *fmt, ...)
{
    MC_ASSERT(from != NULL);
    MC_ASSERT(to != NULL);
    size_t n = line_start(world, from, to);
    va_list ap;
    va_start(ap, fmt);
    int r = vsnprintf(world->line + n, sizeof(world->line) - n, fmt, ap);
    va_end(ap);
    line_emit(world, line_len(world, n, r), 1);
}

void sim__trace_log(struct sim_world *world, const char *from, const char *text)
{
    if (world->trace_fn == NULL)
        return; /* log lines are not hashed: without a sink they go nowhere */
    size_t n = line_start(world, from, "-");
    int r = snprintf(world->line + n, sizeof(world->line) - n, "log %s", text);
    line_emit(world, line_len(world, n, r), 0);
}

void sim_world_trace_note(struct sim_world *world, const char *text)
{
    MC_ASSERT(world != NULL);
    MC_ASSERT(text != NULL);
    sim__trace(world, "-", "-", "note %s", text);
}

void sim_world_trace_set(struct sim_world *world, sim_trace_fn fn, void *ctx)
{
    MC_ASSERT(world != NULL);
    world->trace_fn = fn;
    world->trace_ctx = fn != NULL ? ctx : NULL;
}

uint64_t sim_world_trace_hash(const struct sim_world *world)
{
    MC_ASSERT(world != NULL);
    return world->trace_hash;
}

static const char *end_text(int err)
{
    return err == 0 ? "0" : mc_errname(err);
}

void sim__delivery_describe(const struct sim_delivery *d, char *out, size_t out_bytes)
{
    const struct sim_conn *conn = d->conn;
    switch (d->kind) {
    case SIM_DELIVERY_REQUEST:
        snprintf(out, out_bytes, "request %s %s call=%" PRIu64 " req=%" PRIu64,
                 d->request.method != NULL ? d->request.method : "-",
                 d->request.path != NULL ? d->request.path : "-", conn->call, conn->req);
        break;
    case SIM_DELIVERY_RESPONSE:
        snprintf(out, out_bytes, "response %d call=%" PRIu64, d->response.status, conn->call);
        break;
    case SIM_DELIVERY_HEAD:
        snprintf(out, out_bytes, "response %d stream call=%" PRIu64, d->response.status,
                 conn->call);
        break;
    case SIM_DELIVERY_DATA:
        snprintf(out, out_bytes, "data %zu bytes call=%" PRIu64, d->len, conn->call);
        break;
    case SIM_DELIVERY_END:
        snprintf(out, out_bytes, "end %s call=%" PRIu64, end_text(d->err), conn->call);
        break;
    case SIM_DELIVERY_CLOSE:
        snprintf(out, out_bytes, "close req=%" PRIu64, conn->req);
        break;
    default:
        MC_UNREACHABLE();
    }
}
