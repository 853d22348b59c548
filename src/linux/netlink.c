/* A small rtnetlink client: see netlink.h.
 *
 * Every byte of a message is written and read with memcpy, never through a
 * cast struct pointer, so neither the caller's buffer nor a fuzzer's input
 * needs any alignment. */
#include "netlink.h"
#include "../unix/control.h"

#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

/* The kernel never makes a dump datagram larger than 32 KiB, and the
 * replies to single requests about a TUN/TAP link are a few KiB. */
#define NL_RECV_SIZE 32768
/* How often an interrupted or overrun dump is started again. */
#define NL_DUMP_TRIES 5

static size_t nl_align(size_t n) { return (n + 3) & ~(size_t)3; }

/* ---- building ---------------------------------------------------------- */

struct nl_buf {
    unsigned char *data;
    size_t size;
    size_t len; /* bytes used so far, a multiple of 4 */
};

/* Append len bytes and zeroed padding up to the next 4-byte boundary. */
static int nl_put(struct nl_buf *b, const void *data, size_t len)
{
    size_t padded = nl_align(len);
    if (padded > b->size - b->len)
        return -ENOBUFS;
    memcpy(b->data + b->len, data, len);
    memset(b->data + b->len + len, 0, padded - len);
    b->len += padded;
    return 0;
}

static int nl_put_attr(struct nl_buf *b, unsigned short type, const void *data,
                       size_t len)
{
    struct rtattr rta;
    if (len > USHRT_MAX - sizeof(rta))
        return -ENOBUFS;
    rta.rta_len = (unsigned short)(sizeof(rta) + len);
    rta.rta_type = type;
    int rc = nl_put(b, &rta, sizeof(rta));
    return rc < 0 ? rc : nl_put(b, data, len);
}

static int nl_put_u32(struct nl_buf *b, unsigned short type, uint32_t value)
{
    return nl_put_attr(b, type, &value, sizeof(value));
}

/* Start a message with its header; nl_end() fills in the length. */
static int nl_begin(struct nl_buf *b, void *buf, size_t size, uint16_t type,
                    uint16_t flags, uint32_t seq)
{
    struct nlmsghdr h = {.nlmsg_type = type, .nlmsg_flags = flags,
                         .nlmsg_seq = seq};
    b->data = buf;
    b->size = buf ? size : 0;
    b->len = 0;
    return nl_put(b, &h, sizeof(h));
}

static int nl_end(struct nl_buf *b)
{
    uint32_t len = (uint32_t)b->len;
    memcpy(b->data, &len, sizeof(len));
    return (int)b->len;
}

/* Index 0 is not a link, and in RTM_SETLINK it would select the link by
 * IFLA_IFNAME instead: never send it. */
static bool nl_ifindex_ok(unsigned ifindex)
{
    return ifindex > 0 && ifindex <= INT_MAX;
}

static int nl_build_link_simple(void *buf, size_t size, uint32_t seq,
                                uint16_t type, uint16_t flags,
                                unsigned ifindex)
{
    if (!nl_ifindex_ok(ifindex))
        return -EINVAL;
    struct ifinfomsg ifi = {.ifi_family = AF_UNSPEC, .ifi_index = (int)ifindex};
    struct nl_buf b;
    int rc = nl_begin(&b, buf, size, type, flags, seq);
    if (rc == 0)
        rc = nl_put(&b, &ifi, sizeof(ifi));
    return rc < 0 ? rc : nl_end(&b);
}

int tun_nl_build_link_get(void *buf, size_t size, uint32_t seq,
                          unsigned ifindex)
{
    return nl_build_link_simple(buf, size, seq, RTM_GETLINK,
                                NLM_F_REQUEST | NLM_F_ACK, ifindex);
}

int tun_nl_build_link_del(void *buf, size_t size, uint32_t seq,
                          unsigned ifindex)
{
    return nl_build_link_simple(buf, size, seq, RTM_DELLINK,
                                NLM_F_REQUEST | NLM_F_ACK, ifindex);
}

int tun_nl_build_link_set(void *buf, size_t size, uint32_t seq,
                          unsigned ifindex,
                          const struct tun_nl_link_change *chg)
{
    if (!chg || !nl_ifindex_ok(ifindex) ||
        (chg->has_netns && chg->netns_fd < 0))
        return -EINVAL;
    size_t name_len = 0;
    if (chg->has_name) {
        if (!chg->name)
            return -EINVAL;
        name_len = strnlen(chg->name, IFNAMSIZ);
        if (name_len == 0 || name_len >= IFNAMSIZ)
            return -EINVAL;
    }
    /* ifi_change selects the flag bits to change, so other flags stay. */
    struct ifinfomsg ifi = {
        .ifi_family = AF_UNSPEC,
        .ifi_index = (int)ifindex,
        .ifi_flags = chg->has_up && chg->up ? IFF_UP : 0,
        .ifi_change = chg->has_up ? IFF_UP : 0,
    };
    struct nl_buf b;
    int rc = nl_begin(&b, buf, size, RTM_SETLINK, NLM_F_REQUEST | NLM_F_ACK,
                      seq);
    if (rc == 0)
        rc = nl_put(&b, &ifi, sizeof(ifi));
    if (rc == 0 && chg->has_mtu)
        rc = nl_put_u32(&b, IFLA_MTU, chg->mtu);
    if (rc == 0 && chg->has_name)
        rc = nl_put_attr(&b, IFLA_IFNAME, chg->name, name_len + 1);
    if (rc == 0 && chg->has_mac)
        rc = nl_put_attr(&b, IFLA_ADDRESS, chg->mac, sizeof(chg->mac));
    if (rc == 0 && chg->has_txqueuelen)
        rc = nl_put_u32(&b, IFLA_TXQLEN, chg->txqueuelen);
    if (rc == 0 && chg->has_netns)
        rc = nl_put_u32(&b, IFLA_NET_NS_FD, (uint32_t)chg->netns_fd);
    if (rc == 0 && chg->has_netns)
        rc = nl_put_u32(&b, IFLA_NEW_IFINDEX, ifindex);
    return rc < 0 ? rc : nl_end(&b);
}

static size_t nl_addr_len(uint8_t family)
{
    return family == TUN_INET4 ? 4 : family == TUN_INET6 ? 16 : 0;
}

int tun_nl_build_addr(void *buf, size_t size, uint32_t seq, int type,
                      unsigned ifindex, const tun_address *a)
{
    return tun_nl_build_addr_route(buf, size, seq, type, ifindex, a, true);
}

