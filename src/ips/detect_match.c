/* SPDX-License-Identifier: ISC */
/*
 * Keyword matching of one compiled rule against one input, with the
 * semantics of Suricata's documentation and content inspection:
 *
 * - Each buffer (payload, http.uri, ...) has its own cursor: the end of the
 *   last content, pcre, byte_jump or byte_extract match in that buffer. A
 *   content's window is [offset, offset + depth) when absolute, and
 *   [cursor + distance, cursor + distance + within) when relative (a
 *   negative distance may reach back, never before the buffer start);
 *   startswith is depth = length, endswith forces the match to end at the
 *   buffer end. A negated content matches when the pattern is not found in
 *   its window (an empty window counts as not found) and leaves the cursor.
 * - When a later option of the same buffer that depends on the cursor fails,
 *   the previous content or pcre is retried at its next occurrence, up to a
 *   per-buffer budget (Suricata's inspection recursion limit).
 * - isdataat N means data at offset N (N < length); relative, data at
 *   cursor + N (cursor + N <= length), as Suricata's inspection does.
 * - byte_test/byte_jump/byte_extract read 1..8 bytes big or little endian,
 *   or text in base 8/10/16; a bitmask is applied and the value shifted right
 *   by the mask's trailing zero bits. byte_jump moves the cursor to
 *   (from_beginning ? 0 : from_end ? length : end of the bytes read) +
 *   value * multiplier (rounded up to 4 with align) + post_offset, within
 *   [0, length]; byte_extract stores the value for later options and moves
 *   the cursor past the bytes read; byte_test leaves it.
 * - Buffers with several instances (tls.certs) match if any instance does.
 * - Packet keywords (flow, flags, dsize, ttl, ...) and flowbits checks go
 *   before any buffer, as they are cheap.
 */
#define _GNU_SOURCE /* memmem */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "ips/app.h"
#include "ips/asn1.h"
#include "ips/detect_int.h"
#include "ips/xbits.h"
#include "lib/rd.h"
#include "lib/hex.h"

/* ---- views and transforms ---- */

size_t det_nviews(const struct ips_detect_input *in, enum ips_buf b)
{
	if (b == IPS_BUF_PAYLOAD)
		return in->payload ? 1 : 0;
	return in->bufs[b].v ? in->bufs[b].n : 0;
}

/* ---- pattern search ---- */

static inline uint8_t lc(uint8_t c)
{
	return c >= 'A' && c <= 'Z' ? (uint8_t)(c + 32) : c;
}

/*
 * How common a (lower-case) byte is in typical inspected traffic (text
 * protocols, markup, script): the position in this list, most common first;
 * bytes not listed count as rare. Only used to pick the byte to scan for.
 */
static unsigned commonness(uint8_t c)
{
	static const char common[] = "xzqj\t\r\n_kv9876543210bywgfp'(),;:-=./><\"mucdlhrsnioate ";
	if (c == 0)
		return sizeof(common) + 1;
	const char *q = strchr(common, c);
	return q ? (unsigned)(q - common) + 1 : 0;
}

/* The index of the pattern byte least likely to occur, to scan for it. */
static size_t rare_index(const uint8_t *p, size_t pn)
{
	size_t best = 0;
	unsigned bc = commonness(lc(p[0]));
	for (size_t k = 1; k < pn && bc; k++) {
		unsigned c = commonness(lc(p[k]));
		if (c < bc) {
			best = k;
			bc = c;
		}
	}
	return best;
}

static bool eq_nocase(const uint8_t *a, const uint8_t *b, size_t n)
{
	for (size_t k = 0; k < n; k++)
		if (lc(a[k]) != lc(b[k]))
			return false;
	return true;
}

/*
 * Caseless search: memchr for both cases of the pattern's rarest byte,
 * then a caseless compare around each candidate.
 */
static const uint8_t *find_nocase(const uint8_t *h, size_t hn, const uint8_t *p, size_t pn)
{
	size_t r = rare_index(p, pn);
	uint8_t lo = lc(p[r]), up = lo >= 'a' && lo <= 'z' ? (uint8_t)(lo - 32) : lo;
	/* candidates for the rare byte lie in [r, hn - pn + r] */
	const uint8_t *s = h + r, *end = h + (hn - pn) + r + 1;
	const uint8_t *nl = NULL, *nu = NULL; /* next occurrence of each case at or after s */
	bool el = false, eu = lo == up;       /* that case is exhausted */
	while (s < end) {
		if (!el && (!nl || nl < s) && !(nl = memchr(s, lo, (size_t)(end - s))))
			el = true;
		if (!eu && (!nu || nu < s) && !(nu = memchr(s, up, (size_t)(end - s))))
			eu = true;
		const uint8_t *c;
		if (el && eu)
			return NULL;
		c = el ? nu : eu ? nl : nl < nu ? nl : nu;
		if (eq_nocase(c - r, p, pn))
			return c - r;
		s = c + 1;
	}
	return NULL;
}

static const uint8_t *find(const uint8_t *h, size_t hn, const uint8_t *p, size_t pn, bool nocase)
{
	if (pn > hn)
		return NULL;
	if (pn == 0)
		return h;
	if (!nocase)
		return memmem(h, hn, p, pn);
	return find_nocase(h, hn, p, pn);
}

/* ---- per-buffer inspection ---- */

/*
 * What the searches of content op i to the end of the buffer found: every
 * occurrence starting in [clo, chi), in t->occ[i].pos[0..n).
 */
struct fcache {
	int64_t clo, chi;
	size_t n;
};

enum { FCACHE_OPS = DET_OCC_OPS };

struct insp {
	struct ips_detect_thread *t;
	const struct det_bufl *bl;
	const struct det_bufl *b64; /* the rule's base64_data options, or NULL */
	bool nocache;               /* no occurrence lists (a nested base64_data view) */
	const uint8_t *b;
	size_t len;
	uint64_t origin; /* ips_bufv.origin of the view (0: the whole buffer) */
	uint64_t vars[IPS_RULE_MAX_VARS];
	bool dce_big;    /* byte_* dce: the DCE/RPC call's data representation is big-endian */
	uint64_t fvalid; /* bit i: fc[i] holds searches of op i in this view */
	struct fcache fc[FCACHE_OPS];
};

