/* The rtnetlink client's pure half: requests built byte for byte, recorded
 * kernel replies parsed, and malformed input refused without reading out
 * of bounds. The byte arrays are little-endian, like the recordings. */
#include "testutil.h"

#include "linux/netlink.h"
#include "internal.h"

#include "../data/netlink_recorded.h"

#include <linux/rtnetlink.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static const struct nlmsghdr *msg_at(const void *bytes) { return bytes; }

/* Build into a buffer with guard bytes after it and check that the
 * builder wrote exactly `want` and nothing past it. */
#define GUARD 0xa5
static void assert_built(int len, const unsigned char *buf, size_t size,
                         const unsigned char *want, size_t want_len)
{
    assert_int_equal(len, (int)want_len);
    assert_memory_equal(buf, want, want_len);
    for (size_t i = want_len; i < size; i++)
        assert_int_equal(buf[i], GUARD);
}

static void builds_link_get_and_del(void **state)
{
    (void)state;
    static const unsigned char get[] = {
        /* length 32, RTM_GETLINK, NLM_F_REQUEST|NLM_F_ACK */
        0x20, 0x00, 0x00, 0x00, 0x12, 0x00, 0x05, 0x00,
        0x04, 0x03, 0x02, 0x01, 0x00, 0x00, 0x00, 0x00, /* seq, port 0 */
        0x00, 0x00, 0x00, 0x00, 0x05, 0x00, 0x00, 0x00, /* AF_UNSPEC, index 5 */
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* flags, change */
    };
    unsigned char buf[64];
    memset(buf, GUARD, sizeof(buf));
    assert_built(tun_nl_build_link_get(buf, sizeof(buf), 0x01020304, 5), buf,
                 sizeof(buf), get, sizeof(get));

    unsigned char del[sizeof(get)];
    memcpy(del, get, sizeof(get));
    del[4] = RTM_DELLINK;
    memset(buf, GUARD, sizeof(buf));
    assert_built(tun_nl_build_link_del(buf, sizeof(buf), 0x01020304, 5), buf,
                 sizeof(buf), del, sizeof(del));
}

static void builds_link_set(void **state)
{
    (void)state;
    static const unsigned char all[] = {
        /* length 72, RTM_SETLINK, NLM_F_REQUEST|NLM_F_ACK */
        0x48, 0x00, 0x00, 0x00, 0x13, 0x00, 0x05, 0x00,
        0x09, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x07, 0x00, 0x00, 0x00, /* index 7 */
        0x01, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, /* IFF_UP of IFF_UP */
        0x08, 0x00, 0x04, 0x00, 0x78, 0x05, 0x00, 0x00, /* IFLA_MTU 1400 */
        0x09, 0x00, 0x03, 0x00, 't', 'u', 'n', '7',     /* IFLA_IFNAME */
        0x00, 0x00, 0x00, 0x00,                         /* NUL, padding */
        0x0a, 0x00, 0x01, 0x00, 0x02, 0x00, 0x5e, 0x00, /* IFLA_ADDRESS */
        0x53, 0x01, 0x00, 0x00,
        0x08, 0x00, 0x0d, 0x00, 0xe8, 0x03, 0x00, 0x00, /* IFLA_TXQLEN 1000 */
    };
    struct tun_nl_link_change chg = {
        .has_mtu = true, .mtu = 1400,
        .has_name = true, .name = "tun7",
        .has_up = true, .up = true,
        .has_mac = true, .mac = {0x02, 0x00, 0x5e, 0x00, 0x53, 0x01},
        .has_txqueuelen = true, .txqueuelen = 1000,
    };
    unsigned char buf[128];
    memset(buf, GUARD, sizeof(buf));
    assert_built(tun_nl_build_link_set(buf, sizeof(buf), 9, 7, &chg), buf,
                 sizeof(buf), all, sizeof(all));

    /* Down: the change mask names IFF_UP, the flags clear it. */
    static const unsigned char down[] = {
        0x20, 0x00, 0x00, 0x00, 0x13, 0x00, 0x05, 0x00,
        0x09, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x07, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00,
    };
    struct tun_nl_link_change d = {.has_up = true, .up = false};
    memset(buf, GUARD, sizeof(buf));
    assert_built(tun_nl_build_link_set(buf, sizeof(buf), 9, 7, &d), buf,
                 sizeof(buf), down, sizeof(down));

    /* Members without their has_ bit are not sent; no flag is touched. */
    unsigned char none[sizeof(down)];
    memcpy(none, down, sizeof(down));
    none[28] = 0;
    struct tun_nl_link_change n = {.mtu = 1400, .name = "x", .up = true};
    memset(buf, GUARD, sizeof(buf));
    assert_built(tun_nl_build_link_set(buf, sizeof(buf), 9, 7, &n), buf,
                 sizeof(buf), none, sizeof(none));

    /* A 15-byte name is the longest: 20 bytes of attribute, no padding. */
    struct tun_nl_link_change longest = {.has_name = true,
                                         .name = "fifteen-chars-x"};
    int len = tun_nl_build_link_set(buf, sizeof(buf), 9, 7, &longest);
    assert_int_equal(len, 32 + 20);
    static const unsigned char attr[] = {0x14, 0x00, 0x03, 0x00};
    assert_memory_equal(buf + 32, attr, 4);
    assert_memory_equal(buf + 36, "fifteen-chars-x", 16);

    /* A move: the namespace's descriptor and the index the link keeps. */
    static const unsigned char move[] = {
        0x30, 0x00, 0x00, 0x00, 0x13, 0x00, 0x05, 0x00,
        0x09, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x07, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x08, 0x00, 0x1c, 0x00, 0x05, 0x00, 0x00, 0x00, /* IFLA_NET_NS_FD 5 */
        0x08, 0x00, 0x31, 0x00, 0x07, 0x00, 0x00, 0x00, /* IFLA_NEW_IFINDEX */
    };
    struct tun_nl_link_change m = {.has_netns = true, .netns_fd = 5};
    memset(buf, GUARD, sizeof(buf));
    assert_built(tun_nl_build_link_set(buf, sizeof(buf), 9, 7, &m), buf,
                 sizeof(buf), move, sizeof(move));
    m.netns_fd = -1;
    assert_int_equal(tun_nl_build_link_set(buf, sizeof(buf), 9, 7, &m),
                     -EINVAL);
}

static tun_address addr(const char *text, unsigned prefix, const char *peer)
{
    tun_address a;
    assert_int_equal(tun_address_parse(&a, text, prefix, peer), 0);
    return a;
}

static void check_addr_build(int type, const tun_address *a,
                             const unsigned char *want, size_t want_len)
{
    unsigned char buf[128];
    memset(buf, GUARD, sizeof(buf));
    assert_built(tun_nl_build_addr(buf, sizeof(buf), 0x11, type, 5, a), buf,
                 sizeof(buf), want, want_len);
}

