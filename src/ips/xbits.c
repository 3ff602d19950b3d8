/* SPDX-License-Identifier: ISC */
/*
 * The xbits table (see xbits.h): a chained hash of (key, bit id) entries
 * with their expiry. Entries come from a pool allocated at the first set
 * (a ruleset without xbits costs nothing), so the table's memory is fixed
 * by its cap; when the pool is empty a set sweeps the expired entries out
 * (at most once a second) before giving up. Lookups drop the expired
 * entries they pass over, as Suricata does on isset.
 */
#include <stdlib.h>
#include <string.h>

#include "ips/xbits.h"

enum { XB_DEFAULT_MAX = 65536 };

struct xb_ent {
	struct xb_ent *next;
	struct ips_xbits_key k;
	uint16_t id;
	uint64_t expire;
};

struct ips_xbits {
	struct xb_ent **bucket;
	size_t mask; /* buckets - 1 */
	struct xb_ent *pool, *free_list;
	size_t max, n;
	uint64_t refused;
	uint64_t swept; /* packet time of the last sweep */
	bool swept_once;
};

void ips_xbits_key_host(struct ips_xbits_key *k, uint8_t ip_version, const uint8_t h[16])
{
	memset(k, 0, sizeof(*k));
	k->ip_version = ip_version;
	memcpy(k->a, h, ip_version == 4 ? 4 : 16);
}

void ips_xbits_key_pair(struct ips_xbits_key *k, uint8_t ip_version, const uint8_t x[16],
                        const uint8_t y[16])
{
	size_t len = ip_version == 4 ? 4 : 16;
	bool swap = memcmp(x, y, len) > 0;
	memset(k, 0, sizeof(*k));
	k->ip_version = ip_version;
	k->pair = true;
	memcpy(k->a, swap ? y : x, len);
	memcpy(k->b, swap ? x : y, len);
}

struct ips_xbits *ips_xbits_new(size_t max)
{
	struct ips_xbits *x = calloc(1, sizeof(*x));
	size_t nb = 64;
	if (!x)
		return NULL;
	x->max = max ? max : XB_DEFAULT_MAX;
	while (nb < x->max && nb < (1u << 20))
		nb <<= 1;
	x->mask = nb - 1;
	return x;
}

/* Allocates the buckets and the entry pool; false when out of memory. */
static bool grow(struct ips_xbits *x)
{
	if (x->pool)
		return true;
	x->bucket = calloc(x->mask + 1, sizeof(*x->bucket));
	x->pool = calloc(x->max, sizeof(*x->pool));
	if (!x->bucket || !x->pool) {
		free(x->bucket);
		free(x->pool);
		x->bucket = NULL;
		x->pool = NULL;
		return false;
	}
	for (size_t i = x->max; i-- > 0;) {
		x->pool[i].next = x->free_list;
		x->free_list = &x->pool[i];
	}
	return true;
}

void ips_xbits_free(struct ips_xbits *x)
{
	if (!x)
		return;
	free(x->bucket);
	free(x->pool);
	free(x);
}

/* FNV-1a over the key fields and the bit id. */
static size_t hash(const struct ips_xbits *x, const struct ips_xbits_key *k, uint16_t id)
{
	uint32_t h = 2166136261u;
	uint8_t hd[4] = {k->ip_version, k->pair, (uint8_t)(id >> 8), (uint8_t)id};
	for (size_t i = 0; i < sizeof(hd); i++)
		h = (h ^ hd[i]) * 16777619u;
	for (size_t i = 0; i < 16; i++)
		h = (h ^ k->a[i]) * 16777619u;
	for (size_t i = 0; i < 16; i++)
		h = (h ^ k->b[i]) * 16777619u;
	return h & x->mask;
}

static bool key_eq(const struct ips_xbits_key *a, const struct ips_xbits_key *b)
{
	return a->ip_version == b->ip_version && a->pair == b->pair &&
	       memcmp(a->a, b->a, 16) == 0 && memcmp(a->b, b->b, 16) == 0;
}

static void put(struct ips_xbits *x, struct xb_ent *e)
{
	e->next = x->free_list;
	x->free_list = e;
	x->n--;
}

/* The link pointing at the entry for (k, id), or at the chain's NULL end. */
static struct xb_ent **find(struct ips_xbits *x, const struct ips_xbits_key *k, uint16_t id)
{
	struct xb_ent **pp = &x->bucket[hash(x, k, id)];
	while (*pp && !((*pp)->id == id && key_eq(&(*pp)->k, k)))
		pp = &(*pp)->next;
	return pp;
}

/*
 * Drops every bit expired at now (the pool ran dry). A full table of live
 * bits would make every set walk it: sweep at most once per second of
 * packet time.
 */
static void sweep(struct ips_xbits *x, uint64_t now)
{
	if (x->swept_once && now < x->swept + 1000000u)
		return;
	x->swept_once = true;
	x->swept = now;
	for (size_t b = 0; b <= x->mask; b++) {
		struct xb_ent **pp = &x->bucket[b];
		while (*pp) {
			struct xb_ent *e = *pp;
			if (e->expire < now) {
				*pp = e->next;
				put(x, e);
			} else {
				pp = &e->next;
			}
		}
	}
}

static void add(struct ips_xbits *x, const struct ips_xbits_key *k, uint16_t id, uint64_t expire,
                uint64_t now)
{
	if (!grow(x)) {
		x->refused++;
		return;
	}
	if (!x->free_list)
		sweep(x, now);
	struct xb_ent *e = x->free_list;
	if (!e) {
		x->refused++;
		return;
	}
	x->free_list = e->next;
	x->n++;
	e->k = *k;
	e->id = id;
	e->expire = expire;
	struct xb_ent **head = &x->bucket[hash(x, k, id)];
	e->next = *head;
	*head = e;
}

static void del(struct ips_xbits *x, struct xb_ent **pp)
{
	struct xb_ent *e = *pp;
	*pp = e->next;
	put(x, e);
}

bool ips_xbits_isset(struct ips_xbits *x, const struct ips_xbits_key *k, uint16_t id, uint64_t now)
{
	if (!x || !x->bucket)
		return false;
	struct xb_ent **pp = find(x, k, id);
	if (!*pp)
		return false;
	if ((*pp)->expire < now) {
		del(x, pp);
		return false;
	}
	return true;
}

void ips_xbits_set(struct ips_xbits *x, const struct ips_xbits_key *k, uint16_t id, uint64_t expire,
                   uint64_t now)
{
	if (x && (!x->bucket || !*find(x, k, id)))
		add(x, k, id, expire, now);
}

void ips_xbits_unset(struct ips_xbits *x, const struct ips_xbits_key *k, uint16_t id)
{
	if (!x || !x->bucket)
		return;
	struct xb_ent **pp = find(x, k, id);
	if (*pp)
		del(x, pp);
}

void ips_xbits_toggle(struct ips_xbits *x, const struct ips_xbits_key *k, uint16_t id,
                      uint64_t expire, uint64_t now)
{
	if (!x)
		return;
	struct xb_ent **pp = x->bucket ? find(x, k, id) : NULL;
	if (pp && *pp)
		del(x, pp);
	else
		add(x, k, id, expire, now);
}

void ips_xbits_stats(const struct ips_xbits *x, struct ips_xbits_stats *st)
{
	st->bits = x ? x->n : 0;
	st->refused = x ? x->refused : 0;
}
