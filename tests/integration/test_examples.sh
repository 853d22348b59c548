#!/bin/bash
# End-to-end tests of the example programs, checked against the kernel's own
# view (`ip -j`, ping). Each case runs in a network namespace of its own
# (`unshare -n`), which disappears with the case: the host's network is never
# touched, and a crashed case leaves no interface behind.
#
#   TUN_EXAMPLES_DIR=build/examples bash tests/integration/test_examples.sh
#   TUN_EXAMPLES_DIR=build/examples bash tests/integration/test_examples.sh \
#       tap_responder adopt_fd          # only these cases
#
# Exit status: 0 all passed, 1 a case failed, 77 skipped (not root, no
# /dev/net/tun, no namespaces, or a tool missing), as ctest expects.
set -u

CASES=(icmp_responder tap_responder multi_address device_info adopt_fd
       interruptible_reader read_timeout async_epoll async_uv async_event
       async_uring async_uring_batched forward_epoll forward_uv forward_event
       forward_uring command_line link_events)
CASE_TIMEOUT=60 # seconds; every wait inside a case is shorter
# The forwarder cases set up two namespaces twice and copy and hash 3 x 16
# MiB each time. Built with ASan, on the 2-CPU machine with a dozen busy
# processes beside them, forward_epoll took 65 s and forward_uring 42 s (7 s
# each when idle), the time spread over setup (ip, nsenter), hashing and
# copying alike and the forwarders' counts those of a quick run: slow, not
# stuck. The one time forward_uring failed, on a loaded machine, it most
# likely ran out of the 60 s this way.
FORWARD_TIMEOUT=180

skip() {
    echo "skipped: $*"
    exit 77
}

# ---- helpers used inside a case ---------------------------------------------

fail() {
    echo "FAIL: $*" >&2
    exit 1
}

# Run an example in the background, its output (stdout and stderr) to a
# file. Sets PID. The file is emptied here, not only by the background
# child's redirection: a wait_for_line right after must not find the line
# of an earlier run that used the same file.
start() {
    local out=$1
    shift
    : >"$out"
    "$EX/$1" "${@:2}" >"$out" 2>&1 &
    PID=$!
    BACKGROUND+=("$PID")
}

# Wait until file has a line matching the extended regex, at most seconds.
wait_for_line() {
    local file=$1 regex=$2 seconds=$3
    local tries=$((seconds * 20))
    while ! grep -qE -- "$regex" "$file"; do
        tries=$((tries - 1))
        if [ "$tries" -le 0 ]; then
            cat "$file" >&2
            fail "no line matching '$regex' within ${seconds}s"
        fi
        sleep 0.05
    done
}

# Wait until process pid exits, at most ms milliseconds; its exit status in
# STATUS.
wait_exit_ms() {
    local pid=$1 ms=$2
    local tries=$((ms / 10))
    while kill -0 "$pid" 2>/dev/null; do
        tries=$((tries - 1))
        [ "$tries" -le 0 ] && fail "process $pid still running after ${ms} ms"
        sleep 0.01
    done
    wait "$pid"
    STATUS=$?
}

# ping count times; fail unless every ping was answered. Prints the summary.
ping_all() {
    local addr=$1 count=$2 result
    result=$(ping -n -c "$count" -i 0.2 -W 2 -w 15 "$addr" 2>&1)
    echo "$result" | tail -n 2
    echo "$result" | grep -q " $count received" ||
        fail "ping $addr: not all $count answered"
}

# The addresses of a device as libtun formats them, one a line, sorted.
ip_addresses() {
    ip -j addr show dev "$1" | jq -r '.[0].addr_info[] |
        "\(.local)/\(.prefixlen)" + (if .address then " peer \(.address)"
                                     else "" end)' | sort
}

# The addresses an example printed ("    inet 10.0.0.1/24"), sorted.
printed_addresses() {
    sed -n 's/^    inet6\{0,1\} //p' | sort
}

# Compare two sorted lists; fail showing both if they differ.
same_list() {
    local what=$1 expected=$2 got=$3
    [ "$expected" = "$got" ] ||
        fail "$what differ: ip says [$(echo "$expected" | tr '\n' ' ')]," \
            "the example printed [$(echo "$got" | tr '\n' ' ')]"
}

