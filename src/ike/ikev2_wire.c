/* SPDX-License-Identifier: ISC */
/*
 * IKEv2 message codec: RFC 7296 section 3 (header, generic payload header,
 * SA/proposal/transform/attribute, KE, ID, CERT, CERTREQ, AUTH, Nonce,
 * Notify, Delete, Vendor ID, TS, SK, CP, EAP), RFC 7383 2.5 (SKF) and RFC 7427
 * 3 (AUTH method 14). The parser validates everything into struct ikev2_msg
 * before the caller acts, in the manner of OpenIKED's ikev2_pld.c: for every
 * TLV the header must fit, the declared length must cover the header and
 * must not pass what remains. It returns what RFC 7296 2.21 says to send.
 *
 *                      1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                       IKE SA Initiator's SPI                  |
 * |                                                               |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                       IKE SA Responder's SPI                  |
 * |                                                               |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |  Next Payload | MjVer | MnVer | Exchange Type |     Flags     |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                          Message ID                           |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                            Length                             |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * | Next Payload  |C|  RESERVED   |         Payload Length        |  generic
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+  header,
 * ~                      payload body ...                         ~  then the
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+  next one
 *
 * SK (46) is always the last payload: its Next Payload names the first
 * payload inside the ciphertext, which ikev2_payloads_parse() reads after
 * the IKE SA has decrypted it. SKF (53) adds Fragment Number | Total
 * Fragments (2 + 2 bytes) before IV | ciphertext | ICV.
 */
#include <stdint.h>
#include <string.h>

#include "ike/ikev2_wire.h"
#include "lib/err.h"

_Static_assert(IKEV2_HDR_LEN == 8 + 8 + 1 + 1 + 1 + 1 + 4 + 4, "IKE header is 28 bytes");

/* ---- name tables, generated from the lists in ikev2_wire.h ---- */

#define NAME_CASE(n, v)                                                                            \
	case v:                                                                                    \
		return #n;
#define NAME_FN(fn, LIST)                                                                          \
	const char *fn(unsigned v)                                                                 \
	{                                                                                          \
		switch (v) {                                                                       \
			LIST(NAME_CASE)                                                            \
		default:                                                                           \
			return "?";                                                                \
		}                                                                                  \
	}

NAME_FN(ikev2_exchange_name, IKEV2_EXCHANGE_LIST)
NAME_FN(ikev2_payload_name, IKEV2_PAYLOAD_LIST)
NAME_FN(ikev2_proto_name, IKEV2_PROTO_LIST)
NAME_FN(ikev2_xf_type_name, IKEV2_XF_TYPE_LIST)
NAME_FN(ikev2_encr_name, IKEV2_ENCR_LIST)
NAME_FN(ikev2_prf_name, IKEV2_PRF_LIST)
NAME_FN(ikev2_integ_name, IKEV2_INTEG_LIST)
NAME_FN(ikev2_dh_name, IKEV2_DH_LIST)
NAME_FN(ikev2_esn_name, IKEV2_ESN_LIST)
NAME_FN(ikev2_notify_name, IKEV2_NOTIFY_LIST)
NAME_FN(ikev2_id_name, IKEV2_ID_LIST)
NAME_FN(ikev2_cert_name, IKEV2_CERT_LIST)
NAME_FN(ikev2_auth_name, IKEV2_AUTH_LIST)
NAME_FN(ikev2_hash_name, IKEV2_HASH_LIST)
NAME_FN(ikev2_cfg_name, IKEV2_CFG_LIST)
NAME_FN(ikev2_cp_attr_name, IKEV2_CP_ATTR_LIST)
NAME_FN(ikev2_ts_type_name, IKEV2_TS_TYPE_LIST)

const char *ikev2_xf_id_name(unsigned type, unsigned id)
{
	switch (type) {
	case IKEV2_XF_ENCR:
		return ikev2_encr_name(id);
	case IKEV2_XF_PRF:
		return ikev2_prf_name(id);
	case IKEV2_XF_INTEG:
		return ikev2_integ_name(id);
	case IKEV2_XF_DH:
		return ikev2_dh_name(id);
	case IKEV2_XF_ESN:
		return ikev2_esn_name(id);
	default:
		return "?";
	}
}

/* ---- parser ---- */

struct pctx {
	struct ikev2_msg *m;
	const uint8_t *base; /* offsets in errors count from here */
	bool inner;          /* parsing the decrypted chain */
	uint8_t pl;          /* payload being parsed */
};

static int fail(struct pctx *c, int r, enum ikev2_verdict v, uint16_t notify, const uint8_t *at,
                const char *why)
{
	struct ikev2_perr *e = &c->m->err;

	e->verdict = v;
	e->notify = notify;
	e->payload = c->pl;
	e->offset = at != NULL && at >= c->base ? (size_t)(at - c->base) : 0;
	e->why = why;
	return r;
}

/* Malformed payload content: INVALID_SYNTAX (RFC 7296 2.21.2, 2.21.3). */
static int syntax(struct pctx *c, const struct bw_rd *rd, const char *why)
{
	return fail(c, BW_ERR_INVAL, IKEV2_V_NOTIFY, IKEV2_N_INVALID_SYNTAX, bw_rd_cur(rd), why);
}

/*
 * A cap of ours was passed. The message may be valid, so INVALID_SYNTAX
 * would be a lie; it is dropped and counted instead.
 */
static int limit(struct pctx *c, const struct bw_rd *rd, const char *why)
{
	return fail(c, BW_ERR_LIMIT, IKEV2_V_DROP, 0, bw_rd_cur(rd), why);
}

static void take_view(struct bw_rd *rd, struct ikev2_view *v)
{
	v->len = bw_rd_left(rd);
	v->p = v->len ? bw_rd_cur(rd) : NULL;
	(void)bw_rd_skip(rd, v->len);
}

