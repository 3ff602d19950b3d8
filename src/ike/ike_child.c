/* SPDX-License-Identifier: ISC */
/*
 * CREATE_CHILD_SA (RFC 7296 1.3): CHILD_SA rekeying with optional PFS
 * (1.3.3), IKE SA rekeying (1.3.2, keys per 2.18), new CHILD_SAs, and the
 * tasks an established IKE SA runs on its own: rekeys with jitter, hard
 * lifetimes, liveness checks (2.4) and deleting replaced SAs. Simultaneous
 * rekeys are resolved as 2.8.1 and 2.8.2 say: of the redundant SAs, the
 * one whose exchange had the lowest nonce is deleted by its initiator.
 */
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "ike/ike_int.h"
#include "lib/err.h"
#include "lib/log.h"
#include "lib/rd.h"

int ike_new_child_spi(struct ike *ike, uint32_t *spi)
{
	int r;

	/* RFC 4303 2.1: 1..255 are reserved. */
	do {
		if ((r = ike_random(ike, spi, sizeof(*spi))) != 0)
			return r;
	} while (*spi < 256);
	return 0;
}

uint64_t ike_jitter(struct ike *ike, uint64_t when, uint64_t span)
{
	uint32_t r = 0;

	if (span < 10 || ike_random(ike, &r, sizeof(r)) != 0)
		return when;
	return when - r % (span / 10);
}

/* The addresses of a narrowed TS payload as prefixes (narrowing left only prefixes). */
static size_t ts_prefixes(const struct ikev2_tsp *tsp, struct bw_addr *a, uint8_t *plen)
{
	size_t n = 0;

	for (unsigned i = 0; i < tsp->n && n < IKE_MAX_TS; i++) {
		const struct ikev2_ts *ts = &tsp->ts[i];
		unsigned p = 0;

		if (ts->addr_len != 4 && ts->addr_len != 16)
			continue;
		for (unsigned k = 0; k < ts->addr_len * 8u; k++) {
			unsigned s = (ts->start[k / 8] >> (7 - k % 8)) & 1;
			unsigned e = (ts->end[k / 8] >> (7 - k % 8)) & 1;

			if (s != e)
				break;
			p++;
		}
		memset(&a[n], 0, sizeof(a[n]));
		a[n].family = ts->addr_len == 4 ? AF_INET : AF_INET6;
		memcpy(a[n].a, ts->start, ts->addr_len);
		plen[n] = (uint8_t)p;
		n++;
	}
	return n;
}

int ike_child_install(struct ike_sa *sa, const struct ike_child_conf *cc, const struct ike_xf *xf,
                      uint32_t spi_in, uint32_t spi_out, bool transport, bool we_initiated,
                      const struct ikev2_tsp *ts_local, const struct ikev2_tsp *ts_remote,
                      const uint8_t *shared, size_t shared_len, const uint8_t *ni, size_t ni_len,
                      const uint8_t *nr, size_t nr_len, uint64_t now)
{
	struct ike *ike = sa->ike;
	struct ike_child_sa c;
	struct esp_sa_cfg *i2r, *r2i;
	struct bw_addr lp[IKE_MAX_TS], rp[IKE_MAX_TS];
	uint8_t ll[IKE_MAX_TS], rl[IKE_MAX_TS];
	size_t nl, nrem;
	struct ike_child *ch;
	char name[2 * IKE_NAME_MAX + 2];
	int r;

	memset(&c, 0, sizeof(c));
	snprintf(name, sizeof(name), "%s/%s", sa->conf->name, cc->name);
	c.name = name;
	/* 2.17: "initiator" is whoever initiated this exchange. */
	i2r = we_initiated ? &c.out : &c.in;
	r2i = we_initiated ? &c.in : &c.out;
	if ((r = ike_child_keys(sa, xf, shared, shared_len, ni, ni_len, nr, nr_len, i2r, r2i)) != 0)
		goto out;
	c.in.spi = spi_in;
	c.out.spi = spi_out;
	for (int d = 0; d < 2; d++) {
		struct esp_sa_cfg *e = d ? &c.out : &c.in;

		e->mode = transport ? ESP_MODE_TRANSPORT : ESP_MODE_TUNNEL;
		e->replay_window = cc->replay_window;
		e->local = sa->local;
		e->remote = sa->remote;
		e->udp_encap = sa->natt;
		if (!sa->natt) {
			e->local.port = 0;
			e->remote.port = 0;
		}
	}
	nl = ts_prefixes(ts_local, lp, ll);
	nrem = ts_prefixes(ts_remote, rp, rl);
	for (size_t i = 0; i < nl; i++)
		for (size_t k = 0; k < nrem && c.n_ts < IKE_MAX_TS; k++) {
			if (lp[i].family != rp[k].family)
				continue;
			c.ts[c.n_ts].local = lp[i];
			c.ts[c.n_ts].local_plen = ll[i];
			c.ts[c.n_ts].remote = rp[k];
			c.ts[c.n_ts].remote_plen = rl[k];
			c.n_ts++;
		}
	if ((ch = calloc(1, sizeof(*ch))) == NULL) {
		r = BW_ERR_NOMEM;
		goto out;
	}
	ch->conf = cc;
	ch->spi_in = spi_in;
	ch->spi_out = spi_out;
	ch->xf = *xf;
	ch->transport = transport;
	ch->ts_l = *ts_local;
	ch->ts_r = *ts_remote;
	ch->established_ms = now;
	if (cc->rekey_time)
		ch->rekey_at = ike_jitter(ike, now + (uint64_t)cc->rekey_time * 1000,
		                          (uint64_t)cc->rekey_time * 1000);
	if (cc->life_time)
		ch->expire_at = now + (uint64_t)cc->life_time * 1000;
	if ((r = ike->ops.child_add(ike->arg, &c, &ch->handle)) != 0) {
		free(ch);
		goto out;
	}
	ch->installed = true;
	ch->next = sa->children;
	sa->children = ch;
	log_info("ike", "conn=%s: CHILD_SA %s up, SPIs in 0x%08x out 0x%08x, %s/%u%s%s%s",
	         sa->conf->name, cc->name, spi_in, spi_out, ikev2_encr_name(xf->encr),
	         xf->encr_bits, xf->integ ? " " : "", xf->integ ? ikev2_integ_name(xf->integ) : "",
	         shared_len ? " (PFS)" : "");
out:
	crypto_wipe(&c, sizeof(c));
	return r;
}

