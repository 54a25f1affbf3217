#!/usr/bin/env python3
"""Instruction-count guard for the main request paths (bench/request_paths.cpp).

Runs each path under valgrind --tool=callgrind (instruction counts are deterministic for one binary
and input, unlike wall-clock time on a shared machine), divides by the number of requests and
compares with tests/perf/instruction_budget.json. A path more than 10% over its budget fails.

  tools/instruction_budget.py <sessions_request_paths binary>            check (CTest: instruction_budget)
  tools/instruction_budget.py <sessions_request_paths binary> --update   write the measured counts as the budget

The budget holds for the build CI checks it in: g++ 12 at -O2 (the program's own flags, whatever
the build's), in the gcc stage only. See docs/benchmarks.md, "Instruction-count budget".
"""
import json
import os
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parent.parent
BUDGET = ROOT / "tests" / "perf" / "instruction_budget.json"
PATHS = ["value_session", "value_middleware", "bytes_session", "json_reference", "new_session"]
REQUESTS = 2000
TOLERANCE = 1.10


def measure(binary, path):
    with tempfile.TemporaryDirectory() as tmp:
        out = pathlib.Path(tmp) / "callgrind.out"
        subprocess.run(["valgrind", "--tool=callgrind", "--instr-atstart=no", f"--callgrind-out-file={out}",
                        binary, path, str(REQUESTS)], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        text = out.read_text()
    match = re.search(r"^totals:\s+(\d+)", text, re.M)
    if not match:
        sys.exit(f"no instruction total in callgrind's output for {path}")
    return int(match.group(1)) / REQUESTS


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    binary = sys.argv[1]
    if shutil.which("valgrind") is None:
        sys.exit("valgrind is not installed (apt-get install valgrind): the guard cannot run")
    measured = {path: round(measure(binary, path)) for path in PATHS}
    if "--update" in sys.argv[2:]:
        BUDGET.write_text(json.dumps({"requests": REQUESTS, "instructions_per_request": measured}, indent=2) + "\n")
        print(f"wrote {BUDGET}")
        for path, count in measured.items():
            print(f"  {path:18} {count:>9} instructions per request")
        return
    budget = json.loads(BUDGET.read_text())["instructions_per_request"]
    failed = False
    for path in PATHS:
        allowed = budget.get(path)
        count = measured[path]
        if allowed is None:
            print(f"  {path:18} {count:>9}  (no budget: add it with --update)")
            failed = True
            continue
        ratio = count / allowed
        verdict = "ok" if ratio <= TOLERANCE else f"OVER BUDGET (more than {round((TOLERANCE - 1) * 100)}%)"
        print(f"  {path:18} {count:>9} / budget {allowed:>9} = {ratio:5.3f}  {verdict}")
        failed |= ratio > TOLERANCE
    if failed:
        sys.exit("a request path grew: find why (callgrind_annotate), or, if it is intended, update the budget "
                 "with tools/instruction_budget.py <binary> --update and say why in the commit")


if __name__ == "__main__":
    main()
