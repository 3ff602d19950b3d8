/* SPDX-License-Identifier: ISC */
/*
 * The IPS per-packet pipeline (see ips.h): decode, reassemble fragments
 * (RFC 791 3.2, RFC 8200 4.5), find the flow, track and reassemble TCP
 * (RFC 9293), feed the application layer and run detection three ways:
 *
 *  - packet: the packet payload, with packet keywords (dsize, flags, ...).
 *    Rules whose options need an app-layer buffer are ignored here.
 *  - stream: for TCP flows with a session, the reassembled bytes of each
 *    direction, inspected as a window of the last STREAM_TAIL bytes already
 *    inspected plus what this packet made contiguous, so that a pattern split
 *    across segments is found. Only payload rules count; a stream match
 *    alerts once per flow direction and sid and never on a packet that
 *    already alerted that sid (the window re-inspects bytes). The prefilter
 *    carries its progress over the window (struct ips_detect_carry), so it
 *    scans only the new bytes; evaluation sees the whole window.
 *  - tx: every app-layer transaction updated in the direction just fed,
 *    with its sticky buffers (and its DCE/RPC call state). Only rules with
 *    app buffers count, once per (transaction, sid). An update a parser
 *    made for the other direction waits for that direction's next
 *    inspection, or the flow's end. Bodies carry their prefilter progress the same way
 *    (per transaction, the latest CARRY_TXS of a flow).
 *
 * Flowbits and the pass/drop marks live in the flow's det slot (struct
 * pl_flow), the app-layer state in its app slot; both go with the flow.
 */
#include <stdlib.h>
#include <string.h>

#include "ips/ips.h"
#include "lib/err.h"

enum {
	STREAM_TAIL = 2048,     /* bytes of already inspected stream kept for overlap */
	STREAM_WIN_MAX = 65536, /* pending bytes inspected at once */
	MAX_MATCH = 64,         /* alerts kept per inspection */
	MAX_VIEWS = 16,         /* instances of one multi-buffer inspected */
	PKT_SIDS = 64,          /* sids remembered per packet for deduplication */
	EXPIRE_EVERY_NS = 1000000000ull,
};

enum rule_kind {
	RK_HEADER,  /* no buffer option: packet keywords only */
	RK_PAYLOAD, /* payload/stream options */
	RK_APP,     /* at least one app-layer buffer */
};

struct txa {
	uint64_t tx;
	uint32_t sid, gid;
};

/* The append-only buffers of a transaction whose prefilter progress is carried. */
static const enum ips_buf carry_bufs[] = {IPS_BUF_HTTP_REQUEST_BODY, IPS_BUF_HTTP_RESPONSE_BODY,
                                          IPS_BUF_FILE_DATA};
enum { NCARRY_BUF = sizeof(carry_bufs) / sizeof(carry_bufs[0]), CARRY_TXS = 4 };

/* Prefilter progress over the bodies of one (transaction, direction). */
struct pl_carry {
	bool used;
	uint64_t tx;
	int d;
	struct ips_detect_carry c[NCARRY_BUF];
};

/* Per-flow detection state (the flow's det slot). */
struct pl_flow {
	struct ips_flowbits_state fb;
	bool pass, drop;
	uint8_t *win[2]; /* stream window: tail + pending */
	size_t win_len[2], win_cap[2];
	size_t pend[2];   /* pending (not yet inspected) bytes at the end of win */
	uint64_t wpos[2]; /* bytes ever appended to win: win holds [wpos - win_len, wpos) */
	struct ips_detect_carry scarry[2]; /* prefilter progress over the window */
	uint32_t *ssid[2];                 /* sids alerted from this direction's stream */
	size_t nssid[2], capssid[2];
	struct txa *txa; /* (tx, sid) pairs alerted */
	size_t ntxa, captxa;
	struct pl_carry carry[CARRY_TXS]; /* the latest transactions, replaced round robin */
	unsigned carry_next;
};

struct pl_pkt {
	uint64_t ts_ns;
	uint32_t sids[PKT_SIDS];
	size_t nsids;
	bool drop, pass;
};

