/* loop.h over plain epoll (level-triggered), with a signalfd for SIGINT and
 * SIGTERM and the time limit as epoll_wait()'s timeout. */
#include "adapter.h"

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <unistd.h>

struct loop {
    int epoll;
    int signals; /* signalfd; its epoll entry carries a NULL watch */
    bool stopping;
    int stop_signal;
};

struct loop_watch {
    loop_target target; /* events 0: not in the epoll set (errors would
                           still wake it) */
    loop *loop;
    int fd;
};

const char *loop_name(void)
{
    return "epoll";
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
    l->epoll = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
    if (l->signals < 0 || l->epoll < 0 ||
        epoll_ctl(l->epoll, EPOLL_CTL_ADD, l->signals, &ev) != 0) {
        perror("loop_new: signalfd/epoll");
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
    if (l->epoll >= 0)
        close(l->epoll);
    if (l->signals >= 0)
        close(l->signals);
    free(l);
}

loop_watch *loop_watch_add(loop *l, int fd, unsigned events, loop_callback *cb,
                           void *arg)
{
    loop_watch *w = loop_calloc(sizeof(*w), "loop_watch_add");
    if (!w)
        return NULL;
    *w = (loop_watch){{0, cb, arg}, l, fd};
    if (loop_watch_set(w, events) != 0) {
        free(w);
        return NULL;
    }
    return w;
}

int loop_watch_set(loop_watch *w, unsigned events)
{
    struct epoll_event ev = {.data.ptr = w};
    if (events & LOOP_READ)
        ev.events |= EPOLLIN;
    if (events & LOOP_WRITE)
        ev.events |= EPOLLOUT;
    int op = !events ? EPOLL_CTL_DEL
             : w->target.events ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
    if (events != w->target.events &&
        epoll_ctl(w->loop->epoll, op, w->fd, &ev) != 0) {
        perror("loop_watch_set: epoll_ctl");
        return -1;
    }
    w->target.events = events;
    return 0;
}

void loop_watch_remove(loop_watch *w)
{
    if (!w)
        return;
    loop_watch_set(w, 0);
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
        struct epoll_event events[16];
        int n = epoll_wait(l->epoll, events, 16, (int)left);
        if (n < 0 && errno != EINTR) {
            perror("loop_run: epoll_wait");
            return -1;
        }
        for (int i = 0; i < n && !l->stopping; i++) {
            loop_watch *w = events[i].data.ptr;
            if (!w) {
                struct signalfd_siginfo info;
                if (read(l->signals, &info, sizeof(info)) == sizeof(info)) {
                    l->stop_signal = (int)info.ssi_signo;
                    l->stopping = true;
                }
                continue;
            }
            uint32_t got = events[i].events;
            unsigned ready = 0;
            if (got & (EPOLLIN | EPOLLERR | EPOLLHUP))
                ready |= LOOP_READ;
            if (got & EPOLLOUT)
                ready |= LOOP_WRITE;
            loop_deliver(&w->target, ready);
        }
    }
    return l->stop_signal;
}
