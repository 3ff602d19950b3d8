/* SPDX-License-Identifier: ISC */
/*
 * Prefilter groups of the detection engine (detect.c runs them): the fast
 * pattern of each rule goes into the group of its buffer and transform (the
 * payload's per slot and run kind, see detect_int.h), in each address zone
 * its source and destination sets can reach; a group's unique patterns are
 * compiled into one database (vectorscan, or Aho-Corasick when vectorscan
 * refuses it) by a few threads, largest first. Tiny anchored payload
 * patterns are kept out of the databases and compared at their offsets.
 *
 * Address zones, as Suricata's signature group heads split rules by
 * address: the home set is the address set the rules name most; a zone is
 * (source in it or not, destination in it or not), and a rule belongs to
 * the zones its sets can reach, found by range containment and overlap on
 * the sorted, merged ranges. Zones whose rule lists are equal share their
 * group.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ips/detect_int.h"
#include "lib/err.h"
#include "lib/rd.h"

/*
 * A fast pattern longer than DET_FP_MAX is searched for by a DET_FP_MAX-byte
 * window of it, the one with the most distinct bytes (the first on ties): the
 * prefilter only proposes candidates, which are evaluated fully, and the bytes
 * rescanned at each seam of a growing buffer or stream are the longest
 * pattern's length - 1, so a few long patterns (ET open has them up to 660
 * bytes) would otherwise make every seam that long.
 */
static void fp_window(const uint8_t **p, size_t *len)
{
	if (*len <= DET_FP_MAX)
		return;
	size_t best = 0, bestn = 0;
	for (size_t s = 0; s + DET_FP_MAX <= *len; s++) {
		uint64_t seen[4] = {0};
		size_t n = 0;
		for (size_t k = s; k < s + DET_FP_MAX; k++) {
			uint8_t b = (*p)[k];
			if (!(seen[b >> 6] & (1ull << (b & 63)))) {
				seen[b >> 6] |= 1ull << (b & 63);
				n++;
			}
		}
		if (n > bestn) {
			bestn = n;
			best = s;
		}
		if (n == DET_FP_MAX)
			break;
	}
	*p += best;
	*len = DET_FP_MAX;
}

/* ---- groups ---- */

struct fp_entry {
	const uint8_t *p;
	size_t len;
	bool nocase;
	uint8_t slots;
	uint32_t rule;
	bool tiny;       /* fp_tiny: compared at its offsets, not in the database */
	uint16_t lo, hi; /* tiny: first and last offset it can start at */
};

/*
 * Whether the fast pattern p[0..len) of payload content c (all of it, or
 * its part at p - c->pat) is tiny and anchored: at most DET_TINY_LEN bytes,
 * and c absolute and bounded (depth or startswith), so that evaluation
 * finds c only within [offset, offset + depth) (detect_match.c do_content)
 * and the pattern can only start at offsets lo..hi, at most DET_TINY_SPAN
 * apart. ET open has such patterns in the payload (|18 03| with depth 2,
 * |03| with depth 1); in a database they slow the scan of every byte (a
 * third of the TCP payload scan time on mix-x40), compared at their
 * offsets they cost a few byte compares. Suricata gives Hyperscan a fast
 * pattern's offset and depth for the same reason. The first option of its
 * buffer is as anchored with distance and within (detect_match.c
 * do_content starts its cursor at 0): file.data's `content:"MZ"; within:2;`
 * and the like, two-byte file magics that otherwise fill the file.data
 * database with matches in every binary body.
 */
static bool fp_tiny(const struct ips_content *c, bool lead, const uint8_t *p, size_t len,
                    uint16_t *lo, uint16_t *hi)
{
	bool rel = c->flags & (IPS_CF_DISTANCE | IPS_CF_WITHIN);
	if (len > DET_TINY_LEN || (rel && !lead) || c->offset_var >= 0 || c->depth_var >= 0 ||
	    c->distance_var >= 0 || c->within_var >= 0)
		return false;
	int64_t clo, chi, a = p - c->pat;
	if (rel) { /* from the cursor at 0: [distance, distance + within), at 0 at least */
		if (!(c->flags & IPS_CF_WITHIN))
			return false;
		int64_t dist = c->flags & IPS_CF_DISTANCE ? c->distance : 0;
		clo = dist < 0 ? 0 : dist;
		chi = dist + c->within;
	} else if (c->flags & IPS_CF_STARTSWITH) {
		clo = 0;
		chi = (int64_t)c->len;
	} else if (c->flags & IPS_CF_DEPTH) {
		clo = c->flags & IPS_CF_OFFSET ? c->offset : 0;
		chi = clo + c->depth;
	} else {
		return false;
	}
	int64_t first = clo + a, last = chi - (int64_t)c->len + a;
	if (clo < 0 || last < first || last - first > DET_TINY_SPAN || last > UINT16_MAX)
		return false;
	*lo = (uint16_t)first;
	*hi = (uint16_t)last;
	return true;
}

