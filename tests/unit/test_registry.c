/*
 * test_registry.c: the descriptor registry (proto/registry.h) and, through
 * it, the wire facts of our .proto files.
 *
 * The registry part checks lookups (known names, with and without the
 * leading '.', unknown ones) and the table's invariants (sorted, unique,
 * every entry findable). The wire part looks up descriptors by name and
 * checks field numbers, labels, types, defaults and enum values against
 * Apache Mesos 1.12 (include/mesos/v1/... in its source); each row says
 * where its fact comes from. Facts also seen on a real Mesos 1.12 master
 * cite the recorded case (tests/data is not involved: the bytes are short
 * enough to quote here).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "mesos/v1/agent/agent.pb-c.h"
#include "mesos/v1/executor/executor.pb-c.h"
#include "mesos/v1/master/master.pb-c.h"
#include "mesos/v1/mesos.pb-c.h"
#include "mesos/v1/scheduler/scheduler.pb-c.h"
#include "registry.h"

/* ------------------------------------------------------------------------ */
/* Lookups.                                                                  */

struct find_row {
    const char *name;
    const ProtobufCMessageDescriptor *expected; /* NULL: must not be found */
    const char *why;
};

static const struct find_row find_rows[] = {
    {"mesos.v1.scheduler.Call", &mesos__v1__scheduler__call__descriptor, "top-level message"},
    {".mesos.v1.scheduler.Call", &mesos__v1__scheduler__call__descriptor, "leading dot"},
    {"mesos.v1.scheduler.Call.Subscribe", &mesos__v1__scheduler__call__subscribe__descriptor,
     "nested message"},
    {"mesos.v1.scheduler.Event", &mesos__v1__scheduler__event__descriptor, "scheduler event"},
    {"mesos.v1.TaskStatus", &mesos__v1__task_status__descriptor, "mesos.v1 message"},
    {".mesos.v1.TaskStatus", &mesos__v1__task_status__descriptor, "leading dot"},
    {"mesos.v1.Value.Range", &mesos__v1__value__range__descriptor, "nested in mesos.v1"},
    {"mesos.v1.Offer.Operation.LaunchGroup",
     &mesos__v1__offer__operation__launch_group__descriptor, "two levels deep"},
    {"mesos.v1.TaskInfo.LimitsEntry", &mesos__v1__task_info__limits_entry__descriptor,
     "map entries are messages too"},
    {"mesos.v1.executor.Event.Subscribed", &mesos__v1__executor__event__subscribed__descriptor,
     "executor package"},
    {"mesos.v1.master.Event.TaskAdded", &mesos__v1__master__event__task_added__descriptor,
     "master package"},
    {"mesos.v1.agent.Response.GetContainers.Container",
     &mesos__v1__agent__response__get_containers__container__descriptor, "agent package"},
    {"mesos.v1.Address", &mesos__v1__address__descriptor, "first name in byte order"},
    {"", NULL, "empty"},
    {".", NULL, "only the dot"},
    {"..mesos.v1.TaskStatus", NULL, "only one leading dot is accepted"},
    {"mesos.v1", NULL, "a package is not a message"},
    {"mesos", NULL, "a package is not a message"},
    {"mesos.v1.TaskState", NULL, "an enum is not a message"},
    {"mesos.v1.scheduler.Call.Type", NULL, "a nested enum is not a message"},
    {"mesos.v1.scheduler.call", NULL, "case matters"},
    {"MESOS.V1.SCHEDULER.CALL", NULL, "case matters"},
    {"mesos.v1.scheduler.Call.", NULL, "trailing dot"},
    {"mesos.v1.TaskStatus ", NULL, "trailing space"},
    {" mesos.v1.TaskStatus", NULL, "leading space"},
    {"mesos.v1.scheduler.Call.Subscribe.force", NULL, "a field is not a message"},
    {"mesos.v1.PerfStatistics", NULL, "left out of our mesos.proto"},
    {"mesos.v1.resource_provider.Call", NULL, "resource_provider.proto is left out"},
    {"scheduler.Call", NULL, "names are full names"},
    {"Call", NULL, "names are full names"},
    {"zzzz", NULL, "after the last name"},
    {"a", NULL, "before the first name"},
};

static void test_find_rows(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof find_rows / sizeof find_rows[0]; i++) {
        const struct find_row *row = &find_rows[i];
        const ProtobufCMessageDescriptor *got = proto_registry_find(row->name);
        if (got != row->expected) {
            fail_msg("find(\"%s\") = %s, want %s (%s)", row->name, got ? got->name : "NULL",
                     row->expected ? row->expected->name : "NULL", row->why);
        }
    }
}

