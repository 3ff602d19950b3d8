/* SPDX-License-Identifier: ISC */
/*
 * Signatures and X.509 for IKEv2 AUTH (RFC 7296 2.15, RFC 7427, RFC 4754)
 * through EVP_PKEY and EVP_DigestSign/EVP_DigestVerify. RSA-PSS uses MGF1
 * with the message hash and a salt as long as the hash (RFC 7427 section 3
 * refers to RFC 4055; that is what the AlgorithmIdentifiers below declare).
 * ECDSA signatures convert between DER and fixed-size r | s with OpenSSL's
 * ECDSA_SIG ASN.1 codec (no low-level key API). Certificates from the peer
 * are parsed with d2i_X509 and must be consumed exactly; chains are verified
 * with an X509_STORE at the time the caller passes in. Nothing here logs.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "crypto/crypto.h"
#include "crypto/crypto_sig.h"
#include "lib/err.h"

struct crypto_pkey {
	EVP_PKEY *pk;
	enum crypto_key_type type;
};

struct crypto_cert {
	X509 *x;
};

struct crypto_trust {
	X509_STORE *store;
};

/* ---- keys ---- */

static enum crypto_key_type classify(EVP_PKEY *pk)
{
	char group[64];
	size_t len = 0;

	if (EVP_PKEY_is_a(pk, "RSA"))
		return CRYPTO_KEY_RSA;
	if (!EVP_PKEY_is_a(pk, "EC"))
		return CRYPTO_KEY_OTHER;
	if (EVP_PKEY_get_utf8_string_param(pk, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group),
	                                   &len) != 1)
		return CRYPTO_KEY_OTHER;
	if (strcmp(group, "prime256v1") == 0 || strcmp(group, "P-256") == 0)
		return CRYPTO_KEY_EC_P256;
	if (strcmp(group, "secp384r1") == 0 || strcmp(group, "P-384") == 0)
		return CRYPTO_KEY_EC_P384;
	if (strcmp(group, "secp521r1") == 0 || strcmp(group, "P-521") == 0)
		return CRYPTO_KEY_EC_P521;
	return CRYPTO_KEY_OTHER;
}

static int pkey_wrap(struct crypto_pkey **out, EVP_PKEY *pk)
{
	if ((*out = calloc(1, sizeof(**out))) == NULL) {
		EVP_PKEY_free(pk);
		return BW_ERR_NOMEM;
	}
	(*out)->pk = pk;
	(*out)->type = classify(pk);
	return 0;
}

static int pkey_load(struct crypto_pkey **out, const char *path, bool priv)
{
	EVP_PKEY *pk;
	FILE *fp;

	*out = NULL;
	if ((fp = fopen(path, "r")) == NULL)
		return BW_ERR_IO;
	/* No passphrase callback: encrypted keys are refused rather than prompting. */
	pk = priv ? PEM_read_PrivateKey(fp, NULL, NULL, (void *)(uintptr_t) "")
	          : PEM_read_PUBKEY(fp, NULL, NULL, (void *)(uintptr_t) "");
	fclose(fp);
	if (pk == NULL)
		return BW_ERR_INVAL;
	return pkey_wrap(out, pk);
}

int crypto_pkey_load_private_pem(struct crypto_pkey **out, const char *path)
{
	return pkey_load(out, path, true);
}

int crypto_pkey_load_public_pem(struct crypto_pkey **out, const char *path)
{
	return pkey_load(out, path, false);
}

void crypto_pkey_free(struct crypto_pkey *key)
{
	if (key == NULL)
		return;
	EVP_PKEY_free(key->pk);
	free(key);
}

enum crypto_key_type crypto_pkey_type(const struct crypto_pkey *key)
{
	return key->type;
}

unsigned crypto_pkey_bits(const struct crypto_pkey *key)
{
	int bits = EVP_PKEY_get_bits(key->pk);

	return bits > 0 ? (unsigned)bits : 0;
}

