/* SPDX-License-Identifier: ISC */
/*
 * Payload keywords: content and its modifiers (nocase, rawbytes, offset,
 * depth, distance, within, fast_pattern, startswith, endswith), pcre,
 * isdataat, dsize, bsize and urilen (transforms are in rule_kw_transform.c).
 *
 * Modifier arithmetic follows what Suricata refuses at load time: every
 * modifier needs a preceding content; each may be given once; absolute
 * (offset, depth, startswith) and relative (distance, within) positioning
 * cannot be mixed on one content; depth and within cannot be shorter than
 * the content; fast_pattern goes on one content only, "only" excludes
 * positioning and negation, and "offset,length" must lie inside the
 * content. Values may name a byte_extract variable instead of a number.
 */
#define _GNU_SOURCE
#define PCRE2_CODE_UNIT_WIDTH 8
#include <ctype.h>
#include <inttypes.h>
#include <pcre2.h>
#include <stdlib.h>
#include <string.h>

#include "ips/rule_int.h"
#include "lib/err.h"

/* ---- content ---- */

static void content_free(void *p)
{
	struct ips_content *c = p;
	free(c->pat);
	free(c);
}

static int kw_content(struct ips_parse_ctx *ctx, const char *val, void **data)
{
	bool neg = false;
	uint8_t *pat;
	size_t len;
	if (*val == '!') {
		neg = true;
		val++;
		while (isspace((unsigned char)*val))
			val++;
	}
	int e = ips_unquote(ctx, val, true, true, &pat, &len);
	if (e)
		return e;
	if (len == 0 || len > IPS_RULE_MAX_CONTENT) {
		free(pat);
		return ips_fail(ctx, BW_ERR_INVAL, "content: %s pattern",
		                len ? "too long" : "empty");
	}
	struct ips_content *c = calloc(1, sizeof(*c));
	if (!c) {
		free(pat);
		return BW_ERR_NOMEM;
	}
	c->pat = pat;
	c->len = len;
	c->flags = neg ? IPS_CF_NEGATED : 0;
	c->offset_var = c->depth_var = c->distance_var = c->within_var = IPS_NOVAR;
	*data = c;
	return 0;
}

int ips_kw_content_parse(struct ips_parse_ctx *ctx, const char *val, void **data)
{
	return kw_content(ctx, val, data);
}

/*
 * uricontent: Snort 2's content in the normalised URI, the same as
 * "content:...; http_uri;" (the sticky buffer in force is left alone).
 */
static int kw_uricontent(struct ips_parse_ctx *ctx, const char *val, void **data)
{
	int e = kw_content(ctx, val, data);

	if (e == 0)
		ctx->next_buf = IPS_BUF_HTTP_URI;
	return e;
}

static void content_dump(const void *p, FILE *f)
{
	static const struct {
		uint32_t flag;
		const char *name;
	} fl[] = {
	        {IPS_CF_NOCASE, "nocase"},
	        {IPS_CF_RAWBYTES, "rawbytes"},
	        {IPS_CF_STARTSWITH, "startswith"},
	        {IPS_CF_ENDSWITH, "endswith"},
	        {IPS_CF_FAST_PATTERN, "fast_pattern"},
	        {IPS_CF_FP_ONLY, "(only)"},
	};
	const struct ips_content *c = p;
	bool hex = false;
	fprintf(f, "%s\"", c->flags & IPS_CF_NEGATED ? "!" : "");
	for (size_t i = 0; i < c->len; i++) {
		uint8_t b = c->pat[i];
		bool plain = b >= 0x20 && b < 0x7f && b != '"' && b != ';' && b != '\\' && b != '|';
		if (plain) {
			if (hex)
				fputc('|', f);
			hex = false;
			fputc(b, f);
		} else {
			fputs(hex ? " " : "|", f);
			hex = true;
			fprintf(f, "%02x", b);
		}
	}
	fprintf(f, "%s\" len=%zu", hex ? "|" : "", c->len);
	for (size_t i = 0; i < sizeof(fl) / sizeof(fl[0]); i++)
		if (c->flags & fl[i].flag)
			fprintf(f, " %s", fl[i].name);
	if (c->flags & IPS_CF_FP_CHOP)
		fprintf(f, " fp_offset=%u fp_length=%u", c->fp_off, c->fp_len);
	if (c->flags & IPS_CF_OFFSET)
		c->offset_var >= 0 ? fprintf(f, " offset=$var%d", c->offset_var)
		                   : fprintf(f, " offset=%d", c->offset);
	if (c->flags & IPS_CF_DEPTH)
		c->depth_var >= 0 ? fprintf(f, " depth=$var%d", c->depth_var)
		                  : fprintf(f, " depth=%d", c->depth);
	if (c->flags & IPS_CF_DISTANCE)
		c->distance_var >= 0 ? fprintf(f, " distance=$var%d", c->distance_var)
		                     : fprintf(f, " distance=%d", c->distance);
	if (c->flags & IPS_CF_WITHIN)
		c->within_var >= 0 ? fprintf(f, " within=$var%d", c->within_var)
		                   : fprintf(f, " within=%d", c->within);
}

