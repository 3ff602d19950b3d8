/* SPDX-License-Identifier: ISC */
/*
 * Public-key signatures and X.509 for IKEv2 authentication (RFC 7296
 * section 2.15 and 3.6-3.8, RFC 7427 digital signatures, RFC 4754 ECDSA):
 *  - keys from PEM files; sign and verify over a list of segments (the AUTH
 *    octets are message | nonce | prf(SK_p, ID'), never copied together):
 *    RSA PKCS#1 v1.5 and RSA-PSS (RFC 4055 parameters, MGF1 with the same
 *    hash, salt = hash length, as RFC 7427 and strongSwan use) with SHA-2,
 *    ECDSA with SHA-2 either as DER Ecdsa-Sig-Value (RFC 7427, auth method
 *    14) or as fixed-size r | s (RFC 4754, auth methods 9, 10, 11);
 *  - the RFC 7427 Appendix A AlgorithmIdentifier encodings, to build the
 *    signature field and to recognise the peer's;
 *  - X.509 certificates from CERT payloads (DER, untrusted: parsed with d2i
 *    and refused unless the encoding is consumed exactly), their public key,
 *    subject DN in DER (ID_DER_ASN1_DN), subjectAltName entries (ID_FQDN,
 *    ID_RFC822_ADDR, ID_IPV4/6_ADDR), the SHA-1 of the SubjectPublicKeyInfo
 *    (CERTREQ authorities, RFC 7296 3.7), and chain verification against
 *    trust anchors at a caller-given time.
 *
 * Objects are not shared between threads. crypto_pkey_free() releases
 * private key material (OpenSSL clears it).
 */
#ifndef BW_CRYPTO_SIG_H
#define BW_CRYPTO_SIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "crypto/crypto_prf.h" /* struct crypto_iov */

enum crypto_key_type {
	CRYPTO_KEY_NONE = 0,
	CRYPTO_KEY_RSA,
	CRYPTO_KEY_EC_P256,
	CRYPTO_KEY_EC_P384,
	CRYPTO_KEY_EC_P521,
	CRYPTO_KEY_OTHER, /* loaded but not usable for IKE here (Ed25519, DSA, other curves) */
};

enum crypto_sig_scheme {
	CRYPTO_SIG_RSA_PKCS1_SHA1, /* verify-only in spirit: RFC 7296 auth method 1 peers */
	CRYPTO_SIG_RSA_PKCS1_SHA256,
	CRYPTO_SIG_RSA_PKCS1_SHA384,
	CRYPTO_SIG_RSA_PKCS1_SHA512,
	CRYPTO_SIG_RSA_PSS_SHA256,
	CRYPTO_SIG_RSA_PSS_SHA384,
	CRYPTO_SIG_RSA_PSS_SHA512,
	CRYPTO_SIG_ECDSA_SHA256,
	CRYPTO_SIG_ECDSA_SHA384,
	CRYPTO_SIG_ECDSA_SHA512,
	CRYPTO_SIG__COUNT,
};

/* ECDSA signature encoding; RSA signatures have one encoding and ignore this. */
enum crypto_sig_format {
	CRYPTO_SIG_FMT_DER, /* Ecdsa-Sig-Value SEQUENCE { r, s } (RFC 7427 section 3) */
	CRYPTO_SIG_FMT_RAW, /* r | s, each the curve's order size (RFC 4754 section 7) */
};

enum {
	CRYPTO_SIG_MAX = 1024, /* RSA up to 8192 bits; DER ECDSA P-521 is < 140 */
	CRYPTO_SAN_MAX = 255,  /* longest subjectAltName value returned */
	CRYPTO_SPKI_HASH = 20, /* SHA-1 of a SubjectPublicKeyInfo */
};

enum crypto_san_type {
	CRYPTO_SAN_DNS,   /* dNSName, ASCII */
	CRYPTO_SAN_EMAIL, /* rfc822Name, ASCII */
	CRYPTO_SAN_IP,    /* iPAddress, 4 or 16 octets */
};

struct crypto_pkey;
struct crypto_cert;
struct crypto_trust;

/* ---- keys ---- */

/* Loads a private key (PKCS#8, traditional RSA/EC; unencrypted) from a PEM file. */
int crypto_pkey_load_private_pem(struct crypto_pkey **out, const char *path);
/* Loads a public key (SubjectPublicKeyInfo PEM) from a file. */
int crypto_pkey_load_public_pem(struct crypto_pkey **out, const char *path);
void crypto_pkey_free(struct crypto_pkey *key);
enum crypto_key_type crypto_pkey_type(const struct crypto_pkey *key);
/* Key size in bits (RSA modulus, EC field). */
unsigned crypto_pkey_bits(const struct crypto_pkey *key);
/* True if both hold the same public key (a private key matches its certificate). */
bool crypto_pkey_match(const struct crypto_pkey *a, const struct crypto_pkey *b);

/* ---- signatures ---- */

