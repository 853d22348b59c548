/* The forwarder that bench/run.sh measures: two TUN devices, each opened
 * inside its own network namespace, joined in userspace by one of the modes
 * in the table at the end of this file.
 *
 * Usage: forwarder MODE [-t SECONDS] NETNS_A ADDR_A NETNS_B ADDR_B
 *
 * NETNS_A and NETNS_B are namespace files (/run/netns/NAME). Device A gets
 * ADDR_A with peer ADDR_B inside NETNS_A, device B the reverse, so each
 * namespace routes the other's address over its TUN device and every packet
 * between them crosses this process. It prints "ready" once both lanes run,
 * then forwards until SIGINT or SIGTERM, prints what each lane moved as one
 * JSON line and exits 0 (1 if a lane failed or no signal came within
 * -t SECONDS, a guard against a runner that died). */
#include <tun.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

/* The largest packet either kind of device hands over: 64 KiB of IP plus
 * the virtio-net header in front of it on an offload device. */
#define PACKET_MAX (TUN_MTU_MAX + 64)

/* One direction of forwarding: packets read from one device are written to
 * the other. The counters belong to the lane's thread until it is joined. */
typedef struct lane {
    const char *name;
    int (*run)(struct lane *l);
    tun_device *from, *to;
    uint8_t *buf;
    uint64_t packets, bytes;
    int error; /* 0, or the code that stopped the lane */
} lane;

typedef struct mode {
    const char *name;
    bool offload; /* open the devices with virtio-net headers and TSO/USO */
    int (*run)(lane *l);
    const char *what;
} mode;

/* For the lanes that bypass the library (whose calls tun_interrupt()
 * stops): set once the forwarder is stopping, and an eventfd that becomes
 * readable then, for lanes waiting in poll(). */
static atomic_bool stopping;
static int stop_fd = -1;

/* ---- modes --------------------------------------------------------------- */

/* One packet per tun_read() and tun_write(): what a simple library user
 * writes, and what the library's per-packet overhead decides. */
static int run_plain(lane *l)
{
    for (;;) {
        int n = tun_read(l->from, l->buf, PACKET_MAX);
        if (n < 0)
            return n;
        int w = tun_write(l->to, l->buf, (size_t)n);
        if (w < 0)
            return w;
        l->packets++;
        l->bytes += (uint64_t)n;
    }
}

/* Wait until fd is ready for events or the forwarder stops (TUN_ECANCELED).
 * The second poll is bounded, so a lane checks the stop state once a
 * second even if an event were lost. */
static int wait_fd(int fd, short events)
{
    struct pollfd p[2] = {{.fd = fd, .events = events},
                          {.fd = stop_fd, .events = POLLIN}};
    for (;;) {
        int n = poll(p, 2, 1000);
        if (n < 0 && errno != EINTR)
            return -errno;
        if (p[1].revents)
            return TUN_ECANCELED;
        if (n > 0)
            return 0;
    }
}

/* read() and write() on the device descriptors, without the library in the
 * path: on offload devices each packet keeps its virtio-net header, so a
 * 64 KiB super-packet crosses unchanged, never split or coalesced. The
 * ceiling for any userspace forwarder of the same device kind. */
static int run_raw(lane *l)
{
    int in = tun_device_fd(l->from), out = tun_device_fd(l->to);
    while (!atomic_load_explicit(&stopping, memory_order_relaxed)) {
        ssize_t n = read(in, l->buf, PACKET_MAX);
        if (n < 0) {
            /* The library keeps its descriptors non-blocking. */
            int rc = errno == EAGAIN ? wait_fd(in, POLLIN)
                     : errno == EINTR ? 0
                                      : -errno;
            if (rc < 0)
                return rc;
            continue;
        }
        while (write(out, l->buf, (size_t)n) < 0) {
            int rc = errno == EAGAIN ? wait_fd(out, POLLOUT)
                     : errno == EINTR ? 0
                                      : -errno;
            if (rc < 0)
                return rc;
        }
        l->packets++;
        l->bytes += (uint64_t)n;
    }
    return TUN_ECANCELED;
}

static const mode modes[] = {
    {"plain", false, run_plain,
     "sync, one packet per tun_read()/tun_write(), a thread per direction"},
    {"raw-plain", false, run_raw,
     "reference: read()/write() on plain devices, a thread per direction"},
    {"raw-offload", true, run_raw,
     "reference: read()/write() of super-packets with their virtio-net "
     "header on offload devices, a thread per direction"},
};

/* ---- setup --------------------------------------------------------------- */

static int fail(const char *step, int rc)
{
    fprintf(stderr, "forwarder: %s: %s", step, tun_strerror(rc));
    if (*tun_last_error())
        fprintf(stderr, " (%s)", tun_last_error());
    fputc('\n', stderr);
    return rc;
}

/* Open one device inside the namespace file netns, as the mode wants it.
 * The calling thread enters that namespace and stays there: the caller
 * switches back. */
