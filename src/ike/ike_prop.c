/* SPDX-License-Identifier: ISC */
/*
 * Proposals (RFC 7296 2.7, 3.3) and traffic selectors (2.9, 3.13).
 *
 * Selection: our proposals in our order of preference; for each, the first
 * peer proposal of the right protocol that offers, for every transform type
 * we need, one of our algorithms (our order again) and that names no type
 * we cannot fill (3.3.6: such a proposal is unacceptable).
 *
 * Selectors: the data plane matches address prefixes with any protocol and
 * port, so selectors are exchanged as address ranges over all ports and
 * narrowed to the intersection of what was proposed and what is configured.
 */
#include <netinet/in.h>
#include <string.h>

#include "ike/ike_int.h"
#include "lib/err.h"

static void add_xf(struct ikev2_sa *sa, uint8_t type, uint16_t id, uint16_t bits)
{
	struct ikev2_xf *x;

	if (sa->nxf >= IKEV2_MAX_XF)
		return;
	x = &sa->xf[sa->nxf++];
	memset(x, 0, sizeof(*x));
	x->type = type;
	x->id = id;
	x->key_len = bits;
	x->has_key_len = bits != 0;
	sa->prop[sa->nprop - 1].nxf++;
}

static void new_prop(struct ikev2_sa *sa, uint8_t num, uint8_t proto, const uint8_t *spi,
                     size_t spi_len)
{
	struct ikev2_prop *p = &sa->prop[sa->nprop++];

	memset(p, 0, sizeof(*p));
	p->num = num;
	p->proto = proto;
	p->spi_size = (uint8_t)spi_len;
	if (spi_len > 0)
		memcpy(p->spi, spi, spi_len);
	p->first_xf = sa->nxf;
}

void ike_prop_build(const struct ike_proposal *props, size_t n, uint8_t proto, const uint8_t *spi,
                    size_t spi_len, struct ikev2_sa *out)
{
	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < n && out->nprop < IKEV2_MAX_PROPOSALS; i++) {
		const struct ike_proposal *p = &props[i];

		new_prop(out, (uint8_t)(i + 1), proto, spi, spi_len);
		for (size_t k = 0; k < p->n_encr; k++)
			add_xf(out, IKEV2_XF_ENCR, p->encr[k], p->encr_bits[k]);
		if (proto == IKEV2_PROTO_IKE)
			for (size_t k = 0; k < p->n_prf; k++)
				add_xf(out, IKEV2_XF_PRF, p->prf[k], 0);
		for (size_t k = 0; k < p->n_integ; k++)
			add_xf(out, IKEV2_XF_INTEG, p->integ[k], 0);
		for (size_t k = 0; k < p->n_dh; k++)
			add_xf(out, IKEV2_XF_DH, p->dh[k], 0);
		if (proto == IKEV2_PROTO_ESP) {
			if (p->n_esn == 0)
				add_xf(out, IKEV2_XF_ESN, IKEV2_ESN_NO, 0);
			for (size_t k = 0; k < p->n_esn; k++)
				add_xf(out, IKEV2_XF_ESN, p->esn[k], 0);
		}
	}
}

void ike_prop_single(const struct ike_xf *xf, uint8_t proto, uint8_t num, const uint8_t *spi,
                     size_t spi_len, struct ikev2_sa *out)
{
	memset(out, 0, sizeof(*out));
	new_prop(out, num, proto, spi, spi_len);
	add_xf(out, IKEV2_XF_ENCR, xf->encr, xf->encr_bits);
	if (proto == IKEV2_PROTO_IKE)
		add_xf(out, IKEV2_XF_PRF, xf->prf, 0);
	if (xf->integ != 0)
		add_xf(out, IKEV2_XF_INTEG, xf->integ, 0);
	if (xf->dh != 0)
		add_xf(out, IKEV2_XF_DH, xf->dh, 0);
	if (proto == IKEV2_PROTO_ESP)
		add_xf(out, IKEV2_XF_ESN, xf->esn, 0);
}

/* Does the peer proposal offer transform (type, id, bits)? */
static bool offers(const struct ikev2_sa *sa, const struct ikev2_prop *p, uint8_t type, uint16_t id,
                   uint16_t bits)
{
	for (unsigned i = p->first_xf; i < (unsigned)p->first_xf + p->nxf; i++) {
		const struct ikev2_xf *x = &sa->xf[i];

		if (x->type == type && x->id == id && !x->attr_unsupported &&
		    (x->has_key_len ? x->key_len : 0) == bits)
			return true;
	}
	return false;
}

