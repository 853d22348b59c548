/* The wintun stand-in (see wintun_standin.h): written from wintun 0.14's
 * documented API. Each session has two rings of the capacity asked for, as
 * wintun's: packets queued for the program (received with
 * WintunReceivePacket, freed in order as they are released) and packets the
 * program sends (allocated in order, taken by the "system" once sent). A
 * packet takes its 4-byte size and its bytes rounded up to 4; it never wraps
 * (the ring has 64 KiB of trailing room, as wintun's does). */
#include <winsock2.h>
#include <windows.h>
#include <ifdef.h>

#define WINTUN_STANDIN_BUILD
#include "wintun_standin.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#define RING_MIN 0x20000u        /* WINTUN_MIN_RING_CAPACITY */
#define RING_MAX 0x4000000u      /* WINTUN_MAX_RING_CAPACITY */
#define PACKET_MAX 0xffffu       /* WINTUN_MAX_IP_PACKET_SIZE */
#define RING_TRAILING 0x10000u   /* room after the ring: no packet wraps */
#define NAME_UNITS 128           /* MAX_ADAPTER_NAME, NUL included */
#define ADAPTERS_MAX 256
/* In a slot's size word: released (to the program) / not yet sent (from it). */
#define SLOT_FLAG 0x80000000u

typedef enum { LOG_INFO, LOG_WARN, LOG_ERR } standin_log_level;
typedef void(CALLBACK *standin_logger)(standin_log_level level,
                                       DWORD64 timestamp,
                                       const WCHAR *message);

struct ring {
    BYTE *data; /* capacity + RING_TRAILING bytes */
    ULONG head; /* the oldest slot in use */
    ULONG next; /* to the program: the next slot to hand out */
    ULONG tail; /* where the next packet goes */
};

struct adapter;

struct session {
    struct adapter *adapter;
    SRWLOCK lock; /* both rings and ended */
    ULONG capacity;
    struct ring to_program, from_program;
    HANDLE read_event; /* auto-reset, as wintun's */
    bool ended;        /* the adapter was removed: ERROR_HANDLE_EOF */
    bool send_ended;   /* the system met a packet that is not IP: sends
                          give ERROR_HANDLE_EOF, as wintun's driver stops
                          taking packets from the ring */
};

struct adapter {
    WCHAR name[NAME_UNITS];
    NET_LUID luid;
    bool removed;
    bool orphan;
    struct session *session;
};

struct handle {
    struct adapter *adapter;
    bool created; /* closing it removes the adapter */
};

/* The API, as wintun.h 0.14 declares it (with opaque handle types). */
#define WINTUN_API __declspec(dllexport)
WINTUN_API struct handle *WINAPI WintunCreateAdapter(const WCHAR *name,
                                                     const WCHAR *tunnel_type,
                                                     const GUID *requested_guid);
WINTUN_API struct handle *WINAPI WintunOpenAdapter(const WCHAR *name);
WINTUN_API void WINAPI WintunCloseAdapter(struct handle *h);
WINTUN_API BOOL WINAPI WintunDeleteDriver(void);
WINTUN_API void WINAPI WintunGetAdapterLUID(struct handle *h, NET_LUID *luid);
WINTUN_API DWORD WINAPI WintunGetRunningDriverVersion(void);
WINTUN_API void WINAPI WintunSetLogger(standin_logger new_logger);
WINTUN_API struct session *WINAPI WintunStartSession(struct handle *h,
                                                     DWORD capacity);
WINTUN_API void WINAPI WintunEndSession(struct session *s);
WINTUN_API HANDLE WINAPI WintunGetReadWaitEvent(struct session *s);
WINTUN_API BYTE *WINAPI WintunReceivePacket(struct session *s,
                                            DWORD *packet_size);
WINTUN_API void WINAPI WintunReleaseReceivePacket(struct session *s,
                                                  const BYTE *packet);
WINTUN_API BYTE *WINAPI WintunAllocateSendPacket(struct session *s,
                                                 DWORD size);
WINTUN_API void WINAPI WintunSendPacket(struct session *s, const BYTE *packet);

