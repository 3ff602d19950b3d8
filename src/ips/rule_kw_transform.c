/* SPDX-License-Identifier: ISC */
/*
 * Transforms of a sticky buffer (Suricata's dotprefix, strip_whitespace,
 * compress_whitespace, to_lowercase, to_uppercase, to_md5, to_sha1,
 * to_sha256, header_lowercase, strip_pseudo_headers, url_decode,
 * xor:"hexkey", pcrexform:"re") and base64_decode / base64_data.
 *
 * A transform must directly follow its sticky buffer or another transform
 * (rule_parse.c checks it, as Suricata does); the options that follow see
 * the buffer through the chain (ips_opt.tf_first/tf_n). xor's key is an
 * even number of hex digits, at most 255 bytes; pcrexform's expression
 * must have exactly one capture group. base64_decode goes to the sticky
 * buffer in force, else to the buffer of the last content, pcre, byte_* or
 * isdataat option (the payload when there is none); base64_data makes the
 * options after it inspect the decoded bytes.
 */
#define _GNU_SOURCE
#define PCRE2_CODE_UNIT_WIDTH 8
#include <ctype.h>
#include <pcre2.h>
#include <stdlib.h>
#include <string.h>

#include "ips/rule_int.h"
#include "lib/err.h"
#include "lib/hex.h"

static const char *const tf_names[] = {
        [IPS_TF_DOTPREFIX] = "dotprefix",
        [IPS_TF_STRIP_WS] = "strip_whitespace",
        [IPS_TF_COMPRESS_WS] = "compress_whitespace",
        [IPS_TF_TO_LOWER] = "to_lowercase",
        [IPS_TF_TO_UPPER] = "to_uppercase",
        [IPS_TF_MD5] = "to_md5",
        [IPS_TF_SHA1] = "to_sha1",
        [IPS_TF_SHA256] = "to_sha256",
        [IPS_TF_HEADER_LOWER] = "header_lowercase",
        [IPS_TF_STRIP_PSEUDO] = "strip_pseudo_headers",
        [IPS_TF_URL_DECODE] = "url_decode",
        [IPS_TF_XOR] = "xor",
        [IPS_TF_PCREXFORM] = "pcrexform",
};

static void tf_free(void *p)
{
	struct ips_transform *t = p;

	if (t == NULL)
		return;
	free(t->key);
	free(t->re);
	pcre2_code_free(t->code);
	free(t);
}

static void tf_dump(const void *p, FILE *f)
{
	const struct ips_transform *t = p;

	fputs(tf_names[t->type], f);
	if (t->type == IPS_TF_XOR) {
		fputs(" key=", f);
		for (size_t i = 0; i < t->keylen; i++)
			fprintf(f, "%02x", t->key[i]);
	} else if (t->type == IPS_TF_PCREXFORM) {
		fprintf(f, " /%s/", t->re);
	}
}

/* The transform type of the keyword being parsed, from its name. */
static int tf_new(struct ips_parse_ctx *ctx, struct ips_transform **out)
{
	*out = NULL;
	for (size_t i = 0; i < sizeof(tf_names) / sizeof(tf_names[0]); i++) {
		if (strcmp(ctx->kwname, tf_names[i]) == 0) {
			if ((*out = calloc(1, sizeof(**out))) == NULL)
				return BW_ERR_NOMEM;
			(*out)->type = (enum ips_tf_type)i;
			return 0;
		}
	}
	return ips_fail(ctx, BW_ERR_INVAL, "%s: unknown transform", ctx->kwname);
}

/*
 * The text between the mandatory double quotes, backslashes kept: like
 * Suricata, the value goes to PCRE2 (or the hex parser) as written.
 */
static int quoted(struct ips_parse_ctx *ctx, const char *val, uint8_t **out, size_t *len)
{
	size_t n = strlen(val);

	*out = NULL;
	if (n < 2 || val[0] != '"' || val[n - 1] != '"')
		return ips_fail(ctx, BW_ERR_INVAL, "%s: value must be in double quotes",
		                ctx->kwname);
	if ((*out = (uint8_t *)strndup(val + 1, n - 2)) == NULL)
		return BW_ERR_NOMEM;
	*len = n - 2;
	return 0;
}

static int kw_simple(struct ips_parse_ctx *ctx, const char *val, void **data)
{
	struct ips_transform *t;
	int e;

	(void)val;
	if ((e = tf_new(ctx, &t)) != 0)
		return e;
	*data = t;
	return 0;
}

static int kw_xor(struct ips_parse_ctx *ctx, const char *val, void **data)
{
	struct ips_transform *t;
	uint8_t *s = NULL;
	size_t n = 0;
	int e;

	if ((e = quoted(ctx, val, &s, &n)) != 0)
		return e;
	if (n == 0 || n % 2 || n / 2 > 255) {
		free(s);
		return ips_fail(ctx, BW_ERR_INVAL, "xor: key must be 2 to 510 hex digits, even");
	}
	if ((e = tf_new(ctx, &t)) != 0) {
		free(s);
		return e;
	}
	t->keylen = n / 2;
	if ((t->key = malloc(t->keylen)) == NULL) {
		free(s);
		tf_free(t);
		return BW_ERR_NOMEM;
	}
	for (size_t i = 0; i < t->keylen; i++) {
		int hi = bw_hex_digit(s[2 * i]), lo = bw_hex_digit(s[2 * i + 1]);

		if (hi < 0 || lo < 0) {
			free(s);
			tf_free(t);
			return ips_fail(ctx, BW_ERR_INVAL, "xor: key must be hex digits");
		}
		t->key[i] = (uint8_t)(hi << 4 | lo);
	}
	free(s);
	*data = t;
	return 0;
}

