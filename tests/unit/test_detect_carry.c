/* SPDX-License-Identifier: ISC */
/*
 * Prefilter progress over append-only buffers (struct ips_detect_carry):
 * random rules (contents with nocase, relative chains, pcre) over random
 * HTTP response bodies that grow by random chunks, as a body does across
 * packets. At every step the alerts with a carry equal those of a full
 * scan, with vectorscan and Aho-Corasick, and those of no prefilter; a
 * shrunk buffer or another direction restarts the carry. The same over a
 * stream window that keeps a tail and drops older bytes, also when the
 * stream run takes the patterns the packet run found in the new bytes
 * (struct ips_detect_hits) instead of scanning them. Single caseless
 * contents are also checked against a brute-force caseless search.
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

#include "ips/detect.h"
#include "lib/err.h"

enum { NRULES = 60, NBODY = 40, BODY_MAX = 3000 };

static const char alpha[] = "abAB<>.x";

static uint32_t rnd_state = 12345;

static uint32_t rnd(void)
{
	rnd_state = rnd_state * 1103515245u + 12345u;
	return rnd_state >> 8;
}

static void rnd_word(char *w, size_t n)
{
	for (size_t i = 0; i < n; i++)
		w[i] = alpha[rnd() % (sizeof(alpha) - 1)];
	w[n] = 0;
}

static void add_rule(struct ips_ruleset *rs, const char *text)
{
	struct ips_rule *r;
	char why[160], key[64];
	int e = ips_rule_parse(text, NULL, &r, why, sizeof(why), key, sizeof(key));
	if (e)
		print_message("rule refused (%s): %s\n", why, text);
	assert_int_equal(e, 0);
	if (rs->n == rs->cap) {
		rs->cap = rs->cap ? rs->cap * 2 : 16;
		rs->rules = realloc(rs->rules, rs->cap * sizeof(*rs->rules));
		assert_non_null(rs->rules);
	}
	rs->rules[rs->n++] = r;
}

/* Rule sid (1..63) of a random shape after h; words[sid] keeps a single nocase content. */
static void make_rules(struct ips_ruleset *rs, char words[][8], const char *h)
{
	char a[8], b[8], text[400];
	for (int sid = 1; sid <= NRULES; sid++) {
		rnd_word(a, 1 + rnd() % 6);
		rnd_word(b, 1 + rnd() % 3);
		words[sid][0] = 0;
		switch (sid % 5) {
		case 0:
			snprintf(text, sizeof(text), "%s content:\"%s\"; nocase; sid:%d;)", h, a,
			         sid);
			memcpy(words[sid], a, sizeof(a));
			break;
		case 1:
			snprintf(text, sizeof(text),
			         "%s content:\"%s\"; content:\"%s\"; distance:0; nocase; sid:%d;)",
			         h, a, b, sid);
			break;
		case 2:
			snprintf(
			        text, sizeof(text),
			        "%s content:\"%s\"; content:\"%s\"; distance:1; within:4; sid:%d;)",
			        h, a, b, sid);
			break;
		case 3:
			snprintf(text, sizeof(text),
			         "%s content:\"%s\"; nocase; pcre:\"/^[ab]{2}/Ri\"; sid:%d;)", h, a,
			         sid);
			break;
		default:
			snprintf(text, sizeof(text),
			         "%s content:\"%s\"; endswith; content:!\"%s\"; depth:20; sid:%d;)",
			         h, a, b, sid);
			break;
		}
		add_rule(rs, text);
	}
}

static void body_input(struct ips_detect_input *in, const struct ips_bufv *v, bool to_server)
{
	memset(in, 0, sizeof(*in));
	in->ip_version = 4;
	memcpy(in->src, (const uint8_t[]){10, 0, 0, 2}, 4);
	memcpy(in->dst, (const uint8_t[]){10, 0, 0, 1}, 4);
	in->proto = 6;
	in->ttl = 64;
	in->sp = 80;
	in->dp = 1234;
	in->has_tcp = true;
	in->tcp_flags = 0x18;
	in->has_flow = true;
	in->established = true;
	in->to_server = to_server;
	in->app = IPS_PROTO_HTTP;
	ips_detect_set_buf(in, IPS_BUF_FILE_DATA, v);
}

static uint64_t sids(const struct ips_detect_engine *e, struct ips_detect_thread *t,
                     const struct ips_detect_input *in)
{
	struct ips_match m[64];
	size_t n;
	uint64_t bits = 0;
	assert_int_equal(ips_detect_run(e, t, in, m, 64, &n), 0);
	assert_true(n <= 64);
	for (size_t i = 0; i < n; i++)
		bits |= 1ull << m[i].rule->sid;
	return bits;
}

