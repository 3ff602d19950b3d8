/* SPDX-License-Identifier: ISC */
/*
 * IKEv2 pseudo-random functions and hashes: PRF_HMAC_SHA2_256/384/512 (RFC
 * 4868 section 2.2 and 2.7.1: the PRF output is the full digest and, unlike
 * the truncated ESP authenticators, the key may be any length, RFC 7296
 * section 2.13 "the entire key is used") and prf+ (RFC 7296 section 2.13):
 *
 *   prf+ (K,S) = T1 | T2 | T3 | ...
 *   T1 = prf (K, S | 0x01),  Tn = prf (K, Tn-1 | S | n),  n <= 255
 *
 * Inputs are lists of segments (struct crypto_iov) so that SKEYSEED =
 * prf(Ni | Nr, g^ir), the AUTH octets (RFC 7296 2.15: message | nonce |
 * prf(SK_p, ID')) and KEYMAT seeds (g^ir | Ni | Nr) need no copying. Also
 * one-shot SHA-1/256/384/512 (NAT_DETECTION_*_IP uses SHA-1, RFC 7296 2.23;
 * CERTREQ authorities are SHA-1 of a SubjectPublicKeyInfo, RFC 7296 3.7).
 *
 * A struct crypto_prf holds a key: crypto_prf_free() wipes it. Outputs that
 * are keys are the caller's to wipe.
 */
#ifndef BW_CRYPTO_PRF_H
#define BW_CRYPTO_PRF_H

#include <stddef.h>
#include <stdint.h>

/* Values are the IANA IKEv2 Transform Type 2 numbers. */
enum crypto_prf_alg {
	CRYPTO_PRF_HMAC_SHA2_256 = 5,
	CRYPTO_PRF_HMAC_SHA2_384 = 6,
	CRYPTO_PRF_HMAC_SHA2_512 = 7,
};

enum crypto_hash_alg {
	CRYPTO_HASH_SHA1,
	CRYPTO_HASH_SHA256,
	CRYPTO_HASH_SHA384,
	CRYPTO_HASH_SHA512,
};

enum {
	CRYPTO_PRF_MAX = 64,         /* largest PRF output (SHA-512) */
	CRYPTO_HASH_MAX = 64,        /* largest digest */
	CRYPTO_PRF_PLUS_BLOCKS = 255 /* RFC 7296 2.13: the counter is one octet */
};

/* One input segment, borrowed. ptr may be NULL when len is 0. */
struct crypto_iov {
	const void *ptr;
	size_t len;
};

struct crypto_prf;

/* Output size of the PRF in bytes (32, 48, 64), 0 for an unknown value. */
size_t crypto_prf_size(enum crypto_prf_alg alg);
/* Keyed PRF context; the key (any length, even 0) is copied into OpenSSL and not kept by us. */
int crypto_prf_new(struct crypto_prf **out, enum crypto_prf_alg alg, const uint8_t *key,
                   size_t keylen);
/* Wipes and frees; NULL is accepted. */
void crypto_prf_free(struct crypto_prf *prf);
enum crypto_prf_alg crypto_prf_alg(const struct crypto_prf *prf);
/* prf(K, seg[0] | seg[1] | ...); outlen must be crypto_prf_size() exactly. */
int crypto_prf_run(struct crypto_prf *prf, const struct crypto_iov *seg, size_t nseg, uint8_t *out,
                   size_t outlen);
/*
 * prf+(K, S) with S = seg[0] | seg[1] | ...: writes outlen bytes, any length
 * from 0 to 255 * crypto_prf_size() (BW_ERR_LIMIT beyond that).
 */
int crypto_prf_plus(struct crypto_prf *prf, const struct crypto_iov *seg, size_t nseg, uint8_t *out,
                    size_t outlen);
/* One-shot forms: the key is a list of segments too (SKEYSEED's key is Ni | Nr). */
int crypto_prf_oneshot(enum crypto_prf_alg alg, const struct crypto_iov *key, size_t nkey,
                       const struct crypto_iov *seg, size_t nseg, uint8_t *out, size_t outlen);
int crypto_prf_plus_oneshot(enum crypto_prf_alg alg, const struct crypto_iov *key, size_t nkey,
                            const struct crypto_iov *seg, size_t nseg, uint8_t *out, size_t outlen);

/* Digest size (20, 32, 48, 64), 0 for an unknown value. */
size_t crypto_hash_size(enum crypto_hash_alg alg);
/* hash(seg[0] | seg[1] | ...); outlen must be crypto_hash_size() exactly. */
int crypto_hash(enum crypto_hash_alg alg, const struct crypto_iov *seg, size_t nseg, uint8_t *out,
                size_t outlen);

#endif
