/* SPDX-License-Identifier: ISC */
/*
 * Engine semantics as Suricata 7 has them: the action order setting
 * (action-order) and the evaluation order it gives, which rules' pass or
 * drop applies to the whole flow (ips_rule_flow_wide) and what that does to
 * later packets of the flow, packet-alert-max, ICMP errors joining the flow
 * they report on, and the frame keyword with the DNS and MQTT frames (and
 * MQTT's max-msg-length).
 */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "ips/app.h"
#include "ips/decode.h"
#include "ips/detect.h"
#include "ips/flow.h"
#include "ips/ips.h"
#include "lib/err.h"

/* ---- helpers ---- */

static struct ips_rule *parse(const char *text)
{
	struct ips_rule *r = NULL;
	char why[160], key[64];

	if (ips_rule_parse(text, NULL, &r, why, sizeof(why), key, sizeof(key)) != 0)
		fail_msg("rule refused (%s): %s", why, text);
	return r;
}

static bool refused(const char *text)
{
	struct ips_rule *r = NULL;
	char why[160], key[64];
	int e = ips_rule_parse(text, NULL, &r, why, sizeof(why), key, sizeof(key));

	ips_rule_free(r);
	return e != 0;
}

/* A ruleset of the rules in texts (NULL-terminated). */
static struct ips_ruleset *ruleset(const char *const *texts)
{
	struct ips_ruleset *rs = calloc(1, sizeof(*rs));
	size_t n = 0;

	assert_non_null(rs);
	while (texts[n])
		n++;
	rs->rules = calloc(n, sizeof(*rs->rules));
	assert_non_null(rs->rules);
	for (size_t i = 0; i < n; i++)
		rs->rules[i] = parse(texts[i]);
	rs->n = rs->cap = n;
	return rs;
}

/* ---- action-order ---- */

static void test_action_order_parse(void **state)
{
	uint8_t rank[IPS_ACLASS__COUNT];

	(void)state;
	assert_int_equal(ips_detect_parse_action_order("drop,pass,reject,alert", rank), 0);
	assert_int_equal(rank[IPS_ACLASS_DROP], 0);
	assert_int_equal(rank[IPS_ACLASS_PASS], 1);
	assert_int_equal(rank[IPS_ACLASS_REJECT], 2);
	assert_int_equal(rank[IPS_ACLASS_ALERT], 3);
	assert_int_equal(ips_detect_parse_action_order(" alert, pass ,drop, reject", rank), 0);
	assert_int_equal(rank[IPS_ACLASS_ALERT], 0);
	assert_int_equal(rank[IPS_ACLASS_REJECT], 3);
	assert_int_equal(ips_detect_parse_action_order("drop,pass,reject", rank), BW_ERR_INVAL);
	assert_int_equal(ips_detect_parse_action_order("drop,pass,reject,alert,drop", rank),
	                 BW_ERR_INVAL);
	assert_int_equal(ips_detect_parse_action_order("drop,pass,reject,log", rank), BW_ERR_INVAL);
	assert_int_equal(ips_detect_parse_action_order("", rank), BW_ERR_INVAL);
}

/* The sids ips_detect_run reports for payload p, with or without an action order. */
static size_t run_order(const char *order, uint32_t *sids, size_t max)
{
	static const char *const rules[] = {
	        "alert ip any any -> any any (content:\"x\"; sid:1;)",
	        "pass ip any any -> any any (content:\"x\"; sid:2;)",
	        "drop ip any any -> any any (content:\"x\"; sid:3;)",
	        NULL,
	};
	struct ips_ruleset *rs = ruleset(rules);
	struct ips_detect_conf conf = {0};
	struct ips_detect_engine *e;
	struct ips_detect_thread *t;
	struct ips_detect_input in = {0};
	struct ips_match m[8];
	size_t n = 0;

	if (order) {
		assert_int_equal(ips_detect_parse_action_order(order, conf.action_rank), 0);
		conf.has_action_order = true;
	}
	assert_int_equal(ips_detect_build(rs, &conf, &e, NULL), 0);
	assert_int_equal(ips_detect_thread_new(e, &t), 0);
	in.ip_version = 4;
	in.proto = 17;
	in.payload = (const uint8_t *)"x";
	in.payload_len = in.dsize = 1;
	assert_int_equal(ips_detect_run(e, t, &in, m, 8, &n), 0);
	for (size_t i = 0; i < n && i < max; i++)
		sids[i] = m[i].rule->sid;
	ips_detect_thread_free(t);
	ips_detect_free(e);
	ips_ruleset_free(rs);
	return n;
}

