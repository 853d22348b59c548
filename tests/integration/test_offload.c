/* Offload end to end. Two TUN devices, A in the test's own network
 * namespace and B in a second one it creates, are joined by a forwarder of
 * two lanes (A to B, B to A) built on tun_recv_multiple() and
 * tun_send_multiple() alone, so that every packet between the namespaces
 * crosses it. Over that path: 256 MiB of TCP over IPv4 and over IPv6 and
 * 256 MiB of UDP sent with UDP_SEGMENT, each checked with SHA-256 on both
 * ends; the forwarder must have read super-packets and the kernel must have
 * received fewer packets than the forwarder handled (they were merged). The
 * partial-failure contract of tun_send_multiple(), and the same forwarder
 * over devices without offload, are checked too.
 *
 * Checksums carried end to end: the same streams (TCP and UDP, IPv4 and
 * IPv6) through a forwarder that keeps partial checksums
 * (tun_recv_multiple_flagged(), tun_send_multiple_flagged()), and then
 * onward: B routes them through a veth pair whose transmit checksum
 * offload is off (the kernel finishes every checksum in software) to a
 * third namespace C, where the receivers get the streams intact and a
 * packet socket checks the TCP/UDP checksum of every packet that
 * arrives. The same again with copy-free segments: the forwarder takes
 * each super-packet's segments with tun_recv_slices() (payloads left where
 * they were read, fewer segments a call than a super-packet makes, so that
 * it comes in parts) and sends them with tun_send_slices(); and these two
 * calls over devices without offload. */
#include "testutil.h"

#include "unit/test_offload_packets.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/ethtool.h>
#include <linux/if_packet.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103
#endif

#define MIB (1024u * 1024u)
#define STREAM_BYTES (256u * MIB)
#define BATCH TUN_IDEAL_BATCH_SIZE
/* Segments per tun_recv_slices(): fewer than a 64 KiB super-packet makes. */
#define COPY_FREE_COUNT 16
#define OFFSET TUN_VNET_HDR_LEN
#define PORT 7001
#define IO_TIMEOUT_S 20 /* no socket call waits longer */
/* No stream may take longer; the sanitizers make everything about three
 * times slower. */
#if defined(__SANITIZE_ADDRESS__)
#define CASE_SECONDS 180
#else
#define CASE_SECONDS 60
#endif

/* Addresses of A's and B's devices, and of C's end of the veth pair. */
static const char *const addr4[3] = {"10.77.0.1", "10.77.0.2", "10.78.0.2"};
static const char *const addr6[3] = {"fd77::1", "fd77::2", "fd78::2"};
static const char *const names[2] = {"toff0", "toff1"};

/* The namespaces (A: the test's own; C, beyond B, made by the onward
 * tests) and the two devices. */
static int ns[3] = {-1, -1, -1};
static tun_device *dev[2];
/* The forwarder keeps partial checksums (the opt-in). */
static bool carry_partial;
/* ... and copy-free segments (tun_recv_slices(), tun_send_slices()). */
static bool copy_free;

static void enter(int which)
{
    if (setns(ns[which], CLONE_NEWNET) != 0)
        fail_msg("setns: %s", strerror(errno));
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Write value to a file of /proc/sys, in the calling thread's namespace. */
static void set_sysctl(const char *path, const char *value)
{
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, value, strlen(value)), (ssize_t)strlen(value));
    close(fd);
}

/* The packets the kernel took in on device `which` (a TUN device counts
 * what is written to it as received), from /proc/net/dev of its
 * namespace. */
static uint64_t received_packets(int which)
{
    enter(which);
    FILE *f = fopen("/proc/thread-self/net/dev", "r");
    assert_non_null(f);
    char line[512];
    uint64_t packets = UINT64_MAX;
    size_t n = strlen(names[which]);
    while (fgets(line, sizeof(line), f)) {
        const char *p = line + strspn(line, " ");
        uint64_t bytes;
        if (strncmp(p, names[which], n) == 0 && p[n] == ':' &&
            sscanf(p + n + 1, "%" SCNu64 " %" SCNu64, &bytes, &packets) != 2)
            packets = UINT64_MAX;
    }
    fclose(f);
    enter(0);
    assert_true(packets != UINT64_MAX);
    return packets;
}

/* Open device `which` in its namespace, with or without offload. */
static void open_device(int which, bool offload)
{
    enter(which);
    tun_config *cfg;
    assert_tun_ok(tun_config_new(&cfg));
    assert_tun_ok(tun_config_set_name(cfg, names[which]));
    assert_tun_ok(tun_config_set_offload(cfg, offload));
    assert_tun_ok(tun_config_set_nonblocking(cfg, true));
    assert_tun_ok(tun_config_add_ipv4(cfg, addr4[which], 24, NULL));
    assert_tun_ok(tun_config_add_ipv6(cfg, addr6[which], 64));
    assert_tun_ok(tun_open(cfg, &dev[which]));
    tun_config_free(cfg);
    unsigned flags;
    assert_tun_ok(tun_device_get_flags(dev[which], &flags));
    unsigned want = TUN_FLAG_OFFLOAD | TUN_FLAG_TCP_GSO | TUN_FLAG_UDP_GSO;
    assert_int_equal(flags & want, offload ? want : 0);
    enter(0);
}

static int open_offload(void **state)
{
    (void)state;
    open_device(0, true);
    open_device(1, true);
    return 0;
}

static int open_plain(void **state)
{
    (void)state;
    open_device(0, false);
    open_device(1, false);
    return 0;
}

/* ---- the forwarder ------------------------------------------------------- */

/* One direction: batches read from `from` with tun_recv_multiple() (as
 * many reads as fit before TUN_EAGAIN), written to `to` with
 * tun_send_multiple(). The counters belong to the lane's thread until it
 * is joined. */
typedef struct lane {
    int from, to; /* device indices */
    tun_buf bufs[BATCH];
    uint8_t pflags[BATCH]; /* with carry_partial */
    /* copy_free: the payloads, in the super-packet read into super; where
     * the last call's last payload ended, and how many calls went on with
     * the super-packet of the call before. */
    tun_slice payloads[BATCH];
    uint8_t *super;
    const uint8_t *payload_end;
    uint64_t continued;
    tun_gro_table *table;
    pthread_t thread;
    uint64_t reads, segments, max_segments, refused;
    uint64_t partial; /* segments handed over with a partial checksum */
    int error;
} lane;

static lane lanes[2];
static atomic_bool stopping;
static bool forwarding; /* the lanes run */

/* Write bufs[0..count) whatever happens, following the contract: a short
 * count means the next call reports the failing packet's error. */
