# Driver of the meson consumer (test packaging_meson_subproject):
#
#   cmake -DSOURCE_DIR=<repo> -DWORK_DIR=<dir> -DMESON=<meson> -DCXX=<c++> [-DSTAGE=<prefix>] -P run.cmake
#
# 1. <dir>/src = this directory's meson.build + tests/packaging/consumer/main.cpp, with
#    subprojects/sessions a symbolic link to the repository (a copy where links are not possible);
# 2. meson setup (the subproject is forced, and its store option sqlite enabled), compile, run;
# 3. with STAGE (the CMake install of the packaging_install fixture): the .pc files meson generated
#    for the subproject must be identical to the ones CMake installed.
cmake_minimum_required(VERSION 3.21)

foreach(_var IN ITEMS SOURCE_DIR WORK_DIR MESON CXX)
  if(NOT DEFINED ${_var} OR "${${_var}}" STREQUAL "")
    message(FATAL_ERROR "run.cmake: -D${_var}=... is required")
  endif()
endforeach()

set(_src "${WORK_DIR}/src")
set(_build "${WORK_DIR}/build")
file(REMOVE_RECURSE "${WORK_DIR}")
file(MAKE_DIRECTORY "${_src}/subprojects")
file(COPY "${CMAKE_CURRENT_LIST_DIR}/meson.build" "${SOURCE_DIR}/tests/packaging/consumer/main.cpp"
  DESTINATION "${_src}")
file(CREATE_LINK "${SOURCE_DIR}" "${_src}/subprojects/sessions" SYMBOLIC COPY_ON_ERROR RESULT _link)
if(NOT _link EQUAL 0)
  message(FATAL_ERROR "cannot link ${SOURCE_DIR} into ${_src}/subprojects: ${_link}")
endif()

function(run)
  string(REPLACE ";" " " _shown "${ARGN}")
  message(STATUS "${_shown}")
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE _rc)
  if(NOT _rc EQUAL 0)
    message(FATAL_ERROR "failed (exit code ${_rc}): ${_shown}")
  endif()
endfunction()

set(ENV{CXX} "${CXX}")
run("${MESON}" setup "${_build}" "${_src}" --force-fallback-for=sessions,sessions-sqlite
  -Dsessions:sqlite=enabled)
run("${MESON}" compile -C "${_build}")
execute_process(COMMAND "${_build}/consumer" WORKING_DIRECTORY "${_build}"
  RESULT_VARIABLE _rc OUTPUT_VARIABLE _out ERROR_VARIABLE _out)
message(STATUS "consumer output:\n${_out}")
if(NOT _rc EQUAL 0 OR NOT _out MATCHES "(^|\n)ok ")
  message(FATAL_ERROR "the consumer failed (exit code ${_rc})")
endif()

if(STAGE)
  file(GLOB _installed RELATIVE "${STAGE}/share/pkgconfig" "${STAGE}/share/pkgconfig/*.pc")
  file(GLOB _generated RELATIVE "${_build}/subprojects/sessions" "${_build}/subprojects/sessions/*.pc")
  list(SORT _installed)
  list(SORT _generated)
  if(NOT _installed STREQUAL _generated)
    message(FATAL_ERROR "CMake installs [${_installed}], meson generates [${_generated}]")
  endif()
  foreach(_name IN LISTS _installed)
    file(READ "${STAGE}/share/pkgconfig/${_name}" _a)
    file(READ "${_build}/subprojects/sessions/${_name}" _b)
    if(NOT _a STREQUAL _b)
      message(FATAL_ERROR "${_name} differs between the CMake install and meson:\n"
        "---- CMake ----\n${_a}---- meson ----\n${_b}")
    endif()
  endforeach()
  message(STATUS "pkg-config files identical in CMake and meson: ${_installed}")
endif()
