/* Interface configuration by ioctl, getifaddrs() and the routing socket,
 * shared by macOS, FreeBSD, OpenBSD and NetBSD (see ifconfig.h). */
#include "ifconfig.h"
#include "../iface.h"

#include <fcntl.h>
#include <ifaddrs.h>
#include <net/if_dl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/sockio.h>
#include <unistd.h>
#if defined(__APPLE__)
#include "../darwin/compat.h"
#else
#include <net/if_types.h>
#include <net/route.h>
#include <netinet/in_var.h>
#include <netinet6/in6_var.h>
#endif

/* RFC 4861's "infinity" for address lifetimes (netinet6/nd6.h). */
#ifndef ND6_INFINITE_LIFETIME
#define ND6_INFINITE_LIFETIME 0xffffffffU
#endif

int tun_ifc_socket_cloexec(int domain, int type, int protocol)
{
#if defined(SOCK_CLOEXEC)
    return socket(domain, type | SOCK_CLOEXEC, protocol);
#else
    /* A fork() and exec() of another thread between the two calls still
     * takes the descriptor along: macOS offers nothing better. */
    int s = socket(domain, type, protocol);
    if (s >= 0 && fcntl(s, F_SETFD, FD_CLOEXEC) != 0) {
        int err = errno;
        close(s);
        errno = err;
        return -1;
    }
    return s;
#endif
}

/* A datagram socket of the family the ioctl belongs to, or a reason. */
static int tun_ifc_socket(int family, const char *what)
{
    int s = tun_ifc_socket_cloexec(family, SOCK_DGRAM, 0);
    if (s < 0)
        return tun_fail_errno(errno, "%s: socket", what);
    return s;
}

/* One ioctl on a fresh socket of the family; the reason names the step and
 * the interface. */
static int tun_ifc_ioctl(int family, unsigned long request, void *arg,
                         const char *what, const char *name)
{
    int s = tun_ifc_socket(family, what);
    if (s < 0)
        return s;
    int rc = ioctl(s, request, arg);
    int err = errno;
    close(s);
    if (rc != 0) {
        if (err == ENXIO)
            return tun_fail(TUN_ENODEV, "%s on %s: the interface is gone",
                            what, name);
        return tun_fail_errno(err, "%s on %s", what, name);
    }
    return 0;
}

static void tun_ifc_ifreq(struct ifreq *ifr, const char *name)
{
    memset(ifr, 0, sizeof(*ifr));
    snprintf(ifr->ifr_name, sizeof(ifr->ifr_name), "%s", name);
}

int tun_ifc_get_up(const char *name, bool *up)
{
    struct ifreq ifr;
    tun_ifc_ifreq(&ifr, name);
    int rc = tun_ifc_ioctl(AF_INET, SIOCGIFFLAGS, &ifr, "SIOCGIFFLAGS", name);
    if (rc < 0)
        return rc;
    *up = (ifr.ifr_flags & IFF_UP) != 0;
    return 0;
}

int tun_ifc_set_up(const char *name, bool up)
{
    /* Read-modify-write keeps every other flag (and FreeBSD's high half,
     * ifr_flagshigh, which the same request carries). */
    struct ifreq ifr;
    tun_ifc_ifreq(&ifr, name);
    int rc = tun_ifc_ioctl(AF_INET, SIOCGIFFLAGS, &ifr, "SIOCGIFFLAGS", name);
    if (rc < 0)
        return rc;
    if (up)
        ifr.ifr_flags |= IFF_UP;
    else
        ifr.ifr_flags &= ~IFF_UP;
    return tun_ifc_ioctl(AF_INET, SIOCSIFFLAGS, &ifr,
                         up ? "SIOCSIFFLAGS up" : "SIOCSIFFLAGS down", name);
}

int tun_ifc_get_mtu(const char *name, unsigned *mtu)
{
    struct ifreq ifr;
    tun_ifc_ifreq(&ifr, name);
    int rc = tun_ifc_ioctl(AF_INET, SIOCGIFMTU, &ifr, "SIOCGIFMTU", name);
    if (rc < 0)
        return rc;
    *mtu = (unsigned)ifr.ifr_mtu;
    return 0;
}

