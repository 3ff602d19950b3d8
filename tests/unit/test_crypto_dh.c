/* SPDX-License-Identifier: ISC */
/*
 * Tests for src/crypto/crypto_dh.c, the IKEv2 KE payload groups 14, 19, 20,
 * 21 and 31. Known answers come from tests/vectors/dh_ike.txt (RFC 5903
 * section 8, RFC 7748 sections 5.2 and 6.1, and a group 14 case computed with
 * Python; tests/vectors/dh_check.py produced and checked the file): each
 * side's fixed private value must give the published public value and g^ir.
 * Then fresh key pairs of every group must agree, and peer values that RFC
 * 7296 section 5, RFC 6989 and RFC 7748 section 6.1 call invalid must be
 * refused with the output zeroed: MODP 0, 1, p-1, p and beyond; ECP points
 * off the curve; X25519 low-order points (all-zero shared secret); and any
 * value of the wrong length.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "crypto/crypto.h"
#include "crypto/crypto_dh.h"
#include "lib/err.h"
#include "lib/hex.h"

enum { VEC_MAX = 300, LINE_MAX_ = 1024 };

struct hexfield {
	uint8_t b[VEC_MAX];
	size_t len;
	bool seen;
};

struct dh_case {
	char label[128];
	unsigned group;
	struct hexfield i, gi, r, gr, gir;
};

/* RFC 3526 section 3: the 2048-bit MODP prime. */
static const char modp2048_p[] = "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74"
                                 "020BBEA63B139B22514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F1437"
                                 "4FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED"
                                 "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF05"
                                 "98DA48361C55D39A69163FA8FD24CF5F83655D23DCA3AD961C62F356208552BB"
                                 "9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B"
                                 "E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF695581718"
                                 "3995497CEA956AE515D2261898FA051015728E5A8AACAA68FFFFFFFFFFFFFFFF";

static const enum crypto_dh_group all_groups[] = {
        CRYPTO_DH_MODP2048, CRYPTO_DH_ECP256,     CRYPTO_DH_ECP384,
        CRYPTO_DH_ECP521,   CRYPTO_DH_CURVE25519,
};

static void hex_decode(const char *s, struct hexfield *f)
{
	size_t n = strlen(s);

	if (n % 2 != 0 || n / 2 > sizeof(f->b))
		fail_msg("bad hex length %zu", n);
	for (size_t k = 0; k < n; k += 2) {
		int hi = bw_hex_digit(s[k]), lo = bw_hex_digit(s[k + 1]);

		if (hi < 0 || lo < 0)
			fail_msg("bad hex digit in '%s'", s);
		f->b[k / 2] = (uint8_t)(hi << 4 | lo);
	}
	f->len = n / 2;
	f->seen = true;
}

static char *trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' || e[-1] == '\r'))
		*--e = '\0';
	return s;
}

static void set_field(struct dh_case *c, const char *name, const char *val)
{
	struct {
		const char *name;
		struct hexfield *f;
	} map[] = {{"i", &c->i}, {"gi", &c->gi}, {"r", &c->r}, {"gr", &c->gr}, {"gir", &c->gir}};

	if (strcmp(name, "case") == 0) {
		snprintf(c->label, sizeof(c->label), "%s", val);
		return;
	}
	if (strcmp(name, "group") == 0) {
		c->group = (unsigned)strtoul(val, NULL, 10);
		return;
	}
	for (size_t k = 0; k < sizeof(map) / sizeof(map[0]); k++) {
		if (strcmp(name, map[k].name) == 0) {
			if (map[k].f->seen)
				fail_msg("duplicate field %s", name);
			hex_decode(val, map[k].f);
			return;
		}
	}
	fail_msg("unknown field '%s'", name);
}

/* 1 if a case was read, 0 at end of file. */
static int next_case(FILE *fp, struct dh_case *c)
{
	char line[LINE_MAX_];
	bool any = false;

	memset(c, 0, sizeof(*c));
	while (fgets(line, sizeof(line), fp) != NULL) {
		char *s = trim(line), *eq;

		if (*s == '#')
			continue;
		if (*s == '\0') {
			if (any)
				return 1;
			continue;
		}
		any = true;
		if ((eq = strchr(s, '=')) == NULL)
			fail_msg("line without '=': %s", s);
		*eq = '\0';
		set_field(c, trim(s), trim(eq + 1));
	}
	return any ? 1 : 0;
}