/* Transform attributes (3.3.5): only a TV Key Length is defined for IKEv2. */
static int parse_attrs(struct pctx *c, struct bw_rd *rd, struct ikev2_xf *xf)
{
	while (bw_rd_left(rd) > 0) {
		uint16_t at, lv;

		if (bw_rd_left(rd) < 4)
			return syntax(c, rd, "transform attribute truncated");
		(void)bw_rd_u16(rd, &at);
		(void)bw_rd_u16(rd, &lv);
		if ((at & IKEV2_ATTR_TV) == 0) {
			/* TLV: no such attribute exists in IKEv2; skip it, reject the proposal. */
			if (bw_rd_skip(rd, lv) != 0)
				return syntax(c, rd, "transform attribute length past transform");
			xf->attr_unsupported = true;
		} else if ((at & ~IKEV2_ATTR_TV) == IKEV2_ATTR_KEY_LENGTH && !xf->has_key_len) {
			xf->key_len = lv;
			xf->has_key_len = true;
		} else {
			/* Unknown or repeated attribute: 3.3.6 says reject the proposal. */
			xf->attr_unsupported = true;
		}
	}
	return 0;
}

/* Transform substructure (3.3.2): Last(0|3) RESERVED Length Type RESERVED ID attrs. */
static int parse_xf(struct pctx *c, struct bw_rd *rd, bool is_last, struct ikev2_sa *sa)
{
	struct bw_rd sub;
	struct ikev2_xf *xf;
	uint8_t last, type;
	uint16_t len, id;

	if (bw_rd_left(rd) < 8)
		return syntax(c, rd, "transform header truncated");
	if (sa->nxf >= IKEV2_MAX_XF)
		return limit(c, rd, "too many transforms in SA payload");
	(void)bw_rd_u8(rd, &last);
	(void)bw_rd_skip(rd, 1);
	(void)bw_rd_u16(rd, &len);
	if (last != 0 && last != 3)
		return syntax(c, rd, "transform last-substructure not 0 or 3");
	if ((last == 0) != is_last)
		return syntax(c, rd, "transform count disagrees with last-substructure");
	if (len < 8 || (size_t)len - 4 > bw_rd_left(rd))
		return syntax(c, rd, "transform length out of range");
	(void)bw_rd_sub(rd, &sub, len - 4u);
	(void)bw_rd_u8(&sub, &type);
	(void)bw_rd_skip(&sub, 1);
	(void)bw_rd_u16(&sub, &id);
	xf = &sa->xf[sa->nxf++];
	memset(xf, 0, sizeof(*xf));
	xf->type = type;
	xf->id = id;
	return parse_attrs(c, &sub, xf);
}

/*
 * Proposal substructure (3.3.1): Last(0|2) RESERVED Length Num ProtocolID
 * SPISize #Transforms SPI transforms. Proposal numbering and protocol
 * semantics are left to proposal selection (a response carries the number
 * of the proposal chosen, not 1).
 */
static int parse_prop(struct pctx *c, struct bw_rd *rd, bool *more)
{
	struct ikev2_sa *sa = &c->m->sa;
	struct ikev2_prop *p;
	struct bw_rd sub;
	uint8_t last, nxf;
	uint16_t len;

	if (bw_rd_left(rd) < 8)
		return syntax(c, rd, "proposal header truncated");
	if (sa->nprop >= IKEV2_MAX_PROPOSALS)
		return limit(c, rd, "too many proposals");
	(void)bw_rd_u8(rd, &last);
	(void)bw_rd_skip(rd, 1);
	(void)bw_rd_u16(rd, &len);
	if (last != 0 && last != 2)
		return syntax(c, rd, "proposal last-substructure not 0 or 2");
	if (len < 8 || (size_t)len - 4 > bw_rd_left(rd))
		return syntax(c, rd, "proposal length out of range");
	(void)bw_rd_sub(rd, &sub, len - 4u);
	*more = last == 2;
	if (!*more && bw_rd_left(rd) != 0)
		return syntax(c, rd, "data after the last proposal");
	if (*more && bw_rd_left(rd) == 0)
		return syntax(c, rd, "proposal says more follow but none does");

	p = &sa->prop[sa->nprop];
	memset(p, 0, sizeof(*p));
	(void)bw_rd_u8(&sub, &p->num);
	(void)bw_rd_u8(&sub, &p->proto);
	(void)bw_rd_u8(&sub, &p->spi_size);
	(void)bw_rd_u8(&sub, &nxf);
	if (p->spi_size > IKEV2_SPI_MAX)
		return syntax(c, &sub, "proposal SPI size over 8");
	if (bw_rd_copy(&sub, p->spi, p->spi_size) != 0)
		return syntax(c, &sub, "proposal SPI truncated");
	if (nxf > IKEV2_MAX_XF_PER_PROP)
		return limit(c, &sub, "too many transforms in proposal");
	p->first_xf = sa->nxf;
	p->nxf = nxf;
	for (unsigned i = 0; i < nxf; i++) {
		int r = parse_xf(c, &sub, i + 1u == nxf, sa);

		if (r != 0)
			return r;
	}
	if (bw_rd_left(&sub) != 0)
		return syntax(c, &sub, "proposal longer than its transforms");
	sa->nprop++;
	return 0;
}

static int parse_sa(struct pctx *c, struct bw_rd *rd)
{
	bool more = true;

	c->m->sa.nprop = 0;
	c->m->sa.nxf = 0;
	if (bw_rd_left(rd) == 0)
		return syntax(c, rd, "SA payload without proposals");
	while (more) {
		int r = parse_prop(c, rd, &more);

		if (r != 0)
			return r;
	}
	return 0;
}

/* KE (3.4): DH Group Num | RESERVED | Key Exchange Data. */
static int parse_ke(struct pctx *c, struct bw_rd *rd)
{
	struct ikev2_ke *ke = &c->m->ke;

	if (bw_rd_u16(rd, &ke->group) != 0 || bw_rd_skip(rd, 2) != 0)
		return syntax(c, rd, "KE header truncated");
	if (bw_rd_left(rd) == 0)
		return syntax(c, rd, "KE without key exchange data");
	take_view(rd, &ke->data);
	return 0;
}

/* ID (3.5): ID Type | RESERVED(3) | data; the address types have fixed sizes. */
static int parse_id(struct pctx *c, struct bw_rd *rd, struct ikev2_idp *id)
{
	id->body.p = bw_rd_cur(rd);
	id->body.len = bw_rd_left(rd);
	if (bw_rd_u8(rd, &id->type) != 0 || bw_rd_skip(rd, 3) != 0)
		return syntax(c, rd, "ID header truncated");
	take_view(rd, &id->data);
	if (id->type == IKEV2_ID_IPV4_ADDR && id->data.len != 4)
		return syntax(c, rd, "ID_IPV4_ADDR not 4 bytes");
	if (id->type == IKEV2_ID_IPV6_ADDR && id->data.len != 16)
		return syntax(c, rd, "ID_IPV6_ADDR not 16 bytes");
	/* ID_NULL (RFC 7619 3) carries no data; every other type some. */
	if (id->type != IKEV2_ID_NULL && id->data.len == 0)
		return syntax(c, rd, "empty identification data");
	return 0;
}