int tun_ifc_set_mtu(const char *name, unsigned mtu)
{
    struct ifreq ifr;
    tun_ifc_ifreq(&ifr, name);
    ifr.ifr_mtu = (int)mtu;
    int rc = tun_ifc_ioctl(AF_INET, SIOCSIFMTU, &ifr, "SIOCSIFMTU", name);
    if (rc == TUN_EINVAL)
        return tun_fail(TUN_ERANGE, "SIOCSIFMTU %u on %s: the driver refused "
                        "the value (outside its MTU range)", mtu, name);
    return rc;
}

int tun_ifc_link(const char *name, unsigned *type, uint8_t *mac,
                 bool *has_mac, struct if_data *data)
{
    struct ifaddrs *all;
    if (getifaddrs(&all) != 0)
        return tun_fail_errno(errno, "getifaddrs");
    bool found = false;
    for (struct ifaddrs *i = all; i && !found; i = i->ifa_next) {
        if (!i->ifa_addr || i->ifa_addr->sa_family != AF_LINK ||
            strcmp(i->ifa_name, name) != 0)
            continue;
        const struct sockaddr_dl *dl = (const void *)i->ifa_addr;
        found = true;
        *type = dl->sdl_type;
        *has_mac = dl->sdl_alen == 6;
        if (*has_mac && mac)
            memcpy(mac, LLADDR(dl), 6);
        if (data && i->ifa_data)
            memcpy(data, i->ifa_data, sizeof(*data));
    }
    freeifaddrs(all);
    if (!found)
        return tun_fail(TUN_ENODEV, "%s has no link-level entry (is it "
                        "gone?)", name);
    return 0;
}

int tun_ifc_get_mac(const char *name, uint8_t mac[6])
{
    unsigned type;
    bool has_mac;
    int rc = tun_ifc_link(name, &type, mac, &has_mac, NULL);
    if (rc == 0 && !has_mac)
        return tun_fail(TUN_ENODEV, "%s has no Ethernet address", name);
    return rc;
}

int tun_ifc_is_ethernet(const char *name, bool *ethernet)
{
    unsigned type;
    bool has_mac;
    int rc = tun_ifc_link(name, &type, NULL, &has_mac, NULL);
    if (rc == 0)
        *ethernet = type == IFT_ETHER;
    return rc;
}

#if !defined(SIOCSIFLLADDR) && defined(__NetBSD__)
/* A request about link address mac of the interface on an AF_LINK socket
 * (link_control() in NetBSD's link_proto.c reads the family, the length
 * and the bytes of the sockaddr_dl; IFLR_PREFIX with the full length
 * makes SIOCGLIFADDR look up exactly that address). */
static void tun_ifc_link_request(struct if_laddrreq *req, const char *name,
                                 const uint8_t mac[6], unsigned flags)
{
    memset(req, 0, sizeof(*req));
    snprintf(req->iflr_name, sizeof(req->iflr_name), "%s", name);
    req->flags = flags;
    if (flags & IFLR_PREFIX)
        req->prefixlen = 48;
    struct sockaddr_dl sdl;
    memset(&sdl, 0, sizeof(sdl));
    sdl.sdl_len = sizeof(sdl);
    sdl.sdl_family = AF_LINK;
    sdl.sdl_alen = 6;
    memcpy(LLADDR(&sdl), mac, 6);
    memcpy(&req->addr, &sdl, sizeof(sdl));
}
#endif

int tun_ifc_set_mac(const char *name, const uint8_t mac[6])
{
#if defined(SIOCSIFLLADDR)
    struct ifreq ifr;
    tun_ifc_ifreq(&ifr, name);
    ifr.ifr_addr.sa_len = 6;
    ifr.ifr_addr.sa_family = AF_LINK;
    memcpy(ifr.ifr_addr.sa_data, mac, 6);
    return tun_ifc_ioctl(AF_INET, SIOCSIFLLADDR, &ifr, "SIOCSIFLLADDR", name);
#elif defined(__NetBSD__)
    /* NetBSD has no SIOCSIFLLADDR. As its `ifconfig tapN link MAC active`
     * does: SIOCALIFADDR adds the address to the interface (or finds it
     * there) and IFLR_ACTIVE makes it the one in use. */
    struct if_laddrreq req;
    tun_ifc_link_request(&req, name, mac, IFLR_ACTIVE);
    return tun_ifc_ioctl(AF_LINK, SIOCALIFADDR, &req,
                         "SIOCALIFADDR (active link address)", name);
#else
    (void)mac;
    return tun_fail(TUN_ENOTSUP, "setting the MAC address of %s: this system "
                    "has no SIOCSIFLLADDR", name);
#endif
}

