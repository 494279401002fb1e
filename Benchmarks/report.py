#!/usr/bin/env python3
"""Turns the raw data of scripts/bench.sh into bench-results/results.md and chart.svg.

Inputs (in --raw): machine.txt (key=value lines), c-harness.csv (the C harness, all rounds),
swift-benchmarks.md (the Swift benchmarks' own Markdown tables); --swift-json: the
ordo-one/benchmark baseline (results.json) whose histograms give exact per-sample values.
Outputs (in --out): results.md, chart.svg, and raw/swift-summary.csv.

Only the standard library: python3 Benchmarks/report.py --raw bench-results/raw --out bench-results
re-renders the report from committed raw data (without --swift-json it reuses swift-summary.csv).
"""
import argparse
import csv
import html
import json
import math
import os
import statistics
from collections import defaultdict

PEERS = ["glibc", "jemalloc", "tcmalloc", "mimalloc", "talloc"]
OURS = ["lookaside", "pool", "wdfmemory", "wdfpool", "ecp"]
ALL = PEERS + OURS
# References, not allocators anyone would use: shown for single pairs only.
REFERENCES = ["floor", "calls"]
LABEL = {
    "glibc": "glibc malloc/free",
    "jemalloc": "jemalloc malloc/free",
    "tcmalloc": "tcmalloc malloc/free",
    "mimalloc": "mimalloc malloc/free",
    "talloc": "talloc_size/talloc_free",
    "lookaside": "ExAllocateFromLookasideListEx/ExFreeToLookasideListEx",
    "pool": "ExAllocatePoolWithTag/ExFreePoolWithTag",
    "wdfmemory": "WdfMemoryCreateFromLookaside/WdfObjectDelete",
    "wdfpool": "WdfMemoryCreate (no attributes)/WdfObjectDelete",
    "ecp": "FltAllocateExtraCreateParameterFromLookasideList/FltFreeExtraCreateParameter",
    "floor": "floor_allocate/floor_free (Benchmarks/CHarness/floor.c)",
    "calls": "floor_calls_allocate/floor_calls_free (Benchmarks/CHarness/floor.c)",
}
SHORT = {
    "glibc": "glibc", "jemalloc": "jemalloc", "tcmalloc": "tcmalloc", "mimalloc": "mimalloc",
    "talloc": "talloc", "lookaside": "lookaside (ours)", "pool": "pool (ours)",
    "wdfmemory": "WDF memory (ours)",
    "wdfpool": "WDF memory, pool (ours)", "ecp": "ECP (ours)", "floor": "floor (reference)",
    "calls": "the calls alone (reference)",
}
SIZES = [32, 256, 1024, 4096]
BATCHES = [25, 100, 400, 1000]
SWIFT_PAIRS_PER_SAMPLE = 1000


# ------------------------------------------------------------------------------------------------
# Reading
# ------------------------------------------------------------------------------------------------

def read_machine(path):
    info = {}
    if os.path.exists(path):
        for line in open(path, encoding="utf-8"):
            if "=" in line:
                key, value = line.rstrip("\n").split("=", 1)
                info[key] = value
    for key in ("tree_children", "mem_objects"):
        if info.get(key, "").isdigit():
            info[key] = "{:,}".format(int(info[key]))
    return info


