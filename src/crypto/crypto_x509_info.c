/* SPDX-License-Identifier: ISC */
/*
 * Subject, issuer and serial of an untrusted DER certificate (RFC 5280
 * 4.1.2.2, 4.1.2.4, 4.1.2.6) as text, for the IPS. OpenSSL parses the
 * fields (the certificate must be one DER element consumed exactly, as for
 * IKE CERT payloads); names are rendered attribute by attribute so that the
 * output is Suricata's "C=US, O=Org, CN=name" whatever OpenSSL's own
 * print flags would do. X509 is not reachable through EVP, which is why
 * this sits in src/crypto, the one place allowed to include OpenSSL.
 */
#include <stdbool.h>
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

/*
 * Reads one DER element header at *p (end at `end`): *body and *blen get its
 * contents, *p moves past the element. Returns the tag, or -1 for a header
 * that does not parse, an indefinite length or contents past `end`.
 */
static int der_next(const unsigned char **p, const unsigned char *end, int *cls, bool *cons,
                    const unsigned char **body, long *blen)
{
	const unsigned char *q = *p;
	long len;
	int tag, c;

	if (q >= end)
		return -1;
	int r = ASN1_get_object(&q, &len, &tag, &c, end - q);
	if ((r & 0x80) || (r & 0x01) || len < 0 || len > end - q)
		return -1;
	*cls = c;
	*cons = (r & V_ASN1_CONSTRUCTED) != 0;
	*body = q;
	*blen = len;
	*p = q + len;
	return tag;
}

/* OpenSSL's short names (OBJ_nid2sn) of the attributes names use most, by OID contents. */
static const struct {
	uint8_t len;
	uint8_t oid[10];
	const char *sn;
} known_attrs[] = {
        {3, {0x55, 0x04, 0x03}, "CN"},
        {3, {0x55, 0x04, 0x06}, "C"},
        {3, {0x55, 0x04, 0x07}, "L"},
        {3, {0x55, 0x04, 0x08}, "ST"},
        {3, {0x55, 0x04, 0x0a}, "O"},
        {3, {0x55, 0x04, 0x0b}, "OU"},
        {3, {0x55, 0x04, 0x05}, "serialNumber"},
        {3, {0x55, 0x04, 0x09}, "street"},
        {3, {0x55, 0x04, 0x11}, "postalCode"},
        {9, {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x01}, "emailAddress"},
        {10, {0x09, 0x92, 0x26, 0x89, 0x93, 0xf2, 0x2c, 0x64, 0x01, 0x19}, "DC"},
};

static const char *known_sn(const unsigned char *oid, long len)
{
	for (size_t i = 0; i < sizeof(known_attrs) / sizeof(known_attrs[0]); i++)
		if (known_attrs[i].len == len && memcmp(known_attrs[i].oid, oid, (size_t)len) == 0)
			return known_attrs[i].sn;
	return NULL;
}

/*
 * The common Name rendered without OpenSSL's decoder (which allocates every
 * entry and builds a canonical copy of the name: most of the TLS parsing
 * time): every attribute one of known_attrs, every value a UTF8String,
 * PrintableString or IA5String of printable ASCII, every RDN non-empty,
 * lengths definite. For such a name the text is what render_name() makes
 * of OpenSSL's decoding (test_x509_info compares them); anything else
 * returns false and goes to OpenSSL.
 */
static bool name_direct(const unsigned char *der, long n, char *out, size_t cap)
{
	const unsigned char *p = der, *end = der + n, *rdns, *set, *atv, *oid, *val;
	long rl, sl, al, ol, vl;
	int cls;
	bool cons;
	size_t o = 0;

	out[0] = '\0';
	if (der_next(&p, end, &cls, &cons, &rdns, &rl) != V_ASN1_SEQUENCE || !cons ||
	    cls != V_ASN1_UNIVERSAL || p != end)
		return false;
	for (const unsigned char *q = rdns, *qe = rdns + rl; q < qe;) {
		if (der_next(&q, qe, &cls, &cons, &set, &sl) != V_ASN1_SET || !cons ||
		    cls != V_ASN1_UNIVERSAL || sl == 0)
			return false;
		for (const unsigned char *r = set, *re = set + sl; r < re;) {
			if (der_next(&r, re, &cls, &cons, &atv, &al) != V_ASN1_SEQUENCE || !cons ||
			    cls != V_ASN1_UNIVERSAL)
				return false;
			const unsigned char *a = atv, *ae = atv + al;
			if (der_next(&a, ae, &cls, &cons, &oid, &ol) != V_ASN1_OBJECT || cons ||
			    cls != V_ASN1_UNIVERSAL)
				return false;
			int tag = der_next(&a, ae, &cls, &cons, &val, &vl);
			if ((tag != V_ASN1_UTF8STRING && tag != V_ASN1_PRINTABLESTRING &&
			     tag != V_ASN1_IA5STRING) ||
			    cons || cls != V_ASN1_UNIVERSAL || a != ae)
				return false;
			const char *sn = known_sn(oid, ol);
			if (sn == NULL)
				return false;
			for (long i = 0; i < vl; i++)
				if (val[i] < 0x20 || val[i] > 0x7e)
					return false;
			if (o > 0)
				cat(out, cap, &o, ", ", 2);
			cat(out, cap, &o, sn, strlen(sn));
			cat(out, cap, &o, "=", 1);
			cat(out, cap, &o, (const char *)val, (size_t)vl);
		}
	}
	return true;
}

