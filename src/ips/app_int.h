/* SPDX-License-Identifier: ISC */
/*
 * Internals shared by the app-layer files: the flow and transaction structs,
 * the buffer store every parser fills, and the parser callback table that
 * app_flow.c dispatches to. Memory a flow holds is accounted in
 * app_flow.mem and capped by app_cfg.flow_memcap.
 */
#ifndef BW_IPS_APP_INT_H
#define BW_IPS_APP_INT_H

#include <pthread.h>
#include <string.h>

#include "crypto/crypto_digest.h"
#include "ips/app.h"

/* One buffer instance; instances of the same buffer are chained in order. */
struct app_bufent {
	uint8_t *p;
	size_t len;
	size_t cap;
	int next; /* index in app_tx.ents, -1 at the end */
};

/* Suricata app-layer events a transaction can carry at most. */
enum { APP_TX_MAX_EVENTS = 8 };
/*
 * A file in transit, generic over protocols: a parser that sees a file
 * (HTTP body, SMTP attachment, FTP data connection) calls app_file_open()
 * with the name the protocol gives, app_file_data() with the bytes in
 * order (all of them: digests and size need every byte, whatever the body
 * limit keeps for file.data), and app_file_close(). The file publishes:
 *  - file.name at open (when a name is known),
 *  - file.magic once APP_FILE_MAGIC_MIN bytes (or the whole file) are seen,
 *    when the flow's app_cfg.file_needs has APP_FILE_NEED_MAGIC,
 *  - file.md5/sha1/sha256 (raw digests) at a complete close, those needed.
 * A transaction holds up to APP_TX_FILES files per direction (a multipart
 * upload carries several); data and close go to the last one opened. The
 * file.* buffers of a transaction have one instance per file that has the
 * field; app_tx_file_buf() reads one file's own. The content itself
 * (file.data) stays the parser's to store, capped by app_cfg.body_limit
 * (app_tx_buf_append on IPS_BUF_FILE_DATA), as app_http.c does; the
 * pipeline gives rules the file's size and state (filesize) from
 * app_tx_file()/app_tx_file_at(), and runs file rules once per file.
 * Memory (struct, name, magic) is taken from the flow's memcap.
 */
enum {
	APP_FILE_MAGIC_MIN = 512, /* bytes before libmagic is asked (as Suricata) */
	APP_FILE_HEAD = 4096,     /* bytes kept for libmagic */
	APP_FILE_NDIGEST = 3,     /* md5, sha1, sha256 */
	APP_TX_FILES = 16,        /* files per transaction and direction */
	APP_FILE_NAME_MAX = 1024, /* bytes of a name kept */
};

struct app_file {
	struct app_file_info info;
	bool open, magic_done;
	const void *src; /* the parser's identity of the file (libhtp's htp_file_t) */
	uint8_t *name;
	size_t name_len;
	char *magic;
	uint8_t digest[APP_FILE_NDIGEST][CRYPTO_DIGEST_MAX];
	bool has_digest[APP_FILE_NDIGEST];
	uint8_t head[APP_FILE_HEAD];
	size_t nhead;
	struct crypto_digest *dg[APP_FILE_NDIGEST];
};

/*
 * A DCE/RPC binding (C706 12.6.4.3/12.6.4.4): the presentation contexts of
 * the latest bind or alter_context, and those its ack accepted. One per TCP
 * flow, one per SMB pipe; owned by the parser state.
 */
enum { APP_DCE_MAX_CTX = 64 };
struct app_dce_bind {
	struct ips_dce_iface_ent ctx[APP_DCE_MAX_CTX]; /* as offered, in order */
	size_t nctx;
	struct ips_dce_iface_ent acc[APP_DCE_MAX_CTX]; /* accepted */
	size_t nacc;
	uint8_t last_type; /* type of the latest PDU on the binding */
	bool seen;         /* a PDU was parsed */
};

/* The DCE/RPC call a transaction carries (tx->dce, owned by the tx). */
struct app_dce_tx {
	const struct app_dce_bind *bind; /* borrowed from the parser state */
	uint32_t call_id;
	uint8_t req_type; /* request (0) */
	bool request_seen, little;
	uint16_t ctxid, opnum;
	bool req_done, resp_done; /* last fragment seen */
	bool resp_seen;
};

