/* SPDX-License-Identifier: ISC */
/*
 * The TUN device and the kernel routing around it: open /dev/net/tun,
 * set MTU and addresses, bring it up, and add routes to the remote inner
 * prefixes through rtnetlink.
 */
#ifndef BW_GW_TUN_H
#define BW_GW_TUN_H

#include <stdbool.h>
#include <stdint.h>

#include "lib/addr.h"

/* Opens (creating if needed) the TUN device `name`, non-blocking; returns the fd
 * or a negative bw_err. The actual name is written back to name (IFNAMSIZ).
 * With offload, asks for virtio net headers with TSO/checksum offload
 * (gw_offload.h); *vnet says whether the kernel agreed. */
int gw_tun_open(char *name, bool offload, bool *vnet);
int gw_tun_ifindex(const char *name);
/* rtnetlink: MTU and up; an address with prefix; a route to prefix via the device. */
int gw_nl_link_up(int ifindex, uint32_t mtu);
int gw_nl_addr_add(int ifindex, const struct bw_addr *a, uint8_t plen);
int gw_nl_route_add(int ifindex, const struct bw_addr *prefix, uint8_t plen);

#endif
