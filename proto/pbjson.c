/*
 * pbjson.c: JSON <-> protobuf over protobuf-c descriptors, by Mesos' rules.
 *
 * The file reads top-down in the order data flows through a decode:
 *  1. allocators: the caller's ProtobufCAllocator, and an arena on top of
 *     it for the parsed JSON, freed in one go when the call ends;
 *  2. text: a bounded builder for the reason texts;
 *  3. the JSON parser, a re-implementation of picojson's grammar and error
 *     reporting (as stout's JSON::parse drives it), producing a small tree
 *     whose objects are sorted by key with duplicates resolved as a
 *     std::map would; jansson values are turned into the same tree;
 *  4. the conversion of that tree into a message, field by field, following
 *     stout's protobuf::parse, then the required-field check;
 *  5. the encoder, message -> JSON, through a sink that writes text or
 *     builds jansson values;
 *  6. protobuf packing and unpacking.
 * pbjson.h lists the rules and the few places where we deliberately differ.
 */
#include "pbjson.h"

#include <errno.h>
#include <float.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mc_assert.h"
#include "mc_base64.h"

/* ------------------------------------------------------------------ */
/* 1. Allocators                                                       */
/* ------------------------------------------------------------------ */

static void *mcalloc_alloc(void *data, size_t size)
{
    return mc_malloc(data, size);
}

static void mcalloc_free(void *data, void *ptr)
{
    mc_free(data, ptr);
}

void pbjson_allocator_init(ProtobufCAllocator *pa, const struct mc_alloc *alloc)
{
    MC_ASSERT(pa != NULL);
    pa->alloc = mcalloc_alloc;
    pa->free = mcalloc_free;
    /* protobuf-c's allocator_data is not const; mc_malloc only reads it. */
    pa->allocator_data = (void *)(alloc != NULL ? alloc : mc_alloc_system());
}

static void *pa_alloc(ProtobufCAllocator *pa, size_t bytes)
{
    return pa->alloc(pa->allocator_data, bytes == 0 ? 1 : bytes);
}

static void pa_free(ProtobufCAllocator *pa, void *ptr)
{
    if (ptr != NULL)
        pa->free(pa->allocator_data, ptr);
}

/*
 * The arena holds the parsed JSON tree and every temporary of a decode, so
 * that a failure anywhere needs no per-node cleanup. Chunks come from the
 * caller's allocator, so allocation-failure tests reach them too.
 */
#define ARENA_CHUNK_BYTES 8192u
#define ARENA_CHUNK_BYTES_MAX 65536u
#define ARENA_ALIGN_BYTES 16u

struct arena_chunk {
    struct arena_chunk *next;
    size_t used;
    size_t cap;
    _Alignas(16) unsigned char data[];
};

struct arena {
    ProtobufCAllocator *pa;
    struct arena_chunk *head;
    struct arena_chunk *local; /* the caller's first chunk, not freed here */
};

/*
 * The first chunk is the caller's (local, ARENA_LOCAL_BYTES on its stack):
 * most decodes fit in it and allocate nothing for their tree.
 */
#define ARENA_LOCAL_BYTES 4096u

struct arena_local {
    _Alignas(16) unsigned char bytes[ARENA_LOCAL_BYTES];
};

static void arena_init(struct arena *a, ProtobufCAllocator *pa, struct arena_local *local)
{
    static_assert(sizeof(struct arena_chunk) < ARENA_LOCAL_BYTES, "room in the local chunk");
    a->pa = pa;
    a->local = (struct arena_chunk *)(void *)local->bytes;
    a->local->next = NULL;
    a->local->used = 0;
    a->local->cap = ARENA_LOCAL_BYTES - sizeof(struct arena_chunk);
    a->head = a->local;
}

static void arena_deinit(struct arena *a)
{
    struct arena_chunk *c = a->head;
    while (c != NULL) {
        struct arena_chunk *next = c->next;
        if (c != a->local)
            pa_free(a->pa, c);
        c = next;
    }
    a->head = NULL;
}

/* Returns bytes of aligned memory, or NULL when the allocator fails. */
static void *arena_alloc(struct arena *a, size_t bytes)
{
    if (bytes > SIZE_MAX - 2 * ARENA_ALIGN_BYTES - sizeof(struct arena_chunk))
        return NULL;
    size_t need = (bytes + ARENA_ALIGN_BYTES - 1) & ~(size_t)(ARENA_ALIGN_BYTES - 1);
    struct arena_chunk *c = a->head;
    if (c == NULL || c->cap - c->used < need) {
        /* Each chunk twice the one before (up to ARENA_CHUNK_BYTES_MAX): a
         * big text costs few allocations, a small one none or one. */
        size_t cap = c == NULL || c->cap < ARENA_CHUNK_BYTES ? ARENA_CHUNK_BYTES : c->cap * 2;
        if (cap > ARENA_CHUNK_BYTES_MAX)
            cap = ARENA_CHUNK_BYTES_MAX;
        if (need > cap)
            cap = need;
        c = pa_alloc(a->pa, sizeof(*c) + cap);
        if (c == NULL)
            return NULL;
        c->used = 0;
        c->cap = cap;
        c->next = a->head;
        a->head = c;
    }
    void *p = c->data + c->used;
    c->used += need;
    return p;
}

/* ------------------------------------------------------------------ */
/* 2. Bounded text                                                     */
/* ------------------------------------------------------------------ */

/* Appends to a fixed buffer, always NUL-terminated; past the end it cuts. */
struct text {
    char *buf;
    size_t cap; /* bytes of buf, room for the NUL included */
    size_t len;
    int cut;
};

static void text_init(struct text *t, char *buf, size_t cap)
{
    MC_ASSERT(cap > 0);
    t->buf = buf;
    t->cap = cap;
    t->len = 0;
    t->cut = 0;
    buf[0] = '\0';
}

static void text_bytes(struct text *t, const void *data, size_t n)
{
    size_t room = t->cap - 1 - t->len;
    if (n > room) {
        n = room;
        t->cut = 1;
    }
    memcpy(t->buf + t->len, data, n);
    t->len += n;
    t->buf[t->len] = '\0';
}

static void text_str(struct text *t, const char *s)
{
    text_bytes(t, s, strlen(s));
}

