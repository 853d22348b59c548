/* Opening tun (L3) and tap (L2) devices on FreeBSD, OpenBSD and NetBSD,
 * following tun(4), tap(4) and if_tun.h of each; everything after the open
 * is shared with macOS (device.c, ifconfig.c). What differs:
 *   FreeBSD  /dev/tun and /dev/tap clone the next free unit; /dev/tunN
 *            makes unit N; any other name is a clone renamed (SIOCSIFNAME).
 *            TUNSIFHEAD puts the family header on every packet. Interfaces
 *            outlive their descriptor: without persist TUNSTRANSIENT (15+)
 *            or libtun destroys the ones it made.
 *   OpenBSD  only tunN/tapN; opening /dev/tunN creates the interface and
 *            the last close destroys it, unless SIOCIFCREATE made it first
 *            (what persist does). tun always has the family header.
 *   NetBSD   tun: /dev/tunN as OpenBSD, TUNSIFHEAD as FreeBSD, interfaces
 *            stay (destroyed by libtun without persist); tap: /dev/tap
 *            clones one that its last close destroys, TAPGIFNAME names it;
 *            /dev/tapN opens only a tapN that SIOCIFCREATE made.
 * An interface that existed before tun_open() is never destroyed by it.
 * Compiled against FreeBSD and NetBSD headers by scripts/test.sh (not
 * OpenBSD's; never run here): see docs/design.md. */
#include "device.h"
#include "ifconfig.h"
#include "../iface.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <net/if_tun.h>
#if defined(__FreeBSD__) || defined(__NetBSD__)
#include <net/if_tap.h>
#endif

/* Units tried when the system has no cloning device for the driver. */
#define TUN_BSD_MAX_UNIT 255

/* The interface behind a tun/tap descriptor: the driver's name ioctl where
 * it has one, else the device node's name (tunN is interface tunN). */
static int tun_bsd_fd_name(int fd, bool l2, char name[IFNAMSIZ])
{
    struct ifreq ifr;
    memset(&ifr, 0, sizeof(ifr));
#if defined(TAPGIFNAME)
    if (l2 && ioctl(fd, TAPGIFNAME, &ifr) == 0) {
        snprintf(name, IFNAMSIZ, "%s", ifr.ifr_name);
        return 0;
    }
#endif
#if defined(TUNGIFNAME)
    if (!l2 && ioctl(fd, TUNGIFNAME, &ifr) == 0) {
        snprintf(name, IFNAMSIZ, "%s", ifr.ifr_name);
        return 0;
    }
#endif
    (void)l2;
    struct stat st;
    const char *dev = NULL;
    if (fstat(fd, &st) == 0 && S_ISCHR(st.st_mode))
        dev = devname(st.st_rdev, S_IFCHR);
    if (!dev || (strncmp(dev, "tun", 3) != 0 && strncmp(dev, "tap", 3) != 0))
        return TUN_ENOTTY;
    snprintf(name, IFNAMSIZ, "%s", dev);
    return 0;
}

/* open() of a device node, non-blocking and close-on-exec. */
static int tun_bsd_open_node(const char *path, int *fd_out)
{
    int fd = open(path, O_RDWR | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0)
        return -errno;
    *fd_out = fd;
    return 0;
}

/* What to try when the driver's node cannot be opened. */
#if defined(__FreeBSD__)
#define TUN_BSD_NODE_HINT                                                      \
    "is the driver loaded (`kldload if_tuntap`) and are we root?"
#else
#define TUN_BSD_NODE_HINT                                                      \
    "is there such a device node? `cd /dev && sh MAKEDEV` makes it"
#endif

/* The reason for a failed open of the driver's node. */
static int tun_bsd_open_error(int rc, const char *path)
{
    if (rc == -ENOENT || rc == -ENXIO || rc == -ENODEV)
        return tun_fail(rc, "open %s: %s (%s)", path, strerror(-rc),
                        TUN_BSD_NODE_HINT);
    if (rc == -EBUSY)
        return tun_fail(TUN_EBUSY, "open %s: the device is open elsewhere",
                        path);
    return tun_fail_errno(-rc, "open %s", path);
}

/* Open the device of unit (or, unit -1, of a new or free unit): the
 * cloning node where the system has one, else the first unit that has no
 * interface yet (one that exists is open elsewhere or is somebody's
 * persistent interface, which "a new device" must not attach to). */
