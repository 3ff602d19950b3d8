/* SPDX-License-Identifier: ISC */
/*
 * IPv4 (RFC 791) and IPv6 (RFC 8200) for the IPS decoder.
 *
 *    IPv4:  0                   1                   2                   3
 *   |Version|  IHL  |Type of Service|          Total Length         |
 *   |         Identification        |Flags|      Fragment Offset    |
 *   |  Time to Live |    Protocol   |         Header Checksum       |
 *   |                       Source Address                          |
 *   |                    Destination Address                        |
 *   |                    Options (IHL > 5)                          |
 *
 *    IPv6:
 *   |Version| Traffic Class |           Flow Label                  |
 *   |         Payload Length        |  Next Header  |   Hop Limit   |
 *   |                   Source Address (16)                         |
 *   |                 Destination Address (16)                      |
 *   then extension headers (RFC 8200 4): hop-by-hop, routing, fragment
 *   (| next | rsvd | offset 13 | res 2 | M | identification 32 |),
 *   destination options, AH (RFC 4302: length in 4-octet units minus 2).
 *
 * IPv4 options are walked for well-formedness (RFC 791 3.1: EOL, NOP, then
 * type-length-value) but not interpreted. The header checksum is verified.
 * A datagram shorter on capture than its header says is decoded as far as
 * the bytes go and flagged; bytes past the declared length (Ethernet
 * padding) are ignored on purpose. Fragments stop decoding at the IP layer:
 * defrag.c reassembles them and ips_decode_reassembled() takes over.
 */
#include <string.h>
#include <sys/socket.h>

#include "ips/decode_int.h"
#include "ips/rule.h" /* enum ips_ipopt */
#include "lib/err.h"
#include "lib/rd.h"

/* Bit per extension header kind in struct ips_ip ext_mask. */
enum ipv6_ext_bit {
	EXT_HOP = 1u << 0,
	EXT_ROUTING = 1u << 1,
	EXT_FRAG = 1u << 2,
	EXT_DST = 1u << 3,
	EXT_AH = 1u << 4,
	EXT_MH = 1u << 5,
};

enum { IPV4_MAX_DGRAM = 65535 };

/* Starts a new IP layer: checks the depth cap and forgets any outer transport. */
static struct ips_ip *ip_begin(struct ips_dec *d, enum ips_tunnel tun)
{
	struct ips_packet *p = d->p;
	struct ips_ip *ip;

	if (p->n_ip >= IPS_MAX_IP) {
		ips_dec_ev(d, IPS_EV_TUNNEL_TOO_DEEP);
		return NULL;
	}
	ip = &p->ip[p->n_ip];
	memset(ip, 0, sizeof(*ip));
	ip->tunnel = (uint8_t)tun;
	if (tun != IPS_TUN_NONE)
		IPS_STAT(d, ipip);
	/* The transport fields describe the innermost layer only. */
	p->l4proto = 0;
	p->sp = p->dp = 0;
	p->l4 = p->payload = NULL;
	p->payload_len = 0;
	return ip;
}

/* The ipopts bit of an IPv4 option type (RFC 791 3.1, RFC 1108), or 0. */
static uint16_t ipopt_bit(uint8_t type)
{
	switch (type) {
	case 0:
		return IPS_IPOPT_EOL;
	case 1:
		return IPS_IPOPT_NOP;
	case 7:
		return IPS_IPOPT_RR;
	case 68:
		return IPS_IPOPT_TS;
	case 130:
		return IPS_IPOPT_SEC;
	case 131:
		return IPS_IPOPT_LSRR;
	case 133:
		return IPS_IPOPT_ESEC;
	case 136:
		return IPS_IPOPT_SATID;
	case 137:
		return IPS_IPOPT_SSRR;
	default:
		return 0;
	}
}

/* RFC 791 3.1 option walk: EOL ends, NOP is one byte, others are TLVs. *mask
 * gets the ipopts bit of each option seen. */
