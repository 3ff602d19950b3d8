/* SPDX-License-Identifier: ISC */
/*
 * IKE_SA_INIT (RFC 7296 1.2): proposals, Diffie-Hellman, nonces, NAT
 * detection (2.23) and the retry on INVALID_KE_PAYLOAD (1.2) for both
 * roles. On success the SK_* keys exist and the initiator goes on with
 * IKE_AUTH, on the NAT-T port if a NAT (or forced encapsulation) asks for it.
 */
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "ike/ike_int.h"
#include "lib/err.h"
#include "lib/log.h"
#include "lib/rd.h"

enum { IKE_PORT = 500, IKE_NATT_PORT = 4500 };

/* NAT_DETECTION_*_IP data: SHA-1(SPIi | SPIr | IP address | port) (2.23). */
static int nat_hash(uint64_t spi_i, uint64_t spi_r, const struct bw_addr *a, uint8_t out[20])
{
	uint8_t spis[16], port[2];
	struct crypto_iov seg[3] = {{spis, 16}, {a->a, bw_addr_len(a)}, {port, 2}};

	bw_put_be64(spis, spi_i);
	bw_put_be64(spis + 8, spi_r);
	bw_put_be16(port, a->port);
	return crypto_hash(CRYPTO_HASH_SHA1, seg, 3, out, 20);
}

static const struct ikev2_notifyp *find_notify(const struct ikev2_msg *m, uint16_t type)
{
	for (unsigned i = 0; i < m->nnotify; i++)
		if (m->notify[i].type == type)
			return &m->notify[i];
	return NULL;
}

/* Checks the peer's NAT_DETECTION notifies: sets nat_local / nat_remote. */
static void nat_check(struct ike_sa *sa, const struct ikev2_msg *m)
{
	uint8_t h[20];
	bool src_seen = false, src_match = false, dst_seen = false, dst_match = false;

	for (unsigned i = 0; i < m->nnotify; i++) {
		const struct ikev2_notifyp *n = &m->notify[i];

		if (n->type == IKEV2_N_NAT_DETECTION_SOURCE_IP && n->data.len == 20) {
			src_seen = true;
			if (nat_hash(sa->spi_i, m->hdr.spi_r, &sa->remote, h) == 0 &&
			    memcmp(h, n->data.p, 20) == 0)
				src_match = true;
		} else if (n->type == IKEV2_N_NAT_DETECTION_DESTINATION_IP && n->data.len == 20) {
			dst_seen = true;
			if (nat_hash(sa->spi_i, m->hdr.spi_r, &sa->local, h) == 0 &&
			    memcmp(h, n->data.p, 20) == 0)
				dst_match = true;
		}
	}
	/* Without the notifies the peer does not do NAT-T: assume no NAT. */
	sa->nat_remote = src_seen && !src_match;
	sa->nat_local = dst_seen && !dst_match;
}

/* Appends our NAT_DETECTION notifies; with forced encapsulation the source
 * hash is random so the peer sees a NAT (as charon's encap=yes does). */
static int nat_notifies(struct ike_sa *sa, struct ikev2_bld *b, uint64_t spi_r)
{
	uint8_t h[20];
	int r;

	if (sa->conf != NULL && sa->conf->encap) {
		if ((r = ike_random(sa->ike, h, sizeof(h))) != 0)
			return r;
	} else if ((r = nat_hash(sa->spi_i, spi_r, &sa->local, h)) != 0) {
		return r;
	}
	if ((r = ikev2_build_notify(b, 0, NULL, 0, IKEV2_N_NAT_DETECTION_SOURCE_IP, h, 20)) != 0)
		return r;
	if ((r = nat_hash(sa->spi_i, spi_r, &sa->remote, h)) != 0)
		return r;
	return ikev2_build_notify(b, 0, NULL, 0, IKEV2_N_NAT_DETECTION_DESTINATION_IP, h, 20);
}

/* RFC 7427 4: the hashes we can sign and verify with (SHA2-256/384/512). */
static int sig_hash_notify(struct ikev2_bld *b)
{
	static const uint8_t hashes[] = {0, IKEV2_HASH_SHA2_256, 0, IKEV2_HASH_SHA2_384,
	                                 0, IKEV2_HASH_SHA2_512};

	return ikev2_build_notify(b, 0, NULL, 0, IKEV2_N_SIGNATURE_HASH_ALGORITHMS, hashes,
	                          sizeof(hashes));
}

