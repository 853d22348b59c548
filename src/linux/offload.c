/* Batched I/O of an offload device: one read of a super-packet cut into
 * plain packets, and plain packets merged into super-packets before they
 * are written. The packet work is the engine's (src/engine/); this file
 * only reads, writes and keeps the promises of tun_send_multiple() when a
 * write fails. */
#include "device.h"

#include "../engine/gro.h"
#include "../engine/gso.h"

#include <limits.h>
#include <string.h>

/* The reason for a packet that was read but cannot be handed over. */
static int tun_offload_dropped(int rc)
{
    if (rc == TUN_EINVAL)
        return tun_fail(TUN_EIO, "tun_recv_multiple: the kernel's header "
                        "does not match its packet (%s); the packet was "
                        "dropped", tun_last_error());
    return tun_fail(rc, "tun_recv_multiple: %s; the packet was dropped",
                    tun_last_error());
}

/* Hand over segments of the kept packet from rx_next on. */
static int tun_offload_recv_kept(tun_device *dev, tun_buf *bufs,
                                 uint8_t *pflags, size_t count, size_t offset)
{
    size_t total;
    int n = tun_offload_split_flagged(dev->rx_vnet, dev->rx_buf, dev->rx_len,
                                      dev->rx_next, bufs, pflags, count,
                                      offset, &total);
    if (n < 0) {
        dev->rx_next = 0;
        return tun_offload_dropped(n);
    }
    dev->rx_next += (size_t)n;
    if (dev->rx_next == total)
        dev->rx_next = 0;
    return n;
}

int tun_offload_recv(tun_device *dev, tun_buf *bufs, uint8_t *pflags,
                     size_t count, size_t offset)
{
    pthread_mutex_lock(&dev->rx_lock);
    int n;
    if (dev->rx_next) {
        n = tun_offload_recv_kept(dev, bufs, pflags, count, offset);
        pthread_mutex_unlock(&dev->rx_lock);
        return n;
    }
    /* Straight into the first buffer when the largest packet fits there:
     * its first segment is then cut in place. */
    tun_buf *first = &bufs[0];
    bool in_place = first->data && first->capacity >= offset &&
                    first->capacity - offset >= TUN_PACKET_MAX;
    uint8_t *pkt = in_place ? first->data + offset : dev->rx_buf;
    n = tun_linux_read_packet(dev, dev->rx_vnet, pkt, TUN_PACKET_MAX, -1,
                              true);
    if (n >= 0) {
        size_t len = (size_t)n, total;
        n = tun_offload_split_flagged(dev->rx_vnet, pkt, len, 0, bufs, pflags,
                                      count, offset, &total);
        if (n == TUN_ENOBUFS && in_place) {
            /* More segments than buffers (nothing was written): keep the
             * packet and hand it over in parts, this call and the next. */
            memcpy(dev->rx_buf, pkt, len);
            dev->rx_len = len;
            n = tun_offload_recv_kept(dev, bufs, pflags, count, offset);
        } else if (n >= 0 && (size_t)n < total) {
            dev->rx_len = len; /* the rest, first thing in the next calls */
            dev->rx_next = (size_t)n;
        } else if (n < 0) {
            n = tun_offload_dropped(n);
        }
    }
    pthread_mutex_unlock(&dev->rx_lock);
    return n;
}

/* Hand over segments of the super-packet in read_buf (header, then packet)
 * from rx_slices_next on, keeping the place when some are left. */
static int tun_offload_recv_slices_kept(tun_device *dev,
                                        const uint8_t *read_buf,
                                        tun_buf *hdrs, tun_slice *payloads,
                                        uint8_t *pflags, size_t count,
                                        size_t offset)
{
    size_t total;
    int n = tun_offload_split_slices(read_buf, read_buf + TUN_VNET_HDR_LEN,
                                     dev->rx_slices_len,
                                     dev->rx_slices_next, hdrs, payloads,
                                     pflags, count, offset, &total);
    if (n < 0) {
        dev->rx_slices_buf = NULL;
        return tun_offload_dropped(n);
    }
    dev->rx_slices_next += (size_t)n;
    dev->rx_slices_buf = dev->rx_slices_next < total ? read_buf : NULL;
    return n;
}

