/* SPDX-License-Identifier: ISC */
/*
 * IPS flow table (see flow.h): a chained hash of bidirectional records,
 * one LRU list per (protocol class, state) for expiry and eviction, the
 * memory cap with Suricata-style emergency mode, and 51-bit flow ids made
 * by a bijective mix of a counter so that they never repeat in a table.
 */
#include <stdlib.h>
#include <string.h>

#include "ips/flow.h"
#include "ips/stream.h"
#include "lib/rd.h"

enum {
	N_LISTS = IPS_FLOW_CL__COUNT * IPS_FST__COUNT,
	TCP_SYN = 0x02,
	TCP_RST = 0x04,
	TCP_ACK = 0x10,
};

#define ID_MASK  ((UINT64_C(1) << 51) - 1)
#define NS_PER_S UINT64_C(1000000000)

struct lru {
	struct ips_flow_rec *head, *tail;
};

struct ips_flow_table {
	struct ips_flow_cfg cfg;
	struct ips_flow_rec **buckets;
	uint32_t mask;
	uint64_t next_id;
	struct lru lists[N_LISTS];
	struct ips_flow_stats st;
};

/* The normalised key of one packet: side a is the lower (addr, port). */
struct fkey {
	uint8_t version, proto, n_vlan, tun_depth;
	uint8_t a[16], b[16];
	uint16_t ap, bp;
	uint16_t vlan[IPS_MAX_VLAN];
	bool swapped; /* the packet's source is side b */
};

static const char *const state_names[IPS_FST__COUNT] = {"new", "established", "closed"};
static const char *const end_names[] = {"timeout", "evicted", "reused", "shutdown"};

const char *ips_flow_state_name(enum ips_flow_state st)
{
	return (unsigned)st < IPS_FST__COUNT ? state_names[st] : "unknown";
}

const char *ips_flow_end_name(enum ips_flow_end why)
{
	return (unsigned)why < 4 ? end_names[why] : "unknown";
}

static void set_to(struct ips_flow_timeouts *t, uint32_t n, uint32_t e, uint32_t c, uint32_t en,
                   uint32_t ee, uint32_t ec)
{
	t->t[IPS_FST_NEW] = n;
	t->t[IPS_FST_ESTABLISHED] = e;
	t->t[IPS_FST_CLOSED] = c;
	t->emerg[IPS_FST_NEW] = en;
	t->emerg[IPS_FST_ESTABLISHED] = ee;
	t->emerg[IPS_FST_CLOSED] = ec;
}

void ips_flow_cfg_default(struct ips_flow_cfg *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->memcap = (size_t)128 << 20;
	cfg->hash_size = 65536;
	cfg->emergency_recovery = 30;
	/* Suricata 7.0 suricata.yaml flow-timeouts (tcp, udp, icmp, default). */
	set_to(&cfg->timeouts[IPS_FLOW_CL_TCP], 60, 600, 60, 5, 100, 10);
	set_to(&cfg->timeouts[IPS_FLOW_CL_UDP], 30, 300, 30, 10, 100, 10);
	set_to(&cfg->timeouts[IPS_FLOW_CL_ICMP], 30, 300, 30, 10, 100, 10);
	set_to(&cfg->timeouts[IPS_FLOW_CL_OTHER], 30, 300, 0, 10, 100, 0);
}

/* 64-bit finaliser (a bijection: xorshift and odd multiply). */
static uint64_t mix64(uint64_t x)
{
	x ^= x >> 33;
	x *= UINT64_C(0xff51afd7ed558ccd);
	x ^= x >> 33;
	x *= UINT64_C(0xc4ceb9fe1a85ec53);
	x ^= x >> 33;
	return x;
}

/* A bijection on 51 bits: each step (xorshift right, odd multiply modulo
 * 2^51) is invertible, so distinct counters give distinct ids. */
static uint64_t mix51(uint64_t x)
{
	x &= ID_MASK;
	x ^= x >> 26;
	x = (x * UINT64_C(0x9e3779b97f4a7c15)) & ID_MASK;
	x ^= x >> 23;
	x = (x * UINT64_C(0xbf58476d1ce4e5b9)) & ID_MASK;
	x ^= x >> 25;
	return x;
}

static size_t list_index(unsigned cls, unsigned st)
{
	return cls * IPS_FST__COUNT + st;
}

static void mem_add(struct ips_flow_table *t, size_t n)
{
	t->st.mem += n;
	if (t->st.mem > t->st.mem_peak)
		t->st.mem_peak = t->st.mem;
}

