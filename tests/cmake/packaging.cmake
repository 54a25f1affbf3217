# Packaging: the library used the ways its users use it (label `packaging`; sources in
# tests/packaging/). Nothing here is built by `cmake --build`: each test configures and builds its
# own small consumer when it runs, so `ctest -L packaging` is all it takes.
#
#   packaging_install           FIXTURE SETUP: configure the library as the vcpkg port does (its
#                               options are read from the portfile) and install it into
#                               <build>/tests/packaging/stage
#   packaging_find_package      find_package(sessions CONFIG) from the stage, with and without the
#                               sqlite component, plus the conan test_package (ctest --build-and-test)
#   packaging_pkgconfig         pkg-config --validate, then a program compiled with
#                               `pkg-config --cflags --libs sessions sessions-sqlite` (stage)
#   packaging_meson_subproject  a meson project with the repository as subprojects/sessions, via
#                               dependency('sessions'); its .pc files must equal CMake's (stage)
#   packaging_add_subdirectory  a CMake project that add_subdirectory()s the repository (no stage)
#   packaging_find_deps         cmake/sessionsFindDeps.cmake against stand-ins laid out as vcpkg's
#                               ports (libmemcached-awesome) and a static-only hiredis (configure only)
#   packaging_readme_install    the ```sh blocks of README.md's Installation section, exactly as
#                               written (read from the README), each on a fresh copy of the source
#                               tree, then a find_package(sessions COMPONENTS sqlite) consumer
#                               against what they installed (tests/packaging/readme_install; no stage)
#   packaging_check             tests/packaging/check_packaging.py: the vcpkg port, the conan recipe,
#                               meson and CMake agree (names, version, dependencies), and the stage
#                               passes what vcpkg's post-build checks would look at; the
#                               manifests and the recipe carry licence, address and version, and the
#                               README's vcpkg and conan commands suit their mode (check_metadata.py)
#   packaging_check_fails       tests/packaging/check_packaging_test.py: the check fails on a copy
#                               of the repository with one thing broken (a manifest without its
#                               licence, a version that disagrees, vcpkg install without --classic...)
#   single_header, amalgamate_check   (tests/cmake/single_header.cmake) get the label too
#
# Each consumer is one configure + one build of tests/packaging/consumer/main.cpp (a MemoryStore
# session saved and reopened; the SQLite store too where the sqlite component is used).
include_guard(GLOBAL)

set(_sessions_pkg_src "${CMAKE_CURRENT_SOURCE_DIR}/packaging")
set(_sessions_pkg_bin "${CMAKE_CURRENT_BINARY_DIR}/packaging")
set(_sessions_pkg_stage "${_sessions_pkg_bin}/stage")
set(_sessions_pkg_main "${_sessions_pkg_src}/consumer/main.cpp")

# The same compiler, generator and flags as this build (the consumers never get our warnings).
set(_sessions_pkg_cmake_options
  "-DCMAKE_CXX_COMPILER=${CMAKE_CXX_COMPILER}"
  "-DCMAKE_CXX_FLAGS=${CMAKE_CXX_FLAGS}"
  "-DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF")
set(_sessions_pkg_build_and_test
  --build-generator "${CMAKE_GENERATOR}")
if(CMAKE_MAKE_PROGRAM)
  list(APPEND _sessions_pkg_build_and_test --build-makeprogram "${CMAKE_MAKE_PROGRAM}")
endif()

add_test(NAME packaging_install
  COMMAND "${CMAKE_COMMAND}"
    "-DSOURCE_DIR=${sessions_SOURCE_DIR}"
    "-DBUILD_DIR=${_sessions_pkg_bin}/library-build"
    "-DSTAGE=${_sessions_pkg_stage}"
    "-DGENERATOR=${CMAKE_GENERATOR}"
    "-DMAKE_PROGRAM=${CMAKE_MAKE_PROGRAM}"
    "-DCXX_COMPILER=${CMAKE_CXX_COMPILER}"
    -P "${_sessions_pkg_src}/install.cmake")
set_tests_properties(packaging_install PROPERTIES FIXTURES_SETUP sessions_stage)

add_test(NAME packaging_find_package
  COMMAND "${CMAKE_CTEST_COMMAND}" --build-and-test
    "${_sessions_pkg_src}/cmake_find_package" "${_sessions_pkg_bin}/find_package"
    ${_sessions_pkg_build_and_test}
    --build-options ${_sessions_pkg_cmake_options}
      "-DCMAKE_PREFIX_PATH=${_sessions_pkg_stage}"
      "-DSESSIONS_EXPECTED_VERSION=${PROJECT_VERSION}"
      "-DSESSIONS_CONSUMER_MAIN=${_sessions_pkg_main}"
      "-DCONAN_TEST_PACKAGE_DIR=${sessions_SOURCE_DIR}/packaging/conan/test_package"
    --test-command "${CMAKE_CTEST_COMMAND}" --output-on-failure)
set_tests_properties(packaging_find_package PROPERTIES FIXTURES_REQUIRED sessions_stage)

find_program(SESSIONS_PKG_CONFIG NAMES pkgconf pkg-config)
if(SESSIONS_PKG_CONFIG)
  add_test(NAME packaging_pkgconfig
    COMMAND "${CMAKE_COMMAND}"
      "-DSTAGE=${_sessions_pkg_stage}"
      "-DWORK_DIR=${_sessions_pkg_bin}/pkgconfig"
      "-DCONSUMER_MAIN=${_sessions_pkg_main}"
      "-DCXX=${CMAKE_CXX_COMPILER}"
      "-DPKG_CONFIG=${SESSIONS_PKG_CONFIG}"
      "-DEXPECTED_VERSION=${PROJECT_VERSION}"
      -P "${_sessions_pkg_src}/pkgconfig/run.cmake")