static void expect_shared(struct crypto_dh *dh, const struct hexfield *peer,
                          const struct hexfield *want)
{
	uint8_t out[CRYPTO_DH_SHARED_MAX];

	assert_int_equal(want->len, crypto_dh_shared_len(crypto_dh_group(dh)));
	assert_int_equal(crypto_dh_shared(dh, peer->b, peer->len, out, want->len), 0);
	assert_memory_equal(out, want->b, want->len);
}

static void run_case(const struct dh_case *c)
{
	enum crypto_dh_group g = (enum crypto_dh_group)c->group;
	struct crypto_dh *di, *dr;
	uint8_t pub[CRYPTO_DH_PUBLIC_MAX];
	struct hexfield bad;

	print_message("  %s\n", c->label);
	if (!c->i.seen || !c->gi.seen || !c->gr.seen || !c->gir.seen)
		fail_msg("case '%s' lacks a field", c->label);
	assert_true(crypto_dh_supported(c->group));
	assert_int_equal(c->gi.len, crypto_dh_public_len(g));

	assert_int_equal(crypto_dh_new_from_private(&di, g, c->i.b, c->i.len, c->gi.b, c->gi.len),
	                 0);
	assert_int_equal(crypto_dh_public(di, pub, c->gi.len), 0);
	assert_memory_equal(pub, c->gi.b, c->gi.len);
	expect_shared(di, &c->gr, &c->gir);
	/* The same key pair can derive again (IKE derives once, but nothing is consumed). */
	expect_shared(di, &c->gr, &c->gir);
	crypto_dh_free(di);

	if (c->r.seen) {
		assert_int_equal(
		        crypto_dh_new_from_private(&dr, g, c->r.b, c->r.len, c->gr.b, c->gr.len),
		        0);
		expect_shared(dr, &c->gi, &c->gir);
		crypto_dh_free(dr);
	}

	/* A public value that does not belong to the private one is refused. */
	bad = c->gi;
	bad.b[bad.len - 1] ^= 0x01;
	di = (struct crypto_dh *)&bad; /* must be reset to NULL on failure */
	assert_int_equal(crypto_dh_new_from_private(&di, g, c->i.b, c->i.len, bad.b, bad.len),
	                 BW_ERR_INVAL);
	assert_null(di);
}

static void test_known_answers(void **state)
{
	char path[512];
	struct dh_case c;
	unsigned n = 0, seen[32] = {0};
	FILE *fp;

	(void)state;
	snprintf(path, sizeof(path), "%s/dh_ike.txt", BW_VECTORS_DIR);
	if ((fp = fopen(path, "r")) == NULL)
		fail_msg("cannot open %s", path);
	while (next_case(fp, &c) == 1) {
		run_case(&c);
		if (c.group < 32)
			seen[c.group]++;
		n++;
	}
	fclose(fp);
	print_message("dh_ike.txt: %u vectors\n", n);
	/* Every group has at least one known answer. */
	for (size_t k = 0; k < sizeof(all_groups) / sizeof(all_groups[0]); k++)
		assert_true(seen[all_groups[k]] > 0);
}