struct app_tx {
	struct app_tx *next;
	uint64_t id;
	enum app_proto proto;
	uint32_t flags;  /* enum app_tx_flag */
	uint8_t updated; /* bit per enum app_dir */
	uint32_t
	        bufgen[2]; /* per enum app_dir: bumped when a buffer instance is added or cleared */
	uint32_t evbits;   /* 1u << enum app_tx_event */
	struct app_bufent *ents;
	size_t nents, capents;
	int first[2][IPS_BUF__COUNT], last[2][IPS_BUF__COUNT]; /* per enum app_dir */
	/* Per enum app_dir, bit b: first[d][b] >= 0 (so walks skip the absent buffers). */
	uint64_t has[2][IPS_BUF_WORDS];
	size_t mem;
	/* EVE strings live in ents of the buffers or in strs. */
	char **strs;
	size_t nstrs;
	union {
		struct app_http_info http;
		struct app_dns_info dns;
		struct app_tls_info tls;
		struct app_ssh_info ssh;
		struct app_ftp_info ftp;
		struct app_ftp_data_info ftp_data;
		struct app_smtp_info smtp;
	} u;
	struct app_dns_answer *answers; /* DNS only */
	struct app_dce_tx *dce;         /* DCE/RPC call, or NULL */
	const char *tree_name; /* SMB tree connect: its path until the response (in strs) */
	void *priv;            /* parser's per-tx data: one flat block, free()d with the tx */
	const char *events[APP_TX_MAX_EVENTS]; /* static Suricata names, see app_tx_events() */
	uint8_t nevents;
	struct app_file *files[2][APP_TX_FILES]; /* per enum app_dir, in order */
	size_t nfiles[2];
	/* Body bytes seen per direction, and whether some wait for inspection (app_tx_body). */
	uint64_t body_seen[2];
	bool body_held[2];
};

/*
 * n more body bytes of tx in dir are in its buffers: marks the tx for
 * inspection, or holds them back while the body is shorter than
 * Suricata's minimal inspect size and not complete (app_flow.c).
 */
void app_tx_body(struct app_tx *tx, enum app_dir dir, size_t n);

/*
 * Moves up to want - *have bytes of the input (*p, *left) to buf + *have,
 * advancing both: how a parser collects a header or a message that
 * segments split. True once buf holds want bytes.
 */
static inline bool app_fill(uint8_t *buf, size_t *have, size_t want, const uint8_t **p,
                            size_t *left)
{
	size_t n = want - *have < *left ? want - *have : *left;
	memcpy(buf + *have, *p, n);
	*have += n;
	*p += n;
	*left -= n;
	return *have == want;
}

struct app_flow;

struct app_parser {
	enum app_proto proto;
	/*
	 * Suricata parsers that take no gaps: data after a gap in either
	 * direction, or a parse error (app_flow_stop), ends parsing of both
	 * directions.
	 */
	bool no_gaps;
	int (*init)(struct app_flow *f);
	int (*feed)(struct app_flow *f, enum app_dir dir, const uint8_t *p, size_t len);
	void (*eof)(struct app_flow *f, enum app_dir dir);
	void (*fini)(struct app_flow *f);
	/* Optional: a hole in dir that the parser can resynchronise after (else dir stops). */
	void (*gap)(struct app_flow *f, enum app_dir dir);
};

struct app_ctx {
	struct app_cfg cfg;
	void *htp_cfg; /* htp_cfg_t *, owned */
	/* libmagic (magic_t), with file_needs & APP_FILE_NEED_MAGIC; not thread-safe: the mutex. */
	void *magic;
	pthread_mutex_t magic_lock;
};

