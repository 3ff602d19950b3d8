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
        [APP_PROTO_UNKNOWN] = "unknown",   [APP_PROTO_FAILED] = "failed",
        [APP_PROTO_HTTP] = "http",         [APP_PROTO_TLS] = "tls",
        [APP_PROTO_DNS] = "dns",           [APP_PROTO_SSH] = "ssh",
        [APP_PROTO_SMB] = "smb",           [APP_PROTO_FTP] = "ftp",
        [APP_PROTO_FTP_DATA] = "ftp-data", [APP_PROTO_SMTP] = "smtp",
        [APP_PROTO_MQTT] = "mqtt",         [APP_PROTO_KRB5] = "krb5",
        [APP_PROTO_MODBUS] = "modbus",     [APP_PROTO_ENIP] = "enip",
        [APP_PROTO_IKE] = "ike",           [APP_PROTO_DCERPC] = "dcerpc",
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
	cfg->http_body_limit[APP_DIR_TO_SERVER] = 100u << 10;
	cfg->http_body_limit[APP_DIR_TO_CLIENT] = 100u << 10;
	cfg->flow_memcap = 4u << 20;
	cfg->max_txs = 256;
	cfg->tls_msg_limit = 64u << 10;
	cfg->http_decompress_layers = 2;
	cfg->file_needs = 0;
	cfg->frames = false;
	cfg->mqtt_max_msg = 1u << 20;
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
	app_file_free(f, tx);
	for (size_t i = 0; i < tx->nents; i++)
		free(tx->ents[i].p);
	for (size_t i = 0; i < tx->nstrs; i++)
		free(tx->strs[i]);
	free(tx->ents);
	free(tx->strs);
	free(tx->answers);
	free(tx->priv);
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

void app_flow_set_ports(struct app_flow *f, uint16_t cli_port, uint16_t srv_port)
{
	f->cli_port = cli_port;
	f->srv_port = srv_port;
}

