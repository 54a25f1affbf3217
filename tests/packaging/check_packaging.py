#!/usr/bin/env python3
"""Lint the vcpkg port and the conan recipe without vcpkg or conan, and the installed tree.

    check_packaging.py [--root REPO] [--stage PREFIX] [--build-dir DIR]

Neither tool can run here (no registry, no network), so this checks everything they take from us:
that the port, the recipe, the CMake package, meson and pkg-config all name the same version, the
same dependencies and the same targets, that the manifests and the recipe carry a licence and the
project's address, and that the documented vcpkg and conan commands suit the mode they run in
(check_metadata.py). Without --stage only the files in the repository are read;
with --stage (the prefix the packaging_install test installed into) the installed tree is checked
too: what the port's post-build checks would reject (lib/, debug/, absolute paths), the header set,
and that every target and module the usage text and the recipe promise is really installed.
--build-dir adds that directory to the absolute paths that must not leak into installed files.

Standard library only; conan is never imported (the recipe is read with `ast`).
"""

from __future__ import annotations

import argparse
import ast
import json
import re
import sys
from pathlib import Path

from check_metadata import check_commands, check_metadata

STORES = ("redis", "memcached", "sqlite", "postgres")

# The dependency-name bridge (docs: the packaging reference's table).
# CMake package found by cmake/sessionsFindDeps.cmake -> vcpkg port -> conan requirement.
CORE = {
    "nlohmann_json": ("nlohmann-json", "nlohmann_json"),
    "OpenSSL": ("openssl", "openssl"),
    "ZLIB": ("zlib", "zlib"),
    "xxHash": ("xxhash", "xxhash"),
}
# store -> (CMake package, vcpkg port, conan requirement, pkg-config module)
STORE_DEPS = {
    "redis": ("hiredis", "hiredis", "hiredis", "hiredis"),
    "memcached": ("libmemcached", "libmemcached-awesome", "libmemcached", "libmemcached"),
    "sqlite": ("SQLite3", "sqlite3", "sqlite3", "sqlite3"),
    "postgres": ("PostgreSQL", "libpq", "libpq", "libpq"),
}
# The only helpers a header-only port needs (packaging reference, section 2.4).
PORT_HELPERS = {"vcpkg_from_github", "vcpkg_cmake_configure", "vcpkg_cmake_install", "vcpkg_cmake_config_fixup",
                "vcpkg_fixup_pkgconfig", "vcpkg_install_copyright", "file", "set", "get_filename_component"}
PORT_OPTIONS = {"-DSESSIONS_BUILD_TESTS=OFF", "-DSESSIONS_BUILD_EXAMPLES=OFF", "-DSESSIONS_INSTALL=ON"}
CONFIG_PATH = "share/cmake/sessions"


class Checker:
    def __init__(self) -> None:
        self.failures: list[str] = []
        self.warnings: list[str] = []
        self.passed = 0

    def check(self, condition: bool, what: str, detail: str = "") -> bool:
        if condition:
            self.passed += 1
            print(f"  ok    {what}")
        else:
            self.failures.append(what + (f": {detail}" if detail else ""))
            print(f"  FAIL  {what}" + (f": {detail}" if detail else ""))
        return condition

    def warn(self, what: str) -> None:
        self.warnings.append(what)
        print(f"  warn  {what}")


def read_version(root: Path) -> str:
    text = (root / "include/sessions/version.hpp").read_text(encoding="utf-8")
    parts = dict(re.findall(r"^\s*#\s*define\s+SESSIONS_VERSION_(MAJOR|MINOR|PATCH)\s+(\d+)", text, re.M))
    return ".".join(parts[k] for k in ("MAJOR", "MINOR", "PATCH"))


def manifest_version(manifest: dict) -> str | None:
    for key in ("version", "version-semver", "version-string", "version-date"):
        if key in manifest:
            return manifest[key]
    return None


def dependency_names(deps: list) -> tuple[set[str], set[str]]:
    """(target dependencies, host dependencies) of a vcpkg dependency list."""
    target, host = set(), set()
    for dep in deps:
        if isinstance(dep, str):
            target.add(dep)
        elif dep.get("host"):
            host.add(dep["name"])
        else:
            target.add(dep["name"])
    return target, host


