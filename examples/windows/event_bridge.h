/*
 * event_bridge: a libtun device in a socket-polling event loop on Windows.
 *
 * On Windows tun_device_fd() is an event HANDLE. libuv's uv_poll_t,
 * libevent and WSAPoll() watch sockets, not events. The bridge runs one
 * thread that waits on the device's event and then makes a loopback socket
 * readable (one byte); the loop watches that socket like any other
 * (uv_poll_init_socket(), event_new(), WSAPoll()). When it fires, the loop
 * reads packets until TUN_EAGAIN and calls event_bridge_rearm(), which lets
 * the thread wait again. A packet that arrives meanwhile leaves the event
 * signalled, so nothing is missed; the thread never sends a second byte
 * before the loop has read, so a manual-reset event (tap-windows6) does not
 * make it spin. A loop with a thread-safe wake-up of its own (libuv's
 * uv_async_send()) needs no socket: event_bridge_open_waking() has the
 * thread call it instead (uv_device.h, docs/event-loops.md).
 *
 * The device must be non-blocking, and no libtun blocking read may run on
 * it meanwhile (both would wait on the same event).
 */
#ifndef EVENT_BRIDGE_H
#define EVENT_BRIDGE_H

#include <winsock2.h>
#include <windows.h>

#include "tun.h"

typedef struct event_bridge event_bridge;

/* Start the bridge of dev; *wake is the socket to watch for reading (owned
 * by the bridge). Returns 0, or -1 with a message on stderr. */
int event_bridge_open(tun_device *dev, event_bridge **out, SOCKET *wake);
/* The same without a socket: the thread calls wake(arg) where it would
 * send the byte (wake returns 0; anything else ends the thread). */
int event_bridge_open_waking(tun_device *dev, int (*wake)(void *arg),
                             void *arg, event_bridge **out);
/* After reading until TUN_EAGAIN: take the wake byte and wait again. */
void event_bridge_rearm(event_bridge *b);
/* Stop the thread and close the sockets; call it (after removing the
 * socket from the loop) before tun_close(). NULL is ignored. */
void event_bridge_close(event_bridge *b);

#endif
