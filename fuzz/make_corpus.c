/* Writes the seed corpus of the fuzz targets: valid inputs of each kind, so
 * that fuzzing starts from packets that reach deep into the code. Run it
 * from the source tree after changing an input format:
 *
 *   build/fuzz/fuzz_make_corpus fuzz/corpus
 *
 * Packets come from tests/unit/test_offload_packets.h, netlink replies
 * from the recordings in tests/data/netlink_recorded.h. */
#include "data/netlink_recorded.h"
#include "unit/test_offload_packets.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

static const char *root;

static void write_seed(const char *target, const char *name, const void *data,
                       size_t len)
{
    char path[1024];
    snprintf(path, sizeof(path), "%s/%s", root, target);
    if (mkdir(path, 0755) != 0 && errno != EEXIST) {
        perror(path);
        exit(1);
    }
    snprintf(path, sizeof(path), "%s/%s/%s", root, target, name);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(data, 1, len, f) != len || fclose(f) != 0) {
        perror(path);
        exit(1);
    }
}

static uint8_t payload[16384];
static uint8_t seed[1 << 20];
static const uint8_t ts[12] = {1, 1, 8, 10, 0, 0, 1, 2, 0, 0, 3, 4};

/* A super-packet of flow f as fuzz_gso_split reads it: header, control
 * byte, room per buffer, packet. */
static void gso_seed(const char *name, const test_flow *f, test_seg s,
                     size_t gso, uint8_t ctl)
{
    tun_vnet_hdr vh;
    size_t len = test_build_super(seed + 13, f, &s, gso, &vh);
    tun_vnet_hdr_encode(seed, &vh);
    seed[10] = ctl;
    seed[11] = (uint8_t)(gso + 100);
    seed[12] = (uint8_t)((gso + 100) >> 8);
    write_seed("gso_split", name, seed, 13 + len);
}

/* Append packet p to a fuzz_gro_coalesce input, with room for 64 KiB. */
static size_t gro_add(size_t at, const uint8_t *p, size_t len)
{
    seed[at] = (uint8_t)len;
    seed[at + 1] = (uint8_t)(len >> 8);
    seed[at + 2] = 0xfe;
    memcpy(seed + at + 3, p, len);
    return at + 3 + len;
}

/* The segments of super-packet s of each flow, interleaved. */
static void gro_seed(const char *name, const test_flow *flows, size_t nflows,
                     test_seg s, size_t n, size_t gso, uint8_t flags)
{
    static uint8_t pkt[65536];
    size_t at = 0;
    seed[at++] = flags;
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < nflows; k++) {
            test_seg g = test_segment(&s, i, n, gso);
            at = gro_add(at, pkt, test_build(pkt, &flows[k], &g));
        }
    write_seed("gro_coalesce", name, seed, at);
}