def finddeps_packages(root: Path) -> tuple[set[str], dict[str, str], dict[str, str]]:
    """What cmake/sessionsFindDeps.cmake looks for: core CMake packages, store -> CMake package,
    store -> pkg-config module of its client (SESSIONS_STORE_CLIENTS)."""
    text = (root / "cmake/sessionsFindDeps.cmake").read_text(encoding="utf-8")
    function_at = text.find("function(sessions_find_store_client")
    core_text = text[:function_at] if function_at >= 0 else text
    core = set(re.findall(r"find_dependency\(\s*([A-Za-z0-9_]+)", core_text))
    core |= set(re.findall(r"find_package\(\s*([A-Za-z0-9_]+)\s+CONFIG", core_text))
    core.discard("PkgConfig")
    stores: dict[str, str] = {}
    if function_at >= 0:
        body = text[function_at:]
        for store, block in re.findall(r'store STREQUAL "([a-z]+)"\)(.*?)(?=elseif|else\(\))', body, re.S):
            found = re.search(r"set\(_find\s+([A-Za-z0-9_]+)", block)
            if found:
                stores[store] = found.group(1)
    clients: dict[str, str] = {}
    match = re.search(r"set\(SESSIONS_STORE_CLIENTS\s+([^)]*)\)", text)
    if match:
        clients = dict(pair.split("=", 1) for pair in match.group(1).split())
    return core, stores, clients


# ------------------------------------------------------------------------------------- vcpkg

