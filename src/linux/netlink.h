/* A small rtnetlink (NETLINK_ROUTE) client: links and addresses, libc only.
 *
 * Each request opens its own socket, so calls from several threads never
 * share state. Every request asks for an acknowledgement; a kernel error is
 * returned as -errno with the kernel's extended-ACK message (if any) in the
 * tun_last_error() text. Message building and reply parsing are separate
 * pure functions so that unit tests and fuzzers can call them on recorded
 * bytes without a socket. */
#ifndef TUN_LINUX_NETLINK_H
#define TUN_LINUX_NETLINK_H

#include "../internal.h"

#include <linux/netlink.h>
#include <stdint.h>

/* What a link query returns. */
struct tun_nl_link {
    unsigned ifindex;
    char name[16];
    unsigned mtu;
    unsigned flags; /* IFF_UP, IFF_RUNNING... from ifinfomsg */
    unsigned txqueuelen;
    uint8_t mac[6];
    bool has_mac;
    /* IFLA_TUN_PI: 1 or 0, -1 if the kernel did not say (not a TUN/TAP
     * link, or a kernel older than 4.15). */
    int tun_pi;
    /* IFLA_CARRIER: 1 or 0, -1 if the kernel did not say. */
    int carrier;
    /* IFLA_STATS64, when the kernel sent it (has_stats). */
    bool has_stats;
    tun_stats stats;
};

/* A link change: only the members whose has_ bit is set are sent. */
struct tun_nl_link_change {
    bool has_mtu, has_name, has_up, has_mac, has_txqueuelen, has_netns;
    unsigned mtu;
    const char *name;
    bool up;
    uint8_t mac[6];
    unsigned txqueuelen;
    /* Move the link into the network namespace of this descriptor
     * (IFLA_NET_NS_FD), keeping its index there (IFLA_NEW_IFINDEX): the
     * kernel refuses the move (-EBUSY) when the index is taken. */
    int netns_fd;
};

/* ---- requests (open a socket, send, wait for the ACK or the dump) ---- */

int tun_nl_link_get(unsigned ifindex, struct tun_nl_link *out);
int tun_nl_link_set(unsigned ifindex, const struct tun_nl_link_change *chg);
/* Delete the link (used to remove a persistent device on a failed open). */
int tun_nl_link_del(unsigned ifindex);
/* RTM_NEWADDR with NLM_F_CREATE|NLM_F_EXCL; -EEXIST if already present. */
int tun_nl_addr_add(unsigned ifindex, const tun_address *a);
/* The same, and with prefix_route false IFA_F_NOPREFIXROUTE: the kernel
 * then adds no subnet (or peer) route for the address (Linux 4.4+; IPv6
 * 3.14+). */
int tun_nl_addr_add_route(unsigned ifindex, const tun_address *a,
                          bool prefix_route);
/* RTM_DELADDR; -EADDRNOTAVAIL if the address is not on the link. */
int tun_nl_addr_del(unsigned ifindex, const tun_address *a);
/* RTM_GETADDR dump filtered to ifindex; semantics of
 * tun_device_get_addresses(). Retries an interrupted dump (NLM_F_DUMP_INTR). */
int tun_nl_addr_list(unsigned ifindex, tun_address *out, size_t capacity,
                     size_t *count);

/* RTM_NEWROUTE with NLM_F_CREATE|NLM_F_EXCL and the link as RTA_OIF;
 * -EEXIST if the route is there, -ENETUNREACH for a gateway the link does
 * not reach. The route must have passed tun_check_route(). */
int tun_nl_route_add(unsigned ifindex, const tun_route *r);
/* RTM_DELROUTE of the route through the link that tun_route_matches() r
 * (the first one the dump lists); -ENOENT if there is none. */
int tun_nl_route_del(unsigned ifindex, const tun_route *r);
/* RTM_GETROUTE dump filtered to the link (see tun_nl_parse_route());
 * semantics of tun_device_get_routes(). */
int tun_nl_route_list(unsigned ifindex, tun_route *out, size_t capacity,
                      size_t *count);

/* ---- change notifications ---- */

/* A socket joined to the link group and, with addresses, the IPv4/IPv6
 * address groups, non-blocking, in *fd; a reason on failure. */
int tun_nl_events_open(int *fd, bool addresses);
/* Read every pending notification from fd without blocking: 1 when one is
 * about link ifindex or some were lost (the socket overflowed), 0 when none
 * was, or a negative error; moved_to as in tun_nl_event_concerns(). */
int tun_nl_events_drain(int fd, unsigned ifindex, unsigned *moved_to);

/* ---- the receive loop (exposed so tests can drive it) ---- */

