/*
 * runner.c: one case, step by step (see runner.h).
 *
 * Events on a subscription are consumed in order: each actor has a cursor
 * into its stream's records, and an `expect event` looks from the cursor on
 * and moves it past what it matched, so two expectations of HEARTBEAT see
 * two heartbeats. Waiting always goes through target_advance with a
 * predicate, so in simulation time stops at the very event that satisfies
 * the step and against a real master the step ends as soon as it can.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "match.h"
#include "mc_assert.h"
#include "runner_internal.h"

const char *runner__actor_name(const struct run *r, uint32_t actor)
{
    MC_ASSERT(actor < r->c->actors_count);
    return r->c->actors[actor].name;
}

enum step_result runner__fail(struct run *r, enum step_result kind, const char *expected,
                              const char *observed, const char *message)
{
    snprintf(r->expected, sizeof(r->expected), "%s", expected);
    snprintf(r->observed, sizeof(r->observed), "%s", observed);
    snprintf(r->message, sizeof(r->message), "%s", message);
    return kind;
}

static int actor_index(const struct run *r, const char *name)
{
    for (uint32_t i = 0; i < r->c->actors_count; i++)
        if (strcmp(r->c->actors[i].name, name) == 0)
            return (int)i;
    return -1;
}

/* ${NAME} and the built-ins ${ACTOR.stream_id}, ${ACTOR.framework_id}. */
static const char *var_lookup(void *ctx, const char *name)
{
    struct run *r = ctx;
    for (uint32_t i = 0; i < r->vars_count; i++)
        if (strcmp(r->vars[i].name, name) == 0)
            return r->vars[i].value;
    const char *dot = strchr(name, '.');
    if (dot == NULL || (size_t)(dot - name) >= MC_SCN_NAME_BYTES_MAX)
        return NULL;
    char actor[MC_SCN_NAME_BYTES_MAX];
    memcpy(actor, name, (size_t)(dot - name));
    actor[dot - name] = '\0';
    int a = actor_index(r, actor);
    if (a < 0)
        return NULL;
    if (strcmp(dot + 1, "stream_id") == 0 && r->actors[a].stream_id[0] != '\0')
        return r->actors[a].stream_id;
    if (strcmp(dot + 1, "framework_id") == 0 && r->actors[a].framework_id[0] != '\0')
        return r->actors[a].framework_id;
    return NULL;
}

/* A step's duration in ns, its heartbeats at the interval the master announced. */
static uint64_t step_ns(const struct run *r, const struct scn_step *s)
{
    return scn_duration_ns(s->duration_ns, r->heartbeat_ns);
}

int runner__expand(struct run *r, const char *text, struct mc_buf *out)
{
    return scn_text_expand(text, var_lookup, r, out, NULL);
}

static int var_set(struct run *r, const char *name, const char *value)
{
    uint32_t i = 0;
    while (i < r->vars_count && strcmp(r->vars[i].name, name) != 0)
        i++;
    if (i == r->vars_count) {
        if (r->vars_count >= MC_SCN_VARS_MAX)
            return MC_ELIMIT;
        r->vars_count++;
    }
    snprintf(r->vars[i].name, sizeof(r->vars[i].name), "%s", name);
    snprintf(r->vars[i].value, sizeof(r->vars[i].value), "%s", value);
    return 0;
}

static const struct client_exchange *exchange(struct run *r, uint32_t actor, int x)
{
    return x < 0 ? NULL : target_exchange(r->t, runner__actor_name(r, actor), x);
}

/* A record of the actor's subscription as JSON (a new reference), or NULL. */
static json_t *record_json(struct run *r, uint32_t actor, uint32_t i)
{
    const struct client_exchange *x = exchange(r, actor, r->actors[actor].sub);
    if (x == NULL || i >= x->records_count)
        return NULL;
    return json_loads(x->records[i].json, 0, NULL);
}

static const char *json_type_of(const json_t *event)
{
    const char *t = json_string_value(json_object_get(event, "type"));
    return t != NULL ? t : "";
}

struct wait_ctx {
    struct run *r;
    uint32_t actor;
    int x;
    uint32_t count;
};

static int answered(void *ctx)
{
    struct wait_ctx *w = ctx;
    const struct client_exchange *e = exchange(w->r, w->actor, w->x);
    return e != NULL && (e->status != 0 || e->ended);
}

static int has_records(void *ctx)
{
    struct wait_ctx *w = ctx;
    const struct client_exchange *e = exchange(w->r, w->actor, w->x);
    return e != NULL && (e->records_count >= w->count || e->ended);
}

