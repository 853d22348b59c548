#!/usr/bin/env bash
# Fuzz every target with libFuzzer (clang, ASan+UBSan) for SECONDS each
# (default 60), starting from the seed corpus in fuzz/corpus/ (left as it
# is: new inputs go to a scratch directory). Fails on the first crash or
# property violation; the input that caused it is kept as
# BUILD/crash-<target>-*: add it to fuzz/corpus/<target>/ once fixed, so
# that every ctest run replays it. Prints the executions each target
# reached.
# Usage: fuzz/run.sh [SECONDS]   (FUZZ_BUILD=DIR: build there, default
#        build/fuzz in the tree)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
seconds=${1:-60}
build=${FUZZ_BUILD:-$root/build/fuzz}

echo "== build $build (clang, libFuzzer)"
cmake -S "$root" -B "$build" -DCMAKE_C_COMPILER=clang -DTUN_FUZZ=ON \
      -DTUN_WERROR=ON -DTUN_BUILD_TESTS=OFF -DTUN_BUILD_EXAMPLES=OFF >/dev/null
cmake --build "$build" -j"$(nproc)" >/dev/null

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
status=0
for target in "$build"/fuzz/fuzz_*; do
  name=$(basename "$target")
  short=${name#fuzz_}
  [ -d "$root/fuzz/corpus/$short" ] || continue
  mkdir -p "$work/$short"
  echo "== fuzz $short for ${seconds}s"
  if ! "$target" -max_total_time="$seconds" -max_len=20000 -timeout=10 \
       -print_final_stats=1 -artifact_prefix="$build/crash-$short-" \
       "$work/$short" "$root/fuzz/corpus/$short" >"$work/$short.log" 2>&1; then
    tail -n 40 "$work/$short.log"
    echo "fuzz $short: FAILED (input kept as $build/crash-$short-*)"
    status=1
    continue
  fi
  execs=$(awk '/stat::number_of_executed_units/ {print $2}' "$work/$short.log")
  cov=$(grep -o 'cov: [0-9]*' "$work/$short.log" | tail -n 1)
  echo "fuzz $short: ${execs:-?} executions, $cov, no crash"
done
exit $status
