/* SPDX-License-Identifier: ISC */
/*
 * Detection engine build and run loop. At build, every rule is compiled
 * into a struct det_rule (its options split into packet checks, per-buffer
 * lists and post-match flowbits updates), the rules are sorted into
 * Suricata's signature order (action pass, drop, reject, alert; flowbits
 * setters, then setters that also read, then readers, then the rest;
 * priority; file order). A rule's fast pattern is the explicit
 * fast_pattern content, else the longest non-negated content, preferring
 * app-layer buffers over the payload. The unique fast patterns of one
 * buffer and transform become one multi-pattern database (vectorscan, or
 * Aho-Corasick when vectorscan refuses it), whatever the transport class
 * (tcp, udp, icmp, other) and direction (flow:to_server/to_client) of their
 * rules: each pattern keeps the slots (class x direction) of its rules and
 * a hit is filtered by the input's slot, so a rule that applies to both
 * directions or to tcp and udp (dns) is compiled once, per address zone
 * (detect_group.c builds the groups and zones).
 *
 * Rules with no usable content (IP reputation lists, flags/ttl/icmp rules)
 * go into a header index, Suricata's IP-only engine in spirit: bitsets
 * over those rules by slot and app protocol, and per side (source,
 * destination) the rules' distinct address and port sets cut into sorted
 * elementary intervals, each listing the sets that contain it. An input
 * costs a binary search per address and port and a few word ORs and ANDs;
 * what survives is a superset of the rules whose header can match (`<>`
 * rules count as unrestricted), and each is still evaluated fully
 * (detect_hx.c).
 *
 * At run, each present buffer is scanned by its group's database; every
 * pattern found makes its rules candidates (deduplicated with a bitmap),
 * the header index adds its survivors, and the candidates are evaluated in
 * signature order. The prefilter is sound: a rule can only match if its
 * fast pattern occurs in its buffer and its header matches, so
 * prefiltering never changes the result, only the work (the tests compare
 * it with full evaluation and, for the header index, with a brute force).
 */
#define _GNU_SOURCE
#include <assert.h>
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
			const struct ips_flowint *fi = r->opts[j].data;
			const struct ips_xbits_opt *xb = r->opts[j].data;
			char *fin[2];
			size_t nn;
			char **names;
			if (r->opts[j].kw == IPS_KW_FLOWBITS && f) {
				names = f->names;
				nn = f->n;
			} else if (r->opts[j].kw == IPS_KW_FLOWINT && fi) {
				/* Flowints share the name table; their values live apart. */
				fin[0] = fi->name;
				fin[1] = fi->var;
				names = fin;
				nn = fi->var ? 2 : 1;
			} else if (r->opts[j].kw == IPS_KW_XBITS && xb) {
				/* xbits share the table too; their state is the xbits table's. */
				fin[0] = xb->name;
				names = fin;
				nn = 1;
			} else {
				continue;
			}
			for (size_t k = 0; k < nn; k++) {
				if (n == cap) {
					cap = cap ? cap * 2 : 64;
					char **nv = realloc(v, cap * sizeof(*v));
					if (!nv) {
						free(v);
						return BW_ERR_NOMEM;
					}
					v = nv;
				}
				v[n++] = names[k]; /* borrowed */
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
	case IPS_KW_BASE64_DECODE:
		return ((const struct ips_base64_decode *)o->data)->relative;
	case IPS_KW_ASN1:
		return ((const struct ips_asn1 *)o->data)->flags & IPS_ASN1_RELATIVE;
	default:
		return false;
	}
}

/* The engine's id of a transform chain, interned on first sight. */
static uint8_t chain_id(struct ips_detect_engine *e, const struct ips_opt *o, size_t n)
{
	if (n == 0)
		return 0;
	if (e->nchains == 0)
		e->nchains = 1;
	for (size_t i = 1; i < e->nchains; i++)
		if (det_chain_eq(e->chains[i].o, e->chains[i].n, o, n))
			return (uint8_t)i;
	if (e->nchains == DET_NTF)
		return DET_TF_UNCACHED;
	e->chains[e->nchains] = (struct det_chain){o, n};
	return (uint8_t)e->nchains++;
}

