/* SPDX-License-Identifier: ISC */
/*
 * Transport layers for the IPS decoder: TCP (RFC 9293 3.1, options of RFC
 * 9293 3.2, RFC 7323 window scale and timestamps, RFC 2018 SACK), UDP
 * (RFC 768; RFC 8200 8.1 for the IPv6 pseudo-header and zero checksum),
 * ICMP (RFC 792) and ICMPv6 (RFC 4443), and the dispatch of the upper-layer
 * protocol of an IP layer to them and to the tunnels.
 *
 *   TCP: | sport 2 | dport 2 | seq 4 | ack 4 | off 4 rsvd 4 | flags 1 | win 2 |
 *        | csum 2 | urg 2 | options (off*4 - 20) |
 *   UDP: | sport 2 | dport 2 | length 2 | csum 2 |
 *   ICMP/ICMPv6: | type 1 | code 1 | csum 2 | rest of header 4 (id 2, seq 2 for echo) |
 *
 * Checksums are verified and flagged, never fatal: a capture taken on the
 * sending host often shows offloaded (unfilled) checksums, and the stream
 * engine decides what to do with them. They are not verified on truncated
 * captures, where the bytes needed are missing.
 */
#include <string.h>

#include "ips/decode_int.h"
#include "lib/err.h"
#include "lib/rd.h"

enum tcp_opt {
	TCP_OPT_EOL = 0,
	TCP_OPT_NOP = 1,
	TCP_OPT_MSS = 2,       /* len 4 */
	TCP_OPT_WS = 3,        /* len 3 */
	TCP_OPT_SACK_PERM = 4, /* len 2 */
	TCP_OPT_SACK = 5,      /* len 2 + 8n */
	TCP_OPT_TS = 8,        /* len 10 */
	TCP_OPT_MD5 = 19,      /* len 18, RFC 2385 */
	TCP_OPT_AO = 29,       /* len >= 4, RFC 5925 */
	TCP_OPT_TFO = 34,      /* len 2 (cookie request) or 6..18 even, RFC 7413 4.1.1 */
	TCP_OPT_EXP1 = 253,    /* RFC 6994 experimental options: TFO's pre-RFC form */
	TCP_OPT_EXP2 = 254,
};

/* Sum of the pseudo-header of the innermost IP layer (RFC 9293 3.1, RFC 8200 8.1). */
static uint32_t pseudo_sum(const struct ips_ip *ip, uint8_t proto, size_t len)
{
	size_t alen = ip->version == 4 ? 4 : 16;
	uint32_t l32 = (uint32_t)len;

	return ips_csum_words(ip->src.a, alen) +
	       ips_csum_words(ip->has_final_dst ? ip->final_dst : ip->dst.a, alen) + (l32 >> 16) +
	       (l32 & 0xffff) + proto;
}

static bool csum_wanted(struct ips_dec *d)
{
	if ((d->dec != NULL && d->dec->no_l4_csum) || (d->p->flags & IPS_PKT_TRUNCATED)) {
		d->p->flags |= IPS_PKT_L4_CSUM_SKIP;
		return false;
	}
	return true;
}

static void csum_bad(struct ips_dec *d, enum ips_event ev)
{
	d->p->flags |= IPS_PKT_L4_CSUM_BAD;
	ips_dec_ev(d, ev);
}

