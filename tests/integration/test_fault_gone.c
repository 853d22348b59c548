/* The interface or its network namespace disappears under a reader and a
 * writer: both return TUN_ENODEV promptly, every other call says the same,
 * tun_close() still works, and no descriptor or interface is left. */
#include "testutil.h"

#include "linux/netlink.h"

#include <fcntl.h>
#include <linux/if_tun.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

/* A thread that reads (or writes) until a call fails; when, and with what. */
struct worker {
    tun_device *dev;
    bool writes;
    pthread_t thread;
    int rc;
    unsigned long moved;
    atomic_llong ended_at;
    char reason[512];
};

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    uint8_t buf[2048];
    size_t len = 0;
    if (w->writes) /* to a closed port: the stack answers, nobody minds */
        len = tun_test_udp4(buf, "10.99.0.2", 9, "10.99.0.1", 9, "gone?", 5);
    for (;;) {
        int n = w->writes ? tun_write(w->dev, buf, len)
                          : tun_read(w->dev, buf, sizeof(buf));
        if (n < 0) {
            w->rc = n;
            snprintf(w->reason, sizeof(w->reason), "%s", tun_last_error());
            break;
        }
        w->moved++;
    }
    atomic_store(&w->ended_at, tun_test_now_ms());
    return NULL;
}

static void start(struct worker *w, tun_device *dev, bool writes)
{
    w->dev = dev;
    w->writes = writes;
    w->rc = 0;
    w->moved = 0;
    w->reason[0] = '\0';
    atomic_init(&w->ended_at, 0);
    assert_int_equal(pthread_create(&w->thread, NULL, worker_main, w), 0);
}

/* A send buffer of about one packet: the writer keeps finding the queue
 * full and waits in poll() for room, as a blocked writer does. */
static void shrink_send_buffer(tun_device *dev)
{
    int size = 1;
    assert_int_equal(ioctl(tun_device_fd(dev), TUNSETSNDBUF, &size), 0);
}

/* Every call on a handle whose interface is gone. */
static void assert_gone(tun_device *dev)
{
    uint8_t buf[64] = {0x45};
    assert_int_equal(tun_read_timeout(dev, buf, sizeof(buf), 1000), TUN_ENODEV);
    assert_int_equal(tun_write(dev, buf, 20), TUN_ENODEV);
    unsigned mtu;
    assert_int_equal(tun_device_get_mtu(dev, &mtu), TUN_ENODEV);
    assert_int_equal(tun_device_set_mtu(dev, 1400), TUN_ENODEV);
    size_t count;
    assert_int_equal(tun_device_get_addresses(dev, NULL, 0, &count), TUN_ENODEV);
    assert_int_equal(tun_device_add_ipv4(dev, "10.98.0.1", 24, NULL), TUN_ENODEV);
    char name[TUN_NAME_MAX];
    assert_int_equal(tun_device_get_name(dev, name, sizeof(name)), TUN_ENODEV);
    assert_tun_ok(tun_interrupt(dev));
    assert_tun_ok(tun_interrupt_clear(dev));
}

/* Wait for both workers; they must have ended with TUN_ENODEV within a
 * second of `asked`. */
static void assert_both_ended(struct worker *r, struct worker *w, int64_t asked)
{
    pthread_join(r->thread, NULL);
    pthread_join(w->thread, NULL);
    print_message("reader: %s after %lld ms; writer: %s after %lld ms (%lu "
                  "packets)\n", tun_err_name(r->rc),
                  (long long)(atomic_load(&r->ended_at) - asked),
                  tun_err_name(w->rc),
                  (long long)(atomic_load(&w->ended_at) - asked), w->moved);
    assert_int_equal(r->rc, TUN_ENODEV);
    /* Linux takes the interface down before deleting it: a write in
     * between finds it down (tun.h); the next write says it is gone. */
    assert_true(w->rc == TUN_ENODEV || w->rc == TUN_EIO);
    assert_true(atomic_load(&r->ended_at) - asked < 1000);
    assert_true(atomic_load(&w->ended_at) - asked < 1000);
}

