/* A stand-in for wintun.dll, for the tests under wine: the wintun 0.14 API
 * as its documentation describes it (adapters, sessions with their two
 * rings, the read-wait event, the logger), so that libtun's Windows backend
 * runs unchanged on it, loaded with tun_config_set_wintun_dll(). Built in
 * the test tree only, never installed.
 *
 * What the system does on a real adapter (queue packets for the program,
 * take the packets it sends, remove the adapter) the test does through the
 * calls below, naming the adapter by its alias (ASCII). Each is thread-safe
 * and may run while libtun waits in another thread. */
#ifndef TUN_TESTS_WINTUN_STANDIN_H
#define TUN_TESTS_WINTUN_STANDIN_H

#include <windows.h>

#ifdef WINTUN_STANDIN_BUILD
#define STANDIN_API __declspec(dllexport)
#else
#define STANDIN_API __declspec(dllimport)
#endif

/* Queue a packet for the program (what the program then reads); the
 * session's read-wait event is set when the ring was empty. Returns
 * NO_ERROR, ERROR_BUFFER_OVERFLOW (the ring has no room: nothing queued),
 * ERROR_INVALID_PARAMETER (0 or more than 0xffff bytes), ERROR_NOT_FOUND (no
 * such adapter, or no session on it). */
STANDIN_API DWORD standin_inject(const char *adapter, const void *packet,
                                 DWORD size);
/* Take the oldest packet the program sent into buf (*len: its size).
 * Returns NO_ERROR, ERROR_NO_MORE_ITEMS (none sent), ERROR_INSUFFICIENT_BUFFER
 * (*len says how large; the packet stays), ERROR_NOT_FOUND. A packet that is
 * not IPv4 of 20 bytes or more or IPv6 of 40 or more ends the sending as
 * wintun's driver does: ERROR_INVALID_DATA, then ERROR_HANDLE_EOF here and
 * from WintunAllocateSendPacket. */
STANDIN_API DWORD standin_collect(const char *adapter, void *buf, DWORD size,
                                  DWORD *len);
/* The adapter is removed under the program (as Windows does when the
 * device is disabled or its driver unloaded): its session's calls give
 * ERROR_HANDLE_EOF from now on and the read-wait event is signalled.
 * Handles stay valid until the program closes them. */
STANDIN_API DWORD standin_remove(const char *adapter);
/* An adapter of that name left behind by a process that crashed: its
 * device is no longer present, so WintunOpenAdapter does not find it (wintun
 * looks among present devices only); WintunCreateAdapter of the name
 * removes it, as wintun removes its orphans. Counted until then. */
STANDIN_API DWORD standin_leave_orphan(const char *adapter);
/* How many adapters exist (removed ones not counted). */
STANDIN_API DWORD standin_adapter_count(void);
/* Whether a session runs on the adapter: 1 or 0 (no such adapter: 0). */
STANDIN_API DWORD standin_session_running(const char *adapter);

#endif
