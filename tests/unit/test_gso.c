/* GSO split (src/engine/gso.c): every segment compared byte for byte with
 * the packet test_offload_packets.h builds for it, and every error. */
#include "testutil.h"

#include "engine/gso.h"
#include "test_offload_packets.h"

#include <stdlib.h>

#define OFFSET 12 /* headroom before each packet, more than the header */
#define FILL 0xa5

static uint8_t payload[65536];
static uint8_t super[65536];
static uint8_t expect[65536];
static const uint8_t ts_option[12] = {1, 1, 8, 10, 0, 0, 1, 2, 0, 0, 3, 4};

static int setup(void **state)
{
    (void)state;
    uint64_t rng = 21;
    test_fill(payload, sizeof(payload), &rng);
    return 0;
}

/* Super-packet s of flow f in `super`, as Linux hands it over. */
static size_t kernel_packet(const test_flow *f, const test_seg *s, size_t gso,
                            tun_vnet_hdr *vh)
{
    return test_build_super(super, f, s, gso, vh);
}

/* n buffers of capacity bytes each, filled with FILL: allocated one by one
 * so that the sanitizers see a write past any of them. */
static tun_buf *alloc_bufs(size_t n, size_t capacity)
{
    tun_buf *b = calloc(n, sizeof(*b));
    assert_non_null(b);
    for (size_t i = 0; i < n; i++) {
        b[i].data = malloc(capacity);
        assert_non_null(b[i].data);
        b[i].capacity = capacity;
        memset(b[i].data, FILL, capacity);
    }
    return b;
}

static void free_bufs(tun_buf *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(b[i].data);
    free(b);
}

static bool untouched(const tun_buf *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < b[i].capacity; k++)
            if (b[i].data[k] != FILL)
                return false;
    return true;
}

static size_t segment_count(const test_seg *s, size_t gso)
{
    return s->payload_len ? (s->payload_len + gso - 1) / gso : 1;
}

/* Segment the output of a split must equal, as test_build() makes it. */
static void check_segments(const test_flow *f, const test_seg *s, size_t gso,
                           const tun_buf *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        test_seg g = test_segment(s, i, n, gso);
        size_t len = test_build(expect, f, &g);
        assert_int_equal(b[i].len, len);
        assert_memory_equal(b[i].data + OFFSET, expect, len);
        assert_true(test_checksums_ok(b[i].data + OFFSET, len));
        for (size_t k = 0; k < OFFSET; k++)
            assert_int_equal(b[i].data[k], FILL); /* headroom left alone */
    }
}

/* Split s into buffers of exactly the size each segment needs. */
static void check_split(const test_flow *f, const test_seg *s, size_t gso)
{
    tun_vnet_hdr vh;
    size_t len = kernel_packet(f, s, gso, &vh);
    size_t n = segment_count(s, gso);
    tun_buf *b = calloc(n, sizeof(*b));
    assert_non_null(b);
    for (size_t i = 0; i < n; i++) {
        test_seg g = test_segment(s, i, n, gso);
        b[i].capacity = OFFSET + test_hdrs_len(f, s) + g.payload_len;
        b[i].data = malloc(b[i].capacity);
        assert_non_null(b[i].data);
        memset(b[i].data, FILL, b[i].capacity);
    }
    assert_int_equal(tun_gso_split(&vh, super, len, b, n, OFFSET), (int)n);
    check_segments(f, s, gso, b, n);
    free_bufs(b, n);
}

static void test_tcp4(void **state)
{
    (void)state;
    test_flow f = test_flow_make(4, TEST_TCP, 0);
    /* Sequence number and identification wrap; ECN capable; all of the
     * flags that GSO must place: CWR first, PSH and FIN last. */
    test_seg s = {.seq = 0xfffff000, .ack = 77,
                  .flags = TEST_ACK | TEST_PSH | TEST_FIN | TEST_CWR | TEST_ECE,
                  .window = 1000, .id = 0xfffe, .df = true, .tos = 0x02,
                  .payload = payload, .payload_len = 3500};
    check_split(&f, &s, 1000);
    s.payload_len = 3000; /* an exact multiple: no short last segment */
    s.df = false;
    check_split(&f, &s, 1000);
}

static void test_tcp6_timestamps(void **state)
{
    (void)state;
    test_flow f = test_flow_make(6, TEST_TCP, 0);
    test_seg s = {.seq = 5, .ack = 9, .flags = TEST_ACK | TEST_PSH,
                  .window = 65535, .tos = 0xb8, .flow_label = 0x12345,
                  .opts = ts_option, .opts_len = sizeof(ts_option),
                  .payload = payload, .payload_len = 4001};
    check_split(&f, &s, 1208);
    s.payload_len = 1;
    check_split(&f, &s, 1208);
}

