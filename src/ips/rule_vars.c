/* SPDX-License-Identifier: ISC */
/*
 * Rule variables and the address/port grammar of Snort 2.9 and Suricata
 * rule headers. Variables ($HOME_NET, $HTTP_PORTS, ...) default to the
 * address-groups and port-groups of Suricata's default suricata.yaml and can
 * be overridden from a YAML file. A list is resolved into sorted, disjoint
 * inclusive ranges: a group "[a,!b,...]" is the union of its positive items
 * minus the union of its negated ones, or the whole space minus the negated
 * ones when it has no positive item; "!x" at the top is the complement of x.
 * Nesting through groups and variables is capped (IPS_VAR_MAX_DEPTH), which
 * also stops self-referencing variables. Like Suricata, a set that comes out
 * empty ("!any", "[1.2.3.4,!1.2.3.4]") is an error.
 *
 * Keys are compared as 16 big-endian bytes: IPv4 addresses use the first
 * four, ports the first two, the rest stays zero, so one ordering serves
 * every kind and only increment, decrement and the maximum need the width.
 */
#define _DEFAULT_SOURCE
#include <arpa/inet.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "ips/rule.h"
#include "lib/conf.h"
#include "lib/err.h"
#include "lib/rd.h"

/* A growable range list, the working form of every set. */
struct rs {
	struct ips_ip_range *r;
	size_t n, cap;
};

struct ipval {
	struct rs v4, v6;
};

static void rs_free(struct rs *s)
{
	free(s->r);
	s->r = NULL;
	s->n = s->cap = 0;
}

static int rs_add(struct rs *s, const uint8_t *lo, const uint8_t *hi)
{
	if (s->n == s->cap) {
		size_t ncap = s->cap ? s->cap * 2 : 4;
		struct ips_ip_range *nr = realloc(s->r, ncap * sizeof(*nr));
		if (!nr)
			return BW_ERR_NOMEM;
		s->r = nr;
		s->cap = ncap;
	}
	memcpy(s->r[s->n].lo, lo, 16);
	memcpy(s->r[s->n].hi, hi, 16);
	s->n++;
	return 0;
}

static void key_max(uint8_t *k, size_t w)
{
	memset(k, 0, 16);
	memset(k, 0xff, w);
}

static bool key_is_max(const uint8_t *k, size_t w)
{
	for (size_t i = 0; i < w; i++)
		if (k[i] != 0xff)
			return false;
	return true;
}

static bool key_is_zero(const uint8_t *k)
{
	for (size_t i = 0; i < 16; i++)
		if (k[i])
			return false;
	return true;
}

/* k + 1 within width w; the caller checks k is not the maximum. */
static void key_inc(uint8_t *k, size_t w)
{
	for (size_t i = w; i-- > 0;)
		if (++k[i] != 0)
			break;
}

/* k - 1; the caller checks k is not zero. */
static void key_dec(uint8_t *k, size_t w)
{
	for (size_t i = w; i-- > 0;)
		if (k[i]-- != 0)
			break;
}

static int cmp_range(const void *a, const void *b)
{
	const struct ips_ip_range *x = a, *y = b;
	return memcmp(x->lo, y->lo, 16);
}

/* Sorts and merges overlapping and adjacent ranges. */
static void rs_norm(struct rs *s, size_t w)
{
	if (s->n < 2)
		return;
	qsort(s->r, s->n, sizeof(s->r[0]), cmp_range);
	size_t o = 0;
	for (size_t i = 1; i < s->n; i++) {
		struct ips_ip_range *cur = &s->r[o];
		uint8_t next[16];
		bool touch;
		if (key_is_max(cur->hi, w)) {
			touch = true;
		} else {
			memcpy(next, cur->hi, 16);
			key_inc(next, w);
			touch = memcmp(s->r[i].lo, next, 16) <= 0;
		}
		if (touch) {
			if (memcmp(s->r[i].hi, cur->hi, 16) > 0)
				memcpy(cur->hi, s->r[i].hi, 16);
		} else {
			s->r[++o] = s->r[i];
		}
	}
	s->n = o + 1;
}

