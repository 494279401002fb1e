#!/usr/bin/env bash
# The benchmark command: installs the peer allocators, builds libWdf01000.so and the C harness,
# runs the C harness (our C API against glibc malloc, jemalloc, tcmalloc, mimalloc and talloc, one
# process per peer) and the Swift benchmarks (Benchmarks/, ordo-one/benchmark), then writes
# bench-results/results.md (tables, ratios to glibc measured in this run, the targets of the
# performance issue) and bench-results/chart.svg.
#
#   bash scripts/bench.sh                # the full run (about 4 minutes on 2 cores, plus about 3 for
#                                        # the first builds);
#                                        # also refreshes the Targets table in README's Performance section
#                                        # and in the HowItIsFast documentation article
#   BENCH_QUICK=1 bash scripts/bench.sh  # a smoke run (about 1-2 minutes once built); writes to
#                                        # bench-results/tmp/quick/ so the committed results stay
#
# Knobs: BENCH_ROUNDS (rounds of the C harness, each allocator once per round; the tables show
# the best round), BENCH_TARGET_MS (measured time per C case), BENCH_TREE_CHILDREN, BENCH_MEM_OBJECTS,
# BENCH_SWIFT_SECONDS (per Swift benchmark), BENCH_OUT (output folder), BENCH_SKIP_SWIFT=1,
# BENCH_SKIP_INSTALL=1.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

QUICK=${BENCH_QUICK:-0}
if [[ $QUICK == 1 ]]; then
    ROUNDS=${BENCH_ROUNDS:-1}
    TARGET_MS=${BENCH_TARGET_MS:-4}
    TREE_CHILDREN=${BENCH_TREE_CHILDREN:-100000}
    TREE_ROUNDS=1
    MEM_OBJECTS=${BENCH_MEM_OBJECTS:-200000}
    export BENCH_SWIFT_SECONDS=${BENCH_SWIFT_SECONDS:-0.3}
    OUT=${BENCH_OUT:-$ROOT/bench-results/tmp/quick}
else
    ROUNDS=${BENCH_ROUNDS:-7}
    TARGET_MS=${BENCH_TARGET_MS:-40}
    TREE_CHILDREN=${BENCH_TREE_CHILDREN:-1000000}
    TREE_ROUNDS=5
    MEM_OBJECTS=${BENCH_MEM_OBJECTS:-1000000}
    export BENCH_SWIFT_SECONDS=${BENCH_SWIFT_SECONDS:-2}
    OUT=${BENCH_OUT:-$ROOT/bench-results}
fi
RAW=$OUT/raw
WORK=$ROOT/bench-results/tmp/work
mkdir -p "$OUT" "$RAW" "$WORK"
START=$(date +%s)
log() { printf '[bench %4ds] %s\n' $(($(date +%s) - START)) "$*" >&2; }

# ---------------------------------------------------------------------------------------------
# 1. The peers (Debian packages)
# ---------------------------------------------------------------------------------------------
PEER_PACKAGES=(libjemalloc-dev libgoogle-perftools-dev libmimalloc-dev libtalloc-dev)
missing=()
for package in "${PEER_PACKAGES[@]}"; do
    dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
