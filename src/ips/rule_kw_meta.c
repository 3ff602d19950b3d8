/* SPDX-License-Identifier: ISC */
/*
 * Rule keywords that describe rather than inspect: msg, sid, rev, gid,
 * classtype, priority, reference, metadata, target, noalert (stored in
 * struct ips_rule), and the per-flow / per-host state keywords flowbits,
 * flowint, threshold and detection_filter (kept as options for the
 * engine). Value grammar follows Suricata's documentation of each keyword.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "ips/rule_int.h"
#include "lib/err.h"

static int kw_msg(struct ips_parse_ctx *ctx, const char *val, void **data)
{
	uint8_t *s;
	size_t n;
	(void)data;
	int e = ips_unquote(ctx, val, true, false, &s, &n);
	if (e)
		return e;
	if (memchr(s, 0, n)) {
		free(s);
		return ips_fail(ctx, BW_ERR_INVAL, "msg: NUL in text");
	}
	free(ctx->r->msg);
	ctx->r->msg = (char *)s;
	return 0;
}

static int u32_field(struct ips_parse_ctx *ctx, const char *val, uint32_t min, uint32_t *out)
{
	int64_t v;
	if (ips_parse_i64(val, min, UINT32_MAX, &v))
		return ips_fail(ctx, BW_ERR_INVAL, "%s: bad value '%s'", ctx->kwname, val);
	*out = (uint32_t)v;
	return 0;
}

static int kw_sid(struct ips_parse_ctx *ctx, const char *val, void **data)
{
	(void)data;
	return u32_field(ctx, val, 1, &ctx->r->sid); /* Suricata: sid 0 is invalid */
}

static int kw_rev(struct ips_parse_ctx *ctx, const char *val, void **data)
{
	(void)data;
	return u32_field(ctx, val, 0, &ctx->r->rev);
}

static int kw_gid(struct ips_parse_ctx *ctx, const char *val, void **data)
{
	(void)data;
	return u32_field(ctx, val, 0, &ctx->r->gid);
}

static int kw_priority(struct ips_parse_ctx *ctx, const char *val, void **data)
{
	int64_t v;
	(void)data;
	if (ips_parse_i64(val, 1, 255, &v))
		return ips_fail(ctx, BW_ERR_INVAL, "priority: bad value '%s'", val);
	ctx->r->priority = (int)v;
	return 0;
}

