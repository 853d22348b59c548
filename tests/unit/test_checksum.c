/* The Internet checksum of src/engine/checksum.c against the plain
 * reference of test_offload_packets.h: every length 0..65535 at every
 * alignment 0..7, for each implementation this machine runs. */
#include "testutil.h"

#include "engine/checksum.h"
#include "test_offload_packets.h"

#include <stdlib.h>
#include <string.h>

#define MAX_LEN 65535
#define GUARD 0xa5

static const tun_csum_impl impls[] = {TUN_CSUM_SCALAR, TUN_CSUM_AVX2};
#define NIMPLS (sizeof(impls) / sizeof(impls[0]))

static uint8_t *random_block(size_t n, uint64_t seed)
{
    uint8_t *p = malloc(n);
    assert_non_null(p);
    test_fill(p, n, &seed);
    return p;
}

static void test_rfc1071_example(void **state)
{
    (void)state;
    /* RFC 1071 section 3: the words 0001 f203 f4f5 f6f7 sum to ddf2. */
    const uint8_t data[8] = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
    assert_int_equal(tun_csum_fold(tun_csum_add(0, data, 8)), 0xddf2);
    assert_int_equal(tun_csum_finish(tun_csum_add(0, data, 8)), 0x220d);
}

static void test_ipv4_header(void **state)
{
    (void)state;
    uint8_t h[20] = {0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
                     0xb8, 0x61, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7};
    assert_int_equal(tun_csum_fold(tun_csum_add(0, h, 20)), 0xffff);
    h[10] = h[11] = 0;
    assert_int_equal(tun_csum_finish(tun_csum_add(0, h, 20)), 0xb861);
}

/* The reference sum of p[0..n), given that of p[0..n-1) in *words (the
 * complete 16-bit words so far): O(1) per length, so that checking every
 * length stays within a few seconds. */
static uint16_t next_ref(const uint8_t *p, size_t n, uint64_t *words)
{
    if (n >= 2 && n % 2 == 0)
        *words += (uint32_t)p[n - 2] << 8 | p[n - 1];
    uint64_t s = *words + (n % 2 ? (uint32_t)p[n - 1] << 8 : 0);
    return test_sum(NULL, 0, (uint32_t)s);
}

static void test_every_length_and_alignment(void **state)
{
    (void)state;
    uint8_t *block = random_block(MAX_LEN + 8, 11);
    for (size_t k = 0; k < NIMPLS; k++) {
        if (!tun_csum_impl_supported(impls[k]))
            continue;
        for (size_t align = 0; align < 8; align++) {
            const uint8_t *p = block + align;
            uint64_t words = 0;
            for (size_t n = 0; n <= MAX_LEN; n++) {
                uint16_t ref = next_ref(p, n, &words);
                uint16_t got =
                    tun_csum_fold(tun_csum_add_with(impls[k], 0, p, n));
                if (got != ref)
                    fail_msg("impl %zu align %zu len %zu: 0x%04x, expected "
                             "0x%04x",
                             k, align, n, got, ref);
            }
        }
    }
    free(block);
}

/* The same for the copy; the destination alignment moves with the source
 * one so that all eight of each are covered, and guard bytes on both sides
 * catch a write out of range. */
static void test_copy_every_length_and_alignment(void **state)
{
    (void)state;
    uint8_t *src = random_block(MAX_LEN + 8, 12);
    uint8_t *dst = malloc(MAX_LEN + 32);
    assert_non_null(dst);
    for (size_t k = 0; k < NIMPLS; k++) {
        if (!tun_csum_impl_supported(impls[k]))
            continue;
        for (size_t align = 0; align < 8; align++) {
            const uint8_t *p = src + align;
            uint8_t *d = dst + 8 + (align * 5) % 8;
            uint64_t words = 0;
            memset(dst, GUARD, MAX_LEN + 32);
            for (size_t n = 0; n <= MAX_LEN; n++) {
                uint16_t ref = next_ref(p, n, &words);
                uint16_t got =
                    tun_csum_fold(tun_csum_copy_with(impls[k], 0, d, p, n));
                if (got != ref)
                    fail_msg("impl %zu align %zu len %zu: 0x%04x, expected "
                             "0x%04x",
                             k, align, n, got, ref);
                if (d[-1] != GUARD || d[n] != GUARD)
                    fail_msg("impl %zu align %zu len %zu: wrote out of range",
                             k, align, n);
                /* The data itself: every length up to 4 KiB, then a
                 * sample, to keep the test quick. */
                if ((n < 4096 || n % 97 == 0) && memcmp(d, p, n) != 0)
                    fail_msg("impl %zu align %zu len %zu: data differs", k,
                             align, n);
            }
        }
    }
    free(src);
    free(dst);
}

