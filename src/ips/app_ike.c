/* SPDX-License-Identifier: ISC */
/*
 * IKE parser for observed traffic (UDP 500 and 4500), after Suricata 7's:
 * every datagram is one transaction of its direction. The ISAKMP / IKE
 * header (RFC 2408 3.1, RFC 7296 3.1) gives version, exchange type, SPIs
 * and message id. Unencrypted IKEv1 messages give their key exchange,
 * nonce and vendor ID payloads (RFC 2408 3.7, 3.13, 3.16; SA proposals are
 * not decoded). IKEv2 payloads (RFC 7296 3.2)
 * are walked with bounds-checked reads up to an SK payload; SA proposals
 * (3.3) are checked as Suricata does and raise its events:
 *   weak_crypto_enc (DES, 3DES, RC5, IDEA, CAST, Blowfish, 3IDEA, NULL),
 *   weak_crypto_prf (HMAC-MD5, HMAC-SHA1), weak_crypto_auth (MD5, SHA1,
 *   DES-MAC, KPDK-MD5, AES-XCBC-96 based integrity), weak_crypto_dh (MODP
 *   768, 1024, 1024s160, 1536), invalid_proposal (NULL PRF, DH "none"),
 *   unknown_proposal (a transform type above 5), weak_crypto_no_dh,
 *   weak_crypto_no_auth (no integrity and no AEAD cipher), no_encryption
 *   (AH);
 * a header that does not parse, or an unknown major version, is an error
 * that stops the flow. The transforms the responder chose (its SA payload)
 * back ike.chosen_sa_attribute (alg_enc, alg_prf, alg_auth, alg_dh); the
 * SPIs in hex are the ike.init_spi (to the server) and ike.resp_spi (to the
 * client) buffers.
 */
#include <stdlib.h>
#include <string.h>

#include "ips/app_int.h"
#include "lib/err.h"
#include "lib/rd.h"

enum {
	IKE_HDR = 28,
	IKE_MAX_PAYLOADS = 64,
	IKE_MAX_VENDORS = 16,
	IKE_MAX_VENDOR_LEN = 64, /* vendor ID bytes rendered in hex */
	IKEV1_PL_KE = 4,
	IKEV1_PL_NONCE = 10,
	IKEV1_PL_VENDOR = 13,
	IKEV1_FLAG_ENCRYPTED = 0x01,
	IKE_PL_SA = 33,
	IKE_PL_KE = 34,
	IKE_PL_SK = 46,
	IKE_PROTO_AH = 2,
};

enum ike_xf {
	XF_ENCR = 1,
	XF_PRF = 2,
	XF_INTEG = 3,
	XF_DH = 4,
	XF_ESN = 5,
};

struct ike_tx {
	uint8_t version; /* major */
	uint8_t exch_type;
	bool has_ke, has_nonce; /* IKEv1 */
	uint32_t ke_len, nonce_len;
	bool chosen[XF_DH + 1]; /* a responder transform of that type was seen */
	uint16_t chosen_id[XF_DH + 1];
};

static bool weak_encr(uint16_t id)
{
	return (id >= 1 && id <= 9) || id == 11;
}

static bool aead(uint16_t id)
{
	return (id >= 14 && id <= 16) || (id >= 18 && id <= 20) || (id >= 25 && id <= 28);
}

