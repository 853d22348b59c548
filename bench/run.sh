#!/usr/bin/env bash
# The forwarding benchmark: iperf3 from a "client" network namespace to a
# "server" namespace across bench/forwarder in each of its modes, next to
# the references measured in the same run (a kernel veth pair; the raw
# passthrough forwarders), with throughput, retransmits, the forwarder's CPU
# and peak memory, and the ratios between them. Writes Markdown, CSV, JSON
# and a PNG chart to the output directory.
#
#   bench/run.sh                 every mode, 10 s per run, 3 runs each
#   bench/run.sh --quick         every mode once for 2 s: a smoke test that
#                                fails if a mode carries no traffic or a
#                                process does not exit cleanly (CI runs it)
#   bench/run.sh --pin --modes raw-offload,offload --time 20 --repeat 5
#
# Options:
#   --quick          one 2 s run per mode, results to build/bench-quick
#   --modes A,B,...  modes to run (default: all; see --list)
#   --list           print the modes and exit
#   --time S         seconds per iperf3 run (default 10)
#   --repeat N       runs per mode (default 3); modes are interleaved so
#                    that a slow spell of the machine hits them all
#   --reverse        the server sends (iperf3 -R)
#   --udp            UDP instead of TCP (iperf3 -u -b 0)
#   --pin            iperf3 (client and server) on CPU 0, the forwarder on
#                    CPU 1: the forwarder's own cost decides
#   --streams N      parallel TCP/UDP streams (iperf3 -P, default 1): with
#                    several flows the multi-queue mode spreads them over
#                    its queues
#   --threads N      threads (queues) per direction of the multi-queue
#                    mode (default 2)
#   --out DIR        results directory (default bench/results)
#   --build DIR      build directory (default build/bench)
#   --forwarder BIN  use this forwarder instead of building one
#   --no-micro       skip the packet engine micro-benchmark (bench_checksum:
#                    checksum, copy+checksum, GSO split, GRO coalesce), which
#                    a full run appends to results.md; --quick skips it
#
# Needs root (CAP_NET_ADMIN, namespaces) and /dev/net/tun; installs iperf3,
# jq and gnuplot with apt-get when they are missing. Everything runs in
# namespaces of its own (network, mount and PID: unshare), so the host's
# network is never touched and no namespace, device or process survives the
# run, whether it ends, fails, or is interrupted (Ctrl-C) or killed.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")

# Modes in table order: name, device kind, what it is.
MODES=(
    "veth|kernel|reference: a kernel veth pair, no userspace at all"
    "raw-offload|offload|reference: read()/write() of super-packets with their virtio-net header, unchanged (the ceiling of a userspace TUN forwarder)"
    "raw-plain|plain|reference: read()/write() of one packet at a time on plain devices"
    "plain|plain|libtun sync, one packet per tun_read()/tun_write(), a thread per direction"
    "offload|offload|libtun sync offload: tun_recv_multiple() (GSO split) and tun_send_multiple() (GRO), a thread per direction"
    "offload-mq|offload|libtun offload on multi-queue devices, N queues and threads per direction (--threads)"
    "offload-epoll|offload|libtun offload on non-blocking devices, one thread waiting in epoll"
    "offload-channel|offload|libtun offload, per direction a reading and a writing thread handing batches over through a ring of pooled buffers"
    "offload-partial|offload|libtun sync offload keeping partial checksums (checksums carried end to end, for authenticated tunnels): the flagged calls, a thread per direction"
    "offload-copyfree|offload|libtun engine with copy-free segments and partial checksums: tun_recv_slices(), tun_send_slices(), a thread per direction"
)

die() {
    echo "bench/run.sh: $*" >&2
    exit 1
}

mode_field() { # mode_field NAME FIELD(2=kind, 3=what)
    local m
    for m in "${MODES[@]}"; do
        [ "${m%%|*}" = "$1" ] && { echo "$m" | cut -d'|' -f"$2"; return 0; }
    done
    return 1
}

