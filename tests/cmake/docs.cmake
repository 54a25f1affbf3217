# The documentation, checked like code (label `docs`):
#
#   docs                     target: the API reference, Doxygen over include/sessions (docs/Doxyfile)
#                            -> <build>/docs/api/html/index.html
#   docs_doxygen             runs the same Doxygen and fails on any warning (bad \param names,
#                            unknown commands, unresolved references, ...), printing them
#   docs_snippets_in_guides  every ```cpp block of docs/*.md sits under a `<!-- snippet: FILE -->`
#                            marker and appears, line for line, in docs/snippets/FILE (FILE may
#                            also lead to compiled code elsewhere: ../../examples/...)
#   docs_snippet_<name>      docs/snippets/<name>.cpp, built with the project's warnings (-Werror
#                            in CI) as part of the build (all of them in one program,
#                            sessions_docs_snippets, below), then run: each snippet checks what the
#                            guide says it does and exits non-zero otherwise
#
# So a guide cannot show code that no longer compiles, or code that is not the code compiled.
# Snippets named sqlite_*.cpp / postgres_*.cpp need sessions::sqlite / sessions::postgres and are
# built with SESSIONS_WITH_SQLITE / SESSIONS_WITH_POSTGRES (CI turns both on); the PostgreSQL one
# runs inside tests/servers/postgres.sh. A missing Doxygen or Python makes the tests FAIL.
#
# Script mode (what docs_doxygen and the `docs` target run):
#   cmake -DDOXYGEN=<doxygen> -DSOURCE_DIR=<repository> -DOUTPUT_DIR=<dir> [-DFAIL_ON_WARNINGS=ON]
#         -P tests/cmake/docs.cmake

if(CMAKE_SCRIPT_MODE_FILE AND CMAKE_SCRIPT_MODE_FILE STREQUAL CMAKE_CURRENT_LIST_FILE)
  # ------------------------------------------------------------------------------ script mode
  cmake_minimum_required(VERSION 3.21)
  if(NOT DOXYGEN OR NOT EXISTS "${DOXYGEN}")
    message(FATAL_ERROR "Doxygen was not found (apt-get install doxygen), so the API reference cannot be built")
  endif()
  foreach(_var SOURCE_DIR OUTPUT_DIR)
    if(NOT DEFINED ${_var} OR "${${_var}}" STREQUAL "")
      message(FATAL_ERROR "docs.cmake: -D${_var}=... is required")
    endif()
  endforeach()
  # docs/Doxyfile, with the output moved into the build directory and the warnings into a file.
  # Later assignments win in a Doxyfile, so the repository's file stays the single source.
  file(MAKE_DIRECTORY "${OUTPUT_DIR}")
  set(_log "${OUTPUT_DIR}/doxygen-warnings.log")
  file(REMOVE "${_log}")
  file(READ "${SOURCE_DIR}/docs/Doxyfile" _config)
  string(APPEND _config "\nOUTPUT_DIRECTORY = \"${OUTPUT_DIR}\"\nWARN_LOGFILE = \"${_log}\"\n")
  file(WRITE "${OUTPUT_DIR}/Doxyfile.build" "${_config}")
  execute_process(COMMAND "${DOXYGEN}" "${OUTPUT_DIR}/Doxyfile.build"
    WORKING_DIRECTORY "${SOURCE_DIR}" RESULT_VARIABLE _result OUTPUT_VARIABLE _output ERROR_VARIABLE _output)
  if(NOT _result EQUAL 0)
    message(FATAL_ERROR "doxygen failed (${_result}):\n${_output}")
  endif()
  set(_warnings "")
  if(EXISTS "${_log}")
    file(READ "${_log}" _warnings)
    string(STRIP "${_warnings}" _warnings)
  endif()
  if(NOT _warnings STREQUAL "")
    string(REGEX MATCHALL "\n" _lines "\n${_warnings}")
    list(LENGTH _lines _count)
    if(FAIL_ON_WARNINGS)
      message(FATAL_ERROR "Doxygen emitted ${_count} warning line(s); fix the comments they name:\n${_warnings}")
    endif()
    message(WARNING "Doxygen emitted ${_count} warning line(s):\n${_warnings}")
  endif()
  message(STATUS "API reference: ${OUTPUT_DIR}/html/index.html")
  return()
