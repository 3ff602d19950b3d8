/* SPDX-License-Identifier: ISC */
/*
 * Fragment reassembly tests: IPv4 and IPv6 in order, out of order, with
 * duplicates; the overlap policies case by case (BSD, first, drop); the last
 * fragment disagreeing; timeouts driven by the caller's clock; the memory cap
 * with eviction of the oldest; the per-tracker fragment cap; the 65535-byte
 * limit; keys (protocol, VLAN); and a fragment inside a GRE tunnel going
 * back through ips_decode_reassembled() with its outer layers kept.
 * Fragments are built here byte by byte and go through ips_decode() first,
 * as in the engine.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ips/decode.h"
#include "ips/defrag.h"
#include "lib/err.h"
#include "lib/rd.h"

enum { PROTO_TEST = 253, SEC = 1000000000 };

static const uint8_t src4[4] = {192, 0, 2, 1}, dst4[4] = {198, 51, 100, 2};
static const uint8_t src6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1};
static const uint8_t dst6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 2};

struct buf {
	uint8_t b[70000];
	size_t len;
};

/* An IPv4 fragment: 20-byte header, offset in bytes (multiple of 8). */
static void frag4(struct buf *o, uint16_t id, uint8_t proto, size_t off, bool mf,
                  const uint8_t *data, size_t len)
{
	uint8_t *h = o->b;
	uint16_t c;

	memset(h, 0, 20);
	h[0] = 0x45;
	bw_put_be16(h + 2, (uint16_t)(20 + len));
	bw_put_be16(h + 4, id);
	bw_put_be16(h + 6, (uint16_t)((mf ? 0x2000 : 0) | (off / 8)));
	h[8] = 64;
	h[9] = proto;
	memcpy(h + 12, src4, 4);
	memcpy(h + 16, dst4, 4);
	c = ips_csum_fold(ips_csum_add(0, h, 20));
	bw_put_be16(h + 10, c);
	memcpy(h + 20, data, len);
	o->len = 20 + len;
}

/* An IPv6 fragment with a hop-by-hop header before the fragment header. */
static void frag6(struct buf *o, uint32_t id, uint8_t nh, size_t off, bool mf, const uint8_t *data,
                  size_t len)
{
	uint8_t *h = o->b;

	memset(h, 0, 56);
	h[0] = 0x60;
	bw_put_be16(h + 4, (uint16_t)(16 + len));
	h[6] = 0; /* hop-by-hop */
	h[7] = 64;
	memcpy(h + 8, src6, 16);
	memcpy(h + 24, dst6, 16);
	h[40] = 44; /* hop-by-hop: next is fragment, length 0 (8 bytes), PadN */
	h[42] = 1;
	h[43] = 4;
	h[48] = nh;
	bw_put_be16(h + 50, (uint16_t)(off | (mf ? 1 : 0)));
	bw_put_be32(h + 52, id);
	memcpy(h + 56, data, len);
	o->len = 56 + len;
}

/* A UDP datagram (header + payload) whose checksum is right for the given addresses. */
static size_t udp_dgram(uint8_t *o, const uint8_t *s, const uint8_t *d, size_t alen, size_t plen)
{
	uint8_t ph[8];
	uint32_t sum;

	bw_put_be16(o, 1111);
	bw_put_be16(o + 2, 2222);
	bw_put_be16(o + 4, (uint16_t)(8 + plen));
	o[6] = o[7] = 0;
	for (size_t i = 0; i < plen; i++)
		o[8 + i] = (uint8_t)(i * 7 + 3);
	sum = ips_csum_add(0, s, alen);
	sum = ips_csum_add(sum, d, alen);
	bw_put_be32(ph, (uint32_t)(8 + plen));
	bw_put_be32(ph + 4, 17);
	sum = ips_csum_add(sum, ph, 8);
	sum = ips_csum_add(sum, o, 8 + plen);
	bw_put_be16(o + 6, ips_csum_fold(sum));
	return 8 + plen;
}

/* Decodes and offers one fragment; returns ips_defrag_add's result. */
static int offer(struct ips_defrag *df, struct ips_packet *p, const struct buf *f, uint64_t now,
                 struct ips_dgram **g)
{
	ips_decode(p, f->b, f->len, IPS_LINK_RAW, NULL);
	assert_true(p->flags & IPS_PKT_FRAG);
	return ips_defrag_add(df, p, p->n_ip - 1u, now, g);
}

