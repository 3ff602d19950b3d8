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
		struct app_ssh_info ssh;
		struct app_ftp_info ftp;
		struct app_ftp_data_info ftp_data;
		struct app_smtp_info smtp;
	} u;
	struct app_dns_answer *answers; /* DNS only */
	void *priv;                     /* parser's per-tx data: one block, freed with tx */
};

struct app_flow;

struct app_parser {
	enum app_proto proto;
	int (*init)(struct app_flow *f);
	int (*feed)(struct app_flow *f, enum app_dir dir, const uint8_t *p, size_t len);
	void (*eof)(struct app_flow *f, enum app_dir dir);
	void (*fini)(struct app_flow *f);
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

/* Lowercase hex of n bytes into out (2n + 1). */
void app_hex(const uint8_t *p, size_t n, char *out);

#endif
