/* SPDX-License-Identifier: ISC */
/*
 * Glue between the IKE module and the gateway: the IKE sockets (UDP 500;
 * NAT-T messages arrive through the ESP inbound thread), the IKE timers on
 * the control loop, and CHILD_SAs installed into the ESP data plane with
 * routes into the TUN device.
 */
#ifndef BW_GW_IKE_H
#define BW_GW_IKE_H

#include <stdio.h>

#include "gw/gw_conf.h"
#include "gw/gw_esp.h"
#include "lib/evloop.h"

struct gw_ike;

/* Opens the IKE sockets (privileged: call before dropping privileges). */
int gw_ike_new(struct gw_ike **out, const struct gw_conf *conf, struct ev_loop *loop,
               struct gw_esp *esp, int tun_ifindex);
void gw_ike_free(struct gw_ike *gi);
/* Initiates the connections whose children say start_action: start. */
void gw_ike_start(struct gw_ike *gi);
int gw_ike_initiate(struct gw_ike *gi, const char *conn);
int gw_ike_terminate(struct gw_ike *gi, const char *conn);
void gw_ike_status(const struct gw_ike *gi, FILE *f);

#endif
