/* SPDX-License-Identifier: ISC */
/*
 * Tests for src/crypto/crypto_prf.c: the IKEv2 PRFs (PRF_HMAC_SHA2_256/384/
 * 512) against RFC 4231 section 4 and RFC 4868 section 2.7 (the full-length
 * PRF values in tests/vectors/hmac_rfc4231.txt and hmac_rfc4868.txt, keys of
 * 4 to 131 octets: the IKE PRF takes keys of any length); prf+ (RFC 7296
 * section 2.13) and SHA-1/2 against tests/vectors/prf_ike.txt, which
 * tests/vectors/prf_check.py computed with Python's hmac and hashlib. Keys
 * and data are also fed in pieces split at every offset, the 255-block limit
 * of prf+ is enforced, and outputs never run past the requested length.
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
#include "crypto/crypto_prf.h"
#include "lib/err.h"
#include "lib/hex.h"

enum {
	FIELD_MAX = 255 * 64,
	LINE_MAX_ = 2 * FIELD_MAX + 64,
	SEG_MAX = 4,
};

struct field {
	uint8_t *b;
	size_t len;
	bool seen;
};

struct prf_case {
	char label[128];
	char alg[16];
	struct field key, out, msg, mac;
	struct field seed[SEG_MAX];
	size_t nseed;
};

static char line[LINE_MAX_];

static void hex_decode(const char *s, struct field *f)
{
	size_t n = strlen(s);

	if (f->seen)
		fail_msg("duplicate field");
	if (n % 2 != 0 || n / 2 > FIELD_MAX)
		fail_msg("bad hex length %zu", n);
	for (size_t k = 0; k < n; k += 2) {
		int hi = bw_hex_digit(s[k]), lo = bw_hex_digit(s[k + 1]);

		if (hi < 0 || lo < 0)
			fail_msg("bad hex digit");
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

static void case_init(struct prf_case *c)
{
	static uint8_t store[4 + SEG_MAX][FIELD_MAX];
	struct field *f[4 + SEG_MAX] = {&c->key, &c->out, &c->msg, &c->mac};
	size_t n;

	memset(c, 0, sizeof(*c));
	for (size_t k = 0; k < SEG_MAX; k++)
		f[4 + k] = &c->seed[k];
	n = 4 + SEG_MAX;
	for (size_t k = 0; k < n; k++)
		f[k]->b = store[k];
}

static void set_field(struct prf_case *c, const char *name, const char *val)
{
	if (strcmp(name, "case") == 0)
		snprintf(c->label, sizeof(c->label), "%s", val);
	else if (strcmp(name, "alg") == 0)
		snprintf(c->alg, sizeof(c->alg), "%s", val);
	else if (strcmp(name, "key") == 0)
		hex_decode(val, &c->key);
	else if (strcmp(name, "out") == 0)
		hex_decode(val, &c->out);
	else if (strcmp(name, "msg") == 0)
		hex_decode(val, &c->msg);
	else if (strcmp(name, "mac") == 0)
		hex_decode(val, &c->mac);
	else if (strcmp(name, "seed") == 0) {
		if (c->nseed == SEG_MAX)
			fail_msg("too many seed segments");
		hex_decode(val, &c->seed[c->nseed++]);
	} else
		fail_msg("unknown field '%s'", name);
}

static int next_case(FILE *fp, struct prf_case *c)
{
	bool any = false;

	case_init(c);
	while (fgets(line, sizeof(line), fp) != NULL) {
		char *s = trim(line), *eq;

		if (strlen(s) >= sizeof(line) - 2)
			fail_msg("line too long");
		if (*s == '#')
			continue;
		if (*s == '\0') {
			if (any)
				return 1;
			continue;
		}
		any = true;
		if ((eq = strchr(s, '=')) == NULL)
			fail_msg("line without '='");
		*eq = '\0';
		set_field(c, trim(s), trim(eq + 1));
	}
	return any ? 1 : 0;
}

static FILE *open_vec(const char *name)
{
	char path[512];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", BW_VECTORS_DIR, name);
	if ((fp = fopen(path, "r")) == NULL)
		fail_msg("cannot open %s", path);
	return fp;
}

static enum crypto_prf_alg prf_alg(const char *s)
{
	if (strcmp(s, "sha256") == 0)
		return CRYPTO_PRF_HMAC_SHA2_256;
	if (strcmp(s, "sha384") == 0)
		return CRYPTO_PRF_HMAC_SHA2_384;
	if (strcmp(s, "sha512") == 0)
		return CRYPTO_PRF_HMAC_SHA2_512;
	fail_msg("unknown prf alg '%s'", s);
	return CRYPTO_PRF_HMAC_SHA2_256;
}

static bool hash_alg(const char *s, enum crypto_hash_alg *a)
{
	static const struct {
		const char *name;
		enum crypto_hash_alg alg;
	} map[] = {{"sha1", CRYPTO_HASH_SHA1},
	           {"sha256", CRYPTO_HASH_SHA256},
	           {"sha384", CRYPTO_HASH_SHA384},
	           {"sha512", CRYPTO_HASH_SHA512}};

	for (size_t k = 0; k < 4; k++) {
		if (strcmp(s, map[k].name) == 0) {
			*a = map[k].alg;
			return true;
		}
	}
	return false;
}

/* ---- PRF against the RFC 4231 / RFC 4868 HMAC files ---- */