done
if ((${#missing[@]})) && [[ ${BENCH_SKIP_INSTALL:-0} != 1 ]]; then
    log "installing ${missing[*]}"
    SUDO=""
    [[ $(id -u) == 0 ]] || SUDO=sudo
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
else
    log "peers present: ${PEER_PACKAGES[*]}"
fi

# ---------------------------------------------------------------------------------------------
# 2. Builds: libWdf01000.so (release) and the C harness
# ---------------------------------------------------------------------------------------------
log "swift build -c release --product Wdf01000"
swift build -c release --product Wdf01000 >"$WORK/build.log" 2>&1 || { cat "$WORK/build.log" >&2; exit 1; }
LIBDIR=$(swift build -c release --show-bin-path)
BIN=$ROOT/Benchmarks/.build/charness
log "building the C harness into $BIN"
make -s -C Benchmarks/CHarness LIBDIR="$LIBDIR" OUT="$BIN" all >"$WORK/make.log" 2>&1 || { cat "$WORK/make.log" >&2; exit 1; }
for program in malloc jemalloc tcmalloc mimalloc; do
    "$BIN/bench-$program" which | sed "s/^/bench-$program: /" >&2
done

# Percent of all CPUs busy (anyone's work) over one second, from /proc/stat.
cpu_busy() {
    local a b
    a=$(awk '/^cpu / {print $2+$3+$4+$7+$8+$9, $5+$6}' /proc/stat)
    sleep 1
    b=$(awk '/^cpu / {print $2+$3+$4+$7+$8+$9, $5+$6}' /proc/stat)
    awk -v a="$a" -v b="$b" 'BEGIN { split(a, x, " "); split(b, y, " "); busy = y[1] - x[1]; total = busy + y[2] - x[2];
        share = 0; if (total > 0) share = 100 * busy / total; printf("%.0f%%", share) }'
}

# ---------------------------------------------------------------------------------------------
# 3. Machine and run description
# ---------------------------------------------------------------------------------------------
{
    echo "cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
    echo "nproc=$(nproc)"
    echo "memory_kib=$(awk '/MemTotal/ {print $2}' /proc/meminfo)"
    echo "kernel=$(uname -sr)"
    echo "date=$(date -u '+%Y-%m-%d %H:%M UTC')"
    if git rev-parse --git-dir >/dev/null 2>&1; then
        echo "commit=$(git rev-parse --short HEAD)$(git diff --quiet HEAD -- Sources Package.swift || echo ' + uncommitted changes in Sources')"
    else
        echo "commit=unknown (not a git checkout)"
    fi
    echo "swift=$(swift --version 2>/dev/null | head -1)"
    echo "cc=$(cc --version | head -1)"
    for package in "${PEER_PACKAGES[@]}"; do
        echo "peer_$package=$(dpkg-query -W -f='${Version}' "$package" 2>/dev/null || echo '?')"
    done
    for program in malloc jemalloc tcmalloc mimalloc; do
        echo "malloc_in_bench-$program=$("$BIN/bench-$program" which | sed 's/^malloc from //')"
    done
    echo "load_start=$(cut -d' ' -f1-3 /proc/loadavg)"
    echo "cpu_busy_start=$(cpu_busy)"
    echo "quick=$QUICK"
    echo "rounds=$ROUNDS"
    echo "target_ms=$TARGET_MS"
    echo "tree_children=$TREE_CHILDREN"
    echo "tree_rounds=$TREE_ROUNDS"
    echo "mem_objects=$MEM_OBJECTS"
    echo "swift_seconds=$BENCH_SWIFT_SECONDS"
} >"$RAW/machine.txt"

# ---------------------------------------------------------------------------------------------
# 4. The C harness: each allocator in its own process, once per round, order rotated per round
# ---------------------------------------------------------------------------------------------
RUNS=(malloc:glibc jemalloc:jemalloc tcmalloc:tcmalloc mimalloc:mimalloc talloc:talloc
      wdf:lookaside wdf:pool wdf:wdfmemory wdf:wdfpool wdf:ecp floor:floor floor:calls)
CSV=$RAW/c-harness.csv
echo "round,allocator,kind,size,batch,threads,pairs,wall_ns,ns_per_pair" >"$CSV"
for ((round = 1; round <= ROUNDS; round++)); do
    count=${#RUNS[@]}
    for ((k = 0; k < count; k++)); do
        entry=${RUNS[$(((k + round - 1) % count))]}
        program=${entry%%:*} allocator=${entry##*:}
        if [[ $program == floor ]]; then
            # The references are for single pairs only (floor.c).
            log "round $round/$ROUNDS: $allocator (pairs)"
            "$BIN/bench-$program" pairs "$allocator" "$TARGET_MS" | sed "s/^/$round,/" >>"$CSV"
            continue
        fi
        log "round $round/$ROUNDS: $allocator (pairs, batches, 2 threads, producer/consumer)"
        "$BIN/bench-$program" run "$allocator" "$TARGET_MS" | sed "s/^/$round,/" >>"$CSV"
    done
done

log "memory per live object ($MEM_OBJECTS objects of 256 bytes, one process each)"
for entry in "${RUNS[@]}"; do
    program=${entry%%:*} allocator=${entry##*:}
    [[ $program == floor ]] && continue
    "$BIN/bench-$program" mem "$allocator" "$MEM_OBJECTS" | sed "s/^/1,/" >>"$CSV"
done

log "parent with $TREE_CHILDREN children: create, then delete the parent ($TREE_ROUNDS rounds)"
for ((round = 1; round <= TREE_ROUNDS; round++)); do
    for entry in talloc:talloc talloc:talloc-new wdf:wdfmemory wdf:wdfobject; do
        program=${entry%%:*} allocator=${entry##*:}
        "$BIN/bench-$program" tree "$allocator" "$TREE_CHILDREN" | sed "s/^/$round,/" >>"$CSV"
    done
done
{
    echo "load_end=$(cut -d' ' -f1-3 /proc/loadavg)"
    echo "cpu_busy_end=$(cpu_busy)"
} >>"$RAW/machine.txt"

# ---------------------------------------------------------------------------------------------
# 5. The Swift benchmarks (Benchmarks/ package): one run stored as a baseline, then read as
#    Markdown and checked against the static thresholds (mallocCountTotal 0 per warm pair)
# ---------------------------------------------------------------------------------------------
SWIFT_STATUS=skipped
rm -f "$RAW/swift-results.json"
if [[ ${BENCH_SKIP_SWIFT:-0} != 1 ]]; then
    log "Swift benchmarks (swift package --package-path Benchmarks benchmark), $BENCH_SWIFT_SECONDS s each"
    BASELINE=bench
    swift package --package-path Benchmarks --allow-writing-to-package-directory \
        benchmark baseline update "$BASELINE" --no-progress --quiet >"$WORK/swift-run.log" 2>&1 ||
        { cat "$WORK/swift-run.log" >&2; exit 1; }
    swift package --package-path Benchmarks benchmark baseline read "$BASELINE" --format markdown --path stdout \
        --no-progress 2>/dev/null | sed -n '/^## \|^### \||/p' >"$RAW/swift-benchmarks.md" || true
    if swift package --package-path Benchmarks benchmark thresholds check "$BASELINE" \
        --path "$ROOT/Benchmarks/Thresholds" --no-progress >"$WORK/swift-thresholds.log" 2>&1; then
        SWIFT_STATUS=pass
    else
        SWIFT_STATUS="fail (exit $?)"
        grep -v '^\[' "$WORK/swift-thresholds.log" | tail -30 >&2
    fi
    cp "Benchmarks/.benchmarkBaselines/MemoryBenchmarks/$BASELINE/results.json" "$WORK/swift-results.json"
    log "malloc thresholds: $SWIFT_STATUS"
fi
echo "swift_thresholds=$SWIFT_STATUS" >>"$RAW/machine.txt"

# ---------------------------------------------------------------------------------------------
# 6. The report
# ---------------------------------------------------------------------------------------------
README_ARG=()
[[ $QUICK == 1 || -n ${BENCH_OUT:-} ]] || README_ARG=(--readme "$ROOT/README.md" --readme "$ROOT/Sources/NtKernel/NtKernel.docc/HowItIsFast.md")
python3 Benchmarks/report.py --raw "$RAW" --swift-json "$WORK/swift-results.json" --out "$OUT" "${README_ARG[@]}"
log "wrote $OUT/results.md and $OUT/chart.svg ($(($(date +%s) - START)) s in all)"
