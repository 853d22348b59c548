/* libuv_device.h: the event_bridge waking a uv_async_t. */
#include "libuv_device.h"

#include <stdio.h>

static int wake_loop(void *arg)
{
    return uv_async_send(arg);
}

static void on_closed(uv_handle_t *handle)
{
    libuv_device *d = handle->data;
    /* The two handles close in order: the second one ends d. */
    if (handle == (uv_handle_t *)&d->stop && d->on_stopped)
        d->on_stopped(d);
}

/* On the loop's thread: end the thread first, so that nothing wakes a
 * closing handle. */
static void shut_down(libuv_device *d)
{
    if (uv_is_closing((uv_handle_t *)&d->stop))
        return;
    event_bridge_close(d->bridge);
    d->bridge = NULL;
    uv_close((uv_handle_t *)&d->packets, on_closed);
    uv_close((uv_handle_t *)&d->stop, on_closed);
}

static void on_stop(uv_async_t *async)
{
    shut_down(async->data);
}

static void on_packets(uv_async_t *async)
{
    libuv_device *d = async->data;
    int n;
    while ((n = tun_read(d->dev, d->buf, sizeof(d->buf))) >= 0 ||
           n == TUN_EMSGSIZE)
        if (n >= 0)
            d->handler(d->dev, d->buf, (size_t)n, d->user);
    if (n != TUN_EAGAIN) {
        d->status = n;
        shut_down(d);
        return;
    }
    event_bridge_rearm(d->bridge);
}

int libuv_device_start(uv_loop_t *loop, tun_device *dev,
                       libuv_device_handler *handler, void *user,
                       libuv_device *d)
{
    d->dev = dev;
    d->handler = handler;
    d->user = user;
    d->status = 0;
    d->packets.data = d->stop.data = d;
    int rc = tun_device_set_nonblocking(dev, true);
    if (rc < 0) {
        fprintf(stderr, "tun_device_set_nonblocking: %s\n", tun_last_error());
        return -1;
    }
    if ((rc = uv_async_init(loop, &d->packets, on_packets)) != 0) {
        fprintf(stderr, "uv_async_init: %s\n", uv_strerror(rc));
        return -1;
    }
    if ((rc = uv_async_init(loop, &d->stop, on_stop)) != 0) {
        fprintf(stderr, "uv_async_init: %s\n", uv_strerror(rc));
        uv_close((uv_handle_t *)&d->packets, NULL);
        return -1;
    }
    if (event_bridge_open_waking(dev, wake_loop, &d->packets, &d->bridge) <
        0) {
        uv_close((uv_handle_t *)&d->packets, NULL);
        uv_close((uv_handle_t *)&d->stop, NULL);
        return -1;
    }
    return 0;
}

void libuv_device_stop(libuv_device *d)
{
    uv_async_send(&d->stop);
}