static void test_udp(void **state)
{
    (void)state;
    for (int version = 4; version <= 6; version += 2) {
        test_flow f = test_flow_make(version, TEST_UDP, 0);
        test_seg s = {.id = 300, .payload = payload, .payload_len = 2999};
        check_split(&f, &s, 1000);
        s.payload_len = 14720;
        check_split(&f, &s, 1472);
    }
}

static void test_one_segment(void **state)
{
    (void)state;
    test_flow f = test_flow_make(4, TEST_TCP, 0);
    test_seg s = {.seq = 1, .flags = TEST_ACK | TEST_PSH, .payload = payload,
                  .payload_len = 1000};
    check_split(&f, &s, 1000); /* fits exactly */
    s.payload_len = 999;
    check_split(&f, &s, 1000);
    s.payload_len = 0; /* headers only */
    s.flags = TEST_ACK | TEST_FIN;
    check_split(&f, &s, 1000);
}

static void test_ipv4_options(void **state)
{
    (void)state;
    static const uint8_t nops[8] = {1, 1, 1, 1, 1, 1, 1, 0};
    test_flow f = test_flow_make(4, TEST_TCP, 0);
    test_seg s = {.seq = 1, .flags = TEST_ACK, .ip_opts = nops,
                  .ip_opts_len = sizeof(nops), .payload = payload,
                  .payload_len = 2500};
    check_split(&f, &s, 1000);
}

static void test_many_segments(void **state)
{
    (void)state;
    test_flow f = test_flow_make(4, TEST_TCP, 0);
    test_seg s = {.seq = 1, .flags = TEST_ACK, .payload = payload,
                  .payload_len = 65535 - 40};
    check_split(&f, &s, 100);
    check_split(&f, &s, 1);
}

/* hdr_len is a hint: Linux may give the whole linear part; and a GSO
 * packet without NEEDS_CSUM is split all the same. */
static void test_header_hints(void **state)
{
    (void)state;
    test_flow f = test_flow_make(6, TEST_TCP, 0);
    test_seg s = {.seq = 1, .flags = TEST_ACK, .payload = payload,
                  .payload_len = 3000};
    tun_vnet_hdr vh;
    size_t len = kernel_packet(&f, &s, 1000, &vh);
    tun_buf *b = alloc_bufs(3, OFFSET + 1100);
    vh.hdr_len = 1500;
    assert_int_equal(tun_gso_split(&vh, super, len, b, 3, OFFSET), 3);
    check_segments(&f, &s, 1000, b, 3);
    vh.hdr_len = 0;
    vh.flags = 0;
    vh.csum_start = vh.csum_offset = 0;
    assert_int_equal(tun_gso_split(&vh, super, len, b, 3, OFFSET), 3);
    check_segments(&f, &s, 1000, b, 3);
    free_bufs(b, 3);
}

/* Make a segment's UDP checksum come out as 0 by choosing its last two
 * payload bytes; it must be sent as 0xffff. */
static void test_udp_zero_checksum(void **state)
{
    (void)state;
    for (int version = 4; version <= 6; version += 2) {
        test_flow f = test_flow_make(version, TEST_UDP, 0);
        uint8_t data[1000];
        memcpy(data, payload, sizeof(data));
        test_seg first = {.payload = data, .payload_len = 500};
        data[498] = data[499] = 0;
        size_t len = test_build(expect, &f, &first);
        size_t l3 = version == 4 ? 20 : 40;
        test_put16(expect + l3 + 6, 0);
        uint16_t sum = test_sum(expect + l3, len - l3,
                                test_pseudo(expect, TEST_UDP, len - l3));
        test_put16(data + 498, (uint16_t)~sum); /* the sum becomes 0xffff */

        test_seg s = {.payload = data, .payload_len = sizeof(data)};
        tun_vnet_hdr vh;
        len = kernel_packet(&f, &s, 500, &vh);
        tun_buf *b = alloc_bufs(2, OFFSET + 600);
        assert_int_equal(tun_gso_split(&vh, super, len, b, 2, OFFSET), 2);
        assert_int_equal(test_get16(b[0].data + OFFSET + l3 + 6), 0xffff);
        check_segments(&f, &s, 500, b, 2);

        /* Without GSO, completing NEEDS_CSUM does the same. */
        s.payload_len = 500;
        len = kernel_packet(&f, &s, 500, &vh);
        vh.gso_type = TUN_VNET_GSO_NONE;
        assert_int_equal(tun_gso_split(&vh, super, len, b, 2, OFFSET), 1);
        assert_int_equal(test_get16(b[0].data + OFFSET + l3 + 6), 0xffff);
        assert_true(test_checksums_ok(b[0].data + OFFSET, len));
        free_bufs(b, 2);
    }
}

