/* L3 devices through wintun: the DLL loaded at run time, one adapter and
 * one session ring per handle. */
#include "device.h"
#include "../iface.h"

#include <string.h>

/* GetProcAddress's result as the generic function pointer type that may be
 * converted to any other. */
typedef void (*tun_proc)(void);

static tun_proc tun_wintun_proc(HMODULE dll, const char *name,
                                const char **missing)
{
    tun_proc p = (tun_proc)GetProcAddress(dll, name);
    if (!p && !*missing)
        *missing = name;
    return p;
}

/* wintun's own messages, into the library's log: its errors and warnings
 * as TUN_LOG_WARNING (libtun logs its own error when a step fails; wintun
 * also reports a name it does not find, which libtun asks before it
 * creates an adapter), its information as TUN_LOG_DEBUG. */
static void CALLBACK tun_wintun_logger(int level, DWORD64 timestamp,
                                       const WCHAR *message)
{
    (void)timestamp;
    char text[1024];
    /* Not tun_win_narrow(): a failure must not replace tun_last_error(). */
    if (!WideCharToMultiByte(CP_UTF8, 0, message, -1, text, sizeof(text),
                             NULL, NULL))
        strcpy(text, "(a message too long to show)");
    tun_log(level == TUN_WINTUN_LOG_INFO ? TUN_LOG_DEBUG : TUN_LOG_WARNING,
            "wintun: %s", text);
}

static int tun_wintun_load(const tun_config *cfg, struct tun_wintun *w)
{
    /* Never the current directory or PATH: only where the program is, or
     * System32, or the directory of a path the caller gave. */
    WCHAR path[TUN_NAME_MAX];
    const char *shown = cfg->wintun_dll[0] ? cfg->wintun_dll : "wintun.dll";
    int rc = tun_win_widen(shown, path, TUN_NAME_MAX, "wintun DLL path");
    if (rc < 0)
        return rc;
    DWORD flags = cfg->wintun_dll[0]
                      ? LOAD_LIBRARY_SEARCH_DLL_LOAD_DIR |
                            LOAD_LIBRARY_SEARCH_SYSTEM32
                      : LOAD_LIBRARY_SEARCH_APPLICATION_DIR |
                            LOAD_LIBRARY_SEARCH_SYSTEM32;
    w->dll = LoadLibraryExW(path, NULL, flags);
    if (!w->dll) {
        DWORD err = GetLastError();
        if (err == ERROR_MOD_NOT_FOUND || err == ERROR_FILE_NOT_FOUND ||
            err == ERROR_PATH_NOT_FOUND)
            return tun_fail(TUN_ENOENT, "loading %s: not found (the wintun "
                            "driver is not installed: put the wintun.dll of "
                            "this processor architecture, from "
                            "www.wintun.net, next to the program or give its "
                            "full path with tun_config_set_wintun_dll())",
                            shown);
        return tun_win_fail(err, "loading %s", shown);
    }
    const char *missing = NULL;
    w->create_adapter = (tun_wintun_create_adapter_fn *)tun_wintun_proc(
        w->dll, "WintunCreateAdapter", &missing);
    w->open_adapter = (tun_wintun_open_adapter_fn *)tun_wintun_proc(
        w->dll, "WintunOpenAdapter", &missing);
    w->close_adapter = (tun_wintun_close_adapter_fn *)tun_wintun_proc(
        w->dll, "WintunCloseAdapter", &missing);
    w->get_adapter_luid = (tun_wintun_get_adapter_luid_fn *)tun_wintun_proc(
        w->dll, "WintunGetAdapterLUID", &missing);
    w->start_session = (tun_wintun_start_session_fn *)tun_wintun_proc(
        w->dll, "WintunStartSession", &missing);
    w->end_session = (tun_wintun_end_session_fn *)tun_wintun_proc(
        w->dll, "WintunEndSession", &missing);
    w->get_read_wait_event =
        (tun_wintun_get_read_wait_event_fn *)tun_wintun_proc(
            w->dll, "WintunGetReadWaitEvent", &missing);
    w->receive_packet = (tun_wintun_receive_packet_fn *)tun_wintun_proc(
        w->dll, "WintunReceivePacket", &missing);
    w->release_receive_packet =
        (tun_wintun_release_receive_packet_fn *)tun_wintun_proc(
            w->dll, "WintunReleaseReceivePacket", &missing);
    w->allocate_send_packet =
        (tun_wintun_allocate_send_packet_fn *)tun_wintun_proc(
            w->dll, "WintunAllocateSendPacket", &missing);
    w->send_packet = (tun_wintun_send_packet_fn *)tun_wintun_proc(
        w->dll, "WintunSendPacket", &missing);
    tun_wintun_set_logger_fn *set_logger =
        (tun_wintun_set_logger_fn *)tun_wintun_proc(w->dll, "WintunSetLogger",
                                                    &missing);
    if (missing) {
        FreeLibrary(w->dll);
        w->dll = NULL;
        return tun_fail(TUN_ENOENT, "%s has no %s: it is older than wintun "
                        "0.14; install a current wintun.dll", shown, missing);
    }
    /* Process-wide in wintun: every handle sets the same logger. */
    set_logger(tun_wintun_logger);
    tun_log(TUN_LOG_DEBUG, "loaded %s", shown);
    return 0;
}

