#include "example.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#if defined(_WIN32)
#include <windows.h>
#else
#include <time.h>
#endif

int example_fail(const char *what, int err)
{
    char reason[512];
    /* Copy it first: the text is only valid until the next libtun call. */
    snprintf(reason, sizeof(reason), "%s", tun_last_error());
    fprintf(stderr, "%s: %s (%s)\n", what, tun_err_name(err),
            tun_strerror(err));
    if (reason[0])
        fprintf(stderr, "  %s\n", reason);
    return EXAMPLE_EXIT_FAILURE;
}

int example_fail_usage(const char *what, int err)
{
    example_fail(what, err);
    return EXAMPLE_EXIT_USAGE;
}

int example_help(const char *prog, const char *text)
{
    printf("usage: %s %s", prog, text);
    return 0;
}

int example_usage_error(const char *prog)
{
    fprintf(stderr, "run '%s --help' for the options\n", prog);
    return EXAMPLE_EXIT_USAGE;
}

int example_no_operands(int argc, char **argv, int first)
{
    if (first >= argc)
        return 0;
    fprintf(stderr, "%s: unexpected argument '%s' (every value belongs to an "
            "option)\n", argv[0], argv[first]);
    return example_usage_error(argv[0]);
}

/* Written only before the handlers are installed; read by the handler. */
static tun_device *stop_device;
static volatile sig_atomic_t stop_signal;

#if defined(_WIN32)
/* Windows has no SIGTERM delivery to console programs: Ctrl-C, Ctrl-Break
 * and closing the console call this handler on a thread of their own. */
static BOOL WINAPI on_console_event(DWORD event)
{
    if (event != CTRL_C_EVENT && event != CTRL_BREAK_EVENT &&
        event != CTRL_CLOSE_EVENT)
        return FALSE;
    stop_signal = SIGINT;
    tun_interrupt(stop_device);
    return TRUE;
}

int example_stop_on_signals(tun_device *dev)
{
    stop_device = dev;
    if (!SetConsoleCtrlHandler(on_console_event, TRUE)) {
        fprintf(stderr, "SetConsoleCtrlHandler failed (error %lu)\n",
                (unsigned long)GetLastError());
        return -1;
    }
    return 0;
}

void example_stop_handling_signals(void)
{
    SetConsoleCtrlHandler(on_console_event, FALSE);
}
#else
static void on_stop_signal(int sig)
{
    int saved = errno; /* the interrupted code may be about to read errno */
    stop_signal = sig;
    tun_interrupt(stop_device); /* async-signal-safe */
    errno = saved;
}

int example_stop_on_signals(tun_device *dev)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    stop_device = dev;
    if (sigaction(SIGINT, &sa, NULL) != 0 ||
        sigaction(SIGTERM, &sa, NULL) != 0) {
        perror("sigaction");
        return -1;
    }
    return 0;
}

void example_stop_handling_signals(void)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigprocmask(SIG_BLOCK, &set, NULL);
}
#endif

int example_stop_signal(void)
{
    return stop_signal;
}

/* Milliseconds of a monotonic clock. */
static long long now_ms(void)
{
#if defined(_WIN32)
    return (long long)GetTickCount64();
#else
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (long long)now.tv_sec * 1000 + now.tv_nsec / 1000000;
#endif
}

void example_deadline_start(example_deadline *d, unsigned long seconds)
{
    d->set = seconds > 0;
    d->end_ms = now_ms() + (long long)seconds * 1000;
}

int example_deadline_ms(const example_deadline *d)
{
    if (!d->set)
        return -1;
    long long ms = d->end_ms - now_ms();
    if (ms <= 0)
        return 0;
    return ms > INT_MAX ? INT_MAX : (int)ms;
}

int example_parse_number(const char *text, const char *option,
                         unsigned long min, unsigned long max,
                         unsigned long *out)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(text, &end, 10);
    if (errno || end == text || *end || text[0] == '-' || v < min || v > max) {
        fprintf(stderr, "%s: '%s' is not a number from %lu to %lu\n", option,
                text, min, max);
        return -1;
    }
    *out = v;
    return 0;
}

int example_parse_count(const char *text, unsigned long *count)
{
    return example_parse_number(text, "--count", 1, 1000000000, count);
}

int example_parse_timeout(const char *text, unsigned long *seconds)
{
    return example_parse_number(text, "--timeout", 1, 86400 * 365, seconds);
}

int example_parse_address(const char *text, tun_address *out)
{
    char addr[TUN_ADDRSTRLEN];
    const char *mark = strstr(text, " peer ");
    size_t len = mark ? (size_t)(mark - text) : strlen(text);
    if (len >= sizeof(addr)) {
        fprintf(stderr, "address '%s' is too long\n", text);
        return -1;
    }
    memcpy(addr, text, len);
    addr[len] = '\0';

    unsigned long prefix = strchr(addr, ':') ? 128 : 32;
    char *slash = strchr(addr, '/');
    if (slash) {
        *slash = '\0';
        if (example_parse_number(slash + 1, "prefix", 0, 128, &prefix) != 0)
            return -1;
    }
    int rc = tun_address_parse(out, addr, (unsigned)prefix,
                               mark ? mark + strlen(" peer ") : NULL);
    if (rc < 0) {
        char what[TUN_ADDRSTRLEN + 16];
        snprintf(what, sizeof(what), "address '%s'", text);
        example_fail(what, rc);
        return -1;
    }
    return 0;
}

