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

/* The exit statuses of every example: 0 done; 1 a run-time failure (a
 * libtun call or the system refused, e.g. no privilege); 2 a usage error
 * (an unknown option, a bad value, an unexpected argument), found before
 * any device is opened. */
#define EXAMPLE_EXIT_FAILURE 1
#define EXAMPLE_EXIT_USAGE 2

/* Print "what: TUN_EPERM (text)" and the reason from tun_last_error() to
 * stderr. Call it right after the failed libtun call. Returns 1
 * (EXAMPLE_EXIT_FAILURE), the exit status to use for a run-time failure. */
int example_fail(const char *what, int err);
/* As example_fail(), for a libtun call that refused a value given on the
 * command line (tun_config_set_mtu(), ...). Returns EXAMPLE_EXIT_USAGE. */
int example_fail_usage(const char *what, int err);

/* --help: "usage: PROG " and text (the synopsis, what the program does,
 * then one line per option) to stdout. Returns 0, the exit status. */
int example_help(const char *prog, const char *text);
/* A usage error getopt has already named (an unknown option, a missing
 * value): point at --help on stderr. Returns EXAMPLE_EXIT_USAGE. */
int example_usage_error(const char *prog);
/* After the options: 0 if no argument is left, else name the first one
 * (and point at --help) and return EXAMPLE_EXIT_USAGE. Call with optind. */
int example_no_operands(int argc, char **argv, int first);

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
/* Parse "02:00:00:00:00:01", a unicast address (a multicast one, whose
 * first byte is odd, or all zeros is refused, as a device or host cannot
 * have one). Returns 0 or -1 (with a message). */
int example_parse_mac(const char *text, uint8_t mac[6]);
/* Parse the value of --mtu: a number from TUN_MTU_MIN to TUN_MTU_MAX.
 * Returns 0 or -1 (with a message giving the range). */
int example_parse_mtu(const char *text, unsigned *mtu);
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
 * (the device did not open) or 2 (a usage error: the name or address). */
int example_open_tun(const char *name, const char *address,
                     tun_device **out);

/* Keep the device open until a signal (example_stop_on_signals()) or, if
 * seconds > 0, that many seconds: so that other tools can look at it.
 * Packets the kernel sends meanwhile (IPv6 router solicitations...) are
 * read and dropped. Returns the exit status: 0, or 1 if reading failed. */
int example_keep(tun_device *dev, unsigned long seconds);

/* Check an interface name or pattern as tun_config_set_name() does,
 * before anything is opened. Prints the error (naming option); returns 0
 * or -1. */
int example_check_name(const char *name, const char *option);

/* Write the names of the TUN_FLAG_* bits set in flags, e.g.
 * "L2 MULTI_QUEUE", or "none". */
void example_flag_names(unsigned flags, char *buf, size_t size);

#endif