/* The subscription's first record, to learn the framework id (SUBSCRIBED). */
static void subscription_learn(struct run *r, uint32_t actor, int x)
{
    struct run_actor *a = &r->actors[actor];
    const struct client_exchange *e = exchange(r, actor, x);
    const char *sid = http_headers_get(&e->response.headers, "Mesos-Stream-Id");
    a->sub = x;
    a->cursor = 0;
    snprintf(a->stream_id, sizeof(a->stream_id), "%s", sid != NULL ? sid : "");
    struct wait_ctx w = {r, actor, x, 1};
    if (target_advance(r->t, SCN_WITHIN_NS_DEFAULT, has_records, &w, NULL) != 0)
        return;
    json_t *first = record_json(r, actor, 0);
    const char *fw = json_string_value(
        json_object_get(json_object_get(json_object_get(first, "subscribed"), "framework_id"),
                        "value"));
    if (fw != NULL)
        snprintf(a->framework_id, sizeof(a->framework_id), "%s", fw);
    json_t *hb = json_object_get(json_object_get(first, "subscribed"),
                                 "heartbeat_interval_seconds");
    if (json_is_number(hb) && json_number_value(hb) > 0 && json_number_value(hb) < 86400)
        r->heartbeat_ns = (uint64_t)(json_number_value(hb) * 1e9);
    json_decref(first);
}

/*
 * A 307 the target followed (S2, M3) goes into the case's report: the
 * verdict may not show it, but where the answer came from matters. Past
 * REPORT_REDIRECTS_MAX the rest are not listed.
 */
static void redirect_note(struct run *r, const struct scn_step *s, uint32_t actor, const char *to)
{
    int err = report_case_redirect_add(r->rc, runner__actor_name(r, actor), s->source,
                                       s->pos.line, to);
    if (err != 0 && err != MC_ELIMIT && r->report_err == 0)
        r->report_err = err;
}

enum step_result runner__wait_answer(struct run *r, const struct scn_step *s, uint32_t actor, int x)
{
    struct wait_ctx w = {r, actor, x, 0};
    if (target_advance(r->t, SCN_WITHIN_NS_DEFAULT, answered, &w, NULL) != 0)
        return runner__fail(r, STEP_UNKNOWN, "time to pass", "", "the target stopped");
    const struct client_exchange *e = exchange(r, actor, x);
    if (e->redirected_to[0] != '\0')
        redirect_note(r, s, actor, e->redirected_to);
    /* Any 200 stream is the actor's subscription now (a raw SUBSCRIBE too). */
    if (e->status == 200 && e->is_stream)
        subscription_learn(r, actor, x);
    return STEP_OK;
}

/* The answer an expectation about status, headers or body looks at. */
static enum step_result last_answer(struct run *r, const struct scn_step *s,
                                    const struct client_exchange **out)
{
    const struct client_exchange *e = exchange(r, s->actor, r->actors[s->actor].last);
    *out = e;
    if (e == NULL)
        return runner__fail(r, STEP_FAIL, "an answer", "no request was sent", "");
    if (e->status == 0)
        return runner__fail(r, e->ended && !target_caps_get(r->t)->time_jumps ? STEP_UNKNOWN
                                                                              : STEP_FAIL,
                            "an answer", e->ended ? "the connection ended without an answer"
                                                  : "no answer yet", "");
    return STEP_OK;
}

static enum step_result expect_status(struct run *r, const struct scn_step *s)
{
    const struct client_exchange *e;
    enum step_result res = last_answer(r, s, &e);
    if (res != STEP_OK)
        return res;
    if ((uint32_t)e->status == s->status)
        return STEP_OK;
    char want[32], got[RUNNER_TEXT_BYTES_MAX];
    snprintf(want, sizeof(want), "status %u", s->status);
    snprintf(got, sizeof(got), "status %d, body '%.1000s'", e->status, mc_buf_str(&e->response.body));
    return runner__fail(r, STEP_FAIL, want, got, "");
}

/* Compares an actual text (NULL: absent) with a step's operator and value. */
static int text_holds(enum scn_op op, const char *value, const char *actual)
{
    switch (op) {
    case SCN_OP_EXISTS:
        return actual != NULL;
    case SCN_OP_ABSENT:
        return actual == NULL;
    case SCN_OP_EQ:
        return actual != NULL && strcmp(actual, value) == 0;
    case SCN_OP_NE:
        return actual == NULL || strcmp(actual, value) != 0;
    case SCN_OP_CONTAINS:
        return actual != NULL && strstr(actual, value) != NULL;
    case SCN_OP_MATCHES: {
        if (actual == NULL)
            return 0;
        json_t *pattern = json_pack("{s:s}", "$regex", value);
        json_t *subject = json_string(actual);
        int ok = match_json(pattern, subject, NULL);
        json_decref(pattern);
        json_decref(subject);
        return ok;
    }
    default:
        return 0;
    }
}

static const char *op_text(enum scn_op op)
{
    static const char *const names[] = {"", "==", "!=", "~", "contains", "exists", "absent", "json"};
    return (size_t)op < sizeof(names) / sizeof(names[0]) ? names[op] : "?";
}

