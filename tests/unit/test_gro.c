/* GRO coalescing (src/engine/gro.c): which packets merge and which must
 * not, every super-packet compared byte for byte with the one
 * test_offload_packets.h builds for it and its checksum completed and
 * checked independently, malformed packets in exact-size buffers, and the
 * round trips with GSO split in both directions. */
#include "testutil.h"

#include "engine/gro.h"
#include "engine/gso.h"
#include "test_offload_packets.h"

#include <stdlib.h>

#define OFFSET 12 /* headroom before each packet, more than the header */
#define FILL 0xa5
#define MAX_PKTS 256
#define CAP (OFFSET + 65536)
#define SCRATCH_PKTS 128
#define SCRATCH_CAP 16384

static uint8_t payload[4 << 20];
static uint8_t expect[65536];
static const uint8_t ts_option[12] = {1, 1, 8, 10, 0, 0, 1, 2, 0, 0, 3, 4};

/* The batch under test: bufs[0..nbufs), a copy of each packet as it went
 * in, and the buffers of full size that bufs[] points at unless a test put
 * an exact-size allocation in their place. */
static tun_buf bufs[MAX_PKTS];
static uint8_t *full[MAX_PKTS];
static uint8_t *orig[MAX_PKTS];
static size_t orig_len[MAX_PKTS];
static size_t nbufs;
static size_t out[MAX_PKTS];
static tun_gro_table *table;
static tun_buf scratch[SCRATCH_PKTS];

static int setup(void **state)
{
    (void)state;
    uint64_t rng = 33;
    test_fill(payload, sizeof(payload), &rng);
    for (size_t i = 0; i < MAX_PKTS; i++) {
        full[i] = malloc(CAP);
        orig[i] = malloc(65536);
        if (!full[i] || !orig[i])
            return -1;
        bufs[i] = (tun_buf){full[i], CAP, 0};
    }
    for (size_t i = 0; i < SCRATCH_PKTS; i++) {
        scratch[i] = (tun_buf){malloc(SCRATCH_CAP), SCRATCH_CAP, 0};
        if (!scratch[i].data)
            return -1;
    }
    return tun_gro_table_new(MAX_PKTS, &table);
}

static void reset(void)
{
    for (size_t i = 0; i < nbufs; i++) {
        if (bufs[i].data != full[i])
            free(bufs[i].data);
        bufs[i] = (tun_buf){full[i], CAP, 0};
    }
    nbufs = 0;
}

static int teardown(void **state)
{
    (void)state;
    reset();
    for (size_t i = 0; i < MAX_PKTS; i++) {
        free(full[i]);
        free(orig[i]);
    }
    for (size_t i = 0; i < SCRATCH_PKTS; i++)
        free(scratch[i].data);
    tun_gro_table_free(table);
    return 0;
}

/* Append packet p of len bytes to the batch, in a buffer of capacity bytes
 * (0: the full-size one; else an allocation of exactly that size, so that
 * the sanitizers catch any access past it). */
static size_t add_raw(const uint8_t *p, size_t len, size_t capacity)
{
    assert_true(nbufs < MAX_PKTS);
    size_t i = nbufs++;
    if (capacity) {
        bufs[i].data = malloc(capacity);
        assert_non_null(bufs[i].data);
        bufs[i].capacity = capacity;
    }
    assert_true(OFFSET + len <= bufs[i].capacity);
    memset(bufs[i].data, FILL, OFFSET);
    memcpy(bufs[i].data + OFFSET, p, len);
    bufs[i].len = len;
    memcpy(orig[i], p, len);
    orig_len[i] = len;
    return i;
}

static uint8_t packet[65536];

static size_t add(const test_flow *f, const test_seg *s)
{
    return add_raw(packet, test_build(packet, f, s), 0);
}

/* Segments [from, to) of the n that super-packet s splits into. */
static void add_segments(const test_flow *f, const test_seg *s, size_t from,
                         size_t to, size_t n, size_t gso)
{
    for (size_t i = from; i < to; i++) {
        test_seg g = test_segment(s, i, n, gso);
        add(f, &g);
    }
}

/* Segments order[0..count) of the n that super-packet s splits into, in
 * that order. */
static void add_segments_in(const test_flow *f, const test_seg *s,
                            const size_t *order, size_t count, size_t n,
                            size_t gso)
{
    for (size_t i = 0; i < count; i++) {
        test_seg g = test_segment(s, order[i], n, gso);
        add(f, &g);
    }
}

static bool header_is_zero(const uint8_t *vnet)
{
    for (size_t k = 0; k < TUN_VNET_HDR_LEN; k++)
        if (vnet[k])
            return false;
    return true;
}

/* Complete the checksum of a super-packet as the kernel would (the field
 * holds the pseudo-header sum) with the test's own sum, and check it. */
static void check_completed_checksum(const uint8_t *p, size_t len,
                                     const tun_vnet_hdr *vh)
{
    uint8_t *copy = malloc(len);
    assert_non_null(copy);
    memcpy(copy, p, len);
    size_t start = vh->csum_start, field = start + vh->csum_offset;
    assert_true(field + 2 <= len);
    uint16_t c = (uint16_t)~test_sum(copy + start, len - start, 0);
    test_put16(copy + field, c);
    assert_true(test_checksums_ok(copy, len));
    free(copy);
}

/* A write whole, its header in front, and the packet in it. */
static uint8_t gathered_write[TUN_VNET_HDR_LEN + 65536];
static uint8_t *const gathered = gathered_write + TUN_VNET_HDR_LEN;

/* The write of listed packet idx, as it goes out, into gathered_write[];
 * the length of its packet (gathered). */
static size_t gather(size_t idx)
{
    size_t k = 0;
    while (tun_offload_write_index(table, k) != idx)
        assert_true(++k < MAX_PKTS);
    int len = tun_offload_write_gather(table, k, gathered_write,
                                       sizeof(gathered_write));
    assert_true(len >= TUN_VNET_HDR_LEN);
    assert_memory_equal(gathered_write,
                        bufs[idx].data + OFFSET - TUN_VNET_HDR_LEN,
                        TUN_VNET_HDR_LEN);
    return (size_t)len - TUN_VNET_HDR_LEN;
}

/* Run tun_offload_coalesce() on the batch and check what holds for every
 * result: the listed indices (write k's packet in out[k]) rise; a packet
 * not listed is untouched; a
 * listed one has its headroom before the header untouched, and either a
 * zero header and its bytes unchanged, or a super-packet header whose
 * completed checksum is right, its len and payload unchanged. Returns the
 * count. */
static size_t coalesce_flagged(unsigned flags, const uint8_t *pflags)
{
    int n = tun_offload_coalesce_flagged(table, bufs, pflags, nbufs, OFFSET,
                                         flags);
    if (n < 0)
        fail_msg("tun_offload_coalesce: %s: %s", tun_err_name(n),
                 tun_last_error());
    for (size_t k = 0; k < (size_t)n; k++)
        out[k] = tun_offload_write_index(table, k);
    assert_int_equal(tun_offload_write_index(table, (size_t)n), SIZE_MAX);
    size_t k = 0;
    for (size_t i = 0; i < nbufs; i++) {
        bool listed = k < (size_t)n && out[k] == i;
        /* A packet goes out itself or inside a listed one before it, or,
         * of length 0, not at all. */
        size_t with = tun_gro_sent_with(table, i);
        assert_true(listed ? with == i : with < i || bufs[i].len == 0);
        assert_int_equal(tun_gro_sent_with(table, with), with);
        size_t guard = listed ? OFFSET - TUN_VNET_HDR_LEN : OFFSET;
        for (size_t b = 0; b < guard; b++)
            assert_int_equal(bufs[i].data[b], FILL);
        const uint8_t *p = bufs[i].data + OFFSET;
        const uint8_t *vnet = p - TUN_VNET_HDR_LEN;
        if (!listed || header_is_zero(vnet)) {
            assert_int_equal(bufs[i].len, orig_len[i]);
            assert_memory_equal(p, orig[i], orig_len[i]);
        } else {
            tun_vnet_hdr vh;
            tun_vnet_hdr_decode(&vh, vnet);
            assert_true(vh.flags == TUN_VNET_F_NEEDS_CSUM);
            assert_int_equal(bufs[i].len, orig_len[i]);
            assert_memory_equal(p + vh.hdr_len, orig[i] + vh.hdr_len,
                                orig_len[i] - vh.hdr_len);
            size_t len = gather(i);
            assert_true(len <= 65535);
            check_completed_checksum(gathered, len, &vh);
        }
        if (listed)
            k++;
    }
    assert_int_equal(k, (size_t)n);
    return (size_t)n;
}

static size_t coalesce(unsigned flags)
{
    return coalesce_flagged(flags, NULL);
}

/* out[k] is packet idx, sent as it came. */
static void expect_plain(size_t k, size_t idx)
{
    assert_int_equal(out[k], idx);
    assert_true(header_is_zero(bufs[idx].data + OFFSET - TUN_VNET_HDR_LEN));
}

