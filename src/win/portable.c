/* The Windows backend's logic that needs no Windows header (see
 * portable.h); unit-tested on every platform. */
#include "portable.h"

#include <stdio.h>
#include <string.h>

static const struct tun_win_error_info {
    uint32_t win32;
    int code;
    const char *hint;
} tun_win_errors[] = {
    {TUN_WIN_ERROR_ACCESS_DENIED, TUN_EPERM, " (run as Administrator)"},
    {TUN_WIN_ERROR_ELEVATION_REQUIRED, TUN_EPERM, " (run as Administrator)"},
    {TUN_WIN_ERROR_FILE_NOT_FOUND, TUN_ENOENT, ""},
    {TUN_WIN_ERROR_PATH_NOT_FOUND, TUN_ENOENT, ""},
    {TUN_WIN_ERROR_MOD_NOT_FOUND, TUN_ENOENT, ""},
    {TUN_WIN_ERROR_NOT_FOUND, TUN_ENOENT, ""},
    {TUN_WIN_ERROR_PROC_NOT_FOUND, TUN_ENOENT,
     " (the DLL is older than the API libtun uses: install a newer one)"},
    {TUN_WIN_ERROR_BAD_EXE_FORMAT, TUN_ENOENT,
     " (the DLL is built for another processor architecture)"},
    {TUN_WIN_ERROR_DEV_NOT_EXIST, TUN_ENODEV, ""},
    {TUN_WIN_ERROR_HANDLE_EOF, TUN_ENODEV, " (the adapter is going away)"},
    {TUN_WIN_ERROR_DEVICE_NOT_CONNECTED, TUN_ENODEV, ""},
    {TUN_WIN_ERROR_OBJECT_ALREADY_EXISTS, TUN_EEXIST, ""},
    {TUN_WIN_ERROR_ALREADY_EXISTS, TUN_EEXIST, ""},
    {TUN_WIN_ERROR_FILE_EXISTS, TUN_EEXIST, ""},
    {TUN_WIN_ERROR_INVALID_PARAMETER, TUN_EINVAL, ""},
    {TUN_WIN_ERROR_INVALID_NAME, TUN_EINVAL, ""},
    {TUN_WIN_ERROR_NOT_SUPPORTED, TUN_ENOTSUP, ""},
    {TUN_WIN_ERROR_NOT_ENOUGH_MEMORY, TUN_ENOMEM, ""},
    {TUN_WIN_ERROR_OUTOFMEMORY, TUN_ENOMEM, ""},
    {TUN_WIN_ERROR_SHARING_VIOLATION, TUN_EBUSY,
     " (another program has the adapter open)"},
    {TUN_WIN_ERROR_BUSY, TUN_EBUSY, " (another program has the adapter open)"},
    {TUN_WIN_ERROR_NO_MORE_ITEMS, TUN_EAGAIN, ""},
    {TUN_WIN_ERROR_BUFFER_OVERFLOW, TUN_EAGAIN, ""},
    {TUN_WIN_ERROR_IO_PENDING, TUN_EAGAIN, ""},
    {TUN_WIN_ERROR_NOT_READY, TUN_EIO,
     " (is the interface down? bring it up with tun_device_set_up())"},
    {TUN_WIN_ERROR_INVALID_DATA, TUN_EIO, ""},
    {TUN_WIN_ERROR_GEN_FAILURE, TUN_EIO, ""},
    {TUN_WIN_ERROR_INVALID_HANDLE, TUN_EBADF, ""},
    {TUN_WIN_ERROR_OPERATION_ABORTED, TUN_ECANCELED, ""},
    {TUN_WIN_ERROR_CANCELLED, TUN_ECANCELED, ""},
    {TUN_WIN_ERROR_TIMEOUT, TUN_ETIMEDOUT, ""},
    {TUN_WIN_ERROR_MORE_DATA, TUN_EMSGSIZE, ""},
    {TUN_WIN_ERROR_INSUFFICIENT_BUFFER, TUN_ENOBUFS, ""},
    {TUN_WIN_ERROR_NETWORK_UNREACHABLE, TUN_ENETUNREACH, ""},
};

static const struct tun_win_error_info *tun_win_error_find(uint32_t err)
{
    for (size_t i = 0; i < sizeof(tun_win_errors) / sizeof(tun_win_errors[0]);
         i++)
        if (tun_win_errors[i].win32 == err)
            return &tun_win_errors[i];
    return NULL;
}

