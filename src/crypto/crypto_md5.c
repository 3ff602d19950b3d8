/* SPDX-License-Identifier: ISC */
/*
 * MD5 (RFC 1321) through OpenSSL's EVP digest interface, for the JA3/JA3S
 * fingerprints (an MD5 of the fingerprint string by definition). Kept apart
 * from crypto.c because nothing security-relevant may use it.
 */
#include <pthread.h>

#include <openssl/evp.h>

#include "crypto/crypto_md5.h"
#include "lib/err.h"

/*
 * The implementation, fetched once: with EVP_md5() every EVP_Digest()
 * fetches it from the provider again (OpenSSL 3's implicit fetch), about
 * 48,000 instructions, twenty times the digest of a JA3 string.
 */
static pthread_once_t md5_once = PTHREAD_ONCE_INIT;
static EVP_MD *md5_fetched;

static void md5_fetch(void)
{
	md5_fetched = EVP_MD_fetch(NULL, "MD5", NULL);
}

int crypto_md5(const void *p, size_t len, uint8_t out[CRYPTO_MD5_LEN])
{
	unsigned int n = 0;

	pthread_once(&md5_once, md5_fetch);
	if (EVP_Digest(p, len, out, &n, md5_fetched ? md5_fetched : EVP_md5(), NULL) != 1 ||
	    n != CRYPTO_MD5_LEN)
		return BW_ERR_CRYPTO;
	return 0;
}
