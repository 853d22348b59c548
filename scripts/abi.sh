#!/usr/bin/env bash
# The ABI guard of the shared library (README, "ABI policy"): the ABI of each
# SONAME is recorded in abi/<SONAME>.abi (abidw's XML, public types only:
# those defined in include/) and every test run compares the library built
# with it (abidiff, from Debian's abigail-tools).
#   scripts/abi.sh check  LIB  fail on an incompatible change (a removed or
#                              changed function, a changed public struct or
#                              enum), report additions and pass
#   scripts/abi.sh update LIB  record LIB's ABI (after adding functions, or
#                              for a new SONAME) and its symbols in
#                              debian/libtun<N>.symbols; refuses an
#                              incompatible change under the same SONAME
#   scripts/abi.sh break  LIB  as update, incompatible changes included:
#                              only before the SONAME's first release (the
#                              top entry of NEWS.md says "not yet released")
# LIB is build/<dir>/src/libtun.so of a build with debug information (the
# default RelWithDebInfo or Debug). Exit 77: abigail-tools is not installed.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
mode=${1:-} lib=${2:-}
case $mode in check | update | break) ;; *) sed -n '2,18s/^# \{0,1\}//p' "$0" >&2; exit 2 ;; esac
[ -f "$lib" ] || { echo "abi.sh: no library at '$lib'" >&2; exit 2; }
if ! command -v abidw >/dev/null || ! command -v abidiff >/dev/null; then
  echo "skipped: abidw/abidiff not installed (apt-get install abigail-tools)"
  exit 77
fi
sections=$(readelf -S "$lib")
if ! grep -q '\.debug_info' <<<"$sections"; then
  echo "skipped: $lib has no debug information (build it RelWithDebInfo or Debug)"
  exit 77
fi
soname=$(objdump -p "$lib" | awk '$1 == "SONAME" {print $2}')
[ -n "$soname" ] || { echo "abi.sh: $lib has no SONAME" >&2; exit 2; }
recorded="$root/abi/$soname.abi"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The Debian symbols file of the SONAME's package (libtun.so.0: libtun0):
# every exported symbol with the release that brought it, kept from the file
# as it was, the header's TUN_VERSION_STRING for a new one.
write_symbols() {
  local package=libtun${soname##*.so.}
  local file="$root/debian/$package.symbols" version
  version=$(sed -n 's/^#define TUN_VERSION_STRING "\(.*\)"$/\1/p' "$root/include/tun.h")
  {
    echo "$soname $package #MINVER#"
    echo "* Build-Depends-Package: libtun-dev"
    nm -D --defined-only --with-symbol-versions "$lib" |
      awk '$2 ~ /^[TDBRA]$/ {
             sym = $3
             if (!sub(/@@/, "@", sym)) sym = sym "@" sym   # the version node
             print sym
           }' | sort |
      while read -r sym; do
        old=$(awk -v s="$sym" '$1 == s {print $2}' "$file" 2>/dev/null || true)
        echo " $sym ${old:-$version}"
      done
  } >"$work/symbols"
  mv "$work/symbols" "$file"
  echo "abi.sh: debian/$package.symbols written"
}

# No paths or source locations: the file is the same from any checkout.
abidw --headers-dir "$root/include" --drop-private-types --drop-undefined-syms \
      --no-corpus-path --no-comp-dir-path --no-show-locs "$lib" >"$work/built.abi"

if [ ! -f "$recorded" ]; then
  if [ "$mode" != check ]; then
    mkdir -p "$root/abi"
    cp "$work/built.abi" "$recorded"
    echo "abi.sh: recorded the ABI of the new SONAME $soname in abi/$soname.abi"
    write_symbols
    exit 0
  fi
  echo "ABI: no recorded ABI for $soname (the SONAME changed?): record it with" \
       "scripts/abi.sh update $lib, and say so in NEWS" >&2
  exit 1
fi

# abidiff's exit status is a bit set: 1 error, 2 usage, 4 a change,
# 8 an incompatible change.
status=0
abidiff --no-show-locs "$recorded" "$work/built.abi" >"$work/report" || status=$?
if [ $((status & 3)) -ne 0 ]; then
  cat "$work/report" >&2
  echo "abi.sh: abidiff failed (status $status)" >&2
  exit 1
fi
# abidiff calls only removals incompatible; here any removed or changed
# function or variable is (a changed parameter, return or public struct
# breaks callers built against the old header). What is left, additions
# and changes abidiff deems harmless (an enumerator added at the end),
# passes.
broken=$(awk '/changes summary:/ {
                for (i = 1; i < NF; i++)
                  if ($(i + 1) ~ /^(Removed|Changed)/ && $i + 0 > 0) print
              }' "$work/report")
if [ "$mode" = break ]; then
  if ! sed -n '/^## /{p;q}' "$root/NEWS.md" | grep -q "not yet released"; then
    echo "abi.sh: $soname was released (NEWS.md): an incompatible change needs a new SONAME" >&2
    exit 1
  fi
  cat "$work/report"
  cp "$work/built.abi" "$recorded"
  write_symbols
  echo "abi.sh: abi/$soname.abi records the changes above, before the first release;" \
       "say what broke in NEWS.md"
  exit 0
fi
if [ $((status & 8)) -ne 0 ] || [ -n "$broken" ]; then
  cat "$work/report" >&2
  echo "ABI: INCOMPATIBLE change against abi/$soname.abi (above). Undo it, or" \
       "make it with a new SONAME: raise the major version in CMakeLists.txt" \
       "(project VERSION) and TUN_VERSION_* in include/tun.h, rename the" \
       "Debian package libtun0 to match, then scripts/abi.sh update $lib." \
       "Before the SONAME's first release (NEWS.md): scripts/abi.sh break $lib" >&2
  exit 1
fi
if [ "$mode" = update ]; then
  cp "$work/built.abi" "$recorded"
  write_symbols
  if [ $((status & 4)) -ne 0 ]; then
    echo "abi.sh: abi/$soname.abi updated with these compatible changes:"
    cat "$work/report"
  else
    echo "abi.sh: abi/$soname.abi already matches"
  fi
  exit 0
fi
if [ $((status & 4)) -ne 0 ]; then
  echo "ABI: compatible changes against abi/$soname.abi (additions are fine;" \
       "record them with scripts/abi.sh update $lib):"
  cat "$work/report"
else
  echo "ABI: $soname matches abi/$soname.abi"
fi
