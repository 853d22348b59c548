/* macOS and iOS L3 devices: utun, a kernel-control socket whose packets
 * carry a 4-byte address family (added and stripped in src/bsd/device.c).
 * L2 configs go to feth.c. tun_find_utun_fd() finds the socket of an iOS
 * packet tunnel among the process's descriptors. */
#include "compat.h"
#include "feth.h"
#include "../bsd/device.h"
#include "../bsd/ifconfig.h"
#include "../iface.h"

#include <TargetConditionals.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

/* The interface name behind a utun socket. */
static int tun_utun_name(int fd, char name[IFNAMSIZ])
{
    socklen_t len = IFNAMSIZ;
    memset(name, 0, IFNAMSIZ);
    if (getsockopt(fd, SYSPROTO_CONTROL, UTUN_OPT_IFNAME, name, &len) != 0)
        return -errno;
    name[IFNAMSIZ - 1] = '\0';
    return 0;
}

#if !TARGET_OS_IPHONE
/* Make a socket of ours non-blocking. */
static int tun_utun_nonblocking(int fd)
{
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) != 0)
        return tun_fail_errno(errno, "fcntl on the utun socket");
    return 0;
}

/* sc_unit is the interface's unit plus one (0 asks for the next free). */
#define TUN_UTUN_MAX_UNIT 0x7ffffffeL

/* Connect a new utun socket to unit (-1: the next free one). */
static int tun_utun_connect(long unit, int *fd_out, char name[IFNAMSIZ])
{
    int fd = tun_ifc_socket_cloexec(PF_SYSTEM, SOCK_DGRAM, SYSPROTO_CONTROL);
    if (fd < 0)
        return tun_fail_errno(errno, "socket(PF_SYSTEM, SYSPROTO_CONTROL)");
    struct ctl_info info;
    memset(&info, 0, sizeof(info));
    snprintf(info.ctl_name, sizeof(info.ctl_name), "%s", UTUN_CONTROL_NAME);
    if (ioctl(fd, CTLIOCGINFO, &info) != 0) {
        int err = errno;
        close(fd);
        return tun_fail_errno(err, "CTLIOCGINFO \"%s\" (no utun kernel "
                              "control?)", UTUN_CONTROL_NAME);
    }
    struct sockaddr_ctl sc;
    memset(&sc, 0, sizeof(sc));
    sc.sc_len = sizeof(sc);
    sc.sc_family = AF_SYSTEM;
    sc.ss_sysaddr = AF_SYS_CONTROL;
    sc.sc_id = info.ctl_id;
    sc.sc_unit = unit < 0 ? 0 : (uint32_t)unit + 1;
    if (connect(fd, (struct sockaddr *)&sc, sizeof(sc)) != 0) {
        int err = errno;
        close(fd);
        if (err == EBUSY && unit >= 0)
            return tun_fail(TUN_EBUSY, "connect to utun%ld: the unit is in "
                            "use (choose another or \"utun%%d\")", unit);
        if (err == EBUSY || err == ENOBUFS)
            return tun_fail(TUN_ENOSPC, "connect to utun: no free utun unit "
                            "(%s)", strerror(err));
        return tun_fail_errno(err, "connect to the utun control (unit %ld)",
                              unit);
    }
    int rc = tun_utun_name(fd, name);
    if (rc < 0) {
        close(fd);
        return tun_fail_errno(-rc, "getsockopt UTUN_OPT_IFNAME");
    }
    if ((rc = tun_utun_nonblocking(fd)) < 0) {
        close(fd);
        return rc;
    }
    *fd_out = fd;
    return 0;
}
#endif

int tun_backend_open(const tun_config *cfg, tun_device **out)
{
#if TARGET_OS_IPHONE
    (void)cfg;
    (void)out;
    return tun_fail(TUN_ENOTSUP, "tun_open: iOS and tvOS apps get their "
                    "tunnel from NEPacketTunnelProvider: use tun_open_fd()");
#else
    int rc = tun_bsd_check_config(cfg);
    if (rc < 0)
        return rc;
    if (cfg->layer == TUN_LAYER_L2)
        return tun_darwin_feth_open(cfg, out);
    long unit;
    if ((rc = tun_iface_unit(cfg->name, "utun", TUN_UTUN_MAX_UNIT, &unit)) < 0)
        return rc;
    int fd;
    char name[IFNAMSIZ];
    /* Every connect makes a new utun; a unit in use is EBUSY, which
     * exclusive create reports as the name being taken. */
    snprintf(name, sizeof(name), "utun%ld", unit);
    if (cfg->exclusive && unit >= 0 && if_nametoindex(name) != 0)
        return tun_fail(TUN_EEXIST, "interface %s exists and exclusive "
                        "create was asked for (choose another name or "
                        "\"utun%%d\")", name);
    if ((rc = tun_utun_connect(unit, &fd, name)) < 0)
        return rc;
    unsigned ifindex = if_nametoindex(name);
    unsigned flags = cfg->packet_info ? TUN_FLAG_PACKET_INFO : 0;
    tun_device *dev;
    if (ifindex == 0) {
        rc = tun_fail_errno(errno, "finding the index of %s", name);
    } else if ((rc = tun_bsd_device_new(fd, ifindex, flags, cfg->nonblocking,
                                        &dev)) == 0) {
        dev->family_header = true;
        dev->point_to_point = true;
        /* Closing the socket removes the interface and its addresses. */
        if ((rc = tun_bsd_configure(dev, cfg)) == 0) {
            *out = dev;
            return 0;
        }
        tun_unix_device_free(dev);
    }
    close(fd);
    return rc;
#endif
}