/* Options: kind 0 ends, kind 1 pads, the rest are TLVs whose length covers kind and length. */
static void tcp_opts(struct ips_dec *d, struct ips_tcp *t, const uint8_t *o, size_t len)
{
	struct bw_rd rd;
	uint8_t kind, olen;
	const uint8_t *v;

	bw_rd_init(&rd, o, len);
	while (bw_rd_left(&rd) > 0) {
		(void)bw_rd_u8(&rd, &kind);
		if (kind == TCP_OPT_EOL)
			return;
		if (kind == TCP_OPT_NOP)
			continue;
		if (bw_rd_u8(&rd, &olen) != 0 || olen < 2 || (size_t)olen - 2 > bw_rd_left(&rd)) {
			ips_dec_ev(d, IPS_EV_TCP_OPT_BAD);
			return;
		}
		(void)bw_rd_ptr(&rd, &v, (size_t)olen - 2);
		switch (kind) {
		case TCP_OPT_MSS:
			if (olen != 4)
				goto bad;
			t->has_mss = true;
			t->mss = bw_be16(v);
			break;
		case TCP_OPT_WS:
			if (olen != 3)
				goto bad;
			t->has_ws = true;
			t->ws = v[0];
			break;
		case TCP_OPT_SACK_PERM:
			if (olen != 2)
				goto bad;
			t->sack_perm = true;
			break;
		case TCP_OPT_SACK:
			if (olen < 10 || (olen - 2) % 8 != 0)
				goto bad;
			for (size_t i = 0; i < (size_t)(olen - 2) / 8 && t->n_sack < IPS_MAX_SACK;
			     i++) {
				t->sack[t->n_sack][0] = bw_be32(v + i * 8);
				t->sack[t->n_sack][1] = bw_be32(v + i * 8 + 4);
				t->n_sack++;
			}
			break;
		case TCP_OPT_TS:
			if (olen != 10)
				goto bad;
			t->has_ts = true;
			t->ts_val = bw_be32(v);
			t->ts_ecr = bw_be32(v + 4);
			break;
		case TCP_OPT_TFO:
			/* Suricata's bounds: a request (2) or a 2..14-byte cookie, even. */
			if (olen != 2 && (olen < 4 || olen > 18 || (olen & 1) != 0))
				goto bad;
			t->has_tfo = true;
			break;
		case TCP_OPT_EXP1:
		case TCP_OPT_EXP2:
			/* RFC 6994: the ExID 0xf989 marks TCP Fast Open. */
			if (olen != 4 && olen != 12)
				goto bad;
			if (bw_be16(v) == 0xf989)
				t->has_tfo = true;
			break;
		case TCP_OPT_MD5:
			if (olen != 18) /* RFC 2385 3.0: kind, length, 16-byte digest */
				goto bad;
			t->has_md5_ao = true;
			break;
		case TCP_OPT_AO:
			if (olen < 4) /* RFC 5925 2.2: kind, length, KeyID, RNextKeyID */
				goto bad;
			t->has_md5_ao = true;
			break;
		default:
			break; /* unknown options are skipped by their length (RFC 9293 3.2) */
		}
	}
	return;
bad:
	/* A known option with the wrong length: RFC 9293 3.2 says treat it as malformed. */
	ips_dec_ev(d, IPS_EV_TCP_OPT_BAD);
}

static int dec_tcp(struct ips_dec *d, const uint8_t *b, size_t len)
{
	struct ips_packet *p = d->p;
	const struct ips_ip *ip = ips_packet_ip(p);
	struct ips_tcp *t = &p->tcp;
	size_t hlen;

	if (len < IPS_TCP_HLEN)
		return ips_dec_ev(d, IPS_EV_TCP_TRUNC);
	hlen = (size_t)(b[12] >> 4) * 4;
	if (hlen < IPS_TCP_HLEN)
		return ips_dec_ev(d, IPS_EV_TCP_HLEN_SMALL);
	if (hlen > len)
		return ips_dec_ev(d, IPS_EV_TCP_HLEN_TRUNC);
	if (!ips_dec_layer(d, IPS_LAYER_TCP, b, hlen))
		return BW_ERR_INVAL;
	IPS_STAT(d, tcp);
	memset(t, 0, sizeof(*t));
	p->l4proto = IPS_IPPROTO_TCP;
	p->sp = bw_be16(b);
	p->dp = bw_be16(b + 2);
	t->seq = bw_be32(b + 4);
	t->ack = bw_be32(b + 8);
	t->hlen = (uint8_t)hlen;
	t->flags = b[13];
	t->win = bw_be16(b + 14);
	t->csum = bw_be16(b + 16);
	t->urp = bw_be16(b + 18);
	p->l4 = b;
	p->payload = b + hlen;
	p->payload_len = len - hlen;
	tcp_opts(d, t, b + IPS_TCP_HLEN, hlen - IPS_TCP_HLEN);
	if (csum_wanted(d) &&
	    ips_csum_fold(ips_csum_add(pseudo_sum(ip, IPS_IPPROTO_TCP, len), b, len)) != 0)
		csum_bad(d, IPS_EV_TCP_BAD_CSUM);
	return d->rc;
}