/* One proposal substructure body (after its 4-byte generic part). */
static void proposal(struct app_tx *tx, struct ike_tx *x, struct bw_rd *r, enum app_dir dir)
{
	uint8_t num, proto, spi_size, nxf;
	bool has_dh = false, has_auth = false, has_aead = false;

	if (bw_rd_u8(r, &num) != 0 || bw_rd_u8(r, &proto) != 0 || bw_rd_u8(r, &spi_size) != 0 ||
	    bw_rd_u8(r, &nxf) != 0 || bw_rd_skip(r, spi_size) != 0)
		return;
	for (unsigned i = 0; i < nxf; i++) {
		uint8_t last, type;
		uint16_t len, id;
		struct bw_rd t;

		if (bw_rd_u8(r, &last) != 0 || bw_rd_skip(r, 1) != 0 || bw_rd_u16(r, &len) != 0 ||
		    len < 8 || bw_rd_sub(r, &t, (size_t)len - 4) != 0)
			return;
		if (bw_rd_u8(&t, &type) != 0 || bw_rd_skip(&t, 1) != 0 || bw_rd_u16(&t, &id) != 0)
			return;
		switch (type) {
		case XF_ENCR:
			if (weak_encr(id))
				app_tx_event(tx, "ike.weak_crypto_enc");
			has_aead = has_aead || aead(id);
			break;
		case XF_PRF:
			if (id == 0)
				app_tx_event(tx, "ike.invalid_proposal");
			else if (id == 1 || id == 2)
				app_tx_event(tx, "ike.weak_crypto_prf");
			break;
		case XF_INTEG:
			if (id >= 1 && id <= 7)
				app_tx_event(tx, "ike.weak_crypto_auth");
			has_auth = has_auth || id != 0;
			break;
		case XF_DH:
			has_dh = true;
			if (id == 0)
				app_tx_event(tx, "ike.invalid_proposal");
			else if (id == 1 || id == 2 || id == 5 || id == 22)
				app_tx_event(tx, "ike.weak_crypto_dh");
			break;
		case XF_ESN:
			break;
		default:
			app_tx_event(tx, "ike.unknown_proposal");
			break;
		}
		if (dir == APP_DIR_TO_CLIENT && type >= XF_ENCR && type <= XF_DH &&
		    !x->chosen[type]) {
			x->chosen[type] = true;
			x->chosen_id[type] = id;
		}
		if (last == 0)
			break;
	}
	if (!has_dh)
		app_tx_event(tx, "ike.weak_crypto_no_dh");
	if (proto == IKE_PROTO_AH)
		app_tx_event(tx, "ike.no_encryption");
	if (!has_auth && !has_aead)
		app_tx_event(tx, "ike.weak_crypto_no_auth");
}

static void sa_payload(struct app_tx *tx, struct ike_tx *x, struct bw_rd *body, enum app_dir dir)
{
	while (bw_rd_left(body) > 0) {
		uint8_t last;
		uint16_t len;
		struct bw_rd p;

		if (bw_rd_u8(body, &last) != 0 || bw_rd_skip(body, 1) != 0 ||
		    bw_rd_u16(body, &len) != 0 || len < 8 ||
		    bw_rd_sub(body, &p, (size_t)len - 4) != 0)
			return;
		proposal(tx, x, &p, dir);
		if (last == 0)
			return;
	}
}

static void ikev2_payloads(struct app_tx *tx, struct ike_tx *x, uint8_t next, struct bw_rd *r,
                           enum app_dir dir)
{
	for (int n = 0; next != 0 && n < IKE_MAX_PAYLOADS; n++) {
		uint8_t type = next;
		uint16_t len;
		struct bw_rd body;

		if (bw_rd_u8(r, &next) != 0 || bw_rd_skip(r, 1) != 0 || bw_rd_u16(r, &len) != 0 ||
		    len < 4 || bw_rd_sub(r, &body, (size_t)len - 4) != 0)
			return;
		if (type == IKE_PL_SA)
			sa_payload(tx, x, &body, dir);
		if (type == IKE_PL_SK)
			return; /* encrypted: the rest is not visible */
	}
}

/*
 * IKEv1 (RFC 2408 3.2): the payload chain as Suricata reads it, every
 * complete generic payload after the header (its type from the previous
 * one's next-payload field); the last key exchange and nonce and every
 * vendor ID (to the server, in hex) are kept.
 */
static void ikev1_payloads(struct app_flow *f, struct app_tx *tx, struct ike_tx *x, uint8_t type,
                           struct bw_rd *r, enum app_dir dir)
{
	unsigned nvendor = 0;

	for (int n = 0; n < IKE_MAX_PAYLOADS && bw_rd_left(r) >= 4; n++) {
		uint8_t next;
		uint16_t len;
		const uint8_t *body = NULL;
		size_t blen = 0;

		(void)bw_rd_u8(r, &next);
		(void)bw_rd_skip(r, 1);
		(void)bw_rd_u16(r, &len);
		if (len >= 4) {
			blen = (size_t)len - 4;
			if (bw_rd_ptr(r, &body, blen) != 0)
				return;
		}
		switch (type) {
		case IKEV1_PL_KE:
			app_tx_buf_clear(tx, dir, IPS_BUF_IKE_KEY_EXCHANGE);
			(void)app_tx_buf_add(f, tx, dir, IPS_BUF_IKE_KEY_EXCHANGE, body, blen);
			x->has_ke = blen > 0;
			x->ke_len = (uint32_t)blen;
			break;
		case IKEV1_PL_NONCE:
			app_tx_buf_clear(tx, dir, IPS_BUF_IKE_NONCE);
			(void)app_tx_buf_add(f, tx, dir, IPS_BUF_IKE_NONCE, body, blen);
			x->has_nonce = blen > 0;
			x->nonce_len = (uint32_t)blen;
			break;
		case IKEV1_PL_VENDOR:
			/* Suricata inspects ike.vendor to the server only. */
			if (dir == APP_DIR_TO_SERVER && nvendor < IKE_MAX_VENDORS) {
				char hex[2 * IKE_MAX_VENDOR_LEN + 1];
				size_t k = blen < IKE_MAX_VENDOR_LEN ? blen : IKE_MAX_VENDOR_LEN;

				app_hex(body, k, hex);
				(void)app_tx_buf_add(f, tx, dir, IPS_BUF_IKE_VENDOR, hex, 2 * k);
				nvendor++;
			}
			break;
		default:
			break;
		}
		type = next;
	}
}