int tun_nl_build_addr_route(void *buf, size_t size, uint32_t seq, int type,
                            unsigned ifindex, const tun_address *a,
                            bool prefix_route)
{
    uint16_t flags = NLM_F_REQUEST | NLM_F_ACK;
    if (type == RTM_NEWADDR)
        flags |= NLM_F_CREATE | NLM_F_EXCL;
    else if (type != RTM_DELADDR)
        return -EINVAL;
    if (!a || !nl_ifindex_ok(ifindex))
        return -EINVAL;
    size_t alen = nl_addr_len(a->family);
    if (alen == 0 || a->prefix > alen * 8 || a->has_peer > 1)
        return -EINVAL;
    /* Without IFA_F_NOPREFIXROUTE the kernel adds the subnet (or peer)
     * route; the flag needs IFA_FLAGS, its 8-bit field being full. */
    struct ifaddrmsg ifa = {
        .ifa_family = a->family == TUN_INET4 ? AF_INET : AF_INET6,
        .ifa_prefixlen = a->prefix,
        .ifa_index = ifindex,
    };
    /* IFA_LOCAL is this end, IFA_ADDRESS the peer (or this end again), as
     * iproute2 sends them. IPv6 reads a lone IFA_ADDRESS as this end. The
     * same pair selects the address in RTM_DELADDR. */
    bool send_local = a->family == TUN_INET4 || a->has_peer;
    const uint8_t *address = a->has_peer ? a->peer : a->addr;
    struct nl_buf b;
    int rc = nl_begin(&b, buf, size, (uint16_t)type, flags, seq);
    if (rc == 0)
        rc = nl_put(&b, &ifa, sizeof(ifa));
    if (rc == 0 && send_local)
        rc = nl_put_attr(&b, IFA_LOCAL, a->addr, alen);
    if (rc == 0)
        rc = nl_put_attr(&b, IFA_ADDRESS, address, alen);
    if (rc == 0 && type == RTM_NEWADDR && !prefix_route)
        rc = nl_put_u32(&b, IFA_FLAGS, IFA_F_NOPREFIXROUTE);
    return rc < 0 ? rc : nl_end(&b);
}

int tun_nl_build_addr_dump(void *buf, size_t size, uint32_t seq,
                           unsigned ifindex)
{
    if (!nl_ifindex_ok(ifindex))
        return -EINVAL;
    /* AF_UNSPEC dumps IPv4 and IPv6; with NETLINK_GET_STRICT_CHK the
     * kernel filters on ifa_index itself (older kernels send all links). */
    struct ifaddrmsg ifa = {.ifa_family = AF_UNSPEC, .ifa_index = ifindex};
    struct nl_buf b;
    int rc = nl_begin(&b, buf, size, RTM_GETADDR, NLM_F_REQUEST | NLM_F_DUMP,
                      seq);
    if (rc == 0)
        rc = nl_put(&b, &ifa, sizeof(ifa));
    return rc < 0 ? rc : nl_end(&b);
}

static unsigned char nl_af(uint8_t family)
{
    return family == TUN_INET4 ? AF_INET : AF_INET6;
}

int tun_nl_build_route(void *buf, size_t size, uint32_t seq, int type,
                       unsigned ifindex, const tun_route *r)
{
    uint16_t flags = NLM_F_REQUEST | NLM_F_ACK;
    if (type == RTM_NEWROUTE)
        flags |= NLM_F_CREATE | NLM_F_EXCL;
    else if (type != RTM_DELROUTE)
        return -EINVAL;
    if (!r || !nl_ifindex_ok(ifindex))
        return -EINVAL;
    size_t alen = nl_addr_len(r->family);
    if (alen == 0 || r->prefix > alen * 8 || r->has_gateway > 1)
        return -EINVAL;
    uint32_t table = r->table ? r->table : RT_TABLE_MAIN;
    /* As iproute2 sends them: a new route is static, of universe scope
     * with a gateway and link scope without; a deletion names no scope
     * (RT_SCOPE_NOWHERE matches any), protocol or type. RTA_TABLE carries
     * tables above 255, which rtm_table cannot. */
    struct rtmsg rtm = {
        .rtm_family = nl_af(r->family),
        .rtm_dst_len = r->prefix,
        .rtm_table = table < 256 ? (unsigned char)table : RT_TABLE_UNSPEC,
        .rtm_scope = RT_SCOPE_NOWHERE,
    };
    if (type == RTM_NEWROUTE) {
        rtm.rtm_protocol = RTPROT_STATIC;
        rtm.rtm_scope = r->has_gateway ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK;
        rtm.rtm_type = RTN_UNICAST;
    }
    struct nl_buf b;
    int rc = nl_begin(&b, buf, size, (uint16_t)type, flags, seq);
    if (rc == 0)
        rc = nl_put(&b, &rtm, sizeof(rtm));
    if (rc == 0)
        rc = nl_put_u32(&b, RTA_TABLE, table);
    if (rc == 0 && r->prefix > 0)
        rc = nl_put_attr(&b, RTA_DST, r->dest, alen);
    if (rc == 0 && r->has_gateway)
        rc = nl_put_attr(&b, RTA_GATEWAY, r->gateway, alen);
    if (rc == 0)
        rc = nl_put_u32(&b, RTA_OIF, ifindex);
    if (rc == 0 && r->metric)
        rc = nl_put_u32(&b, RTA_PRIORITY, r->metric);
    return rc < 0 ? rc : nl_end(&b);
}

int tun_nl_build_route_dump(void *buf, size_t size, uint32_t seq,
                            unsigned ifindex)
{
    if (!nl_ifindex_ok(ifindex))
        return -EINVAL;
    /* Every family and table; with NETLINK_GET_STRICT_CHK the kernel
     * keeps only the routes whose output interface is RTA_OIF (older
     * kernels send all, which the parser filters). */
    struct rtmsg rtm = {.rtm_family = AF_UNSPEC};
    struct nl_buf b;
    int rc = nl_begin(&b, buf, size, RTM_GETROUTE, NLM_F_REQUEST | NLM_F_DUMP,
                      seq);
    if (rc == 0)
        rc = nl_put(&b, &rtm, sizeof(rtm));
    if (rc == 0)
        rc = nl_put_u32(&b, RTA_OIF, ifindex);
    return rc < 0 ? rc : nl_end(&b);
}

/* ---- parsing ----------------------------------------------------------- */

/* Copy the header out and check that the message lies within len bytes. */
static int nl_msg_header(const struct nlmsghdr *msg, size_t len,
                         struct nlmsghdr *h)
{
    if (!msg || len < sizeof(*h))
        return -EINVAL;
    memcpy(h, msg, sizeof(*h));
    if (h->nlmsg_len < sizeof(*h) || h->nlmsg_len > len)
        return -EINVAL;
    return 0;
}

struct nl_attr {
    unsigned type;
    const unsigned char *data;
    size_t len;
};

struct nl_attr_iter {
    const unsigned char *pos;
    size_t left;
};

/* Attributes of msg (already checked by nl_msg_header()) after a family
 * header of `fixed` bytes; -EINVAL if the message is shorter than that. */
