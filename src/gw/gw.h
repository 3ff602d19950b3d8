/* SPDX-License-Identifier: ISC */
/*
 * The gateway daemon: owns the TUN device, the outer sockets, the ESP
 * data plane threads and the control socket. gw_new() does every
 * privileged set-up step (TUN, addresses, routes, raw and UDP sockets),
 * then privileges can be dropped and gw_run() serves until a signal.
 */
#ifndef BW_GW_H
#define BW_GW_H

#include <stdint.h>

#include "gw/gw_conf.h"

struct gw;

/* Takes ownership of conf. */
int gw_new(struct gw **out, struct gw_conf *conf);
void gw_free(struct gw *gw);
/* Drops to conf->user if set; call after gw_new(). */
int gw_drop_privileges(struct gw *gw);
/* Runs the data plane threads and the control loop until SIGINT/SIGTERM. */
int gw_run(struct gw *gw);

#endif