/* The layout tun_iface_control_peer() reads (src/iface.h). */
_Static_assert(AF_SYSTEM == TUN_IFACE_AF_SYSTEM, "AF_SYSTEM");
_Static_assert(AF_SYS_CONTROL == TUN_IFACE_AF_SYS_CONTROL, "AF_SYS_CONTROL");
_Static_assert(offsetof(struct sockaddr_ctl, sc_family) == 1, "sc_family");
_Static_assert(offsetof(struct sockaddr_ctl, ss_sysaddr) == 2, "ss_sysaddr");
_Static_assert(offsetof(struct sockaddr_ctl, sc_id) ==
                   TUN_IFACE_CTL_ID_OFFSET, "sc_id");

/* Descriptors tun_find_utun_fd() looks at, at most. */
#define TUN_UTUN_SCAN_MAX 65536

/* Whether fd is connected to the utun kernel control. utun_id is the
 * control's id once learnt (0 before): CTLIOCGINFO on the first kernel
 * control socket found, as an app cannot count on opening one itself. */
static bool tun_utun_probe(void *arg, int fd)
{
    uint32_t *utun_id = arg;
    struct sockaddr_ctl peer;
    socklen_t len = sizeof(peer);
    uint32_t ctl_id;
    memset(&peer, 0, sizeof(peer));
    if (getpeername(fd, (struct sockaddr *)&peer, &len) != 0 ||
        !tun_iface_control_peer(&peer, len, &ctl_id))
        return false;
    if (*utun_id == 0) {
        struct ctl_info info;
        memset(&info, 0, sizeof(info));
        snprintf(info.ctl_name, sizeof(info.ctl_name), "%s",
                 UTUN_CONTROL_NAME);
        if (ioctl(fd, CTLIOCGINFO, &info) == 0)
            *utun_id = info.ctl_id;
    }
    char name[IFNAMSIZ];
    bool named = *utun_id == 0 && tun_utun_name(fd, name) == 0;
    return tun_iface_is_utun_control(ctl_id, *utun_id, named ? name : NULL);
}

int tun_find_utun_fd(int *fd)
{
    if (!fd)
        return tun_fail(TUN_EINVAL, "tun_find_utun_fd: NULL pointer");
    struct rlimit rl;
    int limit = TUN_UTUN_SCAN_MAX;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < (rlim_t)limit)
        limit = (int)rl.rlim_cur;
    uint32_t utun_id = 0;
    if (tun_iface_find_fd(limit, tun_utun_probe, &utun_id, fd) < 0)
        return tun_fail(TUN_ENOENT, "tun_find_utun_fd: none of descriptors "
                        "0..%d is connected to the utun control (call it in "
                        "the packet tunnel provider's process, once its "
                        "tunnel settings are applied)", limit - 1);
    return 0;
}

int tun_open_fd(int fd, unsigned flags, tun_device **out)
{
    int fl = tun_unix_check_adopted(fd, flags, out);
    if (fl < 0)
        return fl;
    int rc;
    unsigned ifindex = 0;
    if (!(flags & TUN_FD_RAW)) {
        /* NEPacketTunnelProvider's packetFlow is backed by such a socket;
         * UTUN_OPT_IFNAME is how to find which utun it is. */
        char name[IFNAMSIZ];
        rc = tun_utun_name(fd, name);
        if (rc < 0)
            return tun_fail(TUN_ENOTTY, "tun_open_fd: fd %d is not a utun "
                            "socket (getsockopt UTUN_OPT_IFNAME: %s)", fd,
                            strerror(-rc));
        ifindex = if_nametoindex(name);
        if (ifindex == 0)
            return tun_fail_errno(errno, "tun_open_fd: finding the index of "
                                  "%s", name);
    }
    int nonblocking = tun_unix_adopt_nonblocking(fd, fl);
    if (nonblocking < 0)
        return nonblocking;
    unsigned dflags = (flags & TUN_FD_BORROW) ? TUN_FLAG_BORROWED : 0;
    tun_device *dev;
    if ((rc = tun_bsd_device_new(fd, ifindex, dflags, nonblocking, &dev)) < 0)
        return rc;
    dev->family_header = true;
    dev->point_to_point = true;
    *out = dev;
    return 0;
}

int tun_device_set_persist(tun_device *dev, bool on)
{
    (void)on;
    int rc = tun_unix_need_interface(dev, "tun_device_set_persist");
    if (rc < 0)
        return rc;
    return tun_fail(TUN_ENOTSUP, "tun_device_set_persist: a utun interface "
                    "ends with its descriptor and libtun removes the feth "
                    "pair it made (macOS, iOS)");
}
