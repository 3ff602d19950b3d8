/* SPDX-License-Identifier: ISC */
/*
 * TCP stream tracking and reassembly for the IPS (see stream.h): the
 * handshake of RFC 9293 3.5, sequence arithmetic modulo 2^32 (RFC 9293
 * 3.4), RST acceptance inside the window (RFC 5961 3), first-wins overlap
 * handling over a sorted queue of disjoint out-of-order pieces, ACK-driven
 * gap detection for capture loss, the reassembly depth and memory caps.
 */
#include <stdlib.h>
#include <string.h>

#include "ips/stream.h"
#include "lib/err.h"

enum {
	F_FIN = 0x01,
	F_SYN = 0x02,
	F_RST = 0x04,
	F_ACK = 0x10,
	/* Data further ahead than this from the next expected byte is not
	 * believed (RFC 7323's largest window is 2^30). */
	WINDOW_MAX = 1 << 30,
	RST_WINDOW_MIN = 65535,
};

#define SEQ_LT(a, b)  ((int32_t)((uint32_t)(a) - (uint32_t)(b)) < 0)
#define SEQ_LEQ(a, b) ((int32_t)((uint32_t)(a) - (uint32_t)(b)) <= 0)
#define SEQ_GT(a, b)  SEQ_LT(b, a)
#define SEQ_GEQ(a, b) SEQ_LEQ(b, a)

/* One queued piece; pieces of a queue are disjoint and sorted. */
struct seg {
	struct seg *next;
	uint32_t seq;
	uint32_t len;
	uint8_t data[];
};

/* One direction: the sender's byte stream. */
struct half {
	bool init; /* next is known */
	bool fin, eof, depth_done, started, has_ws;
	bool has_ts;     /* the SYN carried a timestamp (RFC 7323 3) */
	bool rst_unsure; /* a RST with TCP-MD5/TCP-AO came from this side: not applied */
	uint8_t ws;
	uint32_t syn_ts; /* its TSval */
	uint32_t isn, next, max_end, fin_seq, win;
	uint64_t offset; /* stream offset of `next` */
	uint64_t delivered, gap_bytes, rx_bytes;
	struct seg *q;
	size_t q_mem, q_data;
};

struct ips_tcp_ssn {
	struct ips_stream_ctx *ctx;
	uint8_t state;   /* enum ips_tcp_state */
	uint8_t syn_dir; /* direction of the SYN sender */
	bool midstream;
	bool established; /* reached ESTABLISHED once */
	bool tfo;         /* the SYN carried a TCP Fast Open option (RFC 7413) */
	uint32_t events;
	struct half h[2];
};

struct ips_stream_ctx {
	struct ips_stream_cfg cfg;
	struct ips_stream_stats st;
};

/* Everything one call works with. */
struct run {
	struct ips_stream_ctx *ctx;
	struct ips_tcp_ssn *s;
	struct ips_flow_rec *f;
	const struct ips_stream_cb *cb;
	void *arg;
	uint32_t ev;
};

static const char *const ev_names[IPS_SEV__COUNT] = {
#define IPS_SEV_NAME(n, s) s,
        IPS_STREAM_EVENTS(IPS_SEV_NAME)
#undef IPS_SEV_NAME
};

static const char *const st_names[] = {"none",        "syn_sent", "syn_recv",
                                       "established", "closing",  "closed"};

const char *ips_stream_event_name(int ev)
{
	return ev >= 0 && ev < IPS_SEV__COUNT ? ev_names[ev] : "unknown";
}

const char *ips_tcp_state_name(int st)
{
	return st >= 0 && st <= IPS_TCP_CLOSED ? st_names[st] : "unknown";
}

void ips_stream_cfg_default(struct ips_stream_cfg *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->memcap = (size_t)256 << 20;
	cfg->queue_cap = (size_t)1 << 20;
	cfg->depth = (uint64_t)1 << 20;
	cfg->midstream = false;
}

struct ips_stream_ctx *ips_stream_ctx_new(const struct ips_stream_cfg *cfg)
{
	struct ips_stream_ctx *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return NULL;
	if (cfg)
		c->cfg = *cfg;
	else
		ips_stream_cfg_default(&c->cfg);
	return c;
}

