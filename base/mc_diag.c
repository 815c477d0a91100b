#include "mc_diag.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void mc_diag_clear(struct mc_diag *diag)
{
    if (diag != NULL)
        memset(diag, 0, sizeof(*diag));
}

static void diag_vset(struct mc_diag *diag, const char *fmt, va_list ap)
{
    vsnprintf(diag->text, sizeof(diag->text), fmt, ap);
}

void mc_diag_set(struct mc_diag *diag, const char *fmt, ...)
{
    if (diag == NULL)
        return;
    va_list ap;
    va_start(ap, fmt);
    diag_vset(diag, fmt, ap);
    va_end(ap);
}

void mc_diag_set_at(struct mc_diag *diag, uint64_t offset, const char *fmt, ...)
{
    if (diag == NULL)
        return;
    diag->offset = offset;
    diag->has_offset = 1;
    va_list ap;
    va_start(ap, fmt);
    diag_vset(diag, fmt, ap);
    va_end(ap);
}

void mc_diag_prefix(struct mc_diag *diag, const char *fmt, ...)
{
    if (diag == NULL)
        return;
    char prefix[MC_DIAG_TEXT_BYTES_MAX];
    char old[MC_DIAG_TEXT_BYTES_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof(prefix), fmt, ap);
    va_end(ap);
    memcpy(old, diag->text, sizeof(old));
    /* Truncation keeps the front: the outer context matters most. */
    size_t used = strlen(prefix);
    memcpy(diag->text, prefix, used + 1);
    size_t room = sizeof(diag->text) - 1 - used;
    size_t old_len = strlen(old);
    if (room >= 2) {
        memcpy(diag->text + used, ": ", 2);
        used += 2;
        room -= 2;
        size_t n = old_len < room ? old_len : room;
        memcpy(diag->text + used, old, n);
        used += n;
    }
    diag->text[used] = '\0';
}

char *mc_diag_format(const struct mc_diag *diag, char *out, uint32_t out_bytes)
{
    const char *src = diag->source[0] != '\0' ? diag->source : NULL;
    if (src != NULL && diag->line > 0)
        snprintf(out, out_bytes, "%s:%" PRIu32 ":%" PRIu32 ": %s", src, diag->line,
                 diag->column, diag->text);
    else if (diag->has_offset)
        snprintf(out, out_bytes, "%s%sbyte %" PRIu64 ": %s", src ? src : "", src ? ": " : "",
                 diag->offset, diag->text);
    else if (src != NULL)
        snprintf(out, out_bytes, "%s: %s", src, diag->text);
    else
        snprintf(out, out_bytes, "%s", diag->text);
    return out;
}
