/* The Windows options of the config (tun.h, "Windows options"): what each
 * public setter in src/config.c does on Windows, after its NULL check; other
 * platforms refuse them there. */
#include "portable.h"

#include <string.h>

/* Copy text into a config field of TUN_NAME_MAX bytes after checking it is
 * non-empty UTF-8 of at most max_units UTF-16 units. */
static int tun_config_set_text(char field[TUN_NAME_MAX], const char *text,
                               long max_units, const char *what)
{
    if (!text)
        return tun_fail(TUN_EINVAL, "%s: NULL pointer", what);
    long units = tun_utf8_utf16_units(text);
    if (units <= 0)
        return tun_fail(TUN_EINVAL, "%s \"%s\" is empty or not UTF-8", what,
                        text);
    if (units > max_units || strlen(text) >= TUN_NAME_MAX)
        return tun_fail(TUN_ENAMETOOLONG, "%s \"%s\" is longer than %ld "
                        "UTF-16 units", what, text, max_units);
    strcpy(field, text);
    return 0;
}

int tun_win_set_wintun_dll(tun_config *cfg, const char *path)
{
    /* A full path: "C:\..." or a UNC "\\server\...". A relative one would
     * be looked up where an attacker may place a DLL. */
    bool full = path && ((((path[0] | 0x20) >= 'a' && (path[0] | 0x20) <= 'z') &&
                          path[1] == ':' && (path[2] == '\\' || path[2] == '/')) ||
                         (path[0] == '\\' && path[1] == '\\'));
    if (path && !full)
        return tun_fail(TUN_EINVAL, "wintun DLL path \"%s\" is not a full "
                        "path (C:\\...\\wintun.dll)", path);
    return tun_config_set_text(cfg->wintun_dll, path, TUN_NAME_MAX - 1,
                               "wintun DLL path");
}

int tun_win_set_wintun_tunnel_type(tun_config *cfg, const char *type)
{
    return tun_config_set_text(cfg->wintun_tunnel_type, type,
                               TUN_WIN_NAME_UNITS, "wintun tunnel type");
}

int tun_win_set_wintun_ring_capacity(tun_config *cfg, unsigned bytes)
{
    int rc = tun_win_check_ring_capacity(bytes);
    if (rc < 0)
        return rc;
    cfg->wintun_ring_capacity = bytes;
    return 0;
}

int tun_win_set_windows_guid(tun_config *cfg, const char *guid)
{
    tun_win_guid g;
    int rc = tun_win_guid_parse(guid, &g);
    if (rc < 0)
        return rc;
    memcpy(cfg->guid, &g, sizeof(cfg->guid));
    cfg->has_guid = true;
    return 0;
}

int tun_win_set_tap_component_id(tun_config *cfg, const char *id)
{
    return tun_config_set_text(cfg->tap_component_id, id, 63,
                               "TAP component id");
}

int tun_win_set_metric(tun_config *cfg, unsigned metric)
{
    int rc = tun_win_check_metric(metric);
    if (rc < 0)
        return rc;
    cfg->metric = metric;
    return 0;
}

int tun_win_add_dns_server(tun_config *cfg, const char *addr)
{
    return tun_win_dns_add(cfg->dns, &cfg->dns_count, addr);
}
