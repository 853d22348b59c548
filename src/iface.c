/* Interface helpers with no OS calls (see iface.h). */
#include "iface.h"

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
