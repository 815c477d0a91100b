/*
 * api.c: the checks every endpoint of the master makes first, in Mesos'
 * order (src/master/http.cpp): who leads (S2), recovery (S3), the method
 * (S4), then the Content-Type and the body's decoding (S5-S7). The
 * scheduler API and the internal agent API both walk these, then their own
 * checks; the verdict they build is answered in one place.
 */
#include <stdio.h>
#include <string.h>

#include "http_msg.h"
#include "master_internal.h"
#include "mc_assert.h"
#include "pbjson.h"

int master__verdict_set(struct master_verdict *v, int status, const char *prefix,
                        const char *text)
{
    v->status = status;
    snprintf(v->text, sizeof(v->text), "%s%s", prefix, text);
    return 1;
}

int master__message_field_present(const ProtobufCMessage *msg, const char *name)
{
    const ProtobufCFieldDescriptor *f =
        protobuf_c_message_descriptor_get_field_by_name(msg->descriptor, name);
    MC_ASSERT(f != NULL && f->type == PROTOBUF_C_TYPE_MESSAGE);
    return *(const ProtobufCMessage *const *)((const char *)msg + f->offset) != NULL;
}

int master__check_leader(struct master *m, const char *api, struct master_verdict *v)
{
    if (m->leadership == MASTER_FOLLOWING) {
        /* The path as libprocess routes it, protocol-relative (S2). */
        v->status = 307;
        snprintf(v->text, sizeof(v->text), "//%s/master/%s", m->leader, api);
        return 1;
    }
    if (m->leadership == MASTER_NO_LEADER)
        return master__verdict_set(v, 503, "", "No leader elected");
    if (!m->recovered)
        return master__verdict_set(v, 503, "", "Master has not finished recovery");
    return 0;
}

int master__check_method(const struct http_request *request, struct master_verdict *v)
{
    if (strcmp(request->method, "POST") == 0)
        return 0;
    return master__verdict_set(v, 405, "", request->method);
}

/* A JSON body Mesos could not take: its reason, whole (see pbjson_error_text_append). */
static int decode_refusal(struct master *m, struct master_verdict *v,
                          const struct pbjson_error *err, const char *body, size_t len)
{
    if (err->kind == PBJSON_ERR_NOMEM)
        return master__verdict_set(v, 503, "", "Service Unavailable");
    const char *prefix = err->kind == PBJSON_ERR_SYNTAX
                             ? "Failed to parse body into JSON: "
                             : "Failed to convert JSON into Call protobuf: ";
    struct mc_buf text;
    mc_buf_init(&text, sizeof(v->text) - strlen(prefix) - 1, m->rt.alloc);
    if (pbjson_error_text_append(err, body, len, &text) != 0)
        master__verdict_set(v, 400, prefix, err->mesos_text); /* cut, but Mesos' words */
    else
        master__verdict_set(v, 400, prefix, mc_buf_str(&text));
    mc_buf_deinit(&text);
    return 1;
}

int master__check_decode(struct master *m, const struct http_request *request,
                         const ProtobufCMessageDescriptor *desc, struct master_verdict *v,
                         ProtobufCMessage **out)
{
    const char *content_type = http_headers_get(&request->headers, "Content-Type");
    if (content_type == NULL)
        return master__verdict_set(v, 400, "", "Expecting 'Content-Type' to be present");
    enum media_codec codec = media_content_type_codec(content_type);
    const uint8_t *body = request->body.data ? request->body.data : (const uint8_t *)"";
    ProtobufCMessage *msg = NULL;
    if (codec == MEDIA_CODEC_PROTOBUF) {
        if (pbjson_unpack(desc, body, request->body.len, &m->pb_alloc, &msg, NULL) != 0)
            return master__verdict_set(v, 400, "", "Failed to parse body into Call protobuf");
    } else if (codec == MEDIA_CODEC_JSON) {
        struct pbjson_error err;
        if (pbjson_decode(desc, (const char *)body, request->body.len, &m->pb_alloc, &msg,
                          &err) != 0)
            return decode_refusal(m, v, &err, (const char *)body, request->body.len);
    } else {
        return master__verdict_set(v, 415, "",
                                   "Expecting 'Content-Type' of application/json or "
                                   "application/x-protobuf");
    }
    *out = msg;
    return 0;
}

void master__verdict_respond(struct master *m, uint64_t req, const struct master_verdict *v)
{
    struct http_response r;
    int err = -1;
    if (v->status == 307) /* text is the Location */
        err = http_response_redirect_init(&r, v->text, m->rt.alloc);
    if (v->status == 405) { /* text is the method received */
        static const char *const allowed[] = {"POST"};
        err = http_response_method_not_allowed_init(&r, allowed, 1, v->text, m->rt.alloc);
    }
    if (err == 0) {
        m->rt.ops->respond(m->rt.ctx, req, &r);
        http_response_deinit(&r);
        return;
    }
    master__respond_text(m, req, v->status, v->text);
}

const char *master__id_problem(const char *id, char *buf, size_t buf_bytes)
{
    size_t len = strlen(id);
    if (len == 0)
        return "ID must not be empty";
    if (len > 255)
        return "ID must not be greater than 255 characters";
    if (strcmp(id, ".") == 0 || strcmp(id, "..") == 0)
        return snprintf(buf, buf_bytes, "'%s' is disallowed", id), buf;
    for (const unsigned char *p = (const unsigned char *)id; *p != '\0'; p++)
        if (*p < 0x20 || *p == 0x7f || *p == '/' || *p == '\\')
            return snprintf(buf, buf_bytes, "'%s' contains invalid characters", id), buf;
    return NULL;
}