/* EXPECT_HEADER and EXPECT_BODY (text operators, or a JSON subset). */
static enum step_result expect_text(struct run *r, const struct scn_step *s)
{
    const struct client_exchange *e;
    enum step_result res = last_answer(r, s, &e);
    if (res != STEP_OK)
        return res;
    int is_header = s->kind == SCN_STEP_EXPECT_HEADER;
    const char *actual = is_header ? http_headers_get(&e->response.headers, s->name)
                                   : mc_buf_str(&e->response.body);
    char want[RUNNER_TEXT_BYTES_MAX], got[RUNNER_TEXT_BYTES_MAX];
    struct mc_buf why;
    mc_buf_init(&why, RUNNER_TEXT_BYTES_MAX, NULL);
    int ok;
    if (s->op == SCN_OP_JSON) {
        json_t *body = json_loads(actual, JSON_DECODE_ANY, NULL);
        ok = match_json(s->json, body, &why);
        json_decref(body);
        snprintf(want, sizeof(want), "a JSON body matching the step's block");
    } else {
        struct mc_buf v;
        mc_buf_init(&v, RUNNER_VALUE_BYTES_MAX, NULL);
        int err = s->value != NULL ? runner__expand(r, s->value, &v) : 0;
        ok = err == 0 && text_holds(s->op, mc_buf_str(&v), actual);
        snprintf(want, sizeof(want), "%s%s %s '%s'", is_header ? "header " : "body",
                 is_header ? s->name : "", op_text(s->op), mc_buf_str(&v));
        mc_buf_deinit(&v);
    }
    snprintf(got, sizeof(got), "%s", actual != NULL ? actual : "(absent)");
    res = ok ? STEP_OK : runner__fail(r, STEP_FAIL, want, got, mc_buf_str(&why));
    mc_buf_deinit(&why);
    return res;
}

struct event_query {
    struct run *r;
    const struct scn_step *s;
    const json_t *subset; /* the step's JSON block, variables expanded; NULL: any */
    uint32_t found;       /* index of the match once done() said 1 */
};

/* Whether record i is of the given type (any when NULL) and matches the subset. */
static int record_matches(const struct event_query *q, uint32_t i, const char *type)
{
    json_t *ev = record_json(q->r, q->s->actor, i);
    int ok = ev != NULL && (type == NULL || strcmp(json_type_of(ev), type) == 0) &&
             (q->subset == NULL || match_json(q->subset, ev, NULL));
    json_decref(ev);
    return ok;
}

static uint32_t records_count(struct run *r, uint32_t actor)
{
    const struct client_exchange *e = exchange(r, actor, r->actors[actor].sub);
    return e == NULL ? 0 : e->records_count;
}

static int stream_ended(struct run *r, uint32_t actor)
{
    const struct client_exchange *e = exchange(r, actor, r->actors[actor].sub);
    return e == NULL || e->ended;
}

static int event_found(void *ctx)
{
    struct event_query *q = ctx;
    uint32_t n = records_count(q->r, q->s->actor), from = q->r->actors[q->s->actor].cursor;
    if (q->s->kind == SCN_STEP_EXPECT_NEXT) { /* the very next one decides, match or not */
        q->found = from;
        return from < n;
    }
    for (uint32_t i = from; i < n; i++) {
        if (record_matches(q, i, q->s->name)) {
            q->found = i;
            return 1;
        }
    }
    return 0;
}

/* Why the first event of the step's type past the cursor does not match its subset. */
static void subset_mismatch(const struct event_query *q, char *out, size_t out_bytes)
{
    uint32_t n = records_count(q->r, q->s->actor);
    for (uint32_t i = q->r->actors[q->s->actor].cursor; i < n; i++) {
        json_t *ev = record_json(q->r, q->s->actor, i);
        if (ev != NULL && strcmp(json_type_of(ev), q->s->name) == 0) {
            struct mc_buf why;
            mc_buf_init(&why, out_bytes - 1, NULL);
            if (!match_json(q->subset, ev, &why))
                snprintf(out, out_bytes, "%s", mc_buf_str(&why));
            mc_buf_deinit(&why);
            json_decref(ev);
            return;
        }
        json_decref(ev);
    }
}

/* What the actor's stream holds past its cursor, for a failure report. */
static void stream_describe(struct run *r, uint32_t actor, char *out, size_t out_bytes)
{
    uint32_t n = records_count(r, actor), from = r->actors[actor].cursor;
    size_t used = (size_t)snprintf(out, out_bytes, "%s", n > from ? "events:" : "no new event");
    for (uint32_t i = from; i < n && used + 40 < out_bytes; i++) {
        json_t *ev = record_json(r, actor, i);
        used += (size_t)snprintf(out + used, out_bytes - used, " %s", json_type_of(ev));
        json_decref(ev);
    }
    if (used + 20 < out_bytes)
        snprintf(out + used, out_bytes - used, "%s", stream_ended(r, actor) ? " (stream ended)" : "");
}

