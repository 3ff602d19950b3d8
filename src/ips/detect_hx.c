/* SPDX-License-Identifier: ISC */
/*
 * The header index of the rules without a usable fast pattern (IP
 * reputation lists, flags/ttl/icmp rules), Suricata's IP-only engine in
 * spirit: bitsets over those rules by slot and app protocol, and per side
 * (source, destination) the rules' distinct address and port sets cut into
 * sorted elementary intervals, each listing the sets that contain it. An
 * input costs a binary search per address and port and a few word ORs and
 * ANDs; what survives is a superset of the rules whose header can match, and
 * each is still evaluated fully (detect.c).
 */
#define _GNU_SOURCE /* qsort_r */
#include <stdlib.h>
#include <string.h>

#include "ips/detect_int.h"
#include "lib/err.h"
#include "lib/rd.h"

/* ---- header index of the rules without a fast pattern ---- */

struct ivr {
	const uint8_t *lo, *hi; /* klen bytes each, big-endian */
	uint32_t id;
};

static int cmp_key(const void *a, const void *b, void *klen)
{
	return memcmp(a, b, *(size_t *)klen);
}

/* k + 1 in place; false when k was all ones (no successor). */
static bool key_inc(uint8_t *k, size_t len)
{
	for (size_t i = len; i-- > 0;)
		if (++k[i] != 0)
			return true;
	return false;
}

/* The interval holding key k: the last start <= k (start[0] is zero). */
static size_t iv_find(const struct det_ivtab *t, const uint8_t *k)
{
	size_t lo = 0, hi = t->n;
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;
		if (bw_key_cmp(t->start + mid * t->klen, k, t->klen) <= 0)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

static void iv_free(struct det_ivtab *t)
{
	free(t->start);
	free(t->off);
	free(t->ids);
	memset(t, 0, sizeof(*t));
}

enum { DET_IV_MAX = 1u << 24 }; /* interval-set entries per table */

/*
 * Elementary intervals of n ranges (each range's sets disjoint within one
 * id). BW_ERR_LIMIT when the table would exceed DET_IV_MAX entries.
 */
static int iv_build(struct det_ivtab *t, size_t klen, const struct ivr *v, size_t n, size_t *mem)
{
	int r = BW_ERR_NOMEM;
	size_t nb = 1;
	memset(t, 0, sizeof(*t));
	t->klen = klen;
	if (!n)
		return 0;
	uint8_t *b = calloc(2 * n + 1, klen);
	uint32_t *cur = NULL;
	if (!b)
		return r;
	for (size_t i = 0; i < n; i++) {
		memcpy(b + nb++ * klen, v[i].lo, klen);
		memcpy(b + nb * klen, v[i].hi, klen);
		if (key_inc(b + nb * klen, klen))
			nb++;
	}
	qsort_r(b, nb, klen, cmp_key, &klen);
	size_t u = 0;
	for (size_t i = 0; i < nb; i++)
		if (u == 0 || memcmp(b + (u - 1) * klen, b + i * klen, klen) != 0)
			memmove(b + u++ * klen, b + i * klen, klen);
	t->start = b;
	t->n = u;
	if (!(t->off = calloc(u + 1, sizeof(uint32_t))))
		goto fail;
	size_t total = 0;
	for (size_t i = 0; i < n; i++) {
		size_t i0 = iv_find(t, v[i].lo), i1 = iv_find(t, v[i].hi);
		total += i1 - i0 + 1;
		if (total > DET_IV_MAX) {
			r = BW_ERR_LIMIT;
			goto fail;
		}
		for (size_t k = i0; k <= i1; k++)
			t->off[k + 1]++;
	}
	for (size_t k = 0; k < u; k++)
		t->off[k + 1] += t->off[k];
	if (!(t->ids = calloc(total ? total : 1, sizeof(uint32_t))) ||
	    !(cur = malloc(u * sizeof(uint32_t))))
		goto fail;
	memcpy(cur, t->off, u * sizeof(uint32_t));
	for (size_t i = 0; i < n; i++) {
		size_t i0 = iv_find(t, v[i].lo), i1 = iv_find(t, v[i].hi);
		for (size_t k = i0; k <= i1; k++)
			t->ids[cur[k]++] = v[i].id;
	}
	free(cur);
	*mem += u * klen + (u + 1 + total) * sizeof(uint32_t);
	return 0;
fail:
	free(cur);
	iv_free(t);
	t->klen = klen;
	return r;
}

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
	const uint8_t *b = p;
	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 0x100000001b3ull;
	return h;
}

