# sessions_header_check: what the headers of include/sessions/ must pass beyond the tests, compiled
# with the project's warnings and whatever CMAKE_CXX_FLAGS say. Built by the `optimised` stage of
# tools/test.sh with -O2 -Werror under g++ and clang++: optimisation turns on the compilers' flow
# warnings (-Wmaybe-uninitialized, -Wrestrict, -Wstringop-*, ...), which the -O0/-O1 builds of the
# tests never see. Nothing is linked, nothing is run. Two parts:
#
# - One translation unit of the whole library (header_check/all_headers.cpp): every header, then
#   tests/header_check/instantiations.cpp, which instantiates every Session and Middleware the
#   library has policies for (templates are compiled only as far as they are used, so without it
#   the flow warnings would never look inside Session, its detail/ flows or the stores' members).
#   With g++ it is compiled with -fkeep-inline-functions, which emits every inline function, used
#   or not, so that those warnings look at all of them (clang has no such switch). One TU for both
#   purposes: the headers are parsed, and everything they and nlohmann_json define inline emitted,
#   once instead of twice (with g++ at -O2, 170 CPU seconds where the two TUs took 200).
#
# - With SESSIONS_HEADER_CHECK_EACH=ON, one TU per header that includes only that header: a header
#   that does not include what it uses fails here on its own. That is a question for the compiler's
#   front end (does it parse, do the names resolve), which neither the optimisation level nor the
#   code generator changes, so these TUs are compiled with -fsyntax-only (no object file; the flow
#   warnings of the code in them come from the whole-library TU). Nor does it depend on the
#   compiler much (both use libstdc++): the optimised stage checks it once, with clang++, whose
#   front end parses these files in less CPU time than g++'s.
#
# Enabled with -DSESSIONS_HEADER_CHECK=ON (top level only). A store's header gets its client
# library's include directories (all four stores are required), the adapters' headers those of
# cpp-httplib, Boost, POCO and Pistache (all required too).
include_guard(GLOBAL)

foreach(_store IN ITEMS sqlite postgres redis memcached poco pistache)
  string(TOUPPER "${_store}" _upper)
  if(NOT SESSIONS_WITH_${_upper})
    message(FATAL_ERROR "SESSIONS_HEADER_CHECK compiles every store's and adapter's header: it needs -DSESSIONS_WITH_${_upper}=ON")
  endif()
endforeach()
find_package(PkgConfig REQUIRED)
pkg_check_modules(sessions_check_httplib REQUIRED IMPORTED_TARGET cpp-httplib)
find_package(Boost 1.70 REQUIRED)
find_package(Threads REQUIRED)

set(_sessions_check_dir "${PROJECT_BINARY_DIR}/header_check")
file(GLOB_RECURSE _sessions_headers RELATIVE "${PROJECT_SOURCE_DIR}/include" CONFIGURE_DEPENDS
  "${PROJECT_SOURCE_DIR}/include/sessions/*.hpp")
list(SORT _sessions_headers)
option(SESSIONS_HEADER_CHECK_EACH "Header check: one translation unit per header (-fsyntax-only)" ON)
set(_sessions_check_sources "")
foreach(_header IN LISTS _sessions_headers)
  if(NOT SESSIONS_HEADER_CHECK_EACH)
    break()
  endif()
  string(REGEX REPLACE "[/.]" "_" _name "${_header}")
  set(_source "${_sessions_check_dir}/${_name}.cpp")
  file(CONFIGURE OUTPUT "${_source}" CONTENT "#include <${_header}>  // and nothing else: it must stand alone\n")
  list(APPEND _sessions_check_sources "${_source}")
endforeach()
# No object file comes out (ninja compiles them again at the next build; CI builds once, clean).
if(_sessions_check_sources)
  set_source_files_properties(${_sessions_check_sources} PROPERTIES COMPILE_OPTIONS -fsyntax-only)
endif()

set(_all "${_sessions_check_dir}/all_headers.cpp")
set(_content "// Every header of include/sessions/, then every Session instantiated (see cmake/sessionsHeaderCheck.cmake).\n")
foreach(_header IN LISTS _sessions_headers)
  string(APPEND _content "#include <${_header}>\n")
endforeach()
string(APPEND _content "\n#include \"${PROJECT_SOURCE_DIR}/tests/header_check/instantiations.cpp\"\n")
file(CONFIGURE OUTPUT "${_all}" CONTENT "${_content}")
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
  set_source_files_properties("${_all}" PROPERTIES COMPILE_OPTIONS -fkeep-inline-functions)
endif()

add_library(sessions_header_check OBJECT ${_sessions_check_sources} "${_all}")
target_link_libraries(sessions_header_check PRIVATE sessions::sessions sessions::sqlite sessions::postgres
  sessions::redis sessions::memcached PkgConfig::sessions_check_httplib Boost::boost sessions_adapter_poco
  sessions_adapter_pistache Threads::Threads
  sessions_project_options)
set_target_properties(sessions_header_check PROPERTIES UNITY_BUILD OFF)
list(LENGTH _sessions_headers _count)
list(LENGTH _sessions_check_sources _each)
message(STATUS "sessions: header check: the ${_count} headers in one translation unit, ${_each} of them "
  "alone (${CMAKE_CXX_COMPILER_ID}, CMAKE_CXX_FLAGS: ${CMAKE_CXX_FLAGS})")