static void test_agree_fresh(void **state)
{
	(void)state;
	for (size_t k = 0; k < sizeof(all_groups) / sizeof(all_groups[0]); k++) {
		enum crypto_dh_group g = all_groups[k];
		size_t pl = crypto_dh_public_len(g), sl = crypto_dh_shared_len(g);
		uint8_t pa[CRYPTO_DH_PUBLIC_MAX + 1], pb[CRYPTO_DH_PUBLIC_MAX + 1];
		uint8_t sa[CRYPTO_DH_SHARED_MAX], sb[CRYPTO_DH_SHARED_MAX];
		struct crypto_dh *a, *b, *c;

		assert_int_equal(crypto_dh_new(&a, g), 0);
		assert_int_equal(crypto_dh_new(&b, g), 0);
		assert_int_equal(crypto_dh_new(&c, g), 0);
		assert_int_equal(crypto_dh_group(a), g);
		assert_int_equal(crypto_dh_public(a, pa, pl), 0);
		assert_int_equal(crypto_dh_public(b, pb, pl), 0);
		/* Exact lengths only, for the public value and for the secret. */
		assert_int_equal(crypto_dh_public(a, pa, pl - 1), BW_ERR_INVAL);
		assert_int_equal(crypto_dh_public(a, pa, pl + 1), BW_ERR_INVAL);
		assert_int_equal(crypto_dh_shared(a, pb, pl - 1, sa, sl), BW_ERR_INVAL);
		assert_int_equal(crypto_dh_shared(a, pb, pl + 1, sa, sl), BW_ERR_INVAL);
		assert_int_equal(crypto_dh_shared(a, pb, pl, sa, sl - 1), BW_ERR_INVAL);
		assert_int_equal(crypto_dh_shared(a, pb, pl, sa, sl), 0);
		assert_int_equal(crypto_dh_shared(b, pa, pl, sb, sl), 0);
		assert_memory_equal(sa, sb, sl);
		/* A third party gets something else. */
		assert_int_equal(crypto_dh_shared(c, pa, pl, sb, sl), 0);
		assert_memory_not_equal(sa, sb, sl);
		/* Two fresh keys are different. */
		assert_memory_not_equal(pa, pb, pl);
		crypto_dh_free(a);
		crypto_dh_free(b);
		crypto_dh_free(c);
	}
}

static void expect_refused(struct crypto_dh *dh, const uint8_t *peer, size_t len, const char *what)
{
	uint8_t out[CRYPTO_DH_SHARED_MAX];
	size_t sl = crypto_dh_shared_len(crypto_dh_group(dh));

	memset(out, 0xa5, sizeof(out));
	if (crypto_dh_shared(dh, peer, len, out, sl) != BW_ERR_INVAL)
		fail_msg("group %d: %s accepted", crypto_dh_group(dh), what);
	for (size_t k = 0; k < sl; k++)
		assert_int_equal(out[k], 0);
}

/* v += n over a big-endian number (the carry matters: p ends in 64 one bits). */
static void add_small(uint8_t *v, size_t len, unsigned n)
{
	for (size_t k = len; k-- > 0 && n != 0;) {
		n += v[k];
		v[k] = (uint8_t)n;
		n >>= 8;
	}
}

static void test_modp_invalid(void **state)
{
	struct crypto_dh *dh;
	struct hexfield p;
	uint8_t v[256], out[256];

	(void)state;
	hex_decode(modp2048_p, &p);
	assert_int_equal(p.len, 256);
	assert_int_equal(crypto_dh_new(&dh, CRYPTO_DH_MODP2048), 0);

	memset(v, 0, sizeof(v));
	expect_refused(dh, v, 256, "0");
	v[255] = 1;
	expect_refused(dh, v, 256, "1");
	memcpy(v, p.b, 256);
	expect_refused(dh, v, 256, "p");
	v[255] -= 1;
	expect_refused(dh, v, 256, "p-1");
	add_small(v, 256, 2);
	expect_refused(dh, v, 256, "p+1");
	memset(v, 0xff, sizeof(v));
	expect_refused(dh, v, 256, "2^2048-1");
	/* 2 (the generator) is accepted ... */
	memset(v, 0, sizeof(v));
	v[255] = 2;
	assert_int_equal(crypto_dh_shared(dh, v, 256, out, 256), 0);
	/*
	 * ... but p-2 is not: it is in range, yet outside the order-q subgroup
	 * (p = 7 mod 8, so -2 is a non-residue) and OpenSSL's public check on a
	 * named group tests y^q = 1 (RFC 6989 section 2.2, which IKE may apply).
	 */
	memcpy(v, p.b, 256);
	v[255] -= 2;
	expect_refused(dh, v, 256, "p-2 (outside the subgroup)");
	/* A value without the leading zero padding is a wrong length. */
	memset(v, 0, sizeof(v));
	v[254] = 0x12;
	v[255] = 0x34;
	expect_refused(dh, v + 254, 2, "unpadded");
	crypto_dh_free(dh);
}

