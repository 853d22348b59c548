/* The Internet checksum (RFC 1071) of IP, TCP and UDP.
 *
 * A running sum is a uint32_t: the one's complement sum of the data's
 * big-endian 16-bit words, not yet folded. Start from 0 (or a pseudo-header
 * sum), add blocks that each begin at an even offset of the checksummed
 * range (only the last block may have an odd length), then fold. A range
 * whose checksum field is correct folds to 0xffff.
 */
#ifndef TUN_ENGINE_CHECKSUM_H
#define TUN_ENGINE_CHECKSUM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* For the engine's per-packet loops that callers instantiate with
 * constants (a layout, a mode), which the compiler would otherwise leave
 * as one copy testing them on every packet. */
#if defined(__GNUC__)
#define TUN_ALWAYS_INLINE inline __attribute__((always_inline))
#else
#define TUN_ALWAYS_INLINE inline
#endif

/* Add len bytes at data to sum. data may have any alignment. */
uint32_t tun_csum_add(uint32_t sum, const void *data, size_t len);

/* Copy len bytes from src to dst and add them to sum, in one pass over the
 * data. The ranges must not overlap. */
uint32_t tun_csum_copy(uint32_t sum, void *dst, const void *src, size_t len);

/* Add a 16-bit value (a length, a protocol number) to sum. */
static inline uint32_t tun_csum_add16(uint32_t sum, uint32_t value)
{
    uint32_t s = sum + (value & 0xffff);
    return s + (s < sum); /* end-around carry */
}

/* Add the len bytes of a header at p (len even, at most a few hundred) to
 * sum, inline: a header summed once per packet or batch costs less so
 * than tun_csum_add()'s set-up. Big-endian 32-bit words, whose sum folds
 * to that of their 16-bit halves (2^16 is 1 modulo 0xffff), in 64 bits
 * that cannot overflow. */
static inline uint32_t tun_csum_add_hdr(uint32_t sum, const uint8_t *p,
                                        size_t len)
{
    uint64_t s = sum;
    size_t i = 0;
    for (; i + 4 <= len; i += 4)
        s += (uint32_t)p[i] << 24 | (uint32_t)p[i + 1] << 16 |
             (uint32_t)p[i + 2] << 8 | p[i + 3];
    if (i < len)
        s += (uint32_t)p[i] << 8 | p[i + 1];
    s = (s & 0xffffffff) + (s >> 32);
    return (uint32_t)((s & 0xffffffff) + (s >> 32));
}

/* The folded 16-bit one's complement sum. Inline: split and merge fold a
 * few sums per packet. Two steps fold any 32-bit sum (the first leaves at
 * most 0x1fffe). */
static inline uint16_t tun_csum_fold(uint32_t sum)
{
    sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)((sum & 0xffff) + (sum >> 16));
}

/* The value a checksum field takes: the complement of the folded sum. */
static inline uint16_t tun_csum_finish(uint32_t sum)
{
    return (uint16_t)~tun_csum_fold(sum);
}

/* Take a 16-bit value out of sum (RFC 1624): add its complement. */
static inline uint32_t tun_csum_sub16(uint32_t sum, uint32_t value)
{
    return tun_csum_add16(sum, ~value);
}

/* The implementations tun_csum_add() and tun_csum_copy() choose from,
 * by CPU and length, named so that tests and benchmarks can run each. */
typedef enum tun_csum_impl {
    TUN_CSUM_SCALAR, /* portable C, 64-bit words */
    TUN_CSUM_AVX2    /* x86-64 with AVX2 (checked at run time) */
} tun_csum_impl;

/* Whether impl runs on this machine. */
bool tun_csum_impl_supported(tun_csum_impl impl);
/* tun_csum_add() and tun_csum_copy() with the given implementation; an
 * unsupported one falls back to TUN_CSUM_SCALAR. */
uint32_t tun_csum_add_with(tun_csum_impl impl, uint32_t sum, const void *data,
                           size_t len);
uint32_t tun_csum_copy_with(tun_csum_impl impl, uint32_t sum, void *dst,
                            const void *src, size_t len);

#endif
