/* SPDX-License-Identifier: ISC */
/*
 * Packet pool: a free list of fixed-size buffers. A pool belongs to one
 * thread; it grows on demand up to a cap so a burst cannot take unbounded
 * memory, and buffers are never returned to the allocator until the pool
 * is freed.
 */
#include <stdlib.h>

#include "lib/pkt.h"

struct pkt_chunk {
	struct pkt_chunk *next;
	struct pkt *p;
};

struct pkt_pool {
	struct pkt *free;
	struct pkt_chunk *chunks;
	size_t total;
	size_t max;
	size_t in_use;
};

static int pool_grow(struct pkt_pool *pool, size_t n)
{
	struct pkt_chunk *c;

	if (pool->total + n > pool->max)
		n = pool->max - pool->total;
	if (n == 0)
		return -1;
	c = malloc(sizeof(*c));
	if (c == NULL)
		return -1;
	c->p = aligned_alloc(64, ((sizeof(struct pkt) * n + 63) / 64) * 64);
	if (c->p == NULL) {
		free(c);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		c->p[i].pool = pool;
		c->p[i].next = pool->free;
		pool->free = &c->p[i];
	}
	c->next = pool->chunks;
	pool->chunks = c;
	pool->total += n;
	return 0;
}

struct pkt_pool *pkt_pool_new(size_t count, size_t max)
{
	struct pkt_pool *pool = calloc(1, sizeof(*pool));

	if (pool == NULL)
		return NULL;
	pool->max = max < count ? count : max;
	if (count > 0 && pool_grow(pool, count) != 0) {
		free(pool);
		return NULL;
	}
	return pool;
}

void pkt_pool_free(struct pkt_pool *pool)
{
	struct pkt_chunk *c, *next;

	if (pool == NULL)
		return;
	for (c = pool->chunks; c != NULL; c = next) {
		next = c->next;
		free(c->p);
		free(c);
	}
	free(pool);
}

struct pkt *pkt_alloc(struct pkt_pool *pool)
{
	struct pkt *p;

	if (pool->free == NULL && pool_grow(pool, pool->total < 64 ? 64 : pool->total / 2) != 0)
		return NULL;
	p = pool->free;
	pool->free = p->next;
	pool->in_use++;
	pkt_reset(p);
	return p;
}

void pkt_free(struct pkt *p)
{
	struct pkt_pool *pool;

	if (p == NULL)
		return;
	pool = p->pool;
	p->next = pool->free;
	pool->free = p;
	pool->in_use--;
}

size_t pkt_pool_in_use(const struct pkt_pool *pool)
{
	return pool->in_use;
}
