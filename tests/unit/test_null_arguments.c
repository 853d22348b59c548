/* Every public function given NULL where a pointer is required returns
 * TUN_EINVAL and a reason, never crashes; no privilege needed. */
#include "testutil.h"

#include <string.h>

#define assert_refuses_null(expr)                                              \
    do {                                                                       \
        assert_int_equal((expr), TUN_EINVAL);                                  \
        assert_true(strlen(tun_last_error()) > 0);                             \
    } while (0)

static void device_calls_refuse_null(void **state)
{
    (void)state;
    char buf[64];
    unsigned u;
    bool b;
    uint8_t mac[6] = {2, 0, 0, 0, 0, 1};
    tun_address a;
    size_t count;
    tun_device *out;
    assert_refuses_null(tun_open(NULL, &out));
    assert_refuses_null(tun_open_fd(0, 0, NULL));
    assert_refuses_null(tun_read(NULL, buf, sizeof(buf)));
    assert_refuses_null(tun_read_timeout(NULL, buf, sizeof(buf), 10));
    assert_refuses_null(tun_write(NULL, buf, sizeof(buf)));
    assert_int_equal(tun_interrupt(NULL), TUN_EINVAL);
    assert_refuses_null(tun_interrupt_clear(NULL));
    assert_refuses_null(tun_device_set_nonblocking(NULL, true));
    assert_refuses_null(tun_device_get_name(NULL, buf, sizeof(buf)));
    assert_refuses_null(tun_device_set_name(NULL, "x"));
    assert_refuses_null(tun_device_get_index(NULL, &u));
    assert_refuses_null(tun_device_get_mtu(NULL, &u));
    assert_refuses_null(tun_device_set_mtu(NULL, 1500));
    assert_refuses_null(tun_device_get_up(NULL, &b));
    assert_refuses_null(tun_device_set_up(NULL, true));
    assert_refuses_null(tun_device_get_mac(NULL, mac));
    assert_refuses_null(tun_device_set_mac(NULL, mac));
    assert_refuses_null(tun_device_get_addresses(NULL, &a, 1, &count));
    assert_refuses_null(tun_device_add_address(NULL, &a));
    assert_refuses_null(tun_device_add_ipv4(NULL, "10.0.0.1", 24, NULL));
    assert_refuses_null(tun_device_add_ipv6(NULL, "fd00::1", 64));
    assert_refuses_null(tun_device_remove_address(NULL, &a));
    assert_refuses_null(tun_device_get_flags(NULL, &u));
    assert_refuses_null(tun_device_set_persist(NULL, true));
    assert_refuses_null(tun_clone_queue(NULL, &out));
    assert_refuses_null(tun_queue_set_enabled(NULL, true));
    uint64_t luid;
    const char *dns[1] = {"1.1.1.1"};
    assert_refuses_null(tun_device_get_luid(NULL, &luid));
    assert_refuses_null(tun_device_set_metric(NULL, 5));
    assert_refuses_null(tun_device_set_dns_servers(NULL, dns, 1));
    assert_refuses_null(tun_device_get_ipv6_mtu(NULL, &u));
    assert_refuses_null(tun_device_set_ipv6_mtu(NULL, 1500));
#if defined(_WIN32)
    assert_null(tun_device_fd(NULL));
#else
    assert_int_equal(tun_device_fd(NULL), -1);
#endif
    tun_close(NULL);
    uint8_t data[64];
    tun_buf tb = {data, sizeof(data), 0};
    tun_gro_table *table;
    assert_refuses_null(tun_recv_multiple(NULL, &tb, 1, 0));
    assert_refuses_null(tun_send_multiple(NULL, NULL, &tb, 1, 0));
    assert_refuses_null(tun_gro_table_new(TUN_IDEAL_BATCH_SIZE, NULL));
    assert_int_equal(tun_gro_table_new(TUN_IDEAL_BATCH_SIZE, &table), 0);
    assert_refuses_null(tun_send_multiple(NULL, table, &tb, 1, 0));
    uint8_t pflags[1];
    assert_refuses_null(tun_recv_multiple_flagged(NULL, &tb, pflags, 1, 0));
    assert_refuses_null(
        tun_send_multiple_flagged(NULL, table, &tb, pflags, 1, 0));
    assert_refuses_null(tun_offload_split_flagged(NULL, data, 20, 0, &tb,
                                                  pflags, 1, 0, NULL));
    assert_refuses_null(
        tun_offload_coalesce_flagged(NULL, &tb, pflags, 1, 10, 0));
    tun_slice payload = {NULL, 0};
    assert_refuses_null(tun_offload_split_slices(NULL, data, 20, 0, &tb,
                                                 &payload, pflags, 1, 0,
                                                 NULL));
    assert_refuses_null(tun_offload_coalesce_slices(NULL, &tb, &payload,
                                                    pflags, 1, 10, 0));
    assert_refuses_null(tun_recv_slices(NULL, data, sizeof(data), &tb,
                                        &payload, pflags, 1, 0));
    assert_refuses_null(
        tun_send_slices(NULL, table, &tb, &payload, pflags, 1, 0));
    tun_gro_table_free(table);
    tun_gro_table_free(NULL);
}

