/*
 * The asynchronous ICMP responder (responder.c) is one program with two ways
 * to move its packets, chosen when it is linked:
 *   responder_poll.c     the loop watches the device; tun_read() and
 *                        tun_write() move the packets (async_responder_<loop>)
 *   responder_batched.c  io_uring reads and writes them in batches
 *                        (uring_packets.h), the loop watches the ring
 *                        (async_responder_uring_batched)
 * Both answer through responder_answer() and responder_sent().
 */
#ifndef EXAMPLE_RESPONDER_H
#define EXAMPLE_RESPONDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../common/example.h"
#include "loop.h"

/* The I/O path's own state. */
struct responder_io;

struct responder {
    tun_device *dev;
    loop *loop;
    struct responder_io *io;
    unsigned long answered[2]; /* IPv4, IPv6 */
    unsigned long waits; /* replies or reads the device made wait */
    unsigned long count; /* stop after this many answers (0: never) */
    bool verbose;
    int status; /* the exit status once the loop stops */
};

/* What the I/O path is called in the program's first line. */
extern const char responder_io_name[];

/* Start moving packets: watch what the path needs in r->loop. Returns 0,
 * or -1 with a message on stderr. */
int responder_io_start(struct responder *r);
/* Stop and free the path (after loop_run() returned, before tun_close());
 * nothing happens if it was not started. */
void responder_io_stop(struct responder *r);

/* Turn the packet (len bytes) into its echo reply in place. Returns the
 * reply's length, or 0 for a packet to ignore (printed when verbose) or
 * once the count is reached. */
size_t responder_answer(struct responder *r, uint8_t *packet, size_t len);
/* Count a reply that went out (printed when verbose). Returns false when
 * that was the last one to send: the loop is stopping. */
bool responder_sent(struct responder *r, const uint8_t *reply, size_t len);
/* Stop the loop on a failure of the device: print it, set the status. */
void responder_fail(struct responder *r, const char *what, int err);

#endif
