/* The batched io_uring path of uring_packets.h.
 *
 * Each buffer is a slot that reads, hands its packet over, maybe writes the
 * reply, and reads again. Reads never wait in the kernel: they carry
 * RWF_NOWAIT and end with -EAGAIN when nothing is queued. Reads left
 * waiting would all be woken by every packet, and after 128 such wake-ups
 * io_uring moves a read to a worker thread of its own, which stays with the
 * process. Instead one multishot poll says when packets arrive, and idle
 * slots read while the device may hold more (no read said -EAGAIN since the
 * last notice). A read that said -EAGAIN but was sent before the last
 * notice was handled tells nothing: the packet of that notice may have come
 * after it. How many read at once follows how many lately found a packet
 * (one more for each that did, one less for each that did not), so that a
 * flood is read in large batches and a lone ping does not send every slot
 * after it.
 *
 * On an offload device a slot's read is a virtio-net header and a
 * super-packet: the engine's public calls cut it (tun_offload_split(), the
 * first segment in place in the caller's buffer, the others in the slot's
 * own segment area), the handler sees each segment, and the replies are
 * merged again (tun_offload_coalesce()) and written with one writev() per
 * super-packet, straight from the buffers (tun_offload_write_slices()). The
 * slot reads again once all its writes completed. */
#include "uring_packets.h"

#include <errno.h>
#include <limits.h>
#include <liburing.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

/* A completion's user data is (write * MAX_SLOTS + slot) * OPS + op, where
 * write is the slot's write (0 but for an offload slot's writes). NOTHING
 * (0) marks one that tells nothing new (a cancellation's own result); the
 * poll is POLL. */
enum op { NOTHING, READ, WRITE, POLL, OPS };
/* The most buffers one path takes. */
#define MAX_SLOTS 4096
/* Offload: the segments of one super-packet a slot takes (the first in the
 * caller's buffer, the others in an area of AREA bytes), room for 64 KiB
 * in segments of 512 bytes, less when they are smaller: the rest of such a
 * super-packet is dropped (stats.too_large). */
#define SEGS_MAX 128
#define AREA (2 * TUN_OFFLOAD_BUF_SIZE)
/* Room per segment beyond gso_size: the longest IPv6 and TCP headers. */
#define SEG_HEADERS (40 + 60)

/* An offload slot's batch: segments cut from its read, then the writes
 * that carry the replies. */
struct offload_batch {
    tun_gro_table *table;
    tun_buf bufs[SEGS_MAX];
    uint8_t *area;
    size_t replies;   /* packets in the writes */
    unsigned pending; /* writes still in flight */
    unsigned failed;  /* writes that did not go out whole */
    struct iovec iov[2 * SEGS_MAX]; /* the writes' slices, in order... */
    unsigned iov_at[SEGS_MAX];      /* ...write k from iov_at[k]... */
    unsigned iov_count[SEGS_MAX];   /* ...with iov_count[k] of them */
};

struct slot {
    enum op op;      /* READ or WRITE in flight, or NOTHING: idle */
    size_t len;      /* while writing: the packet's length */
    unsigned notice; /* while reading: the notices handled when it was sent */
    struct offload_batch *batch; /* an offload device's slot */
};

struct uring_packets {
    struct io_uring ring;
    int fd;
    uint8_t *buffers;
    size_t size;
    unsigned count;
    uring_packets_handler *handler;
    void *arg;
    bool polling;       /* the multishot poll is armed */
    bool readable;      /* no read said -EAGAIN since the poll's last notice */
    bool nowait;        /* the kernel takes RWF_NOWAIT for the device */
    bool stopping;      /* freeing, or the device failed: queue nothing */
    bool offload;       /* reads are super-packets, writes merge */
    unsigned coalesce_flags;
    unsigned notices;   /* of the poll, handled so far */
    unsigned reading;   /* reads in flight */
    unsigned target;    /* reads to keep in flight while readable */
    unsigned *idle;     /* the slots with nothing in flight... */
    unsigned idle_count; /* ...and how many */
    unsigned in_flight; /* operations whose completion is still to come */
    uring_packets_stats stats;
    struct slot slots[];
};

static uint64_t user_data(unsigned slot, enum op op)
{
    return (uint64_t)slot * OPS + op;
}

