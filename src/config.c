/* The device configuration (builder) and the checks it shares with the
 * run-time setters. */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#if defined(_WIN32)
#include "win/portable.h"
#endif

int tun_check_name(const char *name)
{
    if (!name)
        return tun_fail(TUN_EINVAL, "interface name: NULL pointer");
    size_t len = strlen(name);
    if (len == 0)
        return tun_fail(TUN_EINVAL, "interface name is empty");
#if defined(_WIN32)
    /* An adapter alias is UTF-16 on the system side. */
    long units = tun_utf8_utf16_units(name);
    if (units < 0)
        return tun_fail(TUN_EINVAL, "interface name \"%s\" is not valid "
                        "UTF-8", name);
    if (units > TUN_PLATFORM_NAME_LEN)
        return tun_fail(TUN_ENAMETOOLONG, "interface name \"%s\" has %ld "
                        "UTF-16 units; at most %d are allowed", name, units,
                        TUN_PLATFORM_NAME_LEN);
    const unsigned char lowest_allowed = ' '; /* Windows names take spaces */
#else
    if (len > TUN_PLATFORM_NAME_LEN)
        return tun_fail(TUN_ENAMETOOLONG, "interface name \"%s\" has %zu "
                        "bytes; at most %d are allowed", name, len,
                        TUN_PLATFORM_NAME_LEN);
    const unsigned char lowest_allowed = ' ' + 1;
#endif
    if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
        return tun_fail(TUN_EINVAL, "interface name \"%s\" is not allowed",
                        name);
    int percents = 0;
    for (const char *p = name; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (c == '/' || c == ':' || c < lowest_allowed || c == 0x7f)
            return tun_fail(TUN_EINVAL, "interface name \"%s\" contains '/', "
                            "':', whitespace or a control character", name);
        if (c == '%') {
            /* A pattern has one "%d", which the kernel fills in. */
            if (p[1] != 'd' || ++percents > 1)
                return tun_fail(TUN_EINVAL, "interface name \"%s\": only "
                                "one \"%%d\" is allowed as a pattern", name);
        }
    }
    return 0;
}

int tun_check_new_name(const char *name)
{
    int rc = tun_check_name(name);
    if (rc < 0)
        return rc;
    if (strchr(name, '%'))
        return tun_fail(TUN_EINVAL, "tun_device_set_name: \"%s\" is a "
                        "pattern; a rename needs a name", name);
    return 0;
}

int tun_give_name(const char *name, char *buf, size_t size)
{
    size_t len = strlen(name);
    if (len >= size)
        return tun_fail(TUN_ENOBUFS, "tun_device_get_name: %zu bytes needed, "
                        "%zu given", len + 1, size);
    memcpy(buf, name, len + 1);
    return 0;
}

int tun_check_mtu(unsigned mtu)
{
    if (mtu < TUN_MTU_MIN || mtu > TUN_MTU_MAX)
        return tun_fail(TUN_ERANGE, "MTU %u is outside %d..%d", mtu,
                        TUN_MTU_MIN, TUN_MTU_MAX);
    return 0;
}

