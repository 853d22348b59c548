/* The control plane against the running kernel, inside a private network
 * namespace: counters, carrier and routes as libtun reports and changes
 * them, each checked independently with `ip -j`. */
#include "testutil.h"

#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

/* `ip -j <args>` output, which must succeed. */
static void ip_json(char *out, size_t size, const char *args)
{
    assert_int_equal(tun_test_sh(out, size, "ip -j %s", args), 0);
}

static void assert_ip_shows(const char *args, const char *needle)
{
    char out[16384];
    ip_json(out, sizeof(out), args);
    if (!strstr(out, needle))
        print_error("`ip -j %s` lacks %s:\n%s\n", args, needle, out);
    assert_non_null(strstr(out, needle));
}

static void assert_ip_lacks(const char *args, const char *needle)
{
    char out[16384];
    ip_json(out, sizeof(out), args);
    if (strstr(out, needle))
        print_error("`ip -j %s` has %s:\n%s\n", args, needle, out);
    assert_null(strstr(out, needle));
}

/* A TUN device with 10.0.0.1/24 and no IPv6 (so that the kernel sends
 * nothing through it by itself: no router or multicast solicitations),
 * brought up. */
static tun_device *open_quiet(const char *name)
{
    tun_config *cfg;
    tun_device *dev;
    assert_tun_ok(tun_config_new(&cfg));
    assert_tun_ok(tun_config_set_name(cfg, name));
    assert_tun_ok(tun_config_add_ipv4(cfg, "10.0.0.1", 24, NULL));
    assert_tun_ok(tun_config_set_up(cfg, false));
    assert_tun_ok(tun_open(cfg, &dev));
    tun_config_free(cfg);
    assert_int_equal(tun_test_sh(NULL, 0, "sysctl -qw "
                                 "net.ipv6.conf.%s.disable_ipv6=1", name), 0);
    assert_tun_ok(tun_device_set_up(dev, true));
    return dev;
}

/* The counters `ip -s -j link show` prints for the device. */
static tun_stats ip_stats(const char *name)
{
    char out[16384], args[64];
    snprintf(args, sizeof(args), "-s link show dev %s", name);
    ip_json(out, sizeof(out), args);
    tun_stats s;
    unsigned long long v[8];
    const char *rx = strstr(out, "\"rx\":{");
    const char *tx = strstr(out, "\"tx\":{");
    assert_non_null(rx);
    assert_non_null(tx);
    assert_int_equal(sscanf(rx, "\"rx\":{\"bytes\":%llu,\"packets\":%llu,"
                            "\"errors\":%llu,\"dropped\":%llu", &v[0], &v[1],
                            &v[2], &v[3]), 4);
    assert_int_equal(sscanf(tx, "\"tx\":{\"bytes\":%llu,\"packets\":%llu,"
                            "\"errors\":%llu,\"dropped\":%llu", &v[4], &v[5],
                            &v[6], &v[7]), 4);
    s.rx_bytes = v[0];
    s.rx_packets = v[1];
    s.rx_errors = v[2];
    s.rx_dropped = v[3];
    s.tx_bytes = v[4];
    s.tx_packets = v[5];
    s.tx_errors = v[6];
    s.tx_dropped = v[7];
    return s;
}

static void assert_stats_equal(const tun_stats *got, const tun_stats *want)
{
    assert_int_equal(got->rx_packets, want->rx_packets);
    assert_int_equal(got->rx_bytes, want->rx_bytes);
    assert_int_equal(got->rx_errors, want->rx_errors);
    assert_int_equal(got->rx_dropped, want->rx_dropped);
    assert_int_equal(got->tx_packets, want->tx_packets);
    assert_int_equal(got->tx_bytes, want->tx_bytes);
    assert_int_equal(got->tx_errors, want->tx_errors);
    assert_int_equal(got->tx_dropped, want->tx_dropped);
}

static int udp_socket(const char *addr, uint16_t port)
{
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    assert_true(s >= 0);
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(port)};
    assert_int_equal(inet_pton(AF_INET, addr, &sin.sin_addr), 1);
    assert_int_equal(bind(s, (struct sockaddr *)&sin, sizeof(sin)), 0);
    return s;
}