/* Whether dr's fast pattern is the first option of its buffer's list. */
static bool fp_first(const struct det_rule *dr)
{
	for (size_t k = 0; k < dr->nbl; k++) {
		const struct det_bufl *bl = &dr->bl[k];
		if (bl->buf == dr->fp_buf && bl->tf == dr->fp_tf && bl->n)
			return bl->ops[0].o->data == (const void *)dr->fp;
	}
	return false;
}

/* Database entries first, tiny ones last; by pattern, then rule. */
static int cmp_fp(const void *a, const void *b)
{
	const struct fp_entry *x = a, *y = b;
	if (x->tiny != y->tiny)
		return x->tiny ? 1 : -1;
	if (x->len != y->len)
		return x->len < y->len ? -1 : 1;
	if (x->nocase != y->nocase)
		return x->nocase ? 1 : -1;
	int c = memcmp(x->p, y->p, x->len);
	if (c)
		return c;
	return x->rule < y->rule ? -1 : x->rule > y->rule;
}

/* Fixed-offset tiny patterns first, by offset; the others after them. */
static int cmp_tiny(const void *a, const void *b)
{
	const struct det_tiny *x = a, *y = b;
	bool xs = x->lo != x->hi, ys = y->lo != y->hi;
	if (xs != ys)
		return xs ? 1 : -1;
	if (x->lo != y->lo)
		return x->lo < y->lo ? -1 : 1;
	return x->rule < y->rule ? -1 : x->rule > y->rule;
}

static void tiny_at_byte(struct det_tiny_at *a, uint8_t c)
{
	a->bytes[c >> 6] |= 1ull << (c & 63);
}

/* Orders g->tiny (cmp_tiny) and indexes its fixed-offset entries by offset (det_tiny_at). */
static int tiny_index(struct det_group *g)
{
	size_t nt = g->ntiny, na = 0;
	qsort(g->tiny, nt, sizeof(*g->tiny), cmp_tiny);
	while (na < nt && g->tiny[na].lo == g->tiny[na].hi)
		na++;
	g->tiny_span = na;
	for (size_t i = 0; i < na; i++) {
		const struct det_tiny *x = &g->tiny[i];
		if (g->ntiny_at == 0 || g->tiny_at[g->ntiny_at - 1].lo != x->lo) {
			struct det_tiny_at *v = realloc(g->tiny_at, (g->ntiny_at + 1) * sizeof(*v));
			if (!v)
				return BW_ERR_NOMEM;
			g->tiny_at = v;
			v[g->ntiny_at++] = (struct det_tiny_at){.lo = x->lo, .first = (uint32_t)i};
		}
		struct det_tiny_at *a = &g->tiny_at[g->ntiny_at - 1];
		uint8_t c0 = (uint8_t)x->val; /* lowercase when nocase */
		tiny_at_byte(a, c0);
		if (x->nocase && c0 >= 'a' && c0 <= 'z')
			tiny_at_byte(a, (uint8_t)(c0 - 32));
		a->n++;
	}
	return 0;
}

static void group_free(struct det_group *g)
{
	if (!g)
		return;
	free(g->tiny);
	free(g->tiny_at);
	if (g->db)
		g->ops->free(g->db);
	free(g->pat_off);
	free(g->rules);
	free(g->slots);
	free(g);
}

/*
 * Patterns from which a group is compiled with build_large: vectorscan's
 * small-write engine costs more than 100 MiB to build for some sets of
 * 500 and more (ET open's TCP to-server payloads), and from about 100 it
 * makes the database up to three times larger (a TCP payload group of 167
 * patterns: 296 KiB in block mode, 100 KiB vectored) without making the
 * pipeline faster: with ET open over mix-x40, a threshold of 100 instead of
 * 500 ran as fast (twelve interleaved pairs, medians 490 k and 494 k
 * packets/s), loaded the rules in 0.57-0.71 s instead of 0.76-0.91 s and
 * peaked at 115 MiB instead of 166 MiB. Smaller groups (HTTP methods,
 * content types) keep the small-write engine, which scans their short
 * buffers fastest.
 */
