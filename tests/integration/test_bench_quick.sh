#!/bin/bash
# The benchmark suite's smoke test: `bench/run.sh --quick` runs every
# forwarder mode and reference once for a few seconds and fails if a mode
# carries no traffic in either direction or a process (forwarder, iperf3)
# does not exit cleanly. It sets no timing threshold.
#
#   TUN_BENCH_FORWARDER=build/bench/forwarder bash tests/integration/test_bench_quick.sh
#
# Exit status: 0 passed, 1 failed, 77 skipped (not root, no /dev/net/tun, no
# namespaces, or iperf3/jq missing: scripts/test.sh installs them).
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$(dirname "$here")")

skip() {
    echo "skipped: $*"
    exit 77
}
[ "$(id -u)" = 0 ] || skip "needs root (CAP_NET_ADMIN and namespaces)"
[ -c /dev/net/tun ] || skip "/dev/net/tun is missing (modprobe tun)"
for tool in iperf3 jq ip nsenter unshare; do
    command -v "$tool" >/dev/null || skip "needs '$tool' (apt-get install iperf3 jq)"
done
unshare --net --mount --pid --fork --kill-child --mount-proc true 2>/dev/null ||
    skip "cannot create network, mount and PID namespaces"
forwarder=${TUN_BENCH_FORWARDER:-}
[ -x "$forwarder" ] || { echo "error: set TUN_BENCH_FORWARDER to the built bench/forwarder"; exit 1; }

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
bash "$root/bench/run.sh" --quick --forwarder "$forwarder" --out "$out"
status=$?
[ "$status" = 0 ] || { echo "FAIL: bench/run.sh --quick exited with $status"; exit 1; }

# Every mode the suite knows ran once and was ok, and the outputs exist.
modes=$(bash "$root/bench/run.sh" --list | awk '{ print $1 }')
for m in $modes; do
    row=$(awk -F, -v m="$m" '$1 == m' "$out/runs.csv")
    [ -n "$row" ] || { echo "FAIL: mode $m did not run"; exit 1; }
    [ "$(echo "$row" | cut -d, -f8)" = ok ] || { echo "FAIL: $m: $row"; exit 1; }
done
for f in results.md results.csv results.json; do
    [ -s "$out/$f" ] || { echo "FAIL: no $f"; exit 1; }
done
jq -e '.summary | length > 0' "$out/results.json" >/dev/null ||
    { echo "FAIL: results.json has no summary"; exit 1; }
echo "every mode carried traffic and exited cleanly"
