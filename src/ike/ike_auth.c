/* SPDX-License-Identifier: ISC */
/*
 * IKE_AUTH (RFC 7296 1.2, 2.15): identities, PSK authentication, and the
 * first CHILD_SA with its proposals, traffic selectors (2.9) and keys
 * (2.17), installed in the data plane through the owner's callbacks.
 */
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/crypto_dn.h"
#include "ike/ike_int.h"
#include "lib/err.h"
#include "lib/log.h"
#include "lib/rd.h"

/* RestOfIDPayload (2.15): ID type | 3 reserved bytes | identification data. */
static size_t id_body(const struct ike_sa *sa, const struct ike_end *end,
                      const struct bw_addr *addr, uint8_t *out, size_t cap)
{
	size_t len;

	(void)sa;
	memset(out, 0, 4);
	if (end->id.type != 0 && !end->id.any) {
		if (end->id.len + 4 > cap)
			return 0;
		out[0] = end->id.type;
		memcpy(out + 4, end->id.data, end->id.len);
		return end->id.len + 4;
	}
	/* No configured identity: the certificate's subject, else our address. */
	if (end->auth == IKE_AUTH_PUBKEY &&
	    (len = ike_cert_id_body(ike_creds_of(sa), out, cap)) > 0)
		return len;
	len = bw_addr_len(addr);
	out[0] = addr->family == AF_INET ? IKEV2_ID_IPV4_ADDR : IKEV2_ID_IPV6_ADDR;
	memcpy(out + 4, addr->a, len);
	return len + 4;
}

/* Does the identity the peer sent match what we expect of it? */
static bool id_matches(const struct ike_end *end, const struct ikev2_idp *id)
{
	if (end->id.any || end->id.type == 0)
		return true;
	if (id->type != end->id.type)
		return false;
	/* DNs compare as X.509 names: string types may differ between encoders. */
	if (id->type == IKEV2_ID_DER_ASN1_DN)
		return crypto_dn_eq(id->data.p, id->data.len, end->id.data, end->id.len);
	return id->data.len == end->id.len && memcmp(id->data.p, end->id.data, end->id.len) == 0;
}

/*
 * 1.2: the first CHILD_SA comes out of IKE_AUTH without a key exchange of
 * its own, so DH (PFS) transforms are left out of its proposals (they apply
 * to rekeying with CREATE_CHILD_SA).
 */
static size_t props_no_dh(const struct ike_child_conf *cc, struct ike_proposal *out)
{
	for (size_t i = 0; i < cc->n_prop; i++) {
		out[i] = cc->prop[i];
		out[i].n_dh = 0;
	}
	return cc->n_prop;
}

/* CFG_REQUEST for an address of the peer's family and its DNS servers (3.15). */
static int cp_build_request(struct ikev2_bld *b, int family)
{
	static struct ikev2_cpp cp;

	memset(&cp, 0, sizeof(cp));
	cp.type = IKEV2_CFG_REQUEST;
	cp.attr[cp.n++] = (struct ikev2_cp_attrp){family == AF_INET ? IKEV2_CP_INTERNAL_IP4_ADDRESS
	                                                            : IKEV2_CP_INTERNAL_IP6_ADDRESS,
	                                          {NULL, 0}};
	cp.attr[cp.n++] = (struct ikev2_cp_attrp){family == AF_INET ? IKEV2_CP_INTERNAL_IP4_DNS
	                                                            : IKEV2_CP_INTERNAL_IP6_DNS,
	                                          {NULL, 0}};
	return ikev2_build_cp(b, &cp);
}

/* The address a CFG_REPLY assigns us, if any. */
static bool cp_take_reply(const struct ikev2_msg *m, struct bw_addr *vip)
{
	if (!ikev2_has(m, IKEV2_PL_CP) || m->cp.type != IKEV2_CFG_REPLY)
		return false;
	for (unsigned i = 0; i < m->cp.n; i++) {
		const struct ikev2_cp_attrp *a = &m->cp.attr[i];

		memset(vip, 0, sizeof(*vip));
		if (a->type == IKEV2_CP_INTERNAL_IP4_ADDRESS && a->val.len == 4) {
			vip->family = AF_INET;
			memcpy(vip->a, a->val.p, 4);
			return true;
		}
		if (a->type == IKEV2_CP_INTERNAL_IP6_ADDRESS && a->val.len == 17) {
			vip->family = AF_INET6;
			memcpy(vip->a, a->val.p, 16);
			return true;
		}
	}
	return false;
}

