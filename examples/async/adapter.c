#include "adapter.h"

#include <stdio.h>
#include <stdlib.h>

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