static bool has_nocase(const uint8_t *h, size_t hn, const char *w)
{
	size_t wn = strlen(w);
	for (size_t i = 0; i + wn <= hn; i++) {
		size_t k = 0;
		while (k < wn && (h[i + k] | 0x20) == (uint8_t)(w[k] | 0x20))
			k++;
		if (k == wn)
			return true;
	}
	return false;
}

static void test_carry(void **state)
{
	(void)state;
	struct ips_ruleset *rs = calloc(1, sizeof(*rs));
	assert_non_null(rs);
	char words[NRULES + 1][8];
	make_rules(rs, words,
	           "alert http any any -> any any (flow:established,to_client; file_data;");
	struct ips_detect_engine *e[3];
	struct ips_detect_thread *t[3];
	for (int m = 0; m < 3; m++) {
		struct ips_detect_conf c = {.force_ac = m == 1, .no_prefilter = m == 2};
		assert_int_equal(ips_detect_build(rs, &c, &e[m], NULL), 0);
		assert_int_equal(ips_detect_thread_new(e[m], &t[m]), 0);
	}
	uint8_t *body = malloc(BODY_MAX);
	assert_non_null(body);
	size_t steps = 0, alerts = 0;
	for (int k = 0; k < NBODY; k++) {
		struct ips_detect_carry carry[2] = {{0}, {0}};
		size_t len = 0, target = 1 + rnd() % BODY_MAX;
		while (len < target) {
			size_t add = 1 + rnd() % 200;
			if (add > target - len)
				add = target - len;
			for (size_t i = 0; i < add; i++)
				body[len + i] = (uint8_t)alpha[rnd() % (sizeof(alpha) - 1)];
			len += add;
			if (rnd() % 16 == 0) /* the buffer shrinks: the carry must restart */
				len -= len / 2;
			struct ips_bufv v = {.p = body, .len = len};
			struct ips_detect_input in;
			body_input(&in, &v, false);
			uint64_t none = sids(e[2], t[2], &in);
			uint64_t full_hs = sids(e[0], t[0], &in);
			uint64_t full_ac = sids(e[1], t[1], &in);
			in.carry[IPS_BUF_FILE_DATA] = &carry[0];
			uint64_t c_hs = sids(e[0], t[0], &in);
			in.carry[IPS_BUF_FILE_DATA] = &carry[1];
			uint64_t c_ac = sids(e[1], t[1], &in);
			assert_true(full_hs == none);
			assert_true(full_ac == none);
			assert_true(c_hs == none);
			assert_true(c_ac == none);
			for (int sid = 1; sid <= NRULES; sid++)
				if (words[sid][0])
					assert_int_equal(!!(none >> sid & 1),
					                 has_nocase(body, len, words[sid]));
			steps++;
			for (uint64_t b = none; b; b &= b - 1)
				alerts++;
		}
		/* The other direction: no rule applies, and the carry starts over. */
		struct ips_bufv v = {.p = body, .len = len};
		struct ips_detect_input in;
		body_input(&in, &v, true);
		in.carry[IPS_BUF_FILE_DATA] = &carry[0];
		assert_true(sids(e[0], t[0], &in) == 0);
		ips_detect_carry_free(&carry[0]);
		ips_detect_carry_free(&carry[1]);
	}
	print_message("carry: %d rules, %zu steps, %zu alerts, all modes agree\n", NRULES, steps,
	              alerts);
	assert_true(alerts > 0);
	free(body);
	for (int m = 0; m < 3; m++) {
		ips_detect_thread_free(t[m]);
		ips_detect_free(e[m]);
	}
	ips_ruleset_free(rs);
}

/*
 * A stream window: the last TAIL bytes kept plus each new chunk, its first
 * byte at stream position base, as the pipeline inspects reassembled data.
 */