static int tun_bsd_open_device(const char *driver, long unit, int *fd)
{
    char path[32];
    if (unit >= 0) {
        snprintf(path, sizeof(path), "/dev/%s%ld", driver, unit);
        int rc = tun_bsd_open_node(path, fd);
        return rc < 0 ? tun_bsd_open_error(rc, path) : 0;
    }
#if defined(__FreeBSD__) || defined(__NetBSD__)
    bool cloning = true;
#if defined(__NetBSD__)
    cloning = strcmp(driver, "tap") == 0; /* NetBSD clones tap, not tun */
#endif
    if (cloning) {
        snprintf(path, sizeof(path), "/dev/%s", driver);
        int rc = tun_bsd_open_node(path, fd);
        return rc < 0 ? tun_bsd_open_error(rc, path) : 0;
    }
#endif
    int rc = -EBUSY;
    for (long u = 0; u <= TUN_BSD_MAX_UNIT; u++) {
        char name[IFNAMSIZ];
        snprintf(name, sizeof(name), "%s%ld", driver, u);
        if (if_nametoindex(name) != 0)
            continue;
        snprintf(path, sizeof(path), "/dev/%s", name);
        rc = tun_bsd_open_node(path, fd);
        if (rc == 0)
            return 0;
        if (rc != -EBUSY)
            break;
    }
    if (rc == -EBUSY)
        return tun_fail(TUN_ENOSPC, "no free %s unit below %d", driver,
                        TUN_BSD_MAX_UNIT + 1);
    return tun_bsd_open_error(rc, path);
}

/* Whether the last close of a node opened this way destroys the interface
 * that the open created: always on OpenBSD (unless SIOCIFCREATE made it
 * first), for NetBSD's /dev/tap cloner; FreeBSD's and NetBSD's tun keep
 * it. unit -1 is the cloner or a scan for a free unit. */
static bool tun_bsd_open_is_transient(bool l2, long unit)
{
#if defined(__OpenBSD__)
    (void)l2;
    (void)unit;
    return true;
#elif defined(__NetBSD__)
    return l2 && unit < 0;
#else
    (void)l2;
    (void)unit;
    return false;
#endif
}

/* Whether the node opens only an interface that exists: NetBSD's /dev/tapN
 * (tap(4): "ifconfig tapN create, then use /dev/tapN"; else ENXIO). */
static bool tun_bsd_open_needs_interface(bool l2, long unit)
{
#if defined(__NetBSD__)
    return l2 && unit >= 0;
#else
    (void)l2;
    (void)unit;
    return false;
#endif
}

/* Create the interface before its node is opened, as `ifconfig tapN
 * create` does. A unit of -1 becomes the first unit without an interface. */
static int tun_bsd_create_first(const char *driver, long *unit)
{
    char name[IFNAMSIZ];
    for (long u = *unit < 0 ? 0 : *unit; u <= TUN_BSD_MAX_UNIT; u++) {
        snprintf(name, sizeof(name), "%s%ld", driver, u);
        int rc = tun_ifc_create(name);
        if (rc == TUN_EEXIST && *unit < 0)
            continue;
        if (rc == 0)
            *unit = u;
        return rc;
    }
    return tun_fail(TUN_ENOSPC, "no free %s unit below %d", driver,
                    TUN_BSD_MAX_UNIT + 1);
}

/* The largest MTU whose packets the driver takes from write(): FreeBSD's
 * SIOCSIFMTU allows up to 65535, but a write longer than TUNMRU (tun) or
 * TAPMRU (a whole tap frame, link header included) fails with EIO
 * (tunwrite in if_tuntap.c). A tap frame may carry the MTU plus the link
 * header that tun_write() allows (Ethernet and a VLAN tag, 18 bytes), so
 * that header comes off TAPMRU. Elsewhere SIOCSIFMTU itself keeps the
 * driver's limit: 0, nothing to add. */
static unsigned tun_bsd_max_mtu(bool l2)
{
#if defined(__FreeBSD__)
    return l2 ? TAPMRU - TUN_ETH_FRAME_HEADER : TUNMRU;
#else
    (void)l2;
    return 0;
#endif
}

/* Make the driver itself non-blocking. NetBSD's tun and tap decide whether
 * a read sleeps from their own flag (TUN_NBIO, TAP_NBIO), which only
 * FIONBIO sets: O_NONBLOCK at open does not reach it, the /dev/tap cloner
 * drops it, and an adopted descriptor may have had O_NONBLOCK all along.
 * Without it a read with nothing queued sleeps in the kernel, past every
 * timeout and tun_interrupt(). FreeBSD's driver takes FIONBIO too; a driver
 * that answers ENOTTY goes by the descriptor's O_NONBLOCK, which is set. */
