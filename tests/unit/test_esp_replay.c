/* SPDX-License-Identifier: ISC */
/*
 * Anti-replay window tests (RFC 4303 3.4.3, appendix A2): table-driven runs
 * of check-then-update over window sizes 64, 100 (rounded to 128), 1024 and
 * 4096, the disabled window, ESN inference across the 2^32 boundary in both
 * directions, and a randomized comparison against a naive model (a set of
 * every number seen) for each window size.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ipsec/esp_int.h"
#include "lib/err.h"

enum want {
	OK,  /* accepted; the window is updated */
	DUP, /* ESP_DROP_REPLAY */
	OLD, /* ESP_DROP_TOO_OLD */
	BAD, /* accepted by the pre-check, but the ICV would fail: no update */
};

struct step {
	uint32_t lo;  /* low 32 bits, as on the wire */
	uint64_t seq; /* expected inferred 64-bit number (OK and BAD) */
	enum want want;
};

struct replay_case {
	const char *name;
	uint32_t size;
	bool esn;
	const struct step *steps;
	size_t n;
};

#define S(lo, want)                                                                                \
	{                                                                                          \
		(lo), (lo), (want)                                                                 \
	}
#define E(lo, seq, want)                                                                           \
	{                                                                                          \
		(lo), (seq), (want)                                                                \
	}

static const struct step w64[] = {
        S(1, OK),    S(1, DUP),   S(2, OK),     S(5, OK),     S(3, OK),     S(3, DUP),
        S(4, OK),    S(0, OLD),   S(64, OK),    S(65, OK),    S(1, OLD),    S(2, DUP),
        S(6, OK),    S(66, OK),   S(2, OLD),    S(1000, OK),  S(937, OK),   S(936, OLD),
        S(999, OK),  S(999, DUP), S(1000, DUP), S(1001, OK),  S(937, OLD),  S(938, OK),
        S(1064, OK), S(1063, OK), S(1002, OK),  S(1000, OLD), S(1128, BAD), S(1001, DUP),
};

/* 100 rounds up to 128. */
static const struct step w100[] = {
        S(200, OK), S(73, OK),  S(72, OLD), S(73, DUP),
        S(199, OK), S(201, OK), S(73, OLD), S(74, OK),
};

static const struct step w1024[] = {
        S(1, OK),     S(1024, OK),   S(1, DUP),    S(2, OK),      S(1025, OK), S(1, OLD),
        S(2, DUP),    S(3, OK),      S(3, DUP),    S(5000, OK),   S(3977, OK), S(3976, OLD),
        S(4500, OK),  S(4500, DUP),  S(4999, OK),  S(6000, BAD),  S(3978, OK), S(100000, OK),
        S(98977, OK), S(98976, OLD), S(99999, OK), S(99999, DUP),
};

static const struct step w4096[] = {
        S(10, OK),    S(4096, OK),  S(4097, OK),  S(1, OLD),     S(2, OK),    S(2, DUP),
        S(10, DUP),   S(9000, OK),  S(4905, OK),  S(4904, OLD),  S(8999, OK), S(5000, OK),
        S(5000, DUP), S(70000, OK), S(65905, OK), S(65904, OLD),
};

/* Disabled window: everything but nothing-ever-sent passes, duplicates too. */
static const struct step w0[] = {
        S(1, OK), S(1, OK), S(5, OK), S(2, OK), S(100000, OK), S(1, OK), S(0, OK),
};

/* ESN, window 64: climb to the top of subspace 0, cross into 1, look back. */
static const struct step esn64[] = {
        E(1, 1, OK),
        /* Top is 1: the window straddles subspaces -1 and 0; a high number
         * would belong to subspace -1, which does not exist, so it is ahead. */
        E(0xfffffff0u, 0xfffffff0u, BAD),
        E(0x80000000u, 0x80000000u, OK),
        E(0xfffffff0u, 0xfffffff0u, OK),
        E(0xffffffffu, 0xffffffffu, OK),
        /* Low 5 is right of the window's bottom only in the next subspace. */
        E(5, 0x100000005ULL, OK),
        /* Window now spans subspaces 0 and 1: the bottom is 0xffffffc6. */
        E(0xfffffff8u, 0xfffffff8u, OK),
        E(0xfffffff0u, 0, DUP),
        E(0xffffffffu, 0, DUP),
        E(0xffffffc6u, 0xffffffc6u, OK),
        /* Just left of the bottom: RFC A2.2 reads it as subspace 1, far ahead. */
        E(0xffffffc5u, 0x1ffffffc5ULL, BAD),
        E(5, 0, DUP),
        E(6, 0x100000006ULL, OK),
        E(0x40000000u, 0x140000000ULL, OK),
        E(6, 0x200000006ULL, BAD),
        E(0x3fffffc1u, 0x13fffffc1ULL, OK),
        E(0x3fffffc0u, 0x23fffffc0ULL, BAD),
};

/* ESN with the window disabled still infers the nearest subspace. */
static const struct step esn0[] = {
        E(1, 1, OK),
        E(0xc0000000u, 0xc0000000u, OK),
        E(3, 0x100000003ULL, OK),
        E(0xfffffff0u, 0xfffffff0u, OK),
        E(3, 0x100000003ULL, OK),
        E(0x80000004u, 0x80000004u, OK),
        E(0x80000003u, 0x180000003ULL, OK),
        E(0x10, 0x100000010ULL, OK),
};

