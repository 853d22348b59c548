/* The OS-free helpers of the macOS and BSD backends (src/iface.c): unit
 * names, the family header's IP version test, prefixes and masks, the
 * search for iOS's utun socket (the decisions and the descriptor scan),
 * routing messages and KAME's embedded IPv6 zones. */
#include "testutil.h"

#include "iface.h"

#include <errno.h>
#include <string.h>

static void test_unit_names(void **state)
{
    (void)state;
    long unit = 99;
    assert_int_equal(tun_iface_unit("", "utun", 100, &unit), 0);
    assert_int_equal(unit, -1);
    assert_int_equal(tun_iface_unit("utun%d", "utun", 100, &unit), 0);
    assert_int_equal(unit, -1);
    assert_int_equal(tun_iface_unit("utun0", "utun", 100, &unit), 0);
    assert_int_equal(unit, 0);
    assert_int_equal(tun_iface_unit("utun100", "utun", 100, &unit), 0);
    assert_int_equal(unit, 100);
    assert_int_equal(tun_iface_unit("tap7", "tap", 255, &unit), 0);
    assert_int_equal(unit, 7);
    static const char *refused[] = {"utun101", "utun01", "utun", "utun-1",
                                    "utun1x", "tun0", "vpn%d", "utun%d0",
                                    "utun 1", "feth0"};
    for (size_t i = 0; i < sizeof(refused) / sizeof(*refused); i++) {
        unit = 99;
        assert_int_equal(tun_iface_unit(refused[i], "utun", 100, &unit),
                         TUN_EINVAL);
        assert_int_equal(unit, 99);
        assert_non_null(strstr(tun_last_error(), "utun%d"));
    }
}

static void test_packet_family(void **state)
{
    (void)state;
    const uint8_t v4[] = {0x45, 0}, v6[] = {0x60, 0}, other[] = {0x00},
                  arp[] = {0x10};
    assert_int_equal(tun_iface_packet_family(v4, sizeof(v4)), TUN_INET4);
    assert_int_equal(tun_iface_packet_family(v6, sizeof(v6)), TUN_INET6);
    assert_int_equal(tun_iface_packet_family(other, 1), 0);
    assert_int_equal(tun_iface_packet_family(arp, 1), 0);
    assert_int_equal(tun_iface_packet_family(v4, 0), 0);
}

static void test_masks(void **state)
{
    (void)state;
    uint8_t mask[16];
    for (unsigned prefix = 0; prefix <= 128; prefix++) {
        tun_iface_prefix_mask(prefix, mask, 16);
        for (unsigned bit = 0; bit < 128; bit++) {
            bool set = mask[bit / 8] & (0x80 >> (bit % 8));
            assert_int_equal(set, bit < prefix);
        }
        assert_int_equal(tun_iface_mask_prefix(mask, 16), (int)prefix);
    }
    tun_iface_prefix_mask(20, mask, 4);
    const uint8_t want[4] = {255, 255, 240, 0};
    assert_memory_equal(mask, want, 4);
    assert_int_equal(tun_iface_mask_prefix(mask, 4), 20);
    const uint8_t holes[4] = {255, 0, 255, 0}, gap[4] = {255, 255, 0xd0, 0};
    assert_int_equal(tun_iface_mask_prefix(holes, 4), -1);
    assert_int_equal(tun_iface_mask_prefix(gap, 4), -1);
}

static void test_network(void **state)
{
    (void)state;
    tun_address a;
    uint8_t net[16];
    assert_int_equal(tun_address_parse(&a, "10.1.2.3", 20, NULL), 0);
    tun_iface_network(&a, net);
    const uint8_t want4[16] = {10, 1, 0, 0};
    assert_memory_equal(net, want4, 16);
    assert_int_equal(tun_address_parse(&a, "fd00:1:2:3::9", 52, NULL), 0);
    tun_iface_network(&a, net);
    const uint8_t want6[16] = {0xfd, 0, 0, 1, 0, 2, 0, 0};
    assert_memory_equal(net, want6, 16);
}

/* A kernel-control peer address as XNU lays out struct sockaddr_ctl:
 * sc_len, sc_family, ss_sysaddr, sc_id, sc_unit, reserved; host order. */
static void control_peer(uint8_t out[32], uint8_t family, uint16_t sysaddr,
                         uint32_t id)
{
    memset(out, 0, 32);
    out[0] = 32;
    out[1] = family;
    memcpy(out + 2, &sysaddr, sizeof(sysaddr));
    memcpy(out + 4, &id, sizeof(id));
}

