/* The rtnetlink client against the running kernel, inside a private network
 * namespace. Every change is checked independently with `ip -j`. */
#include "testutil.h"

#include "linux/netlink.h"

#include <net/if.h>
#include <stdio.h>
#include <string.h>

/* A persistent TUN (or TAP) device made with iproute2; returns its index. */
static unsigned make_device(const char *name, const char *mode)
{
    assert_int_equal(tun_test_sh(NULL, 0, "ip tuntap add dev %s mode %s",
                                 name, mode), 0);
    unsigned ifindex = if_nametoindex(name);
    assert_true(ifindex > 0);
    return ifindex;
}

static void remove_device(const char *name)
{
    assert_int_equal(tun_test_sh(NULL, 0, "ip link del dev %s", name), 0);
}

/* `ip -j <args>` output contains every one of the NULL-terminated needles. */
static void assert_ip_shows(const char *args, ...)
{
    char out[16384];
    assert_int_equal(tun_test_sh(out, sizeof(out), "ip -j %s", args), 0);
    va_list ap;
    va_start(ap, args);
    for (const char *needle; (needle = va_arg(ap, const char *)) != NULL;) {
        if (!strstr(out, needle))
            print_error("`ip -j %s` lacks %s:\n%s\n", args, needle, out);
        assert_non_null(strstr(out, needle));
    }
    va_end(ap);
}

static void assert_ip_lacks(const char *args, const char *needle)
{
    char out[16384];
    assert_int_equal(tun_test_sh(out, sizeof(out), "ip -j %s", args), 0);
    if (strstr(out, needle))
        print_error("`ip -j %s` still has %s:\n%s\n", args, needle, out);
    assert_null(strstr(out, needle));
}

static tun_address addr(const char *text, unsigned prefix, const char *peer)
{
    tun_address a;
    assert_int_equal(tun_address_parse(&a, text, prefix, peer), 0);
    return a;
}

static void link_get_reads_what_ip_set(void **state)
{
    (void)state;
    unsigned ifindex = make_device("nl0", "tun");
    assert_int_equal(tun_test_sh(NULL, 0, "ip link set dev nl0 mtu 1400 "
                                 "txqueuelen 777 up"), 0);
    struct tun_nl_link link;
    assert_tun_ok(tun_nl_link_get(ifindex, &link));
    assert_int_equal(link.ifindex, ifindex);
    assert_string_equal(link.name, "nl0");
    assert_int_equal(link.mtu, 1400);
    assert_int_equal(link.txqueuelen, 777);
    assert_true(link.flags & IFF_UP);
    assert_true(link.flags & IFF_POINTOPOINT);
    assert_false(link.has_mac); /* a TUN device has no link address */
    remove_device("nl0");

    ifindex = make_device("nltap0", "tap");
    assert_int_equal(tun_test_sh(NULL, 0, "ip link set dev nltap0 address "
                                 "02:00:5e:00:53:07"), 0);
    assert_tun_ok(tun_nl_link_get(ifindex, &link));
    assert_true(link.has_mac);
    static const uint8_t mac[6] = {0x02, 0x00, 0x5e, 0x00, 0x53, 0x07};
    assert_memory_equal(link.mac, mac, 6);
    assert_false(link.flags & IFF_UP);
    remove_device("nltap0");
}

static void link_set_changes_each_field(void **state)
{
    (void)state;
    unsigned ifindex = make_device("nl1", "tap");
    struct tun_nl_link_change chg = {
        .has_mtu = true, .mtu = 1280,
        .has_txqueuelen = true, .txqueuelen = 123,
        .has_mac = true, .mac = {0x02, 0x00, 0x5e, 0x00, 0x53, 0x11},
        .has_up = true, .up = true,
    };
    assert_tun_ok(tun_nl_link_set(ifindex, &chg));
    assert_ip_shows("link show dev nl1", "\"mtu\":1280", "\"txqlen\":123",
                    "\"address\":\"02:00:5e:00:53:11\"", "\"UP\"", NULL);

    /* Only the flag asked for changes: down leaves MTU and the rest. */
    struct tun_nl_link_change down = {.has_up = true, .up = false};
    assert_tun_ok(tun_nl_link_set(ifindex, &down));
    assert_ip_lacks("link show dev nl1", "\"UP\"");
    assert_ip_shows("link show dev nl1", "\"mtu\":1280", NULL);

    struct tun_nl_link_change rename = {.has_name = true, .name = "nl1new"};
    assert_tun_ok(tun_nl_link_set(ifindex, &rename));
    assert_ip_shows("link show dev nl1new", "\"ifname\":\"nl1new\"", NULL);
    struct tun_nl_link link;
    assert_tun_ok(tun_nl_link_get(ifindex, &link));
    assert_string_equal(link.name, "nl1new");
    remove_device("nl1new");
}

