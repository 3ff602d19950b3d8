/* SPDX-License-Identifier: ISC */
/*
 * vectorscan implementation of the MPM ops: all patterns of a rule group
 * compiled with hs_compile_lit_multi() into one block-mode database
 * (HS_FLAG_SINGLEMATCH: the prefilter only needs to know that a pattern
 * occurs, not where every occurrence is; HS_FLAG_CASELESS for nocase).
 * Literal compilation takes the bytes as they are, so patterns need no
 * regex escaping and may hold NUL. vectorscan 5.4's literal API refuses a
 * pattern whose first byte is NUL ("doesn't support empty string": it
 * tests the first character), which is common in rules (|00 00|...); such
 * patterns go into a second database of regexes with every byte escaped
 * (\xHH). A group holding such a pattern is compiled as regexes
 * altogether, one database and one scan per buffer: a second database
 * doubled the calls and, with the NUL-leading literals apart, scanned the
 * bytes twice (ET open's TCP payload group with 15 of them: 2.4 cycles per
 * byte split, 2.3 as one; compile times are alike). Except when the group
 * also has a one-byte pattern: vectorscan 5.4.9 misses occurrences of a
 * single-byte regex compiled with HS_FLAG_SINGLEMATCH (about 5 % of the
 * payloads holding it, or a lone byte at offset 64 of 65; the literal API
 * finds them all), so those stay literals and the NUL-leading ones go in a
 * second database as before; a one-byte NUL pattern, which must be a
 * regex, is compiled without HS_FLAG_SINGLEMATCH (every occurrence calls
 * back; the prefilter dedups them). In a large set, the one- and two-byte
 * patterns are compiled apart from the others (build_mode).
 * Scratch is per thread and grown with hs_alloc_scratch() to fit every
 * database the thread scans.
 *
 * Block mode adds a small-write engine, a DFA of every literal for inputs
 * of a few dozen bytes; for a large literal set its construction can take
 * over a hundred MiB for a moment (one of ET open's TCP payload groups:
 * 132 MiB for 768 literals, 8 MiB without it). build_large therefore
 * compiles in vectored mode, which has none, and such databases are
 * scanned as a vector of one buffer.
 */
#define _GNU_SOURCE /* RTLD_DEFAULT */
#include <ctype.h>
#include <dlfcn.h>
#include <hs/hs.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ips/mpm.h"
#include "lib/err.h"
#include "lib/log.h"

/* The pattern as a regex matching exactly its bytes, NUL-terminated, or NULL. */
static char *escape(const uint8_t *p, size_t len)
{
	char *s = malloc(len * 4 + 1), *o = s;
	if (!s)
		return NULL;
	for (size_t i = 0; i < len; i++) {
		if (isalnum(p[i]))
			*o++ = (char)p[i];
		else
			o += snprintf(o, 5, "\\x%02x", p[i]);
	}
	*o = 0;
	return s;
}

/*
 * The code that scans. vectorscan before 5.4.12 (Debian 12 ships 5.4.9)
 * misses matches in its AVX2 and AVX-512 builds, depending on where the
 * input ends in memory: the AVX-512 vermicelli tail check looks at the
 * wrong bytes of its last load (upstream 6c8e33e5, PR #307), and the
 * double-shufti accelerator drops a pair ending on the last byte of a
 * short range (4f09e785, PR #318). A differential fuzz of literal sets
 * found 17,120 of 15.5 million occurrences missed by hs_scan(); the SSE4.2
 * build that the same fat library carries (corei7_hs_scan, exported beside
 * the others) missed none, and scans ET open's groups faster on this
 * project's benchmark machine (docs/PERFORMANCE.md, tenth round). With such
 * a version, databases are therefore compiled for the plain x86-64 target
 * and scanned with that build; a library without those symbols keeps its
 * own dispatch (and a warning). test_mpm_hs_alignment holds two cases.
 */
typedef hs_error_t (*scan_fn)(const hs_database_t *, const char *, unsigned, unsigned,
                              hs_scratch_t *, match_event_handler, void *);