static void stats_match_ip_and_traffic(void **state)
{
    (void)state;
    tun_device *dev = open_quiet("ctl0");
    tun_stats before, after;
    assert_tun_ok(tun_device_get_stats(dev, &before));
    tun_stats ip = ip_stats("ctl0");
    assert_stats_equal(&before, &ip);

    /* rx: 10 datagrams the application writes, to a socket on the device's
     * address (so the kernel answers none of them). */
    int sink = udp_socket("10.0.0.1", 5000);
    uint8_t pkt[256], payload[100] = {0};
    uint64_t rx_bytes = 0;
    for (int i = 0; i < 10; i++) {
        size_t len = tun_test_udp4(pkt, "10.0.0.2", 4000, "10.0.0.1", 5000,
                                   payload, 10 + (size_t)i * 9);
        assert_int_equal(tun_write(dev, pkt, len), (int)len);
        rx_bytes += len;
    }
    for (int i = 0; i < 10; i++) {
        struct pollfd p = {.fd = sink, .events = POLLIN};
        assert_int_equal(poll(&p, 1, 2000), 1);
        assert_true(recv(sink, payload, sizeof(payload), 0) >= 0);
    }
    /* A packet that is neither IPv4 nor IPv6: the kernel drops it. */
    pkt[0] = 0x50;
    assert_int_equal(tun_write(dev, pkt, 40), TUN_EINVAL);

    /* tx: 5 datagrams the system sends through the device, read back. */
    int src = udp_socket("10.0.0.1", 6000);
    struct sockaddr_in peer = {.sin_family = AF_INET, .sin_port = htons(9)};
    inet_pton(AF_INET, "10.0.0.2", &peer.sin_addr);
    uint64_t tx_bytes = 0;
    for (int i = 0; i < 5; i++) {
        assert_int_equal(sendto(src, payload, 20, 0, (struct sockaddr *)&peer,
                                sizeof(peer)), 20);
        int n = tun_read_timeout(dev, pkt, sizeof(pkt), 2000);
        assert_int_equal(n, 48);
        tx_bytes += (uint64_t)n;
    }
    assert_tun_ok(tun_device_get_stats(dev, &after));
    assert_int_equal(after.rx_packets - before.rx_packets, 10);
    assert_int_equal(after.rx_bytes - before.rx_bytes, rx_bytes);
    assert_int_equal(after.rx_dropped - before.rx_dropped, 1);
    assert_int_equal(after.tx_packets - before.tx_packets, 5);
    assert_int_equal(after.tx_bytes - before.tx_bytes, tx_bytes);
    ip = ip_stats("ctl0");
    assert_stats_equal(&after, &ip);

    /* tx drops: a queue of 4 packets that nobody reads. */
    assert_int_equal(tun_test_sh(NULL, 0, "ip link set dev ctl0 txqueuelen 4"),
                     0);
    for (int i = 0; i < 40; i++)
        sendto(src, payload, 20, 0, (struct sockaddr *)&peer, sizeof(peer));
    assert_tun_ok(tun_device_get_stats(dev, &after));
    assert_true(after.tx_dropped > before.tx_dropped);
    ip = ip_stats("ctl0");
    assert_stats_equal(&after, &ip);

    close(sink);
    close(src);
    tun_close(dev);
}

static void carrier_switches_as_ip_sees_it(void **state)
{
    (void)state;
    tun_device *dev = open_quiet("ctl1");
    bool on = false;
    assert_tun_ok(tun_device_get_carrier(dev, &on));
    assert_true(on);
    assert_ip_lacks("link show dev ctl1", "NO-CARRIER");

    assert_tun_ok(tun_device_set_carrier(dev, false));
    assert_tun_ok(tun_device_get_carrier(dev, &on));
    assert_false(on);
    assert_ip_shows("link show dev ctl1", "NO-CARRIER");
    assert_ip_shows("link show dev ctl1", "\"operstate\":\"DOWN\"");
    /* Still up and still there: only the link is reported down. */
    bool up = false;
    assert_tun_ok(tun_device_get_up(dev, &up));
    assert_true(up);

    assert_tun_ok(tun_device_set_carrier(dev, true));
    assert_tun_ok(tun_device_get_carrier(dev, &on));
    assert_true(on);
    assert_ip_lacks("link show dev ctl1", "NO-CARRIER");

    assert_int_equal(tun_device_set_carrier(NULL, true), TUN_EINVAL);
    assert_int_equal(tun_device_get_carrier(dev, NULL), TUN_EINVAL);
    tun_close(dev);
}

