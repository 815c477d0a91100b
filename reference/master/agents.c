/*
 * agents.c: the internal master<->agent API and agent liveness (SPEC A).
 *
 * Not built yet: the master knows no agents, and /api/v1/internal answers
 * 404 as any unknown path does. The agent work replaces this file.
 */
#include "http_msg.h"
#include "master_internal.h"

struct master_agents {
    uint32_t count;
};

int master__agents_create(struct master *m)
{
    m->agents = mc_calloc(m->rt.alloc, 1, sizeof(*m->agents));
    return m->agents == NULL ? MC_ENOMEM : 0;
}

void master__agents_destroy(struct master *m)
{
    mc_free(m->rt.alloc, m->agents);
    m->agents = NULL;
}

void master__agents_request(struct master *m, uint64_t req, const struct http_request *request)
{
    (void)request;
    master__respond_empty(m, req, 404);
}

int master__agents_stream_closed(struct master *m, uint64_t req)
{
    (void)m, (void)req;
    return 0;
}
