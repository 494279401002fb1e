#!/usr/bin/env bash
# CI: the DocC documentation of every library (Sources/<Module>/<Module>.docc plus the doc
# comments) builds with warnings as errors: an unresolved symbol or article link, a doc comment
# whose parameters do not match its declaration, a missing resource, ... fails the job.
# The archives go to .build/docs/<Module>.doccarchive (or $DOCS_OUTPUT).
# Browse one locally: swift package --disable-sandbox preview-documentation --target NtKernel
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=${DOCS_OUTPUT:-$PWD/.build/docs}
mkdir -p "$OUT"
START=$(date +%s)
for target in NtKernel Wdf FltMgr WdfMonitor; do
  log="$OUT/$target.log"
  if ! swift package --allow-writing-to-directory "$OUT" generate-documentation --target "$target" \
      --output-path "$OUT/$target.doccarchive" --warnings-as-errors >"$log" 2>&1; then
    grep -E "(error|warning):" "$log" | head -60 || tail -n 60 "$log"
    echo "documentation of $target: failed (log: $log)"; exit 1
  fi
  # --warnings-as-errors makes docc fail on a warning; a plugin-level warning is checked here too.
  if grep -E "^(warning|.*: warning):" "$log" | grep -v "/.build/"; then
    echo "documentation of $target: warnings"; exit 1
  fi
  echo "documentation of $target: $OUT/$target.doccarchive"
done
echo "documentation built in $(($(date +%s) - START)) s"
