/*
 * fuzz_scn.c: the scenario parser under arbitrary text.
 *
 * A parse either gives a case, whose dump is never empty and which frees
 * cleanly, or fails with MC_EPARSE or MC_ELIMIT and a diag that names a
 * line and column inside the text (or line 0 for a whole-file limit), and
 * renders without error. The same input always gives the same answer.
 */
#include <stdint.h>
#include <string.h>

#include "mc_assert.h"
#include "mc_buf.h"
#include "scn.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_failure(int rc, const struct mc_diag *diag, const char *text, size_t size)
{
    MC_ASSERT(rc == MC_EPARSE || rc == MC_ELIMIT);
    MC_ASSERT(diag->text[0] != '\0');
    uint32_t lines = 1;
    for (size_t i = 0; i < size; i++)
        lines += text[i] == '\n';
    MC_ASSERT(diag->line <= lines);
    MC_ASSERT(diag->line == 0 || diag->column >= 1);
    struct mc_buf out;
    mc_buf_init(&out, 4u * 1024u * 1024u, NULL);
    MC_ASSERT(scn_diag_render(diag, text, size, &out) == 0);
    MC_ASSERT(out.len > 0);
    mc_buf_deinit(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    struct scn_case *c = NULL;
    struct mc_diag diag;
    int rc = scn_parse_text("fuzz", text, size, NULL, &c, &diag);
    struct mc_diag again;
    struct scn_case *c2 = NULL;
    int rc2 = scn_parse_text("fuzz", text, size, NULL, &c2, &again);
    MC_ASSERT(rc == rc2);
    if (rc != 0) {
        MC_ASSERT(c == NULL);
        MC_ASSERT(diag.line == again.line && diag.column == again.column);
        MC_ASSERT(strcmp(diag.text, again.text) == 0);
        check_failure(rc, &diag, text, size);
        return 0;
    }
    struct mc_buf d1, d2;
    mc_buf_init(&d1, 16u * 1024u * 1024u, NULL);
    mc_buf_init(&d2, 16u * 1024u * 1024u, NULL);
    MC_ASSERT(scn_case_dump(c, &d1) == 0);
    MC_ASSERT(scn_case_dump(c2, &d2) == 0);
    MC_ASSERT(d1.len > 0 && d1.len == d2.len && memcmp(d1.data, d2.data, d1.len) == 0);
    MC_ASSERT(c->steps_count > 0 && c->id != NULL && c->title != NULL);
    mc_buf_deinit(&d1);
    mc_buf_deinit(&d2);
    scn_case_free(c);
    scn_case_free(c2);
    return 0;
}
