#!/usr/bin/env bash
# CI: Driver Verifier as users get it. The driver with the classic bugs
# (Tests/CClients/verifier-client) is compiled -g -O0 with clang and gcc against the release
# libWdf01000.so, with and without -rdynamic, and run with the settings in the environment: each
# bug must stop with Windows' code and an `at` line naming the driver's function and main.c line;
# the clean driver must run clean with every setting on; a fault that is not special pool's must
# reach the program's own handler. Force IRQL checking stops a framework call above its maximum
# (KmdfIrql) and the DriverCreate rule a WdfDriverCreate outside DriverEntry, at the driver's line.
set -euo pipefail
cd "$(dirname "$0")/../.."
swift build -c release --product Wdf01000 >/dev/null
BIN=$(swift build -c release --show-bin-path)
SRC=Tests/CClients/verifier-client/main.c
failures=0

expect_stop() { # program bug settings code function
  local program=$1 bug=$2 settings=$3 code=$4 function=$5 err
  err=$(WDF_VERIFIER_SETTINGS="$settings" "$program" "$bug" 2>&1 >/dev/null || true)
  if ! grep -q "^\*\*\* STOP: 0x$code " <<<"$err" || ! grep -q "^  at $function (.*verifier-client/main.c:[0-9]*)" <<<"$err"; then
    echo "FAIL $(basename "$program") $bug: expected 0x$code at $function"; echo "$err" | head -8; failures=$((failures + 1))
  else
    echo "ok   $(basename "$program") $bug: 0x$code $(grep '^  at ' <<<"$err" | head -1 | sed 's/^  //')"
  fi
}

for cc in clang gcc; do
  for link in plain rdynamic; do
    flags=(); [ "$link" = rdynamic ] && flags=(-rdynamic)
    program=/tmp/wdf-verifier-client-$cc-$link
    "$cc" -std=c11 -g -O0 -Wall -Werror -Wno-multichar -I Sources/CWdf/include "$SRC" "${flags[@]}" \
      -L"$BIN" -lWdf01000 -Wl,-rpath,"$BIN" -o "$program"
    expect_stop "$program" leak-pool VerifyDriverLevel=0x8 000000C4 LeakABlock
    expect_stop "$program" leak-lookaside VerifyDriverLevel=0x8 000000C4 DriverEntry
    expect_stop "$program" init-forgets VerifyDriverLevel=0x8 000000C4 InitTwoBuffers
    expect_stop "$program" overrun "VerifyDriverLevel=0x1,PoolTag=Tst*" 000000CD OverrunByOne
    expect_stop "$program" overrun-slack VerifyDriverLevel=0x1 000000C1 OverrunIntoSlack
    expect_stop "$program" write-after-free VerifyDriverLevel=0x1 000000CC WriteAfterFree
    expect_stop "$program" paged-at-dispatch VerifyDriverLevel=0x2 000000C2 PagedAtDispatch
    expect_stop "$program" lookaside-reuse VerifyDriverLevel=0x9 000000C1 LookasideReuse
    expect_stop "$program" wdf-at-dispatch VerifyDriverLevel=0x2 000000C4 PagedMemoryAtDispatch
    expect_stop "$program" driver-create-late VerifierOn=1 000000C4 CreateTheDriver
    if ! WDF_VERIFIER_SETTINGS="VerifierOn=1,TrackHandles=1,VerifyDriverLevel=0x2F,LowResourcesProbability=0" \
      "$program" clean >/dev/null 2>/tmp/wdf-verifier-clean.err; then
      echo "FAIL $cc $link clean"; cat /tmp/wdf-verifier-clean.err; failures=$((failures + 1))
    fi
    status=0; WDF_VERIFIER_SETTINGS=VerifyDriverLevel=0x1 "$program" not-ours >/dev/null 2>&1 || status=$?
    if [ "$status" -ne 42 ]; then echo "FAIL $cc $link not-ours: exit $status"; failures=$((failures + 1)); fi
  done
done
[ "$failures" -eq 0 ] || { echo "$failures verifier check(s) failed"; exit 1; }
echo "verifier: every classic bug stopped at the driver's line"
