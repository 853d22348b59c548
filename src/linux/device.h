/* The Linux tun_device, shared by the files of the Linux backend. */
#ifndef TUN_LINUX_DEVICE_H
#define TUN_LINUX_DEVICE_H

#include "../unix/io.h"

#include <pthread.h>

struct tun_device {
    struct tun_unix_io io;   /* first: see src/unix/io.h */
    unsigned ifindex;        /* 0 for a TUN_FD_RAW descriptor */
    unsigned flags;          /* TUN_FLAG_* except NONBLOCK */
    atomic_uint mtu;         /* last MTU seen; refreshed when a write looks
                                too large */
    size_t link_header;      /* Ethernet header and/or packet info bytes a
                                write may add to the MTU */
    /* Offload only: where tun_recv_multiple() reads a super-packet that the
     * caller's first buffer cannot hold (TUN_PACKET_MAX bytes), and the
     * lock that lets one reader at a time use it. */
    uint8_t *rx_buf;
    pthread_mutex_t rx_lock;
};

/* Read one packet into buf (size bytes) and, on an offload device, the
 * virtio-net header in front of it into vnet (little-endian, as the backend
 * asks the kernel for). Returns the packet's length; TUN_EMSGSIZE when it
 * was larger than size (it is dropped, never returned truncated). */
int tun_linux_read_packet(tun_device *dev, uint8_t vnet[TUN_VNET_HDR_LEN],
                          void *buf, size_t size, int timeout_ms,
                          bool honour_nonblocking);

#endif