static int send_all(lane *l, size_t count)
{
    size_t done = 0;
    while (done < count) {
        int rc = tun_send_multiple_flagged(
            dev[l->to], l->table, l->bufs + done,
            carry_partial ? l->pflags + done : NULL, count - done, OFFSET);
        if (rc > 0) {
            done += (size_t)rc;
        } else if (rc == TUN_EINVAL || rc == TUN_EMSGSIZE) {
            l->refused++; /* this packet is refused: skip it */
            done++;
        } else if (rc == TUN_EAGAIN) {
            struct pollfd p = {tun_device_fd(dev[l->to]), POLLOUT, 0};
            poll(&p, 1, 10);
        } else {
            return rc;
        }
    }
    return 0;
}

/* Copy-free: the next segments of a super-packet read from the lane's
 * source with tun_recv_slices(), at most COPY_FREE_COUNT at a time so that
 * a super-packet comes in parts; counts the calls that went on with the
 * super-packet of the call before (their first payload follows that
 * call's last). Their count, TUN_EAGAIN, or an error. */
static int copy_free_recv(lane *l)
{
    int n = tun_recv_slices(dev[l->from], l->super, TUN_OFFLOAD_BUF_SIZE,
                            l->bufs, l->payloads, l->pflags, COPY_FREE_COUNT,
                            OFFSET);
    if (n <= 0)
        return n;
    if (l->payloads[0].data && l->payloads[0].data == l->payload_end)
        l->continued++;
    const tun_slice *last = &l->payloads[n - 1];
    l->payload_end = last->data ? last->data + last->len : NULL;
    return n;
}

/* Copy-free: send the count segments with tun_send_slices(), following its
 * contract as send_all() does. */
static int copy_free_send(lane *l, size_t count)
{
    size_t done = 0;
    while (done < count) {
        int rc = tun_send_slices(dev[l->to], l->table, l->bufs + done,
                                 l->payloads + done, l->pflags + done,
                                 count - done, OFFSET);
        if (rc > 0) {
            done += (size_t)rc;
        } else if (rc == TUN_EINVAL || rc == TUN_EMSGSIZE) {
            l->refused++;
            done++;
        } else if (rc == TUN_EAGAIN) {
            struct pollfd p = {tun_device_fd(dev[l->to]), POLLOUT, 0};
            poll(&p, 1, 10);
        } else {
            return rc;
        }
    }
    return 0;
}

static void *lane_main(void *arg)
{
    lane *l = arg;
    /* Interface calls on the target (tun_write() checks its MTU) act in
     * the calling thread's namespace: be in the target's. */
    if (setns(ns[l->to], CLONE_NEWNET) != 0) {
        l->error = -errno;
        return NULL;
    }
    size_t used = 0;
    while (!atomic_load(&stopping) && copy_free) {
        int n = copy_free_recv(l);
        if (n == TUN_EAGAIN) {
            struct pollfd p = {tun_device_fd(dev[l->from]), POLLIN, 0};
            poll(&p, 1, 10);
            continue;
        }
        if (n > 0) {
            for (int i = 0; i < n; i++)
                l->partial += l->pflags[i] == TUN_PACKET_CSUM_PARTIAL;
            l->reads++;
            l->segments += (uint64_t)n;
            if ((uint64_t)n > l->max_segments)
                l->max_segments = (uint64_t)n;
            n = copy_free_send(l, (size_t)n);
        }
        if (n < 0) {
            l->error = n;
            break;
        }
    }
    while (!atomic_load(&stopping) && !copy_free) {
        int n = tun_recv_multiple_flagged(dev[l->from], l->bufs + used,
                                          carry_partial ? l->pflags + used
                                                        : NULL,
                                          BATCH - used, OFFSET);
        if (n > 0) {
            for (int i = 0; carry_partial && i < n; i++)
                l->partial += l->pflags[used + (size_t)i] ==
                              TUN_PACKET_CSUM_PARTIAL;
            l->reads++;
            l->segments += (uint64_t)n;
            if ((uint64_t)n > l->max_segments)
                l->max_segments = (uint64_t)n;
            used += (size_t)n;
            if (used < BATCH)
                continue;
        } else if (n == TUN_EAGAIN) {
            if (used == 0) {
                struct pollfd p = {tun_device_fd(dev[l->from]), POLLIN, 0};
                poll(&p, 1, 10);
                continue;
            }
        } else {
            l->error = n;
            break;
        }
        int rc = send_all(l, used);
        if (rc < 0) {
            l->error = rc;
            break;
        }
        used = 0;
    }
    return NULL;
}

static void forwarder_start(void)
{
    forwarding = true;
    atomic_store(&stopping, false);
    for (int i = 0; i < 2; i++) {
        lane *l = &lanes[i];
        l->from = i;
        l->to = 1 - i;
        l->reads = l->segments = l->max_segments = l->refused = 0;
        l->partial = 0;
        l->payload_end = NULL;
        l->continued = 0;
        if (!l->super) {
            l->super = malloc(TUN_OFFLOAD_BUF_SIZE);
            assert_non_null(l->super);
        }
        l->error = 0;
        if (!l->table)
            assert_tun_ok(tun_gro_table_new(BATCH, &l->table));
        for (size_t k = 0; k < BATCH && !l->bufs[k].data; k++) {
            l->bufs[k].data = malloc(TUN_OFFLOAD_BUF_SIZE);
            assert_non_null(l->bufs[k].data);
            l->bufs[k].capacity = TUN_OFFLOAD_BUF_SIZE;
        }
        assert_int_equal(pthread_create(&l->thread, NULL, lane_main, l), 0);
    }
}

static void forwarder_stop(void)
{
    atomic_store(&stopping, true);
    forwarding = false;
    for (int i = 0; i < 2; i++)
        pthread_join(lanes[i].thread, NULL);
    for (int i = 0; i < 2; i++) {
        if (lanes[i].error)
            fail_msg("lane %d: %s: %s", i, tun_err_name(lanes[i].error),
                     tun_last_error());
        assert_int_equal(lanes[i].refused, 0);
    }
}

static int close_devices(void **state)
{
    (void)state;
    if (forwarding) /* a test failed half way */
        forwarder_stop();
    enter(0);
    tun_close(dev[0]);
    tun_close(dev[1]);
    dev[0] = dev[1] = NULL;
    carry_partial = copy_free = false;
    return 0;
}

static void forwarder_free(void)
{
    for (int i = 0; i < 2; i++) {
        for (size_t k = 0; k < BATCH; k++)
            free(lanes[i].bufs[k].data);
        free(lanes[i].super);
        tun_gro_table_free(lanes[i].table);
    }
    memset(lanes, 0, sizeof(lanes));
}

/* ---- streams ------------------------------------------------------------- */

