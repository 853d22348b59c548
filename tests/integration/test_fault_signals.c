/* Signals hammering every blocking call: a no-op SIGUSR1 handler installed
 * without SA_RESTART, sent to the thread inside the call thousands of times
 * a second. As tun.h promises, no call returns early (EINTR is retried), no
 * packet is lost or damaged, timeouts keep their length, netlink requests
 * complete, and tun_interrupt() still stops a blocked reader at once. */
#include "testutil.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

enum { PACKETS = 3000, IN_FLIGHT = 32 };

/* Signals handled so far (by any thread). */
static atomic_ulong delivered;

static void do_nothing(int sig)
{
    (void)sig;
    atomic_fetch_add(&delivered, 1);
}

/* Sends SIGUSR1 to `target` until stopped. */
struct hammer {
    pthread_t thread;
    pthread_t target;
    atomic_bool stop;
    atomic_ulong sent;
};

static void *hammer_main(void *arg)
{
    struct hammer *h = arg;
    while (!atomic_load(&h->stop)) {
        /* One at a time: a signal sent while another is pending merges
         * with it, so wait until each one has been handled. */
        unsigned long before = atomic_load(&delivered);
        if (pthread_kill(h->target, SIGUSR1) != 0)
            break;
        atomic_fetch_add(&h->sent, 1);
        while (atomic_load(&delivered) == before && !atomic_load(&h->stop))
            sched_yield();
    }
    return NULL;
}

static void hammer_start(struct hammer *h, pthread_t target)
{
    h->target = target;
    atomic_init(&h->stop, false);
    atomic_init(&h->sent, 0);
    atomic_store(&delivered, 0);
    assert_int_equal(pthread_create(&h->thread, NULL, hammer_main, h), 0);
}

/* Returns how many signals the target handled meanwhile. */
static unsigned long hammer_stop(struct hammer *h)
{
    atomic_store(&h->stop, true);
    pthread_join(h->thread, NULL);
    return atomic_exchange(&delivered, 0);
}

/* Wait until *done, then stop the hammer, and only then join its target:
 * pthread_kill() of a thread already joined is undefined (musl's crashes),
 * and a thread that returned but is not joined yet is still a target. */
static unsigned long hammer_stop_join(struct hammer *h, atomic_bool *done)
{
    while (!atomic_load(done))
        usleep(1000);
    unsigned long signals = hammer_stop(h);
    pthread_join(h->target, NULL);
    return signals;
}

struct hammered {
    void *(*fn)(void *);
    void *arg;
    atomic_bool done;
};

static void *hammered_main(void *arg)
{
    struct hammered *t = arg;
    t->fn(t->arg);
    atomic_store(&t->done, true);
    return NULL;
}

/* Run fn(arg) in a thread, under signals until it returns. Returns how
 * many signals it handled. */
static unsigned long run_hammered(void *(*fn)(void *), void *arg)
{
    struct hammered t = {.fn = fn, .arg = arg};
    atomic_init(&t.done, false);
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, hammered_main, &t), 0);
    struct hammer h;
    hammer_start(&h, th);
    return hammer_stop_join(&h, &t.done);
}

/* The payload of packet `seq`: its number, then bytes derived from it; the
 * length varies with seq. */
static size_t make_payload(uint8_t *p, uint32_t seq)
{
    size_t len = 4 + seq % 1000;
    memcpy(p, &seq, 4);
    for (size_t i = 4; i < len; i++)
        p[i] = (uint8_t)(seq * 7 + i);
    return len;
}

static bool payload_ok(const uint8_t *p, size_t len, uint32_t seq)
{
    uint8_t want[1024];
    return len == make_payload(want, seq) && memcmp(p, want, len) == 0;
}

/* ---- reads ---------------------------------------------------------------- */

struct reader {
    tun_device *dev;
    int timeout_ms; /* -1: tun_read() */
    uint16_t port;
    atomic_uint received;
    unsigned bad; /* out of order or damaged */
    int error;
};

