#!/usr/bin/env bash
# Soak: the forwarder (bench/forwarder.c) joins two network namespaces while
# tests/tools/soak_traffic drives TCP and UDP, IPv4 and IPv6, in both
# directions through it with random sizes and checks every byte, and ping
# sends ICMP (v4 and v6) beside. Every interval it prints the throughput of
# each flow, the errors and the forwarder's resident memory. Fails if a TCP
# byte is lost or damaged, a datagram arrives damaged or out of order, more
# datagrams (UDP and ICMP) are lost than the kernel counted as dropped on the
# two devices (a full queue drops them, as a router does), the forwarder
# fails, or its RSS grows by more than SOAK_RSS_SLACK_KB after the first
# interval.
#
# Usage: scripts/soak.sh [SECONDS]       (default 600: ten minutes)
# Environment: TUN_BUILD_DIR  a build tree with bench/forwarder and
#                             tests/soak_traffic (default build/gcc)
#              SOAK_MODE      forwarder mode (default: offload, the batched
#                             API, when the forwarder has it, else plain)
#              SOAK_INTERVAL  seconds between reports (default 10)
#              SOAK_RSS_SLACK_KB  allowed RSS growth (default 1024)
# Runs in a mount and network namespace of its own (as root): nothing of the
# host's network or /run/netns is touched.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
seconds=${1:-600}
interval=${SOAK_INTERVAL:-10}
slack=${SOAK_RSS_SLACK_KB:-1024}
build=${TUN_BUILD_DIR:-$root/build/gcc}
forwarder=$build/bench/forwarder
traffic=$build/tests/soak_traffic
for f in "$forwarder" "$traffic"; do
  [ -x "$f" ] || { echo "soak: $f is missing: build first (scripts/test.sh --quick)" >&2; exit 2; }
done

if [ -z "${SOAK_INSIDE:-}" ]; then
  exec env SOAK_INSIDE=1 unshare --mount --net bash "$0" "$@"
fi
mount --make-rprivate /
mount -t tmpfs soak /run
ip link set lo up

mode=${SOAK_MODE:-}
if [ -z "$mode" ]; then
  mode=plain
  modes=$("$forwarder" 2>&1 || true) # the usage text lists the modes
  grep -q '^  offload ' <<<"$modes" && mode=offload
fi

work=$(mktemp -d)
fwd=
cleanup() {
  [ -n "$fwd" ] && kill "$fwd" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

for ns in soa sob; do
  ip netns add $ns
  ip -n $ns link set lo up
done
"$forwarder" "$mode" -t $((seconds + 120)) /run/netns/soa 10.77.0.1 \
  /run/netns/sob 10.77.0.2 >"$work/forwarder.out" 2>"$work/forwarder.err" &
fwd=$!
for _ in $(seq 100); do
  grep -q '^ready' "$work/forwarder.out" 2>/dev/null && break
  kill -0 "$fwd" 2>/dev/null || break
  sleep 0.1
done
if ! grep -q '^ready' "$work/forwarder.out"; then
  echo "soak: the forwarder did not start:" >&2
  cat "$work/forwarder.err" >&2
  exit 1
fi
# The forwarder gives each device an IPv4 address and its peer; IPv6 here.
dev_a=$(ip -n soa -o link show type tun | awk -F': ' '{print $2; exit}')
dev_b=$(ip -n sob -o link show type tun | awk -F': ' '{print $2; exit}')
ip -n soa addr add fd77::1/64 dev "$dev_a" nodad
ip -n sob addr add fd77::2/64 dev "$dev_b" nodad
echo "soak: mode $mode, $seconds s, forwarder pid $fwd ($dev_a in soa, $dev_b in sob)"

ip netns exec soa ping -q -i 0.2 -s 1000 -w "$seconds" 10.77.0.2 >"$work/ping4" 2>&1 &
ping4=$!
ip netns exec sob ping -6 -q -i 0.2 -s 200 -w "$seconds" fd77::1 >"$work/ping6" 2>&1 &
ping6=$!

rss() { awk '/^VmRSS/ {print $2}' "/proc/$fwd/status"; }
(
  start=$SECONDS
  while kill -0 "$fwd" 2>/dev/null; do
    sleep "$interval"
    echo "$((SECONDS - start)) $(rss)" >>"$work/rss"
    echo "rss t=$((SECONDS - start))s forwarder=$(rss) KiB"
  done
) &
sampler=$!

status=0
"$traffic" /run/netns/soa 10.77.0.1 fd77::1 /run/netns/sob 10.77.0.2 fd77::2 \
  "$seconds" "$interval" | tee "$work/traffic" || status=1
wait "$ping4" || true
wait "$ping6" || true
rss_end=$(rss)
# What the kernel dropped on the devices (full queues), both directions.
dropped=0
for side in "soa $dev_a" "sob $dev_b"; do
  set -- $side
  for n in $(ip -n "$1" -s -j link show dev "$2" | grep -o '"dropped":[0-9]*' | cut -d: -f2); do
    dropped=$((dropped + n))
  done
done
kill -TERM "$fwd"
fwd_status=0
wait "$fwd" || fwd_status=$?
fwd=
kill "$sampler" 2>/dev/null || true
wait "$sampler" 2>/dev/null || true

echo "forwarder: $(tail -n 1 "$work/forwarder.out")"
if [ "$fwd_status" -ne 0 ]; then
  echo "soak: the forwarder failed ($fwd_status):" >&2
  cat "$work/forwarder.err" >&2
  status=1
fi
lost=$(sed -n 's/^udp_lost=//p' "$work/traffic")
lost=${lost:-0}
echo "udp: $lost datagrams lost"
for p in ping4 ping6; do
  summary=$(grep 'packets transmitted' "$work/$p" || echo "no summary")
  echo "$p: $summary"
  sent=$(echo "$summary" | awk '{print $1}')
  got=$(echo "$summary" | awk '{print $4}')
  if [ -z "$sent" ] || [ -z "$got" ] || [ "$sent" -lt 1 ]; then
    echo "soak: $p did not run" >&2
    status=1
  else
    lost=$((lost + sent - got))
  fi
done
# ping's deadline may cut off one last reply per ping.
echo "datagrams lost: $lost; dropped by the kernel on full device queues: $dropped"
if [ "$lost" -gt $((dropped + 2)) ]; then
  echo "soak: more datagrams lost than the kernel dropped" >&2
  status=1
fi
rss_first=$(head -n 1 "$work/rss" 2>/dev/null | awk '{print $2}')
rss_first=${rss_first:-$rss_end}
echo "forwarder RSS: ${rss_first} KiB after the first interval, ${rss_end} KiB at the end (slack ${slack} KiB)"
if [ $((rss_end - rss_first)) -gt "$slack" ]; then
  echo "soak: the forwarder's RSS grew" >&2
  status=1
fi
[ $status -eq 0 ] && echo "soak: passed" || echo "soak: FAILED"
exit $status
