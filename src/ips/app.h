/* SPDX-License-Identifier: ISC */
/*
 * IPS application layer: port-independent protocol detection and the
 * HTTP/1.x (RFC 9112, through libhtp), DNS (RFC 1035, over UDP and over TCP
 * with the RFC 1035 4.2.2 length prefix), TLS handshake (RFC 5246, RFC
 * 8446; JA3/JA3S fingerprints), SSH (RFC 4253 banners, HASSH), FTP (RFC 959
 * with its data connections, ftp-data), SMTP (RFC 5321, MIME), SMB (MS-CIFS,
 * MS-SMB2 over the RFC 1002 session service) and connection-oriented DCE/RPC
 * (C706, over TCP and inside SMB named pipes) parsers, and MQTT, Kerberos 5,
 * Modbus, EtherNet/IP and IKE on their ports. They are pure stream
 * consumers: the owner (the flow/stream component) feeds each direction's
 * reassembled TCP bytes in order, or one UDP payload per call, and then reads
 * what the parsers produced (FTP also announces its data connections, struct
 * app_expect, for the owner to match). No flow table, no I/O, no clock reads.
 *
 * Model (after Suricata's app-layer transactions):
 *  - struct app_ctx: engine-wide, read-only after app_ctx_new(), shareable
 *    by every worker thread (limits plus libhtp's configuration);
 *  - struct app_flow: all app-layer state of one flow, owned by one thread,
 *    its memory capped by app_cfg.flow_memcap;
 *  - struct app_tx: one transaction (an HTTP request/response pair, one DNS
 *    message, the TLS handshake), holding the inspection buffers of enum
 *    ips_buf (rule.h) and the EVE fields of the output module.
 *
 * After each app_flow_feed() the detection engine walks the transactions
 * (app_flow_tx_first/app_tx_next), inspects those app_tx_updated() in the
 * direction just fed, and calls app_flow_tx_ack(), which clears the update
 * marks and frees transactions that are complete. Views returned by
 * app_tx_buf() and the app_*_info pointers are borrowed and stay valid until
 * the next app_flow_feed/eof/gap/tx_ack on the same flow.
 */
#ifndef BW_IPS_APP_H
#define BW_IPS_APP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ips/rule.h" /* enum ips_buf */

/* Application protocols; names as Suricata's EVE app_proto. */
enum app_proto {
	APP_PROTO_UNKNOWN, /* not decided yet */
	APP_PROTO_FAILED,  /* detection gave up: no parser runs */
	APP_PROTO_HTTP,
	APP_PROTO_TLS,
	APP_PROTO_DNS,
	APP_PROTO_SSH,
	APP_PROTO_SMB,
	APP_PROTO_FTP,
	APP_PROTO_SMTP,
	APP_PROTO_FTP_DATA, /* only through an FTP expectation (app_flow_new_ftp_data) */
	APP_PROTO_MQTT,
	APP_PROTO_KRB5,
	APP_PROTO_MODBUS,
	APP_PROTO_ENIP,
	APP_PROTO_IKE,
	APP_PROTO_DCERPC,
	APP_PROTO__COUNT,
};

/*
 * "http", "tls", "dns", "ssh", "smb", "ftp", "smtp", "ftp-data", "mqtt", "krb5",
 * "modbus", "enip", "ike", "dcerpc", "failed", "unknown".
 */
const char *app_proto_name(enum app_proto p);

enum app_dir {
	APP_DIR_TO_SERVER = 0,
	APP_DIR_TO_CLIENT = 1,
};

enum app_l4 {
	APP_L4_TCP,
	APP_L4_UDP,
};

/*
 * Detection from the first bytes of one direction (UDP: one datagram).
 * Returns 0 with *out set when recognised, BW_ERR_AGAIN when more bytes of
 * this direction could decide, BW_ERR_NOTFOUND when nothing matches.
 */
int app_detect(const uint8_t *p, size_t len, enum app_dir dir, enum app_l4 l4, enum app_proto *out);
/* The same, knowing the flow's server port (0: unknown); port 53 makes the
 * DNS check Suricata's, which accepts any opcode. */
