/* SPDX-License-Identifier: ISC */
/*
 * Event and header keywords: decode-event, stream-event, app-layer-event,
 * ipopts, the *-csum keywords, flow.age, dns.opcode, icmpv6.mtu, prefilter,
 * the tcp.hdr/udp.hdr/icmpv6.hdr packet buffers and the pkthdr, ipv4/ip4,
 * ipv6/ip6, icmpv4 and icmpv6 rule protocols, each against inputs that
 * must and must not match; plus the IPv6 extension header events the
 * decoder raises for them (unknown destination option, atomic fragment,
 * truncated header after an extension header).
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
#include "ips/decode.h"
#include "ips/detect.h"
#include "ips/stream.h"
#include "lib/err.h"

/* True if the one rule `text` matches in. */
static bool rule_matches(const char *text, const struct ips_detect_input *in)
{
	struct ips_rule *r;
	struct ips_detect_engine *e;
	struct ips_detect_thread *t;
	struct ips_match m[4];
	size_t n = 0;
	char why[160], key[64];

	if (ips_rule_parse(text, NULL, &r, why, sizeof(why), key, sizeof(key)) != 0)
		fail_msg("rule refused (%s): %s", why, text);
	struct ips_ruleset *prs = calloc(1, sizeof(*prs));
	assert_non_null(prs);
	prs->rules = calloc(1, sizeof(*prs->rules));
	assert_non_null(prs->rules);
	prs->rules[0] = r;
	prs->n = prs->cap = 1;
	assert_int_equal(ips_detect_build(prs, NULL, &e, NULL), 0);
	assert_int_equal(ips_detect_thread_new(e, &t), 0);
	assert_int_equal(ips_detect_run(e, t, in, m, 4, &n), 0);
	ips_detect_thread_free(t);
	ips_detect_free(e);
	ips_ruleset_free(prs);
	return n == 1;
}

static bool refused(const char *text)
{
	struct ips_rule *r = NULL;
	char why[160], key[64];
	int e = ips_rule_parse(text, NULL, &r, why, sizeof(why), key, sizeof(key));
	ips_rule_free(r);
	return e != 0;
}

static void v4_tcp(struct ips_detect_input *in)
{
	memset(in, 0, sizeof(*in));
	in->ip_version = 4;
	memcpy(in->src, (const uint8_t[]){10, 0, 0, 1}, 4);
	memcpy(in->dst, (const uint8_t[]){10, 0, 0, 2}, 4);
	in->proto = 6;
	in->sp = 1234;
	in->dp = 80;
	in->has_tcp = true;
	in->tcp_flags = 0x02;
	in->payload = (const uint8_t *)"";
	in->app = IPS_PROTO_IP;
}

static void v6_icmp(struct ips_detect_input *in, uint8_t type)
{
	memset(in, 0, sizeof(*in));
	in->ip_version = 6;
	in->src[0] = 0x20;
	in->dst[0] = 0xff;
	in->proto = 58;
	in->has_icmp = true;
	in->icmp_type = type;
	in->payload = (const uint8_t *)"";
	in->app = IPS_PROTO_IP;
}

static void test_decode_event(void **state)
{
	(void)state;
	struct ips_detect_input in;
	const uint8_t ev[] = {IPS_EV_IPV6_FRAG_OVERLAP, IPS_EV_IPV6_DSTOPTS_UNKNOWN_OPT};
	v6_icmp(&in, 128);
	const char *r1 = "alert pkthdr any any -> any any (decode-event:ipv6.frag_overlap; sid:1;)";
	const char *r2 = "alert pkthdr any any -> any any (decode-event:IPV6.DSTOPTS_UNKNOWN_OPT; "
	                 "sid:1;)";
	const char *r3 = "alert pkthdr any any -> any any (decode-event:ipv6.exthdr_useless_fh; "
	                 "sid:1;)";
	assert_false(rule_matches(r1, &in));
	in.events = ev;
	in.n_events = 2;
	assert_true(rule_matches(r1, &in));
	assert_true(rule_matches(r2, &in)); /* names are case-insensitive */
	assert_false(rule_matches(r3, &in));
	/* A name the engine never raises is refused, not silently dead. */
	assert_true(refused("alert pkthdr any any -> any any (decode-event:ipv6.no_such; sid:1;)"));
	assert_true(refused("alert pkthdr any any -> any any (decode-event; sid:1;)"));
}

