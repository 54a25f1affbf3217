"""The part of check_packaging.py that looks at what a package manager shows and what a user pastes.

- metadata: every vcpkg manifest and the conan recipe carry a licence (the LICENSE file's, as an
  SPDX id), a homepage (and conan's url) equal to the one address in CMakeLists.txt's
  project(HOMEPAGE_URL), and the version of include/sessions/version.hpp, as do CMakeLists.txt and
  meson.build;
- documented commands: each `vcpkg` and `conan` command that the README's Installation section,
  the port's portfile and the recipe's docstring give is well-formed for the mode it runs in.

vcpkg and conan cannot run in CI, so the commands are checked for the mistakes their real clients
reject: `vcpkg install <package>` is classic mode, and fails ("does not support individual package
arguments") wherever a vcpkg.json is found in the directory or above (this repository's root, a
user's project), so it must say --classic; a manifest-mode `vcpkg install` takes no package names.
`conan create`/`conan install` need C++20 (the recipe's validate() refuses less) from `-s
compiler.cppstd=20` or from a profile shown in the README that sets it; `-o` must name the recipe's
options and `--version` the header's version. JSON blocks (vcpkg manifests) must parse and name
the port's features.
"""

from __future__ import annotations

import ast
import json
import re
import shlex
import subprocess
import sys
from pathlib import Path

# The SPDX id of each licence text the repository may carry (first line of LICENSE).
SPDX_OF_LICENSE = {"MIT License": "MIT", "Apache License": "Apache-2.0", "Boost Software License": "BSL-1.0"}


def project_homepage(root: Path) -> str | None:
    text = (root / "CMakeLists.txt").read_text(encoding="utf-8")
    project = re.search(r"^project\(sessions\b(.*?)\)\s*$", text, re.M | re.S)
    found = re.search(r'HOMEPAGE_URL\s+"([^"]+)"', project.group(1)) if project else None
    return found.group(1) if found else None


def license_spdx(root: Path) -> str | None:
    try:
        first = (root / "LICENSE").read_text(encoding="utf-8").strip().splitlines()[0].strip()
    except (OSError, IndexError):
        return None
    return SPDX_OF_LICENSE.get(first)


def check_metadata(c, root: Path, version: str) -> None:
    print("metadata (licence, homepage, version)")
    homepage = project_homepage(root)
    c.check(bool(homepage) and homepage.startswith("https://"),
            "CMakeLists.txt's project() has HOMEPAGE_URL, an https address", str(homepage))
    spdx = license_spdx(root)
    c.check(spdx is not None, "LICENSE is a licence with a known SPDX id", str(spdx))

    for relative in ("packaging/vcpkg/sessions/vcpkg.json", "vcpkg.json"):
        try:
            manifest = json.loads((root / relative).read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as error:
            c.check(False, f"{relative} is valid JSON", str(error))
            continue
        # vcpkg prints "Some packages did not declare an SPDX license" on every run without it.
        c.check(manifest.get("license") == spdx, f"{relative}: license is the LICENSE file's ({spdx})",
                str(manifest.get("license")))
        c.check(manifest.get("homepage") == homepage, f"{relative}: homepage is project(HOMEPAGE_URL)",
                str(manifest.get("homepage")))

    recipe = root / "packaging/conan/conanfile.py"
    attributes: dict = {}
    try:
        tree = ast.parse(recipe.read_text(encoding="utf-8"))
    except (OSError, SyntaxError) as error:
        c.check(False, "conanfile.py parses", str(error))
    else:
        for cls in (n for n in tree.body if isinstance(n, ast.ClassDef)):
            for node in cls.body:
                if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant):
                    for target in node.targets:
                        if isinstance(target, ast.Name):
                            attributes[target.id] = node.value.value
    c.check(attributes.get("license") == spdx, f"conanfile.py: license is the LICENSE file's ({spdx})",
            str(attributes.get("license")))
    for field in ("url", "homepage"):
        c.check(attributes.get(field) == homepage, f"conanfile.py: {field} is project(HOMEPAGE_URL)",
                str(attributes.get(field)))

    cmake = (root / "CMakeLists.txt").read_text(encoding="utf-8")
    literal = re.search(r"^project\(sessions\s+VERSION\s+(\d+\.\d+\.\d+)", cmake, re.M)
    if literal:
        c.check(literal.group(1) == version, f"CMakeLists.txt project(VERSION) is {version}", literal.group(1))
    else:
        c.check("include/sessions/version.hpp" in cmake and
                re.search(r"^project\(sessions\s+VERSION\s+\$\{_sessions_MAJOR\}", cmake, re.M) is not None,
                "CMakeLists.txt project(VERSION) is read from version.hpp")
    meson = (root / "meson.build").read_text(encoding="utf-8")
    project = re.search(r"^project\('sessions'(.*?)^\)", meson, re.M | re.S)
    literal = re.search(r"(?<![_a-z])version:\s*'([^']+)'", project.group(1)) if project else None
    if literal:
        meson_version = literal.group(1)
    elif "meson_helper.py', 'version'" in meson:
        run = subprocess.run([sys.executable, str(root / "tools/meson_helper.py"), "version"],
                             capture_output=True, text=True, check=False)
        meson_version = run.stdout.strip()
    else:
        meson_version = None
    c.check(meson_version == version, f"meson.build's project version is {version}", str(meson_version))


