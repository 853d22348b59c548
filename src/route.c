/* Routes as plain data: parsing, checking, formatting and the config's
 * list, the same on every platform (each backend adds and lists them). */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static size_t tun_route_bytes(const tun_route *r)
{
    return r->family == TUN_INET4 ? 4 : 16;
}

int tun_check_route(const tun_route *r)
{
    if (!r)
        return tun_fail(TUN_EINVAL, "route: NULL pointer");
    if (r->family != TUN_INET4 && r->family != TUN_INET6)
        return tun_fail(TUN_EINVAL, "route: family %u is neither TUN_INET4 "
                        "nor TUN_INET6", r->family);
    size_t bytes = tun_route_bytes(r);
    if (r->prefix > bytes * 8)
        return tun_fail(TUN_EINVAL, "route: prefix /%u is longer than an "
                        "IPv%u address (/%zu)", r->prefix, r->family,
                        bytes * 8);
    if (r->has_gateway > 1)
        return tun_fail(TUN_EINVAL, "route: has_gateway must be 0 or 1");
    char text[46];
    for (size_t i = r->prefix; i < bytes * 8; i++) {
        if (r->dest[i / 8] & (0x80u >> (i % 8))) {
            tun_format_ip(r->family, r->dest, text);
            return tun_fail(TUN_EINVAL, "route: destination %s has bits set "
                            "past its prefix /%u (write the network)", text,
                            r->prefix);
        }
    }
    static const uint8_t zero[16];
    if (r->has_gateway && memcmp(r->gateway, zero, bytes) == 0)
        return tun_fail(TUN_EINVAL, "route: the unspecified address is no "
                        "gateway (leave has_gateway 0 for a route on the "
                        "link)");
#if !defined(__linux__)
    if (r->table)
        return tun_fail(TUN_ENOTSUP, "route: table %u: only Linux has "
                        "routing tables here (use 0)", (unsigned)r->table);
#endif
    return 0;
}

/* OpenBSD's highest route priority (RTP_MAX), which takes the metric. */
#define TUN_OPENBSD_PRIORITY_MAX 63

int tun_check_route_metric(const tun_route *r)
{
#if defined(__APPLE__) || defined(__FreeBSD__) || defined(__NetBSD__)
    if (r->metric)
        return tun_fail(TUN_ENOTSUP, "route metric %lu: this system's "
                        "routing table has no route metric (use 0)",
                        (unsigned long)r->metric);
#elif defined(__OpenBSD__)
    if (r->metric > TUN_OPENBSD_PRIORITY_MAX)
        return tun_fail(TUN_EINVAL, "route metric %lu: OpenBSD route "
                        "priorities go up to %d", (unsigned long)r->metric,
                        TUN_OPENBSD_PRIORITY_MAX);
#else
    (void)r;
#endif
    return 0;
}

/* Linux's main table is number 254 (RT_TABLE_MAIN), which 0 names too. */
static uint32_t tun_route_table(const tun_route *r)
{
    return r->table == 254 ? 0 : r->table;
}

bool tun_route_matches(const tun_route *pattern, const tun_route *r)
{
    size_t bytes = tun_route_bytes(pattern);
    return pattern->family == r->family && pattern->prefix == r->prefix &&
           tun_route_table(pattern) == tun_route_table(r) &&
           memcmp(pattern->dest, r->dest, bytes) == 0 &&
           (!pattern->metric || pattern->metric == r->metric) &&
           (!pattern->has_gateway ||
            (r->has_gateway &&
             memcmp(pattern->gateway, r->gateway, bytes) == 0));
}

bool tun_route_same_path(const tun_route *a, const tun_route *b)
{
    size_t bytes = tun_route_bytes(a);
    return a->family == b->family && a->prefix == b->prefix &&
           memcmp(a->dest, b->dest, bytes) == 0 &&
           a->has_gateway == b->has_gateway &&
           (!a->has_gateway || memcmp(a->gateway, b->gateway, bytes) == 0);
}

