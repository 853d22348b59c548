/*
 * Small helpers the example programs share: error reporting, stopping on
 * Ctrl-C, an optional time limit, and parsing of addresses, MAC addresses
 * and numbers from the command line.
 */
#ifndef EXAMPLE_H
#define EXAMPLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tun.h"

/* Print "what: TUN_EPERM (text)" and the reason from tun_last_error() to
 * stderr. Call it right after the failed libtun call. Returns 1, the exit
 * status to use. */
int example_fail(const char *what, int err);

/* On SIGINT or SIGTERM (Windows: Ctrl-C, Ctrl-Break or closing the
 * console), call tun_interrupt(dev) so that a blocked read
 * returns TUN_ECANCELED and the program can close the device and exit.
 * Installed without SA_RESTART, so other blocking calls (reading stdin)
 * end with EINTR too. Returns 0, or -1 (with a message) if the handlers
 * cannot be installed. */
int example_stop_on_signals(tun_device *dev);
/* Block those signals again; call it before tun_close(), so that a late
 * signal cannot call tun_interrupt() on a closed device. */
void example_stop_handling_signals(void);
/* The signal that asked the program to stop, or 0. */
int example_stop_signal(void);

/* An optional end time for a loop, so that tests stop by themselves. */
typedef struct example_deadline {
    bool set;
    long long end_ms; /* on a monotonic clock */
} example_deadline;

/* Start a deadline seconds from now; 0 means none. */
void example_deadline_start(example_deadline *d, unsigned long seconds);
/* Milliseconds left (0 once passed), or -1 without a deadline: the value
 * to give tun_read_timeout(). */
int example_deadline_ms(const example_deadline *d);

/* Parse "10.0.0.1/24", "fd00::1/64" or "10.0.0.1/32 peer 10.0.0.2" (no
 * prefix means a single host: /32 or /128). Prints the error; returns 0 or
 * -1. */
int example_parse_address(const char *text, tun_address *out);
/* Parse an address as example_parse_address() does and check that it is
 * of family (4 or 6). Prints the error; returns 0 or -1. */
int example_parse_address_family(const char *text, unsigned family,
                                 tun_address *out);
/* Parse an address of family (4 or 6) and add it to cfg. Prints the error;
 * returns 0 or -1. */
int example_add_address(tun_config *cfg, const char *text, unsigned family);
/* Parse "02:00:00:00:00:01". Returns 0 or -1 (with a message). */
int example_parse_mac(const char *text, uint8_t mac[6]);
/* Parse a decimal number in [min, max]. Returns 0 or -1 (with a message
 * naming option). */
int example_parse_number(const char *text, const char *option,
                         unsigned long min, unsigned long max,
                         unsigned long *out);
/* The options of the examples that run until stopped: -c/--count (stop
 * after that many packets, 1 to 10^9) and -t/--timeout (stop after that
 * many seconds, up to a year). Return 0 or -1 (with a message). */
int example_parse_count(const char *text, unsigned long *count);
int example_parse_timeout(const char *text, unsigned long *seconds);

/* Open a TUN device named name (NULL: the system's choice) with the one
 * address given as text (as example_parse_address() takes it), brought
 * up: the setup of the examples that are about I/O rather than
 * configuration. Prints the error; returns the exit status to use: 0, 1
 * (the device did not open) or 2 (a usage error: the address). */
int example_open_tun(const char *name, const char *address,
                     tun_device **out);

/* Write the names of the TUN_FLAG_* bits set in flags, e.g.
 * "L2 MULTI_QUEUE", or "none". */
void example_flag_names(unsigned flags, char *buf, size_t size);

#endif
