/*
 * async_forwarder_<loop>: joins two TUN devices with offload inside an event
 * loop (epoll, libuv or libevent, chosen when it is linked: see loop.h).
 * Every packet read from one device is written to the other, both ways, as
 * a router's two interfaces would pass it on: tun_recv_multiple() cuts the
 * kernel's TCP/UDP super-packets into plain packets, tun_send_multiple()
 * merges them again (GRO) on the way out.
 *
 * Each direction is a lane. When its device signals, the lane reads until
 * TUN_EAGAIN or its batch of buffers is full, then sends the batch. If the
 * other device's queue takes only part of it (TUN_EAGAIN after n packets),
 * the lane keeps the rest, stops reading and watches the other device for
 * writing; when it is writable the send resumes at the first packet not
 * written (tun_send_multiple()'s contract makes that exact: nothing is lost
 * or sent twice), and reading goes on once the batch is out.
 *
 *   sudo ./async_forwarder_epoll -a fwa -b fwb
 *   (then give each device an address and a route to the other's subnet,
 *   e.g. in two network namespaces: tests/integration/test_examples.sh)
 * Options: see `help` below (or run it with --help).
 * SIGINT or SIGTERM stops it; it prints what each lane moved, closes both
 * devices and says whether it left any descriptor or thread open.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/example.h"
#include "census.h"
#include "loop.h"

#define BATCH TUN_IDEAL_BATCH_SIZE
#define OFFSET TUN_VNET_HDR_LEN
/* Batches a lane moves per callback at most, so that the other lane gets
 * its turn; a lane stopped before TUN_EAGAIN (by it, or held up) comes back
 * through fw->again, since the device's descriptor does not signal what
 * the library holds (a super-packet cut in part). */
#define BUDGET 8

struct forwarder;

/* One direction: from device `from` to device 1 - from. */
struct lane {
    struct forwarder *fw;
    int from;
    tun_buf bufs[BATCH];
    size_t used; /* packets in bufs */
    size_t sent; /* of those, how many are written: bufs[sent..used) wait */
    bool held;   /* waiting for room on the other device */
    bool more;   /* stopped reading before TUN_EAGAIN */
    tun_gro_table *table;
    uint64_t packets_in, reads, lost, packets_out, refused, dropped, waits;
};

struct forwarder {
    tun_device *dev[2];
    loop_watch *watch[2];
    loop_again *again;   /* armed while a lane that may read has more */
    struct lane lane[2]; /* lane[i] reads dev[i] */
    loop *loop;
    int status;
};

/* What device i waits for: reading unless its lane is held up by a batch,
 * writing while the other lane is held up by one for it. */
static void update_watch(struct forwarder *fw, int i)
{
    unsigned events = 0;
    if (!fw->lane[i].held)
        events |= LOOP_READ;
    if (fw->lane[1 - i].held)
        events |= LOOP_WRITE;
    if (loop_watch_set(fw->watch[i], events) != 0) {
        fw->status = 1;
        loop_stop(fw->loop);
    }
}

static void fail(struct forwarder *fw, const char *what, int err)
{
    fw->status = example_fail(what, err);
    loop_stop(fw->loop);
}

/* The lane stopped reading before TUN_EAGAIN: come back on the next turn
 * once it may read (now, or when its batch is out). */
static void read_later(struct lane *l)
{
    l->more = true;
    if (!l->held && loop_again_set(l->fw->again, true) != 0) {
        l->fw->status = 1;
        loop_stop(l->fw->loop);
    }
}

/* Send what is left of the lane's batch. Returns true when all of it went
 * out (the lane may read again), false when the other device's queue is
 * full (the watches now wait for room) or it failed. */
