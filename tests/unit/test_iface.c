/* The OS-free helpers of the macOS and BSD backends (src/iface.c): unit
 * names, the family header's IP version test, prefixes and masks. */
#include "testutil.h"

#include "iface.h"

#include <string.h>

static void test_unit_names(void **state)
{
    (void)state;
    long unit = 99;
    assert_int_equal(tun_iface_unit("", "utun", 100, &unit), 0);
    assert_int_equal(unit, -1);
    assert_int_equal(tun_iface_unit("utun%d", "utun", 100, &unit), 0);
    assert_int_equal(unit, -1);
    assert_int_equal(tun_iface_unit("utun0", "utun", 100, &unit), 0);
    assert_int_equal(unit, 0);
    assert_int_equal(tun_iface_unit("utun100", "utun", 100, &unit), 0);
    assert_int_equal(unit, 100);
    assert_int_equal(tun_iface_unit("tap7", "tap", 255, &unit), 0);
    assert_int_equal(unit, 7);
    static const char *refused[] = {"utun101", "utun01", "utun", "utun-1",
                                    "utun1x", "tun0", "vpn%d", "utun%d0",
                                    "utun 1", "feth0"};
    for (size_t i = 0; i < sizeof(refused) / sizeof(*refused); i++) {
        unit = 99;
        assert_int_equal(tun_iface_unit(refused[i], "utun", 100, &unit),
                         TUN_EINVAL);
        assert_int_equal(unit, 99);
        assert_non_null(strstr(tun_last_error(), "utun%d"));
    }
}

static void test_packet_family(void **state)
{
    (void)state;
    const uint8_t v4[] = {0x45, 0}, v6[] = {0x60, 0}, other[] = {0x00},
                  arp[] = {0x10};
    assert_int_equal(tun_iface_packet_family(v4, sizeof(v4)), TUN_INET4);
    assert_int_equal(tun_iface_packet_family(v6, sizeof(v6)), TUN_INET6);
    assert_int_equal(tun_iface_packet_family(other, 1), 0);
    assert_int_equal(tun_iface_packet_family(arp, 1), 0);
    assert_int_equal(tun_iface_packet_family(v4, 0), 0);
}

static void test_masks(void **state)
{
    (void)state;
    uint8_t mask[16];
    for (unsigned prefix = 0; prefix <= 128; prefix++) {
        tun_iface_prefix_mask(prefix, mask, 16);
        for (unsigned bit = 0; bit < 128; bit++) {
            bool set = mask[bit / 8] & (0x80 >> (bit % 8));
            assert_int_equal(set, bit < prefix);
        }
        assert_int_equal(tun_iface_mask_prefix(mask, 16), (int)prefix);
    }
    tun_iface_prefix_mask(20, mask, 4);
    const uint8_t want[4] = {255, 255, 240, 0};
    assert_memory_equal(mask, want, 4);
    assert_int_equal(tun_iface_mask_prefix(mask, 4), 20);
    const uint8_t holes[4] = {255, 0, 255, 0}, gap[4] = {255, 255, 0xd0, 0};
    assert_int_equal(tun_iface_mask_prefix(holes, 4), -1);
    assert_int_equal(tun_iface_mask_prefix(gap, 4), -1);
}

static void test_network(void **state)
{
    (void)state;
    tun_address a;
    uint8_t net[16];
    assert_int_equal(tun_address_parse(&a, "10.1.2.3", 20, NULL), 0);
    tun_iface_network(&a, net);
    const uint8_t want4[16] = {10, 1, 0, 0};
    assert_memory_equal(net, want4, 16);
    assert_int_equal(tun_address_parse(&a, "fd00:1:2:3::9", 52, NULL), 0);
    tun_iface_network(&a, net);
    const uint8_t want6[16] = {0xfd, 0, 0, 1, 0, 2, 0, 0};
    assert_memory_equal(net, want6, 16);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_unit_names),
        cmocka_unit_test(test_packet_family),
        cmocka_unit_test(test_masks),
        cmocka_unit_test(test_network),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