static uint64_t write_data(unsigned slot, unsigned k)
{
    return ((uint64_t)k * MAX_SLOTS + slot) * OPS + WRITE;
}

/* A free submission entry. The queue has one per slot and one for the
 * poll, and is submitted after every batch, so this never runs short. */
static struct io_uring_sqe *next_sqe(uring_packets *p, uint64_t data)
{
    struct io_uring_sqe *sqe = io_uring_get_sqe(&p->ring);
    if (!sqe) {
        io_uring_submit(&p->ring);
        sqe = io_uring_get_sqe(&p->ring);
    }
    if (sqe) {
        io_uring_sqe_set_data64(sqe, data);
        if (data != NOTHING)
            p->in_flight++;
    } else {
        fprintf(stderr, "uring_packets: the submission queue is full\n");
    }
    return sqe;
}

static int arm_poll(uring_packets *p)
{
    struct io_uring_sqe *sqe = next_sqe(p, user_data(0, POLL));
    if (!sqe)
        return -1;
    io_uring_prep_poll_multishot(sqe, p->fd, POLLIN);
    p->polling = true;
    return 0;
}

/* Slot i has nothing in flight any more. */
static int set_idle(uring_packets *p, unsigned i)
{
    p->slots[i].op = NOTHING;
    p->idle[p->idle_count++] = i;
    return 0;
}

/* Read into idle slots while the device may hold packets, up to target
 * reads in flight. */
static int fill(uring_packets *p)
{
    while (p->readable && !p->stopping && p->reading < p->target &&
           p->idle_count) {
        unsigned i = p->idle[p->idle_count - 1];
        struct io_uring_sqe *sqe = next_sqe(p, user_data(i, READ));
        if (!sqe)
            return -1;
        io_uring_prep_read(sqe, p->fd, p->buffers + (size_t)i * p->size,
                           (unsigned)p->size, 0);
        if (p->nowait)
            sqe->rw_flags = RWF_NOWAIT;
        p->idle_count--;
        p->slots[i].op = READ;
        p->slots[i].notice = p->notices;
        p->reading++;
    }
    return 0;
}

/* Offload: write k of slot i's batch, from its slices. */
static int write_batch(uring_packets *p, unsigned i, unsigned k)
{
    struct offload_batch *b = p->slots[i].batch;
    struct io_uring_sqe *sqe = next_sqe(p, write_data(i, k));
    if (!sqe)
        return -1;
    io_uring_prep_writev(sqe, p->fd, b->iov + b->iov_at[k], b->iov_count[k],
                         0);
    p->slots[i].op = WRITE;
    return 0;
}

static int set_idle(uring_packets *p, unsigned i);

/* Offload: cut slot i's super-packet (len bytes read, header first) into
 * segments, hand each to the handler, merge the replies and write them. */
