/* The Linux kernel hooks against the running kernel, inside private network
 * namespaces: moving a device into another namespace, the send buffer, and
 * eBPF filter and steering programs loaded with bpf(2) from instructions
 * written here. */
#include "testutil.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/bpf.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

/* A descriptor of the calling thread's network namespace. */
static int this_netns(void)
{
    int fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
    assert_true(fd >= 0);
    return fd;
}

/* A new, empty network namespace, which the calling thread does not enter. */
static int new_netns(void)
{
    int home = this_netns();
    assert_int_equal(unshare(CLONE_NEWNET), 0);
    int fd = this_netns();
    assert_int_equal(setns(home, CLONE_NEWNET), 0);
    close(home);
    return fd;
}

static void enter_netns(int fd)
{
    assert_int_equal(setns(fd, CLONE_NEWNET), 0);
}

/* A TUN device without addresses, down. */
static tun_device *open_tun(const char *name, bool multi_queue)
{
    tun_config *cfg;
    tun_device *dev;
    assert_tun_ok(tun_config_new(&cfg));
    assert_tun_ok(tun_config_set_name(cfg, name));
    assert_tun_ok(tun_config_set_multi_queue(cfg, multi_queue));
    assert_tun_ok(tun_config_set_up(cfg, TUN_LINK_DOWN));
    assert_tun_ok(tun_open(cfg, &dev));
    tun_config_free(cfg);
    return dev;
}

/* A multi-queue TUN device as above and its second queue in *queue1. */
static tun_device *open_two_queues(const char *name, tun_device **queue1)
{
    tun_device *dev = open_tun(name, true);
    assert_tun_ok(tun_clone_queue(dev, queue1));
    return dev;
}

/* Give the device 10.0.0.1/24 and no IPv6 (so that the kernel sends
 * nothing through it by itself), and bring it up, in the calling thread's
 * namespace. */
static void configure_quiet(tun_device *dev, const char *name)
{
    assert_int_equal(tun_test_sh(NULL, 0, "sysctl -qw "
                                 "net.ipv6.conf.%s.disable_ipv6=1", name), 0);
    assert_tun_ok(tun_device_add_ipv4(dev, "10.0.0.1", 24, NULL));
    assert_tun_ok(tun_device_set_up(dev, true));
}

static int udp_socket(uint16_t port)
{
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    assert_true(s >= 0);
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(port)};
    assert_int_equal(inet_pton(AF_INET, "10.0.0.1", &sin.sin_addr), 1);
    assert_int_equal(bind(s, (struct sockaddr *)&sin, sizeof(sin)), 0);
    return s;
}

/* Send a datagram from s to 10.0.0.2:port, which goes into the device. */
static void send_udp(int s, uint16_t port)
{
    struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(port)};
    assert_int_equal(inet_pton(AF_INET, "10.0.0.2", &to.sin_addr), 1);
    assert_int_equal(sendto(s, "hook", 4, 0, (struct sockaddr *)&to,
                            sizeof(to)), 4);
}

/* Send an ICMP echo request to 10.0.0.2, which goes into the device. */
static void send_ping(void)
{
    int s = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ICMP);
    assert_true(s >= 0);
    uint8_t echo[8] = {8, 0, 0xf7, 0xff, 0, 0, 0, 0}; /* checksum of it */
    struct sockaddr_in to = {.sin_family = AF_INET};
    assert_int_equal(inet_pton(AF_INET, "10.0.0.2", &to.sin_addr), 1);
    assert_int_equal(sendto(s, echo, sizeof(echo), 0, (struct sockaddr *)&to,
                            sizeof(to)), (int)sizeof(echo));
    close(s);
}

/* Write a datagram to 10.0.0.1:port through dev and see it arrive on
 * sink. */
