/* Packet engine micro-benchmark: Internet checksum and fused copy+checksum
 * in GB/s per implementation and size, each against the simple reference
 * the tests check it with (RFC 1071 two bytes at a time, test_sum() of
 * test_offload_packets.h; for copy+sum: memcpy() then that sum), with the
 * speed-up of the best implementation and memcpy alongside for scale, then
 * GSO split and GRO coalesce of 64 KiB super-packets in packets/s and GB/s
 * on one core. Prints figures; it never passes or fails on speed.
 *
 * Usage: bench_checksum [seconds per figure, default 0.3]
 *        bench_checksum --count N OPERATION CASE
 * The second form does one operation exactly N times and prints nothing:
 * under valgrind --tool=callgrind its instruction count per call is the
 * same on every run, however busy the machine (bench/instructions.sh).
 * OPERATION CASE: sum BYTES, copy BYTES (the dispatching tun_csum_add() and
 * tun_csum_copy()), split SHAPE, coalesce SHAPE (SHAPE: tcp4, tcp6, udp4,
 * or tcp4-shuffled: the segments handed to coalesce in a fixed shuffled
 * order, as after reordering on a network). */
#include "engine/checksum.h"
#include "engine/gro.h"
#include "engine/gso.h"
#include "test_offload_packets.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Keeps results alive so that the compiler cannot drop the work. */
static volatile uint32_t sink;

enum op { OP_REF_SUM, OP_SUM, OP_REF_COPY, OP_COPY, OP_MEMCPY };

static void run_op(enum op op, tun_csum_impl impl, uint8_t *dst,
                   const uint8_t *src, size_t len)
{
    switch (op) {
    case OP_REF_SUM:
        sink += test_sum(src, len, 0);
        break;
    case OP_REF_COPY:
        memcpy(dst, src, len);
        sink += test_sum(dst, len, 0);
        break;
    case OP_SUM:
        sink += tun_csum_add_with(impl, 0, src, len);
        break;
    case OP_COPY:
        sink += tun_csum_copy_with(impl, 0, dst, src, len);
        break;
    case OP_MEMCPY:
        memcpy(dst, src, len);
        sink += dst[len / 2];
        break;
    }
}

/* Bytes per second of one operation on len bytes: the best of five
 * windows, since a shared machine only ever makes a figure slower. */
static double measure(enum op op, tun_csum_impl impl, uint8_t *dst,
                      const uint8_t *src, size_t len, double seconds)
{
    size_t batch = 1 + (1u << 18) / (len + 1);
    double best = 0;
    for (int w = 0; w < 5; w++) {
        size_t calls = 0;
        double start = now(), elapsed;
        do {
            for (size_t i = 0; i < batch; i++)
                run_op(op, impl, dst, src, len);
            calls += batch;
            elapsed = now() - start;
        } while (elapsed < seconds / 5);
        double rate = (double)calls * (double)len / elapsed;
        best = rate > best ? rate : best;
    }
    return best;
}

static void bench_checksums(double seconds)
{
    static const size_t sizes[] = {20, 64, 256, 576, 1500, 9000, 65535};
    /* dst sits at a distance that is no multiple of 4 KiB from src, as
     * separate buffers usually do (4K aliasing would slow the copy). */
    uint8_t *block = malloc(3 * 65536);
    uint64_t rng = 1;
    if (!block)
        exit(1);
    uint8_t *src = block, *dst = block + 65536 + 1056;
    test_fill(src, 65536, &rng);
    printf("checksum, GB/s (1e9 bytes/s) on one core; x: best over "
           "reference\n");
    printf("%8s | %9s %9s %9s %6s | %9s %9s %9s %6s | %9s\n", "bytes", "sum",
           "", "", "", "copy+sum", "", "", "", "memcpy");
    printf("%8s | %9s %9s %9s %6s | %9s %9s %9s %6s | %9s\n", "",
           "reference", "scalar", "avx2", "x", "reference", "scalar", "avx2",
           "x", "");
    bool avx2 = tun_csum_impl_supported(TUN_CSUM_AVX2);
    for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
        size_t n = sizes[k];
        printf("%8zu", n);
        for (enum op op = OP_REF_SUM; op <= OP_REF_COPY; op += 2) {
            double ref = measure(op, TUN_CSUM_SCALAR, dst, src, n, seconds);
            double scalar = measure(op + 1, TUN_CSUM_SCALAR, dst, src, n,
                                    seconds);
            double simd = avx2 ? measure(op + 1, TUN_CSUM_AVX2, dst, src, n,
                                         seconds)
                               : 0;
            double best = simd > scalar ? simd : scalar;
            printf(" | %9.1f %9.1f", ref / 1e9, scalar / 1e9);
            if (avx2)
                printf(" %9.1f", simd / 1e9);
            else
                printf(" %9s", "-");
            printf(" %6.1f", best / ref);
        }
        printf(" | %9.1f\n",
               measure(OP_MEMCPY, TUN_CSUM_SCALAR, dst, src, n, seconds) / 1e9);
    }
    free(block);
}

