#!/usr/bin/env python3
"""Mutation testing: break the library on purpose, one small change at a time, and check that the
tests which claim to cover that code notice.

Each mutant in tools/mutation/mutants.toml names a header, an exact snippet of it (which must occur
exactly once), its replacement, and the test files that must kill it. For each mutant this script
copies include/ to a scratch directory, applies the change there, compiles only the mutant's test
files (at -O0, against a precompiled Catch2/nlohmann header and a prebuilt Catch main), and runs
them, stopping at the first failing test. The mutant is killed when a test fails (or the run hangs
past the timeout); it survives when every test passes.

Exit status: 0 when every mutant was killed; 1 when one survived, a snippet is missing or not
unique (re-anchor it: the header changed under it), or a mutant does not compile (fix the mutant).
A mutant that cannot be tried is an error, never a pass. The last line is `mutants: K killed of N`.

    tools/mutation/run.py                  every mutant, 2 at a time
    tools/mutation/run.py --only ID ...    these mutants
    tools/mutation/run.py --repeat 20 --only ID   run one mutant's tests 20 times (flaky kills)
    tools/mutation/run.py --baseline       also run each mutant's tests unmutated first
    tools/mutation/run.py --check          only check that every snippet applies

Tests of the server stores need their servers: tools/test.sh mutation runs this script under
tests/servers/{redis,memcached,postgres}.sh, which export SESSIONS_TEST_*_URL.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import os
import re
import shutil
import subprocess
import sys
import time
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CXX = os.environ.get("CXX", "g++")
# -w: a mutant may leave a variable unused; warnings are the other stages' business.
CXXFLAGS = ["-std=c++20", "-O0", "-g0", "-w", "-pthread", "-D_FILE_OFFSET_BITS=64",
            "-I/usr/include/postgresql", "-I/usr/include/hiredis"]
LIBS = ["-lsqlite3", "-lpq", "-lhiredis", "-lmemcached", "-lmemcachedutil", "-lxxhash", "-lcrypto", "-lz",
        "-pthread"]
RUN_TIMEOUT = 300


@dataclass
class Mutant:
    id: str
    file: str
    original: str
    replacement: str
    tests: list[str]
    what: str
    args: list[str] = field(default_factory=list)


@dataclass
class Outcome:
    mutant: Mutant
    status: str  # killed | survived | error
    detail: str
    seconds: float
    runs: int = 1
    kills: int = 0


def load_mutants(path: Path) -> list[Mutant]:
    with path.open("rb") as f:
        table = tomllib.load(f)
    mutants = []
    seen = set()
    for entry in table.get("mutant", []):
        m = Mutant(id=entry["id"], file=entry["file"], original=entry["original"],
                   replacement=entry["replacement"], tests=list(entry["tests"]), what=entry["what"],
                   args=list(entry.get("args", [])))
        if m.id in seen:
            raise SystemExit(f"mutation: two mutants are named {m.id}")
        seen.add(m.id)
        mutants.append(m)
    return mutants


def check_applies(m: Mutant) -> str | None:
    """Why the mutant cannot be applied, or None."""
    header = ROOT / m.file
    if not header.is_file():
        return f"{m.file} does not exist"
    count = header.read_text().count(m.original)
    if count != 1:
        return f"its snippet occurs {count} times in {m.file} (must be exactly once: re-anchor it)"
    if m.original == m.replacement:
        return "its replacement equals the original"
    for t in m.tests:
        if not (ROOT / t).is_file():
            return f"test file {t} does not exist"
    return None


def run(cmd: list[str], timeout: float | None = None, cwd: Path | None = None) -> tuple[int, str]:
    try:
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=timeout,
                           cwd=cwd, errors="replace")
        return p.returncode, p.stdout
    except subprocess.TimeoutExpired as e:
        out = e.stdout.decode(errors="replace") if isinstance(e.stdout, bytes) else (e.stdout or "")
        return -999, out


def prepare(work: Path) -> Path:
    """The Catch main object and the precompiled header of Catch2 and nlohmann_json (neither holds
    a library header, so no mutant can make them stale). Rebuilt when the flags change."""
    work.mkdir(parents=True, exist_ok=True)
    stamp = work / "flags"
    flags = " ".join([CXX] + CXXFLAGS)
    pch = work / "pch" / "pch.hpp"
    main_o = work / "catch_main.o"
    if not (stamp.exists() and stamp.read_text() == flags and main_o.exists() and pch.with_suffix(".hpp.gch").exists()):
        pch.parent.mkdir(exist_ok=True)
        pch.write_text('#include <nlohmann/json.hpp>\n#include "support/catch.hpp"\n')
        jobs = [
            [CXX, *CXXFLAGS, "-I", str(ROOT / "tests"), "-c", str(ROOT / "tests/support/catch_main.cpp"), "-o",
             str(main_o)],
            [CXX, *CXXFLAGS, "-I", str(ROOT / "tests"), "-x", "c++-header", str(pch), "-o",
             str(pch.with_suffix(".hpp.gch"))],
        ]
        with concurrent.futures.ThreadPoolExecutor(2) as pool:
            for rc, out in pool.map(run, jobs):
                if rc != 0:
                    sys.stdout.write(out)
                    raise SystemExit("mutation: building the Catch main / precompiled header failed")
        stamp.write_text(flags)
    return pch


def first_failure(output: str) -> str:
    """The name of the first failing test case in Catch's console output (and its section)."""
    lines = output.splitlines()
    for i, line in enumerate(lines):
        if re.fullmatch(r"-{20,}", line) and i + 1 < len(lines):
            names = []
            for follow in lines[i + 1:i + 4]:
                if re.fullmatch(r"-{20,}", follow):
                    break
                names.append(follow.strip())
            return " ".join(names)
    return ""


