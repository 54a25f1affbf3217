#!/usr/bin/python3
"""Reads one run of tools/bench.sh (Google Benchmark JSON, Django's JSON, RSS and compile times),
prints ONE table of medians and ratios, and writes docs/benchmarks.md and the chart.

Times: in-process work is compared by CPU time of the measuring thread (the machine is shared, so
wall time mostly measures the neighbours); anything that waits on a disk, a socket or another
process (FileStore, SqliteStore, Redis, memcached, Django's db backend) by wall time.
"""
import argparse
import datetime
import json
import os
import platform
import subprocess
import sys


def load_gbench(path):
    out = {}
    if not os.path.exists(path):
        return out, {}
    with open(path) as f:
        doc = json.load(f)
    for b in doc.get("benchmarks", []):
        if b.get("aggregate_name", "median") != "median":
            continue
        if b.get("error_occurred"):
            out[b["run_name"]] = {"error": b.get("error_message", "error")}
            continue
        scale = {"ns": 1, "us": 1e3, "ms": 1e6, "s": 1e9}[b.get("time_unit", "ns")]
        out[b.get("run_name", b["name"])] = {"real": b["real_time"] * scale, "cpu": b["cpu_time"] * scale,
                                              "items_per_second": b.get("items_per_second"),
                                              "bytes": b.get("bytes")}
    return out, doc.get("context", {})


def fmt_time(ns):
    if ns is None:
        return "n/a"
    if ns >= 1e6:
        return "%.2f ms" % (ns / 1e6)
    if ns >= 1e3:
        return "%.2f µs" % (ns / 1e3)
    return "%.0f ns" % ns


SERIALIZERS_BEGIN = "<!-- serializers:begin (written by bench/report.py) -->"
SERIALIZERS_END = "<!-- serializers:end -->"
# The async server section is measured by tools/async_bench.sh (wrk against servers, not this
# suite): a rewrite of the whole file keeps it as it is.
ASYNC_BEGIN = "<!-- async-server:begin (written by tools/async_bench.sh) -->"
ASYNC_END = "<!-- async-server:end -->"
SERIALIZER_FORMATS = [("json", "JSON"), ("cbor", "CBOR"), ("msgpack", "MessagePack"),
                      ("encrypted_json", "encrypted JSON")]


def serializer_section(cpp, provenance):
    """The serializer table (bench/serializers.cpp) as a markdown section between markers, or None
    when the results hold none of its benchmarks."""
    if not any(name.startswith("serializer/") for name in cpp):
        return None
    lines = [SERIALIZERS_BEGIN, "", "## Serializers", "",
             "Stored size and CPU time per call of each serializer for server-side stores over the three payloads "
             "(bench/serializers.cpp). Encrypted JSON is EncryptedSerializer<JsonSerializer>: AES-256-GCM over the "
             "JSON text, bound to the session key (%d bytes more than the JSON). %s" % (33, provenance), "",
             "| payload | serializer | bytes | size vs JSON | dumps | dumps vs JSON | loads | loads vs JSON |",
             "|---|---|---|---|---|---|---|---|"]
    for size in ("tiny", "typical", "large"):
        base_d = cpp.get("serializer/json/dumps/" + size, {})
        base_l = cpp.get("serializer/json/loads/" + size, {})
        for key, label in SERIALIZER_FORMATS:
            d = cpp.get("serializer/%s/dumps/%s" % (key, size), {})
            l = cpp.get("serializer/%s/loads/%s" % (key, size), {})
            if not d or not l or "error" in d or "error" in l:
                continue

            def ratio(x, y):
                return "%.2fx" % (x / y) if x and y else "n/a"
            lines.append("| %s | %s | %d | %s | %s | %s | %s | %s |" % (
                size, label, int(d.get("bytes") or 0), ratio(d.get("bytes"), base_d.get("bytes")),
                fmt_time(d.get("cpu")), ratio(d.get("cpu"), base_d.get("cpu")), fmt_time(l.get("cpu")),
                ratio(l.get("cpu"), base_l.get("cpu"))))
    lines += ["", SERIALIZERS_END]
    return "\n".join(lines) + "\n"