struct ips_pipeline {
	struct ips_pipeline_cfg cfg;
	struct ips_decoder dec;
	struct ips_defrag *df;
	struct ips_flow_table *ft;
	struct ips_stream_ctx *sc;
	struct app_ctx *actx;
	struct ips_detect_thread *dt;
	struct ips_detect_thread *dts; /* stream runs: thresholds tracked apart */
	struct ips_stream_cb cb;
	struct ips_pipeline_stats st;
	uint64_t last_expire, last_ts;
	struct pl_pkt *cur; /* the packet being processed (for stream callbacks) */
	struct ips_bufv views[IPS_BUF__COUNT][MAX_VIEWS];
	struct ips_match m[MAX_MATCH];
};

const char *ips_drop_reason_name(enum ips_drop_reason r)
{
	static const char *const names[IPS_DROP__COUNT] = {"rules", "flow drop", "defrag"};
	return (unsigned)r < IPS_DROP__COUNT ? names[r] : "unknown";
}

static enum rule_kind rule_kind(const struct ips_rule *r)
{
	enum rule_kind k = RK_HEADER;
	for (size_t i = 0; i < r->nopts; i++) {
		const struct ips_opt *o = &r->opts[i];
		switch (o->kw) {
		case IPS_KW_URILEN:
		case IPS_KW_DCE_IFACE:
		case IPS_KW_DCE_OPNUM:
			return RK_APP;
		case IPS_KW_CONTENT:
		case IPS_KW_PCRE:
		case IPS_KW_ISDATAAT:
		case IPS_KW_BYTE_TEST:
		case IPS_KW_BYTE_JUMP:
		case IPS_KW_BYTE_EXTRACT:
		case IPS_KW_BSIZE:
		case IPS_KW_DOTPREFIX:
			if (o->buf != IPS_BUF_PAYLOAD)
				return RK_APP;
			k = RK_PAYLOAD;
			break;
		default:
			break;
		}
	}
	return k;
}

static enum ips_proto app_to_rule_proto(enum app_proto p)
{
	switch (p) {
	case APP_PROTO_HTTP:
		return IPS_PROTO_HTTP;
	case APP_PROTO_TLS:
		return IPS_PROTO_TLS;
	case APP_PROTO_DNS:
		return IPS_PROTO_DNS;
	case APP_PROTO_SMB:
		return IPS_PROTO_SMB;
	case APP_PROTO_DCERPC:
		return IPS_PROTO_DCERPC;
	default:
		return IPS_PROTO_IP;
	}
}

static const char *flow_app_name(const struct ips_flow_rec *f)
{
	if (!f || !f->app)
		return NULL;
	enum app_proto p = app_flow_proto(f->app);
	if (p == APP_PROTO_UNKNOWN || p == APP_PROTO_FAILED)
		return NULL;
	return app_proto_name(p);
}

/* ---- per-flow state ---- */

static void pl_flow_free(void *arg)
{
	struct pl_flow *pf = arg;
	if (!pf)
		return;
	for (int d = 0; d < 2; d++) {
		free(pf->win[d]);
		free(pf->ssid[d]);
		ips_detect_carry_free(&pf->scarry[d]);
	}
	free(pf->txa);
	for (int k = 0; k < CARRY_TXS; k++)
		for (size_t b = 0; b < NCARRY_BUF; b++)
			ips_detect_carry_free(&pf->carry[k].c[b]);
	free(pf);
}

/*
 * Points in's body buffers at the prefilter progress of (tx, d), so that a
 * body growing over many packets is scanned once, not again from its start
 * at every update. A transaction without a slot takes the oldest one (whose
 * transaction then starts over with a full scan: the same result).
 */
