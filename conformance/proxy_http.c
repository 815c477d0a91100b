/*
 * proxy_http.c: the HTTP view of the proxy's two directions (proxy.h).
 *
 * Requests are read whole with http1_server and then forwarded as the
 * bytes that came, or answered by the proxy (the answer fault, the control
 * channel under /__mesos_conform/). The requests awaiting an answer are
 * kept in order, so that an answer of the proxy's own goes out after the
 * upstream's answers to earlier requests. Responses are read with
 * http1_client: their raw bytes are forwarded unchanged, except the body
 * of a chunked response that arrived while a body fault (split, merge,
 * drop heartbeats) was on, which is rebuilt from its de-chunked bytes and
 * its RecordIO records. Whatever does not parse as HTTP is forwarded
 * unchanged from there on (the direction turns opaque), so that the proxy
 * never loses or invents bytes of a protocol it does not understand.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mc_assert.h"
#include "msgstream.h"
#include "proxy_internal.h"

#define CONTROL_PREFIX "/__mesos_conform/"
#define CONTROL_FAULT_PATH "/__mesos_conform/fault"

void proxy__pair_parsers_init(struct proxy_pair *pair)
{
    const struct mc_alloc *alloc = pair->p->alloc;
    http1_server_init(&pair->req_parser, alloc);
    http1_client_init(&pair->resp_parser, alloc);
    mc_buf_init(&pair->req_raw, pair->p->conn_buffered_bytes_max, alloc);
    mc_buf_init(&pair->rw.merged, MC_HTTP_BODY_BYTES_MAX, alloc);
    mc_buf_init(&pair->rw.scratch, MC_HTTP_BODY_BYTES_MAX, alloc);
}

static void rewrite_end(struct proxy_pair *pair)
{
    if (pair->rw.records)
        rio_decoder_deinit(&pair->rw.decoder);
    pair->rw.records = 0;
    pair->rw.active = 0;
    pair->rw.failed = 0;
    pair->rw.merged_count = 0;
    mc_buf_reset(&pair->rw.merged);
}

void proxy__pair_parsers_deinit(struct proxy_pair *pair)
{
    rewrite_end(pair);
    http1_server_deinit(&pair->req_parser);
    http1_client_deinit(&pair->resp_parser);
    mc_buf_deinit(&pair->req_raw);
    mc_buf_deinit(&pair->rw.merged);
    mc_buf_deinit(&pair->rw.scratch);
    while (pair->pending_count > 0) {
        mc_free(pair->p->alloc, pair->pending[pair->pending_first].answer);
        pair->pending_first = (pair->pending_first + 1) % MC_PROXY_PIPELINE_MAX;
        pair->pending_count--;
    }
}

/* ---- requests awaiting answers ------------------------------------------- */

static struct proxy_pending *pending_front(struct proxy_pair *pair)
{
    return pair->pending_count > 0 ? &pair->pending[pair->pending_first] : NULL;
}

static void pending_pop(struct proxy_pair *pair)
{
    MC_ASSERT(pair->pending_count > 0);
    struct proxy_pending *front = &pair->pending[pair->pending_first];
    mc_free(pair->p->alloc, front->answer);
    memset(front, 0, sizeof(*front));
    pair->pending_first = (pair->pending_first + 1) % MC_PROXY_PIPELINE_MAX;
    pair->pending_count--;
}

/*
 * Sends the proxy's own answers that have reached the front, then tells
 * the response parser whether the next upstream answer is to a HEAD.
 */
static void pending_answers_send(struct proxy_pair *pair)
{
    struct proxy_pending *front;
    while ((front = pending_front(pair)) != NULL && front->answer != NULL) {
        if (proxy__queue_put(&pair->dir[1], front->answer, front->answer_len, 0, 1) != 0)
            return;
        pending_pop(pair);
    }
    if (front != NULL && !pair->resp_in_body)
        http1_client_request_method_set(&pair->resp_parser, front->is_head ? "HEAD" : "GET");
}