/* NEEDS_CSUM without GSO: the checksum is completed, nothing else moves. */
static void test_complete_checksum(void **state)
{
    (void)state;
    for (int version = 4; version <= 6; version += 2) {
        for (int proto = TEST_TCP; proto <= TEST_UDP; proto += TEST_UDP - TEST_TCP) {
            test_flow f = test_flow_make(version, proto, 0);
            test_seg s = {.seq = 3, .flags = TEST_ACK, .payload = payload,
                          .payload_len = 1001};
            tun_vnet_hdr vh;
            size_t len = kernel_packet(&f, &s, 2000, &vh);
            vh.gso_type = TUN_VNET_GSO_NONE;
            vh.gso_size = 0;
            tun_buf *b = alloc_bufs(1, OFFSET + len);
            assert_int_equal(tun_gso_split(&vh, super, len, b, 1, OFFSET), 1);
            assert_int_equal(b[0].len, len);
            test_build(expect, &f, &s);
            assert_memory_equal(b[0].data + OFFSET, expect, len);
            free_bufs(b, 1);
        }
    }
}

/* Without NEEDS_CSUM the packet is copied as it is, checksum or not. */
static void test_pass_through(void **state)
{
    (void)state;
    test_flow f = test_flow_make(4, TEST_UDP, 0);
    test_seg s = {.payload = payload, .payload_len = 77};
    size_t len = test_build(super, &f, &s);
    super[len - 1] ^= 1; /* a wrong checksum stays wrong */
    tun_buf *b = alloc_bufs(1, OFFSET + len);
    for (uint8_t flags = 0; flags <= TUN_VNET_F_DATA_VALID; flags += 2) {
        tun_vnet_hdr vh = {.flags = flags};
        assert_int_equal(tun_gso_split(&vh, super, len, b, 1, OFFSET), 1);
        assert_int_equal(b[0].len, len);
        assert_memory_equal(b[0].data + OFFSET, super, len);
    }
    /* Anything at all passes, even what is not IP. */
    tun_vnet_hdr vh = {0};
    assert_int_equal(tun_gso_split(&vh, payload, 5, b, 1, OFFSET), 1);
    assert_memory_equal(b[0].data + OFFSET, payload, 5);
    free_bufs(b, 1);
}

/* The packet read straight into the first buffer: split in place. */
static void test_in_place(void **state)
{
    (void)state;
    test_flow f = test_flow_make(4, TEST_TCP, 0);
    test_seg s = {.seq = 1, .flags = TEST_ACK | TEST_PSH, .id = 9,
                  .opts = ts_option, .opts_len = sizeof(ts_option),
                  .payload = payload, .payload_len = 2900};
    tun_vnet_hdr vh;
    size_t len = kernel_packet(&f, &s, 1000, &vh);
    tun_buf *b = alloc_bufs(3, OFFSET + len);
    memcpy(b[0].data + OFFSET, super, len);
    assert_int_equal(tun_gso_split(&vh, b[0].data + OFFSET, len, b, 3, OFFSET),
                     3);
    check_segments(&f, &s, 1000, b, 3);

    s.payload_len = 900; /* one segment, and NEEDS_CSUM without GSO */
    len = kernel_packet(&f, &s, 1000, &vh);
    for (int gso = 0; gso < 2; gso++) {
        if (!gso)
            vh.gso_type = TUN_VNET_GSO_NONE;
        memcpy(b[0].data + OFFSET, super, len);
        assert_int_equal(
            tun_gso_split(&vh, b[0].data + OFFSET, len, b, 3, OFFSET), 1);
        check_segments(&f, &s, 1000, b, 1);
    }
    free_bufs(b, 3);
}

