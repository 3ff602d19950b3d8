/* SPDX-License-Identifier: ISC */
/*
 * App-layer flow state: protocol detection on the first bytes of each
 * direction (bytes are held, at most APP_DETECT_MAX per direction, until a
 * direction decides, then replayed into the chosen parser, to-server side
 * first), dispatch to the parser, the transaction list with its buffer
 * store, and the per-flow memory accounting behind app_cfg.flow_memcap.
 */
#include <stdlib.h>
#include <string.h>

#include "ips/app_int.h"
#include "lib/err.h"

enum {
	UDP_DETECT_TRIES = 4, /* datagrams tried before a UDP flow is "failed" */
};

static const char *const proto_names[APP_PROTO__COUNT] = {
        [APP_PROTO_UNKNOWN] = "unknown", [APP_PROTO_FAILED] = "failed", [APP_PROTO_HTTP] = "http",
        [APP_PROTO_TLS] = "tls",         [APP_PROTO_DNS] = "dns",       [APP_PROTO_SSH] = "ssh",
        [APP_PROTO_SMB] = "smb",         [APP_PROTO_FTP] = "ftp",       [APP_PROTO_SMTP] = "smtp",
        [APP_PROTO_DCERPC] = "dcerpc",
};

const char *app_proto_name(enum app_proto p)
{
	if ((unsigned)p >= APP_PROTO__COUNT)
		return "unknown";
	return proto_names[p];
}

void app_cfg_default(struct app_cfg *cfg)
{
	cfg->body_limit = 1u << 20;
	cfg->flow_memcap = 4u << 20;
	cfg->max_txs = 256;
	cfg->tls_msg_limit = 64u << 10;
}

bool app_mem_take(struct app_flow *f, size_t n)
{
	if (n > f->ctx->cfg.flow_memcap - f->mem) {
		f->events |= APP_EV_MEMCAP;
		return false;
	}
	f->mem += n;
	return true;
}

void app_mem_give(struct app_flow *f, size_t n)
{
	f->mem = n > f->mem ? 0 : f->mem - n;
}

int app_flow_new(struct app_flow **out, const struct app_ctx *ctx, enum app_l4 l4)
{
	struct app_flow *f;

	*out = NULL;
	if ((f = calloc(1, sizeof(*f))) == NULL)
		return BW_ERR_NOMEM;
	f->ctx = ctx;
	f->l4 = l4;
	f->proto = APP_PROTO_UNKNOWN;
	*out = f;
	return 0;
}

static void tx_free(struct app_flow *f, struct app_tx *tx)
{
	for (size_t i = 0; i < tx->nents; i++)
		free(tx->ents[i].p);
	for (size_t i = 0; i < tx->nstrs; i++)
		free(tx->strs[i]);
	free(tx->ents);
	free(tx->strs);
	free(tx->answers);
	free(tx->dce);
	app_mem_give(f, tx->mem);
	free(tx);
}

void app_flow_free(struct app_flow *f)
{
	struct app_tx *tx, *next;

	if (f == NULL)
		return;
	if (f->parser != NULL && f->parser->fini != NULL)
		f->parser->fini(f);
	for (tx = f->txs; tx != NULL; tx = next) {
		next = tx->next;
		tx_free(f, tx);
	}
	free(f);
}

enum app_proto app_flow_proto(const struct app_flow *f)
{
	return f->proto;
}

uint32_t app_flow_events(const struct app_flow *f)
{
	return f->events;
}

size_t app_flow_mem(const struct app_flow *f)
{
	return f->mem;
}

/* ---- transactions and buffers ---- */

struct app_tx *app_tx_new(struct app_flow *f, enum app_proto proto)
{
	struct app_tx *tx;

	if (f->ntxs >= f->ctx->cfg.max_txs) {
		f->events |= APP_EV_TX_LIMIT;
		return NULL;
	}
	if (!app_mem_take(f, sizeof(*tx)))
		return NULL;
	if ((tx = calloc(1, sizeof(*tx))) == NULL) {
		app_mem_give(f, sizeof(*tx));
		return NULL;
	}
	tx->mem = sizeof(*tx);
	tx->id = f->next_id++;
	tx->proto = proto;
	for (size_t d = 0; d < 2; d++)
		for (size_t i = 0; i < IPS_BUF__COUNT; i++)
			tx->first[d][i] = tx->last[d][i] = -1;
	if (f->tail != NULL)
		f->tail->next = tx;
	else
		f->txs = tx;
	f->tail = tx;
	f->ntxs++;
	return tx;
}

static bool tx_take(struct app_flow *f, struct app_tx *tx, size_t n)
{
	if (!app_mem_take(f, n))
		return false;
	tx->mem += n;
	return true;
}