/* Adapters are never freed (a test process is short-lived): a handle or a
 * session may point to a removed one. */
static SRWLOCK adapters_lock = SRWLOCK_INIT;
static struct adapter adapters[ADAPTERS_MAX];
static unsigned adapter_count;
static SRWLOCK logger_lock = SRWLOCK_INIT;
static standin_logger logger;

static void standin_log(standin_log_level level, const WCHAR *message)
{
    AcquireSRWLockShared(&logger_lock);
    standin_logger log = logger;
    ReleaseSRWLockShared(&logger_lock);
    if (!log)
        return;
    FILETIME now;
    GetSystemTimeAsFileTime(&now);
    log(level, ((DWORD64)now.dwHighDateTime << 32) | now.dwLowDateTime,
        message);
}

static ULONG slot_size(ULONG size)
{
    return (ULONG)(sizeof(ULONG) + size + 3) & ~3u;
}

static ULONG ring_used(const struct session *s, const struct ring *r)
{
    return (r->tail - r->head) & (s->capacity - 1);
}

static ULONG *ring_slot(const struct ring *r, ULONG offset)
{
    return (ULONG *)(void *)(r->data + offset);
}

/* Reserve a slot of size bytes at the tail: its packet bytes, or NULL when
 * the ring lacks room (a full ring never looks empty: head == tail). */
static BYTE *ring_push(struct session *s, struct ring *r, ULONG size,
                       ULONG flags)
{
    ULONG need = slot_size(size);
    if (ring_used(s, r) + need >= s->capacity)
        return NULL;
    *ring_slot(r, r->tail) = size | flags;
    BYTE *packet = r->data + r->tail + sizeof(ULONG);
    r->tail = (r->tail + need) & (s->capacity - 1);
    return packet;
}

/* ---- adapters ------------------------------------------------------------ */

static struct adapter *find_adapter(const WCHAR *name)
{
    for (unsigned i = 0; i < adapter_count; i++)
        if (!adapters[i].removed && wcscmp(adapters[i].name, name) == 0)
            return &adapters[i];
    return NULL;
}

static bool valid_text(const WCHAR *text)
{
    return text && text[0] && wcslen(text) < NAME_UNITS;
}

/* The session of an adapter ends under the program: calls give
 * ERROR_HANDLE_EOF, a waiting reader wakes. */
static void end_under_program(struct adapter *a)
{
    struct session *s = a->session;
    if (!s)
        return;
    AcquireSRWLockExclusive(&s->lock);
    s->ended = true;
    ReleaseSRWLockExclusive(&s->lock);
    SetEvent(s->read_event);
}

static struct handle *new_handle(struct adapter *a, bool created)
{
    struct handle *h = calloc(1, sizeof(*h));
    if (!h) {
        SetLastError(ERROR_NOT_ENOUGH_MEMORY);
        return NULL;
    }
    h->adapter = a;
    h->created = created;
    return h;
}

WINTUN_API struct handle *WINAPI
WintunCreateAdapter(const WCHAR *name, const WCHAR *tunnel_type,
                    const GUID *requested_guid)
{
    (void)requested_guid;
    if (!valid_text(name) || !valid_text(tunnel_type)) {
        SetLastError(ERROR_INVALID_PARAMETER);
        return NULL;
    }
    AcquireSRWLockExclusive(&adapters_lock);
    struct handle *h = NULL;
    if (adapter_count == ADAPTERS_MAX) {
        SetLastError(ERROR_TOO_MANY_NAMES);
        goto out;
    }
    standin_log(LOG_INFO, L"Creating adapter");
    /* As wintun: an orphan of the name is removed; an adapter in use that
     * has the name is renamed "<name> 1" (or the next number free). */
    struct adapter *other = find_adapter(name);
    if (other && other->orphan) {
        other->removed = true;
        standin_log(LOG_INFO, L"Removed orphaned adapter");
    } else if (other) {
        WCHAR renamed[NAME_UNITS];
        for (unsigned n = 1;; n++) {
            _snwprintf(renamed, NAME_UNITS, L"%ls %u", name, n);
            renamed[NAME_UNITS - 1] = 0;
            if (!find_adapter(renamed))
                break;
        }
        wcscpy(other->name, renamed);
        standin_log(LOG_WARN, L"Renamed the adapter that had the name");
    }
    struct adapter *a = &adapters[adapter_count];
    memset(a, 0, sizeof(*a));
    wcscpy(a->name, name);
    a->luid.Info.IfType = IF_TYPE_PROP_VIRTUAL;
    a->luid.Info.NetLuidIndex = (adapter_count + 1) & 0xffffffu;
    if ((h = new_handle(a, true)))
        adapter_count++;
out:
    ReleaseSRWLockExclusive(&adapters_lock);
    return h;
}

