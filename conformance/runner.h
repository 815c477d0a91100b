/*
 * runner.h: runs one scenario case on a target and gives its verdict.
 *
 * The runner walks the case's steps in order. A request step sends and
 * waits for the answer's head; an expectation waits (in simulated or real
 * time) until it holds or its deadline passes; a fault step acts on the
 * target. The first expectation that does not hold fails the case, with
 * what was expected, what was observed and where; a target that answers
 * nothing attributable makes the case unknown; a need the target lacks
 * skips it.
 */
#ifndef MC_RUNNER_H
#define MC_RUNNER_H

#include <stdint.h>

#include "report.h"
#include "scn.h"
#include "target.h"

struct runner_options {
    const char *target;  /* "sim" or "http://host:port" */
    const struct target_http_options *http; /* how to reach a real target; NULL: defaults */
    uint64_t seed;       /* the simulated world's seed (sim) */
    const char *program; /* argv[0], for the replay command */
};

/*
 * Runs c and records the verdict and its details in rc (a case already
 * added to its run). Returns 0, or MC_ENOMEM when even the report could
 * not be written.
 */
int runner_case_run(const struct scn_case *c, const struct runner_options *o,
                    struct report_case *rc) MC_MUST_USE;

#endif
