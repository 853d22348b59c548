/* The control plane of macOS and the BSDs (see src/unix/control.h):
 * counters and link state from the interface's if_data, routes through the
 * routing socket (RTM_ADD, RTM_DELETE) and the routing table's sysctl dump
 * (NET_RT_DUMP), whose messages src/iface.c parses. */
#include "../unix/control.h"
#include "device.h"
#include "ifconfig.h"

#include <net/if_dl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/sysctl.h>
#if defined(__APPLE__)
#include "../darwin/compat.h"
#endif
/* Xcode's iOS and tvOS SDKs have no net/route.h: there the system routes
 * a VPN's tunnel (NEPacketTunnelNetworkSettings) and libtun has no route
 * calls; the counters' message type is XNU's. */
#if !defined(__APPLE__) || __has_include(<net/route.h>)
#include <net/route.h>
#define TUN_BSD_ROUTES 1
#else
#define TUN_BSD_ROUTES 0
#endif
#if defined(__APPLE__) && !defined(RTM_IFINFO2)
#define RTM_IFINFO2 0x12
#endif
#if defined(__FreeBSD__)
#include <sys/param.h> /* __FreeBSD_version */
#endif

/* if_data's output drops: FreeBSD 11 and later (FreeBSD 10 only when the
 * program defines _IFI_OQDROPS), OpenBSD; NetBSD has none. */
#if defined(__OpenBSD__) ||                                                    \
    (defined(__FreeBSD__) &&                                                   \
     (defined(_IFI_OQDROPS) || __FreeBSD_version >= 1100000))
#define TUN_HAS_OQDROPS 1
#else
#define TUN_HAS_OQDROPS 0
#endif

/* A sysctl table read whole into *buf (free it), retried while it grows
 * between the size query and the read. */
static int tun_bsd_sysctl(int *mib, unsigned n, uint8_t **buf, size_t *len,
                          const char *what)
{
    for (int attempt = 0; attempt < 5; attempt++) {
        size_t need = 0;
        if (sysctl(mib, n, NULL, &need, NULL, 0) != 0)
            return tun_fail_errno(errno, "sysctl %s", what);
        need += need / 4 + 1024;
        uint8_t *p = malloc(need);
        if (!p)
            return tun_fail(TUN_ENOMEM, "sysctl %s: out of memory", what);
        if (sysctl(mib, n, p, &need, NULL, 0) == 0) {
            *buf = p;
            *len = need;
            return 0;
        }
        int err = errno;
        free(p);
        if (err != ENOMEM)
            return tun_fail_errno(err, "sysctl %s", what);
    }
    return tun_fail(TUN_EAGAIN, "sysctl %s: the table kept growing; try "
                    "again", what);
}

/* ---- counters and carrier ---------------------------------------------- */

#if defined(__APPLE__)
/* macOS keeps 64-bit counters only in if_data64, which the RTM_IFINFO2
 * messages of sysctl NET_RT_IFLIST2 carry (getifaddrs() gives the 32-bit
 * if_data); ifm_snd_drops counts the send queue's drops. */
static int tun_bsd_link_state(tun_device *dev, tun_stats *stats, bool *carrier)
{
    int mib[6] = {CTL_NET, PF_ROUTE, 0, 0, NET_RT_IFLIST2,
                  (int)dev->io.ifindex};
    uint8_t *buf;
    size_t len;
    int rc = tun_bsd_sysctl(mib, 6, &buf, &len, "NET_RT_IFLIST2");
    if (rc < 0)
        return rc;
    bool found = false;
    for (size_t off = 0; !found && len - off >= sizeof(struct if_msghdr);) {
        struct if_msghdr h;
        memcpy(&h, buf + off, sizeof(h));
        if (h.ifm_msglen < sizeof(h) || h.ifm_msglen > len - off)
            break;
        if (h.ifm_type == RTM_IFINFO2 && h.ifm_index == dev->io.ifindex &&
            h.ifm_msglen >= sizeof(struct if_msghdr2)) {
            struct if_msghdr2 m;
            memcpy(&m, buf + off, sizeof(m));
            const struct if_data64 *d = &m.ifm_data;
            stats->rx_packets = d->ifi_ipackets;
            stats->rx_bytes = d->ifi_ibytes;
            stats->rx_errors = d->ifi_ierrors;
            stats->rx_dropped = d->ifi_iqdrops;
            stats->tx_packets = d->ifi_opackets;
            stats->tx_bytes = d->ifi_obytes;
            stats->tx_errors = d->ifi_oerrors;
            stats->tx_dropped = m.ifm_snd_drops > 0 ? (uint64_t)m.ifm_snd_drops
                                                    : 0;
            *carrier = (m.ifm_flags & IFF_RUNNING) != 0;
            found = true;
        }
        off += h.ifm_msglen;
    }
    free(buf);
    if (!found)
        return tun_fail(TUN_ENODEV, "sysctl NET_RT_IFLIST2: no interface "
                        "with index %u (is it gone?)", dev->io.ifindex);
    return 0;
}
#else
/* FreeBSD (10 and later), OpenBSD and NetBSD keep 64-bit counters and the
 * link state in the if_data of the interface's link-level entry. */
