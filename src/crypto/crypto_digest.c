/* SPDX-License-Identifier: ISC */
/* Streaming digests over OpenSSL's EVP interface (see crypto_digest.h). */
#include <pthread.h>
#include <stdlib.h>

#include <openssl/evp.h>

#include "crypto/crypto_digest.h"
#include "lib/err.h"

struct crypto_digest {
	EVP_MD_CTX *ctx;
	enum crypto_digest_alg alg;
};

/*
 * The implementations, fetched once (OpenSSL 3 fetches EVP_md5() and the
 * like again at every EVP_DigestInit_ex(), tens of thousands of
 * instructions per file); the EVP_x() ones if a fetch fails.
 */
static pthread_once_t md_once = PTHREAD_ONCE_INIT;
static EVP_MD *md_fetched[3];

static void md_fetch(void)
{
	md_fetched[CRYPTO_DIGEST_MD5] = EVP_MD_fetch(NULL, "MD5", NULL);
	md_fetched[CRYPTO_DIGEST_SHA1] = EVP_MD_fetch(NULL, "SHA1", NULL);
	md_fetched[CRYPTO_DIGEST_SHA256] = EVP_MD_fetch(NULL, "SHA256", NULL);
}

static const EVP_MD *md_of(enum crypto_digest_alg alg)
{
	pthread_once(&md_once, md_fetch);
	switch (alg) {
	case CRYPTO_DIGEST_MD5:
		return md_fetched[alg] ? md_fetched[alg] : EVP_md5();
	case CRYPTO_DIGEST_SHA1:
		return md_fetched[alg] ? md_fetched[alg] : EVP_sha1();
	case CRYPTO_DIGEST_SHA256:
		return md_fetched[alg] ? md_fetched[alg] : EVP_sha256();
	}
	return NULL;
}

size_t crypto_digest_size(enum crypto_digest_alg alg)
{
	switch (alg) {
	case CRYPTO_DIGEST_MD5:
		return 16;
	case CRYPTO_DIGEST_SHA1:
		return 20;
	case CRYPTO_DIGEST_SHA256:
		return 32;
	}
	return 0;
}

int crypto_digest_new(struct crypto_digest **out, enum crypto_digest_alg alg)
{
	struct crypto_digest *d;
	const EVP_MD *md = md_of(alg);

	*out = NULL;
	if (md == NULL)
		return BW_ERR_INVAL;
	if ((d = calloc(1, sizeof(*d))) == NULL)
		return BW_ERR_NOMEM;
	d->alg = alg;
	if ((d->ctx = EVP_MD_CTX_new()) == NULL || EVP_DigestInit_ex(d->ctx, md, NULL) != 1) {
		crypto_digest_free(d);
		return BW_ERR_CRYPTO;
	}
	*out = d;
	return 0;
}

int crypto_digest_update(struct crypto_digest *d, const void *p, size_t len)
{
	if (len == 0)
		return 0;
	return EVP_DigestUpdate(d->ctx, p, len) == 1 ? 0 : BW_ERR_CRYPTO;
}

int crypto_digest_final(struct crypto_digest *d, uint8_t *out)
{
	unsigned int n = 0;

	if (EVP_DigestFinal_ex(d->ctx, out, &n) != 1 || n != crypto_digest_size(d->alg))
		return BW_ERR_CRYPTO;
	return 0;
}

void crypto_digest_free(struct crypto_digest *d)
{
	if (d == NULL)
		return;
	EVP_MD_CTX_free(d->ctx);
	free(d);
}
