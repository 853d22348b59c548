/* The Windows backend's packet I/O (src/win/wintun.c and the device's
 * waiting, interrupts and timeouts), run under wine against the wintun
 * stand-in (wintun_standin.c), loaded through tun_config_set_wintun_dll().
 * The devices get no addresses, MTU or DNS servers: wine's IP Helper knows
 * no such adapter (it lists the host's interfaces only), so only the
 * driver's side of the backend runs here. */
#include "testutil.h"

#include <winsock2.h>
#include <windows.h>
#include <ws2ipdef.h>
#include <iphlpapi.h>
#include <netioapi.h>

#include "event_bridge.h"
#include "wintun_standin.h"
#ifdef TUN_TEST_LIBUV
#include "libuv_device.h"
#endif

#include <stdio.h>
#include <string.h>

#define SMALL_RING 0x20000u /* wintun's smallest ring: it fills quickly */
#define BUF_SIZE 2048
#define STREAM_PACKETS 5000

static char standin_path[MAX_PATH];

static int find_standin(void **state)
{
    (void)state;
    HMODULE dll = GetModuleHandleA("wintun_standin.dll");
    assert_non_null(dll);
    DWORD n = GetModuleFileNameA(dll, standin_path, sizeof(standin_path));
    assert_true(n > 0 && n < sizeof(standin_path));
    return 0;
}

static tun_device *open_named(const char *name, unsigned ring,
                              bool nonblocking, int *rc_out)
{
    tun_config *cfg;
    assert_tun_ok(tun_config_new(&cfg));
    assert_tun_ok(tun_config_set_name(cfg, name));
    assert_tun_ok(tun_config_set_wintun_dll(cfg, standin_path));
    if (ring)
        assert_tun_ok(tun_config_set_wintun_ring_capacity(cfg, ring));
    assert_tun_ok(tun_config_set_nonblocking(cfg, nonblocking));
    tun_device *dev = NULL;
    int rc = tun_open(cfg, &dev);
    tun_config_free(cfg);
    if (rc_out)
        *rc_out = rc;
    else
        assert_tun_ok(rc);
    return dev;
}

static tun_device *open_standin(const char *name, unsigned ring,
                                bool nonblocking)
{
    return open_named(name, ring, nonblocking, NULL);
}

/* Packet seq of a stream: IPv4 or IPv6 by turns, len bytes that follow
 * from seq alone, so that the other side can check every byte. */
static size_t packet_len(uint32_t seq)
{
    return 40 + (seq * 7919u) % 1400;
}

static size_t make_packet(uint8_t *buf, uint32_t seq)
{
    size_t len = packet_len(seq);
    uint64_t x = 0x9e3779b97f4a7c15ull * (seq + 1);
    for (size_t i = 0; i < len; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        buf[i] = (uint8_t)x;
    }
    buf[0] = (seq & 1) ? 0x60 : 0x45;
    memcpy(buf + 4, &seq, sizeof(seq));
    return len;
}

static void check_packet(const uint8_t *got, size_t len, uint32_t seq)
{
    uint8_t want[BUF_SIZE];
    size_t want_len = make_packet(want, seq);
    if (len != want_len || memcmp(got, want, len) != 0)
        fail_msg("packet %u: %zu bytes, expected %zu, or bytes differ", seq,
                 len, want_len);
}

static void inject(const char *name, uint32_t seq)
{
    uint8_t p[BUF_SIZE];
    size_t len = make_packet(p, seq);
    assert_int_equal(standin_inject(name, p, (DWORD)len), NO_ERROR);
}

/* The next packet the library sent, waiting up to a second for it. */
static void collect(const char *name, uint32_t seq)
{
    uint8_t p[BUF_SIZE];
    DWORD len = 0, err;
    ULONGLONG end = GetTickCount64() + 1000;
    while ((err = standin_collect(name, p, sizeof(p), &len)) ==
               ERROR_NO_MORE_ITEMS &&
           GetTickCount64() < end)
        Sleep(1);
    assert_int_equal(err, NO_ERROR);
    check_packet(p, len, seq);
}

static void read_packet(tun_device *dev, uint32_t seq)
{
    uint8_t p[BUF_SIZE];
    int n = tun_read(dev, p, sizeof(p));
    assert_tun_ok(n);
    check_packet(p, (size_t)n, seq);
}

/* ---- threads, and a call in another thread ------------------------------ */

static HANDLE start_thread(LPTHREAD_START_ROUTINE routine, void *arg)
{
    HANDLE t = CreateThread(NULL, 0, routine, arg, 0, NULL);
    assert_non_null(t);
    return t;
}

/* The thread must end within ms milliseconds, returning 0. */
static void join_thread(HANDLE t, DWORD ms)
{
    DWORD code;
    assert_int_equal(WaitForSingleObject(t, ms), WAIT_OBJECT_0);
    assert_true(GetExitCodeThread(t, &code));
    assert_int_equal(code, 0);
    CloseHandle(t);
}

