/* The Windows backend: wintun for L3 devices (wintun.c), tap-windows6 for L2
 * devices (tap.c), the IP Helper API for everything configured on the
 * interface (ipconfig.c), and the public calls that tie them (device.c). */
#ifndef TUN_WIN_DEVICE_H
#define TUN_WIN_DEVICE_H

#include "portable.h"

#include <winsock2.h>
#include <windows.h>
#include <ws2ipdef.h>
#include <iphlpapi.h>
#include <netioapi.h>

#include <stdatomic.h>

/* ---- wintun.dll, declared from its documentation (API of 0.14) ---------- */

typedef struct tun_wintun_adapter tun_wintun_adapter;
typedef struct tun_wintun_session tun_wintun_session;

typedef tun_wintun_adapter *(WINAPI tun_wintun_create_adapter_fn)(
    const WCHAR *name, const WCHAR *tunnel_type, const GUID *requested_guid);
typedef tun_wintun_adapter *(WINAPI tun_wintun_open_adapter_fn)(
    const WCHAR *name);
typedef void(WINAPI tun_wintun_close_adapter_fn)(tun_wintun_adapter *adapter);
typedef void(WINAPI tun_wintun_get_adapter_luid_fn)(tun_wintun_adapter *adapter,
                                                    NET_LUID *luid);
typedef tun_wintun_session *(WINAPI tun_wintun_start_session_fn)(
    tun_wintun_adapter *adapter, DWORD capacity);
typedef void(WINAPI tun_wintun_end_session_fn)(tun_wintun_session *session);
typedef HANDLE(WINAPI tun_wintun_get_read_wait_event_fn)(
    tun_wintun_session *session);
typedef BYTE *(WINAPI tun_wintun_receive_packet_fn)(tun_wintun_session *session,
                                                    DWORD *packet_size);
typedef void(WINAPI tun_wintun_release_receive_packet_fn)(
    tun_wintun_session *session, const BYTE *packet);
typedef BYTE *(WINAPI tun_wintun_allocate_send_packet_fn)(
    tun_wintun_session *session, DWORD packet_size);
typedef void(WINAPI tun_wintun_send_packet_fn)(tun_wintun_session *session,
                                               const BYTE *packet);

/* WINTUN_LOGGER_CALLBACK; its levels are WINTUN_LOG_INFO, _WARN, _ERR. */
typedef void(CALLBACK tun_wintun_logger_fn)(int level, DWORD64 timestamp,
                                            const WCHAR *message);
typedef void(WINAPI tun_wintun_set_logger_fn)(tun_wintun_logger_fn *logger);
enum { TUN_WINTUN_LOG_INFO, TUN_WINTUN_LOG_WARN, TUN_WINTUN_LOG_ERR };

/* WINTUN_MAX_IP_PACKET_SIZE */
#define TUN_WINTUN_MAX_PACKET 0xffffu

struct tun_wintun {
    HMODULE dll;
    tun_wintun_create_adapter_fn *create_adapter;
    tun_wintun_open_adapter_fn *open_adapter;
    tun_wintun_close_adapter_fn *close_adapter;
    tun_wintun_get_adapter_luid_fn *get_adapter_luid;
    tun_wintun_start_session_fn *start_session;
    tun_wintun_end_session_fn *end_session;
    tun_wintun_get_read_wait_event_fn *get_read_wait_event;
    tun_wintun_receive_packet_fn *receive_packet;
    tun_wintun_release_receive_packet_fn *release_receive_packet;
    tun_wintun_allocate_send_packet_fn *allocate_send_packet;
    tun_wintun_send_packet_fn *send_packet;
    tun_wintun_adapter *adapter;
    tun_wintun_session *session;
    HANDLE read_event; /* owned by the session: never closed here */
};

/* ---- tap-windows6 ------------------------------------------------------- */

/* Ethernet header plus one VLAN tag over the MTU; the read buffer holds the
 * largest frame any MTU allows. */