WINTUN_API struct handle *WINAPI WintunOpenAdapter(const WCHAR *name)
{
    if (!valid_text(name)) {
        SetLastError(ERROR_INVALID_PARAMETER);
        return NULL;
    }
    AcquireSRWLockExclusive(&adapters_lock);
    /* As wintun, which looks among present devices only: an orphan's
     * device is gone, so it is not found. */
    struct adapter *a = find_adapter(name);
    if (a && a->orphan)
        a = NULL;
    struct handle *h = NULL;
    if (!a) {
        standin_log(LOG_ERR, L"Failed to find matching adapter name");
        SetLastError(ERROR_NOT_FOUND);
    } else {
        h = new_handle(a, false);
    }
    ReleaseSRWLockExclusive(&adapters_lock);
    return h;
}

WINTUN_API void WINAPI WintunCloseAdapter(struct handle *h)
{
    if (!h)
        return;
    AcquireSRWLockExclusive(&adapters_lock);
    if (h->created && !h->adapter->removed) {
        end_under_program(h->adapter);
        h->adapter->removed = true;
    }
    ReleaseSRWLockExclusive(&adapters_lock);
    free(h);
}

WINTUN_API BOOL WINAPI WintunDeleteDriver(void)
{
    return TRUE;
}

WINTUN_API void WINAPI WintunGetAdapterLUID(struct handle *h,
                                                       NET_LUID *luid)
{
    *luid = h->adapter->luid;
}

WINTUN_API DWORD WINAPI WintunGetRunningDriverVersion(void)
{
    return 14; /* 0.14: major in the high word, minor in the low one */
}

WINTUN_API void WINAPI WintunSetLogger(standin_logger new_logger)
{
    AcquireSRWLockExclusive(&logger_lock);
    logger = new_logger;
    ReleaseSRWLockExclusive(&logger_lock);
}

/* ---- sessions ------------------------------------------------------------ */

WINTUN_API struct session *WINAPI
WintunStartSession(struct handle *h, DWORD capacity)
{
    if (capacity < RING_MIN || capacity > RING_MAX ||
        (capacity & (capacity - 1))) {
        SetLastError(ERROR_INVALID_PARAMETER);
        return NULL;
    }
    struct session *s = calloc(1, sizeof(*s));
    if (s) {
        s->to_program.data = calloc(1, capacity + RING_TRAILING);
        s->from_program.data = calloc(1, capacity + RING_TRAILING);
        s->read_event = CreateEventW(NULL, FALSE, FALSE, NULL);
    }
    if (!s || !s->to_program.data || !s->from_program.data ||
        !s->read_event) {
        if (s) {
            if (s->read_event)
                CloseHandle(s->read_event);
            free(s->to_program.data);
            free(s->from_program.data);
            free(s);
        }
        SetLastError(ERROR_NOT_ENOUGH_MEMORY);
        return NULL;
    }
    InitializeSRWLock(&s->lock);
    s->capacity = capacity;
    s->adapter = h->adapter;
    AcquireSRWLockExclusive(&adapters_lock);
    DWORD err = NO_ERROR;
    if (h->adapter->removed)
        err = ERROR_DEVICE_NOT_AVAILABLE;
    else if (h->adapter->session)
        err = ERROR_ALREADY_INITIALIZED; /* the driver's answer: in use */
    else {
        h->adapter->session = s;
        h->adapter->orphan = false;
    }
    ReleaseSRWLockExclusive(&adapters_lock);
    if (err != NO_ERROR) {
        CloseHandle(s->read_event);
        free(s->to_program.data);
        free(s->from_program.data);
        free(s);
        SetLastError(err);
        return NULL;
    }
    return s;
}