static void test_control_peer(void **state)
{
    (void)state;
    uint8_t peer[32];
    uint32_t id = 0;
    control_peer(peer, TUN_IFACE_AF_SYSTEM, TUN_IFACE_AF_SYS_CONTROL,
                 0x1234567u);
    assert_true(tun_iface_control_peer(peer, sizeof(peer), &id));
    assert_int_equal(id, 0x1234567u);
    /* sc_id is all that is needed of it; less than that is not a peer. */
    assert_true(tun_iface_control_peer(peer, 8, &id));
    id = 0;
    assert_false(tun_iface_control_peer(peer, 7, &id));
    assert_false(tun_iface_control_peer(peer, 0, &id));
    /* Another family (AF_INET 2, AF_UNIX 1), or AF_SYSTEM's kernel events
     * (AF_SYS_KERNEVENT 1) rather than a control. */
    control_peer(peer, 2, TUN_IFACE_AF_SYS_CONTROL, 7);
    assert_false(tun_iface_control_peer(peer, sizeof(peer), &id));
    control_peer(peer, 1, TUN_IFACE_AF_SYS_CONTROL, 7);
    assert_false(tun_iface_control_peer(peer, sizeof(peer), &id));
    control_peer(peer, TUN_IFACE_AF_SYSTEM, 1, 7);
    assert_false(tun_iface_control_peer(peer, sizeof(peer), &id));
    assert_int_equal(id, 0);
}

static void test_utun_control(void **state)
{
    (void)state;
    /* With utun's id known, the id decides, whatever the name. */
    assert_true(tun_iface_is_utun_control(9, 9, NULL));
    assert_true(tun_iface_is_utun_control(9, 9, "ipsec0"));
    assert_false(tun_iface_is_utun_control(8, 9, "utun3"));
    /* Without it, the name the socket reports: utunN only. */
    assert_true(tun_iface_is_utun_control(8, 0, "utun3"));
    assert_true(tun_iface_is_utun_control(8, 0, "utun12"));
    assert_false(tun_iface_is_utun_control(8, 0, "ipsec0"));
    assert_false(tun_iface_is_utun_control(8, 0, "utun"));
    assert_false(tun_iface_is_utun_control(8, 0, "utunx"));
    assert_false(tun_iface_is_utun_control(8, 0, NULL));
}

/* A process's descriptors as a probe sees them: kind[fd] is 0 (closed),
 * 1 (another socket) or 2 (utun's); probed[] records the order asked. */
struct fake_fds {
    const int *kind;
    int probed[16];
    int count;
};

static bool fake_probe(void *arg, int fd)
{
    struct fake_fds *f = arg;
    f->probed[f->count++] = fd;
    return f->kind[fd] == 2;
}

static void test_find_fd(void **state)
{
    (void)state;
    static const int kinds[8] = {1, 1, 1, 0, 2, 1, 2, 0};
    struct fake_fds f = {kinds, {0}, 0};
    int fd = -1;
    /* The lowest match, found without probing past it. */
    assert_int_equal(tun_iface_find_fd(8, fake_probe, &f, &fd), 0);
    assert_int_equal(fd, 4);
    assert_int_equal(f.count, 5);
    for (int i = 0; i < f.count; i++)
        assert_int_equal(f.probed[i], i);
    /* None below the limit: every descriptor asked once, fd untouched. */
    f.count = 0;
    fd = -1;
    assert_int_equal(tun_iface_find_fd(4, fake_probe, &f, &fd), TUN_ENOENT);
    assert_int_equal(fd, -1);
    assert_int_equal(f.count, 4);
    f.count = 0;
    assert_int_equal(tun_iface_find_fd(0, fake_probe, &f, &fd), TUN_ENOENT);
    assert_int_equal(f.count, 0);
}

/* The public call outside Apple systems, and its argument check there. */
static void test_find_utun_fd_elsewhere(void **state)
{
    (void)state;
    int fd = -1;
    assert_int_equal(tun_find_utun_fd(&fd), TUN_ENOTSUP);
    assert_int_equal(fd, -1);
    assert_non_null(strstr(tun_last_error(), "Apple"));
    assert_int_equal(tun_find_utun_fd(NULL), TUN_ENOTSUP);
}