class Harness:
    """The C harness rows: the best (lowest) time over rounds per (allocator, kind, size, batch,
    threads). A shared VM only ever slows a run down, so the best round is the figure least
    disturbed by neighbours; every round stays in the raw CSV."""

    def __init__(self, path):
        self.samples = defaultdict(list)       # key -> [ns_per_pair, ...]
        self.by_round = defaultdict(dict)      # key -> {round: ns_per_pair}
        with open(path, newline="", encoding="utf-8") as f:
            for row in csv.DictReader(f):
                key = (row["allocator"], row["kind"], int(row["size"]), int(row["batch"]), int(row["threads"]))
                value = float(row["ns_per_pair"])
                self.samples[key].append(value)
                self.by_round[key][int(row["round"])] = value

    def get(self, allocator, kind, size, batch=1, threads=1):
        values = self.samples.get((allocator, kind, size, batch, threads))
        return min(values) if values else None

    def spread(self, allocator):
        """Median over this allocator's cases of slowest/fastest round."""
        ratios = [max(v) / min(v) for k, v in self.samples.items()
                  if k[0] == allocator and k[1] in ("pair", "batch", "prodcons") and len(v) > 1 and min(v) > 0]
        return statistics.median(ratios) if ratios else None

    def probes(self):
        return [v for k, values in self.samples.items() if k[1] == "probe" for v in values]

    def count(self, allocator, kind, size, batch=1, threads=1):
        return len(self.samples.get((allocator, kind, size, batch, threads), []))

    def scaling(self, allocator, kind, size, batch=1):
        """Aggregate throughput of 2 threads over 1 thread: best 1-thread time / best 2-thread time."""
        one = self.get(allocator, kind, size, batch, 1)
        two = self.get(allocator, kind, size, batch, 2)
        return one / two if one and two else None


def hdr_values(histogram):
    """(value, count) pairs of an HdrHistogram as hdrhistogram-swift encodes it."""
    half_magnitude = histogram["subBucketHalfCountMagnitude"]
    half_count = 1 << half_magnitude
    unit = histogram["unitMagnitude"]
    for index, count in enumerate(histogram["counts"]):
        if not count:
            continue
        bucket = (index >> half_magnitude) - 1
        sub = (index & (half_count - 1)) + half_count
        if bucket < 0:
            sub -= half_count
            bucket = 0
        yield sub << (bucket + unit), count


def hdr_percentile(histogram, percentile):
    values = list(hdr_values(histogram))
    total = sum(count for _, count in values)
    if total == 0:
        return 0.0
    wanted = max(1, math.ceil(total * percentile / 100.0))
    seen = 0
    for value, count in values:
        seen += count
        if seen >= wanted:
            return float(value)
    return float(values[-1][0])