static void test_find_long_name(void **state)
{
    (void)state;
    /* A name far longer than any real one, as a command line could pass. */
    char name[4096];
    memset(name, 'm', sizeof name - 1);
    name[sizeof name - 1] = '\0';
    assert_null(proto_registry_find(name));
    /* A real name followed by more text is not that name. */
    snprintf(name, sizeof name, "mesos.v1.TaskStatus%s", "X");
    assert_null(proto_registry_find(name));
}

static void test_count_plausible(void **state)
{
    (void)state;
    /* Our protos keep about three hundred messages: all of scheduler and
     * executor, most of mesos.v1, master and agent. A count far off means
     * the generator missed files or matched something else. */
    size_t count = proto_registry_count();
    assert_in_range(count, 250, 1000);
}

static void test_table_sorted_unique_findable(void **state)
{
    (void)state;
    size_t count = proto_registry_count();
    char dotted[512];
    for (size_t i = 0; i < count; i++) {
        const ProtobufCMessageDescriptor *desc = proto_registry_at(i);
        assert_non_null(desc);
        assert_int_equal(desc->magic, PROTOBUF_C__MESSAGE_DESCRIPTOR_MAGIC);
        assert_non_null(desc->name);
        assert_true(desc->name[0] != '.');
        if (i > 0 && strcmp(proto_registry_at(i - 1)->name, desc->name) >= 0) {
            fail_msg("entry %zu \"%s\" does not sort after \"%s\"", i, desc->name,
                     proto_registry_at(i - 1)->name);
        }
        if (proto_registry_find(desc->name) != desc) {
            fail_msg("entry %zu \"%s\" is not found by its own name", i, desc->name);
        }
        int n = snprintf(dotted, sizeof dotted, ".%s", desc->name);
        assert_true(n > 0 && (size_t)n < sizeof dotted);
        assert_ptr_equal(proto_registry_find(dotted), desc);
    }
}

/* ------------------------------------------------------------------------ */
/* Fields: number, label, type and (for messages and enums) the type's name. */

struct field_row {
    const char *message;
    const char *field;
    unsigned number;
    ProtobufCLabel label;
    ProtobufCType type;
    const char *type_name; /* NULL for scalar fields */
    const char *why;
};

#define OPT PROTOBUF_C_LABEL_OPTIONAL
#define REQ PROTOBUF_C_LABEL_REQUIRED
#define REP PROTOBUF_C_LABEL_REPEATED
#define T_MSG PROTOBUF_C_TYPE_MESSAGE
#define T_ENUM PROTOBUF_C_TYPE_ENUM

