/*
 * adopt_fd: use a TUN/TAP descriptor that someone else opened.
 *
 * On Android (VpnService), iOS (NEPacketTunnelProvider) or OpenHarmony the
 * platform creates the interface and hands the program a file descriptor;
 * a privileged helper may also pass one over a Unix socket. This program
 * plays the platform: it opens /dev/net/tun and attaches it to an
 * interface with open() + ioctl(TUNSETIFF), then gives the descriptor to
 * libtun in each way tun_open_fd() allows:
 *   borrowed  TUN_FD_BORROW: tun_close() leaves the fd open for its owner
 *   raw       TUN_FD_BORROW | TUN_FD_RAW: libtun does not query the fd and
 *             assumes plain IP packets (for fds that cannot be queried)
 *   received  sent over a Unix socket (SCM_RIGHTS) to a child process,
 *             which adopts it and owns it
 *   owned     flags 0: tun_close() closes the fd
 * and prints what libtun detected (name, layer, flags) each time.
 *
 * Run as root (or with CAP_NET_ADMIN):
 *   sudo ./adopt_fd
 *   sudo ./adopt_fd --tap --packet-info -n tap5
 * Options: see `help` below (or run it with --help).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/example.h"

static const char help[] =
    "[-n NAME] [-T] [-p] [-q]\n"
    "Opens a TUN/TAP descriptor as a platform would (open() + TUNSETIFF) and\n"
    "hands it to tun_open_fd() borrowed, raw, passed to a child process, and\n"
    "owned, printing what libtun detected each time.\n"
    "  -n, --name NAME        interface name (default: the kernel picks one)\n"
    "  -T, --tap              attach as TAP (IFF_TAP) instead of TUN (IFF_TUN)\n"
    "  -p, --packet-info      keep the packet information header (no IFF_NO_PI)\n"
    "  -q, --multi-queue      attach with IFF_MULTI_QUEUE\n"
    "  -h, --help             this text\n"
    "Exit status: 0 done, 1 a run-time failure, 2 a usage error.\n";

/* What a platform does before handing over the fd. Returns it or -1. */
static int platform_open(const char *name, short ifflags)
{
    struct ifreq ifr;
    if (strlen(name) >= sizeof(ifr.ifr_name)) {
        fprintf(stderr, "interface name '%s' is too long\n", name);
        return -1;
    }
    int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
    if (fd < 0) {
        perror("open /dev/net/tun");
        return -1;
    }
    memset(&ifr, 0, sizeof(ifr));
    memcpy(ifr.ifr_name, name, strlen(name));
    ifr.ifr_flags = ifflags;
    if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
        perror("ioctl(TUNSETIFF)");
        close(fd);
        return -1;
    }
    printf("platform: fd %d attached to %s with TUNSETIFF\n", fd,
           ifr.ifr_name);
    return fd;
}

/* Print what libtun detected from the fd. */
static int report(const char *how, tun_device *dev)
{
    char name[TUN_NAME_MAX], names[128];
    unsigned flags;
    int rc = tun_device_get_flags(dev, &flags);
    if (rc < 0)
        return example_fail("tun_device_get_flags", rc);
    rc = tun_device_get_name(dev, name, sizeof(name));
    if (rc < 0) /* a raw handle may not know its name */
        snprintf(name, sizeof(name), "(%s)", tun_err_name(rc));
    example_flag_names(flags, names, sizeof(names));
    printf("%s: name=%s layer=%s flags=0x%x (%s)\n", how, name,
           flags & TUN_FLAG_L2 ? "TAP" : "TUN", flags, names);
    return 0;
}

/* Adopt fd with flags, report, close the handle. Without TUN_FD_BORROW
 * the fd is closed in every case. */
static int adopt(const char *how, int fd, unsigned flags)
{
    tun_device *dev;
    int rc = tun_open_fd(fd, flags, &dev);
    if (rc < 0) {
        example_fail("tun_open_fd", rc);
        if (!(flags & TUN_FD_BORROW))
            close(fd); /* failed: the fd was not taken over */
        return 1;
    }
    rc = report(how, dev);
    tun_close(dev);
    return rc;
}

static bool fd_is_open(int fd)
{
    return fcntl(fd, F_GETFD) != -1 || errno != EBADF;
}