void ike_child_unlink(struct ike_sa *sa, struct ike_child *c)
{
	for (struct ike_child **pp = &sa->children; *pp != NULL; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			if (c->installed)
				sa->ike->ops.child_del(sa->ike->arg, c->handle);
			if (sa->task_child == c)
				sa->task_child = NULL;
			free(c);
			return;
		}
}

static void task_clear(struct ike_sa *sa)
{
	sa->task = IKE_TASK_NONE;
	sa->task_child = NULL;
	crypto_dh_free(sa->task_dh);
	sa->task_dh = NULL;
}

/* Sends a request and remembers what it is for. */
static int request(struct ike_sa *sa, enum ike_task task, uint8_t exchange, const uint8_t *inner,
                   size_t len, uint8_t first, uint64_t now)
{
	int r = ike_send_sk(sa, exchange, false, sa->msgid_out, inner, len, first, now);

	if (r != 0)
		return r;
	sa->msgid_out++;
	sa->task = task;
	return 0;
}

/* Our KE for a CREATE_CHILD_SA when the proposal asks for one. */
static int dh_ke(struct crypto_dh **dh, uint16_t group, uint8_t *pub, size_t *pub_len)
{
	int r;

	crypto_dh_free(*dh);
	*dh = NULL;
	if ((r = crypto_dh_new(dh, (enum crypto_dh_group)group)) != 0)
		return r;
	*pub_len = crypto_dh_public_len((enum crypto_dh_group)group);
	return crypto_dh_public(*dh, pub, *pub_len);
}

static int dh_shared(struct crypto_dh *dh, const struct ikev2_ke *ke, uint16_t group, uint8_t *out,
                     size_t *len)
{
	if (dh == NULL || ke->group != group)
		return BW_ERR_PROTO;
	*len = crypto_dh_shared_len((enum crypto_dh_group)group);
	return crypto_dh_shared(dh, ke->data.p, ke->data.len, out, *len);
}

/* Our KE for a request we start (kept until its answer comes). */
static int task_ke(struct ike_sa *sa, uint16_t group, uint8_t *pub, size_t *pub_len)
{
	return dh_ke(&sa->task_dh, group, pub, pub_len);
}

static int task_shared(struct ike_sa *sa, const struct ikev2_ke *ke, uint16_t group, uint8_t *out,
                       size_t *len)
{
	return dh_shared(sa->task_dh, ke, group, out, len);
}

