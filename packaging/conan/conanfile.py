"""Conan 2 recipe of sessions, a header-only C++20 library, kept in the repository it packages.

The core, then with the SQLite store (from the repository's root; README.md, Installation, shows
the profile cpp20, which sets compiler.cppstd=20, and one that uses the system's libraries):

    conan create packaging/conan -pr:a cpp20 --build=missing
    conan create packaging/conan -pr:a cpp20 --build=missing -o "sessions/*:with_sqlite3=True"

Each store with its own client library is an option, off by default, that adds exactly one
requirement and one component: sessions::redis (with_hiredis), sessions::memcached
(with_libmemcached), sessions::sqlite (with_sqlite3), sessions::postgres (with_libpq). The CMake
target and pkg-config names are those of the project's own CMake install and meson build
(sessions::sessions / sessions, sessions::<store> / sessions-<store>), checked offline by
tests/packaging/check_packaging.py.
"""

import os
import re

from conan import ConanFile
from conan.errors import ConanInvalidConfiguration
from conan.tools.build import check_min_cppstd
from conan.tools.files import copy, load
from conan.tools.layout import basic_layout

required_conan_version = ">=2.0"

# The core's requirements: requirement -> (its component to link, the system library to link
# instead when a profile's [platform_requires] provides it).
CORE = {
    "nlohmann_json/[>=3.10 <4]": ("nlohmann_json::nlohmann_json", None),  # header-only
    "xxhash/[>=0.8.1 <0.9]": ("xxhash::libxxhash", "xxhash"),
    "openssl/[>=3 <4]": ("openssl::crypto", "crypto"),
    "zlib/[>=1.2.11 <2]": ("zlib::zlib", "z"),
}

# option -> (requirement, component, the requirement's component to link, the system library)
STORES = {
    # 0.14 is what Debian 12 ships and the CMake package accepts (cmake/sessionsFindDeps.cmake).
    "with_hiredis": ("hiredis/[>=0.14 <2]", "redis", "hiredis::hiredislib", "hiredis"),
    "with_libmemcached": ("libmemcached/[>=1.0 <2]", "memcached", "libmemcached::libmemcached", "memcached"),
    "with_sqlite3": ("sqlite3/[>=3.40 <4]", "sqlite", "sqlite3::sqlite", "sqlite3"),
    "with_libpq": ("libpq/[>=15 <18]", "postgres", "libpq::pq", "pq"),
}

class SessionsConan(ConanFile):
    name = "sessions"
    license = "MIT"
    # The project's address is written in CMakeLists.txt's project(HOMEPAGE_URL); the packaging
    # check keeps this copy (and vcpkg.json's) equal to it.
    url = "https://github.com/sessions-cpp/sessions"
    homepage = "https://github.com/sessions-cpp/sessions"
    description = "Django's session framework (django.contrib.sessions) as a header-only C++20 library"
    topics = ("sessions", "django", "http", "cookies", "web", "header-only")
    package_type = "header-library"
    settings = "os", "arch", "compiler", "build_type"
    options = {option: [True, False] for option in STORES}
    default_options = {option: False for option in STORES}
    no_copy_source = True

    @property
    def _repository(self):
        # The recipe sits in <repository>/packaging/conan/.
        return os.path.join(self.recipe_folder, os.pardir, os.pardir)

    def set_version(self):
        header = load(self, os.path.join(self._repository, "include", "sessions", "version.hpp"))
        parts = dict(re.findall(r"#define\s+SESSIONS_VERSION_(MAJOR|MINOR|PATCH)\s+(\d+)", header))
        version = "{MAJOR}.{MINOR}.{PATCH}".format(**parts)
        # A --version on the command line is kept only when it is the header's: a package labelled
        # with another version than the code it holds would be worse than an error.
        if self.version is not None and str(self.version) != version:
            raise ConanInvalidConfiguration(
                f"--version {self.version} differs from include/sessions/version.hpp ({version})")
        self.version = version

    def export_sources(self):
        copy(self, "include/*", src=self._repository, dst=self.export_sources_folder)
        copy(self, "LICENSE*", src=self._repository, dst=self.export_sources_folder)

    def layout(self):
        # The exported include/ lands at the root of the source folder (no source() download).
        basic_layout(self)

    def requirements(self):
        for requirement in CORE:
            self.requires(requirement)
        for option, (requirement, _component, _link, _system_lib) in STORES.items():
            if self.options.get_safe(option):
                self.requires(requirement)

    def package_id(self):
        self.info.clear()

    def validate(self):
        check_min_cppstd(self, 20)

    def build(self):
        pass

    def package(self):
        copy(self, "LICENSE*", src=self.source_folder, dst=os.path.join(self.package_folder, "licenses"))
        copy(self, "*", src=os.path.join(self.source_folder, "include"), dst=os.path.join(self.package_folder, "include"))

    def package_info(self):
        self.cpp_info.bindirs = []
        self.cpp_info.libdirs = []
        self.cpp_info.set_property("cmake_file_name", "sessions")
        # The aggregate of all components must not take the core's name (it would link every store).
        self.cpp_info.set_property("cmake_target_name", "sessions::all")
        self.cpp_info.set_property("pkg_config_name", "sessions-all")

        core = self.cpp_info.components["core"]
        core.set_property("cmake_target_name", "sessions::sessions")
        core.set_property("pkg_config_name", "sessions")
        core.bindirs = []
        core.libdirs = []
        for link, system_lib in CORE.values():
            self._link(core, link, system_lib)

        for option, (_requirement, component, link, system_lib) in STORES.items():
            if self.options.get_safe(option):
                store = self.cpp_info.components[component]
                store.set_property("cmake_target_name", f"sessions::{component}")
                store.set_property("pkg_config_name", f"sessions-{component}")
                store.requires = ["core"]
                store.bindirs = []
                store.libdirs = []
                self._link(store, link, system_lib)

    def _link(self, component, link, system_lib):
        # A requirement that a profile's [platform_requires] provides is no package: it has no
        # components, and CMakeDeps rejects a component that names one ("is not a direct
        # dependency"). The system's library is then linked by name, from the default search path.
        provided = {dependency.ref.name for dependency in self.dependencies.host.values()}
        if link.split("::")[0] in provided:
            component.requires.append(link)
        elif system_lib:
            component.system_libs.append(system_lib)
