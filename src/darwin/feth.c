/* macOS TAP devices, as tun-rs makes them: macOS has no TAP driver, but
 * the fake Ethernet driver makes interface pairs (feth) whose frames cross
 * from one side to the other. The user sees side A ("fethN", addresses,
 * MAC, MTU); libtun keeps side B as its wire:
 *   1. SIOCIFCREATE "fethN" (or "feth": next free unit) for A, then "feth"
 *      for B;
 *   2. SIOCSDRVSPEC on B with IF_FAKE_S_CMD_SET_PEER naming A (what
 *      `ifconfig fethB peer fethA` does);
 *   3. frames A sends are read from B through BPF (/dev/bpfN bound with
 *      BIOCSETIF, immediate, promiscuous, not seeing its own sends); one
 *      read returns a buffer of bpf_hdr records, handed out one per
 *      tun_read() (the BPF descriptor does not signal the ones still in
 *      the buffer: readers go on until TUN_EAGAIN, as tun.h asks);
 *   4. frames for A are written out of B through an AF_NDRV socket bound to
 *      B (tun-rs found BPF writes capped at 2048 bytes);
 *   5. B is brought up with A and gets A's MTU; tun_close() destroys both.
 * The feth ioctl is private Apple interface (net/if_fake_var.h): stable
 * since macOS 10.13 but undocumented. Not run-tested here. */
#include "compat.h"
#include "feth.h"
#include "../bsd/device.h"
#include "../bsd/ifconfig.h"
#include "../iface.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The BPF buffer: room for a batch of frames of the largest MTU. */
#define TUN_FETH_BPF_BUFFER (256 * 1024)
#define TUN_FETH_MAX_UNIT 9999
#define TUN_FETH_MAX_BPF 256

struct tun_feth {
    int ndrv;                /* writes go out of side B here */
    pthread_mutex_t lock;    /* readers share the record buffer */
    size_t size;             /* the kernel's BPF buffer size: every read
                                must ask for exactly this many bytes */
    size_t used, next;       /* bytes in buffer, offset of the next record */
    uint8_t buffer[TUN_FETH_BPF_BUFFER];
};

/* Pair side B with side A. */
static int tun_feth_set_peer(const char *b, const char *a)
{
    struct tun_if_fake_request req;
    memset(&req, 0, sizeof(req));
    snprintf(req.iffr_u.iffru_peer_name, sizeof(req.iffr_u.iffru_peer_name),
             "%s", a);
    struct tun_darwin_ifdrv drv;
    memset(&drv, 0, sizeof(drv));
    snprintf(drv.ifd_name, sizeof(drv.ifd_name), "%s", b);
    drv.ifd_cmd = TUN_IF_FAKE_S_CMD_SET_PEER;
    drv.ifd_len = sizeof(req);
    drv.ifd_data = &req;
    int s = tun_ifc_socket_cloexec(AF_INET, SOCK_DGRAM, 0);
    if (s < 0)
        return tun_fail_errno(errno, "feth peer: socket");
    int rc = ioctl(s, TUN_DARWIN_SIOCSDRVSPEC, &drv);
    int err = errno;
    close(s);
    if (rc != 0)
        return tun_fail_errno(err, "SIOCSDRVSPEC set peer of %s to %s", b, a);
    return 0;
}

/* A BPF descriptor reading side B's received frames, non-blocking; *size
 * gets the buffer size the kernel granted (BIOCSBLEN lowers a request above
 * its limit, debug.bpf_maxbufsize, and answers the size it took). */