static int new_ent(struct app_flow *f, struct app_tx *tx, enum app_dir d, enum ips_buf b)
{
	struct app_bufent *e;

	if (tx->nents == tx->capents) {
		size_t ncap = tx->capents ? tx->capents * 2 : 8;

		if (!tx_take(f, tx, (ncap - tx->capents) * sizeof(*e)))
			return BW_ERR_LIMIT;
		if ((e = realloc(tx->ents, ncap * sizeof(*e))) == NULL)
			return BW_ERR_NOMEM;
		tx->ents = e;
		tx->capents = ncap;
	}
	e = &tx->ents[tx->nents];
	memset(e, 0, sizeof(*e));
	e->next = -1;
	if (tx->last[d][b] >= 0)
		tx->ents[tx->last[d][b]].next = (int)tx->nents;
	else
		tx->first[d][b] = (int)tx->nents;
	tx->last[d][b] = (int)tx->nents;
	return (int)tx->nents++;
}

/* Grows e to hold at least need bytes plus a NUL. */
static int ent_reserve(struct app_flow *f, struct app_tx *tx, struct app_bufent *e, size_t need)
{
	size_t ncap;
	uint8_t *p;

	if (need + 1 <= e->cap)
		return 0;
	ncap = e->cap ? e->cap : 64;
	while (ncap < need + 1)
		ncap *= 2;
	if (!tx_take(f, tx, ncap - e->cap))
		return BW_ERR_LIMIT;
	if ((p = realloc(e->p, ncap)) == NULL)
		return BW_ERR_NOMEM;
	e->p = p;
	e->cap = ncap;
	return 0;
}

int app_tx_buf_add(struct app_flow *f, struct app_tx *tx, enum app_dir dir, enum ips_buf b,
                   const void *p, size_t len)
{
	int i, r;

	if ((i = new_ent(f, tx, dir, b)) < 0)
		return i;
	if ((r = ent_reserve(f, tx, &tx->ents[i], len)) != 0)
		return r;
	if (len > 0)
		memcpy(tx->ents[i].p, p, len);
	tx->ents[i].p[len] = '\0';
	tx->ents[i].len = len;
	return 0;
}

int app_tx_buf_append(struct app_flow *f, struct app_tx *tx, enum app_dir dir, enum ips_buf b,
                      const void *p, size_t len, size_t limit)
{
	struct app_bufent *e;
	int i = tx->last[dir][b], r;
	bool cut = false;

	if (i < 0 && (i = new_ent(f, tx, dir, b)) < 0)
		return i;
	e = &tx->ents[i];
	if (e->len >= limit)
		return BW_ERR_LIMIT;
	if (len > limit - e->len) {
		len = limit - e->len;
		cut = true;
	}
	if ((r = ent_reserve(f, tx, e, e->len + len)) != 0)
		return r;
	if (e->p == NULL)
		return BW_ERR_NOMEM;
	memcpy(e->p + e->len, p, len);
	e->len += len;
	e->p[e->len] = '\0';
	/* What fits is kept; the caller learns that the rest was not. */
	return cut ? BW_ERR_LIMIT : 0;
}

const char *app_tx_strdup(struct app_flow *f, struct app_tx *tx, const void *p, size_t len)
{
	char **s, *c;

	if (!tx_take(f, tx, len + 1 + sizeof(char *)))
		return NULL;
	if ((s = realloc(tx->strs, (tx->nstrs + 1) * sizeof(*s))) == NULL)
		return NULL;
	tx->strs = s;
	if ((c = malloc(len + 1)) == NULL)
		return NULL;
	memcpy(c, p, len);
	c[len] = '\0';
	tx->strs[tx->nstrs++] = c;
	return c;
}

const char *app_tx_buf_str(const struct app_tx *tx, enum app_dir dir, enum ips_buf b)
{
	int i = tx->first[dir][b];

	if (i < 0 || tx->ents[i].p == NULL)
		return NULL;
	return (const char *)tx->ents[i].p;
}

void app_tx_buf_clear(struct app_tx *tx, enum app_dir dir, enum ips_buf b)
{
	tx->first[dir][b] = tx->last[dir][b] = -1;
}

void app_tx_mark(struct app_tx *tx, enum app_dir dir)
{
	tx->updated |= (uint8_t)(1u << dir);
}

int app_tx_buf(const struct app_tx *tx, enum app_dir dir, enum ips_buf b, size_t idx,
               const uint8_t **p, size_t *len)
{
	int i;

	*p = NULL;
	*len = 0;
	if ((unsigned)b >= IPS_BUF__COUNT || (unsigned)dir > APP_DIR_TO_CLIENT)
		return BW_ERR_NOTFOUND;
	for (i = tx->first[dir][b]; i >= 0 && idx > 0; idx--)
		i = tx->ents[i].next;
	if (i < 0)
		return BW_ERR_NOTFOUND;
	*p = tx->ents[i].p != NULL ? tx->ents[i].p : (const uint8_t *)"";
	*len = tx->ents[i].len;
	return 0;
}

