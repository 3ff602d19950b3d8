/* SPDX-License-Identifier: ISC */
/*
 * Detection engine build and run loop. At build, every rule is compiled
 * into a struct det_rule (its options split into packet checks, per-buffer
 * lists and post-match flowbits updates), the rules are sorted into
 * Suricata's signature order (action pass, drop, reject, alert; flowbits
 * setters, then setters that also read, then readers, then the rest;
 * priority; file order) and grouped by transport class, direction (from
 * flow:to_server/to_client) and the buffer and transform of their fast
 * pattern: the explicit fast_pattern content, else the longest non-negated
 * content, preferring app-layer buffers over the payload. Each group's
 * unique fast patterns become one multi-pattern database (vectorscan, or
 * Aho-Corasick when vectorscan refuses it). Rules with no usable content
 * go to a per-(class, direction) list evaluated on every packet.
 *
 * At run, each present buffer is scanned by its group's database; every
 * pattern found makes its rules candidates (deduplicated with a bitmap),
 * the always-evaluate rules are added, and the candidates are evaluated in
 * signature order. The prefilter is sound: a rule can only match if its
 * fast pattern occurs in its buffer, so prefiltering never changes the
 * result, only the work (the tests compare it with full evaluation).
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ips/detect_int.h"
#include "lib/err.h"
#include "lib/log.h"

/* ---- flowbit names ---- */

