/* Waiting, interrupting and moving packets on a Unix descriptor. */
#include "io.h"

#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#if defined(__linux__)
#include <sys/eventfd.h>
#elif defined(__FreeBSD__)
#include <sys/param.h> /* __FreeBSD_version */
#endif

#if !defined(__linux__)
/* The non-blocking, close-on-exec pipe of tun_interrupt(). */
static int tun_unix_wake_pipe(int ends[2])
{
#if defined(__APPLE__) || (defined(__FreeBSD__) && __FreeBSD_version < 1000000)
    /* macOS has no pipe2() (nor FreeBSD before 10, whose headers the BSD
     * compile check uses): the flags follow at once, so a fork and exec by
     * another thread in between may hand the ends to a child. */
    if (pipe(ends) != 0)
        return -1;
    for (int i = 0; i < 2; i++) {
        if (fcntl(ends[i], F_SETFD, FD_CLOEXEC) != 0 ||
            fcntl(ends[i], F_SETFL, O_NONBLOCK) != 0) {
            int err = errno;
            close(ends[0]);
            close(ends[1]);
            errno = err;
            return -1;
        }
    }
    return 0;
#else
    return pipe2(ends, O_CLOEXEC | O_NONBLOCK);
#endif
}
#endif

static int tun_unix_io_init(struct tun_unix_io *io, int fd, bool nonblocking)
{
    io->fd = fd;
#if defined(__linux__)
    io->wake_read = io->wake_write = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (io->wake_read < 0)
        return tun_fail_errno(errno, "eventfd for tun_interrupt()");
#else
    int ends[2];
    if (tun_unix_wake_pipe(ends) != 0)
        return tun_fail_errno(errno, "pipe for tun_interrupt()");
    io->wake_read = ends[0];
    io->wake_write = ends[1];
#endif
    atomic_init(&io->interrupted, false);
    atomic_init(&io->nonblocking, nonblocking);
    return 0;
}

int tun_unix_device_new(size_t size, int fd, unsigned ifindex, unsigned flags,
                        bool nonblocking, tun_device **out)
{
    tun_device *dev = calloc(1, size);
    if (!dev)
        return tun_fail(TUN_ENOMEM, "allocating the device: out of memory");
    struct tun_unix_io *io = tun_unix_io_of(dev);
    int rc = tun_unix_io_init(io, fd, nonblocking);
    if (rc < 0) {
        free(dev);
        return rc;
    }
    atomic_init(&io->ifindex, ifindex);
    io->flags = flags;
    *out = dev;
    return 0;
}

void tun_unix_device_free(tun_device *dev)
{
    struct tun_unix_io *io = tun_unix_io_of(dev);
    close(io->wake_read);
    if (io->wake_write != io->wake_read)
        close(io->wake_write);
    free(dev);
}

int64_t tun_unix_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int tun_unix_interrupted(struct tun_unix_io *io)
{
    if (atomic_load_explicit(&io->interrupted, memory_order_acquire))
        return tun_fail(TUN_ECANCELED, "interrupted by tun_interrupt()");
    return 0;
}

/* What is left of a deadline (-1: none) as a poll() timeout. */
static int tun_unix_left(int64_t deadline)
{
    if (deadline < 0)
        return -1;
    int64_t left = deadline - tun_unix_now_ms();
    return left > 0 ? (int)left : 0;
}

int tun_unix_wait(struct tun_unix_io *io, short events, int timeout_ms)
{
    int64_t deadline = timeout_ms >= 0 ? tun_unix_now_ms() + timeout_ms : -1;
    for (;;) {
        int rc = tun_unix_interrupted(io);
        if (rc < 0)
            return rc;
        struct pollfd pfd[2] = {{io->fd, events, 0},
                                {io->wake_read, POLLIN, 0}};
        int n = poll(pfd, 2, tun_unix_left(deadline));
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return tun_fail_errno(errno, "poll on the device");
        }
        if (pfd[1].revents)
            continue; /* the flag check above reports it */
        if (pfd[0].revents)
            return 0;
        if (deadline >= 0 && tun_unix_now_ms() >= deadline)
            return tun_fail(TUN_ETIMEDOUT, "nothing within %d ms", timeout_ms);
    }
}

/* The readable reason for a failed read or write. */
static int tun_unix_io_error(int err, const char *op)
{
    switch (err) {
#if defined(EBADFD)
    case EBADFD: /* Linux: the queue's interface is gone */
#endif
    case ENODEV:
    case ENXIO:
        return tun_fail(TUN_ENODEV, "%s: the interface was deleted", op);
    case EIO:
        return tun_fail(TUN_EIO, "%s: %s (is the interface down? bring it "
                        "up with tun_device_set_up())", op, strerror(err));
    case EINVAL:
        return tun_fail(TUN_EINVAL, "%s: the kernel refused the packet "
                        "(malformed or too short)", op);
    default:
        return tun_fail_errno(err, "%s", op);
    }
}