static void builds_addr(void **state)
{
    (void)state;
    /* IPv4: IFA_LOCAL is the address, IFA_ADDRESS repeats it. */
    static const unsigned char v4[] = {
        /* RTM_NEWADDR, NLM_F_REQUEST|NLM_F_ACK|NLM_F_EXCL|NLM_F_CREATE */
        0x28, 0x00, 0x00, 0x00, 0x14, 0x00, 0x05, 0x06,
        0x11, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        /* AF_INET, /24, no flags, universe scope, index 5 */
        0x02, 0x18, 0x00, 0x00, 0x05, 0x00, 0x00, 0x00,
        0x08, 0x00, 0x02, 0x00, 10, 0, 0, 1,            /* IFA_LOCAL */
        0x08, 0x00, 0x01, 0x00, 10, 0, 0, 1,            /* IFA_ADDRESS */
    };
    tun_address a = addr("10.0.0.1", 24, NULL);
    check_addr_build(RTM_NEWADDR, &a, v4, sizeof(v4));

    /* Deletion carries the same attributes, without CREATE|EXCL. */
    unsigned char v4del[sizeof(v4)];
    memcpy(v4del, v4, sizeof(v4));
    v4del[4] = RTM_DELADDR;
    v4del[7] = 0x00;
    check_addr_build(RTM_DELADDR, &a, v4del, sizeof(v4del));

    /* IPv4 with a peer: IFA_ADDRESS is the peer. */
    static const unsigned char v4peer[] = {
        0x28, 0x00, 0x00, 0x00, 0x14, 0x00, 0x05, 0x06,
        0x11, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x02, 0x20, 0x00, 0x00, 0x05, 0x00, 0x00, 0x00,
        0x08, 0x00, 0x02, 0x00, 10, 0, 1, 1,
        0x08, 0x00, 0x01, 0x00, 10, 0, 1, 2,
    };
    a = addr("10.0.1.1", 32, "10.0.1.2");
    check_addr_build(RTM_NEWADDR, &a, v4peer, sizeof(v4peer));

    /* IPv6 alone: a lone IFA_ADDRESS. */
    static const unsigned char v6[] = {
        0x2c, 0x00, 0x00, 0x00, 0x14, 0x00, 0x05, 0x06,
        0x11, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x0a, 0x40, 0x00, 0x00, 0x05, 0x00, 0x00, 0x00, /* AF_INET6 /64 */
        0x14, 0x00, 0x01, 0x00, /* IFA_ADDRESS */
        0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,
    };
    a = addr("fd00::1", 64, NULL);
    check_addr_build(RTM_NEWADDR, &a, v6, sizeof(v6));

    /* IPv6 with a peer: IFA_LOCAL this end, IFA_ADDRESS the peer. */
    static const unsigned char v6peer[] = {
        0x40, 0x00, 0x00, 0x00, 0x15, 0x00, 0x05, 0x00, /* RTM_DELADDR */
        0x11, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x0a, 0x80, 0x00, 0x00, 0x05, 0x00, 0x00, 0x00,
        0x14, 0x00, 0x02, 0x00, /* IFA_LOCAL */
        0xfd, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,
        0x14, 0x00, 0x01, 0x00, /* IFA_ADDRESS */
        0xfd, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2,
    };
    a = addr("fd01::1", 128, "fd01::2");
    check_addr_build(RTM_DELADDR, &a, v6peer, sizeof(v6peer));
}

static void builds_addr_dump(void **state)
{
    (void)state;
    static const unsigned char dump[] = {
        /* RTM_GETADDR, NLM_F_REQUEST|NLM_F_DUMP (a dump ends in DONE) */
        0x18, 0x00, 0x00, 0x00, 0x16, 0x00, 0x01, 0x03,
        0x2a, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x05, 0x00, 0x00, 0x00, /* AF_UNSPEC, index 5 */
    };
    unsigned char buf[64];
    memset(buf, GUARD, sizeof(buf));
    assert_built(tun_nl_build_addr_dump(buf, sizeof(buf), 42, 5), buf,
                 sizeof(buf), dump, sizeof(dump));
}

/* Every builder at every size short of the message: -ENOBUFS, and not a
 * byte written past the size it was given. */
static void builders_refuse_small_buffers(void **state)
{
    (void)state;
    struct tun_nl_link_change chg = {
        .has_mtu = true, .mtu = 1400, .has_name = true, .name = "tun7",
        .has_mac = true, .has_txqueuelen = true, .txqueuelen = 5,
    };
    tun_address v6 = addr("fd01::1", 128, "fd01::2");
    for (int which = 0; which < 5; which++) {
        unsigned char buf[128];
        int full = 0;
        for (size_t size = 0; size <= sizeof(buf); size++) {
            memset(buf, GUARD, sizeof(buf));
            int rc;
            switch (which) {
            case 0: rc = tun_nl_build_link_get(buf, size, 1, 5); break;
            case 1: rc = tun_nl_build_link_del(buf, size, 1, 5); break;
            case 2: rc = tun_nl_build_link_set(buf, size, 1, 5, &chg); break;
            case 3:
                rc = tun_nl_build_addr(buf, size, 1, RTM_NEWADDR, 5, &v6);
                break;
            default: rc = tun_nl_build_addr_dump(buf, size, 1, 5); break;
            }
            for (size_t i = size; i < sizeof(buf); i++)
                assert_int_equal(buf[i], GUARD);
            if (rc == -ENOBUFS)
                continue;
            /* The first size that fits is the message's length. */
            assert_int_equal(rc, (int)size);
            full = rc;
            break;
        }
        assert_true(full > 0);
    }
    assert_int_equal(tun_nl_build_link_get(NULL, 0, 1, 5), -ENOBUFS);
}

static void builders_refuse_bad_arguments(void **state)
{
    (void)state;
    unsigned char buf[128];
    struct tun_nl_link_change chg = {.has_mtu = true, .mtu = 1400};
    tun_address a = addr("10.0.0.1", 24, NULL);

    /* Index 0 would make RTM_SETLINK pick the link by name instead. */
    unsigned bad_index[] = {0, (unsigned)INT32_MAX + 1u, UINT32_MAX};
    for (size_t i = 0; i < 3; i++) {
        unsigned ix = bad_index[i];
        assert_int_equal(tun_nl_build_link_get(buf, sizeof(buf), 1, ix),
                         -EINVAL);
        assert_int_equal(tun_nl_build_link_del(buf, sizeof(buf), 1, ix),
                         -EINVAL);
        assert_int_equal(tun_nl_build_link_set(buf, sizeof(buf), 1, ix, &chg),
                         -EINVAL);
        assert_int_equal(tun_nl_build_addr(buf, sizeof(buf), 1, RTM_NEWADDR,
                                           ix, &a), -EINVAL);
        assert_int_equal(tun_nl_build_addr_dump(buf, sizeof(buf), 1, ix),
                         -EINVAL);
    }

    assert_int_equal(tun_nl_build_link_set(buf, sizeof(buf), 1, 5, NULL),
                     -EINVAL);
    const char *names[] = {NULL, "", "sixteen-chars-xx"};
    for (size_t i = 0; i < 3; i++) {
        struct tun_nl_link_change n = {.has_name = true, .name = names[i]};
        assert_int_equal(tun_nl_build_link_set(buf, sizeof(buf), 1, 5, &n),
                         -EINVAL);
    }

    assert_int_equal(tun_nl_build_addr(buf, sizeof(buf), 1, RTM_NEWADDR, 5,
                                       NULL), -EINVAL);
    assert_int_equal(tun_nl_build_addr(buf, sizeof(buf), 1, RTM_GETADDR, 5,
                                       &a), -EINVAL);
    tun_address bad = a;
    bad.family = 5;
    assert_int_equal(tun_nl_build_addr(buf, sizeof(buf), 1, RTM_NEWADDR, 5,
                                       &bad), -EINVAL);
    bad = a;
    bad.prefix = 33;
    assert_int_equal(tun_nl_build_addr(buf, sizeof(buf), 1, RTM_NEWADDR, 5,
                                       &bad), -EINVAL);
    bad = addr("fd00::1", 128, NULL);
    bad.prefix = 129;
    assert_int_equal(tun_nl_build_addr(buf, sizeof(buf), 1, RTM_DELADDR, 5,
                                       &bad), -EINVAL);
    bad = a;
    bad.has_peer = 2;
    assert_int_equal(tun_nl_build_addr(buf, sizeof(buf), 1, RTM_NEWADDR, 5,
                                       &bad), -EINVAL);
}

