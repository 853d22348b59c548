#!/bin/bash
# io_uring against epoll for TUN packet I/O: the reflector of
# bench/uring_vs_epoll.c in each mode, alternately, ROUNDS times, each run in
# a network namespace of its own (unshare -n). Prints every run and the
# median per mode, and the ratios io_uring/epoll. Needs root.
#   bash bench/uring_vs_epoll.sh [BUILD_DIR] [SECONDS] [ROUNDS] [offload]
# With "offload", the device has offload and the modes are epoll-offload
# (tun_recv_multiple/tun_send_multiple) and uring-offload (uring_packets
# cutting and merging with the engine's public calls), fed by a UDP_SEGMENT
# flood of 44 x 1400-byte datagrams per send.
set -eu
build=${1:-build/gcc}
seconds=${2:-3}
rounds=${3:-3}
suffix=${4:+-$4}
[ -z "${4:-}" ] || [ "$4" = offload ] || { echo "usage: $0 [BUILD_DIR] [SECONDS] [ROUNDS] [offload]"; exit 2; }
bin=$build/bench/uring_vs_epoll
[ -x "$bin" ] || { echo "build $bin first (needs liburing-dev)"; exit 1; }
results=$(mktemp)
trap 'rm -f "$results"' EXIT
for round in $(seq "$rounds"); do
    for mode in epoll$suffix uring$suffix; do
        unshare -n sh -c "ip link set lo up && exec $bin $mode $seconds" |
            tee -a "$results"
    done
done
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
echo "median of $rounds runs of ${seconds}s:"
for mode in epoll uring; do
    pps=$(awk -v m=$mode$suffix '$1 == m { print $2 }' "$results" | median)
    cpu=$(awk -v m=$mode$suffix '$1 == m { print $6 }' "$results" | median)
    printf '%-13s %10s packets/s %8s CPU s per million packets\n' "$mode$suffix" "$pps" "$cpu"
    eval "${mode}_pps=$pps ${mode}_cpu=$cpu"
done
awk -v a="$uring_pps" -v b="$epoll_pps" -v c="$uring_cpu" -v d="$epoll_cpu" \
    'BEGIN { printf "io_uring/epoll: packets/s x%.2f, CPU per packet x%.2f\n", a / b, c / d }'