# ---- the cases ---------------------------------------------------------------

# Pings to other addresses of the subnets, v4 and v6, all answered; the
# responder stops by itself after --count answers.
case_icmp_responder() {
    start "$OUT" icmp_responder -n tunr -c 6 -t 30
    wait_for_line "$OUT" '^tunr: answering' 5
    ping_all 10.0.0.2 3
    ping_all fd00::2 3
    wait_exit_ms "$PID" 10000
    [ "$STATUS" = 0 ] || fail "icmp_responder exited with $STATUS"
    [ "$(grep -c '^answered IPv4 10.0.0.1 -> 10.0.0.2 ICMP echo request' "$OUT")" = 3 ] ||
        fail "icmp_responder did not report 3 IPv4 answers"
    [ "$(grep -c '^answered IPv6 fd00::1 -> fd00::2 ICMPv6 echo request' "$OUT")" = 3 ] ||
        fail "icmp_responder did not report 3 IPv6 answers"
    grep -q '^answered 6 pings$' "$OUT" || fail "no final count"
}

# The virtual host behind the TAP: ARP and neighbour discovery resolve its
# MAC (checked in the kernel's neighbour table), pings are answered, and
# SIGINT ends the responder cleanly.
case_tap_responder() {
    local mac=02:00:00:aa:bb:cc
    start "$OUT" tap_responder -n tapr -M "$mac" -t 40
    wait_for_line "$OUT" '^tapr: host' 5
    # Until duplicate address detection ends, fd00:1::1 cannot send.
    local tries=100
    while [ "$(ip -j -6 addr show dev tapr |
               jq '[.[0].addr_info[] | select(.tentative)] | length')" != 0 ]; do
        tries=$((tries - 1))
        [ "$tries" -le 0 ] && fail "IPv6 addresses of tapr stay tentative"
        sleep 0.1
    done

    ping_all 10.0.1.2 3
    local lladdr
    lladdr=$(ip -j neigh show dev tapr to 10.0.1.2 | jq -r '.[0].lladdr // empty')
    [ "$lladdr" = "$mac" ] || fail "ARP: 10.0.1.2 is at '$lladdr', want $mac"
    ping_all fd00:1::2 3
    lladdr=$(ip -j neigh show dev tapr to fd00:1::2 | jq -r '.[0].lladdr // empty')
    [ "$lladdr" = "$mac" ] || fail "ND: fd00:1::2 is at '$lladdr', want $mac"

    kill -INT "$PID"
    wait_exit_ms "$PID" 10000
    [ "$STATUS" = 0 ] || fail "tap_responder exited with $STATUS after SIGINT"
    grep -q '^answered ARP who-has 10.0.1.2 tell 10.0.1.1$' "$OUT" ||
        fail "no ARP answer reported"
    grep -q '^answered IPv6 .* ICMPv6 neighbour solicitation' "$OUT" ||
        fail "no neighbour advertisement reported"
    grep -q '^answered 6 pings$' "$OUT" || fail "no final count of 6 pings"
}

# Read one listing of multi_address from its output, up to the prompt.
read_listing() {
    local line
    LISTING=
    while IFS= read -r -t 10 line <&"${MA[0]}"; do
        [ "$line" = "press Enter to continue" ] && return 0
        LISTING+="$line"$'\n'
    done
    fail "multi_address: no complete listing; got: $LISTING"
}

