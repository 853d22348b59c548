/* Churn: thousands of devices opened, configured (addresses, MTU), used
 * for one query and closed, one after another, with a second queue now and
 * then: the descriptors, the interfaces and the resident memory of the
 * process end where they started. TUN_CHURN_DEVICES sets the count
 * (default 2000). */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void churn(void **state)
{
    (void)state;
    const char *env = getenv("TUN_CHURN_DEVICES");
    long total = env ? atol(env) : 2000;
    assert_true(total > 0);
    tun_config *cfg;
    assert_tun_ok(tun_config_new(&cfg));
    assert_tun_ok(tun_config_set_name(cfg, "tchurn%d"));
    assert_tun_ok(tun_config_set_multi_queue(cfg, true));
    assert_tun_ok(tun_config_set_mtu(cfg, 1400));
    assert_tun_ok(tun_config_add_ipv4(cfg, "10.60.0.1", 24, NULL));
    assert_tun_ok(tun_config_add_ipv4(cfg, "10.61.0.1", 32, "10.61.0.2"));
    assert_tun_ok(tun_config_add_ipv6(cfg, "fd60::1", 64));

    int fds = tun_test_count_fds();
    int links = tun_test_count_links();
    long rss_start = 0;
    int64_t start = tun_test_now_ms();
    for (long i = 0; i < total; i++) {
        tun_device *dev, *queue = NULL;
        assert_tun_ok(tun_open(cfg, &dev));
        tun_address list[8];
        size_t count;
        assert_tun_ok(tun_device_get_addresses(dev, list, 8, &count));
        assert_true(count >= 3);
        if (i % 10 == 0)
            assert_tun_ok(tun_clone_queue(dev, &queue));
        tun_close(queue);
        tun_close(dev);
        /* The first rounds warm up the allocator and the libc caches. */
        if (i == total / 10)
            rss_start = tun_test_rss_kb();
    }
    int64_t took = tun_test_now_ms() - start;
    long rss_end = tun_test_rss_kb();
    tun_config_free(cfg);
    print_message("%ld devices in %lld ms (%.1f ms each); fds %d -> %d, "
                  "interfaces %d -> %d, RSS %ld -> %ld KiB\n", total,
                  (long long)took, (double)took / (double)total, fds,
                  tun_test_count_fds(), links, tun_test_count_links(),
                  rss_start, rss_end);
    assert_int_equal(tun_test_count_fds(), fds);
    assert_int_equal(tun_test_count_links(), links);
#if !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
    /* Sanitizers hold freed memory back on purpose; their own leak check
     * is the measure there. */
    assert_true(rss_end - rss_start < 512);
#endif
}

int main(void)
{
    tun_test_enter_netns();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(churn),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