static unsigned run_hmac_file(const char *name)
{
	static struct prf_case c;
	unsigned n = 0;
	FILE *fp = open_vec(name);

	while (next_case(fp, &c) == 1) {
		enum crypto_prf_alg alg = prf_alg(c.alg);
		size_t size = crypto_prf_size(alg);
		uint8_t out[CRYPTO_PRF_MAX + 1];
		struct crypto_prf *prf;

		/* Truncated authenticators are ESP's business (crypto_hmac), not the PRF's. */
		if (c.mac.len != size)
			continue;
		assert_int_equal(crypto_prf_new(&prf, alg, c.key.b, c.key.len), 0);
		assert_int_equal(crypto_prf_alg(prf), alg);
		/* The message split at every offset into two segments gives the same PRF. */
		for (size_t cut = 0; cut <= c.msg.len; cut++) {
			struct crypto_iov seg[3] = {
			        {c.msg.b, cut}, {NULL, 0}, {c.msg.b + cut, c.msg.len - cut}};

			out[size] = 0xee;
			assert_int_equal(crypto_prf_run(prf, seg, 3, out, size), 0);
			assert_memory_equal(out, c.mac.b, size);
			assert_int_equal(out[size], 0xee);
		}
		crypto_prf_free(prf);
		/* One-shot with the key in two segments (SKEYSEED's key is Ni | Nr). */
		for (size_t cut = 0; cut <= c.key.len; cut += c.key.len / 3 + 1) {
			struct crypto_iov key[2] = {{c.key.b, cut},
			                            {c.key.b + cut, c.key.len - cut}};
			struct crypto_iov msg = {c.msg.b, c.msg.len};

			assert_int_equal(crypto_prf_oneshot(alg, key, 2, &msg, 1, out, size), 0);
			assert_memory_equal(out, c.mac.b, size);
		}
		n++;
	}
	fclose(fp);
	print_message("%s: %u full-length PRF vectors\n", name, n);
	return n;
}

static void test_prf_rfc4231(void **state)
{
	(void)state;
	assert_true(run_hmac_file("hmac_rfc4231.txt") >= 18);
}

static void test_prf_rfc4868(void **state)
{
	(void)state;
	assert_true(run_hmac_file("hmac_rfc4868.txt") >= 12);
}

/* ---- prf+ and hashes against prf_ike.txt ---- */

static void run_prf_plus_case(const struct prf_case *c)
{
	static uint8_t out[FIELD_MAX + 1];
	enum crypto_prf_alg alg = prf_alg(c->alg);
	struct crypto_iov seed[SEG_MAX];
	struct crypto_iov key[2] = {{c->key.b, c->key.len / 2},
	                            {c->key.b + c->key.len / 2, c->key.len - c->key.len / 2}};
	struct crypto_prf *prf;

	for (size_t k = 0; k < c->nseed; k++) {
		seed[k].ptr = c->seed[k].b;
		seed[k].len = c->seed[k].len;
	}
	assert_int_equal(crypto_prf_new(&prf, alg, c->key.b, c->key.len), 0);
	out[c->out.len] = 0xee;
	assert_int_equal(crypto_prf_plus(prf, seed, c->nseed, out, c->out.len), 0);
	assert_memory_equal(out, c->out.b, c->out.len);
	assert_int_equal(out[c->out.len], 0xee);
	/* The context is reusable: a second run gives the same stream. */
	memset(out, 0, c->out.len);
	assert_int_equal(crypto_prf_plus(prf, seed, c->nseed, out, c->out.len), 0);
	assert_memory_equal(out, c->out.b, c->out.len);
	crypto_prf_free(prf);

	memset(out, 0, c->out.len);
	assert_int_equal(crypto_prf_plus_oneshot(alg, key, 2, seed, c->nseed, out, c->out.len), 0);
	assert_memory_equal(out, c->out.b, c->out.len);
}

static void run_hash_case(const struct prf_case *c, enum crypto_hash_alg alg)
{
	uint8_t out[CRYPTO_HASH_MAX + 1];
	size_t size = crypto_hash_size(alg);
	const struct field *m = &c->seed[0];

	assert_int_equal(c->nseed, 1);
	assert_int_equal(c->out.len, size);
	for (size_t cut = 0; cut <= m->len; cut++) {
		struct crypto_iov seg[2] = {{m->b, cut}, {m->b + cut, m->len - cut}};

		out[size] = 0xee;
		assert_int_equal(crypto_hash(alg, seg, 2, out, size), 0);
		assert_memory_equal(out, c->out.b, size);
		assert_int_equal(out[size], 0xee);
	}
	assert_int_equal(crypto_hash(alg, NULL, 0, out, size - 1), BW_ERR_INVAL);
}

