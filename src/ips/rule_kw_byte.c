/* SPDX-License-Identifier: ISC */
/*
 * byte_test, byte_jump and byte_extract: read a number from the buffer
 * (binary big/little endian, or text in base 8/10/16), then compare it,
 * move the cursor by it, or store it in a rule variable that later
 * options (offset, depth, distance, within, isdataat, byte_test value and
 * offset, byte_jump offset) name instead of a constant. Grammar as in
 * Suricata's documentation:
 *   byte_test:N, [!]op, value, offset [,relative] [,big|little] [,string,hex|dec|oct]
 *             [,dce] [,bitmask M]
 *   byte_jump:N, offset [,relative] [,multiplier M] [,big|little] [,string,base]
 *             [,align] [,from_beginning|from_end] [,post_offset P] [,dce] [,bitmask M]
 *   byte_extract:N, offset, name [,relative] [,multiplier M] [,big|little]
 *                [,string[,base]] [,align A] [,dce] [,bitmask M]
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "ips/rule_int.h"
#include "lib/err.h"

/* Options common to the three keywords. */
struct bopts {
	bool relative, string, align, from_beginning, from_end, dce, have_mult, have_post;
	enum ips_endian endian;
	enum ips_byte_base base;
	uint32_t multiplier;
	int32_t post_offset;
	uint64_t bitmask;
	uint8_t align_n;
	bool have_endian;
};

static int parse_tail(struct ips_parse_ctx *ctx, char **tok, size_t n, struct bopts *o, bool jump,
                      bool extract)
{
	int64_t v;
	o->multiplier = 1;
	for (size_t i = 0; i < n; i++) {
		char *t = tok[i], *arg = t + strcspn(t, " \t");
		if (*arg)
			*arg++ = 0;
		while (isspace((unsigned char)*arg))
			arg++;
		if (strcmp(t, "relative") == 0 && !*arg) {
			o->relative = true;
		} else if ((strcmp(t, "big") == 0 || strcmp(t, "little") == 0) && !*arg &&
		           !o->have_endian) {
			o->endian = t[0] == 'b' ? IPS_END_BIG : IPS_END_LITTLE;
			o->have_endian = true;
		} else if (strcmp(t, "dce") == 0 && !*arg && !o->have_endian) {
			o->endian = IPS_END_DCE;
			o->have_endian = o->dce = true;
		} else if (strcmp(t, "string") == 0 && !*arg && !o->string) {
			o->string = true;
			o->base = IPS_BASE_DEC;
		} else if ((strcmp(t, "hex") == 0 || strcmp(t, "dec") == 0 ||
		            strcmp(t, "oct") == 0) &&
		           !*arg && o->string) {
			o->base = t[0] == 'h'   ? IPS_BASE_HEX
			          : t[0] == 'd' ? IPS_BASE_DEC
			                        : IPS_BASE_OCT;
		} else if (strcmp(t, "bitmask") == 0 && *arg) {
			char *end;
			o->bitmask = strtoull(arg, &end, 0);
			if (*end || !o->bitmask)
				return ips_fail(ctx, BW_ERR_INVAL, "%s: bad bitmask", ctx->kwname);
		} else if (strcmp(t, "multiplier") == 0 && *arg && (jump || extract) &&
		           !o->have_mult) {
			if (ips_parse_i64(arg, 1, 65535, &v))
				return ips_fail(ctx, BW_ERR_INVAL, "%s: bad multiplier",
				                ctx->kwname);
			o->multiplier = (uint32_t)v;
			o->have_mult = true;
		} else if (strcmp(t, "align") == 0 && jump && !*arg) {
			o->align = true;
		} else if (strcmp(t, "align") == 0 && extract && *arg) {
			if (ips_parse_i64(arg, 2, 4, &v) || v == 3)
				return ips_fail(ctx, BW_ERR_INVAL, "%s: align must be 2 or 4",
				                ctx->kwname);
			o->align_n = (uint8_t)v;
		} else if (strcmp(t, "from_beginning") == 0 && jump && !*arg && !o->from_end) {
			o->from_beginning = true;
		} else if (strcmp(t, "from_end") == 0 && jump && !*arg && !o->from_beginning) {
			o->from_end = true;
		} else if (strcmp(t, "post_offset") == 0 && jump && *arg && !o->have_post) {
			if (ips_parse_i64(arg, -65535, 65535, &v))
				return ips_fail(ctx, BW_ERR_INVAL, "%s: bad post_offset",
				                ctx->kwname);
			o->post_offset = (int32_t)v;
			o->have_post = true;
		} else {
			return ips_fail(ctx, BW_ERR_INVAL, "%s: unexpected '%s'", ctx->kwname, t);
		}
	}
	if (o->string && o->have_endian && !o->dce)
		return ips_fail(ctx, BW_ERR_INVAL, "%s: string with an endianness", ctx->kwname);
	return 0;
}