int tun_win_error_code(uint32_t win32_error)
{
    const struct tun_win_error_info *e = tun_win_error_find(win32_error);
    return e ? e->code : TUN_EIO;
}

const char *tun_win_error_hint(uint32_t win32_error)
{
    const struct tun_win_error_info *e = tun_win_error_find(win32_error);
    return e ? e->hint : "";
}

/* digits hex digits from *s into *value, advancing *s. */
static int tun_hex_field(const char **s, int digits, uint32_t *value)
{
    *value = 0;
    for (int i = 0; i < digits; i++) {
        int h = tun_hex_value((*s)[i]);
        if (h < 0)
            return -1;
        *value = *value << 4 | (uint32_t)h;
    }
    *s += digits;
    return 0;
}

int tun_win_guid_parse(const char *text, tun_win_guid *out)
{
    if (!text || !out)
        return tun_fail(TUN_EINVAL, "GUID: NULL pointer");
    const char *s = text;
    bool braced = *s == '{';
    if (braced)
        s++;
    /* 8-4-4-4-12 hex digits; the fourth group starts data4. */
    static const int groups[5] = {8, 4, 4, 4, 12};
    tun_win_guid g;
    memset(&g, 0, sizeof(g));
    size_t data4_used = 0;
    for (int i = 0; i < 5; i++) {
        if (i > 0 && *s++ != '-')
            goto bad;
        if (i < 3) {
            uint32_t v;
            if (tun_hex_field(&s, groups[i], &v) != 0)
                goto bad;
            if (i == 0)
                g.data1 = v;
            else if (i == 1)
                g.data2 = (uint16_t)v;
            else
                g.data3 = (uint16_t)v;
            continue;
        }
        for (int j = 0; j < groups[i] / 2; j++) {
            uint32_t v;
            if (tun_hex_field(&s, 2, &v) != 0)
                goto bad;
            g.data4[data4_used++] = (uint8_t)v;
        }
    }
    if (braced && *s++ != '}')
        goto bad;
    if (*s != '\0')
        goto bad;
    *out = g;
    return 0;
bad:
    return tun_fail(TUN_EINVAL, "\"%s\" is not a GUID of the form "
                    "{XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX}", text);
}

void tun_win_guid_format(const tun_win_guid *g, char out[TUN_WIN_GUID_TEXT])
{
    snprintf(out, TUN_WIN_GUID_TEXT,
             "{%08X-%04X-%04X-%02X%02X-%02X%02X%02X%02X%02X%02X}",
             (unsigned)g->data1, (unsigned)g->data2, (unsigned)g->data3,
             g->data4[0], g->data4[1], g->data4[2], g->data4[3], g->data4[4],
             g->data4[5], g->data4[6], g->data4[7]);
}

long tun_utf8_utf16_units(const char *text)
{
    long units = 0;
    const unsigned char *p = (const unsigned char *)text;
    while (*p) {
        unsigned c = *p;
        int follow;
        uint32_t cp;
        if (c < 0x80) {
            follow = 0;
            cp = c;
        } else if (c >= 0xc2 && c <= 0xdf) {
            follow = 1;
            cp = c & 0x1f;
        } else if (c >= 0xe0 && c <= 0xef) {
            follow = 2;
            cp = c & 0x0f;
        } else if (c >= 0xf0 && c <= 0xf4) {
            follow = 3;
            cp = c & 0x07;
        } else {
            return -1;
        }
        p++;
        for (int i = 0; i < follow; i++, p++) {
            if ((*p & 0xc0) != 0x80)
                return -1;
            cp = cp << 6 | (*p & 0x3fu);
        }
        /* Overlong forms, UTF-16 surrogates and values past U+10FFFF. */
        static const uint32_t least[4] = {0, 0x80, 0x800, 0x10000};
        if (cp < least[follow] || (cp >= 0xd800 && cp <= 0xdfff) ||
            cp > 0x10ffff)
            return -1;
        units += cp >= 0x10000 ? 2 : 1;
    }
    return units;
}

int tun_win_name_expand(const char *pattern, unsigned n, char *out,
                        size_t size)
{
    const char *mark = strstr(pattern, "%d");
    int len = mark ? snprintf(out, size, "%.*s%u%s", (int)(mark - pattern),
                              pattern, n, mark + 2)
                   : snprintf(out, size, "%s", pattern);
    if (len < 0 || (size_t)len >= size ||
        tun_utf8_utf16_units(out) > TUN_WIN_NAME_UNITS)
        return tun_fail(TUN_ENAMETOOLONG, "adapter name from \"%s\" with "
                        "number %u is too long", pattern, n);
    return 0;
}

