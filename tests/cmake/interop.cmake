# Interoperability with real Django (Debian's python3-django): tests/interop/*.py drive the built
# sessionctl and Django side by side. Registered only when sessionctl is built
# (SESSIONS_BUILD_EXAMPLES). Django missing is a FAILURE, not a skip: these tests are the proof of
# byte compatibility.
#
# The interpreter: SESSIONS_INTEROP_PYTHON if set, else the first python3 found (PATH, then
# /usr/bin) that can import django; if none can, /usr/bin/python3 (or the first found), so that the
# tests run and fail with the scripts' explanation (tests/support/python_tests.cmake).
include_guard(GLOBAL)

include("${CMAKE_CURRENT_LIST_DIR}/../support/python_tests.cmake")

# The interpreter for every test that needs Django alone (also used by sql_stores.cmake).
function(_sessions_find_interop_python out_var)
  sessions_find_test_python(_python "${SESSIONS_INTEROP_PYTHON}" "django" "the interop tests"
    "Install python3-django or set SESSIONS_INTEROP_PYTHON.")
  set(${out_var} "${_python}" PARENT_SCOPE)
endfunction()

# Runs at the end of the top-level directory, when sessionctl exists.
function(_sessions_register_interop_tests interop_dir)
  if(NOT TARGET sessionctl)
    return()
  endif()
  _sessions_find_interop_python(_python)
  set(_scripts signing)
  foreach(_name IN LISTS _scripts)
    set(_test interop_${_name})
    if(_python)
      add_test(NAME ${_test}
        COMMAND "${_python}" "${interop_dir}/test_${_name}_interop.py" $<TARGET_FILE:sessionctl>)
    else()
      add_test(NAME ${_test} COMMAND "${CMAKE_COMMAND}" -E false)
      message(WARNING "sessions: no python3 found; ${_test} will fail")
    endif()
    # It drives one `sessionctl batch` process (about 3 s in CI), not one process per vector.
    set_tests_properties(${_test} PROPERTIES LABELS "interop" TIMEOUT 600 COST 5)
  endforeach()
  if(_python AND SESSIONS_WITH_SQLITE AND SESSIONS_WITH_POSTGRES AND SESSIONS_WITH_REDIS AND SESSIONS_WITH_MEMCACHED)
    add_test(NAME interop_sessionctl_stores
      COMMAND "${_python}" "${interop_dir}/test_sessionctl_stores.py" $<TARGET_FILE:sessionctl>)
    set_tests_properties(interop_sessionctl_stores PROPERTIES LABELS "interop" TIMEOUT 300)
  endif()
  if(TARGET sessions_interop_tool AND _python)
    add_test(NAME interop_session
      COMMAND "${_python}" "${interop_dir}/test_session_interop.py" $<TARGET_FILE:sessions_interop_tool>)
    set_tests_properties(interop_session PROPERTIES LABELS "interop" TIMEOUT 600)
  endif()
  # sessionctl whoami reads Django's SQLite database: the test needs a build with SQLite.
  if(TARGET sessions_auth_tool AND _python AND SESSIONS_WITH_SQLITE)
    add_test(NAME interop_auth
      COMMAND "${_python}" "${interop_dir}/test_auth_interop.py" $<TARGET_FILE:sessions_auth_tool>
              $<TARGET_FILE:sessionctl>)
    set_tests_properties(interop_auth PROPERTIES LABELS "interop" TIMEOUT 300)
  endif()
  # whoami with Django's database on PostgreSQL, inside a throw-away server.
  if(TARGET sessionctl AND _python AND SESSIONS_WITH_POSTGRES)
    add_test(NAME interop_auth_postgres
      COMMAND bash "${PROJECT_SOURCE_DIR}/tests/servers/postgres.sh" run --
              "${_python}" "${interop_dir}/test_auth_postgres.py" $<TARGET_FILE:sessionctl>)
    set_tests_properties(interop_auth_postgres PROPERTIES LABELS "interop;postgres" TIMEOUT 300)
  endif()
  # The example site's Django logins (--user-table) against Django on one SQLite file.
  if(TARGET visit_counter AND _python)
    add_test(NAME interop_visit_counter_login
      COMMAND "${_python}" "${PROJECT_SOURCE_DIR}/examples/visit_counter/check_django_login.py"
              $<TARGET_FILE:visit_counter>)
    set_tests_properties(interop_visit_counter_login PROPERTIES LABELS "interop;example" TIMEOUT 120)
  endif()
endfunction()

sessions_test_label_skipped(interop _sessions_interop_skipped)
if(_sessions_interop_skipped)
  return()  # (_sessions_find_interop_python above stays defined: sql_stores.cmake asks it)
endif()

# Real sessions::Session objects for the session-level interop test (test_session_interop.py).
add_executable(sessions_interop_tool "${CMAKE_CURRENT_LIST_DIR}/../interop/session_tool.cpp")
target_link_libraries(sessions_interop_tool PRIVATE sessions::sessions sessions_project_options)
sessions_test_pch(sessions_interop_tool)  # the tests' precompiled header (tests/CMakeLists.txt)
# Django's login state and messages in shared sessions (test_auth_interop.py).
add_executable(sessions_auth_tool "${CMAKE_CURRENT_LIST_DIR}/../interop/auth_tool.cpp")
target_link_libraries(sessions_auth_tool PRIVATE sessions::sessions sessions_project_options)
sessions_test_pch(sessions_auth_tool)

get_filename_component(_sessions_interop_dir "${CMAKE_CURRENT_LIST_DIR}/../interop" ABSOLUTE)
sessions_call_at_end_of_project(_sessions_register_interop_tests "${_sessions_interop_dir}")
