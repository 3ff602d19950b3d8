/* SPDX-License-Identifier: ISC */
/*
 * Streaming message digests for file fingerprints: the IPS hashes files it
 * sees in transit (HTTP bodies, later SMTP/FTP) with MD5, SHA-1 and SHA-256
 * as they arrive, for Suricata's filemd5/filesha1/filesha256 keywords and
 * the EVE fileinfo record. Fingerprints only: MD5 and SHA-1 must never be
 * used for security here.
 */
#ifndef BW_CRYPTO_DIGEST_H
#define BW_CRYPTO_DIGEST_H

#include <stddef.h>
#include <stdint.h>

enum crypto_digest_alg {
	CRYPTO_DIGEST_MD5,
	CRYPTO_DIGEST_SHA1,
	CRYPTO_DIGEST_SHA256,
};

enum { CRYPTO_DIGEST_MAX = 32 };

struct crypto_digest;

/* Digest size in bytes (16, 20, 32). */
size_t crypto_digest_size(enum crypto_digest_alg alg);
/* A new running digest; BW_ERR_NOMEM or BW_ERR_CRYPTO on failure. */
int crypto_digest_new(struct crypto_digest **out, enum crypto_digest_alg alg);
int crypto_digest_update(struct crypto_digest *d, const void *p, size_t len);
/* Writes crypto_digest_size() bytes; the digest cannot be updated after. */
int crypto_digest_final(struct crypto_digest *d, uint8_t *out);
/* NULL is accepted. */
void crypto_digest_free(struct crypto_digest *d);

#endif
