/* GRO coalescing of an arbitrary sequence of packets.
 *
 * Input: a flags byte (bit 0: merge UDP too; bits 1-2: the order the
 * packets are handed over in: 0 as given, 1 reversed, 2 each pair of
 * neighbours swapped, 3 both, so that seeds of a flow in order reach the
 * merging of reordered packets; bit 3: the packets whose checksums the
 * harness makes right carry partial checksums instead, flagged for
 * tun_offload_coalesce_flagged(), which must merge them unverified and
 * send a lone one asking the kernel to finish it; bit 4: every packet is
 * handed over cut in two, copy-free style, for
 * tun_offload_coalesce_slices(): its headers (as parsed, or half of it
 * when it does not parse) in its buffer and the rest in a payload slice of
 * its own exact-size allocation), then packets, each as 2 bytes
 * (little-endian) of length, a control byte and the bytes: control bit 0
 * asks the harness to make the packet's IPv4 header and TCP/UDP checksums
 * right (a fuzzer rarely finds them, and only such packets merge); bits
 * 1-7 give 512-byte steps of room after it, which GRO must leave alone
 * (merging copies nothing). Every buffer is an allocation of its own exact
 * size.
 * Properties: no access outside the buffers; the writes' packets rise and
 * every packet but those of length 0 went out in a write of a packet at or
 * before it; splitting each
 * write again (gathered with tun_offload_write_gather(), then
 * tun_gso_split()) gives back exactly the packets that went out in it, in
 * order of TCP sequence numbers (UDP: in batch order), but for the IPv4
 * identification of DF
 * packets (not compared, as Linux does) and checksum fields (0 and 0xffff
 * are the same sum), which must be right instead;
 * tun_offload_write_failed() at write k (the input's last byte modulo the
 * writes) gives back every packet from write k's on, but those that went
 * out in an earlier write, which get length 0. */
#include "fuzz.h"

#include "engine/checksum.h"
#include "engine/gro.h"
#include "engine/gso.h"

#include <string.h>

#define OFFSET TUN_VNET_HDR_LEN
#define MAX_PKTS 64
#define SWAP(type, a, b)                                                       \
    do {                                                                       \
        type swap_ = (a);                                                      \
        (a) = (b);                                                             \
        (b) = swap_;                                                           \
    } while (0)

static tun_gro_table *table;
static tun_buf scratch[MAX_PKTS];
static uint8_t whole[TUN_OFFLOAD_BUF_SIZE]; /* a write: header, packet */

static void setup(void)
{
    if (tun_gro_table_new(MAX_PKTS, &table) < 0)
        abort();
    for (size_t i = 0; i < MAX_PKTS; i++) {
        scratch[i].capacity = TUN_PACKET_MAX;
        scratch[i].data = malloc(TUN_PACKET_MAX);
        if (!scratch[i].data)
            abort();
    }
}

/* The IPv4 header checksum and the TCP/UDP checksum of packet p, made
 * right where the packet parses. */
static void fix_checksums(uint8_t *p, size_t len)
{
    tun_pkt pk;
    if (tun_pkt_parse(&pk, p, len) < 0)
        return;
    if (pk.version == 4) {
        tun_put16(p + 10, 0);
        tun_put16(p + 10, tun_csum_finish(tun_csum_add(0, p, pk.l3_len)));
    }
    if (pk.fragment || !pk.l4_len)
        return;
    size_t field = pk.l3_len + (pk.proto == TUN_IPPROTO_TCP
                                    ? TUN_TCP_CSUM_OFFSET
                                    : TUN_UDP_CSUM_OFFSET);
    tun_put16(p + field, 0);
    size_t l4 = len - pk.l3_len;
    uint16_t c = tun_csum_finish(
        tun_csum_add(tun_pkt_pseudo_sum(p, &pk, l4), p + pk.l3_len, l4));
    tun_put16(p + field, c ? c : 0xffff);
}

/* Packet p with its checksums right made partial, as the opt-in of
 * checksums carried end to end hands it over; returns whether it is a
 * whole TCP/UDP packet (else it is not changed). */
static bool make_partial(uint8_t *p, size_t len)
{
    tun_vnet_hdr vh;
    if (tun_vnet_partial_target(p, len, len, &vh) < 0)
        return false;
    tun_pkt pk;
    FUZZ_CHECK(tun_pkt_parse(&pk, p, len) == 0);
    tun_put16(p + vh.csum_start + vh.csum_offset,
              tun_csum_fold(tun_pkt_pseudo_sum(p, &pk, len - pk.l3_len)));
    return true;
}

/* Put the count packets (and their copies) in the order the flags byte
 * asks for. */
