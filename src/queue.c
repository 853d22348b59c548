/* The multi-queue calls where there are no multi-queue devices: everywhere
 * but Linux (src/linux/device.c), they check their arguments and say so. */
#include "internal.h"

#if !defined(__linux__)
int tun_clone_queue(tun_device *dev, tun_device **out)
{
    if (!dev || !out)
        return tun_fail(TUN_EINVAL, "tun_clone_queue: NULL pointer");
    return tun_fail(TUN_ENOTSUP, "tun_clone_queue: multi-queue is supported "
                    "on Linux only");
}

int tun_queue_set_enabled(tun_device *dev, bool enabled)
{
    (void)enabled;
    if (!dev)
        return tun_fail(TUN_EINVAL, "tun_queue_set_enabled: NULL device");
    return tun_fail(TUN_ENOTSUP, "tun_queue_set_enabled: multi-queue is "
                    "supported on Linux only");
}
#endif