/* CERT (3.6) and CERTREQ (3.7): Encoding | data. */
static int parse_cert(struct pctx *c, struct bw_rd *rd, bool req)
{
	struct ikev2_msg *m = c->m;
	struct ikev2_certp *cp;

	if (req ? m->ncertreq >= IKEV2_MAX_CERTREQ : m->ncert >= IKEV2_MAX_CERT)
		return limit(c, rd, req ? "too many CERTREQ payloads" : "too many CERT payloads");
	cp = req ? &m->certreq[m->ncertreq] : &m->cert[m->ncert];
	if (bw_rd_u8(rd, &cp->enc) != 0)
		return syntax(c, rd, "CERT encoding missing");
	take_view(rd, &cp->data);
	/* An empty CERTREQ asks for any CA (3.7); an empty CERT says nothing. */
	if (!req && cp->data.len == 0)
		return syntax(c, rd, "empty certificate data");
	if (req)
		m->ncertreq++;
	else
		m->ncert++;
	return 0;
}

int ikev2_auth_ds_split(struct ikev2_view data, struct ikev2_view *algid, struct ikev2_view *sig)
{
	struct bw_rd rd;
	uint8_t alen;
	const uint8_t *a;
	size_t dlen;

	bw_rd_init(&rd, data.p, data.len);
	if (bw_rd_u8(&rd, &alen) != 0 || bw_rd_ptr(&rd, &a, alen) != 0)
		return BW_ERR_SHORT;
	/*
	 * The AlgorithmIdentifier is a DER SEQUENCE (RFC 7427 3) whose own
	 * length, short or one-byte long form, must match the ASN.1 length.
	 */
	if (alen < 2 || a[0] != 0x30)
		return BW_ERR_INVAL;
	if (a[1] < 0x80)
		dlen = (size_t)a[1] + 2;
	else if (a[1] == 0x81 && alen >= 3)
		dlen = (size_t)a[2] + 3;
	else
		return BW_ERR_INVAL;
	if (dlen != alen || bw_rd_left(&rd) == 0)
		return BW_ERR_INVAL;
	algid->p = a;
	algid->len = alen;
	take_view(&rd, sig);
	return 0;
}

/* AUTH (3.8): Auth Method | RESERVED(3) | data. */
static int parse_auth(struct pctx *c, struct bw_rd *rd)
{
	struct ikev2_authp *a = &c->m->auth;

	if (bw_rd_u8(rd, &a->method) != 0 || bw_rd_skip(rd, 3) != 0)
		return syntax(c, rd, "AUTH header truncated");
	if (bw_rd_left(rd) == 0)
		return syntax(c, rd, "AUTH without authentication data");
	take_view(rd, &a->data);
	if (a->method == IKEV2_AUTH_DIGITAL_SIG &&
	    ikev2_auth_ds_split(a->data, &a->algid, &a->sig) != 0)
		return syntax(c, rd, "RFC 7427 AlgorithmIdentifier malformed");
	return 0;
}

/* Nonce (3.9): 16 to 256 bytes. */
static int parse_nonce(struct pctx *c, struct bw_rd *rd)
{
	if (bw_rd_left(rd) < IKEV2_NONCE_MIN || bw_rd_left(rd) > IKEV2_NONCE_MAX)
		return syntax(c, rd, "nonce length outside 16..256");
	take_view(rd, &c->m->nonce);
	return 0;
}

/* Notify (3.10): Protocol ID | SPI Size | Notify Type | SPI | data. */
static int parse_notify(struct pctx *c, struct bw_rd *rd)
{
	struct ikev2_msg *m = c->m;
	struct ikev2_notifyp *n;

	if (m->nnotify >= IKEV2_MAX_NOTIFY)
		return limit(c, rd, "too many Notify payloads");
	n = &m->notify[m->nnotify];
	memset(n, 0, sizeof(*n));
	if (bw_rd_u8(rd, &n->proto) != 0 || bw_rd_u8(rd, &n->spi_size) != 0 ||
	    bw_rd_u16(rd, &n->type) != 0)
		return syntax(c, rd, "Notify header truncated");
	if (n->spi_size > IKEV2_SPI_MAX)
		return syntax(c, rd, "Notify SPI size over 8");
	if (bw_rd_ptr(rd, &n->spi.p, n->spi_size) != 0)
		return syntax(c, rd, "Notify SPI truncated");
	n->spi.len = n->spi_size;
	take_view(rd, &n->data);
	n->inner = c->inner;
	m->nnotify++;
	return 0;
}

/* Delete (3.11): Protocol ID | SPI Size | Num of SPIs | SPIs. */
static int parse_delete(struct pctx *c, struct bw_rd *rd)
{
	struct ikev2_msg *m = c->m;
	struct ikev2_deletep *d;

	if (m->ndelete >= IKEV2_MAX_DELETE)
		return limit(c, rd, "too many Delete payloads");
	d = &m->del[m->ndelete];
	if (bw_rd_u8(rd, &d->proto) != 0 || bw_rd_u8(rd, &d->spi_size) != 0 ||
	    bw_rd_u16(rd, &d->nspi) != 0)
		return syntax(c, rd, "Delete header truncated");
	/* The IKE SA is named by the header: SPI size 0, no SPIs (3.11). */
	if (d->proto == IKEV2_PROTO_IKE && (d->spi_size != 0 || d->nspi != 0))
		return syntax(c, rd, "Delete of IKE SA with SPIs");
	if ((d->proto == IKEV2_PROTO_AH || d->proto == IKEV2_PROTO_ESP) && d->spi_size != 4)
		return syntax(c, rd, "Delete of CHILD_SA with SPI size not 4");
	if (d->proto != IKEV2_PROTO_IKE && d->proto != IKEV2_PROTO_AH &&
	    d->proto != IKEV2_PROTO_ESP)
		return syntax(c, rd, "Delete of unknown protocol");
	if (bw_rd_left(rd) != (size_t)d->nspi * d->spi_size)
		return syntax(c, rd, "Delete SPI count disagrees with length");
	take_view(rd, &d->spis);
	m->ndelete++;
	return 0;
}