static void parses_recorded_links(void **state)
{
    (void)state;
    struct tun_nl_link link;
    assert_int_equal(tun_nl_parse_link(msg_at(nl_rec_link_tun),
                                       sizeof(nl_rec_link_tun), &link), 0);
    assert_int_equal(link.ifindex, 2);
    assert_string_equal(link.name, "t0");
    assert_int_equal(link.mtu, 1400);
    assert_int_equal(link.txqueuelen, 1000);
    assert_int_equal(link.flags, IFF_UP | IFF_POINTOPOINT | IFF_NOARP |
                                 IFF_MULTICAST);
    assert_false(link.has_mac);

    assert_int_equal(tun_nl_parse_link(msg_at(nl_rec_ip_link_tap),
                                       sizeof(nl_rec_ip_link_tap), &link), 0);
    assert_int_equal(link.ifindex, 3);
    assert_string_equal(link.name, "tp0");
    assert_int_equal(link.mtu, 1500);
    assert_int_equal(link.txqueuelen, 1000);
    assert_int_equal(link.flags, IFF_BROADCAST | IFF_MULTICAST);
    assert_true(link.has_mac);
    static const uint8_t mac[6] = {0x02, 0x00, 0x5e, 0x00, 0x53, 0x01};
    assert_memory_equal(link.mac, mac, 6);

    /* Not an RTM_NEWLINK. */
    assert_int_equal(tun_nl_parse_link(msg_at(nl_rec_ack), sizeof(nl_rec_ack),
                                       &link), -EINVAL);
    assert_int_equal(tun_nl_parse_link(msg_at(nl_rec_addr_dump),
                                       sizeof(nl_rec_addr_dump), &link),
                     -EINVAL);
}

/* Parse every message of a recorded dump datagram for ifindex into out. */
static size_t parse_dump(const unsigned char *dg, size_t len,
                         unsigned ifindex, tun_address *out, size_t cap)
{
    size_t n = 0, off = 0;
    while (off < len) {
        uint32_t msg_len;
        memcpy(&msg_len, dg + off, 4);
        assert_true(msg_len >= 16 && msg_len <= len - off);
        tun_address a;
        int rc = tun_nl_parse_addr(msg_at(dg + off), len - off, ifindex, &a);
        assert_true(rc == 0 || rc == 1);
        if (rc == 1) {
            assert_true(n < cap);
            out[n++] = a;
        }
        off += (msg_len + 3) & ~3u;
    }
    return n;
}

static void assert_same_address(const tun_address *got, const tun_address *want)
{
    assert_int_equal(got->family, want->family);
    assert_int_equal(got->prefix, want->prefix);
    assert_int_equal(got->has_peer, want->has_peer);
    assert_memory_equal(got->addr, want->addr, 16);
    assert_memory_equal(got->peer, want->peer, 16);
}

static void parses_recorded_addresses(void **state)
{
    (void)state;
    /* In the order the kernel sent them: IPv4 first, IPv6 newest first. */
    const tun_address t0[] = {
        addr("10.0.0.1", 24, NULL),
        addr("10.0.1.1", 32, "10.0.1.2"),
        addr("fd01::1", 128, "fd01::2"),
        addr("fd00::1", 64, NULL),
    };
    tun_address got[8];
    assert_int_equal(parse_dump(nl_rec_addr_dump, sizeof(nl_rec_addr_dump), 2,
                                got, 8), 4);
    for (size_t i = 0; i < 4; i++)
        assert_same_address(&got[i], &t0[i]);

    /* iproute2's dump holds every link's addresses: only t0's are taken. */
    assert_int_equal(parse_dump(nl_rec_ip_addr_dump,
                                sizeof(nl_rec_ip_addr_dump), 2, got, 8), 4);
    for (size_t i = 0; i < 4; i++)
        assert_same_address(&got[i], &t0[i]);
    assert_int_equal(parse_dump(nl_rec_ip_addr_dump,
                                sizeof(nl_rec_ip_addr_dump), 1, got, 8), 2);
    tun_address lo4 = addr("127.0.0.1", 8, NULL);
    tun_address lo6 = addr("::1", 128, NULL);
    assert_same_address(&got[0], &lo4);
    assert_same_address(&got[1], &lo6);
    assert_int_equal(parse_dump(nl_rec_ip_addr_dump,
                                sizeof(nl_rec_ip_addr_dump), 3, got, 8), 0);

    /* Not an RTM_NEWADDR. */
    tun_address a;
    assert_int_equal(tun_nl_parse_addr(msg_at(nl_rec_addr_done),
                                       sizeof(nl_rec_addr_done), 2, &a),
                     -EINVAL);
    assert_int_equal(tun_nl_parse_addr(msg_at(nl_rec_link_tun),
                                       sizeof(nl_rec_link_tun), 2, &a),
                     -EINVAL);
}

static void check_error(const unsigned char *m, size_t len, int want,
                        const char *want_text)
{
    char text[128];
    memset(text, 'x', sizeof(text));
    assert_int_equal(tun_nl_parse_error(msg_at(m), len, text, sizeof(text)),
                     want);
    assert_string_equal(text, want_text);
    /* No room for the text is fine too. */
    assert_int_equal(tun_nl_parse_error(msg_at(m), len, NULL, 0), want);
}

static void parses_recorded_errors(void **state)
{
    (void)state;
    check_error(nl_rec_ack, sizeof(nl_rec_ack), 0, "");
    check_error(nl_rec_err_mtu, sizeof(nl_rec_err_mtu), -EINVAL,
                "mtu greater than device maximum");
    check_error(nl_rec_err_nodev, sizeof(nl_rec_err_nodev), -ENODEV, "");
    check_error(nl_rec_ip_err_mtu, sizeof(nl_rec_ip_err_mtu), -EINVAL,
                "mtu greater than device maximum");
    check_error(nl_rec_ip_err_exist, sizeof(nl_rec_ip_err_exist), -EEXIST,
                "ipv4: Address already assigned");
    check_error(nl_rec_ip_err_notavail, sizeof(nl_rec_ip_err_notavail),
                -EADDRNOTAVAIL, "ipv4: Address not found");
    check_error(nl_rec_ip_err_nodev, sizeof(nl_rec_ip_err_nodev), -ENODEV,
                "");

    /* A small buffer truncates the text and still ends it. */
    char small[4];
    assert_int_equal(tun_nl_parse_error(msg_at(nl_rec_err_mtu),
                                        sizeof(nl_rec_err_mtu), small,
                                        sizeof(small)), -EINVAL);
    assert_string_equal(small, "mtu");

    /* Only NLMSG_ERROR messages are errors. */
    char text[16] = "x";
    assert_int_equal(tun_nl_parse_error(msg_at(nl_rec_addr_done),
                                        sizeof(nl_rec_addr_done), text,
                                        sizeof(text)), -EINVAL);
    assert_string_equal(text, "");
    assert_int_equal(tun_nl_parse_error(msg_at(nl_rec_link_tun),
                                        sizeof(nl_rec_link_tun), text,
                                        sizeof(text)), -EINVAL);
}