static void carry_attach(struct pl_flow *pf, struct ips_detect_input *in, uint64_t tx, int d)
{
	struct pl_carry *pc = NULL;
	for (int k = 0; k < CARRY_TXS && !pc; k++)
		if (pf->carry[k].used && pf->carry[k].tx == tx && pf->carry[k].d == d)
			pc = &pf->carry[k];
	if (!pc) {
		pc = &pf->carry[pf->carry_next];
		pf->carry_next = (pf->carry_next + 1) % CARRY_TXS;
		for (size_t b = 0; b < NCARRY_BUF; b++)
			ips_detect_carry_free(&pc->c[b]);
		pc->used = true;
		pc->tx = tx;
		pc->d = d;
	}
	for (size_t b = 0; b < NCARRY_BUF; b++)
		in->carry[carry_bufs[b]] = &pc->c[b];
}

static void app_free_cb(void *arg)
{
	app_flow_free(arg);
}

static struct pl_flow *flow_det(struct ips_flow_rec *f)
{
	if (!f->det) {
		f->det = calloc(1, sizeof(struct pl_flow));
		if (f->det)
			f->det_free = pl_flow_free;
	}
	return f->det;
}

static struct app_flow *flow_app(struct ips_pipeline *pl, struct ips_flow_rec *f, enum app_l4 l4)
{
	if (!f->app) {
		struct app_flow *af;
		if (app_flow_new(&af, pl->actx, l4) != 0)
			return NULL;
		f->app = af;
		f->app_free = app_free_cb;
	}
	return f->app;
}

static bool u32_has(const uint32_t *v, size_t n, uint32_t x)
{
	for (size_t i = 0; i < n; i++)
		if (v[i] == x)
			return true;
	return false;
}

static bool u32_add(uint32_t **v, size_t *n, size_t *cap, uint32_t x)
{
	if (*n == *cap) {
		size_t nc = *cap ? *cap * 2 : 8;
		uint32_t *nv = realloc(*v, nc * sizeof(**v));
		if (!nv)
			return false;
		*v = nv;
		*cap = nc;
	}
	(*v)[(*n)++] = x;
	return true;
}

/* ---- stats ---- */

static void count_sid(struct ips_pipeline_stats *st, const struct ips_rule *r)
{
	size_t lo = 0, hi = st->nsids;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		const struct ips_sid_count *c = &st->sids[mid];
		if (c->gid == r->gid && c->sid == r->sid) {
			st->sids[mid].alerts++;
			return;
		}
		if (c->gid < r->gid || (c->gid == r->gid && c->sid < r->sid))
			lo = mid + 1;
		else
			hi = mid;
	}
	if (st->nsids == st->capsids) {
		size_t nc = st->capsids ? st->capsids * 2 : 32;
		struct ips_sid_count *nv = realloc(st->sids, nc * sizeof(*nv));
		if (!nv)
			return; /* counted in alerts only */
		st->sids = nv;
		st->capsids = nc;
	}
	memmove(&st->sids[lo + 1], &st->sids[lo], (st->nsids - lo) * sizeof(st->sids[0]));
	st->sids[lo] = (struct ips_sid_count){r->gid, r->sid, 1, r};
	st->nsids++;
}

/* ---- detection inputs ---- */

static void input_from_flow(struct ips_detect_input *in, const struct ips_flow_rec *f,
                            bool to_server)
{
	memset(in, 0, sizeof(*in));
	size_t alen = f->ip_version == 4 ? 4 : 16;
	in->ip_version = f->ip_version;
	memcpy(in->src, to_server ? f->cli : f->srv, alen);
	memcpy(in->dst, to_server ? f->srv : f->cli, alen);
	in->sp = to_server ? f->cli_port : f->srv_port;
	in->dp = to_server ? f->srv_port : f->cli_port;
	in->proto = f->proto;
	in->has_flow = true;
	in->to_server = to_server;
	if (f->proto == 6) {
		struct ips_stream_info si;
		ips_stream_info(f, &si);
		in->established = si.tracked && si.established;
		in->stream_bytes_ts = si.delivered[0];
		in->stream_bytes_tc = si.delivered[1];
	} else {
		in->established = f->state == IPS_FST_ESTABLISHED;
	}
	in->app = f->app ? app_to_rule_proto(app_flow_proto(f->app)) : IPS_PROTO_IP;
	struct pl_flow *pf = f->det;
	in->flowbits = pf ? &pf->fb : NULL;
}

