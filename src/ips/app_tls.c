/* SPDX-License-Identifier: ISC */
/*
 * TLS handshake parser (RFC 5246 6.2 and 7.4, RFC 8446 4 and 5.1) for
 * inspection and logging: records are reassembled per direction across
 * segments (a 5-byte header, then the fragment), handshake messages across
 * records up to app_cfg.tls_msg_limit. It reads the ClientHello (version,
 * SNI of RFC 6066 3, cipher suites, extensions, supported groups and point
 * formats of RFC 8422 5.1) into the JA3 fingerprint, the ServerHello (with
 * the RFC 8446 4.2.1 supported_versions answer) into the negotiated version
 * and JA3S, and the TLS <= 1.2 Certificate message into tls.certs and the
 * leaf's subject, issuer and serial. Once a direction is encrypted
 * (ChangeCipherSpec, or after a TLS 1.3 ServerHello) it stops looking.
 *
 *   record:    | type (1) | legacy_version (2) | length (2) | fragment ... |
 *   handshake: | msg_type (1) | length (3) | body ... |
 *
 * JA3 (Salesforce): "SSLVersion,Ciphers,Extensions,EllipticCurves,
 * EllipticCurvePointFormats", decimal values joined by '-', GREASE values
 * (RFC 8701) left out, MD5 in lowercase hex; JA3S: "SSLVersion,Cipher,
 * Extensions" of the ServerHello.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/crypto_md5.h"
#include "crypto/crypto_x509_info.h"
#include "ips/app_int.h"
#include "lib/err.h"
#include "lib/rd.h"

enum tls_const {
	TLS_REC_HDR = 5,
	TLS_HS_HDR = 4,
	TLS_REC_MAX = 16384 + 2048, /* TLSCiphertext.length limit, RFC 5246 6.2.3 */
	TLS_CT_CCS = 20,
	TLS_CT_ALERT = 21,
	TLS_CT_HANDSHAKE = 22,
	TLS_CT_APPDATA = 23,
	TLS_HS_CLIENT_HELLO = 1,
	TLS_HS_SERVER_HELLO = 2,
	TLS_HS_CERTIFICATE = 11,
	TLS_EXT_SNI = 0,
	TLS_EXT_GROUPS = 10,
	TLS_EXT_POINT_FORMATS = 11,
	TLS_EXT_SUPPORTED_VERSIONS = 43,
	TLS_MAX_CERTS = 16,
	JA3_MAX = 4096, /* a JA3 string longer than this is cut */
};

struct tls_dir {
	uint8_t hdr[TLS_REC_HDR];
	size_t nhdr;
	size_t body_left; /* fragment bytes of the current record still to come */
	uint8_t type;     /* current record's content type */
	uint8_t *hs;      /* handshake reassembly */
	size_t nhs, cap;
	size_t hs_skip; /* bytes of an oversized message to drop */
	bool encrypted;
};

struct tls_state {
	struct tls_dir d[2];
	struct app_tx *tx;
	uint16_t version;
	uint16_t dver[2]; /* per direction, as Suricata's connp->version (tls.version) */
	bool hello[2];    /* the direction's hello was seen: records no longer set dver */
};

/*
 * The version a side last announced, as Suricata tracks it for tls.version:
 * each record header's, then a hello's own field, then supported_versions.
 */
static void set_dver(struct tls_state *s, enum app_dir dir, uint16_t v)
{
	s->dver[dir] = v;
	if (s->tx != NULL)
		s->tx->u.tls.dir_version[dir] = v;
}

/* Suricata's TLSVersionValid(): SSLv3 to TLS 1.3 and the TLS 1.3 drafts. */
static bool version_valid(uint16_t v)
{
	return (v >= 0x0300 && v <= 0x0304) || (v >> 8) == 0x7f || v == 0xfb1a;
}

/* RFC 8701: 0x?a?a with both bytes equal. */
static bool grease(uint16_t v)
{
	return (v & 0x0f0f) == 0x0a0a && (v >> 8) == (v & 0xff);
}

static const char *version_name(uint16_t v)
{
	switch (v) {
	case 0x0200:
		return "SSLv2";
	case 0x0300:
		return "SSLv3";
	case 0x0301:
		return "TLSv1";
	case 0x0302:
		return "TLS 1.1";
	case 0x0303:
		return "TLS 1.2";
	case 0x0304:
		return "TLS 1.3";
	default:
		return "UNDETERMINED";
	}
}

