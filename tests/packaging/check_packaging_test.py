#!/usr/bin/env python3
"""The packaging check must fail on the mistakes it exists for (test packaging_check_fails).

    check_packaging_test.py [--root REPO]

Copies the files check_packaging.py reads into a temporary directory, checks that the copy passes,
then breaks one thing at a time (a manifest without its licence, a recipe without its address, a
version that disagrees, a classic-mode vcpkg command without --classic, a conan command without
C++20) and requires each broken copy to fail with the matching message. Standard library only.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
FILES = ("CMakeLists.txt", "meson.build", "meson_options.txt", "README.md", "LICENSE", "vcpkg.json",
         "include/sessions/version.hpp", "tools/meson_helper.py")
TREES = ("cmake", "packaging")


def copy_tree(root: Path, destination: Path) -> None:
    for name in FILES:
        (destination / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(root / name, destination / name)
    for name in TREES:
        shutil.copytree(root / name, destination / name, ignore=shutil.ignore_patterns("build", "__pycache__"))


def edit_json(path: Path, change) -> None:
    manifest = json.loads(path.read_text(encoding="utf-8"))
    change(manifest)
    path.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")


def replace(path: Path, pattern: str, replacement: str) -> None:
    text = path.read_text(encoding="utf-8")
    changed, count = re.subn(pattern, replacement, text, flags=re.M)
    if count == 0:
        raise SystemExit(f"check_packaging_test.py: '{pattern}' is not in {path.name}: update this test")
    path.write_text(changed, encoding="utf-8")


PORT = "packaging/vcpkg/sessions/vcpkg.json"
RECIPE = "packaging/conan/conanfile.py"
# (what is broken, how, a text the failure must contain)
BREAKAGES = [
    ("the port's manifest has no license",
     lambda d: edit_json(d / PORT, lambda m: m.pop("license")),
     "packaging/vcpkg/sessions/vcpkg.json: license is the LICENSE file's"),
    ("the root manifest has no homepage",
     lambda d: edit_json(d / "vcpkg.json", lambda m: m.pop("homepage")),
     "vcpkg.json: homepage is project(HOMEPAGE_URL)"),
    ("the recipe's url is None",
     lambda d: replace(d / RECIPE, r'^(\s*)url = "[^"]*"$', r"\1url = None"),
     "conanfile.py: url is project(HOMEPAGE_URL)"),
    ("the port's version disagrees with version.hpp",
     lambda d: edit_json(d / PORT, lambda m: m.update(version="9.9.9")),
     "vcpkg.json version equals version.hpp"),
    ("meson.build states another version",
     lambda d: replace(d / "meson.build", r"^(\s*)version: run_command\(.*\)\.stdout\(\)\.strip\(\),$",
                       r"\1version: '9.9.9',"),
     "meson.build's project version is"),
    ("the README's classic-mode vcpkg install lacks --classic",
     lambda d: replace(d / "README.md", r"^(\s*vcpkg install \S+) --classic", r"\1"),
     "without --classic"),
    ("the README's conan create gets no C++20",
     lambda d: replace(d / "README.md", r"^(\s*conan create packaging/conan) -pr:a cpp20", r"\1"),
     "no C++20"),
]


def run_check(directory: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(HERE / "check_packaging.py"), "--root", str(directory)],
                          capture_output=True, text=True, check=False)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", type=Path, default=HERE.parents[1])
    root = parser.parse_args(argv).root.resolve()
    failures = []
    with tempfile.TemporaryDirectory(prefix="sessions-packaging-") as temporary:
        pristine = Path(temporary) / "pristine"
        copy_tree(root, pristine)
        baseline = run_check(pristine)
        if baseline.returncode != 0:
            print(baseline.stdout + baseline.stderr)
            print("FAILED: the unbroken copy does not pass the check, so no breakage below would prove anything")
            return 1
        print("ok    the unbroken copy passes")
        for index, (what, breakage, expected) in enumerate(BREAKAGES):
            broken = Path(temporary) / f"broken{index}"
            shutil.copytree(pristine, broken)
            breakage(broken)
            result = run_check(broken)
            failed_lines = [line for line in result.stderr.splitlines() if line.startswith("FAILED:")]
            if result.returncode != 0 and any(expected in line for line in failed_lines):
                print(f"ok    fails when {what}")
            else:
                failures.append(what)
                print(f"FAIL  passes, or fails for another reason, when {what} (exit {result.returncode}; "
                      f"expected a failure naming '{expected}'; got {failed_lines})")
    print(f"{len(BREAKAGES) - len(failures)} of {len(BREAKAGES)} breakages caught")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