struct ips_flow_table *ips_flow_table_new(const struct ips_flow_cfg *cfg)
{
	struct ips_flow_table *t = calloc(1, sizeof(*t));
	uint32_t n = 1;

	if (t == NULL)
		return NULL;
	if (cfg)
		t->cfg = *cfg;
	else
		ips_flow_cfg_default(&t->cfg);
	if (t->cfg.emergency_recovery == 0 || t->cfg.emergency_recovery > 100)
		t->cfg.emergency_recovery = 30;
	while (n < t->cfg.hash_size && n < (1u << 24))
		n <<= 1;
	if ((size_t)n * sizeof(*t->buckets) >= t->cfg.memcap ||
	    (t->buckets = calloc(n, sizeof(*t->buckets))) == NULL) {
		free(t);
		return NULL;
	}
	t->mask = n - 1;
	t->next_id = 1;
	mem_add(t, (size_t)n * sizeof(*t->buckets));
	return t;
}

/* ---- keys ---- */

static int cmp_side(const uint8_t *a, uint16_t ap, const uint8_t *b, uint16_t bp)
{
	int c = memcmp(a, b, 16);

	if (c != 0)
		return c;
	return ap < bp ? -1 : ap > bp ? 1 : 0;
}

/* Puts the lower (address, port) side in a, the other in b; true when that swaps s and d. */
static bool key_sides(struct fkey *k, const uint8_t *s, uint16_t sp, const uint8_t *d, uint16_t dp)
{
	bool swap = cmp_side(s, sp, d, dp) > 0;
	memcpy(k->a, swap ? d : s, 16);
	memcpy(k->b, swap ? s : d, 16);
	k->ap = swap ? dp : sp;
	k->bp = swap ? sp : dp;
	return swap;
}

/* Builds the key; false when the packet has none. */
static bool make_key(const struct ips_flow_table *t, const struct ips_packet *p, struct fkey *k)
{
	const struct ips_ip *ip = ips_packet_ip(p);
	uint8_t s[16] = {0}, d[16] = {0};
	uint16_t sp = p->sp, dp = p->dp;
	size_t alen;

	memset(k, 0, sizeof(*k));
	if (ip == NULL || (p->flags & IPS_PKT_FRAG))
		return false;
	alen = ip->version == 4 ? 4 : 16;
	memcpy(s, ip->src.a, alen);
	memcpy(d, ip->dst.a, alen);
	k->version = ip->version;
	k->proto = ip->proto;
	k->tun_depth = (uint8_t)(p->n_ip - 1);
	if (!t->cfg.no_vlan) {
		k->n_vlan = p->n_vlan > IPS_MAX_VLAN ? IPS_MAX_VLAN : p->n_vlan;
		memcpy(k->vlan, p->vlan, k->n_vlan * sizeof(k->vlan[0]));
	}
	if (p->l4proto == 1 || p->l4proto == 58) {
		/* ICMP echo pairs on its identifier; others on type/code. */
		if (p->icmp.has_id) {
			sp = p->icmp.id;
			dp = p->icmp.id;
		} else {
			sp = p->icmp.type;
			dp = p->icmp.code;
		}
	} else if (p->l4proto == 0) {
		sp = 0;
		dp = 0;
	}
	if (key_sides(k, s, sp, d, dp))
		k->swapped = true;
	return true;
}

static uint32_t key_hash(const struct ips_flow_table *t, const struct fkey *k)
{
	uint64_t h = t->cfg.id_seed ^ UINT64_C(0x2545f4914f6cdd1d);
	uint64_t w;

	for (size_t i = 0; i < 16; i += 8) {
		memcpy(&w, k->a + i, 8);
		h = mix64(h ^ w);
		memcpy(&w, k->b + i, 8);
		h = mix64(h ^ w);
	}
	w = (uint64_t)k->ap | (uint64_t)k->bp << 16 | (uint64_t)k->proto << 32 |
	    (uint64_t)k->version << 40 | (uint64_t)k->tun_depth << 48;
	h = mix64(h ^ w);
	w = (uint64_t)k->vlan[0] | (uint64_t)k->vlan[1] << 16 | (uint64_t)k->n_vlan << 32;
	h = mix64(h ^ w);
	return (uint32_t)(h ^ (h >> 32));
}

/* Whether f holds key k (either orientation). */
static bool key_eq(const struct ips_flow_rec *f, const struct fkey *k)
{
	if (f->ip_version != k->version || f->proto != k->proto || f->tun_depth != k->tun_depth ||
	    f->n_vlan != k->n_vlan)
		return false;
	for (unsigned i = 0; i < k->n_vlan; i++)
		if (f->vlan[i] != k->vlan[i])
			return false;
	if (f->cli_port == k->ap && f->srv_port == k->bp && memcmp(f->cli, k->a, 16) == 0 &&
	    memcmp(f->srv, k->b, 16) == 0)
		return true;
	return f->cli_port == k->bp && f->srv_port == k->ap && memcmp(f->cli, k->b, 16) == 0 &&
	       memcmp(f->srv, k->a, 16) == 0;
}

