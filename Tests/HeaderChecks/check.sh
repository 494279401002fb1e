#!/bin/sh
# Header checks for Sources/CWdf/include (run by CI; exits non-zero on the first failure).
#
#  1. every public header alone, then all of them together, compiles warning-free as C11
#     (clang and gcc, -Wall -Wextra -Werror -pedantic) and as C++17 (clang++ and g++);
#  2. layout.c: static assertions on type sizes, structure offsets and constant values;
#  3. usage.c: driver-style code written as the WDK reference pages show it;
#  4. CWdf.c compiles with the same flags;
#  5. link_main.c + link_other.c + CWdf.c link and run (DEFINE_GUID/INITGUID, DbgPrint);
#  6. when swiftc is available: the headers import into Swift as a clang module and the status
#     constants keep their NTSTATUS type and values.
#
# Override the compilers with CCS="..." and CXXS="..." (space separated).
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
INC="$ROOT/Sources/CWdf/include"
CWDF_C="$ROOT/Sources/CWdf/CWdf.c"
HEADERS="wdm.h wdf.h fltkernel.h wdfhost.h"

CCS=${CCS:-"clang gcc"}
CXXS=${CXXS:-"clang++ g++"}

CFLAGS="-std=c11 -Wall -Wextra -Werror -pedantic"
CXXFLAGS="-std=c++17 -Wall -Wextra -Werror -pedantic"

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT INT TERM

failures=0
run() {
    # run DESCRIPTION COMMAND...
    desc=$1
    shift
    if "$@" >"$WORK/out.txt" 2>&1; then
        echo "ok    $desc"
    else
        echo "FAIL  $desc"
        echo "      $*"
        sed 's/^/      /' "$WORK/out.txt"
        failures=$((failures + 1))
    fi
}

for tool in $CCS $CXXS; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "FAIL  compiler not found: $tool"
        exit 1
    fi
done

# Test translation units: each header alone, all together (both orders).
for h in $HEADERS; do
    printf '#include <%s>\n' "$h" >"$WORK/only_${h%.h}.c"
done
{
    for h in $HEADERS; do printf '#include <%s>\n' "$h"; done
} >"$WORK/all.c"
{
    for h in $HEADERS; do printf '#include <%s>\n' "$h"; done | sort -r
    for h in $HEADERS; do printf '#include <%s>\n' "$h"; done
} >"$WORK/all_reversed_twice.c"

for cc in $CCS; do
    for f in "$WORK"/only_*.c "$WORK/all.c" "$WORK/all_reversed_twice.c"; do
        run "$cc C11 $(basename "$f")" $cc $CFLAGS -I"$INC" -fsyntax-only "$f"
    done
    run "$cc C11 layout.c" $cc $CFLAGS -I"$INC" -fsyntax-only "$HERE/layout.c"
    run "$cc C11 usage.c" $cc $CFLAGS -Wno-multichar -I"$INC" -fsyntax-only "$HERE/usage.c"
    run "$cc C11 CWdf.c" $cc $CFLAGS -I"$INC" -c -o "$WORK/CWdf.o" "$CWDF_C"
    run "$cc C11 link + run" sh -c '
        "$1" $2 -I"$3" -o "$4/link_c" "$5/link_main.c" "$5/link_other.c" "$6" &&
        "$4/link_c" 2>"$4/stderr.txt" | grep -qx OK &&
        grep -qx "main 42" "$4/stderr.txt" && grep -qx "other tu" "$4/stderr.txt"' \
        sh "$cc" "$CFLAGS" "$INC" "$WORK" "$HERE" "$CWDF_C"
done

