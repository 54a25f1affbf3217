# The stores' targets in the build tree (the installed package has its own, see
# sessionsInstall.cmake). A store with a client library gets its own INTERFACE target, so that the
# core target never drags a database client into a program that does not use it:
#
#   sessions::sqlite     sessions::sessions + libsqlite3    (<sessions/storage/sqlite.hpp>)
#   sessions::postgres   sessions::sessions + libpq         (<sessions/storage/postgres.hpp>)
#   sessions::redis      sessions::sessions + hiredis       (<sessions/storage/redis.hpp>)
#   sessions::memcached  sessions::sessions + libmemcached  (<sessions/storage/memcached.hpp>)
#
# SESSIONS_WITH_<STORE> decides whether this project's tests and examples of that store are built:
#   AUTO (the default)  on when the client library is found, off with a one-line message when not;
#   ON                  required: configuring fails when the client library is missing;
#   OFF                 not built, and the library is not looked for.
# After this file the variable is a plain ON or OFF (a normal variable over the cache entry), so
# that `if(SESSIONS_WITH_SQLITE)` means "built" everywhere below.
#
# Nothing optional is looked for at the top level when neither tests nor examples are built (the
# vcpkg port's configuration: a port resolves its dependencies in exactly one way). When sessions
# is not the top-level project, the libraries are looked for quietly whatever the options say, so
# that a parent project (add_subdirectory, FetchContent) can link sessions::<store> whenever the
# library is installed; if it is not, CMake stops at generation time naming the missing target of
# that one program.
include_guard(GLOBAL)

# _sessions_store_target(<store> <option> <fallback target> <find_package name> <Debian package>)
function(_sessions_store_target store option fallback package debian)
  string(TOUPPER "${store}" _upper)
  set(SESSIONS_WITH_${_upper} AUTO CACHE STRING
    "Build the tests and examples of the ${store} store: AUTO (when its client library is found), ON (required), OFF")
  set_property(CACHE SESSIONS_WITH_${_upper} PROPERTY STRINGS AUTO ON OFF)
  string(TOUPPER "${${option}}" _value)
  set(_builds_programs FALSE)
  if(SESSIONS_BUILD_TESTS OR SESSIONS_BUILD_EXAMPLES)
    set(_builds_programs TRUE)
  endif()
  set(_required FALSE)
  if(_value STREQUAL "AUTO")
    set(_look ${_builds_programs})
  elseif(${option})
    set(_required TRUE)
    set(_look TRUE)
  else()
    set(_look FALSE)
  endif()
  if(NOT PROJECT_IS_TOP_LEVEL)
    set(_look TRUE)
  endif()

  set(_target "")
  set(_client "${package}")
  if(_look)
    if(COMMAND sessions_find_store_client)  # sessionsFindDeps.cmake: CMake package, then pkg-config
      sessions_find_store_client(${store})
      set(_target "${SESSIONS_${_upper}_TARGET}")
      set(_client "${SESSIONS_${_upper}_CLIENT}")
    else()
      if(NOT TARGET ${fallback})
        find_package(${package} QUIET)
      endif()
      if(TARGET ${fallback})
        set(_target ${fallback})
      endif()
    endif()
  endif()

  if(_required AND NOT _target)
    message(FATAL_ERROR "sessions: ${option} is ON but the client library of the ${store} store (${_client}) was "
      "not found (Debian: apt-get install ${debian}); -D${option}=AUTO builds without it")
  endif()
  if(_value STREQUAL "AUTO")
    if(_target AND _builds_programs)
      set(_built ON)
    else()
      set(_built OFF)
      if(_builds_programs)
        message(STATUS "sessions: ${_client} not found: the ${store} store's tests and examples are not built "
          "(Debian: ${debian})")
      endif()
    endif()
  elseif(_required)
    set(_built ON)
  else()
    set(_built OFF)
  endif()
  set(${option} ${_built} PARENT_SCOPE)

  if(NOT _target)
    set(_target ${fallback})  # a clear "target not found" error for whoever links it
  endif()
  add_library(sessions_${store} INTERFACE)
  add_library(sessions::${store} ALIAS sessions_${store})
  target_link_libraries(sessions_${store} INTERFACE sessions::sessions ${_target})
endfunction()

_sessions_store_target(sqlite SESSIONS_WITH_SQLITE SQLite::SQLite3 SQLite3 libsqlite3-dev)
_sessions_store_target(postgres SESSIONS_WITH_POSTGRES PostgreSQL::PostgreSQL PostgreSQL libpq-dev)

# tests/unit/sqlite and tests/unit/postgres are built by tests/cmake/sql_stores.cmake (with their
# client library and, for postgres, the server harness), not by the generic loop of tests/.
list(APPEND SESSIONS_TEST_PARTS_WITH_OWN_REGISTRATION sqlite postgres)

# The cache stores, the same way (their tests: tests/cmake/cache_stores.cmake).
# CachedStore (<sessions/storage/cached.hpp>) needs no library of its own: its cache and persistent
# stores bring theirs.
_sessions_store_target(redis SESSIONS_WITH_REDIS hiredis::hiredis hiredis libhiredis-dev)
_sessions_store_target(memcached SESSIONS_WITH_MEMCACHED libmemcached::libmemcached libmemcached libmemcached-dev)
# tests/unit/{redis,memcached,cached}: built by tests/cmake/cache_stores.cmake (client libraries,
# server harnesses); `cached` is built there even with both options OFF (against MemoryStore).
list(APPEND SESSIONS_TEST_PARTS_WITH_OWN_REGISTRATION redis memcached cached)
# tests/unit/adapters needs cpp-httplib and Boost.Beast: built by tests/cmake/adapters.cmake.
list(APPEND SESSIONS_TEST_PARTS_WITH_OWN_REGISTRATION adapters)
