#include "gro.h"

#include "../internal.h"
#include "checksum.h"
#include "gso.h"

#include <stdlib.h>
#include <string.h>

#define GRO_CAPACITY_MAX 65536
/* Linux's UDP_GRO_CNT_MAX: the receiver's UDP GRO takes no more. */
#define GRO_UDP_SEGS_MAX 64
/* The headers of a run's first packet: IPv6 (IPv4 runs have no options)
 * and the longest TCP header. */
#define GRO_HDRS_MAX (TUN_IPV6_HDR_LEN + 60)

/* "No packet" in the per-packet links. */
#define GRO_NONE UINT32_MAX
/* Added to a sequence number's distance from its group's first one, so
 * that keys compare as unsigned numbers: reordering within 2 GiB sorts
 * right (and a key only orders; the runs check every number exactly). */
#define GRO_KEY_BIAS 0x80000000u

/* A flow's candidates between two of its packets that cannot join a run
 * (a pure ACK, a FIN): they merge by sequence number, in whatever order
 * they came. */
struct gro_group {
    uint32_t first; /* its packets, linked by next[]: in batch order, then
                       by sequence number */
    uint32_t last;
    uint32_t slot; /* flow table slot that points here */
    uint32_t hash; /* flow hash */
    uint32_t base_seq; /* TCP: the sequence number of its first packet */
    uint32_t top_key;  /* the largest key so far */
    uint32_t run; /* while sorted: 1 + its latest run, cut in the first
                     pass; 0: none yet */
    uint8_t version;
    uint8_t proto;
    bool sorted; /* keys rise in batch order: nothing to sort */
    bool closed; /* a packet of the flow that cannot join came after it */
};

/* One run: packets of a group whose sequence numbers follow each other,
 * from `first` to `last` along next[]. */
/* What a run has taken so far, which decides whether more may join. */
struct gro_tally {
    /* Where its payloads end while they lie end to end in order of
     * sequence numbers (cut from one super-packet), so that its write
     * takes one payload slice; NULL once they do not. */
    const uint8_t *payload_end;
    uint32_t len;      /* bytes of the super-packet */
    uint32_t next_seq; /* TCP: the sequence number that must come next */
    uint16_t segs;     /* packets in the run */
    bool open;         /* more packets may join */
    bool psh;          /* a merged packet had PSH */
};

struct gro_run {
    uint32_t first;    /* bufs index of the packet with the lowest sequence
                          number, whose headers the super-packet takes */
    uint32_t last;     /* bufs index of the last packet */
    uint32_t head;     /* bufs index of its earliest packet in the batch,
                          where it goes out and its headers are written */
    struct gro_tally tally;
    /* tun_pkt_l4_shared_sum() of the first packet, once a packet whose
     * checksum is verified joins */
    uint32_t l4_shared;
    uint16_t gso_size; /* payload bytes of the first packet */
    uint8_t version;
    uint8_t proto;
    uint8_t l4_len;  /* transport header bytes */
    bool verified;   /* the first packet's TCP/UDP checksum was checked */
    bool l4_shared_known; /* l4_shared is set */
};

/* What the coalescer notes of each packet of the latest batch. */
struct gro_pkt {
    const uint8_t *p;   /* its bytes (headers first) in its buffer */
    size_t len;         /* bytes, headers and payload */
    tun_pkt pk;         /* layout (packets of a flow) */
    uint32_t next;      /* the next one of its group */
    uint32_t key;       /* its place in its group's order, set when the
                           group is sorted (group_runs()) */
    uint32_t run;       /* 1 + the run it is in; 0: none, sent alone */
    /* 1 + the packet whose group it joined having that packet's headers
     * but for the fields each packet of a run has its own (follows()), or
     * 0 */
    uint32_t follows;
};

struct tun_gro_table {
    size_t capacity;
    size_t mask;     /* slot count - 1; twice the capacity or more */
    uint32_t *slots; /* per flow: 1 + index of its latest group; 0 free */
    struct gro_group *groups;
    struct gro_run *runs;
    size_t *listed;      /* the latest call's packets to send */
    /* Per packet heading a super-packet: its own headers, for undo. */
    uint8_t (*saved)[GRO_HDRS_MAX];
    struct gro_pkt *pkt; /* per packet */
    /* The latest call's batch, which the writes are read from. */
    tun_buf *bufs;
    const uint8_t *pflags; /* its per-packet flags, or NULL */
    tun_slice *payloads;   /* packets' payloads elsewhere, or NULL */
    size_t count;
    size_t offset;
    size_t nout; /* its writes */
};

int tun_gro_table_new(size_t capacity, tun_gro_table **out)
{
    if (!out || capacity == 0 || capacity > GRO_CAPACITY_MAX)
        return tun_fail(TUN_EINVAL,
                        "GRO table: capacity %zu is outside 1..%d", capacity,
                        GRO_CAPACITY_MAX);
    size_t slots = 1;
    while (slots < 2 * capacity)
        slots <<= 1;
    tun_gro_table *t = calloc(1, sizeof(*t));
    if (t) {
        t->slots = calloc(slots, sizeof(*t->slots));
        t->groups = calloc(capacity, sizeof(*t->groups));
        /* A group's runs cut in the first pass are cut again in the
         * second when a later packet of it comes out of order. */
        t->runs = calloc(2 * capacity, sizeof(*t->runs));
        t->listed = calloc(capacity, sizeof(*t->listed));
        t->pkt = calloc(capacity, sizeof(*t->pkt));
        t->saved = calloc(capacity, sizeof(*t->saved));
    }
    if (!t || !t->slots || !t->groups || !t->runs || !t->listed || !t->pkt ||
        !t->saved) {
        tun_gro_table_free(t);
        return tun_fail(TUN_ENOMEM, "GRO table: out of memory for %zu packets",
                        capacity);
    }
    t->capacity = capacity;
    t->mask = slots - 1;
    *out = t;
    return 0;
}

void tun_gro_table_free(tun_gro_table *t)
{
    if (!t)
        return;
    free(t->slots);
    free(t->groups);
    free(t->runs);
    free(t->listed);
    free(t->pkt);
    free(t->saved);
    free(t);
}

size_t tun_gro_table_capacity(const tun_gro_table *t)
{
    return t ? t->capacity : 0;
}

enum gro_kind {
    KIND_OTHER,     /* no flow we track: sent as it is */
    KIND_FLOW,      /* of a flow, but cannot join a run: ends the flow's run */
    KIND_CANDIDATE, /* may start or join a run */
};

/* Whether `a` and `b` hold the same n bytes: fixed-size loads the compiler
 * inlines, for the few header fields compared per packet. */
static inline bool same4(const uint8_t *a, const uint8_t *b)
{
    uint32_t x, y;
    memcpy(&x, a, sizeof(x));
    memcpy(&y, b, sizeof(y));
    return x == y;
}