enum { DET_LARGE_GROUP = 100 };

/* One group to compile: its entries in, the group out. */
struct gjob {
	struct fp_entry *v;
	size_t n;
	bool force_ac;
	size_t key; /* buffer * DET_NTF + transform */
	struct det_group *g;
	int r;
};

/* Builds one group from its entries (sorted here). Thread-safe: touches only its job. */
static void group_build(struct gjob *j)
{
	struct ips_mpm_pattern *pats = NULL;
	struct fp_entry *v = j->v;
	size_t n = j->n, nt = 0;
	struct det_group *g = calloc(1, sizeof(*g));
	int r = BW_ERR_NOMEM;
	if (!g)
		goto out;
	qsort(v, n, sizeof(*v), cmp_fp);
	while (nt < n && v[n - 1 - nt].tiny)
		nt++;
	if (nt && !(g->tiny = calloc(nt, sizeof(*g->tiny))))
		goto out;
	for (size_t i = 0; i < nt; i++) {
		const struct fp_entry *x = &v[n - nt + i];
		struct det_tiny *y = &g->tiny[i];
		for (size_t k = 0; k < x->len; k++)
			y->val |= (uint32_t)tiny_fold(x->p[k], x->nocase) << (8 * k);
		y->len = (uint8_t)x->len;
		y->nocase = x->nocase;
		y->slots = x->slots;
		y->lo = x->lo;
		y->hi = x->hi;
		y->rule = x->rule;
		g->slot_any |= x->slots;
	}
	g->ntiny = nt;
	if (nt && tiny_index(g) != 0)
		goto out;
	n -= nt;
	if (!(pats = calloc(n + 1, sizeof(*pats))) ||
	    !(g->pat_off = calloc(n + 1, sizeof(uint32_t))) ||
	    !(g->rules = calloc(n + 1, sizeof(uint32_t))) || !(g->slots = calloc(n + 1, 1)))
		goto out;
	uint32_t np = 0;
	for (size_t i = 0; i < n; i++) {
		bool same = i > 0 && v[i].len == v[i - 1].len && v[i].nocase == v[i - 1].nocase &&
		            memcmp(v[i].p, v[i - 1].p, v[i].len) == 0;
		if (!same) {
			g->pat_off[np] = (uint32_t)i;
			pats[np] = (struct ips_mpm_pattern){v[i].p, v[i].len, v[i].nocase, np};
			np++;
		}
		g->rules[i] = v[i].rule;
		g->slots[i] = v[i].slots;
		g->slot_any |= v[i].slots;
	}
	g->pat_off[np] = (uint32_t)n;
	g->npat = np;
	g->maxlen = n ? v[n - 1].len : 0; /* sorted by length */
	g->nent = n;
	g->ops = j->force_ac ? &ips_mpm_ac_ops : &ips_mpm_hs_ops;
	r = 0;
	if (np)
		r = np >= DET_LARGE_GROUP && g->ops->build_large
		            ? g->ops->build_large(pats, np, &g->db)
		            : g->ops->build(pats, np, &g->db);
	if (r == BW_ERR_UNSUPP && g->ops == &ips_mpm_hs_ops) {
		g->ops = &ips_mpm_ac_ops;
		r = g->ops->build(pats, np, &g->db);
	}
out:
	free(pats);
	if (r) {
		group_free(g);
		g = NULL;
	}
	j->g = g;
	j->r = r;
}

/* Work queue of group jobs, largest first, shared by the build threads. */
struct gqueue {
	struct gjob **jobs;
	size_t n;
	atomic_size_t next;
};

static void *gq_worker(void *arg)
{
	struct gqueue *q = arg;
	for (;;) {
		size_t i = atomic_fetch_add(&q->next, 1);
		if (i >= q->n)
			return NULL;
		group_build(q->jobs[i]);
	}
}

static int cmp_job(const void *a, const void *b)
{
	const struct gjob *x = *(const struct gjob *const *)a, *y = *(const struct gjob *const *)b;
	return x->n != y->n ? (x->n > y->n ? -1 : 1) : 0;
}

