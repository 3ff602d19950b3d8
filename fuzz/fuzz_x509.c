/* SPDX-License-Identifier: ISC */
/*
 * libFuzzer target for the crypto entry points that take peer bytes in
 * IKE_AUTH and IKE_SA_INIT: a CERT payload body (crypto_cert_from_der, then
 * every accessor the IKE module uses on a peer certificate), an IDi/IDr
 * ID_DER_ASN1_DN (crypto_cert_subject_eq), the RFC 7427 AlgorithmIdentifier
 * (crypto_sig_algid_parse), a signature to verify (DER and r | s ECDSA,
 * RSA), and a KE payload (crypto_dh_shared for each group). The first input
 * byte selects the path; the rest is the peer data. Anything but a clean
 * result or a clean error is a bug.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/crypto.h"
#include "crypto/crypto_dh.h"
#include "crypto/crypto_sig.h"
#include "lib/err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void cert_path(const uint8_t *p, size_t n)
{
	struct crypto_cert *c;
	struct crypto_pkey *k;
	enum crypto_san_type t;
	uint8_t buf[CRYPTO_SAN_MAX], spki[CRYPTO_SPKI_HASH], *der;
	size_t len;

	if (crypto_cert_from_der(&c, p, n) != 0)
		return;
	/* Re-encoding a parsed certificate must succeed and fit in what came in. */
	if ((der = malloc(n)) == NULL)
		abort();
	if (crypto_cert_to_der(c, der, n, &len) != 0 || len != n)
		abort();
	free(der);
	for (size_t i = 0; i < 64; i++) {
		int r = crypto_cert_san(c, i, &t, buf, sizeof(buf), &len);

		if (r == BW_ERR_NOTFOUND)
			break;
		if (r == 0 && len > sizeof(buf))
			abort();
	}
	(void)crypto_cert_has_san(c, CRYPTO_SAN_DNS, (const uint8_t *)"gw.example.org", 14);
	(void)crypto_cert_has_san(c, CRYPTO_SAN_IP, (const uint8_t *)"\xc0\x00\x02\x01", 4);
	(void)crypto_cert_spki_sha1(c, spki);
	if (crypto_cert_subject_der(c, buf, sizeof(buf), &len) == 0 &&
	    !crypto_cert_subject_eq(c, buf, len))
		abort(); /* a certificate's own subject must match itself */
	if (crypto_cert_pubkey(c, &k) == 0) {
		struct crypto_iov seg = {p, n};

		for (int s = 0; s < CRYPTO_SIG__COUNT; s++) {
			if (crypto_sig_fits(k, (enum crypto_sig_scheme)s) &&
			    crypto_sig_verify(k, (enum crypto_sig_scheme)s, CRYPTO_SIG_FMT_DER,
			                      &seg, 1, p, n) == 0)
				abort(); /* a certificate is not its own signature */
		}
		crypto_pkey_free(k);
	}
	crypto_cert_free(c);
}

static void dh_path(const uint8_t *p, size_t n)
{
	static const enum crypto_dh_group groups[] = {CRYPTO_DH_ECP256, CRYPTO_DH_ECP384,
	                                              CRYPTO_DH_ECP521, CRYPTO_DH_CURVE25519};
	static struct crypto_dh *dh[4];
	uint8_t out[CRYPTO_DH_SHARED_MAX];

	/* MODP is left out: a 2048-bit exponentiation per input would starve the fuzzer. */
	for (size_t i = 0; i < 4; i++) {
		if (dh[i] == NULL && crypto_dh_new(&dh[i], groups[i]) != 0)
			abort();
		(void)crypto_dh_shared(dh[i], p, n, out, crypto_dh_shared_len(groups[i]));
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	enum crypto_sig_scheme s;

	if (size < 1)
		return 0;
	switch (data[0] % 4) {
	case 0:
		cert_path(data + 1, size - 1);
		break;
	case 1:
		if (crypto_sig_algid_parse(data + 1, size - 1, &s) == 0 &&
		    (unsigned)s >= CRYPTO_SIG__COUNT)
			abort();
		break;
	case 2:
		dh_path(data + 1, size - 1);
		break;
	case 3:
		/* A CERT payload whose bytes are parsed, then a DN compared against it. */
		if (size > 2) {
			size_t cut = 1 + (data[1] * (size - 2)) / 255;
			struct crypto_cert *c;

			if (crypto_cert_from_der(&c, data + 2, cut - 1) == 0) {
				(void)crypto_cert_subject_eq(c, data + 1 + cut, size - 1 - cut);
				crypto_cert_free(c);
			}
		}
		break;
	}
	return 0;
}
