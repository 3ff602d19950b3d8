/* SPDX-License-Identifier: ISC */
/*
 * The parsed form of a Snort 2.9 / Suricata rule, and the loader that turns
 * .rules (or .rules.gz) files into it. A rule is a header (action, protocol,
 * source and destination address/port sets, direction) and an ordered list
 * of options; each option names its keyword (enum ips_kw), the buffer it
 * inspects (enum ips_buf: the packet payload, the reassembled stream or a
 * sticky buffer such as http.uri) and a keyword-specific data struct defined
 * here, so that the detection engine can evaluate a rule without knowing the
 * text grammar. Content modifiers (nocase, depth, distance, ...) are folded
 * into their struct ips_content; header-like options (msg, sid, reference,
 * metadata, classtype, priority, target, noalert) go into struct ips_rule.
 *
 * Addresses and ports are resolved at load time into sorted, disjoint
 * inclusive ranges (negation, nested groups and variables already applied),
 * so matching is a binary search. Variables default to the values of
 * Suricata's default suricata.yaml.
 *
 * A rule the engine cannot honour (unknown keyword or protocol, bad value,
 * inconsistent modifiers, a pcre PCRE2 refuses) is skipped with a log line
 * naming file, line and keyword (tag "ips") and counted by reason in
 * struct ips_load_stats; loading never aborts on one bad rule.
 */
#ifndef BW_IPS_RULE_H
#define BW_IPS_RULE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum ips_action {
	IPS_ACT_ALERT,
	IPS_ACT_DROP,
	IPS_ACT_REJECT, /* same as rejectsrc */
	IPS_ACT_REJECTSRC,
	IPS_ACT_REJECTDST,
	IPS_ACT_REJECTBOTH,
	IPS_ACT_PASS,
};

/* Header protocols the engine honours; app protocols imply their transport. */
enum ips_proto {
	IPS_PROTO_IP,
	IPS_PROTO_TCP,
	IPS_PROTO_UDP,
	IPS_PROTO_ICMP,
	IPS_PROTO_HTTP,
	IPS_PROTO_DNS,
	IPS_PROTO_TLS,
	IPS_PROTO_SSH,
	IPS_PROTO_FTP,
	IPS_PROTO_FTP_DATA,
	IPS_PROTO_SMTP,
	IPS_PROTO_MQTT,   /* TCP */
	IPS_PROTO_KRB5,   /* TCP or UDP */
	IPS_PROTO_MODBUS, /* TCP */
	IPS_PROTO_ENIP,   /* TCP or UDP */
	IPS_PROTO_IKE,    /* UDP; "ikev2" is an alias */
	IPS_PROTO_SMB,
	IPS_PROTO_DCERPC, /* connection-oriented DCE/RPC, over TCP or inside SMB */
	IPS_PROTO__COUNT,
};

/*
 * Whether a rule needing app layer `rule_app` (IPS_PROTO_IP: none) applies
 * to a flow of app layer `flow_app`. As in Suricata, DCE/RPC rules also
 * apply to SMB flows, which carry DCE/RPC over named pipes.
 */
static inline bool ips_app_covers(enum ips_proto rule_app, enum ips_proto flow_app)
{
	return rule_app == IPS_PROTO_IP || rule_app == flow_app ||
	       (rule_app == IPS_PROTO_DCERPC && flow_app == IPS_PROTO_SMB);
}

/* tcp-pkt / tcp-stream restrict a tcp rule to packets or to the stream. */
enum ips_tcp_scope {
	IPS_TCP_ANY,
	IPS_TCP_PKT,
	IPS_TCP_STREAM,
};

/* Inclusive range of big-endian keys: 4 bytes for IPv4, 16 for IPv6. */
struct ips_ip_range {
	uint8_t lo[16];
	uint8_t hi[16];
};

/*
 * A resolved address set: sorted, disjoint, non-adjacent ranges per family.
 * `any` is true when both families cover their whole space.
 */
struct ips_addrset {
	struct ips_ip_range *v4; /* lo/hi use the first 4 bytes */
	size_t n4;
	struct ips_ip_range *v6;
	size_t n6;
	bool any;
	/*
	 * The text negated something ('!', also through a variable such as
	 * $EXTERNAL_NET): Suricata's "contains negation", which keeps a rule out
	 * of its IP-only engine (see ips_rule_ip_only).
	 */
	bool negated;
};

struct ips_port_range {
	uint16_t lo;
	uint16_t hi;
};

struct ips_portset {
	struct ips_port_range *r;
	size_t n;
	bool any;
};

/*
 * Buffers an option can inspect. PAYLOAD is the packet payload or, for
 * stream rules, the reassembled stream (Suricata's pmatch list); the others
 * are sticky buffers filled by the app-layer parsers.
 */