#define CASE(name, size, esn)                                                                      \
	{                                                                                          \
#name, size, esn, name, sizeof(name) / sizeof(name[0])                             \
	}
static const struct replay_case cases[] = {
        CASE(w64, 64, false),     CASE(w100, 100, false), CASE(w1024, 1024, false),
        CASE(w4096, 4096, false), CASE(w0, 0, false),     CASE(esn64, 64, true),
        CASE(esn0, 0, true),
};

static void run_case(const struct replay_case *c)
{
	struct esp_replay *w;

	assert_int_equal(esp_replay_new(&w, c->size, c->esn), 0);
	for (size_t i = 0; i < c->n; i++) {
		const struct step *s = &c->steps[i];
		enum esp_drop drop = ESP_DROP__MAX;
		uint64_t seq = 0;
		int r = esp_replay_check(w, s->lo, &seq, &drop);

		if ((s->want == OK || s->want == BAD) != (r == 0))
			print_message("%s step %zu: lo=0x%08x r=%d drop=%s\n", c->name, i, s->lo, r,
			              esp_drop_name(drop));
		switch (s->want) {
		case OK:
		case BAD:
			assert_int_equal(r, 0);
			assert_int_equal(seq, s->seq);
			if (s->want == OK)
				esp_replay_update(w, seq);
			break;
		case DUP:
			assert_int_equal(r, BW_ERR_REPLAY);
			assert_int_equal(drop, ESP_DROP_REPLAY);
			break;
		case OLD:
			assert_int_equal(r, BW_ERR_REPLAY);
			assert_int_equal(drop, ESP_DROP_TOO_OLD);
			break;
		}
	}
	esp_replay_free(w);
}

static void test_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		run_case(&cases[i]);
}

static void test_limits(void **state)
{
	struct esp_replay *w = NULL;
	enum esp_drop drop;
	uint64_t seq;

	(void)state;
	assert_int_equal(esp_replay_new(&w, ESP_REPLAY_MAX + 1, false), BW_ERR_INVAL);
	assert_null(w);
	assert_int_equal(esp_replay_new(&w, ESP_REPLAY_MAX, false), 0);
	/* The full 65536-packet window: top - 65535 is in, top - 65536 is out. */
	esp_replay_update(w, 100000);
	assert_int_equal(esp_replay_top(w), 100000);
	assert_int_equal(esp_replay_check(w, 100000 - 65535, &seq, &drop), 0);
	assert_int_equal(esp_replay_check(w, 100000 - 65536, &seq, &drop), BW_ERR_REPLAY);
	assert_int_equal(drop, ESP_DROP_TOO_OLD);
	/* reset forgets everything. */
	esp_replay_reset(w);
	assert_int_equal(esp_replay_top(w), 0);
	assert_int_equal(esp_replay_check(w, 1, &seq, &drop), 0);
	esp_replay_free(w);
	esp_replay_free(NULL);
}

static uint64_t xs(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* Random traffic around the top against a model that remembers every number. */
static void test_model(void **state)
{
	static const uint32_t sizes[] = {64, 1024, 4096};
	enum { SPACE = 1 << 18 };
	static uint8_t seen[SPACE];

	(void)state;
	for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		uint32_t size = sizes[k];
		uint64_t rng = 0x9e3779b97f4a7c15ULL + k, top = 0;
		struct esp_replay *w;

		memset(seen, 0, sizeof(seen));
		assert_int_equal(esp_replay_new(&w, size, false), 0);
		for (int i = 0; i < 200000 && top < SPACE - 4 * size; i++) {
			uint64_t r = xs(&rng), s, got = 0;
			enum esp_drop drop = ESP_DROP__MAX;
			int want, rc;

			/* Mostly near the top, sometimes far behind or far ahead. */
			if (r % 16 == 0)
				s = top + r % (2 * size);
			else if (top + 2 > (r >> 8) % (size + size / 2))
				s = top + 2 - (r >> 8) % (size + size / 2);
			else
				s = 1;
			if (s >= SPACE)
				continue;
			if (s == 0 || (s <= top && top - s >= size))
				want = OLD;
			else if (seen[s])
				want = DUP;
			else
				want = OK;
			rc = esp_replay_check(w, (uint32_t)s, &got, &drop);
			if (want == OK) {
				assert_int_equal(rc, 0);
				assert_int_equal(got, s);
				/* One in eight fails authentication and must not count. */
				if (r % 8 != 3) {
					esp_replay_update(w, s);
					seen[s] = 1;
					if (s > top)
						top = s;
				}
			} else {
				assert_int_equal(rc, BW_ERR_REPLAY);
				assert_int_equal(drop,
				                 want == DUP ? ESP_DROP_REPLAY : ESP_DROP_TOO_OLD);
			}
			assert_int_equal(esp_replay_top(w), top);
		}
		esp_replay_free(w);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_table),
	        cmocka_unit_test(test_limits),
	        cmocka_unit_test(test_model),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
