/* SPDX-License-Identifier: ISC */
/*
 * TCP stream tracking and reassembly tests, table-driven: each case is a
 * list of segments (direction, flags, seq, ack, payload) fed through the
 * flow table and ips_stream_packet(), and the expected reassembled bytes of
 * each direction, gaps, the exact set of stream events and the final flow
 * and session states. Covered: handshake variants (normal, SYN resend with
 * a new ISN, also after the client's FIN already ended its direction,
 * SYN/ACK with a wrong ACK, refused by RST), midstream pickup
 * off (Suricata's default) and on, reorder, retransmission, overlaps with
 * the same and with different data (first wins), ACK-driven gaps, the queue
 * cap, the depth, FIN and RST close, data after FIN, invalid RST, sequence
 * wraparound and both directions interleaved. Packets are filled in
 * struct ips_packet directly: the decoder has its own tests.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "ips/decode.h"
#include "ips/flow.h"
#include "ips/stream.h"
#include "lib/err.h"

enum { FIN = 0x01, SYN = 0x02, RST = 0x04, PSH = 0x08, ACK = 0x10, MAXSTEPS = 16 };

#define EV(x) (1u << IPS_SEV_##x)

struct step {
	char dir; /* 'c': client to server, 's': server to client */
	uint8_t flags;
	uint32_t seq, ack;
	const char *data; /* or: */
	char fill;        /* n bytes of fill */
	uint16_t n;
	uint8_t opt; /* OPT_TS: timestamp option tsval/tsecr; OPT_MD5: TCP-MD5 signature */
	uint32_t tsval, tsecr;
};

enum { OPT_TS = 1, OPT_MD5 = 2, OPT_TFO = 4 };

struct tcase {
	const char *name;
	bool midstream;
	bool async_oneside;
	uint64_t depth;   /* 0: default 1 MiB */
	size_t queue_cap; /* 0: default */
	struct step steps[MAXSTEPS];
	const char *ts, *tc; /* expected bytes (NULL: none delivered) */
	unsigned gaps;
	uint32_t events;
	enum ips_flow_state fstate;
	bool tracked;
	bool eof_ts, eof_tc;
};

struct sink {
	char buf[2][4096];
	size_t len[2];
	unsigned gaps, starts[2], eofs[2], depth[2];
	uint64_t next_off[2];
};

static void on_data(void *arg, struct ips_flow_rec *f, bool to_server,
                    const struct ips_stream_chunk *c)
{
	struct sink *k = arg;
	unsigned d = to_server ? 0 : 1;

	(void)f;
	assert_int_equal(k->eofs[d], 0); /* nothing after EOF */
	if (c->flags & IPS_STREAM_GAP)
		k->gaps++;
	if (c->flags & IPS_STREAM_START)
		k->starts[d]++;
	if (c->flags & IPS_STREAM_EOF)
		k->eofs[d]++;
	if (c->flags & IPS_STREAM_DEPTH)
		k->depth[d]++;
	/* Offsets are contiguous: previous end plus the gap. */
	assert_int_equal(c->offset, k->next_off[d] + c->gap);
	k->next_off[d] = c->offset + c->len;
	assert_true(k->len[d] + c->len < sizeof(k->buf[d]));
	if (c->len)
		memcpy(k->buf[d] + k->len[d], c->data, c->len);
	k->len[d] += c->len;
}

static const uint8_t cli4[4] = {10, 0, 0, 1}, srv4[4] = {10, 0, 0, 2};
static uint8_t pay[2048];
static const uint8_t l4hdr[20];

