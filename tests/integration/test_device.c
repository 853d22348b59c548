/* The Linux device end to end, in a network namespace of its own: create,
 * configure, query and change devices, move packets, and every refusal the
 * API promises. What the library reports is checked against `ip -j`. */
#include "testutil.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static char out[16384];

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static tun_device *open_tun(const char *name, void (*extra)(tun_config *))
{
    tun_config *cfg;
    tun_device *dev = NULL;
    assert_tun_ok(tun_config_new(&cfg));
    assert_tun_ok(tun_config_set_name(cfg, name));
    if (extra)
        extra(cfg);
    assert_tun_ok(tun_open(cfg, &dev));
    tun_config_free(cfg);
    return dev;
}

/* How many times phrase occurs in text: a hint must not repeat the
 * reason it follows. */
static int occurrences(const char *text, const char *phrase)
{
    int n = 0;
    for (const char *p = text; (p = strstr(p, phrase)) != NULL; p++)
        n++;
    return n;
}

static bool link_exists(const char *name)
{
    return tun_test_sh(NULL, 0, "ip link show dev %s >/dev/null 2>&1", name) == 0;
}

/* Send one UDP datagram from this namespace to addr:port; the route makes it
 * leave through the TUN device under test. */
static void send_udp(const char *addr, uint16_t port, const void *data, size_t len)
{
    bool v6 = strchr(addr, ':') != NULL;
    int s = socket(v6 ? AF_INET6 : AF_INET, SOCK_DGRAM, 0);
    assert_true(s >= 0);
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof(ss));
    socklen_t sl;
    if (v6) {
        struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
        sin6->sin6_family = AF_INET6;
        sin6->sin6_port = htons(port);
        assert_int_equal(inet_pton(AF_INET6, addr, &sin6->sin6_addr), 1);
        sl = sizeof(*sin6);
    } else {
        struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
        sin->sin_family = AF_INET;
        sin->sin_port = htons(port);
        assert_int_equal(inet_pton(AF_INET, addr, &sin->sin_addr), 1);
        sl = sizeof(*sin);
    }
    assert_int_equal(sendto(s, data, len, 0, (struct sockaddr *)&ss, sl), (ssize_t)len);
    close(s);
}

/* Read packets until an IPv4 UDP datagram to `port` arrives (the kernel also
 * sends IPv6 router solicitations and MLD reports on a fresh device).
 * Returns its length, or a negative code from the last read. */
static int read_udp4(tun_device *dev, uint8_t *buf, size_t size, uint16_t port)
{
    int64_t deadline = now_ms() + 3000;
    for (;;) {
        int left = (int)(deadline - now_ms());
        if (left <= 0)
            return TUN_ETIMEDOUT;
        int n = tun_read_timeout(dev, buf, size, left);
        if (n < 0)
            return n;
        if (n >= 28 && (buf[0] >> 4) == 4 && buf[9] == 17 &&
            ((buf[22] << 8) | buf[23]) == port)
            return n;
    }
}

/* ---- creating and configuring ------------------------------------------ */

static void with_addresses(tun_config *cfg)
{
    assert_tun_ok(tun_config_add_ipv4(cfg, "10.0.0.1", 24, NULL));
    assert_tun_ok(tun_config_add_ipv4(cfg, "10.9.0.1", 32, "10.9.0.2"));
    assert_tun_ok(tun_config_add_ipv6(cfg, "fd00::1", 64));
    assert_tun_ok(tun_config_add_ipv6(cfg, "cdcd:910a:2222:5498:8475:1111:3900:2021", 64));
    assert_tun_ok(tun_config_set_mtu(cfg, 1400));
    assert_tun_ok(tun_config_set_txqueuelen(cfg, 777));
}

static bool has_address(const tun_address *list, size_t n, const char *text)
{
    for (size_t i = 0; i < n; i++) {
        char buf[TUN_ADDRSTRLEN];
        assert_true(tun_address_format(&list[i], buf, sizeof(buf)) > 0);
        if (strcmp(buf, text) == 0)
            return true;
    }
    return false;
}