static const struct field_row field_rows[] = {
    /* scheduler.proto, Call. The recorded protobuf SUBSCRIBE body starts
     * with tag 0x10 (field 2, varint) then 0x1a (field 3, bytes)
     * (recorded: st.subscribe-protobuf). */
    {"mesos.v1.scheduler.Call", "framework_id", 1, OPT, T_MSG, "mesos.v1.FrameworkID",
     "scheduler.proto Call.framework_id"},
    {"mesos.v1.scheduler.Call", "type", 2, OPT, T_ENUM, "mesos.v1.scheduler.Call.Type",
     "scheduler.proto Call.type; recorded: st.subscribe-protobuf"},
    {"mesos.v1.scheduler.Call", "subscribe", 3, OPT, T_MSG, "mesos.v1.scheduler.Call.Subscribe",
     "scheduler.proto Call.subscribe; recorded: st.subscribe-protobuf"},
    {"mesos.v1.scheduler.Call", "accept", 4, OPT, T_MSG, "mesos.v1.scheduler.Call.Accept",
     "scheduler.proto Call.accept"},
    {"mesos.v1.scheduler.Call", "kill", 6, OPT, T_MSG, "mesos.v1.scheduler.Call.Kill",
     "scheduler.proto Call.kill"},
    {"mesos.v1.scheduler.Call", "acknowledge", 8, OPT, T_MSG,
     "mesos.v1.scheduler.Call.Acknowledge", "scheduler.proto Call.acknowledge"},
    {"mesos.v1.scheduler.Call", "reconcile_operations", 18, OPT, T_MSG,
     "mesos.v1.scheduler.Call.ReconcileOperations", "scheduler.proto Call"},
    {"mesos.v1.scheduler.Call", "update_framework", 19, OPT, T_MSG,
     "mesos.v1.scheduler.Call.UpdateFramework", "scheduler.proto Call"},
    /* SPEC L3: field 2 of v1 Subscribe is suppressed_roles, 3 is
     * offer_constraints; there is no force. */
    {"mesos.v1.scheduler.Call.Subscribe", "framework_info", 1, REQ, T_MSG,
     "mesos.v1.FrameworkInfo", "scheduler.proto Call.Subscribe"},
    {"mesos.v1.scheduler.Call.Subscribe", "suppressed_roles", 2, REP, PROTOBUF_C_TYPE_STRING,
     NULL, "SPEC L3"},
    {"mesos.v1.scheduler.Call.Subscribe", "offer_constraints", 3, OPT, T_MSG,
     "mesos.v1.scheduler.OfferConstraints", "SPEC L3"},
    {"mesos.v1.scheduler.Call.Acknowledge", "uuid", 3, REQ, PROTOBUF_C_TYPE_BYTES, NULL,
     "scheduler.proto; bytes, hence base64 in JSON (SPEC T3)"},
    {"mesos.v1.scheduler.Call.Kill", "kill_policy", 3, OPT, T_MSG, "mesos.v1.KillPolicy",
     "scheduler.proto Call.Kill"},
    /* scheduler.proto, Event: the recorded SUBSCRIBED record holds fields
     * 1 and 2, its subscribed part fields 1, 2 and 3 (recorded:
     * st.subscribe-protobuf). */
    {"mesos.v1.scheduler.Event", "type", 1, OPT, T_ENUM, "mesos.v1.scheduler.Event.Type",
     "recorded: st.subscribe-protobuf"},
    {"mesos.v1.scheduler.Event", "subscribed", 2, OPT, T_MSG,
     "mesos.v1.scheduler.Event.Subscribed", "recorded: st.subscribe-protobuf"},
    {"mesos.v1.scheduler.Event", "update", 5, OPT, T_MSG, "mesos.v1.scheduler.Event.Update",
     "scheduler.proto Event.update"},
    {"mesos.v1.scheduler.Event", "error", 8, OPT, T_MSG, "mesos.v1.scheduler.Event.Error",
     "scheduler.proto Event.error"},
    {"mesos.v1.scheduler.Event", "update_operation_status", 11, OPT, T_MSG,
     "mesos.v1.scheduler.Event.UpdateOperationStatus", "scheduler.proto Event"},
    {"mesos.v1.scheduler.Event.Subscribed", "heartbeat_interval_seconds", 2, OPT,
     PROTOBUF_C_TYPE_DOUBLE, NULL, "recorded: st.subscribe-json (15.0)"},
    {"mesos.v1.scheduler.Event.Subscribed", "master_info", 3, OPT, T_MSG, "mesos.v1.MasterInfo",
     "recorded: st.subscribe-json"},
    /* mesos.proto. */
    {"mesos.v1.FrameworkInfo", "user", 1, REQ, PROTOBUF_C_TYPE_STRING, NULL,
     "mesos.proto; required, so leaving it out fails parsing (SPEC L6)"},
    {"mesos.v1.FrameworkInfo", "name", 2, REQ, PROTOBUF_C_TYPE_STRING, NULL, "SPEC L6"},
    {"mesos.v1.FrameworkInfo", "capabilities", 10, REP, T_MSG, "mesos.v1.FrameworkInfo.Capability",
     "mesos.proto FrameworkInfo"},
    {"mesos.v1.FrameworkInfo", "roles", 12, REP, PROTOBUF_C_TYPE_STRING, NULL, "mesos.proto"},
    {"mesos.v1.FrameworkInfo", "offer_filters", 13, REP, T_MSG,
     "mesos.v1.FrameworkInfo.OfferFiltersEntry", "a map<string, OfferFilters> in mesos.proto"},
    {"mesos.v1.TaskStatus", "task_id", 1, REQ, T_MSG, "mesos.v1.TaskID", "mesos.proto"},
    {"mesos.v1.TaskStatus", "state", 2, REQ, T_ENUM, "mesos.v1.TaskState", "mesos.proto"},
    {"mesos.v1.TaskStatus", "source", 9, OPT, T_ENUM, "mesos.v1.TaskStatus.Source", "mesos.proto"},
    {"mesos.v1.TaskStatus", "reason", 10, OPT, T_ENUM, "mesos.v1.TaskStatus.Reason", "mesos.proto"},
    {"mesos.v1.TaskStatus", "uuid", 11, OPT, PROTOBUF_C_TYPE_BYTES, NULL, "SPEC T2"},
    {"mesos.v1.TaskStatus", "unreachable_time", 14, OPT, T_MSG, "mesos.v1.TimeInfo", "SPEC A3"},
    {"mesos.v1.Resource", "allocation_info", 11, OPT, T_MSG, "mesos.v1.Resource.AllocationInfo",
     "SPEC O7"},
    {"mesos.v1.Resource", "reservations", 13, REP, T_MSG, "mesos.v1.Resource.ReservationInfo",
     "mesos.proto Resource"},
    {"mesos.v1.Resource", "shared", 10, OPT, T_MSG, "mesos.v1.Resource.SharedInfo", "mesos.proto"},
    {"mesos.v1.Offer", "url", 8, OPT, T_MSG, "mesos.v1.URL", "recorded: o.offers-shape"},
    {"mesos.v1.Offer.Operation", "launch_group", 7, OPT, T_MSG,
     "mesos.v1.Offer.Operation.LaunchGroup", "mesos.proto Offer.Operation"},
    {"mesos.v1.Offer.Operation", "id", 12, OPT, T_MSG, "mesos.v1.OperationID", "mesos.proto"},
    {"mesos.v1.Offer.Operation", "destroy_disk", 16, OPT, T_MSG,
     "mesos.v1.Offer.Operation.DestroyDisk", "mesos.proto"},
    {"mesos.v1.TaskInfo", "limits", 15, REP, T_MSG, "mesos.v1.TaskInfo.LimitsEntry",
     "a map<string, Value.Scalar> in mesos.proto"},
    {"mesos.v1.TaskInfo.LimitsEntry", "key", 1, OPT, PROTOBUF_C_TYPE_STRING, NULL,
     "how protoc describes a map entry"},
    {"mesos.v1.TaskInfo.LimitsEntry", "value", 2, OPT, T_MSG, "mesos.v1.Value.Scalar",
     "how protoc describes a map entry"},
    /* executor.proto, master.proto, agent.proto. */
    {"mesos.v1.executor.Call", "type", 3, OPT, T_ENUM, "mesos.v1.executor.Call.Type",
     "executor.proto Call.type"},
    {"mesos.v1.executor.Event", "launch_group", 8, OPT, T_MSG,
     "mesos.v1.executor.Event.LaunchGroup", "executor.proto"},
    {"mesos.v1.master.Call", "mark_agent_gone", 17, OPT, T_MSG,
     "mesos.v1.master.Call.MarkAgentGone", "master.proto Call"},
    {"mesos.v1.master.Response", "get_state", 9, OPT, T_MSG, "mesos.v1.master.Response.GetState",
     "master.proto Response"},
    {"mesos.v1.master.Event", "framework_removed", 9, OPT, T_MSG,
     "mesos.v1.master.Event.FrameworkRemoved", "master.proto Event"},
    {"mesos.v1.master.Event.Subscribed", "heartbeat_interval_seconds", 2, OPT,
     PROTOBUF_C_TYPE_DOUBLE, NULL, "master.proto; SPEC P2"},
    {"mesos.v1.agent.Call", "get_containers", 20, OPT, T_MSG, "mesos.v1.agent.Call.GetContainers",
     "agent.proto Call"},
    {"mesos.v1.agent.Response", "get_containers", 10, OPT, T_MSG,
     "mesos.v1.agent.Response.GetContainers", "agent.proto Response"},
};

