/* SPDX-License-Identifier: ISC */
/*
 * Subject, issuer and serial of an untrusted DER certificate (RFC 5280
 * 4.1.2.2, 4.1.2.4, 4.1.2.6) as text, for the IPS. OpenSSL parses the
 * certificate (d2i, then the encoding must be consumed exactly, as for
 * IKE CERT payloads); names are rendered attribute by attribute so that the
 * output is Suricata's "C=US, O=Org, CN=name" whatever OpenSSL's own
 * print flags would do. X509 is not reachable through EVP, which is why
 * this sits in src/crypto, the one place allowed to include OpenSSL.
 */
#include <stdio.h>
#include <string.h>

#include <openssl/asn1.h>
#include <openssl/bn.h>
#include <openssl/objects.h>
#include <openssl/x509.h>

#include "crypto/crypto_x509_info.h"
#include "lib/err.h"

/* Appends s to out (cap bytes, NUL-terminated), cutting what does not fit. */
static void cat(char *out, size_t cap, size_t *n, const char *s, size_t len)
{
	if (*n + 1 >= cap)
		return;
	if (len > cap - 1 - *n)
		len = cap - 1 - *n;
	memcpy(out + *n, s, len);
	*n += len;
	out[*n] = '\0';
}

static void render_name(const X509_NAME *name, char *out, size_t cap)
{
	size_t n = 0;
	int cnt = X509_NAME_entry_count(name);

	out[0] = '\0';
	for (int i = 0; i < cnt; i++) {
		const X509_NAME_ENTRY *e = X509_NAME_get_entry(name, i);
		const ASN1_OBJECT *obj = X509_NAME_ENTRY_get_object(e);
		const ASN1_STRING *val = X509_NAME_ENTRY_get_data(e);
		unsigned char *utf8 = NULL;
		char oid[80];
		const char *sn;
		int nid = OBJ_obj2nid(obj), ulen;

		sn = nid != NID_undef ? OBJ_nid2sn(nid) : NULL;
		if (sn == NULL) {
			if (OBJ_obj2txt(oid, sizeof(oid), obj, 1) <= 0)
				snprintf(oid, sizeof(oid), "?");
			sn = oid;
		}
		if (i > 0)
			cat(out, cap, &n, ", ", 2);
		cat(out, cap, &n, sn, strlen(sn));
		cat(out, cap, &n, "=", 1);
		/* Values in any ASN.1 string type become UTF-8, as Suricata logs them. */
		ulen = ASN1_STRING_to_UTF8(&utf8, val);
		if (ulen >= 0 && utf8 != NULL)
			cat(out, cap, &n, (const char *)utf8, (size_t)ulen);
		OPENSSL_free(utf8);
	}
}

static void render_serial(const ASN1_INTEGER *ser, char *out, size_t cap)
{
	const unsigned char *d = ASN1_STRING_get0_data(ser);
	int len = ASN1_STRING_length(ser);
	size_t n = 0;

	out[0] = '\0';
	for (int i = 0; i < len && n + 4 < cap; i++)
		n += (size_t)snprintf(out + n, cap - n, "%s%02X", i > 0 ? ":" : "", d[i]);
}

int crypto_x509_info(const uint8_t *der, size_t len, struct crypto_x509_info *out)
{
	const unsigned char *p = der;
	X509 *x;

	memset(out, 0, sizeof(*out));
	if (len == 0 || len > 1u << 24)
		return BW_ERR_INVAL;
	x = d2i_X509(NULL, &p, (long)len);
	if (x == NULL)
		return BW_ERR_INVAL;
	if (p != der + len) {
		X509_free(x);
		return BW_ERR_INVAL;
	}
	render_name(X509_get_subject_name(x), out->subject, sizeof(out->subject));
	render_name(X509_get_issuer_name(x), out->issuer, sizeof(out->issuer));
	render_serial(X509_get0_serialNumber(x), out->serial, sizeof(out->serial));
	X509_free(x);
	return 0;
}
