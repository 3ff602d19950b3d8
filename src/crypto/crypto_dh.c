/* SPDX-License-Identifier: ISC */
/*
 * IKEv2 Diffie-Hellman (RFC 7296 3.4, RFC 3526, RFC 5903, RFC 8031) through
 * EVP_PKEY: key generation with a named group, the peer's value turned into
 * an EVP_PKEY (EVP_PKEY_fromdata for MODP and ECP, raw public key for X25519)
 * and EVP_PKEY_derive. Every peer value is validated here before derivation:
 * the length is exact, an ECP point is decoded from 0x04 | x | y (OpenSSL
 * refuses points off the curve) and checked with EVP_PKEY_public_check_quick
 * (coordinates in range, on the curve, not the identity; the NIST curves have
 * cofactor 1, so that is the whole group-membership test of SP 800-56A
 * 5.6.2.3.4 and the n*Q = O multiplication of the full check adds nothing),
 * a MODP value must satisfy 1 < y < p-1 (RFC 7296 section 5 and RFC 6989
 * section 2.1: this rules out the small-subgroup values 0, 1 and p-1; for the
 * named RFC 3526 group OpenSSL's public check also tests y^q = 1, the full
 * test of RFC 6989 section 2.2, which costs one exponentiation), and an
 * X25519 result of all zeros (a low-order peer point, RFC 7748 section 6.1,
 * RFC 8031 section 2) is refused. MODP secrets are derived with padding on,
 * so g^ir always has the length of the prime (RFC 7296 2.14).
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include "crypto/crypto.h"
#include "crypto/crypto_dh.h"
#include "lib/err.h"

enum dh_kind { DH_MODP, DH_ECP, DH_X25519 };

struct group_info {
	enum crypto_dh_group id;
	enum dh_kind kind;
	const char *name; /* OpenSSL group name (MODP, ECP) */
	size_t publen;    /* KE payload data length */
	size_t sharedlen; /* g^ir length */
};

static const struct group_info groups[] = {
        {CRYPTO_DH_MODP2048, DH_MODP, "modp_2048", 256, 256},
        {CRYPTO_DH_ECP256, DH_ECP, "P-256", 64, 32},
        {CRYPTO_DH_ECP384, DH_ECP, "P-384", 96, 48},
        {CRYPTO_DH_ECP521, DH_ECP, "P-521", 132, 66},
        {CRYPTO_DH_CURVE25519, DH_X25519, NULL, 32, 32},
};

_Static_assert(CRYPTO_DH_PUBLIC_MAX >= 256 && CRYPTO_DH_SHARED_MAX >= 256, "MODP 2048 sizes");

struct crypto_dh {
	const struct group_info *g;
	EVP_PKEY *key; /* our key pair; EVP_PKEY_free() clears the private part */
	uint8_t pub[CRYPTO_DH_PUBLIC_MAX];
};

static const struct group_info *group_find(unsigned id)
{
	for (size_t i = 0; i < sizeof(groups) / sizeof(groups[0]); i++) {
		if ((unsigned)groups[i].id == id)
			return &groups[i];
	}
	return NULL;
}

bool crypto_dh_supported(unsigned group)
{
	return group_find(group) != NULL;
}

size_t crypto_dh_public_len(enum crypto_dh_group group)
{
	const struct group_info *g = group_find((unsigned)group);

	return g != NULL ? g->publen : 0;
}

size_t crypto_dh_shared_len(enum crypto_dh_group group)
{
	const struct group_info *g = group_find((unsigned)group);

	return g != NULL ? g->sharedlen : 0;
}

enum crypto_dh_group crypto_dh_group(const struct crypto_dh *dh)
{
	return dh->g->id;
}

/*
 * Our public value in KE payload format. OpenSSL's encoded public key is the
 * MODP value already padded to the prime length, 0x04 | x | y for ECP
 * (uncompressed, the default point format) and the 32 raw bytes for X25519.
 */
static int cache_public(struct crypto_dh *dh)
{
	unsigned char *enc = NULL;
	size_t len = EVP_PKEY_get1_encoded_public_key(dh->key, &enc);
	int r = BW_ERR_CRYPTO;

	if (enc == NULL)
		return BW_ERR_CRYPTO;
	if (dh->g->kind == DH_ECP) {
		if (len == dh->g->publen + 1 && enc[0] == 0x04) {
			memcpy(dh->pub, enc + 1, dh->g->publen);
			r = 0;
		}
	} else if (len == dh->g->publen) {
		memcpy(dh->pub, enc, len);
		r = 0;
	}
	OPENSSL_free(enc);
	return r;
}

static int dh_alloc(struct crypto_dh **out, enum crypto_dh_group group)
{
	const struct group_info *g = group_find((unsigned)group);

	*out = NULL;
	if (g == NULL)
		return BW_ERR_UNSUPP;
	if ((*out = calloc(1, sizeof(**out))) == NULL)
		return BW_ERR_NOMEM;
	(*out)->g = g;
	return 0;
}