/* out[k] is packet idx, now the super-packet s of flow f with gso payload
 * bytes per segment, with its header, exactly as Linux would hand it over. */
static void expect_super(size_t k, size_t idx, const test_flow *f,
                         const test_seg *s, size_t gso)
{
    assert_int_equal(out[k], idx);
    tun_vnet_hdr want, got;
    size_t len = test_build_super(expect, f, s, gso, &want);
    tun_vnet_hdr_decode(&got, bufs[idx].data + OFFSET - TUN_VNET_HDR_LEN);
    assert_int_equal(got.flags, want.flags);
    assert_int_equal(got.gso_type, want.gso_type);
    assert_int_equal(got.hdr_len, want.hdr_len);
    assert_int_equal(got.gso_size, want.gso_size);
    assert_int_equal(got.csum_start, want.csum_start);
    assert_int_equal(got.csum_offset, want.csum_offset);
    assert_int_equal(gather(idx), len);
    assert_memory_equal(gathered, expect, len);
}

/* The batch goes out unchanged: no packet merges (and one of length 0
 * makes no write). */
static void expect_no_merge(unsigned flags)
{
    size_t n = coalesce(flags), k = 0;
    for (size_t i = 0; i < nbufs; i++)
        if (bufs[i].len)
            expect_plain(k++, i);
    assert_int_equal(n, k);
    reset();
}

/* The super-packet that segments [from, from + count) of the n of s make:
 * the first one's headers, FIN and PSH of the last one. */
static test_seg part(const test_seg *s, size_t from, size_t count, size_t n,
                     size_t gso)
{
    test_seg first = test_segment(s, from, n, gso);
    test_seg last = test_segment(s, from + count - 1, n, gso);
    first.payload_len =
        (size_t)(last.payload + last.payload_len - first.payload);
    first.flags = (uint8_t)((first.flags & ~(TEST_FIN | TEST_PSH)) |
                            (last.flags & (TEST_FIN | TEST_PSH)));
    return first;
}

/* All n segments of s merge back into s. */
static void expect_whole(const test_flow *f, const test_seg *s, size_t n,
                         size_t gso, unsigned flags)
{
    add_segments(f, s, 0, n, n, gso);
    assert_int_equal(coalesce(flags), 1);
    expect_super(0, 0, f, s, gso);
    reset();
}

/* A TCP super-packet of 5 segments of 1000 bytes (the last one short). */
static test_seg tcp_seg(void)
{
    return (test_seg){.seq = 0xfffffc00, .ack = 5, .flags = TEST_ACK,
                      .window = 512, .ttl = 64, .id = 0xfffe, .df = true,
                      .opts = ts_option, .opts_len = sizeof(ts_option),
                      .payload = payload, .payload_len = 4500};
}

/* ---- what merges --------------------------------------------------------- */

static void test_same_flow(void **state)
{
    (void)state;
    for (int version = 4; version <= 6; version += 2) {
        test_flow f = test_flow_make(version, TEST_TCP, 0);
        test_seg s = tcp_seg();
        s.flags |= TEST_PSH; /* ends up on the last segment only */
        s.flow_label = 0xabcde;
        s.tos = 0x10;
        /* With options, short last segment, sequence number wrapping. */
        expect_whole(&f, &s, 5, 1000, 0);
        /* Without options, no DF (identification must count up), odd
         * segment size and odd total. */
        s.opts_len = 0;
        s.df = false;
        s.flags = TEST_ACK;
        s.payload_len = 999 * 3 + 1;
        expect_whole(&f, &s, 4, 999, 0);
    }
}

/* Segments that are nearly all headers: one byte of payload each. */
static void test_tiny_segments(void **state)
{
    (void)state;
    test_flow f = test_flow_make(4, TEST_TCP, 0);
    test_seg s = tcp_seg();
    s.payload_len = 7;
    expect_whole(&f, &s, 7, 1, 0);
}

static void test_ecn(void **state)
{
    (void)state;
    for (int version = 4; version <= 6; version += 2) {
        test_flow f = test_flow_make(version, TEST_TCP, 0);
        /* ECT(0) on every packet, ECE on every packet and CWR on the first:
         * one super-packet with the ECN GSO bit. */
        test_seg s = tcp_seg();
        s.tos = 0x02;
        s.flags = TEST_ACK | TEST_ECE | TEST_CWR;
        expect_whole(&f, &s, 5, 1000, 0); /* the header has the ECN bit */

        /* A CE mark on one packet: its TOS differs, so it goes alone, and
         * the next one cannot join it either. */
        s.flags = TEST_ACK;
        for (size_t i = 0; i < 5; i++) {
            test_seg g = test_segment(&s, i, 5, 1000);
            if (i == 2)
                g.tos = 0x03;
            add(&f, &g);
        }
        assert_int_equal(coalesce(0), 3);
        test_seg a = part(&s, 0, 2, 5, 1000), b = part(&s, 3, 2, 5, 1000);
        expect_super(0, 0, &f, &a, 1000);
        expect_plain(1, 2);
        expect_super(2, 3, &f, &b, 1000);
        reset();

        /* CWR in the middle starts a run of its own. */
        for (size_t i = 0; i < 5; i++) {
            test_seg g = test_segment(&s, i, 5, 1000);
            if (i == 2)
                g.flags |= TEST_CWR;
            add(&f, &g);
        }
        assert_int_equal(coalesce(0), 2);
        b = part(&s, 2, 3, 5, 1000);
        b.flags |= TEST_CWR;
        expect_super(0, 0, &f, &a, 1000);
        expect_super(1, 2, &f, &b, 1000); /* ECN bit on this one only */
        reset();
    }
}

/* Flows interleaved in one batch: each run goes out where its first packet
 * was. */
static void test_interleaved_flows(void **state)
{
    (void)state;
    test_flow flows[4] = {
        test_flow_make(4, TEST_TCP, 0), test_flow_make(6, TEST_TCP, 0),
        test_flow_make(4, TEST_TCP, 1), test_flow_make(6, TEST_UDP, 2)};
    test_seg s[4];
    for (size_t k = 0; k < 4; k++) {
        s[k] = tcp_seg();
        s[k].payload = payload + k * 8192;
        if (flows[k].proto == TEST_UDP)
            s[k].opts_len = 0;
    }
    for (size_t i = 0; i < 5; i++)
        for (size_t k = 0; k < 4; k++) {
            test_seg g = test_segment(&s[k], i, 5, 1000);
            add(&flows[k], &g);
        }
    assert_int_equal(coalesce(TUN_COALESCE_UDP), 4);
    for (size_t k = 0; k < 4; k++)
        expect_super(k, k, &flows[k], &s[k], 1000);
    reset();

    /* Flows that differ in one address byte or one port only. */
    test_flow g = flows[0];
    g.dst[3] = 3;
    test_flow h = flows[0];
    h.dport = 2001;
    test_seg t = tcp_seg();
    for (size_t i = 0; i < 5; i++) {
        test_seg a = test_segment(&t, i, 5, 1000);
        add(&flows[0], &a);
        add(&g, &a);
        add(&h, &a);
    }
    assert_int_equal(coalesce(0), 3);
    expect_super(0, 0, &flows[0], &t, 1000);
    expect_super(1, 1, &g, &t, 1000);
    expect_super(2, 2, &h, &t, 1000);
    reset();
}

static void test_udp(void **state)
{
    (void)state;
    for (int version = 4; version <= 6; version += 2) {
        test_flow f = test_flow_make(version, TEST_UDP, 0);
        test_seg s = {.id = 7, .payload = payload, .payload_len = 1200 * 5 + 701};
        expect_whole(&f, &s, 6, 1200, TUN_COALESCE_UDP);

        /* Without TUN_COALESCE_UDP (a device without USO): all alone. */
        add_segments(&f, &s, 0, 6, 6, 1200);
        expect_no_merge(0);

        /* At most 64 datagrams per run, as Linux's UDP GRO takes. */
        s.payload_len = 70 * 100;
        add_segments(&f, &s, 0, 70, 70, 100);
        assert_int_equal(coalesce(TUN_COALESCE_UDP), 2);
        test_seg a = part(&s, 0, 64, 70, 100), b = part(&s, 64, 6, 70, 100);
        expect_super(0, 0, &f, &a, 100);
        expect_super(1, 64, &f, &b, 100);
        reset();

        /* A larger datagram after a smaller one starts a new run. */
        test_seg small = s, big = s;
        small.payload_len = 100;
        big.payload_len = 200;
        small.df = big.df = true; /* identification not compared */
        add(&f, &small);
        add(&f, &big);
        add(&f, &big);
        assert_int_equal(coalesce(TUN_COALESCE_UDP), 2);
        expect_plain(0, 0);
        assert_int_equal(out[1], 1);
        reset();
    }
    /* IPv4 UDP without a checksum (0) is sent alone and ends the run. */
    test_flow f = test_flow_make(4, TEST_UDP, 0);
    test_seg s = {.payload = payload, .payload_len = 4000};
    add_segments(&f, &s, 0, 4, 4, 1000);
    test_put16(bufs[1].data + OFFSET + 20 + 6, 0);
    test_put16(orig[1] + 20 + 6, 0);
    assert_int_equal(coalesce(TUN_COALESCE_UDP), 3);
    expect_plain(0, 0);
    expect_plain(1, 1);
    test_seg b = part(&s, 2, 2, 4, 1000);
    expect_super(2, 2, &f, &b, 1000);
    reset();
}

