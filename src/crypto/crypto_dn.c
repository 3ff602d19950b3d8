/* SPDX-License-Identifier: ISC */
/*
 * Text to DER for distinguished names (RFC 5280 4.1.2.4), used for IKEv2
 * ID_DER_ASN1_DN identities (RFC 7296 3.5). OpenSSL's X509_NAME does the
 * ASN.1; this file only splits the text into attribute=value pairs and
 * picks the string type. X509_NAME is not reachable through EVP, which is
 * why this lives in src/crypto, the one place allowed to include OpenSSL.
 */
#include <ctype.h>
#include <limits.h>
#include <stdbool.h>
#include <string.h>

#include <openssl/objects.h>
#include <openssl/x509.h>

#include "crypto/crypto_dn.h"
#include "lib/err.h"

enum {
	DN_MAX_TEXT = 512, /* one attribute name or value */
	DN_MAX_RDNS = 32,
};

/* X.680 PrintableString: letters, digits, space and '()+,-./:=? (no '@', '*', '&'). */
static bool printable(const char *v)
{
	for (; *v != '\0'; v++)
		if (!isalnum((unsigned char)*v) && strchr(" '()+,-./:=?", *v) == NULL)
			return false;
	return true;
}

static void trim(char *s)
{
	size_t n = strlen(s), i = 0;

	while (n > 0 && s[n - 1] == ' ')
		s[--n] = '\0';
	while (s[i] == ' ')
		i++;
	memmove(s, s + i, n - i + 1);
}

/* Copies the next "name=value" (unescaping "\,") into buf; returns the rest or NULL. */
static const char *next_rdn(const char *s, char *buf, size_t cap)
{
	size_t n = 0;

	for (; *s != '\0' && *s != ','; s++) {
		if (*s == '\\' && (s[1] == ',' || s[1] == '\\'))
			s++;
		if (n + 1 >= cap)
			return NULL;
		buf[n++] = *s;
	}
	buf[n] = '\0';
	return s;
}

static int add_rdn(X509_NAME *name, char *rdn)
{
	char *eq = strchr(rdn, '=');
	const char *attr;
	int nid, type;

	if (eq == NULL)
		return BW_ERR_INVAL;
	*eq = '\0';
	trim(rdn);
	trim(eq + 1);
	if (rdn[0] == '\0' || eq[1] == '\0')
		return BW_ERR_INVAL;
	attr = strcmp(rdn, "E") == 0 || strcmp(rdn, "Email") == 0 ? "emailAddress" : rdn;
	if ((nid = OBJ_txt2nid(attr)) == NID_undef)
		return BW_ERR_INVAL;
	/* emailAddress and domainComponent are IA5String by definition (RFC 5280 A.1). */
	if (nid == NID_pkcs9_emailAddress || nid == NID_domainComponent)
		type = V_ASN1_IA5STRING;
	else
		type = printable(eq + 1) ? V_ASN1_PRINTABLESTRING : V_ASN1_UTF8STRING;
	if (X509_NAME_add_entry_by_NID(name, nid, type, (unsigned char *)(eq + 1), -1, -1, 0) != 1)
		return BW_ERR_INVAL;
	return 0;
}

int crypto_dn_encode(const char *s, uint8_t *out, size_t cap, size_t *len)
{
	X509_NAME *name = X509_NAME_new();
	char buf[DN_MAX_TEXT];
	unsigned char *p;
	size_t rdns = 0;
	int r = 0, n;

	*len = 0;
	if (name == NULL)
		return BW_ERR_NOMEM;
	while (r == 0) {
		if ((s = next_rdn(s, buf, sizeof(buf))) == NULL || ++rdns > DN_MAX_RDNS) {
			r = BW_ERR_INVAL;
			break;
		}
		r = add_rdn(name, buf);
		if (*s == '\0')
			break;
		s++;
	}
	if (r == 0) {
		n = i2d_X509_NAME(name, NULL);
		if (n <= 0)
			r = BW_ERR_INVAL;
		else if ((size_t)n > cap)
			r = BW_ERR_NOSPACE;
	}
	if (r == 0) {
		p = out;
		i2d_X509_NAME(name, &p);
		*len = (size_t)n;
	}
	X509_NAME_free(name);
	return r;
}

bool crypto_dn_eq(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	const unsigned char *pa = a, *pb = b;
	X509_NAME *na, *nb;
	bool eq = false;

	if (alen > LONG_MAX || blen > LONG_MAX)
		return false;
	na = d2i_X509_NAME(NULL, &pa, (long)alen);
	nb = d2i_X509_NAME(NULL, &pb, (long)blen);
	/* Trailing bytes after the Name make it another value: not equal. */
	if (na != NULL && nb != NULL && pa == a + alen && pb == b + blen)
		eq = X509_NAME_cmp(na, nb) == 0;
	X509_NAME_free(na);
	X509_NAME_free(nb);
	return eq;
}
