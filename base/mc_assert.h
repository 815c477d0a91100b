/*
 * mc_assert.h: assertions that are never compiled out.
 *
 * MC_ASSERT checks programmer errors only: broken invariants, misuse of an
 * API. Input from the network or from a file is never asserted; it is an
 * operating error (mc_err.h). The check stays on under NDEBUG and in Release
 * builds so that every build type follows the same paths. On failure it
 * prints the expression, file and line, then the replay command registered
 * with mc_assert_context_set (if any), and aborts.
 */
#ifndef MC_ASSERT_H
#define MC_ASSERT_H

#define MC_ASSERT(expr) \
    ((expr) ? (void)0 : mc_assert_fail(#expr, __FILE__, __LINE__))

/* A condition that must never be reached. */
#define MC_UNREACHABLE() mc_assert_fail("unreachable", __FILE__, __LINE__)

_Noreturn void mc_assert_fail(const char *expr, const char *file, int line);

/*
 * Registers the text printed after an assertion failure on this thread,
 * typically the command that replays the running case. The string is
 * borrowed: the caller keeps it alive until it sets another one or NULL.
 */
void mc_assert_context_set(const char *text);

#endif