int app_detect_port(const uint8_t *p, size_t len, enum app_dir dir, enum app_l4 l4,
                    uint16_t srv_port, enum app_proto *out);

enum {
	APP_DETECT_MAX = 512, /* bytes per direction buffered while undecided */
};

struct app_cfg {
	size_t body_limit; /* FTP/SMB/SMTP file bytes kept per tx, per direction */
	/*
	 * HTTP body bytes kept and inspected per tx, by direction (Suricata's
	 * request-body-limit and response-body-limit, 100 KiB each); 0: no limit.
	 */
	uint64_t http_body_limit[2];
	size_t flow_memcap;   /* app-layer bytes one flow may hold */
	size_t max_txs;       /* live transactions per flow */
	size_t tls_msg_limit; /* largest TLS handshake message reassembled */
	/* HTTP response Content-Encoding layers decoded (Suricata's
	 * response-body-decompress-layer-limit); 0 means the default 2. */
	unsigned http_decompress_layers;
	unsigned file_needs; /* enum app_file_need: what files compute (0: nothing) */
	bool frames;         /* keep the frames (IPS_BUF_FRAME_*) of the parsers that have them */
	/* MQTT: remaining length of the largest message parsed, longer ones are skipped
	 * (Suricata's app-layer.protocols.mqtt.max-msg-length); 0 means 1 MiB. */
	size_t mqtt_max_msg;
};

/* What the rules need of files; the rest is not computed (hashing costs). */
enum app_file_need {
	APP_FILE_NEED_MD5 = 1u << 0,
	APP_FILE_NEED_SHA1 = 1u << 1,
	APP_FILE_NEED_SHA256 = 1u << 2,
	APP_FILE_NEED_MAGIC = 1u << 3,
};

/* 1 MiB bodies, 4 MiB per flow, 256 transactions, 64 KiB handshake messages, 2 layers. */
void app_cfg_default(struct app_cfg *cfg);

struct app_ctx;
/* cfg NULL means the defaults; *out is new (free with app_ctx_free). */
int app_ctx_new(struct app_ctx **out, const struct app_cfg *cfg);
void app_ctx_free(struct app_ctx *ctx);

/* Anomalies, per flow (rule-visible events and counters for the owner). */
enum app_event {
	APP_EV_MEMCAP = 1u << 0,     /* flow memcap reached: parsing stopped */
	APP_EV_TX_LIMIT = 1u << 1,   /* too many live transactions */
	APP_EV_HTTP_ERROR = 1u << 2, /* libhtp reported a parse error */
	APP_EV_BODY_TRUNC = 1u << 3, /* a body passed body_limit */
	APP_EV_DNS_MALFORMED = 1u << 4,
	APP_EV_DNS_PTR_LOOP = 1u << 5, /* name compression loop or overlong name */
	APP_EV_TLS_MALFORMED = 1u << 6,
	APP_EV_TLS_OVERSIZE = 1u << 7, /* record or handshake message over the caps */
	APP_EV_GAP = 1u << 8,          /* stream gap: the direction stopped parsing */
	APP_EV_DETECT_FAILED = 1u << 9,
	APP_EV_SSH_MALFORMED = 1u << 10, /* bad banner or record header */
	APP_EV_FTP_MALFORMED = 1u << 11, /* overlong line, bad PORT/PASV */
	APP_EV_SMTP_MALFORMED = 1u << 12,
	APP_EV_EXPECT_DROPPED = 1u << 13, /* more FTP expectations than APP_EXPECT_QUEUE */
	APP_EV_SMB_MALFORMED = 1u << 14,
	APP_EV_SMB_LIMIT = 1u << 15, /* a message, file, tree or request table cap was hit */
	APP_EV_DCE_MALFORMED = 1u << 16,
	APP_EV_DCE_LIMIT = 1u << 17, /* a PDU or stub data cap was hit */
};