static void test_ecp_invalid(void **state)
{
	static const enum crypto_dh_group ecp[] = {CRYPTO_DH_ECP256, CRYPTO_DH_ECP384,
	                                           CRYPTO_DH_ECP521};

	(void)state;
	for (size_t k = 0; k < 3; k++) {
		struct crypto_dh *dh, *peer;
		size_t pl = crypto_dh_public_len(ecp[k]), half = pl / 2;
		uint8_t v[CRYPTO_DH_PUBLIC_MAX];

		assert_int_equal(crypto_dh_new(&dh, ecp[k]), 0);
		assert_int_equal(crypto_dh_new(&peer, ecp[k]), 0);
		assert_int_equal(crypto_dh_public(peer, v, pl), 0);
		/* Off the curve: change y. */
		v[pl - 1] ^= 0x01;
		expect_refused(dh, v, pl, "point off the curve");
		/* (x, -y) would be valid; (x, 0) is not. */
		memset(v + half, 0, half);
		expect_refused(dh, v, pl, "y = 0");
		memset(v, 0, pl);
		expect_refused(dh, v, pl, "(0, 0)");
		memset(v, 0xff, pl);
		expect_refused(dh, v, pl, "coordinates >= p");
		/* A compressed or SEC 1-prefixed point is not the IKE format. */
		assert_int_equal(crypto_dh_public(peer, v + 1, pl), 0);
		v[0] = 0x04;
		expect_refused(dh, v, pl + 1, "0x04-prefixed point");
		crypto_dh_free(peer);
		crypto_dh_free(dh);
	}
}

static void test_x25519_low_order(void **state)
{
	/* RFC 7748 section 6.1 / RFC 8031 section 2: these points give an all-zero secret. */
	static const char *const low[] = {
	        "0000000000000000000000000000000000000000000000000000000000000000",
	        "0100000000000000000000000000000000000000000000000000000000000000",
	        "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
	        "5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157",
	        "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
	};
	struct crypto_dh *dh;

	(void)state;
	assert_int_equal(crypto_dh_new(&dh, CRYPTO_DH_CURVE25519), 0);
	for (size_t k = 0; k < sizeof(low) / sizeof(low[0]); k++) {
		struct hexfield f;

		hex_decode(low[k], &f);
		expect_refused(dh, f.b, f.len, low[k]);
	}
	crypto_dh_free(dh);
}

static void test_api_edges(void **state)
{
	struct crypto_dh *dh = (struct crypto_dh *)&dh;
	uint8_t k[32] = {1};

	(void)state;
	assert_false(crypto_dh_supported(2));
	assert_false(crypto_dh_supported(15));
	assert_false(crypto_dh_supported(0));
	assert_int_equal(crypto_dh_public_len((enum crypto_dh_group)2), 0);
	assert_int_equal(crypto_dh_shared_len((enum crypto_dh_group)2), 0);
	assert_int_equal(crypto_dh_new(&dh, (enum crypto_dh_group)2), BW_ERR_UNSUPP);
	assert_null(dh);
	/* Curve25519 private values are exactly 32 bytes; MODP/ECP need the public half. */
	assert_int_equal(crypto_dh_new_from_private(&dh, CRYPTO_DH_CURVE25519, k, 31, NULL, 0),
	                 BW_ERR_INVAL);
	assert_int_equal(crypto_dh_new_from_private(&dh, CRYPTO_DH_ECP256, k, 32, NULL, 0),
	                 BW_ERR_INVAL);
	assert_int_equal(crypto_dh_new_from_private(&dh, CRYPTO_DH_CURVE25519, k, 32, NULL, 0), 0);
	crypto_dh_free(dh);
	crypto_dh_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_known_answers),    cmocka_unit_test(test_agree_fresh),
	        cmocka_unit_test(test_modp_invalid),     cmocka_unit_test(test_ecp_invalid),
	        cmocka_unit_test(test_x25519_low_order), cmocka_unit_test(test_api_edges),
	};

	if (crypto_init() != 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
