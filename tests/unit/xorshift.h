/* SPDX-License-Identifier: ISC */
/*
 * xorshift32 (Marsaglia, "Xorshift RNGs", 2003): the reproducible random
 * numbers of the unit tests that draw cases; each test keeps its own state.
 */
#ifndef BW_TEST_XORSHIFT_H
#define BW_TEST_XORSHIFT_H

#include <stdint.h>

static inline uint32_t xorshift32(uint32_t *state)
{
	uint32_t x = *state;
	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	*state = x;
	return x;
}

#endif