/* Appends "%u" (with '-' when not first) to the JA3 text. */
static void ja3_num(char *s, size_t *n, unsigned v, bool *first)
{
	int w;

	if (*n >= JA3_MAX)
		return;
	w = snprintf(s + *n, JA3_MAX + 1 - *n, "%s%u", *first ? "" : "-", v);
	if (w > 0)
		*n = *n + (size_t)w > JA3_MAX ? JA3_MAX : *n + (size_t)w;
	*first = false;
}

static void ja3_sep(char *s, size_t *n)
{
	if (*n < JA3_MAX)
		s[(*n)++] = ',';
	s[*n] = '\0';
}

/* u16 list (cipher suites, groups) into the JA3 text. */
static void ja3_u16_list(char *s, size_t *n, struct bw_rd *rd)
{
	bool first = true;
	uint16_t v;

	while (bw_rd_u16(rd, &v) == 0)
		if (!grease(v))
			ja3_num(s, n, v, &first);
}

static struct app_tx *tls_tx(struct app_flow *f, struct tls_state *s)
{
	if (s->tx == NULL && (s->tx = app_tx_new(f, APP_PROTO_TLS)) != NULL) {
		s->tx->u.tls.version = "UNDETERMINED";
		s->tx->u.tls.dir_version[0] = s->dver[0];
		s->tx->u.tls.dir_version[1] = s->dver[1];
	}
	return s->tx;
}

static int set_hash(struct app_flow *f, struct app_tx *tx, enum app_dir dir, const char *str,
                    size_t n, enum ips_buf hb, enum ips_buf sb, const char **hash_out,
                    const char **str_out)
{
	uint8_t md[CRYPTO_MD5_LEN];
	char hex[2 * CRYPTO_MD5_LEN + 1];
	int r;

	if ((r = crypto_md5(str, n, md)) != 0)
		return r;
	app_hex(md, sizeof(md), hex);
	if ((r = app_tx_buf_add(f, tx, dir, hb, hex, 2 * CRYPTO_MD5_LEN)) != 0)
		return r;
	*hash_out = app_tx_buf_str(tx, dir, hb);
	if (sb != IPS_BUF__COUNT) {
		if ((r = app_tx_buf_add(f, tx, dir, sb, str, n)) != 0)
			return r;
		*str_out = app_tx_buf_str(tx, dir, sb);
	} else {
		*str_out = app_tx_strdup(f, tx, str, n);
	}
	return 0;
}

/*
 * Extensions of a ClientHello: JA3 types, SNI, groups and point formats.
 * Each extension is a TLV checked against what remains (RFC 8446 4.2).
 */
static int client_exts(struct bw_rd *ext, char *types, size_t *nt, char *groups, size_t *ng,
                       char *pf, size_t *np, const uint8_t **sni, size_t *sni_len, uint16_t *sv)
{
	bool tfirst = true;
	uint16_t type, len;
	struct bw_rd body, list;

	while (bw_rd_left(ext) > 0) {
		if (bw_rd_u16(ext, &type) != 0 || bw_rd_u16(ext, &len) != 0 ||
		    bw_rd_sub(ext, &body, len) != 0)
			return BW_ERR_SHORT;
		if (!grease(type))
			ja3_num(types, nt, type, &tfirst);
		if (type == TLS_EXT_SNI && *sni == NULL) {
			uint16_t llen, nlen;
			uint8_t nt_;

			/* server_name_list: the first host_name entry is the SNI. */
			if (bw_rd_u16(&body, &llen) != 0 || bw_rd_sub(&body, &list, llen) != 0)
				return BW_ERR_SHORT;
			while (bw_rd_u8(&list, &nt_) == 0) {
				if (bw_rd_u16(&list, &nlen) != 0 ||
				    bw_rd_ptr(&list, sni, nlen) != 0)
					return BW_ERR_SHORT;
				if (nt_ == 0) {
					*sni_len = nlen;
					break;
				}
				*sni = NULL;
			}
		} else if (type == TLS_EXT_SUPPORTED_VERSIONS && *sv == 0) {
			uint8_t llen;
			uint16_t v;

			/* The first (preferred) valid version, past GREASE (Suricata). */
			if (bw_rd_u8(&body, &llen) != 0 || bw_rd_sub(&body, &list, llen) != 0)
				return BW_ERR_SHORT;
			while (*sv == 0 && bw_rd_u16(&list, &v) == 0)
				if (version_valid(v))
					*sv = v;
		} else if (type == TLS_EXT_GROUPS) {
			uint16_t llen;

			if (bw_rd_u16(&body, &llen) != 0 || bw_rd_sub(&body, &list, llen) != 0)
				return BW_ERR_SHORT;
			ja3_u16_list(groups, ng, &list);
		} else if (type == TLS_EXT_POINT_FORMATS) {
			uint8_t llen, v;
			bool first = true;

			if (bw_rd_u8(&body, &llen) != 0 || bw_rd_sub(&body, &list, llen) != 0)
				return BW_ERR_SHORT;
			while (bw_rd_u8(&list, &v) == 0)
				ja3_num(pf, np, v, &first);
		}
	}
	return 0;
}