enum ips_buf {
	IPS_BUF_PAYLOAD,
	IPS_BUF_HTTP_URI,
	IPS_BUF_HTTP_RAW_URI,
	IPS_BUF_HTTP_METHOD,
	IPS_BUF_HTTP_REQUEST_LINE,
	IPS_BUF_HTTP_PROTOCOL,
	IPS_BUF_HTTP_HEADER,
	IPS_BUF_HTTP_RAW_HEADER,
	IPS_BUF_HTTP_HEADER_NAMES,
	IPS_BUF_HTTP_HOST,
	IPS_BUF_HTTP_RAW_HOST,
	IPS_BUF_HTTP_USER_AGENT,
	IPS_BUF_HTTP_COOKIE,
	IPS_BUF_HTTP_CONTENT_TYPE,
	IPS_BUF_HTTP_CONTENT_LEN,
	IPS_BUF_HTTP_REFERER,
	IPS_BUF_HTTP_ACCEPT,
	IPS_BUF_HTTP_ACCEPT_ENC,
	IPS_BUF_HTTP_ACCEPT_LANG,
	IPS_BUF_HTTP_CONNECTION,
	IPS_BUF_HTTP_LOCATION,
	IPS_BUF_HTTP_SERVER,
	IPS_BUF_HTTP_START,
	IPS_BUF_HTTP_RESPONSE_LINE,
	IPS_BUF_HTTP_STAT_CODE,
	IPS_BUF_HTTP_STAT_MSG,
	IPS_BUF_HTTP_REQUEST_BODY,
	IPS_BUF_HTTP_RESPONSE_BODY,
	IPS_BUF_FILE_DATA,
	IPS_BUF_DNS_QUERY,
	IPS_BUF_TLS_SNI,
	IPS_BUF_TLS_CERT_SUBJECT,
	IPS_BUF_TLS_CERT_ISSUER,
	IPS_BUF_TLS_CERT_SERIAL,
	IPS_BUF_TLS_CERTS,
	IPS_BUF_JA3_HASH,
	IPS_BUF_JA3_STRING,
	IPS_BUF_JA3S_HASH,
	IPS_BUF_SSH_PROTO,
	IPS_BUF_SSH_SOFTWARE,
	IPS_BUF_SSH_HASSH,
	IPS_BUF_SSH_HASSH_STRING,
	IPS_BUF_SSH_HASSH_SERVER,
	IPS_BUF_SSH_HASSH_SERVER_STRING,
	IPS_BUF_FTP_COMMAND,
	IPS_BUF_FTP_COMMAND_DATA,
	IPS_BUF_FTPDATA_COMMAND, /* "retr" to the client or "stor" to the server */
	IPS_BUF_KRB5_CNAME,      /* one instance per name component */
	IPS_BUF_KRB5_SNAME,
	IPS_BUF_MQTT_PUBLISH_TOPIC,
	IPS_BUF_MQTT_PUBLISH_MESSAGE,
	IPS_BUF_MQTT_CONNECT_CLIENTID,
	IPS_BUF_MQTT_CONNECT_USERNAME,
	IPS_BUF_MQTT_CONNECT_PASSWORD,
	IPS_BUF_MQTT_CONNECT_WILLTOPIC,
	IPS_BUF_MQTT_CONNECT_WILLMESSAGE,
	IPS_BUF_MQTT_SUBSCRIBE_TOPIC, /* one instance per topic */
	IPS_BUF_MQTT_UNSUBSCRIBE_TOPIC,
	IPS_BUF_IKE_INIT_SPI,     /* 16 lowercase hex digits; messages to the server */
	IPS_BUF_IKE_RESP_SPI,     /* the same, messages to the client */
	IPS_BUF_IKE_KEY_EXCHANGE, /* IKEv1 key exchange data */
	IPS_BUF_IKE_NONCE,        /* IKEv1 nonce data */
	IPS_BUF_IKE_VENDOR,       /* IKEv1 vendor IDs in lowercase hex, one instance each */
	/* Packet header buffers: filled on packet runs, not by the app layer. */
	IPS_BUF_TCP_HDR,    /* the TCP header with options */
	IPS_BUF_UDP_HDR,    /* the 8-byte UDP header */
	IPS_BUF_ICMPV6_HDR, /* the first 8 bytes of the ICMPv6 message */
	/* Files of any app protocol (struct app_file in app_int.h). */
	IPS_BUF_FILE_NAME,  /* file.name: the name the transfer gives */
	IPS_BUF_FILE_MAGIC, /* file.magic: libmagic's description of its first bytes */
	IPS_BUF_FILE_MD5,   /* the raw digests of a complete file (filemd5, ...) */
	IPS_BUF_FILE_SHA1,
	IPS_BUF_FILE_SHA256,
	/*
	 * Not an app buffer: what base64_decode decoded, inspected by the
	 * options after base64_data when the base64_decode option is reached.
	 */
	IPS_BUF_BASE64_DATA,
	IPS_BUF_SMB_NAMED_PIPE,
	IPS_BUF_SMB_SHARE,
	IPS_BUF_SMB_NTLMSSP_USER,
	IPS_BUF_SMB_NTLMSSP_DOMAIN,
	IPS_BUF_DCERPC_STUB_DATA,
	/*
	 * Suricata 7 frames (the frame keyword): the protocol data units of
	 * the rule's app layer, one instance per unit in the transaction.
	 * pdu: a whole message (a DNS message without the TCP length prefix,
	 * an MQTT control packet); header and data: an MQTT packet's fixed
	 * header and the rest.
	 */
	IPS_BUF_FRAME_PDU,
	IPS_BUF_FRAME_HEADER,
	IPS_BUF_FRAME_DATA,
	IPS_BUF__COUNT,
};
/* 64-bit words of a bitmask over enum ips_buf (bit b in word b / 64). */
enum { IPS_BUF_WORDS = (IPS_BUF__COUNT + 63) / 64 };

/* Suricata's name of a buffer ("http.uri"; "payload" for IPS_BUF_PAYLOAD). */
const char *ips_buf_name(enum ips_buf b);
/* True for the packet header buffers (tcp.hdr, ...): inspected per packet. */
static inline bool ips_buf_is_pkt(enum ips_buf b)
{
	return b >= IPS_BUF_TCP_HDR && b <= IPS_BUF_ICMPV6_HDR;
}

