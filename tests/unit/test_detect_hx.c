/* SPDX-License-Identifier: ISC */
/*
 * The detection engine's header index (rules without a fast pattern, such
 * as the IP reputation lists of the ET open ruleset, found through address
 * and port intervals instead of a header check per rule): random rules
 * with address lists (single addresses, CIDR blocks, ranges, negations,
 * nested lists, $HOME_NET/$EXTERNAL_NET, IPv6), port lists and `<>`, over
 * random packets whose addresses and ports sit on and beside the rules'
 * boundaries. The prefilter modes (vectorscan, Aho-Corasick) must give the
 * same matches in the same order as evaluating every rule, and the match
 * set must equal a brute force written here from the rule header
 * (ips_addrset_has / ips_portset_has on the parsed sets, protocol and flow
 * direction).
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
#include "lib/log.h"

enum mode { M_HS, M_AC, M_NONE, M__COUNT };

static void quiet(enum bw_log_level level, const char *line, void *arg)
{
	(void)level;
	(void)line;
	(void)arg;
}

static uint32_t rnd_state = 0x9e3779b9u;
static uint32_t rnd(void)
{
	return xorshift32(&rnd_state);
}

/* Base addresses the rules and the packets draw from. */
static const uint8_t pool4[][4] = {
        {10, 0, 0, 1},  {10, 1, 2, 3}, {192, 168, 1, 10}, {1, 2, 3, 4},
        {1, 2, 3, 255}, {8, 8, 8, 8},  {203, 0, 113, 7},  {172, 16, 5, 9},
};
static const char *const pool6[] = {"2001:db8::1", "2001:db8::ff", "2001:db8:1::5", "fe80::1"};
static const uint16_t ports[] = {22, 53, 80, 443, 1023, 1024, 8000, 8100, 8101, 65535};

static int addr_item(char *b, size_t cap)
{
	const uint8_t *a = pool4[rnd() % (sizeof(pool4) / sizeof(pool4[0]))];
	switch (rnd() % 9) {
	case 0:
		return snprintf(b, cap, "%u.%u.%u.%u", a[0], a[1], a[2], a[3]);
	case 1:
		return snprintf(b, cap, "%u.%u.%u.0/24", a[0], a[1], a[2]);
	case 2:
		return snprintf(b, cap, "%u.%u.0.0/16", a[0], a[1]);
	case 3:
		return snprintf(b, cap, "%u.%u.%u.%u/30", a[0], a[1], a[2], a[3] & 0xfc);
	case 4:
		return snprintf(b, cap, "%u.%u.%u.%u-%u.%u.%u.%u", a[0], a[1], a[2],
		                a[3] > 5 ? a[3] - 5 : 0, a[0], a[1], a[2], a[3]);
	case 5:
		return snprintf(b, cap, "%s", rnd() % 2 ? "$HOME_NET" : "$EXTERNAL_NET");
	case 6:
		return snprintf(b, cap, "%s", pool6[rnd() % 4]);
	case 7:
		return snprintf(b, cap, "2001:db8::/%u", 32 + rnd() % 3 * 48);
	default:
		return snprintf(b, cap, "%u.%u.%u.%u", a[0], a[1], a[2], (a[3] + rnd() % 3) & 255);
	}
}

static int addr_spec(char *b, size_t cap)
{
	unsigned k = rnd() % 6;
	if (k == 0)
		return snprintf(b, cap, "any");
	if (k < 3)
		return addr_item(b, cap);
	int o = snprintf(b, cap, "[");
	unsigned n = 1 + rnd() % 4;
	for (unsigned i = 0; i < n; i++) {
		if (i)
			o += snprintf(b + o, cap - (size_t)o, ",");
		if (i > 0 && rnd() % 4 == 0)
			o += snprintf(b + o, cap - (size_t)o, "!");
		o += addr_item(b + o, cap - (size_t)o);
	}
	return o + snprintf(b + o, cap - (size_t)o, "]");
}

static int port_spec(char *b, size_t cap)
{
	switch (rnd() % 7) {
	case 0:
	case 1:
		return snprintf(b, cap, "any");
	case 2:
		return snprintf(b, cap, "%u", ports[rnd() % 10]);
	case 3:
		return snprintf(b, cap, "1024:");
	case 4:
		return snprintf(b, cap, ":1023");
	case 5:
		return snprintf(b, cap, "[80,443,8000:8100]");
	default:
		return snprintf(b, cap, "!%u", ports[rnd() % 10]);
	}
}

