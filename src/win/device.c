/* The Windows backend's public calls: opening (wintun or tap-windows6, then
 * the IP configuration), packet I/O, interrupts and run-time changes. */
#include "device.h"
#include "../iface.h"

#include <stdlib.h>
#include <string.h>

/* ---- waiting -------------------------------------------------------------- */

int tun_win_check_interrupt(tun_device *dev)
{
    if (WaitForSingleObject(dev->interrupt, 0) == WAIT_OBJECT_0)
        return tun_fail(TUN_ECANCELED, "interrupted by tun_interrupt()");
    return 0;
}

ULONGLONG tun_win_deadline(int timeout_ms)
{
    return timeout_ms < 0 ? 0 : GetTickCount64() + (ULONGLONG)timeout_ms;
}

int tun_win_wait(tun_device *dev, HANDLE ready, ULONGLONG deadline)
{
    DWORD wait = INFINITE;
    if (deadline) {
        ULONGLONG now = GetTickCount64();
        ULONGLONG left = deadline > now ? deadline - now : 0;
        wait = left >= INFINITE ? INFINITE - 1 : (DWORD)left;
    }
    /* The interrupt comes first: WaitForMultipleObjects reports the lowest
     * signalled index. */
    HANDLE handles[2] = {dev->interrupt, ready};
    switch (WaitForMultipleObjects(2, handles, FALSE, wait)) {
    case WAIT_OBJECT_0:
        return tun_win_check_interrupt(dev);
    case WAIT_OBJECT_0 + 1:
        return 0;
    case WAIT_TIMEOUT:
        return tun_fail(TUN_ETIMEDOUT, "nothing within the timeout");
    default:
        return tun_win_fail(GetLastError(), "WaitForMultipleObjects");
    }
}

/* ---- addresses this handle added ------------------------------------------ */

/* Add the address on the interface and remember it (for its peer route and
 * the clean-up at close). */
static int tun_win_add_address(tun_device *dev, const tun_address *a)
{
    AcquireSRWLockExclusive(&dev->added_lock);
    int rc = 0;
    if (dev->added_count == dev->added_capacity) {
        size_t capacity = dev->added_capacity ? dev->added_capacity * 2 : 4;
        tun_address *grown = realloc(dev->added, capacity * sizeof(*grown));
        if (!grown)
            rc = tun_fail(TUN_ENOMEM, "adding an address: out of memory");
        else {
            dev->added = grown;
            dev->added_capacity = capacity;
        }
    }
    bool route_made;
    if (rc == 0 && (rc = tun_ip_add(&dev->luid, a, &route_made)) == 0) {
        /* Kept without its peer when the route to the peer was there
         * before: removing the address then leaves that route alone. */
        dev->added[dev->added_count] = *a;
        dev->added[dev->added_count++].has_peer = route_made;
    }
    ReleaseSRWLockExclusive(&dev->added_lock);
    return rc;
}

/* Remove the address, with the peer route this handle made for it. */
static int tun_win_remove_address(tun_device *dev, const tun_address *a)
{
    AcquireSRWLockExclusive(&dev->added_lock);
    tun_address target = *a;
    target.has_peer = 0;
    size_t i = 0;
    while (i < dev->added_count && !tun_address_same(&dev->added[i], a))
        i++;
    if (i < dev->added_count)
        target = dev->added[i];
    int rc = tun_ip_remove(&dev->luid, &target);
    if (rc == 0 && i < dev->added_count)
        dev->added[i] = dev->added[--dev->added_count];
    ReleaseSRWLockExclusive(&dev->added_lock);
    return rc;
}

/* ---- DNS servers this handle changed -------------------------------------- */

/* Replace the DNS servers, each family's own kept first (at the handle's
 * first change only) for tun_win_put_back_dns(). */
static int tun_win_set_dns(tun_device *dev, const tun_address *servers,
                           size_t count)
{
    AcquireSRWLockExclusive(&dev->added_lock);
    int rc = 0;
    for (int i = 0; rc == 0 && i < 2; i++) {
        uint8_t family = tun_win_families[i];
        char list[TUN_WIN_DNS_TEXT];
        if (tun_win_dns_to_save(&dev->dns_saved, family) &&
            (rc = tun_ip_get_dns_text(&dev->luid, family, list,
                                      sizeof(list))) == 0)
            rc = tun_win_dns_save(&dev->dns_saved, family, list);
    }
    if (rc == 0)
        rc = tun_ip_set_dns(&dev->luid, servers, count);
    ReleaseSRWLockExclusive(&dev->added_lock);
    return rc;
}

