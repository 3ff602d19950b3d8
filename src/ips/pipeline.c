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
 *  - tx: every app-layer transaction updated by the feed, in each
 *    direction it was updated in, with that direction's sticky buffers (and
 *    its DCE/RPC call state). Only rules with app buffers count, once per
 *    (transaction, sid, direction), as Suricata keeps a detection state per
 *    direction. Bodies carry their prefilter progress the same way (per
 *    transaction, the latest CARRY_TXS of a flow).
 *
 * FTP control flows announce their data connections (struct app_expect);
 * the pipeline keeps them in an expectation table (expect.h) next to its
 * flow table, and a new TCP flow that matches one starts as ftp-data.
 *
 * Flowbits and the pass/drop marks live in the flow's det slot (struct
 * pl_flow), the app-layer state in its app slot; both go with the flow.
 */
#include <assert.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "ips/expect.h"
#include "ips/ips.h"
#include "ips/xbits.h"
#include "lib/err.h"

enum {
	STREAM_TAIL = 2048,     /* bytes of already inspected stream kept for overlap */
	STREAM_WIN_MAX = 65536, /* pending bytes inspected at once */
	MAX_MATCH = 64,         /* alerts kept per inspection */
	MAX_VIEWS = 16,         /* instances of one multi-buffer inspected */
	PKT_SIDS = 64,          /* sids remembered per packet for deduplication */
	ALERT_MAX_DEFAULT = 15, /* alerts kept per packet, as Suricata's packet-alert-max */
	EXPIRE_EVERY_NS = 1000000000ull,
	EXPECT_MAX = 256,                    /* expected flows remembered */
	EXPECT_TTL_NS = 120 * 1000000000ull, /* how long an expectation waits */
};

struct txa {
	uint64_t tx;
	uint32_t sid, gid;
	int d;         /* the direction that alerted: a rule alerts once per tx and direction */
	uint32_t file; /* 0, or 1 + the file index for rules that inspect files */
};

/*
 * The prefilter progress of a transaction's buffers carries over its
 * inspections: bodies grow, and the other buffers (URI, headers, status
 * line, ...) stay as they are while body packets update the transaction,
 * so each inspection scans only what is new in a buffer. Every single-view
 * buffer is carried but the file.* metadata (one view per file of a
 * multi-file run); entries are made on first use. Buffers only grow or are
 * replaced, and a replacement changes app_tx_buf_gen().
 */
enum { CARRY_TXS = 4 };

struct pl_cbuf {
	enum ips_buf b;
	struct ips_detect_carry c;
	uint64_t inspected; /* bodies (body_windows): where the last inspection ended */
};

/* Prefilter progress over the buffers of one (transaction, direction). */
struct pl_carry {
	bool used;
	uint64_t tx;
	int d;
	uint32_t gen; /* app_tx_buf_gen() the carries are for */
	struct pl_cbuf *cb;
	size_t ncb, capcb;
	uint64_t have[IPS_BUF_WORDS]; /* the buffers of cb[] */
};

/* Per-flow detection state (the flow's det slot). */
struct pl_flow {
	struct ips_flowbits_state fb;
	struct ips_flowint_state fi;
	bool pass, drop;
	bool bypass;        /* a bypass rule matched: no more inspection (set with pass) */
	uint8_t bypass_dir; /* TCP: 1 + direction of the packet whose match asked for it; 0: none */
	bool iponly[2];     /* a packet run of this direction evaluated the IP-only rules */
	uint8_t *win[2];    /* stream window: tail + pending */
	size_t win_len[2], win_cap[2];
	size_t pend[2];   /* pending (not yet inspected) bytes at the end of win */
	uint64_t wpos[2]; /* bytes ever appended to win: win holds [wpos - win_len, wpos) */
	struct ips_detect_carry scarry[2]; /* prefilter progress over the window */
	struct ips_detect_carry tcarry[2]; /* the same, for transaction runs (their own group) */
	uint32_t *ssid[2];                 /* sids alerted from this direction's stream */
	size_t nssid[2], capssid[2];
	struct txa *txa; /* (tx, sid) pairs alerted */
	size_t ntxa, captxa;
	struct pl_carry carry[CARRY_TXS]; /* the latest transactions, replaced round robin */
	unsigned carry_next;
};

/* The pending (not yet inspected) bytes of direction d's stream window. */
static const uint8_t *win_pending(const struct pl_flow *pf, int d)
{
	return pf->win[d] + pf->win_len[d] - pf->pend[d];
}

struct pl_pkt {
	uint64_t ts_ns;
	size_t nsids;     /* sids[0 .. nsids) */
	unsigned nalerts; /* alerts emitted for this packet (packet-alert-max) */
	bool drop, pass;
	bool bypass;            /* a bypass rule matched on this packet */
	uint32_t stream_events; /* raised by this packet (stream-event) */
	/* The packet's payload, for the payload options of app rules (borrowed). */
	const uint8_t *payload;
	size_t payload_len;
	bool to_server;
	/* The last stream chunk this packet appended to a window (on_data), and its direction. */
	const uint8_t *wsrc;
	size_t wlen;
	int wdir;
	/* Last: pl_pkt_init() leaves it as it is (read below nsids only). */
	uint32_t sids[PKT_SIDS];
};

