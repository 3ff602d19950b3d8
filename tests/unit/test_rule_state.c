/* SPDX-License-Identifier: ISC */
/*
 * The keywords of rule_kw_state.c and what they match: xbits (parsing,
 * host and host-pair bits through the engine with expiry, toggle, unset,
 * noalert, the table's cap), tag and bypass (accepted, no option that can
 * fail), tls.version against a hand-built ClientHello, ftpbounce on PORT
 * commands of an FTP flow, and the asn1 BER checks on Suricata's own test
 * vectors (rust/src/asn1) plus malformed encodings.
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

#include "ips/app.h"
#include "ips/asn1.h"
#include "ips/detect.h"
#include "ips/xbits.h"
#include "lib/err.h"

struct env {
	struct ips_ruleset *rs;
	struct ips_detect_engine *e;
	struct ips_detect_thread *t;
	struct ips_xbits *xb;
};

static int parse(const char *text, struct ips_rule **r)
{
	char why[160], key[64];
	return ips_rule_parse(text, NULL, r, why, sizeof(why), key, sizeof(key));
}

static bool parses(const char *opts)
{
	char text[512];
	struct ips_rule *r = NULL;
	snprintf(text, sizeof(text), "alert tcp any any -> any any (%s sid:1;)", opts);
	int e = parse(text, &r);
	ips_rule_free(r);
	return e == 0;
}

static void env_init(struct env *v, const char *const *rules, size_t n)
{
	struct ips_detect_conf c = {0};
	struct ips_detect_stats st;
	memset(v, 0, sizeof(*v));
	v->rs = calloc(1, sizeof(*v->rs));
	assert_non_null(v->rs);
	v->rs->rules = calloc(n, sizeof(*v->rs->rules));
	assert_non_null(v->rs->rules);
	v->rs->cap = n;
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(parse(rules[i], &v->rs->rules[i]), 0);
		v->rs->n++;
	}
	assert_int_equal(ips_detect_build(v->rs, &c, &v->e, &st), 0);
	assert_int_equal(ips_detect_thread_new(v->e, &v->t), 0);
	assert_non_null(v->xb = ips_xbits_new(0));
	ips_detect_thread_set_xbits(v->t, v->xb);
}

static void env_done(struct env *v)
{
	ips_detect_thread_free(v->t);
	ips_detect_free(v->e);
	ips_ruleset_free(v->rs);
	ips_xbits_free(v->xb);
}

/* TCP a:1234 -> b:80 (last address bytes), payload p, at second sec. */
static void input(struct ips_detect_input *in, uint8_t a, uint8_t b, const char *p, uint64_t sec)
{
	memset(in, 0, sizeof(*in));
	in->ip_version = 4;
	memcpy(in->src, (const uint8_t[]){10, 0, 0, a}, 4);
	memcpy(in->dst, (const uint8_t[]){10, 0, 0, b}, 4);
	in->proto = 6;
	in->sp = 1234;
	in->dp = 80;
	in->has_tcp = true;
	in->tcp_flags = 0x18;
	in->payload = (const uint8_t *)p;
	in->payload_len = in->dsize = strlen(p);
	in->has_flow = true;
	in->established = true;
	in->to_server = true;
	in->ts_usec = sec * 1000000u;
}

static uint64_t run_sids(struct env *v, const struct ips_detect_input *in)
{
	struct ips_match m[16];
	size_t n;
	uint64_t bits = 0;
	assert_int_equal(ips_detect_run(v->e, v->t, in, m, 16, &n), 0);
	for (size_t i = 0; i < n && i < 16; i++)
		bits |= 1ull << m[i].rule->sid;
	return bits;
}

/* ---- xbits ---- */

static void test_xbits_parse(void **state)
{
	(void)state;
	assert_true(parses("xbits:set,abc,track ip_pair;"));
	assert_true(parses("xbits:set,abc,track ip_pair, expire 3600;"));
	assert_true(parses("xbits:isset,abc, track ip_dst;"));
	assert_true(parses("xbits:toggle,abc,track ip_src,expire 5;"));
	assert_true(parses("xbits:noalert;"));
	/* Suricata 7's refusals (XBitsTestParse01), and track tx (Suricata 8). */
	assert_false(parses("xbits:alert;"));
	assert_false(parses("xbits:set,abc,track nonsense, expire 3600;"));
	assert_false(parses("xbits:set,abc,track ip_source, expire 3600;"));
	assert_false(parses("xbits:set,abc,track ip_src, expire -1;"));
	assert_false(parses("xbits:set,abc,track ip_src, expire 0;"));
	assert_false(parses("xbits:set,abc;"));
	assert_false(parses("xbits:set,abc,track tx;"));
	assert_false(parses("xbits:set,abc,track ip_src,track ip_dst;"));
	assert_false(parses("xbits:set,abc,expire 10,track ip_src;"));
}

