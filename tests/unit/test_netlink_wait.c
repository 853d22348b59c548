/* The rtnetlink receive loop (tun_nl_wait) fed crafted replies through a
 * datagram socket pair standing in for the kernel: replies for other
 * requests skipped, several messages per datagram and several datagrams per
 * reply, interrupted dumps, kernel errors, oversized datagrams, signals while
 * waiting; and a real netlink socket made to overflow (ENOBUFS), which needs
 * no privilege. */
#include "testutil.h"

#include "linux/netlink.h"

#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define PORT 4242u
#define SEQ 77u

/* A datagram of netlink messages, appended one by one. */
struct datagram {
    _Alignas(4) unsigned char b[65536];
    size_t len;
};

static void put_msg(struct datagram *d, uint16_t type, uint16_t flags,
                    uint32_t seq, uint32_t pid, const void *payload,
                    size_t payload_len)
{
    struct nlmsghdr h = {.nlmsg_len = (uint32_t)(sizeof(h) + payload_len),
                         .nlmsg_type = type, .nlmsg_flags = flags,
                         .nlmsg_seq = seq, .nlmsg_pid = pid};
    size_t padded = (h.nlmsg_len + 3u) & ~3u;
    assert_true(d->len + padded <= sizeof(d->b));
    memset(d->b + d->len, 0, padded);
    memcpy(d->b + d->len, &h, sizeof(h));
    if (payload_len)
        memcpy(d->b + d->len + sizeof(h), payload, payload_len);
    d->len += padded;
}

/* RTM_NEWADDR of 10.0.<n/256>.<n%256>/32 on ifindex 3. */
static void put_addr(struct datagram *d, uint32_t seq, uint32_t pid,
                     uint16_t flags, unsigned n)
{
    struct {
        struct ifaddrmsg ifa;
        struct rtattr rta;
        uint8_t addr[4];
    } p;
    memset(&p, 0, sizeof(p));
    p.ifa = (struct ifaddrmsg){.ifa_family = AF_INET, .ifa_prefixlen = 32,
                               .ifa_index = 3};
    p.rta = (struct rtattr){.rta_len = sizeof(p.rta) + 4, .rta_type = IFA_LOCAL};
    p.addr[0] = 10;
    p.addr[2] = (uint8_t)(n / 256);
    p.addr[3] = (uint8_t)(n % 256);
    put_msg(d, RTM_NEWADDR, flags, seq, pid, &p, sizeof(p));
}

static void put_done(struct datagram *d, uint32_t seq, uint32_t pid, int32_t err)
{
    put_msg(d, NLMSG_DONE, NLM_F_MULTI, seq, pid, &err, sizeof(err));
}

/* NLMSG_ERROR with a capped request copy and an extended-ACK text. */
static void put_error(struct datagram *d, uint32_t seq, uint32_t pid,
                      int32_t err, const char *text)
{
    struct {
        struct nlmsgerr e;
        struct rtattr rta;
        char text[64];
    } p;
    memset(&p, 0, sizeof(p));
    p.e.error = err;
    p.e.msg = (struct nlmsghdr){.nlmsg_len = sizeof(struct nlmsghdr),
                                .nlmsg_seq = seq, .nlmsg_pid = pid};
    size_t tlen = strlen(text) + 1;
    assert_true(tlen <= sizeof(p.text));
    p.rta = (struct rtattr){.rta_len = (unsigned short)(sizeof(p.rta) + tlen),
                            .rta_type = NLMSGERR_ATTR_MSG};
    memcpy(p.text, text, tlen);
    size_t len = sizeof(p.e) + ((sizeof(p.rta) + tlen + 3) & ~(size_t)3);
    put_msg(d, NLMSG_ERROR, NLM_F_CAPPED | NLM_F_ACK_TLVS, seq, pid, &p, len);
}

/* The kernel's end of the pair: datagrams written here reach fds[0]. */
static int fds[2];

