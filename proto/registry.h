/*
 * registry.h: every protobuf message descriptor of the wire layer, by name.
 *
 * protoc-c gives each message of our .proto files (proto/mesos/v1/...) a
 * descriptor, but no list of them. The build writes one (registry_gen.c,
 * from registry_gen.cmake): every message, nested ones and map entries
 * included, sorted by full name such as "mesos.v1.scheduler.Call.Subscribe".
 * Code that is handed a type name while running (the CLI's --type, the codec
 * round-trip tests) finds the descriptor here, and tests iterate over all of
 * them.
 *
 * The table is constant data built into the program: there is nothing to
 * initialise or free, and every function may be called from any thread.
 * Only messages are listed; enums are reached through the fields that use
 * them (ProtobufCFieldDescriptor.descriptor).
 */
#ifndef PROTO_REGISTRY_H
#define PROTO_REGISTRY_H

#include <stddef.h>

#include <protobuf-c/protobuf-c.h>

/*
 * Finds a message descriptor by its full name, with or without a leading
 * '.' ("mesos.v1.TaskStatus" or ".mesos.v1.TaskStatus"). The match is exact
 * and case-sensitive. full_name must not be NULL (a programmer error); any
 * other string, such as a name read from a command line, is fine.
 * Returns the descriptor, which lives as long as the program, or NULL when
 * no message has that name (this includes enum names, packages and the
 * messages our .proto files leave out).
 */
const ProtobufCMessageDescriptor *proto_registry_find(const char *full_name);

/* The number of message descriptors in the registry (a few hundred). */
size_t proto_registry_count(void);

/*
 * The i-th message descriptor in strcmp order of full name (descriptor->name,
 * which has no leading '.'). i must be below proto_registry_count() (a
 * programmer error otherwise). Never returns NULL.
 */
const ProtobufCMessageDescriptor *proto_registry_at(size_t i);

/*
 * Internal to proto/: the generated table itself, defined in the build
 * directory's registry_gen.c and read only by registry.c. Declared here so
 * that both files are compiled against the same declaration.
 */
extern const ProtobufCMessageDescriptor *const proto__registry_table[];
extern const size_t proto__registry_table_count;

#endif
