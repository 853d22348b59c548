/* The Linux kernel hooks (src/linux/hooks.c) on every other platform:
 * TUN_ENOTSUP after the argument checks. */
#include "internal.h"

#if !defined(__linux__)
static int tun_linux_only(const void *dev, const char *call)
{
    return tun_fail_other_platform(dev, call, "Linux");
}

int tun_device_set_netns(tun_device *dev, int netns_fd)
{
    (void)netns_fd;
    return tun_linux_only(dev, "tun_device_set_netns");
}

int tun_device_set_sndbuf(tun_device *dev, int bytes)
{
    (void)bytes;
    return tun_linux_only(dev, "tun_device_set_sndbuf");
}

int tun_device_get_sndbuf(tun_device *dev, int *bytes)
{
    return tun_linux_only(bytes ? dev : NULL, "tun_device_get_sndbuf");
}

int tun_device_set_steering_ebpf(tun_device *dev, int prog_fd)
{
    (void)prog_fd;
    return tun_linux_only(dev, "tun_device_set_steering_ebpf");
}

int tun_device_set_filter_ebpf(tun_device *dev, int prog_fd)
{
    (void)prog_fd;
    return tun_linux_only(dev, "tun_device_set_filter_ebpf");
}
#endif
