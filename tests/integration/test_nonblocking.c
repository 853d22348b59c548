/* The non-blocking contract of include/tun.h, end to end in a namespace of
 * the test's own: TUN_EAGAIN at once and nothing consumed or sent, timed
 * reads still waiting, mode changes per handle (opened, adopted, cloned),
 * readiness of tun_device_fd() as an event loop sees it, and a write the
 * queue refuses (simulated below: Linux queues never refuse one). */
#include "testutil.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

/* ---- a queue that refuses writes, on demand ------------------------------ */

/* The library's writev() resolves to this one (the test links it
 * statically): while refusals are left for refused_fd it fails with EAGAIN
 * as a full queue would, sending nothing. */
static atomic_int refused_fd = -1;
static atomic_int refusals_left;
static atomic_int refusals_made;

ssize_t writev(int fd, const struct iovec *iov, int iovcnt)
{
    if (fd == atomic_load(&refused_fd) && atomic_load(&refusals_left) > 0) {
        atomic_fetch_sub(&refusals_left, 1);
        atomic_fetch_add(&refusals_made, 1);
        errno = EAGAIN;
        return -1;
    }
    return syscall(SYS_writev, fd, iov, iovcnt);
}

/* ---- helpers -------------------------------------------------------------- */

#define PORT 7100
#define PEER "10.4.0.2"

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A TUN device named name with 10.4.0.1/24 (IPv4 only: IPv6 is off in the
 * namespace, so no router solicitation or MLD report arrives unasked). */
static tun_device *open_device(const char *name, bool nonblocking,
                               bool multi_queue)
{
    tun_config *cfg;
    tun_device *dev = NULL;
    assert_tun_ok(tun_config_new(&cfg));
    assert_tun_ok(tun_config_set_name(cfg, name));
    assert_tun_ok(tun_config_add_ipv4(cfg, "10.4.0.1", 24, NULL));
    assert_tun_ok(tun_config_set_nonblocking(cfg, nonblocking));
    assert_tun_ok(tun_config_set_multi_queue(cfg, multi_queue));
    assert_tun_ok(tun_open(cfg, &dev));
    tun_config_free(cfg);
    return dev;
}

/* A UDP socket of this namespace; datagrams to PEER leave through the
 * device, and what the device is given for 10.4.0.1:PORT arrives here. */
static int udp_socket(void)
{
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    assert_true(s >= 0);
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(PORT)};
    inet_pton(AF_INET, "10.4.0.1", &sin.sin_addr);
    assert_int_equal(bind(s, (struct sockaddr *)&sin, sizeof(sin)), 0);
    struct timeval tv = {.tv_usec = 300000};
    setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    return s;
}

static void send_to_peer(int s, const char *text)
{
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(PORT)};
    inet_pton(AF_INET, PEER, &sin.sin_addr);
    assert_int_equal(sendto(s, text, strlen(text), 0, (struct sockaddr *)&sin,
                            sizeof(sin)),
                     (ssize_t)strlen(text));
}

/* Wait until the device's fd is readable, as a loop would. */
static void wait_readable(tun_device *dev)
{
    struct pollfd pfd = {tun_device_fd(dev), POLLIN, 0};
    assert_int_equal(poll(&pfd, 1, 2000), 1);
}

/* A datagram read from the device, turned into the answer from PEER: the
 * addresses and ports swapped (checksums are unchanged by a swap; UDP's is
 * set to 0, "none"). */
static size_t answer(uint8_t *pkt, int n)
{
    assert_true(n >= 28 && pkt[0] == 0x45 && pkt[9] == IPPROTO_UDP);
    for (int i = 0; i < 4; i++) {
        uint8_t t = pkt[12 + i];
        pkt[12 + i] = pkt[16 + i];
        pkt[16 + i] = t;
    }
    for (int i = 0; i < 2; i++) {
        uint8_t t = pkt[20 + i];
        pkt[20 + i] = pkt[22 + i];
        pkt[22 + i] = t;
    }
    pkt[26] = pkt[27] = 0;
    return (size_t)n;
}

/* A reason recorded on purpose, to see that TUN_EAGAIN leaves it alone. */
static void record_a_reason(void)
{
    tun_config *cfg;
    assert_tun_ok(tun_config_new(&cfg));
    assert_int_equal(tun_config_set_mtu(cfg, 1), TUN_ERANGE);
    tun_config_free(cfg);
    assert_true(tun_last_error()[0] != '\0');
}

