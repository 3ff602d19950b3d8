/* SPDX-License-Identifier: ISC */
/*
 * Kerberos 5 parser (RFC 4120 5) over UDP (one message per datagram) and
 * TCP (RFC 4120 7.2.2: each message behind a 4-byte record mark,
 * reassembled per direction up to KRB5_MAX_RECORD bytes). Messages are
 * ASN.1 DER read with the bounds-checked reader below; as in Suricata 7,
 * AS-REQ (10), AS-REP (11), TGS-REQ (12), TGS-REP (13) and KRB-ERROR (30)
 * each become one transaction with
 *   msg_type, cname and sname (krb5.cname / krb5.sname buffers, one
 *   instance per name component, of messages to the client only, where
 *   Suricata inspects them), realm, the error code (KRB-ERROR), and
 *   the ticket and reply encryption types (replies);
 * a reply encrypted with anything but AES or Camellia raises
 * krb5.weak_encryption, and a message that is not DER raises
 * krb5.malformed_data (on the last transaction) and stops the direction.
 *
 *   KDC-REQ      ::= SEQUENCE { pvno[1], msg-type[2], padata[3] OPT, req-body[4] }
 *   KDC-REQ-BODY ::= SEQUENCE { kdc-options[0], cname[1] OPT, realm[2], sname[3] OPT, ... }
 *   KDC-REP      ::= SEQUENCE { pvno[0], msg-type[1], padata[2] OPT, crealm[3],
 *                               cname[4], ticket[5], enc-part[6] }
 *   Ticket       ::= [APPLICATION 1] SEQUENCE { tkt-vno[0], realm[1], sname[2], enc-part[3] }
 *   KRB-ERROR    ::= SEQUENCE { ..., error-code[6], crealm[7] OPT, cname[8] OPT,
 *                               realm[9], sname[10], ... }
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "ips/app_int.h"
#include "lib/err.h"
#include "lib/rd.h"

enum {
	KRB5_MAX_RECORD = 100000, /* TCP record bytes buffered, as Suricata */
};

enum der_class {
	DER_UNIVERSAL = 0,
	DER_APPLICATION = 1,
	DER_CONTEXT = 2,
	DER_PRIVATE = 3,
};

struct der {
	uint8_t cls;
	bool constructed;
	uint32_t tag;
	struct bw_rd val; /* the content octets */
};

/*
 * One DER element header and its content: 0, BW_ERR_AGAIN when r ends
 * inside the header or content, BW_ERR_INVAL when it is not DER (indefinite
 * length, a length over 4 bytes, a tag number over 28 bits).
 */
static int der_read(struct bw_rd *r, struct der *d)
{
	uint8_t b, lb;
	uint32_t len = 0;

	if (bw_rd_u8(r, &b) != 0)
		return BW_ERR_AGAIN;
	d->cls = b >> 6;
	d->constructed = (b & 0x20) != 0;
	d->tag = b & 0x1f;
	if (d->tag == 0x1f) {
		d->tag = 0;
		for (int i = 0;; i++) {
			if (i == 4)
				return BW_ERR_INVAL;
			if (bw_rd_u8(r, &b) != 0)
				return BW_ERR_AGAIN;
			d->tag = (d->tag << 7) | (b & 0x7f);
			if (!(b & 0x80))
				break;
		}
	}
	if (bw_rd_u8(r, &lb) != 0)
		return BW_ERR_AGAIN;
	if (lb < 0x80) {
		len = lb;
	} else {
		unsigned n = lb & 0x7f;

		if (n == 0 || n > 4)
			return BW_ERR_INVAL;
		for (unsigned i = 0; i < n; i++) {
			if (bw_rd_u8(r, &b) != 0)
				return BW_ERR_AGAIN;
			len = (len << 8) | b;
		}
	}
	if (bw_rd_sub(r, &d->val, len) != 0)
		return BW_ERR_AGAIN;
	return 0;
}

/* The next element, which must have class cls, tag tag (and be constructed if cons). */
static bool der_expect(struct bw_rd *r, uint8_t cls, uint32_t tag, struct der *d)
{
	return der_read(r, d) == 0 && d->cls == cls && d->tag == tag;
}

/* An INTEGER of at most 4 bytes, as a signed value. */
static bool der_int(struct bw_rd *r, int64_t *out)
{
	struct der d;
	size_t n;
	const uint8_t *p;
	int64_t v;

	if (!der_expect(r, DER_UNIVERSAL, 2, &d))
		return false;
	n = bw_rd_left(&d.val);
	if (n == 0 || n > 5 || bw_rd_ptr(&d.val, &p, n) != 0)
		return false;
	v = (p[0] & 0x80) ? -1 : 0;
	for (size_t i = 0; i < n; i++)
		v = (int64_t)((uint64_t)v << 8) | p[i];
	*out = v;
	return true;
}