endif()

# -------------------------------------------------------------------------------- project mode
include_guard(GLOBAL)
sessions_test_label_skipped(docs _sessions_docs_skipped)
if(_sessions_docs_skipped)
  return()
endif()

find_program(SESSIONS_DOXYGEN_EXECUTABLE doxygen)
set(_sessions_docs_output "${CMAKE_BINARY_DIR}/docs/api")
set(_sessions_docs_command "${CMAKE_COMMAND}" "-DDOXYGEN=${SESSIONS_DOXYGEN_EXECUTABLE}"
  "-DSOURCE_DIR=${PROJECT_SOURCE_DIR}" "-DOUTPUT_DIR=${_sessions_docs_output}")
if(NOT TARGET docs)
  add_custom_target(docs
    COMMAND ${_sessions_docs_command} -P "${CMAKE_CURRENT_LIST_FILE}"
    COMMENT "API reference (Doxygen) -> ${_sessions_docs_output}/html/index.html"
    VERBATIM)
endif()
add_test(NAME docs_doxygen
  COMMAND ${_sessions_docs_command} "-DOUTPUT_DIR=${CMAKE_CURRENT_BINARY_DIR}/docs_doxygen" -DFAIL_ON_WARNINGS=ON
    -P "${CMAKE_CURRENT_LIST_FILE}")
set_tests_properties(docs_doxygen PROPERTIES LABELS "docs" TIMEOUT 300)

# The guides' code blocks are the snippets' code.
find_package(Python3 COMPONENTS Interpreter)
if(Python3_Interpreter_FOUND)
  set(_sessions_docs_python "${Python3_EXECUTABLE}")
else()
  set(_sessions_docs_python python3)  # fails at test time with "not found", which is the point
endif()
add_test(NAME docs_snippets_in_guides
  COMMAND "${_sessions_docs_python}" "${PROJECT_SOURCE_DIR}/docs/snippets/check_snippets.py"
    "${PROJECT_SOURCE_DIR}/docs")
set_tests_properties(docs_snippets_in_guides PROPERTIES LABELS "docs")

# The sanitizer builds (tools/test.sh sanitize, tsan) do not run the `docs` tests: building the
# snippets there would only cost CI time.
if(SESSIONS_SANITIZE)
  return()
endif()

