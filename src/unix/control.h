/* The control plane on Unix (see "Control plane" in tun.h): the public
 * calls are written once (control.c) over these hooks, which each backend
 * (src/linux/control.c, src/bsd/control.c) defines. A hook is called with
 * a device that has an interface and checked arguments, and records its
 * reason with tun_fail(). */
#ifndef TUN_UNIX_CONTROL_H
#define TUN_UNIX_CONTROL_H

#include "io.h"

int tun_backend_get_stats(tun_device *dev, tun_stats *stats);
int tun_backend_set_carrier(tun_device *dev, bool on);
int tun_backend_get_carrier(tun_device *dev, bool *on);
/* Add r, or remove the route through the interface that tun_route_matches()
 * r (TUN_ENOENT when there is none). */
int tun_backend_change_route(tun_device *dev, const tun_route *r, bool add);
/* As tun_device_get_routes(): TUN_ENOBUFS when capacity was too small. */
int tun_backend_list_routes(tun_device *dev, tun_route *out, size_t capacity,
                            size_t *count);

/* What a failed read of a notification socket (rtnetlink, routing socket)
 * means: 1 to read on (interrupted; or notifications were dropped, which
 * sets *concerned: the state must be read again), 0 when it is drained,
 * or a recorded error naming what. */
int tun_unix_notification_error(int err, int *concerned, const char *what);

/* tun_open()'s route step: add cfg's routes in order, counting those added
 * in *added; a failure names the route and the interface `name`. */
int tun_unix_add_config_routes(tun_device *dev, const tun_config *cfg,
                               const char *name, size_t *added);
/* Undo it on an interface that outlives a failed tun_open(): remove the
 * first `added` routes of cfg, last first. */
void tun_unix_remove_config_routes(tun_device *dev, const tun_config *cfg,
                                   size_t added);

#endif
