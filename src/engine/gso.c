#include "gso.h"

#include "../internal.h"
#include "checksum.h"

#include <string.h>

/* Which segments go out: from `first` of the n, as many as the count
 * buffers take (all or an error, when `all`). Checks that each buffer
 * holds offset plus its segment and stores how many in *take. */
static int check_room(const tun_buf *out, size_t count, size_t offset,
                      size_t first, size_t n, bool all, size_t hdrs,
                      size_t payload, size_t gso, bool headers_only,
                      size_t *take)
{
    size_t k = n - first;
    if (k > count) {
        if (all || count == 0)
            return tun_fail(TUN_ENOBUFS,
                            "GSO split: the packet makes %zu segments but "
                            "only %zu buffers were given",
                            k, count);
        k = count;
    }
    /* Every segment carries gso payload bytes but the last, the rest. */
    size_t most = hdrs + (headers_only ? 0 : gso);
    size_t last = hdrs + (headers_only ? 0 : payload - (n - 1) * gso);
    size_t final = first + k == n ? k - 1 : k; /* k: not taken */
    /* The buffers before the final segment's all take the largest: a loop
     * of one comparison each. From the first that does not on, each one's
     * own segment, and the reason. */
    size_t i = 0, stop = final < k ? final : k;
    if (offset <= SIZE_MAX - most)
        while (i < stop && out[i].data && out[i].capacity >= offset + most)
            i++;
    for (; i < k; i++) {
        size_t seg = i == final ? last : most;
        if (!out[i].data || offset > SIZE_MAX - seg ||
            out[i].capacity < offset + seg)
            return tun_fail(TUN_EMSGSIZE,
                            "GSO split: buffer %zu (capacity %zu) cannot hold "
                            "offset %zu plus a %zu-byte segment",
                            i, out[i].capacity, offset, seg);
    }
    *take = k;
    return 0;
}

int tun_vnet_complete(const tun_vnet_hdr *vh, uint8_t *dst, const uint8_t *src,
                      size_t len)
{
    bool in_place = dst == src;
    if (!(vh->flags & TUN_VNET_F_NEEDS_CSUM)) {
        if (!in_place)
            memcpy(dst, src, len);
        return 0;
    }
    size_t start = vh->csum_start, field = start + vh->csum_offset;
    if (field + 2 > len)
        return tun_fail(TUN_EINVAL,
                        "virtio-net header: csum_start %zu + csum_offset %u "
                        "is beyond the %zu-byte packet",
                        start, (unsigned)vh->csum_offset, len);
    uint32_t sum;
    if (in_place) {
        sum = tun_csum_add(0, dst + start, len - start);
    } else {
        memcpy(dst, src, start);
        sum = tun_csum_copy(0, dst + start, src + start, len - start);
    }
    uint16_t c = tun_csum_finish(sum);
    tun_put16(dst + field, c ? c : 0xffff);
    return 0;
}

int tun_vnet_partial_target(const uint8_t *p, size_t avail, size_t len,
                            tun_vnet_hdr *vh)
{
    tun_pkt pk;
    if (tun_pkt_parse_headers(&pk, p, avail, len) < 0 || pk.fragment ||
        (pk.proto != TUN_IPPROTO_TCP && pk.proto != TUN_IPPROTO_UDP))
        return TUN_EINVAL;
    *vh = (tun_vnet_hdr){.flags = TUN_VNET_F_NEEDS_CSUM,
                         .csum_start = pk.l3_len,
                         .csum_offset = pk.proto == TUN_IPPROTO_TCP
                                            ? TUN_TCP_CSUM_OFFSET
                                            : TUN_UDP_CSUM_OFFSET};
    return 0;
}

/* A packet that is not cut: into out[0] whole. With pflags, a partial
 * checksum at the TCP/UDP checksum field is kept and flagged. */