static void text_fmt(struct text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void text_fmt(struct text *t, const char *fmt, ...)
{
    char tmp[128];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    MC_ASSERT(n >= 0 && (size_t)n < sizeof(tmp));
    text_bytes(t, tmp, (size_t)n);
}

/*
 * v in decimal as printf's PRIu64 writes it, into buf (20 bytes at least);
 * returns the length. Every number the encoder writes and every index in a
 * decoder's path goes through here: printf cost more than the rest.
 */
static size_t u64_text(uint64_t v, char *buf)
{
    char rev[20];
    size_t n = 0;
    do {
        rev[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v != 0);
    for (size_t i = 0; i < n; i++)
        buf[i] = rev[n - 1 - i];
    return n;
}

/* v in decimal as printf's PRId64 writes it, into buf (21 bytes at least). */
static size_t i64_text(int64_t v, char *buf)
{
    if (v >= 0)
        return u64_text((uint64_t)v, buf);
    buf[0] = '-';
    return 1 + u64_text(0u - (uint64_t)v, buf + 1);
}

/* ------------------------------------------------------------------ */
/* 3. The JSON tree and picojson's parser                              */
/* ------------------------------------------------------------------ */

enum jkind { JK_NULL, JK_BOOL, JK_INT, JK_UINT, JK_REAL, JK_STRING, JK_ARRAY, JK_OBJECT };

#define NO_OFFSET UINT64_MAX
#define NODE_NO_OFFSET UINT32_MAX

static_assert(MC_PBJSON_INPUT_BYTES_MAX < NODE_NO_OFFSET, "a node's offset fits 32 bits");

struct jmember;
struct jchunk;

/*
 * A JSON value as stout holds it. Numbers keep stout's distinction: an
 * integer that fits int64 (JK_INT), or a double (JK_REAL). JK_UINT is our
 * addition: an unsigned integer above INT64_MAX, kept exactly, with the
 * double Mesos would hold beside it.
 */
struct jnode {
    int kind;        /* enum jkind */
    uint32_t offset; /* in the input text, NODE_NO_OFFSET when not from text */
    union {
        int boolean;
        int64_t i;
        struct {
            uint64_t u;
            double d;
        } big;
        double d;
        struct {
            const char *bytes; /* NUL-terminated, may also hold NULs */
            size_t len;
        } s;
        struct {
            struct jchunk *first; /* the items, in chunks (see jchunk) */
            size_t count;
        } a;
        struct {
            struct jmember *members; /* sorted by key, keys unique */
            size_t count;
        } o;
    } v;
};

struct jmember {
    const char *key; /* NUL-terminated, may also hold NULs */
    size_t key_len;
    size_t order; /* position in the input, to keep the last duplicate */
    struct jnode value;
};

/*
 * Elements are gathered in arena chunks while an array or object is read,
 * each chunk twice the size of the one before up to JCHUNK_ITEMS_MAX, so
 * that a huge array costs little more than its nodes and a small one
 * little more than one short chunk. Arrays keep their chunks; objects are
 * copied into one sorted block.
 */
#define JCHUNK_ITEMS_MIN 4u
#define JCHUNK_ITEMS_MAX 1024u

struct jchunk {
    struct jchunk *next;
    size_t count;
    size_t cap;
    _Alignas(16) unsigned char data[];
};

static const struct jnode *jchunk_items(const struct jchunk *c)
{
    return (const struct jnode *)(const void *)c->data;
}

static uint64_t node_offset(const struct jnode *n)
{
    return n->offset == NODE_NO_OFFSET ? NO_OFFSET : n->offset;
}

static int member_cmp(const void *pa, const void *pb)
{
    const struct jmember *a = pa, *b = pb;
    size_t n = a->key_len < b->key_len ? a->key_len : b->key_len;
    int c = memcmp(a->key, b->key, n);
    if (c != 0)
        return c;
    if (a->key_len != b->key_len)
        return a->key_len < b->key_len ? -1 : 1;
    return a->order < b->order ? -1 : (a->order > b->order ? 1 : 0);
}

/* Objects up to this many members are sorted in place; most have a handful. */
#define MEMBERS_INSERTION_MAX 16u

/*
 * Orders members by key bytes, as std::map<std::string> iterates, and keeps
 * only the last of equal keys, as repeated assignment into the map does.
 */
static void members_sort(struct jmember *m, size_t *count)
{
    size_t n = *count;
    if (n < 2)
        return;
    if (n <= MEMBERS_INSERTION_MAX) {
        /* member_cmp is a total order (order breaks ties): any sort gives qsort's result. */
        for (size_t i = 1; i < n; i++) {
            if (member_cmp(&m[i - 1], &m[i]) <= 0)
                continue;
            struct jmember x = m[i];
            size_t j = i;
            for (; j > 0 && member_cmp(&m[j - 1], &x) > 0; j--)
                m[j] = m[j - 1];
            m[j] = x;
        }
    } else {
        qsort(m, n, sizeof(*m), member_cmp);
    }
    size_t out = 0;
    for (size_t i = 0; i < n; i++) {
        int last_of_run = i + 1 == n || m[i].key_len != m[i + 1].key_len ||
                          memcmp(m[i].key, m[i + 1].key, m[i].key_len) != 0;
        if (last_of_run)
            m[out++] = m[i];
    }
    *count = out;
}

static_assert(sizeof(intmax_t) == sizeof(int64_t), "picojson's int64 is strtoimax's range");

enum pj_failure { PJ_OK, PJ_SYNTAX, PJ_RANGE, PJ_NOMEM };

/*
 * The parser's state mirrors picojson's input class: one character may be
 * pushed back, and the line count goes up when the character after a
 * newline is read. Mesos' error text depends on both, so they are kept
 * exactly. Each parse function returns 1 on success and 0 on failure; a
 * failure other than a syntax error is noted in `failure`.
 */
struct pj {
    const unsigned char *begin;
    const unsigned char *cur;
    const unsigned char *end;
    int last_ch;
    int ungot;
    int line;
    int failure;          /* enum pj_failure */
    int depth_exceeded;   /* the syntax error is the nesting limit */
    uint64_t range_offset; /* where the out-of-range number starts */
    struct arena *arena;
    /* A scratch buffer for strings and numbers being read: scratch_local
     * until something longer comes. */
    unsigned char *scratch;
    size_t scratch_len;
    size_t scratch_cap;
    unsigned char scratch_local[128];
};

static void pj_init(struct pj *p, const char *text, size_t len, struct arena *arena)
{
    memset(p, 0, sizeof(*p));
    p->begin = (const unsigned char *)text;
    p->cur = p->begin;
    p->end = p->begin + len;
    p->last_ch = -1;
    p->line = 1;
    p->arena = arena;
    p->scratch = p->scratch_local;
    p->scratch_cap = sizeof(p->scratch_local);
}

static void pj_deinit(struct pj *p)
{
    if (p->scratch != p->scratch_local)
        pa_free(p->arena->pa, p->scratch);
    p->scratch = NULL;
}

static int pj_getc(struct pj *p)
{
    if (p->ungot) {
        p->ungot = 0;
        return p->last_ch;
    }
    if (p->cur == p->end) {
        p->last_ch = -1;
        return -1;
    }
    if (p->last_ch == '\n')
        p->line++;
    p->last_ch = *p->cur++;
    return p->last_ch;
}

static void pj_ungetc(struct pj *p)
{
    if (p->last_ch != -1) {
        MC_ASSERT(!p->ungot);
        p->ungot = 1;
    }
}

/* The offset of the next character pj_getc returns. */
static uint64_t pj_pos(const struct pj *p)
{
    return (uint64_t)(p->cur - p->begin) - (p->ungot ? 1u : 0u);
}

static void pj_skip_ws(struct pj *p)
{
    for (;;) {
        int ch = pj_getc(p);
        if (!(ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r')) {
            pj_ungetc(p);
            return;
        }
    }
}

static int pj_expect(struct pj *p, int want)
{
    pj_skip_ws(p);
    if (pj_getc(p) != want) {
        pj_ungetc(p);
        return 0;
    }
    return 1;
}

static int pj_match(struct pj *p, const char *pattern)
{
    for (const char *c = pattern; *c != '\0'; c++) {
        if (pj_getc(p) != *c) {
            pj_ungetc(p);
            return 0;
        }
    }
    return 1;
}

static int pj_nomem(struct pj *p)
{
    p->failure = PJ_NOMEM;
    return 0;
}

/* Appends n bytes to the scratch buffer, which stays NUL-terminated. */
static int pj_scratch_append(struct pj *p, const unsigned char *bytes, size_t n)
{
    if (n >= p->scratch_cap - p->scratch_len) {
        size_t cap = p->scratch_cap * 2;
        while (n >= cap - p->scratch_len)
            cap *= 2;
        unsigned char *grown = pa_alloc(p->arena->pa, cap);
        if (grown == NULL)
            return pj_nomem(p);
        if (p->scratch_len > 0)
            memcpy(grown, p->scratch, p->scratch_len);
        if (p->scratch != p->scratch_local)
            pa_free(p->arena->pa, p->scratch);
        p->scratch = grown;
        p->scratch_cap = cap;
    }
    memcpy(p->scratch + p->scratch_len, bytes, n);
    p->scratch_len += n;
    p->scratch[p->scratch_len] = '\0';
    return 1;
}

static int pj_scratch_push(struct pj *p, int byte)
{
    unsigned char b = (unsigned char)byte;
    return pj_scratch_append(p, &b, 1);
}

/* Whether pj_getc returns the byte c as it is inside a string (no escape, no end). */
static int pj_plain_string_byte(unsigned char c)
{
    return c >= ' ' && c != '"' && c != '\\';
}

/*
 * Takes the run of plain string bytes that follows, at once, leaving the
 * state as reading them one by one with pj_getc would: none is a newline,
 * so the line count stays, and the last one is the last character read.
 * Returns where the run starts and sets *n; nothing is taken while a
 * character is pushed back or the last one read is a newline.
 */
static const unsigned char *pj_plain_run(struct pj *p, size_t *n)
{
    const unsigned char *run = p->cur;
    if (p->ungot || p->last_ch == '\n') {
        *n = 0;
        return run;
    }
    const unsigned char *e = run;
    while (e < p->end && pj_plain_string_byte(*e))
        e++;
    *n = (size_t)(e - run);
    if (e > run) {
        p->cur = e;
        p->last_ch = e[-1];
    }
    return run;
}

/* Copies the scratch buffer into the arena, NUL-terminated. */
static const char *pj_scratch_keep(struct pj *p)
{
    char *s = arena_alloc(p->arena, p->scratch_len + 1);
    if (s == NULL) {
        pj_nomem(p);
        return NULL;
    }
    if (p->scratch_len > 0)
        memcpy(s, p->scratch, p->scratch_len);
    s[p->scratch_len] = '\0';
    return s;
}

/* Four hex digits, or -1 (picojson pushes back a non-hex character). */
static int pj_quadhex(struct pj *p)
{
    int value = 0;
    for (int i = 0; i < 4; i++) {
        int hex = pj_getc(p);
        if (hex == -1)
            return -1;
        if (hex >= '0' && hex <= '9')
            hex -= '0';
        else if (hex >= 'A' && hex <= 'F')
            hex -= 'A' - 10;
        else if (hex >= 'a' && hex <= 'f')
            hex -= 'a' - 10;
        else {
            pj_ungetc(p);
            return -1;
        }
        value = value * 16 + hex;
    }
    return value;
}

/* The UTF-8 bytes of one code point, as picojson writes them. */
static int pj_scratch_utf8(struct pj *p, int cp)
{
    if (cp < 0x80)
        return pj_scratch_push(p, cp);
    if (cp < 0x800)
        return pj_scratch_push(p, 0xc0 | (cp >> 6)) && pj_scratch_push(p, 0x80 | (cp & 0x3f));
    if (cp < 0x10000)
        return pj_scratch_push(p, 0xe0 | (cp >> 12)) &&
               pj_scratch_push(p, 0x80 | ((cp >> 6) & 0x3f)) &&
               pj_scratch_push(p, 0x80 | (cp & 0x3f));
    return pj_scratch_push(p, 0xf0 | (cp >> 18)) &&
           pj_scratch_push(p, 0x80 | ((cp >> 12) & 0x3f)) &&
           pj_scratch_push(p, 0x80 | ((cp >> 6) & 0x3f)) && pj_scratch_push(p, 0x80 | (cp & 0x3f));
}

/* After "\u": one code point, or a surrogate pair. */
static int pj_codepoint(struct pj *p)
{
    int cp = pj_quadhex(p);
    if (cp == -1)
        return 0;
    if (cp >= 0xd800 && cp <= 0xdfff) {
        if (cp >= 0xdc00)
            return 0; /* a low surrogate first */
        if (pj_getc(p) != '\\' || pj_getc(p) != 'u') {
            pj_ungetc(p);
            return 0;
        }
        int low = pj_quadhex(p);
        if (!(low >= 0xdc00 && low <= 0xdfff))
            return 0;
        cp = (((cp - 0xd800) << 10) | ((low - 0xdc00) & 0x3ff)) + 0x10000;
    }
    return pj_scratch_utf8(p, cp);
}

static int pj_escape(struct pj *p)
{
    int ch = pj_getc(p);
    switch (ch) {
    case '"':
    case '\\':
    case '/':
        return pj_scratch_push(p, ch);
    case 'b':
        return pj_scratch_push(p, '\b');
    case 'f':
        return pj_scratch_push(p, '\f');
    case 'n':
        return pj_scratch_push(p, '\n');
    case 'r':
        return pj_scratch_push(p, '\r');
    case 't':
        return pj_scratch_push(p, '\t');
    case 'u':
        return pj_codepoint(p);
    default:
        return 0; /* an unknown escape or the end; nothing is pushed back */
    }
}

/* The rest of a string, appended to the scratch buffer. */
static int pj_string_rest(struct pj *p)
{
    for (;;) {
        size_t n;
        const unsigned char *run = pj_plain_run(p, &n);
        if (n > 0 && !pj_scratch_append(p, run, n))
            return 0;
        int ch = pj_getc(p);
        if (ch < ' ') {
            pj_ungetc(p);
            return 0;
        }
        if (ch == '"')
            return 1;
        if (ch == '\\') {
            if (!pj_escape(p))
                return 0;
        } else if (!pj_scratch_push(p, ch)) {
            return 0;
        }
    }
}

/*
 * The rest of a string after its opening quote. Most strings have no
 * escape: such a one is left where it is in the input (*plain, *n bytes),
 * to be copied once; any other is assembled in the scratch buffer (*plain
 * is then NULL).
 */
static int pj_string_read(struct pj *p, const unsigned char **plain, size_t *n)
{
    const unsigned char *run = pj_plain_run(p, n);
    if (!p->ungot && p->cur < p->end && *p->cur == '"') {
        pj_getc(p); /* the closing quote */
        *plain = run;
        return 1;
    }
    *plain = NULL;
    p->scratch_len = 0;
    return (*n == 0 || pj_scratch_append(p, run, *n)) && pj_string_rest(p);
}

/* The string pj_string_read read, copied into the arena (NUL-terminated). */
static const char *pj_string_keep(struct pj *p, const unsigned char *plain, size_t *n)
{
    if (plain == NULL) {
        *n = p->scratch_len;
        return pj_scratch_keep(p);
    }
    char *s = arena_alloc(p->arena, *n + 1);
    if (s == NULL) {
        pj_nomem(p);
        return NULL;
    }
    if (*n > 0)
        memcpy(s, plain, *n);
    s[*n] = '\0';
    return s;
}

static int pj_string(struct pj *p, struct jnode *node)
{
    const unsigned char *plain;
    size_t len;
    if (!pj_string_read(p, &plain, &len))
        return 0;
    const char *s = pj_string_keep(p, plain, &len);
    if (s == NULL)
        return 0;
    node->kind = JK_STRING;
    node->v.s.bytes = s;
    node->v.s.len = len;
    return 1;
}

static int is_all_digits(const char *s)
{
    for (; *s != '\0'; s++) {
        if (*s < '0' || *s > '9')
            return 0;
    }
    return 1;
}

/* The characters picojson takes into a number: [0-9+-eE.]. */
static int pj_number_byte(int ch)
{
    return (ch >= '0' && ch <= '9') || ch == '+' || ch == '-' || ch == 'e' || ch == 'E' ||
           ch == '.';
}

/*
 * A number, as picojson reads it: every following character among
 * [0-9+-eE.] is taken, then the text must be wholly an int64 (strtoimax)
 * or wholly a double (strtod). A double that overflows is the exception
 * stout reports as "Value out of range".
 */
static int pj_number(struct pj *p, struct jnode *node)
{
    p->scratch_len = 0;
    int first = pj_getc(p);
    MC_ASSERT(pj_number_byte(first)); /* the caller saw a digit or '-' and pushed it back */
    if (!pj_scratch_push(p, first))
        return 0;
    /* The rest at once: no newline among them, so the line count stays. */
    const unsigned char *run = p->cur, *e = run;
    while (e < p->end && pj_number_byte(*e))
        e++;
    if (e > run) {
        if (!pj_scratch_append(p, run, (size_t)(e - run)))
            return 0;
        p->cur = e;
        p->last_ch = e[-1];
    }
    /* The character after it is read and pushed back, as picojson does. */
    pj_getc(p);
    pj_ungetc(p);
    const char *s = (const char *)p->scratch;
    const char *end = s + p->scratch_len;
    char *endp;
    errno = 0;
    intmax_t iv = strtoimax(s, &endp, 10);
    if (errno == 0 && endp == end) {
        node->kind = JK_INT;
        node->v.i = (int64_t)iv;
        return 1;
    }
    double d = strtod(s, &endp);
    if (endp != end)
        return 0;
    if (isinf(d) || isnan(d)) {
        p->failure = PJ_RANGE;
        p->range_offset = node_offset(node);
        return 0;
    }
    node->kind = JK_REAL;
    node->v.d = d;
    if (is_all_digits(s)) {
        errno = 0;
        unsigned long long u = strtoull(s, &endp, 10);
        if (errno == 0 && endp == end) {
            node->kind = JK_UINT;
            node->v.big.u = (uint64_t)u;
            node->v.big.d = d;
        }
    }
    return 1;
}

static int pj_value(struct pj *p, struct jnode *node, int depth_left);

/* A zeroed slot for one more element after *tail, or NULL when memory runs out. */
static void *jchunk_push(struct arena *a, struct jchunk **first, struct jchunk **tail,
                         size_t size)
{
    struct jchunk *t = *tail;
    if (t == NULL || t->count == t->cap) {
        size_t cap = t == NULL ? JCHUNK_ITEMS_MIN
                               : (t->cap < JCHUNK_ITEMS_MAX ? t->cap * 2 : JCHUNK_ITEMS_MAX);
        struct jchunk *c = arena_alloc(a, sizeof(*c) + cap * size);
        if (c == NULL)
            return NULL;
        c->next = NULL;
        c->count = 0;
        c->cap = cap;
        if (t == NULL)
            *first = c;
        else
            t->next = c;
        *tail = t = c;
    }
    void *slot = t->data + t->count * size;
    memset(slot, 0, size);
    return slot;
}

static int pj_array(struct pj *p, struct jnode *node, int depth_left)
{
    if (depth_left <= 0) {
        p->depth_exceeded = 1;
        return 0;
    }
    node->kind = JK_ARRAY;
    node->v.a.first = NULL;
    node->v.a.count = 0;
    if (pj_expect(p, ']'))
        return 1;
    struct jchunk *tail = NULL;
    do {
        struct jnode *item = jchunk_push(p->arena, &node->v.a.first, &tail, sizeof(*item));
        if (item == NULL)
            return pj_nomem(p);
        if (!pj_value(p, item, depth_left - 1))
            return 0;
        tail->count++;
        node->v.a.count++;
    } while (pj_expect(p, ','));
    return pj_expect(p, ']');
}

static int pj_member(struct pj *p, struct jmember *m, size_t order, int depth_left)
{
    const unsigned char *plain;
    if (!pj_expect(p, '"') || !pj_string_read(p, &plain, &m->key_len) || !pj_expect(p, ':'))
        return 0;
    m->key = pj_string_keep(p, plain, &m->key_len);
    if (m->key == NULL)
        return 0;
    m->order = order;
    return pj_value(p, &m->value, depth_left);
}

/* Copies gathered members into one block, then sorts it (members_sort). */
static int pj_members_keep(struct pj *p, struct jnode *node, const struct jchunk *first,
                           size_t count)
{
    struct jmember *all = arena_alloc(p->arena, count * sizeof(*all));
    if (all == NULL)
        return pj_nomem(p);
    size_t n = 0;
    for (const struct jchunk *c = first; c != NULL; c = c->next) {
        memcpy(all + n, c->data, c->count * sizeof(*all));
        n += c->count;
    }
    MC_ASSERT(n == count);
    members_sort(all, &n);
    node->v.o.members = all;
    node->v.o.count = n;
    return 1;
}

static int pj_object(struct pj *p, struct jnode *node, int depth_left)
{
    if (depth_left <= 0) {
        p->depth_exceeded = 1;
        return 0;
    }
    node->kind = JK_OBJECT;
    node->v.o.members = NULL;
    node->v.o.count = 0;
    if (pj_expect(p, '}'))
        return 1;
    struct jchunk *first = NULL, *tail = NULL;
    size_t count = 0;
    do {
        struct jmember *m = jchunk_push(p->arena, &first, &tail, sizeof(*m));
        if (m == NULL)
            return pj_nomem(p);
        if (!pj_member(p, m, count, depth_left - 1))
            return 0;
        tail->count++;
        count++;
    } while (pj_expect(p, ','));
    return pj_expect(p, '}') && pj_members_keep(p, node, first, count);
}

static int pj_value(struct pj *p, struct jnode *node, int depth_left)
{
    pj_skip_ws(p);
    node->offset = (uint32_t)pj_pos(p);
    node->kind = JK_NULL;
    int ch = pj_getc(p);
    switch (ch) {
    case 'n':
        return pj_match(p, "ull");
    case 'f':
        node->kind = JK_BOOL;
        node->v.boolean = 0;
        return pj_match(p, "alse");
    case 't':
        node->kind = JK_BOOL;
        node->v.boolean = 1;
        return pj_match(p, "rue");
    case '"':
        return pj_string(p, node);
    case '[':
        return pj_array(p, node, depth_left);
    case '{':
        return pj_object(p, node, depth_left);
    default:
        if ((ch >= '0' && ch <= '9') || ch == '-') {
            pj_ungetc(p);
            return pj_number(p, node);
        }
        break;
    }
    pj_ungetc(p);
    return 0;
}

/*
 * The result of parsing one JSON text as stout's JSON::parse does: a tree,
 * or Mesos' reason text plus where it happened.
 */
struct pj_result {
    int failure;          /* enum pj_failure */
    uint64_t offset;      /* where the failure is */
    uint64_t near_offset; /* PJ_SYNTAX: where "near: " starts */
    int near_line;        /* PJ_SYNTAX from picojson: its line */
    int depth_exceeded;
    int trailing;         /* the text after the value is the failure */
};

/* The characters picojson quotes after "near: ": the rest of the line. */
static void near_text(struct text *t, const unsigned char *s, const unsigned char *end)
{
    for (; s < end && *s != '\n'; s++) {
        if (*s >= ' ')
            text_bytes(t, s, 1);
    }
}

/* Where the last character that is not stout's whitespace ends, or 0. */
static size_t visible_end(const unsigned char *s, size_t len)
{
    while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t' || s[len - 1] == '\n' ||
                       s[len - 1] == '\r'))
        len--;
    return len;
}

/*
 * Parses text into root and, on failure, writes Mesos' reason into t:
 * picojson's syntax error, stout's "Value out of range", or stout's check
 * that nothing but whitespace follows the value. picojson's cursor has
 * already passed the one character it pushed back, so stout's check counts
 * that character as parsed ("12x" reads as 12); this is reproduced, odd as
 * it is.
 */
static int pj_parse_text(struct arena *arena, const char *text, size_t len, struct jnode *root,
                         struct text *t, struct pj_result *res)
{
    struct pj p;
    pj_init(&p, text, len, arena);
    memset(res, 0, sizeof(*res));
    int ok = pj_value(&p, root, MC_PBJSON_NESTING_MAX);
    pj_deinit(&p);
    if (!ok && p.failure == PJ_OK)
        p.failure = PJ_SYNTAX;
    res->failure = p.failure;
    res->depth_exceeded = p.depth_exceeded;
    if (p.failure == PJ_NOMEM)
        return 0;
    if (p.failure == PJ_RANGE) {
        res->offset = p.range_offset;
        res->near_offset = UINT64_MAX;
        text_str(t, "Value out of range");
        return 0;
    }
    if (p.failure == PJ_SYNTAX) {
        res->offset = pj_pos(&p);
        res->near_offset = res->offset;
        res->near_line = p.line;
        text_fmt(t, "syntax error at line %d near: ", p.line);
        near_text(t, p.begin + res->offset, p.end);
        return 0;
    }
    size_t parsed = (size_t)(p.cur - p.begin);
    size_t visible = visible_end(p.begin, len);
    if (parsed != visible) {
        res->failure = PJ_SYNTAX;
        res->offset = parsed;
        res->near_offset = parsed;
        res->trailing = 1;
        text_str(t, "Parsed JSON included non-whitespace trailing characters: ");
        size_t n = parsed < visible ? visible - parsed : len - parsed;
        text_bytes(t, p.begin + parsed, n);
        return 0;
    }
    return 1;
}

/* ------------------------------------------------------------------ */
/* 3b. jansson values into the same tree                               */
/* ------------------------------------------------------------------ */

static int from_jansson(struct arena *a, const json_t *j, struct jnode *node, int depth_left);

static int from_jansson_object(struct arena *a, const json_t *j, struct jnode *node,
                               int depth_left)
{
    size_t n = json_object_size(j);
    node->kind = JK_OBJECT;
    node->v.o.count = 0;
    node->v.o.members = n == 0 ? NULL : arena_alloc(a, n * sizeof(struct jmember));
    if (n > 0 && node->v.o.members == NULL)
        return MC_ENOMEM;
    /* jansson's iterator does not change the object; its API is not const. */
    json_t *obj = (json_t *)j;
    for (void *it = json_object_iter(obj); it != NULL; it = json_object_iter_next(obj, it)) {
        MC_ASSERT(node->v.o.count < n);
        struct jmember *m = &node->v.o.members[node->v.o.count];
        m->key = json_object_iter_key(it);
        m->key_len = json_object_iter_key_len(it);
        m->order = node->v.o.count;
        int rc = from_jansson(a, json_object_iter_value(it), &m->value, depth_left - 1);
        if (rc != 0)
            return rc;
        node->v.o.count++;
    }
    members_sort(node->v.o.members, &node->v.o.count);
    return 0;
}

static int from_jansson_array(struct arena *a, const json_t *j, struct jnode *node,
                              int depth_left)
{
    size_t n = json_array_size(j);
    node->kind = JK_ARRAY;
    node->v.a.count = n;
    node->v.a.first = NULL;
    if (n == 0)
        return 0;
    /* One chunk holding every item. */
    if (n > (SIZE_MAX - sizeof(struct jchunk)) / sizeof(struct jnode))
        return MC_ENOMEM;
    struct jchunk *c = arena_alloc(a, sizeof(*c) + n * sizeof(struct jnode));
    if (c == NULL)
        return MC_ENOMEM;
    c->next = NULL;
    c->count = n;
    c->cap = n;
    node->v.a.first = c;
    struct jnode *items = (struct jnode *)(void *)c->data;
    for (size_t i = 0; i < n; i++) {
        int rc = from_jansson(a, json_array_get(j, i), &items[i], depth_left - 1);
        if (rc != 0)
            return rc;
    }
    return 0;
}

/* Returns 0, MC_ENOMEM, or MC_ELIMIT when nested deeper than our limit. */
static int from_jansson(struct arena *a, const json_t *j, struct jnode *node, int depth_left)
{
    node->offset = NODE_NO_OFFSET;
    node->kind = JK_NULL;
    switch (json_typeof(j)) {
    case JSON_OBJECT:
        if (depth_left <= 0)
            return MC_ELIMIT;
        return from_jansson_object(a, j, node, depth_left);
    case JSON_ARRAY:
        if (depth_left <= 0)
            return MC_ELIMIT;
        return from_jansson_array(a, j, node, depth_left);
    case JSON_STRING:
        node->kind = JK_STRING;
        node->v.s.bytes = json_string_value(j);
        node->v.s.len = json_string_length(j);
        return 0;
    case JSON_INTEGER:
        node->kind = JK_INT;
        node->v.i = (int64_t)json_integer_value(j);
        return 0;
    case JSON_REAL:
        node->kind = JK_REAL;
        node->v.d = json_real_value(j);
        return 0;
    case JSON_TRUE:
    case JSON_FALSE:
        node->kind = JK_BOOL;
        node->v.boolean = json_is_true(j);
        return 0;
    case JSON_NULL:
        return 0;
    }
    MC_UNREACHABLE();
}

/* ------------------------------------------------------------------ */
/* 4. JSON tree -> message (stout's protobuf::parse)                    */
/* ------------------------------------------------------------------ */

#define MEMBER(msg, off) ((void *)((char *)(msg) + (off)))
#define CMEMBER(msg, off) ((const void *)((const char *)(msg) + (off)))

/* A required field that was set, remembered by the address of its member. */
struct req_mark {
    struct req_mark *next;
    uintptr_t addr;
};

struct conv {
    ProtobufCAllocator *pa;
    struct arena *arena;
    struct pbjson_error *err;
    const char *text; /* the input text, for line and column; NULL for jansson */
    size_t text_len;
    char path[MC_FIELD_PATH_BYTES_MAX];
    size_t path_len;
    struct req_mark *marks;
    size_t marks_count;
    /* Required fields of every message made so far (see check_required). */
    size_t required_total;
    /* The first string value that held a NUL (see apply_text). */
    int nul_seen;
    uint64_t nul_offset;
    const char *nul_field;
    char nul_path[MC_FIELD_PATH_BYTES_MAX];
};

/* Where one JSON value goes: a field of a message (and its array room). */
struct target {
    ProtobufCMessage *msg;
    const ProtobufCFieldDescriptor *field;
    size_t cap; /* elements allocated for a repeated field */
};

static size_t elem_size(ProtobufCType type)
{
    switch (type) {
    case PROTOBUF_C_TYPE_INT32:
    case PROTOBUF_C_TYPE_SINT32:
    case PROTOBUF_C_TYPE_SFIXED32:
    case PROTOBUF_C_TYPE_UINT32:
    case PROTOBUF_C_TYPE_FIXED32:
    case PROTOBUF_C_TYPE_ENUM:
        return 4;
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64:
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64:
        return 8;
    case PROTOBUF_C_TYPE_FLOAT:
        return sizeof(float);
    case PROTOBUF_C_TYPE_DOUBLE:
        return sizeof(double);
    case PROTOBUF_C_TYPE_BOOL:
        return sizeof(protobuf_c_boolean);
    case PROTOBUF_C_TYPE_STRING:
        return sizeof(char *);
    case PROTOBUF_C_TYPE_BYTES:
        return sizeof(ProtobufCBinaryData);
    case PROTOBUF_C_TYPE_MESSAGE:
        return sizeof(ProtobufCMessage *);
    }
    MC_UNREACHABLE();
}

static int is_repeated(const ProtobufCFieldDescriptor *f)
{
    return f->label == PROTOBUF_C_LABEL_REPEATED;
}

static int is_oneof(const ProtobufCFieldDescriptor *f)
{
    return (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) != 0;
}

/*
 * Whether entry_name is protoc's name for the entry message of a map field
 * called field_name: the field name in CamelCase (an underscore capitalises
 * the next letter) followed by "Entry".
 */
static int map_entry_name_matches(const char *field_name, const char *entry_name)
{
    int cap_next = 1;
    for (const char *c = field_name; *c != '\0'; c++) {
        if (*c == '_') {
            cap_next = 1;
            continue;
        }
        char want = *c;
        if (cap_next && want >= 'a' && want <= 'z')
            want = (char)(want - 'a' + 'A');
        cap_next = 0;
        if (*entry_name++ != want)
            return 0;
    }
    return strcmp(entry_name, "Entry") == 0;
}

/*
 * protobuf-c has no map flag: a map field is a repeated field of the
 * nested entry message protoc generates for it, which has exactly the
 * fields key = 1 and value = 2 and is named after the field.
 */
static int is_map(const ProtobufCMessageDescriptor *parent, const ProtobufCFieldDescriptor *f)
{
    if (!is_repeated(f) || f->type != PROTOBUF_C_TYPE_MESSAGE)
        return 0;
    const ProtobufCMessageDescriptor *e = f->descriptor;
    if (e->n_fields != 2 || e->fields[0].id != 1 || e->fields[1].id != 2 ||
        strcmp(e->fields[0].name, "key") != 0 || strcmp(e->fields[1].name, "value") != 0)
        return 0;
    /* name is the full name ("pkg.Parent.FieldEntry"); the entry is nested. */
    size_t plen = strlen(parent->name);
    if (strlen(e->name) != plen + 1 + strlen(e->short_name) ||
        strncmp(e->name, parent->name, plen) != 0 || e->name[plen] != '.')
        return 0;
    return map_entry_name_matches(f->name, e->short_name);
}

static ProtobufCMessage *message_new(struct conv *c, const ProtobufCMessageDescriptor *d)
{
    ProtobufCMessage *m = pa_alloc(c->pa, d->sizeof_message);
    if (m == NULL)
        return NULL;
    protobuf_c_message_init(d, m);
    for (unsigned i = 0; i < d->n_fields; i++)
        c->required_total += d->fields[i].label == PROTOBUF_C_LABEL_REQUIRED;
    return m;
}

/* Frees what a singular member owns and zeroes it, as unpack would find it. */
static void member_clear(ProtobufCAllocator *pa, const ProtobufCFieldDescriptor *f, void *member)
{
    if (f->type == PROTOBUF_C_TYPE_STRING) {
        char *s = *(char **)member;
        if (s != NULL && s != f->default_value)
            pa_free(pa, s);
    } else if (f->type == PROTOBUF_C_TYPE_BYTES) {
        const ProtobufCBinaryData *def = f->default_value;
        uint8_t *data = ((ProtobufCBinaryData *)member)->data;
        if (data != NULL && (def == NULL || def->data != data))
            pa_free(pa, data);
    } else if (f->type == PROTOBUF_C_TYPE_MESSAGE) {
        ProtobufCMessage *sm = *(ProtobufCMessage **)member;
        if (sm != NULL && (const void *)sm != f->default_value)
            protobuf_c_message_free_unpacked(sm, pa);
    }
    memset(member, 0, elem_size(f->type));
}

/* Makes f the selected member of its oneof, freeing the one selected before. */
static void oneof_select(struct conv *c, ProtobufCMessage *msg, const ProtobufCFieldDescriptor *f)
{
    uint32_t *which = MEMBER(msg, f->quantifier_offset);
    if (*which == f->id)
        return;
    if (*which != 0) {
        const ProtobufCFieldDescriptor *other =
            protobuf_c_message_descriptor_get_field(msg->descriptor, *which);
        if (other != NULL)
            member_clear(c->pa, other, MEMBER(msg, other->offset));
    }
    memset(MEMBER(msg, f->offset), 0, elem_size(f->type));
    *which = f->id;
}

/* ---- errors and paths ---- */

static int kind_code(int kind)
{
    switch (kind) {
    case PBJSON_ERR_SYNTAX:
    case PBJSON_ERR_CONVERT:
        return MC_EPARSE;
    case PBJSON_ERR_UNSUPPORTED:
        return MC_EUNSUPPORTED;
    case PBJSON_ERR_LIMIT:
        return MC_ELIMIT;
    case PBJSON_ERR_NOMEM:
        return MC_ENOMEM;
    }
    MC_UNREACHABLE();
}

/* Sets line and column of a text position (1-based) in diag. */
static void diag_locate(struct mc_diag *diag, const char *text, size_t len, uint64_t offset)
{
    uint32_t line = 1;
    uint64_t line_start = 0;
    for (uint64_t i = 0; i < offset && i < len; i++) {
        if (text[i] == '\n') {
            line++;
            line_start = i + 1;
        }
    }
    diag->line = line;
    diag->column = (uint32_t)(offset - line_start + 1);
}

/*
 * Completes err once its mesos_text is written (t writes into it): kind,
 * path and our own diag ("<path>: <reason>", at the value's offset).
 * Returns the MC_E* code of the kind.
 */
static int error_finish(struct pbjson_error *err, int kind, const struct text *t,
                        const char *path, uint64_t offset, const char *text, size_t len)
{
    err->kind = kind;
    err->mesos_text_bytes = t->len;
    err->mesos_text_truncated = t->cut;
    snprintf(err->path, sizeof(err->path), "%s", path);
    mc_diag_clear(&err->diag);
    if (offset != NO_OFFSET) {
        mc_diag_set_at(&err->diag, offset, "%s%s%s", path, path[0] != '\0' ? ": " : "",
                       err->mesos_text);
        if (text != NULL)
            diag_locate(&err->diag, text, len, offset);
    } else {
        mc_diag_set(&err->diag, "%s%s%s", path, path[0] != '\0' ? ": " : "", err->mesos_text);
    }
    return kind_code(kind);
}

static void error_text(struct pbjson_error *err, struct text *t)
{
    text_init(t, err->mesos_text, sizeof(err->mesos_text));
}

static int conv_fail(struct conv *c, const struct jnode *at, int kind, const struct text *t)
{
    return error_finish(c->err, kind, t, c->path, node_offset(at), c->text, c->text_len);
}

static int conv_nomem(struct conv *c)
{
    struct text t;
    error_text(c->err, &t);
    text_str(&t, "out of memory");
    return error_finish(c->err, PBJSON_ERR_NOMEM, &t, c->path, NO_OFFSET, NULL, 0);
}

/* "Not expecting a JSON <what> for field '<name>'" */
static int conv_not_expecting(struct conv *c, const struct target *tg, const struct jnode *at,
                              const char *what)
{
    struct text t;
    error_text(c->err, &t);
    text_str(&t, "Not expecting a JSON ");
    text_str(&t, what);
    text_str(&t, " for field '");
    text_str(&t, tg->field->name);
    text_str(&t, "'");
    return conv_fail(c, at, PBJSON_ERR_CONVERT, &t);
}

static void path_append(struct conv *c, const char *s, size_t n)
{
    size_t room = sizeof(c->path) - 1 - c->path_len;
    if (n > room) {
        n = room;
        memcpy(c->path + c->path_len, s, n);
        c->path_len += n;
        /* A cut path says so rather than looking whole. */
        memcpy(c->path + c->path_len - 3, "...", 3);
    } else {
        memcpy(c->path + c->path_len, s, n);
        c->path_len += n;
    }
    c->path[c->path_len] = '\0';
}

static size_t path_push_name(struct conv *c, const char *name, size_t len)
{
    size_t saved = c->path_len;
    if (c->path_len > 0)
        path_append(c, ".", 1);
    path_append(c, name, len);
    return saved;
}

static size_t path_push_index(struct conv *c, size_t index)
{
    size_t saved = c->path_len;
    char buf[32];
    buf[0] = '[';
    size_t n = 1 + u64_text(index, buf + 1);
    buf[n++] = ']';
    path_append(c, buf, n);
    return saved;
}

static void path_pop(struct conv *c, size_t saved)
{
    c->path_len = saved;
    c->path[saved] = '\0';
}

static int mark_required(struct conv *c, ProtobufCMessage *msg, const ProtobufCFieldDescriptor *f)
{
    if (f->label != PROTOBUF_C_LABEL_REQUIRED)
        return 0;
    struct req_mark *m = arena_alloc(c->arena, sizeof(*m));
    if (m == NULL)
        return conv_nomem(c);
    m->addr = (uintptr_t)MEMBER(msg, f->offset);
    m->next = c->marks;
    c->marks = m;
    c->marks_count++;
    return 0;
}

/* ---- storing values ---- */

static size_t *repeated_count(const struct target *tg)
{
    return MEMBER(tg->msg, tg->field->quantifier_offset);
}

static void **repeated_array(const struct target *tg)
{
    return MEMBER(tg->msg, tg->field->offset);
}

/*
 * Stores one value of the field's element type (value points to it: an
 * int32_t, a char *, a ProtobufCBinaryData...). A repeated field appends
 * into the room reserved by repeated_prepare; a singular one replaces what
 * it held and becomes present. Ownership of pointers moves into msg.
 */
static int store_value(struct conv *c, const struct target *tg, const void *value)
{
    const ProtobufCFieldDescriptor *f = tg->field;
    size_t size = elem_size(f->type);
    if (is_repeated(f)) {
        size_t *n = repeated_count(tg);
        MC_ASSERT(*n < tg->cap);
        memcpy((char *)*repeated_array(tg) + *n * size, value, size);
        (*n)++;
        return 0;
    }
    void *member = MEMBER(tg->msg, f->offset);
    if (is_oneof(f))
        oneof_select(c, tg->msg, f);
    member_clear(c->pa, f, member);
    memcpy(member, value, size);
    if (!is_oneof(f) && f->label == PROTOBUF_C_LABEL_OPTIONAL &&
        f->type != PROTOBUF_C_TYPE_STRING && f->type != PROTOBUF_C_TYPE_MESSAGE)
        *(protobuf_c_boolean *)MEMBER(tg->msg, f->quantifier_offset) = 1;
    return mark_required(c, tg->msg, f);
}

/* ---- numbers ---- */

/*
 * C++'s static_cast from double to an integer type is undefined out of
 * range; a Mesos master built by gcc for x86-64 runs cvttsd2si, which
 * yields the "integer indefinite" value (the type's minimum) there, and
 * converts to unsigned types through the signed 64-bit instruction. We
 * compute the same without ever making an out-of-range conversion in C.
 */
static int64_t x86_double_to_i64(double d)
{
    if (d >= -9223372036854775808.0 && d < 9223372036854775808.0)
        return (int64_t)d;
    return INT64_MIN;
}

static int32_t x86_double_to_i32(double d)
{
    if (d > -2147483649.0 && d < 2147483648.0)
        return (int32_t)d;
    return INT32_MIN;
}

static uint32_t x86_double_to_u32(double d)
{
    return (uint32_t)(uint64_t)x86_double_to_i64(d);
}

static uint64_t x86_double_to_u64(double d)
{
    if (d < 9223372036854775808.0)
        return (uint64_t)x86_double_to_i64(d);
    return (uint64_t)x86_double_to_i64(d - 9223372036854775808.0) ^ 0x8000000000000000u;
}

/* Two's complement wrap, as static_cast between integer types does. */
static int32_t wrap_i32(uint32_t u)
{
    return u <= INT32_MAX ? (int32_t)u : (int32_t)(u - 2147483648u) - INT32_MAX - 1;
}

/* The value Mesos holds as a double for a JK_REAL or JK_UINT number. */
static double num_double(const struct jnode *n)
{
    if (n->kind == JK_INT)
        return (double)n->v.i;
    return n->kind == JK_UINT ? n->v.big.d : n->v.d;
}

/*
 * A double narrowed to float with IEEE rounding; values beyond float's
 * range round to the largest float or to an infinity, made explicit here
 * so that no conversion leaves the float range.
 */
static float double_to_float(double d)
{
    if (d >= 0x1.ffffffp127)
        return INFINITY;
    if (d <= -0x1.ffffffp127)
        return -INFINITY;
    if (d > FLT_MAX)
        return FLT_MAX;
    if (d < -FLT_MAX)
        return -FLT_MAX;
    return (float)d;
}

static int apply_number(struct conv *c, const struct target *tg, const struct jnode *n)
{
    int is_int = n->kind == JK_INT;
    union {
        double d;
        float f;
        int32_t i32;
        int64_t i64;
        uint32_t u32;
        uint64_t u64;
    } v;
    switch (tg->field->type) {
    case PROTOBUF_C_TYPE_DOUBLE:
        v.d = num_double(n);
        break;
    case PROTOBUF_C_TYPE_FLOAT:
        v.f = is_int ? (float)n->v.i : double_to_float(num_double(n));
        break;
    case PROTOBUF_C_TYPE_INT32:
    case PROTOBUF_C_TYPE_SINT32:
    case PROTOBUF_C_TYPE_SFIXED32:
        v.i32 = is_int ? wrap_i32((uint32_t)(uint64_t)n->v.i) : x86_double_to_i32(num_double(n));
        break;
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64:
        v.i64 = is_int ? n->v.i : x86_double_to_i64(num_double(n));
        break;
    case PROTOBUF_C_TYPE_UINT32:
    case PROTOBUF_C_TYPE_FIXED32:
        v.u32 = is_int ? (uint32_t)(uint64_t)n->v.i : x86_double_to_u32(num_double(n));
        break;
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64:
        /* Our one exactness gain: Mesos would round a JK_UINT through a double. */
        if (n->kind == JK_UINT)
            v.u64 = n->v.big.u;
        else
            v.u64 = is_int ? (uint64_t)n->v.i : x86_double_to_u64(n->v.d);
        break;
    default:
        return conv_not_expecting(c, tg, n, "number");
    }
    return store_value(c, tg, &v);
}

static int apply_bool(struct conv *c, const struct target *tg, const struct jnode *n)
{
    if (tg->field->type != PROTOBUF_C_TYPE_BOOL)
        return conv_not_expecting(c, tg, n, "boolean");
    protobuf_c_boolean b = n->v.boolean ? 1 : 0;
    return store_value(c, tg, &b);
}

/* ---- strings ---- */

/*
 * Parses the text of a JSON string again as a whole JSON document, as stout
 * does for a string given to a number or bool field, and checks that it is
 * a number (want_bool 0) or a boolean. On failure the reason is
 * "Failed to parse '<s>' as a JSON <number|boolean> for field '<name>':
 * <why>".
 */
static int parse_embedded(struct conv *c, const struct target *tg, const struct jnode *str,
                          int want_bool, struct jnode *out)
{
    char why_buf[MC_PBJSON_MESOS_TEXT_BYTES_MAX];
    struct text why;
    text_init(&why, why_buf, sizeof(why_buf));
    struct pj_result res;
    int ok = pj_parse_text(c->arena, str->v.s.bytes, str->v.s.len, out, &why, &res);
    if (!ok && res.failure == PJ_NOMEM)
        return conv_nomem(c);
    if (ok) {
        int is_number = out->kind == JK_INT || out->kind == JK_UINT || out->kind == JK_REAL;
        if (want_bool ? out->kind == JK_BOOL : is_number) {
            out->offset = str->offset;
            return 0;
        }
        text_str(&why, "Unexpected JSON type parsed");
    }
    struct text t;
    error_text(c->err, &t);
    text_str(&t, "Failed to parse '");
    text_bytes(&t, str->v.s.bytes, str->v.s.len);
    text_str(&t, want_bool ? "' as a JSON boolean for field '" : "' as a JSON number for field '");
    text_str(&t, tg->field->name);
    text_str(&t, "': ");
    text_bytes(&t, why.buf, why.len);
    if (why.cut)
        t.cut = 1;
    return conv_fail(c, str, PBJSON_ERR_CONVERT, &t);
}

static int base64_sextet(unsigned char ch)
{
    if (ch >= 'A' && ch <= 'Z')
        return ch - 'A';
    if (ch >= 'a' && ch <= 'z')
        return ch - 'a' + 26;
    if (ch >= '0' && ch <= '9')
        return ch - '0' + 52;
    if (ch == '+')
        return 62;
    return ch == '/' ? 63 : -1;
}

static int c_isspace(unsigned char ch)
{
    return ch == ' ' || (ch >= '\t' && ch <= '\r');
}

/*
 * stout's base64::decode: whitespace is skipped, the first '=' ends the
 * input, a final group of 2 or 3 characters gives 1 or 2 bytes and a lone
 * final character gives none. out has room for len * 3 / 4 + 3 bytes.
 * Returns the byte count, or -1 with *bad set to the offending character.
 */
static long stout_base64_decode(const unsigned char *s, size_t len, uint8_t *out,
                                unsigned char *bad)
{
    int quad[4];
    int have = 0;
    long n = 0;
    for (size_t i = 0; i < len && s[i] != '='; i++) {
        if (c_isspace(s[i]))
            continue;
        int v = base64_sextet(s[i]);
        if (v < 0) {
            *bad = s[i];
            return -1;
        }
        quad[have++] = v;
        if (have == 4) {
            out[n++] = (uint8_t)((quad[0] << 2) | (quad[1] >> 4));
            out[n++] = (uint8_t)(((quad[1] & 0xf) << 4) | (quad[2] >> 2));
            out[n++] = (uint8_t)(((quad[2] & 0x3) << 6) | quad[3]);
            have = 0;
        }
    }
    if (have >= 2)
        out[n++] = (uint8_t)((quad[0] << 2) | (quad[1] >> 4));
    if (have >= 3)
        out[n++] = (uint8_t)(((quad[1] & 0xf) << 4) | (quad[2] >> 2));
    return n;
}

static int apply_bytes(struct conv *c, const struct target *tg, const struct jnode *str)
{
    size_t len = str->v.s.len;
    uint8_t *data = pa_alloc(c->pa, len / 4 * 3 + 3);
    if (data == NULL)
        return conv_nomem(c);
    unsigned char bad = 0;
    long n = stout_base64_decode((const unsigned char *)str->v.s.bytes, len, data, &bad);
    if (n < 0) {
        pa_free(c->pa, data);
        struct text t;
        error_text(c->err, &t);
        text_str(&t, "Failed to base64 decode bytes field '");
        text_str(&t, tg->field->name);
        text_str(&t, "': Invalid character '");
        text_bytes(&t, &bad, 1);
        text_str(&t, "'");
        return conv_fail(c, str, PBJSON_ERR_CONVERT, &t);
    }
    ProtobufCBinaryData bd = {(size_t)n, data};
    if (n == 0) {
        /* Empty bytes hold no data pointer, as protobuf-c unpacks them. */
        pa_free(c->pa, data);
        bd.data = NULL;
    }
    return store_value(c, tg, &bd);
}

/*
 * A string value. A protobuf-c string ends at its first NUL, so a value
 * holding one cannot be kept whole. Mesos keeps it, so the conversion goes
 * on with the part before the NUL, and the failure is reported only if
 * nothing Mesos would report comes first (decode_tree).
 */
static int apply_text(struct conv *c, const struct target *tg, const struct jnode *str)
{
    size_t len = strlen(str->v.s.bytes);
    if (len != str->v.s.len && !c->nul_seen) {
        c->nul_seen = 1;
        c->nul_offset = node_offset(str);
        c->nul_field = tg->field->name;
        memcpy(c->nul_path, c->path, sizeof(c->nul_path));
    }
    char *s = pa_alloc(c->pa, len + 1);
    if (s == NULL)
        return conv_nomem(c);
    memcpy(s, str->v.s.bytes, len + 1);
    return store_value(c, tg, &s);
}

static int apply_enum(struct conv *c, const struct target *tg, const struct jnode *str)
{
    const ProtobufCEnumValue *ev = NULL;
    if (strlen(str->v.s.bytes) == str->v.s.len)
        ev = protobuf_c_enum_descriptor_get_value_by_name(tg->field->descriptor, str->v.s.bytes);
    if (ev != NULL) {
        int value = ev->value;
        return store_value(c, tg, &value);
    }
    if (tg->field->label != PROTOBUF_C_LABEL_REQUIRED)
        return 0; /* proto2 drops an unknown value: the field stays unset */
    struct text t;
    error_text(c->err, &t);
    text_str(&t, "Failed to find enum for '");
    text_bytes(&t, str->v.s.bytes, str->v.s.len);
    text_str(&t, "'");
    return conv_fail(c, str, PBJSON_ERR_CONVERT, &t);
}

static int str_is(const struct jnode *str, const char *word)
{
    return str->v.s.len == strlen(word) && memcmp(str->v.s.bytes, word, str->v.s.len) == 0;
}

static int apply_string(struct conv *c, const struct target *tg, const struct jnode *str)
{
    struct jnode parsed;
    int rc;
    switch (tg->field->type) {
    case PROTOBUF_C_TYPE_STRING:
        return apply_text(c, tg, str);
    case PROTOBUF_C_TYPE_BYTES:
        return apply_bytes(c, tg, str);
    case PROTOBUF_C_TYPE_ENUM:
        return apply_enum(c, tg, str);
    case PROTOBUF_C_TYPE_BOOL:
        rc = parse_embedded(c, tg, str, 1, &parsed);
        return rc != 0 ? rc : apply_bool(c, tg, &parsed);
    case PROTOBUF_C_TYPE_MESSAGE:
        return conv_not_expecting(c, tg, str, "string");
    case PROTOBUF_C_TYPE_DOUBLE:
    case PROTOBUF_C_TYPE_FLOAT:
        if (str_is(str, "Infinity") || str_is(str, "-Infinity")) {
            parsed.kind = JK_REAL;
            parsed.offset = str->offset;
            parsed.v.d = str->v.s.bytes[0] == '-' ? -INFINITY : INFINITY;
            return apply_number(c, tg, &parsed);
        }
        break;
    default:
        break;
    }
    rc = parse_embedded(c, tg, str, 0, &parsed);
    return rc != 0 ? rc : apply_number(c, tg, &parsed);
}

/* ---- messages, maps and arrays ---- */

static int conv_object(struct conv *c, ProtobufCMessage *msg, const struct jnode *obj);
static int apply_value(struct conv *c, const struct target *tg, const struct jnode *n);

/* Appends a new, empty element message to a repeated message field. */
static ProtobufCMessage *repeated_add_message(struct conv *c, const struct target *tg,
                                              const ProtobufCMessageDescriptor *d)
{
    ProtobufCMessage *sub = message_new(c, d);
    if (sub == NULL)
        return NULL;
    int rc = store_value(c, tg, &sub);
    MC_ASSERT(rc == 0); /* appending into reserved room cannot fail */
    return sub;
}

/* A singular message field, created empty if unset (stout's MutableMessage). */
static int mutable_message(struct conv *c, const struct target *tg, ProtobufCMessage **out)
{
    const ProtobufCFieldDescriptor *f = tg->field;
    if (is_oneof(f))
        oneof_select(c, tg->msg, f);
    ProtobufCMessage **slot = MEMBER(tg->msg, f->offset);
    if (*slot == NULL) {
        *slot = message_new(c, f->descriptor);
        if (*slot == NULL)
            return conv_nomem(c);
    }
    *out = *slot;
    return mark_required(c, tg->msg, f);
}

/*
 * A map entry is complete once key and value are both present: protobuf
 * gives a missing value its default, and the encoder writes it, so doing
 * it here keeps decode(encode(m)) equal to m.
 */
static int map_entry_complete(struct conv *c, ProtobufCMessage *entry)
{
    for (unsigned i = 0; i < 2; i++) {
        const ProtobufCFieldDescriptor *f = &entry->descriptor->fields[i];
        void *member = MEMBER(entry, f->offset);
        if (f->type == PROTOBUF_C_TYPE_MESSAGE || f->type == PROTOBUF_C_TYPE_STRING) {
            if (*(void **)member != NULL && *(void **)member != f->default_value)
                continue;
            void *fresh = f->type == PROTOBUF_C_TYPE_MESSAGE ? (void *)message_new(c, f->descriptor)
                                                             : pa_alloc(c->pa, 1);
            if (fresh == NULL)
                return conv_nomem(c);
            if (f->type == PROTOBUF_C_TYPE_STRING)
                *(char *)fresh = '\0';
            *(void **)member = fresh;
        } else if (f->label == PROTOBUF_C_LABEL_OPTIONAL) {
            *(protobuf_c_boolean *)MEMBER(entry, f->quantifier_offset) = 1;
        }
    }
    return 0;
}

/* One "key": value member of a JSON object given to a map field. */
static int apply_map_member(struct conv *c, const struct target *tg, const struct jmember *m,
                            const struct jnode *obj)
{
    const ProtobufCMessageDescriptor *ed = tg->field->descriptor;
    size_t index = *repeated_count(tg);
    ProtobufCMessage *entry = repeated_add_message(c, tg, ed);
    if (entry == NULL)
        return conv_nomem(c);
    size_t saved = path_push_index(c, index);
    struct jnode key = {.kind = JK_STRING, .offset = obj->offset};
    key.v.s.bytes = m->key;
    key.v.s.len = m->key_len;
    struct target kt = {entry, &ed->fields[0], 0};
    struct target vt = {entry, &ed->fields[1], 0};
    size_t inner = path_push_name(c, "key", 3);
    int rc = apply_value(c, &kt, &key);
    path_pop(c, inner);
    if (rc == 0) {
        inner = path_push_name(c, "value", 5);
        rc = apply_value(c, &vt, &m->value);
        path_pop(c, inner);
    }
    if (rc == 0)
        rc = map_entry_complete(c, entry);
    path_pop(c, saved);
    return rc;
}

static int apply_object(struct conv *c, const struct target *tg, const struct jnode *obj)
{
    const ProtobufCFieldDescriptor *f = tg->field;
    if (f->type != PROTOBUF_C_TYPE_MESSAGE)
        return conv_not_expecting(c, tg, obj, "object");
    if (is_map(tg->msg->descriptor, f)) {
        for (size_t i = 0; i < obj->v.o.count; i++) {
            int rc = apply_map_member(c, tg, &obj->v.o.members[i], obj);
            if (rc != 0)
                return rc;
        }
        return 0;
    }
    ProtobufCMessage *sub = NULL;
    if (is_repeated(f)) {
        size_t index = *repeated_count(tg);
        sub = repeated_add_message(c, tg, f->descriptor);
        if (sub == NULL)
            return conv_nomem(c);
        size_t saved = path_push_index(c, index);
        int rc = conv_object(c, sub, obj);
        path_pop(c, saved);
        return rc;
    }
    int rc = mutable_message(c, tg, &sub);
    return rc != 0 ? rc : conv_object(c, sub, obj);
}

static int apply_scalar(struct conv *c, const struct target *tg, const struct jnode *n)
{
    switch (n->kind) {
    case JK_STRING:
        return apply_string(c, tg, n);
    case JK_BOOL:
        return apply_bool(c, tg, n);
    case JK_INT:
    case JK_UINT:
    case JK_REAL:
        return apply_number(c, tg, n);
    }
    MC_UNREACHABLE();
}

/*
 * One JSON value into one field (stout's Parser visitor). An array is
 * taken only by a repeated field and each of its elements goes to the same
 * field, so nested arrays flatten; a single value given to a repeated field
 * is one element.
 */
static int apply_value(struct conv *c, const struct target *tg, const struct jnode *n)
{
    if (n->kind == JK_NULL)
        return 0; /* null leaves the field unset; required ones are checked later */
    if (n->kind == JK_ARRAY) {
        if (!is_repeated(tg->field))
            return conv_not_expecting(c, tg, n, "array");
        for (const struct jchunk *ch = n->v.a.first; ch != NULL; ch = ch->next) {
            for (size_t i = 0; i < ch->count; i++) {
                int rc = apply_value(c, tg, &jchunk_items(ch)[i]);
                if (rc != 0)
                    return rc;
            }
        }
        return 0;
    }
    if (n->kind == JK_OBJECT)
        return apply_object(c, tg, n);
    /* A scalar is element i of a repeated field, but never a map entry. */
    if (!is_repeated(tg->field) || is_map(tg->msg->descriptor, tg->field))
        return apply_scalar(c, tg, n);
    size_t saved = path_push_index(c, *repeated_count(tg));
    int rc = apply_scalar(c, tg, n);
    path_pop(c, saved);
    return rc;
}

/* How many elements a value can add to a repeated field, at most. */
static size_t count_slots(const struct jnode *n, int map)
{
    size_t total = 0;
    switch (n->kind) {
    case JK_NULL:
        return 0;
    case JK_ARRAY:
        for (const struct jchunk *ch = n->v.a.first; ch != NULL; ch = ch->next) {
            for (size_t i = 0; i < ch->count; i++)
                total += count_slots(&jchunk_items(ch)[i], map);
        }
        return total;
    case JK_OBJECT:
        /* A map takes one entry per member; a message field one element. */
        return map ? n->v.o.count : 1;
    default:
        return 1;
    }
}

/*
 * Reserves the whole array of a repeated field at once, since a field gets
 * exactly one JSON value and protobuf-c's allocator cannot grow a block.
 */
static int repeated_prepare(struct conv *c, struct target *tg, const struct jnode *n)
{
    MC_ASSERT(*repeated_array(tg) == NULL && *repeated_count(tg) == 0);
    size_t cap = count_slots(n, is_map(tg->msg->descriptor, tg->field));
    size_t size = elem_size(tg->field->type);
    if (cap == 0)
        return 0;
    if (cap > SIZE_MAX / size)
        return conv_nomem(c);
    void *arr = pa_alloc(c->pa, cap * size);
    if (arr == NULL)
        return conv_nomem(c);
    memset(arr, 0, cap * size);
    *repeated_array(tg) = arr;
    tg->cap = cap;
    return 0;
}

/* ---- map keys: protobuf keeps one entry per key, the last one given ---- */

struct map_key {
    uint64_t bits;
    const char *s; /* a string key, else NULL */
    size_t pos;
};

static int map_key_cmp(const void *pa, const void *pb)
{
    const struct map_key *a = pa, *b = pb;
    int c = 0;
    if (a->s != NULL && b->s != NULL)
        c = strcmp(a->s, b->s);
    else if (a->bits != b->bits)
        c = a->bits < b->bits ? -1 : 1;
    if (c != 0)
        return c;
    return a->pos < b->pos ? -1 : (a->pos > b->pos ? 1 : 0);
}

static void map_key_read(const ProtobufCMessage *entry, struct map_key *k)
{
    const ProtobufCFieldDescriptor *f = &entry->descriptor->fields[0];
    const void *member = CMEMBER(entry, f->offset);
    k->s = NULL;
    k->bits = 0;
    if (f->type == PROTOBUF_C_TYPE_STRING) {
        const char *s = *(char *const *)member;
        k->s = s != NULL ? s : "";
    } else if (elem_size(f->type) == 8) {
        memcpy(&k->bits, member, 8);
    } else {
        uint32_t v32;
        memcpy(&v32, member, 4);
        k->bits = v32;
    }
}

static int map_keys_equal(const struct map_key *a, const struct map_key *b)
{
    return a->s != NULL ? strcmp(a->s, b->s) == 0 : a->bits == b->bits;
}

/*
 * Resolves entries with equal keys (two spellings of one integer key, or a
 * key in two objects of an array): the first entry's place keeps the last
 * entry's value, the others go. Sorting keeps this O(n log n).
 */
static int map_dedupe(struct conv *c, const struct target *tg)
{
    size_t n = *repeated_count(tg);
    ProtobufCMessage **arr = *repeated_array(tg);
    if (n < 2)
        return 0;
    struct map_key *keys = arena_alloc(c->arena, n * sizeof(*keys));
    if (keys == NULL)
        return conv_nomem(c);
    for (size_t i = 0; i < n; i++) {
        map_key_read(arr[i], &keys[i]);
        keys[i].pos = i;
    }
    qsort(keys, n, sizeof(*keys), map_key_cmp);
    for (size_t r = 0; r < n;) {
        size_t end = r + 1;
        while (end < n && map_keys_equal(&keys[r], &keys[end]))
            end++;
        size_t first = keys[r].pos, last = keys[end - 1].pos;
        for (size_t k = r; k < end; k++) {
            size_t pos = keys[k].pos;
            if (pos != last && pos != first) {
                protobuf_c_message_free_unpacked(arr[pos], c->pa);
                arr[pos] = NULL;
            }
        }
        if (first != last) {
            protobuf_c_message_free_unpacked(arr[first], c->pa);
            arr[first] = arr[last];
            arr[last] = NULL;
        }
        r = end;
    }
    size_t out = 0;
    for (size_t i = 0; i < n; i++) {
        if (arr[i] != NULL)
            arr[out++] = arr[i];
    }
    *repeated_count(tg) = out;
    return 0;
}

/* After a repeated field got its value: an empty one holds no array. */
static int repeated_finish(struct conv *c, const struct target *tg)
{
    if (*repeated_count(tg) == 0) {
        pa_free(c->pa, *repeated_array(tg));
        *repeated_array(tg) = NULL;
        return 0;
    }
    if (is_map(tg->msg->descriptor, tg->field))
        return map_dedupe(c, tg);
    return 0;
}

/*
 * strcmp(name, key) for a key of key_len bytes, without measuring either.
 * A key holding a NUL equals no name (it is no field's name).
 */
static int name_cmp(const char *name, const char *key, size_t key_len)
{
    for (size_t i = 0; i < key_len; i++) {
        unsigned char a = (unsigned char)name[i], b = (unsigned char)key[i];
        if (a != b)
            return a < b ? -1 : 1;
        if (a == '\0')
            return 1;
    }
    return name[key_len] == '\0' ? 0 : 1;
}

/*
 * protobuf_c_message_descriptor_get_field_by_name's search, for a key with
 * its length, among the names from *from on in fields_sorted_by_name (byte
 * order, as the members of an object are sorted). A field found moves *from
 * past it, so that each member of an object searches only what follows.
 */
static const ProtobufCFieldDescriptor *field_find(const ProtobufCMessageDescriptor *d,
                                                  const struct jmember *m, size_t *from)
{
    if (d->fields_sorted_by_name == NULL)
        return NULL;
    size_t lo = *from, hi = d->n_fields;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const ProtobufCFieldDescriptor *f = &d->fields[d->fields_sorted_by_name[mid]];
        int rv = name_cmp(f->name, m->key, m->key_len);
        if (rv == 0) {
            *from = mid + 1;
            return f;
        }
        if (rv < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

/* The members of one JSON object into msg, in key order; unknown names skipped. */
static int conv_object(struct conv *c, ProtobufCMessage *msg, const struct jnode *obj)
{
    size_t from = 0;
    for (size_t i = 0; i < obj->v.o.count; i++) {
        const struct jmember *m = &obj->v.o.members[i];
        const ProtobufCFieldDescriptor *f = field_find(msg->descriptor, m, &from);
        if (f == NULL)
            continue;
        size_t saved = path_push_name(c, f->name, m->key_len);
        struct target tg = {msg, f, 0};
        int rc = 0;
        if (is_repeated(f))
            rc = repeated_prepare(c, &tg, &m->value);
        if (rc == 0)
            rc = apply_value(c, &tg, &m->value);
        if (rc == 0 && is_repeated(f))
            rc = repeated_finish(c, &tg);
        path_pop(c, saved);
        if (rc != 0)
            return rc;
    }
    return 0;
}

/* ---- required fields (protobuf's InitializationErrorString) ---- */

struct walk_frame {
    const char *name;
    size_t index;
    int indexed;
};

struct walk {
    const uintptr_t *marks; /* sorted addresses of required members set */
    size_t marks_count;
    struct text *reason;
    struct text path; /* the first missing field, into err->path */
    size_t found;
    int depth;
    struct walk_frame frames[MC_PBJSON_NESTING_MAX + 1];
};

static int uintptr_cmp(const void *pa, const void *pb)
{
    uintptr_t a = *(const uintptr_t *)pa, b = *(const uintptr_t *)pb;
    return a < b ? -1 : (a > b ? 1 : 0);
}

static int walk_is_set(const struct walk *w, const ProtobufCMessage *msg,
                       const ProtobufCFieldDescriptor *f)
{
    uintptr_t addr = (uintptr_t)CMEMBER(msg, f->offset);
    return w->marks_count > 0 &&
           bsearch(&addr, w->marks, w->marks_count, sizeof(addr), uintptr_cmp) != NULL;
}

static void walk_write(const struct walk *w, struct text *t, const char *leaf)
{
    for (int i = 0; i < w->depth; i++) {
        text_str(t, w->frames[i].name);
        if (w->frames[i].indexed)
            text_fmt(t, "[%zu]", w->frames[i].index);
        text_str(t, ".");
    }
    text_str(t, leaf);
}

static void walk_message(struct walk *w, const ProtobufCMessage *msg);

static void walk_into(struct walk *w, const ProtobufCMessage *sub, const char *name,
                      size_t index, int indexed)
{
    MC_ASSERT(w->depth < MC_PBJSON_NESTING_MAX); /* bounded by the JSON nesting */
    w->frames[w->depth].name = name;
    w->frames[w->depth].index = index;
    w->frames[w->depth].indexed = indexed;
    w->depth++;
    walk_message(w, sub);
    w->depth--;
}

/*
 * A message's own missing required fields come first, then those of its
 * set sub-messages in field-number order, as protobuf's reflection-based
 * FindInitializationErrors lists them.
 */
static void walk_message(struct walk *w, const ProtobufCMessage *msg)
{
    const ProtobufCMessageDescriptor *d = msg->descriptor;
    for (unsigned i = 0; i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields[i];
        if (f->label != PROTOBUF_C_LABEL_REQUIRED || walk_is_set(w, msg, f))
            continue;
        if (w->found++ > 0)
            text_str(w->reason, ", ");
        walk_write(w, w->reason, f->name);
        if (w->found == 1)
            walk_write(w, &w->path, f->name);
    }
    for (unsigned i = 0; i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields[i];
        if (f->type != PROTOBUF_C_TYPE_MESSAGE)
            continue;
        if (is_repeated(f)) {
            size_t n = *(const size_t *)CMEMBER(msg, f->quantifier_offset);
            ProtobufCMessage *const *arr =
                *(ProtobufCMessage *const *const *)CMEMBER(msg, f->offset);
            for (size_t j = 0; j < n; j++)
                walk_into(w, arr[j], f->name, j, 1);
            continue;
        }
        if (is_oneof(f) && *(const uint32_t *)CMEMBER(msg, f->quantifier_offset) != f->id)
            continue;
        const ProtobufCMessage *sub = *(ProtobufCMessage *const *)CMEMBER(msg, f->offset);
        if (sub != NULL)
            walk_into(w, sub, f->name, 0, 0);
    }
}

/*
 * Every required field set is marked once: a JSON object names a field at
 * most once, and each object fills a message of its own. So when the marks
 * are as many as the required fields of all messages made, none is missing
 * and the walk, which sorts the marks, is needed only to name what is.
 */
static int check_required(struct conv *c, const ProtobufCMessage *msg)
{
    MC_ASSERT(c->marks_count <= c->required_total);
    if (c->marks_count == c->required_total) {
        c->err->mesos_text[0] = '\0';
        c->path[0] = '\0';
        return 0;
    }
    struct walk *w = arena_alloc(c->arena, sizeof(*w));
    uintptr_t *marks = arena_alloc(c->arena, (c->marks_count + 1) * sizeof(*marks));
    if (w == NULL || marks == NULL)
        return conv_nomem(c);
    size_t n = 0;
    for (const struct req_mark *m = c->marks; m != NULL; m = m->next)
        marks[n++] = m->addr;
    qsort(marks, n, sizeof(*marks), uintptr_cmp);
    struct text reason;
    error_text(c->err, &reason);
    text_str(&reason, "Missing required fields: ");
    w->marks = marks;
    w->marks_count = n;
    w->reason = &reason;
    text_init(&w->path, c->path, sizeof(c->path));
    w->found = 0;
    w->depth = 0;
    walk_message(w, msg);
    if (w->found == 0) {
        c->err->mesos_text[0] = '\0';
        c->path[0] = '\0';
        return 0;
    }
    c->path_len = w->path.len;
    return error_finish(c->err, PBJSON_ERR_CONVERT, &reason, c->path, NO_OFFSET, NULL, 0);
}

/* ---- entry points ---- */

static int decode_tree(const ProtobufCMessageDescriptor *desc, const struct jnode *root,
                       struct conv *c, ProtobufCMessage **out)
{
    if (root->kind != JK_OBJECT) {
        struct text t;
        error_text(c->err, &t);
        text_str(&t, "Expecting a JSON object");
        return conv_fail(c, root, PBJSON_ERR_CONVERT, &t);
    }
    ProtobufCMessage *msg = message_new(c, desc);
    if (msg == NULL)
        return conv_nomem(c);
    int rc = conv_object(c, msg, root);
    if (rc == 0)
        rc = check_required(c, msg);
    if (rc == 0 && c->nul_seen) {
        struct text t;
        error_text(c->err, &t);
        text_str(&t, "String field '");
        text_str(&t, c->nul_field);
        text_str(&t, "' holds a NUL character, which a protobuf-c string cannot");
        rc = error_finish(c->err, PBJSON_ERR_UNSUPPORTED, &t, c->nul_path, c->nul_offset, c->text,
                          c->text_len);
    }
    if (rc != 0) {
        protobuf_c_message_free_unpacked(msg, c->pa);
        return rc;
    }
    *out = msg;
    return 0;
}

static void conv_init(struct conv *c, ProtobufCAllocator *pa, struct arena *arena,
                      struct pbjson_error *err, const char *text, size_t len)
{
    c->pa = pa;
    c->arena = arena;
    c->err = err;
    c->text = text;
    c->text_len = len;
    c->path[0] = '\0';
    c->path_len = 0;
    c->marks = NULL;
    c->marks_count = 0;
    c->required_total = 0;
    c->nul_seen = 0;
    c->nul_path[0] = '\0';
}

static int simple_error(struct pbjson_error *err, int kind, const char *what)
{
    struct text t;
    error_text(err, &t);
    text_str(&t, what);
    return error_finish(err, kind, &t, "", NO_OFFSET, NULL, 0);
}

/* Fills err for a failed parse of the text (t already holds the reason). */
static int syntax_failure(struct pbjson_error *err, const struct text *t,
                          const struct pj_result *res, const char *text, size_t len)
{
    if (res->failure == PJ_NOMEM)
        return simple_error(err, PBJSON_ERR_NOMEM, "out of memory");
    int rc = error_finish(err, PBJSON_ERR_SYNTAX, t, "", res->offset, text, len);
    err->near_offset = res->near_offset;
    err->near_line = (uint32_t)res->near_line;
    const char *what = "not JSON";
    if (res->failure == PJ_RANGE)
        what = "a number beyond the range of a double";
    else if (res->depth_exceeded)
        what = "JSON nested deeper than MC_PBJSON_NESTING_MAX (200, as Mesos)";
    else if (res->trailing)
        what = "more than whitespace after the JSON value";
    mc_diag_set_at(&err->diag, res->offset, "%s (Mesos: %s)", what, err->mesos_text);
    return rc;
}

int pbjson_decode(const ProtobufCMessageDescriptor *desc, const char *text, size_t len,
                  ProtobufCAllocator *alloc, ProtobufCMessage **out, struct pbjson_error *err)
{
    MC_ASSERT(desc != NULL && out != NULL && (text != NULL || len == 0));
    struct pbjson_error local;
    if (err == NULL)
        err = &local;
    memset(err, 0, sizeof(*err));
    *out = NULL;
    ProtobufCAllocator sys;
    if (alloc == NULL) {
        pbjson_allocator_init(&sys, NULL);
        alloc = &sys;
    }
    if (len > MC_PBJSON_INPUT_BYTES_MAX)
        return simple_error(err, PBJSON_ERR_LIMIT,
                            "JSON text longer than MC_PBJSON_INPUT_BYTES_MAX");
    struct arena_local first_chunk;
    struct arena arena;
    arena_init(&arena, alloc, &first_chunk);
    struct jnode root;
    struct pj_result res;
    struct text t;
    error_text(err, &t);
    int rc;
    if (!pj_parse_text(&arena, len > 0 ? text : "", len, &root, &t, &res)) {
        rc = syntax_failure(err, &t, &res, text, len);
    } else {
        struct conv c;
        conv_init(&c, alloc, &arena, err, text, len);
        rc = decode_tree(desc, &root, &c, out);
    }
    arena_deinit(&arena);
    return rc;
}

int pbjson_from_json(const ProtobufCMessageDescriptor *desc, const json_t *json,
                     ProtobufCAllocator *alloc, ProtobufCMessage **out, struct pbjson_error *err)
{
    MC_ASSERT(desc != NULL && json != NULL && out != NULL);
    struct pbjson_error local;
    if (err == NULL)
        err = &local;
    memset(err, 0, sizeof(*err));
    *out = NULL;
    ProtobufCAllocator sys;
    if (alloc == NULL) {
        pbjson_allocator_init(&sys, NULL);
        alloc = &sys;
    }
    struct arena_local first_chunk;
    struct arena arena;
    arena_init(&arena, alloc, &first_chunk);
    struct jnode root;
    int rc = from_jansson(&arena, json, &root, MC_PBJSON_NESTING_MAX);
    if (rc == MC_ENOMEM) {
        rc = simple_error(err, PBJSON_ERR_NOMEM, "out of memory");
    } else if (rc == MC_ELIMIT) {
        rc = simple_error(err, PBJSON_ERR_LIMIT,
                          "JSON nested deeper than MC_PBJSON_NESTING_MAX (200, as Mesos)");
    } else {
        struct conv c;
        conv_init(&c, alloc, &arena, err, NULL, 0);
        rc = decode_tree(desc, &root, &c, out);
    }
    arena_deinit(&arena);
    return rc;
}

/* Puts a buffer back to an earlier length after a failed append. */
static void buf_truncate(struct mc_buf *b, size_t len)
{
    MC_ASSERT(len <= b->len);
    b->len = len;
    if (b->data != NULL)
        b->data[len] = '\0';
}

/* Appends input from s to the end of its line, leaving out control bytes. */
static int append_rest_of_line(struct mc_buf *out, const unsigned char *s, const unsigned char *end)
{
    while (s < end && *s != '\n') {
        const unsigned char *run = s;
        while (s < end && *s >= ' ')
            s++;
        int rc = mc_buf_append(out, run, (size_t)(s - run));
        if (rc != 0)
            return rc;
        while (s < end && *s < ' ' && *s != '\n')
            s++;
    }
    return 0;
}

int pbjson_error_text_append(const struct pbjson_error *err, const char *text, size_t len,
                             struct mc_buf *out)
{
    MC_ASSERT(err != NULL && out != NULL && (text != NULL || len == 0));
    size_t saved = out->len;
    const unsigned char *s = (const unsigned char *)text;
    int rc;
    if (err->kind != PBJSON_ERR_SYNTAX || err->near_offset > len) {
        rc = mc_buf_append(out, err->mesos_text, err->mesos_text_bytes);
    } else if (err->near_line > 0) {
        rc = mc_buf_appendf(out, "syntax error at line %" PRIu32 " near: ", err->near_line);
        if (rc == 0)
            rc = append_rest_of_line(out, s + err->near_offset, s + len);
    } else {
        /* stout quotes up to the last visible character, or to the end
         * when picojson's cursor went past it. */
        size_t visible = visible_end(s, len), from = (size_t)err->near_offset;
        rc = mc_buf_append_str(out, "Parsed JSON included non-whitespace trailing characters: ");
        if (rc == 0)
            rc = mc_buf_append(out, s + from, from < visible ? visible - from : len - from);
    }
    if (rc != 0)
        buf_truncate(out, saved);
    return rc;
}

/* ------------------------------------------------------------------ */
/* 5. Message -> JSON (stout's JSON::protobuf)                          */
/* ------------------------------------------------------------------ */

/*
 * The encoder walks a message once and hands each JSON token to a sink:
 * one writes compact text into an mc_buf, the other builds jansson values.
 * A key is always followed at once by its value or container.
 */
struct sink_ops {
    int (*begin)(void *ctx, int object);
    int (*end)(void *ctx, int object);
    int (*key)(void *ctx, const char *name, size_t len);
    int (*boolean)(void *ctx, int b);
    int (*int64)(void *ctx, int64_t v);
    int (*uint64)(void *ctx, uint64_t v);
    int (*real)(void *ctx, double v);
    int (*string)(void *ctx, const char *s, size_t len);
    int (*bytes)(void *ctx, const uint8_t *data, size_t len);
};

struct enc {
    const struct sink_ops *ops;
    void *ctx;
    int depth;
};

/*
 * Doubles are written digit for digit as Mesos writes them: rapidjson's
 * dtoa, which is Florian Loitsch's Grisu2 ("Printing floating-point numbers
 * quickly and accurately with integers", PLDI 2010) followed by a layout
 * step. Grisu2 gives digits that always read back to the same double, but
 * not always the shortest or closest ones (in about one 17-digit case in
 * three its last digit differs from printf's), so printf cannot stand in.
 *
 * A number is handled as f * 2^e with a 64-bit f ("diy fp").
 */
struct diyfp {
    uint64_t f;
    int e;
};

/*
 * Cached powers: f * 2^e is 10^k rounded to the nearest 64-bit f with its
 * top bit set, for k = -348, -340, ..., 340. Computed with exact integer
 * arithmetic (the same table every Grisu implementation carries).
 */
static const struct diyfp cached_powers[87] = {
    {0xfa8fd5a0081c0288ull, -1220}, {0xbaaee17fa23ebf76ull, -1193}, {0x8b16fb203055ac76ull, -1166},
    {0xcf42894a5dce35eaull, -1140}, {0x9a6bb0aa55653b2dull, -1113}, {0xe61acf033d1a45dfull, -1087},
    {0xab70fe17c79ac6caull, -1060}, {0xff77b1fcbebcdc4full, -1034}, {0xbe5691ef416bd60cull, -1007},
    {0x8dd01fad907ffc3cull, -980}, {0xd3515c2831559a83ull, -954}, {0x9d71ac8fada6c9b5ull, -927},
    {0xea9c227723ee8bcbull, -901}, {0xaecc49914078536dull, -874}, {0x823c12795db6ce57ull, -847},
    {0xc21094364dfb5637ull, -821}, {0x9096ea6f3848984full, -794}, {0xd77485cb25823ac7ull, -768},
    {0xa086cfcd97bf97f4ull, -741}, {0xef340a98172aace5ull, -715}, {0xb23867fb2a35b28eull, -688},
    {0x84c8d4dfd2c63f3bull, -661}, {0xc5dd44271ad3cdbaull, -635}, {0x936b9fcebb25c996ull, -608},
    {0xdbac6c247d62a584ull, -582}, {0xa3ab66580d5fdaf6ull, -555}, {0xf3e2f893dec3f126ull, -529},
    {0xb5b5ada8aaff80b8ull, -502}, {0x87625f056c7c4a8bull, -475}, {0xc9bcff6034c13053ull, -449},
    {0x964e858c91ba2655ull, -422}, {0xdff9772470297ebdull, -396}, {0xa6dfbd9fb8e5b88full, -369},
    {0xf8a95fcf88747d94ull, -343}, {0xb94470938fa89bcfull, -316}, {0x8a08f0f8bf0f156bull, -289},
    {0xcdb02555653131b6ull, -263}, {0x993fe2c6d07b7facull, -236}, {0xe45c10c42a2b3b06ull, -210},
    {0xaa242499697392d3ull, -183}, {0xfd87b5f28300ca0eull, -157}, {0xbce5086492111aebull, -130},
    {0x8cbccc096f5088ccull, -103}, {0xd1b71758e219652cull, -77}, {0x9c40000000000000ull, -50},
    {0xe8d4a51000000000ull, -24}, {0xad78ebc5ac620000ull, 3}, {0x813f3978f8940984ull, 30},
    {0xc097ce7bc90715b3ull, 56}, {0x8f7e32ce7bea5c70ull, 83}, {0xd5d238a4abe98068ull, 109},
    {0x9f4f2726179a2245ull, 136}, {0xed63a231d4c4fb27ull, 162}, {0xb0de65388cc8ada8ull, 189},
    {0x83c7088e1aab65dbull, 216}, {0xc45d1df942711d9aull, 242}, {0x924d692ca61be758ull, 269},
    {0xda01ee641a708deaull, 295}, {0xa26da3999aef774aull, 322}, {0xf209787bb47d6b85ull, 348},
    {0xb454e4a179dd1877ull, 375}, {0x865b86925b9bc5c2ull, 402}, {0xc83553c5c8965d3dull, 428},
    {0x952ab45cfa97a0b3ull, 455}, {0xde469fbd99a05fe3ull, 481}, {0xa59bc234db398c25ull, 508},
    {0xf6c69a72a3989f5cull, 534}, {0xb7dcbf5354e9beceull, 561}, {0x88fcf317f22241e2ull, 588},
    {0xcc20ce9bd35c78a5ull, 614}, {0x98165af37b2153dfull, 641}, {0xe2a0b5dc971f303aull, 667},
    {0xa8d9d1535ce3b396ull, 694}, {0xfb9b7cd9a4a7443cull, 720}, {0xbb764c4ca7a44410ull, 747},
    {0x8bab8eefb6409c1aull, 774}, {0xd01fef10a657842cull, 800}, {0x9b10a4e5e9913129ull, 827},
    {0xe7109bfba19c0c9dull, 853}, {0xac2820d9623bf429ull, 880}, {0x80444b5e7aa7cf85ull, 907},
    {0xbf21e44003acdd2dull, 933}, {0x8e679c2f5e44ff8full, 960}, {0xd433179d9c8cb841ull, 986},
    {0x9e19db92b4e31ba9ull, 1013}, {0xeb96bf6ebadf77d9ull, 1039}, {0xaf87023b9bf0ee6bull, 1066},
};

static struct diyfp diyfp_mul(struct diyfp a, struct diyfp b)
{
    /* The high 64 bits of the 128-bit product, rounded half up. */
    const uint64_t m32 = 0xffffffffu;
    uint64_t ah = a.f >> 32, al = a.f & m32, bh = b.f >> 32, bl = b.f & m32;
    uint64_t hh = ah * bh, lh = al * bh, hl = ah * bl, ll = al * bl;
    uint64_t mid = (ll >> 32) + (hl & m32) + (lh & m32) + (1u << 31);
    struct diyfp r = {hh + (hl >> 32) + (lh >> 32) + (mid >> 32), a.e + b.e + 64};
    return r;
}

static struct diyfp diyfp_normalize(struct diyfp x)
{
    while ((x.f & 0x8000000000000000u) == 0) {
        x.f <<= 1;
        x.e--;
    }
    return x;
}

/* The value, and its neighbours' midpoints m- and m+, normalized alike. */
static struct diyfp diyfp_split(double v, struct diyfp *minus, struct diyfp *plus)
{
    const uint64_t hidden = 0x0010000000000000u;
    uint64_t bits;
    memcpy(&bits, &v, sizeof(bits));
    int biased = (int)((bits >> 52) & 0x7ff);
    struct diyfp x = {bits & (hidden - 1), 1 - 1075};
    if (biased != 0) {
        x.f += hidden;
        x.e = biased - 1075;
    }
    struct diyfp p = {(x.f << 1) + 1, x.e - 1};
    while ((p.f & (hidden << 1)) == 0) {
        p.f <<= 1;
        p.e--;
    }
    p.f <<= 64 - 52 - 2;
    p.e -= 64 - 52 - 2;
    /* Below a power of two the lower neighbour is half as far. */
    struct diyfp m = x.f == hidden ? (struct diyfp){(x.f << 2) - 1, x.e - 2}
                                   : (struct diyfp){(x.f << 1) - 1, x.e - 1};
    m.f <<= m.e - p.e;
    m.e = p.e;
    *minus = m;
    *plus = p;
    return diyfp_normalize(x);
}

/* The cached power that brings a product with binary exponent e into range. */
static struct diyfp cached_power(int e, int *k10)
{
    double dk = (-61 - e) * 0.30102999566398114 + 347;
    int k = (int)dk;
    if (dk - k > 0.0)
        k++;
    unsigned index = (unsigned)((k >> 3) + 1);
    *k10 = -(-348 + (int)(index << 3));
    return cached_powers[index];
}

/* Moves the last digit down while that brings the digits closer to the value. */
static void grisu_round(char *digits, int len, uint64_t delta, uint64_t rest, uint64_t ten_kappa,
                        uint64_t wp_w)
{
    while (rest < wp_w && delta - rest >= ten_kappa &&
           (rest + ten_kappa < wp_w || wp_w - rest > rest + ten_kappa - wp_w)) {
        digits[len - 1]--;
        rest += ten_kappa;
    }
}

static int decimal_digits(uint32_t n)
{
    int count = 1;
    while (n >= 10) {
        n /= 10;
        count++;
    }
    return count;
}

/*
 * Grisu2's digit generation: the integral part of the scaled upper bound
 * first, then fraction digits, stopping as soon as the digits fall within
 * the rounding interval. *k10 ends as the decimal exponent of the last digit.
 */
static int grisu_digits(struct diyfp w, struct diyfp mp, uint64_t delta, char *digits, int *k10)
{
    static const uint32_t pow10[] = {1,      10,      100,      1000,      10000,
                                     100000, 1000000, 10000000, 100000000, 1000000000};
    const int shift = -mp.e;
    const uint64_t one = (uint64_t)1 << shift;
    const uint64_t wp_w = mp.f - w.f;
    uint32_t p1 = (uint32_t)(mp.f >> shift);
    uint64_t p2 = mp.f & (one - 1);
    int kappa = decimal_digits(p1);
    int len = 0;
    while (kappa > 0) {
        uint32_t d = p1 / pow10[kappa - 1];
        p1 %= pow10[kappa - 1];
        if (d != 0 || len != 0)
            digits[len++] = (char)('0' + d);
        kappa--;
        uint64_t rest = ((uint64_t)p1 << shift) + p2;
        if (rest <= delta) {
            *k10 += kappa;
            grisu_round(digits, len, delta, rest, (uint64_t)pow10[kappa] << shift, wp_w);
            return len;
        }
    }
    for (;;) {
        p2 *= 10;
        delta *= 10;
        char d = (char)(p2 >> shift);
        if (d != 0 || len != 0)
            digits[len++] = (char)('0' + d);
        p2 &= one - 1;
        kappa--;
        if (p2 < delta) {
            *k10 += kappa;
            int index = -kappa;
            grisu_round(digits, len, delta, p2, one, wp_w * (index < 9 ? pow10[index] : 0));
            return len;
        }
    }
}

/* The digits of a positive finite double; returns their count, sets *k10. */
static int grisu2(double v, char *digits, int *k10)
{
    struct diyfp minus, plus;
    struct diyfp w = diyfp_split(v, &minus, &plus);
    struct diyfp c = cached_power(plus.e, k10);
    struct diyfp wc = diyfp_mul(w, c);
    struct diyfp pc = diyfp_mul(plus, c);
    struct diyfp mc = diyfp_mul(minus, c);
    mc.f++;
    pc.f--;
    return grisu_digits(wc, pc, pc.f - mc.f, digits, k10);
}

/*
 * A finite double as rapidjson lays it out: plain decimals with at least
 * one fraction digit up to 21 integer digits ("15.0", "0.001"), else an
 * exponent with no '+' ("1e21", "1.5e-7"). out needs 32 bytes; returns the
 * length.
 */
static size_t double_format(double v, char *out)
{
    char *p = out;
    if (v == 0) {
        if (signbit(v))
            *p++ = '-';
        memcpy(p, "0.0", 4);
        return (size_t)(p + 3 - out);
    }
    if (v < 0) {
        *p++ = '-';
        v = -v;
    }
    char digits[24];
    int k = 0;
    int len = grisu2(v, digits, &k); /* v = digits * 10^k */
    int kk = len + k;                /* 10^(kk-1) <= v < 10^kk */
    if (k >= 0 && kk <= 21) {
        memcpy(p, digits, (size_t)len);
        memset(p + len, '0', (size_t)(kk - len));
        p += kk;
        *p++ = '.';
        *p++ = '0';
    } else if (kk > 0 && kk <= 21) {
        memcpy(p, digits, (size_t)kk);
        p += kk;
        *p++ = '.';
        memcpy(p, digits + kk, (size_t)(len - kk));
        p += len - kk;
    } else if (kk > -6 && kk <= 0) {
        *p++ = '0';
        *p++ = '.';
        memset(p, '0', (size_t)-kk);
        p += -kk;
        memcpy(p, digits, (size_t)len);
        p += len;
    } else {
        *p++ = digits[0];
        if (len > 1) {
            *p++ = '.';
            memcpy(p, digits + 1, (size_t)(len - 1));
            p += len - 1;
        }
        p += sprintf(p, "e%d", kk - 1);
    }
    *p = '\0';
    return (size_t)(p - out);
}

static int enc_begin(struct enc *e, int object)
{
    if (e->depth >= MC_PBJSON_NESTING_MAX)
        return MC_ELIMIT; /* deeper than we, or Mesos, could read back */
    e->depth++;
    return e->ops->begin(e->ctx, object);
}

static int enc_end(struct enc *e, int object)
{
    MC_ASSERT(e->depth > 0);
    e->depth--;
    return e->ops->end(e->ctx, object);
}

static int enc_message(struct enc *e, const ProtobufCMessage *msg);

/*
 * protobuf_c_enum_descriptor_get_value with its common case inline: most
 * enums number their values without a gap, in one range (value_ranges[1]
 * is then the end marker, whose orig_index is the number of values).
 */
static const ProtobufCEnumValue *enum_value_find(const ProtobufCEnumDescriptor *ed, int v)
{
    if (ed->n_value_ranges != 1)
        return protobuf_c_enum_descriptor_get_value(ed, v);
    const ProtobufCIntRange *r = ed->value_ranges;
    int64_t at = (int64_t)v - r[0].start_value;
    if (at < 0 || at >= (int64_t)r[1].orig_index - (int64_t)r[0].orig_index)
        return NULL;
    return &ed->values[r[0].orig_index + (size_t)at];
}

static int enum_known(const ProtobufCFieldDescriptor *f, const void *value)
{
    return enum_value_find(f->descriptor, *(const int *)value) != NULL;
}

/* One value of f's element type; value points to it as protobuf-c stores it. */
static int enc_scalar(struct enc *e, const ProtobufCFieldDescriptor *f, const void *value)
{
    const ProtobufCEnumValue *ev;
    const char *s;
    switch (f->type) {
    case PROTOBUF_C_TYPE_INT32:
    case PROTOBUF_C_TYPE_SINT32:
    case PROTOBUF_C_TYPE_SFIXED32:
        return e->ops->int64(e->ctx, *(const int32_t *)value);
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64:
        return e->ops->int64(e->ctx, *(const int64_t *)value);
    case PROTOBUF_C_TYPE_UINT32:
    case PROTOBUF_C_TYPE_FIXED32:
        return e->ops->uint64(e->ctx, *(const uint32_t *)value);
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64:
        return e->ops->uint64(e->ctx, *(const uint64_t *)value);
    case PROTOBUF_C_TYPE_FLOAT:
        return e->ops->real(e->ctx, (double)*(const float *)value);
    case PROTOBUF_C_TYPE_DOUBLE:
        return e->ops->real(e->ctx, *(const double *)value);
    case PROTOBUF_C_TYPE_BOOL:
        return e->ops->boolean(e->ctx, *(const protobuf_c_boolean *)value != 0);
    case PROTOBUF_C_TYPE_ENUM:
        ev = enum_value_find(f->descriptor, *(const int *)value);
        MC_ASSERT(ev != NULL); /* callers leave unknown values out */
        return e->ops->string(e->ctx, ev->name, strlen(ev->name));
    case PROTOBUF_C_TYPE_STRING:
        s = *(char *const *)value;
        return s == NULL ? e->ops->string(e->ctx, "", 0) : e->ops->string(e->ctx, s, strlen(s));
    case PROTOBUF_C_TYPE_BYTES:
        return e->ops->bytes(e->ctx, ((const ProtobufCBinaryData *)value)->data,
                             ((const ProtobufCBinaryData *)value)->len);
    case PROTOBUF_C_TYPE_MESSAGE:
        return enc_message(e, *(ProtobufCMessage *const *)value);
    }
    MC_UNREACHABLE();
}

/*
 * Whether a singular field is set, judged as protobuf-c's packer judges it,
 * so that the JSON and the protobuf encodings of a message agree.
 */
static int field_present(const ProtobufCMessage *msg, const ProtobufCFieldDescriptor *f)
{
    const void *member = CMEMBER(msg, f->offset);
    int pointer = f->type == PROTOBUF_C_TYPE_MESSAGE || f->type == PROTOBUF_C_TYPE_STRING;
    const void *ptr = pointer ? *(const void *const *)member : NULL;
    if (is_oneof(f)) {
        if (*(const uint32_t *)CMEMBER(msg, f->quantifier_offset) != f->id)
            return 0;
        return !pointer || (ptr != NULL && ptr != f->default_value);
    }
    switch (f->label) {
    case PROTOBUF_C_LABEL_REQUIRED:
        return !pointer || ptr != NULL;
    case PROTOBUF_C_LABEL_OPTIONAL:
        if (pointer)
            return ptr != NULL && ptr != f->default_value;
        return *(const protobuf_c_boolean *)CMEMBER(msg, f->quantifier_offset) != 0;
    case PROTOBUF_C_LABEL_NONE: {
        /* proto3 without presence: set when not zero, as protobuf-c packs. */
        static const unsigned char zero[sizeof(ProtobufCBinaryData)];
        if (pointer)
            return ptr != NULL && !(f->type == PROTOBUF_C_TYPE_STRING && *(const char *)ptr == 0);
        if (f->type == PROTOBUF_C_TYPE_BYTES)
            return ((const ProtobufCBinaryData *)member)->len > 0;
        return memcmp(member, zero, elem_size(f->type)) != 0;
    }
    case PROTOBUF_C_LABEL_REPEATED:
        break;
    }
    MC_UNREACHABLE();
}

/*
 * A map's key as JSON object key text: a string key as it is, others
 * printed into buf (32 bytes). Returns the text and sets *len.
 */
static const char *map_key_text(const ProtobufCMessage *entry, char *buf, size_t *len)
{
    const ProtobufCFieldDescriptor *kf = &entry->descriptor->fields[0];
    const void *k = CMEMBER(entry, kf->offset);
    const char *s;
    switch (kf->type) {
    case PROTOBUF_C_TYPE_STRING:
        s = *(char *const *)k != NULL ? *(char *const *)k : "";
        *len = strlen(s);
        return s;
    case PROTOBUF_C_TYPE_BOOL:
        s = *(const protobuf_c_boolean *)k ? "true" : "false";
        *len = strlen(s);
        return s;
    case PROTOBUF_C_TYPE_INT32:
    case PROTOBUF_C_TYPE_SINT32:
    case PROTOBUF_C_TYPE_SFIXED32:
        *len = i64_text(*(const int32_t *)k, buf);
        break;
    case PROTOBUF_C_TYPE_UINT32:
    case PROTOBUF_C_TYPE_FIXED32:
        *len = u64_text(*(const uint32_t *)k, buf);
        break;
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64:
        *len = u64_text(*(const uint64_t *)k, buf);
        break;
    default: /* the 64-bit signed kinds; protoc allows no other key type */
        *len = i64_text(*(const int64_t *)k, buf);
        break;
    }
    buf[*len] = '\0';
    return buf;
}

/* A map entry's value; an unset one is written as its default, as stout does. */
static int enc_map_value(struct enc *e, const ProtobufCMessage *entry)
{
    const ProtobufCFieldDescriptor *vf = &entry->descriptor->fields[1];
    const void *v = CMEMBER(entry, vf->offset);
    if (vf->type == PROTOBUF_C_TYPE_MESSAGE && *(ProtobufCMessage *const *)v == NULL) {
        int rc = enc_begin(e, 1);
        return rc != 0 ? rc : enc_end(e, 1);
    }
    if (vf->type == PROTOBUF_C_TYPE_ENUM && !enum_known(vf, v)) {
        const ProtobufCEnumDescriptor *ed = vf->descriptor;
        const char *name = ed->n_values > 0 ? ed->values[0].name : "";
        if (vf->default_value != NULL && enum_known(vf, vf->default_value))
            name = protobuf_c_enum_descriptor_get_value(ed, *(const int *)vf->default_value)->name;
        return e->ops->string(e->ctx, name, strlen(name));
    }
    return enc_scalar(e, vf, v);
}

static int enc_map(struct enc *e, ProtobufCMessage *const *entries, size_t n)
{
    int rc = enc_begin(e, 1);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        /* The key text must live until its value is written: a sink may keep it. */
        char buf[32];
        size_t len;
        const char *key = map_key_text(entries[i], buf, &len);
        rc = e->ops->key(e->ctx, key, len);
        if (rc == 0)
            rc = enc_map_value(e, entries[i]);
    }
    return rc != 0 ? rc : enc_end(e, 1);
}

static int enc_repeated(struct enc *e, const ProtobufCMessage *msg,
                        const ProtobufCFieldDescriptor *f)
{
    size_t n = *(const size_t *)CMEMBER(msg, f->quantifier_offset);
    const char *arr = *(const char *const *)CMEMBER(msg, f->offset);
    size_t size = elem_size(f->type);
    size_t shown = n;
    if (f->type == PROTOBUF_C_TYPE_ENUM) {
        for (size_t i = 0; i < n; i++)
            shown -= enum_known(f, arr + i * size) ? 0 : 1;
    }
    if (shown == 0)
        return 0; /* stout leaves out a repeated field with no elements */
    int rc = e->ops->key(e->ctx, f->name, strlen(f->name));
    if (rc != 0)
        return rc;
    if (is_map(msg->descriptor, f))
        return enc_map(e, (ProtobufCMessage *const *)arr, n);
    rc = enc_begin(e, 0);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        if (f->type != PROTOBUF_C_TYPE_ENUM || enum_known(f, arr + i * size))
            rc = enc_scalar(e, f, arr + i * size);
    }
    return rc != 0 ? rc : enc_end(e, 0);
}

/*
 * A singular field: written when set, or when unset but declaring a
 * default (and not deprecated), then with the default. An enum value with
 * no name counts as unset, as C++ would have kept it out of the field.
 */
static int enc_singular(struct enc *e, const ProtobufCMessage *msg,
                        const ProtobufCFieldDescriptor *f)
{
    const void *value = CMEMBER(msg, f->offset);
    const char *default_string = f->default_value;
    if (!field_present(msg, f) || (f->type == PROTOBUF_C_TYPE_ENUM && !enum_known(f, value))) {
        if (f->default_value == NULL || (f->flags & PROTOBUF_C_FIELD_FLAG_DEPRECATED) != 0)
            return 0;
        /* A string's default_value is the text itself, not a char *. */
        value = f->type == PROTOBUF_C_TYPE_STRING ? (const void *)&default_string
                                                  : f->default_value;
    }
    int rc = e->ops->key(e->ctx, f->name, strlen(f->name));
    return rc != 0 ? rc : enc_scalar(e, f, value);
}

static int enc_message(struct enc *e, const ProtobufCMessage *msg)
{
    int rc = enc_begin(e, 1);
    if (msg != NULL) {
        const ProtobufCMessageDescriptor *d = msg->descriptor;
        for (unsigned i = 0; rc == 0 && i < d->n_fields; i++) {
            const ProtobufCFieldDescriptor *f = &d->fields[i];
            rc = is_repeated(f) ? enc_repeated(e, msg, f) : enc_singular(e, msg, f);
        }
    }
    return rc != 0 ? rc : enc_end(e, 1);
}

/* ---- the text sink ---- */

struct text_sink {
    struct mc_buf *out;
    int comma; /* a value was written at this level: the next one needs ',' */
};

static int ts_sep(struct text_sink *s)
{
    return s->comma ? mc_buf_append_byte(s->out, ',') : 0;
}

/*
 * Grows out once by the ',' the sink owes (if any) and n bytes, writes the
 * ',' and returns where the n bytes go, or NULL with *rc set. Most tokens
 * are a few bytes: one growth each instead of one per piece.
 */
static uint8_t *ts_grow(struct text_sink *s, size_t n, int *rc)
{
    uint8_t *at;
    *rc = mc_buf_grow(s->out, n + (s->comma ? 1u : 0u), &at);
    if (*rc != 0)
        return NULL;
    if (s->comma)
        *at++ = ',';
    return at;
}

/* A token of n bytes after the ',' owed; comma_after is what is owed next. */
static int ts_put(struct text_sink *s, const char *bytes, size_t n, int comma_after)
{
    int rc;
    uint8_t *at = ts_grow(s, n, &rc);
    if (at == NULL)
        return rc;
    memcpy(at, bytes, n);
    s->comma = comma_after;
    return 0;
}

/* The two-character escapes rapidjson writes; NULL for the others. */
static const char *short_escape(unsigned char ch)
{
    switch (ch) {
    case '"':
        return "\\\"";
    case '\\':
        return "\\\\";
    case '\b':
        return "\\b";
    case '\f':
        return "\\f";
    case '\n':
        return "\\n";
    case '\r':
        return "\\r";
    case '\t':
        return "\\t";
    default:
        return NULL;
    }
}

/* Whether rapidjson writes every byte of str as it is (no escape needed). */
static int escape_free(const char *str, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)str[i];
        if (ch < 0x20 || ch == '"' || ch == '\\')
            return 0;
    }
    return 1;
}