static int make_ke(struct ike_sa *sa, uint16_t group, uint8_t *pub, size_t *pub_len)
{
	int r;

	crypto_dh_free(sa->dh);
	sa->dh = NULL;
	if (!crypto_dh_supported(group))
		return BW_ERR_UNSUPP;
	if ((r = crypto_dh_new(&sa->dh, (enum crypto_dh_group)group)) != 0)
		return r;
	*pub_len = crypto_dh_public_len((enum crypto_dh_group)group);
	return crypto_dh_public(sa->dh, pub, *pub_len);
}

static int keep_copy(uint8_t **slot, size_t *slot_len, const uint8_t *p, size_t len)
{
	uint8_t *c = malloc(len);

	if (c == NULL)
		return BW_ERR_NOMEM;
	memcpy(c, p, len);
	free(*slot);
	*slot = c;
	*slot_len = len;
	return 0;
}

/* Builds and sends the initiator's request (again, after INVALID_KE or COOKIE). */
static int send_init(struct ike_sa *sa, const struct ikev2_notifyp *cookie, uint64_t now)
{
	const struct ike_conn_conf *c = sa->conf;
	static struct ikev2_sa sap;
	uint8_t buf[IKE_MSG_MAX], pub[CRYPTO_DH_PUBLIC_MAX];
	size_t pub_len;
	struct ikev2_hdr h = {.spi_i = sa->spi_i,
	                      .version = IKEV2_VERSION,
	                      .exchange = IKEV2_EXCH_IKE_SA_INIT,
	                      .flags = IKEV2_FLAG_INITIATOR};
	struct ikev2_bld b;
	struct bw_wr wr;
	int r;

	if ((r = make_ke(sa, sa->dh_group, pub, &pub_len)) != 0)
		return r;
	ike_prop_build(c->prop, c->n_prop, IKEV2_PROTO_IKE, NULL, 0, &sap);
	bw_wr_init(&wr, buf, sizeof(buf));
	if ((r = ikev2_build_hdr(&b, &wr, &h)) != 0)
		return r;
	/* 2.6: the COOKIE notify comes first when the responder asked for one. */
	if (cookie != NULL && (r = ikev2_build_notify(&b, 0, NULL, 0, IKEV2_N_COOKIE,
	                                              cookie->data.p, cookie->data.len)) != 0)
		return r;
	if ((r = ikev2_build_sa(&b, &sap)) != 0 ||
	    (r = ikev2_build_ke(&b, sa->dh_group, pub, pub_len)) != 0 ||
	    (r = ikev2_build_nonce(&b, sa->ni, sa->ni_len)) != 0 ||
	    (r = nat_notifies(sa, &b, 0)) != 0 ||
	    (r = ikev2_build_notify(&b, 0, NULL, 0, IKEV2_N_IKEV2_FRAGMENTATION_SUPPORTED, NULL,
	                            0)) != 0 ||
	    (r = sig_hash_notify(&b)) != 0 || (r = ikev2_build_finish(&b)) != 0)
		return r;
	if ((r = keep_copy(&sa->init_req, &sa->init_req_len, buf, wr.len)) != 0)
		return r;
	sa->msgid_out = 1;
	return ike_send_plain(sa, buf, wr.len, false, now);
}

int ike_init_start(struct ike *ike, const struct ike_conn_conf *c, uint64_t now)
{
	return ike_init_start_sa(ike, c, now, NULL);
}

int ike_init_start_sa(struct ike *ike, const struct ike_conn_conf *c, uint64_t now,
                      struct ike_sa **out)
{
	struct ike_sa *sa;
	int r;

	if (c->n_remote_addrs == 0 || c->n_prop == 0 || c->prop[0].n_dh == 0)
		return BW_ERR_CONFIG;
	if ((sa = ike_sa_new(ike, true)) == NULL)
		return BW_ERR_NOMEM;
	sa->conf = c;
	sa->created_ms = now;
	sa->remote = c->remote_addrs[0];
	sa->remote.port = IKE_PORT;
	if (c->n_local_addrs > 0)
		sa->local = c->local_addrs[0];
	else
		sa->local.family = sa->remote.family; /* unspecified: the kernel picks */
	sa->local.port = IKE_PORT;
	sa->dh_group = c->prop[0].dh[0];
	sa->ni_len = IKE_NONCE_LEN;
	if ((r = ike_random(ike, sa->ni, sa->ni_len)) != 0 || (r = send_init(sa, NULL, now)) != 0) {
		ike_sa_kill(sa, "cannot send IKE_SA_INIT");
		return r;
	}
	ike_set_state(sa, IKE_ST_INIT_SENT);
	if (out != NULL)
		*out = sa;
	return 0;
}

