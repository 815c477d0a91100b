/*
 * trace.c: the world's trace lines and their hash.
 *
 * A line is "<seconds>.<9 digits> <from> <to> <what>", written into the
 * world's one line buffer, made printable (control bytes become '?', so
 * a sink can print it as is), handed to the sink and folded into a 64-bit
 * FNV-1a hash with a trailing '\n'. Only integers and strings the world
 * controls go into a line: never a pointer, a float or a byte of padding,
 * which is what makes the hash the same in every build and on every host.
 *
 * Nearly every event writes a line (a timer, a delivery), so those lines
 * are put together piece by piece with struct sim_text, which writes
 * exactly what snprintf would ("%s", "%llu", "%09llu", "%d") without
 * parsing a format. The rare lines (faults, errors) still go through
 * vsnprintf in sim__trace.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "mc_assert.h"
#include "sim_internal.h"

#define FNV64_PRIME UINT64_C(0x100000001b3)

void sim__text_init(struct sim_text *t, char *buf, size_t cap)
{
    MC_ASSERT(buf != NULL && cap >= 1);
    t->buf = buf;
    t->cap = cap;
    t->n = 0;
    buf[0] = '\0';
}

void sim__text_put_n(struct sim_text *t, const char *s, size_t n)
{
    size_t room = t->cap - 1 - t->n;
    if (n > room)
        n = room;
    memcpy(t->buf + t->n, s, n);
    t->n += n;
    t->buf[t->n] = '\0';
}

void sim__text_put(struct sim_text *t, const char *s)
{
    sim__text_put_n(t, s, strnlen(s, t->cap - 1 - t->n));
}

/* "00" to "99": two digits per division, half the steps of one digit at a time. */
static const char digit_pairs[] = "00010203040506070809101112131415161718192021222324"
                                  "25262728293031323334353637383940414243444546474849"
                                  "50515253545556575859606162636465666768697071727374"
                                  "75767778798081828384858687888990919293949596979899";

void sim__text_put_u64(struct sim_text *t, uint64_t v, unsigned digits)
{
    char buf[24]; /* 20 digits of UINT64_MAX, or digits zeros */
    MC_ASSERT(digits <= sizeof(buf));
    char *end = buf + sizeof(buf);
    char *p = end;
    while (v >= 100) {
        p -= 2;
        memcpy(p, &digit_pairs[2 * (v % 100)], 2);
        v /= 100;
    }
    if (v >= 10) {
        p -= 2;
        memcpy(p, &digit_pairs[2 * v], 2);
    } else {
        *--p = (char)('0' + v);
    }
    while ((size_t)(end - p) < digits)
        *--p = '0';
    sim__text_put_n(t, p, (size_t)(end - p));
}

void sim__text_put_i64(struct sim_text *t, int64_t v)
{
    if (v < 0) {
        SIM_TEXT_PUT_LIT(t, "-");
        /* Negated as unsigned: INT64_MIN has no positive int64_t. */
        sim__text_put_u64(t, 0 - (uint64_t)v, 1);
        return;
    }
    sim__text_put_u64(t, (uint64_t)v, 1);
}

/*
 * Starts the line with "<s>.<ns> <from> <to> " (what "%llu.%09llu %s %s "
 * would write) and returns the writer for the rest.
 */