static tun_route route_of(const char *dest, unsigned prefix, const char *gw,
                          unsigned metric)
{
    tun_route r;
    assert_tun_ok(tun_route_parse(&r, dest, prefix, gw, metric));
    return r;
}

/* Whether tun_device_get_routes() lists a route formatted as text, and
 * that it lists as many routes of the device as `ip` shows. */
static bool lists_route(tun_device *dev, const char *text)
{
    tun_route routes[32];
    size_t count;
    assert_tun_ok(tun_device_get_routes(dev, routes, 32, &count));
    bool found = false;
    for (size_t i = 0; i < count; i++) {
        char t[TUN_ROUTESTRLEN];
        assert_true(tun_route_format(&routes[i], t, sizeof(t)) > 0);
        found |= strcmp(t, text) == 0;
    }
    return found;
}

static size_t route_count(tun_device *dev)
{
    size_t count;
    int rc = tun_device_get_routes(dev, NULL, 0, &count);
    assert_true(rc == 0 || rc == TUN_ENOBUFS);
    return count;
}

/* Routes `ip route show table all` lists for the device, but for the local
 * table's. */
static size_t ip_route_count(const char *name)
{
    char out[16384];
    assert_int_equal(tun_test_sh(out, sizeof(out), "{ ip -4 route show table "
                                 "all dev %s; ip -6 route show table all dev "
                                 "%s; } | grep -vc 'table local'", name, name),
                     0);
    size_t n = 0;
    assert_int_equal(sscanf(out, "%zu", &n), 1);
    return n;
}

