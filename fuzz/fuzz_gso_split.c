/* GSO split of an arbitrary virtio-net header and packet.
 *
 * Input: 10 bytes of virtio-net header (as the kernel writes it), a control
 * byte (bits 0-5: 1 + the number of buffers; bit 6: read the packet into
 * the first buffer and split in place; bit 7: hand the segments over a few
 * at a time), 2 bytes (little-endian) of room
 * per buffer after the headroom, then the packet. Every buffer is an
 * allocation of its own exact size, so that a write past one is caught.
 * Everything goes through tun_offload_split(), the public split of a
 * header from the wire; without bit 7, as one call with every buffer.
 * Properties: never an access outside the buffers; a success writes
 * 1..count segments, each within its buffer; with GSO, each segment is a
 * consistent IP packet whose checksums are right; in place, a packet of
 * more segments than buffers leaves it untouched. Not in place, the split
 * is made again with tun_offload_split_flagged() (partial checksums kept):
 * the same result, and each segment flagged partial holds its
 * pseudo-header sum in its TCP/UDP checksum field (and a complete IPv4
 * header checksum), or without GSO is the packet unchanged; any other
 * one is as above. Before that, the copy-free split
 * (tun_offload_split_slices(), partial checksums kept) into buffers of the
 * same room: it succeeds exactly when the flagged split does, or also
 * when only a payload did not fit, and each segment's headers followed by
 * its payload slice (inside the packet) are the flagged split's segment,
 * with the same flag. */
#include "fuzz.h"

#include "engine/checksum.h"
#include "engine/gso.h"

#include <string.h>

#define OFFSET TUN_VNET_HDR_LEN
#define MAX_BUFS 64

/* A segment the flagged split left partial: without GSO the packet
 * unchanged, else its pseudo-header sum in the checksum field. */
static void check_partial_segment(const tun_vnet_hdr *vh, const tun_buf *b,
                                  const uint8_t *pkt, size_t len)
{
    const uint8_t *p = b->data + OFFSET;
    tun_vnet_hdr target;
    FUZZ_CHECK(tun_vnet_partial_target(p, b->len, b->len, &target) == 0);
    if (vh->gso_type == TUN_VNET_GSO_NONE) {
        FUZZ_CHECK(b->len == len && memcmp(p, pkt, len) == 0);
        return;
    }
    tun_pkt pk;
    FUZZ_CHECK(tun_pkt_parse(&pk, p, b->len) == 0);
    if (pk.version == 4)
        FUZZ_CHECK(tun_csum_fold(tun_csum_add(0, p, pk.l3_len)) == 0xffff);
    uint16_t pseudo = tun_csum_fold(tun_pkt_pseudo_sum(p, &pk,
                                                       b->len - pk.l3_len));
    FUZZ_CHECK(tun_get16(p + target.csum_start + target.csum_offset) ==
               pseudo);
}