int ike_child_rekey_start(struct ike_sa *sa, struct ike_child *c, uint64_t now)
{
	const struct ike_child_conf *cc = c->conf;
	static struct ikev2_sa sap;
	uint8_t inner[IKE_MSG_MAX], spi[4], old[4], pub[CRYPTO_DH_PUBLIC_MAX];
	size_t pub_len = 0;
	uint16_t group = cc->n_prop > 0 && cc->prop[0].n_dh > 0 ? cc->prop[0].dh[0] : 0;
	struct ikev2_bld b;
	struct bw_wr wr;
	int r;

	if ((r = ike_new_child_spi(sa->ike, &sa->task_spi)) != 0)
		return r;
	sa->task_nonce_len = IKE_NONCE_LEN;
	if ((r = ike_random(sa->ike, sa->task_nonce, sa->task_nonce_len)) != 0)
		return r;
	if (group != 0 && (r = task_ke(sa, group, pub, &pub_len)) != 0)
		return r;
	bw_put_be32(spi, sa->task_spi);
	bw_put_be32(old, c->spi_in);
	ike_prop_build(cc->prop, cc->n_prop, IKEV2_PROTO_ESP, spi, 4, &sap);
	bw_wr_init(&wr, inner, sizeof(inner));
	ikev2_build_chain(&b, &wr);
	/* 1.3.3: REKEY_SA names the SA being replaced by our inbound SPI. */
	if ((r = ikev2_build_notify(&b, IKEV2_PROTO_ESP, old, 4, IKEV2_N_REKEY_SA, NULL, 0)) != 0 ||
	    (c->transport &&
	     (r = ikev2_build_notify(&b, 0, NULL, 0, IKEV2_N_USE_TRANSPORT_MODE, NULL, 0)) != 0) ||
	    (r = ikev2_build_sa(&b, &sap)) != 0 ||
	    (r = ikev2_build_nonce(&b, sa->task_nonce, sa->task_nonce_len)) != 0 ||
	    (group != 0 && (r = ikev2_build_ke(&b, group, pub, pub_len)) != 0) ||
	    (r = ikev2_build_ts(&b, IKEV2_PL_TSI, &c->ts_l)) != 0 ||
	    (r = ikev2_build_ts(&b, IKEV2_PL_TSR, &c->ts_r)) != 0)
		return r;
	if ((r = request(sa, IKE_TASK_CHILD_REKEY, IKEV2_EXCH_CREATE_CHILD_SA, inner, wr.len,
	                 b.first, now)) != 0)
		return r;
	sa->task_child = c;
	log_info("ike", "conn=%s: rekeying CHILD_SA %s (in 0x%08x)", sa->conf->name, cc->name,
	         c->spi_in);
	return 0;
}

int ike_rekey_start(struct ike_sa *sa, uint64_t now)
{
	const struct ike_conn_conf *c = sa->conf;
	static struct ikev2_sa sap;
	uint8_t inner[IKE_MSG_MAX], spi[8], pub[CRYPTO_DH_PUBLIC_MAX];
	size_t pub_len;
	uint16_t group = sa->xf.dh;
	struct ikev2_bld b;
	struct bw_wr wr;
	int r;

	do {
		if ((r = ike_random(sa->ike, &sa->task_ike_spi, sizeof(sa->task_ike_spi))) != 0)
			return r;
	} while (sa->task_ike_spi == 0);
	sa->task_nonce_len = IKE_NONCE_LEN;
	if ((r = ike_random(sa->ike, sa->task_nonce, sa->task_nonce_len)) != 0 ||
	    (r = task_ke(sa, group, pub, &pub_len)) != 0)
		return r;
	bw_put_be64(spi, sa->task_ike_spi);
	ike_prop_build(c->prop, c->n_prop, IKEV2_PROTO_IKE, spi, 8, &sap);
	bw_wr_init(&wr, inner, sizeof(inner));
	ikev2_build_chain(&b, &wr);
	if ((r = ikev2_build_sa(&b, &sap)) != 0 ||
	    (r = ikev2_build_nonce(&b, sa->task_nonce, sa->task_nonce_len)) != 0 ||
	    (r = ikev2_build_ke(&b, group, pub, pub_len)) != 0)
		return r;
	if ((r = request(sa, IKE_TASK_IKE_REKEY, IKEV2_EXCH_CREATE_CHILD_SA, inner, wr.len, b.first,
	                 now)) != 0)
		return r;
	log_info("ike", "conn=%s: rekeying the IKE SA", c->name);
	return 0;
}

int ike_child_delete_start(struct ike_sa *sa, struct ike_child *c, uint64_t now)
{
	uint8_t inner[64], spi[4];
	struct ikev2_bld b;
	struct bw_wr wr;
	int r;

	bw_put_be32(spi, c->spi_in);
	bw_wr_init(&wr, inner, sizeof(inner));
	ikev2_build_chain(&b, &wr);
	if ((r = ikev2_build_delete(&b, IKEV2_PROTO_ESP, 4, 1, spi)) != 0 ||
	    (r = request(sa, IKE_TASK_CHILD_DELETE, IKEV2_EXCH_INFORMATIONAL, inner, wr.len,
	                 b.first, now)) != 0)
		return r;
	sa->task_child = c;
	return 0;
}

/* 2.8.1 compares nonces as octet strings; a shorter one that is a prefix is lower. */
static int nonce_cmp(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	int c = memcmp(a, b, alen < blen ? alen : blen);

	if (c != 0)
		return c;
	return alen < blen ? -1 : alen > blen ? 1 : 0;
}

