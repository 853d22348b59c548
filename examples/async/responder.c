/*
 * async_responder_<loop>: icmp_responder inside an event loop (epoll,
 * libuv, libevent or io_uring, chosen when it is linked: see loop.h),
 * answering every echo request (IPv4 or IPv6) sent into a non-blocking
 * device. How the packets move is chosen when it is linked too
 * (responder.h): through tun_read()/tun_write() on a watch of the device
 * (async_responder_<loop>), or in batches of io_uring reads and writes
 * (async_responder_uring_batched).
 *
 *   sudo ./async_responder_epoll         # 10.0.0.1/24 and fd00::1/64
 *   ping 10.0.0.2; ping fd00::2
 * Options: see `help` below (or run it with --help).
 * SIGINT or SIGTERM stops the loop; the device is closed (and disappears),
 * and the program says whether it left any descriptor or thread open.
 */
#include <getopt.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>

#include "../common/packet.h"
#include "census.h"
#include "responder.h"

size_t responder_answer(struct responder *r, uint8_t *packet, size_t len)
{
    if (r->count && r->answered[0] + r->answered[1] >= r->count)
        return 0;
    size_t reply = packet_echo_reply(packet, len);
    if (reply == 0 && r->verbose) {
        char what[160];
        packet_describe(packet, len, what, sizeof(what));
        printf("ignored %s\n", what);
    }
    return reply;
}

bool responder_sent(struct responder *r, const uint8_t *reply, size_t len)
{
    r->answered[reply[0] >> 4 == 6]++;
    if (r->verbose) {
        char what[160];
        packet_describe(reply, len, what, sizeof(what));
        printf("sent %s\n", what);
    }
    if (r->count && r->answered[0] + r->answered[1] >= r->count) {
        loop_stop(r->loop);
        return false;
    }
    return true;
}

void responder_fail(struct responder *r, const char *what, int err)
{
    r->status = example_fail(what, err);
    loop_stop(r->loop);
}

static const char help[] =
    "[-n NAME] [-4 ADDR/PREFIX]... [-6 ADDR/PREFIX]...\n"
    "          [-c COUNT] [-t SECONDS] [-v]\n"
    "Answers ping to every other address of a non-blocking TUN device's\n"
    "subnets from inside an event loop. SIGINT or SIGTERM stops it.\n"
    "  -n, --name NAME        interface name or pattern (default: tun%d)\n"
    "  -4, --ipv4 A/P         IPv4 address with prefix, repeatable\n"
    "                         (default, with no -4 or -6: 10.0.0.1/24)\n"
    "  -6, --ipv6 A/P         IPv6 address with prefix, repeatable\n"
    "                         (default, with no -4 or -6: fd00::1/64)\n"
    "  -c, --count N          stop after answering N pings\n"
    "  -t, --timeout S        stop after S seconds\n"
    "  -v, --verbose          print every packet\n"
    "  -h, --help             this text\n"
    "Exit status: 0 done, 1 a run-time failure, 2 a usage error.\n";

/* Fill cfg from the command line. Returns -1 to exit with *status. */
static int parse(int argc, char **argv, tun_config *cfg, struct responder *r,
                 unsigned long *seconds, int *status)
{
    static const struct option options[] = {
        {"name", required_argument, NULL, 'n'},
        {"ipv4", required_argument, NULL, '4'},
        {"ipv6", required_argument, NULL, '6'},
        {"count", required_argument, NULL, 'c'},
        {"timeout", required_argument, NULL, 't'},
        {"verbose", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    bool have_address = false;
    int opt, rc;
    *status = EXAMPLE_EXIT_USAGE;
    while ((opt = getopt_long(argc, argv, "n:4:6:c:t:vh", options, NULL)) !=
           -1) {
        switch (opt) {
        case 'n':
            if ((rc = tun_config_set_name(cfg, optarg)) < 0)
                return example_fail("--name", rc), -1;
            break;
        case '4':
        case '6':
            if (example_add_address(cfg, optarg, opt == '4' ? 4 : 6) != 0)
                return -1;
            have_address = true;
            break;
        case 'c':
            if (example_parse_count(optarg, &r->count) != 0)
                return -1;
            break;
        case 't':
            if (example_parse_timeout(optarg, seconds) != 0)
                return -1;
            break;
        case 'v':
            r->verbose = true;
            break;
        case 'h':
            *status = example_help(argv[0], help);
            printf("Event loop: %s.\n", loop_name());
            return -1;
        default:
            *status = example_usage_error(argv[0]);
            return -1;
        }
    }
    if ((*status = example_no_operands(argc, argv, optind)) != 0)
        return -1;
    *status = EXAMPLE_EXIT_FAILURE;
    if (!have_address && (example_add_address(cfg, "10.0.0.1/24", 4) != 0 ||
                          example_add_address(cfg, "fd00::1/64", 6) != 0))
        return -1;
    if ((rc = tun_config_set_nonblocking(cfg, true)) < 0)
        return example_fail("tun_config_set_nonblocking", rc), -1;
    return 0;
}

int main(int argc, char **argv)
{
    static struct responder r;
    census before;
    tun_config *cfg = NULL;
    unsigned long seconds = 0;
    int status, rc, stop_signal = -1;
    char name[TUN_NAME_MAX] = "";

    setvbuf(stdout, NULL, _IOLBF, 0);
    census_take(&before);
    if ((rc = tun_config_new(&cfg)) < 0)
        return example_fail("tun_config_new", rc);
    if (parse(argc, argv, cfg, &r, &seconds, &status) != 0)
        goto out;
    status = 1;
    if ((rc = tun_open(cfg, &r.dev)) < 0) {
        example_fail("tun_open", rc);
        goto out;
    }
    tun_device_get_name(r.dev, name, sizeof(name));
    if (loop_new(&r.loop) != 0)
        goto out;
    if (responder_io_start(&r) != 0)
        goto out;
    printf("%s: answering ping (%s loop, %s)\n", name, loop_name(),
           responder_io_name);
    stop_signal = loop_run(r.loop, seconds);
    status = stop_signal < 0 ? 1 : r.status;
    printf("answered %lu pings (IPv4 %lu, IPv6 %lu); waited for room %lu "
           "times\n", r.answered[0] + r.answered[1], r.answered[0],
           r.answered[1], r.waits);
out:
    example_stop_handling_signals();
    responder_io_stop(&r);
    tun_close(r.dev);
    loop_free(r.loop);
    tun_config_free(cfg);
    if (stop_signal >= 0) {
        if (if_nametoindex(name) != 0) {
            printf("%s is still there after tun_close()\n", name);
            status = 1;
        }
        if (census_report(&before, stop_signal) != 0)
            status = 1;
    }
    return status;
}