static bool ipv4_opts_ok(const uint8_t *o, size_t len, uint16_t *mask)
{
	struct bw_rd rd;
	uint8_t type, olen;

	bw_rd_init(&rd, o, len);
	while (bw_rd_left(&rd) > 0) {
		(void)bw_rd_u8(&rd, &type);
		*mask |= ipopt_bit(type);
		if (type == 0)
			return true; /* end of list: the rest is padding */
		if (type == 1)
			continue;
		/* TLV: the length byte is present, covers itself and the type, and fits. */
		if (bw_rd_u8(&rd, &olen) != 0 || olen < 2 || (size_t)olen - 2 > bw_rd_left(&rd))
			return false;
		(void)bw_rd_skip(&rd, (size_t)olen - 2);
	}
	return true;
}

int ips_dec_ipv4(struct ips_dec *d, const uint8_t *b, size_t len, enum ips_tunnel tun)
{
	struct ips_packet *p = d->p;
	struct ips_ip *ip;
	size_t hlen, tot;
	uint16_t fo;

	if (len < IPS_IPV4_HLEN)
		return ips_dec_ev(d, IPS_EV_IPV4_TRUNC);
	if (b[0] >> 4 != 4)
		return ips_dec_ev(d, IPS_EV_IPV4_BAD_VERSION);
	hlen = (size_t)(b[0] & 0x0f) * 4;
	if (hlen < IPS_IPV4_HLEN)
		return ips_dec_ev(d, IPS_EV_IPV4_HLEN_SMALL);
	if (hlen > len)
		return ips_dec_ev(d, IPS_EV_IPV4_HLEN_TRUNC);
	tot = bw_be16(b + 2);
	if (tot < hlen)
		return ips_dec_ev(d, IPS_EV_IPV4_TLEN_SMALL);
	if ((ip = ip_begin(d, tun)) == NULL)
		return BW_ERR_INVAL;
	if (!ips_dec_layer(d, IPS_LAYER_IPV4, b, hlen))
		return BW_ERR_INVAL;
	p->n_ip++;
	IPS_STAT(d, ipv4);
	if (tot > len) {
		/* Snapped capture or a lying length: decode what is there, flag it. */
		ips_dec_ev(d, IPS_EV_IPV4_TLEN_TRUNC);
		p->flags |= IPS_PKT_TRUNCATED;
		tot = len;
	}
	ip->version = 4;
	ip->tos = b[1];
	ip->ipv4_id = bw_be16(b + 4);
	ip->frag_id = ip->ipv4_id;
	fo = bw_be16(b + 6);
	ip->df = (fo & 0x4000) != 0;
	ip->mf = (fo & 0x2000) != 0;
	ip->frag_off = (uint16_t)((fo & 0x1fff) * 8);
	ip->ttl = b[8];
	ip->proto = b[9];
	ip->src.family = AF_INET;
	memcpy(ip->src.a, b + 12, 4);
	ip->dst.family = AF_INET;
	memcpy(ip->dst.a, b + 16, 4);
	ip->hdr = b;
	ip->hdr_len = (uint16_t)hlen;
	ip->tot_len = tot;
	ip->payload = b + hlen;
	ip->payload_len = tot - hlen;
	if (ips_csum_fold(ips_csum_words(b, hlen)) != 0) {
		p->flags |= IPS_PKT_IPV4_CSUM_BAD;
		ips_dec_ev(d, IPS_EV_IPV4_BAD_CSUM);
	}
	if (hlen > IPS_IPV4_HLEN &&
	    !ipv4_opts_ok(b + IPS_IPV4_HLEN, hlen - IPS_IPV4_HLEN, &ip->ipv4_opts))
		ips_dec_ev(d, IPS_EV_IPV4_OPT_BAD);
	if (ip->proto == IPS_IPPROTO_ICMPV6)
		ips_dec_ev(d, IPS_EV_IPV4_WITH_ICMPV6);
	if (ip->mf || ip->frag_off != 0) {
		ip->is_frag = true;
		p->flags |= IPS_PKT_FRAG;
		IPS_STAT(d, frag);
		/* RFC 791: all but the last fragment carry a multiple of 8 bytes. */
		if (ip->mf && (ip->payload_len & 7) != 0)
			ips_dec_ev(d, IPS_EV_IPV4_FRAG_BAD_LEN);
		if ((size_t)ip->frag_off + ip->payload_len + hlen > IPV4_MAX_DGRAM)
			ips_dec_ev(d, IPS_EV_IPV4_FRAG_TOO_LARGE);
		return d->rc;
	}
	return ips_dec_l4(d, ip->proto, ip->payload, ip->payload_len);
}

