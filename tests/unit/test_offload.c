/* SPDX-License-Identifier: ISC */
/*
 * Unit tests for TSO splitting and GRO coalescing (src/gw/gw_offload.h).
 * Every packet is built here from scratch and every result is checked with
 * an independent, deliberately naive RFC 1071 sum (one 16-bit word at a time,
 * folded after each addition) over explicitly built TCP pseudo-headers
 * (RFC 9293 3.1, RFC 8200 8.1), never with the code under test. Splits are
 * checked segment by segment (IP lengths, IPv4 header checksum and IDs, TCP
 * sequence numbers, FIN/PSH on the last and CWR on the first segment only,
 * RFC 3168 6.1.2), then merged back and compared with the original
 * super-packet. Addresses whose 32-bit sums sit next to 2^32 exercise the
 * carries of the pseudo-header sum. GRO refusals change one field at a
 * time, with the checksums made valid again, so that only that field is
 * the reason.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "gw/gw_offload.h"
#include "lib/err.h"
#include "lib/pkt.h"

enum {
	F_FIN = 0x01,
	F_SYN = 0x02,
	F_RST = 0x04,
	F_PSH = 0x08,
	F_ACK = 0x10,
	F_URG = 0x20,
	F_ECE = 0x40,
	F_CWR = 0x80,
	MAX_SEGS = 256,
	BIG = 70000,
};

static uint8_t pattern[BIG + 16384]; /* payload bytes, read at offsets up to 72000 */

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

/* RFC 1071, the slow way: add 16-bit words, fold the carry at every step. */
static uint32_t naive_sum(uint32_t acc, const uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2) {
		acc += (uint32_t)(p[i] << 8 | p[i + 1]);
		acc = (acc & 0xffff) + (acc >> 16);
	}
	if (i < len) {
		acc += (uint32_t)p[i] << 8;
		acc = (acc & 0xffff) + (acc >> 16);
	}
	return acc;
}

static size_t ip_hdr_len(const uint8_t *ip)
{
	return ip[0] >> 4 == 6 ? 40 : (size_t)(ip[0] & 0x0f) * 4;
}

/* Sum of the pseudo-header, built byte by byte. */
static uint32_t naive_pseudo(const uint8_t *ip, size_t l4_len, uint8_t proto)
{
	uint8_t ph[40];

	memset(ph, 0, sizeof(ph));
	if (ip[0] >> 4 == 6) {
		memcpy(ph, ip + 8, 32);
		put32(ph + 32, (uint32_t)l4_len);
		ph[39] = proto;
		return naive_sum(0, ph, 40);
	}
	memcpy(ph, ip + 12, 8);
	ph[9] = proto;
	put16(ph + 10, (uint16_t)l4_len);
	return naive_sum(0, ph, 12);
}

static bool tcp_csum_valid(const uint8_t *ip, size_t len)
{
	size_t il = ip_hdr_len(ip);

	return naive_sum(naive_pseudo(ip, len - il, 6), ip + il, len - il) == 0xffff;
}

static void fill_tcp_csum(uint8_t *ip, size_t len)
{
	size_t il = ip_hdr_len(ip);

	put16(ip + il + 16, 0);
	put16(ip + il + 16, (uint16_t)~naive_sum(naive_pseudo(ip, len - il, 6), ip + il, len - il));
}

static void fill_ip_csum(uint8_t *ip)
{
	if (ip[0] >> 4 != 4)
		return;
	put16(ip + 10, 0);
	put16(ip + 10, (uint16_t)~naive_sum(0, ip, ip_hdr_len(ip)));
}

static void fill_csums(uint8_t *ip, size_t len)
{
	fill_ip_csum(ip);
	fill_tcp_csum(ip, len);
}

struct flow {
	bool v6;
	uint8_t src[16], dst[16];
	uint16_t sport, dport;
	uint32_t seq, ack;
	uint16_t win;
	uint8_t flags;
	const uint8_t *opt;
	size_t optlen;
	uint16_t id;
	size_t ipopt; /* IPv4 option bytes (NOPs), a multiple of 4 */
};

static const uint8_t opt_ts[12] = {1, 1, 8, 10, 0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0};
static const uint8_t opt_sack[32] = {1,    1, 8, 10, 0,    0, 0, 7, 0,    0, 0, 9, 1,    1, 5, 18,
                                     0xa0, 0, 0, 0,  0xa0, 0, 4, 0, 0xb0, 0, 0, 0, 0xb0, 0, 1, 0};

static size_t hdr_size(const struct flow *f)
{
	return (f->v6 ? 40 : 20 + f->ipopt) + 20 + f->optlen;
}

/* Builds a TCP/IP packet with valid checksums; returns its length. */
static size_t build(uint8_t *b, const struct flow *f, const uint8_t *payload, size_t plen)
{
	size_t il = f->v6 ? 40 : 20 + f->ipopt, len = il + 20 + f->optlen + plen;
	uint8_t *t = b + il;

	memset(b, 0, il + 20);
	if (f->v6) {
		b[0] = 0x60;
		b[1] = 0x01;
		b[2] = 0x23;
		b[3] = 0x45;
		put16(b + 4, (uint16_t)(len - 40));
		b[6] = 6;
		b[7] = 64;
		memcpy(b + 8, f->src, 16);
		memcpy(b + 24, f->dst, 16);
	} else {
		b[0] = (uint8_t)(0x40 | il / 4);
		put16(b + 2, (uint16_t)len);
		put16(b + 4, f->id);
		b[6] = 0x40; /* DF */
		b[8] = 64;
		b[9] = 6;
		memcpy(b + 12, f->src, 4);
		memcpy(b + 16, f->dst, 4);
		memset(b + 20, 1, f->ipopt);
	}
	put16(t, f->sport);
	put16(t + 2, f->dport);
	put32(t + 4, f->seq);
	put32(t + 8, f->ack);
	t[12] = (uint8_t)((20 + f->optlen) / 4 << 4);
	t[13] = f->flags;
	put16(t + 14, f->win);
	if (f->optlen)
		memcpy(t + 20, f->opt, f->optlen);
	if (plen)
		memcpy(t + 20 + f->optlen, payload, plen);
	fill_csums(b, len);
	return len;
}