/* Byte count: 1..8 binary; text numbers up to 23 digits as in Suricata (10 for byte_test). */
static int parse_nbytes(struct ips_parse_ctx *ctx, const char *s, const struct bopts *o,
                        unsigned str_max, uint8_t *out)
{
	int64_t v;
	/* ET has byte_test:0,...,string: Suricata loads it (a zero-digit number). */
	if (ips_parse_i64(s, o->string ? 0 : 1, o->string ? str_max : 8, &v))
		return ips_fail(ctx, BW_ERR_INVAL, "%s: bad byte count '%s'", ctx->kwname, s);
	if (!o->string && (v == 3 || v > 4) && v != 8 && o->endian == IPS_END_DCE)
		return ips_fail(ctx, BW_ERR_INVAL, "%s: dce needs 1, 2 or 4 bytes", ctx->kwname);
	*out = (uint8_t)v;
	return 0;
}

static int kw_byte_test(struct ips_parse_ctx *ctx, const char *val, void **data)
{
	char *buf, *tok[16];
	size_t n = ips_split(val, ',', tok, 15, &buf);
	struct bopts o = {0};
	int e;
	if (!buf)
		return BW_ERR_NOMEM;
	struct ips_byte_test *t = calloc(1, sizeof(*t));
	if (!t) {
		free(buf);
		return BW_ERR_NOMEM;
	}
	if (n < 4 || n > 15) {
		e = ips_fail(ctx, BW_ERR_INVAL, "byte_test: expected N, op, value, offset, ...");
		goto out;
	}
	if ((e = parse_tail(ctx, tok + 4, n - 4, &o, false, false)) != 0)
		goto out;
	if ((e = parse_nbytes(ctx, tok[0], &o, 10, &t->nbytes)) != 0)
		goto out;
	const char *op = tok[1];
	if (*op == '!') {
		t->negated = true;
		op++;
	}
	if (strcmp(op, "<") == 0 || strcmp(op, ">") == 0 || strcmp(op, "=") == 0 ||
	    strcmp(op, "&") == 0 || strcmp(op, "^") == 0)
		t->op = op[0];
	else if (strcmp(op, "<=") == 0)
		t->op = 'l';
	else if (strcmp(op, ">=") == 0)
		t->op = 'g';
	else if (strcmp(op, "!=") == 0 && !t->negated) {
		t->op = '=';
		t->negated = true;
	} else {
		e = ips_fail(ctx, BW_ERR_INVAL, "byte_test: bad operator '%s'", tok[1]);
		goto out;
	}
	t->value_var = IPS_NOVAR;
	if (isalpha((unsigned char)tok[2][0]) && !(tok[2][0] == '0')) {
		int32_t dummy;
		if ((e = ips_parse_int_or_var(ctx, tok[2], 0, 0, &dummy, &t->value_var)) != 0)
			goto out;
	} else {
		char *end;
		errno = 0;
		t->value = strtoull(tok[2], &end, 0);
		if (errno || *end || tok[2][0] == '-' || !tok[2][0]) {
			e = ips_fail(ctx, BW_ERR_INVAL, "byte_test: bad value '%s'", tok[2]);
			goto out;
		}
	}
	if ((e = ips_parse_int_or_var(ctx, tok[3], -65535, 65535, &t->offset, &t->offset_var)))
		goto out;
	t->relative = o.relative;
	t->endian = o.endian;
	t->base = o.string ? o.base : IPS_BASE_BINARY;
	t->bitmask = o.bitmask;
out:
	free(buf);
	if (e)
		free(t);
	else
		*data = t;
	return e;
}

