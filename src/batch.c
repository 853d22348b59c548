/* tun_recv_multiple() and tun_send_multiple() on every platform: argument
 * checks and the plain path (one packet per read, one write per packet);
 * an offload device's backend does the rest. */
#include "engine/gro.h"
#include "engine/gso.h"
#include "internal.h"

#include <limits.h>
#include <string.h>

static bool is_offload(tun_device *dev)
{
    return tun_handle_flags(dev) & TUN_FLAG_OFFLOAD;
}

int tun_recv_multiple(tun_device *dev, tun_buf *bufs, size_t count,
                      size_t offset)
{
    return tun_recv_multiple_flagged(dev, bufs, NULL, count, offset);
}

/* The receiving calls' check before they read (name: the call's): the
 * first buffer, which every packet needs. The others are checked as a
 * packet's segments need them (the split's TUN_EMSGSIZE), so that a call
 * handing over one small packet costs nothing per buffer it does not
 * use. */
static int check_recv_bufs(const char *name, const tun_buf *bufs,
                           size_t count, size_t offset)
{
    if (count == 0)
        return tun_fail(TUN_EINVAL, "%s: no buffers", name);
    if (!bufs[0].data || bufs[0].capacity <= offset)
        return tun_fail(TUN_EINVAL, "%s: buffer 0 (capacity %zu) has no "
                        "room after offset %zu", name, bufs[0].capacity,
                        offset);
    return 0;
}

/* Without offload: one packet read into bufs[0], as tun_read() reads it. */
static int recv_plain(tun_device *dev, tun_buf *bufs, uint8_t *pflags,
                      size_t offset)
{
    tun_buf *b = &bufs[0];
    int n = tun_read(dev, b->data + offset, b->capacity - offset);
    if (n < 0)
        return n;
    b->len = (size_t)n;
    if (pflags)
        pflags[0] = 0;
    return 1;
}

int tun_recv_multiple_flagged(tun_device *dev, tun_buf *bufs, uint8_t *pflags,
                              size_t count, size_t offset)
{
    if (!dev || !bufs)
        return tun_fail(TUN_EINVAL, "tun_recv_multiple: NULL pointer");
    int rc = check_recv_bufs("tun_recv_multiple", bufs, count, offset);
    if (rc < 0)
        return rc;
    if (is_offload(dev))
        return tun_offload_recv(dev, bufs, pflags, count, offset);
    return recv_plain(dev, bufs, pflags, offset);
}

int tun_recv_slices(tun_device *dev, uint8_t *read_buf, size_t read_size,
                    tun_buf *hdrs, tun_slice *payloads, uint8_t *pflags,
                    size_t count, size_t offset)
{
    if (!dev || !read_buf || !hdrs || !payloads)
        return tun_fail(TUN_EINVAL, "tun_recv_slices: NULL pointer");
    if (read_size <= TUN_VNET_HDR_LEN)
        return tun_fail(TUN_EINVAL, "tun_recv_slices: a %zu-byte read "
                        "buffer (TUN_OFFLOAD_BUF_SIZE always suffices)",
                        read_size);
    int rc = check_recv_bufs("tun_recv_slices", hdrs, count, offset);
    if (rc < 0)
        return rc;
    if (is_offload(dev))
        return tun_offload_recv_slices(dev, read_buf, read_size, hdrs,
                                       payloads, pflags, count, offset);
    rc = recv_plain(dev, hdrs, pflags, offset);
    if (rc > 0)
        payloads[0] = (tun_slice){NULL, 0};
    return rc;
}

/* One packet with tun_write(); a partial checksum (pflags) is completed
 * first, and put back if the write fails. */
static int send_one(tun_device *dev, uint8_t *p, size_t len, bool partial)
{
    tun_vnet_hdr vh;
    if (!partial || tun_vnet_partial_target(p, len, len, &vh) < 0)
        return tun_write(dev, p, len);
    uint8_t *field = p + vh.csum_start + vh.csum_offset;
    uint8_t saved[2] = {field[0], field[1]};
    tun_vnet_complete(&vh, p, p, len);
    int rc = tun_write(dev, p, len);
    if (rc < 0)
        memcpy(field, saved, 2);
    return rc;
}

int tun_send_plain(tun_device *dev, tun_buf *bufs, const uint8_t *pflags,
                   size_t count, size_t offset)
{
    for (size_t i = 0; i < count; i++) {
        if (bufs[i].len == 0)
            continue;
        bool partial = pflags && (pflags[i] & TUN_PACKET_CSUM_PARTIAL);
        int rc = send_one(dev, bufs[i].data + offset, bufs[i].len, partial);
        if (rc < 0)
            return i ? (int)i : rc;
    }
    return (int)count;
}

