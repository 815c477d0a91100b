/*
 * operations.c: ACCEPT and its offer operations (SPEC.md O5), the inverse
 * offer calls and RECONCILE_OPERATIONS, as Mesos 1.12 handles them
 * (src/master/master.cpp `accept`, `_accept`, `_apply`, `drop`,
 * `acceptInverseOffers`, `declineInverseOffers`, `reconcileOperations`;
 * src/master/validation.cpp; src/common/resources_utils.cpp).
 *
 * Theory of operation. An ACCEPT goes through Mesos' three stages:
 *  1. The offers named are checked and taken (offers.c). Invalid offers:
 *     each task of a LAUNCH or LAUNCH_GROUP is TASK_DROPPED (TASK_LOST
 *     without PARTITION_AWARE), every other operation is dropped.
 *  2. Every operation is checked on its own, in order, as
 *     validateAndUpgradeResources and the feedback checks of `accept` do:
 *     a missing argument, a resource Resources::validate refuses, a RESERVE
 *     with `source`, or an `id` (operation feedback) on this agent, which
 *     has neither RESOURCE_PROVIDER nor AGENT_OPERATION_FEEDBACK. A LAUNCH
 *     or LAUNCH_GROUP that fails gets TASK_ERROR for each of its tasks;
 *     any other operation is dropped.
 *  3. What is left is applied in order to the offered resources (`_accept`),
 *     which are kept allocated to the offers' role in `remaining`: RESERVE,
 *     UNRESERVE, CREATE and DESTROY are validated as
 *     validation::operation::validate does (the text ends "; on agent <id>
 *     at slave(1)@<ip>:<port> (<hostname>)"), turned into Mesos' resource
 *     conversions (consumed -> converted) and applied to `remaining`, to
 *     the agent's total and to the framework's allocation at once (the
 *     allocator), and the agent is sent its checkpointed resources
 *     (CHECKPOINT_RESOURCES, Mesos' _apply for an agent without
 *     RESOURCE_PROVIDER); a LAUNCH or LAUNCH_GROUP takes its tasks'
 *     resources out of `remaining` (tasks.c), so a LAUNCH after a RESERVE
 *     in the same ACCEPT runs on the reservation.
 * At the end what the operations converted goes back to the allocator
 * without a filter and the rest is declined with the call's filters, as
 * `_accept` computes speculativelyConverted and implicitlyDeclined.
 *
 * "Dropping" an operation is Mesos' Master::drop: logged, and, when the
 * operation has an `id`, an UPDATE_OPERATION_STATUS {operation_id,
 * OPERATION_ERROR, message} (no agent_id, no uuid). An operation without
 * an id gets no feedback at all.
 *
 * Resources of operations are read with res_set_from_proto_full (reference
 * /resources.h), which keeps reservation stacks, principals, labels and
 * persistent volumes; a resource without allocation_info is allocated to
 * the offers' role, as injectAllocationInfo does. Texts that name
 * resources print them as Mesos' operator<< does (resource_text below).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "master_internal.h"
#include "mc_assert.h"
#include "mc_limits.h"
#include "resources.h"

#define OP(name) MESOS__V1__OFFER__OPERATION__TYPE__##name
#define RES_DYNAMIC MESOS__V1__RESOURCE__RESERVATION_INFO__TYPE__DYNAMIC
#define RES_STATIC MESOS__V1__RESOURCE__RESERVATION_INFO__TYPE__STATIC

/* The longest text an operation's error names: two resource lists and an agent. */
#define OPS_TEXT_BYTES (2u * MC_OPS_RESOURCES_TEXT_BYTES_MAX + 1024u)
/* A reason another one quotes after a few words of its own ("Invalid resources: %s"). */
#define OPS_INNER_TEXT_BYTES (OPS_TEXT_BYTES - 64u)

static void log_op(struct master *m, enum rt_log_level level, const char *fmt, const char *a,
                   const char *b)
{
    char text[MC_TASK_MESSAGE_BYTES_MAX + OPS_TEXT_BYTES + 256];
    snprintf(text, sizeof(text), fmt, a, b);
    m->rt.ops->log(m->rt.ctx, level, text);
}

/* ---- Mesos' text of resources (src/common/resources.cpp operator<<) ---- */

