#!/usr/bin/env bash
# The cost of each verifier setting when on, as ratios to off measured in the same run: the C
# harness's single allocate+free pairs (bench-wdf, 256 bytes, 1 thread) of the pool, a lookaside
# list, framework memory (WdfMemoryCreate and from a lookaside list) and ECPs, run as an
# unmodified program with each setting in WDF_VERIFIER_SETTINGS. Rounds interleave the settings
# (each round runs every setting once; the table shows each setting's best round), so drift on a
# shared machine hits them alike. Writes <out>/verifier.md and <out>/raw/verifier.csv.
#
#   bash scripts/bench-verifier.sh                # 5 rounds, 40 ms per case, into bench-results/
#   BENCH_QUICK=1 bash scripts/bench-verifier.sh  # 1 round, 4 ms per case, into bench-results/tmp/quick/
#
# Knobs: BENCH_ROUNDS, BENCH_TARGET_MS, BENCH_OUT.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

if [[ ${BENCH_QUICK:-0} == 1 ]]; then
    ROUNDS=${BENCH_ROUNDS:-1}; TARGET_MS=${BENCH_TARGET_MS:-4}; OUT=${BENCH_OUT:-$ROOT/bench-results/tmp/quick}
else
    ROUNDS=${BENCH_ROUNDS:-5}; TARGET_MS=${BENCH_TARGET_MS:-40}; OUT=${BENCH_OUT:-$ROOT/bench-results}
fi
mkdir -p "$OUT/raw"

swift build -c release --product Wdf01000 >/dev/null
LIBDIR=$(swift build -c release --show-bin-path)
BIN=$ROOT/Benchmarks/.build/charness
make -s -C Benchmarks/CHarness LIBDIR="$LIBDIR" OUT="$BIN" ours >/dev/null
HARNESS=$BIN/bench-wdf

# name|WDF_VERIFIER_SETTINGS
SETTINGS=(
    "off|"
    "VerifierOn=1 (KMDF verifier)|VerifierOn=1"
    "TrackHandles=1|TrackHandles=1"
    "0x2 force IRQL checking|VerifyDriverLevel=0x2"
    "0x4 low resources, probability 0|VerifyDriverLevel=0x4,LowResourcesProbability=0"
    "0x8 pool tracking (call sites)|VerifyDriverLevel=0x8"
    "0x1 special pool|VerifyDriverLevel=0x1"
)
ALLOCATORS=(pool lookaside wdfpool wdfmemory ecp)

LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
CSV=$OUT/raw/verifier.csv
echo "setting,allocator,round,ns_per_pair" >"$CSV"
for ((round = 1; round <= ROUNDS; round++)); do
    for entry in "${SETTINGS[@]}"; do
        name=${entry%%|*}; settings=${entry#*|}
        for allocator in "${ALLOCATORS[@]}"; do
            line=$(WDF_VERIFIER_SETTINGS="$settings" SWIFT_BACKTRACE=enable=no "$HARNESS" pairs "$allocator" "$TARGET_MS" 2>/dev/null \
                | awk -F, '$2 == "pair" && $3 == 256 && $5 == 1 { print $8; exit }')
            echo "\"$name\",$allocator,$round,${line:-NA}" >>"$CSV"
        done
    done
    echo "[bench-verifier] round $round of $ROUNDS done" >&2
done

LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)
python3 - "$CSV" "$OUT/verifier.md" "$ROUNDS" "$TARGET_MS" "$LOAD_BEFORE" "$LOAD_AFTER" "$(nproc)" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
allocators = ["pool", "lookaside", "wdfpool", "wdfmemory", "ecp"]
labels = {"pool": "pool (ExAllocatePoolWithTag)", "lookaside": "lookaside (ExAllocateFromLookasideListEx)",
          "wdfpool": "WdfMemoryCreate", "wdfmemory": "WdfMemoryCreateFromLookaside", "ecp": "ECP from lookaside"}
settings = []
best = {}
for row in rows:
    if row["setting"] not in settings: settings.append(row["setting"])
    if row["ns_per_pair"] == "NA": continue
    key = (row["setting"], row["allocator"])
    best[key] = min(best.get(key, float("inf")), float(row["ns_per_pair"]))
out = ["# Driver Verifier: the cost of each setting", "",
       f"`scripts/bench-verifier.sh`: single allocate+free pairs of 256 bytes on 1 thread (the C harness, "
       f"bench-wdf), one process per setting and allocator, the settings in `WDF_VERIFIER_SETTINGS`; "
       f"best of {sys.argv[3]} interleaved round(s), {sys.argv[4]} ms per case. ns per pair, and in "
       f"parentheses the ratio to off measured in the same run. Load average (1, 5, 15 min) "
       f"{sys.argv[5]} before and {sys.argv[6]} after, on {sys.argv[7]} CPUs: ratios near 1 are within "
       f"the noise of such a machine; the large ones are the settings' cost.", "",
       "| Setting | " + " | ".join(labels[a] for a in allocators) + " |",
       "|---|" + "---:|" * len(allocators)]
for setting in settings:
    cells = []
    for allocator in allocators:
        value = best.get((setting, allocator))
        base = best.get(("off", allocator))
        if value is None: cells.append("n/a")
        elif setting == "off" or not base: cells.append(f"{value:.1f}")
        else: cells.append(f"{value:.1f} ({value / base:.2f}x)")
    out.append(f"| {setting} | " + " | ".join(cells) + " |")
out += ["", "Notes: pool tracking captures the call stack of every allocation (return addresses only; names are "
        "looked up when a report is written) and records it under a lock; special pool maps pages for every "
        "block and protects them at free (quarantine); 0x2, TrackHandles and VerifierOn move framework "
        "creations and deletions off their inline paths; 0x4 at probability 0 draws from the seeded "
        "sequence for each allocation without failing any. With every setting off, the fast paths test one "
        "global flag (pool, lookaside) or a per-driver tag (framework objects)."]
open(sys.argv[2], "w").write("\n".join(out) + "\n")
print("\n".join(out))
PY
