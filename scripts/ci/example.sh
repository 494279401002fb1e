#!/usr/bin/env bash
# CI: the Swift example (Examples/SwiftDriver), a separate package that depends on this one by
# path as a user's would, so only the public API is visible to it. It builds with warnings as
# errors, its own code holds no `unsafe`/`Unsafe`, and it runs to a clean unload (no leak, no stop).
set -euo pipefail
cd "$(dirname "$0")/../.."
EXAMPLE=Examples/SwiftDriver
if grep -n -i "unsafe" "$EXAMPLE"/Sources/SwiftDriver/*.swift; then echo "the example's own code uses an unsafe API"; exit 1; fi
swift build --package-path "$EXAMPLE" -Xswiftc -warnings-as-errors 2>&1 | tee /tmp/wdf-example-build.log | tail -n 3
if grep -E "^/.*warning:" /tmp/wdf-example-build.log | grep -v "/.build/"; then echo "the example built with warnings"; exit 1; fi
"$(swift build --package-path "$EXAMPLE" --show-bin-path)/SwiftDriver" > /tmp/wdf-example.out 2>&1 || { cat /tmp/wdf-example.out; exit 1; }
cat /tmp/wdf-example.out
grep -q "unloaded: STATUS_SUCCESS" /tmp/wdf-example.out
echo "Swift example: built warning-free from the public API, ran, unloaded clean"
