#!/bin/bash
# Instructions per call of the packet engine's hot functions, counted by
# valgrind's callgrind: unlike seconds, the same on every run however busy
# the machine, so two builds (before and after a change) compare exactly.
#
#   bash bench/instructions.sh [BUILD_DIR] [BASELINE_BUILD_DIR]
#
# BUILD_DIR holds bench/bench_checksum (default build/bench, as bench/run.sh
# builds it); with a baseline build the table gains its figures and the
# ratio between the two (a baseline needs this bench_checksum.c: build the
# older src/ with the current bench/). Each line is one valgrind run of
# `bench_checksum --count N OPERATION CASE` that counts only inside the
# function named (and what it calls), divided by N.
set -eu
build=${1:-build/bench}
baseline=${2:-}
calls=200

for dir in "$build" ${baseline:+"$baseline"}; do
    [ -x "$dir/bench/bench_checksum" ] || {
        echo "bench/instructions.sh: no $dir/bench/bench_checksum; build it first" \
             "(cmake -S . -B $dir -DCMAKE_BUILD_TYPE=RelWithDebInfo && cmake --build $dir)" >&2
        exit 1
    }
done
command -v valgrind >/dev/null || {
    echo "bench/instructions.sh: valgrind is missing (apt-get install valgrind)" >&2
    exit 1
}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# function operation case label (function: names separated by |, for code
# from before a rename: whichever the build has is counted)
cases=(
    "tun_csum_add sum 64 checksum, 64 B"
    "tun_csum_add sum 1500 checksum, 1500 B"
    "tun_csum_add sum 65535 checksum, 65535 B"
    "tun_csum_copy copy 1500 copy+checksum, 1500 B"
    "tun_csum_copy copy 65535 copy+checksum, 65535 B"
    "tun_gso_split split tcp4 GSO split, TCP/IPv4 44 segments"
    "tun_gso_split split tcp6 GSO split, TCP/IPv6 44 segments"
    "tun_gso_split split udp4 GSO split, UDP/IPv4 44 segments"
    "tun_offload_coalesce|tun_gro_coalesce coalesce tcp4 GRO coalesce, TCP/IPv4 44 segments"
    "tun_offload_coalesce|tun_gro_coalesce coalesce tcp6 GRO coalesce, TCP/IPv6 44 segments"
    "tun_offload_coalesce|tun_gro_coalesce coalesce udp4 GRO coalesce, UDP/IPv4 44 segments"
    "tun_offload_coalesce|tun_gro_coalesce coalesce tcp4-shuffled GRO coalesce, TCP/IPv4 44 segments shuffled"
)
# Checksums carried end to end (the flagged calls, partial checksums kept)
# and copy-free segments (the slices calls): compare with the default rows
# above, in the same build.
partial_cases=(
    "tun_offload_split_flagged split-partial tcp4 GSO split keeping partial checksums, TCP/IPv4 44 segments"
    "tun_offload_split_flagged split-partial tcp6 GSO split keeping partial checksums, TCP/IPv6 44 segments"
    "tun_offload_split_flagged split-partial udp4 GSO split keeping partial checksums, UDP/IPv4 44 segments"
    "tun_offload_coalesce_flagged coalesce-partial tcp4 GRO coalesce of partial checksums, TCP/IPv4 44 segments"
    "tun_offload_coalesce_flagged coalesce-partial tcp6 GRO coalesce of partial checksums, TCP/IPv6 44 segments"
    "tun_offload_coalesce_flagged coalesce-partial udp4 GRO coalesce of partial checksums, UDP/IPv4 44 segments"
    "tun_offload_split_slices split-slices tcp4 GSO split copy-free, TCP/IPv4 44 segments"
    "tun_offload_split_slices split-slices-partial tcp4 GSO split copy-free keeping partial checksums, TCP/IPv4 44 segments"
    "tun_offload_split_slices split-slices-partial tcp6 GSO split copy-free keeping partial checksums, TCP/IPv6 44 segments"
    "tun_offload_split_slices split-slices-partial udp4 GSO split copy-free keeping partial checksums, UDP/IPv4 44 segments"
    "tun_offload_coalesce_slices coalesce-slices tcp4 GRO coalesce of copy-free segments, TCP/IPv4 44 segments"
    "tun_offload_coalesce_slices coalesce-slices-partial tcp4 GRO coalesce of copy-free segments with partial checksums, TCP/IPv4 44 segments"
    "tun_offload_coalesce_slices coalesce-slices-partial tcp6 GRO coalesce of copy-free segments with partial checksums, TCP/IPv6 44 segments"
    "tun_offload_coalesce_slices coalesce-slices-partial udp4 GRO coalesce of copy-free segments with partial checksums, UDP/IPv4 44 segments"
    "tun_offload_coalesce_slices coalesce-slices-partial tcp4-shuffled GRO coalesce of copy-free segments with partial checksums, TCP/IPv4 44 segments shuffled"
)