# The listing after each step equals `ip -j addr`, and holds what the step
# did: addresses given at open, added at run time (one with a peer),
# removed.
case_multi_address() {
    coproc MA { exec "$EX/multi_address" -n tunm -s \
        -o 10.0.0.1/24 -o 10.0.2.1/24 -o fd00::1/64 -o fd00:2::1/64 \
        -a 10.1.0.1/16 -a "192.168.7.1/32 peer 192.168.7.2" -a fd00:1::1/64 \
        -r 10.0.2.1 -r fd00:2::1 2>&1; }
    BACKGROUND+=("$MA_PID")
    local pid=$MA_PID step printed
    for step in "after open" "after adding" "after removing"; do
        read_listing
        echo "$LISTING"
        echo "$LISTING" | grep -q "^tunm: [0-9]* address.* $step\$" ||
            fail "no '$step' header"
        printed=$(echo "$LISTING" | printed_addresses)
        same_list "addresses $step" "$(ip_addresses tunm)" "$printed"
        case $step in
        "after open") local want=(10.0.0.1/24 10.0.2.1/24 fd00::1/64
                                  fd00:2::1/64) ;;
        "after adding") local want=(10.1.0.1/16 "192.168.7.1/32 peer 192.168.7.2"
                                    fd00:1::1/64 10.0.2.1/24) ;;
        "after removing") local want=(10.0.0.1/24 10.1.0.1/16 fd00::1/64) ;;
        esac
        local a
        for a in "${want[@]}"; do
            echo "$printed" | grep -qxF "$a" || fail "$a missing $step"
        done
        echo >&"${MA[1]}"
    done
    echo "$printed" | grep -qE '^(10\.0\.2\.1|fd00:2::1)/' &&
        fail "removed addresses still listed"
    wait_exit_ms "$pid" 2000
    [ "$STATUS" = 0 ] || fail "multi_address exited with $STATUS"
}

# Check a device_info listing (file) against `ip -j` for device name.
check_device_info() {
    local file=$1 name=$2 link first
    link=$(ip -j link show dev "$name")
    first=$(head -n 1 "$file")
    local index mtu up
    index=$(echo "$link" | jq '.[0].ifindex')
    mtu=$(echo "$link" | jq '.[0].mtu')
    up=$(echo "$link" | jq -r 'if any(.[0].flags[]; . == "UP") then "UP" else "DOWN" end')
    local re="^$index: $name: <(TUN|TAP),$up> mtu $mtu\$"
    [[ $first =~ $re ]] ||
        fail "first line '$first' disagrees with ip: index $index, $up, mtu $mtu"
    if [ "$(echo "$link" | jq -r '.[0].link_type')" = ether ]; then
        grep -qx "    link/ether $(echo "$link" | jq -r '.[0].address')" "$file" ||
            fail "MAC differs from ip's"
    else
        grep -qx "    link/none" "$file" || fail "no link/none for a TUN"
    fi
    same_list "addresses of $name" "$(ip_addresses "$name")" \
        "$(printed_addresses <"$file")"
}

# A TAP with MAC, MTU and addresses, and a TUN left down with a peer
# address and multi-queue: both printed as ip sees them.
case_device_info() {
    start "$OUT" device_info --tap -n tapi -a 10.7.0.1/24 -a fd07::1/64 \
        -m 1400 -M 02:11:22:33:44:55 -w -t 30
    wait_for_line "$OUT" '^keeping the device' 5
    cat "$OUT"
    check_device_info "$OUT" tapi
    grep -q '^[0-9]*: tapi: <TAP,UP> mtu 1400$' "$OUT" || fail "TAP line"
    grep -qx '    link/ether 02:11:22:33:44:55' "$OUT" || fail "MAC not set"
    grep -qx '    libtun flags: L2' "$OUT" || fail "libtun flags of the TAP"
    kill -INT "$PID"
    wait_exit_ms "$PID" 10000
    [ "$STATUS" = 0 ] || fail "device_info exited with $STATUS after SIGINT"

    local out2=$OUT.tun
    start "$out2" device_info -n tuni -d -q -m 1280 \
        -a "10.8.0.1/32 peer 10.8.0.2" -a fd08::1/64 -w -t 30
    wait_for_line "$out2" '^keeping the device' 5
    cat "$out2"
    check_device_info "$out2" tuni
    grep -q '^[0-9]*: tuni: <TUN,DOWN> mtu 1280$' "$out2" || fail "TUN line"
    grep -qx '    inet 10.8.0.1/32 peer 10.8.0.2' "$out2" || fail "peer address"
    grep -qx '    libtun flags: MULTI_QUEUE' "$out2" || fail "libtun flags of the TUN"
    kill -TERM "$PID"
    wait_exit_ms "$PID" 10000
    [ "$STATUS" = 0 ] || fail "device_info exited with $STATUS after SIGTERM"
}