static bool has_type(const struct ikev2_sa *sa, const struct ikev2_prop *p, uint8_t type)
{
	for (unsigned i = p->first_xf; i < (unsigned)p->first_xf + p->nxf; i++)
		if (sa->xf[i].type == type)
			return true;
	return false;
}

/* Picks one of ours per type out of peer proposal p; false if one is missing. */
static bool match(const struct ike_proposal *o, const struct ikev2_sa *sa,
                  const struct ikev2_prop *p, uint8_t proto, struct ike_xf *xf)
{
	bool found;

	memset(xf, 0, sizeof(*xf));
	for (unsigned i = p->first_xf; i < (unsigned)p->first_xf + p->nxf; i++) {
		uint8_t t = sa->xf[i].type;

		if (t < IKEV2_XF_ENCR || t > IKEV2_XF_ESN)
			return false; /* a type we do not understand (3.3.6) */
		if (proto == IKEV2_PROTO_IKE && t == IKEV2_XF_ESN)
			return false;
		if (proto == IKEV2_PROTO_ESP && t == IKEV2_XF_PRF)
			return false;
	}
	found = false;
	for (size_t k = 0; k < o->n_encr && !found; k++)
		if (offers(sa, p, IKEV2_XF_ENCR, o->encr[k], o->encr_bits[k])) {
			xf->encr = o->encr[k];
			xf->encr_bits = o->encr_bits[k];
			found = true;
		}
	if (!found)
		return false;
	if (proto == IKEV2_PROTO_IKE) {
		found = false;
		for (size_t k = 0; k < o->n_prf && !found; k++)
			if (offers(sa, p, IKEV2_XF_PRF, o->prf[k], 0)) {
				xf->prf = o->prf[k];
				found = true;
			}
		if (!found)
			return false;
	}
	if (o->n_integ > 0 || has_type(sa, p, IKEV2_XF_INTEG)) {
		found = false;
		for (size_t k = 0; k < o->n_integ && !found; k++)
			if (offers(sa, p, IKEV2_XF_INTEG, o->integ[k], 0)) {
				xf->integ = o->integ[k];
				found = true;
			}
		/* An AEAD proposal may list INTEG NONE (3.3.3). */
		if (!found && o->n_integ == 0 && offers(sa, p, IKEV2_XF_INTEG, 0, 0))
			found = true;
		if (!found)
			return false;
	}
	if (o->n_dh > 0 || (has_type(sa, p, IKEV2_XF_DH) && !offers(sa, p, IKEV2_XF_DH, 0, 0))) {
		found = false;
		for (size_t k = 0; k < o->n_dh && !found; k++)
			if (offers(sa, p, IKEV2_XF_DH, o->dh[k], 0)) {
				xf->dh = o->dh[k];
				found = true;
			}
		if (!found)
			return false;
	}
	if (proto == IKEV2_PROTO_ESP) {
		uint8_t want[2] = {IKEV2_ESN_NO, 0};
		size_t nw = o->n_esn ? o->n_esn : 1;

		if (o->n_esn)
			memcpy(want, o->esn, o->n_esn);
		found = !has_type(sa, p, IKEV2_XF_ESN) && want[0] == IKEV2_ESN_NO;
		for (size_t k = 0; k < nw && !found; k++)
			if (offers(sa, p, IKEV2_XF_ESN, want[k], 0)) {
				xf->esn = want[k];
				found = true;
			}
		if (!found)
			return false;
	}
	return true;
}

int ike_prop_select(const struct ike_proposal *ours, size_t n, const struct ikev2_sa *peer,
                    uint8_t proto, struct ike_xf *xf, const struct ikev2_prop **chosen)
{
	for (size_t i = 0; i < n; i++)
		for (unsigned k = 0; k < peer->nprop; k++) {
			const struct ikev2_prop *p = &peer->prop[k];

			if (p->proto != proto || (proto == IKEV2_PROTO_ESP && p->spi_size != 4))
				continue;
			if (match(&ours[i], peer, p, proto, xf)) {
				*chosen = p;
				return 0;
			}
		}
	return BW_ERR_NOTFOUND;
}

int ike_prop_check_reply(const struct ike_proposal *ours, size_t n, const struct ikev2_sa *reply,
                         uint8_t proto, struct ike_xf *xf, const struct ikev2_prop **chosen)
{
	const struct ikev2_prop *p;

	/* 3.3: a response carries exactly one proposal, with one transform per type. */
	if (reply->nprop != 1)
		return BW_ERR_PROTO;
	p = &reply->prop[0];
	if (p->proto != proto || (proto == IKEV2_PROTO_ESP && p->spi_size != 4))
		return BW_ERR_PROTO;
	for (unsigned i = p->first_xf; i < (unsigned)p->first_xf + p->nxf; i++)
		for (unsigned j = i + 1; j < (unsigned)p->first_xf + p->nxf; j++)
			if (reply->xf[i].type == reply->xf[j].type)
				return BW_ERR_PROTO;
	for (size_t i = 0; i < n; i++)
		if (match(&ours[i], reply, p, proto, xf)) {
			*chosen = p;
			return 0;
		}
	return BW_ERR_PROTO;
}

