/*
 * runner_internal.h: the state of one running case, shared by runner.c
 * (the flow and the expectations) and runner_send.c (building requests).
 */
#ifndef MC_RUNNER_INTERNAL_H
#define MC_RUNNER_INTERNAL_H

#include "runner.h"
#include "target.h"

#define RUNNER_TEXT_BYTES_MAX 4096u
#define RUNNER_VALUE_BYTES_MAX 1024u
#define RUNNER_HEARTBEAT_NS_DEFAULT (15ull * 1000000000ull) /* Mesos' DEFAULT_HEARTBEAT_INTERVAL */

struct run_actor {
    int last;          /* the actor's latest exchange, -1 before any */
    int sub;           /* its current subscription's exchange, -1 if none */
    uint32_t cursor;   /* records of sub already consumed by expectations */
    char stream_id[128];
    char framework_id[RUNNER_VALUE_BYTES_MAX];
};

struct run_var {
    char name[MC_SCN_NAME_BYTES_MAX];
    char value[RUNNER_VALUE_BYTES_MAX];
};

/* What a step's outcome is. */
enum step_result { STEP_OK = 0, STEP_FAIL = 1, STEP_UNKNOWN = 2, STEP_SKIP = 3 };

struct run {
    const struct scn_case *c;
    struct target *t;
    struct report_case *rc; /* where the verdict and the notes (redirects) go */
    int report_err;         /* the first error writing a note (MC_ENOMEM) */
    struct run_actor actors[MC_SCN_ACTORS_MAX];
    struct run_var vars[MC_SCN_VARS_MAX];
    uint32_t vars_count;
    char expected[RUNNER_TEXT_BYTES_MAX];
    char observed[RUNNER_TEXT_BYTES_MAX];
    char message[RUNNER_TEXT_BYTES_MAX];
    /* The heartbeat interval "Nhb" durations count in: the case's master
     * setting or Mesos' 15 s, then what SUBSCRIBED announced. */
    uint64_t heartbeat_ns;
};

/* runner_send.c: SUBSCRIBE, CALL and RAW steps. */
enum step_result runner__send(struct run *r, const struct scn_step *s);

/* A deep copy of in with ${variables} expanded in its strings; *err says why on NULL. */
json_t *runner__json_expand(struct run *r, const json_t *in, int *err);

/* runner.c: variables and waiting, shared with runner_send.c. */
int runner__expand(struct run *r, const char *text, struct mc_buf *out);
enum step_result runner__wait_answer(struct run *r, const struct scn_step *s, uint32_t actor,
                                     int x);
enum step_result runner__fail(struct run *r, enum step_result kind, const char *expected,
                              const char *observed, const char *message);
const char *runner__actor_name(const struct run *r, uint32_t actor);

#endif
