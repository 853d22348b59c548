#include "adapter.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

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