static void test_stream_event(void **state)
{
	(void)state;
	struct ips_detect_input in;
	v4_tcp(&in);
	const char *r = "alert tcp any any -> any any (stream-event:pkt_invalid_timestamp; sid:1;)";
	assert_false(rule_matches(r, &in));
	in.stream_events = 1u << IPS_SEV_PKT_RETRANSMISSION;
	assert_false(rule_matches(r, &in));
	in.stream_events |= 1u << IPS_SEV_PKT_INVALID_TIMESTAMP;
	assert_true(rule_matches(r, &in));
	assert_true(refused("alert tcp any any -> any any (stream-event:bogus; sid:1;)"));
}

static void test_app_event(void **state)
{
	(void)state;
	struct ips_detect_input in;
	v4_tcp(&in);
	in.app = IPS_PROTO_HTTP;
	const char *r =
	        "alert http any any -> any any (app-layer-event:http.request_chunk_extension; "
	        "sid:1;)";
	assert_false(rule_matches(r, &in));
	in.app_events = 1u << APP_TXEV_HTTP_REQ_CHUNK_EXT;
	assert_true(rule_matches(r, &in));
	in.app = IPS_PROTO_IP; /* the event needs the http app layer */
	assert_false(rule_matches(r, &in));
	/* http events on a dns rule conflict. */
	assert_true(refused("alert dns any any -> any any (app-layer-event:http.request_chunk_"
	                    "extension; sid:1;)"));
	assert_true(refused("alert http any any -> any any (app-layer-event:http.nope; sid:1;)"));
}

static void test_ipopts(void **state)
{
	(void)state;
	struct ips_detect_input in;
	v4_tcp(&in);
	const char *esec = "alert ip any any -> any any (ipopts:esec; sid:1;)";
	const char *any = "alert ip any any -> any any (ipopts:any; sid:1;)";
	assert_false(rule_matches(esec, &in));
	assert_false(rule_matches(any, &in));
	in.ipopts = IPS_IPOPT_NOP;
	assert_false(rule_matches(esec, &in));
	assert_true(rule_matches(any, &in));
	in.ipopts |= IPS_IPOPT_ESEC;
	assert_true(rule_matches(esec, &in));
	assert_true(refused("alert ip any any -> any any (ipopts:foo; sid:1;)"));
}

static void test_csum(void **state)
{
	(void)state;
	struct ips_detect_input in;
	v4_tcp(&in);
	const char *inv = "alert tcp any any -> any any (tcpv4-csum:invalid; sid:1;)";
	const char *val = "alert tcp any any -> any any (tcpv4-csum:valid; sid:1;)";
	const char *v6 = "alert tcp any any -> any any (tcpv6-csum:invalid; sid:1;)";
	const char *ip = "alert ip any any -> any any (ipv4-csum:invalid; sid:1;)";
	in.l4_csum = IPS_CSUM_OK;
	in.ipv4_csum = IPS_CSUM_OK;
	assert_false(rule_matches(inv, &in));
	assert_true(rule_matches(val, &in));
	in.l4_csum = IPS_CSUM_BAD;
	assert_true(rule_matches(inv, &in));
	assert_false(rule_matches(val, &in));
	assert_false(rule_matches(v6, &in));
	assert_false(rule_matches(ip, &in));
	in.ipv4_csum = IPS_CSUM_BAD;
	assert_true(rule_matches(ip, &in));
	in.l4_csum = IPS_CSUM_SKIPPED; /* unverified: both match, as Suricata */
	assert_true(rule_matches(inv, &in));
	assert_true(rule_matches(val, &in));
	assert_true(refused("alert tcp any any -> any any (tcpv4-csum:maybe; sid:1;)"));
}

