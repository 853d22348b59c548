/* loop.h over io_uring (liburing): the ring only waits, the packet I/O still
 * goes through libtun. Each watch has one one-shot IORING_OP_POLL_ADD in
 * flight, re-armed after its completion was delivered: a poll armed while
 * the condition holds completes at once, which makes the watch
 * level-triggered as loop.h asks (a multishot poll would report wake-ups,
 * not states). SIGINT and SIGTERM wait in a signalfd polled through the ring;
 * the time limit is the wait's timeout. */
#include "adapter.h"

#include <errno.h>
#include <liburing.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

/* Enough for the examples' few watches; a full queue is submitted early. */
#define RING_ENTRIES 64

/* A completion's user data: a watch, the loop (its signalfd poll) or
 * NOTHING (a cancellation's own result, which tells nothing new). */
#define NOTHING 0

struct loop {
    struct io_uring ring;
    bool ring_ready;
    int signals; /* signalfd */
    bool stopping;
    int stop_signal;
};

struct loop_watch {
    loop_target target;
    loop *loop;
    int fd;
    unsigned armed; /* the events of the poll in flight, 0: none */
};

const char *loop_name(void)
{
    return "io_uring";
}

static struct io_uring_sqe *next_sqe(loop *l)
{
    struct io_uring_sqe *sqe = io_uring_get_sqe(&l->ring);
    if (!sqe) { /* the queue is full: hand it to the kernel, then retry */
        io_uring_submit(&l->ring);
        sqe = io_uring_get_sqe(&l->ring);
    }
    if (!sqe)
        fprintf(stderr, "io_uring: no submission queue entry free\n");
    return sqe;
}

static int poll_add(loop *l, int fd, unsigned mask, uint64_t data)
{
    struct io_uring_sqe *sqe = next_sqe(l);
    if (!sqe)
        return -1;
    io_uring_prep_poll_add(sqe, fd, mask);
    io_uring_sqe_set_data64(sqe, data);
    return 0;
}

/* Cancel the poll in flight for w; its completion (-ECANCELED, or the
 * readiness it had already found) still comes and re-arms it. */
static int poll_cancel(loop_watch *w)
{
    struct io_uring_sqe *sqe = next_sqe(w->loop);
    if (!sqe)
        return -1;
    io_uring_prep_poll_remove(sqe, (uint64_t)(uintptr_t)w);
    io_uring_sqe_set_data64(sqe, NOTHING);
    return 0;
}

static int arm(loop_watch *w)
{
    unsigned mask = ((w->target.events & LOOP_READ) ? POLLIN : 0) |
                    ((w->target.events & LOOP_WRITE) ? POLLOUT : 0);
    if (poll_add(w->loop, w->fd, mask, (uint64_t)(uintptr_t)w) != 0)
        return -1;
    w->armed = w->target.events;
    return 0;
}

int loop_new(loop **out)
{
    loop *l = loop_calloc(sizeof(*l), "loop_new");
    if (!l)
        return -1;
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    /* Blocked signals wait in the signalfd instead of being delivered. */
    sigprocmask(SIG_BLOCK, &set, NULL);
    l->signals = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
    if (l->signals < 0) {
        perror("loop_new: signalfd");
        free(l);
        return -1;
    }
    int rc = io_uring_queue_init(RING_ENTRIES, &l->ring, 0);
    if (rc < 0) {
        fprintf(stderr, "loop_new: io_uring_queue_init: %s\n", strerror(-rc));
        loop_free(l);
        return -1;
    }
    l->ring_ready = true;
    if (poll_add(l, l->signals, POLLIN, (uint64_t)(uintptr_t)l) != 0) {
        loop_free(l);
        return -1;
    }
    *out = l;
    return 0;
}

void loop_free(loop *l)
{
    if (!l)
        return;
    /* Exiting the ring cancels the signalfd's poll. */
    if (l->ring_ready)
        io_uring_queue_exit(&l->ring);
    close(l->signals);
    free(l);
}

