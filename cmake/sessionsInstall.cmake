# What `cmake --install` puts into the prefix (included from the top CMakeLists.txt when
# SESSIONS_INSTALL is ON, the default for the top-level project):
#
#   include/sessions/**                                  the headers (the multi-header tree)
#   share/cmake/sessions/sessionsConfig.cmake            find_package(sessions CONFIG [COMPONENTS <store>...])
#                        sessionsConfigVersion.cmake     SameMajorVersion, architecture-independent
#                        sessionsTargets.cmake           sessions::sessions (exported)
#                        sessionsFindDeps.cmake          finds the core dependencies and store clients
#                        sessions-<store>-targets.cmake  sessions::<store>, one per store
#   share/pkgconfig/sessions.pc, sessions-<store>.pc     relocatable (prefix=${pcfiledir}/../..)
#
# share/, not lib/: a header-only package is the same for every architecture. What is installed
# never depends on SESSIONS_WITH_* (those only select the store tests and examples): every store's
# target file and .pc file is always there, and its client library is looked for only when a
# consumer asks for that store. sessions_project_options (our warnings) is never exported.
include_guard(GLOBAL)
include(CMakePackageConfigHelpers)

set(SESSIONS_INSTALL_CMAKEDIR "${CMAKE_INSTALL_DATADIR}/cmake/sessions")
set(SESSIONS_INSTALL_PKGCONFIGDIR "${CMAKE_INSTALL_DATADIR}/pkgconfig")
set(_sessions_gen "${PROJECT_BINARY_DIR}/sessions-install")

install(DIRECTORY "${PROJECT_SOURCE_DIR}/include/sessions" DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}")

install(TARGETS sessions EXPORT sessionsTargets)
install(EXPORT sessionsTargets NAMESPACE sessions:: DESTINATION "${SESSIONS_INSTALL_CMAKEDIR}")

string(REPLACE ";" " " SESSIONS_STORES_LIST "${SESSIONS_STORES}")
configure_package_config_file("${PROJECT_SOURCE_DIR}/cmake/sessionsConfig.cmake.in"
  "${_sessions_gen}/sessionsConfig.cmake"
  INSTALL_DESTINATION "${SESSIONS_INSTALL_CMAKEDIR}")
write_basic_package_version_file("${_sessions_gen}/sessionsConfigVersion.cmake"
  VERSION "${PROJECT_VERSION}" COMPATIBILITY SameMajorVersion ARCH_INDEPENDENT)

set(_sessions_cmake_files
  "${_sessions_gen}/sessionsConfig.cmake"
  "${_sessions_gen}/sessionsConfigVersion.cmake"
  "${PROJECT_SOURCE_DIR}/cmake/sessionsFindDeps.cmake")
foreach(_store IN LISTS SESSIONS_STORES)
  string(TOUPPER "${_store}" _upper)
  file(CONFIGURE OUTPUT "${_sessions_gen}/sessions-${_store}-targets.cmake" @ONLY CONTENT [=[
# sessions::@_store@: sessions::sessions plus the client library of the @_store@ store, for
# <sessions/storage/@_store@.hpp>. Included by sessionsConfig.cmake when the component `@_store@` is
# requested, after sessions_find_store_client(@_store@) set SESSIONS_@_upper@_TARGET.
if(NOT TARGET sessions::@_store@)
  add_library(sessions::@_store@ INTERFACE IMPORTED)
  set_target_properties(sessions::@_store@ PROPERTIES
    INTERFACE_LINK_LIBRARIES "sessions::sessions;${SESSIONS_@_upper@_TARGET}")
endif()
]=])
  list(APPEND _sessions_cmake_files "${_sessions_gen}/sessions-${_store}-targets.cmake")
endforeach()
install(FILES ${_sessions_cmake_files} DESTINATION "${SESSIONS_INSTALL_CMAKEDIR}")

# pkg-config: the same templates as meson.build uses, with the same values.
function(_sessions_pc_paths)
  if(IS_ABSOLUTE "${SESSIONS_INSTALL_PKGCONFIGDIR}")
    set(_prefix "${CMAKE_INSTALL_PREFIX}")
  else()
    file(RELATIVE_PATH _up "/root/${SESSIONS_INSTALL_PKGCONFIGDIR}" "/root")
    string(REGEX REPLACE "/$" "" _up "${_up}")
    set(_prefix "\${pcfiledir}/${_up}")
  endif()
  if(IS_ABSOLUTE "${CMAKE_INSTALL_INCLUDEDIR}")
    set(_includedir "${CMAKE_INSTALL_INCLUDEDIR}")
  else()
    set(_includedir "\${prefix}/${CMAKE_INSTALL_INCLUDEDIR}")
  endif()
  set(SESSIONS_PC_PREFIX "${_prefix}" PARENT_SCOPE)
  set(SESSIONS_PC_INCLUDEDIR "${_includedir}" PARENT_SCOPE)
endfunction()
_sessions_pc_paths()
set(SESSIONS_VERSION "${PROJECT_VERSION}")
configure_file("${PROJECT_SOURCE_DIR}/cmake/sessions.pc.in" "${_sessions_gen}/sessions.pc" @ONLY)
set(_sessions_pc_files "${_sessions_gen}/sessions.pc")
foreach(_pair IN LISTS SESSIONS_STORE_CLIENTS)
  string(REPLACE "=" ";" _pair "${_pair}")
  list(GET _pair 0 SESSIONS_STORE)
  list(GET _pair 1 SESSIONS_STORE_CLIENT)
  configure_file("${PROJECT_SOURCE_DIR}/cmake/sessions-store.pc.in" "${_sessions_gen}/sessions-${SESSIONS_STORE}.pc" @ONLY)
  list(APPEND _sessions_pc_files "${_sessions_gen}/sessions-${SESSIONS_STORE}.pc")
endforeach()
install(FILES ${_sessions_pc_files} DESTINATION "${SESSIONS_INSTALL_PKGCONFIGDIR}")

unset(_store)
unset(_upper)
unset(_pair)
