/* The traffic of scripts/soak.sh: TCP streams and UDP flows, IPv4 and IPv6,
 * in both directions between two network namespaces (joined by the
 * forwarder under test), random write and datagram sizes, and every byte
 * checked on arrival.
 *
 * Usage: soak_traffic NETNS_A ADDR4_A ADDR6_A NETNS_B ADDR4_B ADDR6_B
 *                     SECONDS INTERVAL
 *
 * Each socket is created inside the namespace of its end (a socket stays in
 * the namespace it was made in), so one process drives both ends. Prints a
 * line of throughput every INTERVAL seconds and a summary at the end; exits
 * 0 only if every TCP byte arrived intact and in order, and every UDP
 * datagram that arrived is intact and in order; the UDP datagrams lost
 * (dropped by a full queue, as a router drops them) are printed last as
 * "udp_lost=N" for the caller to account for. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum { UDP_WINDOW = 64, UDP_MAX = 1200, TCP_CHUNK = 65536 };

static atomic_bool stopping;
static int ns_fd[2]; /* A, B */
static const char *addr4[2], *addr6[2];

/* A reproducible byte stream (xorshift64*), read in any chunk sizes. */
struct stream {
    uint64_t state;
    uint8_t word[8];
    unsigned used;
};

static void stream_init(struct stream *s, uint64_t seed)
{
    s->state = seed * 0x9e3779b97f4a7c15ull + 1;
    s->used = 8;
}