/* The content of an explicit context tag [n] holding an INTEGER. */
static bool ctx_int(struct der *d, int64_t *out)
{
	struct bw_rd r = d->val;

	return der_int(&r, out);
}

struct krb5_name {
	const uint8_t *comp[8];
	size_t len[8];
	size_t n;
	bool present;
};

/* PrincipalName ::= SEQUENCE { name-type [0] Int32, name-string [1] SEQUENCE OF KerberosString } */
static bool der_principal(struct der *tagged, struct krb5_name *out)
{
	struct bw_rd r = tagged->val;
	struct der seq, e;

	memset(out, 0, sizeof(*out));
	if (!der_expect(&r, DER_UNIVERSAL, 16, &seq))
		return false;
	while (bw_rd_left(&seq.val) > 0) {
		if (der_read(&seq.val, &e) != 0)
			return false;
		if (e.cls != DER_CONTEXT || e.tag != 1)
			continue;
		struct der list, s;
		if (!der_expect(&e.val, DER_UNIVERSAL, 16, &list))
			return false;
		while (bw_rd_left(&list.val) > 0) {
			if (der_read(&list.val, &s) != 0 || s.cls != DER_UNIVERSAL)
				return false;
			if (out->n < sizeof(out->comp) / sizeof(out->comp[0])) {
				out->len[out->n] = bw_rd_left(&s.val);
				(void)bw_rd_ptr(&s.val, &out->comp[out->n], out->len[out->n]);
				out->n++;
			}
		}
	}
	out->present = true;
	return true;
}

/* EncryptedData ::= SEQUENCE { etype [0] Int32, kvno [1] OPT, cipher [2] } */
static bool der_etype(struct der *tagged, int64_t *etype)
{
	struct bw_rd r = tagged->val;
	struct der seq, e;

	if (!der_expect(&r, DER_UNIVERSAL, 16, &seq))
		return false;
	if (der_read(&seq.val, &e) != 0 || e.cls != DER_CONTEXT || e.tag != 0)
		return false;
	return ctx_int(&e, etype);
}

/* What one message gives. */
struct krb5_msg {
	uint32_t msg_type;
	struct krb5_name cname, sname;
	const uint8_t *realm;
	size_t realm_len;
	bool has_error, has_ticket_etype, has_etype;
	int64_t error_code, ticket_etype, etype;
};

static void realm_of(struct der *tagged, struct krb5_msg *m)
{
	struct bw_rd r = tagged->val;
	struct der s;

	if (der_read(&r, &s) == 0 && s.cls == DER_UNIVERSAL) {
		m->realm_len = bw_rd_left(&s.val);
		(void)bw_rd_ptr(&s.val, &m->realm, m->realm_len);
	}
}

static bool parse_req(struct bw_rd *body, struct krb5_msg *m)
{
	struct der seq, e;
	bool have_body = false;

	if (!der_expect(body, DER_UNIVERSAL, 16, &seq))
		return false;
	while (bw_rd_left(&seq.val) > 0) {
		if (der_read(&seq.val, &e) != 0)
			return false;
		if (e.cls != DER_CONTEXT || e.tag != 4)
			continue;
		struct der rb, f;
		if (!der_expect(&e.val, DER_UNIVERSAL, 16, &rb))
			return false;
		while (bw_rd_left(&rb.val) > 0) {
			if (der_read(&rb.val, &f) != 0)
				return false;
			if (f.cls != DER_CONTEXT)
				continue;
			if (f.tag == 1 && !der_principal(&f, &m->cname))
				return false;
			if (f.tag == 2)
				realm_of(&f, m);
			if (f.tag == 3 && !der_principal(&f, &m->sname))
				return false;
		}
		have_body = true;
	}
	return have_body;
}

static bool parse_ticket(struct der *tagged, struct krb5_msg *m)
{
	struct bw_rd r = tagged->val;
	struct der app, seq, e;

	if (!der_expect(&r, DER_APPLICATION, 1, &app) ||
	    !der_expect(&app.val, DER_UNIVERSAL, 16, &seq))
		return false;
	while (bw_rd_left(&seq.val) > 0) {
		if (der_read(&seq.val, &e) != 0)
			return false;
		if (e.cls != DER_CONTEXT)
			continue;
		if (e.tag == 2 && !der_principal(&e, &m->sname))
			return false;
		if (e.tag == 3) {
			if (!der_etype(&e, &m->ticket_etype))
				return false;
			m->has_ticket_etype = true;
		}
	}
	return m->sname.present && m->has_ticket_etype;
}