static int parse_vendor(struct pctx *c, struct bw_rd *rd)
{
	struct ikev2_msg *m = c->m;

	if (m->nvendor >= IKEV2_MAX_VENDOR)
		return limit(c, rd, "too many Vendor ID payloads");
	take_view(rd, &m->vendor[m->nvendor++]);
	return 0;
}

/*
 * Traffic selector (3.13.1): TS Type | IP Protocol ID | Selector Length |
 * Start Port | End Port | Starting Address | Ending Address. The selector
 * length of the two known types is fixed; other types keep their bytes.
 */
static int parse_one_ts(struct pctx *c, struct bw_rd *rd, struct ikev2_ts *ts)
{
	struct bw_rd sub;
	uint16_t len;

	memset(ts, 0, sizeof(*ts));
	if (bw_rd_left(rd) < 4)
		return syntax(c, rd, "traffic selector header truncated");
	(void)bw_rd_u8(rd, &ts->type);
	(void)bw_rd_u8(rd, &ts->ip_proto);
	(void)bw_rd_u16(rd, &len);
	if (len < 4 || (size_t)len - 4 > bw_rd_left(rd))
		return syntax(c, rd, "traffic selector length out of range");
	(void)bw_rd_sub(rd, &sub, len - 4u);
	if (ts->type == IKEV2_TS_IPV4_ADDR_RANGE || ts->type == IKEV2_TS_IPV6_ADDR_RANGE) {
		ts->addr_len = ts->type == IKEV2_TS_IPV4_ADDR_RANGE ? 4 : 16;
		if (len != 8u + 2u * ts->addr_len)
			return syntax(c, rd, "traffic selector length wrong for its type");
		(void)bw_rd_u16(&sub, &ts->port_start);
		(void)bw_rd_u16(&sub, &ts->port_end);
		(void)bw_rd_copy(&sub, ts->start, ts->addr_len);
		(void)bw_rd_copy(&sub, ts->end, ts->addr_len);
	} else {
		take_view(&sub, &ts->raw);
	}
	return 0;
}

/* TSi/TSr (3.13): Number of TSs | RESERVED(3) | selectors. */
static int parse_ts(struct pctx *c, struct bw_rd *rd, struct ikev2_tsp *tsp)
{
	uint8_t n;

	tsp->n = 0;
	if (bw_rd_u8(rd, &n) != 0 || bw_rd_skip(rd, 3) != 0)
		return syntax(c, rd, "TS header truncated");
	if (n == 0)
		return syntax(c, rd, "TS payload with no selectors");
	if (n > IKEV2_MAX_TS)
		return limit(c, rd, "too many traffic selectors");
	for (unsigned i = 0; i < n; i++) {
		int r = parse_one_ts(c, rd, &tsp->ts[i]);

		if (r != 0)
			return r;
	}
	if (bw_rd_left(rd) != 0)
		return syntax(c, rd, "TS payload longer than its selectors");
	tsp->n = n;
	return 0;
}

/* Lengths RFC 7296 3.15.1 fixes; 0 is always allowed (a request). */
static bool cp_len_ok(uint16_t type, size_t len)
{
	if (len == 0)
		return true;
	switch (type) {
	case IKEV2_CP_INTERNAL_IP4_ADDRESS:
	case IKEV2_CP_INTERNAL_IP4_NETMASK:
	case IKEV2_CP_INTERNAL_IP4_DNS:
	case IKEV2_CP_INTERNAL_IP4_NBNS:
	case IKEV2_CP_INTERNAL_IP4_DHCP:
		return len == 4;
	case IKEV2_CP_INTERNAL_IP6_ADDRESS:
	case IKEV2_CP_INTERNAL_IP6_SUBNET:
		return len == 17;
	case IKEV2_CP_INTERNAL_IP6_DNS:
	case IKEV2_CP_INTERNAL_IP6_DHCP:
		return len == 16;
	case IKEV2_CP_INTERNAL_IP4_SUBNET:
		return len == 8;
	case IKEV2_CP_SUPPORTED_ATTRIBUTES:
		return len % 2 == 0;
	default:
		return true;
	}
}

/* CP (3.15): CFG Type | RESERVED(3) | attributes R|Type(15) Length Value. */
static int parse_cp(struct pctx *c, struct bw_rd *rd)
{
	struct ikev2_cpp *cp = &c->m->cp;

	cp->n = 0;
	if (bw_rd_u8(rd, &cp->type) != 0 || bw_rd_skip(rd, 3) != 0)
		return syntax(c, rd, "CP header truncated");
	while (bw_rd_left(rd) > 0) {
		struct ikev2_cp_attrp *a;
		uint16_t t, len;

		if (cp->n >= IKEV2_MAX_CP_ATTRS)
			return limit(c, rd, "too many CP attributes");
		if (bw_rd_left(rd) < 4)
			return syntax(c, rd, "CP attribute header truncated");
		(void)bw_rd_u16(rd, &t);
		(void)bw_rd_u16(rd, &len);
		a = &cp->attr[cp->n];
		a->type = t & 0x7fff; /* the R bit is ignored on receipt */
		a->val.len = len;
		if (bw_rd_ptr(rd, &a->val.p, len) != 0)
			return syntax(c, rd, "CP attribute length past payload");
		if (!cp_len_ok(a->type, len))
			return syntax(c, rd, "CP attribute length wrong for its type");
		cp->n++;
	}
	return 0;
}

/* EAP (3.16): the EAP message, whose own Length must fill the payload. */
static int parse_eap(struct pctx *c, struct bw_rd *rd)
{
	uint16_t elen;
	struct bw_rd peek = *rd;

	if (bw_rd_skip(&peek, 2) != 0 || bw_rd_u16(&peek, &elen) != 0)
		return syntax(c, rd, "EAP header truncated");
	if (elen != bw_rd_left(rd))
		return syntax(c, rd, "EAP length disagrees with payload");
	take_view(rd, &c->m->eap);
	return 0;
}

/*
 * SK (3.14) and SKF (RFC 7383 2.5). Their contents are not authenticated
 * yet, so a bad one is dropped, never answered (RFC 7296 2.21.2, RFC 7383
 * 2.6). hdr points at the generic header.
 */