/* out = a \ b; both normalised. */
static int rs_sub(struct rs *out, const struct rs *a, const struct rs *b, size_t w)
{
	int r;
	for (size_t i = 0; i < a->n; i++) {
		uint8_t lo[16], hi[16];
		memcpy(lo, a->r[i].lo, 16);
		memcpy(hi, a->r[i].hi, 16);
		bool alive = true;
		for (size_t j = 0; j < b->n && alive; j++) {
			const struct ips_ip_range *x = &b->r[j];
			if (memcmp(x->hi, lo, 16) < 0 || memcmp(x->lo, hi, 16) > 0)
				continue;
			if (memcmp(x->lo, lo, 16) > 0) {
				uint8_t end[16];
				memcpy(end, x->lo, 16);
				key_dec(end, w);
				if ((r = rs_add(out, lo, end)) != 0)
					return r;
			}
			if (memcmp(x->hi, hi, 16) >= 0) {
				alive = false;
			} else {
				memcpy(lo, x->hi, 16);
				key_inc(lo, w);
			}
		}
		if (alive && (r = rs_add(out, lo, hi)) != 0)
			return r;
	}
	return 0;
}

static int rs_full(struct rs *s, size_t w)
{
	uint8_t lo[16] = {0}, hi[16];
	key_max(hi, w);
	return rs_add(s, lo, hi);
}

static int rs_append(struct rs *dst, const struct rs *src)
{
	int r;
	for (size_t i = 0; i < src->n; i++)
		if ((r = rs_add(dst, src->r[i].lo, src->r[i].hi)) != 0)
			return r;
	return 0;
}

/* ---- variables ---- */

struct var {
	char *name;
	char *value;
};

struct ips_vars {
	struct var *addr;
	size_t naddr;
	struct var *port;
	size_t nport;
};

/* Suricata 7's default suricata.yaml, vars section. */
static const char *const default_addr[][2] = {
        {"HOME_NET", "[192.168.0.0/16,10.0.0.0/8,172.16.0.0/12]"},
        {"EXTERNAL_NET", "!$HOME_NET"},
        {"HTTP_SERVERS", "$HOME_NET"},
        {"SMTP_SERVERS", "$HOME_NET"},
        {"SQL_SERVERS", "$HOME_NET"},
        {"DNS_SERVERS", "$HOME_NET"},
        {"TELNET_SERVERS", "$HOME_NET"},
        {"AIM_SERVERS", "$EXTERNAL_NET"},
        {"DC_SERVERS", "$HOME_NET"},
        {"DNP3_SERVER", "$HOME_NET"},
        {"DNP3_CLIENT", "$HOME_NET"},
        {"MODBUS_CLIENT", "$HOME_NET"},
        {"MODBUS_SERVER", "$HOME_NET"},
        {"ENIP_CLIENT", "$HOME_NET"},
        {"ENIP_SERVER", "$HOME_NET"},
};

static const char *const default_port[][2] = {
        {"HTTP_PORTS", "80"},
        {"SHELLCODE_PORTS", "!80"},
        {"ORACLE_PORTS", "1521"},
        {"SSH_PORTS", "22"},
        {"DNP3_PORTS", "20000"},
        {"MODBUS_PORTS", "502"},
        {"FILE_DATA_PORTS", "[$HTTP_PORTS,110,143]"},
        {"FTP_PORTS", "21"},
        {"GENEVE_PORTS", "6081"},
        {"VXLAN_PORTS", "4789"},
        {"TEREDO_PORTS", "3544"},
};

static const char *var_get(const struct var *v, size_t n, const char *name, size_t len)
{
	for (size_t i = 0; i < n; i++)
		if (strlen(v[i].name) == len && memcmp(v[i].name, name, len) == 0)
			return v[i].value;
	return NULL;
}

