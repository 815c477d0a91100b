#include "mc_buf.h"

#include <stdio.h>
#include <string.h>

#include "mc_assert.h"

void mc_buf_init(struct mc_buf *b, size_t len_max, const struct mc_alloc *alloc)
{
    MC_ASSERT(len_max > 0);
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->len_max = len_max;
    b->alloc = alloc;
}

void mc_buf_deinit(struct mc_buf *b)
{
    mc_free(b->alloc, b->data);
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
}

void mc_buf_reset(struct mc_buf *b)
{
    b->len = 0;
    if (b->data != NULL)
        b->data[0] = '\0';
}

/* Makes room for extra more bytes plus the trailing NUL. */
static int buf_reserve(struct mc_buf *b, size_t extra)
{
    if (extra > b->len_max - b->len)
        return MC_ELIMIT;
    size_t need = b->len + extra + 1;
    if (need <= b->cap)
        return 0;
    size_t cap = b->cap < 64 ? 64 : b->cap;
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    if (b->len_max < SIZE_MAX && cap > b->len_max + 1)
        cap = b->len_max + 1;
    uint8_t *p = mc_realloc(b->alloc, b->data, cap);
    if (p == NULL)
        return MC_ENOMEM;
    b->data = p;
    b->cap = cap;
    return 0;
}

int mc_buf_append(struct mc_buf *b, const void *data, size_t bytes)
{
    int err = buf_reserve(b, bytes);
    if (err != 0)
        return err;
    if (bytes > 0)
        memcpy(b->data + b->len, data, bytes);
    b->len += bytes;
    b->data[b->len] = '\0';
    return 0;
}

int mc_buf_grow(struct mc_buf *b, size_t bytes, uint8_t **at)
{
    int err = buf_reserve(b, bytes);
    if (err != 0)
        return err;
    *at = b->data + b->len;
    b->len += bytes;
    b->data[b->len] = '\0';
    return 0;
}

int mc_buf_append_str(struct mc_buf *b, const char *s)
{
    return mc_buf_append(b, s, strlen(s));
}

int mc_buf_append_byte(struct mc_buf *b, uint8_t byte)
{
    return mc_buf_append(b, &byte, 1);
}

int mc_buf_vappendf(struct mc_buf *b, const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0)
        return MC_EINVAL;
    int err = buf_reserve(b, (size_t)n);
    if (err != 0)
        return err;
    vsnprintf((char *)b->data + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
    return 0;
}

int mc_buf_appendf(struct mc_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int err = mc_buf_vappendf(b, fmt, ap);
    va_end(ap);
    return err;
}

void mc_buf_consume(struct mc_buf *b, size_t bytes)
{
    MC_ASSERT(bytes <= b->len);
    if (bytes == 0)
        return;
    memmove(b->data, b->data + bytes, b->len - bytes);
    b->len -= bytes;
    b->data[b->len] = '\0';
}

uint8_t *mc_buf_take(struct mc_buf *b, size_t *len_out)
{
    uint8_t *p = b->data;
    if (len_out != NULL)
        *len_out = b->len;
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    return p;
}

const char *mc_buf_str(const struct mc_buf *b)
{
    return b->data != NULL ? (const char *)b->data : "";
}