/* Parses the DER Name der[0..n) (the whole element) through OpenSSL and renders it. */
static int name_openssl(const unsigned char *der, long n, char *out, size_t cap)
{
	const unsigned char *q = der;
	X509_NAME *nm = d2i_X509_NAME(NULL, &q, n);

	if (nm == NULL)
		return BW_ERR_INVAL;
	render_name(nm, out, cap);
	X509_NAME_free(nm);
	return 0;
}

static int name_at(const unsigned char *der, long n, char *out, size_t cap)
{
	return name_direct(der, n, out, cap) ? 0 : name_openssl(der, n, out, cap);
}

int crypto_x509_name_text(const uint8_t *der, size_t len, char *out, size_t cap, bool direct)
{
	if (cap == 0 || len == 0 || len > 1u << 24)
		return BW_ERR_INVAL;
	if (direct)
		return name_direct(der, (long)len, out, cap) ? 0 : BW_ERR_UNSUPP;
	return name_openssl(der, (long)len, out, cap);
}

/*
 * Only the fields shown are decoded: the certificate is walked element by
 * element (OpenSSL's DER header reader, bounded) and the serial and the two
 * Names are handed to OpenSSL's decoders; d2i_X509 would also decode the
 * public key through the provider decoders, which cost more than the rest
 * of the TLS parsing together and are not needed for display (Suricata's
 * parser does not decode the key either).
 */
static int x509_fields(const uint8_t *der, size_t len, struct crypto_x509_info *out)
{
	const unsigned char *p = der, *end = der + len, *body, *tbs_end, *el;
	long blen;
	int cls;
	bool cons;

	/* Certificate ::= SEQUENCE, exactly the input. */
	if (der_next(&p, end, &cls, &cons, &body, &blen) != V_ASN1_SEQUENCE || !cons ||
	    cls != V_ASN1_UNIVERSAL || p != end)
		return BW_ERR_INVAL;
	/* TBSCertificate ::= SEQUENCE. */
	p = body;
	end = body + blen;
	if (der_next(&p, end, &cls, &cons, &body, &blen) != V_ASN1_SEQUENCE || !cons ||
	    cls != V_ASN1_UNIVERSAL)
		return BW_ERR_INVAL;
	p = body;
	tbs_end = body + blen;
	/* version [0] EXPLICIT, optional. */
	el = p;
	int tag = der_next(&p, tbs_end, &cls, &cons, &body, &blen);
	if (tag == 0 && cls == V_ASN1_CONTEXT_SPECIFIC && cons) {
		el = p;
		tag = der_next(&p, tbs_end, &cls, &cons, &body, &blen);
	}
	/* serialNumber INTEGER. */
	if (tag != V_ASN1_INTEGER || cls != V_ASN1_UNIVERSAL || cons)
		return BW_ERR_INVAL;
	const unsigned char *q = el;
	ASN1_INTEGER *ser = d2i_ASN1_INTEGER(NULL, &q, p - el);
	if (ser == NULL)
		return BW_ERR_INVAL;
	render_serial(ser, out->serial, sizeof(out->serial));
	ASN1_INTEGER_free(ser);
	/* signature AlgorithmIdentifier, issuer Name, validity, subject Name. */
	const unsigned char *iss = NULL, *sub = NULL;
	long iss_n = 0, sub_n = 0;
	for (int i = 0; i < 4; i++) {
		el = p;
		if (der_next(&p, tbs_end, &cls, &cons, &body, &blen) != V_ASN1_SEQUENCE || !cons ||
		    cls != V_ASN1_UNIVERSAL)
			return BW_ERR_INVAL;
		if (i == 1) {
			iss = el;
			iss_n = p - el;
		} else if (i == 3) {
			sub = el;
			sub_n = p - el;
		}
	}
	if (name_at(sub, sub_n, out->subject, sizeof(out->subject)) != 0 ||
	    name_at(iss, iss_n, out->issuer, sizeof(out->issuer)) != 0)
		return BW_ERR_INVAL;
	return 0;
}

int crypto_x509_info(const uint8_t *der, size_t len, struct crypto_x509_info *out)
{
	memset(out, 0, sizeof(*out));
	if (len == 0 || len > 1u << 24)
		return BW_ERR_INVAL;
	int r = x509_fields(der, len, out);
	if (r != 0)
		memset(out, 0, sizeof(*out));
	return r;
}