/* One Delete for two of our CHILD_SAs (the redundant new one and the old). */
static int delete_pair(struct ike_sa *sa, struct ike_child *a, struct ike_child *b, uint64_t now)
{
	uint8_t inner[64], spis[8];
	struct ikev2_bld b2;
	struct bw_wr wr;
	int r;

	bw_put_be32(spis, a->spi_in);
	bw_put_be32(spis + 4, b->spi_in);
	bw_wr_init(&wr, inner, sizeof(inner));
	ikev2_build_chain(&b2, &wr);
	if ((r = ikev2_build_delete(&b2, IKEV2_PROTO_ESP, 4, 2, spis)) != 0 ||
	    (r = request(sa, IKE_TASK_CHILD_DELETE, IKEV2_EXCH_INFORMATIONAL, inner, wr.len,
	                 b2.first, now)) != 0)
		return r;
	/* Both go at once: the peer's answer only confirms. */
	ike_child_unlink(sa, a);
	sa->task_child = b;
	return 0;
}

int ike_dpd_start(struct ike_sa *sa, uint64_t now)
{
	/* 2.4: an empty INFORMATIONAL request; no answer after the retransmissions
	 * means the peer is gone and every SA with it. */
	return request(sa, IKE_TASK_DPD, IKEV2_EXCH_INFORMATIONAL, NULL, 0, IKEV2_PL_NONE, now);
}

/* A new IKE SA taking over from old after a rekey (2.18); children move to it. */
static struct ike_sa *ike_sa_successor(struct ike_sa *old, bool we_initiated, uint64_t our_spi,
                                       uint64_t peer_spi, const struct ike_xf *xf,
                                       const uint8_t *ni, size_t ni_len, const uint8_t *nr,
                                       size_t nr_len, const uint8_t *shared, size_t shared_len,
                                       uint64_t now)
{
	struct ike_sa *n = ike_sa_new(old->ike, we_initiated);

	if (n == NULL)
		return NULL;
	/* ike_sa_new drew a random SPI; use the one exchanged instead. */
	uint64_t drawn = we_initiated ? n->spi_i : n->spi_r;

	n->spi_i = we_initiated ? our_spi : peer_spi;
	n->spi_r = we_initiated ? peer_spi : our_spi;
	if (ike_sa_reindex(n, drawn) != 0) {
		ike_sa_kill(n, "SPI already in use");
		return NULL;
	}
	n->conf = old->conf;
	n->local = old->local;
	n->remote = old->remote;
	n->natt = old->natt;
	n->xf = *xf;
	memcpy(n->ni, ni, ni_len);
	n->ni_len = ni_len;
	memcpy(n->nr, nr, nr_len);
	n->nr_len = nr_len;
	if (ike_derive_rekeyed(n, old, shared, shared_len) != 0) {
		ike_sa_kill(n, "rekeyed keys failed");
		return NULL;
	}
	n->children = old->children;
	old->children = NULL;
	old->rekeyed = true;
	n->created_ms = n->established_ms = n->last_heard_ms = now;
	if (n->conf->rekey_time)
		n->rekey_at = ike_jitter(n->ike, now + (uint64_t)n->conf->rekey_time * 1000,
		                         (uint64_t)n->conf->rekey_time * 1000);
	n->state = IKE_ST_ESTABLISHED;
	log_notice("ike", "conn=%s: IKE SA rekeyed: %016llx_i %016llx_r", n->conf->name,
	           (unsigned long long)n->spi_i, (unsigned long long)n->spi_r);
	return n;
}

static const struct ikev2_notifyp *notify_of(const struct ikev2_msg *m, uint16_t type)
{
	for (unsigned i = 0; i < m->nnotify; i++)
		if (m->notify[i].type == type)
			return &m->notify[i];
	return NULL;
}

static void respond_error(struct ike_sa *sa, const struct ikev2_msg *m, uint16_t type, uint64_t now)
{
	uint8_t inner[64];
	struct ikev2_bld b;
	struct bw_wr wr;

	bw_wr_init(&wr, inner, sizeof(inner));
	ikev2_build_chain(&b, &wr);
	if (ikev2_build_notify(&b, 0, NULL, 0, type, NULL, 0) == 0)
		ike_send_sk(sa, IKEV2_EXCH_CREATE_CHILD_SA, true, m->hdr.msg_id, inner, wr.len,
		            b.first, now);
	sa->msgid_in++;
}

