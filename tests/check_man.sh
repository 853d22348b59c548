#!/usr/bin/env bash
# The manual matches the header: every function tun.h declares has a page
# in section 3 (generated from its doc comment: a function without one has
# none), no page is for a function the header lacks, no page refers to one,
# and every page renders without a warning from mandoc (-T lint) and from
# groff through man (--warnings).
# Usage: check_man.sh tun.h MANDIR   (MANDIR: the build's man/, with man3/
# and man7/)
set -euo pipefail
header=$1 mandir=$2
declared=$(tr '\n' ' ' < "$header" | grep -oE 'TUN_EXTERN[^;(]*\(' |
           grep -oE 'tun_[a-z0-9_]+\($' | tr -d '(' | sort)
[ -n "$declared" ] || { echo "no functions in $header"; exit 1; }
is_declared() { grep -qx "$1" <<<"$declared"; }
bad=0

for f in $declared; do
  page="$mandir/man3/$f.3"
  if [ ! -f "$page" ]; then
    echo "no manual page for $f: give its declaration in tun.h a doc comment"
    bad=1
  elif target=$(sed -n 's/^\.so //p' "$page") && [ -n "$target" ] &&
       [ ! -f "$mandir/$target" ]; then
    echo "$page links to $target, which is missing"
    bad=1
  fi
done

pages=()
for page in "$mandir"/man3/*.3; do
  [ -e "$page" ] || continue
  name=$(basename "$page" .3)
  is_declared "$name" || { echo "$page: a page for $name, which tun.h lacks"; bad=1; }
  grep -q '^\.so ' "$page" || pages+=("$page")
done
pages+=("$mandir/man7/libtun.7")
[ -f "$mandir/man7/libtun.7" ] || { echo "no libtun(7) in $mandir/man7"; bad=1; }

# Functions named anywhere: in NAME, as \fBtun_x\fP() in the text and as
# .BR tun_x (3) in the references.
for page in "${pages[@]}"; do
  [ -f "$page" ] || continue
  named=$( { sed -n '/^\.SH NAME/,/^\.SH/p' "$page" | grep -oE 'tun_[a-z0-9_]+' || true
             grep -oE '\\fB(\\%)?tun_[a-z0-9_]+\\fP\(' "$page" || true
             grep -oE '^\.BR .*' "$page" | grep -oE 'tun_[a-z0-9_]+ \(3\)' || true
           } | grep -oE 'tun_[a-z0-9_]+' | sort -u)
  for f in $named; do
    is_declared "$f" || { echo "$page names $f(), which tun.h lacks"; bad=1; }
  done
done

linted=0
if command -v mandoc >/dev/null; then
  for page in "${pages[@]}"; do
    out=$(mandoc -T lint -W warning "$page" 2>&1) || true
    [ -z "$out" ] || { echo "$out"; bad=1; }
  done
  linted=1
fi
if command -v man >/dev/null && command -v groff >/dev/null; then
  # man resolves .so links from the top of the manual, as when installed.
  for page in "${pages[@]}"; do
    out=$(cd "$mandir" && LC_ALL=C.UTF-8 MANWIDTH=80 \
          man --warnings -E UTF-8 -l "$page" 2>&1 >/dev/null) || true
    [ -z "$out" ] || { echo "$page (groff): $out"; bad=1; }
  done
  linted=1
fi
if [ $linted -eq 0 ] && [ $bad -eq 0 ]; then
  echo "skipped: neither mandoc nor man and groff are installed"
  exit 77
fi
[ $bad -eq 0 ] && echo "manual: $(wc -l <<<"$declared") functions, ${#pages[@]} pages, lint clean"
exit $bad
