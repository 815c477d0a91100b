#include "mc_assert.h"

#include <stdio.h>
#include <stdlib.h>

/* Per thread, so that parallel runners each report their own case. */
static _Thread_local const char *assert_context;

void mc_assert_context_set(const char *text)
{
    assert_context = text;
}

void mc_assert_fail(const char *expr, const char *file, int line)
{
    fprintf(stderr, "mesos-conform: assertion failed: %s (%s:%d)\n", expr, file, line);
    if (assert_context != NULL)
        fprintf(stderr, "replay with: %s\n", assert_context);
    fflush(stderr);
    abort();
}
