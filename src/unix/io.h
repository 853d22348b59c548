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
 * public calls that need only it (tun_interrupt(), tun_device_fd()...) are
 * written once, in io.c. */
struct tun_unix_io {
    int fd;         /* the packet descriptor */
    int wake_read;  /* readable while tun_interrupt() is in force */
    int wake_write; /* what tun_interrupt() writes to (the same eventfd on
                       Linux, a pipe's other end elsewhere) */
    atomic_bool interrupted;
    atomic_bool nonblocking;
};

/* Set up io around fd (not taken over: the backend closes it). Creates the
 * wake-up descriptors; records a reason on failure. */
int tun_unix_io_init(struct tun_unix_io *io, int fd, bool nonblocking);
/* Close the wake-up descriptors (not io->fd). */
void tun_unix_io_destroy(struct tun_unix_io *io);

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

/* The argument checks every Unix tun_open_fd() starts with. Returns the
 * descriptor's F_GETFL flags, or TUN_EINVAL / TUN_EBADF with a reason. */
int tun_unix_check_adopted(int fd, unsigned flags, tun_device **out);
/* Put an adopted descriptor, whose F_GETFL flags are fl, in O_NONBLOCK mode
 * as the library keeps every packet descriptor. Returns the mode the handle
 * starts in: 1 (non-blocking) when the owner had made the fd non-blocking
 * already (it is used from an event loop, which a waiting call would stall),
 * else 0; or a negative code with a reason. */
int tun_unix_adopt_nonblocking(int fd, int fl);

#endif