static enum step_result expect_event(struct run *r, const struct scn_step *s)
{
    if (r->actors[s->actor].sub < 0)
        return runner__fail(r, STEP_FAIL, "an event stream", "the actor has no subscription", "");
    int err = 0;
    json_t *subset = s->json != NULL ? runner__json_expand(r, s->json, &err) : NULL;
    if (err != 0) {
        json_decref(subset);
        return runner__fail(r, STEP_FAIL, "an event subset", "", "it uses an undefined variable");
    }
    struct event_query q = {r, s, subset, 0};
    int ok = 0;
    if (target_advance(r->t, step_ns(r, s), event_found, &q, NULL) != 0) {
        json_decref(subset);
        return runner__fail(r, STEP_UNKNOWN, "time to pass", "", "the target stopped");
    }
    ok = event_found(&q) && record_matches(&q, q.found, s->name);
    char why[RUNNER_TEXT_BYTES_MAX] = "";
    if (!ok && subset != NULL)
        subset_mismatch(&q, why, sizeof(why));
    json_decref(subset);
    if (ok) {
        r->actors[s->actor].cursor = q.found + 1;
        return STEP_OK;
    }
    char want[RUNNER_TEXT_BYTES_MAX], got[RUNNER_TEXT_BYTES_MAX];
    char *text = s->json ? json_dumps(s->json, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    snprintf(want, sizeof(want), "%s %s%s%s within %" PRIu64 " ms",
             s->kind == SCN_STEP_EXPECT_NEXT ? "next event" : "event", s->name,
             text ? " matching " : "", text ? text : "", step_ns(r, s) / 1000000u);
    free(text);
    stream_describe(r, s->actor, got, sizeof(got));
    return runner__fail(r, STEP_FAIL, want, got, why);
}

static int event_violates(void *ctx)
{
    struct event_query *q = ctx;
    uint32_t n = records_count(q->r, q->s->actor);
    for (uint32_t i = q->r->actors[q->s->actor].cursor; i < n; i++)
        if (record_matches(q, i, q->s->name)) {
            q->found = i;
            return 1;
        }
    return 0;
}

/* EXPECT_NO_EVENT: time passes and no such event arrives (nor is waiting unread). */
static enum step_result expect_no_event(struct run *r, const struct scn_step *s)
{
    struct event_query q = {r, s, NULL, 0};
    int early = 0;
    if (target_advance(r->t, step_ns(r, s), event_violates, &q, &early) != 0)
        return runner__fail(r, STEP_UNKNOWN, "time to pass", "", "the target stopped");
    if (!early)
        return STEP_OK;
    char want[256], got[RUNNER_TEXT_BYTES_MAX];
    snprintf(want, sizeof(want), "no %s event for %" PRIu64 " ms", s->name ? s->name : "",
             step_ns(r, s) / 1000000u);
    stream_describe(r, s->actor, got, sizeof(got));
    return runner__fail(r, STEP_FAIL, want, got, "");
}

/* How many of the step's types appear in order from the cursor; sets *end past the last. */
static uint32_t order_progress(struct run *r, const struct scn_step *s, uint32_t *end)
{
    uint32_t n = records_count(r, s->actor), k = 0;
    for (uint32_t i = r->actors[s->actor].cursor; i < n && k < s->names_count; i++)
        if (record_matches(&(struct event_query){r, s, NULL, 0}, i, s->names[k])) {
            k++;
            *end = i + 1;
        }
    return k;
}

static int order_done(void *ctx)
{
    struct event_query *q = ctx;
    uint32_t end = 0;
    return order_progress(q->r, q->s, &end) == q->s->names_count;
}

static enum step_result expect_order(struct run *r, const struct scn_step *s)
{
    struct event_query q = {r, s, NULL, 0};
    if (target_advance(r->t, step_ns(r, s), order_done, &q, NULL) != 0)
        return runner__fail(r, STEP_UNKNOWN, "time to pass", "", "the target stopped");
    uint32_t end = 0;
    if (order_progress(r, s, &end) == s->names_count) {
        r->actors[s->actor].cursor = end;
        return STEP_OK;
    }
    char want[RUNNER_TEXT_BYTES_MAX] = "events in order:", got[RUNNER_TEXT_BYTES_MAX];
    for (uint32_t i = 0; i < s->names_count; i++)
        snprintf(want + strlen(want), sizeof(want) - strlen(want), " %s", s->names[i]);
    stream_describe(r, s->actor, got, sizeof(got));
    return runner__fail(r, STEP_FAIL, want, got, "");
}

static int closed(void *ctx)
{
    struct event_query *q = ctx;
    uint32_t a = q->s->actor;
    int x = q->r->actors[a].sub >= 0 ? q->r->actors[a].sub : q->r->actors[a].last;
    const struct client_exchange *e = exchange(q->r, a, x);
    return e != NULL && e->ended;
}

static enum step_result expect_closed(struct run *r, const struct scn_step *s)
{
    struct event_query q = {r, s, NULL, 0};
    if (target_advance(r->t, step_ns(r, s), closed, &q, NULL) != 0)
        return runner__fail(r, STEP_UNKNOWN, "time to pass", "", "the target stopped");
    if (closed(&q))
        return STEP_OK;
    char got[RUNNER_TEXT_BYTES_MAX];
    stream_describe(r, s->actor, got, sizeof(got));
    return runner__fail(r, STEP_FAIL, "the stream to end", got, "");
}

/* The value at a dotted path ("subscribed.framework_id.value", "offers.0.id", "offers[0].id"). */
static const json_t *json_path(const json_t *v, const char *path)
{
    char part[MC_SCN_NAME_BYTES_MAX * 4];
    while (v != NULL && *path != '\0') {
        size_t n = strcspn(path, ".[");
        if (n > 0) {
            if (n >= sizeof(part))
                return NULL;
            memcpy(part, path, n);
            part[n] = '\0';
            /* In an array a part is an index, as scn_parse.c checks paths ("offers.0.id"). */
            char *end;
            unsigned long i = strtoul(part, &end, 10);
            if (json_is_array(v) && end != part && *end == '\0')
                v = json_array_get(v, i);
            else
                v = json_object_get(v, part);
            path += n;
        } else if (*path == '[') {
            char *end;
            unsigned long i = strtoul(path + 1, &end, 10);
            if (*end != ']')
                return NULL;
            v = json_array_get(v, i);
            path = end + 1;
        }
        if (*path == '.')
            path++;
    }
    return v;
}

/* A captured value as text: strings as they are, anything else as compact JSON. */
static int value_capture(struct run *r, const char *var, const json_t *v)
{
    if (json_is_string(v))
        return var_set(r, var, json_string_value(v));
    char *text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY | JSON_SORT_KEYS);
    int err = text != NULL ? var_set(r, var, text) : MC_ENOMEM;
    free(text);
    return err;
}

