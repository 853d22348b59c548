/* Linux kernel hooks (see "Linux kernel hooks" in tun.h): moving the
 * interface into another network namespace (rtnetlink), the descriptor's
 * send buffer and the eBPF programs the tun driver runs (ioctls on the
 * descriptor). Other platforms: src/linux_calls.c. */
#include "device.h"
#include "netlink.h"

#include <linux/bpf.h>
#include <linux/if_tun.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

/* nsfs's ioctl (Linux 4.11), for C libraries whose headers lack it. */
#ifndef NS_GET_NSTYPE
#define NS_GET_NSTYPE _IO(0xb7, 0x3)
#endif

/* A descriptor of a network namespace, or a reason why netns_fd is not. */
static int tun_linux_check_netns_fd(int netns_fd)
{
    if (netns_fd < 0)
        return tun_fail(TUN_EINVAL, "tun_device_set_netns: %d is not a "
                        "descriptor", netns_fd);
    int type = ioctl(netns_fd, NS_GET_NSTYPE);
    if (type < 0 && errno == EBADF)
        return tun_fail(TUN_EBADF, "tun_device_set_netns: descriptor %d is "
                        "not open", netns_fd);
    if (type < 0)
        return tun_fail(TUN_EINVAL, "tun_device_set_netns: descriptor %d is "
                        "not a namespace (open /proc/PID/ns/net or "
                        "/run/netns/NAME)", netns_fd);
    if (type != CLONE_NEWNET)
        return tun_fail(TUN_EINVAL, "tun_device_set_netns: descriptor %d is "
                        "a namespace of another kind, not a network "
                        "namespace (/proc/PID/ns/net)", netns_fd);
    return 0;
}

int tun_device_set_netns(tun_device *dev, int netns_fd)
{
    int rc = tun_unix_need_interface(dev, "tun_device_set_netns");
    if (rc == 0)
        rc = tun_linux_check_netns_fd(netns_fd);
    if (rc < 0)
        return rc;
    struct tun_nl_link_change chg;
    memset(&chg, 0, sizeof(chg));
    chg.has_netns = true;
    chg.netns_fd = netns_fd;
    unsigned ifindex = dev->io.ifindex;
    /* Kernels before 5.13 ignore IFLA_NEW_IFINDEX and renumber the link
     * when its index is taken there; the RTM_DELLINK it leaves behind says
     * the new one (4.16+). Without a socket to hear it the move still
     * goes ahead, as before. */
    int heard = -1;
    if (tun_nl_events_open(&heard, false) < 0)
        tun_log(TUN_LOG_DEBUG, "tun_device_set_netns: %s (a new index "
                "will not be learnt)", tun_last_error());
    rc = tun_nl_link_set(ifindex, &chg);
    if (heard >= 0 && rc == 0) {
        /* The notice is queued before the request's answer. */
        unsigned moved_to = 0;
        (void)tun_nl_events_drain(heard, ifindex, &moved_to);
        if (moved_to && moved_to != ifindex) {
            tun_log(TUN_LOG_INFO, "tun_device_set_netns: the kernel gave the "
                    "interface index %u in its new namespace (it had %u)",
                    moved_to, ifindex);
            dev->io.ifindex = moved_to;
        } else if (!moved_to) {
            tun_log(TUN_LOG_INFO, "tun_device_set_netns: the kernel's notice "
                    "of the move was not heard (a kernel before 4.16, or a "
                    "notice lost): if it gave the interface a new index, "
                    "this handle still uses %u", ifindex);
        }
    }
    if (heard >= 0)
        close(heard);
    /* Both are refusals before anything moved (net/core/dev.c). */
    if (rc == TUN_EBUSY)
        return tun_fail(TUN_EEXIST, "tun_device_set_netns: the target "
                        "namespace has an interface with index %u, which "
                        "this interface keeps wherever it goes (the index "
                        "is what the handle knows it by): %s",
                        ifindex, tun_last_error());
    if (rc == TUN_EEXIST)
        return tun_fail(rc, "tun_device_set_netns: the target namespace has "
                        "an interface of this name (rename one of them "
                        "first): %s", tun_last_error());
    if (rc < 0)
        return tun_fail(rc, "tun_device_set_netns: %s", tun_last_error());
    return 0;
}

int tun_linux_ioctl_failed(int err, const char *what)
{
    if (err == EBADFD)
        return tun_fail(TUN_ENODEV, "%s: the interface was deleted", what);
    return tun_fail_errno(err, "%s", what);
}

int tun_device_set_sndbuf(tun_device *dev, int bytes)
{
    if (!dev)
        return tun_fail(TUN_EINVAL, "tun_device_set_sndbuf: NULL device");
    if (bytes <= 0)
        return tun_fail(TUN_EINVAL, "tun_device_set_sndbuf: %d bytes (1 or "
                        "more; INT_MAX for no limit)", bytes);
    if (ioctl(dev->io.fd, TUNSETSNDBUF, &bytes) != 0)
        return tun_linux_ioctl_failed(errno, "tun_device_set_sndbuf: "
                                      "TUNSETSNDBUF");
    return 0;
}