struct app_flow {
	const struct app_ctx *ctx;
	uint16_t cli_port, srv_port; /* 0: unknown */
	enum app_l4 l4;
	enum app_proto proto;
	const struct app_parser *parser;
	void *state; /* the parser's */
	uint32_t events;
	bool dead[2]; /* direction stopped: gap, memcap, parse error */
	/*
	 * The session is encrypted from here on (TLS application data, SSH
	 * after both NEWKEYS): its payload and stream are no longer inspected,
	 * as Suricata's default encryption handling (APP_LAYER_PARSER_NO_
	 * INSPECTION_PAYLOAD) does; app-layer keywords still are.
	 */
	bool no_payload;
	bool gapped[2]; /* a gap was seen in the direction */
	size_t mem;
	uint64_t next_id;
	struct app_tx *txs, *tail;
	size_t ntxs;
	/* Detection: what each direction sent while undecided. */
	uint8_t pend[2][APP_DETECT_MAX];
	size_t npend[2];
	unsigned udp_tries;
	/* FTP: data connections announced, for the owner to take. */
	struct app_expect expect[APP_EXPECT_QUEUE];
	size_t nexpect;
};

extern const struct app_parser app_parser_http;
extern const struct app_parser app_parser_dns;
extern const struct app_parser app_parser_tls;
extern const struct app_parser app_parser_ssh;
extern const struct app_parser app_parser_ftp;
extern const struct app_parser app_parser_ftp_data;
extern const struct app_parser app_parser_smtp;

/* Queues an expectation for the owner (APP_EV_EXPECT_DROPPED when full). */
void app_expect_post(struct app_flow *f, const struct app_expect *e);
/* ftp-data: makes f the data connection of transfer e (its parser state and tx). */
int app_ftp_data_start(struct app_flow *f, const struct app_expect *e);
extern const struct app_parser app_parser_mqtt;
extern const struct app_parser app_parser_krb5;
extern const struct app_parser app_parser_modbus;
extern const struct app_parser app_parser_enip;
extern const struct app_parser app_parser_ike;

/*
 * Probing of the port-registered protocols, as Suricata's probing parsers:
 * 0 with *out set, BW_ERR_AGAIN (need more bytes) or BW_ERR_NOTFOUND.
 * app_flow.c calls them only on the protocol's server ports.
 */
int app_mqtt_probe(const uint8_t *p, size_t len);
int app_krb5_probe(const uint8_t *p, size_t len, enum app_l4 l4);
int app_modbus_probe(const uint8_t *p, size_t len);
int app_enip_probe(const uint8_t *p, size_t len);
int app_ike_probe(const uint8_t *p, size_t len);

/* Per-protocol halves of app_tx_match() (false when the selector is not theirs). */
bool app_mqtt_match(const struct app_tx *tx, enum app_dir dir, const struct ips_app_match *m);
bool app_krb5_match(const struct app_tx *tx, enum app_dir dir, const struct ips_app_match *m);
bool app_modbus_match(const struct app_tx *tx, enum app_dir dir, const struct ips_app_match *m);
bool app_enip_match(const struct app_tx *tx, enum app_dir dir, const struct ips_app_match *m);
bool app_ike_match(const struct app_tx *tx, enum app_dir dir, const struct ips_app_match *m);
/* tls.version on the TLS transaction. */
bool app_tls_match(const struct app_tx *tx, enum app_dir dir, const struct ips_app_match *m);

/*
 * App-layer events of a transaction, by Suricata's rule name
 * ("mqtt.invalid_qos_level", "krb5.weak_encryption", "ike.weak_crypto_dh"):
 * app_tx_event() records one (a static string; duplicates and events past
 * APP_TX_MAX_EVENTS are dropped); app_tx_events() returns how many tx has
 * and points *names at them (in the order raised). This is what the
 * app-layer-event keyword matches.
 */
void app_tx_event(struct app_tx *tx, const char *name);
size_t app_tx_events(const struct app_tx *tx, const char *const **names);
extern const struct app_parser app_parser_smb;
extern const struct app_parser app_parser_dcerpc;

/* ---- DCE/RPC PDUs (app_dcerpc.c), shared with SMB named pipes ---- */

enum {
	APP_DCE_HDR = 16,            /* common header of connection-oriented PDUs */
	APP_DCE_STUB_MAX = 1u << 20, /* stub bytes kept per call and direction */
};