# ------------------------------------------------------------------------- documented commands

def readme_installation(root: Path) -> str:
    text = (root / "README.md").read_text(encoding="utf-8")
    start = text.find("\n## Installation\n")
    if start < 0:
        return ""
    end = text.find("\n## ", start + 1)
    return text[start:end if end >= 0 else len(text)]


def fenced_blocks(text: str) -> list[tuple[str, list[str]]]:
    """(language, lines) of each ``` block, the lines stripped of the list's indentation."""
    blocks, language, lines = [], None, []
    for raw in text.splitlines():
        line = raw.strip()
        if language is None and line.startswith("```"):
            language, lines = line[3:].strip(), []
        elif language is not None and line == "```":
            blocks.append((language, lines))
            language = None
        elif language is not None:
            lines.append(line)
    return blocks


def inline_commands(text: str) -> list[str]:
    """`vcpkg ...` and `conan ...` in inline code and in # comments (portfile, recipe docstring)."""
    found = re.findall(r"`((?:vcpkg|conan) [^`]+)`", text)
    found += [m.strip() for m in re.findall(r"^\s*#?\s*((?:vcpkg|conan) (?:install|create)\b.*)$", text, re.M)]
    return found


def profile_blocks(blocks: list[tuple[str, list[str]]]) -> dict[str, list[str]]:
    """Conan profiles shown as ```ini blocks, named by their first line, a comment `# <name>`."""
    profiles = {}
    for language, lines in blocks:
        if language == "ini" and lines and lines[0].startswith("#"):
            profiles[lines[0].lstrip("#").split()[0]] = lines
    return profiles


def profile_sets_cpp20(name: str, profiles: dict[str, list[str]], depth: int = 0) -> bool:
    lines = profiles.get(Path(name).name)
    if lines is None or depth > 4:
        return False
    if any(re.fullmatch(r"compiler\.cppstd\s*=\s*20", line) for line in lines):
        return True
    return any(profile_sets_cpp20(m, profiles, depth + 1)
               for line in lines for m in re.findall(r"^include\(([^)]+)\)$", line))