int crypto_dh_new(struct crypto_dh **out, enum crypto_dh_group group)
{
	struct crypto_dh *dh;
	EVP_PKEY_CTX *ctx = NULL;
	OSSL_PARAM params[2];
	int r;

	if ((r = dh_alloc(&dh, group)) != 0) {
		*out = NULL;
		return r;
	}
	r = BW_ERR_CRYPTO;
	switch (dh->g->kind) {
	case DH_MODP:
		ctx = EVP_PKEY_CTX_new_from_name(NULL, "DH", NULL);
		break;
	case DH_ECP:
		ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
		break;
	case DH_X25519:
		ctx = EVP_PKEY_CTX_new_from_name(NULL, "X25519", NULL);
		break;
	}
	if (ctx == NULL || EVP_PKEY_keygen_init(ctx) != 1)
		goto out;
	if (dh->g->name != NULL) {
		params[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME,
		                                             (char *)(uintptr_t)dh->g->name, 0);
		params[1] = OSSL_PARAM_construct_end();
		if (EVP_PKEY_CTX_set_params(ctx, params) != 1)
			goto out;
	}
	if (EVP_PKEY_generate(ctx, &dh->key) != 1)
		goto out;
	r = cache_public(dh);
out:
	EVP_PKEY_CTX_free(ctx);
	if (r != 0) {
		crypto_dh_free(dh);
		dh = NULL;
	}
	*out = dh;
	return r;
}

/*
 * Builds an EVP_PKEY of the group's type from parameters: the group name
 * plus a public value and optionally a private one.
 */
static EVP_PKEY *pkey_fromdata(const struct group_info *g, const uint8_t *pub, const uint8_t *priv,
                               size_t privlen)
{
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY *key = NULL;
	BIGNUM *bpub = NULL, *bpriv = NULL;
	uint8_t point[1 + 132];

	if (bld == NULL ||
	    OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, g->name, 0) != 1)
		goto out;
	if (g->kind == DH_MODP) {
		if ((bpub = BN_bin2bn(pub, (int)g->publen, NULL)) == NULL ||
		    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PUB_KEY, bpub) != 1)
			goto out;
	} else {
		/* SEC 1 uncompressed point: RFC 5903 section 7 drops the 0x04 on the wire. */
		point[0] = 0x04;
		memcpy(point + 1, pub, g->publen);
		if (OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, point,
		                                     g->publen + 1) != 1)
			goto out;
	}
	if (priv != NULL &&
	    ((bpriv = BN_secure_new()) == NULL || BN_bin2bn(priv, (int)privlen, bpriv) == NULL ||
	     OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, bpriv) != 1))
		goto out;
	if ((params = OSSL_PARAM_BLD_to_param(bld)) == NULL)
		goto out;
	ctx = EVP_PKEY_CTX_new_from_name(NULL, g->kind == DH_MODP ? "DH" : "EC", NULL);
	if (ctx == NULL || EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, &key, priv != NULL ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY,
	                      params) != 1)
		key = NULL;
out:
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params); /* the secure-heap copy of priv is clear-freed */
	OSSL_PARAM_BLD_free(bld);
	BN_free(bpub);
	BN_clear_free(bpriv);
	return key;
}

int crypto_dh_new_from_private(struct crypto_dh **out, enum crypto_dh_group group,
                               const uint8_t *priv, size_t privlen, const uint8_t *pub,
                               size_t publen)
{
	struct crypto_dh *dh;
	EVP_PKEY_CTX *ctx = NULL;
	int r;

	if ((r = dh_alloc(&dh, group)) != 0) {
		*out = NULL;
		return r;
	}
	r = BW_ERR_INVAL;
	if (priv == NULL || privlen == 0 || privlen > CRYPTO_DH_PUBLIC_MAX)
		goto out;
	if (dh->g->kind == DH_X25519) {
		if (privlen != 32)
			goto out;
		dh->key = EVP_PKEY_new_raw_private_key_ex(NULL, "X25519", NULL, priv, privlen);
	} else {
		/* OpenSSL 3.0 does not derive the public half on import, so it is an input. */
		if (pub == NULL || publen != dh->g->publen)
			goto out;
		dh->key = pkey_fromdata(dh->g, pub, priv, privlen);
	}
	if (dh->key == NULL)
		goto out;
	r = BW_ERR_CRYPTO;
	/* The private and the public half must belong together. */
	if ((ctx = EVP_PKEY_CTX_new_from_pkey(NULL, dh->key, NULL)) == NULL)
		goto out;
	r = BW_ERR_INVAL;
	if (dh->g->kind != DH_X25519 && EVP_PKEY_pairwise_check(ctx) != 1)
		goto out;
	if ((r = cache_public(dh)) != 0)
		goto out;
	if (pub != NULL && (publen != dh->g->publen || memcmp(pub, dh->pub, publen) != 0))
		r = BW_ERR_INVAL;
out:
	EVP_PKEY_CTX_free(ctx);
	if (r != 0) {
		crypto_dh_free(dh);
		dh = NULL;
	}
	*out = dh;
	return r;
}

void crypto_dh_free(struct crypto_dh *dh)
{
	if (dh == NULL)
		return;
	EVP_PKEY_free(dh->key);
	crypto_wipe(dh, sizeof(*dh));
	free(dh);
}

