#!/usr/bin/env bash
# The libFuzzer target over the C API (Tests/Fuzz, operations decoded by Tests/CApiModel), built
# with libFuzzer and AddressSanitizer in its own scratch folder, run for a fixed time from the
# committed corpus (Tests/Fuzz/Corpus; new inputs go to a temporary folder, not the repository).
#   FUZZ_SECONDS=60 (default)   how long to run
# The target is declared in Package.swift only when WDF_FUZZ is set (it links only with
# -sanitize=fuzzer, which supplies main). A crash, sanitizer report or model mismatch fails the
# step and leaves the input in $WORK (printed).
set -euo pipefail
cd "$(dirname "$0")/../.."
SECONDS_TO_RUN=${FUZZ_SECONDS:-60}
echo "== fuzz: building the Fuzz target (libFuzzer + AddressSanitizer, .build-fuzz)"
WDF_FUZZ=1 swift build --product Fuzz --scratch-path .build-fuzz --sanitize=fuzzer -Xswiftc -sanitize=fuzzer,address \
  > /tmp/wdf-fuzz-build.log 2>&1 || { grep -v "Cannot export local symbol" /tmp/wdf-fuzz-build.log | tail -n 40; exit 1; }
BIN=$(WDF_FUZZ=1 swift build --scratch-path .build-fuzz --show-bin-path)
WORK=$(mktemp -d /tmp/wdf-fuzz.XXXXXX)
echo "== fuzz: running for ${SECONDS_TO_RUN}s (corpus Tests/Fuzz/Corpus, new inputs and any crash in $WORK)"
# The Swift backtracer would start on a crash (and trip ASan); libFuzzer reports it instead.
# Leaks are checked by LeakSanitizer (libFuzzer's -detect_leaks, on by default with ASan).
status=0
(cd "$WORK" && SWIFT_BACKTRACE=enable=no "$BIN/Fuzz" -max_total_time="$SECONDS_TO_RUN" -print_final_stats=1 \
  -timeout=20 -max_len=1024 -rss_limit_mb=4096 "$WORK" "$OLDPWD/Tests/Fuzz/Corpus") > "$WORK/fuzz.log" 2>&1 || status=$?
grep -E "^(Done|stat::number_of_executed_units|stat::average_exec_per_sec|stat::new_units_added)" "$WORK/fuzz.log" || true
if [ $status -ne 0 ]; then
  grep -E "FUZZ:|ERROR|SUMMARY|Test unit written|artifact" "$WORK/fuzz.log" | head -n 40
  tail -n 60 "$WORK/fuzz.log"
  echo "fuzz: failed (exit $status); the input is in $WORK"
  exit 1
fi
runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$WORK/fuzz.log")
echo "fuzz: ${runs:-?} inputs run, no crash, no sanitizer report, no model mismatch"
rm -rf "$WORK"
