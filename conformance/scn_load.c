/*
 * scn_load.c: scenario files on disk: reading one, finding the *.scn files
 * under folders in sorted path order, loading a suite with unique ids, and
 * rendering a diagnostic with its line and a caret.
 *
 * A suite is all or nothing: the first bad file stops the load, so a run
 * never starts with part of what the user asked for.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "mc_assert.h"
#include "scn_internal.h"

static int file_read(const char *path, const struct mc_alloc *alloc, char **text_out,
                     size_t *len_out, struct mc_diag *diag)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        mc_diag_clear(diag);
        if (diag != NULL)
            snprintf(diag->source, sizeof(diag->source), "%s", path);
        mc_diag_set(diag, "cannot read: %s", strerror(errno));
        return MC_EIO;
    }
    struct mc_buf buf;
    mc_buf_init(&buf, MC_SCN_FILE_BYTES_MAX, alloc);
    char chunk[4096];
    size_t n;
    int err = 0;
    while (err == 0 && (n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        err = mc_buf_append(&buf, chunk, n);
    if (err == 0 && ferror(f))
        err = MC_EIO;
    fclose(f);
    if (err != 0) {
        mc_buf_deinit(&buf);
        mc_diag_clear(diag);
        if (diag != NULL)
            snprintf(diag->source, sizeof(diag->source), "%s", path);
        if (err == MC_ELIMIT)
            mc_diag_set(diag, "file larger than %u bytes", MC_SCN_FILE_BYTES_MAX);
        else
            mc_diag_set(diag, "cannot read: %s", mc_strerror(err));
        return err;
    }
    *len_out = buf.len;
    *text_out = (char *)mc_buf_take(&buf, NULL);
    if (*text_out == NULL) {
        *text_out = mc_malloc(alloc, 1);
        if (*text_out == NULL)
            return MC_ENOMEM;
        (*text_out)[0] = '\0';
    }
    return 0;
}

int scn_parse_file(const char *path, const struct mc_alloc *alloc, struct scn_case **out,
                   char **text_out, size_t *len_out, struct mc_diag *diag)
{
    MC_ASSERT(path != NULL && out != NULL);
    *out = NULL;
    if (text_out != NULL)
        *text_out = NULL;
    char *text = NULL;
    size_t len = 0;
    int err = file_read(path, alloc, &text, &len, diag);
    if (err != 0)
        return err;
    err = scn_parse_text(path, text, len, alloc, out, diag);
    if (text_out != NULL && (err == 0 || err == MC_EPARSE || err == MC_ELIMIT)) {
        *text_out = text;
        if (len_out != NULL)
            *len_out = len;
    } else {
        mc_free(alloc, text);
    }
    return err;
}

int scn_diag_render(const struct mc_diag *diag, const char *text, size_t len, struct mc_buf *out)
{
    char first[MC_DIAG_SOURCE_BYTES_MAX + MC_DIAG_TEXT_BYTES_MAX + 64];
    int err = mc_buf_appendf(out, "%s\n", mc_diag_format(diag, first, sizeof(first)));
    if (err != 0 || diag->line == 0 || text == NULL)
        return err;
    size_t start = 0;
    uint32_t line = 1;
    while (line < diag->line && start < len) {
        const char *nl = memchr(text + start, '\n', len - start);
        if (nl == NULL)
            return 0;
        start = (size_t)(nl - text) + 1;
        line++;
    }
    if (line != diag->line || (start >= len && diag->line > 1 && start > len))
        return 0;
    const char *nl = start < len ? memchr(text + start, '\n', len - start) : NULL;
    size_t end = nl != NULL ? (size_t)(nl - text) : len;
    /* Control bytes (a NUL, a carriage return) would garble a terminal: shown as '?'. */
    for (size_t i = start; err == 0 && i < end; i++) {
        uint8_t b = (uint8_t)text[i];
        err = mc_buf_append_byte(out, (b < 0x20 && b != '\t') || b == 0x7f ? '?' : b);
    }
    if (err == 0)
        err = mc_buf_append_byte(out, '\n');
    /* The caret: tabs kept, one space per UTF-8 character before the column. */
    for (size_t i = start; err == 0 && i < end && i - start + 1 < diag->column; i++) {
        uint8_t b = (uint8_t)text[i];
        if ((b & 0xc0) == 0x80)
            continue;
        err = mc_buf_append_byte(out, b == '\t' ? '\t' : ' ');
    }
    for (size_t i = end - start + 1; err == 0 && i < diag->column; i++)
        err = mc_buf_append_byte(out, ' ');
    return err != 0 ? err : mc_buf_append_str(out, "^\n");
}

/* ---- finding files ---------------------------------------------------------- */

struct file_list {
    const struct mc_alloc *alloc;
    char **paths;
    uint32_t count;
};

static int list_add(struct file_list *l, const char *path, struct mc_diag *diag)
{
    if (l->count == MC_SCN_FILES_MAX) {
        mc_diag_clear(diag);
        mc_diag_set(diag, "more than %u scenario files", MC_SCN_FILES_MAX);
        return MC_ELIMIT;
    }
    if (l->paths == NULL) {
        l->paths = mc_calloc(l->alloc, MC_SCN_FILES_MAX, sizeof(l->paths[0]));
        if (l->paths == NULL)
            return MC_ENOMEM;
    }
    l->paths[l->count] = mc_strdup(l->alloc, path);
    if (l->paths[l->count] == NULL)
        return MC_ENOMEM;
    l->count++;
    return 0;
}