static void assert_write_arrives(tun_device *dev, int sink, uint16_t port)
{
    uint8_t pkt[64], got[16];
    size_t len = tun_test_udp4(pkt, "10.0.0.2", 4000, "10.0.0.1", port,
                               "flows", 5);
    assert_int_equal(tun_write(dev, pkt, len), (int)len);
    struct pollfd p = {.fd = sink, .events = POLLIN};
    assert_int_equal(poll(&p, 1, 2000), 1);
    assert_int_equal(recv(sink, got, sizeof(got), 0), 5);
    assert_memory_equal(got, "flows", 5);
}

/* Read what arrives on dev within timeout_ms: how many packets of IP
 * protocol proto (and in *others how many of any other). */
static int count_read(tun_device *dev, int proto, int *others,
                      int timeout_ms)
{
    uint8_t buf[2048];
    int n = 0, rc;
    *others = 0;
    while ((rc = tun_read_timeout(dev, buf, sizeof(buf), timeout_ms)) > 0) {
        if (rc >= 20 && buf[9] == proto)
            n++;
        else
            ++*others;
    }
    assert_int_equal(rc, TUN_ETIMEDOUT);
    return n;
}

/* ---- network namespace ------------------------------------------------- */

static void assert_here(const char *name, unsigned index)
{
    assert_int_equal(if_nametoindex(name), index);
}

static void netns_bad_input_changes_nothing(void **state)
{
    (void)state;
    int home = this_netns();
    tun_device *dev = open_tun("hk0", false);
    unsigned index;
    assert_tun_ok(tun_device_get_index(dev, &index));

    assert_int_equal(tun_device_set_netns(NULL, home), TUN_EINVAL);
    assert_int_equal(tun_device_set_netns(dev, -1), TUN_EINVAL);
    int file = open("/proc/self/stat", O_RDONLY | O_CLOEXEC);
    assert_true(file >= 0);
    assert_int_equal(tun_device_set_netns(dev, file), TUN_EINVAL);
    assert_non_null(strstr(tun_last_error(), "not a namespace"));
    int uts = open("/proc/thread-self/ns/uts", O_RDONLY | O_CLOEXEC);
    assert_true(uts >= 0);
    assert_int_equal(tun_device_set_netns(dev, uts), TUN_EINVAL);
    assert_non_null(strstr(tun_last_error(), "another kind"));
    close(uts);
    close(file);
    assert_int_equal(tun_device_set_netns(dev, file), TUN_EBADF);
    assert_here("hk0", index);

    /* A namespace with an interface of the name, then one with an
     * interface of the index: refused, the device stays. */
    int other = new_netns();
    enter_netns(other);
    assert_int_equal(tun_test_sh(NULL, 0, "ip link add hk0 type veth peer name hkp"), 0);
    enter_netns(home);
    assert_int_equal(tun_device_set_netns(dev, other), TUN_EEXIST);
    assert_non_null(strstr(tun_last_error(), "of this name"));
    assert_here("hk0", index);
    close(other);
    other = new_netns();
    enter_netns(other);
    assert_int_equal(tun_test_sh(NULL, 0, "ip link add hkx index %u type "
                                 "veth peer name hky index %u", index,
                                 index + 1), 0);
    enter_netns(home);
    assert_int_equal(tun_device_set_netns(dev, other), TUN_EEXIST);
    assert_non_null(strstr(tun_last_error(), "index"));
    assert_here("hk0", index);
    close(other);

    /* Its own namespace: nothing to do. */
    assert_tun_ok(tun_device_set_netns(dev, home));
    assert_here("hk0", index);
    tun_close(dev);
    close(home);
}

