#!/usr/bin/env python3
"""Checks that each test file includes what the unity builds and precompiled headers would hide.

The test programs are compiled as unity builds (CMake and meson) and behind a precompiled header of
Catch2, nlohmann_json and <sessions/sessions.hpp> (CMake), so a test file that forgot one of those
includes still compiles there: an earlier file of its translation unit, or the precompiled header,
brought it in. Compiling every file on its own would catch it, at the price of a whole build
without either. This script catches the same mistakes by reading the files, in well under a second:
each tests/unit/<part>/*.test.cpp, with what it includes in quotes (transitively: tests/support/*,
*.inc, the part's own headers) and our headers in angle brackets, must include

    Catch2        ("support/catch.hpp" or <catch2/...>)  if it uses TEST_CASE, REQUIRE, CHECK, ...
    the library   (some <sessions/...> header)            if it names sessions::
    nlohmann_json (<nlohmann/json.hpp>, or a header of ours that includes it)  if it names nlohmann::

    check_test_includes.py [FILE...]     (default: every tests/unit/*/*.test.cpp); exit 1 on a finding

Standard library only.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
INCLUDE = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]', re.M)
COMMENT = re.compile(r"//[^\n]*|/\*.*?\*/", re.S)
STRING = re.compile(r'"(?:\\.|[^"\\\n])*"')

CATCH_USE = re.compile(r"\b(TEST_CASE|TEMPLATE_TEST_CASE|SECTION|REQUIRE\w*|CHECK\w*|SUCCEED|FAIL|INFO|CAPTURE)\s*\(")
SESSIONS_USE = re.compile(r"\bsessions::")
JSON_USE = re.compile(r"\bnlohmann::")


def code_of(text: str) -> str:
    """The text without comments and string literals (a word in either is not a use)."""
    return STRING.sub('""', COMMENT.sub(" ", text))


def resolve(name: str, quoted: bool, including: Path) -> Path | None:
    """The file an include names, if it is one of ours (tests/ or include/); None otherwise."""
    bases = [including.parent, ROOT / "tests", ROOT / "include"] if quoted else [ROOT / "include"]
    for base in bases:
        candidate = base / name
        if candidate.is_file():
            return candidate.resolve()
    return None


def closure(path: Path) -> set[str]:
    """Every include name reachable from path through files of ours, as written ("x" or <x>)."""
    seen_files: set[Path] = set()
    names: set[str] = set()
    todo = [path.resolve()]
    while todo:
        current = todo.pop()
        if current in seen_files:
            continue
        seen_files.add(current)
        for bracket, name in INCLUDE.findall(COMMENT.sub(" ", current.read_text(encoding="utf-8"))):
            names.add(name)
            found = resolve(name, bracket == '"', current)
            if found is not None:
                todo.append(found)
    return names


def findings(path: Path) -> list[str]:
    code = code_of(path.read_text(encoding="utf-8"))
    names = closure(path)
    out = []
    if CATCH_USE.search(code) and not any(n == "support/catch.hpp" or n.startswith("catch2/") for n in names):
        out.append('uses Catch2 but does not include "support/catch.hpp" (or <catch2/...>)')
    if SESSIONS_USE.search(code) and not any(n.startswith("sessions/") for n in names):
        out.append("names sessions:: but includes no <sessions/...> header")
    if JSON_USE.search(code) and "nlohmann/json.hpp" not in names:
        out.append("names nlohmann:: but does not include <nlohmann/json.hpp> (directly or through a header of ours)")
    return out


def main(argv: list[str]) -> int:
    files = [Path(a) for a in argv] or sorted((ROOT / "tests" / "unit").glob("*/*.test.cpp"))
    bad = 0
    for path in files:
        for finding in findings(path):
            print(f"{path.resolve().relative_to(ROOT)}: {finding}")
            bad += 1
    if bad:
        print(f"check_test_includes.py: {bad} finding(s); each test file must compile on its own")
        return 1
    print(f"check_test_includes.py: {len(files)} test files include what the unity build would hide")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