/* Put back the servers of each family this handle changed, as the handle
 * lets the adapter go: the adapter's own, or none on an adapter the handle
 * created (Windows keeps them under its GUID, for a later adapter with the
 * same configured GUID). Best effort. */
static void tun_win_put_back_dns(tun_device *dev, bool created)
{
    for (int i = 0; i < 2; i++) {
        uint8_t family = tun_win_families[i];
        const char *list = tun_win_dns_to_restore(&dev->dns_saved, family,
                                                  created);
        if (list && tun_ip_set_dns_text(&dev->luid, family, list) < 0)
            tun_log(TUN_LOG_WARNING, "putting back the IPv%d DNS servers "
                    "\"%s\": %s", family, list, tun_last_error());
    }
}

/* Take back what this handle configured on an adapter that stays. */
static void tun_win_unconfigure(tun_device *dev)
{
    tun_win_forget_routes(dev);
    while (dev->added_count > 0)
        if (tun_win_remove_address(dev, &dev->added[dev->added_count - 1]) < 0)
            dev->added_count--; /* already gone: forget it */
    tun_win_put_back_dns(dev, false);
    if (dev->flags & TUN_FLAG_L2)
        tun_tap_set_media(dev, false);
}

/* ---- opening and closing ---------------------------------------------------- */

/* Every configuration step of tun_open(), in order; each names itself. */
static int tun_win_configure(const tun_config *cfg, tun_device *dev)
{
    int rc;
    tun_log(TUN_LOG_DEBUG, "configuring the adapter: MTU %u, metric %u, %zu "
            "address(es), %zu DNS server(s)%s%s", cfg->mtu, cfg->metric,
            cfg->address_count, cfg->dns_count,
            (dev->flags & TUN_FLAG_L2) ? ", media " : "",
            (dev->flags & TUN_FLAG_L2) ? tun_link_state_name(cfg->up) : "");
    if (cfg->mtu && (rc = tun_ip_set_mtu(&dev->luid, cfg->mtu)) < 0)
        return tun_fail(rc, "setting MTU %u: %s", cfg->mtu, tun_last_error());
    if (cfg->metric && (rc = tun_ip_set_metric(&dev->luid, cfg->metric)) < 0)
        return tun_fail(rc, "setting metric %u: %s", cfg->metric,
                        tun_last_error());
    for (size_t i = 0; i < cfg->address_count; i++) {
        if ((rc = tun_win_add_address(dev, &cfg->addresses[i])) < 0)
            return tun_fail(rc, "adding an address: %s%s", tun_last_error(),
                            rc == TUN_EEXIST ? " (already present)" : "");
    }
    if (cfg->dns_count &&
        (rc = tun_win_set_dns(dev, cfg->dns, cfg->dns_count)) < 0)
        return tun_fail(rc, "setting DNS servers: %s", tun_last_error());
    bool up = cfg->up == TUN_LINK_UP;
    if ((dev->flags & TUN_FLAG_L2) && cfg->up != TUN_LINK_INHERIT &&
        (rc = tun_tap_set_media(dev, up)) < 0)
        return tun_fail(rc, "bringing the TAP adapter %s: %s",
                        up ? "up" : "down", tun_last_error());
    for (size_t i = 0; i < cfg->route_count; i++)
        if ((rc = tun_win_add_route(dev, &cfg->routes[i])) < 0)
            return tun_fail(rc, "adding a route: %s", tun_last_error());
    return 0;
}

static void tun_win_free(tun_device *dev)
{
    if (dev->interrupt)
        CloseHandle(dev->interrupt);
    free(dev->added);
    free(dev->routes);
    free(dev);
}