static void check_segment(const tun_vnet_hdr *vh, const tun_buf *b)
{
    const uint8_t *p = b->data + OFFSET;
    FUZZ_CHECK(b->len <= b->capacity - OFFSET);
    if (vh->gso_type == TUN_VNET_GSO_NONE)
        return;
    tun_pkt pk;
    FUZZ_CHECK(tun_pkt_parse(&pk, p, b->len) == 0);
    if (pk.version == 4)
        FUZZ_CHECK(tun_csum_fold(tun_csum_add(0, p, pk.l3_len)) == 0xffff);
    size_t l4 = b->len - pk.l3_len;
    uint32_t sum = tun_pkt_pseudo_sum(p, &pk, l4);
    FUZZ_CHECK(tun_csum_fold(tun_csum_add(sum, p + pk.l3_len, l4)) == 0xffff);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < TUN_VNET_HDR_LEN + 3)
        return 0;
    tun_vnet_hdr vh;
    tun_vnet_hdr_decode(&vh, data);
    unsigned ctl = data[TUN_VNET_HDR_LEN];
    size_t count = 1 + (ctl & 63);
    bool in_place = ctl & 0x40, in_parts = ctl & 0x80;
    size_t room = fuzz_le16(data + TUN_VNET_HDR_LEN + 1);
    const uint8_t *pkt = data + TUN_VNET_HDR_LEN + 3;
    size_t len = size - TUN_VNET_HDR_LEN - 3;
    if (in_place && room < len)
        room = len;

    tun_buf bufs[MAX_BUFS];
    for (size_t i = 0; i < count; i++) {
        bufs[i].capacity = OFFSET + room;
        bufs[i].data = malloc(bufs[i].capacity);
        bufs[i].len = 0;
        if (!bufs[i].data)
            abort();
    }
    if (in_place) {
        memcpy(bufs[0].data + OFFSET, pkt, len);
        pkt = bufs[0].data + OFFSET;
    }
    int n;
    if (in_parts && !in_place) {
        /* Two buffers at a time, as a caller short of buffers would. */
        size_t first = 0, total = 1;
        do {
            size_t take = count - first < 2 ? count - first : 2;
            n = take ? tun_offload_split(data, pkt, len, first, bufs + first,
                                         take, OFFSET, &total)
                     : TUN_ENOBUFS;
            FUZZ_CHECK(n < 0 || (n >= 1 && (size_t)n <= take));
            if (n > 0)
                first += (size_t)n;
        } while (n > 0 && first < total);
        if (n > 0)
            n = (int)first;
    } else {
        size_t total = 0;
        n = tun_offload_split(data, pkt, len, 0, bufs, count, OFFSET, &total);
        FUZZ_CHECK(n < 0 || (size_t)n == (total < count ? total : count));
        if (in_place && n == TUN_ENOBUFS)
            FUZZ_CHECK(total > count &&
                       memcmp(pkt, data + TUN_VNET_HDR_LEN + 3, len) == 0);
    }
    FUZZ_CHECK(n < 0 || (n >= 1 && (size_t)n <= count));
    for (int i = 0; i < n; i++)
        check_segment(&vh, &bufs[i]);
    if (!in_place && !in_parts) {
        tun_buf hdrs[MAX_BUFS];
        tun_slice payloads[MAX_BUFS];
        uint8_t sflags[MAX_BUFS];
        for (size_t i = 0; i < count; i++) {
            hdrs[i] = (tun_buf){malloc(bufs[i].capacity), bufs[i].capacity, 0};
            if (!hdrs[i].data)
                abort();
        }
        int cut = tun_offload_split_slices(data, pkt, len, 0, hdrs, payloads,
                                           sflags, count, OFFSET, NULL);
        uint8_t pflags[MAX_BUFS];
        int again = tun_offload_split_flagged(data, pkt, len, 0, bufs, pflags,
                                              count, OFFSET, NULL);
        FUZZ_CHECK(again == n);
        FUZZ_CHECK(cut == again || (again == TUN_EMSGSIZE && cut > 0));
        for (int i = 0; cut == again && i < cut; i++) {
            const tun_slice *pl = &payloads[i];
            FUZZ_CHECK(sflags[i] == pflags[i]);
            FUZZ_CHECK(hdrs[i].len + pl->len == bufs[i].len);
            FUZZ_CHECK(memcmp(hdrs[i].data + OFFSET, bufs[i].data + OFFSET,
                              hdrs[i].len) == 0);
            FUZZ_CHECK(pl->len == 0 ||
                       (pl->data >= pkt && pl->data + pl->len <= pkt + len &&
                        memcmp(pl->data, bufs[i].data + OFFSET + hdrs[i].len,
                               pl->len) == 0));
        }
        for (size_t i = 0; i < count; i++)
            free(hdrs[i].data);
        for (int i = 0; i < again; i++) {
            FUZZ_CHECK(pflags[i] == 0 ||
                       pflags[i] == TUN_PACKET_CSUM_PARTIAL);
            if (pflags[i])
                check_partial_segment(&vh, &bufs[i], pkt, len);
            else
                check_segment(&vh, &bufs[i]);
        }
    }
    for (size_t i = 0; i < count; i++)
        free(bufs[i].data);
    return 0;
}
