/* GSO split: turn one packet as an offload device hands it over (a
 * virtio-net header and a packet of up to 64 KiB) into the plain packets a
 * peer without offload would have received. */
#ifndef TUN_ENGINE_GSO_H
#define TUN_ENGINE_GSO_H

#include "packet.h"
#include "vnet.h"

/* Split the packet pkt of len bytes, described by *vh, into out[0..count):
 * segment i is written at out[i].data + offset and its length stored in
 * out[i].len. Returns the number of segments.
 *
 * With a GSO type (TCPV4, TCPV6, UDP_L4, optionally ECN) the payload is cut
 * into gso_size pieces, each with copies of the headers in which: the IPv4
 * total length, identification (+1 per segment) and header checksum, or the
 * IPv6 payload length, are set; the TCP sequence number is advanced, FIN
 * and PSH stay only on the last segment and CWR only on the first; the UDP
 * length is set; the TCP or UDP checksum is computed in full (a UDP result
 * of 0 is sent as 0xffff). A packet whose payload fits in one segment gives
 * one. hdr_len is only a hint (Linux may set it to the whole linear part),
 * so the header lengths are taken from the packet itself.
 * Without GSO the packet is copied to out[0] unchanged, except that with
 * NEEDS_CSUM the checksum from csum_start to the end is completed into the
 * field at csum_start + csum_offset (which holds the pseudo-header sum), as
 * Linux's skb_checksum_help() does.
 *
 * pkt may lie exactly at out[0].data + offset (it was read there): the first
 * segment is then finished in place. Otherwise pkt must not overlap any
 * output buffer.
 *
 * Every check is made before anything is written, so on an error no output
 * buffer has been touched. Errors:
 *   TUN_EINVAL   an unknown gso_type, gso_size 0 with GSO, hdr_len beyond
 *                the packet, csum_start/csum_offset outside the packet (or,
 *                with GSO, not pointing at the TCP/UDP checksum), a packet
 *                whose IP or transport headers are inconsistent with len or
 *                with the gso_type, an IPv4 fragment with GSO
 *   TUN_ENOBUFS  count is smaller than the number of segments
 *   TUN_EMSGSIZE a buffer cannot hold offset plus its segment */
int tun_gso_split(const tun_vnet_hdr *vh, const uint8_t *pkt, size_t len,
                  tun_buf *out, size_t count, size_t offset);

/* tun_offload_split() (tun.h) decodes a header from the wire and splits
 * with the rules above, all or part of the segments. */

/* The pass-through case of tun_gso_split() for a packet that stays whole
 * (no GSO, or a super-packet a caller takes as one): copy the len bytes of
 * src to dst (dst == src: in place) and, when vh has NEEDS_CSUM, complete
 * the checksum from csum_start to the end into the field at csum_start +
 * csum_offset, which holds the pseudo-header sum, as Linux's
 * skb_checksum_help() does (0 becomes 0xffff). Returns 0, or TUN_EINVAL
 * with nothing written when that field is not inside the packet. Otherwise
 * src and dst must not overlap. */
int tun_vnet_complete(const tun_vnet_hdr *vh, uint8_t *dst, const uint8_t *src,
                      size_t len);

/* The header that makes the kernel finish the TCP/UDP checksum of the
 * len-byte packet p (whose checksum field holds the pseudo-header sum), of
 * which the first avail bytes (at least its headers) lie at p: NEEDS_CSUM,
 * csum_start at the transport header, csum_offset at its checksum field,
 * no GSO. Returns 0, or TUN_EINVAL (nothing stored) for a packet that is
 * not a whole TCP or UDP packet. */
int tun_vnet_partial_target(const uint8_t *p, size_t avail, size_t len,
                            tun_vnet_hdr *vh);

#endif