static void test_too_few_or_small_buffers(void **state)
{
    (void)state;
    test_flow f = test_flow_make(6, TEST_UDP, 0);
    test_seg s = {.payload = payload, .payload_len = 2500};
    tun_vnet_hdr vh;
    size_t len = kernel_packet(&f, &s, 1000, &vh);
    size_t full = OFFSET + 48 + 1000;

    tun_buf *b = alloc_bufs(3, full);
    assert_int_equal(tun_gso_split(&vh, super, len, b, 2, OFFSET), TUN_ENOBUFS);
    assert_true(untouched(b, 3));
    assert_int_equal(tun_gso_split(&vh, super, len, NULL, 0, OFFSET),
                     TUN_ENOBUFS);
    /* The last segment is short: a buffer just big enough for it works. */
    b[2].capacity = OFFSET + 48 + 500;
    assert_int_equal(tun_gso_split(&vh, super, len, b, 3, OFFSET), 3);
    memset(b[2].data, FILL, full);
    memset(b[0].data, FILL, full);
    memset(b[1].data, FILL, full);
    b[2].capacity = OFFSET + 48 + 499;
    assert_int_equal(tun_gso_split(&vh, super, len, b, 3, OFFSET),
                     TUN_EMSGSIZE);
    b[2].capacity = full;
    b[1].capacity = OFFSET - 1; /* not even the headroom */
    assert_int_equal(tun_gso_split(&vh, super, len, b, 3, OFFSET),
                     TUN_EMSGSIZE);
    b[1].capacity = full;
    uint8_t *data = b[1].data;
    b[1].data = NULL;
    assert_int_equal(tun_gso_split(&vh, super, len, b, 3, OFFSET),
                     TUN_EMSGSIZE);
    b[1].data = data;
    assert_true(untouched(b, 3));

    /* Without GSO the one buffer must hold the whole packet (a capacity
     * that claims more than was allocated is safe: nothing is written). */
    vh.gso_type = TUN_VNET_GSO_NONE;
    b[0].capacity = OFFSET + len - 1;
    assert_int_equal(tun_gso_split(&vh, super, len, b, 3, OFFSET),
                     TUN_EMSGSIZE);
    b[0].capacity = full;
    assert_int_equal(tun_gso_split(&vh, super, len, b, 0, OFFSET), TUN_ENOBUFS);
    assert_true(untouched(b, 3));
    free_bufs(b, 3);
}

/* A change to a valid GSO packet or its header that must be refused. */
typedef void (*mutation)(tun_vnet_hdr *vh, uint8_t *p, size_t *len);

static void gso_size_0(tun_vnet_hdr *vh, uint8_t *p, size_t *len)
{
    (void)p, (void)len;
    vh->gso_size = 0;
}
static void gso_type_ufo(tun_vnet_hdr *vh, uint8_t *p, size_t *len)
{
    (void)p, (void)len;
    vh->gso_type = 3;
}
static void gso_type_ecn_alone(tun_vnet_hdr *vh, uint8_t *p, size_t *len)
{
    (void)p, (void)len;
    vh->gso_type = TUN_VNET_GSO_ECN;
}
static void gso_type_v6_for_v4(tun_vnet_hdr *vh, uint8_t *p, size_t *len)
{
    (void)p, (void)len;
    vh->gso_type = TUN_VNET_GSO_TCPV6;
}
static void gso_type_udp_for_tcp(tun_vnet_hdr *vh, uint8_t *p, size_t *len)
{
    (void)p, (void)len;
    vh->gso_type = TUN_VNET_GSO_UDP_L4;
}
static void hdr_len_beyond(tun_vnet_hdr *vh, uint8_t *p, size_t *len)
{
    (void)p;
    vh->hdr_len = (uint16_t)(*len + 1);
}
static void csum_start_wrong(tun_vnet_hdr *vh, uint8_t *p, size_t *len)
{
    (void)p, (void)len;
    vh->csum_start = 0;
}
static void csum_offset_wrong(tun_vnet_hdr *vh, uint8_t *p, size_t *len)
{
    (void)p, (void)len;
    vh->csum_offset = 6;
}
static void total_length_long(tun_vnet_hdr *vh, uint8_t *p, size_t *len)
{
    (void)vh;
    test_put16(p + 2, (uint32_t)*len + 1);
}
static void total_length_short(tun_vnet_hdr *vh, uint8_t *p, size_t *len)
{
    (void)vh;
    test_put16(p + 2, (uint32_t)*len - 1);
}
static void packet_truncated(tun_vnet_hdr *vh, uint8_t *p, size_t *len)
{
    (void)vh, (void)p;
    *len -= 1;
}
static void ihl_4(tun_vnet_hdr *vh, uint8_t *p, size_t *len)
{
    (void)vh, (void)len;
    p[0] = 0x44;
}
static void ihl_15(tun_vnet_hdr *vh, uint8_t *p, size_t *len)
{
    (void)vh, (void)len;
    p[0] = 0x4f;
}
static void version_5(tun_vnet_hdr *vh, uint8_t *p, size_t *len)
{
    (void)vh, (void)len;
    p[0] = 0x55;
}
static void protocol_udp(tun_vnet_hdr *vh, uint8_t *p, size_t *len)
{
    (void)vh, (void)len;
    p[9] = TEST_UDP;
}
static void more_fragments(tun_vnet_hdr *vh, uint8_t *p, size_t *len)
{
    (void)vh, (void)len;
    p[6] |= 0x20;
}
static void fragment_offset(tun_vnet_hdr *vh, uint8_t *p, size_t *len)
{
    (void)vh, (void)len;
    p[7] = 1;
}
static void doff_4(tun_vnet_hdr *vh, uint8_t *p, size_t *len)
{
    (void)vh, (void)len;
    p[20 + 12] = 4 << 4;
}
static void doff_beyond(tun_vnet_hdr *vh, uint8_t *p, size_t *len)
{
    (void)vh;
    p[20 + 12] = 15 << 4;
    *len = 20 + 40; /* 20 bytes short of the 60 that doff claims */
    test_put16(p + 2, (uint32_t)*len);
}

