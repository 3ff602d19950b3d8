/* SPDX-License-Identifier: ISC */
/*
 * IPS packet decoder: one captured frame in, one host-order struct ips_packet
 * out, holding borrowed views into the caller's buffer. Link layers:
 * Ethernet (IEEE 802.3) with 802.1Q and 802.1ad (QinQ) tags, Linux cooked
 * SLL/SLL2, BSD NULL/LOOP, PPP and raw IP. Network: IPv4 (RFC 791, options
 * skipped, header checksum verified), IPv6 (RFC 8200 with its extension
 * header chain, AH (RFC 4302) skipped, count capped). Transport: TCP (RFC
 * 9293, options MSS/WS/SACK/TS of RFC 7323 and 2018), UDP (RFC 768), ICMP
 * (RFC 792) and ICMPv6 (RFC 4443), checksums verified and flagged. Tunnels:
 * IP-in-IP (RFC 2003/2473), GRE (RFC 2784/2890) and PPTP's enhanced GRE
 * (RFC 2637 4.1) carrying PPP (RFC 1661/1662), L2TPv2 data (RFC 2661 3.1)
 * on UDP 1701 carrying PPP, and ESP (RFC 4303, also UDP 4500 per RFC 3948)
 * exposed as SPI/sequence/payload with a decryption hook. Every layer is
 * recorded in order; IP layers keep their addresses so that an alert can
 * name both the inner flow and the tunnel that carried it. Encapsulation
 * depth is capped at IPS_MAX_IP IP layers.
 *
 * Malformed input never aborts: it becomes an anomaly (enum ips_event),
 * recorded on the packet and counted in struct ips_decode_stats, and
 * decoding stops at the layer where it happened.
 */
#ifndef BW_IPS_DECODE_H
#define BW_IPS_DECODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/addr.h"

/* pcap link types (LINKTYPE_* of the pcap/pcapng file formats; the DLT_*
 * values libpcap hands back where they differ are accepted too). */
enum ips_linktype {
	IPS_LINK_NULL = 0,     /* BSD loopback: 4-byte AF in host order */
	IPS_LINK_EN10MB = 1,   /* Ethernet */
	IPS_LINK_PPP = 9,      /* PPP in HDLC-like framing (RFC 1662) */
	IPS_LINK_DLT_RAW = 12, /* libpcap's DLT_RAW on Linux */
	IPS_LINK_DLT_RAW_BSD = 14,
	IPS_LINK_RAW = 101,  /* raw IPv4 or IPv6 */
	IPS_LINK_LOOP = 108, /* OpenBSD loopback: 4-byte AF, network order */
	IPS_LINK_LINUX_SLL = 113,
	IPS_LINK_IPV4 = 228,
	IPS_LINK_IPV6 = 229,
	IPS_LINK_LINUX_SLL2 = 276,
	IPS_LINK_CHDLC = 104, /* Cisco HDLC: address, control, EtherType */
};

/* Limits. */
enum {
	IPS_MAX_IP = 4,       /* IP layers: the outer one plus 3 nested tunnels */
	IPS_MAX_LAYERS = 24,  /* every layer of every kind */
	IPS_MAX_VLAN = 2,     /* 802.1ad outer + 802.1Q inner */
	IPS_MAX_IPV6_EXT = 8, /* extension headers in one IPv6 chain */
	IPS_MAX_EVENTS = 15,  /* anomalies kept on one packet (all are counted), as Suricata */
	IPS_MAX_SACK = 4,     /* SACK blocks kept from one TCP header */
};

/* Decoder anomalies. Names in ips_event_name(); the X-macro keeps the two
 * in step. The names follow Suricata's decoder-event style so that rules
 * and EVE output can refer to them. */
