/* SPDX-License-Identifier: ISC */
/*
 * Detection engine: table-driven keyword cases (content modifier arithmetic
 * after Suricata's documented semantics: offset/depth, distance/within
 * relative to the previous match end, negative distance, negated relative
 * contents with backtracking, nocase, startswith/endswith, isdataat with
 * and without !/relative, byte_test operators/bases/bitmask, byte_jump
 * relative/multiplier/align/from_beginning/post_offset, byte_extract
 * feeding offset/depth/distance, pcre with R and negation, sticky buffers
 * with bsize and dotprefix), header and packet keywords, flowbits
 * sequences, threshold/detection_filter with a fake clock, and the
 * prefilter equivalence: vectorscan, Aho-Corasick and no prefilter must
 * give the same matches on random rules and payloads. Every table case
 * runs in all three modes.
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

#include "xorshift.h"

#include "ips/detect.h"
#include "ips/mpm.h"
#include "lib/err.h"
#include "lib/log.h"

enum mode { M_HS, M_AC, M_NONE, M__COUNT };

struct env {
	struct ips_ruleset *rs;
	struct ips_detect_engine *e;
	struct ips_detect_thread *t;
};

static void quiet(enum bw_log_level level, const char *line, void *arg)
{
	(void)level;
	(void)line;
	(void)arg;
}

static int add_rule(struct ips_ruleset *rs, const char *text)
{
	struct ips_rule *r;
	char why[160], key[64];
	int e = ips_rule_parse(text, NULL, &r, why, sizeof(why), key, sizeof(key));
	if (e) {
		print_message("rule refused (%s): %s\n", why, text);
		return e;
	}
	if (rs->n == rs->cap) {
		rs->cap = rs->cap ? rs->cap * 2 : 16;
		rs->rules = realloc(rs->rules, rs->cap * sizeof(*rs->rules));
		assert_non_null(rs->rules);
	}
	rs->rules[rs->n++] = r;
	return 0;
}

static void env_build(struct env *v, enum mode m)
{
	struct ips_detect_conf c = {.force_ac = m == M_AC, .no_prefilter = m == M_NONE};
	struct ips_detect_stats st;
	assert_int_equal(ips_detect_build(v->rs, &c, &v->e, &st), 0);
	assert_int_equal(ips_detect_thread_new(v->e, &v->t), 0);
}

static void env_init(struct env *v, const char *const *rules, size_t n, enum mode m)
{
	memset(v, 0, sizeof(*v));
	v->rs = calloc(1, sizeof(*v->rs));
	assert_non_null(v->rs);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(add_rule(v->rs, rules[i]), 0);
	env_build(v, m);
}

static void env_done(struct env *v)
{
	ips_detect_thread_free(v->t);
	ips_detect_free(v->e);
	ips_ruleset_free(v->rs);
}

/* TCP 10.0.0.1:1234 -> 10.0.0.2:80, PA, established, to_server. */
static void base_input(struct ips_detect_input *in, const void *p, size_t len)
{
	memset(in, 0, sizeof(*in));
	in->ip_version = 4;
	memcpy(in->src, (const uint8_t[]){10, 0, 0, 1}, 4);
	memcpy(in->dst, (const uint8_t[]){10, 0, 0, 2}, 4);
	in->proto = 6;
	in->ttl = 64;
	in->sp = 1234;
	in->dp = 80;
	in->has_tcp = true;
	in->tcp_flags = 0x18;
	in->payload = p;
	in->payload_len = len;
	in->dsize = len;
	in->has_flow = true;
	in->established = true;
	in->to_server = true;
	in->app = IPS_PROTO_IP;
}

/* The sids that alerted, as a bit per sid 1..63. */
static uint64_t run_sids(struct env *v, const struct ips_detect_input *in)
{
	struct ips_match m[64];
	size_t n;
	uint64_t bits = 0;
	assert_int_equal(ips_detect_run(v->e, v->t, in, m, 64, &n), 0);
	assert_true(n <= 64);
	for (size_t i = 0; i < n; i++)
		if (m[i].rule->sid < 64)
			bits |= 1ull << m[i].rule->sid;
	return bits;
}

/* ---- content and buffer keyword table ---- */

struct kcase {
	const char *opts; /* options between the header and sid */
	const char *payload;
	size_t len; /* 0: strlen(payload) */
	bool match;
};

#define P(s) s, sizeof(s) - 1

