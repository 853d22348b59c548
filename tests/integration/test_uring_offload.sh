#!/bin/bash
# The io_uring path of examples/async/uring_packets.c on an offload device,
# through the engine's public calls (tun_offload_split(),
# tun_offload_coalesce(), tun_offload_write_slices()): bench/uring_vs_epoll
# in its offload modes reflects a UDP_SEGMENT flood for two seconds, in a
# network namespace of its own. Passes when both modes reflect packets and
# the io_uring one wrote merged super-packets, none refused by the kernel.
#
#   TUN_BENCH_FORWARDER=build/bench/forwarder bash tests/integration/test_uring_offload.sh
#
# Exit status: 0 passed, 1 failed, 77 skipped (not root, no /dev/net/tun, no
# namespaces, or built without liburing-dev, which scripts/test.sh installs).
set -u
skip() {
    echo "skipped: $*"
    exit 77
}
fail() {
    echo "FAIL: $*"
    exit 1
}
[ "$(id -u)" = 0 ] || skip "needs root (CAP_NET_ADMIN and namespaces)"
[ -c /dev/net/tun ] || skip "/dev/net/tun is missing (modprobe tun)"
unshare -n true 2>/dev/null || skip "cannot create a network namespace"
bin=$(dirname "${TUN_BENCH_FORWARDER:-.}")/uring_vs_epoll
[ -x "$bin" ] || skip "no $bin (built only with liburing-dev)"

for mode in uring-offload epoll-offload; do
    out=$(timeout -k 5 60 unshare -n sh -c "ip link set lo up && exec $bin $mode 2" 2>&1) ||
        fail "$mode exited with $?: $out"
    echo "$out"
    pps=$(awk -v m="$mode" '$1 == m { print int($2) }' <<<"$out")
    [ "${pps:-0}" -gt 0 ] || fail "$mode reflected no packets"
done
# The last io_uring run's own figures.
out=$(timeout -k 5 60 unshare -n sh -c "ip link set lo up && exec $bin uring-offload 2" 2>&1) ||
    fail "uring-offload exited with $?: $out"
echo "$out"
stats=$(grep '^uring_packets: ' <<<"$out") || fail "no statistics from uring_packets"
read -r written refused super <<<"$(sed -E 's/.* ([0-9]+) written, ([0-9]+) refused, .* ([0-9]+) super-packets/\1 \2 \3/' <<<"$stats")"
[ "$written" -gt 0 ] || fail "nothing written whole: $stats"
[ "$refused" = 0 ] || fail "the kernel refused writes: $stats"
[ "$super" -gt 0 ] || fail "no super-packet was merged: $stats"
echo "passed"