/* UDP ports that carry something the decoder goes on into. */
static int udp_next(struct ips_dec *d, const uint8_t *b, size_t len)
{
	struct ips_packet *p = d->p;

	if (p->sp == IPS_UDP_PORT_L2TP || p->dp == IPS_UDP_PORT_L2TP)
		return ips_dec_l2tp(d, b, len);
	if (p->sp == IPS_UDP_PORT_NATT || p->dp == IPS_UDP_PORT_NATT) {
		/*
		 * RFC 3948 2.2: a zero non-ESP marker means IKE; a single 0xff byte
		 * is a NAT-keepalive (2.3); anything else of ESP size is ESP.
		 */
		if (len >= IPS_ESP_HLEN && bw_be32(b) != 0)
			return ips_dec_esp(d, b, len, true);
	}
	return d->rc;
}

static int dec_udp(struct ips_dec *d, const uint8_t *b, size_t len)
{
	struct ips_packet *p = d->p;
	const struct ips_ip *ip = ips_packet_ip(p);
	size_t ulen;
	uint16_t csum;

	if (len < IPS_UDP_HLEN)
		return ips_dec_ev(d, IPS_EV_UDP_TRUNC);
	if (!ips_dec_layer(d, IPS_LAYER_UDP, b, IPS_UDP_HLEN))
		return BW_ERR_INVAL;
	IPS_STAT(d, udp);
	p->l4proto = IPS_IPPROTO_UDP;
	p->sp = bw_be16(b);
	p->dp = bw_be16(b + 2);
	ulen = bw_be16(b + 4);
	csum = bw_be16(b + 6);
	p->l4 = b;
	p->udp_len = (uint16_t)ulen;
	if (ulen < IPS_UDP_HLEN || (ulen > len && !(p->flags & IPS_PKT_TRUNCATED)))
		return ips_dec_ev(d, IPS_EV_UDP_LEN_BAD);
	/* Bytes of the IP payload past the UDP length are ignored, as receivers do. */
	if (ulen < len)
		len = ulen;
	p->payload = b + IPS_UDP_HLEN;
	p->payload_len = len - IPS_UDP_HLEN;
	if (csum == 0) {
		/* IPv4: no checksum (RFC 768). IPv6: only tunnels may (RFC 6935): not verified. */
		p->flags |= IPS_PKT_L4_CSUM_SKIP;
	} else if (csum_wanted(d) &&
	           ips_csum_fold(ips_csum_add(pseudo_sum(ip, IPS_IPPROTO_UDP, len), b, len)) != 0) {
		csum_bad(d, IPS_EV_UDP_BAD_CSUM);
	}
	return udp_next(d, p->payload, p->payload_len);
}