static void netns_move_keeps_packets_flowing(void **state)
{
    (void)state;
    int home = this_netns();
    int away = new_netns();
    tun_device *dev = open_tun("hk1", false);
    unsigned index;
    assert_tun_ok(tun_device_get_index(dev, &index));

    tun_events *events;
    assert_tun_ok(tun_events_open(dev, &events));

    assert_tun_ok(tun_device_set_netns(dev, away));
    /* Gone from here: neither the system nor libtun finds it, and the
     * subscription made here says it is gone. */
    assert_here("hk1", 0);
    unsigned mtu;
    assert_int_equal(tun_device_get_mtu(dev, &mtu), TUN_ENODEV);
    struct pollfd p = {.fd = tun_events_fd(events), .events = POLLIN};
    assert_int_equal(poll(&p, 1, 2000), 1);
    tun_event event;
    assert_tun_ok(tun_events_next(events, &event));
    assert_int_equal(event.type, TUN_EVENT_DELETED);
    assert_int_equal(tun_events_next(events, &event), TUN_EAGAIN);
    tun_events_close(events);
    assert_int_not_equal(
        tun_test_sh(NULL, 0, "ip link show hk1 2>/dev/null"), 0);

    /* There, with its name and index, configured through the handle from
     * a thread in that namespace. */
    enter_netns(away);
    close(away); /* the library keeps nothing of it */
    assert_here("hk1", index);
    assert_int_equal(tun_test_sh(NULL, 0, "ip link show hk1 >/dev/null"), 0);
    char name[TUN_NAME_MAX];
    assert_tun_ok(tun_device_get_name(dev, name, sizeof(name)));
    assert_string_equal(name, "hk1");
    configure_quiet(dev, "hk1");
    int sink = udp_socket(5000);
    assert_write_arrives(dev, sink, 5000);
    /* And the other way: the system sends through the device. */
    int src = udp_socket(6000);
    send_udp(src, 7000);
    int others;
    assert_int_equal(count_read(dev, IPPROTO_UDP, &others, 500), 1);
    assert_int_equal(others, 0);

    /* Packet I/O and the calls on the descriptor need no namespace: they
     * work from the old one too. */
    enter_netns(home);
    assert_write_arrives(dev, sink, 5000);
    unsigned flags;
    assert_tun_ok(tun_device_get_flags(dev, &flags));
    assert_int_equal(flags & TUN_FLAG_PERSIST, 0);
    assert_tun_ok(tun_device_set_carrier(dev, true));
    assert_tun_ok(tun_device_set_sndbuf(dev, 1 << 20));
    send_udp(src, 7000); /* a socket of the new namespace */
    assert_int_equal(count_read(dev, IPPROTO_UDP, &others, 500), 1);
    close(src);
    close(sink);
    tun_close(dev);
    close(home);
}

/* ---- send buffer ------------------------------------------------------- */

static void sndbuf_set_and_get(void **state)
{
    (void)state;
    tun_device *queue;
    tun_device *dev = open_two_queues("hk2", &queue);
    int bytes = 0;
    assert_tun_ok(tun_device_get_sndbuf(dev, &bytes));
    assert_int_equal(bytes, INT_MAX);

    assert_tun_ok(tun_device_set_sndbuf(dev, 16384));
    assert_tun_ok(tun_device_get_sndbuf(dev, &bytes));
    assert_int_equal(bytes, 16384);
    /* The interface's: every queue has it. */
    assert_tun_ok(tun_device_get_sndbuf(queue, &bytes));
    assert_int_equal(bytes, 16384);

    assert_int_equal(tun_device_set_sndbuf(dev, 0), TUN_EINVAL);
    assert_int_equal(tun_device_set_sndbuf(dev, -5), TUN_EINVAL);
    assert_int_equal(tun_device_set_sndbuf(NULL, 5), TUN_EINVAL);
    assert_int_equal(tun_device_get_sndbuf(dev, NULL), TUN_EINVAL);
    assert_tun_ok(tun_device_get_sndbuf(dev, &bytes));
    assert_int_equal(bytes, 16384);

    /* Writes go on within the limit. */
    configure_quiet(dev, "hk2");
    int sink = udp_socket(5000);
    for (int i = 0; i < 20; i++)
        assert_write_arrives(dev, sink, 5000);
    close(sink);
    assert_tun_ok(tun_device_set_sndbuf(queue, INT_MAX));
    assert_tun_ok(tun_device_get_sndbuf(dev, &bytes));
    assert_int_equal(bytes, INT_MAX);
    tun_close(queue);
    tun_close(dev);
}

