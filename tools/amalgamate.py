#!/usr/bin/env python3
"""Generate the single-header edition of sessions under single_include/.

    python3 tools/amalgamate.py           write single_include/sessions/sessions.hpp (and the store headers)
    python3 tools/amalgamate.py --check   exit 1 if the committed files differ from what would be written

single_include/sessions/sessions.hpp is include/sessions/sessions.hpp with every header of the library
it reaches (`#include "..."` resolved next to the including file or under include/, and
`#include <sessions/...>`) inlined exactly once, at its first inclusion, so headers come in dependency
order. The inlined headers' `#pragma once` lines are dropped (the output has one of its own).
Third-party and system includes are kept, each at its first position only; an include written inside
a conditional block (#if/#ifdef/...) is kept where it is, every time, because dropping it could
change what the condition selects.

Every store header listed in STORE_HEADERS becomes single_include/sessions/<path>, which includes
<sessions/sessions.hpp> (the single-header core) and inlines the store header plus the library
headers it needs beyond the core; those extra headers are wrapped in include guards so that two store
headers sharing one can be included together. single_include/ is therefore a complete include root
with the same paths as include/.

The output is deterministic (no dates, no absolute paths) so that `--check` can compare it byte for
byte. Standard library only.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

# Headers that get their own single-include file, as paths under include/sessions/: each store
# with a client library (the only header that includes it: see DESIGN.md), and Django's auth and
# messages, which the umbrella leaves out; so none of them is in the core single header. A listed header that does not exist (yet) is skipped with a note on
# stderr, so that the list can name a store before its header lands.
STORE_HEADERS: list[str] = [
    "storage/sqlite.hpp",
    "storage/postgres.hpp",
    "storage/redis.hpp",
    "storage/memcached.hpp",
    "auth/auth.hpp",
    "messages/messages.hpp",
]

UMBRELLA = "sessions.hpp"
COMMAND = "python3 tools/amalgamate.py"
STALE_MESSAGE = "single_include is stale: run tools/amalgamate.py"
# Every generated file carries this line; it marks files the script may replace or remove.
GENERATED_MARKER = "// GENERATED FILE, DO NOT EDIT."

INCLUDE_RE = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]')
PRAGMA_ONCE_RE = re.compile(r"^\s*#\s*pragma\s+once\b")
IF_RE = re.compile(r"^\s*#\s*if(n?def)?\b")
ENDIF_RE = re.compile(r"^\s*#\s*endif\b")
VERSION_RE = re.compile(r"^\s*#\s*define\s+SESSIONS_VERSION_(MAJOR|MINOR|PATCH)\s+(\d+)", re.M)


class AmalgamationError(Exception):
    pass


class Amalgamator:
    """Inlines library headers; one instance produces one output file."""

    def __init__(self, include_root: Path, already_inlined: set[Path] | None = None,
                 already_included: set[str] | None = None, guard_inlined: bool = False) -> None:
        self.include_root = include_root
        self.package_root = include_root / "sessions"
        # Library headers whose text is already in the output (or in the core single header).
        self.inlined: set[Path] = set(already_inlined or ())
        # Third-party includes already emitted unconditionally, as '<name>' or '"name"'.
        self.included: set[str] = set(already_included or ())
        self.guard_inlined = guard_inlined
        self.order: list[Path] = []  # headers inlined by this instance, in output order

    def rel(self, path: Path) -> str:
        return path.relative_to(self.include_root).as_posix()

    def resolve(self, delimiter: str, name: str, including_dir: Path) -> Path | None:
        """The library header an include names, or None for a third-party/system include."""
        candidates = []
        if delimiter == '"':
            candidates = [including_dir / name, self.include_root / name]
        elif name.startswith("sessions/"):
            candidates = [self.include_root / name]
        for candidate in candidates:
            resolved = candidate.resolve()
            if resolved.is_file() and resolved.is_relative_to(self.package_root.resolve()):
                return resolved
        if delimiter == "<" and name.startswith("sessions/"):
            raise AmalgamationError(f"#include <{name}> names no file under include/sessions/")
        if delimiter == '"':
            # A quoted include that is not one of ours is almost certainly a typo: refuse to guess.
            raise AmalgamationError(f'#include "{name}" resolves to no file under include/sessions/')
        return None

    def inline(self, path: Path) -> list[str]:
        """The lines of `path` with its library includes inlined (path itself must not be inlined yet)."""
        path = path.resolve()
        self.inlined.add(path)
        self.order.append(path)
        out: list[str] = []
        depth = 0  # conditional nesting inside this file
        text = path.read_text(encoding="utf-8")
        for lineno, line in enumerate(text.splitlines(), start=1):
            where = f"include/{self.rel(path)}:{lineno}"
            if PRAGMA_ONCE_RE.match(line):
                continue
            if IF_RE.match(line):
                depth += 1
            elif ENDIF_RE.match(line):
                depth -= 1
            match = INCLUDE_RE.match(line)
            if not match:
                out.append(line)
                continue
            delimiter, name = match.group(1), match.group(2).strip()
            try:
                target = self.resolve(delimiter, name, path.parent)
            except AmalgamationError as error:
                raise AmalgamationError(f"{where}: {error}") from None
            if target is None:
                key = f"<{name}>" if delimiter == "<" else f'"{name}"'
                if depth > 0:
                    out.append(line)  # conditional: keep every occurrence in place
                elif key not in self.included:
                    self.included.add(key)
                    out.append(line)
                continue
            if depth > 0:
                raise AmalgamationError(
                    f"{where}: library header {self.rel(target)} is included inside a conditional block; "
                    "the amalgamation cannot keep the condition and inline it only once. Include it "
                    "unconditionally, or move the condition into that header.")
            if target in self.inlined:
                # Already in the output, or being inlined further up (an include cycle, which
                # `#pragma once` resolves the same way: the inner include does nothing).
                continue
            out.extend(self.wrapped(target))
        if depth != 0:
            raise AmalgamationError(f"include/{self.rel(path)}: unbalanced #if/#endif")
        return out

    def wrapped(self, target: Path) -> list[str]:
        name = self.rel(target)
        body = self.inline(target)
        lines = [f"// ---- begin {name} ----"]
        if self.guard_inlined:
            guard = "SESSIONS_SINGLE_INCLUDE_" + re.sub(r"[^A-Za-z0-9]", "_", name).upper()
            lines += [f"#ifndef {guard}", f"#define {guard}", *body, f"#endif  // {guard}"]
        else:
            lines += body
        lines.append(f"// ---- end {name} ----")
        return lines


def read_version(include_root: Path) -> str:
    version_header = include_root / "sessions" / "version.hpp"
    parts = dict(VERSION_RE.findall(version_header.read_text(encoding="utf-8")))
    try:
        return ".".join(parts[k] for k in ("MAJOR", "MINOR", "PATCH"))
    except KeyError:
        raise AmalgamationError(f"{version_header}: SESSIONS_VERSION_MAJOR/MINOR/PATCH not found") from None


def tidy(lines: list[str]) -> str:
    """Join lines, dropping trailing blanks and runs of more than one blank line."""
    out: list[str] = []
    for line in lines:
        line = line.rstrip()
        if not line and out and not out[-1]:
            continue
        out.append(line)
    while out and not out[-1]:
        out.pop()
    return "\n".join(out) + "\n"


def banner(version: str, source: str, extra: list[str]) -> list[str]:
    return [
        "#pragma once",
        f"// sessions {version}: Django's session framework as a header-only C++20 library, single-header edition.",
        "//",
        GENERATED_MARKER,
        f"// It is produced from {source} by",
        f"//     {COMMAND}",
        "// Change the headers under include/sessions/ and run that command again; CI fails when this file",
        f"// is out of date ({COMMAND} --check).",
        *extra,
        "",
    ]


def generate(root: Path) -> dict[Path, str]:
    """Every output file (path relative to root) and its content."""
    include_root = (root / "include").resolve()
    umbrella = include_root / "sessions" / UMBRELLA
    if not umbrella.is_file():
        raise AmalgamationError(f"{umbrella.relative_to(root.resolve())} does not exist")
    version = read_version(include_root)

    core = Amalgamator(include_root)
    core_lines = core.inline(umbrella)
    outputs: dict[Path, str] = {}
    outputs[Path("single_include/sessions/sessions.hpp")] = tidy(banner(
        version, "include/sessions/sessions.hpp",
        ["//",
         "// Needs nlohmann_json (>= 3.10), xxHash, libcrypto (OpenSSL) and zlib; compile with -std=c++20.",
         "// Library headers inlined: " + str(len(core.order)) + "."]) + core_lines)

    for store in STORE_HEADERS:
        header = include_root / "sessions" / store
        if not header.is_file():
            print(f"amalgamate.py: note: STORE_HEADERS lists {store}, but include/sessions/{store} does not exist "
                  "(yet); skipped", file=sys.stderr)
            continue
        amalgamator = Amalgamator(include_root, already_inlined=core.inlined, already_included=core.included,
                                  guard_inlined=True)
        if header.resolve() in core.inlined:
            raise AmalgamationError(f"include/sessions/{store} is part of the umbrella; it cannot be a store header")
        body = amalgamator.wrapped(header.resolve())
        outputs[Path("single_include/sessions") / store] = tidy(banner(
            version, f"include/sessions/{store}",
            ["//", "// The core comes from the single-header sessions.hpp next to this directory."])
            + ["#include <sessions/sessions.hpp>", ""] + body)
    return outputs


def generated_files_on_disk(root: Path) -> set[Path]:
    """Files under single_include/sessions/ that this script wrote (they carry the marker)."""
    base = root / "single_include" / "sessions"
    found = set()
    if base.is_dir():
        for path in base.rglob("*.hpp"):
            with path.open(encoding="utf-8", errors="replace") as handle:
                head = handle.read(2000)
            if GENERATED_MARKER in head:
                found.add(path.relative_to(root))
    return found


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true",
                        help="write nothing; exit 1 if single_include/ differs from the headers")
    parser.add_argument("--root", type=Path, default=Path(__file__).resolve().parent.parent,
                        help="the repository root (default: the parent of tools/)")
    args = parser.parse_args(argv)
    root: Path = args.root

    try:
        outputs = generate(root)
    except (AmalgamationError, OSError) as error:
        print(f"amalgamate.py: error: {error}", file=sys.stderr)
        return 2

    extra = sorted(generated_files_on_disk(root) - set(outputs))
    if args.check:
        problems = []
        for rel, content in sorted(outputs.items()):
            path = root / rel
            if not path.is_file():
                problems.append(f"  {rel.as_posix()}: missing")
            # CRLF is forgiven: a checkout with core.autocrlf must not count as stale.
            elif path.read_bytes().replace(b"\r\n", b"\n") != content.encode("utf-8"):
                old = path.read_text(encoding="utf-8", errors="replace").splitlines()
                new = content.splitlines()
                line = next((i + 1 for i, (a, b) in enumerate(zip(old, new)) if a != b), min(len(old), len(new)) + 1)
                problems.append(f"  {rel.as_posix()}: differs from what the headers produce (first at line {line})")
        problems += [f"  {rel.as_posix()}: generated earlier but no longer produced" for rel in extra]
        if problems:
            print(STALE_MESSAGE, file=sys.stderr)
            print("\n".join(problems), file=sys.stderr)
            return 1
        print(f"single_include is current ({len(outputs)} file(s))")
        return 0

    for rel, content in sorted(outputs.items()):
        path = root / rel
        data = content.encode("utf-8")
        if path.is_file() and path.read_bytes() == data:
            print(f"unchanged {rel.as_posix()}")
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        print(f"wrote     {rel.as_posix()}")
    for rel in extra:
        (root / rel).unlink()
        print(f"removed   {rel.as_posix()} (no longer produced)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
