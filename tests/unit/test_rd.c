/* SPDX-License-Identifier: ISC */
/*
 * Unit tests for the bounded reader and writer (src/lib/rd.h). Table-driven:
 * every read kind is tried at every remaining length around its size, and a
 * failed read must leave the reader exactly as it was (the OpenSSH sshbuf
 * rule the codecs rely on). Sub-readers must not see past their declared
 * length, tails must come off the end, and writers must write nothing when
 * the capacity is short.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "lib/err.h"
#include "lib/rd.h"

enum { BUFLEN = 24 };

static uint8_t src[BUFLEN];

static int setup(void **state)
{
	(void)state;
	for (size_t i = 0; i < BUFLEN; i++)
		src[i] = (uint8_t)(0xa0 + i);
	return 0;
}

/* Big-endian value of n bytes at p, computed independently of rd.h. */
static uint64_t be(const uint8_t *p, size_t n)
{
	uint64_t v = 0;

	for (size_t i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

enum rd_op { OP_U8, OP_U16, OP_U32, OP_U64, OP_PEEK8, OP_PEEK16, OP_PEEK32 };

static const struct {
	enum rd_op op;
	size_t size;
	bool moves;
} rd_ops[] = {
        {OP_U8, 1, true},     {OP_U16, 2, true},     {OP_U32, 4, true},     {OP_U64, 8, true},
        {OP_PEEK8, 1, false}, {OP_PEEK16, 2, false}, {OP_PEEK32, 4, false},
};

static int do_op(struct bw_rd *rd, enum rd_op op, uint64_t *v)
{
	uint8_t v8 = 0;
	uint16_t v16 = 0;
	uint32_t v32 = 0;
	int r = BW_ERR_INVAL;

	switch (op) {
	case OP_U8:
		r = bw_rd_u8(rd, &v8);
		*v = v8;
		break;
	case OP_U16:
		r = bw_rd_u16(rd, &v16);
		*v = v16;
		break;
	case OP_U32:
		r = bw_rd_u32(rd, &v32);
		*v = v32;
		break;
	case OP_U64:
		r = bw_rd_u64(rd, v);
		break;
	case OP_PEEK8:
		r = bw_rd_peek_u8(rd, &v8);
		*v = v8;
		break;
	case OP_PEEK16:
		r = bw_rd_peek_u16(rd, &v16);
		*v = v16;
		break;
	case OP_PEEK32:
		r = bw_rd_peek_u32(rd, &v32);
		*v = v32;
		break;
	}
	return r;
}

/* Every integer read, at every start offset and every remaining length. */
static void test_int_reads(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(rd_ops) / sizeof(rd_ops[0]); i++) {
		for (size_t off = 0; off < BUFLEN; off++) {
			for (size_t left = 0; off + left <= BUFLEN; left++) {
				struct bw_rd rd;
				uint64_t v = 0xdeadbeef;
				int r;

				bw_rd_init(&rd, src + off, left);
				r = do_op(&rd, rd_ops[i].op, &v);
				if (left < rd_ops[i].size) {
					assert_int_equal(r, BW_ERR_SHORT);
					/* A failed read consumes nothing. */
					assert_ptr_equal(bw_rd_cur(&rd), src + off);
					assert_int_equal(bw_rd_left(&rd), left);
					continue;
				}
				assert_int_equal(r, 0);
				assert_true(v == be(src + off, rd_ops[i].size));
				if (rd_ops[i].moves) {
					assert_ptr_equal(bw_rd_cur(&rd),
					                 src + off + rd_ops[i].size);
					assert_int_equal(bw_rd_left(&rd), left - rd_ops[i].size);
				} else {
					assert_ptr_equal(bw_rd_cur(&rd), src + off);
					assert_int_equal(bw_rd_left(&rd), left);
				}
			}
		}
	}
}

enum rng_op { RNG_COPY, RNG_PTR, RNG_SKIP, RNG_SUB, RNG_TAIL };

/* copy/ptr/skip/sub/tail for every n from 0 to past the end. */
static void test_range_reads(void **state)
{
	(void)state;
	for (int op = RNG_COPY; op <= RNG_TAIL; op++) {
		for (size_t left = 0; left <= BUFLEN; left++) {
			for (size_t n = 0; n <= left + 2; n++) {
				struct bw_rd rd, sub = {NULL, 0xabc};
				const uint8_t *p = NULL;
				uint8_t out[BUFLEN + 2];
				int r = BW_ERR_INVAL;

				memset(out, 0x5a, sizeof(out));
				bw_rd_init(&rd, src, left);
				switch (op) {
				case RNG_COPY:
					r = bw_rd_copy(&rd, out, n);
					break;
				case RNG_PTR:
					r = bw_rd_ptr(&rd, &p, n);
					break;
				case RNG_SKIP:
					r = bw_rd_skip(&rd, n);
					break;
				case RNG_SUB:
					r = bw_rd_sub(&rd, &sub, n);
					break;
				case RNG_TAIL:
					r = bw_rd_tail(&rd, &p, n);
					break;
				}
				if (n > left) {
					assert_int_equal(r, BW_ERR_SHORT);
					assert_ptr_equal(bw_rd_cur(&rd), src);
					assert_int_equal(bw_rd_left(&rd), left);
					/* Outputs untouched on failure. */
					assert_int_equal(out[0], 0x5a);
					assert_null(p);
					assert_int_equal(sub.left, 0xabc);
					continue;
				}
				assert_int_equal(r, 0);
				assert_int_equal(bw_rd_left(&rd), left - n);
				if (op == RNG_TAIL) {
					/* The tail comes off the end; the front stays. */
					assert_ptr_equal(bw_rd_cur(&rd), src);
					assert_ptr_equal(p, src + left - n);
					continue;
				}
				assert_ptr_equal(bw_rd_cur(&rd), src + n);
				if (op == RNG_COPY) {
					assert_memory_equal(out, src, n);
					assert_int_equal(out[n], 0x5a);
				} else if (op == RNG_PTR) {
					assert_ptr_equal(p, src);
				} else if (op == RNG_SUB) {
					assert_ptr_equal(bw_rd_cur(&sub), src);
					assert_int_equal(bw_rd_left(&sub), n);
				}
			}
		}
	}
}

/* Little-endian reads: same bounds rule, bytes taken low first. */
static void test_le_reads(void **state)
{
	static const uint8_t b[] = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09};
	struct bw_rd rd;
	uint16_t v16;
	uint32_t v32;
	uint64_t v64;

	(void)state;
	bw_rd_init(&rd, b, sizeof(b));
	assert_int_equal(bw_rd_le16(&rd, &v16), 0);
	assert_int_equal(v16, 0x0201);
	assert_int_equal(bw_rd_le32(&rd, &v32), 0);
	assert_int_equal(v32, 0x06050403);
	assert_int_equal(bw_rd_le64(&rd, &v64), BW_ERR_SHORT);
	assert_int_equal(bw_rd_left(&rd), 3); /* a failed read consumes nothing */
	bw_rd_init(&rd, b, sizeof(b));
	assert_int_equal(bw_rd_le64(&rd, &v64), 0);
	assert_true(v64 == 0x0807060504030201ull);
	assert_int_equal(bw_rd_le16(&rd, &v16), BW_ERR_SHORT);
	assert_int_equal(bw_rd_le32(&rd, &v32), BW_ERR_SHORT);
	assert_int_equal(bw_rd_left(&rd), 1);
}

