/* SPDX-License-Identifier: ISC */
/*
 * Packet and flow keywords: flow, flags (RFC 9293 section 3.1 control bits,
 * plus CWR/ECE of RFC 3168), ttl, ip_proto, sameip, itype, icode, icmp_id,
 * icmp_seq (RFC 792) and stream_size. They inspect headers or flow state,
 * never a buffer, so their options always carry IPS_BUF_PAYLOAD.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "ips/rule_int.h"
#include "lib/err.h"

static int kw_flow(struct ips_parse_ctx *ctx, const char *val, void **data)
{
	static const struct {
		const char *name;
		uint32_t flag;
	} words[] = {
	        {"established", IPS_FLOW_ESTABLISHED},
	        {"not_established", IPS_FLOW_NOT_ESTABLISHED},
	        {"stateless", IPS_FLOW_STATELESS},
	        {"to_server", IPS_FLOW_TO_SERVER},
	        {"from_client", IPS_FLOW_TO_SERVER},
	        {"to_client", IPS_FLOW_TO_CLIENT},
	        {"from_server", IPS_FLOW_TO_CLIENT},
	        {"only_stream", IPS_FLOW_ONLY_STREAM},
	        {"no_stream", IPS_FLOW_NO_STREAM},
	        {"only_frag", IPS_FLOW_ONLY_FRAG},
	        {"no_frag", IPS_FLOW_NO_FRAG},
	};
	static const uint32_t conflicts[] = {
	        IPS_FLOW_ESTABLISHED | IPS_FLOW_NOT_ESTABLISHED,
	        IPS_FLOW_ESTABLISHED | IPS_FLOW_STATELESS,
	        IPS_FLOW_NOT_ESTABLISHED | IPS_FLOW_STATELESS,
	        IPS_FLOW_TO_SERVER | IPS_FLOW_TO_CLIENT,
	        IPS_FLOW_ONLY_STREAM | IPS_FLOW_NO_STREAM,
	        IPS_FLOW_ONLY_FRAG | IPS_FLOW_NO_FRAG,
	};
	char *buf, *tok[8];
	size_t n = ips_split(val, ',', tok, 7, &buf);
	int e = 0;
	uint32_t fl = 0;
	if (!buf)
		return BW_ERR_NOMEM;
	if (ctx->r->flow || n > 7)
		e = ips_fail(ctx, BW_ERR_INVAL, "flow: %s",
		             n > 7 ? "too many options" : "given twice");
	for (size_t i = 0; i < n && !e; i++) {
		size_t w;
		for (w = 0; w < sizeof(words) / sizeof(words[0]); w++)
			if (strcmp(tok[i], words[w].name) == 0)
				break;
		if (w == sizeof(words) / sizeof(words[0]))
			e = ips_fail(ctx, BW_ERR_INVAL, "flow: unknown option '%s'", tok[i]);
		else if (fl & words[w].flag)
			e = ips_fail(ctx, BW_ERR_INVAL, "flow: '%s' repeats a direction or state",
			             tok[i]);
		else
			fl |= words[w].flag;
	}
	for (size_t i = 0; i < sizeof(conflicts) / sizeof(conflicts[0]) && !e; i++)
		if ((fl & conflicts[i]) == conflicts[i])
			e = ips_fail(ctx, BW_ERR_INVAL, "flow: conflicting options in '%s'", val);
	free(buf);
	if (e)
		return e;
	struct ips_flow *f = calloc(1, sizeof(*f));
	if (!f)
		return BW_ERR_NOMEM;
	f->flags = fl;
	ctx->r->flow = f; /* marks "seen" until the rule is finished */
	*data = f;
	return 0;
}

