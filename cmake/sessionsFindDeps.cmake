# The one place that locates the library's dependencies, used by the build and installed next to
# the package config. Each dependency is looked up as a CMake package first and through
# pkg-config second, because Debian, vcpkg and conan name some of them differently.
#
# Including it finds the four core dependencies. The store client libraries are found only on
# request, by sessions_find_store_client(<store>) below (the installed sessionsConfig.cmake calls
# it for each requested component). The guard is per directory, not global: imported targets are
# directory-scoped, so a second find_package(sessions) in a sibling directory must look again.
include_guard(DIRECTORY)
include(CMakeFindDependencyMacro)

if(NOT TARGET nlohmann_json::nlohmann_json)
  find_dependency(nlohmann_json 3.10)
endif()
if(NOT TARGET OpenSSL::Crypto)
  find_dependency(OpenSSL)
endif()
if(NOT TARGET ZLIB::ZLIB)
  find_dependency(ZLIB)
endif()

# xxHash: a CMake config under vcpkg and conan (xxHash::xxhash), only libxxhash.pc on Debian.
# Whatever is found, it is wrapped in one imported target, sessions_deps::xxhash, which
# sessions::sessions links both in the build and when installed: a consumer whose xxHash is found
# another way than the build's still gets a working target. (An ALIAS would not do: install(EXPORT)
# writes the aliased name.)
if(NOT TARGET sessions_deps::xxhash)
  add_library(sessions_deps::xxhash INTERFACE IMPORTED)
  if(NOT TARGET xxHash::xxhash)
    find_package(xxHash CONFIG QUIET)
  endif()
  if(TARGET xxHash::xxhash)
    set_target_properties(sessions_deps::xxhash PROPERTIES INTERFACE_LINK_LIBRARIES xxHash::xxhash)
  else()
    if(NOT TARGET PkgConfig::sessions_xxhash)
      find_package(PkgConfig QUIET)
      if(PkgConfig_FOUND)
        pkg_check_modules(sessions_xxhash QUIET IMPORTED_TARGET GLOBAL libxxhash)
      endif()
    endif()
    if(TARGET PkgConfig::sessions_xxhash)
      set_target_properties(sessions_deps::xxhash PROPERTIES INTERFACE_LINK_LIBRARIES PkgConfig::sessions_xxhash)
    else()
      find_path(SESSIONS_XXHASH_INCLUDE_DIR xxhash.h)
      find_library(SESSIONS_XXHASH_LIBRARY xxhash)
      if(NOT SESSIONS_XXHASH_INCLUDE_DIR OR NOT SESSIONS_XXHASH_LIBRARY)
        set(${CMAKE_FIND_PACKAGE_NAME}_FOUND FALSE)
        set(${CMAKE_FIND_PACKAGE_NAME}_NOT_FOUND_MESSAGE "xxHash (libxxhash) was not found")
        message(FATAL_ERROR "sessions: xxHash (libxxhash) was not found")
      endif()
      set_target_properties(sessions_deps::xxhash PROPERTIES
        INTERFACE_INCLUDE_DIRECTORIES "${SESSIONS_XXHASH_INCLUDE_DIR}"
        INTERFACE_LINK_LIBRARIES "${SESSIONS_XXHASH_LIBRARY}")
    endif()
  endif()
endif()
set(SESSIONS_XXHASH_TARGET sessions_deps::xxhash)

# The stores with their own client library: CMake component / target sessions::<store>, pkg-config
# and meson sessions-<store>, header <sessions/storage/<store>.hpp>.
set(SESSIONS_STORES redis memcached sqlite postgres)
# <store>=<pkg-config name of its client library>: the Requires of sessions-<store>.pc, and the
# `_pc` of each store in sessions_find_store_client() (kept literal there, so that the function
# needs no variable of this file's scope).
set(SESSIONS_STORE_CLIENTS redis=hiredis memcached=libmemcached sqlite=sqlite3 postgres=libpq)

# sessions_find_store_client(<store>)
#
# Finds the client library of one store and sets, in the caller's scope, SESSIONS_<STORE>_TARGET to
# the target to link, or to "" when the library is not there, and SESSIONS_<STORE>_CLIENT to the
# library's pkg-config name (for messages). Never fails by itself: the caller decides whether a
# missing library is an error. Names tried (the same bridge as for xxHash):
#   redis      hiredis::hiredis (vcpkg, conan, hiredis >= 1.0)  | pkg-config hiredis (Debian 0.14)
#   memcached  libmemcached::libmemcached (libmemcached-awesome) | pkg-config libmemcached
# The names are those of vcpkg's ports (hiredis, libmemcached-awesome, libpq, sqlite3): hiredis
# installs share/hiredis/hiredis-config.cmake; libmemcached-awesome installs its package
# `libmemcached` (libmemcached-config.cmake) in share/libmemcached-awesome/, which
# find_package(libmemcached) finds because it searches <prefix>/share/<name>*/; libpq and sqlite3
# come through CMake's FindPostgreSQL and FindSQLite3, which their ports wrap to add the private
# libraries of a static build. Those configs carry a static library's own dependencies; the
# pkg-config fallback adds them (Libs.private, Requires.private) when what it found is an archive.
#   sqlite     SQLite::SQLite3 (CMake's FindSQLite3)            | pkg-config sqlite3
#   postgres   PostgreSQL::PostgreSQL (CMake's FindPostgreSQL)  | pkg-config libpq
function(sessions_find_store_client store)
  string(TOUPPER "${store}" _upper)
  if(store STREQUAL "redis")
    set(_target hiredis::hiredis)
    set(_pc hiredis)
    # Lower-case on purpose: Debian's old HiredisConfig.cmake defines no target.
    set(_find hiredis CONFIG)
  elseif(store STREQUAL "memcached")
    set(_target libmemcached::libmemcached)
    set(_pc libmemcached)
    set(_find libmemcached CONFIG)
  elseif(store STREQUAL "sqlite")
    set(_target SQLite::SQLite3)
    set(_pc sqlite3)
    set(_find SQLite3)
  elseif(store STREQUAL "postgres")
    set(_target PostgreSQL::PostgreSQL)
    set(_pc libpq)
    set(_find PostgreSQL)
  else()
    message(FATAL_ERROR "sessions_find_store_client: unknown store '${store}' (stores: redis memcached sqlite postgres)")
  endif()

  if(NOT TARGET ${_target})
    find_package(${_find} QUIET)
  endif()
  if(NOT TARGET ${_target})
    set(_target PkgConfig::sessions_${store}_client)
    if(NOT TARGET ${_target})
      find_package(PkgConfig QUIET)
      if(PkgConfig_FOUND)
        pkg_check_modules(sessions_${store}_client QUIET IMPORTED_TARGET GLOBAL ${_pc})
      endif()
      # Only an archive (a static triplet, a prefix without the .so) needs the private libraries.
      if(TARGET ${_target} AND sessions_${store}_client_LINK_LIBRARIES MATCHES "\\.a(;|$)")
        set_property(TARGET ${_target} APPEND PROPERTY
          INTERFACE_LINK_LIBRARIES ${sessions_${store}_client_STATIC_LDFLAGS})
      endif()
    endif()
  endif()
  set(SESSIONS_${_upper}_CLIENT ${_pc} PARENT_SCOPE)
  if(TARGET ${_target})
    set(SESSIONS_${_upper}_TARGET ${_target} PARENT_SCOPE)
  else()
    set(SESSIONS_${_upper}_TARGET "" PARENT_SCOPE)
  endif()
endfunction()