static void test_malformed(void **state)
{
    (void)state;
    static const mutation mutations[] = {
        gso_size_0,        gso_type_ufo,       gso_type_ecn_alone,
        gso_type_v6_for_v4, gso_type_udp_for_tcp, hdr_len_beyond,
        csum_start_wrong,  csum_offset_wrong,  total_length_long,
        total_length_short, packet_truncated,  ihl_4,
        ihl_15,            version_5,          protocol_udp,
        more_fragments,    fragment_offset,    doff_4,
        doff_beyond,
    };
    test_flow f = test_flow_make(4, TEST_TCP, 0);
    test_seg s = {.seq = 1, .flags = TEST_ACK, .payload = payload,
                  .payload_len = 2000};
    tun_buf *b = alloc_bufs(8, 2000);
    for (size_t m = 0; m < sizeof(mutations) / sizeof(mutations[0]); m++) {
        tun_vnet_hdr vh;
        size_t len = kernel_packet(&f, &s, 1000, &vh);
        mutations[m](&vh, super, &len);
        /* An exact-size copy, so that a read past len is caught. */
        uint8_t *p = malloc(len);
        assert_non_null(p);
        memcpy(p, super, len);
        int rc = tun_gso_split(&vh, p, len, b, 8, OFFSET);
        if (rc != TUN_EINVAL)
            fail_msg("mutation %zu: %d instead of TUN_EINVAL", m, rc);
        assert_true(untouched(b, 8));
        free(p);
    }
    free_bufs(b, 8);
}

/* Malformed IPv6 and UDP, and NEEDS_CSUM without GSO pointing outside. */
static void test_malformed_other(void **state)
{
    (void)state;
    tun_buf *b = alloc_bufs(4, 3000);
    tun_vnet_hdr vh;
    test_flow f = test_flow_make(6, TEST_UDP, 0);
    test_seg s = {.payload = payload, .payload_len = 2000};
    size_t len = kernel_packet(&f, &s, 1000, &vh);
    test_put16(super + 4, (uint32_t)(len - 40 + 1)); /* payload length */
    assert_int_equal(tun_gso_split(&vh, super, len, b, 4, OFFSET), TUN_EINVAL);
    len = kernel_packet(&f, &s, 1000, &vh);
    test_put16(super + 40 + 4, 100); /* UDP length */
    assert_int_equal(tun_gso_split(&vh, super, len, b, 4, OFFSET), TUN_EINVAL);
    len = kernel_packet(&f, &s, 1000, &vh);
    vh.gso_type = TUN_VNET_GSO_TCPV6; /* a UDP packet */
    assert_int_equal(tun_gso_split(&vh, super, len, b, 4, OFFSET), TUN_EINVAL);

    vh = (tun_vnet_hdr){.flags = TUN_VNET_F_NEEDS_CSUM,
                        .csum_start = (uint16_t)(len - 2)};
    assert_int_equal(tun_gso_split(&vh, super, len, b, 4, OFFSET), 1);
    vh.csum_start = (uint16_t)(len - 1);
    assert_int_equal(tun_gso_split(&vh, super, len, b, 4, OFFSET), TUN_EINVAL);
    vh.csum_start = 40;
    vh.csum_offset = 0xffff;
    assert_int_equal(tun_gso_split(&vh, super, len, b, 4, OFFSET), TUN_EINVAL);

    vh = (tun_vnet_hdr){0};
    assert_int_equal(tun_gso_split(NULL, super, len, b, 4, OFFSET), TUN_EINVAL);
    assert_int_equal(tun_gso_split(&vh, NULL, len, b, 4, OFFSET), TUN_EINVAL);
    assert_int_equal(tun_gso_split(&vh, super, len, NULL, 4, OFFSET),
                     TUN_EINVAL);
    free_bufs(b, 4);
}