def build_tests(m: Mutant, include: Path, pch: Path, work: Path, dest: Path) -> tuple[bool, str]:
    objects = []
    for t in m.tests:
        obj = dest / (Path(t).name + ".o")
        rc, out = run([CXX, *CXXFLAGS, "-I", str(include), "-I", str(ROOT / "tests"), "-include", str(pch), "-c",
                       str(ROOT / t), "-o", str(obj)])
        if rc != 0:
            return False, f"{t} does not compile:\n{out[-3000:]}"
        objects.append(str(obj))
    rc, out = run([CXX, str(work / "catch_main.o"), *objects, "-o", str(dest / "tests"), *LIBS])
    if rc != 0:
        return False, f"link failed:\n{out[-3000:]}"
    return True, ""


def run_tests(m: Mutant, binary: Path, scratch: Path) -> tuple[int, str]:
    env_dir = scratch / "tmp"
    env_dir.mkdir(exist_ok=True)
    os.environ.setdefault("TMPDIR", "/tmp")
    # --abort: stop at the first failing assertion; the rest of the run would only cost time.
    return run([str(binary), "--abort", *m.args], timeout=RUN_TIMEOUT, cwd=scratch)


def try_mutant(m: Mutant, work: Path, pch: Path, baseline: bool, repeat: int) -> Outcome:
    start = time.monotonic()
    scratch = work / "mutants" / m.id
    shutil.rmtree(scratch, ignore_errors=True)
    include = scratch / "include"
    shutil.copytree(ROOT / "include", include)
    if baseline:
        ok, why = build_tests(m, include, pch, work, scratch)
        if not ok:
            return Outcome(m, "error", f"unmutated tests do not build: {why}", time.monotonic() - start)
        rc, out = run_tests(m, scratch / "tests", scratch)
        if rc != 0:
            return Outcome(m, "error", f"unmutated tests fail ({first_failure(out)}):\n{out[-3000:]}",
                           time.monotonic() - start)
    target = include / Path(m.file).relative_to("include")
    text = target.read_text()
    target.write_text(text.replace(m.original, m.replacement, 1))
    ok, why = build_tests(m, include, pch, work, scratch)
    if not ok:
        return Outcome(m, "error", f"the mutant does not compile (fix the mutant): {why}", time.monotonic() - start)
    kills = 0
    detail = ""
    for _ in range(repeat):
        rc, out = run_tests(m, scratch / "tests", scratch)
        if "No test cases matched" in out or re.search(r"^test cases: +0 ", out, re.M):
            # A filter that selects nothing tests nothing: an error in the mutant, never a pass.
            return Outcome(m, "error", f"its test filter {m.args} selects no test", time.monotonic() - start)
        if rc == -999:
            kills += 1
            detail = detail or f"timeout after {RUN_TIMEOUT} s"
        elif rc != 0:
            kills += 1
            detail = detail or first_failure(out) or f"exit code {rc}"
    seconds = time.monotonic() - start
    shutil.rmtree(scratch, ignore_errors=True)
    if kills == repeat:
        return Outcome(m, "killed", detail, seconds, repeat, kills)
    return Outcome(m, "survived", f"killed in {kills} of {repeat} runs" if kills else "every test passed", seconds,
                   repeat, kills)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mutants", default=str(ROOT / "tools/mutation/mutants.toml"))
    parser.add_argument("--work", default=os.environ.get("SESSIONS_MUTATION_DIR", str(ROOT / "build/ci-mutation")))
    parser.add_argument("--jobs", type=int, default=int(os.environ.get("SESSIONS_JOBS", "2")))
    parser.add_argument("--only", nargs="*", default=[])
    parser.add_argument("--repeat", type=int, default=1, help="run each mutant's tests this many times")
    parser.add_argument("--baseline", action="store_true", help="also run each mutant's tests unmutated")
    parser.add_argument("--check", action="store_true", help="only check that every mutant applies")
    args = parser.parse_args()

    mutants = load_mutants(Path(args.mutants))
    if args.only:
        unknown = set(args.only) - {m.id for m in mutants}
        if unknown:
            raise SystemExit(f"mutation: no mutant named {', '.join(sorted(unknown))}")
        mutants = [m for m in mutants if m.id in args.only]

    broken = [(m, why) for m in mutants if (why := check_applies(m))]
    for m, why in broken:
        print(f"mutation: ERROR: mutant {m.id} does not apply: {why}")
    if broken or args.check:
        print(f"mutants: 0 killed of {len(mutants)}" if broken else f"mutation: all {len(mutants)} mutants apply")
        return 1 if broken else 0

    work = Path(args.work)
    start = time.monotonic()
    pch = prepare(work)
    print(f"mutation: {len(mutants)} mutants, {args.jobs} at a time (Catch main and precompiled header: "
          f"{time.monotonic() - start:.0f} s)", flush=True)
    outcomes: list[Outcome] = []
    with concurrent.futures.ThreadPoolExecutor(max(1, args.jobs)) as pool:
        futures = [pool.submit(try_mutant, m, work, pch, args.baseline, args.repeat) for m in mutants]
        for future in concurrent.futures.as_completed(futures):
            o = future.result()
            outcomes.append(o)
            print(f"  {o.status:8} {o.mutant.id:34} {o.seconds:5.0f} s  {o.detail.splitlines()[0] if o.detail else ''}",
                  flush=True)
            if o.status == "error":
                print(o.detail)

    order = {m.id: i for i, m in enumerate(mutants)}
    outcomes.sort(key=lambda o: order[o.mutant.id])
    print("\nmutation: kill table (mutant | header | what it breaks | test that killed it)")
    for o in outcomes:
        print(f"  {o.mutant.id} | {o.mutant.file} | {o.mutant.what} | {o.status}: {o.detail.splitlines()[0] if o.detail else ''}")
    killed = sum(o.status == "killed" for o in outcomes)
    for o in outcomes:
        if o.status != "killed":
            print(f"mutation: FAILED: mutant {o.mutant.id} {o.status} ({o.mutant.what}); its tests: "
                  f"{' '.join(o.mutant.tests)}")
    print(f"mutation: {time.monotonic() - start:.0f} s wall")
    print(f"mutants: {killed} killed of {len(mutants)}")
    return 0 if killed == len(mutants) else 1


if __name__ == "__main__":
    sys.exit(main())
