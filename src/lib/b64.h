/* SPDX-License-Identifier: ISC */
/*
 * The base64 alphabet (RFC 4648 4, RFC 2045 6.8), shared by the decoders
 * that differ in how they treat what is not in it (the SMTP MIME reader
 * skips it, the base64_decode keyword stops at it).
 */
#ifndef BW_LIB_B64_H
#define BW_LIB_B64_H

#include <stdint.h>

/* The 6-bit value of base64 character c, or -1 when c is not one ('=' included). */
static inline int bw_b64_val(uint8_t c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

#endif