# The flags adopt_fd printed on its line "how: name=... flags=0x..".
adopt_flags() {
    sed -n "s/^$1: name=$2 layer=[A-Z]* flags=\(0x[0-9a-f]*\) .*/\1/p" "$3"
}

# Run adopt_fd; the layer, packet information and multi-queue bits must be
# those the fd was attached with, BORROWED only when borrowed.
check_adopt() {
    local name=$1 bits=$2
    shift 2
    "$EX/adopt_fd" -n "$name" "$@" >"$OUT" 2>&1
    STATUS=$?
    cat "$OUT"
    [ "$STATUS" = 0 ] || fail "adopt_fd $* exited with $STATUS"
    local how flags want
    local mask=$((0x01 | 0x02 | 0x04 | 0x100)) # L2 MULTI_QUEUE PACKET_INFO BORROWED
    for how in borrowed received owned; do
        flags=$(adopt_flags "$how" "$name" "$OUT")
        [ -n "$flags" ] || fail "no '$how' line naming $name"
        want=$bits
        [ "$how" = borrowed ] && want=$((want | 0x100))
        [ $((flags & mask)) = $((want)) ] ||
            fail "$how: flags $flags, want $(printf 0x%x "$want") in mask 0x107"
    done
    # TUN_FD_RAW: nothing is asked of the fd, so plain L3 is assumed.
    flags=$(sed -n 's/^raw: .* flags=\(0x[0-9a-f]*\) .*/\1/p' "$OUT")
    [ -n "$flags" ] && [ "$((flags & mask))" = $((0x100)) ] ||
        fail "raw: flags '$flags', want 0x100"
    grep -qE '^borrowed: fd [0-9]+ still open after tun_close\(\)$' "$OUT" ||
        fail "borrowed fd was not left open"
    grep -qE '^owned: fd [0-9]+ closed after tun_close\(\)$' "$OUT" ||
        fail "owned fd was not closed"
    grep -qE '^child: received fd [0-9]+ over a Unix socket$' "$OUT" ||
        fail "no descriptor passed"
}

case_adopt_fd() {
    check_adopt tuna 0
    check_adopt tapa $((0x01 | 0x02 | 0x04)) --tap --packet-info --multi-queue
    check_adopt tunq $((0x02)) --multi-queue
}

# SIGINT to a reader blocked in tun_read(): exits 0 within 1 s, and reports
# the reader's TUN_ECANCELED and a shutdown under 100 ms.
case_interruptible_reader() {
    start "$OUT" interruptible_reader -n tuni -t 30
    wait_for_line "$OUT" '^reader: waiting in tun_read\(\)' 5
    ping -n -c 1 -W 1 10.0.0.2 >/dev/null # no one answers; the reader sees it
    wait_for_line "$OUT" '^reader: IPv4 10\.0\.0\.1 -> 10\.0\.0\.2 ICMP echo request' 5
    sleep 0.2 # back in tun_read()
    kill -INT "$PID"
    wait_exit_ms "$PID" 10000
    cat "$OUT"
    [ "$STATUS" = 0 ] || fail "interruptible_reader exited with $STATUS"
    grep -q '^reader: tun_read() returned TUN_ECANCELED' "$OUT" ||
        fail "the reader did not see TUN_ECANCELED"
    # The promise is about the reader: it returns within 100 ms. Closing
    # the device waits for the kernel to unregister it, which takes longer
    # on a busy machine, so the whole shutdown gets a looser bound.
    local join_ms total_ms
    join_ms=$(sed -n 's/^main: SIGINT: reader joined after \([0-9.]*\) ms.*/\1/p' "$OUT")
    total_ms=$(sed -n 's/^main: SIGINT: .*shutdown took \([0-9.]*\) ms$/\1/p' "$OUT")
    [ -n "$join_ms" ] && [ -n "$total_ms" ] || fail "no shutdown times reported"
    awk -v ms="$join_ms" 'BEGIN { exit !(ms < 100) }' ||
        fail "the reader returned after $join_ms ms, over 100 ms"
    awk -v ms="$total_ms" 'BEGIN { exit !(ms < 2000) }' ||
        fail "shutdown took $total_ms ms, over 2 s"
}

