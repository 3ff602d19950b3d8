/* SPDX-License-Identifier: ISC */
/*
 * Open-addressing hash table (see htab.h). Slots hold key and value; an empty
 * slot has val == NULL, which is why NULL values are refused. Deletion uses
 * backward shift (Knuth vol. 3, 6.4, algorithm R): after a slot empties, later
 * members of the same probe run move back so that every key stays reachable
 * from its home slot without tombstones.
 */
#include <stdlib.h>

#include "lib/err.h"
#include "lib/htab.h"

struct htab_slot {
	uint64_t key;
	void *val; /* NULL = empty */
};

struct htab {
	struct htab_slot *slots;
	size_t mask; /* capacity - 1; capacity is a power of two */
	size_t count;
	uint64_t seed;
};

enum {
	HTAB_MIN_CAP = 8,
};

/* splitmix64's finaliser over the seeded key: cheap and mixes every bit. */
static size_t slot_of(const struct htab *h, uint64_t key)
{
	uint64_t x = key ^ h->seed;

	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return (size_t)x & h->mask;
}

static size_t cap_for(size_t n)
{
	size_t cap = HTAB_MIN_CAP;

	/* Keep the load at or below 1/2; stop doubling before overflow. */
	while (cap / 2 < n && cap < ((size_t)1 << (sizeof(size_t) * 8 - 2)))
		cap <<= 1;
	return cap;
}

struct htab *htab_new(size_t hint, uint64_t seed)
{
	struct htab *h = calloc(1, sizeof(*h));
	size_t cap = cap_for(hint);

	if (h == NULL)
		return NULL;
	if ((h->slots = calloc(cap, sizeof(*h->slots))) == NULL) {
		free(h);
		return NULL;
	}
	h->mask = cap - 1;
	h->seed = seed;
	return h;
}

void htab_free(struct htab *h)
{
	if (h == NULL)
		return;
	free(h->slots);
	free(h);
}

/* Places a key known to be absent; there is always a free slot. */
static void place(struct htab *h, uint64_t key, void *val)
{
	size_t i = slot_of(h, key);

	while (h->slots[i].val != NULL)
		i = (i + 1) & h->mask;
	h->slots[i].key = key;
	h->slots[i].val = val;
	h->count++;
}

static int grow(struct htab *h)
{
	struct htab_slot *old = h->slots;
	size_t oldcap = h->mask + 1;
	size_t cap = oldcap * 2;

	if (cap < oldcap)
		return BW_ERR_NOMEM;
	if ((h->slots = calloc(cap, sizeof(*h->slots))) == NULL) {
		h->slots = old;
		return BW_ERR_NOMEM;
	}
	h->mask = cap - 1;
	h->count = 0;
	for (size_t i = 0; i < oldcap; i++)
		if (old[i].val != NULL)
			place(h, old[i].key, old[i].val);
	free(old);
	return 0;
}

static struct htab_slot *find(const struct htab *h, uint64_t key)
{
	size_t i = slot_of(h, key);

	/* The load bound guarantees an empty slot ends every probe run. */
	while (h->slots[i].val != NULL) {
		if (h->slots[i].key == key)
			return &h->slots[i];
		i = (i + 1) & h->mask;
	}
	return NULL;
}

int htab_put(struct htab *h, uint64_t key, void *val)
{
	int r;

	if (val == NULL)
		return BW_ERR_INVAL;
	if (find(h, key) != NULL)
		return BW_ERR_EXISTS;
	if ((h->count + 1) > (h->mask + 1) / 2 && (r = grow(h)) != 0)
		return r;
	place(h, key, val);
	return 0;
}

void *htab_get(const struct htab *h, uint64_t key)
{
	const struct htab_slot *s = find(h, key);

	return s != NULL ? s->val : NULL;
}

void *htab_del(struct htab *h, uint64_t key)
{
	struct htab_slot *s = find(h, key);
	size_t hole, i;
	void *val;

	if (s == NULL)
		return NULL;
	val = s->val;
	hole = (size_t)(s - h->slots);
	h->slots[hole].val = NULL;
	h->count--;
	/*
	 * Walk the rest of the run; an entry whose home slot is not cyclically
	 * in (hole, i] would become unreachable past the hole, so it moves in.
	 */
	for (i = (hole + 1) & h->mask; h->slots[i].val != NULL; i = (i + 1) & h->mask) {
		size_t home = slot_of(h, h->slots[i].key);

		if (((i - home) & h->mask) >= ((i - hole) & h->mask)) {
			h->slots[hole] = h->slots[i];
			h->slots[i].val = NULL;
			hole = i;
		}
	}
	return val;
}

size_t htab_count(const struct htab *h)
{
	return h->count;
}

bool htab_next(const struct htab *h, size_t *pos, uint64_t *key, void **val)
{
	for (size_t i = *pos; i <= h->mask; i++) {
		if (h->slots[i].val == NULL)
			continue;
		if (key != NULL)
			*key = h->slots[i].key;
		if (val != NULL)
			*val = h->slots[i].val;
		*pos = i + 1;
		return true;
	}
	*pos = h->mask + 1;
	return false;
}