static int tun_feth_open_bpf(const char *b, int *fd_out, size_t *size)
{
    int fd = -1;
    char path[32];
    for (int i = 0; i < TUN_FETH_MAX_BPF && fd < 0; i++) {
        snprintf(path, sizeof(path), "/dev/bpf%d", i);
        fd = open(path, O_RDWR | O_CLOEXEC | O_NONBLOCK);
        if (fd < 0 && errno != EBUSY)
            return tun_fail_errno(errno, "open %s", path);
    }
    if (fd < 0)
        return tun_fail(TUN_EBUSY, "open /dev/bpfN: all %d BPF devices are "
                        "in use", TUN_FETH_MAX_BPF);
    unsigned blen = TUN_FETH_BPF_BUFFER, one = 1, zero = 0;
    struct ifreq ifr;
    memset(&ifr, 0, sizeof(ifr));
    snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", b);
    const char *step = NULL;
    if (ioctl(fd, BIOCSBLEN, &blen) != 0)
        step = "BIOCSBLEN";
    else if (ioctl(fd, BIOCSETIF, &ifr) != 0)
        step = "BIOCSETIF";
    else if (ioctl(fd, BIOCIMMEDIATE, &one) != 0)
        step = "BIOCIMMEDIATE";
    else if (ioctl(fd, BIOCSSEESENT, &zero) != 0)
        step = "BIOCSSEESENT";
    else if (ioctl(fd, BIOCSHDRCMPLT, &one) != 0)
        step = "BIOCSHDRCMPLT";
    else if (ioctl(fd, BIOCPROMISC, NULL) != 0)
        step = "BIOCPROMISC";
    if (step) {
        int err = errno;
        close(fd);
        return tun_fail_errno(err, "%s on %s for %s", step, path, b);
    }
    if (blen == 0 || blen > TUN_FETH_BPF_BUFFER) {
        close(fd);
        return tun_fail(TUN_EIO, "BIOCSBLEN on %s: the kernel answered a "
                        "%u-byte buffer", path, blen);
    }
    *fd_out = fd;
    *size = blen;
    return 0;
}

/* An AF_NDRV socket that sends frames out of side B. */
static int tun_feth_open_ndrv(const char *b, int *fd_out)
{
    int fd = tun_ifc_socket_cloexec(AF_NDRV, SOCK_RAW, 0);
    if (fd < 0)
        return tun_fail_errno(errno, "socket(AF_NDRV)");
    struct sockaddr_ndrv sa;
    memset(&sa, 0, sizeof(sa));
    sa.snd_len = sizeof(sa);
    sa.snd_family = AF_NDRV;
    snprintf((char *)sa.snd_name, sizeof(sa.snd_name), "%s", b);
    if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
        connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
        int err = errno;
        close(fd);
        return tun_fail_errno(err, "binding an AF_NDRV socket to %s", b);
    }
    *fd_out = fd;
    return 0;
}

/* The next record of the buffer into buf; 0 when the buffer is used up. */
static int tun_feth_next_frame(struct tun_feth *f, void *buf, size_t size)
{
    while (f->next + sizeof(struct bpf_hdr) <= f->used) {
        const uint8_t *rec = f->buffer + f->next;
        struct bpf_hdr h;
        memcpy(&h, rec, sizeof(h));
        size_t end = f->next + h.bh_hdrlen + h.bh_caplen;
        if (end > f->used)
            break; /* a malformed record: drop the rest */
        f->next = BPF_WORDALIGN(end);
        if (h.bh_caplen == 0)
            continue;
        if (h.bh_caplen < h.bh_datalen || h.bh_caplen > size)
            return tun_fail(TUN_EMSGSIZE, "read: a %u-byte frame did not fit "
                            "(buffer %zu bytes) and was dropped",
                            h.bh_datalen, size);
        memcpy(buf, rec + h.bh_hdrlen, h.bh_caplen);
        return (int)h.bh_caplen;
    }
    f->used = f->next = 0;
    return 0;
}

/* One frame: the next one already read from the kernel, else a new BPF
 * buffer's first. TUN_EAGAIN (non-blocking) only when both are empty, as
 * the contract of tun_device_fd() asks (include/tun.h, "Readable"): frames
 * left in f->buffer do not make the BPF descriptor readable, so a caller
 * that stops before TUN_EAGAIN comes back on its own. */
static int tun_feth_read(tun_device *dev, void *buf, size_t size,
                         int timeout_ms, bool honour_nonblocking)
{
    struct tun_feth *f = dev->backend;
    int64_t deadline = timeout_ms >= 0 ? tun_unix_now_ms() + timeout_ms : -1;
    pthread_mutex_lock(&f->lock);
    int n;
    while ((n = tun_feth_next_frame(f, buf, size)) == 0) {
        /* A buffer without a whole record holds nothing for the caller:
         * blocking and timed reads wait on (never TUN_EAGAIN there). */
        int wait_ms = -1;
        if (deadline >= 0) {
            int64_t left = deadline - tun_unix_now_ms();
            wait_ms = left > 0 ? (int)left : 0;
        }
        /* bpf(4): a read must ask for the whole buffer, else EINVAL. */
        struct iovec iov = {f->buffer, f->size};
        n = tun_unix_transfer(&dev->io, true, &iov, 1, wait_ms,
                              honour_nonblocking);
        if (n < 0)
            break;
        f->used = (size_t)n;
    }
    pthread_mutex_unlock(&f->lock);
    return n;
}

