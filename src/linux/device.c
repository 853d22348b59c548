/* The Linux backend: /dev/net/tun for the device and its packets, rtnetlink
 * (netlink.c) for everything configured on the interface. */
#include "device.h"
#include "../engine/gso.h"
#include "../unix/control.h"
#include "netlink.h"

#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

/* Offload bits newer than some libc headers (Linux 6.2). */
#ifndef TUN_F_USO4
#define TUN_F_USO4 0x20
#define TUN_F_USO6 0x40
#endif

#define TUN_DEVICE_PATH "/dev/net/tun"
/* Ethernet header plus one VLAN tag: what a TAP frame may add to the MTU. */
#define TUN_ETH_FRAME_HEADER 18
#define TUN_PACKET_INFO_SIZE 4

/* ---- opening ---------------------------------------------------------- */

/* Offer the kernel checksum and TCP segmentation offload, and UDP
 * segmentation where the kernel knows it; record what took effect. */
static int tun_linux_enable_offload(int fd, unsigned *flags)
{
    int size = TUN_VNET_HDR_LEN;
    if (ioctl(fd, TUNSETVNETHDRSZ, &size) != 0)
        return tun_fail_errno(errno, "TUNSETVNETHDRSZ %d", size);
    /* Little-endian header fields on every host, as virtio 1.0 defines. */
    int little_endian = 1;
    if (ioctl(fd, TUNSETVNETLE, &little_endian) != 0 && errno != EINVAL)
        return tun_fail_errno(errno, "TUNSETVNETLE");
    unsigned tcp = TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6;
    unsigned long offloads = tcp | TUN_F_USO4 | TUN_F_USO6;
    *flags |= TUN_FLAG_OFFLOAD | TUN_FLAG_TCP_GSO | TUN_FLAG_UDP_GSO;
    if (ioctl(fd, TUNSETOFFLOAD, offloads) != 0) {
        if (errno != EINVAL)
            return tun_fail_errno(errno, "TUNSETOFFLOAD");
        /* Kernels before 6.2 know no UDP segmentation offload. */
        tun_log(TUN_LOG_WARNING, "TUNSETOFFLOAD: the kernel refused UDP "
                "segmentation offload (before Linux 6.2); TCP only");
        *flags &= ~(unsigned)TUN_FLAG_UDP_GSO;
        if (ioctl(fd, TUNSETOFFLOAD, (unsigned long)tcp) != 0)
            return tun_fail_errno(errno, "TUNSETOFFLOAD");
    }
    return 0;
}

/* A descriptor without the virtio-net header takes plain packets only, but
 * the kernel keeps a device's offloads (TUNSETOFFLOAD) across descriptors:
 * a persistent device that an offload handle configured would still hand
 * over super-packets. Switch them off. Android lets an app ask only
 * TUNGETIFF of its VpnService descriptor, whose device the system made
 * without offloads: a refusal there is no failure. */
static int tun_linux_reset_offload(int fd, const char *name)
{
    if (ioctl(fd, TUNSETOFFLOAD, 0UL) == 0 || errno == EACCES ||
        errno == EPERM)
        return 0;
    return tun_fail_errno(errno, "TUNSETOFFLOAD 0 on %s (switching off the "
                          "offloads an earlier handle left)", name);
}

/* The reason for EACCES on opening /dev/net/tun: the node's own
 * permissions refuse this user, which no capability of the network
 * (CAP_NET_ADMIN) changes. */
static int tun_fail_node_access(void)
{
    struct stat st;
    if (stat(TUN_DEVICE_PATH, &st) != 0)
        return tun_fail_errno(EACCES, "open %s", TUN_DEVICE_PATH);
    return tun_fail(TUN_EACCES, "open %s: %s (the node is owner %u, group "
                    "%u, mode %04o, which does not let uid %u read and write "
                    "it: give it mode 0666 (the kernel's default), or a group "
                    "of yours with a udev rule such as KERNEL==\"tun\", "
                    "GROUP=\"netdev\", MODE=\"0660\"; or run as root)",
                    TUN_DEVICE_PATH, strerror(EACCES), (unsigned)st.st_uid,
                    (unsigned)st.st_gid, (unsigned)(st.st_mode & 07777),
                    (unsigned)geteuid());
}

/* Attach a fresh /dev/net/tun descriptor to the interface `name` (or create
 * it; with exclusive, only create it), with the kernel flags that match the
 * TUN_FLAG_* in *flags, adding the GSO bits that took effect. On success
 * *fd_out is non-blocking and close-on-exec and name holds the real name. */