# Timeouts every 100 ms while nothing arrives, a packet printed when one
# does, and the run ends by itself at --timeout.
case_read_timeout() {
    local t0=$SECONDS
    start "$OUT" read_timeout -n tunt -i 100 -t 2
    wait_for_line "$OUT" '^tunt: reading, at most 100 ms per wait$' 5
    ping -n -c 1 -W 1 10.0.0.2 >/dev/null
    wait_exit_ms "$PID" 10000
    cat "$OUT"
    [ "$STATUS" = 0 ] || fail "read_timeout exited with $STATUS"
    # Bounded, not timed: a loaded machine may stretch the 2 s.
    [ $((SECONDS - t0)) -le 10 ] || fail "read_timeout ran far past its 2 s"
    local timeouts
    timeouts=$(grep -c '^timeout: no packet in 100 ms$' "$OUT")
    [ "$timeouts" -ge 5 ] || fail "only $timeouts timeouts in 2 s"
    grep -q '^packet: IPv4 10\.0\.0\.1 -> 10\.0\.0\.2 ICMP echo request' "$OUT" ||
        fail "the ping was not read"
    grep -qE "^[0-9]+ packets?, $timeouts timeouts?$" "$OUT" ||
        fail "summary disagrees with the $timeouts timeouts printed"
}

# Changes made with ip, as from another shell, each printed as an event;
# the example ends by itself when the device is deleted.
case_link_events() {
    start "$OUT" link_events evt0 10.9.0.1/24 20
    wait_for_line "$OUT" '^ready$' 5
    grep -q '^route: 10\.9\.0\.0/24$' "$OUT" || fail "the subnet route is not listed"
    grep -q '^stats: rx 0 packets' "$OUT" || fail "no counters printed"
    ip link set dev evt0 mtu 1400
    wait_for_line "$OUT" '^event: mtu 1400$' 5
    ip addr add 10.9.1.1/24 dev evt0
    wait_for_line "$OUT" '^event: address added 10\.9\.1\.1/24$' 5
    ip link set dev evt0 down
    wait_for_line "$OUT" '^event: down$' 5
    ip link set dev evt0 name evt9
    wait_for_line "$OUT" '^event: renamed to evt9$' 5
    ip link del dev evt9
    wait_for_line "$OUT" '^event: deleted$' 5
    wait_exit_ms "$PID" 5000
    cat "$OUT"
    [ "$STATUS" = 0 ] || fail "link_events exited with $STATUS"
}

# A flood of 500 pings to addr, every one answered once.
ping_flood() {
    local result
    result=$(ping -n -f -c 500 -W 1 -w 15 "$1" 2>&1)
    echo "$result" | tail -n 2
    echo "$result" | grep -q " 500 received, 0% packet loss" ||
        fail "ping -f $1: not all 500 answered"
    echo "$result" | grep -q duplicates && fail "ping -f $1: duplicates"
}

# Preload the stand-in for a full queue (tests/preload/refuse_writes.c) into
# the next start: every second packet write is refused at first.
refuse_writes() {
    local lib=$TUN_TESTS_DIR/libtun_refuse_writes.so
    [ -f "$lib" ] || fail "$lib is missing"
    # It is loaded ahead of the sanitizer runtime in the ASan build.
    export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0
    export LD_PRELOAD=$lib TUN_REFUSE_EVERY=2
}