/*
 * Transaction events with Suricata's app-layer-event names (protocol
 * prefix included). The X-macro keeps enum and names in step.
 */
#define APP_TX_EVENTS(X)                                                                           \
	X(HTTP_REQ_CHUNK_EXT, "http.request_chunk_extension")                                      \
	X(HTTP_REQ_DUP_CL, "http.duplicate_content_length_field_in_request")                       \
	X(HTTP_RES_DUP_CL, "http.duplicate_content_length_field_in_response")                      \
	X(HTTP_REQ_AUTH_UNRECOGNIZED, "http.request_auth_unrecognized")                            \
	X(HTTP_REQ_BODY_UNEXPECTED, "http.request_body_unexpected")                                \
	X(HTTP_FAILED_PROTOCOL_CHANGE, "http.failed_protocol_change")                              \
	X(HTTP_REQ_INVALID_TE, "http.invalid_transfer_encoding_value_in_request")                  \
	X(DNS_MALFORMED_DATA, "dns.malformed_data")                                                \
	X(DNS_NOT_A_REQUEST, "dns.not_a_request")                                                  \
	X(DNS_NOT_A_RESPONSE, "dns.not_a_response")                                                \
	X(DNS_Z_FLAG_SET, "dns.z_flag_set")                                                        \
	X(DNS_INVALID_OPCODE, "dns.invalid_opcode")

enum app_tx_event {
#define APP_TXEV_ENUM(n, s) APP_TXEV_##n,
	APP_TX_EVENTS(APP_TXEV_ENUM)
#undef APP_TXEV_ENUM
	        APP_TXEV__COUNT
};

/* The event's name ("http.request_chunk_extension"), or "unknown". */
const char *app_tx_event_name(int ev);

struct app_flow;
/* A new flow state borrowing ctx (which must outlive it). */
int app_flow_new(struct app_flow **out, const struct app_ctx *ctx, enum app_l4 l4);
void app_flow_free(struct app_flow *f);

/*
 * Feeds bytes of one direction: TCP in stream order, UDP one datagram per
 * call. Detects the protocol first if needed. Returns 0 (also when the data
 * was ignored), BW_ERR_NOMEM; malformed input is an event, not an error.
 */
int app_flow_feed(struct app_flow *f, enum app_dir dir, const uint8_t *p, size_t len);
/* A hole in the stream of dir: that direction's parser stops (SMB and DCE/RPC resynchronise). */
void app_flow_gap(struct app_flow *f, enum app_dir dir);
/* The direction ended (FIN/RST or flow timeout): completes what it can. */
void app_flow_eof(struct app_flow *f, enum app_dir dir);

/*
 * The flow's client and server ports. Protocols Suricata detects only on
 * their registered ports (MQTT 1883, Kerberos 88, Modbus 502, EtherNet/IP
 * 44818, IKE 500/4500) are probed only when the server port is theirs; a
 * flow whose ports were never set never detects them.
 */
void app_flow_set_ports(struct app_flow *f, uint16_t cli_port, uint16_t srv_port);

enum app_proto app_flow_proto(const struct app_flow *f);
/* The session is encrypted: payload and stream inspection stop (app_int.h). */
bool app_flow_no_payload(const struct app_flow *f);
uint32_t app_flow_events(const struct app_flow *f); /* enum app_event bits */
size_t app_flow_mem(const struct app_flow *f);      /* bytes held now */

/* Progress of a transaction. */
enum app_tx_flag {
	APP_TX_REQ_HDRS = 1u << 0, /* request line and headers parsed (DNS: query) */
	APP_TX_REQ_DONE = 1u << 1,
	APP_TX_RES_HDRS = 1u << 2,
	APP_TX_RES_DONE = 1u << 3,
	APP_TX_COMPLETE = 1u << 4, /* nothing more will be added */
};

