/* The Linux tun_device, shared by the files of the Linux backend. */
#ifndef TUN_LINUX_DEVICE_H
#define TUN_LINUX_DEVICE_H

#include "../unix/io.h"

struct tun_device {
    struct tun_unix_io io;   /* first: see src/unix/io.h */
    unsigned ifindex;        /* 0 for a TUN_FD_RAW descriptor */
    unsigned flags;          /* TUN_FLAG_* except NONBLOCK */
    atomic_uint mtu;         /* last MTU seen; refreshed when a write looks
                                too large */
    size_t link_header;      /* Ethernet header and/or packet info bytes a
                                write may add to the MTU */
};

/* Make a packet read behind a virtio-net header (little-endian, as the
 * backend asks the kernel for) whole by itself: complete a partial checksum
 * (NEEDS_CSUM). A GSO super-packet stays one large, valid IP packet.
 * Returns 0 or TUN_EIO for a header that does not fit the packet. */
int tun_linux_offload_finish(const uint8_t *vnet, uint8_t *pkt, size_t len);

#endif