static void input_from_packet(struct ips_detect_input *in, const struct ips_packet *p,
                              const struct ips_flow_rec *f, bool to_server, uint64_t ts_ns)
{
	const struct ips_ip *ip = ips_packet_ip(p);
	if (f) {
		input_from_flow(in, f, to_server);
	} else {
		memset(in, 0, sizeof(*in));
	}
	if (ip) {
		size_t alen = ip->version == 4 ? 4 : 16;
		in->ip_version = ip->version;
		memcpy(in->src, ip->src.a, alen);
		memcpy(in->dst, ip->dst.a, alen);
		in->proto = ip->proto;
		in->ttl = ip->ttl;
		in->is_frag = ip->is_frag || (p->flags & IPS_PKT_REASSEMBLED);
	}
	in->sp = p->sp;
	in->dp = p->dp;
	if (p->l4proto == 6) {
		in->has_tcp = true;
		in->tcp_flags = p->tcp.flags;
	} else if (p->l4proto == 1 || p->l4proto == 58) {
		in->has_icmp = true;
		in->icmp_type = p->icmp.type;
		in->icmp_code = p->icmp.code;
		in->icmp_has_id = p->icmp.has_id;
		in->icmp_id = p->icmp.id;
		in->icmp_seq = p->icmp.seq;
	}
	in->payload = p->payload ? p->payload : (const uint8_t *)"";
	in->payload_len = p->payload ? p->payload_len : 0;
	in->dsize = in->payload_len;
	in->ts_usec = ts_ns / 1000;
}

/* ---- alerts ---- */

static void emit(struct ips_pipeline *pl, const struct ips_match *m,
                 const struct ips_detect_input *in, const struct ips_flow_rec *f,
                 const struct app_tx *tx, const char *origin)
{
	const struct ips_rule *r = m->rule;
	struct pl_pkt *pk = pl->cur;
	struct ips_alert a = {0};

	if (pk && pk->nsids < PKT_SIDS)
		pk->sids[pk->nsids++] = r->sid;
	if (m->action == IPS_ACT_PASS) {
		if (pk)
			pk->pass = true;
		return;
	}
	if (m->action != IPS_ACT_ALERT && pk)
		pk->drop = true;
	if (m->action != IPS_ACT_ALERT && f && f->det)
		((struct pl_flow *)f->det)->drop = true;
	pl->st.alerts++;
	count_sid(&pl->st, r);
	if (!pl->cfg.on_alert)
		return;
	a.rule = r;
	a.action = m->action;
	a.priority = ips_rule_priority(r, pl->cfg.classes);
	a.category = "";
	if (r->classtype && pl->cfg.classes) {
		const struct ips_class *c = ips_classconf_find(pl->cfg.classes, r->classtype);
		if (c && c->desc)
			a.category = c->desc;
	}
	a.ts_ns = pk ? pk->ts_ns : (f ? f->last_ns : 0);
	a.flow_id = f ? f->id : 0;
	a.ip_version = in->ip_version;
	memcpy(a.src, in->src, 16);
	memcpy(a.dst, in->dst, 16);
	a.sp = in->sp;
	a.dp = in->dp;
	a.proto = in->proto;
	a.app_proto = flow_app_name(f);
	a.tx = tx;
	a.origin = origin;
	pl->cfg.on_alert(pl->cfg.arg, &a);
}

static bool pkt_has_sid(const struct pl_pkt *pk, uint32_t sid)
{
	return pk && u32_has(pk->sids, pk->nsids, sid);
}

static size_t run(struct ips_pipeline *pl, const struct ips_detect_input *in, int kind)
{
	size_t n = 0;
	pl->st.inspections[kind]++;
	if (ips_detect_run(pl->cfg.engine, kind == 1 ? pl->dts : pl->dt, in, pl->m, MAX_MATCH,
	                   &n) != 0)
		return 0;
	if (n > MAX_MATCH) {
		pl->st.alerts_dropped += n - MAX_MATCH;
		n = MAX_MATCH;
	}
	return n;
}