int tun_check_mac(const uint8_t mac[6])
{
    if (!mac)
        return tun_fail(TUN_EINVAL, "MAC address: NULL pointer");
    if (mac[0] & 1)
        return tun_fail(TUN_EINVAL, "MAC address %02x:%02x:%02x:%02x:%02x:%02x "
                        "is multicast (lowest bit of the first byte set)",
                        mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
    static const uint8_t zero[6];
    if (memcmp(mac, zero, 6) == 0)
        return tun_fail(TUN_EINVAL, "MAC address 00:00:00:00:00:00 is not "
                        "allowed");
    return 0;
}

int tun_config_new(tun_config **out)
{
    if (!out)
        return tun_fail(TUN_EINVAL, "tun_config_new: NULL pointer");
    tun_config *cfg = calloc(1, sizeof(*cfg));
    if (!cfg)
        return tun_fail(TUN_ENOMEM, "tun_config_new: out of memory");
    cfg->layer = TUN_LAYER_L3;
    cfg->up = TUN_LINK_UP;
    cfg->owner = -1;
    cfg->group = -1;
    *out = cfg;
    return 0;
}

void tun_config_free(tun_config *cfg)
{
    if (!cfg)
        return;
    free(cfg->addresses);
    free(cfg->routes);
    free(cfg);
}

/* Options Windows never has: refused by the setter there, as the header
 * says. */
static int tun_config_not_windows(const char *what)
{
#if defined(_WIN32)
    return tun_fail(TUN_ENOTSUP, "%s is not supported on Windows", what);
#else
    (void)what;
    return 0;
#endif
}

int tun_config_keep(tun_config *cfg, const char *setter, int rc)
{
    if (rc < 0 && cfg->error == 0) {
        const char *reason = tun_last_error();
        bool named = strncmp(reason, setter, strlen(setter)) == 0;
        cfg->error = rc;
        snprintf(cfg->error_reason, sizeof(cfg->error_reason), "%s%s%s",
                 named ? "" : setter, named ? "" : ": ", reason);
    }
    return rc;
}

int tun_config_clear_error(tun_config *cfg)
{
    TUN_CONFIG_CHECK(cfg);
    cfg->error = 0;
    cfg->error_reason[0] = '\0';
    return 0;
}

int tun_config_set_name(tun_config *cfg, const char *name)
{
    TUN_CONFIG_CHECK(cfg);
    int rc = tun_check_name(name);
    if (rc == 0)
        strcpy(cfg->name, name);
    return tun_config_keep(cfg, __func__, rc);
}

int tun_config_set_layer(tun_config *cfg, tun_layer layer)
{
    TUN_CONFIG_CHECK(cfg);
    int rc = 0;
    if (layer != TUN_LAYER_L3 && layer != TUN_LAYER_L2)
        rc = tun_fail(TUN_EINVAL, "layer %d is neither TUN_LAYER_L3 nor "
                      "TUN_LAYER_L2", (int)layer);
    else
        cfg->layer = layer;
    return tun_config_keep(cfg, __func__, rc);
}

/* tun_config_add_address() without keeping its failure, for the setters
 * that keep it under their own name. */
static int tun_config_append_address(tun_config *cfg, const tun_address *a)
{
    int rc = tun_check_address(a);
    if (rc < 0)
        return rc;
    for (size_t i = 0; i < cfg->address_count; i++) {
        if (tun_address_same(&cfg->addresses[i], a)) {
            char text[TUN_ADDRSTRLEN];
            tun_address_format(a, text, sizeof(text));
            return tun_fail(TUN_EEXIST, "address %s is configured twice", text);
        }
    }
    if (cfg->address_count == cfg->address_capacity) {
        size_t capacity = cfg->address_capacity ? cfg->address_capacity * 2 : 4;
        tun_address *grown =
            realloc(cfg->addresses, capacity * sizeof(*cfg->addresses));
        if (!grown)
            return tun_fail(TUN_ENOMEM, "tun_config_add_address: out of "
                            "memory");
        cfg->addresses = grown;
        cfg->address_capacity = capacity;
    }
    cfg->addresses[cfg->address_count++] = *a;
    return 0;
}

int tun_config_add_address(tun_config *cfg, const tun_address *a)
{
    TUN_CONFIG_CHECK(cfg);
    return tun_config_keep(cfg, __func__, tun_config_append_address(cfg, a));
}

int tun_config_add_ipv4(tun_config *cfg, const char *addr, unsigned prefix,
                        const char *peer)
{
    TUN_CONFIG_CHECK(cfg);
    tun_address a;
    int rc = tun_address_parse_family(&a, TUN_INET4, addr, prefix, peer);
    if (rc == 0)
        rc = tun_config_append_address(cfg, &a);
    return tun_config_keep(cfg, __func__, rc);
}

int tun_config_add_ipv6(tun_config *cfg, const char *addr, unsigned prefix)
{
    TUN_CONFIG_CHECK(cfg);
    tun_address a;
    int rc = tun_address_parse_family(&a, TUN_INET6, addr, prefix, NULL);
    if (rc == 0)
        rc = tun_config_append_address(cfg, &a);
    return tun_config_keep(cfg, __func__, rc);
}

int tun_config_set_mtu(tun_config *cfg, unsigned mtu)
{
    TUN_CONFIG_CHECK(cfg);
    int rc = tun_check_mtu(mtu);
    if (rc == 0)
        cfg->mtu = mtu;
    return tun_config_keep(cfg, __func__, rc);
}

int tun_config_set_mac(tun_config *cfg, const uint8_t mac[6])
{
    TUN_CONFIG_CHECK(cfg);
    int rc = tun_config_not_windows("setting the MAC address (tap-windows6 "
                                    "reads it from the registry when the "
                                    "adapter starts)");
    if (rc == 0)
        rc = tun_check_mac(mac);
    if (rc == 0) {
        memcpy(cfg->mac, mac, 6);
        cfg->has_mac = true;
    }
    return tun_config_keep(cfg, __func__, rc);
}

/* Options of Linux's TUN driver alone: refused by the setter elsewhere,
 * as the header promises. */
static int tun_config_linux_only(const char *what)
{
#if defined(__linux__)
    (void)what;
    return 0;
#else
    return tun_fail(TUN_ENOTSUP, "%s is supported on Linux only", what);
#endif
}

int tun_config_set_txqueuelen(tun_config *cfg, unsigned len)
{
    TUN_CONFIG_CHECK(cfg);
    int rc = len != 0 ? tun_config_linux_only("txqueuelen") : 0;
    if (rc == 0)
        cfg->txqueuelen = len;
    return tun_config_keep(cfg, __func__, rc);
}

static int tun_config_set_id(tun_config *cfg, long *field, long id,
                             const char *setter)
{
    TUN_CONFIG_CHECK(cfg);
    int rc = 0;
    if (id < -1 || (id >= 0 && (unsigned long)id >= 0xffffffffUL))
        rc = tun_fail(TUN_EINVAL, "%s: id %ld is out of range", setter, id);
    else if (id != -1)
        rc = tun_config_linux_only("a device owner or group");
    if (rc == 0)
        *field = id;
    return tun_config_keep(cfg, setter, rc);
}

int tun_config_set_owner(tun_config *cfg, long uid)
{
    return tun_config_set_id(cfg, cfg ? &cfg->owner : NULL, uid, __func__);
}

int tun_config_set_group(tun_config *cfg, long gid)
{
    return tun_config_set_id(cfg, cfg ? &cfg->group : NULL, gid, __func__);
}

/* A boolean switch: refusal is a negative code (its reason recorded) where
 * the platform lacks what on asks for, else 0; field is NULL when cfg is. */
static int tun_config_switch(tun_config *cfg, bool *field, bool on,
                             int refusal, const char *setter)
{
    if (!cfg)
        return tun_fail(TUN_EINVAL, "%s: NULL config", setter);
    if (refusal == 0)
        *field = on;
    return tun_config_keep(cfg, setter, refusal);
}

int tun_config_set_up(tun_config *cfg, tun_link_state state)
{
    TUN_CONFIG_CHECK(cfg);
    int rc = 0;
    if (state != TUN_LINK_DOWN && state != TUN_LINK_UP &&
        state != TUN_LINK_INHERIT)
        rc = tun_fail(TUN_EINVAL, "link state %d is none of TUN_LINK_DOWN, "
                      "TUN_LINK_UP and TUN_LINK_INHERIT", (int)state);
    else
        cfg->up = state;
    return tun_config_keep(cfg, __func__, rc);
}

const char *tun_link_state_name(tun_link_state state)
{
    return state == TUN_LINK_INHERIT ? "inherited"
           : state == TUN_LINK_UP    ? "up"
                                     : "down";
}

int tun_config_set_nonblocking(tun_config *cfg, bool on)
{
    return tun_config_switch(cfg, cfg ? &cfg->nonblocking : NULL, on, 0,
                             __func__);
}

int tun_config_set_exclusive(tun_config *cfg, bool on)
{
    return tun_config_switch(cfg, cfg ? &cfg->exclusive : NULL, on, 0,
                             __func__);
}

int tun_config_set_packet_info(tun_config *cfg, bool on)
{
    int refusal = on ? tun_config_not_windows("packet information (Windows "
                                              "packets carry no header)")
                     : 0;
    return tun_config_switch(cfg, cfg ? &cfg->packet_info : NULL, on, refusal,
                             __func__);
}

int tun_config_set_multi_queue(tun_config *cfg, bool on)
{
    int refusal = on ? tun_config_linux_only("multi-queue") : 0;
    return tun_config_switch(cfg, cfg ? &cfg->multi_queue : NULL, on, refusal,
                             __func__);
}

int tun_config_set_offload(tun_config *cfg, bool on)
{
    int refusal = on ? tun_config_linux_only("offload (virtio-net header)")
                     : 0;
    return tun_config_switch(cfg, cfg ? &cfg->offload : NULL, on, refusal,
                             __func__);
}

/* Whether persist can be asked for here at all. */
static int tun_config_persist_possible(void)
{
#if defined(__APPLE__)
    /* utun lives as long as its socket; libtun destroys the feth pair it
     * made with its handle. */
    return tun_fail(TUN_ENOTSUP, "persist: a utun interface ends with its "
                    "descriptor on macOS and iOS, and libtun removes the "
                    "feth pair it made");
#else
    return 0;
#endif
}

int tun_config_set_persist(tun_config *cfg, bool on)
{
    int refusal = on ? tun_config_persist_possible() : 0;
    return tun_config_switch(cfg, cfg ? &cfg->persist : NULL, on, refusal,
                             __func__);
}

int tun_config_validate(const tun_config *cfg)
{
    TUN_CONFIG_CHECK(cfg);
    if (cfg->error)
        return tun_fail(cfg->error, "a setter of this config failed "
                        "earlier, so it does not hold what was asked: %s",
                        cfg->error_reason);
    if (cfg->has_mac && cfg->layer == TUN_LAYER_L3)
        return tun_fail(TUN_EINVAL, "a MAC address is set but the layer is "
                        "L3 (TUN has no Ethernet header): use TUN_LAYER_L2");
#if defined(_WIN32)
    if (cfg->persist && cfg->layer == TUN_LAYER_L3)
        return tun_fail(TUN_ENOTSUP, "persist: wintun removes an adapter it "
                        "created when the handle closes (tap-windows6 "
                        "adapters, L2, always persist)");
    if (cfg->up == TUN_LINK_DOWN && cfg->layer == TUN_LAYER_L3)
        return tun_fail(TUN_ENOTSUP, "TUN_LINK_DOWN: a wintun adapter is up "
                        "while its handle is open");
    if (cfg->exclusive && cfg->layer == TUN_LAYER_L2)
        return tun_fail(TUN_ENOTSUP, "exclusive: libtun opens an existing "
                        "tap-windows6 adapter (its installer makes them), so "
                        "it cannot create one that did not exist");
#endif
    if (cfg->mtu && cfg->mtu < TUN_MTU_MIN_IPV6) {
        for (size_t i = 0; i < cfg->address_count; i++)
            if (cfg->addresses[i].family == TUN_INET6)
                return tun_fail(TUN_ERANGE, "MTU %u is below %d, the IPv6 "
                                "minimum, and an IPv6 address is configured",
                                cfg->mtu, TUN_MTU_MIN_IPV6);
    }
    return 0;
}

int tun_open(const tun_config *cfg, tun_device **out)
{
    int rc = (!cfg || !out) ? tun_fail(TUN_EINVAL, "tun_open: NULL pointer")
                            : tun_config_validate(cfg);
    if (rc == 0)
        rc = tun_backend_open(cfg, out);
    if (rc < 0)
        tun_log(TUN_LOG_ERROR, "tun_open: %s: %s", tun_err_name(rc),
                tun_last_error());
    return rc;
}

/* The Windows options: on Windows src/win/config.c does each (impl) and a
 * failure is kept as any setter's; elsewhere they answer TUN_ENOTSUP, which
 * is not kept (portable code may ignore it, as tun.h says). */
#if defined(_WIN32)
#define TUN_WINDOWS_OPTION(setter, impl, type)                                 \
    int setter(tun_config *cfg, type value)                                    \
    {                                                                          \
        TUN_CONFIG_CHECK(cfg);                                                 \
        return tun_config_keep(cfg, #setter, impl(cfg, value));                \
    }
#else
#define TUN_WINDOWS_OPTION(setter, impl, type)                                 \
    int setter(tun_config *cfg, type value)                                    \
    {                                                                          \
        TUN_CONFIG_CHECK(cfg);                                                 \
        (void)value;                                                           \
        return tun_fail(TUN_ENOTSUP, "%s: a Windows option, not supported "    \
                        "on this platform", __func__);                         \
    }
#endif
TUN_WINDOWS_OPTION(tun_config_set_wintun_dll, tun_win_set_wintun_dll,
                   const char *)
TUN_WINDOWS_OPTION(tun_config_set_wintun_tunnel_type,
                   tun_win_set_wintun_tunnel_type, const char *)
TUN_WINDOWS_OPTION(tun_config_set_wintun_ring_capacity,
                   tun_win_set_wintun_ring_capacity, unsigned)
TUN_WINDOWS_OPTION(tun_config_set_windows_guid, tun_win_set_windows_guid,
                   const char *)
TUN_WINDOWS_OPTION(tun_config_set_tap_component_id,
                   tun_win_set_tap_component_id, const char *)
TUN_WINDOWS_OPTION(tun_config_set_metric, tun_win_set_metric, unsigned)
TUN_WINDOWS_OPTION(tun_config_add_dns_server, tun_win_add_dns_server,
                   const char *)