static const struct kcase kcases[] = {
        /* offset / depth (depth counts from offset) */
        {"content:\"abc\";", P("xxabcxx"), true},
        {"content:\"abc\"; offset:3;", P("xxabc"), false},
        {"content:\"abc\"; offset:2;", P("xxabc"), true},
        {"content:\"abc\"; depth:4;", P("xxabc"), false},
        {"content:\"abc\"; depth:5;", P("xxabc"), true},
        {"content:\"abc\"; offset:1; depth:4;", P("xxabc"), true},
        {"content:\"abc\"; offset:1; depth:3;", P("xxabc"), false},
        /* distance / within relative to the end of the previous match */
        {"content:\"ab\"; content:\"cd\"; distance:0;", P("abcd"), true},
        {"content:\"ab\"; content:\"cd\"; distance:0;", P("cdab"), false},
        {"content:\"ab\"; content:\"cd\"; distance:1;", P("abcd"), false},
        {"content:\"ab\"; content:\"cd\"; distance:1;", P("abxcd"), true},
        {"content:\"ab\"; content:\"cd\"; within:2;", P("abcd"), true},
        {"content:\"ab\"; content:\"cd\"; within:2;", P("abxcd"), false},
        {"content:\"ab\"; content:\"cd\"; distance:1; within:3;", P("abxcd"), true},
        {"content:\"ab\"; content:\"cd\"; distance:1; within:3;", P("abxxcd"), true},
        {"content:\"ab\"; content:\"cd\"; distance:1; within:3;", P("abxxxcd"), false},
        {"content:\"ab\"; content:\"cd\"; distance:1; within:4;", P("abxxxcd"), true},
        /* negative distance reaches back from the previous match end */
        {"content:\"cd\"; content:\"ab\"; distance:-4; within:2;", P("abcd"), true},
        {"content:\"cd\"; content:\"ab\"; distance:-3; within:2;", P("abcd"), false},
        /* backtracking: the first "a" fails the relative test, the second passes */
        /* relative first content: from the start (a tiny anchored fast pattern) */
        {"content:\"MZ\"; within:2;", P("MZxx"), true},
        {"content:\"MZ\"; within:2;", P("xMZx"), false},
        {"content:\"ab\"; distance:1; within:3;", P("xxab"), true},
        {"content:\"ab\"; distance:1; within:3;", P("xxxab"), false},
        {"content:\"ab\"; distance:1; within:3;", P("abxx"), false},
        {"content:\"ab\"; distance:-1; within:3;", P("abx"), true},
        {"content:\"ab\"; distance:-1; within:3;", P("xab"), false},
        {"content:\"a\"; content:\"b\"; within:1;", P("acab"), true},
        {"content:\"a\"; content:\"b\"; within:1;", P("acac"), false},
        {"content:\"GET\"; content:\"x\"; distance:2; within:1;", P("GETaGETbbx"), true},
        /* negated relative content, retried at the next occurrence */
        {"content:\"a\"; content:!\"b\"; within:1;", P("ab"), false},
        {"content:\"a\"; content:!\"b\"; within:1;", P("abac"), true},
        {"content:\"a\"; content:!\"b\"; within:1;", P("a"), true},
        {"content:!\"evil\";", P("good"), true},
        {"content:!\"evil\";", P("so evil"), false},
        {"content:!\"evil\"; depth:4;", P("so evil"), true},
        /* nocase */
        {"content:\"ABC\"; nocase;", P("xabcx"), true},
        {"content:\"ABC\";", P("xabcx"), false},
        {"content:\"|41 42|\"; nocase;", P("ab"), true},
        /* startswith / endswith */
        {"content:\"GET\"; startswith;", P("GET /"), true},
        {"content:\"GET\"; startswith;", P(" GET /"), false},
        {"content:\".exe\"; endswith;", P("a.exe"), true},
        {"content:\".exe\"; endswith;", P("a.exe "), false},
        {"content:\".exe\"; endswith;", P("a.exe.exe"), true},
        {"content:\"a\"; content:\"xe\"; distance:0; endswith;", P("a.exe"), true},
        {"content:\"GET\"; startswith; endswith;", P("GET"), true},
        {"content:\"GET\"; startswith; endswith;", P("GETS"), false},
        /* isdataat */
        {"content:\"abc\"; isdataat:!1,relative;", P("xabc"), true},
        {"content:\"abc\"; isdataat:!1,relative;", P("xabcd"), false},
        {"isdataat:5;", P("12345"), false},
        {"isdataat:5;", P("123456"), true},
        {"isdataat:!5;", P("12345"), true},
        {"content:\"ab\"; isdataat:2,relative;", P("abcd"), true},
        {"content:\"ab\"; isdataat:2,relative;", P("abc"), false},
        /* byte_test: operators, endianness, bases, bitmask, relative */
        {"byte_test:2,=,0x0102,0;", P("\x01\x02"), true},
        {"byte_test:2,=,0x0201,0,little;", P("\x01\x02"), true},
        {"byte_test:2,=,0x0201,0;", P("\x01\x02"), false},
        {"byte_test:2,=,1,1;", P("\x01\x02"), false}, /* runs past the end */
        {"byte_test:3,>,100,0,string,dec;", P("123"), true},
        {"byte_test:3,>,100,0,string,dec;", P("099"), false},
        {"byte_test:2,=,255,0,string,hex;", P("ff"), true},
        {"byte_test:3,=,8,0,string,oct;", P("010"), true},
        {"byte_test:3,=,8,0,string,dec;", P("abc"), false}, /* not a number */
        {"byte_test:1,&,0x80,0;", P("\x81"), true},
        {"byte_test:1,&,0x80,0;", P("\x01"), false},
        {"byte_test:1,^,0x01,0;", P("\x01"), false},
        {"byte_test:1,^,0x01,0;", P("\x03"), true},
        {"byte_test:1,!=,5,0;", P("\x05"), false},
        {"byte_test:1,!=,5,0;", P("\x06"), true},
        {"byte_test:1,<=,5,0;", P("\x05"), true},
        {"byte_test:1,>=,6,0;", P("\x05"), false},
        {"byte_test:1,<,5,0;", P("\x05"), false},
        {"byte_test:1,=,3,0,bitmask 0x30;", P("\x3f"), true},
        {"content:\"ab\"; byte_test:1,=,7,0,relative;", P("ab\x07"), true},
        {"content:\"ab\"; byte_test:1,=,7,1,relative;", P("ab\x07"), false},
        /* byte_jump */
        {"byte_jump:1,0; content:\"X\"; distance:0; within:1;",
         P("\x02"
           "abX"),
         true},
        {"byte_jump:1,0; content:\"X\"; distance:0; within:1;",
         P("\x01"
           "abX"),
         false},
        {"content:\"L\"; byte_jump:1,0,relative,multiplier 2; content:\"Z\"; within:1;",
         P("L\x02"
           "abcdZ"),
         true},
        {"byte_jump:1,0,align; content:\"Y\"; distance:0; within:1;", P("\x01xxxxY"), true},
        {"byte_jump:1,0; content:\"Y\"; distance:0; within:1;", P("\x01xxxxY"), false},
        {"byte_jump:1,1,from_beginning; content:\"Q\"; distance:0; within:1;",
         P("a\x03"
           "bQ"),
         true},
        {"byte_jump:1,0,post_offset 1; content:\"Y\"; distance:0; within:1;",
         P("\x01"
           "aXY"),
         true},
        {"byte_jump:1,0; isdataat:!1,relative;",
         P("\x02"
           "ab"),
         true},
        {"byte_jump:1,0;",
         P("\x05"
           "ab"),
         false}, /* jumps past the end */
        {"byte_jump:2,0,string,dec; content:\"E\"; distance:0; within:1;", P("03abcE"), true},
        /* byte_extract feeding later options */
        {"byte_extract:1,0,off; content:\"abc\"; offset:off;", P("\x03xxabc"), true},
        {"byte_extract:1,0,off; content:\"abc\"; offset:off;", P("\x04xxabc"), false},
        {"byte_extract:1,0,dep; content:\"abc\"; depth:dep;", P("\x05xabc"), true},
        {"byte_extract:1,0,dep; content:\"abc\"; depth:dep;", P("\x04xabc"), false},
        {"content:\"K\"; byte_extract:1,0,d,relative; content:\"Z\"; distance:d; within:1;",
         P("K\x02"
           "abZ"),
         true},
        {"content:\"K\"; byte_extract:1,0,d,relative; content:\"Z\"; distance:d; within:1;",
         P("K\x01"
           "abZ"),
         false},
        {"byte_extract:1,0,v; byte_test:1,=,v,1;", P("\x07\x07"), true},
        {"byte_extract:1,0,v; byte_test:1,=,v,1;", P("\x07\x08"), false},
        {"byte_extract:1,0,n,multiplier 2; isdataat:n;", P("\x02xxx"), false},
        {"byte_extract:1,0,n,multiplier 2; isdataat:n;", P("\x02xxxx"), true},
        /* pcre */
        {"pcre:\"/a.c/\";", P("xabcx"), true},
        {"pcre:\"/^abc/\";", P("xabc"), false},
        {"content:\"x\"; pcre:\"/^abc/R\";", P("xabc"), true},
        {"content:\"x\"; pcre:\"/^abc/R\";", P("xyabc"), false},
        {"content:\"x\"; pcre:\"/^abc/R\";", P("xyxabc"), true},       /* retried at the 2nd x */
        {"pcre:\"/^a/\"; content:\"b\"; within:1;", P("acab"), false}, /* ^ stays at 0 */
        {"pcre:\"/a/\"; content:\"b\"; within:1;", P("acab"), true},
        {"pcre:!\"/abc/\";", P("abd"), true},
        {"pcre:!\"/abc/\";", P("abc"), false},
        {"pcre:\"/ABC/i\"; content:\"d\"; within:1;", P("abcd"), true},
        {"pcre:\"/ABC/i\"; content:\"d\"; within:1;", P("abcxd"), false},
        /* dsize */
        {"dsize:>3;", P("abcd"), true},
        {"dsize:>3;", P("abc"), false},
        {"dsize:2<>5;", P("abc"), true},
};

static bool eval_case(const char *opts, const void *payload, size_t len, enum mode m)
{
	char rule[1024];
	const char *rules[1] = {rule};
	struct env v;
	struct ips_detect_input in;
	snprintf(rule, sizeof(rule), "alert tcp any any -> any any (msg:\"t\"; %s sid:1;)", opts);
	env_init(&v, rules, 1, m);
	base_input(&in, payload, len);
	bool r = run_sids(&v, &in) == 2;
	env_done(&v);
	return r;
}