static int tun_bsd_link_state(tun_device *dev, tun_stats *stats, bool *carrier)
{
    char name[IFNAMSIZ];
    if (!if_indextoname(dev->io.ifindex, name))
        return tun_fail(TUN_ENODEV, "interface index %u is gone",
                        dev->io.ifindex);
    unsigned type;
    bool has_mac;
    struct if_data d;
    memset(&d, 0, sizeof(d));
    int rc = tun_ifc_link(name, &type, NULL, &has_mac, &d);
    if (rc < 0)
        return rc;
    stats->rx_packets = d.ifi_ipackets;
    stats->rx_bytes = d.ifi_ibytes;
    stats->rx_errors = d.ifi_ierrors;
    stats->rx_dropped = d.ifi_iqdrops;
    stats->tx_packets = d.ifi_opackets;
    stats->tx_bytes = d.ifi_obytes;
    stats->tx_errors = d.ifi_oerrors;
#if TUN_HAS_OQDROPS
    stats->tx_dropped = d.ifi_oqdrops;
#else
    stats->tx_dropped = 0; /* NetBSD counts none */
#endif
    /* A driver that does not know its link state reports it unknown. */
    *carrier = d.ifi_link_state != LINK_STATE_DOWN;
    return 0;
}
#endif

int tun_backend_get_stats(tun_device *dev, tun_stats *stats)
{
    bool carrier;
    memset(stats, 0, sizeof(*stats));
    return tun_bsd_link_state(dev, stats, &carrier);
}

int tun_backend_get_carrier(tun_device *dev, bool *on)
{
    tun_stats stats;
    return tun_bsd_link_state(dev, &stats, on);
}

int tun_backend_set_carrier(tun_device *dev, bool on)
{
    (void)dev;
    return tun_fail(TUN_ENOTSUP, "setting the carrier %s: the tun, tap and "
                    "utun drivers set their link state themselves (no "
                    "documented call changes it)", on ? "on" : "off");
}

/* ---- routes -------------------------------------------------------------- */

#if TUN_BSD_ROUTES
/* Entries of the routing table that are not routes a user made or would
 * make through the device: link-layer (ARP/NDP) and cloned entries, the
 * interface's own, broadcast and multicast addresses, and macOS's
 * interface-scoped copies (used only by sockets bound to the interface). */
#if defined(RTF_LLINFO)
#define TUN_RTF_LLINFO RTF_LLINFO
#else
#define TUN_RTF_LLINFO 0
#endif
#if defined(RTF_WASCLONED)
#define TUN_RTF_WASCLONED RTF_WASCLONED
#else
#define TUN_RTF_WASCLONED 0
#endif
#if defined(RTF_MULTICAST)
#define TUN_RTF_MULTICAST RTF_MULTICAST
#else
#define TUN_RTF_MULTICAST 0
#endif
#if defined(RTF_IFSCOPE)
#define TUN_RTF_IFSCOPE RTF_IFSCOPE
#else
#define TUN_RTF_IFSCOPE 0
#endif
#define TUN_RTF_NOT_A_ROUTE                                                    \
    (TUN_RTF_LLINFO | TUN_RTF_WASCLONED | RTF_LOCAL | RTF_BROADCAST |          \
     TUN_RTF_MULTICAST | TUN_RTF_IFSCOPE)

/* What a dump walk collects: all routes through ifindex into out (up to
 * capacity) and, when want is set, the first one it matches. */
struct tun_bsd_routes {
    unsigned ifindex;
    tun_route *out;
    size_t capacity;
    size_t count;
    const tun_route *want;
    tun_route match;
    bool found;
};

/* The route of one routing-table message: 1 when it is a route through the
 * interface that a tun_route describes. */
static int tun_bsd_route_of(const uint8_t *msg, size_t len, unsigned ifindex,
                            tun_route *r)
{
    struct rt_msghdr h;
    memcpy(&h, msg, sizeof(h));
#if defined(__OpenBSD__)
    /* OpenBSD takes RTF_UP off the routes of an interface that is down
     * (RTP_DOWN) and still dumps them: they are the interface's routes. */
    bool usable = true;
#else
    bool usable = (h.rtm_flags & RTF_UP) != 0;
#endif
    if (h.rtm_version != RTM_VERSION || h.rtm_index != ifindex || !usable ||
        (h.rtm_flags & TUN_RTF_NOT_A_ROUTE))
        return 0;
#if defined(__OpenBSD__)
    size_t start = h.rtm_hdrlen;
#else
    size_t start = sizeof(h);
#endif
    if (start > len)
        return 0;
    int rc = tun_iface_route_sockaddrs(msg + start, len - start,
                                       (unsigned)h.rtm_addrs,
                                       &tun_ifc_rt_layout, r);
#if defined(__OpenBSD__)
    if (rc == 1)
        r->metric = h.rtm_priority;
#endif
    /* A route to the link: macOS gives interface routes the interface's
     * own address as gateway (rtinit()), without RTF_GATEWAY. */
    if (rc == 1 && !(h.rtm_flags & RTF_GATEWAY)) {
        r->has_gateway = 0;
        memset(r->gateway, 0, sizeof(r->gateway));
    }
    return rc < 0 ? 0 : rc;
}

