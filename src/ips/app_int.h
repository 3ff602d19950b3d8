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

#include "crypto/crypto_digest.h"
#include "ips/app.h"

/* One buffer instance; instances of the same buffer are chained in order. */
struct app_bufent {
	uint8_t *p;
	size_t len;
	size_t cap;
	int next; /* index in app_tx.ents, -1 at the end */
};

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
	struct app_dns_answer *answers;          /* DNS only */
	void *priv;                              /* parser's per-tx data */
	struct app_file *files[2][APP_TX_FILES]; /* per enum app_dir, in order */
	size_t nfiles[2];
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
	/* libmagic (magic_t), with file_needs & APP_FILE_NEED_MAGIC; not thread-safe: the mutex. */
	void *magic;
	pthread_mutex_t magic_lock;
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

/* Lowercase hex of n bytes into out (2n + 1). */
void app_hex(const uint8_t *p, size_t n, char *out);

#endif