/*
 * A packet's state, all zero but ts_ns, but for sids[]: clearing its 256
 * bytes as well (a `rep stos` for every packet) was 0.9 % of the run.
 */
static void pl_pkt_init(struct pl_pkt *pk, uint64_t ts_ns)
{
	memset(pk, 0, offsetof(struct pl_pkt, sids));
	pk->ts_ns = ts_ns;
}

/*
 * The flow is encrypted (app_flow_no_payload): payload and stream are no
 * longer inspected, from the packet whose data showed it on. (Suricata
 * flags the next packets at flow lookup, but the data of this one reaches
 * its detection only through the raw stream, which the flag disables.)
 */
static bool enc_flow(const struct ips_flow_rec *f)
{
	return f && f->app && app_flow_no_payload(f->app);
}

struct ips_pipeline {
	struct ips_pipeline_cfg cfg;
	struct ips_decoder dec;
	struct ips_defrag *df;
	struct ips_flow_table *ft;
	struct ips_stream_ctx *sc;
	struct app_ctx *actx;
	struct ips_expect_table *ex; /* FTP data connections announced, not yet seen */
	struct ips_xbits *xb;        /* xbits of hosts and host pairs (the threads borrow it) */
	struct ips_detect_thread *dt;
	struct ips_detect_thread *dts; /* stream runs: thresholds tracked apart */
	struct ips_stream_cb cb;
	struct ips_pipeline_stats st;
	uint64_t last_expire, last_ts;
	struct pl_pkt *cur; /* the packet being processed (for stream callbacks) */
	/* The payload prefilter hits of the current packet's run, for its stream runs. */
	struct ips_detect_hits hits;
	const uint8_t *hits_p; /* the packet payload they were found in; NULL: none */
	int hits_d;
	struct ips_bufv views[IPS_BUF__COUNT][MAX_VIEWS];
	struct ips_match m[MAX_MATCH];
	unsigned alert_max; /* alerts kept per packet */
	/* The inputs of the packet and the stream runs (run_input()). */
	struct ips_detect_input pin, sin;
};

const char *ips_drop_reason_name(enum ips_drop_reason r)
{
	/* Keys of the stats event's "drop" object and of the exit summary. */
	static const char *const names[IPS_DROP__COUNT] = {
	        [IPS_DROP_RULE] = "rules",
	        [IPS_DROP_FLOW] = "flow",
	        [IPS_DROP_DEFRAG] = "defrag",
	};
	return (unsigned)r < IPS_DROP__COUNT ? names[r] : "unknown";
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
	case APP_PROTO_SSH:
		return IPS_PROTO_SSH;
	case APP_PROTO_FTP:
		return IPS_PROTO_FTP;
	case APP_PROTO_FTP_DATA:
		return IPS_PROTO_FTP_DATA;
	case APP_PROTO_SMTP:
		return IPS_PROTO_SMTP;
	case APP_PROTO_MQTT:
		return IPS_PROTO_MQTT;
	case APP_PROTO_KRB5:
		return IPS_PROTO_KRB5;
	case APP_PROTO_MODBUS:
		return IPS_PROTO_MODBUS;
	case APP_PROTO_ENIP:
		return IPS_PROTO_ENIP;
	case APP_PROTO_IKE:
		return IPS_PROTO_IKE;
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
		ips_detect_carry_free(&pf->tcarry[d]);
	}
	free(pf->txa);
	for (int k = 0; k < CARRY_TXS; k++) {
		for (size_t i = 0; i < pf->carry[k].ncb; i++)
			ips_detect_carry_free(&pf->carry[k].cb[i].c);
		free(pf->carry[k].cb);
	}
	free(pf);
}

static bool carried(const struct ips_detect_input *in, int b)
{
	return in->bufs[b].v && in->bufs[b].n == 1 &&
	       !(b >= IPS_BUF_FILE_NAME && b <= IPS_BUF_FILE_SHA256);
}

/*
 * Points in's present single-view buffers at the prefilter progress of
 * (tx, d), so that a buffer is scanned once, not again from its start at
 * every update of the transaction. A transaction without a slot takes the
 * oldest one (whose transaction then starts over with a full scan: the
 * same result); a buffer without an entry (allocation failure) is scanned
 * whole.
 */
