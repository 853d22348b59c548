#include "packet.h"

#if defined(_WIN32)
#include <winsock2.h>
#include <ws2tcpip.h>
#else
#include <arpa/inet.h>
#endif
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define ICMP_ECHO_REPLY 0
#define ICMP_ECHO_REQUEST 8
#define ICMPV6_ECHO_REQUEST 128
#define ICMPV6_ECHO_REPLY 129
#define REPLY_HOP_LIMIT 64

uint16_t packet_get16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

void packet_put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

uint32_t packet_sum(const void *data, size_t len, uint32_t sum)
{
    const uint8_t *p = data;
    /* Fits in 32 bits for any packet up to 128 KiB. */
    for (; len > 1; p += 2, len -= 2)
        sum += packet_get16(p);
    if (len)
        sum += (uint32_t)p[0] << 8;
    return sum;
}

uint16_t packet_checksum(uint32_t sum)
{
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

void packet_icmpv6_set_checksum(uint8_t *ip6)
{
    uint16_t payload = packet_get16(ip6 + 4);
    uint8_t *icmp = ip6 + PACKET_IPV6_HEADER;
    /* Pseudo-header (RFC 8200 8.1): source, destination, upper-layer length,
     * next header; the addresses are adjacent at offset 8. */
    uint32_t sum = packet_sum(ip6 + 8, 32, 0);
    sum += payload;
    sum += PACKET_PROTO_ICMPV6;
    packet_put16(icmp + 2, 0);
    packet_put16(icmp + 2, packet_checksum(packet_sum(icmp, payload, sum)));
}

static void swap_bytes(uint8_t *a, uint8_t *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint8_t t = a[i];
        a[i] = b[i];
        b[i] = t;
    }
}

size_t packet_ipv4_echo_reply(uint8_t *pkt, size_t len)
{
    if (len < PACKET_IPV4_HEADER || pkt[0] >> 4 != 4)
        return 0;
    size_t ihl = (size_t)(pkt[0] & 0x0f) * 4;
    size_t total = packet_get16(pkt + 2);
    if (ihl < PACKET_IPV4_HEADER || total < ihl + 8 || total > len)
        return 0;
    /* Only whole datagrams: a fragment's checksum covers bytes we lack. */
    if (pkt[9] != PACKET_PROTO_ICMP || (packet_get16(pkt + 6) & 0x3fff) != 0)
        return 0;
    /* A multicast or broadcast destination cannot be a reply's source. */
    if (pkt[16] >= 224)
        return 0;
    uint8_t *icmp = pkt + ihl;
    if (icmp[0] != ICMP_ECHO_REQUEST || icmp[1] != 0)
        return 0;

    swap_bytes(pkt + 12, pkt + 16, 4);
    pkt[8] = REPLY_HOP_LIMIT;
    packet_put16(pkt + 10, 0);
    packet_put16(pkt + 10, packet_checksum(packet_sum(pkt, ihl, 0)));
    icmp[0] = ICMP_ECHO_REPLY;
    packet_put16(icmp + 2, 0);
    packet_put16(icmp + 2, packet_checksum(packet_sum(icmp, total - ihl, 0)));
    return total;
}

size_t packet_ipv6_echo_reply(uint8_t *pkt, size_t len)
{
    if (len < PACKET_IPV6_HEADER + 8 || pkt[0] >> 4 != 6)
        return 0;
    size_t payload = packet_get16(pkt + 4);
    /* Extension headers are not followed: ping sends none. */
    if (payload < 8 || PACKET_IPV6_HEADER + payload > len ||
        pkt[6] != PACKET_PROTO_ICMPV6)
        return 0;
    if (pkt[24] == 0xff) /* multicast destination */
        return 0;
    uint8_t *icmp = pkt + PACKET_IPV6_HEADER;
    if (icmp[0] != ICMPV6_ECHO_REQUEST || icmp[1] != 0)
        return 0;

    swap_bytes(pkt + 8, pkt + 24, 16);
    pkt[7] = REPLY_HOP_LIMIT;
    icmp[0] = ICMPV6_ECHO_REPLY;
    packet_icmpv6_set_checksum(pkt);
    return PACKET_IPV6_HEADER + payload;
}

size_t packet_echo_reply(uint8_t *pkt, size_t len)
{
    size_t reply = packet_ipv4_echo_reply(pkt, len);
    return reply ? reply : packet_ipv6_echo_reply(pkt, len);
}

static const char *icmp_name(unsigned type)
{
    switch (type) {
    case ICMP_ECHO_REPLY: return "echo reply";
    case ICMP_ECHO_REQUEST: return "echo request";
    default: return NULL;
    }
}

static const char *icmpv6_name(unsigned type)
{
    switch (type) {
    case ICMPV6_ECHO_REQUEST: return "echo request";
    case ICMPV6_ECHO_REPLY: return "echo reply";
    case 133: return "router solicitation";
    case 134: return "router advertisement";
    case 135: return "neighbour solicitation";
    case 136: return "neighbour advertisement";
    case 143: return "MLDv2 report";
    default: return NULL;
    }
}

/* "ICMP echo request id 7 seq 1", "UDP", "protocol 47"... into out. */
static void describe_payload(const char *family, unsigned proto,
                             const uint8_t *l4, size_t l4_len, char *out,
                             size_t size)
{
    bool is_icmp = proto == PACKET_PROTO_ICMP || proto == PACKET_PROTO_ICMPV6;
    if (is_icmp && l4_len >= 8) {
        const char *name = proto == PACKET_PROTO_ICMP ? icmp_name(l4[0])
                                                      : icmpv6_name(l4[0]);
        bool echo = name && strncmp(name, "echo", 4) == 0;
        if (echo)
            snprintf(out, size, "%s %s id %u seq %u", family, name,
                     packet_get16(l4 + 4), packet_get16(l4 + 6));
        else if (name)
            snprintf(out, size, "%s %s", family, name);
        else
            snprintf(out, size, "%s type %u", family, l4[0]);
    } else if (proto == 6) {
        snprintf(out, size, "TCP");
    } else if (proto == 17) {
        snprintf(out, size, "UDP");
    } else {
        snprintf(out, size, "protocol %u", proto);
    }
}

void packet_describe(const uint8_t *pkt, size_t len, char *out, size_t size)
{
    char src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN], what[64];
    if (len >= PACKET_IPV4_HEADER && pkt[0] >> 4 == 4) {
        size_t ihl = (size_t)(pkt[0] & 0x0f) * 4;
        inet_ntop(AF_INET, pkt + 12, src, sizeof(src));
        inet_ntop(AF_INET, pkt + 16, dst, sizeof(dst));
        describe_payload("ICMP", pkt[9], pkt + ihl, len > ihl ? len - ihl : 0,
                         what, sizeof(what));
        snprintf(out, size, "IPv4 %s -> %s %s, %zu bytes", src, dst, what, len);
    } else if (len >= PACKET_IPV6_HEADER && pkt[0] >> 4 == 6) {
        inet_ntop(AF_INET6, pkt + 8, src, sizeof(src));
        inet_ntop(AF_INET6, pkt + 24, dst, sizeof(dst));
        describe_payload("ICMPv6", pkt[6], pkt + PACKET_IPV6_HEADER,
                         len - PACKET_IPV6_HEADER, what, sizeof(what));
        snprintf(out, size, "IPv6 %s -> %s %s, %zu bytes", src, dst, what, len);
    } else {
        snprintf(out, size, "%zu bytes, not IP", len);
    }
}
