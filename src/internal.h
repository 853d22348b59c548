/* Shared between the portable code and every OS backend; never installed. */
#ifndef TUN_INTERNAL_H
#define TUN_INTERNAL_H

#include "tun.h"

#include <stdarg.h>

/* What tun_config_* collects. Backends read it in tun_open(). */
struct tun_config {
    char name[TUN_NAME_MAX]; /* "" means the layer's default pattern */
    tun_layer layer;
    tun_address *addresses;
    size_t address_count;
    size_t address_capacity;
    unsigned mtu; /* 0: leave the system default */
    uint8_t mac[6];
    bool has_mac;
    tun_link_state up;
    bool packet_info;
    bool multi_queue;
    unsigned txqueuelen; /* 0: leave the system default */
    bool persist;
    long owner; /* -1: unset */
    long group; /* -1: unset */
    bool nonblocking;
    bool offload;
    bool exclusive;
    /* The first failure of a setter (0: none) and its reason, naming the
     * setter: what tun_config_validate() and tun_open() report. */
    int error;
    char error_reason[512];
    bool no_auto_route; /* tun_config_set_auto_route(false) */
    tun_route *routes; /* tun_config_add_route(), added after "up" */
    size_t route_count;
    size_t route_capacity;
#if defined(_WIN32)
    /* The Windows options (src/win/config.c); "" or 0 means the default. */
    char wintun_dll[TUN_NAME_MAX];
    char wintun_tunnel_type[TUN_NAME_MAX];
    unsigned wintun_ring_capacity;
    uint8_t guid[16]; /* a GUID's bytes in memory order */
    bool has_guid;
    char tap_component_id[TUN_NAME_MAX];
    unsigned metric;
    tun_address dns[TUN_DNS_MAX];
    size_t dns_count;
#endif
};

/* Every config setter starts here so a NULL config is an error, not a
 * crash. */
#define TUN_CONFIG_CHECK(cfg)                                                  \
    do {                                                                       \
        if (!(cfg))                                                            \
            return tun_fail(TUN_EINVAL, "%s: NULL config", __func__);          \
    } while (0)

/* What every setter returns through: rc as it is, and a failure (the
 * first one only) kept in cfg with the reason tun_fail() recorded,
 * prefixed by the setter's name. */
int tun_config_keep(tun_config *cfg, const char *setter, int rc);

/* How the log names a link state: "up", "down" or "inherited". */
const char *tun_link_state_name(tun_link_state state);

#if defined(_WIN32)
/* The Windows options (src/win/config.c), called by their public setters
 * with a config that is not NULL. */
int tun_win_set_wintun_dll(tun_config *cfg, const char *path);
int tun_win_set_wintun_tunnel_type(tun_config *cfg, const char *type);
int tun_win_set_wintun_ring_capacity(tun_config *cfg, unsigned bytes);
int tun_win_set_windows_guid(tun_config *cfg, const char *guid);
int tun_win_set_tap_component_id(tun_config *cfg, const char *id);
int tun_win_set_metric(tun_config *cfg, unsigned metric);
int tun_win_add_dns_server(tun_config *cfg, const char *addr);
#endif

/* Longest interface name the platform accepts, NUL excluded (on Windows in
 * UTF-16 units). */
#if defined(_WIN32)
#define TUN_PLATFORM_NAME_LEN 127
#else
#define TUN_PLATFORM_NAME_LEN 15
#endif

/* The printf dialect of format checks: on mingw-w64 the build uses its C99
 * printf (__USE_MINGW_ANSI_STDIO), which gcc calls gnu_printf. */
#if defined(__MINGW32__)
#define TUN_PRINTF_FORMAT gnu_printf
#else
#define TUN_PRINTF_FORMAT printf
#endif

/* Record why a call failed, for tun_last_error(), and return err so that a
 * failure path reads `return tun_fail(TUN_EPERM, "...", ...);`. */
int tun_fail(int err, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(TUN_PRINTF_FORMAT, 2, 3)))
#endif
    ;
/* As tun_fail() for an OS error number: appends strerror(errnum) and the
 * usual fix for it (privilege, missing module) to the step description. */
int tun_fail_errno(int errnum, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(TUN_PRINTF_FORMAT, 2, 3)))
#endif
    ;

/* A failure's reason (tun_last_error()) kept while the steps that undo
 * its work record their own: tun_reason_keep() before them, then
 * `return tun_fail(err, "%s", kept.text);`. */
typedef struct tun_kept_reason {
    char text[512]; /* as long as any reason */
} tun_kept_reason;
void tun_reason_keep(tun_kept_reason *kept);

/* What the calls of one platform answer on the others (src/linux_calls.c,
 * src/windows_calls.c): TUN_EINVAL when dev is NULL (a caller passes NULL
 * as well for another NULL argument), else TUN_ENOTSUP naming the call and
 * the platform it belongs to. */
int tun_fail_other_platform(const void *dev, const char *call,
                            const char *platform);

/* Send a message to the handler of tun_set_log_handler() (src/log.c), if
 * one is set for that level; costs one atomic load when none is. Never on
 * the packet I/O path, never while holding a lock of a device. */
void tun_log(tun_log_level level, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(TUN_PRINTF_FORMAT, 2, 3)))
#endif
    ;

/* What each backend does for tun_read(), tun_read_timeout() and
 * tun_write() (src/io.c) once the arguments are checked: dev and buf are
 * not NULL, size and len not 0. timeout_ms is -1 (no limit) or more;
 * honour_nonblocking says whether a non-blocking handle returns
 * TUN_EAGAIN instead of waiting. */
