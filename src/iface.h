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

/* ---- the utun socket among a process's descriptors (Apple) -------------
 * tun_find_utun_fd() looks through the descriptors with these; the OS
 * calls are src/darwin/utun.c's. */

/* XNU's values for a kernel-control socket's peer (sys/socket.h,
 * sys/sys_domain.h): its struct sockaddr_ctl (sys/kern_control.h) holds
 * sc_len, sc_family and the 16-bit ss_sysaddr, then the 32-bit sc_id at
 * byte 4, all in host byte order. utun.c checks them against the SDK. */
#define TUN_IFACE_AF_SYSTEM 32
#define TUN_IFACE_AF_SYS_CONTROL 2
#define TUN_IFACE_CTL_ID_OFFSET 4

/* Whether peer (peer_len bytes, as getpeername() gave it) is a kernel
 * control's address; if so *ctl_id is the control's id (sc_id). */
bool tun_iface_control_peer(const void *peer, size_t peer_len,
                            uint32_t *ctl_id);
/* Whether a socket whose peer is a kernel control with id ctl_id is utun's:
 * the id is utun's (utun_id, from CTLIOCGINFO; 0 when unknown), or, with
 * the id unknown, the socket names a utunN interface (ifname from
 * UTUN_OPT_IFNAME; NULL when that failed). Other controls answer that
 * option number too (ipsec's IPSEC_OPT_IFNAME is 2), hence the name. */
bool tun_iface_is_utun_control(uint32_t ctl_id, uint32_t utun_id,
                               const char *ifname);

/* What tun_iface_find_fd() asks of each descriptor: whether it is the one
 * looked for (false for a closed one). */
typedef bool tun_iface_fd_probe(void *arg, int fd);
/* The lowest descriptor from 0 to limit - 1 that probe accepts, in *fd: 0,
 * or TUN_ENOENT (no reason recorded: the caller says what it sought). */
int tun_iface_find_fd(int limit, tun_iface_fd_probe *probe, void *arg,
                      int *fd);

/* ---- IPv6 zones in KAME's embedded form ---------------------------------
 * The KAME-derived stacks (macOS, FreeBSD, OpenBSD, NetBSD) keep the zone
 * of an address of interface- or link-local scope (unicast fe80::/10,
 * multicast scope 1 or 2, as ff01:: and ff02::, but for the
 * unicast-prefix-based groups, ff3x::), the
 * interface index, in bytes 2-3 of the address itself, in network order;
 * NetBSD's, OpenBSD's and XNU's routing sockets take and give it so. */

/* Whether addr (16 bytes) is of such a scope. */
bool tun_iface_zoned6(const uint8_t addr[16]);
/* Write zone (an interface index; 0 clears) into bytes 2-3 of addr when
 * it is of such a scope; any other address stays as it is. */
void tun_iface_set_zone6(uint8_t addr[16], unsigned zone);

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
 * 0. The embedded zone of a scoped IPv6 address is cleared. Returns
 * 1 with *out set, 0 for a route no tun_route describes (another family,
 * a gateway of another family, a netmask with holes), -EINVAL when a
 * sockaddr runs past len. */
int tun_iface_route_sockaddrs(const uint8_t *p, size_t len, unsigned addrs,
                              const struct tun_rt_layout *layout,
                              tun_route *out);

#endif