typedef hs_error_t (*scanv_fn)(const hs_database_t *, const char *const *, const unsigned *,
                               unsigned, unsigned, hs_scratch_t *, match_event_handler, void *);
static struct {
	scan_fn scan;
	scanv_fn scanv;
	bool plain; /* compile for the plain target */
	const char *what;
} impl = {hs_scan, hs_scan_vector, false, "native"};
static pthread_once_t impl_once = PTHREAD_ONCE_INIT;

static void impl_pick(void)
{
#if defined(__x86_64__) || defined(__i386__)
	unsigned a = 0, b = 0, c = 0;
	if (sscanf(hs_version(), "%u.%u.%u", &a, &b, &c) == 3 &&
	    (a > 5 || (a == 5 && (b > 4 || (b == 4 && c >= 12)))))
		return;
	/* The SSE4.2 build, or the SSSE3 one (core2) on an older CPU. */
	bool i7 = __builtin_cpu_supports("sse4.2") && __builtin_cpu_supports("popcnt");
	void *s = dlsym(RTLD_DEFAULT, i7 ? "corei7_hs_scan" : "core2_hs_scan");
	void *v = dlsym(RTLD_DEFAULT, i7 ? "corei7_hs_scan_vector" : "core2_hs_scan_vector");
	if (!s || !v || !__builtin_cpu_supports("ssse3")) {
		log_warn("ips",
		         "vectorscan %u.%u.%u may miss matches on AVX2 or AVX-512 CPUs "
		         "(fixed in 5.4.12)",
		         a, b, c);
		return;
	}
	/* POSIX: a function pointer converts from dlsym's void pointer this way. */
	memcpy(&impl.scan, &s, sizeof(s));
	memcpy(&impl.scanv, &v, sizeof(v));
	impl.plain = true;
	impl.what = i7 ? "sse4.2" : "ssse3";
#endif
}

const char *ips_mpm_hs_impl(void)
{
	pthread_once(&impl_once, impl_pick);
	return impl.what;
}

static int compile(const char **expr, const unsigned *flags, const unsigned *ids,
                   const size_t *lens, size_t n, bool regex, bool vec, hs_database_t **d)
{
	hs_compile_error_t *err = NULL;
	hs_error_t e;
	unsigned mode = vec ? HS_MODE_VECTORED : HS_MODE_BLOCK;
	hs_platform_info_t plat, *pp = NULL;
	pthread_once(&impl_once, impl_pick);
	if (impl.plain && hs_populate_platform(&plat) == HS_SUCCESS) {
		plat.cpu_features = 0; /* no AVX2 or AVX-512 code paths */
		pp = &plat;
	}
	if (regex)
		e = hs_compile_multi(expr, flags, ids, (unsigned)n, mode, pp, d, &err);
	else
		e = hs_compile_lit_multi(expr, flags, ids, lens, (unsigned)n, mode, pp, d, &err);
	if (e == HS_SUCCESS)
		return 0;
	log_info("ips", "vectorscan refused a group of %zu patterns: %s", n,
	         err && err->message ? err->message : "?");
	hs_free_compile_error(err);
	return BW_ERR_UNSUPP;
}

/*
 * The database: up to four vectorscan databases scanned in turn, literals
 * and regexes (see the top of the file) of the long patterns, then the
 * same of the short ones when they are apart (build_mode); NULL where
 * there is none.
 */
enum { HS_PARTS = 4 };
struct hs_db {
	/* Literals and regexes of the long patterns, then of the short ones (build_mode). */
	hs_database_t *x[HS_PARTS];
	bool vec; /* vectored mode (build_large) */
};