static int nl_attr_start(struct nl_attr_iter *it, const struct nlmsghdr *msg,
                         const struct nlmsghdr *h, size_t fixed)
{
    if (h->nlmsg_len < sizeof(*h) + fixed)
        return -EINVAL;
    size_t start = sizeof(*h) + nl_align(fixed);
    if (start > h->nlmsg_len)
        start = h->nlmsg_len;
    it->pos = (const unsigned char *)msg + start;
    it->left = h->nlmsg_len - start;
    return 0;
}

/* 1 with the next attribute in *a, 0 at the end, -EINVAL if an attribute
 * is shorter than its own header or runs past the message. */
static int nl_attr_next(struct nl_attr_iter *it, struct nl_attr *a)
{
    struct rtattr rta;
    if (it->left == 0)
        return 0;
    if (it->left < sizeof(rta))
        return -EINVAL;
    memcpy(&rta, it->pos, sizeof(rta));
    if (rta.rta_len < sizeof(rta) || rta.rta_len > it->left)
        return -EINVAL;
    /* The top bits flag nesting and byte order, not the type. */
    a->type = rta.rta_type & (unsigned)NLA_TYPE_MASK;
    a->data = it->pos + sizeof(rta);
    a->len = rta.rta_len - sizeof(rta);
    /* The last attribute may stop short of its padding. */
    size_t step = nl_align(rta.rta_len);
    if (step > it->left)
        step = it->left;
    it->pos += step;
    it->left -= step;
    return 1;
}

static int nl_attr_u32(const struct nl_attr *a, unsigned *out)
{
    uint32_t value;
    if (a->len != sizeof(value))
        return -EINVAL;
    memcpy(&value, a->data, sizeof(value));
    *out = value;
    return 0;
}

/* Attributes nested in a. */
static void nl_attr_nested(struct nl_attr_iter *it, const struct nl_attr *a)
{
    it->pos = a->data;
    it->left = a->len;
}

/* IFLA_LINKINFO of a TUN/TAP link: IFLA_INFO_DATA holds the TUN settings
 * (Linux 4.15+), including the packet-information flag that TUNGETIFF
 * cannot report (it shares its bit with IFF_NOFILTER). Other kinds and
 * attributes are skipped. */
static int nl_parse_linkinfo(const struct nl_attr *info, struct tun_nl_link *link)
{
    struct nl_attr_iter it, data_it;
    struct nl_attr a, d, data = {0};
    bool is_tun = false, has_data = false;
    int rc;
    nl_attr_nested(&it, info);
    while ((rc = nl_attr_next(&it, &a)) > 0) {
        if (a.type == IFLA_INFO_KIND)
            is_tun = a.len >= 3 && memcmp(a.data, "tun", 3) == 0 &&
                     (a.len == 3 || a.data[3] == '\0');
        else if (a.type == IFLA_INFO_DATA) {
            data = a;
            has_data = true;
        }
    }
    if (rc < 0 || !is_tun || !has_data)
        return rc;
    nl_attr_nested(&data_it, &data);
    while ((rc = nl_attr_next(&data_it, &d)) > 0) {
        if (d.type == IFLA_TUN_PI && d.len == 1)
            link->tun_pi = d.data[0] != 0;
    }
    return rc;
}

/* IFLA_STATS64: struct rtnl_link_stats64, whose first eight counters
 * (packets, bytes, errors, drops of each direction) every kernel sends;
 * newer ones append more. */
static int nl_parse_stats64(const struct nl_attr *a, struct tun_nl_link *link)
{
    uint64_t v[8];
    if (a->len < sizeof(v))
        return -EINVAL;
    memcpy(v, a->data, sizeof(v));
    tun_stats *st = &link->stats;
    st->rx_packets = v[0];
    st->tx_packets = v[1];
    st->rx_bytes = v[2];
    st->tx_bytes = v[3];
    st->rx_errors = v[4];
    st->tx_errors = v[5];
    st->rx_dropped = v[6];
    st->tx_dropped = v[7];
    link->has_stats = true;
    return 0;
}

/* Start on a message that must be of type: its fixed part (size bytes,
 * ifinfomsg or ifaddrmsg) copied to body, it over the attributes after. */
static int nl_msg_open(const struct nlmsghdr *hdr, size_t len, unsigned type,
                       void *body, size_t size, struct nl_attr_iter *it)
{
    struct nlmsghdr h;
    if (nl_msg_header(hdr, len, &h) < 0 || h.nlmsg_type != type ||
        nl_attr_start(it, hdr, &h, size) < 0)
        return -EINVAL;
    memcpy(body, (const unsigned char *)hdr + sizeof(h), size);
    return 0;
}

int tun_nl_parse_link(const struct nlmsghdr *hdr, size_t len,
                      struct tun_nl_link *out)
{
    struct nl_attr_iter it;
    struct ifinfomsg ifi;
    if (!out || nl_msg_open(hdr, len, RTM_NEWLINK, &ifi, sizeof(ifi), &it) < 0)
        return -EINVAL;
    if (ifi.ifi_index <= 0)
        return -EINVAL;

    struct tun_nl_link link;
    memset(&link, 0, sizeof(link));
    link.ifindex = (unsigned)ifi.ifi_index;
    link.flags = ifi.ifi_flags;
    link.tun_pi = -1;
    link.carrier = -1;
    struct nl_attr a;
    int rc;
    while ((rc = nl_attr_next(&it, &a)) > 0) {
        switch (a.type) {
        case IFLA_IFNAME: {
            size_t n = strnlen((const char *)a.data, a.len);
            if (n == 0 || n >= sizeof(link.name))
                return -EINVAL;
            memcpy(link.name, a.data, n);
            link.name[n] = '\0';
            break;
        }
        case IFLA_MTU:
            rc = nl_attr_u32(&a, &link.mtu);
            break;
        case IFLA_TXQLEN:
            rc = nl_attr_u32(&a, &link.txqueuelen);
            break;
        case IFLA_ADDRESS:
            /* TUN devices have none; other lengths are not Ethernet. */
            if (a.len == sizeof(link.mac)) {
                memcpy(link.mac, a.data, sizeof(link.mac));
                link.has_mac = true;
            }
            break;
        case IFLA_LINKINFO:
            rc = nl_parse_linkinfo(&a, &link);
            break;
        case IFLA_CARRIER:
            if (a.len != 1)
                return -EINVAL;
            link.carrier = a.data[0] != 0;
            break;
        case IFLA_STATS64:
            rc = nl_parse_stats64(&a, &link);
            break;
        default:
            break;
        }
        if (rc < 0)
            return rc;
    }
    if (rc < 0)
        return rc;
    *out = link;
    return 0;
}

/* TUN_INET4 or TUN_INET6 for AF_INET or AF_INET6, else 0. */
static uint8_t nl_tun_family(unsigned char af)
{
    return af == AF_INET ? TUN_INET4 : af == AF_INET6 ? TUN_INET6 : 0;
}

