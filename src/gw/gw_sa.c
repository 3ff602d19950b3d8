/* SPDX-License-Identifier: ISC */
/*
 * Copy-on-write SA tables with quiescent-state-based reclamation; see
 * gw_sa.h. Writers are rare (a manual tunnel at start, a CHILD_SA
 * negotiated or rekeyed), readers run per batch of packets, so the writer
 * pays for rebuilding the indexes and the readers pay two atomic stores
 * per batch.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gw/gw_sa.h"
#include "lib/err.h"
#include "lib/log.h"

/* A table waiting for its grace period, with the children only it still held. */
struct retired {
	struct retired *next;
	struct gw_sa_table *table;
	struct gw_child *dead; /* freed with the table; NULL if none */
	uint64_t gen;          /* readers must have seen this generation (or be offline) */
};

struct gw_sadb {
	_Atomic(struct gw_sa_table *) cur;
	atomic_uint_fast64_t gen;
	atomic_uint_fast64_t seen[GW_SA_READERS]; /* 0 = offline */
	struct retired *retired;
	uint32_t next_id;
};

static void table_free(struct gw_sa_table *t)
{
	if (t == NULL)
		return;
	esp_sad_free(t->sad);
	esp_spd_free(t->spd);
	free(t->child);
	free(t);
}

static void child_free(struct gw_child *c)
{
	if (c == NULL)
		return;
	esp_sa_free(c->out);
	esp_sa_free(c->in);
	free(c);
}

/* Builds a table of `old`'s children minus `drop`, plus `add`. */
static struct gw_sa_table *table_build(const struct gw_sa_table *old, const struct gw_child *drop,
                                       struct gw_child *add)
{
	struct gw_sa_table *t = calloc(1, sizeof(*t));
	size_t n = (old ? old->n : 0) + 1;

	if (t == NULL || (t->sad = esp_sad_new()) == NULL || (t->spd = esp_spd_new()) == NULL ||
	    (t->child = calloc(n, sizeof(*t->child))) == NULL)
		goto fail;
	for (size_t i = 0; old != NULL && i < old->n; i++)
		if (old->child[i] != drop)
			t->child[t->n++] = old->child[i];
	if (add != NULL)
		t->child[t->n++] = add;
	for (size_t i = 0; i < t->n; i++) {
		struct gw_child *c = t->child[i];

		if (esp_sad_add(t->sad, c->in) != 0)
			goto fail;
		for (size_t k = 0; k < c->n_ts; k++)
			if (esp_spd_add(t->spd, &c->ts[k], c->out, c->in) != 0)
				goto fail;
	}
	return t;
fail:
	table_free(t);
	return NULL;
}

struct gw_sadb *gw_sadb_new(void)
{
	struct gw_sadb *db = calloc(1, sizeof(*db));
	struct gw_sa_table *t;

	if (db == NULL)
		return NULL;
	if ((t = table_build(NULL, NULL, NULL)) == NULL) {
		free(db);
		return NULL;
	}
	atomic_init(&db->cur, t);
	atomic_init(&db->gen, 1);
	for (int i = 0; i < GW_SA_READERS; i++)
		atomic_init(&db->seen[i], 0);
	db->next_id = 1;
	return db;
}

void gw_sadb_free(struct gw_sadb *db)
{
	struct gw_sa_table *t;
	struct retired *r, *next;

	if (db == NULL)
		return;
	for (r = db->retired; r != NULL; r = next) {
		next = r->next;
		table_free(r->table);
		child_free(r->dead);
		free(r);
	}
	t = atomic_load(&db->cur);
	for (size_t i = 0; i < t->n; i++)
		child_free(t->child[i]);
	table_free(t);
	free(db);
}

/* Publishes t and retires the previous table (with `dead`, if any). */
static int publish(struct gw_sadb *db, struct gw_sa_table *t, struct gw_child *dead)
{
	struct retired *r = calloc(1, sizeof(*r));

	if (r == NULL)
		return BW_ERR_NOMEM;
	r->table = atomic_exchange(&db->cur, t);
	r->dead = dead;
	/* A reader that sees this generation loaded the table after the exchange. */
	r->gen = atomic_fetch_add(&db->gen, 1) + 1;
	r->next = db->retired;
	db->retired = r;
	gw_sadb_reclaim(db);
	return 0;
}

int gw_sadb_add(struct gw_sadb *db, const char *name, const struct esp_sa_cfg *out,
                const struct esp_sa_cfg *in, const struct esp_ts *ts, size_t n_ts, uint32_t *id)
{
	struct gw_child *c;
	struct gw_sa_table *t;
	const struct gw_sa_table *cur = atomic_load(&db->cur);
	int r;

	if (n_ts > GW_CONF_MAX_TS)
		return BW_ERR_LIMIT;
	if (esp_sad_lookup(cur->sad, in->spi) != NULL)
		return BW_ERR_EXISTS;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return BW_ERR_NOMEM;
	snprintf(c->name, sizeof(c->name), "%s", name);
	memcpy(c->ts, ts, n_ts * sizeof(*ts));
	c->n_ts = n_ts;
	if ((r = esp_sa_new(&c->out, out)) != 0 || (r = esp_sa_new(&c->in, in)) != 0)
		goto fail;
	c->id = db->next_id++;
	r = BW_ERR_NOMEM;
	if ((t = table_build(cur, NULL, c)) == NULL)
		goto fail;
	if ((r = publish(db, t, NULL)) != 0) {
		table_free(t);
		goto fail;
	}
	if (id != NULL)
		*id = c->id;
	return 0;
fail:
	child_free(c);
	return r;
}

const struct gw_child *gw_sadb_find(const struct gw_sadb *db, uint32_t id)
{
	const struct gw_sa_table *t = atomic_load(&db->cur);

	for (size_t i = 0; i < t->n; i++)
		if (t->child[i]->id == id)
			return t->child[i];
	return NULL;
}

int gw_sadb_del(struct gw_sadb *db, uint32_t id)
{
	struct gw_child *c = (struct gw_child *)(uintptr_t)gw_sadb_find(db, id);
	struct gw_sa_table *t;
	int r;

	if (c == NULL)
		return BW_ERR_NOTFOUND;
	if ((t = table_build(atomic_load(&db->cur), c, NULL)) == NULL)
		return BW_ERR_NOMEM;
	if ((r = publish(db, t, c)) != 0)
		table_free(t);
	return r;
}

const struct gw_sa_table *gw_sadb_current(const struct gw_sadb *db)
{
	return atomic_load(&((struct gw_sadb *)(uintptr_t)db)->cur);
}

static bool grace_over(struct gw_sadb *db, uint64_t gen)
{
	for (int i = 0; i < GW_SA_READERS; i++) {
		uint64_t s = atomic_load(&db->seen[i]);

		if (s != 0 && s < gen)
			return false;
	}
	return true;
}

size_t gw_sadb_reclaim(struct gw_sadb *db)
{
	struct retired **pp = &db->retired, *r;
	size_t left = 0;

	while ((r = *pp) != NULL) {
		if (grace_over(db, r->gen)) {
			*pp = r->next;
			table_free(r->table);
			child_free(r->dead);
			free(r);
		} else {
			pp = &r->next;
			left++;
		}
	}
	return left;
}

const struct gw_sa_table *gw_sadb_enter(struct gw_sadb *db, unsigned r)
{
	atomic_store(&db->seen[r], atomic_load(&db->gen));
	return atomic_load(&db->cur);
}

void gw_sadb_quiesce(struct gw_sadb *db, unsigned r)
{
	atomic_store(&db->seen[r], 0);
}