/*
 * RFC 8200 4.5 fragment header. Non-atomic fragments end the chain here:
 * what follows belongs to the fragmentable part and defrag reassembles it.
 * A second fragment header (after an atomic one) is flagged and skipped, as
 * Suricata does. Returns 1 when the chain ends, 0 to go on with *next, <0
 * on error.
 */
static int ipv6_frag(struct ips_dec *d, struct ips_ip *ip, struct bw_rd *rd, size_t off,
                     size_t nh_off, uint8_t *next)
{
	uint8_t nh, rsvd;
	uint16_t fo;
	uint32_t id;
	size_t data_len;

	if (bw_rd_u8(rd, &nh) != 0 || bw_rd_u8(rd, &rsvd) != 0 || bw_rd_u16(rd, &fo) != 0 ||
	    bw_rd_u32(rd, &id) != 0)
		return ips_dec_ev(d, IPS_EV_IPV6_EXT_TRUNC);
	*next = nh;
	if (rsvd != 0)
		ips_dec_ev(d, IPS_EV_IPV6_FH_NON_ZERO_RES);
	if (ip->frag_hdr) {
		ips_dec_ev(d, IPS_EV_IPV6_FRAG_DUP);
		return 0;
	}
	ip->frag_hdr = true;
	ip->frag_hdr_off = (uint16_t)off;
	ip->frag_nh_off = (uint16_t)nh_off;
	ip->frag_off = (uint16_t)(fo & 0xfff8);
	ip->mf = (fo & 1) != 0;
	ip->frag_id = id;
	ip->proto = nh;
	ip->ext_mask |= EXT_FRAG;
	if (ip->frag_off == 0 && !ip->mf) {
		/* Atomic fragment (RFC 6946): processed as a whole packet, but useless. */
		ips_dec_ev(d, IPS_EV_IPV6_EXTHDR_USELESS_FH);
		return 0;
	}
	ip->is_frag = true;
	d->p->flags |= IPS_PKT_FRAG;
	IPS_STAT(d, frag);
	data_len = bw_rd_left(rd);
	if (ip->mf && (data_len & 7) != 0)
		ips_dec_ev(d, IPS_EV_IPV6_FRAG_BAD_LEN);
	if ((size_t)ip->frag_off + data_len > IPV4_MAX_DGRAM)
		ips_dec_ev(d, IPS_EV_IPV6_FRAG_TOO_LARGE);
	return 1;
}

/* IPv6 option types (RFC 8200 4.2, RFC 2711, RFC 2675, RFC 6275 6.3). */
enum ipv6_opt {
	OPT_PAD1 = 0x00,
	OPT_PADN = 0x01,
	OPT_RA = 0x05,
	OPT_JUMBO = 0xc2,
	OPT_HAO = 0xc9,
};

/*
 * Walks the options of a hop-by-hop or destination options header (o: the
 * bytes after next header and length) and raises Suricata's events: an
 * unknown option, only padding, a zero-length PadN, a malformed length
 * (which ends the walk). Option bodies are not interpreted.
 */