/* The content a modifier applies to, or NULL after reporting. */
static struct ips_content *prev(struct ips_parse_ctx *ctx)
{
	if (!ctx->last_content) {
		ips_fail(ctx, BW_ERR_INVAL, "%s: no preceding content", ctx->kwname);
		return NULL;
	}
	return ctx->last_content->data;
}

static int once(struct ips_parse_ctx *ctx, struct ips_content *c, uint32_t flag)
{
	if (c->flags & flag)
		return ips_fail(ctx, BW_ERR_INVAL, "%s: given twice for one content", ctx->kwname);
	return 0;
}

static int kw_nocase(struct ips_parse_ctx *ctx, const char *val, void **data)
{
	struct ips_content *c = prev(ctx);
	(void)val;
	(void)data;
	if (!c || once(ctx, c, IPS_CF_NOCASE))
		return BW_ERR_INVAL;
	c->flags |= IPS_CF_NOCASE;
	return 0;
}

static int kw_rawbytes(struct ips_parse_ctx *ctx, const char *val, void **data)
{
	struct ips_content *c = prev(ctx);
	(void)val;
	(void)data;
	if (!c || once(ctx, c, IPS_CF_RAWBYTES))
		return BW_ERR_INVAL;
	c->flags |= IPS_CF_RAWBYTES;
	return 0;
}

enum {
	ABS = IPS_CF_OFFSET | IPS_CF_DEPTH | IPS_CF_STARTSWITH,
	REL = IPS_CF_DISTANCE | IPS_CF_WITHIN
};

/* Checks shared by offset/depth (absolute) and distance/within (relative). */
static struct ips_content *positional(struct ips_parse_ctx *ctx, uint32_t flag, bool relative)
{
	struct ips_content *c = prev(ctx);
	if (!c || once(ctx, c, flag))
		return NULL;
	if (c->flags & (relative ? ABS : REL)) {
		ips_fail(ctx, BW_ERR_INVAL, "%s: cannot mix offset/depth with distance/within",
		         ctx->kwname);
		return NULL;
	}
	if (c->flags & IPS_CF_STARTSWITH) {
		ips_fail(ctx, BW_ERR_INVAL, "%s: content already has startswith", ctx->kwname);
		return NULL;
	}
	if (c->flags & IPS_CF_FP_ONLY) {
		ips_fail(ctx, BW_ERR_INVAL, "%s: content is fast_pattern:only", ctx->kwname);
		return NULL;
	}
	if (relative && (c->flags & IPS_CF_FAST_PATTERN) && (c->flags & IPS_CF_NEGATED)) {
		ips_fail(ctx, BW_ERR_INVAL, "%s: negated fast_pattern content cannot be relative",
		         ctx->kwname);
		return NULL;
	}
	return c;
}

static int kw_offset(struct ips_parse_ctx *ctx, const char *val, void **data)
{
	struct ips_content *c = positional(ctx, IPS_CF_OFFSET, false);
	(void)data;
	if (!c)
		return BW_ERR_INVAL;
	int e = ips_parse_int_or_var(ctx, val, 0, 65535, &c->offset, &c->offset_var);
	if (!e)
		c->flags |= IPS_CF_OFFSET;
	return e;
}

