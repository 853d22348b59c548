/* The configuration builder: defaults, every setter's checks, cross-field
 * validation, and the error texts a person reads. */
#include "testutil.h"

#include "internal.h"

#include <stdio.h>
#include <string.h>

static int setup(void **state)
{
    tun_config *cfg;
    assert_int_equal(tun_config_new(&cfg), 0);
    *state = cfg;
    return 0;
}

static int teardown(void **state)
{
    tun_config_free(*state);
    return 0;
}

static void defaults(void **state)
{
    tun_config *cfg = *state;
    assert_int_equal(cfg->layer, TUN_LAYER_L3);
    assert_string_equal(cfg->name, "");
    assert_int_equal(cfg->up, TUN_LINK_UP);
    assert_false(cfg->exclusive);
    assert_int_equal(cfg->error, 0);
    assert_false(cfg->packet_info);
    assert_false(cfg->multi_queue);
    assert_false(cfg->offload);
    assert_false(cfg->persist);
    assert_false(cfg->nonblocking);
    assert_int_equal(cfg->owner, -1);
    assert_int_equal(cfg->group, -1);
    assert_int_equal(cfg->mtu, 0);
    assert_int_equal(cfg->address_count, 0);
    assert_int_equal(tun_config_validate(cfg), 0);
}

static void names(void **state)
{
    tun_config *cfg = *state;
    assert_int_equal(tun_config_set_name(cfg, "tun0"), 0);
    assert_int_equal(tun_config_set_name(cfg, "vpn%d"), 0);
#if defined(_WIN32)
    /* An adapter alias: up to 127 UTF-16 units, spaces allowed. */
    char longest[129];
    memset(longest, 'a', 128);
    longest[128] = '\0';
    assert_int_equal(tun_config_set_name(cfg, longest), TUN_ENAMETOOLONG);
    assert_non_null(strstr(tun_last_error(), "at most 127"));
    longest[127] = '\0';
    assert_int_equal(tun_config_set_name(cfg, "libtun a"), 0);
    assert_int_equal(tun_config_set_name(cfg, longest), 0);
    const char *bad[] = {"", "a/b", "a\tb", "a:b", ".", "..", "a%d%d",
                         "a%s", "tun\n", "%", "a\xff"};
#else
    assert_int_equal(tun_config_set_name(cfg, "abcdefghijklmno"), 0); /* 15 */
    assert_string_equal(cfg->name, "abcdefghijklmno");
    assert_int_equal(tun_config_set_name(cfg, "abcdefghijklmnop"), TUN_ENAMETOOLONG);
    assert_non_null(strstr(tun_last_error(), "at most 15"));
    const char *bad[] = {"", "a/b", "a b", "a\tb", "a:b", ".", "..", "a%d%d",
                         "a%s", "tun\n", "%"};
    const char *longest = "abcdefghijklmno";
#endif
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(tun_config_set_name(cfg, bad[i]), TUN_EINVAL);
    assert_int_equal(tun_config_set_name(cfg, NULL), TUN_EINVAL);
    /* A refused name leaves the previous one. */
    assert_string_equal(cfg->name, longest);
}

static void layer_and_mtu(void **state)
{
    tun_config *cfg = *state;
    assert_int_equal(tun_config_set_layer(cfg, TUN_LAYER_L2), 0);
    assert_int_equal(tun_config_set_layer(cfg, (tun_layer)7), TUN_EINVAL);
    assert_int_equal(cfg->layer, TUN_LAYER_L2);
    assert_int_equal(tun_config_set_mtu(cfg, 67), TUN_ERANGE);
    assert_non_null(strstr(tun_last_error(), "MTU 67"));
    assert_int_equal(tun_config_set_mtu(cfg, 65536), TUN_ERANGE);
    assert_int_equal(tun_config_set_mtu(cfg, 68), 0);
    assert_int_equal(tun_config_set_mtu(cfg, 65535), 0);
    assert_int_equal(cfg->mtu, 65535);
}