static void ipv6_opts(struct ips_dec *d, bool hop, const uint8_t *o, size_t len)
{
	struct bw_rd rd;
	unsigned pad = 0, other = 0;
	uint8_t type, olen;

	bw_rd_init(&rd, o, len);
	while (bw_rd_left(&rd) > 0) {
		(void)bw_rd_u8(&rd, &type);
		if (type == OPT_PAD1) {
			pad++;
			continue;
		}
		/* Suricata accepts an option reaching one byte past the header
		 * (it compares with the type byte's offset): so does this walk. */
		if (bw_rd_u8(&rd, &olen) != 0 || (size_t)olen > bw_rd_left(&rd) + 1) {
			ips_dec_ev(d, IPS_EV_IPV6_EXTHDR_INVALID_OPTLEN);
			break;
		}
		if (type == OPT_PADN) {
			pad++;
			if (olen == 0)
				ips_dec_ev(d, IPS_EV_IPV6_ZERO_LEN_PADN);
		} else if ((type == OPT_RA && olen < 2) || (type == OPT_JUMBO && olen < 4) ||
		           (type == OPT_HAO && olen < 16)) {
			ips_dec_ev(d, IPS_EV_IPV6_EXTHDR_INVALID_OPTLEN);
			break;
		} else if (type != OPT_JUMBO) {
			if (type != OPT_RA && type != OPT_HAO)
				ips_dec_ev(d, hop ? IPS_EV_IPV6_HOPOPTS_UNKNOWN_OPT
				                  : IPS_EV_IPV6_DSTOPTS_UNKNOWN_OPT);
			other++;
		}
		(void)bw_rd_skip(&rd, olen <= bw_rd_left(&rd) ? olen : bw_rd_left(&rd));
	}
	if (pad > 0 && other == 0)
		ips_dec_ev(d, hop ? IPS_EV_IPV6_HOPOPTS_ONLY_PADDING
		                  : IPS_EV_IPV6_DSTOPTS_ONLY_PADDING);
}

/*
 * RFC 8200 8.1: with segments left in a routing header, upper-layer checksums
 * use the final destination: the last address of type 0 (RFC 2460) and type
 * 2 (RFC 6275 6.4), or segment list[0] of an SRH (RFC 8754 2).
 *   | next | hdr len | type | segments left | (type 4: last entry, flags, tag) | ... |
 */
static void routing_final(struct ips_ip *ip, const uint8_t *h, size_t len)
{
	if (h[3] == 0 || len < 24)
		return;
	if (h[2] == 0 || h[2] == 2) {
		memcpy(ip->final_dst, h + len - 16, 16);
		ip->has_final_dst = true;
	} else if (h[2] == 4) {
		memcpy(ip->final_dst, h + 8, 16);
		ip->has_final_dst = true;
	}
}

/*
 * The upper-layer protocols Suricata's IPv6 decoder knows (DecodeIPV6 and
 * DecodeIPV6ExtHdrs); any other raises decoder.ipv6.unknown_next_header.
 * Right after the fixed header IPv6-in-IPv6 and GRE are known too.
 */
static bool ipv6_upper_known(uint8_t nh, bool first)
{
	switch (nh) {
	case IPS_IPPROTO_TCP:
	case IPS_IPPROTO_UDP:
	case IPS_IPPROTO_ICMPV6:
	case IPS_IPPROTO_SCTP:
	case IPS_IPPROTO_IPIP:
	case IPS_IPPROTO_ESP:
	case IPS_IPPROTO_ICMP:
		return true;
	case IPS_IPPROTO_IPV6:
	case IPS_IPPROTO_GRE:
		return first;
	default:
		return false;
	}
}

/* Events of a repeated extension header (Suricata allows two destination options). */
static bool ext_repeated(struct ips_dec *d, uint8_t nh, unsigned *seen)
{
	unsigned hop = seen[0], rh = seen[1], dst = seen[2], ah = seen[3];
	switch (nh) {
	case IPS_IPPROTO_HOPOPTS:
		seen[0]++;
		return hop ? (ips_dec_ev(d, IPS_EV_IPV6_EXTHDR_DUPL_HH), true) : false;
	case IPS_IPPROTO_ROUTING:
		seen[1]++;
		return rh ? (ips_dec_ev(d, IPS_EV_IPV6_EXTHDR_DUPL_RH), true) : false;
	case IPS_IPPROTO_DSTOPTS:
		seen[2]++;
		return dst >= 2 ? (ips_dec_ev(d, IPS_EV_IPV6_EXTHDR_DUPL_DH), true) : false;
	default:
		seen[3]++;
		return ah ? (ips_dec_ev(d, IPS_EV_IPV6_EXTHDR_DUPL_AH), true) : false;
	}
}