/* 10.1.0.1 -> 10.2.0.2, and a pair whose 32-bit words add up to 0xffffffff. */
static const struct flow flow4 = {
        .src = {10, 1, 0, 1},
        .dst = {10, 2, 0, 2},
        .sport = 40000,
        .dport = 5201,
        .seq = 0x01020304,
        .ack = 0xa0b0c0d0,
        .win = 501,
        .flags = F_ACK,
        .id = 0x1234,
};
static const struct flow flow4_carry = {
        .src = {192, 0, 2, 1},
        .dst = {63, 255, 253, 254},
        .sport = 0xffff,
        .dport = 0xfffe,
        .seq = 0xfffff000, /* wraps within the super-packet */
        .ack = 0xffffffff,
        .win = 0xffff,
        .flags = F_ACK,
        .id = 0xfffe, /* IDs wrap too */
};
static const struct flow flow6 = {
        .v6 = true,
        .src = {0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1},
        .dst = {0x20, 0x01, 0x0d, 0xb8, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2},
        .sport = 443,
        .dport = 51000,
        .seq = 0x7ffffff0,
        .ack = 1,
        .win = 2048,
        .flags = F_ACK,
};
static const struct flow flow6_carry = {
        .v6 = true,
        .src = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1},
        .dst = {0xdf, 0xfe, 0xf2, 0x47, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xfe},
        .sport = 0xffff,
        .dport = 0xffff,
        .seq = 0xffffffff,
        .ack = 0xffffffff,
        .win = 0xffff,
        .flags = F_ACK,
};

static int setup_pattern(void **state)
{
	uint32_t x = 0x2545f491;

	(void)state;
	for (size_t i = 0; i < sizeof(pattern); i++) {
		x = x * 1103515245u + 12345u;
		pattern[i] = (uint8_t)(x >> 16);
	}
	return 0;
}

static struct gw_vnet_hdr tso_hdr(const uint8_t *ip, size_t len, uint16_t mss)
{
	struct gw_vnet_hdr h = {
	        .flags = GW_VNET_F_NEEDS_CSUM,
	        .gso_type = ip[0] >> 4 == 6 ? GW_VNET_GSO_TCPV6 : GW_VNET_GSO_TCPV4,
	        .gso_size = mss,
	        .csum_start = (uint16_t)ip_hdr_len(ip),
	        .csum_offset = 16,
	};

	h.hdr_len = (uint16_t)(ip_hdr_len(ip) + (size_t)(ip[ip_hdr_len(ip) + 12] >> 4) * 4);
	(void)len;
	return h;
}

/* What the kernel hands over: the TCP checksum field holds the pseudo-header sum only. */
static void make_partial(uint8_t *ip, size_t len)
{
	size_t il = ip_hdr_len(ip);

	put16(ip + il + 16, (uint16_t)naive_pseudo(ip, len - il, 6));
}

static struct gw_gro *gro_new(void)
{
	struct gw_gro *g = malloc(sizeof(*g));

	assert_non_null(g);
	gw_gro_reset(g);
	return g;
}

/* Merges segs back and compares with the super-packet sp. */
static void check_gro_roundtrip(struct pkt **segs, size_t n, const uint8_t *sp, size_t len,
                                size_t hl, uint16_t mss)
{
	struct gw_gro *g = gro_new();
	struct gw_vnet_hdr vh;
	const uint8_t *out, *ip;
	size_t outlen, il = ip_hdr_len(sp);
	uint8_t *copy;

	for (size_t i = 0; i < n; i++) {
		if (!gw_gro_add(g, pkt_data(segs[i]), segs[i]->len))
			fail_msg("segment %zu of %zu (%u bytes, mss %u) not merged", i, n,
			         segs[i]->len, mss);
	}
	assert_int_equal(g->segs, n);
	gw_gro_finish(g, &out, &outlen);
	assert_int_equal(outlen, GW_VNET_HDR_LEN + len);
	assert_int_equal(gw_vnet_hdr_parse(out, outlen, &vh), 0);
	ip = out + GW_VNET_HDR_LEN;
	if (n == 1) {
		for (size_t i = 0; i < GW_VNET_HDR_LEN; i++)
			assert_int_equal(out[i], 0);
		assert_memory_equal(ip, pkt_data(segs[0]), len);
		free(g);
		return;
	}
	assert_int_equal(vh.flags, GW_VNET_F_NEEDS_CSUM);
	assert_int_equal(vh.gso_type, sp[0] >> 4 == 6 ? GW_VNET_GSO_TCPV6 : GW_VNET_GSO_TCPV4);
	assert_int_equal(vh.hdr_len, hl);
	assert_int_equal(vh.gso_size, mss);
	assert_int_equal(vh.csum_start, il);
	assert_int_equal(vh.csum_offset, 16);
	/* IP header identical (lengths, first ID, header checksum), TCP header but for the
	 * checksum, which holds the folded pseudo-header sum (CHECKSUM_PARTIAL). */
	assert_memory_equal(ip, sp, il + 16);
	assert_memory_equal(ip + il + 18, sp + il + 18, len - il - 18);
	assert_int_equal(be16(ip + il + 16), naive_pseudo(ip, len - il, 6));
	/* Finishing that partial checksum gives a valid segment. */
	copy = malloc(len);
	assert_non_null(copy);
	memcpy(copy, ip, len);
	assert_int_equal(gw_csum_complete(&vh, copy, len), 0);
	assert_true(tcp_csum_valid(copy, len));
	free(copy);
	free(g);
}

