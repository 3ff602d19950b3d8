/* SPDX-License-Identifier: ISC */
/*
 * Internals shared by the app-layer files: the flow and transaction structs,
 * the buffer store every parser fills, and the parser callback table that
 * app_flow.c dispatches to. Memory a flow holds is accounted in
 * app_flow.mem and capped by app_cfg.flow_memcap.
 */
#ifndef BW_IPS_APP_INT_H
#define BW_IPS_APP_INT_H

#include "ips/app.h"

/* One buffer instance; instances of the same buffer are chained in order. */
struct app_bufent {
	uint8_t *p;
	size_t len;
	size_t cap;
	int next; /* index in app_tx.ents, -1 at the end */
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
	struct app_bufent *ents;
	size_t nents, capents;
	int first[2][IPS_BUF__COUNT], last[2][IPS_BUF__COUNT]; /* per enum app_dir */
	size_t mem;
	/* EVE strings live in ents of the buffers or in strs. */
	char **strs;
	size_t nstrs;
	union {
		struct app_http_info http;
		struct app_dns_info dns;
		struct app_tls_info tls;
	} u;
	struct app_dns_answer *answers; /* DNS only */
	struct app_dce_tx *dce;         /* DCE/RPC call, or NULL */
	void *priv;                     /* parser's per-tx data */
};

struct app_flow;

struct app_parser {
	enum app_proto proto;
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
};

struct app_flow {
	const struct app_ctx *ctx;
	enum app_l4 l4;
	enum app_proto proto;
	const struct app_parser *parser;
	void *state; /* the parser's */
	uint32_t events;
	bool dead[2]; /* direction stopped: gap, memcap, parse error */
	size_t mem;
	uint64_t next_id;
	struct app_tx *txs, *tail;
	size_t ntxs;
	/* Detection: what each direction sent while undecided. */
	uint8_t pend[2][APP_DETECT_MAX];
	size_t npend[2];
	unsigned udp_tries;
};

extern const struct app_parser app_parser_http;
extern const struct app_parser app_parser_dns;
extern const struct app_parser app_parser_tls;
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
 * counts, and (unless header_only) a first question that parses.
 */
bool app_dns_probe(const uint8_t *p, size_t len, bool response, bool header_only);

/* libhtp's configuration in ctx, built once and shared read-only. */
int app_http_ctx_init(struct app_ctx *ctx);
void app_http_ctx_fini(struct app_ctx *ctx);

/* Accounting: false (and APP_EV_MEMCAP) when n more bytes would pass the cap. */
bool app_mem_take(struct app_flow *f, size_t n);
void app_mem_give(struct app_flow *f, size_t n);

/* A new transaction at the tail; NULL on memcap, tx limit or allocation failure. */
struct app_tx *app_tx_new(struct app_flow *f, enum app_proto proto);
/* Appends an instance of buffer b of direction dir holding a copy of p. */
int app_tx_buf_add(struct app_flow *f, struct app_tx *tx, enum app_dir dir, enum ips_buf b,
                   const void *p, size_t len);
/*
 * Appends bytes to the last instance of b (creating it), at most limit in
 * total; BW_ERR_LIMIT when bytes were cut (what fits is kept).
 */
int app_tx_buf_append(struct app_flow *f, struct app_tx *tx, enum app_dir dir, enum ips_buf b,
                      const void *p, size_t len, size_t limit);
/* Forgets every instance of b (their memory stays with tx until it is freed). */
void app_tx_buf_clear(struct app_tx *tx, enum app_dir dir, enum ips_buf b);
/* A NUL-terminated copy owned by tx (for EVE fields); NULL on failure. */
const char *app_tx_strdup(struct app_flow *f, struct app_tx *tx, const void *p, size_t len);
/* The first instance of b as a string (buffers are stored NUL-terminated). */
const char *app_tx_buf_str(const struct app_tx *tx, enum app_dir dir, enum ips_buf b);
void app_tx_mark(struct app_tx *tx, enum app_dir dir);
/* Detection probe for DCE/RPC over TCP (app_detect.c): 0, BW_ERR_AGAIN or BW_ERR_NOTFOUND. */
int app_dce_probe(const uint8_t *p, size_t len);

/* Lowercase hex of n bytes into out (2n + 1). */
void app_hex(const uint8_t *p, size_t n, char *out);

#endif
