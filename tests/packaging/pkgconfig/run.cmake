# pkg-config consumer of the installed package (test packaging_pkgconfig):
#
#   cmake -DSTAGE=<prefix> -DWORK_DIR=<dir> -DCONSUMER_MAIN=<main.cpp> -DCXX=<c++>
#         -DPKG_CONFIG=<pkg-config> -DEXPECTED_VERSION=<x.y.z> -P run.cmake
#
# With PKG_CONFIG_PATH=<prefix>/share/pkgconfig only (as a user of the prefix would set it):
#   1. every installed .pc file passes `pkg-config --validate`;
#   2. --modversion is version.hpp's, the Cflags name the prefix's include/ (relocatable .pc), and
#      each sessions-<store> module resolves to its client library when that library's own .pc is
#      installed on this machine;
#   3. the consumer is compiled with `c++ -std=c++20 main.cpp $(pkg-config --cflags --libs sessions
#      sessions-sqlite)` (its SQLite variant) and run.
cmake_minimum_required(VERSION 3.21)

foreach(_var IN ITEMS STAGE WORK_DIR CONSUMER_MAIN CXX PKG_CONFIG EXPECTED_VERSION)
  if(NOT DEFINED ${_var} OR "${${_var}}" STREQUAL "")
    message(FATAL_ERROR "run.cmake: -D${_var}=... is required")
  endif()
endforeach()

set(_pcdir "${STAGE}/share/pkgconfig")
set(ENV{PKG_CONFIG_PATH} "${_pcdir}")

function(pc out)
  execute_process(COMMAND "${PKG_CONFIG}" ${ARGN} RESULT_VARIABLE _rc OUTPUT_VARIABLE _out ERROR_VARIABLE _err
    OUTPUT_STRIP_TRAILING_WHITESPACE)
  if(NOT _rc EQUAL 0)
    string(REPLACE ";" " " _args "${ARGN}")
    message(FATAL_ERROR "pkg-config ${_args} failed:\n${_out}${_err}")
  endif()
  set(${out} "${_out}" PARENT_SCOPE)
endfunction()

# 1. --validate each installed module.
file(GLOB _pc_files "${_pcdir}/*.pc")
if(NOT _pc_files)
  message(FATAL_ERROR "no .pc file in ${_pcdir}")
endif()
set(_modules "")
foreach(_file IN LISTS _pc_files)
  get_filename_component(_module "${_file}" NAME_WE)
  pc(_ignored --validate "${_module}")
  list(APPEND _modules "${_module}")
endforeach()
message(STATUS "valid: ${_modules}")
foreach(_required IN ITEMS sessions sessions-redis sessions-memcached sessions-sqlite sessions-postgres)
  if(NOT _required IN_LIST _modules)
    message(FATAL_ERROR "${_pcdir}/${_required}.pc was not installed")
  endif()
endforeach()

# 2. What the modules say.
pc(_version --modversion sessions)
if(NOT _version STREQUAL EXPECTED_VERSION)
  message(FATAL_ERROR "pkg-config --modversion sessions is '${_version}', version.hpp says ${EXPECTED_VERSION}")
endif()
pc(_cflags --cflags-only-I sessions)
set(_found_include FALSE)
separate_arguments(_cflags_list UNIX_COMMAND "${_cflags}")
file(REAL_PATH "${STAGE}/include" _stage_include)
foreach(_flag IN LISTS _cflags_list)
  if(_flag MATCHES "^-I(.+)$")
    file(REAL_PATH "${CMAKE_MATCH_1}" _dir)
    if(_dir STREQUAL _stage_include AND EXISTS "${_dir}/sessions/sessions.hpp")
      set(_found_include TRUE)
    endif()
  endif()
endforeach()
if(NOT _found_include)
  message(FATAL_ERROR "pkg-config --cflags sessions does not point at ${STAGE}/include: ${_cflags}")
endif()
foreach(_pair IN ITEMS redis=hiredis:-lhiredis memcached=libmemcached:-lmemcached sqlite=sqlite3:-lsqlite3
                       postgres=libpq:-lpq)
  string(REGEX MATCH "^([a-z]+)=([a-z0-9]+):(.+)$" _ "${_pair}")
  set(_store "${CMAKE_MATCH_1}")
  set(_client "${CMAKE_MATCH_2}")
  set(_flag "${CMAKE_MATCH_3}")
  execute_process(COMMAND "${PKG_CONFIG}" --exists "${_client}" RESULT_VARIABLE _rc)
  if(NOT _rc EQUAL 0)
    message(STATUS "sessions-${_store}: not resolved (${_client}.pc is not installed here)")
    continue()
  endif()
  pc(_libs --libs "sessions-${_store}")
  string(FIND " ${_libs} " " ${_flag} " _at)
  if(_at EQUAL -1)
    message(FATAL_ERROR "pkg-config --libs sessions-${_store} lacks ${_flag}: ${_libs}")
  endif()
  message(STATUS "sessions-${_store}: ${_libs}")
endforeach()

# 3. Compile and run the consumer.
file(REMOVE_RECURSE "${WORK_DIR}")
file(MAKE_DIRECTORY "${WORK_DIR}")
pc(_flags --cflags --libs sessions sessions-sqlite)
separate_arguments(_flags UNIX_COMMAND "${_flags}")
set(_compile "${CXX}" -std=c++20 -DSESSIONS_CONSUMER_SQLITE "${CONSUMER_MAIN}" ${_flags} -o "${WORK_DIR}/consumer")
string(REPLACE ";" " " _shown "${_compile}")
message(STATUS "${_shown}")
execute_process(COMMAND ${_compile} RESULT_VARIABLE _rc)
if(NOT _rc EQUAL 0)
  message(FATAL_ERROR "the consumer did not compile with pkg-config's flags")
endif()
execute_process(COMMAND "${WORK_DIR}/consumer" WORKING_DIRECTORY "${WORK_DIR}"
  RESULT_VARIABLE _rc OUTPUT_VARIABLE _out ERROR_VARIABLE _out)
message(STATUS "consumer output:\n${_out}")
if(NOT _rc EQUAL 0 OR NOT _out MATCHES "(^|\n)ok ")
  message(FATAL_ERROR "the consumer failed (exit code ${_rc})")
endif()
