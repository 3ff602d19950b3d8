/* SPDX-License-Identifier: ISC */
/*
 * Feeds arbitrary datagrams to an IKEv2 responder (src/ike) with one PSK
 * connection, as UDP 500 and as NAT-T input. The input is a sequence of
 * records [flags(1) | len(2) | datagram]; flag bit 0 selects the NAT-T
 * port, bit 1 advances the clock by a minute (timers, retransmissions,
 * half-open expiry). Between records the responder's own answers are
 * ignored. Invariants: no crash, no leak (ASan), and the SA count stays
 * bounded. The seeds frame the scapy-built messages of
 * tests/vectors/ikev2_msgs.txt (IKE_SA_INIT requests, an IKE_AUTH in SK and
 * in SKF fragments, an INFORMATIONAL) in that record format.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ike/ike.h"
#include "ike/ikev2_wire.h"
#include "lib/rd.h"

static struct ike_conn_conf conn;

static int fz_send(void *arg, const struct bw_addr *src, const struct bw_addr *dst, bool natt,
                   const uint8_t *msg, size_t len)
{
	(void)arg;
	(void)src;
	(void)dst;
	(void)natt;
	(void)msg;
	(void)len;
	return 0;
}

static uint32_t next_handle;

static int fz_child_add(void *arg, const struct ike_child_sa *c, uint32_t *handle)
{
	(void)arg;
	(void)c;
	*handle = ++next_handle;
	return 0;
}

static void fz_child_del(void *arg, uint32_t handle)
{
	(void)arg;
	(void)handle;
}

/* Deterministic "randomness" keeps runs reproducible. */
static int fz_random(void *arg, void *buf, size_t len)
{
	static uint64_t x = 0x9e3779b97f4a7c15ULL;
	uint8_t *p = buf;

	(void)arg;
	for (size_t i = 0; i < len; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		p[i] = (uint8_t)x;
	}
	return 0;
}

static void setup(void)
{
	struct ike_child_conf *cc = &conn.child[0];
	static const uint16_t dh[] = {31, 19, 14};

	snprintf(conn.name, sizeof(conn.name), "fuzz");
	conn.prop[0].encr[0] = 20;
	conn.prop[0].encr_bits[0] = 256;
	conn.prop[0].encr[1] = 12;
	conn.prop[0].encr_bits[1] = 128;
	conn.prop[0].n_encr = 2;
	conn.prop[0].prf[0] = 5;
	conn.prop[0].n_prf = 1;
	memcpy(conn.prop[0].dh, dh, sizeof(dh));
	conn.prop[0].n_dh = 3;
	conn.n_prop = 1;
	conn.local.auth = conn.remote.auth = IKE_AUTH_PSK;
	conn.remote.id.any = true;
	memcpy(conn.psk, "fuzzing shared secret", 21);
	conn.psk_len = 21;
	bw_prefix_parse(&conn.pools[0], &conn.pool_plen[0], "10.99.0.0/24");
	conn.n_pools = 1;
	conn.dpd_delay = 30;
	conn.rekey_time = 600;
	conn.n_child = 1;
	snprintf(cc->name, sizeof(cc->name), "net");
	cc->mode = ESP_MODE_TUNNEL;
	cc->prop[0].encr[0] = 20;
	cc->prop[0].encr_bits[0] = 256;
	cc->prop[0].n_encr = 1;
	cc->n_prop = 1;
	bw_prefix_parse(&cc->local_ts[0], &cc->local_plen[0], "10.1.0.0/24");
	cc->n_local_ts = 1;
	cc->replay_window = 64;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct ike_ops ops = {
	        .send = fz_send,
	        .child_add = fz_child_add,
	        .child_del = fz_child_del,
	        .random = fz_random,
	};
	static bool ready;
	struct ike *ike;
	struct bw_addr src, dst;
	struct bw_rd rd;
	uint64_t now = 1000;
	uint8_t flags;
	uint16_t len;
	const uint8_t *msg;

	if (!ready) {
		setup();
		ready = true;
	}
	if (ike_new(&ike, &conn, 1, &ops, NULL) != 0)
		return 0;
	bw_addr_parse(&src, "192.0.2.2:500");
	bw_addr_parse(&dst, "192.0.2.1:500");
	bw_rd_init(&rd, data, size);
	while (bw_rd_u8(&rd, &flags) == 0 && bw_rd_u16(&rd, &len) == 0 &&
	       bw_rd_ptr(&rd, &msg, len < bw_rd_left(&rd) ? len : bw_rd_left(&rd)) == 0) {
		bool natt = flags & 1;

		src.port = dst.port = natt ? 4500 : 500;
		if (flags & 2)
			now += 60000;
		ike_input(ike, &src, &dst, natt, msg, (size_t)(bw_rd_cur(&rd) - msg), now);
		ike_timers(ike, now);
		if (ike_count(ike) > 64)
			abort();
	}
	ike_free(ike);
	return 0;
}