int tun_backend_read(tun_device *dev, void *buf, size_t size, int timeout_ms,
                     bool honour_nonblocking);
int tun_backend_write(tun_device *dev, const void *buf, size_t len);

/* What each backend does for tun_open() (src/config.c) once cfg and out are
 * known not NULL and tun_config_validate() passed. */
int tun_backend_open(const tun_config *cfg, tun_device **out);

/* Checks shared by the config setters and the run-time setters, each
 * recording its reason with tun_fail(). */
int tun_check_name(const char *name);
/* tun_check_name() for a rename, which needs a name, not a pattern. */
int tun_check_new_name(const char *name);
/* What every tun_device_get_name() ends with: the interface's name copied
 * into the caller's buf of size bytes, or TUN_ENOBUFS with a reason. */
int tun_give_name(const char *name, char *buf, size_t size);
int tun_check_mtu(unsigned mtu);
int tun_check_mac(const uint8_t mac[6]);
int tun_check_address(const tun_address *a);
/* tun_address_parse() that also requires the family (TUN_INET4/6). */
int tun_address_parse_family(tun_address *out, uint8_t family,
                             const char *addr, unsigned prefix,
                             const char *peer);
/* The value of a hexadecimal digit, or -1. */
int tun_hex_value(char c);
/* Batched I/O (src/batch.c), which every backend shares. The plain path:
 * each packet of bufs[0..count) written with tun_write(), with the return
 * convention of tun_send_multiple(); a packet flagged in pflags (NULL:
 * none) has its partial checksum completed first. */
int tun_send_plain(tun_device *dev, tun_buf *bufs, const uint8_t *pflags,
                   size_t count, size_t offset);
/* What an offload device does instead, in its backend (src/linux/offload.c);
 * called only for a device with TUN_FLAG_OFFLOAD, after the arguments were
 * checked (count >= 1 for receiving; buffers that hold their packets and a
 * table of enough capacity and offset >= TUN_VNET_HDR_LEN for sending).
 * Elsewhere src/batch.c defines them to return TUN_ENOTSUP. */
int tun_offload_recv(tun_device *dev, tun_buf *bufs, uint8_t *pflags,
                     size_t count, size_t offset);
int tun_offload_send(tun_device *dev, tun_gro_table *table, tun_buf *bufs,
                     tun_slice *payloads, const uint8_t *pflags, size_t count,
                     size_t offset);
/* tun_recv_slices() on an offload device (read_size > TUN_VNET_HDR_LEN;
 * payloads not NULL). */
int tun_offload_recv_slices(tun_device *dev, uint8_t *read_buf,
                            size_t read_size, tun_buf *hdrs,
                            tun_slice *payloads, uint8_t *pflags,
                            size_t count, size_t offset);

/* The TUN_FLAG_* bits fixed when the handle dev (not NULL) was made, read
 * without a system call, for the per-packet paths; tun_device_get_flags()
 * adds those that may change. */
unsigned tun_handle_flags(tun_device *dev);

/* Whether the two addresses name the same interface address (family and
 * address bytes; prefix and peer ignored). */
bool tun_address_same(const tun_address *a, const tun_address *b);

/* Write an IP address of the family (TUN_INET4/6) as inet_ntop() does into
 * out (room for 46 bytes); returns its length. */
size_t tun_format_ip(uint8_t family, const uint8_t *b, char *out);

/* ---- the control plane (src/route.c) ---- */

/* What tun_route_parse() refuses, for a route given as a struct: TUN_EINVAL
 * with a reason (and TUN_ENOTSUP for a table outside Linux). */
int tun_check_route(const tun_route *r);
/* What the platform's routing table cannot hold, for a route to be added
 * (at open or at run time): a metric on macOS, FreeBSD and NetBSD
 * (TUN_ENOTSUP), one above OpenBSD's highest priority (TUN_EINVAL). */
int tun_check_route_metric(const tun_route *r);
/* Whether two routes are the same entry: family, dest, prefix, table, and
 * gateway and metric where `pattern` sets them (a pattern's metric 0 and
 * missing gateway match any). */
bool tun_route_matches(const tun_route *pattern, const tun_route *r);
/* Whether a and b go to the same destination prefix the same way (on the
 * link, or through the same gateway), whatever their metrics: one route
 * where the system keys routes so (Windows). */
bool tun_route_same_path(const tun_route *a, const tun_route *b);
/* tun_route_format() into a buffer that always suffices, for reasons. */
const char *tun_route_text(const tun_route *r, char text[TUN_ROUTESTRLEN]);
/* The change notifications of each backend, behind tun_events_*()
 * (src/events.c reads the state and reports differences): subscribe for
 * dev's interface into *source (records a reason on failure), the object
 * to wait on, and drain: read every pending notification without
 * blocking, returning 1 when one may concern dev's interface (or some were
 * lost), 0 when there was none about it, or an error. */
int tun_backend_events_open(tun_device *dev, void **source);
tun_os_fd tun_backend_events_fd(const void *source);
int tun_backend_events_drain(void *source, tun_device *dev);
void tun_backend_events_close(void *source);

/* Append *item (size bytes) to a growing array of *count items and room
 * for *capacity; TUN_ENOMEM with a reason naming what. */
int tun_array_push(void **items, size_t *count, size_t *capacity,
                   size_t size, const void *item, const char *what);

#endif
