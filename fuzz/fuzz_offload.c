/* SPDX-License-Identifier: ISC */
/*
 * libFuzzer target for TSO splitting and GRO coalescing (src/gw/gw_offload.h,
 * virtio net header as TUN hands it over). The input is a 10-byte
 * little-endian virtio_net_hdr followed by an IP packet. Without a GSO type
 * the packet's partial checksum is completed on a copy (gw_csum_complete);
 * with one it is split by gw_tso_split into at most FUZZ_MAX_SEGS segments
 * from a pool capped below that (so the allocation-failure path runs too).
 * The input and every segment then go through one GRO group, flushed as
 * rx_deliver() does. Invariants are checked against a naive RFC 1071 sum
 * written here: a completed checksum verifies; every segment is at most
 * headers + gso_size, its IPv4 header and TCP checksums verify and the
 * payloads concatenate to the input's; no failure leaves a pkt allocated; a
 * GRO output fits its buffer, has consistent IP lengths, and a merged one
 * carries the pseudo-header sum with gso_size below its payload.
 *
 * Seeds (fuzz/corpus/fuzz_offload/) were written by a throwaway python3
 * script with struct.pack: TSO super-packets over IPv4 and IPv6 (timestamp
 * option, PSH, FIN+CWR with the ECN GSO bit, payloads of k*mss and k*mss+1,
 * addresses whose sums carry, one of 61 segments that exhausts the pool),
 * each with a kernel-style partial checksum, and plain packets: a TCP and a
 * UDP-over-IPv6 packet with NEEDS_CSUM, and complete IPv4/IPv6 TCP data
 * segments that GRO can take.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gw/gw_offload.h"
#include "lib/pkt.h"

enum {
	FUZZ_MAX_SEGS = 64,
	FUZZ_POOL_MAX = 48,
};

#define CHECK(c)                                                                                   \
	do {                                                                                       \
		if (!(c))                                                                          \
			abort();                                                                   \
	} while (0)

static struct pkt_pool *fuzz_pool;
static struct gw_gro fuzz_gro;
static uint8_t fuzz_copy[GW_GSO_MAX + 64];

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* RFC 1071 one 16-bit word at a time, unfolded (64 bits cannot overflow here). */
static uint64_t naive_sum(uint64_t acc, const uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		acc += (uint64_t)(p[i] << 8 | p[i + 1]);
	if (i < len)
		acc += (uint64_t)p[i] << 8;
	return acc;
}

/* Ones' complement zero: a sum that is a multiple of 0xffff. */
static bool ones_zero(uint64_t s)
{
	return s % 0xffff == 0;
}

static uint64_t naive_pseudo(const uint8_t *ip, size_t l4_len)
{
	if (ip[0] >> 4 == 6)
		return naive_sum(0, ip + 8, 32) + (l4_len >> 16) + (l4_len & 0xffff) + 6;
	return naive_sum(0, ip + 12, 8) + l4_len + 6;
}

static size_t ip_hdr_len(const uint8_t *ip)
{
	return ip[0] >> 4 == 6 ? 40 : (size_t)(ip[0] & 0x0f) * 4;
}

static void check_csum_complete(const struct gw_vnet_hdr *h, const uint8_t *ip, size_t len)
{
	size_t at = (size_t)h->csum_start + h->csum_offset;
	int r;

	memcpy(fuzz_copy, ip, len);
	r = gw_csum_complete(h, fuzz_copy, len);
	if (r != 0 || !(h->flags & GW_VNET_F_NEEDS_CSUM)) {
		CHECK(r == 0 || at + 2 > len);
		CHECK(memcmp(fuzz_copy, ip, len) == 0);
		return;
	}
	CHECK(at + 2 <= len);
	/* Only the field changed, and it cancels the sum that included its old value. */
	CHECK(memcmp(fuzz_copy, ip, at) == 0 &&
	      memcmp(fuzz_copy + at + 2, ip + at + 2, len - at - 2) == 0);
	CHECK(be16(fuzz_copy + at) != 0);
	/* An odd offset puts the field across two words of the sum: the kernel never asks
	 * for that (TCP 16, UDP 6) and the result is then garbage, harmlessly. */
	if (h->csum_offset & 1)
		return;
	CHECK(ones_zero(naive_sum(be16(ip + at), fuzz_copy + h->csum_start, len - h->csum_start)));
}

