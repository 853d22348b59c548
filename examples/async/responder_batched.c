/* The responder's packets moved by io_uring in batches (uring_packets.h):
 * reads wait in flight on every buffer, each echo request is answered in
 * its own buffer and written from there, and the loop watches the ring's
 * descriptor, handing each batch of completions to uring_packets. The
 * responder's device has no packet information (which the ICMP code does
 * not expect). */
#include <stdio.h>
#include <stdlib.h>

#include "responder.h"
#include "uring_packets.h"

/* Reads in flight, each into a buffer that holds the largest packet (and
 * one byte more, telling a packet that fitted from one that was cut). */
#define BUFFERS 32
#define BUFFER_SIZE (TUN_MTU_MAX + 1)

struct responder_io {
    uring_packets *packets;
    loop_watch *watch;
    uint8_t *buffers;
};

const char responder_io_name[] = "batched io_uring reads and writes";

static size_t on_packet(void *arg, uint8_t *buffer, size_t len, size_t size)
{
    struct responder *r = arg;
    (void)size;
    size_t reply = responder_answer(r, buffer, len);
    /* Counted when queued: its write goes out with the batch, and
     * uring_packets_free() waits for it even when the loop stops now. */
    if (reply)
        responder_sent(r, buffer, reply);
    return reply;
}

static void on_ring(void *arg, unsigned ready)
{
    struct responder *r = arg;
    (void)ready;
    if (uring_packets_process(r->io->packets) < 0) {
        r->status = 1;
        loop_stop(r->loop);
    }
    r->waits = (unsigned long)uring_packets_get_stats(r->io->packets)->waits;
}

int responder_io_start(struct responder *r)
{
    struct responder_io *io = calloc(1, sizeof(*io));
    r->io = io;
    if (io)
        io->buffers = malloc((size_t)BUFFERS * BUFFER_SIZE);
    if (!io || !io->buffers) {
        fprintf(stderr, "out of memory for the buffers\n");
        return -1;
    }
    if (uring_packets_new(r->dev, io->buffers, BUFFERS, BUFFER_SIZE,
                          on_packet, r, &io->packets) != 0)
        return -1;
    io->watch = loop_watch_add(r->loop, uring_packets_fd(io->packets),
                               LOOP_READ, on_ring, r);
    return io->watch ? 0 : -1;
}

void responder_io_stop(struct responder *r)
{
    struct responder_io *io = r->io;
    if (!io)
        return;
    loop_watch_remove(io->watch);
    /* Before the buffers: it waits until the kernel is done with them. */
    uring_packets_free(io->packets);
    free(io->buffers);
    free(io);
    r->io = NULL;
}