static inline bool same8(const uint8_t *a, const uint8_t *b)
{
    uint64_t x, y;
    memcpy(&x, a, sizeof(x));
    memcpy(&y, b, sizeof(y));
    return x == y;
}

static inline uint64_t load8(const uint8_t *p)
{
    uint64_t x;
    memcpy(&x, p, sizeof(x));
    return x;
}

/* The bits in which 16 bytes at p + k and q + k differ where mask m + k
 * has them set. */
static TUN_ALWAYS_INLINE uint64_t masked_diff16(const uint8_t *p,
                                                const uint8_t *q,
                                                const uint8_t *m, size_t k)
{
    return ((load8(p + k) ^ load8(q + k)) & load8(m + k)) |
           ((load8(p + k + 8) ^ load8(q + k + 8)) & load8(m + k + 8));
}

/* The latest packet of a flow the coalescer looked at: a batch is mostly
 * runs of one flow's packets, whose layout and flow are then known without
 * parsing and hashing again, and whose headers are this packet's but for a
 * few fields. */
struct gro_like {
    const uint8_t *p; /* NULL: none */
    uint32_t index;   /* p's in the batch */
    tun_pkt pk;
    uint32_t hash;
    uint32_t *slot;
    bool candidate; /* p joined its flow's open group */
    struct gro_group *group; /* that group, when candidate */
    /* IPv4 without options: tun_pkt_ipv4_shared_sum() of the header,
     * in the CPU's byte order, once known, which a packet of
     * the same layout shares (RFC 1624) */
    bool ip_known;
    uint16_t ip_shared;
    /* The header bytes a packet that follows p must have equal to p's
     * (follows()), once known for pk's layout */
    bool mask_known;
    uint8_t mask[GRO_HDRS_MAX];
};

/* Whether packet p (len bytes, the first avail at p) has like's layout
 * (version, header lengths, protocol, not a fragment) and flow (addresses,
 * ports), its length fields matching len: what tun_pkt_parse_headers()
 * would find, checked without it. */
static bool same_layout(const struct gro_like *like, const uint8_t *p,
                        size_t avail, size_t len)
{
    const uint8_t *q = like->p;
    const tun_pkt *pk = &like->pk;
    size_t l3 = pk->l3_len, hdrs = l3 + pk->l4_len;
    if (avail < hdrs || len < hdrs || p[0] != q[0])
        return false;
    if (pk->version == 4) {
        /* TOS; flags and fragment offset, TTL, protocol; addresses. */
        if (p[1] != q[1] || tun_get16(p + 2) != len || !same4(p + 6, q + 6) ||
            !same8(p + 12, q + 12))
            return false;
    } else if (tun_get16(p + 4) + (size_t)TUN_IPV6_HDR_LEN != len ||
               p[6] != q[6] || !same8(p + 8, q + 8) ||
               !same8(p + 16, q + 16) || !same8(p + 24, q + 24) ||
               !same8(p + 32, q + 32)) {
        return false;
    }
    if (!same4(p + l3, q + l3)) /* ports */
        return false;
    if (pk->proto == TUN_IPPROTO_TCP)
        return p[l3 + 12] >> 4 == q[l3 + 12] >> 4; /* header length */
    return tun_get16(p + l3 + 4) == len - l3; /* UDP length */
}

static inline uint16_t load2(const uint8_t *p)
{
    uint16_t x;
    memcpy(&x, p, sizeof(x));
    return x;
}

/* Whether the IPv4 header p (20 bytes) has a right checksum: summed only
 * for the first packet of a layout, the others adding their own fields to
 * what they share with it. Four 16-bit values: their plain sum cannot
 * overflow, so the end-around carries are all left to the fold. Summed in
 * the CPU's byte order, which gives the same sum byte-swapped (RFC 1071):
 * 0xffff either way. */
static inline bool ipv4_header_ok(struct gro_like *like, const uint8_t *p)
{
    if (!like->ip_known) {
        uint16_t shared = tun_pkt_ipv4_shared_sum(p, TUN_IPV4_HDR_LEN);
        uint8_t bytes[2] = {(uint8_t)(shared >> 8), (uint8_t)shared};
        like->ip_shared = load2(bytes);
        like->ip_known = true;
    }
    uint32_t sum = (uint32_t)like->ip_shared + load2(p + 2) + load2(p + 4) +
                   load2(p + 10);
    return tun_csum_fold(sum) == 0xffff;
}

/* The mask of follows() for like's layout, hdrs header bytes: all but the
 * fields each packet of a run has its own (the IP and UDP lengths, IPv4
 * identification and header checksum, TCP sequence number, PSH and CWR,
 * and the TCP/UDP checksum). */
static void build_mask(struct gro_like *like, size_t hdrs)
{
    uint8_t *m = like->mask, *l4 = m + like->pk.l3_len;
    memset(m, 0xff, hdrs);
    if (like->pk.version == 4) {
        memset(m + 2, 0, 4);
        memset(m + 10, 0, 2);
    } else {
        memset(m + 4, 0, 2);
    }
    memset(l4 + 4, 0, 4); /* TCP sequence number; UDP length, checksum */
    if (like->pk.proto == TUN_IPPROTO_TCP) {
        l4[TUN_TCP_FLAGS] = (uint8_t)~(TUN_TCP_PSH | TUN_TCP_CWR);
        memset(l4 + TUN_TCP_CSUM_OFFSET, 0, 2);
    }
    like->mask_known = true;
}

/* Make the mask of follows() and, for IPv4, the shared header sum of
 * ipv4_header_ok() known for like's layout (its packet a candidate). */
static void follows_prepare(struct gro_like *like)
{
    if (!like->mask_known)
        build_mask(like, (size_t)like->pk.l3_len + like->pk.l4_len);
    if (like->pk.version == 4)
        (void)ipv4_header_ok(like, like->p);
}

/* Whether packet p (len bytes, the first avail at p) may have hdrs bytes
 * of headers and a payload: all of it at p, or its headers there and its
 * payload elsewhere. */
static inline bool holds_headers(size_t avail, size_t len, size_t hdrs)
{
    return len > hdrs && (avail == len || avail == hdrs);
}

/* Whether packet p (len bytes, holds_headers()) is a candidate whose
 * headers are those of packet q, like's layout (follows_prepare()), hdrs
 * bytes of which l3 the IP header, but for the fields each packet of a
 * run has its own: then it is of the same flow and layout (its length
 * fields are checked here), it has payload and a right IPv4 header
 * checksum, and it has no CWR (which starts a run). A batch of one flow's
 * segments costs a comparison of words per packet. */
