/*
 * mc_limits.h: every named limit in one place.
 *
 * Each buffer, queue and loop over external data has its maximum here, so
 * that all of them can be read and reviewed together. The static assertions
 * at the end check how they relate.
 */
#ifndef MC_LIMITS_H
#define MC_LIMITS_H

#include <assert.h>

/* Diagnostics (mc_diag.h). */
#define MC_DIAG_SOURCE_BYTES_MAX 256
#define MC_DIAG_TEXT_BYTES_MAX 512

/* RecordIO: one record, as mesos-go caps it (W5). */
#define MC_RECORD_BYTES_MAX (4u * 1024u * 1024u)
/* Digits of a record's length prefix: an unsigned 64-bit decimal. */
#define MC_RECORD_LENGTH_DIGITS_MAX 20

/* JSON <-> protobuf: nesting of JSON containers and of messages. */
#define MC_JSON_DEPTH_MAX 64
/* A field path in an error text, "subscribe.framework_info.user". */
#define MC_FIELD_PATH_BYTES_MAX 256

/* HTTP/1.1 messages. */
#define MC_HTTP_HEADERS_MAX 64
#define MC_HTTP_HEADER_BYTES_MAX (8u * 1024u)     /* one name or value */
#define MC_HTTP_HEAD_BYTES_MAX (64u * 1024u)      /* request line + all headers */
#define MC_HTTP_URL_BYTES_MAX (8u * 1024u)
#define MC_HTTP_BODY_BYTES_MAX (16u * 1024u * 1024u)

/* Media types: entries of one Accept header. */
#define MC_MEDIA_RANGES_MAX 32

/* Whole inputs read by the CLI from stdin or a file. */
#define MC_INPUT_BYTES_MAX (64u * 1024u * 1024u)

static_assert(MC_RECORD_BYTES_MAX <= MC_INPUT_BYTES_MAX, "a record fits in an input");
static_assert(MC_HTTP_HEADER_BYTES_MAX <= MC_HTTP_HEAD_BYTES_MAX, "a header fits in a head");
static_assert(MC_HTTP_URL_BYTES_MAX <= MC_HTTP_HEAD_BYTES_MAX, "a URL fits in a head");
static_assert(MC_RECORD_BYTES_MAX <= MC_HTTP_BODY_BYTES_MAX, "a record fits in a body");
static_assert(MC_FIELD_PATH_BYTES_MAX < MC_DIAG_TEXT_BYTES_MAX, "a path fits in a diag");

/*
 * HTTP/1.1 message model and wire glue (reference/http_msg.h,
 * reference/uv/http1.h). A method is a short token; the longest one
 * http-parser knows is 11 bytes. The framing of one chunked body (size
 * lines, chunk extensions, the final CRLFs and trailers) is bounded apart
 * from its data, so that a peer cannot keep a request going forever with
 * extensions alone; one request may therefore take at most the sum of the
 * three on the wire.
 */
#define MC_HTTP_METHOD_BYTES_MAX 32
#define MC_HTTP_BODY_FRAMING_BYTES_MAX (1u * 1024u * 1024u)
#define MC_HTTP_REQUEST_WIRE_BYTES_MAX \
    (MC_HTTP_HEAD_BYTES_MAX + MC_HTTP_BODY_BYTES_MAX + MC_HTTP_BODY_FRAMING_BYTES_MAX)

static_assert(MC_HTTP_METHOD_BYTES_MAX <= MC_HTTP_HEAD_BYTES_MAX, "a method fits in a head");
static_assert(MC_HTTP_HEAD_BYTES_MAX < 80u * 1024u,
              "our head limit is reached before http-parser's own (80 KiB)");
static_assert(MC_HTTP_REQUEST_WIRE_BYTES_MAX > MC_HTTP_BODY_BYTES_MAX, "framing has room");

/*
 * Reports (reports/report.h): the result model of one run and its writers.
 * A string longer than its limit is cut with a visible marker, never lost
 * silently; a log longer than its limit keeps its last lines and counts the
 * rest.
 */
