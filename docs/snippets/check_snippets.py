#!/usr/bin/env python3
"""Checks that the C++ shown in the guides is the C++ that CTest compiles and runs.

    check_snippets.py DOCS_DIR

Every ```cpp block of DOCS_DIR/*.md must follow a marker line

    <!-- snippet: FILE -->

(blank lines between them are fine) naming a file by its path relative to DOCS_DIR/snippets/ (a
snippet, or a file elsewhere in the repository that the build compiles, such as
../../examples/custom_store/map_store.hpp), and the block must appear
in that file as consecutive lines; the block may be indented less than the file (a function body
shown at the left margin). A block line that is only `// ...` stands for any number of lines of
the file (an elision). Exit status 1, with every mismatch listed, when a block has no marker, names
a missing file, or is not found in its file.
"""

import pathlib
import re
import sys

MARKER = re.compile(r"^<!--\s*snippet:\s*(\S+)\s*-->\s*$")
ELISION = "// ..."


def code_blocks(text):
    """(line number, marker file or None, block lines) for each ```cpp block."""
    lines = text.split("\n")
    marker = None
    i = 0
    while i < len(lines):
        line = lines[i]
        m = MARKER.match(line.strip())
        if m:
            marker = m.group(1)
        elif line.strip().startswith("```"):
            fence = line.strip()
            start = i
            block = []
            i += 1
            while i < len(lines) and lines[i].strip() != "```":
                block.append(lines[i])
                i += 1
            if fence in ("```cpp", "```c++"):
                # A fenced block inside a list item is indented: drop the fence's indentation.
                indent = len(line) - len(line.lstrip())
                yield start + 1, marker, [b[indent:] if b[:indent].strip() == "" else b for b in block]
            marker = None
        elif line.strip():
            marker = None if not line.strip().startswith("<!--") else marker
        i += 1


def matches_at(file_lines, pos, block, indent):
    """True when `block` (with elisions) matches file_lines from `pos` on."""
    if not block:
        return True
    head, rest = block[0], block[1:]
    if head.strip() == ELISION:
        return any(matches_at(file_lines, p, rest, indent) for p in range(pos, len(file_lines) + 1))
    if pos >= len(file_lines):
        return False
    line = file_lines[pos].rstrip()
    want = head.rstrip()
    if want == "":
        ok = line == ""
    else:
        ok = line == " " * indent + want
    return ok and matches_at(file_lines, pos + 1, rest, indent)


def found(file_lines, block):
    block = [b.rstrip() for b in block]
    while block and block[0] == "":
        block = block[1:]
    while block and block[-1] == "":
        block = block[:-1]
    if not block:
        return False
    first = block[0]
    if first.strip() == ELISION:
        return False  # a block must start with real code, so that its position is known
    for pos, line in enumerate(file_lines):
        stripped = line.rstrip()
        if stripped.endswith(first) and stripped[: len(stripped) - len(first)].strip() == "":
            indent = len(stripped) - len(first)
            if matches_at(file_lines, pos, block, indent):
                return True
    return False


def main():
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    docs = pathlib.Path(sys.argv[1])
    snippets = docs / "snippets"
    errors = []
    checked = 0
    for md in sorted(docs.glob("*.md")):
        for line_no, marker, block in code_blocks(md.read_text(encoding="utf-8")):
            where = f"{md.name}:{line_no}"
            if marker is None:
                errors.append(f"{where}: a cpp block without a `<!-- snippet: FILE -->` marker")
                continue
            source = snippets / marker
            if not source.is_file():
                errors.append(f"{where}: the marker names {source}, which does not exist")
                continue
            if not found(source.read_text(encoding="utf-8").split("\n"), block):
                errors.append(f"{where}: the block is not in {source} (line for line)")
                continue
            checked += 1
    for error in errors:
        print(error)
    print(f"{checked} code block(s) found in their snippets, {len(errors)} problem(s)")
    return 1 if errors or checked == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