void ips_stream_ctx_free(struct ips_stream_ctx *ctx)
{
	free(ctx);
}

const struct ips_stream_stats *ips_stream_ctx_stats(const struct ips_stream_ctx *ctx)
{
	return &ctx->st;
}

/* ---- memory ---- */

static bool mem_take(struct ips_stream_ctx *c, size_t n)
{
	if (n > c->cfg.memcap || c->st.mem > c->cfg.memcap - n)
		return false;
	c->st.mem += n;
	if (c->st.mem > c->st.mem_peak)
		c->st.mem_peak = c->st.mem;
	return true;
}

static void mem_give(struct ips_stream_ctx *c, size_t n)
{
	c->st.mem = n > c->st.mem ? 0 : c->st.mem - n;
}

static void seg_free(struct ips_stream_ctx *c, struct half *h, struct seg *g)
{
	size_t m = sizeof(*g) + g->len;

	mem_give(c, m);
	h->q_mem -= m;
	h->q_data -= g->len;
	free(g);
}

static void queue_free(struct ips_stream_ctx *c, struct half *h)
{
	while (h->q) {
		struct seg *g = h->q;

		h->q = g->next;
		seg_free(c, h, g);
	}
}

void ips_stream_ssn_free(struct ips_tcp_ssn *s)
{
	if (s == NULL)
		return;
	queue_free(s->ctx, &s->h[0]);
	queue_free(s->ctx, &s->h[1]);
	mem_give(s->ctx, sizeof(*s));
	free(s);
}

/* ---- events and delivery ---- */

static void raise_ev(struct run *r, enum ips_stream_event ev)
{
	r->ev |= 1u << ev;
	r->s->events |= 1u << ev;
	r->ctx->st.events[ev]++;
}

static void emit(struct run *r, unsigned dir, const struct ips_stream_chunk *c)
{
	if (r->cb && r->cb->data)
		r->cb->data(r->arg, r->f, dir == IPS_DIR_TO_SERVER, c);
}

/* Hands len bytes (after a gap of `gap` bytes) of direction dir to the
 * consumer, honouring the depth. The caller advances `next`. */
static void deliver(struct run *r, unsigned dir, const uint8_t *data, size_t len, uint64_t gap)
{
	struct half *h = &r->s->h[dir];
	uint64_t depth = r->ctx->cfg.depth;
	struct ips_stream_chunk c = {0};

	if (h->eof || h->depth_done)
		return;
	if (gap) {
		c.flags |= IPS_STREAM_GAP;
		c.gap = gap;
		h->gap_bytes += gap;
		h->offset += gap;
		r->ctx->st.gaps++;
		raise_ev(r, IPS_SEV_GAP);
	}
	if (depth && h->offset + len >= depth) {
		len = h->offset < depth ? (size_t)(depth - h->offset) : 0;
		c.flags |= IPS_STREAM_DEPTH;
		h->depth_done = true;
		raise_ev(r, IPS_SEV_DEPTH);
	}
	if (!h->started && (len || c.flags)) {
		c.flags |= IPS_STREAM_START;
		h->started = true;
	}
	c.data = len ? data : NULL;
	c.len = len;
	c.offset = h->offset;
	h->offset += len;
	h->delivered += len;
	r->ctx->st.delivered += len;
	if (len || c.flags)
		emit(r, dir, &c);
	if (h->depth_done)
		queue_free(r->ctx, h);
}

static void send_eof(struct run *r, unsigned dir)
{
	struct half *h = &r->s->h[dir];
	struct ips_stream_chunk c = {.offset = h->offset, .flags = IPS_STREAM_EOF};

	if (h->eof)
		return;
	h->eof = true;
	queue_free(r->ctx, h);
	emit(r, dir, &c);
}

