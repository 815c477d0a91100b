/*
 * scheduler_api.c: /api/v1/scheduler, in Mesos' order of checks.
 *
 * Mesos answers a scheduler call by walking one fixed list of checks and
 * stopping at the first that matches (src/master/http.cpp, `scheduler`;
 * SPEC.md S1-S17). master__scheduler_request walks the same list, one
 * function per group, so the order can be read top to bottom below. Texts
 * are Mesos' to the byte (recorded: mesos-1.12 `s.*`).
 */
#include <stdio.h>
#include <string.h>

#include "http_msg.h"
#include "master_internal.h"
#include "mc_assert.h"
#include "mc_buf.h"
#include "pbjson.h"

#define CALL_TYPE(name) MESOS__V1__SCHEDULER__CALL__TYPE__##name

/* One answer still to give: 0 means "no answer yet, go on". */
struct verdict {
    int status;
    /* Room for the longest reason: a stream id echoed back (S16). */
    char text[MC_HTTP_HEADER_BYTES_MAX + MC_PBJSON_MESOS_TEXT_BYTES_MAX];
};

static int verdict_set(struct verdict *v, int status, const char *prefix, const char *text)
{
    v->status = status;
    snprintf(v->text, sizeof(v->text), "%s%s", prefix, text);
    return 1;
}

/*
 * The call types whose arguments must be present, by the name of their
 * field (src/master/validation.cpp, scheduler::call::validate). TEARDOWN,
 * REVIVE, SUPPRESS and UNKNOWN carry none; SUBSCRIBE is checked apart.
 */
static const struct {
    Mesos__V1__Scheduler__Call__Type type;
    const char *field;
} call_fields[] = {
    {CALL_TYPE(ACCEPT), "accept"},
    {CALL_TYPE(DECLINE), "decline"},
    {CALL_TYPE(ACCEPT_INVERSE_OFFERS), "accept_inverse_offers"},
    {CALL_TYPE(DECLINE_INVERSE_OFFERS), "decline_inverse_offers"},
    {CALL_TYPE(KILL), "kill"},
    {CALL_TYPE(SHUTDOWN), "shutdown"},
    {CALL_TYPE(ACKNOWLEDGE), "acknowledge"},
    {CALL_TYPE(ACKNOWLEDGE_OPERATION_STATUS), "acknowledge_operation_status"},
    {CALL_TYPE(RECONCILE), "reconcile"},
    {CALL_TYPE(RECONCILE_OPERATIONS), "reconcile_operations"},
    {CALL_TYPE(MESSAGE), "message"},
    {CALL_TYPE(REQUEST), "request"},
    {CALL_TYPE(UPDATE_FRAMEWORK), "update_framework"},
};

/* Whether the message field `name` of msg is set (a sub-message pointer). */
static int message_field_present(const ProtobufCMessage *msg, const char *name)
{
    const ProtobufCFieldDescriptor *f =
        protobuf_c_message_descriptor_get_field_by_name(msg->descriptor, name);
    MC_ASSERT(f != NULL && f->type == PROTOBUF_C_TYPE_MESSAGE);
    return *(const ProtobufCMessage *const *)((const char *)msg + f->offset) != NULL;
}

/* Two optional FrameworkIDs are equal when both are unset or both say the same. */
static int framework_ids_equal(const Mesos__V1__FrameworkID *a, const Mesos__V1__FrameworkID *b)
{
    if (a == NULL || b == NULL)
        return a == b;
    return strcmp(a->value, b->value) == 0;
}

/* stout's UUID::fromBytes: 16 bytes or "Not a valid UUID". */
static const char *uuid_check(ProtobufCBinaryData uuid)
{
    return uuid.len == 16 ? NULL : "Not a valid UUID";
}

/*
 * S8: validation::scheduler::call::validate; NULL when the call is valid,
 * else the reason (a constant, or text written into buf).
 */