static void tun_with_addresses_matches_ip(void **state)
{
    (void)state;
    int fds = tun_test_count_fds();
    tun_device *dev = open_tun("tcfg0", with_addresses);

    char name[TUN_NAME_MAX];
    assert_tun_ok(tun_device_get_name(dev, name, sizeof(name)));
    assert_string_equal(name, "tcfg0");
    unsigned index, mtu, flags;
    assert_tun_ok(tun_device_get_index(dev, &index));
    assert_int_equal(index, if_nametoindex("tcfg0"));
    assert_tun_ok(tun_device_get_mtu(dev, &mtu));
    assert_int_equal(mtu, 1400);
    bool up;
    assert_tun_ok(tun_device_get_up(dev, &up));
    assert_true(up);
    assert_tun_ok(tun_device_get_flags(dev, &flags));
    assert_int_equal(flags & (TUN_FLAG_L2 | TUN_FLAG_PACKET_INFO | TUN_FLAG_OFFLOAD |
                              TUN_FLAG_MULTI_QUEUE | TUN_FLAG_NONBLOCK), 0);

    tun_address list[16];
    size_t count;
    assert_tun_ok(tun_device_get_addresses(dev, list, 16, &count));
    assert_true(has_address(list, count, "10.0.0.1/24"));
    assert_true(has_address(list, count, "10.9.0.1/32 peer 10.9.0.2"));
    assert_true(has_address(list, count, "fd00::1/64"));
    assert_true(has_address(list, count, "cdcd:910a:2222:5498:8475:1111:3900:2021/64"));

    /* The same, seen by iproute2. */
    assert_int_equal(tun_test_sh(out, sizeof(out), "ip -j -d addr show dev tcfg0"), 0);
    assert_non_null(strstr(out, "\"mtu\":1400"));
    assert_non_null(strstr(out, "\"txqlen\":777"));
    assert_non_null(strstr(out, "\"local\":\"10.0.0.1\",\"prefixlen\":24"));
    assert_non_null(strstr(out, "\"local\":\"10.9.0.1\",\"address\":\"10.9.0.2\",\"prefixlen\":32"));
    assert_non_null(strstr(out, "\"local\":\"fd00::1\",\"prefixlen\":64"));
    assert_non_null(strstr(out, "\"type\":\"tun\""));
    assert_non_null(strstr(out, "UP"));
    /* The automatic routes: the subnet of a prefix, the peer of a peer. */
    assert_int_equal(tun_test_sh(out, sizeof(out), "ip -j route show dev tcfg0"), 0);
    assert_non_null(strstr(out, "\"dst\":\"10.0.0.0/24\""));
    assert_non_null(strstr(out, "\"dst\":\"10.9.0.2\""));
    assert_int_equal(tun_test_sh(out, sizeof(out), "ip -j -6 route show dev tcfg0"), 0);
    assert_non_null(strstr(out, "\"dst\":\"fd00::/64\""));

    /* Too small an array: the first entries and the true count. */
    tun_address one;
    size_t total;
    assert_int_equal(tun_device_get_addresses(dev, &one, 1, &total), TUN_ENOBUFS);
    assert_int_equal(total, count);
    assert_int_equal(tun_device_get_addresses(dev, NULL, 0, &total), TUN_ENOBUFS);

    tun_close(dev);
    assert_false(link_exists("tcfg0"));
    assert_int_equal(tun_test_count_fds(), fds);
}

static void default_name_and_down(tun_config *cfg)
{
    assert_tun_ok(tun_config_set_up(cfg, false));
}

static void pattern_names_and_staying_down(void **state)
{
    (void)state;
    tun_config *cfg;
    assert_tun_ok(tun_config_new(&cfg));
    assert_tun_ok(tun_config_set_up(cfg, false));
    tun_device *a, *b;
    assert_tun_ok(tun_open(cfg, &a));
    assert_tun_ok(tun_open(cfg, &b));
    char na[TUN_NAME_MAX], nb[TUN_NAME_MAX];
    assert_tun_ok(tun_device_get_name(a, na, sizeof(na)));
    assert_tun_ok(tun_device_get_name(b, nb, sizeof(nb)));
    assert_int_equal(strncmp(na, "tun", 3), 0);
    assert_string_not_equal(na, nb);
    bool up = true;
    assert_tun_ok(tun_device_get_up(a, &up));
    assert_false(up);
    char small[3];
    assert_int_equal(tun_device_get_name(a, small, sizeof(small)), TUN_ENOBUFS);
    tun_close(a);
    tun_close(b);
    tun_device *c = open_tun("vpn%d", default_name_and_down);
    assert_tun_ok(tun_device_get_name(c, na, sizeof(na)));
    assert_int_equal(strncmp(na, "vpn", 3), 0);
    tun_close(c);
    tun_config_free(cfg);
}

static void tap_settings(tun_config *cfg)
{
    static const uint8_t mac[6] = {0x02, 0x11, 0x22, 0x33, 0x44, 0x55};
    assert_tun_ok(tun_config_set_layer(cfg, TUN_LAYER_L2));
    assert_tun_ok(tun_config_set_mac(cfg, mac));
    assert_tun_ok(tun_config_add_ipv4(cfg, "10.1.0.1", 24, NULL));
}

static void tap_mac_get_set(void **state)
{
    (void)state;
    tun_device *dev = open_tun("tap7", tap_settings);
    unsigned flags;
    assert_tun_ok(tun_device_get_flags(dev, &flags));
    assert_true(flags & TUN_FLAG_L2);
    uint8_t mac[6];
    assert_tun_ok(tun_device_get_mac(dev, mac));
    static const uint8_t want[6] = {0x02, 0x11, 0x22, 0x33, 0x44, 0x55};
    assert_memory_equal(mac, want, 6);
    static const uint8_t next[6] = {0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee};
    assert_tun_ok(tun_device_set_mac(dev, next));
    assert_int_equal(tun_test_sh(out, sizeof(out), "ip -j link show dev tap7"), 0);
    assert_non_null(strstr(out, "\"address\":\"02:aa:bb:cc:dd:ee\""));
    static const uint8_t multicast[6] = {0x01, 0, 0x5e, 0, 0, 1};
    assert_int_equal(tun_device_set_mac(dev, multicast), TUN_EINVAL);
    tun_close(dev);

    /* A TUN device has no MAC. */
    dev = open_tun("tun7", NULL);
    assert_int_equal(tun_device_get_mac(dev, mac), TUN_ENOTSUP);
    assert_int_equal(tun_device_set_mac(dev, next), TUN_ENOTSUP);
    tun_close(dev);
}

