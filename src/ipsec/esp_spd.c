/* SPDX-License-Identifier: ISC */
/*
 * A small Security Policy Database (RFC 4301 4.4.1) for manual keying:
 * each entry is one pair of address-prefix selectors with the outbound SA
 * that protects local -> remote traffic and the inbound SA that may carry
 * remote -> local traffic. Entries are kept ordered most specific first
 * (longest remote, i.e. destination, prefix, then longest local prefix), so
 * the first match is the best one, as RFC 4301 4.4.1 asks of an ordered SPD.
 *
 * The inner packet's addresses are read with the bounded reader from the
 * IPv4 (RFC 791) or IPv6 (RFC 8200) header; anything else matches nothing.
 * esp_spd_in_ok() is the inbound check of RFC 4301 5.2 step 4: after
 * decapsulating a tunnel-mode packet, its inner addresses must fall within
 * the selectors of the SA it arrived on.
 */
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "ipsec/esp_int.h"
#include "lib/err.h"
#include "lib/rd.h"

struct spd_entry {
	struct esp_ts ts;
	struct esp_sa *out;
	struct esp_sa *in;
};

struct esp_spd {
	struct spd_entry *v;
	size_t n;
	size_t cap;
};

enum {
	SPD_IPV4_HDR = 20,
	SPD_IPV4_SRC = 12,
	SPD_IPV6_HDR = 40,
	SPD_IPV6_SRC = 8,
	SPD_MAX = 4096, /* cap: the SPD is scanned linearly */
};

struct esp_spd *esp_spd_new(void)
{
	return calloc(1, sizeof(struct esp_spd));
}

void esp_spd_free(struct esp_spd *spd)
{
	if (spd == NULL)
		return;
	free(spd->v);
	free(spd);
}

static bool plen_ok(const struct bw_addr *a, uint8_t plen)
{
	return (a->family == AF_INET && plen <= 32) || (a->family == AF_INET6 && plen <= 128);
}

/* True if x must come before y: longer destination prefix, then longer source. */
static bool more_specific(const struct esp_ts *x, const struct esp_ts *y)
{
	if (x->remote_plen != y->remote_plen)
		return x->remote_plen > y->remote_plen;
	return x->local_plen > y->local_plen;
}

int esp_spd_add(struct esp_spd *spd, const struct esp_ts *ts, struct esp_sa *out, struct esp_sa *in)
{
	struct spd_entry *v;
	size_t i;

	if (!plen_ok(&ts->local, ts->local_plen) || !plen_ok(&ts->remote, ts->remote_plen) ||
	    ts->local.family != ts->remote.family || (out == NULL && in == NULL))
		return BW_ERR_INVAL;
	if (spd->n >= SPD_MAX)
		return BW_ERR_LIMIT;
	if (spd->n == spd->cap) {
		size_t cap = spd->cap ? spd->cap * 2 : 8;

		if ((v = realloc(spd->v, cap * sizeof(*v))) == NULL)
			return BW_ERR_NOMEM;
		spd->v = v;
		spd->cap = cap;
	}
	/* Insert after every entry at least as specific: equal ones keep their order. */
	for (i = 0; i < spd->n && !more_specific(ts, &spd->v[i].ts); i++)
		;
	memmove(&spd->v[i + 1], &spd->v[i], (spd->n - i) * sizeof(*spd->v));
	spd->v[i].ts = *ts;
	spd->v[i].out = out;
	spd->v[i].in = in;
	spd->n++;
	return 0;
}

/* Reads source and destination of an IPv4 or IPv6 header. */
static int inner_addrs(const uint8_t *ip, size_t len, struct bw_addr *src, struct bw_addr *dst)
{
	struct bw_rd rd;
	uint8_t vers;
	size_t alen, skip;

	bw_rd_init(&rd, ip, len);
	if (bw_rd_peek_u8(&rd, &vers) != 0)
		return BW_ERR_SHORT;
	memset(src, 0, sizeof(*src));
	memset(dst, 0, sizeof(*dst));
	switch (vers >> 4) {
	case 4:
		/* IHL below 5 is malformed (RFC 791 3.1); options do not matter here. */
		if ((vers & 0x0f) < 5 || bw_rd_left(&rd) < SPD_IPV4_HDR)
			return BW_ERR_INVAL;
		src->family = dst->family = AF_INET;
		alen = 4;
		skip = SPD_IPV4_SRC;
		break;
	case 6:
		if (bw_rd_left(&rd) < SPD_IPV6_HDR)
			return BW_ERR_SHORT;
		src->family = dst->family = AF_INET6;
		alen = 16;
		skip = SPD_IPV6_SRC;
		break;
	default:
		return BW_ERR_UNSUPP;
	}
	if (bw_rd_skip(&rd, skip) != 0 || bw_rd_copy(&rd, src->a, alen) != 0 ||
	    bw_rd_copy(&rd, dst->a, alen) != 0)
		return BW_ERR_SHORT;
	return 0;
}

struct esp_sa *esp_spd_out(const struct esp_spd *spd, const uint8_t *ip, size_t len)
{
	struct bw_addr src, dst;

	if (inner_addrs(ip, len, &src, &dst) != 0)
		return NULL;
	for (size_t i = 0; i < spd->n; i++) {
		const struct spd_entry *e = &spd->v[i];

		if (e->out != NULL && e->ts.remote.family == dst.family &&
		    bw_addr_in_prefix(&dst, &e->ts.remote, e->ts.remote_plen) &&
		    bw_addr_in_prefix(&src, &e->ts.local, e->ts.local_plen))
			return e->out;
	}
	return NULL;
}

bool esp_spd_in_ok(const struct esp_spd *spd, const struct esp_sa *sa, const uint8_t *ip,
                   size_t len)
{
	struct bw_addr src, dst;

	if (inner_addrs(ip, len, &src, &dst) != 0)
		return false;
	for (size_t i = 0; i < spd->n; i++) {
		const struct spd_entry *e = &spd->v[i];

		if (e->in == sa && e->ts.remote.family == src.family &&
		    bw_addr_in_prefix(&src, &e->ts.remote, e->ts.remote_plen) &&
		    bw_addr_in_prefix(&dst, &e->ts.local, e->ts.local_plen))
			return true;
	}
	return false;
}