/*
 * str quoted after the ',' owed, then tail (tail_len bytes, e.g. ':'), when
 * nothing in it needs an escape: 0, an error, or -1 to take ts_quoted.
 */
static int ts_quoted_plain(struct text_sink *s, const char *str, size_t len, const char *tail,
                           size_t tail_len, int comma_after)
{
    if (!escape_free(str, len))
        return -1;
    int rc;
    uint8_t *at = ts_grow(s, len + 2 + tail_len, &rc);
    if (at == NULL)
        return rc;
    *at++ = '"';
    memcpy(at, str, len);
    at[len] = '"';
    memcpy(at + len + 1, tail, tail_len);
    s->comma = comma_after;
    return 0;
}

/*
 * A JSON string as rapidjson escapes it: the quote, the backslash and the
 * control bytes below 0x20 (\u00XX in upper case when there is no short
 * form); every other byte as it is, UTF-8 or not.
 */
static int ts_quoted(struct mc_buf *out, const char *str, size_t len)
{
    static const char hex[] = "0123456789ABCDEF";
    int rc = mc_buf_append_byte(out, '"');
    size_t run = 0;
    for (size_t i = 0; rc == 0 && i < len; i++) {
        unsigned char ch = (unsigned char)str[i];
        if (ch >= 0x20 && ch != '"' && ch != '\\')
            continue;
        rc = mc_buf_append(out, str + run, i - run);
        run = i + 1;
        const char *esc = short_escape(ch);
        if (rc == 0 && esc != NULL) {
            rc = mc_buf_append(out, esc, 2);
        } else if (rc == 0) {
            char u[6] = {'\\', 'u', '0', '0', hex[ch >> 4], hex[ch & 15]};
            rc = mc_buf_append(out, u, sizeof(u));
        }
    }
    if (rc == 0)
        rc = mc_buf_append(out, str + run, len - run);
    return rc != 0 ? rc : mc_buf_append_byte(out, '"');
}