/* A sub-reader is bounded by its declared length, not by the parent. */
static void test_sub_bounds(void **state)
{
	struct bw_rd rd, sub, sub2;
	uint16_t v16;
	uint32_t v32;
	uint8_t v8;

	(void)state;
	bw_rd_init(&rd, src, BUFLEN);
	assert_int_equal(bw_rd_sub(&rd, &sub, 3), 0);
	assert_int_equal(bw_rd_left(&rd), BUFLEN - 3);
	assert_int_equal(bw_rd_u32(&sub, &v32), BW_ERR_SHORT); /* parent has more */
	assert_int_equal(bw_rd_u16(&sub, &v16), 0);
	assert_int_equal(v16, 0xa0a1);
	/* Nested sub of the rest; then the outer sub is empty. */
	assert_int_equal(bw_rd_sub(&sub, &sub2, 2), BW_ERR_SHORT);
	assert_int_equal(bw_rd_sub(&sub, &sub2, 1), 0);
	assert_int_equal(bw_rd_left(&sub), 0);
	assert_int_equal(bw_rd_u8(&sub, &v8), BW_ERR_SHORT);
	assert_int_equal(bw_rd_u8(&sub2, &v8), 0);
	assert_int_equal(v8, 0xa2);
	assert_int_equal(bw_rd_u8(&sub2, &v8), BW_ERR_SHORT);
	/* The parent continues right after the sub. */
	assert_int_equal(bw_rd_u8(&rd, &v8), 0);
	assert_int_equal(v8, 0xa3);
}

/* tail then front reads: the trailer is invisible to the front. */
static void test_tail_then_front(void **state)
{
	struct bw_rd rd;
	const uint8_t *icv;
	uint8_t body[BUFLEN];

	(void)state;
	bw_rd_init(&rd, src, 10);
	assert_int_equal(bw_rd_tail(&rd, &icv, 4), 0);
	assert_ptr_equal(icv, src + 6);
	assert_int_equal(bw_rd_copy(&rd, body, 7), BW_ERR_SHORT);
	assert_int_equal(bw_rd_copy(&rd, body, 6), 0);
	assert_memory_equal(body, src, 6);
	assert_int_equal(bw_rd_left(&rd), 0);
	assert_int_equal(bw_rd_tail(&rd, &icv, 1), BW_ERR_SHORT);
	assert_int_equal(bw_rd_tail(&rd, &icv, 0), 0);
}