static void test_action_order_run(void **state)
{
	uint32_t s[8];

	(void)state;
	/* Suricata's default: pass first, which ends the inspection. */
	assert_int_equal(run_order(NULL, s, 8), 1);
	assert_int_equal(s[0], 2);
	/* drop, pass: the drop is reported, then the pass stops the alert. */
	assert_int_equal(run_order("drop,pass,reject,alert", s, 8), 2);
	assert_int_equal(s[0], 3);
	assert_int_equal(s[1], 2);
	/* alert first: all three, the pass last. */
	assert_int_equal(run_order("alert,drop,reject,pass", s, 8), 3);
	assert_int_equal(s[0], 1);
	assert_int_equal(s[1], 3);
	assert_int_equal(s[2], 2);
}

/* ---- flow-wide actions ---- */

/* What a classification (ips_rule_flow_wide, ips_rule_ip_only) says of a rule's text. */
static bool classify(bool (*is)(const struct ips_rule *), const char *text)
{
	struct ips_rule *r = parse(text);
	bool w = is(r);

	ips_rule_free(r);
	return w;
}

static bool flow_wide(const char *text)
{
	return classify(ips_rule_flow_wide, text);
}

static void test_flow_wide(void **state)
{
	(void)state;
	assert_true(flow_wide("drop ip 1.2.3.4 any -> any any (sid:1;)"));
	assert_true(flow_wide("pass tcp any any -> any 80 (msg:\"m\"; classtype:bad-unknown; "
	                      "metadata:a b; reference:url,x; priority:1; sid:1; rev:2;)"));
	assert_true(flow_wide("pass tcp any any -> any any (flowbits:set,a; sid:1;)"));
	assert_true(flow_wide(
	        "drop ip any any -> any any (threshold:type limit,track by_src,count 1,seconds 60; "
	        "sid:1;)"));
	/* noalert is no match option in Suricata; a negated address is "like IP-only". */
	assert_true(
	        flow_wide("drop ip any any -> any any (flowbits:set,a; flowbits:noalert; sid:1;)"));
	assert_true(flow_wide("drop ip $EXTERNAL_NET any -> any any (noalert; sid:1;)"));
	assert_true(flow_wide("pass http any any -> any any (sid:1;)"));
	assert_true(flow_wide("drop http any any -> any any (http.uri; content:\"a\"; sid:1;)"));
	/* Packet rules: payload, header keywords, a direction, a flowbit test. */
	assert_false(flow_wide("pass ip any any -> any any (content:\"wo\"; sid:1;)"));
	assert_false(flow_wide("drop tcp any any -> any any (flags:S; sid:1;)"));
	assert_false(flow_wide("drop tcp any any -> any any (flow:established; sid:1;)"));
	assert_false(flow_wide("drop tcp any any -> any any (dsize:>10; sid:1;)"));
	assert_false(flow_wide("pass tcp any any -> any any (flowbits:isset,a; sid:1;)"));
	assert_false(flow_wide("pass http any any -> any any (content:\"x\"; sid:1;)"));
}

static bool ip_only(const char *text)
{
	return classify(ips_rule_ip_only, text);
}

