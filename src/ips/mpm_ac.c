/* SPDX-License-Identifier: ISC */
/*
 * Portable fallback of the MPM ops: an Aho-Corasick automaton (Aho and
 * Corasick, "Efficient string matching", CACM 1975) built over ASCII
 * case-folded patterns, so one automaton serves caseless and exact
 * patterns; a hit on a case-sensitive pattern is confirmed by comparing
 * the original bytes. Children are kept as sibling lists (memory grows
 * with the pattern bytes, not with 256 times the states) except at the
 * root, which has a full table because most transitions end there.
 * Used when vectorscan is missing or refuses a group, and by the tests as
 * an independent second implementation.
 */
#include <stdlib.h>
#include <string.h>

#include "ips/mpm.h"
#include "lib/err.h"

struct ac_node {
	uint32_t child;   /* first child, 0 = none (the root is never a child) */
	uint32_t sibling; /* next sibling, 0 = none */
	uint32_t fail;
	uint32_t dict; /* nearest node on the fail chain that ends a pattern, 0 = none */
	int32_t pat;   /* first pattern ending here, -1 = none */
	uint8_t c;     /* folded byte on the edge into this node */
};

struct ac_pat {
	uint8_t *p; /* original bytes */
	uint32_t len;
	uint32_t id;
	int32_t next; /* next pattern ending at the same node */
	bool nocase;
};

struct ac_db {
	struct ac_node *n;
	size_t nn, cap;
	struct ac_pat *pats;
	size_t npats;
	uint32_t root_next[256];
	size_t bytes;
};

static inline uint8_t fold(uint8_t c)
{
	return c >= 'A' && c <= 'Z' ? (uint8_t)(c + 32) : c;
}

static uint32_t child_of(const struct ac_db *d, uint32_t s, uint8_t c)
{
	for (uint32_t k = d->n[s].child; k; k = d->n[k].sibling)
		if (d->n[k].c == c)
			return k;
	return 0;
}

static int add_node(struct ac_db *d, uint32_t parent, uint8_t c, uint32_t *out)
{
	if (d->nn == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 256;
		struct ac_node *n = realloc(d->n, cap * sizeof(*n));
		if (!n)
			return BW_ERR_NOMEM;
		d->n = n;
		d->cap = cap;
	}
	uint32_t k = (uint32_t)d->nn++;
	d->n[k] = (struct ac_node){.sibling = d->n[parent].child, .pat = -1, .c = c};
	d->n[parent].child = k;
	*out = k;
	return 0;
}

static void ac_free(void *db)
{
	struct ac_db *d = db;
	if (!d)
		return;
	for (size_t i = 0; i < d->npats; i++)
		free(d->pats[i].p);
	free(d->pats);
	free(d->n);
	free(d);
}

/* Breadth-first fail and dictionary links (the automaton's failure function). */
static int link_fail(struct ac_db *d)
{
	uint32_t *q = malloc(d->nn * sizeof(*q));
	size_t head = 0, tail = 0;
	if (!q)
		return BW_ERR_NOMEM;
	for (uint32_t k = d->n[0].child; k; k = d->n[k].sibling) {
		d->n[k].fail = 0;
		q[tail++] = k;
	}
	while (head < tail) {
		uint32_t s = q[head++];
		for (uint32_t k = d->n[s].child; k; k = d->n[k].sibling) {
			uint32_t f = d->n[s].fail, t;
			for (;;) {
				t = f ? child_of(d, f, d->n[k].c) : d->root_next[d->n[k].c];
				if (t || !f)
					break;
				f = d->n[f].fail;
			}
			d->n[k].fail = t != k ? t : 0;
			uint32_t fl = d->n[k].fail;
			d->n[k].dict = fl && d->n[fl].pat >= 0 ? fl : d->n[fl].dict;
			q[tail++] = k;
		}
	}
	free(q);
	return 0;
}