/* Linux refused to rename an up interface with EBUSY until 6.2 (commit
 * bd039b5ea2a9 "net/core: Allow live renaming when an interface is up");
 * either way the interface stays up. */
static void rename_while_up(void **state)
{
    (void)state;
    unsigned ifindex = make_device("nl2", "tun");
    assert_int_equal(tun_test_sh(NULL, 0, "ip link set dev nl2 up"), 0);
    struct tun_nl_link_change rename = {.has_name = true, .name = "nl2up"};
    int rc = tun_nl_link_set(ifindex, &rename);
    if (rc == 0) {
        assert_ip_shows("link show dev nl2up", "\"UP\"", NULL);
        remove_device("nl2up");
    } else {
        assert_int_equal(rc, -EBUSY);
        assert_non_null(strstr(tun_last_error(), "name \"nl2up\""));
        remove_device("nl2");
    }
}

static void link_errors(void **state)
{
    (void)state;
    unsigned ifindex = make_device("nl3", "tun");
    make_device("nl3b", "tun");

    /* MTU out of range: the kernel's extended ACK names the limit. */
    struct tun_nl_link_change chg = {.has_mtu = true, .mtu = 100000};
    assert_int_equal(tun_nl_link_set(ifindex, &chg), -EINVAL);
    assert_non_null(strstr(tun_last_error(), "mtu 100000"));
    assert_non_null(strstr(tun_last_error(),
                           "mtu greater than device maximum"));
    chg.mtu = 10;
    assert_int_equal(tun_nl_link_set(ifindex, &chg), -EINVAL);
    assert_non_null(strstr(tun_last_error(), "mtu less than device minimum"));
    assert_ip_shows("link show dev nl3", "\"mtu\":1500", NULL);

    struct tun_nl_link_change taken = {.has_name = true, .name = "nl3b"};
    assert_int_equal(tun_nl_link_set(ifindex, &taken), -EEXIST);
    struct tun_nl_link_change bad = {.has_name = true, .name = "a/b"};
    assert_int_equal(tun_nl_link_set(ifindex, &bad), -EINVAL);
    struct tun_nl_link_change longname = {.has_name = true,
                                          .name = "sixteen-chars-xx"};
    assert_int_equal(tun_nl_link_set(ifindex, &longname), -ENAMETOOLONG);

    /* A link that does not exist, or an index no link can have. */
    struct tun_nl_link link;
    unsigned gone = 999999;
    assert_int_equal(tun_nl_link_get(gone, &link), -ENODEV);
    assert_non_null(strstr(tun_last_error(), "RTM_GETLINK ifindex 999999"));
    assert_int_equal(tun_nl_link_set(gone, &chg), -ENODEV);
    assert_int_equal(tun_nl_link_del(gone), -ENODEV);
    assert_int_equal(tun_nl_link_get(0, &link), -ENODEV);
    assert_int_equal(tun_nl_link_get(ifindex, NULL), -EINVAL);
    assert_int_equal(tun_nl_link_set(ifindex, NULL), -EINVAL);
    remove_device("nl3");
    remove_device("nl3b");
}

static void link_del_removes_device(void **state)
{
    (void)state;
    unsigned ifindex = make_device("nl4", "tun");
    assert_tun_ok(tun_nl_link_del(ifindex));
    assert_int_not_equal(tun_test_sh(NULL, 0, "ip link show dev nl4 "
                                     "2>/dev/null"), 0);
    assert_int_equal(tun_nl_link_del(ifindex), -ENODEV);
}

static bool listed(const tun_address *list, size_t n, const tun_address *a)
{
    for (size_t i = 0; i < n; i++)
        if (tun_address_same(&list[i], a) && list[i].prefix == a->prefix &&
            list[i].has_peer == a->has_peer &&
            (!a->has_peer || memcmp(list[i].peer, a->peer, 16) == 0))
            return true;
    return false;
}