int tun_nl_parse_addr(const struct nlmsghdr *hdr, size_t len,
                      unsigned ifindex, tun_address *out)
{
    struct nl_attr_iter it;
    struct ifaddrmsg ifa;
    if (!out || nl_msg_open(hdr, len, RTM_NEWADDR, &ifa, sizeof(ifa), &it) < 0)
        return -EINVAL;
    uint8_t family = nl_tun_family(ifa.ifa_family);
    if (family == 0 || ifa.ifa_index != ifindex)
        return 0;
    size_t alen = nl_addr_len(family);
    if (ifa.ifa_prefixlen > alen * 8)
        return -EINVAL;

    const unsigned char *local = NULL, *address = NULL;
    struct nl_attr a;
    int rc;
    while ((rc = nl_attr_next(&it, &a)) > 0) {
        if (a.type != IFA_LOCAL && a.type != IFA_ADDRESS)
            continue;
        if (a.len != alen)
            return -EINVAL;
        if (a.type == IFA_LOCAL)
            local = a.data;
        else
            address = a.data;
    }
    if (rc < 0)
        return rc;
    if (!local && !address)
        return -EINVAL;

    /* Both families: IFA_LOCAL is this end when present, and IFA_ADDRESS
     * is then the peer unless it repeats IFA_LOCAL. */
    tun_address r;
    memset(&r, 0, sizeof(r));
    r.family = family;
    r.prefix = ifa.ifa_prefixlen;
    memcpy(r.addr, local ? local : address, alen);
    if (local && address && memcmp(local, address, alen) != 0) {
        memcpy(r.peer, address, alen);
        r.has_peer = 1;
    }
    *out = r;
    return 1;
}

int tun_nl_parse_route(const struct nlmsghdr *hdr, size_t len,
                       unsigned ifindex, tun_route *out)
{
    struct nl_attr_iter it;
    struct rtmsg rtm;
    if (!out || nl_msg_open(hdr, len, RTM_NEWROUTE, &rtm, sizeof(rtm), &it) < 0)
        return -EINVAL;
    uint8_t family = nl_tun_family(rtm.rtm_family);
    if (family == 0)
        return 0;
    size_t alen = nl_addr_len(family);
    if (rtm.rtm_dst_len > alen * 8)
        return -EINVAL;

    const unsigned char *dst = NULL, *gateway = NULL;
    unsigned oif = 0, metric = 0, table = rtm.rtm_table;
    bool several_hops = false; /* RTA_MULTIPATH, or RTA_VIA of a family */
    struct nl_attr a;
    int rc;
    while ((rc = nl_attr_next(&it, &a)) > 0) {
        switch (a.type) {
        case RTA_DST:
        case RTA_GATEWAY:
            if (a.len != alen)
                return -EINVAL;
            *(a.type == RTA_DST ? &dst : &gateway) = a.data;
            break;
        case RTA_OIF:
            rc = nl_attr_u32(&a, &oif);
            break;
        case RTA_PRIORITY:
            rc = nl_attr_u32(&a, &metric);
            break;
        case RTA_TABLE:
            rc = nl_attr_u32(&a, &table);
            break;
        case RTA_MULTIPATH:
        case RTA_VIA:
            several_hops = true;
            break;
        default:
            break;
        }
        if (rc < 0)
            return rc;
    }
    if (rc < 0)
        return rc;
    /* RTM_F_CLONED: a cached clone (an IPv6 PMTU exception or redirect
     * before 4.15), not a route anybody added. */
    if (oif != ifindex || rtm.rtm_type != RTN_UNICAST ||
        table == RT_TABLE_LOCAL || rtm.rtm_src_len != 0 || several_hops ||
        (rtm.rtm_flags & RTM_F_CLONED))
        return 0;

    tun_route r;
    memset(&r, 0, sizeof(r));
    r.family = family;
    r.prefix = rtm.rtm_dst_len;
    if (dst) {
        memcpy(r.dest, dst, alen);
        /* The kernel keeps no bit past the prefix; a tun_route never
         * has one. */
        for (size_t i = r.prefix; i < alen * 8; i++)
            r.dest[i / 8] &= (uint8_t)~(0x80u >> (i % 8));
    }
    static const unsigned char zero[16];
    if (gateway && memcmp(gateway, zero, alen) != 0) {
        memcpy(r.gateway, gateway, alen);
        r.has_gateway = 1;
    }
    r.metric = metric;
    r.table = table == RT_TABLE_MAIN ? 0 : table;
    *out = r;
    return 1;
}

/* The error code of an NLMSG_ERROR or NLMSG_DONE message in *error and its
 * extended-ACK text in msg. Returns 0, or -EINVAL if the message is
 * malformed (kept apart from *error, which may itself be -EINVAL). */
static int nl_status(const struct nlmsghdr *hdr, size_t len, int *error,
                     char *msg, size_t msg_size)
{
    if (msg && msg_size > 0)
        msg[0] = '\0';
    struct nlmsghdr h;
    if (nl_msg_header(hdr, len, &h) < 0)
        return -EINVAL;
    const unsigned char *p = (const unsigned char *)hdr;
    size_t payload = h.nlmsg_len - sizeof(h);
    int32_t err = 0;
    size_t fixed; /* bytes before the extended-ACK attributes */

    if (h.nlmsg_type == NLMSG_ERROR) {
        struct nlmsgerr e;
        if (payload < sizeof(e))
            return -EINVAL;
        memcpy(&e, p + sizeof(h), sizeof(e));
        err = e.error;
        fixed = sizeof(e);
        /* Unless capped, the whole request is echoed after the error,
         * and the extended-ACK attributes follow it. */
        if ((h.nlmsg_flags & (NLM_F_CAPPED | NLM_F_ACK_TLVS)) ==
            NLM_F_ACK_TLVS) {
            if (e.msg.nlmsg_len < sizeof(e.msg) ||
                e.msg.nlmsg_len > payload - sizeof(err))
                return -EINVAL;
            fixed = sizeof(err) + e.msg.nlmsg_len;
        }
    } else if (h.nlmsg_type == NLMSG_DONE) {
        /* The dump's status word; a DONE without one is success. */
        fixed = payload < sizeof(err) ? 0 : sizeof(err);
        if (fixed)
            memcpy(&err, p + sizeof(h), sizeof(err));
    } else {
        return -EINVAL;
    }
    if (err > 0 || err < -4095)
        return -EINVAL;

    if (h.nlmsg_flags & NLM_F_ACK_TLVS) {
        struct nl_attr_iter it;
        struct nl_attr a;
        int rc;
        if (nl_attr_start(&it, hdr, &h, fixed) < 0)
            return -EINVAL;
        while ((rc = nl_attr_next(&it, &a)) > 0) {
            if (a.type != NLMSGERR_ATTR_MSG || !msg || msg_size == 0)
                continue;
            size_t n = strnlen((const char *)a.data, a.len);
            if (n >= msg_size)
                n = msg_size - 1;
            memcpy(msg, a.data, n);
            msg[n] = '\0';
        }
        if (rc < 0)
            return -EINVAL;
    }
    *error = err;
    return 0;
}