static int parse_sk(struct pctx *c, uint8_t first, const uint8_t *hdr, struct bw_rd *rd)
{
	struct ikev2_skp *sk = &c->m->sk;

	memset(sk, 0, sizeof(*sk));
	sk->first = first;
	if (c->pl == IKEV2_PL_SKF) {
		if (bw_rd_u16(rd, &sk->frag_num) != 0 || bw_rd_u16(rd, &sk->frag_total) != 0)
			return fail(c, BW_ERR_SHORT, IKEV2_V_DROP, 0, hdr, "SKF header truncated");
		if (sk->frag_num == 0 || sk->frag_num > sk->frag_total)
			return fail(c, BW_ERR_INVAL, IKEV2_V_DROP, 0, hdr,
			            "SKF fragment number outside 1..total");
		if (sk->frag_num != 1 && first != IKEV2_PL_NONE)
			return fail(c, BW_ERR_INVAL, IKEV2_V_DROP, 0, hdr,
			            "SKF next payload set in a non-first fragment");
	}
	if (bw_rd_left(rd) == 0)
		return fail(c, BW_ERR_SHORT, IKEV2_V_DROP, 0, hdr, "empty encrypted payload");
	sk->aad.p = c->base;
	sk->aad.len = (size_t)(bw_rd_cur(rd) - c->base);
	take_view(rd, &sk->body);
	return 0;
}

#define KNOWN_CASE(n, v) case v:

static bool known_payload(uint8_t t)
{
	if (t == IKEV2_PL_NONE)
		return false;
	switch (t) {
		IKEV2_PAYLOAD_LIST(KNOWN_CASE)
		return true;
	default:
		return false;
	}
}

/* Payloads of which a message may carry only one, outside and inside SK together. */
static bool singleton(uint8_t t)
{
	switch (t) {
	case IKEV2_PL_NOTIFY:
	case IKEV2_PL_CERT:
	case IKEV2_PL_CERTREQ:
	case IKEV2_PL_DELETE:
	case IKEV2_PL_VENDOR:
		return false;
	default:
		return true;
	}
}

static int parse_body(struct pctx *c, struct bw_rd *rd)
{
	struct ikev2_msg *m = c->m;

	switch (c->pl) {
	case IKEV2_PL_SA:
		return parse_sa(c, rd);
	case IKEV2_PL_KE:
		return parse_ke(c, rd);
	case IKEV2_PL_IDI:
		return parse_id(c, rd, &m->id_i);
	case IKEV2_PL_IDR:
		return parse_id(c, rd, &m->id_r);
	case IKEV2_PL_CERT:
		return parse_cert(c, rd, false);
	case IKEV2_PL_CERTREQ:
		return parse_cert(c, rd, true);
	case IKEV2_PL_AUTH:
		return parse_auth(c, rd);
	case IKEV2_PL_NONCE:
		return parse_nonce(c, rd);
	case IKEV2_PL_NOTIFY:
		return parse_notify(c, rd);
	case IKEV2_PL_DELETE:
		return parse_delete(c, rd);
	case IKEV2_PL_VENDOR:
		return parse_vendor(c, rd);
	case IKEV2_PL_TSI:
		return parse_ts(c, rd, &m->ts_i);
	case IKEV2_PL_TSR:
		return parse_ts(c, rd, &m->ts_r);
	case IKEV2_PL_CP:
		return parse_cp(c, rd);
	case IKEV2_PL_EAP:
		return parse_eap(c, rd);
	default:
		/* known_payload() and the SK branch leave nothing else. */
		return syntax(c, rd, "payload type not handled");
	}
}

/*
 * The payload chain (3.2). Each payload's generic header must fit, its
 * length must cover the header and not pass what remains. SK/SKF ends the
 * chain and must be the last bytes of the message (3.14).
 */
static int parse_chain(struct pctx *c, uint8_t type, struct bw_rd *rd)
{
	struct ikev2_msg *m = c->m;
	uint32_t *present = c->inner ? &m->present_inner : &m->present;
	unsigned n = 0;

	while (type != IKEV2_PL_NONE) {
		const uint8_t *at = bw_rd_cur(rd);
		struct bw_rd body;
		uint8_t next, flags;
		uint16_t len;
		int r;

		c->pl = type;
		if (++n > IKEV2_MAX_PAYLOADS)
			return limit(c, rd, "too many payloads");
		if (bw_rd_left(rd) < IKEV2_GEN_LEN)
			return fail(c, BW_ERR_SHORT, IKEV2_V_NOTIFY, IKEV2_N_INVALID_SYNTAX, at,
			            "generic payload header truncated");
		(void)bw_rd_u8(rd, &next);
		(void)bw_rd_u8(rd, &flags);
		(void)bw_rd_u16(rd, &len);
		if (len < IKEV2_GEN_LEN || (size_t)len - IKEV2_GEN_LEN > bw_rd_left(rd))
			return fail(c, BW_ERR_INVAL, IKEV2_V_NOTIFY, IKEV2_N_INVALID_SYNTAX, at,
			            "payload length out of range");
		(void)bw_rd_sub(rd, &body, len - (size_t)IKEV2_GEN_LEN);

		if (!known_payload(type)) {
			/* 2.5: skip unknown payloads unless critical, then reject. */
			if (flags & IKEV2_CRITICAL)
				return fail(c, BW_ERR_UNSUPP, IKEV2_V_NOTIFY,
				            IKEV2_N_UNSUPPORTED_CRITICAL_PAYLOAD, at,
				            "unknown critical payload");
			m->nunknown++;
			type = next;
			continue;
		}
		if (singleton(type) && ikev2_has(m, type))
			return fail(c, BW_ERR_INVAL, IKEV2_V_NOTIFY, IKEV2_N_INVALID_SYNTAX, at,
			            "payload repeated");
		if (type == IKEV2_PL_SK || type == IKEV2_PL_SKF) {
			if (c->inner)
				return fail(c, BW_ERR_INVAL, IKEV2_V_NOTIFY, IKEV2_N_INVALID_SYNTAX,
				            at, "encrypted payload inside encrypted payload");
			if ((r = parse_sk(c, next, at, &body)) != 0)
				return r;
			if (bw_rd_left(rd) != 0)
				return fail(c, BW_ERR_INVAL, IKEV2_V_DROP, 0, at,
				            "encrypted payload not last");
			*present |= ikev2_pl_bit(type);
			return 0;
		}
		if ((r = parse_body(c, &body)) != 0)
			return r;
		*present |= ikev2_pl_bit(type);
		type = next;
	}
	c->pl = IKEV2_PL_NONE;
	if (bw_rd_left(rd) != 0)
		return syntax(c, rd, "bytes after the last payload");
	return 0;
}

