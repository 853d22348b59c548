/* The Windows control plane: counters and media state from GetIfEntry2,
 * the carrier of a tap-windows6 adapter (its media status), and routes
 * through the IP Helper forward table, keyed by the interface LUID. */
#include "device.h"
#include "../iface.h"

#include <stdlib.h>
#include <string.h>

/* The adapter's MIB_IF_ROW2 (counters, media state). */
static int tun_win_if_row(tun_device *dev, MIB_IF_ROW2 *row, const char *what)
{
    memset(row, 0, sizeof(*row));
    row->InterfaceLuid = dev->luid;
    DWORD err = GetIfEntry2(row);
    if (err != NO_ERROR)
        return tun_win_fail(err, "%s: GetIfEntry2", what);
    return 0;
}

int tun_device_get_stats(tun_device *dev, tun_stats *stats)
{
    if (!dev || !stats)
        return tun_fail(TUN_EINVAL, "tun_device_get_stats: NULL pointer");
    MIB_IF_ROW2 row;
    int rc = tun_win_if_row(dev, &row, "tun_device_get_stats");
    if (rc < 0)
        return rc;
    /* "In" is what the adapter handed to the system: what the application
     * wrote, as rx is on every platform. */
    stats->rx_packets = row.InUcastPkts + row.InNUcastPkts;
    stats->rx_bytes = row.InOctets;
    stats->rx_errors = row.InErrors;
    stats->rx_dropped = row.InDiscards;
    stats->tx_packets = row.OutUcastPkts + row.OutNUcastPkts;
    stats->tx_bytes = row.OutOctets;
    stats->tx_errors = row.OutErrors;
    stats->tx_dropped = row.OutDiscards;
    return 0;
}

int tun_device_set_carrier(tun_device *dev, bool on)
{
    if (!dev)
        return tun_fail(TUN_EINVAL, "tun_device_set_carrier: NULL device");
    if (!(dev->flags & TUN_FLAG_L2))
        return tun_fail(TUN_ENOTSUP, "tun_device_set_carrier: wintun has no "
                        "media switch (its adapter is connected while the "
                        "handle is open)");
    int rc = tun_tap_set_media(dev, on);
    if (rc < 0)
        return tun_fail(rc, "tun_device_set_carrier: %s", tun_last_error());
    return 0;
}

int tun_device_get_carrier(tun_device *dev, bool *on)
{
    if (!dev || !on)
        return tun_fail(TUN_EINVAL, "tun_device_get_carrier: NULL pointer");
    MIB_IF_ROW2 row;
    int rc = tun_win_if_row(dev, &row, "tun_device_get_carrier");
    if (rc == 0)
        *on = row.MediaConnectState == MediaConnectStateConnected;
    return rc;
}

/* ---- routes ---------------------------------------------------------------- */

/* A forward-table row as a tun_route; false for a family it cannot hold. */
static bool tun_win_route_of(const MIB_IPFORWARD_ROW2 *row, tun_route *r)
{
    memset(r, 0, sizeof(*r));
    const SOCKADDR_INET *dest = &row->DestinationPrefix.Prefix;
    size_t bytes;
    if (dest->si_family == AF_INET) {
        r->family = TUN_INET4;
        bytes = 4;
        memcpy(r->dest, &dest->Ipv4.sin_addr, 4);
        memcpy(r->gateway, &row->NextHop.Ipv4.sin_addr, 4);
    } else if (dest->si_family == AF_INET6) {
        r->family = TUN_INET6;
        bytes = 16;
        memcpy(r->dest, &dest->Ipv6.sin6_addr, 16);
        memcpy(r->gateway, &row->NextHop.Ipv6.sin6_addr, 16);
    } else {
        return false;
    }
    if (row->DestinationPrefix.PrefixLength > bytes * 8)
        return false;
    r->prefix = row->DestinationPrefix.PrefixLength;
    tun_address net = {.family = r->family, .prefix = r->prefix};
    memcpy(net.addr, r->dest, bytes);
    tun_iface_network(&net, r->dest);
    static const uint8_t zero[16];
    r->has_gateway = memcmp(r->gateway, zero, bytes) != 0;
    r->metric = row->Metric;
    return true;
}

/* Walk the forward table's rows through the interface: all into out (up
 * to capacity) and their number in *count; with want, the first matching
 * row into *match (and *found). */