static void routes_match_ip(void **state)
{
    (void)state;
    tun_device *dev = tun_test_open_tun("ctl2", "10.0.0.1", false);
    assert_tun_ok(tun_device_add_ipv6(dev, "fd00::1", 64));
    size_t kernel_routes = route_count(dev);
    assert_int_equal(kernel_routes, ip_route_count("ctl2"));
    assert_true(lists_route(dev, "10.0.0.0/24"));
    assert_true(lists_route(dev, "fd00::/64 metric 256"));

    /* A gateway the device does not reach (no route covers it yet). */
    tun_route far = route_of("10.3.0.0", 16, "192.168.9.9", 0);
    assert_int_equal(tun_device_add_route(dev, &far), TUN_ENETUNREACH);
    assert_non_null(strstr(tun_last_error(), "10.3.0.0/16 via 192.168.9.9"));
    assert_ip_lacks("route show table all", "10.3.0.0");
    /* IPv6 says EHOSTUNREACH for the same: the same code and hint. */
    tun_route far6 = route_of("fd08::", 32, "fd99::9", 0);
    assert_int_equal(tun_device_add_route(dev, &far6), TUN_ENETUNREACH);
    assert_non_null(strstr(tun_last_error(), "not reachable"));
    tun_route r1 = route_of("10.1.0.0", 16, NULL, 5);
    tun_route r2 = route_of("10.2.0.0", 16, "10.0.0.2", 0);
    tun_route r3 = route_of("fd00:2::", 48, "fd00::2", 100);
    tun_route r4 = route_of("0.0.0.0", 0, NULL, 900);
    tun_route r5 = route_of("10.5.0.0", 16, NULL, 0);
    r5.table = 1000;
    assert_tun_ok(tun_device_add_route(dev, &r1));
    assert_tun_ok(tun_device_add_route(dev, &r2));
    assert_tun_ok(tun_device_add_route(dev, &r3));
    assert_tun_ok(tun_device_add_route(dev, &r4));
    assert_tun_ok(tun_device_add_route(dev, &r5));
    assert_ip_shows("route show dev ctl2",
                    "{\"dst\":\"10.1.0.0/16\",\"protocol\":\"static\","
                    "\"scope\":\"link\",\"metric\":5,");
    assert_ip_shows("route show dev ctl2",
                    "{\"dst\":\"10.2.0.0/16\",\"gateway\":\"10.0.0.2\"");
    assert_ip_shows("route show dev ctl2", "{\"dst\":\"default\"");
    assert_ip_shows("-6 route show dev ctl2",
                    "{\"dst\":\"fd00:2::/48\",\"gateway\":\"fd00::2\","
                    "\"protocol\":\"static\",\"metric\":100,");
    assert_ip_shows("route show table 1000", "{\"dst\":\"10.5.0.0/16\","
                    "\"dev\":\"ctl2\"");
    assert_int_equal(route_count(dev), kernel_routes + 5);
    assert_int_equal(route_count(dev), ip_route_count("ctl2"));
    assert_true(lists_route(dev, "10.1.0.0/16 metric 5"));
    assert_true(lists_route(dev, "10.2.0.0/16 via 10.0.0.2"));
    assert_true(lists_route(dev, "fd00:2::/48 via fd00::2 metric 100"));
    assert_true(lists_route(dev, "default metric 900"));
    assert_true(lists_route(dev, "10.5.0.0/16 table 1000"));

    /* Too small an array: the count, the first entries, TUN_ENOBUFS. */
    tun_route two[2];
    size_t count = 0;
    assert_int_equal(tun_device_get_routes(dev, two, 2, &count), TUN_ENOBUFS);
    assert_int_equal(count, kernel_routes + 5);

    /* The kernel's refusals, each naming the route. */
    assert_int_equal(tun_device_add_route(dev, &r1), TUN_EEXIST);
    assert_non_null(strstr(tun_last_error(), "10.1.0.0/16 metric 5"));

    /* Bad input: refused before the kernel, nothing changes. */
    tun_route bad = r1;
    bad.prefix = 33;
    assert_int_equal(tun_device_add_route(dev, &bad), TUN_EINVAL);
    bad = r1;
    bad.dest[3] = 1; /* 10.1.0.1/16 */
    assert_int_equal(tun_device_add_route(dev, &bad), TUN_EINVAL);
    assert_int_equal(tun_device_add_route(dev, NULL), TUN_EINVAL);
    assert_int_equal(tun_route_parse(&bad, "10.0.0.0", 8, "fd00::2", 0),
                     TUN_EINVAL);
    assert_int_equal(route_count(dev), kernel_routes + 5);

    /* Removal: by destination alone (any metric), then gone. */
    tun_route pattern = route_of("10.1.0.0", 16, NULL, 0);
    assert_tun_ok(tun_device_remove_route(dev, &pattern));
    assert_ip_lacks("route show dev ctl2", "10.1.0.0/16");
    assert_int_equal(tun_device_remove_route(dev, &pattern), TUN_ENOENT);
    assert_non_null(strstr(tun_last_error(), "10.1.0.0/16"));
    /* A metric or gateway that differs does not match. */
    tun_route other_gw = route_of("10.2.0.0", 16, "10.0.0.3", 0);
    assert_int_equal(tun_device_remove_route(dev, &other_gw), TUN_ENOENT);
    tun_route other_metric = route_of("fd00:2::", 48, NULL, 101);
    assert_int_equal(tun_device_remove_route(dev, &other_metric), TUN_ENOENT);
    assert_tun_ok(tun_device_remove_route(dev, &r2));
    assert_tun_ok(tun_device_remove_route(dev, &r3));
    assert_tun_ok(tun_device_remove_route(dev, &r4));
    assert_tun_ok(tun_device_remove_route(dev, &r5));
    assert_int_equal(route_count(dev), kernel_routes);
    assert_int_equal(route_count(dev), ip_route_count("ctl2"));

    /* Another device's route is never this device's to remove. */
    tun_device *other = tun_test_open_tun("ctl3", "10.0.9.1", false);
    tun_route theirs = route_of("10.9.0.0", 16, NULL, 0);
    assert_tun_ok(tun_device_add_route(other, &theirs));
    assert_int_equal(tun_device_remove_route(dev, &theirs), TUN_ENOENT);
    assert_ip_shows("route show dev ctl3", "10.9.0.0/16");
    assert_false(lists_route(dev, "10.9.0.0/16"));
    tun_close(other);
    tun_close(dev);
}

