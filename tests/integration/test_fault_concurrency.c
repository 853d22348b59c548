/* Several threads on one interface, as tun.h allows: a reader and a writer
 * on each of two queues; a reader while another thread changes the MTU and
 * the addresses; tun_interrupt() racing a reader that is starting, reading
 * or returning, then join and close. Every packet arrives intact, every
 * change succeeds, nothing leaks. scripts/test.sh also runs this under
 * ThreadSanitizer. */
#include "testutil.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

enum { PACKETS = 2000, IN_FLIGHT = 32 };

static int udp_socket(const char *addr, uint16_t port)
{
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    assert_true(s >= 0);
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(port)};
    inet_pton(AF_INET, addr, &sin.sin_addr);
    assert_int_equal(bind(s, (struct sockaddr *)&sin, sizeof(sin)), 0);
    int size = 4 << 20;
    setsockopt(s, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
    struct timeval tv = {.tv_sec = 3};
    setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    return s;
}

/* Payload of datagram `seq` of flow `flow`: both numbers, then bytes
 * derived from them; the length varies. */
static size_t make_payload(uint8_t *p, uint32_t flow, uint32_t seq)
{
    size_t len = 8 + (seq * 13 + flow) % 900;
    memcpy(p, &flow, 4);
    memcpy(p + 4, &seq, 4);
    for (size_t i = 8; i < len; i++)
        p[i] = (uint8_t)(seq + flow * 31 + i);
    return len;
}

static bool payload_ok(const uint8_t *p, size_t len, uint32_t *flow,
                       uint32_t *seq)
{
    if (len < 8)
        return false;
    memcpy(flow, p, 4);
    memcpy(seq, p + 4, 4);
    uint8_t want[1024];
    return *flow < 1024 && len == make_payload(want, *flow, *seq) &&
           memcmp(p, want, len) == 0;
}

/* ---- two queues, each with a reader and a writer ------------------------ */

enum { FLOWS = 16 };

struct queue_side {
    tun_device *q;
    int index;
    /* reader */
    atomic_uint received;
    unsigned bad;
    unsigned next[FLOWS]; /* next seq per flow: order within a flow */
    int read_error;
    /* writer */
    int write_error;
};

static atomic_bool stop_readers;
static atomic_uint total_received;

static void *queue_reader(void *arg)
{
    struct queue_side *s = arg;
    uint8_t buf[2048];
    while (!atomic_load(&stop_readers)) {
        int n = tun_read_timeout(s->q, buf, sizeof(buf), 100);
        if (n == TUN_ETIMEDOUT)
            continue;
        if (n < 0) {
            s->read_error = n;
            break;
        }
        if (n < 28 || (buf[0] >> 4) != 4 || buf[9] != 17 ||
            ((buf[22] << 8) | buf[23]) != 7800)
            continue;
        uint32_t flow, seq;
        if (!payload_ok(buf + 28, (size_t)n - 28, &flow, &seq) ||
            flow >= FLOWS || seq != s->next[flow])
            s->bad++;
        else
            s->next[flow]++;
        atomic_fetch_add(&s->received, 1);
        atomic_fetch_add(&total_received, 1);
    }
    return NULL;
}

/* Writes PACKETS datagrams of flow 100 + index to 10.50.0.1:7801. */
static void *queue_writer(void *arg)
{
    struct queue_side *s = arg;
    uint8_t payload[1024], packet[2048];
    for (uint32_t seq = 0; seq < PACKETS; seq++) {
        size_t len = make_payload(payload, (uint32_t)(100 + s->index), seq);
        size_t n = tun_test_udp4(packet, "10.50.0.2", (uint16_t)(7900 + s->index),
                                 "10.50.0.1", 7801, payload, len);
        int rc = tun_write(s->q, packet, n);
        if (rc != (int)n) {
            s->write_error = rc;
            break;
        }
        if (seq % 64 == 63)
            usleep(500); /* let the receiving socket keep up */
    }
    return NULL;
}