/* Delivers queued pieces that became contiguous, then a due FIN's EOF. */
static void drain(struct run *r, unsigned dir)
{
	struct half *h = &r->s->h[dir];

	while (h->q && SEQ_LEQ(h->q->seq, h->next) && !h->eof && !h->depth_done) {
		struct seg *g = h->q;
		uint32_t end = g->seq + g->len;

		h->q = g->next;
		if (SEQ_GT(end, h->next)) {
			uint32_t skip = h->next - g->seq;

			deliver(r, dir, g->data + skip, g->len - skip, 0);
			h->next = end;
		}
		seg_free(r->ctx, h, g);
	}
	if (h->fin && !h->eof && SEQ_GEQ(h->next, h->fin_seq))
		send_eof(r, dir);
}

/* Skips the hole up to target (a gap), then drains. */
static void skip_to(struct run *r, unsigned dir, uint32_t target)
{
	struct half *h = &r->s->h[dir];

	if (SEQ_GT(target, h->next) && !h->eof && !h->depth_done) {
		uint32_t gap = target - h->next;

		h->next = target;
		deliver(r, dir, NULL, 0, gap);
	}
	drain(r, dir);
}

/* Inserts [seq, seq+len) keeping held bytes (first wins). BW_ERR_LIMIT when
 * a piece does not fit the caps (pieces inserted before it stay). */
static int queue_insert(struct run *r, unsigned dir, uint32_t seq, const uint8_t *d, uint32_t len)
{
	struct half *h = &r->s->h[dir];
	struct seg **pp = &h->q;
	uint32_t cur = seq, end = seq + len;
	bool overlap = false, differ = false;
	int rc = 0;

	while (SEQ_LT(cur, end)) {
		struct seg *q;
		uint32_t pend;

		while (*pp && SEQ_LEQ((*pp)->seq + (*pp)->len, cur))
			pp = &(*pp)->next;
		q = *pp;
		if (q == NULL || SEQ_GT(q->seq, cur)) {
			/* A hole in the queue: [cur, pend) is new. */
			pend = (q == NULL || SEQ_GEQ(q->seq, end)) ? end : q->seq;
			size_t n = pend - cur, need = sizeof(struct seg) + n;
			struct seg *g;

			if (h->q_mem + need > r->ctx->cfg.queue_cap || !mem_take(r->ctx, need)) {
				rc = BW_ERR_LIMIT;
				break;
			}
			if ((g = malloc(need)) == NULL) {
				mem_give(r->ctx, need);
				rc = BW_ERR_NOMEM;
				break;
			}
			g->seq = cur;
			g->len = (uint32_t)n;
			memcpy(g->data, d + (cur - seq), n);
			g->next = q;
			*pp = g;
			pp = &g->next;
			h->q_mem += need;
			h->q_data += n;
			r->ctx->st.queued++;
			cur = pend;
			continue;
		}
		/* q holds cur: its bytes win; compare the overlap. */
		pend = SEQ_LT(q->seq + q->len, end) ? q->seq + q->len : end;
		overlap = true;
		if (memcmp(d + (cur - seq), q->data + (cur - q->seq), pend - cur) != 0)
			differ = true;
		cur = pend;
		pp = &q->next;
	}
	if (overlap)
		r->ctx->st.overlaps++;
	if (differ) {
		r->ctx->st.overlap_diff++;
		raise_ev(r, IPS_SEV_OVERLAP_DIFF);
	}
	return rc;
}