/* Appends to out at *len, cutting the text (terminated) once out is full. */
static void text_add(char *out, size_t out_bytes, size_t *len, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void text_add(char *out, size_t out_bytes, size_t *len, const char *fmt, ...)
{
    if (*len + 1 >= out_bytes)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(out + *len, out_bytes - *len, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    *len = (size_t)n >= out_bytes - *len ? out_bytes - 1 : *len + (size_t)n;
}

/* A scalar as Value::Scalar's operator<< writes it: fixed point, 15 digits. */
static void scalar_text(double value, char *out, size_t out_bytes, size_t *len)
{
    int64_t milli = 0;
    if (res_scalar_from_double(value, &milli) == 0)
        value = res_scalar_to_double(milli);
    text_add(out, out_bytes, len, "%.15g", value);
}

static void labels_add(const Mesos__V1__Labels *labels, char *out, size_t n, size_t *len)
{
    text_add(out, n, len, "{");
    for (size_t i = 0; labels != NULL && i < labels->n_labels; i++) {
        const Mesos__V1__Label *l = labels->labels[i];
        text_add(out, n, len, "%s%s%s%s", l->key, l->value != NULL ? ": " : "",
                 l->value != NULL ? l->value : "", i + 1 < labels->n_labels ? ", " : "");
    }
    text_add(out, n, len, "}");
}

static void reservation_add(int type, const char *role, const char *principal,
                            const Mesos__V1__Labels *labels, char *out, size_t n, size_t *len)
{
    const char *name = type == RES_STATIC ? "STATIC" : type == RES_DYNAMIC ? "DYNAMIC" : "UNKNOWN";
    text_add(out, n, len, "(%s,%s", name, role != NULL ? role : "");
    if (principal != NULL)
        text_add(out, n, len, ",%s", principal);
    if (labels != NULL) {
        text_add(out, n, len, ",");
        labels_add(labels, out, n, len);
    }
    text_add(out, n, len, ")");
}

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
/* Resource.role when it is set to something but "*" (pre-refinement format), else NULL. */
static const char *old_role(const Mesos__V1__Resource *r)
{
    if (r->role == NULL || r->role == mesos__v1__resource__role__default_value ||
        strcmp(r->role, RES_ROLE_UNRESERVED) == 0)
        return NULL;
    return r->role;
}
#pragma GCC diagnostic pop

/*
 * One resource as Mesos' operator<<(Resource) writes it: as the framework
 * gave it (upgrade 0: a pre-refinement reservation is not printed, as
 * Mesos prints only `reservations`), or once the master has upgraded it to
 * the post-refinement format (upgrade 1) and injected the allocation role
 * (role, NULL for none): "cpus(allocated: r)(reservations: [(DYNAMIC,r,p)])
 * [id:path]:1".
 */
static void resource_add(const Mesos__V1__Resource *r, int upgrade, const char *role, char *out,
                         size_t n, size_t *len)
{
    text_add(out, n, len, "%s", r->name);
    const char *alloc = r->allocation_info != NULL && r->allocation_info->role != NULL
                            ? r->allocation_info->role
                            : role;
    if (alloc != NULL)
        text_add(out, n, len, "(allocated: %s)", alloc);
    if (r->n_reservations > 0) {
        text_add(out, n, len, "(reservations: [");
        for (size_t i = 0; i < r->n_reservations; i++) {
            const Mesos__V1__Resource__ReservationInfo *ri = r->reservations[i];
            if (i > 0)
                text_add(out, n, len, ",");
            reservation_add(ri->has_type ? (int)ri->type : 0, ri->role, ri->principal, ri->labels,
                            out, n, len);
        }
        text_add(out, n, len, "])");
    } else if (upgrade && old_role(r) != NULL) {
        text_add(out, n, len, "(reservations: [");
        reservation_add(r->reservation != NULL ? RES_DYNAMIC : RES_STATIC, old_role(r),
                        r->reservation != NULL ? r->reservation->principal : NULL,
                        r->reservation != NULL ? r->reservation->labels : NULL, out, n, len);
        text_add(out, n, len, "])");
    }
    if (r->disk != NULL) {
        text_add(out, n, len, "[");
        if (r->disk->persistence != NULL)
            text_add(out, n, len, "%s", r->disk->persistence->id);
        if (r->disk->volume != NULL)
            text_add(out, n, len, ":%s", r->disk->volume->container_path);
        text_add(out, n, len, "]");
    }
    if (r->revocable != NULL)
        text_add(out, n, len, "{REV}");
    if (r->shared != NULL)
        text_add(out, n, len, "<SHARED>");
    text_add(out, n, len, ":");
    if (r->type == MESOS__V1__VALUE__TYPE__SCALAR && r->scalar != NULL) {
        scalar_text(r->scalar->value, out, n, len);
    } else if (r->type == MESOS__V1__VALUE__TYPE__RANGES && r->ranges != NULL) {
        text_add(out, n, len, "[");
        for (size_t i = 0; i < r->ranges->n_range; i++)
            text_add(out, n, len, "%llu-%llu%s", (unsigned long long)r->ranges->range[i]->begin,
                     (unsigned long long)r->ranges->range[i]->end,
                     i + 1 < r->ranges->n_range ? ", " : "");
        text_add(out, n, len, "]");
    } else if (r->type == MESOS__V1__VALUE__TYPE__SET && r->set != NULL) {
        text_add(out, n, len, "{");
        for (size_t i = 0; i < r->set->n_item; i++)
            text_add(out, n, len, "%s%s", r->set->item[i], i + 1 < r->set->n_item ? ", " : "");
        text_add(out, n, len, "}");
    }
}

static void resource_text(const Mesos__V1__Resource *r, int upgrade, const char *role, char *out,
                          size_t n)
{
    size_t len = 0;
    out[0] = '\0';
    resource_add(r, upgrade, role, out, n, &len);
}

void master__resources_text(struct master *m, const struct res_set *set, char *out,
                            size_t out_bytes)
{
    MC_ASSERT(out_bytes > 0);
    size_t len = 0;
    out[0] = '\0';
    if (res_set_empty(set)) {
        text_add(out, out_bytes, &len, "{}");
        return;
    }
    Mesos__V1__Resource **arr = NULL;
    size_t count = 0;
    if (res_set_to_proto(set, RES_PROTO_RESERVATIONS | RES_PROTO_ALLOCATION_INFO, m->rt.alloc,
                         &arr, &count) != 0) {
        text_add(out, out_bytes, &len, "(out of memory)");
        return;
    }
    for (size_t i = 0; i < count; i++) {
        if (i > 0)
            text_add(out, out_bytes, &len, "; ");
        resource_add(arr[i], 1, NULL, out, out_bytes, &len);
    }
    res_proto_free(m->rt.alloc, arr, count);
}

/* ---- resources of operations, as the master reads them ---- */

/* Whether two items are the same resource but for their value (Mesos' addable, our key). */
static int same_key(const struct res_item *a, const struct res_item *b)
{
    return a->type == b->type && a->reservation == b->reservation &&
           strcmp(a->name, b->name) == 0 && strcmp(a->role, b->role) == 0 &&
           strcmp(a->allocation_role, b->allocation_role) == 0 &&
           a->detail_bytes == b->detail_bytes &&
           (a->detail_bytes == 0 || memcmp(a->detail, b->detail, a->detail_bytes) == 0);
}

/* set = set with the item at `from` moved to `to` (to < from), every other in order. */
static int item_move(struct res_set *set, uint32_t from, uint32_t to)
{
    struct res_set out;
    res_set_init(&out, set->alloc);
    int rc = 0;
    for (uint32_t k = 0; rc == 0 && k < set->count; k++) {
        if (k == to)
            rc = res_set_add_item(&out, &set->items[from]);
        if (rc == 0 && k != from)
            rc = res_set_add_item(&out, &set->items[k]);
    }
    if (rc == 0) {
        res_set_deinit(set);
        *set = out;
    } else {
        res_set_deinit(&out);
    }
    return rc;
}

int master__resources_subtract_mesos(struct res_set *set, const struct res_set *other)
{
    for (uint32_t j = 0; j < other->count; j++) {
        uint32_t n = set->count, at = n;
        for (uint32_t i = 0; i < n && at == n; i++)
            if (same_key(&set->items[i], &other->items[j]))
                at = i;
        if (at == n)
            continue;
        struct res_set one;
        res_set_init(&one, set->alloc);
        int rc = res_set_add_item(&one, &other->items[j]);
        if (rc == 0)
            rc = res_set_subtract(set, &one);
        res_set_deinit(&one);
        /* Mesos' Resources swaps a vanished item with the last one, then pops. */
        if (rc == 0 && set->count == n - 1 && at < n - 1)
            rc = item_move(set, n - 2, at);
        if (rc != 0)
            return rc;
    }
    return 0;
}

/* out = arr allocated to role where a resource names no allocation role (injectAllocationInfo). */
int master__resources_from_op(struct master *m, Mesos__V1__Resource *const *arr, size_t n,
                              const char *role, struct res_set *out, struct mc_diag *diag)
{
    struct res_set raw;
    res_set_init(&raw, m->rt.alloc);
    int rc = res_set_from_proto_full(&raw, arr, n, NULL, diag);
    for (uint32_t i = 0; rc == 0 && i < raw.count; i++) {
        struct res_item item = raw.items[i]; /* borrowed storage: add_item copies it */
        if (item.allocation_role[0] == '\0' && role != NULL)
            snprintf(item.allocation_role, sizeof(item.allocation_role), "%s", role);
        rc = res_set_add_item(out, &item);
    }
    if (rc != 0 && diag != NULL && diag->text[0] == '\0')
        mc_diag_set(diag, "%s", mc_strerror(rc));
    res_set_deinit(&raw);
    return rc;
}

/* The last reservation of r as post-refinement format has it (in one for the old format). */
static const Mesos__V1__Resource__ReservationInfo *
last_reservation(const Mesos__V1__Resource *r, Mesos__V1__Resource__ReservationInfo *one)
{
    if (r->n_reservations > 0)
        return r->reservations[r->n_reservations - 1];
    if (old_role(r) == NULL)
        return NULL;
    mesos__v1__resource__reservation_info__init(one);
    one->role = (char *)old_role(r);
    one->has_type = 1;
    one->type = r->reservation != NULL ? RES_DYNAMIC : RES_STATIC;
    if (r->reservation != NULL) {
        one->principal = r->reservation->principal;
        one->labels = r->reservation->labels;
    }
    return one;
}

/* Resources::isDynamicallyReserved, isPersistentVolume, hasRefinedReservations. */
static int is_dynamic(const Mesos__V1__Resource *r)
{
    Mesos__V1__Resource__ReservationInfo one;
    const Mesos__V1__Resource__ReservationInfo *last = last_reservation(r, &one);
    return last != NULL && last->has_type && last->type == RES_DYNAMIC;
}

static int is_volume(const Mesos__V1__Resource *r)
{
    return r->disk != NULL && r->disk->persistence != NULL;
}

static int is_refined(const Mesos__V1__Resource *r)
{
    return r->n_reservations > 1;
}

/* Resources::reservationRole ("" when unreserved). */
static const char *reservation_role(const Mesos__V1__Resource *r)
{
    if (r->n_reservations > 0) {
        const char *role = r->reservations[r->n_reservations - 1]->role;
        return role != NULL ? role : "";
    }
    return old_role(r) != NULL ? old_role(r) : "";
}

/*
 * A shallow copy of r (sharing its parts, never freed) without its last
 * reservation (popReservation: the RESERVE's consumed, the UNRESERVE's
 * converted; stack holds the remaining entries), or without its disk
 * (CREATE's consumed, DESTROY's converted).
 */
static void resource_popped(const Mesos__V1__Resource *r, Mesos__V1__Resource *out)
{
    *out = *r;
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
    out->role = NULL;
#pragma GCC diagnostic pop
    out->reservation = NULL;
    out->n_reservations = r->n_reservations > 0 ? r->n_reservations - 1 : 0;
}

static void resource_stripped(const Mesos__V1__Resource *r, Mesos__V1__Resource *out)
{
    *out = *r;
    out->disk = NULL;
    out->shared = NULL;
}

/* ---- Mesos' resource checks of src/master/validation.cpp, on messages ---- */

/* Resources::validate(RepeatedPtrField): "Resource '<r>' is invalid: <why>". */
static const char *list_validate(struct master *m, Mesos__V1__Resource *const *arr, size_t n,
                                 char *why, size_t why_bytes)
{
    struct res_set scratch;
    struct mc_diag diag;
    size_t bad = 0;
    res_set_init(&scratch, m->rt.alloc);
    mc_diag_clear(&diag);
    int rc = res_set_from_proto_full(&scratch, arr, n, &bad, &diag);
    res_set_deinit(&scratch);
    if (rc != MC_EINVAL) /* what the model does not keep is refused later, at its use */
        return NULL;
    char text[MC_OPS_RESOURCES_TEXT_BYTES_MAX];
    resource_text(arr[bad], 0, NULL, text, sizeof(text));
    snprintf(why, why_bytes, "Resource '%s' is invalid: %s", text, diag.text);
    return why;
}

/* Resources::validate(Resource): the reason alone. */
static const char *one_validate(struct master *m, Mesos__V1__Resource *r, char *why,
                                size_t why_bytes)
{
    struct res_set scratch;
    struct mc_diag diag;
    res_set_init(&scratch, m->rt.alloc);
    mc_diag_clear(&diag);
    int rc = res_set_from_proto_full(&scratch, &r, 1, NULL, &diag);
    res_set_deinit(&scratch);
    if (rc != MC_EINVAL)
        return NULL;
    snprintf(why, why_bytes, "%s", diag.text);
    return why;
}

/* validateDiskInfo's reason (without its "Invalid DiskInfo: "), or NULL. */
static const char *disk_info_check(Mesos__V1__Resource *const *arr, size_t n, char *why,
                                   size_t why_bytes)
{
    for (size_t i = 0; i < n; i++) {
        const Mesos__V1__Resource *r = arr[i];
        if (r->disk == NULL)
            continue;
        if (r->disk->persistence != NULL) {
            Mesos__V1__Resource__ReservationInfo one;
            if (r->revocable != NULL)
                return "Persistent volumes cannot be created from revocable resources";
            if (last_reservation(r, &one) == NULL)
                return "Persistent volumes cannot be created from unreserved resources";
            if (r->disk->volume == NULL)
                return "Expecting 'volume' to be set for persistent volume";
            if (r->disk->volume->host_path != NULL)
                return "Expecting 'host_path' to be unset for persistent volume";
            char inner[320];
            const char *bad = master__id_problem(r->disk->persistence->id, inner, sizeof(inner));
            if (bad != NULL)
                return snprintf(why, why_bytes, "Invalid persistence ID for persistent volume: %s",
                                bad), why;
        } else if (r->disk->volume != NULL) {
            return "Non-persistent volume not supported";
        } else if (r->disk->source == NULL) {
            return "DiskInfo is set but empty";
        }
    }
    return NULL;
}

/* resource::validate(RepeatedPtrField) of the master, with Mesos' prefixes. */
const char *master__resources_validate(struct master *m, Mesos__V1__Resource *const *arr,
                                       size_t n, char *why, size_t why_bytes)
{
    char inner[MC_OPS_RESOURCES_TEXT_BYTES_MAX + 256];
    const char *bad = list_validate(m, arr, n, inner, sizeof(inner));
    if (bad != NULL)
        return snprintf(why, why_bytes, "Invalid resources: %s", bad), why;
    bad = disk_info_check(arr, n, inner, sizeof(inner));
    if (bad != NULL)
        return snprintf(why, why_bytes, "Invalid DiskInfo: %s", bad), why;
    for (size_t i = 0; i < n; i++) {
        if (is_dynamic(arr[i]) && arr[i]->revocable != NULL) {
            char text[MC_OPS_RESOURCES_TEXT_BYTES_MAX];
            resource_text(arr[i], 1, NULL, text, sizeof(text));
            return snprintf(why, why_bytes, "Invalid ReservationInfo: Dynamically reserved "
                            "resource %s cannot be created from revocable resources", text), why;
        }
    }
    return NULL;
}

/* validateSingleResourceProvider's reason, or NULL. */
static const char *single_provider_check(Mesos__V1__Resource *const *arr, size_t n, char *why,
                                         size_t why_bytes)
{
    size_t with = 0;
    for (size_t i = 0; i < n; i++)
        with += arr[i]->provider_id != NULL;
    if (n > 0 && with == 0)
        return NULL;
    if (with > 0 && with < n)
        return "Some resources have a resource provider and some do not";
    size_t len = 0;
    why[0] = '\0';
    text_add(why, why_bytes, &len, "The resources have multiple resource providers: ");
    int distinct = 0;
    for (size_t i = 0; i < n; i++) {
        int seen = 0;
        for (size_t k = 0; k < i; k++)
            seen |= strcmp(arr[k]->provider_id->value, arr[i]->provider_id->value) == 0;
        if (!seen)
            text_add(why, why_bytes, &len, "%s%s", distinct++ ? ", " : "",
                     arr[i]->provider_id->value);
    }
    return distinct == 1 ? NULL : why; /* none at all is "multiple" too, as in Mesos */
}

/* validatePersistentVolume's reason, or NULL (role: the allocation to print, "" for none). */
static const char *volume_check(Mesos__V1__Resource *const *arr, size_t n, const char *role,
                                char *why, size_t why_bytes)
{
    for (size_t i = 0; i < n; i++) {
        const Mesos__V1__Resource *v = arr[i];
        if (v->disk == NULL) {
            char text[MC_OPS_RESOURCES_TEXT_BYTES_MAX];
            resource_text(v, 1, role, text, sizeof(text));
            return snprintf(why, why_bytes, "Resource %s does not have DiskInfo", text), why;
        }
        if (v->disk->persistence == NULL)
            return "'persistence' is not set in DiskInfo";
        if (v->disk->volume == NULL)
            return "Expecting 'volume' to be set for persistent volume";
        if (v->disk->volume->mode == MESOS__V1__VOLUME__MODE__RO)
            return "Read-only persistent volume not supported";
    }
    return NULL;
}

/* validateAllocatedToSingleRole on resources allocated to role where they name none. */
static const char *single_role_check(Mesos__V1__Resource *const *arr, size_t n, const char *role,
                                     char *why, size_t why_bytes)
{
    const char *first = NULL;
    for (size_t i = 0; i < n; i++) {
        const char *r = arr[i]->allocation_info != NULL && arr[i]->allocation_info->role != NULL
                            ? arr[i]->allocation_info->role
                            : role;
        if (r == NULL)
            return "The resources are not allocated to a role";
        if (first == NULL)
            first = r;
        else if (strcmp(first, r) != 0)
            return snprintf(why, why_bytes, "The resources have multiple allocation roles ('%s' "
                            "and '%s') but only one allocation role is allowed", r, first), why;
    }
    return NULL;
}

int master__fw_capable(const struct framework *fw, Mesos__V1__FrameworkInfo__Capability__Type type)
{
    for (size_t i = 0; fw->info != NULL && i < fw->info->n_capabilities; i++)
        if (fw->info->capabilities[i]->has_type && fw->info->capabilities[i]->type == type)
            return 1;
    return 0;
}

/* ---- dropping an operation (Master::drop) ---- */

static const char *op_type_name(const Mesos__V1__Offer__Operation *op)
{
    const ProtobufCEnumValue *v = protobuf_c_enum_descriptor_get_value(
        &mesos__v1__offer__operation__type__descriptor, op->has_type ? (int)op->type : 0);
    return v != NULL ? v->name : "UNKNOWN";
}

/* UPDATE_OPERATION_STATUS {status} to fw (nothing when it has no stream). */
static void operation_status_send(struct master *m, struct framework *fw,
                                  Mesos__V1__OperationStatus *status)
{
    Mesos__V1__Scheduler__Event ev = MESOS__V1__SCHEDULER__EVENT__INIT;
    Mesos__V1__Scheduler__Event__UpdateOperationStatus u =
        MESOS__V1__SCHEDULER__EVENT__UPDATE_OPERATION_STATUS__INIT;
    u.status = status;
    ev.has_type = 1;
    ev.type = MESOS__V1__SCHEDULER__EVENT__TYPE__UPDATE_OPERATION_STATUS;
    ev.update_operation_status = &u;
    master__framework_send(m, fw, &ev);
}

/*
 * Master::drop: logged; an operation with an `id` (operation feedback)
 * gets OPERATION_ERROR with the reason, no agent id and no uuid.
 */
static void drop(struct master *m, struct framework *fw, const Mesos__V1__Offer__Operation *op,
                 const char *message)
{
    char what[MASTER_CLIENT_ID_BYTES_MAX + 128];
    snprintf(what, sizeof(what), "Dropping %s operation from framework %s", op_type_name(op),
             fw->id);
    log_op(m, RT_LOG_WARN, "%s: %s", what, message);
    if (op->id == NULL)
        return;
    Mesos__V1__OperationStatus status = MESOS__V1__OPERATION_STATUS__INIT;
    status.operation_id = op->id;
    status.state = MESOS__V1__OPERATION_STATE__OPERATION_ERROR;
    status.message = (char *)message;
    operation_status_send(m, fw, &status);
}

/* The tasks of a LAUNCH or LAUNCH_GROUP (none when its argument is missing). */
static size_t op_tasks(const Mesos__V1__Offer__Operation *op, Mesos__V1__TaskInfo ***tasks)
{
    *tasks = NULL;
    if (op->type == OP(LAUNCH) && op->launch != NULL) {
        *tasks = op->launch->task_infos;
        return op->launch->n_task_infos;
    }
    if (op->type == OP(LAUNCH_GROUP) && op->launch_group != NULL &&
        op->launch_group->task_group != NULL) {
        *tasks = op->launch_group->task_group->tasks;
        return op->launch_group->task_group->n_tasks;
    }
    return 0;
}

/* Every task of op gets a master-made update with state, reason and message. */
static void op_tasks_refuse(struct master *m, struct framework *fw,
                            const Mesos__V1__Offer__Operation *op, Mesos__V1__TaskState state,
                            Mesos__V1__TaskStatus__Reason reason, const char *message)
{
    Mesos__V1__TaskInfo **tasks;
    size_t n = op_tasks(op, &tasks);
    for (size_t i = 0; i < n; i++)
        master__tasks_update_master(m, fw, tasks[i]->task_id->value, tasks[i]->agent_id->value,
                                    state, reason, message);
}

static int op_is_launch(const Mesos__V1__Offer__Operation *op)
{
    return op->has_type && (op->type == OP(LAUNCH) || op->type == OP(LAUNCH_GROUP));
}

/* ---- stage 1: invalid offers ---- */

static void invalid_offers(struct master *m, struct framework *fw,
                           const Mesos__V1__Scheduler__Call__Accept *accept, const char *why)
{
    char message[MC_TASK_MESSAGE_BYTES_MAX];
    Mesos__V1__TaskState state =
        master__fw_capable(fw, MESOS__V1__FRAMEWORK_INFO__CAPABILITY__TYPE__PARTITION_AWARE)
            ? MESOS__V1__TASK_STATE__TASK_DROPPED
            : MESOS__V1__TASK_STATE__TASK_LOST;
    log_op(m, RT_LOG_WARN, "ACCEPT call used invalid offers: %s%s", why, "");
    for (size_t k = 0; k < accept->n_operations; k++) {
        const Mesos__V1__Offer__Operation *op = accept->operations[k];
        if (!op_is_launch(op)) {
            snprintf(message, sizeof(message), "Operation attempted with invalid offers: %.900s",
                     why);
            drop(m, fw, op, message);
            continue;
        }
        snprintf(message, sizeof(message), "Task launched with invalid offers: %.900s", why);
        op_tasks_refuse(m, fw, op, state, MESOS__V1__TASK_STATUS__REASON__REASON_INVALID_OFFERS,
                        message);
    }
}

/* ---- stage 2: each operation on its own (validateAndUpgradeResources, feedback) ---- */

/* The resources of tasks and of their executors, as validateAndUpgradeResources checks them. */
static const char *tasks_upgrade_check(struct master *m, Mesos__V1__TaskInfo *const *tasks,
                                       size_t n, char *why, size_t why_bytes)
{
    const char *bad = NULL;
    for (size_t i = 0; bad == NULL && i < n; i++) {
        const Mesos__V1__TaskInfo *t = tasks[i];
        bad = list_validate(m, t->resources, t->n_resources, why, why_bytes);
        if (bad == NULL && t->executor != NULL)
            bad = list_validate(m, t->executor->resources, t->executor->n_resources, why,
                                why_bytes);
    }
    return bad;
}

/* validateAndUpgradeResources' reason for op, or NULL. */
static const char *upgrade_check(struct master *m, const Mesos__V1__Offer__Operation *op,
                                 char *why, size_t why_bytes)
{
    const char *bad = NULL;
    switch (op->has_type ? op->type : OP(UNKNOWN)) {
    case OP(RESERVE):
        if (op->reserve == NULL)
            return "A RESERVE offer operation must have the Offer.Operation.reserve field set.";
        bad = list_validate(m, op->reserve->resources, op->reserve->n_resources, why, why_bytes);
        return bad != NULL ? bad
                           : list_validate(m, op->reserve->source, op->reserve->n_source, why,
                                           why_bytes);
    case OP(UNRESERVE):
        if (op->unreserve == NULL)
            return "An UNRESERVE offer operation must have the Offer.Operation.unreserve field "
                   "set.";
        return list_validate(m, op->unreserve->resources, op->unreserve->n_resources, why,
                             why_bytes);
    case OP(CREATE):
        if (op->create == NULL)
            return "A CREATE offer operation must have the Offer.Operation.create field set.";
        return list_validate(m, op->create->volumes, op->create->n_volumes, why, why_bytes);
    case OP(DESTROY):
        if (op->destroy == NULL)
            return "A DESTROY offer operation must have the Offer.Operation.destroy field set.";
        return list_validate(m, op->destroy->volumes, op->destroy->n_volumes, why, why_bytes);
    case OP(GROW_VOLUME):
        if (op->grow_volume == NULL)
            return "A GROW_VOLUME operation must have the Offer.Operation.grow_volume field set";
        bad = one_validate(m, op->grow_volume->volume, why, why_bytes);
        return bad != NULL ? bad : one_validate(m, op->grow_volume->addition, why, why_bytes);
    case OP(SHRINK_VOLUME):
        if (op->shrink_volume == NULL)
            return "A SHRINK_VOLUME offer operation must have the Offer.Operation.shrink_volume "
                   "field set";
        return one_validate(m, op->shrink_volume->volume, why, why_bytes);
    case OP(LAUNCH):
        if (op->launch == NULL)
            return "A LAUNCH offer operation must have the Offer.Operation.launch field set.";
        return tasks_upgrade_check(m, op->launch->task_infos, op->launch->n_task_infos, why,
                                   why_bytes);
    case OP(LAUNCH_GROUP):
        if (op->launch_group == NULL)
            return "A LAUNCH_GROUP offer operation must have the Offer.Operation.launch_group "
                   "field set.";
        bad = list_validate(m, op->launch_group->executor->resources,
                            op->launch_group->executor->n_resources, why, why_bytes);
        return bad != NULL ? bad
                           : tasks_upgrade_check(m, op->launch_group->task_group->tasks,
                                                 op->launch_group->task_group->n_tasks, why,
                                                 why_bytes);
    case OP(CREATE_DISK):
        if (op->create_disk == NULL)
            return "A CREATE_DISK offer operation must have the Offer.Operation.create_disk "
                   "field set.";
        return one_validate(m, op->create_disk->source, why, why_bytes);
    case OP(DESTROY_DISK):
        if (op->destroy_disk == NULL)
            return "A DESTROY_DISK offer operation must have the Offer.Operation.destroy_disk "
                   "field set.";
        return one_validate(m, op->destroy_disk->source, why, why_bytes);
    default:
        return "Unknown offer operation";
    }
}

/*
 * Stage 2 for one operation: 1 when it goes on to stage 3, 0 when it
 * was answered here (TASK_ERROR, a drop, or ignored as UNKNOWN).
 */
static int stage2(struct master *m, struct framework *fw, const struct offers_taken *taken,
                  const Mesos__V1__Offer__Operation *op)
{
    char why[OPS_TEXT_BYTES], message[OPS_TEXT_BYTES + 64];
    int type = op->has_type ? (int)op->type : OP(UNKNOWN);
    const char *bad = upgrade_check(m, op, why, sizeof(why));
    if (bad == NULL && type == OP(RESERVE) && op->reserve->n_source > 0)
        bad = "Reservation updates are not yet implemented for the scheduler API.";
    if (bad != NULL) {
        if (type == OP(LAUNCH))
            op_tasks_refuse(m, fw, op, MESOS__V1__TASK_STATE__TASK_ERROR,
                            MESOS__V1__TASK_STATUS__REASON__REASON_TASK_INVALID, bad);
        else if (type == OP(LAUNCH_GROUP))
            op_tasks_refuse(m, fw, op, MESOS__V1__TASK_STATE__TASK_ERROR,
                            MESOS__V1__TASK_STATUS__REASON__REASON_TASK_GROUP_INVALID, bad);
        else if (type == OP(UNKNOWN))
            log_op(m, RT_LOG_WARN, "Ignoring unknown operation%s%s", "", "");
        else {
            snprintf(message, sizeof(message), "Operation attempted with invalid resources: %s",
                     bad);
            drop(m, fw, op, message);
        }
        return 0;
    }
    if (op->id == NULL)
        return 1;
    if (type == OP(LAUNCH)) {
        op_tasks_refuse(m, fw, op, MESOS__V1__TASK_STATE__TASK_ERROR,
                        MESOS__V1__TASK_STATUS__REASON__REASON_TASK_INVALID,
                        "The `id` field cannot be set on LAUNCH operations");
        return 0;
    }
    if (type == OP(LAUNCH_GROUP)) {
        op_tasks_refuse(m, fw, op, MESOS__V1__TASK_STATE__TASK_ERROR,
                        MESOS__V1__TASK_STATUS__REASON__REASON_TASK_GROUP_INVALID,
                        "The `id` field cannot be set on LAUNCH_GROUP operations");
        return 0;
    }
    /* Feedback on an agent's own resources needs RESOURCE_PROVIDER and AGENT_OPERATION_FEEDBACK. */
    if (!master__agent_capable(m, taken->agent_id,
                               MESOS__V1__AGENT_INFO__CAPABILITY__TYPE__RESOURCE_PROVIDER)) {
        snprintf(message, sizeof(message), "Operation requested feedback, but agent %s does not "
                 "have the required RESOURCE_PROVIDER capability", taken->agent_id);
        drop(m, fw, op, message);
        return 0;
    }
    if (!master__agent_capable(m, taken->agent_id,
                               MESOS__V1__AGENT_INFO__CAPABILITY__TYPE__AGENT_OPERATION_FEEDBACK)) {
        snprintf(message, sizeof(message), "Operation on agent default resources requested "
                 "feedback, but agent %s does not have the required AGENT_OPERATION_FEEDBACK "
                 "and RESOURCE_PROVIDER capabilities", taken->agent_id);
        drop(m, fw, op, message);
        return 0;
    }
    /* An agent that can give feedback would get the operation; the reference's cannot. */
    drop(m, fw, op, "Operation feedback is not implemented by the reference agent");
    return 0;
}

/* ---- stage 3: applying the operations (_accept) ---- */

struct accept_ctx {
    struct master *m;
    struct framework *fw;
    struct offers_taken *taken; /* its resources are what remains, allocated to its role */
    char on_agent[MC_AGENT_ID_BYTES_MAX + MC_AGENT_ADDRESS_BYTES_MAX + 96];
};

/* One of Mesos' ResourceConversions; both sets allocated to the offers' role. */
struct conversion {
    struct res_set consumed;
    struct res_set converted;
};

struct conversions {
    struct conversion *items;
    size_t count;
};

static int conversions_make(struct master *m, struct conversions *c, size_t n)
{
    c->count = 0;
    c->items = mc_calloc(m->rt.alloc, n > 0 ? n : 1, sizeof(*c->items));
    if (c->items == NULL)
        return MC_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        res_set_init(&c->items[i].consumed, m->rt.alloc);
        res_set_init(&c->items[i].converted, m->rt.alloc);
    }
    c->count = n;
    return 0;
}

static void conversions_free(struct master *m, struct conversions *c)
{
    for (size_t i = 0; i < c->count; i++) {
        res_set_deinit(&c->items[i].consumed);
        res_set_deinit(&c->items[i].converted);
    }
    mc_free(m->rt.alloc, c->items);
    c->items = NULL;
    c->count = 0;
}

/* Reads arr into out as the master holds it (allocated to the offers' role); 0 or a drop. */
static int op_set(struct accept_ctx *x, const Mesos__V1__Offer__Operation *op,
                  Mesos__V1__Resource *const *arr, size_t n, struct res_set *out)
{
    struct mc_diag diag;
    mc_diag_clear(&diag);
    int err = master__resources_from_op(x->m, arr, n, x->taken->role, out, &diag);
    if (err != 0)
        drop(x->m, x->fw, op, diag.text);
    return err;
}

/*
 * Applies the conversions to what remains (Resources::apply: each must
 * find what it consumes), then to the agent and the allocator (_apply,
 * updateAllocation), and sends the agent its checkpointed resources.
 * On failure the operation is dropped and nothing changes.
 */
static void conversions_apply(struct accept_ctx *x, const Mesos__V1__Offer__Operation *op,
                              const struct conversions *c)
{
    struct master *m = x->m;
    struct res_set next;
    res_set_init(&next, m->rt.alloc);
    int err = res_set_copy(&next, &x->taken->resources);
    for (size_t i = 0; err == 0 && i < c->count; i++) {
        if (!res_set_contains(&next, &c->items[i].consumed)) {
            char have[MC_OPS_RESOURCES_TEXT_BYTES_MAX], want[MC_OPS_RESOURCES_TEXT_BYTES_MAX];
            char message[OPS_TEXT_BYTES];
            master__resources_text(m, &next, have, sizeof(have));
            master__resources_text(m, &c->items[i].consumed, want, sizeof(want));
            snprintf(message, sizeof(message), "%s does not contain %s", have, want);
            drop(m, x->fw, op, message);
            res_set_deinit(&next);
            return;
        }
        err = master__resources_subtract_mesos(&next, &c->items[i].consumed);
        if (err == 0)
            err = res_set_add(&next, &c->items[i].converted);
    }
    if (err != 0) {
        drop(m, x->fw, op, mc_strerror(err));
        res_set_deinit(&next);
        return;
    }
    res_set_deinit(&x->taken->resources);
    x->taken->resources = next;
    log_op(m, RT_LOG_INFO, "Applying %s operation from framework %s", op_type_name(op), x->fw->id);
    for (size_t i = 0; i < c->count; i++) {
        err = master__offers_convert(m, x->fw->id, x->taken->agent_id, x->taken->role,
                                     &c->items[i].consumed, &c->items[i].converted);
        if (err != 0)
            log_op(m, RT_LOG_ERROR, "operation not applied to the allocator: %s%s",
                   mc_strerror(err), "");
    }
    master__agent_checkpoint_send(m, x->taken->agent_id);
}

/* The framework's roles as protobuf::framework::getRoles gives them, and their text. */
static size_t fw_roles(const struct framework *fw, const char **roles, size_t max, char *text,
                       size_t text_bytes)
{
    size_t n = 0, len = 0;
    if (master__fw_capable(fw, MESOS__V1__FRAMEWORK_INFO__CAPABILITY__TYPE__MULTI_ROLE)) {
        for (size_t i = 0; i < fw->info->n_roles && n < max; i++)
            roles[n++] = fw->info->roles[i];
    } else {
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
        roles[n++] = fw->info->role != NULL ? fw->info->role : RES_ROLE_UNRESERVED;
#pragma GCC diagnostic pop
    }
    text[0] = '\0';
    text_add(text, text_bytes, &len, "{ ");
    for (size_t i = 0; i < n; i++)
        text_add(text, text_bytes, &len, "%s%s", i > 0 ? ", " : "", roles[i]);
    text_add(text, text_bytes, &len, " }");
    return n;
}

static int roles_have(const char *const *roles, size_t n, const char *role)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(roles[i], role) == 0)
            return 1;
    return 0;
}