/* ---- traffic selectors --------------------------------------------------- */

static void prefix_to_ts(const struct bw_addr *a, uint8_t plen, struct ikev2_ts *ts)
{
	size_t alen = bw_addr_len(a);

	memset(ts, 0, sizeof(*ts));
	ts->type = a->family == AF_INET ? IKEV2_TS_IPV4_ADDR_RANGE : IKEV2_TS_IPV6_ADDR_RANGE;
	ts->addr_len = (uint8_t)alen;
	ts->port_start = 0;
	ts->port_end = 0xffff;
	for (size_t i = 0; i < alen; i++) {
		unsigned bits = plen >= (i + 1) * 8 ? 8 : plen > i * 8 ? plen - (unsigned)i * 8 : 0;
		uint8_t mask = (uint8_t)(0xff00 >> bits);

		ts->start[i] = a->a[i] & mask;
		ts->end[i] = (uint8_t)(a->a[i] | ~mask);
	}
}

/* The prefix a range is, if it is one (start aligned, end = start | host bits). */
static bool ts_to_prefix(const struct ikev2_ts *ts, struct bw_addr *a, uint8_t *plen)
{
	size_t alen = ts->addr_len;
	unsigned p = 0;
	bool host = false;

	memset(a, 0, sizeof(*a));
	a->family = alen == 4 ? AF_INET : AF_INET6;
	for (size_t i = 0; i < alen; i++) {
		for (int b = 7; b >= 0; b--) {
			unsigned s = (ts->start[i] >> b) & 1, e = (ts->end[i] >> b) & 1;

			if (!host && s == e) {
				p++;
			} else {
				host = true;
				if (s != 0 || e != 1)
					return false;
			}
		}
	}
	memcpy(a->a, ts->start, alen);
	*plen = (uint8_t)p;
	return true;
}

void ike_ts_from_conf(const struct bw_addr *p, const uint8_t *plen, size_t n,
                      const struct bw_addr *dynamic, struct ikev2_tsp *out)
{
	memset(out, 0, sizeof(*out));
	if (n == 0) {
		prefix_to_ts(dynamic, (uint8_t)(bw_addr_len(dynamic) * 8), &out->ts[out->n++]);
		return;
	}
	for (size_t i = 0; i < n && out->n < IKEV2_MAX_TS; i++)
		prefix_to_ts(&p[i], plen[i], &out->ts[out->n++]);
}

int ike_ts_narrow(const struct ikev2_tsp *proposed, const struct bw_addr *p, const uint8_t *plen,
                  size_t n, const struct bw_addr *dynamic, struct ikev2_tsp *out)
{
	struct bw_addr dyn_p[1];
	uint8_t dyn_l[1];

	memset(out, 0, sizeof(*out));
	if (n == 0) {
		dyn_p[0] = *dynamic;
		dyn_p[0].port = 0;
		dyn_l[0] = (uint8_t)(bw_addr_len(dynamic) * 8);
		p = dyn_p;
		plen = dyn_l;
		n = 1;
	}
	for (unsigned i = 0; i < proposed->n; i++) {
		const struct ikev2_ts *ts = &proposed->ts[i];
		struct bw_addr a;
		uint8_t al;

		/* Only whole-port, any-protocol selectors reach the data plane. */
		if (ts->ip_proto != 0 || ts->port_start != 0 || ts->port_end != 0xffff ||
		    !ts_to_prefix(ts, &a, &al))
			continue;
		for (size_t k = 0; k < n && out->n < IKEV2_MAX_TS; k++) {
			if (p[k].family != a.family)
				continue;
			/* Nested prefixes intersect in the longer one; others not at all. */
			if (al >= plen[k] && bw_addr_in_prefix(&a, &p[k], plen[k]))
				prefix_to_ts(&a, al, &out->ts[out->n++]);
			else if (plen[k] > al && bw_addr_in_prefix(&p[k], &a, al))
				prefix_to_ts(&p[k], plen[k], &out->ts[out->n++]);
		}
	}
	return out->n > 0 ? 0 : BW_ERR_NOTFOUND;
}