static TUN_ALWAYS_INLINE bool follows(const struct gro_like *like,
                                      const uint8_t *q, const uint8_t *p,
                                      size_t len, size_t l3, size_t hdrs,
                                      bool v4, bool tcp)
{
    const uint8_t *m = like->mask;
    /* 16 bytes at a time, the last 16 ending with the headers (overlapping
     * bytes already compared); hdrs is 28 or more. Straight code for up to
     * 64 bytes, the usual headers, and a loop beyond. */
    uint64_t diff = masked_diff16(p, q, m, 0);
    if (hdrs > 32)
        diff |= masked_diff16(p, q, m, 16);
    if (hdrs > 48)
        diff |= masked_diff16(p, q, m, 32);
    if (hdrs > 64)
        for (size_t k = 48; k + 16 < hdrs; k += 16)
            diff |= masked_diff16(p, q, m, k);
    if (diff | masked_diff16(p, q, m, hdrs - 16))
        return false;
    if (v4) {
        uint32_t sum = (uint32_t)like->ip_shared + load2(p + 2) +
                       load2(p + 4) + load2(p + 10);
        if (tun_get16(p + 2) != len || tun_csum_fold(sum) != 0xffff)
            return false;
    } else if (tun_get16(p + 4) + (size_t)TUN_IPV6_HDR_LEN != len) {
        return false;
    }
    if (tcp)
        return !(p[l3 + TUN_TCP_FLAGS] & TUN_TCP_CWR);
    return tun_get16(p + l3 + 4) == len - l3 &&
           tun_get16(p + l3 + TUN_UDP_CSUM_OFFSET) != 0;
}

/* Packet p of len bytes, of which the first avail lie at p (all of them,
 * or exactly its headers when its payload lies elsewhere); its layout is
 * like's when `same` (same_layout()). */
static enum gro_kind classify(const uint8_t *p, size_t avail, size_t len,
                              unsigned flags, struct gro_like *like, bool same,
                              tun_pkt *pk)
{
    if (same) {
        *pk = like->pk;
    } else {
        like->ip_known = false; /* p's layout is another one */
        like->mask_known = false;
        if (tun_pkt_parse_headers(pk, p, avail, len) < 0 || pk->fragment)
            return KIND_OTHER;
        if (pk->proto != TUN_IPPROTO_TCP &&
            !(pk->proto == TUN_IPPROTO_UDP && (flags & TUN_COALESCE_UDP)))
            return KIND_OTHER;
    }
    size_t l3 = pk->l3_len;
    if (avail < len && avail != l3 + pk->l4_len)
        return KIND_OTHER; /* headers and payload cut elsewhere */
    if (len == l3 + pk->l4_len)
        return KIND_FLOW; /* no payload */
    if (pk->version == 4 &&
        (l3 != TUN_IPV4_HDR_LEN || !ipv4_header_ok(like, p)))
        return KIND_FLOW; /* IP options or a bad header checksum */
    if (pk->proto == TUN_IPPROTO_TCP) {
        uint8_t f = p[l3 + TUN_TCP_FLAGS];
        if (!(f & TUN_TCP_ACK) ||
            (f & (TUN_TCP_SYN | TUN_TCP_FIN | TUN_TCP_RST | TUN_TCP_URG)))
            return KIND_FLOW;
    } else if (tun_get16(p + l3 + TUN_UDP_CSUM_OFFSET) == 0) {
        return KIND_FLOW; /* no checksum: Linux's UDP GRO refuses it too */
    }
    return KIND_CANDIDATE;
}

static const uint8_t *addresses(const uint8_t *p, unsigned version,
                                size_t *n)
{
    *n = version == 4 ? 8 : 32;
    return p + (version == 4 ? 12 : 8);
}

static uint32_t flow_hash(const uint8_t *p, const tun_pkt *pk)
{
    size_t n;
    const uint8_t *a = addresses(p, pk->version, &n);
    uint32_t h = (uint32_t)pk->version << 8 | pk->proto;
    for (size_t i = 0; i <= n; i += 4) {
        /* The word after the addresses is the ports. */
        uint32_t w = i < n ? tun_get32(a + i) : tun_get32(p + pk->l3_len);
        h = (h ^ w) * 0x9e3779b1u;
        h ^= h >> 15;
    }
    return h;
}

/* The slot of p's flow: the one pointing at its latest group, or the free
 * slot where it would go. */
static uint32_t *flow_slot(tun_gro_table *t, const tun_buf *bufs,
                           size_t offset, const uint8_t *p,
                           const tun_pkt *pk, uint32_t hash)
{
    size_t n;
    const uint8_t *a = addresses(p, pk->version, &n);
    for (size_t i = hash & t->mask;; i = (i + 1) & t->mask) {
        uint32_t *slot = &t->slots[i];
        if (!*slot)
            return slot;
        const struct gro_group *g = &t->groups[*slot - 1];
        const uint8_t *h = bufs[g->first].data + offset;
        size_t hl3 = g->version == 4 ? TUN_IPV4_HDR_LEN : TUN_IPV6_HDR_LEN;
        if (g->hash == hash && g->version == pk->version &&
            g->proto == pk->proto && memcmp(a, h + (a - p), n) == 0 &&
            memcmp(p + pk->l3_len, h + hl3, 4) == 0)
            return slot;
    }
}

/* The IP fields that must match between the first packet h of a run of
 * segs packets and a packet p joining it. */
static bool ip_match(const uint8_t *h, const uint8_t *p, unsigned version,
                     unsigned segs)
{
    if (version == 6) /* version, traffic class, flow label; hop limit */
        return memcmp(h, p, 4) == 0 && h[7] == p[7];
    if (h[1] != p[1] || h[8] != p[8] || ((h[6] ^ p[6]) & 0xe0))
        return false; /* TOS, TTL, reserved/DF/MF bits */
    return (h[6] & TUN_IPV4_DF) ||
           (unsigned)tun_get16(p + 4) == ((tun_get16(h + 4) + segs) & 0xffff);
}

/* Equal TCP options: n bytes, a multiple of 4 (the header length is in
 * words), compared inline (n is 12 for the usual timestamps, too short for
 * a memcmp() call to pay). */
static bool same_options(const uint8_t *a, const uint8_t *b, size_t n)
{
    for (; n >= 8; n -= 8, a += 8, b += 8)
        if (!same8(a, b))
            return false;
    return n == 0 || same4(a, b);
}

static bool tcp_match(const struct gro_run *run, const uint8_t *th,
                      const uint8_t *tp)
{
    /* Only PSH may differ, and CWR on the first packet alone. */
    if ((tp[TUN_TCP_FLAGS] & ~TUN_TCP_PSH) !=
        (th[TUN_TCP_FLAGS] & ~TUN_TCP_CWR))
        return false;
    return tun_get32(tp + 4) == run->tally.next_seq &&
           same4(th + 8, tp + 8) && th[12] == tp[12] && /* ack, length */
           tun_get16(th + 14) == tun_get16(tp + 14) && /* window */
           tun_get16(th + 18) == tun_get16(tp + 18) && /* urgent pointer */
           same_options(th + TUN_TCP_HDR_LEN, tp + TUN_TCP_HDR_LEN,
                        run->l4_len - TUN_TCP_HDR_LEN);
}