static bool parse_rep(struct bw_rd *body, struct krb5_msg *m)
{
	struct der seq, e;

	if (!der_expect(body, DER_UNIVERSAL, 16, &seq))
		return false;
	while (bw_rd_left(&seq.val) > 0) {
		if (der_read(&seq.val, &e) != 0)
			return false;
		if (e.cls != DER_CONTEXT)
			continue;
		switch (e.tag) {
		case 3:
			realm_of(&e, m);
			break;
		case 4:
			if (!der_principal(&e, &m->cname))
				return false;
			break;
		case 5:
			if (!parse_ticket(&e, m))
				return false;
			break;
		case 6:
			if (!der_etype(&e, &m->etype))
				return false;
			m->has_etype = true;
			break;
		default:
			break;
		}
	}
	return m->cname.present && m->has_ticket_etype && m->has_etype;
}

static bool parse_error(struct bw_rd *body, struct krb5_msg *m)
{
	struct der seq, e;

	if (!der_expect(body, DER_UNIVERSAL, 16, &seq))
		return false;
	while (bw_rd_left(&seq.val) > 0) {
		if (der_read(&seq.val, &e) != 0)
			return false;
		if (e.cls != DER_CONTEXT)
			continue;
		switch (e.tag) {
		case 6:
			if (!ctx_int(&e, &m->error_code))
				return false;
			m->has_error = true;
			break;
		case 7:
			realm_of(&e, m);
			break;
		case 8:
			if (!der_principal(&e, &m->cname))
				return false;
			break;
		case 10:
			if (!der_principal(&e, &m->sname))
				return false;
			break;
		default:
			break;
		}
	}
	return m->has_error && m->sname.present;
}

/* Suricata's test_weak_encryption: anything but AES and Camellia. */
static bool weak_etype(int64_t e)
{
	return !(e == 17 || e == 18 || e == 19 || e == 20 || e == 25 || e == 26);
}

struct krb5_tx {
	uint32_t msg_type;
	bool has_error, has_ticket_etype;
	int64_t error_code, ticket_etype;
};

struct krb5_state {
	struct app_rbuf buf[2]; /* TCP: the record being reassembled, its mark first */
};

static void add_name(struct app_flow *f, struct app_tx *tx, enum app_dir dir, enum ips_buf b,
                     const struct krb5_name *n)
{
	for (size_t i = 0; i < n->n; i++)
		if (app_tx_buf_add(f, tx, dir, b, n->comp[i], n->len[i]) != 0)
			return;
}

static struct app_tx *last_tx(struct app_flow *f)
{
	return f->tail != NULL && f->tail->proto == APP_PROTO_KRB5 ? f->tail : NULL;
}

/* One message: false when it is not DER at all. */
static bool parse_msg(struct app_flow *f, enum app_dir dir, const uint8_t *p, size_t n)
{
	struct bw_rd r;
	struct der app;
	struct krb5_msg m;
	bool ok;

	bw_rd_init(&r, p, n);
	if (der_read(&r, &app) != 0)
		return false;
	if (app.cls != DER_APPLICATION)
		return true;
	memset(&m, 0, sizeof(m));
	m.msg_type = app.tag;
	switch (app.tag) {
	case 10:
	case 12:
		ok = parse_req(&app.val, &m);
		break;
	case 11:
	case 13:
		ok = parse_rep(&app.val, &m);
		break;
	case 30:
		ok = parse_error(&app.val, &m);
		break;
	default:
		return true;
	}
	if (!ok)
		return true; /* not understood: no transaction, as Suricata */

	struct app_tx *tx = app_tx_new(f, APP_PROTO_KRB5);
	struct krb5_tx *x;
	if (tx == NULL)
		return true;
	tx->flags |=
	        APP_TX_COMPLETE | (dir == APP_DIR_TO_SERVER ? APP_TX_REQ_DONE : APP_TX_RES_DONE);
	if (!app_mem_take(f, sizeof(*x)) || (x = calloc(1, sizeof(*x))) == NULL)
		return true;
	tx->mem += sizeof(*x);
	tx->priv = x;
	x->msg_type = m.msg_type;
	x->has_error = m.has_error;
	x->error_code = m.error_code;
	x->has_ticket_etype = m.has_ticket_etype;
	x->ticket_etype = m.ticket_etype;
	/* Suricata inspects krb5.cname and krb5.sname to the client only. */
	if (dir == APP_DIR_TO_CLIENT) {
		add_name(f, tx, dir, IPS_BUF_KRB5_CNAME, &m.cname);
		add_name(f, tx, dir, IPS_BUF_KRB5_SNAME, &m.sname);
	}
	if (m.has_etype && weak_etype(m.etype))
		app_tx_event(tx, "krb5.weak_encryption");
	app_tx_mark(tx, dir);
	return true;
}

static void malformed(struct app_flow *f, enum app_dir dir)
{
	struct app_tx *tx = last_tx(f);

	if (tx != NULL) {
		app_tx_event(tx, "krb5.malformed_data");
		app_tx_mark(tx, dir);
	}
	app_flow_stop(f); /* as Suricata after a parse error */
}

