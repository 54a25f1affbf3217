# The SQL stores (SqliteStore, PostgresStore), built only with SESSIONS_WITH_SQLITE /
# SESSIONS_WITH_POSTGRES (cmake/sessionsStores.cmake: ON when the client library was found):
#
#   sqlite                test_sqlite (tests/unit/sqlite), linked with sessions::sqlite
#   postgres              test_postgres (tests/unit/postgres), linked with sessions::postgres, run
#                         inside tests/servers/postgres.sh (a throw-away server on a free port)
#   interop_sql_sqlite    tests/interop/test_sql_interop.py: Django 3.2's db backend and our store
#   interop_sql_postgres  on the same SQLite file / PostgreSQL database, both directions
#
# Both test parts are skipped by the generic loop of tests/CMakeLists.txt
# (SESSIONS_TEST_PARTS_WITH_OWN_REGISTRATION) and built here the same way, plus the client library.
# A missing server, Django or psycopg2 makes the tests FAIL, never skip.
include_guard(GLOBAL)
include("${CMAKE_CURRENT_LIST_DIR}/interop.cmake")  # _sessions_find_interop_python()

set(_sessions_postgres_harness "${CMAKE_CURRENT_SOURCE_DIR}/servers/postgres.sh")

function(_sessions_sql_test_part part)
  sessions_test_sources(${part} _sources)
  if(NOT _sources)
    return()  # no target, no test (SESSIONS_THREADED_TESTS_ONLY)
  endif()
  add_executable(test_${part} ${_sources} ${_sessions_catch_main})
  target_include_directories(test_${part} PRIVATE "${CMAKE_CURRENT_SOURCE_DIR}")
  target_link_libraries(test_${part} PRIVATE sessions::${part} sessions_project_options
    ${_sessions_catch_libs} Threads::Threads)
  sessions_test_pch(test_${part})
  sessions_test_program(test_${part})
endfunction()

if(SESSIONS_WITH_SQLITE)
  _sessions_sql_test_part(sqlite)
endif()
if(TARGET test_sqlite)
  add_test(NAME sqlite COMMAND test_sqlite ${SESSIONS_CATCH_ARGS})
  set_tests_properties(sqlite PROPERTIES LABELS "unit;sqlite")
endif()

if(SESSIONS_WITH_POSTGRES)
  _sessions_sql_test_part(postgres)
endif()
if(TARGET test_postgres)
  add_test(NAME postgres COMMAND bash "${_sessions_postgres_harness}" run -- $<TARGET_FILE:test_postgres> ${SESSIONS_CATCH_ARGS})
  set_tests_properties(postgres PROPERTIES LABELS "unit;postgres" TIMEOUT 900)
  # A primary and a streaming standby; the primary killed and the standby promoted under load.
  add_test(NAME postgres_failover COMMAND bash "${_sessions_postgres_harness}" run -- $<TARGET_FILE:test_postgres>
    ${SESSIONS_CATCH_ARGS} "[standby]")
  set_tests_properties(postgres_failover PROPERTIES LABELS "unit;postgres" TIMEOUT 300
    ENVIRONMENT "SESSIONS_TEST_POSTGRES_STANDBY=1")
endif()

# Interop with Django: one helper program for both stores, driven by a Python script.
sessions_test_label_skipped(interop _sessions_sql_interop_skipped)
if((SESSIONS_WITH_SQLITE OR SESSIONS_WITH_POSTGRES) AND NOT _sessions_sql_interop_skipped)
  add_executable(sessions_sql_interop "${CMAKE_CURRENT_SOURCE_DIR}/interop/sql_interop.cpp")
  target_link_libraries(sessions_sql_interop PRIVATE sessions_project_options)
  if(SESSIONS_WITH_SQLITE)
    target_link_libraries(sessions_sql_interop PRIVATE sessions::sqlite)
    target_compile_definitions(sessions_sql_interop PRIVATE SESSIONS_INTEROP_SQLITE=1)
  endif()
  if(SESSIONS_WITH_POSTGRES)
    target_link_libraries(sessions_sql_interop PRIVATE sessions::postgres)
    target_compile_definitions(sessions_sql_interop PRIVATE SESSIONS_INTEROP_POSTGRES=1)
  endif()
  sessions_test_pch(sessions_sql_interop)  # the tests' precompiled header (tests/CMakeLists.txt)

  _sessions_find_interop_python(_sessions_sql_python)
  if(NOT _sessions_sql_python)
    set(_sessions_sql_python python3)  # fails at test time with "not found", which is the point
  endif()
  set(_script "${CMAKE_CURRENT_SOURCE_DIR}/interop/test_sql_interop.py")
  if(SESSIONS_WITH_SQLITE)
    add_test(NAME interop_sql_sqlite COMMAND "${_sessions_sql_python}" "${_script}" sqlite $<TARGET_FILE:sessions_sql_interop>)
    set_tests_properties(interop_sql_sqlite PROPERTIES LABELS "interop;sqlite" TIMEOUT 600)
  endif()
  if(SESSIONS_WITH_POSTGRES)
    add_test(NAME interop_sql_postgres COMMAND bash "${_sessions_postgres_harness}" run --
      "${_sessions_sql_python}" "${_script}" postgres $<TARGET_FILE:sessions_sql_interop>)
    set_tests_properties(interop_sql_postgres PROPERTIES LABELS "interop;postgres" TIMEOUT 600)
  endif()
endif()