/* Send fd as SCM_RIGHTS ancillary data with one byte of payload. */
static int send_fd(int sock, int fd)
{
    char byte = 'T';
    struct iovec iov = {.iov_base = &byte, .iov_len = 1};
    union {
        struct cmsghdr align; /* CMSG_* need cmsghdr alignment */
        char buf[CMSG_SPACE(sizeof(int))];
    } control;
    struct msghdr msg;
    memset(&control, 0, sizeof(control));
    memset(&msg, 0, sizeof(msg));
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control.buf;
    msg.msg_controllen = sizeof(control.buf);
    struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &fd, sizeof(fd));
    if (sendmsg(sock, &msg, 0) != 1) {
        perror("sendmsg");
        return -1;
    }
    return 0;
}

/* Receive a descriptor sent by send_fd(). Returns it or -1. */
static int receive_fd(int sock)
{
    char byte;
    struct iovec iov = {.iov_base = &byte, .iov_len = 1};
    union {
        struct cmsghdr align;
        char buf[CMSG_SPACE(sizeof(int))];
    } control;
    struct msghdr msg;
    int fd;
    memset(&msg, 0, sizeof(msg));
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control.buf;
    msg.msg_controllen = sizeof(control.buf);
    ssize_t n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
    if (n <= 0) {
        if (n < 0) /* 0: the sender closed the socket, having failed */
            perror("recvmsg");
        return -1;
    }
    struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
    if (!c || c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS ||
        c->cmsg_len != CMSG_LEN(sizeof(int))) {
        fprintf(stderr, "no descriptor in the message\n");
        return -1;
    }
    memcpy(&fd, CMSG_DATA(c), sizeof(fd));
    return fd;
}

/* The receiving side, e.g. an unprivileged worker: it needs no
 * CAP_NET_ADMIN to use a descriptor it was given. */
static int child(int sock)
{
    int fd = receive_fd(sock);
    if (fd < 0)
        return 1;
    printf("child: received fd %d over a Unix socket\n", fd);
    return adopt("received", fd, 0) != 0;
}

int main(int argc, char **argv)
{
    static const struct option options[] = {
        {"name", required_argument, NULL, 'n'},
        {"tap", no_argument, NULL, 'T'},
        {"packet-info", no_argument, NULL, 'p'},
        {"multi-queue", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *name = "";
    bool tap = false, packet_info = false, multi_queue = false;
    int opt, status;

    setvbuf(stdout, NULL, _IOLBF, 0); /* one line at a time, also to a pipe */
    while ((opt = getopt_long(argc, argv, "n:Tpqh", options, NULL)) != -1) {
        switch (opt) {
        case 'n': name = optarg; break;
        case 'T': tap = true; break;
        case 'p': packet_info = true; break;
        case 'q': multi_queue = true; break;
        case 'h': return example_help(argv[0], help);
        default: return example_usage_error(argv[0]);
        }
    }
    if ((status = example_no_operands(argc, argv, optind)) != 0)
        return status;

    /* The worker exists before the interface, as a sandboxed process would. */
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
        perror("socketpair");
        return 1;
    }
    pid_t pid = fork();
    if (pid < 0) {
        perror("fork");
        return 1;
    }
    if (pid == 0) {
        close(sv[0]);
        _exit(child(sv[1]));
    }
    close(sv[1]);

    int ifflags = tap ? IFF_TAP : IFF_TUN;
    if (!packet_info)
        ifflags |= IFF_NO_PI;
    if (multi_queue)
        ifflags |= IFF_MULTI_QUEUE;
    int fd = platform_open(name, (short)ifflags);
    status = fd < 0;

    if (status == 0 && (status = adopt("borrowed", fd, TUN_FD_BORROW)) == 0)
        printf("borrowed: fd %d %s after tun_close()\n", fd,
               fd_is_open(fd) ? "still open" : "closed");
    if (status == 0)
        status = adopt("raw", fd, TUN_FD_BORROW | TUN_FD_RAW);
    /* Closing the socket without sending tells the child to give up. */
    if (status == 0)
        status = send_fd(sv[0], fd) != 0;
    close(sv[0]);
    int child_status;
    if (waitpid(pid, &child_status, 0) != pid || !WIFEXITED(child_status) ||
        WEXITSTATUS(child_status) != 0) {
        if (status == 0)
            fprintf(stderr, "the child process failed\n");
        status = 1;
    }
    /* The interface still exists: this process holds the original fd. */
    if (status == 0) {
        status = adopt("owned", fd, 0);
        if (status == 0)
            printf("owned: fd %d %s after tun_close()\n", fd,
                   fd_is_open(fd) ? "still open" : "closed");
    } else if (fd >= 0) {
        close(fd);
    }
    return status;
}