static void test_ip_only_rules(void **state)
{
	(void)state;
	/* Suricata's SignatureIsIPOnly: addresses, ports, metadata, thresholds, flowbits set. */
	assert_true(ip_only("alert ip 1.2.3.4 any -> any any (sid:1;)"));
	assert_true(
	        ip_only("alert tcp [1.2.3.4,5.6.7.0/24] any -> $HOME_NET 80 (msg:\"m\"; "
	                "classtype:bad-unknown; metadata:a b; reference:url,x; sid:1; rev:2;)"));
	assert_true(ip_only("alert udp any any <> any 53 (threshold:type limit,track by_src,count "
	                    "1,seconds 60; flowbits:set,a; flowbits:noalert; sid:1;)"));
	assert_true(ip_only("alert ip any any -> any any (detection_filter:track by_src,count 2,"
	                    "seconds 5; noalert; target:dest_ip; sid:1;)"));
	/* A negation anywhere, also through a variable: Suricata's "like IP-only". */
	assert_false(ip_only("alert ip $HOME_NET any -> $EXTERNAL_NET any (sid:1;)"));
	assert_false(ip_only("alert ip [10.0.0.0/8,!10.1.0.0/16] any -> any any (sid:1;)"));
	assert_false(ip_only("alert ip any any -> !1.2.3.4 any (sid:1;)"));
	/* Options that make a packet, payload or app-layer rule. */
	assert_false(ip_only("alert ip any any -> any any (content:\"a\"; sid:1;)"));
	assert_false(ip_only("alert tcp any any -> any any (flags:S; sid:1;)"));
	assert_false(ip_only("alert tcp any any -> any any (flow:to_server; sid:1;)"));
	assert_false(ip_only("alert ip any any -> any any (flowbits:isset,a; sid:1;)"));
	assert_false(ip_only("alert ip any any -> any any (ttl:3; sid:1;)"));
	assert_false(ip_only("alert http any any -> any any (sid:1;)"));
	assert_false(ip_only("alert dns any any -> any any (dns.query; content:\"a\"; sid:1;)"));
}

/* ---- the pipeline: pass, drop, packet-alert-max ---- */

struct got {
	uint32_t sid[256];
	size_t n;
};

static void on_alert(void *arg, const struct ips_alert *a)
{
	struct got *g = arg;

	if (g->n < 256)
		g->sid[g->n++] = a->rule->sid;
}

static size_t count_sid(const struct got *g, uint32_t sid)
{
	size_t k = 0;

	for (size_t i = 0; i < g->n; i++)
		k += g->sid[i] == sid;
	return k;
}

/* A raw IPv4/UDP packet 10.0.0.a:ap -> 10.0.0.b:bp carrying payload p. */
static size_t udp4(uint8_t *out, uint8_t a, uint16_t ap, uint8_t b, uint16_t bp, const char *p)
{
	size_t pl = strlen(p), len = 28 + pl;
	uint32_t sum = 0;

	memset(out, 0, 28);
	out[0] = 0x45;
	out[2] = (uint8_t)(len >> 8);
	out[3] = (uint8_t)len;
	out[8] = 64;
	out[9] = 17;
	out[12] = out[16] = 10;
	out[15] = a;
	out[19] = b;
	for (int i = 0; i < 20; i += 2)
		sum += (uint32_t)(out[i] << 8 | out[i + 1]);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	out[10] = (uint8_t)(~sum >> 8);
	out[11] = (uint8_t)~sum;
	out[20] = (uint8_t)(ap >> 8);
	out[21] = (uint8_t)ap;
	out[22] = (uint8_t)(bp >> 8);
	out[23] = (uint8_t)bp;
	out[24] = (uint8_t)((8 + pl) >> 8);
	out[25] = (uint8_t)(8 + pl); /* UDP checksum 0: none (RFC 768) */
	memcpy(out + 28, p, pl);
	return len;
}