static int kw_pcrexform(struct ips_parse_ctx *ctx, const char *val, void **data)
{
	struct ips_transform *t;
	uint8_t *s;
	size_t n;
	uint32_t caps = 0;
	int e, err;
	PCRE2_SIZE eoff;

	if ((e = quoted(ctx, val, &s, &n)) != 0)
		return e;
	if ((e = tf_new(ctx, &t)) != 0) {
		free(s);
		return e;
	}
	t->re = (char *)s;
	t->code = pcre2_compile((PCRE2_SPTR)s, n, 0, &err, &eoff, NULL);
	if (t->code == NULL) {
		PCRE2_UCHAR msg[128];

		pcre2_get_error_message(err, msg, sizeof(msg));
		tf_free(t);
		return ips_fail(ctx, BW_ERR_INVAL, "pcrexform: compile error at %zu: %s",
		                (size_t)eoff, (char *)msg);
	}
	if (pcre2_pattern_info(t->code, PCRE2_INFO_CAPTURECOUNT, &caps) != 0 || caps != 1) {
		tf_free(t);
		return ips_fail(ctx, BW_ERR_INVAL, "pcrexform: needs exactly one capture group");
	}
	*data = t;
	return 0;
}

/* ---- base64 ---- */

enum { B64_DEFAULT_BYTES = 65535 };

static int kw_base64_decode(struct ips_parse_ctx *ctx, const char *val, void **data)
{
	struct ips_base64_decode *d = calloc(1, sizeof(*d));
	const struct ips_rule *r = ctx->r;
	char *buf = NULL, *tok[4];
	int e = 0;

	if (d == NULL)
		return BW_ERR_NOMEM;
	d->bytes = B64_DEFAULT_BYTES;
	if (val != NULL && *val) {
		size_t n = ips_split(val, ',', tok, 3, &buf);

		if (buf == NULL) {
			free(d);
			return BW_ERR_NOMEM;
		}
		for (size_t i = 0; i < n && !e; i++) {
			int64_t v;

			if (strncmp(tok[i], "bytes", 5) == 0 && isspace((unsigned char)tok[i][5]) &&
			    ips_parse_i64(tok[i] + 6, 1, B64_DEFAULT_BYTES, &v) == 0)
				d->bytes = (uint32_t)v;
			else if (strncmp(tok[i], "offset", 6) == 0 &&
			         isspace((unsigned char)tok[i][6]) &&
			         ips_parse_i64(tok[i] + 7, 0, 65535, &v) == 0)
				d->offset = (uint32_t)v;
			else if (strcmp(tok[i], "relative") == 0)
				d->relative = true;
			else
				e = ips_fail(ctx, BW_ERR_INVAL, "base64_decode: unexpected '%s'",
				             tok[i]);
		}
		free(buf);
	}
	if (!e && ctx->buf == IPS_BUF_BASE64_DATA)
		e = ips_fail(ctx, BW_ERR_INVAL, "base64_decode: inside base64_data");
	if (e) {
		free(d);
		return e;
	}
	if (!ctx->sticky) {
		/* The buffer (and view) of the last inspecting option. */
		for (size_t i = r->nopts; i-- > 0;) {
			const struct ips_opt *o = &r->opts[i];

			if (o->kw == IPS_KW_CONTENT || o->kw == IPS_KW_PCRE ||
			    o->kw == IPS_KW_BYTE_TEST || o->kw == IPS_KW_BYTE_JUMP ||
			    o->kw == IPS_KW_BYTE_EXTRACT || o->kw == IPS_KW_ISDATAAT) {
				ctx->next_buf = (int)o->buf;
				ctx->next_tf_first = o->tf_first;
				ctx->next_tf_n = o->tf_n;
				break;
			}
		}
	}
	*data = d;
	return 0;
}

static void base64_dump(const void *p, FILE *f)
{
	const struct ips_base64_decode *d = p;

	fprintf(f, "bytes=%u offset=%u%s", d->bytes, d->offset, d->relative ? " relative" : "");
}

#define TF(name)                                                                                   \
	{                                                                                          \
		name, IPS_KW_TRANSFORM, IPS_KWF_NOVALUE | IPS_KWF_TRANSFORM | IPS_KWF_INBUF, 0,    \
		        kw_simple, tf_free, tf_dump                                                \
	}
const struct ips_keyword ips_kw_transform_table[] = {
        TF("dotprefix"),
        TF("strip_whitespace"),
        TF("compress_whitespace"),
        TF("to_lowercase"),
        TF("to_uppercase"),
        TF("to_md5"),
        TF("to_sha1"),
        TF("to_sha256"),
        TF("header_lowercase"),
        TF("strip_pseudo_headers"),
        TF("url_decode"),
        {"xor", IPS_KW_TRANSFORM, IPS_KWF_VALUE | IPS_KWF_TRANSFORM | IPS_KWF_INBUF, 0, kw_xor,
         tf_free, tf_dump},
        {"pcrexform", IPS_KW_TRANSFORM, IPS_KWF_VALUE | IPS_KWF_TRANSFORM | IPS_KWF_INBUF, 0,
         kw_pcrexform, tf_free, tf_dump},
        {"base64_decode", IPS_KW_BASE64_DECODE, IPS_KWF_OPTVALUE | IPS_KWF_INBUF, 0,
         kw_base64_decode, free, base64_dump},
        {"base64_data", IPS_KW_STICKY, IPS_KWF_NOVALUE | IPS_KWF_STICKY, IPS_BUF_BASE64_DATA, NULL,
         NULL, NULL},
};
const size_t ips_kw_transform_count =
        sizeof(ips_kw_transform_table) / sizeof(ips_kw_transform_table[0]);