struct call {
    tun_device *dev;
    bool write; /* tun_write of packet seq, else tun_read */
    uint32_t seq;
    int rc;
    uint8_t buf[BUF_SIZE];
    HANDLE thread;
};

static DWORD WINAPI call_main(void *arg)
{
    struct call *c = arg;
    if (c->write) {
        size_t len = make_packet(c->buf, c->seq);
        c->rc = tun_write(c->dev, c->buf, len);
    } else {
        c->rc = tun_read(c->dev, c->buf, sizeof(c->buf));
    }
    return 0;
}

static void start_call(struct call *c, tun_device *dev, bool write,
                       uint32_t seq)
{
    c->dev = dev;
    c->write = write;
    c->seq = seq;
    c->rc = 1;
    c->thread = start_thread(call_main, c);
}

/* Whether the call is still waiting after ms milliseconds. */
static bool still_waiting(struct call *c, DWORD ms)
{
    return WaitForSingleObject(c->thread, ms) == WAIT_TIMEOUT;
}

/* A tun_read() in another thread, still waiting 100 ms later. */
static void start_waiting_read(struct call *c, tun_device *dev)
{
    start_call(c, dev, false, 0);
    assert_true(still_waiting(c, 100));
}

/* Join it (it must end within two seconds); its return code. */
static int finish_call(struct call *c)
{
    assert_int_equal(WaitForSingleObject(c->thread, 2000), WAIT_OBJECT_0);
    CloseHandle(c->thread);
    return c->rc;
}

/* ---- the tests ------------------------------------------------------------ */

static void open_starts_a_session_and_close_removes_the_adapter(void **state)
{
    (void)state;
    DWORD before = standin_adapter_count();
    tun_device *dev = open_standin("libtun-open", 0, false);
    assert_non_null(tun_device_fd(dev));
    assert_int_equal(standin_session_running("libtun-open"), 1);
    assert_int_equal(standin_adapter_count(), before + 1);
    unsigned flags;
    assert_tun_ok(tun_device_get_flags(dev, &flags));
    assert_false(flags & (TUN_FLAG_L2 | TUN_FLAG_PERSIST));
    tun_close(dev);
    assert_int_equal(standin_session_running("libtun-open"), 0);
    assert_int_equal(standin_adapter_count(), before);
}

static DWORD WINAPI inject_later(void *arg)
{
    Sleep(100);
    inject(arg, 7);
    return 0;
}

static void blocking_and_timed_reads(void **state)
{
    (void)state;
    const char *name = "libtun-read";
    tun_device *dev = open_standin(name, 0, false);
    uint8_t buf[BUF_SIZE];

    /* A blocking read waits for the packet that comes later. */
    HANDLE t = start_thread(inject_later, (void *)name);
    ULONGLONG start = GetTickCount64();
    int n = tun_read(dev, buf, sizeof(buf));
    assert_tun_ok(n);
    assert_true(GetTickCount64() - start >= 50);
    check_packet(buf, (size_t)n, 7);
    join_thread(t, 5000);

    /* Timed: nothing comes within the time, or at once for 0. */
    start = GetTickCount64();
    assert_int_equal(tun_read_timeout(dev, buf, sizeof(buf), 150),
                     TUN_ETIMEDOUT);
    ULONGLONG took = GetTickCount64() - start;
    assert_true(took >= 140 && took < 2000);
    start = GetTickCount64();
    assert_int_equal(tun_read_timeout(dev, buf, sizeof(buf), 0),
                     TUN_ETIMEDOUT);
    assert_true(GetTickCount64() - start < 100);

    /* A queued packet is returned by a timed read at once. */
    inject(name, 8);
    n = tun_read_timeout(dev, buf, sizeof(buf), 0);
    assert_tun_ok(n);
    check_packet(buf, (size_t)n, 8);

    /* A timed read waits for a packet that comes within the time. */
    t = start_thread(inject_later, (void *)name);
    n = tun_read_timeout(dev, buf, sizeof(buf), 5000);
    assert_tun_ok(n);
    check_packet(buf, (size_t)n, 7);
    join_thread(t, 5000);
    tun_close(dev);
}

