/* Packets for the offload tests and benchmarks: IPv4/IPv6 with TCP or UDP,
 * built and checked with a plain byte-by-byte checksum written here, so
 * that nothing in src/engine/ checks itself. */
#ifndef TUN_TEST_OFFLOAD_PACKETS_H
#define TUN_TEST_OFFLOAD_PACKETS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "engine/vnet.h"

#define TEST_TCP 6
#define TEST_UDP 17

/* TCP flags */
#define TEST_FIN 0x01
#define TEST_SYN 0x02
#define TEST_PSH 0x08
#define TEST_ACK 0x10
#define TEST_ECE 0x40
#define TEST_CWR 0x80

/* What stays the same for every packet of a flow. */
typedef struct test_flow {
    int version; /* 4 or 6 */
    int proto;   /* TEST_TCP or TEST_UDP */
    uint8_t src[16], dst[16];
    uint16_t sport, dport;
} test_flow;

/* What one packet carries. Zero is a fine default for every field. */
typedef struct test_seg {
    uint32_t seq, ack;
    uint8_t flags; /* TCP */
    uint16_t window;
    uint8_t ttl;
    uint8_t tos; /* IPv4 TOS or IPv6 traffic class, ECN bits included */
    uint16_t id; /* IPv4 identification */
    bool df;
    uint32_t flow_label;
    const uint8_t *opts; /* TCP options, a multiple of 4 bytes */
    size_t opts_len;
    const uint8_t *ip_opts; /* IPv4 options, a multiple of 4 bytes */
    size_t ip_opts_len;
    const uint8_t *payload;
    size_t payload_len;
} test_seg;