static void addresses_add_list_delete(void **state)
{
    (void)state;
    unsigned ifindex = make_device("nl5", "tun");
    const tun_address want[] = {
        addr("10.0.0.1", 24, NULL),
        addr("10.0.1.1", 32, "10.0.1.2"),
        addr("fd00::1", 64, NULL),
        addr("fd01::1", 128, "fd01::2"),
    };
    for (size_t i = 0; i < 4; i++)
        assert_tun_ok(tun_nl_addr_add(ifindex, &want[i]));
    assert_ip_shows("addr show dev nl5",
                    "\"local\":\"10.0.0.1\",\"prefixlen\":24",
                    "\"local\":\"10.0.1.1\",\"address\":\"10.0.1.2\","
                    "\"prefixlen\":32",
                    "\"local\":\"fd00::1\",\"prefixlen\":64",
                    "\"local\":\"fd01::1\",\"address\":\"fd01::2\","
                    "\"prefixlen\":128", NULL);

    /* The device is down (and has no carrier): no link-local address yet,
     * so the list holds exactly the four. */
    tun_address got[8];
    size_t count = 0;
    assert_tun_ok(tun_nl_addr_list(ifindex, got, 8, &count));
    assert_int_equal(count, 4);
    for (size_t i = 0; i < 4; i++)
        assert_true(listed(got, count, &want[i]));

    /* Too small an array: the first entries, the full count, ENOBUFS. */
    tun_address two[2];
    memset(two, 0, sizeof(two));
    assert_int_equal(tun_nl_addr_list(ifindex, two, 2, &count), -ENOBUFS);
    assert_int_equal(count, 4);
    assert_true(listed(got, 4, &two[0]) && listed(got, 4, &two[1]));
    assert_int_equal(tun_nl_addr_list(ifindex, NULL, 0, &count), -ENOBUFS);
    assert_int_equal(count, 4);

    /* The kernel adds the prefix route of each address once up. */
    assert_int_equal(tun_test_sh(NULL, 0, "ip link set dev nl5 up"), 0);
    assert_ip_shows("route show dev nl5", "\"dst\":\"10.0.0.0/24\"",
                    "\"dst\":\"10.0.1.2\"", NULL);
    assert_ip_shows("-6 route show dev nl5", "\"dst\":\"fd00::/64\"", NULL);

    /* Adding the same address again fails and says which one. */
    assert_int_equal(tun_nl_addr_add(ifindex, &want[0]), -EEXIST);
    assert_non_null(strstr(tun_last_error(),
                           "RTM_NEWADDR 10.0.0.1/24 on ifindex"));
    assert_non_null(strstr(tun_last_error(), "already on the interface"));
    assert_int_equal(tun_nl_addr_add(ifindex, &want[2]), -EEXIST);

    /* Deleting names only the address: the prefix and peer given are
     * ignored, which matters for peers and for IPv6, where the kernel
     * wants the exact prefix. */
    tun_address v4peer = addr("10.0.1.1", 0, NULL);
    assert_tun_ok(tun_nl_addr_del(ifindex, &v4peer));
    assert_ip_lacks("addr show dev nl5", "\"10.0.1.1\"");
    tun_address v6 = addr("fd00::1", 8, NULL);
    assert_tun_ok(tun_nl_addr_del(ifindex, &v6));
    assert_ip_lacks("addr show dev nl5", "\"fd00::1\"");
    assert_tun_ok(tun_nl_addr_del(ifindex, &want[3]));
    assert_ip_lacks("addr show dev nl5", "\"fd01::1\"");
    assert_tun_ok(tun_nl_addr_del(ifindex, &want[0]));
    assert_ip_lacks("addr show dev nl5", "\"10.0.0.1\"");

    /* Gone now: both families report EADDRNOTAVAIL. */
    assert_int_equal(tun_nl_addr_del(ifindex, &want[0]), -EADDRNOTAVAIL);
    assert_non_null(strstr(tun_last_error(),
                           "RTM_DELADDR 10.0.0.1/24 on ifindex"));
    assert_int_equal(tun_nl_addr_del(ifindex, &want[2]), -EADDRNOTAVAIL);
    remove_device("nl5");
}

