# test_rt_uv.cmake: `mesos-conform serve` end to end (tests/serve/test_serve.sh,
# curl on loopback).
add_test(NAME serve.curl COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/serve/test_serve.sh
         $<TARGET_FILE:mesos-conform>)
set_tests_properties(serve.curl PROPERTIES LABELS serve TIMEOUT 120)