static int pass_through(const tun_vnet_hdr *vh, const uint8_t *pkt,
                        size_t len, tun_buf *out, uint8_t *pflags,
                        size_t count, size_t offset)
{
    size_t take = 0;
    int rc = check_room(out, count, offset, 0, 1, true, len, 0, 1, false,
                        &take);
    if (rc < 0)
        return rc;
    tun_vnet_hdr target;
    bool keep = pflags && (vh->flags & TUN_VNET_F_NEEDS_CSUM) &&
                tun_vnet_partial_target(pkt, len, len, &target) == 0 &&
                target.csum_start == vh->csum_start &&
                target.csum_offset == vh->csum_offset;
    uint8_t *dst = out[0].data + offset;
    if (keep) {
        if (dst != pkt)
            memcpy(dst, pkt, len);
    } else if ((rc = tun_vnet_complete(vh, dst, pkt, len)) < 0) {
        return rc;
    }
    if (pflags)
        pflags[0] = keep ? TUN_PACKET_CSUM_PARTIAL : 0;
    out[0].len = len;
    return 1;
}

/* The longest headers a segment repeats: IPv4 with options, or IPv6, and
 * the longest TCP header. */
#define SEG_HDRS_MAX (60 + 60)

/* What the segments of one super-packet share, worked out once so that
 * writing a segment is a copy of its headers and a few stores. The
 * segments differ only in the IPv4 identification and header checksum,
 * the TCP sequence number and the TCP/UDP checksum; the first and the last
 * one in their length fields and TCP flags too. */
struct seg_plan {
    uint8_t hdrs[SEG_HDRS_MAX]; /* a middle segment's headers */
    const tun_pkt *pk;
    size_t hdrs_len, gso, n;
    uint32_t id;     /* IPv4: the packet's identification */
    uint32_t seq;    /* TCP: the packet's sequence number */
    uint32_t ip_sum; /* IPv4: tun_pkt_ipv4_shared_sum() */
    uint32_t l4_sum; /* full checksums: tun_pkt_l4_shared_sum(); partial:
                        the pseudo-header without the length */
    uint8_t flags;   /* TCP: the packet's flags */
    bool partial;    /* the checksum field keeps the pseudo-header sum */
};

/* The length fields of a segment of seglen bytes, and with a partial
 * checksum its checksum field, which depends on nothing else. */
static void set_lengths(uint8_t *h, const tun_pkt *pk, size_t seglen,
                        const struct seg_plan *sp)
{
    size_t l3 = pk->l3_len;
    uint32_t l4_len = (uint32_t)(seglen - l3);
    if (pk->version == 4)
        tun_put16(h + 2, (uint32_t)seglen);
    else
        tun_put16(h + 4, l4_len);
    size_t field = TUN_TCP_CSUM_OFFSET;
    if (pk->proto == TUN_IPPROTO_UDP) {
        tun_put16(h + l3 + 4, l4_len);
        field = TUN_UDP_CSUM_OFFSET;
    }
    if (sp->partial)
        tun_put16(h + l3 + field,
                  tun_csum_fold(tun_csum_add16(sp->l4_sum, l4_len)));
}

static void plan_segments(struct seg_plan *sp, const uint8_t *pkt,
                          const tun_pkt *pk, size_t gso, size_t n,
                          bool partial)
{
    size_t l3 = pk->l3_len;
    sp->pk = pk;
    sp->hdrs_len = l3 + pk->l4_len;
    sp->gso = gso;
    sp->n = n;
    sp->partial = partial;
    sp->id = tun_get16(pkt + 4);
    bool tcp = pk->proto == TUN_IPPROTO_TCP;
    sp->seq = tcp ? tun_get32(pkt + l3 + 4) : 0;
    sp->flags = tcp ? pkt[l3 + TUN_TCP_FLAGS] : 0;
    sp->ip_sum = pk->version == 4 ? tun_pkt_ipv4_shared_sum(pkt, l3) : 0;
    sp->l4_sum = partial ? tun_pkt_pseudo_sum(pkt, pk, 0)
                         : tun_pkt_l4_shared_sum(pkt, pk);
    memcpy(sp->hdrs, pkt, sp->hdrs_len);
    set_lengths(sp->hdrs, pk, sp->hdrs_len + gso, sp);
    if (tcp) /* FIN and PSH last, CWR first */
        sp->hdrs[l3 + TUN_TCP_FLAGS] &=
            (uint8_t)~(TUN_TCP_FIN | TUN_TCP_PSH | TUN_TCP_CWR);
}

