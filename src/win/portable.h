/* The parts of the Windows backend that need no Windows header: Win32 error
 * numbers and what they mean for libtun, GUID text, adapter names, ring
 * sizes and DNS server lists. Kept apart so that tests/unit/test_win_portable.c
 * runs them on every platform. */
#ifndef TUN_WIN_PORTABLE_H
#define TUN_WIN_PORTABLE_H

#include "../internal.h"

/* Win32 error numbers the backend tells apart (the values of winerror.h;
 * the Windows build checks each against the system header). */
enum tun_win_error {
    TUN_WIN_ERROR_FILE_NOT_FOUND = 2,
    TUN_WIN_ERROR_PATH_NOT_FOUND = 3,
    TUN_WIN_ERROR_ACCESS_DENIED = 5,
    TUN_WIN_ERROR_INVALID_HANDLE = 6,
    TUN_WIN_ERROR_NOT_ENOUGH_MEMORY = 8,
    TUN_WIN_ERROR_INVALID_DATA = 13,
    TUN_WIN_ERROR_OUTOFMEMORY = 14,
    TUN_WIN_ERROR_NOT_READY = 21,
    TUN_WIN_ERROR_GEN_FAILURE = 31,
    TUN_WIN_ERROR_SHARING_VIOLATION = 32,
    TUN_WIN_ERROR_HANDLE_EOF = 38,
    TUN_WIN_ERROR_NOT_SUPPORTED = 50,
    TUN_WIN_ERROR_DEV_NOT_EXIST = 55,
    TUN_WIN_ERROR_FILE_EXISTS = 80,
    TUN_WIN_ERROR_INVALID_PARAMETER = 87,
    TUN_WIN_ERROR_BUFFER_OVERFLOW = 111,
    TUN_WIN_ERROR_INSUFFICIENT_BUFFER = 122,
    TUN_WIN_ERROR_INVALID_NAME = 123,
    TUN_WIN_ERROR_MOD_NOT_FOUND = 126,
    TUN_WIN_ERROR_PROC_NOT_FOUND = 127,
    TUN_WIN_ERROR_BUSY = 170,
    TUN_WIN_ERROR_ALREADY_EXISTS = 183,
    TUN_WIN_ERROR_BAD_EXE_FORMAT = 193,
    TUN_WIN_ERROR_MORE_DATA = 234,
    TUN_WIN_ERROR_NO_MORE_ITEMS = 259,
    TUN_WIN_ERROR_ELEVATION_REQUIRED = 740,
    TUN_WIN_ERROR_OPERATION_ABORTED = 995,
    TUN_WIN_ERROR_IO_PENDING = 997,
    TUN_WIN_ERROR_DEVICE_NOT_CONNECTED = 1167,
    TUN_WIN_ERROR_NOT_FOUND = 1168,
    TUN_WIN_ERROR_CANCELLED = 1223,
    TUN_WIN_ERROR_NETWORK_UNREACHABLE = 1231,
    TUN_WIN_ERROR_TIMEOUT = 1460,
    TUN_WIN_ERROR_OBJECT_ALREADY_EXISTS = 5010
};

/* The TUN_E* code for a Win32 error (TUN_EIO for one not in the table). */
int tun_win_error_code(uint32_t win32_error);
/* The usual fix for a Win32 error, as " (run as Administrator)", or "". */
const char *tun_win_error_hint(uint32_t win32_error);

/* A GUID with the memory layout of the Windows GUID structure. */
typedef struct tun_win_guid {
    uint32_t data1;
    uint16_t data2;
    uint16_t data3;
    uint8_t data4[8];
} tun_win_guid;

/* "{XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX}" plus the NUL. */
#define TUN_WIN_GUID_TEXT 39

/* Parse "{...}" or the same without braces (hex digits in either case).
 * 0, or TUN_EINVAL with a reason. */
int tun_win_guid_parse(const char *text, tun_win_guid *out);
/* Write the braced upper-case form, as the registry spells it. */
void tun_win_guid_format(const tun_win_guid *guid,
                         char out[TUN_WIN_GUID_TEXT]);

/* UTF-16 code units of the UTF-8 text, NUL excluded; -1 when the text is
 * not valid UTF-8 (overlong forms, surrogates, beyond U+10FFFF). */
long tun_utf8_utf16_units(const char *text);

/* Longest adapter name (alias) in UTF-16 units: MAX_ADAPTER_NAME - 1. */
#define TUN_WIN_NAME_UNITS 127

