#!/bin/bash
# libtun demo: build the library and its examples, then ping IPv4 and IPv6
# addresses through a TUN device whose packets are answered by the
# icmp_responder example, all inside a throwaway network namespace.
#
#   sudo scripts/demo.sh
#
# Installs what is missing with apt-get (Debian/Ubuntu), builds in build/
# (or $TUN_BUILD_DIR), and leaves nothing behind: the namespace (and with it the device) is
# deleted on every exit, Ctrl-C included. The host's network namespace is
# never changed.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=${TUN_BUILD_DIR:-$root/build}
ns=libtun-demo-$$-$RANDOM
responder_pid=
log=

say() { printf '\n== %s\n' "$*"; }

if [ "$EUID" -ne 0 ]; then
    echo "run as root: creating network namespaces and TUN devices needs it" >&2
    echo "  sudo $0" >&2
    exit 1
fi

# ---- tools -------------------------------------------------------------------
missing=()
for pair in cmake:cmake cc:gcc make:make pkg-config:pkg-config ip:iproute2 \
            ping:iputils-ping; do
    command -v "${pair%%:*}" >/dev/null || missing+=("${pair#*:}")
done
# The build also configures the tests, which need cmocka.
if ! command -v pkg-config >/dev/null || ! pkg-config --exists cmocka; then
    missing+=(libcmocka-dev)
fi
if [ ${#missing[@]} -gt 0 ]; then
    say "installing ${missing[*]}"
    command -v apt-get >/dev/null || {
        echo "apt-get not found: install ${missing[*]} yourself" >&2
        exit 1
    }
    # Waits up to 10 minutes for another program's apt or dpkg lock.
    . "$root/scripts/apt.sh"
    apt_get update
    apt_get install -y "${missing[@]}"
fi
if [ ! -c /dev/net/tun ]; then
    modprobe tun 2>/dev/null || true
    [ -c /dev/net/tun ] || { echo "/dev/net/tun is missing (modprobe tun)" >&2; exit 1; }
fi

# ---- build -------------------------------------------------------------------
say "building libtun and the examples in $build"
cmake -S "$root" -B "$build" >/dev/null
cmake --build "$build" -j"$(nproc)" --target icmp_responder >/dev/null
responder=$build/examples/icmp_responder

# ---- namespace ------------------------------------------------------------------
cleanup() {
    if [ -n "$responder_pid" ] && kill -0 "$responder_pid" 2>/dev/null; then
        kill -TERM "$responder_pid" 2>/dev/null || true
        wait "$responder_pid" 2>/dev/null || true
    fi
    ip netns del "$ns" 2>/dev/null || true
    [ -n "$log" ] && rm -f "$log"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

say "creating network namespace $ns"
ip netns add "$ns"
in_ns() { ip netns exec "$ns" "$@"; }
in_ns ip link set lo up

log=$(mktemp)
# Started directly (not through the in_ns function, which would fork a
# subshell) so that $! is the responder itself: `ip netns exec` execs it.
ip netns exec "$ns" "$responder" -n tun0 -4 10.0.0.1/24 -6 fd00::1/64 -t 120 \
    >"$log" 2>&1 &
responder_pid=$!
for _ in $(seq 100); do
    grep -q 'answering' "$log" && break
    kill -0 "$responder_pid" 2>/dev/null || break
    sleep 0.1
done
if ! grep -q 'answering' "$log"; then
    echo "icmp_responder did not start:" >&2
    cat "$log" >&2
    exit 1
fi
say "TUN device inside the namespace"
in_ns ip addr show dev tun0 | sed 's/^/    /'

# ---- ping ----------------------------------------------------------------------
failures=0
# ping addr label: three pings through the device, one summary line.
ping_through() {
    local addr=$1 label=$2 out received rtt
    out=$(in_ns ping -n -c 3 -i 0.2 -W 2 -w 10 "$addr" 2>&1) || true
    received=$(echo "$out" | sed -n 's/.* \([0-9]*\) received.*/\1/p')
    rtt=$(echo "$out" | sed -n 's/^rtt min\/avg\/max\/mdev = \([^/]*\)\/\([^/]*\)\/\([^/]*\)\/.*/min \1, avg \2, max \3/p')
    printf '%s ping through libtun (%s): %s/3 replies%s\n' "$label" "$addr" \
        "${received:-0}" "${rtt:+, rtt $rtt}"
    [ "${received:-0}" = 3 ] || failures=$((failures + 1))
}
say "pinging addresses behind the TUN device"
ping_through 10.0.0.2 IPv4
ping_through fd00::2 IPv6

kill -TERM "$responder_pid"
wait "$responder_pid" || true
responder_pid=
say "what icmp_responder saw"
sed 's/^/    /' "$log"

say "cleaning up"
cleanup
trap - EXIT
echo "namespace $ns deleted; the host's network was not touched"
if [ "$failures" -ne 0 ]; then
    echo "demo FAILED: $failures ping run(s) not fully answered" >&2
    exit 1
fi
echo "demo OK"