/*
 * Walks the extension header chain; on return ip->proto is the upper layer.
 * A repeated header is flagged and skipped (its options not walked), as
 * Suricata does, so that what follows is still decoded.
 */
static int ipv6_ext_chain(struct ips_dec *d, struct ips_ip *ip, const uint8_t *b, struct bw_rd *rd)
{
	uint8_t nh = ip->nexthdr_first, hl;
	size_t nh_off = 6, off, elen;
	unsigned seen[4] = {0};
	int r;

	for (;;) {
		off = (size_t)(bw_rd_cur(rd) - b);
		switch (nh) {
		case IPS_IPPROTO_HOPOPTS:
		case IPS_IPPROTO_ROUTING:
		case IPS_IPPROTO_DSTOPTS:
		case IPS_IPPROTO_FRAGMENT:
		case IPS_IPPROTO_AH:
		case IPS_IPPROTO_MH:
		case IPS_IPPROTO_HIP:
		case IPS_IPPROTO_SHIM6:
			break;
		case IPS_IPPROTO_NONE:
			if (bw_rd_left(rd) > 0)
				ips_dec_ev(d, IPS_EV_IPV6_DATA_AFTER_NONE);
			ip->proto = nh;
			return 0;
		default:
			/* Suricata wants 2 bytes of any header that follows an extension header. */
			if (ip->n_ext > 0 && bw_rd_left(rd) < 2)
				return ips_dec_ev(d, IPS_EV_IPV6_EXT_TRUNC);
			if (nh == IPS_IPPROTO_ICMP)
				ips_dec_ev(d, IPS_EV_IPV6_WITH_ICMPV4);
			else if (!ipv6_upper_known(nh, ip->n_ext == 0))
				ips_dec_ev(d, IPS_EV_IPV6_UNKNOWN_NEXT_HEADER);
			ip->proto = nh;
			return 0;
		}
		if (++ip->n_ext > IPS_MAX_IPV6_EXT)
			return ips_dec_ev(d, IPS_EV_IPV6_EXT_TOO_MANY);
		IPS_STAT(d, ipv6_ext);
		if (nh == IPS_IPPROTO_FRAGMENT) {
			uint8_t next = 0;
			if ((r = ipv6_frag(d, ip, rd, off, nh_off, &next)) != 0)
				return r < 0 ? r : 0;
			nh_off = off;
			nh = next;
			continue;
		}
		/* Generic TLV-shaped header: next header, length, then the body. */
		if (bw_rd_left(rd) < 2)
			return ips_dec_ev(d, IPS_EV_IPV6_EXT_TRUNC);
		hl = bw_rd_cur(rd)[1];
		elen = nh == IPS_IPPROTO_AH ? ((size_t)hl + 2) * 4 : ((size_t)hl + 1) * 8;
		if (nh == IPS_IPPROTO_HOPOPTS && off != IPS_IPV6_HLEN)
			ips_dec_ev(d, IPS_EV_IPV6_HOPOPTS_NOT_FIRST);
		if (nh == IPS_IPPROTO_AH) {
			IPS_STAT(d, ah);
			ip->ext_mask |= EXT_AH;
		} else if (nh == IPS_IPPROTO_MH || nh == IPS_IPPROTO_HIP ||
		           nh == IPS_IPPROTO_SHIM6) {
			/* Not parsed, skipped by their length as Suricata does. */
			ip->ext_mask |= EXT_MH;
		} else {
			ip->ext_mask |= nh == IPS_IPPROTO_HOPOPTS   ? EXT_HOP
			                : nh == IPS_IPPROTO_ROUTING ? EXT_ROUTING
			                                            : EXT_DST;
		}
		if (bw_rd_left(rd) < elen)
			return ips_dec_ev(d, nh == IPS_IPPROTO_AH ? IPS_EV_AH_TRUNC
			                                          : IPS_EV_IPV6_EXT_TRUNC);
		const uint8_t *h = bw_rd_cur(rd);
		if (nh == IPS_IPPROTO_AH && (h[2] | h[3]) != 0)
			ips_dec_ev(d, IPS_EV_IPV6_EXTHDR_AH_RES_NOT_NULL);
		bool skipped =
		        nh == IPS_IPPROTO_MH || nh == IPS_IPPROTO_HIP || nh == IPS_IPPROTO_SHIM6;
		if (!skipped && !ext_repeated(d, nh, seen)) {
			if (nh == IPS_IPPROTO_ROUTING) {
				if (h[2] == 0)
					ips_dec_ev(d, IPS_EV_IPV6_RH_TYPE_0);
				routing_final(ip, h, elen);
			} else if (nh == IPS_IPPROTO_HOPOPTS || nh == IPS_IPPROTO_DSTOPTS) {
				ipv6_opts(d, nh == IPS_IPPROTO_HOPOPTS, h + 2, elen - 2);
			}
		}
		if (nh == IPS_IPPROTO_AH && !ips_dec_layer(d, IPS_LAYER_AH, h, elen))
			return BW_ERR_INVAL;
		nh = h[0];
		nh_off = off;
		(void)bw_rd_skip(rd, elen);
	}
}