/* The event a capture reads: the latest consumed one of its type, else the next. */
static json_t *capture_event(struct run *r, const struct scn_step *s)
{
    for (uint32_t i = r->actors[s->actor].cursor; i-- > 0;) {
        json_t *ev = record_json(r, s->actor, i);
        if (ev != NULL && strcmp(json_type_of(ev), s->name) == 0)
            return ev;
        json_decref(ev);
    }
    struct event_query q = {r, s, NULL, 0};
    struct scn_step probe = *s;
    probe.kind = SCN_STEP_EXPECT_EVENT;
    probe.json = NULL;
    q.s = &probe;
    if (target_advance(r->t, SCN_WITHIN_NS_DEFAULT, event_found, &q, NULL) != 0 || !event_found(&q))
        return NULL;
    return record_json(r, s->actor, q.found);
}

static enum step_result capture(struct run *r, const struct scn_step *s)
{
    json_t *owned = NULL;
    const json_t *v = NULL;
    const struct client_exchange *e = exchange(r, s->actor, r->actors[s->actor].last);
    if (s->capture_from == SCN_CAPTURE_HEADER) {
        const char *h = e ? http_headers_get(&e->response.headers, s->name) : NULL;
        v = owned = h ? json_string(h) : NULL;
    } else if (s->capture_from == SCN_CAPTURE_BODY) {
        owned = e ? json_loads(mc_buf_str(&e->response.body), JSON_DECODE_ANY, NULL) : NULL;
        v = json_path(owned, s->path);
    } else {
        owned = capture_event(r, s);
        v = json_path(owned, s->path);
    }
    enum step_result res = STEP_OK;
    if (v == NULL)
        res = runner__fail(r, STEP_FAIL, "a value to capture", "nothing at that place",
                           s->source);
    else if (value_capture(r, s->var, v) != 0)
        res = runner__fail(r, STEP_UNKNOWN, "room for the variable", "", "too many variables");
    json_decref(owned);
    return res;
}

static enum step_result let(struct run *r, const struct scn_step *s)
{
    struct mc_buf v;
    mc_buf_init(&v, RUNNER_VALUE_BYTES_MAX, NULL);
    int err = runner__expand(r, s->value, &v);
    if (err == 0)
        err = var_set(r, s->var, mc_buf_str(&v));
    mc_buf_deinit(&v);
    return err == 0 ? STEP_OK : runner__fail(r, STEP_FAIL, "a value", "", "let failed");
}

/* A fault's outcome: a target that cannot inject it makes the case a skip. */
static enum step_result fault_result(struct run *r, const struct scn_step *s, int err)
{
    if (err == 0)
        return STEP_OK;
    if (err == MC_EUNSUPPORTED) {
        char why[RUNNER_TEXT_BYTES_MAX];
        snprintf(why, sizeof(why), "the %s target cannot inject '%s'",
                 target_caps_get(r->t)->time_jumps ? "sim" : "http", s->source);
        return runner__fail(r, STEP_SKIP, "", "", why);
    }
    const char *why = target_fault_error(r->t);
    return runner__fail(r, STEP_FAIL, "the fault applied",
                        err == MC_EIO && why[0] != '\0' ? why : mc_strerror(err), "");
}