static void test_xbits_match(void **state)
{
	(void)state;
	static const char *const rules[] = {
	        "alert tcp any any -> any any (content:\"login\"; "
	        "xbits:set,auth,track ip_pair,expire 10; xbits:noalert; sid:1;)",
	        "alert tcp any any -> any any (content:\"cmd\"; "
	        "xbits:isset,auth,track ip_pair; sid:2;)",
	        "alert tcp any any -> any any (content:\"cmd\"; "
	        "xbits:isnotset,auth,track ip_pair; sid:3;)",
	        "alert tcp any any -> any any (content:\"bad\"; "
	        "xbits:set,badsrc,track ip_src; sid:4;)",
	        "alert tcp any any -> any any (content:\"any\"; "
	        "xbits:isset,badsrc,track ip_dst; sid:5;)",
	        "alert tcp any any -> any any (content:\"logout\"; "
	        "xbits:unset,auth,track ip_pair; sid:6;)",
	        "alert tcp any any -> any any (content:\"flip\"; "
	        "xbits:toggle,auth,track ip_pair; sid:7;)",
	};
	struct env v;
	struct ips_detect_input in;
	struct ips_xbits_stats st;
	env_init(&v, rules, sizeof(rules) / sizeof(rules[0]));
	input(&in, 1, 2, "cmd", 100);
	assert_int_equal(run_sids(&v, &in), 1u << 3);
	input(&in, 1, 2, "login", 100);
	assert_int_equal(run_sids(&v, &in), 0); /* noalert */
	/* The pair is the same in both directions; another pair is not. */
	input(&in, 2, 1, "cmd", 105);
	assert_int_equal(run_sids(&v, &in), 1u << 2);
	input(&in, 1, 3, "cmd", 105);
	assert_int_equal(run_sids(&v, &in), 1u << 3);
	/* Expired 10 s after the setting packet (still set at exactly 10 s). */
	input(&in, 1, 2, "cmd", 110);
	assert_int_equal(run_sids(&v, &in), 1u << 2);
	input(&in, 1, 2, "cmd", 111);
	assert_int_equal(run_sids(&v, &in), 1u << 3);
	/* Host bits: set on the source, read as the destination of another packet. */
	input(&in, 7, 2, "bad", 200);
	assert_int_equal(run_sids(&v, &in), 1u << 4);
	input(&in, 3, 7, "any", 201);
	assert_int_equal(run_sids(&v, &in), 1u << 5);
	input(&in, 7, 3, "any", 201);
	assert_int_equal(run_sids(&v, &in), 0);
	/* Default expiry: 30 s. */
	input(&in, 3, 7, "any", 231);
	assert_int_equal(run_sids(&v, &in), 0);
	/* toggle sets, toggle clears; unset clears. */
	input(&in, 1, 2, "flip", 300);
	assert_int_equal(run_sids(&v, &in), 1u << 7);
	input(&in, 1, 2, "cmd", 300);
	assert_int_equal(run_sids(&v, &in), 1u << 2);
	input(&in, 1, 2, "flip", 301);
	run_sids(&v, &in);
	input(&in, 1, 2, "cmd", 301);
	assert_int_equal(run_sids(&v, &in), 1u << 3);
	input(&in, 1, 2, "login", 302);
	run_sids(&v, &in);
	input(&in, 2, 1, "logout", 303);
	assert_int_equal(run_sids(&v, &in), 1u << 6);
	input(&in, 1, 2, "cmd", 303);
	assert_int_equal(run_sids(&v, &in), 1u << 3);
	ips_xbits_stats(v.xb, &st);
	assert_int_equal(st.refused, 0);
	/* Without a table: isset never holds, isnotset does. */
	ips_detect_thread_set_xbits(v.t, NULL);
	input(&in, 1, 2, "login", 400);
	run_sids(&v, &in);
	input(&in, 1, 2, "cmd", 400);
	assert_int_equal(run_sids(&v, &in), 1u << 3);
	env_done(&v);
}