int tun_ifc_mac_listed(const char *name, const uint8_t mac[6], bool *listed)
{
#if !defined(SIOCSIFLLADDR) && defined(__NetBSD__)
    struct if_laddrreq req;
    tun_ifc_link_request(&req, name, mac, IFLR_PREFIX);
    int rc = tun_ifc_ioctl(AF_LINK, SIOCGLIFADDR, &req,
                           "SIOCGLIFADDR (link address)", name);
    *listed = rc == 0;
    return rc == TUN_EADDRNOTAVAIL ? 0 : rc; /* absent: an answer */
#else
    (void)name;
    (void)mac;
    *listed = true; /* the address replaces the old one: nothing stays */
    return 0;
#endif
}

int tun_ifc_forget_mac(const char *name, const uint8_t mac[6])
{
#if !defined(SIOCSIFLLADDR) && defined(__NetBSD__)
    struct if_laddrreq req;
    tun_ifc_link_request(&req, name, mac, 0);
    return tun_ifc_ioctl(AF_LINK, SIOCDLIFADDR, &req,
                         "SIOCDLIFADDR (inactive link address)", name);
#else
    (void)name;
    (void)mac;
    return 0;
#endif
}

/* ---- addresses ---------------------------------------------------------- */

static void tun_ifc_sin(struct sockaddr_in *sin, const uint8_t *bytes)
{
    memset(sin, 0, sizeof(*sin));
    sin->sin_len = sizeof(*sin);
    sin->sin_family = AF_INET;
    memcpy(&sin->sin_addr, bytes, 4);
}

static void tun_ifc_sin6(struct sockaddr_in6 *sin6, const uint8_t *bytes)
{
    memset(sin6, 0, sizeof(*sin6));
    sin6->sin6_len = sizeof(*sin6);
    sin6->sin6_family = AF_INET6;
    memcpy(&sin6->sin6_addr, bytes, 16);
}

/* Align a sockaddr in a routing message as the kernel's ROUNDUP does. */
#if defined(__APPLE__)
#define TUN_RT_ALIGN sizeof(uint32_t)
#elif defined(__NetBSD__)
#define TUN_RT_ALIGN sizeof(uint64_t)
#else
#define TUN_RT_ALIGN sizeof(long)
#endif
#define TUN_RT_ROUNDUP(n)                                                      \
    ((n) > 0 ? (1 + (((n) - 1) | (TUN_RT_ALIGN - 1))) : TUN_RT_ALIGN)

const struct tun_rt_layout tun_ifc_rt_layout = {TUN_RT_ALIGN, AF_INET, AF_INET6,
                                                AF_LINK};

/* What the route builder uses of <net/route.h> beyond what
 * src/darwin/compat.h stands in for where an SDK lacks the header (iOS,
 * tvOS): XNU's values. */
#if !defined(RTF_GATEWAY)
#define RTF_GATEWAY 0x2
#endif
#if !defined(RTF_HOST)
#define RTF_HOST 0x4
#endif
#if !defined(RTA_IFP)
#define RTA_IFP 0x10
#endif

/* A sockaddr of the route's family holding bytes (network order). */
union tun_ifc_sa {
    struct sockaddr_in v4;
    struct sockaddr_in6 v6;
};

/* An IPv6 address of link- or interface-local scope (src/iface.h) gets
 * zone, the route's interface, as each routing socket reads it: FreeBSD's
 * from sin6_scope_id (rt_xaddrs() embeds it, sa6_embedscope()); NetBSD's,
 * OpenBSD's and XNU's route_output() take the address as it comes, with
 * the zone embedded as their route(8) writes it. A netmask takes zone 0. */
static size_t tun_ifc_sa_of(uint8_t family, const uint8_t *bytes,
                            unsigned zone, union tun_ifc_sa *sa)
{
    if (family == TUN_INET4) {
        tun_ifc_sin(&sa->v4, bytes);
        return sizeof(sa->v4);
    }
    tun_ifc_sin6(&sa->v6, bytes);
#if defined(__FreeBSD__)
    if (tun_iface_zoned6(bytes))
        sa->v6.sin6_scope_id = zone;
#else
    tun_iface_set_zone6(sa->v6.sin6_addr.s6_addr, zone);
#endif
    return sizeof(sa->v6);
}

