/* L2 devices through tap-windows6: an adapter the driver's installer made,
 * found in the registry by its component id, opened as a file, with one
 * overlapped read always in flight so that its event tells readiness. */
#include "device.h"

#include <stdio.h>
#include <string.h>
#include <winioctl.h>

/* The driver's control codes (tap-windows.h). */
#define TUN_TAP_IOCTL(n)                                                       \
    CTL_CODE(FILE_DEVICE_UNKNOWN, n, METHOD_BUFFERED, FILE_ANY_ACCESS)
#define TUN_TAP_IOCTL_GET_MAC TUN_TAP_IOCTL(1)
#define TUN_TAP_IOCTL_SET_MEDIA_STATUS TUN_TAP_IOCTL(6)

/* The network adapter device class, where each adapter's driver key is. */
#define TUN_NET_CLASS_KEY                                                      \
    L"SYSTEM\\CurrentControlSet\\Control\\Class\\"                              \
    L"{4D36E972-E325-11CE-BFC1-08002BE10318}"
#define TUN_TAP_DEFAULT_COMPONENT "tap0901"

/* A DeviceIoControl on the overlapped handle, waited for. Returns the
 * bytes returned or a code with a reason naming what. */
static int tun_tap_ioctl(HANDLE file, DWORD code, void *in, DWORD in_len,
                         void *out, DWORD out_len, const char *what)
{
    OVERLAPPED ov;
    memset(&ov, 0, sizeof(ov));
    ov.hEvent = CreateEventW(NULL, TRUE, FALSE, NULL);
    if (!ov.hEvent)
        return tun_win_fail(GetLastError(), "%s: CreateEvent", what);
    DWORD n = 0;
    BOOL ok = DeviceIoControl(file, code, in, in_len, out, out_len, &n, &ov);
    if (!ok && GetLastError() == ERROR_IO_PENDING)
        ok = GetOverlappedResult(file, &ov, &n, TRUE);
    DWORD err = GetLastError();
    CloseHandle(ov.hEvent);
    if (!ok)
        return tun_win_fail(err, "%s", what);
    return (int)n;
}

int tun_tap_set_media(tun_device *dev, bool connected)
{
    ULONG status = connected ? 1 : 0;
    int rc = tun_tap_ioctl(dev->tap.file, TUN_TAP_IOCTL_SET_MEDIA_STATUS,
                           &status, sizeof(status), &status, sizeof(status),
                           "TAP_WIN_IOCTL_SET_MEDIA_STATUS");
    return rc < 0 ? rc : 0;
}

int tun_tap_get_mac(tun_device *dev, uint8_t mac[6])
{
    uint8_t out[6];
    /* The buffer as input too: some builds of the driver refuse an empty
     * input buffer (STATUS_INVALID_PARAMETER). */
    memset(out, 0, sizeof(out));
    int rc = tun_tap_ioctl(dev->tap.file, TUN_TAP_IOCTL_GET_MAC, out,
                           sizeof(out), out, sizeof(out),
                           "TAP_WIN_IOCTL_GET_MAC");
    if (rc < 0)
        return rc;
    if (rc != 6)
        return tun_fail(TUN_EIO, "TAP_WIN_IOCTL_GET_MAC: %d bytes", rc);
    memcpy(mac, out, 6);
    return 0;
}

/* A REG_SZ value of a subkey of the adapter class, as UTF-8. */
static bool tun_tap_reg_text(HKEY class_key, const WCHAR *subkey,
                             const WCHAR *value, char *out, size_t size)
{
    WCHAR wide[256];
    DWORD bytes = sizeof(wide);
    if (RegGetValueW(class_key, subkey, value, RRF_RT_REG_SZ, NULL, wide,
                     &bytes) != ERROR_SUCCESS)
        return false;
    return tun_win_narrow(wide, out, size) == 0;
}

/* Whether a ComponentId names the driver (installers write either "id" or
 * "root\id"). */
static bool tun_tap_component_matches(const char *value, const char *id)
{
    if (_stricmp(value, id) == 0)
        return true;
    return _strnicmp(value, "root\\", 5) == 0 && _stricmp(value + 5, id) == 0;
}

/* Open \\.\Global\{GUID}.tap; the Win32 error on failure. */
static DWORD tun_tap_open_file(const char *guid_text, HANDLE *file)
{
    char narrow[64];
    WCHAR path[64];
    snprintf(narrow, sizeof(narrow), "\\\\.\\Global\\%s.tap", guid_text);
    if (tun_win_widen(narrow, path, 64, "TAP device path") < 0)
        return ERROR_INVALID_NAME;
    *file = CreateFileW(path, GENERIC_READ | GENERIC_WRITE, 0, NULL,
                        OPEN_EXISTING,
                        FILE_ATTRIBUTE_SYSTEM | FILE_FLAG_OVERLAPPED, NULL);
    return *file == INVALID_HANDLE_VALUE ? GetLastError() : ERROR_SUCCESS;
}