static void mac_rules(void **state)
{
    tun_config *cfg = *state;
    const uint8_t good[6] = {0x02, 0, 0, 0, 0, 1};
#if defined(_WIN32)
    /* tap-windows6 reads its MAC from the registry: no setter. */
    assert_int_equal(tun_config_set_mac(cfg, good), TUN_ENOTSUP);
    assert_non_null(strstr(tun_last_error(), "Windows"));
    assert_false(cfg->has_mac);
    /* Kept as any failure: the config does not hold what was asked. */
    assert_int_equal(tun_config_validate(cfg), TUN_ENOTSUP);
    assert_int_equal(tun_config_clear_error(cfg), 0);
    assert_int_equal(tun_config_validate(cfg), 0);
#else
    const uint8_t multicast[6] = {0x01, 0, 0x5e, 0, 0, 1};
    const uint8_t zero[6] = {0};
    assert_int_equal(tun_config_set_mac(cfg, multicast), TUN_EINVAL);
    assert_non_null(strstr(tun_last_error(), "multicast"));
    assert_int_equal(tun_config_set_mac(cfg, zero), TUN_EINVAL);
    assert_int_equal(tun_config_set_mac(cfg, NULL), TUN_EINVAL);
    assert_int_equal(tun_config_clear_error(cfg), 0);
    assert_int_equal(tun_config_set_mac(cfg, good), 0);
    /* A MAC on a TUN device is caught when the fields meet. */
    assert_int_equal(tun_config_validate(cfg), TUN_EINVAL);
    assert_non_null(strstr(tun_last_error(), "TUN_LAYER_L2"));
    assert_int_equal(tun_config_set_layer(cfg, TUN_LAYER_L2), 0);
    assert_int_equal(tun_config_validate(cfg), 0);
#endif
}

static void addresses(void **state)
{
    tun_config *cfg = *state;
    assert_int_equal(tun_config_add_ipv4(cfg, "10.0.0.1", 24, NULL), 0);
    assert_int_equal(tun_config_add_ipv4(cfg, "10.0.1.1", 32, "10.0.1.2"), 0);
    assert_int_equal(tun_config_add_ipv6(cfg, "fd00::1", 64), 0);
    for (int i = 2; i < 40; i++) { /* grows past the first allocation */
        char text[32];
        snprintf(text, sizeof(text), "10.1.%d.1", i);
        assert_int_equal(tun_config_add_ipv4(cfg, text, 24, NULL), 0);
    }
    assert_int_equal(cfg->address_count, 41);
    assert_int_equal(tun_config_add_ipv4(cfg, "10.0.0.1", 16, NULL), TUN_EEXIST);
    assert_non_null(strstr(tun_last_error(), "twice"));
    assert_int_equal(tun_config_add_ipv4(cfg, "fd00::2", 64, NULL), TUN_EINVAL);
    assert_int_equal(tun_config_add_ipv6(cfg, "10.0.0.9", 24), TUN_EINVAL);
    assert_int_equal(tun_config_add_ipv4(cfg, "10.0.0.300", 24, NULL), TUN_EINVAL);
    assert_int_equal(tun_config_add_ipv4(cfg, "10.0.0.3", 33, NULL), TUN_EINVAL);
    assert_int_equal(tun_config_add_ipv6(cfg, "fd00::3", 129), TUN_EINVAL);
    tun_address a = {0};
    a.family = 9;
    assert_int_equal(tun_config_add_address(cfg, &a), TUN_EINVAL);
    assert_int_equal(tun_config_add_address(cfg, NULL), TUN_EINVAL);
    assert_int_equal(cfg->address_count, 41);
    /* The first of those failures is kept. */
    assert_int_equal(tun_config_validate(cfg), TUN_EEXIST);
    assert_non_null(strstr(tun_last_error(), "tun_config_add_ipv4"));
    assert_int_equal(tun_config_clear_error(cfg), 0);

    /* An IPv6 address needs an MTU of at least 1280. */
    assert_int_equal(tun_config_set_mtu(cfg, 1279), 0);
    assert_int_equal(tun_config_validate(cfg), TUN_ERANGE);
    assert_non_null(strstr(tun_last_error(), "IPv6"));
    assert_int_equal(tun_config_set_mtu(cfg, 1280), 0);
    assert_int_equal(tun_config_validate(cfg), 0);
}

