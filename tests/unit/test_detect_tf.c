/* SPDX-License-Identifier: ISC */
/*
 * Transforms and base64 of the detection engine (src/ips/detect_tf.c and
 * rule_kw_transform.c): each transform through a rule on http.uri, with the
 * prefilter (the fast pattern lies in the transformed view) and without;
 * two views of one buffer in one rule (Suricata's detect-xor case);
 * base64_decode/base64_data on a relative position, with bytes, and
 * without base64_data (never a match, as Suricata); the RFC 4648 decoder's
 * edge cases; and the parse errors Suricata gives.
 */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ips/detect_int.h"
#include "lib/err.h"

static struct ips_rule *parse(const char *text)
{
	struct ips_rule *r = NULL;
	char why[160], key[64];

	if (ips_rule_parse(text, NULL, &r, why, sizeof(why), key, sizeof(key)) != 0)
		fail_msg("rule refused (%s): %s", why, text);
	return r;
}

/* Whether rule text matches http.uri = uri, with and without the prefilter. */
static bool match_uri(const char *text, const void *uri, size_t len)
{
	bool res[2];

	for (int m = 0; m < 2; m++) {
		struct ips_ruleset rs = {0};
		struct ips_rule *r = parse(text);
		struct ips_detect_conf c = {.no_prefilter = m == 1};
		struct ips_detect_engine *e;
		struct ips_detect_thread *t;
		struct ips_detect_input in = {0};
		struct ips_bufv v = {.p = uri, .len = len};
		struct ips_match mt[4];
		size_t n = 0;

		rs.rules = &r;
		rs.n = rs.cap = 1;
		assert_int_equal(ips_detect_build(&rs, &c, &e, NULL), 0);
		assert_int_equal(ips_detect_thread_new(e, &t), 0);
		in.ip_version = 4;
		in.proto = 6;
		in.app = IPS_PROTO_HTTP;
		in.has_flow = true;
		in.to_server = true;
		ips_detect_set_buf(&in, IPS_BUF_HTTP_URI, &v);
		assert_int_equal(ips_detect_run(e, t, &in, mt, 4, &n), 0);
		res[m] = n == 1;
		ips_detect_thread_free(t);
		ips_detect_free(e);
		ips_rule_free(r);
	}
	if (res[0] != res[1])
		fail_msg("prefilter and full evaluation disagree on: %s", text);
	return res[0];
}

#define R(opts) "alert http any any -> any any (http.uri; " opts " sid:1;)"

static void test_transforms(void **state)
{
	static const char sp[] = "/a  b\tc";
	(void)state;
	assert_true(match_uri(R("dotprefix; content:\".x.com\"; endswith;"), "x.com", 5));
	assert_true(match_uri(R("strip_whitespace; content:\"/abc\";"), sp, sizeof(sp) - 1));
	assert_false(match_uri(R("content:\"/abc\";"), sp, sizeof(sp) - 1));
	/* compress_whitespace keeps the first byte of each run. */
	assert_true(match_uri(R("compress_whitespace; content:\"/a b\tc\"; bsize:6;"), sp,
	                      sizeof(sp) - 1));
	assert_true(match_uri(R("to_lowercase; content:\"/mixed\";"), "/MiXeD", 6));
	assert_true(match_uri(R("to_uppercase; content:\"/MIXED\";"), "/MiXeD", 6));
	/* md5("abc") = 900150983cd24fb0d6963f7d28e17f72 */
	assert_true(match_uri(R("to_md5; content:\"|90 01 50 98 3c d2 4f b0 d6 96 3f 7d 28 e1 "
	                        "7f 72|\"; bsize:16;"),
	                      "abc", 3));
	/* sha1("abc") = a9993e36... ; sha256("abc") = ba7816bf... */
	assert_true(match_uri(R("to_sha1; content:\"|a9 99 3e 36|\"; startswith; bsize:20;"), "abc",
	                      3));
	assert_true(match_uri(R("to_sha256; content:\"|ba 78 16 bf|\"; startswith; bsize:32;"),
	                      "abc", 3));
	assert_true(match_uri(R("header_lowercase; content:\"host: A|0d 0a|x-y: Z\";"),
	                      "Host: A\r\nX-Y: Z", 15));
	assert_true(match_uri(R("strip_pseudo_headers; content:\"a: 1|0d 0a|b: 2\"; startswith;"),
	                      ":path: /\r\na: 1\r\n:method: GET\r\nb: 2", 34));
	/* url_decode: %HH and '+'; a bad or cut escape stays. */
	assert_true(match_uri(R("url_decode; content:\"/a b'c%ZZ%4\"; bsize:11;"), "/a+b%27c%ZZ%4",
	                      13));
	assert_true(match_uri(R("xor:\"0102\"; content:\"|61 60 63|\";"), "\x60\x62\x62", 3));
	/* pcrexform: the capture group; no match leaves the buffer as it is. */
	assert_true(match_uri(R("pcrexform:\"id=(\\d+)\"; content:\"42\"; bsize:2;"),
	                      "/q?id=42&x=1", 12));
	assert_true(match_uri(R("pcrexform:\"id=(\\d+)\"; content:\"/q?x\"; startswith;"), "/q?x=1",
	                      6));
	/* A chain runs in order: decode, then lowercase. */
	assert_true(match_uri(R("url_decode; to_lowercase; content:\"/a b\";"), "/A%20B", 6));
	assert_false(match_uri(R("to_lowercase; url_decode; content:\"/a%\";"), "/A%20B", 6));
}

