/* SPDX-License-Identifier: ISC */
/*
 * IKEv2 state machines with two in-process peers (src/ike): a fake clock,
 * a mocked network that can lose messages, and mocked CHILD_SA
 * installation. Checks the state after each exchange, that both ends
 * derive the same ESP keys with opposite SPIs, the INVALID_KE_PAYLOAD retry,
 * refused authentication, retransmission after a loss, and deletion.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ike/ike.h"
#include "ike/ike_int.h"
#include "lib/err.h"

enum { QMAX = 16, CMAX = 8 };

struct msgq {
	uint8_t buf[IKE_MSG_MAX];
	size_t len;
	struct bw_addr src, dst;
	bool natt;
};

struct peer {
	struct ike *ike;
	struct ike_conn_conf conn;
	struct peer *other;
	struct msgq q[QMAX]; /* messages sent by this peer, not yet delivered */
	size_t nq;
	struct ike_child_sa child[CMAX];
	uint32_t handle[CMAX];
	bool live[CMAX];
	size_t nchild;
	unsigned drop_next; /* lose this many of our next messages */
	unsigned sent;
};

static int mock_send(void *arg, const struct bw_addr *src, const struct bw_addr *dst, bool natt,
                     const uint8_t *msg, size_t len)
{
	struct peer *p = arg;

	p->sent++;
	if (p->drop_next > 0) {
		p->drop_next--;
		return 0;
	}
	assert_true(p->nq < QMAX);
	assert_true(len <= IKE_MSG_MAX);
	memcpy(p->q[p->nq].buf, msg, len);
	p->q[p->nq].len = len;
	p->q[p->nq].src = *src;
	p->q[p->nq].dst = *dst;
	p->q[p->nq].natt = natt;
	p->nq++;
	return 0;
}

static int mock_child_add(void *arg, const struct ike_child_sa *c, uint32_t *handle)
{
	struct peer *p = arg;

	assert_true(p->nchild < CMAX);
	p->child[p->nchild] = *c;
	p->live[p->nchild] = true;
	*handle = p->handle[p->nchild] = (uint32_t)p->nchild + 100;
	p->nchild++;
	return 0;
}

static void mock_child_del(void *arg, uint32_t handle)
{
	struct peer *p = arg;

	for (size_t i = 0; i < p->nchild; i++)
		if (p->handle[i] == handle)
			p->live[i] = false;
}

static struct bw_addr vip_got;

static int mock_vip_add(void *arg, const struct bw_addr *vip)
{
	(void)arg;
	vip_got = *vip;
	return 0;
}

static const struct ike_ops ops = {
        .send = mock_send,
        .child_add = mock_child_add,
        .child_del = mock_child_del,
        .vip_add = mock_vip_add,
};

/* Delivers everything queued, both ways, until the network is quiet. */
static void pump(struct peer *a, struct peer *b, uint64_t now)
{
	for (int round = 0; round < 20 && (a->nq || b->nq); round++) {
		struct peer *from[2] = {a, b};

		for (int k = 0; k < 2; k++) {
			struct peer *p = from[k];
			struct msgq q[QMAX];
			size_t n = p->nq;

			memcpy(q, p->q, n * sizeof(q[0]));
			p->nq = 0;
			for (size_t i = 0; i < n; i++) {
				/* The receiver sees the datagram from src to dst. */
				ike_input(p->other->ike, &q[i].src, &q[i].dst, q[i].natt, q[i].buf,
				          q[i].len, now);
			}
		}
	}
}

static void set_id(struct ike_id *id, const char *s)
{
	id->type = 3; /* ID_RFC822_ADDR */
	id->len = strlen(s);
	memcpy(id->data, s, id->len);
}

static void prop_ike(struct ike_proposal *p, uint16_t encr, uint16_t bits, uint16_t integ,
                     const uint16_t *dh, size_t ndh)
{
	memset(p, 0, sizeof(*p));
	p->encr[0] = encr;
	p->encr_bits[0] = bits;
	p->n_encr = 1;
	p->prf[0] = 5; /* PRF_HMAC_SHA2_256 */
	p->n_prf = 1;
	if (integ) {
		p->integ[0] = integ;
		p->n_integ = 1;
	}
	memcpy(p->dh, dh, ndh * sizeof(*dh));
	p->n_dh = ndh;
}