/* Every prefix of a valid GSO packet, alone in an exact-size allocation:
 * an error each time (the lengths no longer match), and no read past it. */
static void test_every_truncation(void **state)
{
    (void)state;
    tun_buf *b = alloc_bufs(4, 1200);
    for (int version = 4; version <= 6; version += 2) {
        test_flow f = test_flow_make(version, TEST_TCP, 0);
        test_seg s = {.seq = 1, .flags = TEST_ACK, .opts = ts_option,
                      .opts_len = sizeof(ts_option), .payload = payload,
                      .payload_len = 1500};
        tun_vnet_hdr vh;
        size_t len = kernel_packet(&f, &s, 1000, &vh);
        for (size_t cut = 0; cut < len; cut++) {
            uint8_t *p = malloc(cut ? cut : 1);
            assert_non_null(p);
            memcpy(p, super, cut);
            vh.hdr_len = 0;
            assert_int_equal(tun_gso_split(&vh, p, cut, b, 4, OFFSET),
                             TUN_EINVAL);
            free(p);
        }
    }
    assert_true(untouched(b, 4));
    free_bufs(b, 4);
}

/* tun_offload_split(), the public split from a header on the wire: a
 * packet handed over a few segments at a time gives the same segments as
 * one split; in place, too few buffers leave everything untouched. */
static void test_split_in_parts(void **state)
{
    (void)state;
    test_flow f = test_flow_make(4, TEST_TCP, 0);
    test_seg s = {.seq = 7, .flags = TEST_ACK | TEST_PSH | TEST_CWR, .id = 3,
                  .opts = ts_option, .opts_len = sizeof(ts_option),
                  .payload = payload, .payload_len = 9500};
    tun_vnet_hdr vh;
    uint8_t wire[TUN_VNET_HDR_LEN];
    size_t len = kernel_packet(&f, &s, 1000, &vh);
    tun_vnet_hdr_encode(wire, &vh);
    tun_buf *b = alloc_bufs(10, OFFSET + 1100);
    for (size_t per = 1; per <= 11; per++) {
        size_t total = 0;
        for (size_t first = 0; first < 10;) {
            int n = tun_offload_split(wire, super, len, first, b + first, per,
                                      OFFSET, &total);
            assert_int_equal(total, 10);
            assert_int_equal(n, first + per <= 10 ? per : 10 - first);
            first += (size_t)n;
        }
        check_segments(&f, &s, 1000, b, 10);
    }
    size_t total;
    assert_int_equal(tun_offload_split(wire, super, len, 10, b, 1, OFFSET,
                                       &total),
                     TUN_EINVAL);
    assert_int_equal(tun_offload_split(wire, super, len, 0, b, 0, OFFSET,
                                       &total),
                     TUN_ENOBUFS);
    assert_int_equal(tun_offload_split(NULL, super, len, 0, b, 1, OFFSET,
                                       &total),
                     TUN_EINVAL);
    assert_int_equal(tun_offload_split(wire, super, len, 0, b, 1, OFFSET,
                                       NULL),
                     1);
    wire[1] = TUN_VNET_GSO_NONE; /* gso_type */
    assert_int_equal(tun_offload_split(wire, super, len, 1, b, 1, OFFSET,
                                       &total),
                     TUN_EINVAL);
    free_bufs(b, 10);

    /* In place: with too few buffers nothing is written; with enough, the
     * first segment is cut where the packet was read. */
    tun_vnet_hdr_encode(wire, &vh);
    b = alloc_bufs(10, OFFSET + TUN_PACKET_MAX);
    memcpy(b[0].data + OFFSET, super, len);
    assert_int_equal(tun_offload_split(wire, b[0].data + OFFSET, len, 0, b, 9,
                                       OFFSET, &total),
                     TUN_ENOBUFS);
    assert_int_equal(total, 10);
    assert_memory_equal(b[0].data + OFFSET, super, len);
    assert_int_equal(tun_offload_split(wire, b[0].data + OFFSET, len, 0, b,
                                       10, OFFSET, &total),
                     10);
    check_segments(&f, &s, 1000, b, 10);
    free_bufs(b, 10);
}


/* The four kinds of flow the opt-ins are tested with. */
static const struct {
    int version, proto;
} kinds[] = {{4, TEST_TCP}, {6, TEST_TCP}, {4, TEST_UDP}, {6, TEST_UDP}};
#define FLOW_KINDS (sizeof(kinds) / sizeof(kinds[0]))

