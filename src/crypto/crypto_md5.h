/* SPDX-License-Identifier: ISC */
/*
 * MD5 (RFC 1321) for fingerprints only: the JA3/JA3S TLS fingerprints of the
 * IPS hash their text form with MD5. Never use it for security.
 */
#ifndef BW_CRYPTO_MD5_H
#define BW_CRYPTO_MD5_H

#include <stddef.h>
#include <stdint.h>

enum { CRYPTO_MD5_LEN = 16 };

/* out = MD5(p[0..len)). Returns 0 or BW_ERR_CRYPTO. */
int crypto_md5(const void *p, size_t len, uint8_t out[CRYPTO_MD5_LEN]);

#endif