static int kw_depth(struct ips_parse_ctx *ctx, const char *val, void **data)
{
	struct ips_content *c = positional(ctx, IPS_CF_DEPTH, false);
	(void)data;
	if (!c)
		return BW_ERR_INVAL;
	int e = ips_parse_int_or_var(ctx, val, 1, 65535, &c->depth, &c->depth_var);
	if (e)
		return e;
	if (c->depth_var == IPS_NOVAR && (size_t)c->depth < c->len)
		return ips_fail(ctx, BW_ERR_INVAL, "depth: %d smaller than content length %zu",
		                c->depth, c->len);
	c->flags |= IPS_CF_DEPTH;
	return 0;
}

static int kw_distance(struct ips_parse_ctx *ctx, const char *val, void **data)
{
	struct ips_content *c = positional(ctx, IPS_CF_DISTANCE, true);
	(void)data;
	if (!c)
		return BW_ERR_INVAL;
	int e = ips_parse_int_or_var(ctx, val, -65535, 65535, &c->distance, &c->distance_var);
	if (!e)
		c->flags |= IPS_CF_DISTANCE;
	return e;
}

static int kw_within(struct ips_parse_ctx *ctx, const char *val, void **data)
{
	struct ips_content *c = positional(ctx, IPS_CF_WITHIN, true);
	(void)data;
	if (!c)
		return BW_ERR_INVAL;
	int e = ips_parse_int_or_var(ctx, val, 1, 65535, &c->within, &c->within_var);
	if (e)
		return e;
	if (c->within_var == IPS_NOVAR && (size_t)c->within < c->len)
		return ips_fail(ctx, BW_ERR_INVAL, "within: %d smaller than content length %zu",
		                c->within, c->len);
	c->flags |= IPS_CF_WITHIN;
	return 0;
}

static int kw_fast_pattern(struct ips_parse_ctx *ctx, const char *val, void **data)
{
	struct ips_content *c = prev(ctx);
	(void)data;
	if (!c)
		return BW_ERR_INVAL;
	if (ctx->fast_patterns++)
		return ips_fail(ctx, BW_ERR_INVAL, "fast_pattern: only one content may have it");
	if (val && strcmp(val, "only") == 0) {
		if (c->flags & (ABS | REL))
			return ips_fail(
			        ctx, BW_ERR_INVAL,
			        "fast_pattern: only cannot be used with positional modifiers");
		if (c->flags & IPS_CF_NEGATED)
			return ips_fail(ctx, BW_ERR_INVAL,
			                "fast_pattern: only cannot be used on negated content");
		c->flags |= IPS_CF_FP_ONLY;
	} else if (val) {
		char *buf, *tok[3];
		int64_t off, len;
		size_t n = ips_split(val, ',', tok, 2, &buf);
		if (!buf)
			return BW_ERR_NOMEM;
		int bad = n != 2 || ips_parse_i64(tok[0], 0, 65535, &off) ||
		          ips_parse_i64(tok[1], 1, 65535, &len);
		free(buf);
		if (bad)
			return ips_fail(ctx, BW_ERR_INVAL,
			                "fast_pattern: expected only or offset,length");
		if ((size_t)(off + len) > c->len)
			return ips_fail(ctx, BW_ERR_INVAL,
			                "fast_pattern: %d,%d lies outside the %zu-byte content",
			                (int)off, (int)len, c->len);
		c->fp_off = (uint16_t)off;
		c->fp_len = (uint16_t)len;
		c->flags |= IPS_CF_FP_CHOP;
	}
	if ((c->flags & IPS_CF_NEGATED) && (c->flags & REL))
		return ips_fail(ctx, BW_ERR_INVAL,
		                "fast_pattern: negated content cannot be relative");
	c->flags |= IPS_CF_FAST_PATTERN;
	return 0;
}

static int kw_startswith(struct ips_parse_ctx *ctx, const char *val, void **data)
{
	struct ips_content *c = prev(ctx);
	(void)val;
	(void)data;
	if (!c || once(ctx, c, IPS_CF_STARTSWITH))
		return BW_ERR_INVAL;
	if (c->flags & (ABS | REL))
		return ips_fail(ctx, BW_ERR_INVAL, "startswith: content already has positioning");
	c->flags |= IPS_CF_STARTSWITH;
	return 0;
}

