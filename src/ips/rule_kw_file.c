/* SPDX-License-Identifier: ISC */
/*
 * File keywords, as Suricata 7 defines them: filename, fileext and
 * filemagic are caseless contents in the file.name / file.magic buffers
 * (fileext:"pdf" is content:".pdf"; endswith; nocase); filemd5, filesha1
 * and filesha256 name a list of digests, one hex digest per line (what
 * follows the hex digits is ignored), resolved against the rules file's
 * directory, matched when a complete file's digest is (or with '!', is
 * not) in it; filesize compares the file's size; filestore is accepted and
 * records nothing (files are not written out).
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ips/rule_int.h"
#include "lib/err.h"
#include "lib/hex.h"

enum { HASH_LIST_MAX = 1u << 20 }; /* digests per list */

/*
 * Runs content's parser on val (quotes optional, as Suricata's) with pre
 * put in front of the pattern, into buffer b, caseless.
 */
static int as_content(struct ips_parse_ctx *ctx, const char *val, const char *pre, enum ips_buf b,
                      bool endswith, void **data)
{
	bool neg = *val == '!';
	const char *v = neg ? val + 1 : val;
	size_t n;
	char *txt;
	int e;

	while (isspace((unsigned char)*v))
		v++;
	n = strlen(v);
	if (n >= 2 && v[0] == '"' && v[n - 1] == '"') {
		v++;
		n -= 2;
	}
	if ((txt = malloc(n + strlen(pre) + 4)) == NULL)
		return BW_ERR_NOMEM;
	snprintf(txt, n + strlen(pre) + 4, "%s\"%s%.*s\"", neg ? "!" : "", pre, (int)n, v);
	e = ips_kw_content_parse(ctx, txt, data);
	free(txt);
	if (e)
		return e;
	struct ips_content *c = *data;
	c->flags |= IPS_CF_NOCASE | (endswith ? IPS_CF_ENDSWITH : 0);
	ctx->next_buf = (int)b;
	return 0;
}

static int kw_filename(struct ips_parse_ctx *ctx, const char *val, void **data)
{
	return as_content(ctx, val, "", IPS_BUF_FILE_NAME, false, data);
}

static int kw_fileext(struct ips_parse_ctx *ctx, const char *val, void **data)
{
	return as_content(ctx, val, ".", IPS_BUF_FILE_NAME, true, data);
}

static int kw_filemagic(struct ips_parse_ctx *ctx, const char *val, void **data)
{
	return as_content(ctx, val, "", IPS_BUF_FILE_MAGIC, false, data);
}

static void filehash_free(void *p)
{
	struct ips_filehash *h = p;

	if (h == NULL)
		return;
	free(h->v);
	free(h);
}

static int cmp_digest(const void *a, const void *b, void *len)
{
	return memcmp(a, b, *(const size_t *)len);
}

/* Reads the digests of FILE (len bytes each) into h, sorted and unique. */
static int load_list(struct ips_parse_ctx *ctx, const char *path, struct ips_filehash *h)
{
	FILE *fp = fopen(path, "r");
	char line[512];
	size_t cap = 0;
	unsigned lineno = 0;
	int e = 0;

	if (fp == NULL)
		return ips_fail(ctx, BW_ERR_INVAL, "%s: cannot open %s", ctx->kwname, path);
	while (!e && fgets(line, sizeof(line), fp) != NULL) {
		size_t n = 0;

		lineno++;
		while (bw_hex_digit(line[n]) >= 0)
			n++;
		if (n == 0)
			continue; /* blank or comment */
		if (n != 2 * h->len) {
			e = ips_fail(ctx, BW_ERR_INVAL, "%s: %s:%u: not a %zu-byte digest",
			             ctx->kwname, path, lineno, h->len);
			break;
		}
		if (h->n == cap) {
			size_t nc = cap ? cap * 2 : 64;
			uint8_t *nv;

			if (nc > HASH_LIST_MAX) {
				e = ips_fail(ctx, BW_ERR_LIMIT, "%s: %s: over %u digests",
				             ctx->kwname, path, HASH_LIST_MAX);
				break;
			}
			if ((nv = realloc(h->v, nc * h->len)) == NULL) {
				e = BW_ERR_NOMEM;
				break;
			}
			h->v = nv;
			cap = nc;
		}
		for (size_t i = 0; i < h->len; i++)
			h->v[h->n * h->len + i] = (uint8_t)(bw_hex_digit(line[2 * i]) << 4 |
			                                    bw_hex_digit(line[2 * i + 1]));
		h->n++;
	}
	fclose(fp);
	if (e)
		return e;
	if (h->n == 0)
		return ips_fail(ctx, BW_ERR_INVAL, "%s: %s holds no digest", ctx->kwname, path);
	qsort_r(h->v, h->n, h->len, cmp_digest, &h->len);
	size_t u = 1;
	for (size_t i = 1; i < h->n; i++)
		if (memcmp(h->v + i * h->len, h->v + (u - 1) * h->len, h->len) != 0)
			memmove(h->v + u++ * h->len, h->v + i * h->len, h->len);
	h->n = u;
	return 0;
}