/* Splits one super-packet and checks every segment on its own. */
static void check_split(struct pkt_pool *pool, const struct flow *f, size_t plen, uint16_t mss)
{
	static uint8_t sp[BIG];
	struct pkt *segs[MAX_SEGS];
	struct gw_vnet_hdr h;
	size_t len = build(sp, f, pattern, plen), hl = hdr_size(f), il = ip_hdr_len(sp), n = 99;
	size_t want = (plen + mss - 1) / mss;
	uint8_t oflags = f->flags;
	int r;

	assert_true(len <= GW_GSO_MAX);
	h = tso_hdr(sp, len, mss);
	make_partial(sp, len);
	r = gw_tso_split(&h, sp, len, pool, segs, MAX_SEGS, &n);
	assert_int_equal(r, 0);
	assert_int_equal(n, want);
	assert_int_equal(pkt_pool_in_use(pool), n);
	for (size_t i = 0; i < n; i++) {
		const uint8_t *q = pkt_data(segs[i]), *t = q + il;
		size_t chunk = i + 1 < n ? mss : plen - i * mss;
		uint8_t fl = oflags;

		assert_true(chunk > 0 && chunk <= mss);
		assert_int_equal(segs[i]->len, hl + chunk);
		if (f->v6) {
			assert_int_equal(be16(q + 4), hl + chunk - 40);
			assert_memory_equal(q, sp, 4);
			assert_memory_equal(q + 6, sp + 6, 34);
		} else {
			assert_int_equal(be16(q + 2), hl + chunk);
			assert_int_equal(be16(q + 4), (uint16_t)(f->id + i));
			assert_int_equal(naive_sum(0, q, il), 0xffff);
			assert_memory_equal(q, sp, 2);
			assert_memory_equal(q + 6, sp + 6, 4);
			assert_memory_equal(q + 12, sp + 12, il - 12);
		}
		assert_memory_equal(t, sp + il, 4);
		assert_int_equal(be32(t + 4), (uint32_t)(f->seq + i * mss));
		assert_memory_equal(t + 8, sp + il + 8, 5);
		if (i + 1 < n)
			fl &= (uint8_t) ~(F_FIN | F_PSH);
		if (i > 0)
			fl &= (uint8_t)~F_CWR;
		assert_int_equal(t[13], fl);
		assert_memory_equal(t + 14, sp + il + 14, 2);
		assert_memory_equal(t + 18, sp + il + 18, hl - il - 18);
		assert_true(tcp_csum_valid(q, segs[i]->len));
		assert_memory_equal(q + hl, pattern + i * mss, chunk);
	}
	/* Only plain ACK(+PSH) data without IPv4 options merges back; compare against the
	 * full-checksum original. */
	if ((oflags & (uint8_t)~F_PSH) == F_ACK && f->ipopt == 0) {
		fill_tcp_csum(sp, len);
		check_gro_roundtrip(segs, n, sp, len, hl, mss);
	}
	for (size_t i = 0; i < n; i++)
		pkt_free(segs[i]);
	assert_int_equal(pkt_pool_in_use(pool), 0);
}

static void test_tso_split_matrix(void **state)
{
	static const uint16_t msses[] = {536, 1000, 1337, 1448, 1460, 4001, 8960};
	static const uint8_t flagsets[] = {
	        F_ACK,
	        F_ACK | F_PSH,
	        F_ACK | F_PSH | F_FIN,
	        F_ACK | F_CWR | F_ECE,
	        F_ACK | F_CWR | F_ECE | F_PSH | F_FIN,
	        F_ACK | F_FIN,
	        F_ACK | F_CWR,
	};
	const struct flow *flows[] = {&flow4, &flow4_carry, &flow6, &flow6_carry};
	struct pkt_pool *pool = pkt_pool_new(8, MAX_SEGS);
	unsigned iter = 0, runs = 0;

	(void)state;
	assert_non_null(pool);
	for (size_t fi = 0; fi < 4; fi++) {
		for (size_t oi = 0; oi < 4; oi++) {
			struct flow f = *flows[fi];
			size_t room;

			f.opt = oi == 1 ? opt_ts : oi == 2 ? opt_sack : NULL;
			f.optlen = oi == 1 ? sizeof(opt_ts) : oi == 2 ? sizeof(opt_sack) : 0;
			if (oi == 3) { /* timestamps plus IPv4 options (IPv6: 40 option bytes) */
				f.opt = opt_sack;
				f.optlen = 12;
				f.ipopt = f.v6 ? 0 : 8;
			}
			room = GW_GSO_MAX - hdr_size(&f);
			for (size_t mi = 0; mi < sizeof(msses) / sizeof(msses[0]); mi++) {
				size_t m = msses[mi], kmax = room / m;
				size_t sizes[] = {1,        m - 1,        m,
				                  m + 1,    2 * m,        3 * m + 7,
				                  kmax * m, kmax * m - 1, room,
				                  12345,    m / 2 + 1,    (kmax - 1) * m + m / 3};

				for (size_t si = 0; si < sizeof(sizes) / sizeof(sizes[0]); si++) {
					if (sizes[si] == 0 || sizes[si] > room)
						continue;
					f.flags = flagsets[iter++ % sizeof(flagsets)];
					check_split(pool, &f, sizes[si], (uint16_t)m);
					runs++;
				}
			}
		}
	}
	assert_true(runs > 500);
	pkt_pool_free(pool);
}

