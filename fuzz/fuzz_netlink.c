/* rtnetlink reply parsing (src/linux/netlink.c) of arbitrary bytes.
 *
 * Input: 4 bytes (little-endian) of interface index, then a datagram as
 * recvmsg() would return it, copied to an allocation of its exact size
 * (aligned as the kernel's are). The messages are walked as the library
 * walks a reply, and each is given to every parser.
 * Properties: no access outside the datagram; a parsed link has a
 * NUL-terminated name; an address has a known family and a prefix in range;
 * a route is one tun_check_route() accepts (no bit past its prefix); an
 * error text is NUL-terminated within its buffer; the notification check
 * answers 0, 1 or -EINVAL. */
#include "fuzz.h"

#include "linux/netlink.h"

#include <string.h>

static void parse_one(const struct nlmsghdr *hdr, size_t len, unsigned ifindex)
{
    struct tun_nl_link link;
    if (tun_nl_parse_link(hdr, len, &link) == 0) {
        FUZZ_CHECK(memchr(link.name, '\0', sizeof(link.name)) != NULL);
        FUZZ_CHECK(link.ifindex > 0);
    }
    tun_address a;
    if (tun_nl_parse_addr(hdr, len, ifindex, &a) == 1) {
        FUZZ_CHECK(a.family == TUN_INET4 || a.family == TUN_INET6);
        FUZZ_CHECK(a.prefix <= (a.family == TUN_INET4 ? 32 : 128));
    }
    tun_route r;
    if (tun_nl_parse_route(hdr, len, ifindex, &r) == 1)
        FUZZ_CHECK(tun_check_route(&r) == 0);
    char msg[64];
    memset(msg, 'x', sizeof(msg));
    if (tun_nl_parse_error(hdr, len, msg, sizeof(msg)) != -EINVAL)
        FUZZ_CHECK(memchr(msg, '\0', sizeof(msg)) != NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 4)
        return 0;
    unsigned ifindex = fuzz_le16(data) | fuzz_le16(data + 2) << 16;
    size_t len = size - 4;
    uint8_t *buf = malloc(len ? len : 1);
    if (!buf)
        abort();
    memcpy(buf, data + 4, len);
    /* The whole datagram as a batch of notifications. */
    unsigned moved_to = 0;
    int concerns = tun_nl_event_concerns(buf, len, ifindex, &moved_to);
    FUZZ_CHECK(concerns == 0 || concerns == 1 || concerns == -EINVAL);
    FUZZ_CHECK(moved_to == 0 || concerns != 0);
    /* Message after message, at 4-byte steps, as long as a header fits. */
    for (size_t at = 0; len - at >= sizeof(struct nlmsghdr);) {
        /* buf is malloc-aligned and at a multiple of 4. */
        const struct nlmsghdr *hdr = (const void *)(buf + at);
        parse_one(hdr, len - at, ifindex);
        size_t step = ((size_t)hdr->nlmsg_len + 3) & ~(size_t)3;
        if (hdr->nlmsg_len < sizeof(*hdr) || step > len - at)
            break;
        at += step;
    }
    free(buf);
    return 0;
}