/* Payload (and FIN) of direction dir starting at seq. */
static void seg_data(struct run *r, unsigned dir, uint32_t seq, const uint8_t *d, size_t len,
                     bool fin)
{
	struct half *h = &r->s->h[dir];
	uint32_t end;

	if (!h->init)
		return;
	if (len > 0xffff)
		len = 0xffff; /* an IP datagram never carries more */
	if (len) {
		r->ctx->st.segments++;
		h->rx_bytes += len;
	}
	end = seq + (uint32_t)len;
	if (SEQ_GT(end + (fin ? 1 : 0), h->max_end))
		h->max_end = end + (fin ? 1 : 0);
	if (h->fin && len && SEQ_GT(end, h->fin_seq)) {
		/* Bytes past an earlier FIN (RFC 9293 3.10.7.4: none may follow). */
		raise_ev(r, IPS_SEV_DATA_AFTER_FIN);
		if (SEQ_GEQ(seq, h->fin_seq))
			return;
		len = h->fin_seq - seq;
		end = h->fin_seq;
	}
	if (fin && !h->fin) {
		h->fin = true;
		h->fin_seq = end;
	}
	if (h->eof || h->depth_done || len == 0)
		goto out;
	if (SEQ_LEQ(end, h->next)) {
		r->ctx->st.retransmits++;
		raise_ev(r, IPS_SEV_PKT_RETRANSMISSION);
		goto out;
	}
	if (SEQ_LT(seq, h->next)) {
		uint32_t cut = h->next - seq;

		d += cut;
		len -= cut;
		seq = h->next;
	}
	if ((uint32_t)(seq - h->next) > WINDOW_MAX) {
		raise_ev(r, IPS_SEV_PKT_OUTSIDE_WINDOW);
		goto out;
	}
	if (seq == h->next && (h->q == NULL || SEQ_LEQ(end, h->q->seq))) {
		/* In order and clear of the queue: straight from the packet. */
		deliver(r, dir, d, len, 0);
		h->next = end;
	} else if (queue_insert(r, dir, seq, d, (uint32_t)len) != 0) {
		/* A cap: give up the oldest hole to make room, then retry once. */
		if (h->q)
			skip_to(r, dir, h->q->seq);
		if (!h->depth_done && !h->eof && SEQ_GT(end, h->next)) {
			if (SEQ_LT(seq, h->next)) {
				d += h->next - seq;
				len = end - h->next;
				seq = h->next;
			}
			if (seq == h->next && h->q == NULL) {
				deliver(r, dir, d, len, 0);
				h->next = end;
			} else if (queue_insert(r, dir, seq, d, (uint32_t)len) != 0) {
				r->ctx->st.memcap_drops++;
				raise_ev(r, IPS_SEV_MEMCAP);
			}
		}
	}
out:
	drain(r, dir);
}

/* The peer's ACK for direction dir: notices capture loss (gaps). */
static void seg_ack(struct run *r, unsigned dir, uint32_t ack)
{
	struct half *h = &r->s->h[dir];

	if (!h->init)
		return;
	if (SEQ_GT(ack, h->max_end)) {
		if ((uint32_t)(ack - h->max_end) > WINDOW_MAX) {
			raise_ev(r, IPS_SEV_PKT_INVALID_ACK);
			return;
		}
		h->max_end = ack; /* sent but not captured */
	}
	/* Acknowledged bytes we never saw are lost to us: skip them. */
	while (SEQ_GT(ack, h->next) && !h->eof && !h->depth_done) {
		uint32_t t = ack;

		if (h->fin && SEQ_GT(t, h->fin_seq))
			t = h->fin_seq;
		if (h->q && SEQ_LT(h->q->seq, t))
			t = h->q->seq;
		if (!SEQ_GT(t, h->next)) {
			drain(r, dir);
			break;
		}
		skip_to(r, dir, t);
	}
}

/* Delivers the rest of dir (holes skipped) and its EOF. */
static void flush_dir(struct run *r, unsigned dir)
{
	struct half *h = &r->s->h[dir];

	/* A direction without a known ISN gets its EOF too (it sent nothing). */
	while (h->init && h->q && !h->eof && !h->depth_done)
		skip_to(r, dir, h->q->seq);
	send_eof(r, dir);
}

static void half_init(struct half *h, uint32_t next, bool syn, const struct ips_tcp *t)
{
	h->init = true;
	h->isn = syn ? next - 1 : next;
	h->next = next;
	h->max_end = next;
	h->has_ws = t->has_ws;
	h->ws = t->ws > 14 ? 14 : t->ws; /* RFC 7323 2.3: at most 14 */
	h->win = t->win;
	h->has_ts = syn && t->has_ts;
	h->syn_ts = h->has_ts ? t->ts_val : 0;
}

/*
 * Suricata's check of a server reply in SYN_SENT: a timestamp option must
 * echo the client's SYN TSval (or 0), and may echo nothing but 0 when the
 * SYN had none (RFC 7323 3.2/4.3). A reply that fails is an injection
 * attempt (pkt_invalid_timestamp) and is ignored.
 */