bool crypto_pkey_match(const struct crypto_pkey *a, const struct crypto_pkey *b)
{
	return EVP_PKEY_eq(a->pk, b->pk) == 1;
}

/* ---- signatures ---- */

struct scheme_info {
	const char *md;
	bool rsa, pss;
};

static const struct scheme_info schemes[CRYPTO_SIG__COUNT] = {
        [CRYPTO_SIG_RSA_PKCS1_SHA1] = {"SHA1", true, false},
        [CRYPTO_SIG_RSA_PKCS1_SHA256] = {"SHA256", true, false},
        [CRYPTO_SIG_RSA_PKCS1_SHA384] = {"SHA384", true, false},
        [CRYPTO_SIG_RSA_PKCS1_SHA512] = {"SHA512", true, false},
        [CRYPTO_SIG_RSA_PSS_SHA256] = {"SHA256", true, true},
        [CRYPTO_SIG_RSA_PSS_SHA384] = {"SHA384", true, true},
        [CRYPTO_SIG_RSA_PSS_SHA512] = {"SHA512", true, true},
        [CRYPTO_SIG_ECDSA_SHA256] = {"SHA256", false, false},
        [CRYPTO_SIG_ECDSA_SHA384] = {"SHA384", false, false},
        [CRYPTO_SIG_ECDSA_SHA512] = {"SHA512", false, false},
};

static const struct scheme_info *scheme_get(enum crypto_sig_scheme s)
{
	return (unsigned)s < CRYPTO_SIG__COUNT ? &schemes[s] : NULL;
}

static bool is_ec(enum crypto_key_type t)
{
	return t == CRYPTO_KEY_EC_P256 || t == CRYPTO_KEY_EC_P384 || t == CRYPTO_KEY_EC_P521;
}

bool crypto_sig_fits(const struct crypto_pkey *key, enum crypto_sig_scheme scheme)
{
	const struct scheme_info *si = scheme_get(scheme);

	if (si == NULL)
		return false;
	return si->rsa ? key->type == CRYPTO_KEY_RSA : is_ec(key->type);
}

/* Size of r and of s in the fixed format: the group order's length (RFC 4754 section 7). */
static size_t ec_half(enum crypto_key_type t)
{
	switch (t) {
	case CRYPTO_KEY_EC_P256:
		return 32;
	case CRYPTO_KEY_EC_P384:
		return 48;
	case CRYPTO_KEY_EC_P521:
		return 66;
	default:
		return 0;
	}
}

size_t crypto_sig_max_len(const struct crypto_pkey *key, enum crypto_sig_scheme scheme,
                          enum crypto_sig_format fmt)
{
	int n;

	if (!crypto_sig_fits(key, scheme))
		return 0;
	if (!schemes[scheme].rsa && fmt == CRYPTO_SIG_FMT_RAW)
		return 2 * ec_half(key->type);
	n = EVP_PKEY_get_size(key->pk);
	return n > 0 ? (size_t)n : 0;
}