static enum proxy_api api_of_path(const char *path)
{
    size_t n = strlen(path);
    while (n > 1 && path[n - 1] == '/')
        n--;
    static const struct {
        const char *suffix;
        enum proxy_api api;
    } rows[] = {
        {"/api/v1/scheduler", PROXY_API_SCHEDULER},
        {"/api/v1/executor", PROXY_API_EXECUTOR},
        {"/api/v1", PROXY_API_OPERATOR},
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        size_t s = strlen(rows[i].suffix);
        if (n >= s && memcmp(path + n - s, rows[i].suffix, s) == 0)
            return rows[i].api;
    }
    return PROXY_API_OTHER;
}

/* ---- the proxy's own answers --------------------------------------------- */

/* Writes response into a new buffer for a pending entry; NULL on failure. */
static uint8_t *answer_bytes(struct proxy *p, struct http_response *r, size_t *len)
{
    struct mc_buf out;
    mc_buf_init(&out, MC_PROXY_ANSWER_BYTES_MAX, p->alloc);
    if (http1_response_write(&out, r) != 0) {
        mc_buf_deinit(&out);
        return NULL;
    }
    return mc_buf_take(&out, len);
}

/* The answer of a non-leading master (SPEC S2; recorded: m.non-leader-307, m.no-leader-503). */
static uint8_t *answer_fault_bytes(struct proxy *p, size_t *len)
{
    struct http_response r;
    int err;
    if (p->answer_status == 307) {
        char location[MC_PROXY_ADDRESS_BYTES_MAX + 64];
        snprintf(location, sizeof(location), "//%s/master/api/v1/scheduler", p->leader);
        err = http_response_redirect_init(&r, location, p->alloc);
    } else {
        err = http_response_text_init(&r, 503, "No leader elected", p->alloc);
    }
    uint8_t *bytes = err == 0 ? answer_bytes(p, &r, len) : NULL;
    http_response_deinit(&r);
    return bytes;
}

/*
 * The control channel: GET or POST /__mesos_conform/fault?W&W... applies
 * each word as proxy_fault_apply does, in order, and answers 200 with the
 * faults in force; a bad word answers 400 naming it (the words before it
 * stay applied). Other paths under the prefix answer 404.
 */
static uint8_t *control_bytes(struct proxy *p, const struct http_request *req, size_t *len)
{
    char text[MC_PROXY_ANSWER_BYTES_MAX / 2];
    int status = 200;
    if (strcmp(req->path, CONTROL_FAULT_PATH) != 0) {
        status = 404;
        snprintf(text, sizeof(text), "unknown control path '%s'", req->path);
    } else {
        const char *q = strchr(req->target, '?');
        char words[MC_HTTP_URL_BYTES_MAX];
        snprintf(words, sizeof(words), "%s", q != NULL ? q + 1 : "");
        char *save = NULL;
        for (char *w = strtok_r(words, "&", &save); w != NULL && status == 200;
             w = strtok_r(NULL, "&", &save)) {
            struct mc_diag diag;
            mc_diag_clear(&diag);
            if (proxy_fault_apply(p, w, &diag) != 0) {
                status = 400;
                snprintf(text, sizeof(text), "%s", diag.text);
            }
        }
        if (status == 200)
            proxy_faults_describe(p, text, sizeof(text));
    }
    struct http_response r;
    uint8_t *bytes = NULL;
    if (http_response_text_init(&r, status, text, p->alloc) == 0)
        bytes = answer_bytes(p, &r, len);
    http_response_deinit(&r);
    return bytes;
}