/* Routing-message layouts as macOS (4-byte padding, AF_INET6 30) and
 * FreeBSD (8-byte padding, AF_INET6 28) lay them out. */
static const struct tun_rt_layout apple = {4, 2, 30, 18};
static const struct tun_rt_layout freebsd = {8, 2, 28, 18};

static size_t put_sin(uint8_t *p, uint8_t len, uint8_t family,
                      const uint8_t *addr, size_t bytes, size_t align)
{
    memset(p, 0, 32);
    p[0] = len;
    p[1] = family;
    size_t offset = bytes == 4 ? 4 : 8;
    size_t n = len > offset ? len - offset : 0;
    memcpy(p + offset, addr, n < bytes ? n : bytes);
    return len ? ((len - 1u) | (align - 1)) + 1 : align;
}

static size_t put_link(uint8_t *p, size_t align)
{
    memset(p, 0, 20);
    p[0] = 20; /* sockaddr_dl */
    p[1] = 18;
    p[2] = 5;  /* index */
    return ((20 - 1u) | (align - 1)) + 1;
}

static void assert_route_text(const tun_route *r, const char *want)
{
    char text[TUN_ROUTESTRLEN];
    assert_true(tun_route_format(r, text, sizeof(text)) > 0);
    assert_string_equal(text, want);
}

static void test_route_sockaddrs(void **state)
{
    (void)state;
    uint8_t msg[256];
    tun_route r;
    static const uint8_t net4[4] = {10, 1, 0, 0}, gw4[4] = {10, 0, 0, 2},
                         mask16[4] = {255, 255, 0, 0};
    /* 10.1.0.0/16 on the link, the mask cut after its last byte (sa_len
     * 6), as the kernel stores it. */
    size_t n = put_sin(msg, 16, 2, net4, 4, 4);
    n += put_link(msg + n, 4);
    n += put_sin(msg + n, 6, 0, mask16, 4, 4);
    assert_int_equal(tun_iface_route_sockaddrs(msg, n, 7, &apple, &r), 1);
    assert_route_text(&r, "10.1.0.0/16");
    /* Every cut of it: refused or read within bounds, never past. */
    for (size_t cut = 0; cut < n; cut++) {
        int rc = tun_iface_route_sockaddrs(msg, cut, 7, &apple, &r);
        assert_true(rc == -EINVAL || rc == 0 || rc == 1);
    }
    /* With an IP gateway; no netmask: a host route. */
    n = put_sin(msg, 16, 2, net4, 4, 8);
    n += put_sin(msg + n, 16, 2, gw4, 4, 8);
    assert_int_equal(tun_iface_route_sockaddrs(msg, n, 3, &freebsd, &r), 1);
    assert_route_text(&r, "10.1.0.0/32 via 10.0.0.2");
    /* A zero-length netmask takes the padding unit: the default route. */
    static const uint8_t zero[16];
    n = put_sin(msg, 16, 2, zero, 4, 8);
    n += put_sin(msg + n, 16, 2, gw4, 4, 8);
    n += put_sin(msg + n, 0, 0, zero, 4, 8);
    assert_int_equal(n, 40);
    assert_int_equal(tun_iface_route_sockaddrs(msg, n, 7, &freebsd, &r), 1);
    assert_route_text(&r, "default via 10.0.0.2");
    /* IPv6 with a KAME-scoped link-local gateway and a /48 mask. */
    static const uint8_t net6[16] = {0xfd, 0, 0, 2},
                         gw6[16] = {0xfe, 0x80, 0, 7, [15] = 1},
                         mask48[16] = {255, 255, 255, 255, 255, 255};
    n = put_sin(msg, 28, 30, net6, 16, 4);
    n += put_sin(msg + n, 28, 30, gw6, 16, 4);
    n += put_sin(msg + n, 14, 30, mask48, 16, 4);
    assert_int_equal(tun_iface_route_sockaddrs(msg, n, 7, &apple, &r), 1);
    assert_route_text(&r, "fd00:2::/48 via fe80::1");
    /* A route to a link-local multicast group keeps no zone either. */
    static const uint8_t group6[16] = {0xff, 0x02, 0, 7, [15] = 0xfb},
                         mask128[16] = {255, 255, 255, 255, 255, 255, 255, 255,
                                        255, 255, 255, 255, 255, 255, 255, 255};
    n = put_sin(msg, 28, 30, group6, 16, 4);
    n += put_link(msg + n, 4);
    n += put_sin(msg + n, 28, 30, mask128, 16, 4);
    assert_int_equal(tun_iface_route_sockaddrs(msg, n, 7, &apple, &r), 1);
    assert_route_text(&r, "ff02::fb/128");
    /* Not for a tun_route: another family, a gateway of the other family,
     * a mask with holes; no destination at all. */
    n = put_link(msg, 4);
    assert_int_equal(tun_iface_route_sockaddrs(msg, n, 1, &apple, &r), 0);
    n = put_sin(msg, 16, 2, net4, 4, 4);
    n += put_sin(msg + n, 28, 30, gw6, 16, 4);
    assert_int_equal(tun_iface_route_sockaddrs(msg, n, 3, &apple, &r), 0);
    static const uint8_t holes[4] = {255, 0, 255, 0};
    n = put_sin(msg, 16, 2, net4, 4, 4);
    n += put_sin(msg + n, 8, 2, holes, 4, 4);
    assert_int_equal(tun_iface_route_sockaddrs(msg, n, 5, &apple, &r), 0);
    assert_int_equal(tun_iface_route_sockaddrs(msg, n, 0, &apple, &r), 0);
    /* A length past the end, or a destination too short for its family. */
    msg[0] = 200;
    assert_int_equal(tun_iface_route_sockaddrs(msg, 16, 1, &apple, &r),
                     -EINVAL);
    msg[0] = 6;
    assert_int_equal(tun_iface_route_sockaddrs(msg, 16, 1, &apple, &r), 0);
    /* Host bits past a mask are not kept. */
    static const uint8_t host[4] = {10, 1, 2, 3};
    n = put_sin(msg, 16, 2, host, 4, 4);
    n += put_sin(msg + n, 8, 2, mask16, 4, 4);
    assert_int_equal(tun_iface_route_sockaddrs(msg, n, 5, &apple, &r), 1);
    assert_route_text(&r, "10.1.0.0/16");
}