/* ---- the cases ------------------------------------------------------------ */

/* A device opened non-blocking: reads give TUN_EAGAIN at once and keep the
 * reason of the last real failure; a queued packet is read whole after the
 * fd signals, and no packet is lost to a TUN_EAGAIN; timed reads still
 * wait; an interrupt wins over TUN_EAGAIN. */
static void opened_nonblocking(void **state)
{
    (void)state;
    tun_device *dev = open_device("tnb0", true, false);
    unsigned flags;
    assert_tun_ok(tun_device_get_flags(dev, &flags));
    assert_true(flags & TUN_FLAG_NONBLOCK);
    uint8_t buf[2048];

    record_a_reason();
    char reason[512];
    strcpy(reason, tun_last_error());
    int64_t start = now_ms();
    assert_int_equal(tun_read(dev, buf, sizeof(buf)), TUN_EAGAIN);
    assert_true(now_ms() - start < 50);
    assert_string_equal(tun_last_error(), reason);

    assert_int_equal(tun_read_timeout(dev, buf, sizeof(buf), 0), TUN_ETIMEDOUT);
    start = now_ms();
    assert_int_equal(tun_read_timeout(dev, buf, sizeof(buf), 120),
                     TUN_ETIMEDOUT);
    assert_true(now_ms() - start >= 110);

    int s = udp_socket();
    send_to_peer(s, "one");
    send_to_peer(s, "two");
    wait_readable(dev);
    int n = tun_read(dev, buf, sizeof(buf));
    assert_int_equal(n, 28 + 3);
    assert_memory_equal(buf + 28, "one", 3);
    n = tun_read(dev, buf, sizeof(buf));
    assert_int_equal(n, 28 + 3);
    assert_memory_equal(buf + 28, "two", 3);
    assert_int_equal(tun_read(dev, buf, sizeof(buf)), TUN_EAGAIN);
    struct pollfd pfd = {tun_device_fd(dev), POLLIN, 0};
    assert_int_equal(poll(&pfd, 1, 0), 0);

    /* A write goes through as on a blocking handle. */
    size_t len = answer(buf, n);
    assert_int_equal(tun_write(dev, buf, len), (int)len);
    char got[8];
    assert_int_equal(recv(s, got, sizeof(got), 0), 3);
    assert_memory_equal(got, "two", 3);

    /* A packet too large for the buffer is dropped with TUN_EMSGSIZE; the
     * next read goes on as usual. */
    send_to_peer(s, "three");
    wait_readable(dev);
    assert_int_equal(tun_read(dev, buf, 20), TUN_EMSGSIZE);
    assert_int_equal(tun_read(dev, buf, sizeof(buf)), TUN_EAGAIN);

    assert_tun_ok(tun_interrupt(dev));
    assert_int_equal(tun_read(dev, buf, sizeof(buf)), TUN_ECANCELED);
    assert_int_equal(tun_write(dev, buf, len), TUN_ECANCELED);
    assert_tun_ok(tun_interrupt_clear(dev));
    assert_int_equal(tun_read(dev, buf, sizeof(buf)), TUN_EAGAIN);
    close(s);
    tun_close(dev);
}

struct blocked_read {
    tun_device *dev;
    int result;
};

static void *read_once(void *arg)
{
    struct blocked_read *r = arg;
    uint8_t buf[2048];
    r->result = tun_read(r->dev, buf, sizeof(buf));
    return NULL;
}

/* Switching a handle to blocking makes tun_read() wait (here until an
 * interrupt), and back to non-blocking gives TUN_EAGAIN again. */