int crypto_dh_public(const struct crypto_dh *dh, uint8_t *buf, size_t len)
{
	if (len != dh->g->publen)
		return BW_ERR_INVAL;
	memcpy(buf, dh->pub, len);
	return 0;
}

/*
 * RFC 7296 section 5 / RFC 6989 section 2.1: a MODP peer value must satisfy
 * 1 < y < p-1. Values are compared as fixed-length big-endian byte strings
 * (public data, so no need for constant time).
 */
static int modp_check(EVP_PKEY *ours, const uint8_t *y, size_t len)
{
	uint8_t p[CRYPTO_DH_PUBLIC_MAX], pm1[CRYPTO_DH_PUBLIC_MAX], two[CRYPTO_DH_PUBLIC_MAX];
	BIGNUM *bp = NULL;
	int r = BW_ERR_CRYPTO;

	if (EVP_PKEY_get_bn_param(ours, OSSL_PKEY_PARAM_FFC_P, &bp) != 1 ||
	    BN_bn2binpad(bp, p, (int)len) != (int)len)
		goto out;
	/* p is odd, so p-1 only clears the last bit. */
	memcpy(pm1, p, len);
	pm1[len - 1] &= 0xfe;
	memset(two, 0, len);
	two[len - 1] = 2;
	r = memcmp(y, two, len) >= 0 && memcmp(y, pm1, len) < 0 ? 0 : BW_ERR_INVAL;
out:
	BN_free(bp);
	return r;
}

static EVP_PKEY *peer_key(struct crypto_dh *dh, const uint8_t *peer)
{
	EVP_PKEY *key;
	EVP_PKEY_CTX *ctx;
	bool ok;

	if (dh->g->kind == DH_X25519)
		return EVP_PKEY_new_raw_public_key_ex(NULL, "X25519", NULL, peer, 32);
	if (dh->g->kind == DH_MODP && modp_check(dh->key, peer, dh->g->publen) != 0)
		return NULL;
	if ((key = pkey_fromdata(dh->g, peer, NULL, 0)) == NULL)
		return NULL;
	/*
	 * MODP: the full check (y^q = 1). ECP: the quick check is complete for
	 * cofactor-1 curves. Derivation below then skips OpenSSL's own peer
	 * validation, which would repeat the full check.
	 */
	ctx = EVP_PKEY_CTX_new_from_pkey(NULL, key, NULL);
	ok = ctx != NULL && (dh->g->kind == DH_ECP ? EVP_PKEY_public_check_quick(ctx)
	                                           : EVP_PKEY_public_check(ctx)) == 1;
	EVP_PKEY_CTX_free(ctx);
	if (!ok) {
		EVP_PKEY_free(key);
		return NULL;
	}
	return key;
}

static bool all_zero(const uint8_t *p, size_t len)
{
	uint8_t acc = 0;

	for (size_t i = 0; i < len; i++)
		acc |= p[i];
	return acc == 0;
}

int crypto_dh_shared(struct crypto_dh *dh, const uint8_t *peer, size_t peerlen, uint8_t *out,
                     size_t outlen)
{
	EVP_PKEY *pk = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	OSSL_PARAM params[2];
	unsigned int pad = 1;
	size_t len = outlen;
	int r = BW_ERR_INVAL;

	if (outlen != dh->g->sharedlen)
		return BW_ERR_INVAL;
	memset(out, 0, outlen);
	if (peer == NULL || peerlen != dh->g->publen)
		goto out;
	if ((pk = peer_key(dh, peer)) == NULL)
		goto out;
	r = BW_ERR_CRYPTO;
	if ((ctx = EVP_PKEY_CTX_new_from_pkey(NULL, dh->key, NULL)) == NULL ||
	    EVP_PKEY_derive_init(ctx) != 1)
		goto out;
	if (dh->g->kind == DH_MODP) {
		/* g^ir is padded to the length of the prime (RFC 7296 2.14). */
		params[0] = OSSL_PARAM_construct_uint(OSSL_EXCHANGE_PARAM_PAD, &pad);
		params[1] = OSSL_PARAM_construct_end();
		if (EVP_PKEY_CTX_set_params(ctx, params) != 1)
			goto out;
	}
	/* peer_key validated pk; X25519 needs none (the all-zero result is refused below). */
	if (EVP_PKEY_derive_set_peer_ex(ctx, pk, 0) != 1) {
		r = BW_ERR_INVAL;
		goto out;
	}
	/* OpenSSL already fails X25519 on an all-zero result; the check stays explicit. */
	if (EVP_PKEY_derive(ctx, out, &len) != 1) {
		r = dh->g->kind == DH_X25519 ? BW_ERR_INVAL : BW_ERR_CRYPTO;
		goto out;
	}
	if (len != outlen) {
		r = BW_ERR_CRYPTO;
		goto out;
	}
	r = all_zero(out, outlen) ? BW_ERR_INVAL : 0;
out:
	if (r != 0)
		crypto_wipe(out, outlen);
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(pk);
	return r;
}