static int ac_build(const struct ips_mpm_pattern *pats, size_t n, void **db)
{
	*db = NULL;
	struct ac_db *d = calloc(1, sizeof(*d));
	int r = BW_ERR_NOMEM;
	uint32_t root;
	if (!d || !(d->pats = calloc(n ? n : 1, sizeof(*d->pats))))
		goto fail;
	d->nn = 0;
	if (add_node(d, 0, 0, &root) != 0) /* node 0: the root */
		goto fail;
	d->n[0].sibling = 0;
	d->n[0].child = 0;
	for (size_t i = 0; i < n; i++) {
		struct ac_pat *p = &d->pats[d->npats];
		if (pats[i].len == 0 || pats[i].len > UINT32_MAX) {
			r = BW_ERR_INVAL;
			goto fail;
		}
		if (!(p->p = malloc(pats[i].len)))
			goto fail;
		d->npats++;
		memcpy(p->p, pats[i].p, pats[i].len);
		p->len = (uint32_t)pats[i].len;
		p->id = pats[i].id;
		p->nocase = pats[i].nocase;
		uint32_t s = 0;
		for (size_t j = 0; j < pats[i].len; j++) {
			uint8_t c = fold(pats[i].p[j]);
			uint32_t t = child_of(d, s, c);
			if (!t && add_node(d, s, c, &t) != 0)
				goto fail;
			s = t;
		}
		p->next = d->n[s].pat;
		d->n[s].pat = (int32_t)(d->npats - 1);
		d->bytes += pats[i].len;
	}
	for (uint32_t k = d->n[0].child; k; k = d->n[k].sibling)
		d->root_next[d->n[k].c] = k;
	if ((r = link_fail(d)) != 0)
		goto fail;
	d->bytes += d->nn * sizeof(struct ac_node) + d->npats * sizeof(struct ac_pat) + sizeof(*d);
	*db = d;
	return 0;
fail:
	ac_free(d);
	return r;
}

static int ac_scratch_grow(const void *db, void **scratch)
{
	(void)db;
	(void)scratch;
	return 0;
}

static void ac_scratch_free(void *scratch)
{
	(void)scratch;
}

/* Reports every pattern ending at node s (and on its dictionary chain). */
static int report(const struct ac_db *d, uint32_t s, const uint8_t *buf, size_t end, ips_mpm_cb cb,
                  void *ctx)
{
	for (uint32_t k = d->n[s].pat >= 0 ? s : d->n[s].dict; k; k = d->n[k].dict) {
		for (int32_t i = d->n[k].pat; i >= 0; i = d->pats[i].next) {
			const struct ac_pat *p = &d->pats[i];
			if (!p->nocase && memcmp(buf + end - p->len, p->p, p->len) != 0)
				continue;
			if (cb(p->id, end, ctx))
				return 1;
		}
	}
	return 0;
}

static int ac_scan(const void *db, void *scratch, const uint8_t *buf, size_t len, ips_mpm_cb cb,
                   void *ctx)
{
	const struct ac_db *d = db;
	uint32_t s = 0;
	(void)scratch;
	for (size_t i = 0; i < len; i++) {
		uint8_t c = fold(buf[i]);
		uint32_t t;
		for (;;) {
			t = s ? child_of(d, s, c) : d->root_next[c];
			if (t || !s)
				break;
			s = d->n[s].fail;
		}
		s = t;
		if (s && (d->n[s].pat >= 0 || d->n[s].dict) && report(d, s, buf, i + 1, cb, ctx))
			return 0;
	}
	return 0;
}

static size_t ac_size(const void *db)
{
	const struct ac_db *d = db;
	return d ? d->bytes : 0;
}

const struct ips_mpm_ops ips_mpm_ac_ops = {
        .name = "aho-corasick",
        .build = ac_build,
        .free = ac_free,
        .scratch_grow = ac_scratch_grow,
        .scratch_free = ac_scratch_free,
        .scan = ac_scan,
        .db_size = ac_size,
};