/* ---- what must not merge -------------------------------------------------- */

static void test_sequence_gap(void **state)
{
    (void)state;
    test_flow f = test_flow_make(4, TEST_TCP, 0);
    test_seg s = tcp_seg();
    add_segments(&f, &s, 0, 2, 5, 1000);
    add_segments(&f, &s, 3, 5, 5, 1000); /* segment 2 lost */
    assert_int_equal(coalesce(0), 2);
    test_seg a = part(&s, 0, 2, 5, 1000), b = part(&s, 3, 2, 5, 1000);
    expect_super(0, 0, &f, &a, 1000);
    expect_super(1, 2, &f, &b, 1000);
    reset();

    /* A retransmission (same sequence number twice). */
    add_segments(&f, &s, 0, 2, 5, 1000);
    add_segments(&f, &s, 1, 2, 5, 1000);
    assert_int_equal(coalesce(0), 2);
    expect_super(0, 0, &f, &a, 1000);
    expect_plain(1, 2);
    reset();
}

/* Packets 0..4 of s, packet 2 changed by edit: the result is packets 0-1
 * merged, then what `alone` says: packet 2 alone and 3-4 merged (alone
 * true: packet 2 cannot start a run either, or starts one 3 cannot join),
 * or 2-4 merged (alone false). */
typedef void (*seg_edit)(test_seg *g);

static void check_breaks_run(const test_flow *f, const test_seg *s,
                             seg_edit edit, bool alone)
{
    for (size_t i = 0; i < 5; i++) {
        test_seg g = test_segment(s, i, 5, 1000);
        if (i == 2)
            edit(&g);
        add(f, &g);
    }
    test_seg a = part(s, 0, 2, 5, 1000), b = part(s, 3, 2, 5, 1000);
    if (alone) {
        assert_int_equal(coalesce(0), 3);
        expect_super(0, 0, f, &a, 1000);
        expect_plain(1, 2);
        expect_super(2, 3, f, &b, 1000);
    } else {
        assert_int_equal(coalesce(0), 2);
        expect_super(0, 0, f, &a, 1000);
        assert_int_equal(out[1], 2);
    }
    reset();
}

static void edit_syn(test_seg *g) { g->flags |= TEST_SYN; }
static void edit_fin(test_seg *g) { g->flags |= TEST_FIN; }
static void edit_rst(test_seg *g) { g->flags |= 0x04; }
static void edit_urg(test_seg *g) { g->flags |= 0x20; }
static void edit_no_ack(test_seg *g) { g->flags &= (uint8_t)~TEST_ACK; }
static void edit_ece(test_seg *g) { g->flags |= TEST_ECE; }
static void edit_ttl(test_seg *g) { g->ttl = 63; }
static void edit_tos(test_seg *g) { g->tos = 0x20; }
static void edit_ecn_ect1(test_seg *g) { g->tos = 0x01; }
static void edit_flow_label(test_seg *g) { g->flow_label = 1; }
static void edit_ack(test_seg *g) { g->ack++; }
static void edit_window(test_seg *g) { g->window++; }
static void edit_no_options(test_seg *g) { g->opts_len = 0; }
static void edit_timestamp(test_seg *g)
{
    static const uint8_t later[12] = {1, 1, 8, 10, 0, 0, 1, 3, 0, 0, 3, 4};
    g->opts = later;
}
static void edit_ip_options(test_seg *g)
{
    static const uint8_t nops[4] = {1, 1, 1, 0};
    g->ip_opts = nops;
    g->ip_opts_len = sizeof(nops);
}
static void edit_id(test_seg *g) { g->id = (uint16_t)(g->id + 5); }
static void edit_df(test_seg *g) { g->df = !g->df; }

static void test_different_fields(void **state)
{
    (void)state;
    /* A packet that is no candidate (flags other than ACK/PSH/ECE/CWR, IP
     * options) ends the run and stays alone; one whose fields differ from
     * the run's starts a run of its own, which the next (with the old
     * fields) cannot join. Either way: 0-1, 2, 3-4. */
    static const seg_edit both[] = {
        edit_syn,    edit_fin,         edit_rst,       edit_urg,
        edit_no_ack, edit_ece,         edit_ttl,       edit_tos,
        edit_ecn_ect1, edit_ack,       edit_window,    edit_no_options,
        edit_timestamp, edit_flow_label,
    };
    for (int version = 4; version <= 6; version += 2) {
        test_flow f = test_flow_make(version, TEST_TCP, 0);
        test_seg s = tcp_seg();
        for (size_t e = 0; e < sizeof(both) / sizeof(both[0]); e++) {
            if (version == 4 && both[e] == edit_flow_label)
                continue;
            check_breaks_run(&f, &s, both[e], true);
        }
    }
    test_flow f = test_flow_make(4, TEST_TCP, 0);
    test_seg s = tcp_seg();
    check_breaks_run(&f, &s, edit_ip_options, true);
    check_breaks_run(&f, &s, edit_df, true);
    /* With DF the identification is not compared (RFC 6864, as Linux). */
    test_seg d = s;
    for (size_t i = 0; i < 5; i++) {
        test_seg g = test_segment(&d, i, 5, 1000);
        g.id = (uint16_t)(i * 77);
        add(&f, &g);
    }
    assert_int_equal(coalesce(0), 1);
    d.id = 0;
    expect_super(0, 0, &f, &d, 1000);
    reset();
    /* Without DF it must count up by one. */
    s.df = false;
    check_breaks_run(&f, &s, edit_id, true);
}

static void test_psh_ends_run(void **state)
{
    (void)state;
    test_flow f = test_flow_make(6, TEST_TCP, 0);
    test_seg s = tcp_seg();
    for (size_t i = 0; i < 5; i++) {
        test_seg g = test_segment(&s, i, 5, 1000);
        if (i == 1)
            g.flags |= TEST_PSH;
        add(&f, &g);
    }
    assert_int_equal(coalesce(0), 2);
    test_seg a = part(&s, 0, 2, 5, 1000), b = part(&s, 2, 3, 5, 1000);
    a.flags |= TEST_PSH;
    expect_super(0, 0, &f, &a, 1000);
    expect_super(1, 2, &f, &b, 1000);
    reset();
}

static void test_short_segment_ends_run(void **state)
{
    (void)state;
    test_flow f = test_flow_make(4, TEST_TCP, 0);
    test_seg s = tcp_seg();
    /* 1000, 1000, 500, then 1000 more: the short one ends the run. */
    test_seg g = s;
    size_t sizes[4] = {1000, 1000, 500, 1000};
    for (size_t i = 0; i < 4; i++) {
        g.payload_len = sizes[i];
        add(&f, &g);
        g.seq += (uint32_t)sizes[i];
        g.payload += sizes[i];
    }
    assert_int_equal(coalesce(0), 2);
    test_seg a = s;
    a.payload_len = 2500;
    expect_super(0, 0, &f, &a, 1000);
    expect_plain(1, 3);
    reset();

    /* A larger one after a smaller first: not merged. */
    g = s;
    g.payload_len = 500;
    add(&f, &g);
    g.seq += 500;
    g.payload_len = 1000;
    add(&f, &g);
    assert_int_equal(coalesce(0), 2);
    expect_plain(0, 0);
    expect_plain(1, 1);
    reset();
}

static void test_fragments(void **state)
{
    (void)state;
    test_flow f = test_flow_make(4, TEST_TCP, 0);
    test_seg s = tcp_seg();
    s.df = false;
    for (int variant = 0; variant < 2; variant++) {
        add_segments(&f, &s, 0, 5, 5, 1000);
        for (size_t i = 0; i < 5; i++) {
            uint8_t *p = bufs[i].data + OFFSET;
            if (variant == 0)
                p[6] |= 0x20; /* more fragments */
            else
                p[7] = 0x10; /* a fragment offset */
            test_put16(p + 10, 0);
            test_put16(p + 10, (uint16_t)~test_sum(p, 20, 0));
            memcpy(orig[i], p, orig_len[i]);
        }
        expect_no_merge(0);
    }
}

static void test_ip_options_never_merge(void **state)
{
    (void)state;
    test_flow f = test_flow_make(4, TEST_TCP, 0);
    test_seg s = tcp_seg();
    edit_ip_options(&s);
    add_segments(&f, &s, 0, 5, 5, 1000);
    expect_no_merge(0);
}