# The responder inside one event loop (examples/async, built when the loop's
# library is installed): pings one by one and floods of 500, IPv4 and IPv6,
# all answered once, also while the queue refuses every second reply at
# first (unless runs, the second argument, says only "plain"); SIGTERM
# stops it within 5 s, the device is gone and the program had as many
# descriptors and threads open as before it started.
async_responder() {
    local bin=async_responder_$1 runs=${2:-plain refusing} run
    [ -x "$EX/$bin" ] || skip "$bin was not built (its loop library is missing)"
    sysctl -qw net.ipv6.conf.default.accept_dad=0 # fd00::1 usable at once
    for run in $runs; do
        echo "-- $bin, $run queue"
        [ $run = refusing ] && refuse_writes
        start "$OUT" "$bin" -n tuna -t 50
        unset LD_PRELOAD TUN_REFUSE_EVERY
        wait_for_line "$OUT" "^tuna: answering ping " 5
        ping_all 10.0.0.2 3
        ping_all fd00::2 3
        ping_flood 10.0.0.3
        ping_flood fd00::3
        kill -TERM "$PID"
        wait_exit_ms "$PID" 5000
        cat "$OUT"
        [ "$STATUS" = 0 ] || fail "$bin exited with $STATUS after SIGTERM"
        local waits
        waits=$(sed -n 's/^answered 1006 pings (IPv4 503, IPv6 503); waited for room \([0-9]*\) times$/\1/p' "$OUT")
        [ -n "$waits" ] || fail "not every ping counted"
        if [ $run = refusing ]; then
            [ "$waits" -ge 500 ] || fail "only $waits refused replies"
        fi
        ip link show dev tuna >/dev/null 2>&1 && fail "tuna is still there"
        grep -qE '^shutdown: stopped by SIGTERM; .* as before start$' "$OUT" ||
            fail "$bin left descriptors or threads open"
    done
}

case_async_epoll() { async_responder epoll; }
case_async_uv() { async_responder uv; }
case_async_event() { async_responder event; }
case_async_uring() { async_responder uring; }
# The batched io_uring path (uring_packets.c): its writes go through the
# ring, out of reach of the preloaded refusal, so the queue stays plain.
case_async_uring_batched() { async_responder uring_batched plain; }

# Move device dev into a namespace of its own (a holder process, whose pid
# is left in NS) with addresses net4.1/24 and net6::1/64, routes to the
# other side's subnets other4.0/24 and other6::/64, and bring it up.
end_namespace() {
    local dev=$1 net4=$2 net6=$3 other4=$4 other6=$5
    unshare -n sleep 300 &
    NS=$!
    BACKGROUND+=("$NS")
    local tries=100
    while [ "$(readlink /proc/$NS/ns/net)" = "$(readlink /proc/self/ns/net)" ]; do
        tries=$((tries - 1))
        [ "$tries" -le 0 ] && fail "no namespace for $dev"
        sleep 0.01
    done
    ip link set "$dev" netns "$NS" || fail "cannot move $dev"
    nsenter -t "$NS" -n sh -ec "
        ip link set lo up
        sysctl -qw net.ipv6.conf.$dev.accept_dad=0
        ip addr add $net4.1/24 dev $dev
        ip addr add $net6::1/64 dev $dev
        ip link set $dev up
        ip route add $other4.0/24 dev $dev
        ip route add $other6::/64 dev $dev" || fail "cannot set up $dev"
}

# Copy file $DATA over TCP from namespace pid from to namespace pid to
# (socat addresses listen and connect) and compare the SHA-256 of what
# arrived with $DATA's, DATA_SUM.
tcp_copy() {
    local from=$1 to=$2 listen=$3 connect=$4 received=$OUT.received
    nsenter -t "$to" -n timeout 30 socat -u "$listen,reuseaddr" \
        "OPEN:$received,creat,trunc" &
    local server=$!
    nsenter -t "$from" -n timeout 30 socat -u "OPEN:$DATA" \
        "$connect,retry=100,interval=0.05" || fail "sending to $connect failed"
    wait "$server" || fail "receiving on $listen failed"
    [ "$(sha256sum <"$received")" = "$DATA_SUM" ] ||
        fail "the data sent to $connect arrived changed"
}

# Check a lane's line "a->b: P packets in R reads (L lost), S sent, F
# refused, D dropped, L left; waited for room W times": every packet was
# read whole and sent once, but for a few the kernel sent before the far
# side was up (dropped). Sets PACKETS, READS and WAITS.
check_lane() {
    local lane=$1 line
    line=$(grep "^$lane: " "$OUT") || fail "no line for $lane"
    read -r PACKETS READS lost sent refused dropped left WAITS < <(echo "$line" |
        sed 's/^[a-b>-]*: \([0-9]*\) packets in \([0-9]*\) reads (\([0-9]*\) lost), \([0-9]*\) sent, \([0-9]*\) refused, \([0-9]*\) dropped, \([0-9]*\) left; waited for room \([0-9]*\) times$/\1 \2 \3 \4 \5 \6 \7 \8/')
    [ -n "$WAITS" ] || fail "unreadable: $line"
    [ "$lost" = 0 ] && [ "$refused" = 0 ] && [ "$left" = 0 ] &&
        [ "$dropped" -le 20 ] && [ $((sent + dropped)) = "$PACKETS" ] ||
        fail "$lane lost or added packets: $line"
}