static void setup_conn(struct ike_conn_conf *c, bool a, const char *psk, uint16_t encr,
                       uint16_t bits, uint16_t integ, const uint16_t *dh, size_t ndh, bool encap)
{
	struct ike_child_conf *cc = &c->child[0];

	memset(c, 0, sizeof(*c));
	snprintf(c->name, sizeof(c->name), "%s", a ? "to-b" : "to-a");
	bw_addr_parse(&c->local_addrs[0], a ? "192.0.2.1" : "192.0.2.2");
	bw_addr_parse(&c->remote_addrs[0], a ? "192.0.2.2" : "192.0.2.1");
	c->n_local_addrs = c->n_remote_addrs = 1;
	prop_ike(&c->prop[0], encr, bits, integ, dh, ndh);
	c->n_prop = 1;
	c->encap = encap;
	set_id(&c->local.id, a ? "a@example.org" : "b@example.org");
	set_id(&c->remote.id, a ? "b@example.org" : "a@example.org");
	c->local.auth = c->remote.auth = IKE_AUTH_PSK;
	c->psk_len = strlen(psk);
	memcpy(c->psk, psk, c->psk_len);
	c->n_child = 1;
	snprintf(cc->name, sizeof(cc->name), "net");
	cc->mode = ESP_MODE_TUNNEL;
	cc->prop[0].encr[0] = encr;
	cc->prop[0].encr_bits[0] = bits;
	cc->prop[0].n_encr = 1;
	if (integ) {
		cc->prop[0].integ[0] = integ;
		cc->prop[0].n_integ = 1;
	}
	cc->prop[0].esn[0] = 1;
	cc->prop[0].n_esn = 1;
	cc->n_prop = 1;
	bw_prefix_parse(&cc->local_ts[0], &cc->local_plen[0], a ? "10.1.0.0/24" : "10.2.0.0/24");
	bw_prefix_parse(&cc->remote_ts[0], &cc->remote_plen[0], a ? "10.2.0.0/24" : "10.1.0.0/24");
	cc->n_local_ts = cc->n_remote_ts = 1;
	cc->replay_window = 1024;
	cc->start_action = a ? IKE_START_START : IKE_START_NONE;
}

static struct peer *pa, *pb;

static int setup(void **state)
{
	(void)state;
	pa = calloc(1, sizeof(*pa));
	pb = calloc(1, sizeof(*pb));
	pa->other = pb;
	pb->other = pa;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	ike_free(pa->ike);
	ike_free(pb->ike);
	free(pa);
	free(pb);
	return 0;
}

static void start(void)
{
	assert_int_equal(ike_new(&pa->ike, &pa->conn, 1, &ops, pa), 0);
	assert_int_equal(ike_new(&pb->ike, &pb->conn, 1, &ops, pb), 0);
}

/* Both ends hold one CHILD_SA whose keys mirror each other. */
static void check_children(bool esn)
{
	const struct ike_child_sa *ca, *cb;

	assert_int_equal(pa->nchild, 1);
	assert_int_equal(pb->nchild, 1);
	ca = &pa->child[0];
	cb = &pb->child[0];
	assert_int_equal(ca->out.spi, cb->in.spi);
	assert_int_equal(ca->in.spi, cb->out.spi);
	assert_int_not_equal(ca->out.spi, ca->in.spi);
	assert_int_equal(ca->out.encr_key_len, cb->in.encr_key_len);
	assert_memory_equal(ca->out.encr_key, cb->in.encr_key, ca->out.encr_key_len);
	assert_memory_equal(ca->in.encr_key, cb->out.encr_key, ca->in.encr_key_len);
	assert_memory_not_equal(ca->in.encr_key, ca->out.encr_key, ca->in.encr_key_len);
	assert_int_equal(ca->out.integ_key_len, cb->in.integ_key_len);
	if (ca->out.integ_key_len)
		assert_memory_equal(ca->out.integ_key, cb->in.integ_key, ca->out.integ_key_len);
	assert_int_equal(ca->out.esn, esn);
	assert_int_equal(cb->in.esn, esn);
	/* Selectors: A protects 10.1.0.0/24 -> 10.2.0.0/24, B the mirror. */
	assert_int_equal(ca->n_ts, 1);
	assert_int_equal(cb->n_ts, 1);
	assert_int_equal(ca->ts[0].local_plen, 24);
	assert_true(bw_addr_eq(&ca->ts[0].local, &cb->ts[0].remote));
	assert_true(bw_addr_eq(&ca->ts[0].remote, &cb->ts[0].local));
}

