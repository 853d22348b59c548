/*
 * uring_vs_epoll: the same packet reflector on one non-blocking TUN device,
 * driven by epoll (tun_read()/tun_write() until TUN_EAGAIN) or by io_uring
 * (examples/async/uring_packets.c, the batched path the examples ship:
 * reads in flight on the descriptor, each packet written back from its own
 * buffer, one io_uring_submit_and_wait() per batch), to decide whether a
 * batched io_uring path is worth keeping.
 *
 *   uring_vs_epoll MODE SECONDS     (as root, inside a namespace:
 *                                    bench/uring_vs_epoll.sh)
 *
 * MODE: epoll, uring, or epoll-offload, uring-offload: the device with
 * offload, epoll driving tun_recv_multiple()/tun_send_multiple() and
 * io_uring reading super-packets that uring_packets cuts and merges with
 * the library's engine (tun_offload_split(), tun_offload_coalesce()).
 *
 * A child process floods UDP datagrams into the device (sendmmsg, 64 bytes
 * of payload; with offload, sends of 44 datagrams of 1400 bytes with
 * UDP_SEGMENT, which reach the device as one super-packet); the reflector
 * swaps each packet's addresses and writes it back, and the kernel
 * delivers it to the child's socket, which drops what it cannot hold.
 * Prints packets reflected per second and the reflector's own CPU time
 * (user + system) per million packets.
 */
#include "tun.h"
#include "uring_packets.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define QUEUE 64     /* io_uring buffers, each with a read in flight */
#define PACKET 2048  /* room for one packet at MTU 1500 */
/* Offload: buffers for a super-packet (and one byte more), fewer of them. */
#define OFFLOAD_QUEUE 8
#define OFFLOAD_PACKET (TUN_OFFLOAD_BUF_SIZE + 1)
#define SEGMENT 1400 /* datagram payload of the offload flood */
#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103 /* Linux's include/uapi/linux/udp.h */
#endif

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static double cpu_seconds(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
           (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1e-6;
}

/* Swap source and destination of an IPv4 packet (its checksums do not
 * change); anything else is left alone. */
static void reflect(uint8_t *pkt, size_t len)
{
    if (len < 20 || pkt[0] >> 4 != 4)
        return;
    uint8_t t[4];
    memcpy(t, pkt + 12, 4);
    memcpy(pkt + 12, pkt + 16, 4);
    memcpy(pkt + 16, t, 4);
}

/* The child: datagrams to 10.50.0.2:9 as fast as it can, until killed;
 * with offload, each send 44 datagrams of SEGMENT bytes in one super-packet
 * (UDP_SEGMENT). */
static void flood(bool offload)
{
    int s = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(9)};
    inet_pton(AF_INET, "10.50.0.2", &to.sin_addr);
    int segment = SEGMENT;
    if (s < 0 || connect(s, (struct sockaddr *)&to, sizeof(to)) != 0 ||
        (offload && setsockopt(s, IPPROTO_UDP, UDP_SEGMENT, &segment,
                               sizeof(segment)) != 0))
        _exit(1);
    static char payload[44 * SEGMENT];
    struct iovec iov = {payload, offload ? sizeof(payload) : 64};
    struct mmsghdr msgs[64];
    memset(msgs, 0, sizeof(msgs));
    for (int i = 0; i < 64; i++) {
        msgs[i].msg_hdr.msg_iov = &iov;
        msgs[i].msg_hdr.msg_iovlen = 1;
    }
    for (;;)
        sendmmsg(s, msgs, 64, 0);
}

#define BATCH TUN_IDEAL_BATCH_SIZE

/* Offload: the buffers of one tun_recv_multiple() (the first takes a whole
 * super-packet, so it is read in place) and the GRO table. */
struct offload_io {
    tun_gro_table *table;
    tun_buf bufs[BATCH];
};

/* Reflect what the device holds, until TUN_EAGAIN or the end of the run
 * (a flood faster than the reflector, as under the sanitizers, never
 * leaves the queue empty; the wait is level-triggered, so stopping early
 * loses nothing); returns how many packets went back. Without offload:
 * tun_read() and tun_write() each. */
static unsigned long drain(tun_device *dev, struct offload_io *io, double end)
{
    static uint8_t pkt[PACKET];
    unsigned long done = 0;
    int n;
    if (!io) {
        while (now() < end && (n = tun_read(dev, pkt, sizeof(pkt))) > 0) {
            reflect(pkt, (size_t)n);
            if (tun_write(dev, pkt, (size_t)n) == n)
                done++;
        }
        return done;
    }
    while (now() < end &&
           (n = tun_recv_multiple(dev, io->bufs, BATCH, TUN_VNET_HDR_LEN)) > 0) {
        for (int i = 0; i < n; i++)
            reflect(io->bufs[i].data + TUN_VNET_HDR_LEN, io->bufs[i].len);
        if (tun_send_multiple(dev, io->table, io->bufs, (size_t)n,
                              TUN_VNET_HDR_LEN) == n)
            done += (unsigned long)n;
    }
    return done;
}

