/*
 * runner_send.c: the request steps (SUBSCRIBE, CALL, RAW): their headers
 * and bodies, with ${variables} expanded, encoded in the step's codec.
 */
#include <stdlib.h>
#include <string.h>

#include "http_msg.h"
#include "mc_limits.h"
#include "pbjson.h"
#include "registry.h"
#include "runner_internal.h"

#define SEND_HEADERS_MAX (MC_SCN_HEADERS_MAX + 4)

struct send_headers {
    char *items[SEND_HEADERS_MAX * 2 + 1]; /* name, value, ..., NULL; owned */
    uint32_t count;
};

static void headers_free(struct send_headers *h)
{
    for (uint32_t i = 0; i < h->count * 2; i++)
        mc_free(NULL, h->items[i]);
    h->count = 0;
    h->items[0] = NULL;
}

/* Sets name to value (NULL removes it), replacing an earlier value. */
static int headers_set(struct send_headers *h, const char *name, const char *value)
{
    for (uint32_t i = 0; i < h->count; i++) {
        if (http_name_equal(h->items[2 * i], name)) {
            mc_free(NULL, h->items[2 * i]);
            mc_free(NULL, h->items[2 * i + 1]);
            memmove(&h->items[2 * i], &h->items[2 * i + 2], (h->count - i - 1) * 2 * sizeof(char *));
            h->count--;
            break;
        }
    }
    if (value != NULL) {
        if (h->count >= SEND_HEADERS_MAX)
            return MC_ELIMIT;
        h->items[2 * h->count] = mc_strdup(NULL, name);
        h->items[2 * h->count + 1] = mc_strdup(NULL, value);
        if (h->items[2 * h->count] == NULL || h->items[2 * h->count + 1] == NULL)
            return MC_ENOMEM;
        h->count++;
    }
    h->items[2 * h->count] = NULL;
    return 0;
}

/* The step's own header lines, after the defaults, with variables expanded. */
static int headers_apply_step(struct run *r, const struct scn_step *s, struct send_headers *h)
{
    struct mc_list_node *it;
    MC_LIST_FOR_EACH(it, &s->headers) {
        const struct scn_header *sh = MC_CONTAINER_OF(it, struct scn_header, node);
        if (sh->value == NULL) {
            if (headers_set(h, sh->name, NULL) != 0)
                return MC_ELIMIT;
            continue;
        }
        struct mc_buf v;
        mc_buf_init(&v, MC_HTTP_HEADER_BYTES_MAX, NULL);
        int err = runner__expand(r, sh->value, &v);
        if (err == 0)
            err = headers_set(h, sh->name, mc_buf_str(&v));
        mc_buf_deinit(&v);
        if (err != 0)
            return err;
    }
    return 0;
}

/* A deep copy of in with ${variables} expanded in every string. */
json_t *runner__json_expand(struct run *r, const json_t *in, int *err)
{
    if (json_is_string(in)) {
        struct mc_buf v;
        mc_buf_init(&v, MC_HTTP_BODY_BYTES_MAX, NULL);
        *err = runner__expand(r, json_string_value(in), &v);
        json_t *out = *err == 0 ? json_stringn(mc_buf_str(&v), v.len) : NULL;
        mc_buf_deinit(&v);
        return out;
    }
    if (json_is_object(in)) {
        json_t *out = json_object();
        const char *key;
        json_t *value;
        json_object_foreach((json_t *)in, key, value) {
            json_t *sub = runner__json_expand(r, value, err);
            if (sub == NULL || json_object_set_new(out, key, sub) != 0) {
                *err = *err != 0 ? *err : MC_ENOMEM;
                break;
            }
        }
        return out;
    }
    if (json_is_array(in)) {
        json_t *out = json_array();
        for (size_t i = 0; i < json_array_size(in); i++) {
            json_t *sub = runner__json_expand(r, json_array_get(in, i), err);
            if (sub == NULL || json_array_append_new(out, sub) != 0) {
                *err = *err != 0 ? *err : MC_ENOMEM;
                break;
            }
        }
        return out;
    }
    return json_deep_copy(in);
}

static const char *codec_type(enum scn_codec codec)
{
    return codec == SCN_CODEC_PROTOBUF ? "application/x-protobuf" : "application/json";
}

