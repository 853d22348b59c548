/* Error codes, their names and texts, and the per-thread failure reason. */
#include "internal.h"

#include <stdio.h>
#include <string.h>

static const struct tun_error_info {
    int code;
    const char *name;
    const char *text;
} tun_errors[] = {
    {TUN_EPERM, "TUN_EPERM", "operation not permitted (needs CAP_NET_ADMIN)"},
    {TUN_ENOENT, "TUN_ENOENT", "no such file, device or driver"},
    {TUN_EINTR, "TUN_EINTR", "interrupted by a signal"},
    {TUN_EIO, "TUN_EIO", "input/output error"},
    {TUN_EBADF, "TUN_EBADF", "bad or unusable descriptor"},
    {TUN_EAGAIN, "TUN_EAGAIN", "operation would block"},
    {TUN_ENOMEM, "TUN_ENOMEM", "out of memory"},
    {TUN_EACCES, "TUN_EACCES", "access denied"},
    {TUN_EBUSY, "TUN_EBUSY", "device or name busy"},
    {TUN_EEXIST, "TUN_EEXIST", "already exists"},
    {TUN_ENODEV, "TUN_ENODEV", "device is gone"},
    {TUN_EINVAL, "TUN_EINVAL", "invalid argument"},
    {TUN_ENOTTY, "TUN_ENOTTY", "not a TUN/TAP device"},
    {TUN_ENOSPC, "TUN_ENOSPC", "no space left (queue or unit limit)"},
    {TUN_ERANGE, "TUN_ERANGE", "value out of range"},
    {TUN_ENAMETOOLONG, "TUN_ENAMETOOLONG", "interface name too long"},
    {TUN_ENOTSUP, "TUN_ENOTSUP", "not supported on this platform"},
    {TUN_EMSGSIZE, "TUN_EMSGSIZE", "packet too large for the buffer or MTU"},
    {TUN_ENOBUFS, "TUN_ENOBUFS", "buffer or array too small"},
    {TUN_EADDRNOTAVAIL, "TUN_EADDRNOTAVAIL", "address not on the device"},
    {TUN_ETIMEDOUT, "TUN_ETIMEDOUT", "timed out"},
    {TUN_ECANCELED, "TUN_ECANCELED", "interrupted by tun_interrupt()"},
    {TUN_EMFILE, "TUN_EMFILE", "too many open descriptors"},
    {TUN_ENETUNREACH, "TUN_ENETUNREACH", "gateway not reachable"},
    {TUN_ENETDOWN, "TUN_ENETDOWN", "interface is down"},
};

static const struct tun_error_info *tun_error_find(int err)
{
    for (size_t i = 0; i < sizeof(tun_errors) / sizeof(tun_errors[0]); i++)
        if (tun_errors[i].code == err)
            return &tun_errors[i];
    return NULL;
}

const char *tun_strerror(int err)
{
    if (err == 0)
        return "success";
    const struct tun_error_info *e = tun_error_find(err);
    return e ? e->text : "unknown error";
}

const char *tun_err_name(int err)
{
    if (err == 0)
        return "0";
    const struct tun_error_info *e = tun_error_find(err);
    return e ? e->name : "TUN_EUNKNOWN";
}

static _Thread_local char
    tun_error_reason[sizeof(((tun_kept_reason *)0)->text)];

const char *tun_last_error(void) { return tun_error_reason; }

void tun_reason_keep(tun_kept_reason *kept)
{
    memcpy(kept->text, tun_error_reason, sizeof(kept->text));
}

static void tun_set_reason(const char *fmt, va_list ap, const char *suffix)
#if defined(__GNUC__)
    __attribute__((format(printf, 1, 0)))
#endif
    ;

static void tun_set_reason(const char *fmt, va_list ap, const char *suffix)
{
    /* Formatted apart first: a reason often quotes the previous one
     * (tun_last_error() as an argument), which must not overlap. */
    char text[sizeof(tun_error_reason)];
    int n = vsnprintf(text, sizeof(text), fmt, ap);
    if (n < 0) {
        tun_error_reason[0] = '\0';
        return;
    }
    size_t used = strlen(text);
    if (suffix && used < sizeof(text) - 1)
        snprintf(text + used, sizeof(text) - used, "%s", suffix);
    memcpy(tun_error_reason, text, sizeof(text));
}

int tun_fail(int err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    tun_set_reason(fmt, ap, NULL);
    va_end(ap);
    return err;
}

/* The fix a person most likely needs for an OS error. */
static const char *tun_errno_hint(int errnum)
{
    switch (errnum) {
#if defined(__linux__)
    case EPERM:
        return " (needs CAP_NET_ADMIN: run as root or "
               "`setcap cap_net_admin+ep` on the program)";
    case EACCES:
        return " (refused by the file's permissions or by a security "
               "module such as SELinux or AppArmor)";
#else
    case EPERM:
    case EACCES:
        return " (needs root)";
#endif
    case EMFILE:
    case ENFILE:
        return " (too many open files: raise RLIMIT_NOFILE or close some)";
    default:
        return "";
    }
}

int tun_fail_errno(int errnum, const char *fmt, ...)
{
    char suffix[192];
    snprintf(suffix, sizeof(suffix), ": %s%s", strerror(errnum),
             tun_errno_hint(errnum));
    va_list ap;
    va_start(ap, fmt);
    tun_set_reason(fmt, ap, suffix);
    va_end(ap);
    /* Drivers (utun among them) answer EOPNOTSUPP, a number of its own on
     * macOS and the BSDs: one "not supported" code for the caller. */
    if (errnum == EOPNOTSUPP)
        return TUN_ENOTSUP;
    return -errnum;
}

int tun_fail_other_platform(const void *dev, const char *call,
                            const char *platform)
{
    if (!dev)
        return tun_fail(TUN_EINVAL, "%s: NULL device or pointer", call);
    return tun_fail(TUN_ENOTSUP, "%s: a %s call, not supported on this "
                    "platform", call, platform);
}

unsigned tun_version(void) { return TUN_VERSION_HEX; }

const char *tun_version_string(void) { return TUN_VERSION_STRING; }