#define IPS_EVENTS(X)                                                                              \
	X(NONE, "none")                                                                            \
	X(LINK_UNSUPPORTED, "decoder.link_unsupported")                                            \
	X(ETH_TRUNC, "decoder.ethernet.pkt_too_small")                                             \
	X(VLAN_TRUNC, "decoder.vlan.header_too_small")                                             \
	X(VLAN_TOO_MANY, "decoder.vlan.too_many_layers")                                           \
	X(SLL_TRUNC, "decoder.sll.pkt_too_small")                                                  \
	X(NULL_TRUNC, "decoder.ltnull.pkt_too_small")                                              \
	X(NULL_UNKNOWN_AF, "decoder.ltnull.unsupported_type")                                      \
	X(IPV4_TRUNC, "decoder.ipv4.pkt_too_small")                                                \
	X(IPV4_BAD_VERSION, "decoder.ipv4.wrong_ip_version")                                       \
	X(IPV4_HLEN_SMALL, "decoder.ipv4.hlen_too_small")                                          \
	X(IPV4_HLEN_TRUNC, "decoder.ipv4.hlen_truncated")                                          \
	X(IPV4_TLEN_SMALL, "decoder.ipv4.iplen_smaller_than_hlen")                                 \
	X(IPV4_TLEN_TRUNC, "decoder.ipv4.trunc_pkt")                                               \
	X(IPV4_BAD_CSUM, "decoder.ipv4.bad_checksum")                                              \
	X(IPV4_OPT_BAD, "decoder.ipv4.opt_malformed")                                              \
	X(IPV4_FRAG_TOO_LARGE, "decoder.ipv4.frag_pkt_too_large")                                  \
	X(IPV6_TRUNC, "decoder.ipv6.pkt_too_small")                                                \
	X(IPV6_BAD_VERSION, "decoder.ipv6.wrong_ip_version")                                       \
	X(IPV6_PLEN_TRUNC, "decoder.ipv6.trunc_pkt")                                               \
	X(IPV6_EXT_TRUNC, "decoder.ipv6.trunc_exthdr")                                             \
	X(IPV6_EXT_TOO_MANY, "decoder.ipv6.exthdr_too_many")                                       \
	X(IPV6_HOPOPTS_NOT_FIRST, "decoder.ipv6.hopopts_not_first")                                \
	X(IPV6_FRAG_DUP, "decoder.ipv6.exthdr_dupl_fh")                                            \
	X(IPV6_FRAG_BAD_LEN, "decoder.ipv6.frag_invalid_length")                                   \
	X(IPV6_FRAG_TOO_LARGE, "decoder.ipv6.frag_pkt_too_large")                                  \
	X(IPV4_FRAG_BAD_LEN, "decoder.ipv4.frag_invalid_length")                                   \
	X(AH_TRUNC, "decoder.ah.pkt_too_small")                                                    \
	X(TCP_TRUNC, "decoder.tcp.pkt_too_small")                                                  \
	X(TCP_HLEN_SMALL, "decoder.tcp.hlen_too_small")                                            \
	X(TCP_HLEN_TRUNC, "decoder.tcp.hlen_truncated")                                            \
	X(TCP_OPT_BAD, "decoder.tcp.opt_invalid_len")                                              \
	X(TCP_BAD_CSUM, "decoder.tcp.bad_checksum")                                                \
	X(UDP_TRUNC, "decoder.udp.pkt_too_small")                                                  \
	X(UDP_LEN_BAD, "decoder.udp.len_invalid")                                                  \
	X(UDP_BAD_CSUM, "decoder.udp.bad_checksum")                                                \
	X(ICMPV4_TRUNC, "decoder.icmpv4.pkt_too_small")                                            \
	X(ICMPV4_BAD_CSUM, "decoder.icmpv4.bad_checksum")                                          \
	X(ICMPV6_TRUNC, "decoder.icmpv6.pkt_too_small")                                            \
	X(ICMPV6_BAD_CSUM, "decoder.icmpv6.bad_checksum")                                          \
	X(GRE_TRUNC, "decoder.gre.pkt_too_small")                                                  \
	X(GRE_BAD_VERSION, "decoder.gre.wrong_version")                                            \
	X(GRE_V0_RESERVED, "decoder.gre.version0_flags")                                           \
	X(GRE_V1_BAD, "decoder.gre.version1_malformed")                                            \
	X(PPP_TRUNC, "decoder.ppp.pkt_too_small")                                                  \
	X(L2TP_TRUNC, "decoder.l2tp.pkt_too_small")                                                \
	X(L2TP_BAD_VERSION, "decoder.l2tp.wrong_version")                                          \
	X(L2TP_LEN_BAD, "decoder.l2tp.len_invalid")                                                \
	X(L2TP_OFFSET_BAD, "decoder.l2tp.offset_invalid")                                          \
	X(ESP_TRUNC, "decoder.esp.pkt_too_small")                                                  \
	X(TUNNEL_TOO_DEEP, "decoder.too_many_layers")                                              \
	X(LAYERS_TOO_MANY, "decoder.layer_list_full")                                              \
	X(FRAG_OVERLAP, "defrag.overlap")                                                          \
	X(FRAG_TOO_LARGE, "defrag.frag_pkt_too_large")                                             \
	X(FRAG_TOO_MANY, "defrag.max_frags_reached")                                               \
	X(FRAG_NOMEM, "defrag.memcap_reached")                                                     \
	X(FRAG_MISMATCH, "defrag.inconsistent_last")                                               \
	X(IPV4_FRAG_OVERLAP, "decoder.ipv4.frag_overlap")                                          \
	X(IPV6_FRAG_OVERLAP, "decoder.ipv6.frag_overlap")                                          \
	X(IPV6_EXTHDR_USELESS_FH, "decoder.ipv6.exthdr_useless_fh")                                \
	X(IPV6_EXTHDR_DUPL_RH, "decoder.ipv6.exthdr_dupl_rh")                                      \
	X(IPV6_EXTHDR_DUPL_HH, "decoder.ipv6.exthdr_dupl_hh")                                      \
	X(IPV6_EXTHDR_DUPL_DH, "decoder.ipv6.exthdr_dupl_dh")                                      \
	X(IPV6_EXTHDR_DUPL_AH, "decoder.ipv6.exthdr_dupl_ah")                                      \
	X(IPV6_EXTHDR_INVALID_OPTLEN, "decoder.ipv6.exthdr_invalid_optlen")                        \
	X(IPV6_EXTHDR_AH_RES_NOT_NULL, "decoder.ipv6.exthdr_ah_res_not_null")                      \
	X(IPV6_HOPOPTS_UNKNOWN_OPT, "decoder.ipv6.hopopts_unknown_opt")                            \
	X(IPV6_HOPOPTS_ONLY_PADDING, "decoder.ipv6.hopopts_only_padding")                          \
	X(IPV6_DSTOPTS_UNKNOWN_OPT, "decoder.ipv6.dstopts_unknown_opt")                            \
	X(IPV6_DSTOPTS_ONLY_PADDING, "decoder.ipv6.dstopts_only_padding")                          \
	X(IPV6_RH_TYPE_0, "decoder.ipv6.rh_type_0")                                                \
	X(IPV6_ZERO_LEN_PADN, "decoder.ipv6.zero_len_padn")                                        \
	X(IPV6_FH_NON_ZERO_RES, "decoder.ipv6.fh_non_zero_reserved_field")                         \
	X(IPV6_DATA_AFTER_NONE, "decoder.ipv6.data_after_none_header")                             \
	X(IPV6_WITH_ICMPV4, "decoder.ipv6.icmpv4")                                                 \
	X(IPV6_UNKNOWN_NEXT_HEADER, "decoder.ipv6.unknown_next_header")                            \
	X(IPV4_WITH_ICMPV6, "decoder.ipv4.icmpv6")                                                 \
	X(ERSPAN_TRUNC, "decoder.erspan.header_too_small")                                         \
	X(ERSPAN_BAD_VERSION, "decoder.erspan.unsupported_version")                                \
	X(ERSPAN_TOO_MANY_VLAN, "decoder.erspan.too_many_vlan_layers")                             \
	X(CHDLC_TRUNC, "decoder.chdlc.pkt_too_small")