struct app_tx *app_flow_tx_first(const struct app_flow *f)
{
	return f->txs;
}

struct app_tx *app_tx_next(const struct app_tx *tx)
{
	return tx->next;
}

uint64_t app_tx_id(const struct app_tx *tx)
{
	return tx->id;
}

enum app_proto app_tx_proto(const struct app_tx *tx)
{
	return tx->proto;
}

uint32_t app_tx_flags(const struct app_tx *tx)
{
	return tx->flags;
}

bool app_tx_updated(const struct app_tx *tx, enum app_dir dir)
{
	return (tx->updated & (1u << dir)) != 0;
}

/* Clears the marks in mask; frees complete transactions left without marks. */
static void tx_ack(struct app_flow *f, uint8_t mask)
{
	struct app_tx **pp = &f->txs, *tx;

	f->tail = NULL;
	while ((tx = *pp) != NULL) {
		tx->updated &= (uint8_t)~mask;
		if ((tx->flags & APP_TX_COMPLETE) && tx->updated == 0) {
			*pp = tx->next;
			f->ntxs--;
			tx_free(f, tx);
			continue;
		}
		f->tail = tx;
		pp = &tx->next;
	}
}

void app_flow_tx_ack(struct app_flow *f)
{
	tx_ack(f, 3);
}

void app_flow_tx_ack_dir(struct app_flow *f, enum app_dir dir)
{
	tx_ack(f, (uint8_t)(1u << dir));
}

bool app_tx_dce(const struct app_tx *tx, struct ips_dce_call *out)
{
	const struct app_dce_tx *d = tx->dce;

	memset(out, 0, sizeof(*out));
	if (d == NULL)
		return false;
	out->request_seen = d->request_seen;
	out->little = d->little;
	out->ctxid = d->ctxid;
	out->opnum = d->opnum;
	if (d->bind != NULL) {
		/* C706 12.6.4.9/12.6.4.10: request (0) and response (2) PDUs. */
		out->last_is_call = d->bind->last_type == 0 || d->bind->last_type == 2;
		out->ifaces = d->bind->acc;
		out->nifaces = d->bind->nacc;
	}
	return true;
}

const struct app_http_info *app_tx_http(const struct app_tx *tx)
{
	return tx->proto == APP_PROTO_HTTP ? &tx->u.http : NULL;
}

const struct app_dns_info *app_tx_dns(const struct app_tx *tx)
{
	return tx->proto == APP_PROTO_DNS ? &tx->u.dns : NULL;
}

const struct app_tls_info *app_tx_tls(const struct app_tx *tx)
{
	return tx->proto == APP_PROTO_TLS ? &tx->u.tls : NULL;
}

void app_hex(const uint8_t *p, size_t n, char *out)
{
	static const char hx[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hx[p[i] >> 4];
		out[2 * i + 1] = hx[p[i] & 15];
	}
	out[2 * n] = '\0';
}

/* ---- detection and dispatch ---- */

static const struct app_parser *parser_for(enum app_proto p)
{
	switch (p) {
	case APP_PROTO_HTTP:
		return &app_parser_http;
	case APP_PROTO_TLS:
		return &app_parser_tls;
	case APP_PROTO_DNS:
		return &app_parser_dns;
	case APP_PROTO_SMB:
		return &app_parser_smb;
	case APP_PROTO_DCERPC:
		return &app_parser_dcerpc;
	default:
		return NULL;
	}
}

static int parser_feed(struct app_flow *f, enum app_dir dir, const uint8_t *p, size_t len)
{
	if (f->parser == NULL || f->dead[dir] || len == 0)
		return 0;
	return f->parser->feed(f, dir, p, len);
}

static int set_proto(struct app_flow *f, enum app_proto p)
{
	int r;

	f->proto = p;
	f->parser = parser_for(p);
	if (f->parser != NULL && (r = f->parser->init(f)) != 0) {
		f->parser = NULL;
		return r;
	}
	return 0;
}

