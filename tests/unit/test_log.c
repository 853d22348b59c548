/* The diagnostic log hook: off by default, levels, turning it off, what a
 * handler may do, errno kept, a failing tun_open() reported, and (Unix)
 * handlers serialised and replaced safely while threads log. */
#include "testutil.h"

#include "internal.h"

#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#if !defined(_WIN32)
#include <pthread.h>
#include <sched.h>
#endif

struct received {
    int count;
    tun_log_level levels[8];
    char texts[8][512];
};

static void collect(tun_log_level level, const char *message, void *user)
{
    struct received *r = user;
    if (r->count < 8) {
        r->levels[r->count] = level;
        snprintf(r->texts[r->count], sizeof(r->texts[0]), "%s", message);
    }
    r->count++;
}

static int turn_off(void **state)
{
    (void)state;
    tun_set_log_handler(NULL, TUN_LOG_DEBUG, NULL);
    return 0;
}

static void off_by_default(void **state)
{
    (void)state;
    /* Nothing set: nothing happens, errno untouched. */
    errno = EDOM;
    tun_log(TUN_LOG_ERROR, "nobody listens");
    assert_int_equal(errno, EDOM);
}

static void levels_filter(void **state)
{
    (void)state;
    struct received r = {0};
    tun_set_log_handler(collect, TUN_LOG_WARNING, &r);
    tun_log(TUN_LOG_ERROR, "e %d", 1);
    tun_log(TUN_LOG_WARNING, "w %s", "two");
    tun_log(TUN_LOG_INFO, "i");
    tun_log(TUN_LOG_DEBUG, "d");
    assert_int_equal(r.count, 2);
    assert_int_equal(r.levels[0], TUN_LOG_ERROR);
    assert_string_equal(r.texts[0], "e 1");
    assert_int_equal(r.levels[1], TUN_LOG_WARNING);
    assert_string_equal(r.texts[1], "w two");

    /* Beyond TUN_LOG_DEBUG counts as TUN_LOG_DEBUG. */
    r.count = 0;
    tun_set_log_handler(collect, (tun_log_level)42, &r);
    tun_log(TUN_LOG_DEBUG, "d");
    assert_int_equal(r.count, 1);

    /* A NULL handler turns the log off, whatever the level. */
    r.count = 0;
    tun_set_log_handler(NULL, TUN_LOG_DEBUG, &r);
    tun_log(TUN_LOG_ERROR, "e");
    assert_int_equal(r.count, 0);
}

static void long_message_truncated(void **state)
{
    (void)state;
    struct received r = {0};
    char big[2000];
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    tun_set_log_handler(collect, TUN_LOG_DEBUG, &r);
    tun_log(TUN_LOG_INFO, "%s", big);
    assert_int_equal(r.count, 1);
    assert_int_equal(strlen(r.texts[0]), 511);
}

/* A handler that disturbs errno, logs itself and replaces itself. */
static struct received replaced;

static void unruly(tun_log_level level, const char *message, void *user)
{
    (void)level;
    (void)message;
    int *calls = user;
    ++*calls;
    errno = EIO;
    tun_log(TUN_LOG_ERROR, "from inside the handler: dropped");
    tun_set_log_handler(collect, TUN_LOG_DEBUG, &replaced);
}

static void what_a_handler_may_do(void **state)
{
    (void)state;
    int calls = 0;
    memset(&replaced, 0, sizeof(replaced));
    tun_set_log_handler(unruly, TUN_LOG_DEBUG, &calls);
    errno = EDOM;
    tun_log(TUN_LOG_INFO, "first");
    assert_int_equal(errno, EDOM); /* kept across the handler */
    assert_int_equal(calls, 1);    /* its own message did not recurse */
    assert_int_equal(replaced.count, 0);
    tun_log(TUN_LOG_INFO, "second");
    assert_int_equal(calls, 1);
    assert_int_equal(replaced.count, 1);
    assert_string_equal(replaced.texts[0], "second");
}

