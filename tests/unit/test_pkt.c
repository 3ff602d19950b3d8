/* SPDX-License-Identifier: ISC */
/*
 * Unit tests for packet buffers (src/lib/pkt.h): pool allocation up to its
 * cap, in_use accounting, reuse after free, and the push/pull/put/trim limits
 * that encapsulation relies on (headroom, tailroom, never past the buffer).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "lib/pkt.h"

static void test_pool_cap(void **state)
{
	struct pkt_pool *pool = pkt_pool_new(4, 10);
	struct pkt *p[11];

	(void)state;
	assert_non_null(pool);
	assert_int_equal(pkt_pool_in_use(pool), 0);
	/* Grows on demand past the initial 4, up to the cap of 10. */
	for (size_t i = 0; i < 10; i++) {
		p[i] = pkt_alloc(pool);
		assert_non_null(p[i]);
		assert_int_equal(pkt_pool_in_use(pool), i + 1);
		for (size_t j = 0; j < i; j++)
			assert_ptr_not_equal(p[i], p[j]);
		/* Fresh buffers: default headroom, no data. */
		assert_int_equal(pkt_headroom(p[i]), PKT_HEADROOM);
		assert_int_equal(p[i]->len, 0);
		assert_int_equal(pkt_tailroom(p[i]), PKT_BUFSIZE - PKT_HEADROOM);
		assert_null(p[i]->next);
	}
	assert_null(pkt_alloc(pool));
	assert_int_equal(pkt_pool_in_use(pool), 10);
	/* A free makes room for exactly one more, and that buffer is reset. */
	p[3]->off = 7;
	p[3]->len = 99;
	p[3]->flags = 5;
	pkt_free(p[3]);
	assert_int_equal(pkt_pool_in_use(pool), 9);
	p[3] = pkt_alloc(pool);
	assert_non_null(p[3]);
	assert_int_equal(pkt_headroom(p[3]), PKT_HEADROOM);
	assert_int_equal(p[3]->len, 0);
	assert_int_equal(p[3]->flags, 0);
	assert_null(pkt_alloc(pool));
	for (size_t i = 0; i < 10; i++)
		pkt_free(p[i]);
	assert_int_equal(pkt_pool_in_use(pool), 0);
	pkt_free(NULL);
	pkt_pool_free(pool);
	pkt_pool_free(NULL);
}

static void test_pool_max_below_count(void **state)
{
	/* max < count is raised to count. */
	struct pkt_pool *pool = pkt_pool_new(3, 1);
	struct pkt *p[3];

	(void)state;
	assert_non_null(pool);
	for (size_t i = 0; i < 3; i++)
		assert_non_null(p[i] = pkt_alloc(pool));
	assert_null(pkt_alloc(pool));
	for (size_t i = 0; i < 3; i++)
		pkt_free(p[i]);
	pkt_pool_free(pool);

	/* An empty pool with no room allocates nothing. */
	pool = pkt_pool_new(0, 0);
	assert_non_null(pool);
	assert_null(pkt_alloc(pool));
	assert_int_equal(pkt_pool_in_use(pool), 0);
	pkt_pool_free(pool);
}

static void test_push_pull(void **state)
{
	struct pkt_pool *pool = pkt_pool_new(1, 1);
	struct pkt *p = pkt_alloc(pool);
	uint8_t *d;

	(void)state;
	assert_non_null(p);
	d = pkt_put(p, 10);
	assert_ptr_equal(d, p->buf + PKT_HEADROOM);
	memset(d, 0x42, 10);
	/* Push to exactly zero headroom, then one more fails and changes nothing. */
	d = pkt_push(p, PKT_HEADROOM - 8);
	assert_ptr_equal(d, p->buf + 8);
	assert_int_equal(p->len, 10 + PKT_HEADROOM - 8);
	assert_ptr_equal(pkt_push(p, 8), p->buf);
	assert_int_equal(pkt_headroom(p), 0);
	assert_null(pkt_push(p, 1));
	assert_int_equal(pkt_headroom(p), 0);
	assert_int_equal(p->len, 10 + PKT_HEADROOM);
	assert_ptr_equal(pkt_push(p, 0), p->buf);
	/* Pull everything but the payload back off. */
	d = pkt_pull(p, PKT_HEADROOM);
	assert_ptr_equal(d, p->buf + PKT_HEADROOM);
	assert_int_equal(p->len, 10);
	assert_int_equal(d[0], 0x42);
	assert_null(pkt_pull(p, 11));
	assert_int_equal(p->len, 10);
	assert_int_equal(pkt_headroom(p), PKT_HEADROOM);
	assert_non_null(pkt_pull(p, 10));
	assert_int_equal(p->len, 0);
	assert_null(pkt_pull(p, 1));
	assert_non_null(pkt_pull(p, 0));
	pkt_free(p);
	pkt_pool_free(pool);
}

static void test_put_trim(void **state)
{
	struct pkt_pool *pool = pkt_pool_new(1, 1);
	struct pkt *p = pkt_alloc(pool);
	size_t room;

	(void)state;
	assert_non_null(p);
	room = pkt_tailroom(p);
	assert_null(pkt_put(p, room + 1));
	assert_int_equal(p->len, 0);
	assert_non_null(pkt_put(p, room - 1));
	assert_int_equal(pkt_tailroom(p), 1);
	assert_null(pkt_put(p, 2));
	assert_ptr_equal(pkt_put(p, 1), p->buf + PKT_BUFSIZE - 1);
	assert_int_equal(pkt_tailroom(p), 0);
	assert_null(pkt_put(p, 1));
	assert_int_equal(p->off + p->len, PKT_BUFSIZE);
	/* A huge size_t must not wrap the check. */
	assert_null(pkt_put(p, SIZE_MAX));
	assert_null(pkt_push(p, SIZE_MAX));
	assert_null(pkt_pull(p, SIZE_MAX));
	/* trim only shortens. */
	pkt_trim(p, 100);
	assert_int_equal(p->len, 100);
	pkt_trim(p, 1000);
	assert_int_equal(p->len, 100);
	pkt_trim(p, 0);
	assert_int_equal(p->len, 0);
	assert_int_equal(pkt_tailroom(p), PKT_BUFSIZE - PKT_HEADROOM);
	pkt_reset(p);
	assert_int_equal(pkt_headroom(p), PKT_HEADROOM);
	pkt_free(p);
	pkt_pool_free(pool);
}

static void test_two_pools(void **state)
{
	/* A buffer goes back to the pool it came from. */
	struct pkt_pool *a = pkt_pool_new(1, 1), *b = pkt_pool_new(1, 1);
	struct pkt *pa = pkt_alloc(a), *pb = pkt_alloc(b);

	(void)state;
	assert_non_null(pa);
	assert_non_null(pb);
	assert_ptr_equal(pa->pool, a);
	pkt_free(pb);
	assert_int_equal(pkt_pool_in_use(a), 1);
	assert_int_equal(pkt_pool_in_use(b), 0);
	pkt_free(pa);
	assert_int_equal(pkt_pool_in_use(a), 0);
	pkt_pool_free(a);
	pkt_pool_free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_pool_cap),  cmocka_unit_test(test_pool_max_below_count),
	        cmocka_unit_test(test_push_pull), cmocka_unit_test(test_put_trim),
	        cmocka_unit_test(test_two_pools),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