/* Is group one of those our proposals allow? */
static bool group_allowed(const struct ike_conn_conf *c, uint16_t group)
{
	for (size_t i = 0; i < c->n_prop; i++)
		for (size_t k = 0; k < c->prop[i].n_dh; k++)
			if (c->prop[i].dh[k] == group)
				return true;
	return false;
}

static int derive(struct ike_sa *sa, const struct ikev2_ke *ke)
{
	uint8_t shared[CRYPTO_DH_SHARED_MAX];
	size_t slen = crypto_dh_shared_len((enum crypto_dh_group)sa->xf.dh);
	int r;

	if ((r = crypto_dh_shared(sa->dh, ke->data.p, ke->data.len, shared, slen)) == 0)
		r = ike_derive_ike_keys(sa, shared, slen);
	crypto_wipe(shared, sizeof(shared));
	crypto_dh_free(sa->dh);
	sa->dh = NULL;
	return r;
}

void ike_init_response(struct ike_sa *sa, struct ikev2_msg *m, uint64_t now)
{
	const struct ikev2_notifyp *n;
	const struct ikev2_prop *chosen;
	int r;

	if ((n = find_notify(m, IKEV2_N_INVALID_KE_PAYLOAD)) != NULL && n->data.len == 2) {
		uint16_t group = bw_be16(n->data.p);

		/* 1.2: retry once with the group the responder asked for, if we allow it. */
		if (group != sa->dh_group && group_allowed(sa->conf, group) &&
		    crypto_dh_supported(group)) {
			log_info("ike", "conn=%s: peer wants DH group %s, retrying", sa->conf->name,
			         ikev2_dh_name(group));
			sa->dh_group = group;
			if (send_init(sa, NULL, now) != 0)
				ike_sa_kill(sa, "cannot retry IKE_SA_INIT");
			return;
		}
		ike_sa_kill(sa, "INVALID_KE_PAYLOAD for a group we do not allow");
		return;
	}
	if ((n = find_notify(m, IKEV2_N_COOKIE)) != NULL) {
		if (send_init(sa, n, now) != 0)
			ike_sa_kill(sa, "cannot resend IKE_SA_INIT with COOKIE");
		return;
	}
	for (unsigned i = 0; i < m->nnotify; i++)
		if (m->notify[i].type < IKEV2_N_STATUS_MIN) {
			log_notice("ike", "conn=%s: IKE_SA_INIT refused: %s", sa->conf->name,
			           ikev2_notify_name(m->notify[i].type));
			ike_sa_kill(sa, "IKE_SA_INIT refused");
			return;
		}
	if (!ikev2_has(m, IKEV2_PL_SA) || !ikev2_has(m, IKEV2_PL_KE) ||
	    !ikev2_has(m, IKEV2_PL_NONCE) || m->hdr.spi_r == 0) {
		ike_sa_kill(sa, "IKE_SA_INIT response incomplete");
		return;
	}
	if (ike_prop_check_reply(sa->conf->prop, sa->conf->n_prop, &m->sa, IKEV2_PROTO_IKE, &sa->xf,
	                         &chosen) != 0 ||
	    sa->xf.dh != sa->dh_group || m->ke.group != sa->dh_group) {
		ike_sa_kill(sa, "IKE_SA_INIT response: proposal or KE not what we offered");
		return;
	}
	sa->spi_r = m->hdr.spi_r;
	sa->nr_len = m->nonce.len;
	memcpy(sa->nr, m->nonce.p, m->nonce.len);
	if ((r = keep_copy(&sa->init_resp, &sa->init_resp_len, m->raw.p, m->raw.len)) != 0 ||
	    (r = derive(sa, &m->ke)) != 0) {
		ike_sa_kill(sa, "key derivation failed");
		return;
	}
	nat_check(sa, m);
	sa->frag_ok = find_notify(m, IKEV2_N_IKEV2_FRAGMENTATION_SUPPORTED) != NULL;
	if (sa->nat_local || sa->nat_remote || sa->conf->encap) {
		/* 2.23: float to the NAT-T port for everything after IKE_SA_INIT. */
		sa->natt = true;
		sa->local.port = IKE_NATT_PORT;
		sa->remote.port = IKE_NATT_PORT;
	}
	if (ike_auth_start(sa, now) != 0)
		ike_sa_kill(sa, "cannot send IKE_AUTH");
}