/* A pure ACK or a FIN of the flow closes its run; the order of the flow's
 * packets is kept. Packets of no flow (ICMP, not IP) pass. */
static void test_flow_order(void **state)
{
    (void)state;
    test_flow f = test_flow_make(4, TEST_TCP, 0);
    test_seg s = tcp_seg();
    add_segments(&f, &s, 0, 2, 5, 1000);
    test_seg ack = s;
    ack.payload_len = 0;
    add(&f, &ack);
    add_segments(&f, &s, 2, 4, 5, 1000);
    test_flow icmp = f;
    icmp.proto = 1;
    test_seg ping = {.payload = payload, .payload_len = 64};
    size_t len = test_build(packet, &icmp, &ping);
    add_raw(packet, len, 0);
    add_raw(payload, 3, 0); /* not IP at all */
    add_segments(&f, &s, 4, 5, 5, 1000);
    assert_int_equal(coalesce(0), 5);
    test_seg a = part(&s, 0, 2, 5, 1000), b = part(&s, 2, 3, 5, 1000);
    expect_super(0, 0, &f, &a, 1000);
    expect_plain(1, 2);
    expect_super(2, 3, &f, &b, 1000);
    expect_plain(3, 5);
    expect_plain(4, 6);
    reset();

    /* A FIN at the end: the data before it merges, the FIN goes after. */
    test_seg fin = s;
    fin.flags |= TEST_FIN;
    add_segments(&f, &fin, 0, 5, 5, 1000);
    assert_int_equal(coalesce(0), 2);
    a = part(&fin, 0, 4, 5, 1000);
    expect_super(0, 0, &f, &a, 1000);
    expect_plain(1, 4);
    reset();
}

/* ---- limits ---------------------------------------------------------------- */

static void test_64k_limit(void **state)
{
    (void)state;
    for (int version = 4; version <= 6; version += 2) {
        test_flow f = test_flow_make(version, TEST_TCP, 0);
        test_seg s = tcp_seg();
        size_t gso = 1448, n = 150;
        s.payload_len = gso * n;
        add_segments(&f, &s, 0, n, n, gso);
        size_t per = (65535 - test_hdrs_len(&f, &s)) / gso;
        size_t runs = (n + per - 1) / per;
        assert_int_equal(coalesce(0), runs);
        for (size_t r = 0; r < runs; r++) {
            size_t count = r + 1 < runs ? per : n - r * per;
            test_seg a = part(&s, r * per, count, n, gso);
            expect_super(r, r * per, &f, &a, gso);
        }
        reset();
    }
}

/* Buffers of exactly their packet's size merge whole: nothing is
 * appended to the first one. */
static void test_exact_buffers(void **state)
{
    (void)state;
    test_flow f = test_flow_make(4, TEST_TCP, 0);
    test_seg s = tcp_seg();
    for (size_t i = 0; i < 5; i++) {
        test_seg g = test_segment(&s, i, 5, 1000);
        size_t len = test_build(packet, &f, &g);
        add_raw(packet, len, OFFSET + len);
    }
    assert_int_equal(coalesce(0), 1);
    expect_super(0, 0, &f, &s, 1000);
    reset();
}

/* A run of tiny segments stops at TUN_GRO_SEGS_MAX packets, so that its
 * slices fit one writev(); the next packet starts a run. */
static void test_segs_max(void **state)
{
    (void)state;
    enum { SEGS = TUN_GRO_SEGS_MAX + 4, GSO = 16 };
    test_flow f = test_flow_make(4, TEST_TCP, 0);
    test_seg s = tcp_seg();
    s.payload_len = SEGS * GSO;
    size_t hdrs = test_hdrs_len(&f, &s), size = OFFSET + hdrs + GSO;
    uint8_t *block = malloc(SEGS * size);
    tun_buf *many = malloc(SEGS * sizeof(*many));
    tun_gro_table *t;
    assert_true(block && many);
    assert_int_equal(tun_gro_table_new(SEGS, &t), 0);
    for (size_t i = 0; i < SEGS; i++) {
        test_seg g = test_segment(&s, i, SEGS, GSO);
        many[i] = (tun_buf){block + i * size, size,
                            test_build(block + i * size + OFFSET, &f, &g)};
    }
    assert_int_equal(tun_offload_coalesce(t, many, SEGS, OFFSET, 0), 2);
    assert_int_equal(tun_offload_write_index(t, 0), 0);
    assert_int_equal(tun_offload_write_index(t, 1), TUN_GRO_SEGS_MAX);
    tun_slice slices[TUN_SLICES_MAX];
    assert_int_equal(tun_offload_write_slices(t, 0, slices), TUN_GRO_SEGS_MAX);
    assert_int_equal(tun_offload_write_slices(t, 1, slices), 4);
    for (size_t k = 0; k < 2; k++) {
        size_t from = tun_offload_write_index(t, k);
        size_t count = k ? 4 : TUN_GRO_SEGS_MAX;
        test_seg a = part(&s, from, count, SEGS, GSO);
        tun_vnet_hdr want;
        size_t len = test_build_super(expect, &f, &a, GSO, &want);
        assert_int_equal(tun_offload_write_gather(t, k, gathered_write,
                                                  sizeof(gathered_write)),
                         TUN_VNET_HDR_LEN + len);
        assert_memory_equal(gathered, expect, len);
    }
    tun_gro_table_free(t);
    free(many);
    free(block);
}

/* ---- corrupt and malformed packets ------------------------------------------ */

static void test_bad_checksums(void **state)
{
    (void)state;
    for (int proto = TEST_TCP; proto <= TEST_UDP; proto += TEST_UDP - TEST_TCP) {
        test_flow f = test_flow_make(6, proto, 0);
        test_seg s = tcp_seg();
        if (proto == TEST_UDP)
            s.opts_len = 0;
        size_t hdrs = test_hdrs_len(&f, &s);
        /* A corrupt packet inside a run goes alone and ends the run. */
        add_segments(&f, &s, 0, 5, 5, 1000);
        bufs[2].data[OFFSET + hdrs + 10] ^= 0x40;
        orig[2][hdrs + 10] ^= 0x40;
        assert_int_equal(coalesce(TUN_COALESCE_UDP), 3);
        test_seg a = part(&s, 0, 2, 5, 1000), b = part(&s, 3, 2, 5, 1000);
        expect_super(0, 0, &f, &a, 1000);
        expect_plain(1, 2);
        expect_super(2, 3, &f, &b, 1000);
        reset();

        /* A corrupt first packet: alone, the next starts the run. */
        add_segments(&f, &s, 0, 5, 5, 1000);
        bufs[0].data[OFFSET + hdrs] ^= 1;
        orig[0][hdrs] ^= 1;
        assert_int_equal(coalesce(TUN_COALESCE_UDP), 2);
        expect_plain(0, 0);
        b = part(&s, 1, 4, 5, 1000);
        expect_super(1, 1, &f, &b, 1000);
        reset();
    }
    /* A bad IPv4 header checksum: alone, and it ends the run. */
    test_flow f = test_flow_make(4, TEST_TCP, 0);
    test_seg s = tcp_seg();
    add_segments(&f, &s, 0, 5, 5, 1000);
    bufs[2].data[OFFSET + 11] ^= 1;
    orig[2][11] ^= 1;
    assert_int_equal(coalesce(0), 3);
    test_seg a = part(&s, 0, 2, 5, 1000), b = part(&s, 3, 2, 5, 1000);
    expect_super(0, 0, &f, &a, 1000);
    expect_plain(1, 2);
    expect_super(2, 3, &f, &b, 1000);
    reset();

    /* The same with every packet flagged partial: only the TCP/UDP
     * checksum goes unverified, the IPv4 header checksum (checked from the
     * sum the packets before it share) still keeps it out of the run. */
    add_segments(&f, &s, 0, 5, 5, 1000);
    bufs[2].data[OFFSET + 11] ^= 1;
    uint8_t pflags[5];
    memset(pflags, TUN_PACKET_CSUM_PARTIAL, sizeof(pflags));
    assert_int_equal(tun_offload_coalesce_flagged(table, bufs, pflags, nbufs,
                                                  OFFSET, 0),
                     3);
    assert_int_equal(tun_offload_write_index(table, 0), 0);
    assert_int_equal(tun_offload_write_index(table, 1), 2);
    assert_int_equal(tun_offload_write_index(table, 2), 3);
    reset();
}

/* A change to a valid packet that makes it malformed. */
typedef void (*pkt_edit)(uint8_t *p, size_t *len);

