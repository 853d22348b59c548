/* Sums are taken over native-order words, which gives the byte-swapped
 * one's complement sum on a little-endian machine (RFC 1071, section 2(B));
 * one swap of the folded result puts it back into network order. */
#include "checksum.h"

#include <string.h>

#if defined(__x86_64__) && defined(__GNUC__)
#define CSUM_HAVE_AVX2 1
#include <cpuid.h>
#include <immintrin.h>
#include <stdatomic.h>
#endif

#if defined(__BYTE_ORDER__) && defined(__ORDER_BIG_ENDIAN__)
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define TUN_CSUM_BIG_ENDIAN 1
#endif
#endif

/* Blocks are summed in pieces of at most this many bytes so that no
 * accumulator can overflow (the AVX2 lanes could after 64 GiB); even, so
 * every piece starts on a word; small, so that tests reach the boundary. */
#define PIECE_MAX ((size_t)1 << 20)

/* Below this length the AVX2 loop does not beat the scalar one (64 bytes:
 * slower, 256: faster, on AMD Zen; bench/bench_checksum shows it). */
#define AVX2_MIN_LEN 256

static inline uint64_t load64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, sizeof(v));
    return v;
}

static uint16_t fold64(uint64_t s)
{
    s = (s & 0xffffffff) + (s >> 32);
    s = (s & 0xffffffff) + (s >> 32);
    s = (s & 0xffff) + (s >> 16);
    s = (s & 0xffff) + (s >> 16);
    s = (s & 0xffff) + (s >> 16);
    return (uint16_t)s;
}

/* Fewer than 8 bytes, starting on a word boundary of the range. */
static uint64_t sum_tail(const uint8_t *p, size_t len)
{
    uint64_t s = 0;
    if (len >= 4) {
        uint32_t v;
        memcpy(&v, p, sizeof(v));
        s += v;
        p += 4;
        len -= 4;
    }
    if (len >= 2) {
        uint16_t v;
        memcpy(&v, p, sizeof(v));
        s += v;
        p += 2;
        len -= 2;
    }
    if (len) {
        /* The odd last byte is the high half of a big-endian word. */
#ifdef TUN_CSUM_BIG_ENDIAN
        s += (uint64_t)*p << 8;
#else
        s += *p;
#endif
    }
    return s;
}

/* The loops below take dst == NULL to mean "sum only"; they are inlined
 * into both callers so that the test disappears from the hot loop. */

/* 64-bit words with the carries counted apart; two chains so that the
 * additions of one iteration do not wait for each other. */
static TUN_ALWAYS_INLINE uint64_t scalar_sum(uint8_t *dst, const uint8_t *src,
                                           size_t len)
{
    uint64_t s0 = 0, s1 = 0, c0 = 0, c1 = 0;
    size_t i = 0;
    for (; i + 32 <= len; i += 32) {
        uint64_t w0 = load64(src + i), w1 = load64(src + i + 8);
        uint64_t w2 = load64(src + i + 16), w3 = load64(src + i + 24);
        if (dst)
            memcpy(dst + i, src + i, 32);
        s0 += w0;
        c0 += s0 < w0;
        s1 += w1;
        c1 += s1 < w1;
        s0 += w2;
        c0 += s0 < w2;
        s1 += w3;
        c1 += s1 < w3;
    }
    if (dst)
        memcpy(dst + i, src + i, len - i);
    for (; i + 8 <= len; i += 8) {
        uint64_t w = load64(src + i);
        s0 += w;
        c0 += s0 < w;
    }
    s0 += s1;
    c0 += s0 < s1;
    return (s0 & 0xffffffff) + (s0 >> 32) + c0 + c1 + sum_tail(src + i, len - i);
}

#ifdef CSUM_HAVE_AVX2
/* Each 32-bit half of every 64-bit lane goes into a 64-bit accumulator, so
 * no carry is ever lost: twice the scalar speed, three times for the copy
 * (see bench/bench_checksum). */
__attribute__((target("avx2"))) static TUN_ALWAYS_INLINE uint64_t
avx2_sum(uint8_t *dst, const uint8_t *src, size_t len)
{
    const __m256i low = _mm256_set1_epi64x(0xffffffff);
    __m256i a0 = _mm256_setzero_si256(), a1 = a0, a2 = a0, a3 = a0;
    uint64_t lane[4];
    size_t i = 0;
    for (; i + 64 <= len; i += 64) {
        __m256i v0 = _mm256_loadu_si256((const __m256i *)(const void *)(src + i));
        __m256i v1 =
            _mm256_loadu_si256((const __m256i *)(const void *)(src + i + 32));
        if (dst) {
            _mm256_storeu_si256((__m256i *)(void *)(dst + i), v0);
            _mm256_storeu_si256((__m256i *)(void *)(dst + i + 32), v1);
        }
        a0 = _mm256_add_epi64(a0, _mm256_and_si256(v0, low));
        a1 = _mm256_add_epi64(a1, _mm256_srli_epi64(v0, 32));
        a2 = _mm256_add_epi64(a2, _mm256_and_si256(v1, low));
        a3 = _mm256_add_epi64(a3, _mm256_srli_epi64(v1, 32));
    }
    a0 = _mm256_add_epi64(_mm256_add_epi64(a0, a1), _mm256_add_epi64(a2, a3));
    _mm256_storeu_si256((__m256i *)(void *)lane, a0);
    return lane[0] + lane[1] + lane[2] + lane[3] +
           scalar_sum(dst ? dst + i : NULL, src + i, len - i);
}