static void test_psk_gcm_x25519(void **state)
{
	static const uint16_t dh[] = {31};

	(void)state;
	setup_conn(&pa->conn, true, "a very shared secret", 20, 256, 0, dh, 1, false);
	setup_conn(&pb->conn, false, "a very shared secret", 20, 256, 0, dh, 1, false);
	start();
	assert_int_equal(ike_initiate(pa->ike, NULL, 1000), 0);
	pump(pa, pb, 1000);
	assert_int_equal(ike_count(pa->ike), 1);
	assert_int_equal(ike_count(pb->ike), 1);
	check_children(true);
	assert_int_equal(pa->child[0].out.encr, ESP_ENCR_AES_GCM_16);
	assert_int_equal(pa->child[0].out.encr_key_len, 36);
	assert_false(pa->child[0].out.udp_encap);
}

static void test_psk_cbc_modp2048_encap(void **state)
{
	static const uint16_t dh[] = {14};

	(void)state;
	setup_conn(&pa->conn, true, "another shared secret", 12, 128, 12, dh, 1, true);
	setup_conn(&pb->conn, false, "another shared secret", 12, 128, 12, dh, 1, false);
	start();
	assert_int_equal(ike_initiate(pa->ike, NULL, 1000), 0);
	pump(pa, pb, 1000);
	assert_int_equal(ike_count(pa->ike), 1);
	assert_int_equal(ike_count(pb->ike), 1);
	check_children(true);
	assert_int_equal(pa->child[0].out.encr, ESP_ENCR_AES_CBC);
	assert_int_equal(pa->child[0].out.integ, ESP_INTEG_HMAC_SHA256_128);
	/* Forced encapsulation: both float to 4500 and encapsulate ESP in UDP. */
	assert_true(pa->child[0].out.udp_encap);
	assert_true(pb->child[0].out.udp_encap);
	assert_int_equal(pa->child[0].out.remote.port, 4500);
}

static void test_invalid_ke_retry(void **state)
{
	static const uint16_t dha[] = {19, 31}, dhb[] = {31};

	(void)state;
	/* A sends a P-256 KE first; B wants Curve25519 and says so. */
	setup_conn(&pa->conn, true, "shared secret 123", 28, 0, 0, dha, 2, false);
	setup_conn(&pb->conn, false, "shared secret 123", 28, 0, 0, dhb, 1, false);
	start();
	assert_int_equal(ike_initiate(pa->ike, NULL, 1000), 0);
	pump(pa, pb, 1000);
	assert_int_equal(ike_count(pa->ike), 1);
	check_children(true);
	assert_int_equal(pa->child[0].out.encr, ESP_ENCR_CHACHA20_POLY1305);
}

static void test_wrong_psk(void **state)
{
	static const uint16_t dh[] = {31};

	(void)state;
	setup_conn(&pa->conn, true, "the right secret!", 20, 128, 0, dh, 1, false);
	setup_conn(&pb->conn, false, "the wrong secret!", 20, 128, 0, dh, 1, false);
	start();
	assert_int_equal(ike_initiate(pa->ike, NULL, 1000), 0);
	pump(pa, pb, 1000);
	ike_timers(pa->ike, 1001);
	ike_timers(pb->ike, 1001);
	assert_int_equal(ike_count(pa->ike), 0);
	assert_int_equal(ike_count(pb->ike), 0);
	assert_int_equal(pa->nchild + pb->nchild, 0);
}