int example_parse_address_family(const char *text, unsigned family,
                                 tun_address *out)
{
    if (example_parse_address(text, out) != 0)
        return -1;
    if (out->family != family) {
        fprintf(stderr, "'%s' is not an IPv%u address\n", text, family);
        return -1;
    }
    return 0;
}

int example_add_address(tun_config *cfg, const char *text, unsigned family)
{
    tun_address a;
    if (example_parse_address_family(text, family, &a) != 0)
        return -1;
    int rc = tun_config_add_address(cfg, &a);
    if (rc < 0) {
        example_fail("tun_config_add_address", rc);
        return -1;
    }
    return 0;
}

int example_parse_mac(const char *text, uint8_t mac[6])
{
    unsigned b[6];
    char extra;
    if (sscanf(text, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3],
               &b[4], &b[5], &extra) != 6) {
        fprintf(stderr, "MAC address '%s' is not like 02:00:00:00:00:01\n",
                text);
        return -1;
    }
    if (b[0] & 1) {
        fprintf(stderr, "MAC address '%s' is multicast (the first byte is "
                "odd); a device or host needs a unicast one such as "
                "02:00:00:00:00:01\n", text);
        return -1;
    }
    if ((b[0] | b[1] | b[2] | b[3] | b[4] | b[5]) == 0) {
        fprintf(stderr, "MAC address '%s' is all zeros\n", text);
        return -1;
    }
    for (int i = 0; i < 6; i++)
        mac[i] = (uint8_t)b[i];
    return 0;
}

int example_parse_mtu(const char *text, unsigned *mtu)
{
    unsigned long v;
    if (example_parse_number(text, "--mtu", TUN_MTU_MIN, TUN_MTU_MAX, &v) != 0)
        return -1;
    *mtu = (unsigned)v;
    return 0;
}

int example_keep(tun_device *dev, unsigned long seconds)
{
    static uint8_t buf[TUN_MTU_MAX + 18];
    example_deadline deadline;
    example_deadline_start(&deadline, seconds);
    printf("keeping the device; Ctrl-C closes it\n");
    for (;;) {
        int n = tun_read_timeout(dev, buf, sizeof(buf),
                                 example_deadline_ms(&deadline));
        if (n == TUN_ETIMEDOUT || n == TUN_ECANCELED)
            return 0;
        if (n < 0 && n != TUN_EMSGSIZE)
            return example_fail("tun_read_timeout", n);
    }
}

int example_check_name(const char *name, const char *option)
{
    tun_config *cfg = NULL;
    int rc = tun_config_new(&cfg);
    if (rc == 0)
        rc = tun_config_set_name(cfg, name);
    tun_config_free(cfg);
    if (rc < 0) {
        example_fail(option, rc);
        return -1;
    }
    return 0;
}

void example_flag_names(unsigned flags, char *buf, size_t size)
{
    static const struct {
        unsigned bit;
        const char *name;
    } names[] = {
        {TUN_FLAG_L2, "L2"},
        {TUN_FLAG_MULTI_QUEUE, "MULTI_QUEUE"},
        {TUN_FLAG_PACKET_INFO, "PACKET_INFO"},
        {TUN_FLAG_OFFLOAD, "OFFLOAD"},
        {TUN_FLAG_TCP_GSO, "TCP_GSO"},
        {TUN_FLAG_UDP_GSO, "UDP_GSO"},
        {TUN_FLAG_PERSIST, "PERSIST"},
        {TUN_FLAG_NONBLOCK, "NONBLOCK"},
        {TUN_FLAG_BORROWED, "BORROWED"},
    };
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (!(flags & names[i].bit))
            continue;
        int n = snprintf(buf + used, size - used, "%s%s", used ? " " : "",
                         names[i].name);
        if (n < 0 || (size_t)n >= size - used)
            return;
        used += (size_t)n;
    }
    if (!used)
        snprintf(buf, size, "none");
}

int example_open_tun(const char *name, const char *address,
                     tun_device **out)
{
    tun_address a;
    if (example_parse_address(address, &a) != 0)
        return 2;
    tun_config *cfg;
    int rc = tun_config_new(&cfg);
    if (rc < 0)
        return example_fail("tun_config_new", rc);
    if (name && (rc = tun_config_set_name(cfg, name)) < 0) {
        tun_config_free(cfg);
        return example_fail_usage("--name", rc);
    }
    if ((rc = tun_config_add_address(cfg, &a)) < 0 ||
        (rc = tun_open(cfg, out)) < 0) {
        tun_config_free(cfg);
        return example_fail("opening the device", rc);
    }
    tun_config_free(cfg);
    return 0;
}
