#!/usr/bin/env bash
# Only the public API may leave the shared library: every exported function
# and object starts with tun_ and is declared in include/tun.h; and every
# function the header declares is there (none declared but missing).
# Usage: check_exports.sh LIB tun.h   (LIB: a shared object or a Windows DLL)
set -euo pipefail
lib=$1 header=$2
case $lib in
  *.dll) # A Windows DLL's export table, e.g. "	[   3] tun_close".
    exported=$(${OBJDUMP:-x86_64-w64-mingw32-objdump} -p "$lib" |
               awk '/Ordinal\/Name Pointer/ {names = 1; next}
                    names && NF == 0 {names = 0}
                    names {print $NF}' | sort) ;;
  *) exported=$(nm -D --defined-only "$lib" |
               awk '$2 ~ /^[TDBR]$/ {sub(/@.*/, "", $3); print $3}' | sort) ;;
esac
[ -n "$exported" ] || { echo "no exported symbols in $lib"; exit 1; }
bad=0
for sym in $exported; do
  case $sym in
    # The C runtime's own entry points (musl's crti.o exports them).
    _init | _fini) ;;
    tun_*) grep -Eq "\\b$sym\\(" "$header" || { echo "exported but not in tun.h: $sym"; bad=1; } ;;
    *) echo "exported symbol outside the tun_ prefix: $sym"; bad=1 ;;
  esac
done
declared=$(tr '\n' ' ' < "$header" | grep -oE 'TUN_EXTERN[^;(]*\(' |
           grep -oE 'tun_[a-z0-9_]+\($' | tr -d '(' | sort)
for sym in $declared; do
  grep -qx "$sym" <<<"$exported" || { echo "declared in tun.h but not exported: $sym"; bad=1; }
done
# On ELF every export carries the version node of the SONAME
# (cmake/libtun.map.in), e.g. tun_open@@LIBTUN_0 for libtun.so.0.
case $lib in
  *.dll) ;;
  *) soname=$(objdump -p "$lib" | awk '$1 == "SONAME" {print $2}')
     node=LIBTUN_${soname##*.so.}
     unversioned=$(nm -D --defined-only --with-symbol-versions "$lib" |
                   awk -v want="@@$node" '$2 ~ /^[TDBR]$/ && index($3, want) == 0 {print $3}')
     [ -z "$unversioned" ] || { echo "exported without version $node:" $unversioned; bad=1; } ;;
esac
count=$(echo "$exported" | wc -l)
[ $bad -eq 0 ] && echo "exported symbols: $count, all public tun_ API"
exit $bad