static void *reader_main(void *arg)
{
    struct reader *r = arg;
    uint8_t buf[2048];
    while (atomic_load(&r->received) < PACKETS) {
        int n = r->timeout_ms < 0 ? tun_read(r->dev, buf, sizeof(buf))
                                  : tun_read_timeout(r->dev, buf, sizeof(buf),
                                                     r->timeout_ms);
        if (n == TUN_ETIMEDOUT)
            continue;
        if (n < 0) {
            r->error = n;
            break;
        }
        if (n < 28 || (buf[0] >> 4) != 4 || buf[9] != 17 ||
            ((buf[22] << 8) | buf[23]) != r->port)
            continue; /* the kernel's own IPv6 chatter */
        unsigned seq = atomic_load(&r->received);
        if (!payload_ok(buf + 28, (size_t)n - 28, seq))
            r->bad++;
        atomic_store(&r->received, seq + 1);
    }
    return NULL;
}

/* PACKETS datagrams sent through the device to the reader, at most
 * IN_FLIGHT ahead of it so that no queue overflows. */
static void send_to_reader(struct reader *r, const char *dst)
{
    int s = socket(AF_INET, SOCK_DGRAM, 0);
    assert_true(s >= 0);
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(r->port)};
    inet_pton(AF_INET, dst, &sin.sin_addr);
    uint8_t payload[1024];
    int64_t deadline = tun_test_now_ms() + 60000;
    for (uint32_t seq = 0; seq < PACKETS; seq++) {
        while (seq - atomic_load(&r->received) >= IN_FLIGHT && !r->error &&
               tun_test_now_ms() < deadline)
            usleep(50);
        size_t len = make_payload(payload, seq);
        assert_int_equal(sendto(s, payload, len, 0, (struct sockaddr *)&sin,
                                sizeof(sin)), (ssize_t)len);
    }
    close(s);
    while (atomic_load(&r->received) < PACKETS && !r->error &&
           tun_test_now_ms() < deadline)
        usleep(1000);
}

static void reads_under_signals(void **state)
{
    (void)state;
    tun_device *dev = tun_test_open_tun("tsig0", "10.20.0.1", false);
    for (int timed = 0; timed < 2; timed++) {
        struct reader r = {.dev = dev, .timeout_ms = timed ? 50 : -1,
                           .port = (uint16_t)(7500 + timed)};
        atomic_init(&r.received, 0);
        pthread_t th;
        assert_int_equal(pthread_create(&th, NULL, reader_main, &r), 0);
        struct hammer h;
        hammer_start(&h, th);
        send_to_reader(&r, "10.20.0.2");
        unsigned long signals = hammer_stop(&h);
        if (atomic_load(&r.received) < PACKETS)
            tun_interrupt(dev); /* failed: do not hang in the join */
        pthread_join(th, NULL);
        print_message("%s: %u packets, %lu signals\n",
                      timed ? "tun_read_timeout" : "tun_read",
                      atomic_load(&r.received), signals);
        assert_int_equal(r.error, 0);
        assert_int_equal(atomic_load(&r.received), PACKETS);
        assert_int_equal(r.bad, 0);
        assert_true(signals > 0);
    }
    tun_close(dev);
}

/* A timed read with nothing to read lasts its timeout, signals or not. */
struct timed {
    tun_device *dev;
    int64_t took[5];
    int rc[5];
};

static void *timed_main(void *arg)
{
    struct timed *t = arg;
    uint8_t buf[2048];
    for (int i = 0; i < 5; i++) {
        int64_t start = tun_test_now_ms();
        int n;
        do {
            n = tun_read_timeout(t->dev, buf, sizeof(buf), 300);
        } while (n >= 0 && (buf[0] >> 4) == 6); /* IPv6 chatter */
        t->rc[i] = n;
        t->took[i] = tun_test_now_ms() - start;
    }
    return NULL;
}