static void test_window(void **state)
{
	(void)state;
	enum { TAIL = 64, STREAM = 20000 };
	struct ips_ruleset *rs = calloc(1, sizeof(*rs));
	assert_non_null(rs);
	char words[NRULES + 1][8];
	make_rules(rs, words, "alert tcp any any -> any any (flow:established,to_client;");
	struct ips_detect_engine *e[3];
	struct ips_detect_thread *t[3];
	for (int m = 0; m < 3; m++) {
		struct ips_detect_conf c = {.force_ac = m == 1, .no_prefilter = m == 2};
		assert_int_equal(ips_detect_build(rs, &c, &e[m], NULL), 0);
		assert_int_equal(ips_detect_thread_new(e[m], &t[m]), 0);
	}
	uint8_t *win = malloc(TAIL + 300);
	assert_non_null(win);
	struct ips_detect_carry carry[2] = {{0}, {0}}, hcarry[2] = {{0}, {0}};
	struct ips_detect_hits hits[2] = {{0}, {0}};
	struct ips_detect_thread *tp[2];
	for (int m = 0; m < 2; m++)
		assert_int_equal(ips_detect_thread_new(e[m], &tp[m]), 0);
	size_t wlen = 0, steps = 0, alerts = 0, reused = 0;
	uint64_t pos = 0;
	while (pos < STREAM) {
		if (wlen > TAIL) {
			memmove(win, win + wlen - TAIL, TAIL);
			wlen = TAIL;
		}
		if (rnd() % 64 == 0) /* a gap: the window starts over */
			wlen = 0;
		size_t add = 1 + rnd() % 300;
		for (size_t i = 0; i < add; i++)
			win[wlen + i] = (uint8_t)alpha[rnd() % (sizeof(alpha) - 1)];
		wlen += add;
		pos += add;
		struct ips_bufv v = {.p = NULL, .len = 0};
		struct ips_detect_input in;
		body_input(&in, &v, false);
		in.app = IPS_PROTO_IP;
		in.payload = win;
		in.payload_len = wlen;
		in.is_stream = true;
		uint64_t none = sids(e[2], t[2], &in);
		assert_true(sids(e[0], t[0], &in) == none);
		assert_true(sids(e[1], t[1], &in) == none);
		for (int m = 0; m < 2; m++) {
			carry[m].base = pos - wlen;
			in.carry[IPS_BUF_PAYLOAD] = &carry[m];
			assert_true(sids(e[m], t[m], &in) == none);
		}
		/* The packet run over the new bytes records its hits; the stream run takes them. */
		for (int m = 0; m < 2; m++) {
			struct ips_detect_input pk;
			body_input(&pk, &v, false);
			pk.app = IPS_PROTO_IP;
			pk.payload = win + wlen - add;
			pk.payload_len = add;
			pk.dsize = add;
			/* Its scan may start before it: all, some or none of the seam. */
			size_t old = wlen - add;
			pk.payload_pre = steps % 3 == 0   ? 0
			                 : steps % 3 == 1 ? old
			                                  : rnd() % (old + 1);
			pk.hits_out = &hits[m];
			(void)sids(e[m], tp[m], &pk);
			assert_true(hits[m].valid && hits[m].len == add);
			in.carry[IPS_BUF_PAYLOAD] = &hcarry[m];
			hcarry[m].base = pos - wlen;
			in.hits_in = &hits[m];
			assert_true(sids(e[m], t[m], &in) == none);
			in.hits_in = NULL;
			reused++;
		}
		steps++;
		for (uint64_t b = none; b; b &= b - 1)
			alerts++;
	}
	print_message("window: %d rules, %zu steps (%zu with packet hits), %zu alerts, all modes "
	              "agree\n",
	              NRULES, steps, reused, alerts);
	assert_true(alerts > 0);
	for (int m = 0; m < 2; m++) {
		ips_detect_carry_free(&carry[m]);
		ips_detect_carry_free(&hcarry[m]);
		ips_detect_hits_free(&hits[m]);
		ips_detect_thread_free(tp[m]);
	}
	free(win);
	for (int m = 0; m < 3; m++) {
		ips_detect_thread_free(t[m]);
		ips_detect_free(e[m]);
	}
	ips_ruleset_free(rs);
}

/*
 * A body view that is a window of the body (ips_bufv.origin, Suricata's
 * stream_start_offset): an absolute depth or startswith counts from the
 * body's start, so it cannot match in a window past it, matches shifted
 * when it ends inside the window, and bsize counts the whole body.
 */
