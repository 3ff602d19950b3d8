/* SPDX-License-Identifier: ISC */
/*
 * DCE/RPC call keywords, as Suricata's rust/src/dcerpc/detect.rs:
 *   dcerpc.iface:<uuid>[,[<op>]<version>][,any_frag]   (alias dce_iface)
 *   dcerpc.opnum:<n>|<lo>-<hi>[,...]                    (alias dce_opnum)
 * The uuid is written as text (8-4-4-4-12 hex digits); the version compares
 * with the bound interface's major version using Suricata's unsigned
 * comparison syntax (=, !, <, >, <=, >=, ranges). Both need the DCE/RPC app
 * layer (over TCP or inside SMB); the buffer dcerpc.stub_data (dce_stub_data)
 * is a sticky buffer in rule_kw_buffer.c.
 */
#include <ctype.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "ips/rule_int.h"
#include "lib/err.h"
#include "lib/hex.h"

/* "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" into 16 bytes in text order. */
static int parse_uuid(const char *s, uint8_t out[16])
{
	static const size_t groups[] = {8, 4, 4, 4, 12};
	size_t k = 0;

	for (size_t g = 0; g < sizeof(groups) / sizeof(groups[0]); g++) {
		if (g > 0 && *s++ != '-')
			return BW_ERR_INVAL;
		for (size_t i = 0; i < groups[g]; i += 2) {
			int hi = bw_hex_digit(s[0]), lo = hi >= 0 ? bw_hex_digit(s[1]) : -1;

			if (lo < 0)
				return BW_ERR_INVAL;
			out[k++] = (uint8_t)(hi << 4 | lo);
			s += 2;
		}
	}
	return *s == '\0' ? 0 : BW_ERR_INVAL;
}

static int kw_dce_iface(struct ips_parse_ctx *ctx, const char *val, void **data)
{
	char *buf, *tok[4];
	size_t n = ips_split(val, ',', tok, 4, &buf);
	struct ips_dce_iface *d;
	int e = 0;

	if (!buf)
		return BW_ERR_NOMEM;
	if (!(d = calloc(1, sizeof(*d)))) {
		free(buf);
		return BW_ERR_NOMEM;
	}
	if (n < 1 || n > 3 || parse_uuid(tok[0], d->uuid) != 0) {
		e = ips_fail(ctx, BW_ERR_INVAL, "%s: expected uuid[,version][,any_frag]",
		             ctx->kwname);
		goto out;
	}
	for (size_t i = 1; i < n && e == 0; i++) {
		if (strcmp(tok[i], "any_frag") == 0 && i == n - 1)
			d->any_frag = true;
		else if (i == 1 && !d->has_version &&
		         ips_parse_num(tok[i], UINT16_MAX, &d->version) == 0)
			d->has_version = true;
		else
			e = ips_fail(ctx, BW_ERR_INVAL, "%s: bad option '%s'", ctx->kwname, tok[i]);
	}
out:
	free(buf);
	if (e)
		free(d);
	else
		*data = d;
	return e;
}

static void dce_iface_dump(const void *p, FILE *f)
{
	const struct ips_dce_iface *d = p;

	for (size_t i = 0; i < 16; i++)
		fprintf(f, "%s%02x", i == 4 || i == 6 || i == 8 || i == 10 ? "-" : "", d->uuid[i]);
	if (d->has_version)
		fprintf(f, ",version %d %" PRIu64, (int)d->version.op, d->version.lo);
	if (d->any_frag)
		fprintf(f, ",any_frag");
}

/* A decimal number within 0..65535 that fills the whole token. */
static int opnum_val(const char *s, uint16_t *out)
{
	int64_t v;

	if (!isdigit((unsigned char)s[0]) || ips_parse_i64(s, 0, UINT16_MAX, &v) != 0)
		return BW_ERR_INVAL;
	*out = (uint16_t)v;
	return 0;
}

static int kw_dce_opnum(struct ips_parse_ctx *ctx, const char *val, void **data)
{
	char *buf, *tok[IPS_DCE_OPNUM_MAX + 1];
	size_t n = ips_split(val, ',', tok, IPS_DCE_OPNUM_MAX + 1, &buf);
	struct ips_dce_opnum *d;
	int e = 0;

	if (!buf)
		return BW_ERR_NOMEM;
	if (!(d = calloc(1, sizeof(*d)))) {
		free(buf);
		return BW_ERR_NOMEM;
	}
	if (n == 0 || n > IPS_DCE_OPNUM_MAX)
		e = ips_fail(ctx, BW_ERR_INVAL, "%s: expected 1 to %d numbers or ranges",
		             ctx->kwname, IPS_DCE_OPNUM_MAX);
	for (size_t i = 0; i < n && e == 0; i++) {
		char *dash = strchr(tok[i], '-');
		uint16_t lo, hi;

		if (dash)
			*dash = '\0';
		if (opnum_val(tok[i], &lo) != 0 || (dash && opnum_val(dash + 1, &hi) != 0) ||
		    (dash && hi < lo)) {
			e = ips_fail(ctx, BW_ERR_INVAL, "%s: bad opnum '%s'", ctx->kwname, tok[i]);
			break;
		}
		d->r[d->n].lo = lo;
		d->r[d->n].hi = dash ? hi : lo;
		d->n++;
	}
	free(buf);
	if (e)
		free(d);
	else
		*data = d;
	return e;
}

static void dce_opnum_dump(const void *p, FILE *f)
{
	const struct ips_dce_opnum *d = p;

	for (size_t i = 0; i < d->n; i++)
		fprintf(f, "%s%u-%u", i ? "," : "", d->r[i].lo, d->r[i].hi);
}

#define V IPS_KWF_VALUE
const struct ips_keyword ips_kw_dce_table[] = {
        {"dcerpc.iface", IPS_KW_DCE_IFACE, V, 0, kw_dce_iface, free, dce_iface_dump},
        {"dce_iface", IPS_KW_DCE_IFACE, V, 0, kw_dce_iface, free, dce_iface_dump},
        {"dcerpc.opnum", IPS_KW_DCE_OPNUM, V, 0, kw_dce_opnum, free, dce_opnum_dump},
        {"dce_opnum", IPS_KW_DCE_OPNUM, V, 0, kw_dce_opnum, free, dce_opnum_dump},
};
const size_t ips_kw_dce_count = sizeof(ips_kw_dce_table) / sizeof(ips_kw_dce_table[0]);
