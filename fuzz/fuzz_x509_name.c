/* SPDX-License-Identifier: ISC */
/*
 * libFuzzer target for the certificate names the IPS shows (tls.cert_subject,
 * tls.cert_issuer): the input is a DER Name. Whenever the direct rendering
 * (crypto_x509_info.c name_direct) takes it, OpenSSL's decoder must accept
 * it too and render the same text; anything else is a bug. Both paths also
 * run with a short output buffer.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/crypto_x509_info.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t caps[] = {1024, 7};
	char a[1024], b[1024];

	for (size_t i = 0; i < sizeof(caps) / sizeof(caps[0]); i++) {
		int rd = crypto_x509_name_text(data, size, a, caps[i], true);
		int ro = crypto_x509_name_text(data, size, b, caps[i], false);
		if (rd == 0 && (ro != 0 || strcmp(a, b) != 0))
			abort();
	}
	return 0;
}