static int open_device(const mode *m, const char *netns, const char *addr,
                       const char *peer, tun_device **out)
{
    int ns = open(netns, O_RDONLY | O_CLOEXEC);
    int rc = ns < 0 || setns(ns, CLONE_NEWNET) != 0 ? -errno : 0;
    if (ns >= 0)
        close(ns);
    if (rc < 0) {
        fprintf(stderr, "forwarder: entering %s: %s\n", netns,
                strerror(-rc));
        return rc;
    }
    tun_config *cfg;
    rc = tun_config_new(&cfg);
    if (rc < 0)
        return fail("tun_config_new", rc);
    if ((rc = tun_config_set_offload(cfg, m->offload)) < 0 ||
        (rc = tun_config_add_ipv4(cfg, addr, 32, peer)) < 0)
        fail("configuring the device", rc);
    else if ((rc = tun_open(cfg, out)) < 0)
        fail("tun_open", rc);
    tun_config_free(cfg);
    return rc;
}

static void *lane_main(void *arg)
{
    lane *l = arg;
    int rc = l->run(l);
    if (rc != TUN_ECANCELED) {
        l->error = rc;
        fail(l->name, rc);
        /* One failed lane ends the run: wake the main thread. */
        kill(getpid(), SIGTERM);
    }
    return NULL;
}

static int usage(void)
{
    fprintf(stderr, "usage: forwarder MODE [-t SECONDS] NETNS_A ADDR_A "
                    "NETNS_B ADDR_B\nmodes:\n");
    for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
        fprintf(stderr, "  %-12s %s\n", modes[i].name, modes[i].what);
    return 2;
}

int main(int argc, char **argv)
{
    const mode *m = NULL;
    for (size_t i = 0; argc > 1 && i < sizeof(modes) / sizeof(modes[0]); i++)
        if (strcmp(argv[1], modes[i].name) == 0)
            m = &modes[i];
    long limit = 600;
    int arg = 2;
    if (argc > 3 && strcmp(argv[2], "-t") == 0) {
        limit = atol(argv[3]);
        arg = 4;
    }
    if (!m || limit <= 0 || argc - arg != 4)
        return usage();
    const char *ns_a = argv[arg], *addr_a = argv[arg + 1];
    const char *ns_b = argv[arg + 2], *addr_b = argv[arg + 3];

    /* Only the main thread takes the stop signals, with sigtimedwait(). */
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop_signals, NULL);

    stop_fd = eventfd(0, EFD_CLOEXEC);
    int home = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
    if (stop_fd < 0 || home < 0) {
        perror("forwarder: eventfd or own namespace");
        return 1;
    }
    tun_device *a = NULL, *b = NULL;
    int rc = open_device(m, ns_a, addr_a, addr_b, &a);
    if (rc == 0)
        rc = open_device(m, ns_b, addr_b, addr_a, &b);
    /* Back home before any thread starts (threads inherit the namespace):
     * the library's interface calls act in the calling thread's namespace,
     * where an index names another interface or none. */
    if (setns(home, CLONE_NEWNET) != 0) {
        perror("forwarder: returning to its own namespace");
        rc = -1;
    }
    close(home);

    lane lanes[2] = {{.name = "a>b", .run = m->run, .from = a, .to = b},
                     {.name = "b>a", .run = m->run, .from = b, .to = a}};
    pthread_t threads[2];
    size_t started = 0;
    for (; rc == 0 && started < 2; started++) {
        lane *l = &lanes[started];
        if (!(l->buf = malloc(PACKET_MAX)) ||
            pthread_create(&threads[started], NULL, lane_main, l) != 0) {
            fprintf(stderr, "forwarder: starting lane %s failed\n", l->name);
            rc = -1;
            break;
        }
    }
    if (rc == 0) {
        puts("ready");
        fflush(stdout);
        struct timespec ts = {.tv_sec = limit};
        if (sigtimedwait(&stop_signals, NULL, &ts) < 0) {
            fprintf(stderr, "forwarder: no stop signal within %ld s\n", limit);
            rc = -1;
        }
    }

    atomic_store(&stopping, true);
    uint64_t one = 1;
    if (write(stop_fd, &one, sizeof(one)) != sizeof(one))
        perror("forwarder: waking the lanes");
    for (size_t i = 0; i < 2; i++)
        if (lanes[i].from)
            tun_interrupt(lanes[i].from);
    for (size_t i = 0; i < started; i++)
        pthread_join(threads[i], NULL);
    if (started == 2)
        printf("{\"mode\":\"%s\",\"lanes\":{"
               "\"a>b\":{\"packets\":%llu,\"bytes\":%llu},"
               "\"b>a\":{\"packets\":%llu,\"bytes\":%llu}}}\n",
               m->name, (unsigned long long)lanes[0].packets,
               (unsigned long long)lanes[0].bytes,
               (unsigned long long)lanes[1].packets,
               (unsigned long long)lanes[1].bytes);
    for (size_t i = 0; i < 2; i++) {
        if (lanes[i].error)
            rc = -1;
        free(lanes[i].buf);
    }
    tun_close(a);
    tun_close(b);
    close(stop_fd);
    return rc == 0 ? 0 : 1;
}