static void nonblocking_reads_and_the_wait_handle(void **state)
{
    (void)state;
    const char *name = "libtun-nonblock";
    tun_device *dev = open_standin(name, 0, true);
    uint8_t buf[BUF_SIZE];
    HANDLE ready = tun_device_fd(dev);

    assert_int_equal(tun_read(dev, buf, sizeof(buf)), TUN_EAGAIN);
    /* Nothing queued: the handle is not signalled. */
    assert_int_equal(WaitForSingleObject(ready, 50), WAIT_TIMEOUT);
    /* As an event loop: wait on the handle, read until TUN_EAGAIN. */
    for (uint32_t round = 0; round < 3; round++) {
        for (uint32_t i = 0; i < 5; i++)
            inject(name, round * 5 + i);
        assert_int_equal(WaitForSingleObject(ready, 1000), WAIT_OBJECT_0);
        uint32_t got = 0;
        int n;
        while ((n = tun_read(dev, buf, sizeof(buf))) >= 0)
            check_packet(buf, (size_t)n, round * 5 + got++);
        assert_int_equal(n, TUN_EAGAIN);
        assert_int_equal(got, 5);
    }
    /* tun_read_timeout() waits also on a non-blocking handle. */
    ULONGLONG start = GetTickCount64();
    assert_int_equal(tun_read_timeout(dev, buf, sizeof(buf), 100),
                     TUN_ETIMEDOUT);
    assert_true(GetTickCount64() - start >= 90);
    HANDLE t = start_thread(inject_later, (void *)name);
    int got = tun_read_timeout(dev, buf, sizeof(buf), 5000);
    assert_tun_ok(got);
    check_packet(buf, (size_t)got, 7);
    join_thread(t, 5000);

    /* The mode switches at run time: a blocking read now waits. */
    assert_tun_ok(tun_device_set_nonblocking(dev, false));
    struct call c;
    start_waiting_read(&c, dev);
    inject(name, 99);
    assert_tun_ok(finish_call(&c));
    check_packet(c.buf, (size_t)c.rc, 99);
    tun_close(dev);
}

static void interrupt_wakes_a_blocked_reader_then_close(void **state)
{
    (void)state;
    const char *name = "libtun-interrupt";
    tun_device *dev = open_standin(name, 0, false);
    struct call c;
    start_waiting_read(&c, dev);
    assert_int_equal(tun_interrupt(dev), 0);
    assert_int_equal(finish_call(&c), TUN_ECANCELED);
    /* In force until cleared, even with a packet queued. */
    inject(name, 1);
    uint8_t buf[BUF_SIZE];
    assert_int_equal(tun_read(dev, buf, sizeof(buf)), TUN_ECANCELED);
    assert_int_equal(tun_read_timeout(dev, buf, sizeof(buf), 1000),
                     TUN_ECANCELED);
    assert_tun_ok(tun_interrupt_clear(dev));
    read_packet(dev, 1);

    /* Closing while a reader waits: tun_interrupt(), join, tun_close(). */
    DWORD before = standin_adapter_count();
    start_waiting_read(&c, dev);
    assert_int_equal(tun_interrupt(dev), 0);
    assert_int_equal(finish_call(&c), TUN_ECANCELED);
    tun_close(dev);
    assert_int_equal(standin_adapter_count(), before - 1);
}

/* Fill the program's send ring with packets 0, 1, ... (non-blocking
 * writes until TUN_EAGAIN); how many went. */
static uint32_t fill_send_ring(tun_device *dev)
{
    assert_tun_ok(tun_device_set_nonblocking(dev, true));
    uint8_t p[BUF_SIZE];
    uint32_t seq = 0;
    int rc;
    for (;;) {
        size_t len = make_packet(p, seq);
        if ((rc = tun_write(dev, p, len)) < 0)
            break;
        assert_int_equal(rc, (int)len);
        seq++;
    }
    if (rc != TUN_EAGAIN)
        fail_msg("write %u: %s: %s", seq, tun_err_name(rc), tun_last_error());
    assert_tun_ok(tun_device_set_nonblocking(dev, false));
    return seq;
}

static void writes_to_a_full_ring(void **state)
{
    (void)state;
    const char *name = "libtun-full";
    tun_device *dev = open_standin(name, SMALL_RING, false);
    uint32_t sent = fill_send_ring(dev);
    /* The ring held about its capacity: each packet takes 4 more bytes. */
    assert_true(sent > 100 && sent < SMALL_RING / 44);

    /* A blocking write waits for room, and goes once the system has taken
     * enough packets; none is lost or reordered. */
    struct call c;
    start_call(&c, dev, true, sent);
    assert_true(still_waiting(&c, 100));
    uint32_t seq = 0;
    while (still_waiting(&c, 20))
        collect(name, seq++);
    assert_true(seq > 0 && seq < sent);
    assert_int_equal(finish_call(&c), (int)packet_len(sent));
    while (seq <= sent)
        collect(name, seq++);

    /* A writer waiting for room answers tun_interrupt(). */
    uint32_t again = fill_send_ring(dev);
    start_call(&c, dev, true, again);
    assert_true(still_waiting(&c, 100));
    assert_int_equal(tun_interrupt(dev), 0);
    assert_int_equal(finish_call(&c), TUN_ECANCELED);
    tun_close(dev);
}