/* Runs packets (payloads alternating client, server) through a pipeline with rules. */
static void pipe_run(const char *const *rules, const char *order, unsigned alert_max,
                     const char *const *payloads, struct got *g, struct ips_pipeline_stats *st)
{
	struct ips_ruleset *rs = ruleset(rules);
	struct ips_detect_conf conf = {0};
	struct ips_detect_engine *e;
	struct ips_pipeline *pl;
	uint8_t pkt[256];

	if (order) {
		assert_int_equal(ips_detect_parse_action_order(order, conf.action_rank), 0);
		conf.has_action_order = true;
	}
	assert_int_equal(ips_detect_build(rs, &conf, &e, NULL), 0);
	struct ips_pipeline_cfg pc = {
	        .engine = e, .on_alert = on_alert, .arg = g, .alert_max = alert_max};
	assert_int_equal(ips_pipeline_new(&pl, &pc), 0);
	for (size_t i = 0; payloads[i]; i++) {
		size_t n = i % 2 ? udp4(pkt, 1, 53, 9, 40000, payloads[i])
		                 : udp4(pkt, 9, 40000, 1, 53, payloads[i]);
		assert_int_equal(
		        ips_pipeline_packet(pl, pkt, n, IPS_LINK_RAW, (uint64_t)(i + 1) * 1000000),
		        0);
	}
	ips_pipeline_finish(pl);
	if (st)
		*st = *ips_pipeline_stats(pl);
	ips_pipeline_free(pl);
	ips_detect_free(e);
	ips_ruleset_free(rs);
}

static void test_pass_packet_only(void **state)
{
	/* As Suricata's util-action-03: a payload pass rule passes its packet only. */
	static const char *const rules[] = {
	        "alert ip any any -> any any (content:\"Hi all\"; sid:1;)",
	        "pass ip any any -> any any (content:\"wo\"; sid:2;)",
	        "alert ip any any -> any any (content:\"Hi all\"; sid:3;)",
	        NULL,
	};
	static const char *const pkts[] = {"Hi all!", "wo! Hi all!", "Hi all!", NULL};
	struct got g = {0};

	(void)state;
	pipe_run(rules, NULL, 0, pkts, &g, NULL);
	assert_int_equal(count_sid(&g, 1), 2);
	assert_int_equal(count_sid(&g, 2), 0);
	assert_int_equal(count_sid(&g, 3), 2);
}

static void test_drop_flow(void **state)
{
	/* A payload drop drops its packets; an IP-only drop the whole flow. */
	static const char *const pkt_rules[] = {
	        "drop udp any any -> any any (content:\"Hi\"; sid:1;)",
	        NULL,
	};
	static const char *const ip_rules[] = {
	        "drop udp 10.0.0.9 any -> any any (sid:1;)",
	        "alert udp any any -> any any (content:\"Hi\"; sid:2;)",
	        NULL,
	};
	static const char *const pkts[] = {"Hi", "Hi", "Hi", "Hi", NULL};
	struct got g = {0};
	struct ips_pipeline_stats st;

	(void)state;
	pipe_run(pkt_rules, NULL, 0, pkts, &g, &st);
	assert_int_equal(count_sid(&g, 1), 4);
	assert_int_equal(st.drops[IPS_DROP_FLOW], 0);
	memset(&g, 0, sizeof(g));
	pipe_run(ip_rules, NULL, 0, pkts, &g, &st);
	assert_int_equal(count_sid(&g, 1), 1);
	assert_int_equal(count_sid(&g, 2), 1);
	assert_int_equal(st.drops[IPS_DROP_FLOW], 3);
}

