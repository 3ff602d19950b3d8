/* SPDX-License-Identifier: ISC */
/*
 * Expected flows (see expect.h): a fixed array searched linearly. FTP
 * announces a handful of data connections at a time, so a scan beats a hash
 * here; the cap bounds both the memory and the scan.
 */
#include <stdlib.h>
#include <string.h>

#include "ips/expect.h"

enum {
	EXPECT_DEFAULT_MAX = 256,
};

struct expect_ent {
	bool used;
	uint8_t ipv;
	uint8_t a[16], b[16];
	uint64_t ts;
	struct app_expect e;
};

struct ips_expect_table {
	struct expect_ent *ents;
	size_t max, n;
	uint64_t ttl;
};

struct ips_expect_table *ips_expect_new(size_t max, uint64_t ttl_ns)
{
	struct ips_expect_table *t = calloc(1, sizeof(*t));

	if (t == NULL)
		return NULL;
	t->max = max ? max : EXPECT_DEFAULT_MAX;
	t->ttl = ttl_ns;
	if ((t->ents = calloc(t->max, sizeof(*t->ents))) == NULL) {
		free(t);
		return NULL;
	}
	return t;
}

void ips_expect_free(struct ips_expect_table *t)
{
	if (t == NULL)
		return;
	free(t->ents);
	free(t);
}

static bool stale(const struct ips_expect_table *t, const struct expect_ent *x, uint64_t now)
{
	return t->ttl != 0 && now > x->ts && now - x->ts > t->ttl;
}

void ips_expect_add(struct ips_expect_table *t, uint8_t ip_version, const uint8_t a[16],
                    const uint8_t b[16], const struct app_expect *e, uint64_t now_ns)
{
	struct expect_ent *slot = NULL, *oldest = NULL;

	for (size_t i = 0; i < t->max; i++) {
		struct expect_ent *x = &t->ents[i];

		if (x->used && stale(t, x, now_ns)) {
			x->used = false;
			t->n--;
		}
		if (!x->used) {
			if (slot == NULL)
				slot = x;
		} else if (oldest == NULL || x->ts < oldest->ts) {
			oldest = x;
		}
	}
	if (slot == NULL) {
		/* Full: the oldest announcement gives way. */
		slot = oldest;
		t->n--;
	}
	memset(slot, 0, sizeof(*slot));
	slot->used = true;
	slot->ipv = ip_version;
	memcpy(slot->a, a, 16);
	memcpy(slot->b, b, 16);
	slot->ts = now_ns;
	slot->e = *e;
	t->n++;
}

bool ips_expect_take(struct ips_expect_table *t, uint8_t ip_version, const uint8_t src[16],
                     const uint8_t dst[16], uint16_t dport, uint64_t now_ns, struct app_expect *out)
{
	size_t alen = ip_version == 6 ? 16 : 4;
	struct expect_ent *best = NULL;

	if (t->n == 0)
		return false;
	for (size_t i = 0; i < t->max; i++) {
		struct expect_ent *x = &t->ents[i];
		bool fwd, rev;

		if (!x->used || x->ipv != ip_version || x->e.port != dport)
			continue;
		if (stale(t, x, now_ns)) {
			x->used = false;
			t->n--;
			continue;
		}
		fwd = memcmp(x->a, src, alen) == 0 && memcmp(x->b, dst, alen) == 0;
		rev = memcmp(x->a, dst, alen) == 0 && memcmp(x->b, src, alen) == 0;
		if ((fwd || rev) && (best == NULL || x->ts < best->ts))
			best = x;
	}
	if (best == NULL)
		return false;
	*out = best->e;
	best->used = false;
	t->n--;
	return true;
}

size_t ips_expect_count(const struct ips_expect_table *t)
{
	return t->n;
}