static void a_packet_larger_than_the_buffer_is_dropped_alone(void **state)
{
    (void)state;
    const char *name = "libtun-big";
    tun_device *dev = open_standin(name, 0, false);
    uint8_t big[3000], buf[1500];
    memset(big, 0x45, sizeof(big));
    assert_int_equal(standin_inject(name, big, 2000), NO_ERROR);
    inject(name, 1);
    assert_int_equal(tun_read(dev, buf, sizeof(buf)), TUN_EMSGSIZE);
    assert_non_null(strstr(tun_last_error(), "2000"));
    read_packet(dev, 1);

    /* The same through tun_recv_multiple(), with headroom. */
    uint8_t mem[4][1600];
    tun_buf bufs[4];
    for (int i = 0; i < 4; i++)
        bufs[i] = (tun_buf){mem[i], sizeof(mem[i]), 0};
    assert_int_equal(standin_inject(name, big, 3000), NO_ERROR);
    inject(name, 2);
    assert_int_equal(tun_recv_multiple(dev, bufs, 4, 16), TUN_EMSGSIZE);
    assert_int_equal(tun_recv_multiple(dev, bufs, 4, 16), 1);
    check_packet(bufs[0].data + 16, bufs[0].len, 2);
    tun_close(dev);
}

/* Under wine no IP family runs on the adapter, so wintun's own limit holds
 * writes; a packet that is not IP is refused before the driver sees it. */
static void write_limits(void **state)
{
    (void)state;
    const char *name = "libtun-limits";
    tun_device *dev = open_standin(name, 0, false);
    static uint8_t big[65536], got[65536];
    memset(big, 0xab, sizeof(big));
    big[0] = 0x45;
    assert_int_equal(tun_write(dev, big, 65535), 65535);
    DWORD len;
    assert_int_equal(standin_collect(name, got, sizeof(got), &len), NO_ERROR);
    assert_int_equal(len, 65535);
    assert_memory_equal(got, big, 65535);
    assert_int_equal(tun_write(dev, big, 65536), TUN_EMSGSIZE);
    big[0] = 0x15;
    assert_int_equal(tun_write(dev, big, 100), TUN_EINVAL);
    /* Shorter than its IP header: wintun's driver would stop taking the
     * session's packets at it, so it never reaches the ring. */
    big[0] = 0x45;
    assert_int_equal(tun_write(dev, big, 19), TUN_EINVAL);
    assert_non_null(strstr(tun_last_error(), "IPv4 header"));
    big[0] = 0x60;
    assert_int_equal(tun_write(dev, big, 39), TUN_EINVAL);
    assert_int_equal(standin_collect(name, got, sizeof(got), &len),
                     ERROR_NO_MORE_ITEMS);
    /* The smallest of each family go, and the device still sends after. */
    assert_int_equal(tun_write(dev, big, 40), 40);
    big[0] = 0x45;
    assert_int_equal(tun_write(dev, big, 20), 20);
    assert_int_equal(standin_collect(name, got, sizeof(got), &len), NO_ERROR);
    assert_int_equal(len, 40);
    assert_int_equal(standin_collect(name, got, sizeof(got), &len), NO_ERROR);
    assert_int_equal(len, 20);
    tun_close(dev);
}

static void batched_receive_and_send(void **state)
{
    (void)state;
    const char *name = "libtun-batch";
    tun_device *dev = open_standin(name, 0, true);
    enum { COUNT = 64, OFFSET = 32 };
    static uint8_t mem[COUNT][OFFSET + BUF_SIZE];
    tun_buf bufs[COUNT];
    for (int i = 0; i < COUNT; i++)
        bufs[i] = (tun_buf){mem[i], sizeof(mem[i]), 0};

    for (uint32_t seq = 0; seq < COUNT; seq++)
        inject(name, seq);
    uint32_t got = 0;
    int n;
    while (got < COUNT && (n = tun_recv_multiple(dev, bufs + got,
                                                 COUNT - got, OFFSET)) > 0) {
        for (int i = 0; i < n; i++)
            check_packet(bufs[got + i].data + OFFSET, bufs[got + i].len,
                         got + i);
        got += (uint32_t)n;
    }
    assert_int_equal(got, COUNT);
    assert_int_equal(tun_recv_multiple(dev, bufs, COUNT, OFFSET), TUN_EAGAIN);

    for (uint32_t seq = 0; seq < COUNT; seq++)
        bufs[seq].len = make_packet(bufs[seq].data + OFFSET, 1000 + seq);
    assert_int_equal(tun_send_multiple(dev, NULL, bufs, COUNT, OFFSET),
                     COUNT);
    for (uint32_t seq = 0; seq < COUNT; seq++)
        collect(name, 1000 + seq);
    tun_close(dev);
}

/* ---- thousands of packets each way, through a small ring ---------------- */

/* The system's side queues count packets 0, 1, ... as the ring has room,
 * pausing after every burst packets (0: never). */
struct injection {
    const char *adapter;
    uint32_t count, burst;
};

static DWORD WINAPI inject_packets(void *arg)
{
    const struct injection *in = arg;
    uint8_t p[BUF_SIZE];
    for (uint32_t seq = 0; seq < in->count; seq++) {
        size_t len = make_packet(p, seq);
        DWORD err;
        while ((err = standin_inject(in->adapter, p, (DWORD)len)) ==
               ERROR_BUFFER_OVERFLOW)
            Sleep(0);
        if (err != NO_ERROR)
            return err;
        if (in->burst && seq % in->burst == in->burst - 1)
            Sleep(1);
    }
    return 0;
}