/* Compiles pats[idx[0..n)] (regex when re) into *d. */
static int build_part(const struct ips_mpm_pattern *pats, const size_t *idx, size_t n, bool re,
                      bool vec, hs_database_t **d)
{
	const char **expr = calloc(n, sizeof(*expr));
	unsigned *flags = calloc(n, sizeof(*flags));
	unsigned *ids = calloc(n, sizeof(*ids));
	size_t *lens = calloc(n, sizeof(*lens));
	int r = BW_ERR_NOMEM;
	*d = NULL;
	if (!expr || !flags || !ids || !lens)
		goto out;
	for (size_t i = 0; i < n; i++) {
		const struct ips_mpm_pattern *p = &pats[idx[i]];
		expr[i] = (const char *)p->p;
		if (re && !(expr[i] = escape(p->p, p->len)))
			goto out;
		lens[i] = p->len;
		ids[i] = p->id;
		/* A one-byte regex (|00|) reports every occurrence: see the top of the file. */
		flags[i] = (re && p->len == 1 ? 0 : HS_FLAG_SINGLEMATCH) |
		           (p->nocase ? HS_FLAG_CASELESS : 0);
	}
	r = compile(expr, flags, ids, lens, n, re, vec, d);
out:
	if (re && expr)
		for (size_t i = 0; i < n; i++)
			free((char *)(uintptr_t)expr[i]);
	free(expr);
	free(flags);
	free(ids);
	free(lens);
	return r;
}

static void hs_dbfree(void *db)
{
	struct hs_db *d = db;
	if (!d)
		return;
	for (int k = 0; k < HS_PARTS; k++)
		hs_free_database(d->x[k]);
	free(d);
}

/*
 * Compiles pats[idx[0..n)] into lit and re: literals from the front of idx,
 * regexes from the back: the NUL-leading patterns, or all of them when no
 * one-byte pattern must stay literal.
 */
static int build_set(const struct ips_mpm_pattern *pats, size_t *idx, size_t n, bool vec,
                     hs_database_t **lit, hs_database_t **re)
{
	size_t *sub = malloc(n * sizeof(*sub)), nl = 0, nr = n;
	int r = BW_ERR_NOMEM;
	if (!sub)
		return r;
	bool nul = false, one = false;
	for (size_t i = 0; i < n; i++) {
		nul |= pats[idx[i]].p[0] == 0;
		one |= pats[idx[i]].len == 1;
	}
	bool all_re = nul && !one;
	for (size_t i = 0; i < n; i++)
		sub[all_re || pats[idx[i]].p[0] == 0 ? --nr : nl++] = idx[i];
	r = 0;
	if (nl)
		r = build_part(pats, sub, nl, false, vec, lit);
	if (r == 0 && nr < n)
		r = build_part(pats, sub + nr, n - nr, true, vec, re);
	free(sub);
	return r;
}

/*
 * One or two patterns of at most HS_SHORT bytes go into databases of their
 * own when at least HS_SHORT_SPLIT longer ones share the set: a two-byte
 * literal among hundreds makes vectorscan's bulk literal matcher (FDR) step
 * through its input a byte at a time and confirm far more candidates,
 * whereas one or two short literals alone make a small, fast matcher.
 * Tight loop over mix-base's TCP payloads (best of 40, five interleaved
 * runs, cycles per byte): ET open's TCP to-client payload group (553
 * patterns and |00 19|) 2.16-2.19 as one database against 1.94-1.96 split,
 * the to-server group (358 and \|00|) 2.41-2.43 against 2.32-2.35, the
 * user-agent group (651 and ;") 2.34 against 2.13. With three to five
 * short ones apart (|00 02|, |01 00|, ...) their own database costs more
 * than it saves (a to-server group of 871 and 5: 2.69 against 3.17), so
 * those stay in: session 6 split off every pattern of up to three bytes
 * and measured no gain in time.
 */
enum { HS_SHORT = 2, HS_SHORT_MAX = 2, HS_SHORT_SPLIT = 100 };

