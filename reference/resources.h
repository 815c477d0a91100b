/*
 * resources.h: a compact model of a set of Mesos resources.
 *
 * The allocator runs every allocation interval over every agent, so it does
 * its arithmetic on this plain C model rather than on protobuf-c messages.
 * Conversions to and from arrays of Mesos__V1__Resource sit at the edges:
 * offers are written from it and TaskInfo.resources are read into it.
 *
 * A struct res_set is a list of items in insertion order. Two items with the
 * same name, type, reservation and allocation role are always merged into
 * one (Mesos calls them "addable"), so a set holds at most one item per key.
 * Empty items (a zero scalar, no ranges, no set elements) are never kept.
 *
 * Scalars are fixed-point with three decimals, as Mesos keeps them
 * (src/common/values.cpp): a double v becomes llround(v * 1000) thousandths
 * and every sum, difference and comparison is done on those integers.
 * Ranges are kept sorted and coalesced (adjacent ranges merge). Set elements
 * keep their insertion order; comparisons ignore the order.
 *
 * Memory: a set allocates its items, ranges and set elements through the
 * struct mc_alloc given to res_set_init; res_set_deinit frees all of it.
 * Every count is bounded by a limit from mc_limits.h; reaching one is
 * MC_ELIMIT, never silent growth or loss.
 */
#ifndef MC_RESOURCES_H
#define MC_RESOURCES_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "mc_alloc.h"
#include "mc_diag.h"
#include "mc_err.h"
#include "mc_limits.h"
#include "mesos/v1/mesos.pb-c.h"

/* The role of unreserved resources, as Mesos spells it. */
#define RES_ROLE_UNRESERVED "*"

/* The value types a resource can have; numbered as Mesos' Value.Type. */
enum res_type {
    RES_TYPE_SCALAR = 0,
    RES_TYPE_RANGES = 1,
    RES_TYPE_SET = 2,
};

/* How a resource is reserved. Unreserved items have role "*". */
enum res_reservation {
    RES_RESERVATION_NONE = 0,
    RES_RESERVATION_STATIC = 1,  /* agent flag "name(role):value" */
    RES_RESERVATION_DYNAMIC = 2, /* RESERVE operation (room for later) */
};

/* What an item's detail holds, for the arithmetic and the allocator. */
enum res_detail_flags {
    RES_DETAIL_VOLUME = 1u << 0,  /* a persistent volume: added and taken only whole */
    RES_DETAIL_REFINED = 1u << 1, /* more than one reservation (refinement) */
};

/* An inclusive range [begin, end], as Value.Range. */
struct res_range {
    uint64_t begin;
    uint64_t end;
};

/*
 * One resource. name, role and allocation_role are NUL-terminated and fit
 * their arrays (the parsers refuse longer ones); the bytes past the NUL are
 * unspecified. allocation_role is "" when the resource is not allocated to
 * a role. Only the member matching type is meaningful; ranges and elements
 * are owned by the set holding the item.
 *
 * The members are ordered for the arithmetic, which mostly reads items not
 * in cache: what comparing keys and item_empty read comes first, with the
 * start of name, so that a comparison reads few cache lines; the rarely
 * read members come last.
 */
struct res_item {
    enum res_type type;
    enum res_reservation reservation;
    /*
     * What Mesos' Resource adds beyond the key, packed as an internal.proto
     * ResourceDetail (NULL and 0 when there is none; owned by the set
     * holding the item): the whole reservation stack, outermost first, when
     * it is refined or one of its reservations has a principal or labels
     * (role and reservation then describe its last one), and a persistent
     * volume's DiskInfo. Only res_set_from_proto_full makes them; the bytes
     * are part of the key (equal resources, equal bytes).
     */
    uint32_t detail_bytes;
    uint32_t detail_flags; /* RES_DETAIL_* */
    uint32_t ranges_count;
    uint32_t elements_count;
    int64_t scalar_milli;
    struct res_range *ranges;
    char name[MC_RES_NAME_BYTES_MAX];
    char role[MC_RES_ROLE_BYTES_MAX];
    char allocation_role[MC_RES_ROLE_BYTES_MAX];
    uint8_t *detail;
    char **elements;
    uint32_t ranges_cap;
    uint32_t elements_cap;
};

/* A set of resources; see the top of this file. Fields are read-only. */
struct res_set {
    const struct mc_alloc *alloc;
    struct res_item *items;
    uint32_t count;
    uint32_t cap;
};

/* Makes an empty set that allocates through alloc (NULL: libc). */
void res_set_init(struct res_set *set, const struct mc_alloc *alloc);

/* Frees everything the set holds; the set is empty and reusable after. */
void res_set_deinit(struct res_set *set);

/* Empties the set but keeps its item storage for reuse. */
void res_set_clear(struct res_set *set);