static int kw_byte_jump(struct ips_parse_ctx *ctx, const char *val, void **data)
{
	char *buf, *tok[20];
	size_t n = ips_split(val, ',', tok, 19, &buf);
	struct bopts o = {0};
	int e;
	if (!buf)
		return BW_ERR_NOMEM;
	struct ips_byte_jump *j = calloc(1, sizeof(*j));
	if (!j) {
		free(buf);
		return BW_ERR_NOMEM;
	}
	if (n < 2 || n > 19) {
		e = ips_fail(ctx, BW_ERR_INVAL, "byte_jump: expected N, offset, ...");
		goto out;
	}
	if ((e = parse_tail(ctx, tok + 2, n - 2, &o, true, false)) != 0)
		goto out;
	if ((e = parse_nbytes(ctx, tok[0], &o, 23, &j->nbytes)) != 0)
		goto out;
	if ((e = ips_parse_int_or_var(ctx, tok[1], -65535, 65535, &j->offset, &j->offset_var)))
		goto out;
	j->relative = o.relative;
	j->multiplier = o.multiplier;
	j->endian = o.endian;
	j->base = o.string ? o.base : IPS_BASE_BINARY;
	j->align = o.align;
	j->from_beginning = o.from_beginning;
	j->from_end = o.from_end;
	j->post_offset = o.post_offset;
	j->bitmask = o.bitmask;
out:
	free(buf);
	if (e)
		free(j);
	else
		*data = j;
	return e;
}

static int kw_byte_extract(struct ips_parse_ctx *ctx, const char *val, void **data)
{
	struct ips_rule *r = ctx->r;
	char *buf, *tok[16];
	size_t n = ips_split(val, ',', tok, 15, &buf);
	struct bopts o = {0};
	int e;
	if (!buf)
		return BW_ERR_NOMEM;
	struct ips_byte_extract *x = calloc(1, sizeof(*x));
	if (!x) {
		free(buf);
		return BW_ERR_NOMEM;
	}
	if (n < 3 || n > 15) {
		e = ips_fail(ctx, BW_ERR_INVAL, "byte_extract: expected N, offset, name, ...");
		goto out;
	}
	if ((e = parse_tail(ctx, tok + 3, n - 3, &o, false, true)) != 0)
		goto out;
	if ((e = parse_nbytes(ctx, tok[0], &o, 23, &x->nbytes)) != 0)
		goto out;
	int64_t off;
	if (ips_parse_i64(tok[1], -65535, 65535, &off)) {
		e = ips_fail(ctx, BW_ERR_INVAL, "byte_extract: bad offset '%s'", tok[1]);
		goto out;
	}
	x->offset = (int32_t)off;
	const char *name = tok[2];
	bool ok = isalpha((unsigned char)name[0]) || name[0] == '_';
	for (const char *p = name; *p && ok; p++)
		ok = isalnum((unsigned char)*p) || *p == '_';
	if (!ok) {
		e = ips_fail(ctx, BW_ERR_INVAL, "byte_extract: bad variable name '%s'", name);
		goto out;
	}
	if (ips_var_index(r, name) != IPS_NOVAR) {
		e = ips_fail(ctx, BW_ERR_INVAL, "byte_extract: variable '%s' defined twice", name);
		goto out;
	}
	if (r->nvars >= IPS_RULE_MAX_VARS) {
		e = ips_fail(ctx, BW_ERR_LIMIT, "byte_extract: too many variables");
		goto out;
	}
	if (!(r->vars[r->nvars] = strdup(name))) {
		e = BW_ERR_NOMEM;
		goto out;
	}
	x->var = (int)r->nvars++;
	x->relative = o.relative;
	x->multiplier = o.multiplier;
	x->endian = o.endian;
	x->base = o.string ? o.base : IPS_BASE_BINARY;
	x->align = o.align_n;
	x->bitmask = o.bitmask;
out:
	free(buf);
	if (e)
		free(x);
	else
		*data = x;
	return e;
}

