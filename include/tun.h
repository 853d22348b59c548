/*
 * libtun: TUN (layer 3) and TAP (layer 2) virtual network interfaces.
 *
 * One header, read top to bottom: versions, errors, the diagnostic log,
 * addresses, the device configuration (builder), opening a device, packet
 * I/O, shutdown, run-time queries and changes, the control plane
 * (statistics, carrier, routes, events), Linux kernel hooks (namespace,
 * send buffer, eBPF), multi-queue, and the offload (batched) I/O.
 *
 * Conventions that hold for every function unless its comment says otherwise:
 * - A function returns 0 (or a length or count) on success and a negative
 *   error code on failure: one of the TUN_E* values below, which equal
 *   -errno on Unix. tun_strerror() gives the generic text; tun_last_error()
 *   gives the reason of the latest failure in the calling thread, naming the
 *   step that failed and the likely fix.
 * - Pointer arguments must not be NULL unless the comment says "may be NULL";
 *   a NULL where one is not allowed gives TUN_EINVAL, never a crash.
 * - What a platform cannot do gives TUN_ENOTSUP: from the setter when the
 *   option is never possible there, else from tun_config_validate() and
 *   tun_open(), or from the call itself. docs/design.md lists it per OS.
 * - The library never keeps a pointer the caller passed in after the call
 *   returns: strings and arrays are copied.
 * - Nothing is allocated on the packet I/O path.
 * - Signals never make a call fail or return early: an interrupted system
 *   call (EINTR) is retried, with what is left of any timeout. To stop a
 *   blocking call, use tun_interrupt().
 */
#ifndef TUN_H
#define TUN_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(_WIN32) && defined(TUN_SHARED_BUILD)
#define TUN_EXTERN __declspec(dllexport)
#elif defined(_WIN32) && defined(TUN_SHARED)
#define TUN_EXTERN __declspec(dllimport)
#elif defined(__GNUC__) && defined(TUN_SHARED_BUILD)
#define TUN_EXTERN __attribute__((visibility("default")))
#else
#define TUN_EXTERN
#endif

/* ------------------------------------------------------------------------
 * Version
 * ------------------------------------------------------------------------ */

#define TUN_VERSION_MAJOR 0
#define TUN_VERSION_MINOR 1
#define TUN_VERSION_PATCH 0
#define TUN_VERSION_STRING "0.1.0"
/* One number that grows with every release: 0xMMmmpp. */
#define TUN_VERSION_HEX                                                        \
    ((TUN_VERSION_MAJOR << 16) | (TUN_VERSION_MINOR << 8) | TUN_VERSION_PATCH)

/* The version of the library actually linked, as TUN_VERSION_HEX.
 * Thread-safe. */
TUN_EXTERN unsigned tun_version(void);
/* The same as a string such as "0.1.0"; static storage. Thread-safe. */
TUN_EXTERN const char *tun_version_string(void);

/* ------------------------------------------------------------------------
 * Errors
 *
 * Negative numbers; on Unix each is -errno, so a code can be compared with
 * errno values directly (the numbers differ between systems: compare with
 * the names). On Windows the backend maps its own codes onto the same
 * names. A kernel's EOPNOTSUPP is reported as TUN_ENOTSUP.
 * ------------------------------------------------------------------------ */

#define TUN_EPERM (-EPERM)               /* no privilege (CAP_NET_ADMIN,
                                            Windows: Administrator) */
#define TUN_ENOENT (-ENOENT)             /* no such file/device/driver */
#define TUN_EINTR (-EINTR)               /* a signal arrived */
#define TUN_EIO (-EIO)                   /* I/O error from the OS */
#define TUN_EBADF (-EBADF)               /* descriptor closed or not usable */
#define TUN_EAGAIN (-EAGAIN)             /* would block (non-blocking mode) */
#define TUN_ENOMEM (-ENOMEM)             /* out of memory */
#define TUN_EACCES (-EACCES)             /* access denied */
#define TUN_EBUSY (-EBUSY)               /* device or name in use */
#define TUN_EEXIST (-EEXIST)             /* already exists (name, address) */
#define TUN_ENODEV (-ENODEV)             /* the device is gone */
#define TUN_EINVAL (-EINVAL)             /* invalid argument */
#define TUN_ENOTTY (-ENOTTY)             /* the fd is not a TUN/TAP device */
#define TUN_ENOSPC (-ENOSPC)             /* no space (queue, unit) */
#define TUN_ERANGE (-ERANGE)             /* value out of range (MTU) */
#define TUN_ENAMETOOLONG (-ENAMETOOLONG) /* interface name too long */
#define TUN_ENOTSUP (-ENOTSUP)           /* not supported on this platform */
#define TUN_EMSGSIZE (-EMSGSIZE)         /* packet larger than the buffer */
#define TUN_ENOBUFS (-ENOBUFS)           /* caller's array too small */
#define TUN_EADDRNOTAVAIL (-EADDRNOTAVAIL) /* address not on the device */
#define TUN_ETIMEDOUT (-ETIMEDOUT)       /* a timeout expired */
#define TUN_ECANCELED (-ECANCELED)       /* tun_interrupt() was called */
#define TUN_EMFILE (-EMFILE)             /* too many open descriptors */
#define TUN_ENETUNREACH (-ENETUNREACH) /* a route's gateway is not
                                            reachable through the device */
#define TUN_ENETDOWN (-ENETDOWN)         /* the interface is down */

/* A short generic text for an error code, e.g. "device is gone". Static
 * storage; unknown codes give "unknown error". Thread-safe. */
TUN_EXTERN const char *tun_strerror(int err);
/* The code's name, e.g. "TUN_ENODEV"; static storage. Thread-safe. */
TUN_EXTERN const char *tun_err_name(int err);
/* The reason of the latest failure of a libtun call in the calling thread,
 * naming the step and the likely fix, e.g. "TUNSETIFF on /dev/net/tun:
 * Operation not permitted: needs CAP_NET_ADMIN (run as root or setcap
 * cap_net_admin+ep)". Kernel netlink error messages are included. Only
 * meaningful right after a call failed; "" if nothing has failed yet in this
 * thread. The string is owned by the library, valid until the next libtun
 * call in the same thread. Thread-safe (per-thread storage). */
TUN_EXTERN const char *tun_last_error(void);

/* ------------------------------------------------------------------------
 * Diagnostic log
 *
 * The library says what it does, for a person debugging a VPN: the steps of
 * tun_open() (and on Windows the driver and adapter steps), retried netlink
 * requests, clean-up that failed. Off by default; never called on the
 * packet I/O path (tun_read(), tun_write(), the batched calls).
 * ------------------------------------------------------------------------ */

/* How much a message matters; each level includes those above it. */
typedef enum tun_log_level {
    TUN_LOG_ERROR,   /* a call failed: what and why (as tun_last_error()) */
    TUN_LOG_WARNING, /* something went wrong and was worked around or
                        retried */
    TUN_LOG_INFO,    /* a device was created, or an existing one opened */
    TUN_LOG_DEBUG    /* each step of opening and configuring a device */
} tun_log_level;

/* A log handler: message is one line of text without a newline, valid only
 * during the call; user is what tun_set_log_handler() was given. */
typedef void (*tun_log_fn)(tun_log_level level, const char *message,
                           void *user);

/* Send the library's messages of level max_level and above (TUN_LOG_ERROR
 * is the least verbose, TUN_LOG_DEBUG the most) to fn, for the whole
 * process; a NULL fn turns the log off (the default). A max_level beyond
 * TUN_LOG_DEBUG counts as TUN_LOG_DEBUG.
 * fn runs in the thread whose libtun call logs (wintun's own messages: in
 * the thread wintun logs from, which may be one of its thread-pool threads
 * after the call returned), one call at a time (the
 * library serialises them, so fn needs no lock of its own); once
 * tun_set_log_handler() returns, the previous handler is not running and
 * will not be called again, so its user data may be freed. fn may call
 * tun_set_log_handler() itself (the change applies to the next message);
 * whatever the libtun calls it makes would log is dropped, and one of them
 * that fails replaces tun_last_error() of the call being logged, so fn
 * should keep to tun_strerror(), tun_err_name() and tun_set_log_handler().
 * The library keeps errno (and GetLastError() on Windows) across fn.
 * Thread-safe; not async-signal-safe. */
TUN_EXTERN void tun_set_log_handler(tun_log_fn fn, tun_log_level max_level,
                                    void *user);

/* ------------------------------------------------------------------------
 * Addresses
 * ------------------------------------------------------------------------ */

#define TUN_INET4 4
#define TUN_INET6 6
/* Buffer size that tun_address_format() never exceeds, NUL included. */
#define TUN_ADDRSTRLEN 104

/* An interface address: plain data, copy it freely. The family is TUN_INET4
 * or TUN_INET6 (not AF_*, which differ between systems). Bytes are in
 * network order; an IPv4 address uses the first 4 bytes. */
typedef struct tun_address {
    uint8_t family;   /* TUN_INET4 or TUN_INET6 */
    uint8_t prefix;   /* 0..32 or 0..128 */
    uint8_t has_peer; /* 1 if peer is set (point-to-point destination) */
    uint8_t addr[16];
    uint8_t peer[16];
} tun_address;

/* Fill *out from text: addr is "10.0.0.1" or "fd00::1" (the family is taken
 * from the text), prefix is 0..32 or 0..128, peer (may be NULL) is the
 * remote end of a point-to-point link, of the same family. Errors:
 * TUN_EINVAL for unparsable text, a family mismatch or a prefix out of range.
 * Thread-safe. */
TUN_EXTERN int tun_address_parse(tun_address *out, const char *addr,
                                 unsigned prefix, const char *peer);
/* Write "10.0.0.1/24", "10.0.0.1/32 peer 10.0.0.2" or "fd00::1/64" into buf.
 * Returns the length written (without the NUL) or TUN_ENOBUFS when size is
 * too small (TUN_ADDRSTRLEN is always enough), TUN_EINVAL for a bad family.
 * Thread-safe. */
TUN_EXTERN int tun_address_format(const tun_address *a, char *buf,
                                  size_t size);

/* ------------------------------------------------------------------------
 * Configuration (builder)
 *
 * A tun_config collects what tun_open() will create. Each setter checks its
 * own argument at once (a bad name fails in tun_config_set_name, not later);
 * checks across fields (a MAC on a TUN device, an MTU below 1280 with an
 * IPv6 address) are made by tun_config_validate() and by tun_open().
 * A config is not thread-safe: use one from one thread at a time. It may be
 * reused for several tun_open() calls and freed right after them.
 *
 * A failed setter is not forgotten: besides returning its code at once, it
 * leaves the config unchanged and the config keeps that failure (code and
 * reason, naming the setter), so that tun_config_validate() and tun_open()
 * return it, with tun_last_error() saying which setter failed and why, and
 * nothing is created. A program that checks only tun_open() therefore never
 * gets a device other than the one it asked for. Only the first failure is
 * kept; later setters, failing or not, do not replace or clear it (a later
 * successful setter may well have fixed the field, but the config cannot
 * tell). A program that handled the failure itself (tried an option,
 * went on without it) says so with tun_config_clear_error(). The Windows
 * options' TUN_ENOTSUP on other platforms is the one exception: it is not
 * kept (see "Windows options"). A NULL config is never kept (there is no
 * config to keep it in).
 * ------------------------------------------------------------------------ */

typedef struct tun_config tun_config;

typedef enum tun_layer {
    TUN_LAYER_L3 = 3, /* TUN: IP packets */
    TUN_LAYER_L2 = 2  /* TAP: Ethernet frames */
} tun_layer;

#define TUN_MTU_MIN 68      /* IPv4 minimum (RFC 791) */
#define TUN_MTU_MIN_IPV6 1280 /* IPv6 minimum (RFC 8200) */
#define TUN_MTU_MAX 65535

/* Allocate a config with the defaults: layer L3, kernel-chosen name
 * ("tun%d" or "tap%d"), no address, system MTU (1500), brought up on open
 * (TUN_LINK_UP), no packet information header, single queue, blocking I/O,
 * no offload, not persistent, not exclusive (an existing persistent
 * interface of the name is attached to), no failure kept. *out is owned by the caller: free it with tun_config_free().
 * Errors: TUN_ENOMEM. */