/* A message put together byte by byte, for inputs the kernel never sends. */
struct craft {
    _Alignas(4) unsigned char b[256];
    size_t len;
};

static void craft_bytes(struct craft *c, const void *data, size_t len)
{
    assert_true(c->len + len <= sizeof(c->b));
    if (len > 0)
        memcpy(c->b + c->len, data, len);
    c->len += len;
}

static void craft_hdr(struct craft *c, uint16_t type, uint16_t flags)
{
    c->len = 0;
    struct nlmsghdr h = {.nlmsg_type = type, .nlmsg_flags = flags};
    craft_bytes(c, &h, sizeof(h));
}

/* An attribute whose length field says rta_len, followed by `len` bytes. */
static void craft_attr(struct craft *c, uint16_t rta_len, uint16_t type,
                       const void *data, size_t len)
{
    struct rtattr rta = {.rta_len = rta_len, .rta_type = type};
    craft_bytes(c, &rta, sizeof(rta));
    craft_bytes(c, data, len);
    static const unsigned char pad[3];
    craft_bytes(c, pad, (4 - len % 4) % 4);
}

/* Set nlmsg_len to the bytes crafted so far (or less, to cut it short). */
static const struct nlmsghdr *craft_end(struct craft *c, size_t msg_len)
{
    uint32_t n = (uint32_t)msg_len;
    memcpy(c->b, &n, sizeof(n));
    return msg_at(c->b);
}

static void craft_link(struct craft *c, int ifindex)
{
    craft_hdr(c, RTM_NEWLINK, 0);
    struct ifinfomsg ifi = {.ifi_index = ifindex};
    craft_bytes(c, &ifi, sizeof(ifi));
}

static void craft_addr(struct craft *c, uint8_t family, uint8_t prefix)
{
    craft_hdr(c, RTM_NEWADDR, 0);
    struct ifaddrmsg ifa = {.ifa_family = family, .ifa_prefixlen = prefix,
                            .ifa_index = 2};
    craft_bytes(c, &ifa, sizeof(ifa));
}

static void rejects_malformed_links(void **state)
{
    (void)state;
    struct craft c;
    struct tun_nl_link link;
    uint32_t mtu = 1400;

    /* Well formed, as the reference for the broken ones below. */
    craft_link(&c, 4);
    craft_attr(&c, 8, IFLA_MTU, &mtu, 4);
    craft_attr(&c, 7, IFLA_IFNAME, "ab", 3);
    assert_int_equal(tun_nl_parse_link(craft_end(&c, c.len), c.len, &link), 0);
    assert_int_equal(link.mtu, 1400);
    assert_string_equal(link.name, "ab");
    /* The last attribute may stop short of its padding. */
    assert_int_equal(tun_nl_parse_link(craft_end(&c, c.len - 1), c.len - 1,
                                       &link), 0);

    /* Attribute length zero, below its header, or past the message. */
    uint16_t bad_lengths[] = {0, 1, 3, 13, 0xffff};
    for (size_t i = 0; i < 5; i++) {
        craft_link(&c, 4);
        craft_attr(&c, bad_lengths[i], IFLA_MTU, &mtu, 4);
        assert_int_equal(tun_nl_parse_link(craft_end(&c, c.len), c.len,
                                           &link), -EINVAL);
    }
    /* 1 to 3 stray bytes after the last attribute. */
    for (size_t extra = 1; extra < 4; extra++) {
        craft_link(&c, 4);
        craft_attr(&c, 8, IFLA_MTU, &mtu, 4);
        craft_bytes(&c, "\0\0\0", extra);
        assert_int_equal(tun_nl_parse_link(craft_end(&c, c.len), c.len,
                                           &link), -EINVAL);
    }
    /* A u32 that is not 4 bytes. */
    craft_link(&c, 4);
    craft_attr(&c, 6, IFLA_MTU, &mtu, 2);
    assert_int_equal(tun_nl_parse_link(craft_end(&c, c.len), c.len, &link),
                     -EINVAL);
    craft_link(&c, 4);
    craft_attr(&c, 4, IFLA_TXQLEN, NULL, 0);
    assert_int_equal(tun_nl_parse_link(craft_end(&c, c.len), c.len, &link),
                     -EINVAL);
    /* Names: empty, or 16 bytes without a NUL that would not fit. */
    craft_link(&c, 4);
    craft_attr(&c, 5, IFLA_IFNAME, "", 1);
    assert_int_equal(tun_nl_parse_link(craft_end(&c, c.len), c.len, &link),
                     -EINVAL);
    craft_link(&c, 4);
    craft_attr(&c, 20, IFLA_IFNAME, "sixteen-chars-xx", 16);
    assert_int_equal(tun_nl_parse_link(craft_end(&c, c.len), c.len, &link),
                     -EINVAL);
    /* An Ethernet address of another length is no MAC, not an error. */
    craft_link(&c, 4);
    craft_attr(&c, 8, IFLA_ADDRESS, "\1\2\3\4", 4);
    assert_int_equal(tun_nl_parse_link(craft_end(&c, c.len), c.len, &link), 0);
    assert_false(link.has_mac);
    /* No valid index, or shorter than its ifinfomsg. */
    craft_link(&c, 0);
    assert_int_equal(tun_nl_parse_link(craft_end(&c, c.len), c.len, &link),
                     -EINVAL);
    craft_link(&c, -3);
    assert_int_equal(tun_nl_parse_link(craft_end(&c, c.len), c.len, &link),
                     -EINVAL);
    craft_link(&c, 4);
    assert_int_equal(tun_nl_parse_link(craft_end(&c, 31), c.len, &link),
                     -EINVAL);
    /* nlmsg_len beyond the bytes given, or below a header. */
    assert_int_equal(tun_nl_parse_link(craft_end(&c, c.len + 4), c.len, &link),
                     -EINVAL);
    assert_int_equal(tun_nl_parse_link(craft_end(&c, 8), c.len, &link),
                     -EINVAL);
    assert_int_equal(tun_nl_parse_link(craft_end(&c, c.len), 15, &link),
                     -EINVAL);
    assert_int_equal(tun_nl_parse_link(NULL, 100, &link), -EINVAL);
    assert_int_equal(tun_nl_parse_link(craft_end(&c, c.len), c.len, NULL),
                     -EINVAL);
}

