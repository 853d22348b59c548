/* Change notifications, the same on every platform: the backend says when
 * something may have changed (see tun_backend_events_*() in internal.h);
 * this reads the interface's state through the public getters and reports
 * what differs from the state seen last. One diff serves every backend, and
 * a lost notification costs nothing: the next read catches up. */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

/* What the events compare. */
struct tun_events_state {
    char name[TUN_NAME_MAX];
    unsigned mtu;
    bool up;
    bool carrier;
    tun_address *addresses;
    size_t address_count;
};

struct tun_events {
    tun_device *dev;
    void *source;
    struct tun_events_state state;
    bool deleted; /* TUN_EVENT_DELETED was queued: nothing more comes */
    bool pending; /* a change was heard of whose state is not read yet */
    tun_event *queue;
    size_t queue_head;
    size_t queue_count;
    size_t queue_capacity;
};

static void tun_events_state_free(struct tun_events_state *s)
{
    free(s->addresses);
    s->addresses = NULL;
    s->address_count = 0;
}

/* Read the interface's state; TUN_ENODEV (or TUN_ENOENT, which Windows
 * gives for an adapter that is gone) when it no longer exists. */
static int tun_events_read(tun_device *dev, struct tun_events_state *s)
{
    memset(s, 0, sizeof(*s));
    int rc;
    if ((rc = tun_device_get_name(dev, s->name, sizeof(s->name))) < 0 ||
        (rc = tun_device_get_mtu(dev, &s->mtu)) < 0 ||
        (rc = tun_device_get_up(dev, &s->up)) < 0 ||
        (rc = tun_device_get_carrier(dev, &s->carrier)) < 0)
        return rc;
    for (;;) {
        size_t count = 0;
        rc = tun_device_get_addresses(dev, s->addresses, s->address_count,
                                      &count);
        if (rc != TUN_ENOBUFS) {
            s->address_count = count;
            if (rc < 0)
                tun_events_state_free(s);
            return rc;
        }
        /* Room for more than were there a moment ago. */
        tun_address *grown = realloc(s->addresses,
                                     (count + 4) * sizeof(*grown));
        if (!grown) {
            tun_events_state_free(s);
            return tun_fail(TUN_ENOMEM, "reading the addresses: out of "
                            "memory");
        }
        s->addresses = grown;
        s->address_count = count + 4;
    }
}

static int tun_events_push(tun_events *ev, const tun_event *e)
{
    /* Compact first: the queue is empty whenever changes are read. */
    if (ev->queue_count == 0)
        ev->queue_head = 0;
    void *items = ev->queue;
    size_t end = ev->queue_head + ev->queue_count;
    int rc = tun_array_push(&items, &end, &ev->queue_capacity, sizeof(*e), e,
                            "queueing an event");
    ev->queue = items;
    if (rc == 0)
        ev->queue_count++;
    return rc;
}

static int tun_events_simple(tun_events *ev, tun_event_type type)
{
    tun_event e;
    memset(&e, 0, sizeof(e));
    e.type = type;
    return tun_events_push(ev, &e);
}

static bool tun_events_has(const struct tun_events_state *s,
                           const tun_address *a)
{
    for (size_t i = 0; i < s->address_count; i++)
        if (tun_address_same(&s->addresses[i], a) &&
            s->addresses[i].prefix == a->prefix)
            return true;
    return false;
}

