#!/usr/bin/env bash
# CI: the driver corpus (Tests/Drivers/*.c), driver-style files written as for the WDK, compiled
# unchanged with clang and gcc as C11 and C++17 (-Wall -Wextra -Werror, DBG=1 and DBG=0) against
# the public headers and libWdf01000.so, and run with the verifier on.
#
# Each file states what a run must show, in comments:
#   // expect: <text>          a line of its output (stdout or stderr) contains <text>
#   // expect-stop: 0x<code>   the run ends in a bug check with that code (exit status not 0)
#   // args: <arguments>       command-line arguments of the run
# The flags drivers need beyond the WDK's (DRIVER_FLAGS): -fshort-wchar (L"..." is UTF-16, as on
# Windows), and for g++ before 13, which reads diagnostics before the headers' pragmas apply,
# -Wno-multichar -Wno-unknown-pragmas.
set -euo pipefail
cd "$(dirname "$0")/../.."

DRIVER_FLAGS=${DRIVER_FLAGS:-"-fshort-wchar -Wno-multichar -Wno-unknown-pragmas"}
if [ -z "${WDF_LIB_DIR:-}" ]; then
  swift build -c release --product Wdf01000 >/dev/null
  WDF_LIB_DIR=$(swift build -c release --show-bin-path)
fi
INC=${WDF_INCLUDE_DIR:-Sources/CWdf/include}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

failures=0
count=0
for source in Tests/Drivers/*.c; do
  name=$(basename "$source" .c)
  args=$(sed -n 's|^// args: ||p' "$source")
  stop=$(sed -n 's|^// expect-stop: ||p' "$source")
  for compiler in "clang -std=c11" "gcc -std=c11" "clang++ -std=c++17 -x c++" "g++ -std=c++17 -x c++"; do
    for dbg in 1 0; do
      label="$name ($compiler, DBG=$dbg)"
      binary="$WORK/$name"
      # shellcheck disable=SC2086
      if ! $compiler -DDBG=$dbg $DRIVER_FLAGS -Wall -Wextra -Werror -g -I "$INC" "$source" \
          -L"$WDF_LIB_DIR" -lWdf01000 -Wl,-rpath,"$WDF_LIB_DIR" -lpthread -o "$binary" 2>"$WORK/cc.txt"; then
        echo "FAIL  compile $label"; sed 's/^/      /' "$WORK/cc.txt"; failures=$((failures + 1)); continue
      fi
      count=$((count + 1))
      [ "$dbg" = 1 ] || continue   # DBG=0: compiles (assertions vanish); the checked build runs
      status=0
      # shellcheck disable=SC2086
      SWIFT_BACKTRACE=enable=no WDF_VERIFIER_SETTINGS="VerifierOn=1,VerifyDriverLevel=0x2B" \
        sh -c '"$@"' run "$binary" $args >"$WORK/out.txt" 2>&1 || status=$?
      ok=1
      if [ -n "$stop" ]; then
        if [ "$status" = 0 ] || ! grep -q "^\*\*\* STOP: $stop" "$WORK/out.txt"; then ok=0; fi
      elif [ "$status" != 0 ]; then ok=0; fi
      while IFS= read -r line; do
        [ -n "$line" ] || continue
        grep -qF -- "$line" "$WORK/out.txt" || { ok=0; echo "      missing: $line"; }
      done < <(sed -n 's|^// expect: ||p' "$source")
      if [ "$ok" = 1 ]; then echo "ok    $label"; else
        echo "FAIL  run $label (exit $status)"; sed 's/^/      /' "$WORK/out.txt" | head -40; failures=$((failures + 1)); fi
    done
  done
done
echo "driver corpus: $count builds, $failures failures"
[ "$failures" = 0 ]
