/* The Windows backend's OS-free logic (src/win/portable.c), run on every
 * platform: Win32 error mapping, GUID text, name patterns and limits, ring
 * sizes, DNS server lists and what a handle puts back of them. */
#include "testutil.h"

#include "win/portable.h"

#include <stdio.h>
#include <string.h>

static void win32_errors_map_to_tun_codes(void **state)
{
    (void)state;
    assert_int_equal(tun_win_error_code(TUN_WIN_ERROR_ACCESS_DENIED),
                     TUN_EPERM);
    assert_non_null(strstr(tun_win_error_hint(TUN_WIN_ERROR_ACCESS_DENIED),
                           "Administrator"));
    assert_int_equal(tun_win_error_code(TUN_WIN_ERROR_MOD_NOT_FOUND),
                     TUN_ENOENT);
    assert_int_equal(tun_win_error_code(TUN_WIN_ERROR_PROC_NOT_FOUND),
                     TUN_ENOENT);
    assert_int_equal(tun_win_error_code(TUN_WIN_ERROR_OBJECT_ALREADY_EXISTS),
                     TUN_EEXIST);
    assert_int_equal(tun_win_error_code(TUN_WIN_ERROR_ALREADY_EXISTS),
                     TUN_EEXIST);
    assert_int_equal(tun_win_error_code(TUN_WIN_ERROR_HANDLE_EOF), TUN_ENODEV);
    assert_int_equal(tun_win_error_code(TUN_WIN_ERROR_SHARING_VIOLATION),
                     TUN_EBUSY);
    assert_int_equal(tun_win_error_code(TUN_WIN_ERROR_NO_MORE_ITEMS),
                     TUN_EAGAIN);
    assert_int_equal(tun_win_error_code(TUN_WIN_ERROR_BUFFER_OVERFLOW),
                     TUN_EAGAIN);
    assert_int_equal(tun_win_error_code(TUN_WIN_ERROR_INVALID_PARAMETER),
                     TUN_EINVAL);
    assert_int_equal(tun_win_error_code(TUN_WIN_ERROR_NOT_SUPPORTED),
                     TUN_ENOTSUP);
    assert_int_equal(tun_win_error_code(TUN_WIN_ERROR_OPERATION_ABORTED),
                     TUN_ECANCELED);
    assert_int_equal(tun_win_error_code(TUN_WIN_ERROR_INVALID_HANDLE),
                     TUN_EBADF);
    assert_int_equal(tun_win_error_code(TUN_WIN_ERROR_MORE_DATA),
                     TUN_EMSGSIZE);
    /* Anything not in the table is an I/O error without a hint. */
    assert_int_equal(tun_win_error_code(4242), TUN_EIO);
    assert_string_equal(tun_win_error_hint(4242), "");
}

static void guids_parse_and_format(void **state)
{
    (void)state;
    tun_win_guid g;
    char text[TUN_WIN_GUID_TEXT];
    assert_int_equal(tun_win_guid_parse("{4d36e972-E325-11CE-BFC1-"
                                        "08002BE10318}", &g), 0);
    assert_int_equal(g.data1, 0x4d36e972u);
    assert_int_equal(g.data2, 0xe325);
    assert_int_equal(g.data3, 0x11ce);
    assert_int_equal(g.data4[0], 0xbf);
    assert_int_equal(g.data4[7], 0x18);
    tun_win_guid_format(&g, text);
    assert_string_equal(text, "{4D36E972-E325-11CE-BFC1-08002BE10318}");
    /* Braces are optional, but both or none. */
    assert_int_equal(tun_win_guid_parse("4D36E972-E325-11CE-BFC1-08002BE10318",
                                        &g), 0);
    static const char *const bad[] = {
        "", "{}", "{4D36E972-E325-11CE-BFC1-08002BE10318",
        "4D36E972-E325-11CE-BFC1-08002BE10318}",
        "{4D36E972-E325-11CE-BFC1-08002BE1031}",
        "{4D36E972-E325-11CE-BFC1-08002BE103189}",
        "{4D36E972E325-11CE-BFC1-08002BE10318}",
        "{4D36E972-E325-11CE-BFC1-08002BE1031G}",
        "{4D36E972-E325-11CE-BFC108002BE10318-}",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(tun_win_guid_parse(bad[i], &g), TUN_EINVAL);
        assert_non_null(strstr(tun_last_error(), "GUID"));
    }
    assert_int_equal(tun_win_guid_parse(NULL, &g), TUN_EINVAL);
}

