/* The packet calls' argument checks, the same on every backend; the
 * backend moves the packet (tun_backend_read/write in internal.h). */
#include "internal.h"

static int tun_read_checked(tun_device *dev, void *buf, size_t size,
                            int timeout_ms, bool honour_nonblocking)
{
    if (!dev || !buf)
        return tun_fail(TUN_EINVAL, "tun_read: NULL pointer");
    if (size == 0)
        return tun_fail(TUN_EINVAL, "tun_read: zero-sized buffer");
    return tun_backend_read(dev, buf, size, timeout_ms, honour_nonblocking);
}

int tun_read(tun_device *dev, void *buf, size_t size)
{
    return tun_read_checked(dev, buf, size, -1, true);
}

int tun_read_timeout(tun_device *dev, void *buf, size_t size, int timeout_ms)
{
    if (timeout_ms < -1)
        return tun_fail(TUN_EINVAL, "tun_read_timeout: timeout %d ms",
                        timeout_ms);
    return tun_read_checked(dev, buf, size, timeout_ms, false);
}

int tun_write(tun_device *dev, const void *buf, size_t len)
{
    if (!dev || !buf)
        return tun_fail(TUN_EINVAL, "tun_write: NULL pointer");
    if (len == 0)
        return tun_fail(TUN_EINVAL, "tun_write: empty packet");
    return tun_backend_write(dev, buf, len);
}