static int cmpstr(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int intern_flowbits(struct ips_detect_engine *e, const struct ips_ruleset *rs)
{
	size_t n = 0, cap = 0;
	char **v = NULL;
	for (size_t i = 0; i < rs->n; i++) {
		const struct ips_rule *r = rs->rules[i];
		for (size_t j = 0; j < r->nopts; j++) {
			const struct ips_flowbits *f = r->opts[j].data;
			if (r->opts[j].kw != IPS_KW_FLOWBITS || !f)
				continue;
			for (size_t k = 0; k < f->n; k++) {
				if (n == cap) {
					cap = cap ? cap * 2 : 64;
					char **nv = realloc(v, cap * sizeof(*v));
					if (!nv) {
						free(v);
						return BW_ERR_NOMEM;
					}
					v = nv;
				}
				v[n++] = f->names[k]; /* borrowed */
			}
		}
	}
	if (n)
		qsort(v, n, sizeof(*v), cmpstr);
	size_t u = 0;
	for (size_t i = 0; i < n; i++)
		if (u == 0 || strcmp(v[u - 1], v[i]) != 0)
			v[u++] = v[i];
	if (u > UINT16_MAX) {
		free(v);
		return BW_ERR_LIMIT;
	}
	e->fb_names = v;
	e->nfb = u;
	return 0;
}

int ips_detect_flowbit_id(const struct ips_detect_engine *e, const char *name)
{
	if (!e->nfb)
		return -1;
	char **f = bsearch(&name, e->fb_names, e->nfb, sizeof(char *), cmpstr);
	return f ? (int)(f - e->fb_names) : -1;
}

/* ---- rule compilation ---- */

static bool in_buffer(enum ips_kw kw)
{
	switch (kw) {
	case IPS_KW_CONTENT:
	case IPS_KW_PCRE:
	case IPS_KW_ISDATAAT:
	case IPS_KW_BYTE_TEST:
	case IPS_KW_BYTE_JUMP:
	case IPS_KW_BYTE_EXTRACT:
	case IPS_KW_BSIZE:
	case IPS_KW_DOTPREFIX:
		return true;
	default:
		return false;
	}
}

/* Whether an option positions itself from the cursor. */
static bool is_relative(const struct ips_opt *o)
{
	switch (o->kw) {
	case IPS_KW_CONTENT:
		return ((const struct ips_content *)o->data)->flags &
		       (IPS_CF_DISTANCE | IPS_CF_WITHIN);
	case IPS_KW_PCRE:
		return ((const struct ips_pcre *)o->data)->flags & IPS_PCRE_RELATIVE;
	case IPS_KW_ISDATAAT:
		return ((const struct ips_isdataat *)o->data)->relative;
	case IPS_KW_BYTE_TEST:
		return ((const struct ips_byte_test *)o->data)->relative;
	case IPS_KW_BYTE_JUMP:
		return ((const struct ips_byte_jump *)o->data)->relative;
	case IPS_KW_BYTE_EXTRACT:
		return ((const struct ips_byte_extract *)o->data)->relative;
	default:
		return false;
	}
}

static struct det_bufl *bufl_get(struct det_rule *dr, enum ips_buf b, size_t maxops)
{
	for (size_t i = 0; i < dr->nbl; i++)
		if (dr->bl[i].buf == b)
			return &dr->bl[i];
	struct det_bufl *bl = &dr->bl[dr->nbl];
	bl->buf = b;
	if (!(bl->ops = calloc(maxops, sizeof(*bl->ops))))
		return NULL;
	dr->nbl++;
	return bl;
}

static int fb_ids(const struct ips_detect_engine *e, struct det_op *op)
{
	const struct ips_flowbits *f = op->o->data;
	if (!(op->fb = calloc(f->n ? f->n : 1, sizeof(*op->fb))))
		return BW_ERR_NOMEM;
	for (size_t k = 0; k < f->n; k++)
		op->fb[k] = (uint16_t)ips_detect_flowbit_id(e, f->names[k]);
	return 0;
}

static int prio_of(const struct ips_rule *r, const struct ips_detect_conf *c)
{
	if (r->priority >= 0)
		return r->priority;
	return c->classes ? ips_rule_priority(r, c->classes) : 3;
}

static int action_rank(enum ips_action a)
{
	switch (a) {
	case IPS_ACT_PASS:
		return 0;
	case IPS_ACT_DROP:
		return 1;
	case IPS_ACT_REJECT:
	case IPS_ACT_REJECTSRC:
	case IPS_ACT_REJECTDST:
	case IPS_ACT_REJECTBOTH:
		return 2;
	default:
		return 3;
	}
}

/* The fast pattern: explicit, else the longest non-negated content (app buffers first). */
static void pick_fp(struct det_rule *dr)
{
	const struct ips_rule *r = dr->r;
	long best = -1;
	for (size_t i = 0; i < r->nopts; i++) {
		const struct ips_content *c = r->opts[i].data;
		if (r->opts[i].kw != IPS_KW_CONTENT || (c->flags & IPS_CF_NEGATED))
			continue;
		long score = (long)c->len + (r->opts[i].buf != IPS_BUF_PAYLOAD ? 1000000L : 0);
		if (c->flags & IPS_CF_FAST_PATTERN)
			score = 1L << 40;
		if (score > best) {
			best = score;
			dr->fp = c;
			dr->fp_buf = r->opts[i].buf;
		}
	}
	if (!dr->fp)
		return;
	for (size_t i = 0; i < dr->nbl; i++)
		if (dr->bl[i].buf == dr->fp_buf)
			dr->fp_dotprefix = dr->bl[i].dotprefix;
}

static uint8_t pc_mask(const struct ips_rule *r)
{
	switch (r->proto) {
	case IPS_PROTO_TCP:
	case IPS_PROTO_HTTP:
	case IPS_PROTO_TLS:
		return 1u << DET_PC_TCP;
	case IPS_PROTO_UDP:
		return 1u << DET_PC_UDP;
	case IPS_PROTO_DNS:
		return (1u << DET_PC_TCP) | (1u << DET_PC_UDP);
	case IPS_PROTO_ICMP:
		return 1u << DET_PC_ICMP;
	default:
		return (1u << DET_PC__COUNT) - 1;
	}
}

static int compile_rule(struct ips_detect_engine *e, const struct ips_rule *r, size_t file_order,
                        struct det_rule *dr)
{
	size_t n = r->nopts ? r->nopts : 1;
	dr->r = r;
	dr->file_order = file_order;
	dr->prio = prio_of(r, &e->conf);
	dr->action_rank = action_rank(r->action);
	dr->pc_mask = pc_mask(r);
	dr->dir_mask = (1u << DET_TS) | (1u << DET_TC);
	if (r->flow && (r->flow->flags & IPS_FLOW_TO_SERVER))
		dr->dir_mask = 1u << DET_TS;
	else if (r->flow && (r->flow->flags & IPS_FLOW_TO_CLIENT))
		dr->dir_mask = 1u << DET_TC;
	if (!(dr->pkt = calloc(n, sizeof(*dr->pkt))) ||
	    !(dr->post = calloc(n, sizeof(*dr->post))) || !(dr->bl = calloc(n, sizeof(*dr->bl))))
		return BW_ERR_NOMEM;
	bool sets = false, reads = false;
	for (size_t i = 0; i < r->nopts; i++) {
		const struct ips_opt *o = &r->opts[i];
		if (in_buffer(o->kw)) {
			struct det_bufl *bl = bufl_get(dr, o->buf, n);
			if (!bl)
				return BW_ERR_NOMEM;
			if (o->kw == IPS_KW_DOTPREFIX) {
				bl->dotprefix = true;
				e->any_dotprefix[o->buf] = true;
			} else {
				bl->ops[bl->n++].o = o;
			}
			if (o->kw == IPS_KW_PCRE) /* failure leaves the interpreter */
				pcre2_jit_compile(((struct ips_pcre *)o->data)->code,
				                  PCRE2_JIT_COMPLETE);
			continue;
		}
		switch (o->kw) {
		case IPS_KW_THRESHOLD:
		case IPS_KW_DETECTION_FILTER:
			if (!dr->thr)
				dr->thr = o->data;
			break;
		case IPS_KW_FLOWBITS: {
			const struct ips_flowbits *f = o->data;
			struct det_op *op;
			if (!f || f->cmd == IPS_FB_NOALERT)
				break;
			if (f->cmd == IPS_FB_ISSET || f->cmd == IPS_FB_ISNOTSET) {
				op = &dr->pkt[dr->npkt++];
				reads = true;
			} else {
				op = &dr->post[dr->npost++];
				sets = true;
			}
			op->o = o;
			if (fb_ids(e, op))
				return BW_ERR_NOMEM;
			break;
		}
		default:
			dr->pkt[dr->npkt++].o = o;
			break;
		}
	}
	dr->fb_rank = sets && !reads ? 0 : sets ? 1 : reads ? 2 : 3;
	for (size_t i = 0; i < dr->nbl; i++) {
		bool rel = false;
		for (size_t k = dr->bl[i].n; k-- > 0;) {
			dr->bl[i].ops[k].rel_after = rel;
			rel = rel || is_relative(dr->bl[i].ops[k].o);
		}
	}
	pick_fp(dr);
	return 0;
}

static void free_rule(struct det_rule *dr)
{
	for (size_t i = 0; i < dr->npkt; i++)
		free(dr->pkt[i].fb);
	for (size_t i = 0; i < dr->npost; i++)
		free(dr->post[i].fb);
	for (size_t i = 0; i < dr->nbl; i++)
		free(dr->bl[i].ops);
	free(dr->pkt);
	free(dr->post);
	free(dr->bl);
}

static int cmp_order(const void *a, const void *b)
{
	const struct det_rule *x = a, *y = b;
	if (x->action_rank != y->action_rank)
		return x->action_rank < y->action_rank ? -1 : 1;
	if (x->fb_rank != y->fb_rank)
		return x->fb_rank < y->fb_rank ? -1 : 1;
	if (x->prio != y->prio)
		return x->prio < y->prio ? -1 : 1;
	return x->file_order < y->file_order ? -1 : x->file_order > y->file_order;
}

/* ---- groups ---- */

struct fp_entry {
	const uint8_t *p;
	size_t len;
	bool nocase;
	uint32_t rule;
};

static int cmp_fp(const void *a, const void *b)
{
	const struct fp_entry *x = a, *y = b;
	if (x->len != y->len)
		return x->len < y->len ? -1 : 1;
	if (x->nocase != y->nocase)
		return x->nocase ? 1 : -1;
	int c = memcmp(x->p, y->p, x->len);
	if (c)
		return c;
	return x->rule < y->rule ? -1 : x->rule > y->rule;
}

static void group_free(struct det_group *g)
{
	if (!g)
		return;
	if (g->db)
		g->ops->free(g->db);
	free(g->pat_off);
	free(g->rules);
	free(g);
}

/* Builds one group from its entries (sorted here). */
static int group_build(struct ips_detect_engine *e, struct fp_entry *v, size_t n,
                       struct det_group **out, struct ips_detect_stats *st)
{
	struct ips_mpm_pattern *pats = NULL;
	struct det_group *g = calloc(1, sizeof(*g));
	int r = BW_ERR_NOMEM;
	*out = NULL;
	if (!g)
		return r;
	qsort(v, n, sizeof(*v), cmp_fp);
	if (!(pats = calloc(n, sizeof(*pats))) || !(g->pat_off = calloc(n + 1, sizeof(uint32_t))) ||
	    !(g->rules = calloc(n, sizeof(uint32_t))))
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
	}
	g->pat_off[np] = (uint32_t)n;
	g->npat = np;
	g->ops = e->conf.force_ac ? &ips_mpm_ac_ops : &ips_mpm_hs_ops;
	r = g->ops->build(pats, np, &g->db);
	if (r == BW_ERR_UNSUPP && g->ops == &ips_mpm_hs_ops) {
		g->ops = &ips_mpm_ac_ops;
		r = g->ops->build(pats, np, &g->db);
	}
	if (r)
		goto out;
	if (g->ops == &ips_mpm_hs_ops)
		st->hs_groups++;
	else
		st->ac_groups++;
	st->patterns += np;
	st->memory += g->ops->db_size(g->db) + (np + 1 + n) * sizeof(uint32_t) + sizeof(*g);
	*out = g;
	g = NULL;
out:
	free(pats);
	group_free(g);
	return r;
}