static int krb5_feed(struct app_flow *f, enum app_dir dir, const uint8_t *p, size_t len)
{
	struct krb5_state *st = f->state;
	struct app_rbuf *b = &st->buf[dir];

	if (f->l4 == APP_L4_UDP) {
		if (!parse_msg(f, dir, p, len))
			malformed(f, dir);
		return 0;
	}
	if (app_rbuf_append(f, b, p, len, KRB5_MAX_RECORD + 4) != 0) {
		f->dead[dir] = true;
		app_rbuf_free(f, b);
		return 0;
	}
	for (;;) {
		uint32_t rec;

		if (b->len < 4)
			break;
		/* A set top bit (RFC 4120 7.2.2 extensions) also ends up here. */
		rec = bw_be32(b->p);
		if (rec > KRB5_MAX_RECORD) {
			f->dead[dir] = true;
			app_rbuf_free(f, b);
			break;
		}
		if (b->len - 4 < rec)
			break;
		if (!parse_msg(f, dir, b->p + 4, rec)) {
			malformed(f, dir);
			app_rbuf_free(f, b);
			break;
		}
		app_rbuf_consume(b, 4 + (size_t)rec);
	}
	return 0;
}

static int krb5_init(struct app_flow *f)
{
	return app_state_new(f, sizeof(struct krb5_state));
}

static void krb5_fini(struct app_flow *f)
{
	app_rbuf_state_free(f, sizeof(struct krb5_state), offsetof(struct krb5_state, buf));
}

const struct app_parser app_parser_krb5 = {
        .proto = APP_PROTO_KRB5,
        .no_gaps = true,
        .init = krb5_init,
        .feed = krb5_feed,
        .eof = NULL,
        .fini = krb5_fini,
};

/*
 * Suricata's probe: an APPLICATION tag up to 30 holding a SEQUENCE whose
 * first element is an explicit tag around INTEGER 5 (pvno); over TCP
 * behind a record mark of at most 16384.
 */
int app_krb5_probe(const uint8_t *p, size_t len, enum app_l4 l4)
{
	struct bw_rd r;
	uint8_t b, lb;

	if (l4 == APP_L4_TCP) {
		if (len <= 14)
			return BW_ERR_AGAIN;
		if (bw_be32(p) > 16384)
			return BW_ERR_NOTFOUND;
		p += 4;
		len -= 4;
	} else if (len <= 10) {
		return BW_ERR_NOTFOUND;
	}
	bw_rd_init(&r, p, len);
	if (bw_rd_u8(&r, &b) != 0 || (b >> 6) != DER_APPLICATION || (b & 0x1f) > 30)
		return BW_ERR_NOTFOUND;
	if (bw_rd_u8(&r, &lb) != 0)
		return BW_ERR_AGAIN;
	if (lb >= 0x80 && ((lb & 0x7f) == 0 || (lb & 0x7f) > 4 || bw_rd_skip(&r, lb & 0x7f) != 0))
		return BW_ERR_NOTFOUND;
	/* The SEQUENCE header, then [n] len 2 1 5. */
	if (bw_rd_u8(&r, &b) != 0 || b != 0x30 || bw_rd_u8(&r, &lb) != 0)
		return BW_ERR_NOTFOUND;
	if (lb >= 0x80 && ((lb & 0x7f) == 0 || (lb & 0x7f) > 4 || bw_rd_skip(&r, lb & 0x7f) != 0))
		return BW_ERR_NOTFOUND;
	const uint8_t *q;
	if (bw_rd_left(&r) <= 5 || bw_rd_ptr(&r, &q, 5) != 0)
		return BW_ERR_NOTFOUND;
	return q[2] == 2 && q[3] == 1 && q[4] == 5 ? 0 : BW_ERR_NOTFOUND;
}

bool app_krb5_match(const struct app_tx *tx, enum app_dir dir, const struct ips_app_match *m)
{
	const struct krb5_tx *x = tx->priv;

	if (x == NULL)
		return false;
	switch (m->what) {
	case APP_M_KRB5_MSG_TYPE:
		return ips_num_match(&m->num, x->msg_type);
	case APP_M_KRB5_ERR_CODE:
		return x->has_error && x->error_code >= 0 &&
		       ips_num_match(&m->num, (uint64_t)x->error_code);
	case APP_M_KRB5_TICKET_ENC: /* inspected to the client only, as Suricata */
		if (!x->has_ticket_etype || dir != APP_DIR_TO_CLIENT)
			return false;
		if (m->narg == 1 && m->arg[0] == 1)
			return weak_etype(x->ticket_etype) != m->negated;
		for (size_t i = 1; i < m->narg; i++)
			if ((int64_t)m->arg[i] == x->ticket_etype)
				return true;
		return false;
	default:
		return false;
	}
}