static inline void test_put16(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static inline void test_put32(uint8_t *p, uint32_t v)
{
    test_put16(p, v >> 16);
    test_put16(p + 2, v);
}

static inline uint16_t test_get16(const uint8_t *p)
{
    return (uint16_t)((unsigned)p[0] << 8 | p[1]);
}

static inline uint32_t test_get32(const uint8_t *p)
{
    return (uint32_t)test_get16(p) << 16 | test_get16(p + 2);
}

/* The folded one's complement sum of n bytes, added to start, two bytes at
 * a time as RFC 1071 describes it. */
static inline uint16_t test_sum(const uint8_t *p, size_t n, uint32_t start)
{
    uint64_t s = start;
    for (size_t i = 0; i + 1 < n; i += 2)
        s += (uint32_t)p[i] << 8 | p[i + 1];
    if (n & 1)
        s += (uint32_t)p[n - 1] << 8;
    while (s >> 16)
        s = (s & 0xffff) + (s >> 16);
    return (uint16_t)s;
}

/* The pseudo-header sum of the IP packet p for a transport part of l4_len
 * bytes. */
static inline uint16_t test_pseudo(const uint8_t *p, unsigned proto,
                                   size_t l4_len)
{
    bool v4 = p[0] >> 4 == 4;
    return test_sum(v4 ? p + 12 : p + 8, v4 ? 8 : 32,
                    proto + (uint32_t)l4_len);
}

/* Write the packet to out; returns its length. The IPv4 header checksum and
 * the TCP/UDP checksum are computed (a UDP 0 is sent as 0xffff). */
static inline size_t test_build(uint8_t *out, const test_flow *f,
                                const test_seg *s)
{
    size_t l3 = f->version == 4 ? 20 + s->ip_opts_len : 40;
    size_t l4 = f->proto == TEST_TCP ? 20 + s->opts_len : 8;
    size_t len = l3 + l4 + s->payload_len;
    memset(out, 0, l3 + l4);
    if (f->version == 4) {
        out[0] = (uint8_t)(0x40 | l3 / 4);
        out[1] = s->tos;
        test_put16(out + 2, (uint32_t)len);
        test_put16(out + 4, s->id);
        out[6] = s->df ? 0x40 : 0;
        out[8] = s->ttl ? s->ttl : 64;
        out[9] = (uint8_t)f->proto;
        memcpy(out + 12, f->src, 4);
        memcpy(out + 16, f->dst, 4);
        if (s->ip_opts_len)
            memcpy(out + 20, s->ip_opts, s->ip_opts_len);
        test_put16(out + 10, (uint16_t)~test_sum(out, l3, 0));
    } else {
        test_put32(out, 6u << 28 | (uint32_t)s->tos << 20 |
                            (s->flow_label & 0xfffff));
        test_put16(out + 4, (uint32_t)(len - 40));
        out[6] = (uint8_t)f->proto;
        out[7] = s->ttl ? s->ttl : 64;
        memcpy(out + 8, f->src, 16);
        memcpy(out + 24, f->dst, 16);
    }
    uint8_t *t = out + l3;
    test_put16(t, f->sport);
    test_put16(t + 2, f->dport);
    size_t csum_at;
    if (f->proto == TEST_TCP) {
        test_put32(t + 4, s->seq);
        test_put32(t + 8, s->ack);
        t[12] = (uint8_t)(l4 / 4 << 4);
        t[13] = s->flags;
        test_put16(t + 14, s->window);
        if (s->opts_len)
            memcpy(t + 20, s->opts, s->opts_len);
        csum_at = 16;
    } else {
        test_put16(t + 4, (uint32_t)(l4 + s->payload_len));
        csum_at = 6;
    }
    if (s->payload_len)
        memcpy(t + l4, s->payload, s->payload_len);
    uint16_t c = (uint16_t)~test_sum(t, len - l3,
                                     test_pseudo(out, (unsigned)f->proto,
                                                 len - l3));
    if (c == 0 && f->proto == TEST_UDP)
        c = 0xffff;
    test_put16(t + csum_at, c);
    return len;
}

/* Bytes of the IP header and of all headers of packet s of flow f. */
static inline size_t test_l3_len(const test_flow *f, const test_seg *s)
{
    return f->version == 4 ? 20 + s->ip_opts_len : 40;
}

static inline size_t test_hdrs_len(const test_flow *f, const test_seg *s)
{
    return test_l3_len(f, s) + (f->proto == TEST_TCP ? 20 + s->opts_len : 8);
}

/* Build super-packet s of flow f as Linux hands it to an offload device's
 * reader (and as GRO must hand it back): the pseudo-header sum in the
 * checksum field, and in *vh the header that goes with it for gso payload
 * bytes per segment. Returns its length. */
static inline size_t test_build_super(uint8_t *out, const test_flow *f,
                                      const test_seg *s, size_t gso,
                                      tun_vnet_hdr *vh)
{
    size_t len = test_build(out, f, s), l3 = test_l3_len(f, s);
    size_t field = l3 + (f->proto == TEST_TCP ? 16 : 6);
    test_put16(out + field, test_pseudo(out, (unsigned)f->proto, len - l3));
    *vh = (tun_vnet_hdr){
        .flags = TUN_VNET_F_NEEDS_CSUM,
        .gso_type = f->proto == TEST_UDP ? TUN_VNET_GSO_UDP_L4
                    : f->version == 4    ? TUN_VNET_GSO_TCPV4
                                         : TUN_VNET_GSO_TCPV6,
        .hdr_len = (uint16_t)test_hdrs_len(f, s),
        .gso_size = (uint16_t)gso,
        .csum_start = (uint16_t)l3,
        .csum_offset = f->proto == TEST_TCP ? 16 : 6};
    if (f->proto == TEST_TCP && (s->flags & TEST_CWR))
        vh->gso_type |= TUN_VNET_GSO_ECN;
    return len;
}

/* Segment i of the n that Linux's GSO cuts super-packet s into, with
 * gso payload bytes each: sequence number and identification advanced,
 * FIN and PSH only on the last, CWR only on the first. */
static inline test_seg test_segment(const test_seg *s, size_t i, size_t n,
                                    size_t gso)
{
    test_seg g = *s;
    size_t from = i * gso;
    g.payload = s->payload ? s->payload + from : NULL;
    g.payload_len = s->payload_len - from < gso ? s->payload_len - from : gso;
    g.seq = s->seq + (uint32_t)from;
    g.id = (uint16_t)(s->id + i);
    if (i + 1 < n)
        g.flags &= (uint8_t)~(TEST_FIN | TEST_PSH);
    if (i > 0)
        g.flags &= (uint8_t)~TEST_CWR;
    return g;
}

/* Whether the IPv4 header checksum and the TCP/UDP checksum of the packet
 * are right (a UDP checksum of 0 counts as wrong: we always send one). */
static inline bool test_checksums_ok(const uint8_t *p, size_t len)
{
    size_t l3;
    unsigned proto;
    if (p[0] >> 4 == 4) {
        l3 = (size_t)(p[0] & 15) * 4;
        proto = p[9];
        if (test_sum(p, l3, 0) != 0xffff)
            return false;
    } else {
        l3 = 40;
        proto = p[6];
    }
    if (proto == TEST_UDP && test_get16(p + l3 + 6) == 0)
        return false;
    return test_sum(p + l3, len - l3, test_pseudo(p, proto, len - l3)) ==
           0xffff;
}

/* A small seeded generator (xorshift64*), the same on every platform. */
static inline uint32_t test_rand(uint64_t *state)
{
    uint64_t x = *state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *state = x;
    return (uint32_t)((x * 0x2545f4914f6cdd1dull) >> 32);
}

static inline void test_fill(uint8_t *p, size_t n, uint64_t *state)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)test_rand(state);
}

/* Flows the tests use: 10.0.0.1:1000 -> 10.0.0.2:2000 and
 * fd00::1 -> fd00::2 with the same ports; n varies the source port. */
static inline test_flow test_flow_make(int version, int proto, uint16_t n)
{
    test_flow f;
    memset(&f, 0, sizeof(f));
    f.version = version;
    f.proto = proto;
    if (version == 4) {
        const uint8_t a[4] = {10, 0, 0, 1}, b[4] = {10, 0, 0, 2};
        memcpy(f.src, a, 4);
        memcpy(f.dst, b, 4);
    } else {
        f.src[0] = f.dst[0] = 0xfd;
        f.src[15] = 1;
        f.dst[15] = 2;
    }
    f.sport = (uint16_t)(1000 + n);
    f.dport = 2000;
    return f;
}

#endif