static int dec_icmp(struct ips_dec *d, const uint8_t *b, size_t len, bool v6)
{
	struct ips_packet *p = d->p;
	const struct ips_ip *ip = ips_packet_ip(p);
	struct ips_icmp *ic = &p->icmp;
	uint32_t s;

	if (len < IPS_ICMP_HLEN)
		return ips_dec_ev(d, v6 ? IPS_EV_ICMPV6_TRUNC : IPS_EV_ICMPV4_TRUNC);
	if (!ips_dec_layer(d, v6 ? IPS_LAYER_ICMPV6 : IPS_LAYER_ICMPV4, b, IPS_ICMP_HLEN))
		return BW_ERR_INVAL;
	if (v6)
		IPS_STAT(d, icmpv6);
	else
		IPS_STAT(d, icmpv4);
	p->l4proto = v6 ? IPS_IPPROTO_ICMPV6 : IPS_IPPROTO_ICMP;
	p->l4 = b;
	ic->type = b[0];
	ic->code = b[1];
	ic->csum = bw_be16(b + 2);
	ic->rest = bw_be32(b + 4);
	/* Messages with an identifier and sequence number: echo, timestamp, information. */
	if (v6)
		ic->has_id = ic->type == 128 || ic->type == 129;
	else
		ic->has_id = ic->type == 0 || ic->type == 8 || (ic->type >= 13 && ic->type <= 16);
	if (ic->has_id) {
		ic->id = bw_be16(b + 4);
		ic->seq = bw_be16(b + 6);
	}
	p->payload = b + IPS_ICMP_HLEN;
	p->payload_len = len - IPS_ICMP_HLEN;
	if (csum_wanted(d)) {
		/* ICMPv4 sums the message alone; ICMPv6 adds the pseudo-header (RFC 4443 2.3). */
		s = v6 ? pseudo_sum(ip, IPS_IPPROTO_ICMPV6, len) : 0;
		if (ips_csum_fold(ips_csum_add(s, b, len)) != 0)
			csum_bad(d, v6 ? IPS_EV_ICMPV6_BAD_CSUM : IPS_EV_ICMPV4_BAD_CSUM);
	}
	return d->rc;
}

/* AH inside IPv4 (RFC 4302 2): skipped by its length to reach the protected protocol. */
static int dec_ah4(struct ips_dec *d, const uint8_t *b, size_t len)
{
	struct ips_ip *ip = &d->p->ip[d->p->n_ip - 1];
	size_t alen;

	if (len < 12)
		return ips_dec_ev(d, IPS_EV_AH_TRUNC);
	alen = ((size_t)b[1] + 2) * 4;
	if (alen < 12 || alen > len)
		return ips_dec_ev(d, IPS_EV_AH_TRUNC);
	if (!ips_dec_layer(d, IPS_LAYER_AH, b, alen))
		return BW_ERR_INVAL;
	IPS_STAT(d, ah);
	ip->proto = b[0];
	if (ip->proto == IPS_IPPROTO_AH)
		return ips_dec_ev(d, IPS_EV_AH_TRUNC); /* AH in AH: no use, and a loop risk */
	return ips_dec_l4(d, ip->proto, b + alen, len - alen);
}

int ips_dec_l4(struct ips_dec *d, uint8_t proto, const uint8_t *b, size_t len)
{
	switch (proto) {
	case IPS_IPPROTO_TCP:
		return dec_tcp(d, b, len);
	case IPS_IPPROTO_UDP:
		return dec_udp(d, b, len);
	case IPS_IPPROTO_ICMP:
		return dec_icmp(d, b, len, false);
	case IPS_IPPROTO_ICMPV6:
		return dec_icmp(d, b, len, true);
	case IPS_IPPROTO_GRE:
		return ips_dec_gre(d, b, len);
	case IPS_IPPROTO_ESP:
		return ips_dec_esp(d, b, len, false);
	case IPS_IPPROTO_AH:
		return dec_ah4(d, b, len);
	case IPS_IPPROTO_IPIP:
		return ips_dec_ipv4(d, b, len, IPS_TUN_IPIP);
	case IPS_IPPROTO_IPV6:
		return ips_dec_ipv6(d, b, len, IPS_TUN_IPIP);
	default:
		/* SCTP, OSPF, No Next Header, ...: the IP layer is all there is. */
		IPS_STAT(d, other);
		return d->rc;
	}
}