/* A 1000-byte Ethernet frame to 02:00:00:00:00:99 (an experimental
 * EtherType), which the bridge of sndbuf_holds_writers_back() sends into
 * its slow queue. */
static size_t slow_frame(uint8_t *frame)
{
    static const uint8_t header[14] = {2, 0, 0, 0, 0, 0x99, 2, 0, 0, 0, 0, 1,
                                       0x88, 0xb5};
    memset(frame, 0x5a, 1000);
    memcpy(frame, header, sizeof(header));
    return 1000;
}

/* The limit holds back a writer whose frames wait in a queue: a TAP device
 * bridged to a veth whose queue sends 1000 bits a second. Non-blocking
 * writes stop with TUN_EAGAIN once the frames held fill the send buffer,
 * and the descriptor signals writable again when the queue lets them go. */
static void sndbuf_holds_writers_back(void **state)
{
    (void)state;
    tun_config *cfg;
    tun_device *dev;
    assert_tun_ok(tun_config_new(&cfg));
    assert_tun_ok(tun_config_set_name(cfg, "hk6"));
    assert_tun_ok(tun_config_set_layer(cfg, TUN_LAYER_L2));
    assert_tun_ok(tun_config_set_nonblocking(cfg, true));
    assert_tun_ok(tun_open(cfg, &dev));
    tun_config_free(cfg);
    assert_int_equal(tun_test_sh(NULL, 0,
        "ip link add hb0 type bridge && ip link set hb0 up && "
        "ip link add hv0 type veth peer name hv1 && ip link set hv1 up && "
        "tc qdisc add dev hv0 root tbf rate 1kbit burst 1600 limit 1000000 && "
        "ip link set hv0 master hb0 up && ip link set hk6 master hb0 up && "
        "bridge fdb add 02:00:00:00:00:99 dev hv0 master static"), 0);
    uint8_t frame[1000];
    size_t len = slow_frame(frame);

    /* No limit (the default): the queue takes every frame. */
    for (int i = 0; i < 40; i++)
        assert_int_equal(tun_write(dev, frame, len), (int)len);
    assert_tun_ok(tun_device_set_sndbuf(dev, 16384));
    assert_int_equal(tun_write(dev, frame, len), TUN_EAGAIN);
    /* The held frames let go (the queue deleted): room again. */
    struct pollfd p = {.fd = tun_device_fd(dev), .events = POLLOUT};
    assert_int_equal(poll(&p, 1, 0), 0);
    assert_int_equal(tun_test_sh(NULL, 0, "tc qdisc del dev hv0 root && "
                                 "tc qdisc add dev hv0 root tbf rate 1kbit "
                                 "burst 1600 limit 1000000"), 0);
    assert_int_equal(poll(&p, 1, 2000), 1);
    int written = 0, rc;
    while ((rc = tun_write(dev, frame, len)) == (int)len)
        written++;
    assert_int_equal(rc, TUN_EAGAIN);
    /* About 16384 bytes of frames, each charged with its buffer's size. */
    assert_true(written >= 2 && written <= 16);
    assert_int_equal(tun_test_sh(NULL, 0, "ip link del hb0 && "
                                 "ip link del hv0"), 0);
    tun_close(dev);
}

/* Once the interface is deleted, the descriptor calls say so. */
static void hooks_on_a_deleted_interface(void **state)
{
    (void)state;
    tun_device *dev = open_tun("hk5", false);
    assert_int_equal(tun_test_sh(NULL, 0, "ip link del hk5"), 0);
    assert_int_equal(tun_device_set_sndbuf(dev, 4096), TUN_ENODEV);
    assert_non_null(strstr(tun_last_error(), "deleted"));
    assert_int_equal(tun_device_set_filter_ebpf(dev, -1), TUN_ENODEV);
    assert_int_equal(tun_device_set_steering_ebpf(dev, -1), TUN_ENODEV);
    int home = this_netns();
    assert_int_equal(tun_device_set_netns(dev, home), TUN_ENODEV);
    close(home);
    tun_close(dev);
}