/* A complete request: answered here, or forwarded as the bytes that came. */
static int request_done(struct proxy_pair *pair, const struct http_request *req)
{
    struct proxy *p = pair->p;
    p->stats.requests++;
    if (pair->pending_count >= MC_PROXY_PIPELINE_MAX) {
        proxy__pair_close(pair, 1);
        return MC_ECLOSED;
    }
    uint32_t at = (pair->pending_first + pair->pending_count) % MC_PROXY_PIPELINE_MAX;
    struct proxy_pending *entry = &pair->pending[at];
    memset(entry, 0, sizeof(*entry));
    entry->api = api_of_path(req->path);
    entry->is_head = strcmp(req->method, "HEAD") == 0;
    int local = strncmp(req->path, CONTROL_PREFIX, strlen(CONTROL_PREFIX)) == 0;
    if (local || p->answer_status != 0) {
        entry->answer = local ? control_bytes(p, req, &entry->answer_len)
                              : answer_fault_bytes(p, &entry->answer_len);
        if (entry->answer == NULL) {
            proxy__pair_close(pair, 1);
            return MC_ECLOSED;
        }
        p->stats.answered_locally++;
        pair->pending_count++;
        if (pair->pending_count == 1)
            pending_answers_send(pair);
        return pair->closing ? MC_ECLOSED : 0;
    }
    pair->pending_count++;
    if (pair->pending_count == 1)
        pending_answers_send(pair);
    return proxy__queue_put(&pair->dir[0], pair->req_raw.data, pair->req_raw.len, 0, 0);
}

/* The request direction stops parsing: what it holds and what follows go as they are. */
static void up_opaque(struct proxy_pair *pair, const uint8_t *rest, size_t rest_len)
{
    struct proxy_dir *dir = &pair->dir[0];
    dir->opaque = 1;
    if (proxy__queue_put(dir, pair->req_raw.data, pair->req_raw.len, 0, 0) != 0)
        return;
    mc_buf_reset(&pair->req_raw);
    (void)proxy__queue_put(dir, rest, rest_len, 0, 0);
}

void proxy__up_feed(struct proxy_pair *pair, const uint8_t *data, size_t len)
{
    struct proxy_dir *dir = &pair->dir[0];
    if (dir->opaque) {
        (void)proxy__queue_put(dir, data, len, 0, 0);
        return;
    }
    size_t pos = 0;
    while (pos < len && !pair->closing) {
        size_t consumed = 0;
        struct http_request req;
        struct http1_error err;
        int r = http1_server_feed(&pair->req_parser, data + pos, len - pos, &consumed, &req, &err);
        if (r < 0) {
            up_opaque(pair, data + pos, len - pos);
            return;
        }
        if (mc_buf_append(&pair->req_raw, data + pos, consumed) != 0) {
            pair->p->stats.conns_limit_closed++;
            proxy__pair_close(pair, 1);
            if (r == 1)
                http_request_deinit(&req);
            return;
        }
        pos += consumed;
        if (r == 0)
            break;
        int done = request_done(pair, &req);
        http_request_deinit(&req);
        mc_buf_reset(&pair->req_raw);
        if (done != 0)
            return;
    }
}

void proxy__up_eof(struct proxy_pair *pair)
{
    /* A request cut off by the client is forwarded as far as it came. */
    if (!pair->dir[0].opaque && pair->req_raw.len > 0)
        up_opaque(pair, NULL, 0);
}

/* ---- responses ----------------------------------------------------------------- */

/* 1 when a RecordIO record is a HEARTBEAT event of the stream's API. */
static int record_is_heartbeat(const struct proxy_rewrite *rw, const uint8_t *data, size_t len)
{
    if (rw->api == PROXY_API_OTHER)
        return 0;
    /* Event.type HEARTBEAT: 8 in the scheduler API, 9 in the executor and operator APIs. */
    return msgstream_record_is_event(data, len, rw->protobuf ? MEDIA_CODEC_PROTOBUF
                                                             : MEDIA_CODEC_JSON,
                                     "HEARTBEAT", rw->api == PROXY_API_SCHEDULER ? 8u : 9u);
}