#define TUN_TAP_FRAME_HEADER 18
#define TUN_TAP_FRAME_MAX (TUN_MTU_MAX + TUN_TAP_FRAME_HEADER)

struct tun_tap {
    HANDLE file;              /* \\.\Global\{GUID}.tap, overlapped */
    SRWLOCK read_lock;        /* one reader at a time owns read_* */
    SRWLOCK write_lock;       /* one writer at a time owns write_ov */
    OVERLAPPED read_ov;       /* hEvent: what tun_device_fd() returns */
    OVERLAPPED write_ov;
    bool read_pending;        /* a ReadFile into read_buf is in flight */
    uint8_t read_buf[TUN_TAP_FRAME_MAX];
};

/* ---- the device --------------------------------------------------------- */

struct tun_device {
    unsigned flags;      /* TUN_FLAG_L2, TUN_FLAG_PERSIST (at open) */
    NET_LUID luid;       /* what every IP Helper call is keyed by */
    HANDLE interrupt;    /* manual-reset event, set by tun_interrupt() */
    atomic_bool nonblocking;
    /* Each family's last MTU seen, 0 before the first write; re-read when
     * a packet looks too big. A family the interface does not run has no
     * limit but the driver's. */
    atomic_uint mtu, mtu6;
    /* Addresses added through this handle (tun_open and run time): the
     * peer routes to remove with them, and what a non-persistent TAP
     * adapter, which outlives the handle, loses at close. */
    SRWLOCK added_lock;
    tun_address *added;
    size_t added_count;
    size_t added_capacity;
    tun_route *routes;   /* routes added through this handle (added_lock),
                            taken back with the addresses */
    size_t route_count;
    size_t route_capacity;
    /* The adapter's own DNS servers before this handle first changed
     * them (added_lock), put back when the handle lets the adapter go. */
    tun_win_dns_saved dns_saved;
    atomic_bool clean_at_close; /* the adapter outlives the handle but must
                                   not keep what the handle configured; the
                                   opposite of TUN_FLAG_PERSIST once open */
    struct tun_wintun wintun; /* L3 */
    struct tun_tap tap;       /* L2 */
};

/* ---- error.c ------------------------------------------------------------ */

/* As tun_fail() for a Win32 error: appends the system's text for it, its
 * number and the usual fix, and returns the mapped TUN_E* code. */
int tun_win_fail(DWORD err, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(TUN_PRINTF_FORMAT, 2, 3)))
#endif
    ;
/* UTF-8 to UTF-16 into out (units, NUL included); TUN_EINVAL or
 * TUN_ENAMETOOLONG with a reason naming what. */
int tun_win_widen(const char *text, WCHAR *out, size_t units,
                  const char *what);
/* UTF-16 to UTF-8 into out; TUN_ENOBUFS when it does not fit. */
int tun_win_narrow(const WCHAR *text, char *out, size_t size);

/* ---- wintun.c ----------------------------------------------------------- */

/* Load wintun.dll, create or open the adapter named by cfg, start its
 * session; fills dev->wintun and dev->luid. *existed tells whether the
 * adapter was there before (it then outlives the handle). */
int tun_wintun_open(const tun_config *cfg, tun_device *dev, bool *existed);
void tun_wintun_close(tun_device *dev);
int tun_wintun_read(tun_device *dev, void *buf, size_t size, int timeout_ms,
                    bool honour_nonblocking);
int tun_wintun_write(tun_device *dev, const void *buf, size_t len);

/* ---- tap.c -------------------------------------------------------------- */

/* Find the tap-windows6 adapter cfg asks for, open it and start reading;
 * fills dev->tap and dev->luid. */
int tun_tap_open(const tun_config *cfg, tun_device *dev);
void tun_tap_close(tun_device *dev);
int tun_tap_read(tun_device *dev, void *buf, size_t size, int timeout_ms,
                 bool honour_nonblocking);