/* Packet i of the latest batch: its bytes (headers first) at its buffer,
 * and its payload there or in its payload slice. */
static const uint8_t *packet_at(const tun_gro_table *t, size_t i)
{
    return t->pkt[i].p;
}

static size_t packet_len(const tun_gro_table *t, size_t i)
{
    return t->pkt[i].len;
}

/* The payload of packet i (its bytes at p), whose headers are hdrs bytes. */
static const uint8_t *payload_at(const tun_gro_table *t, size_t i,
                                 const uint8_t *p, size_t hdrs)
{
    if (t->payloads && t->payloads[i].len)
        return t->payloads[i].data;
    return p + hdrs;
}

/* Packet i's TCP/UDP checksum is right. */
static bool l4_valid(const tun_gro_table *t, size_t i, const tun_pkt *pk)
{
    const uint8_t *p = packet_at(t, i);
    size_t l3 = pk->l3_len, hdrs = l3 + pk->l4_len, len = packet_len(t, i);
    uint32_t sum = tun_pkt_pseudo_sum(p, pk, len - l3);
    sum = tun_csum_add_hdr(sum, p + l3, pk->l4_len);
    sum = tun_csum_add(sum, payload_at(t, i, p, hdrs), len - hdrs);
    return tun_csum_fold(sum) == 0xffff;
}

enum append_result { APPEND_DONE, APPEND_NO, APPEND_BAD_PACKET };

/* Whether packet i of the latest batch carries a partial checksum: it is
 * merged without verification (the opt-in of tun_offload_coalesce_flagged). */
static bool is_partial(const tun_gro_table *t, size_t i)
{
    return t->pflags && (t->pflags[i] & TUN_PACKET_CSUM_PARTIAL);
}

/* Whether packet p, which follows() the run's last packet q, may join the
 * run: only its own fields are left to check (see ip_match(), tcp_match();
 * with the rest of its headers equal to q's, and q's to the first
 * packet's where they must be, the IPv4 identification follows q's and
 * the flags are the first packet's). */
static TUN_ALWAYS_INLINE bool follower_match(bool v4, bool tcp,
                                             uint32_t next_seq,
                                             const uint8_t *q,
                                             const uint8_t *p, size_t l3)
{
    if (v4 && !(p[6] & TUN_IPV4_DF) &&
        tun_get16(p + 4) != ((tun_get16(q + 4) + 1u) & 0xffff))
        return false;
    return !tcp || tun_get32(p + l3 + 4) == next_seq;
}

/* The most packets a run of the protocol takes. */
static inline size_t segs_max(bool tcp)
{
    return tcp ? TUN_GRO_SEGS_MAX : GRO_UDP_SEGS_MAX;
}

/* The limits every run keeps (gso: its first packet's payload bytes), for
 * a payload of size bytes joining it. */
static TUN_ALWAYS_INLINE bool tally_has_room(const struct gro_tally *tl,
                                             size_t gso, bool tcp,
                                             size_t size)
{
    return size <= gso && tl->len + size <= TUN_IP_MAX_LEN &&
           tl->segs < segs_max(tcp);
}

/* Count a payload of size bytes at data into the tally (TCP: of a segment
 * with the flags given; UDP: 0): the run's length, its next sequence
 * number, and whether more may join. */
static TUN_ALWAYS_INLINE void tally_add(struct gro_tally *tl, size_t gso,
                                        bool tcp, size_t size,
                                        const uint8_t *data, uint8_t flags)
{
    tl->payload_end = tl->payload_end == data ? data + size : NULL;
    tl->len += (uint32_t)size;
    tl->segs++;
    if (size < gso)
        tl->open = false;
    if (tcp) {
        tl->next_seq += (uint32_t)size;
        if (flags & TUN_TCP_PSH) {
            tl->psh = true;
            tl->open = false;
        }
    }
}

/* Whether packet e (the next one of the run's group) may join the run by
 * the rules: the run's limits, and its headers against the first
 * packet's (or only its own fields, see follower_match(), when it
 * follows() the run's last packet). */
static bool run_match(const tun_gro_table *t, const struct gro_run *run,
                      const struct gro_pkt *e)
{
    const uint8_t *p = e->p;
    const tun_pkt *pk = &e->pk;
    size_t l3 = pk->l3_len;
    bool tcp = pk->proto == TUN_IPPROTO_TCP;
    if (!tally_has_room(&run->tally, run->gso_size, tcp,
                        e->len - l3 - pk->l4_len))
        return false;
    if (e->follows == run->last + 1)
        return follower_match(pk->version == 4, tcp, run->tally.next_seq,
                              packet_at(t, run->last), p, l3);
    const uint8_t *h = packet_at(t, run->first);
    return ip_match(h, p, pk->version, run->tally.segs) &&
           (!tcp || tcp_match(run, h + l3, p + l3));
}

/* tun_pkt_l4_shared_sum() of the run's first packet (pk: its layout),
 * computed when a packet whose checksum is verified first joins: not
 * needed when all are partial. */
static inline uint32_t run_l4_shared(const tun_gro_table *t,
                                     struct gro_run *run, const tun_pkt *pk)
{
    if (!run->l4_shared_known) {
        run->l4_shared = tun_pkt_l4_shared_sum(packet_at(t, run->first), pk);
        run->l4_shared_known = true;
    }
    return run->l4_shared;
}

/* Whether packet i (p, len bytes, layout pk), whose headers may join a run
 * whose first packet has the run_l4_shared() l4_shared, has a right
 * TCP/UDP checksum: its headers are the first packet's but for the fields
 * its own sum adds, and its checksum. */
static bool joins_valid(const tun_gro_table *t, uint32_t l4_shared,
                        const uint8_t *p, size_t len, const tun_pkt *pk,
                        size_t i)
{
    const uint8_t *tp = p + pk->l3_len;
    size_t hdrs = (size_t)pk->l3_len + pk->l4_len;
    size_t field = pk->proto == TUN_IPPROTO_TCP ? TUN_TCP_CSUM_OFFSET
                                                : TUN_UDP_CSUM_OFFSET;
    uint32_t sum = tun_pkt_l4_own_sum(l4_shared, tp, pk, len - pk->l3_len);
    sum = tun_csum_add16(sum, tun_get16(tp + field));
    sum = tun_csum_add(sum, payload_at(t, i, p, hdrs), len - hdrs);
    return tun_csum_fold(sum) == 0xffff;
}

/* Count packet i (entry e) into run number r (1 + its index), leaving it
 * where it is. */