#define MC_REPORT_CASES_MAX 65536u             /* cases in one run */
#define MC_REPORT_SPEC_ROWS_MAX 32u            /* SPEC.md rows one case cites */
#define MC_REPORT_TAGS_MAX 32u                 /* tags of one case */
#define MC_REPORT_ACTORS_MAX 16u               /* actors with a log in one failure */
#define MC_REPORT_ACTOR_LINES_MAX 8u           /* last events kept per actor */
#define MC_REPORT_LINE_BYTES_MAX 4096u         /* id, title, path, tag, log line, command */
#define MC_REPORT_TEXT_BYTES_MAX (64u * 1024u) /* expected, observed, message, reason */
#define MC_REPORT_OUTPUT_BYTES_MAX MC_INPUT_BYTES_MAX /* one written report */
#define MC_REPORT_JSON_BYTES_MAX MC_INPUT_BYTES_MAX   /* a JSON report read back */

static_assert(MC_REPORT_LINE_BYTES_MAX <= MC_REPORT_TEXT_BYTES_MAX, "a line fits in a text");
static_assert(MC_REPORT_LINE_BYTES_MAX >= 64u, "a cut line has room for its marker");
static_assert(MC_REPORT_ACTOR_LINES_MAX >= 1u, "an actor log keeps its last line");
static_assert(MC_REPORT_OUTPUT_BYTES_MAX <= MC_REPORT_JSON_BYTES_MAX,
              "every JSON report written can be read back");

/*
 * JSON <-> protobuf (proto/pbjson.h). Mesos' parser (stout over picojson)
 * allows 200 levels of nested arrays and objects and answers a syntax error
 * past them; we allow exactly as many so that every body Mesos takes is
 * taken, and never encode deeper than we can read back. A JSON body is at
 * most an HTTP body. The reason texts Mesos gives are usually short, but a
 * syntax error quotes the rest of the failing line: the buffer keeps this
 * much and pbjson_error_text_append rebuilds the rest.
 */
#define MC_PBJSON_NESTING_MAX 200
#define MC_PBJSON_INPUT_BYTES_MAX MC_HTTP_BODY_BYTES_MAX
#define MC_PBJSON_MESOS_TEXT_BYTES_MAX 4096u

static_assert(MC_PBJSON_NESTING_MAX >= MC_JSON_DEPTH_MAX, "Mesos' nesting includes ours");
static_assert(MC_PBJSON_MESOS_TEXT_BYTES_MAX >= MC_DIAG_TEXT_BYTES_MAX, "a reason fits");

/*
 * The simulator (simulator/sim.h). A world's queue of pending events is
 * bounded by its options.events_max, itself at most MC_SIM_EVENTS_MAX; the
 * default of events_per_instant_max is how many events may run at one
 * simulated time before the world calls it a zero-delay loop. Incarnations
 * count every node added or restarted in one world (each keeps a small
 * record so that a crashed core's stale runtime calls stay harmless).
 */
#define MC_SIM_ADDRESS_BYTES_MAX 64u           /* "host:port" with its NUL */
#define MC_SIM_NODES_MAX 256u                  /* addresses in one world */
#define MC_SIM_PROCS_MAX 4096u                 /* incarnations in one world */
#define MC_SIM_EVENTS_MAX (1u << 20)           /* queued events, upper bound */
#define MC_SIM_EVENTS_DEFAULT (1u << 16)       /* queued events, default */
#define MC_SIM_EVENTS_PER_INSTANT_DEFAULT 100000u
#define MC_SIM_CONNS_MAX 65536u                /* open simulated connections */
#define MC_SIM_PARTITIONS_MAX 64u              /* partitions in force at once */
#define MC_SIM_PARTITION_SIDE_MAX 64u          /* addresses on one side */
#define MC_SIM_HOLDS_MAX 64u                   /* held links at once */
#define MC_SIM_CHECKS_MAX 32u                  /* registered checkers */
#define MC_SIM_CHUNK_PIECES_MAX 8u             /* pieces one stream chunk is cut into */
#define MC_SIM_STORE_KEYS_MAX 4096u            /* durable keys per address */
#define MC_SIM_STORE_KEY_BYTES_MAX 256u        /* one key, with its NUL */
#define MC_SIM_STORE_VALUE_BYTES_MAX MC_HTTP_BODY_BYTES_MAX /* one stored value */
#define MC_SIM_TRACE_LINE_BYTES_MAX 1024u      /* one trace line, with its NUL */