static void test_keywords(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(kcases) / sizeof(kcases[0]); i++) {
		const struct kcase *k = &kcases[i];
		for (int m = 0; m < M__COUNT; m++) {
			bool got = eval_case(k->opts, k->payload, k->len, (enum mode)m);
			if (got != k->match)
				fail_msg("case %zu mode %d: %s on \"%.*s\": got %d, want %d", i, m,
				         k->opts, (int)k->len, k->payload, got, k->match);
		}
	}
}

/* ---- sticky buffers ---- */

static void test_buffers(void **state)
{
	(void)state;
	static const char *const rules[] = {
	        "alert http any any -> any any (msg:\"uri\"; flow:to_server; http.uri; "
	        "content:\"/index\"; startswith; sid:1;)",
	        "alert http any any -> any any (msg:\"uri bsize\"; http.uri; bsize:6; "
	        "content:\"/abc\"; sid:2;)",
	        "alert dns any any -> any any (msg:\"dotprefix\"; dns.query; dotprefix; "
	        "content:\".example.com\"; endswith; nocase; sid:3;)",
	        "alert tls any any -> any any (msg:\"certs\"; tls.certs; content:\"|30 82|\"; "
	        "startswith; content:\"EVIL\"; distance:0; sid:4;)",
	        "alert http any any -> any any (msg:\"host+ua\"; http.host; content:\"a.test\"; "
	        "http.user_agent; content:\"curl\"; sid:5;)",
	        "alert tcp any any -> any any (msg:\"uri modifier\"; content:\"cmd=\"; http_uri; "
	        "content:\"POST\"; http_method; sid:6;)",
	        "alert http any any -> any any (msg:\"urilen\"; urilen:<8; sid:7;)",
	};
	for (int m = 0; m < M__COUNT; m++) {
		struct env v;
		struct ips_detect_input in;
		env_init(&v, rules, sizeof(rules) / sizeof(rules[0]), (enum mode)m);
		base_input(&in, "GET /index.html HTTP/1.1\r\n", 26);
		in.app = IPS_PROTO_HTTP;
		struct ips_bufv uri = {.p = (const uint8_t *)"/index.html", .len = 11};
		ips_detect_set_buf(&in, IPS_BUF_HTTP_URI, &uri);
		assert_int_equal(run_sids(&v, &in), 1u << 1);
		in.to_server = false;
		assert_int_equal(run_sids(&v, &in), 0); /* flow:to_server */
		in.to_server = true;
		/* No app layer: http rules do not apply. */
		in.app = IPS_PROTO_IP;
		assert_int_equal(run_sids(&v, &in), 0);
		in.app = IPS_PROTO_HTTP;
		uri = (struct ips_bufv){.p = (const uint8_t *)"/abcde", .len = 6};
		assert_int_equal(run_sids(&v, &in), (1u << 2) | (1u << 7));
		uri = (struct ips_bufv){.p = (const uint8_t *)"/abcdef", .len = 7};
		assert_int_equal(run_sids(&v, &in), 1u << 7);
		struct ips_bufv host = {.p = (const uint8_t *)"a.test", .len = 6},
		                ua = {.p = (const uint8_t *)"curl/8", .len = 6};
		ips_detect_set_buf(&in, IPS_BUF_HTTP_HOST, &host);
		assert_int_equal(run_sids(&v, &in), 1u << 7); /* no user agent yet */
		ips_detect_set_buf(&in, IPS_BUF_HTTP_USER_AGENT, &ua);
		assert_int_equal(run_sids(&v, &in), (1u << 5) | (1u << 7));
		struct ips_bufv meth = {.p = (const uint8_t *)"POST", .len = 4};
		uri = (struct ips_bufv){.p = (const uint8_t *)"/x?cmd=ls", .len = 9};
		ips_detect_set_buf(&in, IPS_BUF_HTTP_METHOD, &meth);
		assert_int_equal(run_sids(&v, &in), (1u << 5) | (1u << 6));

		/* dns.query with dotprefix */
		struct ips_detect_input d;
		base_input(&d, "", 0);
		d.proto = 17;
		d.has_tcp = false;
		d.dp = 53;
		d.app = IPS_PROTO_DNS;
		struct ips_bufv q = {.p = (const uint8_t *)"example.com", .len = 11};
		ips_detect_set_buf(&d, IPS_BUF_DNS_QUERY, &q);
		assert_int_equal(run_sids(&v, &d), 1u << 3);
		q = (struct ips_bufv){.p = (const uint8_t *)"www.EXAMPLE.com", .len = 15};
		assert_int_equal(run_sids(&v, &d), 1u << 3);
		q = (struct ips_bufv){.p = (const uint8_t *)"badexample.com", .len = 14};
		assert_int_equal(run_sids(&v, &d), 0);

		/* tls.certs: a multi-buffer matches if any instance does */
		struct ips_detect_input t;
		base_input(&t, "", 0);
		t.app = IPS_PROTO_TLS;
		struct ips_bufv certs[2] = {{.p = (const uint8_t *)"\x30\x82 good", .len = 7},
		                            {.p = (const uint8_t *)"\x30\x82 EVIL", .len = 7}};
		t.bufs[IPS_BUF_TLS_CERTS] = (struct ips_detect_buf){certs, 1};
		assert_int_equal(run_sids(&v, &t), 0);
		t.bufs[IPS_BUF_TLS_CERTS].n = 2;
		assert_int_equal(run_sids(&v, &t), 1u << 4);
		env_done(&v);
	}
}

/* SSH, ftp-data and SMTP rules against their app buffers. */
static void test_app_protocols(void **state)
{
	(void)state;
	static const char *const rules[] = {
	        "alert ssh any any -> any any (ssh.proto; content:\"2.0\"; sid:1;)",
	        "alert ssh any any -> any any (ssh.protoversion:2_compat; sid:2;)",
	        "alert ssh any any -> any any (ssh.softwareversion:OpenSSH_7.4; sid:3;)",
	        "alert ssh any any -> any any (ssh.protoversion:\"1.99\"; sid:4;)",
	        "alert ftp-data any any -> any any (ftpdata_command:retr; sid:5;)",
	        "alert ftp-data any any -> any any (file_data; content:\"root\"; sid:6;)",
	        "alert smtp any any -> any any (file_data; content:\"root\"; sid:7;)",
	        "alert tcp any any -> any any (ssh.hassh; content:\"abc\"; sid:8;)",
	};
	for (int m = 0; m < M__COUNT; m++) {
		struct env v;
		struct ips_detect_input in;
		env_init(&v, rules, sizeof(rules) / sizeof(rules[0]), (enum mode)m);
		base_input(&in, "", 0);
		in.dp = 22;
		in.app = IPS_PROTO_SSH;
		struct ips_bufv pv = {.p = (const uint8_t *)"2.0", .len = 3},
		                sw = {.p = (const uint8_t *)"OpenSSH_7.4", .len = 11};
		ips_detect_set_buf(&in, IPS_BUF_SSH_PROTO, &pv);
		assert_int_equal(run_sids(&v, &in), (1u << 1) | (1u << 2));
		ips_detect_set_buf(&in, IPS_BUF_SSH_SOFTWARE, &sw);
		assert_int_equal(run_sids(&v, &in), (1u << 1) | (1u << 2) | (1u << 3));
		/* Whole-buffer comparisons: a prefix is not enough. */
		sw = (struct ips_bufv){.p = (const uint8_t *)"OpenSSH_7.4p1", .len = 13};
		pv = (struct ips_bufv){.p = (const uint8_t *)"1.99", .len = 4};
		assert_int_equal(run_sids(&v, &in), (1u << 2) | (1u << 4));
		struct ips_bufv h = {.p = (const uint8_t *)"00abc11", .len = 7};
		ips_detect_set_buf(&in, IPS_BUF_SSH_HASSH, &h);
		assert_int_equal(run_sids(&v, &in), (1u << 2) | (1u << 4) | (1u << 8));
		/* Not an ssh flow: none of the ssh rules. */
		in.app = IPS_PROTO_TLS;
		assert_int_equal(run_sids(&v, &in), 0);

		struct ips_detect_input d;
		base_input(&d, "", 0);
		d.app = IPS_PROTO_FTP_DATA;
		struct ips_bufv cmd = {.p = (const uint8_t *)"retr", .len = 4},
		                fd = {.p = (const uint8_t *)"x:root:0", .len = 8};
		ips_detect_set_buf(&d, IPS_BUF_FTPDATA_COMMAND, &cmd);
		assert_int_equal(run_sids(&v, &d), 1u << 5);
		ips_detect_set_buf(&d, IPS_BUF_FILE_DATA, &fd);
		assert_int_equal(run_sids(&v, &d), (1u << 5) | (1u << 6));
		cmd = (struct ips_bufv){.p = (const uint8_t *)"stor", .len = 4};
		assert_int_equal(run_sids(&v, &d), 1u << 6);
		/* The same file.data on an SMTP flow is the smtp rule's. */
		d.app = IPS_PROTO_SMTP;
		d.bufs[IPS_BUF_FTPDATA_COMMAND].n = 0;
		assert_int_equal(run_sids(&v, &d), 1u << 7);
		env_done(&v);
	}
}