static int var_set(struct var **v, size_t *n, const char *name, const char *value)
{
	char *nv = strdup(value);
	if (!nv)
		return BW_ERR_NOMEM;
	for (size_t i = 0; i < *n; i++) {
		if (strcmp((*v)[i].name, name) == 0) {
			free((*v)[i].value);
			(*v)[i].value = nv;
			return 0;
		}
	}
	struct var *nvv = realloc(*v, (*n + 1) * sizeof(**v));
	char *nn = strdup(name);
	if (!nvv || !nn) {
		if (nvv)
			*v = nvv;
		free(nn);
		free(nv);
		return BW_ERR_NOMEM;
	}
	*v = nvv;
	(*v)[*n].name = nn;
	(*v)[*n].value = nv;
	(*n)++;
	return 0;
}

void ips_vars_free(struct ips_vars *v)
{
	if (!v)
		return;
	for (size_t i = 0; i < v->naddr; i++) {
		free(v->addr[i].name);
		free(v->addr[i].value);
	}
	for (size_t i = 0; i < v->nport; i++) {
		free(v->port[i].name);
		free(v->port[i].value);
	}
	free(v->addr);
	free(v->port);
	free(v);
}

int ips_vars_new(struct ips_vars **out)
{
	int r = 0;
	*out = NULL;
	struct ips_vars *v = calloc(1, sizeof(*v));
	if (!v)
		return BW_ERR_NOMEM;
	for (size_t i = 0; i < sizeof(default_addr) / sizeof(default_addr[0]) && !r; i++)
		r = var_set(&v->addr, &v->naddr, default_addr[i][0], default_addr[i][1]);
	for (size_t i = 0; i < sizeof(default_port) / sizeof(default_port[0]) && !r; i++)
		r = var_set(&v->port, &v->nport, default_port[i][0], default_port[i][1]);
	if (r) {
		ips_vars_free(v);
		return r;
	}
	*out = v;
	return 0;
}

const char *ips_vars_get_addr(const struct ips_vars *v, const char *name)
{
	return var_get(v->addr, v->naddr, name, strlen(name));
}

const char *ips_vars_get_port(const struct ips_vars *v, const char *name)
{
	return var_get(v->port, v->nport, name, strlen(name));
}

static bool var_name_ok(const char *name)
{
	if (!*name)
		return false;
	for (const char *p = name; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '_')
			return false;
	return true;
}

int ips_vars_set_addr(struct ips_vars *v, const char *name, const char *value)
{
	if (!var_name_ok(name))
		return BW_ERR_INVAL;
	return var_set(&v->addr, &v->naddr, name, value);
}

int ips_vars_set_port(struct ips_vars *v, const char *name, const char *value)
{
	if (!var_name_ok(name))
		return BW_ERR_INVAL;
	return var_set(&v->port, &v->nport, name, value);
}

/* ---- the list grammar ---- */

struct lp {
	const char *p, *end;
	const struct ips_vars *vars;
	bool port; /* port grammar and variables */
	const char *err;
	int depth;
	bool negated; /* a '!' was met, in the text or a variable's value */
};

/* A value under construction: ports use v4 only (width 2). */
static void ipval_free(struct ipval *v)
{
	rs_free(&v->v4);
	rs_free(&v->v6);
}

static size_t w4(const struct lp *lp)
{
	return lp->port ? 2 : 4;
}

static int ipval_full(const struct lp *lp, struct ipval *v)
{
	int r = rs_full(&v->v4, w4(lp));
	if (!r && !lp->port)
		r = rs_full(&v->v6, 16);
	return r;
}

/* out = a \ b per family. */
static int ipval_sub(const struct lp *lp, struct ipval *out, struct ipval *a, struct ipval *b)
{
	int r;
	rs_norm(&a->v4, w4(lp));
	rs_norm(&b->v4, w4(lp));
	rs_norm(&a->v6, 16);
	rs_norm(&b->v6, 16);
	if ((r = rs_sub(&out->v4, &a->v4, &b->v4, w4(lp))) != 0)
		return r;
	return rs_sub(&out->v6, &a->v6, &b->v6, 16);
}

static int fail(struct lp *lp, const char *why)
{
	if (!lp->err)
		lp->err = why;
	return BW_ERR_INVAL;
}

