/* SPDX-License-Identifier: ISC */
/*
 * Known-answer tests for src/crypto from published vectors in
 * tests/vectors (each file names its source document and section): AES-GCM
 * (GCM spec, draft-mcgrew-gcm-test-01 / RFC 4106 ESP packets),
 * ChaCha20-Poly1305 (RFC 8439 2.8.2 and A.5, RFC 7634 appendix A), AES-CBC
 * (RFC 3602 section 4, SP 800-38A F.2) and HMAC-SHA2 (RFC 4231, RFC 4868
 * 2.7.2, with truncation). Every AEAD vector is sealed and opened in place,
 * then one byte of ciphertext, tag and AAD is changed and the open must fail
 * with BW_ERR_AUTH. A file with zero cases fails the test.
 *
 * The vector files use "name = hex" lines, "#" comments and a blank line
 * between cases; the parser below is bounded by fixed buffers and rejects
 * anything it does not understand rather than skipping it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "crypto/crypto.h"
#include "lib/err.h"
#include "lib/hex.h"
#include "lib/rd.h"

enum {
	KAT_LINE_MAX = 2048,
	KAT_BYTES_MAX = 512,
	KAT_LABEL_MAX = 128,
};

struct kat_field {
	const char *name;
	uint8_t buf[KAT_BYTES_MAX];
	size_t len;
	bool seen;
};

enum kat_fid { F_KEY, F_NONCE, F_IV, F_AAD, F_PT, F_CT, F_TAG, F_MSG, F_MAC, F__N };

struct kat_case {
	char label[KAT_LABEL_MAX];
	char alg[32];
	struct kat_field f[F__N];
	unsigned line; /* first line of the case, for messages */
};

static const char *const field_names[F__N] = {"key", "nonce", "iv",  "aad", "pt",
                                              "ct",  "tag",   "msg", "mac"};

struct kat_file {
	FILE *fp;
	const char *path;
	unsigned line;
};

static void kat_reset(struct kat_case *c)
{
	memset(c, 0, sizeof(*c));
	for (size_t i = 0; i < F__N; i++)
		c->f[i].name = field_names[i];
}