/* The peer rekeys the IKE SA (1.3.2). */
static void ike_rekey_request(struct ike_sa *sa, struct ikev2_msg *m, uint64_t now)
{
	struct crypto_dh *rdh = NULL;
	static struct ikev2_sa reply;
	const struct ikev2_prop *chosen;
	struct ike_xf xf;
	uint8_t inner[IKE_MSG_MAX], nonce[IKE_NONCE_LEN], spi[8], pub[CRYPTO_DH_PUBLIC_MAX];
	uint8_t shared[CRYPTO_DH_SHARED_MAX];
	size_t pub_len, slen;
	uint64_t our_spi = 0, peer_spi;
	struct ikev2_bld b;
	struct bw_wr wr;

	if (ike_prop_select(sa->conf->prop, sa->conf->n_prop, &m->sa, IKEV2_PROTO_IKE, &xf,
	                    &chosen) != 0 ||
	    chosen->spi_size != 8) {
		respond_error(sa, m, IKEV2_N_NO_PROPOSAL_CHOSEN, now);
		return;
	}
	if (!ikev2_has(m, IKEV2_PL_KE) || m->ke.group != xf.dh) {
		uint8_t inner2[64], g[2];

		bw_put_be16(g, xf.dh);
		bw_wr_init(&wr, inner2, sizeof(inner2));
		ikev2_build_chain(&b, &wr);
		if (ikev2_build_notify(&b, 0, NULL, 0, IKEV2_N_INVALID_KE_PAYLOAD, g, 2) == 0)
			ike_send_sk(sa, IKEV2_EXCH_CREATE_CHILD_SA, true, m->hdr.msg_id, inner2,
			            wr.len, b.first, now);
		sa->msgid_in++;
		return;
	}
	peer_spi = (uint64_t)bw_be32(chosen->spi) << 32 | bw_be32(chosen->spi + 4);
	while (our_spi == 0)
		if (ike_random(sa->ike, &our_spi, sizeof(our_spi)) != 0)
			return;
	if (ike_random(sa->ike, nonce, sizeof(nonce)) != 0 ||
	    dh_ke(&rdh, xf.dh, pub, &pub_len) != 0 ||
	    dh_shared(rdh, &m->ke, xf.dh, shared, &slen) != 0) {
		crypto_dh_free(rdh);
		respond_error(sa, m, IKEV2_N_NO_PROPOSAL_CHOSEN, now);
		return;
	}
	bw_put_be64(spi, our_spi);
	ike_prop_single(&xf, IKEV2_PROTO_IKE, chosen->num, spi, 8, &reply);
	bw_wr_init(&wr, inner, sizeof(inner));
	ikev2_build_chain(&b, &wr);
	if (ikev2_build_sa(&b, &reply) != 0 || ikev2_build_nonce(&b, nonce, sizeof(nonce)) != 0 ||
	    ikev2_build_ke(&b, xf.dh, pub, pub_len) != 0) {
		crypto_wipe(shared, sizeof(shared));
		crypto_dh_free(rdh);
		return;
	}
	/* The answer goes out under the old SA's keys before the successor exists. */
	ike_send_sk(sa, IKEV2_EXCH_CREATE_CHILD_SA, true, m->hdr.msg_id, inner, wr.len, b.first,
	            now);
	sa->msgid_in++;
	crypto_dh_free(rdh);
	if (ike_sa_successor(sa, false, our_spi, peer_spi, &xf, m->nonce.p, m->nonce.len, nonce,
	                     sizeof(nonce), shared, slen, now) != NULL &&
	    sa->task == IKE_TASK_IKE_REKEY) {
		/* 2.8.2: we are rekeying too; remember this exchange's lower nonce. */
		const uint8_t *lo = m->nonce.p;
		size_t lo_len = m->nonce.len;

		if (nonce_cmp(nonce, sizeof(nonce), lo, lo_len) < 0) {
			lo = nonce;
			lo_len = sizeof(nonce);
		}
		memcpy(sa->coll_nonce, lo, lo_len);
		sa->coll_nonce_len = lo_len;
		sa->coll_succ = our_spi;
	}
	crypto_wipe(shared, sizeof(shared));
}

