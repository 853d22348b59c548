/* Running out of descriptors (a low RLIMIT_NOFILE) or memory (the Nth
 * allocation fails, for every N an operation reaches) while opening a
 * configured device, adopting a descriptor, cloning a queue, listing
 * addresses, renaming, building a GRO table: each time a clean error with a
 * readable reason, and no descriptor, memory or interface left behind.
 *
 * Memory: this test is linked with `ld --wrap=malloc,calloc,realloc`
 * (tests/CMakeLists.txt), so every allocation of the library's code goes
 * through the wrappers below; the shipped library has no hook. Unlike an
 * LD_PRELOAD allocator this also runs under AddressSanitizer, whose leak
 * check then proves that the failure paths free everything. */
#include "testutil.h"

#include "engine/gro.h"

#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <unistd.h>

/* ---- the allocation wrappers ---------------------------------------------- */

void *__real_malloc(size_t size);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t size);
void *__wrap_malloc(size_t size);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_realloc(void *p, size_t size);

/* While armed, allocation number fail_at (1-based) fails. */
static atomic_bool armed;
static atomic_long reached, fail_at;

static bool allocation_fails(void)
{
    if (!atomic_load(&armed))
        return false;
    return atomic_fetch_add(&reached, 1) + 1 == atomic_load(&fail_at);
}

void *__wrap_malloc(size_t size)
{
    return allocation_fails() ? NULL : __real_malloc(size);
}

void *__wrap_calloc(size_t n, size_t size)
{
    return allocation_fails() ? NULL : __real_calloc(n, size);
}

void *__wrap_realloc(void *p, size_t size)
{
    return allocation_fails() ? NULL : __real_realloc(p, size);
}

static int count_links(void) { return tun_test_count_links(); }

/* Run op with allocation 1, 2, ... failing until it gets through without
 * reaching the failing one. Each failed run must give TUN_ENOMEM with a
 * reason that says so and leave the descriptors and interfaces as before.
 * op cleans up after itself when it succeeds. Returns how many allocations
 * op makes. */
static long every_allocation_fails(const char *what, int (*op)(void))
{
    int fds = tun_test_count_fds();
    int links = count_links();
    for (long n = 1;; n++) {
        atomic_store(&reached, 0);
        atomic_store(&fail_at, n);
        atomic_store(&armed, true);
        int rc = op();
        atomic_store(&armed, false);
        if (atomic_load(&reached) < n) {
            if (rc < 0)
                print_error("%s: %s\n", what, tun_last_error());
            assert_int_equal(rc, 0);
            print_message("%s: %ld allocation(s), each failure clean\n", what,
                          n - 1);
            return n - 1;
        }
        if (rc != TUN_ENOMEM)
            print_error("%s, allocation %ld failing: %s: %s\n", what, n,
                        tun_err_name(rc), tun_last_error());
        assert_int_equal(rc, TUN_ENOMEM);
        assert_non_null(strstr(tun_last_error(), "out of memory"));
        assert_int_equal(tun_test_count_fds(), fds);
        assert_int_equal(count_links(), links);
    }
}

/* A configured device from scratch: config, addresses, MTU, txqueuelen,
 * MAC (TAP), open, close. */
static int open_configured(tun_layer layer)
{
    tun_config *cfg;
    int rc = tun_config_new(&cfg);
    if (rc < 0)
        return rc;
    static const uint8_t mac[6] = {0x02, 0, 0, 0, 0x10, 0x01};
    tun_device *dev = NULL;
    if ((rc = tun_config_set_name(cfg, "tlim0")) == 0 &&
        (rc = tun_config_set_layer(cfg, layer)) == 0 &&
        (rc = tun_config_add_ipv4(cfg, "10.40.0.1", 24, NULL)) == 0 &&
        (rc = tun_config_add_ipv4(cfg, "10.40.1.1", 32, "10.40.1.2")) == 0 &&
        (rc = tun_config_add_ipv6(cfg, "fd40::1", 64)) == 0 &&
        (rc = tun_config_add_ipv6(cfg, "fd41::1", 64)) == 0 &&
        (rc = tun_config_add_ipv4(cfg, "10.40.2.1", 24, NULL)) == 0 &&
        (rc = tun_config_set_mtu(cfg, 1400)) == 0 &&
        (rc = tun_config_set_txqueuelen(cfg, 100)) == 0 &&
        (layer == TUN_LAYER_L3 || (rc = tun_config_set_mac(cfg, mac)) == 0))
        rc = tun_open(cfg, &dev);
    tun_config_free(cfg);
    tun_close(dev);
    return rc;
}

static int open_tun_configured(void) { return open_configured(TUN_LAYER_L3); }
static int open_tap_configured(void) { return open_configured(TUN_LAYER_L2); }

static tun_device *existing; /* a multi-queue device with addresses */

static tun_device *open_existing(void)
{
    tun_config *cfg;
    tun_device *dev;
    assert_tun_ok(tun_config_new(&cfg));
    assert_tun_ok(tun_config_set_name(cfg, "tlim1"));
    assert_tun_ok(tun_config_set_multi_queue(cfg, true));
    assert_tun_ok(tun_config_add_ipv4(cfg, "10.41.0.1", 24, NULL));
    assert_tun_ok(tun_config_add_ipv6(cfg, "fd42::1", 64));
    assert_tun_ok(tun_open(cfg, &dev));
    tun_config_free(cfg);
    return dev;
}