static enum step_result fault(struct run *r, const struct scn_step *s)
{
    const char *actor = s->actor != SCN_ACTOR_NONE ? runner__actor_name(r, s->actor) : NULL;
    switch (s->kind) {
    case SCN_STEP_PARTITION:
        return fault_result(r, s, target_partition(r->t, (const char *const *)s->names,
                                                   s->side_a_count,
                                                   (const char *const *)s->names + s->side_a_count,
                                                   s->names_count - s->side_a_count));
    case SCN_STEP_HEAL:
        return fault_result(r, s, target_heal(r->t));
    case SCN_STEP_HOLD:
    case SCN_STEP_RELEASE:
        return fault_result(r, s, target_hold(r->t, actor, s->kind == SCN_STEP_RELEASE));
    case SCN_STEP_RESET:
        return fault_result(r, s, target_reset(r->t, actor, r->actors[s->actor].sub));
    case SCN_STEP_CLOSE:
        target_hang_up(r->t, actor, r->actors[s->actor].sub);
        return STEP_OK;
    case SCN_STEP_SPLIT:
        return fault_result(r, s, target_split(r->t, actor, s->split_bytes));
    case SCN_STEP_DROP_HEARTBEATS:
        return fault_result(r, s, target_drop_heartbeats(r->t, actor, step_ns(r, s)));
    case SCN_STEP_RESTART:
        if (strcmp(s->name, "master") == 0)
            return fault_result(r, s, target_restart_master(r->t));
        return fault_result(r, s, target_restart_agent(r->t, s->name));
    case SCN_STEP_CRASH:
        return fault_result(r, s, target_crash_agent(r->t, s->name));
    default:
        MC_UNREACHABLE();
    }
}

static enum step_result step_run(struct run *r, const struct scn_step *s)
{
    switch (s->kind) {
    case SCN_STEP_SUBSCRIBE:
    case SCN_STEP_CALL:
    case SCN_STEP_RAW:
        return runner__send(r, s);
    case SCN_STEP_EXPECT_STATUS:
        return expect_status(r, s);
    case SCN_STEP_EXPECT_HEADER:
    case SCN_STEP_EXPECT_BODY:
        return expect_text(r, s);
    case SCN_STEP_EXPECT_EVENT:
    case SCN_STEP_EXPECT_NEXT:
        return expect_event(r, s);
    case SCN_STEP_EXPECT_NO_EVENT:
        return expect_no_event(r, s);
    case SCN_STEP_EXPECT_ORDER:
        return expect_order(r, s);
    case SCN_STEP_EXPECT_CLOSED:
        return expect_closed(r, s);
    case SCN_STEP_CAPTURE:
        return capture(r, s);
    case SCN_STEP_LET:
        return let(r, s);
    case SCN_STEP_ADVANCE:
        return target_advance(r->t, step_ns(r, s), NULL, NULL, NULL) == 0
                   ? STEP_OK : runner__fail(r, STEP_UNKNOWN, "time to pass", "", "the target stopped");
    default:
        return fault(r, s);
    }
}

/* Appends "; " and a reason to why, once per distinct reason. */
static void why_add(char *why, size_t why_bytes, const char *reason)
{
    if (reason[0] == '\0' || strstr(why, reason) != NULL)
        return;
    snprintf(why + strlen(why), why_bytes - strlen(why), "%s%s", why[0] ? "; " : "", reason);
}

/* What a need asks of the target in general (agents and names are checked per step). */
static const struct {
    enum scn_need need;
    enum target_ability ability;
} need_abilities[] = {
    {SCN_NEED_PARTITIONS, TARGET_CAN_PARTITION},
    {SCN_NEED_HOLDS, TARGET_CAN_HOLD},
    {SCN_NEED_MASTER_RESTART, TARGET_CAN_RESTART_MASTER},
    {SCN_NEED_DROPS, TARGET_CAN_DROP_HEARTBEATS},
    {SCN_NEED_SPLITS, TARGET_CAN_SPLIT},
};

/* The ability a step needs, and for which name; 0 when it needs none. */
static int step_ability(const struct scn_step *s, uint32_t k, enum target_ability *what,
                        const char **name)
{
    *name = NULL;
    switch (s->kind) {
    case SCN_STEP_PARTITION:
        *what = TARGET_CAN_PARTITION;
        *name = k < s->names_count ? s->names[k] : NULL;
        return *name != NULL;
    case SCN_STEP_RESET:
        *what = TARGET_CAN_RESET;
        return k == 0;
    case SCN_STEP_CRASH:
        *what = TARGET_CAN_CRASH_AGENT;
        *name = s->name;
        return k == 0;
    case SCN_STEP_RESTART:
        *what = strcmp(s->name, "master") == 0 ? TARGET_CAN_RESTART_MASTER
                                                : TARGET_CAN_RESTART_AGENT;
        *name = *what == TARGET_CAN_RESTART_AGENT ? s->name : NULL;
        return k == 0;
    default:
        return 0;
    }
}

/*
 * What the case needs that the target cannot do, as a skip reason ("" when
 * nothing): its needs first, then its agents, then each fault step for the
 * names it acts on (an agent without a hook, a partition of an agent).
 */
