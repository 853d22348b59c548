/* loop.h over libuv: a uv_poll_t per watched descriptor, uv_signal_t for
 * SIGINT and SIGTERM, a uv_timer_t for the time limit. */
#include "adapter.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <uv.h>

struct loop {
    uv_loop_t uv;
    uv_signal_t sigint;
    uv_signal_t sigterm;
    uv_timer_t limit;
    int stop_signal;
};

struct loop_watch {
    uv_poll_t poll; /* first: the handle's address is the watch's */
    loop_target target;
};

const char *loop_name(void)
{
    return "libuv";
}

static void on_signal(uv_signal_t *s, int signum)
{
    loop *l = s->data;
    l->stop_signal = signum;
    uv_stop(&l->uv);
}

static void on_limit(uv_timer_t *t)
{
    uv_stop(t->loop);
}

static int check(int rc, const char *what)
{
    if (rc < 0)
        fprintf(stderr, "%s: %s\n", what, uv_strerror(rc));
    return rc < 0 ? -1 : 0;
}

int loop_new(loop **out)
{
    loop *l = loop_calloc(sizeof(*l), "loop_new");
    if (!l)
        return -1;
    if (check(uv_loop_init(&l->uv), "uv_loop_init") != 0) {
        free(l);
        return -1;
    }
    l->sigint.data = l->sigterm.data = l;
    uv_signal_init(&l->uv, &l->sigint);
    uv_signal_init(&l->uv, &l->sigterm);
    uv_timer_init(&l->uv, &l->limit);
    if (check(uv_signal_start(&l->sigint, on_signal, SIGINT),
              "uv_signal_start") != 0 ||
        check(uv_signal_start(&l->sigterm, on_signal, SIGTERM),
              "uv_signal_start") != 0) {
        loop_free(l);
        return -1;
    }
    *out = l;
    return 0;
}

static void free_handle(uv_handle_t *h)
{
    if (h->type == UV_POLL)
        free(h);
}

void loop_free(loop *l)
{
    if (!l)
        return;
    uv_close((uv_handle_t *)&l->sigint, NULL);
    uv_close((uv_handle_t *)&l->sigterm, NULL);
    uv_close((uv_handle_t *)&l->limit, NULL);
    /* Closing completes in the loop: run it until every handle is gone. */
    uv_run(&l->uv, UV_RUN_DEFAULT);
    check(uv_loop_close(&l->uv), "uv_loop_close");
    free(l);
    /* libuv keeps a process-wide pipe for signals until told otherwise. */
    uv_library_shutdown();
}

static void on_poll(uv_poll_t *p, int status, int got)
{
    loop_watch *w = (loop_watch *)p;
    unsigned ready = 0;
    /* An error on the descriptor (status < 0) goes to the reader. */
    if (status < 0 || (got & (UV_READABLE | UV_DISCONNECT)))
        ready |= LOOP_READ;
    if (got & UV_WRITABLE)
        ready |= LOOP_WRITE;
    loop_deliver(&w->target, ready);
}

loop_watch *loop_watch_add(loop *l, int fd, unsigned events, loop_callback *cb,
                           void *arg)
{
    loop_watch *w = loop_calloc(sizeof(*w), "loop_watch_add");
    if (!w)
        return NULL;
    w->target = (loop_target){0, cb, arg};
    if (check(uv_poll_init(&l->uv, &w->poll, fd), "uv_poll_init") != 0) {
        free(w);
        return NULL;
    }
    if (loop_watch_set(w, events) != 0) {
        uv_close((uv_handle_t *)&w->poll, free_handle);
        return NULL;
    }
    return w;
}

int loop_watch_set(loop_watch *w, unsigned events)
{
    int flags = ((events & LOOP_READ) ? UV_READABLE : 0) |
                ((events & LOOP_WRITE) ? UV_WRITABLE : 0);
    int rc = flags ? uv_poll_start(&w->poll, flags, on_poll)
                   : uv_poll_stop(&w->poll);
    if (check(rc, "uv_poll_start") != 0)
        return -1;
    w->target.events = events;
    return 0;
}

void loop_watch_remove(loop_watch *w)
{
    if (w)
        uv_close((uv_handle_t *)&w->poll, free_handle);
}

int loop_run(loop *l, unsigned long seconds)
{
    if (seconds)
        uv_timer_start(&l->limit, on_limit, (uint64_t)seconds * 1000, 0);
    uv_run(&l->uv, UV_RUN_DEFAULT);
    uv_timer_stop(&l->limit);
    return l->stop_signal;
}

void loop_stop(loop *l)
{
    uv_stop(&l->uv);
}