int tun_unix_transfer(struct tun_unix_io *io, bool is_read, struct iovec *iov,
                      int iovcnt, int timeout_ms, bool honour_nonblocking)
{
    int64_t deadline = timeout_ms >= 0 ? tun_unix_now_ms() + timeout_ms : -1;
    for (;;) {
        int rc = tun_unix_interrupted(io);
        if (rc < 0)
            return rc;
        ssize_t n = is_read ? readv(io->fd, iov, iovcnt)
                            : writev(io->fd, iov, iovcnt);
        if (n >= 0)
            return (int)n;
        if (errno == EINTR)
            continue;
        /* NetBSD answers a read with EHOSTDOWN while the device is not
         * ready: tun before it has an address, tap while it is down.
         * Nothing is queued then and nothing can be until it is ready (the
         * drivers refuse output before, and going down empties the
         * queue), so this is "nothing to read yet", and poll() reports the
         * first packet queued afterwards. */
        bool not_ready = is_read && errno == EHOSTDOWN;
        if (errno != EAGAIN && errno != EWOULDBLOCK && !not_ready)
            return tun_unix_io_error(errno, is_read ? "read" : "write");
        if (honour_nonblocking &&
            atomic_load_explicit(&io->nonblocking, memory_order_relaxed))
            return TUN_EAGAIN; /* an event loop's normal case: no reason */
        rc = tun_unix_wait(io, is_read ? POLLIN : POLLOUT,
                           tun_unix_left(deadline));
        if (rc == TUN_ETIMEDOUT && not_ready)
            return tun_fail(TUN_ETIMEDOUT, "read: nothing within %d ms (%s)",
                            timeout_ms,
                            (io->flags & TUN_FLAG_L2)
                                ? "the interface is down: bring it up with "
                                  "tun_device_set_up()"
                                : "the interface has no address yet");
        if (rc < 0)
            return rc;
    }
}

int tun_unix_read_packet(struct tun_unix_io *io, void *header,
                         size_t header_len, const char *header_name,
                         void *buf, size_t size, int timeout_ms,
                         bool honour_nonblocking)
{
    uint8_t spare;
    struct iovec iov[3];
    int iovcnt = 0;
    if (header_len)
        iov[iovcnt++] = (struct iovec){header, header_len};
    iov[iovcnt++] = (struct iovec){buf, size};
    iov[iovcnt++] = (struct iovec){&spare, 1};
    int n = tun_unix_transfer(io, true, iov, iovcnt, timeout_ms,
                              honour_nonblocking);
    if (n < 0)
        return n;
    if ((size_t)n < header_len)
        return tun_fail(TUN_EIO, "read: %d bytes, shorter than the %s", n,
                        header_name);
    size_t len = (size_t)n - header_len;
    if (len > size)
        return tun_fail(TUN_EMSGSIZE, "read: a packet larger than the %zu-byte "
                        "buffer was dropped", size);
    return (int)len;
}

int tun_unix_check_adopted(int fd, unsigned flags, tun_device **out)
{
    if (!out)
        return tun_fail(TUN_EINVAL, "tun_open_fd: NULL pointer");
    if (fd < 0)
        return tun_fail(TUN_EINVAL, "tun_open_fd: fd %d is negative", fd);
    if (flags & ~(unsigned)(TUN_FD_BORROW | TUN_FD_RAW))
        return tun_fail(TUN_EINVAL, "tun_open_fd: unknown flags 0x%x", flags);
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0)
        return tun_fail(TUN_EBADF, "tun_open_fd: fd %d is not open", fd);
    return fl;
}

int tun_unix_adopt_nonblocking(int fd, int fl)
{
    if (fl & O_NONBLOCK)
        return 1;
    if (fcntl(fd, F_SETFL, fl | O_NONBLOCK) != 0)
        return tun_fail_errno(errno, "tun_open_fd: setting O_NONBLOCK");
    return 0;
}

/* The public calls that need nothing but the I/O part. */

int tun_interrupt(tun_device *dev)
{
    if (!dev)
        return TUN_EINVAL; /* no reason recorded: not async-signal-safe */
    struct tun_unix_io *io = tun_unix_io_of(dev);
    atomic_store_explicit(&io->interrupted, true, memory_order_release);
    /* Only readability matters; a full counter or pipe already is. */
    uint64_t one = 1;
    if (write(io->wake_write, &one, sizeof(one)) < 0 && errno != EAGAIN)
        return -errno;
    return 0;
}

int tun_interrupt_clear(tun_device *dev)
{
    if (!dev)
        return tun_fail(TUN_EINVAL, "tun_interrupt_clear: NULL device");
    struct tun_unix_io *io = tun_unix_io_of(dev);
    atomic_store_explicit(&io->interrupted, false, memory_order_release);
    uint8_t drain[64];
    while (read(io->wake_read, drain, sizeof(drain)) > 0)
        ;
    return 0;
}

tun_os_fd tun_device_fd(const tun_device *dev)
{
    return dev ? tun_unix_io_of((tun_device *)(uintptr_t)dev)->fd : -1;
}

int tun_device_set_nonblocking(tun_device *dev, bool on)
{
    if (!dev)
        return tun_fail(TUN_EINVAL, "tun_device_set_nonblocking: NULL device");
    atomic_store_explicit(&tun_unix_io_of(dev)->nonblocking, on,
                          memory_order_relaxed);
    return 0;
}