static bool synsent_ts_ok(const struct half *c, const struct ips_tcp *t)
{
	if (!t->has_ts || t->ts_ecr == 0)
		return true;
	return c->has_ts && (c->syn_ts == 0 || t->ts_ecr == c->syn_ts);
}

static void set_state(struct run *r, enum ips_tcp_state st)
{
	r->s->state = (uint8_t)st;
	if (st == IPS_TCP_ESTABLISHED)
		r->s->established = true;
	if (st == IPS_TCP_ESTABLISHED)
		ips_flow_set_state(r->f, IPS_FST_ESTABLISHED);
	else if (st == IPS_TCP_CLOSED)
		ips_flow_set_state(r->f, IPS_FST_CLOSED);
}

static void close_all(struct run *r)
{
	flush_dir(r, 0);
	flush_dir(r, 1);
	set_state(r, IPS_TCP_CLOSED);
}

/* Creates the session for the first packet; NULL when none is made. */
static struct ips_tcp_ssn *ssn_create(struct run *r, unsigned dir, const struct ips_tcp *t)
{
	struct ips_tcp_ssn *s;
	bool syn = t->flags & F_SYN, ack = t->flags & F_ACK;

	if (t->flags & F_RST)
		return NULL;
	if (!(syn && !ack) && !r->ctx->cfg.midstream && !(syn && ack && r->ctx->cfg.async_oneside))
		return NULL;
	if (!mem_take(r->ctx, sizeof(*s)))
		return NULL;
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		mem_give(r->ctx, sizeof(*s));
		return NULL;
	}
	s->ctx = r->ctx;
	s->syn_dir = (uint8_t)dir;
	r->s = s;
	r->f->tcp = s;
	r->ctx->st.sessions++;
	if (syn && !ack) {
		half_init(&s->h[dir], t->seq + 1, true, t);
		s->state = IPS_TCP_SYN_SENT;
		s->tfo = t->has_tfo;
	} else if (syn) {
		/* Midstream pickup at the SYN/ACK. */
		half_init(&s->h[dir], t->seq + 1, true, t);
		s->syn_dir = (uint8_t)!dir;
		s->midstream = true;
		s->h[!dir].init = true;
		s->h[!dir].isn = t->ack - 1;
		s->h[!dir].next = s->h[!dir].max_end = t->ack;
		s->state = IPS_TCP_SYN_RECV;
	} else {
		half_init(&s->h[dir], t->seq, false, t);
		if (ack) {
			s->h[!dir].init = true;
			s->h[!dir].isn = t->ack;
			s->h[!dir].next = s->h[!dir].max_end = t->ack;
		}
		s->midstream = true;
		set_state(r, IPS_TCP_ESTABLISHED);
	}
	return s;
}