static void test_flow_age_dns_opcode_mtu(void **state)
{
	(void)state;
	struct ips_detect_input in;
	v4_tcp(&in);
	const char *age = "alert ip any any -> any any (flow.age:>20; sid:1;)";
	assert_false(rule_matches(age, &in));
	in.has_flow = true;
	in.has_flow_age = true;
	in.flow_age = 20;
	assert_false(rule_matches(age, &in));
	in.flow_age = 21;
	assert_true(rule_matches(age, &in));

	v4_tcp(&in);
	in.proto = 17;
	in.has_tcp = false;
	in.sp = 5353;
	in.dp = 53;
	in.app = IPS_PROTO_DNS;
	const char *op = "alert dns any any -> any any (dns.opcode:4; sid:1;)";
	const char *nop = "alert dns any any -> any any (dns.opcode:!0; sid:1;)";
	assert_false(rule_matches(op, &in));
	in.has_dns_opcode = true;
	in.dns_opcode = 0;
	assert_false(rule_matches(op, &in));
	assert_false(rule_matches(nop, &in));
	in.dns_opcode = 4;
	assert_true(rule_matches(op, &in));
	assert_true(rule_matches(nop, &in));
	assert_true(refused("alert http any any -> any any (dns.opcode:4; sid:1;)"));

	v6_icmp(&in, 2);
	const char *mtu = "alert ipv6 any any -> any any (icmpv6.mtu:<1280; sid:1;)";
	assert_false(rule_matches(mtu, &in));
	in.has_mtu = true;
	in.mtu = 1500;
	assert_false(rule_matches(mtu, &in));
	in.mtu = 1000;
	assert_true(rule_matches(mtu, &in));
}

static void test_hdr_buffers(void **state)
{
	(void)state;
	struct ips_detect_input in;
	const uint8_t tcph[24] = {0x04,        0xd2,        0x00,        0x50,        [12] = 0x60,
	                          [13] = 0x02, [20] = 0x02, [21] = 0x04, [22] = 0x01, [23] = 0x00};
	const uint8_t udph[8] = {0x13, 0x88, 0x00, 0x35, 0x00, 0x08, 0x00, 0x00};
	const uint8_t icmp6h[8] = {0x86, 0x00, 0x12, 0x34, 0x40, 0x00, 0x00, 0x00};
	v4_tcp(&in);
	const char *t = "alert tcp any any -> any any (tcp.hdr; content:\"|02 04|\"; offset:20; "
	                "byte_test:2,<,536,0,big,relative; sid:1;)";
	assert_false(rule_matches(t, &in));
	in.hdrv[0] = (struct ips_bufv){.p = tcph, .len = sizeof(tcph)};
	ips_detect_set_buf(&in, IPS_BUF_TCP_HDR, &in.hdrv[0]);
	assert_true(rule_matches(t, &in));
	/* The header is not the payload. */
	in.payload = tcph;
	in.payload_len = sizeof(tcph);
	assert_false(rule_matches("alert tcp any any -> any any (udp.hdr; content:\"|02 04|\"; "
	                          "sid:1;)",
	                          &in));

	v4_tcp(&in);
	in.proto = 17;
	in.has_tcp = false;
	in.hdrv[1] = (struct ips_bufv){.p = udph, .len = sizeof(udph)};
	ips_detect_set_buf(&in, IPS_BUF_UDP_HDR, &in.hdrv[1]);
	assert_true(rule_matches("alert udp any any -> any any (udp.hdr; content:\"|00 08|\"; "
	                         "offset:4; depth:2; sid:1;)",
	                         &in));

	v6_icmp(&in, 134);
	const char *ra = "alert icmpv6 any any -> any any (itype:134; icmpv6.hdr; "
	                 "content:\"|00 00|\"; offset:6; depth:2; sid:1;)";
	in.hdrv[2] = (struct ips_bufv){.p = icmp6h, .len = sizeof(icmp6h)};
	ips_detect_set_buf(&in, IPS_BUF_ICMPV6_HDR, &in.hdrv[2]);
	assert_true(rule_matches(ra, &in));
	const uint8_t life[8] = {0x86, 0x00, 0x12, 0x34, 0x40, 0x00, 0x07, 0x08};
	in.hdrv[2] = (struct ips_bufv){.p = life, .len = sizeof(life)};
	assert_false(rule_matches(ra, &in));
}