static void test_retransmit_and_delete(void **state)
{
	static const uint16_t dh[] = {19};
	uint64_t now = 1000;

	(void)state;
	setup_conn(&pa->conn, true, "retransmission secret", 20, 256, 0, dh, 1, false);
	setup_conn(&pb->conn, false, "retransmission secret", 20, 256, 0, dh, 1, false);
	start();
	/* B's IKE_SA_INIT response is lost: A must retransmit after 1 s, B answer from cache. */
	pb->drop_next = 1;
	assert_int_equal(ike_initiate(pa->ike, NULL, now), 0);
	pump(pa, pb, now);
	assert_int_equal(ike_count(pa->ike), 0);
	assert_int_equal(ike_next_timer(pa->ike, now), 1000);
	now += 1000;
	ike_timers(pa->ike, now);
	pump(pa, pb, now);
	assert_int_equal(ike_count(pa->ike), 1);
	assert_int_equal(ike_count(pb->ike), 1);
	check_children(true);
	assert_int_equal(pb->sent, 3); /* lost INIT, cached INIT again, AUTH */
	/* A deletes the IKE SA: both sides remove the CHILD_SA. */
	assert_int_equal(ike_terminate(pa->ike, NULL, now), 0);
	assert_false(pa->live[0]);
	pump(pa, pb, now);
	ike_timers(pa->ike, now);
	ike_timers(pb->ike, now);
	assert_int_equal(ike_count(pa->ike), 0);
	assert_int_equal(ike_count(pb->ike), 0);
	assert_false(pb->live[0]);
}

static void test_peer_gone(void **state)
{
	static const uint16_t dh[] = {31};
	uint64_t now = 5000;

	(void)state;
	setup_conn(&pa->conn, true, "nobody listens here", 20, 256, 0, dh, 1, false);
	setup_conn(&pb->conn, false, "nobody listens here", 20, 256, 0, dh, 1, false);
	start();
	pa->drop_next = 100; /* every message of A is lost */
	assert_int_equal(ike_initiate(pa->ike, NULL, now), 0);
	/* Sent at 0, then after 1, 2, 4, 8 and 16 s; 32 s later A gives up. */
	for (int i = 0; i < 80; i++) {
		now += 1000;
		ike_timers(pa->ike, now);
	}
	assert_int_equal(pa->sent, 6);
	assert_int_equal(ike_next_timer(pa->ike, now), -1);
}

static size_t live(const struct peer *p)
{
	size_t n = 0;

	for (size_t i = 0; i < p->nchild; i++)
		n += p->live[i];
	return n;
}

/* The live CHILD_SAs of both ends mirror each other (keys and SPIs). */
static void check_live_pair(void)
{
	const struct ike_child_sa *ca = NULL, *cb = NULL;

	for (size_t i = 0; i < pa->nchild; i++)
		if (pa->live[i])
			ca = &pa->child[i];
	for (size_t i = 0; i < pb->nchild; i++)
		if (pb->live[i])
			cb = &pb->child[i];
	assert_non_null(ca);
	assert_non_null(cb);
	assert_int_equal(ca->out.spi, cb->in.spi);
	assert_int_equal(ca->in.spi, cb->out.spi);
	assert_memory_equal(ca->out.encr_key, cb->in.encr_key, ca->out.encr_key_len);
	assert_memory_equal(ca->in.encr_key, cb->out.encr_key, ca->in.encr_key_len);
}

static void test_child_rekey_pfs(void **state)
{
	static const uint16_t dh[] = {31};
	uint64_t now = 1000;

	(void)state;
	setup_conn(&pa->conn, true, "rekeying shared secret", 20, 256, 0, dh, 1, false);
	setup_conn(&pb->conn, false, "rekeying shared secret", 20, 256, 0, dh, 1, false);
	/* Both want PFS with Curve25519 on rekeying; A rekeys after 60 s. */
	pa->conn.child[0].prop[0].dh[0] = pb->conn.child[0].prop[0].dh[0] = 31;
	pa->conn.child[0].prop[0].n_dh = pb->conn.child[0].prop[0].n_dh = 1;
	pa->conn.child[0].rekey_time = 60;
	start();
	assert_int_equal(ike_initiate(pa->ike, NULL, now), 0);
	pump(pa, pb, now);
	check_children(true);
	now += 60 * 1000;
	ike_timers(pa->ike, now);
	ike_timers(pb->ike, now);
	pump(pa, pb, now);
	/* A new pair replaced the old one on both ends, and the old one is gone. */
	assert_int_equal(pa->nchild, 2);
	assert_int_equal(pb->nchild, 2);
	assert_int_equal(live(pa), 1);
	assert_int_equal(live(pb), 1);
	assert_true(pa->live[1]);
	check_live_pair();
	assert_memory_not_equal(pa->child[0].out.encr_key, pa->child[1].out.encr_key, 36);
	assert_int_equal(ike_count(pa->ike), 1);
	assert_int_equal(ike_count(pb->ike), 1);
}

