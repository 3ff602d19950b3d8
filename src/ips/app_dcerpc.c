/* SPDX-License-Identifier: ISC */
/*
 * Connection-oriented DCE/RPC (C706 chapter 12, with the Microsoft
 * extensions of MS-RPCE 2.2.2) for inspection: PDUs are reassembled per
 * direction from the TCP stream (one PDU at a time, at most its 16-bit
 * frag_length), or handed over whole by the SMB parser for named pipes.
 *
 *   common header: | rpc_vers 5 | minor 0/1 | type | pfc_flags | drep (4) |
 *                  | frag_length (2) | auth_length (2) | call_id (4) |
 *   bind / alter_context: | max_xmit (2) | max_recv (2) | assoc_group (4) |
 *                  | n_ctx (1) | pad (3) | n_ctx * (ctx_id (2) | n_ts (1) |
 *                  | pad (1) | if_uuid (16) | if_version (2) | minor (2) |
 *                  | transfer syntax (20)) |
 *   bind_ack / alter_context_resp: | max_xmit | max_recv | assoc_group |
 *                  | sec_addr_len (2) | sec_addr | pad to 4 | n_results (1) |
 *                  | pad (3) | n_results * (result (2) | reason (2) | syntax (20)) |
 *   request:  | alloc_hint (4) | ctx_id (2) | opnum (2) | stub ... |
 *   response: | alloc_hint (4) | ctx_id (2) | cancel_count (1) | pad (1) | stub ... |
 *
 * Multi-byte fields follow the sender's data representation (drep[0] bit
 * 0x10: little-endian), except those Suricata reads little-endian always
 * (bind and bind_ack bodies). Semantics follow Suricata 7's
 * rust/src/dcerpc so rules written for it match alike:
 *  - a binding keeps the contexts of the latest bind/alter_context; its ack
 *    replaces the accepted list, pairing the n-th result with the n-th
 *    context (a rejected one is left out);
 *  - a transaction is one call: request fragments append to the call's
 *    to-server stub data, response fragments to its to-client stub data,
 *    at most APP_DCE_STUB_MAX bytes each; a direction is done at its last
 *    fragment (PFC_LAST_FRAG);
 *  - as in Suricata, the request stub runs from after opnum to the end of
 *    the fragment (an object UUID or auth trailer included), and the
 *    response "stub" from after the common header (so it starts with
 *    alloc_hint, ctx_id and cancel_count).
 * Other PDU types (auth3, fault, shutdown, cancel, ...) are skipped. After a
 * stream gap, bytes are dropped up to the next plausible PDU header (as
 * Suricata searches for "05 00"), checked as the detection probe does.
 */
#include <stdlib.h>
#include <string.h>

#include "ips/app_int.h"
#include "lib/err.h"
#include "lib/rd.h"

enum dce_const {
	DCE_REQUEST = 0,
	DCE_RESPONSE = 2,
	DCE_BIND = 11,
	DCE_BIND_ACK = 12,
	DCE_ALTER_CONTEXT = 14,
	DCE_ALTER_CONTEXT_RESP = 15,
	DCE_TYPE_MAX = 20, /* rts, the highest type MS-RPCE defines */
	DCE_PFC_FIRST_FRAG = 0x01,
	DCE_PFC_LAST_FRAG = 0x02,
	DCE_DREP_LITTLE = 0x10,
	DCE_CTX_ITEM = 44, /* ctx_id .. transfer syntax, one transfer syntax */
	DCE_ACK_RESULT = 24,
	DCE_PDU_MAX = 65535, /* frag_length is 16 bits */
};

/* The common header, in host order. */
struct dce_hdr {
	uint8_t type, flags;
	bool little;
	uint16_t frag_len, auth_len;
	uint32_t call_id;
};

struct dce_state {
	struct app_dce_bind bind;
	struct app_dce_stream d[2];
};

static uint16_t rd16(const uint8_t *p, bool little)
{
	return little ? bw_le16(p) : bw_be16(p);
}

static uint32_t rd32(const uint8_t *p, bool little)
{
	return little ? bw_le32(p) : bw_be32(p);
}

static int parse_hdr(const uint8_t *p, size_t len, struct dce_hdr *h)
{
	if (len < APP_DCE_HDR || p[0] != 5 || (p[1] != 0 && p[1] != 1))
		return BW_ERR_INVAL;
	h->type = p[2];
	h->flags = p[3];
	h->little = (p[4] & DCE_DREP_LITTLE) != 0;
	h->frag_len = rd16(p + 8, h->little);
	h->auth_len = rd16(p + 10, h->little);
	h->call_id = rd32(p + 12, h->little);
	return h->frag_len >= APP_DCE_HDR ? 0 : BW_ERR_INVAL;
}