static void test_ip_only_once(void **state)
{
	/*
	 * Suricata runs its IP-only rules on the first packet of each direction
	 * of a flow; a rule with negated addresses and a header rule run on
	 * every packet. Six UDP packets, three each way.
	 */
	static const char *const rules[] = {
	        "alert udp any any -> any any (sid:1;)",
	        "alert ip 10.0.0.9 any -> any any (sid:2;)",
	        "alert ip [10.0.0.0/8,!10.1.0.0/16] any -> any any (sid:3;)",
	        "alert udp any any -> any any (ttl:64; sid:4;)",
	        "alert udp any any -> any any (content:\"Hi\"; sid:5;)",
	        NULL,
	};
	static const char *const pkts[] = {"Hi", "Hi", "Hi", "Hi", "Hi", "Hi", NULL};
	struct got g = {0};

	(void)state;
	pipe_run(rules, NULL, 0, pkts, &g, NULL);
	assert_int_equal(count_sid(&g, 1), 2);
	assert_int_equal(count_sid(&g, 2), 1);
	assert_int_equal(count_sid(&g, 3), 6);
	assert_int_equal(count_sid(&g, 4), 6);
	assert_int_equal(count_sid(&g, 5), 6);

	/* More header-index survivors than a cache entry lists (DET_HXS): the bitmap walk. */
	enum { NIP = 40 };
	static char text[NIP][64];
	const char *many[NIP + 2];
	for (int i = 0; i < NIP; i++) {
		snprintf(text[i], sizeof(text[i]), "alert udp any any -> any any (sid:%d;)",
		         100 + i);
		many[i] = text[i];
	}
	many[NIP] = "alert udp any any -> any any (ttl:64; sid:4;)";
	many[NIP + 1] = NULL;
	memset(&g, 0, sizeof(g));
	pipe_run(many, NULL, 64, pkts, &g, NULL);
	assert_int_equal(count_sid(&g, 4), 6);
	for (int i = 0; i < NIP; i++)
		assert_int_equal(count_sid(&g, (uint32_t)(100 + i)), 2);
}

static void test_drop_before_pass(void **state)
{
	/* As util-action-12: with drop first, the IP-only drop wins the flow. */
	static const char *const rules[] = {
	        "drop udp any any -> any any (sid:1;)",
	        "alert udp any any -> any any (content:\"Hi all\"; sid:2;)",
	        "pass udp any any -> any any (sid:3;)",
	        NULL,
	};
	static const char *const pkts[] = {"Hi all", "Hi all", "Hi all", NULL};
	struct got g = {0};
	struct ips_pipeline_stats st;

	(void)state;
	pipe_run(rules, "drop,pass,reject,alert", 0, pkts, &g, &st);
	assert_int_equal(g.n, 1);
	assert_int_equal(g.sid[0], 1);
	assert_int_equal(st.drops[IPS_DROP_FLOW], 2);
	/* The default order: the pass wins, nothing alerts. */
	memset(&g, 0, sizeof(g));
	pipe_run(rules, NULL, 0, pkts, &g, &st);
	assert_int_equal(g.n, 0);
	assert_int_equal(st.drops[IPS_DROP_FLOW], 0);
}

static void test_alert_max(void **state)
{
	static const char *const rules[] = {
	        "alert udp any any -> any any (content:\"T\"; sid:1;)",
	        "alert udp any any -> any any (content:\"T\"; sid:2;)",
	        "alert udp any any -> any any (content:\"T\"; priority:1; sid:3;)",
	        "alert udp any any -> any any (content:\"T\"; sid:4;)",
	        NULL,
	};
	static const char *const pkts[] = {"T", NULL};
	struct got g = {0};
	struct ips_pipeline_stats st;

	(void)state;
	/* The first two in signature order (priority first) are kept. */
	pipe_run(rules, NULL, 2, pkts, &g, &st);
	assert_int_equal(g.n, 2);
	assert_int_equal(g.sid[0], 3);
	assert_int_equal(g.sid[1], 1);
	assert_int_equal(st.alerts_dropped, 2);
	memset(&g, 0, sizeof(g));
	pipe_run(rules, NULL, 0, pkts, &g, &st);
	assert_int_equal(g.n, 4);
}

/* ---- ICMP errors join their flow ---- */

