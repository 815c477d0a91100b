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
            !master__message_field_present(&call->base, call_fields[i].field)) {
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

/* S8-S10: the call itself, and what SUBSCRIBE asks of the headers. */
static int check_call(const struct http_request *request, const Mesos__V1__Scheduler__Call *call,
                      struct master_verdict *v, enum media_codec *accept_codec)
{
    char buf[128];
    const char *invalid = call_validate(call, buf, sizeof(buf));
    if (invalid != NULL)
        return master__verdict_set(v, 400, "Failed to validate scheduler::Call: ", invalid);
    if (call->type == CALL_TYPE(SUBSCRIBE) || call->type == CALL_TYPE(RECONCILE_OPERATIONS)) {
        *accept_codec = media_negotiate(http_headers_get(&request->headers, "Accept"));
        if (*accept_codec == MEDIA_CODEC_NONE)
            return master__verdict_set(v, 406, "", MEDIA_REFUSAL_MASTER);
    }
    if (call->type == CALL_TYPE(SUBSCRIBE) &&
        http_headers_get(&request->headers, "Mesos-Stream-Id") != NULL)
        return master__verdict_set(v, 400, "",
                           "Subscribe calls should not include the 'Mesos-Stream-Id' header");
    return 0;
}

/* S12-S16: the framework named by a non-SUBSCRIBE call, and its stream. */
static struct framework *check_framework(struct master *m, const struct http_request *request,
                                         const Mesos__V1__Scheduler__Call *call,
                                         struct master_verdict *v)
{
    struct framework *fw = master__framework_find(m, call->framework_id->value);
    if (fw == NULL) {
        master__verdict_set(v, 400, "", "Framework cannot be found");
        return NULL;
    }
    if (fw->state != FW_STATE_CONNECTED) {
        master__verdict_set(v, 403, "", "Framework is not subscribed");
        return NULL;
    }
    const char *stream_id = http_headers_get(&request->headers, "Mesos-Stream-Id");
    if (stream_id == NULL) {
        master__verdict_set(v, 400, "",
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
        break;
    case CALL_TYPE(ACCEPT):
        /* O5: never a 4xx; with no operations it declines with its filters (O6). */
        master__operations_accept(m, fw, call->accept);
        break;
    case CALL_TYPE(ACCEPT_INVERSE_OFFERS):
        master__operations_accept_inverse(m, fw, call->accept_inverse_offers);
        break;
    case CALL_TYPE(DECLINE_INVERSE_OFFERS):
        master__operations_decline_inverse(m, fw, call->decline_inverse_offers);
        break;
    case CALL_TYPE(RECONCILE_OPERATIONS):
        master__operations_reconcile(m, fw, call->reconcile_operations);
        break;
    case CALL_TYPE(KILL):
        master__tasks_kill(m, fw, call->kill);
        break;
    case CALL_TYPE(SHUTDOWN):
        master__tasks_shutdown(m, fw, call->shutdown);
        break;
    case CALL_TYPE(ACKNOWLEDGE):
        master__tasks_acknowledge(m, fw, call->acknowledge);
        break;
    case CALL_TYPE(RECONCILE):
        master__tasks_reconcile(m, fw, call->reconcile);
        break;
    case CALL_TYPE(MESSAGE):
        master__tasks_message(m, fw, call->message);
        break;
    case CALL_TYPE(REVIVE):
        master__offers_revive(m, fw, call->revive ? call->revive->roles : NULL,
                              call->revive ? call->revive->n_roles : 0);
        break;
    case CALL_TYPE(SUPPRESS):
        master__offers_suppress(m, fw, call->suppress ? call->suppress->roles : NULL,
                                call->suppress ? call->suppress->n_roles : 0);
        break;
    case CALL_TYPE(TEARDOWN):
        master__framework_teardown(m, fw);
        break;
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
        break; /* accepted for processing: the effects arrive as events (S17) */
    }
    master__respond_empty(m, req, 202);
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
    struct master_verdict v;
    v.status = 0;
    v.text[0] = '\0'; /* no more: the text is a few KiB */
    ProtobufCMessage *msg = NULL;
    enum media_codec accept_codec = MEDIA_CODEC_NONE;
    if (!master__check_leader(m, "api/v1/scheduler", &v) && !master__check_method(request, &v) &&
        !master__check_decode(m, request, &mesos__v1__scheduler__call__descriptor, &v, &msg)) {
        Mesos__V1__Scheduler__Call *call = (Mesos__V1__Scheduler__Call *)msg;
        if (check_call(request, call, &v, &accept_codec) == 0) {
            if (call->type == CALL_TYPE(SUBSCRIBE)) {
                subscribe_start(m, req, accept_codec, call);
            } else {
                struct framework *fw = check_framework(m, request, call, &v);
                if (fw != NULL)
                    call_dispatch(m, req, fw, call);
            }
        }
    }
    if (v.status != 0)
        master__verdict_respond(m, req, &v);
    if (msg != NULL)
        protobuf_c_message_free_unpacked(msg, &m->pb_alloc);
}
