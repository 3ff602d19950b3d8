/* SPDX-License-Identifier: ISC */
/*
 * Distinguished names for IKEv2 identities of type ID_DER_ASN1_DN (RFC 7296
 * section 3.5): the text form strongSwan and OpenSSL print,
 * "C=CH, O=Example, CN=gw.example.org", encoded as the DER of an X.501 Name
 * (RFC 5280 section 4.1.2.4), with the RDNs in the order written.
 */
#ifndef BW_CRYPTO_DN_H
#define BW_CRYPTO_DN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Encodes the text DN s into out (at most cap bytes), the byte count in
 * *len. Attributes are separated by ',' (a literal comma in a value is
 * written "\,"), spaces around names and values are ignored, and attribute
 * names are OpenSSL's short or long names (C, ST, L, O, OU, CN, DC,
 * emailAddress, serialNumber, ...) plus E for emailAddress. Values are
 * PrintableString when they fit its alphabet, else UTF8String, as
 * strongSwan writes them. Returns 0, BW_ERR_INVAL for a malformed DN or an
 * unknown attribute, BW_ERR_NOSPACE when it does not fit, BW_ERR_NOMEM.
 */
int crypto_dn_encode(const char *s, uint8_t *out, size_t cap, size_t *len);

/*
 * Compares two DER Names the way X.509 does (X509_NAME_cmp: canonical
 * form, so PrintableString and UTF8String of the same text are equal).
 * False if either does not parse.
 */
bool crypto_dn_eq(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen);

#endif