static int ike_feed(struct app_flow *f, enum app_dir dir, const uint8_t *p, size_t len)
{
	struct app_tx *tx;
	struct ike_tx *x;
	struct bw_rd r;

	if (len < IKE_HDR || ((p[17] >> 4) != 1 && (p[17] >> 4) != 2)) {
		app_flow_stop(f); /* Suricata: a parse error, no more parsing */
		return 0;
	}
	if ((tx = app_tx_new(f, APP_PROTO_IKE)) == NULL)
		return 0;
	tx->flags |=
	        APP_TX_COMPLETE | (dir == APP_DIR_TO_SERVER ? APP_TX_REQ_DONE : APP_TX_RES_DONE);
	app_tx_mark(tx, dir);
	if (!app_mem_take(f, sizeof(*x)) || (x = calloc(1, sizeof(*x))) == NULL)
		return 0;
	tx->mem += sizeof(*x);
	tx->priv = x;
	x->version = p[17] >> 4;
	x->exch_type = p[18];
	/* Suricata inspects ike.init_spi to the server and ike.resp_spi to the client. */
	char hex[17];
	app_hex(dir == APP_DIR_TO_SERVER ? p : p + 8, 8, hex);
	(void)app_tx_buf_add(f, tx, dir,
	                     dir == APP_DIR_TO_SERVER ? IPS_BUF_IKE_INIT_SPI : IPS_BUF_IKE_RESP_SPI,
	                     hex, 16);
	bw_rd_init(&r, p + IKE_HDR, len - IKE_HDR);
	if (x->version == 2)
		ikev2_payloads(tx, x, p[16], &r, dir);
	else if (!(p[19] & IKEV1_FLAG_ENCRYPTED))
		ikev1_payloads(f, tx, x, p[16], &r, dir);
	return 0;
}

static int ike_init(struct app_flow *f)
{
	(void)f;
	return 0;
}

const struct app_parser app_parser_ike = {
        .proto = APP_PROTO_IKE,
        .init = ike_init,
        .feed = ike_feed,
        .eof = NULL,
        .fini = NULL,
};

/*
 * Suricata's probe: at least 28 bytes; IKEv1, or IKEv2.0 with an exchange
 * type of 34-37 and a header length equal to the datagram's.
 */
int app_ike_probe(const uint8_t *p, size_t len)
{
	unsigned maj, min;

	if (len < IKE_HDR)
		return BW_ERR_NOTFOUND;
	maj = p[17] >> 4;
	min = p[17] & 15;
	if (maj == 1)
		return 0;
	if (maj != 2 || min != 0 || p[18] < 34 || p[18] > 37 || bw_be32(p + 24) != len)
		return BW_ERR_NOTFOUND;
	return 0;
}

bool app_ike_match(const struct app_tx *tx, enum app_dir dir, const struct ips_app_match *m)
{
	const struct ike_tx *x = tx->priv;

	if (x == NULL)
		return false;
	switch (m->what) {
	case APP_M_IKE_EXCH_TYPE:
		return ips_num_match(&m->num, x->exch_type);
	case APP_M_IKE_KEY_EXCHANGE_LEN:
		return x->version == 1 && x->has_ke && ips_num_match(&m->num, x->ke_len);
	case APP_M_IKE_NONCE_LEN:
		return x->version == 1 && x->has_nonce && ips_num_match(&m->num, x->nonce_len);
	case APP_M_IKE_CHOSEN_SA: {
		static const char *const names[XF_DH + 1] = {
		        [XF_ENCR] = "alg_enc",
		        [XF_PRF] = "alg_prf",
		        [XF_INTEG] = "alg_auth",
		        [XF_DH] = "alg_dh",
		};

		if (x->version != 2 || m->str == NULL || dir != APP_DIR_TO_CLIENT)
			return false;
		for (int t = XF_ENCR; t <= XF_DH; t++)
			if (x->chosen[t] && strcmp(m->str, names[t]) == 0)
				return ips_num_match(&m->num, x->chosen_id[t]);
		return false;
	}
	default:
		return false;
	}
}