static void client_hello(struct app_flow *f, struct tls_state *s, struct bw_rd *rd)
{
	char ja3[JA3_MAX + 1], ciphers[JA3_MAX + 1], types[JA3_MAX + 1], groups[JA3_MAX + 1],
	        pf[JA3_MAX + 1];
	size_t n = 0, nc = 0, nt = 0, ng = 0, np = 0;
	const uint8_t *sni = NULL;
	size_t sni_len = 0;
	uint16_t ver, clen, elen, sv = 0;
	uint8_t sidlen, cmlen;
	struct bw_rd cs, ext;
	struct app_tx *tx;
	bool first = true;

	ciphers[0] = types[0] = groups[0] = pf[0] = '\0';
	/* Validate the whole hello into locals before touching the transaction. */
	if (bw_rd_u16(rd, &ver) != 0 || bw_rd_skip(rd, 32) != 0 || bw_rd_u8(rd, &sidlen) != 0 ||
	    sidlen > 32 || bw_rd_skip(rd, sidlen) != 0 || bw_rd_u16(rd, &clen) != 0 ||
	    (clen & 1) != 0 || bw_rd_sub(rd, &cs, clen) != 0 || bw_rd_u8(rd, &cmlen) != 0 ||
	    bw_rd_skip(rd, cmlen) != 0)
		goto bad;
	ja3_u16_list(ciphers, &nc, &cs);
	/* Extensions are optional (RFC 5246 7.4.1.2); trailing bytes are not. */
	if (bw_rd_left(rd) > 0) {
		if (bw_rd_u16(rd, &elen) != 0 || bw_rd_sub(rd, &ext, elen) != 0 ||
		    bw_rd_left(rd) != 0)
			goto bad;
		if (client_exts(&ext, types, &nt, groups, &ng, pf, &np, &sni, &sni_len, &sv) != 0)
			goto bad;
	}
	ja3_num(ja3, &n, ver, &first);
	ja3_sep(ja3, &n);
	snprintf(ja3 + n, sizeof(ja3) - n, "%s,%s,%s,%s", ciphers, types, groups, pf);
	n = strlen(ja3);
	if ((tx = tls_tx(f, s)) == NULL)
		return;
	s->hello[APP_DIR_TO_SERVER] = true;
	set_dver(s, APP_DIR_TO_SERVER, sv != 0 ? sv : ver);
	if (s->version == 0) {
		s->version = ver;
		tx->u.tls.version = version_name(ver);
	}
	if (sni != NULL && tx->u.tls.sni == NULL &&
	    app_tx_buf_add(f, tx, APP_DIR_TO_SERVER, IPS_BUF_TLS_SNI, sni, sni_len) == 0)
		tx->u.tls.sni = app_tx_buf_str(tx, APP_DIR_TO_SERVER, IPS_BUF_TLS_SNI);
	if (tx->u.tls.ja3_hash == NULL)
		(void)set_hash(f, tx, APP_DIR_TO_SERVER, ja3, n, IPS_BUF_JA3_HASH,
		               IPS_BUF_JA3_STRING, &tx->u.tls.ja3_hash, &tx->u.tls.ja3_string);
	tx->flags |= APP_TX_REQ_HDRS;
	app_tx_mark(tx, APP_DIR_TO_SERVER);
	return;
bad:
	f->events |= APP_EV_TLS_MALFORMED;
}