/* Sends bytes as one chunk, or as several when the split fault is on. */
static int chunk_out(struct proxy_pair *pair, const uint8_t *data, size_t len)
{
    struct proxy *p = pair->p;
    size_t pieces_left = 1;
    if (p->split_bytes == PROXY_SPLIT_RANDOM && len >= 2)
        pieces_left = (size_t)mc_rng_between(&p->rng, 2, len < MC_PROXY_SPLIT_PIECES_MAX
                                                             ? len
                                                             : MC_PROXY_SPLIT_PIECES_MAX);
    size_t pos = 0;
    while (pos < len) {
        size_t left = len - pos;
        size_t piece = left;
        if (p->split_bytes != 0 && p->split_bytes != PROXY_SPLIT_RANDOM && piece > p->split_bytes)
            piece = p->split_bytes;
        else if (p->split_bytes == PROXY_SPLIT_RANDOM && pieces_left > 1)
            piece = (size_t)mc_rng_between(&p->rng, 1, left - (pieces_left - 1));
        if (pieces_left > 1)
            pieces_left--;
        mc_buf_reset(&pair->rw.scratch);
        if (http1_chunk_write(&pair->rw.scratch, data + pos, piece) != 0)
            return MC_ENOMEM;
        int err = proxy__queue_put(&pair->dir[1], pair->rw.scratch.data, pair->rw.scratch.len,
                                   pair->resp_stall, 0);
        if (err != 0)
            return err;
        pos += piece;
    }
    return 0;
}

static int merged_flush(struct proxy_pair *pair)
{
    struct proxy_rewrite *rw = &pair->rw;
    if (rw->merged.len == 0)
        return 0;
    size_t len = 0;
    uint8_t *bytes = mc_buf_take(&rw->merged, &len);
    rw->merged_count = 0;
    int err = chunk_out(pair, bytes, len);
    mc_free(rw->merged.alloc, bytes);
    return err;
}

static int record_out(struct proxy_pair *pair, const struct rio_record *rec)
{
    struct proxy *p = pair->p;
    struct proxy_rewrite *rw = &pair->rw;
    if (p->drop_heartbeats && record_is_heartbeat(rw, rec->data, rec->bytes)) {
        p->stats.heartbeats_dropped++;
        return 0;
    }
    if (p->partitioned && p->rebuild_streams) {
        /* A whole record lost: the stream's framing stays intact (no reset at heal). */
        p->stats.bytes_dropped += rec->bytes;
        return 0;
    }
    if (p->merge_records < 2) {
        int err = merged_flush(pair);
        if (err != 0)
            return err;
        struct mc_buf framed;
        mc_buf_init(&framed, MC_RECORD_BYTES_MAX + 64u, p->alloc);
        err = rio_encode(&framed, rec->data, rec->bytes);
        if (err == 0)
            err = chunk_out(pair, framed.data, framed.len);
        mc_buf_deinit(&framed);
        return err;
    }
    if (rio_encode(&rw->merged, rec->data, rec->bytes) != 0)
        return MC_ELIMIT;
    if (++rw->merged_count >= p->merge_records)
        return merged_flush(pair);
    return 0;
}

/* De-chunked body bytes of a rebuilt response. */
static void rewrite_body(struct proxy_pair *pair, const uint8_t *data, size_t len)
{
    struct proxy_rewrite *rw = &pair->rw;
    if (!rw->records || rw->failed) {
        if (chunk_out(pair, data, len) != 0)
            proxy__pair_close(pair, 1);
        return;
    }
    size_t pos = 0;
    while (pos < len && !pair->closing) {
        size_t consumed = 0;
        struct rio_record rec;
        int r = rio_decoder_feed(&rw->decoder, data + pos, len - pos, &consumed, &rec, NULL);
        if (r < 0) {
            /* Not RecordIO after all: what is left goes on as it came. */
            pair->p->stats.rewrite_errors++;
            rw->failed = 1;
            if (merged_flush(pair) == 0 && chunk_out(pair, data + pos + consumed,
                                                     len - pos - consumed) == 0)
                return;
            proxy__pair_close(pair, 1);
            return;
        }
        pos += consumed;
        if (r == 0)
            break;
        if (record_out(pair, &rec) != 0) {
            proxy__pair_close(pair, 1);
            return;
        }
    }
}