/* KAME's embedded zone: written into and cleared from bytes 2-3 of the
 * link- and interface-local addresses only. */
static void test_zone6(void **state)
{
    (void)state;
    static const struct {
        uint8_t b0, b1;
        bool zoned;
    } cases[] = {
        {0xfe, 0x80, true},  {0xfe, 0xbf, true},  /* fe80::/10 */
        {0xfe, 0xc0, false}, {0xfe, 0x7f, false}, /* site-local, fe00:: */
        {0xff, 0x01, true},  {0xff, 0x02, true},  /* interface, link */
        {0xff, 0x12, true},  {0xff, 0x72, true},  /* flagged, link */
        {0xff, 0x32, false}, {0xff, 0x31, false}, /* prefix-based */
        {0xff, 0x05, false}, {0xff, 0x0e, false}, /* site, global */
        {0xfd, 0x00, false}, {0x20, 0x01, false},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        uint8_t a[16] = {cases[i].b0, cases[i].b1, 0, 0, [15] = 1};
        assert_int_equal(tun_iface_zoned6(a), cases[i].zoned);
        tun_iface_set_zone6(a, 0x1234);
        assert_int_equal(a[2], cases[i].zoned ? 0x12 : 0);
        assert_int_equal(a[3], cases[i].zoned ? 0x34 : 0);
        assert_int_equal(a[15], 1);
        tun_iface_set_zone6(a, 0);
        assert_int_equal(a[2] | a[3], 0);
    }
    /* An unscoped address keeps bytes 2-3 whatever the zone. */
    uint8_t global[16] = {0x20, 0x01, 0x0d, 0xb8};
    tun_iface_set_zone6(global, 0);
    assert_int_equal(global[2], 0x0d);
    assert_int_equal(global[3], 0xb8);
    /* An index is 16 bits there, as the kernels store it. */
    uint8_t ll[16] = {0xfe, 0x80};
    tun_iface_set_zone6(ll, 7);
    assert_int_equal(ll[2], 0);
    assert_int_equal(ll[3], 7);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_unit_names),
        cmocka_unit_test(test_packet_family),
        cmocka_unit_test(test_masks),
        cmocka_unit_test(test_network),
        cmocka_unit_test(test_control_peer),
        cmocka_unit_test(test_utun_control),
        cmocka_unit_test(test_find_fd),
        cmocka_unit_test(test_find_utun_fd_elsewhere),
        cmocka_unit_test(test_route_sockaddrs),
        cmocka_unit_test(test_zone6),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