/* Every keyword with its own data, in registry order. */
enum ips_kw {
	IPS_KW_MSG,
	IPS_KW_SID,
	IPS_KW_REV,
	IPS_KW_GID,
	IPS_KW_CLASSTYPE,
	IPS_KW_PRIORITY,
	IPS_KW_REFERENCE,
	IPS_KW_METADATA,
	IPS_KW_TARGET,
	IPS_KW_NOALERT,
	IPS_KW_CONTENT, /* struct ips_content */
	IPS_KW_NOCASE,  /* modifiers below fold into the previous content */
	IPS_KW_RAWBYTES,
	IPS_KW_OFFSET,
	IPS_KW_DEPTH,
	IPS_KW_DISTANCE,
	IPS_KW_WITHIN,
	IPS_KW_FAST_PATTERN,
	IPS_KW_STARTSWITH,
	IPS_KW_ENDSWITH,
	IPS_KW_PCRE,             /* struct ips_pcre */
	IPS_KW_FLOW,             /* struct ips_flow */
	IPS_KW_FLOWBITS,         /* struct ips_flowbits */
	IPS_KW_FLOWINT,          /* struct ips_flowint */
	IPS_KW_DSIZE,            /* struct ips_num */
	IPS_KW_ISDATAAT,         /* struct ips_isdataat */
	IPS_KW_BYTE_TEST,        /* struct ips_byte_test */
	IPS_KW_BYTE_JUMP,        /* struct ips_byte_jump */
	IPS_KW_BYTE_EXTRACT,     /* struct ips_byte_extract */
	IPS_KW_ITYPE,            /* struct ips_num */
	IPS_KW_ICODE,            /* struct ips_num */
	IPS_KW_ICMP_ID,          /* struct ips_num */
	IPS_KW_ICMP_SEQ,         /* struct ips_num */
	IPS_KW_FLAGS,            /* struct ips_tcp_flags */
	IPS_KW_TTL,              /* struct ips_num */
	IPS_KW_IP_PROTO,         /* struct ips_num */
	IPS_KW_SAMEIP,           /* no data */
	IPS_KW_STREAM_SIZE,      /* struct ips_stream_size */
	IPS_KW_THRESHOLD,        /* struct ips_threshold */
	IPS_KW_DETECTION_FILTER, /* struct ips_threshold */
	IPS_KW_BSIZE,            /* struct ips_num, on the current sticky buffer */
	IPS_KW_URILEN,           /* struct ips_urilen */
	IPS_KW_TRANSFORM,        /* struct ips_transform, of the current sticky buffer */
	IPS_KW_BASE64_DECODE,    /* struct ips_base64_decode */
	IPS_KW_FILEHASH,         /* struct ips_filehash, in file.md5/sha1/sha256 */
	IPS_KW_FILESIZE,         /* struct ips_num, of the transaction's file */
	IPS_KW_FILESTORE,        /* accepted; files are not stored (no data) */
	IPS_KW_DATASET,          /* struct ips_dataset, on the current sticky buffer */
	IPS_KW_DECODE_EVENT,     /* struct ips_event_ref: decoder/defrag event */
	IPS_KW_STREAM_EVENT,     /* struct ips_event_ref: TCP stream event */
	IPS_KW_APP_EVENT,        /* struct ips_event_ref: app-layer event */
	IPS_KW_IPOPTS,           /* struct ips_ipopts */
	IPS_KW_CSUM,             /* struct ips_csum */
	IPS_KW_FLOW_AGE,         /* struct ips_num, seconds */
	IPS_KW_DNS_OPCODE,       /* struct ips_num (negation: op NE) */
	IPS_KW_TAG,              /* struct ips_tag: accepted, no alerts (see docs/ips.md) */
	IPS_KW_ICMPV6_MTU,       /* struct ips_num */
	IPS_KW_STICKY,           /* sticky buffer switch (not kept as an option) */
	IPS_KW_BUF_MODIFIER,     /* Snort 2 modifier: moves the previous content */
	IPS_KW_BUF_EQ,           /* struct ips_buf_eq: a whole app buffer compared */
	IPS_KW_APP,              /* struct ips_app_match: a transaction field of an app parser */
	IPS_KW_DCE_IFACE,        /* struct ips_dce_iface */
	IPS_KW_DCE_OPNUM,        /* struct ips_dce_opnum */
	IPS_KW_XBITS,            /* struct ips_xbits_opt */
	IPS_KW_ASN1,             /* struct ips_asn1, on the packet payload */
	IPS_KW_FTPBOUNCE,        /* no data: an FTP PORT naming another host than the client */
	IPS_KW_BYPASS,           /* sets ips_rule.bypass (not kept as an option) */
	IPS_KW__COUNT,
};

/* Numeric comparison (dsize, ttl, itype, bsize, ...): Suricata's uint syntax. */
enum ips_cmp {
	IPS_CMP_EQ,
	IPS_CMP_NE,
	IPS_CMP_LT,
	IPS_CMP_LE,
	IPS_CMP_GT,
	IPS_CMP_GE,
	IPS_CMP_RANGE, /* lo < x < hi, exclusive, as Suricata's "lo<>hi" */
};

struct ips_num {
	enum ips_cmp op;
	uint64_t lo; /* the value for single comparisons */
	uint64_t hi;
};