struct app_tx;
struct app_tx *app_flow_tx_first(const struct app_flow *f);
struct app_tx *app_tx_next(const struct app_tx *tx);
uint64_t app_tx_id(const struct app_tx *tx); /* per flow, from 0, in order */
enum app_proto app_tx_proto(const struct app_tx *tx);
uint32_t app_tx_flags(const struct app_tx *tx);      /* enum app_tx_flag */
uint32_t app_tx_event_bits(const struct app_tx *tx); /* 1u << enum app_tx_event */
/* DNS: the header's opcode (RFC 1035 4.1.1), or -1 for other protocols. */
int app_tx_dns_opcode(const struct app_tx *tx);
/* True when buffers of dir changed since the last app_flow_tx_ack(). */
bool app_tx_updated(const struct app_tx *tx, enum app_dir dir);
/*
 * Calls fn for each instance k < max of every buffer of tx in dir (what
 * app_tx_buf gives, without asking for each of the absent ones).
 */
void app_tx_buf_each(const struct app_tx *tx, enum app_dir dir, size_t max,
                     void (*fn)(void *arg, enum ips_buf b, size_t k, const uint8_t *p, size_t len),
                     void *arg);
/*
 * The body in dir is held back from inspection (Suricata's minimal inspect
 * size, app_flow.c app_tx_body): its buffers must not be inspected yet.
 */
bool app_tx_body_held(const struct app_tx *tx, enum app_dir dir);
/* Clears the update marks; frees complete transactions. */
void app_flow_tx_ack(struct app_flow *f);
/*
 * Clears the update marks of dir only, after the transactions of dir were
 * inspected; frees complete transactions that no direction still has to
 * inspect. A parser may mark the other direction than the one fed (an SMB
 * tree connect response completes what rules inspect to the server), and
 * that mark then waits for the other direction's inspection.
 */
void app_flow_tx_ack_dir(struct app_flow *f, enum app_dir dir);

/*
 * The idx-th instance of buffer b as seen in direction dir (most buffers
 * have one; tls.certs has one per certificate, dns.query one per question).
 * Buffers exist in the direction Suricata inspects them: http.uri,
 * http.method, ..., dns.query, tls.sni, ja3.* to the server; http.stat_code,
 * http.server, ..., tls.cert_*, tls.certs, ja3s.hash to the client;
 * http.header, http.header_names, http.raw_header, http.start,
 * http.protocol, http.cookie, http.content_type, http.content_len,
 * http.connection and file.data in both (each side's own); ssh.proto and
 * ssh.software in both (that side's banner), ssh.hassh[.string] to the
 * server, ssh.hassh.server[.string] to the client; ftp.command[_data] to
 * the server; ftpdata_command "retr" to the client or "stor" to the
 * server; file.data of ftp-data in the direction the file goes and of
 * SMTP (one instance per attachment) to the server; smb.share and
 * smb.named_pipe to the server (set once the tree connect response says
 * which it is), SMB file contents as file.data in the direction they travel
 * (writes to the server, reads to the client), dcerpc.stub_data in both
 * (over TCP and over SMB pipes). Returns 0 with a
 * borrowed view, or BW_ERR_NOTFOUND. IPS_BUF_PAYLOAD is not an app buffer.
 */
int app_tx_buf(const struct app_tx *tx, enum app_dir dir, enum ips_buf b, size_t idx,
               const uint8_t **p, size_t *len);
/*
 * A number that changes whenever a buffer instance of tx in dir is added or
 * cleared, and not when one grows at its end: while it stays the same, every
 * buffer of that direction only grew (so prefilter progress carries over).
 */
uint32_t app_tx_buf_gen(const struct app_tx *tx, enum app_dir dir);

/* ---- EVE fields (strings are NUL-terminated, NULL when absent) ---- */

struct app_http_info {
	const char *hostname;
	const char *url;
	const char *http_user_agent;
	const char *http_content_type;
	const char *http_refer;
	const char *http_method;
	const char *protocol;
	const char *redirect; /* Location */
	int status;           /* 0 until the response line */
	uint64_t length;      /* response body bytes seen (after decoding) */
};

struct app_dns_answer {
	const char *rrname;
	const char *rrtype; /* "A", "AAAA", "CNAME", ... or the number */
	uint32_t ttl;
	const char *rdata; /* rendered for A/AAAA/CNAME/PTR/MX/TXT/NS, else NULL */
};