static void carry_attach(struct pl_flow *pf, struct ips_detect_input *in, uint64_t tx, int d,
                         uint32_t gen, const uint64_t *set)
{
	struct pl_carry *pc = NULL;
	for (int k = 0; k < CARRY_TXS && !pc; k++)
		if (pf->carry[k].used && pf->carry[k].tx == tx && pf->carry[k].d == d)
			pc = &pf->carry[k];
	if (!pc) {
		pc = &pf->carry[pf->carry_next];
		pf->carry_next = (pf->carry_next + 1) % CARRY_TXS;
		for (size_t i = 0; i < pc->ncb; i++)
			ips_detect_carry_free(&pc->cb[i].c);
		pc->ncb = 0;
		memset(pc->have, 0, sizeof(pc->have));
		pc->used = true;
		pc->tx = tx;
		pc->d = d;
		pc->gen = gen;
	} else if (pc->gen != gen) {
		/* A buffer was replaced, not grown: every carry starts over. */
		for (size_t i = 0; i < pc->ncb; i++) {
			pc->cb[i].c.n = 0;
			pc->cb[i].c.scanned = 0;
			pc->cb[i].inspected = 0;
		}
		pc->gen = gen;
	}
	/* Entries for the buffers new to this transaction (of those set), then the pointers. */
	for (size_t w = 0; w < IPS_BUF_WORDS; w++)
		for (uint64_t bits = set[w] & ~pc->have[w]; bits; bits &= bits - 1) {
			int b = (int)(w * 64) + __builtin_ctzll(bits);
			if (b == IPS_BUF_PAYLOAD || !carried(in, b))
				continue;
			if (pc->ncb == pc->capcb) {
				size_t nc = pc->capcb ? pc->capcb * 2 : 8;
				struct pl_cbuf *n = realloc(pc->cb, nc * sizeof(*n));
				if (!n)
					goto attach;
				pc->cb = n;
				pc->capcb = nc;
			}
			pc->cb[pc->ncb++] = (struct pl_cbuf){.b = (enum ips_buf)b};
			pc->have[w] |= bits & -bits;
		}
attach:
	for (size_t i = 0; i < pc->ncb; i++)
		if (carried(in, pc->cb[i].b))
			in->carry[pc->cb[i].b] = &pc->cb[i].c;
}

/* A body's inspected mark to move once its inspection ran. */
struct body_mark {
	struct pl_cbuf *cb;
	uint64_t len;
};

/*
 * Suricata's body inspection after the first: file.data from where the
 * last inspection ended, less an inspect window so that a match may cross
 * into the new data (HTTP: at least the window's worth, 16 KiB for
 * responses and 4 KiB for requests, or a quarter of it before the new data
 * when more than a window is new; the request body the same once more
 * than its 32 KiB minimal inspect size was inspected); other protocols'
 * file data from where the last inspection ended; no inspection of a body
 * with nothing new. The views become windows (ips_bufv.origin) and their
 * carries start there; returns the marks to move after the run.
 */
static size_t body_windows(struct ips_pipeline *pl, struct ips_detect_input *in,
                           const struct app_tx *tx, int d, struct body_mark *marks)
{
	static const enum ips_buf bodies[] = {IPS_BUF_FILE_DATA, IPS_BUF_HTTP_REQUEST_BODY};
	bool http = app_tx_proto(tx) == APP_PROTO_HTTP;
	uint64_t w = d == IPS_DIR_TO_CLIENT ? 16u << 10 : 4u << 10;
	size_t nm = 0;
	for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
		enum ips_buf b = bodies[i];
		if (!carried(in, (int)b) || !in->carry[b])
			continue;
		/* carry_attach pointed the buffer at its entry's carry. */
		struct pl_cbuf *cb =
		        (struct pl_cbuf *)((char *)in->carry[b] - offsetof(struct pl_cbuf, c));
		struct ips_bufv *v = &pl->views[b][0];
		uint64_t len = v->len, ins = cb->inspected, off = ins;
		if (ins >= len && ins > 0) { /* nothing new */
			in->bufs[b] = (struct ips_detect_buf){0};
			in->carry[b] = NULL;
			continue;
		}
		if (http) {
			bool win = b == IPS_BUF_FILE_DATA ? ins > 0 : ins > (32u << 10);
			uint64_t nw = len - ins;
			if (!win)
				off = 0;
			else if (nw < w)
				off = ins < w - nw ? 0 : ins - (w - nw);
			else
				off = ins >= w / 4 ? ins - w / 4 : 0;
		}
		v->p += off;
		v->len -= (size_t)off;
		v->origin = off;
		cb->c.base = off;
		marks[nm++] = (struct body_mark){cb, len};
	}
	return nm;
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
		struct app_expect e;
		uint64_t now = pl->cur ? pl->cur->ts_ns : f->last_ns;
		/* A data connection an FTP control flow announced is ftp-data from its start. */
		if (l4 == APP_L4_TCP &&
		    ips_expect_take(pl->ex, f->ip_version, f->cli, f->srv, f->srv_port, now, &e)) {
			if (app_flow_new_ftp_data(&af, pl->actx, &e) != 0)
				return NULL;
		} else if (app_flow_new(&af, pl->actx, l4) != 0) {
			return NULL;
		}
		app_flow_set_ports(af, f->cli_port, f->srv_port);
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

/*
 * The input of a packet or stream run: the pipeline's own, whose fields
 * before the buffer arrays are cleared here and whose arrays stay zero but
 * for what a run sets (input_headers: the header buffers; inspect_stream:
 * the payload carry) and run_input_done() clears again. Clearing the whole
 * 2.2 KiB input for every run took 1 to 2 % of the packet path.
 */