static void rnd_rule(char *buf, size_t cap, unsigned sid)
{
	static const char *const protos[] = {"ip", "ip", "tcp", "udp", "icmp", "dns", "http"};
	const char *proto = protos[rnd() % 7];
	bool ports_ok = strcmp(proto, "ip") != 0 && strcmp(proto, "icmp") != 0;
	int o = snprintf(buf, cap, "alert %s ", proto);
	o += addr_spec(buf + o, cap - (size_t)o);
	o += snprintf(buf + o, cap - (size_t)o, " ");
	o += ports_ok ? port_spec(buf + o, cap - (size_t)o)
	              : snprintf(buf + o, cap - (size_t)o, "any");
	o += snprintf(buf + o, cap - (size_t)o, rnd() % 8 == 0 ? " <> " : " -> ");
	o += addr_spec(buf + o, cap - (size_t)o);
	o += snprintf(buf + o, cap - (size_t)o, " ");
	o += ports_ok ? port_spec(buf + o, cap - (size_t)o)
	              : snprintf(buf + o, cap - (size_t)o, "any");
	o += snprintf(buf + o, cap - (size_t)o, " (msg:\"hx\"; ");
	unsigned f = rnd() % 6;
	if (f == 0)
		o += snprintf(buf + o, cap - (size_t)o, "flow:to_server; ");
	else if (f == 1)
		o += snprintf(buf + o, cap - (size_t)o, "flow:to_client; ");
	if (rnd() % 10 == 0) /* a few content rules beside them */
		o += snprintf(buf + o, cap - (size_t)o, "content:\"ab\"; ");
	snprintf(buf + o, cap - (size_t)o, "sid:%u;)", sid);
}

static void rnd_addr(struct ips_detect_input *in, uint8_t *a)
{
	if (in->ip_version == 6) {
		/* 2001:db8::0..ff, 2001:db8:1::5, fe80::1 */
		static const uint8_t base[][16] = {
		        {0x20, 0x01, 0x0d, 0xb8},
		        {0x20, 0x01, 0x0d, 0xb8, 0, 1, [15] = 5},
		        {0xfe, 0x80, [15] = 1},
		};
		memcpy(a, base[rnd() % 3], 16);
		if (a[0] == 0x20 && a[5] == 0)
			a[15] = (uint8_t)(rnd() % 3 == 0 ? 0xff : rnd() % 3);
		return;
	}
	const uint8_t *p = pool4[rnd() % (sizeof(pool4) / sizeof(pool4[0]))];
	memcpy(a, p, 4);
	int d = (int)(rnd() % 9) - 4; /* on and beside boundaries */
	a[3] = (uint8_t)(a[3] + d);
	if (rnd() % 8 == 0)
		a[2] = (uint8_t)(a[2] + 1);
}

