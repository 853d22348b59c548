/* Helpers shared by the test programs. */
#ifndef TUN_TESTUTIL_H
#define TUN_TESTUTIL_H

#include <setjmp.h> /* cmocka needs these before its header */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#if defined(__MINGW32__)
/* cmocka declares its printf-like functions with the `printf` format, which
 * GCC checks as MSVCRT's on MinGW; the cmocka built for these tests formats
 * with MinGW's C99 printf (__USE_MINGW_ANSI_STDIO, see scripts/test.sh), so
 * check them as that (%zu). */
#define __printf__ __gnu_printf__
#include <cmocka.h>
#undef __printf__
#else
#include <cmocka.h>
#endif

#include "tun.h"

/* Exit code that ctest reports as "skipped". */
#define TUN_TEST_SKIP 77

/* Linux only (testutil_linux.c), for the integration tests. */

/* Move this process into a new, empty network namespace with loopback up,
 * so the test never touches the host's. Exits with TUN_TEST_SKIP (printing
 * why) when that is not possible or /dev/net/tun is missing. Call it first
 * in main() of every integration test. */
void tun_test_enter_netns(void);

/* Open a TUN device named name with the IPv4 address ipv4/24, multi-queue
 * or not (failing the test if it cannot). */
tun_device *tun_test_open_tun(const char *name, const char *ipv4,
                              bool multi_queue);

/* Number of open descriptors of this process (entries of /proc/self/fd). */
int tun_test_count_fds(void);

/* Run a shell command (inside the test's namespace) and return its exit
 * status; its stdout goes to out (NUL-terminated, may be NULL). */
int tun_test_sh(char *out, size_t out_size, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* Milliseconds of a monotonic clock. */
int64_t tun_test_now_ms(void);

/* Number of network interfaces in the calling thread's namespace. */
int tun_test_count_links(void);

/* Resident set size of this process in KiB (VmRSS), -1 if unknown. */
long tun_test_rss_kb(void);

/* Write an IPv4 UDP packet from src:sport to dst:dport (dotted quads)
 * carrying len bytes of payload into buf (size >= 28 + len), with a valid
 * IP header checksum and no UDP checksum. Returns its length. */
size_t tun_test_udp4(uint8_t *buf, const char *src, uint16_t sport,
                     const char *dst, uint16_t dport, const void *payload,
                     size_t len);

/* Portable (testutil.c), on every platform. */

/* SHA-256 (FIPS 180-4), to check that bytes sent through a device arrive
 * unchanged: init, add any number of pieces, end. */
typedef struct tun_test_sha256 {
    uint32_t h[8];
    uint64_t bytes;
    uint8_t block[64];
} tun_test_sha256;

void tun_test_sha256_init(tun_test_sha256 *s);
void tun_test_sha256_add(tun_test_sha256 *s, const void *data, size_t len);
void tun_test_sha256_end(tun_test_sha256 *s, uint8_t digest[32]);

/* Fill len bytes with a pseudo-random stream that *state carries on from
 * call to call (xorshift64*, 8 bytes at a time: len a multiple of 8). */
void tun_test_fill_stream(void *buf, size_t len, uint64_t *state);

/* assert_int_equal() that prints tun_last_error() when rc is not expected. */
#define assert_tun_ok(expr)                                                    \
    do {                                                                       \
        int tun_rc_ = (expr);                                                  \
        if (tun_rc_ < 0)                                                       \
            print_error("%s = %s: %s\n", #expr, tun_err_name(tun_rc_),         \
                        tun_last_error());                                     \
        assert_true(tun_rc_ >= 0);                                             \
    } while (0)

#endif