/* Whether an interface (of any kind) has this alias. */
static bool tun_alias_taken(const WCHAR *alias)
{
    NET_LUID luid;
    return ConvertInterfaceAliasToLuid(alias, &luid) == NO_ERROR;
}

/* Whether the interface with this alias is a device that is no longer
 * present: an adapter left behind (a wintun adapter of a process that
 * crashed, which wintun cannot open), whose name a new adapter may take. */
static bool tun_alias_left_behind(const WCHAR *alias)
{
    MIB_IF_ROW2 row;
    memset(&row, 0, sizeof(row));
    return ConvertInterfaceAliasToLuid(alias, &row.InterfaceLuid) ==
               NO_ERROR &&
           GetIfEntry2(&row) == NO_ERROR &&
           row.OperStatus == IfOperStatusNotPresent;
}

/* Whether wintun knows an adapter of this name (wintun's adapters may be
 * unknown to the IP Helper API for a moment after they appear). */
static bool tun_wintun_name_taken(struct tun_wintun *w, const WCHAR *name)
{
    tun_wintun_adapter *adapter = w->open_adapter(name);
    if (adapter)
        w->close_adapter(adapter);
    return adapter || tun_alias_taken(name);
}

/* The first free alias a "%d" pattern gives. */
static int tun_wintun_free_name(struct tun_wintun *w, const char *pattern,
                                WCHAR *wide, size_t units)
{
    char name[TUN_NAME_MAX];
    for (unsigned n = 0; n < 10000; n++) {
        int rc = tun_win_name_expand(pattern, n, name, sizeof(name));
        if (rc < 0)
            return rc;
        if ((rc = tun_win_widen(name, wide, units, "adapter name")) < 0)
            return rc;
        if (!tun_wintun_name_taken(w, wide))
            return 0;
    }
    return tun_fail(TUN_ENOSPC, "no free adapter name for \"%s\"", pattern);
}