static void config_routes_come_with_open(void **state)
{
    (void)state;
    tun_config *cfg;
    tun_device *dev;
    assert_tun_ok(tun_config_new(&cfg));
    assert_tun_ok(tun_config_set_name(cfg, "ctl4"));
    assert_tun_ok(tun_config_add_ipv4(cfg, "10.0.0.1", 24, NULL));
    assert_tun_ok(tun_config_add_ipv6(cfg, "fd00::1", 64));
    tun_route via = route_of("10.7.0.0", 16, "10.0.0.2", 0);
    tun_route v6 = route_of("fd07::", 32, NULL, 10);
    assert_tun_ok(tun_config_add_route(cfg, &via));
    assert_tun_ok(tun_config_add_route(cfg, &v6));
    assert_tun_ok(tun_open(cfg, &dev));
    assert_ip_shows("route show dev ctl4",
                    "{\"dst\":\"10.7.0.0/16\",\"gateway\":\"10.0.0.2\"");
    assert_ip_shows("-6 route show dev ctl4", "{\"dst\":\"fd07::/32\"");
    assert_true(lists_route(dev, "fd07::/32 metric 10"));
    tun_close(dev);

    /* A route the kernel refuses fails the open, and no device is left. */
    int links = tun_test_count_links();
    tun_route far = route_of("10.8.0.0", 16, "192.168.9.9", 0);
    assert_tun_ok(tun_config_add_route(cfg, &far));
    assert_int_equal(tun_open(cfg, &dev), TUN_ENETUNREACH);
    assert_non_null(strstr(tun_last_error(), "10.8.0.0/16 via 192.168.9.9"));
    assert_int_equal(tun_test_count_links(), links);
    assert_ip_lacks("link show", "ctl4");
    tun_config_free(cfg);
}

/* A failed open takes back exactly the routes it added: on a persistent
 * device that already has a route to the same IPv6 prefix (of a lower
 * metric, which a removal of "metric 0" would find first), that one stays. */
static void failed_open_removes_only_its_routes(void **state)
{
    (void)state;
    assert_int_equal(tun_test_sh(NULL, 0, "ip tuntap add dev ctl9 mode tun && "
                                 "ip link set ctl9 up && ip -6 route add "
                                 "fd09::/32 dev ctl9 metric 100"), 0);
    tun_config *cfg;
    tun_device *dev;
    assert_tun_ok(tun_config_new(&cfg));
    assert_tun_ok(tun_config_set_name(cfg, "ctl9"));
    tun_route v6 = route_of("fd09::", 32, NULL, 0);
    tun_route far = route_of("10.8.0.0", 16, "192.168.9.9", 0);
    assert_tun_ok(tun_config_add_route(cfg, &v6));
    assert_tun_ok(tun_config_add_route(cfg, &far));
    assert_int_equal(tun_open(cfg, &dev), TUN_ENETUNREACH);
    tun_config_free(cfg);
    assert_ip_shows("-6 route show dev ctl9", "\"metric\":100");
    assert_ip_lacks("-6 route show dev ctl9", "\"metric\":1024");
    assert_int_equal(tun_test_sh(NULL, 0, "ip tuntap del dev ctl9 mode tun"),
                     0);
}

/* A failed open leaves a persistent device's link settings as they were:
 * its MTU, its MAC (TAP) and its link state, all of which the open had
 * changed before its route step failed. */