static int has_scn_suffix(const char *name)
{
    size_t n = strlen(name);
    return n > 4 && strcmp(name + n - 4, ".scn") == 0;
}

static int path_fail(struct mc_diag *diag, const char *path, int err, const char *what)
{
    mc_diag_clear(diag);
    if (diag != NULL)
        snprintf(diag->source, sizeof(diag->source), "%s", path);
    mc_diag_set(diag, "%s", what);
    return err;
}

static int walk(struct file_list *l, const char *path, uint32_t depth, int named,
                struct mc_diag *diag)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return path_fail(diag, path, MC_EIO, strerror(errno));
    if (!S_ISDIR(st.st_mode)) {
        if (named && !S_ISREG(st.st_mode))
            return path_fail(diag, path, MC_EIO, "not a file or folder");
        if (!S_ISREG(st.st_mode) || (!named && !has_scn_suffix(path)))
            return 0;
        return list_add(l, path, diag);
    }
    if (depth > MC_SCN_DIR_DEPTH_MAX)
        return path_fail(diag, path, MC_ELIMIT, "folders nested too deep");
    DIR *dir = opendir(path);
    if (dir == NULL)
        return path_fail(diag, path, MC_EIO, strerror(errno));
    struct dirent *e;
    int err = 0;
    while (err == 0 && (e = readdir(dir)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char child[MC_SCN_PATH_BYTES_MAX];
        int n = snprintf(child, sizeof(child), "%s%s%s", path,
                         path[strlen(path) - 1] == '/' ? "" : "/", e->d_name);
        if (n < 0 || (size_t)n >= sizeof(child))
            err = path_fail(diag, path, MC_ELIMIT, "a path under it is too long");
        else
            err = walk(l, child, depth + 1, 0, diag);
    }
    closedir(dir);
    return err;
}

static int path_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void list_free(struct file_list *l)
{
    for (uint32_t i = 0; i < l->count; i++)
        mc_free(l->alloc, l->paths[i]);
    mc_free(l->alloc, l->paths);
}

/* ---- the suite ---------------------------------------------------------- */

void scn_suite_deinit(struct scn_suite *suite)
{
    for (uint32_t i = 0; i < suite->cases_count; i++)
        scn_case_free(suite->cases[i]);
    mc_free(suite->alloc, suite->cases);
    suite->cases = NULL;
    suite->cases_count = 0;
}

/* Reports a duplicate id: the second place in diag, the first in its message. */
static int duplicate_check(struct scn_suite *suite, const struct scn_case *c, struct mc_diag *diag)
{
    for (uint32_t i = 0; i < suite->cases_count; i++) {
        const struct scn_case *o = suite->cases[i];
        if (strcmp(o->id, c->id) != 0)
            continue;
        mc_diag_clear(diag);
        if (diag != NULL) {
            snprintf(diag->source, sizeof(diag->source), "%s", c->file);
            diag->line = c->id_pos.line;
            diag->column = c->id_pos.column;
        }
        mc_diag_set(diag, "duplicate id '%s' (first used at %s:%u:%u)", c->id, o->file,
                    o->id_pos.line, o->id_pos.column);
        return MC_EEXIST;
    }
    return 0;
}

static int suite_add_file(struct scn_suite *suite, const char *path, struct mc_diag *diag,
                          struct mc_buf *rendered)
{
    struct scn_case *c = NULL;
    char *text = NULL;
    size_t len = 0;
    int err = scn_parse_file(path, suite->alloc, &c, &text, &len, diag);
    if (err == 0)
        err = duplicate_check(suite, c, diag);
    if (err == 0)
        suite->cases[suite->cases_count++] = c;
    else
        scn_case_free(c);
    if (err != 0 && rendered != NULL) {
        int r = scn_diag_render(diag, text, len, rendered);
        (void)r; /* the diag itself still says what went wrong */
    }
    mc_free(suite->alloc, text);
    return err;
}

int scn_suite_load(struct scn_suite *suite, const char *const *paths, uint32_t paths_count,
                   const struct mc_alloc *alloc, struct mc_diag *diag, struct mc_buf *rendered)
{
    *suite = (struct scn_suite){alloc, NULL, 0};
    struct file_list l = {alloc, NULL, 0};
    int err = 0;
    for (uint32_t i = 0; err == 0 && i < paths_count; i++)
        err = walk(&l, paths[i], 0, 1, diag);
    if (err == 0 && l.count > 0)
        qsort(l.paths, l.count, sizeof(l.paths[0]), path_cmp);
    if (err == 0 && l.count > 0) {
        suite->cases = mc_calloc(alloc, l.count, sizeof(suite->cases[0]));
        if (suite->cases == NULL)
            err = path_fail(diag, "", MC_ENOMEM, "out of memory");
    }
    for (uint32_t i = 0; err == 0 && i < l.count; i++) {
        if (i > 0 && strcmp(l.paths[i], l.paths[i - 1]) == 0)
            continue; /* named twice: read once */
        err = suite_add_file(suite, l.paths[i], diag, rendered);
    }
    if (err == MC_ENOMEM && diag != NULL && diag->text[0] == '\0')
        mc_diag_set(diag, "out of memory");
    if (err != 0 && rendered != NULL && rendered->len == 0) {
        int r = scn_diag_render(diag, NULL, 0, rendered);
        (void)r;
    }
    list_free(&l);
    if (err != 0)
        scn_suite_deinit(suite);
    return err;
}