enum ips_event {
#define IPS_EV_ENUM(n, s) IPS_EV_##n,
	IPS_EVENTS(IPS_EV_ENUM)
#undef IPS_EV_ENUM
	        IPS_EV__COUNT
};

/* The kind of each recorded layer. */
enum ips_layer_kind {
	IPS_LAYER_ETH,
	IPS_LAYER_VLAN,
	IPS_LAYER_SLL,
	IPS_LAYER_SLL2,
	IPS_LAYER_NULL,
	IPS_LAYER_IPV4,
	IPS_LAYER_IPV6,
	IPS_LAYER_AH,
	IPS_LAYER_GRE,
	IPS_LAYER_PPP,
	IPS_LAYER_L2TP,
	IPS_LAYER_ESP,
	IPS_LAYER_TCP,
	IPS_LAYER_UDP,
	IPS_LAYER_ICMPV4,
	IPS_LAYER_ICMPV6,
	IPS_LAYER_CHDLC,
	IPS_LAYER__COUNT,
};

/* Packet flags. */
enum ips_pkt_flag {
	IPS_PKT_FRAG = 1u << 0, /* innermost IP layer is a fragment: no L4 */
	IPS_PKT_IPV4_CSUM_BAD = 1u << 1,
	IPS_PKT_L4_CSUM_BAD = 1u << 2,  /* TCP, UDP, ICMP or ICMPv6 checksum wrong */
	IPS_PKT_L4_CSUM_SKIP = 1u << 3, /* not verified (fragment, truncated, UDP 0) */
	IPS_PKT_TUNNEL = 1u << 4,       /* more than one IP layer */
	IPS_PKT_ESP = 1u << 5,          /* stopped at ESP (not decrypted) */
	IPS_PKT_PPP_CTRL = 1u << 6,     /* stopped at a PPP control/compressed frame */
	IPS_PKT_L2TP_CTRL = 1u << 7,    /* stopped at an L2TP control message */
	IPS_PKT_DECRYPTED = 1u << 8,    /* inner layers come from the ESP hook */
	IPS_PKT_REASSEMBLED = 1u << 9,  /* innermost IP layer is a reassembled datagram */
	IPS_PKT_TRUNCATED = 1u << 10,   /* caplen shorter than the IP length */
};

