/* SPDX-License-Identifier: ISC */
/*
 * The last Emerging Threats keywords, with Suricata 7's grammar:
 *
 *   xbits:<set|unset|toggle|isset|isnotset>,<name>,track <ip_src|ip_dst|ip_pair>
 *         [,expire <seconds>]          xbits:noalert
 *         (track tx is Suricata 8's and is refused, as Suricata 7 does)
 *   tag:<session|host>,<count>,<packets|seconds|bytes>[,<src|dst>]
 *   bypass                             (a match stops the flow's inspection)
 *   tls.version:<1.0|1.1|1.2|1.3|0xNNNN>
 *   asn1:<bitstring_overflow|double_overflow|oversize_length N|absolute_offset N|
 *         relative_offset N>[,...]
 *   ftpbounce                          (a PORT command naming another host)
 *
 * xbits become options the engine checks (isset, isnotset) or applies after
 * a match (set, unset, toggle) on the pipeline's xbits table (xbits.h);
 * tag is validated and kept, without alerts of its own (Suricata's EVE
 * does not alert on tagged packets); asn1 is matched by detect_match.c.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "ips/app.h"
#include "ips/rule_int.h"
#include "lib/err.h"

/* ---- xbits ---- */

static void xbits_free(void *p)
{
	struct ips_xbits_opt *x = p;
	if (!x)
		return;
	free(x->name);
	free(x);
}

static bool xname_ok(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (isspace((unsigned char)*s) || *s == ';')
			return false;
	return true;
}

/* "key value" (blanks between): splits t in place; *v is "" without a value. */
static void key_value(char *t, char **v)
{
	char *p = t + strcspn(t, " \t");
	if (*p)
		*p++ = '\0';
	while (isspace((unsigned char)*p))
		p++;
	*v = p;
}

static int kw_xbits(struct ips_parse_ctx *ctx, const char *val, void **data)
{
	static const char *const cmds[] = {"set", "isset", "isnotset", "unset", "toggle"};
	static const char *const tracks[] = {"ip_src", "ip_dst", "ip_pair"};
	char *buf, *tok[5];
	size_t n = ips_split(val, ',', tok, 4, &buf), c, k;
	struct ips_xbits_opt *x = NULL;
	bool have_track = false, have_expire = false;
	int e = 0;

	if (!buf)
		return BW_ERR_NOMEM;
	if (n == 1 && strcmp(tok[0], "noalert") == 0) {
		ctx->r->noalert = true; /* the option stays without data: nothing to evaluate */
		goto out;
	}
	for (c = 0; c < sizeof(cmds) / sizeof(cmds[0]); c++)
		if (n >= 1 && strcmp(tok[0], cmds[c]) == 0)
			break;
	if (n < 3 || n > 4 || c == sizeof(cmds) / sizeof(cmds[0]) || !xname_ok(tok[1])) {
		e = ips_fail(ctx, BW_ERR_INVAL, "xbits: expected cmd,name,track ...[,expire N]");
		goto out;
	}
	if (!(x = calloc(1, sizeof(*x))) || !(x->name = strdup(tok[1]))) {
		e = BW_ERR_NOMEM;
		goto out;
	}
	x->cmd = (enum ips_flowbits_cmd)c;
	x->expire = 30; /* DETECT_XBITS_EXPIRE_DEFAULT */
	for (size_t i = 2; i < n && !e; i++) {
		char *v;
		int64_t s;
		key_value(tok[i], &v);
		if (strcmp(tok[i], "track") == 0 && !have_track) {
			have_track = true;
			for (k = 0; k < sizeof(tracks) / sizeof(tracks[0]); k++)
				if (strcmp(v, tracks[k]) == 0)
					break;
			if (k == sizeof(tracks) / sizeof(tracks[0]))
				e = ips_fail(ctx, BW_ERR_INVAL, "xbits: bad track '%s'", v);
			else
				x->track = (enum ips_xbits_track)k;
		} else if (strcmp(tok[i], "expire") == 0 && !have_expire && have_track) {
			/* Suricata 7's grammar: cmd,name,track ...[,expire ...], in that order. */
			have_expire = true;
			if (ips_parse_i64(v, 1, UINT32_MAX, &s) != 0)
				e = ips_fail(ctx, BW_ERR_INVAL, "xbits: bad expire '%s'", v);
			else
				x->expire = (uint32_t)s;
		} else {
			e = ips_fail(ctx, BW_ERR_INVAL, "xbits: unexpected '%s'", tok[i]);
		}
	}
	if (!e && !have_track)
		e = ips_fail(ctx, BW_ERR_INVAL, "xbits: track is required");
out:
	free(buf);
	if (e)
		xbits_free(x);
	else
		*data = x;
	return e;
}

