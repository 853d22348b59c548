/* The handle, packet I/O and interface calls shared by macOS and the BSDs
 * (see device.h): everything after the device is open. */
#include "device.h"
#include "ifconfig.h"
#include "../unix/control.h"
#include "../iface.h"

#include <arpa/inet.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int tun_bsd_device_new(int fd, unsigned ifindex, unsigned flags,
                       bool nonblocking, tun_device **out)
{
    tun_device *dev;
    int rc = tun_unix_device_new(sizeof(*dev), fd, ifindex, flags,
                                 nonblocking, &dev);
    if (rc < 0)
        return rc;
    atomic_init(&dev->mtu, 0u);
    atomic_init(&dev->persist, false);
    dev->link_header = (flags & TUN_FLAG_L2) ? TUN_ETH_FRAME_HEADER : 0;
    if (flags & TUN_FLAG_PACKET_INFO)
        dev->link_header += TUN_FAMILY_HEADER_SIZE;
    *out = dev;
    return 0;
}

int tun_bsd_check_config(const tun_config *cfg)
{
    /* The setters refuse these already; a config is checked again here so
     * that the rule holds in one place for tun_open(). */
    if (cfg->multi_queue || cfg->txqueuelen || cfg->owner >= 0 ||
        cfg->group >= 0 || cfg->offload)
        return tun_fail(TUN_ENOTSUP, "multi-queue, txqueuelen, owner/group "
                        "and offload are supported on Linux only");
    return 0;
}

uint32_t tun_bsd_family_of(const void *pkt, size_t len)
{
    switch (tun_iface_packet_family(pkt, len)) {
    case TUN_INET4:
        return AF_INET;
    case TUN_INET6:
        return AF_INET6;
    default:
        return 0;
    }
}

/* The interface's current name (renames included), or TUN_ENODEV. */
static int tun_bsd_name(const tun_device *dev, char name[IFNAMSIZ],
                        const char *what)
{
    if (!if_indextoname(dev->io.ifindex, name))
        return tun_fail(TUN_ENODEV, "%s: interface index %u is gone", what,
                        dev->io.ifindex);
    return 0;
}

/* An MTU the interface allows but whose packets its driver would refuse
 * to write (see max_mtu) is out of range too. */
static int tun_bsd_check_max_mtu(const tun_device *dev, unsigned mtu)
{
    if (dev->max_mtu && mtu > dev->max_mtu)
        return tun_fail(TUN_ERANGE, "MTU %u: the driver takes packets of at "
                        "most %u bytes from the application", mtu,
                        dev->max_mtu);
    return 0;
}

/* The steps of tun_bsd_configure(), counting the addresses and routes they
 * add. */
static int tun_bsd_configure_steps(tun_device *dev, const tun_config *cfg,
                                   const char *name, size_t *added,
                                   size_t *routes_added)
{
    int rc;
    if (cfg->has_mac && (rc = tun_ifc_set_mac(name, cfg->mac)) < 0)
        return tun_fail(rc, "setting the MAC address of %s: %s", name,
                        tun_last_error());
    if (cfg->mtu && ((rc = tun_bsd_check_max_mtu(dev, cfg->mtu)) < 0 ||
                     (rc = tun_ifc_set_mtu(name, cfg->mtu)) < 0))
        return tun_fail(rc, "setting MTU %u on %s: %s", cfg->mtu, name,
                        tun_last_error());
    dev->no_auto_route = cfg->no_auto_route;
    for (*added = 0; *added < cfg->address_count; ++*added) {
        const tun_address *a = &cfg->addresses[*added];
        rc = tun_ifc_add_address(name, dev->io.ifindex, dev->point_to_point,
                                 !dev->no_auto_route, a);
        if (rc < 0) {
            char text[TUN_ADDRSTRLEN];
            tun_address_format(a, text, sizeof(text));
            return tun_fail(rc, "adding address %s to %s: %s", text, name,
                            tun_last_error());
        }
    }
    /* Also when down is asked for: an address brings a BSD interface up
     * (SIOCSIFADDR), and OpenBSD's open already did. */
    bool up = cfg->up == TUN_LINK_UP;
    if (cfg->up != TUN_LINK_INHERIT && (rc = tun_ifc_set_up(name, up)) < 0)
        return tun_fail(rc, "bringing %s %s: %s", name, up ? "up" : "down",
                        tun_last_error());
    return tun_unix_add_config_routes(dev, cfg, name, routes_added);
}

/* The link settings tun_bsd_configure_steps() may change, as they were
 * before: the MAC and MTU when cfg sets them. Not the link state: the
 * drivers set it themselves as the last descriptor closes (down; FreeBSD
 * removes the addresses too, OpenBSD destroys an interface not marked to
 * stay), and OpenBSD's open has already brought it up. */
