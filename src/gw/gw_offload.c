/* SPDX-License-Identifier: ISC */
/*
 * TSO splitting and GRO coalescing for TUN with virtio net headers; see
 * gw_offload.h. Checksums per RFC 1071 (incremental sums of 32-bit words,
 * folded), TCP pseudo-headers per RFC 9293 3.1 and RFC 8200 8.1.
 *
 *   virtio_net_hdr (little-endian):
 *   +-------+----------+---------+----------+------------+-------------+
 *   | flags | gso_type | hdr_len | gso_size | csum_start | csum_offset |
 *   |   1   |    1     |    2    |    2     |     2      |      2      |
 *   +-------+----------+---------+----------+------------+-------------+
 */
#include <string.h>

#include "gw/gw_offload.h"
#include "lib/err.h"
#include "lib/rd.h"

_Static_assert(GW_VNET_HDR_LEN == 10, "legacy virtio_net_hdr is 10 bytes");

enum {
	TCP_FIN = 0x01,
	TCP_SYN = 0x02,
	TCP_RST = 0x04,
	TCP_PSH = 0x08,
	TCP_ACK = 0x10,
	TCP_URG = 0x20,
	TCP_ECE = 0x40,
	TCP_CWR = 0x80,
	IPPROTO_TCP_ = 6,
};

static uint16_t le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static void put_le16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

int gw_vnet_hdr_parse(const uint8_t *p, size_t len, struct gw_vnet_hdr *h)
{
	if (len < GW_VNET_HDR_LEN)
		return BW_ERR_SHORT;
	h->flags = p[0];
	h->gso_type = p[1];
	h->hdr_len = le16(p + 2);
	h->gso_size = le16(p + 4);
	h->csum_start = le16(p + 6);
	h->csum_offset = le16(p + 8);
	return 0;
}

void gw_vnet_hdr_write(uint8_t *p, const struct gw_vnet_hdr *h)
{
	p[0] = h->flags;
	p[1] = h->gso_type;
	put_le16(p + 2, h->hdr_len);
	put_le16(p + 4, h->gso_size);
	put_le16(p + 6, h->csum_start);
	put_le16(p + 8, h->csum_offset);
}

uint32_t gw_csum_add(uint32_t sum, const uint8_t *p, size_t len)
{
	uint64_t s = sum;

	/* Summing 32-bit words and folding equals summing 16-bit words (2^16 = 1 mod 0xffff). */
	for (; len >= 16; p += 16, len -= 16)
		s += (uint64_t)bw_be32(p) + bw_be32(p + 4) + bw_be32(p + 8) + bw_be32(p + 12);
	for (; len >= 4; p += 4, len -= 4)
		s += bw_be32(p);
	if (len >= 2) {
		s += bw_be16(p);
		p += 2;
		len -= 2;
	}
	if (len == 1)
		s += (uint32_t)p[0] << 8;
	while (s >> 32)
		s = (s & 0xffffffffu) + (s >> 32);
	return (uint32_t)s;
}

/* Folds to 16 bits, not inverted. */
static uint16_t fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

uint16_t gw_csum_fold(uint32_t sum)
{
	return (uint16_t)~fold(sum);
}

/* What a TCP segment looks like, parsed with the bounded reader. */
struct tcp_seg {
	bool v6;
	size_t ip_len;  /* IP header bytes */
	size_t hdr_len; /* IP + TCP header bytes */
	size_t payload; /* TCP payload bytes */
	uint32_t seq;
	uint8_t flags;
};

static int tcp_parse(const uint8_t *ip, size_t len, struct tcp_seg *s)
{
	struct bw_rd rd;
	uint8_t v, doff;
	uint16_t tot;

	bw_rd_init(&rd, ip, len);
	if (bw_rd_peek_u8(&rd, &v) != 0)
		return BW_ERR_SHORT;
	if (v >> 4 == 4) {
		s->v6 = false;
		s->ip_len = (size_t)(v & 0x0f) * 4;
		if (s->ip_len < 20 || len < s->ip_len)
			return BW_ERR_SHORT;
		tot = bw_be16(ip + 2);
		/* Exact lengths: a lying total length is never segmented or merged. */
		if (tot != len || ip[9] != IPPROTO_TCP_ || (bw_be16(ip + 6) & 0x3fff) != 0)
			return BW_ERR_INVAL;
	} else if (v >> 4 == 6) {
		s->v6 = true;
		s->ip_len = 40;
		if (len < 40)
			return BW_ERR_SHORT;
		if ((size_t)bw_be16(ip + 4) + 40 != len || ip[6] != IPPROTO_TCP_)
			return BW_ERR_INVAL;
	} else {
		return BW_ERR_INVAL;
	}
	if (len < s->ip_len + 20)
		return BW_ERR_SHORT;
	doff = ip[s->ip_len + 12] >> 4;
	s->hdr_len = s->ip_len + (size_t)doff * 4;
	if (doff < 5 || s->hdr_len > len)
		return BW_ERR_INVAL;
	s->payload = len - s->hdr_len;
	s->seq = bw_be32(ip + s->ip_len + 4);
	s->flags = ip[s->ip_len + 13];
	return 0;
}

