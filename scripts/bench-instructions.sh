#!/usr/bin/env bash
# Instructions per pair of our C API, counted by valgrind (callgrind), for two builds of
# libWdf01000.so side by side: a comparison that holds on a loaded machine, where timings do not
# (valgrind counts the same instructions whatever else runs).
#
#   bash scripts/bench-instructions.sh LIBDIR_A LIBDIR_B [allocator...]
#
# LIBDIR_A/B: folders holding libWdf01000.so (e.g. a worktree's .build/release at an older commit,
# and this one's). Allocators: those of bench-wdf (default: lookaside pool wdfmemory wdfpool ecp).
# Per pair = (instructions for 2N pairs - for N pairs) / N: the setup and the load cancel out.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
[ $# -ge 2 ] || { sed -n 2,11p "$0"; exit 64; }
A=$(cd "$1" && pwd); B=$(cd "$2" && pwd); shift 2
ALLOCATORS=("$@")
[ ${#ALLOCATORS[@]} -gt 0 ] || ALLOCATORS=(lookaside pool wdfmemory wdfpool ecp)
command -v valgrind >/dev/null || { echo "valgrind is needed (apt-get install valgrind)"; exit 1; }
WORK=$(mktemp -d); trap 'rm -rf "$WORK"' EXIT
for side in A B; do
  # valgrind 3.19 gives up on the Swift toolchain's DWARF: count on a copy without debug info.
  mkdir -p "$WORK/$side/lib"
  strip --strip-debug -o "$WORK/$side/lib/libWdf01000.so" "${!side}/libWdf01000.so"
  make -s -C "$ROOT/Benchmarks/CHarness" OUT="$WORK/$side" LIBDIR="$WORK/$side/lib" "$WORK/$side/bench-wdf"
done
N=${BENCH_COUNT_PAIRS:-20000}
count() { # count SIDE ALLOCATOR PAIRS: instructions of the whole run
  valgrind --tool=callgrind --callgrind-out-file=/dev/null "$WORK/$1/bench-wdf" count "$2" "$3" 2>&1 \
    | awk '/Collected :/ {print $4}'
}
printf '%-10s %12s %12s %8s\n' allocator "A instr/pair" "B instr/pair" "B/A"
for a in "${ALLOCATORS[@]}"; do
  for side in A B; do
    one=$(count $side "$a" "$N"); two=$(count $side "$a" $((2 * N)))
    printf -v "per_$side" '%s' "$(( (two - one) / N ))"
  done
  awk -v a="$a" -v x="$per_A" -v y="$per_B" 'BEGIN { printf "%-10s %12d %12d %8.3f\n", a, x, y, y / x }'
done