static void test_protocols(void **state)
{
	(void)state;
	struct ips_detect_input in;
	v4_tcp(&in);
	assert_true(rule_matches("alert pkthdr any any -> any any (sid:1;)", &in));
	assert_true(rule_matches("alert ipv4 any any -> any any (sid:1;)", &in));
	assert_true(rule_matches("alert ip4 any any -> any any (sid:1;)", &in));
	assert_false(rule_matches("alert ipv6 any any -> any any (sid:1;)", &in));
	assert_false(rule_matches("alert ip6 any any -> any any (sid:1;)", &in));
	v6_icmp(&in, 128);
	assert_true(rule_matches("alert ipv6 any any -> any any (sid:1;)", &in));
	assert_true(rule_matches("alert icmpv6 any any -> ff00::/8 any (itype:128; sid:1;)", &in));
	assert_true(rule_matches("alert icmp any any -> any any (itype:128; sid:1;)", &in));
	assert_false(rule_matches("alert icmpv4 any any -> any any (sid:1;)", &in));
	/* prefilter is accepted and changes nothing. */
	assert_true(rule_matches("alert ip any any -> any any (prefilter; sid:1;)", &in));
	assert_true(refused("alert icmpv6 any 80 -> any any (sid:1;)"));
}

/* Ethernet + IPv6 header (payload length and next header given) + body. */
static size_t v6_frame(uint8_t *b, uint8_t nh, const uint8_t *body, size_t blen)
{
	memset(b, 0, 14 + 40);
	b[12] = 0x86;
	b[13] = 0xdd;
	b[14] = 0x60;
	b[18] = (uint8_t)(blen >> 8);
	b[19] = (uint8_t)blen;
	b[20] = nh;
	b[21] = 64;
	b[22] = 0x20;
	b[38] = 0x20;
	b[53] = 1;
	memcpy(b + 54, body, blen);
	return 54 + blen;
}