static int build_groups(struct ips_detect_engine *e, struct ips_detect_stats *st)
{
	/* Count entries per group, then fill. */
	enum { NG = DET_PC__COUNT * DET_DIR__COUNT * IPS_BUF__COUNT * DET_NTF };
	size_t *cnt = calloc(NG, sizeof(size_t));
	struct fp_entry **ent = calloc(NG, sizeof(*ent));
	int r = BW_ERR_NOMEM;
	if (!cnt || !ent)
		goto out;
	for (int pass = 0; pass < 2; pass++) {
		if (pass == 1) {
			for (size_t g = 0; g < NG; g++)
				if (cnt[g] && !(ent[g] = calloc(cnt[g], sizeof(**ent))))
					goto out;
			memset(cnt, 0, NG * sizeof(size_t));
		}
		for (size_t i = 0; i < e->nrules; i++) {
			const struct det_rule *dr = &e->rules[i];
			for (int pc = 0; pc < DET_PC__COUNT; pc++) {
				for (int d = 0; d < DET_DIR__COUNT; d++) {
					if (!(dr->pc_mask & (1u << pc)) ||
					    !(dr->dir_mask & (1u << d)))
						continue;
					if (!dr->fp) {
						if (pass == 1)
							e->always[pc][d][e->nalways[pc][d]] =
							        (uint32_t)i;
						e->nalways[pc][d]++;
						continue;
					}
					size_t g = (((size_t)pc * DET_DIR__COUNT + (size_t)d) *
					                    IPS_BUF__COUNT +
					            dr->fp_buf) *
					                   DET_NTF +
					           dr->fp_dotprefix;
					if (pass == 1) {
						const struct ips_content *c = dr->fp;
						struct fp_entry *x = &ent[g][cnt[g]];
						x->p = c->pat;
						x->len = c->len;
						if (c->flags & IPS_CF_FP_CHOP) {
							x->p += c->fp_off;
							x->len = c->fp_len;
						}
						x->nocase = c->flags & IPS_CF_NOCASE;
						x->rule = (uint32_t)i;
					}
					cnt[g]++;
				}
			}
		}
		if (pass == 0) {
			for (int pc = 0; pc < DET_PC__COUNT; pc++) {
				for (int d = 0; d < DET_DIR__COUNT; d++) {
					size_t k = e->nalways[pc][d];
					st->always_rules += k;
					if (!(e->always[pc][d] =
					              calloc(k ? k : 1, sizeof(uint32_t))))
						goto out;
					st->memory += k * sizeof(uint32_t);
					e->nalways[pc][d] = 0;
				}
			}
		}
	}
	for (size_t g = 0; g < NG; g++) {
		if (!cnt[g])
			continue;
		size_t tf = g % DET_NTF, b = g / DET_NTF % IPS_BUF__COUNT;
		size_t d = g / DET_NTF / IPS_BUF__COUNT % DET_DIR__COUNT;
		size_t pc = g / DET_NTF / IPS_BUF__COUNT / DET_DIR__COUNT;
		if ((r = group_build(e, ent[g], cnt[g], &e->groups[pc][d][b][tf], st)) != 0)
			goto out;
		st->groups++;
	}
	r = 0;
out:
	if (ent)
		for (size_t g = 0; g < NG; g++)
			free(ent[g]);
	free(ent);
	free(cnt);
	return r;
}