int ike_auth_start(struct ike_sa *sa, uint64_t now)
{
	const struct ike_conn_conf *c = sa->conf;
	const struct ike_child_conf *cc = c->n_child > 0 ? &c->child[0] : NULL;
	static struct ikev2_sa sap;
	static struct ikev2_tsp tsi, tsr;
	uint8_t inner[IKE_MSG_MAX], idb[4 + IKE_ID_MAX], auth[CRYPTO_PRF_MAX], spi[4];
	size_t idlen, alen;
	struct ikev2_bld b;
	struct bw_wr wr;
	int r;

	if ((idlen = id_body(sa, &c->local, &sa->local, idb, sizeof(idb))) == 0)
		return BW_ERR_INVAL;
	if (c->local.auth == IKE_AUTH_PSK &&
	    (r = ike_auth_psk(sa, true, idb, idlen, auth, &alen)) != 0)
		return r;
	bw_wr_init(&wr, inner, sizeof(inner));
	ikev2_build_chain(&b, &wr);
	if ((r = ikev2_build_id(&b, IKEV2_PL_IDI, idb[0], idb + 4, idlen - 4)) != 0)
		return r;
	if (!c->remote.id.any && c->remote.id.type != 0 &&
	    (r = ikev2_build_id(&b, IKEV2_PL_IDR, c->remote.id.type, c->remote.id.data,
	                        c->remote.id.len)) != 0)
		return r;
	if (c->local.auth == IKE_AUTH_PSK)
		r = ikev2_build_auth(&b, IKEV2_AUTH_PSK, auth, alen);
	else
		r = ike_cert_build_auth(sa, &b, true, idb, idlen,
		                        c->remote.auth == IKE_AUTH_PUBKEY);
	crypto_wipe(auth, sizeof(auth));
	if (r != 0)
		return r;
	if (c->local.auth == IKE_AUTH_PSK && c->remote.auth == IKE_AUTH_PUBKEY &&
	    (r = ike_cert_build_certreq(sa, &b)) != 0)
		return r;
	if (c->request_vip && (r = cp_build_request(&b, sa->remote.family)) != 0)
		return r;
	if (cc != NULL) {
		if ((r = ike_new_child_spi(sa->ike, &sa->pending_spi)) != 0)
			return r;
		bw_put_be32(spi, sa->pending_spi);
		sa->pending_child = cc;
		if (cc->mode == ESP_MODE_TRANSPORT &&
		    (r = ikev2_build_notify(&b, 0, NULL, 0, IKEV2_N_USE_TRANSPORT_MODE, NULL, 0)) !=
		            0)
			return r;
		struct ike_proposal props[IKE_PROP_MAX];
		size_t np = props_no_dh(cc, props);

		ike_prop_build(props, np, IKEV2_PROTO_ESP, spi, 4, &sap);
		/* Asking for a virtual IP: our side is "any" until the peer narrows it (2.19). */
		struct bw_addr any = {.family = sa->remote.family};
		uint8_t any_len = 0;

		if (c->request_vip && cc->n_local_ts == 0)
			ike_ts_from_conf(&any, &any_len, 1, NULL, &tsi);
		else
			ike_ts_from_conf(cc->local_ts, cc->local_plen, cc->n_local_ts, &sa->local,
			                 &tsi);
		ike_ts_from_conf(cc->remote_ts, cc->remote_plen, cc->n_remote_ts, &sa->remote,
		                 &tsr);
		if ((r = ikev2_build_sa(&b, &sap)) != 0 ||
		    (r = ikev2_build_ts(&b, IKEV2_PL_TSI, &tsi)) != 0 ||
		    (r = ikev2_build_ts(&b, IKEV2_PL_TSR, &tsr)) != 0)
			return r;
	}
	if ((r = ike_send_sk(sa, IKEV2_EXCH_IKE_AUTH, false, sa->msgid_out, inner, wr.len, b.first,
	                     now)) != 0)
		return r;
	sa->msgid_out++;
	ike_set_state(sa, IKE_ST_AUTH_SENT);
	return 0;
}