static void server_hello(struct app_flow *f, struct tls_state *s, struct bw_rd *rd)
{
	char ja3s[JA3_MAX + 1], types[JA3_MAX + 1];
	size_t n = 0, nt = 0;
	uint16_t ver, cipher, elen, type, len, sel = 0;
	uint8_t sidlen, comp;
	struct bw_rd ext, body;
	struct app_tx *tx;
	bool first = true, tfirst = true;

	types[0] = '\0';
	if (bw_rd_u16(rd, &ver) != 0 || bw_rd_skip(rd, 32) != 0 || bw_rd_u8(rd, &sidlen) != 0 ||
	    sidlen > 32 || bw_rd_skip(rd, sidlen) != 0 || bw_rd_u16(rd, &cipher) != 0 ||
	    bw_rd_u8(rd, &comp) != 0)
		goto bad;
	if (bw_rd_left(rd) > 0) {
		if (bw_rd_u16(rd, &elen) != 0 || bw_rd_sub(rd, &ext, elen) != 0 ||
		    bw_rd_left(rd) != 0)
			goto bad;
		while (bw_rd_left(&ext) > 0) {
			if (bw_rd_u16(&ext, &type) != 0 || bw_rd_u16(&ext, &len) != 0 ||
			    bw_rd_sub(&ext, &body, len) != 0)
				goto bad;
			if (!grease(type))
				ja3_num(types, &nt, type, &tfirst);
			/* RFC 8446 4.2.1: the selected version replaces legacy_version. */
			if (type == TLS_EXT_SUPPORTED_VERSIONS && bw_rd_u16(&body, &sel) != 0)
				goto bad;
		}
	}
	ja3_num(ja3s, &n, ver, &first);
	snprintf(ja3s + n, sizeof(ja3s) - n, ",%u,%s", cipher, types);
	n = strlen(ja3s);
	if ((tx = tls_tx(f, s)) == NULL)
		return;
	s->hello[APP_DIR_TO_CLIENT] = true;
	set_dver(s, APP_DIR_TO_CLIENT, sel != 0 ? sel : ver);
	s->version = sel != 0 ? sel : ver;
	tx->u.tls.version = version_name(s->version);
	if (tx->u.tls.ja3s_hash == NULL)
		(void)set_hash(f, tx, APP_DIR_TO_CLIENT, ja3s, n, IPS_BUF_JA3S_HASH, IPS_BUF__COUNT,
		               &tx->u.tls.ja3s_hash, &tx->u.tls.ja3s_string);
	tx->flags |= APP_TX_RES_HDRS;
	app_tx_mark(tx, APP_DIR_TO_CLIENT);
	/* TLS 1.3: all that follows the ServerHello is encrypted (RFC 8446 2). */
	if (s->version == 0x0304) {
		s->d[APP_DIR_TO_CLIENT].encrypted = true;
		s->d[APP_DIR_TO_SERVER].encrypted = true;
	}
	return;
bad:
	f->events |= APP_EV_TLS_MALFORMED;
}