/* Every flag combination on a three-segment split, all four flows. */
static void test_tso_flags(void **state)
{
	const struct flow *flows[] = {&flow4, &flow4_carry, &flow6, &flow6_carry};
	struct pkt_pool *pool = pkt_pool_new(4, 16);

	(void)state;
	for (size_t fi = 0; fi < 4; fi++) {
		for (unsigned fl = 0; fl < 256; fl++) {
			struct flow f = *flows[fi];

			f.flags = (uint8_t)fl;
			f.opt = opt_ts;
			f.optlen = sizeof(opt_ts);
			check_split(pool, &f, 2 * 1448 + 99, 1448);
			check_split(pool, &f, 1448, 1448);
		}
	}
	pkt_pool_free(pool);
}

static void test_tso_errors(void **state)
{
	static uint8_t sp[BIG];
	struct pkt_pool *pool = pkt_pool_new(2, 5);
	struct pkt *segs[MAX_SEGS];
	struct gw_vnet_hdr h;
	struct flow f = flow4;
	size_t len, n;

	(void)state;
	f.opt = opt_ts;
	f.optlen = sizeof(opt_ts);
	len = build(sp, &f, pattern, 5000);
	h = tso_hdr(sp, len, 1000);
	/* mss 0 */
	h.gso_size = 0;
	n = 7;
	assert_int_equal(gw_tso_split(&h, sp, len, pool, segs, MAX_SEGS, &n), BW_ERR_INVAL);
	assert_int_equal(n, 0);
	h.gso_size = 1000;
	/* too many segments for out[]: 5 needed */
	n = 7;
	assert_int_equal(gw_tso_split(&h, sp, len, pool, segs, 4, &n), BW_ERR_LIMIT);
	assert_int_equal(n, 0);
	assert_int_equal(pkt_pool_in_use(pool), 0);
	assert_int_equal(gw_tso_split(&h, sp, len, pool, segs, 5, &n), 0);
	assert_int_equal(n, 5);
	for (size_t i = 0; i < n; i++)
		pkt_free(segs[i]);
	/* pool exhaustion: 6 segments but only 5 buffers; nothing leaks */
	len = build(sp, &f, pattern, 5001);
	n = 7;
	assert_int_equal(gw_tso_split(&h, sp, len, pool, segs, MAX_SEGS, &n), BW_ERR_NOMEM);
	assert_int_equal(n, 0);
	assert_int_equal(pkt_pool_in_use(pool), 0);
	/* with two buffers already taken elsewhere */
	{
		struct pkt *a = pkt_alloc(pool), *b = pkt_alloc(pool);

		len = build(sp, &f, pattern, 3001);
		assert_int_equal(gw_tso_split(&h, sp, len, pool, segs, MAX_SEGS, &n), BW_ERR_NOMEM);
		assert_int_equal(pkt_pool_in_use(pool), 2);
		len = build(sp, &f, pattern, 3000);
		assert_int_equal(gw_tso_split(&h, sp, len, pool, segs, MAX_SEGS, &n), 0);
		assert_int_equal(n, 3);
		for (size_t i = 0; i < n; i++)
			pkt_free(segs[i]);
		pkt_free(a);
		pkt_free(b);
		assert_int_equal(pkt_pool_in_use(pool), 0);
	}
	/* no payload */
	len = build(sp, &f, pattern, 0);
	assert_int_equal(gw_tso_split(&h, sp, len, pool, segs, MAX_SEGS, &n), BW_ERR_INVAL);
	/* not TCP: UDP, with its checksum otherwise fine */
	len = build(sp, &f, pattern, 3000);
	sp[9] = 17;
	fill_ip_csum(sp);
	assert_int_equal(gw_tso_split(&h, sp, len, pool, segs, MAX_SEGS, &n), BW_ERR_INVAL);
	/* not IP at all */
	len = build(sp, &f, pattern, 3000);
	sp[0] = 0x55;
	assert_true(gw_tso_split(&h, sp, len, pool, segs, MAX_SEGS, &n) < 0);
	/* lying total lengths, both ways; a fragment */
	len = build(sp, &f, pattern, 3000);
	put16(sp + 2, (uint16_t)(len + 1));
	assert_true(gw_tso_split(&h, sp, len, pool, segs, MAX_SEGS, &n) < 0);
	put16(sp + 2, (uint16_t)(len - 1));
	assert_true(gw_tso_split(&h, sp, len, pool, segs, MAX_SEGS, &n) < 0);
	put16(sp + 2, (uint16_t)len);
	sp[6] |= 0x20;
	assert_true(gw_tso_split(&h, sp, len, pool, segs, MAX_SEGS, &n) < 0);
	/* IPv6 with an extension header first, and a lying payload length */
	f = flow6;
	len = build(sp, &f, pattern, 3000);
	sp[6] = 0;
	assert_true(gw_tso_split(&h, sp, len, pool, segs, MAX_SEGS, &n) < 0);
	sp[6] = 6;
	put16(sp + 4, (uint16_t)(len - 39));
	assert_true(gw_tso_split(&h, sp, len, pool, segs, MAX_SEGS, &n) < 0);
	put16(sp + 4, (uint16_t)(len - 40));
	/* data offset below 5 or beyond the packet */
	sp[40 + 12] = 0x40;
	assert_true(gw_tso_split(&h, sp, len, pool, segs, MAX_SEGS, &n) < 0);
	len = build(sp, &f, pattern, 0);
	sp[40 + 12] = 0x60;
	assert_true(gw_tso_split(&h, sp, len, pool, segs, MAX_SEGS, &n) < 0);
	/* a segment that cannot fit one buffer */
	len = build(sp, &f, pattern, 30000);
	h.gso_size = 20000;
	assert_int_equal(gw_tso_split(&h, sp, len, pool, segs, MAX_SEGS, &n), BW_ERR_NOSPACE);
	/* every truncation is refused without allocating */
	h.gso_size = 536;
	len = build(sp, &f, pattern, 1200);
	for (size_t l = 0; l < len; l++) {
		n = 7;
		assert_true(gw_tso_split(&h, sp, l, pool, segs, MAX_SEGS, &n) < 0);
		assert_int_equal(n, 0);
	}
	assert_int_equal(pkt_pool_in_use(pool), 0);
	pkt_pool_free(pool);
}