static int tun_bsd_walk_routes(struct tun_bsd_routes *c)
{
    int mib[6] = {CTL_NET, PF_ROUTE, 0, AF_UNSPEC, NET_RT_DUMP, 0};
    uint8_t *buf;
    size_t len;
    int rc = tun_bsd_sysctl(mib, 6, &buf, &len, "NET_RT_DUMP");
    if (rc < 0)
        return rc;
    c->count = 0;
    c->found = false;
    for (size_t off = 0; len - off >= sizeof(struct rt_msghdr);) {
        unsigned short msglen;
        memcpy(&msglen, buf + off, sizeof(msglen));
        if (msglen < sizeof(struct rt_msghdr) || msglen > len - off)
            break;
        tun_route r;
        if (tun_bsd_route_of(buf + off, msglen, c->ifindex, &r) == 1) {
            if (c->count < c->capacity)
                c->out[c->count] = r;
            c->count++;
            if (c->want && !c->found && tun_route_matches(c->want, &r)) {
                c->match = r;
                c->found = true;
            }
        }
        off += msglen;
    }
    free(buf);
    return 0;
}

int tun_backend_list_routes(tun_device *dev, tun_route *out, size_t capacity,
                            size_t *count)
{
    struct tun_bsd_routes c = {.ifindex = dev->io.ifindex, .out = out,
                               .capacity = capacity};
    int rc = tun_bsd_walk_routes(&c);
    if (rc < 0)
        return rc;
    *count = c.count;
    if (c.count > capacity)
        return tun_fail(TUN_ENOBUFS, "%zu routes, room for %zu", c.count,
                        capacity);
    return 0;
}

/* The kernel's refusal of a route message, named. */
static int tun_bsd_route_failed(int rc, const char *what, const tun_route *r)
{
    char text[TUN_ROUTESTRLEN];
    tun_route_text(r, text);
    if (rc == -EEXIST)
        return tun_fail(TUN_EEXIST, "%s %s: the route is there already",
                        what, text);
    if (rc == -ESRCH)
        return tun_fail(TUN_ENOENT, "%s %s: no such route", what, text);
    if (rc == -ENETUNREACH)
        return tun_fail(TUN_ENETUNREACH, "%s %s: the gateway is not "
                        "reachable through the interface (add an address "
                        "whose subnet holds it first)", what, text);
    return tun_fail_errno(-rc, "%s %s", what, text);
}

int tun_backend_change_route(tun_device *dev, const tun_route *r, bool add)
{
    unsigned ifindex = dev->io.ifindex;
    int rc;
    if (add) {
        rc = tun_ifc_route_send(RTM_ADD, ifindex, r);
        return rc < 0 ? tun_bsd_route_failed(rc, "RTM_ADD", r) : 0;
    }
    /* The route as the table has it, through this interface only: a plain
     * RTM_DELETE would take another interface's route to the same
     * destination. */
    struct tun_bsd_routes c = {.ifindex = ifindex, .want = r};
    if ((rc = tun_bsd_walk_routes(&c)) < 0)
        return rc;
    if (!c.found) {
        char text[TUN_ROUTESTRLEN];
        return tun_fail(TUN_ENOENT, "%s: no such route through the interface",
                        tun_route_text(r, text));
    }
    rc = tun_ifc_route_send(RTM_DELETE, ifindex, &c.match);
    return rc < 0 ? tun_bsd_route_failed(rc, "RTM_DELETE", &c.match) : 0;
}
#else
int tun_backend_list_routes(tun_device *dev, tun_route *out, size_t capacity,
                            size_t *count)
{
    (void)dev;
    (void)out;
    (void)capacity;
    (void)count;
    return tun_fail(TUN_ENOTSUP, "listing routes: this SDK has no routing "
                    "socket (iOS and tvOS route a VPN's tunnel from its "
                    "NEPacketTunnelNetworkSettings)");
}

int tun_backend_change_route(tun_device *dev, const tun_route *r, bool add)
{
    (void)dev;
    (void)r;
    return tun_fail(TUN_ENOTSUP, "%s a route: this SDK has no routing "
                    "socket (iOS and tvOS route a VPN's tunnel from its "
                    "NEPacketTunnelNetworkSettings)",
                    add ? "adding" : "removing");
}
#endif
