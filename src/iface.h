/* Interface helpers with no OS calls, for the backends that configure
 * interfaces by ioctl (macOS and the BSDs); portable so that they are
 * unit-tested on every build. */
#ifndef TUN_IFACE_H
#define TUN_IFACE_H

#include "internal.h"

/* The unit of an interface name "<driver>N" or "<driver>%d": *unit is N,
 * or -1 for the pattern (the system picks). An empty name counts as the
 * pattern. Units above max_unit, leading zeros and other forms give
 * TUN_EINVAL with a reason naming the forms the platform takes. */
int tun_iface_unit(const char *name, const char *driver, long max_unit,
                   long *unit);

/* TUN_INET4 or TUN_INET6 from the version nibble of an IP packet, or 0
 * when it is neither (or empty). */
int tun_iface_packet_family(const void *pkt, size_t len);

/* The netmask of a prefix length over `bytes` bytes (4 or 16). */
void tun_iface_prefix_mask(unsigned prefix, uint8_t *mask, size_t bytes);
/* The prefix length of a contiguous netmask, or -1 when the mask has holes
 * (a "1" bit after a "0"). */
int tun_iface_mask_prefix(const uint8_t *mask, size_t bytes);

/* The network of an address: its bytes under its prefix's mask. */
void tun_iface_network(const tun_address *a, uint8_t net[16]);

#endif
