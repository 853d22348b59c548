/* The tun_device of macOS and the BSDs, shared by src/bsd/ and src/darwin/:
 * the same handle, the same packet I/O (a 4-byte address-family header the
 * library adds and strips) and the same interface calls (ifconfig.c) serve
 * utun, the BSDs' tun/tap and macOS's feth. Only opening differs: clone.c
 * (FreeBSD, OpenBSD, NetBSD), src/darwin/utun.c and src/darwin/feth.c. */
#ifndef TUN_BSD_DEVICE_H
#define TUN_BSD_DEVICE_H

#include "../unix/io.h"

#include <net/if.h>

/* Bytes of the address family in front of every packet on utun and on BSD
 * tun in family-header mode: a 32-bit AF_* value in network order. */
#define TUN_FAMILY_HEADER_SIZE 4

/* Ethernet header plus one VLAN tag: what a TAP frame may add to the MTU
 * (tun_write()'s size check; FreeBSD's largest tap MTU in clone.c). */
#define TUN_ETH_FRAME_HEADER 18

/* What differs per kind of device; NULL members take the default (the
 * packet descriptor carries one packet per read/write). */
struct tun_device_ops {
    /* Read one frame into buf (feth: from a buffer of BPF records). */
    int (*read)(tun_device *dev, void *buf, size_t size, int timeout_ms,
                bool honour_nonblocking);
    /* Send one frame (feth: through a second socket). */
    int (*write)(tun_device *dev, const void *buf, size_t len);
    /* Release what open allocated beyond the handle (before the interface
     * is destroyed). */
    void (*release)(tun_device *dev);
};

struct tun_device {
    struct tun_unix_io io;  /* first: see src/unix/io.h */
    const struct tun_device_ops *ops; /* NULL: all defaults */
    bool family_header;     /* the descriptor's packets carry the header */
    bool point_to_point;    /* tun/utun: libtun adds the subnet route */
    bool no_auto_route;     /* ...unless tun_config_set_auto_route(false) */
    bool destroy_on_close;  /* SIOCIFDESTROY the interface at tun_close() */
    bool transient;         /* FreeBSD: TUNSTRANSIENT is on, the kernel
                               destroys the interface at its last close */
    bool kernel_destroys;   /* the kernel destroys it at the last close,
                               whatever libtun asks (OpenBSD's tunN opened
                               without SIOCIFCREATE, NetBSD's cloned tap) */
    atomic_bool persist;    /* what TUN_FLAG_PERSIST says */
    char peer_name[IFNAMSIZ]; /* feth: the I/O side, destroyed with it */
    atomic_uint mtu;        /* last MTU seen (0: not yet) */
    unsigned max_mtu;       /* largest MTU the driver's writes take, where
                               SIOCSIFMTU allows more (0: no such limit) */
    size_t link_header;     /* bytes a frame may add to the MTU */
    void *backend;          /* the opener's own state (feth: BPF buffer) */
};

/* Allocate a handle around fd (not taken over on failure). */
int tun_bsd_device_new(int fd, unsigned ifindex, unsigned flags,
                       bool nonblocking, tun_device **out);

/* Apply the MAC, MTU, addresses and up flag of cfg to a freshly opened
 * device, as tun_open() does on Linux, each step with its reason. */
int tun_bsd_configure(tun_device *dev, const tun_config *cfg);

/* Refuse what neither macOS nor the BSDs can do (multi-queue, txqueuelen,
 * owner/group, offload) with TUN_ENOTSUP and a reason. */
int tun_bsd_check_config(const tun_config *cfg);

/* AF_* of a family-header packet from its IP version (0: not IP). */
uint32_t tun_bsd_family_of(const void *pkt, size_t len);

#endif