static void test_ike_rekey(void **state)
{
	static const uint16_t dh[] = {19};
	uint64_t now = 1000;

	(void)state;
	setup_conn(&pa->conn, true, "ike rekeying secret!", 28, 0, 0, dh, 1, false);
	setup_conn(&pb->conn, false, "ike rekeying secret!", 28, 0, 0, dh, 1, false);
	pb->conn.rekey_time = 100; /* the responder rekeys this time */
	start();
	assert_int_equal(ike_initiate(pa->ike, NULL, now), 0);
	pump(pa, pb, now);
	check_children(true);
	now += 100 * 1000;
	ike_timers(pa->ike, now);
	ike_timers(pb->ike, now);
	pump(pa, pb, now);
	ike_timers(pa->ike, now);
	ike_timers(pb->ike, now);
	/* One IKE SA on each side (the successor), the CHILD_SA untouched. */
	assert_int_equal(ike_count(pa->ike), 1);
	assert_int_equal(ike_count(pb->ike), 1);
	assert_int_equal(live(pa), 1);
	assert_int_equal(live(pb), 1);
	assert_int_equal(pa->nchild, 1);
	/* The new IKE SA works: delete through it tears the child down on both ends. */
	assert_int_equal(ike_terminate(pb->ike, NULL, now), 0);
	pump(pa, pb, now);
	ike_timers(pa->ike, now);
	ike_timers(pb->ike, now);
	assert_int_equal(ike_count(pa->ike), 0);
	assert_int_equal(ike_count(pb->ike), 0);
	assert_int_equal(live(pa) + live(pb), 0);
}

static void test_dpd_peer_vanishes(void **state)
{
	static const uint16_t dh[] = {31};
	uint64_t now = 1000;

	(void)state;
	setup_conn(&pa->conn, true, "liveness check secret", 20, 128, 0, dh, 1, false);
	setup_conn(&pb->conn, false, "liveness check secret", 20, 128, 0, dh, 1, false);
	pa->conn.dpd_delay = 10;
	start();
	assert_int_equal(ike_initiate(pa->ike, NULL, now), 0);
	pump(pa, pb, now);
	assert_int_equal(live(pa), 1);
	/* Quiet for 10 s: a liveness check, answered. */
	now += 10 * 1000;
	ike_timers(pa->ike, now);
	pump(pa, pb, now);
	assert_int_equal(ike_count(pa->ike), 1);
	/* Then B vanishes: A's checks go unanswered and A removes everything. */
	pb->drop_next = 1000;
	for (int i = 0; i < 120; i++) {
		now += 1000;
		ike_timers(pa->ike, now);
		pump(pa, pb, now);
	}
	assert_int_equal(ike_count(pa->ike), 0);
	assert_int_equal(live(pa), 0);
}