/* The principal of the framework (its FrameworkInfo.principal), or NULL. */
static const char *fw_principal(const struct framework *fw)
{
    return fw->info->principal;
}

/* validation::operation::validate(Reserve) for one resource (after the list checks). */
static const char *reserve_resource_check(struct accept_ctx *x, const Mesos__V1__Resource *r,
                                          char *why, size_t why_bytes)
{
    char text[MC_OPS_RESOURCES_TEXT_BYTES_MAX], roles_text[1024];
    const char *roles[MC_ALLOC_FRAMEWORK_ROLES_MAX];
    size_t roles_count = fw_roles(x->fw, roles, MC_ALLOC_FRAMEWORK_ROLES_MAX, roles_text,
                                  sizeof(roles_text));
    resource_text(r, 1, x->taken->role, text, sizeof(text));
    const char *rrole = reservation_role(r);
    if (!is_dynamic(r))
        return snprintf(why, why_bytes, "Resource %s is not dynamically reserved", text), why;
    if (!master__agent_capable(x->m, x->taken->agent_id,
                               MESOS__V1__AGENT_INFO__CAPABILITY__TYPE__HIERARCHICAL_ROLE) &&
        strchr(rrole, '/') != NULL)
        return snprintf(why, why_bytes, "Resource %s with reservation for hierarchical role '%s' "
                        "cannot be reserved on an agent without HIERARCHICAL_ROLE capability",
                        text, rrole), why;
    if (!master__agent_capable(x->m, x->taken->agent_id,
                               MESOS__V1__AGENT_INFO__CAPABILITY__TYPE__RESERVATION_REFINEMENT) &&
        is_refined(r))
        return snprintf(why, why_bytes, "Resource %s with reservation refinement cannot be "
                        "reserved on an agent without RESERVATION_REFINEMENT capability", text),
               why;
    const char *principal = fw_principal(x->fw);
    Mesos__V1__Resource__ReservationInfo one;
    const Mesos__V1__Resource__ReservationInfo *last = last_reservation(r, &one);
    if (principal != NULL && last->principal == NULL)
        return snprintf(why, why_bytes, "A reserve operation was attempted by principal '%s', but "
                        "there is a reserved resource in the request with no principal set",
                        principal), why;
    if (principal != NULL && strcmp(principal, last->principal) != 0)
        return snprintf(why, why_bytes, "A reserve operation was attempted by authenticated "
                        "principal '%s', which does not match a reserved resource in the "
                        "request with principal '%s'", principal, last->principal), why;
    const char *alloc = r->allocation_info != NULL && r->allocation_info->role != NULL
                            ? r->allocation_info->role
                            : x->taken->role;
    if (strcmp(alloc, rrole) != 0)
        return snprintf(why, why_bytes, "A reserve operation was attempted for a resource with "
                        "role '%s', but the resource was allocated to role '%s'", rrole, alloc),
               why;
    if (!roles_have(roles, roles_count, alloc))
        return snprintf(why, why_bytes, "A reserve operation was attempted for a resource "
                        "allocated to role '%s', but the framework only has roles '%s'", alloc,
                        roles_text), why;
    if (!roles_have(roles, roles_count, rrole))
        return snprintf(why, why_bytes, "A reserve operation was attempted for a resource with "
                        "role '%s', but the framework can only reserve resources with roles '%s'",
                        rrole, roles_text), why;
    return NULL;
}

