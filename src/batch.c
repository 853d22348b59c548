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

int tun_recv_multiple_flagged(tun_device *dev, tun_buf *bufs, uint8_t *pflags,
                              size_t count, size_t offset)
{
    if (!dev || !bufs)
        return tun_fail(TUN_EINVAL, "tun_recv_multiple: NULL pointer");
    if (count == 0)
        return tun_fail(TUN_EINVAL, "tun_recv_multiple: no buffers");
    for (size_t i = 0; i < count; i++)
        if (!bufs[i].data || bufs[i].capacity <= offset)
            return tun_fail(TUN_EINVAL, "tun_recv_multiple: buffer %zu "
                            "(capacity %zu) has no room after offset %zu", i,
                            bufs[i].capacity, offset);
    if (is_offload(dev))
        return tun_offload_recv(dev, bufs, pflags, count, offset);
    tun_buf *b = &bufs[0];
    int n = tun_read(dev, b->data + offset, b->capacity - offset);
    if (n < 0)
        return n;
    b->len = (size_t)n;
    if (pflags)
        pflags[0] = 0;
    return 1;
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

int tun_send_multiple_flagged(tun_device *dev, tun_gro_table *table,
                              tun_buf *bufs, const uint8_t *pflags,
                              size_t count, size_t offset)
{
    if (!dev || (count && !bufs))
        return tun_fail(TUN_EINVAL, "tun_send_multiple: NULL pointer");
    if (count > (size_t)INT_MAX)
        return tun_fail(TUN_EINVAL, "tun_send_multiple: %zu packets", count);
    for (size_t i = 0; i < count; i++)
        if (!bufs[i].data || bufs[i].capacity < offset ||
            bufs[i].capacity - offset < bufs[i].len)
            return tun_fail(TUN_EINVAL, "tun_send_multiple: packet %zu "
                            "(offset %zu + %zu bytes) does not fit its "
                            "%zu-byte buffer", i, offset, bufs[i].len,
                            bufs[i].capacity);
    if (!table || !is_offload(dev))
        return tun_send_plain(dev, bufs, pflags, count, offset);
    if (offset < TUN_VNET_HDR_LEN)
        return tun_fail(TUN_EINVAL, "tun_send_multiple: offset %zu leaves no "
                        "room for the %d-byte virtio-net header", offset,
                        TUN_VNET_HDR_LEN);
    if (count > tun_gro_table_capacity(table))
        return tun_fail(TUN_EINVAL, "tun_send_multiple: %zu packets exceed "
                        "the GRO table's capacity %zu", count,
                        tun_gro_table_capacity(table));
    return tun_offload_send(dev, table, bufs, pflags, count, offset);
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

int tun_offload_send(tun_device *dev, tun_gro_table *table, tun_buf *bufs,
                     const uint8_t *pflags, size_t count, size_t offset)
{
    (void)dev, (void)table, (void)bufs, (void)pflags, (void)count,
        (void)offset;
    return tun_fail(TUN_ENOTSUP, "offload: not on this platform");
}
#endif
