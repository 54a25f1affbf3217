#pragma once
// The single source of the library's version: CMake, meson, pkg-config, the vcpkg port and the
// conan recipe all read these three lines.
#define SESSIONS_VERSION_MAJOR 0
#define SESSIONS_VERSION_MINOR 1
#define SESSIONS_VERSION_PATCH 0

#define SESSIONS_VERSION_STRING "0.1.0"