static int tun_win_walk_routes(tun_device *dev, tun_route *out,
                               size_t capacity, size_t *count,
                               const tun_route *want, MIB_IPFORWARD_ROW2 *match,
                               bool *found)
{
    MIB_IPFORWARD_TABLE2 *table;
    DWORD err = GetIpForwardTable2(AF_UNSPEC, &table);
    if (err != NO_ERROR)
        return tun_win_fail(err, "GetIpForwardTable2");
    size_t n = 0;
    if (found)
        *found = false;
    for (ULONG i = 0; i < table->NumEntries; i++) {
        const MIB_IPFORWARD_ROW2 *row = &table->Table[i];
        tun_route r;
        if (row->InterfaceLuid.Value != dev->luid.Value ||
            !tun_win_route_of(row, &r))
            continue;
        if (n < capacity)
            out[n] = r;
        n++;
        if (want && !*found && tun_route_matches(want, &r)) {
            *match = *row;
            *found = true;
        }
    }
    FreeMibTable(table);
    *count = n;
    return 0;
}

int tun_win_add_route(tun_device *dev, const tun_route *r)
{
    char text[TUN_ROUTESTRLEN];
    MIB_IPFORWARD_ROW2 row;
    tun_ip_route_row(&dev->luid, r, &row);
    AcquireSRWLockExclusive(&dev->added_lock);
    void *items = dev->routes;
    int rc = tun_array_push(&items, &dev->route_count, &dev->route_capacity,
                            sizeof(*r), r, "adding a route");
    dev->routes = items;
    if (rc == 0) {
        DWORD err = CreateIpForwardEntry2(&row);
        if (err != NO_ERROR) {
            dev->route_count--;
            rc = tun_win_fail(err, "CreateIpForwardEntry2 %s%s",
                              tun_route_text(r, text),
                              err == ERROR_OBJECT_ALREADY_EXISTS
                                  ? " (the route is there already)"
                                  : "");
        }
    }
    ReleaseSRWLockExclusive(&dev->added_lock);
    return rc;
}

/* Remove the first route through the interface that matches r. */
static int tun_win_remove_route(tun_device *dev, const tun_route *r)
{
    char text[TUN_ROUTESTRLEN];
    MIB_IPFORWARD_ROW2 match;
    bool found;
    size_t count;
    int rc = tun_win_walk_routes(dev, NULL, 0, &count, r, &match, &found);
    if (rc < 0)
        return rc;
    if (!found)
        return tun_fail(TUN_ENOENT, "%s: no such route through the interface",
                        tun_route_text(r, text));
    DWORD err = DeleteIpForwardEntry2(&match);
    if (err == ERROR_NOT_FOUND)
        return tun_fail(TUN_ENOENT, "DeleteIpForwardEntry2 %s: the route "
                        "went away meanwhile", tun_route_text(r, text));
    if (err != NO_ERROR)
        return tun_win_fail(err, "DeleteIpForwardEntry2 %s",
                            tun_route_text(r, text));
    /* No longer this handle's to take back. */
    tun_route removed;
    tun_win_route_of(&match, &removed);
    AcquireSRWLockExclusive(&dev->added_lock);
    for (size_t i = 0; i < dev->route_count; i++) {
        if (tun_route_same_path(&dev->routes[i], &removed)) {
            dev->routes[i] = dev->routes[--dev->route_count];
            break;
        }
    }
    ReleaseSRWLockExclusive(&dev->added_lock);
    return 0;
}

void tun_win_forget_routes(tun_device *dev)
{
    while (dev->route_count > 0) {
        MIB_IPFORWARD_ROW2 row;
        tun_ip_route_row(&dev->luid, &dev->routes[--dev->route_count], &row);
        DeleteIpForwardEntry2(&row);
    }
}

int tun_device_add_route(tun_device *dev, const tun_route *r)
{
    if (!dev)
        return tun_fail(TUN_EINVAL, "tun_device_add_route: NULL device");
    int rc = tun_check_route(r);
    if (rc < 0)
        return rc;
    if ((rc = tun_win_add_route(dev, r)) < 0)
        return tun_fail(rc, "tun_device_add_route: %s", tun_last_error());
    return 0;
}

int tun_device_remove_route(tun_device *dev, const tun_route *r)
{
    if (!dev)
        return tun_fail(TUN_EINVAL, "tun_device_remove_route: NULL device");
    int rc = tun_check_route(r);
    if (rc < 0)
        return rc;
    if ((rc = tun_win_remove_route(dev, r)) < 0)
        return tun_fail(rc, "tun_device_remove_route: %s", tun_last_error());
    return 0;
}

int tun_device_get_routes(tun_device *dev, tun_route *out, size_t capacity,
                          size_t *count)
{
    if (!dev || !count || (!out && capacity))
        return tun_fail(TUN_EINVAL, "tun_device_get_routes: NULL pointer");
    int rc = tun_win_walk_routes(dev, out, capacity, count, NULL, NULL, NULL);
    if (rc < 0)
        return tun_fail(rc, "tun_device_get_routes: %s", tun_last_error());
    if (*count > capacity)
        return tun_fail(TUN_ENOBUFS, "tun_device_get_routes: %zu routes, "
                        "room for %zu", *count, capacity);
    return 0;
}