static int tun_linux_attach(char name[IFNAMSIZ], unsigned *flags,
                            bool exclusive, int *fd_out)
{
    int fd = open(TUN_DEVICE_PATH, O_RDWR | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        int err = errno;
        if (err == ENOENT || err == ENXIO || err == ENODEV)
            return tun_fail(-err, "open %s: %s (load the tun module: "
                            "`modprobe tun`)", TUN_DEVICE_PATH, strerror(err));
        if (err == EACCES)
            return tun_fail_node_access();
        return tun_fail_errno(err, "open %s", TUN_DEVICE_PATH);
    }
    struct ifreq ifr;
    memset(&ifr, 0, sizeof(ifr));
    memcpy(ifr.ifr_name, name, IFNAMSIZ);
    int kflags = (*flags & TUN_FLAG_L2) ? IFF_TAP : IFF_TUN;
    if (!(*flags & TUN_FLAG_PACKET_INFO))
        kflags |= IFF_NO_PI;
    if (*flags & TUN_FLAG_MULTI_QUEUE)
        kflags |= IFF_MULTI_QUEUE;
    if (*flags & TUN_FLAG_OFFLOAD)
        kflags |= IFF_VNET_HDR;
    if (exclusive)
        kflags |= IFF_TUN_EXCL;
    /* A 16-bit field whose top bit (IFF_TUN_EXCL) the kernel tests too. */
    ifr.ifr_flags = (short)kflags;
    if (ioctl(fd, TUNSETIFF, &ifr) != 0) {
        int err = errno;
        close(fd);
        /* With IFF_TUN_EXCL the kernel answers EBUSY for any existing
         * interface of the name, before anything else. */
        if (err == EBUSY && exclusive)
            return tun_fail(TUN_EEXIST, "TUNSETIFF \"%s\" with IFF_TUN_EXCL: "
                            "an interface of that name exists and exclusive "
                            "create was asked for (choose another name or a "
                            "\"%%d\" pattern)", name);
        /* Both come from a device already named so (drivers/net/tun.c,
         * tun_set_iff() and tun_attach()). */
        if (err == EBUSY)
            return tun_fail(-err, "TUNSETIFF \"%s\": %s (%s is a TUN/TAP "
                            "device that another descriptor, likely another "
                            "process, has open; a second one may attach only "
                            "if both use multi-queue: close the other or "
                            "choose another name)", name, strerror(err), name);
        if (err == EINVAL)
            return tun_fail(-err, "TUNSETIFF \"%s\": %s (the interface %s "
                            "exists and is no %s device to attach to: it is "
                            "of another kind (%s, loopback, veth...: `ip -d "
                            "link show %s`) or its multi-queue setting "
                            "differs; choose another name)", name,
                            strerror(err), name,
                            (*flags & TUN_FLAG_L2) ? "TAP" : "TUN",
                            (*flags & TUN_FLAG_L2) ? "TUN" : "TAP", name);
        return tun_fail_errno(err, "TUNSETIFF \"%s\"", name);
    }
    memcpy(name, ifr.ifr_name, IFNAMSIZ);
    name[IFNAMSIZ - 1] = '\0';
    tun_log(TUN_LOG_DEBUG, "TUNSETIFF: attached to %s", name);
    int rc = (*flags & TUN_FLAG_OFFLOAD) ? tun_linux_enable_offload(fd, flags)
                                         : tun_linux_reset_offload(fd, name);
    if (rc < 0) {
        close(fd);
        return rc;
    }
    *fd_out = fd;
    return 0;
}

/* The index of interface `name` in the calling thread's namespace in
 * *index, 0 if there is none. Unlike if_nametoindex(), a failure of the
 * lookup itself (no descriptor left for its socket) is told apart from a
 * missing interface and recorded. */
static int tun_linux_ifindex(const char *name, unsigned *index)
{
    int s = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s < 0)
        return tun_fail_errno(errno, "finding the index of %s: socket", name);
    struct ifreq ifr;
    memset(&ifr, 0, sizeof(ifr));
    size_t len = strnlen(name, IFNAMSIZ - 1);
    memcpy(ifr.ifr_name, name, len);
    int rc = ioctl(s, SIOCGIFINDEX, &ifr);
    int err = errno;
    close(s);
    if (rc != 0 && err != ENODEV)
        return tun_fail_errno(err, "finding the index of %s", name);
    *index = rc == 0 ? (unsigned)ifr.ifr_ifindex : 0;
    return 0;
}

/* A handle around an attached descriptor. Takes ownership of fd only on
 * success. */
static int tun_device_new(int fd, unsigned ifindex, unsigned flags,
                          bool nonblocking, tun_device **out)
{
    tun_device *dev;
    int rc = tun_unix_device_new(sizeof(*dev), fd, ifindex, flags,
                                 nonblocking, &dev);
    if (rc < 0)
        return rc;
    if (flags & TUN_FLAG_OFFLOAD) {
        dev->rx_buf = malloc(TUN_PACKET_MAX);
        if (!dev->rx_buf || pthread_mutex_init(&dev->rx_lock, NULL) != 0) {
            free(dev->rx_buf);
            tun_unix_device_free(dev);
            return tun_fail(TUN_ENOMEM, "allocating the offload receive "
                            "buffer: out of memory");
        }
    }
    atomic_init(&dev->mtu, 0u);
    dev->link_header = (flags & TUN_FLAG_L2) ? TUN_ETH_FRAME_HEADER : 0;
    if (flags & TUN_FLAG_PACKET_INFO)
        dev->link_header += TUN_PACKET_INFO_SIZE;
    *out = dev;
    return 0;
}