static void flow_dump(const void *p, FILE *f)
{
	static const char *const names[] = {"established", "not_established", "stateless",
	                                    "to_server",   "to_client",       "only_stream",
	                                    "no_stream",   "only_frag",       "no_frag"};
	const struct ips_flow *fl = p;
	for (size_t i = 0, k = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (fl->flags & (1u << i))
			fprintf(f, "%s%s", k++ ? "," : "", names[i]);
}

static int flag_bit(char c, uint8_t *bit)
{
	switch (toupper((unsigned char)c)) {
	case 'F':
		*bit = 0x01;
		return 0;
	case 'S':
		*bit = 0x02;
		return 0;
	case 'R':
		*bit = 0x04;
		return 0;
	case 'P':
		*bit = 0x08;
		return 0;
	case 'A':
		*bit = 0x10;
		return 0;
	case 'U':
		*bit = 0x20;
		return 0;
	case 'E':
	case '2':
		*bit = 0x40;
		return 0; /* ECE; '2' is Snort's old name */
	case 'C':
	case '1':
		*bit = 0x80;
		return 0; /* CWR; '1' likewise */
	default:
		return BW_ERR_INVAL;
	}
}

static int kw_flags(struct ips_parse_ctx *ctx, const char *val, void **data)
{
	struct ips_tcp_flags t = {0, 0, IPS_FLAGS_EXACT};
	const char *c = strchr(val, ',');
	size_t n = c ? (size_t)(c - val) : strlen(val);
	bool zero = false, mod = false;
	uint8_t bit;
	for (size_t i = 0; i < n; i++) {
		char ch = val[i];
		if (isspace((unsigned char)ch))
			continue;
		if (ch == '+' || ch == '*' || ch == '!') {
			if (mod)
				return ips_fail(ctx, BW_ERR_INVAL, "flags: two modifiers");
			mod = true;
			t.mod = ch == '+'   ? IPS_FLAGS_PLUS
			        : ch == '*' ? IPS_FLAGS_ANY
			                    : IPS_FLAGS_NOT;
		} else if (ch == '0') {
			zero = true;
		} else if (flag_bit(ch, &bit) == 0) {
			t.flags |= bit;
		} else {
			return ips_fail(ctx, BW_ERR_INVAL, "flags: unknown flag '%c'", ch);
		}
	}
	if (zero && (t.flags || mod))
		return ips_fail(ctx, BW_ERR_INVAL, "flags: 0 combined with other flags");
	if (!zero && !t.flags)
		return ips_fail(ctx, BW_ERR_INVAL, "flags: no flags given");
	for (const char *p = c ? c + 1 : ""; *p; p++) {
		if (isspace((unsigned char)*p))
			continue;
		if (flag_bit(*p, &bit))
			return ips_fail(ctx, BW_ERR_INVAL, "flags: bad ignore mask");
		t.ignore |= bit;
	}
	struct ips_tcp_flags *d = malloc(sizeof(*d));
	if (!d)
		return BW_ERR_NOMEM;
	*d = t;
	*data = d;
	return 0;
}

static void flags_dump(const void *p, FILE *f)
{
	static const char mods[] = {' ', '+', '*', '!'};
	const struct ips_tcp_flags *t = p;
	fprintf(f, "0x%02x mask-ignore 0x%02x mod %c", t->flags, t->ignore, mods[t->mod]);
}

static int kw_u8(struct ips_parse_ctx *ctx, const char *val, void **data)
{
	return ips_kw_num(ctx, val, 255, false, data);
}

static int kw_icmp_u16(struct ips_parse_ctx *ctx, const char *val, void **data)
{
	return ips_kw_num(ctx, val, 65535, true, data);
}

static int kw_ip_proto(struct ips_parse_ctx *ctx, const char *val, void **data)
{
	/* IANA protocol numbers of the names rules use. */
	static const struct {
		const char *name;
		unsigned num;
	} names[] = {
	        {"hopopt", 0}, {"icmp", 1},   {"igmp", 2},       {"ipip", 4},
	        {"tcp", 6},    {"udp", 17},   {"ipv6", 41},      {"gre", 47},
	        {"esp", 50},   {"ah", 51},    {"ipv6-icmp", 58}, {"icmpv6", 58},
	        {"pim", 103},  {"vrrp", 112}, {"l2tp", 115},     {"sctp", 132},
	};
	char tmp[32];
	const char *v = val, *pre = "";
	if (*v == '<' || *v == '>' || *v == '!') {
		pre = *v == '<' ? "<" : *v == '>' ? ">" : "!";
		v++;
	}
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcasecmp(v, names[i].name) == 0) {
			snprintf(tmp, sizeof(tmp), "%s%u", pre, names[i].num);
			return ips_kw_num(ctx, tmp, 255, false, data);
		}
	}
	return ips_kw_num(ctx, val, 255, false, data);
}

