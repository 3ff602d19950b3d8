/* SPDX-License-Identifier: ISC */
/*
 * Unit tests for the open-addressing hash table: insert, lookup, duplicate
 * refusal, growth, iteration and backward-shift deletion, checked against a
 * plain array model across many random operations so that every probe run
 * shape (wrap-around at the end of the table, long clusters) gets exercised.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "lib/err.h"
#include "lib/htab.h"

/* Values are pointers into this array: slot k holds the value for key k. */
static int vals[4096];

static void test_basic(void **state)
{
	struct htab *h = htab_new(0, 1234);

	(void)state;
	assert_non_null(h);
	assert_int_equal(htab_count(h), 0);
	assert_null(htab_get(h, 7));
	assert_int_equal(htab_put(h, 7, &vals[7]), 0);
	assert_int_equal(htab_put(h, 7, &vals[8]), BW_ERR_EXISTS);
	assert_int_equal(htab_put(h, 9, NULL), BW_ERR_INVAL);
	assert_ptr_equal(htab_get(h, 7), &vals[7]);
	assert_int_equal(htab_count(h), 1);
	assert_ptr_equal(htab_del(h, 7), &vals[7]);
	assert_null(htab_del(h, 7));
	assert_null(htab_get(h, 7));
	assert_int_equal(htab_count(h), 0);
	/* Key 0 and the largest keys are ordinary keys. */
	assert_int_equal(htab_put(h, 0, &vals[0]), 0);
	assert_int_equal(htab_put(h, UINT64_MAX, &vals[1]), 0);
	assert_int_equal(htab_put(h, 0xffffffffu, &vals[2]), 0);
	assert_ptr_equal(htab_get(h, 0), &vals[0]);
	assert_ptr_equal(htab_get(h, UINT64_MAX), &vals[1]);
	assert_ptr_equal(htab_get(h, 0xffffffffu), &vals[2]);
	htab_free(h);
	htab_free(NULL);
}

static void test_grow_and_iterate(void **state)
{
	struct htab *h = htab_new(2, 0);
	unsigned char seen[2000] = {0};
	size_t pos = 0, n = 0;
	uint64_t key;
	void *val;

	(void)state;
	for (uint64_t k = 0; k < 2000; k++)
		assert_int_equal(htab_put(h, k * 0x10000, &vals[k]), 0);
	assert_int_equal(htab_count(h), 2000);
	for (uint64_t k = 0; k < 2000; k++)
		assert_ptr_equal(htab_get(h, k * 0x10000), &vals[k]);
	assert_null(htab_get(h, 1));
	while (htab_next(h, &pos, &key, &val)) {
		assert_int_equal(key % 0x10000, 0);
		assert_true(key / 0x10000 < 2000);
		assert_ptr_equal(val, &vals[key / 0x10000]);
		assert_int_equal(seen[key / 0x10000], 0);
		seen[key / 0x10000] = 1;
		n++;
	}
	assert_int_equal(n, 2000);
	assert_false(htab_next(h, &pos, NULL, NULL));
	htab_free(h);
}

/* Random put/del/get against a model; small key space forces long clusters. */
static void test_random_model(void **state)
{
	enum { KEYS = 512, OPS = 200000 };
	static bool present[KEYS];
	struct htab *h = htab_new(4, 99);
	uint64_t rng = 88172645463325252ULL;
	size_t count = 0;

	(void)state;
	for (size_t op = 0; op < OPS; op++) {
		uint64_t k;

		rng ^= rng << 13;
		rng ^= rng >> 7;
		rng ^= rng << 17;
		k = rng % KEYS;
		switch ((rng >> 20) % 3) {
		case 0:
			assert_int_equal(htab_put(h, k, &vals[k]), present[k] ? BW_ERR_EXISTS : 0);
			if (!present[k])
				count++;
			present[k] = true;
			break;
		case 1:
			assert_ptr_equal(htab_del(h, k), present[k] ? &vals[k] : NULL);
			if (present[k])
				count--;
			present[k] = false;
			break;
		default:
			assert_ptr_equal(htab_get(h, k), present[k] ? &vals[k] : NULL);
			break;
		}
		assert_int_equal(htab_count(h), count);
	}
	/* Every key agrees with the model at the end. */
	for (uint64_t k = 0; k < KEYS; k++)
		assert_ptr_equal(htab_get(h, k), present[k] ? &vals[k] : NULL);
	htab_free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_basic),
	        cmocka_unit_test(test_grow_and_iterate),
	        cmocka_unit_test(test_random_model),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
