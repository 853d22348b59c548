/* macOS TAP devices: a pair of fake Ethernet (feth) interfaces. */
#ifndef TUN_DARWIN_FETH_H
#define TUN_DARWIN_FETH_H

#include "../internal.h"

/* tun_open() for an L2 config (see feth.c for how). */
int tun_darwin_feth_open(const tun_config *cfg, tun_device **out);

#endif