static void test_origin(void **state)
{
	(void)state;
	static const char *const rules[] = {
	        "alert http any any -> any any (file.data; content:\"MZ\"; startswith; sid:1;)",
	        "alert http any any -> any any (file.data; content:\"MZ\"; depth:2; sid:2;)",
	        "alert http any any -> any any (file.data; content:\"TAIL\"; depth:1010; sid:3;)",
	        "alert http any any -> any any (file.data; content:\"TAIL\"; depth:1005; sid:4;)",
	        "alert http any any -> any any (file.data; content:\"MZ\"; bsize:>500; sid:5;)",
	        "alert http any any -> any any (file.data; content:\"MZ\"; sid:6;)",
	};
	struct ips_ruleset *rs = calloc(1, sizeof(*rs));
	assert_non_null(rs);
	for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++)
		add_rule(rs, rules[i]);
	for (int m = 0; m < 3; m++) {
		struct ips_detect_engine *e;
		struct ips_detect_thread *t;
		struct ips_detect_conf c = {.force_ac = m == 1, .no_prefilter = m == 2};
		assert_int_equal(ips_detect_build(rs, &c, &e, NULL), 0);
		assert_int_equal(ips_detect_thread_new(e, &t), 0);
		/* "MZ" then 6 bytes then "TAIL": the whole buffer, then as a window at 1000. */
		static const uint8_t body[] = "MZxxxxxxTAIL";
		struct ips_bufv v = {.p = body, .len = 12};
		struct ips_detect_input in;
		body_input(&in, &v, false);
		assert_true(sids(e, t, &in) == (1u << 1 | 1u << 2 | 1u << 3 | 1u << 4 | 1u << 6));
		v.origin = 1000;
		body_input(&in, &v, false);
		/* TAIL ends at 1012: depth 1010 (shifted to 10) misses it, so does 1005. */
		assert_true(sids(e, t, &in) == (1u << 5 | 1u << 6));
		v.p = body + 2; /* a window at 998 that starts with "xxxxxx" */
		v.len = 10;
		v.origin = 998;
		body_input(&in, &v, false);
		/* depth 1010 reaches past the window's end (1008): TAIL (6..10) is in;
		 * 1005 - 998 = 7 does not cover it. */
		assert_true(sids(e, t, &in) == 1u << 3);
		ips_detect_thread_free(t);
		ips_detect_free(e);
	}
	ips_ruleset_free(rs);
}

/*
 * A pattern split by a packet boundary: the stream run given the packet
 * run's hits must find it whether the packet run's scan began before the
 * boundary by all of the seam, part of it or none (payload_pre).
 */
static void test_seam(void **state)
{
	(void)state;
	struct ips_ruleset *rs = calloc(1, sizeof(*rs));
	assert_non_null(rs);
	add_rule(rs, "alert tcp any any -> any any (flow:established,to_client; "
	             "content:\"needle\"; sid:1;)");
	add_rule(rs, "alert tcp any any -> any any (flow:established,to_client; "
	             "content:\"0123456789abcdefghij\"; sid:2;)");
	static const char old[] = "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxnee",
	                  add[] = "dlexxxx";
	uint8_t win[sizeof(old) + sizeof(add)];
	size_t no = sizeof(old) - 1, na = sizeof(add) - 1;
	memcpy(win, old, no);
	memcpy(win + no, add, na);
	for (int m = 0; m < 2; m++) {
		struct ips_detect_conf c = {.force_ac = m == 1};
		struct ips_detect_engine *e;
		struct ips_detect_thread *t, *tp;
		assert_int_equal(ips_detect_build(rs, &c, &e, NULL), 0);
		assert_int_equal(ips_detect_thread_new(e, &t), 0);
		assert_int_equal(ips_detect_thread_new(e, &tp), 0);
		static const size_t pres[] = {0, 1, 2, 3, 10, sizeof(old) - 1};
		for (size_t k = 0; k < sizeof(pres) / sizeof(pres[0]); k++) {
			struct ips_detect_carry carry = {0};
			struct ips_detect_hits hits = {0};
			struct ips_bufv v = {.p = NULL, .len = 0};
			struct ips_detect_input in, pk;
			/* The old bytes, scanned by an earlier stream run. */
			body_input(&in, &v, false);
			in.app = IPS_PROTO_IP;
			in.payload = win;
			in.payload_len = no;
			in.is_stream = true;
			in.carry[IPS_BUF_PAYLOAD] = &carry;
			assert_true(sids(e, t, &in) == 0);
			/* The packet: no whole needle in it. */
			body_input(&pk, &v, false);
			pk.app = IPS_PROTO_IP;
			pk.payload = win + no;
			pk.payload_len = na;
			pk.dsize = na;
			pk.payload_pre = pres[k];
			pk.hits_out = &hits;
			assert_true(sids(e, tp, &pk) == 0);
			assert_true(hits.valid && hits.len == na);
			/* The stream run over both, with the packet's hits. */
			in.payload_len = no + na;
			in.hits_in = &hits;
			if (sids(e, t, &in) != 2)
				fail_msg("mode %d, scan from %zu bytes before: needle across the "
				         "seam "
				         "missed",
				         m, pres[k]);
			ips_detect_carry_free(&carry);
			ips_detect_hits_free(&hits);
		}
		ips_detect_thread_free(tp);
		ips_detect_thread_free(t);
		ips_detect_free(e);
	}
	ips_ruleset_free(rs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_carry),
	        cmocka_unit_test(test_window),
	        cmocka_unit_test(test_seam),
	        cmocka_unit_test(test_origin),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