static void gro_flush(void)
{
	struct gw_gro *g = &fuzz_gro;
	struct gw_vnet_hdr vh;
	const uint8_t *out, *ip;
	size_t outlen, len, il;
	unsigned segs = g->segs;

	if (g->len == 0)
		return;
	gw_gro_finish(g, &out, &outlen);
	CHECK(out == g->buf && outlen == GW_VNET_HDR_LEN + g->len);
	CHECK(outlen <= sizeof(g->buf) && g->len >= 20 + 20 + 1);
	CHECK(gw_vnet_hdr_parse(out, outlen, &vh) == 0);
	ip = out + GW_VNET_HDR_LEN;
	len = outlen - GW_VNET_HDR_LEN;
	il = ip_hdr_len(ip);
	if (ip[0] >> 4 == 6)
		CHECK((size_t)be16(ip + 4) + 40 == len);
	else
		CHECK(be16(ip + 2) == len && il == 20 && ones_zero(naive_sum(0, ip, 20)));
	if (segs == 1) {
		for (size_t i = 0; i < GW_VNET_HDR_LEN; i++)
			CHECK(out[i] == 0);
		CHECK(ones_zero(naive_sum(naive_pseudo(ip, len - il), ip + il, len - il)));
	} else {
		CHECK(vh.flags == GW_VNET_F_NEEDS_CSUM && vh.csum_start == il &&
		      vh.csum_offset == 16);
		CHECK(vh.gso_type == (ip[0] >> 4 == 6 ? GW_VNET_GSO_TCPV6 : GW_VNET_GSO_TCPV4));
		CHECK(vh.hdr_len < len && vh.gso_size > 0 && vh.gso_size < len - vh.hdr_len);
		CHECK(len - vh.hdr_len <= (size_t)vh.gso_size * segs);
		/* The field holds the pseudo-header sum, folded and not inverted. */
		CHECK(ones_zero(naive_pseudo(ip, len - il) + 0xffff - be16(ip + il + 16)));
	}
	gw_gro_reset(g);
}

static void gro_feed(const uint8_t *ip, size_t len)
{
	if (gw_gro_add(&fuzz_gro, ip, len))
		return;
	if (fuzz_gro.len != 0) {
		gro_flush();
		(void)gw_gro_add(&fuzz_gro, ip, len);
	}
}

static void check_split(const struct gw_vnet_hdr *h, const uint8_t *ip, size_t len)
{
	struct pkt *segs[FUZZ_MAX_SEGS];
	size_t n = 1234, il, hl, payload, mss = h->gso_size;
	int r;

	r = gw_tso_split(h, ip, len, fuzz_pool, segs, FUZZ_MAX_SEGS, &n);
	if (r != 0) {
		CHECK(r < 0 && n == 0 && pkt_pool_in_use(fuzz_pool) == 0);
		return;
	}
	CHECK(n >= 1 && n <= FUZZ_MAX_SEGS && pkt_pool_in_use(fuzz_pool) == n);
	il = ip_hdr_len(ip);
	CHECK(il >= 20 && len >= il + 20);
	hl = il + (size_t)(ip[il + 12] >> 4) * 4;
	CHECK(hl <= len && mss > 0);
	payload = len - hl;
	CHECK(n == (payload + mss - 1) / mss);
	for (size_t i = 0; i < n; i++) {
		const uint8_t *q = pkt_data(segs[i]);
		size_t ql = segs[i]->len, chunk = i + 1 < n ? mss : payload - i * mss;

		CHECK(ql == hl + chunk && ql <= hl + mss);
		if (q[0] >> 4 == 4)
			CHECK(be16(q + 2) == ql && ones_zero(naive_sum(0, q, il)));
		else
			CHECK((size_t)be16(q + 4) + 40 == ql);
		CHECK(ones_zero(naive_sum(naive_pseudo(q, ql - il), q + il, ql - il)));
		CHECK(memcmp(q + hl, ip + hl + i * mss, chunk) == 0);
	}
	for (size_t i = 0; i < n; i++)
		gro_feed(pkt_data(segs[i]), segs[i]->len);
	for (size_t i = 0; i < n; i++)
		pkt_free(segs[i]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gw_vnet_hdr h;
	const uint8_t *ip = data + GW_VNET_HDR_LEN;
	size_t len;

	if (fuzz_pool == NULL && (fuzz_pool = pkt_pool_new(8, FUZZ_POOL_MAX)) == NULL)
		abort();
	if (gw_vnet_hdr_parse(data, size, &h) != 0)
		return 0;
	len = size - GW_VNET_HDR_LEN;
	if (len > sizeof(fuzz_copy))
		return 0;
	gw_gro_reset(&fuzz_gro);
	gro_feed(ip, len);
	if ((h.gso_type & (uint8_t)~GW_VNET_GSO_ECN) == GW_VNET_GSO_NONE)
		check_csum_complete(&h, ip, len);
	else
		check_split(&h, ip, len);
	gro_flush();
	CHECK(pkt_pool_in_use(fuzz_pool) == 0 && fuzz_gro.len == 0);
	return 0;
}