static void needs_check(const struct scn_case *c, const struct target *t, char *why,
                        size_t why_bytes)
{
    char reason[RUNNER_TEXT_BYTES_MAX];
    why[0] = '\0';
    for (size_t i = 0; i < sizeof(need_abilities) / sizeof(need_abilities[0]); i++)
        if ((c->needs & need_abilities[i].need) &&
            !target_can(t, need_abilities[i].ability, NULL, reason, sizeof(reason)))
            why_add(why, why_bytes, reason);
    for (uint32_t i = 0; i < c->agents_count; i++)
        if (!target_can(t, TARGET_CAN_AGENT, c->agents[i].name, reason, sizeof(reason)))
            why_add(why, why_bytes, reason);
    struct mc_list_node *it;
    MC_LIST_FOR_EACH(it, &c->steps) {
        const struct scn_step *s = MC_CONTAINER_OF(it, struct scn_step, node);
        enum target_ability what;
        const char *name;
        for (uint32_t k = 0; step_ability(s, k, &what, &name); k++)
            if (!target_can(t, what, name, reason, sizeof(reason)))
                why_add(why, why_bytes, reason);
    }
}

static int target_make(const struct scn_case *c, const struct runner_options *o,
                       struct target **t, struct mc_diag *diag)
{
    if (o->target != NULL && strcmp(o->target, "sim") != 0) {
        struct target_http_options http;
        memset(&http, 0, sizeof(http));
        if (o->http != NULL)
            http = *o->http;
        http.seed = o->seed;
        http.case_id = c->id;
        return target_http_create(o->target, &http, t, diag);
    }
    struct target_setup setup;
    memset(&setup, 0, sizeof(setup));
    setup.seed = o->seed;
    setup.heartbeat_interval_ns = c->master.heartbeat_interval_ns;
    setup.agent_ping_timeout_ns = c->master.agent_ping_timeout_ns;
    setup.allocation_interval_ns = c->master.allocation_interval_ns;
    if (c->agents_count > TARGET_AGENTS_MAX) {
        mc_diag_set(diag, "%u agents: the sim target takes at most %u", c->agents_count,
                    TARGET_AGENTS_MAX);
        return MC_ELIMIT;
    }
    for (uint32_t i = 0; i < c->agents_count; i++) {
        struct target_agent_setup *a = &setup.agents[i];
        if (strlen(c->agents[i].name) >= sizeof(a->name)) {
            mc_diag_set(diag, "agent name '%s' is longer than the sim target takes (%zu bytes)",
                        c->agents[i].name, sizeof(a->name) - 1);
            return MC_ELIMIT;
        }
        memcpy(a->name, c->agents[i].name, strlen(c->agents[i].name) + 1);
        a->resources = c->agents[i].resources;
    }
    setup.agents_count = c->agents_count;
    return target_sim_create(&setup, t, diag);
}

/* The last events of every actor, for the failure report. */
static int actor_logs(struct run *r, struct report_case *rc)
{
    for (uint32_t a = 0; a < r->c->actors_count; a++) {
        const struct client_exchange *e = exchange(r, a, r->actors[a].sub);
        for (uint32_t i = 0; e != NULL && i < e->records_count; i++) {
            json_t *ev = json_loads(e->records[i].json, 0, NULL);
            char line[160];
            snprintf(line, sizeof(line), "%9.3fs %s%s", (double)e->records[i].arrived_ns / 1e9,
                     json_type_of(ev), i < r->actors[a].cursor ? "" : " (unread)");
            json_decref(ev);
            int err = report_case_actor_log_append(rc, r->c->actors[a].name, line);
            if (err != 0)
                return err;
        }
    }
    return 0;
}

/*
 * A world that broke one of its invariants (the simulated cluster's checks)
 * ran a wrong reference, whatever the steps saw: a case that would pass or
 * skip fails with the first violation; a case that failed anyway keeps its
 * failure and says there was one.
 */
static enum step_result violations_apply(struct run *r, enum step_result res,
                                         const struct scn_step **failed)
{
    uint64_t at_ns = 0;
    const char *text = NULL;
    uint64_t n = target_violations(r->t, &at_ns, &text);
    if (n == 0)
        return res;
    char observed[RUNNER_TEXT_BYTES_MAX / 2];
    snprintf(observed, sizeof(observed), "at %" PRIu64 ".%09" PRIu64 "s: %.1900s",
             at_ns / 1000000000u, at_ns % 1000000000u, text != NULL ? text : "");
    if (res == STEP_FAIL || res == STEP_UNKNOWN) {
        char message[RUNNER_TEXT_BYTES_MAX];
        snprintf(message, sizeof(message), "%.1800s%sand the world broke an invariant %s",
                 r->message, r->message[0] ? "; " : "", observed);
        snprintf(r->message, sizeof(r->message), "%s", message);
        return res;
    }
    char message[128];
    snprintf(message, sizeof(message), "the simulated cluster broke an invariant (%" PRIu64
             " violation%s)", n, n == 1 ? "" : "s");
    *failed = NULL;
    return runner__fail(r, STEP_FAIL, "every invariant of the simulated cluster to hold",
                        observed, message);
}