static void tun_device_free(tun_device *dev)
{
    if (dev->rx_buf) {
        pthread_mutex_destroy(&dev->rx_lock);
        free(dev->rx_buf);
    }
    tun_unix_device_free(dev);
}

/* Every configuration step of tun_open(), in order. Each failure is
 * described by the step itself; the caller only undoes. */
static int tun_linux_configure(const tun_config *cfg, tun_device *dev,
                               const char *name, size_t *added,
                               size_t *routes_added)
{
    int rc;
    tun_log(TUN_LOG_DEBUG, "configuring %s: owner %ld, group %ld, MTU %u, "
            "txqueuelen %u, %zu address(es), %slink %s%s", name, cfg->owner,
            cfg->group, cfg->mtu, cfg->txqueuelen, cfg->address_count,
            cfg->has_mac ? "MAC, " : "", tun_link_state_name(cfg->up),
            cfg->persist ? ", persist" : "");
    if (cfg->owner >= 0 && ioctl(dev->io.fd, TUNSETOWNER, cfg->owner) != 0)
        return tun_fail_errno(errno, "TUNSETOWNER %ld on %s", cfg->owner, name);
    if (cfg->group >= 0 && ioctl(dev->io.fd, TUNSETGROUP, cfg->group) != 0)
        return tun_fail_errno(errno, "TUNSETGROUP %ld on %s", cfg->group, name);
    struct tun_nl_link_change chg;
    if (cfg->has_mac) {
        memset(&chg, 0, sizeof(chg));
        chg.has_mac = true;
        memcpy(chg.mac, cfg->mac, 6);
        if ((rc = tun_nl_link_set(dev->io.ifindex, &chg)) < 0)
            return tun_fail(rc, "setting the MAC address of %s: %s", name,
                            tun_last_error());
    }
    if (cfg->mtu) {
        memset(&chg, 0, sizeof(chg));
        chg.has_mtu = true;
        chg.mtu = cfg->mtu;
        if ((rc = tun_nl_link_set(dev->io.ifindex, &chg)) < 0)
            return tun_fail(rc, "setting MTU %u on %s: %s", cfg->mtu, name,
                            tun_last_error());
    }
    if (cfg->txqueuelen) {
        memset(&chg, 0, sizeof(chg));
        chg.has_txqueuelen = true;
        chg.txqueuelen = cfg->txqueuelen;
        if ((rc = tun_nl_link_set(dev->io.ifindex, &chg)) < 0)
            return tun_fail(rc, "setting txqueuelen %u on %s: %s",
                            cfg->txqueuelen, name, tun_last_error());
    }
    for (*added = 0; *added < cfg->address_count; ++*added) {
        const tun_address *a = &cfg->addresses[*added];
        char text[TUN_ADDRSTRLEN];
        tun_address_format(a, text, sizeof(text));
        tun_log(TUN_LOG_DEBUG, "adding address %s to %s", text, name);
        if ((rc = tun_nl_addr_add_route(dev->io.ifindex, a,
                                        !dev->no_auto_route)) < 0) {
            return tun_fail(rc, "adding address %s to %s: %s", text, name,
                            tun_last_error());
        }
    }
    if (cfg->up != TUN_LINK_INHERIT) {
        memset(&chg, 0, sizeof(chg));
        chg.has_up = true;
        chg.up = cfg->up == TUN_LINK_UP;
        if ((rc = tun_nl_link_set(dev->io.ifindex, &chg)) < 0)
            return tun_fail(rc, "bringing %s %s: %s", name,
                            chg.up ? "up" : "down", tun_last_error());
    }
    /* IPv4 routes need the interface up (ENETDOWN). */
    if ((rc = tun_unix_add_config_routes(dev, cfg, name, routes_added)) < 0)
        return rc;
    if (cfg->persist && ioctl(dev->io.fd, TUNSETPERSIST, 1) != 0)
        return tun_fail_errno(errno, "TUNSETPERSIST on %s", name);
    return 0;
}

/* After a failed open, give an interface that was there before the link
 * settings cfg changed back their values from before (the MAC only where
 * it had one: TAP), one message each: the kernel stops a message at the
 * first attribute it refuses. */
static void tun_linux_restore_link(const tun_config *cfg, unsigned ifindex,
                                   const struct tun_nl_link *before)
{
    struct tun_nl_link_change all;
    memset(&all, 0, sizeof(all));
    memcpy(all.mac, before->mac, 6);
    all.mtu = before->mtu;
    all.txqueuelen = before->txqueuelen;
    all.up = (before->flags & IFF_UP) != 0;
    for (int step = 0; step < 4; step++) {
        struct tun_nl_link_change chg = all;
        chg.has_mac = step == 0 && cfg->has_mac && before->has_mac;
        chg.has_mtu = step == 1 && cfg->mtu != 0;
        chg.has_txqueuelen = step == 2 && cfg->txqueuelen != 0;
        chg.has_up = step == 3 && cfg->up != TUN_LINK_INHERIT;
        if ((chg.has_mac || chg.has_mtu || chg.has_txqueuelen ||
             chg.has_up) &&
            tun_nl_link_set(ifindex, &chg) < 0)
            tun_log(TUN_LOG_WARNING, "undoing: %s", tun_last_error());
    }
}

