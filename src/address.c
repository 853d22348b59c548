/* Interface addresses: parsing, formatting and checks. */
#include "internal.h"

#include <stdio.h>
#include <string.h>

/* Text to address bytes with inet_pton's rules, without depending on the
 * platform's socket headers (Windows needs WSAStartup for inet_pton). */
static int tun_parse_ipv4(const char *s, uint8_t out[4])
{
    for (int i = 0; i < 4; i++) {
        unsigned value = 0;
        int digits = 0;
        while (*s >= '0' && *s <= '9') {
            if (digits > 0 && value == 0)
                return -1; /* no leading zeros: "010" is ambiguous */
            value = value * 10 + (unsigned)(*s - '0');
            if (value > 255 || ++digits > 3)
                return -1;
            s++;
        }
        if (digits == 0)
            return -1;
        out[i] = (uint8_t)value;
        if (i < 3 && *s++ != '.')
            return -1;
    }
    return *s == '\0' ? 0 : -1;
}

int tun_hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static int tun_parse_ipv6(const char *s, uint8_t out[16])
{
    uint8_t words[16] = {0};
    size_t count = 0; /* bytes written to words */
    long gap = -1;    /* where "::" stands, in bytes */

    if (s[0] == ':') {
        if (s[1] != ':')
            return -1;
        gap = 0;
        s += 2;
    }
    while (*s) {
        if (count == 16)
            return -1;
        /* An embedded IPv4 address ends the text: "::ffff:10.0.0.1". */
        const char *end = s;
        while (*end && *end != ':' && *end != '.')
            end++;
        if (*end == '.') {
            if (count > 12 || tun_parse_ipv4(s, words + count) != 0)
                return -1;
            count += 4;
            break;
        }
        unsigned value = 0;
        int digits = 0;
        int h;
        while ((h = tun_hex_value(*s)) >= 0) {
            if (++digits > 4)
                return -1;
            value = value << 4 | (unsigned)h;
            s++;
        }
        if (digits == 0)
            return -1;
        words[count++] = (uint8_t)(value >> 8);
        words[count++] = (uint8_t)value;
        if (*s == '\0')
            break;
        if (*s++ != ':')
            return -1;
        if (*s == ':') {
            if (gap >= 0)
                return -1; /* "::" twice */
            gap = (long)count;
            s++;
        } else if (*s == '\0') {
            return -1; /* trailing single ':' */
        }
    }
    if (gap < 0) {
        if (count != 16)
            return -1;
        memcpy(out, words, 16);
        return 0;
    }
    if (count == 16)
        return -1; /* "::" must stand for at least one group */
    size_t tail = count - (size_t)gap;
    memset(out, 0, 16);
    memcpy(out, words, (size_t)gap);
    memcpy(out + 16 - tail, words + gap, tail);
    return 0;
}

static int tun_parse_ip(const char *text, uint8_t *family, uint8_t bytes[16])
{
    memset(bytes, 0, 16);
    if (strchr(text, ':')) {
        *family = TUN_INET6;
        return tun_parse_ipv6(text, bytes);
    }
    *family = TUN_INET4;
    return tun_parse_ipv4(text, bytes);
}

int tun_check_address(const tun_address *a)
{
    if (!a)
        return tun_fail(TUN_EINVAL, "address: NULL pointer");
    if (a->family != TUN_INET4 && a->family != TUN_INET6)
        return tun_fail(TUN_EINVAL, "address: family %u is neither TUN_INET4 "
                        "nor TUN_INET6", a->family);
    unsigned max = a->family == TUN_INET4 ? 32 : 128;
    if (a->prefix > max)
        return tun_fail(TUN_EINVAL, "address: prefix /%u is over %u",
                        a->prefix, max);
    if (a->has_peer > 1)
        return tun_fail(TUN_EINVAL, "address: has_peer must be 0 or 1");
    return 0;
}

int tun_address_parse(tun_address *out, const char *addr, unsigned prefix,
                      const char *peer)
{
    if (!out || !addr)
        return tun_fail(TUN_EINVAL, "tun_address_parse: NULL pointer");
    tun_address a;
    memset(&a, 0, sizeof(a));
    if (tun_parse_ip(addr, &a.family, a.addr) != 0)
        return tun_fail(TUN_EINVAL, "address \"%s\" is not an IPv4 or IPv6 "
                        "address", addr);
    unsigned max = a.family == TUN_INET4 ? 32 : 128;
    if (prefix > max)
        return tun_fail(TUN_EINVAL, "address %s: prefix /%u is over %u", addr,
                        prefix, max);
    a.prefix = (uint8_t)prefix;
    if (peer) {
        uint8_t peer_family;
        if (tun_parse_ip(peer, &peer_family, a.peer) != 0)
            return tun_fail(TUN_EINVAL, "peer \"%s\" is not an IPv4 or IPv6 "
                            "address", peer);
        if (peer_family != a.family)
            return tun_fail(TUN_EINVAL, "peer %s is not of the family of "
                            "address %s", peer, addr);
        a.has_peer = 1;
    }
    *out = a;
    return 0;
}