#define S(sec) ((uint64_t)(sec)*1000000u)

static void test_xbits_table(void **state)
{
	(void)state;
	struct ips_xbits *x = ips_xbits_new(4);
	struct ips_xbits_key k[6];
	struct ips_xbits_stats st;
	uint8_t a[16] = {192, 0, 2, 1}, b[16] = {192, 0, 2, 2};
	assert_non_null(x);
	for (int i = 0; i < 6; i++) {
		a[3] = (uint8_t)(10 + i);
		ips_xbits_key_host(&k[i], 4, a);
	}
	/* Four fit; the fifth is refused while all four are alive. */
	for (int i = 0; i < 4; i++)
		ips_xbits_set(x, &k[i], 1, S(100), 0);
	ips_xbits_set(x, &k[4], 1, S(100), S(50));
	ips_xbits_stats(x, &st);
	assert_int_equal(st.bits, 4);
	assert_int_equal(st.refused, 1);
	assert_false(ips_xbits_isset(x, &k[4], 1, S(50)));
	/* A sweep runs at most once a second: a full table is not walked per set. */
	ips_xbits_set(x, &k[4], 1, S(100), S(50) + 10);
	ips_xbits_stats(x, &st);
	assert_int_equal(st.refused, 2);
	/* Once they expired, a set sweeps them out and fits. */
	ips_xbits_set(x, &k[5], 1, S(300), S(200));
	assert_true(ips_xbits_isset(x, &k[5], 1, S(200)));
	assert_false(ips_xbits_isset(x, &k[0], 1, S(200)));
	ips_xbits_stats(x, &st);
	assert_int_equal(st.bits, 1);
	/* Pair keys ignore the order; ids are separate bits. */
	struct ips_xbits_key p1, p2;
	ips_xbits_key_pair(&p1, 4, a, b);
	ips_xbits_key_pair(&p2, 4, b, a);
	ips_xbits_set(x, &p1, 7, S(500), S(200));
	assert_true(ips_xbits_isset(x, &p2, 7, S(200)));
	assert_false(ips_xbits_isset(x, &p2, 8, S(200)));
	/* A set on a present bit keeps its expiry (Suricata's IPPairBitSet). */
	ips_xbits_set(x, &p2, 7, S(900), S(300));
	assert_false(ips_xbits_isset(x, &p1, 7, S(600)));
	ips_xbits_free(x);
	ips_xbits_free(NULL);
}

#undef S

/* ---- tag, bypass ---- */

static void test_tag_bypass(void **state)
{
	(void)state;
	struct ips_rule *r = NULL;
	assert_true(parses("tag:session,5,packets;"));
	assert_true(parses("tag:session,300,seconds;"));
	assert_true(parses("tag:host,100,bytes,src;"));
	assert_true(parses("tag:host,10,packets,dst;"));
	assert_false(parses("tag:flow,5,packets;"));
	assert_false(parses("tag:session,5,minutes;"));
	assert_false(parses("tag:session,x,packets;"));
	assert_false(parses("tag:host,5,packets,both;"));
	assert_false(parses("tag:SUPERAntiSpyware.exe;"));
	assert_true(parses("bypass; content:\"x\";"));
	assert_false(parses("bypass:1;"));
	assert_int_equal(parse("alert tcp any any -> any any (bypass; sid:1;)", &r), 0);
	assert_true(r->bypass);
	ips_rule_free(r);

	/* A tag never keeps a rule from alerting. */
	static const char *const rules[] = {
	        "alert tcp any any -> any any (content:\"x\"; tag:session,5,packets; sid:1;)",
	};
	struct env v;
	struct ips_detect_input in;
	env_init(&v, rules, 1);
	input(&in, 1, 2, "x", 1);
	assert_int_equal(run_sids(&v, &in), 1u << 1);
	env_done(&v);
}

/* ---- tls.version, ftpbounce (through app flows) ---- */

static struct app_ctx *actx;

static int setup(void **state)
{
	(void)state;
	return app_ctx_new(&actx, NULL);
}

static int teardown(void **state)
{
	(void)state;
	app_ctx_free(actx);
	return 0;
}