static void failed_open_restores_link_settings(void **state)
{
    (void)state;
    static const struct {
        const char *name, *mode;
    } devices[] = {{"ctl10", "tun"}, {"ctl11", "tap"}};
    static const uint8_t mac[6] = {0x02, 0, 0, 0, 0, 0xbb};
    for (size_t i = 0; i < 2; i++) {
        const char *name = devices[i].name, *mode = devices[i].mode;
        bool tap = strcmp(mode, "tap") == 0;
        assert_int_equal(tun_test_sh(NULL, 0, "ip tuntap add dev %s mode %s "
                                     "&& ip link set %s mtu 1400 txqueuelen "
                                     "900", name, mode, name), 0);
        if (tap)
            assert_int_equal(tun_test_sh(NULL, 0, "ip link set %s address "
                                         "02:00:00:00:00:aa", name), 0);
        tun_config *cfg;
        tun_device *dev;
        assert_tun_ok(tun_config_new(&cfg));
        assert_tun_ok(tun_config_set_name(cfg, name));
        if (tap) {
            assert_tun_ok(tun_config_set_layer(cfg, TUN_LAYER_L2));
            assert_tun_ok(tun_config_set_mac(cfg, mac));
        }
        assert_tun_ok(tun_config_set_mtu(cfg, 1300));
        assert_tun_ok(tun_config_set_txqueuelen(cfg, 700));
        tun_route far = route_of("10.8.0.0", 16, "192.168.9.9", 0);
        assert_tun_ok(tun_config_add_route(cfg, &far));
        int rc = tun_open(cfg, &dev);
        /* The reason is the route's, not an undo step's. */
        bool route_named =
            strstr(tun_last_error(), "10.8.0.0/16 via 192.168.9.9") != NULL;
        tun_config_free(cfg);
        char args[64];
        snprintf(args, sizeof(args), "link show dev %s", name);
        char shown[4096] = "";
        (void)tun_test_sh(shown, sizeof(shown), "ip -j %s", args);
        /* Gone before anything is asserted, so that a failure here leaves
         * nothing for the next run. */
        assert_int_equal(tun_test_sh(NULL, 0, "ip tuntap del dev %s mode %s",
                                     name, mode), 0);
        assert_int_equal(rc, TUN_ENETUNREACH);
        assert_true(route_named);
        assert_non_null(strstr(shown, "\"mtu\":1400"));
        assert_non_null(strstr(shown, "\"txqlen\":900"));
        assert_null(strstr(shown, "\"UP\""));
        if (tap)
            assert_non_null(strstr(shown, "\"address\":\"02:00:00:00:00:aa\""));
    }
}

/* Without the automatic route an address brings no route with it, at open
 * and at run time; routes come only from the application. */
static void addresses_without_auto_route(void **state)
{
    (void)state;
    tun_config *cfg;
    tun_device *dev;
    assert_tun_ok(tun_config_new(&cfg));
    assert_tun_ok(tun_config_set_name(cfg, "ctl6"));
    assert_tun_ok(tun_config_set_auto_route(cfg, false));
    assert_tun_ok(tun_config_add_ipv4(cfg, "10.0.0.1", 24, NULL));
    assert_tun_ok(tun_config_add_ipv4(cfg, "10.0.1.1", 32, "10.0.1.2"));
    assert_tun_ok(tun_config_add_ipv6(cfg, "fd00::1", 64));
    tun_route mine = route_of("10.6.0.0", 16, NULL, 0);
    assert_tun_ok(tun_config_add_route(cfg, &mine));
    assert_tun_ok(tun_open(cfg, &dev));
    tun_config_free(cfg);
    assert_ip_shows("addr show dev ctl6", "\"local\":\"10.0.0.1\"");
    assert_ip_lacks("route show dev ctl6", "10.0.0.0/24");
    assert_ip_lacks("route show dev ctl6", "10.0.1.2");
    assert_ip_lacks("-6 route show dev ctl6", "fd00::/64");
    assert_ip_shows("route show dev ctl6", "10.6.0.0/16");
    assert_true(lists_route(dev, "10.6.0.0/16"));
    assert_false(lists_route(dev, "10.0.0.0/24"));

    assert_tun_ok(tun_device_add_ipv4(dev, "10.0.5.1", 24, NULL));
    assert_ip_lacks("route show dev ctl6", "10.0.5.0/24");
    assert_int_equal(route_count(dev), ip_route_count("ctl6"));
    tun_close(dev);

    /* The default: the kernel's subnet route comes with the address. */
    dev = tun_test_open_tun("ctl7", "10.0.0.1", false);
    assert_ip_shows("route show dev ctl7", "10.0.0.0/24");
    tun_close(dev);
}