__attribute__((target("avx2"))) static uint64_t sum_avx2(const uint8_t *src,
                                                          size_t len)
{
    return avx2_sum(NULL, src, len);
}

__attribute__((target("avx2"))) static uint64_t
copy_avx2(uint8_t *dst, const uint8_t *src, size_t len)
{
    return avx2_sum(dst, src, len);
}

#endif

#ifdef CSUM_HAVE_AVX2
/* Whether AVX2 is usable: the CPU has it and the OS saves the YMM registers
 * (OSXSAVE set, XCR0 bits 1 and 2). Asked of the CPU itself, not through
 * __builtin_cpu_supports(), whose table lives in the compiler's runtime
 * library, which not every toolchain links into a shared library (zig's
 * macOS one does not). Learnt once; racing first calls agree. */
static bool cpu_has_avx2(void)
{
    static atomic_int known; /* 0: not yet asked, 1: usable, 2: not */
    int state = atomic_load_explicit(&known, memory_order_relaxed);
    if (state == 0) {
        unsigned a, b, c, d, xcr0_low, xcr0_high;
        bool usable = false;
        if (__get_cpuid(1, &a, &b, &c, &d) && (c & bit_OSXSAVE) &&
            (c & bit_AVX) && __get_cpuid_max(0, NULL) >= 7) {
            __asm__("xgetbv" : "=a"(xcr0_low), "=d"(xcr0_high) : "c"(0));
            __cpuid_count(7, 0, a, b, c, d);
            usable = (xcr0_low & 6) == 6 && (b & bit_AVX2);
        }
        state = usable ? 1 : 2;
        atomic_store_explicit(&known, state, memory_order_relaxed);
    }
    return state == 1;
}
#endif

/* Fold a native sum and add it to a running (network order) sum. */
static uint32_t add_native(uint32_t sum, uint64_t native)
{
    uint32_t v = fold64(native);
#ifndef TUN_CSUM_BIG_ENDIAN
    v = ((v >> 8) | (v << 8)) & 0xffff;
#endif
    return tun_csum_add16(sum, v);
}

bool tun_csum_impl_supported(tun_csum_impl impl)
{
    switch (impl) {
    case TUN_CSUM_SCALAR:
        return true;
    case TUN_CSUM_AVX2:
#ifdef CSUM_HAVE_AVX2
        return cpu_has_avx2();
#else
        return false;
#endif
    }
    return false;
}

/* dst == NULL: sum only. */
static uint32_t csum_run(tun_csum_impl impl, uint32_t sum, uint8_t *dst,
                         const uint8_t *src, size_t len)
{
    (void)impl; /* only an x86 build has a choice */
    while (len) {
        size_t n = len < PIECE_MAX ? len : PIECE_MAX;
        uint64_t native;
#ifdef CSUM_HAVE_AVX2
        if (impl == TUN_CSUM_AVX2 && tun_csum_impl_supported(impl))
            native = dst ? copy_avx2(dst, src, n) : sum_avx2(src, n);
        else
#endif
            native = dst ? scalar_sum(dst, src, n) : scalar_sum(NULL, src, n);
        sum = add_native(sum, native);
        src += n;
        if (dst)
            dst += n;
        len -= n;
    }
    return sum;
}

static tun_csum_impl best_impl(size_t len)
{
    return len >= AVX2_MIN_LEN && tun_csum_impl_supported(TUN_CSUM_AVX2)
               ? TUN_CSUM_AVX2
               : TUN_CSUM_SCALAR;
}

/* Headers (20 to 60 bytes, several per packet) go straight to the scalar
 * loop: for them the dispatch and piece loop of csum_run() cost as much as
 * the sum. */
uint32_t tun_csum_add(uint32_t sum, const void *data, size_t len)
{
    if (len < AVX2_MIN_LEN)
        return add_native(sum, scalar_sum(NULL, data, len));
    return csum_run(best_impl(len), sum, NULL, data, len);
}

uint32_t tun_csum_copy(uint32_t sum, void *dst, const void *src, size_t len)
{
    if (len < AVX2_MIN_LEN)
        return add_native(sum, scalar_sum(dst, src, len));
    return csum_run(best_impl(len), sum, dst, src, len);
}

uint32_t tun_csum_add_with(tun_csum_impl impl, uint32_t sum, const void *data,
                           size_t len)
{
    return csum_run(impl, sum, NULL, data, len);
}

uint32_t tun_csum_copy_with(tun_csum_impl impl, uint32_t sum, void *dst,
                            const void *src, size_t len)
{
    return csum_run(impl, sum, dst, src, len);
}