static socklen_t sockaddr_of(int family, int which, uint16_t port,
                             struct sockaddr_storage *ss)
{
    memset(ss, 0, sizeof(*ss));
    if (family == AF_INET) {
        struct sockaddr_in *in = (struct sockaddr_in *)ss;
        in->sin_family = AF_INET;
        in->sin_port = htons(port);
        assert_int_equal(inet_pton(AF_INET, addr4[which], &in->sin_addr), 1);
        return sizeof(*in);
    }
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
    in6->sin6_family = AF_INET6;
    in6->sin6_port = htons(port);
    assert_int_equal(inet_pton(AF_INET6, addr6[which], &in6->sin6_addr), 1);
    return sizeof(*in6);
}

/* A socket of namespace `which`, bound to its device's address, with
 * timeouts on every call. */
static int make_socket(int which, int family, int type, uint16_t port)
{
    enter(which);
    int fd = socket(family, type | SOCK_CLOEXEC, 0);
    assert_true(fd >= 0);
    struct timeval tv = {IO_TIMEOUT_S, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    struct sockaddr_storage ss;
    socklen_t len = sockaddr_of(family, which, port, &ss);
    /* A new IPv6 address stays tentative for a moment after the device
     * comes up (the kernel finishes that asynchronously). */
    int rc, tries = 0;
    while ((rc = bind(fd, (struct sockaddr *)&ss, len)) != 0 &&
           errno == EADDRNOTAVAIL && tries++ < 300)
        usleep(10000);
    if (rc != 0)
        fail_msg("bind: %s", strerror(errno));
    enter(0);
    return fd;
}

/* What a receiving thread reports. */
typedef struct sink {
    int fd;
    int family;
    uint64_t bytes;
    uint8_t digest[32];
    const char *error; /* NULL when all went well */
} sink;

static void *tcp_sink_main(void *arg)
{
    sink *k = arg;
    int conn = accept(k->fd, NULL, NULL);
    if (conn < 0) {
        k->error = "accept failed";
        return NULL;
    }
    struct timeval tv = {IO_TIMEOUT_S, 0};
    setsockopt(conn, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    tun_test_sha256 h;
    tun_test_sha256_init(&h);
    uint8_t *buf = malloc(MIB);
    for (;;) {
        ssize_t n = buf ? recv(conn, buf, MIB, 0) : -1;
        if (n <= 0) {
            if (n < 0)
                k->error = "recv failed or timed out";
            break;
        }
        tun_test_sha256_add(&h, buf, (size_t)n);
        k->bytes += (uint64_t)n;
    }
    tun_test_sha256_end(&h, k->digest);
    free(buf);
    close(conn);
    return NULL;
}

/* The lane from A to B read super-packets, and B received fewer packets
 * than the lane handed over: they were merged. */
static void check_offload_worked(uint64_t received_before)
{
    const lane *l = &lanes[0];
    uint64_t received = received_packets(1) - received_before;
    print_message("  A to B: %" PRIu64 " reads, %" PRIu64 " packets (up to "
                  "%" PRIu64 " per read); B took in %" PRIu64 " packets\n",
                  l->reads, l->segments, l->max_segments, received);
    assert_true(l->max_segments > 1);
    assert_true(received * 2 < l->segments);
}

/* A TCP stream from A to namespace `to` (B, or C beyond it) across the
 * forwarder, of `total` bytes. */
static void tcp_stream(int family, bool offload, int to, uint64_t total)
{
    uint64_t received_before = received_packets(1);
    forwarder_start();
    sink k = {.fd = make_socket(to, family, SOCK_STREAM, PORT),
              .family = family};
    assert_int_equal(listen(k.fd, 1), 0);
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, tcp_sink_main, &k), 0);

    int fd = make_socket(0, family, SOCK_STREAM, 0);
    struct sockaddr_storage dst;
    socklen_t to_len = sockaddr_of(family, to, PORT, &dst);
    if (connect(fd, (struct sockaddr *)&dst, to_len) != 0) {
        int err = errno;
        shutdown(k.fd, SHUT_RDWR); /* the receiver stops waiting */
        pthread_join(t, NULL);
        fail_msg("connect: %s", strerror(err));
    }
    uint64_t state = 42;
    uint8_t *buf = malloc(MIB);
    assert_non_null(buf);
    tun_test_sha256 h;
    tun_test_sha256_init(&h);
    double start = now();
    const char *why = NULL; /* why the sender stopped early */
    for (uint64_t sent = 0; sent < total && !why; sent += MIB) {
        tun_test_fill_stream(buf, MIB, &state);
        tun_test_sha256_add(&h, buf, MIB);
        for (size_t off = 0; off < MIB && !why;) {
            ssize_t n = send(fd, buf + off, MIB - off, MSG_NOSIGNAL);
            if (n <= 0)
                why = "send failed or timed out";
            else if (now() - start > CASE_SECONDS)
                why = "too slow";
            off += n > 0 ? (size_t)n : 0;
        }
    }
    /* On any failure the receiver sees the end too, and stops. */
    shutdown(fd, why ? SHUT_RDWR : SHUT_WR);
    pthread_join(t, NULL);
    double seconds = now() - start;
    uint8_t digest[32];
    tun_test_sha256_end(&h, digest);
    close(fd);
    close(k.fd);
    free(buf);
    forwarder_stop();
    print_message("  TCP/IPv%d: %" PRIu64 " MiB in %.2f s\n",
                  family == AF_INET ? 4 : 6, total / MIB, seconds);
    if (why)
        fail_msg("sender: %s after %.0f s", why, seconds);
    if (k.error)
        fail_msg("receiver: %s after %" PRIu64 " bytes", k.error, k.bytes);
    assert_int_equal(k.bytes, total);
    assert_memory_equal(k.digest, digest, 32);
    if (offload)
        check_offload_worked(received_before);
    else
        assert_int_equal(lanes[0].max_segments, 1);
}

static void tcp_ipv4(void **state)
{
    (void)state;
    tcp_stream(AF_INET, true, 1, STREAM_BYTES);
}

static void tcp_ipv6(void **state)
{
    (void)state;
    tcp_stream(AF_INET6, true, 1, STREAM_BYTES);
}

/* ---- UDP with UDP_SEGMENT -------------------------------------------------- */

#define UDP_DATAGRAM 1400
#define UDP_PIECE (UDP_DATAGRAM - 8) /* stream bytes per datagram */
#define UDP_PER_SEND 44 /* 61600 bytes a send: one super-packet */
#define UDP_WINDOW 3000 /* datagrams between acknowledgements */

/* Datagram i carries i in its first 8 bytes, then the next UDP_PIECE bytes
 * of the stream. The receiver acknowledges every UDP_WINDOW datagrams, so
 * that the sender never overruns a queue (UDP has no flow control), and
 * stops at the number UINT64_MAX. */