def purge_section(cpp):
    """The purge's throughput per store (bench/purge.hpp: Purger::run_once in batches of 500 over
    expired indexed sessions, each with its index entry and an expired event)."""
    rows = []
    for store in ("memory_store", "file_store", "sqlite_store"):
        b = cpp.get("purge/" + store)
        if not b or b.get("error") or not b.get("items_per_second"):
            continue
        rows.append("| %s | %s |" % (store, "{:,.0f}".format(b["items_per_second"])))
    if not rows:
        return ""
    return "\n".join(["## Purge", "",
                      "Sessions removed per second by `Purger::run_once` (batches of 500, each session with its "
                      "index entry and an `expired` event; bench/purge.hpp), same run. Redis expires records by "
                      "its own clock (TTL), which the benchmark's injected time cannot move: its figure comes from "
                      "its test (docs/scale-out.md); PostgreSQL is not in the benchmark suite.", "",
                      "| store | sessions per second |", "|---|---|"] + rows) + "\n"


def replace_section(path, section, begin=SERIALIZERS_BEGIN, end=SERIALIZERS_END):
    """Writes `section` (from its `begin` marker to its `end` marker) into the markdown file at
    `path`: over the old one, else at the end. tools/async_bench.sh writes its section with it."""
    with open(path) as f:
        text = f.read()
    if begin in text and end in text:
        head, rest = text.split(begin, 1)
        tail = rest.split(end, 1)[1].lstrip("\n")
        text = head + section + ("\n" + tail if tail else "")
    else:
        text = text.rstrip("\n") + "\n\n" + section
    with open(path, "w") as f:
        f.write(text)