static void mkpkt(struct ips_packet *p, const struct step *s)
{
	bool c = s->dir == 'c';
	struct ips_ip *ip = &p->ip[0];
	size_t n = s->data ? strlen(s->data) : s->n;

	memset(p, 0, sizeof(*p));
	p->n_ip = 1;
	ip->version = 4;
	ip->proto = 6;
	ip->src.family = ip->dst.family = AF_INET;
	memcpy(ip->src.a, c ? cli4 : srv4, 4);
	memcpy(ip->dst.a, c ? srv4 : cli4, 4);
	p->l4proto = 6;
	p->sp = c ? 40000 : 80;
	p->dp = c ? 80 : 40000;
	p->tcp.seq = s->seq;
	p->tcp.ack = s->ack;
	p->tcp.flags = s->flags;
	p->tcp.win = 65535;
	p->tcp.has_ts = (s->opt & OPT_TS) != 0;
	p->tcp.ts_val = s->tsval;
	p->tcp.ts_ecr = s->tsecr;
	p->tcp.has_md5_ao = (s->opt & OPT_MD5) != 0;
	p->tcp.has_tfo = (s->opt & OPT_TFO) != 0;
	p->l4 = l4hdr;
	if (s->data)
		memcpy(pay, s->data, n);
	else
		memset(pay, s->fill, n);
	p->payload = n ? pay : NULL;
	p->payload_len = n;
	p->len = 54 + n;
}

/* ISNs: client 1000 (data from 1001), server 5000 (data from 5001). */
#define HS                                                                                         \
	{'c', SYN, 1000, 0, NULL, 0, 0}, {'s', SYN | ACK, 5000, 1001, NULL, 0, 0},                 \
	{                                                                                          \
		'c', ACK, 1001, 5001, NULL, 0, 0                                                   \
	}