/* Tunnel through which an IP layer was reached (IPS_TUN_NONE for the outermost). */
enum ips_tunnel {
	IPS_TUN_NONE,
	IPS_TUN_IPIP,    /* IPv4/IPv6 in IPv4/IPv6 */
	IPS_TUN_GRE,     /* GRE version 0 */
	IPS_TUN_PPTP,    /* enhanced GRE (version 1) + PPP */
	IPS_TUN_L2TP,    /* L2TPv2 data + PPP */
	IPS_TUN_GRE_ETH, /* GRE transparent Ethernet bridging */
	IPS_TUN_ESP,     /* decrypted by the ESP hook */
	IPS_TUN_PPP,     /* link-level PPP */
	IPS_TUN_ERSPAN,  /* ERSPAN type II mirrored Ethernet in GRE */
};

struct ips_layer {
	uint8_t kind; /* enum ips_layer_kind */
	uint16_t off; /* offset of the header in its buffer */
	uint16_t len; /* header length */
	const uint8_t *hdr;
};

/* One IP layer. Addresses in network order (struct bw_addr, port 0). */
struct ips_ip {
	uint8_t version;       /* 4 or 6 */
	uint8_t tunnel;        /* enum ips_tunnel that led here */
	uint8_t proto;         /* upper-layer protocol after IPv6 extension headers */
	uint8_t ttl;           /* TTL or hop limit */
	uint8_t tos;           /* TOS or traffic class */
	uint8_t nexthdr_first; /* IPv6 next header of the fixed header */
	uint8_t n_ext;         /* IPv6 extension headers seen */
	bool mf, df;           /* more fragments, don't fragment (IPv4) */
	bool is_frag;          /* carries a fragment (non-atomic) */
	bool frag_hdr;         /* IPv6: a fragment header was present */
	uint16_t frag_off;     /* fragment offset in bytes */
	uint16_t hdr_len;      /* IPv4 header with options; IPv6 header + ext headers */
	uint16_t frag_hdr_off; /* IPv6: offset of the fragment header from hdr */
	uint16_t frag_nh_off;  /* IPv6: offset of the next-header byte naming it */
	uint16_t ipv4_id;
	uint16_t ipv4_opts;  /* IPv4: enum ips_ipopt bits of the options present */
	uint32_t frag_id;    /* IPv4 id or IPv6 fragment identification */
	uint32_t flow_label; /* IPv6 */
	uint32_t ext_mask;   /* IPv6: 1 << (index in ips_ipv6_ext) per header kind seen */
	struct bw_addr src, dst;
	bool has_final_dst;     /* IPv6 routing header with segments left: */
	uint8_t final_dst[16];  /* the final destination, for the pseudo-header (RFC 8200 8.1) */
	const uint8_t *hdr;     /* the IP header */
	size_t tot_len;         /* IP datagram length as captured and bounded by the header */
	const uint8_t *payload; /* after hdr_len, up to tot_len */
	size_t payload_len;
};