static void reorder(tun_buf *bufs, tun_slice *payloads, uint8_t **orig,
                    size_t *orig_len, uint8_t *pflags, size_t count,
                    unsigned order)
{
    for (size_t i = 0; i + 1 < count && (order & 2); i += 2) {
        SWAP(tun_buf, bufs[i], bufs[i + 1]);
        SWAP(tun_slice, payloads[i], payloads[i + 1]);
        SWAP(uint8_t *, orig[i], orig[i + 1]);
        SWAP(size_t, orig_len[i], orig_len[i + 1]);
        SWAP(uint8_t, pflags[i], pflags[i + 1]);
    }
    for (size_t i = 0; i < count / 2 && (order & 1); i++) {
        size_t j = count - 1 - i;
        SWAP(tun_buf, bufs[i], bufs[j]);
        SWAP(tun_slice, payloads[i], payloads[j]);
        SWAP(uint8_t *, orig[i], orig[j]);
        SWAP(size_t, orig_len[i], orig_len[j]);
        SWAP(uint8_t, pflags[i], pflags[j]);
    }
}

/* The TCP sequence number of packet p, or 0 for anything else. */
static uint32_t tcp_seq(const uint8_t *p, size_t len)
{
    tun_pkt pk;
    if (tun_pkt_parse(&pk, p, len) < 0 || pk.fragment ||
        pk.proto != TUN_IPPROTO_TCP)
        return 0;
    return tun_get32(p + pk.l3_len + 4);
}

/* Segment s, split from a super-packet, against the packet o (len bytes)
 * that went into it. */
static void check_same(const tun_buf *s, const uint8_t *o, size_t len)
{
    const uint8_t *p = s->data;
    FUZZ_CHECK(s->len == len);
    tun_pkt pk;
    FUZZ_CHECK(tun_pkt_parse(&pk, p, len) == 0);
    size_t field = pk.l3_len + (pk.proto == TUN_IPPROTO_TCP
                                    ? TUN_TCP_CSUM_OFFSET
                                    : TUN_UDP_CSUM_OFFSET);
    for (size_t i = 0; i < len; i++) {
        bool ipv4_id = pk.version == 4 && (o[6] & TUN_IPV4_DF) &&
                       (i == 4 || i == 5);
        bool csum = (pk.version == 4 && (i == 10 || i == 11)) || i == field ||
                    i == field + 1;
        FUZZ_CHECK(ipv4_id || csum || p[i] == o[i]);
    }
    if (pk.version == 4)
        FUZZ_CHECK(tun_csum_fold(tun_csum_add(0, p, pk.l3_len)) == 0xffff);
    size_t l4 = len - pk.l3_len;
    uint32_t sum = tun_pkt_pseudo_sum(p, &pk, l4);
    FUZZ_CHECK(tun_csum_fold(tun_csum_add(sum, p + pk.l3_len, l4)) == 0xffff);
}

/* Packet b, cut into headers (kept in its buffer) and a payload slice of
 * its own allocation, at its headers' end, or half way when it does not
 * parse. */
static void cut(tun_buf *b, tun_slice *payload)
{
    const uint8_t *p = b->data + OFFSET;
    tun_pkt pk;
    size_t at = b->len / 2;
    if (tun_pkt_parse(&pk, p, b->len) == 0 && pk.l3_len + pk.l4_len < b->len)
        at = (size_t)pk.l3_len + pk.l4_len;
    size_t rest = b->len - at;
    uint8_t *q = malloc(rest ? rest : 1);
    if (!q)
        abort();
    memcpy(q, p + at, rest);
    *payload = (tun_slice){rest ? q : NULL, rest};
    if (!rest)
        free(q);
    b->len = at;
}

