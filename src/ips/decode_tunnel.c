/* SPDX-License-Identifier: ISC */
/*
 * Tunnels for the IPS decoder: GRE (RFC 2784 with RFC 2890 key and
 * sequence), PPTP's enhanced GRE (RFC 2637 4.1), PPP framing (RFC 1661 2,
 * RFC 1662 3.1 address/control, RFC 1661 6.5 protocol-field compression),
 * L2TPv2 data messages (RFC 2661 3.1), ERSPAN type II in GRE and ESP (RFC
 * 4303 2; RFC 3948 in UDP).
 *
 *   GRE:  |C|R|K|S|s|Recur|A| Flags |Ver|        Protocol Type          |
 *         [ Checksum | Reserved1 ] (C, or R in RFC 1701)
 *         [ Key ] (K; version 1: Payload Length 16 | Call ID 16)
 *         [ Sequence Number ] (S)     [ Acknowledgment Number ] (A, version 1 only)
 *   PPP:  [ 0xff 0x03 ] | Protocol 1 or 2 | information
 *   L2TPv2: |T|L|x|x|S|x|O|P|x|x|x|x| Ver |  [Length]  | Tunnel ID | Session ID |
 *         [ Ns | Nr ] (S)  [ Offset Size | Offset Pad ... ] (O)
 *   ESP:  | SPI 4 | Sequence Number 4 | payload, padding, trailer, ICV (encrypted) |
 *
 * Control traffic (L2TP control, PPP LCP/IPCP/CCP, MPPE-compressed frames)
 * ends decoding without an anomaly and is flagged on the packet. The IP
 * layer inside a tunnel goes through ips_dec_ip() and so through the depth
 * cap; tunnels therefore cannot nest without bound.
 */
#include <string.h>

#include "ips/decode_int.h"
#include "lib/err.h"
#include "lib/rd.h"

enum gre_bits {
	GRE_C = 0x8000,
	GRE_R = 0x4000,
	GRE_K = 0x2000,
	GRE_S = 0x1000,
	GRE_SSR = 0x0800, /* strict source route (RFC 1701) */
	GRE_RECUR = 0x0700,
	GRE_A = 0x0080,
	GRE_FLAGS = 0x0078,
	GRE_VER = 0x0007,
};

enum l2tp_bits {
	L2TP_T = 0x8000,
	L2TP_L = 0x4000,
	L2TP_S = 0x0800,
	L2TP_O = 0x0200,
	L2TP_VER = 0x000f,
};

/*
 * ERSPAN type II (draft-foschiano-erspan-03 4.2), GRE protocol 0x88be with
 * the sequence bit set; type I (no header, no sequence) is off by default in
 * Suricata and is not decoded here either.
 *   | Ver 4 | VLAN 12 | COS 3 | En 2 | T 1 | Session ID 10 | Reserved 12 | Index 20 |
 * then the mirrored Ethernet frame. A non-zero VLAN is the frame's VLAN, as
 * Suricata records it.
 */
static int erspan(struct ips_dec *d, const struct ips_gre *g, const uint8_t *b, size_t len)
{
	struct ips_packet *p = d->p;
	struct bw_rd rd;
	uint16_t vv;

	if (!g->has_seq)
		return d->rc;
	bw_rd_init(&rd, b, len);
	if (bw_rd_u16(&rd, &vv) != 0 || bw_rd_skip(&rd, 6) != 0)
		return ips_dec_ev(d, IPS_EV_ERSPAN_TRUNC);
	if (vv >> 12 != 1)
		return ips_dec_ev(d, IPS_EV_ERSPAN_BAD_VERSION);
	if ((vv & 0x0fff) != 0) {
		if (p->n_vlan >= IPS_MAX_VLAN)
			return ips_dec_ev(d, IPS_EV_ERSPAN_TOO_MANY_VLAN);
		p->vlan[p->n_vlan++] = vv & 0x0fff;
	}
	return ips_dec_eth(d, bw_rd_cur(&rd), bw_rd_left(&rd), IPS_TUN_ERSPAN);
}

static int gre_payload(struct ips_dec *d, const struct ips_gre *g, const uint8_t *b, size_t len)
{
	switch (g->proto) {
	case IPS_ETH_P_TEB:
		return ips_dec_eth(d, b, len, IPS_TUN_GRE_ETH);
	case IPS_ETH_P_ERSPAN:
		return erspan(d, g, b, len);
	case IPS_ETH_P_PPP:
		return ips_dec_ppp(d, b, len, IPS_TUN_GRE, false);
	default:
		return ips_dec_ethertype(d, g->proto, b, len, IPS_TUN_GRE);
	}
}