/* The packet p (len bytes, checksums complete) as the opt-in hands it
 * over: the pseudo-header sum in its TCP/UDP checksum field. */
static void make_partial(uint8_t *p, size_t len)
{
    size_t l3 = p[0] >> 4 == 4 ? (size_t)(p[0] & 15) * 4 : 40;
    unsigned proto = p[0] >> 4 == 4 ? p[9] : p[6];
    test_put16(p + l3 + (proto == TEST_TCP ? 16 : 6),
               test_pseudo(p, proto, len - l3));
}

/* Checksums carried end to end: tun_offload_split_flagged() gives every
 * segment of a NEEDS_CSUM super-packet the partial checksum (and the
 * flag), all else as the default split, whole or in parts, copied or in
 * place; a header without NEEDS_CSUM gives full checksums and flag 0; a
 * NULL flags array is the default split. */
static void test_split_partial(void **state)
{
    (void)state;
    for (size_t k = 0; k < FLOW_KINDS; k++) {
        test_flow f = test_flow_make(kinds[k].version, kinds[k].proto, 0);
        test_seg s = {.seq = 5, .flags = TEST_ACK | TEST_PSH, .id = 1,
                      .payload = payload, .payload_len = 4300};
        tun_vnet_hdr vh;
        uint8_t wire[TUN_VNET_HDR_LEN];
        size_t len = kernel_packet(&f, &s, 1000, &vh), n = 5, total;
        tun_vnet_hdr_encode(wire, &vh);
        tun_buf *b = alloc_bufs(n, OFFSET + TUN_PACKET_MAX);
        uint8_t pflags[5];
        /* Two at a time, all at once, all at once in place. */
        static const size_t pers[] = {2, 5, 5};
        for (size_t way = 0; way < 3; way++) {
            size_t per = pers[way];
            memset(pflags, 0xee, sizeof(pflags));
            const uint8_t *pkt = super;
            if (way == 2) {
                memcpy(b[0].data + OFFSET, super, len);
                pkt = b[0].data + OFFSET;
            }
            for (size_t first = 0; first < n;) {
                int got = tun_offload_split_flagged(
                    wire, pkt, len, first, b + first, pflags + first,
                    per, OFFSET, &total);
                assert_true(got > 0);
                first += (size_t)got;
            }
            for (size_t i = 0; i < n; i++) {
                test_seg g = test_segment(&s, i, n, 1000);
                size_t elen = test_build(expect, &f, &g);
                make_partial(expect, elen);
                assert_int_equal(pflags[i], TUN_PACKET_CSUM_PARTIAL);
                assert_int_equal(b[i].len, elen);
                assert_memory_equal(b[i].data + OFFSET, expect, elen);
            }
        }
        /* Without NEEDS_CSUM: full checksums, flag 0. */
        test_build(super, &f, &s);
        wire[0] = 0;
        memset(pflags, 0xee, sizeof(pflags));
        assert_int_equal(tun_offload_split_flagged(wire, super, len, 0, b,
                                                   pflags, n, OFFSET, NULL),
                         (int)n);
        check_segments(&f, &s, 1000, b, n);
        for (size_t i = 0; i < n; i++)
            assert_int_equal(pflags[i], 0);
        /* NULL flags: the default split, checksums completed. */
        len = kernel_packet(&f, &s, 1000, &vh);
        tun_vnet_hdr_encode(wire, &vh);
        assert_int_equal(tun_offload_split_flagged(wire, super, len, 0, b,
                                                   NULL, n, OFFSET, NULL),
                         (int)n);
        check_segments(&f, &s, 1000, b, n);

        /* One packet without GSO but with NEEDS_CSUM keeps its partial
         * checksum (flagged); with the field elsewhere it is completed. */
        s.payload_len = 700;
        len = kernel_packet(&f, &s, 1000, &vh);
        vh.gso_type = TUN_VNET_GSO_NONE;
        tun_vnet_hdr_encode(wire, &vh);
        assert_int_equal(tun_offload_split_flagged(wire, super, len, 0, b,
                                                   pflags, 1, OFFSET, NULL),
                         1);
        assert_int_equal(pflags[0], TUN_PACKET_CSUM_PARTIAL);
        assert_memory_equal(b[0].data + OFFSET, super, len);
        vh.csum_offset = 4; /* not the TCP/UDP checksum field */
        tun_vnet_hdr_encode(wire, &vh);
        assert_int_equal(tun_offload_split_flagged(wire, super, len, 0, b,
                                                   pflags, 1, OFFSET, NULL),
                         1);
        assert_int_equal(pflags[0], 0);
        free_bufs(b, n);
    }
}

