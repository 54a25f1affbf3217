# The SQL stores' targets in the build tree (the installed package has its own, see
# sessionsInstall.cmake). A store with a client library gets its own INTERFACE target, so that the
# core target never drags a database client into a program that does not use it:
#
#   sessions::sqlite     sessions::sessions + libsqlite3  (<sessions/storage/sqlite.hpp>)
#   sessions::postgres   sessions::sessions + libpq       (<sessions/storage/postgres.hpp>)
#
# SESSIONS_WITH_SQLITE / SESSIONS_WITH_POSTGRES (default OFF) only decide whether this project's
# tests and examples of those stores are built; with an option ON its client library is required.
# With it OFF the library is still looked for, quietly, when sessions is not the top-level project,
# so that a parent project (add_subdirectory, FetchContent) can link sessions::sqlite /
# sessions::postgres whenever the library is installed;
# if it is not, CMake stops at generation time naming the missing target of that one program.
include_guard(GLOBAL)

option(SESSIONS_WITH_SQLITE "Build the tests and examples of SqliteStore (requires libsqlite3)" OFF)
option(SESSIONS_WITH_POSTGRES "Build the tests and examples of PostgresStore (requires libpq)" OFF)

# _sessions_store_target(<store> <option> <fallback target> <find_package name>)
function(_sessions_store_target store option fallback package)
  string(TOUPPER "${store}" _upper)
  if(NOT ${option} AND PROJECT_IS_TOP_LEVEL)
    # Top level with the option OFF (e.g. the vcpkg port's configuration): nothing optional is
    # looked for; the quiet lookup below is for parent projects only.
    set(_target "")
  elseif(COMMAND sessions_find_store_client)  # sessionsFindDeps.cmake: CMake package, then pkg-config
    sessions_find_store_client(${store})
    set(_target "${SESSIONS_${_upper}_TARGET}")
  else()
    if(NOT TARGET ${fallback})
      find_package(${package} QUIET)
    endif()
    set(_target "")
    if(TARGET ${fallback})
      set(_target ${fallback})
    endif()
  endif()
  if(NOT _target)
    if(${option})
      message(FATAL_ERROR "sessions: ${option} is ON but the client library of the ${store} store was not found "
        "(Debian: apt-get install ${ARGN})")
    endif()
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

# The cache stores, the same way (their tests: tests/cmake/cache_stores.cmake):
#   sessions::redis      sessions::sessions + hiredis        (<sessions/storage/redis.hpp>)
#   sessions::memcached  sessions::sessions + libmemcached   (<sessions/storage/memcached.hpp>)
# CachedStore (<sessions/storage/cached.hpp>) needs no library of its own: its cache and persistent
# stores bring theirs.
option(SESSIONS_WITH_REDIS "Build the tests and examples of RedisStore (requires hiredis)" OFF)
option(SESSIONS_WITH_MEMCACHED "Build the tests and examples of MemcachedStore (requires libmemcached)" OFF)
_sessions_store_target(redis SESSIONS_WITH_REDIS hiredis::hiredis hiredis libhiredis-dev)
_sessions_store_target(memcached SESSIONS_WITH_MEMCACHED libmemcached::libmemcached libmemcached libmemcached-dev)
# tests/unit/{redis,memcached,cached}: built by tests/cmake/cache_stores.cmake (client libraries,
# server harnesses); `cached` is built there even with both options OFF (against MemoryStore).
list(APPEND SESSIONS_TEST_PARTS_WITH_OWN_REGISTRATION redis memcached cached)
# tests/unit/adapters needs cpp-httplib and Boost.Beast: built by tests/cmake/adapters.cmake.
list(APPEND SESSIONS_TEST_PARTS_WITH_OWN_REGISTRATION adapters)
