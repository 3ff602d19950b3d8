/* SPDX-License-Identifier: ISC */
/*
 * IKEv2 (RFC 7296): the state machines of every IKE SA and its CHILD_SAs,
 * initiator and responder. No sockets and no clock: the owner feeds
 * received messages and the time in, and the module answers through a
 * small callback table (send a datagram, install or remove an ESP SA
 * pair). That keeps retransmission, lifetimes and dead peer detection
 * testable with a fake clock.
 */
#ifndef BW_IKE_H
#define BW_IKE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "ike/ike_conf.h"
#include "ipsec/esp.h"
#include "lib/addr.h"

/* A CHILD_SA pair as the data plane installs it. */
struct ike_child_sa {
	const char *name;      /* connection/child */
	struct esp_sa_cfg out; /* keys included: the callee copies and wipes nothing */
	struct esp_sa_cfg in;
	struct esp_ts ts[IKE_MAX_TS];
	size_t n_ts;
};

/* What the IKE module needs from its owner. */
struct ike_ops {
	/* Sends msg from src to dst (ports set); natt: on the NAT-T port, with the marker. */
	int (*send)(void *arg, const struct bw_addr *src, const struct bw_addr *dst, bool natt,
	            const uint8_t *msg, size_t len);
	/* Installs an ESP SA pair; *handle identifies it for child_del. */
	int (*child_add)(void *arg, const struct ike_child_sa *c, uint32_t *handle);
	void (*child_del)(void *arg, uint32_t handle);
	/* A virtual IP the peer assigned us (remote access client); NULL = ignore. */
	int (*vip_add)(void *arg, const struct bw_addr *vip);
	/* Random bytes (SPIs, nonces); tests plug in a deterministic one. NULL = crypto_random. */
	int (*random)(void *arg, void *buf, size_t len);
};

struct ike;

/* conns borrowed for the module's lifetime. */
int ike_new(struct ike **out, const struct ike_conn_conf *conns, size_t n_conns,
            const struct ike_ops *ops, void *arg);
void ike_free(struct ike *ike);
/*
 * Logs each IKE SA's SPIs and SK_e/SK_a keys as a line of tshark's
 * ikev2_decryption_table, so captures can be decrypted. Off by default: a
 * debugging aid for tests, never for production (the keys protect the SA).
 */
void ike_set_log_keys(struct ike *ike, bool on);
/* Retransmissions before a request is given up, and the first timeout (doubling). */
void ike_set_retransmit(struct ike *ike, unsigned tries, unsigned base_ms);

/* A datagram arrived: natt says it came on the NAT-T port (marker removed). */
void ike_input(struct ike *ike, const struct bw_addr *src, const struct bw_addr *dst, bool natt,
               const uint8_t *msg, size_t len, uint64_t now_ms);
/* Runs due timers (retransmissions, lifetimes, liveness checks). */
void ike_timers(struct ike *ike, uint64_t now_ms);
/* ms until the next timer from now, or -1 if none. */
int64_t ike_next_timer(const struct ike *ike, uint64_t now_ms);

/* Starts the connections with start_action start (or one by name). */
int ike_initiate(struct ike *ike, const char *conn, uint64_t now_ms);
/* Deletes the IKE SAs of a connection (all if NULL), telling the peers. */
int ike_terminate(struct ike *ike, const char *conn, uint64_t now_ms);
/* Lists IKE and CHILD SAs with algorithms, counters and remaining lifetimes. */
void ike_status(const struct ike *ike, FILE *f, uint64_t now_ms);
size_t ike_count(const struct ike *ike);

#endif