static void test_vnet_hdr(void **state)
{
	const struct gw_vnet_hdr h = {
	        .flags = 0x01,
	        .gso_type = 0x84,
	        .hdr_len = 0x1234,
	        .gso_size = 0xfedc,
	        .csum_start = 0x0028,
	        .csum_offset = 0x0010,
	};
	static const uint8_t want[10] = {0x01, 0x84, 0x34, 0x12, 0xdc,
	                                 0xfe, 0x28, 0x00, 0x10, 0x00};
	uint8_t b[12];
	struct gw_vnet_hdr r;

	(void)state;
	memset(b, 0xaa, sizeof(b));
	gw_vnet_hdr_write(b, &h);
	assert_memory_equal(b, want, 10);
	assert_int_equal(b[10], 0xaa);
	memset(&r, 0, sizeof(r));
	assert_int_equal(gw_vnet_hdr_parse(b, 10, &r), 0);
	assert_int_equal(r.flags, h.flags);
	assert_int_equal(r.gso_type, h.gso_type);
	assert_int_equal(r.hdr_len, h.hdr_len);
	assert_int_equal(r.gso_size, h.gso_size);
	assert_int_equal(r.csum_start, h.csum_start);
	assert_int_equal(r.csum_offset, h.csum_offset);
	for (size_t l = 0; l < 10; l++)
		assert_int_equal(gw_vnet_hdr_parse(b, l, &r), BW_ERR_SHORT);
	assert_int_equal(gw_vnet_hdr_parse(b, 12, &r), 0);
}

/* Sum of an L4 segment with a UDP header, for the UDP checksum case. */
static size_t build_udp(uint8_t *b, const struct flow *f, size_t plen)
{
	size_t il = f->v6 ? 40 : 20, len = il + 8 + plen;

	memset(b, 0, il + 8);
	if (f->v6) {
		b[0] = 0x60;
		put16(b + 4, (uint16_t)(len - 40));
		b[6] = 17;
		b[7] = 64;
		memcpy(b + 8, f->src, 16);
		memcpy(b + 24, f->dst, 16);
	} else {
		b[0] = 0x45;
		put16(b + 2, (uint16_t)len);
		b[8] = 64;
		b[9] = 17;
		memcpy(b + 12, f->src, 4);
		memcpy(b + 16, f->dst, 4);
		fill_ip_csum(b);
	}
	put16(b + il, f->sport);
	put16(b + il + 2, f->dport);
	put16(b + il + 4, (uint16_t)(8 + plen));
	memcpy(b + il + 8, pattern, plen);
	return len;
}

static void test_csum_complete(void **state)
{
	const struct flow *flows[] = {&flow4, &flow4_carry, &flow6, &flow6_carry};
	static uint8_t b[BIG], keep[BIG];

	(void)state;
	for (size_t fi = 0; fi < 4; fi++) {
		struct flow f = *flows[fi];
		size_t il = f.v6 ? 40 : 20;

		f.opt = opt_ts;
		f.optlen = sizeof(opt_ts);
		for (size_t plen = 0; plen < 70; plen++) {
			size_t len = build(b, &f, pattern + fi, plen);
			struct gw_vnet_hdr h = {.flags = GW_VNET_F_NEEDS_CSUM,
			                        .csum_start = (uint16_t)il,
			                        .csum_offset = 16};

			/* TCP: the field holds the pseudo-header sum. */
			make_partial(b, len);
			assert_int_equal(gw_csum_complete(&h, b, len), 0);
			assert_true(tcp_csum_valid(b, len));
			/* UDP, and the UDP result 0 that must be sent as 0xffff (RFC 768). */
			if (plen >= 2) {
				uint32_t s;

				len = build_udp(b, &f, plen);
				b[il + 8] = 0;
				b[il + 9] = 0;
				s = naive_sum(naive_pseudo(b, len - il, 17), b + il, len - il);
				/* Choose two payload bytes so the whole sum is 0xffff. */
				put16(b + il + 8, (uint16_t)(0xffff - s));
				assert_int_equal(
				        naive_sum(naive_pseudo(b, len - il, 17), b + il, len - il),
				        0xffff);
				put16(b + il + 6, (uint16_t)naive_pseudo(b, len - il, 17));
				h.csum_offset = 6;
				assert_int_equal(gw_csum_complete(&h, b, len), 0);
				assert_int_equal(be16(b + il + 6), 0xffff);
				assert_int_equal(
				        naive_sum(naive_pseudo(b, len - il, 17), b + il, len - il),
				        0xffff);
				/* An ordinary UDP sum. */
				b[il + 9] ^= 0x5a;
				put16(b + il + 6, (uint16_t)naive_pseudo(b, len - il, 17));
				assert_int_equal(gw_csum_complete(&h, b, len), 0);
				assert_int_not_equal(be16(b + il + 6), 0);
				assert_int_equal(
				        naive_sum(naive_pseudo(b, len - il, 17), b + il, len - il),
				        0xffff);
			}
		}
	}
	/* Without NEEDS_CSUM nothing changes; a field past the end is refused untouched. */
	{
		struct flow f = flow4;
		size_t len = build(b, &f, pattern, 33);
		struct gw_vnet_hdr h = {.flags = 0, .csum_start = 20, .csum_offset = 16};

		memcpy(keep, b, len);
		assert_int_equal(gw_csum_complete(&h, b, len), 0);
		assert_memory_equal(b, keep, len);
		h.flags = GW_VNET_F_NEEDS_CSUM;
		h.csum_start = (uint16_t)(len - 17);
		assert_int_equal(gw_csum_complete(&h, b, len), BW_ERR_INVAL);
		h.csum_start = 0xffff;
		h.csum_offset = 0xffff;
		assert_int_equal(gw_csum_complete(&h, b, len), BW_ERR_INVAL);
		assert_memory_equal(b, keep, len);
		h.csum_start = (uint16_t)(len - 18);
		h.csum_offset = 16;
		assert_int_equal(gw_csum_complete(&h, b, len), 0);
	}
}

