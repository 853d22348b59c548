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

/* How a system lays out the addresses of a routing-socket message
 * (rt_msghdr and what follows it): each sockaddr starts with its length
 * and family bytes and is padded to `align` bytes (a zero length still
 * takes `align`); the AF_* numbers differ between systems. */
struct tun_rt_layout {
    size_t align;
    uint8_t af_inet, af_inet6, af_link;
};

/* The rtm_addrs bits libtun reads, the same on every BSD and macOS. */
#define TUN_RTA_DST 0x1
#define TUN_RTA_GATEWAY 0x2
#define TUN_RTA_NETMASK 0x4

/* The route that the addresses of one routing message describe: p holds
 * len bytes from the first sockaddr, addrs is the message's rtm_addrs.
 * The destination (IPv4 or IPv6) and netmask give dest and prefix (no
 * netmask: a host route), an IP gateway of the same family has_gateway
 * (a link-level gateway means "on the link": none); metric and table are
 * 0. KAME's scope in bytes 2-3 of a link-local address is cleared. Returns
 * 1 with *out set, 0 for a route no tun_route describes (another family,
 * a gateway of another family, a netmask with holes), -EINVAL when a
 * sockaddr runs past len. */
int tun_iface_route_sockaddrs(const uint8_t *p, size_t len, unsigned addrs,
                              const struct tun_rt_layout *layout,
                              tun_route *out);

#endif
