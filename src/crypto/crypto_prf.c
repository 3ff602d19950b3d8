/* SPDX-License-Identifier: ISC */
/*
 * IKEv2 PRF, prf+ (RFC 7296 section 2.13) and one-shot hashes through
 * EVP_MAC (HMAC) and EVP_Digest. A crypto_prf keeps one keyed EVP_MAC_CTX;
 * each run re-initialises it with a NULL key, which OpenSSL 3 defines as
 * "same key", so prf+ costs no key schedule per block. Multi-segment keys
 * (SKEYSEED = prf(Ni | Nr, g^ir)) are gathered into one wiped stack buffer,
 * since HMAC needs the key whole; segments of data are fed one by one.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>

#include "crypto/crypto.h"
#include "crypto/crypto_prf.h"
#include "lib/err.h"

enum {
	/* Largest gathered key: Ni | Nr is at most 2 * 256 bytes (RFC 7296 3.9); room to spare. */
	PRF_KEY_MAX = 1024,
};

struct crypto_prf {
	enum crypto_prf_alg alg;
	size_t size;
	EVP_MAC_CTX *ctx;
};

static const char *prf_digest(enum crypto_prf_alg alg)
{
	switch (alg) {
	case CRYPTO_PRF_HMAC_SHA2_256:
		return "SHA256";
	case CRYPTO_PRF_HMAC_SHA2_384:
		return "SHA384";
	case CRYPTO_PRF_HMAC_SHA2_512:
		return "SHA512";
	}
	return NULL;
}

size_t crypto_prf_size(enum crypto_prf_alg alg)
{
	switch (alg) {
	case CRYPTO_PRF_HMAC_SHA2_256:
		return 32;
	case CRYPTO_PRF_HMAC_SHA2_384:
		return 48;
	case CRYPTO_PRF_HMAC_SHA2_512:
		return 64;
	}
	return 0;
}

static EVP_MAC *hmac(void)
{
	/* Fetched once; EVP_MAC_fetch searches the provider store each time. */
	static EVP_MAC *mac;

	if (mac == NULL)
		mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	return mac;
}

int crypto_prf_new(struct crypto_prf **out, enum crypto_prf_alg alg, const uint8_t *key,
                   size_t keylen)
{
	const char *md = prf_digest(alg);
	struct crypto_prf *prf;
	OSSL_PARAM params[2];
	static const uint8_t empty[1];

	*out = NULL;
	if (md == NULL)
		return BW_ERR_UNSUPP;
	if (key == NULL && keylen != 0)
		return BW_ERR_INVAL;
	if (hmac() == NULL)
		return BW_ERR_CRYPTO;
	if ((prf = calloc(1, sizeof(*prf))) == NULL)
		return BW_ERR_NOMEM;
	prf->alg = alg;
	prf->size = crypto_prf_size(alg);
	params[0] =
	        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)(uintptr_t)md, 0);
	params[1] = OSSL_PARAM_construct_end();
	/* A NULL key means "keep the old key" to EVP_MAC_init: pass a real empty one. */
	if ((prf->ctx = EVP_MAC_CTX_new(hmac())) == NULL ||
	    EVP_MAC_init(prf->ctx, keylen > 0 ? key : empty, keylen, params) != 1) {
		crypto_prf_free(prf);
		return BW_ERR_CRYPTO;
	}
	*out = prf;
	return 0;
}

void crypto_prf_free(struct crypto_prf *prf)
{
	if (prf == NULL)
		return;
	EVP_MAC_CTX_free(prf->ctx); /* OpenSSL cleanses the HMAC key state */
	free(prf);
}

enum crypto_prf_alg crypto_prf_alg(const struct crypto_prf *prf)
{
	return prf->alg;
}

static int mac_update(EVP_MAC_CTX *ctx, const struct crypto_iov *seg, size_t nseg)
{
	for (size_t i = 0; i < nseg; i++) {
		if (seg[i].len == 0)
			continue;
		if (seg[i].ptr == NULL || EVP_MAC_update(ctx, seg[i].ptr, seg[i].len) != 1)
			return BW_ERR_INVAL;
	}
	return 0;
}

int crypto_prf_run(struct crypto_prf *prf, const struct crypto_iov *seg, size_t nseg, uint8_t *out,
                   size_t outlen)
{
	size_t len = 0;
	int r;

	if (outlen != prf->size)
		return BW_ERR_INVAL;
	if (EVP_MAC_init(prf->ctx, NULL, 0, NULL) != 1)
		return BW_ERR_CRYPTO;
	if ((r = mac_update(prf->ctx, seg, nseg)) != 0)
		return r;
	if (EVP_MAC_final(prf->ctx, out, &len, outlen) != 1 || len != outlen)
		return BW_ERR_CRYPTO;
	return 0;
}

