/* Shared between the portable code and every OS backend; never installed. */
#ifndef TUN_INTERNAL_H
#define TUN_INTERNAL_H

#include "tun.h"

#include <stdarg.h>

/* What tun_config_* collects. Backends read it in tun_open(). */
struct tun_config {
    char name[TUN_NAME_MAX]; /* "" means the layer's default pattern */
    tun_layer layer;
    tun_address *addresses;
    size_t address_count;
    size_t address_capacity;
    unsigned mtu; /* 0: leave the system default */
    uint8_t mac[6];
    bool has_mac;
    bool up;
    bool packet_info;
    bool multi_queue;
    unsigned txqueuelen; /* 0: leave the system default */
    bool persist;
    long owner; /* -1: unset */
    long group; /* -1: unset */
    bool nonblocking;
    bool offload;
};

/* Longest interface name the platform accepts, NUL excluded. */
#if defined(_WIN32)
#define TUN_PLATFORM_NAME_LEN 127
#else
#define TUN_PLATFORM_NAME_LEN 15
#endif

/* Record why a call failed, for tun_last_error(), and return err so that a
 * failure path reads `return tun_fail(TUN_EPERM, "...", ...);`. */
int tun_fail(int err, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
/* As tun_fail() for an OS error number: appends strerror(errnum) and the
 * usual fix for it (privilege, missing module) to the step description. */
int tun_fail_errno(int errnum, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* Checks shared by the config setters and the run-time setters, each
 * recording its reason with tun_fail(). */
int tun_check_name(const char *name);
int tun_check_mtu(unsigned mtu);
int tun_check_mac(const uint8_t mac[6]);
int tun_check_address(const tun_address *a);
/* tun_address_parse() that also requires the family (TUN_INET4/6). */
int tun_address_parse_family(tun_address *out, uint8_t family,
                             const char *addr, unsigned prefix,
                             const char *peer);
/* Batched I/O (src/batch.c), which every backend shares. The plain path:
 * each packet of bufs[0..count) written with tun_write(), with the return
 * convention of tun_send_multiple(). */
int tun_send_plain(tun_device *dev, tun_buf *bufs, size_t count,
                   size_t offset);
/* What an offload device does instead, in its backend (src/linux/offload.c);
 * called only for a device with TUN_FLAG_OFFLOAD, after the arguments were
 * checked (count >= 1 for receiving; buffers that hold their packets and a
 * table of enough capacity and offset >= TUN_VNET_HDR_LEN for sending).
 * Elsewhere src/batch.c defines them to return TUN_ENOTSUP. */
int tun_offload_recv(tun_device *dev, tun_buf *bufs, size_t count,
                     size_t offset);
int tun_offload_send(tun_device *dev, tun_gro_table *table, tun_buf *bufs,
                     size_t count, size_t offset);

/* Whether the two addresses name the same interface address (family and
 * address bytes; prefix and peer ignored). */
bool tun_address_same(const tun_address *a, const tun_address *b);

#endif