/* `ip link del`, then the same through rtnetlink. */
static void deleted_under_reader_and_writer(void **state)
{
    (void)state;
    int fds = tun_test_count_fds();
    int links = tun_test_count_links();
    for (int how = 0; how < 2; how++) {
        tun_device *dev = tun_test_open_tun("tgone0", "10.99.0.1", false);
        shrink_send_buffer(dev);
        struct worker r, w;
        start(&r, dev, false);
        start(&w, dev, true);
        usleep(200 * 1000);
        int64_t asked = tun_test_now_ms();
        if (how == 0) {
            assert_int_equal(tun_test_sh(NULL, 0, "ip link del dev tgone0"), 0);
        } else {
            unsigned index;
            assert_tun_ok(tun_device_get_index(dev, &index));
            assert_tun_ok(tun_nl_link_del(index));
        }
        assert_both_ended(&r, &w, asked);
        assert_gone(dev);
        tun_close(dev);
    }
    assert_int_equal(tun_test_count_links(), links);
    assert_int_equal(tun_test_count_fds(), fds);
}

/* Every queue of a multi-queue interface, each with its reader. */
static void deleted_under_every_queue(void **state)
{
    (void)state;
    int fds = tun_test_count_fds();
    enum { QUEUES = 4 };
    tun_device *q[QUEUES];
    q[0] = tun_test_open_tun("tgone1", "10.99.0.1", true);
    for (int i = 1; i < QUEUES; i++)
        assert_tun_ok(tun_clone_queue(q[0], &q[i]));
    struct worker r[QUEUES], w;
    for (int i = 0; i < QUEUES; i++)
        start(&r[i], q[i], false);
    start(&w, q[1], true);
    usleep(200 * 1000);
    int64_t asked = tun_test_now_ms();
    assert_int_equal(tun_test_sh(NULL, 0, "ip link del dev tgone1"), 0);
    for (int i = 1; i < QUEUES; i++) {
        pthread_join(r[i].thread, NULL);
        assert_int_equal(r[i].rc, TUN_ENODEV);
        assert_true(atomic_load(&r[i].ended_at) - asked < 1000);
    }
    assert_both_ended(&r[0], &w, asked);
    tun_device *clone;
    assert_int_equal(tun_clone_queue(q[0], &clone), TUN_ENODEV);
    for (int i = 0; i < QUEUES; i++)
        tun_close(q[i]);
    assert_int_equal(tun_test_count_fds(), fds);
}

/* ---- network namespaces ------------------------------------------------ */

static int enter_netns(const char *path)
{
    int home = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
    int ns = open(path, O_RDONLY | O_CLOEXEC);
    assert_true(home >= 0 && ns >= 0);
    assert_int_equal(setns(ns, CLONE_NEWNET), 0);
    close(ns);
    return home;
}

static void leave_netns(int home)
{
    assert_int_equal(setns(home, CLONE_NEWNET), 0);
    close(home);
}

/* Whether the namespace with id nsid (in ours) still exists. */
static bool netns_alive(int nsid)
{
    char out[4096], want[32];
    assert_int_equal(tun_test_sh(out, sizeof(out), "ip netns list-id"), 0);
    snprintf(want, sizeof(want), "nsid %d ", nsid);
    return strstr(out, want) != NULL;
}

/* The device was moved into a namespace that is then deleted: the kernel
 * deletes the interface with it, so this is a deleted device as above. */