/* A rule's address or port set on one side, for deduplication. */
struct hset {
	const struct det_rule *dr;
	uint32_t bit;
	uint64_t hash;
};

static const struct ips_addrset *hs_addr(const struct hset *x, int side)
{
	return side ? &x->dr->r->dst : &x->dr->r->src;
}

static const struct ips_portset *hs_port(const struct hset *x, int side)
{
	return side ? &x->dr->r->dp : &x->dr->r->sp;
}

struct hset_cmp {
	int side;
	bool port;
};

static int cmp_hset(const void *a, const void *b, void *arg)
{
	const struct hset *x = a, *y = b;
	const struct hset_cmp *c = arg;
	if (x->hash != y->hash)
		return x->hash < y->hash ? -1 : 1;
	int d;
	if (c->port) {
		const struct ips_portset *p = hs_port(x, c->side), *q = hs_port(y, c->side);
		if (p->n != q->n)
			return p->n < q->n ? -1 : 1;
		d = p->n ? memcmp(p->r, q->r, p->n * sizeof(*p->r)) : 0;
	} else {
		const struct ips_addrset *p = hs_addr(x, c->side), *q = hs_addr(y, c->side);
		if (p->n4 != q->n4 || p->n6 != q->n6)
			return p->n4 != q->n4 ? (p->n4 < q->n4 ? -1 : 1) : (p->n6 < q->n6 ? -1 : 1);
		d = p->n4 ? memcmp(p->v4, q->v4, p->n4 * sizeof(*p->v4)) : 0;
		if (!d && p->n6)
			d = memcmp(p->v6, q->v6, p->n6 * sizeof(*p->v6));
	}
	if (d)
		return d;
	return x->bit < y->bit ? -1 : x->bit > y->bit;
}

static void setbit(uint64_t *v, size_t i)
{
	v[i >> 6] |= 1ull << (i & 63);
}

/*
 * Indexes one side's addresses (port = false) or ports: rules that do not
 * restrict the side (any, or bidirectional, which may match either way)
 * go to its any set; the others' sets are deduplicated, given a bitset of
 * their rules, and cut into elementary intervals.
 */