static void *udp_sink_main(void *arg)
{
    sink *k = arg;
    tun_test_sha256 h;
    tun_test_sha256_init(&h);
    uint8_t buf[UDP_DATAGRAM + 1];
    for (uint64_t expected = 0;; expected++) {
        struct sockaddr_storage from;
        socklen_t from_len = sizeof(from);
        ssize_t n = recvfrom(k->fd, buf, sizeof(buf), 0,
                             (struct sockaddr *)&from, &from_len);
        uint64_t seq;
        if (n < 8) {
            k->error = n < 0 ? "recv failed or timed out (lost datagrams?)"
                             : "short datagram";
            break;
        }
        memcpy(&seq, buf, 8);
        if (seq == UINT64_MAX)
            break;
        if (seq != expected || n != UDP_DATAGRAM) {
            k->error = "a datagram was lost, cut or out of order";
            break;
        }
        tun_test_sha256_add(&h, buf + 8, UDP_PIECE);
        k->bytes += UDP_PIECE;
        if ((seq + 1) % UDP_WINDOW == 0)
            sendto(k->fd, &seq, 8, 0, (struct sockaddr *)&from, from_len);
    }
    tun_test_sha256_end(&h, k->digest);
    return NULL;
}

/* Datagrams of `bytes` of stream in all from A to namespace `to` (B, or C
 * beyond it) across the forwarder, sent with UDP_SEGMENT. */
static void udp_stream(int family, int to, uint64_t bytes)
{
    uint64_t received_before = received_packets(1);
    forwarder_start();
    sink k = {.fd = make_socket(to, family, SOCK_DGRAM, PORT),
              .family = family};
    int big = 64 * (int)MIB;
    assert_int_equal(setsockopt(k.fd, SOL_SOCKET, SO_RCVBUFFORCE, &big,
                                sizeof(big)),
                     0);
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, udp_sink_main, &k), 0);

    int fd = make_socket(0, family, SOCK_DGRAM, 0);
    struct sockaddr_storage dst;
    socklen_t to_len = sockaddr_of(family, to, PORT, &dst);
    assert_int_equal(connect(fd, (struct sockaddr *)&dst, to_len), 0);
    int segment = UDP_DATAGRAM;
    assert_int_equal(setsockopt(fd, SOL_UDP, UDP_SEGMENT, &segment,
                                sizeof(segment)),
                     0);
    static uint8_t buf[UDP_PER_SEND * UDP_DATAGRAM];
    const uint64_t count = (bytes + UDP_PIECE - 1) / UDP_PIECE;
    uint64_t stream = 7;
    tun_test_sha256 h;
    tun_test_sha256_init(&h);
    double start = now();
    const char *why = NULL; /* why the sender stopped early */
    size_t queued = 0;
    for (uint64_t seq = 0; seq < count && !why; seq++) {
        uint8_t *d = buf + queued++ * UDP_DATAGRAM;
        memcpy(d, &seq, 8);
        tun_test_fill_stream(d + 8, UDP_PIECE, &stream);
        tun_test_sha256_add(&h, d + 8, UDP_PIECE);
        bool window_end = (seq + 1) % UDP_WINDOW == 0;
        if (queued < UDP_PER_SEND && !window_end && seq + 1 < count)
            continue;
        uint64_t ack;
        if (send(fd, buf, queued * UDP_DATAGRAM, 0) !=
            (ssize_t)(queued * UDP_DATAGRAM))
            why = "send failed";
        else if (window_end && recv(fd, &ack, 8, 0) != 8)
            why = "no acknowledgement of a window";
        else if (now() - start > CASE_SECONDS)
            why = "too slow";
        queued = 0;
    }
    uint64_t end = UINT64_MAX;
    if (why || send(fd, &end, 8, 0) != 8)
        shutdown(k.fd, SHUT_RDWR); /* the receiver stops at once */
    pthread_join(t, NULL);
    double seconds = now() - start;
    uint8_t digest[32];
    tun_test_sha256_end(&h, digest);
    close(fd);
    close(k.fd);
    forwarder_stop();
    print_message("  UDP_SEGMENT: %" PRIu64 " MiB in %.2f s\n",
                  count * UDP_PIECE / MIB, seconds);
    if (why)
        fail_msg("sender: %s after %.0f s (receiver: %s)", why, seconds,
                 k.error ? k.error : "no error");
    if (k.error)
        fail_msg("receiver: %s after %" PRIu64 " bytes", k.error, k.bytes);
    assert_int_equal(k.bytes, count * UDP_PIECE);
    assert_memory_equal(k.digest, digest, 32);
    check_offload_worked(received_before);
}

static void udp_gso(void **state)
{
    (void)state;
    udp_stream(AF_INET, 1, STREAM_BYTES);
}

/* A UDP/IPv4 flow from A's address to B's, port PORT. */
static test_flow udp_flow_to_b(void)
{
    test_flow f = test_flow_make(4, TEST_UDP, 0);
    inet_pton(AF_INET, addr4[0], f.src);
    inet_pton(AF_INET, addr4[1], f.dst);
    f.dport = PORT;
    return f;
}

/* ---- tun_send_multiple() partial failure -------------------------------------- */

/* Three datagrams of one flow from A to B and, between the second and the
 * third, a packet the kernel refuses (not IP): the datagrams are merged
 * into one super-packet written before the refused packet is reached. The
 * call reports 2 written; the resumed call reports the refusal at once;
 * skipping it, the rest (the third datagram, already written, now empty)
 * goes through without being sent twice. */
static void send_partial_failure(void **state)
{
    (void)state;
    int rx = make_socket(1, AF_INET, SOCK_DGRAM, PORT);
    tun_gro_table *table;
    assert_tun_ok(tun_gro_table_new(BATCH, &table));
    static uint8_t data[4][OFFSET + 2048];
    tun_buf bufs[4];
    test_flow f = udp_flow_to_b();
    uint8_t payload[3][1000];
    for (int i = 0; i < 4; i++) {
        bufs[i] = (tun_buf){data[i], sizeof(data[i]), 0};
        if (i == 2) {
            memset(data[i] + OFFSET, 0, 60); /* IP version 0 */
            bufs[i].len = 60;
            continue;
        }
        int d = i < 2 ? i : 2;
        memset(payload[d], 'a' + d, sizeof(payload[d]));
        test_seg s = {.df = true, .id = (uint16_t)d, .payload = payload[d],
                      .payload_len = sizeof(payload[d])};
        bufs[i].len = test_build(data[i] + OFFSET, &f, &s);
    }
    uint64_t received_before = received_packets(1);
    assert_int_equal(tun_send_multiple(dev[1], table, bufs, 4, OFFSET), 2);
    assert_int_equal(bufs[3].len, 0); /* written already */
    assert_int_equal(tun_send_multiple(dev[1], table, bufs + 2, 2, OFFSET),
                     TUN_EINVAL);
    assert_int_equal(tun_send_multiple(dev[1], table, bufs + 3, 1, OFFSET), 1);
    assert_int_equal(received_packets(1) - received_before, 1); /* merged */
    for (int d = 0; d < 3; d++) {
        uint8_t got[2048];
        assert_int_equal(recv(rx, got, sizeof(got), 0), sizeof(payload[d]));
        assert_memory_equal(got, payload[d], sizeof(payload[d]));
    }
    uint8_t more;
    assert_int_equal(recv(rx, &more, 1, MSG_DONTWAIT), -1); /* no duplicate */
    close(rx);
    tun_gro_table_free(table);
}