int tun_nl_parse_error(const struct nlmsghdr *hdr, size_t len, char *msg,
                       size_t msg_size)
{
    struct nlmsghdr h;
    int err;
    if (msg && msg_size > 0)
        msg[0] = '\0';
    if (nl_msg_header(hdr, len, &h) < 0 || h.nlmsg_type != NLMSG_ERROR ||
        nl_status(hdr, len, &err, msg, msg_size) < 0)
        return -EINVAL;
    return err;
}

/* ---- requests ---------------------------------------------------------- */

struct nl_sock {
    int fd;
    uint32_t port; /* our port id: the kernel addresses replies to it */
};

static int nl_open(struct nl_sock *s, bool dump, const char *step)
{
    int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
    if (fd < 0)
        return tun_fail_errno(errno, "%s: netlink socket", step);
    /* None is essential: a kernel without them gives no error text
     * (EXT_ACK, 4.12), echoes whole requests (CAP_ACK, 4.3) or sends every
     * link's addresses, which the parser filters (GET_STRICT_CHK, 4.20). */
    int one = 1;
    (void)setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
    (void)setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
    if (dump)
        (void)setsockopt(fd, SOL_NETLINK, NETLINK_GET_STRICT_CHK, &one,
                         sizeof(one));
    struct sockaddr_nl addr = {.nl_family = AF_NETLINK};
    socklen_t addr_len = sizeof(addr);
    if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 ||
        getsockname(fd, (struct sockaddr *)&addr, &addr_len) < 0) {
        int e = errno;
        close(fd);
        return tun_fail_errno(e, "%s: netlink bind", step);
    }
    s->fd = fd;
    s->port = addr.nl_pid;
    return 0;
}

static int nl_send(const struct nl_sock *s, const void *msg, size_t len,
                   const char *step)
{
    struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
    while (sendto(s->fd, msg, len, 0, (const struct sockaddr *)&kernel,
                  sizeof(kernel)) < 0) {
        if (errno != EINTR)
            return tun_fail_errno(errno, "%s: netlink send", step);
    }
    return 0;
}

/* Record a kernel error with its extended-ACK text, if it sent one. */
static int nl_fail(int err, const char *step, const char *ext)
{
    if (ext[0])
        return tun_fail(err, "%s: %s (kernel: %s)", step, strerror(-err), ext);
    return tun_fail_errno(-err, "%s", step);
}

int tun_nl_wait(int fd, uint32_t port, uint32_t seq, bool dump,
                tun_nl_reply_fn fn, void *ctx, const char *step)
{
    union {
        struct nlmsghdr align;
        unsigned char bytes[NL_RECV_SIZE];
    } buf;
    for (;;) {
        /* Zeroed: a sender without an address (a test's socket pair)
         * leaves it untouched and counts as the kernel. */
        struct sockaddr_nl from;
        memset(&from, 0, sizeof(from));
        struct iovec iov = {.iov_base = buf.bytes, .iov_len = sizeof(buf)};
        struct msghdr mh = {.msg_name = &from, .msg_namelen = sizeof(from),
                            .msg_iov = &iov, .msg_iovlen = 1};
        ssize_t got = recvmsg(fd, &mh, 0);
        if (got < 0) {
            if (errno == EINTR)
                continue;
            /* The socket overflowed and replies were dropped: a dump can
             * start over; a single request's ACK may be lost. */
            if (errno == ENOBUFS && dump)
                return TUN_NL_RESTART;
            if (errno == ENOBUFS)
                return tun_fail(-EIO, "%s: netlink reply lost (receive "
                                "buffer overflow)", step);
            return tun_fail_errno(errno, "%s: netlink receive", step);
        }
        if (mh.msg_flags & MSG_TRUNC)
            return tun_fail(-EMSGSIZE, "%s: netlink reply larger than %d "
                            "bytes", step, NL_RECV_SIZE);
        if (from.nl_pid != 0)
            continue; /* not from the kernel */

        size_t off = 0, left = (size_t)got;
        while (left > 0) {
            const struct nlmsghdr *msg = (const void *)(buf.bytes + off);
            struct nlmsghdr h;
            if (nl_msg_header(msg, left, &h) < 0)
                return tun_fail(-EIO, "%s: malformed netlink reply", step);
            size_t step_len = nl_align(h.nlmsg_len);
            if (step_len > left)
                step_len = left;
            if (h.nlmsg_seq == seq && h.nlmsg_pid == port) {
                if (dump && (h.nlmsg_flags & NLM_F_DUMP_INTR))
                    return TUN_NL_RESTART;
                if (h.nlmsg_type == NLMSG_ERROR || h.nlmsg_type == NLMSG_DONE) {
                    int err;
                    char ext[256];
                    if (nl_status(msg, left, &err, ext, sizeof(ext)) < 0)
                        return tun_fail(-EIO, "%s: malformed netlink "
                                        "status reply", step);
                    return err < 0 ? nl_fail(err, step, ext) : 0;
                }
                if (h.nlmsg_type >= NLMSG_MIN_TYPE && fn) {
                    int rc = fn(ctx, msg, left, step);
                    if (rc < 0)
                        return rc;
                }
            }
            off += step_len;
            left -= step_len;
        }
    }
}

/* Each socket serves one request, so any number would do; a counter keeps
 * the requests (and a restarted dump's attempts) apart in strace output. */
static uint32_t nl_next_seq(void)
{
    static atomic_uint counter;
    return (uint32_t)atomic_fetch_add(&counter, 1) + 1;
}

/* One request that ends with an ACK (or an error). */
static int nl_transact(const void *req, size_t len, uint32_t seq,
                       tun_nl_reply_fn fn, void *ctx, const char *step)
{
    struct nl_sock s;
    int rc = nl_open(&s, false, step);
    if (rc < 0)
        return rc;
    rc = nl_send(&s, req, len, step);
    if (rc == 0)
        rc = tun_nl_wait(s.fd, s.port, seq, false, fn, ctx, step);
    close(s.fd);
    return rc;
}

static int nl_check_ifindex(unsigned ifindex, const char *step)
{
    if (!nl_ifindex_ok(ifindex))
        return tun_fail(-ENODEV, "%s: no interface has index %u", step,
                        ifindex);
    return 0;
}

/* The arguments were checked before building, so this is a request the
 * builder still found invalid or too large for the request buffer. */
static int nl_build_failed(int rc, const char *step)
{
    return tun_fail(rc, "%s: cannot build the request", step);
}

struct nl_link_ctx {
    unsigned ifindex;
    struct tun_nl_link *out;
    bool found;
};