TUN_EXTERN int tun_config_new(tun_config **out);
/* Free a config; NULL is ignored. */
TUN_EXTERN void tun_config_free(tun_config *cfg);
/* Forget the failure the config keeps (see above), for a program that
 * handled it; the fields stay as they are (a failed setter changed none).
 * Errors: TUN_EINVAL (NULL config). */
TUN_EXTERN int tun_config_clear_error(tun_config *cfg);

/* Interface name, or a pattern with one "%d" that the system fills with the
 * first free number ("tun%d"). Platforms limit the form: Linux and FreeBSD
 * take any name; macOS only "utunN"/"utun%d" (L2: "fethN"/"feth%d");
 * OpenBSD and NetBSD only "tunN"/"tapN"; Windows takes spaces and any
 * UTF-8 (the adapter alias; for L2 the name of an existing tap-windows6
 * adapter, while a pattern takes the first free one). Errors:
 * TUN_ENAMETOOLONG (15 bytes on Linux, macOS and the BSDs; 127 UTF-16 units
 * on Windows), TUN_EINVAL (empty, "." or "..", contains '/', ':', a control
 * character or (not on Windows) whitespace, more than one '%', or a form
 * the platform does not take). */
TUN_EXTERN int tun_config_set_name(tun_config *cfg, const char *name);
/* TUN_LAYER_L3 (TUN) or TUN_LAYER_L2 (TAP). Errors: TUN_EINVAL. */
TUN_EXTERN int tun_config_set_layer(tun_config *cfg, tun_layer layer);
/* Add an address to assign on open; any number, IPv4 and IPv6 mixed, in the
 * given order. The kernel adds the subnet route of each address with a
 * prefix (the "automatic route"); with a peer it adds the route to the peer
 * instead. Errors: TUN_EINVAL (bad family or prefix), TUN_EEXIST (the same
 * address twice), TUN_ENOMEM. */
TUN_EXTERN int tun_config_add_address(tun_config *cfg, const tun_address *a);
/* tun_address_parse() then tun_config_add_address(). peer may be NULL. */
TUN_EXTERN int tun_config_add_ipv4(tun_config *cfg, const char *addr,
                                   unsigned prefix, const char *peer);
/* tun_address_parse() then tun_config_add_address(), without a peer. */
TUN_EXTERN int tun_config_add_ipv6(tun_config *cfg, const char *addr,
                                   unsigned prefix);
/* MTU in bytes of the IP packet (not counting any Ethernet header).
 * Errors: TUN_ERANGE outside TUN_MTU_MIN..TUN_MTU_MAX; platforms with a
 * narrower range (NetBSD tun 576..1500, NetBSD tap up to 9000, OpenBSD
 * up to 16384, FreeBSD tap up to 65517, macOS from 72) refuse the rest
 * with TUN_ERANGE in tun_open(). */
TUN_EXTERN int tun_config_set_mtu(tun_config *cfg, unsigned mtu);
/* Ethernet address of a TAP device. Errors: TUN_EINVAL for a multicast or
 * all-zero address; TUN_ENOTSUP on Windows (tap-windows6 reads it from the
 * registry when the adapter starts). Setting it on an L3 config is refused
 * by tun_config_validate() and tun_open(). */
TUN_EXTERN int tun_config_set_mac(tun_config *cfg, const uint8_t mac[6]);
/* What tun_open() does to the interface's administrative state, last of
 * its configuration steps, the same on every platform. The values 0 and 1
 * are those of false and true, so in C a bool still means down or up. */
typedef enum tun_link_state {
    TUN_LINK_DOWN = 0,   /* bring it down (an existing interface that was up
                            too) */
    TUN_LINK_UP = 1,     /* bring it up (the default) */
    TUN_LINK_INHERIT = 2 /* leave it as the system has it after the other
                            steps: a new Linux interface is down and an
                            existing one keeps its state; on macOS and the
                            BSDs adding an address brings it up (OpenBSD's
                            open does too); a wintun adapter is up while
                            open; a tap-windows6 adapter keeps its media
                            status, disconnected since a handle last closed
                            unless its "Media Status" property is "Always
                            Connected" (tun-rs calls this inheriting the
                            enable state) */
} tun_link_state;
/* Choose the state tun_open() leaves the interface in (default
 * TUN_LINK_UP). Windows: a wintun (L3) adapter is up while its handle is
 * open, so TUN_LINK_DOWN gives TUN_ENOTSUP from tun_config_validate(); on
 * tap-windows6 it is the media status. Errors: TUN_EINVAL (another
 * value). */
TUN_EXTERN int tun_config_set_up(tun_config *cfg, tun_link_state state);
/* Keep the platform's packet information header in front of every packet
 * (Linux: struct tun_pi, 4 bytes; macOS/BSD: the 4-byte address family).
 * Default false: packets are plain IP (L3) or Ethernet (L2) everywhere.
 * Windows has no such header: true gives TUN_ENOTSUP there. */
TUN_EXTERN int tun_config_set_packet_info(tun_config *cfg, bool on);
/* Allow several queues (tun_clone_queue()), one per thread. Linux only:
 * TUN_ENOTSUP elsewhere. */
TUN_EXTERN int tun_config_set_multi_queue(tun_config *cfg, bool on);
/* Length of the transmit queue in packets (0: the system default). Linux
 * only: TUN_ENOTSUP elsewhere for a value other than 0. */
TUN_EXTERN int tun_config_set_txqueuelen(tun_config *cfg, unsigned len);
/* Keep the interface after the last descriptor closes. Default false.
 * Linux, FreeBSD, NetBSD, OpenBSD and tap-windows; TUN_ENOTSUP on wintun
 * (from tun_config_validate()), macOS and iOS (from the setter). Android
 * lets only the system make devices (VpnService): use tun_open_fd(). FreeBSD
 * drops the addresses at the last close. A tap-windows6 adapter always
 * outlives the handle (the driver's installer made it): without persist,
 * tun_close() takes back the addresses and routes added through the handle,
 * puts back the DNS servers the adapter had before the handle first changed
 * them (each family's) and disconnects its media. With persist the
 * addresses, routes and DNS servers stay, but the link still goes down:
 * tap-windows6 disconnects the media whenever its handle closes (an adapter
 * whose "Media Status" property is "Always Connected" stays connected).
 * Attaching to an interface that is already persistent (Linux, the BSDs)
 * with persist false leaves it persistent: libtun does not remove what it
 * did not make. tun_device_get_flags() tells (TUN_FLAG_PERSIST) and
 * tun_device_set_persist() changes it. */
TUN_EXTERN int tun_config_set_persist(tun_config *cfg, bool on);
/* Exclusive create: tun_open() makes a new interface or fails with
 * TUN_EEXIST (the reason names the interface) when one of that name
 * exists, instead of attaching to it. Default false. A "%d" pattern always
 * makes a new one. Linux: IFF_TUN_EXCL, so that no other program can slip
 * in between; macOS (utun, feth) and FreeBSD renames: every open makes a new
 * interface, the name is checked first; OpenBSD and NetBSD: the unit's
 * interface is checked first (a persistent one would be attached to);
 * Windows: a wintun adapter of the name is refused, while an L2 config
 * gives TUN_ENOTSUP from tun_config_validate() (tap-windows6 adapters exist
 * before any open). Errors: TUN_EINVAL (NULL config). */
TUN_EXTERN int tun_config_set_exclusive(tun_config *cfg, bool on);
/* Let this user / group open the device later without privilege (Linux:
 * TUNSETOWNER / TUNSETGROUP; useful with persist). -1 (default) unsets.
 * Linux only: TUN_ENOTSUP elsewhere for a value other than -1. */
TUN_EXTERN int tun_config_set_owner(tun_config *cfg, long uid);
TUN_EXTERN int tun_config_set_group(tun_config *cfg, long gid);
/* Non-blocking I/O: reads and writes that would wait return TUN_EAGAIN.
 * Default false. See tun_device_set_nonblocking(). */
TUN_EXTERN int tun_config_set_nonblocking(tun_config *cfg, bool on);
/* Ask for offload (Linux: virtio-net header, TSO, USO) so that batched I/O
 * moves up to 64 KiB super-packets; see "Offload" below. Default false.
 * Linux L3 devices only: tun_open() gives TUN_ENOTSUP on an L2 config, the
 * setter TUN_ENOTSUP on other platforms. */
TUN_EXTERN int tun_config_set_offload(tun_config *cfg, bool on);

/* Check the fields against each other as tun_open() will, without opening
 * anything. Errors: first the failure the config keeps (see above: the code
 * of the first failed setter; tun_last_error() names the setter and its
 * reason), then TUN_EINVAL (a MAC on an L3 config), TUN_ERANGE (MTU below
 * 1280 while an IPv6 address is configured), TUN_ENOTSUP (Windows: persist
 * or TUN_LINK_DOWN on an L3 config, exclusive on an L2 one). Thread-safe if
 * cfg is not being changed. */
TUN_EXTERN int tun_config_validate(const tun_config *cfg);

/* ------------------------------------------------------------------------
 * Windows options
 *
 * Settings only the Windows backend has. Every other platform answers each
 * of these setters with TUN_ENOTSUP (after the NULL-config check) and keeps
 * the config unchanged, without keeping that failure in it, so portable
 * code may call them unconditionally and ignore that code. On Windows they check their argument at once, as every
 * setter does. L3 devices use the wintun driver (wintun.dll, loaded at run
 * time), L2 devices the tap-windows6 driver (an adapter made by its
 * installer); an option of the other driver is ignored.
 * ------------------------------------------------------------------------ */

/* Most DNS servers tun_config_add_dns_server() keeps. */
#define TUN_DNS_MAX 8

/* Where wintun.dll is: a full path (UTF-8). Default: the program's own
 * directory, then System32, never the current directory or PATH. Errors:
 * TUN_EINVAL (empty or not a full path), TUN_ENAMETOOLONG. */
TUN_EXTERN int tun_config_set_wintun_dll(tun_config *cfg, const char *path);
/* The tunnel type wintun gives a new adapter (shown by Windows as its
 * description); default "libtun". At most 127 UTF-16 units. Errors:
 * TUN_EINVAL (empty, not UTF-8), TUN_ENAMETOOLONG. */
TUN_EXTERN int tun_config_set_wintun_tunnel_type(tun_config *cfg,
                                                 const char *type);
/* Bytes of each wintun session ring: a power of two from 128 KiB to 64 MiB;
 * default 4 MiB. Errors: TUN_EINVAL. */
TUN_EXTERN int tun_config_set_wintun_ring_capacity(tun_config *cfg,
                                                   unsigned bytes);
/* The adapter's GUID as "{XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX}" (braces
 * optional). wintun creates a new adapter with it, so Windows recognises
 * the same network (firewall profile) on every run; for tap-windows6 it
 * picks the adapter whose instance id it is. Errors: TUN_EINVAL. */
TUN_EXTERN int tun_config_set_windows_guid(tun_config *cfg, const char *guid);
/* The component id of the TAP driver in the registry; default "tap0901"
 * (tap-windows6). At most 63 bytes. Errors: TUN_EINVAL, TUN_ENAMETOOLONG. */
TUN_EXTERN int tun_config_set_tap_component_id(tun_config *cfg,
                                               const char *id);
/* The interface metric for IPv4 and IPv6 routes through the device (lower
 * is preferred); 0 (default) keeps Windows' automatic metric. Errors:
 * TUN_ERANGE above 9999. */
TUN_EXTERN int tun_config_set_metric(tun_config *cfg, unsigned metric);
/* Add a DNS server ("1.1.1.1", "2606:4700:4700::1111") that Windows uses
 * while the interface is up; at most TUN_DNS_MAX, IPv4 and IPv6 mixed.
 * Errors: TUN_EINVAL (not an address), TUN_EEXIST (given twice),
 * TUN_ENOSPC (more than TUN_DNS_MAX). */
TUN_EXTERN int tun_config_add_dns_server(tun_config *cfg, const char *addr);

/* ------------------------------------------------------------------------
 * Opening and closing
 * ------------------------------------------------------------------------ */