all_modes() {
    local m
    for m in "${MODES[@]}"; do echo "${m%%|*}"; done
}

# ---- options -------------------------------------------------------------------

quick=0 time_s=10 repeat=3 reverse=0 udp=0 pin=0 threads=2 streams=1
modes_arg="" out="" build="$root/build/bench" forwarder="" micro=1
args=("$@")
while [ $# -gt 0 ]; do
    case $1 in
    --quick) quick=1 ;;
    --modes) modes_arg=${2:?--modes needs a list}; shift ;;
    --list)
        for m in "${MODES[@]}"; do
            printf '  %-16s %s\n' "${m%%|*}" "$(echo "$m" | cut -d'|' -f3)"
        done
        exit 0 ;;
    --time) time_s=${2:?--time needs seconds}; shift ;;
    --repeat) repeat=${2:?--repeat needs a count}; shift ;;
    --reverse) reverse=1 ;;
    --udp) udp=1 ;;
    --pin) pin=1 ;;
    --threads) threads=${2:?--threads needs a count}; shift ;;
    --streams) streams=${2:?--streams needs a count}; shift ;;
    --out) out=${2:?--out needs a directory}; shift ;;
    --build) build=${2:?--build needs a directory}; shift ;;
    --forwarder) forwarder=${2:?--forwarder needs a path}; shift ;;
    --no-micro) micro=0 ;;
    --inner) break ;;
    -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown option '$1' (see --help)" ;;
    esac
    shift
done
[[ $time_s =~ ^[1-9][0-9]*$ ]] || die "--time must be a whole number of seconds"
[[ $repeat =~ ^[1-9][0-9]*$ ]] || die "--repeat must be a positive count"
[[ $threads =~ ^[1-9][0-9]*$ ]] || die "--threads must be a positive count"
[[ $streams =~ ^[1-9][0-9]*$ ]] || die "--streams must be a positive count"
if [ $quick -eq 1 ]; then
    time_s=2 repeat=1 micro=0
    [ -n "$out" ] || out=$root/build/bench-quick
fi
[ -n "$out" ] || out=$here/results
if [ -n "$modes_arg" ]; then
    IFS=, read -r -a modes <<<"$modes_arg"
    for m in "${modes[@]}"; do
        mode_field "$m" 2 >/dev/null || die "no mode '$m' (modes: $(all_modes | tr '\n' ' '))"
    done
else
    mapfile -t modes < <(all_modes)
fi

# ---- the environment, before anything is created ----------------------------------