static uint8_t stream_next(struct stream *s)
{
    if (s->used == 8) {
        s->state ^= s->state >> 12;
        s->state ^= s->state << 25;
        s->state ^= s->state >> 27;
        uint64_t v = s->state * 0x2545f4914f6cdd1dull;
        memcpy(s->word, &v, 8);
        s->used = 0;
    }
    return s->word[s->used++];
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A socket made inside namespace `side`. */
static int socket_in(int side, int family, int type)
{
    if (setns(ns_fd[side], CLONE_NEWNET) != 0) {
        perror("soak_traffic: setns");
        exit(2);
    }
    int s = socket(family, type | SOCK_CLOEXEC, 0);
    if (s < 0) {
        perror("soak_traffic: socket");
        exit(2);
    }
    return s;
}

static socklen_t make_addr(struct sockaddr_storage *ss, int family,
                           const char *text, uint16_t port)
{
    memset(ss, 0, sizeof(*ss));
    if (family == AF_INET) {
        struct sockaddr_in *a = (struct sockaddr_in *)ss;
        a->sin_family = AF_INET;
        a->sin_port = htons(port);
        inet_pton(AF_INET, text, &a->sin_addr);
        return sizeof(*a);
    }
    struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;
    a->sin6_family = AF_INET6;
    a->sin6_port = htons(port);
    inet_pton(AF_INET6, text, &a->sin6_addr);
    return sizeof(*a);
}

/* One flow: a TCP stream or a UDP flow from side `from` to the other. */
struct flow {
    char name[16];
    bool tcp;
    int family;
    int from;
    uint16_t port;
    int tx, rx; /* sockets */
    pthread_t sender, receiver;
    atomic_ullong sent_bytes, recv_bytes;
    atomic_ullong sent_packets, recv_packets; /* UDP */
    atomic_ullong next_seq; /* UDP: one past the newest received */
    atomic_ullong corrupt;
    unsigned long long reported;
};

static void *tcp_sender(void *arg)
{
    struct flow *f = arg;
    static _Thread_local uint8_t buf[TCP_CHUNK];
    struct stream s;
    stream_init(&s, f->port);
    unsigned seed = f->port;
    while (!atomic_load(&stopping)) {
        size_t len = 1 + (size_t)rand_r(&seed) % TCP_CHUNK;
        for (size_t i = 0; i < len; i++)
            buf[i] = stream_next(&s);
        size_t off = 0;
        while (off < len) {
            ssize_t n = send(f->tx, buf + off, len - off, MSG_NOSIGNAL);
            if (n < 0) {
                if (errno == EINTR)
                    continue;
                perror("soak_traffic: TCP send");
                atomic_fetch_add(&f->corrupt, 1);
                return NULL;
            }
            off += (size_t)n;
            atomic_fetch_add(&f->sent_bytes, (unsigned long long)n);
        }
    }
    shutdown(f->tx, SHUT_WR);
    return NULL;
}

static void *tcp_receiver(void *arg)
{
    struct flow *f = arg;
    static _Thread_local uint8_t buf[TCP_CHUNK];
    struct stream s;
    stream_init(&s, f->port);
    for (;;) {
        ssize_t n = recv(f->rx, buf, sizeof(buf), 0);
        if (n == 0)
            break; /* the sender's end of stream */
        if (n < 0) {
            if (errno == EINTR)
                continue;
            perror("soak_traffic: TCP receive");
            atomic_fetch_add(&f->corrupt, 1);
            break;
        }
        for (ssize_t i = 0; i < n; i++)
            if (buf[i] != stream_next(&s)) {
                atomic_fetch_add(&f->corrupt, 1);
                break;
            }
        atomic_fetch_add(&f->recv_bytes, (unsigned long long)n);
    }
    return NULL;
}

/* UDP datagram `seq` of a flow: its number, then stream bytes seeded by
 * the flow and the number; the size follows from the number too. */
static size_t udp_payload(uint8_t *p, uint16_t port, uint32_t seq)
{
    struct stream s;
    stream_init(&s, (uint64_t)port << 32 | seq);
    size_t len = 4 + stream_next(&s) * 4u + stream_next(&s) % 180u;
    if (len > UDP_MAX)
        len = UDP_MAX;
    memcpy(p, &seq, 4);
    for (size_t i = 4; i < len; i++)
        p[i] = stream_next(&s);
    return len;
}

/* The sender stays at most UDP_WINDOW datagrams ahead of the newest one
 * received; a datagram lost on the way (a full queue drops it, as any
 * router would) costs it a short wait, not a stall. */
static void *udp_sender(void *arg)
{
    struct flow *f = arg;
    uint8_t buf[UDP_MAX];
    for (uint32_t seq = 0; !atomic_load(&stopping); seq++) {
        for (int waited = 0; waited < 200 && !atomic_load(&stopping) &&
                             seq - atomic_load(&f->next_seq) >= UDP_WINDOW;
             waited++)
            usleep(100);
        size_t len = udp_payload(buf, f->port, seq);
        if (send(f->tx, buf, len, 0) != (ssize_t)len) {
            perror("soak_traffic: UDP send");
            atomic_fetch_add(&f->corrupt, 1);
            break;
        }
        atomic_fetch_add(&f->sent_packets, 1);
        atomic_fetch_add(&f->sent_bytes, len);
    }
    return NULL;
}

/* Every datagram that arrives must be intact and newer than the last one
 * (no duplicate, no reordering within the flow); the gaps are counted as
 * lost. */
static void *udp_receiver(void *arg)
{
    struct flow *f = arg;
    uint8_t buf[2048], want[UDP_MAX];
    struct timeval tv = {.tv_usec = 200000};
    setsockopt(f->rx, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    double give_up = 0; /* set once stopping: a lost datagram never comes */
    for (;;) {
        ssize_t n = recv(f->rx, buf, sizeof(buf), 0);
        if (n < 0) {
            if (errno == EAGAIN && atomic_load(&stopping)) {
                if (give_up == 0)
                    give_up = now_s() + 2;
                if (atomic_load(&f->next_seq) >=
                        atomic_load(&f->sent_packets) ||
                    now_s() > give_up)
                    break;
            }
            if (errno == EAGAIN || errno == EINTR)
                continue;
            perror("soak_traffic: UDP receive");
            atomic_fetch_add(&f->corrupt, 1);
            break;
        }
        uint32_t seq;
        memcpy(&seq, buf, n >= 4 ? 4 : 0);
        size_t len = n >= 4 ? udp_payload(want, f->port, seq) : 0;
        if (n < 4 || seq < atomic_load(&f->next_seq) || (size_t)n != len ||
            memcmp(buf, want, len) != 0) {
            atomic_fetch_add(&f->corrupt, 1);
            continue;
        }
        atomic_store(&f->next_seq, (unsigned long long)seq + 1);
        atomic_fetch_add(&f->recv_packets, 1);
        atomic_fetch_add(&f->recv_bytes, (unsigned long long)n);
    }
    return NULL;
}

static void flow_start(struct flow *f)
{
    int to = 1 - f->from;
    const char *dst = f->family == AF_INET ? addr4[to] : addr6[to];
    const char *src = f->family == AF_INET ? addr4[f->from] : addr6[f->from];
    struct sockaddr_storage ss;
    socklen_t sl;
    int one = 1;
    if (f->tcp) {
        int l = socket_in(to, f->family, SOCK_STREAM);
        setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        sl = make_addr(&ss, f->family, dst, f->port);
        if (bind(l, (struct sockaddr *)&ss, sl) != 0 || listen(l, 1) != 0) {
            perror("soak_traffic: TCP listen");
            exit(2);
        }
        f->tx = socket_in(f->from, f->family, SOCK_STREAM);
        if (connect(f->tx, (struct sockaddr *)&ss, sl) != 0) {
            perror("soak_traffic: TCP connect");
            exit(2);
        }
        f->rx = accept(l, NULL, NULL);
        close(l);
        if (f->rx < 0) {
            perror("soak_traffic: TCP accept");
            exit(2);
        }
        /* A stalled forwarder shows as an error, not a hang. */
        struct timeval stall = {.tv_sec = 10};
        setsockopt(f->tx, SOL_SOCKET, SO_SNDTIMEO, &stall, sizeof(stall));
        setsockopt(f->rx, SOL_SOCKET, SO_RCVTIMEO, &stall, sizeof(stall));
        pthread_create(&f->sender, NULL, tcp_sender, f);
        pthread_create(&f->receiver, NULL, tcp_receiver, f);
        return;
    }
    f->rx = socket_in(to, f->family, SOCK_DGRAM);
    sl = make_addr(&ss, f->family, dst, f->port);
    int size = 4 << 20;
    setsockopt(f->rx, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
    if (bind(f->rx, (struct sockaddr *)&ss, sl) != 0) {
        perror("soak_traffic: UDP bind");
        exit(2);
    }
    f->tx = socket_in(f->from, f->family, SOCK_DGRAM);
    struct sockaddr_storage local;
    socklen_t ll = make_addr(&local, f->family, src, 0);
    if (bind(f->tx, (struct sockaddr *)&local, ll) != 0 ||
        connect(f->tx, (struct sockaddr *)&ss, sl) != 0) {
        perror("soak_traffic: UDP connect");
        exit(2);
    }
    pthread_create(&f->sender, NULL, udp_sender, f);
    pthread_create(&f->receiver, NULL, udp_receiver, f);
}

int main(int argc, char **argv)
{
    if (argc != 9) {
        fprintf(stderr, "usage: soak_traffic NETNS_A ADDR4_A ADDR6_A NETNS_B "
                        "ADDR4_B ADDR6_B SECONDS INTERVAL\n");
        return 2;
    }
    for (int side = 0; side < 2; side++) {
        ns_fd[side] = open(argv[1 + 3 * side], O_RDONLY | O_CLOEXEC);
        if (ns_fd[side] < 0) {
            perror(argv[1 + 3 * side]);
            return 2;
        }
        addr4[side] = argv[2 + 3 * side];
        addr6[side] = argv[3 + 3 * side];
    }
    double seconds = atof(argv[7]), interval = atof(argv[8]);

    /* TCP and UDP, IPv4 and IPv6, A to B and B to A. */
    static struct flow flows[8];
    int n = 0;
    for (int tcp = 1; tcp >= 0; tcp--)
        for (int v6 = 0; v6 < 2; v6++)
            for (int from = 0; from < 2; from++) {
                struct flow *f = &flows[n];
                f->tcp = tcp;
                f->family = v6 ? AF_INET6 : AF_INET;
                f->from = from;
                f->port = (uint16_t)(6000 + n);
                snprintf(f->name, sizeof(f->name), "%s%d %s", tcp ? "tcp" : "udp",
                         v6 ? 6 : 4, from ? "b>a" : "a>b");
                flow_start(f);
                n++;
            }

    double start = now_s(), last = start;
    while (now_s() - start < seconds) {
        usleep(100000);
        double t = now_s();
        if (t - last < interval)
            continue;
        printf("t=%.0fs", t - start);
        unsigned long long corrupt = 0;
        for (int i = 0; i < n; i++) {
            unsigned long long b = atomic_load(&flows[i].recv_bytes);
            printf(" %s=%.1fMbit/s", flows[i].name,
                   (double)(b - flows[i].reported) * 8 / 1e6 / (t - last));
            flows[i].reported = b;
            corrupt += atomic_load(&flows[i].corrupt);
        }
        printf(" errors=%llu\n", corrupt);
        fflush(stdout);
        last = t;
    }
    atomic_store(&stopping, true);
    int failed = 0;
    unsigned long long udp_lost = 0;
    double took = now_s() - start;
    for (int i = 0; i < n; i++) {
        struct flow *f = &flows[i];
        pthread_join(f->sender, NULL);
        pthread_join(f->receiver, NULL);
        unsigned long long sent = atomic_load(&f->sent_bytes),
                           got = atomic_load(&f->recv_bytes),
                           bad = atomic_load(&f->corrupt),
                           lost = atomic_load(&f->sent_packets) -
                                  atomic_load(&f->recv_packets);
        /* TCP: every byte; UDP: every datagram that came is intact. */
        bool ok = bad == 0 && (!f->tcp || sent == got);
        if (f->tcp)
            printf("%s: sent %llu bytes, received %llu intact (%.1f Mbit/s), "
                   "%llu errors: %s\n", f->name, sent, got,
                   (double)got * 8 / 1e6 / took, bad, ok ? "ok" : "FAILED");
        else
            printf("%s: sent %llu datagrams, received %llu intact (%.1f "
                   "Mbit/s), %llu lost, %llu damaged or out of order: %s\n",
                   f->name, atomic_load(&f->sent_packets),
                   atomic_load(&f->recv_packets),
                   (double)got * 8 / 1e6 / took, lost, bad,
                   ok ? "ok" : "FAILED");
        if (!f->tcp)
            udp_lost += lost;
        failed |= !ok;
        close(f->tx);
        close(f->rx);
    }
    printf("udp_lost=%llu\n", udp_lost);
    return failed;
}