struct tun_bsd_link {
    uint8_t mac[6];
    /* cfg's MAC was among the link addresses already (NetBSD keeps an
     * address it is given: one the open added is removed again) */
    bool mac_listed;
    unsigned mtu;
};

static int tun_bsd_read_link(const tun_config *cfg, const char *name,
                             struct tun_bsd_link *before)
{
    int rc = 0;
    if (cfg->has_mac && (rc = tun_ifc_get_mac(name, before->mac)) == 0)
        rc = tun_ifc_mac_listed(name, cfg->mac, &before->mac_listed);
    if (rc == 0 && cfg->mtu)
        rc = tun_ifc_get_mtu(name, &before->mtu);
    if (rc < 0)
        return tun_fail(rc, "reading the settings of %s: %s", name,
                        tun_last_error());
    return 0;
}

static void tun_bsd_restore_link(const tun_config *cfg, const char *name,
                                 const struct tun_bsd_link *before)
{
    if (cfg->has_mac && (tun_ifc_set_mac(name, before->mac) < 0 ||
                         (!before->mac_listed &&
                          tun_ifc_forget_mac(name, cfg->mac) < 0)))
        tun_log(TUN_LOG_WARNING, "undoing: %s", tun_last_error());
    if (cfg->mtu && tun_ifc_set_mtu(name, before->mtu) < 0)
        tun_log(TUN_LOG_WARNING, "undoing: %s", tun_last_error());
}

int tun_bsd_configure(tun_device *dev, const tun_config *cfg)
{
    char name[IFNAMSIZ];
    int rc = tun_bsd_name(dev, name, "tun_open");
    struct tun_bsd_link before;
    if (rc < 0 || (rc = tun_bsd_read_link(cfg, name, &before)) < 0)
        return rc;
    size_t added = 0, routes_added = 0;
    rc = tun_bsd_configure_steps(dev, cfg, name, &added, &routes_added);
    if (rc < 0) {
        /* An interface that was there before the open stays: take back
         * the routes and addresses this call added and the link settings
         * it changed, as on Linux (on one the open made, which goes, this
         * is merely early). */
        tun_kept_reason reason;
        tun_reason_keep(&reason);
        tun_log(TUN_LOG_DEBUG, "undoing: removing the %zu route(s) and %zu "
                "address(es) this call added to %s, restoring its link "
                "settings", routes_added, added, name);
        tun_unix_remove_config_routes(dev, cfg, routes_added);
        while (added-- > 0)
            if (tun_ifc_remove_address(name, dev->io.ifindex,
                                       dev->point_to_point,
                                       &cfg->addresses[added]) < 0)
                tun_log(TUN_LOG_WARNING, "undoing: %s", tun_last_error());
        tun_bsd_restore_link(cfg, name, &before);
        return tun_fail(rc, "%s", reason.text);
    }
    return 0;
}

int tun_backend_get_persist(tun_device *dev, bool *persist)
{
    *persist = atomic_load_explicit(&dev->persist, memory_order_relaxed);
    return 0;
}


void tun_close(tun_device *dev)
{
    if (!dev)
        return;
    char name[IFNAMSIZ];
    bool named = dev->io.ifindex && if_indextoname(dev->io.ifindex, name);
    if (dev->ops && dev->ops->release)
        dev->ops->release(dev);
    if (!(dev->io.flags & TUN_FLAG_BORROWED))
        close(dev->io.fd);
    if (dev->destroy_on_close && named) {
        tun_ifc_destroy(name);
        if (dev->peer_name[0])
            tun_ifc_destroy(dev->peer_name);
    }
    tun_unix_device_free(dev);
}

/* ---- packet I/O -------------------------------------------------------- */

/* Whether the library adds and strips the family header itself. */
static bool tun_bsd_strips_header(const tun_device *dev)
{
    return dev->family_header && !(dev->io.flags & TUN_FLAG_PACKET_INFO);
}

int tun_backend_read(tun_device *dev, void *buf, size_t size, int timeout_ms,
                     bool honour_nonblocking)
{
    if (dev->ops && dev->ops->read)
        return dev->ops->read(dev, buf, size, timeout_ms, honour_nonblocking);
    uint8_t family[TUN_FAMILY_HEADER_SIZE];
    size_t header_len = tun_bsd_strips_header(dev) ? sizeof(family) : 0;
    return tun_unix_read_packet(&dev->io, family, header_len, "family header",
                                buf, size, timeout_ms, honour_nonblocking);
}

/* The largest write the interface takes, re-read only when a packet looks
 * too large (as on Linux). */