static struct sim_text line_start(struct sim_world *world, const char *from, const char *to)
{
    struct sim_text t;
    sim__text_init(&t, world->line, sizeof(world->line));
    sim__text_put_u64(&t, world->now_ns / RT_NS_PER_SEC, 1);
    SIM_TEXT_PUT_LIT(&t, ".");
    sim__text_put_u64(&t, world->now_ns % RT_NS_PER_SEC, 9);
    SIM_TEXT_PUT_LIT(&t, " ");
    sim__text_put(&t, from);
    SIM_TEXT_PUT_LIT(&t, " ");
    sim__text_put(&t, to);
    SIM_TEXT_PUT_LIT(&t, " ");
    return t;
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

void sim__trace(struct sim_world *world, const char *from, const char *to, const char *fmt, ...)
{
    MC_ASSERT(from != NULL);
    MC_ASSERT(to != NULL);
    struct sim_text t = line_start(world, from, to);
    va_list ap;
    va_start(ap, fmt);
    int r = vsnprintf(t.buf + t.n, t.cap - t.n, fmt, ap);
    va_end(ap);
    /* vsnprintf says what it would have written: the line is cut at its end. */
    size_t len = r > 0 ? t.n + (size_t)r : t.n;
    line_emit(world, len < t.cap ? len : t.cap - 1, 1);
}

void sim__trace_text(struct sim_world *world, const char *from, const char *to, const char *text)
{
    MC_ASSERT(from != NULL);
    MC_ASSERT(to != NULL);
    struct sim_text t = line_start(world, from, to);
    sim__text_put(&t, text);
    line_emit(world, t.n, 1);
}

void sim__trace_log(struct sim_world *world, const char *from, const char *level, const char *text)
{
    if (world->trace_fn == NULL)
        return; /* log lines are not hashed: without a sink they go nowhere */
    struct sim_text t = line_start(world, from, "-");
    SIM_TEXT_PUT_LIT(&t, "log ");
    sim__text_put(&t, level);
    SIM_TEXT_PUT_LIT(&t, " ");
    sim__text_put(&t, text);
    line_emit(world, t.n, 0);
}

void sim_world_trace_note(struct sim_world *world, const char *text)
{
    MC_ASSERT(world != NULL);
    MC_ASSERT(text != NULL);
    struct sim_text t = line_start(world, "-", "-");
    SIM_TEXT_PUT_LIT(&t, "note ");
    sim__text_put(&t, text);
    line_emit(world, t.n, 1);
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

/* Appends the description of d (see sim__delivery_describe). */
static void describe(struct sim_text *t, const struct sim_delivery *d)
{
    const struct sim_conn *conn = d->conn;
    switch (d->kind) {
    case SIM_DELIVERY_REQUEST:
        SIM_TEXT_PUT_LIT(t, "request ");
        sim__text_put(t, d->request.method != NULL ? d->request.method : "-");
        SIM_TEXT_PUT_LIT(t, " ");
        sim__text_put(t, d->request.path != NULL ? d->request.path : "-");
        SIM_TEXT_PUT_LIT(t, " call=");
        sim__text_put_u64(t, conn->call, 1);
        SIM_TEXT_PUT_LIT(t, " req=");
        sim__text_put_u64(t, conn->req, 1);
        break;
    case SIM_DELIVERY_RESPONSE:
    case SIM_DELIVERY_HEAD:
        SIM_TEXT_PUT_LIT(t, "response ");
        sim__text_put_i64(t, d->response.status);
        sim__text_put(t, d->kind == SIM_DELIVERY_HEAD ? " stream call=" : " call=");
        sim__text_put_u64(t, conn->call, 1);
        break;
    case SIM_DELIVERY_DATA:
        SIM_TEXT_PUT_LIT(t, "data ");
        sim__text_put_u64(t, d->len, 1);
        SIM_TEXT_PUT_LIT(t, " bytes call=");
        sim__text_put_u64(t, conn->call, 1);
        break;
    case SIM_DELIVERY_END:
        SIM_TEXT_PUT_LIT(t, "end ");
        sim__text_put(t, end_text(d->err));
        SIM_TEXT_PUT_LIT(t, " call=");
        sim__text_put_u64(t, conn->call, 1);
        break;
    case SIM_DELIVERY_CLOSE:
        SIM_TEXT_PUT_LIT(t, "close req=");
        sim__text_put_u64(t, conn->req, 1);
        break;
    default:
        MC_UNREACHABLE();
    }
}

void sim__delivery_describe(const struct sim_delivery *d, char *out, size_t out_bytes)
{
    struct sim_text t;
    sim__text_init(&t, out, out_bytes);
    describe(&t, d);
}

void sim__trace_delivery(struct sim_world *world, const char *from, const char *to,
                         const char *before, const struct sim_delivery *d, const char *after)
{
    struct sim_text t = line_start(world, from, to);
    if (before != NULL) {
        sim__text_put(&t, before);
        SIM_TEXT_PUT_LIT(&t, " ");
    }
    describe(&t, d);
    if (after != NULL) {
        SIM_TEXT_PUT_LIT(&t, " ");
        sim__text_put(&t, after);
    }
    line_emit(world, t.n, 1);
}