static void timeouts_under_signals(void **state)
{
    (void)state;
    tun_device *dev = tun_test_open_tun("tsig1", "10.22.0.1", false);
    uint8_t buf[2048];
    while (tun_read_timeout(dev, buf, sizeof(buf), 200) >= 0)
        ; /* what the kernel sends on a fresh device */
    struct timed t = {.dev = dev};
    run_hammered(timed_main, &t);
    for (int i = 0; i < 5; i++) {
        assert_int_equal(t.rc[i], TUN_ETIMEDOUT);
        assert_true(t.took[i] >= 295 && t.took[i] < 1000);
    }
    tun_close(dev);
}

/* ---- writes --------------------------------------------------------------- */

struct writer {
    tun_device *dev;
    atomic_uint written;
    atomic_uint received;
    int error;
};

static void *writer_main(void *arg)
{
    struct writer *w = arg;
    uint8_t payload[1024], packet[2048];
    int64_t deadline = tun_test_now_ms() + 60000;
    for (uint32_t seq = 0; seq < PACKETS; seq++) {
        while (seq - atomic_load(&w->received) >= IN_FLIGHT &&
               tun_test_now_ms() < deadline)
            usleep(50);
        size_t len = make_payload(payload, seq);
        size_t n = tun_test_udp4(packet, "10.23.0.2", 7700, "10.23.0.1", 7701,
                                 payload, len);
        int rc = tun_write(w->dev, packet, n);
        if (rc != (int)n) {
            w->error = rc < 0 ? rc : -1;
            break;
        }
        atomic_store(&w->written, seq + 1);
    }
    return NULL;
}

static void writes_under_signals(void **state)
{
    (void)state;
    tun_device *dev = tun_test_open_tun("tsig2", "10.23.0.1", false);
    int s = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(7701)};
    inet_pton(AF_INET, "10.23.0.1", &sin.sin_addr);
    assert_int_equal(bind(s, (struct sockaddr *)&sin, sizeof(sin)), 0);
    struct timeval tv = {.tv_sec = 2};
    setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));

    struct writer w = {.dev = dev};
    atomic_init(&w.written, 0);
    atomic_init(&w.received, 0);
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, writer_main, &w), 0);
    struct hammer h;
    hammer_start(&h, th);
    unsigned bad = 0;
    uint8_t buf[2048];
    for (uint32_t seq = 0; seq < PACKETS; seq++) {
        ssize_t n = recv(s, buf, sizeof(buf), 0);
        if (n < 0)
            break;
        if (!payload_ok(buf, (size_t)n, seq))
            bad++;
        atomic_store(&w.received, seq + 1);
    }
    unsigned long signals = hammer_stop(&h);
    pthread_join(th, NULL);
    close(s);
    print_message("tun_write: %u packets, %lu signals\n",
                  atomic_load(&w.received), signals);
    assert_int_equal(w.error, 0);
    assert_int_equal(atomic_load(&w.written), PACKETS);
    assert_int_equal(atomic_load(&w.received), PACKETS);
    assert_int_equal(bad, 0);
    assert_true(signals > 0);
    tun_close(dev);
}

/* ---- netlink requests ----------------------------------------------------- */

struct changer {
    tun_device *dev;
    int failed_rc;
    char failed[512];
    unsigned rounds;
};

#define CHECK(c, expr)                                                         \
    do {                                                                       \
        int rc_ = (expr);                                                      \
        if (rc_ < 0) {                                                         \
            (c)->failed_rc = rc_;                                              \
            snprintf((c)->failed, sizeof((c)->failed), "%s: %s", #expr,        \
                     tun_last_error());                                        \
            return NULL;                                                       \
        }                                                                      \
    } while (0)