/* Enough addresses that the dump spans several datagrams. */
static void lists_many_addresses(void **state)
{
    (void)state;
    unsigned ifindex = make_device("nl8", "tun");
    enum { V4 = 400, V6 = 200 };
    char text[64];
    for (unsigned i = 0; i < V4; i++) {
        snprintf(text, sizeof(text), "10.2.%u.%u", i / 200, i % 200 + 1);
        tun_address a = addr(text, 32, NULL);
        assert_tun_ok(tun_nl_addr_add(ifindex, &a));
    }
    for (unsigned i = 0; i < V6; i++) {
        snprintf(text, sizeof(text), "fd02::%x", i + 1);
        tun_address a = addr(text, 128, NULL);
        assert_tun_ok(tun_nl_addr_add(ifindex, &a));
    }
    static tun_address got[V4 + V6 + 1];
    size_t count = 0;
    assert_tun_ok(tun_nl_addr_list(ifindex, got, V4 + V6 + 1, &count));
    assert_int_equal(count, V4 + V6);
    tun_address last4 = addr("10.2.1.200", 32, NULL);
    tun_address last6 = addr("fd02::c8", 128, NULL);
    assert_true(listed(got, count, &last4));
    assert_true(listed(got, count, &last6));
    remove_device("nl8");
}

static void address_errors(void **state)
{
    (void)state;
    unsigned ifindex = make_device("nl6", "tun");
    tun_address a = addr("10.0.0.1", 24, NULL);
    tun_address bad = a;
    bad.family = 5;
    assert_int_equal(tun_nl_addr_add(ifindex, &bad), -EINVAL);
    assert_int_equal(tun_nl_addr_add(ifindex, NULL), -EINVAL);
    bad = a;
    bad.prefix = 33;
    assert_int_equal(tun_nl_addr_del(ifindex, &bad), -EINVAL);

    unsigned gone = 999999;
    size_t count;
    assert_int_equal(tun_nl_addr_add(gone, &a), -ENODEV);
    assert_non_null(strstr(tun_last_error(), "on ifindex 999999"));
    tun_address v6 = addr("fd00::1", 64, NULL);
    assert_int_equal(tun_nl_addr_add(gone, &v6), -ENODEV);
    assert_int_equal(tun_nl_addr_list(gone, NULL, 0, &count), -ENODEV);
    assert_int_equal(tun_nl_addr_del(gone, &a), -ENODEV);
    assert_int_equal(tun_nl_addr_list(ifindex, NULL, 0, NULL), -EINVAL);
    tun_address out;
    assert_int_equal(tun_nl_addr_list(ifindex, NULL, 1, &count), -EINVAL);
    assert_int_equal(tun_nl_addr_list(0, &out, 1, &count), -ENODEV);
    remove_device("nl6");
}

/* Every request opens and closes its own socket, on success and failure. */
static void no_descriptor_leaks(void **state)
{
    (void)state;
    unsigned ifindex = make_device("nl7", "tun");
    int before = tun_test_count_fds();
    struct tun_nl_link link;
    tun_address a = addr("10.0.0.1", 24, NULL);
    tun_address list[4];
    size_t count;
    struct tun_nl_link_change chg = {.has_mtu = true, .mtu = 100000};
    for (int i = 0; i < 20; i++) {
        assert_tun_ok(tun_nl_link_get(ifindex, &link));
        assert_int_equal(tun_nl_link_get(999999, &link), -ENODEV);
        assert_int_equal(tun_nl_link_set(ifindex, &chg), -EINVAL);
        assert_tun_ok(tun_nl_addr_add(ifindex, &a));
        assert_int_equal(tun_nl_addr_add(ifindex, &a), -EEXIST);
        assert_tun_ok(tun_nl_addr_list(ifindex, list, 4, &count));
        assert_int_equal(tun_nl_addr_list(ifindex, NULL, 0, &count),
                         -ENOBUFS);
        assert_tun_ok(tun_nl_addr_del(ifindex, &a));
        assert_int_equal(tun_nl_addr_del(ifindex, &a), -EADDRNOTAVAIL);
    }
    assert_int_equal(tun_test_count_fds(), before);
    remove_device("nl7");
}

int main(void)
{
    tun_test_enter_netns();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(link_get_reads_what_ip_set),
        cmocka_unit_test(link_set_changes_each_field),
        cmocka_unit_test(rename_while_up),
        cmocka_unit_test(link_errors),
        cmocka_unit_test(link_del_removes_device),
        cmocka_unit_test(addresses_add_list_delete),
        cmocka_unit_test(lists_many_addresses),
        cmocka_unit_test(address_errors),
        cmocka_unit_test(no_descriptor_leaks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