static void total_length_long(uint8_t *p, size_t *len)
{
    test_put16(p + 2, (uint32_t)*len + 1);
}
static void total_length_short(uint8_t *p, size_t *len)
{
    test_put16(p + 2, (uint32_t)*len - 1);
}
static void truncated(uint8_t *p, size_t *len)
{
    (void)p;
    *len -= 1;
}
static void ihl_4(uint8_t *p, size_t *len)
{
    (void)len;
    p[0] = 0x44;
}
static void ihl_15(uint8_t *p, size_t *len)
{
    (void)len;
    p[0] = 0x4f;
}
static void version_0(uint8_t *p, size_t *len)
{
    (void)len;
    p[0] = 0x05;
}
static void doff_4(uint8_t *p, size_t *len)
{
    (void)len;
    p[20 + 12] = 4 << 4;
}
static void doff_15(uint8_t *p, size_t *len)
{
    test_put16(p + 2, 20 + 40);
    p[20 + 12] = 15 << 4;
    *len = 20 + 40;
}
static void headers_only_20(uint8_t *p, size_t *len)
{
    test_put16(p + 2, 20);
    *len = 20;
}

static void test_malformed(void **state)
{
    (void)state;
    static const pkt_edit edits[] = {
        total_length_long, total_length_short, truncated, ihl_4,
        ihl_15,            version_0,          doff_4,    doff_15,
        headers_only_20,
    };
    test_flow f = test_flow_make(4, TEST_TCP, 0);
    test_seg s = tcp_seg();
    test_seg a = part(&s, 0, 2, 5, 1000);
    for (size_t e = 0; e < sizeof(edits) / sizeof(edits[0]); e++) {
        add_segments(&f, &s, 0, 1, 5, 1000);
        test_seg g = test_segment(&s, 1, 5, 1000);
        size_t len = test_build(packet, &f, &g);
        edits[e](packet, &len);
        add_raw(packet, len, OFFSET + len);
        add_segments(&f, &s, 1, 2, 5, 1000);
        /* Not of any flow the table knows: sent as it is, and the packets
         * around it merge. */
        assert_int_equal(coalesce(0), 2);
        expect_super(0, 0, &f, &a, 1000);
        expect_plain(1, 1);
        reset();
    }
    /* Every prefix of IPv4/IPv6 TCP/UDP packets, and an empty one. */
    for (int version = 4; version <= 6; version += 2)
        for (int proto = TEST_TCP; proto <= TEST_UDP;
             proto += TEST_UDP - TEST_TCP) {
            test_flow g = test_flow_make(version, proto, 0);
            test_seg t = tcp_seg();
            t.payload_len = 100;
            size_t len = test_build(packet, &g, &t);
            for (size_t cut = 0; cut < len; cut++) {
                add_raw(packet, cut, OFFSET + cut);
                expect_no_merge(TUN_COALESCE_UDP);
            }
        }
}

static void test_arguments(void **state)
{
    (void)state;
    test_flow f = test_flow_make(4, TEST_TCP, 0);
    test_seg s = tcp_seg();
    add_segments(&f, &s, 0, 3, 5, 1000);
    assert_int_equal(tun_offload_coalesce(NULL, bufs, 3, OFFSET, 0), TUN_EINVAL);
    assert_int_equal(tun_offload_coalesce(table, NULL, 3, OFFSET, 0), TUN_EINVAL);
    assert_int_equal(tun_offload_coalesce(table, bufs, 3, TUN_VNET_HDR_LEN - 1, 0),
                     TUN_EINVAL);
    assert_int_equal(tun_offload_coalesce(table, bufs, MAX_PKTS + 1, OFFSET, 0),
                     TUN_EINVAL);
    bufs[2].len = bufs[2].capacity - OFFSET + 1;
    assert_int_equal(tun_offload_coalesce(table, bufs, 3, OFFSET, 0), TUN_EINVAL);
    bufs[2].len = orig_len[2];
    bufs[1].capacity = OFFSET - 1;
    assert_int_equal(tun_offload_coalesce(table, bufs, 3, OFFSET, 0), TUN_EINVAL);
    bufs[1].capacity = CAP;
    uint8_t *data = bufs[1].data;
    bufs[1].data = NULL;
    assert_int_equal(tun_offload_coalesce(table, bufs, 3, OFFSET, 0), TUN_EINVAL);
    bufs[1].data = data;
    /* Nothing was written: the batch still merges as it should. */
    assert_int_equal(coalesce(0), 1);
    test_seg a = part(&s, 0, 3, 5, 1000);
    expect_super(0, 0, &f, &a, 1000);
    assert_int_equal(tun_offload_coalesce(table, NULL, 0, OFFSET, 0), 0);
    reset();
    /* The writes' accessors, with no table or no such write. */
    tun_slice slices[TUN_SLICES_MAX];
    assert_int_equal(tun_offload_write_index(NULL, 0), SIZE_MAX);
    assert_int_equal(tun_offload_write_index(table, 0), SIZE_MAX);
    assert_int_equal(tun_offload_write_slices(NULL, 0, slices), 0);
    assert_int_equal(tun_offload_write_slices(table, 0, slices), 0);
    assert_int_equal(tun_offload_write_gather(NULL, 0, gathered_write,
                                              sizeof(gathered_write)),
                     TUN_EINVAL);
    assert_int_equal(tun_offload_write_failed(NULL, 0), 0);
    assert_int_equal(tun_offload_write_failed(table, 0), 0);

    tun_gro_table *t;
    assert_int_equal(tun_gro_table_new(0, &t), TUN_EINVAL);
    assert_int_equal(tun_gro_table_new(65537, &t), TUN_EINVAL);
    assert_int_equal(tun_gro_table_new(1, NULL), TUN_EINVAL);
    assert_int_equal(tun_gro_table_new(1, &t), 0);
    assert_int_equal(tun_gro_table_capacity(t), 1);
    tun_gro_table_free(t);
    tun_gro_table_free(NULL);
}

/* Nothing of one call stays in the table for the next. */
static void test_table_reuse(void **state)
{
    (void)state;
    test_flow f = test_flow_make(4, TEST_TCP, 0);
    test_seg s = tcp_seg();
    add_segments(&f, &s, 0, 2, 5, 1000);
    assert_int_equal(coalesce(0), 1);
    reset();
    add_segments(&f, &s, 2, 5, 5, 1000);
    assert_int_equal(coalesce(0), 1);
    test_seg b = part(&s, 2, 3, 5, 1000);
    expect_super(0, 0, &f, &b, 1000);
    reset();
}

/* ---- round trips ------------------------------------------------------------ */

/* Split super-packet p (len bytes, header vh) into the scratch buffers at
 * offset 0; returns the count. */
static size_t split(const tun_vnet_hdr *vh, const uint8_t *p, size_t len)
{
    int n = tun_gso_split(vh, p, len, scratch, SCRATCH_PKTS, 0);
    if (n < 0)
        fail_msg("tun_gso_split: %s: %s", tun_err_name(n), tun_last_error());
    return (size_t)n;
}

/* coalesce(split(x)) == x for super-packets of every kind. */
static void test_coalesce_of_split(void **state)
{
    (void)state;
    static const size_t sizes[] = {1, 2, 536, 999, 1000, 1448, 8000, 9000};
    static uint8_t super[65536];
    uint64_t rng = 5;
    for (int version = 4; version <= 6; version += 2)
        for (int proto = TEST_TCP; proto <= TEST_UDP;
             proto += TEST_UDP - TEST_TCP)
            for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++)
                for (int variant = 0; variant < 4; variant++) {
                    test_flow f = test_flow_make(version, proto, 0);
                    test_seg s = tcp_seg();
                    size_t gso = sizes[k];
                    size_t max_segs = proto == TEST_UDP ? 64 : SCRATCH_PKTS;
                    size_t hdrs = test_hdrs_len(&f, &s);
                    size_t room = 65535 - hdrs;
                    if (room / gso < 2)
                        continue;
                    size_t segs = 2 + test_rand(&rng) % (max_segs - 1);
                    if (segs > room / gso)
                        segs = room / gso;
                    s.payload_len = gso * segs - test_rand(&rng) % gso;
                    s.seq = test_rand(&rng);
                    s.id = (uint16_t)test_rand(&rng);
                    s.df = variant & 1;
                    s.tos = (uint8_t)(variant * 0x41);
                    if (variant & 2)
                        s.flags |= TEST_PSH | TEST_CWR | TEST_ECE;
                    if (proto == TEST_UDP || variant == 3)
                        s.opts_len = 0;
                    tun_vnet_hdr vh;
                    size_t len = test_build_super(super, &f, &s, gso, &vh);
                    size_t n = split(&vh, super, len);
                    for (size_t i = 0; i < n; i++)
                        add_raw(scratch[i].data, scratch[i].len, 0);
                    assert_int_equal(coalesce(TUN_COALESCE_UDP), 1);
                    expect_super(0, 0, &f, &s, gso);
                    reset();
                }
}

/* A random batch: several flows of each kind interleaved, segments of
 * random sizes with now and then a short one, PSH, CWR, a pure ACK, a
 * lost segment. Returns the number of flows; flow_of[i] names packet i's. */