if [ "${1:-}" != "--inner" ]; then
    [ "$(uname -s)" = Linux ] || die "runs on Linux only (network namespaces, TUN)"
    [ "$(id -u)" -eq 0 ] ||
        die "needs root: it creates network namespaces and TUN devices (run it with sudo)"
    [ -e /dev/net/tun ] || modprobe tun 2>/dev/null || true
    [ -c /dev/net/tun ] ||
        die "/dev/net/tun is missing: load the tun module (modprobe tun), or in a container pass the device (--device /dev/net/tun)"
    # Packages: what is missing, installed with apt-get.
    declare -A package_of=([iperf3]=iperf3 [jq]=jq [gnuplot]=gnuplot-nox
                           [ip]=iproute2 [nsenter]=util-linux [taskset]=util-linux
                           [cmake]=cmake [cc]=build-essential)
    missing=()
    for tool in "${!package_of[@]}"; do
        [ "$tool" = cmake ] || [ "$tool" = cc ] && [ -n "$forwarder" ] && continue
        command -v "$tool" >/dev/null || missing+=("${package_of[$tool]}")
    done
    if [ ${#missing[@]} -gt 0 ]; then
        mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
        command -v apt-get >/dev/null ||
            die "missing ${missing[*]}, and no apt-get to install them with: install them first"
        echo "== installing ${missing[*]}"
        { apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
            apt-get install -y -qq "${missing[@]}" >/dev/null; } ||
            die "apt-get could not install ${missing[*]}"
    fi
    unshare --net --mount --pid --fork --kill-child --mount-proc true 2>/dev/null ||
        die "cannot create network, mount and PID namespaces (unshare failed: in a container, run it privileged)"
    if [ -z "$forwarder" ]; then
        echo "== building the forwarder in $build"
        cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
            -DTUN_BUILD_TESTS=OFF -DTUN_BUILD_EXAMPLES=OFF >/dev/null ||
            die "cmake configure failed"
        targets=(forwarder)
        [ $micro -eq 1 ] && targets+=(bench_checksum)
        cmake --build "$build" -j"$(nproc)" --target "${targets[@]}" >/dev/null ||
            die "building the forwarder failed"
        forwarder=$build/bench/forwarder
    fi
    micro_bench=""
    [ $micro -eq 1 ] && micro_bench=$(dirname "$forwarder")/bench_checksum
    [ -z "$micro_bench" ] || [ -x "$micro_bench" ] || micro_bench=""
    [ -x "$forwarder" ] || die "no forwarder program at $forwarder"
    forwarder=$(realpath "$forwarder")
    if [ $pin -eq 1 ] && [ "$(nproc)" -lt 2 ]; then
        die "--pin needs two CPUs"
    fi
    mkdir -p "$out"
    out=$(realpath "$out")
    # The measuring part runs as PID 1 of fresh namespaces: when it ends,
    # however it ends, the kernel removes every namespace, device and
    # process it made. On Ctrl-C or SIGTERM this shell kills it (unshare
    # takes its child along: --kill-child), and wait returns at once.
    work=$(mktemp -d /tmp/libtun-bench.XXXXXX)
    inner=""
    finish() {
        local status=$?
        trap - EXIT INT TERM
        if [ -n "$inner" ]; then
            kill -KILL "$inner" 2>/dev/null || true
            wait "$inner" 2>/dev/null || true
        fi
        rm -rf "$work"
        exit "$status"
    }
    trap finish EXIT
    trap 'echo "bench/run.sh: interrupted; everything it started is gone" >&2; exit 130' INT
    trap 'exit 143' TERM
    export BENCH_FORWARDER=$forwarder BENCH_OUT=$out BENCH_WORK=$work \
        BENCH_TIME=$time_s BENCH_REPEAT=$repeat BENCH_REVERSE=$reverse \
        BENCH_UDP=$udp BENCH_PIN=$pin BENCH_THREADS=$threads BENCH_STREAMS=$streams \
        BENCH_QUICK=$quick BENCH_MICRO="$micro_bench" BENCH_MODES="${modes[*]}" \
        BENCH_COMMAND="bench/run.sh${args[*]:+ ${args[*]}}"
    unshare --net --mount --pid --fork --kill-child --mount-proc \
        bash "$0" --inner &
    inner=$!
    status=0
    wait "$inner" || status=$?
    inner=""
    exit "$status"
fi

# ---- inside the namespaces ---------------------------------------------------------

read -r -a modes <<<"$BENCH_MODES"
forwarder=$BENCH_FORWARDER out=$BENCH_OUT work=$BENCH_WORK

ip link set lo up
clk_tck=$(getconf CLK_TCK)
client_addr=10.89.0.1 server_addr=10.89.0.2
if [ "$BENCH_PIN" = 1 ]; then
    pin_iperf=(taskset -c 0) pin_forwarder=(taskset -c 1)
else
    pin_iperf=() pin_forwarder=()
fi

now_ns() { date +%s%N; }

# Start a process that holds a new network namespace with loopback up; its
# namespace is /proc/PID/ns/net. Sets HOLDER.
new_namespace() {
    unshare --net -- sh -c 'ip link set lo up && exec sleep 100000' &
    HOLDER=$!
    local ours tries=200
    ours=$(readlink /proc/$$/ns/net)
    until [ -e "/proc/$HOLDER/ns/net" ] &&
        [ "$(readlink "/proc/$HOLDER/ns/net")" != "$ours" ]; do
        tries=$((tries - 1))
        [ $tries -gt 0 ] || { echo "namespace holder did not start"; return 1; }
        sleep 0.01
    done
}

in_ns() { # in_ns PID command...: run command inside the namespace PID holds
    local pid=$1
    shift
    nsenter --net="/proc/$pid/ns/net" -- "$@"
}

# Wait until the file has a line matching regex or pid exits (1), at most
# seconds (1).
wait_line() {
    local file=$1 regex=$2 pid=$3 tries=$(($4 * 100))
    until grep -qE -- "$regex" "$file" 2>/dev/null; do
        kill -0 "$pid" 2>/dev/null || return 1
        tries=$((tries - 1))
        [ $tries -gt 0 ] || return 1
        sleep 0.01
    done
}

# Wait at most ms milliseconds for pid to exit; its status in STATUS (124
# if it did not exit, and then it is killed).
wait_exit() {
    local pid=$1 tries=$(($2 / 10))
    while kill -0 "$pid" 2>/dev/null; do
        tries=$((tries - 1))
        if [ $tries -le 0 ]; then
            kill -KILL "$pid" 2>/dev/null || true
            wait "$pid" 2>/dev/null || true
            STATUS=124
            return
        fi
        sleep 0.01
    done
    STATUS=0
    wait "$pid" || STATUS=$?
}

cpu_ticks() { # utime + stime of pid, all threads
    awk '{ sub(/.*\) /, ""); print $12 + $13 }' "/proc/$1/stat"
}

machine_busy() { # busy and total ticks of all CPUs
    awk '/^cpu / { t = 0; for (i = 2; i <= NF; i++) t += $i;
                   print t - $5 - $6, t }' /proc/stat
}

# One measured run; sets ROW to its CSV row
# mode,run,gbps,retransmits,forwarder_cpu,machine_cpu,rss_kb,status
run_one() {
    local mode=$1 run=$2 dir=$work/$1.$2
    mkdir -p "$dir"
    local kind problems=() fpid="" cpid spid
    kind=$(mode_field "$mode" 2)
    ROW="$mode,$run,0,0,,,,no namespace"
    new_namespace || return 0
    cpid=$HOLDER
    new_namespace || return 0
    spid=$HOLDER

    if [ "$kind" = kernel ]; then
        ip link add bench-c netns "$cpid" type veth peer name bench-s netns "$spid"
        in_ns "$cpid" ip addr add "$client_addr/24" dev bench-c
        in_ns "$cpid" ip link set bench-c up
        in_ns "$spid" ip addr add "$server_addr/24" dev bench-s
        in_ns "$spid" ip link set bench-s up
    else
        local limit=$((BENCH_TIME + 60))
        "${pin_forwarder[@]}" "$forwarder" "$mode" -t "$limit" -q "$BENCH_THREADS" \
            "/proc/$cpid/ns/net" "$client_addr" \
            "/proc/$spid/ns/net" "$server_addr" \
            >"$dir/forwarder.out" 2>"$dir/forwarder.err" &
        fpid=$!
        if ! wait_line "$dir/forwarder.out" '^ready$' "$fpid" 10; then
            wait_exit "$fpid" 1000
            echo "  $mode: the forwarder did not start: $(tr '\n' ' ' <"$dir/forwarder.err")" >&2
            ROW="$mode,$run,0,0,,,,forwarder did not start"
            kill "$cpid" "$spid" 2>/dev/null
            return 0
        fi
    fi

    in_ns "$spid" "${pin_iperf[@]}" iperf3 -s -1 -J -B "$server_addr" \
        >"$dir/server.json" 2>&1 &
    local ipid=$!
    local tries=500
    until in_ns "$spid" ss -Hltn "sport = :5201" | grep -q .; do
        tries=$((tries - 1))
        [ $tries -gt 0 ] || break
        sleep 0.01
    done

    local client_opts=(-c "$server_addr" -t "$BENCH_TIME" -P "$BENCH_STREAMS" -J
                       --connect-timeout 5000)
    [ "$BENCH_REVERSE" = 1 ] && client_opts+=(-R)
    [ "$BENCH_UDP" = 1 ] && client_opts+=(-u -b 0)
    local t0 t1 c0=0 c1=0 m0 m1 rss="" client_status=0
    m0=$(machine_busy)
    [ -n "$fpid" ] && c0=$(cpu_ticks "$fpid")
    t0=$(now_ns)
    timeout -k 5 $((BENCH_TIME + 30)) nsenter --net="/proc/$cpid/ns/net" -- \
        "${pin_iperf[@]}" iperf3 "${client_opts[@]}" >"$dir/client.json" 2>&1 ||
        client_status=$?
    t1=$(now_ns)
    [ -n "$fpid" ] && c1=$(cpu_ticks "$fpid")
    m1=$(machine_busy)
    [ -n "$fpid" ] && rss=$(awk '/^VmHWM:/ { print $2 }' "/proc/$fpid/status")

    wait_exit "$ipid" 5000
    [ "$STATUS" = 0 ] || problems+=("iperf3 server exited with $STATUS")
    [ "$client_status" = 0 ] ||
        problems+=("iperf3 client exited with $client_status: $(jq -r '.error // empty' "$dir/client.json" 2>/dev/null | head -c 200)")

    local fcpu=""
    if [ -n "$fpid" ]; then
        kill -TERM "$fpid"
        wait_exit "$fpid" 5000
        [ "$STATUS" = 0 ] ||
            problems+=("forwarder exited with $STATUS: $(tr '\n' ' ' <"$dir/forwarder.err")")
        local lanes
        lanes=$(grep '^{' "$dir/forwarder.out" |
            jq -r '[.lanes[].bytes] | map(select(. > 0)) | length' 2>/dev/null || echo 0)
        [ "$lanes" = 2 ] || problems+=("a forwarder lane moved nothing")
        fcpu=$(awk -v c="$((c1 - c0))" -v hz="$clk_tck" -v ns="$((t1 - t0))" \
            'BEGIN { printf "%.1f", 100 * c / hz / (ns / 1e9) }')
    fi
    local mcpu
    mcpu=$(awk -v a="$m0" -v b="$m1" 'BEGIN { split(a, x, " "); split(b, y, " ");
        printf "%.1f", 100 * (y[1] - x[1]) / (y[2] - x[2]) }')
    # The receiver's figures: what crossed. TCP counts retransmits at the
    # sender; UDP counts lost datagrams at the receiver.
    local gbps retr
    gbps=$(jq -r '(.end.sum_received // .end.sum).bits_per_second // 0 | . / 1e9' \
        "$dir/client.json" 2>/dev/null || echo 0)
    if [ "$BENCH_UDP" = 1 ]; then
        retr=$(jq -r '.end.sum.lost_packets // 0' "$dir/client.json" 2>/dev/null || echo 0)
    else
        retr=$(jq -r '.end.sum_sent.retransmits // 0' "$dir/client.json" 2>/dev/null || echo 0)
    fi
    awk -v g="$gbps" 'BEGIN { exit !(g > 0) }' || problems+=("no traffic crossed")

    kill "$cpid" "$spid" 2>/dev/null
    wait "$cpid" "$spid" 2>/dev/null || true
    local status=ok
    [ ${#problems[@]} -eq 0 ] || status=$(IFS=';'; echo "${problems[*]}" | tr ',\n' '  ')
    ROW=$(printf '%s,%s,%.3f,%s,%s,%s,%s,%s' "$mode" "$run" "$gbps" "$retr" \
        "$fcpu" "$mcpu" "$rss" "$status")
}

runs=$out/runs.csv
echo "mode,run,gbps,retransmits,forwarder_cpu_percent,machine_cpu_percent,forwarder_peak_rss_kb,status" >"$runs.tmp"
direction="client to server"
[ "$BENCH_REVERSE" = 1 ] && direction="server to client"
echo "== $([ "$BENCH_UDP" = 1 ] && echo UDP || echo TCP), $direction, ${BENCH_TIME} s per run, $BENCH_REPEAT run(s) per mode$([ "$BENCH_PIN" = 1 ] && echo ", pinned: iperf3 on CPU 0, forwarder on CPU 1")"
failures=0
for ((r = 1; r <= BENCH_REPEAT; r++)); do
    for m in "${modes[@]}"; do
        run_one "$m" "$r"
        echo "$ROW" >>"$runs.tmp"
        IFS=, read -r _ _ g rt fc _ rss st <<<"$ROW"
        printf '  %-16s run %d: %7.2f Gbps  retr %-6s  forwarder CPU %5s%%  RSS %6s kB  %s\n' \
            "$m" "$r" "$g" "$rt" "${fc:--}" "${rss:--}" "$st"
        [ "$st" = ok ] || failures=$((failures + 1))
    done
done
mv "$runs.tmp" "$runs"

# ---- summary -----------------------------------------------------------------------

# Per mode: medians over its ok runs, the spread (min-max), and ratios to
# the references of the same run: the veth pair, and the passthrough of the
# same device kind (raw-offload for offload modes, raw-plain for plain).
# The CPU per Gbps ratio also gets the spread of its rounds: each round
# measures every mode once, so the ratio of a round's pair shows how much
# of a run's figure is the machine's noise.
summary=$out/results.csv
{
    echo "mode,kind,runs,ok,gbps_median,gbps_min,gbps_max,retransmits_median,forwarder_cpu_percent_median,cpu_percent_per_gbps_median,machine_cpu_percent_median,forwarder_peak_rss_kb_max,ratio_to_veth,passthrough,ratio_to_passthrough,cpu_per_gbps_ratio_to_passthrough,cpu_per_gbps_ratio_round_min,cpu_per_gbps_ratio_round_max"
    for m in "${modes[@]}"; do
        echo "$m,$(mode_field "$m" 2)"
    done
} | awk -F, -v OFS=, -v runs="$runs" '
function median(list,    n, v, i, j, t) {
    n = split(list, v, " ")
    if (n == 0) return ""
    for (i = 2; i <= n; i++) { t = v[i] + 0; for (j = i - 1; j >= 1 && v[j] + 0 > t; j--) v[j + 1] = v[j]; v[j + 1] = t }
    return n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
}
function minmax(list, want_max,    n, v, i, r) {
    n = split(list, v, " ")
    r = v[1] + 0
    for (i = 2; i <= n; i++) if (want_max ? v[i] + 0 > r : v[i] + 0 < r) r = v[i] + 0
    return n ? r : ""
}
function fmt(x, d) { return x == "" ? "" : sprintf("%." d "f", x) }
BEGIN {
    while ((getline line < runs) > 0) {
        split(line, f, ",")
        if (f[1] == "mode") continue
        total[f[1]]++
        if (f[8] != "ok") continue
        ok[f[1]]++
        g[f[1]] = g[f[1]] " " f[3]; rt[f[1]] = rt[f[1]] " " f[4]
        if (f[5] != "") { fc[f[1]] = fc[f[1]] " " f[5]; cpg[f[1]] = cpg[f[1]] " " (f[3] > 0 ? f[5] / f[3] : 0) }
        if (f[5] != "" && f[3] > 0) round_cpg[f[1], f[2]] = f[5] / f[3]
        if (f[2] + 0 > rounds) rounds = f[2] + 0
        mc[f[1]] = mc[f[1]] " " f[6]
        if (f[7] != "") rss[f[1]] = rss[f[1]] " " f[7]
    }
}
NR == 1 { print; next }
{
    m = $1; kind[NR] = $2; name[NR] = m
    gm[m] = median(g[m]); cm[m] = median(cpg[m])
    row[NR] = m OFS $2 OFS total[m] + 0 OFS ok[m] + 0 OFS fmt(gm[m], 3) OFS fmt(minmax(g[m], 0), 3) OFS fmt(minmax(g[m], 1), 3) OFS median(rt[m]) OFS fmt(median(fc[m]), 1) OFS fmt(cm[m], 1) OFS fmt(median(mc[m]), 1) OFS minmax(rss[m], 1)
    last = NR
}
END {
    for (i = 2; i <= last; i++) {
        m = name[i]; ref = kind[i] == "offload" ? "raw-offload" : kind[i] == "plain" ? "raw-plain" : ""
        rv = gm["veth"] > 0 && gm[m] != "" ? fmt(gm[m] / gm["veth"], 2) : ""
        rp = ref != "" && gm[ref] > 0 && gm[m] != "" ? fmt(gm[m] / gm[ref], 2) : ""
        rc = ref != "" && cm[ref] > 0 && cm[m] != "" ? fmt(cm[m] / cm[ref], 2) : ""
        pairs = ""
        for (r = 1; ref != "" && r <= rounds; r++)
            if ((m, r) in round_cpg && (ref, r) in round_cpg && round_cpg[ref, r] > 0)
                pairs = pairs " " round_cpg[m, r] / round_cpg[ref, r]
        print row[i], rv, ref, rp, rc, fmt(minmax(pairs, 0), 2), fmt(minmax(pairs, 1), 2)
    }
}' >"$summary"

# JSON: the machine, the settings, every run and the summary.
machine_cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
jq -n --arg cpu "$machine_cpu" --argjson cores "$(nproc)" --arg kernel "$(uname -r)" \
    --arg date "$(date -u +%Y-%m-%dT%H:%M:%SZ)" --arg command "$BENCH_COMMAND" \
    --argjson time "$BENCH_TIME" --argjson repeat "$BENCH_REPEAT" \
    --argjson udp "$BENCH_UDP" --argjson reverse "$BENCH_REVERSE" --argjson pin "$BENCH_PIN" \
    --rawfile runs "$runs" --rawfile summary "$summary" '
    def table: split("\n") | map(select(length > 0) | split(",")) |
        .[0] as $h | .[1:] | map([$h, .] | transpose | map({(.[0]): (.[1] // "" |
            if test("^-?[0-9.]+$") then tonumber elif . == "" then null else . end)}) | add);
    {machine: {cpu: $cpu, cores: $cores, kernel: $kernel}, date: $date, command: $command,
     settings: {seconds: $time, repeat: $repeat, udp: ($udp == 1), reverse: ($reverse == 1),
                pinned: ($pin == 1)},
     summary: ($summary | table), runs: ($runs | table)}' >"$out/results.json"

# Markdown: the table the README shows.
{
    echo "Machine: $machine_cpu, $(nproc) CPUs, Linux $(uname -r); $(date -u +%Y-%m-%d); load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)."
    echo "Command: \`$BENCH_COMMAND\` ($([ "$BENCH_UDP" = 1 ] && echo UDP || echo TCP), $direction, ${BENCH_TIME} s per run$([ "$BENCH_STREAMS" -gt 1 ] && echo ", $BENCH_STREAMS streams"), median of $BENCH_REPEAT$([ "$BENCH_PIN" = 1 ] && echo ", iperf3 pinned to CPU 0 and the forwarder to CPU 1"))."
    echo
    echo "| mode | Gbps (min-max) | retr | forwarder CPU % | CPU % per Gbps | peak RSS | × veth | × passthrough | CPU/Gbps × passthrough (rounds: min-max) |"
    echo "|---|---|---|---|---|---|---|---|---|"
    tail -n +2 "$summary" | awk -F, '{
        rss = $12 == "" ? "" : sprintf("%.1f MB", $12 / 1024)
        ref = $14 == "" || $14 == $1 ? "" : " (" $14 ")"
        spread = $17 == "" || $14 == $1 ? "" : " (" $17 "-" $18 ")"
        printf "| %s | %s (%s-%s) | %s | %s | %s | %s | %s | %s%s | %s%s |\n",
            $1, $5 == "" ? "failed" : sprintf("%.2f", $5), $6 == "" ? "" : sprintf("%.2f", $6),
            $7 == "" ? "" : sprintf("%.2f", $7), $8, $9, $10, rss, $13, $15, ($15 == "" ? "" : ref), $16, spread }'
    echo
    echo "Modes:"
    for m in "${modes[@]}"; do
        echo "- \`$m\`: $(mode_field "$m" 3)"
    done
    echo
    echo "Forwarder CPU is the forwarder process's user+system time over the run (100 % = one"
    echo "CPU). It includes the kernel work inside its reads and writes: a write to a TUN"
    echo "device runs the receiving side's IP and TCP processing in the forwarder's thread."
    echo "Ratios are against references measured in the same run: the veth pair, and the"
    echo "raw passthrough of the same device kind. Each round runs every mode once; the"
    echo "CPU/Gbps ratio's min-max is over the rounds' pairs, the machine's noise in it."
} >"$out/results.md"

# The packet engine on one core, after the forwarding runs (so that it
# does not share the CPU with them).
if [ -n "$BENCH_MICRO" ]; then
    echo "== packet engine micro-benchmark"
    {
        echo
        echo "Packet engine micro-benchmark (\`bench_checksum\`, one core):"
        echo
        echo '```'
        "$BENCH_MICRO"
        echo '```'
        # The same work as instruction counts, which a noisy machine does
        # not move (bench/instructions.sh).
        micro_build=$(dirname "$(dirname "$BENCH_MICRO")")
        if command -v valgrind >/dev/null &&
           [ "$micro_build/bench/bench_checksum" -ef "$BENCH_MICRO" ]; then
            echo
            bash "$root/bench/instructions.sh" "$micro_build" ||
                echo "(bench/instructions.sh failed: no instruction counts)"
        fi
    } >>"$out/results.md"
fi

# The chart: Gbps per mode, forwarder CPU % beside each bar.
if command -v gnuplot >/dev/null; then
    tail -n +2 "$summary" | awk -F, '{ print $1, ($5 == "" ? 0 : $5), ($9 == "" ? 0 : $9) }' \
        >"$work/plot.dat"
    gnuplot <<EOF || echo "bench/run.sh: gnuplot failed; no chart" >&2
set terminal pngcairo size 900,480 font "sans,10"
set output "$out/results.png"
set title "libtun forwarder: $([ "$BENCH_UDP" = 1 ] && echo UDP || echo TCP) throughput and forwarder CPU ($machine_cpu, $(nproc) CPUs)"
set style fill solid 0.8 border -1
set boxwidth 0.38
set ylabel "Gbps"
set y2label "forwarder CPU %"
set yrange [0:*]
set y2range [0:*]
set ytics nomirror
set y2tics
set xtics rotate by -20
set grid ytics
set key outside top center horizontal
plot "$work/plot.dat" using (\$0-0.2):2:xtic(1) with boxes lc rgb "#3060a0" title "Gbps (median)", \
     "" using (\$0+0.2):3 axes x1y2 with boxes lc rgb "#d08030" title "forwarder CPU % (right axis)"
EOF
fi

echo "== results in $out (results.md, results.csv, results.json, runs.csv$([ -f "$out/results.png" ] && echo ", results.png"))"
cat "$out/results.md" | sed -n '/^| mode/,/^$/p'
if [ "$failures" -gt 0 ]; then
    echo "bench/run.sh: $failures run(s) failed (see the status column of $runs)" >&2
    exit 1
fi