static const struct tcase cases[] = {
        /* bug-3286: a forged RST and FIN whose timestamp echo is not the
         * SYN's TSval must not end the connection before the handshake. */
        {.name = "SYN_SENT replies with a wrong timestamp echo are ignored",
         .steps = {{'c', SYN, 1000, 0, NULL, 0, 0, OPT_TS, 777, 0},
                   {'s', RST | ACK, 0, 1001, NULL, 0, 0, OPT_TS, 100, 100},
                   {'s', FIN | ACK, 0, 1001, NULL, 0, 0, OPT_TS, 100, 100},
                   {'c', RST, 1001, 0, NULL, 0, 0},
                   {'s', SYN | ACK, 5000, 1001, NULL, 0, 0, OPT_TS, 900, 777},
                   {'c', ACK, 1001, 5001, NULL, 0, 0},
                   {'c', ACK | PSH, 1001, 5001, "GET /"}},
         .ts = "GET /",
         .events = EV(PKT_INVALID_TIMESTAMP),
         .fstate = IPS_FST_ESTABLISHED,
         .tracked = true},
        /* RFC 7413: data on a SYN with a Fast Open cookie starts the stream,
         * and the SYN/ACK may acknowledge it. */
        {.name = "TCP Fast Open data on the SYN",
         .steps = {{'c', SYN, 1000, 0, "GET /", 0, 0, OPT_TFO},
                   {'s', SYN | ACK, 5000, 1006, NULL, 0, 0},
                   {'c', ACK, 1006, 5001, NULL, 0, 0},
                   {'c', ACK | PSH, 1006, 5001, "x"}},
         .ts = "GET /x",
         .fstate = IPS_FST_ESTABLISHED,
         .tracked = true},
        {.name = "SYN data without Fast Open is not stream data",
         .steps = {{'c', SYN, 1000, 0, "GET /", 0, 0},
                   {'s', SYN | ACK, 5000, 1001, NULL, 0, 0},
                   {'c', ACK, 1001, 5001, NULL, 0, 0},
                   {'c', ACK | PSH, 1001, 5001, "x"}},
         .ts = "x",
         .fstate = IPS_FST_ESTABLISHED,
         .tracked = true},
        /* security-4710: a TCP-MD5 signed RST is not applied; the sender
         * going on afterwards marks it injected. */
        {.name = "signed RST followed by data from its sender",
         .steps = {HS,
                   {'c', RST | ACK, 1001, 5001, NULL, 0, 0, OPT_MD5},
                   {'c', ACK | PSH, 1001, 5001, "GET /"}},
         .ts = "GET /",
         .events = EV(SUSPECTED_RST_INJECT),
         .fstate = IPS_FST_ESTABLISHED,
         .tracked = true},
        {.name = "handshake, data both ways, FIN close",
         .steps = {HS,
                   {'c', ACK | PSH, 1001, 5001, "GET /"},
                   {'s', ACK | PSH, 5001, 1006, "HTTP"},
                   {'c', ACK | FIN, 1006, 5005, ""},
                   {'s', ACK | FIN, 5005, 1007, ""},
                   {'c', ACK, 1007, 5006, ""}},
         .ts = "GET /",
         .tc = "HTTP",
         .fstate = IPS_FST_CLOSED,
         .tracked = true,
         .eof_ts = true,
         .eof_tc = true},
        {.name = "reorder",
         .steps = {HS, {'c', ACK, 1004, 5001, "BBB"}, {'c', ACK, 1001, 5001, "AAA"}},
         .ts = "AAABBB",
         .fstate = IPS_FST_ESTABLISHED,
         .tracked = true},
        {.name = "retransmission ignored",
         .steps = {HS,
                   {'c', ACK, 1001, 5001, "AAA"},
                   {'c', ACK, 1001, 5001, "AAA"},
                   {'c', ACK, 1001, 5001, "AAAB"}},
         .ts = "AAAB",
         .events = EV(PKT_RETRANSMISSION),
         .fstate = IPS_FST_ESTABLISHED,
         .tracked = true},
        {.name = "overlap, same data",
         .steps = {HS,
                   {'c', ACK, 1004, 5001, "BBBCCC"},
                   {'c', ACK, 1004, 5001, "BBB"},
                   {'c', ACK, 1001, 5001, "AAA"}},
         .ts = "AAABBBCCC",
         .fstate = IPS_FST_ESTABLISHED,
         .tracked = true},
        {.name = "overlap, different data: first wins",
         .steps = {HS,
                   {'c', ACK, 1004, 5001, "BBB"},
                   {'c', ACK, 1004, 5001, "XXXCCC"},
                   {'c', ACK, 1001, 5001, "AAA"}},
         .ts = "AAABBBCCC",
         .events = EV(OVERLAP_DIFF),
         .fstate = IPS_FST_ESTABLISHED,
         .tracked = true},
        {.name = "in-order segment over queued bytes: queued bytes win",
         .steps = {HS, {'c', ACK, 1007, 5001, "CCC"}, {'c', ACK, 1001, 5001, "AAABBBZZZD"}},
         .ts = "AAABBBCCCD",
         .events = EV(OVERLAP_DIFF),
         .fstate = IPS_FST_ESTABLISHED,
         .tracked = true},
        {.name = "gap: peer ACKs bytes never captured",
         .steps = {HS,
                   {'c', ACK, 1001, 5001, "AAA"},
                   {'c', ACK, 1007, 5001, "CCC"},
                   {'s', ACK, 5001, 1010, ""}},
         .ts = "AAACCC",
         .gaps = 1,
         .events = EV(GAP),
         .fstate = IPS_FST_ESTABLISHED,
         .tracked = true},
        {.name = "gap at the end, then FIN acknowledged",
         .steps = {HS,
                   {'c', ACK, 1001, 5001, "AAA"},
                   {'c', ACK | FIN, 1007, 5001, "CCC"},
                   {'s', ACK | FIN, 5001, 1011, ""},
                   {'c', ACK, 1011, 5002, ""}},
         .ts = "AAACCC",
         .gaps = 1,
         .events = EV(GAP),
         .fstate = IPS_FST_CLOSED,
         .tracked = true,
         .eof_ts = true,
         .eof_tc = true},
        {.name = "queue cap: oldest hole skipped",
         .queue_cap = 150,
         .steps = {HS,
                   {'c', ACK, 1011, 5001, NULL, 'X', 100},
                   {'c', ACK, 1121, 5001, NULL, 'Y', 100},
                   {'c', ACK, 1111, 5001, "ZZZZZZZZZZ"}},
         .ts = "XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX"
               "XXXXXXXXXXXXXXXXXXXXZZZZZZZZZZYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYY"
               "YYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYY",
         .gaps = 1,
         .events = EV(GAP),
         .fstate = IPS_FST_ESTABLISHED,
         .tracked = true},
        {.name = "depth",
         .depth = 4,
         .steps = {HS, {'c', ACK, 1001, 5001, "AAABBB"}, {'c', ACK, 1007, 5001, "CCC"}},
         .ts = "AAAB",
         .events = EV(DEPTH),
         .fstate = IPS_FST_ESTABLISHED,
         .tracked = true},
        {.name = "RST closes both directions",
         .steps = {HS,
                   {'c', ACK, 1001, 5001, "AAA"},
                   {'c', ACK, 1007, 5001, "CCC"},
                   {'s', RST, 5001, 0, ""}},
         .ts = "AAACCC",
         .gaps = 1,
         .events = EV(GAP),
         .fstate = IPS_FST_CLOSED,
         .tracked = true,
         .eof_ts = true,
         .eof_tc = true},
        {.name = "RST outside the window ignored",
         .steps = {HS, {'s', RST, 900000, 0, ""}, {'c', ACK, 1001, 5001, "AAA"}},
         .ts = "AAA",
         .events = EV(RST_INVALID),
         .fstate = IPS_FST_ESTABLISHED,
         .tracked = true},
        {.name = "refused: RST/ACK to the SYN",
         .steps = {{'c', SYN, 1000, 0, NULL}, {'s', RST | ACK, 0, 1001, NULL}},
         .fstate = IPS_FST_CLOSED,
         .tracked = true,
         .eof_ts = true,
         .eof_tc = true},
        {.name = "midstream off: no session",
         .steps = {{'c', ACK, 1001, 5001, "AAA"}, {'s', ACK, 5001, 1004, "BBB"}},
         .fstate = IPS_FST_NEW},
        {.name = "midstream on: picked up",
         .midstream = true,
         .steps = {{'c', ACK, 1001, 5001, "AAA"},
                   {'s', ACK, 5001, 1004, "BBB"},
                   {'c', ACK, 1004, 5004, "CCC"}},
         .ts = "AAACCC",
         .tc = "BBB",
         .fstate = IPS_FST_ESTABLISHED,
         .tracked = true},
        {.name = "async-oneside: the server's side alone, from its SYN/ACK",
         .async_oneside = true,
         .steps = {{'s', SYN | ACK, 5000, 1001, NULL},
                   {'s', ACK, 5001, 1001, "BBB"},
                   {'s', ACK, 5004, 1001, "CCC"}},
         .tc = "BBBCCC",
         .fstate = IPS_FST_ESTABLISHED,
         .tracked = true},
        {.name = "async-oneside off: a SYN/ACK alone makes no session",
         .steps = {{'s', SYN | ACK, 5000, 1001, NULL}, {'s', ACK, 5001, 1001, "BBB"}},
         .fstate = IPS_FST_NEW},
        {.name = "SYN/ACK with a wrong ACK",
         .steps = {{'c', SYN, 1000, 0, NULL},
                   {'s', SYN | ACK, 5000, 7777, NULL},
                   {'c', ACK, 1001, 5001, "AAA"}},
         /* Still SYN_SENT: data before an acceptable SYN/ACK is ignored (Suricata). */
         .events = EV(3WHS_SYNACK_WRONG_ACK),
         .fstate = IPS_FST_NEW,
         .tracked = true},
        {.name = "SYN resent with another ISN",
         .steps = {{'c', SYN, 1000, 0, NULL},
                   {'c', SYN, 3000, 0, NULL},
                   {'s', SYN | ACK, 5000, 3001, NULL},
                   {'c', ACK, 3001, 5001, "AAA"}},
         .ts = "AAA",
         .events = EV(3WHS_SYN_RESEND_DIFF_SEQ),
         .fstate = IPS_FST_ESTABLISHED,
         .tracked = true},
        {.name = "SYN resent with another ISN after a FIN in SYN_SENT",
         /* The SYN/ACK has a wrong ACK (ignored, still SYN_SENT); the
          * client's FIN before any acceptable SYN/ACK is ignored too (as
          * Suricata), so nothing of the direction reached the consumer and
          * the new ISN restarts it: one EOF at the flush, no second one
          * (fuzz_stream regression, seed syn-resend-after-eof). */
         .steps = {{'c', SYN, 1000, 0, NULL},
                   {'s', SYN | ACK, 5000, 7777, NULL},
                   {'c', ACK | FIN, 1001, 5001, NULL},
                   {'c', SYN, 3000, 0, NULL}},
         .events = EV(3WHS_SYNACK_WRONG_ACK) | EV(3WHS_SYN_RESEND_DIFF_SEQ),
         .fstate = IPS_FST_NEW,
         .tracked = true},
        {.name = "SYN resent with another ISN after a FIN in SYN_SENT, then data",
         /* Data before the handshake completes is not delivered either. */
         .steps = {{'c', SYN, 1000, 0, NULL},
                   {'s', SYN | ACK, 5000, 7777, NULL},
                   {'c', ACK | FIN, 1001, 5001, NULL},
                   {'c', SYN, 3000, 0, NULL},
                   {'c', ACK, 3001, 5001, "BBB"}},
         .events = EV(3WHS_SYNACK_WRONG_ACK) | EV(3WHS_SYN_RESEND_DIFF_SEQ),
         .fstate = IPS_FST_NEW,
         .tracked = true},
        {.name = "final ACK acknowledging nothing sent",
         .steps = {{'c', SYN, 1000, 0, NULL},
                   {'s', SYN | ACK, 5000, 1001, NULL},
                   {'c', ACK, 1001, 9999, NULL}},
         .events = EV(3WHS_ACK_WRONG),
         .fstate = IPS_FST_NEW,
         .tracked = true},
        {.name = "data after FIN",
         .steps = {HS, {'c', ACK | FIN, 1001, 5001, "AAA"}, {'c', ACK, 1005, 5001, "BBB"}},
         .ts = "AAA",
         .events = EV(DATA_AFTER_FIN),
         .fstate = IPS_FST_ESTABLISHED,
         .tracked = true,
         .eof_ts = true},
        {.name = "sequence numbers wrap around",
         .steps = {{'c', SYN, 0xfffffffd, 0, NULL},
                   {'s', SYN | ACK, 5000, 0xfffffffe, NULL},
                   {'c', ACK, 0xfffffffe, 5001, NULL},
                   {'c', ACK, 0x00000001, 5001, "CCC"},
                   {'c', ACK, 0xfffffffe, 5001, "AAB"}},
         .ts = "AABCCC",
         .fstate = IPS_FST_ESTABLISHED,
         .tracked = true},
        {.name = "both directions interleaved and reordered",
         .steps = {HS,
                   {'s', ACK, 5004, 1001, "bbb"},
                   {'c', ACK, 1004, 5001, "BBB"},
                   {'s', ACK, 5001, 1001, "aaa"},
                   {'c', ACK, 1001, 5001, "AAA"},
                   {'c', ACK, 1007, 5007, "CC"},
                   {'s', ACK, 5007, 1009, "cc"}},
         .ts = "AAABBBCC",
         .tc = "aaabbbcc",
         .fstate = IPS_FST_ESTABLISHED,
         .tracked = true},
        {.name = "SYN on an established session with another ISN",
         .steps = {HS, {'c', SYN, 7000, 0, NULL}, {'c', ACK, 1001, 5001, "AAA"}},
         .ts = "AAA",
         .events = EV(SYN_ON_ESTABLISHED),
         .fstate = IPS_FST_ESTABLISHED,
         .tracked = true},
};