WINTUN_API void WINAPI WintunEndSession(struct session *s)
{
    AcquireSRWLockExclusive(&adapters_lock);
    if (s->adapter->session == s)
        s->adapter->session = NULL;
    ReleaseSRWLockExclusive(&adapters_lock);
    CloseHandle(s->read_event);
    free(s->to_program.data);
    free(s->from_program.data);
    free(s);
}

WINTUN_API HANDLE WINAPI WintunGetReadWaitEvent(struct session *s)
{
    return s->read_event;
}

WINTUN_API BYTE *WINAPI WintunReceivePacket(struct session *s,
                                                       DWORD *packet_size)
{
    AcquireSRWLockExclusive(&s->lock);
    struct ring *r = &s->to_program;
    BYTE *packet = NULL;
    if (s->ended) {
        SetLastError(ERROR_HANDLE_EOF);
    } else if (r->next == r->tail) {
        SetLastError(ERROR_NO_MORE_ITEMS);
    } else {
        ULONG size = *ring_slot(r, r->next);
        *packet_size = size;
        packet = r->data + r->next + sizeof(ULONG);
        r->next = (r->next + slot_size(size)) & (s->capacity - 1);
    }
    ReleaseSRWLockExclusive(&s->lock);
    return packet;
}

/* Released in any order; the ring frees its oldest slots once released. */
WINTUN_API void WINAPI
WintunReleaseReceivePacket(struct session *s, const BYTE *packet)
{
    AcquireSRWLockExclusive(&s->lock);
    struct ring *r = &s->to_program;
    *ring_slot(r, (ULONG)(packet - sizeof(ULONG) - r->data)) |= SLOT_FLAG;
    while (r->head != r->next && (*ring_slot(r, r->head) & SLOT_FLAG)) {
        ULONG size = *ring_slot(r, r->head) & ~SLOT_FLAG;
        r->head = (r->head + slot_size(size)) & (s->capacity - 1);
    }
    ReleaseSRWLockExclusive(&s->lock);
}

WINTUN_API BYTE *WINAPI WintunAllocateSendPacket(struct session *s,
                                                            DWORD size)
{
    if (size == 0 || size > PACKET_MAX) {
        SetLastError(ERROR_INVALID_PARAMETER);
        return NULL;
    }
    AcquireSRWLockExclusive(&s->lock);
    BYTE *packet = NULL;
    if (s->ended || s->send_ended)
        SetLastError(ERROR_HANDLE_EOF);
    else if (!(packet = ring_push(s, &s->from_program, size, SLOT_FLAG)))
        SetLastError(ERROR_BUFFER_OVERFLOW);
    ReleaseSRWLockExclusive(&s->lock);
    return packet;
}

/* Sent packets reach the system in the order they were allocated. */
WINTUN_API void WINAPI WintunSendPacket(struct session *s,
                                                   const BYTE *packet)
{
    AcquireSRWLockExclusive(&s->lock);
    struct ring *r = &s->from_program;
    *ring_slot(r, (ULONG)(packet - sizeof(ULONG) - r->data)) &= ~SLOT_FLAG;
    ReleaseSRWLockExclusive(&s->lock);
}

/* ---- the system's side, driven by the test ------------------------------- */

/* The named adapter, with the adapters' lock held (released by the caller
 * whatever the answer); NULL when there is none. */
static struct adapter *lock_adapter(const char *adapter)
{
    WCHAR name[NAME_UNITS];
    AcquireSRWLockExclusive(&adapters_lock);
    if (!MultiByteToWideChar(CP_UTF8, 0, adapter, -1, name, NAME_UNITS))
        return NULL;
    return find_adapter(name);
}

