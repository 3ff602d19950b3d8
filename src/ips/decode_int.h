/* SPDX-License-Identifier: ISC */
/*
 * Internals shared by the decoder's files (decode.c: driver and link layers,
 * decode_ip.c: IPv4/IPv6, decode_l4.c: TCP/UDP/ICMP, decode_tunnel.c: GRE,
 * PPP, L2TP, ESP). Not for other modules: they use decode.h.
 */
#ifndef BW_IPS_DECODE_INT_H
#define BW_IPS_DECODE_INT_H

#include "ips/decode.h"

/* Wire constants of the protocols the decoder reads. */
enum {
	IPS_ETH_HLEN = 14,
	IPS_VLAN_HLEN = 4,
	IPS_SLL_HLEN = 16,
	IPS_SLL2_HLEN = 20,
	IPS_IPV4_HLEN = 20,
	IPS_IPV6_HLEN = 40,
	IPS_TCP_HLEN = 20,
	IPS_UDP_HLEN = 8,
	IPS_ICMP_HLEN = 8,
	IPS_GRE_HLEN = 4,
	IPS_L2TP_HLEN = 6, /* flags/version, tunnel id, session id */
	IPS_ESP_HLEN = 8,
	IPS_IPV6_FRAG_HLEN = 8,
	IPS_UDP_PORT_L2TP = 1701,
	IPS_UDP_PORT_NATT = 4500,
};

enum ips_ethertype {
	IPS_ETH_P_IPV4 = 0x0800,
	IPS_ETH_P_ARP = 0x0806,
	IPS_ETH_P_TEB = 0x6558, /* transparent Ethernet bridging (GRE) */
	IPS_ETH_P_8021Q = 0x8100,
	IPS_ETH_P_IPV6 = 0x86dd,
	IPS_ETH_P_PPP = 0x880b, /* PPP in GRE (PPTP) */
	IPS_ETH_P_8021AD = 0x88a8,
	IPS_ETH_P_ERSPAN = 0x88be, /* ERSPAN type II in GRE (draft-foschiano-erspan 4.2) */
	IPS_ETH_P_QINQ_OLD = 0x9100,
};

enum ips_ipproto {
	IPS_IPPROTO_HOPOPTS = 0,
	IPS_IPPROTO_ICMP = 1,
	IPS_IPPROTO_IPIP = 4,
	IPS_IPPROTO_TCP = 6,
	IPS_IPPROTO_UDP = 17,
	IPS_IPPROTO_IPV6 = 41,
	IPS_IPPROTO_ROUTING = 43,
	IPS_IPPROTO_FRAGMENT = 44,
	IPS_IPPROTO_GRE = 47,
	IPS_IPPROTO_ESP = 50,
	IPS_IPPROTO_AH = 51,
	IPS_IPPROTO_ICMPV6 = 58,
	IPS_IPPROTO_NONE = 59,
	IPS_IPPROTO_DSTOPTS = 60,
	IPS_IPPROTO_SCTP = 132,
	IPS_IPPROTO_MH = 135,
	IPS_IPPROTO_HIP = 139,   /* RFC 7401 */
	IPS_IPPROTO_SHIM6 = 140, /* RFC 5533 */
};

enum ips_ppp_proto {
	IPS_PPP_IPV4 = 0x0021,
	IPS_PPP_IPV6 = 0x0057,
};

/* One decode run. */
struct ips_dec {
	struct ips_packet *p;
	struct ips_decoder *dec;     /* may be NULL */
	struct ips_decode_stats *st; /* may be NULL */
	const uint8_t *base;         /* buffer the layer offsets refer to */
	int rc;                      /* 0 or BW_ERR_INVAL once an anomaly was seen */
};

#define IPS_STAT(d, field)                                                                         \
	do {                                                                                       \
		if ((d)->st != NULL)                                                               \
			(d)->st->field++;                                                          \
	} while (0)

/* Records an anomaly; returns BW_ERR_INVAL so that callers can `return ips_dec_ev(...)`. */
int ips_dec_ev(struct ips_dec *d, enum ips_event ev);
/* Appends a layer; false (and an anomaly) when the list is full. */
bool ips_dec_layer(struct ips_dec *d, enum ips_layer_kind kind, const uint8_t *hdr, size_t len);

/* Link payload by EtherType (IPv4, IPv6, VLAN, PPP, ...). */
int ips_dec_ethertype(struct ips_dec *d, uint16_t type, const uint8_t *b, size_t len,
                      enum ips_tunnel tun);
int ips_dec_eth(struct ips_dec *d, const uint8_t *b, size_t len, enum ips_tunnel tun);
int ips_dec_ipv4(struct ips_dec *d, const uint8_t *b, size_t len, enum ips_tunnel tun);
int ips_dec_ipv6(struct ips_dec *d, const uint8_t *b, size_t len, enum ips_tunnel tun);
/* Starts a new IP layer by its version nibble. */
int ips_dec_ip(struct ips_dec *d, const uint8_t *b, size_t len, enum ips_tunnel tun);
/* The upper-layer protocol of the innermost IP layer. */
int ips_dec_l4(struct ips_dec *d, uint8_t proto, const uint8_t *b, size_t len);
int ips_dec_gre(struct ips_dec *d, const uint8_t *b, size_t len);
int ips_dec_ppp(struct ips_dec *d, const uint8_t *b, size_t len, enum ips_tunnel tun, bool hdlc);
int ips_dec_l2tp(struct ips_dec *d, const uint8_t *b, size_t len);
int ips_dec_esp(struct ips_dec *d, const uint8_t *b, size_t len, bool udp_encap);

/*
 * The ones' complement sum (RFC 1071) of n bytes (n even) as big-endian
 * 16-bit words, as ips_csum_add() adds them, for the short fixed fields
 * (IPv4 header, pseudo-headers): inline, where a call to the vector
 * routine and its dispatch cost more than the few additions (three calls
 * per TCP packet for the pseudo-header alone). At most 2^15 words.
 */
static inline uint32_t ips_csum_words(const uint8_t *b, size_t n)
{
	uint32_t s = 0;
	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)b[i] << 8 | b[i + 1];
	return s;
}

#endif