static const char *field_type_name(const ProtobufCFieldDescriptor *field)
{
    if (field->type == PROTOBUF_C_TYPE_MESSAGE) {
        return ((const ProtobufCMessageDescriptor *)field->descriptor)->name;
    }
    if (field->type == PROTOBUF_C_TYPE_ENUM) {
        return ((const ProtobufCEnumDescriptor *)field->descriptor)->name;
    }
    return NULL;
}

/* The field of a message found through the registry; fails the test when
 * either is missing. */
static const ProtobufCFieldDescriptor *field_get(const char *message, const char *field)
{
    const ProtobufCMessageDescriptor *desc = proto_registry_find(message);
    if (desc == NULL) {
        fail_msg("message %s is not in the registry", message);
    }
    const ProtobufCFieldDescriptor *fd =
        protobuf_c_message_descriptor_get_field_by_name(desc, field);
    if (fd == NULL) {
        fail_msg("%s has no field %s", message, field);
    }
    return fd;
}

static void test_field_rows(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof field_rows / sizeof field_rows[0]; i++) {
        const struct field_row *row = &field_rows[i];
        const ProtobufCFieldDescriptor *fd = field_get(row->message, row->field);
        const char *type_name = field_type_name(fd);
        if (fd->id != row->number || fd->label != row->label || fd->type != row->type) {
            fail_msg("%s.%s: number %u label %d type %d, want %u %d %d (%s)", row->message,
                     row->field, fd->id, (int)fd->label, (int)fd->type, row->number,
                     (int)row->label, (int)row->type, row->why);
        }
        if ((type_name == NULL) != (row->type_name == NULL) ||
            (type_name != NULL && strcmp(type_name, row->type_name) != 0)) {
            fail_msg("%s.%s: type %s, want %s (%s)", row->message, row->field,
                     type_name ? type_name : "(scalar)",
                     row->type_name ? row->type_name : "(scalar)", row->why);
        }
        /* The number must lead back to the same field. */
        const ProtobufCMessageDescriptor *desc = proto_registry_find(row->message);
        assert_ptr_equal(protobuf_c_message_descriptor_get_field(desc, row->number), fd);
    }
}

