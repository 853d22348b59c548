/* The Linux control plane (see src/unix/control.h): counters and carrier
 * from rtnetlink's link message, carrier changes with TUNSETCARRIER on the
 * descriptor, routes with rtnetlink (netlink.c). */
#include "../unix/control.h"
#include "device.h"
#include "netlink.h"

#include <linux/if_tun.h>
#include <net/if.h>
#include <sys/ioctl.h>

int tun_backend_get_stats(tun_device *dev, tun_stats *stats)
{
    struct tun_nl_link link;
    int rc = tun_nl_link_get(dev->io.ifindex, &link);
    if (rc < 0)
        return rc;
    if (!link.has_stats)
        return tun_fail(TUN_EIO, "the kernel's link message carries no "
                        "IFLA_STATS64");
    *stats = link.stats;
    return 0;
}

int tun_backend_set_carrier(tun_device *dev, bool on)
{
    int carrier = on;
    if (ioctl(dev->io.fd, TUNSETCARRIER, &carrier) == 0)
        return 0;
    /* The tun driver answers an ioctl it does not know with EINVAL. */
    if (errno == EINVAL)
        return tun_fail(TUN_ENOTSUP, "TUNSETCARRIER: this kernel has no "
                        "carrier switch for TUN/TAP devices (Linux 5.0+)");
    return tun_linux_ioctl_failed(errno, on ? "TUNSETCARRIER on"
                                            : "TUNSETCARRIER off");
}

int tun_backend_get_carrier(tun_device *dev, bool *on)
{
    struct tun_nl_link link;
    int rc = tun_nl_link_get(dev->io.ifindex, &link);
    if (rc < 0)
        return rc;
    /* IFF_RUNNING mirrors the carrier where IFLA_CARRIER is missing. */
    *on = link.carrier >= 0 ? link.carrier == 1 : (link.flags & IFF_RUNNING);
    return 0;
}

int tun_backend_change_route(tun_device *dev, const tun_route *r, bool add)
{
    return add ? tun_nl_route_add(dev->io.ifindex, r)
               : tun_nl_route_del(dev->io.ifindex, r);
}

int tun_backend_list_routes(tun_device *dev, tun_route *out, size_t capacity,
                            size_t *count)
{
    return tun_nl_route_list(dev->io.ifindex, out, capacity, count);
}