static const char *reserve_check(struct accept_ctx *x,
                                 const Mesos__V1__Offer__Operation__Reserve *rv, char *why,
                                 size_t why_bytes)
{
    char inner[OPS_INNER_TEXT_BYTES];
    const char *bad = master__resources_validate(x->m, rv->resources, rv->n_resources, inner,
                                                 sizeof(inner));
    if (bad == NULL)
        bad = single_provider_check(rv->resources, rv->n_resources, inner, sizeof(inner));
    if (bad != NULL)
        return snprintf(why, why_bytes, "Invalid resources: %s", bad), why;
    for (size_t i = 0; i < rv->n_resources; i++) {
        bad = reserve_resource_check(x, rv->resources[i], why, why_bytes);
        if (bad != NULL)
            return bad;
    }
    bad = single_role_check(rv->resources, rv->n_resources, x->taken->role, inner, sizeof(inner));
    if (bad != NULL)
        return snprintf(why, why_bytes, "Invalid reservation resources: %s", bad), why;
    return NULL;
}

/* The agent's error suffix and drop, as `_accept` writes them. */
static void drop_on_agent(struct accept_ctx *x, const Mesos__V1__Offer__Operation *op,
                          const char *why)
{
    char message[OPS_TEXT_BYTES + sizeof(x->on_agent)];
    snprintf(message, sizeof(message), "%s%s", why, x->on_agent);
    drop(x->m, x->fw, op, message);
}

