# packaging_readme_install: the README's install commands, exactly as written, on a fresh copy of
# the source tree, then a find_package() consumer built against what they installed.
#
#   cmake -DSOURCE_DIR=<repo> -DWORK_DIR=<dir> -DCONSUMER_MAIN=<tests/packaging/consumer/main.cpp>
#         [-DCXX=<c++>] [-DGENERATOR=<generator>] [-DMAKE_PROGRAM=<ninja>] -P run.cmake
#
# The commands are every ```sh block of README.md's "## Installation" section, read from the README
# itself so that the documentation and this test cannot drift. Each block runs, one line at a time
# through `sh -c`, in its own fresh copy of the source tree (the files git knows, as a clone has
# them; the whole tree minus build directories without git), with its install prefix
# (/opt/sessions in the README) replaced by a directory of WORK_DIR. After each block the prefix
# must hold the package, and `bin/sessionctl` exactly when the block asked for it; then
# readme_install/CMakeLists.txt is configured with CMAKE_PREFIX_PATH=<prefix>, built and run (or,
# when the prefix's include/ and share/ equal an earlier block's file for file, that block's
# consumer stands for it).
cmake_minimum_required(VERSION 3.21)

foreach(_var IN ITEMS SOURCE_DIR WORK_DIR CONSUMER_MAIN)
  if(NOT DEFINED ${_var} OR "${${_var}}" STREQUAL "")
    message(FATAL_ERROR "readme_install/run.cmake: -D${_var}=... is required")
  endif()
endforeach()

# ---------------------------------------------------------------------- the README's commands
file(READ "${SOURCE_DIR}/README.md" _readme)
string(FIND "${_readme}" "\n## Installation\n" _start)
if(_start EQUAL -1)
  message(FATAL_ERROR "README.md has no '## Installation' section")
endif()
string(SUBSTRING "${_readme}" ${_start} -1 _section)
string(SUBSTRING "${_section}" 1 -1 _rest)
string(FIND "${_rest}" "\n## " _end)
if(NOT _end EQUAL -1)
  string(SUBSTRING "${_rest}" 0 ${_end} _section)
endif()
string(REPLACE ";" "\\;" _section "${_section}")
string(REPLACE "\n" ";" _lines "${_section}")

set(_blocks "")  # block i: variable _block_<i>, a list of command lines
set(_count 0)
set(_in_block FALSE)
foreach(_line IN LISTS _lines)
  string(STRIP "${_line}" _stripped)
  if(NOT _in_block AND _stripped STREQUAL "```sh")
    set(_in_block TRUE)
    math(EXPR _count "${_count} + 1")
    set(_block_${_count} "")
  elseif(_in_block AND _stripped STREQUAL "```")
    set(_in_block FALSE)
  elseif(_in_block AND NOT _stripped STREQUAL "")
    list(APPEND _block_${_count} "${_stripped}")
  endif()
endforeach()
if(_count EQUAL 0)
  message(FATAL_ERROR "README.md's Installation section has no ```sh block of install commands")
endif()

# ------------------------------------------------------------------------- a fresh source tree
function(_fresh_copy destination)
  file(REMOVE_RECURSE "${destination}")
  file(MAKE_DIRECTORY "${destination}")
  find_program(_git git)
  set(_files "")
  if(_git)
    execute_process(COMMAND "${_git}" -C "${SOURCE_DIR}" ls-files --cached --others --exclude-standard
      RESULT_VARIABLE _rc OUTPUT_VARIABLE _out ERROR_QUIET)
    if(_rc EQUAL 0)
      string(REPLACE ";" "\\;" _out "${_out}")
      string(REPLACE "\n" ";" _files "${_out}")
    else()
      set(_files "")
    endif()
  endif()
  if(_files)
    foreach(_file IN LISTS _files)
      if(_file STREQUAL "" OR NOT EXISTS "${SOURCE_DIR}/${_file}")  # deleted but not committed
        continue()
      endif()
      get_filename_component(_dir "${destination}/${_file}" DIRECTORY)
      file(COPY "${SOURCE_DIR}/${_file}" DESTINATION "${_dir}")
    endforeach()
  else()
    file(GLOB _entries RELATIVE "${SOURCE_DIR}" "${SOURCE_DIR}/*" "${SOURCE_DIR}/.*")
    foreach(_entry IN LISTS _entries)
      if(_entry MATCHES "^(\\.git|build.*)$" OR EXISTS "${SOURCE_DIR}/${_entry}/CMakeCache.txt")
        continue()
      endif()
      file(COPY "${SOURCE_DIR}/${_entry}" DESTINATION "${destination}")
    endforeach()
  endif()
endfunction()

function(_run what)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE _rc)
  if(NOT _rc EQUAL 0)
    message(FATAL_ERROR "${what} failed (exit code ${_rc})")
  endif()
endfunction()

