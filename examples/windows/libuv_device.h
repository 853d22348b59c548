/*
 * libuv_device: a libtun device in a libuv loop on Windows.
 *
 * libuv's uv_poll_t cannot watch tun_device_fd()'s event HANDLE. The
 * event_bridge's thread waits on it and wakes the loop with uv_async_send()
 * (thread-safe); the uv_async_t callback reads packets until TUN_EAGAIN,
 * hands each to the caller's handler, and lets the thread wait again.
 * Several uv_async_send() calls may come as one callback, which reading
 * until TUN_EAGAIN covers. Tested under wine against the wintun stand-in
 * (tests/win/test_wintun.c); docs/event-loops.md, "Windows".
 */
#ifndef LIBUV_DEVICE_H
#define LIBUV_DEVICE_H

#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "event_bridge.h"

/* Called on the loop's thread for each packet read; it may write (a reply
 * the full ring refuses is for the handler to keep or drop). */
typedef void libuv_device_handler(tun_device *dev, uint8_t *pkt, size_t len,
                                  void *user);

typedef struct libuv_device {
    uv_async_t packets; /* woken by the bridge's thread */
    uv_async_t stop;    /* libuv_device_stop(), from any thread */
    tun_device *dev;
    event_bridge *bridge;
    libuv_device_handler *handler;
    void *user;
    uint8_t buf[TUN_MTU_MAX];
    int status; /* 0, or the libtun error that ended reading */
    /* Set by the caller (or NULL): called once d's handles are closed. */
    void (*on_stopped)(struct libuv_device *d);
} libuv_device;

/* Make dev non-blocking and add it to loop: handler gets every packet
 * until libuv_device_stop() or a read error (TUN_ENODEV: the adapter is
 * gone; d->status says which), after which d's handles close and
 * on_stopped(d), if set, is called; the loop then holds nothing of d and
 * the caller may tun_close(dev). d stays valid and unmoved until then.
 * Returns 0, or -1 with a message on stderr (nothing of d left in loop once
 * it has run). */
int libuv_device_start(uv_loop_t *loop, tun_device *dev,
                       libuv_device_handler *handler, void *user,
                       libuv_device *d);
/* Stop reading and close d's handles; thread-safe. Call it while d runs
 * (on the loop's thread: not after d->stop is closing, uv_is_closing()). */
void libuv_device_stop(libuv_device *d);

#endif
