/* Change notifications on macOS and the BSDs (see tun_backend_events_*() in
 * src/internal.h): a routing socket, whose RTM_IFINFO (flags, link state,
 * MTU), RTM_NEWADDR, RTM_DELADDR and, where the system has it,
 * RTM_IFANNOUNCE (arrival and departure) messages name the interface by
 * index. */
#include "device.h"
#include "ifconfig.h"
#include "../unix/control.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#if defined(__APPLE__)
#include "../darwin/compat.h"
#endif
/* Xcode's iOS and tvOS SDKs have no net/route.h, whose message types a
 * routing socket's reader needs: no events there. */
#if !defined(__APPLE__) || __has_include(<net/route.h>)
#include <net/route.h>

/* The receive queue asked for a routing socket of events. */
#define TUN_BSD_EVENTS_QUEUE (256 * 1024)

struct tun_bsd_events {
    int fd;
};

int tun_backend_events_open(tun_device *dev, void **source)
{
    int rc = tun_unix_need_interface(dev, "tun_events_open");
    if (rc < 0)
        return rc;
    int fd = tun_ifc_socket_cloexec(PF_ROUTE, SOCK_RAW, AF_UNSPEC);
    if (fd < 0)
        return tun_fail_errno(errno, "routing socket for notifications");
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) != 0) {
        int err = errno;
        close(fd);
        return tun_fail_errno(err, "routing socket: fcntl");
    }
#if defined(SO_RERROR)
    /* FreeBSD 13+ and NetBSD 9+ report a receive queue overflow (ENOBUFS
     * on read, which counts as a change) only when asked; without it the
     * lost messages go unnoticed. Best effort: the events still work. */
    int on = 1;
    (void)setsockopt(fd, SOL_SOCKET, SO_RERROR, &on, sizeof(on));
#endif
    /* A routing socket's queue is small by default (8 KiB on macOS), and
     * every interface's and route's changes share it: room for a burst
     * makes an overflow rarer, which macOS and older FreeBSD and NetBSD do
     * not report. Best effort: the system may cap it. */
    int size = TUN_BSD_EVENTS_QUEUE;
    (void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
    struct tun_bsd_events *ev = malloc(sizeof(*ev));
    if (!ev) {
        close(fd);
        return tun_fail(TUN_ENOMEM, "tun_events_open: out of memory");
    }
    ev->fd = fd;
    *source = ev;
    return 0;
}

tun_os_fd tun_backend_events_fd(const void *source)
{
    const struct tun_bsd_events *ev = source;
    return ev->fd;
}

/* Whether a routing message may concern interface ifindex: it names that
 * index, or it says that messages were lost. */
static bool tun_bsd_event_concerns(const uint8_t *msg, size_t len,
                                   unsigned ifindex)
{
    if (len < 4 || msg[2] != RTM_VERSION)
        return false;
    switch (msg[3]) {
    case RTM_IFINFO: {
        struct if_msghdr m;
        if (len < sizeof(m))
            return false;
        memcpy(&m, msg, sizeof(m));
        return m.ifm_index == ifindex;
    }
    case RTM_NEWADDR:
    case RTM_DELADDR: {
        struct ifa_msghdr m;
        if (len < sizeof(m))
            return false;
        memcpy(&m, msg, sizeof(m));
        return m.ifam_index == ifindex;
    }
#if defined(RTM_IFANNOUNCE)
    case RTM_IFANNOUNCE: {
        struct if_announcemsghdr m;
        if (len < sizeof(m))
            return false;
        memcpy(&m, msg, sizeof(m));
        return m.ifan_index == ifindex;
    }
#endif
#if defined(RTM_DESYNC)
    case RTM_DESYNC: /* OpenBSD: the socket's queue overflowed */
        return true;
#endif
    default:
        return false;
    }
}

int tun_backend_events_drain(void *source, tun_device *dev)
{
    struct tun_bsd_events *ev = source;
    /* Each read returns one message; interface messages are small. */
    uint8_t buf[4096];
    int concerned = 0;
    for (;;) {
        ssize_t n = read(ev->fd, buf, sizeof(buf));
        if (n < 0) {
            int rc = tun_unix_notification_error(errno, &concerned,
                                                  "routing socket");
            if (rc <= 0)
                return rc < 0 ? rc : concerned;
            continue;
        }
        if (tun_bsd_event_concerns(buf, (size_t)n, dev->io.ifindex))
            concerned = 1;
    }
}

void tun_backend_events_close(void *source)
{
    struct tun_bsd_events *ev = source;
    close(ev->fd);
    free(ev);
}
#else
int tun_backend_events_open(tun_device *dev, void **source)
{
    (void)dev;
    (void)source;
    return tun_fail(TUN_ENOTSUP, "tun_events_open: this SDK has no routing "
                    "socket messages (iOS, tvOS)");
}

tun_os_fd tun_backend_events_fd(const void *source)
{
    (void)source;
    return -1;
}

int tun_backend_events_drain(void *source, tun_device *dev)
{
    (void)source;
    (void)dev;
    return 0;
}

void tun_backend_events_close(void *source)
{
    (void)source;
}
#endif