static void rejects_malformed_addresses(void **state)
{
    (void)state;
    struct craft c;
    tun_address a;
    static const uint8_t v4[4] = {10, 0, 0, 1}, v4b[4] = {10, 0, 0, 2};

    /* IPv4 with only IFA_ADDRESS still names the address. */
    craft_addr(&c, AF_INET, 24);
    craft_attr(&c, 8, IFA_ADDRESS, v4, 4);
    assert_int_equal(tun_nl_parse_addr(craft_end(&c, c.len), c.len, 2, &a), 1);
    assert_int_equal(a.has_peer, 0);
    assert_memory_equal(a.addr, v4, 4);
    /* A link or family that is not asked for is skipped, not an error. */
    assert_int_equal(tun_nl_parse_addr(craft_end(&c, c.len), c.len, 3, &a), 0);
    craft_addr(&c, AF_PACKET, 24);
    craft_attr(&c, 8, IFA_ADDRESS, v4, 4);
    assert_int_equal(tun_nl_parse_addr(craft_end(&c, c.len), c.len, 2, &a), 0);
    /* IPv6 with IFA_LOCAL equal to IFA_ADDRESS has no peer. */
    static const uint8_t v6[16] = {0xfd, [15] = 1};
    craft_addr(&c, AF_INET6, 64);
    craft_attr(&c, 20, IFA_LOCAL, v6, 16);
    craft_attr(&c, 20, IFA_ADDRESS, v6, 16);
    assert_int_equal(tun_nl_parse_addr(craft_end(&c, c.len), c.len, 2, &a), 1);
    assert_int_equal(a.family, TUN_INET6);
    assert_int_equal(a.has_peer, 0);

    /* Address of the wrong length for the family. */
    craft_addr(&c, AF_INET6, 64);
    craft_attr(&c, 8, IFA_ADDRESS, v4, 4);
    assert_int_equal(tun_nl_parse_addr(craft_end(&c, c.len), c.len, 2, &a),
                     -EINVAL);
    craft_addr(&c, AF_INET, 24);
    craft_attr(&c, 8, IFA_LOCAL, v4, 4);
    craft_attr(&c, 7, IFA_ADDRESS, v4b, 3);
    assert_int_equal(tun_nl_parse_addr(craft_end(&c, c.len), c.len, 2, &a),
                     -EINVAL);
    /* No address at all, a prefix too long, attributes overrunning. */
    craft_addr(&c, AF_INET, 24);
    craft_attr(&c, 8, IFA_FLAGS, v4, 4);
    assert_int_equal(tun_nl_parse_addr(craft_end(&c, c.len), c.len, 2, &a),
                     -EINVAL);
    craft_addr(&c, AF_INET, 33);
    craft_attr(&c, 8, IFA_LOCAL, v4, 4);
    assert_int_equal(tun_nl_parse_addr(craft_end(&c, c.len), c.len, 2, &a),
                     -EINVAL);
    craft_addr(&c, AF_INET, 24);
    craft_attr(&c, 0, IFA_LOCAL, v4, 4);
    assert_int_equal(tun_nl_parse_addr(craft_end(&c, c.len), c.len, 2, &a),
                     -EINVAL);
    craft_addr(&c, AF_INET, 24);
    craft_attr(&c, 12, IFA_LOCAL, v4, 4);
    assert_int_equal(tun_nl_parse_addr(craft_end(&c, c.len), c.len, 2, &a),
                     -EINVAL);
    /* Shorter than its ifaddrmsg. */
    craft_addr(&c, AF_INET, 24);
    assert_int_equal(tun_nl_parse_addr(craft_end(&c, 20), c.len, 2, &a),
                     -EINVAL);
    assert_int_equal(tun_nl_parse_addr(NULL, 0, 2, &a), -EINVAL);
    assert_int_equal(tun_nl_parse_addr(craft_end(&c, c.len), c.len, 2, NULL),
                     -EINVAL);
}

static void rejects_malformed_errors(void **state)
{
    (void)state;
    struct craft c;
    char text[32];
    struct nlmsghdr echo = {.nlmsg_len = 16, .nlmsg_type = RTM_SETLINK};
    int32_t err = -EPERM;

    /* The error and echoed header must both be there. */
    craft_hdr(&c, NLMSG_ERROR, 0);
    craft_bytes(&c, &err, 4);
    assert_int_equal(tun_nl_parse_error(craft_end(&c, c.len), c.len, text,
                                        sizeof(text)), -EINVAL);
    craft_bytes(&c, &echo, sizeof(echo));
    assert_int_equal(tun_nl_parse_error(craft_end(&c, c.len), c.len, text,
                                        sizeof(text)), -EPERM);
    /* Positive, or beyond any errno. */
    int32_t odd[] = {1, -100000};
    for (size_t i = 0; i < 2; i++) {
        craft_hdr(&c, NLMSG_ERROR, 0);
        craft_bytes(&c, &odd[i], 4);
        craft_bytes(&c, &echo, sizeof(echo));
        assert_int_equal(tun_nl_parse_error(craft_end(&c, c.len), c.len, text,
                                            sizeof(text)), -EINVAL);
    }
    /* An uncapped echo that claims more than the message holds. */
    struct nlmsghdr long_echo = {.nlmsg_len = 200};
    craft_hdr(&c, NLMSG_ERROR, NLM_F_ACK_TLVS);
    craft_bytes(&c, &err, 4);
    craft_bytes(&c, &long_echo, sizeof(long_echo));
    assert_int_equal(tun_nl_parse_error(craft_end(&c, c.len), c.len, text,
                                        sizeof(text)), -EINVAL);
    /* Nor can an echo be shorter than a header. */
    struct nlmsghdr short_echo = {.nlmsg_len = 4};
    craft_hdr(&c, NLMSG_ERROR, NLM_F_ACK_TLVS);
    craft_bytes(&c, &err, 4);
    craft_bytes(&c, &short_echo, sizeof(short_echo));
    assert_int_equal(tun_nl_parse_error(craft_end(&c, c.len), c.len, text,
                                        sizeof(text)), -EINVAL);
    /* Extended-ACK text: without its NUL it is still ended; an overrunning
     * or zero-length attribute makes the message malformed. */
    craft_hdr(&c, NLMSG_ERROR, NLM_F_CAPPED | NLM_F_ACK_TLVS);
    craft_bytes(&c, &err, 4);
    craft_bytes(&c, &echo, sizeof(echo));
    craft_attr(&c, 8, NLMSGERR_ATTR_MSG, "nope", 4);
    assert_int_equal(tun_nl_parse_error(craft_end(&c, c.len), c.len, text,
                                        sizeof(text)), -EPERM);
    assert_string_equal(text, "nope");
    uint16_t bad_lengths[] = {0, 2, 12};
    for (size_t i = 0; i < 3; i++) {
        craft_hdr(&c, NLMSG_ERROR, NLM_F_CAPPED | NLM_F_ACK_TLVS);
        craft_bytes(&c, &err, 4);
        craft_bytes(&c, &echo, sizeof(echo));
        craft_attr(&c, bad_lengths[i], NLMSGERR_ATTR_MSG, "nope", 4);
        assert_int_equal(tun_nl_parse_error(craft_end(&c, c.len), c.len, text,
                                            sizeof(text)), -EINVAL);
    }
    assert_int_equal(tun_nl_parse_error(NULL, 0, text, sizeof(text)),
                     -EINVAL);
    assert_string_equal(text, "");
}