/* Sets up a DigestSign/DigestVerify context with the scheme's padding. */
static EVP_MD_CTX *md_ctx(const struct crypto_pkey *key, const struct scheme_info *si, bool sign)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pctx = NULL;
	int ok;

	if (ctx == NULL)
		return NULL;
	ok = sign ? EVP_DigestSignInit_ex(ctx, &pctx, si->md, NULL, NULL, key->pk, NULL)
	          : EVP_DigestVerifyInit_ex(ctx, &pctx, si->md, NULL, NULL, key->pk, NULL);
	if (ok == 1 && si->pss) {
		/* RFC 4055 / RFC 7427: MGF1 with the same hash, salt = hash length. */
		ok = EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1 &&
		     EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) == 1 &&
		     EVP_PKEY_CTX_set_rsa_mgf1_md_name(pctx, si->md, NULL) == 1;
	} else if (ok == 1 && si->rsa) {
		ok = EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) == 1;
	}
	if (ok != 1) {
		EVP_MD_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

/* DER Ecdsa-Sig-Value -> r | s, each half bytes. */
static int ecdsa_der_to_raw(const uint8_t *der, size_t len, size_t half, uint8_t *raw)
{
	const unsigned char *p = der;
	ECDSA_SIG *es;
	const BIGNUM *r, *s;
	int ret = BW_ERR_AUTH;

	if (len > INT32_MAX || (es = d2i_ECDSA_SIG(NULL, &p, (long)len)) == NULL)
		return BW_ERR_AUTH;
	ECDSA_SIG_get0(es, &r, &s);
	if ((size_t)(p - der) == len && BN_bn2binpad(r, raw, (int)half) == (int)half &&
	    BN_bn2binpad(s, raw + half, (int)half) == (int)half)
		ret = 0;
	ECDSA_SIG_free(es);
	return ret;
}

/* r | s -> DER Ecdsa-Sig-Value in *der (OPENSSL_free'd by the caller). */
static int ecdsa_raw_to_der(const uint8_t *raw, size_t half, unsigned char **der, size_t *len)
{
	ECDSA_SIG *es = ECDSA_SIG_new();
	BIGNUM *r = BN_bin2bn(raw, (int)half, NULL), *s = BN_bin2bn(raw + half, (int)half, NULL);
	int n;

	*der = NULL;
	if (es == NULL || r == NULL || s == NULL || ECDSA_SIG_set0(es, r, s) != 1) {
		BN_free(r);
		BN_free(s);
		ECDSA_SIG_free(es);
		return BW_ERR_NOMEM;
	}
	n = i2d_ECDSA_SIG(es, der);
	ECDSA_SIG_free(es);
	if (n <= 0)
		return BW_ERR_CRYPTO;
	*len = (size_t)n;
	return 0;
}

int crypto_sig_sign(const struct crypto_pkey *key, enum crypto_sig_scheme scheme,
                    enum crypto_sig_format fmt, const struct crypto_iov *seg, size_t nseg,
                    uint8_t *sig, size_t *siglen)
{
	const struct scheme_info *si = scheme_get(scheme);
	uint8_t buf[CRYPTO_SIG_MAX];
	size_t len = sizeof(buf), cap = *siglen, half = ec_half(key->type);
	EVP_MD_CTX *ctx;
	int r = BW_ERR_CRYPTO;

	if (!crypto_sig_fits(key, scheme))
		return BW_ERR_INVAL;
	if ((size_t)EVP_PKEY_get_size(key->pk) > sizeof(buf))
		return BW_ERR_UNSUPP;
	if ((ctx = md_ctx(key, si, true)) == NULL)
		return BW_ERR_CRYPTO;
	for (size_t i = 0; i < nseg; i++) {
		if (seg[i].len > 0 && (seg[i].ptr == NULL ||
		                       EVP_DigestSignUpdate(ctx, seg[i].ptr, seg[i].len) != 1)) {
			r = BW_ERR_INVAL;
			goto out;
		}
	}
	if (EVP_DigestSignFinal(ctx, buf, &len) != 1)
		goto out;
	if (!si->rsa && fmt == CRYPTO_SIG_FMT_RAW) {
		if (2 * half > cap) {
			r = BW_ERR_NOSPACE;
			goto out;
		}
		if ((r = ecdsa_der_to_raw(buf, len, half, sig)) != 0) {
			r = BW_ERR_CRYPTO;
			goto out;
		}
		*siglen = 2 * half;
	} else {
		if (len > cap) {
			r = BW_ERR_NOSPACE;
			goto out;
		}
		memcpy(sig, buf, len);
		*siglen = len;
	}
	r = 0;
out:
	EVP_MD_CTX_free(ctx);
	return r;
}

int crypto_sig_verify(const struct crypto_pkey *key, enum crypto_sig_scheme scheme,
                      enum crypto_sig_format fmt, const struct crypto_iov *seg, size_t nseg,
                      const uint8_t *sig, size_t siglen)
{
	const struct scheme_info *si = scheme_get(scheme);
	unsigned char *der = NULL;
	size_t derlen = siglen, half = ec_half(key->type);
	EVP_MD_CTX *ctx = NULL;
	int r = BW_ERR_AUTH;

	if (!crypto_sig_fits(key, scheme))
		return BW_ERR_INVAL;
	if (!si->rsa && fmt == CRYPTO_SIG_FMT_RAW) {
		/* Fixed size exactly (RFC 4754 section 7). */
		if (siglen != 2 * half)
			return BW_ERR_AUTH;
		if ((r = ecdsa_raw_to_der(sig, half, &der, &derlen)) != 0)
			return r;
		r = BW_ERR_AUTH;
	}
	if ((ctx = md_ctx(key, si, false)) == NULL) {
		r = BW_ERR_CRYPTO;
		goto out;
	}
	for (size_t i = 0; i < nseg; i++) {
		if (seg[i].len > 0 && (seg[i].ptr == NULL ||
		                       EVP_DigestVerifyUpdate(ctx, seg[i].ptr, seg[i].len) != 1)) {
			r = BW_ERR_INVAL;
			goto out;
		}
	}
	/*
	 * 1 is valid; 0 is a bad signature and a negative value a malformed one
	 * (for DER ECDSA OpenSSL also refuses non-canonical encodings): both AUTH.
	 */
	if (EVP_DigestVerifyFinal(ctx, der != NULL ? der : sig, derlen) == 1)
		r = 0;
out:
	EVP_MD_CTX_free(ctx);
	OPENSSL_free(der);
	return r;
}

/* ---- RFC 7427 AlgorithmIdentifiers ---- */

/* Appendix A.1 (PKCS#1 v1.5 with NULL parameters), A.3 (ECDSA), A.4.3 (PSS, SHA-256). */
static const uint8_t alg_rsa_sha1[] = {0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86,
                                       0xf7, 0x0d, 0x01, 0x01, 0x05, 0x05, 0x00};
static const uint8_t alg_rsa_sha256[] = {0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86,
                                         0xf7, 0x0d, 0x01, 0x01, 0x0b, 0x05, 0x00};
static const uint8_t alg_rsa_sha384[] = {0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86,
                                         0xf7, 0x0d, 0x01, 0x01, 0x0c, 0x05, 0x00};
static const uint8_t alg_rsa_sha512[] = {0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86,
                                         0xf7, 0x0d, 0x01, 0x01, 0x0d, 0x05, 0x00};
static const uint8_t alg_ecdsa_sha256[] = {0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86,
                                           0x48, 0xce, 0x3d, 0x04, 0x03, 0x02};
static const uint8_t alg_ecdsa_sha384[] = {0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86,
                                           0x48, 0xce, 0x3d, 0x04, 0x03, 0x03};
static const uint8_t alg_ecdsa_sha512[] = {0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86,
                                           0x48, 0xce, 0x3d, 0x04, 0x03, 0x04};

/*
 * RSASSA-PSS-params (RFC 4055 section 3.1) for hash h (last OID octet 1, 2,
 * 3 = SHA-256/384/512) and salt length, in DER (defaults omitted, X.690
 * 11.5), which is what OpenSSL and strongSwan write:
 *   30 41  06 09 2a864886f70d01010a                          id-RSASSA-PSS
 *          30 34  a0 0f  30 0d 06 09 608648016503040201 05 00  hashAlgorithm
 *                 a1 1c  30 1a 06 09 2a864886f70d010108        maskGenAlgorithm
 *                               30 0d 06 09 608648016503040201 05 00
 *                 a2 03  02 01 20                              saltLength
 * Also accepted from peers: the same with the default trailerField spelled
 * out (a3 03 02 01 01, as RFC 7427 A.4.3 prints it) and with the hash
 * parameters absent instead of NULL (RFC 4055 section 2.1 allows both).
 */
#define PSS_OID     0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0a
#define MGF1_OID    0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x08
#define SHA2_OID(h) 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, (h)
#define PSS_ALGID(h, salt)                                                                         \
	{                                                                                          \
		0x30, 0x41, PSS_OID, 0x30, 0x34, 0xa0, 0x0f, 0x30, 0x0d, SHA2_OID(h), 0x05, 0x00,  \
		        0xa1, 0x1c, 0x30, 0x1a, MGF1_OID, 0x30, 0x0d, SHA2_OID(h), 0x05, 0x00,     \
		        0xa2, 0x03, 0x02, 0x01, (salt)                                             \
	}
#define PSS_ALGID_TRAILER(h, salt)                                                                 \
	{                                                                                          \
		0x30, 0x46, PSS_OID, 0x30, 0x39, 0xa0, 0x0f, 0x30, 0x0d, SHA2_OID(h), 0x05, 0x00,  \
		        0xa1, 0x1c, 0x30, 0x1a, MGF1_OID, 0x30, 0x0d, SHA2_OID(h), 0x05, 0x00,     \
		        0xa2, 0x03, 0x02, 0x01, (salt), 0xa3, 0x03, 0x02, 0x01, 0x01               \
	}
#define PSS_ALGID_NONULL(h, salt)                                                                  \
	{                                                                                          \
		0x30, 0x3d, PSS_OID, 0x30, 0x30, 0xa0, 0x0d, 0x30, 0x0b, SHA2_OID(h), 0xa1, 0x1a,  \
		        0x30, 0x18, MGF1_OID, 0x30, 0x0b, SHA2_OID(h), 0xa2, 0x03, 0x02, 0x01,     \
		        (salt)                                                                     \
	}

static const uint8_t alg_pss_sha256[] = PSS_ALGID(0x01, 32);
static const uint8_t alg_pss_sha384[] = PSS_ALGID(0x02, 48);
static const uint8_t alg_pss_sha512[] = PSS_ALGID(0x03, 64);
static const uint8_t alg_pss_sha256_trailer[] = PSS_ALGID_TRAILER(0x01, 32);
static const uint8_t alg_pss_sha384_trailer[] = PSS_ALGID_TRAILER(0x02, 48);
static const uint8_t alg_pss_sha512_trailer[] = PSS_ALGID_TRAILER(0x03, 64);
static const uint8_t alg_pss_sha256_nonull[] = PSS_ALGID_NONULL(0x01, 32);
static const uint8_t alg_pss_sha384_nonull[] = PSS_ALGID_NONULL(0x02, 48);
static const uint8_t alg_pss_sha512_nonull[] = PSS_ALGID_NONULL(0x03, 64);

/* The outer SEQUENCE length octet plus its 2-octet header gives the size. */
_Static_assert(sizeof(alg_pss_sha256) == 0x41 + 2, "PSS AlgorithmIdentifier size");
_Static_assert(sizeof(alg_pss_sha256_trailer) == 0x46 + 2, "PSS with trailerField size");
_Static_assert(sizeof(alg_pss_sha256_nonull) == 0x3d + 2, "PSS without NULL size");

struct algid {
	enum crypto_sig_scheme scheme;
	const uint8_t *der;
	size_t len;
	bool preferred; /* the one we send */
};

#define ALGID(s, a, p)                                                                             \
	{                                                                                          \
		(s), (a), sizeof(a), (p)                                                           \
	}
static const struct algid algids[] = {
        ALGID(CRYPTO_SIG_RSA_PKCS1_SHA1, alg_rsa_sha1, true),
        ALGID(CRYPTO_SIG_RSA_PKCS1_SHA256, alg_rsa_sha256, true),
        ALGID(CRYPTO_SIG_RSA_PKCS1_SHA384, alg_rsa_sha384, true),
        ALGID(CRYPTO_SIG_RSA_PKCS1_SHA512, alg_rsa_sha512, true),
        ALGID(CRYPTO_SIG_RSA_PSS_SHA256, alg_pss_sha256, true),
        ALGID(CRYPTO_SIG_RSA_PSS_SHA384, alg_pss_sha384, true),
        ALGID(CRYPTO_SIG_RSA_PSS_SHA512, alg_pss_sha512, true),
        ALGID(CRYPTO_SIG_RSA_PSS_SHA256, alg_pss_sha256_trailer, false),
        ALGID(CRYPTO_SIG_RSA_PSS_SHA384, alg_pss_sha384_trailer, false),
        ALGID(CRYPTO_SIG_RSA_PSS_SHA512, alg_pss_sha512_trailer, false),
        ALGID(CRYPTO_SIG_RSA_PSS_SHA256, alg_pss_sha256_nonull, false),
        ALGID(CRYPTO_SIG_RSA_PSS_SHA384, alg_pss_sha384_nonull, false),
        ALGID(CRYPTO_SIG_RSA_PSS_SHA512, alg_pss_sha512_nonull, false),
        ALGID(CRYPTO_SIG_ECDSA_SHA256, alg_ecdsa_sha256, true),
        ALGID(CRYPTO_SIG_ECDSA_SHA384, alg_ecdsa_sha384, true),
        ALGID(CRYPTO_SIG_ECDSA_SHA512, alg_ecdsa_sha512, true),
};

int crypto_sig_algid(enum crypto_sig_scheme scheme, const uint8_t **der, size_t *len)
{
	for (size_t i = 0; i < sizeof(algids) / sizeof(algids[0]); i++) {
		if (algids[i].scheme == scheme && algids[i].preferred) {
			*der = algids[i].der;
			*len = algids[i].len;
			return 0;
		}
	}
	return BW_ERR_UNSUPP;
}

int crypto_sig_algid_parse(const uint8_t *der, size_t len, enum crypto_sig_scheme *scheme)
{
	for (size_t i = 0; i < sizeof(algids) / sizeof(algids[0]); i++) {
		/* Fixed encodings: the length must match exactly, then the bytes. */
		if (algids[i].len == len && memcmp(algids[i].der, der, len) == 0) {
			*scheme = algids[i].scheme;
			return 0;
		}
	}
	return BW_ERR_UNSUPP;
}

/* ---- certificates ---- */

static int cert_wrap(struct crypto_cert **out, X509 *x)
{
	if ((*out = calloc(1, sizeof(**out))) == NULL) {
		X509_free(x);
		return BW_ERR_NOMEM;
	}
	(*out)->x = x;
	return 0;
}

int crypto_cert_from_der(struct crypto_cert **out, const uint8_t *der, size_t len)
{
	const unsigned char *p = der;
	X509 *x;

	*out = NULL;
	if (der == NULL || len == 0 || len > INT32_MAX)
		return BW_ERR_INVAL;
	if ((x = d2i_X509(NULL, &p, (long)len)) == NULL)
		return BW_ERR_INVAL;
	/* RFC 7296 3.6: the payload holds one certificate; anything after it is malformed. */
	if ((size_t)(p - der) != len) {
		X509_free(x);
		return BW_ERR_INVAL;
	}
	return cert_wrap(out, x);
}

int crypto_cert_load_pem(struct crypto_cert **out, const char *path)
{
	FILE *fp;
	X509 *x;

	*out = NULL;
	if ((fp = fopen(path, "r")) == NULL)
		return BW_ERR_IO;
	x = PEM_read_X509(fp, NULL, NULL, NULL);
	fclose(fp);
	if (x == NULL)
		return BW_ERR_INVAL;
	return cert_wrap(out, x);
}

void crypto_cert_free(struct crypto_cert *cert)
{
	if (cert == NULL)
		return;
	X509_free(cert->x);
	free(cert);
}

/* Copies an i2d encoding into buf; *len is always the needed length. */
static int copy_der(unsigned char *der, int n, uint8_t *buf, size_t cap, size_t *len)
{
	int r = 0;

	if (n <= 0 || der == NULL)
		return BW_ERR_CRYPTO;
	*len = (size_t)n;
	if ((size_t)n > cap)
		r = BW_ERR_NOSPACE;
	else
		memcpy(buf, der, (size_t)n);
	OPENSSL_free(der);
	return r;
}

int crypto_cert_to_der(const struct crypto_cert *cert, uint8_t *buf, size_t cap, size_t *len)
{
	unsigned char *der = NULL;
	int n = i2d_X509(cert->x, &der);

	return copy_der(der, n, buf, cap, len);
}

int crypto_cert_pubkey(const struct crypto_cert *cert, struct crypto_pkey **out)
{
	EVP_PKEY *pk = X509_get_pubkey(cert->x); /* new reference */

	*out = NULL;
	if (pk == NULL)
		return BW_ERR_INVAL;
	return pkey_wrap(out, pk);
}

int crypto_cert_subject_der(const struct crypto_cert *cert, uint8_t *buf, size_t cap, size_t *len)
{
	unsigned char *der = NULL;
	int n = i2d_X509_NAME(X509_get_subject_name(cert->x), &der);

	return copy_der(der, n, buf, cap, len);
}

bool crypto_cert_subject_eq(const struct crypto_cert *cert, const uint8_t *der, size_t len)
{
	const unsigned char *p = der;
	X509_NAME *name;
	bool eq;

	if (der == NULL || len == 0 || len > INT32_MAX)
		return false;
	if ((name = d2i_X509_NAME(NULL, &p, (long)len)) == NULL)
		return false;
	eq = (size_t)(p - der) == len && X509_NAME_cmp(name, X509_get_subject_name(cert->x)) == 0;
	X509_NAME_free(name);
	return eq;
}

/* Maps a GENERAL_NAME to our types; false for types we skip. */
static bool san_value(const GENERAL_NAME *gn, enum crypto_san_type *type, const unsigned char **p,
                      size_t *len)
{
	const ASN1_STRING *s;

	switch (gn->type) {
	case GEN_DNS:
		*type = CRYPTO_SAN_DNS;
		s = gn->d.dNSName;
		break;
	case GEN_EMAIL:
		*type = CRYPTO_SAN_EMAIL;
		s = gn->d.rfc822Name;
		break;
	case GEN_IPADD:
		*type = CRYPTO_SAN_IP;
		s = gn->d.iPAddress;
		/* RFC 5280 4.2.1.6: 4 or 16 octets for an address (not a range). */
		if (ASN1_STRING_length(s) != 4 && ASN1_STRING_length(s) != 16)
			return false;
		break;
	default:
		return false;
	}
	if (ASN1_STRING_length(s) < 0)
		return false;
	*p = ASN1_STRING_get0_data(s);
	*len = (size_t)ASN1_STRING_length(s);
	return true;
}

int crypto_cert_san(const struct crypto_cert *cert, size_t idx, enum crypto_san_type *type,
                    uint8_t *buf, size_t cap, size_t *len)
{
	GENERAL_NAMES *names = X509_get_ext_d2i(cert->x, NID_subject_alt_name, NULL, NULL);
	int r = BW_ERR_NOTFOUND;
	size_t seen = 0;

	if (names == NULL)
		return BW_ERR_NOTFOUND;
	for (int i = 0; i < sk_GENERAL_NAME_num(names); i++) {
		const unsigned char *p;
		size_t n;

		if (!san_value(sk_GENERAL_NAME_value(names, i), type, &p, &n))
			continue;
		if (seen++ != idx)
			continue;
		*len = n;
		if (n > cap) {
			r = BW_ERR_NOSPACE;
		} else {
			memcpy(buf, p, n);
			r = 0;
		}
		break;
	}
	GENERAL_NAMES_free(names);
	return r;
}

static bool ascii_caseeq(const unsigned char *a, const uint8_t *b, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char x = a[i], y = b[i];

		if (x >= 'A' && x <= 'Z')
			x = (unsigned char)(x - 'A' + 'a');
		if (y >= 'A' && y <= 'Z')
			y = (unsigned char)(y - 'A' + 'a');
		if (x != y)
			return false;
	}
	return true;
}

