/* SPDX-License-Identifier: ISC */
/*
 * OpenSSL 3 EVP behind the crypto.h API. Each context keeps one keyed
 * EVP_CIPHER_CTX per direction; per packet only the IV is reset
 * (EVP_CipherInit_ex with a NULL key keeps the key schedule), so the
 * packet path allocates nothing. HMAC contexts re-initialise with a NULL
 * key, which OpenSSL 3 defines as "same key".
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "crypto/crypto.h"
#include "lib/err.h"

struct crypto_aead {
	EVP_CIPHER_CTX *enc;
	EVP_CIPHER_CTX *dec;
	size_t taglen;
};

struct crypto_cbc {
	EVP_CIPHER_CTX *enc;
	EVP_CIPHER_CTX *dec;
};

struct crypto_hmac {
	EVP_MAC_CTX *ctx;
	size_t size;
};

int crypto_init(void)
{
	return OPENSSL_init_crypto(0, NULL) == 1 ? 0 : BW_ERR_CRYPTO;
}

static const EVP_CIPHER *aead_cipher(enum crypto_aead_alg alg, size_t keylen)
{
	switch (alg) {
	case CRYPTO_AEAD_AES_GCM:
		return keylen == 16   ? EVP_aes_128_gcm()
		       : keylen == 24 ? EVP_aes_192_gcm()
		       : keylen == 32 ? EVP_aes_256_gcm()
		                      : NULL;
	case CRYPTO_AEAD_CHACHA20_POLY1305:
		return keylen == 32 ? EVP_chacha20_poly1305() : NULL;
	}
	return NULL;
}

static EVP_CIPHER_CTX *keyed_ctx(const EVP_CIPHER *c, const uint8_t *key, int enc, bool aead)
{
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();

	if (ctx == NULL)
		return NULL;
	if (EVP_CipherInit_ex(ctx, c, NULL, NULL, NULL, enc) != 1 ||
	    (aead && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_IVLEN, 12, NULL) != 1) ||
	    EVP_CipherInit_ex(ctx, NULL, NULL, key, NULL, enc) != 1 ||
	    (!aead && EVP_CIPHER_CTX_set_padding(ctx, 0) != 1)) {
		EVP_CIPHER_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

int crypto_aead_new(struct crypto_aead **out, enum crypto_aead_alg alg, const uint8_t *key,
                    size_t keylen, size_t taglen)
{
	const EVP_CIPHER *c = aead_cipher(alg, keylen);
	struct crypto_aead *a;

	*out = NULL;
	if (c == NULL || taglen > 16 || taglen < 8 ||
	    (alg == CRYPTO_AEAD_CHACHA20_POLY1305 && taglen != 16))
		return BW_ERR_INVAL;
	if ((a = calloc(1, sizeof(*a))) == NULL)
		return BW_ERR_NOMEM;
	a->taglen = taglen;
	a->enc = keyed_ctx(c, key, 1, true);
	a->dec = keyed_ctx(c, key, 0, true);
	if (a->enc == NULL || a->dec == NULL) {
		crypto_aead_free(a);
		return BW_ERR_CRYPTO;
	}
	*out = a;
	return 0;
}

void crypto_aead_free(struct crypto_aead *ctx)
{
	if (ctx == NULL)
		return;
	EVP_CIPHER_CTX_free(ctx->enc); /* clears the key schedule */
	EVP_CIPHER_CTX_free(ctx->dec);
	free(ctx);
}

int crypto_aead_seal(struct crypto_aead *ctx, const uint8_t nonce[12], const uint8_t *aad,
                     size_t aadlen, uint8_t *buf, size_t len, uint8_t *tag)
{
	EVP_CIPHER_CTX *c = ctx->enc;
	int outl;

	if (len > INT32_MAX || aadlen > INT32_MAX)
		return BW_ERR_INVAL;
	if (EVP_EncryptInit_ex(c, NULL, NULL, NULL, nonce) != 1)
		return BW_ERR_CRYPTO;
	if (aadlen > 0 && EVP_EncryptUpdate(c, NULL, &outl, aad, (int)aadlen) != 1)
		return BW_ERR_CRYPTO;
	if (len > 0 && EVP_EncryptUpdate(c, buf, &outl, buf, (int)len) != 1)
		return BW_ERR_CRYPTO;
	if (EVP_EncryptFinal_ex(c, buf + len, &outl) != 1)
		return BW_ERR_CRYPTO;
	if (EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_GET_TAG, (int)ctx->taglen, tag) != 1)
		return BW_ERR_CRYPTO;
	return 0;
}