static void test_virtual_ip(void **state)
{
	static const uint16_t dh[] = {31};
	struct bw_addr want;
	uint64_t now = 1000;

	(void)state;
	setup_conn(&pa->conn, true, "remote access secret", 20, 256, 0, dh, 1, false);
	setup_conn(&pb->conn, false, "remote access secret", 20, 256, 0, dh, 1, false);
	/* A is a road warrior: no local selectors, asks for an address. */
	pa->conn.request_vip = true;
	pa->conn.child[0].n_local_ts = 0;
	/* B hands out 10.99.0.0/24 and serves 10.2.0.0/24. */
	bw_prefix_parse(&pb->conn.pools[0], &pb->conn.pool_plen[0], "10.99.0.0/24");
	pb->conn.n_pools = 1;
	bw_addr_parse(&pb->conn.dns[0], "10.2.0.53");
	pb->conn.n_dns = 1;
	pb->conn.child[0].n_remote_ts = 0;
	memset(&vip_got, 0, sizeof(vip_got));
	start();
	assert_int_equal(ike_initiate(pa->ike, NULL, now), 0);
	pump(pa, pb, now);
	assert_int_equal(ike_count(pa->ike), 1);
	/* The first lease skips the network and the first host. */
	bw_addr_parse(&want, "10.99.0.2");
	assert_true(bw_addr_eq(&vip_got, &want));
	assert_int_equal(pa->nchild, 1);
	assert_true(bw_addr_eq(&pa->child[0].ts[0].local, &want));
	assert_int_equal(pa->child[0].ts[0].local_plen, 32);
	assert_true(bw_addr_eq(&pb->child[0].ts[0].remote, &want));
	assert_int_equal(pb->child[0].ts[0].remote_plen, 32);
	/* After a delete the address goes back to the pool and is leased again. */
	assert_int_equal(ike_terminate(pa->ike, NULL, now), 0);
	pump(pa, pb, now);
	ike_timers(pa->ike, now);
	ike_timers(pb->ike, now);
	memset(&vip_got, 0, sizeof(vip_got));
	assert_int_equal(ike_initiate(pa->ike, NULL, now), 0);
	pump(pa, pb, now);
	assert_true(bw_addr_eq(&vip_got, &want));
}

static void test_cookie(void **state)
{
	static const uint16_t dh[] = {31};
	uint64_t now = 1000;

	(void)state;
	setup_conn(&pa->conn, true, "cookie shared secret", 20, 256, 0, dh, 1, false);
	setup_conn(&pb->conn, false, "cookie shared secret", 20, 256, 0, dh, 1, false);
	start();
	/* B demands COOKIEs at once: A's first IKE_SA_INIT gets a COOKIE back and
	 * B keeps no state; A's retry with the COOKIE first gets the SA. */
	pb->ike->cookie_threshold = 0;
	assert_int_equal(ike_initiate(pa->ike, NULL, now), 0);
	pump(pa, pb, now);
	assert_int_equal(ike_count(pa->ike), 1);
	assert_int_equal(ike_count(pb->ike), 1);
	assert_int_equal(pa->sent, 3); /* INIT, INIT with COOKIE, AUTH */
	check_children(true);
}

static void test_fragmentation(void **state)
{
	static const uint16_t dh[] = {14};
	uint64_t now = 1000;

	(void)state;
	/* AES-CBC + MODP-2048 with 160-byte datagrams: IKE_AUTH and the rekeying
	 * CREATE_CHILD_SA (with a 256-byte KE) travel as SKF fragments (RFC 7383). */
	setup_conn(&pa->conn, true, "fragmented shared secret", 12, 256, 12, dh, 1, false);
	setup_conn(&pb->conn, false, "fragmented shared secret", 12, 256, 12, dh, 1, false);
	pa->conn.child[0].prop[0].dh[0] = pb->conn.child[0].prop[0].dh[0] = 14;
	pa->conn.child[0].prop[0].n_dh = pb->conn.child[0].prop[0].n_dh = 1;
	pa->conn.child[0].rekey_time = 30;
	start();
	pa->ike->frag_size = pb->ike->frag_size = 160;
	assert_int_equal(ike_initiate(pa->ike, NULL, now), 0);
	pump(pa, pb, now);
	assert_int_equal(ike_count(pa->ike), 1);
	assert_int_equal(ike_count(pb->ike), 1);
	check_children(true);
	print_message("IKE_SA_INIT and IKE_AUTH took %u datagrams from A\n", pa->sent);
	assert_true(pa->sent >= 3); /* INIT, then IKE_AUTH in two or more fragments */
	now += 30 * 1000;
	ike_timers(pa->ike, now);
	pump(pa, pb, now);
	assert_int_equal(live(pa), 1);
	assert_int_equal(live(pb), 1);
	assert_int_equal(pa->nchild, 2);
	check_live_pair();
}