static void xbits_dump(const void *p, FILE *f)
{
	static const char *const cmds[] = {"set", "isset", "isnotset", "unset", "toggle"};
	static const char *const tracks[] = {"ip_src", "ip_dst", "ip_pair"};
	const struct ips_xbits_opt *x = p;
	if (!x) {
		fprintf(f, "noalert");
		return;
	}
	fprintf(f, "%s %s track %s expire %u", cmds[x->cmd], x->name, tracks[x->track], x->expire);
}

/* ---- tag ---- */

static int kw_tag(struct ips_parse_ctx *ctx, const char *val, void **data)
{
	static const char *const metrics[] = {"packets", "seconds", "bytes"};
	char *buf, *tok[5];
	size_t n = ips_split(val, ',', tok, 4, &buf), m;
	struct ips_tag *t = NULL;
	int64_t v;
	int e = 0;

	if (!buf)
		return BW_ERR_NOMEM;
	if (n < 3 || n > 4 || (strcmp(tok[0], "session") != 0 && strcmp(tok[0], "host") != 0)) {
		e = ips_fail(ctx, BW_ERR_INVAL, "tag: expected session|host,count,metric[,dir]");
		goto out;
	}
	for (m = 0; m < sizeof(metrics) / sizeof(metrics[0]); m++)
		if (strcmp(tok[2], metrics[m]) == 0)
			break;
	if (m == sizeof(metrics) / sizeof(metrics[0]) ||
	    ips_parse_i64(tok[1], 0, UINT32_MAX, &v) != 0) {
		e = ips_fail(ctx, BW_ERR_INVAL, "tag: bad count or metric '%s'", val);
		goto out;
	}
	/* Suricata: the direction applies to host tags; session tags ignore it. */
	if (n == 4 && strcmp(tok[3], "src") != 0 && strcmp(tok[3], "dst") != 0) {
		e = ips_fail(ctx, BW_ERR_INVAL, "tag: bad direction '%s'", tok[3]);
		goto out;
	}
	if (!(t = calloc(1, sizeof(*t)))) {
		e = BW_ERR_NOMEM;
		goto out;
	}
	t->host = tok[0][0] == 'h';
	t->count = (uint32_t)v;
	t->metric = (enum ips_tag_metric)m;
	t->dst = n == 4 && strcmp(tok[3], "dst") == 0;
	*data = t;
out:
	free(buf);
	return e;
}

static void tag_dump(const void *p, FILE *f)
{
	static const char *const metrics[] = {"packets", "seconds", "bytes"};
	const struct ips_tag *t = p;
	fprintf(f, "%s,%u,%s%s", t->host ? "host" : "session", t->count, metrics[t->metric],
	        t->host ? (t->dst ? ",dst" : ",src") : "");
}

/* ---- bypass ---- */

static int kw_bypass(struct ips_parse_ctx *ctx, const char *val, void **data)
{
	(void)val;
	(void)data;
	ctx->r->bypass = true;
	return 0;
}

/* ---- tls.version ---- */

static int kw_tls_version(struct ips_parse_ctx *ctx, const char *val, void **data)
{
	static const char *const names[] = {"1.0", "1.1", "1.2", "1.3"};
	char v[16];
	size_t len = strlen(val);
	struct ips_app_match *m;

	/* The value may be quoted. */
	if (len >= 2 && val[0] == '"' && val[len - 1] == '"') {
		val++;
		len -= 2;
	}
	if (len == 0 || len >= sizeof(v))
		return ips_fail(ctx, BW_ERR_INVAL, "tls.version: bad value");
	memcpy(v, val, len);
	v[len] = '\0';
	if (ips_need_app(ctx, IPS_PROTO_TLS, "tls.version") != 0)
		return BW_ERR_INVAL;
	if (!(m = calloc(1, sizeof(*m))))
		return BW_ERR_NOMEM;
	m->app = IPS_PROTO_TLS;
	m->what = APP_M_TLS_VERSION;
	m->narg = 2;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strncmp(v, names[i], 3) == 0) /* Suricata compares the first 3 characters */
			m->arg[0] = 0x0301 + i;
	if (m->arg[0] == 0) {
		int64_t x;
		/* A raw value: 0x and four hex digits. */
		if (len != 6 || strncmp(v, "0x", 2) != 0 || ips_parse_i64(v, 0, 0xffff, &x) != 0) {
			free(m);
			return ips_fail(ctx, BW_ERR_INVAL, "tls.version: bad value '%s'", v);
		}
		m->arg[0] = (uint64_t)x;
		m->arg[1] = 1;
	}
	*data = m;
	return 0;
}

static void app_match_free(void *p)
{
	struct ips_app_match *m = p;
	if (m)
		free(m->str);
	free(m);
}

static void tls_version_dump(const void *p, FILE *f)
{
	const struct ips_app_match *m = p;
	fprintf(f, "0x%04x%s", (unsigned)m->arg[0], m->arg[1] ? " raw" : "");
}