bool crypto_cert_has_san(const struct crypto_cert *cert, enum crypto_san_type type,
                         const uint8_t *val, size_t len)
{
	GENERAL_NAMES *names = X509_get_ext_d2i(cert->x, NID_subject_alt_name, NULL, NULL);
	bool found = false;

	if (names == NULL)
		return false;
	for (int i = 0; i < sk_GENERAL_NAME_num(names) && !found; i++) {
		enum crypto_san_type t;
		const unsigned char *p;
		size_t n;

		if (!san_value(sk_GENERAL_NAME_value(names, i), &t, &p, &n) || t != type ||
		    n != len)
			continue;
		found = type == CRYPTO_SAN_IP ? memcmp(p, val, len) == 0
		                              : ascii_caseeq(p, val, len);
	}
	GENERAL_NAMES_free(names);
	return found;
}

int crypto_cert_spki_sha1(const struct crypto_cert *cert, uint8_t out[CRYPTO_SPKI_HASH])
{
	unsigned char *der = NULL;
	int n = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(cert->x), &der);
	struct crypto_iov seg;
	int r;

	if (n <= 0 || der == NULL)
		return BW_ERR_CRYPTO;
	seg.ptr = der;
	seg.len = (size_t)n;
	r = crypto_hash(CRYPTO_HASH_SHA1, &seg, 1, out, CRYPTO_SPKI_HASH);
	OPENSSL_free(der);
	return r;
}