static void runtime_changes(void **state)
{
    (void)state;
    tun_device *dev = open_tun("trun0", with_addresses);
    assert_tun_ok(tun_device_set_mtu(dev, 9000));
    unsigned mtu;
    assert_tun_ok(tun_device_get_mtu(dev, &mtu));
    assert_int_equal(mtu, 9000);
    assert_int_equal(tun_device_set_mtu(dev, 67), TUN_ERANGE);
    assert_int_equal(tun_device_set_mtu(dev, 65536), TUN_ERANGE);
    /* Below 1280 would make Linux drop the IPv6 addresses: refused. */
    assert_int_equal(tun_device_set_mtu(dev, 1200), TUN_ERANGE);
    assert_non_null(strstr(tun_last_error(), "IPv6"));

    /* Rename while up: it comes back up under the new name. */
    assert_tun_ok(tun_device_set_name(dev, "trun1"));
    char name[TUN_NAME_MAX];
    assert_tun_ok(tun_device_get_name(dev, name, sizeof(name)));
    assert_string_equal(name, "trun1");
    bool up;
    assert_tun_ok(tun_device_get_up(dev, &up));
    assert_true(up);
    assert_int_equal(tun_device_set_name(dev, "lo"), TUN_EEXIST);
    assert_tun_ok(tun_device_get_up(dev, &up));
    assert_true(up); /* a failed rename leaves it up */
    assert_int_equal(tun_device_set_name(dev, "x%d"), TUN_EINVAL);
    assert_int_equal(tun_device_set_name(dev, "waytoolongname123"), TUN_ENAMETOOLONG);

    /* Addresses at run time. */
    assert_tun_ok(tun_device_add_ipv4(dev, "10.2.0.1", 24, NULL));
    assert_tun_ok(tun_device_add_ipv6(dev, "fd02::1", 64));
    assert_int_equal(tun_device_add_ipv4(dev, "10.2.0.1", 24, NULL), TUN_EEXIST);
    assert_int_equal(occurrences(tun_last_error(), "already on the interface"), 1);
    assert_int_equal(tun_device_add_ipv4(dev, "fd02::9", 24, NULL), TUN_EINVAL);
    assert_int_equal(tun_device_add_ipv4(dev, "10.2.0.400", 24, NULL), TUN_EINVAL);
    tun_address a;
    assert_tun_ok(tun_address_parse(&a, "10.0.0.1", 0, NULL));
    assert_tun_ok(tun_device_remove_address(dev, &a));
    assert_tun_ok(tun_address_parse(&a, "10.9.0.1", 32, NULL));
    assert_tun_ok(tun_device_remove_address(dev, &a)); /* the one with a peer */
    assert_tun_ok(tun_address_parse(&a, "fd00::1", 64, NULL));
    assert_tun_ok(tun_device_remove_address(dev, &a));
    assert_int_equal(tun_device_remove_address(dev, &a), TUN_EADDRNOTAVAIL);
    assert_int_equal(occurrences(tun_last_error(), "not on the interface"), 1);
    assert_int_equal(tun_test_sh(out, sizeof(out), "ip -j addr show dev trun1"), 0);
    assert_null(strstr(out, "\"10.0.0.1\""));
    assert_null(strstr(out, "\"10.9.0.1\""));
    assert_null(strstr(out, "\"fd00::1\""));
    assert_non_null(strstr(out, "\"10.2.0.1\""));
    assert_non_null(strstr(out, "\"fd02::1\""));
    /* Removing an address removes its automatic route. */
    assert_int_equal(tun_test_sh(out, sizeof(out), "ip -j route show dev trun1"), 0);
    assert_null(strstr(out, "10.0.0.0/24"));
    assert_non_null(strstr(out, "10.2.0.0/24"));

    assert_tun_ok(tun_device_set_up(dev, false));
    assert_tun_ok(tun_device_get_up(dev, &up));
    assert_false(up);
    tun_close(dev);
}

/* ---- packets ------------------------------------------------------------ */

static void ipv4_subnet(tun_config *cfg)
{
    assert_tun_ok(tun_config_add_ipv4(cfg, "10.3.0.1", 24, NULL));
    assert_tun_ok(tun_config_set_mtu(cfg, 1400));
}