struct app_dns_info {
	bool answer; /* type "answer" (QR=1), else "query" */
	uint16_t id;
	const char *rrname; /* first question, dotted, no trailing dot */
	const char *rrtype;
	const char *rcode; /* "NOERROR", ... (answers) */
	uint16_t flags;    /* the header flags word */
	const struct app_dns_answer *answers;
	size_t nanswers;
};

struct app_tls_info {
	const char *sni;
	const char *version;     /* "TLS 1.2", "TLS 1.3", "SSLv3", "UNDETERMINED" */
	uint16_t dir_version[2]; /* by enum app_dir: version of the side's last record/hello */
	const char *subject;     /* leaf certificate, "C=US, O=..., CN=..." */
	const char *issuerdn;
	const char *serial; /* "01:AB:..." */
	const char *ja3_hash;
	const char *ja3_string;
	const char *ja3s_hash;
	const char *ja3s_string;
};

/* One side of an SSH connection: banner (RFC 4253 4.2) and KEXINIT (7.1). */
struct app_ssh_side {
	const char *proto_version;    /* "2.0" */
	const char *software_version; /* "OpenSSH_7.4" (up to the first blank) */
	const char *hassh;            /* MD5 of hassh_string, lowercase hex */
	const char *hassh_string;     /* "kex;enc;mac;comp" of this side's direction */
};

struct app_ssh_info {
	struct app_ssh_side client, server;
};

/* One FTP command and its replies (RFC 959 4). */
struct app_ftp_info {
	const char *command;      /* "USER", as sent (upper-cased) */
	const char *command_data; /* the argument, NULL when none */
	const char *reply;        /* last reply line's text */
	const char *completion_code;
	uint16_t dynamic_port; /* PORT/EPRT/PASV/EPSV */
	const char *mode;      /* "active" / "passive" with dynamic_port */
};

/* The transfer an ftp-data flow carries. */
struct app_ftp_data_info {
	const char *command; /* "RETR" or "STOR" */
	const char *filename;
};

/* One SMTP mail transaction (RFC 5321 3.3) and its message (RFC 5322, MIME). */
struct app_smtp_info {
	const char *helo;
	const char *mail_from;
	const char *const *rcpt_to; /* nrcpt entries */
	size_t nrcpt;
	const char *from; /* the message's From: header */
	const char *subject;
	const char *const *attachments; /* file names of MIME parts with one */
	size_t nattach;
};
/* Selectors of struct ips_app_match.what (rule_kw_app.c, rule_kw_event.c). */
enum app_match {
	APP_M_EVENT,                 /* str: Suricata event name "proto.event" on the tx */
	APP_M_MQTT_TYPE,             /* num: message type of any message in the tx */
	APP_M_MQTT_FLAGS,            /* arg[0]: bits set, arg[1]: bits clear (dup 8, retain 1) */
	APP_M_MQTT_QOS,              /* num */
	APP_M_MQTT_PROTOCOL_VERSION, /* num */
	APP_M_MQTT_REASON_CODE,      /* num */
	APP_M_MQTT_CONNACK_SESSION_PRESENT, /* arg[0]: 0/1 */
	APP_M_MQTT_CONNECT_FLAGS,           /* arg[0]: bits set, arg[1]: bits clear */
	APP_M_KRB5_MSG_TYPE,                /* num */
	APP_M_KRB5_ERR_CODE,                /* num */
	APP_M_KRB5_TICKET_ENC,              /* arg[0] 1: weak; else arg[1..narg): etype list */
	APP_M_MODBUS,                       /* arg[]: see app_modbus.c */
	APP_M_ENIP_COMMAND,                 /* num */
	APP_M_CIP_SERVICE,   /* arg[0] service, [1] class+1 (0 any), [2] attribute+1, [3] !attr */
	APP_M_IKE_EXCH_TYPE, /* num */
	APP_M_IKE_KEY_EXCHANGE_LEN, /* num: IKEv1 key exchange data length */
	APP_M_IKE_NONCE_LEN,        /* num: IKEv1 nonce data length */
	APP_M_IKE_CHOSEN_SA,        /* str: attribute name, num: value */
	APP_M_TLS_VERSION,          /* arg[0]: version, arg[1] 1: raw (no draft folding) */
};