static void switches_and_ids(void **state)
{
    tun_config *cfg = *state;
#if defined(_WIN32)
    /* Linux's options and the packet information header are refused by
     * their setters; switching them off is always allowed. */
    assert_int_equal(tun_config_set_packet_info(cfg, true), TUN_ENOTSUP);
    assert_int_equal(tun_config_set_multi_queue(cfg, true), TUN_ENOTSUP);
    assert_int_equal(tun_config_set_offload(cfg, true), TUN_ENOTSUP);
    assert_int_equal(tun_config_set_txqueuelen(cfg, 5000), TUN_ENOTSUP);
    assert_int_equal(tun_config_set_owner(cfg, 1000), TUN_ENOTSUP);
    assert_int_equal(tun_config_set_group(cfg, 1000), TUN_ENOTSUP);
    assert_int_equal(tun_config_set_packet_info(cfg, false), 0);
    assert_int_equal(tun_config_set_multi_queue(cfg, false), 0);
    assert_int_equal(tun_config_set_offload(cfg, false), 0);
    assert_int_equal(tun_config_set_txqueuelen(cfg, 0), 0);
    assert_int_equal(tun_config_set_group(cfg, -1), 0);
    assert_int_equal(tun_config_set_owner(cfg, -2), TUN_EINVAL);
    assert_int_equal(cfg->owner, -1);
    assert_int_equal(tun_config_validate(cfg), TUN_ENOTSUP);
    assert_non_null(strstr(tun_last_error(), "tun_config_set_packet_info"));
    assert_int_equal(tun_config_clear_error(cfg), 0);
    assert_int_equal(tun_config_set_nonblocking(cfg, true), 0);
    assert_true(cfg->nonblocking);
    /* wintun (L3) adapters neither persist nor stay down; tap-windows6
     * (L2) ones do both. */
    assert_int_equal(tun_config_set_persist(cfg, true), 0);
    assert_int_equal(tun_config_validate(cfg), TUN_ENOTSUP);
    assert_non_null(strstr(tun_last_error(), "persist"));
    assert_int_equal(tun_config_set_persist(cfg, false), 0);
    assert_int_equal(tun_config_set_up(cfg, TUN_LINK_DOWN), 0);
    assert_int_equal(tun_config_validate(cfg), TUN_ENOTSUP);
    assert_non_null(strstr(tun_last_error(), "TUN_LINK_DOWN"));
    assert_int_equal(tun_config_set_up(cfg, TUN_LINK_INHERIT), 0);
    assert_int_equal(tun_config_validate(cfg), 0);
    assert_int_equal(tun_config_set_persist(cfg, true), 0);
    assert_int_equal(tun_config_set_layer(cfg, TUN_LAYER_L2), 0);
    assert_int_equal(tun_config_set_up(cfg, TUN_LINK_DOWN), 0);
    assert_int_equal(tun_config_validate(cfg), 0);
    /* tap-windows6 adapters exist before any open. */
    assert_int_equal(tun_config_set_exclusive(cfg, true), 0);
    assert_int_equal(tun_config_validate(cfg), TUN_ENOTSUP);
    assert_non_null(strstr(tun_last_error(), "exclusive"));
#else
    assert_int_equal(tun_config_set_up(cfg, TUN_LINK_DOWN), 0);
    assert_int_equal(tun_config_set_packet_info(cfg, true), 0);
    assert_int_equal(tun_config_set_multi_queue(cfg, true), 0);
    assert_int_equal(tun_config_set_persist(cfg, true), 0);
    assert_int_equal(tun_config_set_nonblocking(cfg, true), 0);
    assert_int_equal(tun_config_set_offload(cfg, true), 0);
    assert_int_equal(tun_config_set_txqueuelen(cfg, 5000), 0);
    assert_int_equal(cfg->up, TUN_LINK_DOWN);
    assert_true(cfg->packet_info && cfg->multi_queue && cfg->persist &&
                cfg->nonblocking && cfg->offload);
    assert_int_equal(cfg->txqueuelen, 5000);
    assert_int_equal(tun_config_set_owner(cfg, 1000), 0);
    assert_int_equal(tun_config_set_group(cfg, -1), 0);
    assert_int_equal(tun_config_set_owner(cfg, -2), TUN_EINVAL);
    assert_int_equal(cfg->owner, 1000);
#endif
    assert_int_equal(tun_config_set_up(cfg, TUN_LINK_INHERIT), 0);
    assert_int_equal(cfg->up, TUN_LINK_INHERIT);
    assert_int_equal(tun_config_set_exclusive(cfg, true), 0);
    assert_true(cfg->exclusive);
}

