/* What the packet engine knows of IPv4, IPv6, TCP and UDP headers. The
 * caller's buffers it reads and writes are the public tun_buf. */
#ifndef TUN_ENGINE_PACKET_H
#define TUN_ENGINE_PACKET_H

#include <assert.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "checksum.h"
#include "tun.h"

#define TUN_IPPROTO_TCP 6
#define TUN_IPPROTO_UDP 17

#define TUN_IPV4_HDR_LEN 20 /* without options */
#define TUN_IPV6_HDR_LEN 40
#define TUN_TCP_HDR_LEN 20 /* without options */
#define TUN_UDP_HDR_LEN 8
#define TUN_IP_MAX_LEN 65535

/* Offsets inside the headers. */
#define TUN_IPV4_DF 0x40          /* in byte 6 */
#define TUN_TCP_CSUM_OFFSET 16
#define TUN_UDP_CSUM_OFFSET 6
#define TUN_TCP_FLAGS 13

/* TCP flags (byte 13 of the header). */
#define TUN_TCP_FIN 0x01
#define TUN_TCP_SYN 0x02
#define TUN_TCP_RST 0x04
#define TUN_TCP_PSH 0x08
#define TUN_TCP_ACK 0x10
#define TUN_TCP_URG 0x20
#define TUN_TCP_ECE 0x40
#define TUN_TCP_CWR 0x80

/* Big-endian fields, at any alignment. */
static inline uint16_t tun_get16(const uint8_t *p)
{
    return (uint16_t)((unsigned)p[0] << 8 | p[1]);
}

static inline uint32_t tun_get32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
           (uint32_t)p[2] << 8 | p[3];
}

/* GCC and Clang get a byte swap and one store; their own idiom detection
 * misses the shifts below in some loops, leaving a dozen instructions. */
#if defined(__GNUC__) && defined(__BYTE_ORDER__) && \
    __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define TUN_SWAP_STORES 1
#endif

static inline void tun_put16(uint8_t *p, uint32_t v)
{
#ifdef TUN_SWAP_STORES
    uint16_t be = __builtin_bswap16((uint16_t)v);
    memcpy(p, &be, sizeof(be));
#else
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
#endif
}

static inline void tun_put32(uint8_t *p, uint32_t v)
{
#ifdef TUN_SWAP_STORES
    uint32_t be = __builtin_bswap32(v);
    memcpy(p, &be, sizeof(be));
#else
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
#endif
}

/* Copy n >= 16 bytes of headers to a place that does not overlap them,
 * in 16-byte moves the compiler inlines, the last one overlapping the one
 * before: a few dozen bytes cost less so than a memcpy() call. */
static inline void tun_copy_hdrs(uint8_t *dst, const uint8_t *src, size_t n)
{
    assert(n >= 16);
    /* Straight code for up to 64 bytes, the usual headers. */
    if (n > 16)
        memcpy(dst, src, 16);
    if (n > 32)
        memcpy(dst + 16, src + 16, 16);
    if (n > 48)
        memcpy(dst + 32, src + 32, 16);
    if (n > 64)
        for (size_t k = 48; k + 16 < n; k += 16)
            memcpy(dst + k, src + k, 16);
    memcpy(dst + n - 16, src + n - 16, 16);
}

/* The layout of one IP packet, as tun_pkt_parse() found it. */
typedef struct tun_pkt {
    uint8_t version;  /* 4 or 6 */
    uint8_t proto;    /* IPv4 protocol or IPv6 next header */
    bool fragment;    /* an IPv4 fragment: l4_len is 0 */
    uint16_t l3_len;  /* IP header bytes: where the transport header starts */
    uint16_t l4_len;  /* TCP header with options, or 8 for UDP; 0 for any
                         other protocol */
} tun_pkt;

/* Check the headers of the IP packet p (len bytes) and describe it in *pk.
 * The IPv4 total length or IPv6 payload length must match len exactly, and
 * the TCP header (with its options) or the UDP header must fit; a UDP
 * length must match too. IPv6 extension headers are not followed: such a
 * packet is reported with their next header value as proto. Returns 0, or
 * TUN_EINVAL for anything inconsistent. Reads nothing beyond len. */
int tun_pkt_parse(tun_pkt *pk, const uint8_t *p, size_t len);
/* The same for a packet of len bytes of which only the first avail (its
 * headers, at least) lie at p, the payload elsewhere; reads nothing beyond
 * avail (the caller checks that the headers found end within it). */
int tun_pkt_parse_headers(tun_pkt *pk, const uint8_t *p, size_t avail,
                          size_t len);

/* The TCP/UDP checksum in two parts, for packets that differ only in a few
 * header fields (the segments of one super-packet, the packets of one GRO
 * run): the part they share, summed once, and the fields of each.
 * tun_pkt_l4_shared_sum(): the pseudo-header and the transport header of p
 * without the fields that differ (RFC 1624: each taken out by adding its
 * complement): the length, the checksum, and the TCP sequence number and
 * flags word or the UDP length. tun_pkt_l4_own_sum(): shared plus those
 * fields as they stand in the transport header at l4 of a packet with
 * l4_bytes of transport header and payload, but for the checksum field,
 * which a caller that verifies adds itself. */
uint32_t tun_pkt_l4_shared_sum(const uint8_t *p, const tun_pkt *pk);
static inline uint32_t tun_pkt_l4_own_sum(uint32_t shared, const uint8_t *l4,
                                          const tun_pkt *pk, size_t l4_bytes)
{
    uint32_t sum = tun_csum_add16(shared, (uint32_t)l4_bytes);
    if (pk->proto == TUN_IPPROTO_TCP) {
        sum = tun_csum_add16(sum, tun_get16(l4 + 4));
        sum = tun_csum_add16(sum, tun_get16(l4 + 6));
        return tun_csum_add16(sum, tun_get16(l4 + TUN_TCP_FLAGS - 1));
    }
    return tun_csum_add16(sum, tun_get16(l4 + 4));
}

/* The IPv4 header checksum in the same two parts: the sum of the l3_len-
 * byte header at p without its total length, identification and
 * checksum, folded to 16 bits, so that a packet's own total length and
 * identification add to it as plain numbers (the complement of the folded
 * result is its header checksum; with the checksum field added too, a
 * right header folds to 0xffff). */
uint16_t tun_pkt_ipv4_shared_sum(const uint8_t *p, size_t l3_len);

/* The pseudo-header sum of TCP or UDP for a transport segment of l4_bytes
 * bytes inside the IP packet p. */
uint32_t tun_pkt_pseudo_sum(const uint8_t *p, const tun_pkt *pk,
                            size_t l4_bytes);

#endif