/*
 * DISCONT: an option failed whatever the cursor and variables (an absolute
 * content or pcre without variables), so no retry of an earlier option can
 * make the rule match: stop at once (Suricata's "no_match_discontinue").
 */
enum { NOMATCH = 0, MATCH = 1, ABORT = -1, DISCONT = -2 };

static int inspect(struct insp *s, size_t i, size_t cur);

static int64_t val(const struct insp *s, int32_t v, int var)
{
	return var >= 0 && var < IPS_RULE_MAX_VARS ? (int64_t)s->vars[var] : (int64_t)v;
}

/* A retry costs one unit of the buffer's budget; ABORT when spent. */
static int spend(struct insp *s)
{
	if (s->t->budget == 0) {
		s->t->st.backtrack_limited++;
		return ABORT;
	}
	s->t->budget--;
	return 0;
}

/*
 * Makes room for one more position in o; false when out of memory or at the
 * cap, which bounds a thread's lists whatever a hostile body holds (a 1 MiB
 * body of one byte would otherwise keep 4 MiB per op).
 */
static bool occ_room(struct det_occ *o, size_t n)
{
	if (n < o->cap)
		return true;
	if (n >= DET_OCC_MAX)
		return false;
	size_t nc = o->cap ? o->cap * 2 : 64;
	uint32_t *np = realloc(o->pos, nc * sizeof(*np));
	if (!np)
		return false;
	o->pos = np;
	o->cap = nc;
	return true;
}

static void occ_reverse(uint32_t *p, size_t n)
{
	for (size_t a = 0, b = n; a + 1 < b; a++, b--) {
		uint32_t x = p[a];
		p[a] = p[b - 1];
		p[b - 1] = x;
	}
}

/*
 * Searches content op i of s from lo to the end of the buffer, through the
 * op's occurrence list: retries and later cursors ask again and again for
 * the next occurrence after positions in a range already searched (a
 * content retried at each occurrence of the content before it walks the
 * same occurrences each time), so each byte is searched once per view.
 */
static const uint8_t *find_to_end(struct insp *s, size_t i, int64_t lo, const struct ips_content *c,
                                  bool nocase)
{
	int64_t len = (int64_t)s->len, clen = (int64_t)c->len, maxs = len - clen;
	if (i >= FCACHE_OPS || len > (int64_t)UINT32_MAX || s->nocache)
		return find(s->b + lo, s->len - (size_t)lo, c->pat, c->len, nocase);
	if (lo > maxs)
		return NULL;
	struct fcache *fc = &s->fc[i];
	struct det_occ *o = &s->t->occ[i];
	if (!(s->fvalid >> i & 1) || lo > fc->chi) {
		fc->clo = fc->chi = lo;
		fc->n = 0;
		s->fvalid |= 1ull << i;
	}
	if (lo < fc->clo) {
		/* Every occurrence starting in [lo, clo), appended, then moved in front. */
		size_t m = 0;
		int64_t p = lo, hend = fc->clo - 1 + clen;
		if (hend > len)
			hend = len;
		const uint8_t *f;
		while (p < fc->clo &&
		       (f = find(s->b + p, (size_t)(hend - p), c->pat, c->len, nocase))) {
			if (!occ_room(o, fc->n + m)) {
				s->fvalid &= ~(1ull << i);
				return find(s->b + lo, s->len - (size_t)lo, c->pat, c->len, nocase);
			}
			o->pos[fc->n + m++] = (uint32_t)(f - s->b);
			p = (f - s->b) + 1;
		}
		occ_reverse(o->pos, fc->n);
		occ_reverse(o->pos + fc->n, m);
		occ_reverse(o->pos, fc->n + m);
		fc->n += m;
		fc->clo = lo;
	}
	/* The first known occurrence at or after lo (lo is in [clo, chi]). */
	size_t a = 0, b = fc->n;
	while (a < b) {
		size_t mid = a + (b - a) / 2;
		if ((int64_t)o->pos[mid] < lo)
			a = mid + 1;
		else
			b = mid;
	}
	if (a < fc->n)
		return s->b + o->pos[a];
	/* None in [lo, chi): the first at or after chi. */
	if (fc->chi > maxs)
		return NULL;
	const uint8_t *f = find(s->b + fc->chi, (size_t)(len - fc->chi), c->pat, c->len, nocase);
	if (!f) {
		fc->chi = maxs + 1;
		return NULL;
	}
	if (occ_room(o, fc->n)) {
		o->pos[fc->n++] = (uint32_t)(f - s->b);
		fc->chi = (f - s->b) + 1;
	}
	return f;
}

