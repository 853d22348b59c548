/* The diagnostic log on the Linux open path, in a network namespace of its
 * own: each step of tun_open() at TUN_LOG_DEBUG, the device made at
 * TUN_LOG_INFO, a failure and its undoing, and silence on the packet path. */
#include "testutil.h"

#include <stdio.h>
#include <string.h>

static char logged[16384];
static int messages;

static void collect(tun_log_level level, const char *message, void *user)
{
    (void)user;
    static const char *names[] = {"E", "W", "I", "D"};
    size_t used = strlen(logged);
    snprintf(logged + used, sizeof(logged) - used, "%s %s\n",
             names[level], message);
    messages++;
}

static void listen_from(tun_log_level max_level)
{
    logged[0] = '\0';
    messages = 0;
    tun_set_log_handler(collect, max_level, NULL);
}

/* Each of the lines appears in the log, in this order. */
static void assert_logged_in_order(const char *const *lines, size_t count)
{
    const char *at = logged;
    for (size_t i = 0; i < count; i++) {
        const char *found = strstr(at, lines[i]);
        if (!found)
            print_error("missing after the earlier lines: \"%s\"\nlog:\n%s",
                        lines[i], logged);
        assert_non_null(found);
        at = found + strlen(lines[i]);
    }
}

static void open_steps(void **state)
{
    (void)state;
    tun_config *cfg;
    tun_device *dev = NULL;
    assert_tun_ok(tun_config_new(&cfg));
    assert_tun_ok(tun_config_set_name(cfg, "tlog0"));
    assert_tun_ok(tun_config_set_mtu(cfg, 1400));
    assert_tun_ok(tun_config_add_ipv4(cfg, "10.9.0.1", 24, NULL));
    assert_tun_ok(tun_config_add_ipv4(cfg, "10.9.1.1", 32, "10.9.1.2"));

    listen_from(TUN_LOG_DEBUG);
    assert_tun_ok(tun_open(cfg, &dev));
    static const char *const steps[] = {
        "D opening a new interface \"tlog0\", TUN\n",
        "D TUNSETIFF: attached to tlog0\n",
        ("D configuring tlog0: owner -1, group -1, MTU 1400, txqueuelen 0, "
         "2 address(es), link up\n"),
        "D adding address 10.9.0.1/24 to tlog0\n",
        "D adding address 10.9.1.1/32 peer 10.9.1.2 to tlog0\n",
        "I created tlog0 (index ",
        ", MTU 1400)\n",
    };
    assert_logged_in_order(steps, sizeof(steps) / sizeof(steps[0]));
    assert_null(strstr(logged, "E "));

    /* The packet path says nothing, whatever the level. */
    logged[0] = '\0';
    messages = 0;
    uint8_t pkt[128];
    size_t len = tun_test_udp4(pkt, "10.9.0.2", 1000, "10.9.0.1", 9, "x", 1);
    assert_int_equal(tun_write(dev, pkt, len), (int)len);
    int n = tun_read_timeout(dev, pkt, sizeof(pkt), 0);
    assert_true(n > 0 || n == TUN_ETIMEDOUT);
    tun_buf buf = {.data = pkt, .capacity = sizeof(pkt), .len = len};
    assert_int_equal(tun_send_multiple(dev, NULL, &buf, 1, 0), 1);
    assert_int_equal(messages, 0);
    tun_close(dev);

    /* At TUN_LOG_INFO only the outcome is told. */
    listen_from(TUN_LOG_INFO);
    assert_tun_ok(tun_open(cfg, &dev));
    assert_int_equal(messages, 1);
    assert_non_null(strstr(logged, "I created tlog0 (index "));
    tun_close(dev);

    /* The other link states are told as asked (up is above). */
    static const struct {
        tun_link_state state;
        const char *told;
    } states[] = {{TUN_LINK_DOWN, "address(es), link down\n"},
                  {TUN_LINK_INHERIT, "address(es), link inherited\n"}};
    for (size_t i = 0; i < sizeof(states) / sizeof(states[0]); i++) {
        assert_tun_ok(tun_config_set_up(cfg, states[i].state));
        listen_from(TUN_LOG_DEBUG);
        assert_tun_ok(tun_open(cfg, &dev));
        assert_logged_in_order(&states[i].told, 1);
        tun_close(dev);
    }
    tun_config_free(cfg);
}

static void failures(void **state)
{
    (void)state;
    tun_config *cfg;
    tun_device *dev = NULL;

    /* A late step fails (IPv6 is off for new interfaces): the log tells
     * the steps, the undoing and the error. */
    assert_int_equal(tun_test_sh(NULL, 0, "sysctl -qw "
                                 "net.ipv6.conf.default.disable_ipv6=1"), 0);
    assert_tun_ok(tun_config_new(&cfg));
    assert_tun_ok(tun_config_set_name(cfg, "tlog1"));
    assert_tun_ok(tun_config_add_ipv4(cfg, "10.9.2.1", 24, NULL));
    assert_tun_ok(tun_config_add_ipv6(cfg, "fd09::1", 64));
    listen_from(TUN_LOG_DEBUG);
    assert_true(tun_open(cfg, &dev) < 0);
    assert_int_equal(tun_test_sh(NULL, 0, "sysctl -qw "
                                 "net.ipv6.conf.default.disable_ipv6=0"), 0);
    static const char *const undone[] = {
        "D adding address 10.9.2.1/24 to tlog1\n",
        "D adding address fd09::1/64 to tlog1\n",
        "D undoing: removing tlog1\n",
        "E tun_open: ",
        ": adding address fd09::1/64 to tlog1: ",
    };
    assert_logged_in_order(undone, sizeof(undone) / sizeof(undone[0]));
    assert_null(strstr(logged, "I created"));
    tun_config_free(cfg);

    /* Only errors: the name of another kind of interface. */
    assert_tun_ok(tun_config_new(&cfg));
    assert_tun_ok(tun_config_set_name(cfg, "lo"));
    listen_from(TUN_LOG_ERROR);
    int rc = tun_open(cfg, &dev);
    assert_true(rc == TUN_EBUSY || rc == TUN_EINVAL);
    assert_int_equal(messages, 1);
    assert_non_null(strstr(logged, "E tun_open: "));
    assert_non_null(strstr(logged, tun_last_error()));
    assert_non_null(strstr(logged, "TUNSETIFF \"lo\""));
    tun_config_free(cfg);
    assert_null(dev);
}

static int turn_off(void **state)
{
    (void)state;
    tun_set_log_handler(NULL, TUN_LOG_DEBUG, NULL);
    return 0;
}

int main(void)
{
    tun_test_enter_netns();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(open_steps, turn_off),
        cmocka_unit_test_teardown(failures, turn_off),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