/* Append one sockaddr of len bytes at *p, padded as the kernel reads it. */
static void tun_ifc_rt_put(uint8_t **p, const void *sa, size_t len)
{
    memcpy(*p, sa, len);
    *p += TUN_RT_ROUNDUP(len);
}

int tun_ifc_route_send(int type, unsigned ifindex, const tun_route *r)
{
    struct {
        struct rt_msghdr hdr;
        uint8_t space[4 * 128];
    } msg;
    memset(&msg, 0, sizeof(msg));
    union tun_ifc_sa sa;
    struct sockaddr_dl link;
    memset(&link, 0, sizeof(link));
    link.sdl_len = sizeof(link);
    link.sdl_family = AF_LINK;
    link.sdl_index = (unsigned short)ifindex;
    unsigned full = r->family == TUN_INET4 ? 32 : 128;
    int flags = RTF_UP | RTF_STATIC;
    int addrs = RTA_DST | RTA_GATEWAY;

    /* In the order of the RTA_* bits: destination, gateway (the next hop,
     * or the interface itself: route(8)'s "-interface"), netmask (none for
     * a host route), and with a next hop the interface as RTA_IFP. */
    uint8_t *p = msg.space;
    tun_ifc_rt_put(&p, &sa, tun_ifc_sa_of(r->family, r->dest, ifindex, &sa));
    if (r->has_gateway) {
        flags |= RTF_GATEWAY;
        tun_ifc_rt_put(&p, &sa,
                       tun_ifc_sa_of(r->family, r->gateway, ifindex, &sa));
    } else {
        tun_ifc_rt_put(&p, &link, sizeof(link));
#if defined(__OpenBSD__)
        /* OpenBSD takes a link-address gateway without RTF_CLONING for a
         * neighbour (ARP/ND) entry (RTF_LLINFO): a network route to the
         * link is a cloning one, as the kernel's own connected routes. */
        if (r->prefix < full)
            flags |= RTF_CLONING;
#endif
    }
    if (r->prefix < full) {
        uint8_t mask[16];
        tun_iface_prefix_mask(r->prefix, mask, full / 8);
        addrs |= RTA_NETMASK;
        tun_ifc_rt_put(&p, &sa, tun_ifc_sa_of(r->family, mask, 0, &sa));
    } else {
        flags |= RTF_HOST;
    }
    if (r->has_gateway) {
        addrs |= RTA_IFP;
        tun_ifc_rt_put(&p, &link, sizeof(link));
    }
    msg.hdr.rtm_msglen = (unsigned short)(p - (uint8_t *)&msg);
    msg.hdr.rtm_version = RTM_VERSION;
    msg.hdr.rtm_type = (unsigned char)type;
    msg.hdr.rtm_flags = flags;
    msg.hdr.rtm_addrs = addrs;
    msg.hdr.rtm_seq = 1;
#if defined(__OpenBSD__)
    msg.hdr.rtm_hdrlen = sizeof(msg.hdr);
    msg.hdr.rtm_priority = (uint8_t)r->metric;
#endif
    int s = tun_ifc_socket_cloexec(PF_ROUTE, SOCK_RAW, 0);
    if (s < 0)
        return tun_fail_errno(errno, "routing socket");
    ssize_t n = write(s, &msg, msg.hdr.rtm_msglen);
    int err = errno;
    close(s);
    return n < 0 ? -err : 0;
}

/* RTM_ADD or RTM_DELETE of the route to a's network through the interface
 * (route(8)'s "-net NET/P -interface IF"). */
static int tun_ifc_route(int type, unsigned ifindex, const tun_address *a)
{
    tun_route r;
    memset(&r, 0, sizeof(r));
    r.family = a->family;
    r.prefix = a->prefix;
    tun_iface_network(a, r.dest);
    const char *what = type == RTM_ADD ? "RTM_ADD" : "RTM_DELETE";
    int rc = tun_ifc_route_send(type, ifindex, &r);
    /* Already there (the kernel made it) or already gone: done. */
    if (rc == 0 || (type == RTM_ADD && rc == -EEXIST) ||
        (type == RTM_DELETE && rc == -ESRCH))
        return 0;
    char text[TUN_ADDRSTRLEN];
    tun_address_format(a, text, sizeof(text));
    return tun_fail_errno(-rc, "%s of the subnet route of %s", what, text);
}

