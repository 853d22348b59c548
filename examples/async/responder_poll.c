/* The responder's packets moved by libtun from inside the loop: the device
 * is non-blocking and its descriptor is watched for reading; when it
 * signals, every queued packet is read and each echo request answered,
 * until tun_read() says TUN_EAGAIN. If the device's queue refuses a reply
 * (TUN_EAGAIN from tun_write()), the reply is kept, reading pauses and the
 * descriptor is watched for writing until the reply went out. */
#include <stdio.h>
#include <stdlib.h>

#include "responder.h"

/* Packets answered per callback at most, so that other watches get their
 * turn; a reader stopped by it before TUN_EAGAIN comes back through
 * `again` (the device's descriptor need not signal what is left). */
#define BUDGET 64

struct responder_io {
    loop_watch *watch;
    loop_again *again;
    uint8_t packet[TUN_MTU_MAX];
    size_t pending; /* length of a reply the queue refused, in packet */
};

const char responder_io_name[] = "tun_read/tun_write";

/* Send the reply in io->packet. Returns false when the loop must not read
 * on: the queue is full (the watch now waits for room) or the device
 * failed. */
static bool send_reply(struct responder *r)
{
    struct responder_io *io = r->io;
    int rc = tun_write(r->dev, io->packet, io->pending);
    if (rc == TUN_EAGAIN) {
        r->waits++;
        if (loop_watch_set(io->watch, LOOP_WRITE) != 0)
            loop_stop(r->loop);
        return false;
    }
    size_t len = io->pending;
    io->pending = 0;
    if (rc == TUN_EMSGSIZE || rc == TUN_EINVAL) {
        example_fail("tun_write (reply dropped)", rc);
        return true;
    }
    if (rc < 0) {
        responder_fail(r, "tun_write", rc);
        return false;
    }
    return responder_sent(r, io->packet, len);
}

/* Answer queued packets until TUN_EAGAIN, a refused reply or the budget;
 * the budget arms io->again. */
static void read_packets(struct responder *r)
{
    struct responder_io *io = r->io;
    for (int i = 0; i < BUDGET; i++) {
        int n = tun_read(r->dev, io->packet, sizeof(io->packet));
        if (n == TUN_EAGAIN)
            return; /* drained: wait for the next signal */
        if (n == TUN_EMSGSIZE)
            continue; /* that packet was dropped; the next may fit */
        if (n < 0) {
            responder_fail(r, "tun_read", n);
            return;
        }
        io->pending = responder_answer(r, io->packet, (size_t)n);
        if (io->pending && !send_reply(r))
            return;
    }
    if (loop_again_set(io->again, true) != 0)
        loop_stop(r->loop);
}

static void on_device(void *arg, unsigned ready)
{
    struct responder *r = arg;
    struct responder_io *io = r->io;
    if (ready & LOOP_WRITE) {
        if (!send_reply(r))
            return;
        if (loop_watch_set(io->watch, LOOP_READ) != 0) {
            loop_stop(r->loop);
            return;
        }
    }
    read_packets(r);
}

/* The budget ran out last turn: read on, unless a refused reply waits for
 * room (its write reads on once it went out). */
static void on_again(void *arg, unsigned ready)
{
    struct responder *r = arg;
    (void)ready;
    if (loop_again_set(r->io->again, false) != 0) {
        loop_stop(r->loop);
        return;
    }
    if (!r->io->pending)
        read_packets(r);
}

int responder_io_start(struct responder *r)
{
    r->io = calloc(1, sizeof(*r->io));
    if (!r->io) {
        fprintf(stderr, "out of memory\n");
        return -1;
    }
    r->io->watch = loop_watch_add(r->loop, tun_device_fd(r->dev), LOOP_READ,
                                  on_device, r);
    r->io->again = loop_again_new(r->loop, on_again, r);
    return r->io->watch && r->io->again ? 0 : -1;
}

void responder_io_stop(struct responder *r)
{
    if (!r->io)
        return;
    loop_watch_remove(r->io->watch);
    loop_again_free(r->io->again);
    free(r->io);
    r->io = NULL;
}