static size_t random_batch(uint64_t *rng, size_t *flow_of)
{
    enum { FLOWS = 6 };
    test_flow flows[FLOWS];
    test_seg next[FLOWS];
    size_t gso[FLOWS];
    for (size_t k = 0; k < FLOWS; k++) {
        flows[k] = test_flow_make(k % 4 < 2 ? 4 : 6,
                                  k % 2 ? TEST_UDP : TEST_TCP, (uint16_t)k);
        next[k] = tcp_seg();
        next[k].seq = test_rand(rng);
        next[k].id = (uint16_t)test_rand(rng);
        next[k].df = test_rand(rng) & 1;
        next[k].payload = payload + k * 524288;
        if (flows[k].proto == TEST_UDP || test_rand(rng) % 2)
            next[k].opts_len = 0;
        gso[k] = 1 + test_rand(rng) % 1500;
    }
    size_t count = 64 + test_rand(rng) % (MAX_PKTS - 64);
    for (size_t i = 0; i < count; i++) {
        size_t k = test_rand(rng) % FLOWS;
        test_seg g = next[k];
        uint32_t dice = test_rand(rng) % 100;
        g.payload_len = dice < 10 ? 1 + test_rand(rng) % gso[k] : gso[k];
        if (dice >= 10 && dice < 13)
            g.flags |= TEST_PSH;
        if (dice >= 13 && dice < 15)
            g.flags |= TEST_CWR;
        if (dice >= 15 && dice < 18 && flows[k].proto == TEST_TCP)
            g.payload_len = 0;
        flow_of[nbufs] = k;
        add(&flows[k], &g);
        if (dice >= 18 && dice < 20)
            next[k].seq += 1000; /* a gap */
        next[k].seq += (uint32_t)g.payload_len;
        next[k].id++;
        next[k].payload += g.payload_len;
    }
    return FLOWS;
}

/* split(coalesce(batch)) == batch, as seen by each flow: the packets of a
 * flow come back in their order, byte for byte. */
static void test_split_of_coalesce(void **state)
{
    (void)state;
    static size_t flow_of[MAX_PKTS];
    static uint8_t super[65536];
    uint64_t rng = 77;
    size_t packets = 0, sent = 0;
    for (int round = 0; round < 200; round++) {
        size_t flows = random_batch(&rng, flow_of);
        size_t next[8] = {0}; /* per flow: the batch index to compare next */
        size_t n = coalesce(TUN_COALESCE_UDP);
        packets += nbufs;
        sent += n;
        for (size_t k = 0; k < n; k++) {
            const tun_buf *b = &bufs[out[k]];
            size_t flow = flow_of[out[k]];
            tun_vnet_hdr vh;
            tun_vnet_hdr_decode(&vh, b->data + OFFSET - TUN_VNET_HDR_LEN);
            size_t len = gather(out[k]);
            memcpy(super, gathered, len);
            size_t segs = split(&vh, super, len);
            for (size_t i = 0; i < segs; i++) {
                size_t *at = &next[flow];
                while (*at < nbufs && flow_of[*at] != flow)
                    ++*at;
                assert_true(*at < nbufs);
                assert_int_equal(scratch[i].len, orig_len[*at]);
                assert_memory_equal(scratch[i].data, orig[*at],
                                    orig_len[*at]);
                ++*at;
            }
        }
        for (size_t flow = 0; flow < flows; flow++) {
            while (next[flow] < nbufs && flow_of[next[flow]] != flow)
                next[flow]++;
            assert_int_equal(next[flow], nbufs); /* nothing missing */
        }
        reset();
    }
    print_message("%zu packets went out as %zu\n", packets, sent);
    assert_true(sent * 2 < packets); /* the batches did merge */
}

/* ---- reordering ------------------------------------------------------------ */

/* Whether the split segment s (len bytes, checksums right) is packet o of
 * the batch: byte for byte, but for the identification (and so the header
 * checksum) of an IPv4 packet with DF, which GRO does not keep (RFC 6864,
 * as Linux). */
static bool same_packet(const uint8_t *s, const uint8_t *o, size_t len)
{
    if (!test_checksums_ok(s, len))
        return false;
    bool any_id = len >= 20 && o[0] >> 4 == 4 && (o[6] & 0x40);
    for (size_t i = 0; i < len; i++)
        if (s[i] != o[i] &&
            !(any_id && (i == 4 || i == 5 || i == 10 || i == 11)))
            return false;
    return true;
}

/* Coalesce the batch, then split every write again as a receiver's kernel
 * would: each packet of the batch must come back exactly once, byte for
 * byte (same_packet()), in whatever order. Returns the number of
 * writes. */
static size_t coalesce_and_match(void)
{
    static bool seen[MAX_PKTS];
    static uint8_t super[65536];
    size_t n = coalesce(TUN_COALESCE_UDP);
    memset(seen, 0, sizeof(seen));
    for (size_t k = 0; k < n; k++) {
        tun_vnet_hdr vh;
        tun_vnet_hdr_decode(&vh, bufs[out[k]].data + OFFSET - TUN_VNET_HDR_LEN);
        size_t len = gather(out[k]);
        memcpy(super, gathered, len);
        size_t segs = split(&vh, super, len);
        for (size_t s = 0; s < segs; s++) {
            size_t i = 0;
            while (i < nbufs &&
                   (seen[i] || orig_len[i] != scratch[s].len ||
                    !same_packet(scratch[s].data, orig[i], orig_len[i])))
                i++;
            if (i == nbufs)
                fail_msg("write %zu, segment %zu: no such packet in the "
                         "batch (or one seen twice)", k, s);
            seen[i] = true;
        }
    }
    for (size_t i = 0; i < nbufs; i++)
        assert_true(seen[i]);
    return n;
}

enum order { IN_ORDER, REVERSED, SWAPPED, SHUFFLED, ORDERS };

/* One packet of a test batch: segment `seg` of flow `flow`. */
struct item {
    size_t flow, seg;
};

/* Put the n items, given in order, in the order o. SWAPPED exchanges each
 * pair of neighbours; SHUFFLED is a Fisher-Yates shuffle. */
static void reorder(struct item *items, size_t n, enum order o, uint64_t *rng)
{
    for (size_t i = 0; o == REVERSED && i < n / 2; i++) {
        struct item x = items[i];
        items[i] = items[n - 1 - i];
        items[n - 1 - i] = x;
    }
    for (size_t i = 0; o == SWAPPED && i + 1 < n; i += 2) {
        struct item x = items[i];
        items[i] = items[i + 1];
        items[i + 1] = x;
    }
    for (size_t i = n; o == SHUFFLED && i > 1; i--) {
        size_t j = test_rand(rng) % i;
        struct item x = items[i - 1];
        items[i - 1] = items[j];
        items[j] = x;
    }
}

/* Flows f[0..nflows), flow k the super-packet s[k] cut into segments of gso
 * bytes, interleaved in turn, then put in order o; returns the number of
 * writes they make (every packet checked to come back). */
static size_t reordered_writes(const test_flow *f, const test_seg *s,
                               size_t nflows, size_t gso, enum order o,
                               uint64_t *rng)
{
    static struct item items[MAX_PKTS];
    size_t n = 0, segs[4];
    for (size_t k = 0; k < nflows; k++)
        segs[k] = (s[k].payload_len + gso - 1) / gso;
    for (size_t i = 0;; i++) {
        size_t before = n;
        for (size_t k = 0; k < nflows; k++)
            if (i < segs[k]) {
                assert_true(n < MAX_PKTS);
                items[n++] = (struct item){k, i};
            }
        if (n == before)
            break;
    }
    reorder(items, n, o, rng);
    for (size_t i = 0; i < n; i++) {
        size_t k = items[i].flow;
        test_seg g = test_segment(&s[k], items[i].seg, segs[k], gso);
        add(&f[k], &g);
    }
    size_t writes = coalesce_and_match();
    reset();
    return writes;
}

/* A batch reordered on the way (reversed, neighbours swapped, shuffled)
 * makes as many writes as the same batch in order, and every packet comes
 * back from them: IPv4 with and without DF (the identification counts up
 * in order of sequence numbers), IPv6, a short last segment, PSH on the
 * last and CWR on the first, the 64 KiB limit, several flows at once. */