static void test_decoder_ipv6_events(void **state)
{
	(void)state;
	struct ips_packet p;
	uint8_t f[128];
	/* Destination options with an unknown option type 0x1e, then ICMPv6 echo. */
	const uint8_t dst[] = {58, 0, 0x1e, 2, 0xaa, 0xbb, 1, 0, 128, 0, 0, 0, 0, 1, 0, 1};
	size_t n = v6_frame(f, 60, dst, sizeof(dst));
	ips_decode(&p, f, n, 1, NULL);
	assert_true(ips_packet_has_event(&p, IPS_EV_IPV6_DSTOPTS_UNKNOWN_OPT));
	assert_false(ips_packet_has_event(&p, IPS_EV_IPV6_DSTOPTS_ONLY_PADDING));
	assert_int_equal(p.l4proto, 58);
	/* Only padding. */
	const uint8_t pad[] = {58, 0, 1, 4, 0, 0, 0, 0, 128, 0, 0, 0, 0, 1, 0, 1};
	n = v6_frame(f, 60, pad, sizeof(pad));
	ips_decode(&p, f, n, 1, NULL);
	assert_true(ips_packet_has_event(&p, IPS_EV_IPV6_DSTOPTS_ONLY_PADDING));
	/* An atomic fragment header is useless; TCP then has no bytes left. */
	const uint8_t atomic[] = {6, 0, 0, 0, 0xfa, 0xce, 0xf0, 0xe1};
	n = v6_frame(f, 44, atomic, sizeof(atomic));
	ips_decode(&p, f, n, 1, NULL);
	assert_true(ips_packet_has_event(&p, IPS_EV_IPV6_EXTHDR_USELESS_FH));
	assert_true(ips_packet_has_event(&p, IPS_EV_IPV6_EXT_TRUNC));
	assert_false(p.flags & IPS_PKT_FRAG);
	/* A second fragment header after an atomic one is flagged and skipped. */
	const uint8_t dup[] = {44, 0, 0, 0, 0,   0, 0, 1, 58, 0, 0, 0,
	                       0,  0, 0, 2, 128, 0, 0, 0, 0,  1, 0, 1};
	n = v6_frame(f, 44, dup, sizeof(dup));
	ips_decode(&p, f, n, 1, NULL);
	assert_true(ips_packet_has_event(&p, IPS_EV_IPV6_FRAG_DUP));
	assert_int_equal(p.l4proto, 58);
	assert_string_equal(ips_event_name(IPS_EV_IPV6_FRAG_OVERLAP), "decoder.ipv6.frag_overlap");
	/* OSPF (89) is no upper layer Suricata's IPv6 decoder knows. */
	const uint8_t ospf[] = {2, 1, 0, 4, 0, 0, 0, 0};
	n = v6_frame(f, 89, ospf, sizeof(ospf));
	ips_decode(&p, f, n, 1, NULL);
	assert_true(ips_packet_has_event(&p, IPS_EV_IPV6_UNKNOWN_NEXT_HEADER));
	/* A mobility header is skipped by its length; UDP follows. */
	const uint8_t mh[] = {17, 0, 0, 0, 0, 0, 0, 0, 0, 7, 0, 9, 0, 8, 0, 0};
	n = v6_frame(f, 135, mh, sizeof(mh));
	ips_decode(&p, f, n, 1, NULL);
	assert_false(ips_packet_has_event(&p, IPS_EV_IPV6_UNKNOWN_NEXT_HEADER));
	assert_int_equal(p.l4proto, 17);
	assert_int_equal(p.dp, 9);
}

/* The sids (1..31) that alerted on in with engine e. */
static uint32_t run_bits(struct ips_detect_engine *e, struct ips_detect_thread *t,
                         const struct ips_detect_input *in)
{
	struct ips_match m[8];
	size_t n = 0;
	uint32_t bits = 0;
	assert_int_equal(ips_detect_run(e, t, in, m, 8, &n), 0);
	for (size_t i = 0; i < n && i < 8; i++)
		bits |= 1u << m[i].rule->sid;
	return bits;
}