/* The first connection our addresses allow, whose proposals the peer satisfies. */
static const struct ike_conn_conf *pick_conn(struct ike *ike, const struct bw_addr *src,
                                             const struct bw_addr *dst, const struct ikev2_sa *sap,
                                             struct ike_xf *xf, const struct ikev2_prop **chosen)
{
	for (size_t i = 0; i < ike->n_conns; i++) {
		const struct ike_conn_conf *c = &ike->conns[i];
		bool ok = c->n_remote_addrs == 0, lok = c->n_local_addrs == 0;

		for (size_t k = 0; k < c->n_remote_addrs; k++) {
			struct bw_addr a = *src;

			a.port = 0;
			ok |= bw_addr_eq(&a, &c->remote_addrs[k]);
		}
		for (size_t k = 0; k < c->n_local_addrs; k++) {
			struct bw_addr a = *dst;

			a.port = 0;
			lok |= bw_addr_eq(&a, &c->local_addrs[k]);
		}
		if (ok && lok &&
		    ike_prop_select(c->prop, c->n_prop, sap, IKEV2_PROTO_IKE, xf, chosen) == 0)
			return c;
	}
	return NULL;
}

/* An unauthenticated error answer to an IKE_SA_INIT request (no state kept). */
static void refuse(struct ike *ike, const struct bw_addr *src, const struct bw_addr *dst, bool natt,
                   const struct ikev2_msg *m, uint16_t type, const void *data, size_t len)
{
	uint8_t buf[256];
	struct ikev2_hdr h = {.spi_i = m->hdr.spi_i,
	                      .version = IKEV2_VERSION,
	                      .exchange = IKEV2_EXCH_IKE_SA_INIT,
	                      .flags = IKEV2_FLAG_RESPONSE};
	struct ikev2_bld b;
	struct bw_wr wr;

	bw_wr_init(&wr, buf, sizeof(buf));
	if (ikev2_build_hdr(&b, &wr, &h) == 0 &&
	    ikev2_build_notify(&b, 0, NULL, 0, type, data, len) == 0 && ikev2_build_finish(&b) == 0)
		ike->ops.send(ike->arg, dst, src, natt, buf, wr.len);
}

/* COOKIE = version | SHA-256(Ni | IPi | SPIi | secret), truncated (2.6). */
static int cookie_value(const struct ike *ike, const struct ikev2_msg *m, const struct bw_addr *src,
                        uint8_t out[IKE_COOKIE_LEN])
{
	uint8_t spi[8], h[32];
	struct crypto_iov seg[4] = {{m->nonce.p, m->nonce.len},
	                            {src->a, bw_addr_len(src)},
	                            {spi, 8},
	                            {ike->cookie_secret, sizeof(ike->cookie_secret)}};
	int r;

	bw_put_be64(spi, m->hdr.spi_i);
	if ((r = crypto_hash(CRYPTO_HASH_SHA256, seg, 4, h, sizeof(h))) != 0)
		return r;
	memset(out, 0, 4); /* version 0: the secret does not rotate yet */
	memcpy(out + 4, h, IKE_COOKIE_LEN - 4);
	return 0;
}

/* Under load, only initiators that echo our COOKIE get state (2.6). */
static bool cookie_ok(struct ike *ike, const struct bw_addr *src, const struct bw_addr *dst,
                      bool natt, const struct ikev2_msg *m)
{
	uint8_t want[IKE_COOKIE_LEN];

	if (ike->half_open < ike->cookie_threshold)
		return true;
	if (cookie_value(ike, m, src, want) != 0)
		return false;
	/* The COOKIE notify must be the first payload (2.6); the parser keeps order. */
	if (m->nnotify > 0 && m->notify[0].type == IKEV2_N_COOKIE &&
	    m->notify[0].data.len == sizeof(want) &&
	    crypto_memeq(m->notify[0].data.p, want, sizeof(want)))
		return true;
	refuse(ike, src, dst, natt, m, IKEV2_N_COOKIE, want, sizeof(want));
	return false;
}