#define SEGS 44
#define OFFSET TUN_VNET_HDR_LEN

/* One super-packet as Linux hands it over: TCP with the timestamp option
 * (MSS 1448 at MTU 1500) or UDP (1472), 44 segments, about 63 KiB. */
static size_t make_super(uint8_t *p, tun_vnet_hdr *vh, int version, int proto)
{
    static const uint8_t ts[12] = {1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2};
    static uint8_t payload[SEGS * 1472];
    uint64_t rng = 7;
    test_fill(payload, sizeof(payload), &rng);
    test_flow f = test_flow_make(version, proto, 0);
    size_t mss = (proto == TEST_TCP ? 1448 : 1472) - (version == 6 ? 20 : 0);
    test_seg s = {.seq = 1000, .ack = 1, .flags = TEST_ACK, .window = 512,
                  .df = true, .payload = payload, .payload_len = SEGS * mss};
    if (proto == TEST_TCP) {
        s.opts = ts;
        s.opts_len = sizeof(ts);
    }
    size_t len = test_build(p, &f, &s);
    size_t l3 = version == 4 ? 20 : 40;
    *vh = (tun_vnet_hdr){
        .flags = TUN_VNET_F_NEEDS_CSUM,
        .gso_type = proto == TEST_UDP ? TUN_VNET_GSO_UDP_L4
                    : version == 4    ? TUN_VNET_GSO_TCPV4
                                      : TUN_VNET_GSO_TCPV6,
        .hdr_len = (uint16_t)(l3 + (proto == TEST_TCP ? 32 : 8)),
        .gso_size = (uint16_t)mss,
        .csum_start = (uint16_t)l3,
        .csum_offset = proto == TEST_TCP ? 16 : 6};
    return len;
}

static const struct shape {
    const char *name, *key;
    int version, proto;
    bool shuffled; /* coalesce the segments in a shuffled order */
} shapes[] = {{"TCP/IPv4", "tcp4", 4, TEST_TCP, false},
              {"TCP/IPv6", "tcp6", 6, TEST_TCP, false},
              {"UDP/IPv4", "udp4", 4, TEST_UDP, false},
              {"TCP/IPv4 shuffled", "tcp4-shuffled", 4, TEST_TCP, true}};
#define SHAPES (sizeof(shapes) / sizeof(shapes[0]))

/* The segment buffers and GRO table of one split and coalesce. */
struct offload_bench {
    uint8_t super[65536];
    uint8_t merged[TUN_OFFLOAD_BUF_SIZE]; /* the coalesced write, gathered */
    tun_vnet_hdr vh;
    size_t len;
    tun_buf bufs[SEGS];
    uint8_t pflags[SEGS];
    tun_slice payloads[SEGS];
    bool partial; /* checksums carried end to end (the flagged calls) */
    bool slices;  /* copy-free segments: payloads left in the super-packet */
    tun_gro_table *table;
};

static void offload_setup(struct offload_bench *b)
{
    if (tun_gro_table_new(128, &b->table) < 0)
        exit(1);
    for (size_t i = 0; i < SEGS; i++) {
        b->bufs[i].capacity = OFFSET + 65535;
        b->bufs[i].data = malloc(b->bufs[i].capacity);
        if (!b->bufs[i].data)
            exit(1);
    }
}

static void offload_teardown(struct offload_bench *b)
{
    for (size_t i = 0; i < SEGS; i++)
        free(b->bufs[i].data);
    tun_gro_table_free(b->table);
}

