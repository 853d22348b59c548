/* Offload end to end. Two TUN devices, A in the test's own network
 * namespace and B in a second one it creates, are joined by a forwarder of
 * two lanes (A to B, B to A) built on tun_recv_multiple() and
 * tun_send_multiple() alone, so that every packet between the namespaces
 * crosses it. Over that path: 256 MiB of TCP over IPv4 and over IPv6 and
 * 256 MiB of UDP sent with UDP_SEGMENT, each checked with SHA-256 on both
 * ends; the forwarder must have read super-packets and the kernel must have
 * received fewer packets than the forwarder handled (they were merged). The
 * partial-failure contract of tun_send_multiple(), and the same forwarder
 * over devices without offload, are checked too. */
#include "testutil.h"

#include "unit/test_offload_packets.h"

#include <arpa/inet.h>
#include <fcntl.h>
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

static const char *const addr4[2] = {"10.77.0.1", "10.77.0.2"};
static const char *const addr6[2] = {"fd77::1", "fd77::2"};
static const char *const names[2] = {"toff0", "toff1"};

/* The two namespaces (A: the test's own) and the two devices. */
static int ns[2];
static tun_device *dev[2];

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
    tun_gro_table *table;
    pthread_t thread;
    uint64_t reads, segments, max_segments, refused;
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
        int rc = tun_send_multiple(dev[l->to], l->table, l->bufs + done,
                                   count - done, OFFSET);
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
    while (!atomic_load(&stopping)) {
        int n = tun_recv_multiple(dev[l->from], l->bufs + used, BATCH - used,
                                  OFFSET);
        if (n > 0) {
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
    return 0;
}

static void forwarder_free(void)
{
    for (int i = 0; i < 2; i++) {
        for (size_t k = 0; k < BATCH; k++)
            free(lanes[i].bufs[k].data);
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

static void tcp_stream(int family, bool offload)
{
    uint64_t received_before = received_packets(1);
    forwarder_start();
    sink k = {.fd = make_socket(1, family, SOCK_STREAM, PORT),
              .family = family};
    assert_int_equal(listen(k.fd, 1), 0);
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, tcp_sink_main, &k), 0);

    int fd = make_socket(0, family, SOCK_STREAM, 0);
    struct sockaddr_storage to;
    socklen_t to_len = sockaddr_of(family, 1, PORT, &to);
    if (connect(fd, (struct sockaddr *)&to, to_len) != 0) {
        int err = errno;
        shutdown(k.fd, SHUT_RDWR); /* the receiver stops waiting */
        pthread_join(t, NULL);
        fail_msg("connect: %s", strerror(err));
    }
    uint64_t total = offload ? STREAM_BYTES : 16 * MIB, state = 42;
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
    tcp_stream(AF_INET, true);
}

static void tcp_ipv6(void **state)
{
    (void)state;
    tcp_stream(AF_INET6, true);
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

static void udp_gso(void **state)
{
    (void)state;
    uint64_t received_before = received_packets(1);
    forwarder_start();
    sink k = {.fd = make_socket(1, AF_INET, SOCK_DGRAM, PORT),
              .family = AF_INET};
    int big = 64 * (int)MIB;
    assert_int_equal(setsockopt(k.fd, SOL_SOCKET, SO_RCVBUFFORCE, &big,
                                sizeof(big)),
                     0);
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, udp_sink_main, &k), 0);

    int fd = make_socket(0, AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_storage to;
    socklen_t to_len = sockaddr_of(AF_INET, 1, PORT, &to);
    assert_int_equal(connect(fd, (struct sockaddr *)&to, to_len), 0);
    int segment = UDP_DATAGRAM;
    assert_int_equal(setsockopt(fd, SOL_UDP, UDP_SEGMENT, &segment,
                                sizeof(segment)),
                     0);
    static uint8_t buf[UDP_PER_SEND * UDP_DATAGRAM];
    const uint64_t count = (STREAM_BYTES + UDP_PIECE - 1) / UDP_PIECE;
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
    test_flow f = test_flow_make(4, TEST_UDP, 0);
    inet_pton(AF_INET, addr4[0], f.src);
    inet_pton(AF_INET, addr4[1], f.dst);
    f.dport = PORT;
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

/* ---- devices without offload ------------------------------------------------- */

static void plain_devices(void **state)
{
    (void)state;
    tcp_stream(AF_INET, false);
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
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    forwarder_free();
    close(ns[0]);
    close(ns[1]);
    return failed;
}