static int kw_endswith(struct ips_parse_ctx *ctx, const char *val, void **data)
{
	struct ips_content *c = prev(ctx);
	(void)val;
	(void)data;
	if (!c || once(ctx, c, IPS_CF_ENDSWITH))
		return BW_ERR_INVAL;
	c->flags |= IPS_CF_ENDSWITH;
	return 0;
}

/* ---- pcre ---- */

static void pcre_free_data(void *p)
{
	struct ips_pcre *x = p;
	pcre2_code_free(x->code);
	free(x->re);
	free(x);
}

/* Suricata's HTTP buffer modifiers of pcre. */
static int pcre_buf(char m)
{
	switch (m) {
	case 'U':
		return IPS_BUF_HTTP_URI;
	case 'I':
		return IPS_BUF_HTTP_RAW_URI;
	case 'P':
		return IPS_BUF_HTTP_REQUEST_BODY;
	case 'Q': /* http_server_body: an alias of file_data since Suricata 5 */
		return IPS_BUF_FILE_DATA;
	case 'H':
		return IPS_BUF_HTTP_HEADER;
	case 'D':
		return IPS_BUF_HTTP_RAW_HEADER;
	case 'M':
		return IPS_BUF_HTTP_METHOD;
	case 'C':
		return IPS_BUF_HTTP_COOKIE;
	case 'K':
		return IPS_BUF_HTTP_COOKIE; /* raw cookie: cookies are not normalised */
	case 'S':
		return IPS_BUF_HTTP_STAT_CODE;
	case 'Y':
		return IPS_BUF_HTTP_STAT_MSG;
	case 'V':
		return IPS_BUF_HTTP_USER_AGENT;
	case 'W':
		return IPS_BUF_HTTP_HOST;
	case 'Z':
		return IPS_BUF_HTTP_RAW_HOST;
	default:
		return -1;
	}
}

static int kw_pcre(struct ips_parse_ctx *ctx, const char *val, void **data)
{
	struct ips_pcre *x;
	bool neg = false;
	if (*val == '!') {
		neg = true;
		val++;
		while (isspace((unsigned char)*val))
			val++;
	}
	size_t n = strlen(val);
	if (n < 4 || val[0] != '"' || val[n - 1] != '"' || val[1] != '/')
		return ips_fail(ctx, BW_ERR_INVAL, "pcre: expected \"/regex/flags\"");
	const char *re = val + 2, *end = val + n - 1;
	const char *slash = end;
	while (slash > re && slash[-1] != '/')
		slash--;
	if (slash <= re)
		return ips_fail(ctx, BW_ERR_INVAL, "pcre: no closing '/'");
	size_t relen = (size_t)(slash - 1 - re);
	uint32_t opts = 0, flags = neg ? IPS_PCRE_NEGATED : 0;
	int buf = -1;
	for (const char *m = slash; m < end; m++) {
		int b = pcre_buf(*m);
		if (b >= 0) {
			if (buf >= 0 && buf != b)
				return ips_fail(ctx, BW_ERR_INVAL, "pcre: two buffer modifiers");
			buf = b;
			continue;
		}
		switch (*m) {
		case 'i':
			opts |= PCRE2_CASELESS;
			break;
		case 's':
			opts |= PCRE2_DOTALL;
			break;
		case 'm':
			opts |= PCRE2_MULTILINE;
			break;
		case 'x':
			opts |= PCRE2_EXTENDED;
			break;
		case 'A':
			opts |= PCRE2_ANCHORED;
			break;
		case 'E':
			opts |= PCRE2_DOLLAR_ENDONLY;
			break;
		case 'G':
			opts |= PCRE2_UNGREEDY;
			break;
		case 'R':
			flags |= IPS_PCRE_RELATIVE;
			break;
		case 'B':
			flags |= IPS_PCRE_RAWBYTES;
			break;
		case 'O':
			flags |= IPS_PCRE_OVERRIDE_MATCH_LIMIT;
			break;
		default:
			return ips_fail(ctx, BW_ERR_INVAL, "pcre: unknown modifier '%c'", *m);
		}
	}
	/* A modifier naming the sticky buffer in force is redundant, not wrong. */
	if (buf >= 0 && ctx->sticky && buf != (int)ctx->buf)
		return ips_fail(ctx, BW_ERR_INVAL, "pcre: buffer modifier with sticky buffer %s",
		                ips_buf_name(ctx->buf));
	if (!(x = calloc(1, sizeof(*x))) || !(x->re = strndup(re, relen))) {
		free(x);
		return BW_ERR_NOMEM;
	}
	x->options = opts;
	x->flags = flags;
	int err;
	PCRE2_SIZE eoff;
	x->code = pcre2_compile((PCRE2_SPTR)x->re, relen, opts, &err, &eoff, NULL);
	if (!x->code) {
		PCRE2_UCHAR msg[128];
		pcre2_get_error_message(err, msg, sizeof(msg));
		pcre_free_data(x);
		return ips_fail(ctx, BW_ERR_INVAL, "pcre: compile error at %zu: %s", (size_t)eoff,
		                (char *)msg);
	}
	if (buf >= 0)
		ctx->next_buf = buf;
	*data = x;
	return 0;
}