/* Threads that compile groups: the online CPUs, at most 4 (vectorscan compiles are serial). */
static unsigned build_threads(void)
{
	long c = sysconf(_SC_NPROCESSORS_ONLN);
	return c < 1 ? 1 : c > 4 ? 4 : (unsigned)c;
}

/* Fills ent[g] (counting in cnt[g]; ent NULL: counts only) for the rules of zone z. */
static void zone_entries(const struct ips_detect_engine *e, size_t z, size_t *cnt,
                         struct fp_entry **ent)
{
	for (size_t i = 0; i < e->nrules; i++) {
		const struct det_rule *dr = &e->rules[i];
		if (!dr->fp || !(dr->zmask & (1u << z)))
			continue;
		uint8_t slots = 0;
		for (int pc = 0; pc < DET_PC__COUNT; pc++)
			for (int d = 0; d < DET_DIR__COUNT; d++)
				if ((dr->pc_mask & (1u << pc)) && (dr->dir_mask & (1u << d)))
					slots |= det_slot(pc, d);
		/*
		 * A payload rule goes in the group of each of its slots, an app
		 * rule with a payload fast pattern also in the transaction
		 * payload group of each.
		 */
		bool app = dr->kind == IPS_RK_APP;
		for (int gi = 0; gi < 2 * DET_NSLOT; gi++) {
			int si = gi % DET_NSLOT;
			size_t g;
			uint8_t gs = slots;
			if (dr->fp_buf == IPS_BUF_PAYLOAD) {
				if (!(slots & (1u << si)) || (gi >= DET_NSLOT && !app))
					continue;
				g = gi < DET_NSLOT ? det_pkey(si, dr->fp_tf)
				                   : det_tkey(si, dr->fp_tf);
				gs = (uint8_t)(1u << si);
			} else if (gi == 0) {
				g = det_gkey(dr->fp_buf, dr->fp_tf);
			} else {
				break;
			}
			if (ent) {
				const struct ips_content *c = dr->fp;
				struct fp_entry *x = &ent[g][cnt[g]];
				x->p = c->pat;
				x->len = c->len;
				if (c->flags & IPS_CF_FP_CHOP) {
					x->p += c->fp_off;
					x->len = c->fp_len;
				}
				fp_window(&x->p, &x->len);
				x->tiny = fp_tiny(c, fp_first(dr), x->p, x->len, &x->lo, &x->hi);
				x->nocase = c->flags & IPS_CF_NOCASE;
				x->rule = (uint32_t)i;
				x->slots = gs;
			}
			cnt[g]++;
		}
	}
}

/* Whether two entry lists hold the same rules (then the same patterns, in order). */
static bool same_entries(const struct fp_entry *a, size_t na, const struct fp_entry *b, size_t nb)
{
	if (na != nb)
		return false;
	for (size_t i = 0; i < na; i++)
		if (a[i].rule != b[i].rule || a[i].slots != b[i].slots)
			return false;
	return true;
}

_Static_assert(IPS_BUF__COUNT <= 256, "pkt_gbufs holds gbufs indexes in a byte");

/* Lists the groups of zone zn as prefilter() walks them. */
static void zone_keys(struct det_zone *zn)
{
	for (size_t g = 0; g < DET_NG; g++)
		if (zn->groups[g])
			zn->gkeys[zn->ngkeys++] = (uint16_t)g;
	for (size_t k = 0; k < zn->ngkeys; k++) {
		size_t g = zn->gkeys[k];
		if (g >= det_pkey(0, 0)) {
			size_t si = (g - det_pkey(0, 0)) / DET_NTF, kind = si >= DET_NSLOT;
			si %= DET_NSLOT;
			zn->pkeys[kind][si][zn->npkeys[kind][si]++] = (uint16_t)g;
		} else if (zn->ngbufs && zn->gbufs[zn->ngbufs - 1].b == g / DET_NTF) {
			zn->gbufs[zn->ngbufs - 1].n++;
		} else {
			zn->gbufs[zn->ngbufs++] =
			        (struct det_gbuf){(uint16_t)(g / DET_NTF), (uint16_t)k, 1};
		}
	}
	for (size_t k = 0; k < zn->ngbufs; k++)
		if (ips_buf_is_pkt((enum ips_buf)zn->gbufs[k].b))
			zn->pkt_gbufs[zn->npkt_gbufs++] = (uint8_t)k;
}