static void apply_reserve(struct accept_ctx *x, const Mesos__V1__Offer__Operation *op)
{
    const Mesos__V1__Offer__Operation__Reserve *rv = op->reserve;
    char why[OPS_TEXT_BYTES];
    const char *bad = reserve_check(x, rv, why, sizeof(why));
    if (bad != NULL) {
        drop_on_agent(x, op, bad);
        return;
    }
    /* One conversion: the resources with their last reservation popped become them. */
    Mesos__V1__Resource *popped = mc_calloc(x->m->rt.alloc, rv->n_resources ? rv->n_resources : 1,
                                            sizeof(*popped));
    Mesos__V1__Resource **ptrs = mc_calloc(x->m->rt.alloc, rv->n_resources ? rv->n_resources : 1,
                                           sizeof(*ptrs));
    struct conversions c = {NULL, 0};
    int err = popped == NULL || ptrs == NULL ? MC_ENOMEM : conversions_make(x->m, &c, 1);
    for (size_t i = 0; err == 0 && i < rv->n_resources; i++) {
        resource_popped(rv->resources[i], &popped[i]);
        ptrs[i] = &popped[i];
    }
    if (err != 0)
        drop(x->m, x->fw, op, mc_strerror(err));
    else if (op_set(x, op, ptrs, rv->n_resources, &c.items[0].consumed) == 0 &&
             op_set(x, op, rv->resources, rv->n_resources, &c.items[0].converted) == 0)
        conversions_apply(x, op, &c);
    conversions_free(x->m, &c);
    mc_free(x->m->rt.alloc, popped);
    mc_free(x->m->rt.alloc, ptrs);
}