static void test_icmp_error_flow(void **state)
{
	struct ips_flow_cfg cfg;
	struct ips_flow_table *t;
	struct ips_packet p;
	struct ips_flow_rec *f, *g;
	bool ts, created;
	/* The quoted datagram: 10.0.0.1:53 -> 10.0.0.9:40000 UDP (the server's answer). */
	uint8_t quote[28] = {0x45, 0, 0,  28, 0, 0, 0, 0,  64,   17,   0, 0, 10, 0,
	                     0,    1, 10, 0,  0, 9, 0, 53, 0x9c, 0x40, 0, 8, 0,  0};

	(void)state;
	ips_flow_cfg_default(&cfg);
	cfg.hash_size = 64;
	assert_non_null(t = ips_flow_table_new(&cfg));
	memset(&p, 0, sizeof(p));
	p.n_ip = 1;
	p.ip[0].version = 4;
	p.ip[0].proto = p.l4proto = 17;
	p.ip[0].src.family = p.ip[0].dst.family = AF_INET;
	p.ip[0].src.a[0] = p.ip[0].dst.a[0] = 10;
	p.ip[0].src.a[3] = 9;
	p.ip[0].dst.a[3] = 1;
	p.sp = 40000;
	p.dp = 53;
	f = ips_flow_lookup(t, &p, 1, &ts, &created);
	assert_non_null(f);
	assert_true(created && ts);

	/* 10.0.0.9 reports port 40000 unreachable: a packet of f, from its client. */
	p.ip[0].proto = p.l4proto = 1;
	p.sp = p.dp = 0;
	p.icmp.type = 3;
	p.icmp.code = 3;
	p.payload = quote;
	p.payload_len = sizeof(quote);
	g = ips_flow_lookup(t, &p, 2, &ts, &created);
	assert_ptr_equal(g, f);
	assert_true(ts && !created);

	/* A quote of a flow nobody saw, a fragment, a truncated quote: their own flow. */
	quote[23] = 0x41;
	assert_ptr_not_equal(ips_flow_lookup(t, &p, 3, NULL, NULL), f);
	quote[23] = 0x40;
	quote[7] = 8; /* fragment offset 64 */
	assert_ptr_not_equal(ips_flow_lookup(t, &p, 4, NULL, NULL), f);
	quote[7] = 0;
	p.payload_len = 22;
	assert_ptr_not_equal(ips_flow_lookup(t, &p, 5, NULL, NULL), f);
	/* Other ICMP types (time exceeded) stay apart too, as in Suricata 7. */
	p.payload_len = sizeof(quote);
	p.icmp.type = 11;
	assert_ptr_not_equal(ips_flow_lookup(t, &p, 6, NULL, NULL), f);
	ips_flow_table_free(t);
}

/* ---- frames ---- */

static void test_frame_keyword(void **state)
{
	struct ips_rule *r;

	(void)state;
	r = parse("alert tcp any any -> any any (frame:dns.pdu; content:\"a\"; sid:1;)");
	assert_int_equal(r->app, IPS_PROTO_DNS);
	assert_int_equal(r->opts[0].buf, IPS_BUF_FRAME_PDU);
	assert_int_equal(ips_rule_kind(r), IPS_RK_APP);
	ips_rule_free(r);
	r = parse("alert mqtt any any -> any any (frame:header; content:\"a\"; frame:data; "
	          "content:\"b\"; frame:mqtt.pdu; content:\"c\"; sid:1;)");
	assert_int_equal(r->app, IPS_PROTO_MQTT);
	assert_int_equal(r->opts[0].buf, IPS_BUF_FRAME_HEADER);
	assert_int_equal(r->opts[1].buf, IPS_BUF_FRAME_DATA);
	assert_int_equal(r->opts[2].buf, IPS_BUF_FRAME_PDU);
	ips_rule_free(r);
	/* Short form without an app protocol, unknown frames, mismatches, icmp. */
	assert_true(refused("alert tcp any any -> any any (frame:pdu; content:\"a\"; sid:1;)"));
	assert_true(refused("alert dns any any -> any any (frame:header; content:\"a\"; sid:1;)"));
	assert_true(refused("alert tcp any any -> any any (frame:http1.request; sid:1;)"));
	assert_true(
	        refused("alert mqtt any any -> any any (frame:dns.pdu; content:\"a\"; sid:1;)"));
	assert_true(refused("alert icmp any any -> any any (frame:dns.pdu; sid:1;)"));
	assert_true(refused("alert tcp any any -> any any (frame; sid:1;)"));
}

