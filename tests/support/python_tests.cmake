# Shared by tests/cmake/browser.cmake and tests/cmake/interop.cmake, which register tests that are
# Python scripts driving programs built here. (This file lives outside tests/cmake/ because
# tests/CMakeLists.txt includes every module there, in glob order; each user include()s it.)
include_guard(GLOBAL)

# Sets out_var to the Python interpreter for a group of tests: `override` if not empty (the
# group's cache variable), else the first python3 (PATH, then /usr/bin, /usr/local/bin) that can
# import every module in `modules` (a list). If none can, a warning naming `what` and `hint`, and
# /usr/bin/python3 (or the first python3 found, or "" when there is none), so that the tests still
# run and fail with their scripts' explanation instead of disappearing.
function(sessions_find_test_python out_var override modules what hint)
  if(override)
    set(${out_var} "${override}" PARENT_SCOPE)
    return()
  endif()
  set(_candidates "")
  find_program(_sessions_test_python3_path NAMES python3 NO_CACHE)
  if(_sessions_test_python3_path)
    list(APPEND _candidates "${_sessions_test_python3_path}")
  endif()
  foreach(_p IN ITEMS /usr/bin/python3 /usr/local/bin/python3)
    if(EXISTS "${_p}")
      list(APPEND _candidates "${_p}")
    endif()
  endforeach()
  list(REMOVE_DUPLICATES _candidates)
  list(JOIN modules ", " _imports)
  foreach(_p IN LISTS _candidates)
    execute_process(COMMAND "${_p}" -c "import ${_imports}" RESULT_VARIABLE _rc OUTPUT_QUIET ERROR_QUIET)
    if(_rc EQUAL 0)
      set(${out_var} "${_p}" PARENT_SCOPE)
      return()
    endif()
  endforeach()
  message(WARNING "sessions: no python3 that imports ${_imports} found; ${what} will fail. ${hint}")
  if(EXISTS /usr/bin/python3)
    set(${out_var} /usr/bin/python3 PARENT_SCOPE)
  elseif(_candidates)
    list(GET _candidates 0 _first)
    set(${out_var} "${_first}" PARENT_SCOPE)
  else()
    set(${out_var} "" PARENT_SCOPE)
  endif()
endfunction()

# Calls `function` with the remaining arguments at the end of the top-level directory, once every
# target exists: tests/ is added before examples/, so the programs these tests drive (sessionctl,
# visit_counter) are not defined yet when a tests/cmake module is included. The arguments are
# expanded now (DEFER alone would expand variable references only when the call runs).
function(sessions_call_at_end_of_project function)
  set(_args "")
  foreach(_arg IN LISTS ARGN)
    string(APPEND _args " [[${_arg}]]")
  endforeach()
  cmake_language(EVAL CODE
    "cmake_language(DEFER DIRECTORY [[${sessions_SOURCE_DIR}]] CALL ${function}${_args})")
endfunction()
