/* event_bridge.h: a waiting thread and a loopback socket pair. */
#include "event_bridge.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct event_bridge {
    HANDLE ready;  /* tun_device_fd(): the device has packets */
    HANDLE rearm;  /* auto-reset: the loop has read, wait again */
    HANDLE stop;   /* manual-reset: the thread ends */
    HANDLE thread;
    int (*wake)(void *arg); /* wakes the loop; 0 when done */
    void *wake_arg;
    SOCKET wake_send, wake_recv; /* INVALID_SOCKET with a wake of the loop's */
};

/* A connected pair of loopback TCP sockets (Windows has no socketpair()). */
static int loopback_pair(SOCKET *send_end, SOCKET *recv_end)
{
    SOCKET listener = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    struct sockaddr_in addr;
    int len = sizeof(addr);
    memset(&addr, 0, sizeof(addr));
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    *send_end = *recv_end = INVALID_SOCKET;
    if (listener == INVALID_SOCKET ||
        bind(listener, (struct sockaddr *)&addr, sizeof(addr)) != 0 ||
        listen(listener, 1) != 0 ||
        getsockname(listener, (struct sockaddr *)&addr, &len) != 0 ||
        (*send_end = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP)) ==
            INVALID_SOCKET ||
        connect(*send_end, (struct sockaddr *)&addr, sizeof(addr)) != 0 ||
        (*recv_end = accept(listener, NULL, NULL)) == INVALID_SOCKET) {
        fprintf(stderr, "event_bridge: loopback socket pair: error %d\n",
                WSAGetLastError());
        if (*send_end != INVALID_SOCKET)
            closesocket(*send_end);
        if (listener != INVALID_SOCKET)
            closesocket(listener);
        return -1;
    }
    closesocket(listener);
    /* The wake byte goes at once; the loop's reads of it never block. */
    BOOL one = TRUE;
    u_long nonblocking = 1;
    setsockopt(*send_end, IPPROTO_TCP, TCP_NODELAY, (const char *)&one,
               sizeof(one));
    ioctlsocket(*recv_end, FIONBIO, &nonblocking);
    return 0;
}

static int send_wake_byte(void *arg)
{
    event_bridge *b = arg;
    char byte = 1;
    return send(b->wake_send, &byte, 1, 0) == 1 ? 0 : -1;
}

static DWORD WINAPI bridge_main(void *arg)
{
    event_bridge *b = arg;
    HANDLE until_ready[2] = {b->stop, b->ready};
    HANDLE until_rearmed[2] = {b->stop, b->rearm};
    for (;;) {
        if (WaitForMultipleObjects(2, until_ready, FALSE, INFINITE) !=
            WAIT_OBJECT_0 + 1)
            return 0;
        if (b->wake(b->wake_arg) != 0)
            return 1;
        if (WaitForMultipleObjects(2, until_rearmed, FALSE, INFINITE) !=
            WAIT_OBJECT_0 + 1)
            return 0;
    }
}

static void bridge_free(event_bridge *b)
{
    if (b->wake_send != INVALID_SOCKET)
        closesocket(b->wake_send);
    if (b->wake_recv != INVALID_SOCKET)
        closesocket(b->wake_recv);
    if (b->rearm)
        CloseHandle(b->rearm);
    if (b->stop)
        CloseHandle(b->stop);
    free(b);
    WSACleanup();
}

/* The bridge of dev waking its loop through wake(arg), or through the
 * socket pair when wake is NULL. */
static int bridge_start(tun_device *dev, int (*wake)(void *arg), void *arg,
                        event_bridge **out)
{
    WSADATA wsa;
    if (WSAStartup(MAKEWORD(2, 2), &wsa) != 0) {
        fprintf(stderr, "event_bridge: WSAStartup failed\n");
        return -1;
    }
    event_bridge *b = calloc(1, sizeof(*b));
    if (!b) {
        WSACleanup();
        fprintf(stderr, "event_bridge: out of memory\n");
        return -1;
    }
    b->wake_send = b->wake_recv = INVALID_SOCKET;
    b->wake = wake ? wake : send_wake_byte;
    b->wake_arg = wake ? arg : b;
    b->ready = tun_device_fd(dev);
    b->rearm = CreateEventW(NULL, FALSE, FALSE, NULL);
    b->stop = CreateEventW(NULL, TRUE, FALSE, NULL);
    if (!b->ready || !b->rearm || !b->stop ||
        (!wake && loopback_pair(&b->wake_send, &b->wake_recv) < 0) ||
        !(b->thread = CreateThread(NULL, 0, bridge_main, b, 0, NULL))) {
        fprintf(stderr, "event_bridge: cannot start (error %lu)\n",
                (unsigned long)GetLastError());
        bridge_free(b);
        return -1;
    }
    *out = b;
    return 0;
}

int event_bridge_open(tun_device *dev, event_bridge **out, SOCKET *wake)
{
    if (bridge_start(dev, NULL, NULL, out) < 0)
        return -1;
    *wake = (*out)->wake_recv;
    return 0;
}

int event_bridge_open_waking(tun_device *dev, int (*wake)(void *arg),
                             void *arg, event_bridge **out)
{
    return bridge_start(dev, wake, arg, out);
}

void event_bridge_rearm(event_bridge *b)
{
    char bytes[16];
    while (b->wake_recv != INVALID_SOCKET &&
           recv(b->wake_recv, bytes, sizeof(bytes), 0) > 0)
        ;
    SetEvent(b->rearm);
}

void event_bridge_close(event_bridge *b)
{
    if (!b)
        return;
    SetEvent(b->stop);
    WaitForSingleObject(b->thread, INFINITE);
    CloseHandle(b->thread);
    bridge_free(b);
}