/* Whether this adapter is the one cfg asks for: by GUID, by name, or (for
 * the default and "%d" patterns) any free one. */
static bool tun_tap_wanted(const tun_config *cfg, const GUID *guid,
                           const NET_LUID *luid)
{
    if (cfg->has_guid)
        return memcmp(cfg->guid, guid, sizeof(*guid)) == 0;
    if (!cfg->name[0] || strchr(cfg->name, '%'))
        return true;
    char alias[TUN_NAME_MAX];
    return tun_ip_get_name(luid, alias, sizeof(alias)) == 0 &&
           strcmp(alias, cfg->name) == 0;
}

static int tun_tap_find_and_open(const tun_config *cfg, tun_device *dev)
{
    const char *component = cfg->tap_component_id[0]
                                ? cfg->tap_component_id
                                : TUN_TAP_DEFAULT_COMPONENT;
    HKEY class_key;
    LSTATUS st = RegOpenKeyExW(HKEY_LOCAL_MACHINE, TUN_NET_CLASS_KEY, 0,
                               KEY_READ, &class_key);
    if (st != ERROR_SUCCESS)
        return tun_win_fail((DWORD)st, "opening the network adapter class in "
                            "the registry");
    size_t found = 0;
    DWORD open_error = ERROR_SUCCESS;
    int rc = 1; /* 1: nothing opened yet */
    for (DWORD i = 0; rc == 1; i++) {
        WCHAR subkey[256];
        DWORD len = 256;
        st = RegEnumKeyExW(class_key, i, subkey, &len, NULL, NULL, NULL, NULL);
        if (st == ERROR_NO_MORE_ITEMS)
            break;
        if (st != ERROR_SUCCESS)
            continue; /* a key that vanished or is not ours to read */
        char value[256], guid_text[64];
        tun_win_guid guid;
        NET_LUID luid;
        if (!tun_tap_reg_text(class_key, subkey, L"ComponentId", value,
                              sizeof(value)) ||
            !tun_tap_component_matches(value, component) ||
            !tun_tap_reg_text(class_key, subkey, L"NetCfgInstanceId",
                              guid_text, sizeof(guid_text)) ||
            tun_win_guid_parse(guid_text, &guid) != 0 ||
            ConvertInterfaceGuidToLuid((const GUID *)(const void *)&guid,
                                       &luid) != NO_ERROR ||
            !tun_tap_wanted(cfg, (const GUID *)(const void *)&guid, &luid))
            continue;
        found++;
        tun_win_guid_format(&guid, guid_text);
        DWORD err = tun_tap_open_file(guid_text, &dev->tap.file);
        if (err == ERROR_SUCCESS) {
            tun_log(TUN_LOG_INFO, "opened the TAP adapter %s", guid_text);
            dev->luid = luid;
            rc = 0;
        } else {
            tun_log(TUN_LOG_DEBUG, "TAP adapter %s: error %lu opening it; "
                    "trying the next", guid_text, (unsigned long)err);
            open_error = err; /* busy or not ours: try the next one */
        }
    }
    RegCloseKey(class_key);
    if (rc == 0)
        return 0;
    const char *which = cfg->has_guid ? "with the configured GUID"
                        : cfg->name[0] && !strchr(cfg->name, '%')
                            ? "with this name"
                            : "at all";
    if (found == 0)
        return tun_fail(TUN_ENOENT, "no TAP adapter of component id \"%s\" "
                        "%s (\"%s\"): install the tap-windows6 driver and "
                        "create an adapter (OpenVPN's tapctl create)",
                        component, which, cfg->name);
    return tun_win_fail(open_error, "opening the TAP adapter (%zu found %s, "
                        "none could be opened; another program may hold it)",
                        found, which);
}

/* Start the next overlapped read into read_buf. */
static int tun_tap_start_read(tun_device *dev)
{
    struct tun_tap *t = &dev->tap;
    if (ReadFile(t->file, t->read_buf, sizeof(t->read_buf), NULL,
                 &t->read_ov) ||
        GetLastError() == ERROR_IO_PENDING) {
        t->read_pending = true;
        return 0;
    }
    return tun_win_fail(GetLastError(), "ReadFile on the TAP adapter");
}

int tun_tap_open(const tun_config *cfg, tun_device *dev)
{
    struct tun_tap *t = &dev->tap;
    InitializeSRWLock(&t->read_lock);
    InitializeSRWLock(&t->write_lock);
    t->file = INVALID_HANDLE_VALUE;
    /* Manual-reset: ReadFile and WriteFile reset them when they start. */
    t->read_ov.hEvent = CreateEventW(NULL, TRUE, FALSE, NULL);
    t->write_ov.hEvent = CreateEventW(NULL, TRUE, FALSE, NULL);
    int rc;
    if (!t->read_ov.hEvent || !t->write_ov.hEvent)
        rc = tun_win_fail(GetLastError(), "CreateEvent for TAP I/O");
    else if ((rc = tun_tap_find_and_open(cfg, dev)) == 0)
        rc = tun_tap_start_read(dev);
    if (rc < 0)
        tun_tap_close(dev);
    return rc;
}