/* The adapter name for number n from a pattern with one "%d" (or the name
 * itself without one). 0, or TUN_ENAMETOOLONG when it does not fit in
 * size bytes or in the Windows limit. */
int tun_win_name_expand(const char *pattern, unsigned n, char *out,
                        size_t size);

/* Wintun's session ring: a power of two from 128 KiB to 64 MiB. */
#define TUN_WINTUN_RING_MIN 0x20000u
#define TUN_WINTUN_RING_MAX 0x4000000u
#define TUN_WINTUN_RING_DEFAULT 0x400000u
int tun_win_check_ring_capacity(unsigned bytes);

/* The interface metric: 0 (automatic) to 9999; else TUN_ERANGE. */
int tun_win_check_metric(unsigned metric);

/* Parse a DNS server address and append it to list[0..*count) (room for
 * TUN_DNS_MAX): TUN_EINVAL (not an address), TUN_EEXIST (already there),
 * TUN_ENOSPC (full). */
int tun_win_dns_add(tun_address *list, size_t *count, const char *addr);

/* The DNS servers of one family as "a,b,c" (the form Windows takes), from
 * servers[0..count). Returns the number written, 0 if none of that family,
 * or TUN_ENOBUFS. */
int tun_win_dns_list(const tun_address *servers, size_t count, uint8_t family,
                     char *out, size_t size);

/* The two families, in the order of every per-family array. */
extern const uint8_t tun_win_families[2];

/* Room for one family's DNS server list as text, NUL included: libtun's
 * own lists (TUN_DNS_MAX addresses) and an adapter's that it keeps. */
#define TUN_WIN_DNS_TEXT (TUN_DNS_MAX * TUN_ADDRSTRLEN)

/* The static DNS servers an adapter had before a handle first changed them,
 * per family, as Windows keeps them (separated by commas or spaces), to be
 * put back when the handle lets the adapter go. All zero: nothing kept. */
typedef struct tun_win_dns_saved {
    bool kept[2];
    char servers[2][TUN_WIN_DNS_TEXT];
} tun_win_dns_saved;

/* Whether the family's servers are still to be read and kept: true until
 * tun_win_dns_save() keeps them, so that only the first change saves. */
bool tun_win_dns_to_save(const tun_win_dns_saved *saved, uint8_t family);
/* Keep the family's servers as read before the handle's first change: 0,
 * or TUN_ENOBUFS (nothing kept) when they do not fit. */
int tun_win_dns_save(tun_win_dns_saved *saved, uint8_t family,
                     const char *servers);
/* What to write as the family's servers when the handle lets the adapter
 * go: NULL to leave them (the handle never changed them), else the list
 * kept, or "" on an adapter the handle created (it had none, and Windows
 * would keep them for the next adapter with its GUID). */
const char *tun_win_dns_to_restore(const tun_win_dns_saved *saved,
                                   uint8_t family, bool created);

/* Waiting for a new adapter's IP interfaces: Windows binds its IPv4 and
 * IPv6 stacks to an adapter some time after wintun creates it, and until
 * then setting an MTU, a metric or an address finds no IP interface.
 * Families as bits: */
#define TUN_WIN_FAMILY_IPV4 1u
#define TUN_WIN_FAMILY_IPV6 2u
/* How long tun_open() waits for the first family, and then for the other
 * one (a family the system runs but the adapter never gets, as when an
 * administrator unbinds it, costs this much). */
#define TUN_WIN_BIND_FIRST_MS 10000u
#define TUN_WIN_BIND_REST_MS 1000u

typedef enum tun_win_bind_state {
    TUN_WIN_BOUND,        /* every family the system runs is on the adapter
                             (or the system reports none: nothing to wait
                             for) */
    TUN_WIN_BIND_WAIT,    /* keep waiting */
    TUN_WIN_BIND_PARTIAL, /* one family came, the other did not in time:
                             configure what is there */
    TUN_WIN_BIND_NONE     /* no family came in time */
} tun_win_bind_state;

/* The state after waited_ms of waiting, the first family (if any) having
 * come after first_ms (ignored while on_adapter is 0); on_adapter and
 * in_system are the families on the adapter and on any interface. */
tun_win_bind_state tun_win_bind_state_of(unsigned on_adapter,
                                         unsigned in_system,
                                         uint64_t waited_ms,
                                         uint64_t first_ms);

#endif
