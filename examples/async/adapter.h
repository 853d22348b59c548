/* What every loop_<name>.c adapter of loop.h shares. */
#ifndef EXAMPLE_LOOP_ADAPTER_H
#define EXAMPLE_LOOP_ADAPTER_H

#include <stddef.h>
#include <stdint.h>

#include "loop.h"

/* The caller's side of a watch: what it waits for and whom to call. */
typedef struct loop_target {
    unsigned events;
    loop_callback *cb;
    void *arg;
} loop_target;

/* calloc() that names who ran out of memory on stderr. */
void *loop_calloc(size_t size, const char *who);
/* Call the target with the ready events it still waits for, if any (a
 * callback earlier in the same turn of the loop may have changed them). */
void loop_deliver(const loop_target *t, unsigned ready);

/* For a loop_run() that waits itself: the deadline of a run of `seconds`
 * (0: none), and the milliseconds left of it: -1 without a deadline, 0 once
 * it has passed. */
int64_t loop_deadline(unsigned long seconds);
int64_t loop_left_ms(int64_t deadline);

#endif
