/* SPDX-License-Identifier: ISC */
/* Hex digits, as rules, config files, transforms and MIME text write them. */
#ifndef BW_LIB_HEX_H
#define BW_LIB_HEX_H

/* The value of hex digit c (either case), or -1. */
static inline int bw_hex_digit(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

#endif