static int tun_feth_write(tun_device *dev, const void *buf, size_t len)
{
    struct tun_feth *f = dev->backend;
    for (;;) {
        ssize_t n = write(f->ndrv, buf, len);
        if (n >= 0)
            return (int)len;
        if (errno == EINTR)
            continue;
        if (errno != ENOBUFS && errno != EAGAIN)
            return tun_fail_errno(errno, "write to the AF_NDRV socket");
        if (atomic_load_explicit(&dev->io.nonblocking, memory_order_relaxed))
            return TUN_EAGAIN;
        int rc = tun_unix_wait(&dev->io, 0, 1); /* 1 ms, or interrupted */
        if (rc == TUN_ECANCELED)
            return rc;
    }
}

static void tun_feth_release(tun_device *dev)
{
    struct tun_feth *f = dev->backend;
    close(f->ndrv);
    pthread_mutex_destroy(&f->lock);
    free(f);
}

static const struct tun_device_ops tun_feth_ops = {
    tun_feth_read, tun_feth_write, tun_feth_release};

/* Steps 2-5 once both sides exist; on failure the caller destroys them. */
static int tun_feth_attach(const tun_config *cfg, const char *a,
                           const char *b, tun_device **out)
{
    int rc = tun_feth_set_peer(b, a);
    if (rc < 0)
        return rc;
    if (cfg->mtu && (rc = tun_ifc_set_mtu(b, cfg->mtu)) < 0)
        return rc;
    if ((rc = tun_ifc_set_up(b, true)) < 0)
        return rc;
    struct tun_feth *f = calloc(1, sizeof(*f));
    if (!f)
        return tun_fail(TUN_ENOMEM, "allocating the BPF buffer");
    int bpf = -1;
    f->ndrv = -1;
    if ((rc = tun_feth_open_bpf(b, &bpf, &f->size)) < 0 ||
        (rc = tun_feth_open_ndrv(b, &f->ndrv)) < 0)
        goto fail;
    unsigned ifindex = if_nametoindex(a);
    if (ifindex == 0) {
        rc = tun_fail_errno(errno, "finding the index of %s", a);
        goto fail;
    }
    tun_device *dev;
    rc = tun_bsd_device_new(bpf, ifindex, TUN_FLAG_L2, cfg->nonblocking, &dev);
    if (rc < 0)
        goto fail;
    pthread_mutex_init(&f->lock, NULL);
    dev->ops = &tun_feth_ops;
    dev->backend = f;
    dev->destroy_on_close = true;
    snprintf(dev->peer_name, sizeof(dev->peer_name), "%s", b);
    if ((rc = tun_bsd_configure(dev, cfg)) < 0) {
        /* Close descriptors and memory; the caller destroys the pair. */
        dev->destroy_on_close = false;
        tun_close(dev);
        return rc;
    }
    *out = dev;
    return 0;
fail:
    if (bpf >= 0)
        close(bpf);
    if (f->ndrv >= 0)
        close(f->ndrv);
    free(f);
    return rc;
}

int tun_darwin_feth_open(const tun_config *cfg, tun_device **out)
{
    if (cfg->packet_info)
        return tun_fail(TUN_ENOTSUP, "packet information: an L2 (feth) device "
                        "carries plain Ethernet frames on macOS");
    long unit;
    int rc = tun_iface_unit(cfg->name, "feth", TUN_FETH_MAX_UNIT, &unit);
    if (rc < 0)
        return rc;
    char a[IFNAMSIZ], b[IFNAMSIZ] = "feth";
    if (unit < 0)
        snprintf(a, sizeof(a), "feth");
    else
        snprintf(a, sizeof(a), "feth%ld", unit);
    if ((rc = tun_ifc_create(a)) < 0)
        return tun_fail(rc, "creating %s: %s (no feth driver before macOS "
                        "10.13?)", a, tun_last_error());
    if ((rc = tun_ifc_create(b)) < 0) {
        tun_kept_reason reason;
        tun_reason_keep(&reason);
        tun_ifc_destroy(a);
        return tun_fail(rc, "creating the second feth of the pair: %s",
                        reason.text);
    }
    tun_device *dev;
    rc = tun_feth_attach(cfg, a, b, &dev);
    if (rc < 0) {
        tun_kept_reason reason;
        tun_reason_keep(&reason);
        tun_ifc_destroy(b);
        tun_ifc_destroy(a);
        return tun_fail(rc, "%s", reason.text);
    }
    *out = dev;
    return 0;
}
