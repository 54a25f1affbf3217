# "Must not compile, and must say why" tests.
#
# Included from a CMakeLists.txt, this file defines
#
#   sessions_add_compile_fail_test(<source> [NAME <test-name>] [TARGET <interface-target>] [LABELS <label>...])
#
# which adds a CTest test that compiles <source> with CMAKE_CXX_COMPILER, -std=c++20, -fsyntax-only
# and the include directories and definitions of <interface-target> (default: sessions, transitively
# with its dependencies). The test passes only if the compilation FAILS and the compiler's output
# contains the text given on the source's first line:
#
#   // expect: storage policy lacks: touch(std::string_view key, sessions::TimePoint expires_at) -> bool
#
# The text is matched literally (no regex). The compiler runs when the test runs, not at build
# time, so a case that is meant to fail never breaks the build.
#
# Run with `cmake -P` (what the test does), it is the checker itself:
#   cmake -DCOMPILER=<c++> -DSOURCE=<file.cpp> -DINCLUDES=<dir|dir|...> [-DDEFINITIONS=<d|d|...>]
#         [-DIMPLICIT_INCLUDES=<dir|...>] -P CompileFail.cmake

if(CMAKE_SCRIPT_MODE_FILE AND CMAKE_SCRIPT_MODE_FILE STREQUAL CMAKE_CURRENT_LIST_FILE)
  # ------------------------------------------------------------------------------ script mode
  cmake_minimum_required(VERSION 3.21)
  foreach(_var COMPILER SOURCE)
    if(NOT DEFINED ${_var} OR "${${_var}}" STREQUAL "")
      message(FATAL_ERROR "CompileFail.cmake: -D${_var}=... is required")
    endif()
  endforeach()
  file(STRINGS "${SOURCE}" _first_line LIMIT_COUNT 1)
  if(NOT _first_line MATCHES "^// expect: (.+)$")
    message(FATAL_ERROR "${SOURCE}: the first line must be `// expect: <text the compiler must print>`")
  endif()
  string(STRIP "${CMAKE_MATCH_1}" _expect)

  set(_args -std=c++20 -fsyntax-only)
  # The compiler's own directories are left out, as CMake does: `-I/usr/include` would put them
  # ahead of the C++ library's and break its #include_next.
  string(REPLACE "|" ";" _includes "${INCLUDES}")
  string(REPLACE "|" ";" _implicit "${IMPLICIT_INCLUDES}")
  list(REMOVE_DUPLICATES _includes)
  foreach(_dir IN LISTS _includes)
    if(_dir AND NOT _dir IN_LIST _implicit)
      list(APPEND _args "-I${_dir}")
    endif()
  endforeach()
  string(REPLACE "|" ";" _definitions "${DEFINITIONS}")
  foreach(_def IN LISTS _definitions)
    if(_def)
      list(APPEND _args "-D${_def}")
    endif()
  endforeach()

  execute_process(COMMAND "${COMPILER}" ${_args} "${SOURCE}"
    RESULT_VARIABLE _result OUTPUT_VARIABLE _output ERROR_VARIABLE _output)
  string(REPLACE ";" " " _command "${COMPILER};${_args};${SOURCE}")
  if(_result EQUAL 0)
    message(FATAL_ERROR "compiled, but must be rejected with:\n  ${_expect}\ncommand: ${_command}")
  endif()
  string(FIND "${_output}" "${_expect}" _position)
  if(_position EQUAL -1)
    message(FATAL_ERROR "rejected, but the compiler output lacks:\n  ${_expect}\n"
      "command: ${_command}\n---- compiler output ----\n${_output}")
  endif()
  message(STATUS "rejected as expected: ${_expect}")
  return()
endif()

# -------------------------------------------------------------------------------- function mode
include_guard(GLOBAL)

function(sessions_add_compile_fail_test source)
  cmake_parse_arguments(PARSE_ARGV 1 _arg "" "NAME;TARGET" "LABELS")
  get_filename_component(_source "${source}" ABSOLUTE)
  if(NOT _arg_NAME)
    get_filename_component(_stem "${_source}" NAME_WE)
    set(_arg_NAME "compile_fail.${_stem}")
  endif()
  if(NOT _arg_TARGET)
    set(_arg_TARGET sessions)
  endif()
  # Checked at configure time too, so a malformed case fails early and loudly.
  file(STRINGS "${_source}" _first_line LIMIT_COUNT 1)
  if(NOT _first_line MATCHES "^// expect: (.+)$")
    message(FATAL_ERROR "${_source}: the first line must be `// expect: <text the compiler must print>`")
  endif()
  string(REPLACE ";" "|" _implicit "${CMAKE_CXX_IMPLICIT_INCLUDE_DIRECTORIES}")
  # $<TARGET_PROPERTY:...,INTERFACE_INCLUDE_DIRECTORIES> is evaluated transitively over the target's
  # INTERFACE_LINK_LIBRARIES, so the dependencies' include directories come along.
  add_test(NAME "${_arg_NAME}"
    COMMAND "${CMAKE_COMMAND}"
      "-DCOMPILER=${CMAKE_CXX_COMPILER}"
      "-DSOURCE=${_source}"
      "-DINCLUDES=$<JOIN:$<TARGET_PROPERTY:${_arg_TARGET},INTERFACE_INCLUDE_DIRECTORIES>,|>"
      "-DDEFINITIONS=$<JOIN:$<TARGET_PROPERTY:${_arg_TARGET},INTERFACE_COMPILE_DEFINITIONS>,|>"
      "-DIMPLICIT_INCLUDES=${_implicit}"
      -P "${CMAKE_CURRENT_FUNCTION_LIST_FILE}")
  set(_labels compile_fail ${_arg_LABELS})
  set_tests_properties("${_arg_NAME}" PROPERTIES LABELS "${_labels}")
endfunction()