for cxx in $CXXS; do
    for f in "$WORK"/only_*.c "$WORK/all.c" "$WORK/all_reversed_twice.c"; do
        run "$cxx C++17 $(basename "$f")" $cxx -x c++ $CXXFLAGS -I"$INC" -fsyntax-only "$f"
    done
    run "$cxx C++17 layout.c" $cxx -x c++ $CXXFLAGS -I"$INC" -fsyntax-only "$HERE/layout.c"
    run "$cxx C++17 usage.c" $cxx -x c++ $CXXFLAGS -Wno-multichar -I"$INC" -fsyntax-only "$HERE/usage.c"
    run "$cxx C++17 link + run" sh -c '
        "$1" -x c $2 -I"$3" -c -o "$4/CWdf_cxx.o" "$6" &&
        "$1" -x c++ $7 -I"$3" -o "$4/link_cxx" "$5/link_main.c" "$5/link_other.c" -x none "$4/CWdf_cxx.o" &&
        "$4/link_cxx" 2>"$4/stderr.txt" | grep -qx OK &&
        grep -qx "main 42" "$4/stderr.txt" && grep -qx "other tu" "$4/stderr.txt"' \
        sh "$cxx" "$CFLAGS" "$INC" "$WORK" "$HERE" "$CWDF_C" "$CXXFLAGS"
done

# Swift import (optional: only where a Swift toolchain is installed).
if command -v swiftc >/dev/null 2>&1; then
    mkdir -p "$WORK/swift/CWdf"
    cp "$INC"/*.h "$WORK/swift/CWdf/"
    cat >"$WORK/swift/CWdf/module.modulemap" <<'MODULEMAP'
module CWdf {
    umbrella "."
    export *
}
MODULEMAP
    cat >"$WORK/swift/check.swift" <<'SWIFT'
import CWdf

let invalid: NTSTATUS = STATUS_INVALID_PARAMETER
precondition(UInt32(bitPattern: invalid) == 0xC000_000D)
precondition(UInt32(bitPattern: STATUS_WDF_PARENT_NOT_SPECIFIED) == 0xC020_0212)
precondition(STATUS_MORE_ENTRIES == 0x105 && STATUS_SUCCESS == 0)
let flags: POOL_FLAGS = POOL_FLAG_NON_PAGED | POOL_FLAG_UNINITIALIZED
precondition(flags == 0x42)
precondition(NonPagedPoolNx.rawValue == 512)
precondition(MemoryLayout<LOOKASIDE_LIST_EX>.size == 96)
// Types aligned above 16 bytes (GENERAL_LOOKASIDE, [N]PAGED_LOOKASIDE_LIST) do not import into
// Swift: their pointers arrive as OpaquePointer, and their first 96 bytes are a
// GENERAL_LOOKASIDE_POOL (layout.c asserts the identical offsets).
func legacyDepth(_ list: PNPAGED_LOOKASIDE_LIST) -> USHORT {
    UnsafeMutablePointer<GENERAL_LOOKASIDE_POOL>(list).pointee.Depth
}
let legacyInit: (PNPAGED_LOOKASIDE_LIST?, PALLOCATE_FUNCTION?, PFREE_FUNCTION?, ULONG, SIZE_T, ULONG, USHORT) -> Void = ExInitializeNPagedLookasideList
precondition(MemoryLayout<SYSTEM_POOLTAG>.size == 40)
precondition(MemoryLayout<DRIVER_OBJECT>.size == 0x150)
precondition(MemoryLayout<GUID>.size == 16)
precondition(MemoryLayout<WCHAR>.size == 2)
var list = LOOKASIDE_LIST_EX()
list.L.Depth = 4
list.L.AllocateMisses = 1
let bugCheck: (ULONG, ULONG_PTR, ULONG_PTR, ULONG_PTR, ULONG_PTR) -> Never = KeBugCheckEx
let allocate: (POOL_FLAGS, SIZE_T, ULONG) -> PVOID? = ExAllocatePool2
let query: (SYSTEM_INFORMATION_CLASS, PVOID?, ULONG, PULONG?) -> NTSTATUS = ZwQuerySystemInformation
let load: (UnsafePointer<CChar>?, PDRIVER_INITIALIZE?, UnsafeMutablePointer<PDRIVER_OBJECT?>?) -> NTSTATUS = WdfHostLoadDriver
_ = (bugCheck, allocate, query, load, legacyDepth, legacyInit, WDF_VIOLATION as ULONG, PAGE_SIZE)
SWIFT
    run "swiftc import CWdf" swiftc -typecheck -I "$WORK/swift" "$WORK/swift/check.swift"
else
    echo "skip  swiftc not found: Swift import not checked"
fi

if [ "$failures" -ne 0 ]; then
    echo "$failures check(s) failed"
    exit 1
fi
echo "all header checks passed"
