/* What tun_open() builds is what the config asked for, in a network
 * namespace of its own: a failed setter fails the open, a plain attach to a
 * persistent device that an offload handle configured reads plain packets,
 * persistence is reported and changed at run time, the link state has one
 * meaning (down, up, inherit), and exclusive create refuses an existing
 * name. */
#include "testutil.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103
#endif
#ifndef SOL_UDP
#define SOL_UDP 17
#endif

static bool link_exists(const char *name)
{
    return tun_test_sh(NULL, 0, "ip link show dev %s >/dev/null 2>&1",
                       name) == 0;
}

static bool link_is_up(const char *name)
{
    char out[4096];
    assert_int_equal(tun_test_sh(out, sizeof(out), "ip -j link show dev %s",
                                 name), 0);
    return strstr(out, "\"UP\"") != NULL;
}

/* A config for name with the given persistence and offload; more through
 * the returned config. */
static tun_config *config_for(const char *name, bool persist, bool offload)
{
    tun_config *cfg;
    assert_tun_ok(tun_config_new(&cfg));
    assert_tun_ok(tun_config_set_name(cfg, name));
    assert_tun_ok(tun_config_set_persist(cfg, persist));
    assert_tun_ok(tun_config_set_offload(cfg, offload));
    return cfg;
}

static tun_device *open_with(tun_config *cfg)
{
    tun_device *dev = NULL;
    assert_tun_ok(tun_open(cfg, &dev));
    tun_config_free(cfg);
    return dev;
}

/* ---- 1. a failed setter is kept ----------------------------------------- */

static void failed_setters_fail_the_open(void **state)
{
    (void)state;
    int links = tun_test_count_links();
    tun_config *cfg;
    assert_tun_ok(tun_config_new(&cfg));
    assert_int_equal(tun_config_set_name(cfg, "bad/name"), TUN_EINVAL);
    assert_int_equal(tun_config_add_ipv4(cfg, "10.0.0.300", 24, NULL),
                     TUN_EINVAL);
    assert_int_equal(tun_config_set_mtu(cfg, 70000), TUN_ERANGE);
    assert_int_equal(tun_config_validate(cfg), TUN_EINVAL);
    tun_device *dev = NULL;
    assert_int_equal(tun_open(cfg, &dev), TUN_EINVAL);
    assert_null(dev);
    /* The reason names the first setter that failed and why. */
    assert_non_null(strstr(tun_last_error(), "tun_config_set_name"));
    assert_non_null(strstr(tun_last_error(), "bad/name"));
    assert_int_equal(tun_test_count_links(), links);
    tun_config_free(cfg);
}

/* ---- 2. a plain attach reads plain packets ------------------------------ */

/* Send one 8000-byte UDP datagram that the kernel cuts into 1000-byte
 * segments (UDP_SEGMENT) out through the device, and read it: every read
 * must be one packet within the MTU, and together they carry 8000 bytes. */
static void expect_plain_packets(tun_device *dev)
{
    assert_int_equal(tun_test_sh(NULL, 0, "ip addr replace 10.81.0.1/24 dev "
                                 "tsem0 && ip link set tsem0 up"), 0);
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    assert_true(s >= 0);
    int segment = 1000;
    assert_int_equal(setsockopt(s, SOL_UDP, UDP_SEGMENT, &segment,
                                sizeof(segment)), 0);
    struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(9)};
    inet_pton(AF_INET, "10.81.0.2", &to.sin_addr);
    static uint8_t payload[8000];
    assert_int_equal(sendto(s, payload, sizeof(payload), 0,
                            (struct sockaddr *)&to, sizeof(to)),
                     (ssize_t)sizeof(payload));
    close(s);
    size_t carried = 0;
    while (carried < sizeof(payload)) {
        static uint8_t pkt[65536];
        int n = tun_read_timeout(dev, pkt, sizeof(pkt), 2000);
        assert_tun_ok(n);
        if ((pkt[0] >> 4) != 4 || pkt[9] != 17)
            continue; /* not ours (IPv6 router solicitations and such) */
        if (n > 1500)
            fail_msg("one read gave %d bytes at MTU 1500: a super-packet", n);
        carried += (size_t)n - 28;
    }
    assert_int_equal(carried, sizeof(payload));
}

/* An offload handle on a persistent tsem0 leaves the kernel's offloads on
 * the device. */
static void offload_handle_then_close(void)
{
    tun_device *dev = open_with(config_for("tsem0", true, true));
    unsigned flags;
    assert_tun_ok(tun_device_get_flags(dev, &flags));
    if (!(flags & TUN_FLAG_UDP_GSO)) {
        tun_close(dev);
        assert_int_equal(tun_test_sh(NULL, 0, "ip link del tsem0"), 0);
        skip(); /* a kernel before 6.2 segments UDP itself anyway */
    }
    tun_close(dev);
}