static inline void count_in(const tun_gro_table *t, struct gro_run *run,
                            uint32_t r, struct gro_pkt *e, uint32_t i)
{
    size_t l3 = e->pk.l3_len, hdrs = l3 + e->pk.l4_len;
    bool tcp = e->pk.proto == TUN_IPPROTO_TCP;
    e->run = r;
    run->last = i;
    if (i < run->head)
        run->head = i;
    tally_add(&run->tally, run->gso_size, tcp, e->len - hdrs,
              payload_at(t, i, e->p, hdrs),
              tcp ? e->p[l3 + TUN_TCP_FLAGS] : 0);
}

/* Append packet i of the latest batch to run number r if run_match()
 * allows: verify it (unless its checksum is partial) and count it in. */
static enum append_result append(tun_gro_table *t, uint32_t r, uint32_t i)
{
    struct gro_run *run = &t->runs[r - 1];
    struct gro_pkt *e = &t->pkt[i];
    if (!run_match(t, run, e))
        return APPEND_NO;
    if (!run->verified) { /* once per run, when a second packet joins */
        if (!is_partial(t, run->first) &&
            !l4_valid(t, run->first, &e->pk)) {
            run->tally.open = false; /* sent alone; i may start a run */
            return APPEND_NO;
        }
        run->verified = true;
    }
    if (!is_partial(t, i) &&
        !joins_valid(t, run_l4_shared(t, run, &e->pk), e->p, e->len, &e->pk,
                     i))
        return APPEND_BAD_PACKET;
    count_in(t, run, r, e, i);
    return APPEND_DONE;
}

static void start_run(struct gro_run *run, uint32_t index, const uint8_t *p,
                      size_t len, const tun_pkt *pk, const uint8_t *payload)
{
    size_t hdrs = (size_t)pk->l3_len + pk->l4_len;
    memset(run, 0, sizeof(*run));
    run->tally.payload_end = payload + (len - hdrs);
    run->first = index;
    run->last = index;
    run->head = index;
    run->tally.len = (uint32_t)len;
    run->gso_size = (uint16_t)(len - hdrs);
    run->tally.segs = 1;
    run->version = pk->version;
    run->proto = pk->proto;
    run->l4_len = (uint8_t)pk->l4_len;
    run->tally.open = true;
    if (pk->proto == TUN_IPPROTO_TCP) {
        const uint8_t *tp = p + pk->l3_len;
        run->tally.next_seq = tun_get32(tp + 4) + (uint32_t)(len - hdrs);
        /* PSH ends a run at once: nothing may follow it. */
        run->tally.open = !(tp[TUN_TCP_FLAGS] & TUN_TCP_PSH);
    }
}

static size_t run_l3_len(const struct gro_run *run)
{
    return run->version == 4 ? TUN_IPV4_HDR_LEN : TUN_IPV6_HDR_LEN;
}

static size_t run_hdrs_len(const struct gro_run *run)
{
    return run_l3_len(run) + run->l4_len;
}

/* Turn a run of several packets into one super-packet: the headers of its
 * first packet, written over the head's, describe them all. */
static void finish_run(const struct gro_run *run, tun_buf *bufs,
                       size_t offset, uint8_t *saved)
{
    uint8_t *h = bufs[run->head].data + offset;
    size_t len = run->tally.len;
    tun_pkt pk = {.version = run->version,
                  .proto = run->proto,
                  .l3_len = (uint16_t)run_l3_len(run),
                  .l4_len = run->l4_len};
    size_t l3 = pk.l3_len;
    tun_copy_hdrs(saved, h, l3 + run->l4_len);
    if (run->head != run->first) /* the fields that differ: see append() */
        tun_copy_hdrs(h, bufs[run->first].data + offset, l3 + run->l4_len);
    if (run->tally.psh)
        h[l3 + TUN_TCP_FLAGS] |= TUN_TCP_PSH;
    if (run->version == 4) {
        tun_put16(h + 2, (uint32_t)len);
        tun_put16(h + 10, 0);
        tun_put16(h + 10, tun_csum_finish(tun_csum_add_hdr(0, h, l3)));
    } else {
        tun_put16(h + 4, (uint32_t)(len - l3));
    }
    tun_vnet_hdr vh = {.flags = TUN_VNET_F_NEEDS_CSUM,
                       .hdr_len = (uint16_t)(l3 + run->l4_len),
                       .gso_size = run->gso_size,
                       .csum_start = (uint16_t)l3};
    if (run->proto == TUN_IPPROTO_TCP) {
        vh.gso_type = run->version == 4 ? TUN_VNET_GSO_TCPV4 : TUN_VNET_GSO_TCPV6;
        if (h[l3 + TUN_TCP_FLAGS] & TUN_TCP_CWR)
            vh.gso_type |= TUN_VNET_GSO_ECN;
        vh.csum_offset = TUN_TCP_CSUM_OFFSET;
    } else {
        vh.gso_type = TUN_VNET_GSO_UDP_L4;
        vh.csum_offset = TUN_UDP_CSUM_OFFSET;
        tun_put16(h + l3 + 4, (uint32_t)(len - l3));
    }
    /* NEEDS_CSUM: the field holds the pseudo-header sum, not complemented;
     * the kernel adds the rest. */
    tun_put16(h + l3 + vh.csum_offset,
              tun_csum_fold(tun_pkt_pseudo_sum(h, &pk, len - l3)));
    tun_vnet_hdr_encode(h - TUN_VNET_HDR_LEN, &vh);
}

static int check_args(const tun_gro_table *t, const tun_buf *bufs,
                      size_t count, size_t offset)
{
    if (!t || (count && !bufs))
        return tun_fail(TUN_EINVAL, "GRO: NULL pointer");
    if (count > t->capacity)
        return tun_fail(TUN_EINVAL,
                        "GRO: %zu packets exceed the table's capacity %zu",
                        count, t->capacity);
    if (offset < TUN_VNET_HDR_LEN)
        return tun_fail(TUN_EINVAL,
                        "GRO: offset %zu leaves no room for the %d-byte "
                        "virtio-net header",
                        offset, TUN_VNET_HDR_LEN);
    return 0;
}

/* Whether a packet's buffer and payload slice (if any) are usable. */
static TUN_ALWAYS_INLINE bool packet_fits(const tun_buf *b,
                                          const tun_slice *payload,
                                          size_t offset)
{
    return b->data && b->capacity >= offset &&
           b->capacity - offset >= b->len &&
           (!payload || (payload->len <= TUN_PACKET_MAX &&
                         (payload->data || !payload->len)));
}

/* Packet i's buffer and payload slice (if any) are usable, or the reason
 * why not. */
