/* SPDX-License-Identifier: ISC */
/*
 * IKEv2 key material: transform sizes, SKEYSEED and the SK_* keys
 * (RFC 7296 2.14), PSK authentication data (2.15), CHILD_SA KEYMAT (2.17)
 * and the contexts that protect SK payloads (3.14; RFC 5282 for AES-GCM,
 * RFC 7634 for ChaCha20-Poly1305).
 */
#include <stdio.h>
#include <string.h>

#include "ike/ike_int.h"
#include "lib/err.h"
#include "lib/log.h"
#include "lib/rd.h"

/* RFC 7296 2.15: the pad that turns a shared secret into a PRF key. */
static const char key_pad[] = "Key Pad for IKEv2";

static size_t integ_key_len(uint16_t integ, size_t *icv)
{
	switch (integ) {
	case IKEV2_INTEG_HMAC_SHA2_256_128:
		*icv = 16;
		return 32;
	case IKEV2_INTEG_HMAC_SHA2_384_192:
		*icv = 24;
		return 48;
	case IKEV2_INTEG_HMAC_SHA2_512_256:
		*icv = 32;
		return 64;
	default:
		*icv = 0;
		return 0;
	}
}

int ike_xf_lengths(const struct ike_xf *xf, size_t *enc_key, size_t *integ_key, size_t *iv,
                   size_t *icv, size_t *block)
{
	size_t bits = xf->encr_bits;

	switch (xf->encr) {
	case IKEV2_ENCR_AES_GCM_16:
		if (bits != 128 && bits != 192 && bits != 256)
			return BW_ERR_UNSUPP;
		*enc_key = bits / 8 + 4; /* key | salt (RFC 5282 7.1, RFC 4106 8.1) */
		*integ_key = 0;
		*iv = 8;
		*icv = 16;
		*block = 1;
		return xf->integ == 0 ? 0 : BW_ERR_INVAL;
	case IKEV2_ENCR_CHACHA20_POLY1305:
		*enc_key = 36; /* RFC 7634 2: 256-bit key | 32-bit salt */
		*integ_key = 0;
		*iv = 8;
		*icv = 16;
		*block = 1;
		return xf->integ == 0 ? 0 : BW_ERR_INVAL;
	case IKEV2_ENCR_AES_CBC:
		if (bits != 128 && bits != 192 && bits != 256)
			return BW_ERR_UNSUPP;
		*enc_key = bits / 8;
		*iv = 16;
		*block = 16;
		*integ_key = integ_key_len(xf->integ, icv);
		return *integ_key != 0 ? 0 : BW_ERR_UNSUPP;
	default:
		return BW_ERR_UNSUPP;
	}
}

static enum crypto_hmac_alg hmac_alg(uint16_t integ)
{
	return integ == IKEV2_INTEG_HMAC_SHA2_384_192   ? CRYPTO_HMAC_SHA384
	       : integ == IKEV2_INTEG_HMAC_SHA2_512_256 ? CRYPTO_HMAC_SHA512
	                                                : CRYPTO_HMAC_SHA256;
}

static int sk_ctx(const struct ike_xf *xf, struct ike_sk_keys *k, size_t ek_len, size_t ak_len)
{
	int r;

	if (xf->encr == IKEV2_ENCR_AES_CBC) {
		if ((r = crypto_cbc_new(&k->cbc, k->ek, ek_len)) != 0)
			return r;
		return crypto_hmac_new(&k->hmac, hmac_alg(xf->integ), k->ak, ak_len);
	}
	return crypto_aead_new(&k->aead,
	                       xf->encr == IKEV2_ENCR_AES_GCM_16 ? CRYPTO_AEAD_AES_GCM
	                                                         : CRYPTO_AEAD_CHACHA20_POLY1305,
	                       k->ek, ek_len - 4, 16);
}

int ike_derive_ike_keys(struct ike_sa *sa, const uint8_t *shared, size_t shared_len)
{
	struct crypto_iov key[2] = {{sa->ni, sa->ni_len}, {sa->nr, sa->nr_len}};
	struct crypto_iov g = {shared, shared_len};

	/* SKEYSEED = prf(Ni | Nr, g^ir); the PRF key is the nonces (2.14). */
	return ike_derive_keys(sa, key, 2, &g, 1);
}