size_t tun_format_ip(uint8_t family, const uint8_t *b, char *out)
{
    if (family == TUN_INET4)
        return (size_t)sprintf(out, "%u.%u.%u.%u", b[0], b[1], b[2], b[3]);

    /* RFC 5952: lowercase, no leading zeros, the longest run of two or more
     * zero groups (the first one on a tie) becomes "::". */
    unsigned groups[8];
    for (int i = 0; i < 8; i++)
        groups[i] = (unsigned)b[2 * i] << 8 | b[2 * i + 1];
    int best = -1, best_len = 1;
    for (int i = 0; i < 8;) {
        int j = i;
        while (j < 8 && groups[j] == 0)
            j++;
        if (j - i > best_len) {
            best = i;
            best_len = j - i;
        }
        i = j > i ? j : i + 1;
    }
    /* As inet_ntop (and so `ip addr`) writes them: an IPv4-mapped or
     * IPv4-compatible address ends in dotted decimal. */
    bool embeds_ipv4 = best == 0 && (best_len == 6 ||
                                     (best_len == 5 && groups[5] == 0xffff));
    int last = embeds_ipv4 ? 6 : 8;
    size_t n = 0;
    for (int i = 0; i < last; i++) {
        if (i == best) {
            n += (size_t)sprintf(out + n, "::");
            i += best_len - 1;
            continue;
        }
        if (i > 0 && i != best + best_len)
            out[n++] = ':';
        n += (size_t)sprintf(out + n, "%x", groups[i]);
    }
    if (embeds_ipv4)
        n += (size_t)sprintf(out + n, "%s%u.%u.%u.%u", best_len == 5 ? ":" : "",
                             b[12], b[13], b[14], b[15]);
    out[n] = '\0';
    return n;
}

int tun_address_format(const tun_address *a, char *buf, size_t size)
{
    if (!buf)
        return tun_fail(TUN_EINVAL, "tun_address_format: NULL buffer");
    int rc = tun_check_address(a);
    if (rc < 0)
        return rc;
    char text[TUN_ADDRSTRLEN];
    size_t n = tun_format_ip(a->family, a->addr, text);
    n += (size_t)sprintf(text + n, "/%u", a->prefix);
    if (a->has_peer) {
        n += (size_t)sprintf(text + n, " peer ");
        n += tun_format_ip(a->family, a->peer, text + n);
    }
    if (n >= size)
        return tun_fail(TUN_ENOBUFS, "tun_address_format: %zu bytes needed, "
                        "%zu given", n + 1, size);
    memcpy(buf, text, n + 1);
    return (int)n;
}

bool tun_address_same(const tun_address *a, const tun_address *b)
{
    size_t len = a->family == TUN_INET4 ? 4 : 16;
    return a->family == b->family && memcmp(a->addr, b->addr, len) == 0;
}

int tun_address_parse_family(tun_address *out, uint8_t family,
                             const char *addr, unsigned prefix,
                             const char *peer)
{
    int rc = tun_address_parse(out, addr, prefix, peer);
    if (rc < 0)
        return rc;
    if (out->family != family)
        return tun_fail(TUN_EINVAL, "address %s is not an IPv%u address", addr,
                        family);
    return 0;
}

/* The text forms of tun_device_add_address(), the same on every platform. */
int tun_device_add_ipv4(tun_device *dev, const char *addr, unsigned prefix,
                        const char *peer)
{
    tun_address a;
    int rc = tun_address_parse_family(&a, TUN_INET4, addr, prefix, peer);
    return rc < 0 ? rc : tun_device_add_address(dev, &a);
}

int tun_device_add_ipv6(tun_device *dev, const char *addr, unsigned prefix)
{
    tun_address a;
    int rc = tun_address_parse_family(&a, TUN_INET6, addr, prefix, NULL);
    return rc < 0 ? rc : tun_device_add_address(dev, &a);
}