else()
  add_test(NAME packaging_pkgconfig COMMAND "${CMAKE_COMMAND}" -E echo "pkgconf/pkg-config not found")
  set_tests_properties(packaging_pkgconfig PROPERTIES WILL_FAIL TRUE)
endif()
set_tests_properties(packaging_pkgconfig PROPERTIES FIXTURES_REQUIRED sessions_stage)

find_program(SESSIONS_MESON NAMES meson)
if(SESSIONS_MESON)
  add_test(NAME packaging_meson_subproject
    COMMAND "${CMAKE_COMMAND}"
      "-DSOURCE_DIR=${sessions_SOURCE_DIR}"
      "-DWORK_DIR=${_sessions_pkg_bin}/meson_subproject"
      "-DMESON=${SESSIONS_MESON}"
      "-DCXX=${CMAKE_CXX_COMPILER}"
      "-DSTAGE=${_sessions_pkg_stage}"
      -P "${_sessions_pkg_src}/meson_subproject/run.cmake")
else()
  add_test(NAME packaging_meson_subproject COMMAND "${CMAKE_COMMAND}" -E echo "meson not found")
  set_tests_properties(packaging_meson_subproject PROPERTIES WILL_FAIL TRUE)
endif()
set_tests_properties(packaging_meson_subproject PROPERTIES FIXTURES_REQUIRED sessions_stage)

add_test(NAME packaging_add_subdirectory
  COMMAND "${CMAKE_CTEST_COMMAND}" --build-and-test
    "${_sessions_pkg_src}/cmake_add_subdirectory" "${_sessions_pkg_bin}/add_subdirectory"
    ${_sessions_pkg_build_and_test}
    --build-options ${_sessions_pkg_cmake_options}
      "-DSESSIONS_SOURCE_DIR=${sessions_SOURCE_DIR}"
      "-DSESSIONS_CONSUMER_MAIN=${_sessions_pkg_main}"
    --test-command "${CMAKE_CTEST_COMMAND}" --output-on-failure)

add_test(NAME packaging_find_deps
  COMMAND "${CMAKE_COMMAND}" -S "${_sessions_pkg_src}/find_deps" -B "${_sessions_pkg_bin}/find_deps"
    -G "${CMAKE_GENERATOR}" "-DCMAKE_MAKE_PROGRAM=${CMAKE_MAKE_PROGRAM}" ${_sessions_pkg_cmake_options}
    "-DSESSIONS_SOURCE_DIR=${sessions_SOURCE_DIR}")

# Runs the README's plain `cmake -S . -B build` (default generator and compiler, as a reader would),
# then builds its consumer with this build's generator and compiler.
add_test(NAME packaging_readme_install
  COMMAND "${CMAKE_COMMAND}"
    "-DSOURCE_DIR=${sessions_SOURCE_DIR}"
    "-DWORK_DIR=${_sessions_pkg_bin}/readme_install"
    "-DCONSUMER_MAIN=${_sessions_pkg_main}"
    "-DGENERATOR=${CMAKE_GENERATOR}"
    "-DMAKE_PROGRAM=${CMAKE_MAKE_PROGRAM}"
    "-DCXX=${CMAKE_CXX_COMPILER}"
    -P "${_sessions_pkg_src}/readme_install/run.cmake")
# About its seconds in CI: ctest starts the costliest ready test first (see interop.cmake).
set_tests_properties(packaging_readme_install PROPERTIES COST 70)

find_package(Python3 COMPONENTS Interpreter)
if(Python3_Interpreter_FOUND)
  add_test(NAME packaging_check
    COMMAND "${Python3_EXECUTABLE}" "${_sessions_pkg_src}/check_packaging.py"
      --root "${sessions_SOURCE_DIR}" --stage "${_sessions_pkg_stage}" --build-dir "${CMAKE_BINARY_DIR}")
  add_test(NAME packaging_check_fails
    COMMAND "${Python3_EXECUTABLE}" "${_sessions_pkg_src}/check_packaging_test.py" --root "${sessions_SOURCE_DIR}")
else()
  add_test(NAME packaging_check COMMAND "${CMAKE_COMMAND}" -E echo "no Python 3 interpreter")
  add_test(NAME packaging_check_fails COMMAND "${CMAKE_COMMAND}" -E echo "no Python 3 interpreter")
  set_tests_properties(packaging_check packaging_check_fails PROPERTIES WILL_FAIL TRUE)
endif()
set_tests_properties(packaging_check PROPERTIES FIXTURES_REQUIRED sessions_stage)

set_tests_properties(packaging_install packaging_find_package packaging_pkgconfig packaging_meson_subproject
  packaging_add_subdirectory packaging_find_deps packaging_readme_install packaging_check packaging_check_fails
  PROPERTIES LABELS "packaging" TIMEOUT 900)

# The single-header test (tests/cmake/single_header.cmake, included after this file) is packaging
# too: label it at the end of this directory, once it exists.
function(_sessions_label_single_header_packaging)
  foreach(_test IN ITEMS single_header amalgamate_check)
    if(TEST ${_test})
      set_property(TEST ${_test} APPEND PROPERTY LABELS packaging)
    endif()
  endforeach()
endfunction()
cmake_language(DEFER CALL _sessions_label_single_header_packaging)
