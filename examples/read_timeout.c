/*
 * read_timeout: wait for packets at most N milliseconds at a time.
 *
 * tun_read_timeout() returns a packet, or TUN_ETIMEDOUT when none arrived
 * in time, so one thread can read packets and still do periodic work (here:
 * print "timeout") without a second thread or an event loop.
 *
 * Run as root (or with CAP_NET_ADMIN):
 *   sudo ./read_timeout -i 500          # then: ping 10.0.0.2
 * Options: see `help` below (or run it with --help). Ctrl-C stops it.
 */
#include <getopt.h>
#include <stdio.h>

#include "common/example.h"
#include "common/packet.h"

static const char help[] =
    "[-n NAME] [-a ADDR/PREFIX] [-i MS] [-c COUNT] [-t SECONDS]\n"
    "Prints every packet of a TUN device, and \"timeout\" after each wait of\n"
    "MS milliseconds that brought none (tun_read_timeout()). Ctrl-C stops it.\n"
    "  -n, --name NAME        interface name or pattern (default: tun%d)\n"
    "  -a, --address A/P      address of the device (default: 10.0.0.1/24)\n"
    "  -i, --interval MS      longest wait for one packet, 1 to 3600000\n"
    "                         (default: 1000)\n"
    "  -c, --count N          stop after N packets\n"
    "  -t, --timeout S        stop after S seconds\n"
    "  -h, --help             this text\n"
    "Exit status: 0 done, 1 a run-time failure, 2 a usage error.\n";

static int read_loop(tun_device *dev, int interval_ms, unsigned long count,
                     unsigned long seconds)
{
    static uint8_t buf[TUN_MTU_MAX];
    char what[160];
    unsigned long packets = 0, timeouts = 0;
    example_deadline deadline;
    example_deadline_start(&deadline, seconds);

    while (count == 0 || packets < count) {
        /* Wait the interval, or less when the run ends sooner. */
        int left = example_deadline_ms(&deadline);
        int wait_ms = left >= 0 && left < interval_ms ? left : interval_ms;
        int n = tun_read_timeout(dev, buf, sizeof(buf), wait_ms);
        if (n == TUN_ETIMEDOUT) {
            if (left >= 0 && left <= interval_ms)
                break; /* the whole run's time is up */
            timeouts++;
            printf("timeout: no packet in %d ms\n", interval_ms);
            continue;
        }
        if (n == TUN_ECANCELED)
            break;
        if (n < 0)
            return example_fail("tun_read_timeout", n);
        packets++;
        packet_describe(buf, (size_t)n, what, sizeof(what));
        printf("packet: %s\n", what);
    }
    printf("%lu packet%s, %lu timeout%s\n", packets, packets == 1 ? "" : "s",
           timeouts, timeouts == 1 ? "" : "s");
    return 0;
}

int main(int argc, char **argv)
{
    static const struct option options[] = {
        {"name", required_argument, NULL, 'n'},
        {"address", required_argument, NULL, 'a'},
        {"interval", required_argument, NULL, 'i'},
        {"count", required_argument, NULL, 'c'},
        {"timeout", required_argument, NULL, 't'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *name = NULL, *address = "10.0.0.1/24";
    unsigned long interval = 1000, count = 0, seconds = 0;
    tun_device *dev;
    int opt;

    setvbuf(stdout, NULL, _IOLBF, 0); /* one line at a time, also to a pipe */
    while ((opt = getopt_long(argc, argv, "n:a:i:c:t:h", options, NULL)) !=
           -1) {
        switch (opt) {
        case 'n': name = optarg; break;
        case 'a': address = optarg; break;
        case 'i':
            if (example_parse_number(optarg, "--interval", 1, 3600000,
                                     &interval) != 0)
                return EXAMPLE_EXIT_USAGE;
            break;
        case 'c':
            if (example_parse_count(optarg, &count) != 0)
                return EXAMPLE_EXIT_USAGE;
            break;
        case 't':
            if (example_parse_timeout(optarg, &seconds) != 0)
                return EXAMPLE_EXIT_USAGE;
            break;
        case 'h': return example_help(argv[0], help);
        default: return example_usage_error(argv[0]);
        }
    }
    int status = example_no_operands(argc, argv, optind);
    if (status != 0)
        return status;
    status = example_open_tun(name, address, &dev);
    if (status != 0)
        return status;

    char ifname[TUN_NAME_MAX];
    if (tun_device_get_name(dev, ifname, sizeof(ifname)) < 0)
        ifname[0] = '\0';
    printf("%s: reading, at most %lu ms per wait\n", ifname, interval);
    status = example_stop_on_signals(dev) != 0
                 ? 1
                 : read_loop(dev, (int)interval, count, seconds);
    example_stop_handling_signals();
    tun_close(dev);
    return status;
}