static int verdict_record(struct run *r, const struct scn_step *s, enum step_result res,
                          struct report_case *rc)
{
    if (res == STEP_OK)
        return report_case_verdict_set(rc, REPORT_PASS, NULL);
    if (res == STEP_SKIP)
        return report_case_verdict_set(rc, REPORT_SKIP, r->message);
    struct report_failure_desc d = {s ? s->source : NULL, r->c->file, s ? s->pos.line : 0,
                                    s ? s->pos.column : 0, r->expected, r->observed,
                                    r->message[0] ? r->message : NULL};
    int err = report_case_failure_set(rc, &d);
    if (err == 0)
        err = actor_logs(r, rc);
    if (err == 0)
        err = report_case_verdict_set(rc, res == STEP_FAIL ? REPORT_FAIL : REPORT_UNKNOWN,
                                      res == STEP_FAIL || !r->message[0] ? NULL : r->message);
    return err;
}

static int case_meta(const struct scn_case *c, const struct runner_options *o,
                     struct report_case *rc)
{
    static const enum report_level levels[] = {REPORT_LEVEL_MUST, REPORT_LEVEL_SHOULD,
                                               REPORT_LEVEL_INFO};
    report_case_level_set(rc, levels[c->level]);
    report_case_seed_set(rc, o->seed);
    int err = 0;
    for (uint32_t i = 0; err == 0 && i < c->spec_rows_count; i++)
        err = report_case_spec_add(rc, c->spec_rows[i]);
    for (uint32_t i = 0; err == 0 && i < c->tags_count; i++)
        err = report_case_tag_add(rc, c->tags[i]);
    char replay[MC_SCN_PATH_BYTES_MAX * 2 + 256 + RUNNER_REPLAY_FLAGS_BYTES_MAX];
    snprintf(replay, sizeof(replay), "%s run %s --target %s --seed %" PRIu64 " --filter %s%s%s",
             o->program ? o->program : "mesos-conform", c->file, o->target ? o->target : "sim",
             o->seed, c->id, o->replay_flags != NULL && o->replay_flags[0] ? " " : "",
             o->replay_flags != NULL ? o->replay_flags : "");
    if (err == 0)
        err = report_case_replay_set(rc, replay);
    return err;
}

static uint64_t wall_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Runs the steps on r->t until one does not go on; *failed is that step. */
static enum step_result steps_run(struct run *r, const struct scn_step **failed)
{
    needs_check(r->c, r->t, r->message, sizeof(r->message));
    if (r->message[0] != '\0')
        return STEP_SKIP;
    enum step_result res = STEP_OK;
    struct mc_list_node *it;
    MC_LIST_FOR_EACH(it, &r->c->steps) {
        *failed = MC_CONTAINER_OF(it, struct scn_step, node);
        res = step_run(r, *failed);
        if (res != STEP_OK)
            break;
    }
    return violations_apply(r, res, failed);
}

/* Runs c on t (or, with t NULL, records why there is no target: diag_text). */
static int case_run(const struct scn_case *c, const struct runner_options *o, struct target *t,
                    const char *diag_text, struct report_case *rc)
{
    uint64_t wall0 = wall_ns();
    int err = case_meta(c, o, rc);
    if (err != 0)
        return err;
    struct run *r = calloc(1, sizeof(*r));
    if (r == NULL)
        return MC_ENOMEM;
    r->c = c;
    r->t = t;
    r->rc = rc;
    r->heartbeat_ns = c->master.heartbeat_interval_ns ? c->master.heartbeat_interval_ns
                                                      : RUNNER_HEARTBEAT_NS_DEFAULT;
    for (uint32_t a = 0; a < MC_SCN_ACTORS_MAX; a++)
        r->actors[a].last = r->actors[a].sub = -1;
    enum step_result res;
    const struct scn_step *failed = NULL;
    if (t == NULL)
        res = runner__fail(r, STEP_UNKNOWN, "a target", "", diag_text);
    else
        res = steps_run(r, &failed);
    err = verdict_record(r, res == STEP_OK ? NULL : failed, res, rc);
    if (t != NULL) {
        report_case_trace_hash_set(rc, target_trace_hash(t));
        report_case_duration_set(rc, target_caps_get(t)->time_jumps ? target_now_ns(t) : 0,
                                 wall_ns() - wall0);
    }
    if (err == 0)
        err = r->report_err;
    free(r);
    return err;
}

int runner_case_run_on(const struct scn_case *c, const struct runner_options *o,
                       struct target *t, struct report_case *rc)
{
    MC_ASSERT(t != NULL);
    return case_run(c, o, t, NULL, rc);
}

int runner_case_run(const struct scn_case *c, const struct runner_options *o,
                    struct report_case *rc)
{
    struct mc_diag diag;
    mc_diag_clear(&diag);
    struct target *t = NULL;
    if (target_make(c, o, &t, &diag) != 0)
        t = NULL;
    int err = case_run(c, o, t, diag.text, rc);
    target_destroy(t);
    return err;
}