/* The same buffer twice, raw then through transforms (Suricata's detect-xor). */
static void test_two_views(void **state)
{
	static const char uri[] = "/get?data=q`ma";
	(void)state;
	assert_true(match_uri(R("content:\"/get?data=\"; startswith; http.uri; "
	                        "pcrexform:\"/get\\?data=(.*)\"; xor:\"01\"; content:\"pa\";"),
	                      uri, sizeof(uri) - 1));
	/* bsize of the raw view does not bound the contents of another view. */
	assert_true(match_uri(R("bsize:<5; http.uri; to_md5; content:\"|90 01 50 98 3c d2 4f b0 d6 "
	                        "96 3f 7d 28 e1 7f 72|\";"),
	                      "abc", 3));
	assert_false(match_uri(R("content:\"/got\"; startswith; http.uri; "
	                         "pcrexform:\"/get\\?data=(.*)\"; xor:\"01\"; content:\"pa\";"),
	                       uri, sizeof(uri) - 1));
}

static void test_base64(void **state)
{
	/* "foo=" then the base64 of "\x9ehello". */
	static const char uri[] = "/x?foo=nmhlbGxv&y";
	(void)state;
	assert_true(match_uri(R("content:\"foo=\"; base64_decode:relative; base64_data; "
	                        "content:\"|9e|hello\"; startswith;"),
	                      uri, sizeof(uri) - 1));
	/* bytes 4 decodes "nmhl": 3 bytes. */
	assert_true(match_uri(R("content:\"foo=\"; base64_decode:bytes 4,relative; base64_data; "
	                        "content:\"|9e|he\"; bsize:3;"),
	                      uri, sizeof(uri) - 1));
	assert_true(match_uri(R("content:\"/x?\"; base64_decode:offset 4,relative; base64_data; "
	                        "content:\"hello\";"),
	                      uri, sizeof(uri) - 1));
	/* Without base64_data base64_decode never matches (Suricata 7). */
	assert_false(
	        match_uri(R("content:\"foo=\"; base64_decode:relative;"), uri, sizeof(uri) - 1));
	/* base64_data is terminal: what follows in the buffer is not inspected. */
	assert_true(match_uri(R("content:\"foo=\"; base64_decode:relative; base64_data; "
	                        "content:\"hello\";"),
	                      uri, sizeof(uri) - 1));
}

static void test_base64_decoder(void **state)
{
	uint8_t out[16];
	(void)state;
	assert_int_equal(det_base64((const uint8_t *)"aGVsbG8=", 8, out, sizeof(out)), 5);
	assert_memory_equal(out, "hello", 5);
	/* A partial group at the end of valid input: one byte less than its sextets. */
	assert_int_equal(det_base64((const uint8_t *)"aGVsbG8", 7, out, sizeof(out)), 5);
	assert_int_equal(det_base64((const uint8_t *)"aGVsbG", 6, out, sizeof(out)), 4);
	/* An invalid byte stops; the partial group before it still yields. */
	assert_int_equal(det_base64((const uint8_t *)"aGVsbG&xyz", 10, out, sizeof(out)), 4);
	assert_int_equal(det_base64((const uint8_t *)"aGVsb&", 6, out, sizeof(out)), 4);
	assert_int_equal(det_base64((const uint8_t *)"&", 1, out, sizeof(out)), 0);
	/* The output cap is honoured. */
	assert_int_equal(det_base64((const uint8_t *)"aGVsbG8gd29ybGQ=", 16, out, 4), 3);
}

static void test_parse_errors(void **state)
{
	static const char *const bad[] = {
	        "alert http any any -> any any (to_lowercase; content:\"a\"; sid:1;)",
	        R("content:\"a\"; to_lowercase;"),
	        R("xor:\"012\"; content:\"a\";"),
	        R("xor:\"zz\"; content:\"a\";"),
	        R("xor:0102; content:\"a\";"),
	        R("pcrexform:\"(a)(b)\"; content:\"a\";"),
	        R("pcrexform:\"a\"; content:\"a\";"),
	        R("base64_data; content:\"a\";"),
	        R("base64_decode:bytes x; base64_data; content:\"a\";"),
	};
	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct ips_rule *r = NULL;
		char why[160], key[64];

		if (ips_rule_parse(bad[i], NULL, &r, why, sizeof(why), key, sizeof(key)) == 0) {
			ips_rule_free(r);
			fail_msg("accepted: %s", bad[i]);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_transforms),   cmocka_unit_test(test_two_views),
	        cmocka_unit_test(test_base64),       cmocka_unit_test(test_base64_decoder),
	        cmocka_unit_test(test_parse_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