# The offload forwarder inside one event loop between two namespaces: 16 MiB
# over TCP/IPv4 and TCP/IPv6 one way and TCP/IPv4 the other arrive intact;
# the forwarder read super-packets, lost none and wrote every packet it read
# once; the same while the queues refuse every second write at first, so
# that batches go out in parts and resume where they stopped; SIGTERM stops
# it within 5 s, leaving nothing open.
async_forwarder() {
    local bin=async_forwarder_$1 run
    [ -x "$EX/$bin" ] || skip "$bin was not built (its loop library is missing)"
    command -v socat >/dev/null || fail "socat is missing (apt-get install socat)"
    DATA=$OUT.data
    head -c $((16 * 1024 * 1024)) /dev/urandom >"$DATA"
    DATA_SUM=$(sha256sum <"$DATA")
    for run in plain refusing; do
        echo "-- $bin, $run queues"
        [ $run = refusing ] && refuse_writes
        start "$OUT" "$bin" -a fwa -b fwb -t 50
        unset LD_PRELOAD TUN_REFUSE_EVERY
        wait_for_line "$OUT" '^forwarding between fwa and fwb' 5
        end_namespace fwa 10.30.0 fd30 10.31.0 fd31
        local a=$NS
        end_namespace fwb 10.31.0 fd31 10.30.0 fd30
        local b=$NS
        tcp_copy "$a" "$b" TCP4-LISTEN:5001 TCP4:10.31.0.1:5001
        tcp_copy "$a" "$b" TCP6-LISTEN:5002 "TCP6:[fd31::1]:5002"
        tcp_copy "$b" "$a" TCP4-LISTEN:5003 TCP4:10.30.0.1:5003

        kill -TERM "$PID"
        wait_exit_ms "$PID" 5000
        cat "$OUT"
        [ "$STATUS" = 0 ] || fail "$bin exited with $STATUS after SIGTERM"
        check_lane 'a->b'
        [ $((PACKETS / READS)) -ge 2 ] || fail "no super-packets were split"
        local waits=$WAITS
        check_lane 'b->a'
        if [ $run = refusing ]; then
            [ $((waits + WAITS)) -ge 100 ] || fail "the queues hardly refused"
        fi
        grep -qE '^shutdown: stopped by SIGTERM; .* as before start$' "$OUT" ||
            fail "$bin left descriptors or threads open"
        kill "$a" "$b"
    done
}

case_forward_epoll() { async_forwarder epoll; }
case_forward_uv() { async_forwarder uv; }
case_forward_event() { async_forwarder event; }
case_forward_uring() { async_forwarder uring; }