static const char *call_validate(const Mesos__V1__Scheduler__Call *call, char *buf,
                                 size_t buf_bytes)
{
    if (!call->has_type)
        return "Expecting 'type' to be present";
    if (call->type == CALL_TYPE(SUBSCRIBE)) {
        if (call->subscribe == NULL)
            return "Expecting 'subscribe' to be present";
        if (!framework_ids_equal(call->subscribe->framework_info->id, call->framework_id))
            return "'framework_id' differs from 'subscribe.framework_info.id'";
        return NULL;
    }
    if (call->framework_id == NULL)
        return "Expecting 'framework_id' to be present";
    for (size_t i = 0; i < sizeof(call_fields) / sizeof(call_fields[0]); i++) {
        if (call_fields[i].type == call->type &&
            !message_field_present(&call->base, call_fields[i].field)) {
            snprintf(buf, buf_bytes, "Expecting '%s' to be present", call_fields[i].field);
            return buf;
        }
    }
    if (call->type == CALL_TYPE(ACKNOWLEDGE))
        return uuid_check(call->acknowledge->uuid);
    if (call->type == CALL_TYPE(ACKNOWLEDGE_OPERATION_STATUS)) {
        const char *bad = uuid_check(call->acknowledge_operation_status->uuid);
        if (bad == NULL && call->acknowledge_operation_status->agent_id == NULL)
            bad = "Expecting 'agent_id' to be present";
        return bad;
    }
    if (call->type == CALL_TYPE(UPDATE_FRAMEWORK) &&
        !framework_ids_equal(call->framework_id, call->update_framework->framework_info->id))
        return "'framework_id' differs from 'update_framework.framework_info.id'";
    return NULL;
}

/* S2, S3: only a recovered leader serves the scheduler API. */
static int check_leader(struct master *m, struct verdict *v, char *location, size_t location_bytes)
{
    if (m->leadership == MASTER_FOLLOWING) {
        snprintf(location, location_bytes, "//%s/master/api/v1/scheduler", m->leader);
        v->status = 307;
        return 1;
    }
    if (m->leadership == MASTER_NO_LEADER)
        return verdict_set(v, 503, "", "No leader elected");
    if (!m->recovered)
        return verdict_set(v, 503, "", "Master has not finished recovery");
    return 0;
}

/*
 * S6 for a JSON body: Mesos' reason, whole (a syntax error quotes the rest
 * of the line, which may be longer than err's own copy).
 */
static int decode_refusal(struct master *m, struct verdict *v, const struct pbjson_error *err,
                          const char *body, size_t len)
{
    if (err->kind == PBJSON_ERR_NOMEM)
        return verdict_set(v, 503, "", "Service Unavailable");
    const char *prefix = err->kind == PBJSON_ERR_SYNTAX
                             ? "Failed to parse body into JSON: "
                             : "Failed to convert JSON into Call protobuf: ";
    struct mc_buf text;
    mc_buf_init(&text, sizeof(v->text) - strlen(prefix) - 1, m->rt.alloc);
    if (pbjson_error_text_append(err, body, len, &text) != 0)
        verdict_set(v, 400, prefix, err->mesos_text); /* cut, but still Mesos' words */
    else
        verdict_set(v, 400, prefix, mc_buf_str(&text));
    mc_buf_deinit(&text);
    return 1;
}

/* S4-S7: method, Content-Type and the body's decoding into *call. */
static int check_decode(struct master *m, const struct http_request *request, struct verdict *v,
                        Mesos__V1__Scheduler__Call **call)
{
    const char *content_type = http_headers_get(&request->headers, "Content-Type");
    if (content_type == NULL)
        return verdict_set(v, 400, "", "Expecting 'Content-Type' to be present");
    enum media_codec codec = media_content_type_codec(content_type);
    const uint8_t *body = request->body.data ? request->body.data : (const uint8_t *)"";
    ProtobufCMessage *msg = NULL;
    if (codec == MEDIA_CODEC_PROTOBUF) {
        if (pbjson_unpack(&mesos__v1__scheduler__call__descriptor, body, request->body.len,
                          &m->pb_alloc, &msg, NULL) != 0)
            return verdict_set(v, 400, "", "Failed to parse body into Call protobuf");
    } else if (codec == MEDIA_CODEC_JSON) {
        struct pbjson_error err;
        if (pbjson_decode(&mesos__v1__scheduler__call__descriptor, (const char *)body,
                          request->body.len, &m->pb_alloc, &msg, &err) != 0)
            return decode_refusal(m, v, &err, (const char *)body, request->body.len);
    } else {
        return verdict_set(v, 415, "",
                           "Expecting 'Content-Type' of application/json or "
                           "application/x-protobuf");
    }
    *call = (Mesos__V1__Scheduler__Call *)msg;
    return 0;
}