/* ---- GRO ---- */

enum mut {
	M_SEQ_PLUS1,
	M_SEQ_GAP,
	M_SEQ_DUP,
	M_SPORT,
	M_DPORT,
	M_SRC,
	M_DST,
	M_ACK,
	M_WIN,
	M_OPT,
	M_SYN,
	M_FIN,
	M_RST,
	M_URG,
	M_ECE,
	M_CWR,
	M_NO_ACK,
	M_URGPTR,
	M_RESERVED,
	M_NO_OPTS,
	M_BAD_CSUM,
	M_LEN_LONG,
	M_LEN_SHORT,
	M_BIGGER,
	M_TOS,
	M_TTL,
	M_PROTO,
	M_V4_DF,
	M_V4_MF,
	M_V4_FRAG_OFF,
	M_V4_BAD_IP_CSUM,
	M_V4_IPOPT,
	M_V6_FLOW,
	M_COUNT,
};

/* Builds the segment that follows seg0 (payload mss at seq + mss), changed by m; 0 = skip. */
static size_t build_next(uint8_t *b, const struct flow *base, size_t mss, int m)
{
	struct flow f = *base;
	size_t len, plen = mss, il;

	f.seq = base->seq + (uint32_t)mss;
	switch (m) {
	case M_SEQ_PLUS1:
		f.seq++;
		break;
	case M_SEQ_GAP:
		f.seq += (uint32_t)mss;
		break;
	case M_SEQ_DUP:
		f.seq = base->seq;
		break;
	case M_SPORT:
		f.sport++;
		break;
	case M_DPORT:
		f.dport ^= 0x100;
		break;
	case M_SRC:
		f.src[3] ^= 1;
		break;
	case M_DST:
		f.dst[f.v6 ? 15 : 3] ^= 0x80;
		break;
	case M_ACK:
		f.ack++;
		break;
	case M_WIN:
		f.win--;
		break;
	case M_SYN:
		f.flags |= F_SYN;
		break;
	case M_FIN:
		f.flags |= F_FIN;
		break;
	case M_RST:
		f.flags |= F_RST;
		break;
	case M_URG:
		f.flags |= F_URG;
		break;
	case M_ECE:
		f.flags |= F_ECE;
		break;
	case M_CWR:
		f.flags |= F_CWR;
		break;
	case M_NO_ACK:
		f.flags &= (uint8_t)~F_ACK;
		break;
	case M_NO_OPTS:
		f.optlen = 0;
		break;
	case M_BIGGER:
		plen++;
		break;
	case M_V4_IPOPT:
		if (f.v6)
			return 0;
		f.ipopt = 4;
		break;
	default:
		break;
	}
	len = build(b, &f, pattern + mss, plen);
	il = ip_hdr_len(b);
	switch (m) {
	case M_OPT:
		b[il + 20 + 7] ^= 1;
		break;
	case M_URGPTR:
		b[il + 19] = 1;
		break;
	case M_RESERVED:
		b[il + 12] |= 0x01;
		break;
	case M_BAD_CSUM:
		b[len - 1] ^= 0x40;
		return len; /* no checksum repair */
	case M_LEN_LONG:
		put16(b + (f.v6 ? 4 : 2), (uint16_t)(be16(b + (f.v6 ? 4 : 2)) + 1));
		break;
	case M_LEN_SHORT:
		put16(b + (f.v6 ? 4 : 2), (uint16_t)(be16(b + (f.v6 ? 4 : 2)) - 1));
		break;
	case M_TOS:
		if (f.v6)
			b[1] ^= 0x10; /* traffic class */
		else
			b[1] = 0x02; /* ECT(0) */
		break;
	case M_TTL:
		b[f.v6 ? 7 : 8]--;
		break;
	case M_PROTO:
		b[f.v6 ? 6 : 9] = 17;
		break;
	case M_V4_DF:
		if (f.v6)
			return 0;
		b[6] &= (uint8_t)~0x40;
		break;
	case M_V4_MF:
		if (f.v6)
			return 0;
		b[6] |= 0x20;
		break;
	case M_V4_FRAG_OFF:
		if (f.v6)
			return 0;
		b[7] = 0x10;
		break;
	case M_V4_BAD_IP_CSUM:
		if (f.v6)
			return 0;
		fill_tcp_csum(b, len);
		b[10] ^= 0x01;
		return len;
	case M_V6_FLOW:
		if (!f.v6)
			return 0;
		b[3] ^= 0x01;
		break;
	default:
		break;
	}
	if (m != M_PROTO)
		fill_csums(b, len);
	else
		fill_ip_csum(b);
	return len;
}