static void rewrite_begin(struct proxy_pair *pair, const struct http_response *head)
{
    struct proxy *p = pair->p;
    struct proxy_rewrite *rw = &pair->rw;
    const char *te = http_headers_get(&head->headers, "Transfer-Encoding");
    if (te == NULL || strstr(te, "chunked") == NULL)
        return;
    if (p->split_bytes == 0 && p->merge_records == 0 && !p->drop_heartbeats &&
        !p->rebuild_streams)
        return;
    rw->active = 1;
    const char *ct = http_headers_get(&head->headers, "Content-Type");
    rw->protobuf = ct != NULL && strncmp(ct, "application/x-protobuf", 22) == 0;
    const struct proxy_pending *front = pending_front(pair);
    rw->api = front != NULL ? front->api : PROXY_API_OTHER;
    rw->records = p->merge_records != 0 || p->drop_heartbeats || p->rebuild_streams;
    if (rw->records)
        rio_decoder_init(&rw->decoder, MC_RECORD_BYTES_MAX, p->alloc);
}

/* Remembers the last bytes of a response head put in the queue. */
static void head_tail_note(struct proxy_pair *pair, const uint8_t *raw, size_t raw_len)
{
    for (size_t i = 0; i < raw_len; i++) {
        memmove(pair->head_tail, pair->head_tail + 1, sizeof(pair->head_tail) - 1);
        pair->head_tail[sizeof(pair->head_tail) - 1] = raw[i];
    }
}

/*
 * http-parser reports a head complete before it has counted the line feed
 * (or CR LF) that ends it, so those bytes arrive with the next event: how
 * many are still due, judging by how the head forwarded so far ends.
 */
static size_t head_missing_bytes(const struct proxy_pair *pair)
{
    const uint8_t *t = pair->head_tail;
    if (memcmp(t, "\r\n\r\n", 4) == 0 || memcmp(t + 2, "\n\n", 2) == 0)
        return 0;
    if (memcmp(t + 1, "\r\n\r", 3) == 0)
        return 1;
    if (memcmp(t + 2, "\r\n", 2) == 0)
        return 2;
    return t[3] == '\n' ? 1 : 0;
}

/* Forwards the rest of the head from raw (unstalled, never rewritten); advances raw. */
static int head_rest_put(struct proxy_pair *pair, const uint8_t **raw, size_t *raw_len)
{
    size_t n = pair->head_missing < *raw_len ? pair->head_missing : *raw_len;
    if (n == 0)
        return 0;
    pair->head_missing -= n;
    int err = proxy__queue_put(&pair->dir[1], *raw, n, 0, 0);
    *raw += n;
    *raw_len -= n;
    return err;
}

static void down_event(struct proxy_pair *pair, const struct http1_client_event *ev,
                       const uint8_t *raw, size_t raw_len)
{
    struct proxy_dir *dir = &pair->dir[1];
    switch (ev->kind) {
    case HTTP1_CLIENT_HEAD:
        if (proxy__queue_put(dir, raw, raw_len, 0, 0) != 0)
            return;
        head_tail_note(pair, raw, raw_len);
        pair->head_missing = head_missing_bytes(pair);
        memset(pair->head_tail, 0, sizeof(pair->head_tail));
        pair->resp_status = ev->head->status;
        if (pair->resp_status < 200) {
            pair->head_missing = 0; /* an interim answer goes through as it comes */
            return;
        }
        pair->resp_in_body = 1;
        pair->resp_stall = pair->p->stall;
        rewrite_begin(pair, ev->head);
        return;
    case HTTP1_CLIENT_BODY:
        if (head_rest_put(pair, &raw, &raw_len) != 0)
            return;
        if (pair->rw.active)
            rewrite_body(pair, ev->data, ev->bytes);
        else
            (void)proxy__queue_put(dir, raw, raw_len, pair->resp_stall, 0);
        return;
    case HTTP1_CLIENT_END:
        if (head_rest_put(pair, &raw, &raw_len) != 0)
            return;
        if (pair->rw.active) {
            uint8_t end[8];
            struct mc_buf out;
            mc_buf_init(&out, sizeof(end), pair->p->alloc);
            if (merged_flush(pair) != 0 || http1_chunk_end_write(&out) != 0 ||
                proxy__queue_put(dir, out.data, out.len, pair->resp_stall, 0) != 0) {
                mc_buf_deinit(&out);
                proxy__pair_close(pair, 1);
                return;
            }
            mc_buf_deinit(&out);
        } else if (proxy__queue_put(dir, raw, raw_len, pair->resp_stall, 0) != 0) {
            return;
        }
        rewrite_end(pair);
        pair->resp_in_body = 0;
        pair->resp_stall = 0;
        if (pair->resp_status >= 200 && pending_front(pair) != NULL)
            pending_pop(pair);
        pending_answers_send(pair);
        return;
    }
}

