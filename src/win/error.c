/* Win32 errors as libtun codes and readable reasons; UTF-8 <-> UTF-16. */
#include "device.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>

/* portable.h spells the Win32 numbers without Windows headers: they must
 * be the system's. */
#define TUN_WIN_SAME(name)                                                     \
    _Static_assert(TUN_WIN_##name == name, #name " differs from winerror.h")
TUN_WIN_SAME(ERROR_FILE_NOT_FOUND);
TUN_WIN_SAME(ERROR_PATH_NOT_FOUND);
TUN_WIN_SAME(ERROR_ACCESS_DENIED);
TUN_WIN_SAME(ERROR_INVALID_HANDLE);
TUN_WIN_SAME(ERROR_NOT_ENOUGH_MEMORY);
TUN_WIN_SAME(ERROR_INVALID_DATA);
TUN_WIN_SAME(ERROR_OUTOFMEMORY);
TUN_WIN_SAME(ERROR_NOT_READY);
TUN_WIN_SAME(ERROR_GEN_FAILURE);
TUN_WIN_SAME(ERROR_SHARING_VIOLATION);
TUN_WIN_SAME(ERROR_HANDLE_EOF);
TUN_WIN_SAME(ERROR_NOT_SUPPORTED);
TUN_WIN_SAME(ERROR_DEV_NOT_EXIST);
TUN_WIN_SAME(ERROR_FILE_EXISTS);
TUN_WIN_SAME(ERROR_INVALID_PARAMETER);
TUN_WIN_SAME(ERROR_BUFFER_OVERFLOW);
TUN_WIN_SAME(ERROR_INSUFFICIENT_BUFFER);
TUN_WIN_SAME(ERROR_INVALID_NAME);
TUN_WIN_SAME(ERROR_MOD_NOT_FOUND);
TUN_WIN_SAME(ERROR_PROC_NOT_FOUND);
TUN_WIN_SAME(ERROR_BUSY);
TUN_WIN_SAME(ERROR_ALREADY_EXISTS);
TUN_WIN_SAME(ERROR_BAD_EXE_FORMAT);
TUN_WIN_SAME(ERROR_MORE_DATA);
TUN_WIN_SAME(ERROR_NO_MORE_ITEMS);
/* ERROR_ELEVATION_REQUIRED (740) is missing from mingw-w64's winerror.h. */
TUN_WIN_SAME(ERROR_OPERATION_ABORTED);
TUN_WIN_SAME(ERROR_IO_PENDING);
TUN_WIN_SAME(ERROR_DEVICE_NOT_CONNECTED);
TUN_WIN_SAME(ERROR_NOT_FOUND);
TUN_WIN_SAME(ERROR_CANCELLED);
TUN_WIN_SAME(ERROR_NETWORK_UNREACHABLE);
TUN_WIN_SAME(ERROR_TIMEOUT);
TUN_WIN_SAME(ERROR_OBJECT_ALREADY_EXISTS);
_Static_assert(sizeof(tun_win_guid) == sizeof(GUID),
               "tun_win_guid must have the layout of GUID");

int tun_win_narrow(const WCHAR *text, char *out, size_t size)
{
    int cap = size > INT_MAX ? INT_MAX : (int)size;
    if (WideCharToMultiByte(CP_UTF8, 0, text, -1, out, cap, NULL, NULL) == 0)
        return tun_fail(TUN_ENOBUFS, "converting a name to UTF-8: more than "
                        "%zu bytes", size);
    return 0;
}

int tun_win_widen(const char *text, WCHAR *out, size_t units,
                  const char *what)
{
    int cap = units > INT_MAX ? INT_MAX : (int)units;
    if (MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, text, -1, out,
                            cap) != 0)
        return 0;
    if (GetLastError() == ERROR_INSUFFICIENT_BUFFER)
        return tun_fail(TUN_ENAMETOOLONG, "%s \"%s\" is longer than %zu "
                        "UTF-16 units", what, text, units - 1);
    return tun_fail(TUN_EINVAL, "%s \"%s\" is not valid UTF-8", what, text);
}

int tun_win_fail(DWORD err, const char *fmt, ...)
{
    char step[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(step, sizeof(step), fmt, ap);
    va_end(ap);

    WCHAR wide[256];
    char text[512] = "";
    DWORD n = FormatMessageW(FORMAT_MESSAGE_FROM_SYSTEM |
                                 FORMAT_MESSAGE_IGNORE_INSERTS,
                             NULL, err, 0, wide, 256, NULL);
    if (n > 0 && tun_win_narrow(wide, text, sizeof(text)) == 0) {
        /* The system's text ends in ".\r\n". */
        size_t len = strlen(text);
        while (len > 0 && strchr(".\r\n ", text[len - 1]))
            text[--len] = '\0';
    } else {
        snprintf(text, sizeof(text), "Windows error");
    }
    return tun_fail(tun_win_error_code(err), "%s: %s (error %lu)%s", step,
                    text, (unsigned long)err, tun_win_error_hint(err));
}