static void test_reordered_batches(void **state)
{
    (void)state;
    uint64_t rng = 2024;
    static const struct {
        int version;
        bool df;
        uint8_t flags;
        size_t gso, payload_len, nflows;
    } cases[] = {
        {4, true, 0, 1000, 4500, 1},
        {4, false, 0, 1000, 4500, 1},
        {6, false, 0, 1000, 5000, 1},
        {4, true, TEST_PSH, 1448, 20000, 1},
        {6, false, TEST_PSH | TEST_CWR | TEST_ECE, 1448, 30000, 1},
        {4, false, TEST_CWR, 700, 14000, 1},
        {4, true, 0, 1448, 1448 * 150, 1},  /* four runs of the 64 KiB cap */
        {6, false, 0, 1448, 1448 * 100, 1}, /* three */
        {4, true, 0, 1000, 40000, 3},
        {6, true, TEST_PSH, 512, 20000, 4},
    };
    for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
        test_flow f[4];
        test_seg s[4];
        for (size_t k = 0; k < cases[c].nflows; k++) {
            f[k] = test_flow_make(k % 2 ? 10 - cases[c].version
                                        : cases[c].version,
                                  TEST_TCP, (uint16_t)k);
            s[k] = tcp_seg();
            s[k].seq = test_rand(&rng);
            s[k].id = (uint16_t)test_rand(&rng);
            s[k].df = cases[c].df;
            s[k].flags |= cases[c].flags;
            s[k].payload = payload + k * 262144;
            s[k].payload_len = cases[c].payload_len;
        }
        size_t gso = cases[c].gso, nflows = cases[c].nflows;
        size_t ordered = reordered_writes(f, s, nflows, gso, IN_ORDER, &rng);
        for (enum order o = REVERSED; o < ORDERS; o++)
            for (int round = 0; round < (o == SHUFFLED ? 20 : 1); round++) {
                size_t writes = reordered_writes(f, s, nflows, gso, o, &rng);
                if (writes != ordered)
                    fail_msg("case %zu, order %d: %zu writes, in order %zu",
                             c, (int)o, writes, ordered);
            }
    }
}

/* A reversed run goes out at its earliest packet in the batch with the
 * headers of its lowest sequence number: exactly the super-packet Linux
 * would have sent. */
static void test_reversed_run_headers(void **state)
{
    (void)state;
    for (int df = 0; df <= 1; df++) {
        test_flow f = test_flow_make(4, TEST_TCP, 0);
        test_seg s = tcp_seg();
        s.df = df;
        s.flags |= TEST_PSH | TEST_CWR;
        static const size_t reversed[] = {4, 3, 2, 1, 0};
        add_segments_in(&f, &s, reversed, 5, 5, 1000);
        assert_int_equal(coalesce(0), 1);
        expect_super(0, 0, &f, &s, 1000);
        reset();
    }
    /* The earliest packet in the middle: its own payload goes in its
     * place, behind the headers it was given. */
    test_flow f = test_flow_make(6, TEST_TCP, 0);
    test_seg s = tcp_seg();
    static const size_t order[] = {2, 0, 4, 1, 3};
    add_segments_in(&f, &s, order, 5, 5, 1000);
    assert_int_equal(coalesce(0), 1);
    expect_super(0, 0, &f, &s, 1000);
    tun_slice slices[TUN_SLICES_MAX];
    assert_int_equal(tun_offload_write_slices(table, 0, slices), 6);
    assert_int_equal(slices[0].len, TUN_VNET_HDR_LEN + test_hdrs_len(&f, &s));
    assert_int_equal(tun_offload_write_failed(table, 0), 0);
    assert_memory_equal(bufs[0].data + OFFSET, orig[0], orig_len[0]);
    reset();
}

/* Packets of the flow that cannot join stay barriers when the data around
 * them is reordered: nothing merges across a pure ACK, and it goes out
 * between the data before and after it. */
static void test_reordered_barrier(void **state)
{
    (void)state;
    test_flow f = test_flow_make(4, TEST_TCP, 0);
    test_seg s = tcp_seg();
    s.payload_len = 4000;
    test_seg ack = s;
    ack.payload_len = 0;
    static const size_t before[] = {1, 0}, after[] = {3, 2};
    add_segments_in(&f, &s, before, 2, 4, 1000);
    add(&f, &ack);
    add_segments_in(&f, &s, after, 2, 4, 1000);
    assert_int_equal(coalesce(0), 3);
    test_seg a = part(&s, 0, 2, 4, 1000), b = part(&s, 2, 2, 4, 1000);
    expect_super(0, 0, &f, &a, 1000);
    expect_plain(1, 2);
    expect_super(2, 3, &f, &b, 1000);
    reset();

    /* Segments 1 and 2 on either side of the ACK: none merges. */
    static const size_t split_order[] = {2, 0, 1, 3};
    add_segments_in(&f, &s, split_order, 2, 4, 1000);
    add(&f, &ack);
    add_segments_in(&f, &s, split_order + 2, 2, 4, 1000);
    assert_int_equal(coalesce(0), 5);
    reset();
}

/* Shuffle the batch (Fisher-Yates), each packet with its copy, its buffer
 * and flow_of[] entry. */
static void shuffle_batch(uint64_t *rng, size_t *flow_of)
{
    for (size_t i = nbufs; i > 1; i--) {
        size_t j = test_rand(rng) % i;
#define SWAP(type, a, b) do { type x_ = a; a = b; b = x_; } while (0)
        SWAP(tun_buf, bufs[i - 1], bufs[j]);
        SWAP(uint8_t *, full[i - 1], full[j]);
        SWAP(uint8_t *, orig[i - 1], orig[j]);
        SWAP(size_t, orig_len[i - 1], orig_len[j]);
        SWAP(size_t, flow_of[i - 1], flow_of[j]);
#undef SWAP
    }
}

/* Random batches shuffled (flows, pure ACKs, gaps, short segments, PSH and
 * CWR in any order): every packet comes back exactly once from the
 * writes. */
static void test_shuffled_random_batches(void **state)
{
    (void)state;
    static size_t flow_of[MAX_PKTS];
    uint64_t rng = 4242;
    size_t packets = 0, sent = 0;
    for (int round = 0; round < 100; round++) {
        random_batch(&rng, flow_of);
        shuffle_batch(&rng, flow_of);
        packets += nbufs;
        sent += coalesce_and_match();
        reset();
    }
    print_message("%zu shuffled packets went out as %zu\n", packets, sent);
    assert_true(sent * 2 < packets); /* they did merge */
}

/* tun_offload_write_failed(): when write k fails, the batch from write k's
 * packet on is as before the call (the heads of unwritten super-packets
 * get their headers back; merged packets were never touched), but for the
 * packets that went out in an earlier write, now of length 0. From write 0,
 * the whole batch comes back. */
static void test_write_failed(void **state)
{
    (void)state;
    static size_t flow_of[MAX_PKTS];
    uint64_t rng = 99;
    for (int round = 0; round < 100; round++) {
        random_batch(&rng, flow_of);
        if (round % 4 >= 2) /* heads that are not their runs' first */
            shuffle_batch(&rng, flow_of);
        size_t n = coalesce(TUN_COALESCE_UDP);
        size_t k = round % 2 ? test_rand(&rng) % n : 0;
        size_t at = tun_offload_write_failed(table, k);
        assert_int_equal(at, out[k]);
        for (size_t i = 0; i < nbufs; i++) {
            if (i < at)
                continue; /* went out */
            if (i > at && tun_gro_sent_with(table, i) < at) {
                assert_int_equal(bufs[i].len, 0);
                continue;
            }
            assert_int_equal(bufs[i].len, orig_len[i]);
            assert_memory_equal(bufs[i].data + OFFSET, orig[i], orig_len[i]);
        }
        /* The writes from k on are gone. */
        assert_int_equal(tun_offload_write_index(table, k), SIZE_MAX);
        assert_int_equal(tun_offload_write_failed(table, k), nbufs);
        reset();
    }
}


/* A super-packet of tcp_seg() (no TCP options for UDP) of the flow of
 * that version and protocol, as Linux hands it over, in super_pkt, with
 * 1000-byte segments; its header from the wire in wire. Returns its
 * length. */
static uint8_t super_pkt[65536];
static uint8_t *const super = super_pkt;

static size_t flow_super(int version, int proto, test_flow *f, test_seg *s,
                         uint8_t *wire)
{
    *f = test_flow_make(version, proto, 0);
    *s = tcp_seg();
    if (proto == TEST_UDP)
        s->opts_len = 0;
    tun_vnet_hdr vh;
    size_t len = test_build_super(super, f, s, 1000, &vh);
    tun_vnet_hdr_encode(wire, &vh);
    return len;
}

/* Checksums carried end to end: segments split with their partial
 * checksums kept merge without verification into the super-packet the
 * kernel handed over (by default the same batch fails verification and
 * nothing merges); a flagged packet alone goes out asking the kernel to
 * finish its checksum; a flagged packet that is not TCP/UDP goes out
 * behind a zero header. */