void proxy__down_feed(struct proxy_pair *pair, const uint8_t *data, size_t len)
{
    struct proxy_dir *dir = &pair->dir[1];
    if (dir->opaque) {
        (void)proxy__queue_put(dir, data, len, pair->resp_stall, 0);
        return;
    }
    size_t pos = 0;
    while (pos < len && !pair->closing) {
        size_t consumed = 0;
        struct http1_client_event ev;
        struct http1_error err;
        int r = http1_client_feed(&pair->resp_parser, data + pos, len - pos, &consumed, &ev, &err);
        if (r < 0) {
            /* Not HTTP as we read it: forward the rest unchanged from here on. */
            dir->opaque = 1;
            (void)proxy__queue_put(dir, data + pos, len - pos, pair->resp_stall, 0);
            return;
        }
        if (r == 0) {
            const uint8_t *raw = data + pos;
            size_t raw_len = len - pos;
            if (pair->resp_in_body && head_rest_put(pair, &raw, &raw_len) != 0)
                return;
            if (!pair->resp_in_body)
                head_tail_note(pair, raw, raw_len);
            if (!pair->rw.active)
                (void)proxy__queue_put(dir, raw, raw_len, pair->resp_in_body && pair->resp_stall, 0);
            return;
        }
        down_event(pair, &ev, data + pos, consumed);
        pos += consumed;
    }
}

void proxy__down_eof(struct proxy_pair *pair)
{
    if (pair->dir[1].opaque)
        return;
    struct http1_client_event ev;
    struct http1_error err;
    if (http1_client_eof(&pair->resp_parser, &ev, &err) == 1)
        down_event(pair, &ev, NULL, 0);
}

/* ---- faults as words ------------------------------------------------------------ */

static int word_on(const char *arg, int *on)
{
    if (arg == NULL || strcmp(arg, "on") == 0) {
        *on = 1;
        return 0;
    }
    if (strcmp(arg, "off") == 0) {
        *on = 0;
        return 0;
    }
    return MC_EINVAL;
}

static int word_u64(const char *arg, uint64_t max, uint64_t *out)
{
    if (arg == NULL || arg[0] < '0' || arg[0] > '9')
        return MC_EINVAL;
    char *end = NULL;
    unsigned long long v = strtoull(arg, &end, 10);
    if (*end != '\0' || v > max)
        return MC_EINVAL;
    *out = v;
    return 0;
}

/* The words that take an argument. */
static int fault_apply_arg(struct proxy *p, const char *name, const char *arg)
{
    uint64_t v = 0;
    int on = 0;
    if (strcmp(name, "delay") == 0) {
        if (word_u64(arg, MC_PROXY_DELAY_NS_MAX / 1000000u, &v) != 0)
            return MC_EINVAL;
        return proxy_delay_set(p, v * 1000000u);
    }
    if (strcmp(name, "split") == 0) {
        if (arg != NULL && strcmp(arg, "random") == 0)
            proxy_split_set(p, PROXY_SPLIT_RANDOM);
        else if (arg != NULL && strcmp(arg, "off") == 0)
            proxy_split_set(p, 0);
        else if (word_u64(arg, UINT32_MAX - 1u, &v) == 0)
            proxy_split_set(p, (uint32_t)v);
        else
            return MC_EINVAL;
        return 0;
    }
    if (strcmp(name, "merge") == 0) {
        if (arg != NULL && strcmp(arg, "off") == 0)
            return proxy_merge_set(p, 0);
        if (word_u64(arg, MC_PROXY_MERGE_RECORDS_MAX, &v) != 0 || v < 2)
            return MC_EINVAL;
        return proxy_merge_set(p, (uint32_t)v);
    }
    if (strcmp(name, "drop-heartbeats") == 0 || strcmp(name, "stall") == 0) {
        if (word_on(arg, &on) != 0)
            return MC_EINVAL;
        if (name[0] == 'd')
            proxy_drop_heartbeats_set(p, on);
        else
            proxy_stall_set(p, on);
        return 0;
    }
    if (strcmp(name, "answer") == 0 && arg != NULL) {
        if (strcmp(arg, "off") == 0)
            return proxy_answer_set(p, 0, NULL);
        if (strcmp(arg, "503") == 0)
            return proxy_answer_set(p, 503, NULL);
        if (strncmp(arg, "307:", 4) == 0)
            return proxy_answer_set(p, 307, arg + 4);
        return MC_EINVAL;
    }
    return MC_ENOTFOUND;
}