static int do_content(struct insp *s, size_t i, size_t cur)
{
	const struct det_op *op = &s->bl->ops[i];
	const struct ips_content *c = op->o->data;
	int64_t len = (int64_t)s->len, clen = (int64_t)c->len, lo, hi;
	bool neg = c->flags & IPS_CF_NEGATED, nocase = c->flags & IPS_CF_NOCASE;
	if (c->flags & (IPS_CF_DISTANCE | IPS_CF_WITHIN)) {
		int64_t dist =
		        c->flags & IPS_CF_DISTANCE ? val(s, c->distance, c->distance_var) : 0;
		lo = (int64_t)cur + dist;
		hi = len;
		if ((c->flags & IPS_CF_WITHIN) && hi > lo + val(s, c->within, c->within_var))
			hi = lo + val(s, c->within, c->within_var);
		if (lo < 0)
			lo = 0;
	} else if (c->flags & IPS_CF_STARTSWITH) {
		lo = 0;
		hi = clen;
	} else {
		lo = c->flags & IPS_CF_OFFSET ? val(s, c->offset, c->offset_var) : 0;
		hi = c->flags & IPS_CF_DEPTH ? lo + val(s, c->depth, c->depth_var) : len;
	}
	/*
	 * A window of a body: a depth (or startswith) ends where it ends in
	 * the whole buffer, as Suricata shifts it by stream_start_offset (the
	 * offset is left as it is, as there).
	 */
	if (s->origin && !(c->flags & (IPS_CF_DISTANCE | IPS_CF_WITHIN)) &&
	    (c->flags & (IPS_CF_DEPTH | IPS_CF_STARTSWITH))) {
		if (hi <= (int64_t)s->origin)
			return c->offset_var < 0 && c->depth_var < 0 ? DISCONT : NOMATCH;
		if (hi < (int64_t)s->origin + len)
			hi -= (int64_t)s->origin;
	}
	if (hi > len)
		hi = len;
	if (c->flags & IPS_CF_ENDSWITH) /* the only place a match may start */
		lo = lo > len - clen ? lo : len - clen;
	/* Fails the same way whatever the cursor and variables. */
	bool fixed = !(c->flags & (IPS_CF_DISTANCE | IPS_CF_WITHIN)) && c->offset_var < 0 &&
	             c->depth_var < 0;
	for (;;) {
		const uint8_t *f = NULL;
		if (lo >= 0 && hi - lo >= clen) {
			if (hi == len && !(c->flags & IPS_CF_ENDSWITH))
				f = find_to_end(s, i, lo, c, nocase);
			else
				f = find(s->b + lo, (size_t)(hi - lo), c->pat, c->len, nocase);
			if (f && (c->flags & IPS_CF_ENDSWITH) && f + c->len != s->b + s->len)
				f = NULL;
		}
		if (neg) {
			if (f)
				return fixed ? DISCONT : NOMATCH;
			return inspect(s, i + 1, cur);
		}
		if (!f)
			return fixed ? DISCONT : NOMATCH;
		size_t at = (size_t)(f - s->b);
		int r = inspect(s, i + 1, at + c->len);
		if (r != NOMATCH || !op->rel_after)
			return r;
		if (spend(s))
			return ABORT;
		lo = (int64_t)at + 1; /* the next occurrence in the same window */
	}
}

static int do_pcre(struct insp *s, size_t i, size_t cur)
{
	const struct det_op *op = &s->bl->ops[i];
	const struct ips_pcre *x = op->o->data;
	/* The subject starts at the cursor, as in Suricata: ^ anchors there. */
	size_t base = x->flags & IPS_PCRE_RELATIVE ? cur : 0, from = 0;
	bool neg = x->flags & IPS_PCRE_NEGATED;
	if (base > s->len)
		return neg ? inspect(s, i + 1, cur) : NOMATCH;
	for (;;) {
		int rc = PCRE2_ERROR_NOMATCH;
		if (from <= s->len - base)
			rc = pcre2_match(x->code, s->b + base, s->len - base, from, 0, s->t->md,
			                 s->t->mctx);
		if (rc < 0 && rc != PCRE2_ERROR_NOMATCH)
			s->t->st.pcre_errors++; /* match limit: no match, as Suricata */
		/* Without R the subject is the whole buffer: the same for any cursor. */
		int fail = x->flags & IPS_PCRE_RELATIVE ? NOMATCH : DISCONT;
		if (neg)
			return rc >= 0 ? fail : inspect(s, i + 1, cur);
		if (rc < 0)
			return fail;
		PCRE2_SIZE *ov = pcre2_get_ovector_pointer(s->t->md);
		size_t m0 = ov[0], m1 = ov[1];
		int r = inspect(s, i + 1, base + m1);
		if (r != NOMATCH || !op->rel_after)
			return r;
		if (spend(s))
			return ABORT;
		from = m0 + 1; /* the next match from the same subject */
	}
}

/* Reads the number of a byte_* keyword at pos; false when out of bounds or not a number. */
static bool extract(const uint8_t *b, size_t len, int64_t pos, unsigned nbytes,
                    enum ips_endian endian, enum ips_byte_base base, uint64_t bitmask,
                    uint64_t *out)
{
	uint64_t v = 0;
	if (pos < 0 || (uint64_t)pos + nbytes > len || nbytes == 0)
		return false;
	const uint8_t *p = b + pos;
	if (base == IPS_BASE_BINARY) {
		if (nbytes > 8)
			return false;
		for (unsigned k = 0; k < nbytes; k++) {
			unsigned idx = endian == IPS_END_BIG ? k : nbytes - 1 - k;
			v = (v << 8) | p[idx];
		}
	} else {
		/* Text: leading blanks, then digits of the base up to the first other byte. */
		unsigned k = 0, digits = 0;
		while (k < nbytes && (p[k] == ' ' || p[k] == '\t'))
			k++;
		for (; k < nbytes; k++) {
			int d = bw_hex_digit(p[k]);
			if (d < 0 || d >= (int)base)
				break;
			if (v > (UINT64_MAX - (uint64_t)d) / (uint64_t)base)
				return false; /* overflow */
			v = v * (uint64_t)base + (uint64_t)d;
			digits++;
		}
		if (!digits)
			return false;
	}
	if (bitmask) {
		v &= bitmask;
		uint64_t m = bitmask;
		while (!(m & 1)) {
			m >>= 1;
			v >>= 1;
		}
	}
	*out = v;
	return true;
}

static bool byte_test_ok(const struct ips_byte_test *bt, uint64_t v, uint64_t want)
{
	bool m;
	switch (bt->op) {
	case '<':
		m = v < want;
		break;
	case '>':
		m = v > want;
		break;
	case '=':
		m = v == want;
		break;
	case '&':
		m = (v & want) != 0;
		break;
	case '^':
		m = (v ^ want) != 0;
		break;
	case 'l':
		m = v <= want;
		break;
	case 'g':
		m = v >= want;
		break;
	default:
		m = false;
	}
	return bt->negated ? !m : m;
}

/* The byte order of byte_* with dce: the call's on its stub data, little elsewhere. */
static enum ips_endian endian_of(const struct insp *s, enum ips_endian e)
{
	if (e != IPS_END_DCE)
		return e;
	return s->dce_big ? IPS_END_BIG : IPS_END_LITTLE;
}

