#!/bin/bash
# The benchmark suite in a bad environment: without privilege and without
# /dev/net/tun it stops at once with a message that says what to do; when
# interrupted (Ctrl-C: SIGINT to its process group) in the middle of a run,
# it says so and leaves no process behind (so none of the namespaces it made:
# it never pins one to a file) and no device in the host's namespace.
#
#   TUN_BENCH_FORWARDER=build/bench/forwarder bash tests/integration/test_bench_env.sh
#
# Exit status: 0 passed, 1 failed, 77 skipped (not root, no /dev/net/tun, no
# namespaces, or iperf3/jq missing: scripts/test.sh installs them).
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$(dirname "$here")")
run=$root/bench/run.sh

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
for tool in iperf3 jq ip unshare setpriv perl pgrep; do
    command -v "$tool" >/dev/null || skip "needs '$tool'"
done
unshare --net --mount --pid --fork --kill-child --mount-proc true 2>/dev/null ||
    skip "cannot create network, mount and PID namespaces"
forwarder=${TUN_BENCH_FORWARDER:-}
[ -x "$forwarder" ] || fail "set TUN_BENCH_FORWARDER to the built bench/forwarder"

work=$(mktemp -d)
chmod 755 "$work"
trap 'rm -rf "$work"' EXIT

# expect_refusal NAME PATTERN COMMAND...: exits 1 at once, naming the cause.
expect_refusal() {
    local name=$1 pattern=$2
    shift 2
    timeout 30 "$@" >"$work/out" 2>&1
    local status=$?
    [ "$status" = 1 ] || { cat "$work/out"; fail "$name: exit status $status, not 1"; }
    grep -q "$pattern" "$work/out" || { cat "$work/out"; fail "$name: no '$pattern' in its message"; }
    echo "$name: $(tail -n 1 "$work/out")"
}

expect_refusal "not root" "needs root.*sudo" \
    setpriv --reuid=65534 --regid=65534 --clear-groups \
    bash "$run" --quick --forwarder "$forwarder" --out "$work/r1"

# /dev/net/tun hidden by an empty /dev/net in a mount namespace of its own
# (the host's /dev is not touched).
expect_refusal "no /dev/net/tun" "/dev/net/tun is missing.*modprobe tun" \
    unshare --mount --propagation private sh -c \
    'mount -t tmpfs none /dev/net && exec bash "$0" --quick --forwarder "$1" --out "$2"' \
    "$run" "$forwarder" "$work/r2"

# Interrupted while a mode runs, as Ctrl-C at a terminal would: SIGINT to
# its process group. It runs in a session of its own, so that everything it
# starts is found by session whichever namespace it runs in, and with SIGINT
# at its default (a script's background job starts with it ignored, and
# bash cannot trap a signal ignored at its start): perl (Debian's Essential
# perl-base) sets both up and execs it.
links_before=$(ip -o link | wc -l)
perl -MPOSIX -e 'POSIX::setsid(); $SIG{INT} = "DEFAULT"; exec @ARGV or die "exec: $!"' \
    bash "$run" --modes offload --time 30 --repeat 1 --no-micro \
    --forwarder "$forwarder" --out "$work/r3" >"$work/out" 2>&1 &
leader=$!
for _ in $(seq 300); do
    pgrep -s "$leader" -x forwarder >/dev/null &&
        pgrep -s "$leader" -x iperf3 >/dev/null && break
    sleep 0.1
done
pgrep -s "$leader" -x forwarder >/dev/null || { cat "$work/out"; fail "the forwarder never started"; }
sleep 1
kill -INT -- "-$leader"
# Running, not a zombie waiting for this shell's wait.
alive() {
    local state
    state=$(ps -o stat= -p "$1") && [[ $state != Z* ]]
}
for _ in $(seq 100); do
    alive "$leader" || break
    sleep 0.1
done
alive "$leader" && { kill -KILL -- "-$leader"; fail "still running 10 s after SIGINT"; }
wait "$leader"
status=$?
[ "$status" = 130 ] || { cat "$work/out"; fail "exit status $status after SIGINT, not 130"; }
grep -q "interrupted" "$work/out" || { cat "$work/out"; fail "no word of the interruption"; }
for _ in $(seq 50); do
    pgrep -s "$leader" >/dev/null || break
    sleep 0.1
done
left=$(pgrep -s "$leader" -a)
[ -z "$left" ] || fail "processes survived: $left"
[ "$(ip -o link | wc -l)" = "$links_before" ] || fail "the host's interfaces changed"
echo "interrupted: $(grep interrupted "$work/out")"
echo "refused a bad environment clearly and cleaned up after SIGINT"