static int check_packet(const tun_buf *b, const tun_slice *payload, size_t i,
                        size_t offset)
{
    if (packet_fits(b, payload, offset))
        return 0;
    if (!b->data || b->capacity < offset || b->capacity - offset < b->len)
        return tun_fail(TUN_EINVAL,
                        "GRO: packet %zu (offset %zu + %zu bytes) does not "
                        "fit its %zu-byte buffer",
                        i, offset, b->len, b->capacity);
    return tun_fail(TUN_EINVAL,
                    "GRO: payload %zu (%zu bytes) is NULL or larger than "
                    "any packet",
                    i, payload->len);
}

/* Sort the list from `list` along the packets' next by key, keeping the
 * batch order of equal keys: a merge sort of the linked list, bottom up,
 * so that it needs no memory but the links. Returns the new first packet. */
static uint32_t sort_by_key(struct gro_pkt *pkt, uint32_t list)
{
    for (size_t width = 1;; width *= 2) {
        uint32_t p = list, tail = GRO_NONE;
        size_t merges = 0;
        list = GRO_NONE;
        while (p != GRO_NONE) { /* merge two sorted lists of width each */
            merges++;
            uint32_t q = p;
            size_t np = 0, nq = width;
            while (np < width && q != GRO_NONE) {
                np++;
                q = pkt[q].next;
            }
            while (np > 0 || (nq > 0 && q != GRO_NONE)) {
                uint32_t e;
                if (np > 0 &&
                    (nq == 0 || q == GRO_NONE || pkt[p].key <= pkt[q].key)) {
                    e = p;
                    p = pkt[p].next;
                    np--;
                } else {
                    e = q;
                    q = pkt[q].next;
                    nq--;
                }
                if (tail == GRO_NONE)
                    list = e;
                else
                    pkt[tail].next = e;
                tail = e;
            }
            p = q;
        }
        pkt[tail].next = GRO_NONE;
        if (merges <= 1)
            return list;
    }
}

/* Start a group of the flow at slot with candidate i (packet p); returns
 * it. */
static struct gro_group *group_start(tun_gro_table *t, uint32_t *slot, size_t *ngroups,
                        uint32_t hash, uint32_t i, const uint8_t *p,
                        const tun_pkt *pk)
{
    struct gro_group *g = &t->groups[(*ngroups)++];
    *g = (struct gro_group){
        .first = i,
        .last = i,
        .slot = (uint32_t)(slot - t->slots),
        .hash = hash,
        .base_seq = pk->proto == TUN_IPPROTO_TCP
                        ? tun_get32(p + pk->l3_len + 4)
                        : 0,
        .top_key = GRO_KEY_BIAS,
        .version = pk->version,
        .proto = pk->proto,
        .sorted = true};
    *slot = (uint32_t)*ngroups;
    t->pkt[i].next = GRO_NONE;
    return g;
}

/* The key of a candidate of group g, at l4 its transport header. */
static inline uint32_t group_key(const struct gro_group *g, const uint8_t *l4)
{
    uint32_t key = GRO_KEY_BIAS;
    if (g->proto == TUN_IPPROTO_TCP)
        key += tun_get32(l4 + 4) - g->base_seq;
    return key;
}

/* Add candidate i, of key key (group_key()), to group g. */
static inline void group_add(tun_gro_table *t, struct gro_group *g,
                             uint32_t i, uint32_t key)
{
    t->pkt[i].next = GRO_NONE;
    t->pkt[g->last].next = i;
    g->last = i;
    if (key < g->top_key)
        g->sorted = false;
    else
        g->top_key = key;
}

/* The open group of the flow at slot, if any. */
static struct gro_group *open_group(tun_gro_table *t, const uint32_t *slot)
{
    struct gro_group *g = *slot ? &t->groups[*slot - 1] : NULL;
    return g && !g->closed ? g : NULL;
}

/* Take candidate i, the next of its group in order of sequence numbers,
 * into the group's runs: it joins the latest one (*latest: 1 + its index,
 * or 0), or starts one at t->runs[*nruns], or is sent alone (a bad
 * checksum). Returns whether it joined, and so goes out with an earlier
 * packet. */
static inline bool take(tun_gro_table *t, uint32_t *latest, size_t *nruns,
                        uint32_t i)
{
    struct gro_pkt *e = &t->pkt[i];
    if (*latest && t->runs[*latest - 1].tally.open) {
        enum append_result r = append(t, *latest, i);
        if (r == APPEND_DONE)
            return true;
        if (r == APPEND_BAD_PACKET) {
            t->runs[*latest - 1].tally.open = false;
            return false;
        }
    }
    size_t hdrs = (size_t)e->pk.l3_len + e->pk.l4_len;
    start_run(&t->runs[*nruns], i, e->p, e->len, &e->pk,
              payload_at(t, i, e->p, hdrs));
    *latest = (uint32_t)++*nruns;
    e->run = *latest;
    return false;
}

/* The second pass for a group whose packets came out of order: sort them
 * by sequence number and cut them into runs again from t->runs[nruns] on
 * (those the first pass cut are left unused); returns the new number of
 * runs. */
static size_t group_runs(tun_gro_table *t, struct gro_group *g, size_t nruns)
{
    for (uint32_t i = g->first; i != GRO_NONE; i = t->pkt[i].next)
        t->pkt[i].key = group_key(g, t->pkt[i].p + t->pkt[i].pk.l3_len);
    g->first = sort_by_key(t->pkt, g->first);
    uint32_t latest = 0;
    for (uint32_t i = g->first; i != GRO_NONE; i = t->pkt[i].next) {
        t->pkt[i].run = 0;
        (void)take(t, &latest, &nruns, i);
    }
    return nruns;
}

/* The packet that packet i went out with: its run's head, or itself. */
static inline size_t sent_with(const tun_gro_table *t, size_t i)
{
    uint32_t r = t->pkt[i].run;
    return r ? t->runs[r - 1].head : i;
}

/* The run of several packets that listed packet i heads, or NULL. */
static const struct gro_run *merged_run(const tun_gro_table *t, size_t i)
{
    uint32_t r = t->pkt[i].run;
    const struct gro_run *run = r ? &t->runs[r - 1] : NULL;
    return run && run->tally.segs > 1 && run->head == i ? run : NULL;
}

/* The first pass's usual case, in a loop of its own: the packets from j
 * on that follow() the packet before them (like's, the last of the open,
 * verified run number r of group g) and may join the run, checked and
 * counted in as take() would one by one (run_match(), append()), with the
 * run's state in locals meanwhile. Returns the first packet not taken,
 * where the first pass goes on with the general path. */