static void names_count_utf16_units(void **state)
{
    (void)state;
    assert_int_equal(tun_utf8_utf16_units("tun 0"), 5);
    assert_int_equal(tun_utf8_utf16_units("\xc3\xa9t\xc3\xa9"), 3); /* été */
    assert_int_equal(tun_utf8_utf16_units("\xe2\x82\xac"), 1);      /* € */
    assert_int_equal(tun_utf8_utf16_units("\xf0\x9f\x98\x80"), 2);  /* emoji */
    assert_int_equal(tun_utf8_utf16_units("\xc0\xaf"), -1);     /* overlong */
    assert_int_equal(tun_utf8_utf16_units("\xed\xa0\x80"), -1); /* surrogate */
    assert_int_equal(tun_utf8_utf16_units("\xf4\x90\x80\x80"), -1);
    assert_int_equal(tun_utf8_utf16_units("\xe2\x82"), -1); /* cut short */
    assert_int_equal(tun_utf8_utf16_units("\x80"), -1);
}

static void name_patterns_expand(void **state)
{
    (void)state;
    char name[256];
    assert_int_equal(tun_win_name_expand("tun%d", 3, name, sizeof(name)), 0);
    assert_string_equal(name, "tun3");
    assert_int_equal(tun_win_name_expand("VPN %d (office)", 12, name,
                                         sizeof(name)), 0);
    assert_string_equal(name, "VPN 12 (office)");
    assert_int_equal(tun_win_name_expand("Office", 7, name, sizeof(name)), 0);
    assert_string_equal(name, "Office");
    assert_int_equal(tun_win_name_expand("tun%d", 12345, name, 6),
                     TUN_ENAMETOOLONG);
    /* 126 units plus two digits is over the Windows limit of 127. */
    char pattern[140];
    memset(pattern, 'a', 126);
    strcpy(pattern + 126, "%d");
    assert_int_equal(tun_win_name_expand(pattern, 9, name, sizeof(name)), 0);
    assert_int_equal(tun_win_name_expand(pattern, 10, name, sizeof(name)),
                     TUN_ENAMETOOLONG);
}

static void ring_capacity_is_a_power_of_two_in_range(void **state)
{
    (void)state;
    assert_int_equal(tun_win_check_ring_capacity(0x20000), 0);
    assert_int_equal(tun_win_check_ring_capacity(0x4000000), 0);
    assert_int_equal(tun_win_check_ring_capacity(TUN_WINTUN_RING_DEFAULT), 0);
    assert_int_equal(tun_win_check_ring_capacity(0x10000), TUN_EINVAL);
    assert_int_equal(tun_win_check_ring_capacity(0x8000000), TUN_EINVAL);
    assert_int_equal(tun_win_check_ring_capacity(0x30000), TUN_EINVAL);
    assert_non_null(strstr(tun_last_error(), "power of two"));
}

static void dns_lists_per_family(void **state)
{
    (void)state;
    tun_address servers[3];
    assert_int_equal(tun_address_parse(&servers[0], "1.1.1.1", 32, NULL), 0);
    assert_int_equal(tun_address_parse(&servers[1], "2606:4700::1111", 128,
                                       NULL), 0);
    assert_int_equal(tun_address_parse(&servers[2], "8.8.8.8", 32, NULL), 0);
    char list[128];
    assert_int_equal(tun_win_dns_list(servers, 3, TUN_INET4, list,
                                      sizeof(list)), 15);
    assert_string_equal(list, "1.1.1.1,8.8.8.8");
    assert_int_equal(tun_win_dns_list(servers, 3, TUN_INET6, list,
                                      sizeof(list)), 15);
    assert_string_equal(list, "2606:4700::1111");
    assert_int_equal(tun_win_dns_list(servers, 1, TUN_INET6, list,
                                      sizeof(list)), 0);
    assert_string_equal(list, "");
    assert_int_equal(tun_win_dns_list(servers, 3, TUN_INET4, list, 10),
                     TUN_ENOBUFS);
}