static int tun_bsd_driver_nonblocking(int fd)
{
    int on = 1;
    if (ioctl(fd, FIONBIO, &on) != 0 && errno != ENOTTY)
        return tun_fail_errno(errno, "FIONBIO on the device (fd %d)", fd);
    return 0;
}

/* Switch the descriptor to the family-header mode where the driver has a
 * choice (FreeBSD, NetBSD): without it only IPv4 could be written. */
static int tun_bsd_family_header_mode(int fd, const char *name)
{
#if defined(TUNSIFHEAD)
    int on = 1;
    if (ioctl(fd, TUNSIFHEAD, &on) != 0)
        return tun_fail_errno(errno, "TUNSIFHEAD on %s", name);
#else
    (void)fd;
    (void)name;
#endif
    return 0;
}

int tun_backend_open(const tun_config *cfg, tun_device **out)
{
    int rc = tun_bsd_check_config(cfg);
    if (rc < 0)
        return rc;
    bool l2 = cfg->layer == TUN_LAYER_L2;
    const char *driver = l2 ? "tap" : "tun";
    if (l2 && cfg->packet_info)
        return tun_fail(TUN_ENOTSUP, "packet information: tap devices carry "
                        "plain Ethernet frames here");
    long unit;
    const char *rename_to = NULL;
    if ((rc = tun_iface_unit(cfg->name, driver, TUN_BSD_MAX_UNIT, &unit)) < 0) {
#if defined(__FreeBSD__)
        /* FreeBSD takes any name: a clone renamed. */
        if (!strchr(cfg->name, '%')) {
            rename_to = cfg->name;
            unit = -1;
            rc = 0;
        }
#endif
        if (rc < 0)
            return rc;
    }
    char name[IFNAMSIZ];
    snprintf(name, sizeof(name), "%s%ld", driver, unit);
    bool existed = unit >= 0 && if_nametoindex(name) != 0;
    if (rename_to && if_nametoindex(rename_to) != 0)
        return tun_fail(TUN_EEXIST, "interface %s exists already", rename_to);
    if (existed && cfg->exclusive)
        return tun_fail(TUN_EEXIST, "interface %s exists and exclusive "
                        "create was asked for (choose another name or a "
                        "\"%%d\" pattern)", name);
    /* Create the interface first where the open would not make it, or
     * would make one that its last close destroys although persist is
     * asked for. */
    bool created = false;
    if (!existed && (tun_bsd_open_needs_interface(l2, unit) ||
                     (cfg->persist && tun_bsd_open_is_transient(l2, unit)))) {
        if ((rc = tun_bsd_create_first(driver, &unit)) < 0)
            return rc;
        created = true;
        snprintf(name, sizeof(name), "%s%ld", driver, unit);
    }
    /* Whether the kernel removes the interface at the last close. */
    bool kernel_destroys = !created && tun_bsd_open_is_transient(l2, unit);
    int fd;
    if ((rc = tun_bsd_open_device(driver, unit, &fd)) < 0) {
        if (created) {
            tun_kept_reason reason;
            tun_reason_keep(&reason);
            tun_ifc_destroy(name);
            return tun_fail(rc, "%s", reason.text);
        }
        return rc;
    }
    if ((rc = tun_bsd_fd_name(fd, l2, name)) < 0) {
        close(fd);
        if (created)
            tun_ifc_destroy(name);
        return tun_fail(TUN_EIO, "finding the interface of the opened %s "
                        "device", driver);
    }
    /* From here on a failure removes an interface this call made; an
     * interface that existed before is never removed by libtun. */
    bool made = !existed;
    bool transient = false;
#if defined(TUNSTRANSIENT)
    /* FreeBSD 15: the kernel itself destroys the interface at the last
     * close, also when the process dies first. Older kernels answer
     * ENOTTY and tun_close() destroys it instead. */
    int on = 1;
    transient = made && !cfg->persist && ioctl(fd, TUNSTRANSIENT, &on) == 0;
#endif
    unsigned flags = l2 ? TUN_FLAG_L2 : 0;
    if (cfg->packet_info)
        flags |= TUN_FLAG_PACKET_INFO;
    tun_device *dev = NULL;
    rc = tun_bsd_driver_nonblocking(fd);
    if (rc == 0 && !l2)
        rc = tun_bsd_family_header_mode(fd, name);
    if (rc == 0 && rename_to && (rc = tun_ifc_rename(name, rename_to)) == 0)
        snprintf(name, sizeof(name), "%s", rename_to);
    unsigned ifindex = if_nametoindex(name);
    if (rc == 0 && ifindex == 0)
        rc = tun_fail_errno(errno, "finding the index of %s", name);
    if (rc == 0)
        rc = tun_bsd_device_new(fd, ifindex, flags, cfg->nonblocking, &dev);
    if (rc == 0) {
        dev->family_header = !l2;
        dev->point_to_point = !l2;
        dev->max_mtu = tun_bsd_max_mtu(l2);
        rc = tun_bsd_configure(dev, cfg);
    }
    if (rc < 0) {
        tun_kept_reason reason;
        tun_reason_keep(&reason);
        close(fd);
        if (dev)
            tun_unix_device_free(dev);
        if (made && if_nametoindex(name) != 0)
            tun_ifc_destroy(name);
        return tun_fail(rc, "%s", reason.text);
    }
    dev->kernel_destroys = made && kernel_destroys;
    dev->transient = transient;
    dev->destroy_on_close = made && !cfg->persist && !kernel_destroys &&
                            !transient;
    /* An interface there before the open outlived its descriptors. */
    atomic_store_explicit(&dev->persist, !made || cfg->persist,
                          memory_order_relaxed);
    *out = dev;
    return 0;
}