static void test_simultaneous_rekey(void **state)
{
	static const uint16_t dh[] = {31};
	uint64_t now = 1000;

	(void)state;
	setup_conn(&pa->conn, true, "collision shared secret", 20, 256, 0, dh, 1, false);
	setup_conn(&pb->conn, false, "collision shared secret", 20, 256, 0, dh, 1, false);
	start();
	assert_int_equal(ike_initiate(pa->ike, NULL, now), 0);
	pump(pa, pb, now);
	check_children(true);
	/* Both ends start rekeying the same CHILD_SA before either hears the other. */
	assert_int_equal(ike_child_rekey_start(pa->ike->sas, pa->ike->sas->children, now), 0);
	assert_int_equal(ike_child_rekey_start(pb->ike->sas, pb->ike->sas->children, now), 0);
	pump(pa, pb, now);
	ike_timers(pa->ike, now);
	ike_timers(pb->ike, now);
	pump(pa, pb, now);
	/* 2.8.1: one new pair survives on both ends, the old and the redundant go. */
	assert_int_equal(live(pa), 1);
	assert_int_equal(live(pb), 1);
	check_live_pair();
	assert_int_equal(ike_count(pa->ike), 1);
	assert_int_equal(ike_count(pb->ike), 1);
}

static void test_simultaneous_ike_rekey(void **state)
{
	static const uint16_t dh[] = {31};
	uint64_t now = 1000;

	(void)state;
	setup_conn(&pa->conn, true, "ike collision secret!", 20, 256, 0, dh, 1, false);
	setup_conn(&pb->conn, false, "ike collision secret!", 20, 256, 0, dh, 1, false);
	start();
	assert_int_equal(ike_initiate(pa->ike, NULL, now), 0);
	pump(pa, pb, now);
	check_children(true);
	assert_int_equal(ike_rekey_start(pa->ike->sas, now), 0);
	assert_int_equal(ike_rekey_start(pb->ike->sas, now), 0);
	for (int i = 0; i < 4; i++) {
		pump(pa, pb, now);
		ike_timers(pa->ike, now);
		ike_timers(pb->ike, now);
	}
	/* One IKE SA on each end, holding the CHILD_SA, which still works. */
	assert_int_equal(ike_count(pa->ike), 1);
	assert_int_equal(ike_count(pb->ike), 1);
	assert_int_equal(live(pa), 1);
	assert_int_equal(live(pb), 1);
	/* Deleting through the survivor removes the CHILD_SA on both ends. */
	assert_int_equal(ike_terminate(pa->ike, NULL, now), 0);
	pump(pa, pb, now);
	ike_timers(pa->ike, now);
	ike_timers(pb->ike, now);
	assert_int_equal(live(pa) + live(pb), 0);
}

static void test_reauth(void **state)
{
	static const uint16_t dh[] = {31};
	uint64_t now = 1000;

	(void)state;
	setup_conn(&pa->conn, true, "reauthentication secret", 20, 256, 0, dh, 1, false);
	setup_conn(&pb->conn, false, "reauthentication secret", 20, 256, 0, dh, 1, false);
	pa->conn.reauth_time = 120;
	start();
	assert_int_equal(ike_initiate(pa->ike, NULL, now), 0);
	pump(pa, pb, now);
	check_children(true);
	now += 120 * 1000;
	ike_timers(pa->ike, now);
	ike_timers(pb->ike, now);
	pump(pa, pb, now);
	ike_timers(pa->ike, now);
	ike_timers(pb->ike, now);
	/* A new IKE SA and CHILD_SA from scratch; the old ones are gone on both ends. */
	assert_int_equal(ike_count(pa->ike), 1);
	assert_int_equal(ike_count(pb->ike), 1);
	assert_int_equal(pa->nchild, 2);
	assert_int_equal(live(pa), 1);
	assert_int_equal(live(pb), 1);
	check_live_pair();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_psk_gcm_x25519, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_psk_cbc_modp2048_encap, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_invalid_ke_retry, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_wrong_psk, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_retransmit_and_delete, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_peer_gone, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_child_rekey_pfs, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_ike_rekey, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_dpd_peer_vanishes, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_virtual_ip, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_cookie, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_fragmentation, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_simultaneous_rekey, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_reauth, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_simultaneous_ike_rekey, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