int tun_backend_open(const tun_config *cfg, tun_device **out)
{
    int rc;
    tun_device *dev = calloc(1, sizeof(*dev));
    if (!dev)
        return tun_fail(TUN_ENOMEM, "allocating the device: out of memory");
    InitializeSRWLock(&dev->added_lock);
    atomic_init(&dev->nonblocking, cfg->nonblocking);
    atomic_init(&dev->mtu, 0u);
    atomic_init(&dev->mtu6, 0u);
    dev->interrupt = CreateEventW(NULL, TRUE, FALSE, NULL);
    if (!dev->interrupt) {
        rc = tun_win_fail(GetLastError(), "CreateEvent for tun_interrupt()");
        tun_win_free(dev);
        return rc;
    }
    bool existed = true; /* a tap-windows6 adapter always exists before */
    if (cfg->layer == TUN_LAYER_L2) {
        dev->flags |= TUN_FLAG_L2;
        rc = tun_tap_open(cfg, dev);
    } else {
        rc = tun_wintun_open(cfg, dev, &existed);
    }
    if (rc < 0) {
        tun_win_free(dev);
        return rc;
    }
    if ((rc = tun_win_configure(cfg, dev)) < 0) {
        /* A created wintun adapter goes with its handle; on one that was
         * there before, take back what this call set. The undo's own
         * failures must not replace the reason. */
        tun_kept_reason reason;
        tun_reason_keep(&reason);
        if (existed)
            tun_win_unconfigure(dev);
        else
            tun_win_put_back_dns(dev, true);
        if (dev->flags & TUN_FLAG_L2)
            tun_tap_close(dev);
        else
            tun_wintun_close(dev);
        tun_win_free(dev);
        return tun_fail(rc, "%s", reason.text);
    }
    if (existed && (!(dev->flags & TUN_FLAG_L2) || cfg->persist))
        dev->flags |= TUN_FLAG_PERSIST;
    atomic_store(&dev->clean_at_close, !(dev->flags & TUN_FLAG_PERSIST));
    *out = dev;
    return 0;
}

int tun_open_fd(int fd, unsigned flags, tun_device **out)
{
    (void)fd;
    (void)flags;
    if (!out)
        return tun_fail(TUN_EINVAL, "tun_open_fd: NULL pointer");
    return tun_fail(TUN_ENOTSUP, "tun_open_fd: Windows devices have no file "
                    "descriptor; use tun_open()");
}

void tun_close(tun_device *dev)
{
    if (!dev)
        return;
    if (dev->flags & TUN_FLAG_L2) {
        if (atomic_load(&dev->clean_at_close))
            tun_win_unconfigure(dev);
        tun_tap_close(dev);
    } else {
        if (atomic_load(&dev->clean_at_close)) /* an adapter it created */
            tun_win_put_back_dns(dev, true);
        tun_wintun_close(dev);
    }
    tun_win_free(dev);
}

/* ---- packet I/O -------------------------------------------------------------- */

int tun_backend_read(tun_device *dev, void *buf, size_t size, int timeout_ms,
                     bool honour_nonblocking)
{
    if (dev->flags & TUN_FLAG_L2)
        return tun_tap_read(dev, buf, size, timeout_ms, honour_nonblocking);
    return tun_wintun_read(dev, buf, size, timeout_ms, honour_nonblocking);
}

/* The largest write the interface takes: the packet's family's MTU (L2:
 * IPv4's, else IPv6's) plus the link header. A family the interface does
 * not run leaves the driver's own limit. The MTUs are re-read only when a
 * packet looks too large. */
static int tun_win_check_write_size(tun_device *dev, const void *buf,
                                    size_t len)
{
    bool l2 = dev->flags & TUN_FLAG_L2;
    size_t header = l2 ? TUN_TAP_FRAME_HEADER : 0;
    bool ipv6 = !l2 && tun_iface_packet_family(buf, len) == TUN_INET6;
    atomic_uint *cached = ipv6 ? &dev->mtu6 : &dev->mtu;
    unsigned mtu = atomic_load_explicit(cached, memory_order_relaxed);
    if (mtu && len <= mtu + header)
        return 0;
    unsigned mtu4, mtu6;
    int rc = tun_ip_get_mtus(&dev->luid, &mtu4, &mtu6);
    if (rc < 0)
        return tun_fail(rc, "write: %s", tun_last_error());
    unsigned driver_limit = l2 ? TUN_MTU_MAX : TUN_WINTUN_MAX_PACKET;
    if (l2 && !mtu4)
        mtu4 = mtu6;
    mtu4 = mtu4 ? mtu4 : driver_limit;
    mtu6 = mtu6 ? mtu6 : driver_limit;
    atomic_store_explicit(&dev->mtu, mtu4, memory_order_relaxed);
    atomic_store_explicit(&dev->mtu6, mtu6, memory_order_relaxed);
    mtu = ipv6 ? mtu6 : mtu4;
    if (len <= mtu + header)
        return 0;
    return tun_fail(TUN_EMSGSIZE, "write: %zu bytes exceed the %sMTU %u plus "
                    "%zu bytes of link header", len, ipv6 ? "IPv6 " : "",
                    mtu, header);
}