/* ---- lists ---- */

static struct lru *list_of(struct ips_flow_table *t, const struct ips_flow_rec *f)
{
	return &t->lists[list_index(f->cls, f->state)];
}

static void lru_unlink(struct lru *l, struct ips_flow_rec *f)
{
	if (f->lprev)
		f->lprev->lnext = f->lnext;
	else
		l->head = f->lnext;
	if (f->lnext)
		f->lnext->lprev = f->lprev;
	else
		l->tail = f->lprev;
	f->lprev = f->lnext = NULL;
}

static void lru_push(struct lru *l, struct ips_flow_rec *f)
{
	f->lprev = NULL;
	f->lnext = l->head;
	if (l->head)
		l->head->lprev = f;
	else
		l->tail = f;
	l->head = f;
}

void ips_flow_set_state(struct ips_flow_rec *f, enum ips_flow_state st)
{
	struct ips_flow_table *t = f->tab;

	if ((unsigned)st >= IPS_FST__COUNT || f->state == st)
		return;
	lru_unlink(list_of(t, f), f);
	f->state = (uint8_t)st;
	lru_push(list_of(t, f), f);
}

/* ---- ending flows ---- */

static void hash_unlink(struct ips_flow_table *t, struct ips_flow_rec *f)
{
	struct ips_flow_rec **pp = &t->buckets[f->hash & t->mask];

	while (*pp && *pp != f)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = f->hnext;
	f->hnext = NULL;
}

static void end_flow(struct ips_flow_table *t, struct ips_flow_rec *f, enum ips_flow_end why)
{
	hash_unlink(t, f);
	lru_unlink(list_of(t, f), f);
	if (t->cfg.on_end)
		t->cfg.on_end(t->cfg.arg, f, why);
	ips_stream_ssn_free(f->tcp);
	if (f->app_free && f->app)
		f->app_free(f->app);
	if (f->det_free && f->det)
		f->det_free(f->det);
	free(f);
	t->st.mem -= sizeof(*f);
	t->st.flows--;
	t->st.ended[why]++;
}

static uint64_t timeout_ns(const struct ips_flow_table *t, unsigned cls, unsigned st)
{
	const struct ips_flow_timeouts *to = &t->cfg.timeouts[cls];

	return (uint64_t)(t->st.emergency ? to->emerg[st] : to->t[st]) * NS_PER_S;
}

static void check_recovery(struct ips_flow_table *t)
{
	size_t low = t->cfg.memcap / 100 * (100 - t->cfg.emergency_recovery);

	if (t->st.emergency && t->st.mem <= low)
		t->st.emergency = false;
}

size_t ips_flow_expire(struct ips_flow_table *t, uint64_t now_ns)
{
	size_t n = 0;

	for (unsigned c = 0; c < IPS_FLOW_CL__COUNT; c++) {
		for (unsigned s = 0; s < IPS_FST__COUNT; s++) {
			struct lru *l = &t->lists[list_index(c, s)];
			uint64_t to = timeout_ns(t, c, s);

			/* Oldest at the tail; stop at the first flow not due. */
			while (l->tail && l->tail->last_ns <= now_ns &&
			       now_ns - l->tail->last_ns >= to) {
				end_flow(t, l->tail, IPS_FLOW_END_TIMEOUT);
				n++;
			}
		}
	}
	check_recovery(t);
	return n;
}

/* Evicts the least recently seen flow of all lists; false when empty. */
static bool evict_oldest(struct ips_flow_table *t)
{
	struct ips_flow_rec *old = NULL;

	for (size_t i = 0; i < N_LISTS; i++) {
		struct ips_flow_rec *f = t->lists[i].tail;

		if (f && (old == NULL || f->last_ns < old->last_ns))
			old = f;
	}
	if (old == NULL)
		return false;
	end_flow(t, old, IPS_FLOW_END_EVICTED);
	return true;
}

/* Makes room for one record: emergency timeouts first, then eviction. */
static bool make_room(struct ips_flow_table *t, uint64_t now_ns)
{
	size_t need = sizeof(struct ips_flow_rec);

	if (t->st.mem + need <= t->cfg.memcap)
		return true;
	if (!t->st.emergency) {
		t->st.emergency = true;
		t->st.emergencies++;
	}
	ips_flow_expire(t, now_ns);
	t->st.emergency = true; /* stays on until recovery below the cap */
	while (t->st.mem + need > t->cfg.memcap)
		if (!evict_oldest(t))
			return false;
	return true;
}