static void inspect_packet(struct ips_pipeline *pl, const struct ips_packet *p,
                           struct ips_flow_rec *f, bool to_server)
{
	struct ips_detect_input in;
	input_from_packet(&in, p, f, to_server, pl->cur->ts_ns);
	size_t n = run(pl, &in, 0);
	for (size_t i = 0; i < n; i++) {
		const struct ips_match *m = &pl->m[i];
		if (rule_kind(m->rule) == RK_APP || pkt_has_sid(pl->cur, m->rule->sid))
			continue;
		struct pl_flow *pf = f ? f->det : NULL;
		int d = to_server ? IPS_DIR_TO_SERVER : IPS_DIR_TO_CLIENT;
		if (pf && f->proto == 6 && !u32_has(pf->ssid[d], pf->nssid[d], m->rule->sid))
			u32_add(&pf->ssid[d], &pf->nssid[d], &pf->capssid[d], m->rule->sid);
		emit(pl, m, &in, f, NULL, "packet");
	}
}

static void skip_stream(struct pl_flow *pf, int d);

/* Inspects the pending stream bytes of one direction, then keeps the tail. */
static void inspect_stream(struct ips_pipeline *pl, struct ips_flow_rec *f, int d)
{
	struct pl_flow *pf = f->det;
	if (!pf || !pf->pend[d])
		return;
	if (pl->cfg.engine && !pf->pass && !(pl->cur && pl->cur->pass)) {
		struct ips_detect_input in;
		input_from_flow(&in, f, d == IPS_DIR_TO_SERVER);
		in.payload = pf->win[d];
		in.payload_len = pf->win_len[d];
		in.dsize = pf->pend[d];
		in.is_stream = true;
		/* The tail was scanned by the previous runs: only new bytes are. */
		pf->scarry[d].base = pf->wpos[d] - pf->win_len[d];
		in.carry[IPS_BUF_PAYLOAD] = &pf->scarry[d];
		in.ts_usec = (pl->cur ? pl->cur->ts_ns : f->last_ns) / 1000;
		size_t n = run(pl, &in, 1);
		for (size_t i = 0; i < n; i++) {
			const struct ips_match *m = &pl->m[i];
			if (m->action != IPS_ACT_PASS &&
			    (rule_kind(m->rule) != RK_PAYLOAD || m->rule->threshold))
				continue;
			if (pkt_has_sid(pl->cur, m->rule->sid) ||
			    u32_has(pf->ssid[d], pf->nssid[d], m->rule->sid))
				continue;
			u32_add(&pf->ssid[d], &pf->nssid[d], &pf->capssid[d], m->rule->sid);
			emit(pl, m, &in, f, NULL, "stream");
		}
	}
	/* Keep the last STREAM_TAIL bytes for patterns crossing the boundary. */
	skip_stream(pf, d);
}

/* Marks the pending bytes of direction d inspected (keeping the tail). */
static void skip_stream(struct pl_flow *pf, int d)
{
	if (pf->win_len[d] > STREAM_TAIL) {
		memmove(pf->win[d], pf->win[d] + pf->win_len[d] - STREAM_TAIL, STREAM_TAIL);
		pf->win_len[d] = STREAM_TAIL;
	}
	pf->pend[d] = 0;
}

static bool txa_has(const struct pl_flow *pf, uint64_t tx, const struct ips_rule *r)
{
	for (size_t i = 0; i < pf->ntxa; i++)
		if (pf->txa[i].tx == tx && pf->txa[i].sid == r->sid && pf->txa[i].gid == r->gid)
			return true;
	return false;
}

static void txa_add(struct pl_flow *pf, uint64_t tx, const struct ips_rule *r)
{
	if (pf->ntxa == pf->captxa) {
		size_t nc = pf->captxa ? pf->captxa * 2 : 8;
		struct txa *nv = realloc(pf->txa, nc * sizeof(*nv));
		if (!nv)
			return;
		pf->txa = nv;
		pf->captxa = nc;
	}
	pf->txa[pf->ntxa++] = (struct txa){tx, r->sid, r->gid};
}

