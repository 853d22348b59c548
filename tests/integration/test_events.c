/* Change notifications (tun_events_*) against the running kernel, inside a
 * private network namespace: changes made with `ip` (as from another
 * shell) and through libtun arrive as events through the descriptor. */
#include "testutil.h"

#include <poll.h>
#include <stdio.h>
#include <string.h>

/* Wait (up to 3 s) until an event of type arrives, collecting every event
 * on the way; returns it, failing the test if none comes. Each wake-up is
 * drained until TUN_EAGAIN, as an event loop does. */
static tun_event wait_for(tun_events *ev, tun_event_type type)
{
    int64_t deadline = tun_test_now_ms() + 3000;
    for (;;) {
        tun_event e;
        int rc;
        while ((rc = tun_events_next(ev, &e)) == 0)
            if (e.type == type)
                return e;
        assert_int_equal(rc, TUN_EAGAIN);
        int64_t left = deadline - tun_test_now_ms();
        if (left <= 0)
            break;
        struct pollfd p = {.fd = tun_events_fd(ev), .events = POLLIN};
        poll(&p, 1, (int)left);
    }
    print_error("no event of type %d within 3 s\n", (int)type);
    fail();
    tun_event none;
    memset(&none, 0, sizeof(none));
    return none;
}

/* Nothing waiting: the descriptor is quiet and next says TUN_EAGAIN. */
static void assert_quiet(tun_events *ev)
{
    tun_event e;
    int rc;
    while ((rc = tun_events_next(ev, &e)) == 0)
        ; /* what the last change brought besides (IPv6 link-local...) */
    assert_int_equal(rc, TUN_EAGAIN);
    struct pollfd p = {.fd = tun_events_fd(ev), .events = POLLIN};
    if (poll(&p, 1, 200) == 1)
        while ((rc = tun_events_next(ev, &e)) == 0)
            assert_true(e.type == TUN_EVENT_ADDRESS_ADDED ||
                        e.type == TUN_EVENT_ADDRESS_REMOVED);
    assert_int_equal(rc, TUN_EAGAIN);
}

static void sh_ok(const char *cmd)
{
    assert_int_equal(tun_test_sh(NULL, 0, "%s", cmd), 0);
}

static void events_follow_ip_and_libtun(void **state)
{
    (void)state;
    tun_device *dev = tun_test_open_tun("evt0", "10.0.0.1", false);
    tun_events *ev;
    assert_tun_ok(tun_events_open(dev, &ev));
    assert_true(tun_events_fd(ev) >= 0);
    assert_quiet(ev);

    sh_ok("ip link set dev evt0 mtu 1400");
    tun_event e = wait_for(ev, TUN_EVENT_MTU);
    assert_int_equal(e.mtu, 1400);

    sh_ok("ip addr add 10.0.9.1/16 dev evt0");
    e = wait_for(ev, TUN_EVENT_ADDRESS_ADDED);
    char text[TUN_ADDRSTRLEN];
    assert_true(tun_address_format(&e.address, text, sizeof(text)) > 0);
    assert_string_equal(text, "10.0.9.1/16");
    sh_ok("ip addr del 10.0.9.1/16 dev evt0");
    e = wait_for(ev, TUN_EVENT_ADDRESS_REMOVED);
    assert_true(tun_address_format(&e.address, text, sizeof(text)) > 0);
    assert_string_equal(text, "10.0.9.1/16");

    /* Changes made through libtun arrive the same way. */
    assert_tun_ok(tun_device_add_ipv6(dev, "fd00::1", 64));
    e = wait_for(ev, TUN_EVENT_ADDRESS_ADDED);
    assert_int_equal(e.address.family, TUN_INET6);
    assert_tun_ok(tun_device_set_carrier(dev, false));
    wait_for(ev, TUN_EVENT_CARRIER_OFF);
    assert_tun_ok(tun_device_set_carrier(dev, true));
    wait_for(ev, TUN_EVENT_CARRIER_ON);

    sh_ok("ip link set dev evt0 down");
    wait_for(ev, TUN_EVENT_DOWN);
    sh_ok("ip link set dev evt0 name evt1");
    e = wait_for(ev, TUN_EVENT_RENAME);
    assert_string_equal(e.name, "evt1");
    sh_ok("ip link set dev evt1 up");
    wait_for(ev, TUN_EVENT_UP);
    assert_quiet(ev);

    /* Another device's changes are not this one's. */
    tun_device *other = tun_test_open_tun("evt2", "10.1.0.1", false);
    sh_ok("ip link set dev evt2 mtu 1300");
    assert_quiet(ev);
    tun_close(other);

    sh_ok("ip link del dev evt1");
    wait_for(ev, TUN_EVENT_DELETED);
    tun_event after;
    assert_int_equal(tun_events_next(ev, &after), TUN_EAGAIN);
    /* Other interfaces' changes after the deletion are drained, not left
     * to keep the descriptor readable (a loop would spin on it). */
    sh_ok("ip link add evt9 type veth peer name evt9p && "
          "ip link del evt9");
    struct pollfd p = {.fd = tun_events_fd(ev), .events = POLLIN};
    assert_int_equal(poll(&p, 1, 200), 1);
    assert_int_equal(tun_events_next(ev, &after), TUN_EAGAIN);
    assert_int_equal(poll(&p, 1, 0), 0);
    tun_events_close(ev);
    tun_close(dev);
}

static void bad_arguments(void **state)
{
    (void)state;
    tun_events *ev;
    tun_event e;
    assert_int_equal(tun_events_open(NULL, &ev), TUN_EINVAL);
    assert_int_equal(tun_events_next(NULL, &e), TUN_EINVAL);
    assert_int_equal(tun_events_fd(NULL), -1);
    tun_events_close(NULL);
    tun_device *dev = tun_test_open_tun("evt3", "10.0.0.1", false);
    assert_int_equal(tun_events_open(dev, NULL), TUN_EINVAL);
    tun_device *raw;
    assert_tun_ok(tun_open_fd(tun_device_fd(dev), TUN_FD_BORROW | TUN_FD_RAW,
                              &raw));
    assert_int_equal(tun_events_open(raw, &ev), TUN_ENOTSUP);
    tun_close(raw);
    /* Open and close without reading leaks nothing (ASan). */
    assert_tun_ok(tun_events_open(dev, &ev));
    assert_int_equal(tun_events_next(ev, NULL), TUN_EINVAL);
    tun_events_close(ev);
    tun_close(dev);
}

int main(void)
{
    tun_test_enter_netns();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(events_follow_ip_and_libtun),
        cmocka_unit_test(bad_arguments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