static int nl_on_link(void *ctx, const struct nlmsghdr *msg, size_t len,
                      const char *step)
{
    struct nl_link_ctx *c = ctx;
    struct tun_nl_link link;
    if (tun_nl_parse_link(msg, len, &link) < 0)
        return tun_fail(-EIO, "%s: malformed RTM_NEWLINK reply", step);
    if (link.ifindex == c->ifindex) {
        *c->out = link;
        c->found = true;
    }
    return 0;
}

int tun_nl_link_get(unsigned ifindex, struct tun_nl_link *out)
{
    char step[64];
    snprintf(step, sizeof(step), "netlink RTM_GETLINK ifindex %u", ifindex);
    if (!out)
        return tun_fail(-EINVAL, "%s: NULL output", step);
    int rc = nl_check_ifindex(ifindex, step);
    if (rc < 0)
        return rc;
    unsigned char req[64];
    uint32_t seq = nl_next_seq();
    int len = tun_nl_build_link_get(req, sizeof(req), seq, ifindex);
    if (len < 0)
        return nl_build_failed(len, step);
    struct nl_link_ctx c = {.ifindex = ifindex, .out = out};
    rc = nl_transact(req, (size_t)len, seq, nl_on_link, &c, step);
    if (rc == 0 && !c.found)
        return tun_fail(-EIO, "%s: the kernel acknowledged without "
                        "describing the link", step);
    return rc;
}

/* Append to a NUL-terminated string, truncating at size. */
static void nl_appendf(char *buf, size_t size, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

static void nl_appendf(char *buf, size_t size, const char *fmt, ...)
{
    size_t used = strlen(buf);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf + used, size - used, fmt, ap);
    va_end(ap);
}

int tun_nl_link_set(unsigned ifindex, const struct tun_nl_link_change *chg)
{
    char step[192];
    snprintf(step, sizeof(step), "netlink RTM_SETLINK ifindex %u", ifindex);
    if (!chg)
        return tun_fail(-EINVAL, "%s: NULL change", step);
    /* Name every change: the kernel applies them one by one and the
     * reader needs to know which value was refused. */
    const char *sep = " (";
    if (chg->has_mtu) {
        nl_appendf(step, sizeof(step), "%smtu %u", sep, chg->mtu);
        sep = ", ";
    }
    if (chg->has_name) {
        nl_appendf(step, sizeof(step), "%sname \"%.*s\"", sep,
                   TUN_PLATFORM_NAME_LEN + 1, chg->name ? chg->name : "");
        sep = ", ";
    }
    if (chg->has_up) {
        nl_appendf(step, sizeof(step), "%s%s", sep, chg->up ? "up" : "down");
        sep = ", ";
    }
    if (chg->has_mac) {
        nl_appendf(step, sizeof(step),
                   "%saddress %02x:%02x:%02x:%02x:%02x:%02x", sep, chg->mac[0],
                   chg->mac[1], chg->mac[2], chg->mac[3], chg->mac[4],
                   chg->mac[5]);
        sep = ", ";
    }
    if (chg->has_txqueuelen) {
        nl_appendf(step, sizeof(step), "%stxqueuelen %u", sep,
                   chg->txqueuelen);
        sep = ", ";
    }
    if (chg->has_netns) {
        nl_appendf(step, sizeof(step), "%snetns fd %d", sep, chg->netns_fd);
        sep = ", ";
    }
    if (sep[0] == ',')
        nl_appendf(step, sizeof(step), ")");

    int rc = nl_check_ifindex(ifindex, step);
    if (rc == 0 && chg->has_name)
        rc = tun_check_name(chg->name);
    if (rc < 0)
        return rc;
    unsigned char req[128];
    uint32_t seq = nl_next_seq();
    int len = tun_nl_build_link_set(req, sizeof(req), seq, ifindex, chg);
    if (len < 0)
        return nl_build_failed(len, step);
    return nl_transact(req, (size_t)len, seq, NULL, NULL, step);
}

int tun_nl_link_del(unsigned ifindex)
{
    char step[64];
    snprintf(step, sizeof(step), "netlink RTM_DELLINK ifindex %u", ifindex);
    int rc = nl_check_ifindex(ifindex, step);
    if (rc < 0)
        return rc;
    unsigned char req[64];
    uint32_t seq = nl_next_seq();
    int len = tun_nl_build_link_del(req, sizeof(req), seq, ifindex);
    if (len < 0)
        return nl_build_failed(len, step);
    return nl_transact(req, (size_t)len, seq, NULL, NULL, step);
}

/* Describe an address request; the address must have been checked. */
static void nl_addr_step(char *step, size_t size, const char *what,
                         const tun_address *a, unsigned ifindex)
{
    char text[TUN_ADDRSTRLEN];
    if (tun_address_format(a, text, sizeof(text)) < 0)
        snprintf(text, sizeof(text), "(invalid address)");
    snprintf(step, size, "netlink %s %s on ifindex %u", what, text, ifindex);
}

/* What adding and removing an address start with: a checked, the request
 * (named what) described in step, the interface checked. */
static int nl_addr_change_start(const char *what, unsigned ifindex,
                                const tun_address *a, char *step, size_t size)
{
    int rc = tun_check_address(a);
    if (rc < 0)
        return rc;
    nl_addr_step(step, size, what, a, ifindex);
    return nl_check_ifindex(ifindex, step);
}

static int nl_addr_request(int type, unsigned ifindex, const tun_address *a,
                           bool prefix_route, const char *step)
{
    unsigned char req[128];
    uint32_t seq = nl_next_seq();
    int len = tun_nl_build_addr_route(req, sizeof(req), seq, type, ifindex, a,
                                      prefix_route);
    if (len < 0)
        return nl_build_failed(len, step);
    return nl_transact(req, (size_t)len, seq, NULL, NULL, step);
}

int tun_nl_addr_add(unsigned ifindex, const tun_address *a)
{
    return tun_nl_addr_add_route(ifindex, a, true);
}

int tun_nl_addr_add_route(unsigned ifindex, const tun_address *a,
                          bool prefix_route)
{
    char step[192];
    int rc = nl_addr_change_start("RTM_NEWADDR", ifindex, a, step,
                                  sizeof(step));
    if (rc < 0)
        return rc;
    rc = nl_addr_request(RTM_NEWADDR, ifindex, a, prefix_route, step);
    /* "File exists" alone does not say what exists. */
    if (rc == -EEXIST)
        return tun_fail(rc, "%s: the address is already on the interface",
                        step);
    return rc;
}

/* What a dump collects: every item it lists into out (up to capacity items
 * of size bytes) and, when `want` is set, the first one `same` matches.
 * One collector serves addresses and routes. */
