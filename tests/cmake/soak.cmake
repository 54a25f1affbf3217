# The soak with a failover (label `soak`): tests/soak/cluster_failover.sh runs the example site
# (examples/visit_counter) on a Redis Cluster of three primaries and three replicas, drives it with
# wrk for 30 s and kills a primary at 15 s. It passes when the site's errors (non-2xx answers) come
# only in the seconds after the kill, there is no socket error, and the site answers 2xx again
# until the end (the script's --check); its figures are printed either way (docs/scale-out.md).
#
# It checks the site and the cluster, not how the compiler saw them: it runs in the gcc stage only
# (tools/test.sh leaves the label out elsewhere). Paced (--pace: 8 ms between the requests of each
# of 8 connections) so that the other tests that ctest runs beside it keep a core; COST puts it
# among the first tests started, so that its 30 s overlap the rest of the run.
include_guard(GLOBAL)
include("${CMAKE_CURRENT_LIST_DIR}/../support/python_tests.cmake")  # sessions_call_at_end_of_project()

sessions_test_label_skipped(soak _sessions_soak_skipped)
if(_sessions_soak_skipped OR NOT SESSIONS_WITH_REDIS)
  return()
endif()

# Runs at the end of the top-level directory, when visit_counter exists.
function(_sessions_register_soak_tests script)
  if(NOT TARGET visit_counter)
    return()
  endif()
  find_program(SESSIONS_WRK wrk)
  if(SESSIONS_WRK)
    add_test(NAME soak_cluster_failover COMMAND bash "${script}" --bin $<TARGET_FILE:visit_counter>
      --duration 30 --threads 2 --connections 8 --pace 8 --check --window 10)
  else()  # a missing tool fails the test, never skips it
    add_test(NAME soak_cluster_failover COMMAND "${CMAKE_COMMAND}" -E echo "wrk not found (apt-get install wrk)")
    set_tests_properties(soak_cluster_failover PROPERTIES WILL_FAIL TRUE)
  endif()
  set_tests_properties(soak_cluster_failover PROPERTIES LABELS "soak" TIMEOUT 180 COST 60)
endfunction()

get_filename_component(_sessions_soak_script "${CMAKE_CURRENT_LIST_DIR}/../soak/cluster_failover.sh" ABSOLUTE)
sessions_call_at_end_of_project(_sessions_register_soak_tests "${_sessions_soak_script}")