/* Fragment length of a PDU header at p (len >= APP_DCE_HDR), 0 if not a DCE/RPC v5 header. */
size_t app_dce_frag_len(const uint8_t *p, size_t len);
/*
 * Parses one complete PDU of direction dir on binding b: binds and acks
 * update b, requests and responses find (by call id) or create their
 * transaction of protocol proto and add stub data. Malformed PDUs set
 * APP_EV_DCE_MALFORMED and are ignored. Returns 0 or BW_ERR_NOMEM.
 */
int app_dce_pdu(struct app_flow *f, struct app_dce_bind *b, enum app_proto proto, enum app_dir dir,
                const uint8_t *p, size_t len);

/* PDUs reassembled from a byte stream (one direction of TCP or of an SMB pipe). */
struct app_dce_stream {
	uint8_t *buf;
	size_t len, cap;
	size_t need; /* frag_length of the PDU being collected, 0 before its header */
	bool broken; /* lost PDU boundaries: ignores the rest */
	bool resync; /* after a gap: looking for the next plausible PDU header */
};
/* Feeds bytes in order; complete PDUs go to app_dce_pdu(). Returns 0 or BW_ERR_NOMEM. */
int app_dce_stream_feed(struct app_flow *f, struct app_dce_stream *st, struct app_dce_bind *b,
                        enum app_proto proto, enum app_dir dir, const uint8_t *p, size_t len);
void app_dce_stream_free(struct app_flow *f, struct app_dce_stream *st);
/* A hole in the stream: the PDU being read is dropped and the next header searched for. */
void app_dce_stream_gap(struct app_dce_stream *st);

/*
 * DNS plausibility for detection: a header whose QR bit is `response`, sane
 * counts, and (unless header_only) a first question that parses. port53
 * (the flow's server port is 53) relaxes opcode and counts to Suricata's
 * check.
 */
bool app_dns_probe(const uint8_t *p, size_t len, bool response, bool header_only, bool port53);

/* libhtp's configuration in ctx, built once and shared read-only. */
int app_http_ctx_init(struct app_ctx *ctx);
void app_http_ctx_fini(struct app_ctx *ctx);

/* A parse error as Suricata handles it for TCP: both directions stop. */
void app_flow_stop(struct app_flow *f);

/* Accounting: false (and APP_EV_MEMCAP) when n more bytes would pass the cap. */
bool app_mem_take(struct app_flow *f, size_t n);
void app_mem_give(struct app_flow *f, size_t n);

/* A new transaction at the tail; NULL on memcap, tx limit or allocation failure. */
struct app_tx *app_tx_new(struct app_flow *f, enum app_proto proto);
/* Appends an instance of buffer b of direction dir holding a copy of p. */
int app_tx_buf_add(struct app_flow *f, struct app_tx *tx, enum app_dir dir, enum ips_buf b,
                   const void *p, size_t len);
/*
 * Makes room for n bytes in the last instance of b (creating it), so that a
 * body whose length is announced is copied once rather than grown by
 * doubling; counted against the flow's memory cap like the bytes, and
 * BW_ERR_LIMIT when n alone passes it.
 */
int app_tx_buf_reserve(struct app_flow *f, struct app_tx *tx, enum app_dir dir, enum ips_buf b,
                       uint64_t n);
/*
 * Appends bytes to the last instance of b (creating it), at most limit in
 * total; BW_ERR_LIMIT when bytes were cut (what fits is kept).
 */
int app_tx_buf_append(struct app_flow *f, struct app_tx *tx, enum app_dir dir, enum ips_buf b,
                      const void *p, size_t len, size_t limit);
/* One piece of an app_tx_buf_appendv(). */
struct app_piece {
	const void *p;
	size_t len;
};
/*
 * The same for the n pieces of v in order, grown once: a header block's
 * lines are dozens of small pieces.
 */
int app_tx_buf_appendv(struct app_flow *f, struct app_tx *tx, enum app_dir dir, enum ips_buf b,
                       const struct app_piece *v, size_t n, size_t limit);