/* A ClientHello record with legacy version 0x0303, optionally offering sv (GREASE first). */
static size_t client_hello(uint8_t *out, uint16_t rec_ver, uint16_t sv)
{
	size_t n = 0, hs, ext = sv ? 2 + 2 + 2 + 1 + 4 : 0;
	size_t body = 2 + 32 + 1 + 2 + 2 + 1 + 1 + ext;
	out[n++] = 22;
	out[n++] = (uint8_t)(rec_ver >> 8);
	out[n++] = (uint8_t)rec_ver;
	out[n++] = (uint8_t)((4 + body) >> 8);
	out[n++] = (uint8_t)(4 + body);
	out[n++] = 1; /* client_hello */
	out[n++] = 0;
	out[n++] = (uint8_t)(body >> 8);
	out[n++] = (uint8_t)body;
	hs = n;
	out[n++] = 3;
	out[n++] = 3;
	memset(out + n, 0x11, 32);
	n += 32;
	out[n++] = 0;                     /* session id */
	out[n++] = 0, out[n++] = 2;       /* cipher suites */
	out[n++] = 0x13, out[n++] = 0x01; /* TLS_AES_128_GCM_SHA256 */
	out[n++] = 1, out[n++] = 0;       /* null compression */
	if (sv) {
		out[n++] = 0, out[n++] = (uint8_t)(ext - 2);
		out[n++] = 0, out[n++] = 43; /* supported_versions */
		out[n++] = 0, out[n++] = 5;
		out[n++] = 4;
		out[n++] = 0x7a, out[n++] = 0x7a; /* GREASE */
		out[n++] = (uint8_t)(sv >> 8), out[n++] = (uint8_t)sv;
	}
	assert_int_equal(n - hs, body);
	return n;
}

static uint64_t app_sids(struct env *v, const struct app_tx *tx, bool to_server, enum ips_proto p)
{
	struct ips_detect_input in;
	input(&in, 1, 2, "", 1);
	in.to_server = to_server;
	if (!to_server) {
		memcpy(in.src, (const uint8_t[]){10, 0, 0, 2}, 4);
		memcpy(in.dst, (const uint8_t[]){10, 0, 0, 1}, 4);
	}
	in.app = p;
	in.app_tx = tx;
	return run_sids(v, &in);
}

static void test_tls_version(void **state)
{
	(void)state;
	static const char *const rules[] = {
	        "alert tls any any -> any any (tls.version:1.2; sid:1;)",
	        "alert tls any any -> any any (tls.version:1.3; sid:2;)",
	        "alert tls any any -> any any (tls.version:\"1.0\"; sid:3;)",
	        "alert tls any any -> any any (tls.version:0x0303; sid:4;)",
	};
	uint8_t rec[128];
	struct app_flow *f;
	struct env v;
	assert_false(parses("tls.version:2.0;"));
	assert_false(parses("tls.version:0x30;"));
	assert_false(parses("tls.version:1.2; dns.query;")); /* tls app, then dns */
	env_init(&v, rules, sizeof(rules) / sizeof(rules[0]));
	/* Offered 1.3 in supported_versions: the client's version is 1.3. */
	assert_int_equal(app_flow_new(&f, actx, APP_L4_TCP), 0);
	size_t n = client_hello(rec, 0x0301, 0x0304);
	assert_int_equal(app_flow_feed(f, APP_DIR_TO_SERVER, rec, n), 0);
	assert_int_equal(app_flow_proto(f), APP_PROTO_TLS);
	assert_int_equal(app_sids(&v, app_flow_tx_first(f), true, IPS_PROTO_TLS), 1u << 2);
	/* Nothing from the server yet. */
	assert_int_equal(app_sids(&v, app_flow_tx_first(f), false, IPS_PROTO_TLS), 0);
	app_flow_free(f);
	/* Without the extension: the hello's own 0x0303. */
	assert_int_equal(app_flow_new(&f, actx, APP_L4_TCP), 0);
	n = client_hello(rec, 0x0301, 0);
	assert_int_equal(app_flow_feed(f, APP_DIR_TO_SERVER, rec, n), 0);
	assert_int_equal(app_sids(&v, app_flow_tx_first(f), true, IPS_PROTO_TLS),
	                 (1u << 1) | (1u << 4));
	app_flow_free(f);
	env_done(&v);
}