/* Fields that must not exist, under any number. */
static const struct {
    const char *message;
    const char *field;
    const char *why;
} absent_rows[] = {
    {"mesos.v1.scheduler.Call.Subscribe", "force", "SPEC L3: removed in 0.28 (MESOS-4712)"},
    {"mesos.v1.scheduler.Call.UpdateFramework", "force", "scheduler.proto has none"},
    {"mesos.v1.scheduler.Call", "force", "scheduler.proto has none"},
    {"mesos.v1.ResourceStatistics", "perf", "left out of our mesos.proto (field 13 reserved)"},
    {"mesos.v1.master.Call.DrainAgent", "max_grace_period", "left out (google.protobuf.Duration)"},
};

static void test_absent_fields(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof absent_rows / sizeof absent_rows[0]; i++) {
        const ProtobufCMessageDescriptor *desc = proto_registry_find(absent_rows[i].message);
        assert_non_null(desc);
        if (protobuf_c_message_descriptor_get_field_by_name(desc, absent_rows[i].field) != NULL) {
            fail_msg("%s has a field %s (%s)", absent_rows[i].message, absent_rows[i].field,
                     absent_rows[i].why);
        }
    }
    /* Left-out numbers stay unused (reserved in the .proto). */
    const ProtobufCMessageDescriptor *stats = proto_registry_find("mesos.v1.ResourceStatistics");
    assert_non_null(stats);
    assert_null(protobuf_c_message_descriptor_get_field(stats, 13));
    assert_null(protobuf_c_message_descriptor_get_field(stats, 42));
}

/* ------------------------------------------------------------------------ */
/* Declared defaults: wire-visible, since JSON output writes them (SPEC W7). */

enum default_kind { DEFAULT_DOUBLE, DEFAULT_UINT32, DEFAULT_INT32, DEFAULT_BOOL, DEFAULT_STRING };

struct default_row {
    const char *message;
    const char *field;
    enum default_kind kind;
    double value_double;
    int64_t value_int;
    const char *value_string;
    const char *why;
};

static const struct default_row default_rows[] = {
    {"mesos.v1.FrameworkInfo", "failover_timeout", DEFAULT_DOUBLE, 0.0, 0, NULL,
     "mesos.proto [default = 0.0]; SPEC L7"},
    {"mesos.v1.FrameworkInfo", "checkpoint", DEFAULT_BOOL, 0, 0, NULL, "mesos.proto"},
    {"mesos.v1.FrameworkInfo", "role", DEFAULT_STRING, 0, 0, "*", "mesos.proto"},
    {"mesos.v1.Filters", "refuse_seconds", DEFAULT_DOUBLE, 5.0, 0, NULL, "mesos.proto; SPEC O2"},
    {"mesos.v1.Resource", "role", DEFAULT_STRING, 0, 0, "*", "recorded: o.offers-shape"},
    {"mesos.v1.MasterInfo", "port", DEFAULT_UINT32, 0, 5050, NULL, "mesos.proto"},
    {"mesos.v1.AgentInfo", "port", DEFAULT_INT32, 0, 5051, NULL, "mesos.proto"},
    {"mesos.v1.HealthCheck", "consecutive_failures", DEFAULT_UINT32, 0, 3, NULL, "mesos.proto"},
    {"mesos.v1.HealthCheck", "grace_period_seconds", DEFAULT_DOUBLE, 10.0, 0, NULL,
     "mesos.proto"},
    {"mesos.v1.CommandInfo", "shell", DEFAULT_BOOL, 0, 1, NULL, "mesos.proto"},
    {"mesos.v1.master.Call.DrainAgent", "mark_gone", DEFAULT_BOOL, 0, 0, NULL, "master.proto"},
};

