/* GRO coalescing: merge a batch of plain packets into the fewest packets an
 * offload device accepts (super-packets with a virtio-net header), so that
 * the kernel handles 64 KiB at a time.
 *
 * The rules follow Linux's own GRO (net/ipv4/tcp_offload.c tcp_gro_receive,
 * include/net/gro.h, net/ipv4/udp_offload.c), so that splitting a
 * super-packet again (tun_gso_split(), or the kernel's GSO) gives back the
 * packets that went in, byte for byte:
 *
 * A packet can join a run only if it is IPv4 without options and not a
 * fragment, or IPv6 with TCP/UDP as the next header (no extension headers),
 * its IP length fields match its length, and it carries payload. For TCP:
 * flags ACK plus optionally PSH, ECE, CWR (a SYN, FIN, RST or URG packet is
 * sent alone). It joins the open run of its flow (same version, addresses,
 * ports) when: its sequence number follows the run's last byte; the
 * acknowledgement number, window, urgent pointer, header length and option
 * bytes equal the first packet's; the flags equal the first packet's except
 * PSH and CWR, and it has no CWR (a CWR segment starts a new run, whose
 * super-packet gets TUN_VNET_GSO_ECN); its payload is not larger than the
 * first packet's; IPv4 TOS (with ECN), TTL and the DF and reserved bits, or
 * IPv6 traffic class (with ECN), flow label and hop limit, equal the first
 * packet's; without DF the IPv4 identification is the first packet's plus
 * the number of packets in the run (with DF it is ignored, as Linux does:
 * RFC 6864); the run stays within 65535 bytes and TUN_GRO_SEGS_MAX
 * packets. A packet with PSH or a shorter payload ends its run.
 * UDP (only with TUN_COALESCE_UDP): the same IP rules, a non-zero checksum, a
 * payload not larger than the first's, at most 64 packets per run
 * (Linux's UDP_GRO_CNT_MAX), and a shorter one ends the run.
 *
 * Checksums: Linux's GRO verifies every packet before merging, and so does
 * this. A merged super-packet goes out with NEEDS_CSUM, which tells the
 * kernel the data is good; merging a packet with a bad checksum would hide
 * the corruption. So the IPv4 header checksum of every candidate, and the
 * TCP/UDP checksum of every packet of a run (its first one when the second
 * arrives, the others as they join), are verified; a packet that fails
 * is sent alone, unchanged, and the kernel drops it as it would without
 * offload.
 *
 * Order: unlike Linux's GRO, which only appends, a flow's packets merge
 * when their sequence numbers follow each other, whatever their order in
 * the batch, so that a batch reordered on the way (or with two packets
 * swapped) makes as few super-packets as the same batch in order. The
 * rules above hold in order of sequence numbers: "first" is the packet
 * with the lowest one, "last" the highest, the IPv4 identification counts
 * up in that order; UDP, which has none, merges in batch order. A packet
 * of a flow that cannot join (a pure ACK, a FIN, a SYN) is a barrier:
 * packets of the flow before it never merge with packets after it, and it
 * goes out between them, so the flow's data stays on its side. A run goes
 * out at the position of its earliest packet in the batch (its "head",
 * whose buffer gets the super-packet's headers); packets of different
 * flows, and runs of one flow, may be reordered. With the batch in order
 * the result is exactly that of appending only, the first packet being
 * the head. */
#ifndef TUN_ENGINE_GRO_H
#define TUN_ENGINE_GRO_H

#include "packet.h"
#include "vnet.h"

/* The most packets in one run, so that a super-packet's slices fit one
 * writev() (UIO_MAXIOV is 1024) and an array on the stack. Runs of
 * payloads of 256 bytes or more reach 65535 bytes first. */
#define TUN_GRO_SEGS_MAX 256
/* A super-packet's slices: its head's headers apart from its payload when
 * the head's sequence number is not the lowest. */
_Static_assert(TUN_SLICES_MAX == TUN_GRO_SEGS_MAX + 1,
               "tun.h promises TUN_SLICES_MAX slices at most");

/* The table (tun.h: tun_gro_table_new()) holds the flow table and
 * per-packet records for batches of up to a fixed number of packets, and
 * the latest tun_offload_coalesce()'s batch and results, which the
 * tun_offload_write_*() calls read (tun.h says what each does).
 *
 * tun_offload_coalesce() in detail: a listed packet (a write) has its
 * virtio-net header written at data + offset - TUN_VNET_HDR_LEN: for a
 * super-packet NEEDS_CSUM, the GSO type (ECN if its first segment has CWR),
 * gso_size (the first packet's payload), hdr_len, csum_start and
 * csum_offset, with the head's headers replaced by the first packet's, the
 * IP lengths, IPv4 header checksum and UDP length rewritten, PSH set if a
 * merged packet had it, and the pseudo-header sum in the TCP/UDP checksum
 * field; for any other packet a zero header (GSO none), the packet
 * unchanged. Packets not listed were merged (their buffers only read) or
 * have length 0. */

/* The capacity the table was made with. */
size_t tun_gro_table_capacity(const tun_gro_table *t);

/* After tun_offload_coalesce(): the index of the packet that packet i
 * (below that call's count) went out with, the head of its write; i itself
 * when it heads one (or has length 0). Never above i. */
size_t tun_gro_sent_with(const tun_gro_table *t, size_t i);

#endif