static void run_case(const struct tcase *tc)
{
	struct ips_stream_cfg scfg;
	struct ips_stream_ctx *ctx;
	struct ips_flow_table *t = ips_flow_table_new(NULL);
	struct ips_stream_cb cb = {.data = on_data};
	struct ips_flow_rec *f = NULL;
	struct ips_stream_info info;
	struct sink *k = calloc(1, sizeof(*k));
	uint32_t all_ev = 0;

	assert_non_null(t);
	assert_non_null(k);
	ips_stream_cfg_default(&scfg);
	scfg.midstream = tc->midstream;
	scfg.async_oneside = tc->async_oneside;
	if (tc->depth)
		scfg.depth = tc->depth;
	if (tc->queue_cap)
		scfg.queue_cap = tc->queue_cap;
	ctx = ips_stream_ctx_new(&scfg);
	assert_non_null(ctx);
	for (unsigned i = 0; i < MAXSTEPS && tc->steps[i].dir; i++) {
		struct ips_packet p;
		bool ts, created;
		uint32_t ev;

		mkpkt(&p, &tc->steps[i]);
		f = ips_flow_lookup(t, &p, (uint64_t)i * 1000000, &ts, &created);
		assert_non_null(f);
		assert_int_equal(created, i == 0);
		/* The client is c (the first sender, or the receiver of a first SYN/ACK). */
		assert_int_equal(ts, tc->steps[i].dir == 'c');
		assert_int_equal(
		        ips_stream_packet(ctx, f, &p, ts, (uint64_t)i * 1000000, &cb, k, &ev), 0);
		all_ev |= ev;
	}
	print_message("  %s: ts=%zu tc=%zu gaps=%u events=%#x\n", tc->name, k->len[0], k->len[1],
	              k->gaps, all_ev);
	assert_non_null(f);
	assert_int_equal(k->len[0], tc->ts ? strlen(tc->ts) : 0);
	assert_int_equal(k->len[1], tc->tc ? strlen(tc->tc) : 0);
	if (tc->ts)
		assert_memory_equal(k->buf[0], tc->ts, strlen(tc->ts));
	if (tc->tc)
		assert_memory_equal(k->buf[1], tc->tc, strlen(tc->tc));
	assert_int_equal(k->gaps, tc->gaps);
	assert_int_equal(all_ev, tc->events);
	assert_int_equal(f->state, tc->fstate);
	ips_stream_info(f, &info);
	assert_int_equal(info.tracked, tc->tracked);
	if (info.tracked)
		assert_int_equal(info.events, tc->events);
	assert_int_equal(k->eofs[0], tc->eof_ts);
	assert_int_equal(k->eofs[1], tc->eof_tc);
	assert_true(k->starts[0] <= 1 && k->starts[1] <= 1);
	for (unsigned d = 0; d < 2; d++) {
		assert_int_equal(info.delivered[d], k->len[d]);
		assert_true(info.delivered[d] <= info.rx_bytes[d]);
	}
	if (tc->depth)
		assert_int_equal(k->depth[0], 1);
	/* Flow end: EOF for every direction not ended yet, once. */
	ips_stream_flush(f, &cb, k);
	if (info.tracked) {
		assert_int_equal(k->eofs[0], 1);
		assert_int_equal(k->eofs[1], 1);
	}
	ips_flow_table_free(t);
	assert_int_equal(ips_stream_ctx_stats(ctx)->mem, 0);
	ips_stream_ctx_free(ctx);
	free(k);
}