int tun_backend_open(const tun_config *cfg, tun_device **out)
{
    int rc;
    if (cfg->offload && cfg->layer == TUN_LAYER_L2)
        return tun_fail(TUN_ENOTSUP, "offload is supported on L3 (TUN) "
                        "devices only");

    unsigned flags = 0;
    if (cfg->layer == TUN_LAYER_L2)
        flags |= TUN_FLAG_L2;
    if (cfg->packet_info)
        flags |= TUN_FLAG_PACKET_INFO;
    if (cfg->multi_queue)
        flags |= TUN_FLAG_MULTI_QUEUE;
    if (cfg->offload)
        flags |= TUN_FLAG_OFFLOAD;

    /* tun_config_set_name() already limited the name to IFNAMSIZ - 1. */
    const char *wanted = cfg->name[0] ? cfg->name
                         : (cfg->layer == TUN_LAYER_L2 ? "tap%d" : "tun%d");
    char name[IFNAMSIZ];
    size_t name_len = strnlen(wanted, IFNAMSIZ - 1);
    memcpy(name, wanted, name_len);
    name[name_len] = '\0';
    /* Attaching to a persistent interface that already exists must not
     * delete it when a later step fails: it is not ours to remove. */
    unsigned ifindex = 0;
    if (!strchr(name, '%') && (rc = tun_linux_ifindex(name, &ifindex)) < 0)
        return rc;
    bool existed = ifindex != 0;
    if (existed && cfg->exclusive)
        return tun_fail(TUN_EEXIST, "interface %s exists and exclusive "
                        "create was asked for (choose another name or a "
                        "\"%%d\" pattern)", name);
    tun_log(TUN_LOG_DEBUG, "opening %s \"%s\"%s%s%s%s", existed ? "the "
            "existing interface" : "a new interface", name,
            (flags & TUN_FLAG_L2) ? ", TAP" : ", TUN",
            (flags & TUN_FLAG_MULTI_QUEUE) ? ", multi-queue" : "",
            (flags & TUN_FLAG_OFFLOAD) ? ", offload" : "",
            (flags & TUN_FLAG_PACKET_INFO) ? ", packet information" : "");

    int fd;
    if ((rc = tun_linux_attach(name, &flags, cfg->exclusive, &fd)) < 0)
        return rc;
    if ((rc = tun_linux_ifindex(name, &ifindex)) == 0 && ifindex == 0)
        rc = tun_fail(TUN_ENODEV, "finding the index of %s: the interface "
                      "vanished right after it was attached", name);
    if (rc < 0) {
        close(fd);
        return rc;
    }
    tun_device *dev;
    if ((rc = tun_device_new(fd, ifindex, flags, cfg->nonblocking, &dev)) < 0) {
        close(fd);
        return rc;
    }
    dev->no_auto_route = cfg->no_auto_route;
    /* What the configuration may change on an interface that outlives a
     * failure, as it was. */
    struct tun_nl_link before = {0};
    if (existed && (rc = tun_nl_link_get(ifindex, &before)) < 0) {
        rc = tun_fail(rc, "reading the settings of %s: %s", name,
                      tun_last_error());
        close(fd);
        tun_device_free(dev);
        return rc;
    }
    size_t added = 0, routes_added = 0;
    rc = tun_linux_configure(cfg, dev, name, &added, &routes_added);
    if (rc < 0) {
        /* Closing the only descriptor of a non-persistent interface removes
         * it; on an interface that was there before, take back only the
         * routes and addresses this call added, and the link settings it
         * changed. */
        tun_kept_reason reason;
        tun_reason_keep(&reason);
        if (existed) {
            tun_log(TUN_LOG_DEBUG, "undoing: removing the %zu address(es) "
                    "this call added to %s, restoring its link settings",
                    added, name);
            tun_unix_remove_config_routes(dev, cfg, routes_added);
            while (added-- > 0)
                if (tun_nl_addr_del(ifindex, &cfg->addresses[added]) < 0)
                    tun_log(TUN_LOG_WARNING, "undoing: %s", tun_last_error());
            tun_linux_restore_link(cfg, ifindex, &before);
        } else {
            tun_log(TUN_LOG_DEBUG, "undoing: removing %s", name);
        }
        close(fd);
        tun_device_free(dev);
        return tun_fail(rc, "%s", reason.text);
    }
    /* Learn the MTU now, in the namespace the device was made in: a write
     * checks against it, and the writing thread may live in another
     * namespace, where the index names another interface or none. */
    struct tun_nl_link link;
    if (tun_nl_link_get(ifindex, &link) == 0)
        atomic_store_explicit(&dev->mtu, link.mtu, memory_order_relaxed);
    tun_log(TUN_LOG_INFO, "%s %s (index %u, MTU %u)",
            existed ? "attached to" : "created", name, ifindex,
            atomic_load_explicit(&dev->mtu, memory_order_relaxed));
    *out = dev;
    return 0;
}