static void test_default_rows(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof default_rows / sizeof default_rows[0]; i++) {
        const struct default_row *row = &default_rows[i];
        const ProtobufCFieldDescriptor *fd = field_get(row->message, row->field);
        if (fd->default_value == NULL) {
            fail_msg("%s.%s declares no default (%s)", row->message, row->field, row->why);
        }
        int ok = 0;
        switch (row->kind) {
        case DEFAULT_DOUBLE:
            ok = fd->type == PROTOBUF_C_TYPE_DOUBLE &&
                 *(const double *)fd->default_value == row->value_double;
            break;
        case DEFAULT_UINT32:
            ok = fd->type == PROTOBUF_C_TYPE_UINT32 &&
                 *(const uint32_t *)fd->default_value == (uint32_t)row->value_int;
            break;
        case DEFAULT_INT32:
            ok = fd->type == PROTOBUF_C_TYPE_INT32 &&
                 *(const int32_t *)fd->default_value == (int32_t)row->value_int;
            break;
        case DEFAULT_BOOL:
            ok = fd->type == PROTOBUF_C_TYPE_BOOL &&
                 *(const protobuf_c_boolean *)fd->default_value ==
                     (protobuf_c_boolean)row->value_int;
            break;
        case DEFAULT_STRING:
            ok = fd->type == PROTOBUF_C_TYPE_STRING &&
                 strcmp((const char *)fd->default_value, row->value_string) == 0;
            break;
        }
        if (!ok) {
            fail_msg("%s.%s: wrong default or type (%s)", row->message, row->field, row->why);
        }
    }
    /* A field without [default = ...] has none, so JSON leaves it out. */
    assert_null(field_get("mesos.v1.TaskStatus", "message")->default_value);
    assert_null(field_get("mesos.v1.scheduler.Event.Subscribed", "heartbeat_interval_seconds")
                    ->default_value);
}

/* ------------------------------------------------------------------------ */
/* Enum values, reached through a field that uses the enum.                  */

struct enum_row {
    const char *message;
    const char *field;
    const char *value;
    int number;
    const char *why;
};

static const struct enum_row enum_rows[] = {
    {"mesos.v1.scheduler.Call", "type", "UNKNOWN", 0, "scheduler.proto Call.Type"},
    {"mesos.v1.scheduler.Call", "type", "SUBSCRIBE", 1, "recorded: st.subscribe-protobuf"},
    {"mesos.v1.scheduler.Call", "type", "TEARDOWN", 2, "scheduler.proto"},
    {"mesos.v1.scheduler.Call", "type", "ACCEPT_INVERSE_OFFERS", 13, "scheduler.proto"},
    {"mesos.v1.scheduler.Call", "type", "RECONCILE_OPERATIONS", 16, "scheduler.proto"},
    {"mesos.v1.scheduler.Call", "type", "UPDATE_FRAMEWORK", 17, "scheduler.proto"},
    {"mesos.v1.scheduler.Event", "type", "SUBSCRIBED", 1, "recorded: st.subscribe-protobuf"},
    {"mesos.v1.scheduler.Event", "type", "HEARTBEAT", 8, "recorded: st.subscribe-protobuf"},
    {"mesos.v1.scheduler.Event", "type", "UPDATE_OPERATION_STATUS", 11, "scheduler.proto"},
    {"mesos.v1.TaskStatus", "state", "TASK_STAGING", 6, "mesos.proto TaskState"},
    {"mesos.v1.TaskStatus", "state", "TASK_STARTING", 0, "mesos.proto TaskState"},
    {"mesos.v1.TaskStatus", "state", "TASK_KILLING", 8, "mesos.proto TaskState"},
    {"mesos.v1.TaskStatus", "state", "TASK_UNREACHABLE", 10, "mesos.proto TaskState"},
    {"mesos.v1.TaskStatus", "state", "TASK_GONE_BY_OPERATOR", 12, "mesos.proto TaskState"},
    {"mesos.v1.TaskStatus", "state", "TASK_UNKNOWN", 13, "mesos.proto TaskState"},
    {"mesos.v1.TaskStatus", "source", "SOURCE_MASTER", 0, "mesos.proto TaskStatus.Source"},
    {"mesos.v1.TaskStatus", "reason", "REASON_RECONCILIATION", 9, "mesos.proto; SPEC T5"},
    {"mesos.v1.TaskStatus", "reason", "REASON_AGENT_REREGISTERED", 32, "mesos.proto; SPEC A4"},
    {"mesos.v1.TaskStatus", "reason", "REASON_AGENT_DRAINING", 34, "mesos.proto"},
    {"mesos.v1.FrameworkInfo.Capability", "type", "PARTITION_AWARE", 5, "mesos.proto"},
    {"mesos.v1.FrameworkInfo.Capability", "type", "MULTI_ROLE", 6, "mesos.proto; SPEC O7"},
    {"mesos.v1.MasterInfo.Capability", "type", "QUOTA_V2", 3, "recorded: st.subscribe-json"},
    {"mesos.v1.Offer.Operation", "type", "LAUNCH_GROUP", 6, "mesos.proto"},
    {"mesos.v1.Offer.Operation", "type", "GROW_VOLUME", 11, "mesos.proto"},
    {"mesos.v1.Offer.Operation", "type", "DESTROY_DISK", 14, "mesos.proto"},
    {"mesos.v1.master.Call", "type", "GET_STATE", 9, "master.proto Call.Type"},
    {"mesos.v1.master.Call", "type", "SUBSCRIBE", 18, "master.proto Call.Type"},
    {"mesos.v1.master.Call", "type", "MARK_AGENT_GONE", 32, "master.proto Call.Type"},
    {"mesos.v1.master.Call", "type", "REACTIVATE_AGENT", 39, "master.proto Call.Type"},
    {"mesos.v1.master.Response", "type", "GET_STATE", 8, "master.proto Response.Type"},
    {"mesos.v1.master.Event", "type", "HEARTBEAT", 9, "master.proto Event.Type"},
    {"mesos.v1.agent.Call", "type", "GET_CONTAINERS", 10, "agent.proto Call.Type"},
    {"mesos.v1.agent.Response", "type", "GET_CONTAINERS", 9, "agent.proto Response.Type"},
    {"mesos.v1.executor.Event", "type", "LAUNCH_GROUP", 8, "executor.proto Event.Type"},
};