static void fill_bufs(struct ips_pipeline *pl, struct ips_detect_input *in, const struct app_tx *tx,
                      enum app_dir dir)
{
	for (int b = 1; b < IPS_BUF__COUNT; b++) {
		size_t k = 0;
		for (; k < MAX_VIEWS; k++) {
			const uint8_t *p;
			size_t len;
			if (app_tx_buf(tx, dir, (enum ips_buf)b, k, &p, &len) != 0)
				break;
			pl->views[b][k] = (struct ips_bufv){p ? p : (const uint8_t *)"", len};
		}
		in->bufs[b].v = k ? pl->views[b] : NULL;
		in->bufs[b].n = k;
	}
}

/* Inspects the transactions updated in direction d, then acknowledges them. */
static void inspect_txs(struct ips_pipeline *pl, struct ips_flow_rec *f, int d)
{
	struct app_flow *af = f->app;
	struct pl_flow *pf = f->det;
	if (!af)
		return;
	if (pl->cfg.engine && pf && !pf->pass && !(pl->cur && pl->cur->pass)) {
		for (struct app_tx *tx = app_flow_tx_first(af); tx; tx = app_tx_next(tx)) {
			if (!app_tx_updated(tx, (enum app_dir)d))
				continue;
			struct ips_detect_input in;
			input_from_flow(&in, f, d == IPS_DIR_TO_SERVER);
			in.ts_usec = (pl->cur ? pl->cur->ts_ns : f->last_ns) / 1000;
			fill_bufs(pl, &in, tx, (enum app_dir)d);
			struct ips_dce_call dce;
			if (app_tx_dce(tx, &dce))
				in.dce = &dce;
			uint64_t id = app_tx_id(tx);
			carry_attach(pf, &in, id, d);
			size_t n = run(pl, &in, 2);
			for (size_t i = 0; i < n; i++) {
				const struct ips_match *m = &pl->m[i];
				if (m->action != IPS_ACT_PASS && rule_kind(m->rule) != RK_APP)
					continue;
				if (txa_has(pf, id, m->rule))
					continue;
				txa_add(pf, id, m->rule);
				emit(pl, m, &in, f, tx, "tx");
			}
		}
	}
	app_flow_tx_ack_dir(af, (enum app_dir)d);
}

/* ---- stream consumer ---- */

static void win_append(struct pl_flow *pf, int d, const uint8_t *p, size_t len)
{
	size_t need = pf->win_len[d] + len;
	if (need > pf->win_cap[d]) {
		size_t nc = pf->win_cap[d] ? pf->win_cap[d] : 4096;
		while (nc < need)
			nc *= 2;
		uint8_t *nw = realloc(pf->win[d], nc);
		if (!nw)
			return; /* this stretch is not stream-inspected */
		pf->win[d] = nw;
		pf->win_cap[d] = nc;
	}
	memcpy(pf->win[d] + pf->win_len[d], p, len);
	pf->win_len[d] += len;
	pf->wpos[d] += len;
	pf->pend[d] += len;
}

static void on_data(void *arg, struct ips_flow_rec *f, bool to_server,
                    const struct ips_stream_chunk *c)
{
	struct ips_pipeline *pl = arg;
	int d = to_server ? IPS_DIR_TO_SERVER : IPS_DIR_TO_CLIENT;
	struct pl_flow *pf = flow_det(f);
	struct app_flow *af = flow_app(pl, f, APP_L4_TCP);

	if (c->flags & IPS_STREAM_GAP) {
		if (pf) {
			/* Bytes on either side of a hole are not one stream. */
			inspect_stream(pl, f, d);
			pf->win_len[d] = 0;
		}
		if (af)
			app_flow_gap(af, (enum app_dir)d);
	}
	if (c->len && c->data) {
		if (af)
			app_flow_feed(af, (enum app_dir)d, c->data, c->len);
		if (pf && pl->cfg.engine) {
			win_append(pf, d, c->data, c->len);
			if (pf->pend[d] >= STREAM_WIN_MAX)
				inspect_stream(pl, f, d);
		}
	}
	if ((c->flags & IPS_STREAM_EOF) && af)
		app_flow_eof(af, (enum app_dir)d);
	if (af)
		inspect_txs(pl, f, d);
}