static int handle_batch(uring_packets *p, unsigned i, size_t len)
{
    struct offload_batch *b = p->slots[i].batch;
    uint8_t *buf = p->buffers + (size_t)i * p->size;
    if (len < TUN_VNET_HDR_LEN)
        return set_idle(p, i);
    /* Segment 0 in place, where the packet was read; the others in the
     * area, cut to the segment size the header announces (gso_size,
     * little-endian at byte 4). */
    size_t gso = (size_t)buf[4] | (size_t)buf[5] << 8;
    size_t cap = TUN_VNET_HDR_LEN + (gso ? gso + SEG_HEADERS : TUN_PACKET_MAX);
    size_t count = 1 + (AREA / cap < SEGS_MAX - 1 ? AREA / cap : SEGS_MAX - 1);
    b->bufs[0] = (tun_buf){buf, p->size, 0};
    for (size_t s = 1; s < count; s++)
        b->bufs[s] = (tun_buf){b->area + (s - 1) * cap, cap, 0};
    const uint8_t *pkt = buf + TUN_VNET_HDR_LEN;
    size_t total = 0, plen = len - TUN_VNET_HDR_LEN;
    int n = tun_offload_split(buf, pkt, plen, 0, b->bufs, count,
                              TUN_VNET_HDR_LEN, &total);
    if (n == TUN_ENOBUFS) {
        /* Too many segments for the area: those it holds, the rest
         * dropped (the read buffer keeps the packet, not a segment). */
        n = tun_offload_split(buf, pkt, plen, 0, b->bufs + 1, count - 1,
                              TUN_VNET_HDR_LEN, &total);
        p->stats.too_large++;
        if (n > 0)
            memmove(b->bufs, b->bufs + 1, (size_t)n * sizeof(b->bufs[0]));
    }
    if (n <= 0) {
        p->stats.refused++; /* a header that does not match its packet */
        return set_idle(p, i);
    }
    b->replies = 0;
    for (int s = 0; s < n; s++) {
        tun_buf *seg = &b->bufs[s];
        p->stats.packets++;
        size_t room = seg->capacity - TUN_VNET_HDR_LEN;
        size_t reply = p->handler(p->arg, seg->data + TUN_VNET_HDR_LEN,
                                  seg->len, room);
        seg->len = reply <= room ? reply : 0;
        b->replies += seg->len != 0;
    }
    int writes = tun_offload_coalesce(b->table, b->bufs, (size_t)n,
                                      TUN_VNET_HDR_LEN, p->coalesce_flags);
    if (writes <= 0)
        return set_idle(p, i);
    tun_slice slices[TUN_SLICES_MAX];
    unsigned at = 0;
    b->pending = (unsigned)writes;
    b->failed = 0;
    for (unsigned k = 0; k < (unsigned)writes; k++) {
        size_t m = tun_offload_write_slices(b->table, k, slices);
        b->iov_at[k] = at;
        b->iov_count[k] = (unsigned)m;
        for (size_t s = 0; s < m; s++)
            b->iov[at++] = (struct iovec){(void *)(uintptr_t)slices[s].data,
                                          slices[s].len};
        if (write_batch(p, i, k) != 0)
            return -1;
    }
    return 0;
}

static int write_reply(uring_packets *p, unsigned i)
{
    struct slot *s = &p->slots[i];
    struct io_uring_sqe *sqe = next_sqe(p, user_data(i, WRITE));
    if (!sqe)
        return -1;
    io_uring_prep_write(sqe, p->fd, p->buffers + (size_t)i * p->size,
                        (unsigned)s->len, 0);
    s->op = WRITE;
    return 0;
}

/* The device failed: say how, and stop queueing. */
static int device_failed(uring_packets *p, const char *what, int res)
{
    fprintf(stderr, "uring_packets: %s: %s%s\n", what, strerror(-res),
            res == -EBADFD ? " (the interface was deleted)" : "");
    p->stopping = true;
    return -1;
}

static int read_done(uring_packets *p, unsigned i, int res)
{
    p->reading--;
    if (res == -EAGAIN) {
        /* Drained: wait for the poll's next notice. */
        if (p->slots[i].notice == p->notices) {
            p->readable = false;
            if (p->target > 1)
                p->target--;
        }
        return set_idle(p, i);
    }
    if (res == -EOPNOTSUPP && p->nowait) {
        p->nowait = false; /* an older kernel: reads wait in it instead */
        return set_idle(p, i);
    }
    if (res == -EINTR)
        return set_idle(p, i);
    if (res < 0)
        return device_failed(p, "read", res);
    if (p->target < p->count)
        p->target++;
    /* A packet that fills the buffer may have been cut there. */
    if ((size_t)res >= p->size) {
        p->stats.too_large++;
        return set_idle(p, i);
    }
    if (p->offload)
        return handle_batch(p, i, (size_t)res);
    p->stats.packets++;
    uint8_t *buf = p->buffers + (size_t)i * p->size;
    size_t reply = p->handler(p->arg, buf, (size_t)res, p->size);
    if (reply == 0 || reply > p->size)
        return set_idle(p, i);
    p->slots[i].len = reply;
    return write_reply(p, i);
}

/* Offload: write k of slot i's batch completed with res. */
static int batch_write_done(uring_packets *p, unsigned i, unsigned k, int res)
{
    struct offload_batch *b = p->slots[i].batch;
    if (res == -EAGAIN || res == -EINTR) {
        p->stats.waits++;
        return write_batch(p, i, k);
    }
    size_t whole = 0;
    for (unsigned s = 0; s < b->iov_count[k]; s++)
        whole += b->iov[b->iov_at[k] + s].iov_len;
    if (res < 0 && res != -EINVAL && res != -EMSGSIZE && res != -EIO)
        return device_failed(p, "write", res);
    if (res < 0 || (size_t)res != whole)
        b->failed++;
    else if (((const uint8_t *)b->iov[b->iov_at[k]].iov_base)[1])
        p->stats.super_packets++; /* the header's gso_type: merged */
    if (--b->pending)
        return 0;
    /* The batch is done: every reply went out, or say how many writes
     * did not. */
    if (b->failed)
        p->stats.refused += b->failed;
    else
        p->stats.written += b->replies;
    return set_idle(p, i);
}