static void metrics_and_dns_servers_are_checked(void **state)
{
    (void)state;
    assert_int_equal(tun_win_check_metric(0), 0);
    assert_int_equal(tun_win_check_metric(9999), 0);
    assert_int_equal(tun_win_check_metric(10000), TUN_ERANGE);
    tun_address list[TUN_DNS_MAX];
    size_t n = 0;
    assert_int_equal(tun_win_dns_add(list, &n, "1.1.1.1"), 0);
    assert_int_equal(tun_win_dns_add(list, &n, "2606:4700:4700::1111"), 0);
    assert_int_equal(n, 2);
    assert_int_equal(tun_win_dns_add(list, &n, "1.1.1.1"), TUN_EEXIST);
    assert_int_equal(tun_win_dns_add(list, &n, "one.one"), TUN_EINVAL);
    assert_int_equal(n, 2);
    char addr[16];
    for (int i = 2; i < TUN_DNS_MAX; i++) {
        snprintf(addr, sizeof(addr), "10.0.0.%d", i);
        assert_int_equal(tun_win_dns_add(list, &n, addr), 0);
    }
    assert_int_equal(tun_win_dns_add(list, &n, "10.9.9.9"), TUN_ENOSPC);
    assert_int_equal(n, TUN_DNS_MAX);
    assert_int_equal(list[1].family, TUN_INET6);
}

/* A handle keeps each family's DNS servers as they were before its first
 * change, and puts back exactly the families it changed: the adapter's own
 * servers on one that was there before, none on one it created. */
static void dns_servers_are_put_back_per_family(void **state)
{
    (void)state;
    tun_win_dns_saved saved;
    memset(&saved, 0, sizeof(saved));
    /* Nothing changed: nothing to put back. */
    assert_true(tun_win_dns_to_save(&saved, TUN_INET4));
    assert_true(tun_win_dns_to_save(&saved, TUN_INET6));
    assert_null(tun_win_dns_to_restore(&saved, TUN_INET4, false));
    assert_null(tun_win_dns_to_restore(&saved, TUN_INET6, true));

    /* IPv4 kept (as Windows wrote it, spaces and all); IPv6 not yet. */
    assert_int_equal(tun_win_dns_save(&saved, TUN_INET4, "10.1.1.1 10.2.2.2"),
                     0);
    assert_false(tun_win_dns_to_save(&saved, TUN_INET4));
    assert_true(tun_win_dns_to_save(&saved, TUN_INET6));
    assert_string_equal(tun_win_dns_to_restore(&saved, TUN_INET4, false),
                        "10.1.1.1 10.2.2.2");
    assert_null(tun_win_dns_to_restore(&saved, TUN_INET6, false));

    /* An adapter without IPv6 servers before: IPv6 is put back empty. */
    assert_int_equal(tun_win_dns_save(&saved, TUN_INET6, ""), 0);
    assert_false(tun_win_dns_to_save(&saved, TUN_INET6));
    assert_string_equal(tun_win_dns_to_restore(&saved, TUN_INET6, false), "");
    assert_string_equal(tun_win_dns_to_restore(&saved, TUN_INET4, false),
                        "10.1.1.1 10.2.2.2");

    /* A created adapter had none of its own: every changed family is
     * cleared, whatever was read. */
    assert_string_equal(tun_win_dns_to_restore(&saved, TUN_INET4, true), "");
    assert_string_equal(tun_win_dns_to_restore(&saved, TUN_INET6, true), "");

    /* A list too long to keep is refused and nothing is kept. */
    tun_win_dns_saved fresh;
    memset(&fresh, 0, sizeof(fresh));
    char longer[TUN_WIN_DNS_TEXT + 1];
    memset(longer, '1', sizeof(longer) - 1);
    longer[sizeof(longer) - 1] = '\0';
    assert_int_equal(tun_win_dns_save(&fresh, TUN_INET6, longer), TUN_ENOBUFS);
    assert_non_null(strstr(tun_last_error(), "IPv6 DNS servers"));
    assert_true(tun_win_dns_to_save(&fresh, TUN_INET6));
    assert_null(tun_win_dns_to_restore(&fresh, TUN_INET6, false));
    longer[TUN_WIN_DNS_TEXT - 1] = '\0'; /* the longest that fits */
    assert_int_equal(tun_win_dns_save(&fresh, TUN_INET6, longer), 0);
    assert_string_equal(tun_win_dns_to_restore(&fresh, TUN_INET6, false),
                        longer);
}