/* Without privilege: a route is refused with TUN_EPERM, naming the route
 * and the fix; reading works, and so does the carrier, which belongs to
 * whoever holds the descriptor. In a child that became nobody. */
static void without_privilege(void **state)
{
    (void)state;
    tun_device *dev = tun_test_open_tun("ctl8", "10.0.0.1", false);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        if (setgid(65534) != 0 || setuid(65534) != 0)
            _exit(2);
        tun_route r;
        tun_stats st;
        if (tun_route_parse(&r, "10.4.0.0", 16, NULL, 0) != 0)
            _exit(3);
        int rc = tun_device_add_route(dev, &r);
        if (rc != TUN_EPERM || !strstr(tun_last_error(), "10.4.0.0/16") ||
            !strstr(tun_last_error(), "CAP_NET_ADMIN")) {
            fprintf(stderr, "route as nobody: %s: %s\n", tun_err_name(rc),
                    tun_last_error());
            _exit(4);
        }
        /* The descriptor is the privilege TUNSETCARRIER asks for. */
        rc = tun_device_set_carrier(dev, false);
        if (rc != 0) {
            fprintf(stderr, "carrier as nobody: %s: %s\n", tun_err_name(rc),
                    tun_last_error());
            _exit(5);
        }
        if (tun_device_get_stats(dev, &st) != 0)
            _exit(6);
        _exit(0);
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    assert_ip_lacks("route show dev ctl8", "10.4.0.0");
    assert_ip_shows("link show dev ctl8", "NO-CARRIER");
    tun_close(dev);
}

static void raw_handles_and_null_arguments(void **state)
{
    (void)state;
    tun_stats st;
    tun_route r = route_of("10.1.0.0", 16, NULL, 0);
    size_t count;
    assert_int_equal(tun_device_get_stats(NULL, &st), TUN_EINVAL);
    assert_int_equal(tun_device_add_route(NULL, &r), TUN_EINVAL);
    assert_int_equal(tun_device_remove_route(NULL, &r), TUN_EINVAL);
    assert_int_equal(tun_device_get_routes(NULL, NULL, 0, &count), TUN_EINVAL);
    tun_device *dev = tun_test_open_tun("ctl5", "10.0.0.1", false);
    int fd = tun_device_fd(dev);
    tun_device *raw;
    assert_tun_ok(tun_open_fd(fd, TUN_FD_BORROW | TUN_FD_RAW, &raw));
    assert_int_equal(tun_device_get_stats(raw, &st), TUN_ENOTSUP);
    assert_int_equal(tun_device_set_carrier(raw, false), TUN_ENOTSUP);
    assert_int_equal(tun_device_add_route(raw, &r), TUN_ENOTSUP);
    assert_int_equal(tun_device_get_routes(raw, NULL, 0, &count), TUN_ENOTSUP);
    assert_int_equal(tun_device_get_stats(dev, NULL), TUN_EINVAL);
    assert_int_equal(tun_device_get_routes(dev, NULL, 1, &count), TUN_EINVAL);
    tun_close(raw);
    tun_close(dev);
}

int main(void)
{
    tun_test_enter_netns();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(stats_match_ip_and_traffic),
        cmocka_unit_test(carrier_switches_as_ip_sees_it),
        cmocka_unit_test(routes_match_ip),
        cmocka_unit_test(config_routes_come_with_open),
        cmocka_unit_test(failed_open_removes_only_its_routes),
        cmocka_unit_test(failed_open_restores_link_settings),
        cmocka_unit_test(addresses_without_auto_route),
        cmocka_unit_test(without_privilege),
        cmocka_unit_test(raw_handles_and_null_arguments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