static void test_frame_match(void **state)
{
	static const char *const rules[] = {
	        "alert tcp any any -> any any (frame:dns.pdu; content:\"|01 20 00 01|\"; "
	        "offset:2; sid:1;)",
	        NULL,
	};
	struct ips_ruleset *rs = ruleset(rules);
	struct ips_detect_engine *e;
	struct ips_detect_thread *t;
	struct ips_detect_input in = {0};
	struct ips_match m[2];
	size_t n = 0;
	static const uint8_t msg[] = {0x44, 0xbe, 0x01, 0x20, 0x00, 0x01, 0, 0, 0, 0, 0, 0};
	struct ips_bufv v = {.p = msg, .len = sizeof(msg)};
	struct ips_bufv shifted = {.p = msg + 1, .len = sizeof(msg) - 1};

	(void)state;
	assert_int_equal(ips_detect_build(rs, NULL, &e, NULL), 0);
	assert_true(ips_detect_file_needs(e) & IPS_DETECT_FRAMES);
	assert_int_equal(ips_detect_thread_new(e, &t), 0);
	in.ip_version = 4;
	in.proto = 6;
	in.has_tcp = true;
	in.has_flow = true;
	in.app = IPS_PROTO_DNS;
	in.payload = (const uint8_t *)"";
	ips_detect_set_buf(&in, IPS_BUF_FRAME_PDU, &v);
	assert_int_equal(ips_detect_run(e, t, &in, m, 2, &n), 0);
	assert_int_equal(n, 1);
	ips_detect_set_buf(&in, IPS_BUF_FRAME_PDU, &shifted);
	assert_int_equal(ips_detect_run(e, t, &in, m, 2, &n), 0);
	assert_int_equal(n, 0);
	ips_detect_thread_free(t);
	ips_detect_free(e);
	ips_ruleset_free(rs);
}

/* The k-th view of buffer b of the first transaction updated in dir. */
static bool tx_view(struct app_flow *f, enum app_dir dir, enum ips_buf b, size_t k,
                    const uint8_t **p, size_t *len)
{
	for (struct app_tx *tx = app_flow_tx_first(f); tx; tx = app_tx_next(tx))
		if (app_tx_updated(tx, dir) && app_tx_buf(tx, dir, b, k, p, len) == 0)
			return true;
	return false;
}

static void test_dns_frames(void **state)
{
	static const uint8_t q[] = {0x44, 0xbe, 0x01, 0x20, 0x00, 0x01, 0, 0, 0, 0,
	                            0,    0,    1,    'a',  0,    0,    1, 0, 1};
	uint8_t tcp[2 + sizeof(q)] = {0, sizeof(q)};
	struct app_cfg cfg;
	struct app_ctx *ctx;
	struct app_flow *f;
	const uint8_t *p;
	size_t len;

	(void)state;
	memcpy(tcp + 2, q, sizeof(q));
	app_cfg_default(&cfg);
	assert_false(cfg.frames);
	cfg.frames = true;
	assert_int_equal(app_ctx_new(&ctx, &cfg), 0);
	for (int l4 = 0; l4 < 2; l4++) {
		assert_int_equal(app_flow_new(&f, ctx, l4 ? APP_L4_TCP : APP_L4_UDP), 0);
		app_flow_set_ports(f, 40000, 53);
		assert_int_equal(app_flow_feed(f, APP_DIR_TO_SERVER, l4 ? tcp : q,
		                               l4 ? sizeof(tcp) : sizeof(q)),
		                 0);
		/* The message itself, without TCP's length prefix. */
		assert_true(tx_view(f, APP_DIR_TO_SERVER, IPS_BUF_FRAME_PDU, 0, &p, &len));
		assert_int_equal(len, sizeof(q));
		assert_memory_equal(p, q, sizeof(q));
		app_flow_free(f);
	}
	app_ctx_free(ctx);
	/* Without frame rules no frames are kept. */
	app_cfg_default(&cfg);
	assert_int_equal(app_ctx_new(&ctx, &cfg), 0);
	assert_int_equal(app_flow_new(&f, ctx, APP_L4_UDP), 0);
	app_flow_set_ports(f, 40000, 53);
	assert_int_equal(app_flow_feed(f, APP_DIR_TO_SERVER, q, sizeof(q)), 0);
	assert_false(tx_view(f, APP_DIR_TO_SERVER, IPS_BUF_FRAME_PDU, 0, &p, &len));
	app_flow_free(f);
	app_ctx_free(ctx);
}