def read_swift(json_path, summary_path):
    """Per Swift benchmark: ns per pair (p50, p90) and malloc calls per pair (p90, max)."""
    rows = {}
    if json_path and os.path.exists(json_path):
        data = json.load(open(json_path, encoding="utf-8"))
        results = data["results"]
        # results: [identifier, [metric result, ...], identifier, [...], ...]
        for i in range(0, len(results) - 1, 2):
            name = results[i]["name"]
            entry = rows.setdefault(name, {"name": name})
            for metric in results[i + 1]:
                kind = next(iter(metric["metric"]))
                histogram = metric["statistics"]["histogram"]
                samples = histogram["_totalCount"]
                p50 = hdr_percentile(histogram, 50) / SWIFT_PAIRS_PER_SAMPLE
                p90 = hdr_percentile(histogram, 90) / SWIFT_PAIRS_PER_SAMPLE
                top = histogram["maxValue"] / SWIFT_PAIRS_PER_SAMPLE
                if kind == "wallClock":
                    entry.update(ns_p50=p50, ns_p90=p90, samples=samples)
                elif kind == "mallocCountTotal":
                    entry.update(malloc_p90=p90, malloc_max=top)
        with open(summary_path, "w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f)
            writer.writerow(["benchmark", "ns_per_pair_p50", "ns_per_pair_p90", "malloc_per_pair_p90",
                             "malloc_per_pair_max", "samples"])
            for name in sorted(rows):
                r = rows[name]
                writer.writerow([name, "%.3f" % r.get("ns_p50", float("nan")), "%.3f" % r.get("ns_p90", float("nan")),
                                 "%.4f" % r.get("malloc_p90", float("nan")), "%.4f" % r.get("malloc_max", float("nan")),
                                 r.get("samples", 0)])
    elif os.path.exists(summary_path):
        with open(summary_path, newline="", encoding="utf-8") as f:
            for row in csv.DictReader(f):
                rows[row["benchmark"]] = {
                    "name": row["benchmark"], "ns_p50": float(row["ns_per_pair_p50"]),
                    "ns_p90": float(row["ns_per_pair_p90"]), "malloc_p90": float(row["malloc_per_pair_p90"]),
                    "malloc_max": float(row["malloc_per_pair_max"]), "samples": int(row["samples"]),
                }
    return rows


# ------------------------------------------------------------------------------------------------
# Formatting
# ------------------------------------------------------------------------------------------------

def ns(value):
    if value is None:
        return "–"
    if value >= 1000:
        return "%.0f" % value
    if value >= 100:
        return "%.0f" % value
    if value >= 10:
        return "%.1f" % value
    return "%.2f" % value


def ratio(value, base):
    if value is None or base is None or base == 0:
        return "–"
    r = value / base
    return ("%.3f×" if r < 0.1 else "%.2f×") % r


def cell(value, base):
    if value is None:
        return "–"
    return "%s (%s)" % (ns(value), ratio(value, base))


def table(header, rows, align=None):
    align = align or ["---"] + ["---:"] * (len(header) - 1)
    out = ["| " + " | ".join(header) + " |", "|" + "|".join(align) + "|"]
    out += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(out)


# ------------------------------------------------------------------------------------------------
# The report
# ------------------------------------------------------------------------------------------------

def targets(h, swift, machine):
    """Rows: measure, target, measured, reached."""
    rows = []
    glibc = lambda kind, size, batch=1: h.get("glibc", kind, size, batch)

    def add(measure, target, measured, reached):
        mark = "–" if reached is None else ("**reached**" if reached else "not reached")
        rows.append([measure, target, measured, mark])

    la = h.get("lookaside", "pair", 256)
    g = glibc("pair", 256)
    tc = h.get("tcmalloc", "pair", 256)
    fl = h.get("floor", "pair", 256)
    ca = h.get("calls", "pair", 256)
    if la and g and tc:
        add("ExAllocateFromLookasideListEx + ExFreeToLookasideListEx, 256 B, 1 thread",
            "≤ 0.3× glibc, ≤ 1.0× tcmalloc",
            "%s ns: %.2f× glibc (%s ns), %.2f× tcmalloc (%s ns)%s%s" % (
                ns(la), la / g, ns(g), la / tc, ns(tc),
                "; the floor, a bare per-thread cache behind a library call: %s ns, %.2f× glibc" % (ns(fl), fl / g)
                if fl else "",
                "; two calls into a library that do nothing: %s ns, %.2f× glibc" % (ns(ca), ca / g) if ca else ""),
            la / g <= 0.3 and la / tc <= 1.0)
    wm = h.get("wdfmemory", "pair", 256)
    if wm and g:
        add("WdfMemoryCreateFromLookaside + WdfObjectDelete, 256 B, 1 thread (C API)", "≤ 1.0× glibc malloc+free",
            "%s ns: %.2f× glibc" % (ns(wm), wm / g), wm / g <= 1.0)
    sw = swift.get("WdfLookaside makeMemory+delete 256 B")
    if sw and "ns_p50" in sw and wm:
        add("the same through the Swift API (WdfLookaside.createMemory + delete)", "≤ the C API figure",
            "%s ns (p50): %.2f× the C API (%s ns), %.2f× glibc" % (ns(sw["ns_p50"]), sw["ns_p50"] / wm, ns(wm),
                                                                   sw["ns_p50"] / g if g else float("nan")),
            sw["ns_p50"] <= wm)
    else:
        add("the same through the Swift API", "≤ the C API figure", "not run", None)
    for size in (256, 4096):
        lb = h.get("lookaside", "batch", size, 1000)
        gb = glibc("batch", size, 1000)
        if lb and gb:
            add("batch of 1000 then free, %d B (lookaside list)" % size, "≤ 0.5× glibc",
                "%s ns per pair: %.2f× glibc (%s ns)" % (ns(lb), lb / gb, ns(gb)), lb / gb <= 0.5)
    s = h.scaling("lookaside", "pair", 256)
    if s:
        add("2 threads, each on its own list (lookaside pairs, 256 B)", "aggregate ≥ 1.8× one thread",
            "%.2f× one thread" % s, s >= 1.8)
    lp = h.get("lookaside", "prodcons", 256, 1, 2)
    jp = h.get("jemalloc", "prodcons", 256, 1, 2)
    if lp and jp:
        add("producer/consumer across 2 threads (lookaside list, 256 B)", "≥ jemalloc's throughput",
            "%.1f M/s: %.2f× jemalloc (%.1f M/s)" % (1e3 / lp, jp / lp, 1e3 / jp), jp / lp >= 1.0)
    names = ["LookasideList allocate+free 256 B", "WdfLookaside makeMemory+delete 256 B"]
    measured = [swift[n] for n in names if n in swift and "malloc_max" in swift[n]]
    status = machine.get("swift_thresholds", "skipped")
    if measured:
        worst = max(m["malloc_max"] for m in measured)
        add("malloc calls per warm create+delete pair (lookaside, WDF memory; Swift benchmarks)",
            "0 (a benchmark threshold)",
            "%g per pair at most (p90 %g); threshold check: %s" % (worst, max(m["malloc_p90"] for m in measured), status),
            worst == 0 and status == "pass")
    else:
        add("malloc calls per warm create+delete pair", "0 (a benchmark threshold)", "not run", None)
    tm = h.get("talloc", "tree-delete", 256)
    wd = h.get("wdfmemory", "tree-delete", 256)
    if tm and wd:
        add("delete a parent with %s children (WdfMemoryCreate children vs talloc_size children)"
            % machine.get("tree_children", "1,000,000"), "per child ≤ talloc_free of the same tree",
            "%s ns per child: %.2f× talloc (%s ns)" % (ns(wd), wd / tm, ns(tm)), wd <= tm)
    tn = h.get("talloc-new", "tree-delete", 0)
    wo = h.get("wdfobject", "tree-delete", 0)
    if tn and wo:
        add("… generic children (WdfObjectCreate vs talloc_new)", "per child ≤ talloc_free of the same tree",
            "%s ns per child: %.2f× talloc (%s ns)" % (ns(wo), wo / tn, ns(tn)), wo <= tn)
    mem = h.get("wdfmemory", "mem-rss", 256)
    if mem is not None:
        add("memory per live lookaside memory object beyond its buffer (RSS, %s objects)"
            % machine.get("mem_objects", "?"), "≤ 64 bytes", "%.1f bytes" % mem, mem <= 64)
    ecp = h.get("ecp", "pair", 256)
    if ecp and g:
        add("FltAllocateExtraCreateParameterFromLookasideList + FltFreeExtraCreateParameter, fits (256 B)",
            "≤ 1.0× glibc", "%s ns: %.2f× glibc" % (ns(ecp), ecp / g), ecp / g <= 1.0)
    return rows


def render(h, swift, machine, swift_md):
    mib = int(machine.get("memory_kib", "0")) / 1024 / 1024
    lines = []
    w = lines.append
    w("# Benchmark results")
    w("")
    w("Generated by `bash scripts/bench.sh`%s. Do not edit by hand." %
      (" (quick mode: a smoke run, not for comparison)" if machine.get("quick") == "1" else ""))
    w("")
    w("| | |")
    w("|---|---|")
    w("| machine | %s, %s CPUs, %.1f GiB memory, %s |" % (machine.get("cpu", "?"), machine.get("nproc", "?"), mib,
                                                       machine.get("kernel", "?")))
    w("| date | %s |" % machine.get("date", "?"))
    w("| commit | %s |" % machine.get("commit", "?"))
    w("| toolchains | %s; %s |" % (machine.get("swift", "?"), machine.get("cc", "?")))
    w("| peers | %s |" % ", ".join("%s %s" % (k[5:], v) for k, v in machine.items() if k.startswith("peer_")))
    providers = ["%s: %s" % (k[len("malloc_in_"):], os.path.basename(v)) for k, v in machine.items() if k.startswith("malloc_in_")]
    if providers:
        w("| malloc provided by | %s |" % ", ".join(providers))
    w("| other load | CPUs %s busy in the second before the C harness, %s in the second after it; load average %s before, %s after |" %
      (machine.get("cpu_busy_start", "?"), machine.get("cpu_busy_end", "?"), machine.get("load_start", "?"),
       machine.get("load_end", "?")))
    probes = h.probes()
    if probes:
        spreads = ", ".join("%s %.2f" % (SHORT[a].replace(" (ours)", ""), h.spread(a)) for a in ALL if h.spread(a))
        w("| steadiness | CPU probe (a fixed loop at the start of each process): %.2f to %.2f ns per step over %d "
          "processes (%.2f×); slowest/fastest round, median over cases: %s |"
          % (min(probes), max(probes), len(probes), max(probes) / min(probes), spreads))
    w("| method | C harness: %s rounds, each allocator in its own process once per round (order rotated), "
      "about %s ms measured per case after a warm-up; threads pinned one per CPU; the tables show the best round "
      "(the VM's neighbours only ever slow a round down; all rounds are in raw/c-harness.csv). "
      "Swift: ordo-one/benchmark, %s s per benchmark, p50. |" %
      (machine.get("rounds", "?"), machine.get("target_ms", "?"), machine.get("swift_seconds", "?")))
    w("")
    w("Ratios are to glibc malloc+free measured in this run (below 1 is faster than glibc). "
      "Times are ns per allocate+free pair (for batches: per pair, the batch allocated then freed in "
      "allocation order; for 2 threads: wall time over the pairs of both threads).")
    w("")
    w("## Targets (performance issue)")
    w("")
    w(table(["measure", "target", "measured", "status"], targets(h, swift, machine), ["---", "---", "---", "---"]))
    w("")
    w("![ns per pair by allocator](chart.svg)")
    w("")

    w("## Single allocate+free pairs, 1 thread")
    w("")
    rows = []
    for a in ALL + [r for r in REFERENCES if h.get(r, "pair", 256)]:
        rows.append([SHORT[a]] + [cell(h.get(a, "pair", s), h.get("glibc", "pair", s)) for s in SIZES])
    w(table(["allocator"] + ["%d B" % s for s in SIZES], rows))
    w("")
    if h.get("floor", "pair", 256):
        w("The floor is not an allocator: it is a per-thread stack of up to 32 blocks per list, plus the "
          "block freed last kept apart (as libWdf01000.so's magazines keep it), behind one exported function "
          "each way (initial-exec thread-local storage, like libWdf01000.so and the malloc replacements), with "
          "malloc and free behind it and nothing checked or counted (`Benchmarks/CHarness/floor.c`). It shows "
          "the least a pair of calls into a per-thread cache in a shared library costs on this machine. "
          "The calls alone are two exported functions that do nothing but hand the caller's one block out "
          "and take it back: what calling into a shared library twice costs, before any work.")
        w("")

    w("## Batches allocated, then freed, 1 thread (ns per pair)")
    w("")
    w("When a batch holds more than glibc's trim threshold (128 KiB: 400 × 1 KiB, 100 × 4 KiB and up), "
      "glibc gives the top of its heap back to the kernel after every batch and faults it in again on "
      "the next one; that is glibc's default behaviour, and it is what its large-batch figures measure.")
    w("")
    for size in SIZES:
        w("### %d bytes" % size)
        w("")
        rows = []
        for a in ALL:
            rows.append([SHORT[a]] + [cell(h.get(a, "batch", size, b), h.get("glibc", "batch", size, b)) for b in BATCHES])
        w(table(["allocator"] + ["batch %d" % b for b in BATCHES], rows))
        w("")

    w("## 2 threads, each on its own list, arena or context")
    w("")
    w("Aggregate ns per pair (wall time over all pairs of both threads) and the speedup over 1 thread "
      "(aggregate throughput / 1-thread throughput, best rounds; 2.00× is perfect).")
    w("")
    rows = []
    for a in ALL:
        row = [SHORT[a]]
        for kind, size, batch in [("pair", 256, 1), ("pair", 4096, 1), ("batch", 256, 1000), ("batch", 4096, 1000)]:
            v = h.get(a, kind, size, batch, 2)
            s = h.scaling(a, kind, size, batch)
            row.append("–" if v is None else "%s (%s)" % (ns(v), "%.2f×" % s if s else "–"))
        rows.append(row)
    w(table(["allocator", "pair 256 B", "pair 4096 B", "batch 1000 × 256 B", "batch 1000 × 4096 B"], rows))
    w("")
    rows = []
    for a in ALL:
        row = [SHORT[a]]
        for size in SIZES:
            row.append(cell(h.get(a, "pair", size, 1, 2), h.get("glibc", "pair", size, 1, 2)))
        rows.append(row)
    w("Single pairs on 2 threads, aggregate ns per pair (ratio to glibc on 2 threads):")
    w("")
    w(table(["allocator"] + ["%d B" % s for s in SIZES], rows))
    w("")

    w("## Producer/consumer (256 B)")
    w("")
    w("One thread allocates and pushes into a bounded lock-free ring of 1024 slots, the other pops and "
      "frees (the same ring for every allocator; a waiting side spins briefly, then yields; the two threads "
      "are pinned to different CPUs, so every object crosses between CPUs). "
      "talloc is left out: one talloc context must not be used from two threads.")
    w("")
    rows = []
    jp = h.get("jemalloc", "prodcons", 256, 1, 2)
    gp = h.get("glibc", "prodcons", 256, 1, 2)
    for a in ALL:
        v = h.get(a, "prodcons", 256, 1, 2)
        if v is None:
            continue
        rows.append([SHORT[a], ns(v), "%.1f" % (1e3 / v), ratio(v, gp), "%.2f×" % (jp / v) if jp else "–"])
    w(table(["allocator", "ns per object", "M objects/s", "time vs glibc", "throughput vs jemalloc"], rows))
    w("")

    w("## Memory per live object (256-byte objects)")
    w("")
    w("RSS growth while %s objects are live, each buffer fully written, divided by the count, minus the "
      "256-byte buffer. For our allocators also the pool accounting (ZwQuerySystemInformation, all tags) "
      "per object minus 256." % machine.get("mem_objects", "?"))
    w("")
    rows = []
    for a in ALL:
        r = h.get(a, "mem-rss", 256)
        if r is None:
            continue
        p = h.get(a, "mem-pool", 256)
        rows.append([SHORT[a], "%.1f" % r, "–" if p is None else "%.1f" % p])
    w(table(["allocator", "bytes per object beyond the buffer (RSS)", "pool accounting beyond the buffer"], rows))
    w("")

    w("## A parent with %s children" % machine.get("tree_children", "?"))
    w("")
    w("Creating the children one by one under one parent, then deleting the parent (ns per child, "
      "best of %s rounds, each in a fresh process)." % machine.get("tree_rounds", "?"))
    w("")
    rows = []
    for a, size, what in [("talloc", 256, "talloc_size(parent, 256)"), ("wdfmemory", 256, "WdfMemoryCreate 256 B, ParentObject = parent"),
                          ("talloc-new", 0, "talloc_new(parent)"), ("wdfobject", 0, "WdfObjectCreate, ParentObject = parent")]:
        c = h.get(a, "tree-create", size)
        d = h.get(a, "tree-delete", size)
        if c is None:
            continue
        rows.append([what, ns(c), ns(d)])
    w(table(["children", "create, ns per child", "delete the parent, ns per child"], rows))
    w("")

    w("## Swift API (Benchmarks/, ordo-one/benchmark)")
    w("")
    if swift:
        w("Metrics wallClock and mallocCountTotal; each sample is 1000 pairs (or one batch of 1000), shown per "
          "pair. The malloc interposer of the benchmark package counts every malloc; the warm pairs of our "
          "allocators have a static threshold of 0 (`Benchmarks/Thresholds`), checked by "
          "`swift package --package-path Benchmarks benchmark thresholds check`: **%s**."
          % machine.get("swift_thresholds", "?"))
        w("")
        rows = []
        for name in sorted(swift):
            r = swift[name]
            rows.append([name, ns(r.get("ns_p50")), ns(r.get("ns_p90")), "%g" % r.get("malloc_p90", float("nan")),
                         "%g" % r.get("malloc_max", float("nan")), r.get("samples", 0)])
        w(table(["benchmark", "ns per pair p50", "p90", "malloc per pair p90", "max", "samples"], rows))
        w("")
        if swift_md:
            w("<details><summary>The benchmark package's own tables</summary>")
            w("")
            w(swift_md.strip())
            w("")
            w("</details>")
            w("")
    else:
        w("Not run.")
        w("")

    w("## Allocators")
    w("")
    w(table(["name", "calls"], [[SHORT[a], "`%s`" % LABEL[a]] for a in ALL + REFERENCES], ["---", "---"]))
    w("")
    w("glibc, jemalloc, tcmalloc (gperftools' tcmalloc_minimal) and mimalloc replace malloc by being linked "
      "ahead of libc, one program each (`bench-X which` prints the library that provides malloc). Our lists are "
      "initialized with Depth 0 (as drivers must), non-paged NX pool.")
    w("")
    return "\n".join(lines)


# ------------------------------------------------------------------------------------------------
# The chart
# ------------------------------------------------------------------------------------------------

def chart(h):
    panels = [("Single allocate+free pair, 256 B, 1 thread", "pair", 256, 1),
              ("Batch of 1000 allocated then freed, 256 B", "batch", 256, 1000),
              ("Batch of 1000 allocated then freed, 4096 B", "batch", 4096, 1000)]
    colors = {a: "#8c8c8c" for a in PEERS}
    colors.update({"glibc": "#555555", "lookaside": "#1f77b4", "pool": "#2ca02c", "wdfmemory": "#d62728", "wdfpool": "#ff7f0e", "ecp": "#9467bd"})
    values = [h.get(a, k, s, b) for _, k, s, b in panels for a in ALL]
    values = [v for v in values if v]
    lo = 10 ** math.floor(math.log10(min(values))) if values else 1
    hi = 10 ** math.ceil(math.log10(max(values))) if values else 1000
    label_w, bar_w, right, bar_h, gap, title_h = 150, 430, 120, 16, 4, 26
    panel_h = title_h + len(ALL) * (bar_h + gap) + 22
    width = label_w + bar_w + right
    height = 50 + len(panels) * panel_h + 10
    x = lambda v: label_w + bar_w * (math.log10(v) - math.log10(lo)) / (math.log10(hi) - math.log10(lo))
    out = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" '
           'font-family="Helvetica, Arial, sans-serif" font-size="12">' % (width, height, width, height),
           '<rect width="100%" height="100%" fill="white"/>',
           '<text x="%d" y="22" font-size="15" font-weight="bold">ns per allocate+free pair (log scale; lower is faster)</text>' % 10,
           '<text x="%d" y="40" fill="#555">ratio to glibc in parentheses (dashed line: glibc), measured in the same run</text>' % 10]
    y = 50
    for title, kind, size, batch in panels:
        out.append('<text x="10" y="%d" font-weight="bold">%s</text>' % (y + 16, html.escape(title)))
        top = y + title_h
        decade = lo
        while decade <= hi:
            gx = x(decade)
            out.append('<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#ddd"/>' % (gx, top - 4, gx, top + len(ALL) * (bar_h + gap)))
            out.append('<text x="%.1f" y="%d" fill="#777" text-anchor="middle" font-size="10">%g ns</text>'
                       % (gx, top + len(ALL) * (bar_h + gap) + 12, decade))
            decade *= 10
        base = h.get("glibc", kind, size, batch)
        if base:
            out.append('<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#555" stroke-dasharray="4,3"/>'
                       % (x(base), top - 4, x(base), top + len(ALL) * (bar_h + gap)))
        for i, a in enumerate(ALL):
            by = top + i * (bar_h + gap)
            v = h.get(a, kind, size, batch)
            out.append('<text x="%d" y="%d" text-anchor="end">%s</text>' % (label_w - 6, by + bar_h - 4, html.escape(SHORT[a])))
            if not v:
                out.append('<text x="%d" y="%d" fill="#777">n/a</text>' % (label_w + 4, by + bar_h - 4))
                continue
            bx = x(max(v, lo))
            out.append('<rect x="%d" y="%d" width="%.1f" height="%d" fill="%s"/>' % (label_w, by, max(bx - label_w, 1), bar_h, colors[a]))
            text = "%s ns" % ns(v) + (" (%s)" % ratio(v, base) if base else "")
            out.append('<text x="%.1f" y="%d">%s</text>' % (bx + 4, by + bar_h - 4, html.escape(text)))
        y += panel_h
    out.append("</svg>")
    return "\n".join(out) + "\n"