int tun_backend_write(tun_device *dev, const void *buf, size_t len)
{
    int rc = tun_win_check_write_size(dev, buf, len);
    if (rc < 0)
        return rc;
    if (dev->flags & TUN_FLAG_L2)
        return tun_tap_write(dev, buf, len);
    return tun_wintun_write(dev, buf, len);
}

int tun_interrupt(tun_device *dev)
{
    if (!dev)
        return TUN_EINVAL; /* no reason recorded: called from handlers */
    return SetEvent(dev->interrupt) ? 0 : TUN_EIO;
}

int tun_interrupt_clear(tun_device *dev)
{
    if (!dev)
        return tun_fail(TUN_EINVAL, "tun_interrupt_clear: NULL device");
    if (!ResetEvent(dev->interrupt))
        return tun_win_fail(GetLastError(), "tun_interrupt_clear");
    return 0;
}

tun_os_fd tun_device_fd(const tun_device *dev)
{
    if (!dev)
        return NULL;
    return (dev->flags & TUN_FLAG_L2) ? dev->tap.read_ov.hEvent
                                      : dev->wintun.read_event;
}

int tun_device_set_nonblocking(tun_device *dev, bool on)
{
    if (!dev)
        return tun_fail(TUN_EINVAL, "tun_device_set_nonblocking: NULL device");
    atomic_store_explicit(&dev->nonblocking, on, memory_order_relaxed);
    return 0;
}

/* ---- queries and changes ----------------------------------------------------- */

/* Prefix an IP Helper failure with the public call's name. */
static int tun_win_named(int rc, const char *what)
{
    return rc < 0 ? tun_fail(rc, "%s: %s", what, tun_last_error()) : rc;
}

#define TUN_WIN_NEED(dev, arg, what)                                           \
    do {                                                                       \
        if (!(dev) || !(arg))                                                  \
            return tun_fail(TUN_EINVAL, "%s: NULL pointer", what);             \
    } while (0)

int tun_device_get_name(tun_device *dev, char *buf, size_t size)
{
    TUN_WIN_NEED(dev, buf, "tun_device_get_name");
    char name[TUN_NAME_MAX];
    int rc = tun_ip_get_name(&dev->luid, name, sizeof(name));
    if (rc < 0)
        return tun_win_named(rc, "tun_device_get_name");
    return tun_give_name(name, buf, size);
}

int tun_device_set_name(tun_device *dev, const char *name)
{
    TUN_WIN_NEED(dev, name, "tun_device_set_name");
    int rc = tun_check_new_name(name);
    if (rc < 0)
        return rc;
    return tun_fail(TUN_ENOTSUP, "tun_device_set_name: Windows offers no "
                    "documented call to rename an adapter; give the name in "
                    "the config");
}

int tun_device_get_index(tun_device *dev, unsigned *index)
{
    TUN_WIN_NEED(dev, index, "tun_device_get_index");
    return tun_win_named(tun_ip_get_index(&dev->luid, index),
                         "tun_device_get_index");
}

int tun_device_get_mtu(tun_device *dev, unsigned *mtu)
{
    TUN_WIN_NEED(dev, mtu, "tun_device_get_mtu");
    int rc = tun_ip_get_mtu(&dev->luid, mtu);
    return tun_win_named(rc, "tun_device_get_mtu");
}

