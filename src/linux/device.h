/* The Linux tun_device, shared by the files of the Linux backend. */
#ifndef TUN_LINUX_DEVICE_H
#define TUN_LINUX_DEVICE_H

#include "../unix/io.h"

#include <pthread.h>

/* glibc declares ioctl(int, unsigned long, ...), musl and bionic
 * ioctl(int, int, ...): a request with the top bit set (_IOR) must be
 * converted to the type the C library takes. */
#ifdef __GLIBC__
typedef unsigned long tun_ioctl_request;
#else
typedef int tun_ioctl_request;
#endif

struct tun_device {
    struct tun_unix_io io;   /* first: see src/unix/io.h */
    atomic_uint mtu;         /* last MTU seen; refreshed when a write looks
                                too large */
    size_t link_header;      /* Ethernet header and/or packet info bytes a
                                write may add to the MTU */
    /* Offload only, for tun_recv_multiple(): where a super-packet is read
     * when the caller's first buffer cannot hold it (TUN_PACKET_MAX bytes)
     * or kept when the caller's buffers cannot take all its segments; then
     * rx_next is the first segment still to hand over (0: none kept). The
     * lock lets one reader at a time use them. */
    uint8_t *rx_buf;
    uint8_t rx_vnet[TUN_VNET_HDR_LEN];
    size_t rx_len;
    size_t rx_next;
    pthread_mutex_t rx_lock;
    /* Offload only, for tun_recv_slices(): the caller's read buffer that
     * holds a super-packet (rx_slices_len bytes after its header) of which
     * segments from rx_slices_next on are still to hand over (NULL: none);
     * under rx_lock. */
    const uint8_t *rx_slices_buf;
    size_t rx_slices_len;
    size_t rx_slices_next;
    bool no_auto_route;      /* addresses go without their subnet route
                                (tun_config_set_auto_route()) */
};

/* Read one packet into buf (size bytes) and, on an offload device, the
 * virtio-net header in front of it into vnet (little-endian, as the backend
 * asks the kernel for). Returns the packet's length; TUN_EMSGSIZE when it
 * was larger than size (it is dropped, never returned truncated). */
int tun_linux_read_packet(tun_device *dev, uint8_t vnet[TUN_VNET_HDR_LEN],
                          void *buf, size_t size, int timeout_ms,
                          bool honour_nonblocking);

/* The reason of a failed ioctl on the device's descriptor (errno err),
 * what naming the step: the tun driver says EBADFD once the interface was
 * deleted, which is TUN_ENODEV. */
int tun_linux_ioctl_failed(int err, const char *what);

#endif