int tun_open_fd(int fd, unsigned flags, tun_device **out)
{
    int fl = tun_unix_check_adopted(fd, flags, out);
    if (fl < 0)
        return fl;

    unsigned dflags = (flags & TUN_FD_BORROW) ? TUN_FLAG_BORROWED : 0;
    unsigned ifindex = 0, mtu = 0;
    if (!(flags & TUN_FD_RAW)) {
        struct ifreq ifr;
        memset(&ifr, 0, sizeof(ifr));
        if (ioctl(fd, (tun_ioctl_request)TUNGETIFF, &ifr) != 0) {
            int err = errno;
            if (err == EBADFD)
                return tun_fail(TUN_EBADF, "tun_open_fd: fd %d is %s but not "
                                "attached to an interface (no TUNSETIFF yet)",
                                fd, TUN_DEVICE_PATH);
            return tun_fail(TUN_ENOTTY, "tun_open_fd: fd %d is not a TUN/TAP "
                            "device (TUNGETIFF: %s)", fd, strerror(err));
        }
        if (ifr.ifr_flags & IFF_TAP)
            dflags |= TUN_FLAG_L2;
        if (ifr.ifr_flags & IFF_MULTI_QUEUE)
            dflags |= TUN_FLAG_MULTI_QUEUE;
        ifr.ifr_name[IFNAMSIZ - 1] = '\0';
        int rc;
        if (ifr.ifr_flags & IFF_VNET_HDR) {
            if (dflags & TUN_FLAG_L2)
                return tun_fail(TUN_ENOTSUP, "tun_open_fd: offload is "
                                "supported on L3 (TUN) devices only");
            rc = tun_linux_enable_offload(fd, &dflags);
        } else {
            rc = tun_linux_reset_offload(fd, ifr.ifr_name);
        }
        if (rc < 0)
            return rc;
        rc = tun_linux_ifindex(ifr.ifr_name, &ifindex);
        if (rc == 0 && ifindex == 0)
            rc = tun_fail(TUN_ENODEV, "tun_open_fd: %s is not in this "
                          "thread's network namespace", ifr.ifr_name);
        if (rc < 0)
            return rc;
        /* TUNGETIFF reports IFF_NO_PI's bit as IFF_NOFILTER, so only
         * rtnetlink (Linux 4.15+) tells whether packets carry the header;
         * older kernels are taken to have it off, as libtun opens them. */
        struct tun_nl_link link;
        if ((rc = tun_nl_link_get(ifindex, &link)) < 0)
            return rc;
        if (link.tun_pi == 1)
            dflags |= TUN_FLAG_PACKET_INFO;
        mtu = link.mtu;
    }
    int nonblocking = tun_unix_adopt_nonblocking(fd, fl);
    if (nonblocking < 0)
        return nonblocking;
    int rc = tun_device_new(fd, ifindex, dflags, nonblocking, out);
    if (rc == 0) /* as in tun_open(): known before any write */
        atomic_store_explicit(&(*out)->mtu, mtu, memory_order_relaxed);
    return rc;
}

void tun_close(tun_device *dev)
{
    if (!dev)
        return;
    if (!(dev->io.flags & TUN_FLAG_BORROWED))
        close(dev->io.fd);
    tun_device_free(dev);
}

/* ---- packet I/O -------------------------------------------------------- */

int tun_linux_read_packet(tun_device *dev, uint8_t vnet[TUN_VNET_HDR_LEN],
                          void *buf, size_t size, int timeout_ms,
                          bool honour_nonblocking)
{
    size_t header_len =
        (dev->io.flags & TUN_FLAG_OFFLOAD) ? TUN_VNET_HDR_LEN : 0;
    return tun_unix_read_packet(&dev->io, vnet, header_len,
                                "virtio-net header", buf, size, timeout_ms,
                                honour_nonblocking);
}

int tun_backend_read(tun_device *dev, void *buf, size_t size, int timeout_ms,
                     bool honour_nonblocking)
{
    uint8_t vnet[TUN_VNET_HDR_LEN];
    int n = tun_linux_read_packet(dev, vnet, buf, size, timeout_ms,
                                  honour_nonblocking);
    if (n < 0 || !(dev->io.flags & TUN_FLAG_OFFLOAD))
        return n;
    /* The packet whole, super-packet or not, with its checksum complete. */
    tun_vnet_hdr vh;
    tun_vnet_hdr_decode(&vh, vnet);
    if (tun_vnet_complete(&vh, buf, buf, (size_t)n) < 0)
        return tun_fail(TUN_EIO, "read: the kernel's %s; the packet was "
                        "dropped", tun_last_error());
    return n;
}

/* The largest write the interface takes; re-read from the kernel only when a
 * packet looks too large, so an MTU changed by someone else is seen without
 * a query per packet. */
