/* The forwarder that bench/run.sh measures: two TUN devices, each opened
 * inside its own network namespace, joined in userspace by one of the modes
 * in the table at the end of this file.
 *
 * Usage: forwarder MODE [-t SECONDS] [-q THREADS] NETNS_A ADDR_A NETNS_B ADDR_B
 *
 * NETNS_A and NETNS_B are namespace files (/run/netns/NAME,
 * /proc/PID/ns/net). Device A gets ADDR_A with peer ADDR_B inside NETNS_A,
 * device B the reverse, so each namespace routes the other's address over
 * its TUN device and every packet between them crosses this process. It
 * prints "ready" once every lane runs, then forwards until SIGINT or
 * SIGTERM, prints what each direction moved as one JSON line and exits 0
 * (1 if a lane failed or no signal came within -t SECONDS, a guard against
 * a runner that died). -q sets the threads (queues) per direction of the
 * multi-queue mode (default 2).
 *
 * A mode is a kind of I/O (how a batch of packets is read and written) and
 * a shape (which threads do it). */
#include <tun.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

/* Every packet sits at this offset in its buffer: the headroom
 * tun_send_multiple() writes the virtio-net header into. */
#define OFFSET TUN_VNET_HDR_LEN
#define BATCH TUN_IDEAL_BATCH_SIZE
/* Batches in flight per direction in the channel shape. */
#define CHANNEL_SLOTS 4
#define QUEUES_MAX 16

/* Packets read together and written together. Each buffer has room for a
 * whole super-packet behind the headroom; pages a batch never touches
 * cost address space only, not memory. */
typedef struct batch {
    tun_buf bufs[BATCH];
    uint8_t pflags[BATCH]; /* per packet: TUN_PACKET_CSUM_PARTIAL or 0 */
    size_t count;
    /* Copy-free mode: the packets' payloads (empty: all in the buffer),
     * slices of the super-packet tun_recv_slices() read into `super`. */
    tun_slice payloads[BATCH];
    uint8_t *super;
    uint8_t *mem; /* all of the buffers */
} batch;

struct lane;

typedef struct io_kind {
    bool offload; /* open the devices with virtio-net headers and TSO/USO */
    /* Fill b from the lane's source: a count > 0 or a TUN_E* code
     * (TUN_EAGAIN on a non-blocking device with nothing queued). */
    int (*recv)(struct lane *l, batch *b);
    /* Write b to the lane's destination: 0 or a TUN_E* code. */
    int (*send)(struct lane *l, batch *b);
    /* Keep the kernel's partial checksums (checksums carried end to end:
     * the flagged calls with the batch's pflags). */
    bool carry_partial;
} io_kind;

typedef struct mode {
    const char *name;
    const io_kind *io;
    int (*shape)(size_t queues); /* starts the lanes' threads */
    bool nonblocking;
    bool multi_queue;
    const char *what;
} mode;

/* A channel: batches handed from a reading thread to a writing thread
 * through a ring of slots (the buffer pool), in order. */
typedef struct channel {
    pthread_mutex_t lock;
    pthread_cond_t changed;
    size_t filled, drained; /* slots filled and drained so far */
    batch *slots[CHANNEL_SLOTS];
} channel;

/* One direction of forwarding on one queue: packets read from one device
 * are written to the other. The counters belong to the lane's threads
 * until they are joined. */
typedef struct lane {
    char name[16];
    tun_device *from, *to;
    batch *batch;
    tun_gro_table *gro;
    unsigned coalesce_flags; /* copy-free mode: TUN_COALESCE_UDP or 0 */
    channel *ch; /* channel shape only */
    _Atomic uint64_t batches, packets, bytes;
    int error; /* 0, or the code that stopped the lane */
} lane;

/* Set once the forwarder is stopping, and an eventfd that becomes readable
 * then, for the waits that bypass the library (whose calls tun_interrupt()
 * stops). */
static atomic_bool stopping;
static int stop_fd = -1;

static lane lanes[2 * QUEUES_MAX];
static size_t lane_count;
static pthread_t threads[4 * QUEUES_MAX];
static size_t thread_count;