static void skip_ws(struct lp *lp)
{
	while (lp->p < lp->end && isspace((unsigned char)*lp->p))
		lp->p++;
}

static int parse_u16(const char *s, size_t n, uint16_t *out)
{
	uint32_t v = 0;
	if (n == 0 || n > 5)
		return BW_ERR_INVAL;
	for (size_t i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return BW_ERR_INVAL;
		v = v * 10 + (uint32_t)(s[i] - '0');
	}
	if (v > 65535)
		return BW_ERR_INVAL;
	*out = (uint16_t)v;
	return 0;
}

static int port_token(struct lp *lp, const char *s, size_t n, struct ipval *v)
{
	uint8_t lo[16] = {0}, hi[16] = {0};
	uint16_t a = 0, b = 65535;
	const char *c = memchr(s, ':', n);
	if (c) {
		size_t ln = (size_t)(c - s), rn = n - ln - 1;
		if ((ln && parse_u16(s, ln, &a)) || (rn && parse_u16(c + 1, rn, &b)) ||
		    (!ln && !rn))
			return fail(lp, "bad port range");
	} else if (parse_u16(s, n, &a) == 0) {
		b = a;
	} else {
		return fail(lp, "bad port");
	}
	if (a > b)
		return fail(lp, "port range low above high");
	bw_put_be16(lo, a);
	bw_put_be16(hi, b);
	return rs_add(&v->v4, lo, hi);
}

/* Sets the host bits below plen. */
static void prefix_range(const uint8_t *a, size_t w, unsigned plen, uint8_t *lo, uint8_t *hi)
{
	memset(lo, 0, 16);
	memset(hi, 0, 16);
	for (size_t i = 0; i < w; i++) {
		unsigned bits = plen >= 8 * (i + 1) ? 8 : plen > 8 * i ? plen - 8 * (unsigned)i : 0;
		uint8_t mask = (uint8_t)(bits ? 0xff << (8 - bits) : 0);
		lo[i] = a[i] & mask;
		hi[i] = (uint8_t)(a[i] | ~mask);
	}
}

static int pton(const char *s, uint8_t *out, size_t *w)
{
	memset(out, 0, 16);
	if (inet_pton(AF_INET, s, out) == 1) {
		*w = 4;
		return 0;
	}
	if (inet_pton(AF_INET6, s, out) == 1) {
		*w = 16;
		return 0;
	}
	return BW_ERR_INVAL;
}

static int addr_token(struct lp *lp, const char *s, size_t n, struct ipval *v)
{
	char buf[128];
	uint8_t a[16], b[16], lo[16], hi[16];
	size_t wa, wb;
	if (n >= sizeof(buf))
		return fail(lp, "address too long");
	memcpy(buf, s, n);
	buf[n] = 0;
	char *slash = strchr(buf, '/'), *dash = strchr(buf, '-');
	if (slash) {
		*slash = 0;
		if (pton(buf, a, &wa))
			return fail(lp, "bad address");
		unsigned plen;
		const char *m = slash + 1;
		if (wa == 4 && strchr(m, '.')) {
			/* Netmask form: must be contiguous ones. */
			uint8_t mk[16];
			size_t wm;
			if (pton(m, mk, &wm) || wm != 4)
				return fail(lp, "bad netmask");
			uint32_t x = bw_be32(mk);
			plen = 0;
			while (plen < 32 && (x & (0x80000000u >> plen)))
				plen++;
			if (plen < 32 && (x << plen) != 0)
				return fail(lp, "non-contiguous netmask");
		} else {
			uint16_t pl;
			if (parse_u16(m, strlen(m), &pl) || pl > wa * 8)
				return fail(lp, "bad prefix length");
			plen = pl;
		}
		prefix_range(a, wa, plen, lo, hi);
	} else if (dash) {
		*dash = 0;
		if (pton(buf, a, &wa) || pton(dash + 1, b, &wb) || wa != wb)
			return fail(lp, "bad address range");
		if (memcmp(a, b, 16) > 0)
			return fail(lp, "address range low above high");
		memcpy(lo, a, 16);
		memcpy(hi, b, 16);
	} else {
		if (pton(buf, a, &wa))
			return fail(lp, "bad address");
		memcpy(lo, a, 16);
		memcpy(hi, a, 16);
	}
	return rs_add(wa == 4 ? &v->v4 : &v->v6, lo, hi);
}

