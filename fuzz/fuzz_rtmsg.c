/* The routing-socket message parser of macOS and the BSDs (src/iface.c,
 * tun_iface_route_sockaddrs()) on arbitrary bytes, under each system's
 * layout.
 *
 * Input: 1 byte choosing the layout (macOS, FreeBSD, NetBSD/OpenBSD), 1
 * byte of rtm_addrs, then the sockaddrs, copied to an allocation of their
 * exact size. Properties: no access outside it; a route it returns is one
 * tun_check_route() accepts (a family, a prefix in range, no bit past the
 * prefix, a gateway only when it is not the unspecified address). */
#include "fuzz.h"

#include "iface.h"

#include <string.h>

static const struct tun_rt_layout layouts[3] = {
    {4, 2, 30, 18}, /* macOS */
    {8, 2, 28, 18}, /* FreeBSD */
    {8, 2, 24, 18}, /* NetBSD and OpenBSD */
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    const struct tun_rt_layout *layout = &layouts[data[0] % 3];
    unsigned addrs = data[1];
    size_t len = size - 2;
    uint8_t *buf = malloc(len ? len : 1);
    if (!buf)
        abort();
    memcpy(buf, data + 2, len);
    tun_route r;
    int rc = tun_iface_route_sockaddrs(buf, len, addrs, layout, &r);
    FUZZ_CHECK(rc == 1 || rc == 0 || rc == -EINVAL);
    if (rc == 1)
        FUZZ_CHECK(tun_check_route(&r) == 0);
    free(buf);
    return 0;
}