/* Whether libtun routes a's subnet itself: a point-to-point interface
 * routes only the destination, and a host prefix has no subnet. */
static bool tun_ifc_needs_route(bool point_to_point, const tun_address *a)
{
    unsigned host = a->family == TUN_INET4 ? 32 : 128;
    return point_to_point && !a->has_peer && a->prefix < host;
}

static int tun_ifc_add_inet(const char *name, bool point_to_point,
                            const tun_address *a)
{
    uint8_t mask[4];
    tun_iface_prefix_mask(a->prefix, mask, 4);
#if defined(__FreeBSD__)
    struct in_aliasreq req; /* FreeBSD's SIOCAIFADDR argument */
#else
    struct ifaliasreq req;
#endif
    memset(&req, 0, sizeof(req));
    snprintf(req.ifra_name, sizeof(req.ifra_name), "%s", name);
    struct sockaddr_in sin;
    tun_ifc_sin(&sin, a->addr);
    memcpy(&req.ifra_addr, &sin, sizeof(sin));
    tun_ifc_sin(&sin, mask);
    memcpy(&req.ifra_mask, &sin, sizeof(sin));
    if (point_to_point) {
        /* The destination: the peer, or the address itself, which the
         * listing then reports as "no peer". */
        tun_ifc_sin(&sin, a->has_peer ? a->peer : a->addr);
        memcpy(&req.ifra_broadaddr, &sin, sizeof(sin));
    }
    return tun_ifc_ioctl(AF_INET, SIOCAIFADDR, &req, "SIOCAIFADDR", name);
}

static int tun_ifc_add_inet6(const char *name, const tun_address *a)
{
    struct in6_aliasreq req;
    memset(&req, 0, sizeof(req));
    snprintf(req.ifra_name, sizeof(req.ifra_name), "%s", name);
    uint8_t mask[16];
    tun_iface_prefix_mask(a->prefix, mask, 16);
    tun_ifc_sin6(&req.ifra_addr, a->addr);
    tun_ifc_sin6(&req.ifra_prefixmask, mask);
    if (a->has_peer)
        tun_ifc_sin6(&req.ifra_dstaddr, a->peer);
    req.ifra_flags = IN6_IFF_NODAD;
    req.ifra_lifetime.ia6t_vltime = ND6_INFINITE_LIFETIME;
    req.ifra_lifetime.ia6t_pltime = ND6_INFINITE_LIFETIME;
    return tun_ifc_ioctl(AF_INET6, SIOCAIFADDR_IN6, &req, "SIOCAIFADDR_IN6",
                         name);
}

/* Whether an address of list other than list[self] needs the subnet route
 * that list[self] needs (same family, prefix and network). */
static bool tun_ifc_subnet_shared(const tun_address *list, size_t count,
                                  size_t self)
{
    uint8_t net[16], other[16];
    tun_iface_network(&list[self], net);
    for (size_t i = 0; i < count; i++) {
        if (i == self || list[i].family != list[self].family ||
            list[i].prefix != list[self].prefix ||
            !tun_ifc_needs_route(true, &list[i]))
            continue;
        tun_iface_network(&list[i], other);
        if (memcmp(net, other, sizeof(net)) == 0)
            return true;
    }
    return false;
}

/* Whether the interface has the address a->addr (family and bytes). */
static int tun_ifc_has_address(const char *name, const tun_address *a,
                               bool *found)
{
    tun_address list[64];
    size_t count;
    int rc = tun_ifc_list_addresses(name, list, 64, &count);
    if (rc < 0 && rc != TUN_ENOBUFS)
        return rc;
    *found = false;
    for (size_t i = 0; i < count && i < 64; i++)
        if (tun_address_same(&list[i], a))
            *found = true;
    return 0;
}

