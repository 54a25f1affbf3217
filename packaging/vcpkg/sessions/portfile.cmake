# Overlay port of the repository it sits in. Classic mode, from any directory (--classic, because a
# vcpkg.json in the current directory or above, such as this repository's own, means manifest mode):
#   vcpkg install "sessions[sqlite]" --classic --overlay-ports=<repo>/packaging/vcpkg
# Manifest mode (a project's vcpkg.json naming sessions): README.md, Installation.
# (for a registry, SOURCE_PATH would come from vcpkg_from_github with REF "v${VERSION}" and its SHA512).
get_filename_component(SOURCE_PATH "${CMAKE_CURRENT_LIST_DIR}/../../.." ABSOLUTE)

set(VCPKG_BUILD_TYPE release)

vcpkg_cmake_configure(
    SOURCE_PATH "${SOURCE_PATH}"
    OPTIONS
        -DSESSIONS_BUILD_TESTS=OFF
        -DSESSIONS_BUILD_EXAMPLES=OFF
        -DSESSIONS_INSTALL=ON
)
vcpkg_cmake_install()
vcpkg_cmake_config_fixup(PACKAGE_NAME sessions CONFIG_PATH share/cmake/sessions)
vcpkg_fixup_pkgconfig()

file(REMOVE_RECURSE "${CURRENT_PACKAGES_DIR}/debug" "${CURRENT_PACKAGES_DIR}/lib")

vcpkg_install_copyright(FILE_LIST "${SOURCE_PATH}/LICENSE")
file(INSTALL "${CMAKE_CURRENT_LIST_DIR}/usage" DESTINATION "${CURRENT_PACKAGES_DIR}/share/${PORT}")
