#!/usr/bin/env bash
# The C SDK: builds libWdf01000.so for release with the Swift runtime linked in, and installs it
# with the public headers, a pkg-config file and a CMake package under PREFIX.
#
#   bash scripts/install.sh PREFIX          (DESTDIR=/stage bash scripts/install.sh /usr: staged)
#
#   PREFIX/lib/libWdf01000.so                      SONAME libWdf01000.so; needs only libc, libm,
#                                                  libstdc++ and libgcc_s (no Swift toolchain)
#   PREFIX/include/wdf01000/*.h                    every header of Sources/CWdf/include
#   PREFIX/lib/pkgconfig/wdf01000.pc               relocatable (paths from ${pcfiledir})
#   PREFIX/lib/cmake/Wdf01000/Wdf01000Config.cmake imported target Wdf01000::Wdf01000 (relocatable)
#   PREFIX/lib/cmake/Wdf01000/Wdf01000ConfigVersion.cmake
#
# The build uses its own scratch folder (.build-sdk, or $WDF_SDK_SCRATCH_PATH) because it links
# differently (-static-stdlib, a SONAME): `swift build`, `swift test` and the benchmarks keep
# using .build with the Swift runtime as shared libraries, untouched by this script.
set -euo pipefail

if [ $# -ne 1 ] || [ -z "$1" ]; then
  echo "usage: bash scripts/install.sh PREFIX" >&2
  exit 2
fi
ROOT=$(cd "$(dirname "$0")/.." && pwd)
# DESTDIR (staged installs, as for a distribution package): the files go to $DESTDIR$PREFIX. Nothing
# installed names the prefix (the .pc and CMake files find everything relative to themselves).
if [ -n "${DESTDIR:-}" ]; then
  case "$1" in /*) ;; *) echo "install.sh: with DESTDIR, PREFIX must be absolute" >&2; exit 2 ;; esac
  mkdir -p "$DESTDIR$1"
  PREFIX=$(cd "$DESTDIR$1" && pwd)
else
  mkdir -p "$1"
  PREFIX=$(cd "$1" && pwd)
fi
SCRATCH=${WDF_SDK_SCRATCH_PATH:-$ROOT/.build-sdk}

# The SDK's version (pkg-config Version, CMake package version; CMake accepts any 1.x request).
VERSION=1.0.0
# Compiler flags every driver source needs with gcc and clang, given to it by pkg-config and by the
# CMake target: -fshort-wchar makes L"..." literals UTF-16 as on Windows (WCHAR); multi-character
# tag constants ('gaT1') and `#pragma warning(...)` are everyday driver code that MSVC compiles
# silently (the headers turn both diagnostics off for clang and gcc, but g++ before 13 decides on
# them before any pragma applies).
DRIVER_CFLAGS="-fshort-wchar -Wno-multichar -Wno-unknown-pragmas"

echo "== building libWdf01000.so (release, Swift runtime linked statically) in $SCRATCH"
swift build --package-path "$ROOT" --scratch-path "$SCRATCH" -c release --product Wdf01000 \
  -Xswiftc -static-stdlib -Xlinker -soname=libWdf01000.so
BIN=$(swift build --package-path "$ROOT" --scratch-path "$SCRATCH" -c release --show-bin-path)
LIB="$BIN/libWdf01000.so"
test -f "$LIB"

# The library must not need the toolchain at run time: no Swift runtime library among its
# dependencies, no run path other than $ORIGIN.
if command -v readelf >/dev/null 2>&1; then
  dynamic=$(readelf -d "$LIB")
  if grep -E "\(NEEDED\).*\[lib(swift|dispatch|BlocksRuntime|Foundation|_Foundation)" <<<"$dynamic"; then
    echo "install.sh: $LIB still needs the Swift runtime as shared libraries" >&2
    exit 1
  fi
  if grep -E "\((RUNPATH|RPATH)\)" <<<"$dynamic" | grep -vE "\[\\\$ORIGIN\]$"; then
    echo "install.sh: $LIB has a run path other than \$ORIGIN" >&2
    exit 1
  fi
fi

echo "== installing into $PREFIX"
install -d "$PREFIX/lib/pkgconfig" "$PREFIX/lib/cmake/Wdf01000" "$PREFIX/include"

# The library: without its DWARF (the symbol table stays, for backtraces and debuggers' function
# names; the unstripped one stays in the scratch folder). Copied beside the destination and renamed
# over it, so a program that has the old one mapped keeps running.
staged="$PREFIX/lib/.libWdf01000.so.$$"
if command -v objcopy >/dev/null 2>&1; then
  objcopy --strip-debug "$LIB" "$staged"
else
  cp "$LIB" "$staged"
fi
chmod 755 "$staged"
mv -f "$staged" "$PREFIX/lib/libWdf01000.so"

# Every public header (sub-folders kept), replacing an earlier install's set.
headers="$PREFIX/include/wdf01000"
rm -rf "$headers.new.$$"
install -d "$headers.new.$$"
(cd "$ROOT/Sources/CWdf/include" && find . -type f -name '*.h') | sort | while read -r header; do
  install -D -m 644 "$ROOT/Sources/CWdf/include/$header" "$headers.new.$$/$header"
done
rm -rf "$headers"
mv "$headers.new.$$" "$headers"

cat > "$PREFIX/lib/pkgconfig/wdf01000.pc" <<PC
# The Windows driver memory subsystem (pool, lookaside lists, KMDF objects, Filter Manager ECPs)
# for driver code built and run in a Linux process. Relocatable: paths follow this file.
prefix=\${pcfiledir}/../..
exec_prefix=\${prefix}
libdir=\${exec_prefix}/lib
includedir=\${prefix}/include/wdf01000

Name: wdf01000
Description: Windows driver memory subsystem (pool, lookaside, KMDF objects, ECPs) with WDK-shaped headers
Version: $VERSION
Cflags: -I\${includedir} $DRIVER_CFLAGS
Libs: -L\${libdir} -Wl,-rpath,\${libdir} -lWdf01000
PC

cat > "$PREFIX/lib/cmake/Wdf01000/Wdf01000Config.cmake" <<CMAKE
# The Windows driver memory subsystem's C SDK: find_package(Wdf01000 CONFIG REQUIRED), then
# target_link_libraries(my_test PRIVATE Wdf01000::Wdf01000) gives the include path, the flags
# driver code needs ($DRIVER_CFLAGS) and the library. Relocatable: paths follow this file.
if(CMAKE_VERSION VERSION_LESS 3.15)
  message(FATAL_ERROR "Wdf01000 requires CMake 3.15 or later")
endif()

get_filename_component(_Wdf01000_PREFIX "\${CMAKE_CURRENT_LIST_DIR}/../../.." ABSOLUTE)

if(NOT TARGET Wdf01000::Wdf01000)
  add_library(Wdf01000::Wdf01000 SHARED IMPORTED)
  set_target_properties(Wdf01000::Wdf01000 PROPERTIES
    IMPORTED_LOCATION "\${_Wdf01000_PREFIX}/lib/libWdf01000.so"
    IMPORTED_SONAME "libWdf01000.so"
    INTERFACE_INCLUDE_DIRECTORIES "\${_Wdf01000_PREFIX}/include/wdf01000"
    INTERFACE_COMPILE_OPTIONS "\$<\$<COMPILE_LANGUAGE:C,CXX>:${DRIVER_CFLAGS// /;}>")
endif()

foreach(_Wdf01000_file "\${_Wdf01000_PREFIX}/lib/libWdf01000.so" "\${_Wdf01000_PREFIX}/include/wdf01000/wdm.h")
  if(NOT EXISTS "\${_Wdf01000_file}")
    set(Wdf01000_FOUND FALSE)
    set(Wdf01000_NOT_FOUND_MESSAGE "missing \${_Wdf01000_file}")
  endif()
endforeach()

set(Wdf01000_INCLUDE_DIRS "\${_Wdf01000_PREFIX}/include/wdf01000")
set(Wdf01000_LIBRARIES Wdf01000::Wdf01000)
unset(_Wdf01000_file)
unset(_Wdf01000_PREFIX)
CMAKE

# What CMake's write_basic_package_version_file(... COMPATIBILITY SameMajorVersion) writes, in short.
cat > "$PREFIX/lib/cmake/Wdf01000/Wdf01000ConfigVersion.cmake" <<CMAKE
set(PACKAGE_VERSION "$VERSION")
if(PACKAGE_VERSION VERSION_LESS PACKAGE_FIND_VERSION)
  set(PACKAGE_VERSION_COMPATIBLE FALSE)
else()
  string(REGEX MATCH "^[0-9]+" _Wdf01000_major "\${PACKAGE_VERSION}")
  if(PACKAGE_FIND_VERSION_MAJOR STREQUAL _Wdf01000_major)
    set(PACKAGE_VERSION_COMPATIBLE TRUE)
  else()
    set(PACKAGE_VERSION_COMPATIBLE FALSE)
  endif()
  if(PACKAGE_FIND_VERSION STREQUAL PACKAGE_VERSION)
    set(PACKAGE_VERSION_EXACT TRUE)
  endif()
  unset(_Wdf01000_major)
endif()
# A 64-bit library: a 32-bit project cannot use it (a project without languages does not say).
if(NOT "\${CMAKE_SIZEOF_VOID_P}" STREQUAL "" AND NOT "\${CMAKE_SIZEOF_VOID_P}" STREQUAL "8")
  set(PACKAGE_VERSION "\${PACKAGE_VERSION} (64bit)")
  set(PACKAGE_VERSION_UNSUITABLE TRUE)
endif()
CMAKE
chmod 644 "$PREFIX/lib/pkgconfig/wdf01000.pc" "$PREFIX/lib/cmake/Wdf01000/"*.cmake

echo "installed: $PREFIX/lib/libWdf01000.so ($(wc -c <"$PREFIX/lib/libWdf01000.so") bytes)," \
  "$(find "$headers" -name '*.h' | wc -l) headers in $headers, lib/pkgconfig/wdf01000.pc, lib/cmake/Wdf01000"