static int hx_side(struct det_hindex *h, const struct det_rule *rules, int side, bool port,
                   size_t *mem)
{
	struct det_hside *hs = &h->side[side];
	uint64_t *any = port ? hs->any_port : hs->any_addr;
	struct hset *v = calloc(h->n ? h->n : 1, sizeof(*v));
	struct ivr *iv = NULL;
	uint8_t *pk = NULL;
	size_t nv = 0, nsets = 0, nr4 = 0, nr6 = 0;
	int r = BW_ERR_NOMEM;
	if (!v)
		return r;
	for (size_t i = 0; i < h->n; i++) {
		const struct det_rule *dr = &rules[h->rule[i]];
		bool unrestricted =
		        dr->r->bidir || (port ? (side ? dr->r->dp.any : dr->r->sp.any)
		                              : (side ? dr->r->dst.any : dr->r->src.any));
		if (unrestricted) {
			setbit(any, i);
			continue;
		}
		struct hset *x = &v[nv++];
		x->dr = dr;
		x->bit = (uint32_t)i;
		if (port) {
			const struct ips_portset *p = hs_port(x, side);
			x->hash = fnv(0xcbf29ce484222325ull, p->r, p->n * sizeof(*p->r));
			nr4 += p->n;
		} else {
			const struct ips_addrset *a = hs_addr(x, side);
			x->hash = fnv(fnv(0xcbf29ce484222325ull, a->v4, a->n4 * sizeof(*a->v4)),
			              a->v6, a->n6 * sizeof(*a->v6));
			nr4 += a->n4;
			nr6 += a->n6;
		}
	}
	struct hset_cmp c = {side, port};
	if (nv)
		qsort_r(v, nv, sizeof(*v), cmp_hset, &c);
	/* Set ids: runs of equal sets (the bit breaks ties only). */
	uint32_t *id = calloc(nv ? nv : 1, sizeof(uint32_t));
	if (!id)
		goto out;
	for (size_t i = 0; i < nv; i++) {
		if (i > 0) {
			struct hset a = v[i - 1], b = v[i];
			a.bit = b.bit = 0;
			if (cmp_hset(&a, &b, &c) != 0)
				nsets++;
		}
		id[i] = (uint32_t)nsets;
	}
	if (nv)
		nsets++;
	uint64_t *bits = calloc(nsets ? nsets * h->words : 1, sizeof(uint64_t));
	if (!bits)
		goto out;
	if (port)
		hs->pbits = bits;
	else
		hs->abits = bits;
	*mem += nsets * h->words * sizeof(uint64_t);
	for (size_t i = 0; i < nv; i++)
		setbit(bits + id[i] * h->words, v[i].bit);
	/* Ranges of each set once (the first rule of its run). */
	if (!(iv = calloc(nr4 + nr6 + 1, sizeof(*iv))))
		goto out;
	if (port && !(pk = calloc(nr4 + 1, 4)))
		goto out;
	for (int fam = 0; fam < (port ? 1 : 2); fam++) {
		size_t ni = 0, klen = port ? 2 : fam ? 16 : 4;
		for (size_t i = 0; i < nv; i++) {
			if (i > 0 && id[i] == id[i - 1])
				continue;
			if (port) {
				const struct ips_portset *p = hs_port(&v[i], side);
				for (size_t k = 0; k < p->n; k++) {
					uint8_t *q = pk + 4 * ni;
					q[0] = (uint8_t)(p->r[k].lo >> 8);
					q[1] = (uint8_t)p->r[k].lo;
					q[2] = (uint8_t)(p->r[k].hi >> 8);
					q[3] = (uint8_t)p->r[k].hi;
					iv[ni++] = (struct ivr){q, q + 2, id[i]};
				}
			} else {
				const struct ips_addrset *a = hs_addr(&v[i], side);
				const struct ips_ip_range *rg = fam ? a->v6 : a->v4;
				for (size_t k = 0, m = fam ? a->n6 : a->n4; k < m; k++)
					iv[ni++] = (struct ivr){rg[k].lo, rg[k].hi, id[i]};
			}
		}
		struct det_ivtab *t = port ? &hs->port : &hs->addr[fam];
		r = iv_build(t, klen, iv, ni, mem);
		if (r == BW_ERR_LIMIT) {
			/* Too fragmented to index: every rule counts as unrestricted here. */
			for (size_t i = 0; i < h->words; i++)
				any[i] = ~0ull;
			r = 0;
		}
		if (r)
			goto out;
	}
	r = 0;
out:
	free(id);
	free(iv);
	free(pk);
	free(v);
	return r;
}

void det_hx_free(struct det_hindex *h)
{
	free(h->rule);
	for (int s = 0; s < 2; s++) {
		struct det_hside *hs = &h->side[s];
		iv_free(&hs->addr[0]);
		iv_free(&hs->addr[1]);
		iv_free(&hs->port);
		free(hs->abits);
		free(hs->pbits);
		free(hs->any_addr);
		free(hs->any_port);
	}
	for (int pc = 0; pc < DET_PC__COUNT; pc++)
		for (int d = 0; d < DET_DIR__COUNT; d++)
			free(h->slot[pc][d]);
	for (int a = 0; a < IPS_PROTO__COUNT; a++)
		free(h->app[a]);
	free(h->not_iponly);
}