/* Every failing setter leaves the config unchanged and keeps its failure:
 * the first one, with its setter and reason, until cleared. */
static void failed_setter_is_kept(void **state)
{
    tun_config *cfg = *state;
    assert_int_equal(tun_config_set_name(cfg, "tun7"), 0);
    assert_int_equal(tun_config_set_name(cfg, "bad/name"), TUN_EINVAL);
    assert_int_equal(tun_config_add_ipv4(cfg, "10.0.0.300", 24, NULL),
                     TUN_EINVAL);
    assert_int_equal(tun_config_set_mtu(cfg, 70000), TUN_ERANGE);
    assert_string_equal(cfg->name, "tun7");
    assert_int_equal(cfg->address_count, 0);
    assert_int_equal(cfg->mtu, 0);
    /* Later successful setters neither replace nor clear it. */
    assert_int_equal(tun_config_set_name(cfg, "tun8"), 0);
    assert_int_equal(tun_config_set_mtu(cfg, 1400), 0);
    for (int i = 0; i < 2; i++) { /* validate does not consume it */
        assert_int_equal(tun_config_validate(cfg), TUN_EINVAL);
        assert_non_null(strstr(tun_last_error(), "tun_config_set_name"));
        assert_non_null(strstr(tun_last_error(), "bad/name"));
    }
    tun_device *dev = NULL;
    assert_int_equal(tun_open(cfg, &dev), TUN_EINVAL);
    assert_null(dev);
    assert_non_null(strstr(tun_last_error(), "bad/name"));

    /* Each setter keeps its own failure under its own name. */
    const char *setters[] = {"tun_config_set_layer", "tun_config_add_ipv6",
                             "tun_config_add_address", "tun_config_set_mac",
                             "tun_config_set_up", "tun_config_set_owner",
                             "tun_config_set_group", "tun_config_add_route"};
    for (size_t i = 0; i < sizeof(setters) / sizeof(setters[0]); i++) {
        assert_int_equal(tun_config_clear_error(cfg), 0);
        assert_int_equal(tun_config_validate(cfg), 0);
        int rc;
        switch (i) {
        case 0: rc = tun_config_set_layer(cfg, (tun_layer)9); break;
        case 1: rc = tun_config_add_ipv6(cfg, "fd00::1", 129); break;
        case 2: rc = tun_config_add_address(cfg, NULL); break;
        case 3: rc = tun_config_set_mac(cfg, NULL); break;
        case 4: rc = tun_config_set_up(cfg, (tun_link_state)3); break;
        case 5: rc = tun_config_set_owner(cfg, -2); break;
        case 6: rc = tun_config_set_group(cfg, -2); break;
        default: rc = tun_config_add_route(cfg, NULL); break;
        }
        assert_true(rc < 0);
        assert_int_equal(tun_config_validate(cfg), rc);
        assert_non_null(strstr(tun_last_error(), setters[i]));
    }
    assert_int_equal(tun_config_clear_error(cfg), 0);
    assert_int_equal(tun_config_validate(cfg), 0);
    assert_string_equal(cfg->name, "tun8");
    assert_int_equal(cfg->mtu, 1400);
    assert_int_equal(tun_config_clear_error(NULL), TUN_EINVAL);
}

/* The Windows options answer TUN_ENOTSUP elsewhere and leave the config
 * as it was; a NULL config is still TUN_EINVAL. */