int tun_tap_write(tun_device *dev, const void *buf, size_t len);
int tun_tap_set_media(tun_device *dev, bool connected);
int tun_tap_get_mac(tun_device *dev, uint8_t mac[6]);

/* ---- device.c: waiting shared by both drivers --------------------------- */

/* TUN_ECANCELED (with a reason) while tun_interrupt() is in force, else 0. */
int tun_win_check_interrupt(tun_device *dev);
/* The absolute GetTickCount64() deadline of timeout_ms (-1: none, 0). */
ULONGLONG tun_win_deadline(int timeout_ms);
/* Wait for ready to be signalled, an interrupt or the deadline: 0,
 * TUN_ECANCELED, TUN_ETIMEDOUT. */
int tun_win_wait(tun_device *dev, HANDLE ready, ULONGLONG deadline);

/* ---- ipconfig.c --------------------------------------------------------- */

/* Wait until the system has bound the IP families it runs to the interface
 * of a just created adapter (TUN_WIN_BIND_FIRST_MS for the first, then
 * TUN_WIN_BIND_REST_MS for the other): 0, or TUN_ETIMEDOUT when neither
 * came. Without it an MTU, metric or address set right after creation may
 * find no IP interface. */
int tun_ip_wait_bound(const NET_LUID *luid);
/* The MTU of each family, 0 for a family the interface does not run. */
int tun_ip_get_mtus(const NET_LUID *luid, unsigned *ipv4, unsigned *ipv6);
/* IPv4's MTU, else IPv6's; TUN_ENODEV when it runs neither. */
int tun_ip_get_mtu(const NET_LUID *luid, unsigned *mtu);
/* Both families; a family the interface does not run is skipped. */
int tun_ip_set_mtu(const NET_LUID *luid, unsigned mtu);
/* IPv6's alone; TUN_ENOTSUP when IPv6 does not run there. */
int tun_ip_set_ipv6_mtu(const NET_LUID *luid, unsigned mtu);
int tun_ip_set_metric(const NET_LUID *luid, unsigned metric);
int tun_ip_list(const NET_LUID *luid, tun_address *out, size_t capacity,
                size_t *count);
/* The address and, for a peer, the route to the peer's prefix;
 * *route_made says whether this call made that route (false when it was
 * there already, which is then not this handle's to remove). */
int tun_ip_add(const NET_LUID *luid, const tun_address *a, bool *route_made);
int tun_ip_remove(const NET_LUID *luid, const tun_address *a);
/* The forward-table row of route r through the interface (no next hop:
 * on the link), as Create/DeleteIpForwardEntry2 take it. */
void tun_ip_route_row(const NET_LUID *luid, const tun_route *r,
                      MIB_IPFORWARD_ROW2 *row);
/* Replace the DNS servers of both families (count 0 clears them; a family
 * without a server in the list is cleared too). */
int tun_ip_set_dns(const NET_LUID *luid, const tun_address *servers,
                   size_t count);
/* One family's static DNS servers as Windows keeps them (separated by
 * commas or spaces; "" for none), read into out (TUN_WIN_DNS_TEXT bytes),
 * and written back. */
int tun_ip_get_dns_text(const NET_LUID *luid, uint8_t family, char *out,
                        size_t size);
int tun_ip_set_dns_text(const NET_LUID *luid, uint8_t family,
                        const char *list);
int tun_ip_get_name(const NET_LUID *luid, char *buf, size_t size);
int tun_ip_get_index(const NET_LUID *luid, unsigned *index);
int tun_ip_get_up(const NET_LUID *luid, bool *up);

/* ---- control.c: the control plane ------------------------------------- */

/* Add a route through the interface and remember it (taken back with the
 * addresses by tun_win_forget_routes()); a failure names the route. */
int tun_win_add_route(tun_device *dev, const tun_route *r);
/* Remove every route this handle added (best effort). */
void tun_win_forget_routes(tun_device *dev);

#endif