/* Split the super-packet into the buffers, in the order they have. For a
 * shuffled shape the buffers are then put in the same fixed shuffled order
 * each time (Fisher-Yates with a fixed seed), so that every call does the
 * same work. */
static int split(struct offload_bench *b, const struct shape *sh)
{
    uint8_t wire[TUN_VNET_HDR_LEN];
    tun_vnet_hdr_encode(wire, &b->vh);
    uint8_t *pflags = b->partial ? b->pflags : NULL;
    int n = b->slices    ? tun_offload_split_slices(wire, b->super, b->len, 0,
                                                    b->bufs, b->payloads,
                                                    pflags, SEGS, OFFSET, NULL)
            : b->partial ? tun_offload_split_flagged(wire, b->super, b->len, 0,
                                                     b->bufs, pflags, SEGS,
                                                     OFFSET, NULL)
                         : tun_gso_split(&b->vh, b->super, b->len, b->bufs,
                                         SEGS, OFFSET);
    uint64_t rng = 42;
    for (size_t i = SEGS; sh->shuffled && i > 1; i--) {
        size_t j = test_rand(&rng) % i;
        tun_buf x = b->bufs[i - 1];
        b->bufs[i - 1] = b->bufs[j];
        b->bufs[j] = x;
        tun_slice y = b->payloads[i - 1];
        b->payloads[i - 1] = b->payloads[j];
        b->payloads[j] = y;
    }
    return n;
}

static int coalesce(struct offload_bench *b, size_t count)
{
    if (b->slices)
        return tun_offload_coalesce_slices(b->table, b->bufs, b->payloads,
                                           b->partial ? b->pflags : NULL,
                                           count, OFFSET, TUN_COALESCE_UDP);
    if (b->partial)
        return tun_offload_coalesce_flagged(b->table, b->bufs, b->pflags,
                                            count, OFFSET, TUN_COALESCE_UDP);
    return tun_offload_coalesce(b->table, b->bufs, count, OFFSET,
                                TUN_COALESCE_UDP);
}

/* Split gave SEGS segments; coalesced (m = 1), they make the super-packet
 * that was split, but for its checksum field (which holds the
 * pseudo-header sum after GRO). Shuffled segments may make more (code from
 * before merges survived reordering, measured as a baseline). */
static void check_round(struct offload_bench *b, const struct shape *sh,
                        bool coalesced, int n, int m)
{
    bool whole = m == 1;
    if (n != SEGS || (!whole && !sh->shuffled)) {
        fprintf(stderr, "%s: split gave %d, coalesce %d\n", sh->name, n, m);
        exit(1);
    }
    size_t field = (size_t)b->vh.csum_start + b->vh.csum_offset;
    if (coalesced && whole &&
        (tun_offload_write_gather(b->table, 0, b->merged,
                                  sizeof(b->merged)) !=
             (int)(TUN_VNET_HDR_LEN + b->len) ||
         memcmp(b->merged + TUN_VNET_HDR_LEN, b->super, field) != 0 ||
         memcmp(b->merged + TUN_VNET_HDR_LEN + field + 2, b->super + field + 2,
                b->len - field - 2) != 0)) {
        fprintf(stderr, "%s: coalesce did not give the super-packet back\n",
                sh->name);
        exit(1);
    }
}

#define SPLITS_TIMED 16

