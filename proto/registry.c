/*
 * registry.c: lookups in the generated table of message descriptors.
 *
 * The table (registry_gen.c in the build directory) is sorted by full name
 * in strcmp order when it is written, so a lookup is a binary search and
 * iteration needs no sorting at run time. The unit test checks that order
 * on the real table, since the search depends on it.
 */
#include "registry.h"

#include <string.h>

#include "mc_assert.h"

const ProtobufCMessageDescriptor *proto_registry_find(const char *full_name)
{
    MC_ASSERT(full_name != NULL);
    MC_ASSERT(proto__registry_table_count > 0);

    /* Descriptor names carry no leading '.', but names in .proto files and
     * in protoc's own descriptors do; accept both spellings. */
    const char *name = full_name[0] == '.' ? full_name + 1 : full_name;

    /* The search halves [lo, hi) each pass, so it runs at most
     * log2(count) + 1 times whatever the caller passed in. */
    size_t lo = 0;
    size_t hi = proto__registry_table_count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const ProtobufCMessageDescriptor *desc = proto__registry_table[mid];
        MC_ASSERT(desc != NULL);
        MC_ASSERT(desc->magic == PROTOBUF_C__MESSAGE_DESCRIPTOR_MAGIC);
        int cmp = strcmp(name, desc->name);
        if (cmp == 0) {
            return desc;
        }
        if (cmp < 0) {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    MC_ASSERT(lo <= proto__registry_table_count);
    return NULL;
}

size_t proto_registry_count(void)
{
    MC_ASSERT(proto__registry_table_count > 0);
    return proto__registry_table_count;
}

const ProtobufCMessageDescriptor *proto_registry_at(size_t i)
{
    MC_ASSERT(i < proto__registry_table_count);
    const ProtobufCMessageDescriptor *desc = proto__registry_table[i];
    MC_ASSERT(desc != NULL);
    MC_ASSERT(desc->magic == PROTOBUF_C__MESSAGE_DESCRIPTOR_MAGIC);
    return desc;
}