/* The fields of segment i (of seglen bytes) that only the first and the
 * last one have their own: the lengths, and TCP's flags (FIN and PSH go
 * with the last, CWR with the first). */
static void write_ends(const struct seg_plan *sp, uint8_t *dst, size_t i,
                       size_t seglen)
{
    const tun_pkt *pk = sp->pk;
    set_lengths(dst, pk, seglen, sp);
    if (pk->proto == TUN_IPPROTO_TCP) {
        uint8_t keep = (uint8_t)~0;
        if (i + 1 < sp->n)
            keep &= (uint8_t)~(TUN_TCP_FIN | TUN_TCP_PSH);
        if (i > 0)
            keep &= (uint8_t)~TUN_TCP_CWR;
        dst[pk->l3_len + TUN_TCP_FLAGS] = sp->flags & keep;
    }
}

/* The full TCP/UDP checksum of a segment whose headers are written at dst,
 * its payload bytes [from, from + seg) of pkt summed where they are, or
 * summed as they are copied behind the headers when `copy`. */
static void write_full_checksum(const struct seg_plan *sp, const uint8_t *pkt,
                                uint8_t *dst, size_t from, size_t seg,
                                bool copy)
{
    const tun_pkt *pk = sp->pk;
    size_t l3 = pk->l3_len, hdrs = sp->hdrs_len;
    uint8_t *l4 = dst + l3;
    size_t field = pk->proto == TUN_IPPROTO_TCP ? TUN_TCP_CSUM_OFFSET
                                                : TUN_UDP_CSUM_OFFSET;
    uint32_t sum = tun_pkt_l4_own_sum(sp->l4_sum, l4, pk, hdrs + seg - l3);
    sum = copy ? tun_csum_copy(sum, dst + hdrs, pkt + from, seg)
               : tun_csum_add(sum, pkt + from, seg);
    uint16_t c = tun_csum_finish(sum);
    /* UDP reserves 0 for "no checksum" (RFC 768). */
    if (c == 0 && pk->proto == TUN_IPPROTO_UDP)
        c = 0xffff;
    tun_put16(l4 + field, c);
}

/* Write segments first to first + take (of len-byte pkt, as planned) to
 * out from offset on: each its headers and, in out or as its slice in
 * payloads (copy-free), its payload; its flag in pflags if given. With a
 * partial checksum the payload is never summed. out[0] may hold pkt itself
 * (the first segment in place): the headers come from the plan. v4 and
 * tcp are the packet's, and slices_partial says that payloads are given
 * and checksums partial (the copy-free forwarder's case): constants in
 * each caller (write_segments()), so that a segment costs a copy of its
 * headers and a few stores. */
static TUN_ALWAYS_INLINE void
write_segments_as(const struct seg_plan *sp, const uint8_t *pkt, size_t len,
                  size_t first, size_t take, tun_buf *out, tun_slice *payloads,
                  uint8_t *pflags, size_t offset, bool v4, bool tcp,
                  bool slices_partial)
{
    /* In locals: a byte stored into a segment might be the plan's, for all
     * the compiler knows. */
    size_t l3 = sp->pk->l3_len, hdrs = sp->hdrs_len, gso = sp->gso;
    size_t n = sp->n;
    uint32_t id = sp->id, seq = sp->seq, ip_sum = sp->ip_sum;
    bool partial = slices_partial || sp->partial;
    bool slices = slices_partial || payloads;
    uint8_t flag = partial ? TUN_PACKET_CSUM_PARTIAL : 0;
    for (size_t k = 0; k < take; k++) {
        size_t i = first + k, from = hdrs + i * gso;
        size_t seg = len - from < gso ? len - from : gso, seglen = hdrs + seg;
        uint8_t *dst = out[k].data + offset;
        tun_copy_hdrs(dst, sp->hdrs, hdrs);
        if (i == 0 || i + 1 == n) /* the plan holds a middle one */
            write_ends(sp, dst, i, seglen);
        if (v4) {
            uint32_t own_id = (id + (uint32_t)i) & 0xffff;
            tun_put16(dst + 4, own_id);
            /* Three 16-bit values: their plain sum cannot overflow. */
            tun_put16(dst + 10,
                      tun_csum_finish(ip_sum + (uint32_t)seglen + own_id));
        }
        if (tcp)
            tun_put32(dst + l3 + 4, seq + (uint32_t)(from - hdrs));
        bool copy = dst != pkt && !slices;
        if (!partial)
            write_full_checksum(sp, pkt, dst, from, seg, copy);
        else if (copy)
            memcpy(dst + hdrs, pkt + from, seg);
        if (slices) {
            payloads[k] = (tun_slice){pkt + from, seg};
            out[k].len = hdrs;
        } else {
            out[k].len = seglen;
        }
        if (partial || pflags) /* partial only with pflags */
            pflags[k] = flag;
    }
}

