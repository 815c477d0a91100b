# test_soak.cmake: the chaos sweep runs 1,000 seeds; the sanitizer build,
# about ten times slower, runs the first 100 (the same runs, so a seed that
# fails there fails in the release build too).
if(MC_SANITIZE)
  set_tests_properties(unit.soak PROPERTIES ENVIRONMENT "MC_SOAK_SEEDS=100")
endif()