/* ---- asn1 ---- */

/* A decimal number within [min, max] (an optional leading '-' when min < 0). */
static bool asn1_num(const char *v, int64_t min, int64_t max, int64_t *x)
{
	const char *d = v && *v == '-' && min < 0 ? v + 1 : v;
	return d && isdigit((unsigned char)*d) && ips_parse_i64(v, min, max, x) == 0;
}

/*
 * Options are separated by commas or blanks (Suricata's parser takes
 * either): "oversize_length 132 absolute_offset 0" is valid.
 */
static int kw_asn1(struct ips_parse_ctx *ctx, const char *val, void **data)
{
	char *buf = strdup(val), *w[16], *save = NULL;
	size_t n = 0;
	struct ips_asn1 *a = NULL;
	int e = 0;

	if (!buf)
		return BW_ERR_NOMEM;
	for (char *t = strtok_r(buf, ", \t", &save); t; t = strtok_r(NULL, ", \t", &save)) {
		if (n == sizeof(w) / sizeof(w[0])) {
			e = ips_fail(ctx, BW_ERR_LIMIT, "asn1: too many options");
			goto out;
		}
		w[n++] = t;
	}
	if (n == 0) {
		e = ips_fail(ctx, BW_ERR_INVAL, "asn1: no option");
		goto out;
	}
	if (!(a = calloc(1, sizeof(*a)))) {
		e = BW_ERR_NOMEM;
		goto out;
	}
	a->max_frames = 30; /* ASN1_DEFAULT_MAX_FRAMES */
	for (size_t i = 0; i < n && !e; i++) {
		const char *v = i + 1 < n ? w[i + 1] : NULL;
		int64_t x;
		if (strcmp(w[i], "bitstring_overflow") == 0) {
			a->flags |= IPS_ASN1_BITSTRING_OVERFLOW;
		} else if (strcmp(w[i], "double_overflow") == 0) {
			a->flags |= IPS_ASN1_DOUBLE_OVERFLOW;
		} else if (strcmp(w[i], "oversize_length") == 0 && asn1_num(v, 0, UINT32_MAX, &x)) {
			a->flags |= IPS_ASN1_OVERSIZE;
			a->oversize = (uint32_t)x;
			i++;
		} else if (strcmp(w[i], "absolute_offset") == 0 && asn1_num(v, 0, UINT16_MAX, &x)) {
			a->flags |= IPS_ASN1_ABSOLUTE;
			a->abs_offset = (uint16_t)x;
			i++;
		} else if (strcmp(w[i], "relative_offset") == 0 &&
		           asn1_num(v, -(int64_t)UINT16_MAX, UINT16_MAX, &x)) {
			a->flags |= IPS_ASN1_RELATIVE;
			a->rel_offset = (int32_t)x;
			i++;
		} else {
			e = ips_fail(ctx, BW_ERR_INVAL, "asn1: bad option '%s'", w[i]);
		}
	}
	/* Suricata takes the absolute offset when both are given. */
	if (!e && (a->flags & IPS_ASN1_ABSOLUTE))
		a->flags &= ~(unsigned)IPS_ASN1_RELATIVE;
out:
	free(buf);
	if (e)
		free(a);
	else
		*data = a;
	return e;
}

static void asn1_dump(const void *p, FILE *f)
{
	const struct ips_asn1 *a = p;
	fprintf(f, "flags=0x%x oversize=%u abs=%u rel=%d", a->flags, a->oversize,
	        (unsigned)a->abs_offset, (int)a->rel_offset);
}

/* ---- ftpbounce ---- */

static int kw_ftpbounce(struct ips_parse_ctx *ctx, const char *val, void **data)
{
	(void)val;
	(void)data;
	return ips_need_app(ctx, IPS_PROTO_FTP, "ftpbounce");
}

#define V IPS_KWF_VALUE
#define N IPS_KWF_NOVALUE
const struct ips_keyword ips_kw_state_table[] = {
        {"xbits", IPS_KW_XBITS, V, 0, kw_xbits, xbits_free, xbits_dump},
        {"tag", IPS_KW_TAG, V, 0, kw_tag, free, tag_dump},
        {"bypass", IPS_KW_BYPASS, N | IPS_KWF_RULE, 0, kw_bypass, NULL, NULL},
        {"tls.version", IPS_KW_APP, V, 0, kw_tls_version, app_match_free, tls_version_dump},
        {"asn1", IPS_KW_ASN1, V, 0, kw_asn1, free, asn1_dump},
        {"ftpbounce", IPS_KW_FTPBOUNCE, N, 0, kw_ftpbounce, NULL, NULL},
};
const size_t ips_kw_state_count = sizeof(ips_kw_state_table) / sizeof(ips_kw_state_table[0]);