/* The list of o's view (its buffer through its transforms), created on first sight. */
static struct det_bufl *bufl_get(struct ips_detect_engine *e, struct det_rule *dr,
                                 const struct ips_opt *o, size_t maxops)
{
	const struct ips_opt *tfo = o->tf_n ? &dr->r->opts[o->tf_first] : NULL;
	struct det_bufl *bl;
	if (o->buf == IPS_BUF_BASE64_DATA) {
		if (!dr->b64 && (!(dr->b64 = calloc(1, sizeof(*dr->b64))) ||
		                 !(dr->b64->ops = calloc(maxops, sizeof(*dr->b64->ops)))))
			return NULL;
		dr->b64->buf = o->buf;
		return dr->b64;
	}
	for (size_t i = 0; i < dr->nbl; i++)
		if (dr->bl[i].buf == o->buf &&
		    det_chain_eq(dr->bl[i].tfo, dr->bl[i].ntf, tfo, o->tf_n))
			return &dr->bl[i];
	bl = &dr->bl[dr->nbl];
	bl->buf = o->buf;
	bl->tfo = tfo;
	bl->ntf = o->tf_n;
	bl->tf = chain_id(e, tfo, o->tf_n);
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

/* op->fb[0]: the flowint's id, op->fb[1]: its operand variable's (or -1). */
static int fi_ids(const struct ips_detect_engine *e, struct det_op *op)
{
	const struct ips_flowint *fi = op->o->data;
	if (!(op->fb = calloc(2, sizeof(*op->fb))))
		return BW_ERR_NOMEM;
	op->fb[0] = (uint16_t)ips_detect_flowbit_id(e, fi->name);
	op->fb[1] = fi->var ? (uint16_t)ips_detect_flowbit_id(e, fi->var) : UINT16_MAX;
	return 0;
}

static int prio_of(const struct ips_rule *r, const struct ips_detect_conf *c)
{
	if (r->priority >= 0)
		return r->priority;
	return c->classes ? ips_rule_priority(r, c->classes) : 3;
}

static enum ips_action_class action_class(enum ips_action a)
{
	switch (a) {
	case IPS_ACT_PASS:
		return IPS_ACLASS_PASS;
	case IPS_ACT_DROP:
		return IPS_ACLASS_DROP;
	case IPS_ACT_REJECT:
	case IPS_ACT_REJECTSRC:
	case IPS_ACT_REJECTDST:
	case IPS_ACT_REJECTBOTH:
		return IPS_ACLASS_REJECT;
	default:
		return IPS_ACLASS_ALERT;
	}
}

/* The action's place in the evaluation order: the configured one, else the class order. */
static int action_rank(enum ips_action a, const struct ips_detect_conf *c)
{
	enum ips_action_class k = action_class(a);
	return c->has_action_order ? c->action_rank[k] : (int)k;
}

int ips_detect_parse_action_order(const char *s, uint8_t rank[IPS_ACLASS__COUNT])
{
	static const char *const names[IPS_ACLASS__COUNT] = {"pass", "drop", "reject", "alert"};
	bool seen[IPS_ACLASS__COUNT] = {false};
	unsigned n = 0;

	while (*s) {
		while (*s == ' ' || *s == ',')
			s++;
		size_t l = strcspn(s, " ,");
		if (!l)
			break;
		int k = -1;
		for (int i = 0; i < IPS_ACLASS__COUNT; i++)
			if (strlen(names[i]) == l && !strncmp(s, names[i], l))
				k = i;
		if (k < 0 || seen[k])
			return BW_ERR_INVAL;
		seen[k] = true;
		rank[k] = (uint8_t)n++;
		s += l;
	}
	return n == IPS_ACLASS__COUNT ? 0 : BW_ERR_INVAL;
}

/*
 * The fast pattern: explicit, else the longest non-negated content (app
 * buffers first), ties to the first in rule order. Contents of a view the
 * prefilter cannot compute (uncached chains, base64_data) do not qualify.
 */
static void pick_fp(struct det_rule *dr)
{
	const struct ips_rule *r = dr->r;
	long best = -1;
	size_t best_at = SIZE_MAX;
	for (size_t i = 0; i < dr->nbl; i++) {
		const struct det_bufl *bl = &dr->bl[i];
		if (bl->tf == DET_TF_UNCACHED)
			continue;
		for (size_t k = 0; k < bl->n; k++) {
			const struct ips_opt *o = bl->ops[k].o;
			const struct ips_content *c = o->data;
			size_t at = (size_t)(o - r->opts);
			if (o->kw != IPS_KW_CONTENT || (c->flags & IPS_CF_NEGATED))
				continue;
			long score = (long)c->len + (o->buf != IPS_BUF_PAYLOAD ? 1000000L : 0);
			if (c->flags & IPS_CF_FAST_PATTERN)
				score = 1L << 40;
			if (score > best || (score == best && at < best_at)) {
				best = score;
				best_at = at;
				dr->fp = c;
				dr->fp_buf = o->buf;
				dr->fp_tf = bl->tf;
			}
		}
	}
}

static uint8_t pc_mask(const struct ips_rule *r)
{
	switch (r->proto) {
	case IPS_PROTO_TCP:
	case IPS_PROTO_HTTP:
	case IPS_PROTO_TLS:
	case IPS_PROTO_SSH:
	case IPS_PROTO_FTP:
	case IPS_PROTO_FTP_DATA:
	case IPS_PROTO_SMTP:
	case IPS_PROTO_MQTT:
	case IPS_PROTO_MODBUS:
	case IPS_PROTO_SMB:
	case IPS_PROTO_DCERPC:
		return 1u << DET_PC_TCP;
	case IPS_PROTO_UDP:
	case IPS_PROTO_IKE:
		return 1u << DET_PC_UDP;
	case IPS_PROTO_DNS:
	case IPS_PROTO_KRB5:
	case IPS_PROTO_ENIP:
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
	dr->kind = (uint8_t)ips_rule_kind(r);
	dr->iponly = ips_rule_ip_only(r);
	dr->file_order = file_order;
	dr->prio = prio_of(r, &e->conf);
	dr->action_rank = action_rank(r->action, &e->conf);
	dr->pc_mask = pc_mask(r);
	dr->dir_mask = (1u << DET_TS) | (1u << DET_TC);
	if (r->flow && (r->flow->flags & IPS_FLOW_TO_SERVER))
		dr->dir_mask = 1u << DET_TS;
	else if (r->flow && (r->flow->flags & IPS_FLOW_TO_CLIENT))
		dr->dir_mask = 1u << DET_TC;
	if (!(dr->pkt = calloc(n, sizeof(*dr->pkt))) ||
	    !(dr->post = calloc(n, sizeof(*dr->post))) || !(dr->bl = calloc(n, sizeof(*dr->bl))))
		return BW_ERR_NOMEM;
	bool sets = false, reads = false, fi_sets = false, fi_reads = false;
	bool xb_sets = false, xb_reads = false;
	for (size_t i = 0; i < r->nopts; i++) {
		const struct ips_opt *o = &r->opts[i];
		if (ips_kw_in_buffer(o->kw)) {
			/* Transforms are reached through the options that use them. */
			if (o->kw == IPS_KW_TRANSFORM)
				continue;
			struct det_bufl *bl = bufl_get(e, dr, o, n);
			if (!bl)
				return BW_ERR_NOMEM;
			bl->ops[bl->n++].o = o;
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
		case IPS_KW_FLOWINT: {
			const struct ips_flowint *fi = o->data;
			struct det_op *op;
			/* Modifiers act after a match, checks are part of it (Suricata). */
			if (fi->op == IPS_FI_SET || fi->op == IPS_FI_ADD || fi->op == IPS_FI_SUB) {
				op = &dr->post[dr->npost++];
				fi_sets = true;
			} else {
				op = &dr->pkt[dr->npkt++];
				fi_reads = true;
			}
			op->o = o;
			if (fi_ids(e, op))
				return BW_ERR_NOMEM;
			break;
		}
		case IPS_KW_XBITS: {
			const struct ips_xbits_opt *x = o->data;
			struct det_op *op;
			if (!x) /* xbits:noalert */
				break;
			/* Checks are part of the match, changes run after it (Suricata). */
			if (x->cmd == IPS_FB_ISSET || x->cmd == IPS_FB_ISNOTSET) {
				op = &dr->pkt[dr->npkt++];
				xb_reads = true;
			} else {
				op = &dr->post[dr->npost++];
				xb_sets = true;
			}
			op->o = o;
			if (!(op->fb = calloc(1, sizeof(*op->fb))))
				return BW_ERR_NOMEM;
			op->fb[0] = (uint16_t)ips_detect_flowbit_id(e, x->name);
			break;
		}
		case IPS_KW_TAG: /* no alerts of its own: nothing to evaluate */
			break;
		default:
			dr->pkt[dr->npkt++].o = o;
			break;
		}
	}
	dr->xb_rank = xb_sets && !xb_reads ? 0 : xb_sets ? 1 : xb_reads ? 2 : 3;
	dr->fb_rank = sets && !reads ? 0 : sets ? 1 : reads ? 2 : 3;
	/* Suricata orders flowint users the same way, after flowbits. */
	dr->fi_rank = fi_sets && !fi_reads ? 0 : fi_sets ? 1 : fi_reads ? 2 : 3;
	for (size_t i = 0; i <= dr->nbl; i++) {
		struct det_bufl *bl = i < dr->nbl ? &dr->bl[i] : dr->b64;
		bool rel = false;
		for (size_t k = bl ? bl->n : 0; k-- > 0;) {
			bl->ops[k].rel_after = rel;
			rel = rel || is_relative(bl->ops[k].o);
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
	if (dr->b64)
		free(dr->b64->ops);
	free(dr->b64);
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
	if (x->fi_rank != y->fi_rank)
		return x->fi_rank < y->fi_rank ? -1 : 1;
	if (x->xb_rank != y->xb_rank)
		return x->xb_rank < y->xb_rank ? -1 : 1;
	if (x->prio != y->prio)
		return x->prio < y->prio ? -1 : 1;
	return x->file_order < y->file_order ? -1 : x->file_order > y->file_order;
}

/* ---- engine ---- */

void ips_detect_free(struct ips_detect_engine *e)
{
	if (!e)
		return;
	for (size_t i = 0; i < e->nrules; i++)
		free_rule(&e->rules[i]);
	free(e->rules);
	det_groups_free(e);
	det_hx_free(&e->hx);
	det_datasets_free(e);
	free(e->fb_names);
	free(e);
}

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* The zone of an input: its source (bit 0) and destination (bit 1) in the home set. */
static size_t det_zone_of(const struct ips_detect_engine *e, struct ips_detect_thread *t,
                          const struct ips_detect_input *in)
{
	if (!e->home)
		return 0;
	size_t alen = in->ip_version == 6 ? 16 : 4;
	/*
	 * All 16 bytes are compared and kept (a fixed size, inlined): equal
	 * arrays have equal addresses, and the bytes past an IPv4 address are
	 * zero in a zero-initialised input, so the cache still hits.
	 */
	if (t->zver == in->ip_version && memcmp(t->zsrc, in->src, 16) == 0 &&
	    memcmp(t->zdst, in->dst, 16) == 0)
		return t->zone;
	t->zone = (uint8_t)((ips_addrset_has(e->home, in->src, alen) ? 1u : 0u) |
	                    (ips_addrset_has(e->home, in->dst, alen) ? 2u : 0u));
	t->zver = in->ip_version;
	memcpy(t->zsrc, in->src, 16);
	memcpy(t->zdst, in->dst, 16);
	return t->zone;
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
	if ((r = det_datasets_build(e)) != 0)
		goto out;
	for (size_t i = 0; i < e->nrules; i++) {
		e->rules[i].order = (uint32_t)i;
		st.memory += sizeof(struct det_rule) +
		             (e->rules[i].npkt + e->rules[i].npost) * sizeof(struct det_op) * 2;
	}
	det_build_zones(e);
	if (!e->conf.no_prefilter &&
	    ((r = det_build_groups(e, &st)) != 0 || (r = det_hx_build(e, &st)) != 0))
		goto out;
	st.rules = e->nrules;
	st.zones = e->nzones;
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

unsigned ips_detect_file_needs(const struct ips_detect_engine *e)
{
	unsigned need = 0;
	for (size_t i = 0; e && i < e->nrules; i++) {
		const struct ips_rule *r = e->rules[i].r;
		for (size_t k = 0; k < r->nopts; k++) {
			const struct ips_opt *o = &r->opts[k];
			if (o->buf == IPS_BUF_FILE_MAGIC)
				need |= IPS_DETECT_FILE_MAGIC;
			if (o->buf >= IPS_BUF_FRAME_PDU && o->buf <= IPS_BUF_FRAME_DATA)
				need |= IPS_DETECT_FRAMES;
			if (o->kw != IPS_KW_FILEHASH)
				continue;
			size_t len = ((const struct ips_filehash *)o->data)->len;
			need |= len == 16   ? IPS_DETECT_FILE_MD5
			        : len == 20 ? IPS_DETECT_FILE_SHA1
			                    : IPS_DETECT_FILE_SHA256;
		}
	}
	return need;
}

void ips_detect_stats_print(const struct ips_detect_stats *st, FILE *f)
{
	fprintf(f,
	        "detect: %zu rules, %zu groups (%zu vectorscan, %zu aho-corasick) in %zu address "
	        "zones, %zu patterns, %zu always-evaluated, %zu flowbit names, built in %.1f ms, "
	        "%.1f MiB\n",
	        st->rules, st->groups, st->hs_groups, st->ac_groups, st->zones, st->patterns,
	        st->always_rules, st->flowbit_names, st->build_ms,
	        (double)st->memory / (1024.0 * 1024.0));
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
	free(t->cand_sum);
	free(t->hx_bits);
	for (size_t b = 0; b < IPS_BUF__COUNT; b++)
		for (size_t k = 0; k < DET_NTF; k++)
			free(t->tf[b][k].p);
	free(t->tfscratch.p);
	free(t->tfuncached.p);
	free(t->b64);
	pcre2_match_data_free(t->md_tf);
	for (size_t k = 0; k < DET_OCC_OPS; k++)
		free(t->occ[k].pos);
	free(t->pstamp);
	free(t->thr);
	free(t);
}

void ips_detect_thread_set_xbits(struct ips_detect_thread *t, struct ips_xbits *x)
{
	t->xbits = x;
}

int ips_detect_thread_new(const struct ips_detect_engine *e, struct ips_detect_thread **out)
{
	*out = NULL;
	struct ips_detect_thread *t = calloc(1, sizeof(*t));
	if (!t)
		return BW_ERR_NOMEM;
	t->e = e;
	size_t words = (e->nrules + 63) / 64;
	t->sum_words = (words + 63) / 64;
	if (!(t->cand_bits = calloc(words ? words : 1, sizeof(uint64_t))) ||
	    !(t->cand_sum = calloc(t->sum_words ? t->sum_words : 1, sizeof(uint64_t))) ||
	    !(t->hx_bits = calloc((DET_HXC + 1) * e->hx.words + 1, sizeof(uint64_t))) ||
	    !(t->thr = calloc(e->conf.thr_entries, sizeof(*t->thr))) ||
	    !(t->md = pcre2_match_data_create(1, NULL)) ||
	    !(t->md_tf = pcre2_match_data_create(2, NULL)) ||
	    !(t->mctx = pcre2_match_context_create(NULL)) ||
	    !(t->jit = pcre2_jit_stack_create(32 * 1024, 512 * 1024, NULL)))
		goto fail;
	size_t pmax = 0;
	for (size_t z = 0; z < e->nzones; z++)
		for (int si = 0; si < DET_NSLOT; si++) {
			const struct det_group *pg = e->zone[z].groups[det_pkey(si, 0)];
			if (pg && pg->npat + 1 > pmax)
				pmax = pg->npat + 1;
		}
	if (pmax && !(t->pstamp = calloc(pmax, sizeof(*t->pstamp))))
		goto fail;
	t->nthr = e->conf.thr_entries;
	pcre2_set_match_limit(t->mctx, e->conf.pcre_match_limit);
	pcre2_jit_stack_assign(t->mctx, NULL, t->jit);
	for (size_t z = 0; z < e->nzones; z++)
		for (size_t k = 0; k < DET_NG; k++) {
			const struct det_group *g = e->zone[z].groups[k];
			if (g && g->db && g->ops == &ips_mpm_hs_ops &&
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

struct scan_ctx {
	struct ips_detect_thread *t;
	const struct det_group *g;
	uint8_t slot;
	struct ips_detect_carry *carry; /* NULL, or records the new candidates */
	uint64_t bound;                 /* what new candidates record */
	bool carry_failed;
	struct ips_detect_hits *hits; /* NULL, or records the patterns found */
};

static int on_pattern(uint32_t id, size_t end, void *ctx)
{
	struct scan_ctx *s = ctx;
	(void)end;
	if (id >= s->g->npat)
		return 0;
	if (s->hits && s->t->pstamp[id] != s->t->gen) {
		struct ips_detect_hits *h = s->hits;
		s->t->pstamp[id] = s->t->gen;
		if (h->n == h->cap) {
			size_t nc = h->cap ? h->cap * 2 : 64;
			uint32_t *ni = realloc(h->id, nc * sizeof(*ni));
			if (!ni) {
				s->hits = NULL; /* incomplete: not valid (see prefilter) */
				goto cand;
			}
			h->id = ni;
			h->cap = nc;
		}
		h->id[h->n++] = id;
	}
cand:
	for (uint32_t k = s->g->pat_off[id]; k < s->g->pat_off[id + 1]; k++) {
		if (!(s->g->slots[k] & s->slot) || !det_add_cand(s->t, s->g->rules[k]) || !s->carry)
			continue;
		/*
		 * A rule is in one group only (its fast pattern's buffer and transform),
		 * and the carried candidates go in after the scan, so a rule new to the
		 * candidates is new to this scan.
		 */
		struct ips_detect_carry *c = s->carry;
		if (c->n == c->cap) {
			size_t nc = c->cap ? c->cap * 2 : 16;
			uint32_t *nr = realloc(c->rule, nc * sizeof(*nr));
			if (nr)
				c->rule = nr;
			uint64_t *nb = nr ? realloc(c->bound, nc * sizeof(*nb)) : NULL;
			if (!nb) {
				s->carry_failed = true;
				continue;
			}
			c->bound = nb;
			c->cap = nc;
		}
		c->rule[c->n] = s->g->rules[k];
		c->bound[c->n++] = s->bound;
	}
	return 0;
}

void ips_detect_hits_free(struct ips_detect_hits *h)
{
	if (!h)
		return;
	free(h->id);
	*h = (struct ips_detect_hits){0};
}

void ips_detect_carry_free(struct ips_detect_carry *c)
{
	if (!c)
		return;
	free(c->rule);
	free(c->bound);
	*c = (struct ips_detect_carry){0};
}

/* Bytes before new data that a scan must take in: a pattern may start there and end in it. */
static size_t group_keep(const struct det_group *g)
{
	return g->maxlen ? g->maxlen - 1 : 0;
}

/*
 * Scans the single view p[0..len) at stream position c->base, of which c
 * has scanned up to c->scanned: the patterns that end in the new bytes,
 * then the carried candidates not found again whose occurrence may still
 * be in the buffer. Every occurrence in the buffer was found by this scan
 * or an earlier one, whose bound (the end of that scan) is at least its end.
 */
static void scan_carry(const struct det_group *g, void *scratch, struct scan_ctx *sc,
                       struct ips_detect_carry *c, const uint8_t *p, size_t len,
                       const struct ips_detect_hits *h)
{
	uint64_t base = c->base, end = base + len;
	if (end < c->scanned || c->scanned < base || (c->n && c->slot != sc->slot) ||
	    c->group != (const void *)g) {
		c->scanned = base;
		c->n = 0;
	}
	size_t keep = group_keep(g);
	uint64_t from = c->scanned - base > keep ? c->scanned - keep : base;
	size_t nold = c->n;
	sc->bound = end;
	if (!g->db) {
		/* Tiny patterns only (scan_tiny): nothing to carry. */
	} else if (h && h->valid && h->group == (const void *)g && h->slot == sc->slot &&
	           c->scanned >= base && end - c->scanned == h->len) {
		/*
		 * The new bytes were scanned by the packet run: only patterns
		 * crossing into them from the kept bytes are left to find.
		 */
		uint64_t seam = c->scanned + keep < end ? c->scanned + keep : end;
		if (from < c->scanned && c->scanned - from > h->pre)
			g->ops->scan(g->db, scratch, p + (from - base), (size_t)(seam - from),
			             on_pattern, sc);
		for (size_t k = 0; k < h->n; k++)
			on_pattern(h->id[k], 0, sc);
	} else if (from < end && end > c->scanned) { /* no new bytes: no new occurrence */
		g->ops->scan(g->db, scratch, p + (from - base), (size_t)(end - from), on_pattern,
		             sc);
	}
	size_t w = 0;
	for (size_t k = 0; k < nold; k++) {
		/* Not found again (add_cand true): keep while it may be in the buffer. */
		if (c->bound[k] > base && det_add_cand(sc->t, c->rule[k])) {
			c->rule[w] = c->rule[k];
			c->bound[w++] = c->bound[k];
		}
	}
	if (w < nold) {
		memmove(c->rule + w, c->rule + nold, (c->n - nold) * sizeof(*c->rule));
		memmove(c->bound + w, c->bound + nold, (c->n - nold) * sizeof(*c->bound));
		c->n -= nold - w;
	}
	c->slot = sc->slot;
	c->group = g;
	c->scanned = end;
	if (sc->carry_failed) { /* a candidate could not be recorded: start over next time */
		c->scanned = 0;
		c->n = 0;
	}
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

/* Whether tiny pattern x starts at one of its offsets in p[0..len); adds its rule if so. */
static void tiny_try(struct ips_detect_thread *t, const struct det_tiny *x, uint8_t slot,
                     const uint8_t *p, size_t len)
{
	if (!(x->slots & slot) || (size_t)x->lo + x->len > len)
		return;
	size_t last = (size_t)x->hi + x->len <= len ? x->hi : len - x->len;
	uint8_t c0 = (uint8_t)x->val;
	for (size_t s = x->lo; s <= last; s++) {
		if (tiny_fold(p[s], x->nocase) != c0)
			continue;
		uint32_t w = c0;
		for (size_t k = 1; k < x->len; k++)
			w |= (uint32_t)tiny_fold(p[s + k], x->nocase) << (8 * k);
		if (w == x->val) {
			det_add_cand(t, x->rule);
			return;
		}
	}
}

/*
 * The tiny patterns of g (payload groups): those of one offset through the
 * per-offset byte sets (most packets begin none of them), the others
 * compared at each offset they may start at.
 */
static void scan_tiny(struct ips_detect_thread *t, const struct det_group *g, uint8_t slot,
                      const uint8_t *p, size_t len)
{
	for (size_t i = 0; i < g->ntiny_at; i++) {
		const struct det_tiny_at *a = &g->tiny_at[i];
		if (a->lo >= len)
			break; /* by offset: the later ones start beyond the view too */
		uint8_t c = p[a->lo];
		if (!(a->bytes[c >> 6] >> (c & 63) & 1))
			continue;
		for (size_t k = a->first; k < (size_t)a->first + a->n; k++)
			tiny_try(t, &g->tiny[k], slot, p, len);
	}
	for (size_t k = g->tiny_span; k < g->ntiny; k++)
		tiny_try(t, &g->tiny[k], slot, p, len);
}

/* Scans the nv views of buffer b through transform tf with group key's database. */
static void scan_group(const struct det_zone *zn, struct ips_detect_thread *t,
                       const struct ips_detect_input *in, size_t key, int b, int tf, size_t nv,
                       uint8_t slot)
{
	const struct det_group *g = zn->groups[key];
	if (!(g->slot_any & slot))
		return;
	struct scan_ctx sc = {t, g, slot, NULL, 0, false, NULL};
	void *scratch = g->ops == &ips_mpm_hs_ops ? t->hs_scratch : NULL;
	struct ips_detect_carry *c = in->carry[b];
	if (c && tf == 0 && nv == 1) {
		const uint8_t *p;
		size_t len;
		sc.carry = c;
		if (det_view(t, in, (enum ips_buf)b, 0, 0, &p, &len)) {
			scan_carry(g, scratch, &sc, c, p, len,
			           b == IPS_BUF_PAYLOAD ? in->hits_in : NULL);
			if (g->ntiny)
				scan_tiny(t, g, slot, p, len);
		}
		return;
	}
	struct ips_detect_hits *h = NULL;
	if (b == IPS_BUF_PAYLOAD && tf == 0 && nv == 1 && in->hits_out && t->pstamp) {
		h = in->hits_out;
		*h = (struct ips_detect_hits){.group = g, .slot = slot, .id = h->id, .cap = h->cap};
		sc.hits = h;
	}
	for (size_t k = 0; k < nv; k++) {
		const uint8_t *p;
		size_t len;
		if (det_view(t, in, (enum ips_buf)b, k, (unsigned)tf, &p, &len)) {
			/* A recording payload scan takes in the seam before it (payload_pre). */
			size_t keep = group_keep(g);
			size_t pre = !h ? 0 : in->payload_pre < keep ? in->payload_pre : keep;
			if (g->db)
				g->ops->scan(g->db, scratch, p - pre, len + pre, on_pattern, &sc);
			if (h && sc.hits) {
				h->valid = true;
				h->len = len;
				h->pre = pre;
			}
			if (g->ntiny)
				scan_tiny(t, g, slot, p, len);
		}
	}
}

static void prefilter(const struct ips_detect_engine *e, struct ips_detect_thread *t,
                      const struct ips_detect_input *in)
{
	enum det_pclass pc = pclass(in->proto);
	enum det_dir d = in->has_flow && !in->to_server ? DET_TC : DET_TS;
	uint8_t slot = det_slot(pc, d);
	const struct det_zone *zn = &e->zone[det_zone_of(e, t, in)];
	/* The buffers other than the payload that are present, each with its groups. */
#ifndef NDEBUG
	for (size_t b = 0; in->pkt_bufs_only && b < IPS_BUF__COUNT; b++)
		assert(ips_buf_is_pkt((enum ips_buf)b) || !in->bufs[b].v || !in->bufs[b].n);
#endif
	size_t nb = in->pkt_bufs_only ? zn->npkt_gbufs : zn->ngbufs;
	for (size_t i = 0; i < nb; i++) {
		const struct det_gbuf *gb = &zn->gbufs[in->pkt_bufs_only ? zn->pkt_gbufs[i] : i];
		size_t nv = in->bufs[gb->b].v ? in->bufs[gb->b].n : 0;
		if (!nv)
			continue;
		for (size_t k = gb->first; k < (size_t)gb->first + gb->n; k++)
			scan_group(zn, t, in, zn->gkeys[k], gb->b, (int)(zn->gkeys[k] % DET_NTF),
			           nv, slot);
	}
	/* The payload groups of this slot, of the rules this inspection can alert from. */
	size_t si = (size_t)pc * DET_DIR__COUNT + d, kind = in->app_tx != NULL;
	if (in->payload)
		for (size_t k = 0; k < zn->npkeys[kind][si]; k++)
			scan_group(zn, t, in, zn->pkeys[kind][si][k], IPS_BUF_PAYLOAD,
			           (int)(zn->pkeys[kind][si][k] % DET_NTF), 1, slot);
	det_hx_cands(e, t, in, pc, d);
}

/* Evaluates candidate `idx`; returns true when the inspection must stop (pass). */
static bool evaluate(const struct ips_detect_engine *e, struct ips_detect_thread *t,
                     const struct ips_detect_input *in, uint32_t idx, struct ips_match *m,
                     size_t max, size_t *n)
{
	const struct det_rule *dr = &e->rules[idx];
	/* A transaction's inspection is for the rules that inspect transactions. */
	if (in->app_tx && dr->kind != IPS_RK_APP)
		return false;
	if (in->iponly_done && dr->iponly)
		return false;
	t->st.evaluated++;
	if (!det_rule_match(t, dr, in))
		return false;
	t->st.matches++;
	det_rule_post(t, dr, in);
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
	/* Most runs have no candidate (det_add_cand counts every one): no walk then. */
	if (t->ncand == 0)
		return 0;
	/*
	 * Candidates in evaluation order: walk the bitmap (rules are sorted)
	 * through its summary of non-zero words, with no sort; clear both on
	 * the way, also past a pass rule.
	 */
	bool stop = false;
	for (size_t sw = 0; sw < t->sum_words; sw++) {
		uint64_t sb = t->cand_sum[sw];
		if (!sb)
			continue;
		t->cand_sum[sw] = 0;
		while (sb) {
			size_t w = sw * 64 + det_ctz64(sb);
			sb &= sb - 1;
			uint64_t b = t->cand_bits[w];
			t->cand_bits[w] = 0;
			while (b && !stop) {
				unsigned bit = det_ctz64(b);
				b &= b - 1;
				stop = evaluate(e, t, in, (uint32_t)(w * 64 + bit), m, max, n);
			}
		}
	}
	t->ncand = 0;
	return 0;
}