/* Copy-free segments: tun_offload_split_slices() writes each segment's
 * headers into its buffer and points its payload slice into the packet;
 * headers + payload equal the segment of the default split (or of the
 * partial one, with flags), whole or in parts; a packet without GSO is
 * written whole with an empty payload slice. */
static void test_split_slices(void **state)
{
    (void)state;
    for (size_t k = 0; k < FLOW_KINDS; k++) {
        test_flow f = test_flow_make(kinds[k].version, kinds[k].proto, 0);
        test_seg s = {.seq = 9, .flags = TEST_ACK | TEST_PSH | TEST_FIN,
                      .id = 4, .opts = kinds[k].proto == TEST_TCP ? ts_option
                                                                  : NULL,
                      .opts_len = kinds[k].proto == TEST_TCP
                                      ? sizeof(ts_option)
                                      : 0,
                      .payload = payload, .payload_len = 4300};
        tun_vnet_hdr vh;
        uint8_t wire[TUN_VNET_HDR_LEN];
        size_t len = kernel_packet(&f, &s, 1000, &vh), n = 5, total;
        size_t hdrs = test_hdrs_len(&f, &s);
        tun_vnet_hdr_encode(wire, &vh);
        tun_buf *b = alloc_bufs(n, OFFSET + hdrs); /* room for headers only */
        static uint8_t copy[8192];
        memcpy(copy, super, len);
        tun_slice pl[5];
        uint8_t pflags[5];
        for (int partial = 0; partial < 2; partial++) {
            for (size_t per = 2; per <= n; per += n - 2) {
                for (size_t first = 0; first < n;) {
                    int got = tun_offload_split_slices(
                        wire, super, len, first, b + first, pl + first,
                        partial ? pflags + first : NULL, per, OFFSET, &total);
                    assert_true(got > 0);
                    assert_int_equal(total, n);
                    first += (size_t)got;
                }
                for (size_t i = 0; i < n; i++) {
                    test_seg g = test_segment(&s, i, n, 1000);
                    size_t elen = test_build(expect, &f, &g);
                    if (partial) {
                        make_partial(expect, elen);
                        assert_int_equal(pflags[i], TUN_PACKET_CSUM_PARTIAL);
                    }
                    assert_int_equal(b[i].len, hdrs);
                    assert_memory_equal(b[i].data + OFFSET, expect, hdrs);
                    assert_ptr_equal(pl[i].data, super + hdrs + i * 1000);
                    assert_int_equal(pl[i].len, elen - hdrs);
                    assert_memory_equal(pl[i].data, expect + hdrs,
                                        elen - hdrs);
                }
            }
        }
        assert_memory_equal(copy, super, len); /* the packet: only read */
        assert_int_equal(tun_offload_split_slices(wire, super, len, 0, b, NULL,
                                                  NULL, n, OFFSET, NULL),
                         TUN_EINVAL);
        free_bufs(b, n);

        /* Without GSO: whole into the first buffer. */
        s.payload_len = 300;
        len = kernel_packet(&f, &s, 1000, &vh);
        vh.gso_type = TUN_VNET_GSO_NONE;
        tun_vnet_hdr_encode(wire, &vh);
        b = alloc_bufs(1, OFFSET + len);
        assert_int_equal(tun_offload_split_slices(wire, super, len, 0, b, pl,
                                                  NULL, 1, OFFSET, NULL),
                         1);
        assert_int_equal(b[0].len, len);
        assert_null(pl[0].data);
        assert_int_equal(pl[0].len, 0);
        assert_true(test_checksums_ok(b[0].data + OFFSET, len));
        free_bufs(b, 1);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tcp4),
        cmocka_unit_test(test_tcp6_timestamps),
        cmocka_unit_test(test_udp),
        cmocka_unit_test(test_one_segment),
        cmocka_unit_test(test_ipv4_options),
        cmocka_unit_test(test_many_segments),
        cmocka_unit_test(test_header_hints),
        cmocka_unit_test(test_udp_zero_checksum),
        cmocka_unit_test(test_complete_checksum),
        cmocka_unit_test(test_pass_through),
        cmocka_unit_test(test_in_place),
        cmocka_unit_test(test_too_few_or_small_buffers),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_malformed_other),
        cmocka_unit_test(test_every_truncation),
        cmocka_unit_test(test_split_in_parts),
        cmocka_unit_test(test_split_partial),
        cmocka_unit_test(test_split_slices),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