int det_hx_build(struct ips_detect_engine *e, struct ips_detect_stats *st)
{
	struct det_hindex *h = &e->hx;
	size_t n = 0;
	for (size_t i = 0; i < e->nrules; i++)
		n += !e->rules[i].fp;
	h->n = n;
	h->words = (n + 63) / 64;
	size_t w = h->words ? h->words : 1, mem = 0;
	if (!(h->rule = calloc(n ? n : 1, sizeof(uint32_t))))
		return BW_ERR_NOMEM;
	for (int s = 0; s < 2; s++)
		if (!(h->side[s].any_addr = calloc(w, 8)) || !(h->side[s].any_port = calloc(w, 8)))
			return BW_ERR_NOMEM;
	for (int pc = 0; pc < DET_PC__COUNT; pc++)
		for (int d = 0; d < DET_DIR__COUNT; d++)
			if (!(h->slot[pc][d] = calloc(w, 8)))
				return BW_ERR_NOMEM;
	for (int a = 0; a < IPS_PROTO__COUNT; a++)
		if (!(h->app[a] = calloc(w, 8)))
			return BW_ERR_NOMEM;
	if (!(h->not_iponly = calloc(w, 8)))
		return BW_ERR_NOMEM;
	mem += (5 * w + DET_PC__COUNT * DET_DIR__COUNT * w + IPS_PROTO__COUNT * w) * 8 +
	       n * sizeof(uint32_t);
	n = 0;
	for (size_t i = 0; i < e->nrules; i++) {
		const struct det_rule *dr = &e->rules[i];
		if (dr->fp)
			continue;
		h->rule[n] = (uint32_t)i;
		for (int pc = 0; pc < DET_PC__COUNT; pc++)
			for (int d = 0; d < DET_DIR__COUNT; d++)
				if ((dr->pc_mask & (1u << pc)) && (dr->dir_mask & (1u << d))) {
					setbit(h->slot[pc][d], n);
					st->always_rules++;
				}
		for (int a = 0; a < IPS_PROTO__COUNT; a++)
			if (ips_app_covers(dr->r->app, (enum ips_proto)a))
				setbit(h->app[a], n);
		if (!dr->iponly)
			setbit(h->not_iponly, n);
		n++;
	}
	int r = 0;
	for (int s = 0; s < 2 && !r; s++)
		if ((r = hx_side(h, e->rules, s, false, &mem)) == 0)
			r = hx_side(h, e->rules, s, true, &mem);
	st->memory += mem;
	return r;
}

/* acc &= the rules of side hs that key k (klen bytes) can satisfy. */
static void hx_and(const struct det_hindex *h, const uint64_t *any, const uint64_t *bits,
                   const struct det_ivtab *t, const uint8_t *k, bool present, uint64_t *acc,
                   uint64_t *tmp)
{
	size_t w = h->words;
	memcpy(tmp, any, w * sizeof(uint64_t));
	if (present && t->n) {
		size_t i = iv_find(t, k);
		for (uint32_t j = t->off[i]; j < t->off[i + 1]; j++) {
			const uint64_t *b = bits + (size_t)t->ids[j] * w;
			for (size_t x = 0; x < w; x++)
				tmp[x] |= b[x];
		}
	}
	for (size_t x = 0; x < w; x++)
		acc[x] &= tmp[x];
}

/* Sets acc (h->words) to the rules of the header index whose header in may satisfy. */
static void hx_survivors(const struct det_hindex *h, const struct ips_detect_input *in,
                         enum det_pclass pc, enum det_dir d, enum ips_proto app, uint64_t *acc,
                         uint64_t *tmp)
{
	const uint64_t *sl = h->slot[pc][d], *ap = h->app[app];
	uint64_t any = 0;
	for (size_t x = 0; x < h->words; x++)
		any |= acc[x] = sl[x] & ap[x];
	if (!any)
		return;
	int fam = in->ip_version == 6;
	bool ports = in->proto == 6 || in->proto == 17 || in->proto == 132;
	for (int s = 0; s < 2; s++) {
		const struct det_hside *hs = &h->side[s];
		uint16_t port = s ? in->dp : in->sp;
		uint8_t pk[2] = {(uint8_t)(port >> 8), (uint8_t)port};
		hx_and(h, hs->any_port, hs->pbits, &hs->port, pk, ports, acc, tmp);
		hx_and(h, hs->any_addr, hs->abits, &hs->addr[fam], s ? in->dst : in->src, true, acc,
		       tmp);
	}
}

static bool same16(const uint8_t *a, const uint8_t *b)
{
	uint64_t a0, a1, b0, b1;
	memcpy(&a0, a, 8);
	memcpy(&a1, a + 8, 8);
	memcpy(&b0, b, 8);
	memcpy(&b1, b + 8, 8);
	return ((a0 ^ b0) | (a1 ^ b1)) == 0;
}

