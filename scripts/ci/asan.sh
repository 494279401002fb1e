#!/usr/bin/env bash
# AddressSanitizer: the test suite under --sanitize=address (its own scratch folder), and the C
# client programs built with clang -fsanitize=address,undefined against libWdf01000.so and run.
#
# - SWIFT_BACKTRACE=enable=no: the programs and exit tests that bug check on purpose end in
#   abort(); Swift's backtracer would start in each, which ASan flags, and then hang the suite.
#   (Exit tests' child processes inherit the environment.)
# - --disable-xctest: XCTest itself leaks (DESIGN §5); every test here is Swift Testing.
# - Leaks: LeakSanitizer is off for the test suite (ASAN_OPTIONS=detect_leaks=0 there only). What
#   it reported there (469 bytes in 8 blocks, looked at one by one): the default driver that
#   DriverRegistry.current() creates on first use and keeps for the process's life (by design,
#   SPEC: "a program that never creates a driver gets a default one"), a test's object leaked on
#   purpose to see the leak report, Foundation.Process's bookkeeping, and in exit tests' child
#   processes the test's own context-type records (never freed: their address is the key) and
#   the driver objects of children that exit without unloading. None is a block the library lost.
#   The C client programs below run with LeakSanitizer on, unsuppressed.
set -euo pipefail
cd "$(dirname "$0")/../.."
export SWIFT_BACKTRACE=enable=no
echo "== swift test under AddressSanitizer (.build-asan)"
ASAN_OPTIONS="detect_leaks=0" swift test --sanitize=address --scratch-path .build-asan --disable-xctest > /tmp/wdf-asan.log 2>&1 || {
  { grep -B5 -A40 -E "ERROR: (AddressSanitizer|LeakSanitizer)" /tmp/wdf-asan.log || true; } | head -n 150
  grep -E "^✘" /tmp/wdf-asan.log | head -n 60 || true
  tail -n 40 /tmp/wdf-asan.log; exit 1; }
if grep -qE "ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:" /tmp/wdf-asan.log; then
  grep -B5 -A40 -E "ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:" /tmp/wdf-asan.log | head -n 150; exit 1
fi
grep -E "Test run with" /tmp/wdf-asan.log | tail -n 1 | sed 's/^/asan: /'

echo "== C client programs with clang -fsanitize=address,undefined against libWdf01000.so"
swift build -c release --product Wdf01000 > /tmp/wdf-asan-lib.log 2>&1 || { tail -n 40 /tmp/wdf-asan-lib.log; exit 1; }
BIN=$(swift build -c release --show-bin-path)
for dir in Tests/CClients/*/; do
  client=$(basename "$dir")
  out=/tmp/wdf-asan-$client
  clang -std=c11 -g -O1 -Wall -Wno-multichar -fsanitize=address,undefined -fno-sanitize-recover=undefined \
    -fno-omit-frame-pointer -I Sources/CWdf/include "$dir"main.c -L"$BIN" -lWdf01000 -Wl,-rpath,"$BIN" -o "$out"
  "$out" > "$out.out" 2>&1 || { cat "$out.out"; echo "$client failed under ASan/UBSan"; exit 1; }
  if grep -qE "ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:" "$out.out"; then cat "$out.out"; exit 1; fi
  echo "$client (asan+ubsan): $(tail -n 1 "$out.out")"
done
