/*
 * async_responder_<loop>: icmp_responder inside an event loop (epoll, libuv
 * or libevent, chosen when it is linked: see loop.h). The device is
 * non-blocking and its descriptor is watched for reading; when it signals,
 * every queued packet is read and each echo request (IPv4 or IPv6) answered,
 * until tun_read() says TUN_EAGAIN. If the device's queue refuses a reply
 * (TUN_EAGAIN from tun_write()), the reply is kept, reading pauses and the
 * descriptor is watched for writing until the reply went out.
 *
 *   sudo ./async_responder_epoll         # 10.0.0.1/24 and fd00::1/64
 *   ping 10.0.0.2; ping fd00::2
 * Options:
 *   -n, --name NAME     interface name or pattern (default: tun%d)
 *   -4, --ipv4 A/P      IPv4 address with prefix, repeatable
 *   -6, --ipv6 A/P      IPv6 address with prefix, repeatable
 *   -c, --count N       stop after answering N pings
 *   -t, --timeout S     stop after S seconds
 *   -v, --verbose       print every packet
 * SIGINT or SIGTERM stops the loop; the device is closed (and disappears),
 * and the program says whether it left any descriptor or thread open.
 */
#include <getopt.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>

#include "../common/example.h"
#include "../common/packet.h"
#include "census.h"
#include "loop.h"

/* Packets answered per callback at most, so that other watches get their
 * turn; the watch is level-triggered, so the rest wakes it again. */
#define BUDGET 64

struct responder {
    tun_device *dev;
    loop *loop;
    loop_watch *watch;
    uint8_t packet[TUN_MTU_MAX];
    size_t pending; /* length of a reply the queue refused, in packet */
    unsigned long answered[2]; /* IPv4, IPv6 */
    unsigned long waits; /* replies the queue refused at first */
    unsigned long count;  /* stop after this many answers (0: never) */
    bool verbose;
    int status; /* the exit status once the loop stops */
};

/* Stop the loop on a failure of the device. */
static void fail(struct responder *r, const char *what, int err)
{
    r->status = example_fail(what, err);
    loop_stop(r->loop);
}

/* Send the reply in r->packet. Returns false when the loop must not read on:
 * the queue is full (the watch now waits for room) or the device failed. */
static bool send_reply(struct responder *r)
{
    int rc = tun_write(r->dev, r->packet, r->pending);
    if (rc == TUN_EAGAIN) {
        r->waits++;
        if (loop_watch_set(r->watch, LOOP_WRITE) != 0)
            loop_stop(r->loop);
        return false;
    }
    size_t len = r->pending;
    r->pending = 0;
    if (rc == TUN_EMSGSIZE || rc == TUN_EINVAL) {
        example_fail("tun_write (reply dropped)", rc);
        return true;
    }
    if (rc < 0) {
        fail(r, "tun_write", rc);
        return false;
    }
    r->answered[r->packet[0] >> 4 == 6]++;
    if (r->verbose) {
        char what[160];
        packet_describe(r->packet, len, what, sizeof(what));
        printf("sent %s\n", what);
    }
    unsigned long total = r->answered[0] + r->answered[1];
    if (r->count && total >= r->count) {
        loop_stop(r->loop);
        return false;
    }
    return true;
}

static void on_device(void *arg, unsigned ready)
{
    struct responder *r = arg;
    if (ready & LOOP_WRITE) {
        if (!send_reply(r))
            return;
        if (loop_watch_set(r->watch, LOOP_READ) != 0) {
            loop_stop(r->loop);
            return;
        }
    }
    for (int i = 0; i < BUDGET; i++) {
        int n = tun_read(r->dev, r->packet, sizeof(r->packet));
        if (n == TUN_EAGAIN)
            return; /* drained: wait for the next signal */
        if (n == TUN_EMSGSIZE)
            continue; /* that packet was dropped; the next may fit */
        if (n < 0) {
            fail(r, "tun_read", n);
            return;
        }
        r->pending = packet_echo_reply(r->packet, (size_t)n);
        if (r->pending == 0) {
            if (r->verbose) {
                char what[160];
                packet_describe(r->packet, (size_t)n, what, sizeof(what));
                printf("ignored %s\n", what);
            }
            continue;
        }
        if (!send_reply(r))
            return;
    }
}

static void usage(const char *prog)
{
    fprintf(stderr,
            "usage: %s [-n NAME] [-4 ADDR/PREFIX]... [-6 ADDR/PREFIX]...\n"
            "          [-c COUNT] [-t SECONDS] [-v]\n"
            "Answers ping from inside a %s event loop.\n",
            prog, loop_name());
}

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
    *status = 1;
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
            if (example_parse_number(optarg, "--count", 1, 1000000000,
                                     &r->count) != 0)
                return -1;
            break;
        case 't':
            if (example_parse_number(optarg, "--timeout", 1, 86400 * 365,
                                     seconds) != 0)
                return -1;
            break;
        case 'v':
            r->verbose = true;
            break;
        default:
            usage(argv[0]);
            *status = opt == 'h' ? 0 : 2;
            return -1;
        }
    }
    if (optind < argc) {
        usage(argv[0]);
        *status = 2;
        return -1;
    }
    if (!have_address && (example_add_address(cfg, "10.0.0.1/24", 4) != 0 ||
                          example_add_address(cfg, "fd00::1/64", 6) != 0))
        return -1;
    if ((rc = tun_config_set_nonblocking(cfg, true)) < 0)
        return example_fail("tun_config_set_nonblocking", rc), -1;
    return 0;
}

int main(int argc, char **argv)
{
    static struct responder r; /* static: the packet buffer is large */
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
    r.watch = loop_watch_add(r.loop, tun_device_fd(r.dev), LOOP_READ,
                             on_device, &r);
    if (!r.watch)
        goto out;
    printf("%s: answering ping (%s loop)\n", name, loop_name());
    stop_signal = loop_run(r.loop, seconds);
    status = stop_signal < 0 ? 1 : r.status;
    printf("answered %lu pings (IPv4 %lu, IPv6 %lu); waited for room %lu "
           "times\n", r.answered[0] + r.answered[1], r.answered[0],
           r.answered[1], r.waits);
out:
    example_stop_handling_signals();
    loop_watch_remove(r.watch);
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