size_t app_dce_frag_len(const uint8_t *p, size_t len)
{
	struct dce_hdr h;

	return parse_hdr(p, len, &h) == 0 ? h.frag_len : 0;
}

int app_dce_probe(const uint8_t *p, size_t len)
{
	if (len >= 1 && p[0] != 5)
		return BW_ERR_NOTFOUND;
	if (len >= 2 && p[1] != 0)
		return BW_ERR_NOTFOUND;
	if (len < APP_DCE_HDR)
		return BW_ERR_AGAIN;
	/* Suricata's probe: integer and character representations it knows. */
	if ((p[4] & 0xee) != 0 || p[5] > 3)
		return BW_ERR_NOTFOUND;
	return app_dce_frag_len(p, len) != 0 ? 0 : BW_ERR_NOTFOUND;
}

/*
 * The UUID as text order: with a little-endian sender the first three
 * fields come byte-swapped on the wire (C706 appendix A NDR layout).
 */
static void uuid_text(const uint8_t *w, bool little, uint8_t out[16])
{
	memcpy(out, w, 16);
	if (!little)
		return;
	for (int i = 0; i < 4; i++)
		out[i] = w[3 - i];
	out[4] = w[5];
	out[5] = w[4];
	out[6] = w[7];
	out[7] = w[6];
}

/* bind / alter_context: the offered contexts replace those of the binding. */
static int on_bind(struct app_dce_bind *b, const struct dce_hdr *h, struct bw_rd *rd)
{
	uint8_t n;

	if (bw_rd_skip(rd, 8) != 0 || bw_rd_u8(rd, &n) != 0 || bw_rd_skip(rd, 3) != 0)
		return BW_ERR_SHORT;
	b->nctx = 0;
	for (unsigned i = 0; i < n; i++) {
		const uint8_t *it;
		struct ips_dce_iface_ent *e;

		if (bw_rd_ptr(rd, &it, DCE_CTX_ITEM) != 0)
			return BW_ERR_SHORT;
		if (b->nctx == APP_DCE_MAX_CTX)
			continue; /* counted, not kept */
		e = &b->ctx[b->nctx++];
		e->ctxid = rd16(it, h->little);
		uuid_text(it + 4, h->little, e->uuid);
		e->version = rd16(it + 20, h->little);
		e->first_frag = (h->flags & DCE_PFC_FIRST_FRAG) != 0;
	}
	return 0;
}

/* bind_ack / alter_context_resp: the n-th result answers the n-th context. */
static int on_bind_ack(struct app_dce_bind *b, struct bw_rd *rd)
{
	uint16_t sec_len, result;
	uint8_t n;
	size_t pad;

	if (bw_rd_skip(rd, 8) != 0 || bw_rd_le16(rd, &sec_len) != 0 || bw_rd_skip(rd, sec_len) != 0)
		return BW_ERR_SHORT;
	/* The port string and its length field end on a 4-byte boundary. */
	pad = (4 - (sec_len + 2u) % 4) % 4;
	if (bw_rd_skip(rd, pad) != 0 || bw_rd_u8(rd, &n) != 0 || bw_rd_skip(rd, 3) != 0)
		return BW_ERR_SHORT;
	if ((size_t)n * DCE_ACK_RESULT > bw_rd_left(rd))
		return BW_ERR_SHORT;
	b->nacc = 0;
	for (unsigned i = 0; i < n; i++) {
		if (bw_rd_le16(rd, &result) != 0 || bw_rd_skip(rd, DCE_ACK_RESULT - 2) != 0)
			return BW_ERR_SHORT;
		if (i < b->nctx && result == 0 && b->nacc < APP_DCE_MAX_CTX)
			b->acc[b->nacc++] = b->ctx[i];
	}
	return 0;
}

/* The open call call_id on binding b (of this direction's type), or NULL. */
static struct app_tx *find_call(struct app_flow *f, const struct app_dce_bind *b, uint32_t call_id,
                                enum app_dir dir)
{
	for (struct app_tx *tx = app_flow_tx_first(f); tx != NULL; tx = app_tx_next(tx)) {
		const struct app_dce_tx *d = tx->dce;

		if (d == NULL || d->bind != b || d->call_id != call_id ||
		    (tx->flags & APP_TX_COMPLETE))
			continue;
		if (dir == APP_DIR_TO_SERVER ? d->req_done : d->resp_done)
			continue;
		return tx;
	}
	return NULL;
}