/* Called for each reply message of the request other than the final
 * NLMSG_ERROR / NLMSG_DONE; a negative return ends the request. */
typedef int (*tun_nl_reply_fn)(void *ctx, const struct nlmsghdr *msg,
                               size_t len, const char *step);
/* tun_nl_wait() result: the dump must be started again on a new socket. */
#define TUN_NL_RESTART 1
/* Read the replies to request seq from the netlink socket fd (bound to
 * port id `port`) until its ACK, error or NLMSG_DONE, passing the others to
 * fn. Messages for other sequence numbers or ports, and datagrams not from
 * the kernel, are skipped; EINTR is retried. Returns 0, a negative error
 * (recorded; a kernel error with its extended-ACK text), or TUN_NL_RESTART
 * when `dump` and the dump was interrupted by a change (NLM_F_DUMP_INTR) or
 * the socket overflowed (ENOBUFS). Any datagram socket whose sender has no
 * address works in place of the kernel's, for tests. */
int tun_nl_wait(int fd, uint32_t port, uint32_t seq, bool dump,
                tun_nl_reply_fn fn, void *ctx, const char *step);

/* ---- pure message building and parsing (no socket) ---- */

/* Build a request into buf; return its length or -ENOBUFS. */
int tun_nl_build_link_get(void *buf, size_t size, uint32_t seq,
                          unsigned ifindex);
int tun_nl_build_link_set(void *buf, size_t size, uint32_t seq,
                          unsigned ifindex,
                          const struct tun_nl_link_change *chg);
int tun_nl_build_link_del(void *buf, size_t size, uint32_t seq,
                          unsigned ifindex);
/* type is RTM_NEWADDR or RTM_DELADDR. */
int tun_nl_build_addr(void *buf, size_t size, uint32_t seq, int type,
                      unsigned ifindex, const tun_address *a);
/* The same; RTM_NEWADDR with prefix_route false carries
 * IFA_FLAGS = IFA_F_NOPREFIXROUTE. */
int tun_nl_build_addr_route(void *buf, size_t size, uint32_t seq, int type,
                            unsigned ifindex, const tun_address *a,
                            bool prefix_route);
int tun_nl_build_addr_dump(void *buf, size_t size, uint32_t seq,
                           unsigned ifindex);

/* type is RTM_NEWROUTE or RTM_DELROUTE; r must be valid. */
int tun_nl_build_route(void *buf, size_t size, uint32_t seq, int type,
                       unsigned ifindex, const tun_route *r);
int tun_nl_build_route_dump(void *buf, size_t size, uint32_t seq,
                            unsigned ifindex);

/* Parse one RTM_NEWLINK message (hdr points at its nlmsghdr, len is what
 * the buffer holds from there). Returns 0 or -EINVAL if malformed. */
int tun_nl_parse_link(const struct nlmsghdr *hdr, size_t len,
                      struct tun_nl_link *out);
/* Parse one RTM_NEWADDR message. Returns 1 if it is for ifindex and
 * was stored in *out, 0 if it is for another link or family, -EINVAL if
 * malformed. */
int tun_nl_parse_addr(const struct nlmsghdr *hdr, size_t len,
                      unsigned ifindex, tun_address *out);
/* Parse one RTM_NEWROUTE message. Returns 1 if it is a route through
 * ifindex that a tun_route describes (IPv4 or IPv6, unicast, one next hop,
 * no source prefix, not in the local table) and was stored in *out, with
 * the main table as 0; 0 for any other route; -EINVAL if malformed. */
int tun_nl_parse_route(const struct nlmsghdr *hdr, size_t len,
                       unsigned ifindex, tun_route *out);
/* Whether a datagram of notifications (len bytes) holds a link or address
 * message (RTM_NEWLINK, RTM_DELLINK, RTM_NEWADDR, RTM_DELADDR) about
 * ifindex: 1 or 0; -EINVAL when a message is malformed (those before it
 * were read). With moved_to, the index an RTM_DELLINK of ifindex says the
 * link has in the namespace it moved to (IFLA_NEW_IFINDEX, Linux 4.16+) is
 * stored there. */
int tun_nl_event_concerns(const void *datagram, size_t len, unsigned ifindex,
                          unsigned *moved_to);
/* Parse an NLMSG_ERROR message: returns its error (0 for an ACK, else
 * -errno) and copies the extended-ACK text (NLMSGERR_ATTR_MSG), if any, into
 * msg (always NUL-terminated; "" if none). -EINVAL if malformed. */
int tun_nl_parse_error(const struct nlmsghdr *hdr, size_t len, char *msg,
                       size_t msg_size);

#endif