/* Single datagrams with partial checksums, flagged: written with a table
 * (alone: the kernel is asked to finish the checksum) and without one (the
 * library completes it before the plain write); B's UDP socket, which
 * drops a datagram whose checksum is wrong, gets each intact. */
static void partial_single_packets(void **state)
{
    (void)state;
    int rx = make_socket(1, AF_INET, SOCK_DGRAM, PORT);
    tun_gro_table *table;
    assert_tun_ok(tun_gro_table_new(BATCH, &table));
    static uint8_t data[2][OFFSET + 2048];
    test_flow f = udp_flow_to_b();
    uint8_t payload[2][700];
    for (int with_table = 1; with_table >= 0; with_table--) {
        tun_buf bufs[2];
        uint8_t pflags[2] = {TUN_PACKET_CSUM_PARTIAL,
                             TUN_PACKET_CSUM_PARTIAL};
        for (int i = 0; i < 2; i++) {
            memset(payload[i], 'p' + i + 2 * with_table, sizeof(payload[i]));
            /* Different ports: two flows, never merged. */
            f.sport = (uint16_t)(4000 + i);
            test_seg sg = {.df = true, .payload = payload[i],
                           .payload_len = sizeof(payload[i])};
            uint8_t *p = data[i] + OFFSET;
            bufs[i] = (tun_buf){data[i], sizeof(data[i]),
                                test_build(p, &f, &sg)};
            test_put16(p + 26, test_pseudo(p, TEST_UDP, bufs[i].len - 20));
        }
        assert_int_equal(tun_send_multiple_flagged(dev[1],
                                                   with_table ? table : NULL,
                                                   bufs, pflags, 2, OFFSET),
                         2);
        for (int i = 0; i < 2; i++) {
            uint8_t got[2048];
            assert_int_equal(recv(rx, got, sizeof(got), 0),
                             sizeof(payload[i]));
            assert_memory_equal(got, payload[i], sizeof(payload[i]));
        }
    }
    close(rx);
    tun_gro_table_free(table);
}

/* tun_recv_slices() with fewer buffers than a super-packet's segments: a
 * UDP_SEGMENT send of SLICED_SEGMENTS datagrams from A is handed over by
 * dev[0] in parts, the payloads end to end in the read buffer;
 * tun_send_slices() writes all of them to dev[1] and B's socket gets each
 * datagram intact. A second one is cut short by a call with another read
 * buffer (refused, the rest dropped) and the call after that reads the
 * next packet. The calls' own argument checks too, and that only the
 * buffers segments go to are checked. */