/* The first message of every recording cut short, both by the length
 * given and by its own nlmsg_len, in a heap copy of exactly that size so
 * that a sanitizer build catches any read past it. */
static void survives_truncation(void **state)
{
    (void)state;
    static const struct {
        const unsigned char *bytes;
        size_t len;
    } recs[] = {
        {nl_rec_link_tun, sizeof(nl_rec_link_tun)},
        {nl_rec_ack, sizeof(nl_rec_ack)},
        {nl_rec_addr_dump, sizeof(nl_rec_addr_dump)},
        {nl_rec_addr_done, sizeof(nl_rec_addr_done)},
        {nl_rec_err_mtu, sizeof(nl_rec_err_mtu)},
        {nl_rec_err_nodev, sizeof(nl_rec_err_nodev)},
        {nl_rec_ip_link_tap, sizeof(nl_rec_ip_link_tap)},
        {nl_rec_ip_addr_dump, sizeof(nl_rec_ip_addr_dump)},
        {nl_rec_ip_err_mtu, sizeof(nl_rec_ip_err_mtu)},
        {nl_rec_ip_err_exist, sizeof(nl_rec_ip_err_exist)},
        {nl_rec_ip_err_notavail, sizeof(nl_rec_ip_err_notavail)},
        {nl_rec_ip_err_nodev, sizeof(nl_rec_ip_err_nodev)},
        {nl_rec_ip_route_dump, sizeof(nl_rec_ip_route_dump)},
    };
    for (size_t r = 0; r < sizeof(recs) / sizeof(recs[0]); r++) {
        uint32_t first_len;
        memcpy(&first_len, recs[r].bytes, 4);
        assert_true(first_len <= recs[r].len);
        for (size_t cut = 0; cut < first_len; cut++) {
            unsigned char *copy = malloc(cut ? cut : 1);
            assert_non_null(copy);
            memcpy(copy, recs[r].bytes, cut);
            const struct nlmsghdr *m = msg_at(copy);
            struct tun_nl_link link;
            tun_address a;
            tun_route route;
            char text[64];
            /* The length given is short of nlmsg_len: always refused. */
            assert_int_equal(tun_nl_parse_link(m, cut, &link), -EINVAL);
            assert_int_equal(tun_nl_parse_addr(m, cut, 2, &a), -EINVAL);
            assert_int_equal(tun_nl_parse_route(m, cut, 2, &route), -EINVAL);
            assert_int_equal(tun_nl_parse_error(m, cut, text, sizeof(text)),
                             -EINVAL);
            /* nlmsg_len agrees with the cut: no crash, any verdict. */
            if (cut >= 4) {
                uint32_t n = (uint32_t)cut;
                memcpy(copy, &n, 4);
                int rc = tun_nl_parse_link(m, cut, &link);
                assert_true(rc == 0 || rc == -EINVAL);
                rc = tun_nl_parse_addr(m, cut, 2, &a);
                assert_true(rc >= -EINVAL && rc <= 1);
                rc = tun_nl_parse_route(m, cut, 2, &route);
                assert_true(rc >= -EINVAL && rc <= 1);
                rc = tun_nl_parse_error(m, cut, text, sizeof(text));
                assert_true(rc <= 0 && rc > -4096);
                assert_true(strlen(text) < sizeof(text));
            }
            free(copy);
        }
    }
}

/* A cheap, deterministic fuzz until the libFuzzer targets exist: random
 * byte changes to recorded messages, parsed from exact-size heap copies. */
static void survives_random_corruption(void **state)
{
    (void)state;
    static const struct {
        const unsigned char *bytes;
        size_t len;
    } recs[] = {
        {nl_rec_link_tun, sizeof(nl_rec_link_tun)},
        {nl_rec_ip_link_tap, sizeof(nl_rec_ip_link_tap)},
        {nl_rec_addr_dump, 76},
        {nl_rec_ip_addr_dump + 76 * 3, 80},
        {nl_rec_err_mtu, sizeof(nl_rec_err_mtu)},
        {nl_rec_ip_err_mtu, sizeof(nl_rec_ip_err_mtu)},
        {nl_rec_ip_route_dump, 52},       /* 10.3.0.0/16 table 1000 */
        {nl_rec_ip_route_dump + 648, 136}, /* fd00:2::/48 via fd00::2 */
    };
    uint32_t seed = 12345;
    for (int round = 0; round < 20000; round++) {
        size_t r = (size_t)round % (sizeof(recs) / sizeof(recs[0]));
        unsigned char *copy = malloc(recs[r].len);
        assert_non_null(copy);
        memcpy(copy, recs[r].bytes, recs[r].len);
        int changes = 1 + round % 4;
        for (int i = 0; i < changes; i++) {
            seed = seed * 1103515245u + 12345u;
            /* Aim at the headers and first attributes most of the time. */
            size_t span = (seed >> 8) % 4 ? 64 : recs[r].len;
            if (span > recs[r].len)
                span = recs[r].len;
            copy[(seed >> 16) % span] = (unsigned char)(seed >> 24);
        }
        const struct nlmsghdr *m = msg_at(copy);
        struct tun_nl_link link;
        tun_address a;
        char text[64];
        int rc = tun_nl_parse_link(m, recs[r].len, &link);
        assert_true(rc == 0 || rc == -EINVAL);
        if (rc == 0)
            assert_true(strlen(link.name) < sizeof(link.name));
        rc = tun_nl_parse_addr(m, recs[r].len, 2, &a);
        assert_true(rc >= -EINVAL && rc <= 1);
        tun_route route;
        rc = tun_nl_parse_route(m, recs[r].len, 2, &route);
        assert_true(rc >= -EINVAL && rc <= 1);
        if (rc == 1)
            assert_int_equal(tun_check_route(&route), 0);
        rc = tun_nl_parse_error(m, recs[r].len, text, sizeof(text));
        assert_true(rc <= 0 && rc > -4096);
        free(copy);
    }
}


static void parses_recorded_stats_and_carrier(void **state)
{
    (void)state;
    struct tun_nl_link link;
    assert_int_equal(tun_nl_parse_link(msg_at(nl_rec_link_tun),
                                       sizeof(nl_rec_link_tun), &link), 0);
    /* Up, but no descriptor attached: no carrier, nothing moved. */
    assert_int_equal(link.carrier, 0);
    assert_true(link.has_stats);
    assert_int_equal(link.stats.rx_packets, 0);
    assert_int_equal(link.stats.tx_packets, 0);
    assert_int_equal(link.stats.rx_bytes, 0);
    assert_int_equal(link.stats.tx_dropped, 0);
}

/* Every route of the recorded dump for ifindex into out. */
static size_t parse_route_dump(unsigned ifindex, tun_route *out, size_t cap)
{
    const unsigned char *dg = nl_rec_ip_route_dump;
    size_t len = sizeof(nl_rec_ip_route_dump), n = 0, off = 0, msgs = 0;
    while (off < len) {
        uint32_t msg_len;
        memcpy(&msg_len, dg + off, 4);
        assert_true(msg_len >= 16 && msg_len <= len - off);
        tun_route r;
        int rc = tun_nl_parse_route(msg_at(dg + off), len - off, ifindex, &r);
        assert_true(rc == 0 || rc == 1);
        if (rc == 1) {
            assert_true(n < cap);
            out[n++] = r;
        }
        off += (msg_len + 3) & ~3u;
        msgs++;
    }
    assert_int_equal(msgs, 14);
    return n;
}