static enum ips_flow_class class_of(uint8_t proto)
{
	switch (proto) {
	case 6:
		return IPS_FLOW_CL_TCP;
	case 17:
		return IPS_FLOW_CL_UDP;
	case 1:
	case 58:
		return IPS_FLOW_CL_ICMP;
	default:
		return IPS_FLOW_CL_OTHER;
	}
}

static struct ips_flow_rec *create(struct ips_flow_table *t, const struct ips_packet *p,
                                   const struct fkey *k, uint32_t h, uint64_t now_ns)
{
	struct ips_flow_rec *f;
	bool src_is_a = !k->swapped;

	if (!make_room(t, now_ns) || (f = calloc(1, sizeof(*f))) == NULL) {
		t->st.memcap_fail++;
		return NULL;
	}
	f->tab = t;
	f->hash = h;
	f->id = mix51(t->next_id++ ^ t->cfg.id_seed);
	if (f->id == 0) /* only counter ^ seed == 0 maps here: skip it */
		f->id = mix51(t->next_id++ ^ t->cfg.id_seed);
	f->ip_version = k->version;
	f->proto = k->proto;
	f->cls = (uint8_t)class_of(k->proto);
	f->state = IPS_FST_NEW;
	f->n_vlan = k->n_vlan;
	memcpy(f->vlan, k->vlan, sizeof(f->vlan));
	f->tun_depth = k->tun_depth;
	/* The sender is the client unless a TCP SYN/ACK came first. */
	if (p->l4proto == 6 &&
	    (p->tcp.flags & (TCP_SYN | TCP_ACK | TCP_RST)) == (TCP_SYN | TCP_ACK)) {
		src_is_a = !src_is_a;
		f->flags |= IPS_FLOWF_REVERSED;
	}
	memcpy(f->cli, src_is_a ? k->a : k->b, 16);
	memcpy(f->srv, src_is_a ? k->b : k->a, 16);
	f->cli_port = src_is_a ? k->ap : k->bp;
	f->srv_port = src_is_a ? k->bp : k->ap;
	f->start_ns = now_ns;
	f->last_ns = now_ns;
	f->hnext = t->buckets[h & t->mask];
	t->buckets[h & t->mask] = f;
	lru_push(list_of(t, f), f);
	mem_add(t, sizeof(*f));
	t->st.created++;
	if (++t->st.flows > t->st.flows_peak)
		t->st.flows_peak = t->st.flows;
	return f;
}

/* Whether the packet's source is f's client. */
static bool from_client(const struct ips_flow_rec *f, const struct fkey *k)
{
	const uint8_t *src = k->swapped ? k->b : k->a;
	uint16_t sp = k->swapped ? k->bp : k->ap;

	return sp == f->cli_port && memcmp(src, f->cli, 16) == 0;
}

/*
 * An ICMPv4 destination unreachable (RFC 792) quotes the IPv4 header and
 * first 8 bytes of the datagram it reports. When that datagram is TCP or
 * UDP, k becomes its flow's key, so that the error joins that flow, as
 * Suricata 7 does (a flow's drop then covers it).
 */
static bool icmp_error_key(const struct ips_flow_table *t, const struct ips_packet *p,
                           struct fkey *k)
{
	struct bw_rd rd;
	uint8_t vihl, proto, s[16] = {0}, d[16] = {0};
	uint16_t frag, sp, dp;

	if (p->l4proto != 1 || p->icmp.type != 3 || p->payload == NULL)
		return false;
	if (!make_key(t, p, k) || k->version != 4)
		return false;
	bw_rd_init(&rd, p->payload, p->payload_len);
	if (bw_rd_u8(&rd, &vihl) != 0 || (vihl >> 4) != 4 || (vihl & 0xf) < 5 ||
	    bw_rd_skip(&rd, 5) != 0 || bw_rd_u16(&rd, &frag) != 0 || bw_rd_skip(&rd, 1) != 0 ||
	    bw_rd_u8(&rd, &proto) != 0 || bw_rd_skip(&rd, 2) != 0 || bw_rd_copy(&rd, s, 4) != 0 ||
	    bw_rd_copy(&rd, d, 4) != 0 || bw_rd_skip(&rd, ((size_t)(vihl & 0xf) - 5) * 4) != 0 ||
	    bw_rd_u16(&rd, &sp) != 0 || bw_rd_u16(&rd, &dp) != 0)
		return false;
	/* Only a first fragment quotes ports. */
	if ((proto != 6 && proto != 17) || (frag & 0x1fff) != 0)
		return false;
	k->proto = proto;
	/* The key's sides only: the error's own direction stays as make_key() set it. */
	(void)key_sides(k, s, sp, d, dp);
	return true;
}