static void pcre_dump(const void *p, FILE *f)
{
	const struct ips_pcre *x = p;
	fprintf(f, "%s/%s/", x->flags & IPS_PCRE_NEGATED ? "!" : "", x->re);
	if (x->options & PCRE2_CASELESS)
		fputc('i', f);
	if (x->options & PCRE2_DOTALL)
		fputc('s', f);
	if (x->options & PCRE2_MULTILINE)
		fputc('m', f);
	if (x->options & PCRE2_EXTENDED)
		fputc('x', f);
	if (x->options & PCRE2_ANCHORED)
		fputc('A', f);
	if (x->options & PCRE2_DOLLAR_ENDONLY)
		fputc('E', f);
	if (x->options & PCRE2_UNGREEDY)
		fputc('G', f);
	if (x->flags & IPS_PCRE_RELATIVE)
		fputs(" relative", f);
	if (x->flags & IPS_PCRE_RAWBYTES)
		fputs(" rawbytes", f);
}

/* ---- isdataat, dsize, bsize, urilen ---- */

static int kw_isdataat(struct ips_parse_ctx *ctx, const char *val, void **data)
{
	char *buf, *tok[4];
	size_t n = ips_split(val, ',', tok, 3, &buf);
	int e = 0;
	if (!buf)
		return BW_ERR_NOMEM;
	struct ips_isdataat *d = calloc(1, sizeof(*d));
	if (!d) {
		free(buf);
		return BW_ERR_NOMEM;
	}
	if (n < 1 || n > 3) {
		e = ips_fail(ctx, BW_ERR_INVAL, "isdataat: expected [!]N[,relative][,rawbytes]");
		goto out;
	}
	const char *v = tok[0];
	if (*v == '!') {
		d->negated = true;
		v++;
	}
	int32_t x;
	if ((e = ips_parse_int_or_var(ctx, v, 0, 65535, &x, &d->value_var)) != 0)
		goto out;
	d->value = (uint32_t)x;
	for (size_t i = 1; i < n && !e; i++) {
		if (strcmp(tok[i], "relative") == 0 && !d->relative)
			d->relative = true;
		else if (strcmp(tok[i], "rawbytes") == 0 && !d->rawbytes)
			d->rawbytes = true;
		else
			e = ips_fail(ctx, BW_ERR_INVAL, "isdataat: unexpected '%s'", tok[i]);
	}
out:
	free(buf);
	if (e)
		free(d);
	else
		*data = d;
	return e;
}

static void isdataat_dump(const void *p, FILE *f)
{
	const struct ips_isdataat *d = p;
	if (d->value_var >= 0)
		fprintf(f, "%s$var%d", d->negated ? "!" : "", d->value_var);
	else
		fprintf(f, "%s%u", d->negated ? "!" : "", d->value);
	fprintf(f, "%s%s", d->relative ? " relative" : "", d->rawbytes ? " rawbytes" : "");
}

static int kw_dsize(struct ips_parse_ctx *ctx, const char *val, void **data)
{
	return ips_kw_num(ctx, val, 65535, false, data);
}