static void read_write_and_sizes(void **state)
{
    (void)state;
    tun_device *dev = open_tun("tio0", ipv4_subnet);
    uint8_t buf[2048];
    send_udp("10.3.0.2", 7001, "hello", 5);
    int n = read_udp4(dev, buf, sizeof(buf), 7001);
    assert_int_equal(n, 20 + 8 + 5);
    assert_memory_equal(buf + 28, "hello", 5);

    /* A packet larger than the buffer is dropped whole, never truncated. */
    static uint8_t big[1000];
    send_udp("10.3.0.2", 7002, big, sizeof(big));
    int64_t deadline = now_ms() + 3000;
    for (;;) {
        n = tun_read_timeout(dev, buf, 100, 2000);
        if (n == TUN_EMSGSIZE || n < 0 || now_ms() > deadline)
            break; /* small kernel packets (RS, MLD) fit and are skipped */
    }
    assert_int_equal(n, TUN_EMSGSIZE);
    assert_non_null(strstr(tun_last_error(), "100-byte buffer"));
    send_udp("10.3.0.2", 7003, "next", 4);
    assert_int_equal(read_udp4(dev, buf, sizeof(buf), 7003), 32);

    /* Writes: refused when empty or over the MTU; a valid one arrives. */
    assert_int_equal(tun_write(dev, buf, 0), TUN_EINVAL);
    assert_int_equal(tun_write(dev, NULL, 10), TUN_EINVAL);
    static uint8_t huge[1401];
    assert_int_equal(tun_write(dev, huge, sizeof(huge)), TUN_EMSGSIZE);
    assert_non_null(strstr(tun_last_error(), "MTU 1400"));
    /* An MTU raised by someone else is seen by the next large write. */
    assert_int_equal(tun_test_sh(NULL, 0, "ip link set dev tio0 mtu 1500"), 0);
    int r = tun_write(dev, huge, sizeof(huge));
    assert_true(r == TUN_EINVAL || r == (int)sizeof(huge)); /* not valid IP */

    /* Turn the captured datagram around: 10.3.0.2:7003 -> 10.3.0.1:port. */
    int s = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(7100)};
    inet_pton(AF_INET, "10.3.0.1", &sin.sin_addr);
    assert_int_equal(bind(s, (struct sockaddr *)&sin, sizeof(sin)), 0);
    send_udp("10.3.0.2", 7004, "ping", 4);
    n = read_udp4(dev, buf, sizeof(buf), 7004);
    assert_int_equal(n, 32);
    uint8_t tmp[4];
    memcpy(tmp, buf + 12, 4);
    memcpy(buf + 12, buf + 16, 4);
    memcpy(buf + 16, tmp, 4);
    buf[22] = 7100 >> 8;
    buf[23] = 7100 & 0xff;
    buf[26] = buf[27] = 0; /* no UDP checksum */
    assert_int_equal(tun_write(dev, buf, (size_t)n), n);
    char got[16];
    struct timeval tv = {.tv_sec = 2};
    setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    assert_int_equal(recv(s, got, sizeof(got), 0), 4);
    assert_memory_equal(got, "ping", 4);
    close(s);

    /* A write to a down interface says so. */
    assert_tun_ok(tun_device_set_up(dev, false));
    assert_int_equal(tun_write(dev, buf, (size_t)n), TUN_EIO);
    assert_non_null(strstr(tun_last_error(), "down"));
    tun_close(dev);
}

static void timeout_and_nonblocking(void **state)
{
    (void)state;
    tun_device *dev = open_tun("ttmo0", ipv4_subnet);
    uint8_t buf[2048];
    /* Drain what the kernel sends on a fresh device. */
    while (tun_read_timeout(dev, buf, sizeof(buf), 0) >= 0)
        ;
    int64_t start = now_ms();
    int n;
    do {
        n = tun_read_timeout(dev, buf, sizeof(buf), 150);
    } while (n >= 0 && (buf[0] >> 4) == 6); /* late IPv6 chatter */
    int64_t took = now_ms() - start;
    assert_int_equal(n, TUN_ETIMEDOUT);
    assert_true(took >= 140 && took < 2000);
    assert_int_equal(tun_read_timeout(dev, buf, sizeof(buf), -2), TUN_EINVAL);

    assert_tun_ok(tun_device_set_nonblocking(dev, true));
    unsigned flags;
    assert_tun_ok(tun_device_get_flags(dev, &flags));
    assert_true(flags & TUN_FLAG_NONBLOCK);
    do {
        n = tun_read(dev, buf, sizeof(buf));
    } while (n >= 0);
    assert_int_equal(n, TUN_EAGAIN);
    send_udp("10.3.0.2", 7010, "x", 1);
    assert_int_equal(read_udp4(dev, buf, sizeof(buf), 7010), 29);
    tun_close(dev);
}

struct reader {
    tun_device *dev;
    int result;
    int64_t returned_at;
};

static void *blocked_reader(void *arg)
{
    struct reader *r = arg;
    uint8_t buf[2048];
    do {
        r->result = tun_read(r->dev, buf, sizeof(buf));
    } while (r->result >= 0);
    r->returned_at = now_ms();
    return NULL;
}

static tun_device *interrupt_target;
static void on_sigusr1(int sig)
{
    (void)sig;
    tun_interrupt(interrupt_target);
}