static int tun_bsd_check_write_size(tun_device *dev, size_t len)
{
    if (dev->io.ifindex == 0)
        return 0; /* a raw fd: the platform checks */
    unsigned mtu = atomic_load_explicit(&dev->mtu, memory_order_relaxed);
    if (mtu && len <= mtu + dev->link_header)
        return 0;
    char name[IFNAMSIZ];
    int rc = tun_bsd_name(dev, name, "write");
    if (rc < 0 || (rc = tun_ifc_get_mtu(name, &mtu)) < 0)
        return rc;
    atomic_store_explicit(&dev->mtu, mtu, memory_order_relaxed);
    if (len <= mtu + dev->link_header)
        return 0;
    return tun_fail(TUN_EMSGSIZE, "write: %zu bytes exceed the MTU %u plus "
                    "%zu bytes of link header", len, mtu, dev->link_header);
}

int tun_backend_write(tun_device *dev, const void *buf, size_t len)
{
    int rc = tun_bsd_check_write_size(dev, len);
    if (rc < 0)
        return rc;
    if (dev->ops && dev->ops->write)
        return dev->ops->write(dev, buf, len);
    uint32_t family = 0;
    struct iovec iov[2];
    int iovcnt = 0;
    if (tun_bsd_strips_header(dev)) {
        uint32_t af = tun_bsd_family_of(buf, len);
        if (af == 0)
            return tun_fail(TUN_EINVAL, "tun_write: not an IPv4 or IPv6 "
                            "packet (version nibble %u)",
                            *(const uint8_t *)buf >> 4);
        family = htonl(af);
        iov[iovcnt++] = (struct iovec){&family, sizeof(family)};
    }
    iov[iovcnt++] = (struct iovec){(void *)(uintptr_t)buf, len};
    for (;;) {
        int n = tun_unix_transfer(&dev->io, false, iov, iovcnt, -1, true);
        /* FreeBSD's tun and tap accept and drop a write while the interface
         * is down, answering 0 bytes (tunwrite in if_tuntap.c). */
        if (n == 0)
            return tun_fail(TUN_EIO, "write: the packet was dropped (is the "
                            "interface down? bring it up with "
                            "tun_device_set_up())");
        if (n != TUN_ENOBUFS)
            return n < 0 ? n : (int)len;
        /* A full queue answers ENOBUFS (NetBSD's tun when the protocol's
         * input queue is full, tunwrite; NetBSD's tun and tap when mbufs
         * run out, while tap_dev_write drops a frame its full queue refuses
         * without a word; OpenBSD answers EMSGSIZE/ENOMEM instead) and
         * never signals room: non-blocking callers retry later; blocking
         * ones sleep 1 ms here unless interrupted. */
        if (atomic_load_explicit(&dev->io.nonblocking, memory_order_relaxed))
            return TUN_EAGAIN;
        rc = tun_unix_wait(&dev->io, 0, 1);
        if (rc == TUN_ECANCELED)
            return rc;
    }
}

/* ---- queries and changes ------------------------------------------------ */

/* Every interface call needs an interface (see src/unix/device.c); on
 * success name holds its current name. */
static int tun_bsd_need_interface(tun_device *dev, const char *what,
                                  char name[IFNAMSIZ])
{
    int rc = tun_unix_need_interface(dev, what);
    if (rc < 0)
        return rc;
    return tun_bsd_name(dev, name, what);
}

/* The same, then the reason of a failed step is prefixed with what. */
#define TUN_BSD_CALL(what, call)                                               \
    do {                                                                       \
        int rc_ = (call);                                                      \
        if (rc_ < 0)                                                           \
            return tun_fail(rc_, "%s: %s", what, tun_last_error());            \
        return 0;                                                              \
    } while (0)

int tun_device_get_name(tun_device *dev, char *buf, size_t size)
{
    char name[IFNAMSIZ];
    if (!buf)
        return tun_fail(TUN_EINVAL, "tun_device_get_name: NULL buffer");
    int rc = tun_bsd_need_interface(dev, "tun_device_get_name", name);
    if (rc < 0)
        return rc;
    return tun_give_name(name, buf, size);
}

int tun_device_set_name(tun_device *dev, const char *new_name)
{
    int rc = tun_check_new_name(new_name);
    if (rc < 0)
        return rc;
    char name[IFNAMSIZ];
    if ((rc = tun_bsd_need_interface(dev, "tun_device_set_name", name)) < 0)
        return rc;
    TUN_BSD_CALL("tun_device_set_name", tun_ifc_rename(name, new_name));
}

int tun_device_get_index(tun_device *dev, unsigned *index)
{
    char name[IFNAMSIZ];
    if (!index)
        return tun_fail(TUN_EINVAL, "tun_device_get_index: NULL pointer");
    int rc = tun_bsd_need_interface(dev, "tun_device_get_index", name);
    if (rc < 0)
        return rc;
    *index = dev->io.ifindex;
    return 0;
}