/* Packet i (its buffer's bytes and its payload slice) is orig[i]. */
static bool as_before(const tun_buf *b, const tun_slice *payload,
                      const uint8_t *o, size_t len)
{
    return b->len + payload->len == len &&
           memcmp(b->data + OFFSET, o, b->len) == 0 &&
           (!payload->len ||
            memcmp(payload->data, o + b->len, payload->len) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!table)
        setup();
    if (size < 1)
        return 0;
    unsigned flags = data[0] & 1 ? TUN_COALESCE_UDP : 0;
    bool partial = data[0] & 8, cut_all = data[0] & 16;
    uint8_t pflags[MAX_PKTS] = {0};
    tun_slice payloads[MAX_PKTS];
    uint8_t *payload_mem[MAX_PKTS];
    tun_buf bufs[MAX_PKTS];
    uint8_t *orig[MAX_PKTS];
    size_t orig_len[MAX_PKTS], count = 0;
    for (size_t at = 1; at + 3 <= size && count < MAX_PKTS; count++) {
        size_t len = fuzz_le16(data + at), ctl = data[at + 2];
        at += 3;
        if (len > size - at)
            len = size - at;
        tun_buf *b = &bufs[count];
        b->capacity = OFFSET + len + (ctl >> 1) * 512;
        b->data = malloc(b->capacity);
        orig[count] = malloc(len ? len : 1);
        if (!b->data || !orig[count])
            abort();
        memcpy(b->data + OFFSET, data + at, len);
        if (ctl & 1) {
            fix_checksums(b->data + OFFSET, len);
            if (partial && make_partial(b->data + OFFSET, len))
                pflags[count] = TUN_PACKET_CSUM_PARTIAL;
        }
        memcpy(orig[count], b->data + OFFSET, len);
        b->len = orig_len[count] = len;
        payloads[count] = (tun_slice){NULL, 0};
        if (cut_all)
            cut(b, &payloads[count]);
        at += len;
    }
    reorder(bufs, payloads, orig, orig_len, pflags, count,
            (data[0] >> 1) & 3);
    for (size_t i = 0; i < count; i++) /* freed in the order they are now */
        payload_mem[i] = (uint8_t *)(uintptr_t)payloads[i].data;

    int n = cut_all ? tun_offload_coalesce_slices(table, bufs, payloads,
                                                  partial ? pflags : NULL,
                                                  count, OFFSET, flags)
            : partial ? tun_offload_coalesce_flagged(table, bufs, pflags, count,
                                                     OFFSET, flags)
                      : tun_offload_coalesce(table, bufs, count, OFFSET, flags);
    FUZZ_CHECK(n >= 0 && (size_t)n <= count);
    for (size_t k = 0, prev = 0; k < (size_t)n; k++) {
        size_t head = tun_offload_write_index(table, k);
        FUZZ_CHECK(head < count && (k == 0 || head > prev));
        prev = head;
        FUZZ_CHECK(tun_gro_sent_with(table, head) == head);
        const tun_buf *b = &bufs[head];
        FUZZ_CHECK(b->len <= b->capacity - OFFSET);
        tun_vnet_hdr vh;
        tun_vnet_hdr_decode(&vh, b->data + OFFSET - TUN_VNET_HDR_LEN);
        if (vh.gso_type == TUN_VNET_GSO_NONE) {
            /* Alone: the kernel finishes a flagged TCP/UDP packet's sum. */
            tun_vnet_hdr want = {0};
            if (pflags[head])
                FUZZ_CHECK(tun_vnet_partial_target(
                               b->data + OFFSET, b->len,
                               b->len + payloads[head].len, &want) == 0);
            FUZZ_CHECK(vh.flags == want.flags &&
                       vh.csum_start == want.csum_start &&
                       vh.csum_offset == want.csum_offset);
            FUZZ_CHECK(as_before(b, &payloads[head], orig[head],
                                 orig_len[head]));
            for (size_t j = head + 1; j < count; j++)
                FUZZ_CHECK(tun_gro_sent_with(table, j) != head);
            continue;
        }
        FUZZ_CHECK(b->len + payloads[head].len == orig_len[head]);
        int len = tun_offload_write_gather(table, k, whole, sizeof(whole));
        FUZZ_CHECK(len >= TUN_VNET_HDR_LEN);
        FUZZ_CHECK(memcmp(whole, b->data + OFFSET - TUN_VNET_HDR_LEN,
                          TUN_VNET_HDR_LEN) == 0);
        int segs = tun_gso_split(&vh, whole + TUN_VNET_HDR_LEN,
                                 (size_t)len - TUN_VNET_HDR_LEN, scratch,
                                 MAX_PKTS, 0);
        FUZZ_CHECK(segs >= 2);
        /* Each segment is the next packet of the super-packet in order of
         * sequence numbers: the one with its number, each used once. */
        bool used[MAX_PKTS] = {false};
        size_t members = 0;
        for (size_t seg = 0; seg < (size_t)segs; seg++) {
            uint32_t seq = tcp_seq(scratch[seg].data, scratch[seg].len);
            size_t j = head;
            while (j < count &&
                   (used[j] || tun_gro_sent_with(table, j) != head ||
                    tcp_seq(orig[j], orig_len[j]) != seq))
                j++;
            FUZZ_CHECK(j < count);
            used[j] = true;
            check_same(&scratch[seg], orig[j], orig_len[j]);
        }
        for (size_t j = head; j < count; j++)
            members += tun_gro_sent_with(table, j) == head;
        FUZZ_CHECK(members == (size_t)segs);
    }
    size_t listed = 0;
    for (size_t i = 0; i < count; i++) {
        size_t with = tun_gro_sent_with(table, i);
        FUZZ_CHECK(with <= i && tun_gro_sent_with(table, with) == with);
        listed += with == i && bufs[i].len + payloads[i].len;
    }
    FUZZ_CHECK(listed == (size_t)n);
    size_t k = n ? data[size - 1] % (size_t)n : 0;
    size_t at = n ? tun_offload_write_failed(table, k) : 0;
    for (size_t i = 0; i < count; i++) {
        if (i > at && tun_gro_sent_with(table, i) < at)
            FUZZ_CHECK(bufs[i].len == 0 && payloads[i].len == 0);
        else if (i >= at)
            FUZZ_CHECK(as_before(&bufs[i], &payloads[i], orig[i],
                                 orig_len[i]));
        free(bufs[i].data);
        free(payload_mem[i]);
        free(orig[i]);
    }
    return 0;
}