static unsigned long run_epoll(tun_device *dev, double end, bool offload)
{
    enum { SEG = TUN_VNET_HDR_LEN + PACKET };
    static uint8_t first[TUN_OFFLOAD_BUF_SIZE], rest[BATCH - 1][SEG];
    static struct offload_io io = {.bufs = {{first, sizeof(first), 0}}};
    for (size_t i = 1; i < BATCH; i++)
        io.bufs[i] = (tun_buf){rest[i - 1], SEG, 0};
    if (offload && tun_gro_table_new(BATCH, &io.table) < 0)
        exit(1);
    unsigned long done = 0;
    int ep = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event ev = {.events = EPOLLIN};
    epoll_ctl(ep, EPOLL_CTL_ADD, tun_device_fd(dev), &ev);
    while (now() < end)
        if (epoll_wait(ep, &ev, 1, 100) > 0)
            done += drain(dev, offload ? &io : NULL, end);
    close(ep);
    tun_gro_table_free(io.table);
    return done;
}

static size_t reflect_packet(void *arg, uint8_t *buffer, size_t len,
                             size_t size)
{
    (void)arg;
    (void)size;
    reflect(buffer, len);
    return len;
}

static unsigned long run_uring(tun_device *dev, double end, bool offload)
{
    static uint8_t bufs[QUEUE * PACKET];
    static uint8_t offload_bufs[OFFLOAD_QUEUE * OFFLOAD_PACKET];
    uring_packets *p;
    if (uring_packets_new(dev, offload ? offload_bufs : bufs,
                          offload ? OFFLOAD_QUEUE : QUEUE,
                          offload ? OFFLOAD_PACKET : PACKET, reflect_packet,
                          NULL, &p) != 0)
        exit(1);
    while (now() < end)
        if (uring_packets_wait(p, 100) < 0)
            exit(1);
    const uring_packets_stats *st = uring_packets_get_stats(p);
    unsigned long done = (unsigned long)st->written;
    fprintf(stderr, "uring_packets: %llu packets, %llu written, %llu "
            "refused, %llu too large, %llu super-packets\n",
            (unsigned long long)st->packets, (unsigned long long)st->written,
            (unsigned long long)st->refused, (unsigned long long)st->too_large,
            (unsigned long long)st->super_packets);
    uring_packets_free(p);
    return done;
}

int main(int argc, char **argv)
{
    static const char *const modes[] = {"epoll", "uring", "epoll-offload",
                                        "uring-offload"};
    int mode = -1;
    for (int m = 0; argc == 3 && m < 4; m++)
        if (!strcmp(argv[1], modes[m]))
            mode = m;
    if (mode < 0) {
        fprintf(stderr, "usage: %s epoll|uring|epoll-offload|uring-offload "
                "SECONDS\n", argv[0]);
        return 2;
    }
    bool offload = mode >= 2, uring = mode % 2;
    double seconds = atof(argv[2]);
    tun_config *cfg;
    tun_device *dev;
    tun_config_new(&cfg);
    tun_config_set_name(cfg, "tbench");
    tun_config_add_ipv4(cfg, "10.50.0.1", 24, NULL);
    tun_config_set_nonblocking(cfg, true);
    tun_config_set_offload(cfg, offload);
    int rc = tun_open(cfg, &dev);
    tun_config_free(cfg);
    if (rc < 0) {
        fprintf(stderr, "tun_open: %s\n", tun_last_error());
        return 1;
    }
    pid_t child = fork();
    if (child == 0)
        flood(offload);
    double cpu0 = cpu_seconds(), t0 = now();
    unsigned long done = uring ? run_uring(dev, t0 + seconds, offload)
                               : run_epoll(dev, t0 + seconds, offload);
    double cpu = cpu_seconds() - cpu0, wall = now() - t0;
    kill(child, SIGKILL);
    waitpid(child, NULL, 0);
    tun_close(dev);
    printf("%-13s %10.0f packets/s  %6.1f%% CPU  %6.3f CPU s per million "
           "packets\n", argv[1], (double)done / wall, 100.0 * cpu / wall,
           done ? cpu * 1e6 / (double)done : 0.0);
    return 0;
}