void ike_create_child_request(struct ike_sa *sa, struct ikev2_msg *m, uint64_t now)
{
	struct crypto_dh *rdh = NULL;
	const struct ike_conn_conf *conn = sa->conf;
	const struct ikev2_notifyp *rk = notify_of(m, IKEV2_N_REKEY_SA);
	const struct ike_child_conf *cc = NULL;
	const struct ikev2_prop *chosen = NULL;
	static struct ikev2_sa reply;
	static struct ikev2_tsp tsi, tsr;
	struct ike_child *old = NULL;
	struct ike_xf xf;
	uint8_t inner[IKE_MSG_MAX], nonce[IKE_NONCE_LEN], spi[4], pub[CRYPTO_DH_PUBLIC_MAX];
	uint8_t shared[CRYPTO_DH_SHARED_MAX];
	size_t pub_len = 0, slen = 0;
	uint32_t spi_in;
	bool transport;
	struct ikev2_bld b;
	struct bw_wr wr;
	int r;

	if (!ikev2_has(m, IKEV2_PL_SA) || !ikev2_has(m, IKEV2_PL_NONCE)) {
		respond_error(sa, m, IKEV2_N_INVALID_SYNTAX, now);
		return;
	}
	if (m->sa.nprop > 0 && m->sa.prop[0].proto == IKEV2_PROTO_IKE) {
		ike_rekey_request(sa, m, now);
		return;
	}
	if (!ikev2_has(m, IKEV2_PL_TSI) || !ikev2_has(m, IKEV2_PL_TSR)) {
		respond_error(sa, m, IKEV2_N_INVALID_SYNTAX, now);
		return;
	}
	if (rk != NULL) {
		/* The peer names its inbound SPI of the SA it replaces: our outbound one. */
		uint32_t s = rk->spi.len == 4 ? bw_be32(rk->spi.p) : 0;

		for (old = sa->children; old != NULL && old->spi_out != s; old = old->next)
			;
		if (old == NULL) {
			respond_error(sa, m, IKEV2_N_CHILD_SA_NOT_FOUND, now);
			return;
		}
	}
	/* The same child configuration (rekey) or the first one whose selectors fit. */
	for (size_t i = 0; i < conn->n_child && cc == NULL; i++) {
		const struct ike_child_conf *x = &conn->child[i];

		if (old != NULL && x != old->conf)
			continue;
		if (ike_ts_narrow(&m->ts_i, x->remote_ts, x->remote_plen, x->n_remote_ts,
		                  &sa->remote, &tsi) != 0 ||
		    ike_ts_narrow(&m->ts_r, x->local_ts, x->local_plen, x->n_local_ts, &sa->local,
		                  &tsr) != 0)
			continue;
		if (ike_prop_select(x->prop, x->n_prop, &m->sa, IKEV2_PROTO_ESP, &xf, &chosen) != 0)
			continue;
		cc = x;
	}
	if (cc == NULL) {
		respond_error(sa, m, IKEV2_N_NO_PROPOSAL_CHOSEN, now);
		return;
	}
	if (xf.dh != 0) {
		/* PFS: the peer's KE must use the chosen group (1.3.3). */
		if (!ikev2_has(m, IKEV2_PL_KE) || m->ke.group != xf.dh) {
			uint8_t inner2[64], g[2];

			bw_put_be16(g, xf.dh);
			bw_wr_init(&wr, inner2, sizeof(inner2));
			ikev2_build_chain(&b, &wr);
			if (ikev2_build_notify(&b, 0, NULL, 0, IKEV2_N_INVALID_KE_PAYLOAD, g, 2) ==
			    0)
				ike_send_sk(sa, IKEV2_EXCH_CREATE_CHILD_SA, true, m->hdr.msg_id,
				            inner2, wr.len, b.first, now);
			sa->msgid_in++;
			return;
		}
		/* Our own pending request keeps its KE: the answer uses a fresh one. */
		int kr = dh_ke(&rdh, xf.dh, pub, &pub_len);

		if (kr == 0)
			kr = dh_shared(rdh, &m->ke, xf.dh, shared, &slen);
		crypto_dh_free(rdh);
		rdh = NULL;
		if (kr != 0) {
			respond_error(sa, m, IKEV2_N_NO_PROPOSAL_CHOSEN, now);
			return;
		}
	}
	transport = cc->mode == ESP_MODE_TRANSPORT && notify_of(m, IKEV2_N_USE_TRANSPORT_MODE);
	if (ike_new_child_spi(sa->ike, &spi_in) != 0 ||
	    ike_random(sa->ike, nonce, sizeof(nonce)) != 0 ||
	    ike_child_install(sa, cc, &xf, spi_in, bw_be32(chosen->spi), transport, false, &tsr,
	                      &tsi, shared, slen, m->nonce.p, m->nonce.len, nonce, sizeof(nonce),
	                      now) != 0) {
		crypto_wipe(shared, sizeof(shared));
		respond_error(sa, m, IKEV2_N_NO_PROPOSAL_CHOSEN, now);
		return;
	}
	crypto_wipe(shared, sizeof(shared));
	if (old != NULL) {
		old->rekeyed = true; /* the initiator deletes it (1.3.3) */
		/* 2.8.1: we are rekeying the same SA; remember the lower nonce of
		 * the peer's exchange to settle which new SA is redundant. */
		if (sa->task == IKE_TASK_CHILD_REKEY && sa->task_child == old) {
			const uint8_t *lo = m->nonce.p;
			size_t lo_len = m->nonce.len;

			if (nonce_cmp(nonce, sizeof(nonce), lo, lo_len) < 0) {
				lo = nonce;
				lo_len = sizeof(nonce);
			}
			memcpy(old->coll_nonce, lo, lo_len);
			old->coll_nonce_len = lo_len;
		}
	}
	bw_put_be32(spi, spi_in);
	ike_prop_single(&xf, IKEV2_PROTO_ESP, chosen->num, spi, 4, &reply);
	bw_wr_init(&wr, inner, sizeof(inner));
	ikev2_build_chain(&b, &wr);
	if ((transport &&
	     (r = ikev2_build_notify(&b, 0, NULL, 0, IKEV2_N_USE_TRANSPORT_MODE, NULL, 0)) != 0) ||
	    (r = ikev2_build_sa(&b, &reply)) != 0 ||
	    (r = ikev2_build_nonce(&b, nonce, sizeof(nonce))) != 0 ||
	    (xf.dh != 0 && (r = ikev2_build_ke(&b, xf.dh, pub, pub_len)) != 0) ||
	    (r = ikev2_build_ts(&b, IKEV2_PL_TSI, &tsi)) != 0 ||
	    (r = ikev2_build_ts(&b, IKEV2_PL_TSR, &tsr)) != 0)
		return;
	ike_send_sk(sa, IKEV2_EXCH_CREATE_CHILD_SA, true, m->hdr.msg_id, inner, wr.len, b.first,
	            now);
	sa->msgid_in++;
}