static void interrupt_blocked_reader(void **state)
{
    (void)state;
    tun_device *dev = open_tun("tint0", NULL);
    for (int round = 0; round < 2; round++) {
        struct reader r = {.dev = dev};
        pthread_t th;
        assert_int_equal(pthread_create(&th, NULL, blocked_reader, &r), 0);
        usleep(200 * 1000); /* let it block */
        int64_t asked = now_ms();
        if (round == 0) {
            assert_tun_ok(tun_interrupt(dev));
        } else {
            /* From a signal handler, as a Ctrl-C handler would. */
            interrupt_target = dev;
            signal(SIGUSR1, on_sigusr1);
            pthread_kill(th, SIGUSR1);
        }
        pthread_join(th, NULL);
        assert_int_equal(r.result, TUN_ECANCELED);
        assert_true(r.returned_at - asked < 100);
        /* It stays in force until cleared... */
        uint8_t buf[64];
        assert_int_equal(tun_read(dev, buf, sizeof(buf)), TUN_ECANCELED);
        assert_int_equal(tun_read_timeout(dev, buf, sizeof(buf), 1000), TUN_ECANCELED);
        assert_int_equal(tun_write(dev, buf, 20), TUN_ECANCELED);
        /* ...and then reads wait again. */
        assert_tun_ok(tun_interrupt_clear(dev));
        int n;
        do {
            n = tun_read_timeout(dev, buf, sizeof(buf), 50);
        } while (n >= 0);
        assert_int_equal(n, TUN_ETIMEDOUT);
    }
    signal(SIGUSR1, SIG_DFL);
    assert_int_equal(tun_interrupt(NULL), TUN_EINVAL);
    tun_close(dev);
}

static void deleted_device_reports_enodev(void **state)
{
    (void)state;
    int fds = tun_test_count_fds();
    tun_device *dev = open_tun("tdel0", NULL);
    struct reader r = {.dev = dev};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, blocked_reader, &r), 0);
    usleep(100 * 1000);
    int64_t asked = now_ms();
    assert_int_equal(tun_test_sh(NULL, 0, "ip link del dev tdel0"), 0);
    pthread_join(th, NULL);
    assert_int_equal(r.result, TUN_ENODEV);
    assert_true(r.returned_at - asked < 1000);
    uint8_t buf[32] = {0x45};
    assert_int_equal(tun_write(dev, buf, sizeof(buf)), TUN_ENODEV);
    unsigned mtu;
    assert_int_equal(tun_device_get_mtu(dev, &mtu), TUN_ENODEV);
    tun_close(dev);
    assert_int_equal(tun_test_count_fds(), fds);
}

/* ---- multi-queue ------------------------------------------------------- */

static void multi_queue(tun_config *cfg)
{
    assert_tun_ok(tun_config_set_multi_queue(cfg, true));
    assert_tun_ok(tun_config_add_ipv4(cfg, "10.4.0.1", 24, NULL));
}

static void two_queues_share_the_flows(void **state)
{
    (void)state;
    tun_device *q0 = open_tun("tmq0", multi_queue);
    tun_device *q1;
    assert_tun_ok(tun_clone_queue(q0, &q1));
    unsigned flags;
    assert_tun_ok(tun_device_get_flags(q1, &flags));
    assert_true(flags & TUN_FLAG_MULTI_QUEUE);
    char name[TUN_NAME_MAX];
    assert_tun_ok(tun_device_get_name(q1, name, sizeof(name)));
    assert_string_equal(name, "tmq0");

    /* 64 flows (one source port each): the kernel hashes them over both
     * queues; every datagram arrives on exactly one of them. */
    enum { FLOWS = 64 };
    for (int i = 0; i < FLOWS; i++) {
        int s = socket(AF_INET, SOCK_DGRAM, 0);
        struct sockaddr_in src = {.sin_family = AF_INET, .sin_port = htons((uint16_t)(20000 + i))};
        assert_int_equal(bind(s, (struct sockaddr *)&src, sizeof(src)), 0);
        struct sockaddr_in dst = {.sin_family = AF_INET, .sin_port = htons(7200)};
        inet_pton(AF_INET, "10.4.0.2", &dst.sin_addr);
        assert_int_equal(sendto(s, "q", 1, 0, (struct sockaddr *)&dst, sizeof(dst)), 1);
        close(s);
    }
    int got[2] = {0, 0};
    tun_device *queues[2] = {q0, q1};
    for (int q = 0; q < 2; q++) {
        uint8_t buf[2048];
        int n;
        while ((n = tun_read_timeout(queues[q], buf, sizeof(buf), 300)) >= 0)
            if (n == 29 && buf[9] == 17 && ((buf[22] << 8) | buf[23]) == 7200)
                got[q]++;
        assert_int_equal(n, TUN_ETIMEDOUT);
    }
    assert_int_equal(got[0] + got[1], FLOWS);
    assert_true(got[0] > 0 && got[1] > 0);

    /* A detached queue gets nothing; re-attached it works again. */
    assert_tun_ok(tun_queue_set_enabled(q1, false));
    for (int i = 0; i < 16; i++) {
        char payload[2] = {'d', (char)i};
        send_udp("10.4.0.2", (uint16_t)(7300 + i), payload, 2);
    }
    uint8_t buf[2048];
    int on_q0 = 0, n;
    while ((n = tun_read_timeout(q0, buf, sizeof(buf), 300)) >= 0)
        if (n == 30 && buf[9] == 17)
            on_q0++;
    assert_int_equal(on_q0, 16);
    assert_int_equal(tun_read_timeout(q1, buf, sizeof(buf), 0), TUN_ETIMEDOUT);
    assert_tun_ok(tun_queue_set_enabled(q1, true));

    tun_close(q0);
    assert_true(link_exists("tmq0")); /* q1 still holds it */
    tun_close(q1);
    assert_false(link_exists("tmq0"));

    /* Not multi-queue: no clone, no queue switching. */
    tun_device *single = open_tun("tsq0", NULL);
    tun_device *clone;
    assert_int_equal(tun_clone_queue(single, &clone), TUN_EINVAL);
    assert_int_equal(tun_queue_set_enabled(single, false), TUN_EINVAL);
    tun_close(single);
}