static DWORD WINAPI write_stream(void *arg)
{
    uint8_t p[BUF_SIZE];
    for (uint32_t seq = 0; seq < STREAM_PACKETS; seq++) {
        size_t len = make_packet(p, seq);
        if (tun_write(arg, p, len) != (int)len)
            return 1;
    }
    return 0;
}

static void thousands_of_packets_each_way(void **state)
{
    (void)state;
    const char *name = "libtun-stream";
    tun_device *dev = open_standin(name, SMALL_RING, false);

    /* To the program: the system fills the ring faster than it is read. */
    struct injection in = {name, STREAM_PACKETS, 0};
    HANDLE t = start_thread(inject_packets, &in);
    for (uint32_t seq = 0; seq < STREAM_PACKETS; seq++)
        read_packet(dev, seq);
    join_thread(t, 5000);

    /* From the program: its writes wait for room as the system takes. */
    t = start_thread(write_stream, dev);
    for (uint32_t seq = 0; seq < STREAM_PACKETS; seq++)
        collect(name, seq);
    join_thread(t, 5000);
    uint8_t p[BUF_SIZE];
    DWORD len;
    assert_int_equal(standin_collect(name, p, sizeof(p), &len),
                     ERROR_NO_MORE_ITEMS);
    tun_close(dev);
}

/* Two threads reading one handle share the packets: each exactly once. */
struct sharer {
    tun_device *dev;
    uint32_t count;
    uint8_t seen[STREAM_PACKETS];
};

static DWORD WINAPI read_shared(void *arg)
{
    struct sharer *r = arg;
    uint8_t p[BUF_SIZE];
    int n;
    while ((n = tun_read(r->dev, p, sizeof(p))) > 0) {
        uint32_t seq;
        memcpy(&seq, p + 4, sizeof(seq));
        uint8_t want[BUF_SIZE];
        if (seq >= STREAM_PACKETS || (size_t)n != make_packet(want, seq) ||
            memcmp(p, want, (size_t)n) != 0)
            return 1;
        r->seen[seq]++;
        r->count++;
    }
    return n == TUN_ECANCELED ? 0 : 2;
}

static void two_readers_share_the_packets(void **state)
{
    (void)state;
    const char *name = "libtun-shared";
    tun_device *dev = open_standin(name, SMALL_RING, false);
    static struct sharer readers[2];
    HANDLE threads[2];
    for (int i = 0; i < 2; i++) {
        memset(&readers[i], 0, sizeof(readers[i]));
        readers[i].dev = dev;
        threads[i] = start_thread(read_shared, &readers[i]);
    }
    struct injection in = {name, STREAM_PACKETS, 0};
    join_thread(start_thread(inject_packets, &in), 10000);
    ULONGLONG end = GetTickCount64() + 5000;
    while (readers[0].count + readers[1].count < STREAM_PACKETS &&
           GetTickCount64() < end)
        Sleep(1);
    assert_int_equal(tun_interrupt(dev), 0);
    for (int i = 0; i < 2; i++)
        join_thread(threads[i], 2000);
    for (uint32_t seq = 0; seq < STREAM_PACKETS; seq++)
        if (readers[0].seen[seq] + readers[1].seen[seq] != 1)
            fail_msg("packet %u read %d times", seq,
                     readers[0].seen[seq] + readers[1].seen[seq]);
    tun_close(dev);
}

static void adapter_removed_under_a_waiting_reader(void **state)
{
    (void)state;
    const char *name = "libtun-removed";
    tun_device *dev = open_standin(name, 0, false);
    struct call c;
    start_waiting_read(&c, dev);
    assert_int_equal(standin_remove(name), NO_ERROR);
    assert_int_equal(finish_call(&c), TUN_ENODEV);
    uint8_t p[BUF_SIZE];
    size_t len = make_packet(p, 0);
    assert_int_equal(tun_write(dev, p, len), TUN_ENODEV);
    assert_int_equal(tun_read_timeout(dev, p, sizeof(p), 0), TUN_ENODEV);
    tun_close(dev);
}

/* Under wine an unhandled exception (a call into one of wine's unwritten
 * functions, say) starts its debugger, and the process may then end with
 * code 0: fail the test instead. */
static LONG WINAPI crashed(EXCEPTION_POINTERS *info)
{
    fprintf(stderr, "test_wintun: unhandled exception 0x%08lx\n",
            (unsigned long)info->ExceptionRecord->ExceptionCode);
    fflush(stderr);
    ExitProcess(70);
}