/* S8-S10: the call itself, and what SUBSCRIBE asks of the headers. */
static int check_call(const struct http_request *request, const Mesos__V1__Scheduler__Call *call,
                      struct verdict *v, enum media_codec *accept_codec)
{
    char buf[128];
    const char *invalid = call_validate(call, buf, sizeof(buf));
    if (invalid != NULL)
        return verdict_set(v, 400, "Failed to validate scheduler::Call: ", invalid);
    if (call->type == CALL_TYPE(SUBSCRIBE) || call->type == CALL_TYPE(RECONCILE_OPERATIONS)) {
        *accept_codec = media_negotiate(http_headers_get(&request->headers, "Accept"));
        if (*accept_codec == MEDIA_CODEC_NONE)
            return verdict_set(v, 406, "", MEDIA_REFUSAL_MASTER);
    }
    if (call->type == CALL_TYPE(SUBSCRIBE) &&
        http_headers_get(&request->headers, "Mesos-Stream-Id") != NULL)
        return verdict_set(v, 400, "",
                           "Subscribe calls should not include the 'Mesos-Stream-Id' header");
    return 0;
}

/* S12-S16: the framework named by a non-SUBSCRIBE call, and its stream. */
static struct framework *check_framework(struct master *m, const struct http_request *request,
                                         const Mesos__V1__Scheduler__Call *call,
                                         struct verdict *v)
{
    struct framework *fw = master__framework_find(m, call->framework_id->value);
    if (fw == NULL) {
        verdict_set(v, 400, "", "Framework cannot be found");
        return NULL;
    }
    if (fw->state != FW_STATE_CONNECTED) {
        verdict_set(v, 403, "", "Framework is not subscribed");
        return NULL;
    }
    const char *stream_id = http_headers_get(&request->headers, "Mesos-Stream-Id");
    if (stream_id == NULL) {
        verdict_set(v, 400, "",
                    "All non-subscribe calls should include the 'Mesos-Stream-Id' header");
        return NULL;
    }
    if (strcmp(stream_id, fw->stream_id) != 0) {
        v->status = 400;
        snprintf(v->text, sizeof(v->text),
                 "The stream ID '%s' included in this request didn't match the stream ID "
                 "currently associated with framework ID %s",
                 stream_id, fw->id);
        return NULL;
    }
    return fw;
}