static bool has_notify(const struct ikev2_msg *m, uint16_t type)
{
	for (unsigned i = 0; i < m->nnotify; i++)
		if (m->notify[i].type == type)
			return true;
	return false;
}

static int verify_psk(const struct ike_sa *sa, bool of_initiator, const struct ikev2_msg *m);

/* The peer's AUTH by the method our configuration expects of it. */
static int verify_peer(const struct ike_sa *sa, bool of_initiator, const struct ikev2_msg *m)
{
	if (sa->conf->remote.auth == IKE_AUTH_PUBKEY)
		return ike_cert_verify(sa, of_initiator, m);
	return verify_psk(sa, of_initiator, m);
}

static int verify_psk(const struct ike_sa *sa, bool of_initiator, const struct ikev2_msg *m)
{
	uint8_t want[CRYPTO_PRF_MAX];
	size_t wlen;
	const struct ikev2_idp *id = of_initiator ? &m->id_i : &m->id_r;
	int r;

	if (m->auth.method != IKEV2_AUTH_PSK || sa->conf->remote.auth != IKE_AUTH_PSK)
		return BW_ERR_AUTH;
	if ((r = ike_auth_psk(sa, of_initiator, id->body.p, id->body.len, want, &wlen)) != 0)
		return r;
	r = m->auth.data.len == wlen && crypto_memeq(want, m->auth.data.p, wlen) ? 0 : BW_ERR_AUTH;
	crypto_wipe(want, sizeof(want));
	return r;
}

/* Responder: an error inside SK; the IKE SA goes away when authentication failed. */
static void auth_fail(struct ike_sa *sa, const struct ikev2_msg *m, uint16_t type, uint64_t now)
{
	uint8_t inner[64];
	struct ikev2_bld b;
	struct bw_wr wr;

	bw_wr_init(&wr, inner, sizeof(inner));
	ikev2_build_chain(&b, &wr);
	if (ikev2_build_notify(&b, 0, NULL, 0, type, NULL, 0) == 0)
		ike_send_sk(sa, IKEV2_EXCH_IKE_AUTH, true, m->hdr.msg_id, inner, wr.len, b.first,
		            now);
	sa->msgid_in++;
	ike_sa_kill(sa, ikev2_notify_name(type));
}

/* Does a CFG_REQUEST ask for an address of this family? */
static bool cp_wants(const struct ikev2_cpp *cp, int family)
{
	uint16_t want =
	        family == AF_INET ? IKEV2_CP_INTERNAL_IP4_ADDRESS : IKEV2_CP_INTERNAL_IP6_ADDRESS;

	for (unsigned i = 0; i < cp->n; i++)
		if (cp->attr[i].type == want)
			return true;
	return false;
}

/* CFG_REPLY: the leased address and the DNS servers of its family (3.15.1). */
static int cp_build_reply(struct ikev2_bld *b, const struct ike_sa *sa,
                          const struct ike_conn_conf *c)
{
	static struct ikev2_cpp cp;
	uint8_t vals[1 + IKE_MAX_DNS][17];

	memset(&cp, 0, sizeof(cp));
	cp.type = IKEV2_CFG_REPLY;
	memcpy(vals[0], sa->vip.a, bw_addr_len(&sa->vip));
	if (sa->vip.family == AF_INET) {
		cp.attr[cp.n++] =
		        (struct ikev2_cp_attrp){IKEV2_CP_INTERNAL_IP4_ADDRESS, {vals[0], 4}};
	} else {
		vals[0][16] = 128; /* INTERNAL_IP6_ADDRESS carries a prefix length */
		cp.attr[cp.n++] =
		        (struct ikev2_cp_attrp){IKEV2_CP_INTERNAL_IP6_ADDRESS, {vals[0], 17}};
	}
	for (size_t i = 0; i < c->n_dns; i++) {
		if (c->dns[i].family != sa->vip.family)
			continue;
		memcpy(vals[1 + i], c->dns[i].a, bw_addr_len(&c->dns[i]));
		cp.attr[cp.n++] = (struct ikev2_cp_attrp){c->dns[i].family == AF_INET
		                                                  ? IKEV2_CP_INTERNAL_IP4_DNS
		                                                  : IKEV2_CP_INTERNAL_IP6_DNS,
		                                          {vals[1 + i], bw_addr_len(&c->dns[i])}};
	}
	return ikev2_build_cp(b, &cp);
}