bool app_flow_no_payload(const struct app_flow *f)
{
	return f->no_payload;
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
	tx->bufgen[d]++;
	if (tx->last[d][b] >= 0) {
		tx->ents[tx->last[d][b]].next = (int)tx->nents;
	} else {
		tx->first[d][b] = (int)tx->nents;
		tx->has[d][b / 64] |= 1ull << (b % 64);
	}
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

int app_tx_buf_reserve(struct app_flow *f, struct app_tx *tx, enum app_dir dir, enum ips_buf b,
                       uint64_t n)
{
	int i = tx->last[dir][b];

	/* A length from the network: never more than the flow may hold. */
	if (n > f->ctx->cfg.flow_memcap)
		return BW_ERR_LIMIT;
	if (i < 0 && (i = new_ent(f, tx, dir, b)) < 0)
		return i;
	return ent_reserve(f, tx, &tx->ents[i], (size_t)n);
}

int app_tx_buf_appendv(struct app_flow *f, struct app_tx *tx, enum app_dir dir, enum ips_buf b,
                       const struct app_piece *v, size_t n, size_t limit)
{
	struct app_bufent *e;
	int i = tx->last[dir][b], r;
	size_t want = 0, len;
	bool cut;

	if (i < 0 && (i = new_ent(f, tx, dir, b)) < 0)
		return i;
	e = &tx->ents[i];
	if (e->len >= limit)
		return BW_ERR_LIMIT;
	for (size_t k = 0; k < n; k++) /* pieces in memory: their sum fits */
		want += v[k].len;
	cut = want > limit - e->len;
	len = cut ? limit - e->len : want;
	if ((r = ent_reserve(f, tx, e, e->len + len)) != 0)
		return r;
	if (e->p == NULL)
		return BW_ERR_NOMEM;
	for (size_t k = 0, left = len; k < n && left; k++) {
		size_t c = v[k].len < left ? v[k].len : left;
		memcpy(e->p + e->len, v[k].p, c);
		e->len += c;
		left -= c;
	}
	e->p[e->len] = '\0';
	/* What fits is kept; the caller learns that the rest was not. */
	return cut ? BW_ERR_LIMIT : 0;
}

int app_tx_buf_append(struct app_flow *f, struct app_tx *tx, enum app_dir dir, enum ips_buf b,
                      const void *p, size_t len, size_t limit)
{
	struct app_piece v = {p, len};

	return app_tx_buf_appendv(f, tx, dir, b, &v, 1, limit);
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
	tx->has[dir][b / 64] &= ~(1ull << (b % 64));
	tx->bufgen[dir]++;
}

uint32_t app_tx_buf_gen(const struct app_tx *tx, enum app_dir dir)
{
	return tx->bufgen[dir];
}

void app_tx_mark(struct app_tx *tx, enum app_dir dir)
{
	tx->updated |= (uint8_t)(1u << dir);
}

/*
 * Suricata inspects an HTTP body once it holds request-body-minimal-
 * inspect-size (32 KiB) or response-body-minimal-inspect-size (40 KiB)
 * bytes, or is complete, or its direction ends, then at every new data
 * (detect-file-data.c, detect-http-client-body.c), and the file data of
 * the other protocols (FTP, SMTP) at content-inspect-min-size (32 KiB) or
 * once the file is closed: a short body is inspected once, whole, instead
 * of at every segment. Until then its buffers are hidden from inspections
 * of the tx (app_tx_body_held), which may come for other reasons (the
 * headers in the same segment). The body's completion, the end of the
 * direction (app_flow_eof) and a gap release it.
 */
void app_tx_body(struct app_tx *tx, enum app_dir dir, size_t n)
{
	uint64_t min =
	        tx->proto == APP_PROTO_HTTP && dir == APP_DIR_TO_CLIENT ? 40u << 10 : 32u << 10;
	tx->body_seen[dir] += n;
	tx->body_held[dir] = tx->body_seen[dir] < min;
	if (!tx->body_held[dir])
		app_tx_mark(tx, dir);
}

bool app_tx_body_held(const struct app_tx *tx, enum app_dir dir)
{
	uint32_t done = dir == APP_DIR_TO_SERVER ? APP_TX_REQ_DONE : APP_TX_RES_DONE;
	const struct app_file *x = app_file_last(tx, dir);
	return tx->body_held[dir] && !(tx->flags & done) && !(x != NULL && !x->open);
}

/* Releases (and marks) the transactions whose body in dir is held back. */
static void release_held(struct app_flow *f, enum app_dir dir)
{
	for (struct app_tx *tx = f->txs; tx != NULL; tx = tx->next)
		if (app_tx_body_held(tx, dir)) {
			tx->body_held[dir] = false;
			app_tx_mark(tx, dir);
		}
}

void app_tx_buf_each(const struct app_tx *tx, enum app_dir dir, size_t max,
                     void (*fn)(void *arg, enum ips_buf b, size_t k, const uint8_t *p, size_t len),
                     void *arg)
{
	if ((unsigned)dir > APP_DIR_TO_CLIENT)
		return;
	/* The buffers present, in order; file.* come from the transaction's files. */
	uint64_t want[IPS_BUF_WORDS];
	for (size_t w = 0; w < IPS_BUF_WORDS; w++)
		want[w] = tx->has[dir][w];
	if (tx->nfiles[dir])
		for (int b = IPS_BUF_FILE_NAME; b <= IPS_BUF_FILE_SHA256; b++)
			want[b / 64] |= 1ull << (b % 64);
	for (size_t w = 0; w < IPS_BUF_WORDS; w++) {
		for (uint64_t bits = want[w]; bits; bits &= bits - 1) {
			int b = (int)(w * 64) + __builtin_ctzll(bits);
			size_t k = 0;
			if (b == 0)
				continue;
			if (b >= IPS_BUF_FILE_NAME && b <= IPS_BUF_FILE_SHA256) {
				const uint8_t *p;
				size_t len;
				for (; k < max &&
				       app_file_buf(tx, dir, (enum ips_buf)b, k, &p, &len) == 0;
				     k++)
					fn(arg, (enum ips_buf)b, k,
					   p != NULL ? p : (const uint8_t *)"", len);
				continue;
			}
			for (int i = tx->first[dir][b]; i >= 0 && k < max;
			     i = tx->ents[i].next, k++)
				fn(arg, (enum ips_buf)b, k,
				   tx->ents[i].p != NULL ? tx->ents[i].p : (const uint8_t *)"",
				   tx->ents[i].len);
		}
	}
}

int app_tx_buf(const struct app_tx *tx, enum app_dir dir, enum ips_buf b, size_t idx,
               const uint8_t **p, size_t *len)
{
	int i;

	*p = NULL;
	*len = 0;
	if ((unsigned)b >= IPS_BUF__COUNT || (unsigned)dir > APP_DIR_TO_CLIENT)
		return BW_ERR_NOTFOUND;
	if (b >= IPS_BUF_FILE_NAME && b <= IPS_BUF_FILE_SHA256)
		return app_file_buf(tx, dir, b, idx, p, len);
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

uint32_t app_tx_event_bits(const struct app_tx *tx)
{
	return tx->evbits;
}

int app_tx_dns_opcode(const struct app_tx *tx)
{
	if (tx->proto != APP_PROTO_DNS)
		return -1;
	return (tx->u.dns.flags >> 11) & 0x0f;
}

void app_tx_raise(struct app_tx *tx, enum app_dir dir, enum app_tx_event ev)
{
	if ((unsigned)ev >= APP_TXEV__COUNT)
		return;
	tx->evbits |= 1u << ev;
	app_tx_mark(tx, dir);
}

const char *app_tx_event_name(int ev)
{
	static const char *const names[APP_TXEV__COUNT] = {
#define APP_TXEV_NAME(n, s) s,
	        APP_TX_EVENTS(APP_TXEV_NAME)
#undef APP_TXEV_NAME
	};
	return ev >= 0 && ev < APP_TXEV__COUNT ? names[ev] : "unknown";
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

const struct app_ssh_info *app_tx_ssh(const struct app_tx *tx)
{
	return tx->proto == APP_PROTO_SSH ? &tx->u.ssh : NULL;
}

const struct app_ftp_info *app_tx_ftp(const struct app_tx *tx)
{
	return tx->proto == APP_PROTO_FTP ? &tx->u.ftp : NULL;
}

const struct app_ftp_data_info *app_tx_ftp_data(const struct app_tx *tx)
{
	return tx->proto == APP_PROTO_FTP_DATA ? &tx->u.ftp_data : NULL;
}

const struct app_smtp_info *app_tx_smtp(const struct app_tx *tx)
{
	return tx->proto == APP_PROTO_SMTP ? &tx->u.smtp : NULL;
}

/* ---- FTP expectations ---- */

void app_expect_post(struct app_flow *f, const struct app_expect *e)
{
	if (f->nexpect >= APP_EXPECT_QUEUE) {
		f->events |= APP_EV_EXPECT_DROPPED;
		return;
	}
	f->expect[f->nexpect++] = *e;
}

bool app_flow_expect_take(struct app_flow *f, struct app_expect *out)
{
	if (f->nexpect == 0)
		return false;
	*out = f->expect[0];
	memmove(&f->expect[0], &f->expect[1], (f->nexpect - 1) * sizeof(f->expect[0]));
	f->nexpect--;
	return true;
}

int app_flow_new_ftp_data(struct app_flow **out, const struct app_ctx *ctx,
                          const struct app_expect *e)
{
	struct app_flow *f;
	int r;

	if ((r = app_flow_new(&f, ctx, APP_L4_TCP)) != 0)
		return r;
	if ((r = app_ftp_data_start(f, e)) != 0) {
		app_flow_free(f);
		*out = NULL;
		return r;
	}
	*out = f;
	return 0;
}

int app_line_next(struct app_flow *f, struct app_line *l, const uint8_t **p, size_t *len,
                  const uint8_t **line, size_t *llen)
{
	const uint8_t *nl = *len > 0 ? memchr(*p, '\n', *len) : NULL;
	size_t n = nl != NULL ? (size_t)(nl - *p) : *len, adv = nl != NULL ? n + 1 : n;

	if (l->skipping) {
		*p += adv;
		*len -= adv;
		if (nl != NULL)
			l->skipping = false;
		return 0;
	}
	if (l->n == 0 && nl != NULL && n <= l->max) {
		/* The common case: a whole line in the input, nothing copied. */
		*line = *p;
		*llen = n;
		l->cut = false;
	} else {
		size_t take = n < l->max - l->n ? n : l->max - l->n;

		if (l->buf == NULL) {
			if (!app_mem_take(f, l->max))
				return BW_ERR_LIMIT;
			if ((l->buf = malloc(l->max)) == NULL) {
				app_mem_give(f, l->max);
				return BW_ERR_LIMIT;
			}
		}
		memcpy(l->buf + l->n, *p, take);
		l->n += take;
		if (nl == NULL && l->n < l->max) {
			*p += adv;
			*len -= adv;
			return 0;
		}
		/* Complete, or full: an overlong line is cut and its tail skipped. */
		l->cut = take < n || nl == NULL;
		if (nl == NULL)
			l->skipping = true;
		*line = l->buf;
		*llen = l->n;
		l->n = 0;
	}
	*p += adv;
	*len -= adv;
	if (*llen > 0 && (*line)[*llen - 1] == '\r')
		(*llen)--;
	return 1;
}

void app_line_free(struct app_flow *f, struct app_line *l)
{
	if (l->buf != NULL) {
		app_mem_give(f, l->max);
		free(l->buf);
	}
	l->buf = NULL;
	l->n = 0;
}

void app_tx_event(struct app_tx *tx, const char *name)
{
	for (size_t i = 0; i < tx->nevents; i++)
		if (tx->events[i] == name || strcmp(tx->events[i], name) == 0)
			return;
	if (tx->nevents < APP_TX_MAX_EVENTS)
		tx->events[tx->nevents++] = name;
}

size_t app_tx_events(const struct app_tx *tx, const char *const **names)
{
	*names = tx->events;
	return tx->nevents;
}

bool app_tx_match(const struct app_tx *tx, enum app_dir dir, const struct ips_app_match *m)
{
	if (m->what == APP_M_EVENT) {
		for (size_t i = 0; i < tx->nevents; i++)
			if (m->str != NULL && strcmp(tx->events[i], m->str) == 0)
				return true;
		return false;
	}
	switch (tx->proto) {
	case APP_PROTO_MQTT:
		return m->app == IPS_PROTO_MQTT && app_mqtt_match(tx, dir, m);
	case APP_PROTO_KRB5:
		return m->app == IPS_PROTO_KRB5 && app_krb5_match(tx, dir, m);
	case APP_PROTO_MODBUS:
		return m->app == IPS_PROTO_MODBUS && app_modbus_match(tx, dir, m);
	case APP_PROTO_ENIP:
		return m->app == IPS_PROTO_ENIP && app_enip_match(tx, dir, m);
	case APP_PROTO_IKE:
		return m->app == IPS_PROTO_IKE && app_ike_match(tx, dir, m);
	case APP_PROTO_TLS:
		return m->app == IPS_PROTO_TLS && app_tls_match(tx, dir, m);
	default:
		return false;
	}
}

int app_rbuf_append(struct app_flow *f, struct app_rbuf *b, const uint8_t *p, size_t n, size_t max)
{
	if (n > max || b->len > max - n)
		return BW_ERR_LIMIT;
	if (b->len + n > b->cap) {
		size_t ncap = b->cap ? b->cap : 256;
		uint8_t *np;

		while (ncap < b->len + n)
			ncap *= 2;
		if (!app_mem_take(f, ncap - b->cap))
			return BW_ERR_LIMIT;
		if ((np = realloc(b->p, ncap)) == NULL) {
			app_mem_give(f, ncap - b->cap);
			return BW_ERR_NOMEM;
		}
		b->p = np;
		b->cap = ncap;
	}
	if (n > 0)
		memcpy(b->p + b->len, p, n);
	b->len += n;
	return 0;
}

void app_rbuf_consume(struct app_rbuf *b, size_t n)
{
	if (n >= b->len) {
		b->len = 0;
		return;
	}
	memmove(b->p, b->p + n, b->len - n);
	b->len -= n;
}

void app_rbuf_free(struct app_flow *f, struct app_rbuf *b)
{
	app_mem_give(f, b->cap);
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}

int app_state_new(struct app_flow *f, size_t size)
{
	if (!app_mem_take(f, size))
		return BW_ERR_LIMIT;
	if ((f->state = calloc(1, size)) == NULL) {
		app_mem_give(f, size);
		return BW_ERR_NOMEM;
	}
	return 0;
}

void app_state_free(struct app_flow *f, size_t size)
{
	if (f->state == NULL)
		return;
	app_mem_give(f, size);
	free(f->state);
	f->state = NULL;
}

void app_rbuf_state_free(struct app_flow *f, size_t size, size_t rbufs)
{
	struct app_rbuf *b;

	if (f->state == NULL)
		return;
	b = (struct app_rbuf *)(void *)((uint8_t *)f->state + rbufs);
	app_rbuf_free(f, &b[0]);
	app_rbuf_free(f, &b[1]);
	app_state_free(f, size);
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
	case APP_PROTO_SSH:
		return &app_parser_ssh;
	case APP_PROTO_FTP:
		return &app_parser_ftp;
	case APP_PROTO_SMTP:
		return &app_parser_smtp;
	case APP_PROTO_MQTT:
		return &app_parser_mqtt;
	case APP_PROTO_KRB5:
		return &app_parser_krb5;
	case APP_PROTO_MODBUS:
		return &app_parser_modbus;
	case APP_PROTO_ENIP:
		return &app_parser_enip;
	case APP_PROTO_IKE:
		return &app_parser_ike;
	case APP_PROTO_SMB:
		return &app_parser_smb;
	case APP_PROTO_DCERPC:
		return &app_parser_dcerpc;
	default:
		return NULL;
	}
}

/*
 * Suricata's port-registered probing parsers: only on the server port of
 * the protocol (the default ports of suricata.yaml). BW_ERR_NOTFOUND when
 * the port has none or its probe says no.
 */
static int detect_port(const struct app_flow *f, const uint8_t *p, size_t len, enum app_proto *out)
{
	uint16_t sp = f->srv_port;
	int r = BW_ERR_NOTFOUND;

	if (sp == 0)
		return BW_ERR_NOTFOUND;
	if (f->l4 == APP_L4_TCP) {
		if (sp == 1883) {
			r = app_mqtt_probe(p, len);
			*out = APP_PROTO_MQTT;
		} else if (sp == 88) {
			r = app_krb5_probe(p, len, APP_L4_TCP);
			*out = APP_PROTO_KRB5;
		} else if (sp == 502) {
			r = app_modbus_probe(p, len);
			*out = APP_PROTO_MODBUS;
		} else if (sp == 44818) {
			r = app_enip_probe(p, len);
			*out = APP_PROTO_ENIP;
		}
	} else {
		if (sp == 88) {
			r = app_krb5_probe(p, len, APP_L4_UDP);
			*out = APP_PROTO_KRB5;
		} else if (sp == 44818 || sp == 2222) {
			r = app_enip_probe(p, len);
			*out = APP_PROTO_ENIP;
		} else if (sp == 500 || sp == 4500) {
			r = app_ike_probe(p, len);
			*out = APP_PROTO_IKE;
		}
	}
	if (r != 0)
		*out = APP_PROTO_UNKNOWN;
	return r;
}

static int parser_feed(struct app_flow *f, enum app_dir dir, const uint8_t *p, size_t len)
{
	/* Data after a gap: the parser sees the gap now and, taking none, stops. */
	if (f->parser != NULL && f->parser->no_gaps && f->gapped[dir] && len > 0)
		app_flow_stop(f);
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

/*
 * As Suricata (patterns first, then probing parsers): a positive
 * port-independent detection wins, then the probe of the port's protocol;
 * BW_ERR_AGAIN when either still needs bytes.
 */
static int detect_any(const struct app_flow *f, const uint8_t *p, size_t len, enum app_dir dir,
                      enum app_proto *out)
{
	enum app_proto g = APP_PROTO_UNKNOWN, q = APP_PROTO_UNKNOWN;
	int r = app_detect_port(p, len, dir, f->l4, f->srv_port, &g);
	int rp;

	if (r == 0) {
		*out = g;
		return 0;
	}
	rp = detect_port(f, p, len, &q);
	if (rp == 0) {
		*out = q;
		return 0;
	}
	*out = APP_PROTO_UNKNOWN;
	return r == BW_ERR_AGAIN || rp == BW_ERR_AGAIN ? BW_ERR_AGAIN : BW_ERR_NOTFOUND;
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
	r = detect_any(f, f->pend[dir], f->npend[dir], dir, &proto);
	if (r == BW_ERR_AGAIN && f->npend[dir] < APP_DETECT_MAX)
		return 0;
	if (r != 0) {
		/* This direction cannot tell; the flow fails once both have said no. */
		if (f->npend[dir ^ 1] >= APP_DETECT_MAX || f->dead[dir ^ 1] ||
		    (f->npend[dir ^ 1] > 0 &&
		     detect_any(f, f->pend[dir ^ 1], f->npend[dir ^ 1], (enum app_dir)(dir ^ 1),
		                &proto) == BW_ERR_NOTFOUND)) {
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
	if (f->l4 == APP_L4_TCP) {
		if (f->dead[dir])
			return 0; /* a gap ended this direction's detection */
		return feed_tcp_undecided(f, dir, p, len);
	}
	/* UDP: each datagram stands alone. */
	if (detect_any(f, p, len, dir, &proto) == 0) {
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

void app_flow_stop(struct app_flow *f)
{
	f->dead[APP_DIR_TO_SERVER] = f->dead[APP_DIR_TO_CLIENT] = true;
}

void app_flow_gap(struct app_flow *f, enum app_dir dir)
{
	f->events |= APP_EV_GAP;
	release_held(f, dir);
	if (f->parser != NULL && f->parser->gap != NULL && !f->dead[dir]) {
		f->parser->gap(f, dir);
	} else {
		f->dead[dir] = true;
		f->gapped[dir] = true;
	}
	if (f->proto == APP_PROTO_UNKNOWN && f->l4 == APP_L4_TCP) {
		/*
		 * As Suricata: detection of this direction is over; the other
		 * may still decide. The flow fails once neither can.
		 */
		f->npend[dir] = 0;
		if (f->dead[dir ^ 1] || f->npend[dir ^ 1] >= APP_DETECT_MAX) {
			f->proto = APP_PROTO_FAILED;
			f->events |= APP_EV_DETECT_FAILED;
		}
		return;
	}
	/*
	 * A parser that takes no gaps stops both directions once data after
	 * the gap arrives (parser_feed): Suricata reports a gap to the parser
	 * together with the data that follows it.
	 */
}

void app_flow_eof(struct app_flow *f, enum app_dir dir)
{
	if (f->parser != NULL && f->parser->eof != NULL)
		f->parser->eof(f, dir);
	release_held(f, dir);
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
	if ((r = app_file_ctx_init(ctx)) != 0) {
		free(ctx);
		return r;
	}
	if ((r = app_http_ctx_init(ctx)) != 0) {
		app_file_ctx_fini(ctx);
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
	app_file_ctx_fini(ctx);
	free(ctx);
}