static void test_gro_refusals(void **state)
{
	const struct flow *flows[] = {&flow4, &flow4_carry, &flow6, &flow6_carry};
	static uint8_t s0[BIG], s1[BIG], s2[BIG], sx[BIG];
	struct gw_gro *g = gro_new();
	const size_t mss = 1000;

	(void)state;
	for (size_t fi = 0; fi < 4; fi++) {
		struct flow f = *flows[fi];
		struct flow f2;
		size_t l0, l1, l2, lx;

		f.opt = opt_ts;
		f.optlen = sizeof(opt_ts);
		l0 = build(s0, &f, pattern, mss);
		l1 = build_next(s1, &f, mss, -1);
		f2 = f;
		f2.seq = f.seq + 2 * (uint32_t)mss;
		l2 = build(s2, &f2, pattern + 2 * mss, mss);
		assert_true(gw_gro_eligible(s0, l0));
		assert_true(gw_gro_eligible(s1, l1));
		for (int m = 0; m < M_COUNT; m++) {
			if ((lx = build_next(sx, &f, mss, m)) == 0)
				continue;
			gw_gro_reset(g);
			assert_true(gw_gro_add(g, s0, l0));
			if (gw_gro_add(g, sx, lx))
				fail_msg("flow %zu: mutation %d was merged", fi, m);
			assert_int_equal(g->len, l0);
			assert_int_equal(g->segs, 1);
			/* The refusal left the group open and intact. */
			assert_true(gw_gro_add(g, s1, l1));
			assert_int_equal(g->segs, 2);
			/* Nor does the changed segment start a group that takes the original's
			 * successor. */
			if (m > M_SEQ_DUP && m != M_BIGGER) {
				gw_gro_reset(g);
				if (gw_gro_add(g, sx, lx) && gw_gro_add(g, s2, l2))
					fail_msg("flow %zu: mutation %d took the next segment", fi,
					         m);
			}
		}
	}
	free(g);
}

/* Packets that may not start a group at all. */
static void test_gro_eligible(void **state)
{
	static uint8_t b[BIG];
	struct gw_gro *g = gro_new();
	struct flow f = flow4;
	size_t len;

	(void)state;
	len = build(b, &f, pattern, 100);
	assert_true(gw_gro_eligible(b, len));
	for (size_t l = 0; l < len; l++)
		assert_false(gw_gro_eligible(b, l));
	/* pure ACK */
	len = build(b, &f, pattern, 0);
	assert_false(gw_gro_eligible(b, len));
	assert_false(gw_gro_add(g, b, len));
	/* IPv4 options */
	f.ipopt = 4;
	len = build(b, &f, pattern, 100);
	assert_true(tcp_csum_valid(b, len));
	assert_false(gw_gro_eligible(b, len));
	assert_false(gw_gro_add(g, b, len));
	f.ipopt = 0;
	/* fragments */
	len = build(b, &f, pattern, 100);
	b[6] |= 0x20;
	fill_ip_csum(b);
	assert_false(gw_gro_add(g, b, len));
	len = build(b, &f, pattern, 100);
	b[7] = 1;
	fill_ip_csum(b);
	assert_false(gw_gro_add(g, b, len));
	/* bad IPv4 header checksum */
	len = build(b, &f, pattern, 100);
	b[10] ^= 0xff;
	assert_false(gw_gro_add(g, b, len));
	/* SYN, FIN, RST, URG, ECE, CWR and no ACK */
	for (unsigned fl = 0; fl < 256; fl++) {
		f.flags = (uint8_t)fl;
		len = build(b, &f, pattern, 100);
		assert_int_equal(gw_gro_eligible(b, len), fl == F_ACK || fl == (F_ACK | F_PSH));
	}
	assert_int_equal(g->len, 0);
	free(g);
}

static void add_run(struct gw_gro *g, const struct flow *f, uint32_t seq, size_t plen,
                    uint8_t flags, bool want)
{
	static uint8_t b[BIG];
	struct flow x = *f;
	size_t len;

	x.seq = seq;
	x.flags = flags;
	len = build(b, &x, pattern + (uint32_t)(seq - f->seq), plen);
	assert_int_equal(gw_gro_add(g, b, len), want);
}

static void check_merged(struct gw_gro *g, const struct flow *f, size_t plen, uint16_t mss,
                         uint8_t flags)
{
	static uint8_t want[BIG];
	struct flow x = *f;
	struct gw_vnet_hdr vh;
	const uint8_t *out;
	size_t outlen, len, il;

	x.flags = flags;
	len = build(want, &x, pattern, plen);
	il = ip_hdr_len(want);
	gw_gro_finish(g, &out, &outlen);
	assert_int_equal(outlen, GW_VNET_HDR_LEN + len);
	assert_int_equal(gw_vnet_hdr_parse(out, outlen, &vh), 0);
	assert_int_equal(vh.gso_size, mss);
	assert_int_equal(vh.flags, GW_VNET_F_NEEDS_CSUM);
	out += GW_VNET_HDR_LEN;
	assert_memory_equal(out, want, il + 16);
	assert_memory_equal(out + il + 18, want + il + 18, len - il - 18);
	assert_int_equal(be16(out + il + 16), naive_pseudo(want, len - il, 6));
	gw_gro_reset(g);
	assert_int_equal(g->len, 0);
}