/* ---- engine ---- */

void ips_detect_free(struct ips_detect_engine *e)
{
	if (!e)
		return;
	for (size_t i = 0; i < e->nrules; i++)
		free_rule(&e->rules[i]);
	free(e->rules);
	for (int pc = 0; pc < DET_PC__COUNT; pc++)
		for (int d = 0; d < DET_DIR__COUNT; d++) {
			free(e->always[pc][d]);
			for (int b = 0; b < IPS_BUF__COUNT; b++)
				for (int tf = 0; tf < DET_NTF; tf++)
					group_free(e->groups[pc][d][b][tf]);
		}
	free(e->fb_names);
	free(e);
}

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

int ips_detect_build(const struct ips_ruleset *rs, const struct ips_detect_conf *conf,
                     struct ips_detect_engine **engine, struct ips_detect_stats *stats)
{
	struct ips_detect_stats st = {0};
	double t0 = now_ms();
	int r = BW_ERR_NOMEM;
	*engine = NULL;
	struct ips_detect_engine *e = calloc(1, sizeof(*e));
	if (!e)
		return r;
	if (conf)
		e->conf = *conf;
	if (!e->conf.thr_entries)
		e->conf.thr_entries = 16384;
	if (!e->conf.backtrack_limit)
		e->conf.backtrack_limit = 3000;
	if (!e->conf.pcre_match_limit)
		e->conf.pcre_match_limit = 3500;
	if ((r = intern_flowbits(e, rs)) != 0)
		goto out;
	r = BW_ERR_NOMEM;
	if (rs->n && !(e->rules = calloc(rs->n, sizeof(*e->rules))))
		goto out;
	for (size_t i = 0; i < rs->n; i++) {
		e->nrules++;
		if ((r = compile_rule(e, rs->rules[i], i, &e->rules[i])) != 0)
			goto out;
	}
	if (e->nrules)
		qsort(e->rules, e->nrules, sizeof(*e->rules), cmp_order);
	for (size_t i = 0; i < e->nrules; i++) {
		e->rules[i].order = (uint32_t)i;
		st.memory += sizeof(struct det_rule) +
		             (e->rules[i].npkt + e->rules[i].npost) * sizeof(struct det_op) * 2;
	}
	if (!e->conf.no_prefilter && (r = build_groups(e, &st)) != 0)
		goto out;
	st.rules = e->nrules;
	st.flowbit_names = e->nfb;
	st.build_ms = now_ms() - t0;
	*engine = e;
	e = NULL;
	r = 0;
out:
	ips_detect_free(e);
	if (stats)
		*stats = st;
	return r;
}