/* Parses the value of the modbus keyword into m (0 or BW_ERR_INVAL). */
int app_modbus_parse_kw(const char *val, struct ips_app_match *m);

/*
 * Evaluates a transaction-level rule option (rule.h) on tx as inspected in
 * direction dir. False when the option is of another protocol.
 */
bool app_tx_match(const struct app_tx *tx, enum app_dir dir, const struct ips_app_match *m);
/*
 * The (last) file a transaction carries in direction dir (an HTTP body;
 * later SMTP attachments, FTP data), or NULL. Its name, magic and digests are also
 * the buffers file.name, file.magic and file.md5/sha1/sha256 of dir.
 */
struct app_file_info {
	uint64_t size;  /* bytes seen so far */
	bool complete;  /* closed with every byte seen */
	bool truncated; /* closed early (gap, error, connection end inside it) */
};
const struct app_file_info *app_tx_file(const struct app_tx *tx, enum app_dir dir);
/* Every file of the transaction in dir, in order (multipart uploads carry several). */
size_t app_tx_nfiles(const struct app_tx *tx, enum app_dir dir);
const struct app_file_info *app_tx_file_at(const struct app_tx *tx, enum app_dir dir, size_t k);
/* Buffer b (file.name, file.magic, file.md5/sha1/sha256) of file k only. */
int app_tx_file_buf(const struct app_tx *tx, enum app_dir dir, size_t k, enum ips_buf b,
                    const uint8_t **p, size_t *len);

/* NULL unless the transaction is of that protocol. */
const struct app_http_info *app_tx_http(const struct app_tx *tx);
const struct app_dns_info *app_tx_dns(const struct app_tx *tx);
const struct app_tls_info *app_tx_tls(const struct app_tx *tx);
const struct app_ssh_info *app_tx_ssh(const struct app_tx *tx);
const struct app_ftp_info *app_tx_ftp(const struct app_tx *tx);
const struct app_ftp_data_info *app_tx_ftp_data(const struct app_tx *tx);
const struct app_smtp_info *app_tx_smtp(const struct app_tx *tx);

/* ---- FTP data connections (expected flows) ---- */

enum {
	APP_FTP_NAME_MAX = 255, /* file name bytes kept from RETR/STOR */
	APP_EXPECT_QUEUE = 4,   /* expectations a flow holds until the owner takes them */
};

/*
 * A data connection an FTP control flow announced (RFC 959 3.2: a PORT/EPRT
 * command or a PASV/EPSV reply gives the port, RETR/STOR the transfer). The
 * owner matches it to the next TCP flow between the same two hosts whose
 * destination port is `port`, and gives that flow app_flow_new_ftp_data().
 */
struct app_expect {
	uint16_t port;
	bool to_server; /* the file travels client -> server of the data flow */
	bool stor;      /* STOR (upload), else RETR (download) */
	char name[APP_FTP_NAME_MAX + 1];
};

/* Takes the oldest expectation the flow announced; false when none is left. */
bool app_flow_expect_take(struct app_flow *f, struct app_expect *out);
/* A new flow state that is the data connection described by e (ftp-data). */
int app_flow_new_ftp_data(struct app_flow **out, const struct app_ctx *ctx,
                          const struct app_expect *e);

/*
 * The DCE/RPC call of a transaction (DCE/RPC over TCP, or a DCE/RPC call
 * over an SMB pipe) for dcerpc.iface/dcerpc.opnum and byte_* dce: fills
 * *out (its interface list borrowed until the next feed) and returns true,
 * or returns false when the transaction carries no DCE/RPC call.
 */
bool app_tx_dce(const struct app_tx *tx, struct ips_dce_call *out);

#endif