static struct ips_detect_input *run_input(struct ips_detect_input *in)
{
	memset(in, 0, offsetof(struct ips_detect_input, bufs));
	return in;
}

static void run_input_done(struct ips_detect_input *in)
{
	static const enum ips_buf set[] = {IPS_BUF_TCP_HDR, IPS_BUF_UDP_HDR, IPS_BUF_ICMPV6_HDR};
	for (size_t i = 0; i < sizeof(set) / sizeof(set[0]); i++)
		in->bufs[set[i]] = (struct ips_detect_buf){0};
	in->carry[IPS_BUF_PAYLOAD] = NULL;
#ifndef NDEBUG
	for (int b = 0; b < IPS_BUF__COUNT; b++)
		assert(!in->bufs[b].v && !in->bufs[b].n && !in->carry[b]);
#endif
}

/* Fills in from flow f; in is clear (memset, or run_input()). */
static void input_from_flow(struct ips_detect_input *in, const struct ips_flow_rec *f,
                            bool to_server)
{
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
	in->has_flow_age = true;
	in->flow_age = (uint32_t)((f->last_ns - f->start_ns) / 1000000000ull);
	struct pl_flow *pf = f->det;
	in->flowbits = pf ? &pf->fb : NULL;
	in->flowints = pf ? &pf->fi : NULL;
	/* Stream and transaction runs never alert from IP-only rules (header rules). */
	in->iponly_done = true;
}

/* Checksum state of the packet's transport header. */
static uint8_t l4_csum_state(const struct ips_packet *p)
{
	if (p->l4proto != 6 && p->l4proto != 17 && p->l4proto != 1 && p->l4proto != 58)
		return IPS_CSUM_NA;
	if (p->flags & IPS_PKT_L4_CSUM_SKIP)
		return IPS_CSUM_SKIPPED;
	return (p->flags & IPS_PKT_L4_CSUM_BAD) ? IPS_CSUM_BAD : IPS_CSUM_OK;
}

/* Events, header details and header buffers of a packet run. */
static void input_headers(struct ips_detect_input *in, const struct ips_packet *p,
                          const struct ips_ip *ip)
{
	in->events = p->events;
	in->n_events = p->n_events;
	if (ip && ip->version == 4) {
		in->ipopts = ip->ipv4_opts;
		in->ipv4_csum = (p->flags & IPS_PKT_IPV4_CSUM_BAD) ? IPS_CSUM_BAD : IPS_CSUM_OK;
	}
	in->l4_csum = l4_csum_state(p);
	if (!p->l4)
		return;
	if (p->l4proto == 6 && p->tcp.hlen) {
		in->hdrv[0] = (struct ips_bufv){.p = p->l4, .len = p->tcp.hlen};
		ips_detect_set_buf(in, IPS_BUF_TCP_HDR, &in->hdrv[0]);
	} else if (p->l4proto == 17) {
		in->hdrv[1] = (struct ips_bufv){.p = p->l4, .len = 8};
		ips_detect_set_buf(in, IPS_BUF_UDP_HDR, &in->hdrv[1]);
	} else if (p->l4proto == 58) {
		in->hdrv[2] = (struct ips_bufv){.p = p->l4, .len = 8};
		ips_detect_set_buf(in, IPS_BUF_ICMPV6_HDR, &in->hdrv[2]);
		/* RFC 4443 3.2: packet too big carries the MTU in the second word. */
		if (p->icmp.type == 2 && p->icmp.code == 0) {
			in->has_mtu = true;
			in->mtu = p->icmp.rest;
		}
	}
}

static void input_from_packet(struct ips_detect_input *in, const struct ips_packet *p,
                              const struct ips_flow_rec *f, bool to_server, uint64_t ts_ns)
{
	const struct ips_ip *ip = ips_packet_ip(p);
	if (f)
		input_from_flow(in, f, to_server);
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
	input_headers(in, p, ip);
}

/* ---- alerts ---- */