void ike_auth_request(struct ike_sa *sa, struct ikev2_msg *m, uint64_t now)
{
	const struct ike_conn_conf *c = sa->conf;
	const struct ike_child_conf *cc = NULL;
	const struct ikev2_prop *chosen = NULL;
	static struct ikev2_sa reply_sa;
	static struct ikev2_tsp tsi, tsr;
	struct ike_xf xf;
	uint8_t inner[IKE_MSG_MAX], idb[4 + IKE_ID_MAX], auth[CRYPTO_PRF_MAX], spi[4];
	size_t idlen, alen;
	uint32_t spi_in = 0, spi_out = 0;
	uint16_t child_err = 0;
	struct bw_addr dyn_remote = sa->remote;
	bool cp_reply = false;
	bool transport = false;
	struct ikev2_bld b;
	struct bw_wr wr;
	int r;

	if (!ikev2_has(m, IKEV2_PL_IDI) || !ikev2_has(m, IKEV2_PL_AUTH)) {
		auth_fail(sa, m, IKEV2_N_INVALID_SYNTAX, now);
		return;
	}
	if (!id_matches(&c->remote, &m->id_i) ||
	    (ikev2_has(m, IKEV2_PL_IDR) && c->local.id.type != 0 && !c->local.id.any &&
	     !(m->id_r.type == c->local.id.type && m->id_r.data.len == c->local.id.len &&
	       memcmp(m->id_r.data.p, c->local.id.data, c->local.id.len) == 0)) ||
	    verify_peer(sa, true, m) != 0) {
		log_notice("ike", "conn=%s: peer authentication failed", c->name);
		auth_fail(sa, m, IKEV2_N_AUTHENTICATION_FAILED, now);
		return;
	}
	/* Remote access: a CFG_REQUEST gets an address from the pool (2.19); the
	 * peer's side of the selectors then narrows to that address. */
	if (ikev2_has(m, IKEV2_PL_CP) && m->cp.type == IKEV2_CFG_REQUEST && c->n_pools > 0) {
		cp_reply = true;
		if (!sa->has_vip && cp_wants(&m->cp, AF_INET) &&
		    ike_pool_acquire(sa->ike, c, AF_INET, &sa->vip) == 0)
			sa->has_vip = true;
		if (!sa->has_vip && cp_wants(&m->cp, AF_INET6) &&
		    ike_pool_acquire(sa->ike, c, AF_INET6, &sa->vip) == 0)
			sa->has_vip = true;
		if (sa->has_vip)
			dyn_remote = sa->vip;
		else
			log_notice("ike", "conn=%s: no virtual IP left for the peer", c->name);
	}
	/* The first CHILD_SA: the first child whose selectors and proposals fit. */
	if (cp_reply && !sa->has_vip) {
		child_err = IKEV2_N_INTERNAL_ADDRESS_FAILURE;
	} else if (ikev2_has(m, IKEV2_PL_SA) && ikev2_has(m, IKEV2_PL_TSI) &&
	           ikev2_has(m, IKEV2_PL_TSR)) {
		child_err = IKEV2_N_TS_UNACCEPTABLE;
		for (size_t i = 0; i < c->n_child && cc == NULL; i++) {
			const struct ike_child_conf *x = &c->child[i];

			if (ike_ts_narrow(&m->ts_i, x->remote_ts, x->remote_plen, x->n_remote_ts,
			                  &dyn_remote, &tsi) != 0 ||
			    ike_ts_narrow(&m->ts_r, x->local_ts, x->local_plen, x->n_local_ts,
			                  &sa->local, &tsr) != 0)
				continue;
			struct ike_proposal props[IKE_PROP_MAX];
			size_t np = props_no_dh(x, props);

			child_err = IKEV2_N_NO_PROPOSAL_CHOSEN;
			if (ike_prop_select(props, np, &m->sa, IKEV2_PROTO_ESP, &xf, &chosen) != 0)
				continue;
			cc = x;
			child_err = 0;
		}
	}
	if (cc != NULL) {
		spi_out = bw_be32(chosen->spi);
		transport =
		        cc->mode == ESP_MODE_TRANSPORT && has_notify(m, IKEV2_N_USE_TRANSPORT_MODE);
		if (ike_new_child_spi(sa->ike, &spi_in) != 0 ||
		    ike_child_install(sa, cc, &xf, spi_in, spi_out, transport, false, &tsr, &tsi,
		                      NULL, 0, sa->ni, sa->ni_len, sa->nr, sa->nr_len, now) != 0) {
			cc = NULL;
			child_err = IKEV2_N_NO_PROPOSAL_CHOSEN;
		}
	}
	/* Our answer: IDr, AUTH, and the CHILD_SA or why there is none. */
	if ((idlen = id_body(sa, &c->local, &sa->local, idb, sizeof(idb))) == 0 ||
	    (c->local.auth == IKE_AUTH_PSK &&
	     ike_auth_psk(sa, false, idb, idlen, auth, &alen) != 0)) {
		auth_fail(sa, m, IKEV2_N_AUTHENTICATION_FAILED, now);
		return;
	}
	bw_wr_init(&wr, inner, sizeof(inner));
	ikev2_build_chain(&b, &wr);
	r = ikev2_build_id(&b, IKEV2_PL_IDR, idb[0], idb + 4, idlen - 4);
	if (r == 0 && c->local.auth == IKE_AUTH_PSK)
		r = ikev2_build_auth(&b, IKEV2_AUTH_PSK, auth, alen);
	else if (r == 0)
		r = ike_cert_build_auth(sa, &b, false, idb, idlen, false);
	crypto_wipe(auth, sizeof(auth));
	if (r == 0 && cp_reply && sa->has_vip)
		r = cp_build_reply(&b, sa, c);
	if (r == 0 && cc != NULL) {
		bw_put_be32(spi, spi_in);
		ike_prop_single(&xf, IKEV2_PROTO_ESP, chosen->num, spi, 4, &reply_sa);
		if (transport)
			r = ikev2_build_notify(&b, 0, NULL, 0, IKEV2_N_USE_TRANSPORT_MODE, NULL, 0);
		if (r == 0)
			r = ikev2_build_sa(&b, &reply_sa);
		if (r == 0)
			r = ikev2_build_ts(&b, IKEV2_PL_TSI, &tsi);
		if (r == 0)
			r = ikev2_build_ts(&b, IKEV2_PL_TSR, &tsr);
	} else if (r == 0 && child_err != 0) {
		r = ikev2_build_notify(&b, 0, NULL, 0, child_err, NULL, 0);
	}
	if (r != 0) {
		auth_fail(sa, m, IKEV2_N_INVALID_SYNTAX, now);
		return;
	}
	ike_send_sk(sa, IKEV2_EXCH_IKE_AUTH, true, m->hdr.msg_id, inner, wr.len, b.first, now);
	sa->msgid_in++;
	sa->established_ms = sa->last_heard_ms = now;
	if (c->rekey_time)
		sa->rekey_at = ike_jitter(sa->ike, now + (uint64_t)c->rekey_time * 1000,
		                          (uint64_t)c->rekey_time * 1000);
	ike_set_state(sa, IKE_ST_ESTABLISHED);
	log_notice("ike", "conn=%s: IKE SA established with peer (responder)", c->name);
}