static void apply_unreserve(struct accept_ctx *x, const Mesos__V1__Offer__Operation *op)
{
    const Mesos__V1__Offer__Operation__Unreserve *ur = op->unreserve;
    char why[OPS_TEXT_BYTES], inner[OPS_TEXT_BYTES];
    const char *bad = master__resources_validate(x->m, ur->resources, ur->n_resources, inner,
                                                 sizeof(inner));
    if (bad == NULL)
        bad = single_provider_check(ur->resources, ur->n_resources, inner, sizeof(inner));
    if (bad != NULL)
        snprintf(why, sizeof(why), "Invalid resources: %s", bad), bad = why;
    for (size_t i = 0; bad == NULL && i < ur->n_resources; i++) {
        char text[MC_OPS_RESOURCES_TEXT_BYTES_MAX];
        resource_text(ur->resources[i], 1, x->taken->role, text, sizeof(text));
        if (!is_dynamic(ur->resources[i]))
            bad = why, snprintf(why, sizeof(why), "Resource %s is not dynamically reserved", text);
        else if (is_volume(ur->resources[i]))
            bad = why, snprintf(why, sizeof(why), "A dynamically reserved persistent volume %s "
                                "cannot be unreserved directly. Please destroy the persistent "
                                "volume first then unreserve the resource", text);
    }
    if (bad != NULL) {
        drop_on_agent(x, op, bad);
        return;
    }
    /* One conversion per resource: it becomes itself with its last reservation popped. */
    struct conversions c = {NULL, 0};
    int err = conversions_make(x->m, &c, ur->n_resources);
    for (size_t i = 0; err == 0 && i < ur->n_resources; i++) {
        Mesos__V1__Resource popped, *pp = &popped;
        resource_popped(ur->resources[i], &popped);
        err = op_set(x, op, &ur->resources[i], 1, &c.items[i].consumed);
        if (err == 0)
            err = op_set(x, op, &pp, 1, &c.items[i].converted);
        if (err != 0)
            break; /* dropped by op_set */
    }
    if (err == MC_ENOMEM && c.items == NULL)
        drop(x->m, x->fw, op, mc_strerror(err));
    else if (err == 0)
        conversions_apply(x, op, &c);
    conversions_free(x->m, &c);
}

/* The agent's checkpointed resources as messages (free with res_proto_free); 0 or MC_ENOMEM. */
static int checkpointed_protos(struct master *m, const char *agent_id, Mesos__V1__Resource ***arr,
                               size_t *n)
{
    struct res_set ck;
    res_set_init(&ck, m->rt.alloc);
    const struct res_set *total = master__offers_agent_total(m, agent_id);
    int err = total != NULL ? master__resources_checkpointed(total, &ck) : 0;
    if (err == 0)
        err = res_set_to_proto(&ck, RES_PROTO_RESERVATIONS, m->rt.alloc, arr, n);
    res_set_deinit(&ck);
    return err;
}

/* validateUniquePersistenceID over the agent's checkpointed resources and the new volumes. */
static const char *unique_persistence_check(struct master *m, const char *agent_id,
                                            Mesos__V1__Resource *const *volumes, size_t n,
                                            char *why, size_t why_bytes)
{
    Mesos__V1__Resource **ck = NULL;
    size_t ck_n = 0;
    if (checkpointed_protos(m, agent_id, &ck, &ck_n) != 0)
        return "out of memory";
    const char *bad = NULL;
    size_t total = ck_n + n;
    for (size_t i = 0; bad == NULL && i < total; i++) {
        const Mesos__V1__Resource *a = i < ck_n ? ck[i] : volumes[i - ck_n];
        if (!is_volume(a))
            continue;
        for (size_t k = 0; bad == NULL && k < i; k++) {
            const Mesos__V1__Resource *b = k < ck_n ? ck[k] : volumes[k - ck_n];
            if (is_volume(b) && strcmp(reservation_role(a), reservation_role(b)) == 0 &&
                strcmp(a->disk->persistence->id, b->disk->persistence->id) == 0) {
                snprintf(why, why_bytes, "Persistence ID '%s' is not unique",
                         a->disk->persistence->id);
                bad = why;
            }
        }
    }
    res_proto_free(m->rt.alloc, ck, ck_n);
    return bad;
}

/* validation::operation::validate(Create). */
static const char *create_check(struct accept_ctx *x, const Mesos__V1__Offer__Operation__Create *cr,
                                char *why, size_t why_bytes)
{
    char inner[OPS_INNER_TEXT_BYTES];
    const char *bad = master__resources_validate(x->m, cr->volumes, cr->n_volumes, inner,
                                                 sizeof(inner));
    if (bad == NULL)
        bad = single_provider_check(cr->volumes, cr->n_volumes, inner, sizeof(inner));
    if (bad != NULL)
        return snprintf(why, why_bytes, "Invalid resources: %s", bad), why;
    bad = volume_check(cr->volumes, cr->n_volumes, x->taken->role, inner, sizeof(inner));
    if (bad != NULL)
        return snprintf(why, why_bytes, "Not a persistent volume: %s", bad), why;
    bad = unique_persistence_check(x->m, x->taken->agent_id, cr->volumes, cr->n_volumes, why,
                                   why_bytes);
    if (bad != NULL)
        return bad;
    const char *principal = fw_principal(x->fw);
    for (size_t i = 0; i < cr->n_volumes; i++) {
        const Mesos__V1__Resource *v = cr->volumes[i];
        char text[MC_OPS_RESOURCES_TEXT_BYTES_MAX];
        resource_text(v, 1, x->taken->role, text, sizeof(text));
        const char *rrole = reservation_role(v);
        if (!master__agent_capable(x->m, x->taken->agent_id,
                                   MESOS__V1__AGENT_INFO__CAPABILITY__TYPE__HIERARCHICAL_ROLE) &&
            strchr(rrole, '/') != NULL)
            return snprintf(why, why_bytes, "Volume %s with reservation for hierarchical role "
                            "'%s' cannot be created on an agent without HIERARCHICAL_ROLE "
                            "capability", text, rrole), why;
        if (!master__agent_capable(x->m, x->taken->agent_id,
                                   MESOS__V1__AGENT_INFO__CAPABILITY__TYPE__RESERVATION_REFINEMENT)
            && is_refined(v))
            return snprintf(why, why_bytes, "Volume %s with reservation refinement cannot be "
                            "created on an agent without RESERVATION_REFINEMENT capability", text),
                   why;
        const char *vp = v->disk->persistence->principal;
        if (principal != NULL && vp == NULL)
            return snprintf(why, why_bytes, "Create volume operation attempted by principal '%s', "
                            "but there is a volume in the operation with no principal set in "
                            "'disk.persistence'", principal), why;
        if (principal != NULL && strcmp(principal, vp) != 0)
            return snprintf(why, why_bytes, "Create volume operation attempted by authenticated "
                            "principal '%s', which does not match a volume in the operation with "
                            "principal '%s' set in 'disk.persistence'", principal, vp), why;
    }
    bad = single_role_check(cr->volumes, cr->n_volumes, x->taken->role, inner, sizeof(inner));
    if (bad != NULL)
        return snprintf(why, why_bytes, "Invalid volume resources: %s", bad), why;
    return NULL;
}

/* CREATE and DESTROY: one conversion per volume, between the volume and the bare disk. */
static void volumes_convert(struct accept_ctx *x, const Mesos__V1__Offer__Operation *op,
                            Mesos__V1__Resource *const *volumes, size_t n, int create)
{
    struct conversions c = {NULL, 0};
    int err = conversions_make(x->m, &c, n);
    if (err != 0) {
        drop(x->m, x->fw, op, mc_strerror(err));
        return;
    }
    for (size_t i = 0; err == 0 && i < n; i++) {
        Mesos__V1__Resource bare, *pb = &bare;
        resource_stripped(volumes[i], &bare);
        err = op_set(x, op, create ? &pb : &volumes[i], 1, &c.items[i].consumed);
        if (err == 0)
            err = op_set(x, op, create ? &volumes[i] : &pb, 1, &c.items[i].converted);
    }
    if (err == 0)
        conversions_apply(x, op, &c);
    conversions_free(x->m, &c);
}

static void apply_create(struct accept_ctx *x, const Mesos__V1__Offer__Operation *op)
{
    char why[OPS_TEXT_BYTES];
    const char *bad = create_check(x, op->create, why, sizeof(why));
    if (bad != NULL)
        drop_on_agent(x, op, bad);
    else
        volumes_convert(x, op, op->create->volumes, op->create->n_volumes, 1);
}

