/* The diagnostic log hook: one handler for the process. Each message is
 * handed over under a lock, so that messages never interleave and a
 * replaced handler is no longer running once tun_set_log_handler()
 * returns. */
#include "internal.h"

#include <stdatomic.h>
#include <stdio.h>

#if defined(_WIN32)
#include <windows.h>
static SRWLOCK tun_log_lock = SRWLOCK_INIT;
#define tun_log_acquire() AcquireSRWLockExclusive(&tun_log_lock)
#define tun_log_release() ReleaseSRWLockExclusive(&tun_log_lock)
#else
#include <pthread.h>
static pthread_mutex_t tun_log_lock = PTHREAD_MUTEX_INITIALIZER;
#define tun_log_acquire() pthread_mutex_lock(&tun_log_lock)
#define tun_log_release() pthread_mutex_unlock(&tun_log_lock)
#endif

/* Both changed under the lock only. */
static tun_log_fn tun_log_handler;
static void *tun_log_user;
/* The most verbose level the handler takes, -1 while there is none: read
 * without the lock, so that a message nobody wants costs one load. */
static atomic_int tun_log_max = -1;
/* Set while this thread runs the handler (and so holds the lock): what its
 * own libtun calls would log is dropped, and it may replace the handler. */
static _Thread_local bool tun_log_in_handler;

void tun_set_log_handler(tun_log_fn fn, tun_log_level max_level, void *user)
{
    int max = (int)max_level;
    if (max < TUN_LOG_ERROR)
        max = TUN_LOG_ERROR;
    if (max > TUN_LOG_DEBUG)
        max = TUN_LOG_DEBUG;
    bool lock = !tun_log_in_handler;
    if (lock)
        tun_log_acquire();
    tun_log_handler = fn;
    tun_log_user = user;
    atomic_store_explicit(&tun_log_max, fn ? max : -1, memory_order_relaxed);
    if (lock)
        tun_log_release();
}

void tun_log(tun_log_level level, const char *fmt, ...)
{
    if ((int)level > atomic_load_explicit(&tun_log_max, memory_order_relaxed) ||
        tun_log_in_handler)
        return;
    /* Messages come from failure paths too, whose callers read errno (or
     * GetLastError()) afterwards. */
    int saved_errno = errno;
#if defined(_WIN32)
    DWORD saved_error = GetLastError();
#endif
    char text[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    if (n >= 0) {
        tun_log_acquire();
        /* Looked at again: the handler may have changed meanwhile. */
        if (tun_log_handler && (int)level <= atomic_load_explicit(
                                   &tun_log_max, memory_order_relaxed)) {
            tun_log_in_handler = true;
            tun_log_handler(level, text, tun_log_user);
            tun_log_in_handler = false;
        }
        tun_log_release();
    }
#if defined(_WIN32)
    SetLastError(saved_error);
#endif
    errno = saved_errno;
}