int crypto_prf_plus(struct crypto_prf *prf, const struct crypto_iov *seg, size_t nseg, uint8_t *out,
                    size_t outlen)
{
	uint8_t t[CRYPTO_PRF_MAX];
	size_t done = 0, tlen = 0, len;
	int r = 0;

	if (outlen > CRYPTO_PRF_PLUS_BLOCKS * prf->size)
		return BW_ERR_LIMIT;
	/* Tn = prf(K, Tn-1 | S | n); T0 is empty. */
	for (unsigned n = 1; done < outlen; n++) {
		uint8_t cnt = (uint8_t)n;

		if (EVP_MAC_init(prf->ctx, NULL, 0, NULL) != 1 ||
		    (tlen > 0 && EVP_MAC_update(prf->ctx, t, tlen) != 1)) {
			r = BW_ERR_CRYPTO;
			break;
		}
		if ((r = mac_update(prf->ctx, seg, nseg)) != 0)
			break;
		if (EVP_MAC_update(prf->ctx, &cnt, 1) != 1 ||
		    EVP_MAC_final(prf->ctx, t, &tlen, sizeof(t)) != 1 || tlen != prf->size) {
			r = BW_ERR_CRYPTO;
			break;
		}
		len = outlen - done < tlen ? outlen - done : tlen;
		memcpy(out + done, t, len);
		done += len;
	}
	crypto_wipe(t, sizeof(t));
	if (r != 0)
		crypto_wipe(out, outlen);
	return r;
}

/* Gathers a segmented key into buf (wiped by the caller). */
static int gather_key(const struct crypto_iov *key, size_t nkey, uint8_t *buf, size_t cap,
                      size_t *len)
{
	*len = 0;
	for (size_t i = 0; i < nkey; i++) {
		if (key[i].len == 0)
			continue;
		if (key[i].ptr == NULL)
			return BW_ERR_INVAL;
		if (key[i].len > cap - *len)
			return BW_ERR_LIMIT;
		memcpy(buf + *len, key[i].ptr, key[i].len);
		*len += key[i].len;
	}
	return 0;
}

static int oneshot(enum crypto_prf_alg alg, const struct crypto_iov *key, size_t nkey,
                   const struct crypto_iov *seg, size_t nseg, uint8_t *out, size_t outlen,
                   bool plus)
{
	uint8_t k[PRF_KEY_MAX];
	struct crypto_prf *prf = NULL;
	size_t klen;
	int r;

	if ((r = gather_key(key, nkey, k, sizeof(k), &klen)) != 0)
		goto out;
	if ((r = crypto_prf_new(&prf, alg, k, klen)) != 0)
		goto out;
	r = plus ? crypto_prf_plus(prf, seg, nseg, out, outlen)
	         : crypto_prf_run(prf, seg, nseg, out, outlen);
out:
	crypto_prf_free(prf);
	crypto_wipe(k, sizeof(k));
	return r;
}

int crypto_prf_oneshot(enum crypto_prf_alg alg, const struct crypto_iov *key, size_t nkey,
                       const struct crypto_iov *seg, size_t nseg, uint8_t *out, size_t outlen)
{
	return oneshot(alg, key, nkey, seg, nseg, out, outlen, false);
}

int crypto_prf_plus_oneshot(enum crypto_prf_alg alg, const struct crypto_iov *key, size_t nkey,
                            const struct crypto_iov *seg, size_t nseg, uint8_t *out, size_t outlen)
{
	return oneshot(alg, key, nkey, seg, nseg, out, outlen, true);
}

static const EVP_MD *hash_md(enum crypto_hash_alg alg)
{
	switch (alg) {
	case CRYPTO_HASH_SHA1:
		return EVP_sha1();
	case CRYPTO_HASH_SHA256:
		return EVP_sha256();
	case CRYPTO_HASH_SHA384:
		return EVP_sha384();
	case CRYPTO_HASH_SHA512:
		return EVP_sha512();
	}
	return NULL;
}

size_t crypto_hash_size(enum crypto_hash_alg alg)
{
	switch (alg) {
	case CRYPTO_HASH_SHA1:
		return 20;
	case CRYPTO_HASH_SHA256:
		return 32;
	case CRYPTO_HASH_SHA384:
		return 48;
	case CRYPTO_HASH_SHA512:
		return 64;
	}
	return 0;
}

int crypto_hash(enum crypto_hash_alg alg, const struct crypto_iov *seg, size_t nseg, uint8_t *out,
                size_t outlen)
{
	const EVP_MD *md = hash_md(alg);
	EVP_MD_CTX *ctx;
	unsigned int len = 0;
	int r = BW_ERR_CRYPTO;

	if (md == NULL)
		return BW_ERR_UNSUPP;
	if (outlen != crypto_hash_size(alg))
		return BW_ERR_INVAL;
	if ((ctx = EVP_MD_CTX_new()) == NULL)
		return BW_ERR_NOMEM;
	if (EVP_DigestInit_ex(ctx, md, NULL) != 1)
		goto out;
	for (size_t i = 0; i < nseg; i++) {
		if (seg[i].len == 0)
			continue;
		if (seg[i].ptr == NULL) {
			r = BW_ERR_INVAL;
			goto out;
		}
		if (EVP_DigestUpdate(ctx, seg[i].ptr, seg[i].len) != 1)
			goto out;
	}
	if (EVP_DigestFinal_ex(ctx, out, &len) == 1 && len == outlen)
		r = 0;
out:
	EVP_MD_CTX_free(ctx);
	return r;
}
