/* SPDX-License-Identifier: ISC */
/*
 * Multi-pattern matcher (MPM) for the detection prefilter: a set of literal
 * patterns, each caseless or not, compiled once into a read-only database
 * and scanned over a buffer, reporting every pattern id found (at least
 * once per scan). Implementations sit behind one ops table so the engine
 * does not know which it uses: vectorscan (the Hyperscan API, block mode,
 * literal compilation) and a portable Aho-Corasick automaton used when
 * vectorscan is unavailable or refuses a database. Databases are shared
 * between threads; every thread owns a scratch per implementation.
 */
#ifndef BW_IPS_MPM_H
#define BW_IPS_MPM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One literal. p is borrowed for the duration of build() only. */
struct ips_mpm_pattern {
	const uint8_t *p;
	size_t len; /* >= 1 */
	bool nocase;
	uint32_t id; /* reported to the callback */
};

/* Called for a pattern found ending at offset `end`; nonzero stops the scan. */
typedef int (*ips_mpm_cb)(uint32_t id, size_t end, void *ctx);

struct ips_mpm_ops {
	const char *name;
	/* Compiles n patterns into a new *db. Returns 0, BW_ERR_NOMEM or BW_ERR_UNSUPP. */
	int (*build)(const struct ips_mpm_pattern *pats, size_t n, void **db);
	/*
	 * The same for a large set of patterns, trading a little speed on
	 * short buffers for far less memory while compiling; NULL when build()
	 * serves both.
	 */
	int (*build_large)(const struct ips_mpm_pattern *pats, size_t n, void **db);
	void (*free)(void *db);
	/*
	 * Makes *scratch (NULL at first) large enough for db; call once per
	 * database at thread start. Scratch may stay NULL for implementations
	 * without one.
	 */
	int (*scratch_grow)(const void *db, void **scratch);
	void (*scratch_free)(void *scratch);
	/* Scans buf; 0 when done (stopped or not), negative bw_err on failure. */
	int (*scan)(const void *db, void *scratch, const uint8_t *buf, size_t len, ips_mpm_cb cb,
	            void *ctx);
	size_t (*db_size)(const void *db); /* bytes */
};

/* vectorscan (libhs); build() fails with BW_ERR_UNSUPP when it refuses. */
extern const struct ips_mpm_ops ips_mpm_hs_ops;
/* The vectorscan code that scans: "native" (its own dispatch), "sse4.2" or "ssse3" (mpm_hs.c). */
const char *ips_mpm_hs_impl(void);
/* Aho-Corasick over case-folded bytes, verifying case-sensitive hits. */
extern const struct ips_mpm_ops ips_mpm_ac_ops;

#endif
