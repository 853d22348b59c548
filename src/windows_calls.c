/* The Windows device calls (src/win/device.c) on every other platform:
 * TUN_ENOTSUP after the NULL checks. */
#include "internal.h"

#if !defined(_WIN32)
static int tun_windows_only(const void *dev, const char *call)
{
    return tun_fail_other_platform(dev, call, "Windows");
}

int tun_device_get_luid(tun_device *dev, uint64_t *luid)
{
    return tun_windows_only(luid ? dev : NULL, "tun_device_get_luid");
}

int tun_device_set_metric(tun_device *dev, unsigned metric)
{
    (void)metric;
    return tun_windows_only(dev, "tun_device_set_metric");
}

int tun_device_set_dns_servers(tun_device *dev, const char *const *servers,
                               size_t count)
{
    return tun_windows_only(servers || !count ? dev : NULL,
                            "tun_device_set_dns_servers");
}

int tun_device_get_ipv6_mtu(tun_device *dev, unsigned *mtu)
{
    return tun_windows_only(mtu ? dev : NULL, "tun_device_get_ipv6_mtu");
}

int tun_device_set_ipv6_mtu(tun_device *dev, unsigned mtu)
{
    (void)mtu;
    return tun_windows_only(dev, "tun_device_set_ipv6_mtu");
}
#endif
