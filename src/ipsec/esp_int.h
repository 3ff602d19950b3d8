/* SPDX-License-Identifier: ISC */
/*
 * ESP internals shared by the esp_*.c files (and by tests and the fuzz
 * target, which need to reach into an SA): the SA layout, the wire-format
 * constants and the per-transform sizes. Other modules use esp.h only.
 */
#ifndef BW_ESP_INT_H
#define BW_ESP_INT_H

#include "crypto/crypto.h"
#include "ipsec/esp.h"

/* Wire-format sizes (RFC 4303 2, RFC 4106 3, RFC 7634 2, RFC 3602 3). */
enum {
	ESP_HDR_LEN = 8,     /* SPI | sequence number */
	ESP_TRAILER_LEN = 2, /* pad length | next header */
	ESP_AEAD_IV_LEN = 8, /* explicit IV of GCM and ChaCha20-Poly1305 */
	ESP_CBC_IV_LEN = 16,
	ESP_AEAD_ICV_LEN = 16,
	ESP_SALT_LEN = 4,
	ESP_NONCE_LEN = 12, /* salt | IV */
	ESP_AEAD_BLOCK = 4, /* RFC 4303 2.4: 4-byte alignment for stream modes */
	ESP_CBC_BLOCK = 16,
	ESP_ICV_MAX = 32,
	ESP_IV_MAX = 16,
	ESP_PAD_MAX = 255,
};

_Static_assert(ESP_SALT_LEN + ESP_AEAD_IV_LEN == ESP_NONCE_LEN, "nonce = salt | IV");

struct esp_sa {
	struct esp_sa_cfg cfg;      /* keys wiped after the contexts are built */
	struct crypto_aead *aead;   /* GCM or ChaCha20-Poly1305 */
	struct crypto_cbc *cbc;     /* AES-CBC */
	struct crypto_cbc *ivgen;   /* AES-CBC IVs: E(ivkey, seq) */
	struct crypto_hmac *hmac;   /* with AES-CBC */
	uint8_t salt[ESP_SALT_LEN]; /* AEAD nonce prefix (RFC 4106 4) */
	uint8_t iv_len;
	uint8_t icv_len;
	uint8_t block;             /* ciphertext alignment */
	uint64_t seq;              /* next outbound sequence number; 0 = exhausted */
	struct esp_replay *replay; /* inbound; size 0 tracks the top only */
	struct esp_sa_stats stats;
};

/* Forgets every number seen (the fuzz target resets the window per input). */
void esp_replay_reset(struct esp_replay *w);

/* Pad length for a payload of len bytes so that len + pad + 2 is a block multiple. */
static inline size_t esp_pad_len(const struct esp_sa *sa, size_t len)
{
	return (sa->block - (len + ESP_TRAILER_LEN) % sa->block) % sa->block;
}

#endif