/* ---- descriptors from elsewhere ---------------------------------------- */

static int raw_tun_fd(const char *name, short flags)
{
    int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
    assert_true(fd >= 0);
    struct ifreq ifr;
    memset(&ifr, 0, sizeof(ifr));
    strcpy(ifr.ifr_name, name);
    ifr.ifr_flags = flags;
    assert_int_equal(ioctl(fd, TUNSETIFF, &ifr), 0);
    return fd;
}

static void adopt_descriptors(void **state)
{
    (void)state;
    int fds = tun_test_count_fds();

    /* Owned: tun_close() closes it and the interface goes with it. */
    int fd = raw_tun_fd("tfd0", IFF_TAP | IFF_NO_PI);
    tun_device *dev;
    assert_tun_ok(tun_open_fd(fd, 0, &dev));
    unsigned flags;
    assert_tun_ok(tun_device_get_flags(dev, &flags));
    assert_true(flags & TUN_FLAG_L2);
    assert_false(flags & (TUN_FLAG_PACKET_INFO | TUN_FLAG_BORROWED));
    assert_int_equal(tun_device_fd(dev), fd);
    assert_true(fcntl(fd, F_GETFL) & O_NONBLOCK);
    char name[TUN_NAME_MAX];
    assert_tun_ok(tun_device_get_name(dev, name, sizeof(name)));
    assert_string_equal(name, "tfd0");
    tun_close(dev);
    assert_int_equal(fcntl(fd, F_GETFD), -1);
    assert_false(link_exists("tfd0"));

    /* Borrowed: the fd outlives the handle. */
    fd = raw_tun_fd("tfd1", IFF_TUN);
    assert_tun_ok(tun_open_fd(fd, TUN_FD_BORROW, &dev));
    assert_tun_ok(tun_device_get_flags(dev, &flags));
    assert_true(flags & TUN_FLAG_PACKET_INFO);
    assert_true(flags & TUN_FLAG_BORROWED);
    assert_tun_ok(tun_device_add_ipv4(dev, "10.5.0.1", 24, NULL));
    assert_tun_ok(tun_device_set_up(dev, true));
    tun_close(dev);
    assert_true(fcntl(fd, F_GETFD) >= 0);
    assert_true(link_exists("tfd1"));

    /* Raw: packets only, no interface calls. */
    assert_tun_ok(tun_open_fd(fd, TUN_FD_BORROW | TUN_FD_RAW, &dev));
    unsigned mtu;
    assert_int_equal(tun_device_get_mtu(dev, &mtu), TUN_ENOTSUP);
    assert_non_null(strstr(tun_last_error(), "TUN_FD_RAW"));
    tun_close(dev);
    close(fd);

    /* Refusals. */
    assert_int_equal(tun_open_fd(-1, 0, &dev), TUN_EINVAL);
    int closed = dup(0);
    close(closed);
    assert_int_equal(tun_open_fd(closed, 0, &dev), TUN_EBADF);
    assert_non_null(strstr(tun_last_error(), "not open"));
    int null_fd = open("/dev/null", O_RDWR);
    assert_int_equal(tun_open_fd(null_fd, TUN_FD_BORROW, &dev), TUN_ENOTTY);
    assert_non_null(strstr(tun_last_error(), "not a TUN/TAP device"));
    close(null_fd);
    int unattached = open("/dev/net/tun", O_RDWR);
    assert_int_equal(tun_open_fd(unattached, TUN_FD_BORROW, &dev), TUN_EBADF);
    assert_non_null(strstr(tun_last_error(), "not attached"));
    close(unattached);
    assert_int_equal(tun_open_fd(0, 0x100, &dev), TUN_EINVAL);
    assert_int_equal(tun_open_fd(0, 0, NULL), TUN_EINVAL);
    assert_int_equal(tun_test_count_fds(), fds);
}

/* ---- persistence and ownership ----------------------------------------- */

static void persistent(tun_config *cfg)
{
    assert_tun_ok(tun_config_set_persist(cfg, true));
    assert_tun_ok(tun_config_set_owner(cfg, 65534));
    assert_tun_ok(tun_config_set_group(cfg, 65534));
}

