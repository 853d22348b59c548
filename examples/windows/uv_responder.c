/*
 * windows_uv_responder: answer pings from a libuv loop on Windows.
 *
 * tun_device_fd() is an event HANDLE on Windows, which libuv's uv_poll_t
 * cannot watch: libuv_device (libuv_device.h) has a thread wait on it and
 * wake the loop through a uv_async_t, whose callback reads until
 * TUN_EAGAIN. Ctrl-C (uv_signal_t) or the time limit (uv_timer_t) stops the
 * device; the loop then ends and the program closes it. The same loop is
 * tested under wine against a wintun stand-in (tests/win/test_wintun.c).
 *
 * Run as Administrator, with wintun.dll beside the program:
 *   windows_uv_responder -a 10.0.0.1/24     # then: ping 10.0.0.2
 * The options: windows_uv_responder --help.
 */
#include <signal.h>
#include <stdio.h>

#include "../common/example.h"
#include "../common/packet.h"
#include "libuv_device.h"
#include "responder_options.h"

static const char help[] =
    "[-n NAME] [-a ADDR/PREFIX] [-t SECONDS]\n"
    "Answers ping to every other address of a wintun adapter's subnet from a\n"
    "libuv loop, woken through a uv_async_t by a thread that waits on the\n"
    "device. Run as Administrator, with wintun.dll beside the program.\n"
    "Ctrl-C stops it.\n"
    "  -n, --name NAME        adapter name or pattern (default: tun%d)\n"
    "  -a, --address A/P      address of the device (default: 10.0.0.1/24)\n"
    "  -t, --timeout S        stop after S seconds\n"
    "  -h, --help             this text\n"
    "Exit status: 0 done, 1 a run-time failure, 2 a usage error.\n";

struct responder {
    libuv_device device;
    uv_signal_t interrupt;
    uv_timer_t time_limit;
    unsigned long replies;
};

static void reply(tun_device *dev, uint8_t *pkt, size_t len, void *user)
{
    struct responder *r = user;
    size_t reply_len = packet_echo_reply(pkt, len);
    /* A reply the full ring refuses is dropped, as a router would: wintun
     * has no "room again" signal to wait for. */
    if (reply_len && tun_write(dev, pkt, reply_len) >= 0)
        r->replies++;
}

static void stop(struct responder *r)
{
    if (!uv_is_closing((uv_handle_t *)&r->device.stop))
        libuv_device_stop(&r->device);
}

static void on_interrupt(uv_signal_t *signal, int signum)
{
    (void)signum;
    stop(signal->data);
}

static void on_time_limit(uv_timer_t *timer)
{
    stop(timer->data);
}

/* The device's handles are closed: close the others, and the loop ends. */
static void on_stopped(libuv_device *d)
{
    struct responder *r = d->user;
    uv_close((uv_handle_t *)&r->interrupt, NULL);
    uv_close((uv_handle_t *)&r->time_limit, NULL);
}

static int respond(tun_device *dev, unsigned long seconds)
{
    uv_loop_t loop;
    struct responder r = {.replies = 0};
    int rc = uv_loop_init(&loop);
    if (rc != 0) {
        fprintf(stderr, "uv_loop_init: %s\n", uv_strerror(rc));
        return 1;
    }
    r.interrupt.data = r.time_limit.data = &r;
    uv_signal_init(&loop, &r.interrupt);
    uv_signal_start(&r.interrupt, on_interrupt, SIGINT);
    uv_timer_init(&loop, &r.time_limit);
    if (seconds)
        uv_timer_start(&r.time_limit, on_time_limit, seconds * 1000, 0);
    r.device.on_stopped = on_stopped;
    rc = libuv_device_start(&loop, dev, reply, &r, &r.device);
    if (rc != 0)
        on_stopped(&r.device);
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_loop_close(&loop);
    if (rc != 0)
        return 1;
    if (r.device.status != 0)
        return example_fail("tun_read", r.device.status);
    printf("%lu repl%s\n", r.replies, r.replies == 1 ? "y" : "ies");
    return 0;
}

int main(int argc, char **argv)
{
    struct responder_options o;
    int status = responder_parse_options(argc, argv, help, &o);
    if (status >= 0)
        return status;
    tun_device *dev;
    status = example_open_tun(o.name, o.address, &dev);
    if (status != 0)
        return status;
    status = respond(dev, o.seconds);
    tun_close(dev);
    return status;
}