struct nl_list_ctx {
    unsigned ifindex;
    /* tun_nl_parse_addr() or tun_nl_parse_route() on an item of size. */
    int (*parse)(const struct nlmsghdr *hdr, size_t len, unsigned ifindex,
                 void *item);
    bool (*same)(const void *want, const void *item);
    size_t size;
    const char *message; /* the reply's type, for a reason */
    const char *items;   /* what is listed, for a reason */
    void *out;
    size_t capacity;
    size_t count;
    const void *want;
    void *match; /* size bytes */
    bool found;
};

static int nl_on_item(void *ctx, const struct nlmsghdr *msg, size_t len,
                      const char *step)
{
    struct nl_list_ctx *c = ctx;
    union {
        tun_address addr;
        tun_route route;
    } item;
    int rc = c->parse(msg, len, c->ifindex, &item);
    if (rc < 0)
        return tun_fail(-EIO, "%s: malformed %s reply", step, c->message);
    if (rc == 0)
        return 0;
    if (c->count < c->capacity)
        memcpy((unsigned char *)c->out + c->count * c->size, &item, c->size);
    c->count++;
    if (c->want && !c->found && c->same(c->want, &item)) {
        memcpy(c->match, &item, c->size);
        c->found = true;
    }
    return 0;
}

/* Dump the link's items into c with the request build makes, starting
 * over (on a new socket, so nothing of the old dump is read) when the
 * kernel reports a change during the dump or the socket overflowed. */
static int nl_list_walk(int (*build)(void *buf, size_t size, uint32_t seq,
                                     unsigned ifindex),
                        struct nl_list_ctx *c, const char *step)
{
    for (int attempt = 0; attempt < NL_DUMP_TRIES; attempt++) {
        unsigned char req[64];
        uint32_t seq = nl_next_seq();
        int len = build(req, sizeof(req), seq, c->ifindex);
        if (len < 0)
            return nl_build_failed(len, step);
        struct nl_sock s;
        int rc = nl_open(&s, true, step);
        if (rc < 0)
            return rc;
        c->count = 0;
        c->found = false;
        rc = nl_send(&s, req, (size_t)len, step);
        if (rc == 0)
            rc = tun_nl_wait(s.fd, s.port, seq, true, nl_on_item, c, step);
        close(s.fd);
        if (rc != TUN_NL_RESTART)
            return rc;
        if (attempt + 1 < NL_DUMP_TRIES)
            tun_log(TUN_LOG_WARNING, "%s: the table changed during the "
                    "dump (or replies were lost); starting over (attempt %d "
                    "of %d)", step, attempt + 2, NL_DUMP_TRIES);
    }
    return tun_fail(-EAGAIN, "%s: the %s kept changing during %d attempts; "
                    "try again", step, c->items, NL_DUMP_TRIES);
}

/* The list calls' common end: *count, or -ENOBUFS with a reason. */
static int nl_list_done(const struct nl_list_ctx *c, size_t *count,
                        const char *step)
{
    *count = c->count;
    if (c->count > c->capacity)
        return tun_fail(-ENOBUFS, "%s: %zu %s, room for %zu", step, c->count,
                        c->items, c->capacity);
    return 0;
}

static int nl_parse_addr_item(const struct nlmsghdr *hdr, size_t len,
                              unsigned ifindex, void *item)
{
    return tun_nl_parse_addr(hdr, len, ifindex, item);
}

static bool nl_same_addr(const void *want, const void *item)
{
    return tun_address_same(want, item);
}

static struct nl_list_ctx nl_addr_ctx(unsigned ifindex)
{
    struct nl_list_ctx c = {.ifindex = ifindex, .parse = nl_parse_addr_item,
                            .same = nl_same_addr, .size = sizeof(tun_address),
                            .message = "RTM_NEWADDR", .items = "addresses"};
    return c;
}

/* A whole list call: the dump that build makes (of the request named
 * `request`) collected by c into out, their number in *count. */
static int nl_list(const char *request,
                   int (*build)(void *buf, size_t size, uint32_t seq,
                                unsigned ifindex),
                   struct nl_list_ctx c, void *out, size_t capacity,
                   size_t *count)
{
    char step[64];
    snprintf(step, sizeof(step), "netlink %s dump of ifindex %u", request,
             c.ifindex);
    if (!count || (!out && capacity > 0))
        return tun_fail(-EINVAL, "%s: NULL output", step);
    int rc = nl_check_ifindex(c.ifindex, step);
    if (rc < 0)
        return rc;
    c.out = out;
    c.capacity = capacity;
    rc = nl_list_walk(build, &c, step);
    return rc < 0 ? rc : nl_list_done(&c, count, step);
}

int tun_nl_addr_list(unsigned ifindex, tun_address *out, size_t capacity,
                     size_t *count)
{
    return nl_list("RTM_GETADDR", tun_nl_build_addr_dump, nl_addr_ctx(ifindex),
                   out, capacity, count);
}

int tun_nl_addr_del(unsigned ifindex, const tun_address *a)
{
    char step[192];
    int rc = nl_addr_change_start("RTM_DELADDR", ifindex, a, step,
                                  sizeof(step));
    if (rc < 0)
        return rc;
    /* The kernel deletes only on an exact match of prefix (and, for IPv4,
     * peer); the caller names just the address, so look those up first. */
    tun_address match;
    struct nl_list_ctx c = nl_addr_ctx(ifindex);
    c.want = a;
    c.match = &match;
    rc = nl_list_walk(tun_nl_build_addr_dump, &c, step);
    if (rc < 0)
        return rc;
    if (!c.found)
        return tun_fail(-EADDRNOTAVAIL, "%s: the address is not on the "
                        "interface", step);
    nl_addr_step(step, sizeof(step), "RTM_DELADDR", &match, ifindex);
    return nl_addr_request(RTM_DELADDR, ifindex, &match, true, step);
}

/* ---- routes ------------------------------------------------------------- */

static void nl_route_step(char *step, size_t size, const char *what,
                          const tun_route *r, unsigned ifindex)
{
    char text[TUN_ROUTESTRLEN];
    snprintf(step, size, "netlink %s %s on ifindex %u", what,
             tun_route_text(r, text), ifindex);
}

static int nl_route_request(int type, unsigned ifindex, const tun_route *r,
                            const char *step)
{
    unsigned char req[128];
    uint32_t seq = nl_next_seq();
    int len = tun_nl_build_route(req, sizeof(req), seq, type, ifindex, r);
    if (len < 0)
        return nl_build_failed(len, step);
    return nl_transact(req, (size_t)len, seq, NULL, NULL, step);
}