static void windows_options_elsewhere(void **state)
{
#if defined(_WIN32)
    (void)state;
    skip();
#else
    tun_config *cfg = *state;
    assert_int_equal(tun_config_set_wintun_dll(cfg, "C:\\wintun.dll"),
                     TUN_ENOTSUP);
    assert_non_null(strstr(tun_last_error(), "Windows"));
    assert_non_null(strstr(tun_last_error(), "tun_config_set_wintun_dll"));
    assert_int_equal(tun_config_set_wintun_tunnel_type(cfg, "x"), TUN_ENOTSUP);
    assert_int_equal(tun_config_set_wintun_ring_capacity(cfg, 0x400000),
                     TUN_ENOTSUP);
    assert_int_equal(tun_config_set_windows_guid(cfg, "{00000000-0000-0000-"
                                                      "0000-000000000000}"),
                     TUN_ENOTSUP);
    assert_int_equal(tun_config_set_tap_component_id(cfg, "tap0901"),
                     TUN_ENOTSUP);
    assert_int_equal(tun_config_set_metric(cfg, 5), TUN_ENOTSUP);
    assert_int_equal(tun_config_add_dns_server(cfg, "1.1.1.1"), TUN_ENOTSUP);
    assert_int_equal(tun_config_set_metric(NULL, 5), TUN_EINVAL);
    assert_int_equal(tun_config_add_dns_server(NULL, "1.1.1.1"), TUN_EINVAL);
    assert_int_equal(tun_config_validate(cfg), 0);
#endif
}

static void null_config_is_an_error(void **state)
{
    (void)state;
    assert_int_equal(tun_config_new(NULL), TUN_EINVAL);
    assert_int_equal(tun_config_set_name(NULL, "x"), TUN_EINVAL);
    assert_non_null(strstr(tun_last_error(), "tun_config_set_name"));
    assert_int_equal(tun_config_set_up(NULL, true), TUN_EINVAL);
    assert_int_equal(tun_config_set_exclusive(NULL, true), TUN_EINVAL);
    assert_non_null(strstr(tun_last_error(), "tun_config_set_exclusive"));
    assert_int_equal(tun_config_set_persist(NULL, true), TUN_EINVAL);
    assert_int_equal(tun_config_set_offload(NULL, true), TUN_EINVAL);
    assert_non_null(strstr(tun_last_error(), "tun_config_set_offload"));
    assert_int_equal(tun_config_set_owner(NULL, 1), TUN_EINVAL);
    assert_int_equal(tun_config_add_ipv4(NULL, "10.0.0.1", 24, NULL), TUN_EINVAL);
    assert_int_equal(tun_config_validate(NULL), TUN_EINVAL);
    tun_config_free(NULL);
}

static void errors_have_names_and_texts(void **state)
{
    (void)state;
    assert_string_equal(tun_err_name(TUN_ENODEV), "TUN_ENODEV");
    assert_string_equal(tun_strerror(TUN_ECANCELED), "interrupted by tun_interrupt()");
    assert_string_equal(tun_strerror(0), "success");
    assert_string_equal(tun_strerror(-99999), "unknown error");
    assert_string_equal(tun_err_name(-99999), "TUN_EUNKNOWN");
    assert_int_equal(tun_version(), TUN_VERSION_HEX);
    assert_string_equal(tun_version_string(), TUN_VERSION_STRING);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(defaults, setup, teardown),
        cmocka_unit_test_setup_teardown(names, setup, teardown),
        cmocka_unit_test_setup_teardown(layer_and_mtu, setup, teardown),
        cmocka_unit_test_setup_teardown(mac_rules, setup, teardown),
        cmocka_unit_test_setup_teardown(addresses, setup, teardown),
        cmocka_unit_test_setup_teardown(switches_and_ids, setup, teardown),
        cmocka_unit_test_setup_teardown(failed_setter_is_kept, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(windows_options_elsewhere, setup,
                                        teardown),
        cmocka_unit_test(null_config_is_an_error),
        cmocka_unit_test(errors_have_names_and_texts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