struct ips_tcp {
	uint32_t seq, ack;
	uint16_t win;
	uint8_t flags; /* FIN 0x01 SYN 0x02 RST 0x04 PSH 0x08 ACK 0x10 URG 0x20 ECE 0x40 CWR 0x80 */
	uint8_t hlen;
	uint16_t urp;
	uint16_t csum;
	/* Options (RFC 9293 3.2, RFC 7323, RFC 2018). */
	bool has_mss, has_ws, has_ts, sack_perm;
	bool has_md5_ao; /* TCP-MD5 (RFC 2385, kind 19) or TCP-AO (RFC 5925, kind 29) */
	bool has_tfo; /* TCP Fast Open cookie option (RFC 7413 4.1.1, or its experimental form) */
	uint16_t mss;
	uint8_t ws;
	uint32_t ts_val, ts_ecr;
	uint8_t n_sack;
	uint32_t sack[IPS_MAX_SACK][2];
};

struct ips_icmp {
	uint8_t type, code;
	uint16_t csum;
	bool has_id; /* echo request/reply: id and seq are meaningful */
	uint16_t id, seq;
	uint32_t rest; /* the second 32-bit word */
};

struct ips_gre {
	uint8_t version;
	uint16_t flags; /* the first 16 bits as on the wire */
	uint16_t proto;
	bool has_key, has_seq, has_ack, has_csum;
	uint32_t key, seq, ack;
	uint16_t call_id;     /* version 1: low 16 bits of the key */
	uint16_t payload_len; /* version 1 */
};

struct ips_l2tp {
	uint16_t flags; /* first 16 bits */
	bool is_ctrl;
	uint16_t tunnel_id, session_id;
	uint16_t ns, nr;
	bool has_seq;
};

struct ips_esp {
	uint32_t spi, seq;
	bool udp_encap;
	const uint8_t *data; /* from the SPI to the end of the IP payload */
	size_t len;
};

struct ips_packet {
	const uint8_t *data; /* the whole frame (borrowed) */
	size_t len;
	int linktype;
	uint32_t flags; /* enum ips_pkt_flag */

	/* Link layer. */
	bool has_eth;
	uint8_t eth_src[6], eth_dst[6];
	uint16_t ethertype; /* the one that led to the outer IP layer */
	uint8_t n_vlan;
	uint16_t vlan[IPS_MAX_VLAN]; /* VLAN ids, outermost first */

	/* Every layer in order. */
	uint8_t n_layers;
	struct ips_layer layers[IPS_MAX_LAYERS];

	/* IP layers, outermost first; ip[n_ip - 1] is the innermost. */
	uint8_t n_ip;
	struct ips_ip ip[IPS_MAX_IP];

	/* Innermost transport, valid per `proto` of the innermost IP layer. */
	uint8_t l4proto; /* 0 when no transport was decoded */
	uint16_t sp, dp; /* host order; ICMP: 0 */
	struct ips_tcp tcp;
	struct ips_icmp icmp;
	uint16_t udp_len;
	const uint8_t *l4;      /* transport header */
	const uint8_t *payload; /* application payload (TCP/UDP data, ICMP body) */
	size_t payload_len;

