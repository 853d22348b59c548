/*
 * interruptible_reader: shut down a thread that is blocked in tun_read().
 *
 * A reader thread waits for packets in tun_read(), which blocks with no
 * time limit. On Ctrl-C (SIGINT), SIGTERM or the optional time limit
 * (SIGALRM), the signal handler calls tun_interrupt(): it is
 * async-signal-safe, and makes the blocked tun_read() return TUN_ECANCELED
 * at once. The main thread then joins the reader, closes the device, and
 * prints how long the shutdown took from the signal on.
 *
 * Run as root (or with CAP_NET_ADMIN), then press Ctrl-C:
 *   sudo ./interruptible_reader        # ping 10.0.0.2 to see packets
 * Options: see `help` below (or run it with --help).
 */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "common/example.h"
#include "common/packet.h"

/* Set before the handler is installed; the handler only reads it. */
static tun_device *device;
/* Written by the handler, read by main after the join. The handler runs in
 * the main thread (the reader blocks the signals), so no race. */
static struct timespec signal_time;
static volatile sig_atomic_t signal_number;

static void on_signal(int sig)
{
    int saved = errno;
    clock_gettime(CLOCK_MONOTONIC, &signal_time); /* async-signal-safe */
    signal_number = sig;
    tun_interrupt(device);
    errno = saved;
}

struct reader {
    tun_device *dev;
    unsigned long count; /* 0: no limit */
    unsigned long packets;
    int status;
};

static void *reader_main(void *arg)
{
    struct reader *r = arg;
    static uint8_t buf[TUN_MTU_MAX];
    char what[160];
    printf("reader: waiting in tun_read()\n");
    while (r->count == 0 || r->packets < r->count) {
        int n = tun_read(r->dev, buf, sizeof(buf));
        if (n == TUN_ECANCELED) {
            printf("reader: tun_read() returned TUN_ECANCELED after %lu "
                   "packet%s\n",
                   r->packets, r->packets == 1 ? "" : "s");
            return NULL;
        }
        if (n < 0) {
            r->status = example_fail("tun_read", n);
            return NULL;
        }
        r->packets++;
        packet_describe(buf, (size_t)n, what, sizeof(what));
        printf("reader: %s\n", what);
    }
    printf("reader: done after %lu packet%s\n", r->packets,
           r->packets == 1 ? "" : "s");
    return NULL;
}

static double ms_between(const struct timespec *a, const struct timespec *b)
{
    return (double)(b->tv_sec - a->tv_sec) * 1e3 +
           (double)(b->tv_nsec - a->tv_nsec) / 1e6;
}

static const char *signal_name(int sig)
{
    switch (sig) {
    case SIGINT: return "SIGINT";
    case SIGTERM: return "SIGTERM";
    case SIGALRM: return "SIGALRM";
    default: return "a signal";
    }
}

static const char help[] =
    "[-n NAME] [-a ADDR/PREFIX] [-c COUNT] [-t SECONDS]\n"
    "A reader thread prints every packet of a TUN device until Ctrl-C (or\n"
    "SIGTERM), which stops it with tun_interrupt(); then the device closes.\n"
    "  -n, --name NAME        interface name or pattern (default: tun%d)\n"
    "  -a, --address A/P      address of the device (default: 10.0.0.1/24)\n"
    "  -c, --count N          the reader stops by itself after N packets\n"
    "  -t, --timeout S        send ourselves SIGALRM after S seconds\n"
    "  -h, --help             this text\n"
    "Exit status: 0 done, 1 a run-time failure, 2 a usage error.\n";

int main(int argc, char **argv)
{
    static const struct option options[] = {
        {"name", required_argument, NULL, 'n'},
        {"address", required_argument, NULL, 'a'},
        {"count", required_argument, NULL, 'c'},
        {"timeout", required_argument, NULL, 't'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *name = NULL, *address = "10.0.0.1/24";
    unsigned long seconds = 0;
    struct reader reader = {0};
    int rc, opt;

    setvbuf(stdout, NULL, _IOLBF, 0); /* one line at a time, also to a pipe */
    while ((opt = getopt_long(argc, argv, "n:a:c:t:h", options, NULL)) != -1) {
        switch (opt) {
        case 'n': name = optarg; break;
        case 'a': address = optarg; break;
        case 'c':
            if (example_parse_count(optarg, &reader.count) != 0)
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
    if ((rc = example_no_operands(argc, argv, optind)) != 0)
        return rc;
    rc = example_open_tun(name, address, &device);
    if (rc != 0)
        return rc;
    reader.dev = device;

    struct sigaction sa = {0};
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGALRM, &sa, NULL);

    /* The new thread inherits this mask: the signals go to main. */
    sigset_t stop_signals, old;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    sigaddset(&stop_signals, SIGALRM);
    pthread_sigmask(SIG_BLOCK, &stop_signals, &old);
    pthread_t thread;
    rc = pthread_create(&thread, NULL, reader_main, &reader);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc != 0) {
        fprintf(stderr, "pthread_create failed (error %d)\n", rc);
        tun_close(device);
        return 1;
    }
    printf("main: reader started; press Ctrl-C to stop it\n");
    alarm((unsigned)seconds);

    /* A signal handler runs here, in the middle of the join, and the join
     * goes on waiting until the reader has seen the interrupt. */
    pthread_join(thread, NULL);
    pthread_sigmask(SIG_BLOCK, &stop_signals, NULL); /* none after close */
    struct timespec joined, closed;
    clock_gettime(CLOCK_MONOTONIC, &joined);
    tun_close(device); /* the kernel removes the interface: takes a while */
    clock_gettime(CLOCK_MONOTONIC, &closed);

    if (signal_number) {
        double join_ms = ms_between(&signal_time, &joined);
        printf("main: %s: reader joined after %.3f ms, device closed after "
               "%.3f ms; shutdown took %.3f ms\n",
               signal_name(signal_number), join_ms,
               ms_between(&joined, &closed),
               ms_between(&signal_time, &closed));
    }
    return reader.status;
}