/* Forgets every instance of b (their memory stays with tx until it is freed). */
void app_tx_buf_clear(struct app_tx *tx, enum app_dir dir, enum ips_buf b);
/* A NUL-terminated copy owned by tx (for EVE fields); NULL on failure. */
const char *app_tx_strdup(struct app_flow *f, struct app_tx *tx, const void *p, size_t len);
/* The first instance of b as a string (buffers are stored NUL-terminated). */
const char *app_tx_buf_str(const struct app_tx *tx, enum app_dir dir, enum ips_buf b);
void app_tx_mark(struct app_tx *tx, enum app_dir dir);
/* Raises a transaction event (and marks tx updated in dir, so it is inspected). */
void app_tx_raise(struct app_tx *tx, enum app_dir dir, enum app_tx_event ev);

/*
 * Line reader for the text protocols (FTP, SMTP): lines end at LF, a CR
 * before it is dropped. A line longer than max is cut to max bytes (the
 * rest up to its LF is skipped) and `cut` says so until the next line.
 */
struct app_line {
	uint8_t *buf; /* max bytes once needed, accounted to the flow */
	size_t n, max;
	bool skipping; /* in the tail of an overlong line */
	bool cut;      /* the line returned last was cut */
};
/*
 * Consumes bytes of *p (advancing it): 1 with *line and *llen set when a line
 * is complete (borrowed until the next call), 0 when all was consumed
 * without completing one, BW_ERR_LIMIT when the flow memcap refused the
 * line buffer.
 */
int app_line_next(struct app_flow *f, struct app_line *l, const uint8_t **p, size_t *len,
                  const uint8_t **line, size_t *llen);
void app_line_free(struct app_flow *f, struct app_line *l);

/*
 * A per-direction reassembly buffer for record-framed protocols over TCP,
 * its memory accounted to the flow. append fails with BW_ERR_LIMIT when the
 * buffer would pass max bytes or the flow memcap (nothing is appended).
 */
struct app_rbuf {
	uint8_t *p;
	size_t len, cap;
};
int app_rbuf_append(struct app_flow *f, struct app_rbuf *b, const uint8_t *p, size_t n, size_t max);
void app_rbuf_consume(struct app_rbuf *b, size_t n); /* drops the first n bytes */
void app_rbuf_free(struct app_flow *f, struct app_rbuf *b);
/*
 * A parser's state: app_state_new() makes f->state a zeroed block of size
 * bytes taken from the flow's memcap (0, BW_ERR_LIMIT or BW_ERR_NOMEM);
 * app_state_free() gives it back and frees it (f->state may be NULL).
 * app_rbuf_state_free() first frees the two per-direction reassembly
 * buffers the state holds at byte offset rbufs (offsetof a struct
 * app_rbuf[2] member), for the record-framed parsers.
 */
int app_state_new(struct app_flow *f, size_t size);
void app_state_free(struct app_flow *f, size_t size);
void app_rbuf_state_free(struct app_flow *f, size_t size, size_t rbufs);

/* Files (app_file.c): see struct app_file. name may be NULL. */
int app_file_open(struct app_flow *f, struct app_tx *tx, enum app_dir d, const void *name,
                  size_t name_len);
/* The last file of tx in d (NULL: none). */
struct app_file *app_file_last(const struct app_tx *tx, enum app_dir d);
/* app_tx_buf() of the file.* buffers: instance idx over the files that have b. */
int app_file_buf(const struct app_tx *tx, enum app_dir d, enum ips_buf b, size_t idx,
                 const uint8_t **p, size_t *len);
void app_file_data(struct app_flow *f, struct app_tx *tx, enum app_dir d, const void *p,
                   size_t len);
/* complete: every byte was seen (else the file is truncated: no digests). */
void app_file_close(struct app_flow *f, struct app_tx *tx, enum app_dir d, bool complete);
/* Frees the files of tx (the flow frees its transactions). */
void app_file_free(struct app_flow *f, struct app_tx *tx);
/* libmagic for ctx when cfg.file_needs asks for it; app_file_ctx_fini undoes it. */
int app_file_ctx_init(struct app_ctx *ctx);
void app_file_ctx_fini(struct app_ctx *ctx);
/* Detection probe for DCE/RPC over TCP (app_detect.c): 0, BW_ERR_AGAIN or BW_ERR_NOTFOUND. */
int app_dce_probe(const uint8_t *p, size_t len);

/* Lowercase hex of n bytes into out (2n + 1). */
void app_hex(const uint8_t *p, size_t n, char *out);

#endif
