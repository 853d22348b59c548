/* The virtio-net header (struct virtio_net_hdr in Linux's
 * include/uapi/linux/virtio_net.h) that an offload device puts in front of
 * every packet, with the kernel's field names so one can be checked against
 * the other. Always little-endian on the wire: the Linux backend switches
 * the device to little-endian with TUNSETVNETLE. */
#ifndef TUN_ENGINE_VNET_H
#define TUN_ENGINE_VNET_H

#include <stdint.h>

#include "tun.h" /* TUN_VNET_HDR_LEN */

/* flags */
#define TUN_VNET_F_NEEDS_CSUM 1 /* checksum from csum_start to the end, store
                                   it at csum_start + csum_offset */
#define TUN_VNET_F_DATA_VALID 2 /* the checksum was verified */

/* gso_type */
#define TUN_VNET_GSO_NONE 0
#define TUN_VNET_GSO_TCPV4 1
#define TUN_VNET_GSO_TCPV6 4
#define TUN_VNET_GSO_UDP_L4 5
#define TUN_VNET_GSO_ECN 0x80 /* TCP: the first segment carries CWR */

typedef struct tun_vnet_hdr {
    uint8_t flags;
    uint8_t gso_type;
    uint16_t hdr_len;     /* length of the headers (a hint from Linux) */
    uint16_t gso_size;    /* payload bytes per segment */
    uint16_t csum_start;  /* offset of the transport header */
    uint16_t csum_offset; /* offset of its checksum field from csum_start */
} tun_vnet_hdr;

static inline uint16_t tun_vnet_get16(const uint8_t *p)
{
    return (uint16_t)(p[0] | (unsigned)p[1] << 8);
}

static inline void tun_vnet_put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static inline void tun_vnet_hdr_decode(tun_vnet_hdr *h, const uint8_t *wire)
{
    h->flags = wire[0];
    h->gso_type = wire[1];
    h->hdr_len = tun_vnet_get16(wire + 2);
    h->gso_size = tun_vnet_get16(wire + 4);
    h->csum_start = tun_vnet_get16(wire + 6);
    h->csum_offset = tun_vnet_get16(wire + 8);
}

static inline void tun_vnet_hdr_encode(uint8_t *wire, const tun_vnet_hdr *h)
{
    wire[0] = h->flags;
    wire[1] = h->gso_type;
    tun_vnet_put16(wire + 2, h->hdr_len);
    tun_vnet_put16(wire + 4, h->gso_size);
    tun_vnet_put16(wire + 6, h->csum_start);
    tun_vnet_put16(wire + 8, h->csum_offset);
}

#endif