/* Our CHILD_SA rekey was answered. */
static void child_rekey_done(struct ike_sa *sa, struct ikev2_msg *m, uint64_t now)
{
	struct ike_child *old = sa->task_child;
	const struct ike_child_conf *cc = old ? old->conf : NULL;
	const struct ikev2_prop *chosen;
	uint8_t shared[CRYPTO_DH_SHARED_MAX];
	size_t slen = 0;
	struct ike_xf xf;

	if (old == NULL || !ikev2_has(m, IKEV2_PL_SA) || !ikev2_has(m, IKEV2_PL_NONCE) ||
	    ike_prop_check_reply(cc->prop, cc->n_prop, &m->sa, IKEV2_PROTO_ESP, &xf, &chosen) !=
	            0) {
		for (unsigned i = 0; i < m->nnotify; i++)
			if (m->notify[i].type < IKEV2_N_STATUS_MIN)
				log_notice("ike", "conn=%s: CHILD_SA rekey refused: %s",
				           sa->conf->name, ikev2_notify_name(m->notify[i].type));
		task_clear(sa);
		return;
	}
	if (xf.dh != 0 && task_shared(sa, &m->ke, xf.dh, shared, &slen) != 0) {
		task_clear(sa);
		return;
	}
	if (ike_child_install(sa, cc, &xf, sa->task_spi, bw_be32(chosen->spi), old->transport, true,
	                      &m->ts_i, &m->ts_r, shared, slen, sa->task_nonce, sa->task_nonce_len,
	                      m->nonce.p, m->nonce.len, now) != 0) {
		crypto_wipe(shared, sizeof(shared));
		task_clear(sa);
		return;
	}
	crypto_wipe(shared, sizeof(shared));
	task_clear(sa);
	old->rekeyed = true;
	/*
	 * 2.8.1: if the peer rekeyed the same SA at the same time, two new SAs
	 * exist; the one whose exchange had the lowest of the four nonces is
	 * deleted by the node that initiated that exchange. If it is ours, the
	 * Delete takes our new SA as well as the old one.
	 */
	if (old->coll_nonce_len > 0) {
		const uint8_t *lo = sa->task_nonce;
		size_t lo_len = sa->task_nonce_len;

		if (nonce_cmp(m->nonce.p, m->nonce.len, lo, lo_len) < 0) {
			lo = m->nonce.p;
			lo_len = m->nonce.len;
		}
		if (nonce_cmp(lo, lo_len, old->coll_nonce, old->coll_nonce_len) < 0) {
			log_info("ike", "conn=%s: simultaneous CHILD_SA rekey: ours is redundant",
			         sa->conf->name);
			if (delete_pair(sa, sa->children, old, now) != 0)
				ike_child_unlink(sa, old);
			return;
		}
	}
	/* The new SA carries traffic from now on; delete the old one (1.3.3). */
	if (ike_child_delete_start(sa, old, now) != 0)
		ike_child_unlink(sa, old);
}

/*
 * 2.8.2: both ends rekeyed the IKE SA at once, so two successors exist. The
 * one whose exchange had the lowest of the four nonces is redundant and its
 * initiator deletes it; the CHILD_SAs belong to the other. Each end moves
 * them there, since each end first gave them to the successor it answered.
 */
static void ike_rekey_collision(struct ike_sa *old, struct ike_sa *ours, struct ikev2_msg *m,
                                uint64_t now)
{
	struct ike_sa *peers = ike_sa_find(old->ike, 0, old->coll_succ, false);
	const uint8_t *lo = old->task_nonce;
	size_t lo_len = old->task_nonce_len;

	if (peers == NULL)
		return;
	if (nonce_cmp(m->nonce.p, m->nonce.len, lo, lo_len) < 0) {
		lo = m->nonce.p;
		lo_len = m->nonce.len;
	}
	if (nonce_cmp(lo, lo_len, old->coll_nonce, old->coll_nonce_len) < 0) {
		log_info("ike", "conn=%s: simultaneous IKE SA rekey: ours is redundant",
		         old->conf->name);
		if (ike_delete_send(ours, now) != 0)
			ike_sa_kill(ours, "redundant");
		return;
	}
	/* Ours survives: the CHILD_SAs move to it; the peer deletes its successor. */
	ours->children = peers->children;
	peers->children = NULL;
	peers->rekeyed = true;
}