static TUN_ALWAYS_INLINE size_t take_followers_as(tun_gro_table *t,
                                                  struct gro_like *like,
                                                  struct gro_group *g,
                                                  uint32_t r, size_t j,
                                                  bool v4, bool tcp)
{
    static const tun_slice no_payload = {NULL, 0};
    const tun_buf *bufs = t->bufs;
    const uint8_t *pflags = t->pflags;
    struct gro_pkt *pkt = t->pkt;
    struct gro_run *run = &t->runs[r - 1];
    size_t count = t->count, offset = t->offset;
    /* Without payload slices, the same empty one for every packet. */
    const tun_slice *payload = t->payloads ? t->payloads + j : &no_payload;
    size_t payload_step = t->payloads ? 1 : 0;
    const tun_pkt pk = like->pk;
    size_t l3 = pk.l3_len, hdrs = l3 + pk.l4_len, gso = run->gso_size;
    struct gro_tally tally = run->tally;
    /* The keys (group_key()) of packets that take the loop rise with their
     * sequence numbers, by no more than the 64 KiB a run takes: they stay
     * in order unless they could wrap, which only a flow spread over 2 GiB
     * of sequence numbers in one batch comes near (left to the general
     * path). */
    uint32_t key_base = GRO_KEY_BIAS - g->base_seq;
    if (tcp && (key_base + tally.next_seq < g->top_key ||
                key_base + tally.next_seq > UINT32_MAX - TUN_IP_MAX_LEN))
        return j;
    const uint8_t *q = like->p;
    uint32_t last = like->index;
    follows_prepare(like);
    while (j < count) { /* the run is open */
        tun_buf b = bufs[j];
        if (!packet_fits(&b, payload, offset))
            break; /* the first pass reports it */
        const uint8_t *p = b.data + offset;
        size_t len = b.len + payload->len, size = len - hdrs;
        /* Its own fields first: in a batch out of order the next packet is
         * often of the flow but not the one that follows. */
        if (!holds_headers(b.len, len, hdrs) ||
            !follower_match(v4, tcp, tally.next_seq, q, p, l3) ||
            !follows(like, q, p, len, l3, hdrs, v4, tcp) ||
            !tally_has_room(&tally, gso, tcp, size))
            break;
        if (!(pflags && (pflags[j] & TUN_PACKET_CSUM_PARTIAL)) &&
            !joins_valid(t, run_l4_shared(t, run, &pk), p, len, &pk, j))
            break;
        struct gro_pkt *e = &pkt[j];
        e->p = p;
        e->len = len;
        e->pk = pk;
        e->follows = last + 1;
        e->run = r;
        /* Linked into the group as group_add() would, its key known to be
         * the highest (its next set after the loop). */
        pkt[last].next = (uint32_t)j;
        tally_add(&tally, gso, tcp, size,
                  payload->len ? payload->data : p + hdrs,
                  tcp ? p[l3 + TUN_TCP_FLAGS] : 0);
        q = p;
        last = (uint32_t)j++;
        payload += payload_step;
        if (!tally.open)
            break;
    }
    pkt[last].next = GRO_NONE;
    like->p = q;
    like->index = last;
    run->last = last;
    run->tally = tally;
    g->last = last;
    if (tcp) /* A UDP group's keys are all its first one's. */
        g->top_key = key_base + tun_get32(q + l3 + 4);
    return j;
}

/* take_followers_as() with the IP version and the protocol known to the
 * compiler, which then leaves out what the other layouts need: the loop
 * runs for every packet of a super-packet. */
static size_t take_followers(tun_gro_table *t, struct gro_like *like,
                             struct gro_group *g, uint32_t r, size_t j)
{
    bool tcp = like->pk.proto == TUN_IPPROTO_TCP;
    if (like->pk.version == 4)
        return tcp ? take_followers_as(t, like, g, r, j, true, true)
                   : take_followers_as(t, like, g, r, j, true, false);
    return tcp ? take_followers_as(t, like, g, r, j, false, true)
               : take_followers_as(t, like, g, r, j, false, false);
}

/* What the first pass leaves to the rest of tun_offload_coalesce_slices(). */
struct gro_pass {
    size_t ngroups;
    size_t nruns;
    size_t nout;    /* packets listed to send */
    bool reordered; /* a group's packets came out of order */
};

/* The first pass of tun_offload_coalesce_slices(): check each packet's
 * buffer, put each flow's candidates in groups and, while a group's
 * packets come in order of sequence numbers (the usual case), cut its
 * runs and list the packets that go out, as the second pass would after
 * sorting. Returns 0, or an error with every flow table slot free again. */
static int first_pass(tun_gro_table *t, unsigned flags, struct gro_pass *out)
{
    /* Locals: the compiler must assume that a byte stored anywhere may
     * change the table's fields. */
    const tun_buf *bufs = t->bufs;
    const tun_slice *payloads = t->payloads;
    struct gro_pkt *pkt = t->pkt;
    size_t *listed = t->listed;
    size_t count = t->count, offset = t->offset;
    size_t ngroups = 0, nruns = 0, nout = 0;
    bool reordered = false;
    struct gro_like like = {.p = NULL, .mask_known = false};
    for (size_t i = 0; i < count; i++) {
        const tun_slice *payload = payloads ? &payloads[i] : NULL;
        int rc = check_packet(&bufs[i], payload, i, offset);
        if (rc < 0) {
            for (size_t g = 0; g < ngroups; g++)
                t->slots[t->groups[g].slot] = 0;
            return rc;
        }
        struct gro_pkt *e = &pkt[i];
        const uint8_t *p = bufs[i].data + offset;
        size_t avail = bufs[i].len, len = avail + (payload ? payload->len : 0);
        e->len = len;
        e->p = p;
        e->run = 0;
        e->follows = 0;
        struct gro_group *g = NULL;
        {
            bool same = like.p && same_layout(&like, p, avail, len);
            enum gro_kind kind =
                classify(p, avail, len, flags, &like, same, &e->pk);
            if (kind == KIND_OTHER) {
                if (len) /* length 0: nothing to send */
                    listed[nout++] = i;
                continue;
            }
            uint32_t hash = same ? like.hash : flow_hash(p, &e->pk);
            uint32_t *slot =
                same ? like.slot
                     : flow_slot(t, bufs, offset, p, &e->pk, hash);
            like.pk = e->pk; /* its IPv4 shared sum, if any, classify() left */
            like.hash = hash;
            like.slot = slot;
            like.candidate = kind == KIND_CANDIDATE;
            if (like.candidate) {
                g = open_group(t, slot);
                if (g)
                    group_add(t, g, (uint32_t)i,
                              group_key(g, p + e->pk.l3_len));
                else
                    g = group_start(t, slot, &ngroups, hash, (uint32_t)i, p,
                                    &e->pk);
                like.group = g;
            } else if (*slot) { /* nothing after it merges with anything
                                   before */
                t->groups[*slot - 1].closed = true;
            }
        }
        like.p = p;
        like.index = (uint32_t)i;
        bool joined = false;
        if (g && g->sorted)
            joined = take(t, &g->run, &nruns, (uint32_t)i);
        else if (g)
            reordered = true; /* the second pass cuts its runs */
        if (!joined)
            listed[nout++] = i;
        struct gro_run *run = e->run ? &t->runs[e->run - 1] : NULL;
        if (run && !run->verified && is_partial(t, run->first))
            run->verified = true; /* as append() would: nothing to check */
        if (run && run->tally.open && run->verified && g->sorted)
            i = take_followers(t, &like, g, e->run, i + 1) - 1;
    }
    *out = (struct gro_pass){ngroups, nruns, nout, reordered};
    return 0;
}

