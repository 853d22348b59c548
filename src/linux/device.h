/* The Linux tun_device, shared by the files of the Linux backend. */
#ifndef TUN_LINUX_DEVICE_H
#define TUN_LINUX_DEVICE_H

#include "../internal.h"

#include <stdatomic.h>

struct tun_device {
    int fd;      /* the queue's /dev/net/tun descriptor, always O_NONBLOCK */
    int wake_fd; /* eventfd: readable while tun_interrupt() is in force */
    unsigned ifindex;
    unsigned flags;                /* TUN_FLAG_* except NONBLOCK */
    atomic_bool nonblocking;       /* TUN_FLAG_NONBLOCK, switchable */
    atomic_bool interrupted;       /* tun_interrupt() is in force */
    atomic_uint mtu;               /* last MTU seen; refreshed when a write
                                      looks too large */
    size_t link_header;            /* Ethernet header and/or packet info
                                      bytes a write may add to the MTU */
};

/* Wait until fd is ready for `events` (POLLIN or POLLOUT), the device is
 * interrupted, or timeout_ms passes (-1: no limit). Returns 0 when ready,
 * TUN_ECANCELED, TUN_ETIMEDOUT, or another error. Every blocking call of the
 * backend waits here, so interrupt and timeout behave the same for all. */
int tun_linux_wait(tun_device *dev, short events, int timeout_ms);

/* Make a packet read behind a virtio-net header (little-endian, as the
 * backend asks the kernel for) whole by itself: complete a partial checksum
 * (NEEDS_CSUM). A GSO super-packet stays one large, valid IP packet.
 * Returns 0 or TUN_EIO for a header that does not fit the packet. */
int tun_linux_offload_finish(const uint8_t *vnet, uint8_t *pkt, size_t len);

#endif