int tun_send_multiple(tun_device *dev, tun_gro_table *table, tun_buf *bufs,
                      size_t count, size_t offset)
{
    return tun_send_multiple_flagged(dev, table, bufs, NULL, count, offset);
}

/* The sending calls: their checks, then the plain path or the backend's
 * (payloads: NULL, or a slice per packet after its buffer's bytes). */
static int send_batch(const char *name, tun_device *dev,
                      tun_gro_table *table, tun_buf *bufs,
                      tun_slice *payloads, const uint8_t *pflags,
                      size_t count, size_t offset)
{
    if (!dev || (count && !bufs))
        return tun_fail(TUN_EINVAL, "%s: NULL pointer", name);
    if (count > (size_t)INT_MAX)
        return tun_fail(TUN_EINVAL, "%s: %zu packets", name, count);
    if (table && is_offload(dev)) {
        if (offset < TUN_VNET_HDR_LEN)
            return tun_fail(TUN_EINVAL, "%s: offset %zu leaves no room for "
                            "the %d-byte virtio-net header", name, offset,
                            TUN_VNET_HDR_LEN);
        if (count > tun_gro_table_capacity(table))
            return tun_fail(TUN_EINVAL, "%s: %zu packets exceed the GRO "
                            "table's capacity %zu", name, count,
                            tun_gro_table_capacity(table));
        /* The coalescer checks each packet's buffer and payload slice
         * before it writes anything. */
        return tun_offload_send(dev, table, bufs, payloads, pflags, count,
                                offset);
    }
    for (size_t i = 0; i < count; i++) {
        if (!bufs[i].data || bufs[i].capacity < offset ||
            bufs[i].capacity - offset < bufs[i].len)
            return tun_fail(TUN_EINVAL, "%s: packet %zu (offset %zu + %zu "
                            "bytes) does not fit its %zu-byte buffer", name,
                            i, offset, bufs[i].len, bufs[i].capacity);
        if (payloads && payloads[i].len)
            return tun_fail(TUN_EINVAL, "%s: packet %zu has its payload "
                            "elsewhere, which needs an offload device and a "
                            "GRO table", name, i);
    }
    return tun_send_plain(dev, bufs, pflags, count, offset);
}

int tun_send_multiple_flagged(tun_device *dev, tun_gro_table *table,
                              tun_buf *bufs, const uint8_t *pflags,
                              size_t count, size_t offset)
{
    return send_batch("tun_send_multiple", dev, table, bufs, NULL, pflags,
                      count, offset);
}

int tun_send_slices(tun_device *dev, tun_gro_table *table, tun_buf *hdrs,
                    tun_slice *payloads, const uint8_t *pflags, size_t count,
                    size_t offset)
{
    if (!payloads)
        return tun_fail(TUN_EINVAL, "tun_send_slices: NULL pointer");
    return send_batch("tun_send_slices", dev, table, hdrs, payloads, pflags,
                      count, offset);
}

#if !defined(__linux__)
/* Only the Linux backend has offload devices; elsewhere no device has
 * TUN_FLAG_OFFLOAD (tun_config_set_offload() refuses), so these are never
 * reached. */
int tun_offload_recv(tun_device *dev, tun_buf *bufs, uint8_t *pflags,
                     size_t count, size_t offset)
{
    (void)dev, (void)bufs, (void)pflags, (void)count, (void)offset;
    return tun_fail(TUN_ENOTSUP, "offload: not on this platform");
}

int tun_offload_recv_slices(tun_device *dev, uint8_t *read_buf,
                            size_t read_size, tun_buf *hdrs,
                            tun_slice *payloads, uint8_t *pflags,
                            size_t count, size_t offset)
{
    (void)dev, (void)read_buf, (void)read_size, (void)hdrs, (void)payloads,
        (void)pflags, (void)count, (void)offset;
    return tun_fail(TUN_ENOTSUP, "offload: not on this platform");
}

int tun_offload_send(tun_device *dev, tun_gro_table *table, tun_buf *bufs,
                     tun_slice *payloads, const uint8_t *pflags, size_t count,
                     size_t offset)
{
    (void)dev, (void)table, (void)bufs, (void)payloads, (void)pflags,
        (void)count, (void)offset;
    return tun_fail(TUN_ENOTSUP, "offload: not on this platform");
}
#endif