/* ---- eBPF -------------------------------------------------------------- */

#define INSN(code_, dst_, src_, off_, imm_)                                    \
    {.code = (code_), .dst_reg = (dst_), .src_reg = (src_), .off = (off_),      \
     .imm = (imm_)}

/* Load a socket filter program; its descriptor. */
static int load_prog(const struct bpf_insn *insns, size_t count)
{
    static char log[4096];
    union bpf_attr attr;
    memset(&attr, 0, sizeof(attr));
    attr.prog_type = BPF_PROG_TYPE_SOCKET_FILTER;
    attr.insns = (uint64_t)(uintptr_t)insns;
    attr.insn_cnt = (uint32_t)count;
    attr.license = (uint64_t)(uintptr_t)"GPL";
    attr.log_buf = (uint64_t)(uintptr_t)log;
    attr.log_size = sizeof(log);
    attr.log_level = 1;
    int fd = (int)syscall(SYS_bpf, BPF_PROG_LOAD, &attr, sizeof(attr));
    if (fd < 0)
        print_error("BPF_PROG_LOAD: %s\n%s\n", strerror(errno), log);
    assert_true(fd >= 0);
    return fd;
}

/* Drops IPv4 UDP (returns 0), passes everything else whole. */
static int load_drop_udp(void)
{
    const struct bpf_insn insns[] = {
        INSN(BPF_ALU64 | BPF_MOV | BPF_X, 6, 1, 0, 0), /* r6 = skb */
        INSN(BPF_LD | BPF_ABS | BPF_B, 0, 0, 0, 0),    /* r0 = version */
        INSN(BPF_ALU64 | BPF_RSH | BPF_K, 0, 0, 0, 4),
        INSN(BPF_JMP | BPF_JNE | BPF_K, 0, 0, 4, 4),   /* not IPv4: pass */
        INSN(BPF_LD | BPF_ABS | BPF_B, 0, 0, 0, 9),    /* r0 = protocol */
        INSN(BPF_JMP | BPF_JNE | BPF_K, 0, 0, 2, IPPROTO_UDP),
        INSN(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, 0), /* drop */
        INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0),
        INSN(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, 0xffff), /* whole */
        INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0),
    };
    return load_prog(insns, sizeof(insns) / sizeof(insns[0]));
}

/* Returns queue, whatever the packet. */
static int load_constant(int queue)
{
    const struct bpf_insn insns[] = {
        INSN(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, queue),
        INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0),
    };
    return load_prog(insns, sizeof(insns) / sizeof(insns[0]));
}

/* Bad descriptors for either call: refused, nothing changed. */
static void assert_ebpf_bad_input(int (*attach)(tun_device *, int),
                                  tun_device *dev)
{
    assert_int_equal(attach(NULL, -1), TUN_EINVAL);
    assert_int_equal(attach(dev, -2), TUN_EINVAL);
    int file = open("/proc/self/stat", O_RDONLY | O_CLOEXEC);
    assert_true(file >= 0);
    assert_int_equal(attach(dev, file), TUN_EINVAL);
    assert_non_null(strstr(tun_last_error(), "not a BPF program"));
    close(file);
    assert_int_equal(attach(dev, file), TUN_EBADF);
    /* A BPF map whose type number is a socket filter's (hash maps are 1):
     * a map, not a program. */
    union bpf_attr attr;
    memset(&attr, 0, sizeof(attr));
    attr.map_type = BPF_MAP_TYPE_HASH;
    attr.key_size = 4;
    attr.value_size = 4;
    attr.max_entries = 1;
    int map = (int)syscall(SYS_bpf, BPF_MAP_CREATE, &attr, sizeof(attr));
    assert_true(map >= 0);
    assert_int_equal(attach(dev, map), TUN_EINVAL);
    assert_non_null(strstr(tun_last_error(), "not a BPF program"));
    close(map);
}