int ike_derive_rekeyed(struct ike_sa *sa, const struct ike_sa *old, const uint8_t *shared,
                       size_t shared_len)
{
	struct crypto_iov key = {old->sk_d, old->prf_len};
	struct crypto_iov data[3] = {
	        {shared, shared_len}, {sa->ni, sa->ni_len}, {sa->nr, sa->nr_len}};

	/* 2.18: SKEYSEED = prf(SK_d (old), g^ir (new) | Ni | Nr), with the old SA's PRF. */
	if (sa->xf.prf != old->xf.prf) {
		/* The new SA may pick another PRF; the old one computes SKEYSEED. */
		uint8_t seed[CRYPTO_PRF_MAX];
		int r = crypto_prf_oneshot(old->xf.prf, &key, 1, data, 3, seed,
		                           crypto_prf_size(old->xf.prf));

		if (r == 0) {
			struct crypto_iov k2 = {seed, crypto_prf_size(old->xf.prf)};

			r = ike_derive_keys_from_seed(sa, &k2);
		}
		crypto_wipe(seed, sizeof(seed));
		return r;
	}
	return ike_derive_keys(sa, &key, 1, data, 3);
}

int ike_derive_keys(struct ike_sa *sa, const struct crypto_iov *prfkey, size_t nkey,
                    const struct crypto_iov *data, size_t ndata)
{
	uint8_t skeyseed[CRYPTO_PRF_MAX];
	size_t prf = crypto_prf_size(sa->xf.prf);
	struct crypto_iov k = {skeyseed, prf};
	int r;

	if (prf == 0)
		return BW_ERR_UNSUPP;
	if ((r = crypto_prf_oneshot(sa->xf.prf, prfkey, nkey, data, ndata, skeyseed, prf)) == 0)
		r = ike_derive_keys_from_seed(sa, &k);
	crypto_wipe(skeyseed, sizeof(skeyseed));
	return r;
}

static void hexs(char *out, const uint8_t *p, size_t n)
{
	static const char d[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = d[p[i] >> 4];
		out[2 * i + 1] = d[p[i] & 15];
	}
	out[2 * n] = '\0';
}

/* One line of tshark's ikev2_decryption_table (only with ike_set_log_keys). */
static void log_keys(const struct ike_sa *sa, size_t ek, size_t ak)
{
	char ei[2 * IKE_KEY_MAX + 1], er[2 * IKE_KEY_MAX + 1], ai[2 * IKE_KEY_MAX + 1],
	        ar[2 * IKE_KEY_MAX + 1], enc[48];
	const char *integ = "NONE [RFC4306]";

	hexs(ei, sa->sk_i.ek, ek);
	hexs(er, sa->sk_r.ek, ek);
	hexs(ai, sa->sk_i.ak, ak);
	hexs(ar, sa->sk_r.ak, ak);
	if (sa->xf.encr == IKEV2_ENCR_AES_GCM_16)
		snprintf(enc, sizeof(enc), "AES-GCM-%u with 16 octet ICV [RFC5282]",
		         sa->xf.encr_bits);
	else if (sa->xf.encr == IKEV2_ENCR_AES_CBC)
		snprintf(enc, sizeof(enc), "AES-CBC-%u [RFC3602]", sa->xf.encr_bits);
	else
		snprintf(enc, sizeof(enc), "CHACHA20-POLY1305 [RFC7634]");
	if (sa->xf.integ == IKEV2_INTEG_HMAC_SHA2_256_128)
		integ = "HMAC_SHA2_256_128 [RFC4868]";
	else if (sa->xf.integ == IKEV2_INTEG_HMAC_SHA2_384_192)
		integ = "HMAC_SHA2_384_192 [RFC4868]";
	else if (sa->xf.integ == IKEV2_INTEG_HMAC_SHA2_512_256)
		integ = "HMAC_SHA2_512_256 [RFC4868]";
	log_notice("ike", "ikev2_decryption_table: %016llx,%016llx,%s,%s,\"%s\",%s,%s,\"%s\"",
	           (unsigned long long)sa->spi_i, (unsigned long long)sa->spi_r, ei, er, enc, ai,
	           ar, integ);
	crypto_wipe(ei, sizeof(ei));
	crypto_wipe(er, sizeof(er));
	crypto_wipe(ai, sizeof(ai));
	crypto_wipe(ar, sizeof(ar));
}