static void persist_and_reattach(void **state)
{
    (void)state;
    tun_device *dev = open_tun("tper0", persistent);
    unsigned flags;
    assert_tun_ok(tun_device_get_flags(dev, &flags));
    assert_true(flags & TUN_FLAG_PERSIST);
    tun_close(dev);
    assert_true(link_exists("tper0"));
    assert_int_equal(tun_test_sh(out, sizeof(out), "ip -d -j link show dev tper0"), 0);
    assert_non_null(strstr(out, "\"user\":\"nobody\""));

    /* Opening it again attaches to it. */
    tun_config *cfg;
    assert_tun_ok(tun_config_new(&cfg));
    assert_tun_ok(tun_config_set_name(cfg, "tper0"));
    assert_tun_ok(tun_open(cfg, &dev));
    tun_close(dev);
    assert_true(link_exists("tper0"));

    /* A failing step leaves the interface there (it is not this call's to
     * remove) and takes back only the addresses this call added. */
    assert_int_equal(tun_test_sh(NULL, 0, "ip addr add 10.6.0.1/24 dev tper0"), 0);
    assert_tun_ok(tun_config_add_ipv4(cfg, "10.6.0.2", 24, NULL));
    assert_tun_ok(tun_config_add_ipv4(cfg, "10.6.0.1", 24, NULL));
    dev = NULL;
    assert_int_equal(tun_open(cfg, &dev), TUN_EEXIST);
    assert_null(dev);
    assert_int_equal(occurrences(tun_last_error(), "already on the interface"), 1);
    tun_config_free(cfg);
    assert_true(link_exists("tper0"));
    assert_int_equal(tun_test_sh(out, sizeof(out), "ip -j addr show dev tper0"), 0);
    assert_non_null(strstr(out, "\"10.6.0.1\""));
    assert_null(strstr(out, "\"10.6.0.2\""));
    assert_int_equal(tun_test_sh(NULL, 0, "ip link del dev tper0"), 0);
}

/* ---- failures leave nothing behind -------------------------------------- */

static int count_links(void)
{
    char buf[4096];
    assert_int_equal(tun_test_sh(buf, sizeof(buf), "ip -o link show | wc -l"), 0);
    return atoi(buf);
}

static void failed_open_leaves_nothing(void **state)
{
    (void)state;
    int fds = tun_test_count_fds();
    int links = count_links();
    tun_config *cfg;
    tun_device *dev = NULL;

    /* A late step fails (IPv6 is off for new interfaces here, so the IPv6
     * address is refused after the device and its IPv4 address exist). */
    assert_int_equal(tun_test_sh(NULL, 0, "sysctl -qw net.ipv6.conf.default.disable_ipv6=1"), 0);
    assert_tun_ok(tun_config_new(&cfg));
    assert_tun_ok(tun_config_set_name(cfg, "tfail0"));
    assert_tun_ok(tun_config_set_mtu(cfg, 1500));
    assert_tun_ok(tun_config_add_ipv4(cfg, "10.7.0.1", 24, NULL));
    assert_tun_ok(tun_config_add_ipv6(cfg, "fd07::1", 64));
    assert_tun_ok(tun_config_set_persist(cfg, true));
    int rc = tun_open(cfg, &dev);
    assert_true(rc < 0);
    assert_null(dev);
    assert_non_null(strstr(tun_last_error(), "adding address fd07::1/64 to tfail0"));
    assert_false(link_exists("tfail0"));
    assert_int_equal(tun_test_sh(NULL, 0, "sysctl -qw net.ipv6.conf.default.disable_ipv6=0"), 0);
    tun_config_free(cfg);

    /* Invalid combinations are refused before anything is created. */
    assert_tun_ok(tun_config_new(&cfg));
    assert_tun_ok(tun_config_set_name(cfg, "tfail1"));
    static const uint8_t mac[6] = {0x02, 0, 0, 0, 0, 1};
    assert_tun_ok(tun_config_set_mac(cfg, mac));
    assert_int_equal(tun_open(cfg, &dev), TUN_EINVAL); /* MAC on TUN */
    assert_tun_ok(tun_config_set_layer(cfg, TUN_LAYER_L2));
    assert_tun_ok(tun_config_set_offload(cfg, true));
    assert_int_equal(tun_open(cfg, &dev), TUN_ENOTSUP); /* offload on TAP */
    assert_tun_ok(tun_config_set_offload(cfg, false));
    assert_tun_ok(tun_config_set_layer(cfg, TUN_LAYER_L3));
    tun_config_free(cfg);
    assert_tun_ok(tun_config_new(&cfg));
    assert_tun_ok(tun_config_add_ipv6(cfg, "fd08::1", 64));
    assert_tun_ok(tun_config_set_mtu(cfg, 1000));
    assert_int_equal(tun_open(cfg, &dev), TUN_ERANGE);
    tun_config_free(cfg);

    /* The name belongs to another kind of interface. */
    assert_tun_ok(tun_config_new(&cfg));
    assert_tun_ok(tun_config_set_name(cfg, "lo"));
    rc = tun_open(cfg, &dev);
    assert_int_equal(rc, TUN_EINVAL);
    assert_non_null(strstr(tun_last_error(), "TUNSETIFF \"lo\""));
    assert_non_null(strstr(tun_last_error(), "of another kind"));
    assert_null(strstr(tun_last_error(), "has open"));
    tun_config_free(cfg);

    /* The name is a TUN device another descriptor has open. */
    tun_device *holder;
    assert_tun_ok(tun_config_new(&cfg));
    assert_tun_ok(tun_config_set_name(cfg, "tbusy0"));
    assert_tun_ok(tun_open(cfg, &holder));
    assert_int_equal(tun_open(cfg, &dev), TUN_EBUSY);
    assert_non_null(strstr(tun_last_error(), "another descriptor"));
    assert_null(strstr(tun_last_error(), "another kind"));
    tun_close(holder);
    tun_config_free(cfg);
    assert_int_equal(tun_open(NULL, &dev), TUN_EINVAL);

    assert_null(dev);
    assert_false(link_exists("tfail1"));
    assert_int_equal(count_links(), links);
    assert_int_equal(tun_test_count_fds(), fds);
}

