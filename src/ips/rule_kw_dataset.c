/* SPDX-License-Identifier: ISC */
/*
 * dataset (Suricata 7): "dataset:set|isset|isnotset,NAME[, type string|md5|
 * sha256][, load FILE][, state FILE][, save FILE][, memcap N][, hashsize
 * N]" on a sticky buffer. Files are resolved against the rules file's
 * directory; state loads like load (nothing is saved: save is accepted
 * and ignored, like state's saving half). The sets themselves live in the
 * detection engine (detect_dataset.c).
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ips/rule_int.h"
#include "lib/err.h"

static void dataset_free(void *p)
{
	struct ips_dataset *d = p;

	if (d == NULL)
		return;
	free(d->name);
	free(d->load);
	free(d);
}

static int opt(struct ips_parse_ctx *ctx, struct ips_dataset *d, const char *tok)
{
	const char *sp = tok;
	int64_t v;

	while (*sp && !isspace((unsigned char)*sp))
		sp++;
	size_t kl = (size_t)(sp - tok);
	while (isspace((unsigned char)*sp))
		sp++;
	if (*sp == 0)
		return ips_fail(ctx, BW_ERR_INVAL, "dataset: '%s' needs a value", tok);
	if (kl == 4 && !strncmp(tok, "type", 4)) {
		if (!strcmp(sp, "string"))
			d->type = IPS_DST_STRING;
		else if (!strcmp(sp, "md5"))
			d->type = IPS_DST_MD5;
		else if (!strcmp(sp, "sha256"))
			d->type = IPS_DST_SHA256;
		else
			return ips_fail(ctx, BW_ERR_UNSUPP, "dataset: type %s", sp);
		return 0;
	}
	if ((kl == 4 && !strncmp(tok, "load", 4)) || (kl == 5 && !strncmp(tok, "state", 5))) {
		free(d->load);
		d->load = NULL;
		if (*sp == '/' || ctx->dir == NULL)
			d->load = strdup(sp);
		else if (asprintf(&d->load, "%s/%s", ctx->dir, sp) < 0)
			d->load = NULL;
		return d->load ? 0 : BW_ERR_NOMEM;
	}
	if (kl == 4 && !strncmp(tok, "save", 4))
		return 0;
	if (kl == 6 && !strncmp(tok, "memcap", 6)) {
		char *end;
		unsigned long long n = strtoull(sp, &end, 10);
		uint64_t mul = 1;

		if (end == sp)
			return ips_fail(ctx, BW_ERR_INVAL, "dataset: bad memcap '%s'", sp);
		if (*end == 'k' || *end == 'K')
			mul = 1024;
		else if (*end == 'm' || *end == 'M')
			mul = 1024 * 1024;
		else if (*end == 'g' || *end == 'G')
			mul = 1024ull * 1024 * 1024;
		d->memcap = (uint64_t)n * mul;
		return 0;
	}
	if (kl == 8 && !strncmp(tok, "hashsize", 8))
		return ips_parse_i64(sp, 1, INT32_MAX, &v) == 0
		               ? 0
		               : ips_fail(ctx, BW_ERR_INVAL, "dataset: bad hashsize '%s'", sp);
	return ips_fail(ctx, BW_ERR_INVAL, "dataset: unexpected '%s'", tok);
}

static int kw_dataset(struct ips_parse_ctx *ctx, const char *val, void **data)
{
	char *buf = NULL, *tok[10];
	struct ips_dataset *d;
	size_t n;
	int e = 0;

	if (!ctx->sticky)
		return ips_fail(ctx, BW_ERR_INVAL, "dataset: needs a sticky buffer");
	if ((d = calloc(1, sizeof(*d))) == NULL)
		return BW_ERR_NOMEM;
	n = ips_split(val, ',', tok, 9, &buf);
	if (buf == NULL) {
		free(d);
		return BW_ERR_NOMEM;
	}
	if (n < 2 || n > 8) {
		e = ips_fail(ctx, BW_ERR_INVAL, "dataset: expected CMD,NAME[,options]");
	} else if (!strcmp(tok[0], "set")) {
		d->cmd = IPS_DS_SET;
	} else if (!strcmp(tok[0], "isset")) {
		d->cmd = IPS_DS_ISSET;
	} else if (!strcmp(tok[0], "isnotset")) {
		d->cmd = IPS_DS_ISNOTSET;
	} else {
		e = ips_fail(ctx, BW_ERR_UNSUPP, "dataset: command %s", tok[0]);
	}
	if (!e && (tok[1][0] == 0 || strlen(tok[1]) > 63))
		e = ips_fail(ctx, BW_ERR_INVAL, "dataset: bad name");
	if (!e && (d->name = strdup(tok[1])) == NULL)
		e = BW_ERR_NOMEM;
	for (size_t i = 2; i < n && !e; i++)
		e = opt(ctx, d, tok[i]);
	free(buf);
	if (e) {
		dataset_free(d);
		return e;
	}
	*data = d;
	return 0;
}

static void dataset_dump(const void *p, FILE *f)
{
	static const char *const cmds[] = {"set", "isset", "isnotset"};
	static const char *const types[] = {"string", "md5", "sha256"};
	const struct ips_dataset *d = p;

	fprintf(f, "%s %s type %s%s%s", cmds[d->cmd], d->name, types[d->type],
	        d->load ? " load " : "", d->load ? d->load : "");
}

const struct ips_keyword ips_kw_dataset_table[] = {
        {"dataset", IPS_KW_DATASET, IPS_KWF_VALUE | IPS_KWF_INBUF, 0, kw_dataset, dataset_free,
         dataset_dump},
};
const size_t ips_kw_dataset_count = sizeof(ips_kw_dataset_table) / sizeof(ips_kw_dataset_table[0]);