int ips_dec_ipv6(struct ips_dec *d, const uint8_t *b, size_t len, enum ips_tunnel tun)
{
	struct ips_packet *p = d->p;
	struct ips_ip *ip;
	struct bw_rd rd;
	size_t tot;
	uint32_t vtf;

	if (len < IPS_IPV6_HLEN)
		return ips_dec_ev(d, IPS_EV_IPV6_TRUNC);
	vtf = bw_be32(b);
	if (vtf >> 28 != 6)
		return ips_dec_ev(d, IPS_EV_IPV6_BAD_VERSION);
	if ((ip = ip_begin(d, tun)) == NULL)
		return BW_ERR_INVAL;
	if (!ips_dec_layer(d, IPS_LAYER_IPV6, b, IPS_IPV6_HLEN))
		return BW_ERR_INVAL;
	p->n_ip++;
	IPS_STAT(d, ipv6);
	tot = IPS_IPV6_HLEN + (size_t)bw_be16(b + 4);
	if (tot > len) {
		ips_dec_ev(d, IPS_EV_IPV6_PLEN_TRUNC);
		p->flags |= IPS_PKT_TRUNCATED;
		tot = len;
	}
	ip->version = 6;
	ip->tos = (uint8_t)(vtf >> 20);
	ip->flow_label = vtf & 0xfffff;
	ip->nexthdr_first = b[6];
	ip->proto = b[6];
	ip->ttl = b[7];
	ip->src.family = AF_INET6;
	memcpy(ip->src.a, b + 8, 16);
	ip->dst.family = AF_INET6;
	memcpy(ip->dst.a, b + 24, 16);
	ip->hdr = b;
	ip->tot_len = tot;
	bw_rd_init(&rd, b + IPS_IPV6_HLEN, tot - IPS_IPV6_HLEN);
	if (ipv6_ext_chain(d, ip, b, &rd) != 0)
		return BW_ERR_INVAL;
	ip->hdr_len = (uint16_t)(bw_rd_cur(&rd) - b);
	ip->payload = bw_rd_cur(&rd);
	ip->payload_len = bw_rd_left(&rd);
	if (ip->is_frag)
		return d->rc;
	return ips_dec_l4(d, ip->proto, ip->payload, ip->payload_len);
}