int ips_dec_gre(struct ips_dec *d, const uint8_t *b, size_t len)
{
	struct ips_packet *p = d->p;
	struct ips_gre *g = &p->gre;
	struct bw_rd rd;
	uint16_t f;

	memset(g, 0, sizeof(*g));
	bw_rd_init(&rd, b, len);
	if (bw_rd_u16(&rd, &f) != 0 || bw_rd_u16(&rd, &g->proto) != 0)
		return ips_dec_ev(d, IPS_EV_GRE_TRUNC);
	g->flags = f;
	g->version = f & GRE_VER;
	IPS_STAT(d, gre);
	if (g->version > 1)
		return ips_dec_ev(d, IPS_EV_GRE_BAD_VERSION);
	if (g->version == 0) {
		/* RFC 2784 2.3: reserved0 bits (R, s, Recur, A, Flags) must be zero. */
		if (f & (GRE_R | GRE_SSR | GRE_RECUR | GRE_A | GRE_FLAGS))
			return ips_dec_ev(d, IPS_EV_GRE_V0_RESERVED);
	} else {
		/* RFC 2637 4.1: C, R, s, Recur zero; K set; protocol PPP. */
		if ((f & (GRE_C | GRE_R | GRE_SSR | GRE_RECUR | GRE_FLAGS)) || !(f & GRE_K) ||
		    g->proto != IPS_ETH_P_PPP)
			return ips_dec_ev(d, IPS_EV_GRE_V1_BAD);
	}
	g->has_csum = (f & GRE_C) != 0;
	g->has_key = (f & GRE_K) != 0;
	g->has_seq = (f & GRE_S) != 0;
	g->has_ack = (f & GRE_A) != 0;
	if (g->has_csum && bw_rd_skip(&rd, 4) != 0)
		return ips_dec_ev(d, IPS_EV_GRE_TRUNC);
	if (g->has_key && bw_rd_u32(&rd, &g->key) != 0)
		return ips_dec_ev(d, IPS_EV_GRE_TRUNC);
	if (g->has_seq && bw_rd_u32(&rd, &g->seq) != 0)
		return ips_dec_ev(d, IPS_EV_GRE_TRUNC);
	if (g->has_ack && bw_rd_u32(&rd, &g->ack) != 0)
		return ips_dec_ev(d, IPS_EV_GRE_TRUNC);
	if (!ips_dec_layer(d, IPS_LAYER_GRE, b, len - bw_rd_left(&rd)))
		return BW_ERR_INVAL;
	if (g->version == 0)
		return gre_payload(d, g, bw_rd_cur(&rd), bw_rd_left(&rd));

	IPS_STAT(d, pptp);
	g->payload_len = (uint16_t)(g->key >> 16);
	g->call_id = (uint16_t)g->key;
	/* RFC 2637 4.1: without S the packet is a bare acknowledgment, no payload. */
	if (!g->has_seq || g->payload_len == 0)
		return d->rc;
	if (g->payload_len > bw_rd_left(&rd))
		return ips_dec_ev(d, IPS_EV_GRE_V1_BAD);
	/* Bytes past the declared payload length are ignored, as PPTP peers do. */
	return ips_dec_ppp(d, bw_rd_cur(&rd), g->payload_len, IPS_TUN_PPTP, false);
}

/*
 * PPP frame without HDLC flags/FCS: address/control 0xff 0x03 are optional
 * (ACFC, RFC 1661 6.6; PPTP and L2TP peers both send and omit them); the
 * protocol field is one byte when its low bit is set (PFC, RFC 1661 6.5).
 */
int ips_dec_ppp(struct ips_dec *d, const uint8_t *b, size_t len, enum ips_tunnel tun, bool hdlc)
{
	struct ips_packet *p = d->p;
	struct bw_rd rd;
	uint8_t b0;
	uint16_t proto;

	(void)hdlc; /* link-type PPP and tunnels alike may omit the address/control */
	bw_rd_init(&rd, b, len);
	/* 0xff can only be the all-stations address: no protocol number starts with it. */
	if (len >= 1 && b[0] == 0xff) {
		if (len < 2 || b[1] != 0x03)
			return ips_dec_ev(d, IPS_EV_PPP_TRUNC);
		(void)bw_rd_skip(&rd, 2);
	}
	if (bw_rd_u8(&rd, &b0) != 0)
		return ips_dec_ev(d, IPS_EV_PPP_TRUNC);
	if (b0 & 1) {
		proto = b0;
	} else {
		uint8_t b1;

		if (bw_rd_u8(&rd, &b1) != 0)
			return ips_dec_ev(d, IPS_EV_PPP_TRUNC);
		proto = (uint16_t)(b0 << 8 | b1);
	}
	if (!ips_dec_layer(d, IPS_LAYER_PPP, b, len - bw_rd_left(&rd)))
		return BW_ERR_INVAL;
	IPS_STAT(d, ppp);
	p->ppp_proto = proto;
	switch (proto) {
	case IPS_PPP_IPV4:
		return ips_dec_ipv4(d, bw_rd_cur(&rd), bw_rd_left(&rd), tun);
	case IPS_PPP_IPV6:
		return ips_dec_ipv6(d, bw_rd_cur(&rd), bw_rd_left(&rd), tun);
	default:
		/* LCP, authentication, NCPs, CCP, MPPE data (0x00fd): not IP. */
		p->flags |= IPS_PKT_PPP_CTRL;
		return d->rc;
	}
}