static void test_ftpbounce(void **state)
{
	(void)state;
	static const char *const rules[] = {
	        "alert ftp any any -> any any (ftpbounce; sid:1;)",
	};
	static const struct {
		const char *cmd;
		bool bounce;
	} cases[] = {
	        {"PORT 10,0,0,1,4,1\r\n", false},      /* the client's own address */
	        {"PORT 10,0,0,9,4,1\r\n", true},       /* a third host */
	        {"PORT 192,168,1,1,0,21\r\n", true},   /* the classic bounce */
	        {"PORT 10 ,0 ,0 ,9,4,1\r\n", true},    /* blanks before commas */
	        {"PORT 1,2\r\n", false},               /* too short */
	        {"PORT 1000,0,0,9,4,1\r\n", false},    /* not an address */
	        {"EPRT |1|10.0.0.9|1025|\r\n", false}, /* Suricata checks PORT only */
	        {"USER 10,0,0,9,4,1\r\n", false},
	};
	struct env v;
	assert_false(parses("ftpbounce:1;"));
	assert_false(parses("ftpbounce; http.uri;"));
	env_init(&v, rules, 1);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct app_flow *f;
		const struct app_tx *tx, *last = NULL;
		assert_int_equal(app_flow_new(&f, actx, APP_L4_TCP), 0);
		assert_int_equal(
		        app_flow_feed(f, APP_DIR_TO_CLIENT, (const uint8_t *)"220 ready\r\n", 11),
		        0);
		assert_int_equal(app_flow_feed(f, APP_DIR_TO_SERVER, (const uint8_t *)cases[i].cmd,
		                               strlen(cases[i].cmd)),
		                 0);
		for (tx = app_flow_tx_first(f); tx != NULL; tx = app_tx_next(tx))
			last = tx;
		assert_non_null(last);
		assert_int_equal(app_sids(&v, last, true, IPS_PROTO_FTP),
		                 cases[i].bounce ? 1u << 1 : 0);
		app_flow_free(f);
	}
	env_done(&v);
}

/* ---- asn1 ---- */

static struct ips_asn1 asn1_of(const char *val)
{
	char text[256];
	struct ips_rule *r = NULL;
	struct ips_asn1 a;
	snprintf(text, sizeof(text), "alert tcp any any -> any any (asn1:%s; sid:1;)", val);
	assert_int_equal(parse(text, &r), 0);
	assert_int_equal(r->nopts, 1);
	a = *(const struct ips_asn1 *)r->opts[0].data;
	ips_rule_free(r);
	return a;
}

/* Suricata's ASN1_A3 vector (X.690 A.3, a personnel record). */
static const uint8_t a3[] =
        "\x60\x81\x85\x61\x10\x1A\x04John\x1A\x01P\x1A\x05Smith\xA0\x0A\x1A\x08"
        "Director"
        "\x42\x01\x33\xA1\x0A\x43\x08"
        "19710917\xA2\x12\x61\x10\x1A\x04Mary\x1A\x01T\x1A\x05"
        "Smith\xA3\x42\x31\x1F\x61\x11\x1A\x05Ralph\x1A\x01T\x1A\x05Smith\xA0\x0A\x43\x08"
        "19571111\x31\x1F\x61\x11\x1A\x05Susan\x1A\x01"
        "B\x1A\x05Jones\xA0\x0A\x43\x08"
        "19590717";