static int ts_begin(void *ctx, int object)
{
    return ts_put(ctx, object ? "{" : "[", 1, 0);
}

static int ts_end(void *ctx, int object)
{
    struct text_sink *s = ctx;
    s->comma = 0; /* none before a closing bracket */
    return ts_put(s, object ? "}" : "]", 1, 1);
}

static int ts_key(void *ctx, const char *name, size_t len)
{
    struct text_sink *s = ctx;
    int rc = ts_quoted_plain(s, name, len, ":", 1, 0);
    if (rc >= 0)
        return rc;
    rc = ts_sep(s);
    if (rc == 0)
        rc = ts_quoted(s->out, name, len);
    s->comma = 0;
    return rc != 0 ? rc : mc_buf_append_byte(s->out, ':');
}

static int ts_boolean(void *ctx, int b)
{
    return b ? ts_put(ctx, "true", 4, 1) : ts_put(ctx, "false", 5, 1);
}

static int ts_int64(void *ctx, int64_t v)
{
    char num[24];
    return ts_put(ctx, num, i64_text(v, num), 1);
}

static int ts_uint64(void *ctx, uint64_t v)
{
    char num[24];
    return ts_put(ctx, num, u64_text(v, num), 1);
}

/* Infinities as Mesos' patched rapidjson quotes them; NaN quoted likewise. */
static int ts_real(void *ctx, double v)
{
    if (isnan(v))
        return ts_put(ctx, "\"NaN\"", 5, 1);
    if (isinf(v))
        return v < 0 ? ts_put(ctx, "\"-Infinity\"", 11, 1) : ts_put(ctx, "\"Infinity\"", 10, 1);
    char num[32];
    size_t n = double_format(v, num);
    return ts_put(ctx, num, n, 1);
}