int tun_open_fd(int fd, unsigned flags, tun_device **out)
{
    int fl = tun_unix_check_adopted(fd, flags, out);
    if (fl < 0)
        return fl;
    unsigned dflags = (flags & TUN_FD_BORROW) ? TUN_FLAG_BORROWED : 0;
    unsigned ifindex = 0;
    bool family_header = true; /* TUN_FD_RAW: the usual tun framing */
    int rc;
    if (!(flags & TUN_FD_RAW)) {
        char name[IFNAMSIZ];
        if ((tun_bsd_fd_name(fd, false, name) < 0 ||
             strncmp(name, "tap", 3) == 0) &&
            tun_bsd_fd_name(fd, true, name) < 0)
            return tun_fail(TUN_ENOTTY, "tun_open_fd: fd %d is not a tun or "
                            "tap device", fd);
        /* The interface type tells tun from tap, not the name: FreeBSD
         * renames either. */
        bool l2;
        if ((rc = tun_ifc_is_ethernet(name, &l2)) < 0)
            return tun_fail(rc, "tun_open_fd: %s", tun_last_error());
        if (l2) {
            dflags |= TUN_FLAG_L2;
            family_header = false;
        }
#if defined(TUNGIFHEAD)
        /* Whether the family header is on is the descriptor's own mode. */
        int on = 0;
        if (!l2 && ioctl(fd, TUNGIFHEAD, &on) == 0)
            family_header = on != 0;
#endif
        ifindex = if_nametoindex(name);
        if (ifindex == 0)
            return tun_fail_errno(errno, "tun_open_fd: finding the index of "
                                  "%s", name);
    }
    int nonblocking = tun_unix_adopt_nonblocking(fd, fl);
    if (nonblocking < 0)
        return nonblocking;
    if ((rc = tun_bsd_driver_nonblocking(fd)) < 0)
        return rc;
    tun_device *dev;
    if ((rc = tun_bsd_device_new(fd, ifindex, dflags, nonblocking, &dev)) < 0)
        return rc;
    dev->family_header = family_header;
    dev->point_to_point = !(dflags & TUN_FLAG_L2);
    if (ifindex)
        dev->max_mtu = tun_bsd_max_mtu(dflags & TUN_FLAG_L2);
    *out = dev;
    return 0;
}

int tun_device_set_persist(tun_device *dev, bool on)
{
    int rc = tun_unix_need_interface(dev, "tun_device_set_persist");
    if (rc < 0)
        return rc;
    if (dev->kernel_destroys) {
        if (on)
            return tun_fail(TUN_ENOTSUP, "tun_device_set_persist: the kernel "
                            "destroys this interface at the last close of "
                            "its device node (open it with persist instead)");
        return 0;
    }
#if defined(TUNSTRANSIENT)
    if (dev->transient) {
        int transient = !on;
        if (ioctl(dev->io.fd, TUNSTRANSIENT, &transient) != 0)
            return tun_fail_errno(errno, "tun_device_set_persist: "
                                  "TUNSTRANSIENT %d", transient);
    } else
#endif
    {
        dev->destroy_on_close = !on;
    }
    atomic_store_explicit(&dev->persist, on, memory_order_relaxed);
    return 0;
}