static tun_route route_of(const char *dest, unsigned prefix, const char *gw,
                          unsigned metric, unsigned table)
{
    tun_route r;
    assert_tun_ok(tun_route_parse(&r, dest, prefix, gw, metric));
    r.table = table;
    return r;
}

static void assert_same_route(const tun_route *got, const tun_route *want)
{
    char g[TUN_ROUTESTRLEN], w[TUN_ROUTESTRLEN];
    assert_true(tun_route_format(got, g, sizeof(g)) > 0);
    assert_true(tun_route_format(want, w, sizeof(w)) > 0);
    assert_string_equal(g, w);
    assert_memory_equal(got, want, sizeof(*got));
}

static void parses_recorded_routes(void **state)
{
    (void)state;
    tun_route got[16];
    assert_int_equal(parse_route_dump(2, got, 16), 6);
    tun_route want[6] = {
        route_of("10.3.0.0", 16, NULL, 0, 1000),
        route_of("10.0.0.0", 24, NULL, 0, 0),
        route_of("10.1.0.0", 16, NULL, 5, 0),
        route_of("10.2.0.0", 16, "10.0.0.2", 0, 0),
        route_of("fd00::", 64, NULL, 256, 0),
        route_of("fd00:2::", 48, "fd00::2", 100, 0),
    };
    for (int i = 0; i < 6; i++)
        assert_same_route(&got[i], &want[i]);
    /* lo has only local-table routes; no link has index 9. */
    assert_int_equal(parse_route_dump(1, got, 16), 0);
    assert_int_equal(parse_route_dump(9, got, 16), 0);
    /* Not an RTM_NEWROUTE. */
    tun_route r;
    assert_int_equal(tun_nl_parse_route(msg_at(nl_rec_ack),
                                        sizeof(nl_rec_ack), 2, &r), -EINVAL);
    assert_int_equal(tun_nl_parse_route(msg_at(nl_rec_link_tun),
                                        sizeof(nl_rec_link_tun), 2, &r),
                     -EINVAL);
}

/* A built RTM_NEWROUTE reads back as the same route (the parser takes the
 * kernel's messages of that type); other requests are refused by it. */
static void builds_route(void **state)
{
    (void)state;
    static const tun_route *none = NULL;
    tun_route routes[] = {
        route_of("10.1.0.0", 16, NULL, 5, 0),
        route_of("0.0.0.0", 0, "10.0.0.2", 0, 0),
        route_of("fd00:2::", 48, "fd00::2", 100, 0),
        route_of("10.9.0.0", 16, NULL, 0, 1000),
        route_of("::", 0, NULL, 7, 100),
    };
    for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
        unsigned char buf[256];
        memset(buf, GUARD, sizeof(buf));
        int len = tun_nl_build_route(buf, sizeof(buf), 77, RTM_NEWROUTE, 4,
                                     &routes[i]);
        assert_true(len > 0 && (size_t)len < sizeof(buf));
        for (size_t k = (size_t)len; k < sizeof(buf); k++)
            assert_int_equal(buf[k], GUARD);
        struct nlmsghdr h;
        memcpy(&h, buf, sizeof(h));
        assert_int_equal(h.nlmsg_len, len);
        assert_int_equal(h.nlmsg_flags, NLM_F_REQUEST | NLM_F_ACK |
                                        NLM_F_CREATE | NLM_F_EXCL);
        assert_int_equal(h.nlmsg_seq, 77);
        struct rtmsg rtm;
        memcpy(&rtm, buf + sizeof(h), sizeof(rtm));
        assert_int_equal(rtm.rtm_type, RTN_UNICAST);
        assert_int_equal(rtm.rtm_protocol, RTPROT_STATIC);
        assert_int_equal(rtm.rtm_scope, routes[i].has_gateway
                                            ? RT_SCOPE_UNIVERSE
                                            : RT_SCOPE_LINK);
        tun_route back;
        assert_int_equal(tun_nl_parse_route(msg_at(buf), (size_t)len, 4,
                                            &back), 1);
        assert_same_route(&back, &routes[i]);
        /* Through another link: not this one's route. */
        assert_int_equal(tun_nl_parse_route(msg_at(buf), (size_t)len, 5,
                                            &back), 0);

        len = tun_nl_build_route(buf, sizeof(buf), 78, RTM_DELROUTE, 4,
                                 &routes[i]);
        assert_true(len > 0);
        memcpy(&h, buf, sizeof(h));
        assert_int_equal(h.nlmsg_type, RTM_DELROUTE);
        assert_int_equal(h.nlmsg_flags, NLM_F_REQUEST | NLM_F_ACK);
        memcpy(&rtm, buf + sizeof(h), sizeof(rtm));
        assert_int_equal(rtm.rtm_scope, RT_SCOPE_NOWHERE);
        assert_int_equal(tun_nl_parse_route(msg_at(buf), (size_t)len, 4,
                                            &back), -EINVAL);
        /* Too small a buffer, and bad arguments, build nothing. */
        assert_int_equal(tun_nl_build_route(buf, 40, 1, RTM_NEWROUTE, 4,
                                            &routes[i]), -ENOBUFS);
        assert_int_equal(tun_nl_build_route(buf, sizeof(buf), 1, RTM_GETROUTE,
                                            4, &routes[i]), -EINVAL);
        assert_int_equal(tun_nl_build_route(buf, sizeof(buf), 1, RTM_NEWROUTE,
                                            0, &routes[i]), -EINVAL);
    }
    unsigned char buf[64];
    assert_int_equal(tun_nl_build_route(buf, sizeof(buf), 1, RTM_NEWROUTE, 4,
                                        none), -EINVAL);
    tun_route bad = routes[0];
    bad.prefix = 33;
    assert_int_equal(tun_nl_build_route(buf, sizeof(buf), 1, RTM_NEWROUTE, 4,
                                        &bad), -EINVAL);
}

/* Without the automatic route, RTM_NEWADDR carries IFA_FLAGS with
 * IFA_F_NOPREFIXROUTE after the addresses; RTM_DELADDR never does. */
static void builds_addr_without_prefix_route(void **state)
{
    (void)state;
    tun_address a;
    assert_int_equal(tun_address_parse(&a, "10.0.0.1", 24, NULL), 0);
    unsigned char with[128], without[128];
    int n = tun_nl_build_addr(with, sizeof(with), 3, RTM_NEWADDR, 5, &a);
    int m = tun_nl_build_addr_route(without, sizeof(without), 3, RTM_NEWADDR,
                                    5, &a, false);
    assert_int_equal(m, n + 8);
    assert_memory_equal(with + 4, without + 4, (size_t)n - 4);
    static const unsigned char flags[8] = {0x08, 0x00, 0x08, 0x00,
                                           0x00, 0x02, 0x00, 0x00};
    assert_memory_equal(without + n, flags, 8);
    assert_int_equal(tun_nl_build_addr_route(without, sizeof(without), 3,
                                             RTM_DELADDR, 5, &a, false),
                     tun_nl_build_addr(with, sizeof(with), 3, RTM_DELADDR, 5,
                                       &a));
}

