/* SPDX-License-Identifier: ISC */
/*
 * Virtual IP pools for remote access (RFC 7296 2.19): addresses handed to
 * peers in a CFG_REPLY. One bitmap per configured pool; the network and
 * broadcast addresses and the first host (commonly the gateway's own) are
 * never leased. A lease lives as long as the IKE SA that holds it.
 */
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "ike/ike_int.h"
#include "lib/err.h"

enum { POOL_MAX_HOSTS = 1 << 16 }; /* at most a /16 (IPv4) or /112 (IPv6) */

struct ike_pool {
	struct ike_pool *next;
	const struct ike_conn_conf *conn;
	size_t idx;    /* which of conn->pools */
	size_t hosts;  /* addresses in the prefix, capped */
	uint8_t *used; /* bitmap */
};

static size_t pool_hosts(const struct bw_addr *p, uint8_t plen)
{
	unsigned bits = (unsigned)bw_addr_len(p) * 8 - plen;

	return bits >= 16 ? POOL_MAX_HOSTS : (size_t)1 << bits;
}

static struct ike_pool *pool_get(struct ike *ike, const struct ike_conn_conf *c, size_t idx)
{
	struct ike_pool *p;

	for (p = ike->pools; p != NULL; p = p->next)
		if (p->conn == c && p->idx == idx)
			return p;
	if ((p = calloc(1, sizeof(*p))) == NULL)
		return NULL;
	p->conn = c;
	p->idx = idx;
	p->hosts = pool_hosts(&c->pools[idx], c->pool_plen[idx]);
	if ((p->used = calloc((p->hosts + 7) / 8, 1)) == NULL) {
		free(p);
		return NULL;
	}
	/* Network, first host and (IPv4) broadcast stay out of the pool. */
	p->used[0] |= 3;
	if (c->pools[idx].family == AF_INET)
		p->used[(p->hosts - 1) / 8] |= (uint8_t)(1u << ((p->hosts - 1) % 8));
	p->next = ike->pools;
	ike->pools = p;
	return p;
}

/* Host number n of the pool as an address. */
static void pool_addr(const struct bw_addr *base, size_t n, struct bw_addr *out)
{
	size_t len = bw_addr_len(base);
	uint32_t carry = (uint32_t)n;

	*out = *base;
	out->port = 0;
	for (size_t i = len; i > 0 && carry != 0; i--) {
		uint32_t v = out->a[i - 1] + (carry & 0xff);

		out->a[i - 1] = (uint8_t)v;
		carry = (carry >> 8) + (v >> 8);
	}
}

int ike_pool_acquire(struct ike *ike, const struct ike_conn_conf *c, int family,
                     struct bw_addr *out)
{
	for (size_t i = 0; i < c->n_pools; i++) {
		struct ike_pool *p;

		if (c->pools[i].family != family || (p = pool_get(ike, c, i)) == NULL)
			continue;
		for (size_t n = 0; n < p->hosts; n++)
			if (!(p->used[n / 8] & (1u << (n % 8)))) {
				p->used[n / 8] |= (uint8_t)(1u << (n % 8));
				pool_addr(&c->pools[i], n, out);
				return 0;
			}
	}
	return BW_ERR_LIMIT;
}

void ike_pool_release(struct ike *ike, const struct ike_conn_conf *c, const struct bw_addr *a)
{
	for (struct ike_pool *p = ike->pools; p != NULL; p = p->next) {
		const struct bw_addr *base;
		size_t n = 0, len;

		if (p->conn != c)
			continue;
		base = &c->pools[p->idx];
		if (!bw_addr_in_prefix(a, base, c->pool_plen[p->idx]))
			continue;
		len = bw_addr_len(a);
		/* Offset of a within the pool (the low bytes differ at most). */
		for (size_t i = len >= 4 ? len - 4 : 0; i < len; i++)
			n = n << 8 | (size_t)(a->a[i] - base->a[i]);
		n &= p->hosts - 1;
		p->used[n / 8] &= (uint8_t) ~(1u << (n % 8));
		return;
	}
}

void ike_pools_free(struct ike *ike)
{
	struct ike_pool *p, *next;

	for (p = ike->pools; p != NULL; p = next) {
		next = p->next;
		free(p->used);
		free(p);
	}
	ike->pools = NULL;
}
