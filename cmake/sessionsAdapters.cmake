# The HTTP libraries of the optional adapters (include/sessions/adapters/), for this project's tests
# and examples only: an adapter is a header, and a user's program links its HTTP library itself.
#
#   SESSIONS_WITH_POCO      POCO's Net library (CMake package Poco; Debian: libpoco-dev)
#   SESSIONS_WITH_PISTACHE  Pistache (pkg-config libpistache; Debian: libpistache-dev)
#
# Each as SESSIONS_WITH_<STORE>: AUTO (the default) builds the adapter's tests and example when the
# library is found, ON requires it (CI: a missing library fails the configuration instead of
# skipping tests), OFF leaves them out. After this file the variable is a plain ON or OFF, and
# sessions_adapter_poco / sessions_adapter_pistache are the targets to link when it is ON.
# (cpp-httplib and Boost.Beast, which the other adapters' tests need, stay required: see
# tests/cmake/adapters.cmake.)
include_guard(GLOBAL)

# _sessions_adapter_library(<name> <Debian package>): looks the library up as its option says.
function(_sessions_adapter_library name debian)
  string(TOUPPER "${name}" _upper)
  set(_option SESSIONS_WITH_${_upper})
  set(${_option} AUTO CACHE STRING
    "Build the tests and example of the ${name} adapter: AUTO (when the library is found), ON (required), OFF")
  set_property(CACHE ${_option} PROPERTY STRINGS AUTO ON OFF)
  string(TOUPPER "${${_option}}" _value)
  set(_found FALSE)
  set(_wanted FALSE)
  if(SESSIONS_BUILD_TESTS OR SESSIONS_BUILD_EXAMPLES OR SESSIONS_HEADER_CHECK)
    set(_wanted TRUE)
  endif()
  if(_wanted AND (_value STREQUAL "AUTO" OR ${_option}))
    if(name STREQUAL "poco")
      find_package(Poco QUIET COMPONENTS Net Foundation)
      if(TARGET Poco::Net)
        add_library(sessions_adapter_poco INTERFACE)
        target_link_libraries(sessions_adapter_poco INTERFACE Poco::Net Poco::Foundation)
        set(_found TRUE)
      endif()
    else()
      find_package(PkgConfig QUIET)
      if(PKG_CONFIG_FOUND)
        pkg_check_modules(sessions_pistache QUIET IMPORTED_TARGET libpistache)
      endif()
      if(TARGET PkgConfig::sessions_pistache)
        find_package(Threads REQUIRED)
        add_library(sessions_adapter_pistache INTERFACE)
        target_link_libraries(sessions_adapter_pistache INTERFACE PkgConfig::sessions_pistache Threads::Threads)
        set(_found TRUE)
      endif()
    endif()
  endif()
  if(_value STREQUAL "AUTO")
    if(NOT _found AND _wanted)
      message(STATUS "sessions: ${name} not found: the ${name} adapter's tests and example are not built (Debian: ${debian})")
    endif()
  elseif(${_option} AND NOT _found AND _wanted)
    message(FATAL_ERROR "sessions: ${_option} is ON but ${name} was not found (Debian: apt-get install ${debian}); "
      "-D${_option}=AUTO builds without it")
  endif()
  if(_found)
    set(${_option} ON PARENT_SCOPE)
  else()
    set(${_option} OFF PARENT_SCOPE)
  endif()
endfunction()

_sessions_adapter_library(poco libpoco-dev)
_sessions_adapter_library(pistache libpistache-dev)