static void failing_open_is_reported(void **state)
{
    (void)state;
    struct received r = {0};
    tun_device *dev = NULL;
    tun_set_log_handler(collect, TUN_LOG_ERROR, &r);
    assert_int_equal(tun_open(NULL, &dev), TUN_EINVAL);
    assert_int_equal(r.count, 1);
    assert_int_equal(r.levels[0], TUN_LOG_ERROR);
    assert_string_equal(r.texts[0], "tun_open: TUN_EINVAL: tun_open: NULL "
                                    "pointer");
    /* The reason stays the caller's. */
    assert_string_equal(tun_last_error(), "tun_open: NULL pointer");

    tun_config *cfg;
    assert_int_equal(tun_config_new(&cfg), 0);
    assert_int_equal(tun_config_add_ipv6(cfg, "fd00::1", 64), 0);
    assert_int_equal(tun_config_set_mtu(cfg, 1000), 0);
    r.count = 0;
    assert_int_equal(tun_open(cfg, &dev), TUN_ERANGE);
    assert_int_equal(r.count, 1);
    assert_non_null(strstr(r.texts[0], "tun_open: TUN_ERANGE: "));
    assert_null(dev);
    tun_config_free(cfg);
}

#if !defined(_WIN32)
/* Threads log while the main thread replaces the handler: each handler's
 * data is retired (as if freed) right after it was replaced, and no call
 * may reach it then; calls never overlap. */
struct owner {
    atomic_bool retired;
    atomic_long calls;
};

static atomic_int running, started;
static atomic_bool overlap, late_call, stop;

static void checking(tun_log_level level, const char *message, void *user)
{
    (void)level;
    (void)message;
    struct owner *o = user;
    if (atomic_fetch_add(&running, 1) != 0)
        atomic_store(&overlap, true);
    if (atomic_load(&o->retired))
        atomic_store(&late_call, true);
    atomic_fetch_add(&o->calls, 1);
    atomic_fetch_sub(&running, 1);
}

static void *logger(void *arg)
{
    (void)arg;
    atomic_fetch_add(&started, 1);
    while (!atomic_load(&stop))
        tun_log(TUN_LOG_DEBUG, "busy %d", 1);
    return NULL;
}

static void threads_and_replacement(void **state)
{
    (void)state;
    enum { LOGGERS = 3, ROUNDS = 600 };
    static struct owner owners[ROUNDS];
    pthread_t threads[LOGGERS];
    for (int i = 0; i < LOGGERS; i++)
        assert_int_equal(pthread_create(&threads[i], NULL, logger, NULL), 0);
    while (atomic_load(&started) < LOGGERS)
        sched_yield();
    long total = 0;
    for (int i = 0; i < ROUNDS; i++) {
        bool active = i % 3 != 2;
        tun_set_log_handler(active ? checking : NULL, TUN_LOG_DEBUG,
                            &owners[i]);
        /* Until a logger reached this handler (a busy machine may not run
         * them for a while), at most about 1000 yields. */
        for (int wait = 0; active && wait < 1000 &&
                           atomic_load(&owners[i].calls) == 0; wait++)
            sched_yield();
        if (i > 0)
            atomic_store(&owners[i - 1].retired, true);
    }
    tun_set_log_handler(NULL, TUN_LOG_DEBUG, NULL);
    atomic_store(&owners[ROUNDS - 1].retired, true);
    atomic_store(&stop, true);
    for (int i = 0; i < LOGGERS; i++)
        pthread_join(threads[i], NULL);
    for (int i = 0; i < ROUNDS; i++)
        total += atomic_load(&owners[i].calls);
    assert_false(atomic_load(&overlap));
    assert_false(atomic_load(&late_call));
    assert_true(total > 0);
}
#endif

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(off_by_default),
        cmocka_unit_test_teardown(levels_filter, turn_off),
        cmocka_unit_test_teardown(long_message_truncated, turn_off),
        cmocka_unit_test_teardown(what_a_handler_may_do, turn_off),
        cmocka_unit_test_teardown(failing_open_is_reported, turn_off),
#if !defined(_WIN32)
        cmocka_unit_test_teardown(threads_and_replacement, turn_off),
#endif
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
