/* SPDX-License-Identifier: ISC */
/*
 * The crypto module: the only code that includes OpenSSL headers, and only
 * through EVP. It offers keyed contexts that are set up once per SA and then
 * used per packet without allocation:
 *  - AEAD: AES-GCM 128/256 with a 16-byte tag (RFC 4106), ChaCha20-Poly1305
 *    (RFC 8439 / RFC 7634);
 *  - AES-CBC 128/256 (RFC 3602) without padding (ESP pads itself);
 *  - HMAC-SHA2-256/384/512 with RFC 4868 truncation;
 *  - random bytes, constant-time compare, secure wipe.
 *
 * Contexts hold key material: *_free() wipes it. A context is used by one
 * thread at a time.
 */
#ifndef BW_CRYPTO_H
#define BW_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum crypto_aead_alg {
	CRYPTO_AEAD_AES_GCM,           /* key 16 or 32 bytes, nonce 12, tag 16 (or 8, 12) */
	CRYPTO_AEAD_CHACHA20_POLY1305, /* key 32 bytes, nonce 12, tag 16 */
};

enum crypto_hmac_alg {
	CRYPTO_HMAC_SHA256,
	CRYPTO_HMAC_SHA384,
	CRYPTO_HMAC_SHA512,
};

struct crypto_aead;
struct crypto_cbc;
struct crypto_hmac;

/* One-time library set-up (loads providers); safe to call more than once. */
int crypto_init(void);

/* AEAD. The key is the cipher key only (ESP's salt is the caller's business). */
int crypto_aead_new(struct crypto_aead **out, enum crypto_aead_alg alg, const uint8_t *key,
                    size_t keylen, size_t taglen);
void crypto_aead_free(struct crypto_aead *ctx);
/*
 * Encrypts buf[0..len) in place and writes the tag. aad may be split in two
 * parts (ESP with ESN: SPI | seq-hi | seq-lo is built by the caller in one
 * piece, so aad2 is usually NULL).
 */
int crypto_aead_seal(struct crypto_aead *ctx, const uint8_t nonce[12], const uint8_t *aad,
                     size_t aadlen, uint8_t *buf, size_t len, uint8_t *tag);
/* Decrypts in place and verifies the tag; BW_ERR_AUTH if it does not verify, and then
 * buf is zeroed (unverified plaintext is never released). */
int crypto_aead_open(struct crypto_aead *ctx, const uint8_t nonce[12], const uint8_t *aad,
                     size_t aadlen, uint8_t *buf, size_t len, const uint8_t *tag);

/* AES-CBC, no padding; len must be a multiple of 16. key 16, 24 or 32 bytes. */
int crypto_cbc_new(struct crypto_cbc **out, const uint8_t *key, size_t keylen);
void crypto_cbc_free(struct crypto_cbc *ctx);
int crypto_cbc_encrypt(struct crypto_cbc *ctx, const uint8_t iv[16], uint8_t *buf, size_t len);
int crypto_cbc_decrypt(struct crypto_cbc *ctx, const uint8_t iv[16], uint8_t *buf, size_t len);

/* HMAC. Output is truncated to outlen bytes (<= the digest size). */
int crypto_hmac_new(struct crypto_hmac **out, enum crypto_hmac_alg alg, const uint8_t *key,
                    size_t keylen);
void crypto_hmac_free(struct crypto_hmac *ctx);
size_t crypto_hmac_size(enum crypto_hmac_alg alg);
/* MAC over the concatenation a | b (b may be NULL/0): ESP's ICV covers the
 * packet then the implicit ESN high bits. */
int crypto_hmac_mac(struct crypto_hmac *ctx, const uint8_t *a, size_t alen, const uint8_t *b,
                    size_t blen, uint8_t *out, size_t outlen);
/* One-shot HMAC, for tests and key derivation. */
int crypto_hmac_oneshot(enum crypto_hmac_alg alg, const uint8_t *key, size_t keylen,
                        const uint8_t *msg, size_t msglen, uint8_t *out, size_t outlen);

int crypto_random(void *buf, size_t len);
/* Constant-time: true if equal. */
bool crypto_memeq(const void *a, const void *b, size_t len);
void crypto_wipe(void *p, size_t len);

#endif