/* TCP: holds bytes until one direction decides, then replays both. */
static int feed_tcp_undecided(struct app_flow *f, enum app_dir dir, const uint8_t *p, size_t len)
{
	enum app_proto proto = APP_PROTO_UNKNOWN;
	size_t take = len, held;
	int r;

	if (take > APP_DETECT_MAX - f->npend[dir])
		take = APP_DETECT_MAX - f->npend[dir];
	memcpy(f->pend[dir] + f->npend[dir], p, take);
	f->npend[dir] += take;
	r = app_detect(f->pend[dir], f->npend[dir], dir, APP_L4_TCP, &proto);
	if (r == BW_ERR_AGAIN && f->npend[dir] < APP_DETECT_MAX)
		return 0;
	if (r != 0) {
		/* This direction cannot tell; the flow fails once both have said no. */
		if (f->npend[dir ^ 1] >= APP_DETECT_MAX ||
		    (f->npend[dir ^ 1] > 0 &&
		     app_detect(f->pend[dir ^ 1], f->npend[dir ^ 1], (enum app_dir)(dir ^ 1),
		                APP_L4_TCP, &proto) == BW_ERR_NOTFOUND)) {
			f->proto = APP_PROTO_FAILED;
			f->events |= APP_EV_DETECT_FAILED;
		}
		if (f->npend[dir] >= APP_DETECT_MAX && f->npend[dir ^ 1] >= APP_DETECT_MAX) {
			f->proto = APP_PROTO_FAILED;
			f->events |= APP_EV_DETECT_FAILED;
		}
		return 0;
	}
	if ((r = set_proto(f, proto)) != 0)
		return r;
	/* Replay what was held, the client's side first, then the rest of p. */
	held = f->npend[dir];
	f->npend[dir] = 0;
	if (f->npend[APP_DIR_TO_SERVER] > 0) {
		if ((r = parser_feed(f, APP_DIR_TO_SERVER, f->pend[APP_DIR_TO_SERVER],
		                     f->npend[APP_DIR_TO_SERVER])) != 0)
			return r;
		f->npend[APP_DIR_TO_SERVER] = 0;
	}
	if (dir == APP_DIR_TO_SERVER) {
		if ((r = parser_feed(f, dir, f->pend[dir], held)) != 0)
			return r;
	}
	if (f->npend[APP_DIR_TO_CLIENT] > 0) {
		if ((r = parser_feed(f, APP_DIR_TO_CLIENT, f->pend[APP_DIR_TO_CLIENT],
		                     f->npend[APP_DIR_TO_CLIENT])) != 0)
			return r;
		f->npend[APP_DIR_TO_CLIENT] = 0;
	}
	if (dir == APP_DIR_TO_CLIENT) {
		if ((r = parser_feed(f, dir, f->pend[dir], held)) != 0)
			return r;
	}
	return parser_feed(f, dir, p + take, len - take);
}

int app_flow_feed(struct app_flow *f, enum app_dir dir, const uint8_t *p, size_t len)
{
	enum app_proto proto;
	int r;

	if (len == 0 || f->proto == APP_PROTO_FAILED)
		return 0;
	if (f->proto != APP_PROTO_UNKNOWN)
		return parser_feed(f, dir, p, len);
	if (f->l4 == APP_L4_TCP)
		return feed_tcp_undecided(f, dir, p, len);
	/* UDP: each datagram stands alone. */
	if (app_detect(p, len, dir, APP_L4_UDP, &proto) == 0) {
		if ((r = set_proto(f, proto)) != 0)
			return r;
		return parser_feed(f, dir, p, len);
	}
	if (++f->udp_tries >= UDP_DETECT_TRIES) {
		f->proto = APP_PROTO_FAILED;
		f->events |= APP_EV_DETECT_FAILED;
	}
	return 0;
}

void app_flow_gap(struct app_flow *f, enum app_dir dir)
{
	f->events |= APP_EV_GAP;
	if (f->parser != NULL && f->parser->gap != NULL && !f->dead[dir])
		f->parser->gap(f, dir);
	else
		f->dead[dir] = true;
	if (f->proto == APP_PROTO_UNKNOWN && f->l4 == APP_L4_TCP) {
		f->proto = APP_PROTO_FAILED;
		f->events |= APP_EV_DETECT_FAILED;
	}
}

void app_flow_eof(struct app_flow *f, enum app_dir dir)
{
	if (f->parser != NULL && f->parser->eof != NULL)
		f->parser->eof(f, dir);
}

int app_ctx_new(struct app_ctx **out, const struct app_cfg *cfg)
{
	struct app_ctx *ctx;
	int r;

	*out = NULL;
	if ((ctx = calloc(1, sizeof(*ctx))) == NULL)
		return BW_ERR_NOMEM;
	if (cfg != NULL)
		ctx->cfg = *cfg;
	else
		app_cfg_default(&ctx->cfg);
	if ((r = app_http_ctx_init(ctx)) != 0) {
		free(ctx);
		return r;
	}
	*out = ctx;
	return 0;
}

void app_ctx_free(struct app_ctx *ctx)
{
	if (ctx == NULL)
		return;
	app_http_ctx_fini(ctx);
	free(ctx);
}
