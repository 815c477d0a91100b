#include "mc_base64.h"

static const char alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int mc_base64_encode(struct mc_buf *out, const uint8_t *data, size_t bytes)
{
    for (size_t i = 0; i < bytes; i += 3) {
        uint32_t v = (uint32_t)data[i] << 16;
        if (i + 1 < bytes)
            v |= (uint32_t)data[i + 1] << 8;
        if (i + 2 < bytes)
            v |= data[i + 2];
        char quad[4] = {alphabet[(v >> 18) & 63], alphabet[(v >> 12) & 63],
                        i + 1 < bytes ? alphabet[(v >> 6) & 63] : '=',
                        i + 2 < bytes ? alphabet[v & 63] : '='};
        int err = mc_buf_append(out, quad, 4);
        if (err != 0)
            return err;
    }
    return 0;
}

static int sextet(char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

static int decode_fail(size_t *bad_offset, size_t at)
{
    if (bad_offset != NULL)
        *bad_offset = at;
    return MC_EPARSE;
}

int mc_base64_decode(struct mc_buf *out, const char *text, size_t text_bytes,
                     size_t *bad_offset)
{
    size_t end = text_bytes;
    size_t pad = 0;
    while (end > 0 && text[end - 1] == '=' && pad < 2) {
        end--;
        pad++;
    }
    if (pad > 0 && text_bytes % 4 != 0)
        return decode_fail(bad_offset, end);
    if (end % 4 == 1)
        return decode_fail(bad_offset, end - 1);
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < end; i++) {
        int v = sextet(text[i]);
        if (v < 0)
            return decode_fail(bad_offset, i);
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            int err = mc_buf_append_byte(out, (uint8_t)(acc >> bits));
            if (err != 0)
                return err;
            acc &= (1u << bits) - 1;
        }
    }
    if (acc != 0) /* leftover bits must be zero in canonical base64 */
        return decode_fail(bad_offset, end - 1);
    return 0;
}
