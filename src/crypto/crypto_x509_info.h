/* SPDX-License-Identifier: ISC */
/*
 * Display fields of an untrusted X.509 certificate (RFC 5280 4.1) for the
 * IPS's TLS logging and tls.cert_* rule buffers: subject and issuer rendered
 * one line in Suricata's form "C=US, O=Example, CN=host" (RDNs in
 * certificate order, OpenSSL short names, ", " between attributes) and the
 * serial number as upper-case hex bytes joined by ':'.
 */
#ifndef BW_CRYPTO_X509_INFO_H
#define BW_CRYPTO_X509_INFO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct crypto_x509_info {
	char subject[1024];
	char issuer[1024];
	char serial[256]; /* "00:D3:..." */
};

/*
 * Parses the DER certificate der[0..len) (no trust, no signature check) and
 * fills *out; text longer than a field is cut at its size. Returns 0,
 * BW_ERR_INVAL for a certificate that does not parse, BW_ERR_NOMEM.
 */
int crypto_x509_info(const uint8_t *der, size_t len, struct crypto_x509_info *out);

/*
 * For tests: the DER Name der[0..len) rendered as in crypto_x509_info, by
 * the direct path only when direct (BW_ERR_UNSUPP for a name it leaves to
 * OpenSSL), else by OpenSSL's decoder only. out has cap bytes.
 */
int crypto_x509_name_text(const uint8_t *der, size_t len, char *out, size_t cap, bool direct);

#endif