static int ts_string(void *ctx, const char *str, size_t len)
{
    struct text_sink *s = ctx;
    int rc = ts_quoted_plain(s, str, len, "", 0, 1);
    if (rc >= 0)
        return rc;
    rc = ts_sep(s);
    s->comma = 1;
    return rc != 0 ? rc : ts_quoted(s->out, str, len);
}

static int ts_bytes(void *ctx, const uint8_t *data, size_t len)
{
    struct text_sink *s = ctx;
    int rc = ts_sep(s);
    s->comma = 1;
    if (rc == 0)
        rc = mc_buf_append_byte(s->out, '"');
    if (rc == 0)
        rc = mc_base64_encode(s->out, data, len);
    return rc != 0 ? rc : mc_buf_append_byte(s->out, '"');
}

static const struct sink_ops text_sink_ops = {
    ts_begin, ts_end, ts_key, ts_boolean, ts_int64, ts_uint64, ts_real, ts_string, ts_bytes,
};

int pbjson_encode(const ProtobufCMessage *msg, struct mc_buf *out)
{
    MC_ASSERT(msg != NULL && out != NULL);
    size_t saved = out->len;
    struct text_sink ts = {out, 0};
    struct enc e = {&text_sink_ops, &ts, 0};
    int rc = enc_message(&e, msg);
    if (rc != 0)
        buf_truncate(out, saved);
    return rc;
}