/* Handshake states; returns true when the packet goes on to the common path. */
static bool handshake(struct run *r, unsigned dir, const struct ips_tcp *t)
{
	struct ips_tcp_ssn *s = r->s;
	struct half *c = &s->h[s->syn_dir], *sv = &s->h[!s->syn_dir];
	bool from_cli = dir == s->syn_dir;
	bool syn = t->flags & F_SYN, ack = t->flags & F_ACK, rst = t->flags & F_RST;

	if (s->state == IPS_TCP_SYN_SENT) {
		if (from_cli && syn && ack) {
			raise_ev(r, IPS_SEV_3WHS_SYNACK_TOSERVER);
			return false;
		}
		if (from_cli && syn) {
			if (t->seq != c->isn) {
				raise_ev(r, IPS_SEV_3WHS_SYN_RESEND_DIFF_SEQ);
				/* Follow the new ISN only while nothing of this
				 * direction went to the consumer: neither bytes nor a
				 * GAP nor an EOF (a FIN may come before the SYN/ACK).
				 * Restarting after that would send chunks again from
				 * offset 0, or after the EOF. */
				if (c->started || c->eof)
					return false;
				queue_free(r->ctx, c);
				memset(c, 0, sizeof(*c));
				half_init(c, t->seq + 1, true, t);
			}
			return false;
		}
		if (!from_cli && !synsent_ts_ok(c, t)) {
			raise_ev(r, IPS_SEV_PKT_INVALID_TIMESTAMP);
			return false;
		}
		if (from_cli && rst) {
			/* The client aborting its own SYN: as Suricata, only a RST with
			 * the SYN's sequence number, window 0 and ACK of ISN + 1 counts. */
			if (t->seq == c->isn && t->win == 0 && t->ack == c->isn + 1)
				close_all(r);
			return false;
		}
		if (!from_cli && rst) {
			/* Refused (RFC 9293 3.10.7.3): acceptable if it ACKs the SYN. */
			if (ack && t->ack == c->isn + 1)
				close_all(r);
			else
				raise_ev(r, IPS_SEV_RST_INVALID);
			return false;
		}
		if (!from_cli && syn) {
			/* With Fast Open the SYN/ACK may acknowledge the SYN's data too. */
			if (ack && t->ack != c->isn + 1 && !(s->tfo && t->ack == c->next)) {
				raise_ev(r, IPS_SEV_3WHS_SYNACK_WRONG_ACK);
				return false;
			}
			half_init(sv, t->seq + 1, true, t);
			if (!(c->has_ws && sv->has_ws))
				c->ws = sv->ws = 0; /* RFC 7323 2.2: both or neither */
			s->state = IPS_TCP_SYN_RECV;
			return false;
		}
		/*
		 * Anything else before the SYN/ACK (a bare ACK, data, a FIN) is
		 * ignored, as Suricata does without async-oneside: a stray ACK
		 * must not move the client's stream (a challenge ACK would
		 * otherwise skip it ahead as a gap).
		 */
		return false;
	}
	/* SYN_RECV */
	if (from_cli && syn) {
		if (t->seq != c->isn)
			raise_ev(r, IPS_SEV_3WHS_SYN_RESEND_DIFF_SEQ);
		return false;
	}
	if (!from_cli && syn)
		return false; /* SYN/ACK retransmission */
	/* One-sided: the server's side goes on without the client's ACK. */
	if (!from_cli && !rst && s->ctx->cfg.async_oneside) {
		set_state(r, IPS_TCP_ESTABLISHED);
		return true;
	}
	if (from_cli && ack && !rst) {
		if (SEQ_LT(t->ack, sv->isn + 1) || SEQ_GT(t->ack, sv->max_end)) {
			raise_ev(r, IPS_SEV_3WHS_ACK_WRONG);
			return false;
		}
		set_state(r, IPS_TCP_ESTABLISHED);
	}
	return true;
}

/* RFC 5961 3.2: a RST is accepted when its seq is inside the window. */
static bool rst_ok(const struct ips_tcp_ssn *s, unsigned dir, uint32_t seq)
{
	const struct half *h = &s->h[dir], *o = &s->h[!dir];
	uint32_t win = o->init ? o->win << o->ws : 0;

	if (!h->init)
		return true;
	if (win < RST_WINDOW_MIN)
		win = RST_WINDOW_MIN;
	return SEQ_GEQ(seq, h->next - 1) && (uint32_t)(seq - h->next) <= win;
}