def check_vcpkg(c: Checker, root: Path, version: str, core: set[str], store_packages: dict[str, str]) -> dict:
    print("vcpkg port (packaging/vcpkg/sessions)")
    port_dir = root / "packaging/vcpkg/sessions"
    try:
        manifest = json.loads((port_dir / "vcpkg.json").read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as error:
        c.check(False, "vcpkg.json is valid JSON", str(error))
        return {}
    c.check(True, "vcpkg.json is valid JSON")
    c.check(manifest.get("name") == "sessions", "vcpkg.json name is sessions", str(manifest.get("name")))
    c.check(manifest_version(manifest) == version, f"vcpkg.json version equals version.hpp ({version})",
            str(manifest_version(manifest)))
    c.check("default-features" not in manifest, "vcpkg.json has no default-features (stores are opt-in)")
    target, host = dependency_names(manifest.get("dependencies", []))
    expected_core = {CORE[p][0] for p in core if p in CORE}
    c.check(core <= set(CORE), "sessionsFindDeps.cmake finds only known core packages", str(sorted(core - set(CORE))))
    c.check(target == expected_core, "vcpkg.json dependencies are the ports of what sessionsFindDeps.cmake finds",
            f"vcpkg.json {sorted(target)}, expected {sorted(expected_core)} (from {sorted(core)})")
    c.check({"vcpkg-cmake", "vcpkg-cmake-config"} <= host, "vcpkg.json has the host tools vcpkg-cmake(-config)")
    features = manifest.get("features", {})
    c.check(set(features) == set(STORES), "vcpkg.json features are the stores", str(sorted(features)))
    for store in STORES:
        feature = features.get(store, {})
        deps, _ = dependency_names(feature.get("dependencies", []))
        package = store_packages.get(store)
        expected = STORE_DEPS[store][1]
        c.check(package == STORE_DEPS[store][0],
                f"sessionsFindDeps.cmake finds {STORE_DEPS[store][0]} for the {store} component", str(package))
        c.check(deps == {expected}, f"feature {store} depends on exactly the port {expected}", str(sorted(deps)))

    portfile = (port_dir / "portfile.cmake").read_text(encoding="utf-8")
    calls = set(re.findall(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*\(", portfile, re.M))
    c.check(calls <= PORT_HELPERS, "portfile.cmake calls only the helpers of a header-only port",
            str(sorted(calls - PORT_HELPERS)))
    configure = re.search(r"vcpkg_cmake_configure\(([^)]*)\)", portfile)
    options = set(re.findall(r"-D[A-Za-z0-9_]+=[A-Za-z0-9_]+", configure.group(1))) if configure else set()
    c.check(options == PORT_OPTIONS, "portfile.cmake configures with tests and examples off, install on",
            str(sorted(options)))
    c.check(re.search(r"set\(VCPKG_BUILD_TYPE\s+release\)", portfile) is not None,
            "portfile.cmake builds release only (header-only)")
    fixup = re.search(r"vcpkg_cmake_config_fixup\(([^)]*)\)", portfile)
    config_path = re.search(r"CONFIG_PATH\s+(\S+)", fixup.group(1)) if fixup else None
    c.check(bool(config_path) and config_path.group(1) == CONFIG_PATH,
            f"vcpkg_cmake_config_fixup CONFIG_PATH is where the install puts the config ({CONFIG_PATH})",
            config_path.group(1) if config_path else "missing")
    install_cmake = (root / "cmake/sessionsInstall.cmake").read_text(encoding="utf-8")
    c.check('"${CMAKE_INSTALL_DATADIR}/cmake/sessions"' in install_cmake,
            "cmake/sessionsInstall.cmake installs the config to ${CMAKE_INSTALL_DATADIR}/cmake/sessions")
    c.check("vcpkg_fixup_pkgconfig" in portfile, "portfile.cmake fixes up the .pc files")
    c.check(re.search(r"REMOVE_RECURSE[^)]*debug", portfile) is not None, "portfile.cmake removes debug/")
    c.check("usage" in portfile, "portfile.cmake installs the usage file")
    if not (root / "LICENSE").is_file():
        c.warn("no LICENSE at the repository root: vcpkg_install_copyright (and the conan package) need one")

    usage = (port_dir / "usage").read_text(encoding="utf-8")
    c.check("find_package(sessions CONFIG REQUIRED)" in usage, "usage shows find_package(sessions CONFIG REQUIRED)")
    c.check("sessions::sessions" in usage, "usage names sessions::sessions")
    usage_targets = set(re.findall(r"\bsessions::[a-z_]+", usage))
    c.check(re.search(r"COMPONENTS\s+(" + "|".join(STORES) + r")\b", usage) is not None and
            any(f"sessions::{s}" in usage_targets for s in STORES), "usage shows a store component and its target")
    pc_line = next((line for line in usage.splitlines() if "pkg-config --" in line), "")
    usage_modules = set(re.findall(r"\bsessions(?:-[a-z]+)?\b", pc_line.split("--libs")[-1])) if pc_line else set()
    c.check("sessions" in usage_modules, "usage shows the pkg-config module sessions", pc_line.strip())

    print("root vcpkg.json (contributors' manifest)")
    try:
        root_manifest = json.loads((root / "vcpkg.json").read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as error:
        c.check(False, "vcpkg.json is valid JSON", str(error))
        root_manifest = {}
    else:
        c.check(True, "vcpkg.json is valid JSON")
        c.check(manifest_version(root_manifest) == version, f"vcpkg.json version equals version.hpp ({version})",
                str(manifest_version(root_manifest)))
        root_target, _ = dependency_names(root_manifest.get("dependencies", []))
        c.check(expected_core <= root_target, "vcpkg.json has every core dependency of the port",
                str(sorted(expected_core - root_target)))
        root_features = {name: dependency_names(f.get("dependencies", []))[0]
                         for name, f in root_manifest.get("features", {}).items()}
        port_features = {name: dependency_names(f.get("dependencies", []))[0] for name, f in features.items()}
        c.check(root_features == port_features, "vcpkg.json features equal the port's", str(root_features))
    return {"usage_targets": usage_targets, "usage_modules": usage_modules}


# ------------------------------------------------------------------------------------- conan

def string_constants(node: ast.AST) -> list[str]:
    return [n.value for n in ast.walk(node) if isinstance(n, ast.Constant) and isinstance(n.value, str)]


def check_conan(c: Checker, root: Path, version: str, core: set[str]) -> dict:
    print("conan recipe (packaging/conan)")
    path = root / "packaging/conan/conanfile.py"
    source = path.read_text(encoding="utf-8")
    try:
        tree = ast.parse(source, filename=str(path))
        compile(tree, str(path), "exec")
    except SyntaxError as error:
        c.check(False, "conanfile.py parses", str(error))
        return {}
    c.check(True, "conanfile.py parses")
    for extra in ("test_package/conanfile.py",):
        try:
            ast.parse((root / "packaging/conan" / extra).read_text(encoding="utf-8"))
            c.check(True, f"{extra} parses")
        except SyntaxError as error:
            c.check(False, f"{extra} parses", str(error))
    for name in ("CMakeLists.txt", "test_package.cpp"):
        c.check((root / "packaging/conan/test_package" / name).is_file(), f"test_package/{name} exists")

    stores_dict: dict = {}
    core_dict: dict = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "STORES" for t in node.targets):
            stores_dict = ast.literal_eval(node.value)
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "CORE" for t in node.targets):
            core_dict = ast.literal_eval(node.value)
    classes = [n for n in tree.body if isinstance(n, ast.ClassDef)]
    recipe = next((cls for cls in classes if any(
        isinstance(n, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "name" for t in n.targets) and
        isinstance(n.value, ast.Constant) and n.value.value == "sessions" for n in cls.body)), None)
    if not c.check(recipe is not None, "conanfile.py has a recipe class with name = \"sessions\""):
        return {}
    attributes = {t.id: n.value for n in recipe.body if isinstance(n, ast.Assign)
                  for t in n.targets if isinstance(t, ast.Name)}
    methods = {n.name: n for n in recipe.body if isinstance(n, ast.FunctionDef)}
    package_type = attributes.get("package_type")
    c.check(isinstance(package_type, ast.Constant) and package_type.value == "header-library",
            "package_type is header-library")
    c.check(all(m in methods for m in ("set_version", "export_sources", "layout", "requirements", "package_id",
                                       "validate", "package", "package_info")),
            "the recipe defines set_version, export_sources, layout, requirements, package_id, validate, "
            "package, package_info")

    # set_version(): run its own regular expression on version.hpp.
    regexes = [s for s in string_constants(methods.get("set_version", ast.Module(body=[], type_ignores=[])))
               if "SESSIONS_VERSION_" in s]
    header = (root / "include/sessions/version.hpp").read_text(encoding="utf-8")
    recipe_version = None
    if regexes:
        parts = dict(re.findall(regexes[0], header))
        if all(k in parts for k in ("MAJOR", "MINOR", "PATCH")):
            recipe_version = f"{parts['MAJOR']}.{parts['MINOR']}.{parts['PATCH']}"
    c.check(recipe_version == version, f"set_version() reads {version} from version.hpp", str(recipe_version))
    c.check("version.hpp" in ast.unparse(methods.get("set_version", recipe)), "set_version() reads version.hpp")
    export = methods.get("export_sources")
    patterns = [s for s in string_constants(export) if "*" in s] if export else []
    c.check(any(p.startswith("include/") for p in patterns) and (root / "include/sessions").is_dir(),
            "export_sources() copies include/, which exists", str(patterns))

    package_id = ast.unparse(methods["package_id"]) if "package_id" in methods else ""
    c.check("self.info.clear()" in package_id, "package_id() clears the settings (header-only)")
    validate = ast.unparse(methods["validate"]) if "validate" in methods else ""
    c.check("check_min_cppstd(self, 20)" in validate, "validate() requires C++20")

    requirements = methods.get("requirements")
    requires = [s for s in string_constants(requirements) if "/" in s] if requirements else []
    requires += list(core_dict) if requirements and "CORE" in ast.unparse(requirements) else []
    core_requires = {r.split("/")[0] for r in requires}
    expected_core = {CORE[p][1] for p in core if p in CORE}
    c.check(core_requires == expected_core, "requirements() are the conan names of what sessionsFindDeps.cmake finds",
            f"{sorted(core_requires)} vs {sorted(expected_core)}")
    c.check("STORES" in ast.unparse(requirements) if requirements else False,
            "requirements() adds the store requirements from STORES")

    options = attributes.get("options")
    defaults = attributes.get("default_options")
    c.check(options is not None and "STORES" in ast.unparse(options) and defaults is not None and
            "False" in ast.unparse(defaults), "options are the STORES switches, all False by default")
    c.check(all(re.fullmatch(r"with_[a-z0-9]+", k) for k in stores_dict), "options are named with_<dependency>",
            str(sorted(stores_dict)))
    components = {value[1]: value for value in stores_dict.values()}
    c.check(set(components) == set(STORES), "one component per store", str(sorted(components)))
    for store in STORES:
        if store not in components:
            continue
        requirement, _component, link = components[store][:3]
        expected = STORE_DEPS[store][2]
        c.check(requirement.split("/")[0] == expected, f"{store}: requires {expected}", requirement)
        c.check(link.split("::")[0] == expected, f"{store}: the component links {expected}::...", link)

    info = methods.get("package_info")
    info_text = ast.unparse(info) if info else ""
    strings = string_constants(info) if info else []
    c.check("sessions::sessions" in strings and "sessions" in strings,
            "package_info(): core component sessions::sessions / pkg-config sessions")
    c.check(re.search(r"f(['\"])sessions::\{component\}\1", info_text) is not None and
            re.search(r"f(['\"])sessions-\{component\}\1", info_text) is not None,
            "package_info(): store components sessions::<store> / pkg-config sessions-<store>")
    core_links = next((ast.literal_eval(n.value) for n in ast.walk(info) if isinstance(n, ast.Assign) and
                       any(isinstance(t, ast.Attribute) and t.attr == "requires" and
                           isinstance(t.value, ast.Name) and t.value.id == "core" for t in n.targets)), [])
    if not core_links and "CORE.values()" in info_text:
        core_links = [link for link, _system_lib in core_dict.values()]
    c.check({link.split("::")[0] for link in core_links} == expected_core,
            "the core component links nlohmann_json, xxhash, openssl, zlib", str(core_links))
    aggregate = [s for s in strings if s.startswith("sessions::") and s != "sessions::sessions"]
    cmake_targets = {"sessions::sessions"} | {f"sessions::{s}" for s in components}
    pc_modules = {"sessions"} | {f"sessions-{s}" for s in components}
    return {"cmake_targets": cmake_targets, "pc_modules": pc_modules, "aggregate": aggregate,
            "conan_options": set(stores_dict)}


# ------------------------------------------------------------------------------------- meson

def check_meson(c: Checker, root: Path, clients: dict[str, str]) -> None:
    print("meson and pkg-config names")
    options = (root / "meson_options.txt").read_text(encoding="utf-8")
    for store in STORES:
        c.check(re.search(rf"option\('{store}',\s*type:\s*'feature',\s*value:\s*'disabled'", options) is not None,
                f"meson_options.txt: feature option {store}, disabled by default")
    build = (root / "meson.build").read_text(encoding="utf-8")
    table = dict(re.findall(r"'([a-z]+)':\s*'([a-z0-9]+)'", build[build.find("store_clients"):]))
    expected = {s: STORE_DEPS[s][3] for s in STORES}
    c.check({k: table.get(k) for k in STORES} == expected, "meson.build store_clients match the client .pc names",
            str(table))
    c.check(clients == expected, "cmake SESSIONS_STORE_CLIENTS match the client .pc names", str(clients))
    c.check("meson.override_dependency('sessions', sessions_dep)" in build, "meson overrides dependency('sessions')")


# ------------------------------------------------------------------------------------- stage

def check_stage(c: Checker, root: Path, stage: Path, build_dir: Path | None, promised: dict) -> None:
    print(f"installed tree ({stage})")
    c.check((stage / CONFIG_PATH / "sessionsConfig.cmake").is_file(), f"{CONFIG_PATH}/sessionsConfig.cmake exists")
    for name in ("sessionsConfigVersion.cmake", "sessionsTargets.cmake", "sessionsFindDeps.cmake",
                 *[f"sessions-{s}-targets.cmake" for s in STORES]):
        c.check((stage / CONFIG_PATH / name).is_file(), f"{CONFIG_PATH}/{name} exists")
    c.check(not (stage / "lib").exists() and not (stage / "debug").exists(),
            "no lib/ or debug/ (header-only, architecture independent)")
    version_file = (stage / CONFIG_PATH / "sessionsConfigVersion.cmake").read_text(encoding="utf-8")
    c.check(re.search(r'requested no architecture check[^\n]*\nif\("TRUE"\)\n\s*return\(\)', version_file) is not None,
            "the version file is architecture independent (ARCH_INDEPENDENT)")

    installed = sorted(p.relative_to(stage / "include").as_posix() for p in (stage / "include").rglob("*") if p.is_file())
    source = sorted(p.relative_to(root / "include").as_posix() for p in (root / "include").rglob("*") if p.is_file())
    c.check(installed == source, "the installed headers are exactly include/",
            f"missing {sorted(set(source) - set(installed))[:5]}, extra {sorted(set(installed) - set(source))[:5]}")

    absolute = [str(root.resolve()), str(stage.resolve())]
    if build_dir:
        absolute.append(str(build_dir.resolve()))
    leaks = []
    for path in list((stage / "share").rglob("*.cmake")) + list((stage / "share").rglob("*.pc")):
        text = path.read_text(encoding="utf-8")
        leaks += [f"{path.relative_to(stage)} contains {a}" for a in absolute if a in text]
    c.check(not leaks, "no absolute source, build or stage path in an installed .cmake or .pc file", "; ".join(leaks))
    pc_text = (stage / "share/pkgconfig/sessions.pc").read_text(encoding="utf-8")
    c.check("prefix=${pcfiledir}/../.." in pc_text, "sessions.pc is relocatable (prefix=${pcfiledir}/../..)")

    targets = set(re.findall(r"add_library\((sessions::[a-z_]+)", (stage / CONFIG_PATH / "sessionsTargets.cmake")
                             .read_text(encoding="utf-8")))
    for store in STORES:
        targets |= set(re.findall(r"add_library\((sessions::[a-z_]+)",
                                  (stage / CONFIG_PATH / f"sessions-{store}-targets.cmake").read_text(encoding="utf-8")))
    c.check(targets == {"sessions::sessions"} | {f"sessions::{s}" for s in STORES},
            "installed targets: sessions::sessions and sessions::<store>", str(sorted(targets)))
    modules = {p.stem for p in (stage / "share/pkgconfig").glob("*.pc")}
    c.check(modules == {"sessions"} | {f"sessions-{s}" for s in STORES},
            "installed pkg-config modules: sessions and sessions-<store>", str(sorted(modules)))
    usage_targets = promised.get("usage_targets", set())
    c.check(usage_targets <= targets, "every target in the vcpkg usage text is installed",
            str(sorted(usage_targets - targets)))
    usage_modules = promised.get("usage_modules", set())
    c.check(usage_modules <= modules, "every pkg-config module in the vcpkg usage text is installed",
            str(sorted(usage_modules - modules)))
    conan_targets = promised.get("cmake_targets", set())
    c.check(conan_targets <= targets, "the conan recipe's cmake_target_names are installed targets",
            str(sorted(conan_targets - targets)))
    c.check(all(a not in targets for a in promised.get("aggregate", [])),
            "the conan aggregate target does not take an installed target's name", str(promised.get("aggregate")))
    conan_modules = promised.get("pc_modules", set())
    c.check(conan_modules <= modules, "the conan recipe's pkg_config_names are installed modules",
            str(sorted(conan_modules - modules)))
    for store in STORES:
        text = (stage / f"share/pkgconfig/sessions-{store}.pc").read_text(encoding="utf-8")
        requires = re.search(r"^Requires:\s*(.*)$", text, re.M)
        names = [r.split()[0] for r in requires.group(1).split(",")] if requires else []
        c.check(names == ["sessions", STORE_DEPS[store][3]], f"sessions-{store}.pc requires sessions, "
                f"{STORE_DEPS[store][3]}", str(names))


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", type=Path, default=Path(__file__).resolve().parents[2])
    parser.add_argument("--stage", type=Path, help="the prefix the packaging_install test installed into")
    parser.add_argument("--build-dir", type=Path, help="a build directory whose path must not leak into the stage")
    args = parser.parse_args(argv)
    root = args.root.resolve()

    c = Checker()
    version = read_version(root)
    print(f"version.hpp: {version}")
    core, store_packages, clients = finddeps_packages(root)
    promised = check_vcpkg(c, root, version, core, store_packages)
    promised.update(check_conan(c, root, version, core))
    check_meson(c, root, clients)
    check_metadata(c, root, version)
    check_commands(c, root, version, promised.get("conan_options", set()))
    if args.stage:
        check_stage(c, root, args.stage, args.build_dir, promised)
    else:
        print("(no --stage: the installed tree is not checked)")

    print(f"{c.passed} checks passed, {len(c.failures)} failed, {len(c.warnings)} warning(s)")
    for failure in c.failures:
        print(f"FAILED: {failure}", file=sys.stderr)
    if c.passed == 0:
        print("FAILED: no check ran", file=sys.stderr)  # a run that checked nothing proves nothing
    return 1 if c.failures or c.passed == 0 else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