/* ---- trust ---- */

int crypto_trust_new(struct crypto_trust **out)
{
	struct crypto_trust *t;

	*out = NULL;
	if ((t = calloc(1, sizeof(*t))) == NULL)
		return BW_ERR_NOMEM;
	if ((t->store = X509_STORE_new()) == NULL) {
		free(t);
		return BW_ERR_NOMEM;
	}
	*out = t;
	return 0;
}

void crypto_trust_free(struct crypto_trust *t)
{
	if (t == NULL)
		return;
	X509_STORE_free(t->store);
	free(t);
}

int crypto_trust_add(struct crypto_trust *t, const struct crypto_cert *cert)
{
	return X509_STORE_add_cert(t->store, cert->x) == 1 ? 0 : BW_ERR_INVAL;
}

int crypto_trust_add_pem(struct crypto_trust *t, const char *path)
{
	FILE *fp;
	X509 *x;
	int n = 0, r = 0;

	if ((fp = fopen(path, "r")) == NULL)
		return BW_ERR_IO;
	while (r == 0 && (x = PEM_read_X509(fp, NULL, NULL, NULL)) != NULL) {
		if (X509_STORE_add_cert(t->store, x) != 1)
			r = BW_ERR_INVAL;
		X509_free(x); /* the store holds its own reference */
		n++;
	}
	fclose(fp);
	return r != 0 ? r : n > 0 ? 0 : BW_ERR_INVAL;
}

int crypto_trust_verify(const struct crypto_trust *t, const struct crypto_cert *leaf,
                        const struct crypto_cert *const *chain, size_t nchain, time_t now)
{
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	STACK_OF(X509) *untrusted = sk_X509_new_null();
	int r = BW_ERR_NOMEM;

	if (ctx == NULL || untrusted == NULL)
		goto out;
	for (size_t i = 0; i < nchain; i++) {
		if (sk_X509_push(untrusted, chain[i]->x) <= 0)
			goto out;
	}
	r = BW_ERR_CRYPTO;
	if (X509_STORE_CTX_init(ctx, t->store, leaf->x, untrusted) != 1)
		goto out;
	/* Time is an input: validity periods are checked against `now`. */
	X509_STORE_CTX_set_time(ctx, 0, now);
	r = X509_verify_cert(ctx) == 1 ? 0 : BW_ERR_AUTH;
out:
	X509_STORE_CTX_free(ctx);
	sk_X509_free(untrusted); /* borrowed certificates: free the stack only */
	return r;
}