int ips_dec_l2tp(struct ips_dec *d, const uint8_t *b, size_t len)
{
	struct ips_packet *p = d->p;
	struct ips_l2tp *l = &p->l2tp;
	struct bw_rd rd;
	uint16_t f, mlen = 0, osz;

	memset(l, 0, sizeof(*l));
	bw_rd_init(&rd, b, len);
	if (bw_rd_u16(&rd, &f) != 0)
		return ips_dec_ev(d, IPS_EV_L2TP_TRUNC);
	l->flags = f;
	IPS_STAT(d, l2tp);
	if ((f & L2TP_VER) != 2)
		return ips_dec_ev(d, IPS_EV_L2TP_BAD_VERSION);
	if (f & L2TP_L) {
		/* The length covers the whole message, header included (RFC 2661 3.1). */
		if (bw_rd_u16(&rd, &mlen) != 0)
			return ips_dec_ev(d, IPS_EV_L2TP_TRUNC);
		if (mlen < IPS_L2TP_HLEN + 2 || mlen > len)
			return ips_dec_ev(d, IPS_EV_L2TP_LEN_BAD);
		/* Trailing bytes past the length are not part of the message. */
		rd.left = mlen - 4;
	}
	if (bw_rd_u16(&rd, &l->tunnel_id) != 0 || bw_rd_u16(&rd, &l->session_id) != 0)
		return ips_dec_ev(d, IPS_EV_L2TP_TRUNC);
	if (f & L2TP_S) {
		l->has_seq = true;
		if (bw_rd_u16(&rd, &l->ns) != 0 || bw_rd_u16(&rd, &l->nr) != 0)
			return ips_dec_ev(d, IPS_EV_L2TP_TRUNC);
	}
	if (f & L2TP_T) {
		/* Control messages must carry L and S (RFC 2661 3.1): go no further. */
		l->is_ctrl = true;
		p->flags |= IPS_PKT_L2TP_CTRL;
		if (!(f & L2TP_L) || !(f & L2TP_S))
			return ips_dec_ev(d, IPS_EV_L2TP_LEN_BAD);
		return ips_dec_layer(d, IPS_LAYER_L2TP, b, len - bw_rd_left(&rd)) ? d->rc
		                                                                  : BW_ERR_INVAL;
	}
	if (f & L2TP_O) {
		if (bw_rd_u16(&rd, &osz) != 0)
			return ips_dec_ev(d, IPS_EV_L2TP_TRUNC);
		if (bw_rd_skip(&rd, osz) != 0)
			return ips_dec_ev(d, IPS_EV_L2TP_OFFSET_BAD);
	}
	if (!ips_dec_layer(d, IPS_LAYER_L2TP, b, (size_t)(bw_rd_cur(&rd) - b)))
		return BW_ERR_INVAL;
	return ips_dec_ppp(d, bw_rd_cur(&rd), bw_rd_left(&rd), IPS_TUN_L2TP, false);
}

int ips_dec_esp(struct ips_dec *d, const uint8_t *b, size_t len, bool udp_encap)
{
	struct ips_packet *p = d->p;
	struct ips_esp *e = &p->esp;
	struct ips_esp_hook *h = d->dec != NULL ? &d->dec->esp_hook : NULL;
	const uint8_t *inner = NULL;
	size_t inner_len = 0;
	uint8_t next = 0;
	struct ips_ip *outer;
	int r;

	if (len < IPS_ESP_HLEN)
		return ips_dec_ev(d, IPS_EV_ESP_TRUNC);
	if (!ips_dec_layer(d, IPS_LAYER_ESP, b, IPS_ESP_HLEN))
		return BW_ERR_INVAL;
	IPS_STAT(d, esp);
	e->spi = bw_be32(b);
	e->seq = bw_be32(b + 4);
	e->udp_encap = udp_encap;
	e->data = b;
	e->len = len;
	p->flags |= IPS_PKT_ESP;
	outer = &p->ip[p->n_ip - 1];
	if (h == NULL || h->decrypt == NULL) {
		IPS_STAT(d, esp_no_key);
		return d->rc;
	}
	r = h->decrypt(h->ctx, e, outer, &inner, &inner_len, &next);
	if (r == 0 && inner == NULL)
		r = BW_ERR_INVAL;
	if (r != 0) {
		if (r == BW_ERR_NOTFOUND)
			IPS_STAT(d, esp_no_key);
		else if (r == BW_ERR_AUTH)
			IPS_STAT(d, esp_auth_failed);
		else
			IPS_STAT(d, esp_invalid);
		return d->rc;
	}
	IPS_STAT(d, esp_decrypted);
	/* Decrypted: tunnel mode carries an IP packet, transport mode the next protocol. */
	p->flags &= ~(uint32_t)IPS_PKT_ESP;
	p->flags |= IPS_PKT_DECRYPTED;
	if (next == IPS_IPPROTO_IPIP || next == IPS_IPPROTO_IPV6)
		return ips_dec_ip(d, inner, inner_len, IPS_TUN_ESP);
	outer->proto = next;
	return ips_dec_l4(d, next, inner, inner_len);
}
