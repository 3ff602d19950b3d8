/* SPDX-License-Identifier: ISC */
/*
 * A small hash table from 64-bit keys to non-NULL pointers: open addressing
 * with linear probing and backward-shift deletion (no tombstones, so lookups
 * never slow down after many deletes). 32-bit keys (SPIs, session ids) are
 * stored widened; byte-string keys are for the caller to reduce to 64 bits
 * and confirm on the returned value. The table keeps the load at or below
 * one half and doubles when it would pass that.
 *
 * The hash is keyed with a caller-given seed, so a table whose keys a peer
 * can choose (flows, remote ids) should be given a random one. Values are
 * borrowed: the table never frees them. Not thread-safe; the owner
 * serialises writers against readers.
 */
#ifndef BW_HTAB_H
#define BW_HTAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct htab;

/* Creates a table sized for about `hint` entries; NULL on allocation failure. */
struct htab *htab_new(size_t hint, uint64_t seed);
/* Frees the table, not the values. htab_free(NULL) is a no-op. */
void htab_free(struct htab *h);
/* Inserts key -> val (val non-NULL): BW_ERR_EXISTS if present, BW_ERR_NOMEM on growth failure. */
int htab_put(struct htab *h, uint64_t key, void *val);
/* The value for key, or NULL. */
void *htab_get(const struct htab *h, uint64_t key);
/* Removes key; returns its value, or NULL if absent. */
void *htab_del(struct htab *h, uint64_t key);
size_t htab_count(const struct htab *h);
/*
 * Iterates: start with *pos = 0; each call fills key/val (either may be NULL)
 * and returns true, or returns false at the end. The table must not change
 * during the walk (a delete may shift a later entry into a visited slot).
 */
bool htab_next(const struct htab *h, size_t *pos, uint64_t *key, void **val);

#endif