int det_build_groups(struct ips_detect_engine *e, struct ips_detect_stats *st)
{
	enum { NG = DET_NG };
	size_t nz = e->nzones, nall = nz * NG, nj = 0;
	int r = BW_ERR_NOMEM;
	size_t *cnt = calloc(nall, sizeof(*cnt));
	struct fp_entry **ent = calloc(nall, sizeof(*ent));
	struct gjob *jobs = calloc(nall, sizeof(*jobs));
	/* job_of[z * NG + g]: the job of that group, or of its twin in an earlier zone */
	size_t *job_of = calloc(nall, sizeof(*job_of));
	if (!cnt || !ent || !jobs || !job_of)
		goto out;
	for (size_t z = 0; z < nz; z++) {
		size_t *zc = cnt + z * NG;
		struct fp_entry **ze = ent + z * NG;
		zone_entries(e, z, zc, NULL);
		for (size_t g = 0; g < NG; g++)
			if (zc[g] && !(ze[g] = calloc(zc[g], sizeof(**ze))))
				goto out;
		memset(zc, 0, NG * sizeof(*zc));
		zone_entries(e, z, zc, ze);
		for (size_t g = 0; g < NG; g++) {
			if (!zc[g])
				continue;
			size_t twin = SIZE_MAX;
			for (size_t y = 0; y < z && twin == SIZE_MAX; y++)
				if (same_entries(ent[y * NG + g], cnt[y * NG + g], ze[g], zc[g]))
					twin = job_of[y * NG + g];
			if (twin != SIZE_MAX) {
				job_of[z * NG + g] = twin;
				continue;
			}
			job_of[z * NG + g] = nj;
			jobs[nj++] = (struct gjob){
			        .v = ze[g], .n = zc[g], .force_ac = e->conf.force_ac, .key = g};
		}
	}
	/* Largest first (job_of indexes the unsorted order: sort a copy of the indices). */
	struct gjob **order = calloc(nj ? nj : 1, sizeof(*order));
	if (!order)
		goto out;
	for (size_t k = 0; k < nj; k++)
		order[k] = &jobs[k];
	qsort(order, nj, sizeof(*order), cmp_job);
	struct gqueue q = {.jobs = order, .n = nj};
	atomic_init(&q.next, 0);
	pthread_t th[4];
	unsigned nth = build_threads(), started = 0;
	for (unsigned k = 1; k < nth && k < nj; k++)
		if (pthread_create(&th[started], NULL, gq_worker, &q) == 0)
			started++;
	gq_worker(&q);
	for (unsigned k = 0; k < started; k++)
		pthread_join(th[k], NULL);
	free(order);
	r = 0;
	for (size_t k = 0; k < nj; k++) {
		struct det_group *g = jobs[k].g;
		if (jobs[k].r) {
			r = r ? r : jobs[k].r;
			continue;
		}
		if (g->ops == &ips_mpm_hs_ops)
			st->hs_groups++;
		else
			st->ac_groups++;
		st->groups++;
		st->patterns += g->npat + g->ntiny;
		st->memory += (g->db ? g->ops->db_size(g->db) : 0) +
		              (g->npat + 1 + g->nent) * sizeof(uint32_t) + g->nent + sizeof(*g) +
		              g->ntiny * sizeof(*g->tiny) + g->ntiny_at * sizeof(*g->tiny_at);
	}
	for (size_t z = 0; z < nz; z++) {
		for (size_t g = 0; g < NG; g++)
			if (cnt[z * NG + g] && !jobs[job_of[z * NG + g]].r)
				e->zone[z].groups[g] = jobs[job_of[z * NG + g]].g;
		zone_keys(&e->zone[z]);
	}
	/* A group that failed was freed by its job; the others are the engine's now. */
out:
	if (ent)
		for (size_t g = 0; g < nall; g++)
			free(ent[g]);
	free(ent);
	free(cnt);
	free(jobs);
	free(job_of);
	return r;
}

/* Frees the engine's groups (a group shared by several zones once). */
void det_groups_free(struct ips_detect_engine *e)
{
	for (size_t z = 0; z < e->nzones; z++)
		for (size_t g = 0; g < DET_NG; g++) {
			bool shared = false;
			for (size_t y = 0; y < z && !shared; y++)
				shared = e->zone[y].groups[g] == e->zone[z].groups[g];
			if (!shared)
				group_free(e->zone[z].groups[g]);
		}
}

/* ---- address zones ---- */

static bool ranges_eq(const struct ips_ip_range *a, size_t na, const struct ips_ip_range *b,
                      size_t nb)
{
	return na == nb && (na == 0 || memcmp(a, b, na * sizeof(*a)) == 0);
}