static void test_prf_plus_and_hash(void **state)
{
	static struct prf_case c;
	unsigned nplus = 0, nhash = 0, nmax = 0;
	FILE *fp = open_vec("prf_ike.txt");

	(void)state;
	while (next_case(fp, &c) == 1) {
		enum crypto_hash_alg h;

		if (!c.out.seen)
			fail_msg("case '%s' has no out", c.label);
		if (c.key.seen) {
			run_prf_plus_case(&c);
			nplus++;
			if (c.out.len == 255 * crypto_prf_size(prf_alg(c.alg)))
				nmax++;
		} else if (hash_alg(c.alg, &h)) {
			run_hash_case(&c, h);
			nhash++;
		} else {
			fail_msg("case '%s': unknown alg", c.label);
		}
	}
	fclose(fp);
	print_message("prf_ike.txt: %u prf+ (%u at 255 blocks), %u hash vectors\n", nplus, nmax,
	              nhash);
	assert_true(nplus >= 60);
	assert_int_equal(nmax, 3);
	assert_true(nhash >= 12);
}

/* prf+ stops at 255 blocks: the counter is one octet (RFC 7296 2.13). */
static void test_prf_plus_limit(void **state)
{
	static const enum crypto_prf_alg algs[] = {
	        CRYPTO_PRF_HMAC_SHA2_256, CRYPTO_PRF_HMAC_SHA2_384, CRYPTO_PRF_HMAC_SHA2_512};
	static uint8_t out[255 * 64 + 1];
	const uint8_t key[8] = {1, 2, 3, 4, 5, 6, 7, 8};
	struct crypto_iov seed = {key, sizeof(key)};

	(void)state;
	for (size_t k = 0; k < 3; k++) {
		size_t size = crypto_prf_size(algs[k]);
		struct crypto_prf *prf;

		assert_int_equal(crypto_prf_new(&prf, algs[k], key, sizeof(key)), 0);
		assert_int_equal(crypto_prf_plus(prf, &seed, 1, out, 255 * size), 0);
		assert_int_equal(crypto_prf_plus(prf, &seed, 1, out, 255 * size + 1), BW_ERR_LIMIT);
		crypto_prf_free(prf);
	}
}

static void test_prf_api_edges(void **state)
{
	struct crypto_prf *prf = (struct crypto_prf *)&prf;
	uint8_t out[64], big[1100];
	struct crypto_iov bad = {NULL, 3}, keys[2] = {{big, 600}, {big, 600}};

	(void)state;
	memset(big, 0x5c, sizeof(big));
	assert_int_equal(crypto_prf_size((enum crypto_prf_alg)2), 0);
	assert_int_equal(crypto_prf_new(&prf, (enum crypto_prf_alg)2, out, 4), BW_ERR_UNSUPP);
	assert_null(prf);
	assert_int_equal(crypto_prf_new(&prf, CRYPTO_PRF_HMAC_SHA2_256, NULL, 4), BW_ERR_INVAL);
	/* An empty key is a legal HMAC key (RFC 2104 pads it with zeros). */
	assert_int_equal(crypto_prf_new(&prf, CRYPTO_PRF_HMAC_SHA2_256, NULL, 0), 0);
	assert_int_equal(crypto_prf_run(prf, NULL, 0, out, 31), BW_ERR_INVAL);
	assert_int_equal(crypto_prf_run(prf, NULL, 0, out, 33), BW_ERR_INVAL);
	assert_int_equal(crypto_prf_run(prf, &bad, 1, out, 32), BW_ERR_INVAL);
	assert_int_equal(crypto_prf_run(prf, NULL, 0, out, 32), 0);
	crypto_prf_free(prf);
	crypto_prf_free(NULL);
	/* A gathered key longer than the one-shot buffer is refused, not truncated. */
	assert_int_equal(crypto_prf_oneshot(CRYPTO_PRF_HMAC_SHA2_256, keys, 2, NULL, 0, out, 32),
	                 BW_ERR_LIMIT);
	assert_int_equal(crypto_hash((enum crypto_hash_alg)9, NULL, 0, out, 20), BW_ERR_UNSUPP);
	assert_int_equal(crypto_hash_size((enum crypto_hash_alg)9), 0);
	assert_int_equal(crypto_hash(CRYPTO_HASH_SHA1, &bad, 1, out, 20), BW_ERR_INVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_prf_rfc4231),       cmocka_unit_test(test_prf_rfc4868),
	        cmocka_unit_test(test_prf_plus_and_hash), cmocka_unit_test(test_prf_plus_limit),
	        cmocka_unit_test(test_prf_api_edges),
	};

	if (crypto_init() != 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