int tun_device_get_sndbuf(tun_device *dev, int *bytes)
{
    if (!dev || !bytes)
        return tun_fail(TUN_EINVAL, "tun_device_get_sndbuf: NULL pointer");
    if (ioctl(dev->io.fd, (tun_ioctl_request)TUNGETSNDBUF, bytes) != 0)
        return tun_linux_ioctl_failed(errno, "tun_device_get_sndbuf: "
                                      "TUNGETSNDBUF");
    return 0;
}

/* Where the kernel can say what prog_fd is, a reason when it is not a
 * socket filter program, which is all the tun driver takes; 0 also when
 * bpf() is closed to this process (the ioctl then decides). */
static int tun_linux_check_bpf_prog(int prog_fd, const char *what)
{
    struct bpf_prog_info info;
    memset(&info, 0, sizeof(info));
    union bpf_attr attr;
    memset(&attr, 0, sizeof(attr));
    attr.info.bpf_fd = (uint32_t)prog_fd;
    attr.info.info_len = sizeof(info);
    attr.info.info = (uint64_t)(uintptr_t)&info;
    if (syscall(SYS_bpf, BPF_OBJ_GET_INFO_BY_FD, &attr, sizeof(attr)) != 0) {
        /* bpf() says EBADFD where every other call says EBADF. */
        if (errno == EBADF || errno == EBADFD)
            return tun_fail(TUN_EBADF, "%s: descriptor %d is not open", what,
                            prog_fd);
        /* bpf() closed to this process (or absent): the check cannot be
         * made here, so the TUNSET*EBPF ioctl's own answer decides. */
        if (errno == EPERM || errno == ENOSYS)
            return 0;
        return tun_fail(TUN_EINVAL, "%s: descriptor %d is not a BPF "
                        "program (load one with bpf(BPF_PROG_LOAD))", what,
                        prog_fd);
    }
    /* A map or link answers with its own info, whose first field is its
     * type too (a hash map's is 1, a socket filter's number): only the
     * descriptor's own name tells a program, where /proc is there. */
    char link[64], target[32];
    snprintf(link, sizeof(link), "/proc/self/fd/%d", prog_fd);
    ssize_t n = readlink(link, target, sizeof(target) - 1);
    if (n > 0) {
        target[n] = '\0';
        if (strcmp(target, "anon_inode:bpf-prog") != 0)
            return tun_fail(TUN_EINVAL, "%s: descriptor %d is not a BPF "
                            "program but %s (load one with "
                            "bpf(BPF_PROG_LOAD))", what, prog_fd, target);
    }
    if (info.type != BPF_PROG_TYPE_SOCKET_FILTER)
        return tun_fail(TUN_EINVAL, "%s: descriptor %d is not a BPF program "
                        "of type BPF_PROG_TYPE_SOCKET_FILTER (type %u), the "
                        "only type the tun driver runs", what, prog_fd,
                        info.type);
    return 0;
}

/* TUNSETSTEERINGEBPF or TUNSETFILTEREBPF (named by ioctl_name) with
 * prog_fd, -1 to detach. */
static int tun_linux_set_ebpf(tun_device *dev, tun_ioctl_request request,
                              const char *ioctl_name, const char *what,
                              int prog_fd)
{
    if (!dev)
        return tun_fail(TUN_EINVAL, "%s: NULL device", what);
    if (prog_fd < -1)
        return tun_fail(TUN_EINVAL, "%s: %d is not a descriptor (-1 "
                        "detaches)", what, prog_fd);
    int rc = prog_fd == -1 ? 0 : tun_linux_check_bpf_prog(prog_fd, what);
    if (rc < 0)
        return rc;
    int fd = prog_fd;
    if (ioctl(dev->io.fd, request, &fd) == 0)
        return 0;
    int err = errno;
    /* The program passed its check, so the driver does not know the
     * request (or the program is of a type the check could not read). */
    if (err == EINVAL)
        return tun_fail(TUN_ENOTSUP, "%s: %s refused descriptor %d: this "
                        "kernel's tun driver has no such eBPF hook (Linux "
                        "4.16+ for steering, 4.19+ for filters), or the "
                        "descriptor is no BPF_PROG_TYPE_SOCKET_FILTER "
                        "program", what, ioctl_name, prog_fd);
    char step[128];
    snprintf(step, sizeof(step), "%s: %s %d", what, ioctl_name, prog_fd);
    return tun_linux_ioctl_failed(err, step);
}

int tun_device_set_steering_ebpf(tun_device *dev, int prog_fd)
{
    return tun_linux_set_ebpf(dev, (tun_ioctl_request)TUNSETSTEERINGEBPF,
                              "TUNSETSTEERINGEBPF",
                              "tun_device_set_steering_ebpf", prog_fd);
}

int tun_device_set_filter_ebpf(tun_device *dev, int prog_fd)
{
    return tun_linux_set_ebpf(dev, (tun_ioctl_request)TUNSETFILTEREBPF,
                              "TUNSETFILTEREBPF", "tun_device_set_filter_ebpf",
                              prog_fd);
}