/* A running sum carries into bit 32 and wraps around. */
static void test_running_sum(void **state)
{
    (void)state;
    static const uint32_t starts[] = {0,          1,          0xffff,
                                      0x10000,    0xfffe0001, 0xfffffffe,
                                      0xffffffff, 0x80000000};
    uint8_t *p = random_block(3000, 13);
    for (size_t k = 0; k < NIMPLS; k++)
        for (size_t i = 0; i < sizeof(starts) / sizeof(starts[0]); i++)
            for (size_t n = 0; n < 3000; n += 37)
                assert_int_equal(
                    tun_csum_fold(tun_csum_add_with(impls[k], starts[i], p, n)),
                    test_sum(p, n, starts[i]));
    /* 0xffffffff is a zero in one's complement; adding 1 wraps to 1. */
    assert_int_equal(tun_csum_add16(0xffffffff, 1), 1);
    free(p);
}

/* tun_csum_add_hdr(), the inline sum of headers: every even length up to
 * 512 at every alignment, from start sums that carry when added, of random
 * bytes and of bytes that are all ones (whose words carry too), against
 * the reference. */
static void test_header_sum(void **state)
{
    (void)state;
    static const uint32_t starts[] = {0, 1, 0xffff, 0xfffe0001, 0xfffffffe,
                                      0xffffffff};
    uint8_t *random = random_block(512 + 8, 17), ones[512 + 8];
    memset(ones, 0xff, sizeof(ones));
    const uint8_t *blocks[] = {random, ones};
    for (size_t b = 0; b < 2; b++)
        for (size_t align = 0; align < 8; align++)
            for (size_t i = 0; i < sizeof(starts) / sizeof(starts[0]); i++)
                for (size_t n = 0; n <= 512; n += 2) {
                    const uint8_t *p = blocks[b] + align;
                    assert_int_equal(
                        tun_csum_fold(tun_csum_add_hdr(starts[i], p, n)),
                        test_sum(p, n, starts[i]));
                }
    free(random);
}

/* A range summed in blocks, each starting on an even offset of the range
 * (at odd or even addresses), equals the range summed at once; only the
 * last block may be odd. */
static void test_blocks_and_odd_starts(void **state)
{
    (void)state;
    uint8_t *block = random_block(5000, 14);
    for (size_t align = 0; align < 2; align++) {
        const uint8_t *p = block + 1 + align; /* odd, then even address */
        for (size_t len = 4001; len <= 4002; len++) {
            uint16_t whole = tun_csum_fold(tun_csum_add(0, p, len));
            assert_int_equal(whole, test_sum(p, len, 0));
            for (size_t cut = 0; cut <= len; cut += 2) {
                uint32_t s = tun_csum_add(0, p, cut);
                s = tun_csum_add(s, p + cut, len - cut);
                assert_int_equal(tun_csum_fold(s), whole);
            }
        }
    }
    free(block);
}

/* Beyond the 1 MiB pieces tun_csum_add() cuts long blocks into, at odd
 * and even lengths. */
static void test_longer_than_a_piece(void **state)
{
    (void)state;
    size_t max = ((size_t)4 << 20) + 3;
    uint8_t *p = random_block(max + 1, 15), *d = malloc(max);
    assert_non_null(d);
    for (size_t len = max - 4; len <= max; len++) {
        uint16_t ref = test_sum(p + 1, len, 0);
        for (size_t k = 0; k < NIMPLS; k++) {
            assert_int_equal(tun_csum_fold(tun_csum_add_with(impls[k], 0, p + 1,
                                                             len)),
                             ref);
            assert_int_equal(tun_csum_fold(tun_csum_copy_with(impls[k], 0, d,
                                                              p + 1, len)),
                             ref);
            assert_memory_equal(d, p + 1, len);
        }
    }
    free(p);
    free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc1071_example),
        cmocka_unit_test(test_ipv4_header),
        cmocka_unit_test(test_every_length_and_alignment),
        cmocka_unit_test(test_copy_every_length_and_alignment),
        cmocka_unit_test(test_running_sum),
        cmocka_unit_test(test_header_sum),
        cmocka_unit_test(test_blocks_and_odd_starts),
        cmocka_unit_test(test_longer_than_a_piece),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