static void two_queues_two_threads_each(void **state)
{
    (void)state;
    int fds = tun_test_count_fds();
    struct queue_side side[2];
    memset(side, 0, sizeof(side));
    side[0].q = tun_test_open_tun("tcon0", "10.50.0.1", true);
    assert_tun_ok(tun_clone_queue(side[0].q, &side[1].q));
    int sink = udp_socket("10.50.0.1", 7801);
    atomic_store(&stop_readers, false);
    atomic_store(&total_received, 0);
    pthread_t readers[2], writers[2];
    for (int i = 0; i < 2; i++) {
        side[i].index = i;
        atomic_init(&side[i].received, 0);
        assert_int_equal(pthread_create(&readers[i], NULL, queue_reader, &side[i]), 0);
        assert_int_equal(pthread_create(&writers[i], NULL, queue_writer, &side[i]), 0);
    }
    /* FLOWS flows (one source port each) towards the device; the kernel
     * spreads them over the two queues. */
    int senders[FLOWS];
    for (int f = 0; f < FLOWS; f++)
        senders[f] = udp_socket("10.50.0.1", (uint16_t)(20000 + f));
    struct sockaddr_in dst = {.sin_family = AF_INET, .sin_port = htons(7800)};
    inet_pton(AF_INET, "10.50.0.2", &dst.sin_addr);
    uint8_t payload[1024];
    int64_t deadline = tun_test_now_ms() + 60000;
    unsigned sent = 0;
    for (uint32_t seq = 0; seq < PACKETS / FLOWS; seq++) {
        for (uint32_t f = 0; f < FLOWS; f++) {
            while (sent - atomic_load(&total_received) >= IN_FLIGHT &&
                   tun_test_now_ms() < deadline)
                usleep(50);
            size_t len = make_payload(payload, f, seq);
            assert_int_equal(sendto(senders[f], payload, len, 0,
                                    (struct sockaddr *)&dst, sizeof(dst)),
                             (ssize_t)len);
            sent++;
        }
    }
    /* What the writers sent arrives at the sink, in order per writer. */
    unsigned got[2] = {0, 0}, bad = 0;
    uint8_t buf[2048];
    for (unsigned i = 0; i < 2 * PACKETS; i++) {
        ssize_t n = recv(sink, buf, sizeof(buf), 0);
        if (n < 0)
            break;
        uint32_t flow, seq;
        if (!payload_ok(buf, (size_t)n, &flow, &seq) || flow < 100 ||
            flow > 101 || seq != got[flow - 100])
            bad++;
        else
            got[flow - 100]++;
    }
    while (atomic_load(&total_received) < sent && tun_test_now_ms() < deadline)
        usleep(1000);
    atomic_store(&stop_readers, true);
    for (int i = 0; i < 2; i++) {
        pthread_join(readers[i], NULL);
        pthread_join(writers[i], NULL);
    }
    print_message("queues: read %u + %u of %u; written %u + %u of %d each\n",
                  atomic_load(&side[0].received), atomic_load(&side[1].received),
                  sent, got[0], got[1], PACKETS);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(side[i].read_error, 0);
        assert_int_equal(side[i].write_error, 0);
        assert_int_equal(side[i].bad, 0);
        assert_true(atomic_load(&side[i].received) > 0);
        assert_int_equal(got[i], PACKETS);
    }
    assert_int_equal(bad, 0);
    assert_int_equal(atomic_load(&total_received), sent);
    for (int f = 0; f < FLOWS; f++)
        close(senders[f]);
    close(sink);
    tun_close(side[1].q);
    tun_close(side[0].q);
    assert_int_equal(tun_test_count_fds(), fds);
}

/* ---- reading while the interface changes -------------------------------- */

struct changer {
    tun_device *dev;
    atomic_bool stop;
    atomic_uint rounds;
    int rc;
    char reason[512];
};

static void *change_main(void *arg)
{
    struct changer *c = arg;
    while (!atomic_load(&c->stop)) {
        unsigned i = atomic_fetch_add(&c->rounds, 1);
        char text[32];
        snprintf(text, sizeof(text), "10.52.%u.%u", i / 200 % 200, i % 200 + 1);
        tun_address a, list[16];
        size_t count;
        unsigned mtu;
        int rc;
        if ((rc = tun_device_set_mtu(c->dev, 1280 + i % 300)) < 0 ||
            (rc = tun_device_get_mtu(c->dev, &mtu)) < 0 ||
            (rc = tun_device_add_ipv4(c->dev, text, 32, NULL)) < 0 ||
            (rc = tun_device_add_ipv6(c->dev, "fd52::1", 64)) < 0 ||
            (rc = tun_device_get_addresses(c->dev, list, 16, &count)) < 0 ||
            (rc = tun_address_parse(&a, text, 32, NULL)) < 0 ||
            (rc = tun_device_remove_address(c->dev, &a)) < 0 ||
            (rc = tun_address_parse(&a, "fd52::1", 64, NULL)) < 0 ||
            (rc = tun_device_remove_address(c->dev, &a)) < 0) {
            c->rc = rc;
            snprintf(c->reason, sizeof(c->reason), "%s", tun_last_error());
            break;
        }
    }
    return NULL;
}

struct reader {
    tun_device *dev;
    atomic_uint received;
    unsigned bad;
    int error;
};

