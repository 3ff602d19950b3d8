/* SPDX-License-Identifier: ISC */
/*
 * Pipeline state the engine reads across packets and flows: xbits kept by
 * host in the pipeline's table (a bit set in one flow is seen by another
 * flow of the same host, and expires with packet time), and bypass (a
 * flow whose packet matched a bypass rule is not inspected afterwards,
 * other flows are). Raw IPv4/UDP frames (UDP: the bypass is immediate).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ips/decode.h"
#include "ips/detect.h"
#include "ips/ips.h"

struct seen {
	uint32_t sids[32];
	size_t n;
};

static void on_alert(void *arg, const struct ips_alert *a)
{
	struct seen *s = arg;
	if (s->n < 32)
		s->sids[s->n++] = a->rule->sid;
}

/* IPv4/UDP 10.0.0.src:sport -> 10.0.0.9:53 carrying text (UDP checksum 0: none). */
static size_t frame(uint8_t *b, uint8_t src, uint16_t sport, const char *text)
{
	size_t n = strlen(text), tot = 20 + 8 + n;
	uint32_t sum = 0;
	memset(b, 0, 28);
	b[0] = 0x45;
	b[2] = (uint8_t)(tot >> 8), b[3] = (uint8_t)tot;
	b[8] = 64, b[9] = 17;
	b[12] = 10, b[15] = src;
	b[16] = 10, b[19] = 9;
	for (int i = 0; i < 20; i += 2)
		sum += (uint32_t)(b[i] << 8 | b[i + 1]);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	b[10] = (uint8_t)(~sum >> 8), b[11] = (uint8_t)~sum;
	b[20] = (uint8_t)(sport >> 8), b[21] = (uint8_t)sport;
	b[23] = 53;
	b[24] = (uint8_t)((8 + n) >> 8), b[25] = (uint8_t)(8 + n);
	memcpy(b + 28, text, n);
	return tot;
}

static void test_xbits_bypass(void **state)
{
	(void)state;
	static const char *const rules[] = {
	        "alert udp any any -> any any (content:\"mark\"; "
	        "xbits:set,seen,track ip_src,expire 5; xbits:noalert; sid:1;)",
	        "alert udp any any -> any any (content:\"ping\"; "
	        "xbits:isset,seen,track ip_src; sid:2;)",
	        "alert udp any any -> any any (content:\"byp\"; bypass; sid:3;)",
	        "alert udp any any -> any any (content:\"after\"; sid:4;)",
	};
	struct ips_ruleset rs = {0};
	struct ips_rule *r[4];
	struct ips_detect_engine *e;
	struct ips_detect_conf dc = {0};
	struct ips_detect_stats dst;
	struct ips_pipeline *pl;
	struct seen s = {0};
	uint8_t b[128];
	size_t n;
	const uint64_t sec = 1000000000ull;

	for (size_t i = 0; i < 4; i++) {
		char why[128], key[64];
		assert_int_equal(
		        ips_rule_parse(rules[i], NULL, &r[i], why, sizeof(why), key, sizeof(key)),
		        0);
	}
	rs.rules = r;
	rs.n = rs.cap = 4;
	assert_int_equal(ips_detect_build(&rs, &dc, &e, &dst), 0);
	struct ips_pipeline_cfg cfg = {.engine = e, .on_alert = on_alert, .arg = &s};
	assert_int_equal(ips_pipeline_new(&pl, &cfg), 0);

	/* Host 1 is marked in one flow, seen in another; host 2 is not. */
	n = frame(b, 1, 1000, "ping");
	ips_pipeline_packet(pl, b, n, IPS_LINK_RAW, 1 * sec);
	n = frame(b, 1, 1000, "mark");
	ips_pipeline_packet(pl, b, n, IPS_LINK_RAW, 2 * sec);
	n = frame(b, 1, 2000, "ping");
	ips_pipeline_packet(pl, b, n, IPS_LINK_RAW, 3 * sec);
	n = frame(b, 2, 2000, "ping");
	ips_pipeline_packet(pl, b, n, IPS_LINK_RAW, 3 * sec);
	/* Expired 5 s after the mark. */
	n = frame(b, 1, 3000, "ping");
	ips_pipeline_packet(pl, b, n, IPS_LINK_RAW, 8 * sec);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.sids[0], 2);

	/* bypass: the matching packet alerts, the flow's later packets are not inspected. */
	s.n = 0;
	n = frame(b, 3, 4000, "byp after");
	ips_pipeline_packet(pl, b, n, IPS_LINK_RAW, 10 * sec);
	n = frame(b, 3, 4000, "after");
	ips_pipeline_packet(pl, b, n, IPS_LINK_RAW, 11 * sec);
	n = frame(b, 3, 4001, "after");
	ips_pipeline_packet(pl, b, n, IPS_LINK_RAW, 11 * sec);
	assert_int_equal(s.n, 3);
	assert_int_equal(s.sids[0] + s.sids[1], 3 + 4); /* first packet: both rules */
	assert_int_equal(s.sids[2], 4);                 /* the other flow */
	assert_int_equal(ips_pipeline_stats(pl)->bypassed, 1);

	ips_pipeline_free(pl);
	ips_detect_free(e);
	for (size_t i = 0; i < 4; i++)
		ips_rule_free(r[i]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_xbits_bypass),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