/* write_segments_as() with the packet's layout, and whether it is the
 * copy-free forwarder's case, as constants. */
static void write_segments(const struct seg_plan *sp, const uint8_t *pkt,
                           size_t len, size_t first, size_t take, tun_buf *out,
                           tun_slice *payloads, uint8_t *pflags, size_t offset)
{
    bool tcp = sp->pk->proto == TUN_IPPROTO_TCP, v4 = sp->pk->version == 4;
    if (payloads && sp->partial) {
        if (v4 && tcp)
            write_segments_as(sp, pkt, len, first, take, out, payloads,
                              pflags, offset, true, true, true);
        else if (tcp)
            write_segments_as(sp, pkt, len, first, take, out, payloads,
                              pflags, offset, false, true, true);
        else
            write_segments_as(sp, pkt, len, first, take, out, payloads,
                              pflags, offset, v4, false, true);
    } else if (v4 && tcp) {
        write_segments_as(sp, pkt, len, first, take, out, payloads, pflags,
                          offset, true, true, false);
    } else if (tcp) {
        write_segments_as(sp, pkt, len, first, take, out, payloads, pflags,
                          offset, false, true, false);
    } else {
        write_segments_as(sp, pkt, len, first, take, out, payloads, pflags,
                          offset, v4, false, false);
    }
}

/* tun_gso_split() and tun_offload_split(): segments from `first` on, all
 * of them or an error when `all`. */
static int split(const tun_vnet_hdr *vh, const uint8_t *pkt, size_t len,
                 size_t first, bool all, tun_buf *out, tun_slice *payloads,
                 uint8_t *pflags, size_t count, size_t offset, size_t *total)
{
    if (!vh || !pkt || (!out && count))
        return tun_fail(TUN_EINVAL, "GSO split: NULL pointer");
    *total = 1;
    if (vh->hdr_len > len)
        return tun_fail(TUN_EINVAL,
                        "GSO split: hdr_len %u is beyond the %zu-byte packet",
                        (unsigned)vh->hdr_len, len);
    if (vh->gso_type == TUN_VNET_GSO_NONE) {
        if (first)
            return tun_fail(TUN_EINVAL, "GSO split: segment %zu of 1", first);
        if (payloads) /* whole in out[0]: nothing elsewhere */
            payloads[0] = (tun_slice){NULL, 0};
        return pass_through(vh, pkt, len, out, pflags, count, offset);
    }

    uint8_t proto;
    unsigned version = 0; /* 0: either */
    switch (vh->gso_type & ~TUN_VNET_GSO_ECN) {
    case TUN_VNET_GSO_TCPV4:
        proto = TUN_IPPROTO_TCP;
        version = 4;
        break;
    case TUN_VNET_GSO_TCPV6:
        proto = TUN_IPPROTO_TCP;
        version = 6;
        break;
    case TUN_VNET_GSO_UDP_L4:
        proto = TUN_IPPROTO_UDP;
        break;
    default:
        return tun_fail(TUN_EINVAL, "GSO split: unknown gso_type 0x%x",
                        (unsigned)vh->gso_type);
    }
    if (vh->gso_size == 0)
        return tun_fail(TUN_EINVAL, "GSO split: gso_size is 0");
    tun_pkt pk;
    if (tun_pkt_parse(&pk, pkt, len) < 0 || pk.fragment || pk.proto != proto ||
        (version && pk.version != version))
        return tun_fail(TUN_EINVAL,
                        "GSO split: the %zu-byte packet's headers do not "
                        "match gso_type 0x%x",
                        len, (unsigned)vh->gso_type);
    size_t field = proto == TUN_IPPROTO_TCP ? TUN_TCP_CSUM_OFFSET
                                            : TUN_UDP_CSUM_OFFSET;
    if ((vh->flags & TUN_VNET_F_NEEDS_CSUM) &&
        (vh->csum_start != pk.l3_len || vh->csum_offset != field))
        return tun_fail(TUN_EINVAL,
                        "GSO split: csum_start %u / csum_offset %u do not "
                        "point at the checksum at %u + %zu",
                        (unsigned)vh->csum_start, (unsigned)vh->csum_offset,
                        (unsigned)pk.l3_len, field);

    size_t hdrs = (size_t)pk.l3_len + pk.l4_len, payload = len - hdrs;
    size_t gso = vh->gso_size;
    size_t n = payload ? (payload + gso - 1) / gso : 1;
    *total = n;
    if (first >= n)
        return tun_fail(TUN_EINVAL, "GSO split: segment %zu of %zu", first,
                        n);
    size_t take = 0;
    int rc = check_room(out, count, offset, first, n, all, hdrs, payload, gso,
                        payloads != NULL, &take);
    if (rc < 0)
        return rc;
    /* Opt-in: the kernel's partial checksum stays partial (checked above
     * to be at the TCP/UDP checksum field). */
    bool partial = pflags && (vh->flags & TUN_VNET_F_NEEDS_CSUM);
    struct seg_plan sp;
    plan_segments(&sp, pkt, &pk, gso, n, partial);
    write_segments(&sp, pkt, len, first, take, out, payloads, pflags, offset);
    return (int)take;
}