/*
 * Makes dst an exact copy of src (dst is initialised by the caller and keeps
 * its own allocator). Errors: MC_ENOMEM; dst is then empty.
 */
int res_set_copy(struct res_set *dst, const struct res_set *src) MC_MUST_USE;

/*
 * set += item, merging with the item of the same key if there is one. An
 * empty item is ignored. The item is borrowed. Errors: MC_ENOMEM; MC_ELIMIT
 * when the set would exceed MC_RES_ITEMS_MAX items, a sum would exceed
 * MC_RES_SCALAR_MILLI_MAX or a range list MC_RES_RANGES_MAX ranges. On
 * error the set is unchanged.
 */
int res_set_add_item(struct res_set *set, const struct res_item *item) MC_MUST_USE;

/* set += other, item by item; errors as res_set_add_item (set may be partly added). */
int res_set_add(struct res_set *set, const struct res_set *other) MC_MUST_USE;

/*
 * set -= other as Mesos subtracts: each item of other is taken from the item
 * of the same key; a scalar that would go negative and an item that becomes
 * empty are removed. Items of other with no match are ignored. Errors:
 * MC_ENOMEM, MC_ELIMIT (splitting ranges past MC_RES_RANGES_MAX).
 */
int res_set_subtract(struct res_set *set, const struct res_set *other) MC_MUST_USE;

/* 1 when every item of b is contained in the item of the same key in a. */
int res_set_contains(const struct res_set *a, const struct res_set *b);

/*
 * res_set_contains(set, other), then res_set_subtract(set, other) when it
 * holds, with other taken as allocated to role (as res_set_allocate would
 * make a copy of it; "" unallocates) or, for role NULL, as it is; only
 * when other's items have several allocation roles is that copy made. On
 * success set is exactly what the composition would leave. Errors:
 * MC_EINVAL when set does not contain it (set is then unchanged) or role
 * is longer than MC_RES_ROLE_BYTES_MAX - 1; MC_ENOMEM, MC_ELIMIT as
 * res_set_subtract (set may then be partly subtracted).
 */
int res_set_take(struct res_set *set, const struct res_set *other, const char *role) MC_MUST_USE;

/*
 * res_set_add(set, copy of other allocated to role) without the copy
 * (unless other's items have several allocation roles); role "" adds other
 * unallocated. Errors as res_set_allocate and res_set_add.
 */
int res_set_add_allocated(struct res_set *set, const struct res_set *other,
                          const char *role) MC_MUST_USE;

/*
 * Moves other from src to dst: res_set_take(src, other, src_role), then
 * res_set_add_allocated(dst, other, dst_role), with what src gives up
 * whole moved rather than copied. On success both sets are exactly what
 * the composition would leave. Errors: MC_EINVAL when src does not
 * contain other (nothing changes) or a role does not fit; MC_ENOMEM and
 * MC_ELIMIT (both sets may then be partly changed).
 */
int res_set_move(struct res_set *dst, const char *dst_role, struct res_set *src,
                 const char *src_role, const struct res_set *other) MC_MUST_USE;

/* 1 when a contains b and b contains a (Mesos' Resources::operator==). */
int res_set_equal(const struct res_set *a, const struct res_set *b);

/* 1 when the set holds no item. */
int res_set_empty(const struct res_set *set);

/* The sum of the scalar items called name, over every role, in thousandths. */
int64_t res_set_scalar_milli(const struct res_set *set, const char *name);

/*
 * strcmp(a, b) == 0 for the short texts of a resource's key (names and
 * roles: "cpus", "*", ""), which are compared often and are mostly equal
 * and short: up to eight bytes are looked at inline, so only longer texts
 * pay for a call.
 */
static inline int res_text_equal(const char *a, const char *b)
{
    for (int i = 0; i < 8; i++) {
        if (a[i] != b[i])
            return 0;
        if (a[i] == '\0')
            return 1;
    }
    return strcmp(a + 8, b + 8) == 0;
}

/*
 * Marks every item as allocated to role (role "" unallocates), merging
 * items that become equal. Errors: MC_EINVAL for a role longer than
 * MC_RES_ROLE_BYTES_MAX - 1; MC_ENOMEM, MC_ELIMIT while merging.
 */
int res_set_allocate(struct res_set *set, const char *role) MC_MUST_USE;

/*
 * dst = the items of src that a framework in role may be offered: the
 * unreserved ones and those reserved to role or to one of its ancestors
 * ("a" for "a/b"), as Mesos' Resources::allocatableTo. dst is replaced.
 * Errors: MC_ENOMEM.
 */
int res_set_allocatable_to(struct res_set *dst, const struct res_set *src,
                           const char *role) MC_MUST_USE;

/* 1 when res_set_allocatable_to(..., role) keeps item. */
int res_item_allocatable_to(const struct res_item *item, const char *role);