static_assert(MC_SIM_EVENTS_DEFAULT <= MC_SIM_EVENTS_MAX, "the default queue is allowed");
static_assert(MC_SIM_EVENTS_MAX < 0xffffffffu, "a queue position fits a heap slot");
static_assert(MC_SIM_NODES_MAX <= MC_SIM_PROCS_MAX, "every node has an incarnation");
static_assert(MC_SIM_CHUNK_PIECES_MAX >= 2u, "a split chunk has two pieces at least");
static_assert(2u * MC_SIM_ADDRESS_BYTES_MAX + 256u <= MC_SIM_TRACE_LINE_BYTES_MAX,
              "a trace line has room for both addresses and the head of a request line");


/* The reference master (reference/master/). */
#define MC_MASTER_FRAMEWORKS_MAX 65536u /* live frameworks, connected or not */
/*
 * Offer operations (reference/master/operations.c): the text of a list of
 * resources a message names (Mesos' operator<<), cut beyond this; a task
 * group's executors the master tracks, per master.
 */
#define MC_OPS_RESOURCES_TEXT_BYTES_MAX 2048u
#define MC_MASTER_EXECUTORS_MAX 65536u

/*
 * Resources and the allocator (reference/resources.h,
 * reference/master/allocator.h). A resource name, a role and a set element
 * are short texts; an item holds its ranges and elements in arrays bounded
 * here (65536 ports fragmented one in two would need 32768 ranges, far more
 * than any agent has). Scalars are thousandths in an int64: the largest
 * kept is 10^12 units (10^15 thousandths), below 2^53 so that a scalar
 * goes through a protobuf double and back exactly. A framework's
 * filters are bounded so that a scheduler declining in a loop cannot grow
 * the master without limit; refuse_seconds is capped at 365 days (SPEC O2).
 */
#define MC_RES_NAME_BYTES_MAX 64u             /* resource name, with its NUL */
#define MC_RES_ROLE_BYTES_MAX 128u            /* role, with its NUL */
#define MC_RES_ELEMENT_BYTES_MAX 256u         /* one set element, with its NUL */
#define MC_RES_ITEMS_MAX 128u                 /* items in one set */
#define MC_RES_RANGES_MAX 4096u               /* ranges in one item */
#define MC_RES_ELEMENTS_MAX 1024u             /* elements in one set item */
#define MC_RES_TEXT_BYTES_MAX (64u * 1024u)   /* one resource text (agent flag) */
#define MC_RES_SCALAR_MILLI_MAX 1000000000000000LL
#define MC_ALLOC_AGENTS_MAX 65536u            /* agents known to the allocator */
#define MC_ALLOC_FRAMEWORKS_MAX MC_MASTER_FRAMEWORKS_MAX
#define MC_ALLOC_FRAMEWORK_ROLES_MAX 64u      /* roles of one framework */
#define MC_ALLOC_ROLES_MAX 4096u              /* distinct roles in the allocator */
#define MC_ALLOC_FILTERS_MAX 4096u            /* live offer filters of one framework */
#define MC_ALLOC_ID_BYTES_MAX 256u            /* framework or agent id, with its NUL */
#define MC_ALLOC_REFUSE_SECONDS_MAX (365.0 * 24.0 * 3600.0)

static_assert(MC_RES_ROLE_BYTES_MAX >= 2u, "a role holds \"*\"");
static_assert(MC_RES_NAME_BYTES_MAX + MC_RES_ROLE_BYTES_MAX + 64u < MC_DIAG_TEXT_BYTES_MAX,
              "a parse error names its token");
static_assert(MC_ALLOC_FRAMEWORK_ROLES_MAX <= MC_ALLOC_ROLES_MAX, "a framework's roles fit");
static_assert(MC_RES_SCALAR_MILLI_MAX < (1LL << 53), "a scalar is exact in a double");

/*
 * The reference agent (reference/agent/) and the master's side of its
 * agents (reference/master/agents.c). A master keeps every agent it ever
 * registered (removed ones only by id, so that they can be refused), at
 * most MC_MASTER_AGENTS_MAX; past it the oldest removed one is forgotten,
 * and with none to forget a registration is refused. An agent id is at most
 * what the master takes as a client-given id; an agent's address
 * ("hostname:port") has room for a hostname of 255 bytes.
 */