static int tun_check_write_size(tun_device *dev, size_t len)
{
    if (dev->io.ifindex == 0)
        return 0; /* a raw fd: the platform checks */
    unsigned mtu = atomic_load_explicit(&dev->mtu, memory_order_relaxed);
    if (mtu && len <= mtu + dev->link_header)
        return 0;
    struct tun_nl_link link;
    int rc = tun_nl_link_get(dev->io.ifindex, &link);
    if (rc < 0 && rc != -ENODEV)
        return rc;
    /* Netlink answers for this thread's network namespace, where the index
     * may name no interface or another one (the interface moved); the
     * descriptor knows whether it still exists anywhere, and its name. */
    struct ifreq ifr;
    memset(&ifr, 0, sizeof(ifr));
    if (ioctl(dev->io.fd, (tun_ioctl_request)TUNGETIFF, &ifr) != 0)
        return tun_fail(TUN_ENODEV, "write: the interface was deleted");
    if (rc == -ENODEV || strncmp(link.name, ifr.ifr_name, IFNAMSIZ) != 0)
        return tun_fail(TUN_EMSGSIZE, "write: %zu bytes exceed the MTU %u "
                        "last seen plus %zu bytes of link header (the "
                        "interface is in another network namespace than "
                        "this thread, where its MTU cannot be read again)",
                        len, mtu, dev->link_header);
    atomic_store_explicit(&dev->mtu, link.mtu, memory_order_relaxed);
    if (len <= link.mtu + dev->link_header)
        return 0;
    return tun_fail(TUN_EMSGSIZE, "write: %zu bytes exceed the MTU %u plus "
                    "%zu bytes of link header", len, link.mtu,
                    dev->link_header);
}

int tun_backend_write(tun_device *dev, const void *buf, size_t len)
{
    int rc = tun_check_write_size(dev, len);
    if (rc < 0)
        return rc;
    /* A plain packet on an offload device goes out behind an all-zero
     * header: no GSO, checksum already complete. */
    static const uint8_t no_offload[TUN_VNET_HDR_LEN];
    struct iovec iov[2];
    int iovcnt = 0;
    if (dev->io.flags & TUN_FLAG_OFFLOAD)
        iov[iovcnt++] = (struct iovec){(void *)no_offload, sizeof(no_offload)};
    iov[iovcnt++] = (struct iovec){(void *)buf, len};
    int n = tun_unix_transfer(&dev->io, false, iov, iovcnt, -1, true);
    if (n < 0)
        return n;
    return (int)len;
}

/* ---- queries and changes ------------------------------------------------ */

static int tun_get_link(tun_device *dev, const char *what,
                        struct tun_nl_link *link)
{
    int rc = tun_unix_need_interface(dev, what);
    if (rc < 0)
        return rc;
    rc = tun_nl_link_get(dev->io.ifindex, link);
    if (rc < 0)
        return tun_fail(rc, "%s: %s", what, tun_last_error());
    return 0;
}

static int tun_set_link(tun_device *dev, const char *what,
                        const struct tun_nl_link_change *chg)
{
    int rc = tun_unix_need_interface(dev, what);
    if (rc < 0)
        return rc;
    rc = tun_nl_link_set(dev->io.ifindex, chg);
    if (rc < 0)
        return tun_fail(rc, "%s: %s", what, tun_last_error());
    return 0;
}

int tun_device_get_name(tun_device *dev, char *buf, size_t size)
{
    struct tun_nl_link link;
    if (!buf)
        return tun_fail(TUN_EINVAL, "tun_device_get_name: NULL buffer");
    int rc = tun_get_link(dev, "tun_device_get_name", &link);
    if (rc < 0)
        return rc;
    return tun_give_name(link.name, buf, size);
}

/* Linux drops the IPv6 addresses of an interface that goes down; those a
 * rename's down-and-up takes away are put back (the link-local one the
 * kernel makes again by itself). */
static int tun_readd_ipv6(tun_device *dev, const tun_address *saved,
                          size_t count)
{
    for (size_t i = 0; i < count; i++) {
        const tun_address *a = &saved[i];
        bool link_local = a->addr[0] == 0xfe && (a->addr[1] & 0xc0) == 0x80;
        if (a->family != TUN_INET6 || link_local)
            continue;
        int rc = tun_nl_addr_add_route(dev->io.ifindex, a,
                                       !dev->no_auto_route);
        if (rc < 0 && rc != TUN_EEXIST)
            return tun_fail(rc, "tun_device_set_name: restoring IPv6 "
                            "addresses: %s", tun_last_error());
    }
    return 0;
}

/* Take the interface down, rename it, bring it up again and restore its
 * IPv6 addresses; a failed rename still ends with the interface up. */