static int kw_bsize(struct ips_parse_ctx *ctx, const char *val, void **data)
{
	if (!ctx->sticky)
		return ips_fail(ctx, BW_ERR_INVAL, "bsize: needs a sticky buffer");
	return ips_kw_num(ctx, val, UINT32_MAX, false, data);
}

static int kw_urilen(struct ips_parse_ctx *ctx, const char *val, void **data)
{
	char *buf, *tok[3];
	size_t n = ips_split(val, ',', tok, 2, &buf);
	int e = 0;
	if (!buf)
		return BW_ERR_NOMEM;
	struct ips_urilen *u = calloc(1, sizeof(*u));
	if (!u) {
		free(buf);
		return BW_ERR_NOMEM;
	}
	if (n < 1 || n > 2 || ips_parse_num(tok[0], 65535, &u->cmp))
		e = ips_fail(ctx, BW_ERR_INVAL, "urilen: bad value '%s'", val);
	else if (n == 2 && strcmp(tok[1], "raw") == 0)
		u->raw = true;
	else if (n == 2 && strcmp(tok[1], "norm") != 0)
		e = ips_fail(ctx, BW_ERR_INVAL, "urilen: expected norm or raw, not '%s'", tok[1]);
	free(buf);
	if (e) {
		free(u);
		return e;
	}
	*data = u;
	return 0;
}

static void num_dump(const void *p, FILE *f)
{
	static const char *const ops[] = {"=", "!=", "<", "<=", ">", ">=", "<>"};
	const struct ips_num *n = p;
	if (n->op == IPS_CMP_RANGE)
		fprintf(f, "%" PRIu64 "<>%" PRIu64, n->lo, n->hi);
	else
		fprintf(f, "%s%" PRIu64, ops[n->op], n->lo);
}

static void urilen_dump(const void *p, FILE *f)
{
	const struct ips_urilen *u = p;
	num_dump(&u->cmp, f);
	fputs(u->raw ? " raw" : " norm", f);
}

#define V  IPS_KWF_VALUE
#define NV IPS_KWF_NOVALUE
#define CM IPS_KWF_CMOD
const struct ips_keyword ips_kw_content_table[] = {
        {"content", IPS_KW_CONTENT, V | IPS_KWF_INBUF, 0, kw_content, content_free, content_dump},
        {"uricontent", IPS_KW_CONTENT, V, 0, kw_uricontent, content_free, content_dump},
        {"nocase", IPS_KW_NOCASE, NV | CM, 0, kw_nocase, NULL, NULL},
        {"rawbytes", IPS_KW_RAWBYTES, NV | CM, 0, kw_rawbytes, NULL, NULL},
        {"offset", IPS_KW_OFFSET, V | CM, 0, kw_offset, NULL, NULL},
        {"depth", IPS_KW_DEPTH, V | CM, 0, kw_depth, NULL, NULL},
        {"distance", IPS_KW_DISTANCE, V | CM, 0, kw_distance, NULL, NULL},
        {"within", IPS_KW_WITHIN, V | CM, 0, kw_within, NULL, NULL},
        {"fast_pattern", IPS_KW_FAST_PATTERN, IPS_KWF_OPTVALUE | CM, 0, kw_fast_pattern, NULL,
         NULL},
        {"startswith", IPS_KW_STARTSWITH, NV | CM, 0, kw_startswith, NULL, NULL},
        {"endswith", IPS_KW_ENDSWITH, NV | CM, 0, kw_endswith, NULL, NULL},
        {"pcre", IPS_KW_PCRE, V | IPS_KWF_INBUF, 0, kw_pcre, pcre_free_data, pcre_dump},
        {"isdataat", IPS_KW_ISDATAAT, V | IPS_KWF_INBUF, 0, kw_isdataat, free, isdataat_dump},
        {"dsize", IPS_KW_DSIZE, V, 0, kw_dsize, free, num_dump},
        {"bsize", IPS_KW_BSIZE, V | IPS_KWF_INBUF, 0, kw_bsize, free, num_dump},
        {"urilen", IPS_KW_URILEN, V, 0, kw_urilen, free, urilen_dump},
};
const size_t ips_kw_content_count = sizeof(ips_kw_content_table) / sizeof(ips_kw_content_table[0]);