int tun_device_set_mtu(tun_device *dev, unsigned mtu)
{
    if (!dev)
        return tun_fail(TUN_EINVAL, "tun_device_set_mtu: NULL device");
    int rc = tun_check_mtu(mtu);
    if (rc < 0)
        return rc;
    if (mtu < TUN_MTU_MIN_IPV6) {
        /* As on Linux: refuse rather than cut IPv6 off silently. The
         * link-local address Windows adds does not count. */
        tun_address addrs[64];
        size_t count;
        rc = tun_ip_list(&dev->luid, addrs, 64, &count);
        if (rc < 0 && rc != TUN_ENOBUFS)
            return tun_win_named(rc, "tun_device_set_mtu");
        for (size_t i = 0; i < count && i < 64; i++) {
            bool link_local = addrs[i].addr[0] == 0xfe &&
                              (addrs[i].addr[1] & 0xc0) == 0x80;
            if (addrs[i].family == TUN_INET6 && !link_local)
                return tun_fail(TUN_ERANGE, "MTU %u is below %d, the IPv6 "
                                "minimum, and the interface has an IPv6 "
                                "address", mtu, TUN_MTU_MIN_IPV6);
        }
    }
    if ((rc = tun_ip_set_mtu(&dev->luid, mtu)) < 0)
        return tun_win_named(rc, "tun_device_set_mtu");
    /* Learnt again by the next write (IPv6 may have kept its own). */
    atomic_store_explicit(&dev->mtu, 0u, memory_order_relaxed);
    atomic_store_explicit(&dev->mtu6, 0u, memory_order_relaxed);
    return 0;
}

int tun_device_get_up(tun_device *dev, bool *up)
{
    TUN_WIN_NEED(dev, up, "tun_device_get_up");
    return tun_win_named(tun_ip_get_up(&dev->luid, up), "tun_device_get_up");
}

int tun_device_set_up(tun_device *dev, bool up)
{
    if (!dev)
        return tun_fail(TUN_EINVAL, "tun_device_set_up: NULL device");
    if (dev->flags & TUN_FLAG_L2)
        return tun_win_named(tun_tap_set_media(dev, up), "tun_device_set_up");
    if (up)
        return 0; /* a wintun adapter is up while its session runs */
    return tun_fail(TUN_ENOTSUP, "tun_device_set_up: a wintun adapter is up "
                    "while its handle is open; close it to take it down");
}

int tun_device_get_mac(tun_device *dev, uint8_t mac[6])
{
    TUN_WIN_NEED(dev, mac, "tun_device_get_mac");
    if (!(dev->flags & TUN_FLAG_L2))
        return tun_fail(TUN_ENOTSUP, "tun_device_get_mac: an L3 (TUN) device "
                        "has no MAC address");
    return tun_win_named(tun_tap_get_mac(dev, mac), "tun_device_get_mac");
}

int tun_device_set_mac(tun_device *dev, const uint8_t mac[6])
{
    TUN_WIN_NEED(dev, mac, "tun_device_set_mac");
    if (!(dev->flags & TUN_FLAG_L2))
        return tun_fail(TUN_ENOTSUP, "tun_device_set_mac: an L3 (TUN) device "
                        "has no MAC address");
    int rc = tun_check_mac(mac);
    if (rc < 0)
        return rc;
    return tun_fail(TUN_ENOTSUP, "tun_device_set_mac: tap-windows6 takes a "
                    "new MAC address only from the registry when the adapter "
                    "restarts");
}

int tun_device_get_addresses(tun_device *dev, tun_address *out,
                             size_t capacity, size_t *count)
{
    if (!dev || !count || (!out && capacity))
        return tun_fail(TUN_EINVAL, "tun_device_get_addresses: NULL pointer");
    int rc = tun_ip_list(&dev->luid, out, capacity, count);
    if (rc == TUN_ENOBUFS)
        return tun_fail(rc, "tun_device_get_addresses: %zu addresses, room for "
                        "%zu", *count, capacity);
    return tun_win_named(rc, "tun_device_get_addresses");
}

int tun_device_add_address(tun_device *dev, const tun_address *a)
{
    TUN_WIN_NEED(dev, a, "tun_device_add_address");
    int rc = tun_check_address(a);
    if (rc < 0)
        return rc;
    rc = tun_win_add_address(dev, a);
    if (rc < 0)
        return tun_fail(rc, "tun_device_add_address: %s%s", tun_last_error(),
                        rc == TUN_EEXIST ? " (already present)" : "");
    return 0;
}