/* The session of the named adapter with its lock held, or NULL. The
 * program ends a session only once the test's system side is done with
 * it, so the session outlives the adapters' lock here. */
static struct session *lock_session(const char *adapter)
{
    struct adapter *a = lock_adapter(adapter);
    struct session *s = a ? a->session : NULL;
    if (s)
        AcquireSRWLockExclusive(&s->lock);
    ReleaseSRWLockExclusive(&adapters_lock);
    return s;
}

STANDIN_API DWORD standin_inject(const char *adapter, const void *packet,
                                 DWORD size)
{
    if (size == 0 || size > PACKET_MAX)
        return ERROR_INVALID_PARAMETER;
    struct session *s = lock_session(adapter);
    if (!s)
        return ERROR_NOT_FOUND;
    /* The event is set only when the ring was empty (the least a driver
     * may promise: a reader must find the ring empty before it waits). */
    struct ring *r = &s->to_program;
    bool was_empty = r->next == r->tail; /* nothing left unread */
    BYTE *slot = ring_push(s, r, size, 0);
    if (slot)
        memcpy(slot, packet, size);
    ReleaseSRWLockExclusive(&s->lock);
    if (!slot)
        return ERROR_BUFFER_OVERFLOW;
    if (was_empty)
        SetEvent(s->read_event);
    return NO_ERROR;
}

STANDIN_API DWORD standin_collect(const char *adapter, void *buf, DWORD size,
                                  DWORD *len)
{
    struct session *s = lock_session(adapter);
    if (!s)
        return ERROR_NOT_FOUND;
    struct ring *r = &s->from_program;
    DWORD err = ERROR_NO_MORE_ITEMS;
    if (s->send_ended) {
        err = ERROR_HANDLE_EOF;
    } else if (r->head != r->tail && !(*ring_slot(r, r->head) & SLOT_FLAG)) {
        ULONG packet = *ring_slot(r, r->head);
        BYTE version = r->data[r->head + sizeof(ULONG)] >> 4;
        *len = packet;
        err = ERROR_INSUFFICIENT_BUFFER;
        /* wintun's driver takes IPv4 of 20 bytes or more and IPv6 of 40 or
         * more; at anything else it stops reading the ring for good. */
        if (!(version == 4 && packet >= 20) &&
            !(version == 6 && packet >= 40)) {
            s->send_ended = true;
            err = ERROR_INVALID_DATA;
        } else if (packet <= size) {
            memcpy(buf, r->data + r->head + sizeof(ULONG), packet);
            r->head = (r->head + slot_size(packet)) & (s->capacity - 1);
            err = NO_ERROR;
        }
    }
    ReleaseSRWLockExclusive(&s->lock);
    return err;
}

STANDIN_API DWORD standin_remove(const char *adapter)
{
    struct adapter *a = lock_adapter(adapter);
    if (a) {
        end_under_program(a);
        a->removed = true;
    }
    ReleaseSRWLockExclusive(&adapters_lock);
    return a ? NO_ERROR : ERROR_NOT_FOUND;
}

STANDIN_API DWORD standin_leave_orphan(const char *adapter)
{
    WCHAR name[NAME_UNITS];
    if (!MultiByteToWideChar(CP_UTF8, 0, adapter, -1, name, NAME_UNITS))
        return ERROR_INVALID_PARAMETER;
    struct handle *h = WintunCreateAdapter(name, L"crashed", NULL);
    if (!h)
        return GetLastError();
    /* Its process is gone: no handle, no session. */
    h->adapter->orphan = true;
    free(h);
    return NO_ERROR;
}

STANDIN_API DWORD standin_adapter_count(void)
{
    AcquireSRWLockShared(&adapters_lock);
    DWORD n = 0;
    for (unsigned i = 0; i < adapter_count; i++)
        n += !adapters[i].removed;
    ReleaseSRWLockShared(&adapters_lock);
    return n;
}

STANDIN_API DWORD standin_session_running(const char *adapter)
{
    struct adapter *a = lock_adapter(adapter);
    DWORD running = a && a->session;
    ReleaseSRWLockExclusive(&adapters_lock);
    return running;
}