/* tun_open() waits for the system to bind IPv4 and IPv6 to a new wintun
 * adapter: until every family the system runs is there, the first for
 * TUN_WIN_BIND_FIRST_MS, the other for TUN_WIN_BIND_REST_MS after it. */
static void new_adapters_wait_for_their_ip_families(void **state)
{
    (void)state;
    const unsigned v4 = TUN_WIN_FAMILY_IPV4, v6 = TUN_WIN_FAMILY_IPV6,
                   both = v4 | v6;
    /* Nothing to wait for: every family there, or none reported (wine). */
    assert_int_equal(tun_win_bind_state_of(both, both, 0, 0), TUN_WIN_BOUND);
    assert_int_equal(tun_win_bind_state_of(v4, v4, 5, 0), TUN_WIN_BOUND);
    assert_int_equal(tun_win_bind_state_of(0, 0, 0, 0), TUN_WIN_BOUND);
    /* None yet: wait up to the first deadline, then give up. */
    assert_int_equal(tun_win_bind_state_of(0, both, 0, 0), TUN_WIN_BIND_WAIT);
    assert_int_equal(tun_win_bind_state_of(0, both, TUN_WIN_BIND_FIRST_MS - 1,
                                           0),
                     TUN_WIN_BIND_WAIT);
    assert_int_equal(tun_win_bind_state_of(0, both, TUN_WIN_BIND_FIRST_MS, 0),
                     TUN_WIN_BIND_NONE);
    /* One came (at 300 ms): the other gets TUN_WIN_BIND_REST_MS more,
     * whenever the first came, even past the first deadline. */
    assert_int_equal(tun_win_bind_state_of(v6, both, 300, 300),
                     TUN_WIN_BIND_WAIT);
    assert_int_equal(tun_win_bind_state_of(v4, both,
                                           300 + TUN_WIN_BIND_REST_MS - 1,
                                           300),
                     TUN_WIN_BIND_WAIT);
    assert_int_equal(tun_win_bind_state_of(v4, both,
                                           300 + TUN_WIN_BIND_REST_MS, 300),
                     TUN_WIN_BIND_PARTIAL);
    assert_int_equal(tun_win_bind_state_of(v4, both,
                                           TUN_WIN_BIND_FIRST_MS + 10,
                                           TUN_WIN_BIND_FIRST_MS),
                     TUN_WIN_BIND_WAIT);
    /* A first family seen "after" the time waited starts the rest now. */
    assert_int_equal(tun_win_bind_state_of(v4, both, 300, 500),
                     TUN_WIN_BIND_WAIT);
    /* The adapter's families count only where the system runs them. */
    assert_int_equal(tun_win_bind_state_of(both, v4, 0, 0), TUN_WIN_BOUND);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(win32_errors_map_to_tun_codes),
        cmocka_unit_test(guids_parse_and_format),
        cmocka_unit_test(names_count_utf16_units),
        cmocka_unit_test(name_patterns_expand),
        cmocka_unit_test(ring_capacity_is_a_power_of_two_in_range),
        cmocka_unit_test(dns_lists_per_family),
        cmocka_unit_test(metrics_and_dns_servers_are_checked),
        cmocka_unit_test(dns_servers_are_put_back_per_family),
        cmocka_unit_test(new_adapters_wait_for_their_ip_families),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