static int tun_rename_while_up(tun_device *dev, const char *name)
{
    size_t count = 0;
    int rc = tun_nl_addr_list(dev->io.ifindex, NULL, 0, &count);
    if (rc < 0 && rc != TUN_ENOBUFS)
        return tun_fail(rc, "tun_device_set_name: %s", tun_last_error());
    tun_address *saved = calloc(count ? count : 1, sizeof(*saved));
    if (!saved)
        return tun_fail(TUN_ENOMEM, "tun_device_set_name: out of memory");
    rc = tun_nl_addr_list(dev->io.ifindex, saved, count, &count);
    if (rc < 0) {
        free(saved);
        return tun_fail(rc, "tun_device_set_name: %s", tun_last_error());
    }
    struct tun_nl_link_change chg;
    memset(&chg, 0, sizeof(chg));
    chg.has_up = true;
    chg.up = false;
    rc = tun_set_link(dev, "tun_device_set_name: taking the interface down",
                      &chg);
    if (rc < 0) {
        free(saved);
        return rc;
    }
    memset(&chg, 0, sizeof(chg));
    chg.has_name = true;
    chg.name = name;
    int renamed = tun_set_link(dev, "tun_device_set_name", &chg);
    tun_kept_reason reason;
    tun_reason_keep(&reason);
    memset(&chg, 0, sizeof(chg));
    chg.has_up = true;
    chg.up = true;
    rc = tun_set_link(dev, "tun_device_set_name: bringing the interface up "
                      "again", &chg);
    if (rc == 0)
        rc = tun_readd_ipv6(dev, saved, count);
    free(saved);
    if (renamed < 0)
        return tun_fail(renamed, "%s", reason.text);
    return rc;
}

int tun_device_set_name(tun_device *dev, const char *name)
{
    int rc = tun_check_new_name(name);
    if (rc < 0)
        return rc;
    struct tun_nl_link link;
    if ((rc = tun_get_link(dev, "tun_device_set_name", &link)) < 0)
        return rc;
    if (link.flags & IFF_UP)
        return tun_rename_while_up(dev, name);
    struct tun_nl_link_change chg;
    memset(&chg, 0, sizeof(chg));
    chg.has_name = true;
    chg.name = name;
    return tun_set_link(dev, "tun_device_set_name", &chg);
}

int tun_device_get_index(tun_device *dev, unsigned *index)
{
    if (!index)
        return tun_fail(TUN_EINVAL, "tun_device_get_index: NULL pointer");
    int rc = tun_unix_need_interface(dev, "tun_device_get_index");
    if (rc < 0)
        return rc;
    *index = dev->io.ifindex;
    return 0;
}

int tun_device_get_mtu(tun_device *dev, unsigned *mtu)
{
    struct tun_nl_link link;
    if (!mtu)
        return tun_fail(TUN_EINVAL, "tun_device_get_mtu: NULL pointer");
    int rc = tun_get_link(dev, "tun_device_get_mtu", &link);
    if (rc < 0)
        return rc;
    atomic_store_explicit(&dev->mtu, link.mtu, memory_order_relaxed);
    *mtu = link.mtu;
    return 0;
}

int tun_device_set_mtu(tun_device *dev, unsigned mtu)
{
    int rc = tun_check_mtu(mtu);
    if (rc < 0)
        return rc;
    if ((rc = tun_unix_need_interface(dev, "tun_device_set_mtu")) < 0)
        return rc;
    if (mtu < TUN_MTU_MIN_IPV6) {
        /* Linux would silently drop every IPv6 address: refuse instead. */
        tun_address addrs[64];
        size_t count;
        rc = tun_nl_addr_list(dev->io.ifindex, addrs, 64, &count);
        if (rc < 0 && rc != TUN_ENOBUFS)
            return tun_fail(rc, "tun_device_set_mtu: %s", tun_last_error());
        for (size_t i = 0; i < count && i < 64; i++)
            if (addrs[i].family == TUN_INET6)
                return tun_fail(TUN_ERANGE, "MTU %u is below %d, the IPv6 "
                                "minimum, and the interface has an IPv6 "
                                "address", mtu, TUN_MTU_MIN_IPV6);
    }
    struct tun_nl_link_change chg;
    memset(&chg, 0, sizeof(chg));
    chg.has_mtu = true;
    chg.mtu = mtu;
    if ((rc = tun_set_link(dev, "tun_device_set_mtu", &chg)) < 0)
        return rc;
    atomic_store_explicit(&dev->mtu, mtu, memory_order_relaxed);
    return 0;
}

int tun_device_get_up(tun_device *dev, bool *up)
{
    struct tun_nl_link link;
    if (!up)
        return tun_fail(TUN_EINVAL, "tun_device_get_up: NULL pointer");
    int rc = tun_get_link(dev, "tun_device_get_up", &link);
    if (rc < 0)
        return rc;
    *up = link.flags & IFF_UP;
    return 0;
}

int tun_device_set_up(tun_device *dev, bool up)
{
    struct tun_nl_link_change chg;
    memset(&chg, 0, sizeof(chg));
    chg.has_up = true;
    chg.up = up;
    return tun_set_link(dev, "tun_device_set_up", &chg);
}

int tun_device_get_mac(tun_device *dev, uint8_t mac[6])
{
    if (!mac)
        return tun_fail(TUN_EINVAL, "tun_device_get_mac: NULL pointer");
    int rc = tun_unix_need_l2(dev, "tun_device_get_mac");
    if (rc < 0)
        return rc;
    struct tun_nl_link link;
    if ((rc = tun_get_link(dev, "tun_device_get_mac", &link)) < 0)
        return rc;
    if (!link.has_mac)
        return tun_fail(TUN_EIO, "tun_device_get_mac: the kernel reported no "
                        "Ethernet address");
    memcpy(mac, link.mac, 6);
    return 0;
}

