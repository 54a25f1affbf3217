# The HTTP library adapters (include/sessions/adapters/): test_adapters (tests/unit/adapters), a real
# cpp-httplib server and a real Boost.Beast server on free loopback ports, driven over HTTP by
# httplib::Client. Needs cpp-httplib (pkg-config cpp-httplib; Debian: libcpp-httplib-dev) and Boost
# (header-only Beast; Debian: libboost-dev), so the part is skipped by the generic loop of
# tests/CMakeLists.txt (SESSIONS_TEST_PARTS_WITH_OWN_REGISTRATION) and built here. Both are
# required: a missing library fails the configuration rather than skipping the tests.
# The POCO and Pistache adapters' files (poco.test.cpp, pistache.test.cpp) join the same program
# when SESSIONS_WITH_POCO / SESSIONS_WITH_PISTACHE are on (cmake/sessionsAdapters.cmake; CI sets
# both ON, so that a missing library fails there too).
include_guard(GLOBAL)

find_package(PkgConfig REQUIRED)
pkg_check_modules(sessions_test_httplib REQUIRED IMPORTED_TARGET cpp-httplib)
find_package(Boost 1.70 REQUIRED)

sessions_test_sources(adapters _sources)
set(_sessions_adapter_libs "")
foreach(_library IN ITEMS poco pistache)
  string(TOUPPER "${_library}" _upper)
  if(SESSIONS_WITH_${_upper})
    list(APPEND _sessions_adapter_libs sessions_adapter_${_library})
  else()
    list(FILTER _sources EXCLUDE REGEX "/unit/adapters/${_library}\\.test\\.cpp$")
  endif()
endforeach()
if(NOT _sources)
  return()
endif()
add_executable(test_adapters ${_sources} ${_sessions_catch_main})
target_include_directories(test_adapters PRIVATE "${CMAKE_CURRENT_SOURCE_DIR}")
target_link_libraries(test_adapters PRIVATE sessions::sessions sessions_project_options PkgConfig::sessions_test_httplib
  Boost::boost ${_sessions_adapter_libs} ${_sessions_catch_libs} Threads::Threads)
# POCO's pkg-config flags define _XOPEN_SOURCE, _LARGEFILE64_SOURCE, _REENTRANT, ..., with which
# the compilers refuse the shared precompiled header (built without them): this program has one
# of its own.
target_precompile_headers(test_adapters PRIVATE
  <nlohmann/json.hpp> "${CMAKE_CURRENT_SOURCE_DIR}/support/catch.hpp" <sessions/sessions.hpp>)
sessions_test_program(test_adapters)
add_test(NAME adapters COMMAND test_adapters ${SESSIONS_CATCH_ARGS})
set_tests_properties(adapters PROPERTIES LABELS "unit;adapters" TIMEOUT 120)