static int parse_elem(struct lp *lp, struct ipval *out, bool *neg);

/* Parses the text of a variable as one element at depth + 1. */
static int parse_var(struct lp *lp, struct ipval *out, bool *neg)
{
	const char *s = lp->p;
	while (lp->p < lp->end && (isalnum((unsigned char)*lp->p) || *lp->p == '_'))
		lp->p++;
	size_t n = (size_t)(lp->p - s);
	const char *val = lp->port ? var_get(lp->vars->port, lp->vars->nport, s, n)
	                           : var_get(lp->vars->addr, lp->vars->naddr, s, n);
	if (!val)
		return fail(lp, "undefined variable");
	struct lp sub = *lp;
	sub.p = val;
	sub.end = val + strlen(val);
	sub.depth = lp->depth + 1;
	sub.err = NULL;
	int r = parse_elem(&sub, out, neg);
	lp->negated |= sub.negated;
	skip_ws(&sub);
	if (!r && sub.p != sub.end)
		r = fail(&sub, "trailing text in variable");
	if (r)
		lp->err = sub.err;
	return r;
}

/* "[a,b,...]": positives minus negatives (or all minus negatives). */
static int parse_group(struct lp *lp, struct ipval *out)
{
	struct ipval pos = {0}, negs = {0}, all = {0};
	bool have_pos = false;
	int r;
	lp->p++; /* '[' */
	for (;;) {
		struct ipval e = {0};
		bool neg = false;
		skip_ws(lp);
		if ((r = parse_elem(lp, &e, &neg)) != 0) {
			ipval_free(&e);
			goto out;
		}
		struct ipval *dst = neg ? &negs : &pos;
		have_pos |= !neg;
		r = rs_append(&dst->v4, &e.v4);
		if (!r)
			r = rs_append(&dst->v6, &e.v6);
		ipval_free(&e);
		if (r)
			goto out;
		skip_ws(lp);
		if (lp->p < lp->end && *lp->p == ',') {
			lp->p++;
			continue;
		}
		if (lp->p < lp->end && *lp->p == ']') {
			lp->p++;
			break;
		}
		r = fail(lp, "unterminated group");
		goto out;
	}
	if (!have_pos) {
		if ((r = ipval_full(lp, &all)) != 0)
			goto out;
		r = ipval_sub(lp, out, &all, &negs);
	} else {
		r = ipval_sub(lp, out, &pos, &negs);
	}
out:
	ipval_free(&pos);
	ipval_free(&negs);
	ipval_free(&all);
	return r;
}

static int parse_elem(struct lp *lp, struct ipval *out, bool *neg)
{
	if (lp->depth > IPS_VAR_MAX_DEPTH)
		return fail(lp, "nesting too deep (variable loop?)");
	skip_ws(lp);
	if (lp->p >= lp->end)
		return fail(lp, "empty item");
	if (*lp->p == '!') {
		lp->p++;
		lp->negated = true;
		lp->depth++;
		int r = parse_elem(lp, out, neg);
		lp->depth--;
		*neg = !*neg;
		return r;
	}
	if (*lp->p == '[') {
		lp->depth++;
		int r = parse_group(lp, out);
		lp->depth--;
		return r;
	}
	if (*lp->p == '$') {
		lp->p++;
		return parse_var(lp, out, neg);
	}
	const char *s = lp->p;
	while (lp->p < lp->end && *lp->p != ',' && *lp->p != ']' && !isspace((unsigned char)*lp->p))
		lp->p++;
	size_t n = (size_t)(lp->p - s);
	if (n == 0)
		return fail(lp, "empty item");
	if (n == 3 && strncasecmp(s, "any", 3) == 0)
		return ipval_full(lp, out);
	return lp->port ? port_token(lp, s, n, out) : addr_token(lp, s, n, out);
}