int tun_device_set_mac(tun_device *dev, const uint8_t mac[6])
{
    int rc = tun_unix_need_l2(dev, "tun_device_set_mac");
    if (rc < 0)
        return rc;
    if ((rc = tun_check_mac(mac)) < 0)
        return rc;
    struct tun_nl_link_change chg;
    memset(&chg, 0, sizeof(chg));
    chg.has_mac = true;
    memcpy(chg.mac, mac, 6);
    return tun_set_link(dev, "tun_device_set_mac", &chg);
}

int tun_device_get_addresses(tun_device *dev, tun_address *out,
                             size_t capacity, size_t *count)
{
    if (!count || (!out && capacity))
        return tun_fail(TUN_EINVAL, "tun_device_get_addresses: NULL pointer");
    int rc = tun_unix_need_interface(dev, "tun_device_get_addresses");
    if (rc < 0)
        return rc;
    rc = tun_nl_addr_list(dev->io.ifindex, out, capacity, count);
    if (rc < 0 && rc != TUN_ENOBUFS)
        return tun_fail(rc, "tun_device_get_addresses: %s", tun_last_error());
    if (rc == TUN_ENOBUFS)
        return tun_fail(rc, "tun_device_get_addresses: %zu addresses, room for "
                        "%zu", *count, capacity);
    return 0;
}

int tun_backend_get_persist(tun_device *dev, bool *persist)
{
    struct ifreq ifr;
    memset(&ifr, 0, sizeof(ifr));
    if (ioctl(dev->io.fd, (tun_ioctl_request)TUNGETIFF, &ifr) != 0) {
        int err = errno;
        if (err == EBADFD)
            return tun_fail(TUN_ENODEV, "TUNGETIFF: the interface was "
                            "deleted");
        return tun_fail_errno(err, "TUNGETIFF");
    }
    *persist = ifr.ifr_flags & IFF_PERSIST;
    return 0;
}

int tun_device_set_persist(tun_device *dev, bool on)
{
    int rc = tun_unix_need_interface(dev, "tun_device_set_persist");
    if (rc < 0)
        return rc;
    if (ioctl(dev->io.fd, TUNSETPERSIST, on ? 1UL : 0UL) != 0)
        return tun_fail_errno(errno, "tun_device_set_persist: TUNSETPERSIST "
                              "%d", on);
    return 0;
}

int tun_backend_change_address(tun_device *dev, const tun_address *a,
                               bool add)
{
    return add ? tun_nl_addr_add_route(dev->io.ifindex, a,
                                       !dev->no_auto_route)
               : tun_nl_addr_del(dev->io.ifindex, a);
}

/* ---- multi-queue -------------------------------------------------------- */

int tun_clone_queue(tun_device *dev, tun_device **out)
{
    if (!out)
        return tun_fail(TUN_EINVAL, "tun_clone_queue: NULL pointer");
    int rc = tun_unix_need_interface(dev, "tun_clone_queue");
    if (rc < 0)
        return rc;
    if (!(dev->io.flags & TUN_FLAG_MULTI_QUEUE))
        return tun_fail(TUN_EINVAL, "tun_clone_queue: the device was not "
                        "opened with multi-queue");
    struct tun_nl_link link;
    if ((rc = tun_get_link(dev, "tun_clone_queue", &link)) < 0)
        return rc;
    char name[IFNAMSIZ];
    memcpy(name, link.name, IFNAMSIZ);
    unsigned flags = dev->io.flags & ~(unsigned)TUN_FLAG_BORROWED;
    int fd;
    if ((rc = tun_linux_attach(name, &flags, false, &fd)) < 0)
        return rc;
    rc = tun_device_new(fd, dev->io.ifindex, flags,
                        atomic_load_explicit(&dev->io.nonblocking,
                                             memory_order_relaxed),
                        out);
    if (rc < 0) {
        close(fd);
        return rc;
    }
    atomic_store_explicit(&(*out)->mtu, link.mtu, memory_order_relaxed);
    (*out)->no_auto_route = dev->no_auto_route;
    return 0;
}

int tun_queue_set_enabled(tun_device *dev, bool enabled)
{
    if (!dev)
        return tun_fail(TUN_EINVAL, "tun_queue_set_enabled: NULL device");
    if (!(dev->io.flags & TUN_FLAG_MULTI_QUEUE))
        return tun_fail(TUN_EINVAL, "tun_queue_set_enabled: the device was "
                        "not opened with multi-queue");
    struct ifreq ifr;
    memset(&ifr, 0, sizeof(ifr));
    ifr.ifr_flags = enabled ? IFF_ATTACH_QUEUE : IFF_DETACH_QUEUE;
    if (ioctl(dev->io.fd, TUNSETQUEUE, &ifr) != 0)
        return tun_fail_errno(errno, "TUNSETQUEUE %s",
                              enabled ? "attach" : "detach");
    return 0;
}
