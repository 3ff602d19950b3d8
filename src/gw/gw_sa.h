/* SPDX-License-Identifier: ISC */
/*
 * The gateway's SA database as the data plane sees it: CHILD_SA pairs
 * (manually keyed or negotiated by IKE) published as immutable tables.
 *
 * The control thread is the only writer. Every change builds a new table
 * (SAD by inbound SPI, SPD of selectors) and publishes it with one atomic
 * store; the data plane threads read the current table without locks.
 * A replaced table, and the SAs only it referenced, are freed once every
 * reader has passed a quiescent state (QSBR): a reader announces the
 * generation it entered with at the start of each batch and goes offline
 * before it blocks. The SAs themselves live across tables, so sequence
 * numbers and replay windows survive every change.
 */
#ifndef BW_GW_SA_H
#define BW_GW_SA_H

#include <stddef.h>
#include <stdint.h>

#include "gw/gw_conf.h"
#include "ipsec/esp.h"

enum {
	GW_SA_READERS = 2, /* the outbound and the inbound thread */
	GW_SA_READER_TX = 0,
	GW_SA_READER_RX = 1,
};

/* One CHILD_SA pair and the selectors it protects. */
struct gw_child {
	uint32_t id;
	char name[GW_CONF_NAME_MAX];
	struct esp_sa *out;
	struct esp_sa *in;
	struct esp_ts ts[GW_CONF_MAX_TS];
	size_t n_ts;
};

/* An immutable published table. */
struct gw_sa_table {
	struct esp_sad *sad;
	struct esp_spd *spd;
	struct gw_child **child;
	size_t n;
};

struct gw_sadb;

struct gw_sadb *gw_sadb_new(void);
/* Frees everything; only once the readers have stopped. */
void gw_sadb_free(struct gw_sadb *db);

/* Control thread: installs a pair (configs copied) and returns its id. */
int gw_sadb_add(struct gw_sadb *db, const char *name, const struct esp_sa_cfg *out,
                const struct esp_sa_cfg *in, const struct esp_ts *ts, size_t n_ts, uint32_t *id);
/* Control thread: removes a pair; its SAs are freed after the grace period. */
int gw_sadb_del(struct gw_sadb *db, uint32_t id);
/* Control thread: the current table (stable until the next add/del). */
const struct gw_sa_table *gw_sadb_current(const struct gw_sadb *db);
const struct gw_child *gw_sadb_find(const struct gw_sadb *db, uint32_t id);
/* Control thread: frees retired tables whose grace period has ended; returns how many remain. */
size_t gw_sadb_reclaim(struct gw_sadb *db);

/* Reader `r`: enter a batch (returns the table to use until quiesce). */
const struct gw_sa_table *gw_sadb_enter(struct gw_sadb *db, unsigned r);
/* Reader `r`: holds no table pointer any more (call before blocking). */
void gw_sadb_quiesce(struct gw_sadb *db, unsigned r);

#endif