/* True if v satisfies n. */
bool ips_num_match(const struct ips_num *n, uint64_t v);

/* A byte_extract variable reference: index into ips_rule.vars, or -1. */
enum { IPS_NOVAR = -1 };

enum ips_content_flag {
	IPS_CF_NEGATED = 1u << 0,
	IPS_CF_NOCASE = 1u << 1,
	IPS_CF_RAWBYTES = 1u << 2,
	IPS_CF_OFFSET = 1u << 3,
	IPS_CF_DEPTH = 1u << 4,
	IPS_CF_DISTANCE = 1u << 5,
	IPS_CF_WITHIN = 1u << 6,
	IPS_CF_FAST_PATTERN = 1u << 7,
	IPS_CF_FP_ONLY = 1u << 8,
	IPS_CF_FP_CHOP = 1u << 9, /* fast_pattern:offset,length */
	IPS_CF_STARTSWITH = 1u << 10,
	IPS_CF_ENDSWITH = 1u << 11,
};

/*
 * content with its modifiers. offset/depth are absolute from the buffer
 * start (depth counts from offset, as in Snort); distance/within are
 * relative to the end of the previous match in the same buffer. Each of the
 * four may instead name a byte_extract variable (*_var >= 0).
 */
struct ips_content {
	uint8_t *pat;
	size_t len;
	uint32_t flags; /* enum ips_content_flag */
	int32_t offset;
	int32_t depth;
	int32_t distance; /* may be negative */
	int32_t within;
	int offset_var, depth_var, distance_var, within_var;
	uint16_t fp_off, fp_len; /* with IPS_CF_FP_CHOP */
};

/* pcre: /re/flags; PCRE2 options and the Suricata-specific modifiers. */
enum ips_pcre_flag {
	IPS_PCRE_RELATIVE = 1u << 0,             /* R */
	IPS_PCRE_NEGATED = 1u << 1,              /* !"/re/" */
	IPS_PCRE_RAWBYTES = 1u << 2,             /* B */
	IPS_PCRE_OVERRIDE_MATCH_LIMIT = 1u << 3, /* O */
};

struct ips_pcre {
	char *re;         /* the pattern between the slashes */
	uint32_t options; /* PCRE2_* compile options (i, s, m, x, A, E, G) */
	uint32_t flags;   /* enum ips_pcre_flag */
	void *code;       /* pcre2_code_8 *, compiled at load (JIT later) */
};

enum ips_flow_flag {
	IPS_FLOW_ESTABLISHED = 1u << 0,
	IPS_FLOW_NOT_ESTABLISHED = 1u << 1,
	IPS_FLOW_STATELESS = 1u << 2,
	IPS_FLOW_TO_SERVER = 1u << 3, /* also from_client */
	IPS_FLOW_TO_CLIENT = 1u << 4, /* also from_server */
	IPS_FLOW_ONLY_STREAM = 1u << 5,
	IPS_FLOW_NO_STREAM = 1u << 6,
	IPS_FLOW_ONLY_FRAG = 1u << 7,
	IPS_FLOW_NO_FRAG = 1u << 8,
};

struct ips_flow {
	uint32_t flags; /* enum ips_flow_flag */
};

enum ips_flowbits_cmd {
	IPS_FB_SET,
	IPS_FB_ISSET,
	IPS_FB_ISNOTSET,
	IPS_FB_UNSET,
	IPS_FB_TOGGLE,
	IPS_FB_NOALERT,
};

struct ips_flowbits {
	enum ips_flowbits_cmd cmd;
	char **names; /* isset a|b: any of (or_list); set a&b: all of */
	size_t n;
	bool or_list;
};

/*
 * xbits: a named bit kept per host or host pair (Suricata 7's xbits); cmd
 * is IPS_FB_SET, ISSET, ISNOTSET, UNSET or TOGGLE.
 */
enum ips_xbits_track {
	IPS_XB_IP_SRC,
	IPS_XB_IP_DST,
	IPS_XB_IP_PAIR,
};

struct ips_xbits_opt {
	enum ips_flowbits_cmd cmd;
	enum ips_xbits_track track;
	uint32_t expire; /* seconds after the setting packet (default 30) */
	char *name;
};

/* asn1: BER checks over the packet payload (Suricata's rust/src/asn1). */
enum ips_asn1_flag {
	IPS_ASN1_BITSTRING_OVERFLOW = 1u << 0,
	IPS_ASN1_DOUBLE_OVERFLOW = 1u << 1,
	IPS_ASN1_OVERSIZE = 1u << 2,
	IPS_ASN1_ABSOLUTE = 1u << 3,
	IPS_ASN1_RELATIVE = 1u << 4,
};

struct ips_asn1 {
	unsigned flags;      /* enum ips_asn1_flag */
	uint32_t oversize;   /* oversize_length */
	uint16_t abs_offset; /* absolute_offset */
	int32_t rel_offset;  /* relative_offset, -65535..65535 */
	uint16_t max_frames; /* objects and nesting depth (30) */
};

/* tag: Suricata tags the following packets of a session or host (no alerts of its own). */
enum ips_tag_metric { IPS_TAG_PACKETS, IPS_TAG_SECONDS, IPS_TAG_BYTES };

struct ips_tag {
	bool host; /* tag:host (else session) */
	bool dst;  /* host: the destination host (else the source) */
	uint32_t count;
	enum ips_tag_metric metric;
};