static void a_name_in_use_is_busy_and_patterns_skip_it(void **state)
{
    (void)state;
    const char *name = "libtun-busy";
    tun_device *dev = open_standin(name, 0, false);
    DWORD before = standin_adapter_count();
    int rc;
    assert_null(open_named(name, 0, false, &rc));
    assert_int_equal(rc, TUN_EBUSY);
    assert_non_null(strstr(tun_last_error(), "session"));
    /* Exclusive create refuses the name instead. */
    tun_config *cfg;
    assert_tun_ok(tun_config_new(&cfg));
    assert_tun_ok(tun_config_set_name(cfg, name));
    assert_tun_ok(tun_config_set_wintun_dll(cfg, standin_path));
    assert_tun_ok(tun_config_set_exclusive(cfg, true));
    tun_device *other = NULL;
    assert_int_equal(tun_open(cfg, &other), TUN_EEXIST);
    assert_null(other);
    tun_config_free(cfg);
    /* The first handle's adapter is untouched: same name, still works. */
    assert_int_equal(standin_adapter_count(), before);
    inject(name, 3);
    read_packet(dev, 3);

    /* A pattern takes the first name nobody has. */
    tun_device *first = open_standin("libtun-pat%d", 0, false);
    tun_device *second = open_standin("libtun-pat%d", 0, false);
    assert_int_equal(standin_session_running("libtun-pat0"), 1);
    assert_int_equal(standin_session_running("libtun-pat1"), 1);
    tun_close(second);
    tun_close(first);
    tun_close(dev);
}

/* The name of an interface of another kind (wine's IP Helper lists the
 * host's, the loopback at least) is refused, never taken over. */
static void a_name_of_another_kind_of_adapter_is_refused(void **state)
{
    (void)state;
    MIB_IF_TABLE2 *table;
    assert_int_equal(GetIfTable2(&table), NO_ERROR);
    char alias[TUN_NAME_MAX] = "";
    for (ULONG i = 0; i < table->NumEntries && !alias[0]; i++)
        if (table->Table[i].OperStatus == IfOperStatusUp &&
            !WideCharToMultiByte(CP_UTF8, 0, table->Table[i].Alias, -1, alias,
                                 sizeof(alias), NULL, NULL))
            alias[0] = 0;
    FreeMibTable(table);
    assert_true(alias[0]);
    DWORD before = standin_adapter_count();
    int rc;
    assert_null(open_named(alias, 0, false, &rc));
    assert_int_equal(rc, TUN_EBUSY);
    assert_non_null(strstr(tun_last_error(), "not a wintun adapter"));
    assert_int_equal(standin_adapter_count(), before);
}

/* wintun 0.14 ties an adapter to its creator's handle: one left by a
 * crashed process is not present, WintunOpenAdapter does not find it, and
 * the open creates the name anew (wintun removes the orphan). The new
 * adapter is this handle's own: it goes at close. */
static void an_adapter_left_by_a_crashed_process_is_replaced(void **state)
{
    (void)state;
    const char *name = "libtun-orphan";
    assert_int_equal(standin_leave_orphan(name), NO_ERROR);
    DWORD before = standin_adapter_count(); /* the orphan included */
    for (int round = 0; round < 2; round++) {
        tun_device *dev = open_standin(name, 0, false);
        assert_int_equal(standin_adapter_count(), before);
        assert_int_equal(standin_session_running(name), 1);
        unsigned flags;
        assert_tun_ok(tun_device_get_flags(dev, &flags));
        assert_false(flags & TUN_FLAG_PERSIST);
        inject(name, 5);
        read_packet(dev, 5);
        tun_close(dev);
        assert_int_equal(standin_session_running(name), 0);
        assert_int_equal(standin_adapter_count(), before - 1);
    }
}

/* The Windows device calls: the LUID is the adapter's, the run-time
 * changes check their arguments before anything changes. (Metric, DNS
 * servers and IPv6 MTU themselves are IP Helper calls that wine does not
 * implement; wine runs no IPv6 on the stand-in's adapter either.) */
static void windows_device_calls(void **state)
{
    (void)state;
    tun_device *a = open_standin("libtun-luid-a", 0, false);
    tun_device *b = open_standin("libtun-luid-b", 0, false);
    uint64_t luid_a, luid_b;
    assert_tun_ok(tun_device_get_luid(a, &luid_a));
    assert_tun_ok(tun_device_get_luid(b, &luid_b));
    assert_int_equal(luid_a >> 48, IF_TYPE_PROP_VIRTUAL);
    assert_int_not_equal(luid_a, luid_b);

    assert_int_equal(tun_device_set_metric(a, 10000), TUN_ERANGE);
    const char *bad[2] = {"1.1.1.1", "dns.example"};
    assert_int_equal(tun_device_set_dns_servers(a, bad, 2), TUN_EINVAL);
    assert_non_null(strstr(tun_last_error(), "tun_device_set_dns_servers"));
    const char *twice[2] = {"1.1.1.1", "1.1.1.1"};
    assert_int_equal(tun_device_set_dns_servers(a, twice, 2), TUN_EEXIST);
    const char *many[TUN_DNS_MAX + 1];
    char text[TUN_DNS_MAX + 1][16];
    for (int i = 0; i <= TUN_DNS_MAX; i++) {
        snprintf(text[i], sizeof(text[i]), "10.0.0.%d", i + 1);
        many[i] = text[i];
    }
    assert_int_equal(tun_device_set_dns_servers(a, many, TUN_DNS_MAX + 1),
                     TUN_ENOSPC);
    assert_int_equal(tun_device_set_dns_servers(a, NULL, 1), TUN_EINVAL);
    assert_int_equal(tun_device_set_ipv6_mtu(a, 1279), TUN_ERANGE);
    assert_int_equal(tun_device_set_ipv6_mtu(a, 65536), TUN_ERANGE);
    unsigned mtu;
    assert_int_equal(tun_device_get_ipv6_mtu(a, &mtu), TUN_ENOTSUP);
    tun_close(b);
    tun_close(a);
}