static void test_partial_checksums(void **state)
{
    (void)state;
    uint8_t pflags[SCRATCH_PKTS];
    for (int version = 4; version <= 6; version += 2)
        for (int proto = TEST_TCP; proto <= TEST_UDP;
             proto += TEST_UDP - TEST_TCP) {
            test_flow f;
            test_seg s;
            uint8_t wire[TUN_VNET_HDR_LEN];
            size_t len = flow_super(version, proto, &f, &s, wire);
            int n = tun_offload_split_flagged(wire, super, len, 0, scratch,
                                              pflags, SCRATCH_PKTS, 0, NULL);
            assert_int_equal(n, 5);
            for (int i = 0; i < n; i++) {
                assert_int_equal(pflags[i], TUN_PACKET_CSUM_PARTIAL);
                add_raw(scratch[i].data, scratch[i].len, 0);
            }
            assert_int_equal(coalesce_flagged(TUN_COALESCE_UDP, pflags), 1);
            expect_super(0, 0, &f, &s, 1000);
            reset();
            /* The default verifies, and partial checksums fail. */
            for (int i = 0; i < n; i++)
                add_raw(scratch[i].data, scratch[i].len, 0);
            expect_no_merge(TUN_COALESCE_UDP);
            /* Alone: the kernel is asked to finish the checksum. */
            add_raw(scratch[4].data, scratch[4].len, 0);
            assert_int_equal(coalesce_flagged(TUN_COALESCE_UDP, pflags), 1);
            tun_vnet_hdr got;
            tun_vnet_hdr_decode(&got, bufs[0].data + OFFSET - TUN_VNET_HDR_LEN);
            size_t l3 = version == 4 ? 20 : 40;
            assert_int_equal(got.flags, TUN_VNET_F_NEEDS_CSUM);
            assert_int_equal(got.gso_type, TUN_VNET_GSO_NONE);
            assert_int_equal(got.csum_start, l3);
            assert_int_equal(got.csum_offset, proto == TEST_TCP ? 16 : 6);
            reset();
        }
    /* Flagged but not TCP/UDP: sent as it is. */
    memset(packet, 0, 60);
    add_raw(packet, 60, 0);
    assert_int_equal(coalesce_flagged(0, pflags), 1);
    expect_plain(0, 0);
    reset();
}

/* Copy-free segments: a super-packet split with
 * tun_offload_split_slices() (headers in small buffers, payloads left in
 * it), with and without partial checksums, coalesces into the super-packet
 * again, written as its headers and one payload slice (the payloads lie
 * end to end); shuffled too, and with one payload moved elsewhere. Mixed with a packet whole in its buffer, and
 * after a failed write every packet that went out has length 0 in its
 * buffer and its payload slice. */
static void test_coalesce_slices(void **state)
{
    (void)state;
    static uint8_t hdr_data[SCRATCH_PKTS][OFFSET + 128];
    static uint8_t moved[2048];
    tun_buf hb[SCRATCH_PKTS];
    tun_slice pl[SCRATCH_PKTS];
    uint8_t pflags[SCRATCH_PKTS];
    for (int version = 4; version <= 6; version += 2)
        for (int proto = TEST_TCP; proto <= TEST_UDP;
             proto += TEST_UDP - TEST_TCP)
            for (int partial = 0; partial < 2; partial++) {
                test_flow f;
                test_seg s;
                uint8_t wire[TUN_VNET_HDR_LEN];
                size_t len = flow_super(version, proto, &f, &s, wire);
                for (size_t i = 0; i < SCRATCH_PKTS; i++)
                    hb[i] = (tun_buf){hdr_data[i], sizeof(hdr_data[i]), 0};
                int n = tun_offload_split_slices(wire, super, len, 0, hb, pl,
                                                 partial ? pflags : NULL,
                                                 SCRATCH_PKTS, OFFSET, NULL);
                assert_int_equal(n, 5);
                /* TCP: the first two and the last two swapped (UDP merges
                 * in batch order only). */
                for (size_t i = 0; proto == TEST_TCP && i < 5; i += 3) {
                    tun_buf tb = hb[i];
                    hb[i] = hb[i + 1];
                    hb[i + 1] = tb;
                    tun_slice ts = pl[i];
                    pl[i] = pl[i + 1];
                    pl[i + 1] = ts;
                }
                assert_int_equal(tun_offload_coalesce_slices(
                                     table, hb, pl, partial ? pflags : NULL,
                                     5, OFFSET, TUN_COALESCE_UDP),
                                 1);
                tun_slice sl[TUN_SLICES_MAX];
                assert_int_equal(tun_offload_write_slices(table, 0, sl), 2);
                assert_ptr_equal(sl[1].data, super + len - 4500);
                assert_int_equal(sl[1].len, 4500);
                int got = tun_offload_write_gather(table, 0, gathered_write,
                                                   sizeof(gathered_write));
                assert_int_equal(got, TUN_VNET_HDR_LEN + len);
                tun_vnet_hdr want;
                test_build_super(expect, &f, &s, 1000, &want);
                assert_memory_equal(gathered, expect, len);
                /* A segment's payload moved elsewhere (the same bytes):
                 * the write takes it as a slice between the others. */
                assert_int_equal(tun_offload_split_slices(
                                     wire, super, len, 0, hb, pl,
                                     partial ? pflags : NULL, SCRATCH_PKTS,
                                     OFFSET, NULL),
                                 5);
                memcpy(moved, pl[2].data, pl[2].len);
                pl[2].data = moved;
                assert_int_equal(tun_offload_coalesce_slices(
                                     table, hb, pl, partial ? pflags : NULL,
                                     5, OFFSET, TUN_COALESCE_UDP),
                                 1);
                assert_int_equal(tun_offload_write_slices(table, 0, sl), 4);
                assert_ptr_equal(sl[2].data, moved);
                assert_int_equal(sl[2].len, pl[2].len);
                assert_int_equal(tun_offload_write_gather(
                                     table, 0, gathered_write,
                                     sizeof(gathered_write)),
                                 TUN_VNET_HDR_LEN + len);
                assert_memory_equal(gathered, expect, len);
            }
    /* A packet whole in its buffer, then a flow's two segments cut
     * copy-free: two writes; the second fails, and the segments that went
     * out in it are given back; a packet alone is its bytes and its
     * payload slice. */
    test_flow f = test_flow_make(4, TEST_TCP, 0);
    test_seg s = tcp_seg();
    s.payload_len = 2000;
    tun_vnet_hdr vh;
    uint8_t wire[TUN_VNET_HDR_LEN];
    size_t len = test_build_super(super, &f, &s, 1000, &vh);
    tun_vnet_hdr_encode(wire, &vh);
    for (size_t i = 0; i < 3; i++)
        hb[i] = (tun_buf){hdr_data[i], sizeof(hdr_data[i]), 0};
    test_flow other = test_flow_make(6, TEST_UDP, 1);
    test_seg u = {.payload = payload, .payload_len = 40};
    hb[0].len = test_build(hdr_data[0] + OFFSET, &other, &u);
    pl[0] = (tun_slice){NULL, 0};
    assert_int_equal(tun_offload_split_slices(wire, super, len, 0, hb + 1,
                                              pl + 1, NULL, 2, OFFSET, NULL),
                     2);
    assert_int_equal(tun_offload_coalesce_slices(table, hb, pl, NULL, 3,
                                                 OFFSET, 0),
                     2);
    tun_slice sl[TUN_SLICES_MAX];
    assert_int_equal(tun_offload_write_slices(table, 0, sl), 1);
    assert_int_equal(sl[0].len, TUN_VNET_HDR_LEN + hb[0].len);
    assert_int_equal(tun_offload_write_index(table, 1), 1);
    assert_int_equal(tun_offload_write_failed(table, 1), 1);
    assert_int_equal(pl[2].len, 1000); /* written with 1: given back */
    /* With only the second segment: alone, header and payload slice. */
    assert_int_equal(tun_offload_coalesce_slices(table, hb + 2, pl + 2, NULL,
                                                 1, OFFSET, 0),
                     1);
    assert_int_equal(tun_offload_write_slices(table, 0, sl), 2);
    assert_ptr_equal(sl[1].data, pl[2].data);
    /* A payload slice of NULL data is refused. */
    pl[2].data = NULL;
    assert_int_equal(tun_offload_coalesce_slices(table, hb + 2, pl + 2, NULL,
                                                 1, OFFSET, 0),
                     TUN_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same_flow),
        cmocka_unit_test(test_tiny_segments),
        cmocka_unit_test(test_ecn),
        cmocka_unit_test(test_interleaved_flows),
        cmocka_unit_test(test_udp),
        cmocka_unit_test(test_sequence_gap),
        cmocka_unit_test(test_different_fields),
        cmocka_unit_test(test_psh_ends_run),
        cmocka_unit_test(test_short_segment_ends_run),
        cmocka_unit_test(test_fragments),
        cmocka_unit_test(test_ip_options_never_merge),
        cmocka_unit_test(test_flow_order),
        cmocka_unit_test(test_64k_limit),
        cmocka_unit_test(test_exact_buffers),
        cmocka_unit_test(test_segs_max),
        cmocka_unit_test(test_bad_checksums),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_arguments),
        cmocka_unit_test(test_table_reuse),
        cmocka_unit_test(test_coalesce_of_split),
        cmocka_unit_test(test_split_of_coalesce),
        cmocka_unit_test(test_reordered_batches),
        cmocka_unit_test(test_reversed_run_headers),
        cmocka_unit_test(test_reordered_barrier),
        cmocka_unit_test(test_shuffled_random_batches),
        cmocka_unit_test(test_write_failed),
        cmocka_unit_test(test_partial_checksums),
        cmocka_unit_test(test_coalesce_slices),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