file(REMOVE_RECURSE "${WORK_DIR}")
set(_consumed "")  # the blocks whose consumer was built
foreach(_i RANGE 1 ${_count})
  set(_source "${WORK_DIR}/block${_i}/source")
  set(_prefix "${WORK_DIR}/block${_i}/prefix")
  _fresh_copy("${_source}")
  set(_expect_sessionctl FALSE)
  foreach(_command IN LISTS _block_${_i})
    if(_command MATCHES "SESSIONS_INSTALL_SESSIONCTL=ON")
      set(_expect_sessionctl TRUE)
    endif()
    string(REPLACE "/opt/sessions" "${_prefix}" _command "${_command}")
    message(STATUS "README block ${_i}: ${_command}")
    execute_process(COMMAND sh -c "${_command}" WORKING_DIRECTORY "${_source}" RESULT_VARIABLE _rc
      OUTPUT_VARIABLE _out ERROR_VARIABLE _out)
    if(NOT _rc EQUAL 0)
      message(FATAL_ERROR "README.md's install command failed (exit code ${_rc}) in a fresh copy of the source tree:\n"
        "  ${_command}\n---- output ----\n${_out}")
    endif()
  endforeach()

  foreach(_file IN ITEMS share/cmake/sessions/sessionsConfig.cmake include/sessions/sessions.hpp
                         share/pkgconfig/sessions.pc)
    if(NOT EXISTS "${_prefix}/${_file}")
      message(FATAL_ERROR "README block ${_i} installed no ${_file}")
    endif()
  endforeach()
  if(_expect_sessionctl)
    _run("bin/sessionctl as installed by README block ${_i}" "${_prefix}/bin/sessionctl" --help)
  elseif(EXISTS "${_prefix}/bin")
    message(FATAL_ERROR "README block ${_i} installed bin/ although sessionctl was not asked for")
  endif()

  # A consumer of that prefix, built as its users build it. A prefix whose include/ and share/ hold
  # the same files, byte for byte, as an earlier block's (the sessionctl block adds only bin/) would
  # give the same consumer from the same inputs (the package files are relocatable): it is compared
  # instead of built again, which is a configure and a compilation of the whole library less.
  set(_same_as "")
  foreach(_earlier IN LISTS _consumed)
    set(_equal TRUE)
    foreach(_tree IN ITEMS include share)
      file(GLOB_RECURSE _here RELATIVE "${_prefix}/${_tree}" "${_prefix}/${_tree}/*")
      file(GLOB_RECURSE _there RELATIVE "${WORK_DIR}/block${_earlier}/prefix/${_tree}"
        "${WORK_DIR}/block${_earlier}/prefix/${_tree}/*")
      list(SORT _here)
      list(SORT _there)
      if(NOT _here STREQUAL _there)
        set(_equal FALSE)
        break()
      endif()
      foreach(_file IN LISTS _here)
        file(SHA256 "${_prefix}/${_tree}/${_file}" _a)
        file(SHA256 "${WORK_DIR}/block${_earlier}/prefix/${_tree}/${_file}" _b)
        if(NOT _a STREQUAL _b)
          set(_equal FALSE)
          break()
        endif()
      endforeach()
      if(NOT _equal)
        break()
      endif()
    endforeach()
    if(_equal)
      set(_same_as ${_earlier})
      break()
    endif()
  endforeach()
  if(_same_as)
    message(STATUS "README block ${_i}: installed include/ and share/ identical to block ${_same_as}'s, "
      "whose consumer was built and run")
    continue()
  endif()
  list(APPEND _consumed ${_i})
  set(_consumer "${WORK_DIR}/block${_i}/consumer")
  set(_configure "${CMAKE_COMMAND}" -S "${CMAKE_CURRENT_LIST_DIR}" -B "${_consumer}"
    "-DCMAKE_PREFIX_PATH=${_prefix}" "-DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF" "-DSESSIONS_CONSUMER_MAIN=${CONSUMER_MAIN}")
  if(GENERATOR)
    list(APPEND _configure -G "${GENERATOR}")
  endif()
  if(MAKE_PROGRAM)
    list(APPEND _configure "-DCMAKE_MAKE_PROGRAM=${MAKE_PROGRAM}")
  endif()
  if(CXX)
    list(APPEND _configure "-DCMAKE_CXX_COMPILER=${CXX}")
  endif()
  _run("configuring the find_package consumer of README block ${_i}" ${_configure})
  _run("building the find_package consumer of README block ${_i}" "${CMAKE_COMMAND}" --build "${_consumer}")
  execute_process(COMMAND "${_consumer}/readme_consumer" WORKING_DIRECTORY "${_consumer}"
    RESULT_VARIABLE _rc OUTPUT_VARIABLE _out ERROR_VARIABLE _out)
  if(NOT _rc EQUAL 0 OR NOT _out MATCHES "(^|\n)ok ")
    message(FATAL_ERROR "the consumer of README block ${_i} failed (exit code ${_rc}):\n${_out}")
  endif()
  message(STATUS "README block ${_i}: installed, found and used: ${_out}")
endforeach()