/* flowint: a per-flow unsigned 32-bit counter. */
enum ips_flowint_op {
	IPS_FI_SET, /* =: modifiers run after the rule matched */
	IPS_FI_ADD, /* +: an unset variable starts from 0 */
	IPS_FI_SUB, /* - */
	IPS_FI_EQ,  /* ==: comparisons fail while the variable is unset */
	IPS_FI_NE,
	IPS_FI_LT,
	IPS_FI_LE,
	IPS_FI_GT,
	IPS_FI_GE,
	IPS_FI_ISSET,
	IPS_FI_NOTSET,
};

struct ips_flowint {
	char *name;
	enum ips_flowint_op op;
	uint32_t value; /* the operand, unless var names another flowint */
	char *var;      /* operand variable (0 while unset), or NULL */
};

struct ips_isdataat {
	uint32_t value;
	int value_var;
	bool relative;
	bool negated;
	bool rawbytes;
};

enum ips_endian {
	IPS_END_BIG,
	IPS_END_LITTLE,
	IPS_END_DCE, /* the DCE/RPC call's data representation; little elsewhere */
};

/* Number conversion of byte_*: binary, or text in base 8, 10 or 16. */
enum ips_byte_base {
	IPS_BASE_BINARY = 0,
	IPS_BASE_OCT = 8,
	IPS_BASE_DEC = 10,
	IPS_BASE_HEX = 16,
};

struct ips_byte_test {
	uint8_t nbytes; /* 1..8 binary, 1..23 string */
	char op;        /* one of < > = & ^ and "<=" ">=" as 'l' 'g' */
	bool negated;
	uint64_t value;
	int value_var;
	int32_t offset;
	int offset_var;
	bool relative;
	enum ips_endian endian;
	enum ips_byte_base base;
	uint64_t bitmask; /* 0 = none */
};

struct ips_byte_jump {
	uint8_t nbytes;
	int32_t offset;
	int offset_var;
	bool relative;
	uint32_t multiplier; /* 1 when absent */
	enum ips_endian endian;
	enum ips_byte_base base;
	bool align;
	bool from_beginning;
	bool from_end;
	int32_t post_offset;
	uint64_t bitmask;
};

struct ips_byte_extract {
	uint8_t nbytes;
	int32_t offset;
	bool relative;
	uint32_t multiplier;
	enum ips_endian endian;
	enum ips_byte_base base;
	uint8_t align; /* 0, 2 or 4 */
	uint64_t bitmask;
	int var; /* the index this writes in ips_rule.vars */
};

/* TCP flags bits as on the wire (FIN 0x01 ... CWR 0x80). */
enum ips_flags_mod {
	IPS_FLAGS_EXACT, /* only these (besides the ignored ones) */
	IPS_FLAGS_PLUS,  /* +: these and possibly others */
	IPS_FLAGS_ANY,   /* *: any of these */
	IPS_FLAGS_NOT,   /* !: none of these */
};

struct ips_tcp_flags {
	uint8_t flags;
	uint8_t ignore; /* bits masked off before comparing */
	enum ips_flags_mod mod;
};

enum ips_stream_side {
	IPS_SS_SERVER,
	IPS_SS_CLIENT,
	IPS_SS_BOTH,
	IPS_SS_EITHER,
};

struct ips_stream_size {
	enum ips_stream_side side;
	struct ips_num cmp;
};

enum ips_thr_type {
	IPS_THR_LIMIT,
	IPS_THR_THRESHOLD,
	IPS_THR_BOTH,
	IPS_THR_NONE, /* detection_filter */
};

enum ips_thr_track {
	IPS_TRACK_BY_SRC,
	IPS_TRACK_BY_DST,
	IPS_TRACK_BY_RULE,
	IPS_TRACK_BY_BOTH,
	IPS_TRACK_BY_FLOW,
};

struct ips_threshold {
	enum ips_thr_type type;
	enum ips_thr_track track;
	uint32_t count;
	uint32_t seconds;
};

struct ips_urilen {
	struct ips_num cmp;
	bool raw; /* ",raw": the raw URI; default the normalised one */
};

/* dcerpc.iface (dce_iface): "uuid[,<op>version][,any_frag]". */
struct ips_dce_iface {
	uint8_t uuid[16]; /* as written: time_low first, big-endian fields */
	bool has_version;
	struct ips_num version; /* compared with the interface's major version */
	bool any_frag;          /* also interfaces bound by a non-first bind fragment */
};

/* dcerpc.opnum (dce_opnum): a list of numbers and lo-hi ranges. */
enum { IPS_DCE_OPNUM_MAX = 32 };
struct ips_dce_opnum {
	struct {
		uint16_t lo, hi;
	} r[IPS_DCE_OPNUM_MAX];
	size_t n;
};

/*
 * The DCE/RPC call that dcerpc.iface and dcerpc.opnum inspect, filled by the
 * app layer for a transaction (DCE/RPC over TCP, or over an SMB pipe): the
 * request's context id and opnum, and the interfaces the server accepted on
 * the binding (bind/alter_context answered by bind_ack/alter_context_resp).
 */
struct ips_dce_iface_ent {
	uint8_t uuid[16];
	uint16_t ctxid;
	uint16_t version; /* major */
	bool first_frag;  /* bound by a PDU with PFC_FIRST_FRAG */
};

struct ips_dce_call {
	bool request_seen; /* a request PDU of this call was parsed */
	bool last_is_call; /* the binding's latest PDU is a request or response */
	bool little;       /* the call's data representation (drep[0] & 0x10) */
	uint16_t ctxid;
	uint16_t opnum;
	const struct ips_dce_iface_ent *ifaces; /* accepted ones, borrowed */
	size_t nifaces;
};