static void filter_drops_udp_keeps_icmp(void **state)
{
    (void)state;
    tun_device *dev = open_tun("hk3", false);
    configure_quiet(dev, "hk3");
    int src = udp_socket(6000);
    int prog = load_drop_udp();
    assert_tun_ok(tun_device_set_filter_ebpf(dev, prog));
    close(prog); /* the kernel holds the program */
    tun_stats before, after;
    assert_tun_ok(tun_device_get_stats(dev, &before));

    for (int i = 0; i < 3; i++) {
        send_udp(src, 7000);
        send_ping();
    }
    int others;
    assert_int_equal(count_read(dev, IPPROTO_ICMP, &others, 300), 3);
    assert_int_equal(others, 0); /* no UDP */
    assert_tun_ok(tun_device_get_stats(dev, &after));
    assert_int_equal(after.tx_dropped - before.tx_dropped, 3);

    /* Bad input leaves the filter attached. */
    assert_ebpf_bad_input(tun_device_set_filter_ebpf, dev);
    send_udp(src, 7000);
    send_ping();
    assert_int_equal(count_read(dev, IPPROTO_ICMP, &others, 300), 1);
    assert_int_equal(others, 0);

    /* Detached: UDP comes through again. */
    assert_tun_ok(tun_device_set_filter_ebpf(dev, -1));
    send_udp(src, 7000);
    send_ping();
    assert_int_equal(count_read(dev, IPPROTO_UDP, &others, 300), 1);
    assert_int_equal(others, 1);
    close(src);
    tun_close(dev);
}

static void steering_picks_the_queue(void **state)
{
    (void)state;
    tun_device *queue1;
    tun_device *dev = open_two_queues("hk4", &queue1);
    configure_quiet(dev, "hk4");
    int prog = load_constant(1);
    assert_tun_ok(tun_device_set_steering_ebpf(dev, prog));
    close(prog);

    /* Many flows, which the kernel's hash would spread over both queues:
     * all on queue 1. */
    int src = udp_socket(6000);
    for (uint16_t port = 7000; port < 7032; port++)
        send_udp(src, port);
    int others;
    assert_int_equal(count_read(queue1, IPPROTO_UDP, &others, 300), 32);
    assert_int_equal(others, 0);
    assert_int_equal(count_read(dev, IPPROTO_UDP, &others, 0), 0);
    assert_int_equal(others, 0);

    /* Bad input leaves the program attached; a new one through the other
     * queue's handle replaces it. */
    assert_ebpf_bad_input(tun_device_set_steering_ebpf, dev);
    send_udp(src, 7000);
    assert_int_equal(count_read(queue1, IPPROTO_UDP, &others, 300), 1);
    prog = load_constant(0);
    assert_tun_ok(tun_device_set_steering_ebpf(queue1, prog));
    close(prog);
    for (uint16_t port = 7000; port < 7032; port++)
        send_udp(src, port);
    assert_int_equal(count_read(dev, IPPROTO_UDP, &others, 300), 32);
    assert_int_equal(count_read(queue1, IPPROTO_UDP, &others, 0), 0);
    assert_tun_ok(tun_device_set_steering_ebpf(dev, -1));
    close(src);
    tun_close(queue1);
    tun_close(dev);
}

int main(void)
{
    tun_test_enter_netns();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(netns_bad_input_changes_nothing),
        cmocka_unit_test(netns_move_keeps_packets_flowing),
        cmocka_unit_test(sndbuf_set_and_get),
        cmocka_unit_test(sndbuf_holds_writers_back),
        cmocka_unit_test(hooks_on_a_deleted_interface),
        cmocka_unit_test(filter_drops_udp_keeps_icmp),
        cmocka_unit_test(steering_picks_the_queue),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