/* Splits `d` into pieces at the given byte offsets and offers them in `order`. */
static struct ips_dgram *run4(struct ips_defrag *df, const uint8_t *d, size_t len,
                              const size_t *cuts, size_t ncuts, const size_t *order, uint16_t id,
                              uint8_t proto)
{
	struct ips_dgram *out = NULL;
	struct ips_packet p;
	static struct buf f;

	for (size_t i = 0; i < ncuts + 1; i++) {
		size_t k = order[i];
		size_t s = k == 0 ? 0 : cuts[k - 1], e = k == ncuts ? len : cuts[k];
		struct ips_dgram *g = NULL;

		frag4(&f, id, proto, s, k != ncuts, d + s, e - s);
		assert_int_equal(offer(df, &p, &f, 1, &g), 0);
		if (g != NULL) {
			assert_null(out);
			assert_int_equal(i, ncuts); /* complete only on the last piece */
			out = g;
		}
	}
	return out;
}

static void check_udp4(const struct ips_dgram *g, size_t plen)
{
	struct ips_packet p;
	size_t len;
	const uint8_t *d = ips_dgram_data(g, &len);

	assert_int_equal(len, 20 + 8 + plen);
	assert_int_equal(ips_decode(&p, d, len, IPS_LINK_RAW, NULL), 0);
	assert_int_equal(p.n_events, 0); /* header and UDP checksums right */
	assert_int_equal(p.l4proto, 17);
	assert_int_equal(p.sp, 1111);
	assert_int_equal(p.payload_len, plen);
	assert_false(p.ip[0].mf);
	assert_int_equal(p.ip[0].frag_off, 0);
}

static void test_v4_orders(void **state)
{
	static uint8_t d[2000];
	const size_t cuts[] = {8, 200, 1000, 1480};
	const size_t orders[][5] = {{0, 1, 2, 3, 4},
	                            {4, 3, 2, 1, 0},
	                            {2, 0, 4, 1, 3},
	                            {4, 0, 1, 2, 3},
	                            {1, 2, 3, 4, 0}};
	size_t len = udp_dgram(d, src4, dst4, 4, 1500);

	(void)state;
	for (size_t o = 0; o < sizeof(orders) / sizeof(orders[0]); o++) {
		struct ips_defrag *df = ips_defrag_new(NULL);
		struct ips_dgram *g;

		g = run4(df, d, len, cuts, 4, orders[o], (uint16_t)(100 + o), 17);
		assert_non_null(g);
		check_udp4(g, 1500);
		assert_int_equal(ips_defrag_stats(df)->reassembled, 1);
		assert_int_equal(ips_defrag_stats(df)->trackers, 0);
		ips_defrag_release(df, g);
		assert_int_equal(ips_defrag_stats(df)->mem, 0);
		ips_defrag_free(df);
	}
}

static void test_v4_duplicates(void **state)
{
	static uint8_t d[200];
	static struct buf f;
	size_t len = udp_dgram(d, src4, dst4, 4, 100);
	struct ips_defrag *df = ips_defrag_new(NULL);
	struct ips_dgram *g = NULL;
	struct ips_packet p;

	(void)state;
	frag4(&f, 7, 17, 0, true, d, 64);
	assert_int_equal(offer(df, &p, &f, 0, &g), 0);
	assert_null(g);
	assert_int_equal(offer(df, &p, &f, 0, &g), 0); /* exact duplicate */
	assert_null(g);
	assert_true(ips_packet_has_event(&p, IPS_EV_FRAG_OVERLAP));
	frag4(&f, 7, 17, 64, false, d + 64, len - 64);
	assert_int_equal(offer(df, &p, &f, 0, &g), 0);
	assert_non_null(g);
	check_udp4(g, 100);
	assert_int_equal(ips_defrag_stats(df)->overlaps, 1);
	/* A late duplicate after completion starts a new tracker, which never completes. */
	assert_int_equal(offer(df, &p, &f, 0, &g), 0);
	assert_null(g);
	assert_int_equal(ips_defrag_stats(df)->trackers, 1);
	ips_defrag_free(df); /* frees the unreleased datagram and the tracker (ASan) */
}