int ike_derive_keys_from_seed(struct ike_sa *sa, const struct crypto_iov *seedkey)
{
	uint8_t km[7 * IKE_KEY_MAX], spis[16];
	size_t ek, ak, iv, icv, block, off = 0, prf = crypto_prf_size(sa->xf.prf), need;
	struct crypto_iov seed[3] = {{sa->ni, sa->ni_len}, {sa->nr, sa->nr_len}, {spis, 16}};
	int r;

	if (prf == 0 || prf > IKE_KEY_MAX)
		return BW_ERR_UNSUPP;
	if ((r = ike_xf_lengths(&sa->xf, &ek, &ak, &iv, &icv, &block)) != 0)
		return r;
	need = 3 * prf + 2 * ak + 2 * ek;
	bw_put_be64(spis, sa->spi_i);
	bw_put_be64(spis + 8, sa->spi_r);
	/* {SK_d | SK_ai | SK_ar | SK_ei | SK_er | SK_pi | SK_pr}
	 *   = prf+(SKEYSEED, Ni | Nr | SPIi | SPIr) */
	if ((r = crypto_prf_plus_oneshot(sa->xf.prf, seedkey, 1, seed, 3, km, need)) != 0)
		goto out;
	memcpy(sa->sk_d, km + off, prf);
	off += prf;
	memcpy(sa->sk_i.ak, km + off, ak);
	off += ak;
	memcpy(sa->sk_r.ak, km + off, ak);
	off += ak;
	memcpy(sa->sk_i.ek, km + off, ek);
	off += ek;
	memcpy(sa->sk_r.ek, km + off, ek);
	off += ek;
	memcpy(sa->sk_pi, km + off, prf);
	off += prf;
	memcpy(sa->sk_pr, km + off, prf);
	sa->prf_len = prf;
	sa->sk_iv_len = iv;
	sa->sk_icv_len = icv;
	sa->sk_block = block;
	if ((r = sk_ctx(&sa->xf, &sa->sk_i, ek, ak)) != 0 ||
	    (r = sk_ctx(&sa->xf, &sa->sk_r, ek, ak)) != 0)
		goto out;
	sa->keys = true;
	if (sa->ike->log_keys)
		log_keys(sa, ek, ak);
out:
	crypto_wipe(km, sizeof(km));
	return r;
}

int ike_signed_octets(const struct ike_sa *sa, bool of_initiator, const uint8_t *id_body,
                      size_t id_body_len, struct crypto_iov seg[3], uint8_t macid[CRYPTO_PRF_MAX])
{
	struct crypto_iov k = {of_initiator ? sa->sk_pi : sa->sk_pr, sa->prf_len};
	struct crypto_iov idb = {id_body, id_body_len};
	int r;

	/* <SignedOctets> = RealMessage | Nonce of the peer | prf(SK_px, RestOfIDPayload) (2.15) */
	if ((r = crypto_prf_oneshot(sa->xf.prf, &k, 1, &idb, 1, macid, sa->prf_len)) != 0)
		return r;
	seg[0] = of_initiator ? (struct crypto_iov){sa->init_req, sa->init_req_len}
	                      : (struct crypto_iov){sa->init_resp, sa->init_resp_len};
	seg[1] = of_initiator ? (struct crypto_iov){sa->nr, sa->nr_len}
	                      : (struct crypto_iov){sa->ni, sa->ni_len};
	seg[2] = (struct crypto_iov){macid, sa->prf_len};
	return 0;
}

int ike_auth_psk(const struct ike_sa *sa, bool of_initiator, const uint8_t *id_body,
                 size_t id_body_len, uint8_t *out, size_t *out_len)
{
	const struct ike_conn_conf *c = sa->conf;
	uint8_t padkey[CRYPTO_PRF_MAX], macid[CRYPTO_PRF_MAX];
	size_t prf = sa->prf_len;
	struct crypto_iov k = {c->psk, c->psk_len}, pad = {key_pad, sizeof(key_pad) - 1};
	struct crypto_iov signed_octets[3];
	int r;

	if ((r = ike_signed_octets(sa, of_initiator, id_body, id_body_len, signed_octets, macid)) !=
	    0)
		goto out;
	/* AUTH = prf(prf(Shared Secret, "Key Pad for IKEv2"), <SignedOctets>) */
	if ((r = crypto_prf_oneshot(sa->xf.prf, &k, 1, &pad, 1, padkey, prf)) != 0)
		goto out;
	k = (struct crypto_iov){padkey, prf};
	if ((r = crypto_prf_oneshot(sa->xf.prf, &k, 1, signed_octets, 3, out, prf)) != 0)
		goto out;
	*out_len = prf;
out:
	crypto_wipe(padkey, sizeof(padkey));
	crypto_wipe(macid, sizeof(macid));
	return r;
}

