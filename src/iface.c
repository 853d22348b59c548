/* Interface helpers with no OS calls (see iface.h). */
#include "iface.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int tun_iface_unit(const char *name, const char *driver, long max_unit,
                   long *unit)
{
    size_t dlen = strlen(driver);
    if (name[0] == '\0' ||
        (strncmp(name, driver, dlen) == 0 && strcmp(name + dlen, "%d") == 0)) {
        *unit = -1;
        return 0;
    }
    const char *digits = name + dlen;
    bool well_formed = strncmp(name, driver, dlen) == 0 && *digits >= '0' &&
                       *digits <= '9' && (digits[0] != '0' || !digits[1]);
    char *end = NULL;
    long n = well_formed ? strtol(digits, &end, 10) : -1;
    if (!well_formed || *end != '\0' || n < 0 || n > max_unit)
        return tun_fail(TUN_EINVAL, "interface name \"%s\": this platform "
                        "takes only \"%s%%d\" or \"%sN\" with N from 0 to "
                        "%ld", name, driver, driver, max_unit);
    *unit = n;
    return 0;
}

int tun_iface_packet_family(const void *pkt, size_t len)
{
    if (len == 0)
        return 0;
    switch (*(const uint8_t *)pkt >> 4) {
    case 4:
        return TUN_INET4;
    case 6:
        return TUN_INET6;
    default:
        return 0;
    }
}

void tun_iface_prefix_mask(unsigned prefix, uint8_t *mask, size_t bytes)
{
    for (size_t i = 0; i < bytes; i++) {
        unsigned bits = prefix > 8 * i ? prefix - 8 * (unsigned)i : 0;
        mask[i] = (uint8_t)(bits >= 8 ? 0xffu : 0xff00u >> bits);
    }
}

int tun_iface_mask_prefix(const uint8_t *mask, size_t bytes)
{
    int prefix = 0;
    size_t i = 0;
    for (; i < bytes && mask[i] == 0xff; i++)
        prefix += 8;
    if (i == bytes)
        return prefix;
    uint8_t b = mask[i++];
    while (b & 0x80) {
        prefix++;
        b = (uint8_t)(b << 1);
    }
    if (b)
        return -1;
    for (; i < bytes; i++)
        if (mask[i])
            return -1;
    return prefix;
}

void tun_iface_network(const tun_address *a, uint8_t net[16])
{
    size_t bytes = a->family == TUN_INET4 ? 4 : 16;
    uint8_t mask[16];
    tun_iface_prefix_mask(a->prefix, mask, bytes);
    memset(net, 0, 16);
    for (size_t i = 0; i < bytes; i++)
        net[i] = a->addr[i] & mask[i];
}

bool tun_iface_control_peer(const void *peer, size_t peer_len,
                            uint32_t *ctl_id)
{
    const uint8_t *b = peer;
    uint16_t sysaddr;
    if (peer_len < TUN_IFACE_CTL_ID_OFFSET + sizeof(*ctl_id) ||
        b[1] != TUN_IFACE_AF_SYSTEM)
        return false;
    memcpy(&sysaddr, b + 2, sizeof(sysaddr));
    if (sysaddr != TUN_IFACE_AF_SYS_CONTROL)
        return false;
    memcpy(ctl_id, b + TUN_IFACE_CTL_ID_OFFSET, sizeof(*ctl_id));
    return true;
}

bool tun_iface_is_utun_control(uint32_t ctl_id, uint32_t utun_id,
                               const char *ifname)
{
    if (utun_id != 0)
        return ctl_id == utun_id;
    return ifname && strncmp(ifname, "utun", 4) == 0 && ifname[4] >= '0' &&
           ifname[4] <= '9';
}

int tun_iface_find_fd(int limit, tun_iface_fd_probe *probe, void *arg,
                      int *fd)
{
    for (int i = 0; i < limit; i++) {
        if (probe(arg, i)) {
            *fd = i;
            return 0;
        }
    }
    return TUN_ENOENT;
}

#if !defined(__APPLE__)
int tun_find_utun_fd(int *fd)
{
    (void)fd;
    return tun_fail(TUN_ENOTSUP, "tun_find_utun_fd: utun exists on Apple "
                    "systems only");
}
#endif

/* Where the address bytes start in a sockaddr_in / sockaddr_in6 (after
 * length, family, port, and for IPv6 the flow label). */
#define TUN_SIN_ADDR_OFFSET 4
#define TUN_SIN6_ADDR_OFFSET 8