static int tun_wintun_get_adapter(const tun_config *cfg, struct tun_wintun *w,
                                  bool *existed)
{
    const char *name = cfg->name[0] ? cfg->name : "tun%d";
    WCHAR wide[TUN_WIN_NAME_UNITS + 1];
    int rc;
    bool pattern = strchr(name, '%') != NULL;
    rc = pattern ? tun_wintun_free_name(w, name, wide, TUN_WIN_NAME_UNITS + 1)
                 : tun_win_widen(name, wide, TUN_WIN_NAME_UNITS + 1,
                                 "adapter name");
    if (rc < 0)
        return rc;
    *existed = false;
    if (!pattern) {
        /* Attach to a wintun adapter of that name, as Linux attaches to a
         * persistent device; its session then tells whether another
         * program holds it. One left behind by a crashed process is not
         * found (wintun 0.14 opens present devices only, and removes a
         * device whose creator's handle closed): it is created anew
         * below. */
        const char *exclusive = "exists and exclusive create was asked for "
                                "(choose another name or a \"%%d\" pattern)";
        if ((w->adapter = w->open_adapter(wide))) {
            if (cfg->exclusive)
                return tun_fail(TUN_EEXIST, "adapter \"%s\" %s", name,
                                exclusive);
            tun_log(TUN_LOG_INFO, "attached to the existing wintun adapter "
                    "\"%s\"", name);
            *existed = true;
            return 0;
        }
        /* Another kind of adapter keeps its name; a device no longer
         * present gives it up to the new adapter (wintun renames it). */
        DWORD err = GetLastError();
        if (tun_alias_taken(wide) && !tun_alias_left_behind(wide)) {
            if (cfg->exclusive)
                return tun_fail(TUN_EEXIST, "adapter \"%s\" %s", name,
                                exclusive);
            return tun_fail(TUN_EBUSY, "adapter \"%s\" exists and is not a "
                            "wintun adapter (WintunOpenAdapter: error %lu)",
                            name, (unsigned long)err);
        }
    }
    const char *type =
        cfg->wintun_tunnel_type[0] ? cfg->wintun_tunnel_type : "libtun";
    WCHAR wide_type[TUN_WIN_NAME_UNITS + 1];
    if ((rc = tun_win_widen(type, wide_type, TUN_WIN_NAME_UNITS + 1,
                            "wintun tunnel type")) < 0)
        return rc;
    GUID guid;
    memcpy(&guid, cfg->guid, sizeof(guid));
    char adapter[TUN_NAME_MAX];
    tun_win_narrow(wide, adapter, sizeof(adapter));
    tun_log(TUN_LOG_DEBUG, "WintunCreateAdapter \"%s\", tunnel type \"%s\"%s",
            adapter, type, cfg->has_guid ? ", with the configured GUID" : "");
    w->adapter = w->create_adapter(wide, wide_type,
                                   cfg->has_guid ? &guid : NULL);
    if (!w->adapter)
        return tun_win_fail(GetLastError(), "WintunCreateAdapter \"%s\"",
                            adapter);
    tun_log(TUN_LOG_INFO, "created the wintun adapter \"%s\"", adapter);
    return 0;
}

int tun_wintun_open(const tun_config *cfg, tun_device *dev, bool *existed)
{
    struct tun_wintun *w = &dev->wintun;
    int rc = tun_wintun_load(cfg, w);
    if (rc < 0)
        return rc;
    if ((rc = tun_wintun_get_adapter(cfg, w, existed)) < 0)
        goto fail;
    w->get_adapter_luid(w->adapter, &dev->luid);
    if (!*existed && (rc = tun_ip_wait_bound(&dev->luid)) < 0)
        goto fail;
    DWORD capacity = cfg->wintun_ring_capacity ? cfg->wintun_ring_capacity
                                               : TUN_WINTUN_RING_DEFAULT;
    tun_log(TUN_LOG_DEBUG, "WintunStartSession with a %lu-byte ring",
            (unsigned long)capacity);
    w->session = w->start_session(w->adapter, capacity);
    if (!w->session) {
        DWORD err = GetLastError();
        /* wintun runs one session per adapter. */
        if (*existed && err != ERROR_ACCESS_DENIED)
            rc = tun_fail(TUN_EBUSY, "WintunStartSession: the adapter "
                          "exists and another program (or handle) holds "
                          "its session (error %lu)", (unsigned long)err);
        else
            rc = tun_win_fail(err, "WintunStartSession with a %lu-byte ring",
                              (unsigned long)capacity);
        goto fail;
    }
    w->read_event = w->get_read_wait_event(w->session);
    return 0;
fail:
    tun_wintun_close(dev);
    return rc;
}

void tun_wintun_close(tun_device *dev)
{
    struct tun_wintun *w = &dev->wintun;
    if (w->session)
        w->end_session(w->session);
    /* This removes an adapter that WintunCreateAdapter made. */
    if (w->adapter)
        w->close_adapter(w->adapter);
    /* wintun.dll stays loaded (its reference is never given back): wintun
     * queues its orphan clean-up to the thread pool on every create, open
     * and close (QueueUserWorkItem), which then runs wintun's code and calls
     * its logger; unloading the DLL under it would crash the process. */
    memset(w, 0, sizeof(*w));
}