/* The existing flow an ICMP error reports on, or NULL. */
static struct ips_flow_rec *icmp_error_flow(struct ips_flow_table *t, const struct ips_packet *p)
{
	struct ips_flow_rec *f;
	struct fkey k;
	uint32_t h;

	if (!icmp_error_key(t, p, &k))
		return NULL;
	h = key_hash(t, &k);
	for (f = t->buckets[h & t->mask]; f; f = f->hnext)
		if (f->hash == h && key_eq(f, &k))
			return f;
	return NULL;
}

struct ips_flow_rec *ips_flow_lookup(struct ips_flow_table *t, const struct ips_packet *p,
                                     uint64_t now_ns, bool *to_server, bool *created)
{
	struct ips_flow_rec *f;
	struct fkey k;
	uint32_t h;
	bool ts, made = false;
	unsigned d;

	if (to_server)
		*to_server = false;
	if (created)
		*created = false;
	if (!make_key(t, p, &k)) {
		t->st.no_key++;
		return NULL;
	}
	bool icmp_err = (f = icmp_error_flow(t, p)) != NULL;
	h = icmp_err ? f->hash : key_hash(t, &k);
	if (!icmp_err)
		for (f = t->buckets[h & t->mask]; f; f = f->hnext)
			if (f->hash == h && key_eq(f, &k))
				break;
	/* RFC 9293 3.5: a new SYN after the close starts a new connection. */
	if (f && f->cls == IPS_FLOW_CL_TCP && f->state == IPS_FST_CLOSED && p->l4proto == 6 &&
	    (p->tcp.flags & (TCP_SYN | TCP_ACK | TCP_RST)) == TCP_SYN) {
		end_flow(t, f, IPS_FLOW_END_REUSED);
		f = NULL;
	}
	if (f == NULL) {
		if ((f = create(t, p, &k, h, now_ns)) == NULL)
			return NULL;
		made = true;
	} else {
		lru_unlink(list_of(t, f), f);
		lru_push(list_of(t, f), f);
		if (now_ns > f->last_ns)
			f->last_ns = now_ns;
	}
	/* An ICMP error's direction: whether it comes from the client's address. */
	ts = icmp_err ? memcmp(k.swapped ? k.b : k.a, f->cli, 16) == 0 : from_client(f, &k);
	d = ts ? IPS_DIR_TO_SERVER : IPS_DIR_TO_CLIENT;
	f->pkts[d]++;
	f->bytes[d] += p->len;
	f->flags |= ts ? IPS_FLOWF_SEEN_TS : IPS_FLOWF_SEEN_TC;
	/* Suricata: a non-TCP flow is established once both sides spoke. */
	if (f->cls != IPS_FLOW_CL_TCP && f->state == IPS_FST_NEW &&
	    (f->flags & (IPS_FLOWF_SEEN_TS | IPS_FLOWF_SEEN_TC)) ==
	            (IPS_FLOWF_SEEN_TS | IPS_FLOWF_SEEN_TC))
		ips_flow_set_state(f, IPS_FST_ESTABLISHED);
	if (to_server)
		*to_server = ts;
	if (created)
		*created = made;
	return f;
}

void ips_flow_foreach(struct ips_flow_table *t, void (*fn)(void *arg, struct ips_flow_rec *f),
                      void *arg)
{
	for (size_t i = 0; i < N_LISTS; i++)
		for (struct ips_flow_rec *f = t->lists[i].head; f; f = f->lnext)
			fn(arg, f);
}

const struct ips_flow_stats *ips_flow_stats(const struct ips_flow_table *t)
{
	return &t->st;
}

void ips_flow_table_free(struct ips_flow_table *t)
{
	if (t == NULL)
		return;
	/* Least recently seen first, so outputs come in a stable order. */
	while (t->st.flows > 0) {
		struct ips_flow_rec *old = NULL;

		for (size_t i = 0; i < N_LISTS; i++) {
			struct ips_flow_rec *f = t->lists[i].tail;

			if (f && (old == NULL || f->last_ns < old->last_ns))
				old = f;
		}
		if (old == NULL)
			break;
		end_flow(t, old, IPS_FLOW_END_SHUTDOWN);
	}
	free(t->buckets);
	free(t);
}