/* Completes the oldest open call of b so that a stuck binding cannot hold every slot. */
static void retire_oldest(struct app_flow *f, const struct app_dce_bind *b)
{
	for (struct app_tx *tx = app_flow_tx_first(f); tx != NULL; tx = app_tx_next(tx)) {
		if (tx->dce != NULL && tx->dce->bind == b && !(tx->flags & APP_TX_COMPLETE)) {
			tx->flags |= APP_TX_COMPLETE;
			return;
		}
	}
}

static struct app_tx *new_call(struct app_flow *f, const struct app_dce_bind *b,
                               enum app_proto proto, const struct dce_hdr *h)
{
	struct app_tx *tx;

	if (f->ntxs + 1 >= f->ctx->cfg.max_txs)
		retire_oldest(f, b);
	if ((tx = app_tx_new(f, proto)) == NULL)
		return NULL;
	if (!app_mem_take(f, sizeof(*tx->dce)) || (tx->dce = calloc(1, sizeof(*tx->dce))) == NULL) {
		tx->flags |= APP_TX_COMPLETE;
		return NULL;
	}
	tx->mem += sizeof(*tx->dce);
	tx->dce->bind = b;
	tx->dce->call_id = h->call_id;
	tx->dce->little = h->little;
	return tx;
}

static void add_stub(struct app_flow *f, struct app_tx *tx, enum app_dir dir, struct bw_rd *rd)
{
	const uint8_t *p = bw_rd_cur(rd);
	size_t n = bw_rd_left(rd);

	if (app_tx_buf_append(f, tx, dir, IPS_BUF_DCERPC_STUB_DATA, p, n, APP_DCE_STUB_MAX) != 0)
		f->events |= APP_EV_DCE_LIMIT;
}

/* request or response: its call, then the stub. */
static int on_call(struct app_flow *f, struct app_dce_bind *b, enum app_proto proto,
                   enum app_dir dir, const struct dce_hdr *h, struct bw_rd *rd)
{
	struct app_tx *tx = find_call(f, b, h->call_id, dir);
	const uint8_t *fix;

	if (dir == APP_DIR_TO_SERVER && bw_rd_ptr(rd, &fix, 8) != 0)
		return BW_ERR_SHORT;
	if (tx == NULL && (tx = new_call(f, b, proto, h)) == NULL)
		return BW_ERR_NOMEM;
	if (dir == APP_DIR_TO_SERVER) {
		tx->dce->request_seen = true;
		tx->dce->ctxid = rd16(fix + 4, h->little);
		tx->dce->opnum = rd16(fix + 6, h->little);
		tx->flags |= APP_TX_REQ_HDRS;
	} else {
		tx->dce->resp_seen = true;
		tx->flags |= APP_TX_RES_HDRS;
	}
	add_stub(f, tx, dir, rd);
	if (h->flags & DCE_PFC_LAST_FRAG) {
		if (dir == APP_DIR_TO_SERVER) {
			tx->dce->req_done = true;
			tx->flags |= APP_TX_REQ_DONE;
		} else {
			tx->dce->resp_done = true;
			tx->flags |= APP_TX_RES_DONE;
		}
	}
	if (tx->dce->req_done && tx->dce->resp_done)
		tx->flags |= APP_TX_COMPLETE;
	app_tx_mark(tx, dir);
	return 0;
}

int app_dce_pdu(struct app_flow *f, struct app_dce_bind *b, enum app_proto proto, enum app_dir dir,
                const uint8_t *p, size_t len)
{
	struct dce_hdr h;
	struct bw_rd rd;
	int r = 0;

	if (parse_hdr(p, len, &h) != 0 || h.frag_len > len) {
		f->events |= APP_EV_DCE_MALFORMED;
		return 0;
	}
	/* The fragment's declared length bounds everything after the header. */
	bw_rd_init(&rd, p + APP_DCE_HDR, h.frag_len - APP_DCE_HDR);
	b->last_type = h.type;
	b->seen = true;
	switch (h.type) {
	case DCE_BIND:
	case DCE_ALTER_CONTEXT:
		if (dir == APP_DIR_TO_SERVER)
			r = on_bind(b, &h, &rd);
		break;
	case DCE_BIND_ACK:
	case DCE_ALTER_CONTEXT_RESP:
		if (dir == APP_DIR_TO_CLIENT)
			r = on_bind_ack(b, &rd);
		break;
	case DCE_REQUEST:
		if (dir == APP_DIR_TO_SERVER)
			r = on_call(f, b, proto, dir, &h, &rd);
		break;
	case DCE_RESPONSE:
		if (dir == APP_DIR_TO_CLIENT)
			r = on_call(f, b, proto, dir, &h, &rd);
		break;
	default:
		break;
	}
	if (r == BW_ERR_NOMEM)
		return r;
	if (r != 0)
		f->events |= APP_EV_DCE_MALFORMED;
	return 0;
}