/* ---- an event loop on sockets, woken through event_bridge ---------------- */

#define LOOP_PACKETS 300

/* The loop of examples/windows/poll_responder.c: WSAPoll() on the bridge's
 * socket, read until TUN_EAGAIN, rearm; each packet answered with a write. */
static void an_event_loop_wakes_through_the_bridge(void **state)
{
    (void)state;
    const char *name = "libtun-loop";
    tun_device *dev = open_standin(name, 0, true);
    event_bridge *bridge;
    SOCKET wake;
    assert_int_equal(event_bridge_open(dev, &bridge, &wake), 0);
    WSAPOLLFD watch = {.fd = wake, .events = POLLRDNORM};
    uint8_t buf[BUF_SIZE];
    /* Bursts, each waking the loop once; quiet once read. */
    for (uint32_t burst = 0; burst < 5; burst++) {
        assert_int_equal(WSAPoll(&watch, 1, 50), 0);
        for (uint32_t i = 0; i < 20; i++)
            inject(name, burst * 20 + i);
        watch.revents = 0;
        assert_int_equal(WSAPoll(&watch, 1, 2000), 1);
        uint32_t got = 0;
        int n;
        while ((n = tun_read(dev, buf, sizeof(buf))) >= 0)
            check_packet(buf, (size_t)n, burst * 20 + got++);
        assert_int_equal(n, TUN_EAGAIN);
        assert_int_equal(got, 20);
        event_bridge_rearm(bridge);
        watch.revents = 0;
    }

    /* Packets arriving while the loop reads: none is missed. */
    /* Bursts of a few packets, then quiet. */
    struct injection in = {name, LOOP_PACKETS, 7};
    HANDLE t = start_thread(inject_packets, &in);
    uint32_t got = 0;
    while (got < LOOP_PACKETS) {
        watch.revents = 0;
        assert_int_equal(WSAPoll(&watch, 1, 2000), 1);
        int n;
        while ((n = tun_read(dev, buf, sizeof(buf))) >= 0) {
            check_packet(buf, (size_t)n, got);
            assert_int_equal(tun_write(dev, buf, (size_t)n), n);
            got++;
        }
        assert_int_equal(n, TUN_EAGAIN);
        event_bridge_rearm(bridge);
    }
    join_thread(t, 5000);
    for (uint32_t seq = 0; seq < LOOP_PACKETS; seq++)
        collect(name, seq);
    /* Read to the end: quiet again. */
    watch.revents = 0;
    int quiet = WSAPoll(&watch, 1, 100);
    if (quiet == 1) { /* the last packet's signal, already read */
        assert_int_equal(tun_read(dev, buf, sizeof(buf)), TUN_EAGAIN);
        event_bridge_rearm(bridge);
        assert_int_equal(WSAPoll(&watch, 1, 100), 0);
    } else {
        assert_int_equal(quiet, 0);
    }
    event_bridge_close(bridge);
    tun_close(dev);
}

#ifdef TUN_TEST_LIBUV
/* ---- a libuv loop, woken through a uv_async_t (libuv_device) ------------ */

/* The loop of examples/windows/uv_responder.c in a thread of its own, each
 * packet sent back as it came (the test thread plays the system). */
struct uv_echo {
    uv_loop_t loop;
    libuv_device device;
    uint32_t got, wrong, stopped;
};

static void echo(tun_device *dev, uint8_t *pkt, size_t len, void *user)
{
    struct uv_echo *e = user;
    uint8_t want[BUF_SIZE];
    size_t want_len = make_packet(want, e->got++);
    if (len != want_len || memcmp(pkt, want, len) != 0 ||
        tun_write(dev, pkt, len) != (int)len)
        e->wrong++;
}

static void echo_stopped(libuv_device *d)
{
    ((struct uv_echo *)d->user)->stopped++;
}

static DWORD WINAPI run_loop(void *arg)
{
    struct uv_echo *e = arg;
    uv_run(&e->loop, UV_RUN_DEFAULT);
    return 0;
}

static HANDLE start_echo(struct uv_echo *e, tun_device *dev)
{
    memset(e, 0, sizeof(*e));
    assert_int_equal(uv_loop_init(&e->loop), 0);
    e->device.on_stopped = echo_stopped;
    assert_int_equal(libuv_device_start(&e->loop, dev, echo, e, &e->device),
                     0);
    return start_thread(run_loop, e);
}

