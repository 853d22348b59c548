#include "adapter.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

void *loop_calloc(size_t size, const char *who)
{
    void *p = calloc(1, size);
    if (!p)
        fprintf(stderr, "%s: out of memory\n", who);
    return p;
}

void loop_deliver(const loop_target *t, unsigned ready)
{
    ready &= t->events;
    if (ready)
        t->cb(t->arg, ready);
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t loop_deadline(unsigned long seconds)
{
    return seconds ? now_ms() + (int64_t)seconds * 1000 : -1;
}

int64_t loop_left_ms(int64_t deadline)
{
    if (deadline < 0)
        return -1;
    int64_t left = deadline - now_ms();
    return left > 0 ? left : 0;
}

/* An eventfd is readable while its counter is not 0: armed is 1, disarmed 0;
 * the level-triggered watch of it calls back on every turn while armed. */
struct loop_again {
    int fd;
    loop_watch *watch;
};

loop_again *loop_again_new(loop *l, loop_callback *cb, void *arg)
{
    loop_again *a = loop_calloc(sizeof(*a), "loop_again_new");
    if (!a)
        return NULL;
    a->fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (a->fd < 0) {
        perror("loop_again_new: eventfd");
        free(a);
        return NULL;
    }
    a->watch = loop_watch_add(l, a->fd, LOOP_READ, cb, arg);
    if (!a->watch) {
        close(a->fd);
        free(a);
        return NULL;
    }
    return a;
}

int loop_again_set(loop_again *a, bool on)
{
    uint64_t value = 1;
    ssize_t n = on ? write(a->fd, &value, sizeof(value))
                   : read(a->fd, &value, sizeof(value));
    if (n < 0 && errno != EAGAIN) {
        perror("loop_again_set");
        return -1;
    }
    return 0;
}

void loop_again_free(loop_again *a)
{
    if (!a)
        return;
    loop_watch_remove(a->watch);
    close(a->fd);
    free(a);
}