int tun_offload_recv_slices(tun_device *dev, uint8_t *read_buf,
                            size_t read_size, tun_buf *hdrs,
                            tun_slice *payloads, uint8_t *pflags,
                            size_t count, size_t offset)
{
    pthread_mutex_lock(&dev->rx_lock);
    int n;
    if (dev->rx_slices_buf && dev->rx_slices_buf != read_buf) {
        /* Dropped, so that a caller who moved on is not refused forever. */
        dev->rx_slices_buf = NULL;
        n = tun_fail(TUN_EINVAL, "tun_recv_slices: the rest of a "
                     "super-packet was in another read buffer (pass that "
                     "one until it is handed over); it was dropped");
    } else if (dev->rx_slices_buf) {
        n = tun_offload_recv_slices_kept(dev, read_buf, hdrs, payloads,
                                         pflags, count, offset);
    } else {
        n = tun_linux_read_packet(dev, read_buf, read_buf + TUN_VNET_HDR_LEN,
                                  read_size - TUN_VNET_HDR_LEN, -1, true);
        if (n >= 0) {
            dev->rx_slices_len = (size_t)n;
            dev->rx_slices_next = 0;
            n = tun_offload_recv_slices_kept(dev, read_buf, hdrs, payloads,
                                             pflags, count, offset);
        }
    }
    pthread_mutex_unlock(&dev->rx_lock);
    return n;
}

_Static_assert(TUN_SLICES_MAX <= IOV_MAX,
               "a super-packet's slices must fit one writev()");

/* Write k of the coalesced batch: one writev() of its slices, which the
 * kernel copies from where they are. */
static int tun_offload_write(tun_device *dev, const tun_gro_table *t,
                             size_t k)
{
    tun_slice slices[TUN_SLICES_MAX];
    struct iovec iov[TUN_SLICES_MAX];
    size_t n = tun_offload_write_slices(t, k, slices);
    for (size_t s = 0; s < n; s++)
        iov[s] = (struct iovec){(void *)(uintptr_t)slices[s].data,
                                slices[s].len};
    int rc = tun_unix_transfer(&dev->io, false, iov, (int)n, -1, true);
    return rc < 0 ? rc : 0;
}

/* The rest of a batch after the kernel refused a super-packet, unmerged.
 * A packet with its payload elsewhere goes out as its own write of the
 * coalescer (its slices, partial checksum left to the kernel); the others
 * as tun_write() sends them. Returns as tun_send_multiple(). */
static int tun_offload_send_unmerged(tun_device *dev, tun_gro_table *table,
                                     tun_buf *bufs, tun_slice *payloads,
                                     const uint8_t *pflags, size_t count,
                                     size_t offset)
{
    if (!payloads)
        return tun_send_plain(dev, bufs, pflags, count, offset);
    for (size_t i = 0; i < count; i++) {
        int n = tun_offload_coalesce_slices(table, bufs + i, payloads + i,
                                            pflags ? pflags + i : NULL, 1,
                                            offset, 0);
        int rc = n == 1 ? tun_offload_write(dev, table, 0) : n;
        if (rc < 0) {
            if (n == 1)
                tun_offload_write_failed(table, 0);
            return i ? (int)i : rc;
        }
    }
    return (int)count;
}

int tun_offload_send(tun_device *dev, tun_gro_table *table, tun_buf *bufs,
                     tun_slice *payloads, const uint8_t *pflags, size_t count,
                     size_t offset)
{
    unsigned flags = (dev->io.flags & TUN_FLAG_UDP_GSO) ? TUN_COALESCE_UDP
                                                        : 0;
    int n = tun_offload_coalesce_slices(table, bufs, payloads, pflags, count,
                                        offset, flags);
    if (n < 0)
        return n;
    for (size_t k = 0; k < (size_t)n; k++) {
        int rc = tun_offload_write(dev, table, k);
        if (rc >= 0)
            continue;
        /* The second header byte is gso_type. */
        const tun_buf *b = &bufs[tun_offload_write_index(table, k)];
        bool merged = b->data[offset - TUN_VNET_HDR_LEN + 1] !=
                      TUN_VNET_GSO_NONE;
        size_t at = tun_offload_write_failed(table, k);
        if (merged && rc == TUN_EINVAL) {
            /* The kernel refused a super-packet whose packets it may take
             * one by one: send the rest of the batch unmerged. */
            int sent = tun_offload_send_unmerged(
                dev, table, bufs + at, payloads ? payloads + at : NULL,
                pflags ? pflags + at : NULL, count - at, offset);
            if (sent < 0)
                return at ? (int)at : sent;
            return (int)(at + (size_t)sent);
        }
        return at ? (int)at : rc;
    }
    return (int)count;
}
