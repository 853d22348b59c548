/* The device configuration (builder) and the checks it shares with the
 * run-time setters. */
#include "internal.h"

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
    cfg->up = true;
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

int tun_config_set_name(tun_config *cfg, const char *name)
{
    TUN_CONFIG_CHECK(cfg);
    int rc = tun_check_name(name);
    if (rc < 0)
        return rc;
    strcpy(cfg->name, name);
    return 0;
}

int tun_config_set_layer(tun_config *cfg, tun_layer layer)
{
    TUN_CONFIG_CHECK(cfg);
    if (layer != TUN_LAYER_L3 && layer != TUN_LAYER_L2)
        return tun_fail(TUN_EINVAL, "layer %d is neither TUN_LAYER_L3 nor "
                        "TUN_LAYER_L2", (int)layer);
    cfg->layer = layer;
    return 0;
}

int tun_config_add_address(tun_config *cfg, const tun_address *a)
{
    TUN_CONFIG_CHECK(cfg);
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

int tun_config_add_ipv4(tun_config *cfg, const char *addr, unsigned prefix,
                        const char *peer)
{
    TUN_CONFIG_CHECK(cfg);
    tun_address a;
    int rc = tun_address_parse_family(&a, TUN_INET4, addr, prefix, peer);
    return rc < 0 ? rc : tun_config_add_address(cfg, &a);
}

int tun_config_add_ipv6(tun_config *cfg, const char *addr, unsigned prefix)
{
    TUN_CONFIG_CHECK(cfg);
    tun_address a;
    int rc = tun_address_parse_family(&a, TUN_INET6, addr, prefix, NULL);
    return rc < 0 ? rc : tun_config_add_address(cfg, &a);
}

int tun_config_set_mtu(tun_config *cfg, unsigned mtu)
{
    TUN_CONFIG_CHECK(cfg);
    int rc = tun_check_mtu(mtu);
    if (rc < 0)
        return rc;
    cfg->mtu = mtu;
    return 0;
}

int tun_config_set_mac(tun_config *cfg, const uint8_t mac[6])
{
    TUN_CONFIG_CHECK(cfg);
    if (tun_config_not_windows("setting the MAC address (tap-windows6 reads "
                               "it from the registry when the adapter "
                               "starts)") < 0)
        return TUN_ENOTSUP;
    int rc = tun_check_mac(mac);
    if (rc < 0)
        return rc;
    memcpy(cfg->mac, mac, 6);
    cfg->has_mac = true;
    return 0;
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
    if (len != 0 && tun_config_linux_only("txqueuelen") < 0)
        return TUN_ENOTSUP;
    cfg->txqueuelen = len;
    return 0;
}

static int tun_config_set_id(tun_config *cfg, long *field, long id,
                             const char *what)
{
    TUN_CONFIG_CHECK(cfg);
    if (id < -1 || (id >= 0 && (unsigned long)id >= 0xffffffffUL))
        return tun_fail(TUN_EINVAL, "%s id %ld is out of range", what, id);
    if (id != -1 && tun_config_linux_only("a device owner or group") < 0)
        return TUN_ENOTSUP;
    *field = id;
    return 0;
}

int tun_config_set_owner(tun_config *cfg, long uid)
{
    return tun_config_set_id(cfg, cfg ? &cfg->owner : NULL, uid, "owner");
}

int tun_config_set_group(tun_config *cfg, long gid)
{
    return tun_config_set_id(cfg, cfg ? &cfg->group : NULL, gid, "group");
}

/* The boolean switches differ only in the field they set. */
#define TUN_CONFIG_BOOL(setter, field)                                         \
    int setter(tun_config *cfg, bool on)                                       \
    {                                                                          \
        TUN_CONFIG_CHECK(cfg);                                                 \
        cfg->field = on;                                                       \
        return 0;                                                              \
    }
TUN_CONFIG_BOOL(tun_config_set_up, up)
TUN_CONFIG_BOOL(tun_config_set_nonblocking, nonblocking)

int tun_config_set_packet_info(tun_config *cfg, bool on)
{
    TUN_CONFIG_CHECK(cfg);
    if (on && tun_config_not_windows("packet information (Windows packets "
                                     "carry no header)") < 0)
        return TUN_ENOTSUP;
    cfg->packet_info = on;
    return 0;
}

int tun_config_set_multi_queue(tun_config *cfg, bool on)
{
    TUN_CONFIG_CHECK(cfg);
    if (on && tun_config_linux_only("multi-queue") < 0)
        return TUN_ENOTSUP;
    cfg->multi_queue = on;
    return 0;
}

int tun_config_set_offload(tun_config *cfg, bool on)
{
    TUN_CONFIG_CHECK(cfg);
    if (on && tun_config_linux_only("offload (virtio-net header)") < 0)
        return TUN_ENOTSUP;
    cfg->offload = on;
    return 0;
}

int tun_config_set_persist(tun_config *cfg, bool on)
{
    TUN_CONFIG_CHECK(cfg);
#if defined(__APPLE__)
    /* utun lives as long as its socket. */
    if (on)
        return tun_fail(TUN_ENOTSUP, "persist: a utun interface ends with "
                        "its descriptor on macOS and iOS");
#endif
    cfg->persist = on;
    return 0;
}

int tun_config_validate(const tun_config *cfg)
{
    TUN_CONFIG_CHECK(cfg);
    if (cfg->has_mac && cfg->layer == TUN_LAYER_L3)
        return tun_fail(TUN_EINVAL, "a MAC address is set but the layer is "
                        "L3 (TUN has no Ethernet header): use TUN_LAYER_L2");
#if defined(_WIN32)
    if (cfg->persist && cfg->layer == TUN_LAYER_L3)
        return tun_fail(TUN_ENOTSUP, "persist: wintun removes an adapter it "
                        "created when the handle closes (tap-windows6 "
                        "adapters, L2, always persist)");
    if (!cfg->up && cfg->layer == TUN_LAYER_L3)
        return tun_fail(TUN_ENOTSUP, "up=false: a wintun adapter is up while "
                        "its handle is open");
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

int tun_open_check(const tun_config *cfg, tun_device **out)
{
    if (!cfg || !out)
        return tun_fail(TUN_EINVAL, "tun_open: NULL pointer");
    return tun_config_validate(cfg);
}

#if !defined(_WIN32)
/* The Windows options (src/win/config.c) exist nowhere else. */
#define TUN_WINDOWS_ONLY(setter, type)                                         \
    int setter(tun_config *cfg, type value)                                    \
    {                                                                          \
        TUN_CONFIG_CHECK(cfg);                                                 \
        (void)value;                                                           \
        return tun_fail(TUN_ENOTSUP, "%s: a Windows option, not supported "    \
                        "on this platform", __func__);                         \
    }
TUN_WINDOWS_ONLY(tun_config_set_wintun_dll, const char *)
TUN_WINDOWS_ONLY(tun_config_set_wintun_tunnel_type, const char *)
TUN_WINDOWS_ONLY(tun_config_set_wintun_ring_capacity, unsigned)
TUN_WINDOWS_ONLY(tun_config_set_windows_guid, const char *)
TUN_WINDOWS_ONLY(tun_config_set_tap_component_id, const char *)
TUN_WINDOWS_ONLY(tun_config_set_metric, unsigned)
TUN_WINDOWS_ONLY(tun_config_add_dns_server, const char *)
#endif
