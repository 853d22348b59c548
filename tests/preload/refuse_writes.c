/* A stand-in for a full device queue, which Linux never reports: preloaded
 * into a program (LD_PRELOAD), it makes every Nth writev() to a TUN/TAP
 * descriptor fail with EAGAIN, sending nothing, where N is the value of
 * TUN_REFUSE_EVERY (unset or 0: never). libtun sends every packet with
 * writev(), so a program sees TUN_EAGAIN from tun_write() and
 * tun_send_multiple() as on a platform whose queue fills up. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/uio.h>
#include <unistd.h>

/* /dev/net/tun is character device 10:200 on every Linux system. */
static int is_tun(int fd)
{
    struct stat st;
    return fstat(fd, &st) == 0 && S_ISCHR(st.st_mode) &&
           major(st.st_rdev) == 10 && minor(st.st_rdev) == 200;
}

ssize_t writev(int fd, const struct iovec *iov, int iovcnt)
{
    static atomic_ulong calls;
    const char *every = getenv("TUN_REFUSE_EVERY");
    unsigned long n = every ? strtoul(every, NULL, 10) : 0;
    if (n && is_tun(fd) && atomic_fetch_add(&calls, 1) % n == n - 1) {
        errno = EAGAIN;
        return -1;
    }
    return syscall(SYS_writev, fd, iov, iovcnt);
}