/* A scalar item with the given key; role NULL means unreserved. For tests and callers. */
int res_set_add_scalar(struct res_set *set, const char *name, const char *role,
                       int64_t milli) MC_MUST_USE;

/* A ranges item with one range [begin, end]; role NULL means unreserved. */
int res_set_add_range(struct res_set *set, const char *name, const char *role,
                      uint64_t begin, uint64_t end) MC_MUST_USE;

/*
 * Converts a double to thousandths as Mesos does (llround(v * 1000)).
 * Returns MC_EINVAL for NaN, infinities and values whose thousandths do
 * not fit MC_RES_SCALAR_MILLI_MAX (in either sign).
 */
int res_scalar_from_double(double value, int64_t *milli_out) MC_MUST_USE;

/* Thousandths back to a double, exactly as Mesos converts them. */
double res_scalar_to_double(int64_t milli);

/*
 * Parses the agent flag syntax as Mesos' Resources::parse does for a text
 * that is not JSON: "cpus:4;mem:8192;ports:[31000-32000];disks:{a,b}",
 * "name(role):value" for a static reservation. Tokens are split on ';' and
 * ':' with empty pieces dropped; spaces inside a value are removed; names
 * and roles are trimmed. The parsed resources are added to out (initialised
 * by the caller). Errors: MC_EPARSE with diag holding Mesos' error text and
 * the byte offset of the token at fault; MC_ELIMIT with the same for a
 * name, role or count past its limit; MC_ENOMEM. On error out may hold the
 * resources parsed before the bad token. A JSON array text is not
 * supported: it is MC_EUNSUPPORTED.
 */
int res_parse(const char *text, struct res_set *out, struct mc_diag *diag) MC_MUST_USE;

/*
 * Writes the set in the agent flag syntax (res_parse reads it back):
 * "cpus:2;mem:2048;ports:[31000-32000]", "(role)" after reserved names.
 * Allocation roles are not written. Returns the length written, or MC_ELIMIT
 * when out_bytes is too small (out then holds a truncated, terminated text).
 */
int res_set_format(const struct res_set *set, char *out, size_t out_bytes) MC_MUST_USE;

/* Flags of res_set_to_proto: which of Mesos' resource formats to write. */
enum res_proto_flags {
    /* Write allocation_info.role (frameworks with MULTI_ROLE, SPEC O7). */
    RES_PROTO_ALLOCATION_INFO = 1u << 0,
    /* Write reservations[] and no role (RESERVATION_REFINEMENT frameworks). */
    RES_PROTO_RESERVATIONS = 1u << 1,
};

/*
 * Builds protobuf-c Resource messages for set, one per item in order. They
 * are allocated through alloc, most in one block with the array: free them
 * only with res_proto_free, given the count returned. Without
 * RES_PROTO_RESERVATIONS each resource carries the old role field ("*"
 * when unreserved, recorded: o.offers-shape and o.offers-shape-multi-role).
 * Errors: MC_ENOMEM (nothing to free then).
 */
int res_set_to_proto(const struct res_set *set, unsigned flags, const struct mc_alloc *alloc,
                     Mesos__V1__Resource ***out, size_t *out_count) MC_MUST_USE;

/* Frees what res_set_to_proto built. arr may be NULL. */
void res_proto_free(const struct mc_alloc *alloc, Mesos__V1__Resource **arr, size_t count);

/*
 * Validates resources as Mesos' Resources::validate does and adds them to
 * out. On an invalid resource it returns MC_EINVAL (MC_EUNSUPPORTED for
 * valid Mesos features this model does not keep: disk info, revocable,
 * shared, resource providers, refined reservations) with diag->text
 * holding the error (Mesos' text where Mesos has one) and *bad_index (if
 * not NULL) the index of the resource at fault; out may then hold the
 * resources before it. Also MC_ELIMIT, MC_ENOMEM.
 */
int res_set_from_proto(struct res_set *out, Mesos__V1__Resource *const *arr, size_t count,
                       size_t *bad_index, struct mc_diag *diag) MC_MUST_USE;

/*
 * res_set_from_proto as Mesos' Resources::validate and upgradeResources
 * read a resource, for the resources of offer operations: it also takes
 * refined reservations (the "reservations" stack, outermost first),
 * reservations with a principal or labels (in either format) and
 * persistent volumes (DiskInfo with persistence and volume, no source),
 * which it keeps in the item's detail. Still MC_EUNSUPPORTED: revocable,
 * shared and resource provider resources, and disk sources. Errors and
 * diag as res_set_from_proto, with Mesos' texts for the reservation
 * format and DiskInfo checks of Resources::validate.
 */
int res_set_from_proto_full(struct res_set *out, Mesos__V1__Resource *const *arr, size_t count,
                            size_t *bad_index, struct mc_diag *diag) MC_MUST_USE;

#endif