static int write_done(uring_packets *p, unsigned i, int res)
{
    if (res == -EAGAIN || res == -EINTR) {
        /* No room: io_uring waits for it when the write goes again. */
        p->stats.waits++;
        return write_reply(p, i);
    }
    if (res == -EINVAL || res == -EMSGSIZE || res == -EIO)
        p->stats.refused++; /* malformed, too large, or the interface down */
    else if (res < 0)
        return device_failed(p, "write", res);
    else if ((size_t)res == p->slots[i].len)
        p->stats.written++;
    else
        p->stats.refused++;
    return set_idle(p, i);
}

static int complete(uring_packets *p, const struct io_uring_cqe *cqe)
{
    uint64_t data = io_uring_cqe_get_data64(cqe);
    unsigned i = (unsigned)(data / OPS % MAX_SLOTS);
    unsigned k = (unsigned)(data / OPS / MAX_SLOTS);
    enum op op = (enum op)(data % OPS);
    int res = cqe->res;
    if (op == NOTHING)
        return 0;
    if (op != POLL || !(cqe->flags & IORING_CQE_F_MORE)) {
        p->in_flight--; /* its last completion */
        if (op == POLL)
            p->polling = false;
    }
    if (p->stopping) {
        if (op != POLL)
            p->slots[i].op = NOTHING;
        return 0;
    }
    if (op == READ)
        return read_done(p, i, res);
    if (op == WRITE)
        return p->offload ? batch_write_done(p, i, k, res)
                          : write_done(p, i, res);
    if (res < 0 && res != -ECANCELED)
        return device_failed(p, "poll", res);
    /* Packets arrived (an error or hang-up is readable too: the next read
     * names it). */
    if (res > 0) {
        p->readable = true;
        p->notices++;
    }
    /* The kernel ends a multishot poll now and then: arm it again. */
    return p->polling ? 0 : arm_poll(p);
}

/* Handle the completions waiting (while freeing, only count them). */
static int reap(uring_packets *p)
{
    struct io_uring_cqe *cqe;
    unsigned head, seen = 0;
    int rc = 0;
    io_uring_for_each_cqe(&p->ring, head, cqe) {
        seen++;
        if (complete(p, cqe) != 0)
            rc = -1;
    }
    io_uring_cq_advance(&p->ring, seen);
    if (rc == 0)
        rc = fill(p);
    return rc < 0 ? rc : (int)seen;
}

int uring_packets_process(uring_packets *p)
{
    int n = reap(p);
    int rc = io_uring_submit(&p->ring);
    if (rc < 0) {
        fprintf(stderr, "uring_packets: io_uring_submit: %s\n", strerror(-rc));
        return -1;
    }
    return n;
}

int uring_packets_wait(uring_packets *p, int timeout_ms)
{
    struct __kernel_timespec limit = {.tv_sec = timeout_ms / 1000,
                                      .tv_nsec = (timeout_ms % 1000) * 1000000};
    struct io_uring_cqe *cqe;
    /* One system call submits the last batch and waits for the next. */
    int rc = io_uring_submit_and_wait_timeout(&p->ring, &cqe, 1,
                                              timeout_ms < 0 ? NULL : &limit,
                                              NULL);
    if (rc < 0 && rc != -ETIME && rc != -EINTR) {
        fprintf(stderr, "uring_packets: io_uring_submit_and_wait_timeout: "
                "%s\n", strerror(-rc));
        return -1;
    }
    return reap(p);
}

int uring_packets_fd(const uring_packets *p)
{
    return p->ring.ring_fd;
}

const uring_packets_stats *uring_packets_get_stats(const uring_packets *p)
{
    return &p->stats;
}

static int batch_new(struct offload_batch **out)
{
    struct offload_batch *b = calloc(1, sizeof(*b));
    if (!b)
        return -1;
    b->area = malloc(AREA);
    if (!b->area || tun_gro_table_new(SEGS_MAX, &b->table) != 0) {
        free(b->area);
        free(b);
        return -1;
    }
    *out = b;
    return 0;
}