static void switch_modes(void **state)
{
    (void)state;
    tun_device *dev = open_device("tnb1", false, false);
    uint8_t buf[2048];
    assert_tun_ok(tun_device_set_nonblocking(dev, true));
    assert_int_equal(tun_read(dev, buf, sizeof(buf)), TUN_EAGAIN);
    assert_tun_ok(tun_device_set_nonblocking(dev, false));
    unsigned flags;
    assert_tun_ok(tun_device_get_flags(dev, &flags));
    assert_false(flags & TUN_FLAG_NONBLOCK);

    struct blocked_read r = {dev, 1};
    pthread_t t;
    int64_t start = now_ms();
    assert_int_equal(pthread_create(&t, NULL, read_once, &r), 0);
    struct timespec pause = {.tv_nsec = 150000000};
    nanosleep(&pause, NULL);
    assert_tun_ok(tun_interrupt(dev));
    pthread_join(t, NULL);
    assert_int_equal(r.result, TUN_ECANCELED);
    assert_true(now_ms() - start >= 140);
    assert_tun_ok(tun_interrupt_clear(dev));

    assert_tun_ok(tun_device_set_nonblocking(dev, true));
    assert_int_equal(tun_read(dev, buf, sizeof(buf)), TUN_EAGAIN);
    tun_close(dev);
}

/* The queue refuses writes: a non-blocking handle gets TUN_EAGAIN with
 * nothing sent and the packet goes out once when written again; a blocking
 * handle waits for room by itself and sends it once. */
static void refused_writes(void **state)
{
    (void)state;
    tun_device *dev = open_device("tnb2", true, false);
    int s = udp_socket();
    uint8_t buf[2048];
    send_to_peer(s, "ping");
    wait_readable(dev);
    size_t len = answer(buf, tun_read(dev, buf, sizeof(buf)));
    char got[8];

    record_a_reason();
    char reason[512];
    strcpy(reason, tun_last_error());
    atomic_store(&refused_fd, tun_device_fd(dev));
    atomic_store(&refusals_left, 1);
    assert_int_equal(tun_write(dev, buf, len), TUN_EAGAIN);
    assert_string_equal(tun_last_error(), reason);
    assert_int_equal(recv(s, got, sizeof(got), 0), -1); /* nothing sent */
    struct pollfd pfd = {tun_device_fd(dev), POLLOUT, 0};
    assert_int_equal(poll(&pfd, 1, 1000), 1);
    assert_int_equal(tun_write(dev, buf, len), (int)len);
    assert_int_equal(recv(s, got, sizeof(got), 0), 4);
    assert_memory_equal(got, "ping", 4);

    assert_tun_ok(tun_device_set_nonblocking(dev, false));
    atomic_store(&refusals_made, 0);
    atomic_store(&refusals_left, 3);
    assert_int_equal(tun_write(dev, buf, len), (int)len);
    assert_int_equal(atomic_load(&refusals_made), 3);
    assert_int_equal(recv(s, got, sizeof(got), 0), 4);
    assert_int_equal(recv(s, got, sizeof(got), 0), -1); /* only once */
    atomic_store(&refused_fd, -1);
    close(s);
    tun_close(dev);
}

/* /dev/net/tun attached to name, blocking or not, as another program (a VPN
 * service) would hand it over. */
static int foreign_fd(const char *name, bool nonblocking)
{
    int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC |
                                      (nonblocking ? O_NONBLOCK : 0));
    assert_true(fd >= 0);
    struct ifreq ifr;
    memset(&ifr, 0, sizeof(ifr));
    strcpy(ifr.ifr_name, name);
    ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
    assert_int_equal(ioctl(fd, TUNSETIFF, &ifr), 0);
    return fd;
}

/* An adopted fd: the handle starts in the mode the fd was in (the fd itself
 * always ends up O_NONBLOCK), and switches like any other handle. */
static void adopted_modes(void **state)
{
    (void)state;
    uint8_t buf[2048];
    unsigned flags;
    tun_device *dev;

    int fd = foreign_fd("tnb3", false);
    assert_tun_ok(tun_open_fd(fd, 0, &dev));
    assert_true(fcntl(fd, F_GETFL) & O_NONBLOCK);
    assert_tun_ok(tun_device_get_flags(dev, &flags));
    assert_false(flags & TUN_FLAG_NONBLOCK);
    assert_int_equal(tun_read_timeout(dev, buf, sizeof(buf), 50),
                     TUN_ETIMEDOUT);
    assert_tun_ok(tun_device_set_nonblocking(dev, true));
    assert_int_equal(tun_read(dev, buf, sizeof(buf)), TUN_EAGAIN);
    tun_close(dev);

    fd = foreign_fd("tnb4", true);
    assert_tun_ok(tun_open_fd(fd, TUN_FD_BORROW, &dev));
    assert_tun_ok(tun_device_get_flags(dev, &flags));
    assert_true(flags & TUN_FLAG_NONBLOCK);
    assert_int_equal(tun_read(dev, buf, sizeof(buf)), TUN_EAGAIN);
    assert_tun_ok(tun_device_set_nonblocking(dev, false));
    assert_int_equal(tun_read_timeout(dev, buf, sizeof(buf), 0),
                     TUN_ETIMEDOUT);
    tun_close(dev);

    assert_tun_ok(tun_open_fd(fd, TUN_FD_BORROW | TUN_FD_RAW, &dev));
    assert_int_equal(tun_read(dev, buf, sizeof(buf)), TUN_EAGAIN);
    tun_close(dev);
    close(fd);
}