static int clone_queue(void)
{
    tun_device *q;
    int rc = tun_clone_queue(existing, &q);
    if (rc == 0)
        tun_close(q);
    return rc;
}

static int list_addresses(void)
{
    tun_address list[8];
    size_t count;
    return tun_device_get_addresses(existing, list, 8, &count);
}

/* Rename while up: the IPv6 addresses are saved in an allocated array. */
static int rename_twice(void)
{
    int rc = tun_device_set_name(existing, "tlim1x");
    if (rc == 0)
        rc = tun_device_set_name(existing, "tlim1");
    return rc;
}

static int adopt_fd(void)
{
    int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
    struct ifreq ifr;
    memset(&ifr, 0, sizeof(ifr));
    strcpy(ifr.ifr_name, "tlim1");
    ifr.ifr_flags = IFF_TUN | IFF_NO_PI | IFF_MULTI_QUEUE;
    if (fd < 0 || ioctl(fd, TUNSETIFF, &ifr) != 0)
        return TUN_EIO;
    tun_device *dev;
    int rc = tun_open_fd(fd, 0, &dev);
    if (rc == 0)
        tun_close(dev);
    else
        close(fd);
    return rc;
}

static int gro_table(void)
{
    tun_gro_table *t;
    int rc = tun_gro_table_new(64, &t);
    if (rc == 0)
        tun_gro_table_free(t);
    return rc;
}

static void memory_exhaustion(void **state)
{
    (void)state;
    assert_true(every_allocation_fails("open a configured TUN device",
                                       open_tun_configured) >= 3);
    assert_true(every_allocation_fails("open a configured TAP device",
                                       open_tap_configured) >= 3);
    existing = open_existing();
    assert_true(every_allocation_fails("clone a queue", clone_queue) >= 1);
    every_allocation_fails("list addresses", list_addresses);
    assert_true(every_allocation_fails("rename while up", rename_twice) >= 1);
    assert_true(every_allocation_fails("adopt a descriptor", adopt_fd) >= 1);
    assert_true(every_allocation_fails("build a GRO table", gro_table) >= 1);
    tun_close(existing);
}

/* ---- descriptors ------------------------------------------------------------ */

static int highest_fd(void)
{
    int highest = -1;
    for (int fd = 0; fd < 1024; fd++)
        if (fcntl(fd, F_GETFD) >= 0)
            highest = fd;
    return highest;
}

/* Run op with the soft RLIMIT_NOFILE at highest_fd + 1, + 2, ... until it
 * succeeds. Each failure must be TUN_EMFILE naming RLIMIT_NOFILE, leaving
 * the descriptors and interfaces as before. Returns how many failed. */
static int every_descriptor_limit(const char *what, int (*op)(void))
{
    /* Fill the holes below the highest descriptor, so that a limit of
     * top + 1 + k leaves exactly k free. */
    int top = highest_fd();
    int fillers[1024], filled = 0;
    for (int fd = 0; fd < top; fd++)
        if (fcntl(fd, F_GETFD) < 0)
            fillers[filled++] = fcntl(top, F_DUPFD_CLOEXEC, fd);
    int fds = tun_test_count_fds();
    int links = count_links();
    struct rlimit saved;
    assert_int_equal(getrlimit(RLIMIT_NOFILE, &saved), 0);
    int result = -1;
    for (int extra = 1;; extra++) {
        assert_true(extra < 32);
        struct rlimit low = {.rlim_cur = (rlim_t)(top + extra),
                             .rlim_max = saved.rlim_max};
        assert_int_equal(setrlimit(RLIMIT_NOFILE, &low), 0);
        int rc = op();
        assert_int_equal(setrlimit(RLIMIT_NOFILE, &saved), 0);
        if (rc == 0) {
            print_message("%s: %d limit(s) too low, each failure clean\n",
                          what, extra - 1);
            result = extra - 1;
            break;
        }
        if (rc != TUN_EMFILE)
            print_error("%s, limit %d: %s: %s\n", what, top + extra,
                        tun_err_name(rc), tun_last_error());
        assert_int_equal(rc, TUN_EMFILE);
        assert_non_null(strstr(tun_last_error(), "RLIMIT_NOFILE"));
        assert_int_equal(tun_test_count_fds(), fds);
        assert_int_equal(count_links(), links);
    }
    while (filled > 0)
        close(fillers[--filled]);
    return result;
}

static int set_mtu(void) { return tun_device_set_mtu(existing, 1300); }

static void descriptor_exhaustion(void **state)
{
    (void)state;
    /* The device's descriptor, its wake-up eventfd, a netlink socket. */
    assert_true(every_descriptor_limit("open a configured TUN device",
                                       open_tun_configured) >= 2);
    assert_true(every_descriptor_limit("open a configured TAP device",
                                       open_tap_configured) >= 2);
    existing = open_existing();
    assert_true(every_descriptor_limit("clone a queue", clone_queue) >= 2);
    assert_true(every_descriptor_limit("list addresses", list_addresses) >= 1);
    assert_true(every_descriptor_limit("set the MTU", set_mtu) >= 1);
    assert_true(every_descriptor_limit("rename while up", rename_twice) >= 1);
    tun_close(existing);
    /* tun_errno's hint and the code's name. */
    assert_string_equal(tun_err_name(TUN_EMFILE), "TUN_EMFILE");
}

int main(void)
{
    tun_test_enter_netns();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(memory_exhaustion),
        cmocka_unit_test(descriptor_exhaustion),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