/*
 * ssh.protoversion, ssh.softwareversion, ftpdata_command: the option's
 * buffer equals val exactly (ASCII case-insensitive with nocase); with
 * ssh2_compat ("2_compat") any value starting with '2' or "1.99" does.
 */
struct ips_buf_eq {
	uint8_t *val;
	size_t len;
	bool nocase;
	bool ssh2_compat;
};

/*
 * A transaction-level test of an app-layer parser (mqtt.type, krb5_msg_type,
 * modbus, enip_command, ike.*, app-layer-event, ...). `what` is a selector
 * private to the app layer (enum app_match in app_int.h); the other fields
 * are its arguments. Evaluated by app_tx_match() on the transaction being
 * inspected; never true on packets.
 */
struct ips_app_match {
	enum ips_proto app;
	unsigned what;
	struct ips_num num;
	bool negated;
	uint64_t arg[8]; /* selector-specific (flags, masks, ranges, lists) */
	size_t narg;
	char *str; /* selector-specific text (an event name), owned */
};

/*
 * decode-event, stream-event, app-layer-event: the event's index in its
 * family's table (enum ips_event, enum ips_stream_event, enum app_event),
 * or for app-layer-event of a parser that records event names on its
 * transactions (MQTT, Kerberos 5, Modbus, IKE), m.
 */
struct ips_event_ref {
	uint16_t id;
	struct ips_app_match *m; /* owned; NULL: id */
};

/* ipopts: one IPv4 option kind (RFC 791 3.1), as a bit of enum ips_ipopt. */
enum ips_ipopt {
	IPS_IPOPT_RR = 1u << 0,    /* record route (7) */
	IPS_IPOPT_EOL = 1u << 1,   /* end of list (0) */
	IPS_IPOPT_NOP = 1u << 2,   /* no operation (1) */
	IPS_IPOPT_TS = 1u << 3,    /* timestamp (68) */
	IPS_IPOPT_SEC = 1u << 4,   /* security (130, RFC 1108) */
	IPS_IPOPT_ESEC = 1u << 5,  /* extended security (133, RFC 1108) */
	IPS_IPOPT_LSRR = 1u << 6,  /* loose source route (131) */
	IPS_IPOPT_SSRR = 1u << 7,  /* strict source route (137) */
	IPS_IPOPT_SATID = 1u << 8, /* stream id (136) */
	IPS_IPOPT_ANY = 0xffffu,   /* "any": at least one option */
};

struct ips_ipopts {
	uint16_t mask; /* enum ips_ipopt */
};

/* ipv4-csum, tcpv4-csum, ...: which checksum and whether it must be valid. */
enum ips_csum_kind {
	IPS_CSUM_IPV4,
	IPS_CSUM_TCPV4,
	IPS_CSUM_TCPV6,
	IPS_CSUM_UDPV4,
	IPS_CSUM_UDPV6,
	IPS_CSUM_ICMPV4,
	IPS_CSUM_ICMPV6,
};

struct ips_csum {
	enum ips_csum_kind kind;
	bool valid; /* "valid" (true) or "invalid" */
};

/*
 * Transforms of a sticky buffer (Suricata's), applied in rule order to the
 * buffer before the options that follow them inspect it.
 */
enum ips_tf_type {
	IPS_TF_DOTPREFIX,    /* '.' in front (a non-empty buffer) */
	IPS_TF_STRIP_WS,     /* strip_whitespace: every isspace() byte removed */
	IPS_TF_COMPRESS_WS,  /* compress_whitespace: a run of isspace() kept as its first */
	IPS_TF_TO_LOWER,     /* to_lowercase */
	IPS_TF_TO_UPPER,     /* to_uppercase */
	IPS_TF_MD5,          /* to_md5: the 16-byte digest */
	IPS_TF_SHA1,         /* to_sha1: 20 bytes */
	IPS_TF_SHA256,       /* to_sha256: 32 bytes */
	IPS_TF_HEADER_LOWER, /* header_lowercase: names of "Name: value" lines lowercased */
	IPS_TF_STRIP_PSEUDO, /* strip_pseudo_headers: lines starting with ':' removed */
	IPS_TF_URL_DECODE,   /* url_decode: %HH and '+' */
	IPS_TF_XOR,          /* xor:"hexkey" */
	IPS_TF_PCREXFORM,    /* pcrexform:"re": the first capture group, when it matches */
};

struct ips_transform {
	enum ips_tf_type type;
	uint8_t *key; /* xor */
	size_t keylen;
	char *re;   /* pcrexform: the pattern */
	void *code; /* pcrexform: pcre2_code_8 * with exactly one capture group */
};

/* filemd5/filesha1/filesha256:[!]FILE: the digests listed in FILE, sorted. */
struct ips_filehash {
	uint8_t *v; /* n digests of len bytes, ascending */
	size_t n;
	size_t len; /* 16, 20 or 32 */
	bool negated;
};

/*
 * dataset:CMD,NAME[, type T][, load FILE][, state FILE][, save FILE]
 * [, memcap N][, hashsize N]: membership of the whole buffer in the named
 * set, which every rule naming it shares (the engine owns the sets).
 */
enum ips_dataset_cmd {
	IPS_DS_SET,      /* add; matches when the value was not there yet */
	IPS_DS_ISSET,    /* matches when present */
	IPS_DS_ISNOTSET, /* matches when absent */
};