/* Sum of the TCP pseudo-header for a TCP length of tcp_len. */
static uint32_t pseudo_sum(const uint8_t *ip, bool v6, size_t tcp_len)
{
	uint64_t s;

	/* The address sum can be anywhere up to 0xffffffff: add in 64 bits and fold the
	 * carry back in (2^32 = 1 mod 0xffff), or it is lost. */
	if (v6)
		s = (uint64_t)gw_csum_add(0, ip + 8, 32) + (tcp_len >> 16) + (tcp_len & 0xffff);
	else
		s = (uint64_t)gw_csum_add(0, ip + 12, 8) + tcp_len;
	s += IPPROTO_TCP_;
	return (uint32_t)((s & 0xffffffffu) + (s >> 32));
}

static bool tcp_csum_ok(const uint8_t *ip, const struct tcp_seg *s, size_t len)
{
	uint32_t sum = pseudo_sum(ip, s->v6, len - s->ip_len);

	sum = gw_csum_add(sum, ip + s->ip_len, len - s->ip_len);
	return fold(sum) == 0xffff;
}

static void ipv4_csum(uint8_t *ip, size_t ip_len)
{
	bw_put_be16(ip + 10, 0);
	bw_put_be16(ip + 10, gw_csum_fold(gw_csum_add(0, ip, ip_len)));
}

int gw_csum_complete(const struct gw_vnet_hdr *h, uint8_t *ip, size_t len)
{
	uint16_t c;

	if (!(h->flags & GW_VNET_F_NEEDS_CSUM))
		return 0;
	if ((size_t)h->csum_start + h->csum_offset + 2 > len)
		return BW_ERR_INVAL;
	/* The field holds the pseudo-header sum; sum from csum_start to the end. */
	c = gw_csum_fold(gw_csum_add(0, ip + h->csum_start, len - h->csum_start));
	bw_put_be16(ip + h->csum_start + h->csum_offset, c == 0 ? 0xffff : c);
	return 0;
}

int gw_tso_split(const struct gw_vnet_hdr *h, const uint8_t *ip, size_t len, struct pkt_pool *pool,
                 struct pkt **out, size_t max, size_t *n)
{
	struct tcp_seg s;
	size_t mss = h->gso_size, nseg, off = 0;
	uint16_t id;
	int r;

	*n = 0;
	if ((r = tcp_parse(ip, len, &s)) != 0)
		return r;
	if (mss == 0 || s.payload == 0)
		return BW_ERR_INVAL;
	nseg = (s.payload + mss - 1) / mss;
	if (nseg > max)
		return BW_ERR_LIMIT;
	if (s.hdr_len + mss > PKT_BUFSIZE - PKT_HEADROOM - 64)
		return BW_ERR_NOSPACE;
	id = s.v6 ? 0 : bw_be16(ip + 4);
	for (size_t i = 0; i < nseg; i++, off += mss) {
		size_t chunk = s.payload - off < mss ? s.payload - off : mss;
		size_t seglen = s.hdr_len + chunk;
		struct pkt *p = pkt_alloc(pool);
		uint8_t *q, *tcp, fl = s.flags;

		if (p == NULL) {
			for (size_t k = 0; k < i; k++)
				pkt_free(out[k]);
			return BW_ERR_NOMEM;
		}
		q = pkt_put(p, seglen);
		memcpy(q, ip, s.hdr_len);
		memcpy(q + s.hdr_len, ip + s.hdr_len + off, chunk);
		if (s.v6) {
			bw_put_be16(q + 4, (uint16_t)(seglen - 40));
		} else {
			bw_put_be16(q + 2, (uint16_t)seglen);
			bw_put_be16(q + 4, (uint16_t)(id + i));
			ipv4_csum(q, s.ip_len);
		}
		tcp = q + s.ip_len;
		bw_put_be32(tcp + 4, s.seq + (uint32_t)off);
		/* FIN and PSH belong to the last segment, CWR to the first (RFC 3168 6.1.2). */
		if (i + 1 < nseg)
			fl &= (uint8_t) ~(TCP_FIN | TCP_PSH);
		if (i > 0)
			fl &= (uint8_t)~TCP_CWR;
		tcp[13] = fl;
		bw_put_be16(tcp + 16, 0);
		bw_put_be16(tcp + 16,
		            gw_csum_fold(gw_csum_add(pseudo_sum(q, s.v6, seglen - s.ip_len), tcp,
		                                     seglen - s.ip_len)));
		out[i] = p;
	}
	*n = nseg;
	return 0;
}