typedef struct tun_device tun_device;

/* What tun_device_fd() returns: the descriptor to wait on. */
#ifdef _WIN32
typedef void *tun_os_fd; /* a HANDLE (event) to wait on */
#else
typedef int tun_os_fd;
#endif

/* Create (or attach to an existing persistent) interface as cfg says,
 * configure it and return a handle in *out, owned by the caller: close it
 * with tun_close(). First the failure the config keeps, if a setter failed
 * (see "Configuration"): its code, nothing opened. The steps, in order: open
 * the device, set owner/group, MAC, MTU, transmit queue length, addresses,
 * the link state (tun_config_set_up()), routes (tun_config_add_route()),
 * and last persist. A device that
 * this call did not set up for offload never hands over super-packets
 * (Linux: attaching without offload switches off the offloads a persistent
 * device kept from an earlier handle).
 * If any step fails, nothing is left behind: a device this call created is
 * removed, every descriptor closed, memory freed, and *out is not written.
 * On Linux, macOS and the BSDs an interface that was there before stays:
 * the addresses and routes this call added are removed, and its MAC and
 * MTU set back (Linux: its transmit queue length and link state too; the
 * BSD drivers take it down as the descriptor closes, FreeBSD's removing
 * its addresses as well).
 * Needs CAP_NET_ADMIN (or ownership of a persistent device).
 * Errors: TUN_EPERM (no CAP_NET_ADMIN), TUN_ENOENT (no /dev/net/tun: load
 * the tun module), TUN_EACCES (the permissions of /dev/net/tun itself refuse
 * the user, whatever its capabilities), TUN_EBUSY (the name is a TUN/TAP
 * device another descriptor has open), TUN_EINVAL (the name is a device of
 * another kind, or one whose multi-queue setting differs; or see
 * tun_config_validate()), TUN_ERANGE (see tun_config_validate()), TUN_EEXIST
 * (an address already present, or the name taken and exclusive create
 * asked for), TUN_ENOMEM, or another OS error; in each
 * case tun_last_error() names the step. Windows: L3 loads wintun.dll and
 * creates the adapter (or attaches to a wintun adapter of that name, which
 * then outlives the handle; one a crashed process left is reused so), L2
 * opens an existing tap-windows6 adapter; the steps are MTU, metric,
 * addresses, DNS servers, media status, after a created wintun adapter's
 * IP interfaces appear (up to 10 s for the first family, TUN_ETIMEDOUT
 * when the system binds neither IPv4 nor IPv6 to it, 1 s more for the
 * other). Creating
 * needs Administrator (TUN_EPERM); a missing wintun.dll or TAP adapter is
 * TUN_ENOENT with what to install; an adapter name taken by another kind of
 * adapter, or an adapter another program holds, is TUN_EBUSY.
 * Thread-safe. */
TUN_EXTERN int tun_open(const tun_config *cfg, tun_device **out);

