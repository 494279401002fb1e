#!/usr/bin/env bash
# CI: the Filter Manager create path as users get it. The two-minifilter client and the sample
# minifilters compile with clang and gcc (C11, -Wall -Werror) against the headers and run against
# the release libWdf01000.so; each misuse mode must end in its stop line.
set -euo pipefail
cd "$(dirname "$0")/../.."

swift build -c release --product Wdf01000 >/dev/null
BIN=$(swift build -c release --show-bin-path)
for cc in clang gcc; do
  out="/tmp/wdf-minifilter-create-$cc"
  "$cc" -std=c11 -Wall -Werror -I Sources/CWdf/include "Tests/CClients/minifilter-create/main.c" \
    -L"$BIN" -lWdf01000 -Wl,-rpath,"$BIN" -o "$out"
  "$out" > "$out.out" || { cat "$out.out"; exit 1; }
  echo "minifilter-create ($cc): $(tail -n 1 "$out.out")"
  for mode in free-list-in-flight:0x000000C4 insert-twice:0x000000C4 invalid-instance:0x000000C4 dereference-too-often:0x00000018; do
    if ( "$out" "${mode%%:*}" > "$out.stop" 2>&1 ) 2>/dev/null; then echo "${mode%%:*} did not stop"; exit 1; fi
    grep -q "^\*\*\* STOP: ${mode##*:} " "$out.stop" || { echo "${mode%%:*}: no stop line"; cat "$out.stop"; exit 1; }
  done
  "$cc" -std=c11 -Wall -Werror -I Sources/CWdf/include -I Sources/SampleDriver/include -c \
    Sources/SampleDriver/SampleMinifilter.c -o "/tmp/wdf-sample-minifilter-$cc.o"
done
echo "create path: ok"
