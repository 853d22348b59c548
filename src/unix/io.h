/* Packet I/O shared by every Unix backend (Linux, macOS, the BSDs): one
 * readiness-driven loop serves blocking, non-blocking, timed and interrupted
 * calls. The packet descriptor is always O_NONBLOCK; a call that would wait
 * polls it together with a wake-up descriptor that tun_interrupt() makes
 * readable. */
#ifndef TUN_UNIX_IO_H
#define TUN_UNIX_IO_H

#include "../internal.h"

#include <stdatomic.h>
#include <stdint.h>
#include <sys/uio.h>

/* Every Unix backend's struct tun_device starts with this member, so the
 * public calls that need only it (tun_interrupt(), tun_device_fd() in io.c;
 * tun_device_get_flags() and the address calls in device.c) are written
 * once. */
struct tun_unix_io {
    int fd;         /* the packet descriptor */
    int wake_read;  /* readable while tun_interrupt() is in force */
    int wake_write; /* what tun_interrupt() writes to (the same eventfd on
                       Linux, a pipe's other end elsewhere) */
    atomic_bool interrupted;
    atomic_bool nonblocking;
    /* 0 for a TUN_FD_RAW descriptor. Atomic: tun_device_set_netns() may
     * learn a new one (Linux before 5.13) while other threads use it. */
    atomic_uint ifindex;
    unsigned flags;   /* TUN_FLAG_* except NONBLOCK (see nonblocking) */
};

/* The shared part of a handle: every Unix tun_device begins with it. */
static inline struct tun_unix_io *tun_unix_io_of(tun_device *dev)
{
    return (struct tun_unix_io *)(void *)dev;
}

/* Allocate a zeroed handle of size bytes (the backend's struct tun_device)
 * and set up its struct tun_unix_io around fd (not taken over: the backend
 * closes it) with the wake-up descriptors. Records a reason on failure. */
int tun_unix_device_new(size_t size, int fd, unsigned ifindex, unsigned flags,
                        bool nonblocking, tun_device **out);
/* Close the wake-up descriptors (not io->fd) and free the handle. */
void tun_unix_device_free(tun_device *dev);

/* Milliseconds of a monotonic clock. */
int64_t tun_unix_now_ms(void);

/* Wait until io->fd is ready for events (POLLIN/POLLOUT), an interrupt, or
 * timeout_ms (-1: no limit). 0 when ready (or when the fd reports an error,
 * which the next read or write then names), TUN_ECANCELED, TUN_ETIMEDOUT. */
int tun_unix_wait(struct tun_unix_io *io, short events, int timeout_ms);

/* readv() or writev() until it moves a packet: retries EINTR, waits on
 * EAGAIN (or returns TUN_EAGAIN when honour_nonblocking and the handle is
 * non-blocking), honours interrupts and timeout_ms (-1: no limit). Returns
 * the byte count, or a negative code with a reason naming op. */
int tun_unix_transfer(struct tun_unix_io *io, bool is_read, struct iovec *iov,
                      int iovcnt, int timeout_ms, bool honour_nonblocking);

/* Read one packet into buf (size bytes) with tun_unix_transfer(), the
 * header_len bytes in front of it (0: none) into header; header_name names
 * them in a reason. One spare byte past buf tells a packet that did not fit
 * from one that fitted exactly: the drivers truncate to the reader's
 * buffer, so a larger packet is dropped with TUN_EMSGSIZE, never returned
 * cut. Returns the packet's length, header excluded. */
int tun_unix_read_packet(struct tun_unix_io *io, void *header,
                         size_t header_len, const char *header_name,
                         void *buf, size_t size, int timeout_ms,
                         bool honour_nonblocking);

/* The argument checks every Unix tun_open_fd() starts with. Returns the
 * descriptor's F_GETFL flags, or TUN_EINVAL / TUN_EBADF with a reason. */
int tun_unix_check_adopted(int fd, unsigned flags, tun_device **out);
/* Put an adopted descriptor, whose F_GETFL flags are fl, in O_NONBLOCK mode
 * as the library keeps every packet descriptor. Returns the mode the handle
 * starts in: 1 (non-blocking) when the owner had made the fd non-blocking
 * already (it is used from an event loop, which a waiting call would stall),
 * else 0; or a negative code with a reason. */
int tun_unix_adopt_nonblocking(int fd, int fl);

/* ---- interface calls (device.c) ---------------------------------------- */

/* Every interface call needs an interface; a raw fd has none. TUN_EINVAL
 * for a NULL dev, TUN_ENOTSUP for a TUN_FD_RAW one, each naming what. */
int tun_unix_need_interface(tun_device *dev, const char *what);
/* The same, and an L2 (TAP) device: an L3 one has no MAC address. */
int tun_unix_need_l2(tun_device *dev, const char *what);

/* Whether the interface outlives its descriptors, as the OS (or, where the
 * OS leaves it to libtun, the handle) has it now: what TUN_FLAG_PERSIST of
 * tun_device_get_flags() says for a device with an interface. */
int tun_backend_get_persist(tun_device *dev, bool *persist);

/* What each Unix backend does for tun_device_add_address() and
 * tun_device_remove_address() once device.c has checked dev (it has an
 * interface) and a: add or remove a on the interface. Returns 0 or a
 * negative code with a reason, which device.c prefixes with the call and
 * the address. */
int tun_backend_change_address(tun_device *dev, const tun_address *a,
                               bool add);

#endif