static void *changer_main(void *arg)
{
    struct changer *c = arg;
    /* At least 150 rounds and 200 signals, within 30 s. */
    int64_t deadline = tun_test_now_ms() + 30000;
    for (unsigned i = 0; i < 150 || (atomic_load(&delivered) < 200 &&
                                     tun_test_now_ms() < deadline);
         i++) {
        unsigned mtu = 1280 + i % 1000;
        CHECK(c, tun_device_set_mtu(c->dev, mtu));
        unsigned got;
        CHECK(c, tun_device_get_mtu(c->dev, &got));
        if (got != mtu) {
            c->failed_rc = TUN_EIO;
            snprintf(c->failed, sizeof(c->failed), "MTU %u read back as %u",
                     mtu, got);
            return NULL;
        }
        char text[32];
        snprintf(text, sizeof(text), "10.24.%u.%u", i / 200 % 200,
                 i % 200 + 1);
        CHECK(c, tun_device_add_ipv4(c->dev, text, 32, NULL));
        tun_address list[16];
        size_t count;
        CHECK(c, tun_device_get_addresses(c->dev, list, 16, &count));
        tun_address a;
        CHECK(c, tun_address_parse(&a, text, 32, NULL));
        CHECK(c, tun_device_remove_address(c->dev, &a));
        bool up;
        CHECK(c, tun_device_get_up(c->dev, &up));
        char name[TUN_NAME_MAX];
        CHECK(c, tun_device_get_name(c->dev, name, sizeof(name)));
        c->rounds++;
    }
    return NULL;
}

static void netlink_requests_under_signals(void **state)
{
    (void)state;
    tun_device *dev = tun_test_open_tun("tsig3", "10.24.200.1", false);
    struct changer c = {.dev = dev};
    unsigned long signals = run_hammered(changer_main, &c);
    print_message("netlink: %u rounds, %lu signals\n", c.rounds, signals);
    if (c.failed_rc)
        print_error("%s\n", c.failed);
    assert_int_equal(c.failed_rc, 0);
    assert_true(c.rounds >= 150);
    assert_true(signals > 0);
    size_t count;
    tun_address list[16];
    assert_tun_ok(tun_device_get_addresses(dev, list, 16, &count));
    assert_int_equal(count, 2); /* 10.24.200.1 and the IPv6 link-local */
    tun_close(dev);
}

/* ---- tun_interrupt() amid the storm ------------------------------------- */

struct blocked {
    tun_device *dev;
    int rc;
    atomic_llong returned_at;
    atomic_bool done;
};

static void *blocked_main(void *arg)
{
    struct blocked *b = arg;
    uint8_t buf[2048];
    do {
        b->rc = tun_read(b->dev, buf, sizeof(buf));
    } while (b->rc >= 0);
    atomic_store(&b->returned_at, tun_test_now_ms());
    atomic_store(&b->done, true);
    return NULL;
}

static void interrupt_under_signals(void **state)
{
    (void)state;
    tun_device *dev = tun_test_open_tun("tsig4", "10.25.0.1", false);
    struct blocked b = {.dev = dev};
    atomic_init(&b.returned_at, 0);
    atomic_init(&b.done, false);
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, blocked_main, &b), 0);
    struct hammer h;
    hammer_start(&h, th);
    usleep(300 * 1000);
    assert_int_equal(atomic_load(&b.returned_at), 0); /* signals: no return */
    int64_t asked = tun_test_now_ms();
    assert_tun_ok(tun_interrupt(dev));
    hammer_stop_join(&h, &b.done);
    assert_int_equal(b.rc, TUN_ECANCELED);
    assert_true(atomic_load(&b.returned_at) - asked < 100);
    tun_close(dev);
}

int main(void)
{
    tun_test_enter_netns();
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = do_nothing; /* no SA_RESTART: calls see EINTR */
    sigemptyset(&sa.sa_mask);
    sigaction(SIGUSR1, &sa, NULL);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(reads_under_signals),
        cmocka_unit_test(timeouts_under_signals),
        cmocka_unit_test(writes_under_signals),
        cmocka_unit_test(netlink_requests_under_signals),
        cmocka_unit_test(interrupt_under_signals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