/* ---- DCE/RPC over TCP ---- */

/* ---- a byte stream of PDUs: DCE/RPC over TCP, or one direction of an SMB pipe ---- */

void app_dce_stream_free(struct app_flow *f, struct app_dce_stream *st)
{
	app_mem_give(f, st->cap);
	free(st->buf);
	memset(st, 0, sizeof(*st));
}

/* Takes up to want - len bytes of p into the PDU buffer; returns how many. */
static size_t fill(struct app_dce_stream *st, size_t want, const uint8_t *p, size_t len)
{
	size_t n = want - st->len < len ? want - st->len : len;

	memcpy(st->buf + st->len, p, n);
	st->len += n;
	return n;
}

/* Grows the buffer to hold n bytes (n <= DCE_PDU_MAX). */
static int reserve(struct app_flow *f, struct app_dce_stream *st, size_t n)
{
	uint8_t *nb;

	if (n <= st->cap)
		return 0;
	if (!app_mem_take(f, n - st->cap)) {
		f->events |= APP_EV_DCE_LIMIT;
		return BW_ERR_LIMIT;
	}
	if ((nb = realloc(st->buf, n)) == NULL) {
		app_mem_give(f, n - st->cap);
		return BW_ERR_NOMEM;
	}
	st->buf = nb;
	st->cap = n;
	return 0;
}

void app_dce_stream_gap(struct app_dce_stream *st)
{
	st->len = st->need = 0;
	st->broken = false;
	st->resync = true;
}

/* After a gap, a header is believed if the probe would take it and its type exists. */
static bool resync_hdr(const uint8_t *p)
{
	return app_dce_probe(p, APP_DCE_HDR) == 0 && p[2] <= DCE_TYPE_MAX;
}

int app_dce_stream_feed(struct app_flow *f, struct app_dce_stream *st, struct app_dce_bind *b,
                        enum app_proto proto, enum app_dir dir, const uint8_t *p, size_t len)
{
	int r;

	while (len > 0 && !st->broken) {
		size_t n;

		if (st->need == 0) {
			if ((r = reserve(f, st, APP_DCE_HDR)) != 0)
				return r == BW_ERR_NOMEM ? r : 0;
			n = fill(st, APP_DCE_HDR, p, len);
			p += n;
			len -= n;
			if (st->len < APP_DCE_HDR)
				break;
			if (st->resync && !resync_hdr(st->buf)) {
				/* Slide one byte on towards the next header. */
				memmove(st->buf, st->buf + 1, APP_DCE_HDR - 1);
				st->len--;
				continue;
			}
			st->resync = false;
			if ((st->need = app_dce_frag_len(st->buf, st->len)) == 0) {
				/* Not a PDU boundary: this stream cannot be followed. */
				f->events |= APP_EV_DCE_MALFORMED;
				st->broken = true;
				return 0;
			}
			if ((r = reserve(f, st, st->need)) != 0) {
				st->broken = true;
				return r == BW_ERR_NOMEM ? r : 0;
			}
		}
		n = fill(st, st->need, p, len);
		p += n;
		len -= n;
		if (st->len < st->need)
			break;
		r = app_dce_pdu(f, b, proto, dir, st->buf, st->len);
		st->len = st->need = 0;
		if (r != 0)
			return r;
	}
	return 0;
}

/* ---- DCE/RPC over TCP ---- */

static int dce_init(struct app_flow *f)
{
	return app_state_new(f, sizeof(struct dce_state));
}

static void dce_fini(struct app_flow *f)
{
	struct dce_state *s = f->state;

	for (int d = 0; d < 2; d++)
		app_dce_stream_free(f, &s->d[d]);
	app_state_free(f, sizeof(*s));
}

/* As Suricata, DCE/RPC over TCP carries on after a gap at the next PDU header. */
static void dce_gap(struct app_flow *f, enum app_dir dir)
{
	struct dce_state *s = f->state;

	app_dce_stream_gap(&s->d[dir]);
}

static int dce_feed(struct app_flow *f, enum app_dir dir, const uint8_t *p, size_t len)
{
	struct dce_state *s = f->state;
	int r = app_dce_stream_feed(f, &s->d[dir], &s->bind, APP_PROTO_DCERPC, dir, p, len);

	if (s->d[dir].broken)
		f->dead[dir] = true;
	return r;
}

const struct app_parser app_parser_dcerpc = {
        .proto = APP_PROTO_DCERPC,
        .init = dce_init,
        .feed = dce_feed,
        .eof = NULL,
        .fini = dce_fini,
        .gap = dce_gap,
};
