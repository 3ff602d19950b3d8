/* SPDX-License-Identifier: ISC */
/*
 * MD5 (RFC 1321) through OpenSSL's EVP digest interface, for the JA3/JA3S
 * fingerprints (an MD5 of the fingerprint string by definition). Kept apart
 * from crypto.c because nothing security-relevant may use it.
 */
#include <openssl/evp.h>

#include "crypto/crypto_md5.h"
#include "lib/err.h"

int crypto_md5(const void *p, size_t len, uint8_t out[CRYPTO_MD5_LEN])
{
	unsigned int n = 0;

	if (EVP_Digest(p, len, out, &n, EVP_md5(), NULL) != 1 || n != CRYPTO_MD5_LEN)
		return BW_ERR_CRYPTO;
	return 0;
}