int tun_offload_coalesce_slices(tun_gro_table *t, tun_buf *bufs,
                                tun_slice *payloads, const uint8_t *pflags,
                                size_t count, size_t offset, unsigned flags)
{
    int rc = check_args(t, bufs, count, offset);
    if (rc < 0)
        return rc;
    t->pflags = pflags;
    t->payloads = payloads;
    t->bufs = bufs;
    t->offset = offset;
    t->count = count;
    t->nout = 0;
    struct gro_pass pass;
    rc = first_pass(t, flags, &pass);
    if (rc < 0) {
        t->count = 0; /* no writes to read */
        return rc;
    }
    size_t nruns = pass.nruns, nout = pass.nout;
    for (size_t g = 0; g < pass.ngroups; g++) {
        struct gro_group *group = &t->groups[g];
        if (!group->sorted)
            nruns = group_runs(t, group, nruns);
        t->slots[group->slot] = 0; /* empty for the next call */
    }
    if (pass.reordered) { /* a run goes out from its earliest packet */
        nout = 0;
        for (size_t i = 0; i < count; i++)
            if (t->pkt[i].len && sent_with(t, i) == i)
                t->listed[nout++] = i;
    }
    for (size_t k = 0; k < nout; k++) {
        size_t i = t->listed[k];
        uint32_t r = t->pkt[i].run; /* if any, i heads it */
        if (r && t->runs[r - 1].tally.segs > 1) {
            finish_run(&t->runs[r - 1], bufs, offset, t->saved[i]);
            continue;
        }
        /* A packet alone: a zero header, or one that has the kernel
         * finish its partial checksum. */
        uint8_t *p = bufs[i].data + offset;
        tun_vnet_hdr vh = {0};
        if (is_partial(t, i))
            (void)tun_vnet_partial_target(p, bufs[i].len, t->pkt[i].len, &vh);
        tun_vnet_hdr_encode(p - TUN_VNET_HDR_LEN, &vh);
    }
    t->nout = nout;
    return (int)nout;
}

int tun_offload_coalesce_flagged(tun_gro_table *t, tun_buf *bufs,
                                 const uint8_t *pflags, size_t count,
                                 size_t offset, unsigned flags)
{
    return tun_offload_coalesce_slices(t, bufs, NULL, pflags, count, offset,
                                       flags);
}

int tun_offload_coalesce(tun_gro_table *t, tun_buf *bufs, size_t count,
                         size_t offset, unsigned flags)
{
    return tun_offload_coalesce_flagged(t, bufs, NULL, count, offset, flags);
}

size_t tun_gro_sent_with(const tun_gro_table *t, size_t i)
{
    return sent_with(t, i);
}

size_t tun_offload_write_index(const tun_gro_table *t, size_t k)
{
    return t && k < t->nout ? t->listed[k] : SIZE_MAX;
}

size_t tun_offload_write_slices(const tun_gro_table *t, size_t k,
                                tun_slice *out)
{
    if (!t || !out || k >= t->nout)
        return 0;
    size_t i = t->listed[k];
    const uint8_t *start = packet_at(t, i) - TUN_VNET_HDR_LEN;
    out[0] = (tun_slice){start, TUN_VNET_HDR_LEN + t->bufs[i].len};
    const struct gro_run *run = merged_run(t, i);
    if (!run) { /* alone: its bytes, and its payload slice if any */
        if (t->payloads && t->payloads[i].len) {
            out[1] = t->payloads[i];
            return 2;
        }
        return 1;
    }
    /* The head's headers, then every payload in order of sequence numbers,
     * the head's own one too; payloads that lie end to end (cut from one
     * super-packet, or right behind the headers) make one slice. */
    size_t hdrs = run_hdrs_len(run), n = 1;
    out[0].len = TUN_VNET_HDR_LEN + hdrs;
    if (run->tally.payload_end) { /* all of them end to end */
        const uint8_t *data =
            payload_at(t, run->first, packet_at(t, run->first), hdrs);
        if (out[0].data + out[0].len == data) {
            out[0].len += run->tally.len - hdrs;
            return 1;
        }
        out[1] = (tun_slice){data, run->tally.len - hdrs};
        return 2;
    }
    for (uint32_t j = run->first;; j = t->pkt[j].next) {
        tun_slice s = {payload_at(t, j, packet_at(t, j), hdrs),
                       packet_len(t, j) - hdrs};
        tun_slice *prev = &out[n - 1];
        if (prev->data + prev->len == s.data)
            prev->len += s.len;
        else
            out[n++] = s;
        if (j == run->last)
            return n;
    }
}

int tun_offload_write_gather(const tun_gro_table *t, size_t k, uint8_t *dst,
                             size_t cap)
{
    tun_slice slices[TUN_SLICES_MAX];
    size_t n = tun_offload_write_slices(t, k, slices), len = 0;
    if (!n || !dst)
        return tun_fail(TUN_EINVAL,
                        "tun_offload_write_gather: no write %zu (NULL "
                        "argument, or k not below tun_offload_coalesce()'s "
                        "result)",
                        k);
    for (size_t s = 0; s < n; s++)
        len += slices[s].len;
    if (len > cap)
        return tun_fail(TUN_ENOBUFS,
                        "tun_offload_write_gather: write %zu is %zu bytes, "
                        "more than the %zu given (TUN_OFFLOAD_BUF_SIZE "
                        "suffices)",
                        k, len, cap);
    for (size_t s = 0, at = 0; s < n; at += slices[s++].len)
        memcpy(dst + at, slices[s].data, slices[s].len);
    return (int)len;
}

size_t tun_offload_write_failed(tun_gro_table *t, size_t k)
{
    if (!t || k >= t->nout)
        return t ? t->count : 0;
    tun_buf *bufs = t->bufs;
    size_t at = t->listed[k];
    /* Give every unwritten super-packet's head its headers back (the
     * packets merged into it were only read). */
    for (size_t j = k; j < t->nout; j++) {
        const struct gro_run *run = merged_run(t, t->listed[j]);
        if (run)
            memcpy(bufs[run->head].data + t->offset, t->saved[run->head],
                   run_hdrs_len(run));
    }
    for (size_t i = at + 1; i < t->count; i++)
        if (sent_with(t, i) < at) {
            bufs[i].len = 0;
            if (t->payloads)
                t->payloads[i].len = 0;
        }
    t->nout = k; /* those writes are gone */
    return at;
}