void ike_init_request(struct ike *ike, const struct bw_addr *src, const struct bw_addr *dst,
                      bool natt, uint8_t *buf, size_t len, struct ikev2_msg *m, uint64_t now)
{
	static struct ikev2_sa reply_sa;
	const struct ike_conn_conf *c;
	const struct ikev2_prop *chosen;
	struct ike_xf xf;
	struct ike_sa *sa;
	uint8_t out[IKE_MSG_MAX], pub[CRYPTO_DH_PUBLIC_MAX];
	size_t pub_len;
	struct ikev2_hdr h;
	struct ikev2_bld b;
	struct bw_wr wr;
	int r;

	(void)buf;
	(void)len;
	if (m->hdr.msg_id != 0 || !ikev2_has(m, IKEV2_PL_SA) || !ikev2_has(m, IKEV2_PL_KE) ||
	    !ikev2_has(m, IKEV2_PL_NONCE)) {
		refuse(ike, src, dst, natt, m, IKEV2_N_INVALID_SYNTAX, NULL, 0);
		return;
	}
	if (!cookie_ok(ike, src, dst, natt, m))
		return;
	if ((c = pick_conn(ike, src, dst, &m->sa, &xf, &chosen)) == NULL) {
		log_info("ike", "IKE_SA_INIT from port %u: no acceptable proposal", src->port);
		refuse(ike, src, dst, natt, m, IKEV2_N_NO_PROPOSAL_CHOSEN, NULL, 0);
		return;
	}
	if (m->ke.group != xf.dh) {
		/* 1.2: tell the initiator which group we want; keep no state. */
		uint8_t g[2];

		bw_put_be16(g, xf.dh);
		refuse(ike, src, dst, natt, m, IKEV2_N_INVALID_KE_PAYLOAD, g, 2);
		return;
	}
	if ((sa = ike_sa_new(ike, false)) == NULL)
		return;
	sa->conf = c;
	sa->xf = xf;
	sa->spi_i = m->hdr.spi_i;
	ike_sa_index_peer(sa);
	sa->local = *dst;
	sa->remote = *src;
	sa->natt = natt;
	sa->created_ms = now;
	sa->ni_len = m->nonce.len;
	memcpy(sa->ni, m->nonce.p, m->nonce.len);
	sa->nr_len = IKE_NONCE_LEN;
	nat_check(sa, m);
	sa->frag_ok = find_notify(m, IKEV2_N_IKEV2_FRAGMENTATION_SUPPORTED) != NULL;
	if ((r = keep_copy(&sa->init_req, &sa->init_req_len, m->raw.p, m->raw.len)) != 0 ||
	    (r = ike_random(ike, sa->nr, sa->nr_len)) != 0 ||
	    (r = make_ke(sa, xf.dh, pub, &pub_len)) != 0 || (r = derive(sa, &m->ke)) != 0) {
		ike_sa_kill(sa, "IKE_SA_INIT: key exchange failed");
		refuse(ike, src, dst, natt, m, IKEV2_N_INVALID_SYNTAX, NULL, 0);
		return;
	}
	ike_prop_single(&xf, IKEV2_PROTO_IKE, chosen->num, NULL, 0, &reply_sa);
	memset(&h, 0, sizeof(h));
	h.spi_i = sa->spi_i;
	h.spi_r = sa->spi_r;
	h.version = IKEV2_VERSION;
	h.exchange = IKEV2_EXCH_IKE_SA_INIT;
	h.flags = IKEV2_FLAG_RESPONSE;
	bw_wr_init(&wr, out, sizeof(out));
	if ((r = ikev2_build_hdr(&b, &wr, &h)) != 0 || (r = ikev2_build_sa(&b, &reply_sa)) != 0 ||
	    (r = ikev2_build_ke(&b, xf.dh, pub, pub_len)) != 0 ||
	    (r = ikev2_build_nonce(&b, sa->nr, sa->nr_len)) != 0 ||
	    (r = nat_notifies(sa, &b, sa->spi_r)) != 0 || (r = sig_hash_notify(&b)) != 0 ||
	    (sa->frag_ok &&
	     (r = ikev2_build_notify(&b, 0, NULL, 0, IKEV2_N_IKEV2_FRAGMENTATION_SUPPORTED, NULL,
	                             0)) != 0) ||
	    (c->remote.auth == IKE_AUTH_PUBKEY && (r = ike_cert_build_certreq(sa, &b)) != 0) ||
	    (r = ikev2_build_finish(&b)) != 0 ||
	    (r = keep_copy(&sa->init_resp, &sa->init_resp_len, out, wr.len)) != 0) {
		ike_sa_kill(sa, "cannot build IKE_SA_INIT response");
		return;
	}
	sa->msgid_in = 1;
	ike_set_state(sa, IKE_ST_INIT_DONE);
	ike_send_plain(sa, out, wr.len, true, now);
}
