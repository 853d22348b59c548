/* Change notifications on Linux (see tun_backend_events_*() in
 * src/internal.h): an rtnetlink socket joined to the link and address
 * groups, drained by netlink.c. */
#include "device.h"
#include "netlink.h"

#include <stdlib.h>
#include <unistd.h>

struct tun_linux_events {
    int fd;
};

int tun_backend_events_open(tun_device *dev, void **source)
{
    int rc = tun_unix_need_interface(dev, "tun_events_open");
    if (rc < 0)
        return rc;
    struct tun_linux_events *ev = malloc(sizeof(*ev));
    if (!ev)
        return tun_fail(TUN_ENOMEM, "tun_events_open: out of memory");
    if ((rc = tun_nl_events_open(&ev->fd, true)) < 0) {
        free(ev);
        return rc;
    }
    *source = ev;
    return 0;
}

tun_os_fd tun_backend_events_fd(const void *source)
{
    const struct tun_linux_events *ev = source;
    return ev->fd;
}

int tun_backend_events_drain(void *source, tun_device *dev)
{
    struct tun_linux_events *ev = source;
    return tun_nl_events_drain(ev->fd, dev->io.ifindex, NULL);
}

void tun_backend_events_close(void *source)
{
    struct tun_linux_events *ev = source;
    close(ev->fd);
    free(ev);
}