#define MC_MASTER_AGENTS_MAX 65536u      /* agents a master keeps, removed included */
#define MC_AGENT_ID_BYTES_MAX 256u       /* an AgentID value with its NUL */
#define MC_AGENT_ADDRESS_BYTES_MAX 272u  /* "hostname:port" with its NUL */
#define MC_AGENT_RESOURCES_BYTES_MAX (64u * 1024u) /* the configured resources text */
#define MC_AGENT_STREAM_ID_BYTES_MAX 129u /* a Mesos-Stream-Id (at most 128 bytes, L1) and NUL */
/*
 * What the master and the agent keep in their durable stores (one value
 * each, rewritten whole): the master's registry of agents (id and
 * AgentInfo, a few hundred bytes each) and the agent's checkpoint of its
 * checkpointed tasks (TaskInfo and unacknowledged updates). Both fit one
 * stored value of either runtime, and the agent's checkpointed tasks fit
 * one REREGISTER call.
 */
#define MC_MASTER_REGISTRY_BYTES_MAX (16u * 1024u * 1024u)
#define MC_AGENT_CHECKPOINT_BYTES_MAX (8u * 1024u * 1024u)

static_assert(MC_AGENT_ADDRESS_BYTES_MAX >= 255u + 7u, "a hostname and a port fit");
static_assert(MC_AGENT_RESOURCES_BYTES_MAX < MC_HTTP_BODY_BYTES_MAX, "resources fit in a call");
static_assert(MC_MASTER_REGISTRY_BYTES_MAX <= MC_SIM_STORE_VALUE_BYTES_MAX,
              "the registry is one stored value");
static_assert(MC_AGENT_CHECKPOINT_BYTES_MAX <= MC_SIM_STORE_VALUE_BYTES_MAX,
              "the checkpoint is one stored value");
static_assert(MC_AGENT_CHECKPOINT_BYTES_MAX + MC_AGENT_RESOURCES_BYTES_MAX < MC_HTTP_BODY_BYTES_MAX,
              "the checkpointed tasks fit a REREGISTER");

/*
 * Scenario files (conformance/scn.h). A scenario is a small text read
 * whole; everything in it is bounded so that a bad or hostile file gives a
 * clear error instead of eating the machine: its size, a line, the tokens
 * of a line, its steps, actors, agents, variables, the headers of one
 * request, the events of one order check, the names on one side of a
 * partition, and the depth of a JSON block. Durations are at most a day of
 * (simulated) time. A suite loads at most MC_SCN_FILES_MAX files, found at
 * most MC_SCN_DIR_DEPTH_MAX folders deep.
 */
#define MC_SCN_FILE_BYTES_MAX (1024u * 1024u)
#define MC_SCN_LINE_BYTES_MAX 4096u         /* one line, without its newline */
#define MC_SCN_LINE_TOKENS_MAX 64u          /* words and strings of one line */
#define MC_SCN_STEPS_MAX 1024u              /* steps of one case */
#define MC_SCN_ACTORS_MAX 16u               /* actors of one case */
#define MC_SCN_AGENTS_MAX 16u               /* agents of one case */
#define MC_SCN_VARS_MAX 128u                /* variables one case defines */
#define MC_SCN_NAME_BYTES_MAX 64u           /* actor, agent or variable name, with its NUL */
#define MC_SCN_SPEC_ROWS_MAX 32u            /* SPEC.md rows one case cites */
#define MC_SCN_TAGS_MAX 32u                 /* tags of one case */
#define MC_SCN_HEADERS_MAX 32u              /* request headers one step sets */
#define MC_SCN_ORDER_EVENTS_MAX 16u         /* event types of one order check */
#define MC_SCN_SIDE_NAMES_MAX 16u           /* names on one side of a partition */
#define MC_SCN_JSON_DEPTH_MAX MC_JSON_DEPTH_MAX
#define MC_SCN_DURATION_NS_MAX (24ull * 3600ull * 1000000000ull)
#define MC_SCN_FILES_MAX 4096u              /* scenario files in one suite */
#define MC_SCN_PATH_BYTES_MAX 1024u         /* one file path, with its NUL */
#define MC_SCN_DIR_DEPTH_MAX 16u            /* folders below a PATH argument */

static_assert(MC_SCN_LINE_BYTES_MAX <= MC_SCN_FILE_BYTES_MAX, "a line fits in a file");
static_assert(MC_SCN_SPEC_ROWS_MAX <= MC_REPORT_SPEC_ROWS_MAX, "a case's rows fit its report");
static_assert(MC_SCN_TAGS_MAX <= MC_REPORT_TAGS_MAX, "a case's tags fit its report");
static_assert(MC_SCN_ACTORS_MAX <= MC_REPORT_ACTORS_MAX, "each actor can have a log");
static_assert(MC_SCN_PATH_BYTES_MAX <= MC_DIAG_SOURCE_BYTES_MAX * 4u, "paths are sane");