static bool flush(struct lane *l)
{
    struct forwarder *fw = l->fw;
    int to = 1 - l->from;
    while (l->sent < l->used) {
        int rc = tun_send_multiple(fw->dev[to], l->table, l->bufs + l->sent,
                                   l->used - l->sent, OFFSET);
        if (rc > 0) {
            /* Short of the batch: the next call reports why it stopped. */
            l->sent += (size_t)rc;
            l->packets_out += (uint64_t)rc;
        } else if (rc == TUN_EAGAIN) {
            l->waits++;
            if (!l->held) {
                l->held = true;
                update_watch(fw, l->from);
                update_watch(fw, to);
            }
            return false;
        } else if (rc == TUN_EINVAL || rc == TUN_EMSGSIZE) {
            l->refused++; /* that packet was refused: go on after it */
            l->sent++;
        } else if (rc == TUN_EIO) {
            l->dropped++; /* the other device is down, as a router drops */
            l->sent++;
        } else {
            fail(fw, "tun_send_multiple", rc);
            return false;
        }
    }
    l->used = l->sent = 0;
    if (l->held) {
        l->held = false;
        update_watch(fw, l->from);
        update_watch(fw, to);
        if (l->more)
            read_later(l);
    }
    return true;
}

/* Read batches from the lane's device and send them on, until it has
 * nothing more, the other side is full, or the budget is spent. */
static void pump(struct lane *l)
{
    struct forwarder *fw = l->fw;
    l->more = false;
    for (int round = 0; round < BUDGET; round++) {
        bool drained = false;
        /* A super-packet larger than what is left of the batch is handed
         * over in parts: the rest comes first in the next batch. */
        while (l->used < BATCH && !drained) {
            int n = tun_recv_multiple(fw->dev[l->from], l->bufs + l->used,
                                      BATCH - l->used, OFFSET);
            if (n > 0) {
                l->used += (size_t)n;
                l->packets_in += (uint64_t)n;
                l->reads++;
            } else if (n == TUN_EAGAIN) {
                drained = true;
            } else if (n == TUN_EMSGSIZE || n == TUN_EIO || n == TUN_ENOBUFS) {
                l->lost++; /* the library dropped that packet */
            } else {
                fail(fw, "tun_recv_multiple", n);
                return;
            }
        }
        if (l->used && !flush(l)) {
            if (!drained)
                l->more = true; /* read on once the batch is out */
            return;
        }
        if (drained)
            return;
    }
    read_later(l);
}

static void on_device(struct forwarder *fw, int i, unsigned ready)
{
    /* Room on device i: the lane towards it resumes first. */
    if ((ready & LOOP_WRITE) && !flush(&fw->lane[1 - i]))
        return;
    if (ready & LOOP_READ)
        pump(&fw->lane[i]);
}

/* A lane stopped before TUN_EAGAIN last turn: it reads on. */
static void on_again(void *arg, unsigned ready)
{
    struct forwarder *fw = arg;
    (void)ready;
    if (loop_again_set(fw->again, false) != 0) {
        fw->status = 1;
        loop_stop(fw->loop);
        return;
    }
    for (int i = 0; i < 2; i++) {
        struct lane *l = &fw->lane[i];
        if (l->more && !l->held)
            pump(l);
    }
}

static void on_device_a(void *arg, unsigned ready)
{
    on_device(arg, 0, ready);
}

static void on_device_b(void *arg, unsigned ready)
{
    on_device(arg, 1, ready);
}

/* A device with offload, non-blocking, down and without an address: where
 * it goes, what it routes and when it comes up is the user's to set. */
static int open_device(const char *name, tun_device **out)
{
    tun_config *cfg;
    int rc = tun_config_new(&cfg);
    if (rc == 0 && (rc = tun_config_set_name(cfg, name)) == 0 &&
        (rc = tun_config_set_offload(cfg, true)) == 0 &&
        (rc = tun_config_set_nonblocking(cfg, true)) == 0 &&
        (rc = tun_config_set_up(cfg, false)) == 0)
        rc = tun_open(cfg, out);
    tun_config_free(cfg);
    if (rc < 0)
        return example_fail(name, rc);
    return 0;
}

/* The lane's buffers, in one block, and its GRO table. */
static int lane_init(struct forwarder *fw, int from)
{
    struct lane *l = &fw->lane[from];
    l->fw = fw;
    l->from = from;
    uint8_t *block = malloc((size_t)BATCH * TUN_OFFLOAD_BUF_SIZE);
    if (!block) {
        fprintf(stderr, "out of memory for the buffers\n");
        return -1;
    }
    for (size_t i = 0; i < BATCH; i++)
        l->bufs[i] = (tun_buf){block + i * TUN_OFFLOAD_BUF_SIZE,
                               TUN_OFFLOAD_BUF_SIZE, 0};
    int rc = tun_gro_table_new(BATCH, &l->table);
    if (rc < 0)
        return example_fail("tun_gro_table_new", rc);
    return 0;
}