static int setup(void **state)
{
    (void)state;
    assert_int_equal(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, fds), 0);
    int size = 1 << 20;
    setsockopt(fds[1], SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
    setsockopt(fds[0], SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    close(fds[0]);
    close(fds[1]);
    return 0;
}

static void send_datagram(const struct datagram *d)
{
    assert_int_equal(send(fds[1], d->b, d->len, 0), (ssize_t)d->len);
}

/* What the reply callback saw: addresses in order. */
struct seen {
    unsigned count;
    unsigned last; /* n of the last address */
    bool in_order;
};

static int on_addr(void *ctx, const struct nlmsghdr *msg, size_t len,
                   const char *step)
{
    (void)step;
    struct seen *s = ctx;
    tun_address a;
    if (tun_nl_parse_addr(msg, len, 3, &a) != 1)
        return tun_fail(-EIO, "unexpected message");
    unsigned n = (unsigned)a.addr[2] * 256 + a.addr[3];
    if (s->count > 0 && n != s->last + 1)
        s->in_order = false;
    s->last = n;
    s->count++;
    return 0;
}

static int wait_for(bool dump, struct seen *s)
{
    *s = (struct seen){.in_order = true};
    return tun_nl_wait(fds[0], PORT, SEQ, dump, on_addr, s, "test request");
}

static struct datagram d;

/* Messages for another sequence number or port, even errors and DONE, do
 * not end the request nor reach the callback. */
static void skips_other_requests(void **state)
{
    (void)state;
    d.len = 0;
    put_addr(&d, SEQ - 1, PORT, NLM_F_MULTI, 900);
    put_error(&d, SEQ + 1, PORT, -EPERM, "not yours");
    put_done(&d, SEQ - 1, PORT, 0);
    put_addr(&d, SEQ, PORT + 1, NLM_F_MULTI, 901);
    put_addr(&d, SEQ, PORT, NLM_F_MULTI, 0);
    send_datagram(&d);
    d.len = 0;
    put_addr(&d, SEQ, PORT, NLM_F_MULTI, 1);
    put_done(&d, SEQ, PORT + 1, -EPERM);
    put_done(&d, SEQ, PORT, 0);
    send_datagram(&d);
    struct seen s;
    assert_int_equal(wait_for(true, &s), 0);
    assert_int_equal(s.count, 2);
    assert_int_equal(s.last, 1);
}

/* A reply of about 300 KiB in full 32 KiB datagrams: every message read, in
 * order, up to the DONE in the last datagram. */
static void reads_replies_larger_than_a_buffer(void **state)
{
    (void)state;
    enum { TOTAL = 6000 };
    unsigned n = 0;
    while (n < TOTAL) {
        d.len = 0;
        while (n < TOTAL && d.len + 64 <= 32768)
            put_addr(&d, SEQ, PORT, NLM_F_MULTI, n++);
        if (n == TOTAL)
            put_done(&d, SEQ, PORT, 0);
        send_datagram(&d);
    }
    struct seen s;
    assert_int_equal(wait_for(true, &s), 0);
    assert_int_equal(s.count, TOTAL);
    assert_true(s.in_order);
}

/* NLM_F_DUMP_INTR on any message of a dump asks for a restart; on a plain
 * request the flag means nothing. */
static void interrupted_dump_restarts(void **state)
{
    (void)state;
    d.len = 0;
    put_addr(&d, SEQ, PORT, NLM_F_MULTI, 0);
    put_addr(&d, SEQ, PORT, NLM_F_MULTI | NLM_F_DUMP_INTR, 1);
    put_done(&d, SEQ, PORT, 0);
    send_datagram(&d);
    struct seen s;
    assert_int_equal(wait_for(true, &s), TUN_NL_RESTART);
    /* The rest of that datagram went with it: the socket is clean. A
     * plain request reads past the flag. */
    d.len = 0;
    put_addr(&d, SEQ, PORT, NLM_F_DUMP_INTR, 5);
    put_done(&d, SEQ, PORT, 0);
    send_datagram(&d);
    assert_int_equal(wait_for(false, &s), 0);
    assert_int_equal(s.count, 1);
    /* A DONE that carries the flag (the kernel may set it there). */
    d.len = 0;
    put_msg(&d, NLMSG_DONE, NLM_F_MULTI | NLM_F_DUMP_INTR, SEQ, PORT,
            &(int32_t){0}, 4);
    send_datagram(&d);
    assert_int_equal(wait_for(true, &s), TUN_NL_RESTART);
}

static void kernel_errors_are_reported(void **state)
{
    (void)state;
    d.len = 0;
    put_error(&d, SEQ, PORT, -ERANGE, "MTU too big");
    send_datagram(&d);
    struct seen s;
    assert_int_equal(wait_for(false, &s), -ERANGE);
    assert_non_null(strstr(tun_last_error(), "test request"));
    assert_non_null(strstr(tun_last_error(), "kernel: MTU too big"));
    /* A dump that ends in an error. */
    d.len = 0;
    put_addr(&d, SEQ, PORT, NLM_F_MULTI, 0);
    put_done(&d, SEQ, PORT, -EINTR);
    send_datagram(&d);
    assert_int_equal(wait_for(true, &s), -EINTR);
    /* A callback's failure ends the request with its code. */
    d.len = 0;
    put_msg(&d, RTM_NEWLINK, NLM_F_MULTI, SEQ, PORT, NULL, 0);
    send_datagram(&d);
    assert_int_equal(wait_for(true, &s), -EIO);
    /* Garbage: a header longer than the datagram. */
    d.len = 0;
    put_addr(&d, SEQ, PORT, 0, 0);
    uint32_t bad = 4096;
    memcpy(d.b, &bad, sizeof(bad));
    send_datagram(&d);
    assert_int_equal(wait_for(true, &s), -EIO);
    assert_non_null(strstr(tun_last_error(), "malformed"));
}

/* A datagram larger than the receive buffer (the kernel never sends one)
 * is refused, not parsed half. */
static void oversized_datagram_is_refused(void **state)
{
    (void)state;
    d.len = 0;
    while (d.len < 40000)
        put_addr(&d, SEQ, PORT, NLM_F_MULTI, 0);
    send_datagram(&d);
    struct seen s;
    assert_int_equal(wait_for(true, &s), -EMSGSIZE);
    assert_non_null(strstr(tun_last_error(), "larger than"));
}

/* ---- signals: EINTR while waiting is retried, nothing is lost ---------- */

static void on_signal(int sig) { (void)sig; }

struct waiter {
    pthread_t thread;
    int rc;
    struct seen seen;
    atomic_bool done;
};

static void *wait_thread(void *arg)
{
    struct waiter *w = arg;
    w->rc = wait_for(true, &w->seen);
    atomic_store(&w->done, true);
    return NULL;
}

static void signals_while_waiting(void **state)
{
    (void)state;
    /* No SA_RESTART: every signal makes recvmsg() fail with EINTR. */
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    struct sigaction old;
    assert_int_equal(sigaction(SIGUSR1, &sa, &old), 0);
    for (int round = 0; round < 20; round++) {
        struct waiter w = {.rc = 1};
        atomic_init(&w.done, false);
        assert_int_equal(pthread_create(&w.thread, NULL, wait_thread, &w), 0);
        /* Hammer it while it waits, and between the datagrams. */
        for (int i = 0; i < 200; i++)
            pthread_kill(w.thread, SIGUSR1);
        for (unsigned part = 0; part < 4; part++) {
            d.len = 0;
            for (unsigned i = 0; i < 100; i++)
                put_addr(&d, SEQ, PORT, NLM_F_MULTI, part * 100 + i);
            if (part == 3)
                put_done(&d, SEQ, PORT, 0);
            send_datagram(&d);
            for (int i = 0; i < 50; i++)
                pthread_kill(w.thread, SIGUSR1);
        }
        while (!atomic_load(&w.done))
            pthread_kill(w.thread, SIGUSR1);
        pthread_join(w.thread, NULL);
        assert_int_equal(w.rc, 0);
        assert_int_equal(w.seen.count, 400);
        assert_true(w.seen.in_order);
    }
    sigaction(SIGUSR1, &old, NULL);
}

/* ---- ENOBUFS on a real netlink socket ------------------------------------ */

/* A netlink socket whose tiny receive buffer overflowed: requests about the
 * loopback link (no privilege needed) whose replies are not read. The
 * kernel drops what does not fit and reports ENOBUFS on the next receive. */
static int overflowed_socket(uint32_t *port)
{
    int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
    assert_true(fd >= 0);
    int small = 1;
    assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small)), 0);
    struct sockaddr_nl addr = {.nl_family = AF_NETLINK};
    socklen_t len = sizeof(addr);
    assert_int_equal(bind(fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&addr, &len), 0);
    *port = addr.nl_pid;
    struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
    for (uint32_t seq = 1; seq <= 64; seq++) {
        unsigned char req[64];
        int n = tun_nl_build_link_get(req, sizeof(req), seq, 1);
        assert_true(n > 0);
        assert_int_equal(sendto(fd, req, (size_t)n, 0, (struct sockaddr *)&kernel,
                                sizeof(kernel)), n);
    }
    return fd;
}

static void overflow_restarts_a_dump_and_fails_a_request(void **state)
{
    (void)state;
    uint32_t port;
    int fd = overflowed_socket(&port);
    assert_int_equal(tun_nl_wait(fd, port, 64, true, NULL, NULL, "dump"),
                     TUN_NL_RESTART);
    close(fd);
    fd = overflowed_socket(&port);
    assert_int_equal(tun_nl_wait(fd, port, 64, false, NULL, NULL, "request"),
                     -EIO);
    assert_non_null(strstr(tun_last_error(), "reply lost"));
    close(fd);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(skips_other_requests, setup, teardown),
        cmocka_unit_test_setup_teardown(reads_replies_larger_than_a_buffer, setup, teardown),
        cmocka_unit_test_setup_teardown(interrupted_dump_restarts, setup, teardown),
        cmocka_unit_test_setup_teardown(kernel_errors_are_reported, setup, teardown),
        cmocka_unit_test_setup_teardown(oversized_datagram_is_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(signals_while_waiting, setup, teardown),
        cmocka_unit_test(overflow_restarts_a_dump_and_fails_a_request),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
