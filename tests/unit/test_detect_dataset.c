/* SPDX-License-Identifier: ISC */
/*
 * dataset (rule_kw_dataset.c, detect_dataset.c): set matches only what is
 * new, isset/isnotset see what set added through another rule of the same
 * name, load files (base64 strings, hex digests) relative to the rules
 * directory, digests of the wrong length never match, and bad options are
 * refused.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "ips/detect.h"
#include "lib/err.h"

struct env {
	struct ips_ruleset rs;
	struct ips_rule *r[4];
	struct ips_detect_engine *e;
	struct ips_detect_thread *t;
};

static void env_new(struct env *v, const char *dir, const char *const *rules, size_t n)
{
	char why[200], key[64];

	memset(v, 0, sizeof(*v));
	for (size_t i = 0; i < n; i++)
		if (ips_rule_parse_in(rules[i], NULL, dir, &v->r[i], why, sizeof(why), key,
		                      sizeof(key)) != 0)
			fail_msg("refused (%s): %s", why, rules[i]);
	v->rs.rules = v->r;
	v->rs.n = v->rs.cap = n;
	assert_int_equal(ips_detect_build(&v->rs, NULL, &v->e, NULL), 0);
	assert_int_equal(ips_detect_thread_new(v->e, &v->t), 0);
}

static void env_free(struct env *v)
{
	ips_detect_thread_free(v->t);
	ips_detect_free(v->e);
	for (size_t i = 0; i < v->rs.n; i++)
		ips_rule_free(v->r[i]);
}

/* The sids that match http.host = host (bit per sid 1..4). */
static unsigned run(struct env *v, const char *host)
{
	struct ips_detect_input in = {0};
	struct ips_bufv b = {.p = (const uint8_t *)host, .len = strlen(host)};
	struct ips_match m[8];
	size_t n = 0;
	unsigned bits = 0;

	in.ip_version = 4;
	in.proto = 6;
	in.app = IPS_PROTO_HTTP;
	in.has_flow = true;
	in.to_server = true;
	ips_detect_set_buf(&in, IPS_BUF_HTTP_HOST, &b);
	assert_int_equal(ips_detect_run(v->e, v->t, &in, m, 8, &n), 0);
	for (size_t i = 0; i < n; i++)
		bits |= 1u << m[i].rule->sid;
	return bits;
}

#define H "alert http any any -> any any (http.host; "

static void test_set_isset(void **state)
{
	static const char *const rules[] = {
	        H "dataset:set,seen, type string; sid:1;)",
	        H "dataset:isset,seen; sid:2;)",
	        H "dataset:isnotset,seen; sid:3;)",
	};
	struct env v;

	(void)state;
	env_new(&v, NULL, rules, 3);
	/* Rules run in file order here: isset/isnotset see the set of this run. */
	unsigned b = run(&v, "a.example");
	assert_true(b & (1u << 1));
	b = run(&v, "a.example");
	assert_false(b & (1u << 1)); /* not new any more */
	assert_true(b & (1u << 2));
	assert_false(b & (1u << 3));
	env_free(&v);
}

static void test_load(void **state)
{
	char dir[] = "/tmp/bw-test-ds-XXXXXX", p1[64], p2[64];
	static const char *const rules[] = {
	        H "dataset:isset,names, type string, load names.lst, memcap 1mb; sid:1;)",
	        H "to_md5; dataset:isset,sums, type md5, state sums.lst; sid:2;)",
	        H "dataset:isset,sums; sid:3;)",
	};
	struct env v;
	FILE *fp;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(p1, sizeof(p1), "%s/names.lst", dir);
	snprintf(p2, sizeof(p2), "%s/sums.lst", dir);
	assert_non_null(fp = fopen(p1, "w"));
	fputs("ZXZpbC5leGFtcGxl\n\n", fp); /* base64("evil.example") */
	fclose(fp);
	assert_non_null(fp = fopen(p2, "w"));
	fputs("900150983cd24fb0d6963f7d28e17f72\nnot-hex\n", fp); /* md5("abc") */
	fclose(fp);
	env_new(&v, dir, rules, 3);
	assert_int_equal(run(&v, "evil.example"), 1u << 1);
	assert_int_equal(run(&v, "good.example"), 0);
	/* md5 sets hold 16-byte values: the digest view matches, the raw host never. */
	assert_int_equal(run(&v, "abc"), 1u << 2);
	env_free(&v);
	unlink(p1);
	unlink(p2);
	rmdir(dir);
}

static void test_bad(void **state)
{
	static const char *const bad[] = {
	        "alert http any any -> any any (dataset:set,x; sid:1;)",
	        H "dataset:unset,x; sid:1;)",
	        H "dataset:set; sid:1;)",
	        H "dataset:set,x, type ipv9; sid:1;)",
	        H "dataset:set,x, bogus 1; sid:1;)",
	};
	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct ips_rule *r = NULL;
		char why[200], key[64];

		if (ips_rule_parse(bad[i], NULL, &r, why, sizeof(why), key, sizeof(key)) == 0) {
			ips_rule_free(r);
			fail_msg("accepted: %s", bad[i]);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_set_isset),
	        cmocka_unit_test(test_load),
	        cmocka_unit_test(test_bad),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