/* ---- header and packet keywords ---- */

static void test_header(void **state)
{
	(void)state;
	static const char *const rules[] = {
	        "alert tcp 10.0.0.0/8 any -> any 80 (msg:\"a\"; sid:1;)",
	        "alert tcp any any -> 10.0.0.1 any (msg:\"b\"; sid:2;)",
	        "alert tcp 10.0.0.1 any <> 10.0.0.2 80 (msg:\"c\"; sid:3;)",
	        "alert tcp any any -> any any (msg:\"syn\"; flags:S,12; sid:4;)",
	        "alert tcp any any -> any any (msg:\"pa+\"; flags:PA+; sid:5;)",
	        "alert ip any any -> any any (msg:\"ttl\"; ttl:<10; sid:6;)",
	        "alert icmp any any -> any any (msg:\"echo\"; itype:8; icode:0; icmp_id:7; "
	        "icmp_seq:9; sid:7;)",
	        "alert ip any any -> any any (msg:\"same\"; sameip; sid:8;)",
	        "alert ip any any -> any any (msg:\"proto\"; ip_proto:1; sid:9;)",
	        "alert udp any any -> any !53 (msg:\"udp\"; sid:10;)",
	        "alert tcp any any -> any any (msg:\"nostream\"; flow:no_stream; content:\"Q\"; "
	        "sid:11;)",
	        "alert tcp any any -> any any (msg:\"onlystream\"; flow:only_stream; "
	        "content:\"Q\"; sid:12;)",
	        "alert tcp any any -> any any (msg:\"notest\"; flow:not_established; sid:13;)",
	        "alert tcp any any -> any any (msg:\"fin\"; flags:!F; sid:14;)",
	};
	for (int m = 0; m < M__COUNT; m++) {
		struct env v;
		struct ips_detect_input in;
		env_init(&v, rules, sizeof(rules) / sizeof(rules[0]), (enum mode)m);
		base_input(&in, "Q", 1);
		assert_int_equal(run_sids(&v, &in),
		                 (1u << 1) | (1u << 3) | (1u << 5) | (1u << 11) | (1u << 14));
		/* reverse direction: only the bidirectional rule and sid 2 */
		base_input(&in, "Q", 1);
		memcpy(in.src, (const uint8_t[]){10, 0, 0, 2}, 4);
		memcpy(in.dst, (const uint8_t[]){10, 0, 0, 1}, 4);
		in.sp = 80;
		in.dp = 1234;
		in.to_server = false;
		in.is_stream = true;
		assert_int_equal(run_sids(&v, &in),
		                 (1u << 2) | (1u << 3) | (1u << 5) | (1u << 12) | (1u << 14));
		/* SYN with ECN bits ignored, low TTL, not established */
		base_input(&in, NULL, 0);
		in.tcp_flags = 0x02 | 0xc0;
		in.ttl = 3;
		in.established = false;
		in.dp = 81;
		assert_int_equal(run_sids(&v, &in),
		                 (1u << 4) | (1u << 6) | (1u << 13) | (1u << 14));
		/* ICMP echo */
		base_input(&in, NULL, 0);
		in.proto = 1;
		in.has_tcp = false;
		in.has_flow = false;
		in.has_icmp = in.icmp_has_id = true;
		in.icmp_type = 8;
		in.icmp_id = 7;
		in.icmp_seq = 9;
		in.sp = in.dp = 0;
		assert_int_equal(run_sids(&v, &in), (1u << 7) | (1u << 9));
		in.icmp_seq = 10;
		assert_int_equal(run_sids(&v, &in), 1u << 9);
		/* UDP, same addresses, IPv6 */
		base_input(&in, NULL, 0);
		in.proto = 17;
		in.has_tcp = false;
		in.dp = 53;
		assert_int_equal(run_sids(&v, &in), 0);
		in.dp = 54;
		memcpy(in.dst, in.src, 4);
		assert_int_equal(run_sids(&v, &in), (1u << 8) | (1u << 10));
		in.ip_version = 6;
		memset(in.src, 0, 16);
		memset(in.dst, 0, 16);
		in.src[15] = 1;
		in.dst[15] = 2;
		assert_int_equal(run_sids(&v, &in), 1u << 10);
		env_done(&v);
	}
}

/* ---- flowbits ---- */

