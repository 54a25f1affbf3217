# instruction_budget (label `instruction_count`): instruction counts of the main request paths
# (bench/request_paths.cpp under valgrind --tool=callgrind) against tests/perf/instruction_budget.json;
# a path more than 10% over its budget fails. The program is built at -O2 whatever the build's
# flags (an -O0 count says nothing about speed), without the project's sanitizer options; the
# budget is g++ 12's, so tools/test.sh runs the label in the gcc stage only and excludes it in
# the clang and sanitizer stages. Updating the budget on purpose: docs/benchmarks.md.
sessions_test_label_skipped(instruction_count _sessions_budget_skipped)
if(_sessions_budget_skipped)
  return()
endif()
add_executable(sessions_request_paths "${PROJECT_SOURCE_DIR}/bench/request_paths.cpp")
target_link_libraries(sessions_request_paths PRIVATE sessions::sessions Threads::Threads)
target_compile_options(sessions_request_paths PRIVATE -O2 -g0 -fno-sanitize=all)
target_link_options(sessions_request_paths PRIVATE -fno-sanitize=all)
target_compile_definitions(sessions_request_paths PRIVATE
  SESSIONS_BENCH_PAYLOADS="${PROJECT_SOURCE_DIR}/bench/payloads.json" NDEBUG)
find_package(Python3 COMPONENTS Interpreter)
if(Python3_Interpreter_FOUND)
  add_test(NAME instruction_budget
    COMMAND "${Python3_EXECUTABLE}" "${PROJECT_SOURCE_DIR}/tools/instruction_budget.py" $<TARGET_FILE:sessions_request_paths>)
else()
  add_test(NAME instruction_budget COMMAND "${CMAKE_COMMAND}" -E false)  # never pass silently
endif()
set_tests_properties(instruction_budget PROPERTIES LABELS "instruction_count" TIMEOUT 900)