static void bench_offload(double seconds)
{
    static struct offload_bench b;
    offload_setup(&b);
    /* The default path, then copy-free segments with partial checksums. */
    for (int copy_free = 0; copy_free < 2; copy_free++) {
        b.slices = b.partial = copy_free;
        printf("\nGSO split and GRO coalesce of one %d-segment "
               "super-packet, one core%s\n",
               SEGS, copy_free ? ", copy-free with partial checksums" : "");
        printf("%-17s %7s %12s %14s %8s %12s %14s %8s\n", "", "bytes",
               "split/s", "segments/s", "GB/s", "coalesce/s", "segments/s",
               "GB/s");
        for (size_t c = 0; c < SHAPES; c++) {
            b.len = make_super(b.super, &b.vh, shapes[c].version,
                               shapes[c].proto);
            /* Best round of each, for the same reason as measure(); the
             * split, a fraction of a microsecond, SPLITS_TIMED times in a
             * row for the clock's resolution (coalescing needs a fresh
             * split each time). */
            double best_split = 1e9, best_gro = 1e9, spent = 0;
            while (spent < 2 * seconds) {
                double t0 = now();
                int n = 0;
                for (int k = 0; k < SPLITS_TIMED; k++)
                    n = split(&b, &shapes[c]);
                double t1 = now();
                int m = coalesce(&b, (size_t)n);
                double t2 = now();
                check_round(&b, &shapes[c], true, n, m);
                double one_split = (t1 - t0) / SPLITS_TIMED;
                best_split = one_split < best_split ? one_split : best_split;
                best_gro = t2 - t1 < best_gro ? t2 - t1 : best_gro;
                spent += t2 - t0;
            }
            printf("%-17s %7zu %12.0f %14.0f %8.1f %12.0f %14.0f %8.1f\n",
                   shapes[c].name, b.len, 1 / best_split, SEGS / best_split,
                   (double)b.len / best_split / 1e9, 1 / best_gro,
                   SEGS / best_gro, (double)b.len / best_gro / 1e9);
        }
    }
    offload_teardown(&b);
}

/* One operation, count times, for an instruction counter. */
static int run_count(unsigned long count, const char *op, const char *arg)
{
    if (!strcmp(op, "sum") || !strcmp(op, "copy")) {
        size_t len = strtoul(arg, NULL, 10);
        if (len == 0 || len > 65536)
            return 2;
        uint8_t *block = malloc(2 * 65536 + 1056);
        uint64_t rng = 1;
        if (!block)
            exit(1);
        uint8_t *src = block, *dst = block + 65536 + 1056;
        test_fill(src, len, &rng);
        for (unsigned long i = 0; i < count; i++)
            sink += op[0] == 's' ? tun_csum_add(0, src, len)
                                 : tun_csum_copy(0, dst, src, len);
        free(block);
        return 0;
    }
    const struct shape *sh = NULL;
    for (size_t c = 0; c < SHAPES; c++)
        if (!strcmp(arg, shapes[c].key))
            sh = &shapes[c];
    /* "-slices": copy-free segments; "-partial": keeping partial checksums
     * (the segments' pflags are all TUN_PACKET_CSUM_PARTIAL, so a shuffle
     * needs none of its own). */
    static const char *const ops[] = {
        "split",         "split-partial",         "split-slices",
        "split-slices-partial", "coalesce",       "coalesce-partial",
        "coalesce-slices",      "coalesce-slices-partial"};
    size_t which = 0;
    while (which < 8 && strcmp(op, ops[which]))
        which++;
    if (!sh || which == 8)
        return 2;
    bool splitting = which < 4;
    static struct offload_bench b;
    offload_setup(&b);
    b.partial = which & 1;
    b.slices = which & 2;
    b.len = make_super(b.super, &b.vh, sh->version, sh->proto);
    /* Coalescing needs a fresh split each round; the counter looks at one
     * of the two functions only. */
    for (unsigned long i = 0; i < count; i++) {
        int n = split(&b, sh);
        check_round(&b, sh, !splitting, n,
                    splitting ? 1 : coalesce(&b, (size_t)n));
    }
    offload_teardown(&b);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "--count")) {
        /* A count of digits only: strtoul() would wrap "-5". */
        bool digits = argc == 5 && argv[2][0] && strspn(argv[2], "0123456789") ==
                                                     strlen(argv[2]);
        unsigned long count = digits ? strtoul(argv[2], NULL, 10) : 0;
        int rc = count ? run_count(count, argv[3], argv[4]) : 2;
        if (rc == 2)
            fprintf(stderr, "usage: %s --count N sum|copy BYTES\n"
                            "       %s --count N split|coalesce[-partial|"
                            "-slices|-slices-partial] "
                            "tcp4|tcp6|udp4|tcp4-shuffled\n",
                    argv[0], argv[0]);
        return rc;
    }
    double seconds = argc > 1 ? atof(argv[1]) : 0.3;
    if (seconds <= 0) {
        fprintf(stderr, "usage: %s [seconds per figure]\n", argv[0]);
        return 2;
    }
    bench_checksums(seconds);
    bench_offload(seconds);
    return 0;
}