/* Flags for tun_open_fd(). */
#define TUN_FD_BORROW 0x1 /* tun_close() leaves the fd open */
#define TUN_FD_RAW 0x2    /* do not query the fd: treat it as an L3 device
                             in the platform's usual TUN format (Linux and
                             Android: plain IP; Apple and OpenBSD: a 4-byte
                             family header the library strips), for an fd
                             that cannot be asked (a VPN API's fd); every
                             interface call then gives TUN_ENOTSUP */

/* Make a device from a descriptor that is already a TUN/TAP device (Unix;
 * TUN_ENOTSUP on Windows, which has no such descriptor): from
 * Android's VpnService, iOS's NEPacketTunnelProvider, OpenHarmony, or a
 * descriptor passed over a Unix socket. Unless TUN_FD_RAW is given, the
 * layer, packet information, offload and multi-queue modes are read from
 * the fd; Linux switches off the device's offloads when the fd has no
 * virtio-net header (as tun_open() does), so that every read is one packet
 * within the MTU. With TUN_FD_BORROW the caller keeps ownership and must keep the
 * fd open until tun_close(); otherwise the device owns it and closes it.
 * In both cases the library sets O_NONBLOCK on the fd (it waits with poll
 * itself), which the fd's other users see too. The handle starts in
 * non-blocking mode if the fd already was O_NONBLOCK (its owner was using
 * it from an event loop), else in blocking mode; tun_device_set_nonblocking()
 * changes it. The device is not removed
 * by tun_close(). Errors: TUN_EBADF (fd not open), TUN_ENOTTY (not a
 * TUN/TAP device), TUN_EBADF also when the fd is /dev/net/tun not yet
 * attached to an interface, TUN_EINVAL (negative fd, unknown flags).
 * Thread-safe. */
TUN_EXTERN int tun_open_fd(int fd, unsigned flags, tun_device **out);

/* Apple (iOS, tvOS, macOS): find the utun socket of the process's packet
 * tunnel, for tun_open_fd(). A NEPacketTunnelProvider's packetFlow is
 * backed by a utun kernel-control socket in the extension's process; the
 * private key path packetFlow.value(forKeyPath: "socket.fileDescriptor")
 * gives nil from iOS 16 on, so this looks through the descriptors instead:
 * *fd gets the lowest one whose peer (getpeername()) is the utun kernel
 * control, told by its control id (CTLIOCGINFO), or, where that id cannot
 * be learnt, by the utunN name the socket reports (UTUN_OPT_IFNAME). Call
 * it once the tunnel's network settings are applied; with more than one
 * utun socket in the process (a rare case in an extension), the lowest
 * descriptor wins. The socket stays the system's: open it with
 * tun_open_fd(fd, TUN_FD_BORROW, &dev). Errors: TUN_ENOENT (no such
 * socket), TUN_EINVAL (NULL fd), TUN_ENOTSUP (not an Apple system).
 * Thread-safe; it only queries descriptors, so one that another thread
 * opens or closes meanwhile may be missed. */
TUN_EXTERN int tun_find_utun_fd(int *fd);

/* Close the handle: its descriptor (unless borrowed) and memory. The
 * interface disappears when its last queue closes, unless it is persistent.
 * A tap-windows6 adapter stays, persistent or not, with its link down: its
 * driver disconnects the media when the handle closes (see
 * tun_config_set_persist() for what else stays).
 * NULL is ignored. Not safe while another thread is inside a call on the
 * same handle: tun_interrupt(), join that thread, then tun_close(). */
TUN_EXTERN void tun_close(tun_device *dev);

/* ------------------------------------------------------------------------
 * Packet I/O
 *
 * One read returns one packet; one write sends one packet. Packets are plain
 * IP (L3) or Ethernet (L2) frames unless packet information was asked for.
 * One thread may read while another writes on the same handle; two readers
 * on one handle are safe but share the packets between them. For parallel
 * readers use one queue per thread (tun_clone_queue()).
 *
 * Non-blocking mode (tun_config_set_nonblocking(),
 * tun_device_set_nonblocking(), or an adopted descriptor that was already
 * O_NONBLOCK) is the contract for event loops:
 * - A read that finds no packet queued, and a write that finds no room,
 *   return TUN_EAGAIN at once, having moved nothing: no packet is consumed,
 *   none is sent in part, so the same call may simply be made again later.
 *   TUN_EAGAIN means exactly that, is never returned by a blocking handle,
 *   and, being the normal case of a loop, records no reason (tun_last_error()
 *   is left as it was).
 * - Readable, one rule on every platform and with every kind of wait
 *   (level- or edge-triggered): watch tun_device_fd() for reading; when it
 *   signals, call tun_read() (or tun_recv_multiple()) until TUN_EAGAIN
 *   before waiting for it again. The descriptor tells of packets the kernel
 *   holds, not of those the library has already taken from it: macOS's
 *   feth reads a BPF buffer of several frames at once, a Linux offload
 *   device cuts one super-packet over several tun_recv_multiple() calls,
 *   Windows' events signal a change only. A loop that stops earlier (to be
 *   fair to other work) must come back to the device on its next turn
 *   without waiting for a signal (examples/async/loop.h's loop_again).
 * - Writable: when tun_write() gives TUN_EAGAIN, keep the packet, watch the
 *   descriptor for writing, and write the packet again when it signals;
 *   stop watching for writing once the write went through (the descriptor
 *   is writable nearly all the time: watching it always makes a loop spin).
 *   On Linux a TUN/TAP queue takes every write (the kernel drops packets
 *   later rather than refusing them), so this case hardly ever arises there;
 *   docs/design.md says which platforms signal room and how.
 * - Any other code concerns one packet or the device, never the mode:
 *   TUN_EMSGSIZE from a read (that packet was dropped) or a write (that
 *   packet was refused), and TUN_EINVAL from a write: go on with the next
 *   packet; TUN_ECANCELED (tun_interrupt()), TUN_ENODEV (the interface was
 *   deleted: the descriptor then signals an error, which a loop reports as
 *   readable): stop watching and tun_close().
 * - tun_read_timeout() waits also on a non-blocking handle: it is the timed
 *   wait. A change of mode applies to the calls that start after it.
 * ------------------------------------------------------------------------ */

/* Read one packet into buf. Blocks until a packet arrives unless the device
 * is non-blocking. Returns its length. Errors: TUN_EAGAIN (non-blocking and
 * nothing queued: nothing consumed), TUN_ECANCELED (tun_interrupt() was called), TUN_EMSGSIZE
 * (the packet was larger than size: it is consumed and dropped, never
 * returned truncated), TUN_ENODEV (the interface was deleted), TUN_EINVAL.
 * Signals do not interrupt it (EINTR is retried). */
TUN_EXTERN int tun_read(tun_device *dev, void *buf, size_t size);
/* As tun_read() but waits at most timeout_ms milliseconds (0: do not wait,
 * -1: no limit), also on a non-blocking device, so it never returns
 * TUN_EAGAIN: nothing queued within the time gives TUN_ETIMEDOUT (at once
 * for 0). Errors as tun_read() plus TUN_ETIMEDOUT, TUN_EINVAL (timeout
 * below -1). */
TUN_EXTERN int tun_read_timeout(tun_device *dev, void *buf, size_t size,
                                int timeout_ms);
/* Send one packet of len bytes. Returns len. A blocking write whose queue
 * is full waits for room (where a driver cannot signal room, it sleeps
 * briefly and retries). Errors: TUN_EINVAL (len 0, NULL buf, or a packet
 * the kernel refused as malformed), TUN_EMSGSIZE (larger than the MTU plus
 * the link header of the layer), TUN_EAGAIN (non-blocking and the queue is
 * full: nothing sent; see "Writable" above), TUN_ECANCELED, TUN_ENODEV,
 * TUN_EIO (the interface is down; Linux takes an interface down before
 * deleting it, so a write racing a deletion may get TUN_EIO and the next one
 * TUN_ENODEV). The MTU is learnt when the handle is made; a write that looks
 * larger asks the kernel again (a quick call that never waits for the queue).
 * Windows: the MTU is that of the packet's family (Windows keeps one per
 * family; see tun_device_set_ipv6_mtu()), or wintun's 65535 bytes for a
 * family the interface does not run; wintun takes IPv4 packets of 20
 * bytes or more and IPv6 of 40 or more only (TUN_EINVAL otherwise) and has
 * no "room" signal (the 1 ms retry above); a tap-windows6 write
 * waits for the driver to take the frame even on a non-blocking handle. */
TUN_EXTERN int tun_write(tun_device *dev, const void *buf, size_t len);

/* Make every blocking call on this handle (current and future ones) return
 * TUN_ECANCELED promptly, until tun_interrupt_clear(). For graceful
 * shutdown of reader threads. Async-signal-safe and thread-safe: call it
 * from a signal handler or another thread. */
TUN_EXTERN int tun_interrupt(tun_device *dev);
/* Undo tun_interrupt(); blocking calls wait again. Thread-safe. */
TUN_EXTERN int tun_interrupt_clear(tun_device *dev);

/* The descriptor to give an event loop (epoll, kqueue, io_uring, libuv,
 * libevent): it signals readable when packets arrive in the kernel (or the
 * interface is gone) and writable when a write would not wait. Use it as
 * the non-blocking contract above says, with the handle in non-blocking
 * mode: after a readable signal, read until TUN_EAGAIN before waiting on it
 * again (packets the library holds already do not make it signal). Owned by the device: do
 * not close it (on Windows: do not CloseHandle() it, and do not wait on it
 * while a blocking libtun read on the same handle runs). Remove it from the
 * loop before tun_close(). The library keeps it in O_NONBLOCK mode on Unix.
 * On Windows it is wintun's read-wait event (auto-reset) or the event of
 * the overlapped read libtun keeps pending on tap-windows6 (manual-reset,
 * reset by the next read). A NULL device gives -1 on Unix, NULL on
 * Windows (no reason recorded). What it is on each
 * platform: docs/design.md. Thread-safe.
 *
 * Reading and writing it directly: only on Linux (and Android), and only
 * on a device without TUN_FLAG_OFFLOAD. There each read() of the descriptor
 * returns one whole packet, the very bytes tun_read() returns (with
 * TUN_FLAG_PACKET_INFO, the 4-byte packet information header first), and
 * each write() sends one, as tun_write() does; so an I/O engine such as
 * io_uring may do the reads and writes itself. Its buffers must be larger
 * than the largest packet (the kernel cuts a packet that does not fit,
 * which tun_read() detects), its writes skip tun_write()'s size check, and
 * tun_interrupt() does not reach it. It may share the handle with libtun's
 * own calls: a direct read and tun_read() or tun_recv_multiple() are two
 * readers, each packet going to exactly one of them in no defined order,
 * and direct writes may be mixed with tun_write() and tun_send_multiple()
 * (each write is one whole packet). On an offload device each read and
 * write carries a virtio-net header and a read may be a super-packet, which
 * only tun_recv_multiple() cuts (keeping the rest between calls): never
 * read or write its descriptor yourself. Other platforms frame packets on
 * the descriptor differently (docs/design.md): use libtun's calls there. */
TUN_EXTERN tun_os_fd tun_device_fd(const tun_device *dev);
/* Switch this handle between blocking and non-blocking mode (the other
 * handles of the interface keep theirs). Calls already waiting go on
 * waiting; later calls follow the new mode. Thread-safe. */
TUN_EXTERN int tun_device_set_nonblocking(tun_device *dev, bool on);

/* ------------------------------------------------------------------------
 * Run-time queries and changes
 *
 * Each of these talks to the kernel at call time (there is no stale copy),
 * and each is thread-safe: a thread may change MTU or addresses while
 * another reads packets. They work on the interface, so they act the same
 * through any queue's handle. A handle from TUN_FD_RAW supports only the
 * calls a platform can answer from the fd.
 * Linux: they act in the network namespace of the calling thread, where
 * the interface is known by its index; call them from a thread in the
 * interface's namespace (elsewhere they give TUN_ENODEV, or find another
 * interface that has the same index there). Packet I/O works from any
 * thread. A descriptor keeps the namespace it was opened in alive, so an
 * interface opened in a namespace that is deleted (`ip netns del`) lives
 * until tun_close(); one moved into a namespace that is then deleted is
 * deleted with it (calls give TUN_ENODEV).
 * ------------------------------------------------------------------------ */

/* Maximum size of an interface name, NUL included, on any platform (a
 * Windows alias is up to 256 UTF-16 units, written as UTF-8). */
#define TUN_NAME_MAX 1024

/* Copy the interface's current name into buf. Errors: TUN_ENOBUFS (size too
 * small; TUN_NAME_MAX always suffices), TUN_ENODEV. */
TUN_EXTERN int tun_device_get_name(tun_device *dev, char *buf, size_t size);
/* Rename the interface. An interface that is up is taken down, renamed and
 * brought up again, with its IPv6 addresses put back (Linux refuses to
 * rename an up interface and drops IPv6 addresses on the way down); a
 * failed rename still leaves it up. Packets in flight meanwhile may be
 * lost. Errors: as tun_config_set_name() (a "%d" pattern is refused),
 * TUN_EEXIST (name taken), TUN_EPERM; TUN_ENOTSUP on Windows (no
 * documented call renames an adapter: name it in the config). */
TUN_EXTERN int tun_device_set_name(tun_device *dev, const char *name);
/* The interface index (if_nametoindex()). Errors: TUN_ENODEV. */
TUN_EXTERN int tun_device_get_index(tun_device *dev, unsigned *index);
/* Current MTU. */
TUN_EXTERN int tun_device_get_mtu(tun_device *dev, unsigned *mtu);
/* Change the MTU (on Windows: of both IPv4 and IPv6, or IPv4 alone below
 * 1280; see tun_device_set_ipv6_mtu()). Errors: TUN_ERANGE
 * (outside TUN_MTU_MIN..TUN_MTU_MAX or the platform's range, or below 1280
 * while the interface has an IPv6 address; Windows: also when it runs IPv6
 * only), TUN_EPERM. */
TUN_EXTERN int tun_device_set_mtu(tun_device *dev, unsigned mtu);
/* Whether the interface is administratively up (Windows: operationally
 * up, as no other switch exists there). */
TUN_EXTERN int tun_device_get_up(tun_device *dev, bool *up);
/* Bring the interface up or down. Note that Linux removes the IPv6
 * addresses of an interface taken down (unless the sysctl
 * net.ipv6.conf.<name>.keep_addr_on_down is set); IPv4 addresses stay.
 * Windows: the media status of a tap-windows6 adapter, which its driver
 * sets to disconnected when the handle closes; a wintun adapter is up while
 * its handle is open (up=false gives TUN_ENOTSUP). */
TUN_EXTERN int tun_device_set_up(tun_device *dev, bool up);
/* Ethernet address of a TAP device. Errors: TUN_ENOTSUP on an L3 device;
 * tun_device_set_mac(): TUN_EINVAL for a multicast or all-zero address,
 * TUN_ENOTSUP on Windows. */
TUN_EXTERN int tun_device_get_mac(tun_device *dev, uint8_t mac[6]);
TUN_EXTERN int tun_device_set_mac(tun_device *dev, const uint8_t mac[6]);

/* List every address of the interface, IPv4 and IPv6, with prefix and peer
 * (Windows keeps no peer: has_peer is 0 there), including those the system
 * added itself (an IPv6 link-local address).
 * Writes at most capacity entries to out (may be NULL when capacity is 0)
 * and the total number in *count. Errors: TUN_ENOBUFS when capacity was too
 * small (the first capacity entries are written; call again with *count). */
TUN_EXTERN int tun_device_get_addresses(tun_device *dev, tun_address *out,
                                        size_t capacity, size_t *count);
/* Add an address (and its automatic route, as in tun_config_add_address()).
 * Windows has no point-to-point address: with a peer, libtun adds the
 * address as a host address and a route to the peer's prefix, and removes
 * that route with the address. Errors: TUN_EEXIST (already present),
 * TUN_EINVAL, TUN_EPERM. */
TUN_EXTERN int tun_device_add_address(tun_device *dev, const tun_address *a);
/* tun_address_parse() then tun_device_add_address(); peer may be NULL. */
TUN_EXTERN int tun_device_add_ipv4(tun_device *dev, const char *addr,
                                   unsigned prefix, const char *peer);
TUN_EXTERN int tun_device_add_ipv6(tun_device *dev, const char *addr,
                                   unsigned prefix);
/* Remove an address; a->prefix and the peer are ignored, the family and
 * address select it. Errors: TUN_EADDRNOTAVAIL (not on the interface). */
TUN_EXTERN int tun_device_remove_address(tun_device *dev,
                                         const tun_address *a);

/* Bits of tun_device_get_flags(). */
#define TUN_FLAG_L2 0x01          /* TAP (layer 2); else TUN */
#define TUN_FLAG_MULTI_QUEUE 0x02 /* several queues allowed */
#define TUN_FLAG_PACKET_INFO 0x04 /* packets carry the platform header */
#define TUN_FLAG_OFFLOAD 0x08     /* virtio-net header in use */
#define TUN_FLAG_TCP_GSO 0x10     /* the kernel sends/takes TCP super-packets */
#define TUN_FLAG_UDP_GSO 0x20     /* the kernel sends/takes UDP super-packets */
#define TUN_FLAG_PERSIST 0x40     /* the interface outlives its descriptors
                                     (asked of the system at each call) */
#define TUN_FLAG_NONBLOCK 0x80    /* this handle is non-blocking */
#define TUN_FLAG_BORROWED 0x100   /* tun_close() will not close the fd */

/* The TUN_FLAG_* bits of this handle. TUN_FLAG_PERSIST is the interface's
 * persistence now, whoever set it (an interface attached to that was
 * persistent already has it); Linux asks the kernel (TUNGETIFF). Errors:
 * TUN_ENODEV (Linux: the interface was deleted). Thread-safe. */
TUN_EXTERN int tun_device_get_flags(tun_device *dev, unsigned *flags);
/* Make the interface persistent (it outlives its descriptors) or not (the
 * last tun_close() removes it), at run time, whatever the config said and
 * also for an interface that was persistent before this handle attached.
 * Linux: TUNSETPERSIST. FreeBSD, NetBSD and OpenBSD: libtun removes a
 * non-persistent interface at tun_close() (FreeBSD 15 lets the kernel do
 * it: TUNSTRANSIENT); an interface that the kernel destroys at the last
 * close of its node (OpenBSD's tunN opened without persist, NetBSD's cloned
 * tap) cannot become persistent: TUN_ENOTSUP. tap-windows6: whether
 * tun_close() takes back what the handle set (see
 * tun_config_set_persist()); the link goes down at the close either way.
 * TUN_ENOTSUP on macOS, iOS and wintun adapters, and for a TUN_FD_RAW
 * handle. Errors also: TUN_EPERM. Thread-safe. */
TUN_EXTERN int tun_device_set_persist(tun_device *dev, bool on);

/* ------------------------------------------------------------------------
 * Windows device calls
 *
 * What only a Windows adapter has. Every other platform answers each of
 * these with TUN_ENOTSUP (after the NULL checks, which give TUN_EINVAL).
 * Thread-safe, as the run-time calls above.
 * ------------------------------------------------------------------------ */

/* The adapter's LUID (NET_LUID.Value): what the IP Helper API (GetIfEntry2,
 * the address and route tables) knows the adapter by; unlike its index it
 * stays the same while the adapter lives. */
TUN_EXTERN int tun_device_get_luid(tun_device *dev, uint64_t *luid);
/* Change the interface metric of IPv4 and IPv6 routes through the device
 * (lower is preferred), as tun_config_set_metric() does at open; 0 gives
 * Windows' automatic metric back. Errors: TUN_ERANGE above 9999, TUN_EPERM. */
TUN_EXTERN int tun_device_set_metric(tun_device *dev, unsigned metric);
/* Replace the DNS servers Windows uses through the interface with these
 * count addresses (IPv4 and IPv6 mixed, at most TUN_DNS_MAX; as
 * tun_config_add_dns_server() does at open); count 0 clears them. Checked
 * whole before anything changes. The servers the adapter had, each
 * family's, are read at the handle's first change (from the registry's
 * NameServer value of the adapter's TCP/IP parameters, where Windows keeps
 * static servers) and put back when
 * tun_open() fails after setting them or a handle without persist closes
 * (see tun_config_set_persist()). Errors:
 * TUN_EINVAL (not an address), TUN_EEXIST (given twice), TUN_ENOSPC (more
 * than TUN_DNS_MAX), TUN_ENOBUFS (the adapter's own list is too long to
 * keep), TUN_EPERM. */
TUN_EXTERN int tun_device_set_dns_servers(tun_device *dev,
                                          const char *const *servers,
                                          size_t count);
/* Windows keeps an MTU per IP family: tun_device_get_mtu() reads IPv4's
 * (IPv6's on an interface that runs IPv6 only), tun_device_set_mtu() sets
 * both (IPv4's alone below 1280), and a write is held to its packet's
 * family's MTU. These read and set IPv6's alone. Errors: TUN_ERANGE
 * (outside TUN_MTU_MIN_IPV6..TUN_MTU_MAX), TUN_ENOTSUP (IPv6 does not run
 * on the interface), TUN_EPERM. */
TUN_EXTERN int tun_device_get_ipv6_mtu(tun_device *dev, unsigned *mtu);
TUN_EXTERN int tun_device_set_ipv6_mtu(tun_device *dev, unsigned mtu);

/* ------------------------------------------------------------------------
 * Control plane: statistics, carrier, routes, events
 *
 * What a VPN or overlay needs besides addresses, without shelling out to
 * `ip`, `route` or `netsh`: the interface's counters, its carrier, the
 * routes through it, and word of its changes. As the run-time calls above,
 * each talks to the kernel at call time, is thread-safe (but for a
 * tun_events object), acts on the interface (the same through any queue's
 * handle), gives TUN_ENOTSUP on a TUN_FD_RAW handle, and on Linux acts in
 * the calling thread's network namespace.
 * ------------------------------------------------------------------------ */

/* The interface's counters as the system keeps them (every packet, not only
 * those libtun moved), 64-bit on every platform. "rx" is what the system
 * received from the device, that is what the application wrote; "tx" is
 * what the system sent into the device, what the application reads: the
 * columns of `ip -s link`. errors are packets the driver found malformed,
 * dropped those discarded for lack of room or of a reader. */
typedef struct tun_stats {
    uint64_t rx_packets;
    uint64_t rx_bytes;
    uint64_t rx_errors;
    uint64_t rx_dropped;
    uint64_t tx_packets;
    uint64_t tx_bytes;
    uint64_t tx_errors;
    uint64_t tx_dropped;
} tun_stats;

/* Read the counters into *stats. Linux: IFLA_STATS64 (rtnetlink); macOS:
 * if_data64 (sysctl NET_RT_IFLIST2); FreeBSD, OpenBSD, NetBSD: if_data
 * (getifaddrs); Windows: GetIfEntry2 (unicast plus non-unicast packets,
 * discards as drops). A counter the system does not keep reads 0 (NetBSD
 * counts no output drops; macOS's are its send queue's). Errors:
 * TUN_ENODEV. */
TUN_EXTERN int tun_device_get_stats(tun_device *dev, tun_stats *stats);

/* Set the carrier (link) on or off, without deleting the device or taking
 * it down: a VPN says "peer unreachable" with off, and the system then
 * treats the link as down (routes through it are not used, `ip link` shows
 * NO-CARRIER) until on. A new device has its carrier on. Linux:
 * TUNSETCARRIER (Linux 5.0+, TUN_ENOTSUP before; the descriptor is the
 * privilege: a program that holds it needs no CAP_NET_ADMIN);
 * Windows: the media status of a tap-windows6 adapter (the same switch
 * tun_device_set_up() turns there; off again when the handle closes);
 * TUN_ENOTSUP on wintun, macOS and the BSDs, whose drivers set the link
 * state themselves. */
TUN_EXTERN int tun_device_set_carrier(tun_device *dev, bool on);
/* Whether the carrier is on. Linux: IFLA_CARRIER; FreeBSD, OpenBSD,
 * NetBSD: the link state (unknown counts as on); macOS: IFF_RUNNING;
 * Windows: the media connect state. */
TUN_EXTERN int tun_device_get_carrier(tun_device *dev, bool *on);

/* A route through the device: plain data, copy it freely. dest holds the
 * network (network order, IPv4 in the first 4 bytes) with no bit set past
 * prefix; gateway, when has_gateway is 1, is the next hop, of the same
 * family (on a TAP device a router on the link; on a TUN device any
 * address makes no difference to where packets go, but the kernel still
 * wants it reachable). metric 0 is the system's default (Linux: 0 for
 * IPv4, 1024 for IPv6, and listing shows what the kernel chose). table is
 * Linux's routing table, 0 for the main one (other platforms: 0 only). */
typedef struct tun_route {
    uint8_t family;      /* TUN_INET4 or TUN_INET6 */
    uint8_t prefix;      /* 0..32 or 0..128; 0 with dest 0 is the default */
    uint8_t has_gateway; /* 1 if gateway is set */
    uint8_t dest[16];
    uint8_t gateway[16];
    uint32_t metric;
    uint32_t table;
} tun_route;

/* Buffer size that tun_route_format() never exceeds, NUL included. */
#define TUN_ROUTESTRLEN 160

/* Fill *out from text: dest "10.1.0.0" or "fd00:1::" (the family is taken
 * from it) with prefix 0..32 or 0..128, gateway (may be NULL) of the same
 * family, metric (0: the default); table 0. Errors: TUN_EINVAL for
 * unparsable text, a prefix longer than the family allows, a gateway of
 * the other family, or dest with bits set past the prefix ("10.1.0.1/16":
 * write the network). Thread-safe. */
TUN_EXTERN int tun_route_parse(tun_route *out, const char *dest,
                               unsigned prefix, const char *gateway,
                               unsigned metric);
/* Write "10.1.0.0/16", "default via 10.0.0.2 metric 5", "fd00::/64 table
 * 100"... into buf (the words of `ip route`). Returns the length written,
 * TUN_ENOBUFS when size is too small (TUN_ROUTESTRLEN always suffices),
 * TUN_EINVAL for a route tun_route_parse() would refuse. Thread-safe. */
TUN_EXTERN int tun_route_format(const tun_route *r, char *buf, size_t size);

/* Add a route through the device, at once. Linux: RTM_NEWROUTE with the
 * device as output interface (RTA_OIF), the metric as RTA_PRIORITY, in the
 * main table unless table is set; macOS and the BSDs: RTM_ADD on the
 * routing socket, on the interface (RTA_IFP, or the interface itself as
 * gateway for a route without one); Windows: CreateIpForwardEntry2.
 * Errors name the route and the system's reason: TUN_EEXIST (the same
 * route is there; on Linux also a route to the same destination with the
 * same metric through another interface), TUN_ENETUNREACH (the gateway is not reachable through
 * the device: add an address whose subnet holds it first), TUN_ENETDOWN
 * (Linux refuses IPv4 routes through a device that is down), TUN_EPERM,
 * TUN_EINVAL (a route tun_route_parse() would refuse; nothing is changed),
 * TUN_ENOTSUP (a table other than 0 outside Linux; a metric on macOS,
 * FreeBSD and NetBSD, whose routing tables have none; OpenBSD takes 1..63,
 * its route priority, TUN_EINVAL above; any route on iOS and tvOS, whose
 * system routes a VPN's tunnel from NEPacketTunnelNetworkSettings). Linux
 * removes the routes of an interface that goes down; Windows keeps them. */
TUN_EXTERN int tun_device_add_route(tun_device *dev, const tun_route *r);
/* Remove a route through the device: the one with the same family, dest,
 * prefix and table, and, when set, gateway and metric (metric 0 and no
 * gateway match any). Routes through other interfaces are never touched.
 * Errors: TUN_ENOENT (no such route through the device), TUN_EINVAL,
 * TUN_EPERM. */
TUN_EXTERN int tun_device_remove_route(tun_device *dev, const tun_route *r);
/* List the routes through the device, IPv4 and IPv6, including those the
 * system added itself (the subnet route of an address, Linux's fe80::/64,
 * Windows' host and multicast routes): Linux every table but the local one
 * (the kernel's routes to its own addresses), unicast routes with one next
 * hop; macOS and the BSDs the routing table's entries on the interface
 * (no cloned or link-layer entries); Windows GetIpForwardTable2. Writes at
 * most capacity entries to out (may be NULL when capacity is 0) and the
 * total number in *count. Errors: TUN_ENOBUFS when capacity was too small
 * (the first capacity entries are written; call again with *count). */
TUN_EXTERN int tun_device_get_routes(tun_device *dev, tun_route *out,
                                     size_t capacity, size_t *count);

/* Add a route for tun_open() to add once the interface is up, after the
 * addresses (a gateway is usually reachable through one of them), in the
 * given order. A failing route fails tun_open() as any other step does
 * (nothing is left behind). Errors: TUN_EINVAL (as tun_route_parse()),
 * TUN_EEXIST (the same route twice), TUN_ENOTSUP (a table other than 0
 * outside Linux), TUN_ENOTSUP / TUN_EINVAL for a metric the platform's
 * table cannot hold (see tun_device_add_route()), TUN_ENOMEM. */
TUN_EXTERN int tun_config_add_route(tun_config *cfg, const tun_route *r);
/* Whether each address comes with its "automatic route" (default true):
 * the route to its subnet, or with a peer to the peer, that
 * tun_config_add_address() describes. With false, addresses are added
 * without it, at open and later through this handle (not through one
 * from tun_open_fd()), so that the application routes only what it asks
 * for with tun_config_add_route() and tun_device_add_route() (tun-rs calls
 * this associate_route). Linux: IFA_F_NOPREFIXROUTE (Linux 4.4+); macOS
 * and the BSDs: libtun does not add the subnet route of a point-to-point
 * device, while the routes these kernels make themselves stay (the
 * peer's host route, a TAP device's subnet). Errors: TUN_ENOTSUP for
 * false on Windows, which routes every address's prefix itself. */
TUN_EXTERN int tun_config_set_auto_route(tun_config *cfg, bool on);

/* What changed on the interface (see tun_events_next()). */
typedef enum tun_event_type {
    TUN_EVENT_UP = 1,          /* administratively up */
    TUN_EVENT_DOWN,            /* administratively down */
    TUN_EVENT_CARRIER_ON,
    TUN_EVENT_CARRIER_OFF,
    TUN_EVENT_MTU,             /* the MTU changed: mtu is the new one */
    TUN_EVENT_RENAME,          /* the name changed: name is the new one */
    TUN_EVENT_ADDRESS_ADDED,   /* address was added */
    TUN_EVENT_ADDRESS_REMOVED, /* address was removed */
    TUN_EVENT_DELETED          /* the interface is gone (the last event) */
} tun_event_type;

/* One change. Plain data; only the member its type names is set. */
typedef struct tun_event {
    tun_event_type type;
    unsigned mtu;
    tun_address address;
    char name[TUN_NAME_MAX];
} tun_event;

/* A subscription to the interface's changes, made by tun_events_open(). */
typedef struct tun_events tun_events;

/* Subscribe to the changes of dev's interface, whoever makes them (libtun,
 * `ip`, `ifconfig`, `netsh`, the system): link up/down, carrier, MTU,
 * rename, addresses added and removed, deletion. Linux: an rtnetlink
 * socket joined to the link and IPv4/IPv6 address groups (opened in the
 * calling thread's namespace); macOS and the BSDs: a routing socket
 * (RTM_IFINFO, RTM_NEWADDR, RTM_DELADDR, RTM_IFANNOUNCE); Windows:
 * NotifyIpInterfaceChange and NotifyUnicastIpAddressChange setting an
 * event. Each notification about the interface makes libtun read its state
 * again and report the differences from the state it last saw, in this
 * order: deleted, rename, MTU, up/down, carrier, addresses removed, added;
 * so several changes between two reads may come as one (down then up
 * again is no event). When the system's queue overflows nothing is lost
 * where the system says so (Linux, Windows, OpenBSD, FreeBSD 13+ and
 * NetBSD 9+: the state is read again); macOS and older FreeBSD and NetBSD
 * drop the messages that do not fit without a word (libtun asks for a
 * 256 KiB queue to make that rarer), and a change lost there shows with
 * the next notification about the interface. *out is
 * owned by the caller: tun_events_close() it before
 * tun_close(dev). The object is not thread-safe (one thread uses it); dev
 * may be used meanwhile. Errors: TUN_EINVAL, TUN_ENOTSUP (a TUN_FD_RAW
 * handle; iOS and tvOS, whose SDKs lack the routing socket's messages),
 * TUN_ENOMEM, TUN_ENODEV, or the OS error of the subscription. */
TUN_EXTERN int tun_events_open(tun_device *dev, tun_events **out);
/* What to wait on for reading (a descriptor; on Windows an event HANDLE,
 * manual-reset, reset by tun_events_next()): it signals when changes may
 * be waiting. Owned by the object; -1 (NULL on Windows) for NULL. */
TUN_EXTERN tun_os_fd tun_events_fd(const tun_events *ev);
/* The next change, without blocking: 0 with *event set, or TUN_EAGAIN when
 * none is waiting (call it until TUN_EAGAIN each time tun_events_fd()
 * signals, as with tun_read()). After TUN_EVENT_DELETED only TUN_EAGAIN
 * follows. Errors: TUN_EINVAL, or the OS error of reading the state. */
TUN_EXTERN int tun_events_next(tun_events *ev, tun_event *event);
/* End the subscription and free it; NULL is ignored. */
TUN_EXTERN void tun_events_close(tun_events *ev);

/* ------------------------------------------------------------------------
 * Linux kernel hooks: network namespace, send buffer, eBPF programs
 *
 * What only Linux's tun driver offers. Every other platform answers each of
 * these with TUN_ENOTSUP (after the NULL checks, which give TUN_EINVAL).
 * Each is thread-safe and acts at once, while other threads go on with
 * packet I/O. The library never takes a descriptor passed in: the caller
 * keeps and closes it, and may close it right after the call (the kernel
 * holds its own reference to a namespace or program it uses). The send
 * buffer and eBPF calls need only the device's descriptor: they work on
 * any handle, also one from TUN_FD_RAW.
 * ------------------------------------------------------------------------ */

/* Move the interface into the network namespace of netns_fd (a descriptor
 * of /proc/PID/ns/net, /run/netns/NAME, or one a thread opened after
 * unshare(CLONE_NEWNET)): rtnetlink RTM_SETLINK with IFLA_NET_NS_FD. The
 * interface keeps its name and (Linux 5.13+, IFLA_NEW_IFINDEX; see the end
 * for older kernels) its index, so that this handle and the other queues'
 * handles still name it. The kernel moves it
 * down and drops its addresses and routes on the way: configure it again
 * in the new namespace.
 * Afterwards, as "Run-time queries and changes" says, the interface calls
 * (tun_device_get_name(), the address, MTU, link, route, statistics and
 * carrier calls, tun_events_open(), tun_clone_queue()) act in the calling
 * thread's namespace: make them from a thread in the new namespace (one
 * that setns() into netns_fd); from the old one they give TUN_ENODEV (or
 * find an interface that came to have the same index there), and a
 * tun_events object opened before the move, read from there, reports
 * TUN_EVENT_DELETED (open a new one in the new namespace).
 * What needs only the descriptor keeps working from any thread: packet I/O
 * (tun_read(), tun_write() of packets within the MTU last seen, the batched
 * calls), tun_device_fd(), tun_interrupt(), tun_device_set_nonblocking(),
 * tun_device_get_flags(), tun_device_set_persist(),
 * tun_device_set_carrier(), tun_queue_set_enabled(), the send buffer and
 * eBPF calls below, and tun_close().
 * Needs CAP_NET_ADMIN in both namespaces. Errors: TUN_EBADF (netns_fd is
 * not open), TUN_EINVAL (negative, or not a network namespace descriptor:
 * nothing moved), TUN_EEXIST (the target namespace has an interface of the
 * same name, or one with the same index), TUN_ENODEV, TUN_EPERM,
 * TUN_ENOTSUP (a TUN_FD_RAW handle; not Linux). Linux 4.11+; kernels
 * before 5.13 ignore IFLA_NEW_IFINDEX and give the interface a new index
 * when its own is taken in the target namespace. From 4.16 the kernel
 * says which (IFLA_NEW_IFINDEX in the link's removal notice in the old
 * namespace) and this handle uses the new index from then on, provided it
 * hears the notice (a socket overflow can lose it: logged); the handles
 * of the interface's other queues keep the old one, and so does this one
 * before 4.16: their interface calls made from the new namespace then
 * address whatever interface holds the old index (TUN_ENODEV only when
 * none does), and this handle's calls made from the old namespace may
 * find an unrelated interface that has the new index there. On those
 * kernels move an interface with several queues only
 * into a namespace where its index is free (a new namespace has the
 * loopback, index 1, and, when their modules are loaded, the fallback
 * tunnels tunl0, sit0, ip6tnl0... at the next indexes), or clone its
 * queues after the move from a thread in the new namespace. */
TUN_EXTERN int tun_device_set_netns(tun_device *dev, int netns_fd);

/* Limit the bytes of the packets written through the interface that the
 * kernel may hold at once (TUNSETSNDBUF, on every queue of the interface):
 * a write that finds the limit reached waits for room (a non-blocking one
 * gives TUN_EAGAIN, and the descriptor signals writable when there is
 * room), which holds writers back instead of letting packets pile up in
 * the kernel. bytes is 1 or more; INT_MAX, the default, means no limit.
 * The kernel charges a written packet to the buffer until its receive path
 * takes the packet over, and lets one through whatever its size while
 * nothing is charged. On the usual path that happens before the write
 * returns, so the limit holds back only writes whose packets wait in a
 * queue first: a TAP device's frames that a bridge forwards into a slow
 * queue (a qdisc), packets that receive packet steering leaves in another
 * CPU's backlog. Errors: TUN_EINVAL (bytes below 1), TUN_ENODEV. */
TUN_EXTERN int tun_device_set_sndbuf(tun_device *dev, int bytes);
/* The send buffer of this handle's queue in *bytes (TUNGETSNDBUF): what
 * tun_device_set_sndbuf() set through any queue, else INT_MAX. */
TUN_EXTERN int tun_device_get_sndbuf(tun_device *dev, int *bytes);

/* Attach an eBPF program that picks the queue of a multi-queue interface
 * for each packet the system sends into it (TUNSETSTEERINGEBPF), in place
 * of the kernel's flow hash; prog_fd -1 detaches it (the hash again).
 * prog_fd is a loaded BPF_PROG_TYPE_SOCKET_FILTER program (bpf(2)
 * BPF_PROG_LOAD); it runs on each packet (the IP header first on a TUN
 * device, the Ethernet header on a TAP one) and its return value modulo the
 * number of enabled queues is the queue: packets go to the handle of that
 * queue (queue 0 is the handle tun_open() made, then one per
 * tun_clone_queue() in order, until a queue is detached or closed and the
 * kernel renumbers the last one into its place). One program per
 * interface, replaced by the next call through any queue's handle,
 * attached until detached or the interface is deleted. Errors: TUN_EBADF
 * (prog_fd not open), TUN_EINVAL (prog_fd below -1, not a BPF program, or
 * one of another type: nothing changes), TUN_ENODEV (the interface was
 * deleted), TUN_ENOTSUP (a kernel before Linux 4.16; not Linux),
 * TUN_EPERM. */
TUN_EXTERN int tun_device_set_steering_ebpf(tun_device *dev, int prog_fd);
/* Attach an eBPF filter to the packets the system sends into the interface
 * (those applications read; TUNSETFILTEREBPF): prog_fd is a
 * BPF_PROG_TYPE_SOCKET_FILTER program run on each packet as above; 0 drops
 * the packet (counted in tx_dropped of tun_device_get_stats()), a length
 * below the packet's cuts it to that length, one at least the packet's
 * (0xffff, say) passes it whole. prog_fd -1 detaches it. One filter per
 * interface, as for steering. Errors: as tun_device_set_steering_ebpf()
 * (TUN_ENOTSUP before Linux 4.19). */
TUN_EXTERN int tun_device_set_filter_ebpf(tun_device *dev, int prog_fd);

/* ------------------------------------------------------------------------
 * Multi-queue (Linux)
 * ------------------------------------------------------------------------ */

/* Open another queue of the same interface, for another thread; the device
 * must have been opened with multi-queue. The new handle has the same
 * modes (offload, packet information, non-blocking) and its own interrupt
 * state; close it with tun_close(). The kernel spreads flows over queues
 * by hash, so packets of one flow stay on one queue. Errors: TUN_EINVAL
 * (not multi-queue), TUN_ENOTSUP (not on this platform), TUN_ENOSPC
 * (the kernel's queue limit). Thread-safe. */
TUN_EXTERN int tun_clone_queue(tun_device *dev, tun_device **out);
/* Detach (false) or re-attach (true) this queue: a detached queue gets no
 * packets and its writes fail. Errors: TUN_EINVAL (not multi-queue),
 * TUN_ENOTSUP (not on this platform). */
TUN_EXTERN int tun_queue_set_enabled(tun_device *dev, bool enabled);

/* ------------------------------------------------------------------------
 * Offload (Linux): batched I/O with 64 KiB super-packets
 *
 * A device opened with tun_config_set_offload() (Linux L3 only: tun_open()
 * refuses it on TAP with TUN_ENOTSUP, as the engine handles IP packets, not
 * Ethernet frames; see tun_device_get_flags() for TUN_FLAG_OFFLOAD,
 * TUN_FLAG_TCP_GSO and TUN_FLAG_UDP_GSO) exchanges TCP and UDP "super-packets" of up to 64 KiB
 * with the kernel, each behind a 10-byte virtio-net header: one system call
 * then moves what would take dozens of MTU-sized packets.
 * tun_recv_multiple() cuts each super-packet it reads into the plain
 * packets a peer without offload would have received (GSO split), and
 * tun_send_multiple() merges consecutive packets of a flow back into
 * super-packets before it writes them (GRO), so that a forwarder between
 * two devices only ever handles plain packets.
 *
 * Both calls also work on a device without offload (any layer, any
 * platform): one packet per tun_recv_multiple(), one plain write per packet
 * in tun_send_multiple(), so that one code path serves every device.
 * tun_read() and tun_write() keep working on an offload device: a read
 * returns a super-packet whole (its checksum completed), a write sends one
 * plain packet.
 * ------------------------------------------------------------------------ */

/* Bytes of the virtio-net header: the headroom tun_send_multiple() needs in
 * front of each packet on an offload device. */
#define TUN_VNET_HDR_LEN 10
/* A good number of buffers for one tun_recv_multiple() or
 * tun_send_multiple(): a 64 KiB super-packet with segments of 512 bytes or
 * more fits. */
#define TUN_IDEAL_BATCH_SIZE 128
/* The largest packet any device hands over or takes: an IPv6 packet with a
 * 65535-byte payload (and more than any Ethernet frame at MTU 65535). */
#define TUN_PACKET_MAX 65575
/* A buffer size that suits every use below: TUN_VNET_HDR_LEN of headroom
 * and the largest packet. */
#define TUN_OFFLOAD_BUF_SIZE (TUN_VNET_HDR_LEN + TUN_PACKET_MAX)

/* A caller's packet buffer: capacity bytes at data; the packet itself
 * starts offset bytes in (the offset is an argument of the call, the same
 * for every buffer of a batch) and is len bytes long. The buffers stay the
 * caller's: the library only reads and writes them during a call. */
typedef struct tun_buf {
    uint8_t *data;
    size_t capacity;
    size_t len;
} tun_buf;

/* Read one packet from the device and write it out as plain packets into
 * bufs[0..count): packet i at bufs[i].data + offset, its length in
 * bufs[i].len (bufs[i].capacity and data are not changed). Returns how many
 * it wrote (at least 1). offset leaves headroom in front of each packet
 * (for a tunnel header, or TUN_VNET_HDR_LEN to pass the buffers on to
 * tun_send_multiple() unchanged).
 *
 * On an offload device a super-packet is split as Linux's own GSO would
 * cut it: IPv4 total length, identification (+1 per segment) and header
 * checksum, or IPv6 payload length; TCP sequence numbers advanced, FIN and
 * PSH on the last segment only, CWR on the first only; UDP length; every
 * TCP/UDP checksum computed in full. A packet the kernel left with a
 * partial checksum has it completed; any other packet passes unchanged.
 * Each buffer needs room for offset plus one segment (the MTU is always
 * enough). A super-packet with more segments than count (TUN_IDEAL_BATCH_SIZE
 * covers segments of 512 bytes or more) is handed over in parts: count
 * segments now, the rest first thing in the next calls on this handle,
 * before anything new is read; nothing is lost. When bufs[0] has room for
 * offset + TUN_PACKET_MAX the packet is read straight into it (no copy for
 * the first segment); otherwise it is read into the handle's own buffer
 * first. Without offload, one packet is read into bufs[0] as tun_read()
 * would.
 *
 * Blocks like tun_read() (or TUN_EAGAIN on a non-blocking device); an event
 * loop calls it until TUN_EAGAIN, as for tun_read(), which also collects
 * the parts of a super-packet. Errors: TUN_EINVAL (NULL pointer, count 0,
 * bufs[0] with NULL data or no room after offset; nothing is read),
 * TUN_EAGAIN, TUN_ECANCELED, TUN_ENODEV, and, for a packet that was read
 * and then dropped (nothing written past any buffer): TUN_EMSGSIZE (larger
 * than the buffer without offload; with offload, a buffer that a segment
 * goes to with NULL data or too small for offset plus the segment: the
 * buffers after bufs[0] are checked only as segments need them), TUN_EIO
 * (the kernel's header does not match the packet). Thread-safe: several threads may call it on one handle
 * (each packet, or part of one, goes to one of them); one queue per thread
 * (tun_clone_queue()) scales better. Allocates nothing. */
TUN_EXTERN int tun_recv_multiple(tun_device *dev, tun_buf *bufs, size_t count,
                                 size_t offset);

/* The reusable state of tun_send_multiple()'s GRO: a flow table and
 * per-packet records for batches of up to a fixed number of packets, so
 * that no call allocates. Owned by the caller; use one table per sending
 * thread (a table is not thread-safe), for any number of devices. */
typedef struct tun_gro_table tun_gro_table;

/* Allocate a table for batches of up to capacity packets (1..65536;
 * TUN_IDEAL_BATCH_SIZE is typical). Free it with tun_gro_table_free().
 * Errors: TUN_EINVAL (capacity out of range), TUN_ENOMEM. Thread-safe. */
TUN_EXTERN int tun_gro_table_new(size_t capacity, tun_gro_table **out);
/* Free a table; NULL is ignored. Not while another thread uses it, nor
 * while its writes are still to be read. */
TUN_EXTERN void tun_gro_table_free(tun_gro_table *table);

/* Write the packets bufs[0..count) (packet i is bufs[i].len bytes at
 * bufs[i].data + offset) to the device, in order. Returns count when all
 * were written.
 *
 * On an offload device, with a table, packets of one TCP flow that follow
 * each other (consecutive sequence numbers, in whatever order they are in
 * the batch, equal sizes but for a shorter last one, the same flags,
 * options and IP header fields) are merged into
 * super-packets of up to 64 KiB, and so are UDP datagrams of one flow when
 * the device has TUN_FLAG_UDP_GSO; everything else is written unchanged.
 * This needs offset >= TUN_VNET_HDR_LEN (the header is written in front of
 * each packet) and a table of capacity >= count. Nothing is copied to
 * merge: a super-packet is written as its first packet (headers rewritten)
 * followed by the payloads of the others, from their own buffers, so
 * buffers of any size merge up to 64 KiB (at most 256 packets). Only
 * packets whose checksums are right are merged (a corrupt one is written
 * alone, unchanged, for the kernel to drop); a flow's data goes out in
 * order of sequence numbers between its other packets (a pure ACK, a FIN:
 * nothing merges across them), packets of different flows may be
 * reordered. The contents and len of
 * written buffers are undefined after the call. Without offload, or with a
 * NULL table, each packet is written as tun_write() would.
 *
 * A packet of length 0 is skipped (counted as written). Partial failure:
 * a return n below count means bufs[n] could not be written. bufs[0..n)
 * were written; bufs[n..count) are as before the call, except that those
 * already written inside a super-packet now have len 0, so a call with
 * bufs + n and count - n resumes without losing or repeating a packet, and
 * reports bufs[n]'s error at once. The error of bufs[0] itself is
 * returned: TUN_EINVAL or TUN_EMSGSIZE mean the packet was refused (bad
 * headers, larger than the MTU): skip it and go on with bufs + 1;
 * TUN_EAGAIN (non-blocking device, queue full): wait until tun_device_fd()
 * is writable and call again; TUN_ECANCELED, TUN_ENODEV, TUN_EIO: the
 * device's state, as for tun_write(). TUN_EINVAL for the call itself, with
 * nothing written: NULL dev or bufs, a buffer whose offset + len exceeds
 * its capacity or whose data is NULL, and with offload and a table: offset
 * below TUN_VNET_HDR_LEN or count above the table's capacity.
 *
 * Thread-safe for the device (one thread may send while another receives;
 * two senders may interleave their packets), not for the table. Allocates
 * nothing. */
TUN_EXTERN int tun_send_multiple(tun_device *dev, tun_gro_table *table,
                                 tun_buf *bufs, size_t count, size_t offset);

/* ------------------------------------------------------------------------
 * The packet engine on its own: split and coalesce with any I/O
 *
 * What tun_recv_multiple() and tun_send_multiple() do between their reads
 * and writes, for a caller that does the I/O itself (io_uring, a userspace
 * network stack, a test harness, packets captured elsewhere): the same
 * code, no device, no system call, on every platform. Both batched calls
 * are built on these functions, so the behaviour is theirs exactly.
 *
 * The input of a split is what one read() of an offload descriptor gives:
 * a TUN_VNET_HDR_LEN-byte virtio-net header and a packet of up to 64 KiB.
 * The output of a coalesce is what one write() (or writev()) of such a
 * descriptor takes: header and packet. The header's fields are
 * little-endian, as on every offload device libtun opens (on a descriptor
 * of your own, ask the kernel for that first, or run on a little-endian
 * host).
 * ------------------------------------------------------------------------ */

/* Cut one packet read from an offload descriptor (the header vnet_hdr, then
 * the len-byte packet pkt) into the plain packets a peer without offload
 * would have received, exactly as tun_recv_multiple() does (see there),
 * starting at segment `first` (0 for the whole packet): segment first + i
 * is written at bufs[i].data + offset, its length in bufs[i].len, for as
 * many segments as the count buffers take. Returns how many it wrote and
 * stores in *total (if total is not NULL) how many the packet makes, so
 * that a caller with fewer buffers calls again with first + the count
 * written until first reaches *total. A packet without GSO makes one
 * (its partial checksum, if any, completed).
 *
 * pkt may lie exactly at bufs[0].data + offset (read there: the first
 * segment is then cut in place, no copy) when first is 0; if it then makes
 * more segments than count, nothing is written and TUN_ENOBUFS returned
 * (*total set), so that the caller moves it elsewhere and splits it in
 * parts. Otherwise pkt must not overlap any buffer. Every check is made
 * before anything is written. Errors: TUN_EINVAL (a NULL pointer, first
 * not below the segment count, or a header that does not match its
 * packet: an unknown GSO type, a checksum position outside the packet,
 * headers inconsistent with len), TUN_EMSGSIZE (a buffer cannot hold offset
 * plus its segment), TUN_ENOBUFS (above). Reads pkt and vnet_hdr, writes
 * only the buffers' bytes from offset on and their len. Thread-safe
 * (nothing shared); allocates nothing. */
TUN_EXTERN int tun_offload_split(const uint8_t *vnet_hdr, const uint8_t *pkt,
                                 size_t len, size_t first, tun_buf *bufs,
                                 size_t count, size_t offset, size_t *total);

/* Flag of tun_offload_coalesce(): merge UDP datagrams too (only for a
 * device that takes UDP super-packets: TUN_FLAG_UDP_GSO). */
#define TUN_COALESCE_UDP 0x1

/* Coalesce the packets bufs[0..count) (packet i is bufs[i].len bytes at
 * bufs[i].data + offset) into the writes an offload descriptor takes, with
 * the rules of tun_send_multiple() (see there): packets of a flow whose
 * sequence numbers follow each other, in whatever order they are in the
 * batch, become one super-packet of up to 64 KiB; everything else goes out
 * alone behind a zero header. Returns the number of writes n; write k
 * (0 <= k < n) is read with the four tun_offload_write calls below, and
 * the writes go out in order k = 0, 1, ... A packet of length 0 makes no
 * write.
 *
 * Nothing is copied: each write's virtio-net header is written into the
 * TUN_VNET_HDR_LEN bytes in front of the packet it goes out from (so offset
 * must be >= TUN_VNET_HDR_LEN), a super-packet's headers over that packet's
 * headers, and a super-packet is the slices of its packets' payloads where
 * they lie. Until the writes are done, the caller must not change bufs[]
 * or the buffers: the table keeps pointers to them. The contents of the
 * buffers that went out are undefined afterwards (tun_offload_write_failed()
 * gives back those that did not).
 *
 * Errors (nothing written): TUN_EINVAL for a NULL pointer, count above the
 * table's capacity, offset below TUN_VNET_HDR_LEN, or a buffer whose
 * offset + len exceeds its capacity. The table's state is replaced at
 * every call (the writes of the previous call can no longer be read). Not
 * thread-safe for the table (one per thread); allocates nothing. */
TUN_EXTERN int tun_offload_coalesce(tun_gro_table *table, tun_buf *bufs,
                                    size_t count, size_t offset,
                                    unsigned flags);

/* A piece of one write: len bytes at data (in the caller's buffers). */
typedef struct tun_slice {
    const uint8_t *data;
    size_t len;
} tun_slice;

/* The most slices of one write: one writev() takes them (IOV_MAX is 1024
 * on Linux, the BSDs and macOS). */
#define TUN_SLICES_MAX 257

/* Reading the writes of the table's latest tun_offload_coalesce(): this
 * call and the three below allocate nothing, and may run in any thread
 * but not during a coalesce or tun_offload_write_failed() on the table.
 *
 * After tun_offload_coalesce() returned n: the index in bufs of the packet
 * write k (below n) goes out from, where its header lies; SIZE_MAX for a
 * NULL table or k not below n. Rises with k: every packet before it went
 * out in an earlier write. */
TUN_EXTERN size_t tun_offload_write_index(const tun_gro_table *table,
                                          size_t k);

/* Write k as up to TUN_SLICES_MAX slices into out (room for
 * TUN_SLICES_MAX), in order; returns their count. Slice 0 starts with the
 * virtio-net header; their total length is the write's. One writev() of
 * them, or one io_uring writev, sends it. Valid until the next coalesce on
 * the table, while the buffers stay as they were. Returns 0 (nothing
 * written) for a NULL argument or k not below n. */
TUN_EXTERN size_t tun_offload_write_slices(const tun_gro_table *table,
                                           size_t k, tun_slice *out);

/* Write k copied whole (header and packet) into dst, room for cap bytes,
 * for a caller that needs it contiguous. Returns its length, or
 * TUN_ENOBUFS (nothing copied) when it does not fit (TUN_OFFLOAD_BUF_SIZE
 * always does for packets up to TUN_PACKET_MAX), TUN_EINVAL for a NULL
 * argument or k not below n. */
TUN_EXTERN int tun_offload_write_gather(const tun_gro_table *table, size_t k,
                                        uint8_t *dst, size_t cap);

/* Writes 0..k-1 went out but write k (below n) could not: give the batch
 * back to be sent later. Every packet of writes k.. gets its bytes from
 * before the coalesce back, and every packet after write k's index that
 * already went out in an earlier write gets len 0. Returns write k's index
 * r: bufs[0..r) all went out, and bufs + r, count - r is the rest, to
 * coalesce again (a packet of length 0 makes no write) or to send one by
 * one. The writes from k on are then gone from the table (a second call
 * for them changes nothing and returns count). For a NULL table, 0. */
TUN_EXTERN size_t tun_offload_write_failed(tun_gro_table *table, size_t k);

/* ------------------------------------------------------------------------
 * Checksums carried end to end (opt-in)
 *
 * By default every packet tun_recv_multiple() hands over has full TCP/UDP
 * checksums (computed for each segment), and tun_send_multiple() verifies
 * every packet's checksum before it merges it. A tunnel that authenticates
 * its packets (a VPN: WireGuard, IPsec, TLS/DTLS) needs neither: the
 * calls below, each the flagged twin of one above, take a per-packet flags
 * array beside the buffers (pflags[i] belongs to bufs[i]) and let a packet
 * keep the partial checksum the kernel handed over: its TCP or UDP
 * checksum field holds only the pseudo-header sum (the addresses,
 * protocol and length, folded, not complemented), to be finished by the
 * kernel that finally sends it. Sent packets so flagged are merged without
 * verification and written so that the kernel finishes the checksum
 * (alone or merged), in software if the packet leaves through a device
 * without checksum offload. On that path no full checksum is computed in
 * user space.
 *
 * When it is safe: only when something else guarantees the packet's bytes
 * between the receive and the send, because nobody checks them any more.
 * A tunnel that authenticates every packet (an AEAD or a MAC checked
 * before the packet is handed to the send call) does; a plain UDP or GRE
 * encapsulation, or a packet stored on disk, does not, and a flip in
 * transit would then reach the receiver with a checksum computed over the
 * damaged bytes. The flag must travel with the packet (one bit in the
 * tunnel's own header), and a packet must not be changed between the calls
 * in a way that alters its length or addresses without fixing the sum
 * (NAT must adjust the field as for any checksum, RFC 1624).
 * ------------------------------------------------------------------------ */

/* The per-packet flag: the packet's TCP or UDP checksum field (the
 * transport header right after the IP header) holds the pseudo-header
 * sum, not the checksum. */
#define TUN_PACKET_CSUM_PARTIAL 0x1

/* tun_offload_split() that keeps partial checksums: segment first + i also
 * gets pflags[i] (pflags has room for count entries):
 * TUN_PACKET_CSUM_PARTIAL when the header asks for the checksum to be
 * finished (as the kernel hands over what its own stack sent) at the
 * TCP/UDP checksum field, in which case the segment's field gets its own
 * pseudo-header sum and its payload is copied without being summed; 0
 * otherwise (the segment is as tun_offload_split() makes it). A NULL
 * pflags is tun_offload_split() exactly. Returns, errors, ownership and
 * the in-place rule as tun_offload_split(); pflags entries beyond the
 * segments written are not touched. Thread-safe (nothing shared);
 * allocates nothing. */
TUN_EXTERN int tun_offload_split_flagged(const uint8_t *vnet_hdr,
                                         const uint8_t *pkt, size_t len,
                                         size_t first, tun_buf *bufs,
                                         uint8_t *pflags, size_t count,
                                         size_t offset, size_t *total);

/* tun_offload_coalesce() for packets that may carry partial checksums:
 * packet i with TUN_PACKET_CSUM_PARTIAL in pflags[i] (pflags has count
 * entries, read only during the call) joins a run without its checksum
 * being verified, and when it goes out alone its header asks the kernel
 * to finish its checksum (a header without GSO, csum_start at its
 * transport header, csum_offset at the checksum field); a flagged packet
 * that is not a whole TCP or UDP packet goes out behind a zero header,
 * unchanged. Super-packets are written as tun_offload_coalesce() writes
 * them (they always ask the kernel to finish the checksum). Packets
 * without the flag are verified as there. A NULL pflags is
 * tun_offload_coalesce() exactly. Returns, errors, the reading of the
 * writes, ownership and thread-safety as tun_offload_coalesce();
 * allocates nothing. */
TUN_EXTERN int tun_offload_coalesce_flagged(tun_gro_table *table,
                                            tun_buf *bufs,
                                            const uint8_t *pflags,
                                            size_t count, size_t offset,
                                            unsigned flags);

/* tun_recv_multiple() keeping partial checksums: packet i also gets
 * pflags[i] (room for count entries), TUN_PACKET_CSUM_PARTIAL when its
 * checksum field holds the pseudo-header sum (see
 * tun_offload_split_flagged(); only an offload device hands such packets
 * over), 0 when its checksums are complete. A part of a super-packet
 * kept for the next calls is split the way the call that hands it over
 * asks. A NULL pflags is tun_recv_multiple() exactly. Returns, errors,
 * blocking and thread-safety as tun_recv_multiple(); allocates nothing. */
TUN_EXTERN int tun_recv_multiple_flagged(tun_device *dev, tun_buf *bufs,
                                         uint8_t *pflags, size_t count,
                                         size_t offset);

/* tun_send_multiple() for packets that may carry partial checksums
 * (pflags as in tun_offload_coalesce_flagged(), read only during the
 * call): on an offload device with a table, flagged packets are merged
 * without verification and every flagged packet, merged or alone, is
 * written so that the kernel finishes its checksum. Where the kernel
 * cannot be asked (no offload, a NULL table, or the rest of a batch
 * written unmerged after the kernel refused a super-packet) the flagged
 * packet's checksum is completed in its buffer before it is written (the
 * field is put back if that write fails, so a resumed call sees the
 * packet as before). A NULL pflags is tun_send_multiple() exactly.
 * Returns, errors, partial failure and thread-safety as
 * tun_send_multiple(); allocates nothing. */
TUN_EXTERN int tun_send_multiple_flagged(tun_device *dev,
                                         tun_gro_table *table, tun_buf *bufs,
                                         const uint8_t *pflags, size_t count,
                                         size_t offset);

/* ------------------------------------------------------------------------
 * Copy-free segments (opt-in)
 *
 * A split that copies no payload: each segment gets its own headers,
 * rebuilt in the caller's buffer, and a slice pointing into the
 * super-packet for its payload (a VPN encrypts straight from there, a
 * forwarder writes the segments back without ever having copied them);
 * the coalescer takes such packets (headers in a buffer, payload in a
 * slice) and writes a run whose payloads lie end to end in one
 * super-packet as one slice. Combined with the flags array of checksums
 * carried end to end, the payload is neither copied nor summed in user
 * space.
 * ------------------------------------------------------------------------ */

/* tun_offload_split_flagged() that leaves the payload where it is: segment
 * first + i gets its headers (IP and TCP/UDP, rebuilt as the default split
 * rebuilds them, checksums included) at hdrs[i].data + offset, their
 * length in hdrs[i].len, and its payload as payloads[i], a pointer into
 * pkt and a length (the headers followed by that payload are the segment).
 * A packet without GSO is written whole into hdrs[0] as the default split
 * writes it, with payloads[0] empty (NULL, 0). pflags (NULL: full
 * checksums, computed over the payload where it lies, without copying it)
 * as in tun_offload_split_flagged().
 *
 * Ownership and lifetime: the payload slices point into pkt, which stays
 * the caller's; they are valid while pkt is neither changed nor reused
 * (for a descriptor's read buffer: until the next read into that buffer).
 * pkt must not overlap any header buffer. Each buffer needs room for
 * offset plus the headers (a packet without GSO: plus the packet). Returns
 * the count written and *total as tun_offload_split() (part of a packet by
 * `first`); errors as there, and TUN_EINVAL for a NULL payloads.
 * Thread-safe (nothing shared); allocates nothing. */
TUN_EXTERN int tun_offload_split_slices(const uint8_t *vnet_hdr,
                                        const uint8_t *pkt, size_t len,
                                        size_t first, tun_buf *hdrs,
                                        tun_slice *payloads, uint8_t *pflags,
                                        size_t count, size_t offset,
                                        size_t *total);

/* tun_offload_coalesce_flagged() for packets that may have their payload
 * elsewhere: packet i is the bufs[i].len bytes at bufs[i].data + offset
 * followed by the payloads[i].len bytes at payloads[i].data (a slice of
 * length 0: the packet is all in its buffer), as tun_offload_split_slices()
 * hands them over. A packet whose payload is elsewhere merges only when its
 * buffer holds exactly its IP and TCP/UDP headers. The writes are read as
 * after tun_offload_coalesce() (tun_offload_write_slices() gives the
 * headers and then the payloads where they lie, payloads that lie end to
 * end as one slice; a packet alone is its buffer's bytes and its payload
 * slice). The table keeps pointers to bufs, payloads and every byte they
 * point at until the writes are done; pflags is read only during the
 * call. tun_offload_write_failed() gives packets that already went out
 * length 0 in bufs and in payloads. A NULL payloads is
 * tun_offload_coalesce_flagged() exactly. Errors as tun_offload_coalesce(),
 * and TUN_EINVAL for a payload slice with NULL data and a length, or
 * longer than TUN_PACKET_MAX. Not thread-safe for the table; allocates
 * nothing. */
TUN_EXTERN int tun_offload_coalesce_slices(tun_gro_table *table,
                                           tun_buf *bufs, tun_slice *payloads,
                                           const uint8_t *pflags, size_t count,
                                           size_t offset, unsigned flags);

/* tun_recv_multiple_flagged() with copy-free segments: read one packet
 * from the device into the caller's read_buf (read_size bytes; on an
 * offload device its TUN_VNET_HDR_LEN-byte header first, then the packet:
 * TUN_OFFLOAD_BUF_SIZE always suffices) and hand it over split as
 * tun_offload_split_slices() splits it: segment i's headers at
 * hdrs[i].data + offset (length in hdrs[i].len), its payload as
 * payloads[i], a pointer into read_buf; pflags (NULL: full checksums)
 * as in tun_recv_multiple_flagged(). Returns how many segments it handed
 * over (at least 1). A packet without GSO, and every packet of a device
 * without offload (any layer, any platform; read_buf is then not used),
 * is written whole into hdrs[0] with payloads[0] empty (NULL, 0), so
 * hdrs[0] needs room for offset plus the largest plain packet (the MTU);
 * the other buffers only ever take a segment's headers and need room for
 * offset plus 120 bytes (the longest IP and TCP headers), so they may lie
 * side by side in a small area, which keeps the headers the split writes
 * and the merge reads in a few cache lines and pages.
 *
 * A super-packet with more segments than count is handed over in parts:
 * count segments now, the rest first thing in the next calls on this
 * handle, which then read nothing and must be given the same read_buf;
 * nothing is lost. A call with another read_buf meanwhile drops the rest
 * and returns TUN_EINVAL (the call after it reads again).
 *
 * Ownership and lifetime: read_buf, hdrs, payloads and pflags stay the
 * caller's. The payload slices are valid until the caller changes
 * read_buf or passes it to a call that reads into it (the call after the
 * last part of a super-packet was handed over); the calls handing over
 * the rest of one super-packet leave the earlier slices valid. read_buf
 * must not overlap any header buffer.
 *
 * Blocking, errors and thread-safety as tun_recv_multiple(), and
 * TUN_EINVAL for a NULL dev, read_buf, hdrs or payloads, or a read_buf of
 * no more than TUN_VNET_HDR_LEN bytes (nothing read); TUN_EMSGSIZE: a
 * packet larger than read_buf (offload) or the first buffer (without),
 * dropped. Several threads may call it on one handle, each with its own
 * read_buf, only when count covers every super-packet
 * (TUN_IDEAL_BATCH_SIZE does for segments of 512 bytes or more: nothing
 * is then kept between calls); otherwise give each thread its own queue
 * (tun_clone_queue()). Allocates nothing. */
TUN_EXTERN int tun_recv_slices(tun_device *dev, uint8_t *read_buf,
                               size_t read_size, tun_buf *hdrs,
                               tun_slice *payloads, uint8_t *pflags,
                               size_t count, size_t offset);

/* tun_send_multiple_flagged() for packets whose payload may be elsewhere
 * (as tun_recv_slices() hands them over): packet i is the hdrs[i].len
 * bytes at hdrs[i].data + offset followed by payloads[i] (empty: the
 * packet is all in its buffer). On an offload device with a table the
 * batch is merged as tun_offload_coalesce_slices() merges it and each
 * write goes out as one gather write of its slices: no payload is copied
 * (a run cut from one super-packet goes out as its headers and one
 * slice). Without offload, or with a NULL table, each packet is written
 * as tun_send_multiple_flagged() writes it, which needs every payload
 * slice empty. hdrs, payloads, pflags and the bytes they point at are
 * read during the call only (they stay the caller's); the contents of the
 * header buffers and hdrs[].len are then as after tun_send_multiple().
 *
 * Returns, partial failure (packets already sent inside a super-packet
 * get length 0 in hdrs and payloads), errors and thread-safety as
 * tun_send_multiple_flagged(), and TUN_EINVAL (nothing written) for a NULL
 * payloads, a payload slice with NULL data and a length, or longer than
 * TUN_PACKET_MAX, or a non-empty one without offload or with a NULL table.
 * Allocates nothing. */
TUN_EXTERN int tun_send_slices(tun_device *dev, tun_gro_table *table,
                               tun_buf *hdrs, tun_slice *payloads,
                               const uint8_t *pflags, size_t count,
                               size_t offset);

#ifdef __cplusplus
}
#endif

#endif /* TUN_H */
