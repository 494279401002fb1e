#!/usr/bin/env bash
# CI: the C SDK as a user gets it. Installs with scripts/install.sh into a temporary prefix, checks
# the installed library needs nothing from the Swift toolchain, builds every program in
# Tests/CClients (C11) and a C++17 driver (Tests/SDK) with the pkg-config flags (clang and gcc,
# -O2 -Wall -Werror) and with CMake's find_package, and runs each in an environment without the
# toolchain (env -i, no LD_LIBRARY_PATH); each must exit 0 and end with its
# "summary: N checks ok, 0 failed" line (pooltag-reader: its counter lines). Then moves the prefix
# and builds again from there (the .pc file and the CMake package are relocatable).
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD

need=()
command -v cmake >/dev/null 2>&1 || need+=(cmake)
command -v make >/dev/null 2>&1 || need+=(make)
command -v pkg-config >/dev/null 2>&1 || need+=(pkg-config)
command -v gcc >/dev/null 2>&1 || need+=(gcc)
command -v g++ >/dev/null 2>&1 || need+=(g++)
command -v clang >/dev/null 2>&1 || need+=(clang)
command -v readelf >/dev/null 2>&1 || need+=(binutils)
if [ ${#need[@]} -gt 0 ]; then
  echo "== installing ${need[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
CLANGXX=$(command -v clang++ || true)
TOOLCHAIN_LIB=$(cd "$(dirname "$(command -v swift)")/../lib" && pwd)

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
PREFIX="$WORK/prefix"

echo "== the C SDK: scripts/install.sh $PREFIX"
start=$(date +%s)
bash scripts/install.sh "$PREFIX"
echo "install took $(( $(date +%s) - start )) s"

fail() { echo "sdk: $*" >&2; exit 1; }
for f in lib/libWdf01000.so lib/pkgconfig/wdf01000.pc lib/cmake/Wdf01000/Wdf01000Config.cmake \
         lib/cmake/Wdf01000/Wdf01000ConfigVersion.cmake; do
  test -f "$PREFIX/$f" || fail "missing $PREFIX/$f"
done
diff <(cd Sources/CWdf/include && find . -type f -name '*.h' | sort) \
     <(cd "$PREFIX/include/wdf01000" && find . -type f | sort) || fail "installed headers differ from Sources/CWdf/include"

# The library: no Swift runtime among its dependencies, no run path but $ORIGIN, a SONAME.
LIB="$PREFIX/lib/libWdf01000.so"
readelf -d "$LIB" | grep -E "\((NEEDED|RUNPATH|RPATH|SONAME)\)"
! readelf -d "$LIB" | grep -E "\(NEEDED\)" | grep -vE "\[(libc|libm|libstdc\+\+|libgcc_s|ld-linux-x86-64)\.so" \
  || fail "libWdf01000.so needs a library beyond the C and C++ runtimes"
! readelf -d "$LIB" | grep -E "\((RUNPATH|RPATH)\)" | grep -vE "\[\\\$ORIGIN\]" || fail "libWdf01000.so has a run path other than \$ORIGIN"
readelf -d "$LIB" | grep -q "(SONAME).*\[libWdf01000.so\]" || fail "libWdf01000.so has no SONAME libWdf01000.so"

# Runs a program as on a machine without Swift: a clean environment, and ldd must resolve
# libWdf01000.so to the installed one and nothing to the toolchain.
clean() { env -i PATH=/usr/bin:/bin LD_LIBRARY_PATH= "$@"; }
check_ldd() {
  local deps
  deps=$(clean ldd "$1")
  if grep -qE "not found|$TOOLCHAIN_LIB|libswift|libdispatch|libFoundation" <<<"$deps"; then
    echo "$deps"; fail "$1 does not resolve without the toolchain"
  fi
  local resolved
  resolved=$(awk '$1 == "libWdf01000.so" {print $3}' <<<"$deps")
  [ -n "$resolved" ] && [ "$(readlink -f "$resolved")" = "$(readlink -f "$2")" ] \
    || { echo "$deps"; fail "$1 does not load $2"; }
}
# Runs a client (PROGRAM EXPECTED-LAST-LINE-PATTERN [ARGS...]) and checks its status and last line.
run_client() {
  local program=$1 pattern=$2
  shift 2
  local out
  if ! out=$(clean "$program" "$@" 2>&1); then echo "$out"; fail "$program failed"; fi
  grep -qE "$pattern" <<<"$(tail -n 1 <<<"$out")" || { echo "$out"; fail "$program: unexpected output"; }
  echo "ok    $(basename "$program"): $(tail -n 1 <<<"$out")"
}
run_programs() {
  # run_programs DIR LIB: every program built into DIR
  local dir=$1 lib=$2
  for p in "$dir"/*; do
    [ -f "$p" ] && [ -x "$p" ] || continue
    check_ldd "$p" "$lib"
    case "$(basename "$p")" in
      *pooltag-reader*)
        run_client "$p" "^tag "
        clean "$p" | grep -qx "tag RdNp paged 0 0 0 nonpaged 5 1 256" || fail "$p: wrong RdNp counters"
        clean "$p" | grep -qx "tag RdPg paged 1 0 8192 nonpaged 0 0 0" || fail "$p: wrong RdPg counters" ;;
      # wdfmon's and the verifier's programs: they end with their own line, not a summary.
      *monitor-busy*) run_client "$p" "^monitor-busy: [0-9]+ blocks, unloaded \(0x00000000\)$" 1 ;;
      *monitor-leak*) run_client "$p" "^monitor-leak: unloaded \(0x[0-9A-F]{8}\)$" ;;
      *monitor-clean*) run_client "$p" "^monitor-clean: unloaded \(0x00000000\)$" ;;
      *verifier-client*) run_client "$p" "^unload: 0x00000000$" clean ;;
      *) run_client "$p" "^summary: [0-9]+ checks ok, 0 failed$" ;;
    esac
  done
}

# pkg-config, as `cc $(pkg-config --cflags wdf01000) driver.c $(pkg-config --libs wdf01000)`.
build_with_pkg_config() {
  # build_with_pkg_config PREFIX OUT
  local prefix=$1 out=$2 cflags libs
  mkdir -p "$out"
  export PKG_CONFIG_PATH="$prefix/lib/pkgconfig"
  pkg-config --exists --print-errors "wdf01000 >= 1.0"
  cflags=$(pkg-config --cflags wdf01000)
  libs=$(pkg-config --libs wdf01000)
  echo "pkg-config: $cflags $libs"
  for cc in clang gcc; do
    for dir in Tests/CClients/*/; do
      client=$(basename "$dir")
      # shellcheck disable=SC2086
      "$cc" -std=c11 -O2 -Wall -Werror $cflags "$dir"*.c $libs -o "$out/$client-$cc"
    done
  done
  for cxx in ${CLANGXX:+"$CLANGXX"} g++; do
    # shellcheck disable=SC2086
    "$cxx" -std=c++17 -O2 -Wall -Wextra -Werror $cflags Tests/SDK/cxx-driver.cpp $libs -o "$out/cxx-driver-$(basename "$cxx")"
  done
  # Every installed header in one translation unit, C11 and C++17: the installed set is complete.
  (cd "$prefix/include/wdf01000" && find . -type f -name '*.h' | sort | sed 's|^\./|#include <|; s|$|>|') > "$WORK/all.h"
  printf '#include <wdm.h>\n#include "%s"\nint main(void) { return 0; }\n' "$WORK/all.h" > "$WORK/all.c"
  cp "$WORK/all.c" "$WORK/all.cpp"
  # shellcheck disable=SC2086
  gcc -std=c11 -Wall -Wextra -Werror $cflags -c "$WORK/all.c" -o "$WORK/all.o"
  # shellcheck disable=SC2086
  g++ -std=c++17 -Wall -Wextra -Werror $cflags -c "$WORK/all.cpp" -o "$WORK/all.o"
  unset PKG_CONFIG_PATH
}

echo "== pkg-config: C clients (clang, gcc), the C++17 driver (clang++, g++), every header"
build_with_pkg_config "$PREFIX" "$WORK/pc"
run_programs "$WORK/pc" "$LIB"

echo "== a bug check through the installed library"
if out=$(clean "$WORK/pc/wdf-client-gcc" null-out 2>&1); then echo "$out"; fail "null-out did not stop"; fi
grep -q '^\*\*\* STOP: 0x0000010D (0x0000000000000004,' <<<"$out" || { echo "$out"; fail "null-out: no WDF_VIOLATION stop"; }
echo "ok    wdf-client null-out: $(grep -m1 'STOP' <<<"$out")"

echo "== CMake: find_package(Wdf01000 CONFIG REQUIRED), target_link_libraries(... Wdf01000::Wdf01000)"
cmake -S Tests/SDK -B "$WORK/cmake" -DCMAKE_PREFIX_PATH="$PREFIX" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$WORK/cmake" >/dev/null
run_programs "$WORK/cmake" "$LIB"
# The CMake target gives the same driver flags as pkg-config.
for flag in $(PKG_CONFIG_PATH="$PREFIX/lib/pkgconfig" pkg-config --cflags-only-other wdf01000); do
  for target in sdk-c-client sdk-cxx-driver; do
    grep -q -- " $flag\b" "$WORK/cmake/CMakeFiles/$target.dir/flags.make" || fail "CMake target $target lacks $flag"
  done
done
grep -q "Wdf01000_DIR:PATH=$PREFIX/lib/cmake/Wdf01000" "$WORK/cmake/CMakeCache.txt" || fail "CMake found another Wdf01000"
# The version file: no version and 1.x are accepted, 2 is not.
mkdir -p "$WORK/version-check"
cat > "$WORK/version-check/CMakeLists.txt" <<'CMAKE'
cmake_minimum_required(VERSION 3.16)
project(wdf01000_version_check NONE)
find_package(Wdf01000 2 CONFIG QUIET)
if(Wdf01000_FOUND)
  message(FATAL_ERROR "Wdf01000 ${Wdf01000_VERSION} accepted for a request of version 2")
endif()
find_package(Wdf01000 CONFIG REQUIRED)
find_package(Wdf01000 1.0 CONFIG REQUIRED)
message(STATUS "Wdf01000 ${Wdf01000_VERSION} include dirs ${Wdf01000_INCLUDE_DIRS}")
CMAKE
cmake -S "$WORK/version-check" -B "$WORK/version-check/build" -DCMAKE_PREFIX_PATH="$PREFIX" | grep "Wdf01000"

echo "== relocated prefix (moved after install)"
MOVED="$WORK/moved/sdk"
mkdir -p "$WORK/moved"
mv "$PREFIX" "$MOVED"
build_with_pkg_config "$MOVED" "$WORK/pc-moved"
run_programs "$WORK/pc-moved" "$MOVED/lib/libWdf01000.so"
cmake -S Tests/SDK -B "$WORK/cmake-moved" -DCMAKE_PREFIX_PATH="$MOVED" >/dev/null
cmake --build "$WORK/cmake-moved" >/dev/null
run_programs "$WORK/cmake-moved" "$MOVED/lib/libWdf01000.so"

echo "== sdk: ok"