static void test_gro_closing(void **state)
{
	const struct flow *flows[] = {&flow4, &flow6_carry};
	struct gw_gro *g = gro_new();

	(void)state;
	for (size_t fi = 0; fi < 2; fi++) {
		struct flow f = *flows[fi];
		uint32_t s = f.seq;

		f.opt = opt_ts;
		f.optlen = sizeof(opt_ts);
		/* a short segment closes the group */
		add_run(g, &f, s, 1000, F_ACK, true);
		add_run(g, &f, s + 1000, 1000, F_ACK, true);
		add_run(g, &f, s + 2000, 500, F_ACK, true);
		add_run(g, &f, s + 2500, 500, F_ACK, false);
		add_run(g, &f, s + 2500, 1000, F_ACK, false);
		check_merged(g, &f, 2500, 1000, F_ACK);
		/* so does PSH, which the merged header carries */
		add_run(g, &f, s, 1000, F_ACK, true);
		add_run(g, &f, s + 1000, 1000, F_ACK | F_PSH, true);
		add_run(g, &f, s + 2000, 1000, F_ACK, false);
		check_merged(g, &f, 2000, 1000, F_ACK | F_PSH);
		/* PSH on the first segment: nothing joins it; finish leaves it alone */
		add_run(g, &f, s, 1000, F_ACK | F_PSH, true);
		add_run(g, &f, s + 1000, 1000, F_ACK, false);
		{
			const uint8_t *out;
			size_t outlen;
			static uint8_t want[BIG];
			struct flow x = f;
			size_t len;

			x.flags = F_ACK | F_PSH;
			len = build(want, &x, pattern, 1000);
			gw_gro_finish(g, &out, &outlen);
			assert_int_equal(outlen, GW_VNET_HDR_LEN + len);
			for (size_t i = 0; i < GW_VNET_HDR_LEN; i++)
				assert_int_equal(out[i], 0);
			assert_memory_equal(out + GW_VNET_HDR_LEN, want, len);
			gw_gro_reset(g);
		}
		/* a short first segment fixes the mss: a larger one does not join */
		add_run(g, &f, s, 700, F_ACK, true);
		add_run(g, &f, s + 700, 1000, F_ACK, false);
		add_run(g, &f, s + 700, 700, F_ACK, true);
		check_merged(g, &f, 1400, 700, F_ACK);
	}
	free(g);
}

static void test_gro_limit(void **state)
{
	static uint8_t b[BIG];
	const struct flow *flows[] = {&flow4, &flow6};
	struct gw_gro *g = gro_new();

	(void)state;
	for (size_t fi = 0; fi < 2; fi++) {
		struct flow f = *flows[fi];
		size_t hl, room;
		uint32_t s = f.seq;

		f.opt = opt_ts;
		f.optlen = sizeof(opt_ts);
		hl = hdr_size(&f);
		room = GW_GSO_MAX - hl - 8 * 8000; /* what is left after eight full segments */
		/* exactly 65535 bytes fit */
		for (unsigned i = 0; i < 8; i++)
			add_run(g, &f, s + i * 8000, 8000, F_ACK, true);
		add_run(g, &f, s + 64000, room + 1, F_ACK, false);
		add_run(g, &f, s + 64000, room, F_ACK, true);
		assert_int_equal(g->len, GW_GSO_MAX);
		check_merged(g, &f, 64000 + room, 8000, F_ACK);
		/* one more byte does not */
		for (unsigned i = 0; i < 8; i++)
			add_run(g, &f, s + i * 8000, 8000, F_ACK, true);
		add_run(g, &f, s + 64000, 8000, F_ACK, false);
		check_merged(g, &f, 64000, 8000, F_ACK);
	}
	/* An IPv6 packet larger than the group buffer is never taken, even alone. */
	{
		struct flow f = flow6;
		size_t len = build(b, &f, pattern, GW_GSO_MAX - 20);

		assert_true(len > GW_GSO_MAX);
		assert_true(tcp_csum_valid(b, len));
		assert_false(gw_gro_add(g, b, len));
		assert_int_equal(g->len, 0);
	}
	free(g);
}

/* Interleaved flows: the caller flushes and starts a new group, as rx_deliver does. */
static void test_gro_two_flows(void **state)
{
	static uint8_t a[BIG], c[BIG];
	struct gw_gro *g = gro_new();
	struct flow f = flow4, h = flow4;
	size_t la, lc;

	(void)state;
	h.sport++;
	la = build(a, &f, pattern, 1200);
	lc = build(c, &h, pattern, 1200);
	assert_true(gw_gro_add(g, a, la));
	assert_false(gw_gro_add(g, c, lc));
	{
		const uint8_t *out;
		size_t outlen;

		gw_gro_finish(g, &out, &outlen);
		assert_int_equal(outlen, GW_VNET_HDR_LEN + la);
		assert_memory_equal(out + GW_VNET_HDR_LEN, a, la);
	}
	gw_gro_reset(g);
	assert_true(gw_gro_add(g, c, lc));
	assert_int_equal(g->len, lc);
	free(g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_vnet_hdr),         cmocka_unit_test(test_csum_complete),
	        cmocka_unit_test(test_tso_split_matrix), cmocka_unit_test(test_tso_flags),
	        cmocka_unit_test(test_tso_errors),       cmocka_unit_test(test_gro_eligible),
	        cmocka_unit_test(test_gro_refusals),     cmocka_unit_test(test_gro_closing),
	        cmocka_unit_test(test_gro_limit),        cmocka_unit_test(test_gro_two_flows),
	};

	return cmocka_run_group_tests(tests, setup_pattern, NULL);
}
