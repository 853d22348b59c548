/*
 * windows_poll_responder: answer pings from a socket-polling event loop on
 * Windows.
 *
 * tun_device_fd() is an event HANDLE on Windows, which loops built on
 * sockets (libuv's uv_poll_t, libevent, WSAPoll) cannot watch. The
 * event_bridge (event_bridge.h) turns it into a readable loopback socket;
 * the loop here is WSAPoll(), and a libevent or libuv program watches the
 * same socket (docs/event-loops.md, "Windows"). The bridge and this loop
 * are tested under wine against a wintun stand-in (tests/win/).
 *
 * Run as Administrator, with wintun.dll beside the program:
 *   windows_poll_responder -a 10.0.0.1/24     # then: ping 10.0.0.2
 * The options: windows_poll_responder --help.
 */
#include <stdio.h>

#include "../common/example.h"
#include "../common/packet.h"
#include "event_bridge.h"
#include "responder_options.h"

static const char help[] =
    "[-n NAME] [-a ADDR/PREFIX] [-t SECONDS]\n"
    "Answers ping to every other address of a wintun adapter's subnet from a\n"
    "WSAPoll() loop, through a socket the event bridge makes readable.\n"
    "Run as Administrator, with wintun.dll beside the program. Ctrl-C stops it.\n"
    "  -n, --name NAME        adapter name or pattern (default: tun%d)\n"
    "  -a, --address A/P      address of the device (default: 10.0.0.1/24)\n"
    "  -t, --timeout S        stop after S seconds\n"
    "  -h, --help             this text\n"
    "Exit status: 0 done, 1 a run-time failure, 2 a usage error.\n";

/* Longest wait of the loop, so that Ctrl-C and the time limit are seen. */
#define POLL_MS 200

static int respond(tun_device *dev, event_bridge *bridge, SOCKET wake,
                   unsigned long seconds)
{
    static uint8_t pkt[TUN_MTU_MAX];
    unsigned long replies = 0;
    example_deadline deadline;
    example_deadline_start(&deadline, seconds);
    while (!example_stop_signal()) {
        int left = example_deadline_ms(&deadline);
        if (left == 0)
            break;
        WSAPOLLFD watch = {.fd = wake, .events = POLLRDNORM};
        int ready = WSAPoll(&watch, 1, left < 0 || left > POLL_MS ? POLL_MS
                                                                  : left);
        if (ready < 0) {
            fprintf(stderr, "WSAPoll: error %d\n", WSAGetLastError());
            return 1;
        }
        if (ready == 0)
            continue;
        /* Read until TUN_EAGAIN, then let the bridge wait again. */
        int n;
        while ((n = tun_read(dev, pkt, sizeof(pkt))) >= 0 ||
               n == TUN_EMSGSIZE) {
            size_t len = n > 0 ? packet_echo_reply(pkt, (size_t)n) : 0;
            /* A reply the full ring refuses is dropped, as a router
             * would: wintun has no "room again" signal to wait for. */
            if (len && tun_write(dev, pkt, len) >= 0)
                replies++;
        }
        if (n == TUN_ECANCELED)
            break;
        if (n != TUN_EAGAIN)
            return example_fail("tun_read", n);
        event_bridge_rearm(bridge);
    }
    printf("%lu repl%s\n", replies, replies == 1 ? "y" : "ies");
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
    event_bridge *bridge = NULL;
    SOCKET wake;
    int rc = tun_device_set_nonblocking(dev, true);
    if (rc < 0)
        status = example_fail("tun_device_set_nonblocking", rc);
    else if (event_bridge_open(dev, &bridge, &wake) < 0 ||
             example_stop_on_signals(dev) != 0)
        status = 1;
    else
        status = respond(dev, bridge, wake, o.seconds);
    example_stop_handling_signals();
    event_bridge_close(bridge);
    tun_close(dev);
    return status;
}