static void test_flowbits(void **state)
{
	(void)state;
	static const char *const rules[] = {
	        "alert tcp any any -> any any (msg:\"set\"; content:\"login\"; "
	        "flowbits:set,auth; flowbits:noalert; sid:1;)",
	        "alert tcp any any -> any any (msg:\"isset\"; content:\"cmd\"; "
	        "flowbits:isset,auth; sid:2;)",
	        "alert tcp any any -> any any (msg:\"isnotset\"; content:\"cmd\"; "
	        "flowbits:isnotset,auth; sid:3;)",
	        "alert tcp any any -> any any (msg:\"unset\"; content:\"logout\"; "
	        "flowbits:unset,auth; sid:4;)",
	        "alert tcp any any -> any any (msg:\"toggle\"; content:\"tog\"; "
	        "flowbits:toggle,t; flowbits:noalert; sid:5;)",
	        "alert tcp any any -> any any (msg:\"or\"; content:\"cmd\"; "
	        "flowbits:isset,t|auth; sid:6;)",
	        "alert tcp any any -> any any (msg:\"and\"; content:\"cmd\"; "
	        "flowbits:isset,t&auth; sid:7;)",
	        /* a reader before the setter in the file: evaluated after it */
	        "alert tcp any any -> any any (msg:\"same pkt\"; content:\"both\"; "
	        "flowbits:isset,b; sid:8;)",
	        "alert tcp any any -> any any (msg:\"set b\"; content:\"both\"; "
	        "flowbits:set,b; sid:9;)",
	};
	for (int m = 0; m < M__COUNT; m++) {
		struct env v;
		struct ips_detect_input in;
		struct ips_flowbits_state fb = {0};
		env_init(&v, rules, sizeof(rules) / sizeof(rules[0]), (enum mode)m);
		int auth = ips_detect_flowbit_id(v.e, "auth");
		assert_true(auth >= 0);
		assert_int_equal(ips_detect_flowbit_id(v.e, "nope"), -1);
#define SEND(s) (base_input(&in, s, strlen(s)), in.flowbits = &fb, run_sids(&v, &in))
		assert_int_equal(SEND("cmd"), 1u << 3);
		assert_int_equal(SEND("login"), 0); /* noalert */
		assert_true(ips_flowbits_isset(&fb, auth));
		assert_int_equal(SEND("cmd"), (1u << 2) | (1u << 6));
		assert_int_equal(SEND("tog"), 0);
		assert_int_equal(SEND("cmd"), (1u << 2) | (1u << 6) | (1u << 7));
		assert_int_equal(SEND("tog"), 0);
		assert_int_equal(SEND("logout"), 1u << 4);
		assert_false(ips_flowbits_isset(&fb, auth));
		assert_int_equal(SEND("cmd"), 1u << 3);
		assert_int_equal(SEND("both"), (1u << 8) | (1u << 9));
		/* No flow state: isset fails, isnotset holds, set is ignored. */
		base_input(&in, "cmd", 3);
		assert_int_equal(run_sids(&v, &in), 1u << 3);
#undef SEND
		env_done(&v);
	}
}

/* ---- threshold / detection_filter with a fake clock ---- */

struct thr_step {
	uint64_t sec;
	uint8_t src; /* last byte of the source address */
	bool alert;
};

static void run_thr(const char *opt, const struct thr_step *s, size_t n)
{
	char rule[512];
	const char *rules[1] = {rule};
	snprintf(rule, sizeof(rule),
	         "alert tcp any any -> any any (msg:\"t\"; content:\"x\"; %s sid:1;)", opt);
	struct env v;
	env_init(&v, rules, 1, M_HS);
	for (size_t i = 0; i < n; i++) {
		struct ips_detect_input in;
		base_input(&in, "x", 1);
		in.src[3] = s[i].src;
		in.ts_usec = s[i].sec * 1000000u;
		bool got = run_sids(&v, &in) != 0;
		if (got != s[i].alert)
			fail_msg("%s step %zu: got %d want %d", opt, i, got, s[i].alert);
	}
	env_done(&v);
}

static void test_threshold(void **state)
{
	(void)state;
	/* limit: the first 2 per 60 s per source */
	static const struct thr_step limit[] = {
	        {0, 1, true},   {1, 1, true},  {2, 1, false}, {3, 2, true},
	        {59, 1, false}, {60, 1, true}, {61, 1, true}, {62, 1, false},
	};
	run_thr("threshold:type limit,track by_src,count 2,seconds 60;", limit,
	        sizeof(limit) / sizeof(limit[0]));
	/* threshold: every 3rd per 60 s per destination (all the same here) */
	static const struct thr_step thr[] = {
	        {0, 1, false}, {1, 2, false},  {2, 3, true},   {3, 1, false}, {4, 1, false},
	        {5, 1, true},  {70, 1, false}, {71, 1, false}, {72, 1, true},
	};
	run_thr("threshold:type threshold,track by_dst,count 3,seconds 60;", thr,
	        sizeof(thr) / sizeof(thr[0]));
	/* both: once per window, at the 2nd match */
	static const struct thr_step both[] = {
	        {0, 1, false},  {1, 1, true},  {2, 1, false},  {3, 1, false},
	        {10, 1, false}, {11, 1, true}, {12, 2, false}, {13, 2, true},
	};
	run_thr("threshold:type both,track by_src,count 2,seconds 10;", both,
	        sizeof(both) / sizeof(both[0]));
	/* detection_filter: every match after the first 2 of a window */
	static const struct thr_step df[] = {
	        {0, 1, false}, {1, 1, false},  {2, 1, true},   {3, 1, true},
	        {4, 2, false}, {30, 1, false}, {31, 1, false}, {32, 1, true},
	};
	run_thr("detection_filter:track by_src,count 2,seconds 30;", df,
	        sizeof(df) / sizeof(df[0]));
	/* by_rule: all sources count together */
	static const struct thr_step rule[] = {
	        {0, 1, true},
	        {1, 2, false},
	        {2, 3, false},
	        {100, 4, true},
	};
	run_thr("threshold:type limit,track by_rule,count 1,seconds 60;", rule,
	        sizeof(rule) / sizeof(rule[0]));
}

static void test_threshold_cap(void **state)
{
	(void)state;
	/* A tiny table: many sources evict each other but never fail. */
	const char *rules[1] = {"alert tcp any any -> any any (msg:\"t\"; content:\"x\"; "
	                        "threshold:type limit,track by_src,count 1,seconds 60; sid:1;)"};
	struct env v = {0};
	v.rs = calloc(1, sizeof(*v.rs));
	assert_int_equal(add_rule(v.rs, rules[0]), 0);
	struct ips_detect_conf c = {.thr_entries = 4};
	assert_int_equal(ips_detect_build(v.rs, &c, &v.e, NULL), 0);
	assert_int_equal(ips_detect_thread_new(v.e, &v.t), 0);
	for (unsigned i = 0; i < 100; i++) {
		struct ips_detect_input in;
		base_input(&in, "x", 1);
		in.src[2] = (uint8_t)(i >> 8);
		in.src[3] = (uint8_t)i;
		in.ts_usec = i;
		assert_int_equal(run_sids(&v, &in), 2); /* every source is new */
	}
	assert_true(ips_detect_thread_stats(v.t)->thr_evicted > 0);
	env_done(&v);
}

/* ---- pass and action order ---- */