static void *read_main(void *arg)
{
    struct reader *r = arg;
    uint8_t buf[2048];
    while (atomic_load(&r->received) < PACKETS) {
        int n = tun_read_timeout(r->dev, buf, sizeof(buf), 3000);
        if (n < 0) {
            r->error = n;
            break;
        }
        if (n < 28 || (buf[0] >> 4) != 4 || buf[9] != 17 ||
            ((buf[22] << 8) | buf[23]) != 7810)
            continue;
        uint32_t flow, seq;
        unsigned want = atomic_load(&r->received);
        if (!payload_ok(buf + 28, (size_t)n - 28, &flow, &seq) || seq != want)
            r->bad++;
        atomic_store(&r->received, want + 1);
    }
    return NULL;
}

static void read_while_mtu_and_addresses_change(void **state)
{
    (void)state;
    tun_device *dev = tun_test_open_tun("tcon1", "10.51.0.1", false);
    struct reader r = {.dev = dev};
    atomic_init(&r.received, 0);
    struct changer c = {.dev = dev};
    atomic_init(&c.stop, false);
    atomic_init(&c.rounds, 0);
    pthread_t rt, ct;
    assert_int_equal(pthread_create(&rt, NULL, read_main, &r), 0);
    assert_int_equal(pthread_create(&ct, NULL, change_main, &c), 0);
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in dst = {.sin_family = AF_INET, .sin_port = htons(7810)};
    inet_pton(AF_INET, "10.51.0.2", &dst.sin_addr);
    uint8_t payload[1024];
    int64_t deadline = tun_test_now_ms() + 60000;
    for (uint32_t seq = 0; seq < PACKETS; seq++) {
        /* Paced so that the changes (50 rounds) span the whole stream. */
        while ((seq - atomic_load(&r.received) >= IN_FLIGHT ||
                seq * 50 / PACKETS > atomic_load(&c.rounds)) &&
               !r.error && !c.rc && tun_test_now_ms() < deadline)
            usleep(50);
        size_t len = make_payload(payload, 0, seq);
        assert_int_equal(sendto(s, payload, len, 0, (struct sockaddr *)&dst,
                                sizeof(dst)), (ssize_t)len);
    }
    close(s);
    pthread_join(rt, NULL);
    atomic_store(&c.stop, true);
    pthread_join(ct, NULL);
    print_message("read %u packets during %u rounds of changes\n",
                  atomic_load(&r.received), atomic_load(&c.rounds));
    if (c.rc)
        print_error("changer: %s: %s\n", tun_err_name(c.rc), c.reason);
    assert_int_equal(c.rc, 0);
    assert_true(atomic_load(&c.rounds) >= 49);
    assert_int_equal(r.error, 0);
    assert_int_equal(r.bad, 0);
    assert_int_equal(atomic_load(&r.received), PACKETS);
    tun_close(dev);
}

/* ---- tun_interrupt() racing the reader, then join and close -------------- */

struct racer {
    tun_device *dev;
    int rc;
};

static void *race_reader(void *arg)
{
    struct racer *r = arg;
    uint8_t buf[2048];
    do {
        r->rc = tun_read(r->dev, buf, sizeof(buf));
    } while (r->rc >= 0);
    return NULL;
}

static void *race_interrupter(void *arg)
{
    tun_interrupt(arg);
    return NULL;
}

static void interrupt_races_reader_then_close(void **state)
{
    (void)state;
    int fds = tun_test_count_fds();
    srand(12345);
    for (int round = 0; round < 200; round++) {
        tun_device *dev = tun_test_open_tun("tcon2", "10.53.0.1", false);
        struct racer r = {.dev = dev};
        pthread_t reader, interrupter;
        /* The interrupt comes from a third thread, before, while or after
         * the reader starts waiting. */
        bool first = round % 3 == 0;
        if (first)
            assert_int_equal(pthread_create(&interrupter, NULL, race_interrupter, dev), 0);
        assert_int_equal(pthread_create(&reader, NULL, race_reader, &r), 0);
        if (round % 3 == 1)
            usleep((useconds_t)(rand() % 2000));
        if (!first)
            assert_int_equal(pthread_create(&interrupter, NULL, race_interrupter, dev), 0);
        pthread_join(interrupter, NULL);
        pthread_join(reader, NULL);
        assert_int_equal(r.rc, TUN_ECANCELED);
        tun_close(dev);
    }
    assert_int_equal(tun_test_count_fds(), fds);
}

int main(void)
{
    tun_test_enter_netns();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(two_queues_two_threads_each),
        cmocka_unit_test(read_while_mtu_and_addresses_change),
        cmocka_unit_test(interrupt_races_reader_then_close),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