/* The enum a field uses; fails the test when the field is not an enum. */
static const ProtobufCEnumDescriptor *field_enum(const char *message, const char *field)
{
    const ProtobufCFieldDescriptor *fd = field_get(message, field);
    if (fd->type != PROTOBUF_C_TYPE_ENUM) {
        fail_msg("%s.%s is not an enum field", message, field);
    }
    const ProtobufCEnumDescriptor *ed = fd->descriptor;
    assert_int_equal(ed->magic, PROTOBUF_C__ENUM_DESCRIPTOR_MAGIC);
    return ed;
}

static void test_enum_rows(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof enum_rows / sizeof enum_rows[0]; i++) {
        const struct enum_row *row = &enum_rows[i];
        const ProtobufCEnumDescriptor *ed = field_enum(row->message, row->field);
        const ProtobufCEnumValue *v = protobuf_c_enum_descriptor_get_value_by_name(ed, row->value);
        if (v == NULL || v->value != row->number) {
            fail_msg("%s %s = %d, want %d (%s)", ed->name, row->value, v ? v->value : -1,
                     row->number, row->why);
        }
        /* The number must lead back to the same name. */
        const ProtobufCEnumValue *back = protobuf_c_enum_descriptor_get_value(ed, row->number);
        assert_non_null(back);
        assert_string_equal(back->name, row->value);
    }
}

/* Every value of these enums is kept: their size equals Mesos'. */
static const struct {
    const char *message;
    const char *field;
    unsigned values_count;
    const char *why;
} enum_size_rows[] = {
    {"mesos.v1.scheduler.Call", "type", 18, "scheduler.proto Call.Type"},
    {"mesos.v1.scheduler.Event", "type", 12, "scheduler.proto Event.Type"},
    {"mesos.v1.executor.Call", "type", 5, "executor.proto Call.Type"},
    {"mesos.v1.executor.Event", "type", 10, "executor.proto Event.Type"},
    {"mesos.v1.master.Call", "type", 40, "master.proto Call.Type"},
    {"mesos.v1.master.Response", "type", 20, "master.proto Response.Type"},
    {"mesos.v1.master.Event", "type", 10, "master.proto Event.Type"},
    {"mesos.v1.agent.Call", "type", 33, "agent.proto Call.Type"},
    {"mesos.v1.agent.Response", "type", 18, "agent.proto Response.Type"},
    {"mesos.v1.TaskStatus", "state", 14, "mesos.proto TaskState"},
    {"mesos.v1.TaskStatus", "reason", 35, "mesos.proto TaskStatus.Reason"},
    {"mesos.v1.TaskStatus", "source", 3, "mesos.proto TaskStatus.Source"},
    {"mesos.v1.FrameworkInfo.Capability", "type", 9, "mesos.proto"},
    {"mesos.v1.Offer.Operation", "type", 11, "mesos.proto Offer.Operation.Type"},
    {"mesos.v1.OperationStatus", "state", 10, "mesos.proto OperationState"},
};

