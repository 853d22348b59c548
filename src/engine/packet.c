#include "packet.h"

#include "checksum.h"
#include "tun.h"

/* The parse of a packet of len bytes of which only the first avail lie at
 * p (the headers of a packet whose payload lies elsewhere): nothing beyond
 * avail is read. */
static int parse_ipv4(tun_pkt *pk, const uint8_t *p, size_t avail, size_t len)
{
    if (len < TUN_IPV4_HDR_LEN || avail < TUN_IPV4_HDR_LEN)
        return TUN_EINVAL;
    size_t ihl = (size_t)(p[0] & 0x0f) * 4;
    if (ihl < TUN_IPV4_HDR_LEN || ihl > len || tun_get16(p + 2) != len)
        return TUN_EINVAL;
    pk->version = 4;
    pk->proto = p[9];
    pk->l3_len = (uint16_t)ihl;
    /* More-fragments flag or a fragment offset. */
    pk->fragment = (tun_get16(p + 6) & 0x3fff) != 0;
    return 0;
}

static int parse_ipv6(tun_pkt *pk, const uint8_t *p, size_t avail, size_t len)
{
    if (len < TUN_IPV6_HDR_LEN || avail < TUN_IPV6_HDR_LEN ||
        (size_t)tun_get16(p + 4) + TUN_IPV6_HDR_LEN != len)
        return TUN_EINVAL;
    pk->version = 6;
    pk->proto = p[6];
    pk->l3_len = TUN_IPV6_HDR_LEN;
    pk->fragment = false;
    return 0;
}

int tun_pkt_parse_headers(tun_pkt *pk, const uint8_t *p, size_t avail,
                          size_t len)
{
    int rc;
    if (len == 0 || avail == 0 || avail > len)
        return TUN_EINVAL;
    switch (p[0] >> 4) {
    case 4:
        rc = parse_ipv4(pk, p, avail, len);
        break;
    case 6:
        rc = parse_ipv6(pk, p, avail, len);
        break;
    default:
        return TUN_EINVAL;
    }
    if (rc < 0)
        return rc;
    pk->l4_len = 0;
    if (pk->fragment)
        return 0;
    size_t l3 = pk->l3_len, rest = len - l3;
    if (pk->proto == TUN_IPPROTO_TCP) {
        if (rest < TUN_TCP_HDR_LEN || avail < l3 + TUN_TCP_HDR_LEN)
            return TUN_EINVAL;
        size_t doff = (size_t)(p[l3 + 12] >> 4) * 4;
        if (doff < TUN_TCP_HDR_LEN || doff > rest)
            return TUN_EINVAL;
        pk->l4_len = (uint16_t)doff;
    } else if (pk->proto == TUN_IPPROTO_UDP) {
        if (rest < TUN_UDP_HDR_LEN || avail < l3 + TUN_UDP_HDR_LEN ||
            tun_get16(p + l3 + 4) != rest)
            return TUN_EINVAL;
        pk->l4_len = TUN_UDP_HDR_LEN;
    }
    return 0;
}

int tun_pkt_parse(tun_pkt *pk, const uint8_t *p, size_t len)
{
    return tun_pkt_parse_headers(pk, p, len, len);
}

uint32_t tun_pkt_pseudo_sum(const uint8_t *p, const tun_pkt *pk,
                            size_t l4_bytes)
{
    /* Source and destination addresses lie side by side in both versions. */
    uint32_t sum = pk->version == 4 ? tun_csum_add_hdr(0, p + 12, 8)
                                    : tun_csum_add_hdr(0, p + 8, 32);
    sum = tun_csum_add16(sum, pk->proto);
    /* Packets here are below 64 KiB, so the IPv6 32-bit length fits the
     * same 16-bit word as the IPv4 one. */
    return tun_csum_add16(sum, (uint32_t)l4_bytes);
}

static uint32_t without(uint32_t sum, const uint8_t *field)
{
    return tun_csum_sub16(sum, tun_get16(field));
}

uint16_t tun_pkt_ipv4_shared_sum(const uint8_t *p, size_t l3_len)
{
    uint32_t sum = tun_csum_add_hdr(0, p, l3_len);
    return tun_csum_fold(without(without(without(sum, p + 2), p + 4), p + 10));
}

uint32_t tun_pkt_l4_shared_sum(const uint8_t *p, const tun_pkt *pk)
{
    const uint8_t *l4 = p + pk->l3_len;
    uint32_t sum =
        tun_csum_add_hdr(tun_pkt_pseudo_sum(p, pk, 0), l4, pk->l4_len);
    if (pk->proto == TUN_IPPROTO_TCP) {
        sum = without(without(sum, l4 + 4), l4 + 6); /* sequence number */
        sum = without(sum, l4 + TUN_TCP_FLAGS - 1);  /* offset and flags */
        return without(sum, l4 + TUN_TCP_CSUM_OFFSET);
    }
    return without(without(sum, l4 + 4), l4 + TUN_UDP_CSUM_OFFSET);
}