/*
 * Overlap cases over a 48-byte payload (not UDP: protocol 253). Each case
 * sends pieces of constant fill; the expected result says which fill each
 * 8-byte block holds.
 */
struct piece {
	size_t off, len;
	bool mf;
	uint8_t fill;
};

static void overlap_case(enum ips_defrag_policy pol, const struct piece *pc, size_t n,
                         const char *want)
{
	struct ips_defrag_cfg cfg = {.policy4 = pol};
	struct ips_defrag *df = ips_defrag_new(&cfg);
	struct ips_dgram *g = NULL;
	struct ips_packet p;
	static struct buf f;
	static uint8_t fill[100];
	size_t len;
	const uint8_t *d;

	for (size_t i = 0; i < n; i++) {
		memset(fill, pc[i].fill, sizeof(fill));
		frag4(&f, 9, PROTO_TEST, pc[i].off, pc[i].mf, fill, pc[i].len);
		offer(df, &p, &f, 0, &g);
		if (g != NULL)
			break;
	}
	if (want == NULL) {
		assert_null(g);
	} else {
		assert_non_null(g);
		d = ips_dgram_data(g, &len);
		assert_int_equal(len, 20 + strlen(want) * 8);
		for (size_t b = 0; b < strlen(want); b++)
			for (size_t i = 0; i < 8; i++)
				if (d[20 + b * 8 + i] != (uint8_t)want[b])
					fail_msg("block %zu byte %zu: %c want %c", b, i,
					         d[20 + b * 8 + i], want[b]);
	}
	assert_true(ips_defrag_stats(df)->overlaps > 0);
	ips_defrag_free(df);
}

static void test_v4_overlap(void **state)
{
	(void)state;
	/* New starts inside held data: held bytes win (BSD and first). */
	const struct piece a[] = {{0, 24, true, 'A'}, {16, 16, true, 'B'}, {32, 16, false, 'C'}};
	overlap_case(IPS_DEFRAG_BSD, a, 3, "AAABCC");
	overlap_case(IPS_DEFRAG_FIRST, a, 3, "AAABCC");
	/* Same offset, same length: first wins. */
	const struct piece b[] = {
	        {8, 16, true, 'A'}, {8, 16, true, 'B'}, {0, 8, true, 'Z'}, {24, 8, false, 'C'}};
	overlap_case(IPS_DEFRAG_BSD, b, 4, "ZAAC");
	/* New starts before a held fragment and covers it: BSD takes the new; first keeps held. */
	const struct piece c[] = {
	        {16, 8, true, 'A'}, {8, 24, true, 'B'}, {0, 8, true, 'Z'}, {32, 8, false, 'C'}};
	overlap_case(IPS_DEFRAG_BSD, c, 4, "ZBBBC");
	overlap_case(IPS_DEFRAG_FIRST, c, 4, "ZBABC");
	/* New starts before and ends inside a held fragment: held wins the overlap. */
	const struct piece d[] = {
	        {16, 16, true, 'A'}, {8, 16, true, 'B'}, {0, 8, true, 'Z'}, {32, 8, false, 'C'}};
	overlap_case(IPS_DEFRAG_BSD, d, 4, "ZBAAC");
	/* One new fragment spanning two held ones with a hole between (first: split). */
	const struct piece e[] = {
	        {8, 8, true, 'A'}, {24, 8, true, 'C'}, {0, 40, true, 'N'}, {40, 8, false, 'L'}};
	overlap_case(IPS_DEFRAG_BSD, e, 4, "NNNNNL");
	overlap_case(IPS_DEFRAG_FIRST, e, 4, "NANCNL");
	/* Drop policy (RFC 5722): the datagram is gone, later fragments too. */
	overlap_case(IPS_DEFRAG_DROP, a, 3, NULL);
}