/* validation::operation::validate(Destroy): on the volumes without their allocation. */
static const char *destroy_check(struct accept_ctx *x,
                                 const Mesos__V1__Offer__Operation__Destroy *d, char *why,
                                 size_t why_bytes)
{
    char inner[OPS_INNER_TEXT_BYTES];
    const char *bad = master__resources_validate(x->m, d->volumes, d->n_volumes, inner,
                                                 sizeof(inner));
    if (bad == NULL)
        bad = single_provider_check(d->volumes, d->n_volumes, inner, sizeof(inner));
    if (bad != NULL)
        return snprintf(why, why_bytes, "Invalid resources: %s", bad), why;
    bad = volume_check(d->volumes, d->n_volumes, "", inner, sizeof(inner));
    if (bad != NULL)
        return snprintf(why, why_bytes, "Not a persistent volume: %s", bad), why;
    struct res_set vols, ck;
    struct mc_diag diag;
    res_set_init(&vols, x->m->rt.alloc);
    res_set_init(&ck, x->m->rt.alloc);
    mc_diag_clear(&diag);
    const struct res_set *total = master__offers_agent_total(x->m, x->taken->agent_id);
    int err = res_set_from_proto_full(&vols, d->volumes, d->n_volumes, NULL, &diag);
    if (err == 0)
        err = res_set_allocate(&vols, "");
    if (err == 0 && total != NULL)
        err = master__resources_checkpointed(total, &ck);
    if (err != 0)
        snprintf(why, why_bytes, "%s", diag.text[0] != '\0' ? diag.text : mc_strerror(err)),
            bad = why;
    for (uint32_t i = 0; bad == NULL && i < vols.count; i++) {
        struct res_set one;
        res_set_init(&one, x->m->rt.alloc);
        if (res_set_add_item(&one, &vols.items[i]) != 0 || !res_set_contains(&ck, &one))
            bad = "Persistent volumes not found";
        else if (master__tasks_agent_uses(x->m, x->taken->agent_id, &one))
            bad = "Persistent volumes in use";
        res_set_deinit(&one);
    }
    res_set_deinit(&vols);
    res_set_deinit(&ck);
    return bad;
}

static void apply_destroy(struct accept_ctx *x, const Mesos__V1__Offer__Operation *op)
{
    char why[OPS_TEXT_BYTES];
    const char *bad = destroy_check(x, op->destroy, why, sizeof(why));
    if (bad != NULL)
        drop_on_agent(x, op, bad);
    else
        volumes_convert(x, op, op->destroy->volumes, op->destroy->n_volumes, 0);
}

/* A scalar's value as Mesos compares it (fixed point); 0 for what is not a number. */
static int64_t scalar_milli(const Mesos__V1__Value__Scalar *s)
{
    int64_t milli = 0;
    if (s == NULL || res_scalar_from_double(s->value, &milli) != 0)
        return 0;
    return milli;
}

/*
 * GROW_VOLUME and SHRINK_VOLUME as validation::operation::validate checks
 * them; the reference agent has no RESIZE_VOLUME, so a valid one ends at
 * that check.
 */
static const char *resize_check(struct accept_ctx *x, const Mesos__V1__Offer__Operation *op,
                                char *why, size_t why_bytes)
{
    char inner[OPS_TEXT_BYTES], text[MC_OPS_RESOURCES_TEXT_BYTES_MAX];
    int grow = op->type == OP(GROW_VOLUME);
    Mesos__V1__Resource *v = grow ? op->grow_volume->volume : op->shrink_volume->volume;
    const char *field = grow ? "GrowVolume" : "ShrinkVolume";
    const char *bad = one_validate(x->m, v, inner, sizeof(inner));
    if (bad != NULL)
        return snprintf(why, why_bytes, "Invalid resource in the '%s.volume' field: %s", field,
                        bad), why;
    if (grow) {
        bad = one_validate(x->m, op->grow_volume->addition, inner, sizeof(inner));
        if (bad != NULL)
            return snprintf(why, why_bytes, "Invalid resource in the 'GrowVolume.addition' "
                            "field: %s", bad), why;
        if (scalar_milli(op->grow_volume->addition->scalar) <= 0)
            return "The size of 'GrowVolume.addition' field must be greater than zero";
        if (v->provider_id != NULL)
            return "Growing a volume from a resource provider is not supported";
    } else {
        if (scalar_milli(op->shrink_volume->subtract) <= 0)
            return "Value of 'ShrinkVolume.subtract' must be greater than zero";
        if (scalar_milli(v->scalar) <= scalar_milli(op->shrink_volume->subtract))
            return "Value of 'ShrinkVolume.subtract' must be smaller than the size of "
                   "'ShrinkVolume.volume'";
        if (v->provider_id != NULL)
            return "Shrinking a volume from a resource provider is not supported";
        if (v->disk != NULL && v->disk->source != NULL &&
            v->disk->source->type == MESOS__V1__RESOURCE__DISK_INFO__SOURCE__TYPE__MOUNT)
            return "Shrinking a volume on a MOUNT disk is not supported";
    }
    bad = volume_check(&v, 1, x->taken->role, inner, sizeof(inner));
    if (bad != NULL)
        return snprintf(why, why_bytes, "Invalid persistent volume in the '%s.volume' field: %s",
                        field, bad), why;
    if (v->shared != NULL)
        return grow ? "Growing a shared persistent volume is not supported"
                    : "Shrinking a shared persistent volume is not supported";
    if (grow) {
        struct res_set sum;
        struct mc_diag diag;
        Mesos__V1__Resource bare, *pb = &bare;
        resource_stripped(v, &bare);
        res_set_init(&sum, x->m->rt.alloc);
        int err = res_set_from_proto_full(&sum, &pb, 1, NULL, &diag);
        if (err == 0)
            err = res_set_from_proto_full(&sum, &op->grow_volume->addition, 1, NULL, &diag);
        uint32_t count = sum.count;
        res_set_deinit(&sum);
        if (err == 0 && count != 1)
            return "Incompatible resources in the 'GrowVolume.volume' and 'GrowVolume.addition' "
                   "fields";
    }
    if (!master__agent_capable(x->m, x->taken->agent_id,
                               MESOS__V1__AGENT_INFO__CAPABILITY__TYPE__RESIZE_VOLUME)) {
        resource_text(v, 1, x->taken->role, text, sizeof(text)); /* upgraded, allocated */
        return snprintf(why, why_bytes, "Volume %s cannot be %s on an agent without "
                        "RESIZE_VOLUME capability", text, grow ? "grown" : "shrunk"), why;
    }
    return "Resizing volumes is not implemented by the reference agent";
}

static void apply_operation(struct accept_ctx *x, const Mesos__V1__Offer__Operation *op)
{
    char why[OPS_TEXT_BYTES + 256];
    switch (op->type) {
    case OP(RESERVE):
        apply_reserve(x, op);
        return;
    case OP(UNRESERVE):
        apply_unreserve(x, op);
        return;
    case OP(CREATE):
        apply_create(x, op);
        return;
    case OP(DESTROY):
        apply_destroy(x, op);
        return;
    case OP(GROW_VOLUME):
    case OP(SHRINK_VOLUME):
        drop_on_agent(x, op, resize_check(x, op, why, sizeof(why)));
        return;
    case OP(CREATE_DISK):
    case OP(DESTROY_DISK):
        snprintf(why, sizeof(why), "Not supported on agent %s because it does not have "
                 "RESOURCE_PROVIDER capability", x->on_agent + strlen("; on agent "));
        drop(x->m, x->fw, op, why);
        return;
    case OP(LAUNCH):
        master__tasks_launch(x->m, x->fw, op->launch, x->taken);
        return;
    case OP(LAUNCH_GROUP):
        master__tasks_launch_group(x->m, x->fw, op->launch_group, x->taken);
        return;
    default:
        log_op(x->m, RT_LOG_WARN, "Ignoring unknown operation%s%s", "", "");
        return;
    }
}

/*
 * The end of `_accept`: what the operations converted (what remains that
 * was not offered) goes back without a filter, the rest of what remains
 * is declined with the call's filters (Filters' default: 5 s).
 */
static void remaining_give_back(struct master *m, struct framework *fw,
                                const struct offers_taken *taken, const struct res_set *offered,
                                const Mesos__V1__Filters *filters)
{
    static const Mesos__V1__Filters default_filters = MESOS__V1__FILTERS__INIT;
    struct res_set converted, declined;
    res_set_init(&converted, m->rt.alloc);
    res_set_init(&declined, m->rt.alloc);
    int err = res_set_copy(&converted, &taken->resources);
    if (err == 0)
        err = res_set_subtract(&converted, offered);
    if (err == 0)
        err = res_set_copy(&declined, &taken->resources);
    if (err == 0)
        err = res_set_subtract(&declined, &converted);
    if (err == 0) {
        master__offers_give_back(m, fw->id, taken->agent_id, taken->role, &converted, NULL);
        master__offers_give_back(m, fw->id, taken->agent_id, taken->role, &declined,
                                 filters != NULL ? filters : &default_filters);
    } else { /* without memory: all of it back, unfiltered */
        master__offers_give_back(m, fw->id, taken->agent_id, taken->role, &taken->resources, NULL);
    }
    res_set_deinit(&converted);
    res_set_deinit(&declined);
}