static void plain_attach_resets_offloads(void **state)
{
    (void)state;
    offload_handle_then_close();
    tun_device *dev = open_with(config_for("tsem0", false, false));
    expect_plain_packets(dev);
    tun_close(dev);

    /* The same for a descriptor attached without a virtio-net header. */
    offload_handle_then_close();
    int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
    assert_true(fd >= 0);
    struct ifreq ifr;
    memset(&ifr, 0, sizeof(ifr));
    snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "tsem0");
    ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
    assert_int_equal(ioctl(fd, TUNSETIFF, &ifr), 0);
    assert_tun_ok(tun_open_fd(fd, 0, &dev));
    expect_plain_packets(dev);
    tun_close(dev);
    assert_int_equal(tun_test_sh(NULL, 0, "ip link del tsem0"), 0);
}

/* ---- 3. persistence reported and changed -------------------------------- */

/* Check that the flags report persistence as was, then change it to now
 * and check again. */
static void change_persist(tun_device *dev, bool was, bool now)
{
    unsigned flags;
    assert_tun_ok(tun_device_get_flags(dev, &flags));
    assert_int_equal(!!(flags & TUN_FLAG_PERSIST), was);
    assert_tun_ok(tun_device_set_persist(dev, now));
    assert_tun_ok(tun_device_get_flags(dev, &flags));
    assert_int_equal(!!(flags & TUN_FLAG_PERSIST), now);
}

static void persist_reported_and_changed(void **state)
{
    (void)state;
    tun_close(open_with(config_for("tsem1", true, false)));
    /* Attaching with persist off leaves it persistent, and says so. */
    tun_device *dev = open_with(config_for("tsem1", false, false));
    change_persist(dev, true, false);
    tun_close(dev);
    assert_false(link_exists("tsem1"));

    /* And the other way: a device made without persist keeps living. */
    dev = open_with(config_for("tsem1", false, false));
    change_persist(dev, false, true);
    tun_close(dev);
    assert_true(link_exists("tsem1"));
    assert_int_equal(tun_test_sh(NULL, 0, "ip link del tsem1"), 0);
}

/* ---- 4. one meaning of the link state ----------------------------------- */

static tun_device *open_in_state(const char *name, bool persist,
                                 tun_link_state state)
{
    tun_config *cfg = config_for(name, persist, false);
    assert_tun_ok(tun_config_set_up(cfg, state));
    return open_with(cfg);
}

static void link_state_down_up_inherit(void **state)
{
    (void)state;
    tun_close(open_in_state("tsem2", true, TUN_LINK_UP));
    assert_true(link_is_up("tsem2"));
    /* Inherit leaves an up interface up ... */
    tun_close(open_in_state("tsem2", false, TUN_LINK_INHERIT));
    assert_true(link_is_up("tsem2"));
    /* ... down brings it down ... */
    tun_close(open_in_state("tsem2", false, TUN_LINK_DOWN));
    assert_false(link_is_up("tsem2"));
    /* ... inherit leaves it down, up brings it up. */
    tun_close(open_in_state("tsem2", false, TUN_LINK_INHERIT));
    assert_false(link_is_up("tsem2"));
    tun_close(open_in_state("tsem2", false, TUN_LINK_UP));
    assert_true(link_is_up("tsem2"));
    assert_int_equal(tun_test_sh(NULL, 0, "ip link del tsem2"), 0);
    /* A new interface under inherit is as Linux makes it: down. */
    tun_device *dev = open_in_state("tsem2", false, TUN_LINK_INHERIT);
    assert_false(link_is_up("tsem2"));
    tun_close(dev);
}

/* ---- 5. exclusive create ------------------------------------------------ */

static void exclusive_refuses_existing_names(void **state)
{
    (void)state;
    tun_close(open_with(config_for("tsem3", true, false)));
    assert_int_equal(tun_test_sh(NULL, 0, "ip link add tsem4 type veth peer name tsem4p"), 0);
    const char *taken[] = {"tsem3", "tsem4"};
    for (size_t i = 0; i < 2; i++) {
        tun_config *cfg = config_for(taken[i], false, false);
        assert_tun_ok(tun_config_set_exclusive(cfg, true));
        tun_device *dev = NULL;
        assert_int_equal(tun_open(cfg, &dev), TUN_EEXIST);
        assert_null(dev);
        assert_non_null(strstr(tun_last_error(), taken[i]));
        assert_non_null(strstr(tun_last_error(), "exclusive"));
        tun_config_free(cfg);
        assert_true(link_exists(taken[i]));
    }
    /* A free name and a pattern make new interfaces. */
    const char *fresh[] = {"tsem5", "tsem%d"};
    for (size_t i = 0; i < 2; i++) {
        tun_config *cfg = config_for(fresh[i], false, false);
        assert_tun_ok(tun_config_set_exclusive(cfg, true));
        tun_close(open_with(cfg));
    }
    assert_int_equal(tun_test_sh(NULL, 0, "ip link del tsem3 && "
                                 "ip link del tsem4"), 0);
}

int main(void)
{
    tun_test_enter_netns();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(failed_setters_fail_the_open),
        cmocka_unit_test(plain_attach_resets_offloads),
        cmocka_unit_test(persist_reported_and_changed),
        cmocka_unit_test(link_state_down_up_inherit),
        cmocka_unit_test(exclusive_refuses_existing_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
