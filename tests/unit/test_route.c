/* Routes as plain data (src/route.c): parsing, formatting, the checks every
 * backend relies on, matching, and the config's list. No privilege; runs
 * on every platform. */
#include "testutil.h"

#include "internal.h"

#include <string.h>

static tun_route parsed(const char *dest, unsigned prefix, const char *gw,
                        unsigned metric)
{
    tun_route r;
    assert_tun_ok(tun_route_parse(&r, dest, prefix, gw, metric));
    return r;
}

static void assert_formats(const tun_route *r, const char *want)
{
    char text[TUN_ROUTESTRLEN];
    assert_int_equal(tun_route_format(r, text, sizeof(text)),
                     (int)strlen(want));
    assert_string_equal(text, want);
}

static void parses_and_formats(void **state)
{
    (void)state;
    tun_route r = parsed("10.1.0.0", 16, NULL, 0);
    assert_int_equal(r.family, TUN_INET4);
    assert_int_equal(r.prefix, 16);
    assert_int_equal(r.has_gateway, 0);
    static const uint8_t net[4] = {10, 1, 0, 0};
    assert_memory_equal(r.dest, net, 4);
    assert_int_equal(r.metric, 0);
    assert_int_equal(r.table, 0);
    assert_formats(&r, "10.1.0.0/16");

    r = parsed("0.0.0.0", 0, "10.0.0.2", 5);
    assert_int_equal(r.has_gateway, 1);
    assert_formats(&r, "default via 10.0.0.2 metric 5");
    r = parsed("fd00:2::", 48, "fe80::1", 1024);
    assert_formats(&r, "fd00:2::/48 via fe80::1 metric 1024");
    r = parsed("::", 0, NULL, 0);
    assert_formats(&r, "default");
    r = parsed("10.9.9.9", 32, NULL, 0);
    assert_formats(&r, "10.9.9.9/32");

    /* The longest text fits TUN_ROUTESTRLEN; a short buffer is refused
     * whole. */
    r = parsed("ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe", 128,
               "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 4294967295u);
#if defined(__linux__)
    r.table = 4294967295u;
    assert_formats(&r, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe/128 via "
                       "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff metric "
                       "4294967295 table 4294967295");
#endif
    char small[8];
    memset(small, 'x', sizeof(small));
    assert_int_equal(tun_route_format(&r, small, sizeof(small)), TUN_ENOBUFS);
}

static void refuses_bad_routes(void **state)
{
    (void)state;
    tun_route r;
    memset(&r, 0x77, sizeof(r));
    tun_route untouched = r;
    /* Each refusal leaves *out alone. */
    assert_int_equal(tun_route_parse(&r, "10.0.0.0", 33, NULL, 0), TUN_EINVAL);
    assert_int_equal(tun_route_parse(&r, "fd00::", 129, NULL, 0), TUN_EINVAL);
    assert_int_equal(tun_route_parse(&r, "10.0.0.0", 8, "fd00::1", 0),
                     TUN_EINVAL);
    assert_non_null(strstr(tun_last_error(), "gateway"));
    assert_int_equal(tun_route_parse(&r, "fd00::", 8, "10.0.0.1", 0),
                     TUN_EINVAL);
    assert_int_equal(tun_route_parse(&r, "10.1.0.1", 16, NULL, 0), TUN_EINVAL);
    assert_non_null(strstr(tun_last_error(), "past its prefix"));
    assert_int_equal(tun_route_parse(&r, "10.1.0.0", 16, "0.0.0.0", 0),
                     TUN_EINVAL);
    assert_int_equal(tun_route_parse(&r, "10.1.0", 16, NULL, 0), TUN_EINVAL);
    assert_int_equal(tun_route_parse(&r, "10.1.0.0", 16, "gw", 0), TUN_EINVAL);
    assert_memory_equal(&r, &untouched, sizeof(r));

    /* The same checks on a struct, as every backend makes them. */
    tun_route ok = parsed("10.1.0.0", 16, "10.0.0.2", 0);
    assert_int_equal(tun_check_route(&ok), 0);
    tun_route bad = ok;
    bad.family = 5;
    assert_int_equal(tun_check_route(&bad), TUN_EINVAL);
    bad = ok;
    bad.prefix = 40;
    assert_int_equal(tun_check_route(&bad), TUN_EINVAL);
    bad = ok;
    bad.has_gateway = 2;
    assert_int_equal(tun_check_route(&bad), TUN_EINVAL);
    bad = ok;
    bad.table = 100;
#if defined(__linux__)
    assert_int_equal(tun_check_route(&bad), 0);
#else
    assert_int_equal(tun_check_route(&bad), TUN_ENOTSUP);
#endif
    char text[TUN_ROUTESTRLEN];
    bad = ok;
    bad.prefix = 40;
    assert_int_equal(tun_route_format(&bad, text, sizeof(text)), TUN_EINVAL);
}

static void matches_as_removal_does(void **state)
{
    (void)state;
    tun_route listed = parsed("fd00:2::", 48, "fd00::2", 1024);
    tun_route any = parsed("fd00:2::", 48, NULL, 0);
    assert_true(tun_route_matches(&any, &listed));
    assert_false(tun_route_matches(&listed, &any));
    tun_route m = parsed("fd00:2::", 48, NULL, 1024);
    assert_true(tun_route_matches(&m, &listed));
    m.metric = 1;
    assert_false(tun_route_matches(&m, &listed));
    tun_route g = parsed("fd00:2::", 48, "fd00::3", 0);
    assert_false(tun_route_matches(&g, &listed));
    tun_route p = parsed("fd00:2::", 47, NULL, 0);
    assert_false(tun_route_matches(&p, &listed));
    tun_route v4 = parsed("10.0.0.0", 8, NULL, 0);
    assert_false(tun_route_matches(&v4, &listed));
    tun_route t = any;
    t.table = 7;
    assert_false(tun_route_matches(&t, &listed));
    t.table = 254; /* Linux's main table, as 0 names it */
    assert_true(tun_route_matches(&t, &listed));
    assert_true(tun_route_matches(&any, &t));
}

/* Where routes are keyed by prefix and next hop (Windows), an on-link
 * route and one through a gateway are two, whatever the metrics. */
static void same_path_is_prefix_and_next_hop(void **state)
{
    (void)state;
    tun_route onlink = parsed("10.1.0.0", 16, NULL, 0);
    tun_route via = parsed("10.1.0.0", 16, "10.0.0.254", 5);
    tun_route via_again = parsed("10.1.0.0", 16, "10.0.0.254", 0);
    tun_route via_other = parsed("10.1.0.0", 16, "10.0.0.253", 5);
    tun_route onlink_metric = parsed("10.1.0.0", 16, NULL, 25);
    assert_false(tun_route_same_path(&onlink, &via));
    assert_false(tun_route_same_path(&via, &onlink));
    assert_true(tun_route_same_path(&via, &via_again));
    assert_false(tun_route_same_path(&via, &via_other));
    assert_true(tun_route_same_path(&onlink, &onlink_metric));
    tun_route wider = parsed("10.0.0.0", 8, NULL, 0);
    assert_false(tun_route_same_path(&onlink, &wider));
    tun_route v6 = parsed("fd00:2::", 48, NULL, 0);
    assert_false(tun_route_same_path(&onlink, &v6));
}

static void config_keeps_routes_once(void **state)
{
    (void)state;
    tun_config *cfg;
    assert_tun_ok(tun_config_new(&cfg));
    tun_route a = parsed("10.1.0.0", 16, NULL, 0);
    tun_route b = parsed("10.1.0.0", 16, NULL, 5); /* another metric */
    assert_tun_ok(tun_config_add_route(cfg, &a));
    assert_tun_ok(tun_config_add_route(cfg, &b));
    for (unsigned i = 1; i <= 20; i++) {
        tun_route r = parsed("10.0.0.0", 24, NULL, i);
        assert_tun_ok(tun_config_add_route(cfg, &r));
    }
    assert_tun_ok(tun_config_validate(cfg));
    assert_tun_ok(tun_config_set_auto_route(cfg, true));
    tun_config_free(cfg);

    /* Refusals, on a config of their own (a config may remember a failed
     * setter). */
    assert_tun_ok(tun_config_new(&cfg));
    assert_tun_ok(tun_config_add_route(cfg, &a));
    assert_int_equal(tun_config_add_route(cfg, &a), TUN_EEXIST);
    assert_non_null(strstr(tun_last_error(), "10.1.0.0/16"));
    tun_route bad = a;
    bad.prefix = 33;
    assert_int_equal(tun_config_add_route(cfg, &bad), TUN_EINVAL);
#if defined(_WIN32)
    assert_int_equal(tun_config_set_auto_route(cfg, false), TUN_ENOTSUP);
#else
    assert_tun_ok(tun_config_set_auto_route(cfg, false));
#endif
    tun_config_free(cfg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(parses_and_formats),
        cmocka_unit_test(refuses_bad_routes),
        cmocka_unit_test(matches_as_removal_does),
        cmocka_unit_test(same_path_is_prefix_and_next_hop),
        cmocka_unit_test(config_keeps_routes_once),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