loop_watch *loop_watch_add(loop *l, int fd, unsigned events, loop_callback *cb,
                           void *arg)
{
    loop_watch *w = loop_calloc(sizeof(*w), "loop_watch_add");
    if (!w)
        return NULL;
    *w = (loop_watch){{0, cb, arg}, l, fd, 0};
    if (loop_watch_set(w, events) != 0) {
        free(w);
        return NULL;
    }
    return w;
}

int loop_watch_set(loop_watch *w, unsigned events)
{
    w->target.events = events;
    if (!w->armed)
        return events ? arm(w) : 0;
    /* A poll waiting for more than is wanted may stay: it fires once at
     * most, loop_deliver() drops what is no longer wanted and the re-arm
     * asks for the rest. One that misses an event must go. */
    return (events & ~w->armed) ? poll_cancel(w) : 0;
}

/* Handle one completion: deliver it when deliver is true, and re-arm the
 * poll it ended. */
static int complete(loop *l, uint64_t data, int res, bool deliver)
{
    if (data == NOTHING)
        return 0;
    if (data == (uint64_t)(uintptr_t)l) {
        struct signalfd_siginfo info;
        if (read(l->signals, &info, sizeof(info)) == sizeof(info)) {
            l->stop_signal = (int)info.ssi_signo;
            l->stopping = true;
        }
        return poll_add(l, l->signals, POLLIN, data);
    }
    loop_watch *w = (loop_watch *)(uintptr_t)data;
    w->armed = 0;
    unsigned ready = 0;
    /* A failed poll or an error/hang-up goes to the reader, whose next
     * read names it; a cancelled poll only needs re-arming. */
    if (res < 0 ? res != -ECANCELED : (res & (POLLIN | POLLERR | POLLHUP)))
        ready |= LOOP_READ;
    if (res > 0 && (res & POLLOUT))
        ready |= LOOP_WRITE;
    if (deliver)
        loop_deliver(&w->target, ready);
    return w->target.events && !w->armed ? arm(w) : 0;
}

void loop_watch_remove(loop_watch *w)
{
    if (!w)
        return;
    loop *l = w->loop;
    w->target.events = 0;
    /* The poll's completion names w: wait for it before freeing w. The
     * completions of others met meanwhile only re-arm their polls. */
    if (w->armed && poll_cancel(w) == 0) {
        while (w->armed) {
            struct io_uring_cqe *cqe;
            int rc = io_uring_submit_and_wait(&l->ring, 1);
            if (rc < 0 && rc != -EINTR) {
                fprintf(stderr, "loop_watch_remove: %s\n", strerror(-rc));
                break;
            }
            while (io_uring_peek_cqe(&l->ring, &cqe) == 0) {
                uint64_t data = io_uring_cqe_get_data64(cqe);
                int res = cqe->res;
                io_uring_cqe_seen(&l->ring, cqe);
                complete(l, data, res, false);
            }
        }
    }
    free(w);
}

void loop_stop(loop *l)
{
    l->stopping = true;
}

int loop_run(loop *l, unsigned long seconds)
{
    int64_t deadline = loop_deadline(seconds);
    l->stopping = false;
    while (!l->stopping) {
        int64_t left = loop_left_ms(deadline);
        if (left == 0)
            break;
        struct __kernel_timespec limit = {.tv_sec = left / 1000,
                                          .tv_nsec = (left % 1000) * 1000000};
        struct io_uring_cqe *cqe;
        int rc = io_uring_submit_and_wait_timeout(&l->ring, &cqe, 1,
                                                  left < 0 ? NULL : &limit,
                                                  NULL);
        if (rc < 0 && rc != -ETIME && rc != -EINTR) {
            fprintf(stderr, "loop_run: io_uring_submit_and_wait_timeout: %s\n",
                    strerror(-rc));
            return -1;
        }
        /* Completions left when stopping wait in the ring for the next run
         * or for loop_watch_remove(). */
        while (!l->stopping && io_uring_peek_cqe(&l->ring, &cqe) == 0) {
            uint64_t data = io_uring_cqe_get_data64(cqe);
            int res = cqe->res;
            io_uring_cqe_seen(&l->ring, cqe);
            if (complete(l, data, res, true) != 0)
                return -1;
        }
    }
    return l->stop_signal;
}