def machine():
    model, flags = "?", ""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name") and model == "?":
                    model = line.split(":", 1)[1].strip()
                if line.startswith("flags") and not flags:
                    flags = line.split(":", 1)[1]
    except OSError:
        pass
    cpus = os.cpu_count()
    sha = "SHA-NI" if " sha_ni" in flags else "no SHA-NI"
    return "%s, %d vCPUs (%s); %s; load average at the end %.1f" % (
        model, cpus, sha, " ".join(platform.uname()[i] for i in (0, 2, 4)), os.getloadavg()[0])


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--results", required=True)
    p.add_argument("--markdown")
    p.add_argument("--chart")
    p.add_argument("--serializers-only", metavar="MARKDOWN",
                   help="only (re)write the serializer section of this file, from RESULTS/serializers.json "
                        "(sessions_bench --benchmark_filter=serializer/ --benchmark_out=...)")
    args = p.parse_args()
    r = args.results
    if args.serializers_only:
        cpp, _ = load_gbench(os.path.join(r, "serializers.json"))
        now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
        section = serializer_section(cpp, (
            "Measured on its own, not in the run above, on %s (machine: %s), a machine shared with other "
            "builds and under load: compare the rows with each other rather than with the table above. Command: "
            "`sessions_bench --benchmark_filter='^serializer/' --benchmark_min_time=0.2 --benchmark_repetitions=5 "
            "--benchmark_report_aggregates_only=true --benchmark_out_format=json "
            "--benchmark_out=RESULTS/serializers.json`, then "
            "`bench/report.py --results RESULTS --serializers-only docs/benchmarks.md`.") % (now, machine()))
        if section is None:
            sys.exit("no serializer/ benchmarks in %s" % os.path.join(r, "serializers.json"))
        replace_section(args.serializers_only, section)
        print(section)
        return

    cpp, ctx = load_gbench(os.path.join(r, "cpp.json"))
    servers, _ = load_gbench(os.path.join(r, "cpp_servers.json"))
    cpp.update(servers)
    with open(os.path.join(r, "django.json")) as f:
        dj_doc = json.load(f)
    dj = {b["name"]: {"real": b["real_time_ns"], "cpu": b["cpu_time_ns"]} for b in dj_doc["benchmarks"]}
    rss = []
    if os.path.exists(os.path.join(r, "rss.json")):
        with open(os.path.join(r, "rss.json")) as f:
            rss = [json.loads(line) for line in f if line.strip()]
    compile_time = {}
    if os.path.exists(os.path.join(r, "compile_time.json")):
        with open(os.path.join(r, "compile_time.json")) as f:
            compile_time = json.load(f)

    def t(table, name, clock):
        v = table.get(name)
        if not v or "error" in v:
            return None
        return v[clock]

    rows = []  # (operation, ours, reference name, reference, ratio text, target, holds)
    chart = []  # (label, ours ns, django ns)

    def vs_django(label, ours, theirs, clock, target=None, chart_it=True):
        a, b = t(cpp, ours, clock), t(dj, theirs, clock)
        ratio = b / a if a and b else None
        holds = None if target is None or ratio is None else ratio >= target
        rows.append((label, fmt_time(a), "Django " + fmt_time(b), "%.1fx faster" % ratio if ratio else "n/a",
                     ">= %gx" % target if target else "", holds))
        if chart_it and a and b:
            chart.append((label, a, b))

    def vs_floor(label, ours, floor, clock, target=1.2):
        a, b = t(cpp, ours, clock), t(cpp, floor, clock)
        ratio = a / b if a and b else None
        holds = None if target is None or ratio is None else ratio <= target
        rows.append((label, fmt_time(a), "floor " + fmt_time(b), "%.2fx floor" % ratio if ratio else "n/a",
                     "<= %gx floor" % target if target else "", holds))

    def absolute(label, ours, clock, limit_ns=None):
        a = t(cpp, ours, clock)
        holds = None if limit_ns is None or a is None else a <= limit_ns
        rows.append((label, fmt_time(a), "", "", "<= " + fmt_time(limit_ns) if limit_ns else "", holds))

    # The signed-cookie cycle (changed), against Django and against the floor.
    # Every row against Django must be at least 1.0x (never slower than Django); some ask more.
    for size, target in (("tiny", 6), ("typical", 2.5), ("large", 1.0)):
        vs_django("signed cookie cycle, changed, %s" % size, "signed_cookie_cycle/changed/" + size,
                  "signed_cookie_cycle/changed/" + size, "cpu", target)
        vs_floor("signed cookie cycle, changed, %s" % size, "signed_cookie_cycle/changed/" + size,
                 "floor/signed_cookie_cycle/changed/" + size, "cpu")
    for size in ("tiny", "typical", "large"):
        vs_floor("signed cookie cycle, read, cookie not seen before, %s" % size,
                 "signed_cookie_cycle/read/" + size, "floor/signed_cookie_cycle/read/" + size, "cpu")
        vs_django("signed cookie cycle, read, cookie not seen before, %s" % size, "signed_cookie_cycle/read/" + size,
                  "signed_cookie_cycle/read/" + size, "cpu", 1.0, chart_it=False)
    for size in ("tiny", "typical", "large"):
        if "signed_cookie_cycle/read_cached/" + size in cpp:
            vs_django("signed cookie cycle, read, cookie verified recently, %s" % size,
                      "signed_cookie_cycle/read_cached/" + size, "signed_cookie_cycle/read/" + size, "cpu", 20)
            absolute("  (same, absolute)", "signed_cookie_cycle/read_cached/" + size, "cpu", 1000)
    vs_django("signing.loads, typical", "signing_loads_with_key/typical", "signing_loads/typical", "cpu", 1.0)
    vs_django("signing.dumps, typical", "signing_dumps/typical", "signing_dumps/typical", "cpu", 1.0)
    vs_django("new session key", "key_generation", "key_generation", "cpu")
    vs_floor("new session key vs getrandom()", "key_generation", "floor/getrandom_key", "cpu", None)

    # Memory stores. MemoryValueStore: the existing-session request <= 1 us, through the Middleware
    # <= 1.5 us (Crow's in-memory session middleware takes 1.8 us for the same request), a new
    # session <= 1.5 us. MemoryStore (bytes): <= 1.2x nlohmann's parse + dump of the payload.
    for store in ("memory_store", "memory_value_store"):
        for count in (1, 100000, 1000000):
            absolute("%s, existing session, %d stored" % (store, count), "%s/existing/%d" % (store, count), "cpu",
                     1000 if count == 100000 and store == "memory_value_store" else None)
        absolute("%s, new session, 100000 stored" % store, "%s/new/100000" % store, "cpu",
                 1500 if store == "memory_value_store" else 2000)
    absolute("memory_value_store, existing session through the Middleware, 100000 stored",
             "memory_value_store/middleware/100000", "cpu", 1500)
    # Metrics (Metered) and session events on: <= 5% over the same request with both off.
    plain, observed = t(cpp, "memory_value_store/existing/100000", "cpu"), t(cpp, "memory_value_store/observed/100000", "cpu")
    observed_ratio = observed / plain if plain and observed else None
    rows.append(("memory_value_store existing (100k), metrics and events on vs off", fmt_time(observed),
                 "off " + fmt_time(plain), "%.2fx" % observed_ratio if observed_ratio else "n/a", "<= 1.05x",
                 None if observed_ratio is None else observed_ratio <= 1.05))
    bytes_existing = t(cpp, "memory_store/existing/100000", "cpu")
    parse, dump = t(cpp, "floor/json_parse/typical", "cpu"), t(cpp, "floor/json_dump/typical", "cpu")
    json_floor = parse + dump if parse and dump else None
    json_ratio = bytes_existing / json_floor if bytes_existing and json_floor else None
    rows.append(("memory_store, existing session (100k) vs nlohmann parse + dump", fmt_time(bytes_existing),
                 "floor " + fmt_time(json_floor), "%.2fx floor" % json_ratio if json_ratio else "n/a",
                 "<= 1.2x floor", None if json_ratio is None else json_ratio <= 1.2))
    vs_django("memory_value_store existing (100k) vs locmem cache", "memory_value_store/existing/100000",
              "locmem_cache/changed", "cpu")
    vs_django("memory_value_store new session vs locmem cache", "memory_value_store/new/100000",
              "locmem_cache/new", "cpu")
    # Two threads on the two vCPUs: the CPU time per request (all threads) must not grow by more
    # than 15% (throughput, shown too, depends on what else the shared machine runs).
    for store in ("memory_store", "memory_value_store"):
        runs = ["%s/existing_threads/100000/real_time/threads:%d" % (store, n) for n in (1, 2)]
        one, two = (cpp.get(r, {}).get("items_per_second") for r in runs)
        ratio = two / one if one and two else None
        rows.append(("%s, 2 threads vs 1 (throughput)" % store, "%.0f/s" % two if two else "n/a",
                     "1 thread %.0f/s" % one if one else "", "%.2fx" % ratio if ratio else "n/a", "", None))
        cpu_one, cpu_two = t(cpp, runs[0], "cpu"), t(cpp, runs[1], "cpu")
        cpu_ratio = cpu_two / cpu_one if cpu_one and cpu_two else None
        rows.append(("%s, 2 threads vs 1 (CPU time per request)" % store, fmt_time(cpu_two),
                     "1 thread " + fmt_time(cpu_one), "%.2fx" % cpu_ratio if cpu_ratio else "n/a",
                     "<= 1.15x" if store == "memory_value_store" else "",
                     None if cpu_ratio is None or store != "memory_value_store" else cpu_ratio <= 1.15))
    for line in rss:
        per = line["bytes_per_session"]
        limit = line["payload_bytes"] + 200
        rows.append(("%s RSS per session (1M typical)" % line["store"], "%.0f B" % per,
                     "payload %d B" % line["payload_bytes"], "+%.0f B" % (per - line["payload_bytes"]),
                     "<= payload + 200 B", per <= limit if line["store"] == "MemoryStore" else None))

    # Server stores (wall time).
    vs_django("SqliteStore cycle, WAL, synchronous=NORMAL", "sqlite_store/wal_normal/changed", "db_sqlite/changed",
              "real", 20)
    vs_django("SqliteStore cycle, WAL, synchronous=FULL", "sqlite_store/wal_full/changed", "db_sqlite/changed",
              "real", None)
    vs_django("SqliteStore read", "sqlite_store/wal_normal/read", "db_sqlite/read", "real", None)
    for where in ("disk", "dev_shm"):
        absolute("FileStore cycle (%s)" % where.replace("dev_shm", "/dev/shm"), "file_store/%s/changed" % where, "real")
    vs_floor("RedisStore cycle (GET + SET XX PX)", "redis_store/changed", "floor/hiredis/changed", "real")
    vs_floor("RedisStore read (GET)", "redis_store/read", "floor/hiredis/read", "real")
    absolute("MemcachedStore cycle", "memcached_store/changed", "real")
    absolute("MemcachedStore read", "memcached_store/read", "real")
    for size in ("tiny", "typical", "large"):
        absolute("encrypted cookie cycle, changed, %s" % size, "encrypted_cookie_cycle/changed/" + size, "cpu")
    absolute("Cookie header: find the session cookie", "cookie_header_find", "cpu")
    absolute("Set-Cookie: build", "set_cookie_build", "cpu")
    if compile_time:
        ratio = compile_time["umbrella_s"] / compile_time["json_only_s"]
        label = "compile time: umbrella + one Session vs json.hpp + one parse/dump"
        rows.append((label, "%.2f s" % compile_time["umbrella_s"],
                     "json.hpp %.2f s" % compile_time["json_only_s"], "%.2fx" % ratio, "<= 1.5x", ratio <= 1.5))

    header = ("operation", "sessions (C++)", "reference", "ratio", "target", "holds")
    mark = {True: "yes", False: "NO", None: ""}
    table = [header] + [(a, b, c, d, e, mark[f]) for (a, b, c, d, e, f) in rows]
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    for i, row in enumerate(table):
        print("  ".join(cell.ljust(widths[j]) for j, cell in enumerate(row)))
        if i == 0:
            print("  ".join("-" * w for w in widths))

    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    if args.markdown:
        kept = ""
        if os.path.exists(args.markdown):
            with open(args.markdown) as f:
                old = f.read()
            if ASYNC_BEGIN in old and ASYNC_END in old:
                kept = ASYNC_BEGIN + old.split(ASYNC_BEGIN, 1)[1].split(ASYNC_END, 1)[0] + ASYNC_END + "\n"
        with open(args.markdown, "w") as f:
            f.write("# Benchmarks\n\n")
            f.write("Generated by `tools/bench.sh` on %s. Medians of %s; Django %s on Python %s.\n\n" % (
                now, "repeated runs", dj_doc.get("django_version"), dj_doc.get("python")))
            f.write("Machine: %s.\n\n" % machine())
            f.write("Payloads (bench/payloads.json, compact JSON): tiny %s bytes, typical %s bytes, large %s bytes.\n"
                    "In-process work is compared by CPU time of the measuring thread (the machine is shared; "
                    "wall time would mostly measure the neighbours); stores that wait on a disk, socket or server "
                    "by wall time. Redis and memcached run with client and server pinned to one CPU. "
                    "The floor is the unavoidable steps of the same operation written directly against "
                    "libcrypto/zlib/nlohmann_json (or hiredis), with reused contexts, in the same binary.\n\n" % (
                        ctx.get("payload_bytes_tiny"), ctx.get("payload_bytes_typical"),
                        ctx.get("payload_bytes_large")))
            f.write("| " + " | ".join(header) + " |\n|" + "---|" * len(header) + "\n")
            for row in table[1:]:
                f.write("| " + " | ".join(c.replace("|", "\\|") for c in row) + " |\n")
            f.write("\nReading the table: the machine is shared with other work, so absolute numbers move between "
                    "runs (by a third from one run to the next, for all rows alike); ratios from one run are what "
                    "the targets are about, and tests/perf/instruction_budget.json holds the instruction counts, "
                    "which do not move. Where a target does not hold, what bounds it (from callgrind profiles, "
                    "--cache-sim=yes for memory): the cached read of a larger session against Django by the Cookie "
                    "header scan, the constant-time compare of the whole signed value and the node-count walk that "
                    "every request still does; MemoryValueStore's existing-session request (4,144 instructions) by "
                    "memory, about 20 last-level cache misses per request with 100k sessions stored: the store's "
                    "hash node and key, the session's member list, and one reference-count write per member when "
                    "the request's first change copies the list (five of the twenty; sharing per member is what "
                    "removed the copy and the free of the whole session, which cost 44 misses and 16,500 "
                    "instructions); through the Middleware also by the Cookie header, the Set-Cookie text and their "
                    "allocations (8,826 instructions, 12 allocations); a new session by malloc as the store grows; metrics and events on by two clock reads per timed store call (about 30 ns each on this machine's kvm-clock), the counters and the event's user-id lookup; MemoryStore by "
                    "parsing and dumping the session (1.13x nlohmann's parse + dump in instructions; the rest is "
                    "memory); the compile time by Session itself: the second instantiation of nlohmann's parser and "
                    "serializer for Data and the -O2 code of one Session cost more than the budget leaves, before "
                    "any store or the signing code; Redis against raw hiredis by the client-side work (parsing the "
                    "session) that the raw floor does not do, on the single CPU both share.\n")
            if args.chart:
                f.write("\n![C++ and Django, microseconds, log scale](%s)\n" % os.path.basename(args.chart))
            section = serializer_section(cpp, "Same run as the table above.")
            if section:
                f.write("\n" + section)
            section = purge_section(cpp)
            if section:
                f.write("\n" + section)
            if kept:
                f.write("\n" + kept)
    if args.chart and chart:
        data = os.path.join(r, "chart.dat")
        with open(data, "w") as f:
            for label, a, b in chart:
                short = (label.replace("signed cookie cycle, ", "signed ").replace("cookie verified recently", "cached")
                         .replace("memory_value_store existing (100k) vs locmem cache", "MemoryValueStore vs locmem")
                         .replace("memory_value_store new session vs locmem cache", "new session vs locmem")
                         .replace("SqliteStore cycle, WAL, synchronous=", "SQLite WAL ").replace(", ", " "))
                f.write('"%s" %.4f %.4f\n' % (short, a / 1e3, b / 1e3))
        script = """
set terminal pngcairo size 1100,%d font ",10" noenhanced
set output "%s"
set title "sessions (C++) vs Django 3.2: median time per operation (µs, log scale)"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set logscale y
set ylabel "µs"
set xtics rotate by -35 left
set key top left
set bmargin 9
set rmargin 8
plot "%s" using 2:xtic(1) title "sessions (C++)" lc rgb "#1f77b4", "" using 3 title "Django 3.2" lc rgb "#d62728"
""" % (600, args.chart, data)
        try:
            subprocess.run(["gnuplot"], input=script.encode(), check=True)
        except (OSError, subprocess.CalledProcessError) as e:
            print("chart not written: %s" % e, file=sys.stderr)


if __name__ == "__main__":
    main()
