/* Interface configuration as ifconfig(8) and route(8) do it on macOS,
 * FreeBSD, OpenBSD and NetBSD: ioctls on a datagram socket, getifaddrs()
 * and the routing socket. One copy for every caller; each function records
 * its reason with tun_fail(). `name` is the interface's current name. */
#ifndef TUN_BSD_IFCONFIG_H
#define TUN_BSD_IFCONFIG_H

#include "../iface.h"

#include <net/if.h>

/* socket() with the descriptor close-on-exec: atomically with SOCK_CLOEXEC
 * where the system has it (FreeBSD, NetBSD, OpenBSD), else (macOS) by
 * fcntl() right after. -1 with errno as socket(). */
int tun_ifc_socket_cloexec(int domain, int type, int protocol);

/* SIOCGIFFLAGS / SIOCSIFFLAGS: read, or set or clear IFF_UP. */
int tun_ifc_get_up(const char *name, bool *up);
int tun_ifc_set_up(const char *name, bool up);
/* SIOCGIFMTU / SIOCSIFMTU. */
int tun_ifc_get_mtu(const char *name, unsigned *mtu);
int tun_ifc_set_mtu(const char *name, unsigned mtu);
/* The Ethernet address from getifaddrs()'s AF_LINK entry; SIOCSIFLLADDR
 * (NetBSD: SIOCALIFADDR with IFLR_ACTIVE on an AF_LINK socket). */
int tun_ifc_get_mac(const char *name, uint8_t mac[6]);
int tun_ifc_set_mac(const char *name, const uint8_t mac[6]);
/* NetBSD keeps every link address it was given, inactive once another is
 * made active: whether mac is among them (SIOCGLIFADDR of exactly that
 * address), and its removal (SIOCDLIFADDR; TUN_EBUSY for the active or
 * the factory one), so that undoing a MAC leaves no trace. Elsewhere a new
 * address replaces the old one: listed is always true, nothing to forget. */
int tun_ifc_mac_listed(const char *name, const uint8_t mac[6], bool *listed);
int tun_ifc_forget_mac(const char *name, const uint8_t mac[6]);
/* The interface's link-level entry of getifaddrs(): its type (IFT_*),
 * when it is 6 bytes long its Ethernet address (mac may be NULL), and its
 * struct if_data, the counters and link state (data may be NULL; on macOS
 * the 32-bit one). TUN_ENODEV when there is no such entry. */
int tun_ifc_link(const char *name, unsigned *type, uint8_t *mac,
                 bool *has_mac, struct if_data *data);
/* Whether the interface is Ethernet (tap, feth), by the type (IFT_ETHER)
 * of its AF_LINK entry, rather than point-to-point (tun). */
int tun_ifc_is_ethernet(const char *name, bool *ethernet);

/* SIOCAIFADDR (IPv4: address, mask, and on a point-to-point interface the
 * peer or else the address itself as destination) or SIOCAIFADDR_IN6
 * (prefix mask, infinite lifetimes, no duplicate address detection).
 * On a point-to-point interface the kernel routes only the destination, so
 * the subnet route of an address with a prefix and no peer is added
 * through the routing socket, as Linux's kernel would, unless auto_route
 * is false. ifindex names the route's interface. TUN_EEXIST when the
 * address is present. */
int tun_ifc_add_address(const char *name, unsigned ifindex,
                        bool point_to_point, bool auto_route,
                        const tun_address *a);
/* SIOCDIFADDR / SIOCDIFADDR_IN6 of the address a->addr, and the subnet
 * route tun_ifc_add_address() added. TUN_EADDRNOTAVAIL when absent. */
int tun_ifc_remove_address(const char *name, unsigned ifindex,
                           bool point_to_point, const tun_address *a);
/* Every IPv4 and IPv6 address of the interface from getifaddrs(), as
 * tun_device_get_addresses() documents. */
int tun_ifc_list_addresses(const char *name, tun_address *out,
                           size_t capacity, size_t *count);

/* The routing-socket layout of this system, for tun_iface_route_sockaddrs(). */
extern const struct tun_rt_layout tun_ifc_rt_layout;
/* Write one RTM_ADD or RTM_DELETE of route r through the interface: its
 * gateway with the interface as RTA_IFP, or the interface itself as the
 * gateway (on the link); a prefix of full length is a host route; a
 * link-local destination or gateway has the interface as its zone. OpenBSD
 * takes the metric as the route's priority. Returns 0, the kernel's
 * refusal as -errno (no reason recorded: the caller names the route), or a
 * recorded failure to open the routing socket. */
int tun_ifc_route_send(int type, unsigned ifindex, const tun_route *r);

/* SIOCIFCREATE2 (where defined, else SIOCIFCREATE): make an interface of
 * a cloning driver; name is "tun" (next free unit) or "tun3", and gets the
 * created interface's name. */
int tun_ifc_create(char name[IFNAMSIZ]);
/* SIOCIFDESTROY. */
int tun_ifc_destroy(const char *name);
/* SIOCSIFNAME where the system has it (FreeBSD), else TUN_ENOTSUP. */
int tun_ifc_rename(const char *name, const char *new_name);

#endif