/* S17: every call that passed the checks, as Mesos' final switch. */
static void call_dispatch(struct master *m, uint64_t req, struct framework *fw,
                          const Mesos__V1__Scheduler__Call *call)
{
    switch (call->type) {
    case CALL_TYPE(DECLINE):
        master__offers_decline(m, fw, call->decline->offer_ids, call->decline->n_offer_ids,
                               call->decline->filters);
        master__respond_empty(m, req, 202);
        return;
    case CALL_TYPE(ACCEPT):
        /* With no operations an ACCEPT is a decline with its filters (O6). */
        if (call->accept->n_operations == 0)
            master__offers_decline(m, fw, call->accept->offer_ids, call->accept->n_offer_ids,
                                   call->accept->filters);
        else
            master__tasks_accept(m, fw, call->accept); /* O5: never a 4xx */
        master__respond_empty(m, req, 202);
        return;
    case CALL_TYPE(KILL):
        master__tasks_kill(m, fw, call->kill);
        master__respond_empty(m, req, 202);
        return;
    case CALL_TYPE(SHUTDOWN):
        master__tasks_shutdown(m, fw, call->shutdown);
        master__respond_empty(m, req, 202);
        return;
    case CALL_TYPE(ACKNOWLEDGE):
        master__tasks_acknowledge(m, fw, call->acknowledge);
        master__respond_empty(m, req, 202);
        return;
    case CALL_TYPE(RECONCILE):
        master__tasks_reconcile(m, fw, call->reconcile);
        master__respond_empty(m, req, 202);
        return;
    case CALL_TYPE(MESSAGE):
        master__tasks_message(m, fw, call->message);
        master__respond_empty(m, req, 202);
        return;
    case CALL_TYPE(REVIVE):
        master__offers_revive(m, fw, call->revive ? call->revive->roles : NULL,
                              call->revive ? call->revive->n_roles : 0);
        master__respond_empty(m, req, 202);
        return;
    case CALL_TYPE(SUPPRESS):
        master__offers_suppress(m, fw, call->suppress ? call->suppress->roles : NULL,
                                call->suppress ? call->suppress->n_roles : 0);
        master__respond_empty(m, req, 202);
        return;
    case CALL_TYPE(TEARDOWN):
        master__framework_teardown(m, fw);
        master__respond_empty(m, req, 202);
        return;
    case CALL_TYPE(UPDATE_FRAMEWORK):
        if (strcmp(call->update_framework->framework_info->user, fw->info->user) != 0) {
            master__respond_text(m, req, 400, "Updating 'FrameworkInfo.user' is unsupported");
            return;
        }
        master__respond_empty(m, req, 200);
        return;
    case CALL_TYPE(UNKNOWN):
        /* Real Mesos 1.12 dies here instead (SPEC S17); the reference answers as its code means. */
        master__respond_text(m, req, 501, "501 Not Implemented.");
        return;
    default:
        /* Accepted for processing: the effects arrive as events (S17). */
        master__respond_empty(m, req, 202);
        return;
    }
}

static void subscribe_start(struct master *m, uint64_t req, enum media_codec codec,
                            Mesos__V1__Scheduler__Call *call)
{
    Mesos__V1__FrameworkInfo *info = call->subscribe->framework_info;
    call->subscribe->framework_info = NULL; /* taken over by the framework */
    master__framework_subscribe(m, req, codec, info, call->subscribe->suppressed_roles,
                                call->subscribe->n_suppressed_roles);
}

void master__scheduler_request(struct master *m, uint64_t req, const struct http_request *request)
{
    struct verdict v = {0, ""};
    char location[MASTER_CLIENT_ID_BYTES_MAX + 64];
    Mesos__V1__Scheduler__Call *call = NULL;
    enum media_codec accept_codec = MEDIA_CODEC_NONE;

    if (check_leader(m, &v, location, sizeof(location))) {
        struct http_response r;
        if (v.status == 307 && http_response_redirect_init(&r, location, m->rt.alloc) == 0) {
            m->rt.ops->respond(m->rt.ctx, req, &r);
            http_response_deinit(&r);
            return;
        }
    } else if (strcmp(request->method, "POST") != 0) {
        static const char *const allowed[] = {"POST"};
        struct http_response r;
        if (http_response_method_not_allowed_init(&r, allowed, 1, request->method,
                                                  m->rt.alloc) == 0) {
            m->rt.ops->respond(m->rt.ctx, req, &r);
            http_response_deinit(&r);
            return;
        }
        verdict_set(&v, 405, "", "405 Method Not Allowed.");
    } else if (check_decode(m, request, &v, &call) == 0 &&
               check_call(request, call, &v, &accept_codec) == 0) {
        if (call->type == CALL_TYPE(SUBSCRIBE)) {
            subscribe_start(m, req, accept_codec, call);
        } else {
            struct framework *fw = check_framework(m, request, call, &v);
            if (fw != NULL)
                call_dispatch(m, req, fw, call);
        }
    }
    if (v.status != 0)
        master__respond_text(m, req, v.status, v.text);
    if (call != NULL)
        protobuf_c_message_free_unpacked(&call->base, &m->pb_alloc);
}