# Instructions per call of one case in one build.
count() {
    local dir=$1 fn=$2 op=$3 arg=$4 out=$work/callgrind.out toggles=() names f
    IFS='|' read -ra names <<<"$fn"
    for f in "${names[@]}"; do toggles+=(--toggle-collect="$f"); done
    valgrind --tool=callgrind --callgrind-out-file="$out" "${toggles[@]}" \
        "$dir/bench/bench_checksum" --count $calls "$op" "$arg" >"$work/log" 2>&1 || {
        echo "bench/instructions.sh: valgrind failed on $fn $op $arg:" >&2
        cat "$work/log" >&2
        exit 1
    }
    # Nothing counted means the function was not found (inlined or
    # renamed in that build): no figure rather than a false one.
    awk -v n=$calls '/^summary:/ && $2 > 0 { printf "%.0f", $2 / n; found = 1 }
                     END { exit !found }' "$out" || {
        echo "bench/instructions.sh: callgrind counted nothing in $fn" \
             "($dir/bench/bench_checksum)" >&2
        exit 1
    }
}

echo "Instructions per call (valgrind --tool=callgrind, $calls calls each)"
echo
if [ -n "$baseline" ]; then
    echo "| operation | $baseline | $build | ratio |"
    echo "|---|---|---|---|"
else
    echo "| operation | instructions |"
    echo "|---|---|"
fi
declare -A now_of before_of # by "operation case"
for c in "${cases[@]}"; do
    read -r fn op arg label <<<"$c"
    now=$(count "$build" "$fn" "$op" "$arg")
    now_of["$op $arg"]=$now
    if [ -n "$baseline" ]; then
        before=$(count "$baseline" "$fn" "$op" "$arg")
        before_of["$op $arg"]=$before
        awk -v l="$label" -v a="$before" -v b="$now" \
            'BEGIN { printf "| %s | %d | %d | %.3f |\n", l, a, b, b / a }'
    else
        echo "| $label | $now |"
    fi
done
for c in "${partial_cases[@]}"; do
    read -r fn op arg label <<<"$c"
    now=$(count "$build" "$fn" "$op" "$arg")
    now_of["$op $arg"]=$now
    # A baseline from before these calls has no figure for them.
    before=""
    [ -n "$baseline" ] && before=$(count "$baseline" "$fn" "$op" "$arg" 2>/dev/null) || before=""
    if [ -n "$before" ]; then
        awk -v l="$label" -v a="$before" -v b="$now" \
            'BEGIN { printf "| %s | %d | %d | %.3f |\n", l, a, b, b / a }'
    elif [ -n "$baseline" ]; then
        echo "| $label | | $now | |"
    else
        echo "| $label | $now |"
    fi
done

# The engine's work per 64 KiB super-packet that a forwarder splits and
# merges again (TCP/IPv4): copy-free with partial checksums against the
# default path (full checksums, segments copied), of the baseline build
# when there is one.
reference=$build
default=$((now_of["split tcp4"] + now_of["coalesce tcp4"]))
if [ -n "$baseline" ]; then
    reference=$baseline
    default=$((before_of["split tcp4"] + before_of["coalesce tcp4"]))
fi
awk -v d=$default \
    -v c=$((now_of["split-slices-partial tcp4"] + now_of["coalesce-slices-partial tcp4"])) \
    -v r="$reference" -v b="$build" 'BEGIN {
    printf "\nSplit + merge of one TCP/IPv4 super-packet: default path (%s) %d, " \
           "copy-free with partial checksums (%s) %d: %.3fx\n", r, d, b, c, c / d }'