/* A cloned queue starts in its parent's mode; each then has its own. */
static void cloned_queue_modes(void **state)
{
    (void)state;
    tun_device *dev = open_device("tnb5", true, true);
    tun_device *queue;
    assert_tun_ok(tun_clone_queue(dev, &queue));
    unsigned flags;
    assert_tun_ok(tun_device_get_flags(queue, &flags));
    assert_true(flags & TUN_FLAG_NONBLOCK);
    assert_tun_ok(tun_device_set_nonblocking(queue, false));
    assert_tun_ok(tun_device_get_flags(dev, &flags));
    assert_true(flags & TUN_FLAG_NONBLOCK);
    uint8_t buf[2048];
    assert_int_equal(tun_read(dev, buf, sizeof(buf)), TUN_EAGAIN);
    assert_int_equal(tun_read_timeout(queue, buf, sizeof(buf), 0),
                     TUN_ETIMEDOUT);
    tun_close(queue);
    tun_close(dev);
}

/* What epoll says about the fd, level-triggered as loops use it: readable
 * exactly while packets are queued, writable throughout, and an error once
 * the interface is deleted, which the next read reports as TUN_ENODEV. */
static void epoll_readiness(void **state)
{
    (void)state;
    tun_device *dev = open_device("tnb6", true, false);
    int ep = epoll_create1(EPOLL_CLOEXEC);
    assert_true(ep >= 0);
    struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT};
    assert_int_equal(epoll_ctl(ep, EPOLL_CTL_ADD, tun_device_fd(dev), &ev), 0);
    assert_int_equal(epoll_wait(ep, &ev, 1, 0), 1);
    assert_int_equal(ev.events, EPOLLOUT);

    int s = udp_socket();
    for (int i = 0; i < 3; i++)
        send_to_peer(s, "x");
    assert_int_equal(epoll_wait(ep, &ev, 1, 1000), 1);
    assert_true(ev.events & EPOLLIN);
    uint8_t buf[2048];
    int packets = 0;
    while (tun_read(dev, buf, sizeof(buf)) > 0)
        packets++;
    assert_int_equal(packets, 3);
    assert_int_equal(epoll_wait(ep, &ev, 1, 0), 1);
    assert_int_equal(ev.events, EPOLLOUT);

    assert_int_equal(tun_test_sh(NULL, 0, "ip link del tnb6"), 0);
    assert_int_equal(epoll_wait(ep, &ev, 1, 1000), 1);
    assert_true(ev.events & EPOLLERR);
    assert_int_equal(tun_read(dev, buf, sizeof(buf)), TUN_ENODEV);
    close(ep);
    close(s);
    tun_close(dev);
}

int main(void)
{
    tun_test_enter_netns();
    if (tun_test_sh(NULL, 0, "sysctl -qw net.ipv6.conf.default.disable_ipv6=1 "
                    "net.ipv6.conf.all.disable_ipv6=1") != 0) {
        printf("skipped: cannot turn IPv6 off in the test's namespace\n");
        return TUN_TEST_SKIP;
    }
    int fds = tun_test_count_fds();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(opened_nonblocking),
        cmocka_unit_test(switch_modes),
        cmocka_unit_test(refused_writes),
        cmocka_unit_test(adopted_modes),
        cmocka_unit_test(cloned_queue_modes),
        cmocka_unit_test(epoll_readiness),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    if (tun_test_count_fds() != fds) {
        printf("descriptors leaked: %d open, %d before\n",
               tun_test_count_fds(), fds);
        failed++;
    }
    return failed;
}