static void address_calls_refuse_null(void **state)
{
    (void)state;
    tun_address a;
    char buf[TUN_ADDRSTRLEN];
    assert_refuses_null(tun_address_parse(NULL, "10.0.0.1", 8, NULL));
    assert_refuses_null(tun_address_parse(&a, NULL, 8, NULL));
    assert_refuses_null(tun_address_format(NULL, buf, sizeof(buf)));
    assert_int_equal(tun_address_parse(&a, "10.0.0.1", 8, NULL), 0);
    assert_refuses_null(tun_address_format(&a, NULL, 0));
}

/* The Windows device calls answer TUN_ENOTSUP elsewhere, naming
 * themselves (the device is never looked at there). */
static void windows_device_calls_elsewhere(void **state)
{
    (void)state;
#if defined(_WIN32)
    skip();
#else
    tun_device *dev = (tun_device *)(void *)&state;
    uint64_t luid;
    unsigned mtu;
    const char *dns[1] = {"1.1.1.1"};
    assert_int_equal(tun_device_get_luid(dev, &luid), TUN_ENOTSUP);
    assert_non_null(strstr(tun_last_error(), "tun_device_get_luid"));
    assert_non_null(strstr(tun_last_error(), "Windows"));
    assert_int_equal(tun_device_set_metric(dev, 5), TUN_ENOTSUP);
    assert_int_equal(tun_device_set_dns_servers(dev, dns, 1), TUN_ENOTSUP);
    assert_int_equal(tun_device_set_dns_servers(dev, NULL, 0), TUN_ENOTSUP);
    assert_int_equal(tun_device_get_ipv6_mtu(dev, &mtu), TUN_ENOTSUP);
    assert_int_equal(tun_device_set_ipv6_mtu(dev, 1500), TUN_ENOTSUP);
    assert_refuses_null(tun_device_get_luid(dev, NULL));
    assert_refuses_null(tun_device_set_dns_servers(dev, NULL, 1));
#endif
}

/* The Linux kernel hooks refuse NULL everywhere, and answer TUN_ENOTSUP
 * elsewhere, naming themselves (the device is never looked at there). */
static void kernel_hook_calls(void **state)
{
    int bytes;
    assert_refuses_null(tun_device_set_netns(NULL, 3));
    assert_refuses_null(tun_device_set_sndbuf(NULL, 4096));
    assert_refuses_null(tun_device_get_sndbuf(NULL, &bytes));
    assert_refuses_null(tun_device_set_steering_ebpf(NULL, -1));
    assert_refuses_null(tun_device_set_filter_ebpf(NULL, -1));
#if defined(__linux__)
    (void)state;
#else
    tun_device *dev = (tun_device *)(void *)&state;
    assert_refuses_null(tun_device_get_sndbuf(dev, NULL));
    assert_int_equal(tun_device_set_netns(dev, 3), TUN_ENOTSUP);
    assert_non_null(strstr(tun_last_error(), "tun_device_set_netns"));
    assert_non_null(strstr(tun_last_error(), "Linux"));
    assert_int_equal(tun_device_set_sndbuf(dev, 4096), TUN_ENOTSUP);
    assert_int_equal(tun_device_get_sndbuf(dev, &bytes), TUN_ENOTSUP);
    assert_int_equal(tun_device_set_steering_ebpf(dev, 3), TUN_ENOTSUP);
    assert_int_equal(tun_device_set_filter_ebpf(dev, -1), TUN_ENOTSUP);
#endif
}

static void control_plane_calls_refuse_null(void **state)
{
    (void)state;
    tun_stats st;
    tun_route r;
    size_t count;
    bool b;
    char buf[TUN_ROUTESTRLEN];
    assert_refuses_null(tun_device_get_stats(NULL, &st));
    assert_refuses_null(tun_device_set_carrier(NULL, true));
    assert_refuses_null(tun_device_get_carrier(NULL, &b));
    assert_int_equal(tun_route_parse(&r, "10.1.0.0", 16, NULL, 0), 0);
    assert_refuses_null(tun_device_add_route(NULL, &r));
    assert_refuses_null(tun_device_remove_route(NULL, &r));
    assert_refuses_null(tun_device_get_routes(NULL, &r, 1, &count));
    assert_refuses_null(tun_route_parse(NULL, "10.1.0.0", 16, NULL, 0));
    assert_refuses_null(tun_route_parse(&r, NULL, 16, NULL, 0));
    assert_refuses_null(tun_route_format(NULL, buf, sizeof(buf)));
    assert_refuses_null(tun_route_format(&r, NULL, 0));
    assert_refuses_null(tun_config_add_route(NULL, &r));
    assert_refuses_null(tun_config_set_auto_route(NULL, false));
    tun_events *ev;
    tun_event e;
    assert_refuses_null(tun_events_open(NULL, &ev));
    assert_refuses_null(tun_events_next(NULL, &e));
#if defined(_WIN32)
    assert_null(tun_events_fd(NULL));
#else
    assert_int_equal(tun_events_fd(NULL), -1);
#endif
    tun_events_close(NULL);
    tun_config *cfg;
    assert_int_equal(tun_config_new(&cfg), 0);
    assert_refuses_null(tun_config_add_route(cfg, NULL));
    tun_config_free(cfg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(device_calls_refuse_null),
        cmocka_unit_test(address_calls_refuse_null),
        cmocka_unit_test(windows_device_calls_elsewhere),
        cmocka_unit_test(control_plane_calls_refuse_null),
        cmocka_unit_test(kernel_hook_calls),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