static void test_enum_sizes(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof enum_size_rows / sizeof enum_size_rows[0]; i++) {
        const ProtobufCEnumDescriptor *ed =
            field_enum(enum_size_rows[i].message, enum_size_rows[i].field);
        if (ed->n_value_names != enum_size_rows[i].values_count) {
            fail_msg("%s has %u values, want %u (%s)", ed->name, ed->n_value_names,
                     enum_size_rows[i].values_count, enum_size_rows[i].why);
        }
    }
}

static void test_enum_implicit_default(void **state)
{
    (void)state;
    /* In proto2 an enum field without [default] starts at the enum's first
     * declared value. Mesos declares TASK_STAGING (6) first, not
     * TASK_STARTING (0), so the declaration order is a fact too. */
    Mesos__V1__Task task = MESOS__V1__TASK__INIT;
    assert_int_equal(task.status_update_state, MESOS__V1__TASK_STATE__TASK_STAGING);
    assert_int_equal(task.status_update_state, 6);
    /* The same through the registry's descriptor. */
    const ProtobufCMessageDescriptor *desc = proto_registry_find("mesos.v1.Task");
    assert_non_null(desc);
    union {
        Mesos__V1__Task task;
        max_align_t align;
    } storage;
    assert_true(desc->sizeof_message <= sizeof storage);
    memset(&storage, 0xff, sizeof storage);
    protobuf_c_message_init(desc, &storage);
    assert_int_equal(storage.task.status_update_state, 6);
}

/* ------------------------------------------------------------------------ */
/* Bytes: a recorded protobuf body decodes through the registry.             */

static void test_recorded_subscribe_bytes(void **state)
{
    (void)state;
    /* The body of a protobuf SUBSCRIBE sent to a real Mesos 1.12 master
     * (recorded: st.subscribe-protobuf): type SUBSCRIBE, then subscribe
     * with framework_info {user "root", name "mesos-diff"}. */
    static const uint8_t body[] = {0x10, 0x01, 0x1a, 0x14, 0x0a, 0x12, 0x0a, 0x04, 'r', 'o',
                                   'o',  't',  0x12, 0x0a, 'm',  'e',  's',  'o',  's', '-',
                                   'd',  'i',  'f',  'f'};
    const ProtobufCMessageDescriptor *desc = proto_registry_find("mesos.v1.scheduler.Call");
    assert_non_null(desc);
    ProtobufCMessage *msg = protobuf_c_message_unpack(desc, NULL, sizeof body, body);
    assert_non_null(msg);
    const Mesos__V1__Scheduler__Call *call = (const Mesos__V1__Scheduler__Call *)msg;
    assert_true(call->has_type);
    assert_int_equal(call->type, MESOS__V1__SCHEDULER__CALL__TYPE__SUBSCRIBE);
    assert_null(call->framework_id);
    assert_non_null(call->subscribe);
    assert_non_null(call->subscribe->framework_info);
    assert_string_equal(call->subscribe->framework_info->user, "root");
    assert_string_equal(call->subscribe->framework_info->name, "mesos-diff");
    assert_int_equal(call->subscribe->n_suppressed_roles, 0);
    /* Packing it again gives the same bytes. */
    uint8_t out[sizeof body];
    assert_int_equal(protobuf_c_message_get_packed_size(msg), sizeof body);
    assert_int_equal(protobuf_c_message_pack(msg, out), sizeof body);
    assert_memory_equal(out, body, sizeof body);
    protobuf_c_message_free_unpacked(msg, NULL);
}

static void test_heartbeat_bytes(void **state)
{
    (void)state;
    /* A HEARTBEAT event holds only field 1 = 8 (recorded:
     * st.subscribe-protobuf, second event). */
    Mesos__V1__Scheduler__Event event = MESOS__V1__SCHEDULER__EVENT__INIT;
    event.has_type = 1;
    event.type = MESOS__V1__SCHEDULER__EVENT__TYPE__HEARTBEAT;
    uint8_t out[16];
    assert_int_equal(protobuf_c_message_get_packed_size(&event.base), 2);
    assert_int_equal(protobuf_c_message_pack(&event.base, out), 2);
    assert_int_equal(out[0], 0x08);
    assert_int_equal(out[1], 0x08);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_find_rows),
        cmocka_unit_test(test_find_long_name),
        cmocka_unit_test(test_count_plausible),
        cmocka_unit_test(test_table_sorted_unique_findable),
        cmocka_unit_test(test_field_rows),
        cmocka_unit_test(test_absent_fields),
        cmocka_unit_test(test_default_rows),
        cmocka_unit_test(test_enum_rows),
        cmocka_unit_test(test_enum_sizes),
        cmocka_unit_test(test_enum_implicit_default),
        cmocka_unit_test(test_recorded_subscribe_bytes),
        cmocka_unit_test(test_heartbeat_bytes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