/* A failed receive or allocation that is not "ring empty" / "ring full". */
static int tun_wintun_io_error(DWORD err, const char *op)
{
    if (err == ERROR_HANDLE_EOF)
        return tun_fail(TUN_ENODEV, "%s: the wintun adapter is going away",
                        op);
    if (err == ERROR_INVALID_DATA)
        return tun_fail(TUN_EIO, "%s: the wintun ring is corrupt", op);
    return tun_win_fail(err, "%s", op);
}

int tun_wintun_read(tun_device *dev, void *buf, size_t size, int timeout_ms,
                    bool honour_nonblocking)
{
    struct tun_wintun *w = &dev->wintun;
    ULONGLONG deadline = tun_win_deadline(timeout_ms);
    for (;;) {
        int rc = tun_win_check_interrupt(dev);
        if (rc < 0)
            return rc;
        DWORD len;
        BYTE *packet = w->receive_packet(w->session, &len);
        if (packet) {
            /* Copied out at once: the ring slot is released right away. */
            bool fits = len <= size;
            if (fits)
                memcpy(buf, packet, len);
            w->release_receive_packet(w->session, packet);
            if (!fits)
                return tun_fail(TUN_EMSGSIZE, "read: a %lu-byte packet did "
                                "not fit the %zu-byte buffer and was dropped",
                                (unsigned long)len, size);
            return (int)len;
        }
        DWORD err = GetLastError();
        if (err != ERROR_NO_MORE_ITEMS)
            return tun_wintun_io_error(err, "WintunReceivePacket");
        if (honour_nonblocking &&
            atomic_load_explicit(&dev->nonblocking, memory_order_relaxed))
            return TUN_EAGAIN;
        if ((rc = tun_win_wait(dev, w->read_event, deadline)) < 0)
            return rc;
    }
}

int tun_wintun_write(tun_device *dev, const void *buf, size_t len)
{
    struct tun_wintun *w = &dev->wintun;
    /* wintun's driver stops taking packets from the session for good (every
     * later WintunAllocateSendPacket gives ERROR_HANDLE_EOF) at one larger
     * than 65535 bytes or that is not IPv4 of at least 20 bytes or IPv6 of
     * at least 40: refuse those here, with the reason. */
    if (len > TUN_WINTUN_MAX_PACKET)
        return tun_fail(TUN_EMSGSIZE, "write: %zu bytes exceed wintun's "
                        "largest packet (%u)", len, TUN_WINTUN_MAX_PACKET);
    int family = tun_iface_packet_family(buf, len);
    if (family == 0)
        return tun_fail(TUN_EINVAL, "write: not an IPv4 or IPv6 packet "
                        "(version %u)", ((const uint8_t *)buf)[0] >> 4);
    size_t header = family == TUN_INET4 ? 20 : 40;
    if (len < header)
        return tun_fail(TUN_EINVAL, "write: %zu bytes are shorter than an "
                        "IPv%d header (%zu bytes)", len, family, header);
    for (;;) {
        int rc = tun_win_check_interrupt(dev);
        if (rc < 0)
            return rc;
        BYTE *packet = w->allocate_send_packet(w->session, (DWORD)len);
        if (packet) {
            memcpy(packet, buf, len);
            w->send_packet(w->session, packet);
            return (int)len;
        }
        DWORD err = GetLastError();
        if (err != ERROR_BUFFER_OVERFLOW)
            return tun_wintun_io_error(err, "WintunAllocateSendPacket");
        if (atomic_load_explicit(&dev->nonblocking, memory_order_relaxed))
            return TUN_EAGAIN;
        /* The ring is full and wintun signals no room: wait a moment,
         * still answering tun_interrupt() at once. */
        if (WaitForSingleObject(dev->interrupt, 1) == WAIT_OBJECT_0)
            return tun_win_check_interrupt(dev);
    }
}