/* ---- flow end ---- */

static void on_end(void *arg, struct ips_flow_rec *f, enum ips_flow_end why)
{
	struct ips_pipeline *pl = arg;
	struct pl_pkt *saved = pl->cur;
	struct pl_pkt end = {.ts_ns = f->last_ns};

	/* An ending flow is inspected on its own (it may end in another packet's lookup). */
	pl->cur = &end;
	ips_stream_flush(f, &pl->cb, pl);
	if (f->proto == 6 && f->det) {
		inspect_stream(pl, f, IPS_DIR_TO_SERVER);
		inspect_stream(pl, f, IPS_DIR_TO_CLIENT);
	}
	if (f->app && f->proto == 6) {
		/* Updates one direction made for the other (SMB tree connects) are inspected last.
		 */
		inspect_txs(pl, f, IPS_DIR_TO_SERVER);
		inspect_txs(pl, f, IPS_DIR_TO_CLIENT);
	}
	if (f->app && f->proto != 6) {
		app_flow_eof(f->app, APP_DIR_TO_SERVER);
		app_flow_eof(f->app, APP_DIR_TO_CLIENT);
		inspect_txs(pl, f, IPS_DIR_TO_SERVER);
		inspect_txs(pl, f, IPS_DIR_TO_CLIENT);
	}
	pl->cur = saved;
	pl->st.flows_ended++;
	if (pl->cfg.on_flow)
		pl->cfg.on_flow(pl->cfg.arg, f, why, flow_app_name(f));
}

/* ---- the pipeline ---- */

int ips_pipeline_new(struct ips_pipeline **out, const struct ips_pipeline_cfg *cfg)
{
	struct ips_pipeline *pl = calloc(1, sizeof(*pl));
	struct ips_flow_cfg fc;
	struct ips_stream_cfg scfg;
	int r = BW_ERR_NOMEM;

	*out = NULL;
	if (!pl)
		return BW_ERR_NOMEM;
	pl->cfg = *cfg;
	pl->dec.esp_hook = cfg->esp_hook;
	pl->cb.data = on_data;
	ips_flow_cfg_default(&fc);
	fc.on_end = on_end;
	fc.arg = pl;
	ips_stream_cfg_default(&scfg);
	scfg.midstream = cfg->midstream;
	pl->df = ips_defrag_new(NULL);
	pl->ft = ips_flow_table_new(&fc);
	pl->sc = ips_stream_ctx_new(&scfg);
	if (!pl->df || !pl->ft || !pl->sc)
		goto out;
	if ((r = app_ctx_new(&pl->actx, NULL)) != 0)
		goto out;
	if (cfg->engine && ((r = ips_detect_thread_new(cfg->engine, &pl->dt)) != 0 ||
	                    (r = ips_detect_thread_new(cfg->engine, &pl->dts)) != 0))
		goto out;
	*out = pl;
	return 0;
out:
	ips_pipeline_free(pl);
	return r;
}

void ips_pipeline_finish(struct ips_pipeline *pl)
{
	if (pl && pl->ft)
		ips_flow_expire(pl->ft, UINT64_MAX);
}

void ips_pipeline_free(struct ips_pipeline *pl)
{
	if (!pl)
		return;
	/* Flows end (and call back) before the contexts they borrow go. */
	ips_flow_table_free(pl->ft);
	ips_stream_ctx_free(pl->sc);
	ips_defrag_free(pl->df);
	ips_detect_thread_free(pl->dt);
	ips_detect_thread_free(pl->dts);
	app_ctx_free(pl->actx);
	free(pl->st.sids);
	free(pl);
}