int tun_win_check_ring_capacity(unsigned bytes)
{
    if (bytes < TUN_WINTUN_RING_MIN || bytes > TUN_WINTUN_RING_MAX ||
        (bytes & (bytes - 1)) != 0)
        return tun_fail(TUN_EINVAL, "wintun ring capacity %u: must be a power "
                        "of two from %u (128 KiB) to %u (64 MiB)", bytes,
                        TUN_WINTUN_RING_MIN, TUN_WINTUN_RING_MAX);
    return 0;
}

int tun_win_check_metric(unsigned metric)
{
    if (metric > 9999)
        return tun_fail(TUN_ERANGE, "interface metric %u is over 9999",
                        metric);
    return 0;
}

int tun_win_dns_add(tun_address *list, size_t *count, const char *addr)
{
    tun_address a;
    int rc = tun_address_parse(&a, addr, 0, NULL);
    if (rc < 0)
        return rc;
    for (size_t i = 0; i < *count; i++)
        if (tun_address_same(&list[i], &a))
            return tun_fail(TUN_EEXIST, "DNS server %s is given twice", addr);
    if (*count == TUN_DNS_MAX)
        return tun_fail(TUN_ENOSPC, "DNS server %s: at most %d servers", addr,
                        TUN_DNS_MAX);
    list[(*count)++] = a;
    return 0;
}

int tun_win_dns_list(const tun_address *servers, size_t count, uint8_t family,
                     char *out, size_t size)
{
    size_t used = 0;
    if (size)
        out[0] = '\0';
    for (size_t i = 0; i < count; i++) {
        if (servers[i].family != family)
            continue;
        char text[TUN_ADDRSTRLEN];
        tun_address plain = servers[i];
        plain.has_peer = 0;
        int n = tun_address_format(&plain, text, sizeof(text));
        if (n < 0)
            return n;
        *strchr(text, '/') = '\0'; /* the address alone */
        size_t len = strlen(text) + (used ? 1 : 0);
        if (used + len >= size)
            return tun_fail(TUN_ENOBUFS, "DNS server list: more than %zu "
                            "bytes", size);
        snprintf(out + used, size - used, "%s%s", used ? "," : "", text);
        used += len;
    }
    return (int)used;
}

const uint8_t tun_win_families[2] = {TUN_INET4, TUN_INET6};

/* The family's index in tun_win_dns_saved's arrays. */
static int tun_win_dns_slot(uint8_t family)
{
    return family == tun_win_families[1];
}

bool tun_win_dns_to_save(const tun_win_dns_saved *saved, uint8_t family)
{
    return !saved->kept[tun_win_dns_slot(family)];
}

int tun_win_dns_save(tun_win_dns_saved *saved, uint8_t family,
                     const char *servers)
{
    int slot = tun_win_dns_slot(family);
    size_t len = strlen(servers);
    if (len >= sizeof(saved->servers[slot]))
        return tun_fail(TUN_ENOBUFS, "the adapter's IPv%d DNS servers (%zu "
                        "bytes) are more than libtun can keep to put back "
                        "(%zu)", family, len, sizeof(saved->servers[slot]) - 1);
    memcpy(saved->servers[slot], servers, len + 1);
    saved->kept[slot] = true;
    return 0;
}

const char *tun_win_dns_to_restore(const tun_win_dns_saved *saved,
                                   uint8_t family, bool created)
{
    int slot = tun_win_dns_slot(family);
    if (!saved->kept[slot])
        return NULL;
    return created ? "" : saved->servers[slot];
}

tun_win_bind_state tun_win_bind_state_of(unsigned on_adapter,
                                         unsigned in_system,
                                         uint64_t waited_ms,
                                         uint64_t first_ms)
{
    if ((on_adapter & in_system) == in_system)
        return TUN_WIN_BOUND;
    if (first_ms > waited_ms) /* a caller's slip: count the rest from now */
        first_ms = waited_ms;
    if (!on_adapter)
        return waited_ms < TUN_WIN_BIND_FIRST_MS ? TUN_WIN_BIND_WAIT
                                                 : TUN_WIN_BIND_NONE;
    return waited_ms - first_ms < TUN_WIN_BIND_REST_MS ? TUN_WIN_BIND_WAIT
                                                       : TUN_WIN_BIND_PARTIAL;
}