#define SLICED_SEGMENTS 10
#define SLICED_FIRST 3
static void slices_in_parts(void **state)
{
    (void)state;
    int rx = make_socket(1, AF_INET, SOCK_DGRAM, PORT);
    int tx = make_socket(0, AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_storage dst;
    socklen_t dst_len = sockaddr_of(AF_INET, 1, PORT, &dst);
    assert_int_equal(connect(tx, (struct sockaddr *)&dst, dst_len), 0);
    int segment = 1000;
    assert_int_equal(setsockopt(tx, SOL_UDP, UDP_SEGMENT, &segment,
                                sizeof(segment)),
                     0);
    static uint8_t sent[SLICED_SEGMENTS * 1000];
    for (size_t i = 0; i < sizeof(sent); i++)
        sent[i] = (uint8_t)(i * 7 + i / 1000);
    assert_int_equal(send(tx, sent, sizeof(sent), 0), sizeof(sent));

    static uint8_t read_buf[TUN_OFFLOAD_BUF_SIZE], other[TUN_OFFLOAD_BUF_SIZE];
    static uint8_t data[SLICED_SEGMENTS][OFFSET + 1500];
    tun_buf hdrs[SLICED_SEGMENTS];
    tun_slice payloads[SLICED_SEGMENTS];
    uint8_t pflags[SLICED_SEGMENTS];
    for (int i = 0; i < SLICED_SEGMENTS; i++)
        hdrs[i] = (tun_buf){data[i], sizeof(data[i]), 0};
    assert_int_equal(tun_recv_slices(dev[0], read_buf, TUN_VNET_HDR_LEN, hdrs,
                                     payloads, pflags, 1, OFFSET),
                     TUN_EINVAL);
    /* Other packets (IPv6 neighbour discovery) may come first: whole, with
     * an empty slice. */
    int n;
    double start = now();
    do {
        n = tun_recv_slices(dev[0], read_buf, sizeof(read_buf), hdrs,
                            payloads, pflags, SLICED_FIRST, OFFSET);
        if (n == TUN_EAGAIN) {
            struct pollfd p = {tun_device_fd(dev[0]), POLLIN, 0};
            poll(&p, 1, 100);
        } else if (n > 0 && !payloads[0].data) {
            assert_int_equal(n, 1);
        }
    } while ((n == TUN_EAGAIN || (n > 0 && !payloads[0].data)) &&
             now() - start < CASE_SECONDS);
    assert_int_equal(n, SLICED_FIRST);
    n = tun_recv_slices(dev[0], read_buf, sizeof(read_buf),
                        hdrs + SLICED_FIRST, payloads + SLICED_FIRST,
                        pflags + SLICED_FIRST, SLICED_SEGMENTS - SLICED_FIRST,
                        OFFSET);
    assert_int_equal(n, SLICED_SEGMENTS - SLICED_FIRST);
    for (int i = 0; i < SLICED_SEGMENTS; i++) {
        assert_int_equal(payloads[i].len, 1000);
        assert_memory_equal(payloads[i].data, sent + i * 1000, 1000);
        assert_true(payloads[i].data > read_buf &&
                    payloads[i].data < read_buf + sizeof(read_buf));
        if (i)
            assert_ptr_equal(payloads[i].data,
                             payloads[i - 1].data + payloads[i - 1].len);
        assert_int_equal(hdrs[i].len, 28); /* IPv4 and UDP headers */
    }

    tun_gro_table *table;
    assert_tun_ok(tun_gro_table_new(BATCH, &table));
    /* A payload elsewhere needs a table (and an offload device). */
    assert_int_equal(tun_send_slices(dev[1], NULL, hdrs, payloads, pflags,
                                     SLICED_SEGMENTS, OFFSET),
                     TUN_EINVAL);
    assert_int_equal(tun_send_slices(dev[1], table, hdrs, payloads, pflags,
                                     SLICED_SEGMENTS, OFFSET),
                     SLICED_SEGMENTS);
    for (int i = 0; i < SLICED_SEGMENTS; i++) {
        uint8_t got[2048];
        assert_int_equal(recv(rx, got, sizeof(got), 0), 1000);
        assert_memory_equal(got, sent + i * 1000, 1000);
    }
    /* A call with another read buffer while the rest of a super-packet is
     * kept drops that rest (refused), and the call after it reads anew. */
    assert_int_equal(send(tx, sent, sizeof(sent), 0), sizeof(sent));
    start = now();
    do {
        n = tun_recv_slices(dev[0], read_buf, sizeof(read_buf), hdrs,
                            payloads, pflags, SLICED_FIRST, OFFSET);
        if (n == TUN_EAGAIN) {
            struct pollfd p = {tun_device_fd(dev[0]), POLLIN, 0};
            poll(&p, 1, 100);
        }
    } while ((n == TUN_EAGAIN || (n > 0 && !payloads[0].data)) &&
             now() - start < CASE_SECONDS);
    assert_int_equal(n, SLICED_FIRST);
    assert_int_equal(tun_recv_slices(dev[0], other, sizeof(other), hdrs,
                                     payloads, pflags, 1, OFFSET),
                     TUN_EINVAL);
    /* The next call reads again (nothing was kept). */
    assert_int_equal(send(tx, sent, 500, 0), 500);
    start = now();
    do {
        n = tun_recv_slices(dev[0], other, sizeof(other), hdrs, payloads,
                            pflags, 1, OFFSET);
        if (n == TUN_EAGAIN) {
            struct pollfd p = {tun_device_fd(dev[0]), POLLIN, 0};
            poll(&p, 1, 100);
        }
    } while ((n == TUN_EAGAIN || (n > 0 && hdrs[0].len != 528)) &&
             now() - start < CASE_SECONDS);
    assert_int_equal(n, 1);
    assert_null(payloads[0].data); /* no GSO: whole in its buffer */
    assert_memory_equal(data[0] + OFFSET + 28, sent, 500);

    /* Only the buffers that segments go to are checked: with a NULL
     * second buffer a packet of one segment is handed over, and a
     * super-packet that needs it is dropped (TUN_EMSGSIZE), nothing kept;
     * by tun_recv_slices(), then by tun_recv_multiple() reading straight
     * into a first buffer that holds any packet. */
    static uint8_t big[OFFSET + TUN_PACKET_MAX];
    tun_buf whole_first[SLICED_SEGMENTS];
    memcpy(whole_first, hdrs, sizeof(whole_first));
    whole_first[0] = (tun_buf){big, sizeof(big), 0};
    hdrs[1].data = whole_first[1].data = NULL;
    for (int round = 0; round < 6; round++) {
        bool whole = round % 3 != 1, slices = round < 3;
        tun_buf *bufs = slices ? hdrs : whole_first;
        assert_int_equal(send(tx, sent, whole ? 500 : sizeof(sent), 0),
                         whole ? 500 : (ssize_t)sizeof(sent));
        start = now();
        do {
            bufs[0].len = 0;
            n = slices ? tun_recv_slices(dev[0], other, sizeof(other), bufs,
                                         payloads, pflags, SLICED_SEGMENTS,
                                         OFFSET)
                       : tun_recv_multiple(dev[0], bufs, SLICED_SEGMENTS,
                                           OFFSET);
            if (n == TUN_EAGAIN) {
                struct pollfd p = {tun_device_fd(dev[0]), POLLIN, 0};
                poll(&p, 1, 100);
            }
        } while ((n == TUN_EAGAIN || (n > 0 && bufs[0].len != 528)) &&
                 now() - start < CASE_SECONDS);
        assert_int_equal(n, whole ? 1 : TUN_EMSGSIZE);
        if (!whole)
            assert_int_equal(bufs[0].len, 0); /* nothing handed over */
    }
    close(tx);
    close(rx);
    tun_gro_table_free(table);
}

/* ---- devices without offload ------------------------------------------------- */

static void plain_devices(void **state)
{
    (void)state;
    tcp_stream(AF_INET, false, 1, 16 * MIB);
}

/* tun_recv_slices() and tun_send_slices() on devices without offload: each
 * packet whole in its buffer, payload slices empty. */
static void plain_devices_copy_free(void **state)
{
    (void)state;
    copy_free = true;
    tcp_stream(AF_INET, false, 1, 16 * MIB);
    assert_int_equal(lanes[0].continued, 0);
    uint8_t header[OFFSET + 28] = {0}, payload[8] = {0};
    tun_buf hdr = {header, sizeof(header), 28};
    tun_slice elsewhere = {payload, sizeof(payload)};
    tun_gro_table *table;
    assert_tun_ok(tun_gro_table_new(1, &table));
    assert_int_equal(
        tun_send_slices(dev[1], table, &hdr, &elsewhere, NULL, 1, OFFSET),
        TUN_EINVAL);
    tun_gro_table_free(table);
}

/* ---- checksums carried end to end ------------------------------------------ */

#define PARTIAL_BYTES (64u * MIB)
#define ONWARD_BYTES (32u * MIB)

static int open_offload_partial(void **state)
{
    carry_partial = true;
    return open_offload(state);
}

/* The lane from A to B handed packets over with partial checksums (and
 * sent them on as such). */
static void check_partial_carried(void)
{
    print_message("  A to B: %" PRIu64 " of %" PRIu64 " packets carried a "
                  "partial checksum\n",
                  lanes[0].partial, lanes[0].segments);
    assert_true(lanes[0].partial > 0);
}

/* A stream's kind, passed to the cases below as cmocka's state. */
typedef struct stream_kind {
    int family, type;
} stream_kind;

static stream_kind tcp4_kind = {AF_INET, SOCK_STREAM};
static stream_kind tcp6_kind = {AF_INET6, SOCK_STREAM};
static stream_kind udp4_kind = {AF_INET, SOCK_DGRAM};
static stream_kind udp6_kind = {AF_INET6, SOCK_DGRAM};

/* A stream of the kind in *state from A to namespace `to` (B, or C beyond
 * it) through the forwarder, which keeps partial checksums. */
static void partial_stream(void **state, int to, uint64_t bytes)
{
    const stream_kind *k = *state;
    if (k->type == SOCK_STREAM)
        tcp_stream(k->family, true, to, bytes);
    else
        udp_stream(k->family, to, bytes);
    check_partial_carried();
}

/* With copy-free segments, super-packets came in parts. */
static void check_copy_free_parts(void)
{
    if (!copy_free)
        return;
    print_message("  A to B: %" PRIu64 " calls went on with a super-packet\n",
                  lanes[0].continued);
    assert_true(lanes[0].continued > 0);
}

static void partial_to_b(void **state)
{
    partial_stream(state, 1, PARTIAL_BYTES);
    check_copy_free_parts();
}

/* Set an ethtool value of interface `name` (in the calling thread's
 * namespace) with command `set`, and check it with `get`. */
static void ethtool_value(const char *name, uint32_t set, uint32_t get,
                          uint32_t value)
{
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    assert_true(fd >= 0);
    struct ethtool_value ev = {.cmd = set, .data = value};
    struct ifreq ifr;
    memset(&ifr, 0, sizeof(ifr));
    snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
    ifr.ifr_data = (char *)&ev;
    if (ioctl(fd, SIOCETHTOOL, &ifr) != 0)
        fail_msg("ethtool 0x%x on %s: %s", (unsigned)set, name,
                 strerror(errno));
    ev = (struct ethtool_value){.cmd = get};
    assert_int_equal(ioctl(fd, SIOCETHTOOL, &ifr), 0);
    assert_int_equal(ev.data, value);
    close(fd);
}

/* C, beyond B: a veth pair (vfar0 in B, 10.78.0.1 and fd78::1; vfar1 in
 * C, 10.78.0.2 and fd78::2) whose B end has transmit checksum offload off
 * (as `ethtool -K vfar0 tx off`; TSO goes with it), so that B's kernel
 * must finish the checksum of every packet it forwards there, in
 * software. B forwards; C's default routes point back at B. Made once. */
static void make_far_namespace(void)
{
    if (ns[2] >= 0)
        return;
    enter(1);
    assert_int_equal(
        tun_test_sh(NULL, 0, "ip link add vfar0 type veth peer name vfar1"),
        0);
    assert_int_equal(unshare(CLONE_NEWNET), 0);
    ns[2] = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
    assert_true(ns[2] >= 0);
    set_sysctl("/proc/sys/net/ipv6/conf/default/accept_dad", "0");
    set_sysctl("/proc/sys/net/ipv6/conf/all/accept_dad", "0");
    enter(1);
    assert_int_equal(tun_test_sh(NULL, 0,
                                 "ip link set vfar1 netns /proc/%d/fd/%d",
                                 (int)getpid(), ns[2]),
                     0);
    assert_int_equal(tun_test_sh(NULL, 0,
                                 "ip addr add 10.78.0.1/24 dev vfar0 && "
                                 "ip addr add fd78::1/64 dev vfar0 && "
                                 "ip link set vfar0 up"),
                     0);
    set_sysctl("/proc/sys/net/ipv4/ip_forward", "1");
    set_sysctl("/proc/sys/net/ipv6/conf/all/forwarding", "1");
    ethtool_value("vfar0", ETHTOOL_STXCSUM, ETHTOOL_GTXCSUM, 0);
    ethtool_value("vfar0", ETHTOOL_STSO, ETHTOOL_GTSO, 0);
    enter(2);
    assert_int_equal(tun_test_sh(NULL, 0,
                                 "ip link set lo up && "
                                 "ip addr add 10.78.0.2/24 dev vfar1 && "
                                 "ip addr add fd78::2/64 dev vfar1 && "
                                 "ip link set vfar1 up && "
                                 "ip route add default via 10.78.0.1 && "
                                 "ip -6 route add default via fd78::1"),
                     0);
    /* No GRO in C: the checker sees each packet as B sent it. */
    ethtool_value("vfar1", ETHTOOL_SGRO, ETHTOOL_GGRO, 0);
    enter(0);
}

/* Offload devices, a forwarder keeping partial checksums, and A's routes
 * to C through the forwarder. */
static int open_copy_free(void **state)
{
    copy_free = true;
    return open_offload_partial(state);
}

static int open_offload_onward(void **state)
{
    make_far_namespace();
    open_offload_partial(state);
    assert_int_equal(tun_test_sh(NULL, 0,
                                 "ip route add 10.78.0.0/24 dev toff0 && "
                                 "ip -6 route add fd78::/64 dev toff0"),
                     0);
    return 0;
}

static int open_copy_free_onward(void **state)
{
    copy_free = true;
    return open_offload_onward(state);
}

/* A packet socket on vfar1 in C that checks the TCP/UDP checksum (and the
 * IPv4 header checksum) of every packet arriving for C's addresses, with
 * the test's own sum. */
typedef struct checker {
    int fd;
    pthread_t thread;
    atomic_bool stop;
    uint64_t checked, bad;
} checker;

/* Whether the IP packet p (n bytes) is TCP or UDP, not a fragment, for an
 * address of C; its length in *len. */
static bool for_far_end(const uint8_t *p, size_t n, size_t *len)
{
    uint8_t a4[4], a6[16];
    inet_pton(AF_INET, addr4[2], a4);
    inet_pton(AF_INET6, addr6[2], a6);
    if (n >= 20 && p[0] >> 4 == 4) {
        *len = test_get16(p + 2);
        bool fragment = (test_get16(p + 6) & 0x3fff) != 0;
        return !fragment && (p[9] == TEST_TCP || p[9] == TEST_UDP) &&
               memcmp(p + 16, a4, 4) == 0 && *len <= n;
    }
    if (n >= 40 && p[0] >> 4 == 6) {
        *len = 40 + (size_t)test_get16(p + 4);
        return (p[6] == TEST_TCP || p[6] == TEST_UDP) &&
               memcmp(p + 24, a6, 16) == 0 && *len <= n;
    }
    return false;
}

static void *checker_main(void *arg)
{
    checker *c = arg;
    static uint8_t buf[65536];
    while (!atomic_load(&c->stop)) {
        struct sockaddr_ll from;
        socklen_t from_len = sizeof(from);
        ssize_t n = recvfrom(c->fd, buf, sizeof(buf), 0,
                             (struct sockaddr *)&from, &from_len);
        size_t len;
        if (n <= 0 || from.sll_pkttype == PACKET_OUTGOING ||
            !for_far_end(buf, (size_t)n, &len))
            continue;
        c->checked++;
        c->bad += !test_checksums_ok(buf, len);
    }
    return NULL;
}

static void checker_start(checker *c)
{
    enter(2);
    c->fd = socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC, htons(ETH_P_ALL));
    assert_true(c->fd >= 0);
    struct sockaddr_ll at = {.sll_family = AF_PACKET,
                             .sll_protocol = htons(ETH_P_ALL),
                             .sll_ifindex = (int)if_nametoindex("vfar1")};
    assert_true(at.sll_ifindex > 0);
    assert_int_equal(bind(c->fd, (struct sockaddr *)&at, sizeof(at)), 0);
    enter(0);
    int big = 64 * (int)MIB;
    setsockopt(c->fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof(big));
    struct timeval tv = {0, 100000};
    setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    c->checked = c->bad = 0;
    atomic_store(&c->stop, false);
    assert_int_equal(pthread_create(&c->thread, NULL, checker_main, c), 0);
}

