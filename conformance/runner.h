/*
 * runner.h: runs one scenario case on a target and gives its verdict.
 *
 * The runner walks the case's steps in order. A request step sends and
 * waits for the answer's head; an expectation waits (in simulated or real
 * time) until it holds or its deadline passes; a fault step acts on the
 * target. The first expectation that does not hold fails the case, with
 * what was expected, what was observed and where; a target that answers
 * nothing attributable makes the case unknown; a need the target lacks
 * skips it (the reason says which option of the target would give it). On
 * sim a case whose world broke an invariant of the simulated cluster
 * never passes: it fails with the first violation, its time and text. A
 * 307 the target followed is listed in the case's report (redirects).
 */
#ifndef MC_RUNNER_H
#define MC_RUNNER_H

#include <stdint.h>

#include "report.h"
#include "scn.h"
#include "target.h"

/* The longest text of options the replay command repeats (runner_options.replay_flags). */
#define RUNNER_REPLAY_FLAGS_BYTES_MAX 8192u

struct runner_options {
    const char *target;  /* "sim" or "http://host:port" */
    const struct target_http_options *http; /* how to reach a real target; NULL: defaults */
    uint64_t seed;       /* the simulated world's seed (sim), the proxies' (http) */
    const char *program; /* argv[0], for the replay command */
    /* Options the replay command must repeat ("--via-proxy --hook '...'"), or NULL. */
    const char *replay_flags;
};

/*
 * Runs c and records the verdict and its details in rc (a case already
 * added to its run). Returns 0, or MC_ENOMEM when even the report could
 * not be written.
 */
int runner_case_run(const struct scn_case *c, const struct runner_options *o,
                    struct report_case *rc) MC_MUST_USE;

/*
 * The same on a target the caller made for c (o->target and o->http are
 * then only used for the replay command); t stays the caller's.
 */
int runner_case_run_on(const struct scn_case *c, const struct runner_options *o,
                       struct target *t, struct report_case *rc) MC_MUST_USE;

#endif