/* UDP: one datagram is one app-layer feed. */
static void udp_app(struct ips_pipeline *pl, struct ips_flow_rec *f, const struct ips_packet *p,
                    bool to_server)
{
	if (!p->payload_len)
		return;
	struct app_flow *af = flow_app(pl, f, APP_L4_UDP);
	if (!af)
		return;
	int d = to_server ? IPS_DIR_TO_SERVER : IPS_DIR_TO_CLIENT;
	app_flow_feed(af, (enum app_dir)d, p->payload, p->payload_len);
	inspect_txs(pl, f, d);
}

int ips_pipeline_packet(struct ips_pipeline *pl, const uint8_t *data, size_t len, int linktype,
                        uint64_t ts_ns)
{
	struct ips_packet p;
	struct ips_dgram *g = NULL;
	struct pl_pkt pk = {.ts_ns = ts_ns};
	struct ips_flow_rec *f = NULL;
	bool to_server = true;

	pl->st.pkts++;
	pl->st.bytes += len;
	pl->last_ts = ts_ns;
	if (ts_ns >= pl->last_expire + EXPIRE_EVERY_NS) {
		ips_flow_expire(pl->ft, ts_ns);
		ips_defrag_expire(pl->df, ts_ns);
		pl->last_expire = ts_ns;
	}
	ips_decode(&p, data, len, linktype, &pl->dec);
	if (p.n_ip == 0) {
		pl->st.non_ip++;
		return 0;
	}
	if ((p.flags & IPS_PKT_FRAG) && p.n_ip > 0) {
		int r = ips_defrag_add(pl->df, &p, p.n_ip - 1u, ts_ns, &g);
		if (r < 0)
			pl->st.drops[IPS_DROP_DEFRAG]++;
		if (r == 0 && g) {
			size_t dl;
			const uint8_t *d = ips_dgram_data(g, &dl);
			ips_decode_reassembled(&p, p.n_ip - 1u, d, dl, &pl->dec);
		}
	}
	pl->cur = &pk;
	f = ips_flow_lookup(pl->ft, &p, ts_ns, &to_server, NULL);
	struct pl_flow *pf = f ? flow_det(f) : NULL;
	if (pf && pf->drop) {
		pl->st.drops[IPS_DROP_FLOW]++;
		goto out;
	}
	if (f && p.l4proto == 6)
		ips_stream_packet(pl->sc, f, &p, to_server, ts_ns, &pl->cb, pl, NULL);
	else if (f && p.l4proto == 17)
		udp_app(pl, f, &p, to_server);
	if (pl->cfg.engine && !(pf && pf->pass) && !pk.pass) {
		inspect_packet(pl, &p, f, to_server);
		if (f && f->proto == 6) {
			/*
			 * The window re-inspects bytes the packet run saw: stream
			 * matches only add sids this flow direction has not alerted,
			 * thresholded rules do not alert from it, and it has its own
			 * detect thread so that its matches do not count toward the
			 * packet run's thresholds.
			 */
			for (int d = 0; d < 2; d++) {
				inspect_stream(pl, f, d);
			}
		}
	}
	if (pk.pass) {
		pl->st.passed++;
		if (pf)
			pf->pass = true;
	}
	if (pk.drop)
		pl->st.drops[IPS_DROP_RULE]++;
out:
	pl->cur = NULL;
	ips_defrag_release(pl->df, g);
	return 0;
}

const struct ips_pipeline_stats *ips_pipeline_stats(const struct ips_pipeline *pl)
{
	return &pl->st;
}

const struct ips_decode_stats *ips_pipeline_decode_stats(const struct ips_pipeline *pl)
{
	return &pl->dec.stats;
}

const struct ips_flow_stats *ips_pipeline_flow_stats(const struct ips_pipeline *pl)
{
	return ips_flow_stats(pl->ft);
}

const struct ips_stream_stats *ips_pipeline_stream_stats(const struct ips_pipeline *pl)
{
	return ips_stream_ctx_stats(pl->sc);
}

const struct ips_defrag_stats *ips_pipeline_defrag_stats(const struct ips_pipeline *pl)
{
	return ips_defrag_stats(pl->df);
}
