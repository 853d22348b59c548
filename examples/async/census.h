/*
 * How the asynchronous examples show a clean shutdown: they count their
 * descriptors and threads before opening anything and again after closing
 * everything, and say whether the two agree.
 */
#ifndef EXAMPLE_CENSUS_H
#define EXAMPLE_CENSUS_H

typedef struct census {
    int fds;     /* entries of /proc/self/fd */
    int threads; /* entries of /proc/self/task */
} census;

/* Count now. */
void census_take(census *c);
/* Print "shutdown: stopped by SIGTERM; 3 descriptors and 1 thread open, as
 * before start" (or what differs). stop_signal is loop_run()'s result.
 * Returns 0 when nothing was left open, else 1. */
int census_report(const census *before, int stop_signal);

#endif
