/*
 * A batched io_uring read/write path for one TUN/TAP device (liburing), the
 * one bench/uring_vs_epoll.c measures against epoll. While packets arrive,
 * the ring keeps a read in flight on each of the caller's buffers; every
 * packet is handed to the caller, who may turn it into a packet to send
 * back from the same buffer; those writes and the reads that follow them
 * go to the kernel together, with one io_uring_submit() per batch of
 * completions. A buffer is read into again once its write completed.
 *
 * The ring does the reads and writes on tun_device_fd() itself, which
 * include/tun.h allows: on a device without offload each read() or write()
 * of the descriptor carries one whole packet, exactly the bytes tun_read()
 * and tun_write() carry (with TUN_FLAG_PACKET_INFO, the 4-byte packet
 * information header first). On an offload device each read is a
 * super-packet behind a virtio-net header: the path cuts it with the
 * library's engine (tun_offload_split()), hands the handler one plain
 * packet at a time as without offload, merges the replies again
 * (tun_offload_coalesce()) and writes each super-packet with one writev()
 * of its slices, so the handler never sees the difference.
 *
 * The ring's own descriptor is readable while completions wait, so the path
 * plugs into any event loop: watch uring_packets_fd() for reading and call
 * uring_packets_process() when it fires (or block in uring_packets_wait()).
 * Everything runs on the caller's thread; nothing here is thread-safe.
 */
#ifndef EXAMPLE_URING_PACKETS_H
#define EXAMPLE_URING_PACKETS_H

#include <stddef.h>
#include <stdint.h>

#include "tun.h"

typedef struct uring_packets uring_packets;

/* Called with each packet read: len bytes at buffer, whose capacity is size.
 * Return the length of a packet now in buffer (the same one changed in
 * place, or another) to write to the device, or 0 to read into the buffer
 * again. On an offload device, called once per segment of a super-packet,
 * the buffer being the segment's (size: the room it has); the replies of
 * one super-packet go out together, merged where they can be. */
typedef size_t uring_packets_handler(void *arg, uint8_t *buffer, size_t len,
                                     size_t size);

/* What the path did so far. */
typedef struct uring_packets_stats {
    uint64_t packets;    /* handed to the handler */
    uint64_t written;    /* packets written (offload: the replies of a
                            super-packet whose writes all completed whole) */
    uint64_t too_large;  /* packets dropped: larger than a buffer (offload:
                            super-packets of more segments than a slot
                            holds, whose rest was dropped) */
    uint64_t refused;    /* writes the kernel refused (malformed packet;
                            offload: also reads the engine refused) */
    uint64_t waits;      /* writes the kernel said would block (no room),
                            queued again */
    uint64_t super_packets; /* offload: writes of several packets merged */
} uring_packets_stats;

/* Start the path on dev with count buffers of size bytes each, one after
 * the other at buffers (count * size bytes, which stay the caller's and
 * must outlive uring_packets_free()). A packet that fills a whole buffer is
 * taken as cut (the kernel may cut one there) and dropped: make them one
 * byte larger than the largest packet (on an offload device at least
 * TUN_OFFLOAD_BUF_SIZE + 1 bytes: each slot then also allocates a segment
 * area and a tun_gro_table of its own). Returns 0, or -1 with a message on
 * stderr (buffers too small, io_uring not available). The device stays the
 * caller's: close it after uring_packets_free(). */
int uring_packets_new(tun_device *dev, uint8_t *buffers, unsigned count,
                      size_t size, uring_packets_handler *handler, void *arg,
                      uring_packets **out);

/* The ring's descriptor: readable while completions wait. */
int uring_packets_fd(const uring_packets *p);

/* Handle every completion waiting (packets to the handler, replies and new
 * reads queued), then submit the batch. Does not wait. Returns the number
 * of completions handled, or -1 with a message when the device failed (the
 * interface was deleted) or the ring did. */
int uring_packets_process(uring_packets *p);

/* Submit what the last batch queued and wait up to timeout_ms (-1: no
 * limit) for a completion, in one system call; then handle the completions
 * as above, leaving what they queue for the next call (or for
 * uring_packets_process()). For a program whose only loop is this path.
 * Returns as uring_packets_process(), 0 when the time ran out. */
int uring_packets_wait(uring_packets *p, int timeout_ms);

const uring_packets_stats *uring_packets_get_stats(const uring_packets *p);

/* Cancel what waits in the kernel, wait for every operation's completion
 * (so that the kernel no longer touches the buffers; replies queued go
 * out), and free the ring. NULL is ignored. */
void uring_packets_free(uring_packets *p);

#endif