/* The header match written from the rule's parsed sets (no app protocols). */
static bool brute(const struct ips_rule *r, const struct ips_detect_input *in)
{
	size_t alen = in->ip_version == 6 ? 16 : 4;
	bool has_ports = in->proto == 6 || in->proto == 17;
	if (in->ip_version != 4 && in->ip_version != 6)
		return false;
	if ((r->proto == IPS_PROTO_TCP && in->proto != 6) ||
	    (r->proto == IPS_PROTO_UDP && in->proto != 17) ||
	    (r->proto == IPS_PROTO_ICMP && in->proto != 1 && in->proto != 58))
		return false;
	if (r->flow && (r->flow->flags & IPS_FLOW_TO_SERVER) && !(in->has_flow && in->to_server))
		return false;
	if (r->flow && (r->flow->flags & IPS_FLOW_TO_CLIENT) && !(in->has_flow && !in->to_server))
		return false;
	for (int swap = 0; swap < (r->bidir ? 2 : 1); swap++) {
		const uint8_t *s = swap ? in->dst : in->src, *d = swap ? in->src : in->dst;
		uint16_t sp = swap ? in->dp : in->sp, dp = swap ? in->sp : in->dp;
		if ((r->sp.any || (has_ports && ips_portset_has(&r->sp, sp))) &&
		    (r->dp.any || (has_ports && ips_portset_has(&r->dp, dp))) &&
		    ips_addrset_has(&r->src, s, alen) && ips_addrset_has(&r->dst, d, alen))
			return true;
	}
	return false;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

static void test_header_index(void **state)
{
	(void)state;
	enum { NRULES = 400, NPKT = 4000 };
	struct ips_ruleset *rs = calloc(1, sizeof(*rs));
	struct ips_detect_engine *e[M__COUNT];
	struct ips_detect_thread *t[M__COUNT];
	char text[1024], why[160], key[64];
	assert_non_null(rs);
	rs->cap = NRULES;
	rs->rules = calloc(NRULES, sizeof(*rs->rules));
	assert_non_null(rs->rules);
	bw_log_set_sink(quiet, NULL);
	for (unsigned i = 0; rs->n < NRULES && i < 4 * NRULES; i++) {
		struct ips_rule *r;
		rnd_rule(text, sizeof(text), 1 + (unsigned)rs->n);
		if (ips_rule_parse(text, NULL, &r, why, sizeof(why), key, sizeof(key)) == 0)
			rs->rules[rs->n++] = r; /* refusals ("!any" lists) are expected */
	}
	bw_log_set_sink(NULL, NULL);
	assert_true(rs->n >= NRULES / 2);
	for (int m = 0; m < M__COUNT; m++) {
		struct ips_detect_conf c = {.force_ac = m == M_AC, .no_prefilter = m == M_NONE};
		assert_int_equal(ips_detect_build(rs, &c, &e[m], NULL), 0);
		assert_int_equal(ips_detect_thread_new(e[m], &t[m]), 0);
	}
	static const uint8_t protos[] = {6, 6, 17, 17, 1, 58, 47};
	static const uint8_t pay[] = "xxabyy";
	size_t total = 0, brute_total = 0;
	for (unsigned p = 0; p < NPKT; p++) {
		struct ips_detect_input in = {0};
		in.ip_version = rnd() % 20 == 0 ? 0 : rnd() % 4 == 0 ? 6 : 4;
		in.proto = protos[rnd() % sizeof(protos)];
		if (in.ip_version == 4 && in.proto == 58)
			in.proto = 1;
		if (in.ip_version == 6 && in.proto == 1)
			in.proto = 58;
		rnd_addr(&in, in.src);
		rnd_addr(&in, in.dst);
		in.ttl = 64;
		if (in.proto == 6 || in.proto == 17) {
			in.sp = rnd() % 3 ? ports[rnd() % 10] : (uint16_t)rnd();
			in.dp = ports[rnd() % 10];
		}
		in.has_tcp = in.proto == 6;
		in.tcp_flags = 0x18;
		in.has_icmp = in.proto == 1 || in.proto == 58;
		in.has_flow = rnd() % 4 != 0;
		in.to_server = rnd() % 2;
		in.established = true;
		unsigned app = rnd() % 3;
		in.app = app == 0 ? IPS_PROTO_IP : app == 1 ? IPS_PROTO_DNS : IPS_PROTO_HTTP;
		if (rnd() % 2) {
			in.payload = pay;
			in.payload_len = in.dsize = sizeof(pay) - 1;
		}
		uint32_t got[M__COUNT][NRULES];
		size_t n[M__COUNT];
		for (int m = 0; m < M__COUNT; m++) {
			struct ips_match mm[NRULES];
			assert_int_equal(ips_detect_run(e[m], t[m], &in, mm, NRULES, &n[m]), 0);
			assert_true(n[m] <= NRULES);
			for (size_t k = 0; k < n[m]; k++)
				got[m][k] = mm[k].rule->sid;
		}
		assert_int_equal(n[M_HS], n[M_NONE]);
		assert_int_equal(n[M_AC], n[M_NONE]);
		assert_memory_equal(got[M_HS], got[M_NONE], n[M_NONE] * sizeof(uint32_t));
		assert_memory_equal(got[M_AC], got[M_NONE], n[M_NONE] * sizeof(uint32_t));
		total += n[M_NONE];
		/* Brute force over the rules without app protocol or content. */
		uint32_t want[NRULES], have[NRULES];
		size_t nw = 0, nh = 0;
		for (size_t i = 0; i < rs->n; i++) {
			const struct ips_rule *r = rs->rules[i];
			if (r->app != IPS_PROTO_IP || r->nopts > 1 ||
			    (r->nopts == 1 && r->opts[0].kw != IPS_KW_FLOW))
				continue;
			if (brute(r, &in))
				want[nw++] = r->sid;
		}
		for (size_t k = 0; k < n[M_HS]; k++) {
			const struct ips_rule *r = rs->rules[got[M_HS][k] - 1];
			if (r->app == IPS_PROTO_IP &&
			    (r->nopts == 0 || (r->nopts == 1 && r->opts[0].kw == IPS_KW_FLOW)))
				have[nh++] = got[M_HS][k];
		}
		qsort(have, nh, sizeof(uint32_t), cmp_u32);
		if (nh != nw || memcmp(have, want, nw * sizeof(uint32_t)) != 0)
			fail_msg("packet %u: engine %zu header matches, brute force %zu", p, nh,
			         nw);
		brute_total += nw;
	}
	print_message("header index: %zu rules, %d packets, %zu matches in each mode, %zu by brute "
	              "force on the header-only rules\n",
	              rs->n, NPKT, total, brute_total);
	assert_true(brute_total > NPKT / 4);
	for (int m = 0; m < M__COUNT; m++) {
		ips_detect_thread_free(t[m]);
		ips_detect_free(e[m]);
	}
	ips_ruleset_free(rs);
}

/* A small ruleset built twice: with the prefilter (0) and evaluating every rule (1). */
struct pair {
	struct ips_ruleset *rs;
	struct ips_detect_engine *e[2];
	struct ips_detect_thread *t[2];
};

static void pair_build(struct pair *p, const char *const *rules, size_t nr)
{
	char why[160], key[64];

	assert_non_null(p->rs = calloc(1, sizeof(*p->rs)));
	assert_non_null(p->rs->rules = calloc(nr, sizeof(*p->rs->rules)));
	p->rs->cap = nr;
	for (size_t i = 0; i < nr; i++)
		assert_int_equal(ips_rule_parse(rules[i], NULL, &p->rs->rules[p->rs->n++], why,
		                                sizeof(why), key, sizeof(key)),
		                 0);
	for (int m = 0; m < 2; m++) {
		struct ips_detect_conf c = {.no_prefilter = m == 1};
		assert_int_equal(ips_detect_build(p->rs, &c, &p->e[m], NULL), 0);
		assert_int_equal(ips_detect_thread_new(p->e[m], &p->t[m]), 0);
	}
}

/* Runs in on both engines: the same matches in the same order; returns their number. */
static size_t pair_run(struct pair *p, const struct ips_detect_input *in, const char *what,
                       unsigned v)
{
	enum { MAXM = 16 };
	struct ips_match mm[2][MAXM];
	size_t n[2];
	for (int m = 0; m < 2; m++)
		assert_int_equal(ips_detect_run(p->e[m], p->t[m], in, mm[m], MAXM, &n[m]), 0);
	if (n[0] != n[1])
		fail_msg("%s %u: %zu matches, %zu without prefilter", what, v, n[0], n[1]);
	assert_true(n[0] <= MAXM);
	for (size_t k = 0; k < n[0]; k++)
		assert_int_equal(mm[0][k].rule->sid, mm[1][k].rule->sid);
	return n[0];
}

static void pair_free(struct pair *p)
{
	for (int m = 0; m < 2; m++) {
		ips_detect_thread_free(p->t[m]);
		ips_detect_free(p->e[m]);
	}
	ips_ruleset_free(p->rs);
}

/*
 * The survivors cached per header (DET_HXC entries by hash): inputs that
 * differ in one header field only, with more values than entries so that
 * some share an entry, in an order mixing values that match and values
 * that do not, must each get their own header matches (checked by
 * mutation: the test fails without the comparison of a port or address).
 * Two-valued fields (app, direction, protocol) alternate in pairs, both
 * orders, over many ports; the hash never puts two headers differing in
 * one of them alone in one entry, so their comparisons are not exercised.
 */
static void test_header_cache(void **state)
{
	static const char *const rules[] = {
	        "alert tcp any any -> any [100:199] (sid:1;)",
	        "alert tcp any [100:149] -> any any (sid:2;)",
	        "alert tcp 10.0.0.0/25 any -> any any (sid:3;)",
	        "alert tcp any any -> 10.0.1.128/25 any (sid:4;)",
	        "alert http 10.0.0.0/8 any -> any any (sid:5;)",
	        "alert tcp 10.0.0.0/8 any -> any any (flow:to_server; sid:6;)",
	        "alert udp 10.0.0.0/8 any -> any any (sid:7;)",
	        "alert ip [10.0.0.0/8,2001:db8::/32] any -> any any (sid:9;)",
	        "alert tcp any any -> any 7 (sid:8;)",
	};
	/* The field each pass varies. */
	static const char *const fields[] = {"dp", "sp", "src", "dst", "app", "dir", "proto"};
	enum { NV = 300, NP = 1000 };
	struct pair p;

	(void)state;
	pair_build(&p, rules, sizeof(rules) / sizeof(rules[0]));
	size_t total = 0;
	size_t runs = 0;
	for (int field = 0; field < 7; field++) {
		for (unsigned i = 0; i < (field < 4 ? NV : NP); i++) {
			/* A permutation of 0..NV-1 (77 is prime to 300), or pairs in both orders.
			 */
			unsigned v = field < 4 ? (i * 77 + 13) % NV : i ^ ((i >> 1) & 1);
			struct ips_detect_input in = {.ip_version = 4,
			                              .proto = 6,
			                              .sp = 40000,
			                              .dp = 80,
			                              .has_tcp = true,
			                              .has_flow = true,
			                              .to_server = true,
			                              .established = true,
			                              .app = IPS_PROTO_IP};
			memcpy(in.src, (const uint8_t[]){10, 0, 0, 5}, 4);
			memcpy(in.dst, (const uint8_t[]){10, 0, 1, 200}, 4);
			switch (field) {
			case 0:
				in.dp = (uint16_t)v;
				break;
			case 1:
				in.sp = (uint16_t)v;
				break;
			case 2:
				in.src[3] = (uint8_t)v;
				in.src[2] = (uint8_t)(v >> 8);
				break;
			case 3:
				in.dst[3] = (uint8_t)v;
				in.dst[2] = (uint8_t)(1 + (v >> 8));
				break;
			case 4:
				in.app = v % 2 ? IPS_PROTO_HTTP : IPS_PROTO_IP;
				in.dp = (uint16_t)(v / 2);
				break;
			case 5:
				in.to_server = v % 2;
				in.dp = (uint16_t)(v / 2);
				break;
			default:
				in.proto = v % 2 ? 17 : 6;
				in.has_tcp = in.proto == 6;
				in.dp = (uint16_t)(v / 2);
				break;
			}
			/* Twice each: the second run takes what the first cached. */
			for (int again = 0; again < 2; again++, runs++)
				total += pair_run(&p, &in, fields[field], v);
		}
	}
	print_message("header cache: %zu matches over %zu runs\n", total, runs);
	assert_true(total > NV);
	pair_free(&p);
}

/*
 * Address zones (det_zone_of, which keeps the latest address pair) with an
 * IPv6 home set whose addresses differ from others in their last bytes, or
 * in their prefix only: a thousand sources in and out of the set, each
 * twice under each prefix, in a mixed order, must each find the rules of
 * their zone, as evaluation without prefilter does. Fails when the cache
 * compares either half of the source address only (mutation).
 */
static void test_zone_cache(void **state)
{
	static const char *const rules[] = {
	        "alert tcp 2001:db8::/120 any -> any any (content:\"abc\"; sid:1;)",
	        "alert tcp 2001:db8::/120 any -> any any (content:\"xab\"; sid:2;)",
	        "alert tcp !2001:db8::/120 any -> any any (content:\"bcy\"; sid:3;)",
	        "alert tcp any any -> 2001:db8::/120 any (content:\"abc\"; sid:4;)",
	        "alert tcp 2001:db8::/120 any -> any any (sid:5;)",
	};
	enum { NA = 1000 };
	static const uint8_t pay[] = "xxabcyy";
	struct pair p;

	(void)state;
	pair_build(&p, rules, sizeof(rules) / sizeof(rules[0]));
	size_t total = 0;
	for (unsigned i = 0; i < 4 * NA; i++) {
		/* Each address twice under each prefix, the addresses in a mixed order. */
		unsigned a = (i / 4 * 77 + 13) % NA;
		struct ips_detect_input in = {.ip_version = 6,
		                              .proto = 6,
		                              .sp = 40000,
		                              .dp = 80,
		                              .has_tcp = true,
		                              .has_flow = true,
		                              .to_server = true,
		                              .established = true,
		                              .app = IPS_PROTO_IP,
		                              .payload = pay,
		                              .payload_len = sizeof(pay) - 1,
		                              .dsize = sizeof(pay) - 1};
		static const uint8_t net[] = {0x20, 0x01, 0x0d, 0xb8};
		memcpy(in.src, net, 4);
		memcpy(in.dst, net, 4);
		in.src[14] = (uint8_t)(a >> 8); /* ::0-::ff in the set, ::100 and on not */
		in.src[15] = (uint8_t)a;
		/*
		 * The same last bytes under another prefix (out of the set),
		 * alternating which comes first, so that consecutive inputs
		 * also differ in their source's last bytes only.
		 */
		if (((i / 2) ^ (i / 4)) & 1)
			in.src[3] = 0xb9;
		in.dst[15] = 0x42;
		total += pair_run(&p, &in, "source", a);
	}
	print_message("zone cache: %zu matches over %d inputs\n", total, 4 * NA);
	assert_true(total > NA);
	pair_free(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {cmocka_unit_test(test_header_index),
	                                   cmocka_unit_test(test_header_cache),
	                                   cmocka_unit_test(test_zone_cache)};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