static int fail(const char *step, int rc)
{
    fprintf(stderr, "forwarder: %s: %s", step, tun_strerror(rc));
    if (*tun_last_error())
        fprintf(stderr, " (%s)", tun_last_error());
    fputc('\n', stderr);
    return rc;
}

static void count(lane *l, const batch *b)
{
    uint64_t bytes = 0;
    for (size_t i = 0; i < b->count; i++)
        bytes += b->bufs[i].len + b->payloads[i].len;
    atomic_fetch_add_explicit(&l->batches, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&l->packets, b->count, memory_order_relaxed);
    atomic_fetch_add_explicit(&l->bytes, bytes, memory_order_relaxed);
}

/* Wait until fd is ready for events or the forwarder stops (TUN_ECANCELED).
 * Bounded, so a waiter checks the stop state once a second even if an
 * event were lost. */
static int wait_fd(int fd, short events)
{
    struct pollfd p[2] = {{.fd = fd, .events = events},
                          {.fd = stop_fd, .events = POLLIN}};
    for (;;) {
        int n = poll(p, 2, 1000);
        if (n < 0 && errno != EINTR)
            return -errno;
        if (p[1].revents || atomic_load(&stopping))
            return TUN_ECANCELED;
        if (n > 0)
            return 0;
    }
}

/* ---- kinds of I/O -------------------------------------------------------- */

/* read() and write() on the device descriptors, without the library in the
 * path: on offload devices each packet keeps its virtio-net header, so a
 * 64 KiB super-packet crosses unchanged, never split or coalesced. The
 * ceiling for any userspace forwarder of the same device kind. The
 * library keeps its descriptors non-blocking, so this waits itself. */
static int raw_recv(lane *l, batch *b)
{
    int fd = tun_device_fd(l->from);
    for (;;) {
        ssize_t n = read(fd, b->bufs[0].data, b->bufs[0].capacity);
        if (n >= 0) {
            b->bufs[0].len = (size_t)n;
            b->count = 1;
            return 1;
        }
        int rc = errno == EAGAIN ? wait_fd(fd, POLLIN)
                 : errno == EINTR ? 0
                                  : -errno;
        if (rc < 0)
            return rc;
    }
}