static void lane_free(struct lane *l)
{
    free(l->bufs[0].data);
    tun_gro_table_free(l->table);
}

static const char help[] =
    "[-a NAME] [-b NAME] [-t SECONDS]\n"
    "Forwards packets between two offload TUN devices from inside an event\n"
    "loop. SIGINT or SIGTERM stops it.\n"
    "  -a, --device-a NAME    first device's name or pattern (default: tun%d)\n"
    "  -b, --device-b NAME    second device's name or pattern (default: tun%d)\n"
    "  -t, --timeout S        stop after S seconds\n"
    "  -h, --help             this text\n"
    "Exit status: 0 done, 1 a run-time failure, 2 a usage error.\n";

int main(int argc, char **argv)
{
    static const struct option options[] = {
        {"device-a", required_argument, NULL, 'a'},
        {"device-b", required_argument, NULL, 'b'},
        {"timeout", required_argument, NULL, 't'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    static struct forwarder fw; /* static: the lanes are large */
    const char *names[2] = {"tun%d", "tun%d"};
    unsigned long seconds = 0;
    int opt, stop_signal = -1;
    census before;

    setvbuf(stdout, NULL, _IOLBF, 0);
    while ((opt = getopt_long(argc, argv, "a:b:t:h", options, NULL)) != -1) {
        switch (opt) {
        case 'a':
        case 'b':
            names[opt - 'a'] = optarg;
            break;
        case 't':
            if (example_parse_timeout(optarg, &seconds) != 0)
                return EXAMPLE_EXIT_USAGE;
            break;
        case 'h':
            example_help(argv[0], help);
            printf("Event loop: %s.\n", loop_name());
            return 0;
        default:
            return example_usage_error(argv[0]);
        }
    }
    if ((opt = example_no_operands(argc, argv, optind)) != 0)
        return opt;
    if (example_check_name(names[0], "--device-a") != 0 ||
        example_check_name(names[1], "--device-b") != 0)
        return EXAMPLE_EXIT_USAGE;

    census_take(&before);
    fw.status = 1;
    if (open_device(names[0], &fw.dev[0]) != 0 ||
        open_device(names[1], &fw.dev[1]) != 0 || lane_init(&fw, 0) != 0 ||
        lane_init(&fw, 1) != 0 || loop_new(&fw.loop) != 0)
        goto out;
    loop_callback *callbacks[2] = {on_device_a, on_device_b};
    for (int i = 0; i < 2; i++) {
        fw.watch[i] = loop_watch_add(fw.loop, tun_device_fd(fw.dev[i]),
                                     LOOP_READ, callbacks[i], &fw);
        if (!fw.watch[i])
            goto out;
    }
    fw.again = loop_again_new(fw.loop, on_again, &fw);
    if (!fw.again)
        goto out;
    char a[TUN_NAME_MAX] = "", b[TUN_NAME_MAX] = "";
    tun_device_get_name(fw.dev[0], a, sizeof(a));
    tun_device_get_name(fw.dev[1], b, sizeof(b));
    printf("forwarding between %s and %s (%s loop)\n", a, b, loop_name());
    fw.status = 0;
    stop_signal = loop_run(fw.loop, seconds);
    if (stop_signal < 0)
        fw.status = 1;
    for (int i = 0; i < 2; i++) {
        const struct lane *l = &fw.lane[i];
        printf("%s: %" PRIu64 " packets in %" PRIu64 " reads (%" PRIu64
               " lost), %" PRIu64 " sent, %" PRIu64 " refused, %" PRIu64
               " dropped, %zu left; waited for room %" PRIu64 " times\n",
               i == 0 ? "a->b" : "b->a", l->packets_in, l->reads, l->lost,
               l->packets_out, l->refused, l->dropped, l->used - l->sent,
               l->waits);
    }
out:
    example_stop_handling_signals();
    loop_again_free(fw.again);
    for (int i = 0; i < 2; i++) {
        loop_watch_remove(fw.watch[i]);
        tun_close(fw.dev[i]);
        lane_free(&fw.lane[i]);
    }
    loop_free(fw.loop);
    if (stop_signal >= 0 && census_report(&before, stop_signal) != 0)
        fw.status = 1;
    return fw.status;
}