void master__operations_accept(struct master *m, struct framework *fw,
                               const Mesos__V1__Scheduler__Call__Accept *accept)
{
    struct offers_taken taken;
    char why[MC_TASK_MESSAGE_BYTES_MAX];
    memset(&taken, 0, sizeof(taken));
    res_set_init(&taken.resources, m->rt.alloc);
    if (master__offers_take(m, fw, accept->offer_ids, accept->n_offer_ids, &taken, why,
                            sizeof(why)) != 0) {
        master__offers_give_back(m, fw->id, taken.agent_id, taken.role, &taken.resources, NULL);
        invalid_offers(m, fw, accept, why);
        res_set_deinit(&taken.resources);
        return;
    }
    uint8_t *keep = mc_calloc(m->rt.alloc, accept->n_operations ? accept->n_operations : 1, 1);
    struct res_set offered;
    res_set_init(&offered, m->rt.alloc);
    if (keep == NULL || res_set_copy(&offered, &taken.resources) != 0) {
        log_op(m, RT_LOG_ERROR, "ACCEPT of framework %s not handled: %s", fw->id,
               mc_strerror(MC_ENOMEM));
        master__offers_give_back(m, fw->id, taken.agent_id, taken.role, &taken.resources, NULL);
        mc_free(m->rt.alloc, keep);
        res_set_deinit(&offered);
        res_set_deinit(&taken.resources);
        return;
    }
    for (size_t k = 0; k < accept->n_operations; k++)
        keep[k] = (uint8_t)stage2(m, fw, &taken, accept->operations[k]);
    struct accept_ctx x = {m, fw, &taken, ""};
    char slave[sizeof(x.on_agent) - 16];
    master__agent_describe(m, taken.agent_id, slave, sizeof(slave));
    snprintf(x.on_agent, sizeof(x.on_agent), "; on agent %s", slave);
    for (size_t k = 0; k < accept->n_operations; k++)
        if (keep[k])
            apply_operation(&x, accept->operations[k]);
    remaining_give_back(m, fw, &taken, &offered, accept->filters);
    mc_free(m->rt.alloc, keep);
    res_set_deinit(&offered);
    res_set_deinit(&taken.resources);
}

/* ---- inverse offers (the master makes none: there is no maintenance) ---- */

/* validation::offer::validateInverseOffers, whose error Mesos only logs. */
void master__operations_accept_inverse(struct master *m, struct framework *fw,
                                       const Mesos__V1__Scheduler__Call__AcceptInverseOffers *a)
{
    char why[MASTER_CLIENT_ID_BYTES_MAX + 64] = "";
    if (a->n_inverse_offer_ids == 0)
        snprintf(why, sizeof(why), "No inverse offers specified");
    for (size_t i = 0; why[0] == '\0' && i < a->n_inverse_offer_ids; i++)
        for (size_t k = 0; why[0] == '\0' && k < i; k++)
            if (strcmp(a->inverse_offer_ids[i]->value, a->inverse_offer_ids[k]->value) == 0)
                snprintf(why, sizeof(why), "Duplicate offer %.255s in offer list",
                         a->inverse_offer_ids[i]->value);
    if (why[0] == '\0') /* no inverse offer exists: the first id is no longer valid */
        snprintf(why, sizeof(why), "Inverse offer %.255s is no longer valid",
                 a->inverse_offer_ids[0]->value);
    log_op(m, RT_LOG_WARN, "ACCEPT_INVERSE_OFFERS call used invalid offers: %s (framework %s)",
           why, fw->id);
}

void master__operations_decline_inverse(struct master *m, struct framework *fw,
                                        const Mesos__V1__Scheduler__Call__DeclineInverseOffers *d)
{
    for (size_t i = 0; i < d->n_inverse_offer_ids; i++)
        log_op(m, RT_LOG_WARN, "Ignoring decline of inverse offer %s since it is no longer valid "
               "(framework %s)", d->inverse_offer_ids[i]->value, fw->id);
}

/* ---- RECONCILE_OPERATIONS (Master::reconcileOperations) ---- */

/*
 * The reference's operations never get an id-bearing status (feedback is
 * refused), so a framework has no known operation: implicit
 * reconciliation answers nothing, and each operation named explicitly is
 * answered by its agent's state, cases (2)-(7) of reconcileOperations.
 */
void master__operations_reconcile(struct master *m, struct framework *fw,
                                  const Mesos__V1__Scheduler__Call__ReconcileOperations *r)
{
    for (size_t i = 0; i < r->n_operations; i++) {
        const Mesos__V1__Scheduler__Call__ReconcileOperations__Operation *o = r->operations[i];
        Mesos__V1__OperationStatus status = MESOS__V1__OPERATION_STATUS__INIT;
        status.operation_id = o->operation_id;
        status.agent_id = o->agent_id;
        status.resource_provider_id = o->resource_provider_id;
        int state = o->agent_id != NULL ? master_agent_state(m, o->agent_id->value) : MC_ENOTFOUND;
        if (state == MASTER_AGENT_RECOVERED) {
            status.state = MESOS__V1__OPERATION_STATE__OPERATION_RECOVERING;
            status.message = (char *)"Reconciliation: Agent is recovered but has not "
                                     "re-registered";
        } else if (state == MASTER_AGENT_REGISTERED || state == MASTER_AGENT_DISCONNECTED) {
            status.state = MESOS__V1__OPERATION_STATE__OPERATION_UNKNOWN;
            status.message = (char *)"Reconciliation: Operation is unknown";
        } else if (state == MASTER_AGENT_UNREACHABLE) {
            status.state = MESOS__V1__OPERATION_STATE__OPERATION_UNREACHABLE;
            status.message = (char *)"Reconciliation: Agent is unreachable";
        } else if (o->agent_id != NULL) {
            status.state = MESOS__V1__OPERATION_STATE__OPERATION_UNKNOWN;
            status.message = (char *)"Reconciliation: Both operation and agent are unknown";
        } else {
            status.state = MESOS__V1__OPERATION_STATE__OPERATION_UNKNOWN;
            status.message = (char *)"Reconciliation: Operation is unknown and no 'agent_id' was"
                                     " provided";
        }
        operation_status_send(m, fw, &status);
    }
}

/* ---- checkpointed resources (src/common/resources_utils.cpp) ---- */

int master__resources_checkpointed(const struct res_set *total, struct res_set *out)
{
    res_set_clear(out);
    for (uint32_t i = 0; i < total->count; i++) {
        const struct res_item *it = &total->items[i];
        if (it->reservation != RES_RESERVATION_DYNAMIC && !(it->detail_flags & RES_DETAIL_VOLUME))
            continue; /* needCheckpointing: dynamically reserved, or a persistent volume */
        int err = res_set_add_item(out, it);
        if (err != 0)
            return err;
    }
    return 0;
}

/*
 * applyCheckpointedResources: each checkpointed resource replaces, in
 * base, the resource it was made from (its dynamic reservations popped,
 * its volume stripped). Errors: MC_EINVAL with Mesos' text, MC_ENOMEM.
 */
int master__resources_checkpointed_apply(struct master *m, const struct res_set *base,
                                         Mesos__V1__Resource *const *arr, size_t n,
                                         struct res_set *total, char *why, size_t why_bytes)
{
    int err = res_set_copy(total, base);
    if (err == 0)
        err = res_set_allocate(total, "");
    for (size_t i = 0; err == 0 && i < n; i++) {
        const Mesos__V1__Resource *r = arr[i];
        char text[MC_OPS_RESOURCES_TEXT_BYTES_MAX];
        if (!is_dynamic(r) && !is_volume(r)) {
            resource_text(r, 1, NULL, text, sizeof(text));
            snprintf(why, why_bytes, "Unexpected checkpointed resources %s", text);
            return MC_EINVAL;
        }
        Mesos__V1__Resource stripped = *r, *ps = &stripped;
        Mesos__V1__Resource__ReservationInfo *first = NULL;
        if (is_dynamic(r)) { /* only a static first reservation stays */
            stripped.n_reservations = 0;
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
            stripped.role = NULL;
#pragma GCC diagnostic pop
            stripped.reservation = NULL;
            if (r->n_reservations > 0 && r->reservations[0]->has_type &&
                r->reservations[0]->type == RES_STATIC) {
                first = r->reservations[0];
                stripped.reservations = &first;
                stripped.n_reservations = 1;
            }
        }
        if (is_volume(r))
            stripped.disk = NULL;
        stripped.shared = NULL;
        struct res_set one, whole;
        struct mc_diag diag;
        mc_diag_clear(&diag);
        res_set_init(&one, m->rt.alloc);
        res_set_init(&whole, m->rt.alloc);
        err = res_set_from_proto_full(&one, &ps, 1, NULL, &diag);
        if (err == 0)
            err = res_set_from_proto_full(&whole, (Mesos__V1__Resource *const *)&arr[i], 1, NULL,
                                          &diag);
        if (err == 0)
            err = res_set_allocate(&one, "");
        if (err == 0)
            err = res_set_allocate(&whole, "");
        if (err != 0) {
            snprintf(why, why_bytes, "%s", diag.text[0] ? diag.text : mc_strerror(err));
        } else if (!res_set_contains(total, &one)) {
            char have[MC_OPS_RESOURCES_TEXT_BYTES_MAX], want[MC_OPS_RESOURCES_TEXT_BYTES_MAX];
            master__resources_text(m, total, have, sizeof(have));
            master__resources_text(m, &one, want, sizeof(want));
            snprintf(why, why_bytes, "Incompatible agent resources: %s does not contain %s", have,
                     want);
            err = MC_EINVAL;
        } else {
            err = master__resources_subtract_mesos(total, &one);
            if (err == 0)
                err = res_set_add(total, &whole);
        }
        res_set_deinit(&one);
        res_set_deinit(&whole);
    }
    if (err == MC_ENOMEM)
        snprintf(why, why_bytes, "%s", mc_strerror(err));
    return err;
}