int tun_ifc_add_address(const char *name, unsigned ifindex,
                        bool point_to_point, bool auto_route,
                        const tun_address *a)
{
    /* SIOCAIFADDR changes an existing address in place; the API promises
     * TUN_EEXIST instead. */
    bool found;
    int rc = tun_ifc_has_address(name, a, &found);
    if (rc < 0)
        return rc;
    if (found)
        return tun_fail(TUN_EEXIST, "the address is already on %s", name);
    /* A destination exists only on a point-to-point interface (IPv4 would
     * take it as the broadcast address), and the KAME IPv6 stack of every
     * one of these systems wants prefix 128 with it (in6_update_ifa). */
    if (a->has_peer && !point_to_point)
        return tun_fail(TUN_EINVAL, "%s is not point-to-point (an L2 "
                        "device): an address there has no peer", name);
    if (a->has_peer && a->family == TUN_INET6 && a->prefix != 128)
        return tun_fail(TUN_EINVAL, "an IPv6 address with a peer takes "
                        "prefix 128 here (the kernel routes the peer)");
    rc = a->family == TUN_INET4 ? tun_ifc_add_inet(name, point_to_point, a)
                                : tun_ifc_add_inet6(name, a);
    if (rc < 0 || !auto_route || !tun_ifc_needs_route(point_to_point, a))
        return rc;
    if ((rc = tun_ifc_route(RTM_ADD, ifindex, a)) < 0) {
        tun_kept_reason reason;
        tun_reason_keep(&reason);
        tun_ifc_remove_address(name, ifindex, false, a);
        return tun_fail(rc, "%s", reason.text);
    }
    return 0;
}

int tun_ifc_remove_address(const char *name, unsigned ifindex,
                           bool point_to_point, const tun_address *a)
{
    bool found;
    int rc = tun_ifc_has_address(name, a, &found);
    if (rc < 0)
        return rc;
    if (!found)
        return tun_fail(TUN_EADDRNOTAVAIL, "the address is not on %s", name);
    /* The route goes first, with the prefix the address was added with,
     * unless another address of the interface routes the same subnet. */
    if (point_to_point) {
        tun_address list[64];
        size_t count;
        rc = tun_ifc_list_addresses(name, list, 64, &count);
        for (size_t i = 0; rc >= 0 && i < count && i < 64; i++) {
            if (tun_address_same(&list[i], a) &&
                tun_ifc_needs_route(true, &list[i]) &&
                !tun_ifc_subnet_shared(list, count < 64 ? count : 64, i) &&
                (rc = tun_ifc_route(RTM_DELETE, ifindex, &list[i])) < 0)
                return rc;
        }
    }
    if (a->family == TUN_INET4) {
        struct ifreq ifr;
        tun_ifc_ifreq(&ifr, name);
        struct sockaddr_in sin;
        tun_ifc_sin(&sin, a->addr);
        memcpy(&ifr.ifr_addr, &sin, sizeof(sin));
        return tun_ifc_ioctl(AF_INET, SIOCDIFADDR, &ifr, "SIOCDIFADDR", name);
    }
    struct in6_ifreq ifr6;
    memset(&ifr6, 0, sizeof(ifr6));
    snprintf(ifr6.ifr_name, sizeof(ifr6.ifr_name), "%s", name);
    tun_ifc_sin6(&ifr6.ifr_ifru.ifru_addr, a->addr);
    return tun_ifc_ioctl(AF_INET6, SIOCDIFADDR_IN6, &ifr6, "SIOCDIFADDR_IN6",
                         name);
}