def command_problems(command: str, version: str, options: set[str], features: set[str],
                     profiles: dict[str, list[str]]) -> list[str]:
    try:
        words = shlex.split(command)
    except ValueError as error:
        return [f"does not parse as a shell command ({error})"]
    problems = []
    if words[:2] == ["vcpkg", "install"]:
        positional = [w for w in words[2:] if not w.startswith("-")]
        if positional and "--classic" not in words:
            problems.append("names packages (classic mode) without --classic: it fails in manifest mode, "
                            "wherever a vcpkg.json is in the directory or above")
        for package in positional:
            match = re.fullmatch(r"sessions(?:\[([a-z,]+)\])?(?::[a-z0-9-]+)?", package)
            if match and match.group(1):
                unknown = set(match.group(1).split(",")) - features
                if unknown:
                    problems.append(f"features {sorted(unknown)} are not the port's")
        if any(w.startswith("--overlay-ports") and not w.rstrip("/").endswith("packaging/vcpkg") for w in words):
            problems.append("--overlay-ports must be <repository>/packaging/vcpkg")
    elif words[:2] in (["conan", "create"], ["conan", "install"]):
        cpp20 = False
        for i, word in enumerate(words):
            value = words[i + 1] if i + 1 < len(words) else ""
            if re.fullmatch(r"-s(:[abh])?|--settings(:[a-z]+)?", word) and value == "compiler.cppstd=20":
                cpp20 = True
            if re.fullmatch(r"-pr(:[abh])?|--profile(:[a-z]+)?", word) and profile_sets_cpp20(value, profiles):
                cpp20 = True
            if re.fullmatch(r"-o(:[abh])?|--options(:[a-z]+)?", word):
                option = re.fullmatch(r"sessions/\*:(\w+)=(True|False)", value)
                if not option or option.group(1) not in options:
                    problems.append(f"-o {value}: not an option of the recipe ({sorted(options)})")
            if word == "--version" and value != version:
                problems.append(f"--version {value} is not version.hpp's {version}")
        if not cpp20:
            problems.append("no C++20: needs -s compiler.cppstd=20 or a profile shown in the README that sets it")
    return problems


def check_commands(c, root: Path, version: str, options: set[str]) -> None:
    print("documented vcpkg and conan commands")
    section = readme_installation(root)
    c.check(bool(section), "README.md has an Installation section")
    blocks = fenced_blocks(section)
    profiles = profile_blocks(blocks)
    port = root / "packaging/vcpkg/sessions"
    try:
        features = set(json.loads((port / "vcpkg.json").read_text(encoding="utf-8")).get("features", {}))
    except (OSError, json.JSONDecodeError):
        features = set()

    commands: list[tuple[str, str]] = []
    for language, lines in blocks:
        if language in ("sh", "shell", "console"):
            commands += [("README.md", line.lstrip("$ ")) for line in lines
                         if re.match(r"\$?\s*(vcpkg|conan) ", line)]
        if language == "json":
            text = "\n".join(lines)
            try:
                manifest = json.loads(text)
            except json.JSONDecodeError as error:
                c.check(False, "README.md: a json block parses", str(error))
                continue
            for overlay in manifest.get("overlay-ports", []):
                c.check(overlay.rstrip("/").endswith("packaging/vcpkg"),
                        "README.md: vcpkg-configuration.json's overlay-ports is <repository>/packaging/vcpkg", overlay)
            for dep in manifest.get("dependencies", []):
                if isinstance(dep, dict) and dep.get("name") == "sessions":
                    unknown = set(dep.get("features", [])) - features
                    c.check(not unknown, "README.md: the manifest's sessions features are the port's",
                            str(sorted(unknown)))
    outside_blocks = re.sub(r"```.*?```", "", section, flags=re.S)
    commands += [("README.md", command) for command in inline_commands(outside_blocks)]
    commands += [("portfile.cmake", command)
                 for command in inline_commands((port / "portfile.cmake").read_text(encoding="utf-8"))]
    recipe = ast.get_docstring(ast.parse((root / "packaging/conan/conanfile.py").read_text(encoding="utf-8"))) or ""
    commands += [("conanfile.py", command) for command in inline_commands(recipe)]

    c.check(any(cmd.startswith("vcpkg install") for _, cmd in commands),
            "README.md or the portfile documents a vcpkg install command")
    c.check(any(cmd.startswith("conan create") for _, cmd in commands),
            "README.md or the recipe documents a conan create command")
    for where, command in commands:
        problems = command_problems(command, version, options, features, profiles)
        c.check(not problems, f"{where}: `{command}`", "; ".join(problems))
