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

static uint64_t fnv1a64(uint64_t hash, const char *bytes, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        hash ^= (uint8_t)bytes[i];
        hash *= FNV64_PRIME;
    }
    return hash;
}

/* Writes the time and both ends; returns the length written. */
static size_t line_start(struct sim_world *world, const char *from, const char *to)
{
    int n = snprintf(world->line, sizeof(world->line), "%" PRIu64 ".%09" PRIu64 " %s %s ",
                     world->now_ns / RT_NS_PER_SEC, world->now_ns % RT_NS_PER_SEC, from, to);
    MC_ASSERT(n > 0);
    return (size_t)n < sizeof(world->line) ? (size_t)n : sizeof(world->line) - 1;
}

static void line_emit(struct sim_world *world, int hashed)
{
    size_t len = strlen(world->line);
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)world->line[i];
        if (c < 0x20 || c == 0x7f)
            world->line[i] = '?';
    }
    if (hashed) {
        world->trace_hash = fnv1a64(world->trace_hash, world->line, len);
        world->trace_hash = fnv1a64(world->trace_hash, "\n", 1);
    }
    if (world->trace_fn != NULL)
        world->trace_fn(world->trace_ctx, world->line);
}

void sim__trace(struct sim_world *world, const char *from, const char *to, const char *fmt, ...)
{
    MC_ASSERT(from != NULL);
    MC_ASSERT(to != NULL);
    size_t n = line_start(world, from, to);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(world->line + n, sizeof(world->line) - n, fmt, ap);
    va_end(ap);
    line_emit(world, 1);
}

void sim__trace_log(struct sim_world *world, const char *from, const char *text)
{
    size_t n = line_start(world, from, "-");
    snprintf(world->line + n, sizeof(world->line) - n, "log %s", text);
    line_emit(world, 0);
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