int crypto_aead_open(struct crypto_aead *ctx, const uint8_t nonce[12], const uint8_t *aad,
                     size_t aadlen, uint8_t *buf, size_t len, const uint8_t *tag)
{
	EVP_CIPHER_CTX *c = ctx->dec;
	int outl;

	if (len > INT32_MAX || aadlen > INT32_MAX)
		return BW_ERR_INVAL;
	if (EVP_DecryptInit_ex(c, NULL, NULL, NULL, nonce) != 1)
		return BW_ERR_CRYPTO;
	if (aadlen > 0 && EVP_DecryptUpdate(c, NULL, &outl, aad, (int)aadlen) != 1)
		return BW_ERR_CRYPTO;
	if (len > 0 && EVP_DecryptUpdate(c, buf, &outl, buf, (int)len) != 1)
		return BW_ERR_CRYPTO;
	/* OpenSSL takes a non-const tag pointer for SET_TAG but only reads it. */
	uint8_t t[16];
	memcpy(t, tag, ctx->taglen);
	if (EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_SET_TAG, (int)ctx->taglen, t) != 1)
		return BW_ERR_CRYPTO;
	/*
	 * Final verifies the tag in constant time. EVP has already decrypted buf
	 * by then, so on failure wipe it: unverified plaintext is never released.
	 */
	if (EVP_DecryptFinal_ex(c, buf + len, &outl) != 1) {
		OPENSSL_cleanse(buf, len);
		return BW_ERR_AUTH;
	}
	return 0;
}

int crypto_cbc_new(struct crypto_cbc **out, const uint8_t *key, size_t keylen)
{
	const EVP_CIPHER *c = keylen == 16   ? EVP_aes_128_cbc()
	                      : keylen == 24 ? EVP_aes_192_cbc()
	                      : keylen == 32 ? EVP_aes_256_cbc()
	                                     : NULL;
	struct crypto_cbc *x;

	*out = NULL;
	if (c == NULL)
		return BW_ERR_INVAL;
	if ((x = calloc(1, sizeof(*x))) == NULL)
		return BW_ERR_NOMEM;
	x->enc = keyed_ctx(c, key, 1, false);
	x->dec = keyed_ctx(c, key, 0, false);
	if (x->enc == NULL || x->dec == NULL) {
		crypto_cbc_free(x);
		return BW_ERR_CRYPTO;
	}
	*out = x;
	return 0;
}

void crypto_cbc_free(struct crypto_cbc *ctx)
{
	if (ctx == NULL)
		return;
	EVP_CIPHER_CTX_free(ctx->enc);
	EVP_CIPHER_CTX_free(ctx->dec);
	free(ctx);
}

static int cbc_run(EVP_CIPHER_CTX *c, const uint8_t iv[16], uint8_t *buf, size_t len)
{
	int outl;

	if (len % 16 != 0 || len > INT32_MAX)
		return BW_ERR_INVAL;
	if (EVP_CipherInit_ex(c, NULL, NULL, NULL, iv, -1) != 1)
		return BW_ERR_CRYPTO;
	if (len > 0 && EVP_CipherUpdate(c, buf, &outl, buf, (int)len) != 1)
		return BW_ERR_CRYPTO;
	return 0;
}

int crypto_cbc_encrypt(struct crypto_cbc *ctx, const uint8_t iv[16], uint8_t *buf, size_t len)
{
	return cbc_run(ctx->enc, iv, buf, len);
}