enum ips_dataset_type {
	IPS_DST_STRING, /* any bytes; load files hold them base64-encoded, one a line */
	IPS_DST_MD5,    /* 16 bytes; load files hold hex */
	IPS_DST_SHA256, /* 32 bytes; hex */
};

struct ips_dataset {
	enum ips_dataset_cmd cmd;
	enum ips_dataset_type type;
	char *name;
	char *load;      /* full path of the file to load (load or state), or NULL */
	uint64_t memcap; /* 0: the default, 16 MiB */
};

/* base64_decode[:bytes N][,offset N][,relative] (RFC 4648 decoding). */
struct ips_base64_decode {
	uint32_t bytes; /* at most this many encoded bytes; 65535 when not given */
	uint32_t offset;
	bool relative;
};

/*
 * One option in rule order; data is NULL for keywords without data. An
 * option in a sticky buffer inspects it through the transforms
 * opts[tf_first .. tf_first + tf_n) (IPS_KW_TRANSFORM options); two
 * options of one buffer with different transforms inspect two different
 * views of it, as in Suricata.
 */
struct ips_opt {
	enum ips_kw kw;
	enum ips_buf buf;
	void *data;
	uint16_t tf_first, tf_n;
};

struct ips_reference {
	char *type; /* "url", "cve", ... */
	char *value;
};

struct ips_meta {
	char *key;
	char *value; /* may be "" */
};

enum ips_target {
	IPS_TARGET_NONE,
	IPS_TARGET_SRC,
	IPS_TARGET_DST,
};

/* Limits: an option list, a variable list and references are capped. */
enum ips_rule_limit {
	IPS_RULE_MAX_LEN = 65536, /* bytes of one rule, continuation lines joined */
	IPS_RULE_MAX_OPTS = 512,
	IPS_RULE_MAX_VARS = 8, /* byte_extract variables, as Suricata */
	IPS_RULE_MAX_CONTENT = 65535,
	IPS_VAR_MAX_DEPTH = 16, /* nested $VAR / [..] expansion */
};

struct ips_rule {
	enum ips_action action;
	enum ips_proto proto;
	uint8_t ip_version;   /* ipv4/ip4: 4, ipv6/ip6: 6, else 0 */
	uint8_t icmp_version; /* icmpv4: 4, icmpv6: 6, icmp: 0 (both) */
	enum ips_tcp_scope tcp_scope;
	enum ips_proto app; /* app layer the options need (HTTP, DNS, ...) or IPS_PROTO_IP */
	struct ips_addrset src, dst;
	struct ips_portset sp, dp;
	bool bidir; /* <> */

	uint32_t sid, gid, rev;
	int priority; /* -1: none given (use the classtype's) */
	char *msg;
	char *classtype;
	struct ips_reference *refs;
	size_t nrefs;
	struct ips_meta *meta;
	size_t nmeta;
	enum ips_target target;
	bool noalert;
	bool bypass; /* bypass: a match stops the inspection of the flow */

	struct ips_opt *opts;
	size_t nopts;
	char *vars[IPS_RULE_MAX_VARS]; /* byte_extract names */
	size_t nvars;
	/* Convenience views into opts (borrowed): NULL when absent. */
	const struct ips_flow *flow;
	const struct ips_threshold *threshold;
	const struct ips_content *fast_pattern; /* the explicit fast_pattern, if any */

	const char *file; /* borrowed from the ruleset */
	unsigned line;    /* first line of the rule */
};

/* Why rules were skipped, counted by reason text ("keyword xbits", "protocol smb"). */
enum { IPS_LOAD_MAX_REASONS = 128 };

struct ips_load_reason {
	char what[48];
	unsigned count;
};

struct ips_load_stats {
	unsigned lines; /* physical lines read */
	unsigned rules; /* rules seen (enabled, non-comment) */
	unsigned loaded;
	unsigned skipped;
	unsigned dup_sid; /* loaded over an earlier rule with the same gid:sid */
	struct ips_load_reason reasons[IPS_LOAD_MAX_REASONS];
	size_t nreasons; /* the last slot collects "other" when full */
};

/* Adds one to the counter of `what` in st. */
void ips_load_stats_count(struct ips_load_stats *st, const char *what);
/* Prints the summary and reasons, most frequent first. */
void ips_load_stats_print(const struct ips_load_stats *st, FILE *f);

/* Variables: address and port groups, with Suricata's defaults. */
struct ips_vars;

/* A new variable table holding Suricata's default suricata.yaml groups. */
int ips_vars_new(struct ips_vars **out);
void ips_vars_free(struct ips_vars *v);
/* Sets (or replaces) a group; name without '$'. The value is checked. */
int ips_vars_set_addr(struct ips_vars *v, const char *name, const char *value);
int ips_vars_set_port(struct ips_vars *v, const char *name, const char *value);
/* The text of a group, or NULL. */
const char *ips_vars_get_addr(const struct ips_vars *v, const char *name);
const char *ips_vars_get_port(const struct ips_vars *v, const char *name);
/*
 * Loads overrides from YAML: either Suricata's layout
 *   vars: { address-groups: {NAME: VALUE}, port-groups: {NAME: VALUE} }
 * or the same two maps at the top level. Errors are reported through
 * src/lib/conf.h; returns 0, BW_ERR_CONFIG or BW_ERR_NOMEM.
 */
int ips_vars_load_yaml(struct ips_vars *v, const char *path);