int proxy_fault_apply(struct proxy *p, const char *spec, struct mc_diag *diag)
{
    MC_ASSERT(p != NULL && spec != NULL);
    char name[32];
    const char *eq = strchr(spec, '=');
    size_t name_bytes = eq != NULL ? (size_t)(eq - spec) : strlen(spec);
    if (name_bytes == 0 || name_bytes >= sizeof(name)) {
        mc_diag_set(diag, "bad fault '%.64s'", spec);
        return MC_EINVAL;
    }
    memcpy(name, spec, name_bytes);
    name[name_bytes] = '\0';
    const char *arg = eq != NULL ? eq + 1 : NULL;
    static const struct {
        const char *name;
        void (*fn)(struct proxy *p);
    } actions[] = {
        {"partition", proxy_partition}, {"heal", proxy_heal},   {"hold", proxy_hold},
        {"release", proxy_release},     {"reset", proxy_reset}, {"clear", proxy_faults_clear},
    };
    for (size_t i = 0; i < sizeof(actions) / sizeof(actions[0]); i++) {
        if (strcmp(name, actions[i].name) == 0 && arg == NULL) {
            actions[i].fn(p);
            return 0;
        }
    }
    int err = fault_apply_arg(p, name, arg);
    if (err == MC_ENOTFOUND) {
        mc_diag_set(diag, "unknown fault '%s' (partition, heal, hold, release, reset, clear, "
                          "delay=MS, split=BYTES|random|off, merge=N|off, "
                          "drop-heartbeats[=on|off], stall[=on|off], answer=307:HOST:PORT|503|off)",
                    name);
        return MC_EINVAL;
    }
    if (err != 0) {
        mc_diag_set(diag, "fault '%s': bad argument '%.64s'", name, arg != NULL ? arg : "");
        return MC_EINVAL;
    }
    return 0;
}

char *proxy_faults_describe(const struct proxy *p, char *out, size_t out_bytes)
{
    MC_ASSERT(out != NULL);
    if (out_bytes == 0)
        return out;
    struct mc_buf b;
    mc_buf_init(&b, 1024, NULL);
    int err = 0;
    if (p->partitioned)
        err |= mc_buf_append_str(&b, " partition");
    if (p->holding)
        err |= mc_buf_append_str(&b, " hold");
    if (p->delay_ns != 0)
        err |= mc_buf_appendf(&b, " delay=%" PRIu64, p->delay_ns / 1000000u);
    if (p->split_bytes == PROXY_SPLIT_RANDOM)
        err |= mc_buf_append_str(&b, " split=random");
    else if (p->split_bytes != 0)
        err |= mc_buf_appendf(&b, " split=%" PRIu32, p->split_bytes);
    if (p->merge_records != 0)
        err |= mc_buf_appendf(&b, " merge=%" PRIu32, p->merge_records);
    if (p->drop_heartbeats)
        err |= mc_buf_append_str(&b, " drop-heartbeats");
    if (p->stall)
        err |= mc_buf_append_str(&b, " stall");
    if (p->answer_status == 307)
        err |= mc_buf_appendf(&b, " answer=307:%s", p->leader);
    else if (p->answer_status == 503)
        err |= mc_buf_append_str(&b, " answer=503");
    snprintf(out, out_bytes, "%s", err == 0 && b.len > 0 ? mc_buf_str(&b) + 1 : "none");
    mc_buf_deinit(&b);
    return out;
}