static int do_byte(struct insp *s, size_t i, size_t cur)
{
	const struct ips_opt *o = s->bl->ops[i].o;
	uint64_t v;
	switch (o->kw) {
	case IPS_KW_BYTE_TEST: {
		const struct ips_byte_test *bt = o->data;
		int64_t pos =
		        (bt->relative ? (int64_t)cur : 0) + val(s, bt->offset, bt->offset_var);
		if (!extract(s->b, s->len, pos, bt->nbytes, endian_of(s, bt->endian), bt->base,
		             bt->bitmask, &v))
			return NOMATCH;
		uint64_t want = bt->value_var >= 0 ? s->vars[bt->value_var] : bt->value;
		return byte_test_ok(bt, v, want) ? inspect(s, i + 1, cur) : NOMATCH;
	}
	case IPS_KW_BYTE_JUMP: {
		const struct ips_byte_jump *bj = o->data;
		int64_t pos =
		        (bj->relative ? (int64_t)cur : 0) + val(s, bj->offset, bj->offset_var);
		if (!extract(s->b, s->len, pos, bj->nbytes, endian_of(s, bj->endian), bj->base,
		             bj->bitmask, &v))
			return NOMATCH;
		if (v > UINT32_MAX)
			return NOMATCH; /* beyond any buffer */
		v *= bj->multiplier;
		if (bj->align && (v & 3))
			v += 4 - (v & 3);
		int64_t to = bj->from_beginning ? 0
		             : bj->from_end     ? (int64_t)s->len
		                                : pos + bj->nbytes;
		to += (int64_t)v + bj->post_offset;
		if (to < 0 || to > (int64_t)s->len)
			return NOMATCH;
		return inspect(s, i + 1, (size_t)to);
	}
	case IPS_KW_BYTE_EXTRACT: {
		const struct ips_byte_extract *bx = o->data;
		int64_t pos = (bx->relative ? (int64_t)cur : 0) + bx->offset;
		if (!extract(s->b, s->len, pos, bx->nbytes, endian_of(s, bx->endian), bx->base,
		             bx->bitmask, &v))
			return NOMATCH;
		if (v > UINT32_MAX)
			return NOMATCH;
		v *= bx->multiplier;
		if (bx->align > 1 && v % bx->align)
			v += bx->align - v % bx->align;
		if (bx->var >= 0 && bx->var < IPS_RULE_MAX_VARS)
			s->vars[bx->var] = v;
		return inspect(s, i + 1, (size_t)pos + bx->nbytes);
	}
	default:
		return NOMATCH;
	}
}

/* struct ips_buf_eq against a whole buffer. */
static bool buf_eq(const struct ips_buf_eq *q, const uint8_t *b, size_t len)
{
	if (q->ssh2_compat)
		return (len >= 1 && b[0] == '2') || (len >= 4 && memcmp(b, "1.99", 4) == 0);
	if (len != q->len)
		return false;
	for (size_t i = 0; i < len; i++) {
		uint8_t x = b[i], y = q->val[i];
		if (q->nocase) {
			x = (uint8_t)tolower(x);
			y = (uint8_t)tolower(y);
		}
		if (x != y)
			return false;
	}
	return true;
}

/*
 * base64_decode: decodes from the cursor (relative) or the buffer start,
 * plus offset, at most `bytes` bytes; the base64_data options then inspect
 * the result from its start. As in Suricata the base64_data list is
 * terminal: when it matches the buffer matches, whatever follows; without
 * base64_data, or with nothing decoded, the option fails.
 */
static int do_base64(struct insp *s, size_t i, size_t cur)
{
	const struct ips_base64_decode *d = s->bl->ops[i].o->data;
	struct ips_detect_thread *t = s->t;
	size_t from = d->relative ? cur : 0, n;
	if (from > s->len || d->offset >= s->len - from || !s->b64)
		return NOMATCH;
	from += d->offset;
	n = s->len - from < d->bytes ? s->len - from : d->bytes;
	if (!t->b64 && !(t->b64 = malloc(DET_B64_MAX)))
		return NOMATCH;
	t->b64len = det_base64(s->b + from, n, t->b64, DET_B64_MAX);
	if (!t->b64len)
		return NOMATCH;
	struct insp sub = {.t = t, .bl = s->b64, .b = t->b64, .len = t->b64len, .nocache = true};
	memcpy(sub.vars, s->vars, sizeof(sub.vars));
	int r = inspect(&sub, 0, 0);
	return r == MATCH ? MATCH : r == ABORT ? ABORT : NOMATCH;
}