/* One getifaddrs() entry as a tun_address; false for other families. */
static bool tun_ifc_entry(const struct ifaddrs *i, tun_address *out)
{
    int family = i->ifa_addr->sa_family;
    if (family != AF_INET && family != AF_INET6)
        return false;
    memset(out, 0, sizeof(*out));
    const uint8_t *addr, *mask = NULL, *dst = NULL;
    size_t bytes;
    if (family == AF_INET) {
        out->family = TUN_INET4;
        bytes = 4;
        addr = (const uint8_t *)&((const struct sockaddr_in *)(const void *)
                                      i->ifa_addr)->sin_addr;
        if (i->ifa_netmask)
            mask = (const uint8_t *)&((const struct sockaddr_in *)(const void *)
                                          i->ifa_netmask)->sin_addr;
        if (i->ifa_dstaddr && i->ifa_dstaddr->sa_family == AF_INET)
            dst = (const uint8_t *)&((const struct sockaddr_in *)(const void *)
                                         i->ifa_dstaddr)->sin_addr;
    } else {
        out->family = TUN_INET6;
        bytes = 16;
        addr = (const uint8_t *)&((const struct sockaddr_in6 *)(const void *)
                                      i->ifa_addr)->sin6_addr;
        if (i->ifa_netmask)
            mask = (const uint8_t *)&((const struct sockaddr_in6 *)(
                                          const void *)i->ifa_netmask)
                       ->sin6_addr;
        if (i->ifa_dstaddr && i->ifa_dstaddr->sa_family == AF_INET6)
            dst = (const uint8_t *)&((const struct sockaddr_in6 *)(
                                         const void *)i->ifa_dstaddr)
                      ->sin6_addr;
    }
    memcpy(out->addr, addr, bytes);
    int prefix = mask ? tun_iface_mask_prefix(mask, bytes) : (int)bytes * 8;
    out->prefix = (uint8_t)(prefix < 0 ? (int)bytes * 8 : prefix);
    static const uint8_t zero[16];
    if ((i->ifa_flags & IFF_POINTOPOINT) && dst &&
        memcmp(dst, zero, bytes) != 0 && memcmp(dst, addr, bytes) != 0) {
        out->has_peer = 1;
        memcpy(out->peer, dst, bytes);
    }
    /* The interface is known: the addresses are shown without the zone a
     * KAME stack embeds in them. */
    if (bytes == 16) {
        tun_iface_set_zone6(out->addr, 0);
        tun_iface_set_zone6(out->peer, 0);
    }
    return true;
}

int tun_ifc_list_addresses(const char *name, tun_address *out,
                           size_t capacity, size_t *count)
{
    struct ifaddrs *all;
    if (getifaddrs(&all) != 0)
        return tun_fail_errno(errno, "getifaddrs");
    size_t n = 0;
    for (struct ifaddrs *i = all; i; i = i->ifa_next) {
        tun_address a;
        if (!i->ifa_addr || strcmp(i->ifa_name, name) != 0 ||
            !tun_ifc_entry(i, &a))
            continue;
        if (n < capacity)
            out[n] = a;
        n++;
    }
    freeifaddrs(all);
    *count = n;
    if (n > capacity)
        return tun_fail(TUN_ENOBUFS, "%s has %zu addresses, room for %zu",
                        name, n, capacity);
    return 0;
}

/* ---- cloning and renaming ----------------------------------------------- */

int tun_ifc_create(char name[IFNAMSIZ])
{
    struct ifreq ifr;
    tun_ifc_ifreq(&ifr, name);
#if defined(SIOCIFCREATE2)
    unsigned long request = SIOCIFCREATE2;
    const char *what = "SIOCIFCREATE2";
#else
    unsigned long request = SIOCIFCREATE;
    const char *what = "SIOCIFCREATE";
#endif
    int rc = tun_ifc_ioctl(AF_INET, request, &ifr, what, name);
    if (rc == TUN_EEXIST)
        return tun_fail(TUN_EEXIST, "%s %s: the interface exists", what, name);
    if (rc < 0)
        return rc;
    memcpy(name, ifr.ifr_name, IFNAMSIZ);
    name[IFNAMSIZ - 1] = '\0';
    return 0;
}

int tun_ifc_destroy(const char *name)
{
    struct ifreq ifr;
    tun_ifc_ifreq(&ifr, name);
    return tun_ifc_ioctl(AF_INET, SIOCIFDESTROY, &ifr, "SIOCIFDESTROY", name);
}

int tun_ifc_rename(const char *name, const char *new_name)
{
#if defined(__FreeBSD__) && defined(SIOCSIFNAME)
    char buf[IFNAMSIZ];
    snprintf(buf, sizeof(buf), "%s", new_name);
    struct ifreq ifr;
    tun_ifc_ifreq(&ifr, name);
    ifr.ifr_data = buf;
    return tun_ifc_ioctl(AF_INET, SIOCSIFNAME, &ifr, "SIOCSIFNAME", name);
#else
    return tun_fail(TUN_ENOTSUP, "renaming %s to %s: this system cannot "
                    "rename a tun/tap interface (its name is its device's)",
                    name, new_name);
#endif
}