static const char *const endians[] = {"big", "little", "dce"};

static void base_dump(enum ips_byte_base b, FILE *f)
{
	if (b != IPS_BASE_BINARY)
		fprintf(f, " string %s",
		        b == IPS_BASE_HEX   ? "hex"
		        : b == IPS_BASE_DEC ? "dec"
		                            : "oct");
}

static void test_dump(const void *p, FILE *f)
{
	const struct ips_byte_test *t = p;
	const char *op = t->op == 'l' ? "<=" : t->op == 'g' ? ">=" : NULL;
	fprintf(f, "%u bytes %s", t->nbytes, t->negated ? "!" : "");
	if (op)
		fputs(op, f);
	else
		fputc(t->op, f);
	if (t->value_var >= 0)
		fprintf(f, " $var%d", t->value_var);
	else
		fprintf(f, " %" PRIu64, t->value);
	if (t->offset_var >= 0)
		fprintf(f, " at $var%d", t->offset_var);
	else
		fprintf(f, " at %d", t->offset);
	fprintf(f, "%s %s", t->relative ? " relative" : "", endians[t->endian]);
	base_dump(t->base, f);
	if (t->bitmask)
		fprintf(f, " bitmask 0x%" PRIx64, t->bitmask);
}

static void jump_dump(const void *p, FILE *f)
{
	const struct ips_byte_jump *j = p;
	fprintf(f, "%u bytes", j->nbytes);
	if (j->offset_var >= 0)
		fprintf(f, " at $var%d", j->offset_var);
	else
		fprintf(f, " at %d", j->offset);
	fprintf(f, "%s %s x%u%s%s%s post_offset %d", j->relative ? " relative" : "",
	        endians[j->endian], j->multiplier, j->align ? " align" : "",
	        j->from_beginning ? " from_beginning" : "", j->from_end ? " from_end" : "",
	        j->post_offset);
	base_dump(j->base, f);
	if (j->bitmask)
		fprintf(f, " bitmask 0x%" PRIx64, j->bitmask);
}

static void extract_dump(const void *p, FILE *f)
{
	const struct ips_byte_extract *x = p;
	fprintf(f, "%u bytes at %d%s %s x%u -> $var%d", x->nbytes, x->offset,
	        x->relative ? " relative" : "", endians[x->endian], x->multiplier, x->var);
	base_dump(x->base, f);
	if (x->align)
		fprintf(f, " align %u", x->align);
}

#define V (IPS_KWF_VALUE | IPS_KWF_INBUF)
const struct ips_keyword ips_kw_byte_table[] = {
        {"byte_test", IPS_KW_BYTE_TEST, V, 0, kw_byte_test, free, test_dump},
        {"byte_jump", IPS_KW_BYTE_JUMP, V, 0, kw_byte_jump, free, jump_dump},
        {"byte_extract", IPS_KW_BYTE_EXTRACT, V, 0, kw_byte_extract, free, extract_dump},
};
const size_t ips_kw_byte_count = sizeof(ips_kw_byte_table) / sizeof(ips_kw_byte_table[0]);