static int kw_filehash(struct ips_parse_ctx *ctx, const char *val, void **data)
{
	struct ips_filehash *h = calloc(1, sizeof(*h));
	const char *name = val;
	enum ips_buf b;
	char *path = NULL;
	int e;

	if (h == NULL)
		return BW_ERR_NOMEM;
	if (strcmp(ctx->kwname, "filemd5") == 0) {
		h->len = 16;
		b = IPS_BUF_FILE_MD5;
	} else if (strcmp(ctx->kwname, "filesha1") == 0) {
		h->len = 20;
		b = IPS_BUF_FILE_SHA1;
	} else {
		h->len = 32;
		b = IPS_BUF_FILE_SHA256;
	}
	if (*name == '!') {
		h->negated = true;
		name++;
	}
	while (isspace((unsigned char)*name))
		name++;
	if (*name == 0) {
		free(h);
		return ips_fail(ctx, BW_ERR_INVAL, "%s: needs a file name", ctx->kwname);
	}
	if (*name == '/' || ctx->dir == NULL)
		path = strdup(name);
	else if (asprintf(&path, "%s/%s", ctx->dir, name) < 0)
		path = NULL;
	if (path == NULL) {
		free(h);
		return BW_ERR_NOMEM;
	}
	e = load_list(ctx, path, h);
	free(path);
	if (e) {
		filehash_free(h);
		return e;
	}
	ctx->next_buf = (int)b;
	*data = h;
	return 0;
}

static void filehash_dump(const void *p, FILE *f)
{
	const struct ips_filehash *h = p;

	fprintf(f, "%s%zu digests of %zu bytes", h->negated ? "not in " : "", h->n, h->len);
}

static int kw_filesize(struct ips_parse_ctx *ctx, const char *val, void **data)
{
	struct ips_num *n = calloc(1, sizeof(*n));

	if (n == NULL)
		return BW_ERR_NOMEM;
	if (ips_parse_num(val, INT64_MAX, n) != 0) {
		free(n);
		return ips_fail(ctx, BW_ERR_INVAL, "filesize: bad value '%s'", val);
	}
	*data = n;
	return 0;
}

static int kw_filestore(struct ips_parse_ctx *ctx, const char *val, void **data)
{
	(void)ctx;
	(void)val;
	(void)data;
	return 0;
}

const struct ips_keyword ips_kw_file_table[] = {
        {"filename", IPS_KW_CONTENT, IPS_KWF_VALUE, 0, kw_filename, NULL, NULL},
        {"fileext", IPS_KW_CONTENT, IPS_KWF_VALUE, 0, kw_fileext, NULL, NULL},
        {"filemagic", IPS_KW_CONTENT, IPS_KWF_VALUE, 0, kw_filemagic, NULL, NULL},
        {"filemd5", IPS_KW_FILEHASH, IPS_KWF_VALUE, 0, kw_filehash, filehash_free, filehash_dump},
        {"filesha1", IPS_KW_FILEHASH, IPS_KWF_VALUE, 0, kw_filehash, filehash_free, filehash_dump},
        {"filesha256", IPS_KW_FILEHASH, IPS_KWF_VALUE, 0, kw_filehash, filehash_free,
         filehash_dump},
        {"filesize", IPS_KW_FILESIZE, IPS_KWF_VALUE, 0, kw_filesize, free, NULL},
        {"filestore", IPS_KW_FILESTORE, IPS_KWF_OPTVALUE, 0, kw_filestore, NULL, NULL},
};
const size_t ips_kw_file_count = sizeof(ips_kw_file_table) / sizeof(ips_kw_file_table[0]);
