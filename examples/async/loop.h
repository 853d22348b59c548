/*
 * The little the asynchronous examples need from an event loop, so that each
 * program is written once and runs on every loop: watch a descriptor for
 * reading and/or writing (level-triggered: a callback comes again while the
 * condition holds), and stop on SIGINT/SIGTERM, on a time limit or when the
 * program asks. Each loop_<name>.c implements it over one library (epoll,
 * libuv, libevent); which one a program uses is chosen when it is linked.
 * Everything runs on the loop's thread; nothing here is thread-safe.
 */
#ifndef EXAMPLE_LOOP_H
#define EXAMPLE_LOOP_H

#include <stdbool.h>

/* Bits of a watch's events. */
#define LOOP_READ 0x1
#define LOOP_WRITE 0x2

typedef struct loop loop;
typedef struct loop_watch loop_watch;
/* Called with the events that are ready (LOOP_READ, LOOP_WRITE or both; an
 * error or hang-up on the descriptor is reported as LOOP_READ, so that the
 * next read names it). */
typedef void loop_callback(void *arg, unsigned ready);

/* The name of the loop library, e.g. "libuv". */
const char *loop_name(void);

/* A new loop that will also stop on SIGINT and SIGTERM. Returns 0, or -1
 * with a message on stderr. Free it with loop_free(). */
int loop_new(loop **out);
/* Free the loop and everything the library holds for it, descriptors and
 * memory; every watch must have been removed. SIGINT and SIGTERM are left
 * blocked (see example_stop_handling_signals()). NULL is ignored. */
void loop_free(loop *l);

/* Watch fd for events (a combination of LOOP_READ and LOOP_WRITE, or 0 to
 * pause), calling cb(arg, ready) when some are ready. Returns the watch, or
 * NULL with a message on stderr. The descriptor stays the caller's. */
loop_watch *loop_watch_add(loop *l, int fd, unsigned events, loop_callback *cb,
                           void *arg);
/* Change what the watch waits for. Returns 0, or -1 with a message. */
int loop_watch_set(loop_watch *w, unsigned events);
/* Stop watching and free the watch; call it after loop_run() returned and
 * before the descriptor is closed. NULL is ignored. */
void loop_watch_remove(loop_watch *w);

/* A wake-up of the program's own, for a reader that stopped before
 * TUN_EAGAIN: libtun's descriptor does not signal packets the library
 * already holds (include/tun.h, "Readable"), so such a reader arms this to
 * be called back on the loop's next turn. While armed, cb(arg, LOOP_READ)
 * runs on every turn; disarm it there. Written once for every loop over
 * loop_watch_add() (adapter.c). Returns NULL with a message on failure. */
typedef struct loop_again loop_again;
loop_again *loop_again_new(loop *l, loop_callback *cb, void *arg);
/* Arm (on) or disarm (off). Returns 0, or -1 with a message. */
int loop_again_set(loop_again *a, bool on);
/* Remove and free it, as loop_watch_remove() (NULL is ignored). */
void loop_again_free(loop_again *a);

/* Run until loop_stop(), SIGINT or SIGTERM, or seconds (0: no limit).
 * Returns the signal that stopped it, 0 otherwise, or -1 when the loop
 * itself failed (with a message). */
int loop_run(loop *l, unsigned long seconds);
/* Make loop_run() return after the current callback. */
void loop_stop(loop *l);

#endif