/*
 * The libuv runtime (reference/uv/rt_uv.h), behind `serve`. Server
 * connections past the limit are accepted and closed at once. While a
 * request is being answered or a stream is open, bytes a client pipelines
 * are held up to the input limit, then reading pauses (TCP pushes back).
 * A stream's bytes waiting in the kernel-bound queue are bounded: a reader
 * that stalls past the limit loses its connection (stream_closed), so a
 * stalled client never grows the server's memory; a whole response is
 * never refused by it (one is queued at a time).
 *
 * Slow requests: a request's head must be complete within the head
 * timeout of its first byte and its body within the body timeout of the
 * head's end, or it is answered 408 (a client sending one byte a minute
 * cannot hold a connection; the body's bound is generous: the largest
 * body at about 0.5 Mbit/s). Lingering close: after an answer that ends
 * the connection (an error status, 408, Connection: close) the server
 * sends its FIN and reads and discards what the client still sends, until
 * the client closes, the linger time passes or the linger bytes are
 * read, then closes. A client still sending a refused body (a 64 MiB one
 * on loopback) thus finishes and reads the answer instead of meeting a
 * reset. A lingering connection counts against the connection limit.
 */
#define MC_UV_CONNS_MAX 1024u                      /* server connections at once */
#define MC_UV_CALLS_MAX 1024u                      /* outbound calls at once */
#define MC_UV_LISTEN_BACKLOG 511                   /* the listen(2) queue */
#define MC_UV_READ_BYTES 65536u                    /* one read from a socket */
#define MC_UV_CONN_INPUT_BYTES_MAX (256u * 1024u)  /* unparsed pipelined bytes held */
#define MC_UV_STREAM_QUEUED_BYTES_MAX (8u * 1024u * 1024u) /* a stream's unsent bytes */
#define MC_UV_TIMERS_MAX (1u << 20)                /* active timers, the core's and ours */
#define MC_UV_ADDRESS_BYTES_MAX 64u                /* "host:port" with its NUL */
#define MC_UV_LOG_LINE_BYTES_MAX 1024u             /* one log line, with its NUL */
#define MC_UV_STORE_KEYS_MAX 4096u                 /* keys of the in-memory store */
#define MC_UV_STORE_KEY_BYTES_MAX 256u             /* one key, with its NUL */
#define MC_UV_STORE_VALUE_BYTES_MAX MC_HTTP_BODY_BYTES_MAX /* one stored value */
#define MC_UV_HEAD_TIMEOUT_NS (30ull * 1000000000ull)   /* a request head, from its first byte */
#define MC_UV_BODY_TIMEOUT_NS (300ull * 1000000000ull)  /* a request body, from its head's end */
#define MC_UV_LINGER_NS (2ull * 1000000000ull)          /* reading after a closing answer */
#define MC_UV_LINGER_BYTES_MAX (128u * 1024u * 1024u)   /* ... and discarding at most this */
/* serve --max-connections: the most it accepts; every idle timer still fits. */
#define MC_UV_CONNS_FLAG_MAX (MC_UV_TIMERS_MAX / 2u)

static_assert(MC_UV_STREAM_QUEUED_BYTES_MAX >= MC_RECORD_BYTES_MAX + 64u,
              "one record and its framing fit in a stream's queue");
static_assert(MC_UV_CONN_INPUT_BYTES_MAX >= MC_UV_READ_BYTES, "one read fits in the input");
static_assert(MC_UV_CONNS_MAX + MC_UV_CALLS_MAX < MC_UV_TIMERS_MAX, "every idle timer fits");
static_assert(MC_UV_CONNS_FLAG_MAX >= MC_UV_CONNS_MAX, "the flag can keep the default");
static_assert(MC_UV_LINGER_BYTES_MAX >= 4u * MC_HTTP_REQUEST_WIRE_BYTES_MAX,
              "a body four times the largest is drained: its sender reads the 413");
static_assert(MC_UV_BODY_TIMEOUT_NS * 62500ull >= 1000000000ull * MC_HTTP_BODY_BYTES_MAX,
              "the largest body arrives in time at 0.5 Mbit/s (62500 bytes a second)");
