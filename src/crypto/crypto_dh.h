/* SPDX-License-Identifier: ISC */
/*
 * Diffie-Hellman for the IKEv2 KE payload (RFC 7296 section 3.4; IANA
 * "Transform Type 4" numbers): MODP group 14 (RFC 3526 section 3, 2048-bit),
 * ECP groups 19/20/21 (RFC 5903: NIST P-256/384/521, public value x | y with
 * each coordinate zero-padded to the field size, shared secret x only) and
 * group 31, Curve25519 (RFC 8031: 32-byte public value and shared secret, an
 * all-zero shared secret is refused). MODP public values and shared secrets
 * are zero-padded on the left to the length of the prime (RFC 7296 3.4 and
 * 2.14). Peer values are checked before use: exact length, the point is on
 * the curve, and for MODP 1 < y < p-1.
 *
 * A struct crypto_dh holds a private key: crypto_dh_free() wipes it.
 */
#ifndef BW_CRYPTO_DH_H
#define BW_CRYPTO_DH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Values are the IANA IKEv2 Transform Type 4 numbers. */
enum crypto_dh_group {
	CRYPTO_DH_MODP2048 = 14,
	CRYPTO_DH_ECP256 = 19,
	CRYPTO_DH_ECP384 = 20,
	CRYPTO_DH_ECP521 = 21,
	CRYPTO_DH_CURVE25519 = 31,
};

enum {
	CRYPTO_DH_PUBLIC_MAX = 256, /* MODP 2048 */
	CRYPTO_DH_SHARED_MAX = 256,
};

struct crypto_dh;

/* True if the IANA group number is one this module implements. */
bool crypto_dh_supported(unsigned group);
/* KE payload data length for the group (256, 64, 96, 132, 32), 0 if unsupported. */
size_t crypto_dh_public_len(enum crypto_dh_group group);
/* Shared secret length g^ir (256, 32, 48, 66, 32), 0 if unsupported. */
size_t crypto_dh_shared_len(enum crypto_dh_group group);

/* Generates a fresh key pair. *out is NULL on failure. BW_ERR_UNSUPP for an unknown group. */
int crypto_dh_new(struct crypto_dh **out, enum crypto_dh_group group);
/*
 * TEST ONLY (known-answer tests such as RFC 5903 section 8): builds the key
 * pair from a fixed private value, big-endian for MODP/ECP, as long as the group's private
 * scalar (MODP: up to 256 bytes; ECP: the field size; Curve25519: the 32
 * raw bytes exactly as RFC 7748 prints them). MODP and ECP also need the matching public
 * value in KE payload format (pub, publen), which is checked against the
 * private key; Curve25519 derives it, and pub must then be NULL or match.
 * Never use this for real keys: private values must come from crypto_dh_new().
 */
int crypto_dh_new_from_private(struct crypto_dh **out, enum crypto_dh_group group,
                               const uint8_t *priv, size_t privlen, const uint8_t *pub,
                               size_t publen);
/* Wipes and frees; NULL is accepted. */
void crypto_dh_free(struct crypto_dh *dh);

enum crypto_dh_group crypto_dh_group(const struct crypto_dh *dh);
/* Writes our public value in KE payload format; len must be crypto_dh_public_len() exactly. */
int crypto_dh_public(const struct crypto_dh *dh, uint8_t *buf, size_t len);
/*
 * Computes g^ir from the peer's KE payload data (borrowed). The peer value
 * must be exactly crypto_dh_public_len() bytes and valid for the group,
 * else BW_ERR_INVAL (the IKE module answers INVALID_SYNTAX); outlen must be
 * crypto_dh_shared_len() exactly. On failure out is zeroed. The result is a
 * secret: the caller wipes it.
 */
int crypto_dh_shared(struct crypto_dh *dh, const uint8_t *peer, size_t peerlen, uint8_t *out,
                     size_t outlen);

#endif