/* Writers: each op at every capacity; a short write writes nothing. */
static void test_writer(void **state)
{
	static const size_t sizes[] = {1, 2, 4, 8, 5, 0, 3};

	(void)state;
	for (size_t op = 0; op < sizeof(sizes) / sizeof(sizes[0]); op++) {
		size_t need = sizes[op];

		for (size_t pre = 0; pre <= 4; pre++) {
			for (size_t cap = pre; cap <= pre + 10; cap++) {
				uint8_t buf[32], *res = NULL;
				struct bw_wr wr;
				int r = BW_ERR_INVAL;

				memset(buf, 0xcc, sizeof(buf));
				bw_wr_init(&wr, buf, cap);
				for (size_t i = 0; i < pre; i++)
					assert_int_equal(bw_wr_u8(&wr, 0x11), 0);
				switch (op) {
				case 0:
					r = bw_wr_u8(&wr, 0x01);
					break;
				case 1:
					r = bw_wr_u16(&wr, 0x0102);
					break;
				case 2:
					r = bw_wr_u32(&wr, 0x01020304);
					break;
				case 3:
					r = bw_wr_u64(&wr, 0x0102030405060708ULL);
					break;
				case 4:
					r = bw_wr_bytes(&wr, "\x01\x02\x03\x04\x05", 5);
					break;
				case 5:
					r = bw_wr_zero(&wr, 0);
					break;
				case 6:
					r = bw_wr_reserve(&wr, &res, 3);
					break;
				}
				if (pre + need > cap) {
					assert_int_equal(r, BW_ERR_NOSPACE);
					assert_int_equal(bw_wr_len(&wr), pre);
					for (size_t i = pre; i < sizeof(buf); i++)
						assert_int_equal(buf[i], 0xcc);
					assert_null(res);
					continue;
				}
				assert_int_equal(r, 0);
				assert_int_equal(bw_wr_len(&wr), pre + need);
				for (size_t i = 0; i < need; i++)
					assert_int_equal(buf[pre + i], op == 6 ? 0 : i + 1);
				assert_int_equal(buf[pre + need], 0xcc);
				if (op == 6)
					assert_ptr_equal(res, buf + pre);
			}
		}
	}
}

static void test_zero_and_roundtrip(void **state)
{
	uint8_t buf[32];
	struct bw_wr wr;
	struct bw_rd rd;
	uint8_t *len;
	uint64_t v64;
	uint32_t v32;
	uint16_t v16;

	(void)state;
	memset(buf, 0xcc, sizeof(buf));
	bw_wr_init(&wr, buf, sizeof(buf));
	assert_int_equal(bw_wr_reserve(&wr, &len, 2), 0);
	assert_int_equal(bw_wr_zero(&wr, 3), 0);
	assert_int_equal(bw_wr_u32(&wr, 0xfeedface), 0);
	assert_int_equal(bw_wr_u64(&wr, 0x8000000000000001ULL), 0);
	bw_put_be16(len, (uint16_t)bw_wr_len(&wr));
	assert_int_equal(bw_wr_zero(&wr, sizeof(buf) - bw_wr_len(&wr) + 1), BW_ERR_NOSPACE);

	bw_rd_init(&rd, buf, bw_wr_len(&wr));
	assert_int_equal(bw_rd_u16(&rd, &v16), 0);
	assert_int_equal(v16, 17);
	assert_int_equal(bw_rd_skip(&rd, 3), 0);
	assert_memory_equal(buf + 2, "\0\0\0", 3);
	assert_int_equal(bw_rd_u32(&rd, &v32), 0);
	assert_int_equal(v32, 0xfeedface);
	assert_int_equal(bw_rd_u64(&rd, &v64), 0);
	assert_true(v64 == 0x8000000000000001ULL);
	assert_int_equal(bw_rd_left(&rd), 0);
	assert_int_equal(bw_be32(buf + 5), 0xfeedface);
}

/* bw_key_cmp orders like memcmp() (sign only) for every key length it takes. */
static void test_key_cmp(void **state)
{
	(void)state;
	uint32_t x = 12345;
	for (int iter = 0; iter < 20000; iter++) {
		uint8_t a[16], b[16];
		for (size_t i = 0; i < 16; i++) {
			x = x * 1103515245u + 12345u;
			a[i] = (uint8_t)(x >> 16);
			/* Mostly equal bytes, so that later bytes decide. */
			b[i] = (x >> 8) % 4 ? a[i] : (uint8_t)(x >> 24);
		}
		static const size_t lens[] = {1, 2, 3, 4, 16};
		for (size_t l = 0; l < sizeof(lens) / sizeof(lens[0]); l++) {
			int m = memcmp(a, b, lens[l]), k = bw_key_cmp(a, b, lens[l]);
			assert_int_equal(m < 0 ? -1 : m > 0, k);
		}
	}
	assert_int_equal(bw_be64((const uint8_t *)"\x01\x02\x03\x04\x05\x06\x07\x08"),
	                 0x0102030405060708ull);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_int_reads),          cmocka_unit_test(test_range_reads),
	        cmocka_unit_test(test_sub_bounds),         cmocka_unit_test(test_le_reads),
	        cmocka_unit_test(test_tail_then_front),    cmocka_unit_test(test_writer),
	        cmocka_unit_test(test_zero_and_roundtrip), cmocka_unit_test(test_key_cmp),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