/* TLS <= 1.2 Certificate (RFC 5246 7.4.2): a u24 list of u24-prefixed DER certificates. */
static void certificate(struct app_flow *f, struct tls_state *s, struct bw_rd *rd)
{
	struct crypto_x509_info *info;
	struct bw_rd list;
	struct app_tx *tx;
	uint32_t llen, clen;
	uint8_t b[3];
	const uint8_t *der;
	unsigned n = 0;

	if (bw_rd_copy(rd, b, 3) != 0)
		goto bad;
	llen = (uint32_t)b[0] << 16 | (uint32_t)b[1] << 8 | b[2];
	if (bw_rd_sub(rd, &list, llen) != 0 || bw_rd_left(rd) != 0)
		goto bad;
	if ((tx = tls_tx(f, s)) == NULL || tx->first[APP_DIR_TO_CLIENT][IPS_BUF_TLS_CERTS] >= 0)
		return;
	while (bw_rd_left(&list) > 0 && n < TLS_MAX_CERTS) {
		if (bw_rd_copy(&list, b, 3) != 0)
			goto bad;
		clen = (uint32_t)b[0] << 16 | (uint32_t)b[1] << 8 | b[2];
		if (bw_rd_ptr(&list, &der, clen) != 0)
			goto bad;
		if (app_tx_buf_add(f, tx, APP_DIR_TO_CLIENT, IPS_BUF_TLS_CERTS, der, clen) != 0)
			return;
		if (n++ > 0)
			continue;
		/* The leaf (first) certificate names the server. */
		if ((info = malloc(sizeof(*info))) == NULL)
			return;
		if (crypto_x509_info(der, clen, info) == 0) {
			(void)app_tx_buf_add(f, tx, APP_DIR_TO_CLIENT, IPS_BUF_TLS_CERT_SUBJECT,
			                     info->subject, strlen(info->subject));
			(void)app_tx_buf_add(f, tx, APP_DIR_TO_CLIENT, IPS_BUF_TLS_CERT_ISSUER,
			                     info->issuer, strlen(info->issuer));
			(void)app_tx_buf_add(f, tx, APP_DIR_TO_CLIENT, IPS_BUF_TLS_CERT_SERIAL,
			                     info->serial, strlen(info->serial));
			tx->u.tls.subject =
			        app_tx_buf_str(tx, APP_DIR_TO_CLIENT, IPS_BUF_TLS_CERT_SUBJECT);
			tx->u.tls.issuerdn =
			        app_tx_buf_str(tx, APP_DIR_TO_CLIENT, IPS_BUF_TLS_CERT_ISSUER);
			tx->u.tls.serial =
			        app_tx_buf_str(tx, APP_DIR_TO_CLIENT, IPS_BUF_TLS_CERT_SERIAL);
		} else {
			f->events |= APP_EV_TLS_MALFORMED;
		}
		free(info);
	}
	app_tx_mark(tx, APP_DIR_TO_CLIENT);
	return;
bad:
	f->events |= APP_EV_TLS_MALFORMED;
}

static void handshake_msg(struct app_flow *f, struct tls_state *s, enum app_dir dir, uint8_t type,
                          const uint8_t *p, size_t len)
{
	struct bw_rd rd;

	bw_rd_init(&rd, p, len);
	if (type == TLS_HS_CLIENT_HELLO && dir == APP_DIR_TO_SERVER)
		client_hello(f, s, &rd);
	else if (type == TLS_HS_SERVER_HELLO && dir == APP_DIR_TO_CLIENT)
		server_hello(f, s, &rd);
	else if (type == TLS_HS_CERTIFICATE && dir == APP_DIR_TO_CLIENT && s->version != 0x0304)
		certificate(f, s, &rd);
}

/* Handshake bytes of a record: splits them into messages. */
static int handshake_bytes(struct app_flow *f, struct tls_state *s, enum app_dir dir,
                           const uint8_t *p, size_t len)
{
	struct tls_dir *d = &s->d[dir];
	size_t limit = f->ctx->cfg.tls_msg_limit;

	while (len > 0) {
		size_t need, take;

		if (d->hs_skip > 0) {
			take = d->hs_skip < len ? d->hs_skip : len;
			d->hs_skip -= take;
			p += take;
			len -= take;
			continue;
		}
		need = TLS_HS_HDR;
		if (d->nhs >= TLS_HS_HDR)
			need += (size_t)d->hs[1] << 16 | (size_t)d->hs[2] << 8 | d->hs[3];
		if (need > limit + TLS_HS_HDR) {
			/* Too big to keep: drop it and go on with the next message. */
			f->events |= APP_EV_TLS_OVERSIZE;
			d->hs_skip = need - d->nhs;
			d->nhs = 0;
			continue;
		}
		if (need > d->cap) {
			size_t ncap = d->cap ? d->cap : 1024;
			uint8_t *b;

			while (ncap < need)
				ncap *= 2;
			if (!app_mem_take(f, ncap - d->cap))
				return BW_ERR_LIMIT;
			if ((b = realloc(d->hs, ncap)) == NULL) {
				app_mem_give(f, ncap - d->cap);
				return BW_ERR_NOMEM;
			}
			d->hs = b;
			d->cap = ncap;
		}
		if (app_fill(d->hs, &d->nhs, need, &p, &len) && need > TLS_HS_HDR - 1 &&
		    d->nhs >= TLS_HS_HDR &&
		    need == TLS_HS_HDR +
		                    ((size_t)d->hs[1] << 16 | (size_t)d->hs[2] << 8 | d->hs[3])) {
			handshake_msg(f, s, dir, d->hs[0], d->hs + TLS_HS_HDR, need - TLS_HS_HDR);
			d->nhs = 0;
			if (d->encrypted)
				return 0;
		}
	}
	return 0;
}