static void auth_response(struct ike_sa *sa, struct ikev2_msg *m, uint64_t now)
{
	const struct ike_conn_conf *c = sa->conf;
	const struct ike_child_conf *cc = sa->pending_child;
	const struct ikev2_prop *chosen;
	struct ike_proposal props[IKE_PROP_MAX];
	size_t np;
	struct ike_xf xf;

	for (unsigned i = 0; i < m->nnotify; i++)
		if (m->notify[i].type == IKEV2_N_AUTHENTICATION_FAILED ||
		    m->notify[i].type == IKEV2_N_INVALID_SYNTAX) {
			log_notice("ike", "conn=%s: peer refused us: %s", c->name,
			           ikev2_notify_name(m->notify[i].type));
			ike_sa_kill(sa, "refused by peer");
			return;
		}
	if (!ikev2_has(m, IKEV2_PL_IDR) || !ikev2_has(m, IKEV2_PL_AUTH) ||
	    !id_matches(&c->remote, &m->id_r) || verify_peer(sa, false, m) != 0) {
		log_notice("ike", "conn=%s: responder authentication failed", c->name);
		ike_sa_kill(sa, "responder authentication failed");
		return;
	}
	sa->established_ms = sa->last_heard_ms = now;
	if (c->rekey_time)
		sa->rekey_at = ike_jitter(sa->ike, now + (uint64_t)c->rekey_time * 1000,
		                          (uint64_t)c->rekey_time * 1000);
	if (c->reauth_time)
		sa->reauth_at = ike_jitter(sa->ike, now + (uint64_t)c->reauth_time * 1000,
		                           (uint64_t)c->reauth_time * 1000);
	ike_set_state(sa, IKE_ST_ESTABLISHED);
	log_notice("ike", "conn=%s: IKE SA established with peer (initiator)", c->name);
	if (c->request_vip) {
		if (!cp_take_reply(m, &sa->vip)) {
			log_notice("ike", "conn=%s: asked for a virtual IP and got none", c->name);
		} else if (sa->ike->ops.vip_add == NULL ||
		           sa->ike->ops.vip_add(sa->ike->arg, &sa->vip) == 0) {
			char v[64];

			sa->has_vip = true;
			sa->vip_ours = true;
			log_notice("ike", "conn=%s: virtual IP %s", c->name,
			           bw_addr_str(&sa->vip, v, sizeof(v)));
		}
	}
	if (cc == NULL)
		return;
	if (!ikev2_has(m, IKEV2_PL_SA) || !ikev2_has(m, IKEV2_PL_TSI) ||
	    !ikev2_has(m, IKEV2_PL_TSR)) {
		for (unsigned i = 0; i < m->nnotify; i++)
			if (m->notify[i].type < IKEV2_N_STATUS_MIN)
				log_notice("ike", "conn=%s: CHILD_SA %s refused: %s", c->name,
				           cc->name, ikev2_notify_name(m->notify[i].type));
		return;
	}
	np = props_no_dh(cc, props);
	if (ike_prop_check_reply(props, np, &m->sa, IKEV2_PROTO_ESP, &xf, &chosen) != 0) {
		log_notice("ike", "conn=%s: CHILD_SA proposal in the reply is not one we offered",
		           c->name);
		return;
	}
	if (ike_child_install(sa, cc, &xf, sa->pending_spi, bw_be32(chosen->spi),
	                      cc->mode == ESP_MODE_TRANSPORT &&
	                              has_notify(m, IKEV2_N_USE_TRANSPORT_MODE),
	                      true, &m->ts_i, &m->ts_r, NULL, 0, sa->ni, sa->ni_len, sa->nr,
	                      sa->nr_len, now) != 0)
		log_err("ike", "conn=%s: CHILD_SA %s could not be installed", c->name, cc->name);
}

void ike_auth_response(struct ike_sa *sa, struct ikev2_msg *m, uint64_t now)
{
	struct ike_sa *old;

	auth_response(sa, m, now);
	/* Reauthentication: once the new IKE SA stands, the one it replaces goes. */
	if (sa->replaces != 0 && sa->state == IKE_ST_ESTABLISHED &&
	    (old = ike_sa_find(sa->ike, sa->replaces, 0, false)) != NULL &&
	    old->state == IKE_ST_ESTABLISHED) {
		log_notice("ike", "conn=%s: reauthenticated; deleting the old IKE SA",
		           sa->conf->name);
		if (old->last_req != NULL || ike_delete_send(old, now) != 0)
			ike_sa_kill(old, "reauthenticated");
	}
	sa->replaces = 0;
}