/* Copy the address bytes of a sockaddr of sa_len bytes into out (bytes
 * long); a short sockaddr (a netmask cut after its last non-zero byte)
 * gives zeros for the rest. */
static void tun_iface_sa_bytes(const uint8_t *sa, size_t sa_len, size_t bytes,
                               uint8_t *out)
{
    size_t offset = bytes == 4 ? TUN_SIN_ADDR_OFFSET : TUN_SIN6_ADDR_OFFSET;
    memset(out, 0, bytes);
    if (sa_len > offset) {
        size_t n = sa_len - offset < bytes ? sa_len - offset : bytes;
        memcpy(out, sa + offset, n);
    }
}

bool tun_iface_zoned6(const uint8_t addr[16])
{
    if (addr[0] == 0xfe)
        return (addr[1] & 0xc0) == 0x80;
    /* Multicast: the scope is the low nibble (RFC 4291, 2.7), except for
     * unicast-prefix-based groups (flags 3), whose bytes 2-3 are the
     * prefix length field (RFC 3306), never a zone (XNU's
     * IN6_IS_ADDR_MC_LINKLOCAL leaves them out too). */
    if (addr[0] != 0xff || (addr[1] & 0xf0) == 0x30)
        return false;
    return (addr[1] & 0x0f) == 1 || (addr[1] & 0x0f) == 2;
}

void tun_iface_set_zone6(uint8_t addr[16], unsigned zone)
{
    if (!tun_iface_zoned6(addr))
        return;
    addr[2] = (uint8_t)(zone >> 8);
    addr[3] = (uint8_t)zone;
}

int tun_iface_route_sockaddrs(const uint8_t *p, size_t len, unsigned addrs,
                              const struct tun_rt_layout *layout,
                              tun_route *out)
{
    const uint8_t *sa[3] = {NULL, NULL, NULL}; /* dst, gateway, netmask */
    size_t sa_len[3] = {0, 0, 0};
    for (unsigned bit = 0; bit < 3; bit++) {
        if (!(addrs & (1u << bit)))
            continue;
        if (len == 0)
            return -EINVAL;
        size_t n = p[0];
        if (n > len)
            return -EINVAL;
        sa[bit] = p;
        sa_len[bit] = n;
        size_t step = n ? ((n - 1) | (layout->align - 1)) + 1 : layout->align;
        if (step > len)
            step = len;
        p += step;
        len -= step;
    }
    if (!sa[0] || sa_len[0] < 2)
        return sa[0] ? -EINVAL : 0;
    tun_route r;
    memset(&r, 0, sizeof(r));
    size_t bytes;
    if (sa[0][1] == layout->af_inet && sa_len[0] >= TUN_SIN_ADDR_OFFSET + 4) {
        r.family = TUN_INET4;
        bytes = 4;
    } else if (sa[0][1] == layout->af_inet6 &&
               sa_len[0] >= TUN_SIN6_ADDR_OFFSET + 16) {
        r.family = TUN_INET6;
        bytes = 16;
    } else {
        return 0;
    }
    tun_iface_sa_bytes(sa[0], sa_len[0], bytes, r.dest);
    if (bytes == 16)
        tun_iface_set_zone6(r.dest, 0);
    int prefix = (int)bytes * 8;
    if (sa[2]) {
        uint8_t mask[16];
        tun_iface_sa_bytes(sa[2], sa_len[2], bytes, mask);
        if ((prefix = tun_iface_mask_prefix(mask, bytes)) < 0)
            return 0;
    }
    r.prefix = (uint8_t)prefix;
    for (size_t i = r.prefix; i < bytes * 8; i++)
        r.dest[i / 8] &= (uint8_t)~(0x80u >> (i % 8));
    if (sa[1] && sa_len[1] >= 2 && sa[1][1] != layout->af_link) {
        size_t need = bytes == 4 ? TUN_SIN_ADDR_OFFSET + 4
                                 : TUN_SIN6_ADDR_OFFSET + 16;
        if (sa[1][1] != sa[0][1] || sa_len[1] < need)
            return 0;
        tun_iface_sa_bytes(sa[1], sa_len[1], bytes, r.gateway);
        if (bytes == 16)
            tun_iface_set_zone6(r.gateway, 0);
        static const uint8_t zero[16];
        r.has_gateway = memcmp(r.gateway, zero, bytes) != 0;
    }
    *out = r;
    return 1;
}
