#!/usr/bin/env bash
# CI: the README's examples build and run, so they cannot rot.
#
# A fenced code block that is a complete program is marked by an HTML comment on the line before
# its opening fence (invisible on a rendered page):
#   <!-- readme-example: c -->       a C program: built against the public headers and
#                                    libWdf01000.so with clang and gcc (-std=c11 -Wall -Werror and
#                                    the SDK's driver flags), then run; it must exit 0
#   <!-- readme-example: swift -->   a Swift program: the main.swift of an executable target in a
#                                    separate package that depends on this one by path (Swift 6
#                                    language mode, every warning an error), then run; it must exit 0
# Unmarked blocks (shell lines, fragments) are left alone. A README with no marked block of either
# kind fails: the markers were lost.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
DRIVER_FLAGS=${DRIVER_FLAGS:-"-fshort-wchar -Wno-multichar -Wno-unknown-pragmas"}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

# Extract the marked blocks: $WORK/c/<n>.c and $WORK/swift/<n>.swift, numbered in README order.
python3 - "$ROOT/README.md" "$WORK" <<'EOF'
import os, re, sys
readme, work = sys.argv[1], sys.argv[2]
lines = open(readme, encoding="utf-8").read().split("\n")
marker = re.compile(r"^<!--\s*readme-example:\s*(c|swift)\s*-->\s*$")
counts = {"c": 0, "swift": 0}
i = 0
while i < len(lines):
    m = marker.match(lines[i])
    if not m:
        i += 1
        continue
    kind = m.group(1)
    fence = lines[i + 1] if i + 1 < len(lines) else ""
    if not re.match(r"^```\s*" + kind + r"\s*$", fence):
        sys.exit("README.md:%d: a readme-example: %s marker must be followed by a ```%s fence" % (i + 1, kind, kind))
    j = i + 2
    while j < len(lines) and lines[j].strip() != "```":
        j += 1
    if j == len(lines):
        sys.exit("README.md:%d: unterminated code block" % (i + 2))
    counts[kind] += 1
    os.makedirs(os.path.join(work, kind), exist_ok=True)
    name = "%d.%s" % (counts[kind], kind)
    with open(os.path.join(work, kind, name), "w", encoding="utf-8") as f:
        f.write("\n".join(lines[i + 2:j]) + "\n")
    print("README.md:%d: %s example %s" % (i + 3, kind, name))
    i = j + 1
if counts["c"] == 0 or counts["swift"] == 0:
    sys.exit("README.md: expected at least one marked C and one marked Swift example, found %d and %d" % (counts["c"], counts["swift"]))
EOF

failures=0

echo "== README C examples (clang and gcc, against libWdf01000.so)"
swift build -c release --product Wdf01000 >/dev/null
BIN=$(swift build -c release --show-bin-path)
for source in "$WORK"/c/*.c; do
  n=$(basename "$source" .c)
  for cc in clang gcc; do
    exe="$WORK/c-$n-$cc"
    # shellcheck disable=SC2086
    if ! "$cc" -std=c11 -Wall -Werror $DRIVER_FLAGS -I Sources/CWdf/include "$source" \
        -L"$BIN" -lWdf01000 -Wl,-rpath,"$BIN" -o "$exe"; then
      echo "FAIL: C example $n does not build with $cc"; failures=$((failures + 1)); continue
    fi
    status=0; "$exe" >"$exe.out" 2>&1 || status=$?
    if [ "$status" -ne 0 ]; then
      echo "FAIL: C example $n ($cc) exited with status $status"; cat "$exe.out"; failures=$((failures + 1)); continue
    fi
    echo "C example $n ($cc): ran, exit 0"
  done
done

echo "== README Swift examples (a package depending on this one by path; Swift 6, warnings are errors)"
PKG="$WORK/readme-examples"
mkdir -p "$PKG"
targets=""
for source in "$WORK"/swift/*.swift; do
  n=$(basename "$source" .swift)
  mkdir -p "$PKG/Sources/example$n"
  cp "$source" "$PKG/Sources/example$n/main.swift"
  targets+="        .executableTarget(name: \"example$n\", dependencies: libraries, swiftSettings: settings),"$'\n'
done
cat >"$PKG/Package.swift" <<EOF
// swift-tools-version: 6.2
import PackageDescription

let libraries: [Target.Dependency] = [
    .product(name: "NtKernel", package: "wdf-memory"),
    .product(name: "Wdf", package: "wdf-memory"),
    .product(name: "FltMgr", package: "wdf-memory"),
    .product(name: "WdfMonitor", package: "wdf-memory"),
]
let settings: [SwiftSetting] = [.swiftLanguageMode(.v6), .treatAllWarnings(as: .error)]

let package = Package(
    name: "readme-examples",
    dependencies: [.package(name: "wdf-memory", path: "$ROOT")],
    targets: [
$targets    ]
)
EOF
# Its own scratch folder, kept between local runs (.build-readme is ignored by git).
SCRATCH=${README_SCRATCH_PATH:-$ROOT/.build-readme}
if ! swift build --package-path "$PKG" --scratch-path "$SCRATCH" >"$WORK/swift-build.log" 2>&1; then
  grep -E "error|warning" "$WORK/swift-build.log" | head -40 || tail -n 40 "$WORK/swift-build.log"
  echo "FAIL: the Swift examples do not build"; exit 1
fi
SBIN=$(swift build --package-path "$PKG" --scratch-path "$SCRATCH" --show-bin-path)
for source in "$WORK"/swift/*.swift; do
  n=$(basename "$source" .swift)
  status=0; "$SBIN/example$n" >"$WORK/swift-$n.out" 2>&1 || status=$?
  if [ "$status" -ne 0 ]; then
    echo "FAIL: Swift example $n exited with status $status"; cat "$WORK/swift-$n.out"; failures=$((failures + 1)); continue
  fi
  echo "Swift example $n: ran, exit 0"
done

if [ "$failures" -gt 0 ]; then echo "README examples: $failures failed"; exit 1; fi
echo "README examples: all built and ran"