/* Decodes hex into a bounded writer; fails on odd length, bad digit, overflow. */
static int hex_decode(const char *s, struct kat_field *f)
{
	struct bw_wr wr;
	size_t n = strlen(s);
	int r;

	if (n % 2 != 0)
		return BW_ERR_INVAL;
	bw_wr_init(&wr, f->buf, sizeof(f->buf));
	for (size_t i = 0; i < n; i += 2) {
		int hi = bw_hex_digit(s[i]), lo = bw_hex_digit(s[i + 1]);

		if (hi < 0 || lo < 0)
			return BW_ERR_INVAL;
		if ((r = bw_wr_u8(&wr, (uint8_t)(hi << 4 | lo))) != 0)
			return r;
	}
	f->len = bw_wr_len(&wr);
	f->seen = true;
	return 0;
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

static int kat_set(struct kat_case *c, const char *name, const char *val)
{
	if (strcmp(name, "case") == 0) {
		if (strlen(val) >= sizeof(c->label))
			return BW_ERR_INVAL;
		strcpy(c->label, val);
		return 0;
	}
	if (strcmp(name, "alg") == 0) {
		if (strlen(val) >= sizeof(c->alg))
			return BW_ERR_INVAL;
		strcpy(c->alg, val);
		return 0;
	}
	for (size_t i = 0; i < F__N; i++) {
		if (strcmp(name, c->f[i].name) == 0)
			return c->f[i].seen ? BW_ERR_EXISTS : hex_decode(val, &c->f[i]);
	}
	return BW_ERR_NOTFOUND;
}

/* Reads the next case: 1 if one was read, 0 at end of file; fails the test on bad input. */
static int kat_next(struct kat_file *kf, struct kat_case *c)
{
	char line[KAT_LINE_MAX];
	bool any = false;

	kat_reset(c);
	while (fgets(line, sizeof(line), kf->fp) != NULL) {
		char *s, *eq;

		kf->line++;
		if (strchr(line, '\n') == NULL && !feof(kf->fp))
			fail_msg("%s:%u: line longer than %d", kf->path, kf->line, KAT_LINE_MAX);
		s = trim(line);
		if (*s == '#')
			continue;
		if (*s == '\0') {
			if (any)
				return 1;
			continue;
		}
		if (!any)
			c->line = kf->line;
		any = true;
		if ((eq = strchr(s, '=')) == NULL)
			fail_msg("%s:%u: no '='", kf->path, kf->line);
		*eq = '\0';
		if (kat_set(c, trim(s), trim(eq + 1)) != 0)
			fail_msg("%s:%u: bad field '%s'", kf->path, kf->line, trim(s));
	}
	return any ? 1 : 0;
}

static void kat_open(struct kat_file *kf, const char *name, char *path, size_t len)
{
	snprintf(path, len, "%s/%s", BW_VECTORS_DIR, name);
	kf->path = path;
	kf->line = 0;
	kf->fp = fopen(path, "r");
	if (kf->fp == NULL)
		fail_msg("cannot open %s", path);
}

static void need(const struct kat_case *c, enum kat_fid id)
{
	if (!c->f[id].seen)
		fail_msg("case '%s' (line %u) lacks '%s'", c->label, c->line, c->f[id].name);
}

static void report(const char *file, unsigned n)
{
	print_message("%s: %u vectors\n", file, n);
	if (n == 0)
		fail_msg("%s has no test cases", file);
}

/* ---- AEAD ---- */

static void aead_expect_auth_fail(struct crypto_aead *ctx, const struct kat_case *c,
                                  const uint8_t *aad, size_t aadlen, const uint8_t *ct,
                                  const uint8_t *tag)
{
	uint8_t buf[KAT_BYTES_MAX];
	const struct kat_field *ctf = &c->f[F_CT];

	memcpy(buf, ct, ctf->len);
	assert_int_equal(crypto_aead_open(ctx, c->f[F_NONCE].buf, aad, aadlen, buf, ctf->len, tag),
	                 BW_ERR_AUTH);
	/* No unverified plaintext is left behind (crypto.h). */
	for (size_t i = 0; i < ctf->len; i++)
		assert_int_equal(buf[i], 0);
}

static void run_aead_case(const struct kat_case *c)
{
	enum crypto_aead_alg alg = CRYPTO_AEAD_AES_GCM;
	const struct kat_field *key = &c->f[F_KEY], *aad = &c->f[F_AAD], *pt = &c->f[F_PT],
	                       *ct = &c->f[F_CT], *tag = &c->f[F_TAG];
	struct crypto_aead *ctx;
	uint8_t buf[KAT_BYTES_MAX], t[16], bad[KAT_BYTES_MAX + 1];

	need(c, F_KEY);
	need(c, F_NONCE);
	need(c, F_PT);
	need(c, F_CT);
	need(c, F_TAG);
	if (c->alg[0] != '\0' && strcmp(c->alg, "aes-gcm") != 0) {
		assert_string_equal(c->alg, "chacha20-poly1305");
		alg = CRYPTO_AEAD_CHACHA20_POLY1305;
	}
	assert_int_equal(c->f[F_NONCE].len, 12);
	assert_int_equal(tag->len, 16);
	assert_int_equal(pt->len, ct->len);
	assert_int_equal(crypto_aead_new(&ctx, alg, key->buf, key->len, 16), 0);

	/* Seal in place: ciphertext and tag as published. */
	memcpy(buf, pt->buf, pt->len);
	assert_int_equal(
	        crypto_aead_seal(ctx, c->f[F_NONCE].buf, aad->buf, aad->len, buf, pt->len, t), 0);
	assert_memory_equal(buf, ct->buf, ct->len);
	assert_memory_equal(t, tag->buf, 16);

	/* Open in place: the plaintext comes back. Twice, to show per-packet re-keying works. */
	for (int i = 0; i < 2; i++) {
		memcpy(buf, ct->buf, ct->len);
		assert_int_equal(crypto_aead_open(ctx, c->f[F_NONCE].buf, aad->buf, aad->len, buf,
		                                  ct->len, tag->buf),
		                 0);
		assert_memory_equal(buf, pt->buf, pt->len);
	}

	/* One changed byte anywhere must fail authentication. */
	if (ct->len > 0) {
		size_t pos[3] = {0, ct->len / 2, ct->len - 1};

		for (size_t i = 0; i < 3; i++) {
			memcpy(bad, ct->buf, ct->len);
			bad[pos[i]] ^= 0x01;
			aead_expect_auth_fail(ctx, c, aad->buf, aad->len, bad, tag->buf);
		}
	}
	for (size_t i = 0; i < 16; i += 15) {
		memcpy(t, tag->buf, 16);
		t[i] ^= 0x80;
		aead_expect_auth_fail(ctx, c, aad->buf, aad->len, ct->buf, t);
	}
	if (aad->len > 0) {
		memcpy(bad, aad->buf, aad->len);
		bad[aad->len - 1] ^= 0x01;
		aead_expect_auth_fail(ctx, c, bad, aad->len, ct->buf, tag->buf);
		/* Dropping the AAD (ESP without the SPI|seq) must fail too. */
		aead_expect_auth_fail(ctx, c, NULL, 0, ct->buf, tag->buf);
	} else {
		bad[0] = 0;
		aead_expect_auth_fail(ctx, c, bad, 1, ct->buf, tag->buf);
	}
	crypto_aead_free(ctx);

	/* GCM tags truncate to their leftmost octets (RFC 4106 section 3 allows 8, 12, 16). */
	if (alg == CRYPTO_AEAD_AES_GCM) {
		static const size_t lens[] = {8, 12};

		for (size_t i = 0; i < 2; i++) {
			assert_int_equal(crypto_aead_new(&ctx, alg, key->buf, key->len, lens[i]),
			                 0);
			memcpy(buf, pt->buf, pt->len);
			memset(t, 0xee, sizeof(t));
			assert_int_equal(crypto_aead_seal(ctx, c->f[F_NONCE].buf, aad->buf,
			                                  aad->len, buf, pt->len, t),
			                 0);
			assert_memory_equal(t, tag->buf, lens[i]);
			assert_int_equal(t[lens[i]], 0xee); /* nothing past taglen written */
			assert_int_equal(crypto_aead_open(ctx, c->f[F_NONCE].buf, aad->buf,
			                                  aad->len, buf, pt->len, tag->buf),
			                 0);
			crypto_aead_free(ctx);
		}
	}
}

static void run_aead_file(const char *name)
{
	struct kat_file kf;
	struct kat_case c;
	char path[512];
	unsigned n = 0;

	kat_open(&kf, name, path, sizeof(path));
	while (kat_next(&kf, &c) == 1) {
		run_aead_case(&c);
		n++;
	}
	fclose(kf.fp);
	report(name, n);
}

static void test_gcm_spec(void **state)
{
	(void)state;
	run_aead_file("aes_gcm_spec.txt");
}

static void test_gcm_esp(void **state)
{
	(void)state;
	run_aead_file("aes_gcm_esp_draft_mcgrew.txt");
}

static void test_chacha20_poly1305(void **state)
{
	(void)state;
	run_aead_file("chacha20_poly1305.txt");
}

/* ---- AES-CBC ---- */

static void run_cbc_file(const char *name)
{
	struct kat_file kf;
	struct kat_case c;
	char path[512];
	unsigned n = 0;

	kat_open(&kf, name, path, sizeof(path));
	while (kat_next(&kf, &c) == 1) {
		const struct kat_field *pt = &c.f[F_PT], *ct = &c.f[F_CT];
		struct crypto_cbc *ctx;
		uint8_t buf[KAT_BYTES_MAX];

		need(&c, F_KEY);
		need(&c, F_IV);
		need(&c, F_PT);
		need(&c, F_CT);
		assert_int_equal(c.f[F_IV].len, 16);
		assert_int_equal(pt->len, ct->len);
		assert_int_equal(crypto_cbc_new(&ctx, c.f[F_KEY].buf, c.f[F_KEY].len), 0);
		memcpy(buf, pt->buf, pt->len);
		assert_int_equal(crypto_cbc_encrypt(ctx, c.f[F_IV].buf, buf, pt->len), 0);
		assert_memory_equal(buf, ct->buf, ct->len);
		assert_int_equal(crypto_cbc_decrypt(ctx, c.f[F_IV].buf, buf, ct->len), 0);
		assert_memory_equal(buf, pt->buf, pt->len);
		/* CBC chaining: decrypting from block 1 on with block 0 as IV gives the tail. */
		if (ct->len >= 32) {
			memcpy(buf, ct->buf + 16, ct->len - 16);
			assert_int_equal(crypto_cbc_decrypt(ctx, ct->buf, buf, ct->len - 16), 0);
			assert_memory_equal(buf, pt->buf + 16, pt->len - 16);
		}
		/* No padding: a partial block is refused and left alone. */
		memcpy(buf, pt->buf, pt->len);
		assert_int_equal(crypto_cbc_encrypt(ctx, c.f[F_IV].buf, buf, pt->len - 1),
		                 BW_ERR_INVAL);
		assert_memory_equal(buf, pt->buf, pt->len);
		crypto_cbc_free(ctx);
		n++;
	}
	fclose(kf.fp);
	report(name, n);
}

static void test_cbc_rfc3602(void **state)
{
	(void)state;
	run_cbc_file("aes_cbc_rfc3602.txt");
}

static void test_cbc_sp800_38a(void **state)
{
	(void)state;
	run_cbc_file("aes_cbc_sp800_38a.txt");
}

/* ---- HMAC ---- */

static enum crypto_hmac_alg hmac_alg(const struct kat_case *c)
{
	if (strcmp(c->alg, "sha256") == 0)
		return CRYPTO_HMAC_SHA256;
	if (strcmp(c->alg, "sha384") == 0)
		return CRYPTO_HMAC_SHA384;
	if (strcmp(c->alg, "sha512") == 0)
		return CRYPTO_HMAC_SHA512;
	fail_msg("case '%s': unknown alg '%s'", c->label, c->alg);
	return CRYPTO_HMAC_SHA256;
}

static void run_hmac_file(const char *name)
{
	struct kat_file kf;
	struct kat_case c;
	char path[512];
	unsigned n = 0;

	kat_open(&kf, name, path, sizeof(path));
	while (kat_next(&kf, &c) == 1) {
		const struct kat_field *key = &c.f[F_KEY], *msg = &c.f[F_MSG], *mac = &c.f[F_MAC];
		enum crypto_hmac_alg alg = hmac_alg(&c);
		struct crypto_hmac *h;
		uint8_t out[64 + 1];

		need(&c, F_KEY);
		need(&c, F_MSG);
		need(&c, F_MAC);
		assert_true(mac->len > 0 && mac->len <= crypto_hmac_size(alg));

		/* One-shot, truncated to exactly the published length. */
		memset(out, 0xee, sizeof(out));
		assert_int_equal(crypto_hmac_oneshot(alg, key->buf, key->len, msg->buf, msg->len,
		                                     out, mac->len),
		                 0);
		assert_memory_equal(out, mac->buf, mac->len);
		assert_int_equal(out[mac->len], 0xee);

		/* Keyed context: every split a|b of the message gives the same MAC. */
		assert_int_equal(crypto_hmac_new(&h, alg, key->buf, key->len), 0);
		for (size_t cut = 0; cut <= msg->len; cut++) {
			memset(out, 0, sizeof(out));
			assert_int_equal(crypto_hmac_mac(h, msg->buf, cut, msg->buf + cut,
			                                 msg->len - cut, out, mac->len),
			                 0);
			assert_memory_equal(out, mac->buf, mac->len);
		}
		/* Asking for more than the digest is refused. */
		assert_int_equal(crypto_hmac_mac(h, msg->buf, msg->len, NULL, 0, out,
		                                 crypto_hmac_size(alg) + 1),
		                 BW_ERR_INVAL);
		crypto_hmac_free(h);
		n++;
	}
	fclose(kf.fp);
	report(name, n);
}

static void test_hmac_rfc4231(void **state)
{
	(void)state;
	run_hmac_file("hmac_rfc4231.txt");
}

static void test_hmac_rfc4868(void **state)
{
	(void)state;
	run_hmac_file("hmac_rfc4868.txt");
}

/* ---- Helpers and argument checks ---- */

static void test_memeq(void **state)
{
	uint8_t a[48], b[48];

	(void)state;
	for (size_t i = 0; i < sizeof(a); i++)
		a[i] = (uint8_t)(i * 7 + 3);
	memcpy(b, a, sizeof(b));
	assert_true(crypto_memeq(a, b, sizeof(a)));
	assert_true(crypto_memeq(a, b, 0));
	for (size_t i = 0; i < sizeof(a); i++) {
		for (unsigned bit = 0; bit < 8; bit++) {
			b[i] ^= (uint8_t)(1u << bit);
			assert_false(crypto_memeq(a, b, sizeof(a)));
			/* Only the first i bytes compared: the difference is outside. */
			assert_true(crypto_memeq(a, b, i));
			b[i] ^= (uint8_t)(1u << bit);
		}
	}
}

static void test_random(void **state)
{
	uint8_t a[32], b[32], zero[32] = {0};

	(void)state;
	assert_int_equal(crypto_random(a, sizeof(a)), 0);
	assert_int_equal(crypto_random(b, sizeof(b)), 0);
	/* 2^-256 chance of a false failure. */
	assert_false(crypto_memeq(a, b, sizeof(a)));
	assert_false(crypto_memeq(a, zero, sizeof(a)));
	assert_int_equal(crypto_random(a, 0), 0);
}

static void test_wipe(void **state)
{
	uint8_t a[40], zero[40] = {0};

	(void)state;
	memset(a, 0xa5, sizeof(a));
	crypto_wipe(a, sizeof(a));
	assert_memory_equal(a, zero, sizeof(a));
}

static void test_bad_args(void **state)
{
	static const uint8_t key[32];
	struct crypto_aead *a = (struct crypto_aead *)(uintptr_t)1;
	struct crypto_cbc *cb = (struct crypto_cbc *)(uintptr_t)1;
	struct crypto_hmac *h;
	uint8_t out[64];

	(void)state;
	/* Out-parameters are NULL on failure. */
	assert_int_equal(crypto_aead_new(&a, CRYPTO_AEAD_AES_GCM, key, 20, 16), BW_ERR_INVAL);
	assert_null(a);
	assert_int_equal(crypto_aead_new(&a, CRYPTO_AEAD_AES_GCM, key, 16, 7), BW_ERR_INVAL);
	assert_int_equal(crypto_aead_new(&a, CRYPTO_AEAD_AES_GCM, key, 16, 17), BW_ERR_INVAL);
	assert_int_equal(crypto_aead_new(&a, CRYPTO_AEAD_CHACHA20_POLY1305, key, 16, 16),
	                 BW_ERR_INVAL);
	/* RFC 7634 section 2: the ChaCha20-Poly1305 ICV is always 16 octets. */
	assert_int_equal(crypto_aead_new(&a, CRYPTO_AEAD_CHACHA20_POLY1305, key, 32, 12),
	                 BW_ERR_INVAL);
	assert_int_equal(crypto_cbc_new(&cb, key, 17), BW_ERR_INVAL);
	assert_null(cb);
	assert_int_equal(crypto_hmac_new(&h, (enum crypto_hmac_alg)99, key, 32), BW_ERR_INVAL);
	assert_null(h);
	assert_int_equal(crypto_hmac_size((enum crypto_hmac_alg)99), 0);
	assert_int_equal(crypto_hmac_oneshot(CRYPTO_HMAC_SHA256, key, 32, key, 1, out, 33),
	                 BW_ERR_INVAL);
	/* The free functions take NULL. */
	crypto_aead_free(NULL);
	crypto_cbc_free(NULL);
	crypto_hmac_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_gcm_spec),
	        cmocka_unit_test(test_gcm_esp),
	        cmocka_unit_test(test_chacha20_poly1305),
	        cmocka_unit_test(test_cbc_rfc3602),
	        cmocka_unit_test(test_cbc_sp800_38a),
	        cmocka_unit_test(test_hmac_rfc4231),
	        cmocka_unit_test(test_hmac_rfc4868),
	        cmocka_unit_test(test_memeq),
	        cmocka_unit_test(test_random),
	        cmocka_unit_test(test_wipe),
	        cmocka_unit_test(test_bad_args),
	};

	if (crypto_init() != 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