/* Queue the address changes from `from` to `to` as events of type. */
static int tun_events_addresses(tun_events *ev,
                                const struct tun_events_state *from,
                                const struct tun_events_state *to,
                                tun_event_type type)
{
    for (size_t i = 0; i < from->address_count; i++) {
        if (tun_events_has(to, &from->addresses[i]))
            continue;
        tun_event e;
        memset(&e, 0, sizeof(e));
        e.type = type;
        e.address = from->addresses[i];
        int rc = tun_events_push(ev, &e);
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* Queue what differs from ev->state to now, then keep now. */
static int tun_events_diff(tun_events *ev, struct tun_events_state *now)
{
    struct tun_events_state *was = &ev->state;
    int rc = 0;
    if (strcmp(was->name, now->name) != 0) {
        tun_event e;
        memset(&e, 0, sizeof(e));
        e.type = TUN_EVENT_RENAME;
        memcpy(e.name, now->name, sizeof(e.name));
        rc = tun_events_push(ev, &e);
    }
    if (rc == 0 && was->mtu != now->mtu) {
        tun_event e;
        memset(&e, 0, sizeof(e));
        e.type = TUN_EVENT_MTU;
        e.mtu = now->mtu;
        rc = tun_events_push(ev, &e);
    }
    if (rc == 0 && was->up != now->up)
        rc = tun_events_simple(ev, now->up ? TUN_EVENT_UP : TUN_EVENT_DOWN);
    if (rc == 0 && was->carrier != now->carrier)
        rc = tun_events_simple(ev, now->carrier ? TUN_EVENT_CARRIER_ON
                                                : TUN_EVENT_CARRIER_OFF);
    if (rc == 0)
        rc = tun_events_addresses(ev, was, now, TUN_EVENT_ADDRESS_REMOVED);
    if (rc == 0)
        rc = tun_events_addresses(ev, now, was, TUN_EVENT_ADDRESS_ADDED);
    tun_events_state_free(was);
    *was = *now;
    return rc;
}

int tun_events_open(tun_device *dev, tun_events **out)
{
    if (!dev || !out)
        return tun_fail(TUN_EINVAL, "tun_events_open: NULL pointer");
    tun_events *ev = calloc(1, sizeof(*ev));
    if (!ev)
        return tun_fail(TUN_ENOMEM, "tun_events_open: out of memory");
    ev->dev = dev;
    /* Subscribed before the first read, so no change falls between. */
    int rc = tun_backend_events_open(dev, &ev->source);
    if (rc == 0 && (rc = tun_events_read(dev, &ev->state)) < 0)
        tun_backend_events_close(ev->source);
    if (rc < 0) {
        free(ev);
        return tun_fail(rc, "tun_events_open: %s", tun_last_error());
    }
    *out = ev;
    return 0;
}

tun_os_fd tun_events_fd(const tun_events *ev)
{
#if defined(_WIN32)
    return ev ? tun_backend_events_fd(ev->source) : NULL;
#else
    return ev ? tun_backend_events_fd(ev->source) : -1;
#endif
}

int tun_events_next(tun_events *ev, tun_event *event)
{
    if (!ev || !event)
        return tun_fail(TUN_EINVAL, "tun_events_next: NULL pointer");
    if (ev->queue_count == 0) {
        /* Drained after the deletion too: the system tells of every
         * interface, and a descriptor left readable would spin the loop. */
        int rc = tun_backend_events_drain(ev->source, ev->dev);
        if (rc < 0)
            return tun_fail(rc, "tun_events_next: %s", tun_last_error());
        ev->pending |= rc > 0 && !ev->deleted;
        if (ev->pending) {
            /* Pending until the state is read: a failed read (dumps
             * interrupted by changes, no memory) is tried again next
             * call, not lost with the notifications drained. */
            struct tun_events_state now;
            rc = tun_events_read(ev->dev, &now);
            if (rc == TUN_ENODEV || rc == TUN_ENOENT) {
                ev->deleted = true;
                rc = tun_events_simple(ev, TUN_EVENT_DELETED);
            } else if (rc == 0) {
                rc = tun_events_diff(ev, &now);
            }
            if (rc < 0)
                return tun_fail(rc, "tun_events_next: %s", tun_last_error());
            ev->pending = false;
        }
    }
    if (ev->queue_count == 0)
        return TUN_EAGAIN;
    *event = ev->queue[ev->queue_head++];
    ev->queue_count--;
    return 0;
}

void tun_events_close(tun_events *ev)
{
    if (!ev)
        return;
    tun_backend_events_close(ev->source);
    tun_events_state_free(&ev->state);
    free(ev->queue);
    free(ev);
}