/* Run fn in a child process; return its exit status. */
static int in_child(void (*fn)(void))
{
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        fn();
        _exit(0);
    }
    int status;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 99;
}

/* In a child: tun_open() of a default configuration; its result. */
static int open_default_device(void)
{
    tun_config *cfg;
    tun_device *dev;
    if (tun_config_new(&cfg) != 0)
        _exit(3);
    int rc = tun_open(cfg, &dev);
    tun_config_free(cfg);
    return rc;
}

/* In a child: a private mount namespace with an empty tmpfs over
 * /dev/net. */
static void private_dev_net(void)
{
    if (unshare(CLONE_NEWNS) != 0 ||
        mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0 ||
        mount("tmpfs", "/dev/net", "tmpfs", 0, NULL) != 0)
        _exit(2);
}

static void open_as_nobody(void)
{
    if (setgid(65534) != 0 || setuid(65534) != 0)
        _exit(2);
    int rc = open_default_device();
    /* EACCES (the next test) where /dev/net/tun itself is not open to
     * everyone. */
    if ((rc != TUN_EPERM || !strstr(tun_last_error(), "CAP_NET_ADMIN")) &&
        (rc != TUN_EACCES || !strstr(tun_last_error(), "mode"))) {
        fprintf(stderr, "as nobody: %s: %s\n", tun_err_name(rc), tun_last_error());
        _exit(4);
    }
}

/* A user that is not root but has CAP_NET_ADMIN, and a /dev/net/tun of
 * mode 0600 owned by root: the node's permissions refuse it, which the
 * reason must say (not "needs CAP_NET_ADMIN"). */
static void open_closed_node_with_cap_net_admin(void)
{
    private_dev_net();
    if (mknod("/dev/net/tun", S_IFCHR | 0600, makedev(10, 200)) != 0 ||
        chmod("/dev/net/tun", 0600) != 0)
        _exit(2);
    struct __user_cap_header_struct header = {
        .version = _LINUX_CAPABILITY_VERSION_3};
    struct __user_cap_data_struct caps[2];
    memset(caps, 0, sizeof(caps));
    caps[0].effective = caps[0].permitted = 1u << CAP_NET_ADMIN;
    if (prctl(PR_SET_KEEPCAPS, 1) != 0 || setgid(65534) != 0 ||
        setuid(65534) != 0 || syscall(SYS_capset, &header, caps) != 0)
        _exit(5);
    int rc = open_default_device();
    const char *why = tun_last_error();
    if (rc != TUN_EACCES || !strstr(why, "mode 0600") ||
        !strstr(why, "owner 0") || !strstr(why, "uid 65534") ||
        !strstr(why, "udev") || strstr(why, "setcap")) {
        fprintf(stderr, "closed node: %s: %s\n", tun_err_name(rc), why);
        _exit(4);
    }
}

static void open_without_dev_net_tun(void)
{
    private_dev_net();
    int rc = open_default_device();
    if (rc != TUN_ENOENT || !strstr(tun_last_error(), "modprobe tun")) {
        fprintf(stderr, "no /dev/net/tun: %s: %s\n", tun_err_name(rc), tun_last_error());
        _exit(4);
    }
}

static void privilege_and_module_errors(void **state)
{
    (void)state;
    assert_int_equal(in_child(open_as_nobody), 0);
    assert_int_equal(in_child(open_closed_node_with_cap_net_admin), 0);
    assert_int_equal(in_child(open_without_dev_net_tun), 0);
}

int main(void)
{
    tun_test_enter_netns();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(tun_with_addresses_matches_ip),
        cmocka_unit_test(pattern_names_and_staying_down),
        cmocka_unit_test(tap_mac_get_set),
        cmocka_unit_test(runtime_changes),
        cmocka_unit_test(read_write_and_sizes),
        cmocka_unit_test(timeout_and_nonblocking),
        cmocka_unit_test(interrupt_blocked_reader),
        cmocka_unit_test(deleted_device_reports_enodev),
        cmocka_unit_test(two_queues_share_the_flows),
        cmocka_unit_test(adopt_descriptors),
        cmocka_unit_test(persist_and_reattach),
        cmocka_unit_test(failed_open_leaves_nothing),
        cmocka_unit_test(privilege_and_module_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
