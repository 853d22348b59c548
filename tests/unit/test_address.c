/* Address parsing and formatting. */
#include "testutil.h"

#ifdef _WIN32
#include <ws2tcpip.h>
#else
#include <arpa/inet.h>
#endif
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static void parses_ipv4(void **state)
{
    (void)state;
    tun_address a;
    assert_int_equal(tun_address_parse(&a, "10.0.0.1", 24, NULL), 0);
    assert_int_equal(a.family, TUN_INET4);
    assert_int_equal(a.prefix, 24);
    assert_int_equal(a.has_peer, 0);
    static const uint8_t want[4] = {10, 0, 0, 1};
    assert_memory_equal(a.addr, want, 4);

    assert_int_equal(tun_address_parse(&a, "192.168.1.1", 32, "192.168.1.2"), 0);
    assert_int_equal(a.has_peer, 1);
    assert_int_equal(a.peer[3], 2);
}

static void rejects_bad_ipv4(void **state)
{
    (void)state;
    tun_address a;
    const char *bad[] = {"", "10.0.0", "10.0.0.1.2", "256.0.0.1", "10.0.0.01",
                         "10..0.1", "10.0.0.1 ", " 10.0.0.1", "a.b.c.d",
                         "10.0.0.-1", "1.2.3.4/24", "1234.0.0.1"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(tun_address_parse(&a, bad[i], 24, NULL), TUN_EINVAL);
        assert_non_null(strstr(tun_last_error(), "not an IPv4 or IPv6"));
    }
    assert_int_equal(tun_address_parse(&a, "10.0.0.1", 33, NULL), TUN_EINVAL);
    assert_non_null(strstr(tun_last_error(), "prefix /33"));
    assert_int_equal(tun_address_parse(&a, "10.0.0.1", 24, "fd00::1"), TUN_EINVAL);
    assert_int_equal(tun_address_parse(&a, "10.0.0.1", 24, "x"), TUN_EINVAL);
    assert_int_equal(tun_address_parse(NULL, "10.0.0.1", 24, NULL), TUN_EINVAL);
    assert_int_equal(tun_address_parse(&a, NULL, 24, NULL), TUN_EINVAL);
}

/* Every IPv6 form inet_pton accepts must give the same bytes here. */
static void parses_ipv6_like_inet_pton(void **state)
{
    (void)state;
    const char *good[] = {"::", "::1", "fd00::1", "FD00::1", "1:2:3:4:5:6:7:8",
                          "1::8", "1:2:3:4:5:6::8", "::2:3:4:5:6:7:8",
                          "1:2:3:4:5:6:7::", "fe80::1:2", "::ffff:10.0.0.1",
                          "64:ff9b::192.0.2.33", "cdcd:910a:2222:5498:8475:1111:3900:2021",
                          "0:0:0:0:0:0:0:0", "abcd:ef01::"};
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        tun_address a;
        uint8_t want[16];
        assert_int_equal(inet_pton(AF_INET6, good[i], want), 1);
        assert_int_equal(tun_address_parse(&a, good[i], 64, NULL), 0);
        assert_int_equal(a.family, TUN_INET6);
        assert_memory_equal(a.addr, want, 16);
    }
    const char *bad[] = {":", ":::", "1:::2", "1::2::3", "12345::", "1:2:3:4:5:6:7:8:9",
                         "1:2:3:4:5:6:7", "g::1", "1:", ":1", "::1:", "1:2:3:4:5:6:7:8::",
                         "::ffff:10.0.0", "::10.0.0.1:1", "1:2:3:4:5:6:7:1.2.3.4"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        tun_address a;
        uint8_t check[16];
        assert_int_equal(inet_pton(AF_INET6, bad[i], check), 0);
        assert_int_equal(tun_address_parse(&a, bad[i], 64, NULL), TUN_EINVAL);
    }
    tun_address a;
    assert_int_equal(tun_address_parse(&a, "fd00::1", 129, NULL), TUN_EINVAL);
    assert_int_equal(tun_address_parse(&a, "fd00::1", 128, NULL), 0);
}

/* Whether the C library's inet_ntop follows RFC 5952 where two zero runs
 * are equally long (the first one becomes "::"): glibc's does, musl's
 * shortens the last one (and writes IPv4-compatible addresses in hex). */
