/* The interface calls whose logic every Unix backend shares; the backend
 * does only the OS part (tun_backend_change_address()). */
#include "io.h"

int tun_unix_need_interface(tun_device *dev, const char *what)
{
    if (!dev)
        return tun_fail(TUN_EINVAL, "%s: NULL device", what);
    if (tun_unix_io_of(dev)->ifindex == 0)
        return tun_fail(TUN_ENOTSUP, "%s: the device was opened with "
                        "TUN_FD_RAW and has no interface the library knows",
                        what);
    return 0;
}

int tun_unix_need_l2(tun_device *dev, const char *what)
{
    int rc = tun_unix_need_interface(dev, what);
    if (rc < 0)
        return rc;
    if (!(tun_unix_io_of(dev)->flags & TUN_FLAG_L2))
        return tun_fail(TUN_ENOTSUP, "%s: an L3 (TUN) device has no MAC "
                        "address", what);
    return 0;
}

/* Add or remove one address with a readable reason. */
static int tun_unix_change_address(tun_device *dev, const tun_address *a,
                                   bool add)
{
    const char *what = add ? "tun_device_add_address"
                           : "tun_device_remove_address";
    int rc = tun_unix_need_interface(dev, what);
    if (rc < 0)
        return rc;
    if ((rc = tun_check_address(a)) < 0)
        return rc;
    rc = tun_backend_change_address(dev, a, add);
    if (rc < 0) {
        char text[TUN_ADDRSTRLEN];
        tun_address_format(a, text, sizeof(text));
        return tun_fail(rc, "%s %s: %s", what, text, tun_last_error());
    }
    return 0;
}

int tun_device_add_address(tun_device *dev, const tun_address *a)
{
    return tun_unix_change_address(dev, a, true);
}

int tun_device_remove_address(tun_device *dev, const tun_address *a)
{
    return tun_unix_change_address(dev, a, false);
}

unsigned tun_handle_flags(tun_device *dev)
{
    return tun_unix_io_of(dev)->flags;
}

int tun_device_get_flags(tun_device *dev, unsigned *flags)
{
    if (!dev || !flags)
        return tun_fail(TUN_EINVAL, "tun_device_get_flags: NULL pointer");
    struct tun_unix_io *io = tun_unix_io_of(dev);
    unsigned now = io->flags;
    if (atomic_load_explicit(&io->nonblocking, memory_order_relaxed))
        now |= TUN_FLAG_NONBLOCK;
    /* Another handle or program may have changed persistence since the
     * open: ask each time (a raw fd has no interface to ask about). */
    if (io->ifindex) {
        bool persist;
        int rc = tun_backend_get_persist(dev, &persist);
        if (rc < 0)
            return tun_fail(rc, "tun_device_get_flags: %s", tun_last_error());
        now = persist ? now | TUN_FLAG_PERSIST
                      : now & ~(unsigned)TUN_FLAG_PERSIST;
    }
    *flags = now;
    return 0;
}