static void test_actions(void **state)
{
	(void)state;
	static const char *const rules[] = {
	        "alert tcp any any -> any any (msg:\"a\"; content:\"x\"; sid:1;)",
	        "drop tcp any any -> any any (msg:\"d\"; content:\"x\"; sid:2;)",
	        "pass tcp any any -> any any (msg:\"p\"; content:\"ok\"; sid:3;)",
	        "reject tcp any any -> any any (msg:\"r\"; content:\"x\"; priority:1; sid:4;)",
	};
	struct env v;
	struct ips_detect_input in;
	struct ips_match m[8];
	size_t n;
	env_init(&v, rules, 4, M_HS);
	base_input(&in, "x", 1);
	assert_int_equal(ips_detect_run(v.e, v.t, &in, m, 8, &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(m[0].action, IPS_ACT_DROP);
	assert_int_equal(m[1].action, IPS_ACT_REJECT);
	assert_int_equal(m[2].action, IPS_ACT_ALERT);
	/* Only room for one: the count still says three. */
	assert_int_equal(ips_detect_run(v.e, v.t, &in, m, 1, &n), 0);
	assert_int_equal(n, 3);
	/* A pass rule ends the inspection. */
	base_input(&in, "x ok", 4);
	assert_int_equal(ips_detect_run(v.e, v.t, &in, m, 8, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(m[0].action, IPS_ACT_PASS);
	assert_int_equal(m[0].rule->sid, 3);
	env_done(&v);
}

/* ---- MPM implementations agree ---- */

static int collect(uint32_t id, size_t end, void *ctx)
{
	(void)end;
	uint64_t *bits = ctx;
	*bits |= 1ull << id;
	return 0;
}

static void test_mpm(void **state)
{
	(void)state;
	static const struct {
		const char *p;
		bool nocase;
	} pats[] = {{"he", false}, {"she", false}, {"his", false}, {"hers", false},
	            {"HE", true},  {"\0x", false}, {"aaa", false}, {"Abc", false}};
	struct ips_mpm_pattern mp[8];
	for (uint32_t i = 0; i < 8; i++)
		mp[i] = (struct ips_mpm_pattern){(const uint8_t *)pats[i].p,
		                                 i == 5 ? 2 : strlen(pats[i].p), pats[i].nocase, i};
	static const struct {
		const char *text;
		size_t len;
		uint64_t want;
	} t[] = {
	        {"ushers", 6, (1u << 0) | (1u << 1) | (1u << 3) | (1u << 4)},
	        {"HIS", 3, 0},
	        {"hE", 2, 1u << 4},
	        {"a\0xaa", 5, 1u << 5},
	        {"aaaa", 4, 1u << 6},
	        {"abc ABC", 7, 0},
	        {"xAbc", 4, 1u << 7},
	        {"", 0, 0},
	};
	const struct ips_mpm_ops *ops[2] = {&ips_mpm_hs_ops, &ips_mpm_ac_ops};
	for (int k = 0; k < 2; k++) {
		void *db, *scratch = NULL;
		assert_int_equal(ops[k]->build(mp, 8, &db), 0);
		assert_int_equal(ops[k]->scratch_grow(db, &scratch), 0);
		assert_true(ops[k]->db_size(db) > 0);
		for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
			uint64_t got = 0;
			assert_int_equal(ops[k]->scan(db, scratch, (const uint8_t *)t[i].text,
			                              t[i].len, collect, &got),
			                 0);
			if (got != t[i].want)
				fail_msg("%s on %zu: got %llx want %llx", ops[k]->name, i,
				         (unsigned long long)got, (unsigned long long)t[i].want);
		}
		ops[k]->scratch_free(scratch);
		ops[k]->free(db);
	}
}

/*
 * vectorscan builds a group with NUL-leading patterns as one regex database,
 * or, when it also holds a one-byte pattern, as literals plus a regex
 * database of the NUL-leading ones (mpm_hs.c): both must find every pattern,
 * also a single byte near the end of a long buffer.
 */
static void test_mpm_nul(void **state)
{
	(void)state;
	static const struct ips_mpm_pattern one[] = {
	        {(const uint8_t *)"\0\1", 2, false, 0},
	        {(const uint8_t *)"-", 1, false, 1},
	        {(const uint8_t *)"Ab", 2, true, 2},
	};
	uint8_t buf[1500];
	for (int split = 0; split < 2; split++) {
		void *db, *scratch = NULL;
		size_t n = split ? 3 : 1;
		const struct ips_mpm_pattern *pats = one;
		struct ips_mpm_pattern two[2] = {one[0], one[2]};
		if (!split) {
			pats = two;
			n = 2;
		}
		assert_int_equal(ips_mpm_hs_ops.build(pats, n, &db), 0);
		assert_int_equal(ips_mpm_hs_ops.scratch_grow(db, &scratch), 0);
		for (size_t at = 100; at < 1400; at += 97) {
			memset(buf, 'x', sizeof(buf));
			memcpy(buf + at, "\0\1", 2);
			memcpy(buf + at - 50, "aB", 2);
			buf[sizeof(buf) - 1 - at % 7] = '-';
			uint64_t got = 0;
			assert_int_equal(
			        ips_mpm_hs_ops.scan(db, scratch, buf, sizeof(buf), collect, &got),
			        0);
			uint64_t want = split ? 7 : 5;
			if (got != want)
				fail_msg("split %d at %zu: got %llx want %llx", split, at,
				         (unsigned long long)got, (unsigned long long)want);
		}
		ips_mpm_hs_ops.scratch_free(scratch);
		ips_mpm_hs_ops.free(db);
	}
	/* A one-byte NUL pattern (a regex), alone and beside a one-byte literal. */
	static const struct ips_mpm_pattern nul[] = {
	        {(const uint8_t *)"\0", 1, false, 0},
	        {(const uint8_t *)"-", 1, false, 1},
	};
	for (size_t np = 1; np <= 2; np++) {
		void *db, *scratch = NULL;
		assert_int_equal(ips_mpm_hs_ops.build(nul, np, &db), 0);
		assert_int_equal(ips_mpm_hs_ops.scratch_grow(db, &scratch), 0);
		for (size_t n = 1; n <= 200; n++) {
			for (size_t k = 0; k < n; k++) {
				memset(buf, 'x', n);
				buf[k] = 0;
				uint64_t got = 0;
				assert_int_equal(
				        ips_mpm_hs_ops.scan(db, scratch, buf, n, collect, &got), 0);
				if (got != 1)
					fail_msg("NUL at %zu of %zu: got %llx", k, n,
					         (unsigned long long)got);
			}
		}
		ips_mpm_hs_ops.scratch_free(scratch);
		ips_mpm_hs_ops.free(db);
	}
}

/*
 * A large group (200 patterns of 4 to 11 bytes, NUL-leading ones among them)
 * with short patterns of every kind (caseless, NUL-leading, one byte, one NUL
 * byte): vectorscan must find what the Aho-Corasick automaton finds, in
 * random buffers of a small alphabet. Each subset of the short patterns is
 * tried: one or two of at most two bytes are compiled apart from the long
 * ones (mpm_hs.c build_mode), as literals, regexes or both; more stay in.
 */
static int collect_set(uint32_t id, size_t end, void *ctx)
{
	(void)end;
	uint8_t *seen = ctx;
	seen[id] = 1;
	return 0;
}

/* vectorscan and the Aho-Corasick automaton, built from the same patterns (ids below 512). */
struct mpm_both {
	const struct ips_mpm_pattern *pats;
	size_t npat;
	void *db[2], *scratch[2];
};
static const struct ips_mpm_ops *const both_ops[2] = {&ips_mpm_hs_ops, &ips_mpm_ac_ops};

static void both_build(struct mpm_both *m, const struct ips_mpm_pattern *pats, size_t npat)
{
	*m = (struct mpm_both){.pats = pats, .npat = npat};
	for (int k = 0; k < 2; k++) {
		assert_int_equal(both_ops[k]->build(pats, npat, &m->db[k]), 0);
		assert_int_equal(both_ops[k]->scratch_grow(m->db[k], &m->scratch[k]), 0);
	}
}

/* Fails unless both find the same patterns in buf[0..len); `what` names the buffer. */
static void both_agree(const struct mpm_both *m, const uint8_t *buf, size_t len, const char *what)
{
	static uint8_t seen[2][512];
	memset(seen, 0, sizeof(seen));
	for (int k = 0; k < 2; k++)
		assert_int_equal(
		        both_ops[k]->scan(m->db[k], m->scratch[k], buf, len, collect_set, seen[k]),
		        0);
	for (size_t i = 0; i < m->npat; i++) {
		uint32_t id = m->pats[i].id;
		if (seen[0][id] != seen[1][id])
			fail_msg("%zu patterns, %s: pattern %u (%zu bytes) found by %s only",
			         m->npat, what, id, m->pats[i].len,
			         seen[0][id] ? both_ops[0]->name : both_ops[1]->name);
	}
}

static void both_free(struct mpm_both *m)
{
	for (int k = 0; k < 2; k++) {
		both_ops[k]->scratch_free(m->scratch[k]);
		both_ops[k]->free(m->db[k]);
	}
}

static void mpm_split_case(struct ips_mpm_pattern *pats, size_t npat, uint32_t *st)
{
	enum { NBUF = 120 };
	struct mpm_both m;
	both_build(&m, pats, npat);
	uint8_t buf[1600];
	for (int b = 0; b < NBUF; b++) {
		size_t len = 1 + xorshift32(st) % sizeof(buf);
		for (size_t i = 0; i < len; i++)
			buf[i] = (uint8_t) "abAB\\u0-xyz\0"[xorshift32(st) % 13];
		char what[64];
		snprintf(what, sizeof(what), "buffer %d (%zu bytes)", b, len);
		both_agree(&m, buf, len, what);
	}
	both_free(&m);
}

static void test_mpm_split(void **state)
{
	(void)state;
	enum { NLONG = 200, NSHORT = 6 };
	static const char alpha[] = "abAB\0-x";
	static uint8_t bytes[NLONG][12];
	struct ips_mpm_pattern pats[NLONG + NSHORT];
	uint32_t st = 4242;
	for (uint32_t i = 0; i < NLONG; i++) {
		size_t len = 4 + xorshift32(&st) % 8;
		for (size_t k = 0; k < len; k++)
			bytes[i][k] = (uint8_t)alpha[xorshift32(&st) % 7];
		pats[i] = (struct ips_mpm_pattern){bytes[i], len, xorshift32(&st) % 2 == 0, i};
	}
	static const struct {
		const char *p;
		size_t len;
		bool nocase;
	} sh[NSHORT] = {{"\\u0", 3, true}, {"ab", 2, true},  {"\0\0b", 3, false},
	                {"-", 1, false},   {"\0", 1, false}, {"xB", 2, false}};
	/* Subsets of sh by bit: all, then ones that put one or two apart. */
	static const unsigned subsets[] = {0x3f,
	                                   1u << 1,
	                                   1u << 4,
	                                   (1u << 1) | (1u << 5),
	                                   (1u << 3) | (1u << 4),
	                                   (1u << 0) | (1u << 2) | (1u << 4),
	                                   (1u << 1) | (1u << 3) | (1u << 5)};
	for (size_t s = 0; s < sizeof(subsets) / sizeof(subsets[0]); s++) {
		size_t n = NLONG;
		for (uint32_t i = 0; i < NSHORT; i++)
			if (subsets[s] & (1u << i))
				pats[n++] = (struct ips_mpm_pattern){(const uint8_t *)sh[i].p,
				                                     sh[i].len, sh[i].nocase,
				                                     NLONG + i};
		mpm_split_case(pats, n, &st);
	}
}

/*
 * vectorscan 5.4.9's AVX2 and AVX-512 code misses matches near the end of
 * some inputs, depending on where the input ends in memory (mpm_hs.c
 * impl_pick): two cases found by test_mpm_random, each scanned at all 64
 * alignments through the ops.
 */
static void test_mpm_hs_alignment(void **state)
{
	(void)state;
	static const struct {
		struct ips_mpm_pattern p[2];
		uint32_t want; /* the id that must be found */
		const char *hex;
	} t[] = {
	        {{{(const uint8_t *)"ZA-aA@\xff[{[Za", 12, false, 0},
	          {(const uint8_t *)"@@", 2, false, 1}},
	         1,
	         "41ffff6041617b615a00605a002d60000060605a5b607aff5b5a605b00000000"
	         "0041ff7a7b5a615a2d414161005a7b5aff7b7b6141617b5a61ff5a5b5b007bff"
	         "ff404040606041414140ff7b417b4161ff"},
	        {{{(const uint8_t *)"\0", 1, true, 0}, {(const uint8_t *)"\0Z", 2, true, 1}},
	         0,
	         "7a40ff61ff40417a7b602d607a40614160612d7a41615b2d417a7b7b2d5b7a5b"
	         "615b5b605b605aff614140417b5a5b5a604160ff60ff7a5b7a4140407b7a6161"
	         "5a40402d60007b2d2d605b6141ff61607a4100ff614000ff41"},
	};
	static _Alignas(64) uint8_t mem[256];
	for (size_t c = 0; c < sizeof(t) / sizeof(t[0]); c++) {
		uint8_t in[128];
		size_t len = strlen(t[c].hex) / 2;
		assert_true(len <= sizeof(in));
		for (size_t i = 0; i < len; i++)
			assert_int_equal(sscanf(t[c].hex + 2 * i, "%2hhx", &in[i]), 1);
		void *db, *scratch = NULL;
		assert_int_equal(ips_mpm_hs_ops.build(t[c].p, 2, &db), 0);
		assert_int_equal(ips_mpm_hs_ops.scratch_grow(db, &scratch), 0);
		for (size_t a = 0; a < 64; a++) {
			memcpy(mem + a, in, len);
			uint8_t seen[2] = {0, 0};
			assert_int_equal(
			        ips_mpm_hs_ops.scan(db, scratch, mem + a, len, collect_set, seen),
			        0);
			if (!seen[t[c].want])
				fail_msg("case %zu: pattern %u missed at alignment %zu", c,
				         t[c].want, a);
		}
		ips_mpm_hs_ops.scratch_free(scratch);
		ips_mpm_hs_ops.free(db);
	}
}

/*
 * vectorscan against the Aho-Corasick automaton on random sets of 1 to 400
 * patterns of 1 to 12 bytes (and a few up to 70), caseless or not, over an
 * alphabet with the bytes beside A-Z and a-z (which case folding must leave
 * alone), NUL and 0xff, in inputs of up to 136 bytes placed at random
 * alignments: the inputs where vectorscan 5.4.9's AVX2 and AVX-512 code
 * missed matches (test_mpm_hs_alignment).
 */
static void test_mpm_random(void **state)
{
	(void)state;
	static const char alpha[] = "aAzZ@[`{\0\xff-";
	static const size_t sizes[] = {1, 3, 9, 40, 400};
	static uint8_t bytes[400][70];
	static _Alignas(64) uint8_t mem[256];
	struct ips_mpm_pattern pats[400];
	uint32_t st = 777;
	for (size_t z = 0; z < sizeof(sizes) / sizeof(sizes[0]); z++) {
		for (int round = 0; round < 6; round++) {
			size_t npat = sizes[z];
			for (uint32_t i = 0; i < npat; i++) {
				size_t len = 1 + xorshift32(&st) % 12;
				if (xorshift32(&st) % 16 == 0)
					len = 13 + xorshift32(&st) % 58;
				for (size_t k = 0; k < len; k++)
					bytes[i][k] = (uint8_t)alpha[xorshift32(&st) % 11];
				pats[i] = (struct ips_mpm_pattern){bytes[i], len,
				                                   xorshift32(&st) % 2 == 0, i};
			}
			struct mpm_both m;
			both_build(&m, pats, npat);
			for (int b = 0; b < 300; b++) {
				size_t len = xorshift32(&st) % 137;
				uint8_t *buf = mem + xorshift32(&st) % 64;
				for (size_t i = 0; i < len; i++)
					buf[i] = (uint8_t)alpha[xorshift32(&st) % 11];
				/* Sometimes a pattern, at the very end. */
				const struct ips_mpm_pattern *e = &pats[xorshift32(&st) % npat];
				if (b % 3 == 0 && e->len <= len)
					memcpy(buf + len - e->len, e->p, e->len);
				char what[64];
				snprintf(what, sizeof(what), "%zu bytes at alignment %zu", len,
				         (size_t)((uintptr_t)buf % 64));
				both_agree(&m, buf, len, what);
			}
			both_free(&m);
		}
	}
}

/* ---- prefilter equivalence on random rules and payloads ---- */

static uint32_t rnd_state = 12345;
static uint32_t rnd(void)
{
	return xorshift32(&rnd_state);
}

static void rnd_word(char *out, size_t n)
{
	static const char alpha[] = "abcAB";
	for (size_t i = 0; i < n; i++)
		out[i] = alpha[rnd() % (sizeof(alpha) - 1)];
	out[n] = 0;
}

/*
 * Address sides: 10.0.0.0/8 is the set named most, so the engine takes it
 * as its home set and splits the groups into address zones (detect.c
 * build_zones); the others are inside it, outside it, across it, or any.
 */
static const char *const rnd_addrs[] = {
        "any",
        "any",
        "10.0.0.0/8",
        "10.0.0.0/8",
        "10.0.0.0/8",
        "!10.0.0.0/8",
        "!10.0.0.0/8",
        "10.1.0.0/16",
        "!10.1.0.0/16",
        "[1.2.3.4,10.0.0.5]",
        "[10.0.0.0/8,192.168.0.0/16]",
        "1.2.3.0/24",
};
static const uint8_t rnd_hosts[][4] = {
        {10, 0, 0, 1}, {10, 1, 2, 3}, {10, 0, 0, 5}, {1, 2, 3, 4}, {192, 168, 1, 1}, {8, 8, 8, 8},
};

static void rnd_rule(char *buf, size_t cap, unsigned sid)
{
	char w[8];
	enum { NA = sizeof(rnd_addrs) / sizeof(rnd_addrs[0]) };
	const char *src = rnd_addrs[rnd() % NA], *dst = rnd_addrs[rnd() % NA];
	int o = snprintf(buf, cap, "alert tcp %s any %s %s any (msg:\"r\"; ", src,
	                 rnd() % 4 == 0 ? "<>" : "->", dst);
	unsigned nc = rnd() % 3; /* 0..2 contents; 0 leaves pcre/isdataat only */
	for (unsigned i = 0; i < nc; i++) {
		size_t len = 1 + rnd() % 3;
		rnd_word(w, len);
		bool neg = i > 0 && rnd() % 4 == 0;
		o += snprintf(buf + o, cap - (size_t)o, "content:%s\"%s\"; ", neg ? "!" : "", w);
		if (rnd() % 3 == 0)
			o += snprintf(buf + o, cap - (size_t)o, "nocase; ");
		if (i > 0 && rnd() % 2)
			o += snprintf(buf + o, cap - (size_t)o, "distance:%d; within:%zu; ",
			              (int)(rnd() % 3), len + rnd() % 3);
		else if (rnd() % 3 == 0)
			o += snprintf(buf + o, cap - (size_t)o, "offset:%u; depth:%zu; ", rnd() % 3,
			              len + rnd() % 4);
		else if (rnd() % 4 == 0) /* tiny anchored fast patterns (detect.c fp_tiny) */
			o += snprintf(buf + o, cap - (size_t)o, "startswith; ");
		else if (rnd() % 4 == 0)
			o += snprintf(buf + o, cap - (size_t)o, "offset:%u; ", rnd() % 4);
		if (!neg && rnd() % 5 == 0)
			o += snprintf(buf + o, cap - (size_t)o, "fast_pattern; ");
	}
	if (rnd() % 4 == 0)
		o += snprintf(buf + o, cap - (size_t)o, "pcre:\"/[ab]%s/%s\"; ", nc ? "" : "c",
		              nc && rnd() % 2 ? "R" : "");
	if (rnd() % 5 == 0)
		o += snprintf(buf + o, cap - (size_t)o, "isdataat:!%u,relative; ", rnd() % 3);
	snprintf(buf + o, cap - (size_t)o, "sid:%u;)", sid);
}

static void test_equivalence(void **state)
{
	(void)state;
	enum { NRULES = 60, NPAY = 300 };
	struct env v[M__COUNT];
	struct ips_ruleset *rs = calloc(1, sizeof(*rs));
	char text[512];
	bw_log_set_sink(quiet, NULL);
	for (unsigned i = 0; rs->n < NRULES && i < 10 * NRULES; i++) {
		rnd_rule(text, sizeof(text), 1 + (unsigned)rs->n);
		add_rule(rs, text); /* the parser may refuse a few combinations */
	}
	bw_log_set_sink(NULL, NULL);
	assert_true(rs->n >= NRULES / 2);
	for (int m = 0; m < M__COUNT; m++) {
		v[m].rs = rs;
		env_build(&v[m], (enum mode)m);
	}
	/* The prefiltered engines have address zones; the reference has no groups. */
	struct ips_detect_stats st;
	struct ips_detect_engine *ze;
	assert_int_equal(ips_detect_build(rs, &(struct ips_detect_conf){0}, &ze, &st), 0);
	assert_int_equal(st.zones, 4);
	ips_detect_free(ze);
	size_t total = 0;
	for (unsigned p = 0; p < NPAY; p++) {
		char pay[64];
		size_t len = rnd() % sizeof(pay);
		rnd_word(pay, len);
		struct ips_detect_input in;
		base_input(&in, pay, len);
		enum { NH = sizeof(rnd_hosts) / sizeof(rnd_hosts[0]) };
		memcpy(in.src, rnd_hosts[rnd() % NH], 4);
		memcpy(in.dst, rnd_hosts[rnd() % NH], 4);
		uint32_t got[M__COUNT][NRULES + 1];
		size_t n[M__COUNT];
		for (int m = 0; m < M__COUNT; m++) {
			struct ips_match mm[NRULES + 1];
			assert_int_equal(ips_detect_run(v[m].e, v[m].t, &in, mm, NRULES + 1, &n[m]),
			                 0);
			for (size_t k = 0; k < n[m]; k++)
				got[m][k] = mm[k].rule->sid;
		}
		assert_int_equal(n[M_HS], n[M_NONE]);
		assert_int_equal(n[M_AC], n[M_NONE]);
		assert_memory_equal(got[M_HS], got[M_NONE], n[M_NONE] * sizeof(uint32_t));
		assert_memory_equal(got[M_AC], got[M_NONE], n[M_NONE] * sizeof(uint32_t));
		total += n[M_NONE];
	}
	print_message("equivalence: %zu rules, %d payloads, %zu matches in each mode\n", rs->n,
	              NPAY, total);
	assert_true(total > 0);
	for (int m = 0; m < M__COUNT; m++) {
		ips_detect_thread_free(v[m].t);
		ips_detect_free(v[m].e);
	}
	ips_ruleset_free(rs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_keywords),
	        cmocka_unit_test(test_buffers),
	        cmocka_unit_test(test_app_protocols),
	        cmocka_unit_test(test_header),
	        cmocka_unit_test(test_flowbits),
	        cmocka_unit_test(test_threshold),
	        cmocka_unit_test(test_threshold_cap),
	        cmocka_unit_test(test_actions),
	        cmocka_unit_test(test_mpm),
	        cmocka_unit_test(test_mpm_nul),
	        cmocka_unit_test(test_mpm_split),
	        cmocka_unit_test(test_mpm_random),
	        cmocka_unit_test(test_mpm_hs_alignment),
	        cmocka_unit_test(test_equivalence),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