static int raw_send(lane *l, batch *b)
{
    int fd = tun_device_fd(l->to);
    while (write(fd, b->bufs[0].data, b->bufs[0].len) < 0) {
        int rc = errno == EAGAIN ? wait_fd(fd, POLLOUT)
                 : errno == EINTR ? 0
                                  : -errno;
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* One packet per tun_read() and tun_write(): what a simple library user
 * writes, and what the library's per-packet overhead decides. */
static int plain_recv(lane *l, batch *b)
{
    tun_buf *buf = &b->bufs[0];
    int n = tun_read(l->from, buf->data + OFFSET, buf->capacity - OFFSET);
    if (n < 0)
        return n;
    buf->len = (size_t)n;
    b->count = 1;
    return 1;
}

static int plain_send(lane *l, batch *b)
{
    int rc = tun_write(l->to, b->bufs[0].data + OFFSET, b->bufs[0].len);
    if (rc == TUN_EAGAIN) { /* non-blocking: wait for room, once */
        rc = wait_fd(tun_device_fd(l->to), POLLOUT);
        if (rc == 0)
            rc = tun_write(l->to, b->bufs[0].data + OFFSET, b->bufs[0].len);
    }
    return rc < 0 ? rc : 0;
}

/* The flags array of b, when the mode carries partial checksums. */
static uint8_t *partial_flags(batch *b);

/* tun_recv_multiple(): a super-packet split into plain packets;
 * tun_send_multiple(): plain packets merged again by GRO (their flagged
 * twins when the mode carries partial checksums). */
static int offload_recv(lane *l, batch *b)
{
    int n = tun_recv_multiple_flagged(l->from, b->bufs, partial_flags(b),
                                      BATCH, OFFSET);
    if (n < 0)
        return n;
    b->count = (size_t)n;
    return n;
}

/* Send b from packet done on, one call of send_from: how many it sent. */
typedef int send_from_fn(lane *l, batch *b, size_t done);

/* The batch sending loop of the offload modes: a packet the kernel refuses
 * is dropped, as a router would; a full queue is waited for. */
static int send_batch(lane *l, batch *b, send_from_fn *send_from)
{
    size_t done = 0;
    while (done < b->count) {
        int n = send_from(l, b, done);
        if (n > 0) {
            done += (size_t)n;
        } else if (n == TUN_EINVAL || n == TUN_EMSGSIZE) {
            done++;
        } else if (n == TUN_EAGAIN) {
            int rc = wait_fd(tun_device_fd(l->to), POLLOUT);
            if (rc < 0)
                return rc;
        } else if (n < 0) {
            return n;
        }
    }
    return 0;
}

static int offload_send_from(lane *l, batch *b, size_t done)
{
    uint8_t *pflags = partial_flags(b);
    return tun_send_multiple_flagged(l->to, l->gro, b->bufs + done,
                                     pflags ? pflags + done : NULL,
                                     b->count - done, OFFSET);
}

static int offload_send(lane *l, batch *b)
{
    return send_batch(l, b, offload_send_from);
}

/* Copy-free segments with checksums carried end to end:
 * tun_recv_slices() reads a super-packet into the batch's `super` buffer
 * and hands its segments over as rebuilt headers and payload slices into
 * it (partial checksums kept); tun_send_slices() merges them again and
 * writes each write as one gather write (a run cut from one super-packet:
 * its headers and one payload slice). */
static int copyfree_recv(lane *l, batch *b)
{
    int n = tun_recv_slices(l->from, b->super, TUN_OFFLOAD_BUF_SIZE, b->bufs,
                            b->payloads, b->pflags, BATCH - 1, OFFSET);
    if (n < 0)
        return n;
    b->count = (size_t)n;
    return n;
}

static int copyfree_send_from(lane *l, batch *b, size_t done)
{
    return tun_send_slices(l->to, l->gro, b->bufs + done, b->payloads + done,
                           b->pflags + done, b->count - done, OFFSET);
}

static int copyfree_send(lane *l, batch *b)
{
    return send_batch(l, b, copyfree_send_from);
}

static const io_kind raw_io = {false, raw_recv, raw_send, false};
static const io_kind raw_offload_io = {true, raw_recv, raw_send, false};
static const io_kind plain_io = {false, plain_recv, plain_send, false};
static const io_kind offload_io = {true, offload_recv, offload_send, false};
static const io_kind offload_partial_io = {true, offload_recv, offload_send,
                                           true};
static const io_kind copyfree_io = {true, copyfree_recv, copyfree_send, true};

/* ---- shapes -------------------------------------------------------------- */

static const mode *the_mode;

static void stop_lane(lane *l, int rc)
{
    if (rc != TUN_ECANCELED && !atomic_load(&stopping)) {
        l->error = rc;
        fail(l->name, rc);
        /* One failed lane ends the run: wake the main thread. */
        kill(getpid(), SIGTERM);
    }
}

static int start(void *(*fn)(void *), void *arg)
{
    if (thread_count == sizeof(threads) / sizeof(threads[0]) ||
        pthread_create(&threads[thread_count], NULL, fn, arg) != 0) {
        fprintf(stderr, "forwarder: starting a thread failed\n");
        return -1;
    }
    thread_count++;
    return 0;
}

/* sync and multi-queue: a thread per lane reads a batch and writes it. */
static void *sync_lane(void *arg)
{
    lane *l = arg;
    const io_kind *io = the_mode->io;
    int rc;
    while ((rc = io->recv(l, l->batch)) > 0) {
        count(l, l->batch); /* a send leaves the lengths undefined */
        if ((rc = io->send(l, l->batch)) < 0)
            break;
    }
    stop_lane(l, rc);
    return NULL;
}

static int shape_threads(size_t queues)
{
    (void)queues;
    for (size_t i = 0; i < lane_count; i++)
        if (start(sync_lane, &lanes[i]) < 0)
            return -1;
    return 0;
}

/* epoll: one thread, non-blocking devices; a readable device is drained
 * (up to a bound, for fairness) into the other. */
static void *epoll_loop(void *arg)
{
    (void)arg;
    const io_kind *io = the_mode->io;
    int ep = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
    int rc = ep < 0 ? -errno : 0;
    if (rc == 0 && epoll_ctl(ep, EPOLL_CTL_ADD, stop_fd, &ev) != 0)
        rc = -errno;
    for (size_t i = 0; rc == 0 && i < lane_count; i++) {
        ev.data.ptr = &lanes[i];
        if (epoll_ctl(ep, EPOLL_CTL_ADD, tun_device_fd(lanes[i].from), &ev))
            rc = -errno;
    }
    lane *failed = &lanes[0];
    while (rc == 0) {
        struct epoll_event ready[4];
        int n = epoll_wait(ep, ready, 4, -1);
        if (n < 0) {
            if (errno != EINTR)
                rc = -errno;
            continue;
        }
        for (int i = 0; rc == 0 && i < n; i++) {
            lane *l = ready[i].data.ptr;
            if (!l) {
                rc = TUN_ECANCELED;
                break;
            }
            for (int round = 0; round < 64; round++) {
                int got = io->recv(l, l->batch);
                if (got == TUN_EAGAIN)
                    break;
                if (got > 0)
                    count(l, l->batch);
                if (got < 0 || (got = io->send(l, l->batch)) < 0) {
                    rc = got;
                    failed = l;
                    break;
                }
            }
        }
    }
    if (ep >= 0)
        close(ep);
    stop_lane(failed, rc);
    return NULL;
}

static int shape_epoll(size_t queues)
{
    (void)queues;
    return start(epoll_loop, NULL);
}

/* channel: per direction a reading thread fills pool slots and a writing
 * thread drains them, in order; either waits only when the ring is full or
 * empty. */
static void *channel_reader(void *arg)
{
    lane *l = arg;
    channel *ch = l->ch;
    int rc = 0;
    for (size_t i = 0; rc >= 0; i++) {
        pthread_mutex_lock(&ch->lock);
        while (i - ch->drained == CHANNEL_SLOTS && !atomic_load(&stopping))
            pthread_cond_wait(&ch->changed, &ch->lock);
        pthread_mutex_unlock(&ch->lock);
        if (atomic_load(&stopping))
            rc = TUN_ECANCELED;
        else if ((rc = the_mode->io->recv(l, ch->slots[i % CHANNEL_SLOTS])) > 0) {
            pthread_mutex_lock(&ch->lock);
            ch->filled = i + 1;
            pthread_cond_broadcast(&ch->changed);
            pthread_mutex_unlock(&ch->lock);
        }
    }
    stop_lane(l, rc);
    return NULL;
}

static void *channel_writer(void *arg)
{
    lane *l = arg;
    channel *ch = l->ch;
    int rc = 0;
    for (size_t i = 0; rc >= 0; i++) {
        pthread_mutex_lock(&ch->lock);
        while (ch->filled == i && !atomic_load(&stopping))
            pthread_cond_wait(&ch->changed, &ch->lock);
        pthread_mutex_unlock(&ch->lock);
        if (atomic_load(&stopping)) {
            rc = TUN_ECANCELED;
            break;
        }
        batch *b = ch->slots[i % CHANNEL_SLOTS];
        count(l, b);
        if ((rc = the_mode->io->send(l, b)) < 0)
            break;
        pthread_mutex_lock(&ch->lock);
        ch->drained = i + 1;
        pthread_cond_broadcast(&ch->changed);
        pthread_mutex_unlock(&ch->lock);
    }
    stop_lane(l, rc);
    return NULL;
}

static int shape_channel(size_t queues)
{
    (void)queues;
    for (size_t i = 0; i < lane_count; i++)
        if (start(channel_reader, &lanes[i]) < 0 ||
            start(channel_writer, &lanes[i]) < 0)
            return -1;
    return 0;
}

static void wake_channels(void)
{
    for (size_t i = 0; i < lane_count; i++) {
        if (!lanes[i].ch)
            continue;
        pthread_mutex_lock(&lanes[i].ch->lock);
        pthread_cond_broadcast(&lanes[i].ch->changed);
        pthread_mutex_unlock(&lanes[i].ch->lock);
    }
}

static uint8_t *partial_flags(batch *b)
{
    return the_mode->io->carry_partial ? b->pflags : NULL;
}

static const mode modes[] = {
    {"raw-offload", &raw_offload_io, shape_threads, false, false,
     "reference: read()/write() of super-packets with their virtio-net "
     "header on offload devices, a thread per direction"},
    {"raw-plain", &raw_io, shape_threads, false, false,
     "reference: read()/write() on plain devices, a thread per direction"},
    {"plain", &plain_io, shape_threads, false, false,
     "sync, one packet per tun_read()/tun_write(), a thread per direction"},
    {"offload", &offload_io, shape_threads, false, false,
     "sync, tun_recv_multiple() (GSO split) and tun_send_multiple() (GRO), "
     "a thread per direction"},
    {"offload-mq", &offload_io, shape_threads, false, true,
     "offload on multi-queue devices, -q queues and threads per direction"},
    {"offload-epoll", &offload_io, shape_epoll, true, false,
     "offload on non-blocking devices, one thread waiting in epoll"},
    {"offload-channel", &offload_io, shape_channel, false, false,
     "offload, per direction a reading and a writing thread handing batches "
     "over through a ring of pooled buffers"},
    {"offload-partial", &offload_partial_io, shape_threads, false, false,
     "offload keeping partial checksums (checksums carried end to end: "
     "tun_recv_multiple_flagged(), tun_send_multiple_flagged()), a thread "
     "per direction"},
    {"offload-copyfree", &copyfree_io, shape_threads, false, false,
     "offload with copy-free segments and partial checksums: "
     "tun_recv_slices(), tun_send_slices(), a thread per direction"},
};

/* ---- setup --------------------------------------------------------------- */

/* Open one device inside the namespace file netns, as the mode wants it,
 * with queues handles (multi-queue: the first and its clones). The calling
 * thread enters that namespace and stays there: the caller switches
 * back. */
static int open_device(const mode *m, const char *netns, const char *addr,
                       const char *peer, size_t queues, tun_device **out)
{
    int ns = open(netns, O_RDONLY | O_CLOEXEC);
    int rc = ns < 0 || setns(ns, CLONE_NEWNET) != 0 ? -errno : 0;
    if (ns >= 0)
        close(ns);
    if (rc < 0) {
        fprintf(stderr, "forwarder: entering %s: %s\n", netns,
                strerror(-rc));
        return rc;
    }
    tun_config *cfg;
    rc = tun_config_new(&cfg);
    if (rc < 0)
        return fail("tun_config_new", rc);
    if ((rc = tun_config_set_offload(cfg, m->io->offload)) < 0 ||
        (rc = tun_config_set_multi_queue(cfg, m->multi_queue)) < 0 ||
        (rc = tun_config_set_nonblocking(cfg, m->nonblocking)) < 0 ||
        (rc = tun_config_add_ipv4(cfg, addr, 32, peer)) < 0)
        fail("configuring the device", rc);
    else if ((rc = tun_open(cfg, &out[0])) < 0)
        fail("tun_open", rc);
    tun_config_free(cfg);
    /* Clones attach by name, which only this namespace knows. */
    for (size_t i = 1; rc == 0 && i < queues; i++)
        if ((rc = tun_clone_queue(out[0], &out[i])) < 0)
            fail("tun_clone_queue", rc);
    return rc;
}

/* Copy-free mode: room for the offset and a segment's headers (IPv4 or
 * IPv6 and TCP, with options: 120 bytes at most), in whole cache lines. */
#define HDRS_ROOM 192
/* A whole-packet buffer's room, in whole cache lines. */
#define WHOLE_ROOM ((TUN_OFFLOAD_BUF_SIZE + 63) / 64 * 64)

static batch *batch_new(void)
{
    /* Copy-free mode reads a super-packet into `super` (the last buffer)
     * and cuts its segments' headers into bufs[0] to bufs[BATCH - 2].
     * Only bufs[0] ever takes a whole packet (one without GSO); the others
     * take headers, so they lie side by side in HDRS_ROOM-byte slots: the
     * few pages the split writes and the merge reads again, rather than a
     * page each. The other modes: a whole packet in every buffer. */
    bool copy_free = the_mode->io->recv == copyfree_recv;
    size_t slots = copy_free ? BATCH - 2 : 0;
    batch *b = calloc(1, sizeof(*b));
    uint8_t *mem = aligned_alloc(64, slots * HDRS_ROOM +
                                         (BATCH - slots) * WHOLE_ROOM);
    if (!b || !mem) {
        free(b);
        free(mem);
        return NULL;
    }
    b->mem = mem;
    uint8_t *slot_at = mem, *whole_at = mem + slots * HDRS_ROOM;
    for (size_t i = 0; i < BATCH; i++) {
        if (i >= 1 && i <= slots) {
            b->bufs[i] = (tun_buf){slot_at, HDRS_ROOM, 0};
            slot_at += HDRS_ROOM;
        } else {
            b->bufs[i] = (tun_buf){whole_at, TUN_OFFLOAD_BUF_SIZE, 0};
            whole_at += WHOLE_ROOM;
        }
    }
    b->super = b->bufs[BATCH - 1].data;
    return b;
}

static void batch_free(batch *b)
{
    if (b)
        free(b->mem);
    free(b);
}

/* Buffers, GRO table and channel of lane l. */
static int lane_init(lane *l)
{
    if (the_mode->shape == shape_channel) {
        if (!(l->ch = calloc(1, sizeof(*l->ch))))
            return TUN_ENOMEM;
        pthread_mutex_init(&l->ch->lock, NULL);
        pthread_cond_init(&l->ch->changed, NULL);
        for (size_t i = 0; i < CHANNEL_SLOTS; i++)
            if (!(l->ch->slots[i] = batch_new()))
                return TUN_ENOMEM;
    } else if (!(l->batch = batch_new())) {
        return TUN_ENOMEM;
    }
    unsigned flags = 0;
    if (tun_device_get_flags(l->to, &flags) == 0 &&
        (flags & TUN_FLAG_UDP_GSO))
        l->coalesce_flags = TUN_COALESCE_UDP;
    if (the_mode->io->recv == offload_recv ||
        the_mode->io->recv == copyfree_recv)
        return tun_gro_table_new(BATCH, &l->gro);
    return 0;
}

static void lane_free(lane *l)
{
    batch_free(l->batch);
    if (l->ch) {
        for (size_t i = 0; i < CHANNEL_SLOTS; i++)
            batch_free(l->ch->slots[i]);
        pthread_mutex_destroy(&l->ch->lock);
        pthread_cond_destroy(&l->ch->changed);
        free(l->ch);
    }
    tun_gro_table_free(l->gro);
}

static int usage(void)
{
    fprintf(stderr, "usage: forwarder MODE [-t SECONDS] [-q THREADS] NETNS_A "
                    "ADDR_A NETNS_B ADDR_B\nmodes:\n");
    for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
        fprintf(stderr, "  %-16s %s\n", modes[i].name, modes[i].what);
    return 2;
}

int main(int argc, char **argv)
{
    for (size_t i = 0; argc > 1 && i < sizeof(modes) / sizeof(modes[0]); i++)
        if (strcmp(argv[1], modes[i].name) == 0)
            the_mode = &modes[i];
    long limit = 600, queues_arg = 2;
    int arg = 2;
    for (; arg + 1 < argc && argv[arg][0] == '-'; arg += 2) {
        if (strcmp(argv[arg], "-t") == 0)
            limit = atol(argv[arg + 1]);
        else if (strcmp(argv[arg], "-q") == 0)
            queues_arg = atol(argv[arg + 1]);
        else
            return usage();
    }
    if (!the_mode || limit <= 0 || queues_arg < 1 ||
        queues_arg > QUEUES_MAX || argc - arg != 4)
        return usage();
    size_t queues = the_mode->multi_queue ? (size_t)queues_arg : 1;
    const char *ns_a = argv[arg], *addr_a = argv[arg + 1];
    const char *ns_b = argv[arg + 2], *addr_b = argv[arg + 3];

    /* Only the main thread takes the stop signals, with sigtimedwait(). */
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop_signals, NULL);

    stop_fd = eventfd(0, EFD_CLOEXEC);
    int home = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
    if (stop_fd < 0 || home < 0) {
        perror("forwarder: eventfd or own namespace");
        return 1;
    }
    tun_device *a[QUEUES_MAX] = {NULL}, *b[QUEUES_MAX] = {NULL};
    int rc = open_device(the_mode, ns_a, addr_a, addr_b, queues, a);
    if (rc == 0)
        rc = open_device(the_mode, ns_b, addr_b, addr_a, queues, b);
    /* Back home before any thread starts (threads inherit the namespace):
     * the library's interface calls act in the calling thread's namespace,
     * where an index names another interface or none. */
    if (setns(home, CLONE_NEWNET) != 0) {
        perror("forwarder: returning to its own namespace");
        rc = -1;
    }
    close(home);

    for (size_t q = 0; q < queues; q++) {
        lanes[lane_count] = (lane){.from = a[q], .to = b[q]};
        snprintf(lanes[lane_count++].name, sizeof(lanes[0].name), "a>b.%zu", q);
        lanes[lane_count] = (lane){.from = b[q], .to = a[q]};
        snprintf(lanes[lane_count++].name, sizeof(lanes[0].name), "b>a.%zu", q);
    }
    for (size_t i = 0; rc == 0 && i < lane_count; i++)
        if ((rc = lane_init(&lanes[i])) < 0)
            fail("allocating buffers", rc);
    if (rc == 0)
        rc = the_mode->shape(queues);
    if (rc == 0) {
        puts("ready");
        fflush(stdout);
        struct timespec ts = {.tv_sec = limit};
        if (sigtimedwait(&stop_signals, NULL, &ts) < 0) {
            fprintf(stderr, "forwarder: no stop signal within %ld s\n", limit);
            rc = -1;
        }
    }

    atomic_store(&stopping, true);
    uint64_t one = 1;
    if (write(stop_fd, &one, sizeof(one)) != sizeof(one))
        perror("forwarder: waking the lanes");
    for (size_t q = 0; q < queues; q++) {
        if (a[q])
            tun_interrupt(a[q]);
        if (b[q])
            tun_interrupt(b[q]);
    }
    wake_channels();
    for (size_t i = 0; i < thread_count; i++)
        pthread_join(threads[i], NULL);
    uint64_t sum[2][3] = {{0}};
    for (size_t i = 0; i < lane_count; i++) {
        sum[i % 2][0] += lanes[i].packets;
        sum[i % 2][1] += lanes[i].bytes;
        sum[i % 2][2] += lanes[i].batches;
        if (lanes[i].error)
            rc = -1;
        lane_free(&lanes[i]);
    }
    if (thread_count > 0)
        printf("{\"mode\":\"%s\",\"queues\":%zu,\"lanes\":{"
               "\"a>b\":{\"batches\":%llu,\"packets\":%llu,\"bytes\":%llu},"
               "\"b>a\":{\"batches\":%llu,\"packets\":%llu,\"bytes\":%llu}}}\n",
               the_mode->name, queues, (unsigned long long)sum[0][2],
               (unsigned long long)sum[0][0], (unsigned long long)sum[0][1],
               (unsigned long long)sum[1][2], (unsigned long long)sum[1][0],
               (unsigned long long)sum[1][1]);
    for (size_t q = 0; q < queues; q++) {
        tun_close(a[q]);
        tun_close(b[q]);
    }
    close(stop_fd);
    return rc == 0 ? 0 : 1;
}