/* ---- the jansson sink ---- */

struct json_sink {
    json_t *root;
    json_t *stack[MC_PBJSON_NESTING_MAX + 1]; /* borrowed: the tree owns them */
    int top;                                  /* -1 before the root */
    const char *key;                          /* borrowed until the next value */
    size_t key_len;
};

/* Attaches a new value (stolen, even on failure) where the sink stands. */
static int js_put(struct json_sink *s, json_t *v)
{
    if (v == NULL)
        return MC_ENOMEM;
    if (s->top < 0) {
        MC_ASSERT(s->root == NULL);
        s->root = v;
        return 0;
    }
    json_t *parent = s->stack[s->top];
    int rc = json_is_object(parent)
                 ? json_object_setn_new_nocheck(parent, s->key, s->key_len, v)
                 : json_array_append_new(parent, v);
    return rc == 0 ? 0 : MC_ENOMEM;
}

static int js_begin(void *ctx, int object)
{
    struct json_sink *s = ctx;
    json_t *v = object ? json_object() : json_array();
    int rc = js_put(s, v);
    if (rc != 0)
        return rc;
    MC_ASSERT(s->top + 1 < (int)(sizeof(s->stack) / sizeof(s->stack[0])));
    s->stack[++s->top] = v;
    return 0;
}

static int js_end(void *ctx, int object)
{
    struct json_sink *s = ctx;
    MC_ASSERT(s->top >= 0 && (object ? json_is_object(s->stack[s->top])
                                     : json_is_array(s->stack[s->top])));
    s->top--;
    return 0;
}

static int js_key(void *ctx, const char *name, size_t len)
{
    struct json_sink *s = ctx;
    s->key = name;
    s->key_len = len;
    return 0;
}

static int js_boolean(void *ctx, int b)
{
    return js_put(ctx, json_boolean(b));
}

static int js_int64(void *ctx, int64_t v)
{
    return js_put(ctx, json_integer((json_int_t)v));
}

/* jansson's integers are signed 64-bit: larger ones go as decimal strings. */
static int js_uint64(void *ctx, uint64_t v)
{
    if (v <= INT64_MAX)
        return js_put(ctx, json_integer((json_int_t)v));
    char buf[32];
    snprintf(buf, sizeof(buf), "%" PRIu64, v);
    return js_put(ctx, json_string(buf));
}

static int js_real(void *ctx, double v)
{
    if (isnan(v))
        return js_put(ctx, json_string("NaN"));
    if (isinf(v))
        return js_put(ctx, json_string(v < 0 ? "-Infinity" : "Infinity"));
    return js_put(ctx, json_real(v));
}

static int js_string(void *ctx, const char *str, size_t len)
{
    /* protobuf-c strings need not be UTF-8 (nor were Mesos' inputs). */
    return js_put(ctx, json_stringn_nocheck(str, len));
}

static int js_bytes(void *ctx, const uint8_t *data, size_t len)
{
    if (len > (SIZE_MAX - 8) / 4 * 3)
        return MC_ELIMIT;
    struct mc_buf b;
    mc_buf_init(&b, (len / 3 + 1) * 4, NULL); /* room for the base64 text exactly */
    int rc = mc_base64_encode(&b, data, len);
    if (rc == 0)
        rc = js_put(ctx, json_stringn(mc_buf_str(&b), b.len));
    mc_buf_deinit(&b);
    return rc;
}

static const struct sink_ops json_sink_ops = {
    js_begin, js_end, js_key, js_boolean, js_int64, js_uint64, js_real, js_string, js_bytes,
};

json_t *pbjson_to_json(const ProtobufCMessage *msg)
{
    MC_ASSERT(msg != NULL);
    struct json_sink js;
    memset(&js, 0, sizeof(js));
    js.top = -1;
    struct enc e = {&json_sink_ops, &js, 0};
    if (enc_message(&e, msg) != 0) {
        json_decref(js.root);
        return NULL;
    }
    return js.root;
}

/* ------------------------------------------------------------------ */
/* 6. Protobuf bytes                                                   */
/* ------------------------------------------------------------------ */

/*
 * Packing. protobuf-c packs in three walks of the message
 * (protobuf_c_message_check, protobuf_c_message_get_packed_size and
 * protobuf_c_message_pack): every string is measured with strlen twice, and
 * every sub-message of 128 bytes or more is moved once more for each level
 * above it, to make room for its length. We write the same bytes in one walk,
 * from the last field to the first into the end of a buffer, so that a
 * sub-message's length is known when its prefix is written. The same walk
 * makes protobuf_c_message_check's checks, so that every message protobuf-c
 * refuses is MC_EINVAL before out is touched: callers build messages by hand
 * (events, checkpoints, registry entries), and a missing required field
 * there must stay a clean error rather than bytes no peer can read.
 *
 * The buffer is on the stack. A message too big for it is measured first
 * (pbs_*, the same decisions without writing), then written into exactly
 * that room of out. Either way out grows once by the exact size, as it did
 * with protobuf-c. test_pbjson.c compares our bytes with protobuf-c's for
 * random messages of every registered type, big ones included.
 */
#define PACK_STACK_BYTES 32768u

/* The room ran out: not an error, the message is measured instead. */
#define PACK_FULL 1

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
              "fixed-size values are copied as they are held, as protobuf-c does here");

/* The wire type of each ProtobufCType, in the enum's order. */
static const uint8_t wire_of_type[] = {
    [PROTOBUF_C_TYPE_INT32] = PROTOBUF_C_WIRE_TYPE_VARINT,
    [PROTOBUF_C_TYPE_SINT32] = PROTOBUF_C_WIRE_TYPE_VARINT,
    [PROTOBUF_C_TYPE_SFIXED32] = PROTOBUF_C_WIRE_TYPE_32BIT,
    [PROTOBUF_C_TYPE_INT64] = PROTOBUF_C_WIRE_TYPE_VARINT,
    [PROTOBUF_C_TYPE_SINT64] = PROTOBUF_C_WIRE_TYPE_VARINT,
    [PROTOBUF_C_TYPE_SFIXED64] = PROTOBUF_C_WIRE_TYPE_64BIT,
    [PROTOBUF_C_TYPE_UINT32] = PROTOBUF_C_WIRE_TYPE_VARINT,
    [PROTOBUF_C_TYPE_FIXED32] = PROTOBUF_C_WIRE_TYPE_32BIT,
    [PROTOBUF_C_TYPE_UINT64] = PROTOBUF_C_WIRE_TYPE_VARINT,
    [PROTOBUF_C_TYPE_FIXED64] = PROTOBUF_C_WIRE_TYPE_64BIT,
    [PROTOBUF_C_TYPE_FLOAT] = PROTOBUF_C_WIRE_TYPE_32BIT,
    [PROTOBUF_C_TYPE_DOUBLE] = PROTOBUF_C_WIRE_TYPE_64BIT,
    [PROTOBUF_C_TYPE_BOOL] = PROTOBUF_C_WIRE_TYPE_VARINT,
    [PROTOBUF_C_TYPE_ENUM] = PROTOBUF_C_WIRE_TYPE_VARINT,
    [PROTOBUF_C_TYPE_STRING] = PROTOBUF_C_WIRE_TYPE_LENGTH_PREFIXED,
    [PROTOBUF_C_TYPE_BYTES] = PROTOBUF_C_WIRE_TYPE_LENGTH_PREFIXED,
    [PROTOBUF_C_TYPE_MESSAGE] = PROTOBUF_C_WIRE_TYPE_LENGTH_PREFIXED,
};

static ProtobufCWireType wire_type(ProtobufCType type)
{
    MC_ASSERT((size_t)type < sizeof(wire_of_type));
    return (ProtobufCWireType)wire_of_type[type];
}

/* The varint a value of a varint type is written as (protobuf-c's *_pack). */
static uint64_t varint_of(ProtobufCType type, const void *value)
{
    uint32_t u32;
    uint64_t u64;
    switch (type) {
    case PROTOBUF_C_TYPE_INT32:
    case PROTOBUF_C_TYPE_ENUM: {
        /* A negative int32 is sign-extended to ten bytes, as protobuf-c and C++ write it. */
        int64_t i = *(const int32_t *)value;
        return (uint64_t)i;
    }
    case PROTOBUF_C_TYPE_SINT32:
        u32 = *(const uint32_t *)value;
        return (u32 << 1) ^ (0u - (u32 >> 31));
    case PROTOBUF_C_TYPE_UINT32:
        return *(const uint32_t *)value;
    case PROTOBUF_C_TYPE_SINT64:
        u64 = *(const uint64_t *)value;
        return (u64 << 1) ^ (0u - (u64 >> 63));
    case PROTOBUF_C_TYPE_BOOL:
        return *(const protobuf_c_boolean *)value ? 1 : 0;
    default: /* int64, uint64 */
        return *(const uint64_t *)value;
    }
}

static size_t varint_size(uint64_t v)
{
    /* Seven bits a byte: the bit length of v (at least 1), divided by 7, rounded up. */
    unsigned bits = 64u - (unsigned)__builtin_clzll(v | 1u);
    return (bits + 6u) / 7u;
}

static size_t tag_size(uint32_t id)
{
    return varint_size((uint64_t)id << 3);
}

/* A proto3 field without presence is written unless zero, as protobuf-c judges zero. */
static int pb_zeroish(const ProtobufCFieldDescriptor *f, const void *member)
{
    switch (f->type) {
    case PROTOBUF_C_TYPE_BOOL:
        return *(const protobuf_c_boolean *)member == 0;
    case PROTOBUF_C_TYPE_FLOAT:
        return *(const float *)member == 0;
    case PROTOBUF_C_TYPE_DOUBLE:
        return *(const double *)member == 0;
    case PROTOBUF_C_TYPE_STRING:
        return *(char *const *)member == NULL || **(char *const *)member == '\0';
    case PROTOBUF_C_TYPE_BYTES:
        return ((const ProtobufCBinaryData *)member)->len == 0;
    case PROTOBUF_C_TYPE_MESSAGE:
        return *(void *const *)member == NULL;
    default:
        return elem_size(f->type) == 8 ? *(const uint64_t *)member == 0
                                       : *(const uint32_t *)member == 0;
    }
}

/* Whether protobuf-c's packer writes a singular field (not a repeated one). */
static inline int pb_singular_written(const ProtobufCMessage *msg,
                                      const ProtobufCFieldDescriptor *f)
{
    const void *member = CMEMBER(msg, f->offset);
    const void *q = CMEMBER(msg, f->quantifier_offset);
    int pointer = f->type == PROTOBUF_C_TYPE_MESSAGE || f->type == PROTOBUF_C_TYPE_STRING;
    const void *ptr = pointer ? *(const void *const *)member : NULL;
    if (is_oneof(f))
        return *(const uint32_t *)q == f->id &&
               (!pointer || (ptr != NULL && ptr != f->default_value));
    switch (f->label) {
    case PROTOBUF_C_LABEL_OPTIONAL:
        return pointer ? ptr != NULL && ptr != f->default_value
                       : *(const protobuf_c_boolean *)q != 0;
    case PROTOBUF_C_LABEL_NONE:
        return !pb_zeroish(f, member);
    default: /* required */
        return 1;
    }
}

/* ---- measuring ---- */

static int pbs_message(const ProtobufCMessage *msg, size_t *size);

/*
 * The bytes of one value of a length-prefixed type, prefix included, or
 * MC_EINVAL where protobuf_c_message_check refuses it: a NULL string or
 * message, or bytes with a length but no data.
 */
static int pbs_prefixed(const ProtobufCFieldDescriptor *f, const void *value, size_t *size)
{
    size_t n;
    if (f->type == PROTOBUF_C_TYPE_STRING) {
        const char *s = *(char *const *)value;
        if (s == NULL)
            return MC_EINVAL;
        n = strlen(s);
    } else if (f->type == PROTOBUF_C_TYPE_BYTES) {
        const ProtobufCBinaryData *bd = value;
        if (bd->len > 0 && bd->data == NULL)
            return MC_EINVAL;
        n = bd->len;
    } else {
        const ProtobufCMessage *sub = *(ProtobufCMessage *const *)value;
        if (sub == NULL)
            return MC_EINVAL;
        int rc = pbs_message(sub, &n);
        if (rc != 0)
            return rc;
    }
    *size = varint_size(n) + n;
    return 0;
}

/* The bytes of one value without its tag, or MC_EINVAL. */
static int pbs_value(const ProtobufCFieldDescriptor *f, const void *value, size_t *size)
{
    switch (wire_type(f->type)) {
    case PROTOBUF_C_WIRE_TYPE_VARINT:
        *size = varint_size(varint_of(f->type, value));
        return 0;
    case PROTOBUF_C_WIRE_TYPE_32BIT:
        *size = 4;
        return 0;
    case PROTOBUF_C_WIRE_TYPE_64BIT:
        *size = 8;
        return 0;
    default:
        return pbs_prefixed(f, value, size);
    }
}

static int pbs_repeated(const ProtobufCMessage *msg, const ProtobufCFieldDescriptor *f,
                        size_t *size)
{
    size_t n = *(const size_t *)CMEMBER(msg, f->quantifier_offset);
    if (n == 0)
        return 0;
    const char *arr = *(const char *const *)CMEMBER(msg, f->offset);
    if (arr == NULL)
        return MC_EINVAL;
    size_t esize = elem_size(f->type), total = 0;
    for (size_t i = 0; i < n; i++) {
        size_t one;
        int rc = pbs_value(f, arr + i * esize, &one);
        if (rc != 0)
            return rc;
        total += one;
    }
    if ((f->flags & PROTOBUF_C_FIELD_FLAG_PACKED) != 0)
        *size += tag_size(f->id) + varint_size(total) + total;
    else
        *size += n * tag_size(f->id) + total;
    return 0;
}

/* What pbw_message writes for msg, in bytes, or MC_EINVAL. */
static int pbs_message(const ProtobufCMessage *msg, size_t *size)
{
    const ProtobufCMessageDescriptor *d = msg->descriptor;
    if (d == NULL || d->magic != PROTOBUF_C__MESSAGE_DESCRIPTOR_MAGIC)
        return MC_EINVAL;
    size_t total = 0;
    for (unsigned i = 0; i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields[i];
        int rc = 0;
        if (f->label == PROTOBUF_C_LABEL_REPEATED) {
            rc = pbs_repeated(msg, f, &total);
        } else if (pb_singular_written(msg, f)) {
            size_t one = 0;
            rc = pbs_value(f, CMEMBER(msg, f->offset), &one);
            total += tag_size(f->id) + one;
        }
        if (rc != 0)
            return rc;
    }
    for (unsigned u = 0; u < msg->n_unknown_fields; u++)
        total += tag_size(msg->unknown_fields[u].tag) + msg->unknown_fields[u].len;
    *size = total;
    return 0;
}

/* ---- writing, from the end ---- */

/*
 * The room is [lo, p): each writer takes the position p in front of which
 * it writes and returns the new one, or NULL with err set (PACK_FULL or
 * MC_EINVAL). The position stays in a register; nothing else changes.
 */
struct pbw {
    uint8_t *lo;
    int err;
};

static uint8_t *pbw_fail(struct pbw *w, int err)
{
    w->err = err;
    return NULL;
}

static inline uint8_t *pbw_varint(struct pbw *w, uint8_t *p, uint64_t v)
{
    if (v < 0x80) { /* tags, lengths and small numbers: most varints */
        if (p == w->lo)
            return pbw_fail(w, PACK_FULL);
        *--p = (uint8_t)v;
        return p;
    }
    size_t n = varint_size(v);
    if ((size_t)(p - w->lo) < n)
        return pbw_fail(w, PACK_FULL);
    p -= n;
    uint8_t *at = p;
    for (; v >= 0x80; v >>= 7)
        *at++ = (uint8_t)(v | 0x80);
    *at = (uint8_t)v;
    return p;
}

static inline uint8_t *pbw_bytes(struct pbw *w, uint8_t *p, const void *data, size_t n)
{
    if ((size_t)(p - w->lo) < n)
        return pbw_fail(w, PACK_FULL);
    p -= n;
    if (n > 0)
        memcpy(p, data, n);
    return p;
}

static uint8_t *pbw_message(struct pbw *w, uint8_t *p, const ProtobufCMessage *msg);

/* One value of a length-prefixed type, prefix included (see pbs_prefixed). */
static uint8_t *pbw_prefixed(struct pbw *w, uint8_t *p, const ProtobufCFieldDescriptor *f,
                             const void *value)
{
    const uint8_t *end = p;
    if (f->type == PROTOBUF_C_TYPE_STRING) {
        const char *s = *(char *const *)value;
        if (s == NULL)
            return pbw_fail(w, MC_EINVAL);
        p = pbw_bytes(w, p, s, strlen(s));
    } else if (f->type == PROTOBUF_C_TYPE_BYTES) {
        const ProtobufCBinaryData *bd = value;
        if (bd->len > 0 && bd->data == NULL)
            return pbw_fail(w, MC_EINVAL);
        p = pbw_bytes(w, p, bd->data, bd->len);
    } else {
        const ProtobufCMessage *sub = *(ProtobufCMessage *const *)value;
        if (sub == NULL)
            return pbw_fail(w, MC_EINVAL);
        p = pbw_message(w, p, sub);
    }
    return p == NULL ? NULL : pbw_varint(w, p, (uint64_t)(end - p));
}

/* One value of f's type without its tag (value points to it as protobuf-c holds it). */
static inline uint8_t *pbw_value(struct pbw *w, uint8_t *p, const ProtobufCFieldDescriptor *f,
                                 ProtobufCWireType wire, const void *value)
{
    switch (wire) {
    case PROTOBUF_C_WIRE_TYPE_VARINT:
        return pbw_varint(w, p, varint_of(f->type, value));
    case PROTOBUF_C_WIRE_TYPE_32BIT:
        return pbw_bytes(w, p, value, 4);
    case PROTOBUF_C_WIRE_TYPE_64BIT:
        return pbw_bytes(w, p, value, 8);
    default:
        return pbw_prefixed(w, p, f, value);
    }
}

static uint8_t *pbw_repeated(struct pbw *w, uint8_t *p, const ProtobufCMessage *msg,
                             const ProtobufCFieldDescriptor *f)
{
    size_t n = *(const size_t *)CMEMBER(msg, f->quantifier_offset);
    if (n == 0)
        return p;
    const char *arr = *(const char *const *)CMEMBER(msg, f->offset);
    if (arr == NULL)
        return pbw_fail(w, MC_EINVAL);
    size_t size = elem_size(f->type);
    ProtobufCWireType wire = wire_type(f->type);
    if ((f->flags & PROTOBUF_C_FIELD_FLAG_PACKED) != 0) {
        /* One tag and one length for the whole run (numeric types only). */
        const uint8_t *end = p;
        for (size_t i = n; p != NULL && i-- > 0;)
            p = pbw_value(w, p, f, wire, arr + i * size);
        if (p != NULL)
            p = pbw_varint(w, p, (uint64_t)(end - p));
        return p == NULL
                   ? NULL
                   : pbw_varint(w, p, (uint64_t)f->id << 3 | PROTOBUF_C_WIRE_TYPE_LENGTH_PREFIXED);
    }
    uint64_t tag = (uint64_t)f->id << 3 | wire;
    for (size_t i = n; p != NULL && i-- > 0;) {
        p = pbw_value(w, p, f, wire, arr + i * size);
        if (p != NULL)
            p = pbw_varint(w, p, tag);
    }
    return p;
}

/* A message's fields in field-number order, then its unknown fields, as protobuf-c packs. */
static uint8_t *pbw_message(struct pbw *w, uint8_t *p, const ProtobufCMessage *msg)
{
    const ProtobufCMessageDescriptor *d = msg->descriptor;
    if (d == NULL || d->magic != PROTOBUF_C__MESSAGE_DESCRIPTOR_MAGIC)
        return pbw_fail(w, MC_EINVAL);
    for (unsigned u = msg->n_unknown_fields; p != NULL && u-- > 0;) {
        const ProtobufCMessageUnknownField *uf = &msg->unknown_fields[u];
        p = pbw_bytes(w, p, uf->data, uf->len);
        if (p != NULL)
            p = pbw_varint(w, p, (uint64_t)uf->tag << 3 | uf->wire_type);
    }
    for (unsigned i = d->n_fields; p != NULL && i-- > 0;) {
        const ProtobufCFieldDescriptor *f = &d->fields[i];
        if (f->label == PROTOBUF_C_LABEL_REPEATED) {
            p = pbw_repeated(w, p, msg, f);
        } else if (pb_singular_written(msg, f)) {
            ProtobufCWireType wire = wire_type(f->type);
            p = pbw_value(w, p, f, wire, CMEMBER(msg, f->offset));
            if (p != NULL)
                p = pbw_varint(w, p, (uint64_t)f->id << 3 | wire);
        }
    }
    return p;
}