static void ike_rekey_done(struct ike_sa *sa, struct ikev2_msg *m, uint64_t now)
{
	const struct ikev2_prop *chosen;
	uint8_t shared[CRYPTO_DH_SHARED_MAX];
	size_t slen;
	struct ike_xf xf;
	struct ike_sa *n;
	uint64_t peer_spi;

	if (!ikev2_has(m, IKEV2_PL_SA) || !ikev2_has(m, IKEV2_PL_NONCE) ||
	    ike_prop_check_reply(sa->conf->prop, sa->conf->n_prop, &m->sa, IKEV2_PROTO_IKE, &xf,
	                         &chosen) != 0 ||
	    chosen->spi_size != 8 || task_shared(sa, &m->ke, xf.dh, shared, &slen) != 0) {
		log_notice("ike", "conn=%s: IKE SA rekey failed", sa->conf->name);
		task_clear(sa);
		return;
	}
	peer_spi = (uint64_t)bw_be32(chosen->spi) << 32 | bw_be32(chosen->spi + 4);
	n = ike_sa_successor(sa, true, sa->task_ike_spi, peer_spi, &xf, sa->task_nonce,
	                     sa->task_nonce_len, m->nonce.p, m->nonce.len, shared, slen, now);
	crypto_wipe(shared, sizeof(shared));
	if (n != NULL && sa->coll_succ != 0)
		ike_rekey_collision(sa, n, m, now);
	task_clear(sa);
	/* 1.3.2: the initiator of the rekey deletes the old IKE SA. */
	if (n != NULL && ike_delete_send(sa, now) != 0)
		ike_sa_kill(sa, "rekeyed");
}

void ike_create_child_response(struct ike_sa *sa, struct ikev2_msg *m, uint64_t now)
{
	switch (sa->task) {
	case IKE_TASK_CHILD_REKEY:
		child_rekey_done(sa, m, now);
		break;
	case IKE_TASK_IKE_REKEY:
		ike_rekey_done(sa, m, now);
		break;
	default:
		task_clear(sa);
		break;
	}
}

uint64_t ike_sa_next_due(const struct ike_sa *sa)
{
	uint64_t at = UINT64_MAX;

	if (sa->state != IKE_ST_ESTABLISHED || sa->rekeyed)
		return at;
	if (sa->rekey_at && sa->rekey_at < at)
		at = sa->rekey_at;
	if (sa->reauth_at && sa->reauth_at < at)
		at = sa->reauth_at;
	if (sa->conf->dpd_delay) {
		uint64_t d = sa->last_heard_ms + (uint64_t)sa->conf->dpd_delay * 1000;

		if (d < at)
			at = d;
	}
	for (const struct ike_child *c = sa->children; c != NULL; c = c->next) {
		if (c->expire_at && c->expire_at < at)
			at = c->expire_at;
		if (!c->rekeyed && c->rekey_at && c->rekey_at < at)
			at = c->rekey_at;
	}
	return at;
}

void ike_sa_due(struct ike_sa *sa, uint64_t now)
{
	struct ike_child *c, *next;

	if (sa->state != IKE_ST_ESTABLISHED || sa->rekeyed)
		return;
	/* Hard lifetimes expire whatever else is going on. */
	for (c = sa->children; c != NULL; c = next) {
		next = c->next;
		if (c->expire_at && now >= c->expire_at && c != sa->task_child) {
			log_notice("ike", "conn=%s: CHILD_SA 0x%08x expired", sa->conf->name,
			           c->spi_in);
			if (sa->last_req != NULL || ike_child_delete_start(sa, c, now) != 0)
				ike_child_unlink(sa, c);
		}
	}
	/* Reauthentication (the original initiator): a new IKE SA from scratch
	 * with the same connection; the old one is deleted once it stands. */
	if (sa->reauth_at && now >= sa->reauth_at && sa->initiator) {
		struct ike_sa *n = NULL;

		sa->reauth_at = 0;
		sa->rekey_at = 0; /* this SA has little time left */
		if (ike_init_start_sa(sa->ike, sa->conf, now, &n) == 0 && n != NULL) {
			n->replaces = sa->spi_i;
			log_info("ike", "conn=%s: reauthenticating", sa->conf->name);
		}
	}
	if (sa->last_req != NULL)
		return; /* one request at a time */
	if (sa->rekey_at && now >= sa->rekey_at) {
		sa->rekey_at = 0;
		if (ike_rekey_start(sa, now) == 0)
			return;
	}
	for (c = sa->children; c != NULL; c = c->next)
		if (!c->rekeyed && c->rekey_at && now >= c->rekey_at) {
			c->rekey_at = 0;
			if (ike_child_rekey_start(sa, c, now) == 0)
				return;
		}
	if (sa->conf->dpd_delay &&
	    now >= sa->last_heard_ms + (uint64_t)sa->conf->dpd_delay * 1000) {
		sa->last_heard_ms = now; /* no second check until this one ends */
		ike_dpd_start(sa, now);
	}
}