/* Fills an ESP SA's algorithm fields from negotiated IANA transforms. */
static int esp_algs(const struct ike_xf *xf, struct esp_sa_cfg *c, size_t *ek, size_t *ak)
{
	size_t icv;

	switch (xf->encr) {
	case IKEV2_ENCR_AES_GCM_16:
		if (xf->encr_bits != 128 && xf->encr_bits != 256)
			return BW_ERR_UNSUPP;
		c->encr = ESP_ENCR_AES_GCM_16;
		*ek = xf->encr_bits / 8 + 4;
		break;
	case IKEV2_ENCR_CHACHA20_POLY1305:
		c->encr = ESP_ENCR_CHACHA20_POLY1305;
		*ek = 36;
		break;
	case IKEV2_ENCR_AES_CBC:
		if (xf->encr_bits != 128 && xf->encr_bits != 256)
			return BW_ERR_UNSUPP;
		c->encr = ESP_ENCR_AES_CBC;
		*ek = xf->encr_bits / 8;
		break;
	default:
		return BW_ERR_UNSUPP;
	}
	*ak = integ_key_len(xf->integ, &icv);
	c->integ = xf->integ == IKEV2_INTEG_HMAC_SHA2_256_128   ? ESP_INTEG_HMAC_SHA256_128
	           : xf->integ == IKEV2_INTEG_HMAC_SHA2_384_192 ? ESP_INTEG_HMAC_SHA384_192
	           : xf->integ == IKEV2_INTEG_HMAC_SHA2_512_256 ? ESP_INTEG_HMAC_SHA512_256
	                                                        : ESP_INTEG_NONE;
	if ((c->encr == ESP_ENCR_AES_CBC) != (c->integ != ESP_INTEG_NONE))
		return BW_ERR_UNSUPP;
	c->encr_key_len = *ek;
	c->integ_key_len = *ak;
	c->esn = xf->esn == IKEV2_ESN_YES;
	return 0;
}

int ike_child_keys(const struct ike_sa *sa, const struct ike_xf *xf, const uint8_t *shared,
                   size_t shared_len, const uint8_t *ni, size_t ni_len, const uint8_t *nr,
                   size_t nr_len, struct esp_sa_cfg *i2r, struct esp_sa_cfg *r2i)
{
	uint8_t km[2 * (ESP_KEY_MAX + ESP_INTEG_KEY_MAX)];
	struct crypto_iov k = {sa->sk_d, sa->prf_len};
	/* With PFS, KEYMAT = prf+(SK_d, g^ir (new) | Ni | Nr) (2.17). */
	struct crypto_iov seedv[3] = {{shared, shared_len}, {ni, ni_len}, {nr, nr_len}};
	struct crypto_iov *seed = shared_len ? seedv : seedv + 1;
	size_t nseed = shared_len ? 3 : 2;
	size_t ek, ak;
	int r;

	if ((r = esp_algs(xf, i2r, &ek, &ak)) != 0 || (r = esp_algs(xf, r2i, &ek, &ak)) != 0)
		return r;
	/* KEYMAT = prf+(SK_d, [g^ir |] Ni | Nr); initiator-to-responder keys first,
	 * encryption before integrity (2.17). */
	if ((r = crypto_prf_plus_oneshot(sa->xf.prf, &k, 1, seed, nseed, km, 2 * (ek + ak))) != 0)
		goto out;
	memcpy(i2r->encr_key, km, ek);
	memcpy(i2r->integ_key, km + ek, ak);
	memcpy(r2i->encr_key, km + ek + ak, ek);
	memcpy(r2i->integ_key, km + 2 * ek + ak, ak);
out:
	crypto_wipe(km, sizeof(km));
	return r;
}

static void sk_keys_free(struct ike_sk_keys *k)
{
	crypto_aead_free(k->aead);
	crypto_cbc_free(k->cbc);
	crypto_hmac_free(k->hmac);
	crypto_wipe(k, sizeof(*k));
}

void ike_sa_wipe_keys(struct ike_sa *sa)
{
	sk_keys_free(&sa->sk_i);
	sk_keys_free(&sa->sk_r);
	crypto_wipe(sa->sk_d, sizeof(sa->sk_d));
	crypto_wipe(sa->sk_pi, sizeof(sa->sk_pi));
	crypto_wipe(sa->sk_pr, sizeof(sa->sk_pr));
	sa->keys = false;
}
