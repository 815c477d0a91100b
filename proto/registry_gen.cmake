# registry_gen.cmake: writes registry_gen.c, the table behind registry.h.
#
# protobuf-c generates one descriptor per message but no list of them, so
# this script, run with `cmake -P` at build time after protoc-c, reads the
# generated .pb-c.c files, collects every message descriptor (nested ones
# included) with its full name, and writes a C table sorted by full name in
# byte order, the order strcmp uses for the binary search in registry.c.
#
# Input variables (all required):
#   GEN_DIR  the directory protoc-c wrote into
#   STEMS    the .proto paths without ".proto", separated by ","
#   OUT      the C file to write
foreach(var GEN_DIR STEMS OUT)
  if(NOT DEFINED ${var} OR "${${var}}" STREQUAL "")
    message(FATAL_ERROR "registry_gen.cmake: ${var} is not set")
  endif()
endforeach()

string(REPLACE "," ";" stems "${STEMS}")
list(SORT stems)

# protoc-c opens every message descriptor the same way: the symbol, then the
# magic number, then the full name as a string literal.
string(CONCAT head_re
       "const ProtobufCMessageDescriptor [a-z0-9_]+ =\n"
       "[{]\n"
       "  PROTOBUF_C__MESSAGE_DESCRIPTOR_MAGIC,\n"
       "  \"[A-Za-z0-9_.]+\"")

set(entries)
set(includes)
foreach(stem ${stems})
  set(src "${GEN_DIR}/${stem}.pb-c.c")
  if(NOT EXISTS "${src}")
    message(FATAL_ERROR "registry_gen.cmake: ${src} does not exist")
  endif()
  file(READ "${src}" text)
  string(REGEX MATCHALL "${head_re}" heads "${text}")
  list(LENGTH heads heads_count)
  if(heads_count EQUAL 0)
    # A .proto with only enums would be fine, but ours all hold messages, so
    # an empty match means protoc-c changed its output format.
    message(FATAL_ERROR "registry_gen.cmake: no message descriptor found in ${src}")
  endif()
  # Every descriptor carries the magic number once; if some were not
  # matched above, the layout changed and the table would silently miss them.
  string(REGEX MATCHALL "PROTOBUF_C__MESSAGE_DESCRIPTOR_MAGIC" magics "${text}")
  list(LENGTH magics magics_count)
  if(NOT magics_count EQUAL heads_count)
    message(FATAL_ERROR "registry_gen.cmake: ${src} has ${magics_count} message "
                        "descriptors but only ${heads_count} were recognised")
  endif()
  foreach(head ${heads})
    string(REGEX REPLACE "^const ProtobufCMessageDescriptor ([a-z0-9_]+) =.*$" "\\1"
           symbol "${head}")
    string(REGEX REPLACE "^.*\"([A-Za-z0-9_.]+)\"$" "\\1" full_name "${head}")
    # A space sorts before every character of a name, so "a.B c" < "a.B.C d"
    # exactly when "a.B" < "a.B.C" under strcmp.
    list(APPEND entries "${full_name} ${symbol}")
  endforeach()
  list(APPEND includes "#include \"${stem}.pb-c.h\"")
endforeach()

list(SORT entries)
set(previous "")
set(rows "")
foreach(entry ${entries})
  string(REGEX REPLACE "^([^ ]+) ([^ ]+)$" "\\1" full_name "${entry}")
  string(REGEX REPLACE "^([^ ]+) ([^ ]+)$" "\\2" symbol "${entry}")
  if(full_name STREQUAL previous)
    message(FATAL_ERROR "registry_gen.cmake: message ${full_name} is defined twice")
  endif()
  set(previous "${full_name}")
  string(APPEND rows "    &${symbol}, /* ${full_name} */\n")
endforeach()
list(LENGTH entries entries_count)
string(REPLACE ";" "\n" includes_text "${includes}")

file(WRITE "${OUT}"
"/*
 * registry_gen.c: written by proto/registry_gen.cmake at build time from
 * protoc-c's output; do not edit. Every message descriptor of the .proto
 * files (${entries_count}), sorted by full name in byte order.
 */
#include \"registry.h\"

${includes_text}

const ProtobufCMessageDescriptor *const proto__registry_table[] = {
${rows}};

const size_t proto__registry_table_count =
    sizeof proto__registry_table / sizeof proto__registry_table[0];
")