/* Notifications about a link: the recorded link, address and route
 * messages, as the event socket would receive them. */
static void finds_notifications_about_a_link(void **state)
{
    (void)state;
    assert_int_equal(tun_nl_event_concerns(nl_rec_link_tun,
                                           sizeof(nl_rec_link_tun), 2, NULL),
                     1);
    assert_int_equal(tun_nl_event_concerns(nl_rec_link_tun,
                                           sizeof(nl_rec_link_tun), 3, NULL),
                     0);
    assert_int_equal(tun_nl_event_concerns(nl_rec_ip_addr_dump,
                                           sizeof(nl_rec_ip_addr_dump), 2,
                                           NULL),
                     1);
    assert_int_equal(tun_nl_event_concerns(nl_rec_ip_addr_dump,
                                           sizeof(nl_rec_ip_addr_dump), 7,
                                           NULL),
                     0);
    /* Routes are not link or address changes. */
    assert_int_equal(tun_nl_event_concerns(nl_rec_ip_route_dump,
                                           sizeof(nl_rec_ip_route_dump), 2,
                                           NULL),
                     0);
    assert_int_equal(tun_nl_event_concerns(nl_rec_ack, 10, 2, NULL), -EINVAL);
    assert_int_equal(tun_nl_event_concerns(nl_rec_ack, 0, 2, NULL), 0);
    /* An address message cut before its index. */
    unsigned char cut[20];
    memcpy(cut, nl_rec_ip_addr_dump, sizeof(cut));
    uint32_t len = sizeof(cut);
    memcpy(cut, &len, 4);
    assert_int_equal(tun_nl_event_concerns(cut, sizeof(cut), 2, NULL),
                     -EINVAL);
}

/* A link moved to another namespace: its RTM_DELLINK there says the index
 * it has in the new one (IFLA_NEW_IFINDEX), which kernels before 5.13 may
 * have changed; read from a datagram and from a socket. */
static void learns_where_a_link_moved(void **state)
{
    (void)state;
    unsigned char moved[40] = {
        40, 0, 0, 0, RTM_DELLINK, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        /* ifinfomsg: family, pad, type (2), index 2, flags, change */
        0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        /* IFLA_NEW_IFINDEX (49): 9 */
        8, 0, IFLA_NEW_IFINDEX, 0, 9, 0, 0, 0};
    unsigned to = 77; /* left alone unless a notice says where */
    assert_int_equal(tun_nl_event_concerns(moved, sizeof(moved), 3, &to), 0);
    assert_int_equal(to, 77);
    assert_int_equal(tun_nl_event_concerns(moved, sizeof(moved), 2, &to), 1);
    assert_int_equal(to, 9);
    /* A datagram cut short is malformed. */
    to = 77;
    assert_int_equal(tun_nl_event_concerns(moved, 32, 2, &to), -EINVAL);
    /* Older kernels send no IFLA_NEW_IFINDEX: nothing learnt. */
    moved[0] = 32;
    assert_int_equal(tun_nl_event_concerns(moved, 32, 2, &to), 1);
    assert_int_equal(to, 77);
    /* Only a removal says it: a link message carrying one is not a move. */
    moved[0] = 40;
    moved[4] = RTM_NEWLINK;
    assert_int_equal(tun_nl_event_concerns(moved, 40, 2, &to), 1);
    assert_int_equal(to, 77);
    moved[4] = RTM_DELLINK;
    /* An attribute of the wrong size is malformed. */
    moved[0] = 38;
    moved[32] = 6;
    assert_int_equal(tun_nl_event_concerns(moved, 38, 2, &to), -EINVAL);
    moved[0] = 40;
    moved[32] = 8;
    /* After other attributes, as the kernel sends it: the name, then it. */
    unsigned char late[52];
    memcpy(late, moved, 32);
    static const unsigned char name[12] = {12, 0, IFLA_IFNAME, 0,
                                           't', 'u', 'n', '0', 0, 0, 0, 0};
    memcpy(late + 32, name, sizeof(name));
    memcpy(late + 44, moved + 32, 8);
    late[0] = sizeof(late);
    to = 77;
    assert_int_equal(tun_nl_event_concerns(late, sizeof(late), 2, &to), 1);
    assert_int_equal(to, 9);

    int pair[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_DGRAM, 0, pair), 0);
    assert_int_equal(send(pair[1], nl_rec_link_tun, sizeof(nl_rec_link_tun),
                          0),
                     (ssize_t)sizeof(nl_rec_link_tun));
    assert_int_equal(send(pair[1], moved, sizeof(moved), 0),
                     (ssize_t)sizeof(moved));
    to = 0;
    assert_int_equal(tun_nl_events_drain(pair[0], 2, &to), 1);
    assert_int_equal(to, 9);
    close(pair[0]);
    close(pair[1]);
}

static void builds_route_dump(void **state)
{
    (void)state;
    static const unsigned char want[] = {
        /* length 36, RTM_GETROUTE, NLM_F_REQUEST|NLM_F_DUMP, seq 9 */
        0x24, 0x00, 0x00, 0x00, 0x1a, 0x00, 0x01, 0x03,
        0x09, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        /* rtmsg: AF_UNSPEC, everything else 0 */
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00,
        /* RTA_OIF 6 */
        0x08, 0x00, 0x04, 0x00, 0x06, 0x00, 0x00, 0x00,
    };
    unsigned char buf[64];
    memset(buf, GUARD, sizeof(buf));
    assert_built(tun_nl_build_route_dump(buf, sizeof(buf), 9, 6), buf,
                 sizeof(buf), want, sizeof(want));
    assert_int_equal(tun_nl_build_route_dump(buf, sizeof(buf), 9, 0), -EINVAL);
    assert_int_equal(tun_nl_build_route_dump(buf, 30, 9, 6), -ENOBUFS);
}

int main(void)
{
    const uint16_t one = 1;
    if (*(const uint8_t *)&one != 1) {
        printf("skipped: the expected bytes are little-endian\n");
        return TUN_TEST_SKIP;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(builds_link_get_and_del),
        cmocka_unit_test(builds_link_set),
        cmocka_unit_test(builds_addr),
        cmocka_unit_test(builds_addr_dump),
        cmocka_unit_test(builders_refuse_small_buffers),
        cmocka_unit_test(builders_refuse_bad_arguments),
        cmocka_unit_test(parses_recorded_links),
        cmocka_unit_test(parses_recorded_addresses),
        cmocka_unit_test(parses_recorded_errors),
        cmocka_unit_test(rejects_malformed_links),
        cmocka_unit_test(rejects_malformed_addresses),
        cmocka_unit_test(rejects_malformed_errors),
        cmocka_unit_test(survives_truncation),
        cmocka_unit_test(survives_random_corruption),
        cmocka_unit_test(parses_recorded_stats_and_carrier),
        cmocka_unit_test(parses_recorded_routes),
        cmocka_unit_test(builds_route),
        cmocka_unit_test(builds_route_dump),
        cmocka_unit_test(builds_addr_without_prefix_route),
        cmocka_unit_test(finds_notifications_about_a_link),
        cmocka_unit_test(learns_where_a_link_moved),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