static bool inet_ntop_is_rfc5952(void)
{
    const uint8_t tie[16] = {0, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 1, 0, 1};
    char text[INET6_ADDRSTRLEN];
    return inet_ntop(AF_INET6, tie, text, sizeof(text)) &&
           strcmp(text, "::1:1:0:0:1:1") == 0;
}

/* The C library's inet_ntop is the oracle where it follows RFC 5952.
 * Elsewhere the text must parse back to the address, with "::" in place
 * of the first of the longest runs of two or more zero groups. */
static void check_like_inet_ntop(const tun_address *a)
{
    char want[INET6_ADDRSTRLEN + 8], got[TUN_ADDRSTRLEN];
    assert_non_null(inet_ntop(AF_INET6, a->addr, want, INET6_ADDRSTRLEN));
    int len = tun_address_format(a, got, sizeof(got));
    if (inet_ntop_is_rfc5952()) {
        strcat(want, "/64");
        assert_int_equal(len, (int)strlen(want));
        assert_string_equal(got, want);
        return;
    }
    assert_int_equal(len, (int)strlen(got));
    char *slash = strchr(got, '/');
    assert_non_null(slash);
    assert_string_equal(slash, "/64");
    *slash = '\0';
    uint8_t back[16];
    assert_int_equal(inet_pton(AF_INET6, got, back), 1);
    assert_memory_equal(back, a->addr, 16);
    int first = -1, longest = 1;
    for (int i = 0, run = 0; i < 8; i++) {
        run = (a->addr[2 * i] | a->addr[2 * i + 1]) ? 0 : run + 1;
        if (run > longest) {
            longest = run;
            first = i - run + 1;
        }
    }
    const char *gap = strstr(got, "::");
    if (first < 0) {
        assert_null(gap);
        return;
    }
    assert_non_null(gap);
    int groups_before = 0; /* the groups written before "::" */
    for (const char *p = got; p < gap; p++)
        groups_before += *p == ':' || p == got;
    assert_int_equal(groups_before, first);
}

/* Formatting must agree with inet_ntop (RFC 5952) for every shape of zero
 * runs: all 256 patterns of which of the 8 groups are zero. */
static void formats_like_inet_ntop(void **state)
{
    (void)state;
    for (unsigned mask = 0; mask < 256; mask++) {
        tun_address a;
        memset(&a, 0, sizeof(a));
        a.family = TUN_INET6;
        a.prefix = 64;
        for (int g = 0; g < 8; g++)
            if (mask & (1u << g)) {
                a.addr[2 * g] = (uint8_t)(g + 1);
                a.addr[2 * g + 1] = 0x0a;
            }
        check_like_inet_ntop(&a);
    }
    /* The IPv4-mapped form, which inet_ntop writes in dotted decimal. */
    tun_address mapped;
    assert_int_equal(tun_address_parse(&mapped, "::ffff:10.0.0.1", 64, NULL), 0);
    check_like_inet_ntop(&mapped);
}

static void formats_peer_and_small_buffer(void **state)
{
    (void)state;
    tun_address a;
    char buf[TUN_ADDRSTRLEN];
    assert_int_equal(tun_address_parse(&a, "10.0.0.1", 32, "10.0.0.2"), 0);
    assert_int_equal(tun_address_format(&a, buf, sizeof(buf)), 25);
    assert_string_equal(buf, "10.0.0.1/32 peer 10.0.0.2");
    assert_int_equal(tun_address_format(&a, buf, 25), TUN_ENOBUFS);
    assert_int_equal(tun_address_format(&a, NULL, 25), TUN_EINVAL);
    /* The longest text still fits in TUN_ADDRSTRLEN. */
    assert_int_equal(tun_address_parse(&a, "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255",
                                       128, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"), 0);
    assert_true(tun_address_format(&a, buf, sizeof(buf)) > 0);
    a.family = 5;
    assert_int_equal(tun_address_format(&a, buf, sizeof(buf)), TUN_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(parses_ipv4),
        cmocka_unit_test(rejects_bad_ipv4),
        cmocka_unit_test(parses_ipv6_like_inet_pton),
        cmocka_unit_test(formats_like_inet_ntop),
        cmocka_unit_test(formats_peer_and_small_buffer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