static int kw_classtype(struct ips_parse_ctx *ctx, const char *val, void **data)
{
	(void)data;
	for (const char *p = val; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_')
			return ips_fail(ctx, BW_ERR_INVAL, "classtype: bad name '%s'", val);
	if (ctx->r->classtype)
		return ips_fail(ctx, BW_ERR_INVAL, "classtype: given twice");
	if (!(ctx->r->classtype = strdup(val)))
		return BW_ERR_NOMEM;
	return 0;
}

static int kw_reference(struct ips_parse_ctx *ctx, const char *val, void **data)
{
	struct ips_rule *r = ctx->r;
	(void)data;
	const char *c = strchr(val, ',');
	if (!c || c == val || !c[1])
		return ips_fail(ctx, BW_ERR_INVAL, "reference: expected type,value");
	struct ips_reference *nr = realloc(r->refs, (r->nrefs + 1) * sizeof(*nr));
	if (!nr)
		return BW_ERR_NOMEM;
	r->refs = nr;
	char *t = ips_strndup_trim(val, (size_t)(c - val));
	char *v = ips_strndup_trim(c + 1, strlen(c + 1));
	if (!t || !v) {
		free(t);
		free(v);
		return BW_ERR_NOMEM;
	}
	r->refs[r->nrefs++] = (struct ips_reference){t, v};
	return 0;
}

/* metadata: key value, key value, ... (a value may be absent). */
static int kw_metadata(struct ips_parse_ctx *ctx, const char *val, void **data)
{
	struct ips_rule *r = ctx->r;
	char *buf, *tok[256];
	(void)data;
	size_t n = ips_split(val, ',', tok, 256, &buf);
	if (!buf)
		return BW_ERR_NOMEM;
	int e = 0;
	if (n > 256) {
		e = ips_fail(ctx, BW_ERR_LIMIT, "metadata: too many entries");
		goto out;
	}
	struct ips_meta *nm = realloc(r->meta, (r->nmeta + n) * sizeof(*nm));
	if (!nm && n) {
		e = BW_ERR_NOMEM;
		goto out;
	}
	r->meta = nm;
	for (size_t i = 0; i < n; i++) {
		if (!*tok[i])
			continue;
		size_t k = strcspn(tok[i], " \t");
		char *key = strndup(tok[i], k);
		char *v = ips_strndup_trim(tok[i] + k, strlen(tok[i] + k));
		if (!key || !v) {
			free(key);
			free(v);
			e = BW_ERR_NOMEM;
			goto out;
		}
		r->meta[r->nmeta++] = (struct ips_meta){key, v};
	}
out:
	free(buf);
	return e;
}

static int kw_target(struct ips_parse_ctx *ctx, const char *val, void **data)
{
	(void)data;
	if (strcmp(val, "src_ip") == 0)
		ctx->r->target = IPS_TARGET_SRC;
	else if (strcmp(val, "dest_ip") == 0)
		ctx->r->target = IPS_TARGET_DST;
	else
		return ips_fail(ctx, BW_ERR_INVAL, "target: expected src_ip or dest_ip");
	return 0;
}

static int kw_noalert(struct ips_parse_ctx *ctx, const char *val, void **data)
{
	(void)val;
	(void)data;
	ctx->r->noalert = true;
	return 0;
}

/* ---- flowbits ---- */

static void flowbits_free(void *p)
{
	struct ips_flowbits *fb = p;
	for (size_t i = 0; i < fb->n; i++)
		free(fb->names[i]);
	free(fb->names);
	free(fb);
}

static bool bit_name_ok(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (isspace((unsigned char)*s) || *s == ',' || *s == ';')
			return false;
	return true;
}

static int kw_flowbits(struct ips_parse_ctx *ctx, const char *val, void **data)
{
	static const char *const cmds[] = {"set",   "isset",  "isnotset",
	                                   "unset", "toggle", "noalert"};
	char *buf, *tok[3];
	size_t n = ips_split(val, ',', tok, 2, &buf);
	if (!buf)
		return BW_ERR_NOMEM;
	int e = 0;
	size_t c;
	struct ips_flowbits *fb = NULL;
	for (c = 0; c < sizeof(cmds) / sizeof(cmds[0]); c++)
		if (n >= 1 && n <= 2 && strcmp(tok[0], cmds[c]) == 0)
			break;
	if (c == sizeof(cmds) / sizeof(cmds[0])) {
		e = ips_fail(ctx, BW_ERR_INVAL, "flowbits: unknown command '%s'", val);
		goto out;
	}
	if ((c == IPS_FB_NOALERT) != (n == 1)) {
		e = ips_fail(ctx, BW_ERR_INVAL, "flowbits: %s %s a name", tok[0],
		             c == IPS_FB_NOALERT ? "takes no" : "needs");
		goto out;
	}
	if (c == IPS_FB_NOALERT)
		ctx->r->noalert = true;
	if (!(fb = calloc(1, sizeof(*fb)))) {
		e = BW_ERR_NOMEM;
		goto out;
	}
	fb->cmd = (enum ips_flowbits_cmd)c;
	if (n == 2) {
		/* isset a|b means any of them; set a&b sets both (Suricata 5+). */
		bool orl = strchr(tok[1], '|') != NULL, andl = strchr(tok[1], '&') != NULL;
		if (orl && andl) {
			e = ips_fail(ctx, BW_ERR_INVAL, "flowbits: mixes | and &");
			goto out;
		}
		if (orl && c != IPS_FB_ISSET && c != IPS_FB_ISNOTSET) {
			e = ips_fail(ctx, BW_ERR_INVAL, "flowbits: | only with isset/isnotset");
			goto out;
		}
		char *nb, *names[16];
		size_t k = ips_split(tok[1], orl ? '|' : '&', names, 16, &nb);
		if (!nb) {
			e = BW_ERR_NOMEM;
			goto out;
		}
		if (k > 16 || !(fb->names = calloc(k, sizeof(char *)))) {
			free(nb);
			e = k > 16 ? ips_fail(ctx, BW_ERR_LIMIT, "flowbits: too many names")
			           : BW_ERR_NOMEM;
			goto out;
		}
		fb->or_list = orl;
		for (size_t i = 0; i < k && !e; i++) {
			if (!bit_name_ok(names[i]))
				e = ips_fail(ctx, BW_ERR_INVAL, "flowbits: bad name '%s'",
				             names[i]);
			else if (!(fb->names[fb->n++] = strdup(names[i])))
				e = BW_ERR_NOMEM;
		}
		free(nb);
	}
out:
	free(buf);
	if (e && fb)
		flowbits_free(fb);
	else if (!e)
		*data = fb;
	return e;
}

/* ---- flowint ---- */

static void flowint_free(void *p)
{
	struct ips_flowint *fi = p;
	if (!fi)
		return;
	free(fi->name);
	free(fi->var);
	free(fi);
}

static const char *const fi_ops[] = {"=",  "+", "-",  "==",    "!=",    "<",
                                     "<=", ">", ">=", "isset", "notset"};

/* A Suricata flowint name: a letter, then letters, digits, '_', '.', '/'. */
static bool fi_name_ok(const char *s, bool path)
{
	if (!isalpha((unsigned char)*s))
		return false;
	for (s++; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '_' && !(path && (*s == '.' || *s == '/')))
			return false;
	return true;
}

/* flowint:name,op[,value]: value a decimal number or another flowint's name. */
static int kw_flowint(struct ips_parse_ctx *ctx, const char *val, void **data)
{
	char *buf, *tok[4];
	size_t n = ips_split(val, ',', tok, 3, &buf), op;
	int e = 0;
	struct ips_flowint *fi = NULL;
	if (!buf)
		return BW_ERR_NOMEM;
	for (op = 0; n >= 2 && n <= 3 && op < sizeof(fi_ops) / sizeof(fi_ops[0]); op++)
		if (strcmp(tok[1], fi_ops[op]) == 0)
			break;
	if (n < 2 || n > 3 || op == sizeof(fi_ops) / sizeof(fi_ops[0]) ||
	    !fi_name_ok(tok[0], true)) {
		e = ips_fail(ctx, BW_ERR_INVAL, "flowint: bad syntax '%s'", val);
		goto out;
	}
	bool unary = op == IPS_FI_ISSET || op == IPS_FI_NOTSET;
	if (unary != (n == 2)) {
		e = ips_fail(ctx, BW_ERR_INVAL, "flowint: %s %s a value", tok[1],
		             unary ? "takes no" : "needs");
		goto out;
	}
	if (!(fi = calloc(1, sizeof(*fi))) || !(fi->name = strdup(tok[0]))) {
		e = BW_ERR_NOMEM;
		goto out;
	}
	fi->op = (enum ips_flowint_op)op;
	if (n == 3) {
		int64_t v;
		if (isdigit((unsigned char)tok[2][0])) {
			if (strlen(tok[2]) > 10 || ips_parse_i64(tok[2], 0, UINT32_MAX, &v) != 0)
				e = ips_fail(ctx, BW_ERR_INVAL, "flowint: bad value '%s'", tok[2]);
			else
				fi->value = (uint32_t)v;
		} else if (!fi_name_ok(tok[2], false)) {
			e = ips_fail(ctx, BW_ERR_INVAL, "flowint: bad value '%s'", tok[2]);
		} else if (!(fi->var = strdup(tok[2]))) {
			e = BW_ERR_NOMEM;
		}
	}
out:
	free(buf);
	if (e)
		flowint_free(fi);
	else
		*data = fi;
	return e;
}

static void flowint_dump(const void *p, FILE *f)
{
	const struct ips_flowint *fi = p;
	fprintf(f, "%s %s", fi->name, fi_ops[fi->op]);
	if (fi->var)
		fprintf(f, " %s", fi->var);
	else if (fi->op != IPS_FI_ISSET && fi->op != IPS_FI_NOTSET)
		fprintf(f, " %u", fi->value);
}

static void flowbits_dump(const void *p, FILE *f)
{
	static const char *const cmds[] = {"set",   "isset",  "isnotset",
	                                   "unset", "toggle", "noalert"};
	const struct ips_flowbits *fb = p;
	fprintf(f, "%s", cmds[fb->cmd]);
	for (size_t i = 0; i < fb->n; i++)
		fprintf(f, "%s%s", i ? (fb->or_list ? "|" : "&") : " ", fb->names[i]);
}

/* ---- threshold / detection_filter ---- */

static int parse_thr(struct ips_parse_ctx *ctx, const char *val, bool df, void **data)
{
	char *buf, *tok[5];
	size_t n = ips_split(val, ',', tok, 4, &buf);
	int e = 0;
	bool seen[4] = {false};
	if (!buf)
		return BW_ERR_NOMEM;
	struct ips_threshold *t = calloc(1, sizeof(*t));
	if (!t) {
		free(buf);
		return BW_ERR_NOMEM;
	}
	t->type = df ? IPS_THR_NONE : IPS_THR_LIMIT;
	if (n != (df ? 3u : 4u)) {
		e = ips_fail(ctx, BW_ERR_INVAL, "%s: expected %s", ctx->kwname,
		             df ? "track, count, seconds" : "type, track, count, seconds");
		goto out;
	}
	for (size_t i = 0; i < n && !e; i++) {
		char *k = tok[i], *v = k + strcspn(k, " \t");
		if (*v)
			*v++ = 0;
		while (isspace((unsigned char)*v))
			v++;
		int64_t x;
		if (strcmp(k, "type") == 0 && !df && !seen[0]) {
			seen[0] = true;
			if (strcmp(v, "limit") == 0)
				t->type = IPS_THR_LIMIT;
			else if (strcmp(v, "threshold") == 0)
				t->type = IPS_THR_THRESHOLD;
			else if (strcmp(v, "both") == 0)
				t->type = IPS_THR_BOTH;
			else
				e = ips_fail(ctx, BW_ERR_INVAL, "%s: bad type '%s'", ctx->kwname,
				             v);
		} else if (strcmp(k, "track") == 0 && !seen[1]) {
			seen[1] = true;
			if (strcmp(v, "by_src") == 0)
				t->track = IPS_TRACK_BY_SRC;
			else if (strcmp(v, "by_dst") == 0)
				t->track = IPS_TRACK_BY_DST;
			else if (strcmp(v, "by_rule") == 0)
				t->track = IPS_TRACK_BY_RULE;
			else if (strcmp(v, "by_both") == 0)
				t->track = IPS_TRACK_BY_BOTH;
			else if (strcmp(v, "by_flow") == 0)
				t->track = IPS_TRACK_BY_FLOW;
			else
				e = ips_fail(ctx, BW_ERR_INVAL, "%s: bad track '%s'", ctx->kwname,
				             v);
		} else if (strcmp(k, "count") == 0 && !seen[2]) {
			seen[2] = true;
			if (ips_parse_i64(v, 1, UINT32_MAX, &x))
				e = ips_fail(ctx, BW_ERR_INVAL, "%s: bad count '%s'", ctx->kwname,
				             v);
			t->count = (uint32_t)x;
		} else if (strcmp(k, "seconds") == 0 && !seen[3]) {
			seen[3] = true;
			if (ips_parse_i64(v, 1, UINT32_MAX, &x))
				e = ips_fail(ctx, BW_ERR_INVAL, "%s: bad seconds '%s'", ctx->kwname,
				             v);
			t->seconds = (uint32_t)x;
		} else {
			e = ips_fail(ctx, BW_ERR_INVAL, "%s: unexpected '%s'", ctx->kwname, k);
		}
	}
out:
	free(buf);
	if (e) {
		free(t);
		return e;
	}
	*data = t;
	return 0;
}

static int kw_threshold(struct ips_parse_ctx *ctx, const char *val, void **data)
{
	for (size_t i = 0; i < ctx->r->nopts; i++)
		if (ctx->r->opts[i].kw == IPS_KW_THRESHOLD ||
		    ctx->r->opts[i].kw == IPS_KW_DETECTION_FILTER)
			return ips_fail(ctx, BW_ERR_INVAL,
			                "threshold: only one threshold/detection_filter per rule");
	return parse_thr(ctx, val, false, data);
}

static int kw_detection_filter(struct ips_parse_ctx *ctx, const char *val, void **data)
{
	for (size_t i = 0; i < ctx->r->nopts; i++)
		if (ctx->r->opts[i].kw == IPS_KW_THRESHOLD ||
		    ctx->r->opts[i].kw == IPS_KW_DETECTION_FILTER)
			return ips_fail(ctx, BW_ERR_INVAL,
			                "detection_filter: only one threshold/detection_filter");
	return parse_thr(ctx, val, true, data);
}

static void thr_dump(const void *p, FILE *f)
{
	static const char *const ty[] = {"limit", "threshold", "both", "-"};
	static const char *const tr[] = {"by_src", "by_dst", "by_rule", "by_both", "by_flow"};
	const struct ips_threshold *t = p;
	fprintf(f, "type %s track %s count %u seconds %u", ty[t->type], tr[t->track], t->count,
	        t->seconds);
}

#define R IPS_KWF_RULE
#define V IPS_KWF_VALUE
const struct ips_keyword ips_kw_meta_table[] = {
        {"msg", IPS_KW_MSG, R | V, 0, kw_msg, NULL, NULL},
        {"sid", IPS_KW_SID, R | V, 0, kw_sid, NULL, NULL},
        {"rev", IPS_KW_REV, R | V, 0, kw_rev, NULL, NULL},
        {"gid", IPS_KW_GID, R | V, 0, kw_gid, NULL, NULL},
        {"classtype", IPS_KW_CLASSTYPE, R | V, 0, kw_classtype, NULL, NULL},
        {"priority", IPS_KW_PRIORITY, R | V, 0, kw_priority, NULL, NULL},
        {"reference", IPS_KW_REFERENCE, R | V, 0, kw_reference, NULL, NULL},
        {"metadata", IPS_KW_METADATA, R | V, 0, kw_metadata, NULL, NULL},
        {"target", IPS_KW_TARGET, R | V, 0, kw_target, NULL, NULL},
        {"noalert", IPS_KW_NOALERT, R | IPS_KWF_NOVALUE, 0, kw_noalert, NULL, NULL},
        {"flowbits", IPS_KW_FLOWBITS, V, 0, kw_flowbits, flowbits_free, flowbits_dump},
        {"flowint", IPS_KW_FLOWINT, V, 0, kw_flowint, flowint_free, flowint_dump},
        {"threshold", IPS_KW_THRESHOLD, V, 0, kw_threshold, free, thr_dump},
        {"detection_filter", IPS_KW_DETECTION_FILTER, V, 0, kw_detection_filter, free, thr_dump},
};
const size_t ips_kw_meta_count = sizeof(ips_kw_meta_table) / sizeof(ips_kw_meta_table[0]);