static void emit(struct ips_pipeline *pl, const struct ips_match *m,
                 const struct ips_detect_input *in, const struct ips_flow_rec *f,
                 const struct app_tx *tx, const char *origin)
{
	const struct ips_rule *r = m->rule;
	struct pl_pkt *pk = pl->cur;
	struct ips_alert a = {0};

	struct pl_flow *pf = f ? f->det : NULL;
	/*
	 * Suricata applies a pass or drop to the flow for flow-wide rules and
	 * for matches in the stream or a transaction; the first to set the
	 * flow's action wins. Otherwise it acts on this packet alone.
	 */
	bool to_flow = pf && (strcmp(origin, "packet") != 0 || ips_rule_flow_wide(r));

	if (pk && pk->nsids < PKT_SIDS)
		pk->sids[pk->nsids++] = r->sid;
	/* bypass: see bypass_update(); the rest of this packet's inspection still runs. */
	if (r->bypass && pk)
		pk->bypass = true;
	if (m->action == IPS_ACT_PASS) {
		if (pk)
			pk->pass = true;
		if (to_flow && !pf->drop)
			pf->pass = true;
		return;
	}
	if (m->action != IPS_ACT_ALERT && pk)
		pk->drop = true;
	if (m->action != IPS_ACT_ALERT && to_flow && !pf->pass)
		pf->drop = true;
	if (pk && pk->nalerts >= pl->alert_max) {
		pl->st.alerts_dropped++;
		return;
	}
	if (pk)
		pk->nalerts++;
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

/*
 * bypass (Suricata's local bypass, as offline): once a bypass rule matched,
 * the flow's later packets are not inspected. Over TCP, Suricata in IDS
 * mode inspects a direction's data (stream and app layer) when the other
 * side acknowledges it, so the bypass of a match on data sent one way
 * takes effect after the next packet the other way: that packet's
 * inspection, which in Suricata is the one that matched, still runs.
 */
static void bypass_update(struct ips_pipeline *pl, struct pl_flow *pf, const struct pl_pkt *pk,
                          bool tcp)
{
	int d = pk->to_server ? 0 : 1;
	if (pf->bypass)
		return;
	if (pf->bypass_dir != 0 && pf->bypass_dir != d + 1) {
		pf->bypass = true;
	} else if (pk->bypass) {
		if (tcp)
			pf->bypass_dir = (uint8_t)(d + 1);
		else
			pf->bypass = true;
	}
	if (pf->bypass) {
		pl->st.bypassed++;
		pf->pass = true;
	}
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
	struct ips_detect_input *in = run_input(&pl->pin);
	struct pl_flow *pf = f ? f->det : NULL;
	int d = to_server ? IPS_DIR_TO_SERVER : IPS_DIR_TO_CLIENT;
	input_from_packet(in, p, f, to_server, pl->cur->ts_ns);
	/* Suricata's IP-only engine: the first packet of each flow direction only. */
	in->iponly_done = pf && pf->iponly[d];
	if (enc_flow(f)) { /* dsize still sees the packet's size */
		in->payload = NULL;
		in->payload_len = 0;
	} else if (f && f->proto == 6 && p->payload_len) {
		in->hits_out = &pl->hits;
		pl->hits.valid = false;
		/*
		 * The payload as the stream window's new bytes, when they are
		 * (in order, no other data pending): its scan then covers the
		 * seam the stream run would scan (payload_pre).
		 */
		if (pf && pf->pend[d] == p->payload_len && pf->win_len[d] >= pf->pend[d]) {
			const uint8_t *nb = win_pending(pf, d);
			/* Pending is exactly the chunk this packet's payload appended: equal. */
			const struct pl_pkt *pk = pl->cur;
			bool appended = pk->wsrc == p->payload && pk->wlen == p->payload_len &&
			                pk->wdir == d;
			if (appended || memcmp(nb, p->payload, p->payload_len) == 0) {
				in->payload = nb;
				in->payload_pre = pf->win_len[d] - pf->pend[d];
			}
		}
	}
	in->stream_events = pl->cur->stream_events;
	in->pkt_bufs_only = true; /* input_headers() sets the header buffers only */
	size_t n = run(pl, in, 0);
	if (pf)
		pf->iponly[d] = true;
	if (in->hits_out && pl->hits.valid && pl->hits.len == p->payload_len) {
		pl->hits_p = in->payload;
		pl->hits_d = d;
	}
	for (size_t i = 0; i < n; i++) {
		const struct ips_match *m = &pl->m[i];
		if (ips_rule_kind(m->rule) == IPS_RK_APP || pkt_has_sid(pl->cur, m->rule->sid))
			continue;
		if (pf && f->proto == 6 && !u32_has(pf->ssid[d], pf->nssid[d], m->rule->sid))
			u32_add(&pf->ssid[d], &pf->nssid[d], &pf->capssid[d], m->rule->sid);
		emit(pl, m, in, f, NULL, "packet");
	}
	run_input_done(in);
}

static void skip_stream(struct pl_flow *pf, int d);

/* Inspects the pending stream bytes of one direction, then keeps the tail. */
static void inspect_stream(struct ips_pipeline *pl, struct ips_flow_rec *f, int d)
{
	struct pl_flow *pf = f->det;
	if (!pf || !pf->pend[d])
		return;
	if (pl->cfg.engine && !enc_flow(f) && !pf->pass && !(pl->cur && pl->cur->pass)) {
		struct ips_detect_input *in = run_input(&pl->sin);
		input_from_flow(in, f, d == IPS_DIR_TO_SERVER);
		in->payload = pf->win[d];
		in->payload_len = pf->win_len[d];
		in->dsize = pf->pend[d];
		in->is_stream = true;
		in->pkt_bufs_only = true; /* no buffer at all */
		/* The tail was scanned by the previous runs: only new bytes are. */
		pf->scarry[d].base = pf->wpos[d] - pf->win_len[d];
		in->carry[IPS_BUF_PAYLOAD] = &pf->scarry[d];
		/* New bytes that are this packet's payload were scanned by its packet run. */
		const uint8_t *nb = win_pending(pf, d);
		if (pl->hits_p && pl->hits_d == d && pf->pend[d] == pl->hits.len &&
		    (nb == pl->hits_p || memcmp(nb, pl->hits_p, pf->pend[d]) == 0))
			in->hits_in = &pl->hits;
		in->ts_usec = (pl->cur ? pl->cur->ts_ns : f->last_ns) / 1000;
		size_t n = run(pl, in, 1);
		for (size_t i = 0; i < n; i++) {
			const struct ips_match *m = &pl->m[i];
			if (m->action != IPS_ACT_PASS &&
			    (ips_rule_kind(m->rule) != IPS_RK_PAYLOAD || m->rule->threshold))
				continue;
			if (pkt_has_sid(pl->cur, m->rule->sid) ||
			    u32_has(pf->ssid[d], pf->nssid[d], m->rule->sid))
				continue;
			u32_add(&pf->ssid[d], &pf->nssid[d], &pf->capssid[d], m->rule->sid);
			emit(pl, m, in, f, NULL, "stream");
		}
		run_input_done(in);
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

static bool txa_has(const struct pl_flow *pf, uint64_t tx, int d, const struct ips_rule *r,
                    uint32_t file)
{
	for (size_t i = 0; i < pf->ntxa; i++)
		if (pf->txa[i].tx == tx && pf->txa[i].sid == r->sid && pf->txa[i].gid == r->gid &&
		    pf->txa[i].d == d && pf->txa[i].file == file)
			return true;
	return false;
}

static void txa_add(struct pl_flow *pf, uint64_t tx, int d, const struct ips_rule *r, uint32_t file)
{
	if (pf->ntxa == pf->captxa) {
		size_t nc = pf->captxa ? pf->captxa * 2 : 8;
		struct txa *nv = realloc(pf->txa, nc * sizeof(*nv));
		if (!nv)
			return;
		pf->txa = nv;
		pf->captxa = nc;
	}
	pf->txa[pf->ntxa++] = (struct txa){tx, r->sid, r->gid, d, file};
}

/* Whether a rule inspects a file (its name, magic, digests or size): it alerts per file. */
static bool rule_on_file(const struct ips_rule *r)
{
	for (size_t i = 0; i < r->nopts; i++) {
		const struct ips_opt *o = &r->opts[i];
		if (o->kw == IPS_KW_FILESIZE ||
		    (o->buf >= IPS_BUF_FILE_NAME && o->buf <= IPS_BUF_FILE_SHA256))
			return true;
	}
	return false;
}

struct fill_ctx {
	struct ips_pipeline *pl;
	struct ips_detect_input *in;
	uint64_t *set; /* IPS_BUF_WORDS: bit b, buffer b was set */
};

static void fill_one(void *arg, enum ips_buf b, size_t k, const uint8_t *p, size_t len)
{
	struct fill_ctx *c = arg;
	c->pl->views[b][k] = (struct ips_bufv){.p = p, .len = len};
	c->in->bufs[b].v = c->pl->views[b];
	c->in->bufs[b].n = k + 1;
	c->set[b / 64] |= 1ull << (b % 64);
}

/*
 * The buffers of tx in dir; in's are all absent before (input_from_flow).
 * set (IPS_BUF_WORDS, zeroed) gets a bit per buffer set.
 */
static void fill_bufs(struct ips_pipeline *pl, struct ips_detect_input *in, const struct app_tx *tx,
                      enum app_dir dir, uint64_t *set)
{
	struct fill_ctx c = {pl, in, set};
	app_tx_buf_each(tx, dir, MAX_VIEWS, fill_one, &c);
	if (app_tx_body_held(tx, dir)) {
		static const enum ips_buf body[] = {IPS_BUF_HTTP_REQUEST_BODY,
		                                    IPS_BUF_HTTP_RESPONSE_BODY, IPS_BUF_FILE_DATA};
		for (size_t i = 0; i < sizeof(body) / sizeof(body[0]); i++)
			in->bufs[body[i]] = (struct ips_detect_buf){0};
	}
}

/* Points in's file.* buffers at file k of tx only. */
static void file_bufs(struct ips_pipeline *pl, struct ips_detect_input *in, const struct app_tx *tx,
                      enum app_dir dir, size_t k)
{
	for (int b = IPS_BUF_FILE_NAME; b <= IPS_BUF_FILE_SHA256; b++) {
		const uint8_t *p;
		size_t len;
		bool have = app_tx_file_buf(tx, dir, k, (enum ips_buf)b, &p, &len) == 0;
		if (have)
			pl->views[b][0] =
			        (struct ips_bufv){.p = p ? p : (const uint8_t *)"", .len = len};
		in->bufs[b].v = have ? pl->views[b] : NULL;
		in->bufs[b].n = have ? 1 : 0;
	}
}

/* Inspects the transactions updated in direction d with the rules of that direction. */
static void inspect_txs_dir(struct ips_pipeline *pl, struct ips_flow_rec *f, int d)
{
	struct app_flow *af = f->app;
	struct pl_flow *pf = f->det;
	for (struct app_tx *tx = app_flow_tx_first(af); tx; tx = app_tx_next(tx)) {
		if (!app_tx_updated(tx, (enum app_dir)d))
			continue;
		struct ips_detect_input in;
		memset(&in, 0, sizeof(in));
		input_from_flow(&in, f, d == IPS_DIR_TO_SERVER);
		in.ts_usec = (pl->cur ? pl->cur->ts_ns : f->last_ns) / 1000;
		uint64_t set[IPS_BUF_WORDS] = {0};
		fill_bufs(pl, &in, tx, (enum app_dir)d, set);
		in.app_tx = tx;
		in.app_events = app_tx_event_bits(tx);
		struct ips_dce_call dce;
		if (app_tx_dce(tx, &dce))
			in.dce = &dce;
		int op = app_tx_dns_opcode(tx);
		if (op >= 0) {
			in.has_dns_opcode = true;
			in.dns_opcode = (uint8_t)op;
		}
		/*
		 * A rule with payload and app options (Suricata allows the mix)
		 * sees the payload of the packet that brought this direction's
		 * data, as Suricata's inspection of the packet and its
		 * transactions in one pass does; over TCP, the recent stream
		 * (the window: its inspected tail and this data), as Suricata
		 * matches such options on the raw stream. A body inspected once
		 * complete (app_tx_body_held) may hold its match in an earlier
		 * segment.
		 */
		if (pl->cur && pl->cur->payload && pl->cur->to_server == (d == IPS_DIR_TO_SERVER) &&
		    !enc_flow(f)) {
			in.payload = pl->cur->payload;
			in.payload_len = pl->cur->payload_len;
			in.dsize = in.payload_len;
			if (f->proto == 6 && pf && pf->win_len[d]) {
				in.payload = pf->win[d];
				in.payload_len = pf->win_len[d];
				/* Only the bytes new to the window are scanned again. */
				pf->tcarry[d].base = pf->wpos[d] - pf->win_len[d];
				in.carry[IPS_BUF_PAYLOAD] = &pf->tcarry[d];
			}
		}
		uint64_t id = app_tx_id(tx);
		carry_attach(pf, &in, id, d, app_tx_buf_gen(tx, (enum app_dir)d), set);
		/*
		 * Suricata inspects file rules once per file (a multipart upload
		 * carries several) and alerts per file: with more than one file,
		 * one run per file with that file's buffers.
		 */
		size_t nf = app_tx_nfiles(tx, (enum app_dir)d), nm = 0;
		struct body_mark marks[2];
		if (nf <= 1)
			nm = body_windows(pl, &in, tx, d, marks);
		for (size_t k = 0; k < (nf > 1 ? nf : 1); k++) {
			const struct app_file_info *fi =
			        nf > 1 ? app_tx_file_at(tx, (enum app_dir)d, k)
			               : app_tx_file(tx, (enum app_dir)d);
			if (nf > 1)
				file_bufs(pl, &in, tx, (enum app_dir)d, k);
			in.file_present = fi != NULL;
			in.file_complete = fi && fi->complete;
			in.file_size = fi ? fi->size : 0;
			size_t n = run(pl, &in, 2);
			for (size_t i = 0; i < n; i++) {
				const struct ips_match *m = &pl->m[i];
				if (m->action != IPS_ACT_PASS &&
				    ips_rule_kind(m->rule) != IPS_RK_APP)
					continue;
				uint32_t fk = rule_on_file(m->rule) ? (uint32_t)k + 1 : 0;
				if (txa_has(pf, id, d, m->rule, fk))
					continue;
				txa_add(pf, id, d, m->rule, fk);
				emit(pl, m, &in, f, tx, "tx");
			}
		}
		for (size_t i = 0; i < nm; i++)
			marks[i].cb->inspected = marks[i].len;
	}
}

/*
 * Inspects the transactions updated by feeding direction d, in d and then
 * in the other direction (a parser may update both: ftp-data exposes its
 * command to both sides whichever way the file goes, as Suricata inspects
 * it on the other side's ACKs), then acknowledges them. The FTP
 * expectations the feed produced go to the expectation table.
 */
static void inspect_txs(struct ips_pipeline *pl, struct ips_flow_rec *f, int d)
{
	struct app_flow *af = f->app;
	struct pl_flow *pf = f->det;
	struct app_expect e;
	if (!af)
		return;
	while (app_flow_expect_take(af, &e))
		ips_expect_add(pl->ex, f->ip_version, f->cli, f->srv, &e,
		               pl->cur ? pl->cur->ts_ns : f->last_ns);
	if (pl->cfg.engine && pf && !pf->pass && !(pl->cur && pl->cur->pass)) {
		inspect_txs_dir(pl, f, d);
		inspect_txs_dir(pl, f, d ^ 1);
	}
	app_flow_tx_ack(af);
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
		if (pf && pl->cfg.engine && !enc_flow(f)) {
			size_t before = pf->pend[d];
			win_append(pf, d, c->data, c->len);
			if (pl->cur && pf->pend[d] == before + c->len) {
				pl->cur->wsrc = c->data;
				pl->cur->wlen = c->len;
				pl->cur->wdir = d;
			}
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
	struct pl_pkt end;
	pl_pkt_init(&end, f->last_ns);

	/* An ending flow is inspected on its own (it may end in another packet's lookup). */
	pl->cur = &end;
	ips_stream_flush(f, &pl->cb, pl);
	if (f->proto == 6 && f->det) {
		inspect_stream(pl, f, IPS_DIR_TO_SERVER);
		inspect_stream(pl, f, IPS_DIR_TO_CLIENT);
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
	struct app_cfg acfg;
	int r = BW_ERR_NOMEM;

	*out = NULL;
	if (!pl)
		return BW_ERR_NOMEM;
	pl->cfg = *cfg;
	pl->alert_max = cfg->alert_max ? cfg->alert_max : ALERT_MAX_DEFAULT;
	pl->dec.esp_hook = cfg->esp_hook;
	pl->cb.data = on_data;
	ips_flow_cfg_default(&fc);
	fc.on_end = on_end;
	fc.arg = pl;
	ips_stream_cfg_default(&scfg);
	scfg.midstream = cfg->midstream;
	scfg.async_oneside = cfg->async_oneside;
	pl->df = ips_defrag_new(NULL);
	pl->ft = ips_flow_table_new(&fc);
	pl->sc = ips_stream_ctx_new(&scfg);
	if (!pl->df || !pl->ft || !pl->sc)
		goto out;
	app_cfg_default(&acfg);
	if (cfg->http_decompress_layers)
		acfg.http_decompress_layers = cfg->http_decompress_layers;
	/* Files compute only what the rules ask for (digests cost). */
	unsigned need = ips_detect_file_needs(cfg->engine);
	acfg.file_needs = (need & IPS_DETECT_FILE_MD5 ? APP_FILE_NEED_MD5 : 0) |
	                  (need & IPS_DETECT_FILE_SHA1 ? APP_FILE_NEED_SHA1 : 0) |
	                  (need & IPS_DETECT_FILE_SHA256 ? APP_FILE_NEED_SHA256 : 0) |
	                  (need & IPS_DETECT_FILE_MAGIC ? APP_FILE_NEED_MAGIC : 0);
	acfg.frames = (need & IPS_DETECT_FRAMES) != 0;
	if (cfg->mqtt_max_msg)
		acfg.mqtt_max_msg = cfg->mqtt_max_msg;
	for (int d = 0; d < 2; d++)
		if (cfg->has_http_body_limit[d])
			acfg.http_body_limit[d] = cfg->http_body_limit[d];
	if ((r = app_ctx_new(&pl->actx, &acfg)) != 0)
		goto out;
	r = BW_ERR_NOMEM;
	if ((pl->ex = ips_expect_new(EXPECT_MAX, EXPECT_TTL_NS)) == NULL)
		goto out;
	if (cfg->engine && ((r = ips_detect_thread_new(cfg->engine, &pl->dt)) != 0 ||
	                    (r = ips_detect_thread_new(cfg->engine, &pl->dts)) != 0))
		goto out;
	r = BW_ERR_NOMEM;
	if ((pl->xb = ips_xbits_new(0)) == NULL)
		goto out;
	if (pl->dt) {
		ips_detect_thread_set_xbits(pl->dt, pl->xb);
		ips_detect_thread_set_xbits(pl->dts, pl->xb);
	}
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
	ips_detect_hits_free(&pl->hits);
	app_ctx_free(pl->actx);
	ips_expect_free(pl->ex);
	ips_xbits_free(pl->xb);
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

/*
 * Out of line even with link-time optimisation (one call per packet), so
 * that profiles can take the packet path alone: callgrind
 * --toggle-collect=ips_pipeline_packet, as docs/PERFORMANCE.md's
 * instruction counts do.
 */
__attribute__((noinline)) int ips_pipeline_packet(struct ips_pipeline *pl, const uint8_t *data,
                                                  size_t len, int linktype, uint64_t ts_ns)
{
	struct ips_packet p;
	struct ips_dgram *g = NULL;
	struct pl_pkt pk;
	struct ips_flow_rec *f = NULL;
	bool to_server = true;

	pl_pkt_init(&pk, ts_ns);
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
	pk.payload = p.payload;
	pk.payload_len = p.payload ? p.payload_len : 0;
	pk.to_server = to_server;
	if (f && p.l4proto == 6)
		ips_stream_packet(pl->sc, f, &p, to_server, ts_ns, &pl->cb, pl, &pk.stream_events);
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
	if (pk.pass)
		pl->st.passed++;
	if (pf)
		bypass_update(pl, pf, &pk, f->proto == 6);
	if (pk.drop)
		pl->st.drops[IPS_DROP_RULE]++;
out:
	pl->cur = NULL;
	pl->hits_p = NULL;
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
