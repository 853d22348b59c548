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
  *) exported=$(nm -D --defined-only "$lib" | awk '$2 ~ /^[TDBR]$/ {print $3}' | sort) ;;
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
count=$(echo "$exported" | wc -l)
[ $bad -eq 0 ] && echo "exported symbols: $count, all public tun_ API"
exit $bad