int ikev2_msg_parse(const uint8_t *buf, size_t len, struct ikev2_msg *out)
{
	struct ikev2_hdr *h = &out->hdr;
	struct pctx c = {.m = out, .base = buf, .inner = false, .pl = IKEV2_PL_NONE};
	struct bw_rd rd;

	memset(out, 0, sizeof(*out));
	out->raw.p = buf;
	out->raw.len = len;
	bw_rd_init(&rd, buf, len);
	if (len < IKEV2_HDR_LEN)
		return fail(&c, BW_ERR_SHORT, IKEV2_V_DROP, 0, buf, "shorter than the IKE header");
	(void)bw_rd_u64(&rd, &h->spi_i);
	(void)bw_rd_u64(&rd, &h->spi_r);
	(void)bw_rd_u8(&rd, &h->next);
	(void)bw_rd_u8(&rd, &h->version);
	(void)bw_rd_u8(&rd, &h->exchange);
	(void)bw_rd_u8(&rd, &h->flags);
	(void)bw_rd_u32(&rd, &h->msg_id);
	(void)bw_rd_u32(&rd, &h->length);
	/* 2.5: a higher major version gets INVALID_MAJOR_VERSION; minor is ignored. */
	if (h->version >> 4 > 2) {
		out->err.version = h->version;
		return fail(&c, BW_ERR_UNSUPP, IKEV2_V_NOTIFY, IKEV2_N_INVALID_MAJOR_VERSION,
		            buf + 17, "major version above 2");
	}
	if (h->version >> 4 < 2)
		return fail(&c, BW_ERR_UNSUPP, IKEV2_V_DROP, 0, buf + 17, "major version below 2");
	if (h->length != len)
		return fail(&c, BW_ERR_INVAL, IKEV2_V_DROP, 0, buf + 24,
		            "header length disagrees with datagram");
	/* 3.1: the initiator's SPI is never zero. */
	if (h->spi_i == 0)
		return fail(&c, BW_ERR_INVAL, IKEV2_V_DROP, 0, buf, "zero initiator SPI");
	return parse_chain(&c, h->next, &rd);
}

int ikev2_payloads_parse(uint8_t first, const uint8_t *buf, size_t len, struct ikev2_msg *msg)
{
	struct pctx c = {.m = msg, .base = buf, .inner = true, .pl = IKEV2_PL_NONE};
	struct bw_rd rd;

	memset(&msg->err, 0, sizeof(msg->err));
	bw_rd_init(&rd, buf, len);
	return parse_chain(&c, first, &rd);
}

/* ---- builder ---- */

static int put(struct bw_wr *wr, const void *p, size_t n)
{
	return n == 0 ? 0 : bw_wr_bytes(wr, p, n);
}

static int begin(struct ikev2_bld *b, bool critical, size_t *start)
{
	int r;

	if (b->wr == NULL || b->closed)
		return BW_ERR_INVAL;
	*start = b->wr->len;
	if ((r = bw_wr_u8(b->wr, 0)) != 0 || (r = bw_wr_u8(b->wr, critical ? 0x80 : 0)) != 0 ||
	    (r = bw_wr_u16(b->wr, 0)) != 0)
		b->wr->len = *start;
	return r;
}

/*
 * Ends the payload begun at start: on error rolls the writer back; else
 * writes its length and names it in the previous payload (or the header).
 */
static int end(struct ikev2_bld *b, uint8_t type, size_t start, int r)
{
	struct bw_wr *wr = b->wr;
	size_t len = wr->len - start;

	if (r == 0 && len > UINT16_MAX)
		r = BW_ERR_INVAL;
	if (r != 0) {
		wr->len = start;
		return r;
	}
	bw_put_be16(wr->p + start + 2, (uint16_t)len);
	if (b->np_off == SIZE_MAX) {
		b->first = type;
		if (b->hdr_off != SIZE_MAX)
			wr->p[b->hdr_off + 16] = type;
	} else {
		wr->p[b->np_off] = type;
	}
	b->np_off = start;
	return 0;
}

int ikev2_build_hdr(struct ikev2_bld *b, struct bw_wr *wr, const struct ikev2_hdr *h)
{
	size_t start = wr->len;
	int r;

	memset(b, 0, sizeof(*b));
	b->hdr_off = SIZE_MAX;
	b->np_off = SIZE_MAX;
	if ((r = bw_wr_u64(wr, h->spi_i)) != 0 || (r = bw_wr_u64(wr, h->spi_r)) != 0 ||
	    (r = bw_wr_u8(wr, IKEV2_PL_NONE)) != 0 ||
	    (r = bw_wr_u8(wr, h->version ? h->version : IKEV2_VERSION)) != 0 ||
	    (r = bw_wr_u8(wr, h->exchange)) != 0 || (r = bw_wr_u8(wr, h->flags)) != 0 ||
	    (r = bw_wr_u32(wr, h->msg_id)) != 0 || (r = bw_wr_u32(wr, 0)) != 0) {
		wr->len = start;
		return r;
	}
	b->wr = wr;
	b->hdr_off = start;
	return 0;
}

void ikev2_build_chain(struct ikev2_bld *b, struct bw_wr *wr)
{
	memset(b, 0, sizeof(*b));
	b->wr = wr;
	b->hdr_off = SIZE_MAX;
	b->np_off = SIZE_MAX;
}

int ikev2_build_finish(struct ikev2_bld *b)
{
	size_t len;

	if (b->wr == NULL || b->hdr_off == SIZE_MAX)
		return BW_ERR_INVAL;
	len = b->wr->len - b->hdr_off;
	if (len > UINT32_MAX)
		return BW_ERR_INVAL;
	bw_put_be32(b->wr->p + b->hdr_off + 24, (uint32_t)len);
	return 0;
}

int ikev2_build_raw(struct ikev2_bld *b, uint8_t type, bool critical, const void *body, size_t len)
{
	size_t start;
	int r;

	if (type == IKEV2_PL_SK || type == IKEV2_PL_SKF || type == IKEV2_PL_NONE)
		return BW_ERR_INVAL;
	if ((r = begin(b, critical, &start)) != 0)
		return r;
	return end(b, type, start, put(b->wr, body, len));
}