static void netlink_seed(const char *name, const unsigned char *reply,
                         size_t len)
{
    seed[0] = 2; /* ifindex 2, as recorded */
    seed[1] = seed[2] = seed[3] = 0;
    memcpy(seed + 4, reply, len);
    write_seed("netlink", name, seed, 4 + len);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s CORPUS_DIR\n", argv[0]);
        return 2;
    }
    root = argv[1];
    uint64_t rng = 3;
    test_fill(payload, sizeof(payload), &rng);

    test_flow tcp4 = test_flow_make(4, TEST_TCP, 0);
    test_flow tcp6 = test_flow_make(6, TEST_TCP, 0);
    test_flow udp4 = test_flow_make(4, TEST_UDP, 0);
    test_flow udp6 = test_flow_make(6, TEST_UDP, 0);
    test_seg s = {.seq = 1000, .ack = 1, .flags = TEST_ACK | TEST_PSH,
                  .window = 512, .df = true, .id = 7, .payload = payload,
                  .payload_len = 4500};
    test_seg ts_seg = s;
    ts_seg.opts = ts;
    ts_seg.opts_len = sizeof(ts);
    test_seg ecn = s;
    ecn.flags |= TEST_CWR | TEST_ECE;
    ecn.tos = 2;

    gso_seed("tcp4", &tcp4, s, 1000, 63);
    gso_seed("tcp4-in-place", &tcp4, s, 1000, 63 | 0x40);
    gso_seed("tcp4-in-parts", &tcp4, s, 1000, 63 | 0x80);
    gso_seed("tcp4-ecn", &tcp4, ecn, 1448, 63);
    gso_seed("tcp6-timestamps", &tcp6, ts_seg, 1208, 63);
    gso_seed("udp4", &udp4, s, 1472, 63);
    gso_seed("udp6", &udp6, s, 1000, 63 | 0x80);
    gso_seed("tcp4-too-few-buffers", &tcp4, s, 100, 3);
    /* NEEDS_CSUM without GSO, and a plain packet. */
    tun_vnet_hdr vh;
    size_t len = test_build_super(seed + 13, &udp4, &s, 1000, &vh);
    vh.gso_type = TUN_VNET_GSO_NONE;
    tun_vnet_hdr_encode(seed, &vh);
    seed[10] = 0;
    seed[11] = (uint8_t)len;
    seed[12] = (uint8_t)(len >> 8);
    write_seed("gso_split", "udp4-needs-csum", seed, 13 + len);
    memset(seed, 0, 10);
    write_seed("gso_split", "plain", seed, 13 + len);

    test_flow two[2] = {tcp4, test_flow_make(6, TEST_TCP, 1)};
    gro_seed("tcp4", &tcp4, 1, s, 5, 1000, 0);
    gro_seed("tcp6-timestamps", &tcp6, 1, ts_seg, 4, 1208, 0);
    gro_seed("tcp-ecn", &tcp4, 1, ecn, 4, 1000, 0);
    gro_seed("two-flows", two, 2, ts_seg, 4, 1000, 0);
    gro_seed("udp4", &udp4, 1, s, 5, 1000, 1);
    gro_seed("udp6-not-merged", &udp6, 1, s, 5, 1000, 0);
    test_seg nodf = s;
    nodf.df = false;
    nodf.payload_len = 60 * 100;
    gro_seed("tcp4-many-no-df", &tcp4, 1, nodf, 60, 100, 0);
    /* The same, handed over reversed, swapped in pairs, or both. */
    gro_seed("tcp4-reversed", &tcp4, 1, s, 5, 1000, 1 << 1);
    gro_seed("tcp4-many-no-df-swapped", &tcp4, 1, nodf, 60, 100, 2 << 1);
    gro_seed("two-flows-reversed", two, 2, ts_seg, 4, 1000, 1 << 1);
    gro_seed("tcp-ecn-both", &tcp4, 1, ecn, 4, 1000, 3 << 1);
    /* Partial checksums, flagged (one flow of each kind, reordered too). */
    gro_seed("tcp4-partial", &tcp4, 1, s, 5, 1000, 1 << 3);
    gro_seed("tcp6-partial-reversed", &tcp6, 1, ts_seg, 4, 1208,
             1 << 3 | 1 << 1);
    gro_seed("udp6-partial", &udp6, 1, s, 5, 1000, 1 << 3 | 1);
    /* Copy-free: headers and payloads apart. */
    gro_seed("tcp4-cut", &tcp4, 1, s, 5, 1000, 1 << 4);
    gro_seed("tcp6-partial-cut-swapped", &tcp6, 1, ts_seg, 4, 1208,
             1 << 4 | 1 << 3 | 2 << 1);
    gro_seed("udp4-partial-cut", &udp4, 1, s, 5, 1000, 1 << 4 | 1 << 3 | 1);

    netlink_seed("link-tun", nl_rec_link_tun, sizeof(nl_rec_link_tun));
    netlink_seed("link-tap", nl_rec_ip_link_tap, sizeof(nl_rec_ip_link_tap));
    netlink_seed("ack", nl_rec_ack, sizeof(nl_rec_ack));
    netlink_seed("addr-dump", nl_rec_addr_dump, sizeof(nl_rec_addr_dump));
    netlink_seed("addr-dump-ip", nl_rec_ip_addr_dump,
                 sizeof(nl_rec_ip_addr_dump));
    netlink_seed("done", nl_rec_addr_done, sizeof(nl_rec_addr_done));
    netlink_seed("err-mtu", nl_rec_err_mtu, sizeof(nl_rec_err_mtu));
    netlink_seed("err-nodev", nl_rec_err_nodev, sizeof(nl_rec_err_nodev));
    netlink_seed("err-mtu-ip", nl_rec_ip_err_mtu, sizeof(nl_rec_ip_err_mtu));
    netlink_seed("err-exist-ip", nl_rec_ip_err_exist,
                 sizeof(nl_rec_ip_err_exist));
    netlink_seed("route-dump-ip", nl_rec_ip_route_dump,
                 sizeof(nl_rec_ip_route_dump));

    /* Routing messages' sockaddrs (see fuzz_rtmsg.c): 10.1.0.0/16 on the
     * link on macOS, default via 10.0.0.2 on FreeBSD, fd00:2::/48 via
     * fe80::1 on NetBSD (each sockaddr padded to 8 bytes there). */
    static const uint8_t rt_link[] = {
        0, 7,
        16, 2, 0, 0, 10, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        20, 18, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        6, 0, 0, 0, 255, 255, 0, 0,
    };
    static const uint8_t rt_default[] = {
        1, 7,
        16, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        16, 2, 0, 0, 10, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0,
        0, 0, 0, 0, 0, 0, 0, 0,
    };
    static const uint8_t rt_v6[] = {
        2, 7,
        28, 24, 0, 0, 0, 0, 0, 0, 0xfd, 0, 0, 2, 0, 0, 0, 0,
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        28, 24, 0, 0, 0, 0, 0, 0, 0xfe, 0x80, 0, 7, 0, 0, 0, 0,
        0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0,
        14, 24, 0, 0, 0, 0, 0, 0, 255, 255, 255, 255, 255, 255, 0, 0,
    };
    write_seed("rtmsg", "link-macos", rt_link, sizeof(rt_link));
    write_seed("rtmsg", "default-freebsd", rt_default, sizeof(rt_default));
    write_seed("rtmsg", "ipv6-netbsd", rt_v6, sizeof(rt_v6));
    return 0;
}