static void test_cases(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		run_case(&cases[i]);
}

/* Names line up with the enum (X-macro) and unknown values are safe. */
static void test_names(void **state)
{
	(void)state;
	assert_string_equal(ips_stream_event_name(IPS_SEV_OVERLAP_DIFF),
	                    "stream.reassembly_overlap_different_data");
	assert_string_equal(ips_stream_event_name(IPS_SEV_GAP), "stream.reassembly_seq_gap");
	assert_string_equal(ips_stream_event_name(-1), "unknown");
	assert_string_equal(ips_stream_event_name(IPS_SEV__COUNT), "unknown");
	assert_string_equal(ips_tcp_state_name(IPS_TCP_ESTABLISHED), "established");
	assert_string_equal(ips_tcp_state_name(99), "unknown");
}

/* A session refused by the stream memcap: BW_ERR_LIMIT, counted. */
static void test_session_memcap(void **state)
{
	struct ips_stream_cfg scfg;
	struct ips_stream_ctx *ctx;
	struct ips_flow_table *t = ips_flow_table_new(NULL);
	struct step s = {.dir = 'c', .flags = SYN, .seq = 1000};
	struct ips_packet p;
	struct ips_flow_rec *f;
	bool ts;

	(void)state;
	ips_stream_cfg_default(&scfg);
	scfg.memcap = 16;
	ctx = ips_stream_ctx_new(&scfg);
	mkpkt(&p, &s);
	f = ips_flow_lookup(t, &p, 0, &ts, NULL);
	assert_non_null(f);
	assert_int_equal(ips_stream_packet(ctx, f, &p, ts, 0, NULL, NULL, NULL), BW_ERR_LIMIT);
	assert_null(f->tcp);
	assert_int_equal(ips_stream_ctx_stats(ctx)->memcap_drops, 1);
	ips_flow_table_free(t);
	ips_stream_ctx_free(ctx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_cases),
	        cmocka_unit_test(test_names),
	        cmocka_unit_test(test_session_memcap),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