/* A payload whose body is a fixed prefix of up to 4 bytes then data. */
static int simple(struct ikev2_bld *b, uint8_t type, const uint8_t *pre, size_t pre_len,
                  const void *data, size_t len)
{
	size_t start;
	int r;

	if ((r = begin(b, false, &start)) != 0)
		return r;
	if ((r = put(b->wr, pre, pre_len)) == 0)
		r = put(b->wr, data, len);
	return end(b, type, start, r);
}

static int put_xf(struct bw_wr *wr, const struct ikev2_xf *xf, bool last)
{
	int r;

	if ((r = bw_wr_u8(wr, last ? 0 : 3)) != 0 || (r = bw_wr_u8(wr, 0)) != 0 ||
	    (r = bw_wr_u16(wr, xf->has_key_len ? 12 : 8)) != 0 ||
	    (r = bw_wr_u8(wr, xf->type)) != 0 || (r = bw_wr_u8(wr, 0)) != 0 ||
	    (r = bw_wr_u16(wr, xf->id)) != 0)
		return r;
	if (xf->has_key_len && ((r = bw_wr_u16(wr, IKEV2_ATTR_TV | IKEV2_ATTR_KEY_LENGTH)) != 0 ||
	                        (r = bw_wr_u16(wr, xf->key_len)) != 0))
		return r;
	return 0;
}

static int put_prop(struct bw_wr *wr, const struct ikev2_sa *sa, const struct ikev2_prop *p,
                    bool last)
{
	size_t start = wr->len, len;
	int r;

	if (p->spi_size > IKEV2_SPI_MAX || p->nxf > IKEV2_MAX_XF_PER_PROP ||
	    (size_t)p->first_xf + p->nxf > sa->nxf)
		return BW_ERR_INVAL;
	if ((r = bw_wr_u8(wr, last ? 0 : 2)) != 0 || (r = bw_wr_u8(wr, 0)) != 0 ||
	    (r = bw_wr_u16(wr, 0)) != 0 || (r = bw_wr_u8(wr, p->num)) != 0 ||
	    (r = bw_wr_u8(wr, p->proto)) != 0 || (r = bw_wr_u8(wr, p->spi_size)) != 0 ||
	    (r = bw_wr_u8(wr, p->nxf)) != 0 || (r = put(wr, p->spi, p->spi_size)) != 0)
		return r;
	for (unsigned i = 0; i < p->nxf; i++)
		if ((r = put_xf(wr, &sa->xf[p->first_xf + i], i + 1u == p->nxf)) != 0)
			return r;
	len = wr->len - start;
	if (len > UINT16_MAX)
		return BW_ERR_INVAL;
	bw_put_be16(wr->p + start + 2, (uint16_t)len);
	return 0;
}

int ikev2_build_sa(struct ikev2_bld *b, const struct ikev2_sa *sa)
{
	size_t start;
	int r;

	if (sa->nprop == 0 || sa->nprop > IKEV2_MAX_PROPOSALS || sa->nxf > IKEV2_MAX_XF)
		return BW_ERR_INVAL;
	if ((r = begin(b, false, &start)) != 0)
		return r;
	for (unsigned i = 0; i < sa->nprop && r == 0; i++)
		r = put_prop(b->wr, sa, &sa->prop[i], i + 1u == sa->nprop);
	return end(b, IKEV2_PL_SA, start, r);
}

int ikev2_build_ke(struct ikev2_bld *b, uint16_t group, const void *data, size_t len)
{
	const uint8_t pre[4] = {(uint8_t)(group >> 8), (uint8_t)group, 0, 0};

	if (len == 0)
		return BW_ERR_INVAL;
	return simple(b, IKEV2_PL_KE, pre, sizeof(pre), data, len);
}

int ikev2_build_nonce(struct ikev2_bld *b, const void *nonce, size_t len)
{
	if (len < IKEV2_NONCE_MIN || len > IKEV2_NONCE_MAX)
		return BW_ERR_INVAL;
	return simple(b, IKEV2_PL_NONCE, NULL, 0, nonce, len);
}

int ikev2_build_id(struct ikev2_bld *b, uint8_t type, uint8_t id_type, const void *data, size_t len)
{
	const uint8_t pre[4] = {id_type, 0, 0, 0};

	if (type != IKEV2_PL_IDI && type != IKEV2_PL_IDR)
		return BW_ERR_INVAL;
	return simple(b, type, pre, sizeof(pre), data, len);
}

int ikev2_build_cert(struct ikev2_bld *b, uint8_t enc, const void *data, size_t len)
{
	return simple(b, IKEV2_PL_CERT, &enc, 1, data, len);
}

int ikev2_build_certreq(struct ikev2_bld *b, uint8_t enc, const void *data, size_t len)
{
	return simple(b, IKEV2_PL_CERTREQ, &enc, 1, data, len);
}

int ikev2_build_auth(struct ikev2_bld *b, uint8_t method, const void *data, size_t len)
{
	const uint8_t pre[4] = {method, 0, 0, 0};

	return simple(b, IKEV2_PL_AUTH, pre, sizeof(pre), data, len);
}

int ikev2_build_auth_ds(struct ikev2_bld *b, const void *algid, size_t algid_len, const void *sig,
                        size_t sig_len)
{
	const uint8_t pre[4] = {IKEV2_AUTH_DIGITAL_SIG, 0, 0, 0};
	uint8_t alen = (uint8_t)algid_len;
	size_t start;
	int r;

	if (algid_len > UINT8_MAX)
		return BW_ERR_INVAL;
	if ((r = begin(b, false, &start)) != 0)
		return r;
	if ((r = put(b->wr, pre, sizeof(pre))) == 0 && (r = put(b->wr, &alen, 1)) == 0 &&
	    (r = put(b->wr, algid, algid_len)) == 0)
		r = put(b->wr, sig, sig_len);
	return end(b, IKEV2_PL_AUTH, start, r);
}

int ikev2_build_notify(struct ikev2_bld *b, uint8_t proto, const void *spi, size_t spi_len,
                       uint16_t type, const void *data, size_t len)
{
	const uint8_t pre[4] = {proto, (uint8_t)spi_len, (uint8_t)(type >> 8), (uint8_t)type};
	size_t start;
	int r;

	if (spi_len > IKEV2_SPI_MAX)
		return BW_ERR_INVAL;
	if ((r = begin(b, false, &start)) != 0)
		return r;
	if ((r = put(b->wr, pre, sizeof(pre))) == 0 && (r = put(b->wr, spi, spi_len)) == 0)
		r = put(b->wr, data, len);
	return end(b, IKEV2_PL_NOTIFY, start, r);
}