static void test_mqtt_frames(void **state)
{
	static const uint8_t connect[] = {0x10, 16, 0,  4, 'M', 'Q', 'T', 'T', 4,
	                                  0x02, 0,  60, 0, 4,   'c', 'l', 'i', 'd'};
	static const uint8_t connack[] = {0x20, 2, 0, 0};
	/* A PUBLISH of remaining length 200 (2-byte length), of which 10 bytes come. */
	static const uint8_t big[] = {0x30, 0xc8, 0x01, 0, 3, 'a', '/', 'b', 'x', 'y', 'z', 'w'};
	struct app_cfg cfg;
	struct app_ctx *ctx;
	struct app_flow *f;
	const uint8_t *p;
	size_t len;

	(void)state;
	app_cfg_default(&cfg);
	cfg.frames = true;
	cfg.mqtt_max_msg = 60;
	assert_int_equal(app_ctx_new(&ctx, &cfg), 0);
	assert_int_equal(app_flow_new(&f, ctx, APP_L4_TCP), 0);
	app_flow_set_ports(f, 40000, 1883);
	assert_int_equal(app_flow_feed(f, APP_DIR_TO_SERVER, connect, sizeof(connect)), 0);
	assert_true(tx_view(f, APP_DIR_TO_SERVER, IPS_BUF_FRAME_PDU, 0, &p, &len));
	assert_int_equal(len, sizeof(connect));
	assert_true(tx_view(f, APP_DIR_TO_SERVER, IPS_BUF_FRAME_HEADER, 0, &p, &len));
	assert_int_equal(len, 2);
	assert_memory_equal(p, "\x10\x10", 2);
	assert_true(tx_view(f, APP_DIR_TO_SERVER, IPS_BUF_FRAME_DATA, 0, &p, &len));
	assert_int_equal(len, sizeof(connect) - 2);
	assert_memory_equal(p, connect + 2, len);
	app_flow_tx_ack(f);
	assert_int_equal(app_flow_feed(f, APP_DIR_TO_CLIENT, connack, sizeof(connack)), 0);
	assert_true(tx_view(f, APP_DIR_TO_CLIENT, IPS_BUF_FRAME_PDU, 0, &p, &len));
	assert_int_equal(len, sizeof(connack));
	app_flow_tx_ack(f);
	/* Past max-msg-length: truncated, the pdu is what came, no header or data. */
	assert_int_equal(app_flow_feed(f, APP_DIR_TO_SERVER, big, sizeof(big)), 0);
	assert_true(tx_view(f, APP_DIR_TO_CLIENT, IPS_BUF_FRAME_PDU, 0, &p, &len));
	assert_int_equal(len, sizeof(big));
	assert_false(tx_view(f, APP_DIR_TO_CLIENT, IPS_BUF_FRAME_HEADER, 0, &p, &len));
	app_flow_free(f);
	app_ctx_free(ctx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_action_order_parse), cmocka_unit_test(test_action_order_run),
	        cmocka_unit_test(test_flow_wide),          cmocka_unit_test(test_ip_only_rules),
	        cmocka_unit_test(test_ip_only_once),       cmocka_unit_test(test_pass_packet_only),
	        cmocka_unit_test(test_drop_flow),          cmocka_unit_test(test_drop_before_pass),
	        cmocka_unit_test(test_alert_max),          cmocka_unit_test(test_icmp_error_flow),
	        cmocka_unit_test(test_frame_keyword),      cmocka_unit_test(test_frame_match),
	        cmocka_unit_test(test_dns_frames),         cmocka_unit_test(test_mqtt_frames),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