/* flowint: + counts matches, comparisons read the count, - and = change it. */
static void test_flowint(void **state)
{
	(void)state;
	static const char *const rules[] = {
	        "alert tcp any any -> any any (content:\"A\"; flowint:cnt,+,1; sid:1;)",
	        "alert tcp any any -> any any (flowint:cnt,>=,2; sid:2;)",
	        "alert tcp any any -> any any (flowint:cnt,notset; sid:3;)",
	        "alert tcp any any -> any any (content:\"R\"; flowint:cnt,=,0; sid:4;)",
	        "alert tcp any any -> any any (content:\"S\"; flowint:other,-,1; sid:5;)",
	        "alert tcp any any -> any any (flowint:other,isset; sid:6;)",
	        "alert tcp any any -> any any (flowint:cnt,==,lim; sid:7;)",
	};
	struct ips_ruleset *rs = calloc(1, sizeof(*rs));
	struct ips_detect_engine *e;
	struct ips_detect_thread *t;
	struct ips_flowint_state fi = {0};
	struct ips_detect_input in;
	char why[160], key[64];

	assert_non_null(rs);
	rs->cap = sizeof(rules) / sizeof(rules[0]);
	rs->rules = calloc(rs->cap, sizeof(*rs->rules));
	assert_non_null(rs->rules);
	for (size_t i = 0; i < rs->cap; i++)
		assert_int_equal(ips_rule_parse(rules[i], NULL, &rs->rules[rs->n++], why,
		                                sizeof(why), key, sizeof(key)),
		                 0);
	assert_int_equal(ips_detect_build(rs, NULL, &e, NULL), 0);
	assert_int_equal(ips_detect_thread_new(e, &t), 0);
	v4_tcp(&in);
	in.has_flow = true;
	in.payload = (const uint8_t *)"x";
	in.payload_len = 1;
	/* No flow state: nothing flowint matches. */
	assert_int_equal(run_bits(e, t, &in), 0);
	in.flowints = &fi;
	assert_int_equal(run_bits(e, t, &in), 1u << 3);
	/* Setters run before readers (Suricata's order): the readers see the new value. */
	in.payload = (const uint8_t *)"A";
	assert_int_equal(run_bits(e, t, &in), 1u << 1);
	assert_int_equal(run_bits(e, t, &in), 1u << 1 | 1u << 2);
	/* cnt == lim: an unset operand variable reads 0. */
	in.payload = (const uint8_t *)"R";
	assert_int_equal(run_bits(e, t, &in), 1u << 4 | 1u << 7);
	/* - does not create a variable. */
	in.payload = (const uint8_t *)"S";
	assert_int_equal(run_bits(e, t, &in) & (1u << 6), 0);
	assert_int_equal(run_bits(e, t, &in) & (1u << 6), 0);
	assert_true(refused("alert tcp any any -> any any (flowint:cnt,+; sid:1;)"));
	assert_true(refused("alert tcp any any -> any any (flowint:cnt,isset,3; sid:1;)"));
	assert_true(refused("alert tcp any any -> any any (flowint:cnt,*,3; sid:1;)"));
	assert_true(refused("alert tcp any any -> any any (flowint:1cnt,+,1; sid:1;)"));
	ips_detect_thread_free(t);
	ips_detect_free(e);
	ips_ruleset_free(rs);
}

/* ERSPAN type II in GRE: the mirrored frame is decoded, its VLAN recorded. */
static void test_decoder_erspan(void **state)
{
	(void)state;
	static const char hex[] =
	        "00000000000000000000000008004500005200010000402f74770202020201010101100088be"
	        "00000007100500640000000002020202020204040404040408004500002000010000400166da"
	        "0a0000010a0000020800192d0001000170696e67";
	uint8_t f[128];
	size_t n = strlen(hex) / 2;
	struct ips_packet p;

	for (size_t i = 0; i < n; i++)
		assert_int_equal(sscanf(hex + 2 * i, "%2hhx", &f[i]), 1);
	ips_decode(&p, f, n, 1, NULL);
	assert_int_equal(p.n_events, 0);
	assert_int_equal(p.n_ip, 2);
	assert_int_equal(p.ip[1].tunnel, IPS_TUN_ERSPAN);
	assert_int_equal(p.l4proto, 1);
	assert_int_equal(p.icmp.type, 8);
	assert_int_equal(p.n_vlan, 1);
	assert_int_equal(p.vlan[0], 5);
	/* Version 2 is not type II; a short header is truncated. */
	f[42] = 0x20; /* ERSPAN starts after Ethernet, IPv4 and an 8-byte GRE header */
	ips_decode(&p, f, n, 1, NULL);
	assert_true(ips_packet_has_event(&p, IPS_EV_ERSPAN_BAD_VERSION));
	ips_decode(&p, f, 48, 1, NULL);
	assert_true(ips_packet_has_event(&p, IPS_EV_ERSPAN_TRUNC));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_decode_event),
	        cmocka_unit_test(test_stream_event),
	        cmocka_unit_test(test_app_event),
	        cmocka_unit_test(test_ipopts),
	        cmocka_unit_test(test_csum),
	        cmocka_unit_test(test_flow_age_dns_opcode_mtu),
	        cmocka_unit_test(test_hdr_buffers),
	        cmocka_unit_test(test_protocols),
	        cmocka_unit_test(test_decoder_ipv6_events),
	        cmocka_unit_test(test_decoder_erspan),
	        cmocka_unit_test(test_flowint),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