bool gw_gro_eligible(const uint8_t *ip, size_t len)
{
	struct tcp_seg s;

	/* An IPv6 packet can be 40 bytes longer than GW_GSO_MAX but the group buffer cannot. */
	if (len > GW_GSO_MAX || tcp_parse(ip, len, &s) != 0 || s.payload == 0)
		return false;
	/* Only plain data segments merge: no SYN, FIN, RST, URG or ECN signalling. */
	if ((s.flags & (uint8_t) ~(TCP_ACK | TCP_PSH)) != 0 || !(s.flags & TCP_ACK))
		return false;
	/* No IPv4 options; a bad header checksum is not merged (finish would rewrite it valid). */
	if (!s.v6 && (s.ip_len != 20 || fold(gw_csum_add(0, ip, 20)) != 0xffff))
		return false;
	return tcp_csum_ok(ip, &s, len);
}

/* Same flow and same headers but for what changes from segment to segment. */
static bool same_headers(const struct gw_gro *g, const uint8_t *ip, const struct tcp_seg *s)
{
	const uint8_t *h = g->buf + GW_VNET_HDR_LEN;
	const uint8_t *t0 = h + g->ip_len, *t1 = ip + s->ip_len;

	if (s->v6 != g->v6 || s->hdr_len != g->hdr_len)
		return false;
	if (s->v6) {
		if (memcmp(h, ip, 4) != 0 || memcmp(h + 6, ip + 6, 34) != 0)
			return false;
	} else if (memcmp(h, ip, 2) != 0 || memcmp(h + 8, ip + 8, 2) != 0 ||
	           memcmp(h + 12, ip + 12, 8) != 0 || (h[6] & 0x40) != (ip[6] & 0x40)) {
		return false;
	}
	/* Ports, ack, data offset, window, urgent pointer and options. */
	return memcmp(t0, t1, 4) == 0 && memcmp(t0 + 8, t1 + 8, 5) == 0 &&
	       memcmp(t0 + 14, t1 + 14, 2) == 0 &&
	       memcmp(t0 + 18, t1 + 18, g->hdr_len - g->ip_len - 18) == 0;
}

bool gw_gro_add(struct gw_gro *g, const uint8_t *ip, size_t len)
{
	struct tcp_seg s;

	if (!gw_gro_eligible(ip, len) || tcp_parse(ip, len, &s) != 0)
		return false;
	if (g->len == 0) {
		memcpy(g->buf + GW_VNET_HDR_LEN, ip, len);
		g->len = len;
		g->hdr_len = s.hdr_len;
		g->ip_len = s.ip_len;
		g->mss = (uint16_t)s.payload;
		g->next_seq = s.seq + (uint32_t)s.payload;
		g->segs = 1;
		g->v6 = s.v6;
		g->closed = (s.flags & TCP_PSH) != 0;
		return true;
	}
	if (g->closed || s.seq != g->next_seq || s.payload > g->mss ||
	    g->len + s.payload > GW_GSO_MAX || !same_headers(g, ip, &s))
		return false;
	memcpy(g->buf + GW_VNET_HDR_LEN + g->len, ip + s.hdr_len, s.payload);
	g->len += s.payload;
	g->next_seq += (uint32_t)s.payload;
	g->segs++;
	/* A short segment or PSH ends a burst, as in the kernel's GRO. */
	if (s.payload < g->mss || (s.flags & TCP_PSH)) {
		g->buf[GW_VNET_HDR_LEN + g->ip_len + 13] |= s.flags & TCP_PSH;
		g->closed = true;
	}
	return true;
}

void gw_gro_finish(struct gw_gro *g, const uint8_t **out, size_t *outlen)
{
	struct gw_vnet_hdr vh;
	uint8_t *ip = g->buf + GW_VNET_HDR_LEN;

	memset(&vh, 0, sizeof(vh));
	if (g->segs > 1) {
		if (g->v6) {
			bw_put_be16(ip + 4, (uint16_t)(g->len - 40));
		} else {
			bw_put_be16(ip + 2, (uint16_t)g->len);
			ipv4_csum(ip, g->ip_len);
		}
		/* CHECKSUM_PARTIAL: the field holds the pseudo-header sum, the kernel
		 * treats the payload as verified (each segment was checked above). */
		bw_put_be16(ip + g->ip_len + 16, fold(pseudo_sum(ip, g->v6, g->len - g->ip_len)));
		vh.flags = GW_VNET_F_NEEDS_CSUM;
		vh.gso_type = g->v6 ? GW_VNET_GSO_TCPV6 : GW_VNET_GSO_TCPV4;
		vh.hdr_len = (uint16_t)g->hdr_len;
		vh.gso_size = g->mss;
		vh.csum_start = (uint16_t)g->ip_len;
		vh.csum_offset = 16;
	}
	gw_vnet_hdr_write(g->buf, &vh);
	*out = g->buf;
	*outlen = GW_VNET_HDR_LEN + g->len;
}