int pbjson_pack(const ProtobufCMessage *msg, struct mc_buf *out)
{
    MC_ASSERT(msg != NULL && out != NULL);
    uint8_t stack[PACK_STACK_BYTES];
    struct pbw w = {stack, 0};
    uint8_t *end = stack + sizeof(stack);
    const uint8_t *packed = pbw_message(&w, end, msg);
    size_t size;
    if (packed != NULL) {
        size = (size_t)(end - packed);
    } else if (w.err == PACK_FULL) {
        int rc = pbs_message(msg, &size);
        if (rc != 0)
            return rc;
    } else {
        return w.err;
    }
    if (size > out->len_max - out->len)
        return MC_ELIMIT;
    uint8_t *at;
    int err = mc_buf_grow(out, size, &at);
    if (err != 0)
        return err;
    if (packed != NULL) {
        if (size > 0)
            memcpy(at, packed, size);
        return 0;
    }
    struct pbw exact = {at, 0};
    packed = pbw_message(&exact, at + size, msg);
    MC_ASSERT(packed == at); /* measured and written alike */
    return 0;
}

/* Tells an allocation failure apart from bad input, which unpack cannot. */
struct unpack_guard {
    ProtobufCAllocator *inner;
    int failed;
};

static void *guard_alloc(void *data, size_t size)
{
    struct unpack_guard *g = data;
    void *p = g->inner->alloc(g->inner->allocator_data, size);
    if (p == NULL)
        g->failed = 1;
    return p;
}

static void guard_free(void *data, void *ptr)
{
    struct unpack_guard *g = data;
    g->inner->free(g->inner->allocator_data, ptr);
}

/* Whether a message type has a required field (then its empty instance is invalid). */
static int type_has_required(const ProtobufCMessageDescriptor *d)
{
    for (unsigned i = 0; i < d->n_fields; i++)
        if (d->fields[i].label == PROTOBUF_C_LABEL_REQUIRED)
            return 1;
    return 0;
}

/*
 * A map entry (protoc's "<Field>Entry": key 1, value 2) without its value
 * stands, in C++, for the value type's empty instance; if that type has
 * required fields the message does not parse there. For the element type d
 * of a repeated field: the value field whose absence is such, or NULL when
 * every element is fine as it is (the case of all but a few fields).
 */
static const ProtobufCFieldDescriptor *map_value_needed(const ProtobufCMessageDescriptor *d)
{
    if (d->n_fields != 2)
        return NULL;
    size_t len = strlen(d->name);
    if (len < 5 || strcmp(d->name + len - 5, "Entry") != 0)
        return NULL;
    const ProtobufCFieldDescriptor *v = protobuf_c_message_descriptor_get_field(d, 2);
    if (v == NULL || v->type != PROTOBUF_C_TYPE_MESSAGE || strcmp(v->name, "value") != 0 ||
        !type_has_required(v->descriptor))
        return NULL;
    return v;
}

/* One entry of a map field being cleared of repeated keys. */
struct map_slot {
    ProtobufCMessage *entry;
    const ProtobufCFieldDescriptor *key;
    size_t index;
};

/* Orders by key (string, or an integer of the entry's key type), then by position. */
static int map_slot_cmp(const void *pa, const void *pb)
{
    const struct map_slot *a = pa, *b = pb;
    const char *ka = (const char *)a->entry + a->key->offset;
    const char *kb = (const char *)b->entry + b->key->offset;
    int d;
    switch (a->key->type) {
    case PROTOBUF_C_TYPE_STRING: {
        /* An entry without its key has the empty one, as C++ reads it (and map_key_text). */
        const char *sa = *(char *const *)ka, *sb = *(char *const *)kb;
        d = strcmp(sa != NULL ? sa : "", sb != NULL ? sb : "");
        break;
    }
    case PROTOBUF_C_TYPE_BOOL:
        d = memcmp(ka, kb, sizeof(protobuf_c_boolean));
        break;
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64:
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64:
        d = memcmp(ka, kb, sizeof(uint64_t)); /* equal or not is all that matters */
        break;
    default: /* the 32-bit integer types: keys are never floats, bytes or messages */
        d = memcmp(ka, kb, sizeof(uint32_t));
        break;
    }
    return d != 0 ? d : (a->index < b->index ? -1 : a->index > b->index);
}

/*
 * A map field's entries with one key each: C++ protobuf keeps the last
 * value parsed for a key, protobuf-c every entry (which no JSON object can
 * hold). The others are freed; the survivors keep their order. MC_ENOMEM.
 */
static int map_keys_unique(ProtobufCMessage *msg, const ProtobufCFieldDescriptor *f,
                           ProtobufCAllocator *alloc)
{
    size_t *n = (size_t *)((char *)msg + f->quantifier_offset);
    ProtobufCMessage **entries = *(ProtobufCMessage ***)((char *)msg + f->offset);
    if (*n < 2)
        return 0;
    struct map_slot *slots = alloc->alloc(alloc->allocator_data, *n * sizeof(*slots));
    if (slots == NULL)
        return MC_ENOMEM;
    const ProtobufCFieldDescriptor *key = &((const ProtobufCMessageDescriptor *)f->descriptor)
                                               ->fields[0];
    for (size_t i = 0; i < *n; i++)
        slots[i] = (struct map_slot){entries[i], key, i};
    qsort(slots, *n, sizeof(*slots), map_slot_cmp);
    /* In each run of one key, all but the last parsed go. */
    for (size_t i = 0; i + 1 < *n; i++) {
        struct map_slot next = slots[i + 1];
        next.index = slots[i].index;
        if (map_slot_cmp(&slots[i], &next) == 0) {
            protobuf_c_message_free_unpacked(entries[slots[i].index], alloc);
            entries[slots[i].index] = NULL;
        }
    }
    alloc->free(alloc->allocator_data, slots);
    size_t kept = 0;
    for (size_t i = 0; i < *n; i++)
        if (entries[i] != NULL)
            entries[kept++] = entries[i];
    *n = kept;
    return 0;
}

/*
 * protobuf-c keeps an enum value its enum does not name; C++ protobuf, and so
 * Mesos, does not: it moves the value to the unknown fields, which leaves an
 * optional or repeated field without it and a required one missing (so the
 * whole message fails to parse). Applies that rule to a freshly unpacked
 * message, recursively. Returns 0, or MC_EPARSE with the field's name in
 * diag when a required enum holds an unnamed value. It also refuses a field
 * numbered 0, which protobuf-c keeps as an unknown field and C++ refuses,
 * and keeps one entry per key in maps (map_keys_unique). MC_ENOMEM too.
 */
static int enums_known(ProtobufCMessage *msg, ProtobufCAllocator *alloc, struct mc_diag *diag,
                       uint32_t depth)
{
    const ProtobufCMessageDescriptor *d = msg->descriptor;
    if (depth > MC_PBJSON_NESTING_MAX)
        return 0; /* pbjson_unpack refuses such nesting; protobuf-c's unpack goes on, unchecked */
    for (unsigned u = 0; u < msg->n_unknown_fields; u++) {
        /* Field number 0 is no field: C++ refuses it, protobuf-c keeps it as unknown. */
        if (msg->unknown_fields[u].tag == 0) {
            mc_diag_set(diag, "%s holds a field numbered 0", d->name);
            return MC_EPARSE;
        }
    }
    for (unsigned i = 0; i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields[i];
        if (f->type != PROTOBUF_C_TYPE_ENUM && f->type != PROTOBUF_C_TYPE_MESSAGE)
            continue; /* nothing to check below any other field */
        char *base = (char *)msg;
        void *member = base + f->offset;
        /* A oneof's members share storage: only the chosen one holds this field. */
        if ((f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) &&
            *(uint32_t *)(base + f->quantifier_offset) != f->id)
            continue;
        if (f->type == PROTOBUF_C_TYPE_ENUM) {
            const ProtobufCEnumDescriptor *ed = f->descriptor;
            if (f->label == PROTOBUF_C_LABEL_REPEATED) {
                size_t *n = (size_t *)(base + f->quantifier_offset);
                int *values = *(int **)member;
                size_t kept = 0;
                for (size_t k = 0; k < *n; k++)
                    if (enum_value_find(ed, values[k]) != NULL)
                        values[kept++] = values[k];
                *n = kept;
            } else if (enum_value_find(ed, *(int *)member) == NULL) {
                if (f->label == PROTOBUF_C_LABEL_REQUIRED) {
                    mc_diag_set(diag, "required field %s.%s holds %d, which %s does not name",
                                d->name, f->name, *(int *)member, ed->name);
                    return MC_EPARSE;
                }
                if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF)
                    *(uint32_t *)(base + f->quantifier_offset) = 0;
                else
                    *(protobuf_c_boolean *)(base + f->quantifier_offset) = 0;
                if (f->default_value != NULL)
                    *(int *)member = *(const int *)f->default_value;
            }
        } else if (f->type == PROTOBUF_C_TYPE_MESSAGE) {
            if (f->label == PROTOBUF_C_LABEL_REPEATED) {
                size_t n = *(size_t *)(base + f->quantifier_offset);
                ProtobufCMessage **subs = *(ProtobufCMessage ***)member;
                /* Every element has the field's type: whether one may lack
                 * its value is asked once. */
                const ProtobufCFieldDescriptor *v = n > 0 ? map_value_needed(f->descriptor) : NULL;
                for (size_t k = 0; k < n; k++) {
                    if (v != NULL && *(ProtobufCMessage **)((char *)subs[k] + v->offset) == NULL) {
                        mc_diag_set(diag, "%s.%s has an entry without its value", d->name,
                                    f->name);
                        return MC_EPARSE;
                    }
                    int err = enums_known(subs[k], alloc, diag, depth + 1);
                    if (err != 0)
                        return err;
                }
                if (n > 1 && is_map(d, f) && map_keys_unique(msg, f, alloc) != 0)
                    return MC_ENOMEM;
            } else if (*(ProtobufCMessage **)member != NULL) {
                int err = enums_known(*(ProtobufCMessage **)member, alloc, diag, depth + 1);
                if (err != 0)
                    return err;
            }
        }
    }
    return 0;
}

/* ---- unpacking ---- */

/*
 * protobuf-c's protobuf_c_message_unpack reads each message twice: a scan
 * that records every field (32 bytes each, in slabs) and counts the elements
 * of repeated fields, then the parse of those records; enums_known then took
 * a third walk for C++'s rules. We decode each message in one pass, straight
 * into the structs protobuf-c makes, every piece allocated on its own through
 * the caller's allocator as protobuf_c_message_free_unpacked frees it, and
 * with protobuf-c 1.4's results to the bit (test_pbjson.c and the protobuf
 * fuzz target compare the two, pbjson_unpack_protobuf_c, on random and
 * mutated input):
 *  - a key is at most 5 bytes and a one-byte key of field 0 is refused (a
 *    longer one makes an unknown field, which enums_known refuses); a varint
 *    is at most 10 bytes, a length prefix at most 5 and INT_MAX;
 *  - a known field must come with its type's wire type, except bool, which
 *    takes any and is true when any bit of its bytes is (a length prefix
 *    counts); a numeric repeated field takes packed runs and single values;
 *  - a singular field given again replaces its value; a message given again
 *    is unpacked on its own and merged into (upk_merge);
 *  - every occurrence of a message has its required fields without default;
 *  - an unknown field keeps its number, wire type and the bytes after its key.
 * The elements of the repeated fields are counted as protobuf-c counts them,
 * by a scan of the rest of the message at its first repeated element, so that
 * each array is allocated once, at that size.
 *
 * C++'s rules (enums_known) change or refuse a message only where it holds an
 * unnamed enum value, a field numbered 0, a map entry without its value or a
 * map key given twice. The pass notes when it meets any of these (or merges,
 * which can bring map entries together) and only then walks the finished
 * message, which is protobuf-c's, so the same first failure is reported.
 */

/* One unpack: the allocator, and what the pass met. */
struct upk {
    ProtobufCAllocator *pa;
    int err;  /* the first failure: MC_EPARSE, MC_ENOMEM or MC_ELIMIT */
    int walk; /* something enums_known acts on may be there */
};

/* A field's value where the key leaves it. */
struct upk_val {
    unsigned wire;
    const uint8_t *at; /* just after the key */
    size_t span;       /* its bytes, length prefix included */
    size_t pref;       /* the length prefix's bytes */
    uint64_t v;        /* a varint's value */
};

static int upk_fail(struct upk *u, int err)
{
    if (u->err == 0)
        u->err = err;
    return -1;
}

static void *upk_alloc(struct upk *u, size_t bytes)
{
    void *p = u->pa->alloc(u->pa->allocator_data, bytes);
    if (p == NULL)
        upk_fail(u, MC_ENOMEM);
    return p;
}

static void upk_free(struct upk *u, void *p)
{
    if (p != NULL)
        u->pa->free(u->pa->allocator_data, p);
}

/*
 * A key as protobuf-c reads it (parse_tag_and_wiretype): bits past 32 of the
 * number dropped, a fifth byte with its high bit set refused, and so is a
 * one-byte key of field 0. Returns the key's bytes, 0 when it is not one.
 */
static size_t upk_key_long(const uint8_t *p, size_t rem, uint32_t *tag, unsigned *wire)
{
    if ((p[0] & 0xf8) == 0)
        return 0;
    *wire = p[0] & 7u;
    uint32_t t = (p[0] & 0x7fu) >> 3;
    size_t max = rem < 5 ? rem : 5;
    unsigned shift = 4;
    for (size_t i = 1; i < max; i++, shift += 7) {
        t |= (uint32_t)(p[i] & 0x7fu) << shift;
        if (p[i] < 0x80) {
            *tag = t;
            return i + 1;
        }
    }
    return 0;
}

/* As upk_key_long; most keys are one byte (fields 1 to 15). */
static inline size_t upk_key(const uint8_t *p, size_t rem, uint32_t *tag, unsigned *wire)
{
    if (p[0] < 0x80 && p[0] >= 0x08) {
        *tag = p[0] >> 3;
        *wire = p[0] & 7u;
        return 1;
    }
    return upk_key_long(p, rem, tag, wire);
}

/* The extent of v's value, which starts at p with rem bytes left; -1 when it overruns. */
static int upk_span_long(struct upk_val *v, const uint8_t *p, size_t rem)
{
    v->at = p;
    v->pref = 0;
    switch (v->wire) {
    case PROTOBUF_C_WIRE_TYPE_VARINT: {
        size_t max = rem < 10 ? rem : 10;
        uint64_t x = 0;
        for (size_t i = 0; i < max; i++) {
            x |= (uint64_t)(p[i] & 0x7fu) << (7 * i);
            if (p[i] < 0x80) {
                v->v = x;
                v->span = i + 1;
                return 0;
            }
        }
        return -1;
    }
    case PROTOBUF_C_WIRE_TYPE_64BIT:
        v->span = 8;
        return rem < 8 ? -1 : 0;
    case PROTOBUF_C_WIRE_TYPE_LENGTH_PREFIXED: {
        size_t max = rem < 5 ? rem : 5;
        uint64_t x = 0;
        for (size_t i = 0; i < max; i++) {
            x |= (uint64_t)(p[i] & 0x7fu) << (7 * i);
            if (p[i] < 0x80) {
                /* protobuf-c takes no length above INT_MAX, whatever follows. */
                if (x > INT_MAX || x > rem - (i + 1))
                    return -1;
                v->pref = i + 1;
                v->span = i + 1 + (size_t)x;
                return 0;
            }
        }
        return -1;
    }
    case PROTOBUF_C_WIRE_TYPE_32BIT:
        v->span = 4;
        return rem < 4 ? -1 : 0;
    default: /* groups, and the wire types no one defined */
        return -1;
    }
}

/* As upk_span_long; most varints and lengths are one byte. */
static inline int upk_span(struct upk_val *v, const uint8_t *p, size_t rem)
{
    if (rem > 0 && p[0] < 0x80) {
        if (v->wire == PROTOBUF_C_WIRE_TYPE_VARINT) {
            v->at = p;
            v->pref = 0;
            v->v = p[0];
            v->span = 1;
            return 0;
        }
        if (v->wire == PROTOBUF_C_WIRE_TYPE_LENGTH_PREFIXED && p[0] < rem) {
            v->at = p;
            v->pref = 1;
            v->span = 1 + (size_t)p[0];
            return 0;
        }
    }
    return upk_span_long(v, p, rem);
}

/* The index of field number tag in d (its ranges, as protobuf-c looks), or -1. */
static int upk_field_index(const ProtobufCMessageDescriptor *d, uint32_t tag)
{
    const ProtobufCIntRange *r = d->field_ranges;
    if (d->n_field_ranges == 0 || tag > INT_MAX)
        return -1;
    /* The last range that starts at tag or before holds it, if any does. */
    unsigned lo = 0, hi = d->n_field_ranges;
    while (hi - lo > 1) {
        unsigned mid = lo + (hi - lo) / 2;
        if ((int)tag < r[mid].start_value)
            hi = mid;
        else
            lo = mid;
    }
    int64_t at = (int64_t)tag - r[lo].start_value;
    if (at < 0 || at >= (int64_t)r[lo + 1].orig_index - r[lo].orig_index)
        return -1;
    return r[lo].orig_index + (int)at;
}

/* The index of field number tag in d, or -1; most types number their fields without gaps. */
static inline int upk_field(const ProtobufCMessageDescriptor *d, uint32_t tag)
{
    if (d->n_field_ranges == 1) {
        const ProtobufCIntRange *r = d->field_ranges;
        uint32_t at = tag - (uint32_t)r[0].start_value; /* wraps below the first */
        if (at >= (uint32_t)(r[1].orig_index - r[0].orig_index))
            return -1;
        return r[0].orig_index + (int)at;
    }
    return upk_field_index(d, tag);
}

/* elem_size, as a table: it is asked for every element. */
static inline size_t upk_size(ProtobufCType type)
{
    static const uint8_t sizes[] = {
        [PROTOBUF_C_TYPE_INT32] = 4,
        [PROTOBUF_C_TYPE_SINT32] = 4,
        [PROTOBUF_C_TYPE_SFIXED32] = 4,
        [PROTOBUF_C_TYPE_INT64] = 8,
        [PROTOBUF_C_TYPE_SINT64] = 8,
        [PROTOBUF_C_TYPE_SFIXED64] = 8,
        [PROTOBUF_C_TYPE_UINT32] = 4,
        [PROTOBUF_C_TYPE_FIXED32] = 4,
        [PROTOBUF_C_TYPE_UINT64] = 8,
        [PROTOBUF_C_TYPE_FIXED64] = 8,
        [PROTOBUF_C_TYPE_FLOAT] = sizeof(float),
        [PROTOBUF_C_TYPE_DOUBLE] = sizeof(double),
        [PROTOBUF_C_TYPE_BOOL] = sizeof(protobuf_c_boolean),
        [PROTOBUF_C_TYPE_ENUM] = 4,
        [PROTOBUF_C_TYPE_STRING] = sizeof(char *),
        [PROTOBUF_C_TYPE_BYTES] = sizeof(ProtobufCBinaryData),
        [PROTOBUF_C_TYPE_MESSAGE] = sizeof(ProtobufCMessage *),
    };
    MC_ASSERT((size_t)type < sizeof(sizes));
    return sizes[type];
}

static uint32_t unzigzag32(uint32_t v)
{
    return (v >> 1) ^ (0u - (v & 1u));
}

static uint64_t unzigzag64(uint64_t v)
{
    return (v >> 1) ^ (0u - (v & 1u));
}

/* protobuf-c's bool: true when any of its bytes has a bit set below the high one. */
static protobuf_c_boolean upk_bool(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if ((p[i] & 0x7fu) != 0)
            return 1;
    return 0;
}

/* Whether a length-delimited value of repeated field f is a packed run (any numeric f). */
static int upk_is_run(const ProtobufCFieldDescriptor *f)
{
    return (f->flags & PROTOBUF_C_FIELD_FLAG_PACKED) != 0 ||
           (f->type != PROTOBUF_C_TYPE_STRING && f->type != PROTOBUF_C_TYPE_BYTES &&
            f->type != PROTOBUF_C_TYPE_MESSAGE);
}

/*
 * The most elements a packed run of len bytes of f's type holds
 * (count_packed_elements: for varints, the bytes that end one), or -1 when
 * the run cannot be one of that type.
 */
static int upk_run_count(const ProtobufCFieldDescriptor *f, const uint8_t *p, size_t len,
                         size_t *count)
{
    switch (f->type) {
    case PROTOBUF_C_TYPE_SFIXED32:
    case PROTOBUF_C_TYPE_FIXED32:
    case PROTOBUF_C_TYPE_FLOAT:
        *count = len / 4;
        return len % 4 == 0 ? 0 : -1;
    case PROTOBUF_C_TYPE_SFIXED64:
    case PROTOBUF_C_TYPE_FIXED64:
    case PROTOBUF_C_TYPE_DOUBLE:
        *count = len / 8;
        return len % 8 == 0 ? 0 : -1;
    case PROTOBUF_C_TYPE_BOOL:
        *count = len;
        return 0;
    case PROTOBUF_C_TYPE_STRING:
    case PROTOBUF_C_TYPE_BYTES:
    case PROTOBUF_C_TYPE_MESSAGE:
        return -1; /* flagged packed, which protoc never does */
    default:
        *count = 0;
        for (size_t i = 0; i < len; i++)
            *count += p[i] < 0x80;
        return 0;
    }
}

static ProtobufCMessage *upk_message(struct upk *u, const ProtobufCMessageDescriptor *d,
                                     const uint8_t *p, size_t len, uint32_t depth);

static int upk_merge(struct upk *u, ProtobufCMessage *earlier, ProtobufCMessage *latter);

/* A message value of f into *member, merged into the one there if clear (upk_value). */
static int upk_sub(struct upk *u, const ProtobufCFieldDescriptor *f, const uint8_t *p, size_t len,
                   void *member, int clear, uint32_t depth)
{
    ProtobufCMessage **pm = member;
    ProtobufCMessage *sub = upk_message(u, f->descriptor, p, len, depth + 1);
    int err = 0;
    if (clear && *pm != NULL && *pm != f->default_value) {
        if (sub != NULL)
            err = upk_merge(u, *pm, sub);
        protobuf_c_message_free_unpacked(*pm, u->pa);
    }
    *pm = sub;
    return sub == NULL || err != 0 ? -1 : 0;
}