int tun_route_parse(tun_route *out, const char *dest, unsigned prefix,
                    const char *gateway, unsigned metric)
{
    if (!out || !dest)
        return tun_fail(TUN_EINVAL, "tun_route_parse: NULL pointer");
    tun_address d, g;
    int rc = tun_address_parse(&d, dest, prefix, NULL);
    if (rc < 0)
        return tun_fail(rc, "route destination: %s", tun_last_error());
    tun_route r;
    memset(&r, 0, sizeof(r));
    r.family = d.family;
    r.prefix = d.prefix;
    memcpy(r.dest, d.addr, sizeof(r.dest));
    r.metric = metric;
    if (gateway) {
        if ((rc = tun_address_parse(&g, gateway, 0, NULL)) < 0)
            return tun_fail(rc, "route gateway: %s", tun_last_error());
        if (g.family != d.family)
            return tun_fail(TUN_EINVAL, "route %s/%u: gateway %s is an IPv%u "
                            "address, the destination IPv%u", dest, prefix,
                            gateway, g.family, d.family);
        r.has_gateway = 1;
        memcpy(r.gateway, g.addr, sizeof(r.gateway));
    }
    if ((rc = tun_check_route(&r)) < 0)
        return rc;
    *out = r;
    return 0;
}

int tun_route_format(const tun_route *r, char *buf, size_t size)
{
    if (!buf)
        return tun_fail(TUN_EINVAL, "tun_route_format: NULL buffer");
    int rc = tun_check_route(r);
    if (rc < 0)
        return rc;
    char text[TUN_ROUTESTRLEN];
    size_t n;
    static const uint8_t zero[16];
    if (r->prefix == 0 && memcmp(r->dest, zero, 16) == 0) {
        n = (size_t)sprintf(text, "default");
    } else {
        n = tun_format_ip(r->family, r->dest, text);
        n += (size_t)sprintf(text + n, "/%u", r->prefix);
    }
    if (r->has_gateway) {
        n += (size_t)sprintf(text + n, " via ");
        n += tun_format_ip(r->family, r->gateway, text + n);
    }
    if (r->metric)
        n += (size_t)sprintf(text + n, " metric %lu", (unsigned long)r->metric);
    if (r->table)
        n += (size_t)sprintf(text + n, " table %lu", (unsigned long)r->table);
    if (n >= size)
        return tun_fail(TUN_ENOBUFS, "tun_route_format: %zu bytes needed, "
                        "%zu given", n + 1, size);
    memcpy(buf, text, n + 1);
    return (int)n;
}

const char *tun_route_text(const tun_route *r, char text[TUN_ROUTESTRLEN])
{
    if (tun_route_format(r, text, TUN_ROUTESTRLEN) < 0)
        snprintf(text, TUN_ROUTESTRLEN, "(invalid route)");
    return text;
}

int tun_array_push(void **items, size_t *count, size_t *capacity,
                   size_t size, const void *item, const char *what)
{
    if (*count == *capacity) {
        size_t grown_capacity = *capacity ? *capacity * 2 : 4;
        void *grown = realloc(*items, grown_capacity * size);
        if (!grown)
            return tun_fail(TUN_ENOMEM, "%s: out of memory", what);
        *items = grown;
        *capacity = grown_capacity;
    }
    memcpy((char *)*items + *count * size, item, size);
    ++*count;
    return 0;
}

static int tun_config_append_route(tun_config *cfg, const tun_route *r)
{
    int rc = tun_check_route(r);
    if (rc == 0)
        rc = tun_check_route_metric(r);
    if (rc < 0)
        return rc;
    for (size_t i = 0; i < cfg->route_count; i++) {
        /* Each matching the other: the same route exactly. */
        if (tun_route_matches(r, &cfg->routes[i]) &&
            tun_route_matches(&cfg->routes[i], r)) {
            char text[TUN_ROUTESTRLEN];
            return tun_fail(TUN_EEXIST, "route %s is configured twice",
                            tun_route_text(r, text));
        }
    }
    void *items = cfg->routes;
    rc = tun_array_push(&items, &cfg->route_count, &cfg->route_capacity,
                        sizeof(*r), r, "tun_config_add_route");
    cfg->routes = items;
    return rc;
}

int tun_config_add_route(tun_config *cfg, const tun_route *r)
{
    TUN_CONFIG_CHECK(cfg);
    return tun_config_keep(cfg, __func__, tun_config_append_route(cfg, r));
}

int tun_config_set_auto_route(tun_config *cfg, bool on)
{
    TUN_CONFIG_CHECK(cfg);
#if defined(_WIN32)
    if (!on)
        return tun_config_keep(cfg, __func__,
                               tun_fail(TUN_ENOTSUP,
                                        "tun_config_set_auto_route(false): "
                                        "Windows makes the on-link route of "
                                        "every address itself"));
#endif
    cfg->no_auto_route = !on;
    return 0;
}