static void test_asn1(void **state)
{
	(void)state;
	struct ips_asn1 a;
	uint8_t dbl[261];
	assert_true(parses("asn1:bitstring_overflow, absolute_offset 0;"));
	assert_true(parses("asn1:double_overflow, bitstring_overflow, relative_offset 27, "
	                   "oversize_length 2048;"));
	assert_true(parses("asn1:oversize_length 1024,relative_offset -1;"));
	assert_false(parses("asn1:oversize_length;"));
	assert_false(parses("asn1:absolute_offset -1;"));
	assert_false(parses("asn1:relative_offset 70000;"));
	assert_false(parses("asn1:bogus;"));
	assert_false(parses("asn1:;"));

	/* Suricata's test cases (rust/src/asn1/mod.rs). */
	a = asn1_of("oversize_length 132 absolute_offset 0");
	assert_true(ips_asn1_match(&a, a3, sizeof(a3) - 1, 0));
	a = asn1_of("oversize_length 133 absolute_offset 0");
	assert_false(ips_asn1_match(&a, a3, sizeof(a3) - 1, 0));
	a = asn1_of("bitstring_overflow, absolute_offset 0");
	assert_true(ips_asn1_match(&a, (const uint8_t *)"\x03\x01\xff", 3, 0));
	assert_false(ips_asn1_match(&a, (const uint8_t *)"\x03\x01\x07", 3, 0));
	memset(dbl, 0x05, sizeof(dbl));
	dbl[0] = 0x09;
	dbl[1] = 0x82;
	dbl[2] = 0x01;
	dbl[3] = 0x01;
	a = asn1_of("double_overflow, absolute_offset 0");
	assert_true(ips_asn1_match(&a, dbl, sizeof(dbl), 0));
	dbl[4] = 0x45; /* binary encoding: no decimal overflow */
	assert_false(ips_asn1_match(&a, dbl, sizeof(dbl), 0));
	/* Nested inside a constructed object; not when the outer length lies. */
	a = asn1_of("bitstring_overflow");
	assert_true(ips_asn1_match(&a, (const uint8_t *)"\x30\x03\x03\x01\xff", 5, 0));
	assert_false(ips_asn1_match(&a, (const uint8_t *)"\x30\x09\x03\x01\xff", 5, 0));
	/* Indefinite length with its end-of-contents octets. */
	assert_true(ips_asn1_match(&a, (const uint8_t *)"\x30\x80\x03\x01\xff\x00\x00", 7, 0));
	assert_false(ips_asn1_match(&a, (const uint8_t *)"\x30\x80\x03\x01\xff", 5, 0));
	/* Offsets: relative to the cursor, out of the buffer matches nothing. */
	a = asn1_of("bitstring_overflow, relative_offset 2");
	assert_true(ips_asn1_match(&a, (const uint8_t *)"ab\x03\x01\xff", 5, 0));
	assert_false(ips_asn1_match(&a, (const uint8_t *)"ab\x03\x01\xff", 5, 3));
	a = asn1_of("bitstring_overflow, relative_offset -1");
	assert_true(ips_asn1_match(&a, (const uint8_t *)"ab\x03\x01\xff", 5, 3));
	assert_false(ips_asn1_match(&a, (const uint8_t *)"ab\x03\x01\xff", 5, 0));
	a = asn1_of("oversize_length 0, absolute_offset 9");
	assert_false(ips_asn1_match(&a, (const uint8_t *)"\x04\x01x", 3, 0));
	/* Malformed: a reserved length octet, a length past the buffer. */
	a = asn1_of("oversize_length 0");
	assert_false(ips_asn1_match(&a, (const uint8_t *)"\x04\xff\x01", 3, 0));
	assert_false(ips_asn1_match(&a, (const uint8_t *)"\x04\x84\xff\xff\xff\xff", 6, 0));
	assert_true(ips_asn1_match(&a, (const uint8_t *)"\x04\x01x", 3, 0));
	/* More than max_frames (30) objects: no result at all, as Suricata. */
	uint8_t many[64];
	for (size_t i = 0; i < 31; i++)
		many[2 * i] = 0x05, many[2 * i + 1] = 0x00; /* NULL */
	a = asn1_of("oversize_length 0");
	many[0] = 0x04, many[1] = 0x00;
	assert_false(ips_asn1_match(&a, many, 62, 0));
	/* Nesting deeper than max_frames does not decode. */
	uint8_t deep[80];
	for (size_t i = 0; i < 40; i++)
		deep[2 * i] = 0x30, deep[2 * i + 1] = (uint8_t)(80 - 2 * i - 2);
	deep[78] = 0x04, deep[79] = 0x00;
	a = asn1_of("oversize_length 0");
	assert_false(ips_asn1_match(&a, deep, sizeof(deep), 0));

	/* Through the engine: asn1 in a rule's payload options. */
	static const char *const rules[] = {
	        "alert tcp any any -> any any (content:\"AB\"; "
	        "asn1:bitstring_overflow, relative_offset 0; sid:1;)",
	};
	struct env v;
	struct ips_detect_input in;
	env_init(&v, rules, 1);
	input(&in, 1, 2, "xxAB\x03\x01\xff", 1);
	assert_int_equal(run_sids(&v, &in), 1u << 1);
	input(&in, 1, 2, "xxAB\x03\x01\x01", 1);
	assert_int_equal(run_sids(&v, &in), 0);
	env_done(&v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_xbits_parse), cmocka_unit_test(test_xbits_match),
	        cmocka_unit_test(test_xbits_table), cmocka_unit_test(test_tag_bypass),
	        cmocka_unit_test(test_tls_version), cmocka_unit_test(test_ftpbounce),
	        cmocka_unit_test(test_asn1),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
