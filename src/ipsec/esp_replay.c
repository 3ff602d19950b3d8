/* SPDX-License-Identifier: ISC */
/*
 * ESP anti-replay window (RFC 4303 3.4.3) with 64-bit extended sequence
 * numbers (RFC 4303 appendix A2). The bitmap is a ring of 64-bit words
 * indexed by sequence number, with one spare word as in RFC 6479: sliding
 * the window only clears the words it moves into, so an update costs at
 * most one pass over the ring however far the window jumps, and the bits
 * above the top in the top's word are always clear.
 *
 * Only the low 32 bits travel; check() infers the high half per RFC 4303
 * A2.2 from where the window sits, before the ICV is verified. The caller
 * then authenticates the packet with the inferred number (the ICV covers the
 * high half, RFC 4303 2.2.1) and only after that calls update(): a forged
 * packet can never move the window (RFC 4303 3.4.3, last paragraph).
 *
 * A window of size 0 disables replay detection but still tracks the top so
 * that the high half can be inferred with ESN.
 */
#include <stdlib.h>
#include <string.h>

#include "ipsec/esp_int.h"
#include "lib/err.h"

struct esp_replay {
	uint64_t top;  /* highest authenticated number; 0 = none yet */
	uint32_t size; /* window in packets, a multiple of 64; 0 = disabled */
	bool esn;
	uint32_t mask;  /* ring words - 1 (a power of two) */
	uint64_t *bits; /* ring of mask + 1 words; NULL when disabled */
};

enum {
	REPLAY_WORD = 64,
	/* With the window disabled, ESN inference assumes the packet is the
	 * nearest number to the top with those low bits (half the space). */
	REPLAY_INFER_NOWIN = 0x80000000u,
};

int esp_replay_new(struct esp_replay **out, uint32_t size, bool esn)
{
	struct esp_replay *w;
	uint32_t words = 1;

	*out = NULL;
	if (size > ESP_REPLAY_MAX)
		return BW_ERR_INVAL;
	if ((w = calloc(1, sizeof(*w))) == NULL)
		return BW_ERR_NOMEM;
	w->esn = esn;
	w->size = (uint32_t)(((uint64_t)size + REPLAY_WORD - 1) / REPLAY_WORD * REPLAY_WORD);
	if (w->size > 0) {
		/* size/64 words of history plus the word the top is in. */
		while (words < w->size / REPLAY_WORD + 1)
			words <<= 1;
		if ((w->bits = calloc(words, sizeof(*w->bits))) == NULL) {
			free(w);
			return BW_ERR_NOMEM;
		}
		w->mask = words - 1;
	}
	*out = w;
	return 0;
}

void esp_replay_free(struct esp_replay *w)
{
	if (w == NULL)
		return;
	free(w->bits);
	free(w);
}

void esp_replay_reset(struct esp_replay *w)
{
	w->top = 0;
	if (w->bits != NULL)
		memset(w->bits, 0, ((size_t)w->mask + 1) * sizeof(*w->bits));
}

uint64_t esp_replay_top(const struct esp_replay *w)
{
	return w->top;
}

/*
 * RFC 4303 A2.2: with T = Th:Tl the top and W the window, a packet whose low
 * half is at or right of the window's bottom (Tl - W + 1, mod 2^32) belongs
 * to the window's subspace, anything else to the next one. When the window
 * straddles a 2^32 boundary (Tl < W - 1), "at or right of the bottom" means
 * the previous subspace instead. Returns false past the end of the space.
 */
static bool infer(const struct esp_replay *w, uint32_t seq_lo, uint64_t *seq)
{
	uint32_t tl = (uint32_t)w->top, th = (uint32_t)(w->top >> 32);
	uint32_t win = w->size > 0 ? w->size : REPLAY_INFER_NOWIN;
	uint32_t bottom = tl - win + 1; /* modulo 2^32 on purpose */
	uint64_t hi;

	if (tl >= win - 1) {
		/* Case A: the window lies inside one subspace. */
		hi = seq_lo >= bottom ? th : (uint64_t)th + 1;
	} else {
		/* Case B: the window spans subspaces th - 1 and th. */
		if (seq_lo >= bottom && th > 0)
			hi = (uint64_t)th - 1;
		else
			hi = th; /* subspace -1 does not exist: the number is ahead */
	}
	if (hi > UINT32_MAX)
		return false; /* past the end of the 64-bit space */
	*seq = hi << 32 | seq_lo;
	return true;
}

static bool bit_test(const struct esp_replay *w, uint64_t seq)
{
	return (w->bits[(seq / REPLAY_WORD) & w->mask] >> (seq % REPLAY_WORD)) & 1;
}

int esp_replay_check(const struct esp_replay *w, uint32_t seq_lo, uint64_t *seq,
                     enum esp_drop *drop)
{
	uint64_t s;

	if (w->esn) {
		if (!infer(w, seq_lo, &s)) {
			*drop = ESP_DROP_TOO_OLD;
			return BW_ERR_REPLAY;
		}
	} else {
		s = seq_lo;
	}
	if (w->size == 0) {
		*seq = s;
		return 0;
	}
	/* 0 is never sent (RFC 4303 3.3.3), so it counts as left of any window. */
	if (s == 0 || (s <= w->top && w->top - s >= w->size)) {
		*drop = ESP_DROP_TOO_OLD;
		return BW_ERR_REPLAY;
	}
	if (s <= w->top && bit_test(w, s)) {
		*drop = ESP_DROP_REPLAY;
		return BW_ERR_REPLAY;
	}
	*seq = s;
	return 0;
}

void esp_replay_update(struct esp_replay *w, uint64_t seq)
{
	uint64_t from, to;

	if (w->size == 0) {
		if (seq > w->top)
			w->top = seq;
		return;
	}
	if (seq > w->top) {
		/* Clear the words strictly after the top's word up to seq's word;
		 * at most the whole ring (a jump past the window forgets all). */
		from = w->top / REPLAY_WORD;
		to = seq / REPLAY_WORD;
		if (to - from > (uint64_t)w->mask + 1)
			from = to - w->mask - 1;
		for (uint64_t i = from + 1; i <= to; i++)
			w->bits[i & w->mask] = 0;
		w->top = seq;
	} else if (w->top - seq >= w->size) {
		return; /* left of the window: check() refused it already */
	}
	w->bits[(seq / REPLAY_WORD) & w->mask] |= (uint64_t)1 << (seq % REPLAY_WORD);
}
