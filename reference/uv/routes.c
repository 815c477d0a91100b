/*
 * routes.c: /version and /health in front of a node (rt_uv.h).
 *
 * In Mesos these are not part of the scheduler API: /version is answered
 * by libprocess' VersionProcess (src/version/version.cpp) and /health by
 * a route of the master process (src/master/master.cpp, Http::health,
 * which always answers 200 OK with no body). libprocess sends a path whose
 * first segment names no process to its delegate, the master, so both
 * "/health" and "/master/health" reach it. The reference master keeps to
 * the API; until it grows these routes, this thin node answers them and
 * forwards every other request and every other entry point unchanged.
 */
#include <string.h>

#include "http_msg.h"
#include "master.h"
#include "mc_assert.h"
#include "rt_uv.h"

/*
 * stout's JSON::Object keeps its keys in a std::map, so they come out
 * sorted. The build fields describe mesos-conform's reference, not a Mesos
 * build, so they hold fixed values that make every answer the same.
 */
int uvrt_version_json(struct mc_buf *out)
{
    return mc_buf_appendf(out,
                          "{\"build_date\":\"1970-01-01 00:00:00\",\"build_time\":0,"
                          "\"build_user\":\"mesos-conform\",\"version\":\"%s\"}",
                          MASTER_VERSION);
}

static void version_respond(const struct rt *rt, uint64_t req)
{
    struct http_response r;
    http_response_init(&r, 200, rt->alloc);
    int err = http_headers_add(&r.headers, "Content-Type", "application/json");
    if (err == 0)
        err = uvrt_version_json(&r.body);
    if (err != 0) {
        http_response_deinit(&r);
        http_response_init(&r, 503, rt->alloc);
    }
    rt->ops->respond(rt->ctx, req, &r);
    http_response_deinit(&r);
}

static void health_respond(const struct rt *rt, uint64_t req)
{
    struct http_response r;
    if (http_response_empty_init(&r, 200, rt->alloc) != 0)
        http_response_init(&r, 503, rt->alloc);
    rt->ops->respond(rt->ctx, req, &r);
    http_response_deinit(&r);
}

static void routes_request(void *node, uint64_t req, const struct http_request *request)
{
    struct uvrt_routes *routes = node;
    MC_ASSERT(routes != NULL && routes->rt != NULL && request->path != NULL);
    if (strcmp(request->path, "/version") == 0)
        version_respond(routes->rt, req);
    else if (strcmp(request->path, "/health") == 0 || strcmp(request->path, "/master/health") == 0)
        health_respond(routes->rt, req);
    else
        routes->inner_ops->request(routes->inner, req, request);
}

static void routes_stream_closed(void *node, uint64_t req)
{
    struct uvrt_routes *routes = node;
    routes->inner_ops->stream_closed(routes->inner, req);
}

static void routes_call_response(void *node, uint64_t call, const struct http_response *response)
{
    struct uvrt_routes *routes = node;
    routes->inner_ops->call_response(routes->inner, call, response);
}

static void routes_call_data(void *node, uint64_t call, const uint8_t *bytes, size_t len)
{
    struct uvrt_routes *routes = node;
    routes->inner_ops->call_data(routes->inner, call, bytes, len);
}

static void routes_call_end(void *node, uint64_t call, int err)
{
    struct uvrt_routes *routes = node;
    routes->inner_ops->call_end(routes->inner, call, err);
}

const struct rt_node_ops uvrt_routes_node_ops = {
    routes_request, routes_stream_closed, routes_call_response, routes_call_data, routes_call_end,
};
