#!/usr/bin/env bash
# The Debian packages (debian/): built from a copy of this tree with
# dpkg-buildpackage, once and without running the tests again (nocheck);
# lintian on them (an error or a warning fails); then libtun0 and
# libtun-dev unpacked into a temporary root, the manual checked there, and
# the installed-package consumer (tests/consumer) built and run against that
# root with pkg-config (shared and static library) and with CMake's
# find_package. New exported symbols missing from debian/libtun0.symbols are
# reported, not failed (record them with scripts/abi.sh update).
# Usage: scripts/deb.sh [OUTDIR]   (default build/deb: the .deb files, the
# build log and the unpacked root end up there)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$root/build/deb}
rm -rf "$out"
mkdir -p "$out/libtun"
# dpkg-buildpackage builds inside the tree and writes the packages beside it.
tar -C "$root" --exclude=./build --exclude=./.git -cf - . | tar -C "$out/libtun" -xf -
echo "-- dpkg-buildpackage -us -uc -b (log: $out/build.log)"
if ! (cd "$out/libtun" && DEB_BUILD_OPTIONS="nocheck parallel=$(nproc)" \
      dpkg-buildpackage -us -uc -b -Pnocheck) >"$out/build.log" 2>&1; then
  tail -40 "$out/build.log"
  echo "dpkg-buildpackage failed"
  exit 1
fi
if grep -q "dpkg-gensymbols: warning" "$out/build.log"; then
  echo "-- exported symbols not yet in debian/libtun0.symbols (scripts/abi.sh update):"
  grep -E '^\+ ' "$out/build.log" || true
fi
echo "-- lintian"
lintian --fail-on error,warning "$out"/libtun_*.changes

echo "-- the packages unpacked into $out/root"
sysroot="$out/root"
for package in libtun0 libtun-dev; do
  dpkg-deb -x "$out/${package}"_*.deb "$sysroot"
done
libdir="$sysroot/usr/lib/$(dpkg-architecture -qDEB_HOST_MULTIARCH)"
declared=$(tr '\n' ' ' < "$sysroot/usr/include/tun.h" | grep -oE 'TUN_EXTERN[^;(]*\(' |
           grep -oE 'tun_[a-z0-9_]+\($' | tr -d '(')
for f in $declared libtun; do
  ls "$sysroot"/usr/share/man/man[37]/"$f".[37].gz >/dev/null 2>&1 ||
    { echo "libtun-dev has no manual page for $f"; exit 1; }
done
consumer=$root/tests/consumer/main.c
flags=$(PKG_CONFIG_PATH= PKG_CONFIG_LIBDIR="$libdir/pkgconfig" pkg-config --cflags --libs libtun)
case $flags in *"$sysroot"*) ;; *) echo "pkg-config found another libtun: $flags"; exit 1 ;; esac
cc -std=c11 -Wall -Wextra -Werror -o "$out/consumer-pc" "$consumer" $flags \
   -Wl,-rpath,"$libdir"
loaded=$(ldd "$out/consumer-pc")
grep -q "=> $libdir/libtun.so.0 " <<<"$loaded" ||
  { echo "consumer-pc does not load the packaged libtun.so.0"; exit 1; }
"$out/consumer-pc"
cc -std=c11 -Wall -Wextra -Werror -o "$out/consumer-static" "$consumer" \
   -I"$sysroot/usr/include" "$libdir/libtun.a" -pthread
"$out/consumer-static"
cmake -S "$root/tests/consumer" -B "$out/consumer-cmake" \
      -DCMAKE_PREFIX_PATH="$sysroot/usr" >/dev/null
grep -q "^libtun_DIR:PATH=$libdir/cmake/libtun$" "$out/consumer-cmake/CMakeCache.txt" ||
  { echo "find_package found another libtun:"; grep libtun_DIR "$out/consumer-cmake/CMakeCache.txt"; exit 1; }
cmake --build "$out/consumer-cmake" >/dev/null
"$out/consumer-cmake/consumer"
echo "-- Debian packages: $(cd "$out" && ls ./*.deb | tr '\n' ' ')"