/* A hash of the header fields the survivors depend on (det_hx_cands). */
static uint64_t hx_hash(const struct ips_detect_input *in, uint8_t d, enum ips_proto app)
{
	uint64_t x[4];
	memcpy(x, in->src, 16);
	memcpy(x + 2, in->dst, 16);
	uint64_t h = (uint64_t)in->sp << 48 | (uint64_t)in->dp << 32 | (uint64_t)in->proto << 24 |
	             (uint64_t)d << 16 | (uint64_t)(app & 0xff) << 8 | in->ip_version;
	h ^= x[0] * 0x9e3779b97f4a7c15ull ^ x[1] * 0xc2b2ae3d27d4eb4full ^
	     x[2] * 0x165667b19e3779f9ull ^ x[3] * 0x27d4eb2f165667c5ull;
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	return h ^ h >> 33;
}

/* Adds the rules without a fast pattern whose header the input may satisfy. */
void det_hx_cands(const struct ips_detect_engine *e, struct ips_detect_thread *t,
                  const struct ips_detect_input *in, enum det_pclass pc, enum det_dir d)
{
	const struct det_hindex *h = &e->hx;
	size_t w = h->words;
	if (!h->n || (in->ip_version != 4 && in->ip_version != 6))
		return; /* header_match() refuses every rule without IP */
	enum ips_proto app = (unsigned)in->app < IPS_PROTO__COUNT ? in->app : IPS_PROTO_IP;
	/*
	 * The survivors depend on the header fields below only: those of the
	 * latest input with each hash of them are kept, one entry per hash, as
	 * the flows in progress interleave their packets, stream chunks and
	 * transactions (mix-base: 3,000 of 29,600 runs computed them again with
	 * the four latest headers kept, 2,400 with 64 entries by hash, 1,700
	 * distinct headers). Headers crafted to collide only cost the
	 * computation every run.
	 */
	size_t ki = hx_hash(in, (uint8_t)d, app) & (DET_HXC - 1);
	struct det_hxkey *k = &t->hxkey[ki];
	uint64_t *acc = t->hx_bits + ki * w, *tmp = t->hx_bits + DET_HXC * w;
	if (!(k->valid && k->ip_version == in->ip_version && k->proto == in->proto &&
	      k->dir == (uint8_t)d && k->app == app && k->sp == in->sp && k->dp == in->dp &&
	      same16(k->src, in->src) && same16(k->dst, in->dst))) {
		hx_survivors(h, in, pc, d, app, acc, tmp);
		k->valid = true;
		k->ip_version = in->ip_version;
		k->proto = in->proto;
		k->dir = (uint8_t)d;
		k->app = app;
		k->sp = in->sp;
		k->dp = in->dp;
		memcpy(k->src, in->src, 16);
		memcpy(k->dst, in->dst, 16);
		/* Listed, the survivors cost a few adds per hit instead of a walk over the words.
		 */
		k->nsurv = 0;
		for (size_t x = 0; x < w && k->nsurv <= DET_HXS; x++)
			for (uint64_t b = acc[x]; b && k->nsurv <= DET_HXS; b &= b - 1)
				if (k->nsurv++ < DET_HXS)
					k->surv[k->nsurv - 1] = h->rule[x * 64 + det_ctz64(b)];
	}
	/* The survivors are kept with the IP-only rules, which an input may leave out. */
	if (k->nsurv <= DET_HXS) {
		for (uint32_t i = 0; i < k->nsurv; i++)
			if (!in->iponly_done || !e->rules[k->surv[i]].iponly)
				det_add_cand(t, k->surv[i]);
		return;
	}
	const uint64_t *keep = in->iponly_done ? h->not_iponly : NULL;
	for (size_t x = 0; x < w; x++) {
		uint64_t b = keep ? acc[x] & keep[x] : acc[x];
		while (b) {
			unsigned bit = det_ctz64(b);
			b &= b - 1;
			det_add_cand(t, h->rule[x * 64 + bit]);
		}
	}
}