	/* Tunnel details of the last layer of each kind. */
	struct ips_gre gre;
	uint16_t ppp_proto; /* last PPP protocol number */
	struct ips_l2tp l2tp;
	struct ips_esp esp;

	/* Anomalies, in the order found (the first IPS_MAX_EVENTS). */
	uint8_t n_events;
	uint8_t events[IPS_MAX_EVENTS];
};

struct ips_decode_stats {
	uint64_t pkts, bytes;
	uint64_t eth, vlan, sll, null, ppp;
	uint64_t ipv4, ipv6, ipv6_ext, ah, frag;
	uint64_t tcp, udp, icmpv4, icmpv6;
	uint64_t gre, pptp, l2tp, esp, ipip;
	/* ESP with --esp-keys: decrypted, no key for the SPI (or no key file),
	 * ICV failed, and malformed once decrypted (padding, length, TFC dummy). */
	uint64_t esp_decrypted, esp_no_key, esp_auth_failed, esp_invalid;
	uint64_t other;     /* stopped at an unknown protocol (not an anomaly) */
	uint64_t anomalies; /* packets with at least one anomaly */
	uint64_t events[IPS_EV__COUNT];
};

/*
 * ESP decryption hook (filled later by the ESP-keys glue, reusing src/ipsec).
 * Called with the ESP view (SPI onwards) of a packet; on success it returns 0
 * and sets *inner to a decrypted inner packet (IP header first for tunnel
 * mode; transport payload for transport mode, with *next_proto set) in a
 * buffer it owns that stays valid until the next call. BW_ERR_NOTFOUND when
 * no key is known, BW_ERR_AUTH when the ICV fails, another error when the
 * packet is malformed: the packet stays "ESP" and the reason is counted.
 * The ESP keys glue is ips/esp_keys.h.
 */
struct ips_esp_hook {
	int (*decrypt)(void *ctx, const struct ips_esp *esp, const struct ips_ip *outer,
	               const uint8_t **inner, size_t *inner_len, uint8_t *next_proto);
	void *ctx;
};

struct ips_decoder {
	struct ips_decode_stats stats;
	struct ips_esp_hook esp_hook; /* decrypt NULL: no decryption */
	bool no_l4_csum;              /* skip TCP/UDP/ICMP checksum verification */
};

/* The event's name, or "unknown". */
const char *ips_event_name(int ev);
/* Whether the packet carries a given anomaly. */
bool ips_packet_has_event(const struct ips_packet *p, enum ips_event ev);
/* Records an anomaly on the packet (and in stats when given). */
void ips_packet_event(struct ips_packet *p, struct ips_decode_stats *st, enum ips_event ev);
/* Innermost IP layer, or NULL. */
static inline const struct ips_ip *ips_packet_ip(const struct ips_packet *p)
{
	return p->n_ip ? &p->ip[p->n_ip - 1] : NULL;
}

/*
 * Decodes one frame of the given link type into *p (zeroed first). p borrows
 * `data`; the views it holds are valid as long as `data` is. dec may be NULL
 * (no stats, no ESP hook). Returns 0 when every layer it reached decoded
 * cleanly, BW_ERR_INVAL when an anomaly was recorded (p still holds what
 * was decoded), BW_ERR_UNSUPP for an unknown link type.
 */
int ips_decode(struct ips_packet *p, const uint8_t *data, size_t len, int linktype,
               struct ips_decoder *dec);

/*
 * Decodes a reassembled IP datagram as IP layer `layer` of an already decoded
 * packet (the layer that carried the fragment): the layers outside it are
 * kept, the rest is replaced. `ip` is borrowed (defrag owns it). Same returns
 * as ips_decode().
 */
int ips_decode_reassembled(struct ips_packet *p, unsigned layer, const uint8_t *ip, size_t len,
                           struct ips_decoder *dec);

/* RFC 1071 Internet checksum helpers: a running sum, then fold and invert. */
uint32_t ips_csum_add(uint32_t sum, const uint8_t *b, size_t len);
uint16_t ips_csum_fold(uint32_t sum);

#endif