int ikev2_build_delete(struct ikev2_bld *b, uint8_t proto, uint8_t spi_size, uint16_t nspi,
                       const void *spis)
{
	const uint8_t pre[4] = {proto, spi_size, (uint8_t)(nspi >> 8), (uint8_t)nspi};

	return simple(b, IKEV2_PL_DELETE, pre, sizeof(pre), spis, (size_t)nspi * spi_size);
}

int ikev2_build_vendor(struct ikev2_bld *b, const void *data, size_t len)
{
	return simple(b, IKEV2_PL_VENDOR, NULL, 0, data, len);
}

static int put_ts(struct bw_wr *wr, const struct ikev2_ts *ts)
{
	bool addr = ts->type == IKEV2_TS_IPV4_ADDR_RANGE || ts->type == IKEV2_TS_IPV6_ADDR_RANGE;
	size_t alen = ts->type == IKEV2_TS_IPV4_ADDR_RANGE ? 4 : 16;
	size_t len = addr ? 8 + 2 * alen : 4 + ts->raw.len;
	int r;

	if (len > UINT16_MAX)
		return BW_ERR_INVAL;
	if ((r = bw_wr_u8(wr, ts->type)) != 0 || (r = bw_wr_u8(wr, ts->ip_proto)) != 0 ||
	    (r = bw_wr_u16(wr, (uint16_t)len)) != 0)
		return r;
	if (!addr)
		return put(wr, ts->raw.p, ts->raw.len);
	if ((r = bw_wr_u16(wr, ts->port_start)) != 0 || (r = bw_wr_u16(wr, ts->port_end)) != 0 ||
	    (r = put(wr, ts->start, alen)) != 0)
		return r;
	return put(wr, ts->end, alen);
}

int ikev2_build_ts(struct ikev2_bld *b, uint8_t type, const struct ikev2_tsp *ts)
{
	const uint8_t pre[4] = {ts->n, 0, 0, 0};
	size_t start;
	int r;

	if ((type != IKEV2_PL_TSI && type != IKEV2_PL_TSR) || ts->n == 0 || ts->n > IKEV2_MAX_TS)
		return BW_ERR_INVAL;
	if ((r = begin(b, false, &start)) != 0)
		return r;
	r = put(b->wr, pre, sizeof(pre));
	for (unsigned i = 0; i < ts->n && r == 0; i++)
		r = put_ts(b->wr, &ts->ts[i]);
	return end(b, type, start, r);
}

int ikev2_build_cp(struct ikev2_bld *b, const struct ikev2_cpp *cp)
{
	const uint8_t pre[4] = {cp->type, 0, 0, 0};
	size_t start;
	int r;

	if (cp->n > IKEV2_MAX_CP_ATTRS)
		return BW_ERR_INVAL;
	if ((r = begin(b, false, &start)) != 0)
		return r;
	r = put(b->wr, pre, sizeof(pre));
	for (unsigned i = 0; i < cp->n && r == 0; i++) {
		const struct ikev2_cp_attrp *a = &cp->attr[i];

		if (a->val.len > UINT16_MAX) {
			r = BW_ERR_INVAL;
			break;
		}
		if ((r = bw_wr_u16(b->wr, a->type & 0x7fff)) == 0 &&
		    (r = bw_wr_u16(b->wr, (uint16_t)a->val.len)) == 0)
			r = put(b->wr, a->val.p, a->val.len);
	}
	return end(b, IKEV2_PL_CP, start, r);
}

int ikev2_build_eap(struct ikev2_bld *b, const void *data, size_t len)
{
	return simple(b, IKEV2_PL_EAP, NULL, 0, data, len);
}

/* SK and SKF: reserve IV | ciphertext | ICV, zeroed, as the last payload. */
static int build_enc(struct ikev2_bld *b, uint8_t type, uint8_t first_inner, const uint8_t *pre,
                     size_t pre_len, size_t iv_len, size_t ct_len, size_t icv_len,
                     struct ikev2_sk_out *out)
{
	struct bw_wr *wr = b->wr;
	size_t start, body;
	int r;

	memset(out, 0, sizeof(*out));
	if (b->hdr_off == SIZE_MAX || iv_len > UINT16_MAX || ct_len > UINT16_MAX ||
	    icv_len > UINT16_MAX)
		return BW_ERR_INVAL;
	if ((r = begin(b, false, &start)) != 0)
		return r;
	if ((r = put(wr, pre, pre_len)) == 0)
		r = bw_wr_zero(wr, iv_len + ct_len + icv_len);
	if ((r = end(b, type, start, r)) != 0)
		return r;
	wr->p[start] = first_inner;
	b->closed = true;
	body = start + IKEV2_GEN_LEN + pre_len;
	out->aad = wr->p + b->hdr_off;
	out->aad_len = body - b->hdr_off;
	out->iv = wr->p + body;
	out->ct = out->iv + iv_len;
	out->icv = out->ct + ct_len;
	return 0;
}

int ikev2_build_sk(struct ikev2_bld *b, uint8_t first_inner, size_t iv_len, size_t ct_len,
                   size_t icv_len, struct ikev2_sk_out *out)
{
	return build_enc(b, IKEV2_PL_SK, first_inner, NULL, 0, iv_len, ct_len, icv_len, out);
}

int ikev2_build_skf(struct ikev2_bld *b, uint8_t first_inner, uint16_t frag_num,
                    uint16_t frag_total, size_t iv_len, size_t ct_len, size_t icv_len,
                    struct ikev2_sk_out *out)
{
	const uint8_t pre[4] = {(uint8_t)(frag_num >> 8), (uint8_t)frag_num,
	                        (uint8_t)(frag_total >> 8), (uint8_t)frag_total};

	memset(out, 0, sizeof(*out));
	if (frag_num == 0 || frag_num > frag_total || (frag_num != 1 && first_inner != 0))
		return BW_ERR_INVAL;
	return build_enc(b, IKEV2_PL_SKF, first_inner, pre, sizeof(pre), iv_len, ct_len, icv_len,
	                 out);
}