void ips_detect_stats_print(const struct ips_detect_stats *st, FILE *f)
{
	fprintf(f,
	        "detect: %zu rules, %zu groups (%zu vectorscan, %zu aho-corasick), %zu patterns, "
	        "%zu always-evaluated, %zu flowbit names, built in %.1f ms, %.1f MiB\n",
	        st->rules, st->groups, st->hs_groups, st->ac_groups, st->patterns, st->always_rules,
	        st->flowbit_names, st->build_ms, (double)st->memory / (1024.0 * 1024.0));
}

/* ---- threads ---- */

void ips_detect_thread_free(struct ips_detect_thread *t)
{
	if (!t)
		return;
	if (t->hs_scratch)
		ips_mpm_hs_ops.scratch_free(t->hs_scratch);
	pcre2_match_data_free(t->md);
	pcre2_match_context_free(t->mctx);
	pcre2_jit_stack_free(t->jit);
	free(t->cand_bits);
	for (size_t b = 0; b < IPS_BUF__COUNT; b++)
		free(t->tf[b].p);
	free(t->thr);
	free(t);
}

int ips_detect_thread_new(const struct ips_detect_engine *e, struct ips_detect_thread **out)
{
	*out = NULL;
	struct ips_detect_thread *t = calloc(1, sizeof(*t));
	if (!t)
		return BW_ERR_NOMEM;
	t->e = e;
	size_t words = (e->nrules + 63) / 64;
	if (!(t->cand_bits = calloc(words ? words : 1, sizeof(uint64_t))) ||
	    !(t->thr = calloc(e->conf.thr_entries, sizeof(*t->thr))) ||
	    !(t->md = pcre2_match_data_create(1, NULL)) ||
	    !(t->mctx = pcre2_match_context_create(NULL)) ||
	    !(t->jit = pcre2_jit_stack_create(32 * 1024, 512 * 1024, NULL)))
		goto fail;
	t->nthr = e->conf.thr_entries;
	pcre2_set_match_limit(t->mctx, e->conf.pcre_match_limit);
	pcre2_jit_stack_assign(t->mctx, NULL, t->jit);
	for (int pc = 0; pc < DET_PC__COUNT; pc++)
		for (int d = 0; d < DET_DIR__COUNT; d++)
			for (int b = 0; b < IPS_BUF__COUNT; b++)
				for (int tf = 0; tf < DET_NTF; tf++) {
					const struct det_group *g = e->groups[pc][d][b][tf];
					if (g && g->ops == &ips_mpm_hs_ops &&
					    g->ops->scratch_grow(g->db, &t->hs_scratch))
						goto fail;
				}
	*out = t;
	return 0;
fail:
	ips_detect_thread_free(t);
	return BW_ERR_NOMEM;
}

