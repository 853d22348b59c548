#!/bin/bash
# The C example in README.md must compile and link against the library as a
# user's program would: extract the first ```c block and build it. The
# README's options table must name every option() of the top CMakeLists.txt.
# Usage: check_readme_example.sh CC README.md INCLUDE_DIR LIBRARY [CFLAGS...]
set -euo pipefail
cc=$1 readme=$2 include=$3 library=$4
shift 4
# CMake passes an empty argument when there are no extra flags: drop it.
flags=()
for f in "$@"; do [ -n "$f" ] && flags+=("$f"); done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# The first C block is the complete program; later ones are fragments.
awk '/^```c$/ {on = 1; next} /^```/ {if (on) exit} on' "$readme" >"$work/example.c"
[ -s "$work/example.c" ] || { echo "no C example in $readme" >&2; exit 1; }
"$cc" -std=c11 -Wall -Wextra -Wpedantic -Werror -I"$include" \
      -o "$work/example" "$work/example.c" "$library" ${flags[@]+"${flags[@]}"}
echo "README example builds"
missing=$(sed -n 's/^option(\([A-Z0-9_]*\) .*/\1/p' "$(dirname "$readme")/CMakeLists.txt" |
          while read -r option; do
              grep -q "^| \`$option\` |" "$readme" || echo "$option"
          done)
[ -z "$missing" ] || { echo "README.md's options table lacks:" $missing >&2; exit 1; }
echo "README lists every build option"
