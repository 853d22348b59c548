/* The control plane's public calls on Unix, over the backend's hooks (see
 * control.h): argument checks and reasons in one place. */
#include "control.h"

int tun_device_get_stats(tun_device *dev, tun_stats *stats)
{
    if (!stats)
        return tun_fail(TUN_EINVAL, "tun_device_get_stats: NULL pointer");
    int rc = tun_unix_need_interface(dev, "tun_device_get_stats");
    if (rc == 0 && (rc = tun_backend_get_stats(dev, stats)) < 0)
        return tun_fail(rc, "tun_device_get_stats: %s", tun_last_error());
    return rc;
}

int tun_device_set_carrier(tun_device *dev, bool on)
{
    int rc = tun_unix_need_interface(dev, "tun_device_set_carrier");
    if (rc == 0 && (rc = tun_backend_set_carrier(dev, on)) < 0)
        return tun_fail(rc, "tun_device_set_carrier: %s", tun_last_error());
    return rc;
}

int tun_device_get_carrier(tun_device *dev, bool *on)
{
    if (!on)
        return tun_fail(TUN_EINVAL, "tun_device_get_carrier: NULL pointer");
    int rc = tun_unix_need_interface(dev, "tun_device_get_carrier");
    if (rc == 0 && (rc = tun_backend_get_carrier(dev, on)) < 0)
        return tun_fail(rc, "tun_device_get_carrier: %s", tun_last_error());
    return rc;
}

static int tun_unix_change_route(tun_device *dev, const tun_route *r,
                                 bool add)
{
    const char *what = add ? "tun_device_add_route" : "tun_device_remove_route";
    int rc = tun_unix_need_interface(dev, what);
    if (rc == 0)
        rc = tun_check_route(r);
    if (rc == 0 && add)
        rc = tun_check_route_metric(r);
    if (rc < 0)
        return rc;
    if ((rc = tun_backend_change_route(dev, r, add)) < 0)
        return tun_fail(rc, "%s: %s", what, tun_last_error());
    return 0;
}

int tun_device_add_route(tun_device *dev, const tun_route *r)
{
    return tun_unix_change_route(dev, r, true);
}

int tun_device_remove_route(tun_device *dev, const tun_route *r)
{
    return tun_unix_change_route(dev, r, false);
}

int tun_device_get_routes(tun_device *dev, tun_route *out, size_t capacity,
                          size_t *count)
{
    if (!count || (!out && capacity))
        return tun_fail(TUN_EINVAL, "tun_device_get_routes: NULL pointer");
    int rc = tun_unix_need_interface(dev, "tun_device_get_routes");
    if (rc == 0 && (rc = tun_backend_list_routes(dev, out, capacity,
                                                 count)) < 0)
        return tun_fail(rc, "tun_device_get_routes: %s", tun_last_error());
    return rc;
}

int tun_unix_add_config_routes(tun_device *dev, const tun_config *cfg,
                               const char *name, size_t *added)
{
    for (*added = 0; *added < cfg->route_count; ++*added) {
        const tun_route *r = &cfg->routes[*added];
        int rc = tun_backend_change_route(dev, r, true);
        if (rc < 0) {
            char text[TUN_ROUTESTRLEN];
            return tun_fail(rc, "adding route %s through %s: %s",
                            tun_route_text(r, text), name, tun_last_error());
        }
    }
    return 0;
}

void tun_unix_remove_config_routes(tun_device *dev, const tun_config *cfg,
                                   size_t added)
{
    while (added-- > 0) {
        tun_route r = cfg->routes[added];
#if defined(__linux__)
        /* The route that was added: Linux gives an IPv6 route of metric 0
         * metric 1024 (IP6_RT_PRIO_USER), and metric 0 would match another
         * route to the prefix, of a lower metric, that was there before. */
        if (r.family == TUN_INET6 && r.metric == 0)
            r.metric = 1024;
#endif
        tun_backend_change_route(dev, &r, false);
    }
}

int tun_unix_notification_error(int err, int *concerned, const char *what)
{
    if (err == EINTR)
        return 1;
    if (err == EAGAIN || err == EWOULDBLOCK)
        return 0;
    if (err == ENOBUFS) {
        *concerned = 1;
        return 1;
    }
    return tun_fail_errno(err, "%s: read", what);
}