/*
 * One value of f's type from v into member, as protobuf-c's
 * parse_required_member stores it; clear says member holds a value to free
 * first (a singular field given again). Returns 0 or -1 (u->err says why).
 */
static inline int upk_value(struct upk *u, const ProtobufCFieldDescriptor *f,
                            const struct upk_val *v, void *member, int clear, uint32_t depth)
{
    /* protobuf-c takes a bool in any wire type. */
    if (wire_type(f->type) != (ProtobufCWireType)v->wire && f->type != PROTOBUF_C_TYPE_BOOL)
        return upk_fail(u, MC_EPARSE);
    const uint8_t *payload = v->at + v->pref; /* of a length-delimited value */
    size_t n = v->span - v->pref;
    switch (f->type) {
    case PROTOBUF_C_TYPE_ENUM:
        *(uint32_t *)member = (uint32_t)v->v;
        if (enum_value_find(f->descriptor, *(const int *)member) == NULL)
            u->walk = 1;
        return 0;
    case PROTOBUF_C_TYPE_INT32:
    case PROTOBUF_C_TYPE_UINT32:
        *(uint32_t *)member = (uint32_t)v->v;
        return 0;
    case PROTOBUF_C_TYPE_SINT32:
        *(uint32_t *)member = unzigzag32((uint32_t)v->v);
        return 0;
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_UINT64:
        *(uint64_t *)member = v->v;
        return 0;
    case PROTOBUF_C_TYPE_SINT64:
        *(uint64_t *)member = unzigzag64(v->v);
        return 0;
    case PROTOBUF_C_TYPE_SFIXED32:
    case PROTOBUF_C_TYPE_FIXED32:
    case PROTOBUF_C_TYPE_FLOAT:
        memcpy(member, v->at, 4);
        return 0;
    case PROTOBUF_C_TYPE_SFIXED64:
    case PROTOBUF_C_TYPE_FIXED64:
    case PROTOBUF_C_TYPE_DOUBLE:
        memcpy(member, v->at, 8);
        return 0;
    case PROTOBUF_C_TYPE_BOOL:
        *(protobuf_c_boolean *)member = upk_bool(v->at, v->span);
        return 0;
    case PROTOBUF_C_TYPE_STRING: {
        char **s = member;
        if (clear && *s != NULL && *s != f->default_value)
            upk_free(u, *s);
        *s = upk_alloc(u, n + 1);
        if (*s == NULL)
            return -1;
        memcpy(*s, payload, n);
        (*s)[n] = '\0';
        return 0;
    }
    case PROTOBUF_C_TYPE_BYTES: {
        ProtobufCBinaryData *bd = member;
        const ProtobufCBinaryData *def = f->default_value;
        if (clear && bd->data != NULL && (def == NULL || bd->data != def->data))
            upk_free(u, bd->data);
        bd->data = NULL; /* empty bytes hold no data */
        if (n > 0) {
            bd->data = upk_alloc(u, n);
            if (bd->data == NULL)
                return -1;
            memcpy(bd->data, payload, n);
        }
        bd->len = n;
        return 0;
    }
    case PROTOBUF_C_TYPE_MESSAGE:
        return upk_sub(u, f, payload, n, member, clear, depth);
    }
    MC_UNREACHABLE();
}

/*
 * protobuf-c's merge_messages, for a singular message field given twice:
 * latter, unpacked on its own, takes what earlier set and it did not, and
 * earlier's repeated elements go before its own; required fields and unknown
 * fields stay with earlier, which the caller frees. Like protobuf-c, it
 * refuses a oneof that neither message sets (looking up case 0 fails there).
 */
static int upk_merge(struct upk *u, ProtobufCMessage *earlier, ProtobufCMessage *latter)
{
    const ProtobufCMessageDescriptor *d = latter->descriptor;
    u->walk = 1; /* map entries of both may now share a key */
    for (unsigned i = 0; i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields[i];
        if (f->label == PROTOBUF_C_LABEL_REPEATED) {
            size_t *ne = MEMBER(earlier, f->quantifier_offset);
            size_t *nl = MEMBER(latter, f->quantifier_offset);
            char **ae = MEMBER(earlier, f->offset);
            char **al = MEMBER(latter, f->offset);
            if (*ne == 0)
                continue;
            if (*nl > 0) {
                size_t size = elem_size(f->type);
                char *both = upk_alloc(u, (*ne + *nl) * size);
                if (both == NULL)
                    return -1;
                memcpy(both, *ae, *ne * size);
                memcpy(both + *ne * size, *al, *nl * size);
                upk_free(u, *al);
                upk_free(u, *ae);
                *al = both;
                *nl += *ne;
            } else {
                upk_free(u, *al); /* never there: an array is only made for elements */
                *nl = *ne;
                *al = *ae;
            }
            *ne = 0;
            *ae = NULL;
            continue;
        }
        if (f->label == PROTOBUF_C_LABEL_REQUIRED)
            continue;
        /* The has_ flag or oneof case; at offset 0 (a field without one) protobuf-c reads the
         * descriptor pointer's low half, which is never 0, and so never merges. */
        uint32_t *ce = MEMBER(earlier, f->quantifier_offset);
        uint32_t *cl = MEMBER(latter, f->quantifier_offset);
        const ProtobufCFieldDescriptor *g = f;
        if (is_oneof(f)) {
            if (*cl != 0)
                continue;
            int k = upk_field_index(d, *ce);
            if (k < 0)
                return upk_fail(u, MC_EPARSE);
            g = &d->fields[k];
        }
        void *me = MEMBER(earlier, g->offset);
        void *ml = MEMBER(latter, g->offset);
        int take;
        switch (g->type) {
        case PROTOBUF_C_TYPE_MESSAGE: {
            ProtobufCMessage *se = *(ProtobufCMessage **)me, *sl = *(ProtobufCMessage **)ml;
            if (se != NULL && sl != NULL && upk_merge(u, se, sl) != 0)
                return -1;
            take = se != NULL && sl == NULL;
            break;
        }
        case PROTOBUF_C_TYPE_BYTES: {
            const uint8_t *de = ((ProtobufCBinaryData *)me)->data;
            const uint8_t *dl = ((ProtobufCBinaryData *)ml)->data;
            const ProtobufCBinaryData *def = g->default_value;
            take = de != NULL && (def == NULL || de != def->data) &&
                   (dl == NULL || (def != NULL && dl == def->data));
            break;
        }
        case PROTOBUF_C_TYPE_STRING:
            take = *(char **)me != g->default_value && *(char **)ml == g->default_value;
            break;
        default: {
            uint32_t se, sl;
            memcpy(&se, ce, sizeof(se));
            memcpy(&sl, cl, sizeof(sl));
            take = se != 0 && sl == 0;
            break;
        }
        }
        if (take) {
            size_t size = elem_size(g->type);
            memcpy(ml, me, size);
            memset(me, 0, size);
            if (g->quantifier_offset != 0) {
                *cl = *ce;
                *ce = 0;
            }
        }
    }
    return 0;
}

/*
 * Counts the elements each repeated field of m gets from p to end, as
 * protobuf-c counts them, and allocates their arrays; the counts go back to
 * 0, to count the elements as they are stored. -1 when the bytes do not
 * parse (or memory runs out); every array is then either made or NULL.
 */
static int upk_arrays(struct upk *u, const ProtobufCMessageDescriptor *d, ProtobufCMessage *m,
                      const uint8_t *p, const uint8_t *end)
{
    int err = 0;
    while (p < end) {
        uint32_t tag;
        struct upk_val v;
        size_t key = upk_key(p, (size_t)(end - p), &tag, &v.wire);
        if (key == 0 || upk_span(&v, p + key, (size_t)(end - p) - key) != 0) {
            err = MC_EPARSE;
            break;
        }
        int k = upk_field(d, tag);
        const ProtobufCFieldDescriptor *f = k < 0 ? NULL : &d->fields[k];
        if (f != NULL && f->label == PROTOBUF_C_LABEL_REPEATED) {
            size_t count = 1;
            if (v.wire == PROTOBUF_C_WIRE_TYPE_LENGTH_PREFIXED && upk_is_run(f) &&
                upk_run_count(f, v.at + v.pref, v.span - v.pref, &count) != 0) {
                err = MC_EPARSE;
                break;
            }
            *(size_t *)MEMBER(m, f->quantifier_offset) += count;
        }
        p = v.at + v.span;
    }
    for (unsigned i = 0; i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields[i];
        if (f->label != PROTOBUF_C_LABEL_REPEATED)
            continue;
        size_t *n = MEMBER(m, f->quantifier_offset);
        if (*n > 0 && err == 0) {
            void *arr = upk_alloc(u, *n * upk_size(f->type));
            if (arr == NULL)
                err = MC_ENOMEM;
            *(void **)MEMBER(m, f->offset) = arr;
        }
        *n = 0;
    }
    return err == 0 ? 0 : upk_fail(u, err);
}

/* A packed run of len bytes at p, after the *n elements in arr (parse_packed_repeated_member). */
static int upk_run(struct upk *u, const ProtobufCFieldDescriptor *f, size_t *n, char *arr,
                   const uint8_t *p, size_t len)
{
    size_t size = upk_size(f->type);
    switch (f->type) {
    case PROTOBUF_C_TYPE_SFIXED32:
    case PROTOBUF_C_TYPE_FIXED32:
    case PROTOBUF_C_TYPE_FLOAT:
    case PROTOBUF_C_TYPE_SFIXED64:
    case PROTOBUF_C_TYPE_FIXED64:
    case PROTOBUF_C_TYPE_DOUBLE:
        if (len % size != 0)
            return upk_fail(u, MC_EPARSE);
        if (len > 0)
            memcpy(arr + *n * size, p, len);
        *n += len / size;
        return 0;
    case PROTOBUF_C_TYPE_STRING:
    case PROTOBUF_C_TYPE_BYTES:
    case PROTOBUF_C_TYPE_MESSAGE:
        return upk_fail(u, MC_EPARSE); /* flagged packed, which protoc never does */
    default:
        break;
    }
    while (len > 0) {
        size_t max = len < 10 ? len : 10, i = 0;
        uint64_t x = 0;
        for (;; i++) {
            if (i == max)
                return upk_fail(u, MC_EPARSE);
            x |= (uint64_t)(p[i] & 0x7fu) << (7 * i);
            if (p[i] < 0x80)
                break;
        }
        void *slot = arr + *n * size;
        switch (f->type) {
        case PROTOBUF_C_TYPE_ENUM:
            if (enum_value_find(f->descriptor, (int)(uint32_t)x) == NULL)
                u->walk = 1;
            *(uint32_t *)slot = (uint32_t)x;
            break;
        case PROTOBUF_C_TYPE_INT32:
        case PROTOBUF_C_TYPE_UINT32:
            *(uint32_t *)slot = (uint32_t)x;
            break;
        case PROTOBUF_C_TYPE_SINT32:
            *(uint32_t *)slot = unzigzag32((uint32_t)x);
            break;
        case PROTOBUF_C_TYPE_SINT64:
            *(uint64_t *)slot = unzigzag64(x);
            break;
        case PROTOBUF_C_TYPE_BOOL:
            *(protobuf_c_boolean *)slot = upk_bool(p, i + 1);
            break;
        default: /* int64, uint64 */
            *(uint64_t *)slot = x;
            break;
        }
        ++*n;
        p += i + 1;
        len -= i + 1;
    }
    return 0;
}

/* Whether d looks like a map's entry: enums_known may have entries to drop or refuse. */
static int upk_entry_like(const ProtobufCMessageDescriptor *d)
{
    size_t len = strlen(d->short_name);
    return d->n_fields == 2 && len >= 5 && memcmp(d->short_name + len - 5, "Entry", 5) == 0;
}

/* The n-th element of repeated message field f came: a map's second entry, or one without a
 * message value, is for enums_known to look at. */
static void upk_entry_note(struct upk *u, const ProtobufCFieldDescriptor *f, size_t n,
                           const ProtobufCMessage *got)
{
    const ProtobufCMessageDescriptor *e = f->descriptor;
    if (e->n_fields == 2 &&
        (n == 2 || (e->fields[1].type == PROTOBUF_C_TYPE_MESSAGE &&
                    *(void *const *)CMEMBER(got, e->fields[1].offset) == NULL)) &&
        upk_entry_like(e))
        u->walk = 1;
}

/* Before a oneof member is stored, the member set before goes (parse_oneof_member). */
static int upk_oneof_clear(struct upk *u, const ProtobufCMessageDescriptor *d, ProtobufCMessage *m,
                           const ProtobufCFieldDescriptor *f)
{
    uint32_t which = *(const uint32_t *)CMEMBER(m, f->quantifier_offset);
    if (which == 0)
        return 0;
    int k = upk_field_index(d, which);
    if (k < 0)
        return upk_fail(u, MC_EPARSE);
    const ProtobufCFieldDescriptor *old = &d->fields[k];
    void *member = MEMBER(m, f->offset);
    void *held = *(void **)member;
    switch (old->type) {
    case PROTOBUF_C_TYPE_STRING:
        if (held != old->default_value)
            upk_free(u, held);
        break;
    case PROTOBUF_C_TYPE_BYTES: {
        const ProtobufCBinaryData *def = old->default_value;
        held = ((ProtobufCBinaryData *)member)->data;
        if (def == NULL || held != def->data)
            upk_free(u, held);
        break;
    }
    case PROTOBUF_C_TYPE_MESSAGE:
        if (held != NULL && held != old->default_value)
            protobuf_c_message_free_unpacked(held, u->pa);
        break;
    default:
        break;
    }
    memset(member, 0, elem_size(old->type));
    return 0;
}

/* An unknown field: its number, wire type and the bytes after its key. */
static int upk_unknown(struct upk *u, ProtobufCMessage *m, size_t *cap, uint32_t tag,
                       const struct upk_val *v)
{
    if (tag == 0)
        u->walk = 1; /* C++ refuses field number 0 */
    if (m->n_unknown_fields == *cap) {
        /* Unknown fields are rare: the array grows by doubling, not counted ahead. */
        size_t grown = *cap == 0 ? 4 : *cap * 2;
        ProtobufCMessageUnknownField *a = upk_alloc(u, grown * sizeof(*a));
        if (a == NULL)
            return -1;
        if (*cap > 0)
            memcpy(a, m->unknown_fields, *cap * sizeof(*a));
        upk_free(u, m->unknown_fields);
        m->unknown_fields = a;
        *cap = grown;
    }
    ProtobufCMessageUnknownField *uf = &m->unknown_fields[m->n_unknown_fields];
    uf->data = upk_alloc(u, v->span);
    if (uf->data == NULL)
        return -1;
    memcpy(uf->data, v->at, v->span);
    uf->tag = tag;
    uf->wire_type = (ProtobufCWireType)v->wire;
    uf->len = v->span;
    m->n_unknown_fields++;
    return 0;
}

/* Required fields seen, by field index, on the stack up to this many fields. */
#define UPK_SEEN_FIELDS 256u

/* Whether every required field of d without a default was seen. */
static int upk_complete(const ProtobufCMessageDescriptor *d, const uint64_t *seen)
{
    const ProtobufCFieldDescriptor *f = d->fields;
    for (unsigned i = 0; i < d->n_fields; i++, f++) {
        if (f->label != PROTOBUF_C_LABEL_REQUIRED)
            continue;
        if ((seen[i / 64] >> (i % 64) & 1) == 0 && f->default_value == NULL)
            return 0;
    }
    return 1;
}

/* A message of type d from len bytes at p, depth levels below the top; NULL on failure. */
static ProtobufCMessage *upk_message(struct upk *u, const ProtobufCMessageDescriptor *d,
                                     const uint8_t *p, size_t len, uint32_t depth)
{
    if (depth > MC_PBJSON_NESTING_MAX) {
        upk_fail(u, MC_ELIMIT);
        return NULL;
    }
    ProtobufCMessage *m = upk_alloc(u, d->sizeof_message);
    if (m == NULL)
        return NULL;
    MC_ASSERT(d->message_init != NULL); /* protoc-c generates one for every message */
    d->message_init(m);
    size_t words = (d->n_fields + 63) / 64;
    uint64_t seen_local[UPK_SEEN_FIELDS / 64];
    uint64_t *seen = seen_local;
    if (d->n_fields > UPK_SEEN_FIELDS) {
        seen = upk_alloc(u, words * sizeof(*seen));
        if (seen == NULL)
            goto fail;
    }
    seen[0] = 0;
    for (size_t w = 1; w < words; w++)
        seen[w] = 0;
    const uint8_t *end = p + len;
    size_t unknown_cap = 0;
    int arrays = 0; /* upk_arrays ran */
    while (p < end) {
        uint32_t tag;
        struct upk_val v;
        size_t key = upk_key(p, (size_t)(end - p), &tag, &v.wire);
        if (key == 0 || upk_span(&v, p + key, (size_t)(end - p) - key) != 0)
            goto bad;
        int k = upk_field(d, tag);
        if (k < 0) {
            if (upk_unknown(u, m, &unknown_cap, tag, &v) != 0)
                goto fail;
            p = v.at + v.span;
            continue;
        }
        /* Where the value goes, and whether something is there to free or merge into. */
        const ProtobufCFieldDescriptor *f = &d->fields[k];
        void *member = MEMBER(m, f->offset);
        int clear = 1;
        if (f->label == PROTOBUF_C_LABEL_REPEATED) {
            if (!arrays && upk_arrays(u, d, m, p, end) != 0)
                goto fail;
            arrays = 1;
            size_t *n = MEMBER(m, f->quantifier_offset);
            if (v.wire == PROTOBUF_C_WIRE_TYPE_LENGTH_PREFIXED && upk_is_run(f)) {
                if (upk_run(u, f, n, *(char **)member, v.at + v.pref, v.span - v.pref) != 0)
                    goto fail;
                p = v.at + v.span;
                continue;
            }
            member = *(char **)member + *n * upk_size(f->type);
            clear = 0;
        } else if (is_oneof(f)) {
            if (upk_oneof_clear(u, d, m, f) != 0)
                goto fail;
        } else {
            seen[(unsigned)k / 64] |= (uint64_t)1 << ((unsigned)k % 64);
        }
        if (upk_value(u, f, &v, member, clear, depth) != 0)
            goto fail;
        if (f->label == PROTOBUF_C_LABEL_REPEATED) {
            size_t n = ++*(size_t *)MEMBER(m, f->quantifier_offset);
            if (f->type == PROTOBUF_C_TYPE_MESSAGE)
                upk_entry_note(u, f, n, *(ProtobufCMessage **)member);
        } else if (is_oneof(f)) {
            *(uint32_t *)MEMBER(m, f->quantifier_offset) = f->id;
        } else if (f->quantifier_offset != 0) {
            *(protobuf_c_boolean *)MEMBER(m, f->quantifier_offset) = 1;
        }
        p = v.at + v.span;
    }
    if (!upk_complete(d, seen))
        goto bad;
    if (seen != seen_local)
        upk_free(u, seen);
    return m;
bad:
    upk_fail(u, MC_EPARSE);
fail:
    if (seen != seen_local)
        upk_free(u, seen);
    protobuf_c_message_free_unpacked(m, u->pa);
    return NULL;
}

/* The checks and texts common to both unpackers. */
static int unpack_begin(const ProtobufCMessageDescriptor *desc, const uint8_t *data, size_t len,
                        ProtobufCAllocator **alloc, ProtobufCAllocator *sys, ProtobufCMessage **out,
                        struct mc_diag *diag)
{
    MC_ASSERT(desc != NULL && out != NULL && (data != NULL || len == 0));
    MC_ASSERT(desc->magic == PROTOBUF_C__MESSAGE_DESCRIPTOR_MAGIC);
    *out = NULL;
    mc_diag_clear(diag);
    if (len > MC_PBJSON_INPUT_BYTES_MAX) {
        mc_diag_set(diag, "%zu bytes of protobuf is more than MC_PBJSON_INPUT_BYTES_MAX", len);
        return MC_ELIMIT;
    }
    if (*alloc == NULL) {
        pbjson_allocator_init(sys, NULL);
        *alloc = sys;
    }
    return 0;
}

/* Applies C++'s rules to a message protobuf-c's way of unpacking gave, and reports. */
static int unpack_end(const ProtobufCMessageDescriptor *desc, size_t len, ProtobufCMessage *msg,
                      int err, int walk, ProtobufCAllocator *alloc, ProtobufCMessage **out,
                      struct mc_diag *diag)
{
    if (msg != NULL && walk) {
        err = enums_known(msg, alloc, diag, 0);
        if (err != 0) {
            protobuf_c_message_free_unpacked(msg, alloc);
            msg = NULL;
            if (err != MC_ENOMEM)
                return err; /* enums_known said why */
        }
    }
    if (msg != NULL) {
        *out = msg;
        return 0;
    }
    if (err == MC_ENOMEM)
        mc_diag_set(diag, "out of memory unpacking %s", desc->name);
    else if (err == MC_ELIMIT)
        mc_diag_set(diag, "%s nested deeper than MC_PBJSON_NESTING_MAX", desc->name);
    else
        mc_diag_set(diag, "%zu bytes are not a valid protobuf %s (or lack a required field)", len,
                    desc->name);
    return err != 0 ? err : MC_EPARSE;
}

int pbjson_unpack(const ProtobufCMessageDescriptor *desc, const uint8_t *data, size_t len,
                  ProtobufCAllocator *alloc, ProtobufCMessage **out, struct mc_diag *diag)
{
    ProtobufCAllocator sys;
    int err = unpack_begin(desc, data, len, &alloc, &sys, out, diag);
    if (err != 0)
        return err;
    struct upk u = {alloc, 0, 0};
    static const uint8_t empty[1];
    ProtobufCMessage *msg = upk_message(&u, desc, data != NULL ? data : empty, len, 0);
    return unpack_end(desc, len, msg, u.err, u.walk, alloc, out, diag);
}

int pbjson_unpack_protobuf_c(const ProtobufCMessageDescriptor *desc, const uint8_t *data,
                             size_t len, ProtobufCAllocator *alloc, ProtobufCMessage **out,
                             struct mc_diag *diag)
{
    ProtobufCAllocator sys;
    int err = unpack_begin(desc, data, len, &alloc, &sys, out, diag);
    if (err != 0)
        return err;
    struct unpack_guard g = {alloc, 0};
    ProtobufCAllocator guarded = {guard_alloc, guard_free, &g};
    static const uint8_t empty[1];
    ProtobufCMessage *msg =
        protobuf_c_message_unpack(desc, &guarded, len, data != NULL ? data : empty);
    return unpack_end(desc, len, msg, g.failed ? MC_ENOMEM : 0, 1, alloc, out, diag);
}
