#!/usr/bin/env python3
"""What meson.build cannot do by itself: read a number out of a header, and list files by pattern.

meson has neither regular expressions nor a glob on purpose (a build that globs does not notice new
files without reconfiguring). CMake's tests/CMakeLists.txt globs tests/unit/<part>/*.test.cpp with
CONFIGURE_DEPENDS; to build the very same test programs without keeping a second, hand-written list
that would drift, meson.build asks this script through run_command(). The cost is meson's usual one:
after adding or removing a test file, run `meson setup --reconfigure <builddir>` (CI configures from
scratch, so it always sees every file).

    meson_helper.py version [HEADER]        print MAJOR.MINOR.PATCH from include/sessions/version.hpp
    meson_helper.py sources DIR [PATTERN]   print "<part>/<file>" for each DIR/<part>/PATTERN
                                            (default PATTERN: *.test.cpp), sorted, one per line

Relative paths are taken from the repository root (the parent of tools/), whatever the working
directory. Standard library only.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def version(header: str = "include/sessions/version.hpp") -> str:
    text = (ROOT / header).read_text(encoding="utf-8")
    found = dict(re.findall(r"^\s*#\s*define\s+SESSIONS_VERSION_(MAJOR|MINOR|PATCH)\s+(\d+)", text, re.M))
    missing = [k for k in ("MAJOR", "MINOR", "PATCH") if k not in found]
    if missing:
        raise SystemExit(f"meson_helper.py: {header} defines no SESSIONS_VERSION_{'/'.join(missing)}")
    return ".".join(found[k] for k in ("MAJOR", "MINOR", "PATCH"))


def sources(directory: str, pattern: str = "*.test.cpp") -> list[str]:
    base = ROOT / directory
    if not base.is_dir():
        return []
    return sorted(path.relative_to(base).as_posix()
                  for part in base.iterdir() if part.is_dir()
                  for path in part.glob(pattern) if path.is_file())


def main(argv: list[str]) -> int:
    if len(argv) >= 1 and argv[0] == "version" and len(argv) <= 2:
        print(version(*argv[1:]))
        return 0
    if len(argv) in (2, 3) and argv[0] == "sources":
        for line in sources(*argv[1:]):
            print(line)
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