int tun_device_get_mtu(tun_device *dev, unsigned *mtu)
{
    char name[IFNAMSIZ];
    if (!mtu)
        return tun_fail(TUN_EINVAL, "tun_device_get_mtu: NULL pointer");
    int rc = tun_bsd_need_interface(dev, "tun_device_get_mtu", name);
    if (rc < 0)
        return rc;
    if ((rc = tun_ifc_get_mtu(name, mtu)) < 0)
        return rc;
    atomic_store_explicit(&dev->mtu, *mtu, memory_order_relaxed);
    return 0;
}

int tun_device_set_mtu(tun_device *dev, unsigned mtu)
{
    int rc = tun_check_mtu(mtu);
    if (rc < 0)
        return rc;
    char name[IFNAMSIZ];
    if ((rc = tun_bsd_need_interface(dev, "tun_device_set_mtu", name)) < 0 ||
        (rc = tun_bsd_check_max_mtu(dev, mtu)) < 0)
        return rc;
    if (mtu < TUN_MTU_MIN_IPV6) {
        tun_address addrs[64];
        size_t count;
        rc = tun_ifc_list_addresses(name, addrs, 64, &count);
        if (rc < 0 && rc != TUN_ENOBUFS)
            return rc;
        for (size_t i = 0; i < count && i < 64; i++)
            if (addrs[i].family == TUN_INET6)
                return tun_fail(TUN_ERANGE, "MTU %u is below %d, the IPv6 "
                                "minimum, and the interface has an IPv6 "
                                "address", mtu, TUN_MTU_MIN_IPV6);
    }
    if ((rc = tun_ifc_set_mtu(name, mtu)) < 0)
        return rc;
    /* feth: the I/O side carries the same frames. */
    if (dev->peer_name[0] && (rc = tun_ifc_set_mtu(dev->peer_name, mtu)) < 0)
        return rc;
    atomic_store_explicit(&dev->mtu, mtu, memory_order_relaxed);
    return 0;
}

int tun_device_get_up(tun_device *dev, bool *up)
{
    char name[IFNAMSIZ];
    if (!up)
        return tun_fail(TUN_EINVAL, "tun_device_get_up: NULL pointer");
    int rc = tun_bsd_need_interface(dev, "tun_device_get_up", name);
    if (rc < 0)
        return rc;
    return tun_ifc_get_up(name, up);
}

int tun_device_set_up(tun_device *dev, bool up)
{
    char name[IFNAMSIZ];
    int rc = tun_bsd_need_interface(dev, "tun_device_set_up", name);
    if (rc < 0)
        return rc;
    return tun_ifc_set_up(name, up);
}

static int tun_bsd_need_l2(tun_device *dev, const char *what,
                           char name[IFNAMSIZ])
{
    int rc = tun_unix_need_l2(dev, what);
    if (rc < 0)
        return rc;
    return tun_bsd_name(dev, name, what);
}

int tun_device_get_mac(tun_device *dev, uint8_t mac[6])
{
    char name[IFNAMSIZ];
    if (!mac)
        return tun_fail(TUN_EINVAL, "tun_device_get_mac: NULL pointer");
    int rc = tun_bsd_need_l2(dev, "tun_device_get_mac", name);
    if (rc < 0)
        return rc;
    TUN_BSD_CALL("tun_device_get_mac", tun_ifc_get_mac(name, mac));
}

int tun_device_set_mac(tun_device *dev, const uint8_t mac[6])
{
    char name[IFNAMSIZ];
    int rc = tun_bsd_need_l2(dev, "tun_device_set_mac", name);
    if (rc < 0)
        return rc;
    if ((rc = tun_check_mac(mac)) < 0)
        return rc;
    return tun_ifc_set_mac(name, mac);
}

int tun_device_get_addresses(tun_device *dev, tun_address *out,
                             size_t capacity, size_t *count)
{
    char name[IFNAMSIZ];
    if (!count || (!out && capacity))
        return tun_fail(TUN_EINVAL, "tun_device_get_addresses: NULL pointer");
    int rc = tun_bsd_need_interface(dev, "tun_device_get_addresses", name);
    if (rc < 0)
        return rc;
    return tun_ifc_list_addresses(name, out, capacity, count);
}

int tun_backend_change_address(tun_device *dev, const tun_address *a,
                               bool add)
{
    char name[IFNAMSIZ];
    int rc = tun_bsd_name(dev, name, "finding the interface's name");
    if (rc < 0)
        return rc;
    return add ? tun_ifc_add_address(name, dev->io.ifindex,
                                     dev->point_to_point,
                                     !dev->no_auto_route, a)
               : tun_ifc_remove_address(name, dev->io.ifindex,
                                        dev->point_to_point &&
                                            !dev->no_auto_route,
                                        a);
}