/* Free the slots' batches, the idle list and the path. */
static void free_slots(uring_packets *p)
{
    for (unsigned i = 0; i < p->count; i++) {
        struct offload_batch *b = p->slots[i].batch;
        if (b) {
            tun_gro_table_free(b->table);
            free(b->area);
            free(b);
        }
    }
    free(p->idle);
    free(p);
}

int uring_packets_new(tun_device *dev, uint8_t *buffers, unsigned count,
                      size_t size, uring_packets_handler *handler, void *arg,
                      uring_packets **out)
{
    unsigned flags = 0;
    if (tun_device_get_flags(dev, &flags) < 0) {
        fprintf(stderr, "uring_packets: %s\n", tun_last_error());
        return -1;
    }
    bool offload = flags & TUN_FLAG_OFFLOAD;
    if (offload && size <= TUN_OFFLOAD_BUF_SIZE) {
        fprintf(stderr, "uring_packets: the device has offload: each read "
                "is a 64 KiB super-packet behind its header, so buffers need "
                "TUN_OFFLOAD_BUF_SIZE + 1 bytes (not %zu)\n", size);
        return -1;
    }
    if (!buffers || !handler || count == 0 || count > MAX_SLOTS || size < 2 ||
        size > UINT_MAX) {
        fprintf(stderr, "uring_packets: %u buffers of %zu bytes: need 1 to %d "
                "buffers of 2 bytes to 4 GiB\n", count, size, MAX_SLOTS);
        return -1;
    }
    uring_packets *p = calloc(1, sizeof(*p) + count * sizeof(struct slot));
    unsigned *idle = calloc(count, sizeof(*idle));
    if (!p || !idle) {
        fprintf(stderr, "uring_packets: out of memory\n");
        free(p);
        free(idle);
        return -1;
    }
    p->count = count;
    p->idle = idle;
    int rc = io_uring_queue_init(count + 1, &p->ring, 0);
    if (rc < 0) {
        fprintf(stderr, "uring_packets: io_uring_queue_init: %s (io_uring "
                "needs Linux 5.13 or later, and the sysctl "
                "kernel.io_uring_disabled may forbid it)\n", strerror(-rc));
        free_slots(p);
        return -1;
    }
    p->offload = offload;
    p->coalesce_flags = (flags & TUN_FLAG_UDP_GSO) ? TUN_COALESCE_UDP : 0;
    for (unsigned i = 0; offload && i < count; i++)
        if (batch_new(&p->slots[i].batch) != 0) {
            fprintf(stderr, "uring_packets: out of memory\n");
            io_uring_queue_exit(&p->ring);
            free_slots(p);
            return -1;
        }
    p->fd = tun_device_fd(dev);
    p->buffers = buffers;
    p->size = size;
    p->handler = handler;
    p->arg = arg;
    p->nowait = true;
    for (unsigned i = 0; i < count; i++)
        set_idle(p, i);
    p->readable = true;
    p->target = 1;
    if (arm_poll(p) != 0 || uring_packets_process(p) < 0) {
        uring_packets_free(p);
        return -1;
    }
    *out = p;
    return 0;
}

static void cancel(uring_packets *p, uint64_t data)
{
    struct io_uring_sqe *sqe = next_sqe(p, NOTHING);
    if (sqe)
        io_uring_prep_cancel64(sqe, data, 0);
}

void uring_packets_free(uring_packets *p)
{
    if (!p)
        return;
    p->stopping = true;
    /* The poll never ends by itself, nor does a read on a kernel that
     * waits in it: cancel them. Every completion still comes, and only
     * then is the kernel done with the buffers. */
    if (p->polling)
        cancel(p, user_data(0, POLL));
    for (unsigned i = 0; i < p->count; i++)
        if (p->slots[i].op == READ)
            cancel(p, user_data(i, READ));
    while (p->in_flight) {
        int rc = io_uring_submit_and_wait(&p->ring, 1);
        if (rc < 0 && rc != -EINTR) {
            fprintf(stderr, "uring_packets: waiting for the last "
                    "completions: %s\n", strerror(-rc));
            break;
        }
        reap(p);
    }
    io_uring_queue_exit(&p->ring);
    free_slots(p);
}