int crypto_cbc_decrypt(struct crypto_cbc *ctx, const uint8_t iv[16], uint8_t *buf, size_t len)
{
	return cbc_run(ctx->dec, iv, buf, len);
}

static const char *hmac_digest(enum crypto_hmac_alg alg)
{
	switch (alg) {
	case CRYPTO_HMAC_SHA256:
		return "SHA256";
	case CRYPTO_HMAC_SHA384:
		return "SHA384";
	case CRYPTO_HMAC_SHA512:
		return "SHA512";
	}
	return NULL;
}

size_t crypto_hmac_size(enum crypto_hmac_alg alg)
{
	switch (alg) {
	case CRYPTO_HMAC_SHA256:
		return 32;
	case CRYPTO_HMAC_SHA384:
		return 48;
	case CRYPTO_HMAC_SHA512:
		return 64;
	}
	return 0;
}

static EVP_MAC *hmac_mac(void)
{
	/* Fetched once: fetching per context would search the provider store. */
	static EVP_MAC *mac;

	if (mac == NULL)
		mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	return mac;
}

int crypto_hmac_new(struct crypto_hmac **out, enum crypto_hmac_alg alg, const uint8_t *key,
                    size_t keylen)
{
	const char *md = hmac_digest(alg);
	struct crypto_hmac *h;
	OSSL_PARAM params[2];
	EVP_MAC *mac = hmac_mac();

	*out = NULL;
	if (md == NULL)
		return BW_ERR_INVAL;
	if (mac == NULL)
		return BW_ERR_CRYPTO;
	if ((h = calloc(1, sizeof(*h))) == NULL)
		return BW_ERR_NOMEM;
	h->size = crypto_hmac_size(alg);
	params[0] =
	        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)(uintptr_t)md, 0);
	params[1] = OSSL_PARAM_construct_end();
	if ((h->ctx = EVP_MAC_CTX_new(mac)) == NULL ||
	    EVP_MAC_init(h->ctx, key, keylen, params) != 1) {
		crypto_hmac_free(h);
		return BW_ERR_CRYPTO;
	}
	*out = h;
	return 0;
}

void crypto_hmac_free(struct crypto_hmac *ctx)
{
	if (ctx == NULL)
		return;
	EVP_MAC_CTX_free(ctx->ctx);
	free(ctx);
}

int crypto_hmac_mac(struct crypto_hmac *ctx, const uint8_t *a, size_t alen, const uint8_t *b,
                    size_t blen, uint8_t *out, size_t outlen)
{
	uint8_t md[64];
	size_t mdlen;

	if (outlen > ctx->size)
		return BW_ERR_INVAL;
	if (EVP_MAC_init(ctx->ctx, NULL, 0, NULL) != 1 || EVP_MAC_update(ctx->ctx, a, alen) != 1 ||
	    (blen > 0 && EVP_MAC_update(ctx->ctx, b, blen) != 1) ||
	    EVP_MAC_final(ctx->ctx, md, &mdlen, sizeof(md)) != 1)
		return BW_ERR_CRYPTO;
	memcpy(out, md, outlen);
	OPENSSL_cleanse(md, sizeof(md));
	return 0;
}

int crypto_hmac_oneshot(enum crypto_hmac_alg alg, const uint8_t *key, size_t keylen,
                        const uint8_t *msg, size_t msglen, uint8_t *out, size_t outlen)
{
	struct crypto_hmac *h;
	int r;

	if ((r = crypto_hmac_new(&h, alg, key, keylen)) != 0)
		return r;
	r = crypto_hmac_mac(h, msg, msglen, NULL, 0, out, outlen);
	crypto_hmac_free(h);
	return r;
}

int crypto_random(void *buf, size_t len)
{
	if (len > INT32_MAX)
		return BW_ERR_INVAL;
	return RAND_bytes(buf, (int)len) == 1 ? 0 : BW_ERR_CRYPTO;
}

bool crypto_memeq(const void *a, const void *b, size_t len)
{
	return CRYPTO_memcmp(a, b, len) == 0;
}

void crypto_wipe(void *p, size_t len)
{
	OPENSSL_cleanse(p, len);
}