static_assert(MC_UV_LINGER_NS < MC_UV_HEAD_TIMEOUT_NS, "lingering is short");
static_assert(MC_UV_CONNS_FLAG_MAX + MC_UV_CALLS_MAX < MC_UV_TIMERS_MAX,
              "every idle timer fits at the flag's maximum");

/*
 * serve --agents (conformance/cli_serve.c): in-process reference agents,
 * each on its own runtime on serve's loop, named agent1..agentN with the
 * AgentInfo ports 5051..5050+N.
 */
#define MC_SERVE_AGENTS_MAX 64u

static_assert(MC_SERVE_AGENTS_MAX <= MC_MASTER_AGENTS_MAX, "the master keeps every agent");

/*
 * The master's offers (reference/master/offers.c). Mesos puts no cap on
 * outstanding offers (SPEC O1), but every container here is bounded: an
 * allocation past the limit is given back to the allocator at once and
 * logged, and is offered again once offers end.
 */
#define MC_MASTER_OFFERS_MAX 65536u /* outstanding offers of one master */

/*
 * The fault proxy (conformance/proxy.h). A connection's bytes wait in the
 * proxy while a request is read whole, while traffic is held or delayed
 * and while a response body is stalled: all of it together is bounded per
 * connection, and past the bound that connection is closed. A request is
 * forwarded once complete, so the bound has room for the largest one.
 * While a peer reads slower than the other side writes, reading pauses
 * once the write queue passes its mark (TCP pushes back).
 */
#define MC_PROXY_CONNS_MAX 1024u                   /* proxied connections at once */
#define MC_PROXY_CONN_BUFFERED_BYTES_MAX (32u * 1024u * 1024u) /* waiting in one connection */
#define MC_PROXY_WRITE_QUEUE_BYTES_MARK (1u * 1024u * 1024u)   /* pause reading past it */
#define MC_PROXY_READ_BYTES 16384u                 /* one read from a socket */
#define MC_PROXY_PIPELINE_MAX 64u                  /* requests awaiting answers, one conn */
#define MC_PROXY_SPLIT_PIECES_MAX 8u               /* random pieces of one chunk */
#define MC_PROXY_MERGE_RECORDS_MAX 64u             /* records merged into one chunk */
#define MC_PROXY_ADDRESS_BYTES_MAX 272u            /* "host:port" with its NUL */
#define MC_PROXY_DELAY_NS_MAX (3600ull * 1000000000ull) /* an hour */
#define MC_PROXY_ANSWER_BYTES_MAX 4096u            /* one local answer on the wire */

static_assert(MC_PROXY_CONN_BUFFERED_BYTES_MAX >= MC_HTTP_REQUEST_WIRE_BYTES_MAX,
              "the largest request fits while it is read whole");
static_assert(MC_PROXY_SPLIT_PIECES_MAX >= 2u, "a split chunk has two pieces at least");
static_assert(MC_PROXY_MERGE_RECORDS_MAX >= 2u, "a merge takes two records at least");
static_assert(MC_PROXY_ADDRESS_BYTES_MAX >= 255u + 7u, "a hostname and a port fit");


/*
 * Tasks (reference/master/tasks.c, reference/agent/executor.c). A task id
 * is Mesos' validateID: at most NAME_MAX (255) bytes. The master keeps the
 * tasks of one framework in a bounded list (a launch past it is refused
 * with TASK_ERROR); an agent runs a bounded number of tasks, each with a
 * bounded queue of status updates waiting for their acknowledgement.
 */
#define MC_TASK_ID_BYTES_MAX 256u                 /* a task or executor id and its NUL */
#define MC_MASTER_TASKS_PER_FRAMEWORK_MAX 4096u   /* tasks one framework has at once */
#define MC_AGENT_TASKS_MAX 4096u                  /* tasks one agent runs or remembers */
#define MC_AGENT_TASK_UPDATES_MAX 16u             /* unacknowledged updates of one task */
#define MC_TASK_MESSAGE_BYTES_MAX 8192u           /* a TaskStatus.message the master writes */

static_assert(MC_TASK_MESSAGE_BYTES_MAX >= 2u * MC_OPS_RESOURCES_TEXT_BYTES_MAX + 1024u,
              "a task's message names what it needs and what was offered");

#endif
