/*
 * Packet helpers shared by the examples: the Internet checksum, turning an
 * ICMP echo request into its reply in place (IPv4 and IPv6), and a one-line
 * description of an IP packet for printing. Plain byte handling, no OS calls.
 */
#ifndef EXAMPLE_PACKET_H
#define EXAMPLE_PACKET_H

#include <stddef.h>
#include <stdint.h>

#define PACKET_IPV4_HEADER 20
#define PACKET_IPV6_HEADER 40
#define PACKET_PROTO_ICMP 1
#define PACKET_PROTO_ICMPV6 58

/* Read and write a 16-bit big-endian (network order) field. */
uint16_t packet_get16(const uint8_t *p);
void packet_put16(uint8_t *p, uint16_t v);

/* Add len bytes to a running one's-complement sum (RFC 1071); start at 0. */
uint32_t packet_sum(const void *data, size_t len, uint32_t sum);
/* Fold a running sum into the 16-bit checksum to store. */
uint16_t packet_checksum(uint32_t sum);

/* Compute and store the ICMPv6 checksum of the IPv6 packet ip6 (the ICMPv6
 * message follows the fixed header directly), pseudo-header included. */
void packet_icmpv6_set_checksum(uint8_t *ip6);

/* If pkt (len bytes) is an ICMP echo request to a unicast address, turn it
 * into the echo reply in place: swap the addresses, change the type, reset
 * the TTL / hop limit, fix the checksums. Returns the length of the reply
 * to send, or 0 when pkt is anything else (left unchanged). */
size_t packet_ipv4_echo_reply(uint8_t *pkt, size_t len);
size_t packet_ipv6_echo_reply(uint8_t *pkt, size_t len);
/* Either of the two, by the packet's IP version. */
size_t packet_echo_reply(uint8_t *pkt, size_t len);

/* Write a one-line description such as
 * "IPv4 10.0.0.1 -> 10.0.0.2 ICMP echo request id 7 seq 1, 84 bytes". */
void packet_describe(const uint8_t *pkt, size_t len, char *out, size_t size);

#endif