int tun_nl_route_add(unsigned ifindex, const tun_route *r)
{
    char step[256];
    int rc = tun_check_route(r);
    if (rc < 0)
        return rc;
    nl_route_step(step, sizeof(step), "RTM_NEWROUTE", r, ifindex);
    if ((rc = nl_check_ifindex(ifindex, step)) < 0)
        return rc;
    rc = nl_route_request(RTM_NEWROUTE, ifindex, r, step);
    /* NLM_F_EXCL refuses a route to the same prefix with the same metric
     * in the table, through whichever interface. */
    if (rc == -EEXIST)
        return tun_fail(rc, "%s (a route to this destination with this "
                        "metric is there already, perhaps through another "
                        "interface: remove it or choose another metric)",
                        tun_last_error());
    /* IPv6 reports an unreachable gateway as EHOSTUNREACH. */
    if (rc == -ENETUNREACH || rc == -EHOSTUNREACH)
        return tun_fail(-ENETUNREACH, "%s (the gateway is not reachable "
                        "through the interface: add an address whose subnet "
                        "holds it first)", tun_last_error());
    if (rc == -ENETDOWN)
        return tun_fail(rc, "%s (bring the interface up first)",
                        tun_last_error());
    return rc;
}

static int nl_parse_route_item(const struct nlmsghdr *hdr, size_t len,
                               unsigned ifindex, void *item)
{
    return tun_nl_parse_route(hdr, len, ifindex, item);
}

static bool nl_route_matches(const void *want, const void *item)
{
    return tun_route_matches(want, item);
}

static struct nl_list_ctx nl_route_ctx(unsigned ifindex)
{
    struct nl_list_ctx c = {.ifindex = ifindex, .parse = nl_parse_route_item,
                            .same = nl_route_matches,
                            .size = sizeof(tun_route),
                            .message = "RTM_NEWROUTE", .items = "routes"};
    return c;
}

int tun_nl_route_del(unsigned ifindex, const tun_route *r)
{
    char step[256];
    int rc = tun_check_route(r);
    if (rc < 0)
        return rc;
    nl_route_step(step, sizeof(step), "RTM_DELROUTE", r, ifindex);
    if ((rc = nl_check_ifindex(ifindex, step)) < 0)
        return rc;
    /* The route as the kernel has it (its metric, gateway), so that the
     * request removes exactly the one found through this interface. */
    tun_route match;
    struct nl_list_ctx c = nl_route_ctx(ifindex);
    c.want = r;
    c.match = &match;
    if ((rc = nl_list_walk(tun_nl_build_route_dump, &c, step)) < 0)
        return rc;
    if (!c.found)
        return tun_fail(-ENOENT, "%s: no such route through the interface",
                        step);
    nl_route_step(step, sizeof(step), "RTM_DELROUTE", &match, ifindex);
    rc = nl_route_request(RTM_DELROUTE, ifindex, &match, step);
    if (rc == -ESRCH)
        return tun_fail(-ENOENT, "%s (the route went away meanwhile)",
                        tun_last_error());
    return rc;
}

int tun_nl_route_list(unsigned ifindex, tun_route *out, size_t capacity,
                      size_t *count)
{
    return nl_list("RTM_GETROUTE", tun_nl_build_route_dump,
                   nl_route_ctx(ifindex), out, capacity, count);
}

/* ---- change notifications ------------------------------------------------ */

/* The IFLA_NEW_IFINDEX of a link message (already checked by
 * nl_msg_header()) into *moved_to, if it has one. */
static int nl_moved_index(const struct nlmsghdr *msg, const struct nlmsghdr *h,
                          unsigned *moved_to)
{
    struct nl_attr_iter it;
    struct nl_attr a;
    int rc = nl_attr_start(&it, msg, h, sizeof(struct ifinfomsg));
    if (rc < 0)
        return rc;
    while ((rc = nl_attr_next(&it, &a)) > 0)
        if (a.type == IFLA_NEW_IFINDEX)
            return nl_attr_u32(&a, moved_to);
    return rc;
}

int tun_nl_event_concerns(const void *datagram, size_t len, unsigned ifindex,
                          unsigned *moved_to)
{
    const unsigned char *p = datagram;
    int found = 0;
    while (len > 0) {
        struct nlmsghdr h;
        if (nl_msg_header((const void *)p, len, &h) < 0)
            return -EINVAL;
        /* ifi_index (int) and ifa_index (u32) sit at different offsets. */
        size_t at = 0;
        if (h.nlmsg_type == RTM_NEWLINK || h.nlmsg_type == RTM_DELLINK)
            at = sizeof(h) + offsetof(struct ifinfomsg, ifi_index);
        else if (h.nlmsg_type == RTM_NEWADDR || h.nlmsg_type == RTM_DELADDR)
            at = sizeof(h) + offsetof(struct ifaddrmsg, ifa_index);
        if (at) {
            uint32_t index;
            if (h.nlmsg_len < at + sizeof(index))
                return -EINVAL;
            memcpy(&index, p + at, sizeof(index));
            if (index == ifindex)
                found = 1;
            if (index == ifindex && moved_to &&
                h.nlmsg_type == RTM_DELLINK &&
                nl_moved_index((const void *)p, &h, moved_to) < 0)
                return -EINVAL;
        }
        size_t step = nl_align(h.nlmsg_len);
        if (step > len)
            step = len;
        p += step;
        len -= step;
    }
    return found;
}

int tun_nl_events_open(int *fd, bool addresses)
{
    int s = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK,
                   NETLINK_ROUTE);
    if (s < 0)
        return tun_fail_errno(errno, "netlink socket for notifications");
    struct sockaddr_nl addr = {
        .nl_family = AF_NETLINK,
        .nl_groups = RTMGRP_LINK |
                     (addresses ? RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR : 0),
    };
    if (bind(s, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
        int e = errno;
        close(s);
        return tun_fail_errno(e, "netlink bind to the link%s group%s",
                              addresses ? " and address" : "",
                              addresses ? "s" : "");
    }
    *fd = s;
    return 0;
}

int tun_nl_events_drain(int fd, unsigned ifindex, unsigned *moved_to)
{
    union {
        struct nlmsghdr align;
        unsigned char bytes[NL_RECV_SIZE];
    } buf;
    int concerned = 0;
    for (;;) {
        struct sockaddr_nl from;
        memset(&from, 0, sizeof(from));
        struct iovec iov = {.iov_base = buf.bytes, .iov_len = sizeof(buf)};
        struct msghdr mh = {.msg_name = &from, .msg_namelen = sizeof(from),
                            .msg_iov = &iov, .msg_iovlen = 1};
        ssize_t got = recvmsg(fd, &mh, MSG_DONTWAIT);
        if (got < 0) {
            int rc = tun_unix_notification_error(errno, &concerned,
                                                  "netlink notifications");
            if (rc <= 0)
                return rc < 0 ? rc : concerned;
            continue;
        }
        if (from.nl_pid != 0)
            continue; /* not from the kernel */
        /* A datagram cut short or malformed may have been about us. */
        if ((mh.msg_flags & MSG_TRUNC) ||
            tun_nl_event_concerns(buf.bytes, (size_t)got, ifindex,
                                  moved_to) != 0)
            concerned = 1;
    }
}
