/*
 * link_events: open a TUN device and print what happens to it, whoever
 * does it: link up/down, carrier, MTU, rename, addresses added and
 * removed, deletion (tun_events_*). It prints the device's counters and
 * routes first, and the counters again at the end.
 *
 * Run as root (or with CAP_NET_ADMIN), then change the device from another
 * shell:
 *   sudo ./link_events evt0 10.9.0.1/24
 *   ip link set evt0 mtu 1400; ip addr add 10.9.1.1/24 dev evt0
 *   ip link set evt0 down; ip link set evt0 name evt9; ip link del evt9
 * Arguments: [NAME [ADDRESS/PREFIX [SECONDS]]] (defaults: the system's
 * name, 10.9.0.1/24, until Ctrl-C or the device is deleted). Prints
 * "ready" once it listens.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#if defined(_WIN32)
#include <windows.h>
#else
#include <poll.h>
#endif

#include "common/example.h"

/* Wait up to ms for the object to signal (a descriptor or a HANDLE). */
static void wait_readable(tun_os_fd fd, int ms)
{
#if defined(_WIN32)
    WaitForSingleObject(fd, (DWORD)ms);
#else
    struct pollfd p = {.fd = fd, .events = POLLIN};
    poll(&p, 1, ms);
#endif
}

static void print_event(const tun_event *e)
{
    char text[TUN_ADDRSTRLEN];
    switch (e->type) {
    case TUN_EVENT_UP: printf("event: up\n"); break;
    case TUN_EVENT_DOWN: printf("event: down\n"); break;
    case TUN_EVENT_CARRIER_ON: printf("event: carrier on\n"); break;
    case TUN_EVENT_CARRIER_OFF: printf("event: carrier off\n"); break;
    case TUN_EVENT_MTU: printf("event: mtu %u\n", e->mtu); break;
    case TUN_EVENT_RENAME: printf("event: renamed to %s\n", e->name); break;
    case TUN_EVENT_ADDRESS_ADDED:
    case TUN_EVENT_ADDRESS_REMOVED:
        tun_address_format(&e->address, text, sizeof(text));
        printf("event: address %s %s\n",
               e->type == TUN_EVENT_ADDRESS_ADDED ? "added" : "removed", text);
        break;
    case TUN_EVENT_DELETED: printf("event: deleted\n"); break;
    }
}

static void print_stats(tun_device *dev)
{
    tun_stats s;
    if (tun_device_get_stats(dev, &s) < 0)
        return; /* the device may be gone */
    printf("stats: rx %llu packets %llu bytes %llu errors %llu dropped, "
           "tx %llu packets %llu bytes %llu errors %llu dropped\n",
           (unsigned long long)s.rx_packets, (unsigned long long)s.rx_bytes,
           (unsigned long long)s.rx_errors, (unsigned long long)s.rx_dropped,
           (unsigned long long)s.tx_packets, (unsigned long long)s.tx_bytes,
           (unsigned long long)s.tx_errors, (unsigned long long)s.tx_dropped);
}

static int print_routes(tun_device *dev)
{
    tun_route routes[32];
    size_t count;
    int rc = tun_device_get_routes(dev, routes, 32, &count);
    if (rc < 0 && rc != TUN_ENOBUFS)
        return example_fail("tun_device_get_routes", rc);
    for (size_t i = 0; i < count && i < 32; i++) {
        char text[TUN_ROUTESTRLEN];
        tun_route_format(&routes[i], text, sizeof(text));
        printf("route: %s\n", text);
    }
    return 0;
}

int main(int argc, char **argv)
{
    const char *name = argc > 1 ? argv[1] : NULL;
    const char *address = argc > 2 ? argv[2] : "10.9.0.1/24";
    unsigned long seconds = 0;
    if (argc > 4 || (argc > 3 && example_parse_timeout(argv[3], &seconds))) {
        fprintf(stderr, "usage: %s [NAME [ADDRESS/PREFIX [SECONDS]]]\n",
                argv[0]);
        return 2;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    tun_device *dev;
    int status = example_open_tun(name, address, &dev);
    if (status != 0)
        return status;
    tun_events *ev;
    int rc = tun_events_open(dev, &ev);
    if (rc < 0) {
        tun_close(dev);
        return example_fail("tun_events_open", rc);
    }
    print_stats(dev);
    status = print_routes(dev);
    if (status == 0 && example_stop_on_signals(dev) != 0)
        status = 1;
    example_deadline deadline;
    example_deadline_start(&deadline, seconds);
    printf("ready\n");
    bool deleted = false;
    while (status == 0 && !deleted && !example_stop_signal() &&
           example_deadline_ms(&deadline) != 0) {
        /* Short waits, so that Ctrl-C and the deadline are seen. */
        wait_readable(tun_events_fd(ev), 200);
        tun_event e;
        while ((rc = tun_events_next(ev, &e)) == 0) {
            print_event(&e);
            deleted = e.type == TUN_EVENT_DELETED;
        }
        if (rc != TUN_EAGAIN)
            status = example_fail("tun_events_next", rc);
    }
    if (!deleted)
        print_stats(dev);
    example_stop_handling_signals();
    tun_events_close(ev);
    tun_close(dev);
    return status;
}