static bool aset_eq(const struct ips_addrset *a, const struct ips_addrset *b)
{
	return a->any == b->any && ranges_eq(a->v4, a->n4, b->v4, b->n4) &&
	       ranges_eq(a->v6, a->n6, b->v6, b->n6);
}

/* Whether every range of a lies in one range of h (both sorted and merged). */
static bool ranges_within(const struct ips_ip_range *a, size_t na, const struct ips_ip_range *h,
                          size_t nh)
{
	size_t j = 0;
	for (size_t i = 0; i < na; i++) {
		while (j < nh && bw_key_cmp(h[j].hi, a[i].lo, 16) < 0)
			j++;
		if (j == nh || bw_key_cmp(h[j].lo, a[i].lo, 16) > 0 ||
		    bw_key_cmp(a[i].hi, h[j].hi, 16) > 0)
			return false;
	}
	return true;
}

/* Whether some range of a overlaps some range of h (both sorted). */
static bool ranges_meet(const struct ips_ip_range *a, size_t na, const struct ips_ip_range *h,
                        size_t nh)
{
	size_t i = 0, j = 0;
	while (i < na && j < nh) {
		if (bw_key_cmp(a[i].hi, h[j].lo, 16) < 0)
			i++;
		else if (bw_key_cmp(h[j].hi, a[i].lo, 16) < 0)
			j++;
		else
			return true;
	}
	return false;
}

enum { ZS_OUT = 1, ZS_IN = 2 };

/* Which sides of home an address set reaches: ZS_IN, ZS_OUT or both. */
static unsigned aset_sides(const struct ips_addrset *s, const struct ips_addrset *h)
{
	if (s->any)
		return ZS_IN | ZS_OUT;
	if (h->any)
		return s->n4 || s->n6 ? ZS_IN : 0;
	unsigned m = 0;
	if (ranges_meet(s->v4, s->n4, h->v4, h->n4) || ranges_meet(s->v6, s->n6, h->v6, h->n6))
		m |= ZS_IN;
	if (!ranges_within(s->v4, s->n4, h->v4, h->n4) ||
	    !ranges_within(s->v6, s->n6, h->v6, h->n6))
		m |= ZS_OUT;
	return m;
}

/* The zones (det_zone_of) in which rule r's addresses can match, as a mask. */
static uint8_t rule_zones(const struct ips_rule *r, const struct ips_addrset *h)
{
	unsigned sm = aset_sides(&r->src, h), dm = aset_sides(&r->dst, h);
	uint8_t m = 0;
	for (unsigned z = 0; z < DET_NZONE; z++) {
		unsigned zs = z & 1 ? ZS_IN : ZS_OUT, zd = z & 2 ? ZS_IN : ZS_OUT;
		if (((sm & zs) && (dm & zd)) || (r->bidir && (sm & zd) && (dm & zs)))
			m |= (uint8_t)(1u << z);
	}
	/* No zone: the rule cannot match any address; keep it everywhere regardless. */
	return m ? m : (uint8_t)((1u << DET_NZONE) - 1);
}

/*
 * Picks the home set, the address set the rules name most (each side of
 * each rule counts), and each rule's zones; one zone when no rule names
 * addresses.
 */
void det_build_zones(struct ips_detect_engine *e)
{
	enum { NCAND = 64 };
	const struct ips_addrset *cand[NCAND];
	size_t count[NCAND], nc = 0, best = 0;
	for (size_t i = 0; i < e->nrules; i++) {
		const struct ips_addrset *side[2] = {&e->rules[i].r->src, &e->rules[i].r->dst};
		for (int k = 0; k < 2; k++) {
			if (side[k]->any)
				continue;
			size_t c = 0;
			while (c < nc && !aset_eq(cand[c], side[k]))
				c++;
			if (c == nc) {
				if (nc == NCAND)
					continue;
				cand[nc] = side[k];
				count[nc++] = 0;
			}
			count[c]++;
		}
	}
	for (size_t c = 1; c < nc; c++)
		if (count[c] > count[best])
			best = c;
	e->nzones = nc ? DET_NZONE : 1;
	e->home = nc ? cand[best] : NULL;
	for (size_t i = 0; i < e->nrules; i++)
		e->rules[i].zmask = e->home ? rule_zones(e->rules[i].r, e->home) : 1;
}