static void namespace_deleted_under_moved_device(void **state)
{
    (void)state;
    int fds = tun_test_count_fds();
    assert_int_equal(tun_test_sh(NULL, 0, "ip netns add tgone-a && "
                                 "ip netns set tgone-a 41"), 0);
    tun_device *dev = tun_test_open_tun("tgone2", "10.99.0.1", false);
    shrink_send_buffer(dev);
    struct worker r, w;
    start(&r, dev, false);
    usleep(100 * 1000);
    /* Moving takes it down; up again over there, with its address. */
    assert_int_equal(tun_test_sh(NULL, 0, "ip link set dev tgone2 netns tgone-a && "
                                 "ip -n tgone-a addr add 10.99.0.1/24 dev tgone2 && "
                                 "ip -n tgone-a link set dev tgone2 up"), 0);
    start(&w, dev, true);
    usleep(200 * 1000);
    assert_int_equal(atomic_load(&r.ended_at), 0);
    assert_int_equal(atomic_load(&w.ended_at), 0);
    int64_t asked = tun_test_now_ms();
    assert_int_equal(tun_test_sh(NULL, 0, "ip netns del tgone-a"), 0);
    assert_both_ended(&r, &w, asked);
    assert_gone(dev);
    tun_close(dev);
    int64_t deadline = tun_test_now_ms() + 5000;
    while (netns_alive(41) && tun_test_now_ms() < deadline)
        usleep(20 * 1000);
    assert_false(netns_alive(41));
    assert_int_equal(tun_test_count_fds(), fds);
}

/* The device was opened inside a namespace (`ip netns add`, the thread in
 * it by setns()) that is then deleted. The descriptor holds that namespace
 * (as any socket does), so the interface lives on until tun_close(): the
 * reader and writer keep going, interrupt and close end it, and with the
 * last descriptor the namespace and the interface go. */
static void namespace_deleted_under_opened_device(void **state)
{
    (void)state;
    int fds = tun_test_count_fds();
    assert_int_equal(tun_test_sh(NULL, 0, "ip netns add tgone-b && "
                                 "ip netns set tgone-b 42"), 0);
    int home = enter_netns("/run/netns/tgone-b");
    tun_device *dev = tun_test_open_tun("tgone3", "10.99.0.1", true);
    tun_device *queue;
    assert_tun_ok(tun_clone_queue(dev, &queue));
    leave_netns(home);
    shrink_send_buffer(dev);
    struct worker r, w;
    start(&r, dev, false);
    start(&w, dev, true);
    usleep(100 * 1000);
    assert_int_equal(tun_test_sh(NULL, 0, "ip netns del tgone-b"), 0);
    usleep(300 * 1000);
    print_message("after ip netns del: reader %s, writer %s (%s), nsid 42 %s\n",
                  tun_err_name(r.rc), tun_err_name(w.rc), w.reason,
                  netns_alive(42) ? "alive" : "gone");
    assert_true(netns_alive(42));
    assert_int_equal(atomic_load(&r.ended_at), 0);
    assert_int_equal(atomic_load(&w.ended_at), 0);
    /* The interface calls act in the calling thread's namespace, where
     * this index names no interface. */
    unsigned mtu;
    assert_int_equal(tun_device_get_mtu(dev, &mtu), TUN_ENODEV);
    tun_close(queue);
    int64_t asked = tun_test_now_ms();
    assert_tun_ok(tun_interrupt(dev));
    pthread_join(r.thread, NULL);
    pthread_join(w.thread, NULL);
    assert_int_equal(r.rc, TUN_ECANCELED);
    assert_int_equal(w.rc, TUN_ECANCELED);
    assert_true(atomic_load(&r.ended_at) - asked < 1000);
    assert_true(w.moved > 0);
    tun_close(dev);
    int64_t deadline = tun_test_now_ms() + 5000;
    while (netns_alive(42) && tun_test_now_ms() < deadline)
        usleep(20 * 1000);
    assert_false(netns_alive(42));
    assert_int_equal(tun_test_count_fds(), fds);
}

int main(void)
{
    tun_test_enter_netns();
    /* `ip netns` keeps its files under /run/netns: a private mount
     * namespace keeps this test's off the host's list. */
    if (unshare(CLONE_NEWNS) != 0 ||
        tun_test_sh(NULL, 0, "mount --make-rprivate / && mkdir -p /run/netns && "
                    "mount -t tmpfs tgone /run/netns") != 0) {
        printf("skipped: cannot make a private /run/netns\n");
        return TUN_TEST_SKIP;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(deleted_under_reader_and_writer),
        cmocka_unit_test(deleted_under_every_queue),
        cmocka_unit_test(namespace_deleted_under_moved_device),
        cmocka_unit_test(namespace_deleted_under_opened_device),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