/* The Call object of a SUBSCRIBE or CALL step, before expansion (a new reference). */
static json_t *call_object(struct run *r, const struct scn_step *s)
{
    const struct run_actor *a = &r->actors[s->actor];
    json_t *call;
    if (s->kind == SCN_STEP_SUBSCRIBE) {
        json_t *sub = s->json != NULL ? json_incref(s->json)
                                      : json_pack("{s:{s:s,s:s}}", "framework_info", "user", "root",
                                                  "name", "mesos-conform");
        call = json_pack("{s:s,s:o}", "type", "SUBSCRIBE", "subscribe", sub);
        /* As real clients do, a resubscription names its id at the top too (S8). */
        json_t *id = json_object_get(json_object_get(sub, "framework_info"), "id");
        if (call != NULL && id != NULL)
            json_object_set(call, "framework_id", id);
        return call;
    }
    call = s->json != NULL ? json_deep_copy(s->json) : json_object();
    if (call != NULL && json_object_get(call, "type") == NULL)
        json_object_set_new(call, "type", json_string(s->name));
    if (call != NULL && json_object_get(call, "framework_id") == NULL && a->framework_id[0] != '\0')
        json_object_set_new(call, "framework_id", json_pack("{s:s}", "value", a->framework_id));
    return call;
}

/* The body of a step, in its codec, into out; a scenario that cannot be sent fails. */
static enum step_result body_build(struct run *r, const struct scn_step *s, struct mc_buf *out)
{
    if (s->kind == SCN_STEP_RAW && s->body_kind == SCN_BODY_BYTES)
        return mc_buf_append(out, s->body_bytes, s->body_len) == 0 ? STEP_OK : STEP_UNKNOWN;
    if (s->kind == SCN_STEP_RAW && s->body_kind == SCN_BODY_NONE)
        return STEP_OK;
    json_t *raw = s->kind == SCN_STEP_RAW ? json_incref(s->json) : call_object(r, s);
    int err = 0;
    json_t *body = raw != NULL ? runner__json_expand(r, raw, &err) : NULL;
    json_decref(raw);
    char *text = body != NULL && err == 0 ? json_dumps(body, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
    json_decref(body);
    if (text == NULL)
        return runner__fail(r, STEP_FAIL, "a body to send", "", err == MC_ENOTFOUND
                                ? "the body uses an undefined variable" : "the body cannot be built");
    enum step_result res = STEP_OK;
    if (s->kind != SCN_STEP_RAW && s->codec == SCN_CODEC_PROTOBUF) {
        ProtobufCMessage *m = NULL;
        struct pbjson_error perr;
        if (pbjson_decode(proto_registry_find("mesos.v1.scheduler.Call"), text, strlen(text), NULL,
                          &m, &perr) != 0 || pbjson_pack(m, out) != 0)
            res = runner__fail(r, STEP_FAIL, "a Call that converts to protobuf", perr.mesos_text,
                               "the step's Call does not convert to protobuf");
        if (m != NULL)
            protobuf_c_message_free_unpacked(m, NULL);
    } else if (mc_buf_append_str(out, text) != 0) {
        res = STEP_UNKNOWN;
    }
    free(text);
    return res;
}

static int headers_defaults(const struct run *r, const struct scn_step *s, struct send_headers *h)
{
    if (s->kind == SCN_STEP_RAW)
        return 0;
    const struct run_actor *a = &r->actors[s->actor];
    int err = headers_set(h, "Content-Type", codec_type(s->codec));
    if (err == 0)
        err = headers_set(h, "Accept", codec_type(s->codec));
    if (err == 0 && s->kind == SCN_STEP_CALL && a->stream_id[0] != '\0')
        err = headers_set(h, "Mesos-Stream-Id", a->stream_id);
    return err;
}

enum step_result runner__send(struct run *r, const struct scn_step *s)
{
    struct send_headers h = {{NULL}, 0};
    struct mc_buf body, path;
    mc_buf_init(&body, MC_HTTP_BODY_BYTES_MAX, NULL);
    mc_buf_init(&path, MC_HTTP_URL_BYTES_MAX, NULL);
    enum step_result res = body_build(r, s, &body);
    int err = 0;
    if (res == STEP_OK) {
        err = headers_defaults(r, s, &h);
        if (err == 0)
            err = headers_apply_step(r, s, &h);
        if (err == 0)
            err = runner__expand(r, s->kind == SCN_STEP_RAW ? s->path : "/api/v1/scheduler", &path);
        if (err != 0)
            res = runner__fail(r, STEP_FAIL, "headers and a path to send", "",
                               "a header or the path uses an undefined variable");
    }
    int x = -1;
    if (res == STEP_OK &&
        target_call(r->t, runner__actor_name(r, s->actor),
                    s->kind == SCN_STEP_RAW ? s->method : "POST", mc_buf_str(&path),
                    (const char *const *)h.items, body.data, body.len, &x) != 0)
        res = runner__fail(r, STEP_UNKNOWN, "a request sent", "", "the request could not be sent");
    if (res == STEP_OK) {
        r->actors[s->actor].last = x;
        res = runner__wait_answer(r, s, s->actor, x);
    }
    headers_free(&h);
    mc_buf_deinit(&body);
    mc_buf_deinit(&path);
    return res;
}