int tun_device_remove_address(tun_device *dev, const tun_address *a)
{
    TUN_WIN_NEED(dev, a, "tun_device_remove_address");
    int rc = tun_check_address(a);
    if (rc < 0)
        return rc;
    return tun_win_named(tun_win_remove_address(dev, a),
                         "tun_device_remove_address");
}

unsigned tun_handle_flags(tun_device *dev)
{
    return dev->flags;
}

int tun_device_get_flags(tun_device *dev, unsigned *flags)
{
    TUN_WIN_NEED(dev, flags, "tun_device_get_flags");
    *flags = dev->flags & ~(unsigned)TUN_FLAG_PERSIST;
    if (!atomic_load(&dev->clean_at_close))
        *flags |= TUN_FLAG_PERSIST;
    if (atomic_load_explicit(&dev->nonblocking, memory_order_relaxed))
        *flags |= TUN_FLAG_NONBLOCK;
    return 0;
}

int tun_device_set_persist(tun_device *dev, bool on)
{
    if (!dev)
        return tun_fail(TUN_EINVAL, "tun_device_set_persist: NULL device");
    if (!(dev->flags & TUN_FLAG_L2))
        return tun_fail(TUN_ENOTSUP, "tun_device_set_persist: wintun removes "
                        "an adapter it created when the handle closes and "
                        "keeps one that was there before");
    atomic_store(&dev->clean_at_close, !on);
    return 0;
}

/* ---- Windows device calls ------------------------------------------------ */

int tun_device_get_luid(tun_device *dev, uint64_t *luid)
{
    TUN_WIN_NEED(dev, luid, "tun_device_get_luid");
    *luid = dev->luid.Value;
    return 0;
}

int tun_device_set_metric(tun_device *dev, unsigned metric)
{
    if (!dev)
        return tun_fail(TUN_EINVAL, "tun_device_set_metric: NULL device");
    int rc = tun_win_check_metric(metric);
    if (rc < 0)
        return rc;
    return tun_win_named(tun_ip_set_metric(&dev->luid, metric),
                         "tun_device_set_metric");
}

int tun_device_set_dns_servers(tun_device *dev, const char *const *servers,
                               size_t count)
{
    if (!dev || (count && !servers))
        return tun_fail(TUN_EINVAL, "tun_device_set_dns_servers: NULL "
                        "pointer");
    tun_address list[TUN_DNS_MAX];
    size_t n = 0;
    for (size_t i = 0; i < count; i++) {
        int rc = tun_win_dns_add(list, &n, servers[i]);
        if (rc < 0)
            return tun_fail(rc, "tun_device_set_dns_servers: %s",
                            tun_last_error());
    }
    return tun_win_named(tun_win_set_dns(dev, list, n),
                         "tun_device_set_dns_servers");
}

int tun_device_get_ipv6_mtu(tun_device *dev, unsigned *mtu)
{
    TUN_WIN_NEED(dev, mtu, "tun_device_get_ipv6_mtu");
    unsigned mtu4, mtu6;
    int rc = tun_ip_get_mtus(&dev->luid, &mtu4, &mtu6);
    if (rc < 0)
        return tun_win_named(rc, "tun_device_get_ipv6_mtu");
    if (!mtu6)
        return tun_fail(TUN_ENOTSUP, "tun_device_get_ipv6_mtu: IPv6 does not "
                        "run on the interface");
    *mtu = mtu6;
    return 0;
}

int tun_device_set_ipv6_mtu(tun_device *dev, unsigned mtu)
{
    if (!dev)
        return tun_fail(TUN_EINVAL, "tun_device_set_ipv6_mtu: NULL device");
    if (mtu < TUN_MTU_MIN_IPV6 || mtu > TUN_MTU_MAX)
        return tun_fail(TUN_ERANGE, "tun_device_set_ipv6_mtu: %u is outside "
                        "%d..%d", mtu, TUN_MTU_MIN_IPV6, TUN_MTU_MAX);
    int rc = tun_ip_set_ipv6_mtu(&dev->luid, mtu);
    if (rc < 0)
        return tun_win_named(rc, "tun_device_set_ipv6_mtu");
    atomic_store_explicit(&dev->mtu6, 0u, memory_order_relaxed);
    return 0;
}