const struct ips_detect_thread_stats *ips_detect_thread_stats(const struct ips_detect_thread *t)
{
	return &t->st;
}

/* ---- run ---- */

static void add_cand(struct ips_detect_thread *t, uint32_t rule)
{
	uint64_t bit = 1ull << (rule & 63);
	if (t->cand_bits[rule >> 6] & bit)
		return;
	t->cand_bits[rule >> 6] |= bit;
	t->ncand++;
}

struct scan_ctx {
	struct ips_detect_thread *t;
	const struct det_group *g;
};

static int on_pattern(uint32_t id, size_t end, void *ctx)
{
	struct scan_ctx *s = ctx;
	(void)end;
	if (id >= s->g->npat)
		return 0;
	for (uint32_t k = s->g->pat_off[id]; k < s->g->pat_off[id + 1]; k++)
		add_cand(s->t, s->g->rules[k]);
	return 0;
}

static enum det_pclass pclass(uint8_t proto)
{
	switch (proto) {
	case 6:
		return DET_PC_TCP;
	case 17:
		return DET_PC_UDP;
	case 1:
	case 58:
		return DET_PC_ICMP;
	default:
		return DET_PC_OTHER;
	}
}

static void prefilter(const struct ips_detect_engine *e, struct ips_detect_thread *t,
                      const struct ips_detect_input *in)
{
	enum det_pclass pc = pclass(in->proto);
	enum det_dir d = in->has_flow && !in->to_server ? DET_TC : DET_TS;
	for (int b = 0; b < IPS_BUF__COUNT; b++) {
		size_t nv = det_nviews(in, (enum ips_buf)b);
		for (int tf = 0; tf < DET_NTF && nv; tf++) {
			const struct det_group *g = e->groups[pc][d][b][tf];
			if (!g)
				continue;
			struct scan_ctx sc = {t, g};
			void *scratch = g->ops == &ips_mpm_hs_ops ? t->hs_scratch : NULL;
			for (size_t k = 0; k < nv; k++) {
				const uint8_t *p;
				size_t len;
				if (det_view(t, in, (enum ips_buf)b, k, tf, &p, &len))
					g->ops->scan(g->db, scratch, p, len, on_pattern, &sc);
			}
		}
	}
	for (size_t i = 0; i < e->nalways[pc][d]; i++)
		add_cand(t, e->always[pc][d][i]);
}