int tun_gso_split(const tun_vnet_hdr *vh, const uint8_t *pkt, size_t len,
                  tun_buf *out, size_t count, size_t offset)
{
    size_t total;
    return split(vh, pkt, len, 0, true, out, NULL, NULL, count, offset,
                 &total);
}

/* The public split calls: split() of the encoded header, *total (when
 * asked for) the packet's segment count. */
static int split_encoded(const uint8_t *vnet_hdr, const uint8_t *pkt,
                         size_t len, size_t first, bool in_place, tun_buf *out,
                         tun_slice *payloads, uint8_t *pflags, size_t count,
                         size_t offset, size_t *total)
{
    if (!vnet_hdr)
        return tun_fail(TUN_EINVAL, "GSO split: NULL pointer");
    tun_vnet_hdr vh;
    tun_vnet_hdr_decode(&vh, vnet_hdr);
    size_t n = 0;
    int rc = split(&vh, pkt, len, first, in_place, out, payloads, pflags,
                   count, offset, &n);
    if (total)
        *total = n;
    return rc;
}

int tun_offload_split_flagged(const uint8_t *vnet_hdr, const uint8_t *pkt,
                              size_t len, size_t first, tun_buf *bufs,
                              uint8_t *pflags, size_t count, size_t offset,
                              size_t *total)
{
    /* In place, all segments or none: the first one overwrites the packet. */
    bool in_place = bufs && count && first == 0 && bufs[0].data &&
                    pkt == bufs[0].data + offset;
    return split_encoded(vnet_hdr, pkt, len, first, in_place, bufs, NULL,
                         pflags, count, offset, total);
}

int tun_offload_split_slices(const uint8_t *vnet_hdr, const uint8_t *pkt,
                             size_t len, size_t first, tun_buf *hdrs,
                             tun_slice *payloads, uint8_t *pflags,
                             size_t count, size_t offset, size_t *total)
{
    if (!payloads)
        return tun_fail(TUN_EINVAL, "GSO split: NULL pointer");
    return split_encoded(vnet_hdr, pkt, len, first, false, hdrs, payloads,
                         pflags, count, offset, total);
}

int tun_offload_split(const uint8_t *vnet_hdr, const uint8_t *pkt,
                      size_t len, size_t first, tun_buf *bufs, size_t count,
                      size_t offset, size_t *total)
{
    return tun_offload_split_flagged(vnet_hdr, pkt, len, first, bufs, NULL,
                                     count, offset, total);
}
