# The setup of the packaging tests (CTest fixture `sessions_stage`): configure the library the way
# the vcpkg port does and install it into a staging prefix, which the consumers then use.
#
#   cmake -DSOURCE_DIR=<repo> -DBUILD_DIR=<dir> -DSTAGE=<prefix> -DGENERATOR=<generator>
#         [-DMAKE_PROGRAM=<ninja>] [-DCXX_COMPILER=<c++>] -P install.cmake
#
# The configure options are read from packaging/vcpkg/sessions/portfile.cmake (the -D arguments of
# its vcpkg_cmake_configure call), so this emulation cannot drift from the port. As in vcpkg, the
# build is release-only and `cmake --build --target install` does the install. Both directories are
# deleted first: the stage holds exactly what one install produces.
cmake_minimum_required(VERSION 3.21)

foreach(_var IN ITEMS SOURCE_DIR BUILD_DIR STAGE GENERATOR)
  if(NOT DEFINED ${_var} OR "${${_var}}" STREQUAL "")
    message(FATAL_ERROR "install.cmake: -D${_var}=... is required")
  endif()
endforeach()

set(_portfile "${SOURCE_DIR}/packaging/vcpkg/sessions/portfile.cmake")
file(READ "${_portfile}" _port)
if(NOT _port MATCHES "vcpkg_cmake_configure\\(([^)]*)\\)")
  message(FATAL_ERROR "${_portfile}: no vcpkg_cmake_configure(...) call")
endif()
string(REGEX MATCHALL "-D[A-Za-z0-9_]+=[A-Za-z0-9_]+" _port_options "${CMAKE_MATCH_1}")
if(NOT _port_options)
  message(FATAL_ERROR "${_portfile}: vcpkg_cmake_configure passes no -D options")
endif()
message(STATUS "options of the vcpkg port: ${_port_options}")

file(REMOVE_RECURSE "${BUILD_DIR}" "${STAGE}")

set(_configure "${CMAKE_COMMAND}" -S "${SOURCE_DIR}" -B "${BUILD_DIR}" -G "${GENERATOR}"
  -DCMAKE_BUILD_TYPE=Release "-DCMAKE_INSTALL_PREFIX=${STAGE}" ${_port_options})
if(MAKE_PROGRAM)
  list(APPEND _configure "-DCMAKE_MAKE_PROGRAM=${MAKE_PROGRAM}")
endif()
if(CXX_COMPILER)
  list(APPEND _configure "-DCMAKE_CXX_COMPILER=${CXX_COMPILER}")
endif()
execute_process(COMMAND ${_configure} RESULT_VARIABLE _rc)
if(NOT _rc EQUAL 0)
  message(FATAL_ERROR "configuring the library as the vcpkg port does failed")
endif()

# With tests and examples off, only the four core dependencies may be looked for: a port must
# resolve its dependencies in exactly one way, so nothing optional may be auto-detected.
file(STRINGS "${BUILD_DIR}/CMakeCache.txt" _optional
  REGEX "^(SQLite3_|PostgreSQL_|hiredis_|Hiredis_|libmemcached_|pkgcfg_lib_sessions_[a-z]+_client|Catch2_|httplib_)")
if(_optional)
  string(REPLACE ";" "\n  " _optional "${_optional}")
  message(FATAL_ERROR "the configuration with the port's options looked for optional libraries:\n  ${_optional}")
endif()

execute_process(COMMAND "${CMAKE_COMMAND}" --build "${BUILD_DIR}" --target install RESULT_VARIABLE _rc)
if(NOT _rc EQUAL 0)
  message(FATAL_ERROR "`cmake --build ${BUILD_DIR} --target install` failed")
endif()
if(NOT EXISTS "${STAGE}/share/cmake/sessions/sessionsConfig.cmake")
  message(FATAL_ERROR "the install put no share/cmake/sessions/sessionsConfig.cmake into ${STAGE}")
endif()
message(STATUS "installed into ${STAGE}")