# Every example's --help explains each flag of its synopsis; a stray
# argument or an unknown option is named; the exit statuses agree: 2 for a
# usage error (found before anything is opened), 1 for a run-time failure.
case_command_line() {
    local ex flag help out
    for ex in icmp_responder tap_responder multi_address device_info adopt_fd \
              interruptible_reader read_timeout async_responder_epoll \
              async_forwarder_epoll; do
        [ -x "$EX/$ex" ] || fail "$ex is not built"
        help=$("$EX/$ex" --help) || fail "$ex --help exited with $?"
        for flag in $(echo "$help" | awk 'NR == 1 || /^ +\[/ {print; next} {exit}' |
                      grep -oE '\[-[[:alnum:]]' | tr -d '['); do
            echo "$help" | grep -qE "^  $flag, --[a-z0-9-]+( [A-Z/]+)? {2,}[[:alnum:](]" ||
                fail "$ex --help does not explain $flag"
        done
        echo "$help" | grep -q '^  -h, --help ' || fail "$ex --help lacks -h"
        expect_usage_error "'stray'" "$ex" stray
        expect_usage_error "no-such-option" "$ex" --no-such-option
    done
    expect_usage_error "from 68 to 65535" device_info -m 20
    expect_usage_error "from 68 to 65535" icmp_responder --mtu abc
    expect_usage_error "multicast" tap_responder -M 01:00:00:00:00:01
    expect_usage_error "multicast" device_info -T -M 01:00:00:00:00:01
    expect_usage_error "10.0.0.400" multi_address -a 10.0.0.400/24
    expect_usage_error "--device-b" async_forwarder_epoll -b 'bad name'
    [ "$(ip -o link show | grep -vc ': lo:')" = 0 ] ||
        fail "a usage error left an interface behind"
    # A run-time failure: lo is not a TUN device.
    out=$("$EX/device_info" -n lo 2>&1)
    STATUS=$?
    [ "$STATUS" = 1 ] || fail "device_info -n lo exited with $STATUS, want 1: $out"
    echo "$out" | grep -q "of another kind" || fail "device_info -n lo: $out"
    # multi_address keeps the device for -t seconds, as the others stop.
    out=$(timeout 20 "$EX/multi_address" -n tunt -o 10.3.0.1/24 -t 1 2>&1) ||
        fail "multi_address -t 1 failed: $out"
    echo "$out" | grep -q '^keeping the device' || fail "multi_address -t: $out"
}

# expect_usage_error TEXT EXAMPLE ARGS...: the example exits with 2 and
# its message contains TEXT.
expect_usage_error() {
    local text=$1 out
    shift
    out=$("$EX/$1" "${@:2}" 2>&1)
    STATUS=$?
    [ "$STATUS" = 2 ] || fail "$* exited with $STATUS, want 2 (usage): $out"
    echo "$out" | grep -qF -- "$text" || fail "$* does not say '$text': $out"
}

# ---- one case, inside its namespace ------------------------------------------

if [ -n "${TUN_EXAMPLES_CASE:-}" ]; then
    EX=$TUN_EXAMPLES_DIR
    OUT=$(mktemp)
    BACKGROUND=()
    cleanup() {
        local pid
        for pid in "${BACKGROUND[@]}"; do
            kill -KILL "$pid" 2>/dev/null
        done
        rm -f "$OUT" "$OUT".*
    }
    trap cleanup EXIT
    trap 'exit 143' TERM INT # so that cleanup runs when timeout stops us
    ip link set lo up || fail "cannot bring lo up"
    "case_$TUN_EXAMPLES_CASE"
    exit 0
fi

# ---- all cases -----------------------------------------------------------------

[ "$(id -u)" = 0 ] || skip "needs root (CAP_NET_ADMIN and namespaces)"
[ -c /dev/net/tun ] || skip "/dev/net/tun is missing (modprobe tun)"
for tool in ip ping jq unshare timeout awk; do
    command -v "$tool" >/dev/null ||
        skip "needs '$tool' (apt-get install iproute2 iputils-ping jq)"
done
unshare -n true 2>/dev/null || skip "cannot create a network namespace"
if [ -z "${TUN_EXAMPLES_DIR:-}" ] || [ ! -x "$TUN_EXAMPLES_DIR/icmp_responder" ]; then
    echo "error: set TUN_EXAMPLES_DIR to the built examples (build/examples)"
    exit 1
fi

selected=("$@")
[ ${#selected[@]} -eq 0 ] && selected=("${CASES[@]}")
failed=()
for c in "${selected[@]}"; do
    if ! declare -F "case_$c" >/dev/null; then
        echo "error: no case '$c' (cases: ${CASES[*]})"
        exit 1
    fi
    echo "=== $c"
    limit=$CASE_TIMEOUT
    [[ $c == forward_* ]] && limit=$FORWARD_TIMEOUT
    TUN_EXAMPLES_CASE=$c timeout -k 5 "$limit" unshare -n bash "$0"
    status=$?
    if [ $status = 0 ]; then
        echo "PASS $c"
    elif [ $status = 77 ]; then
        echo "SKIP $c"
    else
        echo "FAIL $c"
        failed+=("$c")
    fi
done
if [ ${#failed[@]} -gt 0 ]; then
    echo "failed: ${failed[*]}"
    exit 1
fi
echo "all ${#selected[@]} example cases passed"