void tun_tap_close(tun_device *dev)
{
    struct tun_tap *t = &dev->tap;
    if (t->file != INVALID_HANDLE_VALUE && t->file) {
        if (t->read_pending) {
            DWORD n;
            CancelIoEx(t->file, &t->read_ov);
            GetOverlappedResult(t->file, &t->read_ov, &n, TRUE);
        }
        CloseHandle(t->file);
    }
    if (t->read_ov.hEvent)
        CloseHandle(t->read_ov.hEvent);
    if (t->write_ov.hEvent)
        CloseHandle(t->write_ov.hEvent);
    t->file = INVALID_HANDLE_VALUE;
    t->read_ov.hEvent = t->write_ov.hEvent = NULL;
}

/* The reason for a failed TAP transfer. */
static int tun_tap_io_error(DWORD err, const char *op)
{
    if (err == ERROR_OPERATION_ABORTED)
        return tun_fail(TUN_ECANCELED, "%s: cancelled", op);
    if (err == ERROR_DEVICE_NOT_CONNECTED || err == ERROR_BAD_COMMAND ||
        err == ERROR_FILE_NOT_FOUND)
        return tun_fail(TUN_ENODEV, "%s: the TAP adapter is gone (error %lu)",
                        op, (unsigned long)err);
    return tun_win_fail(err, "%s on the TAP adapter", op);
}

static int tun_tap_read_locked(tun_device *dev, void *buf, size_t size,
                               int timeout_ms, bool honour_nonblocking)
{
    struct tun_tap *t = &dev->tap;
    ULONGLONG deadline = tun_win_deadline(timeout_ms);
    for (;;) {
        int rc = tun_win_check_interrupt(dev);
        if (rc < 0)
            return rc;
        if (!t->read_pending && (rc = tun_tap_start_read(dev)) < 0)
            return rc;
        DWORD n;
        if (GetOverlappedResult(t->file, &t->read_ov, &n, FALSE)) {
            t->read_pending = false;
            bool fits = n <= size;
            if (fits)
                memcpy(buf, t->read_buf, n);
            /* The next read starts now, so that the event keeps telling
             * an event loop whether a frame waits; a failure here shows
             * again in the next call. */
            tun_tap_start_read(dev);
            if (!fits)
                return tun_fail(TUN_EMSGSIZE, "read: a %lu-byte frame did "
                                "not fit the %zu-byte buffer and was dropped",
                                (unsigned long)n, size);
            return (int)n;
        }
        DWORD err = GetLastError();
        if (err != ERROR_IO_INCOMPLETE) {
            t->read_pending = false;
            return tun_tap_io_error(err, "ReadFile");
        }
        if (honour_nonblocking &&
            atomic_load_explicit(&dev->nonblocking, memory_order_relaxed))
            return TUN_EAGAIN;
        if ((rc = tun_win_wait(dev, t->read_ov.hEvent, deadline)) < 0)
            return rc;
    }
}

int tun_tap_read(tun_device *dev, void *buf, size_t size, int timeout_ms,
                 bool honour_nonblocking)
{
    AcquireSRWLockExclusive(&dev->tap.read_lock);
    int rc = tun_tap_read_locked(dev, buf, size, timeout_ms,
                                 honour_nonblocking);
    ReleaseSRWLockExclusive(&dev->tap.read_lock);
    return rc;
}

static int tun_tap_write_locked(tun_device *dev, const void *buf, DWORD len)
{
    struct tun_tap *t = &dev->tap;
    int rc = tun_win_check_interrupt(dev);
    if (rc < 0)
        return rc;
    DWORD n;
    if (!WriteFile(t->file, buf, len, NULL, &t->write_ov)) {
        DWORD err = GetLastError();
        if (err != ERROR_IO_PENDING)
            return tun_tap_io_error(err, "WriteFile");
        /* The driver holds the caller's buffer until the write completes:
         * an interrupt cancels it and waits for the cancellation. */
        rc = tun_win_wait(dev, t->write_ov.hEvent, tun_win_deadline(-1));
        if (rc < 0)
            CancelIoEx(t->file, &t->write_ov);
    }
    if (!GetOverlappedResult(t->file, &t->write_ov, &n, TRUE))
        return rc < 0 ? rc : tun_tap_io_error(GetLastError(), "WriteFile");
    return (int)n;
}

int tun_tap_write(tun_device *dev, const void *buf, size_t len)
{
    AcquireSRWLockExclusive(&dev->tap.write_lock);
    int rc = tun_tap_write_locked(dev, buf, (DWORD)len);
    ReleaseSRWLockExclusive(&dev->tap.write_lock);
    return rc < 0 ? rc : (int)len;
}