# The snippets: one program, sessions_docs_snippets, built with the project's warnings and run
# once per snippet (`sessions_docs_snippets <name> [arguments]`: the test docs_snippet_<name>). A
# snippet costs about 15 CPU seconds as a program of its own (most of it the library's templates,
# instantiated and compiled again in each, and loading the precompiled header), all of them
# together a little more than one: so one translation unit (docs_snippets.cpp, generated here) includes each snippet file,
# unchanged, inside a namespace of its own (docs_snippet_<name>), with its main() renamed, and a
# main() that runs the snippet named by its first argument. Every header a snippet includes is
# included once before, at file scope, so that its include inside the namespace adds nothing.
# (What a snippet forgot to include may thus come from another's includes, as from the precompiled
# header before; the guides' readers copy the snippet, and docs_snippets_in_guides checks the text.)
file(GLOB _sessions_docs_snippets CONFIGURE_DEPENDS "${PROJECT_SOURCE_DIR}/docs/snippets/*.cpp")
list(SORT _sessions_docs_snippets)
set(_sessions_docs_run_dir "${CMAKE_CURRENT_BINARY_DIR}/docs_snippets")
file(MAKE_DIRECTORY "${_sessions_docs_run_dir}")
set(_sessions_docs_libraries sessions::sessions)
set(_sessions_docs_includes "")
set(_sessions_docs_bodies "")
set(_sessions_docs_dispatch "")
set(_sessions_docs_tests "")
foreach(_snippet IN LISTS _sessions_docs_snippets)
  get_filename_component(_name "${_snippet}" NAME_WE)
  get_filename_component(_dir "${_snippet}" DIRECTORY)
  set(_command $<TARGET_FILE:sessions_docs_snippets> ${_name})
  if(_name MATCHES "^sqlite_")
    if(NOT SESSIONS_WITH_SQLITE)
      continue()
    endif()
    list(APPEND _sessions_docs_libraries sessions::sqlite)
    list(APPEND _command "${_sessions_docs_run_dir}/${_name}.sqlite3")
  elseif(_name MATCHES "^postgres_")
    if(NOT SESSIONS_WITH_POSTGRES)
      continue()
    endif()
    list(APPEND _sessions_docs_libraries sessions::postgres)
    # The harness exports SESSIONS_TEST_POSTGRES_URL, which the snippet reads.
    set(_command bash "${CMAKE_CURRENT_SOURCE_DIR}/servers/postgres.sh" run -- ${_command})
  endif()
  # Its includes, hoisted (a quoted one by its absolute path); configure again when it changes.
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS "${_snippet}")
  file(STRINGS "${_snippet}" _lines REGEX "^[ \t]*#[ \t]*include[ \t]*[<\"]")
  foreach(_line IN LISTS _lines)
    if(_line MATCHES "#[ \t]*include[ \t]*\"([^\"]+)\"")
      get_filename_component(_header "${_dir}/${CMAKE_MATCH_1}" ABSOLUTE)
      set(_include "#include \"${_header}\"")
    elseif(_line MATCHES "#[ \t]*include[ \t]*(<[^>]+>)")
      set(_include "#include ${CMAKE_MATCH_1}")
    endif()
    if(NOT _include IN_LIST _sessions_docs_includes)
      list(APPEND _sessions_docs_includes "${_include}")
    endif()
  endforeach()
  string(APPEND _sessions_docs_bodies "namespace docs_snippet_${_name} {\n#define main main_\n"
    "#include \"${_snippet}\"\n#undef main\n}  // namespace docs_snippet_${_name}\n\n")
  string(APPEND _sessions_docs_dispatch "  if (std::strcmp(argv[1], \"${_name}\") == 0) "
    "return run(docs_snippet_${_name}::main_, argc - 1, argv + 1);\n")
  list(APPEND _sessions_docs_tests ${_name})
  set(_sessions_docs_command_${_name} ${_command})
endforeach()

if(_sessions_docs_tests)
  string(REPLACE ";" "\n" _sessions_docs_includes "${_sessions_docs_includes}")
  set(_source "${CMAKE_CURRENT_BINARY_DIR}/docs_snippets.cpp")
  file(CONFIGURE OUTPUT "${_source}" @ONLY CONTENT [=[
// Generated by tests/cmake/docs.cmake: every snippet of docs/snippets/ in one program.
@_sessions_docs_includes@
#include <cstdio>
#include <cstring>
#include <type_traits>

@_sessions_docs_bodies@
namespace {

template <class Main>
int run(Main main_of_snippet, int argc, char** argv) {
  if constexpr (std::is_invocable_v<Main, int, char**>) {
    return main_of_snippet(argc, argv);
  } else {
    static_cast<void>(argc);
    static_cast<void>(argv);
    return main_of_snippet();
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fputs("usage: sessions_docs_snippets <snippet> [arguments]\n", stderr);
    return 2;
  }
@_sessions_docs_dispatch@
  std::fprintf(stderr, "sessions_docs_snippets: no snippet named %s\n", argv[1]);
  return 2;
}
]=])
  list(REMOVE_DUPLICATES _sessions_docs_libraries)
  add_executable(sessions_docs_snippets "${_source}")
  target_link_libraries(sessions_docs_snippets PRIVATE ${_sessions_docs_libraries} sessions_project_options Threads::Threads)
  sessions_test_pch(sessions_docs_snippets)
  foreach(_name IN LISTS _sessions_docs_tests)
    add_test(NAME docs_snippet_${_name} COMMAND ${_sessions_docs_command_${_name}}
      WORKING_DIRECTORY "${_sessions_docs_run_dir}")
    set_tests_properties(docs_snippet_${_name} PROPERTIES LABELS "docs" TIMEOUT 300)
  endforeach()
endif()