static int tls_feed(struct app_flow *f, enum app_dir dir, const uint8_t *p, size_t len)
{
	struct tls_state *s = f->state;
	struct tls_dir *d = &s->d[dir];
	int r;

	while (len > 0) {
		size_t take;

		if (d->encrypted) {
			if (s->d[dir ^ 1].encrypted && s->tx != NULL)
				s->tx->flags |= APP_TX_REQ_DONE | APP_TX_RES_DONE;
			/*
			 * Nothing more to read on this side once application data
			 * flows; until then the record headers are read (bodies
			 * skipped) to see it start.
			 */
			if (f->no_payload) {
				f->dead[dir] = true;
				return 0;
			}
		}
		if (d->nhdr < TLS_REC_HDR) {
			if (!app_fill(d->hdr, &d->nhdr, TLS_REC_HDR, &p, &len))
				return 0;
			d->type = d->hdr[0];
			d->body_left = bw_be16(d->hdr + 3);
			if (!s->hello[dir])
				set_dver(s, dir, bw_be16(d->hdr + 1));
			/* RFC 8446 5.1: a known type, major version 3, length in bounds. */
			if (d->type < TLS_CT_CCS || d->type > TLS_CT_APPDATA + 1 ||
			    d->hdr[1] != 3 || d->body_left > TLS_REC_MAX) {
				f->events |= APP_EV_TLS_MALFORMED;
				f->dead[dir] = true;
				return 0;
			}
			/*
			 * Application data (TLS 1.3: every record after the
			 * ServerHello) ends payload inspection, as in Suricata,
			 * except the client's 0-RTT data before the ServerHello.
			 */
			if (d->type == TLS_CT_APPDATA &&
			    !(dir == APP_DIR_TO_SERVER && s->hello[APP_DIR_TO_SERVER] &&
			      !s->hello[APP_DIR_TO_CLIENT]))
				f->no_payload = true;
			continue;
		}
		take = d->body_left < len ? d->body_left : len;
		if (d->type == TLS_CT_HANDSHAKE && !d->encrypted) {
			if ((r = handshake_bytes(f, s, dir, p, take)) != 0) {
				f->dead[dir] = true;
				return r == BW_ERR_NOMEM ? r : 0;
			}
		}
		d->body_left -= take;
		p += take;
		len -= take;
		if (d->body_left == 0) {
			d->nhdr = 0;
			/* After ChangeCipherSpec the handshake is encrypted (RFC 5246 7.1). */
			if (d->type == TLS_CT_CCS && s->version != 0x0304)
				d->encrypted = true;
			if (d->type == TLS_CT_APPDATA)
				d->encrypted = true;
		}
	}
	return 0;
}

static int tls_init(struct app_flow *f)
{
	struct tls_state *s;

	if (!app_mem_take(f, sizeof(*s)))
		return BW_ERR_LIMIT;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return BW_ERR_NOMEM;
	f->state = s;
	return 0;
}

static void tls_eof(struct app_flow *f, enum app_dir dir)
{
	struct tls_state *s = f->state;

	if (s->tx != NULL)
		s->tx->flags |= dir == APP_DIR_TO_SERVER ? APP_TX_REQ_DONE : APP_TX_RES_DONE;
}

static void tls_fini(struct app_flow *f)
{
	struct tls_state *s = f->state;

	for (int i = 0; i < 2; i++) {
		app_mem_give(f, s->d[i].cap);
		free(s->d[i].hs);
	}
	app_mem_give(f, sizeof(*s));
	free(s);
	f->state = NULL;
}

const struct app_parser app_parser_tls = {
        .proto = APP_PROTO_TLS,
        .init = tls_init,
        .feed = tls_feed,
        .eof = tls_eof,
        .fini = tls_fini,
};

bool app_tls_match(const struct app_tx *tx, enum app_dir dir, const struct ips_app_match *m)
{
	uint16_t v = tx->u.tls.dir_version[dir];

	if (m->what != APP_M_TLS_VERSION)
		return false;
	/* Suricata's tls.version: TLS 1.3 drafts count as 1.3 unless a raw value is given. */
	if (m->arg[1] == 0 && (v >> 8) == 0x7f)
		v = 0x0304;
	return v == m->arg[0];
}