/* The loop has ended by itself (nothing of the device left in it). */
static void finish_echo(struct uv_echo *e, HANDLE loop_thread)
{
    join_thread(loop_thread, 5000);
    assert_int_equal(e->stopped, 1);
    assert_int_equal(uv_loop_close(&e->loop), 0);
}

static void a_libuv_loop_answers_through_uv_async(void **state)
{
    (void)state;
    const char *name = "libtun-uv";
    tun_device *dev = open_standin(name, 0, false);
    struct uv_echo e;
    HANDLE loop_thread = start_echo(&e, dev);
    /* Bursts of a few packets, each answered while more arrive. */
    struct injection in = {name, LOOP_PACKETS, 7};
    HANDLE t = start_thread(inject_packets, &in);
    for (uint32_t seq = 0; seq < LOOP_PACKETS; seq++)
        collect(name, seq);
    join_thread(t, 5000);
    /* Stopped from another thread: the loop closes its handles and ends,
     * the device is still open and quiet. */
    libuv_device_stop(&e.device);
    finish_echo(&e, loop_thread);
    assert_int_equal(e.got, LOOP_PACKETS);
    assert_int_equal(e.wrong, 0);
    assert_int_equal(e.device.status, 0);
    uint8_t p[BUF_SIZE];
    DWORD len;
    assert_int_equal(standin_collect(name, p, sizeof(p), &len),
                     ERROR_NO_MORE_ITEMS);
    assert_int_equal(standin_session_running(name), 1);
    tun_close(dev);
    assert_int_equal(standin_session_running(name), 0);
}

/* The adapter removed under the loop: the loop ends with TUN_ENODEV. */
static void a_libuv_loop_ends_when_the_adapter_goes(void **state)
{
    (void)state;
    const char *name = "libtun-uv-removed";
    tun_device *dev = open_standin(name, 0, false);
    struct uv_echo e;
    HANDLE loop_thread = start_echo(&e, dev);
    inject(name, 0);
    collect(name, 0);
    assert_int_equal(standin_remove(name), NO_ERROR);
    finish_echo(&e, loop_thread);
    assert_int_equal(e.got, 1);
    assert_int_equal(e.device.status, TUN_ENODEV);
    tun_close(dev);
}
#endif

/* wintun's messages reach the library's log handler. */
struct captured {
    int driver_info, driver_errors;
};

static void capture(tun_log_level level, const char *message, void *user)
{
    struct captured *c = user;
    if (strcmp(message, "wintun: Creating adapter") == 0 &&
        level == TUN_LOG_DEBUG)
        c->driver_info++;
    if (strcmp(message, "wintun: Failed to find matching adapter name") == 0 &&
        level == TUN_LOG_WARNING)
        c->driver_errors++;
}

static void wintun_messages_reach_the_log_handler(void **state)
{
    (void)state;
    struct captured c = {0, 0};
    tun_set_log_handler(capture, TUN_LOG_DEBUG, &c);
    tun_device *dev = open_standin("libtun-logged", 0, false);
    tun_set_log_handler(NULL, TUN_LOG_ERROR, NULL);
    assert_int_equal(c.driver_info, 1);
    assert_int_equal(c.driver_errors, 1); /* the name, asked before creating */
    tun_close(dev);
    /* Off again: nothing more is captured. */
    dev = open_standin("libtun-logged", 0, false);
    assert_int_equal(c.driver_info, 1);
    tun_close(dev);
}

int main(void)
{
    SetUnhandledExceptionFilter(crashed);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(open_starts_a_session_and_close_removes_the_adapter),
        cmocka_unit_test(blocking_and_timed_reads),
        cmocka_unit_test(nonblocking_reads_and_the_wait_handle),
        cmocka_unit_test(interrupt_wakes_a_blocked_reader_then_close),
        cmocka_unit_test(writes_to_a_full_ring),
        cmocka_unit_test(a_packet_larger_than_the_buffer_is_dropped_alone),
        cmocka_unit_test(write_limits),
        cmocka_unit_test(batched_receive_and_send),
        cmocka_unit_test(thousands_of_packets_each_way),
        cmocka_unit_test(two_readers_share_the_packets),
        cmocka_unit_test(adapter_removed_under_a_waiting_reader),
        cmocka_unit_test(a_name_in_use_is_busy_and_patterns_skip_it),
        cmocka_unit_test(a_name_of_another_kind_of_adapter_is_refused),
        cmocka_unit_test(an_adapter_left_by_a_crashed_process_is_replaced),
        cmocka_unit_test(windows_device_calls),
        cmocka_unit_test(an_event_loop_wakes_through_the_bridge),
#ifdef TUN_TEST_LIBUV
        cmocka_unit_test(a_libuv_loop_answers_through_uv_async),
        cmocka_unit_test(a_libuv_loop_ends_when_the_adapter_goes),
#endif
        cmocka_unit_test(wintun_messages_reach_the_log_handler),
    };
    return cmocka_run_group_tests(tests, find_standin, NULL);
}