static void checker_stop(checker *c)
{
    atomic_store(&c->stop, true);
    pthread_join(c->thread, NULL);
    close(c->fd);
    print_message("  C: %" PRIu64 " packets checked, %" PRIu64
                  " with a wrong checksum\n",
                  c->checked, c->bad);
    assert_true(c->checked > 0);
    assert_int_equal(c->bad, 0);
}

/* The same onward to C, where every packet's checksums are checked. */
static void partial_onward_to_c(void **state)
{
    checker c;
    checker_start(&c);
    partial_stream(state, 2, ONWARD_BYTES);
    checker_stop(&c);
}

static void sha256_known_answers(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        uint8_t digest[32];
    } cases[] = {
        {"abc",
         {0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea, 0x41, 0x41, 0x40,
          0xde, 0x5d, 0xae, 0x22, 0x23, 0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17,
          0x7a, 0x9c, 0xb4, 0x10, 0xff, 0x61, 0xf2, 0x00, 0x15, 0xad}},
        {"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
         {0x24, 0x8d, 0x6a, 0x61, 0xd2, 0x06, 0x38, 0xb8, 0xe5, 0xc0, 0x26,
          0x93, 0x0c, 0x3e, 0x60, 0x39, 0xa3, 0x3c, 0xe4, 0x59, 0x64, 0xff,
          0x21, 0x67, 0xf6, 0xec, 0xed, 0xd4, 0x19, 0xdb, 0x06, 0xc1}},
        {"",
         {0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14, 0x9a, 0xfb, 0xf4,
          0xc8, 0x99, 0x6f, 0xb9, 0x24, 0x27, 0xae, 0x41, 0xe4, 0x64, 0x9b,
          0x93, 0x4c, 0xa4, 0x95, 0x99, 0x1b, 0x78, 0x52, 0xb8, 0x55}},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        tun_test_sha256 h;
        uint8_t digest[32];
        tun_test_sha256_init(&h);
        /* One byte at a time, to cross the block boundaries. */
        for (const char *c = cases[i].text; *c; c++)
            tun_test_sha256_add(&h, c, 1);
        tun_test_sha256_end(&h, digest);
        assert_memory_equal(digest, cases[i].digest, 32);
    }
}