/* Index of the lowest set bit of b (b != 0), by de Bruijn multiplication. */
static unsigned ctz64(uint64_t b)
{
	static const uint8_t tab[64] = {0,  1,  2,  53, 3,  7,  54, 27, 4,  38, 41, 8,  34,
	                                55, 48, 28, 62, 5,  39, 46, 44, 42, 22, 9,  24, 35,
	                                59, 56, 49, 18, 29, 11, 63, 52, 6,  26, 37, 40, 33,
	                                47, 61, 45, 43, 21, 23, 58, 17, 10, 51, 25, 36, 32,
	                                60, 20, 57, 16, 50, 31, 19, 15, 30, 14, 13, 12};
	return tab[((b & (0 - b)) * 0x022fdd63cc95386dull) >> 58];
}

/* Evaluates candidate `idx`; returns true when the inspection must stop (pass). */
static bool evaluate(const struct ips_detect_engine *e, struct ips_detect_thread *t,
                     const struct ips_detect_input *in, uint32_t idx, struct ips_match *m,
                     size_t max, size_t *n)
{
	const struct det_rule *dr = &e->rules[idx];
	t->st.evaluated++;
	if (!det_rule_match(t, dr, in))
		return false;
	t->st.matches++;
	det_rule_post(dr, in);
	if (dr->r->noalert && dr->r->action != IPS_ACT_PASS)
		return false;
	if (!det_thr_allow(t, dr, in)) {
		t->st.alerts_suppressed++;
		return false;
	}
	if (*n < max)
		m[*n] = (struct ips_match){dr->r, dr->r->action};
	(*n)++;
	return dr->r->action == IPS_ACT_PASS;
}

int ips_detect_run(const struct ips_detect_engine *e, struct ips_detect_thread *t,
                   const struct ips_detect_input *in, struct ips_match *m, size_t max, size_t *n)
{
	*n = 0;
	t->gen++;
	t->st.runs++;
	t->ncand = 0;
	if (e->conf.no_prefilter) {
		t->st.candidates += e->nrules;
		for (size_t i = 0; i < e->nrules; i++)
			if (evaluate(e, t, in, (uint32_t)i, m, max, n))
				break;
		return 0;
	}
	prefilter(e, t, in);
	t->st.candidates += t->ncand;
	/*
	 * Candidates in evaluation order: walk the bitmap (rules are sorted), which
	 * costs nrules / 64 word reads and no sort; clear it on the way.
	 */
	size_t words = (e->nrules + 63) / 64;
	bool stop = false;
	for (size_t w = 0; w < words && t->ncand; w++) {
		uint64_t b = t->cand_bits[w];
		if (!b)
			continue;
		t->cand_bits[w] = 0;
		while (b && !stop) {
			unsigned bit = ctz64(b);
			b &= b - 1;
			t->ncand--;
			stop = evaluate(e, t, in, (uint32_t)(w * 64 + bit), m, max, n);
		}
		if (stop) {
			for (size_t k = w + 1; k < words; k++)
				t->cand_bits[k] = 0;
			break;
		}
	}
	return 0;
}