/* True if the scheme can be used with this key (RSA schemes with RSA, ECDSA with EC). */
bool crypto_sig_fits(const struct crypto_pkey *key, enum crypto_sig_scheme scheme);
/* Largest signature sign() may write for this key, scheme and format. */
size_t crypto_sig_max_len(const struct crypto_pkey *key, enum crypto_sig_scheme scheme,
                          enum crypto_sig_format fmt);
/*
 * Signs seg[0] | seg[1] | ... (hashing is part of the scheme). *siglen is the
 * capacity of sig on entry and the signature length on success.
 */
int crypto_sig_sign(const struct crypto_pkey *key, enum crypto_sig_scheme scheme,
                    enum crypto_sig_format fmt, const struct crypto_iov *seg, size_t nseg,
                    uint8_t *sig, size_t *siglen);
/*
 * Verifies; 0 if valid, BW_ERR_AUTH if not (including a malformed signature),
 * BW_ERR_INVAL if the scheme does not fit the key. sig is borrowed, untrusted.
 */
int crypto_sig_verify(const struct crypto_pkey *key, enum crypto_sig_scheme scheme,
                      enum crypto_sig_format fmt, const struct crypto_iov *seg, size_t nseg,
                      const uint8_t *sig, size_t siglen);

/* The RFC 7427 AlgorithmIdentifier DER for a scheme (static storage). */
int crypto_sig_algid(enum crypto_sig_scheme scheme, const uint8_t **der, size_t *len);
/*
 * Recognises a peer's AlgorithmIdentifier (untrusted): exact match against
 * the encodings RFC 7427 Appendix A gives (PKCS#1 v1.5, ECDSA) and RSA-PSS
 * with SHA-256/384/512, MGF1 with the same hash and salt = hash length, in
 * DER, with an explicit default trailerField, or with absent hash parameters.
 * BW_ERR_UNSUPP for anything else.
 */
int crypto_sig_algid_parse(const uint8_t *der, size_t len, enum crypto_sig_scheme *scheme);

/* ---- certificates ---- */

/* Parses one DER certificate (a CERT payload body, borrowed); trailing bytes are refused. */
int crypto_cert_from_der(struct crypto_cert **out, const uint8_t *der, size_t len);
/* Loads the first certificate of a PEM file. */
int crypto_cert_load_pem(struct crypto_cert **out, const char *path);
void crypto_cert_free(struct crypto_cert *cert);
/* DER encoding (for our CERT payload). BW_ERR_NOSPACE if cap is too small; *len is set. */
int crypto_cert_to_der(const struct crypto_cert *cert, uint8_t *buf, size_t cap, size_t *len);
/* The certificate's public key, a new reference the caller frees. */
int crypto_cert_pubkey(const struct crypto_cert *cert, struct crypto_pkey **out);
/* Subject DN as DER (ID_DER_ASN1_DN). BW_ERR_NOSPACE if cap is too small. */
int crypto_cert_subject_der(const struct crypto_cert *cert, uint8_t *buf, size_t cap, size_t *len);
/* True if the DER DN (untrusted, e.g. an IDi payload) equals the subject (X509_NAME_cmp). */
bool crypto_cert_subject_eq(const struct crypto_cert *cert, const uint8_t *der, size_t len);
/*
 * The idx-th subjectAltName of the types above (others are skipped); BW_ERR_NOTFOUND
 * past the end. DNS and e-mail values are returned as their octets, unterminated.
 */
int crypto_cert_san(const struct crypto_cert *cert, size_t idx, enum crypto_san_type *type,
                    uint8_t *buf, size_t cap, size_t *len);
/* True if a subjectAltName of that type equals val (DNS/e-mail case-insensitively). */
bool crypto_cert_has_san(const struct crypto_cert *cert, enum crypto_san_type type,
                         const uint8_t *val, size_t len);
/* SHA-1 of the DER SubjectPublicKeyInfo (CERTREQ Certification Authority, RFC 7296 3.7). */
int crypto_cert_spki_sha1(const struct crypto_cert *cert, uint8_t out[CRYPTO_SPKI_HASH]);

/* ---- trust anchors and chain verification ---- */

int crypto_trust_new(struct crypto_trust **out);
void crypto_trust_free(struct crypto_trust *t);
/* Adds every certificate in a PEM file as a trust anchor; BW_ERR_INVAL if there is none. */
int crypto_trust_add_pem(struct crypto_trust *t, const char *path);
/* Adds one certificate (borrowed; the store takes its own reference). */
int crypto_trust_add(struct crypto_trust *t, const struct crypto_cert *cert);
/*
 * Verifies leaf up to a trust anchor, with untrusted intermediates (borrowed),
 * at time `now` (validity periods are checked against it, not the clock).
 * 0 if the chain verifies, BW_ERR_AUTH otherwise.
 */
int crypto_trust_verify(const struct crypto_trust *t, const struct crypto_cert *leaf,
                        const struct crypto_cert *const *chain, size_t nchain, time_t now);

#endif