static void test_v4_mismatch_and_limits(void **state)
{
	static uint8_t d[70000];
	static struct buf f;
	struct ips_defrag_cfg cfg = {.max_frags = 4};
	struct ips_defrag *df = ips_defrag_new(&cfg);
	struct ips_dgram *g = NULL;
	struct ips_packet p;

	(void)state;
	memset(d, 'x', sizeof(d));
	/* Two last fragments disagreeing on the end. */
	frag4(&f, 1, PROTO_TEST, 16, false, d, 16);
	assert_int_equal(offer(df, &p, &f, 0, &g), 0);
	frag4(&f, 1, PROTO_TEST, 16, false, d, 24);
	assert_int_equal(offer(df, &p, &f, 0, &g), BW_ERR_INVAL);
	assert_true(ips_packet_has_event(&p, IPS_EV_FRAG_MISMATCH));
	/* A non-last fragment reaching past the known end. */
	frag4(&f, 1, PROTO_TEST, 24, true, d, 16);
	assert_int_equal(offer(df, &p, &f, 0, &g), BW_ERR_INVAL);
	/* Past 65535 bytes: the decoder flags it and defrag refuses it. */
	frag4(&f, 2, PROTO_TEST, 65512, true, d, 24);
	ips_decode(&p, f.b, f.len, IPS_LINK_RAW, NULL);
	assert_true(ips_packet_has_event(&p, IPS_EV_IPV4_FRAG_TOO_LARGE));
	assert_int_equal(ips_defrag_add(df, &p, 0, 0, &g), BW_ERR_LIMIT);
	assert_true(ips_packet_has_event(&p, IPS_EV_FRAG_TOO_LARGE));
	/* The biggest legal datagram: 20 + 65515 bytes. */
	frag4(&f, 3, PROTO_TEST, 0, true, d, 32768);
	assert_int_equal(offer(df, &p, &f, 0, &g), 0);
	frag4(&f, 3, PROTO_TEST, 32768, false, d, 65515 - 32768);
	assert_int_equal(offer(df, &p, &f, 0, &g), 0);
	assert_non_null(g);
	ips_defrag_release(df, g);
	g = NULL;
	/* Per-tracker cap: the fifth held fragment drops the tracker. */
	for (size_t i = 0; i < 4; i++) {
		frag4(&f, 4, PROTO_TEST, 16 + i * 16, true, d, 8);
		assert_int_equal(offer(df, &p, &f, 0, &g), 0);
	}
	frag4(&f, 4, PROTO_TEST, 200, true, d, 8);
	assert_int_equal(offer(df, &p, &f, 0, &g), BW_ERR_LIMIT);
	assert_true(ips_packet_has_event(&p, IPS_EV_FRAG_TOO_MANY));
	/* Not a fragment at all. */
	frag4(&f, 5, PROTO_TEST, 0, false, d, 8);
	ips_decode(&p, f.b, f.len, IPS_LINK_RAW, NULL);
	assert_int_equal(ips_defrag_add(df, &p, 0, 0, &g), BW_ERR_INVAL);
	ips_defrag_free(df);
}

static void test_timeout(void **state)
{
	static uint8_t d[64];
	static struct buf f;
	struct ips_defrag_cfg cfg = {.timeout_ns = 30ULL * SEC};
	struct ips_defrag *df = ips_defrag_new(&cfg);
	struct ips_dgram *g = NULL;
	struct ips_packet p;

	(void)state;
	memset(d, 'y', sizeof(d));
	frag4(&f, 11, PROTO_TEST, 0, true, d, 16);
	assert_int_equal(offer(df, &p, &f, 100ULL * SEC, &g), 0);
	assert_int_equal(ips_defrag_expire(df, 129ULL * SEC), 0);
	assert_int_equal(ips_defrag_stats(df)->trackers, 1);
	/* The second half arrives 30 s after the first: too late. */
	frag4(&f, 11, PROTO_TEST, 16, false, d, 16);
	assert_int_equal(offer(df, &p, &f, 130ULL * SEC, &g), 0);
	assert_null(g);
	assert_int_equal(ips_defrag_stats(df)->timeouts, 1);
	assert_int_equal(ips_defrag_stats(df)->trackers, 1);
	assert_int_equal(ips_defrag_expire(df, 200ULL * SEC), 1);
	assert_int_equal(ips_defrag_stats(df)->trackers, 0);
	assert_int_equal(ips_defrag_stats(df)->mem, 0);
	ips_defrag_free(df);
}

