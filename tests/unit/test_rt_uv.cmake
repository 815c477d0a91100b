# test_rt_uv.cmake: `mesos-conform serve` end to end (tests/serve/test_serve.sh,
# curl on loopback).
add_test(NAME serve.curl COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/serve/test_serve.sh
         $<TARGET_FILE:mesos-conform>)
set_tests_properties(serve.curl PROPERTIES LABELS serve TIMEOUT 120)

# The whole suite against `serve` over loopback HTTP, in real time.
add_test(NAME suite.serve COMMAND ${CMAKE_SOURCE_DIR}/tests/serve/suite_on_serve.sh
         $<TARGET_FILE:mesos-conform> ${CMAKE_SOURCE_DIR}/scenarios)
set_tests_properties(suite.serve PROPERTIES LABELS "suite;serve" TIMEOUT 600)
