/* loop.h over libevent: two persistent events per watched descriptor (read
 * and write, each added while wanted), signal events for SIGINT and SIGTERM,
 * a timer for the time limit. */
#include "adapter.h"

#include <event2/event.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

struct loop {
    struct event_base *base;
    struct event *sigint;
    struct event *sigterm;
    struct event *limit;
    int stop_signal;
};

struct loop_watch {
    loop_target target;
    struct event *read;  /* EV_READ | EV_PERSIST */
    struct event *write; /* EV_WRITE | EV_PERSIST */
};

const char *loop_name(void)
{
    return "libevent";
}

static void on_signal(evutil_socket_t signum, short what, void *arg)
{
    (void)what;
    loop *l = arg;
    l->stop_signal = (int)signum;
    event_base_loopbreak(l->base);
}

static void on_limit(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    event_base_loopbreak(arg);
}

int loop_new(loop **out)
{
    loop *l = loop_calloc(sizeof(*l), "loop_new");
    if (!l)
        return -1;
    if (!(l->base = event_base_new())) {
        fprintf(stderr, "loop_new: cannot create the event base\n");
        free(l);
        return -1;
    }
    l->sigint = evsignal_new(l->base, SIGINT, on_signal, l);
    l->sigterm = evsignal_new(l->base, SIGTERM, on_signal, l);
    l->limit = evtimer_new(l->base, on_limit, l->base);
    if (!l->sigint || !l->sigterm || !l->limit ||
        evsignal_add(l->sigint, NULL) != 0 ||
        evsignal_add(l->sigterm, NULL) != 0) {
        fprintf(stderr, "loop_new: cannot watch SIGINT and SIGTERM\n");
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
    struct event *events[] = {l->sigint, l->sigterm, l->limit};
    for (size_t i = 0; i < sizeof(events) / sizeof(events[0]); i++)
        if (events[i])
            event_free(events[i]);
    event_base_free(l->base);
    free(l);
    /* Process-wide allocations (locks, the event method's globals). */
    libevent_global_shutdown();
}

static void on_event(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    loop_watch *w = arg;
    loop_deliver(&w->target, ((what & EV_READ) ? LOOP_READ : 0) |
                                 ((what & EV_WRITE) ? LOOP_WRITE : 0));
}

loop_watch *loop_watch_add(loop *l, int fd, unsigned events, loop_callback *cb,
                           void *arg)
{
    loop_watch *w = loop_calloc(sizeof(*w), "loop_watch_add");
    if (!w)
        return NULL;
    w->target = (loop_target){0, cb, arg};
    w->read = event_new(l->base, fd, EV_READ | EV_PERSIST, on_event, w);
    w->write = event_new(l->base, fd, EV_WRITE | EV_PERSIST, on_event, w);
    if (!w->read || !w->write || loop_watch_set(w, events) != 0) {
        fprintf(stderr, "loop_watch_add: cannot watch fd %d\n", fd);
        loop_watch_remove(w);
        return NULL;
    }
    return w;
}

/* Add or delete one event so that it is pending exactly when wanted. */
static int want(struct event *ev, bool wanted)
{
    if (wanted == (event_pending(ev, EV_READ | EV_WRITE, NULL) != 0))
        return 0;
    return wanted ? event_add(ev, NULL) : event_del(ev);
}

int loop_watch_set(loop_watch *w, unsigned events)
{
    if (want(w->read, events & LOOP_READ) != 0 ||
        want(w->write, events & LOOP_WRITE) != 0) {
        fprintf(stderr, "loop_watch_set: event_add/event_del failed\n");
        return -1;
    }
    w->target.events = events;
    return 0;
}

void loop_watch_remove(loop_watch *w)
{
    if (!w)
        return;
    if (w->read)
        event_free(w->read);
    if (w->write)
        event_free(w->write);
    free(w);
}

int loop_run(loop *l, unsigned long seconds)
{
    struct timeval limit = {.tv_sec = (time_t)seconds};
    if (seconds)
        evtimer_add(l->limit, &limit);
    int rc = event_base_dispatch(l->base);
    evtimer_del(l->limit);
    if (rc < 0) {
        fprintf(stderr, "loop_run: event_base_dispatch failed\n");
        return -1;
    }
    return l->stop_signal;
}

void loop_stop(loop *l)
{
    event_base_loopbreak(l->base);
}