static int kw_stream_size(struct ips_parse_ctx *ctx, const char *val, void **data)
{
	static const char *const sides[] = {"server", "client", "both", "either"};
	char *buf, *tok[4];
	size_t n = ips_split(val, ',', tok, 3, &buf);
	int e = 0;
	if (!buf)
		return BW_ERR_NOMEM;
	struct ips_stream_size *s = calloc(1, sizeof(*s));
	if (!s) {
		free(buf);
		return BW_ERR_NOMEM;
	}
	size_t i = 0;
	char expr[64];
	if (n != 3) {
		e = ips_fail(ctx, BW_ERR_INVAL, "stream_size: expected side, op, value");
		goto out;
	}
	for (i = 0; i < 4; i++)
		if (strcmp(tok[0], sides[i]) == 0)
			break;
	if (i == 4) {
		e = ips_fail(ctx, BW_ERR_INVAL, "stream_size: bad side '%s'", tok[0]);
		goto out;
	}
	s->side = (enum ips_stream_side)i;
	if (strcmp(tok[1], "<") && strcmp(tok[1], ">") && strcmp(tok[1], "=") &&
	    strcmp(tok[1], "!=") && strcmp(tok[1], "<=") && strcmp(tok[1], ">=")) {
		e = ips_fail(ctx, BW_ERR_INVAL, "stream_size: bad operator '%s'", tok[1]);
		goto out;
	}
	snprintf(expr, sizeof(expr), "%s%s", strcmp(tok[1], "!=") ? tok[1] : "!", tok[2]);
	if (strlen(tok[2]) > 20 || ips_parse_num(expr, UINT32_MAX, &s->cmp) ||
	    s->cmp.op == IPS_CMP_RANGE)
		e = ips_fail(ctx, BW_ERR_INVAL, "stream_size: bad value '%s'", tok[2]);
out:
	free(buf);
	if (e)
		free(s);
	else
		*data = s;
	return e;
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

static void ss_dump(const void *p, FILE *f)
{
	static const char *const sides[] = {"server", "client", "both", "either"};
	const struct ips_stream_size *s = p;
	fprintf(f, "%s ", sides[s->side]);
	num_dump(&s->cmp, f);
}

#define V IPS_KWF_VALUE
const struct ips_keyword ips_kw_proto_table[] = {
        {"flow", IPS_KW_FLOW, V, 0, kw_flow, free, flow_dump},
        {"flags", IPS_KW_FLAGS, V, 0, kw_flags, free, flags_dump},
        {"ttl", IPS_KW_TTL, V, 0, kw_u8, free, num_dump},
        {"ip_proto", IPS_KW_IP_PROTO, V, 0, kw_ip_proto, free, num_dump},
        {"sameip", IPS_KW_SAMEIP, IPS_KWF_NOVALUE, 0, NULL, NULL, NULL},
        {"itype", IPS_KW_ITYPE, V, 0, kw_u8, free, num_dump},
        {"icode", IPS_KW_ICODE, V, 0, kw_u8, free, num_dump},
        {"icmp_id", IPS_KW_ICMP_ID, V, 0, kw_icmp_u16, free, num_dump},
        {"icmp_seq", IPS_KW_ICMP_SEQ, V, 0, kw_icmp_u16, free, num_dump},
        {"stream_size", IPS_KW_STREAM_SIZE, V, 0, kw_stream_size, free, ss_dump},
};
const size_t ips_kw_proto_count = sizeof(ips_kw_proto_table) / sizeof(ips_kw_proto_table[0]);
