/* Change notifications on Windows (see tun_backend_events_*() in
 * src/internal.h): NotifyIpInterfaceChange (MTU, connection state,
 * deletion) and NotifyUnicastIpAddressChange (addresses) call back on a
 * system thread, which sets a manual-reset event when the change is about
 * the device's LUID; tun_events_fd() is that event and draining resets
 * it. */
#include "device.h"

#include <stdlib.h>

struct tun_win_events {
    HANDLE event;
    HANDLE interface_notify;
    HANDLE address_notify;
    NET_LUID luid;
};

/* A NULL row (the system lost track) may concern any interface. */
static void tun_win_notify(struct tun_win_events *ev, const NET_LUID *luid)
{
    if (!luid || luid->Value == ev->luid.Value)
        SetEvent(ev->event);
}

static VOID WINAPI tun_win_on_interface(PVOID ctx, PMIB_IPINTERFACE_ROW row,
                                        MIB_NOTIFICATION_TYPE type)
{
    (void)type;
    tun_win_notify(ctx, row ? &row->InterfaceLuid : NULL);
}

static VOID WINAPI tun_win_on_address(PVOID ctx, PMIB_UNICASTIPADDRESS_ROW row,
                                      MIB_NOTIFICATION_TYPE type)
{
    (void)type;
    tun_win_notify(ctx, row ? &row->InterfaceLuid : NULL);
}

void tun_backend_events_close(void *source)
{
    struct tun_win_events *ev = source;
    /* Each cancel waits for its callbacks in progress to return. */
    if (ev->interface_notify)
        CancelMibChangeNotify2(ev->interface_notify);
    if (ev->address_notify)
        CancelMibChangeNotify2(ev->address_notify);
    if (ev->event)
        CloseHandle(ev->event);
    free(ev);
}

int tun_backend_events_open(tun_device *dev, void **source)
{
    struct tun_win_events *ev = calloc(1, sizeof(*ev));
    if (!ev)
        return tun_fail(TUN_ENOMEM, "tun_events_open: out of memory");
    ev->luid = dev->luid;
    int rc = 0;
    DWORD err;
    if (!(ev->event = CreateEventW(NULL, TRUE, FALSE, NULL)))
        rc = tun_win_fail(GetLastError(), "CreateEvent for notifications");
    else if ((err = NotifyIpInterfaceChange(AF_UNSPEC, tun_win_on_interface,
                                            ev, FALSE,
                                            &ev->interface_notify)) !=
             NO_ERROR)
        rc = tun_win_fail(err, "NotifyIpInterfaceChange");
    else if ((err = NotifyUnicastIpAddressChange(AF_UNSPEC, tun_win_on_address,
                                                 ev, FALSE,
                                                 &ev->address_notify)) !=
             NO_ERROR)
        rc = tun_win_fail(err, "NotifyUnicastIpAddressChange");
    if (rc < 0) {
        tun_backend_events_close(ev);
        return rc;
    }
    *source = ev;
    return 0;
}

tun_os_fd tun_backend_events_fd(const void *source)
{
    const struct tun_win_events *ev = source;
    return ev->event;
}

int tun_backend_events_drain(void *source, tun_device *dev)
{
    struct tun_win_events *ev = source;
    (void)dev;
    if (WaitForSingleObject(ev->event, 0) != WAIT_OBJECT_0)
        return 0;
    /* Reset before the state is read: a change after it sets it again. */
    ResetEvent(ev->event);
    return 1;
}