/* A complete file's digest (the buffer) in the list, or not in it when negated. */
static bool filehash_ok(const struct ips_filehash *h, const uint8_t *d, size_t len)
{
	bool in = false;
	if (len != h->len)
		return false;
	for (size_t lo = 0, hi = h->n; lo < hi && !in;) {
		size_t mid = lo + (hi - lo) / 2;
		int c = memcmp(d, h->v + mid * h->len, h->len);
		if (c == 0)
			in = true;
		else if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return in != h->negated;
}

static int inspect(struct insp *s, size_t i, size_t cur)
{
	for (; i < s->bl->n; i++) {
		const struct ips_opt *o = s->bl->ops[i].o;
		switch (o->kw) {
		case IPS_KW_CONTENT:
			return do_content(s, i, cur);
		case IPS_KW_PCRE:
			return do_pcre(s, i, cur);
		case IPS_KW_BYTE_TEST:
		case IPS_KW_BYTE_JUMP:
		case IPS_KW_BYTE_EXTRACT:
			return do_byte(s, i, cur);
		case IPS_KW_BASE64_DECODE:
			return do_base64(s, i, cur);
		case IPS_KW_ISDATAAT: {
			const struct ips_isdataat *d = o->data;
			uint64_t n = d->value_var >= 0 ? s->vars[d->value_var] : d->value;
			bool data = d->relative ? cur + n <= s->len : n < s->len;
			if (data == d->negated)
				return NOMATCH;
			break;
		}
		case IPS_KW_BSIZE:
			if (!ips_num_match(o->data, s->len + s->origin))
				return NOMATCH;
			break;
		case IPS_KW_BUF_EQ:
			if (!buf_eq(o->data, s->b, s->len))
				return NOMATCH;
			break;
		case IPS_KW_FILEHASH:
			if (!filehash_ok(o->data, s->b, s->len))
				return NOMATCH;
			break;
		case IPS_KW_ASN1:
			if (!ips_asn1_match(o->data, s->b, s->len, cur))
				return NOMATCH;
			break;
		case IPS_KW_DATASET: /* the whole buffer, whatever the cursor */
			if (!det_dataset_match(s->bl->ops[i].ds, o->data, s->b, s->len))
				return NOMATCH;
			break;
		default:
			break;
		}
	}
	return MATCH;
}

static bool match_buffer(struct ips_detect_thread *t, const struct det_rule *dr,
                         const struct det_bufl *bl, const struct ips_detect_input *in)
{
	size_t nv = det_nviews(in, bl->buf);
	for (size_t k = 0; k < nv; k++) {
		struct insp s;
		s.t = t;
		s.bl = bl;
		s.b64 = dr->b64;
		s.nocache = false;
		s.fvalid = 0;
		memset(s.vars, 0, sizeof(s.vars));
		s.dce_big = bl->buf == IPS_BUF_DCERPC_STUB_DATA && in->dce && !in->dce->little;
		s.origin = bl->tf == 0 && bl->buf != IPS_BUF_PAYLOAD && k < det_nviews(in, bl->buf)
		                   ? in->bufs[bl->buf].v[k].origin
		                   : 0;
		if (bl->tf == DET_TF_UNCACHED) {
			if (!det_view(t, in, bl->buf, k, 0, &s.b, &s.len) ||
			    !det_transform(t, bl->tfo, bl->ntf, s.b, s.len, &t->tfuncached))
				continue;
			s.b = t->tfuncached.p;
			s.len = t->tfuncached.len;
		} else if (!det_view(t, in, bl->buf, k, bl->tf, &s.b, &s.len)) {
			continue;
		}
		t->budget = t->e->conf.backtrack_limit;
		if (inspect(&s, 0, 0) == MATCH)
			return true;
	}
	return false;
}

/* ---- header ---- */

static bool addr_ports(const struct ips_rule *r, const struct ips_detect_input *in, bool swap)
{
	size_t alen = in->ip_version == 6 ? 16 : 4;
	const uint8_t *sa = swap ? in->dst : in->src, *da = swap ? in->src : in->dst;
	uint16_t sp = swap ? in->dp : in->sp, dp = swap ? in->sp : in->dp;
	bool ports = in->proto == 6 || in->proto == 17 || in->proto == 132;
	/* Ports first: cheaper than address ranges, and more often restrictive. */
	if (!r->sp.any && (!ports || !ips_portset_has(&r->sp, sp)))
		return false;
	if (!r->dp.any && (!ports || !ips_portset_has(&r->dp, dp)))
		return false;
	if (!r->src.any && !ips_addrset_has(&r->src, sa, alen))
		return false;
	if (!r->dst.any && !ips_addrset_has(&r->dst, da, alen))
		return false;
	return true;
}

static bool header_match(const struct ips_rule *r, const struct ips_detect_input *in)
{
	if (in->ip_version != 4 && in->ip_version != 6)
		return false;
	switch (r->proto) {
	case IPS_PROTO_IP:
		break;
	case IPS_PROTO_TCP:
	case IPS_PROTO_HTTP:
	case IPS_PROTO_TLS:
	case IPS_PROTO_SSH:
	case IPS_PROTO_FTP:
	case IPS_PROTO_FTP_DATA:
	case IPS_PROTO_SMTP:
	case IPS_PROTO_MQTT:
	case IPS_PROTO_MODBUS:
	case IPS_PROTO_SMB:
	case IPS_PROTO_DCERPC:
		if (in->proto != 6)
			return false;
		break;
	case IPS_PROTO_UDP:
	case IPS_PROTO_IKE:
		if (in->proto != 17)
			return false;
		break;
	case IPS_PROTO_DNS:
	case IPS_PROTO_KRB5:
	case IPS_PROTO_ENIP:
		if (in->proto != 6 && in->proto != 17)
			return false;
		break;
	case IPS_PROTO_ICMP:
		if (in->proto != 1 && in->proto != 58)
			return false;
		if (r->icmp_version && in->proto != (r->icmp_version == 4 ? 1 : 58))
			return false;
		break;
	default:
		return false;
	}
	if (r->ip_version && in->ip_version != r->ip_version)
		return false;
	if (!ips_app_covers(r->app, in->app))
		return false;
	if (r->tcp_scope == IPS_TCP_PKT && in->is_stream)
		return false;
	if (r->tcp_scope == IPS_TCP_STREAM && !in->is_stream)
		return false;
	return addr_ports(r, in, false) || (r->bidir && addr_ports(r, in, true));
}

/* ---- packet and flow keywords ---- */

static bool flow_match(const struct ips_flow *f, const struct ips_detect_input *in)
{
	uint32_t x = f->flags;
	if ((x & IPS_FLOW_ESTABLISHED) && !(in->has_flow && in->established))
		return false;
	if ((x & IPS_FLOW_NOT_ESTABLISHED) && in->has_flow && in->established)
		return false;
	if ((x & IPS_FLOW_TO_SERVER) && !(in->has_flow && in->to_server))
		return false;
	if ((x & IPS_FLOW_TO_CLIENT) && !(in->has_flow && !in->to_server))
		return false;
	if ((x & IPS_FLOW_ONLY_STREAM) && !in->is_stream)
		return false;
	if ((x & IPS_FLOW_NO_STREAM) && in->is_stream)
		return false;
	if ((x & IPS_FLOW_ONLY_FRAG) && !in->is_frag)
		return false;
	if ((x & IPS_FLOW_NO_FRAG) && in->is_frag)
		return false;
	return true;
}

static bool flags_match(const struct ips_tcp_flags *f, const struct ips_detect_input *in)
{
	if (!in->has_tcp)
		return false;
	uint8_t v = in->tcp_flags & (uint8_t)~f->ignore;
	switch (f->mod) {
	case IPS_FLAGS_EXACT:
		return v == f->flags;
	case IPS_FLAGS_PLUS:
		return (v & f->flags) == f->flags;
	case IPS_FLAGS_ANY:
		return (v & f->flags) != 0;
	case IPS_FLAGS_NOT:
		return (v & f->flags) != f->flags;
	}
	return false;
}

bool ips_flowbits_isset(const struct ips_flowbits_state *fb, int id)
{
	if (!fb || id < 0)
		return false;
	size_t lo = 0, hi = fb->n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (fb->id[mid] == id)
			return true;
		if (fb->id[mid] < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

static bool flowbits_check(const struct det_op *op, const struct ips_detect_input *in)
{
	const struct ips_flowbits *f = op->o->data;
	if (!f || (f->cmd != IPS_FB_ISSET && f->cmd != IPS_FB_ISNOTSET))
		return true;
	bool want = f->cmd == IPS_FB_ISSET;
	/* a|b: any of them; a&b (or one name): all of them. */
	for (size_t k = 0; k < f->n; k++) {
		bool ok = ips_flowbits_isset(in->flowbits, op->fb[k]) == want;
		if (f->or_list && ok)
			return true;
		if (!f->or_list && !ok)
			return false;
	}
	return !f->or_list;
}

/* The value of flowint id, false when unset. */
static bool fi_get(const struct ips_flowint_state *fs, int id, uint32_t *v)
{
	if (!fs || id < 0)
		return false;
	for (size_t k = 0; k < fs->n; k++) {
		if (fs->id[k] == id) {
			*v = fs->val[k];
			return true;
		}
	}
	return false;
}

/* The operand of a flowint: its number, or the named variable (0 while unset). */
static uint32_t fi_operand(const struct det_op *op, const struct ips_flowint_state *fs)
{
	const struct ips_flowint *fi = op->o->data;
	uint32_t v = 0;
	if (!fi->var)
		return fi->value;
	(void)fi_get(fs, op->fb[1] == UINT16_MAX ? -1 : op->fb[1], &v);
	return v;
}

static bool flowint_check(const struct det_op *op, const struct ips_detect_input *in)
{
	const struct ips_flowint *fi = op->o->data;
	uint32_t v = 0, t;
	bool set;
	if (!in->flowints)
		return false; /* no flow: Suricata's flowint never matches */
	set = fi_get(in->flowints, op->fb[0] == UINT16_MAX ? -1 : op->fb[0], &v);
	t = fi_operand(op, in->flowints);
	switch (fi->op) {
	case IPS_FI_ISSET:
		return set;
	case IPS_FI_NOTSET:
		return !set;
	case IPS_FI_EQ:
		return set && v == t;
	case IPS_FI_NE:
		return set && v != t;
	case IPS_FI_LT:
		return set && v < t;
	case IPS_FI_LE:
		return set && v <= t;
	case IPS_FI_GT:
		return set && v > t;
	case IPS_FI_GE:
		return set && v >= t;
	default:
		return true; /* modifiers run after the match */
	}
}

static bool stream_size_match(const struct ips_stream_size *ss, const struct ips_detect_input *in)
{
	if (!in->has_flow || !in->has_tcp)
		return false;
	/* server: bytes the server sent (to_client); client: to_server. */
	bool s = ips_num_match(&ss->cmp, in->stream_bytes_tc);
	bool c = ips_num_match(&ss->cmp, in->stream_bytes_ts);
	switch (ss->side) {
	case IPS_SS_SERVER:
		return s;
	case IPS_SS_CLIENT:
		return c;
	case IPS_SS_BOTH:
		return s && c;
	case IPS_SS_EITHER:
		return s || c;
	}
	return false;
}

/*
 * Suricata's *-csum keywords: only on a packet of the named protocols; an
 * unverified checksum (checksum checks off, fragment, truncated) matches
 * both valid and invalid, as Suricata's PKT_IGNORE_CHECKSUM does.
 */
static bool csum_match(const struct ips_csum *c, const struct ips_detect_input *in)
{
	static const struct {
		uint8_t ipv, proto; /* proto 0: the IPv4 header itself */
	} want[] = {
	        [IPS_CSUM_IPV4] = {4, 0},    [IPS_CSUM_TCPV4] = {4, 6},  [IPS_CSUM_TCPV6] = {6, 6},
	        [IPS_CSUM_UDPV4] = {4, 17},  [IPS_CSUM_UDPV6] = {6, 17}, [IPS_CSUM_ICMPV4] = {4, 1},
	        [IPS_CSUM_ICMPV6] = {6, 58},
	};
	if ((unsigned)c->kind >= sizeof(want) / sizeof(want[0]) || in->is_stream ||
	    in->ip_version != want[c->kind].ipv)
		return false;
	uint8_t st = in->ipv4_csum;
	if (want[c->kind].proto) {
		if (in->proto != want[c->kind].proto)
			return false;
		st = in->l4_csum;
	}
	if (st == IPS_CSUM_SKIPPED)
		return true;
	if (st == IPS_CSUM_NA)
		return false;
	return (st == IPS_CSUM_OK) == c->valid;
}

/*
 * dcerpc.iface, as Suricata's match_backuuid(): walks the accepted
 * interfaces; an entry bound by a non-first bind fragment is passed over
 * (unless any_frag) without clearing the result, as there.
 */
static bool dce_iface_match(const struct ips_dce_iface *d, const struct ips_dce_call *c)
{
	bool ret = false;

	if (!c || !c->request_seen || !c->last_is_call)
		return false;
	for (size_t i = 0; i < c->nifaces; i++) {
		const struct ips_dce_iface_ent *e = &c->ifaces[i];

		ret = true;
		if (!d->any_frag && !e->first_frag)
			continue;
		ret = memcmp(d->uuid, e->uuid, 16) == 0 && e->ctxid == c->ctxid;
		if (ret && d->has_version && !ips_num_match(&d->version, e->version))
			ret = false;
		if (ret)
			return true;
	}
	return ret;
}

static bool dce_opnum_match(const struct ips_dce_opnum *d, const struct ips_dce_call *c)
{
	if (!c || !c->request_seen)
		return false;
	for (size_t i = 0; i < d->n; i++)
		if (c->opnum >= d->r[i].lo && c->opnum <= d->r[i].hi)
			return true;
	return false;
}

/* The xbits key of x for the inspected packet; false without IP. */
static bool xb_key(const struct ips_xbits_opt *x, const struct ips_detect_input *in,
                   struct ips_xbits_key *k)
{
	if (in->ip_version != 4 && in->ip_version != 6)
		return false;
	switch (x->track) {
	case IPS_XB_IP_SRC:
		ips_xbits_key_host(k, in->ip_version, in->src);
		break;
	case IPS_XB_IP_DST:
		ips_xbits_key_host(k, in->ip_version, in->dst);
		break;
	case IPS_XB_IP_PAIR:
		ips_xbits_key_pair(k, in->ip_version, in->src, in->dst);
		break;
	}
	return true;
}

static bool xbits_check(struct ips_detect_thread *t, const struct det_op *op,
                        const struct ips_detect_input *in)
{
	const struct ips_xbits_opt *x = op->o->data;
	struct ips_xbits_key k;
	bool set;
	/* No state, or a name no setter uses: never set (Suricata's missing host/pair). */
	if (!xb_key(x, in, &k))
		return false;
	set = t->xbits && op->fb[0] != UINT16_MAX &&
	      ips_xbits_isset(t->xbits, &k, op->fb[0], in->ts_usec);
	return x->cmd == IPS_FB_ISSET ? set : !set;
}

/* FTP bounce (Suricata's ftpbounce): a PORT whose address is not the client's. */
static bool ftpbounce_match(const struct ips_detect_input *in)
{
	const struct app_ftp_info *fi = in->app_tx ? app_tx_ftp(in->app_tx) : NULL;
	const uint8_t *cli = in->to_server ? in->src : in->dst;
	const char *c;
	uint32_t ip = 0, octet = 0, nd = 0, no = 0;
	/* Suricata inspects it on the complete request (to the server) only. */
	if (!in->to_server || !fi || !fi->command || strcmp(fi->command, "PORT") != 0 ||
	    !fi->command_data)
		return false;
	c = fi->command_data;
	if (strlen(c) < 8) /* at least "h,h,h,h," past the command */
		return false;
	/* The first four comma-separated numbers, blanks allowed before a comma. */
	while (*c && !isdigit((unsigned char)*c))
		c++;
	for (; *c && nd < 4; c++) {
		if (isdigit((unsigned char)*c)) {
			octet = octet * 10 + (uint32_t)(*c - '0');
			nd++;
			continue;
		}
		if (octet > 256)
			return false;
		while (isspace((unsigned char)*c))
			c++;
		if (*c != ',')
			return false;
		ip = (ip << 8) | (octet & 0xff);
		octet = 0;
		nd = 0;
		if (++no == 4)
			return ip != bw_be32(cli); /* Suricata compares the first 32 bits */
	}
	return false;
}

static bool pkt_match(struct ips_detect_thread *t, const struct det_op *op,
                      const struct ips_detect_input *in)
{
	const struct ips_opt *o = op->o;
	switch (o->kw) {
	case IPS_KW_XBITS:
		return xbits_check(t, op, in);
	case IPS_KW_FTPBOUNCE:
		return ftpbounce_match(in);
	case IPS_KW_FLOW:
		return flow_match(o->data, in);
	case IPS_KW_FLOWBITS:
		return flowbits_check(op, in);
	case IPS_KW_FLOWINT:
		return flowint_check(op, in);
	case IPS_KW_DSIZE:
		return !in->is_stream && ips_num_match(o->data, in->dsize);
	case IPS_KW_ITYPE:
		return in->has_icmp && ips_num_match(o->data, in->icmp_type);
	case IPS_KW_ICODE:
		return in->has_icmp && ips_num_match(o->data, in->icmp_code);
	case IPS_KW_ICMP_ID:
		return in->has_icmp && in->icmp_has_id && ips_num_match(o->data, in->icmp_id);
	case IPS_KW_ICMP_SEQ:
		return in->has_icmp && in->icmp_has_id && ips_num_match(o->data, in->icmp_seq);
	case IPS_KW_FLAGS:
		return flags_match(o->data, in);
	case IPS_KW_TTL:
		return ips_num_match(o->data, in->ttl);
	case IPS_KW_IP_PROTO:
		return ips_num_match(o->data, in->proto);
	case IPS_KW_SAMEIP:
		return memcmp(in->src, in->dst, in->ip_version == 6 ? 16 : 4) == 0;
	case IPS_KW_STREAM_SIZE:
		return stream_size_match(o->data, in);
	case IPS_KW_APP:
		return in->app_tx &&
		       app_tx_match(in->app_tx,
		                    in->to_server ? APP_DIR_TO_SERVER : APP_DIR_TO_CLIENT, o->data);
	case IPS_KW_DECODE_EVENT: {
		const struct ips_event_ref *e = o->data;
		for (size_t k = 0; k < in->n_events; k++)
			if (in->events[k] == e->id)
				return true;
		return false;
	}
	case IPS_KW_STREAM_EVENT:
		return (in->stream_events >> ((const struct ips_event_ref *)o->data)->id) & 1u;
	case IPS_KW_APP_EVENT: {
		const struct ips_event_ref *e = o->data;
		if (e->m)
			return in->app_tx &&
			       app_tx_match(in->app_tx,
			                    in->to_server ? APP_DIR_TO_SERVER : APP_DIR_TO_CLIENT,
			                    e->m);
		return (in->app_events >> e->id) & 1u;
	}
	case IPS_KW_IPOPTS:
		return in->ip_version == 4 &&
		       (in->ipopts & ((const struct ips_ipopts *)o->data)->mask);
	case IPS_KW_CSUM:
		return csum_match(o->data, in);
	case IPS_KW_FLOW_AGE:
		return in->has_flow_age && ips_num_match(o->data, in->flow_age);
	case IPS_KW_DNS_OPCODE:
		return in->has_dns_opcode && ips_num_match(o->data, in->dns_opcode);
	case IPS_KW_ICMPV6_MTU:
		return in->has_mtu && ips_num_match(o->data, in->mtu);
	case IPS_KW_FILESIZE: {
		/* A closed file's size; before, only a lower bound already passed. */
		const struct ips_num *n = o->data;
		if (!in->file_present)
			return false;
		if (in->file_complete)
			return ips_num_match(n, in->file_size);
		return (n->op == IPS_CMP_GT || n->op == IPS_CMP_GE) &&
		       ips_num_match(n, in->file_size);
	}
	case IPS_KW_URILEN: {
		const struct ips_urilen *u = o->data;
		enum ips_buf b = u->raw ? IPS_BUF_HTTP_RAW_URI : IPS_BUF_HTTP_URI;
		if (det_nviews(in, b) == 0)
			return false;
		return ips_num_match(&u->cmp, in->bufs[b].v[0].len);
	}
	case IPS_KW_DCE_IFACE:
		return dce_iface_match(o->data, in->dce);
	case IPS_KW_DCE_OPNUM:
		return dce_opnum_match(o->data, in->dce);
	default: /* threshold, detection_filter: after the match */
		return true;
	}
}

bool det_rule_match(struct ips_detect_thread *t, const struct det_rule *dr,
                    const struct ips_detect_input *in)
{
	if (!header_match(dr->r, in))
		return false;
	for (size_t i = 0; i < dr->npkt; i++)
		if (!pkt_match(t, &dr->pkt[i], in))
			return false;
	for (size_t i = 0; i < dr->nbl; i++)
		if (!match_buffer(t, dr, &dr->bl[i], in))
			return false;
	return true;
}

/* ---- flowbits updates ---- */

static void fb_set(struct ips_flowbits_state *fb, uint16_t id)
{
	size_t k = 0;
	while (k < fb->n && fb->id[k] < id)
		k++;
	if (k < fb->n && fb->id[k] == id)
		return;
	if (fb->n >= IPS_FLOWBITS_MAX) {
		fb->dropped++;
		return;
	}
	memmove(&fb->id[k + 1], &fb->id[k], (fb->n - k) * sizeof(fb->id[0]));
	fb->id[k] = id;
	fb->n++;
}

static void fb_unset(struct ips_flowbits_state *fb, uint16_t id)
{
	for (size_t k = 0; k < fb->n; k++) {
		if (fb->id[k] == id) {
			memmove(&fb->id[k], &fb->id[k + 1], (fb->n - k - 1) * sizeof(fb->id[0]));
			fb->n--;
			return;
		}
	}
}

/* Applies a flowint modifier (=, +, -), creating the variable if there is room. */
static void fi_modify(const struct det_op *op, struct ips_flowint_state *fs)
{
	const struct ips_flowint *fi = op->o->data;
	uint16_t id = op->fb[0];
	uint32_t t = fi_operand(op, fs);
	size_t k = 0;
	if (id == UINT16_MAX)
		return;
	while (k < fs->n && fs->id[k] < id)
		k++;
	if (k == fs->n || fs->id[k] != id) {
		if (fi->op == IPS_FI_SUB)
			return; /* Suricata: - needs the variable set */
		if (fs->n >= IPS_FLOWINTS_MAX) {
			fs->dropped++;
			return;
		}
		memmove(&fs->id[k + 1], &fs->id[k], (fs->n - k) * sizeof(fs->id[0]));
		memmove(&fs->val[k + 1], &fs->val[k], (fs->n - k) * sizeof(fs->val[0]));
		fs->id[k] = id;
		fs->val[k] = 0; /* + on an unset variable starts from 0 */
		fs->n++;
	}
	/* Unsigned arithmetic wraps, as Suricata's uint32_t. */
	fs->val[k] = fi->op == IPS_FI_SET   ? t
	             : fi->op == IPS_FI_ADD ? fs->val[k] + t
	                                    : fs->val[k] - t;
}

/* Applies an xbits set/unset/toggle; expiry counts from the packet's time. */
static void xbits_post(struct ips_detect_thread *t, const struct det_op *op,
                       const struct ips_detect_input *in)
{
	const struct ips_xbits_opt *x = op->o->data;
	struct ips_xbits_key k;
	uint64_t exp = in->ts_usec + (uint64_t)x->expire * 1000000u;
	if (!t->xbits || op->fb[0] == UINT16_MAX || !xb_key(x, in, &k))
		return;
	switch (x->cmd) {
	case IPS_FB_SET:
		ips_xbits_set(t->xbits, &k, op->fb[0], exp, in->ts_usec);
		break;
	case IPS_FB_UNSET:
		ips_xbits_unset(t->xbits, &k, op->fb[0]);
		break;
	case IPS_FB_TOGGLE:
		ips_xbits_toggle(t->xbits, &k, op->fb[0], exp, in->ts_usec);
		break;
	default:
		break;
	}
}

void det_rule_post(struct ips_detect_thread *t, const struct det_rule *dr,
                   const struct ips_detect_input *in)
{
	struct ips_flowbits_state *fb = in->flowbits;
	for (size_t i = 0; i < dr->npost; i++) {
		if (dr->post[i].o->kw == IPS_KW_XBITS) {
			xbits_post(t, &dr->post[i], in);
			continue;
		}
		if (dr->post[i].o->kw == IPS_KW_FLOWINT) {
			if (in->flowints)
				fi_modify(&dr->post[i], in->flowints);
			continue;
		}
		if (!fb)
			continue;
		const struct ips_flowbits *f = dr->post[i].o->data;
		for (size_t k = 0; k < f->n; k++) {
			uint16_t id = dr->post[i].fb[k];
			switch (f->cmd) {
			case IPS_FB_SET:
				fb_set(fb, id);
				break;
			case IPS_FB_UNSET:
				fb_unset(fb, id);
				break;
			case IPS_FB_TOGGLE:
				if (ips_flowbits_isset(fb, id))
					fb_unset(fb, id);
				else
					fb_set(fb, id);
				break;
			default:
				break;
			}
		}
	}
}