/* Parses a whole list into a normalised value. */
static int parse_top(struct lp *lp, struct ipval *out)
{
	struct ipval v = {0}, all = {0};
	bool neg = false;
	int r = parse_elem(lp, &v, &neg);
	skip_ws(lp);
	if (!r && lp->p != lp->end)
		r = fail(lp, "trailing text");
	if (r)
		goto out;
	if (neg) {
		if ((r = ipval_full(lp, &all)) != 0)
			goto out;
		r = ipval_sub(lp, out, &all, &v);
	} else {
		*out = v;
		memset(&v, 0, sizeof(v));
		rs_norm(&out->v4, w4(lp));
		rs_norm(&out->v6, 16);
	}
	if (!r && out->v4.n == 0 && out->v6.n == 0)
		r = fail(lp, "the list matches nothing");
out:
	ipval_free(&v);
	ipval_free(&all);
	if (r)
		ipval_free(out);
	return r;
}

static bool is_full(const struct rs *s, size_t w)
{
	return s->n == 1 && key_is_zero(s->r[0].lo) && key_is_max(s->r[0].hi, w);
}

void ips_addrset_clear(struct ips_addrset *a)
{
	free(a->v4);
	free(a->v6);
	memset(a, 0, sizeof(*a));
}

void ips_portset_clear(struct ips_portset *p)
{
	free(p->r);
	memset(p, 0, sizeof(*p));
}

static const struct ips_vars *vars_or_default(const struct ips_vars *v, struct ips_vars **tmp)
{
	*tmp = NULL;
	if (v)
		return v;
	if (ips_vars_new(tmp) != 0)
		return NULL;
	return *tmp;
}

int ips_addr_parse(struct ips_addrset *out, const char *s, const struct ips_vars *v,
                   const char **err)
{
	struct ips_vars *tmp;
	struct ipval val = {0};
	memset(out, 0, sizeof(*out));
	if (err)
		*err = NULL;
	if (!(v = vars_or_default(v, &tmp)))
		return BW_ERR_NOMEM;
	struct lp lp = {.p = s, .end = s + strlen(s), .vars = v};
	int r = parse_top(&lp, &val);
	ips_vars_free(tmp);
	if (r) {
		if (err)
			*err = lp.err ? lp.err : bw_strerror(r);
		return r;
	}
	out->any = is_full(&val.v4, 4) && is_full(&val.v6, 16);
	out->negated = lp.negated;
	out->v4 = val.v4.r;
	out->n4 = val.v4.n;
	out->v6 = val.v6.r;
	out->n6 = val.v6.n;
	return 0;
}

int ips_port_parse(struct ips_portset *out, const char *s, const struct ips_vars *v,
                   const char **err)
{
	struct ips_vars *tmp;
	struct ipval val = {0};
	memset(out, 0, sizeof(*out));
	if (err)
		*err = NULL;
	if (!(v = vars_or_default(v, &tmp)))
		return BW_ERR_NOMEM;
	struct lp lp = {.p = s, .end = s + strlen(s), .vars = v, .port = true};
	int r = parse_top(&lp, &val);
	ips_vars_free(tmp);
	if (r) {
		if (err)
			*err = lp.err ? lp.err : bw_strerror(r);
		return r;
	}
	out->r = calloc(val.v4.n, sizeof(*out->r));
	if (!out->r) {
		ipval_free(&val);
		return BW_ERR_NOMEM;
	}
	for (size_t i = 0; i < val.v4.n; i++) {
		out->r[i].lo = bw_be16(val.v4.r[i].lo);
		out->r[i].hi = bw_be16(val.v4.r[i].hi);
	}
	out->n = val.v4.n;
	out->any = is_full(&val.v4, 2);
	ipval_free(&val);
	return 0;
}

