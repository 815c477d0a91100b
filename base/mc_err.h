/*
 * mc_err.h: operating errors.
 *
 * A function that can fail for reasons outside the program (bad input, a
 * limit reached, memory exhausted) returns int: 0 on success or one of the
 * negative MC_E* codes below. The table is the only list of codes; each has a
 * name and a message. Parsers also fill a struct mc_diag (mc_diag.h) with
 * the details of what and where.
 */
#ifndef MC_ERR_H
#define MC_ERR_H

#define MC_ERR_MAP(X)                                              \
    X(NOMEM, "out of memory")                                      \
    X(INVAL, "invalid argument")                                   \
    X(LIMIT, "limit exceeded")                                     \
    X(PARSE, "malformed input")                                    \
    X(AGAIN, "more input needed")                                  \
    X(NOTFOUND, "not found")                                       \
    X(EXIST, "already exists")                                     \
    X(STATE, "not allowed in the current state")                   \
    X(IO, "input/output error")                                    \
    X(UNSUPPORTED, "not supported")                                \
    X(CLOSED, "connection closed")

enum mc_err {
    MC_OK = 0,
#define MC_ERR_ENUM(name, msg) MC_E##name,
    MC_ERR_FIRST_ = -100,
    MC_ERR_MAP(MC_ERR_ENUM)
#undef MC_ERR_ENUM
    MC_ERR_END_
};

/* Marks functions whose int result must be looked at. */
#define MC_MUST_USE __attribute__((warn_unused_result))

/* The message of a code (0 included); never NULL. */
const char *mc_strerror(int err);

/* The name of a code, e.g. "MC_ELIMIT"; never NULL. */
const char *mc_errname(int err);

#endif