int main(void)
{
    tun_test_enter_netns();
    /* B: a second namespace, reached with setns() from any thread. */
    ns[0] = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
    if (ns[0] < 0 || unshare(CLONE_NEWNET) != 0) {
        printf("skipped: cannot create a second namespace: %s\n",
               strerror(errno));
        return TUN_TEST_SKIP;
    }
    ns[1] = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
    for (int i = 1; i >= 0; i--) {
        if (ns[i] < 0 || setns(ns[i], CLONE_NEWNET) != 0) {
            printf("skipped: cannot enter the namespaces: %s\n",
                   strerror(errno));
            return TUN_TEST_SKIP;
        }
        /* No duplicate address detection: IPv6 addresses usable at once. */
        set_sysctl("/proc/sys/net/ipv6/conf/default/accept_dad", "0");
        set_sysctl("/proc/sys/net/ipv6/conf/all/accept_dad", "0");
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sha256_known_answers),
        cmocka_unit_test_setup_teardown(tcp_ipv4, open_offload, close_devices),
        cmocka_unit_test_setup_teardown(tcp_ipv6, open_offload, close_devices),
        cmocka_unit_test_setup_teardown(udp_gso, open_offload, close_devices),
        cmocka_unit_test_setup_teardown(send_partial_failure, open_offload,
                                        close_devices),
        cmocka_unit_test_setup_teardown(plain_devices, open_plain,
                                        close_devices),
        cmocka_unit_test_setup_teardown(plain_devices_copy_free, open_plain,
                                        close_devices),
        cmocka_unit_test_setup_teardown(partial_single_packets, open_offload,
                                        close_devices),
        cmocka_unit_test_setup_teardown(slices_in_parts, open_offload,
                                        close_devices),
        {"partial checksums to B, TCP/IPv4", partial_to_b, open_offload_partial,
         close_devices, &tcp4_kind},
        {"partial checksums to B, TCP/IPv6", partial_to_b, open_offload_partial,
         close_devices, &tcp6_kind},
        {"partial checksums to B, UDP/IPv4", partial_to_b, open_offload_partial,
         close_devices, &udp4_kind},
        {"partial checksums to B, UDP/IPv6", partial_to_b, open_offload_partial,
         close_devices, &udp6_kind},
        {"partial checksums onward to C, TCP/IPv4", partial_onward_to_c,
         open_offload_onward, close_devices, &tcp4_kind},
        {"partial checksums onward to C, TCP/IPv6", partial_onward_to_c,
         open_offload_onward, close_devices, &tcp6_kind},
        {"partial checksums onward to C, UDP/IPv4", partial_onward_to_c,
         open_offload_onward, close_devices, &udp4_kind},
        {"partial checksums onward to C, UDP/IPv6", partial_onward_to_c,
         open_offload_onward, close_devices, &udp6_kind},
        {"copy-free segments to B, TCP/IPv4", partial_to_b, open_copy_free,
         close_devices, &tcp4_kind},
        {"copy-free segments to B, TCP/IPv6", partial_to_b, open_copy_free,
         close_devices, &tcp6_kind},
        {"copy-free segments to B, UDP/IPv4", partial_to_b, open_copy_free,
         close_devices, &udp4_kind},
        {"copy-free segments to B, UDP/IPv6", partial_to_b, open_copy_free,
         close_devices, &udp6_kind},
        {"copy-free segments onward to C, TCP/IPv4", partial_onward_to_c,
         open_copy_free_onward, close_devices, &tcp4_kind},
        {"copy-free segments onward to C, TCP/IPv6", partial_onward_to_c,
         open_copy_free_onward, close_devices, &tcp6_kind},
        {"copy-free segments onward to C, UDP/IPv4", partial_onward_to_c,
         open_copy_free_onward, close_devices, &udp4_kind},
        {"copy-free segments onward to C, UDP/IPv6", partial_onward_to_c,
         open_copy_free_onward, close_devices, &udp6_kind},
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    forwarder_free();
    for (int i = 0; i < 3; i++)
        if (ns[i] >= 0)
            close(ns[i]);
    return failed;
}
