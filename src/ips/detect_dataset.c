/* SPDX-License-Identifier: ISC */
/*
 * Datasets of the detection engine (Suricata's dataset keyword): one set per
 * name, shared by every rule naming it, built with the engine and filled by
 * its load file and by "set" at run time. A set is an open-addressing hash
 * table of byte strings under a mutex (threads share the engine); it grows
 * by doubling and refuses additions past its memcap (16 MiB by default),
 * which then do not match, as Suricata's do.
 */
#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ips/detect_int.h"
#include "lib/err.h"
#include "lib/log.h"
#include "lib/hex.h"

enum { DS_MEMCAP = 16u << 20, DS_LINE_MAX = 8192 };

struct ds_ent {
	uint64_t h; /* 0: empty slot */
	uint8_t *p;
	size_t len;
};

struct det_dataset {
	const char *name; /* borrowed from the first rule that names it */
	enum ips_dataset_type type;
	uint64_t memcap, mem;
	pthread_mutex_t lock;
	struct ds_ent *t;
	size_t cap, n;
};

static uint64_t hash(const uint8_t *p, size_t n)
{
	uint64_t h = 1469598103934665603ull; /* FNV-1a */
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 1099511628211ull;
	return h ? h : 1;
}

static size_t type_len(enum ips_dataset_type t)
{
	return t == IPS_DST_MD5 ? 16 : t == IPS_DST_SHA256 ? 32 : 0;
}

/* Slot of (p, n): its entry, or the empty slot where it would go. */
static struct ds_ent *slot(const struct det_dataset *ds, uint64_t h, const uint8_t *p, size_t n)
{
	size_t m = ds->cap - 1;
	for (size_t i = (size_t)h & m;; i = (i + 1) & m) {
		struct ds_ent *e = &ds->t[i];
		if (e->h == 0 || (e->h == h && e->len == n && memcmp(e->p, p, n) == 0))
			return e;
	}
}

static bool grow(struct det_dataset *ds)
{
	size_t nc = ds->cap ? ds->cap * 2 : 1024;
	uint64_t more = (uint64_t)(nc - ds->cap) * sizeof(struct ds_ent);
	if (ds->mem + more > ds->memcap)
		return false;
	struct ds_ent *nt = calloc(nc, sizeof(*nt)), *old = ds->t;
	size_t oc = ds->cap;
	if (!nt)
		return false;
	ds->t = nt;
	ds->cap = nc;
	for (size_t i = 0; i < oc; i++)
		if (old[i].h)
			*slot(ds, old[i].h, old[i].p, old[i].len) = old[i];
	free(old);
	ds->mem += more;
	return true;
}

/* 1: added, 0: was there, -1: refused (memcap, memory, wrong length). */
static int add(struct det_dataset *ds, const uint8_t *p, size_t n)
{
	size_t want = type_len(ds->type);
	if ((want && n != want) || n == 0)
		return -1;
	if ((ds->n + 1) * 10 > ds->cap * 7 && !grow(ds))
		return -1;
	uint64_t h = hash(p, n);
	struct ds_ent *e = slot(ds, h, p, n);
	if (e->h)
		return 0;
	if (ds->mem + n > ds->memcap || !(e->p = malloc(n)))
		return -1;
	memcpy(e->p, p, n);
	e->len = n;
	e->h = h;
	ds->n++;
	ds->mem += n;
	return 1;
}

static bool has(const struct det_dataset *ds, const uint8_t *p, size_t n)
{
	if (!ds->cap || n == 0)
		return false;
	uint64_t h = hash(p, n);
	return slot(ds, h, p, n)->h != 0;
}

bool det_dataset_match(struct det_dataset *ds, const struct ips_dataset *d, const uint8_t *p,
                       size_t n)
{
	bool m = false;
	if (!ds || n == 0)
		return false;
	pthread_mutex_lock(&ds->lock);
	switch (d->cmd) {
	case IPS_DS_SET:
		m = add(ds, p, n) == 1;
		break;
	case IPS_DS_ISSET:
		m = has(ds, p, n);
		break;
	case IPS_DS_ISNOTSET:
		m = !has(ds, p, n);
		break;
	}
	pthread_mutex_unlock(&ds->lock);
	return m;
}

/* One line of a load file: base64 (string sets) or hex (digests), up to a ','. */
static void load_line(struct det_dataset *ds, char *line, size_t *bad)
{
	uint8_t v[DS_LINE_MAX];
	size_t n = strcspn(line, ",\r\n"), k = 0;
	if (n == 0)
		return;
	if (ds->type == IPS_DST_STRING) {
		k = det_base64((const uint8_t *)line, n, v, sizeof(v));
	} else {
		for (; 2 * k + 1 < n && k < sizeof(v); k++) {
			int a = bw_hex_digit(line[2 * k]), b = bw_hex_digit(line[2 * k + 1]);
			if (a < 0 || b < 0)
				break;
			v[k] = (uint8_t)(a << 4 | b);
		}
	}
	if (add(ds, v, k) < 0)
		(*bad)++;
}

static void load(struct det_dataset *ds, const char *path)
{
	FILE *fp = fopen(path, "r");
	char line[DS_LINE_MAX];
	size_t bad = 0;
	if (!fp) {
		log_warn("ips", "dataset %s: cannot open %s", ds->name, path);
		return;
	}
	while (fgets(line, sizeof(line), fp))
		load_line(ds, line, &bad);
	fclose(fp);
	if (bad)
		log_warn("ips", "dataset %s: %zu lines of %s not loaded", ds->name, bad, path);
}

int det_datasets_build(struct ips_detect_engine *e)
{
	for (size_t i = 0; i < e->nrules; i++) {
		struct det_rule *dr = &e->rules[i];
		for (size_t b = 0; b <= dr->nbl; b++) {
			struct det_bufl *bl = b < dr->nbl ? &dr->bl[b] : dr->b64;
			for (size_t k = 0; bl && k < bl->n; k++) {
				const struct ips_opt *o = bl->ops[k].o;
				const struct ips_dataset *d = o->data;
				struct det_dataset *ds = NULL;
				if (o->kw != IPS_KW_DATASET)
					continue;
				for (size_t j = 0; j < e->nds && !ds; j++)
					if (strcmp(e->ds[j]->name, d->name) == 0)
						ds = e->ds[j];
				if (!ds) {
					struct det_dataset **nv =
					        realloc(e->ds, (e->nds + 1) * sizeof(*nv));
					if (!nv)
						return BW_ERR_NOMEM;
					e->ds = nv;
					if (!(ds = calloc(1, sizeof(*ds))))
						return BW_ERR_NOMEM;
					ds->name = d->name;
					ds->type = d->type;
					ds->memcap = d->memcap ? d->memcap : DS_MEMCAP;
					pthread_mutex_init(&ds->lock, NULL);
					e->ds[e->nds++] = ds;
					if (d->load)
						load(ds, d->load);
				}
				bl->ops[k].ds = ds;
			}
		}
	}
	return 0;
}

void det_datasets_free(struct ips_detect_engine *e)
{
	for (size_t i = 0; i < e->nds; i++) {
		struct det_dataset *ds = e->ds[i];
		for (size_t k = 0; k < ds->cap; k++)
			free(ds->t[k].p);
		free(ds->t);
		pthread_mutex_destroy(&ds->lock);
		free(ds);
	}
	free(e->ds);
	e->ds = NULL;
	e->nds = 0;
}