bool ips_addrset_has(const struct ips_addrset *a, const uint8_t *addr, size_t len)
{
	const struct ips_ip_range *r;
	size_t n;
	if (a->any)
		return true;
	if (len == 4) {
		/* IPv4 keys are their first 4 bytes (the rest is zero): compare those. */
		uint32_t x = bw_be32(addr);
		size_t lo = 0, hi = a->n4;
		r = a->v4;
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;
			if (x < bw_be32(r[mid].lo))
				hi = mid;
			else if (x > bw_be32(r[mid].hi))
				lo = mid + 1;
			else
				return true;
		}
		return false;
	} else if (len != 16) {
		return false;
	}
	r = a->v6;
	n = a->n6;
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (bw_key_cmp(addr, r[mid].lo, 16) < 0)
			hi = mid;
		else if (bw_key_cmp(addr, r[mid].hi, 16) > 0)
			lo = mid + 1;
		else
			return true;
	}
	return false;
}

bool ips_portset_has(const struct ips_portset *p, uint16_t port)
{
	size_t lo = 0, hi = p->n;
	if (p->any)
		return true;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (port < p->r[mid].lo)
			hi = mid;
		else if (port > p->r[mid].hi)
			lo = mid + 1;
		else
			return true;
	}
	return false;
}

/* ---- YAML overrides ---- */

static int load_group(struct conf_doc *doc, const struct conf_node *m, struct ips_vars *v,
                      bool port)
{
	int r = 0;
	if (!m)
		return 0;
	if (conf_expect_map(doc, m, port ? "'port-groups'" : "'address-groups'"))
		return BW_ERR_CONFIG;
	for (size_t i = 0; i < conf_len(m); i++) {
		const char *k = conf_str(conf_key_at(m, i));
		const struct conf_node *val = conf_at(m, i);
		const char *s = conf_str(val);
		if (!k || !s) {
			r = conf_error(doc, val, "variable values must be scalars");
			continue;
		}
		int e = port ? ips_vars_set_port(v, k, s) : ips_vars_set_addr(v, k, s);
		if (e == BW_ERR_NOMEM)
			return e;
		if (e)
			r = conf_error(doc, val, "bad variable name '%s'", k);
	}
	return r;
}

/* Every group must resolve once all are known. */
static int check_groups(struct conf_doc *doc, const struct ips_vars *v)
{
	int r = 0;
	for (size_t i = 0; i < v->naddr; i++) {
		struct ips_addrset a;
		const char *why;
		if (ips_addr_parse(&a, v->addr[i].value, v, &why) == 0)
			ips_addrset_clear(&a);
		else
			r = conf_error(doc, NULL, "address group %s \"%s\": %s", v->addr[i].name,
			               v->addr[i].value, why);
	}
	for (size_t i = 0; i < v->nport; i++) {
		struct ips_portset p;
		const char *why;
		if (ips_port_parse(&p, v->port[i].value, v, &why) == 0)
			ips_portset_clear(&p);
		else
			r = conf_error(doc, NULL, "port group %s \"%s\": %s", v->port[i].name,
			               v->port[i].value, why);
	}
	return r;
}

int ips_vars_load_yaml(struct ips_vars *v, const char *path)
{
	struct conf_doc *doc;
	int r = conf_load_file(&doc, path);
	if (r)
		return r;
	const struct conf_node *root = conf_root(doc), *base = root;
	if (root && conf_type(root) == CONF_MAP && conf_get(root, "vars"))
		base = conf_get(root, "vars");
	if (base && conf_expect_map(doc, base, "'vars'") == 0) {
		int e1 = load_group(doc, conf_get(base, "address-groups"), v, false);
		int e2 = e1 == BW_ERR_NOMEM
		                 ? 0
		                 : load_group(doc, conf_get(base, "port-groups"), v, true);
		if (e1 == BW_ERR_NOMEM || e2 == BW_ERR_NOMEM) {
			conf_free(doc);
			return BW_ERR_NOMEM;
		}
	}
	check_groups(doc, v);
	r = conf_errors(doc) ? BW_ERR_CONFIG : 0;
	conf_free(doc);
	return r;
}