static void test_memcap(void **state)
{
	static uint8_t d[1024];
	static struct buf f;
	struct ips_defrag_cfg cfg = {.memcap = 16384};
	struct ips_defrag *df = ips_defrag_new(&cfg);
	struct ips_dgram *g = NULL;
	struct ips_packet p;

	(void)state;
	memset(d, 'z', sizeof(d));
	/* 200 incomplete datagrams of 1 KiB each: only the newest fit. */
	for (uint16_t id = 0; id < 200; id++) {
		frag4(&f, id, PROTO_TEST, 0, true, d, 1024);
		assert_int_equal(offer(df, &p, &f, id, &g), 0);
		assert_true(ips_defrag_stats(df)->mem <= cfg.memcap);
	}
	assert_true(ips_defrag_stats(df)->evicted > 150);
	assert_true(ips_defrag_stats(df)->mem_peak <= cfg.memcap);
	/* The newest survives and completes; the oldest was evicted and does not. */
	frag4(&f, 199, PROTO_TEST, 1024, false, d, 8);
	assert_int_equal(offer(df, &p, &f, 300, &g), 0);
	assert_non_null(g);
	ips_defrag_release(df, g);
	g = NULL;
	frag4(&f, 0, PROTO_TEST, 1024, false, d, 8);
	assert_int_equal(offer(df, &p, &f, 300, &g), 0);
	assert_null(g);
	/* One datagram bigger than the whole cap cannot be held. */
	cfg.memcap = 2048;
	ips_defrag_free(df);
	df = ips_defrag_new(&cfg);
	frag4(&f, 1, PROTO_TEST, 0, true, d, 1024);
	assert_int_equal(offer(df, &p, &f, 0, &g), 0);
	frag4(&f, 1, PROTO_TEST, 1024, true, d, 1024);
	assert_true(offer(df, &p, &f, 0, &g) < 0);
	assert_true(ips_packet_has_event(&p, IPS_EV_FRAG_NOMEM));
	assert_true(ips_defrag_stats(df)->mem <= cfg.memcap);
	ips_defrag_free(df);
}

static void test_keys(void **state)
{
	static uint8_t d[64];
	static struct buf f;
	struct ips_defrag *df = ips_defrag_new(NULL);
	struct ips_dgram *g = NULL;
	struct ips_packet p;

	(void)state;
	memset(d, 'k', sizeof(d));
	/* Same id, different protocol: two datagrams, neither completes (CVE-2017-7177). */
	frag4(&f, 5, 17, 0, true, d, 16);
	assert_int_equal(offer(df, &p, &f, 0, &g), 0);
	frag4(&f, 5, PROTO_TEST, 16, false, d, 16);
	assert_int_equal(offer(df, &p, &f, 0, &g), 0);
	assert_null(g);
	assert_int_equal(ips_defrag_stats(df)->trackers, 2);
	/* Different VLAN: separate too. */
	frag4(&f, 5, PROTO_TEST, 0, true, d, 16);
	ips_decode(&p, f.b, f.len, IPS_LINK_RAW, NULL);
	p.n_vlan = 1;
	p.vlan[0] = 42;
	assert_int_equal(ips_defrag_add(df, &p, 0, 0, &g), 0);
	assert_null(g);
	assert_int_equal(ips_defrag_stats(df)->trackers, 3);
	/* And the matching VLAN-less first half completes the protocol-253 datagram. */
	frag4(&f, 5, PROTO_TEST, 0, true, d, 16);
	assert_int_equal(offer(df, &p, &f, 0, &g), 0);
	assert_non_null(g);
	ips_defrag_free(df);
}