static int build_mode(const struct ips_mpm_pattern *pats, size_t n, bool vec, void **db)
{
	*db = NULL;
	if (n == 0 || n > UINT32_MAX)
		return BW_ERR_INVAL;
	size_t *idx = calloc(n, sizeof(*idx)), ns = 0, nlong = n;
	struct hs_db *d = calloc(1, sizeof(*d));
	int r = BW_ERR_NOMEM;
	if (!idx || !d)
		goto out;
	d->vec = vec;
	/* Long patterns from the front of idx, short ones from the back. */
	for (size_t i = 0; i < n; i++)
		if (pats[i].len <= HS_SHORT)
			ns++;
	bool split = ns && ns <= HS_SHORT_MAX && n - ns >= HS_SHORT_SPLIT;
	size_t nf = 0;
	for (size_t i = 0; i < n; i++)
		idx[split && pats[i].len <= HS_SHORT ? --nlong : nf++] = i;
	if ((r = build_set(pats, idx, nf, vec, &d->x[0], &d->x[1])) != 0)
		goto out;
	if (split && (r = build_set(pats, idx + nf, ns, vec, &d->x[2], &d->x[3])) != 0)
		goto out;
	*db = d;
	d = NULL;
	r = 0;
out:
	hs_dbfree(d);
	free(idx);
	return r;
}

static int hs_build(const struct ips_mpm_pattern *pats, size_t n, void **db)
{
	return build_mode(pats, n, false, db);
}

static int hs_build_large(const struct ips_mpm_pattern *pats, size_t n, void **db)
{
	return build_mode(pats, n, true, db);
}

static int hs_scratch_grow(const void *db, void **scratch)
{
	const struct hs_db *d = db;
	hs_scratch_t *s = *scratch;
	/* hs_alloc_scratch takes a non-const database but does not modify it. */
	for (int k = 0; k < HS_PARTS; k++) {
		hs_database_t *x = d->x[k];
		if (x && hs_alloc_scratch(x, &s) != HS_SUCCESS)
			return BW_ERR_NOMEM;
		*scratch = s;
	}
	return 0;
}

static void hs_scratch_release(void *scratch)
{
	hs_free_scratch(scratch);
}

struct hs_cbctx {
	ips_mpm_cb cb;
	void *ctx;
};

static int on_match(unsigned id, unsigned long long from, unsigned long long to, unsigned flags,
                    void *ctx)
{
	struct hs_cbctx *c = ctx;
	(void)from;
	(void)flags;
	return c->cb(id, (size_t)to, c->ctx);
}

static int hs_do_scan(const void *db, void *scratch, const uint8_t *buf, size_t len, ips_mpm_cb cb,
                      void *ctx)
{
	const struct hs_db *d = db;
	struct hs_cbctx c = {cb, ctx};
	if (len == 0)
		return 0;
	if (len > UINT32_MAX)
		len = UINT32_MAX; /* block mode takes an unsigned length */
	for (int k = 0; k < HS_PARTS; k++) {
		const hs_database_t *x = d->x[k];
		if (!x)
			continue;
		const char *v = (const char *)buf;
		unsigned vl = (unsigned)len;
		hs_error_t e = d->vec ? impl.scanv(x, &v, &vl, 1, 0, scratch, on_match, &c)
		                      : impl.scan(x, v, vl, 0, scratch, on_match, &c);
		if (e == HS_SCAN_TERMINATED)
			return 0;
		if (e != HS_SUCCESS)
			return BW_ERR_INVAL;
	}
	return 0;
}

static size_t hs_size(const void *db)
{
	const struct hs_db *d = db;
	size_t total = sizeof(*d);
	for (int k = 0; k < HS_PARTS; k++) {
		size_t sz = 0;
		const hs_database_t *x = d->x[k];
		if (x && hs_database_size(x, &sz) == HS_SUCCESS)
			total += sz;
	}
	return total;
}

const struct ips_mpm_ops ips_mpm_hs_ops = {
        .name = "vectorscan",
        .build = hs_build,
        .build_large = hs_build_large,
        .free = hs_dbfree,
        .scratch_grow = hs_scratch_grow,
        .scratch_free = hs_scratch_release,
        .scan = hs_do_scan,
        .db_size = hs_size,
};