README_START = "<!-- bench:targets:start (written by scripts/bench.sh) -->"
README_END = "<!-- bench:targets:end -->"


def update_readme(path, h, swift, machine):
    """Replaces the Targets table between the markers of README's Performance section, if present."""
    text = open(path, encoding="utf-8").read()
    start, end = text.find(README_START), text.find(README_END)
    if start < 0 or end < start:
        return False
    mib = int(machine.get("memory_kib", "0")) / 1024 / 1024
    block = "\n".join([
        README_START,
        "Measured %s on %s, %s CPUs, %.1f GiB (commit %s):" % (
            machine.get("date", "?"), machine.get("cpu", "?"), machine.get("nproc", "?"), mib, machine.get("commit", "?")),
        "",
        table(["measure", "target", "measured", "status"], targets(h, swift, machine), ["---", "---", "---", "---"]),
        "",
    ])
    text = text[:start] + block + text[end:]
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    return True


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--raw", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--swift-json")
    parser.add_argument("--readme", action="append", default=[],
                        help="a Markdown file whose Targets table (between the bench:targets markers) to refresh;"
                             " may be given more than once (README.md, the HowItIsFast article)")
    args = parser.parse_args()
    machine = read_machine(os.path.join(args.raw, "machine.txt"))
    h = Harness(os.path.join(args.raw, "c-harness.csv"))
    swift = read_swift(args.swift_json, os.path.join(args.raw, "swift-summary.csv"))
    md_path = os.path.join(args.raw, "swift-benchmarks.md")
    swift_md = open(md_path, encoding="utf-8").read() if os.path.exists(md_path) else ""
    with open(os.path.join(args.out, "results.md"), "w", encoding="utf-8") as f:
        f.write(render(h, swift, machine, swift_md))
    with open(os.path.join(args.out, "chart.svg"), "w", encoding="utf-8") as f:
        f.write(chart(h))
    for path in args.readme:
        if not update_readme(path, h, swift, machine):
            print("report.py: no Targets markers in %s; left as it is" % path)


if __name__ == "__main__":
    main()
