/* SPDX-License-Identifier: ISC */
/*
 * Packet buffers for the whole data path. A struct pkt is one fixed-size
 * buffer with headroom: encapsulation prepends headers with pkt_push(), ESP
 * encrypts in place and appends its trailer with pkt_put(). Buffers come
 * from a pool owned by one thread; hot paths allocate nothing.
 *
 * Ownership: a pkt has exactly one owner. Whoever holds it either passes it
 * on or calls pkt_free(), never both. Decoders get borrowed views.
 */
#ifndef BW_PKT_H
#define BW_PKT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/addr.h"

enum {
	PKT_HEADROOM = 128,  /* outer IPv6 + UDP + ESP header + IV, with slack */
	PKT_BUFSIZE = 10240, /* headroom + a 9000-byte jumbo + ESP trailer */
};

struct pkt_pool;

struct pkt {
	struct pkt *next;      /* for batches and free lists */
	struct pkt_pool *pool; /* where pkt_free() returns it */
	uint32_t off;          /* start of data within buf */
	uint32_t len;          /* bytes of data */
	/* Metadata the data path fills as the packet moves. */
	struct bw_addr src; /* outer source (received) */
	struct bw_addr dst; /* outer destination */
	uint32_t flags;
	uint8_t buf[PKT_BUFSIZE];
};

/* Creates a pool of `count` buffers; more are allocated, up to `max`, on demand. */
struct pkt_pool *pkt_pool_new(size_t count, size_t max);
void pkt_pool_free(struct pkt_pool *pool);
/* Takes a buffer with PKT_HEADROOM of headroom and no data; NULL if exhausted. */
struct pkt *pkt_alloc(struct pkt_pool *pool);
/* Returns the buffer to its pool. pkt_free(NULL) is a no-op. */
void pkt_free(struct pkt *p);
size_t pkt_pool_in_use(const struct pkt_pool *pool);

static inline uint8_t *pkt_data(struct pkt *p)
{
	return p->buf + p->off;
}
static inline size_t pkt_headroom(const struct pkt *p)
{
	return p->off;
}
static inline size_t pkt_tailroom(const struct pkt *p)
{
	return PKT_BUFSIZE - p->off - p->len;
}
/* Resets to empty with the default headroom. */
static inline void pkt_reset(struct pkt *p)
{
	p->off = PKT_HEADROOM;
	p->len = 0;
	p->flags = 0;
	p->next = NULL;
}
/* Prepends n bytes; returns the new start or NULL without headroom. */
static inline uint8_t *pkt_push(struct pkt *p, size_t n)
{
	if (n > p->off)
		return NULL;
	p->off -= (uint32_t)n;
	p->len += (uint32_t)n;
	return p->buf + p->off;
}
/* Removes n bytes from the front; returns the new start or NULL if too short. */
static inline uint8_t *pkt_pull(struct pkt *p, size_t n)
{
	if (n > p->len)
		return NULL;
	p->off += (uint32_t)n;
	p->len -= (uint32_t)n;
	return p->buf + p->off;
}
/* Appends n bytes; returns where they go or NULL without tailroom. */
static inline uint8_t *pkt_put(struct pkt *p, size_t n)
{
	uint8_t *t;

	if (n > pkt_tailroom(p))
		return NULL;
	t = p->buf + p->off + p->len;
	p->len += (uint32_t)n;
	return t;
}
/* Cuts the data to len bytes (len <= current length). */
static inline void pkt_trim(struct pkt *p, size_t len)
{
	if (len < p->len)
		p->len = (uint32_t)len;
}

#endif
