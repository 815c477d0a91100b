# test_pbjson.cmake: the pbjson unit test converts messages of its own test
# proto (unit/pbjson_test.proto). protoc-c compiles it at build time into
# the test binary only, so that the wire layer's libraries never see it.
set(pbjson_gen_dir ${CMAKE_CURRENT_BINARY_DIR}/pbjson_gen)
set(pbjson_gen_c ${pbjson_gen_dir}/pbjson_test.pb-c.c)
add_custom_command(
  OUTPUT ${pbjson_gen_c} ${pbjson_gen_dir}/pbjson_test.pb-c.h
  COMMAND ${CMAKE_COMMAND} -E make_directory ${pbjson_gen_dir}
  COMMAND ${PROTOC_C} --proto_path=${CMAKE_CURRENT_SOURCE_DIR}/unit --c_out=${pbjson_gen_dir}
          pbjson_test.proto
  DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/unit/pbjson_test.proto
  COMMENT "protoc-c pbjson_test.proto"
  VERBATIM)
target_sources(test_pbjson PRIVATE ${pbjson_gen_c})
target_include_directories(test_pbjson PRIVATE ${pbjson_gen_dir})
# Generated code is not ours to fix; keep its warnings out of -Werror.
set_source_files_properties(${pbjson_gen_c} PROPERTIES COMPILE_OPTIONS "-w")