int ips_stream_packet(struct ips_stream_ctx *ctx, struct ips_flow_rec *f,
                      const struct ips_packet *p, bool to_server, uint64_t now_ns,
                      const struct ips_stream_cb *cb, void *arg, uint32_t *events)
{
	struct run r = {.ctx = ctx, .s = f->tcp, .f = f, .cb = cb, .arg = arg};
	const struct ips_tcp *t = &p->tcp;
	unsigned dir = to_server ? IPS_DIR_TO_SERVER : IPS_DIR_TO_CLIENT;
	uint32_t dseq;
	int rc = 0;

	(void)now_ns; /* timeouts belong to the flow table */
	if (events)
		*events = 0;
	if (p->l4proto != 6 || p->l4 == NULL)
		return 0;
	if (r.s == NULL) {
		bool wanted = (t->flags & (F_SYN | F_ACK | F_RST)) == F_SYN || ctx->cfg.midstream ||
		              (ctx->cfg.async_oneside &&
		               (t->flags & (F_SYN | F_ACK | F_RST)) == (F_SYN | F_ACK));

		if (ssn_create(&r, dir, t) == NULL) {
			if (wanted && !(t->flags & F_RST)) {
				ctx->st.memcap_drops++;
				rc = BW_ERR_LIMIT;
			} else {
				ctx->st.no_session++;
			}
			return rc;
		}
		/*
		 * RFC 7413 3: with a Fast Open option the SYN's data is the first
		 * bytes of the stream, as Suricata reassembles it; other SYN data
		 * is not (a server discards it).
		 */
		if (r.s->tfo && p->payload_len > 0)
			seg_data(&r, dir, t->seq + 1, p->payload, p->payload_len, false);
		if (t->flags & F_SYN)
			goto out; /* the SYN (or SYN/ACK) itself carries nothing more */
	} else if (r.s->state == IPS_TCP_CLOSED) {
		goto out;
	} else if (r.s->state == IPS_TCP_SYN_SENT || r.s->state == IPS_TCP_SYN_RECV) {
		if (!handshake(&r, dir, t))
			goto out;
	} else if (t->flags & F_SYN) {
		const struct half *h = &r.s->h[dir];

		if (!(h->init && t->seq + 1 == h->isn + 1))
			raise_ev(&r, IPS_SEV_SYN_ON_ESTABLISHED);
		goto out;
	}
	if (r.s->h[dir].rst_unsure && !(t->flags & F_RST)) {
		/* The side that sent the signed RST goes on: it was injected. */
		r.s->h[dir].rst_unsure = false;
		raise_ev(&r, IPS_SEV_SUSPECTED_RST_INJECT);
	}
	if (t->flags & F_RST) {
		if (!rst_ok(r.s, dir, t->seq)) {
			raise_ev(&r, IPS_SEV_RST_INVALID);
		} else if (t->has_md5_ao) {
			/*
			 * RFC 2385 / RFC 5925: whether the peer accepts a signed RST
			 * depends on a key this engine does not have. Keep tracking,
			 * as Suricata does, and flag the sender if it goes on.
			 */
			r.s->h[dir].rst_unsure = true;
		} else {
			close_all(&r);
		}
		goto out;
	}
	r.s->h[dir].win = t->win;
	if (t->flags & F_ACK)
		seg_ack(&r, !dir, t->ack);
	dseq = t->seq;
	seg_data(&r, dir, dseq, p->payload, p->payload ? p->payload_len : 0, t->flags & F_FIN);
	if (r.s->h[0].eof && r.s->h[1].eof)
		set_state(&r, IPS_TCP_CLOSED);
	else if ((r.s->h[0].fin || r.s->h[1].fin) && r.s->state == IPS_TCP_ESTABLISHED)
		r.s->state = IPS_TCP_CLOSING;
out:
	if (events)
		*events = r.ev;
	return rc;
}

void ips_stream_flush(struct ips_flow_rec *f, const struct ips_stream_cb *cb, void *arg)
{
	struct run r = {.s = f->tcp, .f = f, .cb = cb, .arg = arg};

	if (r.s == NULL)
		return;
	r.ctx = r.s->ctx;
	flush_dir(&r, 0);
	flush_dir(&r, 1);
}

void ips_stream_info(const struct ips_flow_rec *f, struct ips_stream_info *info)
{
	const struct ips_tcp_ssn *s = f->tcp;

	memset(info, 0, sizeof(*info));
	if (s == NULL)
		return;
	info->tracked = true;
	info->state = s->state;
	info->established = s->established;
	info->midstream = s->midstream;
	info->events = s->events;
	for (unsigned d = 0; d < 2; d++) {
		info->delivered[d] = s->h[d].delivered;
		info->gap_bytes[d] = s->h[d].gap_bytes;
		info->rx_bytes[d] = s->h[d].rx_bytes;
		info->queued[d] = s->h[d].q_data;
		info->eof[d] = s->h[d].eof;
		info->depth[d] = s->h[d].depth_done;
	}
}