/*
 * Address and port grammar: "any", "1.2.3.4", "10.0.0.0/8",
 * "10.0.0.0/255.0.0.0", "1.2.3.4-1.2.3.9", IPv6 likewise, "$VAR", "!x",
 * "[a,b,[c,!d]]"; ports "80", "1024:", ":1023", "80:90", "!80", lists.
 * A group is the union of its positive items minus its negated ones (all
 * of the space when it has only negated items); an empty result is an
 * error, as in Suricata ("!any"). On error *err (if not NULL) points at a
 * static reason.
 */
int ips_addr_parse(struct ips_addrset *out, const char *s, const struct ips_vars *v,
                   const char **err);
int ips_port_parse(struct ips_portset *out, const char *s, const struct ips_vars *v,
                   const char **err);
void ips_addrset_clear(struct ips_addrset *a);
void ips_portset_clear(struct ips_portset *p);
/* Membership: addr is 4 or 16 bytes, network order. */
bool ips_addrset_has(const struct ips_addrset *a, const uint8_t *addr, size_t len);
bool ips_portset_has(const struct ips_portset *p, uint16_t port);

/* A ruleset: the loaded rules in file order. */
struct ips_ruleset {
	struct ips_rule **rules;
	size_t n;
	size_t cap;
	char **files; /* names rules borrow */
	size_t nfiles;
};

void ips_ruleset_free(struct ips_ruleset *rs);

/*
 * Parses one rule (text without its trailing newline; continuation lines
 * already joined). On success *out is a new rule the caller frees with
 * ips_rule_free(). On failure returns BW_ERR_INVAL or BW_ERR_UNSUPP and, if
 * reason is not NULL, writes a short reason such as "keyword xbits" or
 * "depth smaller than content length" (for the stats key, *key gets the
 * first part: "keyword xbits", "protocol smb", "syntax", "content", ...).
 */
int ips_rule_parse(const char *text, const struct ips_vars *vars, struct ips_rule **out,
                   char *reason, size_t reason_len, char *key, size_t key_len);
/*
 * The same for a rule of a file in directory dir (NULL: the current one),
 * against which files the rule names (filemd5 lists) are resolved.
 */
int ips_rule_parse_in(const char *text, const struct ips_vars *vars, const char *dir,
                      struct ips_rule **out, char *reason, size_t reason_len, char *key,
                      size_t key_len);
void ips_rule_free(struct ips_rule *r);

/*
 * What a rule inspects, which decides the inspections it can alert from:
 * header only (packet keywords), the payload (packets and the reassembled
 * stream), or an app-layer transaction (at least one app buffer or
 * transaction keyword: it never matches a packet or stream inspection).
 */
enum ips_rule_kind {
	IPS_RK_HEADER,
	IPS_RK_PAYLOAD,
	IPS_RK_APP,
};
enum ips_rule_kind ips_rule_kind(const struct ips_rule *r);
/* Whether an option of keyword kw inspects its buffer (content, pcre, byte_*, ...). */
bool ips_kw_in_buffer(enum ips_kw kw);

/*
 * Whether a pass or drop (reject) of r applies to the whole flow even when
 * it matched a packet, as Suricata 7 applies the action of an IP-only rule
 * (addresses and ports only, with at most flowbits set, threshold and
 * detection_filter), of a rule on an app-layer protocol without options and
 * of a transaction rule to the flow. Other rules act on the packet alone
 * unless they matched the reassembled stream or a transaction.
 */
bool ips_rule_flow_wide(const struct ips_rule *r);

/*
 * Whether r is what Suricata 7 calls an IP-only rule: no app-layer protocol,
 * addresses and ports without negation, and no option but metadata,
 * threshold, detection_filter and flowbits set. Suricata evaluates those
 * rules on the first packet of each direction of a flow only (its IP-only
 * engine), so they alert at most once per flow direction; the pipeline
 * does the same (ips_detect_input.iponly_done). Rules with negated
 * addresses ($EXTERNAL_NET) are evaluated on every packet.
 */
bool ips_rule_ip_only(const struct ips_rule *r);

/*
 * Loads a .rules file, or a gzip-compressed one (by content, not by name).
 * vars NULL means the defaults. *out is a new ruleset (NULL on error); st,
 * if not NULL, is zeroed and filled. Skipped rules are logged and counted,
 * never fatal; only an unreadable file or allocation failure returns an error.
 */
int ips_rules_load(const char *path, const struct ips_vars *vars, struct ips_ruleset **out,
                   struct ips_load_stats *st);
/* Same, appending to an existing ruleset. */
int ips_ruleset_load_file(struct ips_ruleset *rs, const char *path, const struct ips_vars *vars,
                          struct ips_load_stats *st);

/* Prints how a rule was understood, one line per option. */
void ips_rule_dump(const struct ips_rule *r, FILE *f);

/* classification.config: "config classification: name,description,priority". */
struct ips_classconf;
struct ips_class {
	char *name;
	char *desc;
	int priority;
};
int ips_classconf_load(const char *path, struct ips_classconf **out);
void ips_classconf_free(struct ips_classconf *c);
/* Borrowed; NULL when unknown. */
const struct ips_class *ips_classconf_find(const struct ips_classconf *c, const char *name);
size_t ips_classconf_count(const struct ips_classconf *c);
/* The rule's priority: its own, else its class's, else 3 (Suricata's default). */
int ips_rule_priority(const struct ips_rule *r, const struct ips_classconf *c);

#endif