static void test_v6(void **state)
{
	static uint8_t d[3000];
	static struct buf f;
	size_t len = udp_dgram(d, src6, dst6, 16, 2000);
	const size_t cuts[] = {1232, 1240};
	const size_t order[] = {2, 0, 1};
	struct ips_defrag *df = ips_defrag_new(NULL);
	struct ips_dgram *g = NULL;
	struct ips_packet p;
	const uint8_t *r;
	size_t rlen;

	(void)state;
	for (size_t i = 0; i < 3; i++) {
		size_t k = order[i], s = k ? cuts[k - 1] : 0, e = k == 2 ? len : cuts[k];

		frag6(&f, 0xdeadbeef, 17, s, k != 2, d + s, e - s);
		assert_int_equal(offer(df, &p, &f, 0, &g), 0);
		assert_true(i == 2 ? g != NULL : g == NULL);
	}
	r = ips_dgram_data(g, &rlen);
	assert_int_equal(rlen, 40 + 8 + len);
	assert_int_equal(r[40], 17); /* hop-by-hop now names UDP */
	/* The test's hop-by-hop header holds only padding, which Suricata flags. */
	(void)ips_decode(&p, r, rlen, IPS_LINK_RAW, NULL);
	assert_int_equal(p.n_events, 1);
	assert_true(ips_packet_has_event(&p, IPS_EV_IPV6_HOPOPTS_ONLY_PADDING));
	assert_int_equal(p.l4proto, 17);
	assert_int_equal(p.payload_len, 2000);
	assert_false(p.ip[0].frag_hdr);
	ips_defrag_release(df, g);
	g = NULL;
	/* Overlap is settled the same way for IPv6 (BSD by default). */
	frag6(&f, 1, PROTO_TEST, 0, true, d, 16);
	assert_int_equal(offer(df, &p, &f, 0, &g), 0);
	frag6(&f, 1, PROTO_TEST, 8, false, d, 16);
	assert_int_equal(offer(df, &p, &f, 0, &g), 0);
	assert_true(ips_packet_has_event(&p, IPS_EV_FRAG_OVERLAP));
	assert_true(ips_packet_has_event(&p, IPS_EV_IPV6_FRAG_OVERLAP));
	assert_false(ips_packet_has_event(&p, IPS_EV_IPV4_FRAG_OVERLAP));
	assert_non_null(g);
	ips_defrag_free(df);
}

/* Outer IPv4 + GRE + inner fragmented IPv4/UDP: the outer layers survive reassembly. */
static void test_tunnel_inner(void **state)
{
	static uint8_t d[300], pkt[600];
	static struct buf f;
	size_t len = udp_dgram(d, src4, dst4, 4, 200);
	struct ips_defrag *df = ips_defrag_new(NULL);
	struct ips_dgram *g = NULL;
	struct ips_packet p;
	const uint8_t *r;
	size_t rlen;

	(void)state;
	for (int k = 0; k < 2; k++) {
		size_t s = k ? 104 : 0, e = k ? len : 104, n;
		uint16_t c;

		frag4(&f, 77, 17, s, k == 0, d + s, e - s);
		n = 20 + 4 + f.len;
		memset(pkt, 0, 24);
		pkt[0] = 0x45;
		bw_put_be16(pkt + 2, (uint16_t)n);
		pkt[8] = 64;
		pkt[9] = 47;
		pkt[12] = 10, pkt[15] = 1, pkt[16] = 10, pkt[19] = 2;
		c = ips_csum_fold(ips_csum_add(0, pkt, 20));
		bw_put_be16(pkt + 10, c);
		bw_put_be16(pkt + 22, 0x0800);
		memcpy(pkt + 24, f.b, f.len);
		ips_decode(&p, pkt, n, IPS_LINK_RAW, NULL);
		assert_int_equal(p.n_ip, 2);
		assert_true(p.ip[1].is_frag);
		assert_int_equal(ips_defrag_add(df, &p, 1, 0, &g), 0);
	}
	assert_non_null(g);
	r = ips_dgram_data(g, &rlen);
	assert_int_equal(ips_decode_reassembled(&p, 1, r, rlen, NULL), 0);
	assert_int_equal(p.n_ip, 2);
	assert_int_equal(p.ip[0].proto, 47);
	assert_int_equal(p.ip[1].tunnel, IPS_TUN_GRE);
	assert_true(p.flags & IPS_PKT_REASSEMBLED);
	assert_true(p.flags & IPS_PKT_TUNNEL);
	assert_false(p.flags & IPS_PKT_FRAG);
	assert_int_equal(p.l4proto, 17);
	assert_int_equal(p.payload_len, 200);
	assert_int_equal(p.layers[p.n_layers - 1].kind, IPS_LAYER_UDP);
	assert_int_equal(p.layers[1].kind, IPS_LAYER_GRE);
	ips_defrag_release(df, g);
	ips_defrag_free(df);
	ips_defrag_free(NULL);
	ips_defrag_release(NULL, NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_v4_orders),    cmocka_unit_test(test_v4_duplicates),
	        cmocka_unit_test(test_v4_overlap),   cmocka_unit_test(test_v4_mismatch_and_limits),
	        cmocka_unit_test(test_timeout),      cmocka_unit_test(test_memcap),
	        cmocka_unit_test(test_keys),         cmocka_unit_test(test_v6),
	        cmocka_unit_test(test_tunnel_inner),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
